/*
 * cofferd's state (server/srv_db.c): accounts, passwords and tokens, the
 * credential cache, quotas and usage, and the audit table.
 *
 * What must hold: a credential works exactly while it is valid (the cache
 * never outlives a password change, a revocation or a removal, even one
 * made through another handle, as the admin commands are another
 * process); a token's permission is the one it was issued with and it
 * works only for its own account; usage never exceeds the quota, even
 * under concurrent reservations from several threads and connections;
 * every admin change leaves exactly one audit row, in order, and a failed
 * change none; and no password or token ever reaches the database file.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "srv_db.h"

#include "test.h"

#define PW1	"Tr0ub4dor&3-first-password"
#define PW2	"second-password-c0rrect-h0rse"
#define ACTOR	"admin:test"

static char dir[64];

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{

	(void)sb;
	(void)flag;
	(void)f;
	return (remove(p));
}

/* A fresh data directory and an open handle on it. */
static struct srv_db *
fresh(void)
{
	struct srv_db *db = NULL;

	if (dir[0] != '\0')
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	snprintf(dir, sizeof(dir), "/tmp/test_srv_db.XXXXXX");
	if (mkdtemp(dir) == NULL || srv_db_open(dir, &db) != 0) {
		perror("fresh");
		exit(1);
	}
	return (db);
}

static int
add(struct srv_db *db, const char *user, const char *pw)
{

	return (srv_user_add(db, user, pw, strlen(pw), ACTOR));
}

static int
auth(struct srv_db *db, const char *user, const char *secret,
    enum srv_perm *p)
{

	return (srv_db_auth(db, user, secret, strlen(secret), p));
}

