#ifndef COFFERD_SRV_REALM_DB_H
#define COFFERD_SRV_REALM_DB_H

#include <stddef.h>
#include <stdint.h>

#include "recovery/rwire.h"

/*
 * A realm's state in SQLite: <data>/realm.db (mode 0600, WAL,
 * synchronous=FULL so that a commit is on disk when it returns,
 * secure_delete=ON), apart from cofferd.db.  Tables (docs/RECOVERY.md
 * section 5): meta (realm_id, schema) and records, one row per (account,
 * rid).  Used by srv_realm.c only.
 *
 * Every read-modify-write of a record runs inside srv_realm_db_begin ...
 * srv_realm_db_end, which holds the handle's mutex and an IMMEDIATE
 * transaction: requests for one record are serialized, and a change is
 * durable before srv_realm_db_end(db, 0) returns 0.
 */

/* Record states (records.state); REC_NONE means no row. */
enum realm_state {
	REC_NONE = -1,
	REC_NOT_REGISTERED = 0,
	REC_REGISTERED = 1,
	REC_NO_GUESSES = 2
};

/* What the live challenge admits next (records.challenge_for). */
#define CHAL_NONE	0
#define CHAL_STEP1	1	/* register, recover2, delete */
#define CHAL_STEP3	3	/* recover3 */

/* One record.  Holds secrets: wipe it after use (rwire_wipe). */
struct realm_rec {
	int state;
	int challenge_for;
	uint8_t challenge[RWIRE_CHAL];
	/* REC_REGISTERED only. */
	uint8_t version[RWIRE_VER];
	uint8_t index, t, n;
	uint8_t k[RWIRE_SCALAR];
	uint8_t pk[RWIRE_ELEM];
	uint8_t vk[RWIRE_VK];
	uint8_t sig[RWIRE_SIG];
	uint8_t commitment[RWIRE_MAC];
	uint8_t tag[RWIRE_MAC];
	uint8_t s[RWIRE_SCALAR];
	uint8_t enc[RWIRE_ENC];
	uint8_t enc_commitment[RWIRE_MAC];
	uint16_t num_guesses, guess_count;
};

struct srv_realm_db;

/*
 * srv_realm_db_open(datadir, id, &db): open or create <datadir>/realm.db;
 * the realm id (drawn at creation) goes to id.  0 or -1 (reported).
 */
int srv_realm_db_open(const char *, uint8_t[RWIRE_ID],
    struct srv_realm_db **);

/* srv_realm_db_close(db): NULL is a no-op. */
void srv_realm_db_close(struct srv_realm_db *);

/* srv_realm_db_begin(db): lock and BEGIN IMMEDIATE.  0 or -1 (unlocked). */
int srv_realm_db_begin(struct srv_realm_db *);

/*
 * srv_realm_db_end(db, rc): COMMIT if rc is 0, else ROLLBACK; unlock.
 * Returns rc, or -1 if the commit failed (then nothing was changed).
 */
int srv_realm_db_end(struct srv_realm_db *, int);

/*
 * srv_realm_db_get(db, account, rid, rec): read a record (rec->state is
 * REC_NONE if there is none).  Inside a transaction.  0 or -1.
 */
int srv_realm_db_get(struct srv_realm_db *, const char *,
    const uint8_t[RWIRE_ID], struct realm_rec *);

/*
 * srv_realm_db_put(db, account, rid, rec): write the whole record (the
 * secret columns NULL unless rec->state is REC_REGISTERED).  0 or -1.
 */
int srv_realm_db_put(struct srv_realm_db *, const char *,
    const uint8_t[RWIRE_ID], const struct realm_rec *);

/* srv_realm_db_del(db, account, rid): remove the row.  0 or -1. */
int srv_realm_db_del(struct srv_realm_db *, const char *,
    const uint8_t[RWIRE_ID]);

/* srv_realm_db_count(db, account, &n): the account's rows.  0 or -1. */
int srv_realm_db_count(struct srv_realm_db *, const char *, int64_t *);

#endif
