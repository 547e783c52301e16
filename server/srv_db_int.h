#ifndef COFFERD_SRV_DB_INT_H
#define COFFERD_SRV_DB_INT_H

/*
 * The insides of struct srv_db and the statement helpers, shared by
 * srv_db.c (handle, schema, helpers, audit), srv_db_auth.c (password
 * hashing, credential cache, authentication), srv_db_user.c (accounts,
 * usage) and srv_db_tokens.c.  Not for use outside server/srv_db*.c, except
 * srv_sql_exec.  The sdb_* functions that take db are called with db->mtx
 * held.
 */

#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>
#include <sqlite3.h>

#include "crypto/crypto.h"

#include "srv_db.h"

#define CACHE_SLOTS	1024		/* direct-mapped */
#define CACHE_TTL	300		/* seconds */

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

/*
 * srv_sql_exec(h, path, sql): run sql (no result rows) on the connection h
 * to the file path.  0, or -1 (reported with path).  Also used by
 * srv_realm_db.c.
 */
int srv_sql_exec(sqlite3 *, const char *, const char *);

/* srv_db.c: statement helpers (see there). */
int sdb_prep(struct srv_db *, sqlite3_stmt **, const char *, const char *,
    ...);
int sdb_step(struct srv_db *, sqlite3_stmt *);
int sdb_done(struct srv_db *, sqlite3_stmt *);
void sdb_colcpy(char *, size_t, sqlite3_stmt *, int);
int sdb_begin(struct srv_db *);
int sdb_end(struct srv_db *, int);
int sdb_grow(void **, size_t *, size_t, size_t);

/* srv_db.c: validation of admin input, and the audit row. */
int sdb_valid_text(const char *, size_t, size_t);
int sdb_check_args(const char *, const char *, const char *);
int sdb_audit_row(struct srv_db *, const char *, const char *, const char *,
    const char *);

/* srv_db_auth.c: Argon2id of pw (bounded concurrency).  0 or -1. */
int sdb_pwhash_make(struct srv_db *, const char *, size_t,
    char[crypto_pwhash_STRBYTES]);

/* srv_db_user.c: 0 if the account exists, 1 if not, -1. */
int sdb_user_exists(struct srv_db *, const char *);

#endif /* !COFFERD_SRV_DB_INT_H */