/* Run one SQL statement on the file through a connection of our own. */
static int
raw_sql(const char *sql, char *out, size_t size)
{
	char path[128];
	sqlite3 *h;
	sqlite3_stmt *st;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/cofferd.db", dir);
	if (sqlite3_open(path, &h) != SQLITE_OK)
		return (-1);
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK) {
		switch (sqlite3_step(st)) {
		case SQLITE_ROW:
			if (out != NULL)
				snprintf(out, size, "%s",
				    (const char *)sqlite3_column_text(st, 0));
			rc = 0;
			break;
		case SQLITE_DONE:
			rc = 0;
			break;
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(h);
	return (rc);
}

static void
test_names(void)
{
	static const char *good[] = { "a", "alice", "bob-2", "x_y.z", "0",
	    "a.", "a..b" };
	static const char *bad[] = { "", ".", ".alice", "Alice", "al ice",
	    "al/ice", "al\\ice", "ali\xc3\xa9", "a\n", "a:b", "a%2f" };
	char l64[65], l65[66];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(srv_user_valid_name(good[i]) == 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(srv_user_valid_name(bad[i]) == 0);
	CHECK(srv_user_valid_name(NULL) == 0);
	memset(l64, 'a', 64);
	l64[64] = '\0';
	memset(l65, 'a', 65);
	l65[65] = '\0';
	CHECK(srv_user_valid_name(l64) == 1);
	CHECK(srv_user_valid_name(l65) == 0);
}

static void
test_open(void)
{
	struct srv_db *db = fresh(), *db2;
	char path[128], v[64];
	struct stat sb;

	/* The file and its WAL are private to the server's user. */
	CHECK(add(db, "alice", PW1) == 0);
	snprintf(path, sizeof(path), "%s/cofferd.db", dir);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	snprintf(path, sizeof(path), "%s/cofferd.db-wal", dir);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	CHECK(raw_sql("PRAGMA user_version", v, sizeof(v)) == 0 &&
	    strcmp(v, "1") == 0);
	CHECK(raw_sql("PRAGMA journal_mode", v, sizeof(v)) == 0 &&
	    strcmp(v, "wal") == 0);
	/* A second handle (another process) sees the same state. */
	CHECK(srv_db_open(dir, &db2) == 0);
	CHECK(add(db2, "bob", PW2) == 0);
	srv_db_close(db2);
	srv_db_close(db);
	CHECK(srv_db_open(dir, &db) == 0);
	CHECK(srv_user_get(db, "bob", &(struct srv_user_info){ 0 }) == 0);
	srv_db_close(db);

	/* A newer schema is refused. */
	CHECK(raw_sql("PRAGMA user_version = 2", NULL, 0) == 0);
	warnp_quiet(1);
	CHECK(srv_db_open(dir, &db) == -1);
	warnp_quiet(0);
	/* A loose mode is tightened. */
	CHECK(raw_sql("PRAGMA user_version = 1", NULL, 0) == 0);
	snprintf(path, sizeof(path), "%s/cofferd.db", dir);
	CHECK(chmod(path, 0644) == 0);
	CHECK(srv_db_open(dir, &db) == 0);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	srv_db_close(db);
}

static void
test_users(void)
{
	struct srv_db *db = fresh();
	struct srv_user_info *v, u;
	char h[256];
	size_t n;

	CHECK(srv_user_list(db, &v, &n) == 0 && n == 0 && v == NULL);
	CHECK(add(db, "bob", PW1) == 0);
	CHECK(add(db, "alice", PW2) == 0);
	warnp_quiet(1);
	CHECK(add(db, "alice", PW1) == 1);
	CHECK(add(db, "Alice", PW1) == -1);
	CHECK(add(db, ".x", PW1) == -1);
	CHECK(srv_user_add(db, "carol", "", 0, ACTOR) == -1);
	CHECK(srv_user_add(db, "carol", PW1, strlen(PW1), "") == -1);
	CHECK(srv_user_add(db, "carol", PW1, strlen(PW1), "bad\nactor") == -1);
	CHECK(srv_user_set_quota(db, "nobody", 5, ACTOR) == 1);
	CHECK(srv_user_set_quota(db, "alice", (uint64_t)INT64_MAX + 1,
	    ACTOR) == -1);
	CHECK(srv_user_remove(db, "nobody", ACTOR) == 1);
	CHECK(srv_user_passwd(db, "nobody", PW1, strlen(PW1), ACTOR) == 1);
	CHECK(srv_user_passwd(db, "BAD", PW1, strlen(PW1), ACTOR) == -1);
	warnp_quiet(0);
	CHECK(srv_user_get(db, "carol", &u) == 1);

	CHECK(srv_user_set_quota(db, "alice", 1 << 20, ACTOR) == 0);
	CHECK(srv_user_list(db, &v, &n) == 0 && n == 2);
	if (n == 2) {
		CHECK(strcmp(v[0].name, "alice") == 0);
		CHECK(v[0].quota == 1 << 20 && v[0].used == 0);
		CHECK(strcmp(v[1].name, "bob") == 0 && v[1].quota == 0);
		CHECK(v[0].created > 1600000000 && v[1].created > 1600000000);
	}
	free(v);
	CHECK(srv_user_get(db, "alice", &u) == 0 && u.quota == 1 << 20);

	/* Stored as Argon2id, at the cheap test setting here. */
	CHECK(raw_sql("SELECT pwhash FROM users WHERE name = 'alice'", h,
	    sizeof(h)) == 0);
	CHECK(strncmp(h, "$argon2id$v=19$m=8192,t=1,", 26) == 0);

	CHECK(srv_user_passwd(db, "alice", PW1, strlen(PW1), ACTOR) == 0);
	CHECK(srv_user_remove(db, "bob", ACTOR) == 0);
	CHECK(srv_user_get(db, "bob", &u) == 1);
	CHECK(srv_user_list(db, &v, &n) == 0 && n == 1);
	free(v);
	srv_db_close(db);
}

/* Without COFFERD_TEST_FAST_HASH: the interactive Argon2id setting. */
static void
test_hash_params(void)
{
	struct srv_db *db;
	char h[256];

	unsetenv("COFFERD_TEST_FAST_HASH");
	db = fresh();
	setenv("COFFERD_TEST_FAST_HASH", "1", 1);
	CHECK(add(db, "alice", PW1) == 0);
	CHECK(raw_sql("SELECT pwhash FROM users", h, sizeof(h)) == 0);
	CHECK(strncmp(h, "$argon2id$v=19$m=65536,t=2,p=1$", 31) == 0);
	srv_db_close(db);
}

static void
test_auth_password(void)
{
	struct srv_db *db = fresh();
	enum srv_perm p;

	CHECK(add(db, "alice", PW1) == 0);
	CHECK(add(db, "bob", PW2) == 0);
	CHECK(auth(db, "alice", PW1, &p) == 0 && p == PERM_FULL);
	CHECK(auth(db, "bob", PW2, &p) == 0 && p == PERM_FULL);
	CHECK(auth(db, "alice", PW2, &p) == 1 && p == PERM_NONE);
	CHECK(auth(db, "bob", PW1, &p) == 1);
	CHECK(auth(db, "alice", "", &p) == 1);
	CHECK(srv_db_auth(db, "alice", PW1, strlen(PW1) - 1, &p) == 1);
	/* The secret is bytes, not a C string. */
	CHECK(srv_db_auth(db, "alice", PW1 "\0x", strlen(PW1) + 2, &p) == 1);
	CHECK(auth(db, "carol", PW1, &p) == 1);
	CHECK(auth(db, "ALICE", PW1, &p) == 1);
	CHECK(auth(db, "../alice", PW1, &p) == 1);
	srv_db_close(db);
}

/* Checks on one issued token. */
static void
check_token(const char *tok, const char *id)
{
	uint8_t h[CRYPTO_HASH_LEN];
	char hex[2 * CRYPTO_HASH_LEN + 1];

	CHECK(strlen(tok) == SRV_TOKEN_LEN && strncmp(tok, "cft_", 4) == 0);
	CHECK(strspn(tok + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
	    "uvwxyz0123456789-_") == SRV_TOKEN_LEN - 4);
	crypto_sha256((const uint8_t *)tok, strlen(tok), h);
	hex_encode(h, sizeof(h), hex);
	CHECK(strlen(id) == SRV_TOKEN_ID_LEN && strncmp(hex, id, 16) == 0);
}

static void
test_tokens(void)
{
	static const enum srv_perm perms[3] = { PERM_FULL, PERM_APPEND,
	    PERM_READ };
	struct srv_db *db = fresh();
	char tok[3][SRV_TOKEN_SIZE], id[3][SRV_TOKEN_ID_LEN + 1], small[20];
	char bogus[SRV_TOKEN_SIZE], xid[SRV_TOKEN_ID_LEN + 1], *user;
	struct srv_token_info *v;
	enum srv_perm p;
	size_t n;
	int i;

	CHECK(add(db, "alice", PW1) == 0);
	CHECK(add(db, "bob", PW2) == 0);
	for (i = 0; i < 3; i++) {
		CHECK(srv_token_add(db, "alice", perms[i], i == 1 ? "laptop" :
		    NULL, tok[i], sizeof(tok[i]), id[i], ACTOR) == 0);
		check_token(tok[i], id[i]);
	}
	CHECK(strcmp(tok[0], tok[1]) != 0 && strcmp(id[0], id[1]) != 0);
	warnp_quiet(1);
	CHECK(srv_token_add(db, "carol", PERM_READ, NULL, bogus,
	    sizeof(bogus), xid, ACTOR) == 1);
	CHECK(srv_token_add(db, "alice", PERM_NONE, NULL, bogus,
	    sizeof(bogus), xid, ACTOR) == -1);
	CHECK(srv_token_add(db, "alice", PERM_READ, "bad\tlabel", bogus,
	    sizeof(bogus), xid, ACTOR) == -1);
	CHECK(srv_token_add(db, "alice", PERM_READ, NULL, small,
	    sizeof(small), xid, ACTOR) == -1);
	CHECK(srv_token_add(db, "Alice", PERM_READ, NULL, bogus,
	    sizeof(bogus), xid, ACTOR) == -1);
	warnp_quiet(0);

	/* Each works, as Basic password of its own account, or bearer. */
	for (i = 0; i < 3; i++) {
		CHECK(auth(db, "alice", tok[i], &p) == 0 && p == perms[i]);
		CHECK(auth(db, "bob", tok[i], &p) == 1);
		CHECK(srv_db_auth_token(db, tok[i], &user, &p) == 0 &&
		    user != NULL && strcmp(user, "alice") == 0 &&
		    p == perms[i]);
		free(user);
	}
	memcpy(bogus, tok[0], sizeof(bogus));
	bogus[10] ^= 1;
	CHECK(srv_db_auth_token(db, bogus, &user, &p) == 1 && user == NULL);
	CHECK(auth(db, "alice", bogus, &p) == 1);
	CHECK(srv_db_auth_token(db, "cft_", &user, &p) == 1);
	CHECK(srv_db_auth_token(db, PW1, &user, &p) == 1);

	CHECK(srv_token_list(db, "alice", &v, &n) == 0 && n == 3);
	for (i = 0; i < (int)n && n == 3; i++) {
		CHECK(strcmp(v[i].id, id[i]) == 0 && v[i].perm == perms[i]);
		CHECK(strcmp(v[i].label, i == 1 ? "laptop" : "") == 0);
	}
	free(v);
	CHECK(srv_token_list(db, "bob", &v, &n) == 0 && n == 0);
	warnp_quiet(1);
	CHECK(srv_token_list(db, "carol", &v, &n) == 1);

	/* Revocation: only by its owner, only once. */
	CHECK(srv_token_revoke(db, "bob", id[1], ACTOR) == 1);
	CHECK(srv_token_revoke(db, "carol", id[1], ACTOR) == 1);
	CHECK(srv_token_revoke(db, "alice", "0123456789abcdef", ACTOR) == 1);
	CHECK(srv_token_revoke(db, "alice", "xyz", ACTOR) == -1);
	CHECK(srv_token_revoke(db, "alice", id[1], ACTOR) == 0);
	CHECK(srv_token_revoke(db, "alice", id[1], ACTOR) == 1);
	warnp_quiet(0);
	CHECK(auth(db, "alice", tok[1], &p) == 1);
	CHECK(srv_db_auth_token(db, tok[1], &user, &p) == 1);
	CHECK(auth(db, "alice", tok[2], &p) == 0 && p == PERM_READ);
	CHECK(srv_token_list(db, "alice", &v, &n) == 0 && n == 2);
	free(v);

	/* Removing the account takes its tokens along. */
	CHECK(srv_user_remove(db, "alice", ACTOR) == 0);
	CHECK(srv_db_auth_token(db, tok[0], &user, &p) == 1);
	CHECK(raw_sql("SELECT count(*) FROM tokens", small,
	    sizeof(small)) == 0 && strcmp(small, "0") == 0);
	srv_db_close(db);
}

static void
test_cache(void)
{
	struct srv_db *db = fresh(), *other;
	char tok[SRV_TOKEN_SIZE], id[SRV_TOKEN_ID_LEN + 1];
	struct srv_db_stats st;
	enum srv_perm p;
	int i;

	CHECK(add(db, "alice", PW1) == 0);
	for (i = 0; i < 5; i++)
		CHECK(auth(db, "alice", PW1, &p) == 0 && p == PERM_FULL);
	srv_db_stats(db, &st);
	CHECK(st.auth_pwhash_runs == 1 && st.auth_cache_hits == 4);
	/* A wrong password is never cached as right. */
	CHECK(auth(db, "alice", PW2, &p) == 1);
	CHECK(auth(db, "alice", PW2, &p) == 1);
	srv_db_stats(db, &st);
	CHECK(st.auth_pwhash_runs == 3 && st.auth_failures == 2);

	/* passwd: the cached old password stops working at once. */
	CHECK(srv_user_passwd(db, "alice", PW2, strlen(PW2), ACTOR) == 0);
	CHECK(auth(db, "alice", PW1, &p) == 1);
	CHECK(auth(db, "alice", PW2, &p) == 0 && p == PERM_FULL);

	/* Revoking a cached token, through another handle (process). */
	CHECK(srv_token_add(db, "alice", PERM_APPEND, NULL, tok, sizeof(tok),
	    id, ACTOR) == 0);
	CHECK(auth(db, "alice", tok, &p) == 0 && p == PERM_APPEND);
	CHECK(auth(db, "alice", tok, &p) == 0 && p == PERM_APPEND);
	srv_db_stats(db, &st);
	CHECK(st.auth_cache_hits == 5);
	CHECK(srv_db_open(dir, &other) == 0);
	CHECK(srv_token_revoke(other, "alice", id, ACTOR) == 0);
	CHECK(auth(db, "alice", tok, &p) == 1);

	/* A password changed by another handle. */
	CHECK(auth(db, "alice", PW2, &p) == 0);
	CHECK(srv_user_passwd(other, "alice", PW1, strlen(PW1), ACTOR) == 0);
	CHECK(auth(db, "alice", PW2, &p) == 1);
	CHECK(auth(db, "alice", PW1, &p) == 0);

	/* Removed, then a new account of the same name: old secret fails. */
	CHECK(srv_user_remove(other, "alice", ACTOR) == 0);
	CHECK(auth(db, "alice", PW1, &p) == 1);
	CHECK(add(other, "alice", PW2) == 0);
	CHECK(auth(db, "alice", PW1, &p) == 1);
	CHECK(auth(db, "alice", PW2, &p) == 0);
	srv_db_close(other);
	srv_db_close(db);
}

static void
test_usage(void)
{
	struct srv_db *db = fresh();
	struct srv_user_info u;

	CHECK(add(db, "alice", PW1) == 0);
	CHECK(srv_user_set_quota(db, "alice", 1000, ACTOR) == 0);
	CHECK(srv_usage_reserve(db, "alice", 600) == 0);
	CHECK(srv_usage_reserve(db, "alice", 401) == 1);
	CHECK(srv_usage_reserve(db, "alice", 400) == 0);
	CHECK(srv_usage_reserve(db, "alice", 1) == 1);
	CHECK(srv_usage_reserve(db, "alice", 0) == 0);
	CHECK(srv_user_get(db, "alice", &u) == 0 && u.used == 1000);
	CHECK(srv_usage_release(db, "alice", 300) == 0);
	CHECK(srv_usage_reserve(db, "alice", 300) == 0);
	/* Lowering the quota below usage refuses growth, not the quota. */
	CHECK(srv_user_set_quota(db, "alice", 500, ACTOR) == 0);
	CHECK(srv_usage_reserve(db, "alice", 1) == 1);
	CHECK(srv_user_set_quota(db, "alice", 0, ACTOR) == 0);
	CHECK(srv_usage_reserve(db, "alice", (uint64_t)1 << 40) == 0);
	CHECK(srv_usage_reserve(db, "alice", INT64_MAX) == 1);
	CHECK(srv_usage_set(db, "alice", 5) == 0);
	warnp_quiet(1);
	CHECK(srv_usage_release(db, "alice", 10) == 0);	/* clamped */
	CHECK(srv_usage_reserve(db, "nobody", 1) == -1);
	CHECK(srv_usage_release(db, "nobody", 1) == -1);
	CHECK(srv_usage_set(db, "nobody", 1) == -1);
	CHECK(srv_usage_reserve(db, "Bad", 1) == -1);
	CHECK(srv_usage_reserve(db, "alice", (uint64_t)INT64_MAX + 1) == -1);
	CHECK(srv_usage_reserve(db, "alice", UINT64_MAX) == -1);
	warnp_quiet(0);
	CHECK(srv_user_get(db, "alice", &u) == 0 && u.used == 0);
	srv_db_close(db);
}

#define NTHREADS	4
#define QUOTA		60000

struct worker {
	struct srv_db *db;
	unsigned seed;
	uint64_t net;		/* reserved - released */
	int errors;
};

/*
 * Reserve sizes 1..199 until refused 20 times; release some on the way.
 */
static void *
worker(void *cookie)
{
	struct worker *w = cookie;
	uint64_t sz;
	int refused = 0, rc, i;

	/* Bounded, so that a quota never enforced fails, not hangs. */
	for (i = 0; refused < 20 && i < 5000; i++) {
		sz = 1 + rand_r(&w->seed) % 199;
		if ((rc = srv_usage_reserve(w->db, "alice", sz)) == 0) {
			w->net += sz;
			if (rand_r(&w->seed) % 8 == 0) {
				if (srv_usage_release(w->db, "alice", sz))
					w->errors++;
				else
					w->net -= sz;
			}
		} else if (rc == 1)
			refused++;
		else
			w->errors++;
	}
	return (NULL);
}

static void
test_usage_threads(void)
{
	struct srv_db *db = fresh(), *db2;
	struct worker w[NTHREADS];
	pthread_t t[NTHREADS];
	struct srv_user_info u;
	uint64_t total = 0;
	int i;

	CHECK(add(db, "alice", PW1) == 0);
	CHECK(srv_user_set_quota(db, "alice", QUOTA, ACTOR) == 0);
	CHECK(srv_db_open(dir, &db2) == 0);
	/* Two threads on each of two connections: one process, and two. */
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct worker){ i < 2 ? db : db2, 7u * (unsigned)i + 1,
		    0, 0 };
		CHECK(pthread_create(&t[i], NULL, worker, &w[i]) == 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK(w[i].errors == 0);
		total += w[i].net;
	}
	CHECK(srv_user_get(db, "alice", &u) == 0);
	CHECK(u.used == total);
	CHECK(u.used <= QUOTA);
	CHECK(u.used > QUOTA - 200);	/* refused only when nearly full */
	srv_db_close(db2);
	srv_db_close(db);
}

struct authw {
	struct srv_db *db;
	const char *tok;
	int errors;
};

/* Right and wrong credentials, over and over. */
static void *
auth_worker(void *cookie)
{
	struct authw *w = cookie;
	enum srv_perm p;
	char *user;
	int i;

	for (i = 0; i < 50; i++) {
		if (auth(w->db, "alice", PW1, &p) != 0 || p != PERM_FULL)
			w->errors++;
		if (auth(w->db, "alice", w->tok, &p) != 0 || p != PERM_APPEND)
			w->errors++;
		if (srv_db_auth_token(w->db, w->tok, &user, &p) != 0 ||
		    strcmp(user, "alice") != 0 || p != PERM_APPEND)
			w->errors++;
		free(user);
		if (i % 10 == 0 && auth(w->db, "alice", PW2, &p) != 1)
			w->errors++;
		if (i % 10 == 0 && auth(w->db, "mallory", PW1, &p) != 1)
			w->errors++;
	}
	return (NULL);
}

static void
test_auth_threads(void)
{
	struct srv_db *db = fresh();
	char tok[SRV_TOKEN_SIZE], id[SRV_TOKEN_ID_LEN + 1];
	struct authw w[NTHREADS];
	pthread_t t[NTHREADS];
	struct srv_db_stats st;
	int i;

	CHECK(add(db, "alice", PW1) == 0);
	CHECK(srv_token_add(db, "alice", PERM_APPEND, NULL, tok, sizeof(tok),
	    id, ACTOR) == 0);
	for (i = 0; i < NTHREADS; i++) {
		w[i] = (struct authw){ db, tok, 0 };
		CHECK(pthread_create(&t[i], NULL, auth_worker, &w[i]) == 0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK(w[i].errors == 0);
	}
	/* Argon2id ran for the wrong ones, and about once for the right. */
	srv_db_stats(db, &st);
	CHECK(st.auth_failures == NTHREADS * 10);
	CHECK(st.auth_pwhash_runs <= NTHREADS * 10 + NTHREADS);
	CHECK(st.auth_cache_hits >= NTHREADS * 100 - 2 * NTHREADS);
	srv_db_close(db);
}

static void
test_audit(void)
{
	static const char *want[][3] = {
		{ "alice", "user.add", "" },
		{ "alice", "quota.set", "quota=1073741824" },
		{ "alice", "token.add", "perm=append label=ci" },
		{ "bob", "user.add", "" },
		{ "alice", "token.revoke", "id=" },
		{ "alice", "user.passwd", "" },
		{ "alice", "data.export", "request 2024-17" },
		{ "bob", "user.remove", "tokens=0" },
	};
	struct srv_db *db = fresh();
	char tok[SRV_TOKEN_SIZE], id[SRV_TOKEN_ID_LEN + 1];
	struct srv_audit_entry *v;
	size_t n, i;

	CHECK(srv_audit_list(db, NULL, &v, &n) == 0 && n == 0);
	CHECK(add(db, "alice", PW1) == 0);
	CHECK(srv_user_set_quota(db, "alice", 1 << 30, ACTOR) == 0);
	CHECK(srv_token_add(db, "alice", PERM_APPEND, "ci", tok, sizeof(tok),
	    id, ACTOR) == 0);
	CHECK(add(db, "bob", PW2) == 0);
	/* Failed changes leave no row. */
	warnp_quiet(1);
	CHECK(add(db, "bob", PW2) == 1);
	CHECK(srv_token_revoke(db, "bob", id, ACTOR) == 1);
	CHECK(srv_user_set_quota(db, "carol", 1, ACTOR) == 1);
	CHECK(srv_audit(db, "alice", "x", "line\nbreak", ACTOR) == -1);
	CHECK(srv_audit(db, "Alice", "x", "", ACTOR) == -1);
	warnp_quiet(0);
	CHECK(srv_token_revoke(db, "alice", id, ACTOR) == 0);
	CHECK(srv_user_passwd(db, "alice", PW2, strlen(PW2), ACTOR) == 0);
	CHECK(srv_audit(db, "alice", "data.export", "request 2024-17",
	    "legal:court-order") == 0);
	CHECK(srv_user_remove(db, "bob", ACTOR) == 0);
	/* Usage is not an admin action. */
	CHECK(srv_usage_reserve(db, "alice", 10) == 0);

	CHECK(srv_audit_list(db, NULL, &v, &n) == 0);
	CHECK(n == sizeof(want) / sizeof(want[0]));
	for (i = 0; i < n && n == sizeof(want) / sizeof(want[0]); i++) {
		CHECK(v[i].seq == (int64_t)i + 1);
		CHECK(i == 0 || v[i].time >= v[i - 1].time);
		CHECK(strcmp(v[i].user, want[i][0]) == 0);
		CHECK(strcmp(v[i].action, want[i][1]) == 0);
		CHECK(strstr(v[i].detail, want[i][2]) != NULL);
		CHECK(strcmp(v[i].actor, i == 6 ? "legal:court-order" :
		    ACTOR) == 0);
	}
	if (n >= 5) {
		CHECK(strstr(v[2].detail, id) != NULL);
		CHECK(strstr(v[4].detail, id) != NULL);
	}
	free(v);
	CHECK(srv_audit_list(db, "bob", &v, &n) == 0 && n == 2);
	if (n == 2)
		CHECK(v[0].seq == 4 && v[1].seq == 8);
	free(v);
	/* The table is append-only, even to a direct connection. */
	CHECK(raw_sql("DELETE FROM audit", NULL, 0) == -1);
	CHECK(raw_sql("UPDATE audit SET actor = 'x'", NULL, 0) == -1);
	CHECK(srv_audit_list(db, NULL, &v, &n) == 0 && n == 8);
	free(v);
	srv_db_close(db);
}

/* Whether the bytes of s occur in the file dir/name (absent: no). */
static int
file_has(const char *name, const char *s)
{
	char path[128];
	uint8_t *p;
	long len;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "rb")) == NULL)
		return (0);
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (p = malloc((size_t)len)) != NULL) {
		if (fread(p, 1, (size_t)len, f) == (size_t)len)
			found = memmem(p, (size_t)len, s, strlen(s)) != NULL;
		else
			found = -1;
		free(p);
	} else
		found = -1;
	fclose(f);
	return (found);
}

