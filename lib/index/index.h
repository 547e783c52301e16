#ifndef COFFER_INDEX_H
#define COFFER_INDEX_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pack/pack.h"
#include "repo/repo.h"

/*
 * The index maps a blob id to where the blob is stored.  Index files in
 * the repository (sealed, docs/FORMAT.md "Index files") each describe some
 * packs.  On open, the client merges them into a local cache file, sorted
 * by blob id with fixed-size entries, and maps it read-only: lookups are a
 * binary search over the mapping, so memory stays bounded by what the
 * kernel keeps in the page cache, not by the repository's size.  Blobs
 * added in this session live in a small hash table beside it.
 */

struct idx_entry {
	uint8_t id[32];
	uint32_t pack;		/* number in the pack table */
	uint32_t offset;
	uint32_t stored_len;
	uint32_t raw_len;
	uint8_t type;
	uint8_t flags;
	uint8_t pad[2];
};

struct idx_pack {
	uint8_t id[32];
	uint8_t salt[PACK_SALT_LEN];
};

struct index;

/*
 * index_load(r, &ix): read every index file (or the up-to-date local
 * cache).  Damaged index files are reported and skipped (their packs are
 * simply unknown; `check` reports them).  Returns 0 or -1.
 */
int index_load(struct repo *, struct index **);

/* index_load_fresh(r, &ix): the same, from the repository alone, never
 * from or to the local cache (for check). */
int index_load_fresh(struct repo *, struct index **);

/* index_free(ix): NULL is a no-op. */
void index_free(struct index *);

/*
 * index_lookup(ix, id, e, pk): find a blob.  Returns 1 and fills e and the
 * pack (may be NULL), or 0 if unknown.  Thread-safe.
 */
int index_lookup(struct index *, const uint8_t[32], struct idx_entry *,
    struct idx_pack *);

/*
 * index_claim(ix, id): returns 1 if the blob is already stored or being
 * stored by another thread of this session; otherwise records a claim on
 * it and returns 0, and the caller must store it (index_add_pack) or
 * index_unclaim it.  -1 on ENOMEM.
 */
int index_claim(struct index *, const uint8_t[32]);
void index_unclaim(struct index *, const uint8_t[32]);

/*
 * index_add_pack(ix, packid, salt, e, n): record a pack that is now stored
 * (durably) and queue it for the next index file.  0 or -1.
 */
int index_add_pack(struct index *, const uint8_t[32],
    const uint8_t[PACK_SALT_LEN], const struct pack_entry *, size_t);

/*
 * index_flush(ix, r): write the queued packs as one new index file (if
 * any).  0 or -1.  Thread-safe.
 */
int index_flush(struct index *, struct repo *);

/* index_pending(ix): number of packs queued for the next index file. */
size_t index_pending(struct index *);

/*
 * index_parse(p, len, cb, cookie): decode an index file's plaintext,
 * calling cb(cookie, pack, entry) for each blob.  Returns 0, 1 if
 * malformed, -1 on error, or cb's nonzero value.
 */
typedef int index_cb(void *, const struct idx_pack *,
    const struct idx_entry *);
int index_parse(const uint8_t *, size_t, index_cb *, void *);

/* Iterate the loaded index: cb for every entry (sorted by id). */
int index_foreach(struct index *, index_cb *, void *);

/*
 * The loaded (persistent) part of the index as an array sorted by blob id,
 * one entry per id, without this session's additions: index_count(ix)
 * entries; index_pos(ix, id) is an id's position (0 .. count - 1) or
 * INDEX_NOPOS; index_at(ix, pos) the entry there.  Prune keys its tables
 * by these positions.
 */
#define INDEX_NOPOS	SIZE_MAX
size_t index_count(struct index *);
size_t index_pos(struct index *, const uint8_t[32]);
const struct idx_entry *index_at(struct index *, size_t);

/*
 * index_encode_pack(b, pk, e, n): append one pack's record (pack id, salt,
 * its n blobs) to b, the body of an index file.  0 or -1.
 */
int index_encode_pack(struct buf *, const struct idx_pack *,
    const struct pack_entry *, size_t);

/*
 * index_put_file(r, body, len, npacks, id): store an index file made of
 * npacks records encoded by index_encode_pack; id receives its name.
 * 0 or -1.
 */
int index_put_file(struct repo *, const uint8_t *, size_t, size_t,
    uint8_t[32]);

/* index_npacks(ix), index_pack(ix, i): the pack table. */
size_t index_npacks(struct index *);
const struct idx_pack *index_pack(struct index *, size_t);

#endif
