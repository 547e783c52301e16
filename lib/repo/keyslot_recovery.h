#ifndef COFFER_KEYSLOT_RECOVERY_H
#define COFFER_KEYSLOT_RECOVERY_H

/*
 * Recovery key slots (docs/FORMAT.md section 6.2): the root key wrapped
 * under a key derived by HKDF from the 32-byte secret the realms keep
 * (docs/RECOVERY.md), beside the clear recovery configuration a fresh
 * machine needs to ask the realms: the realm list (ids, jurisdictions,
 * URLs without credentials), the threshold, the record id and the
 * Argon2id parameters of the PIN.  The clear part is authenticated (it is
 * associated data of the wrapped key) once the secret is recovered.
 */

#include <stddef.h>
#include <stdint.h>

#include "repo.h"

#define KEYSLOT_KIND_PASSCODE	1
#define KEYSLOT_KIND_RECOVERY	2

#define RSLOT_MAX_REALMS	16
#define RSLOT_JUR_MAX		16
#define RSLOT_URL_MAX		1024
#define RSLOT_SECRET		32

struct rslot_realm {
	uint8_t id[16];
	char jurisdiction[RSLOT_JUR_MAX + 1];
	char url[RSLOT_URL_MAX + 1];	/* never with credentials */
};

/* The clear part of a recovery slot. */
struct rslot {
	uint32_t opslimit, memlimit_kib;
	uint8_t rid[16];
	uint8_t t, n;
	struct rslot_realm realm[RSLOT_MAX_REALMS];
};

/*
 * keyslot_recovery_add(r, secret, cfg, name): wrap r's root key under a
 * new recovery slot for secret with the clear part cfg; its object name
 * goes to name.  0 or -1 (reported).
 */
int keyslot_recovery_add(struct repo *, const uint8_t[RSLOT_SECRET],
    const struct rslot *, char[65]);

/*
 * keyslot_recovery_parse(p, len, cfg, &fixed): parse a recovery slot's
 * clear part; fixed is the offset of its sealed metadata.  0, or 1 if p
 * is not a well-formed recovery slot (not reported).
 */
int keyslot_recovery_parse(const uint8_t *, size_t, struct rslot *,
    size_t *);

/*
 * keyslot_recovery_try(r, p, len, secret, root): unwrap a recovery slot's
 * root key.  0 (root filled), REPO_BADPASS, 1 if malformed, -1 on error.
 * r->id must be set.
 */
int keyslot_recovery_try(struct repo *, const uint8_t *, size_t,
    const uint8_t[RSLOT_SECRET], uint8_t[CRYPTO_KEY_LEN]);

/*
 * keyslot_recovery_find(be, cfg, name): the repository's recovery slot
 * (the first one listed; object names are hashes, so "first" is
 * arbitrary when there are several), read without any key.  0, 1 if there
 * is none (not reported), -1 on error (reported).
 */
int keyslot_recovery_find(struct backend *, struct rslot *, char[65]);

#endif
