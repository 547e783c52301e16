/*
 * cofferd's authentication against its database: Argon2id password
 * hashing, the credential cache and srv_db_auth*.  See srv_db.h; the
 * concurrency and cache invalidation rules are described in srv_db.c.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
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
/* Password hashing, bounded in concurrency (64 MiB each). */

int
sdb_pwhash_make(struct srv_db *db, const char *pw, size_t len,
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
	if (sdb_pwhash_make(db, (const char *)pw, sizeof(pw), h))
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
	if (sdb_prep(db, &st, "SELECT pwhash, authgen FROM users WHERE name = ?",
	    "t", user) == 0) {
		switch (sdb_step(db, st)) {
		case SQLITE_ROW:
			if (pwhash != NULL)
				sdb_colcpy(pwhash, crypto_pwhash_STRBYTES, st, 0);
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
	if (sdb_prep(db, &st, "SELECT t.hash, t.perm, t.user, u.authgen "
	    "FROM tokens t JOIN users u ON u.name = t.user "
	    "WHERE t.hash = ?1 AND (?2 IS NULL OR t.user = ?2)", "bt",
	    h, sizeof(h), user))
		goto done;
	switch (sdb_step(db, st)) {
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
