/*
 * A realm's records in SQLite; see srv_realm_db.h.  One connection,
 * serialized by db->mtx across a whole transaction (a connection has one
 * transaction at a time).  The recovery protocol's guarantee that a guess
 * is charged before an evaluation leaves rests on synchronous=FULL: with
 * WAL, COMMIT returns after the WAL is fsync'd.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include "srv_realm_db.h"

#define SCHEMA_VERSION	1
#define BUSY_MS		5000

struct srv_realm_db {
	sqlite3 *h;
	char *path;
	pthread_mutex_t mtx;
};

static const char schema[] =
    "CREATE TABLE meta ("
    " key TEXT PRIMARY KEY NOT NULL,"
    " value BLOB NOT NULL);"
    "CREATE TABLE records ("
    " account TEXT NOT NULL,"
    " rid BLOB NOT NULL,"
    " state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
    " challenge BLOB,"
    " challenge_for INTEGER NOT NULL DEFAULT 0,"
    " version BLOB, share_index INTEGER, t INTEGER, n INTEGER,"
    " k BLOB, pk BLOB, vk BLOB, sig BLOB, commitment BLOB, tag BLOB,"
    " s BLOB, enc BLOB, enc_commitment BLOB,"
    " num_guesses INTEGER NOT NULL DEFAULT 0,"
    " guess_count INTEGER NOT NULL DEFAULT 0,"
    " updated INTEGER NOT NULL,"
    " PRIMARY KEY (account, rid));"
    "PRAGMA user_version = 1;";

static int
exec(struct srv_realm_db *db, const char *sql)
{

	return (srv_sql_exec(db->h, db->path, sql));
}

static int
prep(struct srv_realm_db *db, sqlite3_stmt **st, const char *sql)
{

	if (sqlite3_prepare_v2(db->h, sql, -1, st, NULL) != SQLITE_OK) {
		warn0("%s: prepare: %s", db->path, sqlite3_errmsg(db->h));
		return (-1);
	}
	return (0);
}

/* Run a statement that returns no row, and finalize it.  0 or -1. */
static int
done(struct srv_realm_db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE)
		warn0("%s: step: %s", db->path, sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return (rc == SQLITE_DONE ? 0 : -1);
}

/* Bind account and rid as parameters 1 and 2.  0 or -1. */
static int
bind_key(sqlite3_stmt *st, const char *account, const uint8_t *rid)
{

	return (sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC) ||
	    sqlite3_bind_blob(st, 2, rid, RWIRE_ID, SQLITE_STATIC) ? -1 : 0);
}

int
srv_realm_db_begin(struct srv_realm_db *db)
{

	pthread_mutex_lock(&db->mtx);
	if (exec(db, "BEGIN IMMEDIATE")) {
		pthread_mutex_unlock(&db->mtx);
		return (-1);
	}
	return (0);
}

int
srv_realm_db_end(struct srv_realm_db *db, int rc)
{

	if (rc == 0 && exec(db, "COMMIT") != 0)
		rc = -1;
	if (!sqlite3_get_autocommit(db->h))
		(void)exec(db, "ROLLBACK");
	pthread_mutex_unlock(&db->mtx);
	return (rc);
}

/* Copy blob column col into dst of exactly len bytes (NULL: zeros). */
static int
colblob(sqlite3_stmt *st, int col, uint8_t *dst, size_t len)
{
	const void *p = sqlite3_column_blob(st, col);
	int n = sqlite3_column_bytes(st, col);

	if (p == NULL) {
		memset(dst, 0, len);
		return (n == 0 ? 0 : -1);
	}
	if ((size_t)n != len)
		return (-1);
	memcpy(dst, p, len);
	return (0);
}

