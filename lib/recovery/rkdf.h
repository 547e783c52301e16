#ifndef COFFER_RKDF_H
#define COFFER_RKDF_H

/*
 * The derivations of the realm recovery protocol (docs/RECOVERY.md
 * section 3): record ids, passcode stretching, the labelled MACs (unlock
 * key, commitments, tags, the Recover3 proof), the sealing of the secret,
 * the message each realm key is signed over, the recovery slot's wrapping
 * key, and the checks of elements and scalars received from outside.
 * Every function that writes a secret wipes its temporaries.
 */

#include <stddef.h>
#include <stdint.h>

#include "rwire.h"

#define RKDF_ENC_MAX	1024	/* enc() of the signed message fits */

/* One element of a labelled tuple. */
struct rkdf_part {
	const uint8_t *p;
	size_t len;
};

/*
 * rkdf_encode(label, parts, n, out, size, &len): enc(label, x1..xn) =
 * be4(len(label)) || label || be4(len(x1)) || x1 ...  0, or -1 if it does
 * not fit in size bytes.
 */
int rkdf_encode(const char *, const struct rkdf_part *, size_t, uint8_t *,
    size_t, size_t *);

/*
 * rkdf_mac(key, keylen, label, parts, n, out): HMAC-SHA-256(key,
 * enc(label, parts)).  0, or -1 if the encoding is too long.
 */
int rkdf_mac(const uint8_t *, size_t, const char *, const struct rkdf_part *,
    size_t, uint8_t[RWIRE_MAC]);

/* rkdf_rid(repo_id, rid): the record id of a repository. */
void rkdf_rid(const uint8_t[32], uint8_t[RWIRE_ID]);

/*
 * rkdf_salt(version, info, infolen, salt): BLAKE2b-128(be4(16) || version ||
 * be4(infolen) || info), the 16-byte Argon2id salt.
 */
void rkdf_salt(const uint8_t[RWIRE_VER], const uint8_t *, size_t,
    uint8_t[16]);

/*
 * rkdf_stretch(pin, pinlen, version, info, infolen, ops, kib, access_key,
 * enc_seed): Argon2id of the PIN with rkdf_salt, split in two 32-byte
 * halves.  0 or -1 (reported).
 */
int rkdf_stretch(const char *, size_t, const uint8_t[RWIRE_VER],
    const uint8_t *, size_t, uint32_t, uint32_t, uint8_t[32], uint8_t[32]);

/* rkdf_unlock(oprf_out, commitment, unlock_key): from the OPRF output. */
void rkdf_unlock(const uint8_t[64], uint8_t[RWIRE_MAC], uint8_t[RWIRE_MAC]);

/* rkdf_tag(unlock_key, realm_id, tag): tag_i. */
void rkdf_tag(const uint8_t[RWIRE_MAC], const uint8_t[RWIRE_ID],
    uint8_t[RWIRE_MAC]);

/* rkdf_tag_proof(tag, realm_id, rid, version, challenge, proof). */
void rkdf_tag_proof(const uint8_t[RWIRE_MAC], const uint8_t[RWIRE_ID],
    const uint8_t[RWIRE_ID], const uint8_t[RWIRE_VER],
    const uint8_t[RWIRE_CHAL], uint8_t[RWIRE_MAC]);

/* rkdf_enc_key(enc_seed, s, key): the secret's sealing key. */
void rkdf_enc_key(const uint8_t[32], const uint8_t[RWIRE_SCALAR],
    uint8_t[32]);

/* rkdf_enc_commitment(unlock_key, realm_id, s_i, enc, out): commitment_i. */
void rkdf_enc_commitment(const uint8_t[RWIRE_MAC], const uint8_t[RWIRE_ID],
    const uint8_t[RWIRE_SCALAR], const uint8_t[RWIRE_ENC],
    uint8_t[RWIRE_MAC]);

/*
 * rkdf_seal_secret(key, version, secret, enc) / rkdf_open_secret(key,
 * version, enc, secret): AES-256-GCM, zero nonce, aad "coffer-recovery-v1
 * secret" || version.  Seal: 0 or -1.  Open: 0, 1 if not authentic (secret
 * wiped), -1.
 */
int rkdf_seal_secret(const uint8_t[32], const uint8_t[RWIRE_VER],
    const uint8_t[RWIRE_SECRET], uint8_t[RWIRE_ENC]);
int rkdf_open_secret(const uint8_t[32], const uint8_t[RWIRE_VER],
    const uint8_t[RWIRE_ENC], uint8_t[RWIRE_SECRET]);

/*
 * rkdf_sig_msg(realm_id, rid, version, index, t, n, pk, msg, &len): the
 * message a realm's key is signed over; msg holds RKDF_ENC_MAX bytes.
 */
void rkdf_sig_msg(const uint8_t[RWIRE_ID], const uint8_t[RWIRE_ID],
    const uint8_t[RWIRE_VER], uint8_t, uint8_t, uint8_t,
    const uint8_t[RWIRE_ELEM], uint8_t *, size_t *);

/*
 * rkdf_slot_kek(secret, repo_id, kek): HKDF-SHA-256(secret, salt =
 * repo_id, info "coffer recovery key slot v1"), the recovery slot's
 * wrapping key.  0 or -1.
 */
int rkdf_slot_kek(const uint8_t[RWIRE_SECRET], const uint8_t[32],
    uint8_t[32]);

/* rkdf_scalar_ok(s): 1 if s is canonical and nonzero, else 0. */
int rkdf_scalar_ok(const uint8_t[RWIRE_SCALAR]);

/* rkdf_elem_ok(e): 1 if e is a canonical element, not the identity. */
int rkdf_elem_ok(const uint8_t[RWIRE_ELEM]);

/* rkdf_scalar_canonical(s): 1 if s < L (zero allowed). */
int rkdf_scalar_canonical(const uint8_t[RWIRE_SCALAR]);

#endif
