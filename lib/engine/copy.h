#ifndef COFFER_COPY_H
#define COFFER_COPY_H

#include <stdint.h>

#include "index/index.h"
#include "repo/repo.h"
#include "snapshot/snapshot.h"

/*
 * Copying snapshots between repositories with different keys.  Blob ids
 * are keyed MACs, so the same bytes have another id in the target: every
 * data blob a copied tree names is read from the source (verified),
 * hashed under the target's key and stored only if the target lacks it;
 * every tree is re-encoded with the new ids of its files and
 * subdirectories (post-order), and stored if new.  Within one run, the
 * new ids of the blobs and trees already copied are remembered (up to a
 * bound), so what snapshots share is read once.  The snapshot itself is
 * written only once everything it reaches is stored and indexed, with the
 * source's id (or its own "original") as its "original".
 */

struct copy_stats {
	uint64_t trees;			/* trees re-encoded */
	uint64_t blobs_read, bytes_read;	/* data blobs read */
	uint64_t data_blobs, tree_blobs;	/* new in the target */
	uint64_t data_added;		/* plaintext bytes of new data blobs */
	uint64_t data_stored;		/* bytes stored for them */
	uint64_t packs;			/* packs written */
};

struct copier;

/*
 * copier_new(src, six, dst, dix, nworkers): copy from src (index six) to
 * dst (index dix, which learns what is stored), with nworkers threads
 * storing (0: one per core).  NULL on error (reported).
 */
struct copier *copier_new(struct repo *, struct index *, struct repo *,
    struct index *, int);

/*
 * copier_snapshot(c, s, out): copy snapshot s of the source and save the
 * copy in the target, returned in out (release with snapshot_release).
 * Returns 0; 1 if the source is damaged (reported: nothing saved, what
 * was stored is indexed); -1 on error.
 */
int copier_snapshot(struct copier *, const struct snapshot *,
    struct snapshot *);

/* copier_stats(c, st): the totals so far. */
void copier_stats(struct copier *, struct copy_stats *);

/* copier_free(c): NULL is a no-op. */
void copier_free(struct copier *);

/*
 * copy_same(a, b): 1 if snapshots a and b (of two repositories) describe
 * the same backup: same time, hostname, username, uid, gid, paths and
 * tags (as restic decides that a snapshot was copied already).
 */
int copy_same(const struct snapshot *, const struct snapshot *);

#endif
