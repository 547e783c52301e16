#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "test.h"

/*
 * Known-answer encoding of the tree built by kat_tree(), one node per
 * group, fields in the order of docs/FORMAT.md ("Tree blobs").  Worked out
 * from the specification (and checked with an independent encoder), not
 * copied from tree_encode's output.
 */
#define X5	"7878787878"
#define X15	X5 X5 X5
#define X255	X15 X15 X15 X15 X15 X15 X15 X15 X15 X15 X15 X15 X15 X15 \
		X15 X15 X15
#define R32(b)	b b b b b b b b b b b b b b b b b b b b b b b b b b b b b b \
		b b

static const char kat_hex[] =
    "01" "07"				/* magic, 7 nodes */
    /* FILE "README" */
    "01" "06" "524541444d45"		/* type, name */
    "a403" "e807" "64"			/* mode 0644, uid 1000, gid 100 */
    "80c49fd50c" "959aef3a"		/* mtime 1700000000.123456789 */
    "01" "ff93ebdc03"			/* atime -1 (zigzag 1).999999999 */
    "00" "00"				/* ctime 0.0 */
    "e0a712" "2a" "8110" "01"		/* size 300000, ino 42, dev 2049, */
					/* nlink 1 */
    "02" R32("11") R32("22")		/* 2 content ids */
    "02" "06" "757365722e61" "03" "780079"	/* user.a = "x\0y" */
    "06" "757365722e62" "00"		/* user.b = "" */
    /* DIR "dir" */
    "02" "03" "646972" "ed03" "00" "00"	/* mode 0755, uid 0, gid 0 */
    "0200" "0400" "0600"		/* mtime 1, atime 2, ctime 3 */
    "00" "8001" "8110" "02"		/* size 0, ino 128, dev, nlink 2 */
    R32("33") "00"			/* subtree, no xattrs */
    /* FIFO "fifo" */
    "04" "04" "6669666f" "8003" "feff03" "feff03"	/* 0600, 65534 */
    "0000" "0000" "0000" "00" "ac02" "00" "01" "00"	/* ino 300 */
    /* SYMLINK "link" -> "../dir" */
    "03" "04" "6c696e6b" "ff03" "00" "00" "0000" "0000" "0000"
    "00" "07" "00" "01" "06" "2e2e2f646972"
    "01" "10" "73656375726974792e73656c696e7578" "03" "637478"
    /* CHR "null", rdev 0x103 */
    "05" "04" "6e756c6c" "b603" "00" "00" "0000" "0000" "0000"
    "00" "05" "06" "01" "8302" "00"
    /* FILE "x" * 255: name length 255 is ff 01; mode 04755 */
    "01" "ff01" X255 "ed13" "00" "00"
    "fff9d3ba10" "00" "0000" "0000"	/* mtime -2208988800 */
    "00" "01" "01" "01" "00" "00"	/* no content, no xattrs */
    /* FILE "\xff\xfe\x80" (not UTF-8) with an ACL xattr */
    "01" "03" "fffe80" "a003" "00" "00" "0000" "0000" "0000"
    "00" "02" "01" "01" "00"
    "01" "17" "73797374656d2e706f7369785f61636c5f616363657373"
    "04" "02000000";

/* Give n a malloc'd copy of name. */
static void
set_name(struct node *n, const char *name, size_t len)
{

	n->name = malloc(len);
	memcpy(n->name, name, len);
	n->name_len = len;
}

static void
add_xattr(struct node *n, const char *name, const char *val, size_t len)
{

	n->xattrs = realloc(n->xattrs, (n->nxattrs + 1) * sizeof(*n->xattrs));
	n->xattrs[n->nxattrs].name = strdup(name);
	n->xattrs[n->nxattrs].value = malloc(len + 1);
	memcpy(n->xattrs[n->nxattrs].value, val, len);
	n->xattrs[n->nxattrs].value_len = len;
	n->nxattrs++;
}

