/*
 * cofferd's state in SQLite: the handle, the schema, and the statement
 * helpers every other part of this file uses.  See srv_db.h.
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
#include "util/buf.h"
#include "util/warnp.h"

#include "srv_db.h"

#define SCHEMA_VERSION	1
#define CACHE_SLOTS	1024		/* direct-mapped */
#define CACHE_TTL	300		/* seconds */
#define PWHASH_PARALLEL	4		/* Argon2id runs at once */
#define BUSY_MS		5000

struct cache_ent {
	uint8_t key[CRYPTO_HASH_LEN];	/* SHA-256(hkey||user||0||secret) */
	int64_t authgen;		/* users.authgen when verified */
	int64_t expires;		/* monotonic seconds; 0: empty */
	enum srv_perm perm;
};

/* In sodium_malloc'd memory: never swapped out or in a core dump. */
struct cache {
	uint8_t hkey[32];		/* random, per handle */
	struct cache_ent e[CACHE_SLOTS];
};

struct srv_db {
	sqlite3 *h;
	char *path;
	pthread_mutex_t mtx;		/* every use of h */
	pthread_mutex_t cmtx;		/* c, dummy, st */
	sem_t pwsem;			/* bounds concurrent Argon2id */
	struct cache *c;
	char *dummy;			/* verified against for unknown users */
	unsigned long long opslimit;
	size_t memlimit;
	struct srv_db_stats st;
};

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
dberr(struct srv_db *db, const char *what)
{

	warn0("%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

static int
exec(struct srv_db *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		warn0("%s: %s", db->path, msg != NULL ? msg : "error");
		sqlite3_free(msg);
		return (-1);
	}
	return (0);
}

/*
 * q_prep(db, &st, sql, fmt, ...): prepare sql and bind parameters 1, 2, ...
 * as fmt says: 't' text (const char *), 'i' integer (int64_t), 'b' blob
 * (const void *, size_t).  0 or -1 (reported).
 */
static int
q_prep(struct srv_db *db, sqlite3_stmt **st, const char *sql,
    const char *fmt, ...)
{
	va_list ap;
	const void *p;
	size_t n;
	int i, rc = SQLITE_OK;

	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK) {
		dberr(db, "prepare");
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
		dberr(db, "bind");
		sqlite3_finalize(*st);
		return (-1);
	}
	return (0);
}

/* q_step(db, st): SQLITE_ROW, SQLITE_DONE, or -1 (reported). */
static int
q_step(struct srv_db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return (rc);
	dberr(db, "step");
	return (-1);
}

