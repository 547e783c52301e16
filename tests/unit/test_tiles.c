/*
 * C2SP tlog-tiles (lib/tlog/tiles.c): paths (the spec's x001/x234/067
 * example and the non-canonical forms refused), the set of tiles of the
 * spec's 70,000-leaf example, tile contents and roots against the
 * in-memory tree for every size up to a few thousand, a builder resumed
 * from stored tiles writing the same bytes as one that never stopped,
 * and proofs computed from tiles equal to those from the full tree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/merkle.h"
#include "tlog/tiles.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "test.h"

#define H	MERKLE_HASH_LEN

/* An in-memory file store: path -> bytes. */
struct file {
	char path[TILE_PATH_MAX];
	struct buf data;
};

struct store {
	struct file *f;
	size_t n, cap;
	size_t fetches, writes, rewrites_differ;
};

static struct file *
store_find(struct store *s, const char *path)
{
	size_t i;

	for (i = s->n; i > 0; i--)
		if (strcmp(s->f[i - 1].path, path) == 0)
			return (&s->f[i - 1]);
	return (NULL);
}

static int
store_emit(void *cookie, const char *path, const uint8_t *p, size_t len)
{
	struct store *s = cookie;
	struct file *f;

	s->writes++;
	if ((f = store_find(s, path)) != NULL) {
		if (f->data.len != len || memcmp(f->data.data, p, len) != 0)
			s->rewrites_differ++;
		f->data.len = 0;
		return (buf_append(&f->data, p, len));
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->f = realloc(s->f, s->cap * sizeof(*s->f));
	}
	f = &s->f[s->n++];
	snprintf(f->path, sizeof(f->path), "%s", path);
	memset(&f->data, 0, sizeof(f->data));
	return (buf_append(&f->data, p, len));
}

static int
store_fetch(void *cookie, const char *path, struct buf *out)
{
	struct store *s = cookie;
	struct file *f;

	s->fetches++;
	if ((f = store_find(s, path)) == NULL)
		return (1);
	return (buf_append(out, f->data.data, f->data.len));
}

static void
store_free(struct store *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		buf_release(&s->f[i].data);
	free(s->f);
	memset(s, 0, sizeof(*s));
}

static void
entry_of(uint64_t i, uint8_t *e, size_t *len)
{

	*len = 1 + (size_t)(i % 40);
	memset(e, (int)(i & 0xff), *len);
	e[0] = (uint8_t)(i >> 8);
}

static void
test_paths(void)
{
	static const char *bad[] = {
		"tile/0/x000/005", "tile/00/000", "tile/0/05", "tile/0/0005",
		"tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/05",
		"tile/64/000", "tile/entries/000/", "tile/0/x001", "tile/0/",
		"tile/0/001/002", "tile/0/x001/002.p/", "tile/-1/000",
		"tile/data/000", "tile/0/000.p/12a", "/tile/0/000",
		"tile/0/x18446744073709551616/000",
	};
	char p[TILE_PATH_MAX];
	uint64_t n;
	unsigned w;
	size_t i;
	int l;

	CHECK(tile_path(0, 1234067, 256, p, sizeof(p)) == 0);
	CHECK(strcmp(p, "tile/0/x001/x234/067") == 0);
	CHECK(tile_path(TILE_ENTRIES, 1234067, 17, p, sizeof(p)) == 0);
	CHECK(strcmp(p, "tile/entries/x001/x234/067.p/17") == 0);
	CHECK(tile_path(2, 0, 1, p, sizeof(p)) == 0);
	CHECK(strcmp(p, "tile/2/000.p/1") == 0);
	CHECK(tile_path(63, 1000, 256, p, sizeof(p)) == 0);
	CHECK(strcmp(p, "tile/63/x001/000") == 0);
	CHECK(tile_path(0, UINT64_MAX, 255, p, sizeof(p)) == 0);
	CHECK(strcmp(p, "tile/0/x018/x446/x744/x073/x709/x551/615.p/255")
	    == 0);
	CHECK(tile_path_parse(p, &l, &n, &w) == 0 && l == 0 &&
	    n == UINT64_MAX && w == 255);
	CHECK(tile_path(0, 0, 0, p, sizeof(p)) == -1);
	CHECK(tile_path(64, 0, 1, p, sizeof(p)) == -1);
	CHECK(tile_path(0, 1234067, 256, p, 10) == -1);
	CHECK(tile_path_parse("tile/entries/x001/x234/067.p/17", &l, &n, &w)
	    == 0 && l == TILE_ENTRIES && n == 1234067 && w == 17);
	CHECK(tile_path_parse("tile/3/999", &l, &n, &w) == 0 && l == 3 &&
	    n == 999 && w == 256);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tile_path_parse(bad[i], &l, &n, &w) == 0) {
			fprintf(stderr, "  accepted %s\n", bad[i]);
			CHECK(0);
		}
	}
	/* Widths. */
	CHECK(tile_width(0, 273, 70000) == 112);
	CHECK(tile_width(0, 272, 70000) == 256);
	CHECK(tile_width(0, 274, 70000) == 0);
	CHECK(tile_width(1, 1, 70000) == 17);
	CHECK(tile_width(2, 0, 70000) == 1);
	CHECK(tile_width(3, 0, 70000) == 0);
	CHECK(tile_width(TILE_ENTRIES, 273, 70000) == 112);
	CHECK(tile_width(1, 0, 256) == 1 && tile_width(0, 1, 256) == 0);
}

