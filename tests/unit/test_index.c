/*
 * The index (lib/index): index_parse on hand-built encodings of
 *
 *	"CFIX" || version(1) || varint npacks ||
 *	npacks * ( pack_id[32] || salt[32] || varint nblobs ||
 *	    nblobs * ( type || flags || varint offset || varint stored_len ||
 *	        varint raw_len || blob_id[32] ) )
 *
 * valid and not; then, on a local repository, this session's additions
 * and claims, index files written by index_flush and read back by
 * index_load, and the local cache: created, reused, rebuilt when stale.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/backend.h"
#include "crypto/crypto.h"
#include "index/index.h"
#include "pack/pack.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "test.h"

static uint8_t ID[REPO_ID_LEN], ROOT[CRYPTO_KEY_LEN];
static char cachedir[] = "/tmp/coffer-test-icache.XXXXXX";

/* What index_parse reported, in order. */
struct seen {
	struct idx_pack p[64];
	struct idx_entry e[64];
	size_t n;
	int stop_at;		/* return 5 at this call (1-based) if > 0 */
};

static int
seen_cb(void *cookie, const struct idx_pack *pk, const struct idx_entry *e)
{
	struct seen *s = cookie;

	if (s->n < 64) {
		s->p[s->n] = *pk;
		s->e[s->n] = *e;
	}
	s->n++;
	if (s->stop_at > 0 && (size_t)s->stop_at == s->n)
		return (5);
	return (0);
}

static int
parse(const uint8_t *p, size_t len, struct seen *s)
{
	uint8_t *q = malloc(len ? len : 1);
	int rc;

	s->n = 0;
	if (q == NULL)
		return (-1);
	if (len > 0)
		memcpy(q, p, len);
	rc = index_parse(q, len, seen_cb, s);
	free(q);
	return (rc);
}

/* Append raw bytes given as hex. */
static void
put_hex(struct buf *b, const char *hex)
{
	uint8_t t[64];
	size_t n = test_hex2bin(hex, t, sizeof(t));

	buf_append(b, t, n);
}

static void
put_fill(struct buf *b, uint8_t v, size_t n)
{
	while (n-- > 0)
		buf_put_u8(b, v);
}

/* One blob entry: type, flags, three varints, id[32] of byte v. */
static void
put_entry(struct buf *b, uint8_t type, uint8_t flags, uint64_t off,
    uint64_t sl, uint64_t rl, uint8_t v)
{

	buf_put_u8(b, type);
	buf_put_u8(b, flags);
	buf_put_varint(b, off);
	buf_put_varint(b, sl);
	buf_put_varint(b, rl);
	put_fill(b, v, 32);
}

/*
 * The valid index used below: two packs, the first with two blobs, the
 * second with one; extreme but legal values in the last entry.
 */
static void
valid_index(struct buf *b)
{

	b->len = 0;
	put_hex(b, "4346495801" "02");
	put_fill(b, 0xa1, 32);
	put_fill(b, 0xa2, 32);
	put_hex(b, "02");
	put_entry(b, BLOB_DATA, BLOB_F_ZSTD, 32, 1000, 5000, 0x11);
	put_entry(b, BLOB_TREE, 0, 1032, 16, 0, 0x12);
	put_fill(b, 0xb1, 32);
	put_fill(b, 0xb2, 32);
	put_hex(b, "01");
	put_entry(b, BLOB_DATA, 0, UINT32_MAX, UINT32_MAX, PACK_MAX_BLOB,
	    0x21);
}

