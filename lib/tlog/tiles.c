/*
 * C2SP tlog-tiles: paths, a tile reader (a merkle_src over fetched
 * tiles) and a tile builder (the right edge of a growing tree).  See
 * tiles.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/warnp.h"

#include "tiles.h"

#define H		MERKLE_HASH_LEN
#define CACHE		8		/* tiles a reader keeps */

/* ---------------------------------------------------------------------- */
/* Paths. */

int
tile_path(int level, uint64_t n, unsigned w, char *out, size_t size)
{
	char grp[48], tmp[16];
	size_t len = 0;
	int k;

	if (level < TILE_ENTRIES || level >= 64 || w == 0 || w > TILE_WIDTH)
		return (-1);
	/* The groups of three digits, least significant first. */
	grp[0] = '\0';
	do {
		snprintf(tmp, sizeof(tmp), "%s%03u%s", len ? "x" : "",
		    (unsigned)(n % 1000), len ? "/" : "");
		/* Prepend. */
		if (strlen(tmp) + strlen(grp) >= sizeof(grp))
			return (-1);
		memmove(grp + strlen(tmp), grp, strlen(grp) + 1);
		memcpy(grp, tmp, strlen(tmp));
		len++;
		n /= 1000;
	} while (n > 0);
	if (level == TILE_ENTRIES)
		k = snprintf(out, size, "tile/entries/%s", grp);
	else
		k = snprintf(out, size, "tile/%d/%s", level, grp);
	if (k < 0 || (size_t)k >= size)
		return (-1);
	if (w < TILE_WIDTH) {
		len = (size_t)k;
		k = snprintf(out + len, size - len, ".p/%u", w);
		if (k < 0 || (size_t)k >= size - len)
			return (-1);
	}
	return (0);
}

int
tile_path_parse(const char *path, int *level, uint64_t *n, unsigned *w)
{
	char again[TILE_PATH_MAX];
	const char *p;
	uint64_t v = 0, d;
	unsigned long lw = TILE_WIDTH;
	int lv;
	size_t i;

	if (strncmp(path, "tile/", 5) != 0 || strlen(path) >= TILE_PATH_MAX)
		return (1);
	p = path + 5;
	if (strncmp(p, "entries/", 8) == 0) {
		lv = TILE_ENTRIES;
		p += 8;
	} else {
		if (p[0] < '0' || p[0] > '9')
			return (1);
		for (lv = 0; *p >= '0' && *p <= '9'; p++)
			if ((lv = lv * 10 + (*p - '0')) >= 64)
				return (1);
		if (*p++ != '/')
			return (1);
	}
	/* Groups: "xDDD/" ... then "DDD". */
	for (;;) {
		int x = (*p == 'x');

		p += x;
		for (i = 0; i < 3; i++)
			if (p[i] < '0' || p[i] > '9')
				return (1);
		d = (uint64_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 +
		    (p[2] - '0'));
		if (v > (UINT64_MAX - d) / 1000)
			return (1);
		v = v * 1000 + d;
		p += 3;
		if (!x)
			break;
		if (*p++ != '/')
			return (1);
	}
	if (strncmp(p, ".p/", 3) == 0) {
		if (p[3] < '1' || p[3] > '9' || strlen(p + 3) > 3)
			return (1);
		lw = strtoul(p + 3, NULL, 10);
		if (lw >= TILE_WIDTH)
			return (1);
	} else if (*p != '\0')
		return (1);
	/* Only the canonical form: formatting it again gives the same. */
	if (tile_path(lv, v, (unsigned)lw, again, sizeof(again)) != 0 ||
	    strcmp(again, path) != 0)
		return (1);
	*level = lv;
	*n = v;
	*w = (unsigned)lw;
	return (0);
}

