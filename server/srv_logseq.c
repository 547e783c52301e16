/*
 * The sequencer of cofferd's transparency log: audit rows to entries,
 * entries to tiles on disk, then the signed checkpoint, committed with a
 * compare-and-swap.  See srv_log.h for the order of writes and why a crash
 * at any point leaves a consistent log.
 *
 * COFFERD_TEST_LOG_CRASH=tiles|signed|committed makes the process kill
 * itself (SIGKILL) at that point of the first pass with entries, for the
 * test suite; never set it on a real server.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tlog/entry.h"
#include "tlog/merkle.h"
#include "tlog/tiles.h"
#include "util/warnp.h"

#include "srv_log_int.h"

#define BATCH		4096		/* audit rows per pass at most */

/* ---------------------------------------------------------------------- */
/* Files. */

/* mkdir -p of the directories of path (relative to dir). */
static int
mkparents(const char *full, size_t dirlen)
{
	char p[PATH_MAX];
	size_t i;

	snprintf(p, sizeof(p), "%s", full);
	for (i = dirlen + 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			warnp("cannot create %s", p);
			return (-1);
		}
		p[i] = '/';
	}
	return (0);
}

static int
fsync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(fd) == -1) {
		warnp("fsync %s", dir);
		rc = -1;
	}
	if (fd != -1)
		close(fd);
	return (rc);
}

int
logseq_write(struct srv_log *log, const char *path, const uint8_t *p,
    size_t len)
{
	char full[PATH_MAX], tmp[PATH_MAX];
	const char *slash;
	size_t off = 0;
	ssize_t n;
	int fd;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", log->dir, path) >=
	    sizeof(full) || (slash = strrchr(full, '/')) == NULL) {
		warn0("%s/%s: path too long", log->dir, path);
		return (-1);
	}
	if ((size_t)snprintf(tmp, sizeof(tmp), "%.*s/.tmp.%s",
	    (int)(slash - full), full, slash + 1) >= sizeof(tmp))
		return (-1);
	if (mkparents(full, strlen(log->dir)))
		return (-1);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		warnp("cannot create %s", tmp);
		return (-1);
	}
	while (off < len) {
		if ((n = write(fd, p + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			warnp("write %s", tmp);
			close(fd);
			return (-1);
		}
		off += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		warnp("fsync %s", tmp);
		return (-1);
	}
	if (rename(tmp, full) == -1) {
		warnp("rename %s", tmp);
		return (-1);
	}
	full[slash - full] = '\0';
	return (fsync_dir(full));
}

int
logseq_fetch(void *cookie, const char *path, struct buf *out)
{
	struct srv_log *log = cookie;
	char full[PATH_MAX], chunk[16384];
	ssize_t n;
	int fd;

	if ((size_t)snprintf(full, sizeof(full), "%s/%s", log->dir, path) >=
	    sizeof(full))
		return (-1);
	if ((fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);
		warnp("%s", full);
		return (-1);
	}
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || buf_append(out, chunk, (size_t)n)) {
			warnp("read %s", full);
			close(fd);
			return (-1);
		}
	}
	close(fd);
	return (0);
}

/* ---------------------------------------------------------------------- */
/* State. */

int
logseq_exec(struct srv_log *log, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(log->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		warn0("%s: %s", log->dbpath, msg != NULL ? msg : "error");
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

static void
dberr(struct srv_log *log, const char *what)
{

	warn0("%s: %s: %s", log->dbpath, what, sqlite3_errmsg(log->h));
}

int
logseq_state(struct srv_log *log, uint64_t *size, uint8_t root[32],
    int64_t *seq)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sqlite3_prepare_v2(log->h, "SELECT size, root, audit_seq FROM "
	    "tlog_state WHERE id = 1", -1, &st, NULL) != SQLITE_OK) {
		dberr(log, "tlog_state");
		return (-1);
	}
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 1) == 32) {
		*size = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(root, sqlite3_column_blob(st, 1), 32);
		*seq = sqlite3_column_int64(st, 2);
		rc = 0;
	} else
		warn0("%s: no log state", log->dbpath);
	sqlite3_finalize(st);
	return (rc);
}

int
logseq_sign(struct srv_log *log, uint64_t size, const uint8_t root[32],
    struct buf *out)
{
	struct checkpoint cp;
	struct buf text = BUF_INIT;
	int rc;