static void
test_parse_valid(void)
{
	struct buf b = BUF_INIT;
	struct seen s;
	uint8_t want[32];

	memset(&s, 0, sizeof(s));
	/* Empty. */
	put_hex(&b, "4346495801" "00");
	CHECK(parse(b.data, b.len, &s) == 0 && s.n == 0);
	/* A pack with no blobs. */
	b.len = 0;
	put_hex(&b, "4346495801" "01");
	put_fill(&b, 1, 64);
	put_hex(&b, "00");
	CHECK(parse(b.data, b.len, &s) == 0 && s.n == 0);

	valid_index(&b);
	CHECK(parse(b.data, b.len, &s) == 0);
	CHECK(s.n == 3);
	memset(want, 0xa1, 32);
	CHECK_MEM(s.p[0].id, want, 32);
	CHECK_MEM(s.p[1].id, want, 32);
	memset(want, 0xa2, 32);
	CHECK_MEM(s.p[0].salt, want, 32);
	memset(want, 0xb1, 32);
	CHECK_MEM(s.p[2].id, want, 32);
	memset(want, 0xb2, 32);
	CHECK_MEM(s.p[2].salt, want, 32);
	CHECK(s.e[0].type == BLOB_DATA && s.e[0].flags == BLOB_F_ZSTD &&
	    s.e[0].offset == 32 && s.e[0].stored_len == 1000 &&
	    s.e[0].raw_len == 5000);
	memset(want, 0x11, 32);
	CHECK_MEM(s.e[0].id, want, 32);
	CHECK(s.e[1].type == BLOB_TREE && s.e[1].flags == 0 &&
	    s.e[1].offset == 1032 && s.e[1].stored_len == 16 &&
	    s.e[1].raw_len == 0);
	CHECK(s.e[2].offset == UINT32_MAX &&
	    s.e[2].stored_len == UINT32_MAX &&
	    s.e[2].raw_len == PACK_MAX_BLOB);
	memset(want, 0x21, 32);
	CHECK_MEM(s.e[2].id, want, 32);

	/* The callback's nonzero value stops the walk and is returned. */
	s.stop_at = 2;
	CHECK(parse(b.data, b.len, &s) == 5 && s.n == 2);
	s.stop_at = 0;
	buf_release(&b);
}

/* Patch valid_index's encoding and expect a refusal. */
static void
test_parse_invalid(void)
{
	struct buf b = BUF_INIT, v = BUF_INIT;
	struct seen s;
	size_t len, e0;
	int bad = 0;

	memset(&s, 0, sizeof(s));
	valid_index(&v);
	/* Offset of the first entry: magic, version, count, id, salt, n. */
	e0 = 4 + 1 + 1 + 64 + 1;

	/* Every proper prefix. */
	for (len = 0; len < v.len; len++)
		bad += (parse(v.data, len, &s) != 1);
	CHECK(bad == 0);
	/* Trailing bytes. */
	b.len = 0;
	buf_append(&b, v.data, v.len);
	buf_put_u8(&b, 0);
	CHECK(parse(b.data, b.len, &s) == 1);
	/* Bad magic, versions 0 and 2. */
	b.len = 0;
	buf_append(&b, v.data, v.len);
	b.data[3] = 'Y';
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[3] = 'X';
	b.data[4] = 0;
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[4] = 2;
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[4] = 1;
	CHECK(parse(b.data, b.len, &s) == 0);
	/* More packs than there are, and fewer. */
	b.data[5] = 3;
	CHECK(parse(b.data, b.len, &s) == 1);
	b.data[5] = 1;
	CHECK(parse(b.data, b.len, &s) == 1);	/* trailing pack */
	b.data[5] = 0x7f;
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[5] = 2;
	/* More blobs than there are. */
	b.data[e0 - 1] = 3;
	CHECK(parse(b.data, b.len, &s) == 1);
	b.data[e0 - 1] = 0x7f;
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[e0 - 1] = 2;
	/* Type 2, flags 2 and 0x80. */
	b.data[e0] = 2;
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[e0] = BLOB_DATA;
	b.data[e0 + 1] = 2;
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[e0 + 1] = 0x80;
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[e0 + 1] = BLOB_F_ZSTD;
	CHECK(parse(b.data, b.len, &s) == 0);

	/* A huge pack count (a 9-byte varint) in a short input. */
	b.len = 0;
	put_hex(&b, "4346495801" "ffffffffffffffff7f");
	CHECK(parse(b.data, b.len, &s) == 1);
	/* Non-canonical varints: 0 as 80 00, 2 as 82 00. */
	b.len = 0;
	put_hex(&b, "4346495801" "8000");
	CHECK(parse(b.data, b.len, &s) == 1);
	b.len = 0;
	put_hex(&b, "4346495801" "00");
	CHECK(parse(b.data, b.len, &s) == 0);
	b.len = 0;
	put_hex(&b, "4346495801" "01");
	put_fill(&b, 1, 64);
	put_hex(&b, "8100");
	put_entry(&b, 0, 0, 32, 16, 0, 3);
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	/* ... and in an entry's offset: 32 as a0 00. */
	b.len = 0;
	put_hex(&b, "4346495801" "01");
	put_fill(&b, 1, 64);
	put_hex(&b, "01" "0000" "a000" "10" "00");
	put_fill(&b, 3, 32);
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
	b.data[b.len - 32 - 5] = 0x20;	/* a0 -> 20: canonical 32 ... */
	CHECK(parse(b.data, b.len, &s) == 1);	/* ... with a stray 00 */
	/* A varint of 11 bytes (overflow). */
	b.len = 0;
	put_hex(&b, "4346495801" "01");
	put_fill(&b, 1, 64);
	put_hex(&b, "01" "0000" "ffffffffffffffffff02" "10" "00");
	put_fill(&b, 3, 32);
	CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);

	/* Field bounds: offset, stored_len 2^32; stored_len 15; raw_len. */
	{
		static const uint64_t f[][3] = {
			{ UINT64_C(1) << 32, 16, 0 },
			{ 32, UINT64_C(1) << 32, 0 },
			{ 32, 15, 0 },
			{ 32, 0, 0 },
			{ 32, 16, PACK_MAX_BLOB + 1ULL },
			{ 32, 16, UINT64_MAX },
			{ UINT64_MAX, 16, 0 },
		};
		size_t i;

		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
			b.len = 0;
			put_hex(&b, "4346495801" "01");
			put_fill(&b, 1, 64);
			put_hex(&b, "01");
			put_entry(&b, 0, 0, f[i][0], f[i][1], f[i][2], 3);
			CHECK(parse(b.data, b.len, &s) == 1 && s.n == 0);
		}
		/* The limits themselves are fine. */
		b.len = 0;
		put_hex(&b, "4346495801" "01");
		put_fill(&b, 1, 64);
		put_hex(&b, "01");
		put_entry(&b, 0, 0, 0, 16, PACK_MAX_BLOB, 3);
		CHECK(parse(b.data, b.len, &s) == 0 && s.n == 1);
	}
	buf_release(&b);
	buf_release(&v);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{

	(void)st;
	(void)flag;
	(void)f;
	return (remove(path));
}

