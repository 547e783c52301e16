/*
 * cofferd's state in SQLite: the handle, the schema, the statement helpers
 * and the audit table.  See srv_db.h; srv_db_auth.c, srv_db_user.c and
 * srv_db_tokens.c hold the rest, and srv_db_int.h what they share.
 *
 * Concurrency: the connection is opened SQLITE_OPEN_FULLMUTEX, and on top
 * of that every use of it holds db->mtx, because a connection has one
 * transaction at a time and one sqlite3_changes(): without the mutex, a
 * thread's usage UPDATE could land inside another thread's BEGIN ... ROLLBACK,
 * or read the other thread's change count.  Argon2id never runs under
 * db->mtx.  The credential cache has its own mutex, db->cmtx.
 *
 * Cache invalidation works across processes: users.authgen changes in the
 * same transaction as a password change or a token revocation, a cache
 * entry remembers the authgen it was verified under, and a hit counts only
 * if the row still has that value (one indexed SELECT, not an Argon2id
 * run).  A new account starts at a random authgen, so an entry left from a
 * removed account of the same name never matches.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "srv_db_int.h"

#define SCHEMA_VERSION	1
#define PWHASH_PARALLEL	4		/* Argon2id runs at once */
#define BUSY_MS		5000

static const char schema[] =
    "CREATE TABLE users ("
    " name TEXT PRIMARY KEY NOT NULL,"
    " pwhash TEXT NOT NULL,"
    " quota INTEGER NOT NULL DEFAULT 0 CHECK (quota >= 0),"
    " used INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0),"
    " created INTEGER NOT NULL,"
    " authgen INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " user TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,"
    " hash BLOB NOT NULL UNIQUE,"
    " perm TEXT NOT NULL CHECK (perm IN ('full', 'append', 'read')),"
    " label TEXT NOT NULL DEFAULT '',"
    " created INTEGER NOT NULL);"
    "CREATE INDEX tokens_user ON tokens(user);"
    "CREATE TABLE audit ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time INTEGER NOT NULL,"
    " user TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " detail TEXT NOT NULL DEFAULT '',"
    " actor TEXT NOT NULL);"
    "CREATE INDEX audit_user ON audit(user, seq);"
    /* The audit table is append-only; the transparency log relies on it. */
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
    "PRAGMA user_version = 1;";

/* ---------------------------------------------------------------------- */
/* Statement helpers.  All are called with db->mtx held. */

static void
sdb_err(struct srv_db *db, const char *what)
{

	warn0("%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

int
srv_sql_exec(sqlite3 *h, const char *path, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		warn0("%s: %s", path, msg != NULL ? msg : "error");
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

/*
 * sdb_prep(db, &st, sql, fmt, ...): prepare sql and bind parameters 1, 2,
 * ... as fmt says: 't' text (const char *), 'i' integer (int64_t), 'b' blob
 * (const void *, size_t).  0 or -1 (reported).
 */
int
sdb_prep(struct srv_db *db, sqlite3_stmt **st, const char *sql,
    const char *fmt, ...)
{
	va_list ap;
	const void *p;
	size_t n;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK) {
		sdb_err(db, "prepare");
		return (-1);
	}
	va_start(ap, fmt);
	for (i = 0; fmt[i] != '\0' && rc == SQLITE_OK; i++) {
		if (fmt[i] == 't')
			rc = sqlite3_bind_text(*st, i + 1,
			    va_arg(ap, const char *), -1, SQLITE_STATIC);
		else if (fmt[i] == 'i')
			rc = sqlite3_bind_int64(*st, i + 1,
			    va_arg(ap, int64_t));
		else {
			p = va_arg(ap, const void *);
			n = va_arg(ap, size_t);
			rc = sqlite3_bind_blob(*st, i + 1, p, (int)n,
			    SQLITE_STATIC);
		}
	}
	va_end(ap);
	if (rc != SQLITE_OK) {
		sdb_err(db, "bind");
		sqlite3_finalize(*st);
		return (-1);
	}
	return (0);
}

/* sdb_step(db, st): SQLITE_ROW, SQLITE_DONE, or -1 (reported). */
int
sdb_step(struct srv_db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return (rc);
	sdb_err(db, "step");
	return (-1);
}

/* sdb_done(db, st): run a statement that returns no row; finalize.  0/-1. */
int
sdb_done(struct srv_db *db, sqlite3_stmt *st)
{
	int rc = sdb_step(db, st);

	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* The statement's column as text into dst (truncated, never NULL). */
void
sdb_colcpy(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s != NULL ? (const char *)s : "");
}

/* Write transactions take the write lock at once (no upgrade deadlock). */
int
sdb_begin(struct srv_db *db)
{

	return (srv_sql_exec(db->h, db->path, "BEGIN IMMEDIATE"));
}

/*
 * sdb_end(db, rc): commit if rc is 0, else roll back (1: nothing to do,
 * -1: error).  Returns rc, or -1 if the commit failed.
 */
int
sdb_end(struct srv_db *db, int rc)
{

	if (rc == 0 && srv_sql_exec(db->h, db->path, "COMMIT") == 0)
		return (0);
	if (!sqlite3_get_autocommit(db->h))
		(void)srv_sql_exec(db->h, db->path, "ROLLBACK");
	return (rc == 0 ? -1 : rc);
}

/*
 * sdb_grow(&v, &cap, n, size): make room for element n of an array of size-byte
 * elements.  0 or -1 (reported).
 */
int
sdb_grow(void **v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return (0);
	ncap = (*cap == 0) ? 16 : *cap * 2;
	if (ncap > SIZE_MAX / size) {
		errno = ENOMEM;
		warnp("list");
		return (-1);
	}
	if ((p = realloc(*v, ncap * size)) == NULL) {
		warnp("list");
		return (-1);
	}
	*v = p;
	*cap = ncap;
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Validation. */

int
srv_user_valid_name(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0' || s[0] == '.')
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i == SRV_USER_MAX)
			return (0);
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		    s[i] == '_' || s[i] == '-'))
			return (0);
	}
	return (1);
}