static int
anywhere(const char *s)
{

	return (file_has("cofferd.db", s) || file_has("cofferd.db-wal", s) ||
	    file_has("cofferd.db-shm", s));
}

static void
test_no_secrets(void)
{
	struct srv_db *db = fresh();
	char tok[3][SRV_TOKEN_SIZE], id[SRV_TOKEN_ID_LEN + 1];
	enum srv_perm p;
	int i;

	CHECK(add(db, "alice", PW1) == 0);
	for (i = 0; i < 3; i++)
		CHECK(srv_token_add(db, "alice", PERM_READ, "t", tok[i],
		    sizeof(tok[i]), id, ACTOR) == 0);
	CHECK(auth(db, "alice", PW1, &p) == 0);
	CHECK(auth(db, "alice", tok[0], &p) == 0);
	CHECK(srv_user_passwd(db, "alice", PW2, strlen(PW2), ACTOR) == 0);
	CHECK(auth(db, "alice", PW2, &p) == 0);
	CHECK(srv_token_revoke(db, "alice", id, ACTOR) == 0);
	/* The id is public; the test's own search works. */
	CHECK(anywhere(id) == 1);
	/* While open (WAL in use), and after the checkpoint on close. */
	for (i = 0; i < 2; i++) {
		CHECK(anywhere(PW1) == 0);
		CHECK(anywhere(PW2) == 0);
		CHECK(anywhere(tok[0]) == 0 && anywhere(tok[1]) == 0 &&
		    anywhere(tok[2]) == 0);
		CHECK(anywhere(tok[0] + 4) == 0);
		if (i == 0)
			srv_db_close(db);
	}
}

int
main(void)
{

	warnp_setprogname("test_srv_db");
	setenv("COFFERD_TEST_FAST_HASH", "1", 1);
	RUN(test_names);
	RUN(test_open);
	RUN(test_users);
	RUN(test_hash_params);
	RUN(test_auth_password);
	RUN(test_tokens);
	RUN(test_cache);
	RUN(test_usage);
	RUN(test_usage_threads);
	RUN(test_auth_threads);
	RUN(test_audit);
	RUN(test_no_secrets);
	if (dir[0] != '\0')
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return (TEST_EXIT());
}
