/*
 * Shamir secret sharing over the scalars of ristretto255 (the integers mod
 * the group order L), and Lagrange interpolation at 0 of scalars or, "in
 * the exponent", of group elements: if points[i] = share_i * P then
 * sum lambda_i * points[i] = secret * P, which is how the recovery client
 * combines the realms' OPRF evaluations without any party holding the key.
 * See shamir.h and docs/RECOVERY-CRYPTO.md.
 *
 * An index x (1..255) is the scalar with x in its first byte.  All the
 * arithmetic is libsodium's crypto_core_ristretto255_scalar_* (constant
 * time); the indices are public, the shares and the secret are not.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "recovery/oprf.h"
#include "recovery/shamir.h"

#define SPLIT_TRIES	4	/* a zero share has probability ~2^-244 */

/* scalar_ok(s): 1 if s is canonical (< L) and nonzero; constant time. */
static int
scalar_ok(const uint8_t s[32])
{
	uint8_t wide[64], r[32];
	int ok;

	memcpy(wide, s, 32);
	memset(wide + 32, 0, 32);
	crypto_core_ristretto255_scalar_reduce(r, wide);
	ok = sodium_memcmp(r, s, 32) == 0 && !sodium_is_zero(s, 32);
	sodium_memzero(wide, sizeof(wide));
	sodium_memzero(r, sizeof(r));
	return (ok);
}

/* scalar_of(s, x): s = x as a scalar. */
static void
scalar_of(uint8_t s[32], unsigned int x)
{

	memset(s, 0, 32);
	s[0] = (uint8_t)x;
}

/* indices_ok(idx, m): 1 if 1 <= m <= SHAMIR_MAX and the m indices are
 * nonzero and distinct. */
static int
indices_ok(const uint8_t *idx, size_t m)
{
	uint8_t seen[256 / 8];
	size_t i;

	if (idx == NULL || m == 0 || m > SHAMIR_MAX)
		return (0);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < m; i++) {
		if (idx[i] == 0 || (seen[idx[i] / 8] & (1 << (idx[i] % 8))))
			return (0);
		seen[idx[i] / 8] |= (uint8_t)(1 << (idx[i] % 8));
	}
	return (1);
}

/*
 * lagrange(idx, m, i, lambda): lambda = prod_{j != i} x_j / (x_j - x_i),
 * for checked indices.  Every factor is nonzero mod L (the indices are
 * distinct and below L), so the denominator is invertible and lambda is
 * never zero.
 */
static void
lagrange(const uint8_t *idx, size_t m, size_t i, uint8_t lambda[32])
{
	uint8_t num[32], den[32], xi[32], xj[32], d[32], t[32];
	size_t j;

	scalar_of(num, 1);
	scalar_of(den, 1);
	scalar_of(xi, idx[i]);
	for (j = 0; j < m; j++) {
		if (j == i)
			continue;
		scalar_of(xj, idx[j]);
		crypto_core_ristretto255_scalar_mul(t, num, xj);
		memcpy(num, t, 32);
		crypto_core_ristretto255_scalar_sub(d, xj, xi);
		crypto_core_ristretto255_scalar_mul(t, den, d);
		memcpy(den, t, 32);
	}
	/* den != 0, so the inversion cannot fail. */
	(void)crypto_core_ristretto255_scalar_invert(t, den);
	crypto_core_ristretto255_scalar_mul(lambda, num, t);
}

int
shamir_split(const uint8_t secret[32], unsigned int t, unsigned int n,
    uint8_t (*shares)[32])
{
	uint8_t coef[SHAMIR_MAX][32], x[32], acc[32], tmp[32];
	unsigned int i, j, tries;
	int zero, rc = -1;

	if (t < 1 || t > n || n > SHAMIR_MAX || !scalar_ok(secret))
		return (-1);
	for (tries = 0; tries < SPLIT_TRIES && rc != 0; tries++) {
		/* f(x) = coef[0] + coef[1] x + ... + coef[t-1] x^(t-1). */
		memcpy(coef[0], secret, 32);
		for (j = 1; j < t; j++)
			crypto_core_ristretto255_scalar_random(coef[j]);
		zero = 0;
		for (i = 0; i < n; i++) {
			/* Horner's rule at x = i + 1. */
			scalar_of(x, i + 1);
			memcpy(acc, coef[t - 1], 32);
			for (j = t - 1; j-- > 0;) {
				crypto_core_ristretto255_scalar_mul(tmp, acc, x);
				crypto_core_ristretto255_scalar_add(acc, tmp,
				    coef[j]);
			}
			zero |= sodium_is_zero(acc, 32);
			memcpy(shares[i], acc, 32);
		}
		if (!zero)
			rc = 0;
	}
	if (rc != 0)
		sodium_memzero(shares, (size_t)n * 32);
	sodium_memzero(coef, (size_t)t * 32);
	sodium_memzero(acc, sizeof(acc));
	sodium_memzero(tmp, sizeof(tmp));
	return (rc);
}

int
shamir_lagrange(const uint8_t *idx, size_t m, size_t i, uint8_t lambda[32])
{

	if (!indices_ok(idx, m) || i >= m)
		return (-1);
	lagrange(idx, m, i, lambda);
	return (0);
}

int
shamir_combine(const uint8_t *idx, const uint8_t (*shares)[32], size_t m,
    uint8_t secret[32])
{
	uint8_t acc[32], l[32], t[32];
	size_t i;
	int rc = -1;

	if (!indices_ok(idx, m))
		return (-1);
	for (i = 0; i < m; i++)
		if (!scalar_ok(shares[i]))
			return (-1);
	memset(acc, 0, sizeof(acc));
	for (i = 0; i < m; i++) {
		lagrange(idx, m, i, l);
		crypto_core_ristretto255_scalar_mul(t, l, shares[i]);
		crypto_core_ristretto255_scalar_add(acc, acc, t);
	}
	if (!sodium_is_zero(acc, sizeof(acc))) {
		memcpy(secret, acc, 32);
		rc = 0;
	}
	sodium_memzero(acc, sizeof(acc));
	sodium_memzero(t, sizeof(t));
	return (rc);
}

int
shamir_combine_points(const uint8_t *idx, const uint8_t (*points)[32],
    size_t m, uint8_t out[32])
{
	uint8_t acc[32], l[32], t[32];
	size_t i;
	int rc = -1;

	if (!indices_ok(idx, m))
		return (-1);
	for (i = 0; i < m; i++)
		if (!oprf_element_ok(points[i]))
			return (-1);
	/*
	 * acc starts as the identity (all zero), which
	 * crypto_core_ristretto255_add accepts; a partial sum may be the
	 * identity too.  lambda_i * points[i] never is (lambda_i != 0, the
	 * group has prime order), so scalarmult does not fail.
	 */
	memset(acc, 0, sizeof(acc));
	for (i = 0; i < m; i++) {
		lagrange(idx, m, i, l);
		if (crypto_scalarmult_ristretto255(t, l, points[i]) != 0 ||
		    crypto_core_ristretto255_add(acc, acc, t) != 0)
			goto done;
	}
	if (!sodium_is_zero(acc, sizeof(acc))) {
		memcpy(out, acc, 32);
		rc = 0;
	}
done:
	sodium_memzero(acc, sizeof(acc));
	sodium_memzero(t, sizeof(t));
	return (rc);
}