	memset(&cp, 0, sizeof(cp));
	memcpy(cp.origin, log->origin, sizeof(cp.origin));
	cp.size = size;
	memcpy(cp.root, root, 32);
	out->len = 0;
	rc = (checkpoint_format(&cp, &text) ||
	    note_sign(log->signer, text.data, text.len, out)) ? -1 : 0;
	buf_release(&text);
	return (rc);
}

int
logseq_publish(struct srv_log *log, const uint8_t *cp, size_t len,
    uint64_t size)
{

	pthread_mutex_lock(&log->cpmtx);
	log->cp.len = 0;
	if (buf_append(&log->cp, cp, len) == 0)
		log->size = size;
	pthread_mutex_unlock(&log->cpmtx);
	/* For static serving of <data>/log; cofferd serves it from memory. */
	return (logseq_write(log, "checkpoint", cp, len));
}

/* ---------------------------------------------------------------------- */
/* A pass. */

/* What an account's chain looked like before and during this batch. */
struct acct {
	uint8_t id[TLOG_ACCOUNT_LEN];
	uint8_t last[32];
	int64_t entries;
};

struct batch {
	struct acct *a;
	size_t n, cap;
};

/* The account's chain state: from the batch, else the database. */
static struct acct *
acct_get(struct srv_log *log, struct batch *b,
    const uint8_t id[TLOG_ACCOUNT_LEN])
{
	sqlite3_stmt *st;
	struct acct *a;
	size_t i;

	for (i = 0; i < b->n; i++)
		if (memcmp(b->a[i].id, id, TLOG_ACCOUNT_LEN) == 0)
			return (&b->a[i]);
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		if ((a = realloc(b->a, b->cap * sizeof(*a))) == NULL) {
			warnp("realloc");
			return (NULL);
		}
		b->a = a;
	}
	a = &b->a[b->n];
	memcpy(a->id, id, TLOG_ACCOUNT_LEN);
	memset(a->last, 0, 32);
	a->entries = 0;
	if (sqlite3_prepare_v2(log->h, "SELECT last, entries FROM "
	    "tlog_account WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
		dberr(log, "tlog_account");
		return (NULL);
	}
	sqlite3_bind_blob(st, 1, id, TLOG_ACCOUNT_LEN, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_bytes(st, 0) == 32) {
		memcpy(a->last, sqlite3_column_blob(st, 0), 32);
		a->entries = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	b->n++;
	return (a);
}

/* The actor of an audit row: "admin:NAME", "user:NAME", "token:<16 hex>". */
static void
actor_of(const char *actor, struct tlog_entry *e)
{
	uint8_t h[CRYPTO_HASH_LEN];

	memset(e->actor, 0, sizeof(e->actor));
	if (strncmp(actor, "token:", 6) == 0 &&
	    hex_decode(actor + 6, e->actor, 8) == 0) {
		e->actor_kind = TLOG_ACTOR_TOKEN;
	} else if (strncmp(actor, "user:", 5) == 0) {
		e->actor_kind = TLOG_ACTOR_PASSWORD;
	} else if (strncmp(actor, "admin:", 6) == 0) {
		e->actor_kind = TLOG_ACTOR_ADMIN;
		crypto_sha256((const uint8_t *)actor + 6, strlen(actor + 6), h);
		memcpy(e->actor, h, 8);
	} else
		e->actor_kind = TLOG_ACTOR_SERVER;
}

/* The repository of a repository event's detail ("repo=NAME ..."). */
static int
repo_of(const char *detail, char *repo, size_t size)
{
	size_t n;

	if (strncmp(detail, "repo=", 5) != 0)
		return (-1);
	n = strcspn(detail + 5, " ");
	if (n == 0 || n >= size)
		return (-1);
	memcpy(repo, detail + 5, n);
	repo[n] = '\0';
	return (0);
}

/* One audit row to an entry, chained to the account's previous one. */
static int
row_entry(struct srv_log *log, struct batch *b, sqlite3_stmt *st,
    uint8_t out[TLOG_ENTRY_LEN], uint8_t leaf[32])
{
	struct tlog_entry e;
	struct acct *a;
	const char *user, *action, *detail, *actor;
	char repo[128];

	user = (const char *)sqlite3_column_text(st, 2);
	action = (const char *)sqlite3_column_text(st, 3);
	detail = (const char *)sqlite3_column_text(st, 4);
	actor = (const char *)sqlite3_column_text(st, 5);
	if (user == NULL || action == NULL || detail == NULL || actor == NULL)
		return (-1);
	memset(&e, 0, sizeof(e));
	e.event = (uint8_t)tlog_event_of(action);
	e.time = (uint64_t)sqlite3_column_int64(st, 1);
	if (tlog_event_is_repo(e.event) && repo_of(detail, repo, sizeof(repo))
	    == 0) {
		if (srv_log_ids(log, user, repo, e.account, e.scope))
			return (-1);
	} else if (srv_log_ids(log, user, NULL, e.account, NULL))
		return (-1);
	if (tlog_subject(action, detail, e.subject, &e.value)) {
		/* A malformed repository row still gets logged, as "other". */
		e.event = TLOG_EV_OTHER;
		if (tlog_subject("other", detail, e.subject, &e.value))
			return (-1);
	}
	actor_of(actor, &e);
	if ((a = acct_get(log, b, e.account)) == NULL)
		return (-1);
	memcpy(e.prev, a->last, 32);
	tlog_entry_encode(&e, out);
	merkle_leaf_hash(out, TLOG_ENTRY_LEN, leaf);
	memcpy(a->last, leaf, 32);
	a->entries++;
	return (0);
}

static int
emit(void *cookie, const char *path, const uint8_t *p, size_t len)
{

	return (logseq_write(cookie, path, p, len));
}

/* The test suite's crash points. */
static void
crash_point(const char *where)
{
	const char *c = getenv("COFFERD_TEST_LOG_CRASH");

	if (c != NULL && strcmp(c, where) == 0) {
		fprintf(stderr, "cofferd: test crash at %s\n", where);
		kill(getpid(), SIGKILL);
	}
}

/*
 * Commit: compare-and-swap the checkpoint (from osize/oroot/oseq), the
 * accounts' chains.  0, 1 if the state moved under us, -1.
 */
static int
commit(struct srv_log *log, uint64_t osize, const uint8_t oroot[32],
    int64_t oseq, uint64_t size, const uint8_t root[32], int64_t seq,
    const struct buf *cp, const struct batch *b)
{
	sqlite3_stmt *st = NULL;
	size_t i;
	int rc = -1;

	if (logseq_exec(log, "BEGIN IMMEDIATE"))
		return (-1);
	if (sqlite3_prepare_v2(log->h, "UPDATE tlog_state SET size = ?, "
	    "root = ?, audit_seq = ?, checkpoint = ? WHERE id = 1 AND "
	    "size = ? AND root = ? AND audit_seq = ?", -1, &st, NULL) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, (int64_t)size);
	sqlite3_bind_blob(st, 2, root, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, seq);
	sqlite3_bind_blob(st, 4, cp->data, (int)cp->len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (int64_t)osize);
	sqlite3_bind_blob(st, 6, oroot, 32, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, oseq);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_changes(log->h) != 1) {
		warn0("log: the committed checkpoint changed during a pass; "
		    "nothing signed is published");
		logseq_exec(log, "ROLLBACK");
		return (1);
	}
	for (i = 0; i < b->n; i++) {
		if (sqlite3_prepare_v2(log->h, "INSERT OR REPLACE INTO "
		    "tlog_account (id, last, entries) VALUES (?, ?, ?)", -1,
		    &st, NULL) != SQLITE_OK)
			goto fail;
		sqlite3_bind_blob(st, 1, b->a[i].id, TLOG_ACCOUNT_LEN,
		    SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, b->a[i].last, 32, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, b->a[i].entries);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
		sqlite3_finalize(st);
		st = NULL;
	}
	if (logseq_exec(log, "COMMIT") == 0)
		return (0);
	rc = -1;
fail:
	if (st != NULL) {
		dberr(log, "commit");
		sqlite3_finalize(st);
	}
	if (!sqlite3_get_autocommit(log->h))
		logseq_exec(log, "ROLLBACK");
	return (rc);
}

