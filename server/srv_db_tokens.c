/*
 * cofferd's API tokens: creation, revocation and listing.  A token is
 * stored only as its SHA-256.  See srv_db.h.
 */
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
	if (sdb_check_args("token add", user, actor))
		return (-1);
	if (perm < PERM_READ || perm > PERM_FULL ||
	    !sdb_valid_text(label, 0, SRV_LABEL_MAX) || size < SRV_TOKEN_SIZE) {
		warn0("token add %s: invalid permission or label (at most "
		    "%d printable ASCII characters)", user, SRV_LABEL_MAX);
		return (-1);
	}
	if (token_new(token, size, id, h))
		return (-1);
	snprintf(detail, sizeof(detail), "id=%s perm=%s label=%s", id,
	    srv_perm_name(perm), label);
	pthread_mutex_lock(&db->mtx);
	if (sdb_begin(db) == 0) {
		if ((rc = sdb_user_exists(db, user)) == 1)
			warn0("no such user: %s", user);
		else if (rc == 0 && (rc = sdb_prep(db, &st, "INSERT INTO tokens "
		    "(id, user, hash, perm, label, created) VALUES "
		    "(?, ?, ?, ?, ?, ?)", "ttbtti", id, user, h, sizeof(h),
		    srv_perm_name(perm), label, (int64_t)time(NULL))) == 0 &&
		    (rc = sdb_done(db, st)) == 0)
			rc = sdb_audit_row(db, user, "token.add", detail, actor);
		rc = sdb_end(db, rc);
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

	if (sdb_check_args("token revoke", user, actor))
		return (-1);
	if (strlen(id) != SRV_TOKEN_ID_LEN ||
	    strspn(id, "0123456789abcdef") != SRV_TOKEN_ID_LEN) {
		warn0("token revoke %s: a token id is %d hex digits", user,
		    SRV_TOKEN_ID_LEN);
		return (-1);
	}
	snprintf(detail, sizeof(detail), "id=%s", id);
	pthread_mutex_lock(&db->mtx);
	if (sdb_begin(db) == 0) {
		if ((rc = sdb_user_exists(db, user)) == 1)
			warn0("no such user: %s", user);
		else if (rc == 0 && (rc = sdb_prep(db, &st, "DELETE FROM tokens "
		    "WHERE id = ? AND user = ?", "tt", id, user)) == 0 &&
		    (rc = sdb_done(db, st)) == 0 && sqlite3_changes(db->h) == 0) {
			warn0("user %s has no token %s", user, id);
			rc = 1;
		}
		/* Cached verifications of the token stop counting. */
		if (rc == 0 && (rc = sdb_prep(db, &st, "UPDATE users SET "
		    "authgen = authgen + 1 WHERE name = ?", "t", user)) == 0 &&
		    (rc = sdb_done(db, st)) == 0)
			rc = sdb_audit_row(db, user, "token.revoke", detail, actor);
		rc = sdb_end(db, rc);
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
	if ((rc = sdb_user_exists(db, user)) == 1)
		warn0("no such user: %s", user);
	else if (rc == 0 && (rc = sdb_prep(db, &st, "SELECT id, perm, label, "
	    "created FROM tokens WHERE user = ? ORDER BY created, rowid", "t",
	    user)) == 0) {
		while ((r = sdb_step(db, st)) == SQLITE_ROW &&
		    (rc = sdb_grow((void **)&v, &cap, n, sizeof(*v))) == 0) {
			t = &v[n++];
			sdb_colcpy(t->id, sizeof(t->id), st, 0);
			if (srv_perm_parse((const char *)
			    sqlite3_column_text(st, 1), &t->perm))
				t->perm = PERM_NONE;
			sdb_colcpy(t->label, sizeof(t->label), st, 2);
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
