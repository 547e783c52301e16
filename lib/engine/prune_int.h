#ifndef COFFER_PRUNE_INT_H
#define COFFER_PRUNE_INT_H

/*
 * Internals shared by prune.c (marking, reading the index files, the
 * plan) and prune_write.c (repacking, new index files, deletion).
 */

#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "pack/pack.h"
#include "repo/repo.h"
#include "util/buf.h"

#include "prune.h"

/*
 * The owner table: one u32 per blob of the loaded index, by position.
 * Below PP_MAXPACK it is the number of the pack whose copy of the blob is
 * the one kept (the first pack, in index-file order, that lists it and
 * exists); otherwise one of these.
 */
#define OWN_UNUSED	UINT32_MAX		/* no snapshot needs it */
#define OWN_NEEDED	(UINT32_MAX - 1)	/* needed; no pack chosen yet */
#define OWN_COPIED	(UINT32_MAX - 2)	/* copied into a new pack */
#define PP_MAXPACK	(UINT32_MAX - 3)

/* What becomes of a pack. */
#define ACT_KEEP	0
#define ACT_DELETE	1
#define ACT_REPACK	2

/* Write an index file once it lists this many blobs. */
#define PRUNE_INDEX_BLOBS	65536

struct ppack {
	uint8_t id[32];
	uint64_t size;		/* of the object in data/ */
	uint64_t total;		/* stored bytes of all its blobs */
	uint64_t used;		/* stored bytes of the blobs it keeps */
	uint32_t nblobs, nused;
	uint8_t listed;		/* some index file lists it */
	uint8_t missing;	/* listed, but not in data/ */
	uint8_t action;		/* ACT_* */
	uint8_t emitted;	/* listed by an index file that stays */
	uint8_t types;		/* bit 1 << type for each type it holds */
};

struct ixfile {
	uint8_t id[32];
	size_t ref0, nref;	/* its packs: refs[ref0 .. ref0 + nref) */
	int dirty;		/* lists a pack that goes: rewritten */
};

struct prune {
	struct repo *r;
	struct index *ix;
	const struct prune_opts *o;
	struct prune_stats *st;

	uint32_t *owner;	/* index_count(ix) entries */
	size_t n;

	/* Packs: the ones in data/ sorted by id, then missing ones. */
	struct ppack *packs;
	size_t npacks, npresent, pcap;

	struct ixfile *files;	/* sorted by name */
	size_t nfiles, fcap;
	uint32_t *refs;
	size_t nrefs, rcap;

	/* The index file being written. */
	struct buf ibody;
	size_t ipacks, iblobs;
};

/* pp_find(p, id): a pack's number, or SIZE_MAX. */
size_t pp_find(struct prune *, const uint8_t[32]);

/*
 * prune_repack(p): copy the kept blobs of every ACT_REPACK pack into new
 * packs, and list those in new index files.  0, 1 if a pack is damaged
 * (reported), -1 on error.
 */
int prune_repack(struct prune *);

/*
 * prune_reindex(p): write new index files for the kept packs that only
 * dirty index files list.  0, 1, -1.
 */
int prune_reindex(struct prune *);

/* prune_flush_index(p): write the index file being built, if any. */
int prune_flush_index(struct prune *);

/*
 * prune_delete(p): remove the dirty index files, then the packs that go.
 * Every removal is tried; 0, or -1 if some failed (reported).
 */
int prune_delete(struct prune *);

#endif