/* Three nodes of the KAT tree (in no particular order). */
static void
kat_files(struct tree *t)
{
	struct node *n;
	char longname[255];

	memset(longname, 'x', sizeof(longname));

	n = tree_add(t);
	n->type = NODE_FILE;
	set_name(n, "\xff\xfe\x80", 3);
	n->mode = 0640;
	n->inode = 2;
	n->dev = 1;
	n->nlink = 1;
	add_xattr(n, "system.posix_acl_access", "\x02\0\0\0", 4);

	n = tree_add(t);
	n->type = NODE_FILE;
	set_name(n, longname, sizeof(longname));
	n->mode = 04755;
	n->mtime_sec = -2208988800;
	n->inode = 1;
	n->dev = 1;
	n->nlink = 1;

	n = tree_add(t);
	n->type = NODE_SYMLINK;
	set_name(n, "link", 4);
	n->mode = 0777;
	n->inode = 7;
	n->nlink = 1;
	n->target = malloc(6);
	memcpy(n->target, "../dir", 6);
	n->target_len = 6;
	add_xattr(n, "security.selinux", "ctx", 3);
}

/* Build the KAT tree, adding nodes out of order, then sort it. */
static void
kat_tree(struct tree *t)
{
	struct node *n;

	tree_init(t);
	kat_files(t);

	n = tree_add(t);
	n->type = NODE_FILE;
	set_name(n, "README", 6);
	n->mode = 0644;
	n->uid = 1000;
	n->gid = 100;
	n->mtime_sec = 1700000000;
	n->mtime_nsec = 123456789;
	n->atime_sec = -1;
	n->atime_nsec = 999999999;
	n->size = 300000;
	n->inode = 42;
	n->dev = 2049;
	n->nlink = 1;
	n->content = malloc(2 * BLOB_ID_LEN);
	memset(n->content[0], 0x11, BLOB_ID_LEN);
	memset(n->content[1], 0x22, BLOB_ID_LEN);
	n->ncontent = 2;
	add_xattr(n, "user.a", "x\0y", 3);
	add_xattr(n, "user.b", "", 0);

	n = tree_add(t);
	n->type = NODE_CHR;
	set_name(n, "null", 4);
	n->mode = 0666;
	n->inode = 5;
	n->dev = 6;
	n->nlink = 1;
	n->rdev = 0x103;

	n = tree_add(t);
	n->type = NODE_DIR;
	set_name(n, "dir", 3);
	n->mode = 0755;
	n->mtime_sec = 1;
	n->atime_sec = 2;
	n->ctime_sec = 3;
	n->inode = 128;
	n->dev = 2049;
	n->nlink = 2;
	memset(n->subtree, 0x33, BLOB_ID_LEN);

	n = tree_add(t);
	n->type = NODE_FIFO;
	set_name(n, "fifo", 4);
	n->mode = 0600;
	n->uid = n->gid = 65534;
	n->inode = 300;
	n->nlink = 1;

	CHECK(tree_sort(t) == 0);
}

static size_t
kat_bytes(uint8_t *out, size_t cap)
{

	return (test_hex2bin(kat_hex, out, cap));
}

static void
test_kat(void)
{
	struct tree t;
	struct buf b = BUF_INIT;
	uint8_t want[1024];
	size_t wlen = kat_bytes(want, sizeof(want));

	CHECK(wlen == 604);
	kat_tree(&t);
	CHECK(tree_encode(&t, &b) == 0);
	CHECK(b.len == wlen);
	if (b.len == wlen)
		CHECK_MEM(b.data, want, wlen);
	tree_release(&t);
	buf_release(&b);
}

