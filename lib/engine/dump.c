/*
 * dump: files and tar archives out of a snapshot (see dump.h).
 *
 * The tar format written (POSIX.1-2001, "pax interchange format"): each
 * entry is a 512-byte ustar header, then the content padded to a multiple
 * of 512 bytes.  What a ustar header cannot hold goes first in an
 * extended header (typeflag 'x') of "LEN KEY=VALUE\n" records: "path"
 * when the name does not fit the 100-byte name and 155-byte prefix fields,
 * "linkpath" beyond 100 bytes, "size" from 8 GiB, "uid"/"gid" from 2^21,
 * "mtime" for times before 1970, after 2242, or with nanoseconds (as
 * "SECONDS.NNNNNNNNN") and "SCHILY.xattr.NAME" for each extended
 * attribute.  Names and targets are the snapshot's bytes, UTF-8 or not
 * (as GNU tar writes them; it warns about, and ignores, "hdrcharset").
 * Numeric ustar fields are octal, NUL-terminated; the checksum is the sum
 * of the header's bytes with the checksum field counted as spaces.  Files
 * with several links and the same (dev, inode) are written once, then as
 * hard links (typeflag '1') to the first name.  The archive ends with two
 * zero blocks, padded to a 10240-byte record as tar(1) writes it.
 */
#include <sys/sysmacros.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "engine/blobread.h"
#include "util/idset.h"
#include "util/warnp.h"

#include "dump.h"

#define BLK	512
#define RECORD	10240

struct tw {
	struct repo *r;
	struct index *ix;
	FILE *out;
	uint64_t written;
	struct idset *links;	/* (dev, inode) -> index in names */
	char **names;		/* tar names of first links */
	size_t nnames;
	size_t nskipped;
	int werr;
};

static int
out(struct tw *w, const void *p, size_t n)
{

	if (n > 0 && fwrite(p, 1, n, w->out) != n) {
		if (!w->werr)
			warnp("write error");
		w->werr = 1;
		return (-1);
	}
	w->written += n;
	return (0);
}

static int
pad(struct tw *w)
{
	static const uint8_t zero[BLK];
	size_t r = (size_t)(w->written % BLK);

	return (r == 0 ? 0 : out(w, zero, BLK - r));
}

int
dump_file(struct repo *r, struct index *ix, const struct node *nd,
    FILE *f)
{
	struct buf b = BUF_INIT;
	uint64_t total = 0;
	size_t i;
	int rc = 0;

	for (i = 0; i < nd->ncontent && rc == 0; i++) {
		if ((rc = blob_read(r, ix, nd->content[i], BLOB_DATA,
		    &b)) != 0)
			break;
		total += b.len;
		if (total > nd->size) {
			warn0("%.*s: content longer than its size",
			    (int)nd->name_len, (const char *)nd->name);
			rc = 1;
		} else if (fwrite(b.data, 1, b.len, f) != b.len) {
			warnp("write error");
			rc = -1;
		}
	}
	if (rc == 0 && total != nd->size) {
		warn0("%.*s: content shorter than its size",
		    (int)nd->name_len, (const char *)nd->name);
		rc = 1;
	}
	buf_release(&b);
	return (rc);
}

/* Octal, NUL-terminated, in a field of w bytes: -1 if it does not fit. */
static int
oct(char *f, size_t w, uint64_t v)
{
	size_t i = w - 1;

	f[i] = '\0';
	while (i > 0) {
		f[--i] = (char)('0' + (v & 7));
		v >>= 3;
	}
	return (v == 0 ? 0 : -1);
}

/* One "LEN KEY=VALUE\n" record; LEN counts the whole record. */
static int
pax_add(struct buf *px, const char *key, const void *val, size_t vlen)
{
	size_t base = 1 + strlen(key) + 1 + vlen + 1, d = 1, total;
	char num[24];

	for (;;) {
		total = base + d;
		if ((size_t)snprintf(num, sizeof(num), "%zu", total) == d)
			break;
		d++;
	}
	return (buf_append(px, num, d) || buf_append(px, " ", 1) ||
	    buf_append(px, key, strlen(key)) || buf_append(px, "=", 1) ||
	    buf_append(px, val, vlen) || buf_append(px, "\n", 1) ? -1 : 0);
}

static int
pax_num(struct buf *px, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	return (pax_add(px, key, s, strlen(s)));
}

/* Fill in the checksum and write the header block. */
static int
put_header(struct tw *w, uint8_t h[BLK])
{
	unsigned int sum = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < BLK; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
	return (out(w, h, BLK));
}

static void
ustar_common(uint8_t h[BLK], int type)
{

	h[156] = (uint8_t)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
}

