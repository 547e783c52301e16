#ifndef COFFER_PIPELINE_H
#define COFFER_PIPELINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "repo/repo.h"

/*
 * The storage half of the backup pipeline: worker threads take chunks,
 * compute their keyed ids, skip those already stored (dedup), compress,
 * encrypt into the worker's own pack, and store full packs.  Index files
 * are written every few packs, so an interrupted backup leaves packs the
 * next run can reuse.  Tree blobs go through a shared tree pack.
 */

struct pl_stats {
	_Atomic uint64_t data_blobs, tree_blobs;
	_Atomic uint64_t data_added;	/* plaintext bytes of new blobs */
	_Atomic uint64_t data_stored;	/* bytes after compression + AEAD */
	_Atomic uint64_t bytes_hashed;
	_Atomic uint64_t packs;
};

struct pipeline;

/* Called by a worker when a chunk's id is known and it is stored. */
typedef void pl_done_cb(void *);

/* pipeline_new(r, ix, nworkers): start the workers.  NULL on error. */
struct pipeline *pipeline_new(struct repo *, struct index *, int);

/*
 * pipeline_data(pl, p, len, slot, done, cookie): queue a data chunk.  The
 * pipeline takes p (malloc'd) and frees it.  A worker writes the blob id to
 * slot (32 bytes) and then calls done(cookie).  Blocks while too many bytes
 * are in flight.  0 or -1 (pipeline failed; p was freed).
 */
int pipeline_data(struct pipeline *, uint8_t *, size_t, uint8_t *,
    pl_done_cb *, void *);

/*
 * pipeline_tree(pl, p, len, id): store a tree blob (if new) from any
 * thread; id receives its blob id.  0 or -1.
 */
int pipeline_tree(struct pipeline *, const uint8_t *, size_t, uint8_t[32]);

/*
 * pipeline_finish(pl): wait for every queued chunk, store the last packs,
 * write the index.  Returns 0, or -1 if anything failed along the way.
 */
int pipeline_finish(struct pipeline *);

/* pipeline_failed(pl): 1 if something failed (the pipeline is useless). */
int pipeline_failed(struct pipeline *);

/* pipeline_stats(pl): live counters. */
struct pl_stats *pipeline_stats(struct pipeline *);

/* pipeline_free(pl): stop workers (if still running) and free. */
void pipeline_free(struct pipeline *);

#endif