int
srv_realm_db_get(struct srv_realm_db *db, const char *account,
    const uint8_t rid[RWIRE_ID], struct realm_rec *r)
{
	sqlite3_stmt *st;
	int rc, bad = 0;

	memset(r, 0, sizeof(*r));
	r->state = REC_NONE;
	if (prep(db, &st, "SELECT state, challenge, challenge_for, version, "
	    "share_index, t, n, k, pk, vk, sig, commitment, tag, s, enc, "
	    "enc_commitment, num_guesses, guess_count FROM records "
	    "WHERE account = ? AND rid = ?"))
		return (-1);
	if (bind_key(st, account, rid)) {
		sqlite3_finalize(st);
		return (-1);
	}
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r->state = sqlite3_column_int(st, 0);
		bad |= colblob(st, 1, r->challenge, RWIRE_CHAL);
		r->challenge_for = sqlite3_column_int(st, 2);
		bad |= colblob(st, 3, r->version, RWIRE_VER);
		r->index = (uint8_t)sqlite3_column_int(st, 4);
		r->t = (uint8_t)sqlite3_column_int(st, 5);
		r->n = (uint8_t)sqlite3_column_int(st, 6);
		bad |= colblob(st, 7, r->k, RWIRE_SCALAR);
		bad |= colblob(st, 8, r->pk, RWIRE_ELEM);
		bad |= colblob(st, 9, r->vk, RWIRE_VK);
		bad |= colblob(st, 10, r->sig, RWIRE_SIG);
		bad |= colblob(st, 11, r->commitment, RWIRE_MAC);
		bad |= colblob(st, 12, r->tag, RWIRE_MAC);
		bad |= colblob(st, 13, r->s, RWIRE_SCALAR);
		bad |= colblob(st, 14, r->enc, RWIRE_ENC);
		bad |= colblob(st, 15, r->enc_commitment, RWIRE_MAC);
		r->num_guesses = (uint16_t)sqlite3_column_int(st, 16);
		r->guess_count = (uint16_t)sqlite3_column_int(st, 17);
		if (r->state < REC_NOT_REGISTERED || r->state > REC_NO_GUESSES)
			bad = 1;
		rc = bad ? -1 : SQLITE_DONE;
		if (bad)
			warn0("%s: record of %s is damaged", db->path, account);
	} else if (rc != SQLITE_DONE) {
		warn0("%s: step: %s", db->path, sqlite3_errmsg(db->h));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rwire_wipe(r, sizeof(*r));
		return (-1);
	}
	return (0);
}

/* Bind blob p (or NULL when !keep) as parameter i. */
static int
bindb(sqlite3_stmt *st, int i, const uint8_t *p, size_t len, int keep)
{

	if (!keep)
		return (sqlite3_bind_null(st, i));
	return (sqlite3_bind_blob(st, i, p, (int)len, SQLITE_STATIC));
}

int
srv_realm_db_put(struct srv_realm_db *db, const char *account,
    const uint8_t rid[RWIRE_ID], const struct realm_rec *r)
{
	sqlite3_stmt *st;
	int keep = (r->state == REC_REGISTERED);
	int chal = (r->challenge_for != CHAL_NONE), e = 0;

	if (prep(db, &st, "INSERT OR REPLACE INTO records (account, rid, "
	    "state, challenge, challenge_for, version, share_index, t, n, k, "
	    "pk, vk, sig, commitment, tag, s, enc, enc_commitment, "
	    "num_guesses, guess_count, updated) VALUES (?, ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"))
		return (-1);
	e |= bind_key(st, account, rid);
	e |= sqlite3_bind_int(st, 3, r->state);
	e |= bindb(st, 4, r->challenge, RWIRE_CHAL, chal);
	e |= sqlite3_bind_int(st, 5, chal ? r->challenge_for : CHAL_NONE);
	e |= bindb(st, 6, r->version, RWIRE_VER, keep);
	e |= sqlite3_bind_int(st, 7, keep ? r->index : 0);
	e |= sqlite3_bind_int(st, 8, keep ? r->t : 0);
	e |= sqlite3_bind_int(st, 9, keep ? r->n : 0);
	e |= bindb(st, 10, r->k, RWIRE_SCALAR, keep);
	e |= bindb(st, 11, r->pk, RWIRE_ELEM, keep);
	e |= bindb(st, 12, r->vk, RWIRE_VK, keep);
	e |= bindb(st, 13, r->sig, RWIRE_SIG, keep);
	e |= bindb(st, 14, r->commitment, RWIRE_MAC, keep);
	e |= bindb(st, 15, r->tag, RWIRE_MAC, keep);
	e |= bindb(st, 16, r->s, RWIRE_SCALAR, keep);
	e |= bindb(st, 17, r->enc, RWIRE_ENC, keep);
	e |= bindb(st, 18, r->enc_commitment, RWIRE_MAC, keep);
	e |= sqlite3_bind_int(st, 19, keep ? r->num_guesses : 0);
	e |= sqlite3_bind_int(st, 20, keep ? r->guess_count : 0);
	e |= sqlite3_bind_int64(st, 21, (sqlite3_int64)time(NULL));
	if (e != SQLITE_OK) {
		warn0("%s: bind: %s", db->path, sqlite3_errmsg(db->h));
		sqlite3_finalize(st);
		return (-1);
	}
	return (done(db, st));
}

