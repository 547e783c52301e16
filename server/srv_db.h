#ifndef COFFERD_SRV_DB_H
#define COFFERD_SRV_DB_H

#include <stddef.h>
#include <stdint.h>

/*
 * cofferd's state in SQLite (<data>/cofferd.db, mode 0600): accounts,
 * credentials, quotas and usage, and the audit table of every admin action.
 * One handle may be used from several threads: the connection is opened in
 * serialized mode and every operation also holds the handle's own mutex, so
 * that one thread's transaction never takes in another thread's statements.
 * Other processes (the admin commands) may use the same file at the same
 * time; SQLite's locks and a 5 s busy timeout arbitrate.
 *
 * Passwords are stored as Argon2id strings (libsodium crypto_pwhash_str);
 * tokens as SHA-256 of the token (they are 256-bit random, so a fast hash
 * suffices).  No secret is ever stored, logged or put in an error message.
 *
 * COFFERD_TEST_FAST_HASH=1 in the environment when the handle is opened
 * makes new password hashes cheap (Argon2id opslimit 1, 8 MiB).  It is for
 * the test suite only: never set it on a real server.
 */

enum srv_perm {
	PERM_NONE = 0,
	PERM_READ = 1,		/* GET, HEAD, list */
	PERM_APPEND = 2,	/* + create new objects, delete locks */
	PERM_FULL = 3		/* + delete and overwrite anything */
};

/* A token as text: "cft_" + 43 base64url characters (32 random bytes). */
#define SRV_TOKEN_LEN		47
#define SRV_TOKEN_SIZE		(SRV_TOKEN_LEN + 1)
/* A token's public id: the first 16 hex digits of SHA-256(token text). */
#define SRV_TOKEN_ID_LEN	16
#define SRV_USER_MAX		64	/* longest account name */
#define SRV_LABEL_MAX		127	/* longest token label */

struct srv_db;

/*
 * srv_db_open(datadir, &db): open or create <datadir>/cofferd.db (creating
 * datadir, mode 0700, if it does not exist), bring its schema to the
 * current version, and return a handle.  Initializes libsodium and the
 * crypto library.  0 or -1 (reported).
 */
int srv_db_open(const char *, struct srv_db **);

/* srv_db_close(db): close and wipe the handle.  NULL is a no-op. */
void srv_db_close(struct srv_db *);

/*
 * srv_perm_name(p): "full", "append", "read" ("none" otherwise).
 * srv_perm_parse(s, &p): the reverse; 0, or -1 if s is none of those
 * three (not reported).
 */
const char *srv_perm_name(enum srv_perm);
int srv_perm_parse(const char *, enum srv_perm *);

/*
 * srv_db_auth(db, user, secret, secretlen, &perm): check an HTTP Basic
 * credential: the account's password (full permission) or one of that
 * same account's tokens (the token's permission).  Verified credentials
 * are cached in memory for 5 minutes, keyed by a keyed hash (never the
 * secret), so that Argon2id runs once, not per request; a cached entry
 * stops counting as soon as the account's password changes, one of its
 * tokens is revoked or the account is removed, by this process or
 * another.  At most a few Argon2id checks run at once (each takes 64 MiB);
 * further callers wait.  An unknown user costs as much as a wrong password.
 * Returns 0 (perm set), 1 if wrong (unknown or invalid user name, wrong
 * secret; not reported), -1 on error (reported).
 */
int srv_db_auth(struct srv_db *, const char *, const char *, size_t,
    enum srv_perm *);

/*
 * srv_db_auth_token(db, token, &user, &perm): a bearer token alone
 * ("Authorization: Bearer <token>").  *user is malloc'd (caller frees).
 * 0, 1 if unknown (not reported), -1 on error.
 */
int srv_db_auth_token(struct srv_db *, const char *, char **,
    enum srv_perm *);

/*
 * srv_user_valid_name(name): names are 1..64 of [a-z0-9._-], not starting
 * with '.'.  Returns 1 if name is valid, 0 if not (a predicate, not an
 * error code).
 */
int srv_user_valid_name(const char *);

/*
 * Admin mutations.  Each writes its audit row (user.add, user.remove,
 * user.passwd, quota.set) in the same transaction as the change; actor is
 * who did it ("admin:<unix user>"), at most 63 bytes.  Passwords must not
 * be empty.  Return 0, 1 if the user exists already (add) / does not exist
 * (the others) (reported), -1 on error (reported; an invalid name is an
 * error).
 */
int srv_user_add(struct srv_db *, const char *, const char *, size_t,
    const char *actor);