static void
test_roundtrip(void)
{
	struct tree t;
	struct buf b = BUF_INIT;
	uint8_t want[1024];
	size_t wlen = kat_bytes(want, sizeof(want));
	const struct node *n;

	CHECK(tree_decode(want, wlen, &t) == 0);
	CHECK(t.n == 7);
	n = tree_find(&t, (const uint8_t *)"README", 6);
	CHECK(n != NULL && n->type == NODE_FILE && n->ncontent == 2 &&
	    n->atime_sec == -1 && n->atime_nsec == 999999999 &&
	    n->nxattrs == 2 && n->xattrs[0].value_len == 3 &&
	    memcmp(n->xattrs[0].value, "x\0y", 3) == 0 &&
	    n->xattrs[1].value_len == 0 && n->content[1][31] == 0x22);
	n = tree_find(&t, (const uint8_t *)"link", 4);
	CHECK(n != NULL && n->target_len == 6 &&
	    memcmp(n->target, "../dir", 6) == 0);
	n = tree_find(&t, (const uint8_t *)"null", 4);
	CHECK(n != NULL && n->type == NODE_CHR && n->rdev == 0x103);
	n = tree_find(&t, (const uint8_t *)"\xff\xfe\x80", 3);
	CHECK(n != NULL && n->mode == 0640);
	CHECK(tree_find(&t, (const uint8_t *)"nul", 3) == NULL);
	CHECK(tree_find(&t, (const uint8_t *)"nulll", 5) == NULL);

	CHECK(tree_encode(&t, &b) == 0);
	CHECK(b.len == wlen);
	if (b.len == wlen)
		CHECK_MEM(b.data, want, wlen);
	tree_release(&t);
	buf_release(&b);

	/* The example in docs/FORMAT.md. */
	wlen = test_hex2bin("0101" "04" "0161" "8003" "0000" "0280cab5ee01"
	    "0000" "0000" "00000000" "00", want, sizeof(want));
	CHECK(tree_decode(want, wlen, &t) == 0);
	CHECK(t.n == 1 && t.nodes[0].type == NODE_FIFO &&
	    t.nodes[0].mode == 0600 && t.nodes[0].mtime_sec == 1 &&
	    t.nodes[0].mtime_nsec == 500000000);
	tree_release(&t);

	/* The empty tree. */
	CHECK(tree_decode((const uint8_t *)"\x01\x00", 2, &t) == 0);
	CHECK(t.n == 0);
	CHECK(tree_encode(&t, &b) == 0);
	CHECK(b.len == 2 && memcmp(b.data, "\x01\x00", 2) == 0);
	tree_release(&t);
	buf_release(&b);
}

static void
test_truncations(void)
{
	struct tree t;
	uint8_t want[1024];
	size_t wlen = kat_bytes(want, sizeof(want));
	size_t i;
	int bad = 0;

	warnp_quiet(1);
	for (i = 0; i < wlen; i++) {
		if (tree_decode(want, i, &t) != 1) {
			fprintf(stderr, "  truncation to %zu accepted\n", i);
			bad = 1;
		}
		CHECK(t.n == 0 && t.nodes == NULL);
	}
	warnp_quiet(0);
	CHECK(bad == 0);
}

/*
 * A minimal valid node: fifo "a", everything zero.  The fields after the
 * name are mode uid gid, mtime atime ctime (2 each), size ino dev nlink,
 * and the xattr count.
 */
#define FIFO(name)	"04" "01" name "000000" "000000000000" "00000000" "00"
#define FILE0(rest)	"01" "0161" "000000" "000000000000" "00000000" rest

