#ifndef COFFER_LOCK_H
#define COFFER_LOCK_H

#include "repo/repo.h"

/*
 * Repository locks, as in restic: any number of shared locks (backup,
 * restore, check) or one exclusive lock (prune).  A lock is a sealed JSON
 * object in locks/ refreshed every 5 minutes; one whose process is gone on
 * this host is removed; one not refreshed for 30 minutes is stale and
 * ignored, except by an exclusive lock, which refuses to start until it
 * is removed (`unlock`): it may belong to a process that is only asleep.
 */

#define LOCK_STALE_SECS		(30 * 60)
#define LOCK_REFRESH_SECS	(5 * 60)

struct lock;

/*
 * lock_acquire(r, exclusive, &l): take a lock.  Returns 0, 1 if a
 * conflicting lock is held (reported with who holds it), -1 on error.
 */
int lock_acquire(struct repo *, int, struct lock **);

/* lock_release(l): remove the lock.  NULL is a no-op. */
void lock_release(struct lock *);

#endif