static void
rm_rf(const char *dir)
{

	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A test pack: stored in the repository; its id, salt and entries. */
struct tpack {
	uint8_t id[32], salt[32];
	struct pack_entry e[8];
	size_t n;
};

/* Build and store a pack of n small blobs derived from seed. */
static int
store_pack(struct repo *r, unsigned int seed, size_t n, struct tpack *tp)
{
	struct pack_writer w;
	uint8_t blob[100], id[32];
	char name[65];
	size_t i, k;
	int rc = -1;

	if (n > 8 || pack_writer_init(&w, r))
		return (-1);
	for (i = 0; i < n; i++) {
		for (k = 0; k < sizeof(blob); k++)
			blob[k] = (uint8_t)(seed * 31 + i * 7 + k);
		if (blob_id_of(r, (uint8_t)(i & 1), blob, 50 + i, id) ||
		    pack_writer_add(&w, (uint8_t)(i & 1), id, 0, blob, 50 + i,
		    (uint32_t)(50 + i)))
			goto done;
	}
	if (pack_writer_finish(&w, tp->id))
		goto done;
	memcpy(tp->salt, w.salt, 32);
	memcpy(tp->e, w.e, n * sizeof(*w.e));
	tp->n = n;
	hex_encode(tp->id, 32, name);
	rc = backend_put(r->be, OBJ_DATA, name, w.data.data, w.data.len);
done:
	pack_writer_release(&w);
	return (rc);
}

/* Every blob of tp is found, where tp says, in pack tp. */
static int
finds_pack(struct index *ix, const struct tpack *tp)
{
	struct idx_entry e;
	struct idx_pack pk;
	size_t i;

	for (i = 0; i < tp->n; i++) {
		if (index_lookup(ix, tp->e[i].id, &e, &pk) != 1 ||
		    memcmp(e.id, tp->e[i].id, 32) != 0 ||
		    memcmp(pk.id, tp->id, 32) != 0 ||
		    memcmp(pk.salt, tp->salt, 32) != 0 ||
		    e.pack >= index_npacks(ix) ||
		    memcmp(index_pack(ix, e.pack)->id, tp->id, 32) != 0 ||
		    e.offset != tp->e[i].offset ||
		    e.stored_len != tp->e[i].stored_len ||
		    e.raw_len != tp->e[i].raw_len ||
		    e.type != tp->e[i].type || e.flags != tp->e[i].flags)
			return (0);
		/* Without asking for the pack, too. */
		if (index_lookup(ix, tp->e[i].id, &e, NULL) != 1)
			return (0);
	}
	return (1);
}

/* None of tp's blobs is found. */
static int
finds_none(struct index *ix, const struct tpack *tp)
{
	struct idx_entry e;
	size_t i;

	for (i = 0; i < tp->n; i++)
		if (index_lookup(ix, tp->e[i].id, &e, NULL) != 0)
			return (0);
	return (1);
}

static int
count_cb(void *cookie, const char *name, uint64_t size)
{

	(void)name;
	(void)size;
	(*(size_t *)cookie)++;
	return (0);
}

static size_t
count_objects(struct repo *r, enum obj_type t)
{
	size_t n = 0;

	if (backend_list(r->be, t, count_cb, &n))
		return ((size_t)-1);
	return (n);
}

/* index_foreach: how many entries, and whether all name a known pack. */
struct fe {
	size_t n;
	int inrange;
	size_t npacks;
};

static int
foreach_cb(void *cookie, const struct idx_pack *pk, const struct idx_entry *e)
{
	struct fe *f = cookie;

	(void)pk;
	if (e->pack >= f->npacks)
		f->inrange = 0;
	f->n++;
	return (0);
}

/* Open a fresh repository in a temporary directory. */
static struct repo *
open_repo(char *dir)
{
	struct backend *be;
	struct repo *r;

	if (mkdtemp(dir) == NULL || (be = backend_local_open(dir)) == NULL)
		return (NULL);
	if (backend_create(be) || repo_from_root(be, ID, ROOT, &r)) {
		backend_free(be);
		return (NULL);
	}
	return (r);
}

/*
 * The cache file for the test repository: the one "index.v<N>" file
 * (not a temporary) in $COFFER_CACHE_DIR/<id hex>/ (docs/FORMAT.md, "Local
 * index cache").  Empty if there is none.
 */
static void
cache_file(char *path, size_t size)
{
	char idhex[65], dir[128];
	struct dirent *de;
	DIR *d;

	path[0] = '\0';
	hex_encode(ID, 32, idhex);
	snprintf(dir, sizeof(dir), "%s/%s", cachedir, idhex);
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "index.v", 7) == 0 &&
		    strstr(de->d_name, ".tmp") == NULL)
			snprintf(path, size, "%s/%s", dir, de->d_name);
	closedir(d);
}