int
srv_realm_db_del(struct srv_realm_db *db, const char *account,
    const uint8_t rid[RWIRE_ID])
{
	sqlite3_stmt *st;

	if (prep(db, &st, "DELETE FROM records WHERE account = ? AND rid = ?"))
		return (-1);
	if (bind_key(st, account, rid)) {
		sqlite3_finalize(st);
		return (-1);
	}
	return (done(db, st));
}

int
srv_realm_db_count(struct srv_realm_db *db, const char *account,
    int64_t *n)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (prep(db, &st, "SELECT count(*) FROM records WHERE account = ?"))
		return (-1);
	if (sqlite3_bind_text(st, 1, account, -1, SQLITE_STATIC) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		*n = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* Opening. */

/* Create the file mode 0600 before SQLite does (0644). */
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
	close(fd);
	return (0);
}

/* The schema, and the realm id (drawn now if the database is new). */
static int
setup(struct srv_realm_db *db, uint8_t id[RWIRE_ID])
{
	sqlite3_stmt *st;
	int64_t ver = -1;
	int rc = -1;

	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, BUSY_MS);
	if (exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
	    "PRAGMA secure_delete = ON;") || srv_realm_db_begin(db))
		return (-1);
	if (prep(db, &st, "PRAGMA user_version") == 0) {
		if (sqlite3_step(st) == SQLITE_ROW)
			ver = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (ver == 0) {
		crypto_random(id, RWIRE_ID);
		if (exec(db, schema) || prep(db, &st, "INSERT INTO meta "
		    "(key, value) VALUES ('realm_id', ?)"))
			goto end;
		sqlite3_bind_blob(st, 1, id, RWIRE_ID, SQLITE_STATIC);
		rc = done(db, st);
	} else if (ver == SCHEMA_VERSION) {
		if (prep(db, &st, "SELECT value FROM meta "
		    "WHERE key = 'realm_id'"))
			goto end;
		if (sqlite3_step(st) == SQLITE_ROW &&
		    colblob(st, 0, id, RWIRE_ID) == 0 &&
		    !sodium_is_zero(id, RWIRE_ID))
			rc = 0;
		else
			warn0("%s: no valid realm id", db->path);
		sqlite3_finalize(st);
	} else if (ver > 0) {
		warn0("%s: schema version %lld is newer than this cofferd (%d)",
		    db->path, (long long)ver, SCHEMA_VERSION);
	}
end:
	return (srv_realm_db_end(db, rc));
}

int
srv_realm_db_open(const char *dir, uint8_t id[RWIRE_ID],
    struct srv_realm_db **out)
{
	struct srv_realm_db *db;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL ||
	    (db->path = malloc(strlen(dir) + sizeof("/realm.db"))) == NULL) {
		warnp("srv_realm_db_open");
		free(db);
		return (-1);
	}
	sprintf(db->path, "%s/realm.db", dir);
	pthread_mutex_init(&db->mtx, NULL);
	if (make_file(db->path))
		goto err;
	if (sqlite3_open_v2(db->path, &db->h, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK) {
		warn0("%s: %s", db->path, db->h != NULL ?
		    sqlite3_errmsg(db->h) : "cannot open");
		goto err;
	}
	if (setup(db, id))
		goto err;
	*out = db;
	return (0);
err:
	srv_realm_db_close(db);
	return (-1);
}

void
srv_realm_db_close(struct srv_realm_db *db)
{

	if (db == NULL)
		return;
	if (db->h != NULL && sqlite3_close(db->h) != SQLITE_OK)
		warn0("%s: close: %s", db->path, sqlite3_errmsg(db->h));
	pthread_mutex_destroy(&db->mtx);
	free(db->path);
	free(db);
}
