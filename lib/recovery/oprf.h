#ifndef COFFER_OPRF_H
#define COFFER_OPRF_H

/*
 * RFC 9497 OPRF, ciphersuite ristretto255-SHA512, on libsodium's
 * ristretto255 functions, with RFC 9380 expand_message_xmd (SHA-512) and
 * the RFC 9497 section 2.2 DLEQ proofs.  Used by the recovery protocol
 * (docs/RECOVERY.md): each realm evaluates with its Shamir share k_i of the
 * OPRF key; the client combines the evaluations in the exponent
 * (lib/recovery/shamir.h) and finalizes as in base mode.
 *
 * Elements and scalars are 32-byte canonical encodings.  Every function
 * that takes an element from outside rejects non-canonical encodings and
 * the identity, and returns -1 without writing its outputs' secrets.
 * All functions return 0 on success, -1 on failure.
 */

#include <stddef.h>
#include <stdint.h>

#define OPRF_ELEM	32
#define OPRF_SCALAR	32
#define OPRF_OUT	64	/* Finalize output, SHA-512 */
#define OPRF_PROOF	64	/* c || s */

/* Modes (RFC 9497 section 3.1): context string "OPRFV1-" I2OSP(mode, 1)
 * "-ristretto255-SHA512". */
#define OPRF_MODE_OPRF	0x00
#define OPRF_MODE_VOPRF	0x01

/* expand_message_xmd(msg, dst, out, outlen) with SHA-512 (RFC 9380 5.3.1).
 * dst at most 255 bytes; outlen at most 255 * 64. */
int oprf_expand_xmd(const uint8_t *, size_t, const uint8_t *, size_t,
    uint8_t *, size_t);

/* oprf_hash_to_group(mode, input, len, P): HashToGroup with DST
 * "HashToGroup-" || contextString. */
int oprf_hash_to_group(int, const uint8_t *, size_t, uint8_t[OPRF_ELEM]);

/* oprf_hash_to_scalar(mode, input, len, dst_or_NULL, dstlen, s):
 * HashToScalar, DST "HashToScalar-" || contextString unless given. */
int oprf_hash_to_scalar(int, const uint8_t *, size_t, const uint8_t *,
    size_t, uint8_t[OPRF_SCALAR]);

/* oprf_derive_key_pair(mode, seed[32], info, infolen, sk, pk): DeriveKeyPair
 * (RFC 9497 3.2.1). */
int oprf_derive_key_pair(int, const uint8_t[32], const uint8_t *, size_t,
    uint8_t[OPRF_SCALAR], uint8_t[OPRF_ELEM]);

/* oprf_blind(mode, input, len, blind_or_NULL, r_out, blinded): Blind.  If
 * blind is NULL a random nonzero scalar is drawn; it is written to r_out
 * (the caller wipes it). */
int oprf_blind(int, const uint8_t *, size_t, const uint8_t *,
    uint8_t[OPRF_SCALAR], uint8_t[OPRF_ELEM]);

/* oprf_blind_evaluate(sk, blinded, evaluated): sk * blinded; rejects an
 * invalid or identity blinded element, and an identity result. */
int oprf_blind_evaluate(const uint8_t[OPRF_SCALAR], const uint8_t[OPRF_ELEM],
    uint8_t[OPRF_ELEM]);

/* oprf_finalize(input, len, r, evaluated, out): Finalize, base mode:
 * SHA-512(I2OSP(len(input), 2) || input || I2OSP(32, 2) || r^-1*evaluated
 * || "Finalize"). */
int oprf_finalize(const uint8_t *, size_t, const uint8_t[OPRF_SCALAR],
    const uint8_t[OPRF_ELEM], uint8_t[OPRF_OUT]);

/* oprf_evaluate(sk, input, len, out): the server-side full evaluation
 * (Finalize of sk * HashToGroup(input)), base mode. */
int oprf_evaluate(const uint8_t[OPRF_SCALAR], const uint8_t *, size_t,
    uint8_t[OPRF_OUT]);

/* oprf_proof_generate(mode, k, A=pk, B=G... per RFC 9497 2.2.1:
 * (mode, k, A, B, C[], D[], m, r_or_NULL, proof) with A = k*G? -- see RFC:
 * GenerateProof(k, A, B, C, D) proves log_A(B) == log_C[i](D[i]).  m
 * pairs (C[i], D[i]); r is the random nonce scalar (NULL: random; given
 * only for test vectors). */
int oprf_proof_generate(int, const uint8_t[OPRF_SCALAR],
    const uint8_t[OPRF_ELEM], const uint8_t[OPRF_ELEM],
    const uint8_t (*)[OPRF_ELEM], const uint8_t (*)[OPRF_ELEM], size_t,
    const uint8_t *, uint8_t[OPRF_PROOF]);

/* oprf_proof_verify(mode, A, B, C[], D[], m, proof): 0 if valid, -1 if
 * not (or any element invalid). */
int oprf_proof_verify(int, const uint8_t[OPRF_ELEM], const uint8_t[OPRF_ELEM],
    const uint8_t (*)[OPRF_ELEM], const uint8_t (*)[OPRF_ELEM], size_t,
    const uint8_t[OPRF_PROOF]);

#endif
