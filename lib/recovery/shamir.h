#ifndef COFFER_SHAMIR_H
#define COFFER_SHAMIR_H

/*
 * Shamir secret sharing over the ristretto255 scalar field (mod L), and
 * reconstruction "in the exponent" over ristretto255 points, for threshold
 * t of n, 1 <= t <= n <= SHAMIR_MAX.  Share i (1-based) is f(i) for a
 * random polynomial f of degree t-1 with f(0) = secret.  Reconstruction
 * takes any t (or more: exactly t are used, the first t) shares with
 * distinct indices in 1..SHAMIR_MAX and rejects duplicates or zero.
 * All return 0 on success, -1 on failure (bad t, n, index, or element).
 */

#include <stddef.h>
#include <stdint.h>

#define SHAMIR_MAX	255

/* shamir_split(secret, t, n, shares[n][32]): shares[i] = f(i + 1). */
int shamir_split(const uint8_t[32], unsigned, unsigned, uint8_t (*)[32]);

/* shamir_lagrange(idx[], m, i, lambda): the Lagrange coefficient at 0 of
 * index idx[i] among the m indices idx[0..m-1]. */
int shamir_lagrange(const uint8_t *, size_t, size_t, uint8_t[32]);

/* shamir_combine(idx[], shares[][32], m, secret): the secret from m shares
 * (scalars). */
int shamir_combine(const uint8_t *, const uint8_t (*)[32], size_t,
    uint8_t[32]);

/* shamir_combine_points(idx[], points[][32], m, out): sum lambda_i *
 * points[i] (ristretto255 elements). */
int shamir_combine_points(const uint8_t *, const uint8_t (*)[32], size_t,
    uint8_t[32]);

#endif
