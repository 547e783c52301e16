#ifndef COFFERD_SRV_DB_H
#define COFFERD_SRV_DB_H

#include <stddef.h>
#include <stdint.h>

/*
 * cofferd's state in SQLite (<data>/cofferd.db): accounts, credentials,
 * quotas and usage, and the audit table of every admin action.  One handle
 * may be used from several threads (the connection is opened in serialized
 * mode).  Passwords are stored as Argon2id strings (libsodium
 * crypto_pwhash_str); tokens as SHA-256 of the token (they are 256-bit
 * random, so a fast hash suffices).  No secret is ever logged.
 */

enum srv_perm {
	PERM_NONE = 0,
	PERM_READ = 1,		/* GET, HEAD, list */
	PERM_APPEND = 2,	/* + create new objects, delete locks */
	PERM_FULL = 3		/* + delete and overwrite anything */
};

struct srv_db;

/* srv_db_open(datadir, &db): open or create <datadir>/cofferd.db.  0/-1. */
int srv_db_open(const char *, struct srv_db **);
void srv_db_close(struct srv_db *);

/* srv_perm_name(p) / srv_perm_parse(s): "full", "append", "read". */
const char *srv_perm_name(enum srv_perm);
int srv_perm_parse(const char *, enum srv_perm *);

/*
 * srv_db_auth(db, user, secret, secretlen, &perm): check a credential: the
 * account's password (full permission) or one of its tokens (the token's
 * permission).  Verified credentials are cached in memory for a short time
 * (keyed by a hash, never the secret) so that Argon2id runs once, not per
 * request.  Returns 0 (perm set), 1 if wrong, -1 on error.
 */
int srv_db_auth(struct srv_db *, const char *, const char *, size_t,
    enum srv_perm *);

/*
 * srv_db_auth_token(db, token, &user, &perm): a bearer token alone.
 * *user is malloc'd.  0, 1 if unknown, -1.
 */
int srv_db_auth_token(struct srv_db *, const char *, char **,
    enum srv_perm *);

/* Accounts.  Names: 1..64 of [a-z0-9._-], not starting with '.'. */
int srv_user_valid_name(const char *);
/* 0, 1 if it exists already / does not exist (reported), -1 on error. */
int srv_user_add(struct srv_db *, const char *, const char *, size_t,
    const char *actor);
int srv_user_remove(struct srv_db *, const char *, const char *actor);
int srv_user_passwd(struct srv_db *, const char *, const char *, size_t,
    const char *actor);
/* quota in bytes, 0 = unlimited. */
int srv_user_set_quota(struct srv_db *, const char *, uint64_t,
    const char *actor);

struct srv_user_info {
	char name[65];
	uint64_t quota;		/* 0 = unlimited */
	uint64_t used;		/* bytes stored */
	int64_t created;
};

/* srv_user_list(db, &v, &n): v malloc'd.  0 or -1. */
int srv_user_list(struct srv_db *, struct srv_user_info **, size_t *);
/* srv_user_get(db, name, &info): 0, 1 if no such user, -1. */
int srv_user_get(struct srv_db *, const char *, struct srv_user_info *);

/*
 * srv_token_add(db, user, perm, label, token, tokensize, id): issue a token
 * (written to token as text, "cft_" + 43 base64url chars) and return its
 * short public id (16 hex chars) for revocation.  0, 1 no such user, -1.
 */
int srv_token_add(struct srv_db *, const char *, enum srv_perm,
    const char *, char *, size_t, char[17], const char *actor);
/* srv_token_revoke(db, user, id): 0, 1 if unknown, -1. */
int srv_token_revoke(struct srv_db *, const char *, const char *,
    const char *actor);

struct srv_token_info {
	char id[17];
	enum srv_perm perm;
	char label[128];
	int64_t created;
};
int srv_token_list(struct srv_db *, const char *, struct srv_token_info **,
    size_t *);

/*
 * Usage accounting: srv_usage_reserve(db, user, bytes) atomically adds to
 * the account's usage if that stays within its quota (0 ok, 1 over quota,
 * -1 error); srv_usage_release(db, user, bytes) subtracts (a failed upload,
 * or a deletion).
 */
int srv_usage_reserve(struct srv_db *, const char *, uint64_t);
int srv_usage_release(struct srv_db *, const char *, uint64_t);

/*
 * srv_audit(db, user, action, detail, actor): append to the audit table
 * (account, action such as "user.add", "quota.set", "token.add",
 * "token.revoke", "user.remove", "data.export", free-form detail without
 * secrets, actor, time).  The transparency log publishes these later.
 * 0 or -1.
 */
int srv_audit(struct srv_db *, const char *, const char *, const char *,
    const char *);

struct srv_audit_entry {
	int64_t seq;
	int64_t time;
	char user[65];
	char action[32];
	char detail[256];
	char actor[64];
};
/* srv_audit_list(db, user or NULL, &v, &n): oldest first.  0 or -1. */
int srv_audit_list(struct srv_db *, const char *, struct srv_audit_entry **,
    size_t *);

#endif
