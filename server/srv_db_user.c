/*
 * cofferd's accounts (add, password, remove, quota, list) and their usage
 * accounting against the quota.  See srv_db.h.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "crypto/crypto.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "srv_db_int.h"

/* ---------------------------------------------------------------------- */
/* Accounts. */

int
sdb_user_exists(struct srv_db *db, const char *user)
{
	sqlite3_stmt *st;
	int rc = -1;

	if (sdb_prep(db, &st, "SELECT 1 FROM users WHERE name = ?", "t",
	    user) == 0) {
		rc = sdb_step(db, st);
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

	if (sdb_check_args("user add", user, actor) ||
	    check_pw("user add", user, len) || sdb_pwhash_make(db, pw, len, h))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	if ((rc = sdb_begin(db)) == 0 &&
	    (rc = sdb_prep(db, &st, "INSERT INTO users (name, pwhash, quota, "
	    "used, created, authgen) VALUES (?, ?, 0, 0, ?, ?) "
	    "ON CONFLICT (name) DO NOTHING", "ttii", user, h,
	    (int64_t)time(NULL), new_authgen())) == 0 &&
	    (rc = sdb_done(db, st)) == 0) {
		if (sqlite3_changes(db->h) == 0) {
			warn0("user %s already exists", user);
			rc = 1;
		} else
			rc = sdb_audit_row(db, user, "user.add", "", actor);
	}
	rc = sdb_end(db, rc);
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

	if ((rc = sdb_done(db, st)) == 0) {
		if (sqlite3_changes(db->h) == 0) {
			warn0("no such user: %s", user);
			rc = 1;
		} else
			rc = sdb_audit_row(db, user, action, detail, actor);
	}
	return (sdb_end(db, rc));
}

int
srv_user_passwd(struct srv_db *db, const char *user, const char *pw,
    size_t len, const char *actor)
{
	char h[crypto_pwhash_STRBYTES];
	sqlite3_stmt *st;
	int rc = -1;

	if (sdb_check_args("user passwd", user, actor) ||
	    check_pw("user passwd", user, len) || sdb_pwhash_make(db, pw, len, h))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	if (sdb_begin(db) == 0) {
		if (sdb_prep(db, &st, "UPDATE users SET pwhash = ?, "
		    "authgen = authgen + 1 WHERE name = ?", "tt", h, user))
			rc = sdb_end(db, -1);
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

	if (sdb_prep(db, &st, "SELECT count(*) FROM tokens WHERE user = ?",
	    "t", user) == 0) {
		if (sdb_step(db, st) == SQLITE_ROW)
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

	if (sdb_check_args("user remove", user, actor))
		return (-1);
	pthread_mutex_lock(&db->mtx);
	if (sdb_begin(db) == 0) {
		/* Its tokens go too (ON DELETE CASCADE). */
		n = token_count(db, user);
		snprintf(detail, sizeof(detail), "tokens=%lld", (long long)n);
		if (n < 0 || sdb_prep(db, &st, "DELETE FROM users WHERE name = ?",
		    "t", user))
			rc = sdb_end(db, -1);
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

	if (sdb_check_args("user quota", user, actor))
		return (-1);
	if (quota > INT64_MAX) {
		warn0("user quota %s: quota too large", user);
		return (-1);
	}
	snprintf(detail, sizeof(detail), "quota=%llu",
	    (unsigned long long)quota);
	pthread_mutex_lock(&db->mtx);
	if (sdb_begin(db) == 0) {
		if (sdb_prep(db, &st, "UPDATE users SET quota = ? WHERE name = ?",
		    "it", (int64_t)quota, user))
			rc = sdb_end(db, -1);
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

	sdb_colcpy(u->name, sizeof(u->name), st, 0);
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
	if ((rc = sdb_prep(db, &st, "SELECT name, quota, used, created "
	    "FROM users ORDER BY name", "")) == 0) {
		while ((r = sdb_step(db, st)) == SQLITE_ROW &&
		    (rc = sdb_grow((void **)&v, &cap, n, sizeof(*v))) == 0)
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
	if (sdb_prep(db, &st, "SELECT name, quota, used, created FROM users "
	    "WHERE name = ?", "t", user) == 0) {
		switch (sdb_step(db, st)) {
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
/* Usage. */

/* usage_update(db, user, sql, bytes): run; the number of rows changed. */
static int
usage_update(struct srv_db *db, const char *user, const char *sql,
    uint64_t bytes)
{
	sqlite3_stmt *st;

	if (sdb_prep(db, &st, sql, "it", (int64_t)bytes, user) ||
	    sdb_done(db, st))
		return (-1);
	return (sqlite3_changes(db->h));
}

/* After an UPDATE changed nothing: 0 if the user exists, else -1. */
static int
usage_no_row(struct srv_db *db, const char *user)
{
	int rc = sdb_user_exists(db, user);

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