/* Put name in the name (and prefix) fields; 0, or -1 if it cannot. */
static int
set_name(uint8_t h[BLK], const char *name, size_t len)
{
	size_t i;

	if (len <= 100) {
		memcpy(h, name, len);
		return (0);
	}
	/* Split at a '/' into prefix (<= 155) and name (1..100). */
	for (i = len - 1; i > 0; i--) {
		if (name[i] != '/' || len - i - 1 > 100 || len - i - 1 == 0)
			continue;
		if (i > 155)
			continue;
		memcpy(h + 345, name, i);
		memcpy(h, name + i + 1, len - i - 1);
		return (0);
	}
	return (-1);
}

/* The mtime as a pax value: seconds, '.', nine digits. */
static void
pax_time(char *s, size_t n, int64_t sec, uint32_t nsec)
{

	if (sec < 0 && nsec > 0)
		snprintf(s, n, "-%lld.%09u", (long long)(-(sec + 1)),
		    1000000000u - nsec);
	else
		snprintf(s, n, "%lld.%09u", (long long)sec, nsec);
}

/*
 * Write the header(s) of one entry: its tar name (name, len), typeflag,
 * metadata from nd, content size, and link target for types '1' and '2'.
 */
static int
header(struct tw *w, const char *name, size_t len, int type,
    const struct node *nd, uint64_t size, const uint8_t *link, size_t llen)
{
	uint8_t h[BLK], x[BLK];
	struct buf px = BUF_INIT;
	char t[48], key[300];
	const char *base;
	size_t i, e;
	int rc = -1;

	memset(h, 0, sizeof(h));
	ustar_common(h, type);
	if (set_name(h, name, len)) {
		memcpy(h, name, 100);
		if (pax_add(&px, "path", name, len))
			goto done;
	}
	if (llen > 100) {
		memcpy(h + 157, link, 100);
		if (pax_add(&px, "linkpath", link, llen))
			goto done;
	} else if (llen > 0)
		memcpy(h + 157, link, llen);
	oct((char *)h + 100, 8, nd->mode & 07777);
	if (oct((char *)h + 108, 8, nd->uid) && (oct((char *)h + 108, 8, 0) ||
	    pax_num(&px, "uid", nd->uid)))
		goto done;
	if (oct((char *)h + 116, 8, nd->gid) && (oct((char *)h + 116, 8, 0) ||
	    pax_num(&px, "gid", nd->gid)))
		goto done;
	if (oct((char *)h + 124, 12, size) && (oct((char *)h + 124, 12, 0) ||
	    pax_num(&px, "size", size)))
		goto done;
	if (nd->mtime_sec < 0 || oct((char *)h + 136, 12,
	    (uint64_t)nd->mtime_sec) || nd->mtime_nsec != 0) {
		if (nd->mtime_sec < 0 || oct((char *)h + 136, 12,
		    (uint64_t)nd->mtime_sec))
			oct((char *)h + 136, 12, 0);
		pax_time(t, sizeof(t), nd->mtime_sec, nd->mtime_nsec);
		if (pax_add(&px, "mtime", t, strlen(t)))
			goto done;
	}
	if (type == '3' || type == '4') {
		oct((char *)h + 329, 8, major((dev_t)nd->rdev));
		oct((char *)h + 337, 8, minor((dev_t)nd->rdev));
	}
	for (i = 0; i < nd->nxattrs; i++) {
		snprintf(key, sizeof(key), "SCHILY.xattr.%s",
		    nd->xattrs[i].name);
		if (pax_add(&px, key, nd->xattrs[i].value,
		    nd->xattrs[i].value_len))
			goto done;
	}
	if (px.len > 0) {
		/* The extended header: named after the entry, for tar -t. */
		memset(x, 0, sizeof(x));
		ustar_common(x, 'x');
		e = (len > 0 && name[len - 1] == '/') ? len - 1 : len;
		for (i = e; i > 0 && name[i - 1] != '/' && e - i < 80; i--)
			;
		base = name + i;
		snprintf((char *)x, 100, "PaxHeaders/%.*s", (int)(e - i),
		    base);
		oct((char *)x + 100, 8, 0644);
		oct((char *)x + 108, 8, 0);
		oct((char *)x + 116, 8, 0);
		oct((char *)x + 124, 12, px.len);
		memcpy(x + 136, h + 136, 12);
		if (put_header(w, x) || out(w, px.data, px.len) || pad(w))
			goto done;
	}
	rc = put_header(w, h);
done:
	if (rc && !w->werr)
		warn0("%.*s: cannot write its tar header", (int)len, name);
	buf_release(&px);
	return (rc);
}

