/*
 * Lock JSON: {"time": unix seconds, "exclusive": bool, "hostname",
 * "username", "pid"}.  To take a lock: look for conflicting locks, write
 * ours, look again (a lock that appeared meanwhile wins over none: both
 * back off when they see each other, and the loser removes its own).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "util/sysinfo.h"
#include "util/warnp.h"

#include "lock.h"

struct lock {
	struct repo *r;
	int exclusive;
	char name[65];
	pthread_t thr;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	int have_thread;
	int lost;		/* see lock_lost */
	time_t written;		/* when our lock was last written */
};

static int
lock_write(struct repo *r, int exclusive, char name[65])
{
	char host[256] = "", *txt;
	char user[256];
	uint8_t id[32];
	json_t *j;
	int rc = -1;

	sysinfo_host(host, sizeof(host));
	sysinfo_user(user, sizeof(user));
	j = json_pack("{s:I, s:b, s:s, s:s, s:I}", "time",
	    (json_int_t)time(NULL), "exclusive", exclusive, "hostname", host,
	    "username", user, "pid", (json_int_t)getpid());
	if (j == NULL || (txt = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return (-1);
	}
	if (repo_put_sealed(r, OBJ_LOCK, (const uint8_t *)txt, strlen(txt),
	    id) == 0) {
		hex_encode(id, 32, name);
		rc = 0;
	}
	free(txt);
	json_decref(j);
	return (rc);
}

/* Is the process of a lock on this host gone? */
static int
pid_gone(const char *host, int64_t pid)
{
	char me[256] = "";

	sysinfo_host(me, sizeof(me));
	return (strcmp(host, me) == 0 && pid > 0 && pid <= INT32_MAX &&
	    kill((pid_t)pid, 0) == -1 && errno == ESRCH);
}

int
lock_stale(int64_t t, const char *host, int64_t pid, int64_t now)
{

	return (now - t > LOCK_STALE_SECS || pid_gone(host, pid));
}

/*
 * Read one lock into li.  Returns 0; 1 if it is missing, damaged or not
 * a lock (reported unless quiet); -1 on error.
 */
static int
lock_read(struct repo *r, const char *name, struct lock_info *li, int quiet)
{
	struct buf b = BUF_INIT;
	json_t *j = NULL;
	json_int_t t = 0, pid = 0;
	const char *h = "", *u = "";
	int excl = 0, rc;

	memset(li, 0, sizeof(*li));
	memcpy(li->name, name, 65);
	if (quiet)
		warnp_quiet(1);
	rc = repo_get_sealed(r, OBJ_LOCK, name, &b);
	if (quiet)
		warnp_quiet(0);
	if (rc != 0)
		goto done;
	rc = 1;
	if ((j = json_loadb((const char *)b.data, b.len, 0, NULL)) == NULL ||
	    json_unpack(j, "{s:I, s:b, s?s, s?s, s?I}", "time", &t,
	    "exclusive", &excl, "hostname", &h, "username", &u, "pid",
	    &pid) != 0) {
		if (!quiet)
			warn0("locks %s: not a lock", name);
		goto done;
	}
	li->readable = 1;
	li->time = (int64_t)t;
	li->exclusive = excl;
	li->pid = (int64_t)pid;
	snprintf(li->host, sizeof(li->host), "%s", h);
	snprintf(li->user, sizeof(li->user), "%s", u);
	li->stale = lock_stale(li->time, li->host, li->pid,
	    (int64_t)time(NULL));
	rc = 0;
done:
	json_decref(j);
	buf_release(&b);
	return (rc);
}

struct scan {
	struct repo *r;
	const char *self;
	int exclusive;
	int conflict;
	char who[1024];
};

static int
scan_cb(void *cookie, const char *name, uint64_t size)
{
	struct scan *s = cookie;
	struct lock_info li;
	int64_t age;

	if (s->self != NULL && strcmp(name, s->self) == 0)
		return (0);
	/* A lock removed meanwhile, or unreadable, does not count. */
	if (lock_read(s->r, name, &li, 1) != 0)
		return (0);
	if (pid_gone(li.host, li.pid)) {
		/* Its process is gone (same host): tidy it away. */
		backend_remove(s->r->be, OBJ_LOCK, name);
		return (0);
	}
	age = (int64_t)time(NULL) - li.time;
	/*
	 * Not refreshed for too long: ignore it, but leave it (our clock
	 * may be the one that is wrong); `unlock` removes such locks.  An
	 * exclusive lock (prune) does not ignore it: the process may only
	 * be suspended (a laptop asleep in the middle of a backup), and on
	 * waking it would save a snapshot naming blobs prune removed.
	 */
	if (age > LOCK_STALE_SECS) {
		if (s->exclusive && !s->conflict) {
			s->conflict = 1;
			snprintf(s->who, sizeof(s->who), "a stale lock of "
			    "%s@%s (pid %lld), not refreshed for %lld s; if "
			    "no coffer process uses the repository any more, "
			    "remove it with `coffer unlock`", li.user, li.host,
			    (long long)li.pid, (long long)age);
		}
		return (0);
	}
	if (s->exclusive || li.exclusive) {
		s->conflict = 1;
		snprintf(s->who, sizeof(s->who), "%s lock held by %s@%s "
		    "(pid %lld) since %lld s ago", li.exclusive ?
		    "an exclusive" : "a", li.user, li.host, (long long)li.pid,
		    (long long)age);
	}
	return (0);
}

struct lister {
	struct repo *r;
	int (*cb)(void *, const struct lock_info *);
	void *cookie;
};

static int
list_cb(void *cookie, const char *name, uint64_t size)
{
	struct lister *l = cookie;
	struct lock_info li;
	int rc;

	if ((rc = lock_read(l->r, name, &li, 0)) < 0)
		return (-1);
	if (rc == 1 && backend_stat(l->r->be, OBJ_LOCK, name, &(uint64_t){ 0 })
	    == 1)
		return (0);	/* removed meanwhile */
	return (l->cb(l->cookie, &li));
}

int
lock_list(struct repo *r, int (*cb)(void *, const struct lock_info *),
    void *cookie)
{
	struct lister l;

	memset(&l, 0, sizeof(l));
	l.r = r;
	l.cb = cb;
	l.cookie = cookie;
	return (backend_list(r->be, OBJ_LOCK, list_cb, &l));
}

static void *
refresher(void *cookie)
{
	struct lock *l = cookie;
	struct timespec ts;
	char old[65], nname[65];

	pthread_mutex_lock(&l->mu);
	while (!l->stop) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += LOCK_REFRESH_SECS;
		if (pthread_cond_timedwait(&l->cv, &l->mu, &ts) != ETIMEDOUT)
			continue;
		/*
		 * Our lock gone means someone ran `unlock --remove-all`:
		 * from then on others may act as if we held none.  Say so
		 * once, and lock again (better late than never).
		 */
		if (!l->lost && backend_stat(l->r->be, OBJ_LOCK, l->name,
		    &(uint64_t){ 0 }) == 1) {
			warn0("our lock on the repository was removed by "
			    "another process: the repository was not "
			    "locked for a while");
			l->lost = 1;
		}
		/* Write a fresh lock, then drop the old one. */
		if (lock_write(l->r, l->exclusive, nname) == 0) {
			memcpy(old, l->name, sizeof(old));
			memcpy(l->name, nname, sizeof(nname));
			backend_remove(l->r->be, OBJ_LOCK, old);
			l->written = time(NULL);
		} else if (!l->lost && time(NULL) - l->written >
		    LOCK_STALE_SECS) {
			/* Others now see our lock as stale. */
			warn0("the repository lock could not be refreshed "
			    "for %d minutes: others may ignore it",
			    LOCK_STALE_SECS / 60);
			l->lost = 1;
		}
	}
	pthread_mutex_unlock(&l->mu);
	return (NULL);
}

