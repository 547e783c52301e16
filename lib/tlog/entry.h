#ifndef COFFER_TLOG_ENTRY_H
#define COFFER_TLOG_ENTRY_H

#include <stddef.h>
#include <stdint.h>

/*
 * The entries of cofferd's transparency log (docs/TRANSPARENCY.md), 115
 * bytes, integers big-endian:
 *
 *	0	u8	version (1)
 *	1	u8	event (enum tlog_event)
 *	2	u64	time, unix seconds
 *	10	[16]	account: HMAC-SHA-256(K_ids, "account\0" || name)[:16]
 *	26	[8]	scope: HMAC-SHA-256(K_ids, "repo\0" || name || "\0" ||
 *			repository)[:8] for repository events, else zero
 *	34	[32]	prev: leaf hash of the account's previous entry, or zero
 *	66	[32]	subject: what changed (see tlog_subject)
 *	98	u8	actor kind (enum tlog_actor)
 *	99	[8]	actor id
 *	107	u64	value (event-specific: a quota, a token id, guesses, 0)
 */

#define TLOG_ENTRY_VERSION	1
#define TLOG_ENTRY_LEN		115
#define TLOG_ACCOUNT_LEN	16
#define TLOG_SCOPE_LEN		8

enum tlog_event {
	TLOG_EV_KEY_ADD = 1,
	TLOG_EV_KEY_REMOVE = 2,
	TLOG_EV_SNAPSHOT_ADD = 3,
	TLOG_EV_SNAPSHOT_REMOVE = 4,
	TLOG_EV_ACCOUNT_CREATE = 16,
	TLOG_EV_ACCOUNT_DELETE = 17,
	TLOG_EV_PASSWORD_CHANGE = 18,
	TLOG_EV_QUOTA_SET = 19,
	TLOG_EV_TOKEN_ADD = 20,
	TLOG_EV_TOKEN_REVOKE = 21,
	TLOG_EV_DATA_EXPORT = 22,
	TLOG_EV_DATA_DELETE = 23,
	TLOG_EV_RECOVERY_REGISTER = 32,
	TLOG_EV_RECOVERY_ATTEMPT = 33,
	TLOG_EV_RECOVERY_SUCCESS = 34,
	TLOG_EV_RECOVERY_BAD_TAG = 35,
	TLOG_EV_RECOVERY_EXHAUSTED = 36,
	TLOG_EV_RECOVERY_DELETE = 37,
	TLOG_EV_OTHER = 255
};

enum tlog_actor {
	TLOG_ACTOR_SERVER = 0,		/* cofferd itself */
	TLOG_ACTOR_PASSWORD = 1,	/* the account, with its password */
	TLOG_ACTOR_TOKEN = 2,		/* the account, with a token: its id */
	TLOG_ACTOR_ADMIN = 3		/* the operator: SHA-256(name)[:8] */
};

struct tlog_entry {
	uint8_t version;
	uint8_t event;
	uint64_t time;
	uint8_t account[TLOG_ACCOUNT_LEN];
	uint8_t scope[TLOG_SCOPE_LEN];
	uint8_t prev[32];
	uint8_t subject[32];
	uint8_t actor_kind;
	uint8_t actor[8];
	uint64_t value;
};

/* tlog_entry_encode(e, out): the 115 bytes. */
void tlog_entry_encode(const struct tlog_entry *, uint8_t[TLOG_ENTRY_LEN]);

/*
 * tlog_entry_decode(p, len, &e): 0, or 1 if p is not a version 1 entry of
 * exactly TLOG_ENTRY_LEN bytes (not reported).
 */
int tlog_entry_decode(const uint8_t *, size_t, struct tlog_entry *);

/*
 * tlog_event_of(action): the event an audit action ("key.add",
 * "user.add", "data.export", ...) is logged as; TLOG_EV_OTHER if unknown.
 * tlog_event_name(ev): the action name of an event ("other" if unknown).
 * tlog_event_words(ev): what it means, in words, for people.
 */
enum tlog_event tlog_event_of(const char *);
const char *tlog_event_name(unsigned);
const char *tlog_event_words(unsigned);

/* tlog_event_is_repo(ev): 1 for the events of a repository's objects. */
int tlog_event_is_repo(unsigned);

/*
 * tlog_subject(action, detail, subject, &value): the subject and value of
 * an audit row.  Repository events ("repo=<name> id=<64 hex>") have the
 * object id as subject; "quota.set" ("quota=N") has N as value;
 * "token.add" and "token.revoke" ("id=<16 hex> ...") the token id as
 * value.  Every other subject is SHA-256("coffer-tlog-detail-v1\0" ||
 * action || "\0" || detail); recovery events ("... guesses=N/M") have
 * N << 32 | M as value.  0, or -1 if a repository event's detail is
 * malformed (not reported).
 */
int tlog_subject(const char *, const char *, uint8_t[32], uint64_t *);

#endif