/* Files with several links: the name of the first one written, if any. */
static int
hardlink(struct tw *w, const struct node *nd, const char *name, size_t len,
    const char **first)
{
	uint8_t k[16], key[32];
	size_t *slot;
	char **nv;
	int r;

	*first = NULL;
	if (nd->type != NODE_FILE || nd->nlink < 2)
		return (0);
	le64enc(k, nd->dev);
	le64enc(k + 8, nd->inode);
	crypto_sha256(k, sizeof(k), key);
	if ((r = idset_add(w->links, key)) < 0)
		return (-1);
	slot = idset_value(w->links, key);
	if (r == 0) {
		*first = w->names[*slot];
		return (0);
	}
	if ((nv = realloc(w->names, (w->nnames + 1) * sizeof(*nv))) == NULL)
		return (-1);
	w->names = nv;
	if ((nv[w->nnames] = strndup(name, len)) == NULL)
		return (-1);
	*slot = w->nnames++;
	return (0);
}

static int walk(struct tw *, const uint8_t[32], struct buf *);

/* One entry; path is its absolute path (the tar name is path + 1). */
static int
entry(struct tw *w, const struct node *nd, struct buf *path)
{
	const char *name = (const char *)path->data + 1, *first;
	size_t len = path->len - 1;
	int rc;

	switch (nd->type) {
	case NODE_DIR:
		if (buf_append(path, "/", 1))
			return (-1);
		name = (const char *)path->data + 1;
		rc = header(w, name, len + 1, '5', nd, 0, NULL, 0);
		path->len--;
		return (rc ? rc : walk(w, nd->subtree, path));
	case NODE_FILE:
		if (hardlink(w, nd, name, len, &first))
			return (-1);
		if (first != NULL)
			return (header(w, name, len, '1', nd, 0,
			    (const uint8_t *)first, strlen(first)));
		if (header(w, name, len, '0', nd, nd->size, NULL, 0))
			return (-1);
		if ((rc = dump_file(w->r, w->ix, nd, w->out)) != 0) {
			w->werr |= (rc < 0);
			return (rc);
		}
		w->written += nd->size;
		return (pad(w));
	case NODE_SYMLINK:
		return (header(w, name, len, '2', nd, 0, nd->target,
		    nd->target_len));
	case NODE_CHR:
		return (header(w, name, len, '3', nd, 0, NULL, 0));
	case NODE_BLK:
		return (header(w, name, len, '4', nd, 0, NULL, 0));
	case NODE_FIFO:
		return (header(w, name, len, '6', nd, 0, NULL, 0));
	default:
		warn0("%.*s: a socket cannot be put in a tar archive: "
		    "skipped", (int)len, name);
		w->nskipped++;
		return (0);
	}
}

static int
walk(struct tw *w, const uint8_t id[32], struct buf *path)
{
	struct tree t;
	size_t i, old = path->len;
	int rc = 0;

	if ((rc = tree_load(w->r, w->ix, id, &t)) != 0)
		return (rc);
	for (i = 0; i < t.n && rc == 0; i++) {
		if (buf_append(path, "/", 1) ||
		    buf_append(path, t.nodes[i].name, t.nodes[i].name_len)) {
			rc = -1;
			break;
		}
		rc = entry(w, &t.nodes[i], path);
		path->len = old;
	}
	tree_release(&t);
	return (rc);
}

int
dump_tar(struct repo *r, struct index *ix, const struct node *nd,
    const uint8_t tree[32], const char *path, FILE *f, size_t *nskipped)
{
	static const uint8_t zero[2 * BLK];
	struct buf p = BUF_INIT;
	struct tw w;
	size_t i, len = strlen(path);
	int rc = -1;

	memset(&w, 0, sizeof(w));
	w.r = r;
	w.ix = ix;
	w.out = f;
	if ((w.links = idset_new_map(sizeof(size_t))) == NULL)
		return (-1);
	/* No trailing '/': entry() and walk() add their own. */
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (path[0] != '/' && buf_append(&p, "/", 1))
		goto done;
	if (buf_append(&p, path, len))
		goto done;
	if (p.len == 1)
		p.len = 0;	/* the root: children are "/name" */
	if ((rc = (nd != NULL) ? entry(&w, nd, &p) : walk(&w, tree, &p)) ==
	    0 && (rc = out(&w, zero, sizeof(zero))) == 0) {
		/* Pad the last record, as tar does. */
		while (rc == 0 && w.written % RECORD != 0)
			rc = out(&w, zero, BLK);
		if (rc == 0 && fflush(f) != 0) {
			warnp("write error");
			rc = -1;
		}
	}
	if (w.werr)
		rc = -1;
done:
	*nskipped = w.nskipped;
	for (i = 0; i < w.nnames; i++)
		free(w.names[i]);
	free(w.names);
	idset_free(w.links);
	buf_release(&p);
	return (rc);
}