int
lock_acquire(struct repo *r, int exclusive, struct lock **lp)
{
	struct scan s;
	struct lock *l;

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.exclusive = exclusive;
	if (backend_list(r->be, OBJ_LOCK, scan_cb, &s) < 0)
		return (-1);
	if (s.conflict) {
		warn0("repository is locked: %s", s.who);
		return (1);
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	l->r = r;
	l->exclusive = exclusive;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv, NULL);
	if (lock_write(r, exclusive, l->name)) {
		lock_release(l);
		return (-1);
	}
	l->written = time(NULL);
	s.self = l->name;
	if (backend_list(r->be, OBJ_LOCK, scan_cb, &s) < 0 || s.conflict) {
		if (s.conflict)
			warn0("repository is locked: %s", s.who);
		lock_release(l);
		return (s.conflict ? 1 : -1);
	}
	if (pthread_create(&l->thr, NULL, refresher, l) == 0)
		l->have_thread = 1;
	*lp = l;
	return (0);
}

int
lock_lost(struct lock *l)
{
	int lost;

	pthread_mutex_lock(&l->mu);
	lost = l->lost;
	pthread_mutex_unlock(&l->mu);
	return (lost);
}

int
lock_check(struct lock *l)
{
	int lost;

	pthread_mutex_lock(&l->mu);
	if (!l->lost && (time(NULL) - l->written > LOCK_STALE_SECS ||
	    backend_stat(l->r->be, OBJ_LOCK, l->name, &(uint64_t){ 0 }) == 1))
		l->lost = 1;
	lost = l->lost;
	pthread_mutex_unlock(&l->mu);
	return (lost);
}

void
lock_release(struct lock *l)
{

	if (l == NULL)
		return;
	if (l->have_thread) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_signal(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thr, NULL);
	}
	if (l->name[0] != '\0')
		backend_remove(l->r->be, OBJ_LOCK, l->name);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv);
	free(l);
}