int srv_user_remove(struct srv_db *, const char *, const char *actor);
int srv_user_passwd(struct srv_db *, const char *, const char *, size_t,
    const char *actor);
/* quota in bytes, 0 = unlimited; at most INT64_MAX. */
int srv_user_set_quota(struct srv_db *, const char *, uint64_t,
    const char *actor);

struct srv_user_info {
	char name[SRV_USER_MAX + 1];
	uint64_t quota;		/* 0 = unlimited */
	uint64_t used;		/* bytes stored */
	int64_t created;	/* unix time */
};

/* srv_user_list(db, &v, &n): by name; v malloc'd (NULL if n = 0).  0/-1. */
int srv_user_list(struct srv_db *, struct srv_user_info **, size_t *);
/* srv_user_get(db, name, &info): 0, 1 if no such user (not reported), -1. */
int srv_user_get(struct srv_db *, const char *, struct srv_user_info *);

/*
 * srv_token_add(db, user, perm, label, token, tokensize, id, actor): issue
 * a token (written to token as text, SRV_TOKEN_LEN chars and a NUL;
 * tokensize >= SRV_TOKEN_SIZE) and return its short public id (16 hex
 * chars and a NUL) for revocation.  label (NULL for none) is at most 127
 * printable ASCII characters.  Only SHA-256(token) is stored.  Audited as
 * token.add.  0, 1 no such user (reported), -1.  The token buffer is wiped
 * on failure; the caller wipes it after use.
 */
int srv_token_add(struct srv_db *, const char *, enum srv_perm,
    const char *, char *, size_t, char[SRV_TOKEN_ID_LEN + 1],
    const char *actor);
/*
 * srv_token_revoke(db, user, id, actor): delete the token; audited as
 * token.revoke.  0, 1 if the user or the id is unknown (reported), -1.
 */
int srv_token_revoke(struct srv_db *, const char *, const char *,
    const char *actor);

struct srv_token_info {
	char id[SRV_TOKEN_ID_LEN + 1];
	enum srv_perm perm;
	char label[SRV_LABEL_MAX + 1];
	int64_t created;
};
/*
 * srv_token_list(db, user, &v, &n): the user's tokens, oldest first; v
 * malloc'd (NULL if n = 0).  0, 1 if no such user (reported), -1.
 */
int srv_token_list(struct srv_db *, const char *, struct srv_token_info **,
    size_t *);

/*
 * Usage accounting: srv_usage_reserve(db, user, bytes) atomically adds to
 * the account's usage if that stays within its quota (0 ok, 1 over quota,
 * not reported; -1 error, e.g. no such user); srv_usage_release(db, user,
 * bytes) subtracts (a failed upload, or a deletion), never below zero (a
 * release of more than is used is reported and clamped), 0 or -1;
 * srv_usage_set(db, user, bytes) sets the usage outright (a recount from
 * the stored objects, e.g. at startup), 0 or -1.  None is audited.
 */
int srv_usage_reserve(struct srv_db *, const char *, uint64_t);
int srv_usage_release(struct srv_db *, const char *, uint64_t);
int srv_usage_set(struct srv_db *, const char *, uint64_t);

/*
 * srv_audit(db, user, action, detail, actor): append to the audit table
 * (account, action such as "user.add", "quota.set", "token.add",
 * "token.revoke", "user.remove", "data.export", free-form detail without
 * secrets, actor, time) in a transaction of its own.  The transparency log
 * publishes these later.  user need not exist (still a valid name);
 * action <= 31, detail <= 255, actor <= 63 bytes, printable ASCII.
 * 0 or -1.
 */
int srv_audit(struct srv_db *, const char *, const char *, const char *,
    const char *);

struct srv_audit_entry {
	int64_t seq;		/* 1, 2, ...: order of the actions */
	int64_t time;		/* unix time */
	char user[SRV_USER_MAX + 1];
	char action[32];
	char detail[256];
	char actor[64];
};
/*
 * srv_audit_list(db, user or NULL, &v, &n): oldest first; v malloc'd (NULL
 * if n = 0).  0 or -1.
 */
int srv_audit_list(struct srv_db *, const char *, struct srv_audit_entry **,
    size_t *);

/*
 * srv_db_stats(db, &st): counters since the handle was opened, e.g. for
 * /metrics.
 */
struct srv_db_stats {
	uint64_t auth_cache_hits;	/* srv_db_auth answered from cache */
	uint64_t auth_pwhash_runs;	/* Argon2id verifications run */
	uint64_t auth_failures;		/* srv_db_auth{,_token} returned 1 */
};
void srv_db_stats(struct srv_db *, struct srv_db_stats *);

#endif