static const struct {
	const char *what;
	const char *hex;
} bad_inputs[] = {
	{ "empty input", "" },
	{ "bad magic", "02" "00" },
	{ "magic only", "01" },
	{ "trailing byte", "01" "00" "00" },
	{ "trailing after node", "01" "01" FIFO("61") "00" },
	{ "non-canonical count", "01" "8000" },
	{ "non-canonical mode", "01" "01" "040161" "8000" "00" "00"
	    "000000000000" "00000000" "00" },
	{ "overlong varint", "01" "ffffffffffffffffff02" },
	{ "unsorted", "01" "02" FIFO("62") FIFO("61") },
	{ "duplicate", "01" "02" FIFO("61") FIFO("61") },
	{ "prefix after longer", "01" "02" "04" "026161" "000000"
	    "000000000000" "00000000" "00" FIFO("61") },
	{ "nsec = 1e9", "01" "01" "040161" "000000" "00" "8094ebdc03"
	    "00000000" "00000000" "00" },
	{ "slash in name", "01" "01" FIFO("2f") },
	{ "NUL in name", "01" "01" FIFO("00") },
	{ "dot", "01" "01" FIFO("2e") },
	{ "dot dot", "01" "01" "04" "022e2e" "000000" "000000000000"
	    "00000000" "00" },
	/* Padded with zeros so that the node count is plausible. */
	{ "empty name", "01" "01" "04" "00" "000000" "000000000000"
	    "00000000" "00" "00" },
	{ "name of 256 bytes", "01" "01" "04" "8002" "61" "00000000000000"
	    "000000000000" },
	{ "type 0", "01" "01" "00" "0161" "000000" "000000000000"
	    "00000000" "00" },
	{ "type 8", "01" "01" "08" "0161" "000000" "000000000000"
	    "00000000" "00" },
	{ "count 2^24 + 1", "01" "81808008" FIFO("61") },
	{ "count 2^24, short", "01" "80808008" FIFO("61") },
	{ "count 5, one node", "01" "05" FIFO("61") },
	{ "huge content count", "01" "01" FILE0("ffffff7f") },
	{ "content above max", "01" "01" FILE0("8180808001") },
	{ "content short", "01" "01" FILE0("01" "1111") },
	{ "huge xattr count", "01" "01" "040161" "000000" "000000000000"
	    "00000000" "8020" "0161" "00" },
	{ "xattr count above max", "01" "01" "040161" "000000"
	    "000000000000" "00000000" "8120" },
	{ "xattrs unsorted", "01" "01" "040161" "000000" "000000000000"
	    "00000000" "02" "0162" "00" "0161" "00" },
	{ "xattrs duplicate", "01" "01" "040161" "000000" "000000000000"
	    "00000000" "02" "0161" "00" "0161" "00" },
	{ "xattr name NUL", "01" "01" "040161" "000000" "000000000000"
	    "00000000" "01" "026100" "00" },
	{ "xattr name empty", "01" "01" "040161" "000000" "000000000000"
	    "00000000" "01" "00" "00" "00" },
	{ "xattr value 1MiB+1", "01" "01" "040161" "000000" "000000000000"
	    "00000000" "01" "0161" "81804000" },
	{ "size on a fifo", "01" "01" "040161" "000000" "000000000000"
	    "05000000" "00" },
	{ "mode 010000", "01" "01" "040161" "802000" "00" "000000000000"
	    "00000000" "00" },
	{ "uid 2^32", "01" "01" "040161" "00" "8080808010" "00"
	    "000000000000" "00000000" "00" },
	{ "empty symlink target", "01" "01" "030161" "000000"
	    "000000000000" "00000000" "00" "00" },
	{ "NUL in target", "01" "01" "030161" "000000" "000000000000"
	    "00000000" "026100" "00" },
	{ "target too long", "01" "01" "030161" "000000" "000000000000"
	    "00000000" "81800400" },
	{ "subtree truncated", "01" "01" "020161" "000000" "000000000000"
	    "00000000" "3333" },
	{ "content on a dir", "01" "01" "020161" "000000" "000000000000"
	    "00000000" "01" R32("11") R32("33") "00" },
};

static void
test_malformed(void)
{
	struct tree t;
	uint8_t in[512];
	size_t i, len;

	warnp_quiet(1);
	for (i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		len = test_hex2bin(bad_inputs[i].hex, in, sizeof(in));
		if (tree_decode(in, len, &t) != 1) {
			fprintf(stderr, "  accepted: %s\n",
			    bad_inputs[i].what);
			test_failed_now = 1;
		}
		CHECK(t.n == 0);
	}
	warnp_quiet(0);

	/* And the base cases those were derived from are valid. */
	len = test_hex2bin("01" "01" FIFO("61"), in, sizeof(in));
	CHECK(tree_decode(in, len, &t) == 0 && t.n == 1);
	tree_release(&t);
	len = test_hex2bin("01" "02" FIFO("61") "04" "026161" "000000"
	    "000000000000" "00000000" "00", in, sizeof(in));
	CHECK(tree_decode(in, len, &t) == 0 && t.n == 2);
	tree_release(&t);
}

