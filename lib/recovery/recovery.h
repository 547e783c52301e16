#ifndef COFFER_RECOVERY_H
#define COFFER_RECOVERY_H

/*
 * The client side of passcode recovery through realms (docs/RECOVERY.md):
 * register a 32-byte secret under a PIN across n realms with threshold t,
 * recover it with any t of them, ask their state, delete it.  Realms that
 * do not answer are tolerated as long as t do; a realm whose answer fails
 * its signature or DLEQ proof, or whose share fails its commitment, is
 * named and left out.
 */

#include <stddef.h>
#include <stdint.h>

#include "realm_client.h"
#include "rwire.h"

/* Results beside 0 and -1. */
#define RECOVERY_BADPIN		2	/* wrong PIN; guesses_left set */
#define RECOVERY_NOGUESSES	3	/* the record is destroyed for good */
#define RECOVERY_NOTREG		4	/* no registration on enough realms */
#define RECOVERY_UNAVAILABLE	5	/* fewer than t realms usable now */

/* What one realm said (recovery_status, and after recover). */
enum recovery_realm_state {
	RREALM_UNKNOWN = 0,
	RREALM_DOWN,		/* no answer, or an error answer */
	RREALM_NOTREG,
	RREALM_REGISTERED,
	RREALM_NOGUESSES,
	RREALM_BAD		/* its answer failed a check */
};

struct recovery_realm {
	struct realm_client *c;		/* the caller's */
	int have_info;
	uint8_t id[RWIRE_ID];
	char jurisdiction[REALM_JUR_MAX + 1];
	enum recovery_realm_state state;
	uint8_t version[RWIRE_VER];
	uint16_t num_guesses, guess_count;
};

struct recovery_params {
	uint8_t repo_id[32];		/* the user identity in the salt */
	uint8_t rid[RWIRE_ID];		/* rkdf_rid(repo_id) */
	uint8_t t, n;			/* threshold, realms registered */
	uint16_t guesses;		/* per realm (register only) */
	uint32_t opslimit, memlimit_kib;	/* PIN stretching */
};

/*
 * recovery_info(v, n): GET info of every realm not asked yet (id,
 * jurisdiction; have_info set).  Returns how many realms have it.
 */
size_t recovery_info(struct recovery_realm *, size_t);

/*
 * recovery_register(v, n, p, pin, pinlen, secret): register secret under
 * the PIN on all n realms (p->n must be n; 1 <= n <= 16, n/2 < p->t <= n,
 * 1 <= p->guesses <= 1000).  Every realm must answer; their ids must
 * differ.  0 or -1 (reported, naming the realm).
 */
int recovery_register(struct recovery_realm *, size_t,
    const struct recovery_params *, const char *, size_t,
    const uint8_t[RWIRE_SECRET]);

/*
 * recovery_recover(v, n, p, pin, pinlen, secret, &left): recover the
 * secret with any p->t of the n realms given.  Returns 0 (secret set);
 * RECOVERY_BADPIN with *left the fewest guesses left among the realms
 * charged; RECOVERY_NOGUESSES; RECOVERY_NOTREG; RECOVERY_UNAVAILABLE; -1
 * on other errors.  Every result but 0 is reported.  v[i].state tells
 * each realm's part.
 */
int recovery_recover(struct recovery_realm *, size_t,
    const struct recovery_params *, const char *, size_t,
    uint8_t[RWIRE_SECRET], int *);

/*
 * recovery_status(v, n, p): each realm's state and counts (v[i].state,
 * num_guesses, guess_count, version); charges nothing.  0, or -1 if no
 * realm answered.
 */
int recovery_status(struct recovery_realm *, size_t,
    const struct recovery_params *);

/*
 * recovery_delete(v, n, p): remove the record from every realm.  Returns
 * how many realms could not be reached or refused (each reported).
 */
size_t recovery_delete(struct recovery_realm *, size_t,
    const struct recovery_params *);

/* recovery_bound(n, t, g): floor(n * g / t), the attacker's guesses. */
unsigned recovery_bound(unsigned, unsigned, unsigned);

#endif
