/*
 * bench_tlog [N]: the transparency log's costs, on one core, in memory.
 *
 *   1. building the log: N entries of 115 bytes appended to a tile
 *      builder (leaf hashing, tiles and bundles as they fill, a flush and
 *      a root every 1000 entries, as the sequencer does per pass): entries
 *      per second (the server's own throughput adds an fsync per file and
 *      a SQLite commit per pass; see bench/tlog_sequence.sh);
 *   2. proofs computed from the tiles for trees of 10^3 .. N entries:
 *      the number of hashes (bytes = 32 x) of an inclusion proof and of a
 *      consistency proof from half the tree, the tiles a client fetches
 *      for each, and the time to compute and verify one;
 *   3. a c2sp.org/tlog-proof@v1 receipt's size at N entries.
 *
 * N defaults to 1,000,000.  Not part of the test suite.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "tlog/entry.h"
#include "tlog/merkle.h"
#include "tlog/tiles.h"
#include "util/buf.h"
#include "util/warnp.h"

#define H	MERKLE_HASH_LEN

/* Tiles kept in memory by path, for the reader. */
struct store {
	char (*path)[TILE_PATH_MAX];
	struct buf *data;
	size_t n, cap;
	uint64_t fetches;
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Index of path, or n: a linear search from the end is enough here. */
static size_t
find(struct store *s, const char *path)
{
	size_t i;

	for (i = s->n; i > 0; i--)
		if (strcmp(s->path[i - 1], path) == 0)
			return (i - 1);
	return (s->n);
}

/* The timed pass: tiles are made, counted and dropped. */
static int
emit_count(void *cookie, const char *path, const uint8_t *p, size_t len)
{
	uint64_t *bytes = cookie;

	(void)path;
	(void)p;
	*bytes += len;
	return (0);
}

/* Every tile of the sizes benchmarked, kept. */
static int
emit_all(void *cookie, const char *path, const uint8_t *p, size_t len)
{
	struct store *s = cookie;
	size_t i;

	if ((i = find(s, path)) == s->n) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 1024;
			s->path = realloc(s->path, s->cap * sizeof(*s->path));
			s->data = realloc(s->data, s->cap * sizeof(*s->data));
			if (s->path == NULL || s->data == NULL)
				return (-1);
		}
		snprintf(s->path[s->n], TILE_PATH_MAX, "%s", path);
		memset(&s->data[s->n], 0, sizeof(struct buf));
		s->n++;
	}
	s->data[i].len = 0;
	return (buf_append(&s->data[i], p, len));
}

static int
fetch(void *cookie, const char *path, struct buf *out)
{
	struct store *s = cookie;
	size_t i;

	s->fetches++;
	if ((i = find(s, path)) == s->n)
		return (1);
	return (buf_append(out, s->data[i].data, s->data[i].len));
}

int
main(int argc, char **argv)
{
	struct store st = { NULL, NULL, 0, 0, 0 };
	struct tile_builder *b;
	struct tile_reader *r;
	struct tlog_entry e;
	struct merkle_src src;
	uint8_t ent[TLOG_ENTRY_LEN], root[H], r1[H], leaf[H];
	uint8_t proof[MERKLE_MAX_PROOF * H];
	uint64_t n = (argc > 1) ? strtoull(argv[1], NULL, 10) : 1000000;
	uint64_t i, size, idx, bytes = 0;
	size_t np, nc;
	double t0, t1;

	warnp_setprogname("bench_tlog");
	if (crypto_init() || n < 1000)
		return (1);
	memset(&e, 0, sizeof(e));
	e.event = TLOG_EV_SNAPSHOT_ADD;
	if ((b = tile_builder_new(0, fetch, &st)) == NULL)
		return (1);
	t0 = now();
	for (i = 0; i < n; i++) {
		e.time = i;
		memcpy(e.subject, &i, sizeof(i));
		tlog_entry_encode(&e, ent);
		if (tile_builder_append(b, ent, sizeof(ent), emit_count,
		    &bytes))
			return (1);
		if ((i + 1) % 1000 == 0 && (tile_builder_flush(b, emit_count,
		    &bytes) || tile_builder_root(b, root)))
			return (1);
	}
	t1 = now();
	printf("build: %" PRIu64 " entries in %.2f s: %.0f entries/s, "
	    "passes of 1000 (%.1f MiB of tiles and bundles written)\n", n,
	    t1 - t0, (double)n / (t1 - t0), (double)bytes / 1048576);
	tile_builder_free(b);
	/* Again, keeping the tiles of each size measured below. */
	if ((b = tile_builder_new(0, fetch, &st)) == NULL)
		return (1);
	for (i = 0, size = 1000; i < n; i++) {
		e.time = i;
		memcpy(e.subject, &i, sizeof(i));
		tlog_entry_encode(&e, ent);
		if (tile_builder_append(b, ent, sizeof(ent), emit_all, &st))
			return (1);
		if (i + 1 == size || i + 1 == n) {
			if (tile_builder_flush(b, emit_all, &st))
				return (1);
			size *= 10;
		}
	}
	tile_builder_free(b);

	printf("%12s %10s %10s %12s %10s %10s %12s\n", "tree size",
	    "incl hash", "incl tiles", "incl us", "cons hash", "cons tiles",
	    "cons us");
	for (size = 1000;; size *= 10) {
		uint64_t s = (size > n) ? n : size;

		if ((r = tile_reader_new(s, fetch, &st)) == NULL)
			return (1);
		tile_reader_src(r, &src);
		idx = s / 3;
		st.fetches = 0;
		t0 = now();
		if (merkle_root(&src, s, root) ||
		    merkle_inclusion_proof(&src, idx, s, proof, &np))
			return (1);
		e.time = idx;
		memcpy(e.subject, &idx, sizeof(idx));
		tlog_entry_encode(&e, ent);
		merkle_leaf_hash(ent, sizeof(ent), leaf);
		if (merkle_verify_inclusion(leaf, idx, s, proof, np * H,
		    root) != 0) {
			warn0("inclusion proof does not verify at %" PRIu64,
			    s);
			return (1);
		}
		t1 = now();
		printf("%12" PRIu64 " %10zu %10" PRIu64 " %12.0f", s, np,
		    st.fetches, (t1 - t0) * 1e6);
		tile_reader_free(r);
		if ((r = tile_reader_new(s, fetch, &st)) == NULL)
			return (1);
		tile_reader_src(r, &src);
		st.fetches = 0;
		t0 = now();
		if (merkle_root(&src, s / 2, r1) ||
		    merkle_consistency_proof(&src, s / 2, s, proof, &nc) ||
		    merkle_verify_consistency(s / 2, s, r1, root, proof,
		    nc * H) != 0)
			return (1);
		t1 = now();
		printf(" %10zu %10" PRIu64 " %12.0f\n", nc, st.fetches,
		    (t1 - t0) * 1e6);
		tile_reader_free(r);
		if (s == n)
			break;
	}
	/* A receipt: header, index line, base64 hashes, the checkpoint. */
	printf("tlog-proof receipt at %" PRIu64 " entries: about %zu bytes "
	    "(%zu hashes; checkpoint ~%d bytes)\n", n, 23 + 7 + 20 +
	    np * 45 + 1 + 160, np, 160);
	return (0);
}
