#ifndef COFFER_TILES_H
#define COFFER_TILES_H

#include <stddef.h>
#include <stdint.h>

#include "tlog/merkle.h"
#include "util/buf.h"

/*
 * C2SP tlog-tiles (c2sp.org/tlog-tiles): a log published as static files.
 *
 *	tile/<L>/<N>[.p/<W>]	hashes: MTH(D[(N*256+i) * 256^L :
 *				(N*256+i+1) * 256^L]) for i < W, 32 bytes each
 *	tile/entries/<N>[.p/<W>] entries N*256 ... N*256+W-1, each as a
 *				big-endian uint16 length and its bytes
 *
 * A full tile has 256 hashes (W is then absent); for a tree of size s the
 * partial tile of level L has floor(s / 256^L) mod 256 hashes (none: no
 * tile).  N is written in groups of three digits, all but the last
 * prefixed with 'x': 1234067 is x001/x234/067.
 */

#define TILE_HEIGHT	8
#define TILE_WIDTH	256
#define TILE_BYTES	(TILE_WIDTH * MERKLE_HASH_LEN)
#define TILE_LEVELS	8		/* 256^8 = 2^64 leaves */
#define TILE_ENTRIES	-1		/* "level" of entry bundles */
#define TILE_ENTRY_MAX	65535		/* bytes in one entry */
#define TILE_PATH_MAX	96

/*
 * tile_path(level, n, w, out, size): "tile/<L>/<N>[.p/<W>]" (level
 * TILE_ENTRIES: "tile/entries/..."); w is 256 for a full tile, 1..255 for
 * a partial one.  0, or -1 if out is too small or an argument invalid.
 */
int tile_path(int, uint64_t, unsigned, char *, size_t);

/*
 * tile_path_parse(path, &level, &n, &w): the reverse, for the canonical
 * form only (no leading zeros but in 3-digit groups, no "x000" group
 * first, W in 1..255).  0, or 1 if path is not a tile path.
 */
int tile_path_parse(const char *, int *, uint64_t *, unsigned *);

/*
 * tile_width(level, n, size): the width of tile n of a level (TILE_ENTRIES
 * counts as level 0) for a tree of size leaves: 256 if full, 1..255 if
 * partial, 0 if the tree has no such tile.
 */
unsigned tile_width(int, uint64_t, uint64_t);

/*
 * Fetching tiles and bundles: fetch(cookie, path, out) appends the
 * resource's bytes to out and returns 0, 1 if it does not exist, or -1
 * on error (reported).
 */
typedef int tile_fetch_fn(void *, const char *, struct buf *);

/*
 * A tile reader: a merkle_src over the tiles of a tree of a given size,
 * fetched as needed (a few are cached).  Tiles are not authenticated by
 * the reader; whatever is computed from them (roots, proofs) must be
 * checked against a signed checkpoint.  A tile of the wrong length is an
 * error.
 */
struct tile_reader;

/* tile_reader_new(size, fetch, cookie): NULL (reported). */
struct tile_reader *tile_reader_new(uint64_t, tile_fetch_fn *, void *);

/* tile_reader_src(r, &src): its merkle_src. */
void tile_reader_src(struct tile_reader *, struct merkle_src *);

/* tile_reader_free(r): NULL is a no-op. */
void tile_reader_free(struct tile_reader *);

/*
 * A tile builder: the right edge of a tree (its partial tiles and partial
 * entry bundle), to which leaves are appended, emitting each tile and
 * bundle that becomes full; the partial ones are emitted on demand.
 * emit(cookie, path, data, len) returns 0 or -1.
 */
typedef int tile_emit_fn(void *, const char *, const uint8_t *, size_t);

struct tile_builder;

/*
 * tile_builder_new(size, fetch, cookie): the builder of a tree of size
 * leaves, its partial tiles and partial entry bundle read with fetch
 * (size 0: nothing read).  NULL (reported; a missing or malformed tile is
 * an error).
 */
struct tile_builder *tile_builder_new(uint64_t, tile_fetch_fn *, void *);

/* tile_builder_size(b): the number of leaves. */
uint64_t tile_builder_size(const struct tile_builder *);

/*
 * tile_builder_append(b, entry, len, emit, cookie): append an entry
 * (len <= TILE_ENTRY_MAX), emitting the tiles and the bundle it fills.
 * 0 or -1.
 */
int tile_builder_append(struct tile_builder *, const uint8_t *, size_t,
    tile_emit_fn *, void *);

/* tile_builder_flush(b, emit, cookie): emit the partial tiles, bundle. */
int tile_builder_flush(struct tile_builder *, tile_emit_fn *, void *);

/* tile_builder_root(b, root): the tree's root hash.  0 or -1. */
int tile_builder_root(struct tile_builder *, uint8_t[MERKLE_HASH_LEN]);

/* tile_builder_free(b): NULL is a no-op. */
void tile_builder_free(struct tile_builder *);

/*
 * tile_bundle_next(p, len, &off, &entry, &elen): the entry of a bundle at
 * *off, advancing it.  0, 1 at the end, -1 if truncated (not reported).
 */
int tile_bundle_next(const uint8_t *, size_t, size_t *, const uint8_t **,
    size_t *);

#endif