static int
cmp_str(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* The spec's example: a tree of 70,000 leaves. */
static void
test_spec_70000(void)
{
	struct store s = { 0 };
	struct tile_builder *b;
	struct merkle_mem *t = merkle_mem_new();
	struct merkle_src src;
	uint8_t e[64], lh[H], r1[H], r2[H];
	char **names, want[TILE_PATH_MAX];
	size_t len, i, k = 0;
	uint64_t j;

	b = tile_builder_new(0, store_fetch, &s);
	for (j = 0; j < 70000; j++) {
		entry_of(j, e, &len);
		CHECK(tile_builder_append(b, e, len, store_emit, &s) == 0);
		merkle_leaf_hash(e, len, lh);
		merkle_mem_append(t, lh);
	}
	CHECK(tile_builder_flush(b, store_emit, &s) == 0);
	/* 273 full level 0 tiles and bundles, 0/273.p/112, 1/000,
	 * 1/001.p/17, 2/000.p/1, entries/273.p/112. */
	CHECK(s.n == 2 * 273 + 2 + 3);
	names = malloc(s.n * sizeof(*names));
	for (i = 0; i < s.n; i++)
		names[i] = s.f[i].path;
	qsort(names, s.n, sizeof(*names), cmp_str);
	for (j = 0; j < 273; j++) {
		tile_path(0, j, 256, want, sizeof(want));
		CHECK(bsearch(&(char *){ want }, names, s.n, sizeof(*names),
		    cmp_str) != NULL);
		tile_path(TILE_ENTRIES, j, 256, want, sizeof(want));
		CHECK(bsearch(&(char *){ want }, names, s.n, sizeof(*names),
		    cmp_str) != NULL);
	}
	CHECK(store_find(&s, "tile/0/273.p/112") != NULL);
	CHECK(store_find(&s, "tile/entries/273.p/112") != NULL);
	CHECK(store_find(&s, "tile/1/000") != NULL);
	CHECK(store_find(&s, "tile/1/001.p/17") != NULL);
	CHECK(store_find(&s, "tile/2/000.p/1") != NULL);
	free(names);
	/* Root from the builder, from the tiles, from the whole tree. */
	merkle_mem_src(t, &src);
	CHECK(merkle_root(&src, 70000, r1) == 0);
	CHECK(tile_builder_root(b, r2) == 0);
	CHECK_MEM(r1, r2, H);
	/* Each bundle's entries hash to its level 0 tile. */
	for (i = 0; i < s.n; i++) {
		const struct file *f = &s.f[i], *tf;
		const uint8_t *ent;
		size_t off = 0, elen, q = 0;

		if (strncmp(f->path, "tile/entries/", 13) != 0)
			continue;
		snprintf(want, sizeof(want), "tile/0/%s", f->path + 13);
		tf = store_find(&s, want);
		CHECK(tf != NULL);
		if (tf == NULL)
			continue;
		while (tile_bundle_next(f->data.data, f->data.len, &off, &ent,
		    &elen) == 0) {
			merkle_leaf_hash(ent, elen, lh);
			if (memcmp(lh, tf->data.data + q * H, H) != 0)
				k++;
			q++;
		}
		CHECK(q * H == tf->data.len && off == f->data.len);
	}
	CHECK(k == 0);
	tile_builder_free(b);
	merkle_mem_free(t);
	store_free(&s);
}

/*
 * Every size up to NMAX: the builder's root equals the tree's; resumed
 * builders (from the stored tiles of the size they stopped at) write
 * exactly the bytes an uninterrupted one wrote.
 */
#define NMAX	3000

static void
test_resume(void)
{
	struct store one = { 0 }, many = { 0 };
	struct tile_builder *b1, *b2;
	struct merkle_mem *t = merkle_mem_new();
	struct merkle_src src;
	uint8_t e[64], lh[H], r1[H], r2[H];
	uint64_t j, bad = 0;
	size_t len, i;

	merkle_mem_src(t, &src);
	b1 = tile_builder_new(0, store_fetch, &one);
	b2 = tile_builder_new(0, store_fetch, &many);
	for (j = 0; j < NMAX; j++) {
		entry_of(j, e, &len);
		merkle_leaf_hash(e, len, lh);
		merkle_mem_append(t, lh);
		tile_builder_append(b1, e, len, store_emit, &one);
		tile_builder_append(b2, e, len, store_emit, &many);
		CHECK(merkle_root(&src, j + 1, r1) == 0);
		CHECK(tile_builder_root(b1, r2) == 0);
		if (memcmp(r1, r2, H) != 0)
			bad++;
		/* Stop and resume the second builder at irregular sizes. */
		if (j % 37 == 5 || j == 255 || j == 256 || j == 511) {
			CHECK(tile_builder_flush(b2, store_emit, &many) == 0);
			tile_builder_free(b2);
			b2 = tile_builder_new(j + 1, store_fetch, &many);
			CHECK(b2 != NULL);
			if (b2 == NULL)
				break;
			CHECK(tile_builder_root(b2, r2) == 0);
			if (memcmp(r1, r2, H) != 0)
				bad++;
		}
	}
	CHECK(bad == 0);
	tile_builder_flush(b1, store_emit, &one);
	tile_builder_flush(b2, store_emit, &many);
	/* Same files with the same bytes; nothing ever rewritten otherwise. */
	for (i = 0; i < one.n; i++) {
		struct file *f = store_find(&many, one.f[i].path);

		CHECK(f != NULL);
		if (f != NULL)
			CHECK(f->data.len == one.f[i].data.len &&
			    memcmp(f->data.data, one.f[i].data.data,
			    f->data.len) == 0);
	}
	CHECK(many.rewrites_differ == 0);
	/* A damaged partial tile stops a resume. */
	{
		struct file *f = store_find(&many, "tile/entries/011.p/184");

		CHECK(f != NULL);
		if (f != NULL) {
			f->data.data[5] ^= 1;
			warnp_quiet(1);
			CHECK(tile_builder_new(NMAX, store_fetch, &many) ==
			    NULL);
			warnp_quiet(0);
		}
	}
	tile_builder_free(b1);
	tile_builder_free(b2);
	merkle_mem_free(t);
	store_free(&one);
	store_free(&many);
}

/* Proofs from tiles equal proofs from the whole tree. */
static void
test_reader_proofs(void)
{
	static const uint64_t sizes[] = { 1, 2, 255, 256, 257, 511, 512, 513,
	    65535, 65536, 65537, 70000 };
	struct store s = { 0 };
	struct tile_builder *b;
	struct tile_reader *r;
	struct merkle_mem *t = merkle_mem_new();
	struct merkle_src ms, ts;
	uint8_t e[64], lh[H], r1[H], r2[H];
	uint8_t p1[MERKLE_MAX_PROOF * H], p2[MERKLE_MAX_PROOF * H];
	uint64_t j, n, idx[6];
	size_t len, si, q, n1, n2;
	long diff = 0, count = 0;

	merkle_mem_src(t, &ms);
	b = tile_builder_new(0, store_fetch, &s);
	for (si = 0, j = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		n = sizes[si];
		for (; j < n; j++) {
			entry_of(j, e, &len);
			merkle_leaf_hash(e, len, lh);
			merkle_mem_append(t, lh);
			tile_builder_append(b, e, len, store_emit, &s);
		}
		tile_builder_flush(b, store_emit, &s);
		r = tile_reader_new(n, store_fetch, &s);
		tile_reader_src(r, &ts);
		CHECK(merkle_root(&ms, n, r1) == 0);
		CHECK(merkle_root(&ts, n, r2) == 0);
		CHECK_MEM(r1, r2, H);
		idx[0] = 0;
		idx[1] = n / 3;
		idx[2] = n / 2;
		idx[3] = (n * 7) / 9;
		idx[4] = n > 1 ? n - 2 : 0;
		idx[5] = n - 1;
		for (q = 0; q < 6; q++) {
			count++;
			if (merkle_inclusion_proof(&ms, idx[q], n, p1, &n1) ||
			    merkle_inclusion_proof(&ts, idx[q], n, p2, &n2) ||
			    n1 != n2 || memcmp(p1, p2, n1 * H) != 0)
				diff++;
			if (idx[q] == 0)
				continue;
			if (merkle_consistency_proof(&ms, idx[q], n, p1, &n1) ||
			    merkle_consistency_proof(&ts, idx[q], n, p2, &n2) ||
			    n1 != n2 || memcmp(p1, p2, n1 * H) != 0)
				diff++;
		}
		tile_reader_free(r);
	}
	CHECK(diff == 0 && count > 50);

	/* A tile of the wrong length is an error, not a short read. */
	{
		struct file *f = store_find(&s, "tile/0/273.p/112");

		CHECK(f != NULL);
		if (f != NULL) {
			f->data.len -= 1;
			r = tile_reader_new(70000, store_fetch, &s);
			tile_reader_src(r, &ts);
			warnp_quiet(1);
			CHECK(merkle_root(&ts, 70000, r2) == -1);
			warnp_quiet(0);
			tile_reader_free(r);
		}
	}
	tile_builder_free(b);
	merkle_mem_free(t);
	store_free(&s);
}

int
main(void)
{

	if (crypto_init())
		return (1);
	RUN(test_paths);
	RUN(test_spec_70000);
	RUN(test_resume);
	RUN(test_reader_proofs);
	return (TEST_EXIT());
}