/*
 * No new entries: ask the witnesses whose cosignature the committed
 * checkpoint lacks (down before, or the server restarted), and serve it
 * with what they add.
 */
static int
cosign_again(struct srv_log *log)
{
	struct buf cp = BUF_INIT;
	int rc = 0, same;

	if (log->nwit == 0 || log->bare.len == 0)
		return (0);
	if (logwit_collect(log, &log->bare, log->size, &cp)) {
		buf_release(&cp);
		return (-1);
	}
	pthread_mutex_lock(&log->cpmtx);
	same = (cp.len == log->cp.len && memcmp(cp.data, log->cp.data,
	    cp.len) == 0);
	pthread_mutex_unlock(&log->cpmtx);
	if (!same)
		rc = logseq_publish(log, cp.data, cp.len, log->size);
	buf_release(&cp);
	return (rc);
}

/* The pass itself, with log->mtx held. */
static int
pass(struct srv_log *log, uint64_t *added)
{
	struct tile_builder *tb = NULL;
	struct batch b = { NULL, 0, 0 };
	struct buf cp = BUF_INIT;
	sqlite3_stmt *st = NULL;
	uint8_t oroot[32], root[32], ent[TLOG_ENTRY_LEN], leaf[32];
	uint64_t osize, n = 0;
	int64_t oseq, seq;
	int rc = -1, r;

	*added = 0;
	if (logseq_state(log, &osize, oroot, &oseq))
		return (-1);
	seq = oseq;
	if (sqlite3_prepare_v2(log->h, "SELECT seq, time, user, action, "
	    "detail, actor FROM audit WHERE seq > ? ORDER BY seq LIMIT ?",
	    -1, &st, NULL) != SQLITE_OK) {
		dberr(log, "audit");
		return (-1);
	}
	sqlite3_bind_int64(st, 1, oseq);
	sqlite3_bind_int(st, 2, BATCH);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (tb == NULL) {
			/* The right edge of the committed tree, from disk. */
			if ((tb = tile_builder_new(osize, logseq_fetch, log)) ==
			    NULL || tile_builder_root(tb, root) ||
			    memcmp(root, oroot, 32) != 0) {
				warn0("%s: the tiles on disk do not give the "
				    "committed root (size %" PRIu64 ")",
				    log->dir, osize);
				goto done;
			}
		}
		if (row_entry(log, &b, st, ent, leaf) ||
		    tile_builder_append(tb, ent, sizeof(ent), emit, log))
			goto done;
		seq = sqlite3_column_int64(st, 0);
		n++;
	}
	if (r != SQLITE_DONE) {
		dberr(log, "audit");
		goto done;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (n == 0) {
		rc = cosign_again(log);
		goto done;
	}
	/* Tiles and bundles first, durable, then the checkpoint. */
	if (tile_builder_flush(tb, emit, log) || tile_builder_root(tb, root))
		goto done;
	crash_point("tiles");
	if (logseq_sign(log, osize + n, root, &cp))
		goto done;
	crash_point("signed");
	if ((r = commit(log, osize, oroot, oseq, osize + n, root, seq, &cp,
	    &b)) != 0)
		goto done;
	crash_point("committed");
	*added = n;
	log->bare.len = 0;
	if (buf_append(&log->bare, cp.data, cp.len) ||
	    (log->nwit > 0 && logwit_collect(log, &log->bare, osize + n, &cp)))
		goto done;
	rc = logseq_publish(log, cp.data, cp.len, osize + n);
done:
	sqlite3_finalize(st);
	tile_builder_free(tb);
	buf_release(&cp);
	free(b.a);
	return (rc);
}

