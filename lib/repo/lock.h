#ifndef COFFER_LOCK_H
#define COFFER_LOCK_H

#include <stdint.h>

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

/*
 * lock_lost(l): 1 if, while l was held, its object was removed by another
 * process (unlock --remove-all) or could not be refreshed for
 * LOCK_STALE_SECS: others may have acted as if the repository was not
 * locked.  (The refresher writes a new lock and keeps going.)  A long
 * exclusive operation checks this before anything it cannot undo.
 */
int lock_lost(struct lock *);

/*
 * lock_check(l): lock_lost, found out now rather than at the next refresh:
 * also 1 if l's object is gone at this moment, or was last written more
 * than LOCK_STALE_SECS ago.  Prune calls it before deleting anything.
 */
int lock_check(struct lock *);

/* What a lock object says (lock_list). */
struct lock_info {
	char name[65];
	int readable;		/* 0: damaged or not a lock: nothing below */
	int64_t time;		/* written or last refreshed, Unix seconds */
	int exclusive;
	char host[256];
	char user[256];
	int64_t pid;
	int stale;		/* lock_stale() now */
};

/*
 * lock_stale(t, host, pid, now): is a lock last refreshed at t, by pid on
 * host, stale at time now?  As in restic: yes if it was not refreshed for
 * LOCK_STALE_SECS, or if host is this host and no process pid exists.
 */
int lock_stale(int64_t, const char *, int64_t, int64_t);

/*
 * lock_list(r, cb, cookie): cb(cookie, info) for every lock object
 * (unreadable ones reported, with readable 0).  Returns 0, -1 on error,
 * or cb's nonzero value.
 */
int lock_list(struct repo *, int (*)(void *, const struct lock_info *),
    void *);

#endif