/* q_done(db, st): run a statement that returns no row; finalize.  0/-1. */
static int
q_done(struct srv_db *db, sqlite3_stmt *st)
{
	int rc = q_step(db, st);

	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* The statement's column as text into dst (truncated, never NULL). */
static void
colcpy(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", s != NULL ? (const char *)s : "");
}

/* Write transactions take the write lock at once (no upgrade deadlock). */
static int
tx_begin(struct srv_db *db)
{

	return (exec(db, "BEGIN IMMEDIATE"));
}

/*
 * tx_end(db, rc): commit if rc is 0, else roll back (1: nothing to do,
 * -1: error).  Returns rc, or -1 if the commit failed.
 */
static int
tx_end(struct srv_db *db, int rc)
{

	if (rc == 0 && exec(db, "COMMIT") == 0)
		return (0);
	if (!sqlite3_get_autocommit(db->h))
		(void)exec(db, "ROLLBACK");
	return (rc == 0 ? -1 : rc);
}

/*
 * grow(&v, &cap, n, size): make room for element n of an array of size-byte
 * elements.  0 or -1 (reported).
 */
static int
grow(void **v, size_t *cap, size_t n, size_t size)
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
static int
valid_text(const char *s, size_t min, size_t max)
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
static int
check_args(const char *what, const char *user, const char *actor)
{

	if (!srv_user_valid_name(user)) {
		warn0("%s: invalid user name (1 to %d of a-z 0-9 . _ -, "
		    "not starting with '.')", what, SRV_USER_MAX);
		return (-1);
	}
	if (!valid_text(actor, 1, 63)) {
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

	if (q_prep(db, &st, sql, "") != 0)
		return (-1);
	if (q_step(db, st) == SQLITE_ROW &&
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
	    exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
	    "PRAGMA secure_delete = ON;") ||
	    pragma_is(db, "PRAGMA foreign_keys", "1") ||
	    tx_begin(db))
		return (-1);
	if (q_prep(db, &st, "PRAGMA user_version", "") == 0) {
		if (q_step(db, st) == SQLITE_ROW)
			ver = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (ver == 0)
		rc = exec(db, schema);
	else if (ver == SCHEMA_VERSION)
		rc = 0;
	else {
		if (ver > 0)
			warn0("%s: schema version %lld is newer than this "
			    "cofferd (%d)", db->path, (long long)ver,
			    SCHEMA_VERSION);
		rc = -1;
	}
	return (tx_end(db, rc));
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

/* audit_row(db, user, action, detail, actor): INSERT, in the caller's tx. */
static int
audit_row(struct srv_db *db, const char *user, const char *action,
    const char *detail, const char *actor)
{
	sqlite3_stmt *st;

	if (q_prep(db, &st, "INSERT INTO audit (time, user, action, detail, "
	    "actor) VALUES (?, ?, ?, ?, ?)", "itttt", (int64_t)time(NULL),
	    user, action, detail, actor))
		return (-1);
	return (q_done(db, st));
}

int
srv_audit(struct srv_db *db, const char *user, const char *action,
    const char *detail, const char *actor)
{
	int rc;

	if (check_args("audit", user, actor))
		return (-1);
	if (!valid_text(action, 1, 31) || !valid_text(detail, 0, 255)) {
		warn0("audit %s: invalid action or detail", user);
		return (-1);
	}
	pthread_mutex_lock(&db->mtx);
	rc = audit_row(db, user, action, detail, actor);
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
		rc = q_prep(db, &st, "SELECT seq, time, user, action, detail, "
		    "actor FROM audit ORDER BY seq", "");
	else
		rc = q_prep(db, &st, "SELECT seq, time, user, action, detail, "
		    "actor FROM audit WHERE user = ? ORDER BY seq", "t", user);
	if (rc == 0) {
		while ((r = q_step(db, st)) == SQLITE_ROW) {
			if ((rc = grow((void **)&v, &cap, n, sizeof(*v))) != 0)
				break;
			e = &v[n++];
			e->seq = sqlite3_column_int64(st, 0);
			e->time = sqlite3_column_int64(st, 1);
			colcpy(e->user, sizeof(e->user), st, 2);
			colcpy(e->action, sizeof(e->action), st, 3);
			colcpy(e->detail, sizeof(e->detail), st, 4);
			colcpy(e->actor, sizeof(e->actor), st, 5);
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

/* ---------------------------------------------------------------------- */
/* Password hashing, bounded in concurrency (64 MiB each). */

static int
pwhash_make(struct srv_db *db, const char *pw, size_t len,
    char out[crypto_pwhash_STRBYTES])
{
	int rc;

	while (sem_wait(&db->pwsem) == -1 && errno == EINTR)
		;
	rc = crypto_pwhash_argon2id_str(out, pw, len, db->opslimit,
	    db->memlimit);
	sem_post(&db->pwsem);
	if (rc != 0) {
		warn0("password hashing failed (out of memory?)");
		return (-1);
	}
	return (0);
}

/* 0 if pw matches the Argon2id string h, else 1. */
static int
pwhash_check(struct srv_db *db, const char *h, const char *pw, size_t len)
{
	int rc;

	while (sem_wait(&db->pwsem) == -1 && errno == EINTR)
		;
	rc = crypto_pwhash_str_verify(h, pw, len);
	sem_post(&db->pwsem);
	pthread_mutex_lock(&db->cmtx);
	db->st.auth_pwhash_runs++;
	pthread_mutex_unlock(&db->cmtx);
	return (rc == 0 ? 0 : 1);
}

/* A hash to verify against when the user is unknown (same cost). */
static const char *
dummy_hash(struct srv_db *db)
{
	char h[crypto_pwhash_STRBYTES];
	uint8_t pw[16];
	const char *d;

	pthread_mutex_lock(&db->cmtx);
	d = db->dummy;
	pthread_mutex_unlock(&db->cmtx);
	if (d != NULL)
		return (d);
	crypto_random(pw, sizeof(pw));
	if (pwhash_make(db, (const char *)pw, sizeof(pw), h))
		return (NULL);
	pthread_mutex_lock(&db->cmtx);
	if (db->dummy == NULL && (db->dummy = strdup(h)) == NULL)
		warnp("strdup");
	d = db->dummy;
	pthread_mutex_unlock(&db->cmtx);
	return (d);
}

/* ---------------------------------------------------------------------- */
/* The credential cache. */

static int64_t
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec);
}

/* key = SHA-256(hkey || user || 0 || secret). */
static void
cache_key(struct srv_db *db, const char *user, const char *secret,
    size_t len, uint8_t key[CRYPTO_HASH_LEN])
{
	crypto_hash_sha256_state s;

	crypto_hash_sha256_init(&s);
	crypto_hash_sha256_update(&s, db->c->hkey, sizeof(db->c->hkey));
	crypto_hash_sha256_update(&s, (const uint8_t *)user,
	    strlen(user) + 1);
	crypto_hash_sha256_update(&s, (const uint8_t *)secret, len);
	crypto_hash_sha256_final(&s, key);
	sodium_memzero(&s, sizeof(s));
}

/* 0 and (perm, authgen) if key is cached and fresh, else 1. */
static int
cache_get(struct srv_db *db, const uint8_t key[CRYPTO_HASH_LEN],
    enum srv_perm *perm, int64_t *authgen)
{
	struct cache_ent *e = &db->c->e[le32dec(key) % CACHE_SLOTS];
	int rc = 1;

	pthread_mutex_lock(&db->cmtx);
	if (e->expires > now_mono() &&
	    sodium_memcmp(e->key, key, CRYPTO_HASH_LEN) == 0) {
		*perm = e->perm;
		*authgen = e->authgen;
		rc = 0;
	}
	pthread_mutex_unlock(&db->cmtx);
	return (rc);
}

static void
cache_put(struct srv_db *db, const uint8_t key[CRYPTO_HASH_LEN],
    enum srv_perm perm, int64_t authgen)
{
	struct cache_ent *e = &db->c->e[le32dec(key) % CACHE_SLOTS];

	pthread_mutex_lock(&db->cmtx);
	memcpy(e->key, key, CRYPTO_HASH_LEN);
	e->perm = perm;
	e->authgen = authgen;
	e->expires = now_mono() + CACHE_TTL;
	pthread_mutex_unlock(&db->cmtx);
}

static void
count(struct srv_db *db, uint64_t *ctr)
{

	pthread_mutex_lock(&db->cmtx);
	(*ctr)++;
	pthread_mutex_unlock(&db->cmtx);
}

/* ---------------------------------------------------------------------- */
/* Authentication. */

/*
 * user_cred(db, user, pwhash, &authgen): the account's password hash (if
 * pwhash is not NULL) and authgen.  0, 1 if no such user, -1.
 */
static int
user_cred(struct srv_db *db, const char *user,
    char pwhash[crypto_pwhash_STRBYTES], int64_t *authgen)
{
	sqlite3_stmt *st;
	int rc = -1;

	pthread_mutex_lock(&db->mtx);
	if (q_prep(db, &st, "SELECT pwhash, authgen FROM users WHERE name = ?",
	    "t", user) == 0) {
		switch (q_step(db, st)) {
		case SQLITE_ROW:
			if (pwhash != NULL)
				colcpy(pwhash, crypto_pwhash_STRBYTES, st, 0);
			*authgen = sqlite3_column_int64(st, 1);
			rc = 0;
			break;
		case SQLITE_DONE:
			rc = 1;
			break;
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

/*
 * token_find(db, user or NULL, secret, len, &owner, &perm, &authgen): the
 * token whose SHA-256 is that of secret, of user if given.  *owner (if
 * owner is not NULL) is malloc'd.  0, 1 if none, -1.
 */
static int
token_find(struct srv_db *db, const char *user, const char *secret,
    size_t len, char **owner, enum srv_perm *perm, int64_t *authgen)
{
	uint8_t h[CRYPTO_HASH_LEN];
	const void *dh;
	const char *p, *o;
	sqlite3_stmt *st;
	int rc = -1;

	crypto_sha256((const uint8_t *)secret, len, h);
	pthread_mutex_lock(&db->mtx);
	if (q_prep(db, &st, "SELECT t.hash, t.perm, t.user, u.authgen "
	    "FROM tokens t JOIN users u ON u.name = t.user "
	    "WHERE t.hash = ?1 AND (?2 IS NULL OR t.user = ?2)", "bt",
	    h, sizeof(h), user))
		goto done;
	switch (q_step(db, st)) {
	case SQLITE_ROW:
		dh = sqlite3_column_blob(st, 0);
		p = (const char *)sqlite3_column_text(st, 1);
		o = (const char *)sqlite3_column_text(st, 2);
		rc = 1;
		if (dh == NULL || sqlite3_column_bytes(st, 0) != sizeof(h) ||
		    sodium_memcmp(dh, h, sizeof(h)) != 0 || p == NULL ||
		    o == NULL || srv_perm_parse(p, perm) != 0)
			break;
		*authgen = sqlite3_column_int64(st, 3);
		rc = 0;
		if (owner != NULL && (*owner = strdup(o)) == NULL) {
			warnp("strdup");
			rc = -1;
		}
		break;
	case SQLITE_DONE:
		rc = 1;
		break;
	}
	sqlite3_finalize(st);
done:
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

/* The password path of srv_db_auth: 0 (perm full), 1 wrong, -1. */
static int
auth_password(struct srv_db *db, const char *user, const char *secret,
    size_t len, int64_t *authgen)
{
	char h[crypto_pwhash_STRBYTES];
	const char *d;
	int rc;

	if ((rc = user_cred(db, user, h, authgen)) == -1)
		return (-1);
	if (rc == 1) {
		/* As slow as a wrong password: do not tell who exists. */
		if ((d = dummy_hash(db)) == NULL)
			return (-1);
		(void)pwhash_check(db, d, secret, len);
		return (1);
	}
	return (pwhash_check(db, h, secret, len));
}

int
srv_db_auth(struct srv_db *db, const char *user, const char *secret,
    size_t len, enum srv_perm *perm)
{
	uint8_t key[CRYPTO_HASH_LEN];
	enum srv_perm p;
	int64_t gen, cur;
	int rc;

	*perm = PERM_NONE;
	/* No password is empty; and an empty secret is no token. */
	if (!srv_user_valid_name(user) || secret == NULL || len == 0) {
		count(db, &db->st.auth_failures);
		return (1);
	}
	cache_key(db, user, secret, len, key);
	if (cache_get(db, key, &p, &gen) == 0) {
		if ((rc = user_cred(db, user, NULL, &cur)) == -1)
			return (-1);
		if (rc == 0 && cur == gen) {
			count(db, &db->st.auth_cache_hits);
			*perm = p;
			return (0);
		}
	}
	/* A token of this account (cheap), else its password (Argon2id). */
	if ((rc = token_find(db, user, secret, len, NULL, &p, &gen)) == 1) {
		p = PERM_FULL;
		rc = auth_password(db, user, secret, len, &gen);
	}
	if (rc == 0) {
		cache_put(db, key, p, gen);
		*perm = p;
	} else if (rc == 1)
		count(db, &db->st.auth_failures);
	sodium_memzero(key, sizeof(key));
	return (rc);
}

int
srv_db_auth_token(struct srv_db *db, const char *token, char **user,
    enum srv_perm *perm)
{
	int64_t gen;
	int rc;

	*user = NULL;
	*perm = PERM_NONE;
	if (token == NULL || strlen(token) != SRV_TOKEN_LEN ||
	    strncmp(token, "cft_", 4) != 0)
		rc = 1;
	else
		rc = token_find(db, NULL, token, SRV_TOKEN_LEN, user, perm,
		    &gen);
	if (rc == 1)
		count(db, &db->st.auth_failures);
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* Accounts. */

static int
user_exists(struct srv_db *db, const char *user)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (q_prep(db, &st, "SELECT 1 FROM users WHERE name = ?", "t",
	    user) == 0) {
		rc = q_step(db, st);
		rc = (rc == SQLITE_ROW) ? 0 : (rc == SQLITE_DONE) ? 1 : -1;
		sqlite3_finalize(st);
	}
	return (rc);
}

/* A fresh authgen: random, with room below INT64_MAX for increments. */
static int64_t
new_authgen(void)
{
	uint8_t b[8];

	crypto_random(b, sizeof(b));
	return ((int64_t)(le64dec(b) >> 2));
}

static int
check_pw(const char *what, const char *user, size_t len)
{

	if (len == 0 || len > crypto_pwhash_PASSWD_MAX) {
		warn0("%s %s: %s password refused", what, user,
		    len == 0 ? "empty" : "over-long");
		return (-1);
	}
	return (0);
}

int
srv_user_add(struct srv_db *db, const char *user, const char *pw,
    size_t len, const char *actor)
{
	char h[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;
	int rc;

	if (check_args("user add", user, actor) ||
	    check_pw("user add", user, len) || pwhash_make(db, pw, len, h))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	if ((rc = tx_begin(db)) == 0 &&
	    (rc = q_prep(db, &st, "INSERT INTO users (name, pwhash, quota, "
	    "used, created, authgen) VALUES (?, ?, 0, 0, ?, ?) "
	    "ON CONFLICT (name) DO NOTHING", "ttii", user, h,
	    (int64_t)time(NULL), new_authgen())) == 0 &&
	    (rc = q_done(db, st)) == 0) {
		if (sqlite3_changes(db->h) == 0) {
			warn0("user %s already exists", user);
			rc = 1;
		} else
			rc = audit_row(db, user, "user.add", "", actor);
	}
	rc = tx_end(db, rc);
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

/*
 * change(db, user, action, detail, actor, st): inside the caller's
 * transaction, run st (a prepared UPDATE or DELETE of the user's row), write
 * the audit row, and end the transaction.  0, 1 if no such user
 * (reported), -1.
 */
static int
change(struct srv_db *db, const char *user, const char *action,
    const char *detail, const char *actor, sqlite3_stmt *st)
{
	int rc;

	if ((rc = q_done(db, st)) == 0) {
		if (sqlite3_changes(db->h) == 0) {
			warn0("no such user: %s", user);
			rc = 1;
		} else
			rc = audit_row(db, user, action, detail, actor);
	}
	return (tx_end(db, rc));
}

int
srv_user_passwd(struct srv_db *db, const char *user, const char *pw,
    size_t len, const char *actor)
{
	char h[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;
	int rc = -1;

	if (check_args("user passwd", user, actor) ||
	    check_pw("user passwd", user, len) || pwhash_make(db, pw, len, h))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	if (tx_begin(db) == 0) {
		if (q_prep(db, &st, "UPDATE users SET pwhash = ?, "
		    "authgen = authgen + 1 WHERE name = ?", "tt", h, user))
			rc = tx_end(db, -1);
		else
			rc = change(db, user, "user.passwd", "", actor, st);
	}
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

/* The number of tokens of user, or -1. */
static int64_t
token_count(struct srv_db *db, const char *user)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (q_prep(db, &st, "SELECT count(*) FROM tokens WHERE user = ?",
	    "t", user) == 0) {
		if (q_step(db, st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return (n);
}

int
srv_user_remove(struct srv_db *db, const char *user, const char *actor)
{
	char detail[64];
	sqlite3_stmt *st;
	int64_t n;
	int rc = -1;

	if (check_args("user remove", user, actor))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	if (tx_begin(db) == 0) {
		/* Its tokens go too (ON DELETE CASCADE). */
		n = token_count(db, user);
		snprintf(detail, sizeof(detail), "tokens=%lld", (long long)n);
		if (n < 0 || q_prep(db, &st, "DELETE FROM users WHERE name = ?",
		    "t", user))
			rc = tx_end(db, -1);
		else
			rc = change(db, user, "user.remove", detail, actor, st);
	}
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

int
srv_user_set_quota(struct srv_db *db, const char *user, uint64_t quota,
    const char *actor)
{
	char detail[64];
	sqlite3_stmt *st;
	int rc = -1;

	if (check_args("user quota", user, actor))
		return (-1);
	if (quota > INT64_MAX) {
		warn0("user quota %s: quota too large", user);
		return (-1);
	}
	snprintf(detail, sizeof(detail), "quota=%llu",
	    (unsigned long long)quota);
	pthread_mutex_lock(&db->mtx);
	if (tx_begin(db) == 0) {
		if (q_prep(db, &st, "UPDATE users SET quota = ? WHERE name = ?",
		    "it", (int64_t)quota, user))
			rc = tx_end(db, -1);
		else
			rc = change(db, user, "quota.set", detail, actor, st);
	}
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

static void
user_row(sqlite3_stmt *st, struct srv_user_info *u)
{
	int64_t q = sqlite3_column_int64(st, 1);
	int64_t used = sqlite3_column_int64(st, 2);

	colcpy(u->name, sizeof(u->name), st, 0);
	u->quota = (q > 0) ? (uint64_t)q : 0;
	u->used = (used > 0) ? (uint64_t)used : 0;
	u->created = sqlite3_column_int64(st, 3);
}

int
srv_user_list(struct srv_db *db, struct srv_user_info **vp, size_t *np)
{
	struct srv_user_info *v = NULL;
	sqlite3_stmt *st;
	size_t n = 0, cap = 0;
	int rc, r = -1;

	*vp = NULL;
	*np = 0;
	pthread_mutex_lock(&db->mtx);
	if ((rc = q_prep(db, &st, "SELECT name, quota, used, created "
	    "FROM users ORDER BY name", "")) == 0) {
		while ((r = q_step(db, st)) == SQLITE_ROW &&
		    (rc = grow((void **)&v, &cap, n, sizeof(*v))) == 0)
			user_row(st, &v[n++]);
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

int
srv_user_get(struct srv_db *db, const char *user, struct srv_user_info *u)
{
	sqlite3_stmt *st;
	int rc = -1;

	memset(u, 0, sizeof(*u));
	if (!srv_user_valid_name(user))
		return (1);
	pthread_mutex_lock(&db->mtx);
	if (q_prep(db, &st, "SELECT name, quota, used, created FROM users "
	    "WHERE name = ?", "t", user) == 0) {
		switch (q_step(db, st)) {
		case SQLITE_ROW:
			user_row(st, u);
			rc = 0;
			break;
		case SQLITE_DONE:
			rc = 1;
			break;
		}
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* Tokens. */

/* Make a token and its id; 0 or -1. */
static int
token_new(char *token, size_t size, char id[SRV_TOKEN_ID_LEN + 1],
    uint8_t h[CRYPTO_HASH_LEN])
{
	uint8_t raw[32];

	crypto_random(raw, sizeof(raw));
	memcpy(token, "cft_", 4);
	if (sodium_bin2base64(token + 4, size - 4, raw, sizeof(raw),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) == NULL ||
	    strlen(token) != SRV_TOKEN_LEN) {
		sodium_memzero(raw, sizeof(raw));
		warn0("token encoding failed");
		return (-1);
	}
	sodium_memzero(raw, sizeof(raw));
	crypto_sha256((const uint8_t *)token, SRV_TOKEN_LEN, h);
	hex_encode(h, SRV_TOKEN_ID_LEN / 2, id);
	return (0);
}

int
srv_token_add(struct srv_db *db, const char *user, enum srv_perm perm,
    const char *label, char *token, size_t size,
    char id[SRV_TOKEN_ID_LEN + 1], const char *actor)
{
	uint8_t h[CRYPTO_HASH_LEN];
	char detail[256];
	sqlite3_stmt *st;
	int rc = -1;

	if (label == NULL)
		label = "";
	if (check_args("token add", user, actor))
		return (-1);
	if (perm < PERM_READ || perm > PERM_FULL ||
	    !valid_text(label, 0, SRV_LABEL_MAX) || size < SRV_TOKEN_SIZE) {
		warn0("token add %s: invalid permission or label (at most "
		    "%d printable ASCII characters)", user, SRV_LABEL_MAX);
		return (-1);
	}
	if (token_new(token, size, id, h))
		return (-1);
	snprintf(detail, sizeof(detail), "id=%s perm=%s label=%s", id,
	    srv_perm_name(perm), label);
	pthread_mutex_lock(&db->mtx);
	if (tx_begin(db) == 0) {
		if ((rc = user_exists(db, user)) == 1)
			warn0("no such user: %s", user);
		else if (rc == 0 && (rc = q_prep(db, &st, "INSERT INTO tokens "
		    "(id, user, hash, perm, label, created) VALUES "
		    "(?, ?, ?, ?, ?, ?)", "ttbtti", id, user, h, sizeof(h),
		    srv_perm_name(perm), label, (int64_t)time(NULL))) == 0 &&
		    (rc = q_done(db, st)) == 0)
			rc = audit_row(db, user, "token.add", detail, actor);
		rc = tx_end(db, rc);
	}
	pthread_mutex_unlock(&db->mtx);
	if (rc != 0)
		sodium_memzero(token, size);
	return (rc);
}

int
srv_token_revoke(struct srv_db *db, const char *user, const char *id,
    const char *actor)
{
	char detail[64];
	sqlite3_stmt *st;
	int rc = -1;

	if (check_args("token revoke", user, actor))
		return (-1);
	if (strlen(id) != SRV_TOKEN_ID_LEN ||
	    strspn(id, "0123456789abcdef") != SRV_TOKEN_ID_LEN) {
		warn0("token revoke %s: a token id is %d hex digits", user,
		    SRV_TOKEN_ID_LEN);
		return (-1);
	}
	snprintf(detail, sizeof(detail), "id=%s", id);
	pthread_mutex_lock(&db->mtx);
	if (tx_begin(db) == 0) {
		if ((rc = user_exists(db, user)) == 1)
			warn0("no such user: %s", user);
		else if (rc == 0 && (rc = q_prep(db, &st, "DELETE FROM tokens "
		    "WHERE id = ? AND user = ?", "tt", id, user)) == 0 &&
		    (rc = q_done(db, st)) == 0 && sqlite3_changes(db->h) == 0) {
			warn0("user %s has no token %s", user, id);
			rc = 1;
		}
		/* Cached verifications of the token stop counting. */
		if (rc == 0 && (rc = q_prep(db, &st, "UPDATE users SET "
		    "authgen = authgen + 1 WHERE name = ?", "t", user)) == 0 &&
		    (rc = q_done(db, st)) == 0)
			rc = audit_row(db, user, "token.revoke", detail, actor);
		rc = tx_end(db, rc);
	}
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

int
srv_token_list(struct srv_db *db, const char *user,
    struct srv_token_info **vp, size_t *np)
{
	struct srv_token_info *v = NULL, *t;
	sqlite3_stmt *st;
	size_t n = 0, cap = 0;
	int rc, r = -1;

	*vp = NULL;
	*np = 0;
	if (!srv_user_valid_name(user)) {
		warn0("token list: invalid user name");
		return (-1);
	}
	pthread_mutex_lock(&db->mtx);
	if ((rc = user_exists(db, user)) == 1)
		warn0("no such user: %s", user);
	else if (rc == 0 && (rc = q_prep(db, &st, "SELECT id, perm, label, "
	    "created FROM tokens WHERE user = ? ORDER BY created, rowid", "t",
	    user)) == 0) {
		while ((r = q_step(db, st)) == SQLITE_ROW &&
		    (rc = grow((void **)&v, &cap, n, sizeof(*v))) == 0) {
			t = &v[n++];
			colcpy(t->id, sizeof(t->id), st, 0);
			if (srv_perm_parse((const char *)
			    sqlite3_column_text(st, 1), &t->perm))
				t->perm = PERM_NONE;
			colcpy(t->label, sizeof(t->label), st, 2);
			t->created = sqlite3_column_int64(st, 3);
		}
		if (r == -1)
			rc = -1;
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&db->mtx);
	if (rc != 0) {
		free(v);
		return (rc);
	}
	*vp = v;
	*np = n;
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Usage. */

/* usage_update(db, user, sql, bytes): run; the number of rows changed. */
static int
usage_update(struct srv_db *db, const char *user, const char *sql,
    uint64_t bytes)
{
	sqlite3_stmt *st;

	if (q_prep(db, &st, sql, "it", (int64_t)bytes, user) ||
	    q_done(db, st))
		return (-1);
	return (sqlite3_changes(db->h));
}

/* After an UPDATE changed nothing: 0 if the user exists, else -1. */
static int
usage_no_row(struct srv_db *db, const char *user)
{
	int rc = user_exists(db, user);

	if (rc == 1)
		warn0("usage: no such user: %s", user);
	return (rc == 0 ? 0 : -1);
}

static int
usage_args(const char *what, const char *user, uint64_t bytes)
{

	if (!srv_user_valid_name(user) || bytes > INT64_MAX) {
		warn0("usage %s: invalid user name or size", what);
		return (-1);
	}
	return (0);
}

int
srv_usage_reserve(struct srv_db *db, const char *user, uint64_t bytes)
{
	int rc;

	if (usage_args("reserve", user, bytes))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	/* One statement: the check and the addition cannot be split. */
	rc = usage_update(db, user, "UPDATE users SET used = used + ?1 "
	    "WHERE name = ?2 AND used <= 9223372036854775807 - ?1 AND "
	    "(quota = 0 OR used + ?1 <= quota)", bytes);
	if (rc == 0)			/* over quota, or no such user */
		rc = usage_no_row(db, user) == 0 ? 1 : -1;
	else if (rc == 1)
		rc = 0;
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

int
srv_usage_release(struct srv_db *db, const char *user, uint64_t bytes)
{
	int rc;

	if (usage_args("release", user, bytes))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	rc = usage_update(db, user, "UPDATE users SET used = used - ?1 "
	    "WHERE name = ?2 AND used >= ?1", bytes);
	if (rc == 0 && usage_no_row(db, user) == 0) {
		warn0("usage of %s: released %llu bytes, more than in use; "
		    "usage set to 0", user, (unsigned long long)bytes);
		rc = usage_update(db, user, "UPDATE users SET used = 0 "
		    "WHERE name = ?2 AND ?1 >= 0", bytes);
	}
	pthread_mutex_unlock(&db->mtx);
	return (rc == 1 ? 0 : -1);
}

int
srv_usage_set(struct srv_db *db, const char *user, uint64_t bytes)
{
	int rc;

	if (usage_args("set", user, bytes))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	rc = usage_update(db, user, "UPDATE users SET used = ?1 "
	    "WHERE name = ?2", bytes);
	if (rc == 0)
		(void)usage_no_row(db, user);
	pthread_mutex_unlock(&db->mtx);
	return (rc == 1 ? 0 : -1);
}
