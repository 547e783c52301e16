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
 * the identity, every function that takes a scalar rejects one >= L (and
 * a zero key or blind), and returns -1 without writing its outputs'
 * secrets.  Inputs and key info are at most 65535 bytes.  All functions
 * return 0 on success, -1 on failure, and print nothing (the caller knows
 * what the data was, and reports).  Every byte hashed is described in
 * docs/RECOVERY-CRYPTO.md.  Call crypto_init() (sodium_init) first.
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

/*
 * oprf_element_ok(p): 1 if p is the canonical encoding of an element other
 * than the identity (RFC 9496 section 4.3.1 decoding, plus the identity
 * check of RFC 9497 section 3.3), else 0.  Unlike libsodium 1.0.18's
 * crypto_core_ristretto255_is_valid_point, it rejects an encoding with the
 * top bit set.
 */
int oprf_element_ok(const uint8_t[OPRF_ELEM]);

/* oprf_expand_xmd(msg, len, dst, dstlen, out, outlen): expand_message_xmd
 * with SHA-512 (RFC 9380 5.3.1).  dstlen at most 255; outlen 1..255 * 64. */
int oprf_expand_xmd(const uint8_t *, size_t, const uint8_t *, size_t,
    uint8_t *, size_t);

/* oprf_hash_to_group(mode, input, len, P): HashToGroup with DST
 * "HashToGroup-" || contextString; -1 if the result is the identity. */
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
 * blind is NULL a random nonzero scalar is drawn, else blind is used
 * (test vectors only); either way it is written to r_out (the caller wipes
 * it).  -1 if the input hashes to the identity. */
int oprf_blind(int, const uint8_t *, size_t, const uint8_t *,
    uint8_t[OPRF_SCALAR], uint8_t[OPRF_ELEM]);

/* oprf_blind_evaluate(sk, blinded, evaluated): sk * blinded; rejects an
 * invalid or identity blinded element, and an identity result. */
int oprf_blind_evaluate(const uint8_t[OPRF_SCALAR], const uint8_t[OPRF_ELEM],
    uint8_t[OPRF_ELEM]);

/* oprf_finalize(input, len, r, evaluated, out): Finalize:
 * SHA-512(I2OSP(len(input), 2) || input || I2OSP(32, 2) || r^-1*evaluated
 * || "Finalize").  The same in both modes (a VOPRF client verifies the
 * proof first). */
int oprf_finalize(const uint8_t *, size_t, const uint8_t[OPRF_SCALAR],
    const uint8_t[OPRF_ELEM], uint8_t[OPRF_OUT]);

/* oprf_evaluate(sk, input, len, out): the server-side full evaluation
 * (Finalize of sk * HashToGroup(input)), base mode. */
int oprf_evaluate(const uint8_t[OPRF_SCALAR], const uint8_t *, size_t,
    uint8_t[OPRF_OUT]);

/*
 * oprf_proof_generate(mode, k, A, B, C, D, m, r, proof): GenerateProof(k, A,
 * B, C, D) of RFC 9497 section 2.2.1, a batched DLEQ proof that B = k*A and
 * D[i] = k*C[i] for every i < m (1 <= m <= 65535), without revealing k.
 * It forms the composites (ComputeCompositesFast) M = sum d_i*C[i] and
 * Z = k*M, the weights d_i = HashToScalar(I2OSP(64, 2) || seed ||
 * I2OSP(i, 2) || I2OSP(32, 2) || C[i] || I2OSP(32, 2) || D[i] ||
 * "Composite") with seed = SHA-512(I2OSP(32, 2) || B || I2OSP(33, 2) ||
 * "Seed-" || contextString); then c = HashToScalar(each of B, M, Z, r*A,
 * r*M prefixed with I2OSP(32, 2), then "Challenge"), s = r - c*k, and
 * writes proof = c || s.  The VOPRF server calls it with A = G (the
 * generator), B = pkS = k*G, C = the blinded elements it was sent, D = its
 * evaluated elements.  It does not check that B = k*A or D[i] = k*C[i];
 * a false statement just gives a proof that does not verify.  k must be a
 * canonical nonzero scalar; r is the nonce: NULL draws a random nonzero
 * one (only test vectors give it; reusing r with another c reveals k).
 */
int oprf_proof_generate(int, const uint8_t[OPRF_SCALAR],
    const uint8_t[OPRF_ELEM], const uint8_t[OPRF_ELEM],
    const uint8_t (*)[OPRF_ELEM], const uint8_t (*)[OPRF_ELEM], size_t,
    const uint8_t *, uint8_t[OPRF_PROOF]);

/*
 * oprf_proof_verify(mode, A, B, C, D, m, proof): VerifyProof(A, B, C, D,
 * proof) of RFC 9497 section 2.2.2: recompute M and Z = sum d_i*D[i]
 * (ComputeComposites), t2 = s*A + c*B, t3 = s*M + c*Z and the challenge;
 * 0 if it equals c, -1 if not, or if an element is invalid or the
 * identity, a scalar of the proof non-canonical, or m is 0 or > 65535.
 */
int oprf_proof_verify(int, const uint8_t[OPRF_ELEM], const uint8_t[OPRF_ELEM],
    const uint8_t (*)[OPRF_ELEM], const uint8_t (*)[OPRF_ELEM], size_t,
    const uint8_t[OPRF_PROOF]);

#endif