int
srv_log_sequence(struct srv_log *log, uint64_t *added)
{
	int rc;

	pthread_mutex_lock(&log->mtx);
	rc = pass(log, added);
	pthread_mutex_unlock(&log->mtx);
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* The thread. */

static void *
run(void *cookie)
{
	struct srv_log *log = cookie;
	struct timespec ts;
	uint64_t added;
	int stopping;

	for (;;) {
		/* Passes back to back while there is a backlog. */
		do {
			if (srv_log_sequence(log, &added))
				added = 0;	/* reported; retried later */
		} while (added >= BATCH);
		pthread_mutex_lock(&log->cpmtx);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += log->interval_ms / 1000;
		ts.tv_nsec += (long)(log->interval_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!log->stopping)
			pthread_cond_timedwait(&log->cv, &log->cpmtx, &ts);
		stopping = log->stopping;
		pthread_mutex_unlock(&log->cpmtx);
		if (stopping)
			break;
	}
	/* A last pass, so that what was audited before the stop is logged. */
	(void)srv_log_sequence(log, &added);
	return (NULL);
}

int
srv_log_start(struct srv_log *log, unsigned interval_ms)
{

	log->interval_ms = interval_ms > 0 ? interval_ms : 1000;
	log->stopping = 0;
	if (pthread_create(&log->thr, NULL, run, log) != 0) {
		warn0("cannot start the log sequencer");
		return (-1);
	}
	log->running = 1;
	return (0);
}

void
srv_log_stop(struct srv_log *log)
{

	if (log == NULL || !log->running)
		return;
	pthread_mutex_lock(&log->cpmtx);
	log->stopping = 1;
	pthread_cond_signal(&log->cv);
	pthread_mutex_unlock(&log->cpmtx);
	pthread_join(log->thr, NULL);
	log->running = 0;
}