/* Printable ASCII, min..max bytes. */
int
sdb_valid_text(const char *s, size_t min, size_t max)
{
	size_t i;

	if (s == NULL)
		return (0);
	for (i = 0; s[i] != '\0'; i++)
		if (i == max || s[i] < 0x20 || s[i] > 0x7e)
			return (0);
	return (i >= min);
}

/* Name and actor of an admin mutation.  0, or -1 (reported). */
int
sdb_check_args(const char *what, const char *user, const char *actor)
{

	if (!srv_user_valid_name(user)) {
		warn0("%s: invalid user name (1 to %d of a-z 0-9 . _ -, "
		    "not starting with '.')", what, SRV_USER_MAX);
		return (-1);
	}
	if (!sdb_valid_text(actor, 1, 63)) {
		warn0("%s %s: invalid actor", what, user);
		return (-1);
	}
	return (0);
}

const char *
srv_perm_name(enum srv_perm p)
{

	switch (p) {
	case PERM_FULL:
		return ("full");
	case PERM_APPEND:
		return ("append");
	case PERM_READ:
		return ("read");
	default:
		return ("none");
	}
}

int
srv_perm_parse(const char *s, enum srv_perm *p)
{

	if (strcmp(s, "full") == 0)
		*p = PERM_FULL;
	else if (strcmp(s, "append") == 0)
		*p = PERM_APPEND;
	else if (strcmp(s, "read") == 0)
		*p = PERM_READ;
	else
		return (-1);
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Opening. */

/* Create the database file mode 0600 before SQLite does (0644). */
static int
make_file(const char *path)
{
	struct stat sb;
	int fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1) {
		warnp("cannot open %s", path);
		return (-1);
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		warn0("%s: not a regular file", path);
		close(fd);
		return (-1);
	}
	if ((sb.st_mode & 077) != 0 && fchmod(fd, 0600) == -1) {
		warnp("cannot chmod %s", path);
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

/* One-row PRAGMA whose text answer must be want. */
static int
pragma_is(struct srv_db *db, const char *sql, const char *want)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sdb_prep(db, &st, sql, "") != 0)
		return (-1);
	if (sdb_step(db, st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0) != NULL &&
	    strcmp((const char *)sqlite3_column_text(st, 0), want) == 0)
		rc = 0;
	else
		warn0("%s: \"%s\" did not give \"%s\"", db->path, sql, want);
	sqlite3_finalize(st);
	return (rc);
}

/* Settings of the connection, then the schema. */
static int
setup(struct srv_db *db)
{
	sqlite3_stmt *st;
	int64_t ver = -1;
	int rc;

	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, BUSY_MS);
	if (pragma_is(db, "PRAGMA journal_mode = WAL", "wal") ||
	    srv_sql_exec(db->h, db->path, "PRAGMA synchronous = FULL; "
	    "PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;") ||
	    pragma_is(db, "PRAGMA foreign_keys", "1") ||
	    sdb_begin(db))
		return (-1);
	if (sdb_prep(db, &st, "PRAGMA user_version", "") == 0) {
		if (sdb_step(db, st) == SQLITE_ROW)
			ver = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (ver == 0)
		rc = srv_sql_exec(db->h, db->path, schema);
	else if (ver == SCHEMA_VERSION)
		rc = 0;
	else {
		if (ver > 0)
			warn0("%s: schema version %lld is newer than this "
			    "cofferd (%d)", db->path, (long long)ver,
			    SCHEMA_VERSION);
		rc = -1;
	}
	return (sdb_end(db, rc));
}

static int
open_dir(const char *dir)
{
	struct stat sb;

	if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
		warnp("cannot create %s", dir);
		return (-1);
	}
	if (stat(dir, &sb) == -1) {
		warnp("%s", dir);
		return (-1);
	}
	if (!S_ISDIR(sb.st_mode)) {
		warn0("%s: not a directory", dir);
		return (-1);
	}
	return (0);
}