unsigned
tile_width(int level, uint64_t n, uint64_t size)
{
	uint64_t s;
	unsigned l = (level < 0) ? 0 : (unsigned)level;

	if (l >= TILE_LEVELS)
		return (0);
	s = size >> (TILE_HEIGHT * l);
	if (n < s / TILE_WIDTH)
		return (TILE_WIDTH);
	if (n == s / TILE_WIDTH)
		return ((unsigned)(s % TILE_WIDTH));
	return (0);
}

/*
 * The hash of the 2^r hashes at h (an aligned run within one tile): the
 * complete subtree they are the leaves of.
 */
static void
run_hash(const uint8_t *h, unsigned r, uint8_t out[H])
{
	uint8_t tmp[TILE_WIDTH / 2 * H];
	size_t n = (size_t)1 << r, i;

	if (r == 0) {
		memcpy(out, h, H);
		return;
	}
	for (i = 0; i < n / 2; i++)
		merkle_node_hash(h + 2 * i * H, h + (2 * i + 1) * H,
		    tmp + i * H);
	for (n /= 2; n > 1; n /= 2)
		for (i = 0; i < n / 2; i++)
			merkle_node_hash(tmp + 2 * i * H, tmp + (2 * i + 1) * H,
			    tmp + i * H);
	memcpy(out, tmp, H);
}

/*
 * Where the complete subtree (level, index) lies in tiles: tile level
 * *tl, tile *tn, from hash *off, 2^*r hashes.  0, or -1 if beyond 2^64.
 */
static int
locate(unsigned level, uint64_t index, unsigned *tl, uint64_t *tn,
    unsigned *off, unsigned *r)
{
	uint64_t first;

	*tl = level / TILE_HEIGHT;
	*r = level % TILE_HEIGHT;
	if (*tl >= TILE_LEVELS || (*r > 0 && (index >> (64 - *r)) != 0))
		return (-1);
	first = index << *r;
	*tn = first / TILE_WIDTH;
	*off = (unsigned)(first % TILE_WIDTH);
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Reader. */

struct cached {
	int used;
	unsigned level, w;
	uint64_t n, stamp;
	uint8_t h[TILE_BYTES];
};

struct tile_reader {
	uint64_t size;
	tile_fetch_fn *fetch;
	void *cookie;
	uint64_t clock;
	struct cached c[CACHE];
};

struct tile_reader *
tile_reader_new(uint64_t size, tile_fetch_fn *fetch, void *cookie)
{
	struct tile_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		warnp("tile_reader_new");
		return (NULL);
	}
	r->size = size;
	r->fetch = fetch;
	r->cookie = cookie;
	return (r);
}

/* The tile (level, n) of width w, from the cache or fetched. */
static struct cached *
reader_tile(struct tile_reader *r, unsigned level, uint64_t n, unsigned w)
{
	struct buf b = BUF_INIT;
	struct cached *c, *old = &r->c[0];
	char path[TILE_PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; i < CACHE; i++) {
		c = &r->c[i];
		if (c->used && c->level == level && c->n == n && c->w == w) {
			c->stamp = ++r->clock;
			return (c);
		}
		if (!c->used || c->stamp < old->stamp)
			old = c;
	}
	if (tile_path((int)level, n, w, path, sizeof(path)))
		return (NULL);
	if ((rc = r->fetch(r->cookie, path, &b)) != 0) {
		if (rc == 1)
			warn0("%s: no such tile", path);
		buf_release(&b);
		return (NULL);
	}
	if (b.len != (size_t)w * H) {
		warn0("%s: %zu bytes, not %u hashes", path, b.len, w);
		buf_release(&b);
		return (NULL);
	}
	memcpy(old->h, b.data, b.len);
	buf_release(&b);
	old->used = 1;
	old->level = level;
	old->n = n;
	old->w = w;
	old->stamp = ++r->clock;
	return (old);
}