/*
 * index_add_pack then index_flush writes one index file that index_load
 * reads back; every blob is found where it is.  Claims: a new id can be
 * claimed once; unclaimed, it can be claimed again; a stored one never.
 */
static void
test_flush_load(void)
{
	char dir[] = "/tmp/coffer-test-index.XXXXXX", cpath[4200];
	struct tpack a, b;
	struct repo *r;
	struct index *ix = NULL;
	struct idx_entry e;
	struct stat st;
	struct fe f;
	uint8_t newid[32];
	size_t i;

	if ((r = open_repo(dir)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(store_pack(r, 1, 3, &a) == 0);
	CHECK(store_pack(r, 2, 5, &b) == 0);
	CHECK(index_load(r, &ix) == 0);
	if (ix == NULL)
		goto done;
	CHECK(index_npacks(ix) == 0 && finds_none(ix, &a));

	/* Claim a's blobs, as the backup pipeline does, then store a. */
	for (i = 0; i < a.n; i++) {
		CHECK(index_claim(ix, a.e[i].id) == 0);
		CHECK(index_claim(ix, a.e[i].id) == 1);
		/* Claimed is not stored. */
		CHECK(index_lookup(ix, a.e[i].id, &e, NULL) == 0);
	}
	CHECK(index_add_pack(ix, a.id, a.salt, a.e, a.n) == 0);
	CHECK(finds_pack(ix, &a));
	for (i = 0; i < a.n; i++)
		CHECK(index_claim(ix, a.e[i].id) == 1);
	/* b without claims (as adopting a pack does). */
	CHECK(index_add_pack(ix, b.id, b.salt, b.e, b.n) == 0);
	CHECK(finds_pack(ix, &b) && finds_pack(ix, &a));
	CHECK(index_npacks(ix) == 2 && index_pending(ix) == 2);
	memset(&f, 0, sizeof(f));
	f.npacks = 2;
	f.inrange = 1;
	CHECK(index_foreach(ix, foreach_cb, &f) == 0);
	CHECK(f.n == a.n + b.n && f.inrange);

	CHECK(count_objects(r, OBJ_INDEX) == 0);
	CHECK(index_flush(ix, r) == 0);
	CHECK(index_pending(ix) == 0);
	CHECK(count_objects(r, OBJ_INDEX) == 1);
	/* Nothing queued: no new file. */
	CHECK(index_flush(ix, r) == 0);
	CHECK(count_objects(r, OBJ_INDEX) == 1);
	index_free(ix);
	ix = NULL;

	/* Read back from the repository; the cache file is written. */
	CHECK(index_load(r, &ix) == 0);
	if (ix == NULL)
		goto done;
	cache_file(cpath, sizeof(cpath));
	CHECK(cpath[0] != '\0' && stat(cpath, &st) == 0 &&
	    S_ISREG(st.st_mode));
	CHECK(index_npacks(ix) == 2);
	CHECK(finds_pack(ix, &a) && finds_pack(ix, &b));
	memset(&f, 0, sizeof(f));
	f.npacks = 2;
	f.inrange = 1;
	CHECK(index_foreach(ix, foreach_cb, &f) == 0);
	CHECK(f.n == a.n + b.n && f.inrange);

	/* Claims against stored blobs, and new ones. */
	for (i = 0; i < b.n; i++)
		CHECK(index_claim(ix, b.e[i].id) == 1);
	memset(newid, 0x5a, 32);
	CHECK(index_claim(ix, newid) == 0);
	CHECK(index_claim(ix, newid) == 1);
	index_unclaim(ix, newid);
	CHECK(index_claim(ix, newid) == 0);
	index_unclaim(ix, newid);
	/* Unclaiming a stored blob changes nothing. */
	index_unclaim(ix, a.e[0].id);
	CHECK(index_claim(ix, a.e[0].id) == 1 && finds_pack(ix, &a));
	index_free(ix);
	ix = NULL;
done:
	index_free(ix);
	repo_close(r);
	rm_rf(dir);
	rm_rf(cachedir);
	CHECK(mkdir(cachedir, 0700) == 0);
}

/*
 * Test id i: uniformly spread like a real (keyed) blob id, except that
 * runs of eight share their first eight bytes (the table's hash), to
 * make collisions and probe clusters.
 */
static void
claim_id(size_t i, uint8_t id[32])
{
	uint8_t t[8], h[32];

	le64enc(t, (uint64_t)i);
	crypto_sha256(t, 8, id);
	le64enc(t, (uint64_t)(i / 8));
	crypto_sha256(t, 8, h);
	memcpy(id, h, 8);
}

/*
 * Many claims (the table grows several times), then every other one
 * released: each released id can be claimed again, every other is still
 * taken (linear probing must survive the deletions).
 */
static void
test_claims_many(void)
{
	char dir[] = "/tmp/coffer-test-index.XXXXXX";
	struct repo *r;
	struct index *ix = NULL;
	struct idx_entry e;
	uint8_t id[32];
	size_t i, n = 5000, bad = 0;

	if ((r = open_repo(dir)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(index_load_fresh(r, &ix) == 0);
	if (ix == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		claim_id(i, id);
		bad += (index_claim(ix, id) != 0);
	}
	for (i = 0; i < n; i += 2) {
		claim_id(i, id);
		index_unclaim(ix, id);
	}
	for (i = 0; i < n; i++) {
		claim_id(i, id);
		bad += (index_claim(ix, id) != (i % 2 == 0 ? 0 : 1));
		bad += (index_lookup(ix, id, &e, NULL) != 0);
	}
	CHECK(bad == 0);
	/* After all that, claims can still be turned into a pack. */
	{
		struct pack_entry pe;
		uint8_t pid[32], salt[32];

		memset(&pe, 0, sizeof(pe));
		claim_id(4, pe.id);
		pe.offset = 32;
		pe.stored_len = 20;
		pe.raw_len = 4;
		memset(pid, 1, 32);
		memset(salt, 2, 32);
		CHECK(index_add_pack(ix, pid, salt, &pe, 1) == 0);
		CHECK(index_lookup(ix, pe.id, &e, NULL) == 1 &&
		    e.stored_len == 20);
		CHECK(index_claim(ix, pe.id) == 1);
	}
done:
	index_free(ix);
	repo_close(r);
	rm_rf(dir);
}

/* The smallest blob id among the packs' (entry 0 of the cache). */
static const uint8_t *
min_id(const struct tpack *const *v, size_t nv)
{
	const uint8_t *m = NULL;
	size_t i, j;

	for (i = 0; i < nv; i++)
		for (j = 0; j < v[i]->n; j++)
			if (m == NULL || memcmp(v[i]->e[j].id, m, 32) < 0)
				m = v[i]->e[j].id;
	return (m);
}

/*
 * The cache file (docs/FORMAT.md, "Local index cache") is reused while
 * the set of index files is the same, rewritten when one is added; its
 * size is 64 + 32 x files + 64 x packs + 52 x entries.  A truncated cache
 * is rebuilt; an entry whose pack number is out of range is not found.
 * index_load_fresh neither reads nor writes the cache.
 */
static void
test_cache(void)
{
	char dir[] = "/tmp/coffer-test-index.XXXXXX", cpath[4200];
	struct tpack a, b, c;
	const struct tpack *all[3] = { &a, &b, &c };
	struct repo *r;
	struct index *ix = NULL;
	struct idx_entry e;
	struct stat st1, st2;
	struct fe f;
	const uint8_t *m;
	FILE *fp;
	off_t want;

	if ((r = open_repo(dir)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(store_pack(r, 10, 4, &a) == 0);
	CHECK(store_pack(r, 11, 2, &b) == 0);
	CHECK(store_pack(r, 12, 6, &c) == 0);
	CHECK(index_load(r, &ix) == 0);
	if (ix == NULL)
		goto done;
	CHECK(index_add_pack(ix, a.id, a.salt, a.e, a.n) == 0);
	CHECK(index_add_pack(ix, b.id, b.salt, b.e, b.n) == 0);
	CHECK(index_flush(ix, r) == 0);
	index_free(ix);

	/* First load builds the cache, the second reuses it untouched. */
	CHECK(index_load(r, &ix) == 0);
	CHECK(ix != NULL && finds_pack(ix, &a) && finds_pack(ix, &b));
	index_free(ix);
	cache_file(cpath, sizeof(cpath));
	CHECK(stat(cpath, &st1) == 0);
	CHECK(st1.st_size == 64 + 32 + 2 * 64 +
	    (off_t)(a.n + b.n) * (off_t)sizeof(struct idx_entry));
	CHECK(index_load(r, &ix) == 0);
	CHECK(ix != NULL && finds_pack(ix, &a) && finds_pack(ix, &b));
	CHECK(stat(cpath, &st2) == 0);
	CHECK(st1.st_ino == st2.st_ino &&
	    st1.st_mtim.tv_sec == st2.st_mtim.tv_sec &&
	    st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec);

	/* Another index file: the cache is stale and rewritten. */
	CHECK(index_add_pack(ix, c.id, c.salt, c.e, c.n) == 0);
	CHECK(index_flush(ix, r) == 0);
	index_free(ix);
	CHECK(count_objects(r, OBJ_INDEX) == 2);
	CHECK(index_load(r, &ix) == 0);
	CHECK(ix != NULL && finds_pack(ix, &a) && finds_pack(ix, &b) &&
	    finds_pack(ix, &c));
	CHECK(ix != NULL && index_npacks(ix) == 3);
	index_free(ix);
	ix = NULL;
	want = 64 + 2 * 32 + 3 * 64 +
	    (off_t)(a.n + b.n + c.n) * (off_t)sizeof(struct idx_entry);
	CHECK(stat(cpath, &st2) == 0 && st1.st_ino != st2.st_ino);
	CHECK(st2.st_size == want);

	/* A truncated cache is rebuilt. */
	CHECK(truncate(cpath, 100) == 0);
	CHECK(index_load(r, &ix) == 0);
	CHECK(ix != NULL && finds_pack(ix, &a) && finds_pack(ix, &b) &&
	    finds_pack(ix, &c));
	index_free(ix);
	ix = NULL;
	CHECK(stat(cpath, &st1) == 0 && st1.st_size == want);

	/* Entry 0 (the smallest id) given pack number 2^31: not found. */
	m = min_id(all, 3);
	if ((fp = fopen(cpath, "r+b")) != NULL) {
		uint8_t pk[4] = { 0, 0, 0, 0x80 };

		fseek(fp, want - (off_t)(a.n + b.n + c.n) *
		    (off_t)sizeof(struct idx_entry) + 32, SEEK_SET);
		fwrite(pk, 1, 4, fp);
		fclose(fp);
	} else
		CHECK(0);
	CHECK(index_load(r, &ix) == 0);
	if (ix != NULL) {
		CHECK(index_lookup(ix, m, &e, NULL) == 0);
		memset(&f, 0, sizeof(f));
		f.npacks = 3;
		f.inrange = 1;
		CHECK(index_foreach(ix, foreach_cb, &f) == 0);
		CHECK(f.inrange && f.n == a.n + b.n + c.n - 1);
	}
	index_free(ix);
	ix = NULL;

	/* index_load_fresh: from the repository only, all found again. */
	CHECK(unlink(cpath) == 0);
	CHECK(index_load_fresh(r, &ix) == 0);
	CHECK(ix != NULL && finds_pack(ix, &a) && finds_pack(ix, &b) &&
	    finds_pack(ix, &c));
	index_free(ix);
	ix = NULL;
	CHECK(stat(cpath, &st1) != 0);
done:
	index_free(ix);
	repo_close(r);
	rm_rf(dir);
	rm_rf(cachedir);
	CHECK(mkdir(cachedir, 0700) == 0);
}

struct names {
	char v[8][65];
	size_t n;
};

static int
names_cb(void *cookie, const char *name, uint64_t size)
{
	struct names *nl = cookie;

	(void)size;
	if (nl->n < 8)
		memcpy(nl->v[nl->n], name, 65);
	nl->n++;
	return (0);
}

/* The name of the one index file that is in now but not in old. */
static int
new_index_name(struct repo *r, const struct names *old, char name[65])
{
	struct names nl;
	size_t i, j;

	memset(&nl, 0, sizeof(nl));
	if (backend_list(r->be, OBJ_INDEX, names_cb, &nl) || nl.n > 8)
		return (-1);
	for (i = 0; i < nl.n; i++) {
		for (j = 0; j < old->n; j++)
			if (strcmp(nl.v[i], old->v[j]) == 0)
				break;
		if (j == old->n) {
			memcpy(name, nl.v[i], 65);
			return (0);
		}
	}
	return (-1);
}

/* Store p as an index object under the hash of its bytes. */
static int
put_named(struct repo *r, const uint8_t *p, size_t len, char name[65])
{
	uint8_t h[32];

	crypto_sha256(p, len, h);
	hex_encode(h, 32, name);
	return (backend_put(r->be, OBJ_INDEX, name, p, len));
}

/*
 * Index files that are damaged (not authentic, or not matching their
 * name) or malformed inside are skipped: their packs are unknown, the
 * other files' packs are found.  Removing an index file makes the cache
 * stale: its packs are gone after the next load.
 */
static void
test_damaged_index(void)
{
	char dir[] = "/tmp/coffer-test-index.XXXXXX", na[65], nb[65], nx[65];
	struct names old;
	struct tpack a, b;
	struct repo *r;
	struct index *ix = NULL;
	struct buf o = BUF_INIT, v = BUF_INIT;
	uint8_t id[32];

	if ((r = open_repo(dir)) == NULL) {
		CHECK(0);
		return;
	}
	warnp_quiet(1);
	memset(&old, 0, sizeof(old));
	CHECK(store_pack(r, 20, 3, &a) == 0);
	CHECK(store_pack(r, 21, 3, &b) == 0);
	CHECK(index_load(r, &ix) == 0);
	if (ix == NULL)
		goto done;
	CHECK(index_add_pack(ix, a.id, a.salt, a.e, a.n) == 0);
	CHECK(index_flush(ix, r) == 0);
	CHECK(new_index_name(r, &old, na) == 0);
	memcpy(old.v[0], na, 65);
	old.n = 1;
	CHECK(index_add_pack(ix, b.id, b.salt, b.e, b.n) == 0);
	CHECK(index_flush(ix, r) == 0);
	CHECK(new_index_name(r, &old, nb) == 0);
	index_free(ix);
	ix = NULL;

	/* b's index file: one byte flipped, stored under its new hash. */
	CHECK(backend_get(r->be, OBJ_INDEX, nb, &o) == 0 && o.len > 100);
	o.data[o.len / 2] ^= 0x10;
	CHECK(put_named(r, o.data, o.len, nx) == 0);
	CHECK(backend_remove(r->be, OBJ_INDEX, nb) == 0);
	/* Garbage under a name that is not its hash. */
	memset(id, 0xee, 32);
	hex_encode(id, 32, nb);
	CHECK(backend_put(r->be, OBJ_INDEX, nb, o.data, 10) == 0);
	/* Authentic, but version 2 inside. */
	v.len = 0;
	put_hex(&v, "4346495802" "00");
	CHECK(repo_put_sealed(r, OBJ_INDEX, v.data, v.len, id) == 0);
	/* The same plaintext stored without sealing: not authentic. */
	CHECK(put_named(r, v.data, v.len, nx) == 0);
	CHECK(index_load(r, &ix) == 0);
	CHECK(ix != NULL && finds_pack(ix, &a) && finds_none(ix, &b));
	CHECK(ix != NULL && index_npacks(ix) == 1);
	index_free(ix);
	ix = NULL;

	/* a's index file removed: the cache is stale, a is gone. */
	CHECK(backend_remove(r->be, OBJ_INDEX, na) == 0);
	CHECK(index_load(r, &ix) == 0);
	CHECK(ix != NULL && finds_none(ix, &a) && finds_none(ix, &b));
	CHECK(ix != NULL && index_npacks(ix) == 0);
	index_free(ix);
	ix = NULL;
done:
	warnp_quiet(0);
	index_free(ix);
	buf_release(&o);
	buf_release(&v);
	repo_close(r);
	rm_rf(dir);
	rm_rf(cachedir);
	CHECK(mkdir(cachedir, 0700) == 0);
}

/* Append the index-file encoding of one pack. */
static void
put_pack(struct buf *b, const struct tpack *tp)
{
	size_t i;

	buf_append(b, tp->id, 32);
	buf_append(b, tp->salt, 32);
	buf_put_varint(b, tp->n);
	for (i = 0; i < tp->n; i++) {
		buf_put_u8(b, tp->e[i].type);
		buf_put_u8(b, tp->e[i].flags);
		buf_put_varint(b, tp->e[i].offset);
		buf_put_varint(b, tp->e[i].stored_len);
		buf_put_varint(b, tp->e[i].raw_len);
		buf_append(b, tp->e[i].id, 32);
	}
}

/*
 * An authentic index file that is malformed after its first pack (a
 * trailing byte; a bad entry in a second pack) is rejected as a whole
 * (docs/FORMAT.md, sections 10 and 15): none of its blobs is used, not
 * even those that came before the error.
 */
static void
test_malformed_index_whole(void)
{
	char dir[] = "/tmp/coffer-test-index.XXXXXX";
	struct tpack a, b, c;
	struct repo *r;
	struct index *ix = NULL;
	struct buf v = BUF_INIT;
	uint8_t id[32];

	if ((r = open_repo(dir)) == NULL) {
		CHECK(0);
		return;
	}
	warnp_quiet(1);
	CHECK(store_pack(r, 30, 3, &a) == 0);
	CHECK(store_pack(r, 31, 2, &b) == 0);
	CHECK(store_pack(r, 32, 2, &c) == 0);
	/* a, then a stray byte. */
	put_hex(&v, "4346495801" "01");
	put_pack(&v, &a);
	buf_put_u8(&v, 0);
	CHECK(repo_put_sealed(r, OBJ_INDEX, v.data, v.len, id) == 0);
	/* b, then a pack whose entry has type 2. */
	v.len = 0;
	put_hex(&v, "4346495801" "02");
	put_pack(&v, &b);
	c.e[1].type = 2;
	put_pack(&v, &c);
	c.e[1].type = 1;
	CHECK(repo_put_sealed(r, OBJ_INDEX, v.data, v.len, id) == 0);
	/* c alone, well formed. */
	v.len = 0;
	put_hex(&v, "4346495801" "01");
	put_pack(&v, &c);
	CHECK(repo_put_sealed(r, OBJ_INDEX, v.data, v.len, id) == 0);

	CHECK(index_load_fresh(r, &ix) == 0);
	CHECK(ix != NULL && finds_pack(ix, &c));
	CHECK(ix != NULL && finds_none(ix, &a));
	CHECK(ix != NULL && finds_none(ix, &b));
	index_free(ix);
	ix = NULL;
	warnp_quiet(0);
	buf_release(&v);
	repo_close(r);
	rm_rf(dir);
}

int
main(int argc, char *argv[])
{
	size_t i;

	(void)argc;
	warnp_setprogname(argv[0]);
	if (crypto_init())
		return (1);
	for (i = 0; i < 32; i++) {
		ID[i] = (uint8_t)(0x10 * (i & 3) + i);
		ROOT[i] = (uint8_t)(0x33 ^ (i * 5));
	}
	if (mkdtemp(cachedir) == NULL ||
	    setenv("COFFER_CACHE_DIR", cachedir, 1) != 0)
		return (1);
	RUN(test_parse_valid);
	RUN(test_parse_invalid);
	RUN(test_flush_load);
	RUN(test_claims_many);
	RUN(test_cache);
	RUN(test_damaged_index);
	RUN(test_malformed_index_whole);
	rm_rf(cachedir);
	return (TEST_EXIT());
}
