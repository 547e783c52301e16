#ifndef COFFER_ADOPT_H
#define COFFER_ADOPT_H

#include "index/index.h"
#include "repo/repo.h"

/*
 * adopt_orphans(r, ix, &n): find packs in data/ that no index file lists
 * (left by a backup that was killed before its next index checkpoint),
 * verify each (whole-pack hash against its name, authenticated header),
 * and add them to
 * ix, queued for the next index file, so that their blobs are reused
 * instead of uploaded again.  A pack whose header does not authenticate is
 * left alone (check reports it).  *n = packs adopted.  0 or -1.
 */
int adopt_orphans(struct repo *, struct index *, size_t *);

#endif