/* Encoding refuses what decoding would refuse, and leaves out alone. */
static void
test_encode_rejects(void)
{
	struct tree t;
	struct node *n;
	struct buf b = BUF_INIT;

	CHECK(buf_append(&b, "pre", 3) == 0);
	warnp_quiet(1);

	kat_tree(&t);
	t.nodes[1].content = calloc(1, BLOB_ID_LEN);
	t.nodes[1].ncontent = 1;		/* content on "dir" */
	CHECK(tree_encode(&t, &b) == -1);
	tree_release(&t);

	kat_tree(&t);
	t.nodes[0].name[1] = '/';
	CHECK(tree_encode(&t, &b) == -1);
	tree_release(&t);

	kat_tree(&t);
	t.nodes[0].xattrs[0].name[5] = 'c';	/* user.c > user.b */
	CHECK(tree_encode(&t, &b) == -1);
	tree_release(&t);

	kat_tree(&t);
	t.nodes[2].mtime_nsec = 1000000000;
	CHECK(tree_encode(&t, &b) == -1);
	tree_release(&t);

	tree_init(&t);
	n = tree_add(&t);
	n->type = NODE_FIFO;
	set_name(n, "b", 1);
	n = tree_add(&t);
	n->type = NODE_FIFO;
	set_name(n, "a", 1);
	CHECK(tree_encode(&t, &b) == -1);	/* not sorted */
	CHECK(tree_sort(&t) == 0);
	t.nodes[1].name[0] = 'a';
	CHECK(tree_encode(&t, &b) == -1);	/* duplicate */
	CHECK(tree_sort(&t) == -1);
	tree_release(&t);

	warnp_quiet(0);
	CHECK(b.len == 3 && memcmp(b.data, "pre", 3) == 0);
	buf_release(&b);
}

/* Bytewise unsigned order, a proper prefix before its extensions. */
static void
test_sort_order(void)
{
	static const char *const want[] = {
		"A", "Z", "a", "aa", "ab", "a\x7f", "a\x80", "a\x80\x01",
		"b", "\x7f", "\x80", "\xff", "\xff\xff"
	};
	const size_t nwant = sizeof(want) / sizeof(want[0]);
	static const size_t perm[] = { 7, 3, 12, 0, 9, 5, 11, 1, 8, 4, 10,
	    2, 6 };
	struct tree t;
	struct node *n;
	size_t i;

	tree_init(&t);
	for (i = 0; i < nwant; i++) {
		n = tree_add(&t);
		n->type = NODE_FIFO;
		set_name(n, want[perm[i]], strlen(want[perm[i]]));
	}
	CHECK(tree_sort(&t) == 0);
	for (i = 0; i < nwant; i++) {
		CHECK(t.nodes[i].name_len == strlen(want[i]) &&
		    memcmp(t.nodes[i].name, want[i], strlen(want[i])) == 0);
		CHECK(tree_find(&t, (const uint8_t *)want[i],
		    strlen(want[i])) == &t.nodes[i]);
	}
	CHECK(tree_find(&t, (const uint8_t *)"a\x80\x00", 3) == NULL);
	CHECK(tree_find(&t, (const uint8_t *)"", 0) == NULL);
	tree_release(&t);
}

int
main(int argc, char *argv[])
{

	(void)argc;
	warnp_setprogname(argv[0]);
	RUN(test_kat);
	RUN(test_roundtrip);
	RUN(test_truncations);
	RUN(test_malformed);
	RUN(test_encode_rejects);
	RUN(test_sort_order);
	return (TEST_EXIT());
}