int
srv_db_open(const char *dir, struct srv_db **out)
{
	struct srv_db *db;
	const char *fast = getenv("COFFERD_TEST_FAST_HASH");

	*out = NULL;
	if (crypto_init() || open_dir(dir))
		return (-1);
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->path = malloc(strlen(dir) + sizeof("/cofferd.db"))) == NULL ||
	    (db->c = sodium_malloc(sizeof(*db->c))) == NULL) {
		warnp("srv_db_open");
		if (db != NULL)
			free(db->path);
		free(db);
		return (-1);
	}
	sprintf(db->path, "%s/cofferd.db", dir);
	memset(db->c, 0, sizeof(*db->c));
	crypto_random(db->c->hkey, sizeof(db->c->hkey));
	pthread_mutex_init(&db->mtx, NULL);
	pthread_mutex_init(&db->cmtx, NULL);
	sem_init(&db->pwsem, 0, PWHASH_PARALLEL);
	db->opslimit = crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
	db->memlimit = crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
	if (fast != NULL && strcmp(fast, "1") == 0) {
		db->opslimit = 1;
		db->memlimit = 8 << 20;
	}
	if (make_file(db->path))
		goto err;
	if (sqlite3_open_v2(db->path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		warn0("%s: %s", db->path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "cannot open");
		goto err;
	}
	if (setup(db))
		goto err;
	*out = db;
	return (0);
err:
	srv_db_close(db);
	return (-1);
}

void
srv_db_close(struct srv_db *db)
{

	if (db == NULL)
		return;
	if (db->h != NULL && sqlite3_close(db->h) != SQLITE_OK)
		warn0("%s: close: %s", db->path, sqlite3_errmsg(db->h));
	sodium_free(db->c);		/* wipes */
	free(db->dummy);
	sem_destroy(&db->pwsem);
	pthread_mutex_destroy(&db->cmtx);
	pthread_mutex_destroy(&db->mtx);
	free(db->path);
	free(db);
}

void
srv_db_stats(struct srv_db *db, struct srv_db_stats *st)
{

	pthread_mutex_lock(&db->cmtx);
	*st = db->st;
	pthread_mutex_unlock(&db->cmtx);
}

/* ---------------------------------------------------------------------- */
/* Audit. */

/* sdb_audit_row(db, user, action, detail, actor): INSERT in the caller's tx. */
int
sdb_audit_row(struct srv_db *db, const char *user, const char *action,
    const char *detail, const char *actor)
{
	sqlite3_stmt *st;

	if (sdb_prep(db, &st, "INSERT INTO audit (time, user, action, detail, "
	    "actor) VALUES (?, ?, ?, ?, ?)", "itttt", (int64_t)time(NULL),
	    user, action, detail, actor))
		return (-1);
	return (sdb_done(db, st));
}

int
srv_audit(struct srv_db *db, const char *user, const char *action,
    const char *detail, const char *actor)
{
	int rc;

	if (sdb_check_args("audit", user, actor))
		return (-1);
	if (!sdb_valid_text(action, 1, 31) || !sdb_valid_text(detail, 0, 255)) {
		warn0("audit %s: invalid action or detail", user);
		return (-1);
	}
	pthread_mutex_lock(&db->mtx);
	rc = sdb_audit_row(db, user, action, detail, actor);
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

int
srv_audit_list(struct srv_db *db, const char *user,
    struct srv_audit_entry **vp, size_t *np)
{
	struct srv_audit_entry *v = NULL, *e;
	sqlite3_stmt *st;
	size_t n = 0, cap = 0;
	int rc, r;

	*vp = NULL;
	*np = 0;
	pthread_mutex_lock(&db->mtx);
	if (user == NULL)
		rc = sdb_prep(db, &st, "SELECT seq, time, user, action, detail, "
		    "actor FROM audit ORDER BY seq", "");
	else
		rc = sdb_prep(db, &st, "SELECT seq, time, user, action, detail, "
		    "actor FROM audit WHERE user = ? ORDER BY seq", "t", user);
	if (rc == 0) {
		while ((r = sdb_step(db, st)) == SQLITE_ROW) {
			if ((rc = sdb_grow((void **)&v, &cap, n, sizeof(*v))) != 0)
				break;
			e = &v[n++];
			e->seq = sqlite3_column_int64(st, 0);
			e->time = sqlite3_column_int64(st, 1);
			sdb_colcpy(e->user, sizeof(e->user), st, 2);
			sdb_colcpy(e->action, sizeof(e->action), st, 3);
			sdb_colcpy(e->detail, sizeof(e->detail), st, 4);
			sdb_colcpy(e->actor, sizeof(e->actor), st, 5);
		}
		if (r == -1)
			rc = -1;
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mtx);
	if (rc != 0) {
		free(v);
		return (-1);
	}
	*vp = v;
	*np = n;
	return (0);
}