static int
reader_get(void *cookie, unsigned level, uint64_t index, uint8_t out[H])
{
	struct tile_reader *r = cookie;
	struct cached *c;
	uint64_t tn;
	unsigned tl, off, rr, w;

	if (locate(level, index, &tl, &tn, &off, &rr) ||
	    off + (1u << rr) > (w = tile_width((int)tl, tn, r->size))) {
		warn0("tiles: no subtree at level %u index %" PRIu64 " in a "
		    "tree of size %" PRIu64, level, index, r->size);
		return (-1);
	}
	if ((c = reader_tile(r, tl, tn, w)) == NULL)
		return (-1);
	run_hash(c->h + (size_t)off * H, rr, out);
	return (0);
}

void
tile_reader_src(struct tile_reader *r, struct merkle_src *src)
{

	src->get = reader_get;
	src->cookie = r;
}

void
tile_reader_free(struct tile_reader *r)
{

	free(r);
}

/* ---------------------------------------------------------------------- */
/* Entry bundles. */

int
tile_bundle_next(const uint8_t *p, size_t len, size_t *off,
    const uint8_t **e, size_t *elen)
{
	size_t n;

	if (*off == len)
		return (1);
	if (len - *off < 2)
		return (-1);
	n = ((size_t)p[*off] << 8) | p[*off + 1];
	if (len - *off - 2 < n)
		return (-1);
	*e = p + *off + 2;
	*elen = n;
	*off += 2 + n;
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Builder. */

struct tile_builder {
	uint64_t size;
	unsigned w[TILE_LEVELS];		/* hashes per partial tile */
	uint8_t h[TILE_LEVELS][TILE_BYTES];
	struct buf bundle;			/* the partial entry bundle */
};

/* Read the partial tile or bundle (level) of b's size into b. */
static int
builder_load(struct tile_builder *b, int level, tile_fetch_fn *fetch,
    void *cookie)
{
	struct buf d = BUF_INIT;
	char path[TILE_PATH_MAX];
	const uint8_t *e;
	uint8_t lh[H];
	unsigned l = (level < 0) ? 0 : (unsigned)level, w, k;
	uint64_t n = (b->size >> (TILE_HEIGHT * l)) / TILE_WIDTH;
	size_t off = 0, elen;
	int rc = -1;

	if ((w = tile_width(level, n, b->size)) == 0)
		return (0);
	if (tile_path(level, n, w, path, sizeof(path)) ||
	    (rc = fetch(cookie, path, &d)) != 0) {
		if (rc == 1)
			warn0("%s: missing", path);
		rc = -1;
		goto done;
	}
	rc = -1;
	if (level != TILE_ENTRIES) {
		if (d.len != (size_t)w * H) {
			warn0("%s: %zu bytes, not %u hashes", path, d.len, w);
			goto done;
		}
		memcpy(b->h[l], d.data, d.len);
		b->w[l] = w;
		rc = 0;
		goto done;
	}
	/* The bundle must hold the entries whose hashes tile 0 has. */
	for (k = 0; k < w; k++) {
		if (tile_bundle_next(d.data, d.len, &off, &e, &elen) != 0)
			break;
		merkle_leaf_hash(e, elen, lh);
		if (memcmp(lh, b->h[0] + (size_t)k * H, H) != 0)
			break;
	}
	if (k < w || off != d.len) {
		warn0("%s: does not match the level 0 tile", path);
		goto done;
	}
	rc = buf_append(&b->bundle, d.data, d.len);
done:
	buf_release(&d);
	return (rc);
}

struct tile_builder *
tile_builder_new(uint64_t size, tile_fetch_fn *fetch, void *cookie)
{
	struct tile_builder *b;
	int l;

	if ((b = calloc(1, sizeof(*b))) == NULL) {
		warnp("tile_builder_new");
		return (NULL);
	}
	b->size = size;
	for (l = 0; l < TILE_LEVELS; l++)
		if (builder_load(b, l, fetch, cookie))
			goto err;
	if (builder_load(b, TILE_ENTRIES, fetch, cookie))
		goto err;
	return (b);
err:
	tile_builder_free(b);
	return (NULL);
}

uint64_t
tile_builder_size(const struct tile_builder *b)
{

	return (b->size);
}

static int
emit_at(tile_emit_fn *emit, void *cookie, int level, uint64_t n, unsigned w,
    const uint8_t *p, size_t len)
{
	char path[TILE_PATH_MAX];

	if (tile_path(level, n, w, path, sizeof(path)))
		return (-1);
	return (emit(cookie, path, p, len));
}

int
tile_builder_append(struct tile_builder *b, const uint8_t *e, size_t len,
    tile_emit_fn *emit, void *cookie)
{
	uint8_t h[H], hdr[2];
	unsigned l;

	if (len > TILE_ENTRY_MAX || b->size == UINT64_MAX) {
		warn0("tiles: entry of %zu bytes refused", len);
		return (-1);
	}
	hdr[0] = (uint8_t)(len >> 8);
	hdr[1] = (uint8_t)len;
	if (buf_append(&b->bundle, hdr, 2) || buf_append(&b->bundle, e, len))
		return (-1);
	merkle_leaf_hash(e, len, h);
	b->size++;
	for (l = 0; l < TILE_LEVELS; l++) {
		memcpy(b->h[l] + (size_t)b->w[l] * H, h, H);
		if (++b->w[l] < TILE_WIDTH)
			break;
		/* Tile l is full: publish it, its hash goes up a level. */
		if (emit_at(emit, cookie, (int)l, ((b->size >>
		    (TILE_HEIGHT * l)) / TILE_WIDTH) - 1, TILE_WIDTH, b->h[l],
		    TILE_BYTES))
			return (-1);
		if (l == 0) {
			if (emit_at(emit, cookie, TILE_ENTRIES, (b->size /
			    TILE_WIDTH) - 1, TILE_WIDTH, b->bundle.data,
			    b->bundle.len))
				return (-1);
			b->bundle.len = 0;
		}
		run_hash(b->h[l], TILE_HEIGHT, h);
		b->w[l] = 0;
	}
	return (0);
}

int
tile_builder_flush(struct tile_builder *b, tile_emit_fn *emit, void *cookie)
{
	unsigned l;

	for (l = 0; l < TILE_LEVELS; l++) {
		if (b->w[l] == 0)
			continue;
		if (emit_at(emit, cookie, (int)l, (b->size >> (TILE_HEIGHT *
		    l)) / TILE_WIDTH, b->w[l], b->h[l], (size_t)b->w[l] * H))
			return (-1);
	}
	if (b->w[0] > 0 && emit_at(emit, cookie, TILE_ENTRIES,
	    b->size / TILE_WIDTH, b->w[0], b->bundle.data, b->bundle.len))
		return (-1);
	return (0);
}

/* The builder as a merkle_src: only the right edge (what roots need). */
static int
builder_get(void *cookie, unsigned level, uint64_t index, uint8_t out[H])
{
	struct tile_builder *b = cookie;
	uint64_t tn;
	unsigned tl, off, r;

	if (locate(level, index, &tl, &tn, &off, &r) ||
	    tn != (b->size >> (TILE_HEIGHT * tl)) / TILE_WIDTH ||
	    off + (1u << r) > b->w[tl]) {
		warn0("tiles: subtree at level %u index %" PRIu64 " is not on "
		    "the right edge", level, index);
		return (-1);
	}
	run_hash(b->h[tl] + (size_t)off * H, r, out);
	return (0);
}

int
tile_builder_root(struct tile_builder *b, uint8_t root[H])
{
	struct merkle_src src = { builder_get, b };

	return (merkle_root(&src, b->size, root));
}

void
tile_builder_free(struct tile_builder *b)
{

	if (b == NULL)
		return;
	buf_release(&b->bundle);
	free(b);
}
