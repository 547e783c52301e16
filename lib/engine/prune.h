#ifndef COFFER_PRUNE_H
#define COFFER_PRUNE_H

#include <stdint.h>

#include "index/index.h"
#include "repo/lock.h"
#include "repo/repo.h"

/*
 * prune: remove what no snapshot needs (docs/FORMAT.md, "Prune").
 *
 * Every blob reachable from a snapshot is marked, in a table of one u32
 * per blob of the loaded index, in the index's (sorted) order; then every
 * index file is read once and each listed pack classified: all its blobs
 * needed (kept), none (deleted), or some (repacked, when its unused share
 * is worth it under --max-unused and --max-repack-size).  Repacking copies
 * the needed blobs, verified, into new packs; then new index files are
 * written, then the old index files are deleted, then the old packs.  A
 * crash at any point leaves a repository that check accepts with every
 * snapshot intact (at worst duplicates and packs listed in no index).
 *
 * Packs listed in no index file are never deleted: they are what a killed
 * backup (or prune) uploaded, and the next backup adopts them; once
 * listed, a later prune removes whatever is unused in them.
 *
 * The caller must hold the repository's exclusive lock for the whole run.
 */

/* --max-unused kinds. */
#define PRUNE_UNUSED_PCT	0	/* unused_pct percent of the used bytes */
#define PRUNE_UNUSED_BYTES	1	/* unused_bytes bytes */
#define PRUNE_UNUSED_ANY	2	/* "unlimited": repack nothing */

struct prune_opts {
	int dry_run;		/* plan and report, change nothing */
	int unused_kind;	/* PRUNE_UNUSED_* */
	double unused_pct;	/* 0 <= pct < 100 */
	uint64_t unused_bytes;
	uint64_t max_repack;	/* bytes of blobs to copy at most; 0: any */
	int repack_small;	/* also merge packs under 80% of pack_size */
	int quiet;		/* no progress lines on stdout */
	struct lock *lock;	/* the exclusive lock held, checked before
				   deleting anything (lock_check); or NULL */
};

struct prune_stats {
	/* What is needed. */
	uint64_t snapshots, trees, blobs_used, bytes_used;
	/* The packs found and what becomes of them (file sizes). */
	uint64_t packs, bytes;
	uint64_t packs_keep, bytes_keep;
	uint64_t packs_delete, bytes_delete;
	uint64_t packs_repack, bytes_repack;
	uint64_t packs_orphan, bytes_orphan;	/* listed in no index: left */
	uint64_t packs_missing;			/* listed, but not in data/ */
	/* Blobs (stored bytes). */
	uint64_t blobs_unused, bytes_unused;	/* before */
	uint64_t blobs_copy, bytes_copy;	/* copied by repacking */
	uint64_t bytes_unused_after;		/* left in kept packs */
	/* What was (or would be) written and removed. */
	uint64_t packs_written, bytes_written;
	uint64_t index_files, index_written, index_deleted;
	double seconds;
};

/* prune_opts_init(o): the defaults: --max-unused 5%, any repack size. */
void prune_opts_init(struct prune_opts *);

/*
 * prune_run(r, ix, o, st): prune the repository r, under an exclusive
 * lock the caller holds.  ix is the loaded index (index_load), or NULL to
 * load it here; it describes the repository as it was before pruning and
 * must not be used for lookups afterwards.  Fills st (also for a dry
 * run).  Returns 0; 1 if the repository is damaged in a way that makes
 * pruning unsafe (reported: a damaged snapshot or index file, a needed
 * blob that is in no pack); -1 on error (reported).  Nothing is deleted
 * unless everything before deletion succeeded.
 */
int prune_run(struct repo *, struct index *, const struct prune_opts *,
    struct prune_stats *);

#endif
