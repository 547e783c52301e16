#ifndef COFFER_BLOBREAD_H
#define COFFER_BLOBREAD_H

#include "index/index.h"
#include "repo/repo.h"
#include "tree/tree.h"
#include "util/buf.h"

/*
 * blob_read(r, ix, id, type, out): fetch a blob through the index, check
 * its tag and its keyed id, decompress it into out (emptied first).
 * Returns 0; 1 if the blob is unknown, missing, damaged or of another type
 * (reported, naming blob and pack); -1 on error.  Nothing unverified is
 * ever placed in out.
 */
int blob_read(struct repo *, struct index *, const uint8_t[32], uint8_t,
    struct buf *);

/* blob_cache_flush(): drop the packs cached for remote reads. */
void blob_cache_flush(void);

/* tree_load(r, ix, id, t): blob_read a tree and decode it.  0, 1, -1. */
int tree_load(struct repo *, struct index *, const uint8_t[32],
    struct tree *);

#endif
