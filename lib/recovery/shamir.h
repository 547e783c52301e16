#ifndef COFFER_SHAMIR_H
#define COFFER_SHAMIR_H

/*
 * Shamir secret sharing over the ristretto255 scalar field (mod L), and
 * reconstruction "in the exponent" over ristretto255 points, for threshold
 * t of n, 1 <= t <= n <= SHAMIR_MAX.  Share i (1-based) is f(i) for a
 * random polynomial f of degree t-1 with f(0) = secret.  Reconstruction
 * interpolates at 0 through all m shares it is given, with distinct
 * indices in 1..SHAMIR_MAX: any m >= t shares of one split give f(0),
 * since f is the only polynomial of degree < m through them; fewer than t
 * give an unrelated value, not an error (nothing can tell).
 *
 * The secret is an OPRF key: a canonical (< L) nonzero scalar.  Shares
 * are canonical and nonzero too (shamir_split draws the polynomial again
 * in the 2^-244 case that a share is zero), so each can be used as a key
 * (oprf_blind_evaluate refuses zero).  Shares and points given to the
 * combine functions are refused if non-canonical, zero, invalid or the
 * identity; a zero secret or identity result is refused too (only bad
 * shares give it).  Lagrange coefficients are never zero (the indices are
 * distinct and nonzero, below L).  Secrets are wiped; nothing is printed.
 * All return 0 on success, -1 on failure (bad t, n, m, index, scalar or
 * element).  See docs/RECOVERY-CRYPTO.md.
 */

#include <stddef.h>
#include <stdint.h>

#define SHAMIR_MAX	255

/* shamir_split(secret, t, n, shares[n][32]): shares[i] = f(i + 1), with
 * f(0) = secret and t - 1 random coefficients
 * (crypto_core_ristretto255_scalar_random, nonzero). */
int shamir_split(const uint8_t[32], unsigned, unsigned, uint8_t (*)[32]);

/* shamir_lagrange(idx[], m, i, lambda): the Lagrange coefficient at 0 of
 * index idx[i] among the m indices idx[0..m-1]. */
int shamir_lagrange(const uint8_t *, size_t, size_t, uint8_t[32]);

/* shamir_combine(idx[], shares[][32], m, secret): the secret from m shares
 * (scalars): sum lambda_i * shares[i]. */
int shamir_combine(const uint8_t *, const uint8_t (*)[32], size_t,
    uint8_t[32]);

/* shamir_combine_points(idx[], points[][32], m, out): sum lambda_i *
 * points[i] (ristretto255 elements). */
int shamir_combine_points(const uint8_t *, const uint8_t (*)[32], size_t,
    uint8_t[32]);

#endif
