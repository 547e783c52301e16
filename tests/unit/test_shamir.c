/*
 * Tests of lib/recovery/shamir.c: for every t-of-n with 1 <= t <= n <= 5,
 * every subset of t and of t + 1 shares (in increasing and decreasing
 * index order) gives the secret back, as a scalar and in the exponent
 * (combining share_i * G gives secret * G); every subset of t - 1 shares
 * gives something else.  Lagrange coefficients against hand-computed
 * values and their sum (always 1); 255-of-255; and the refusals: t > n,
 * t or n out of range, a zero or non-canonical secret or share, zero and
 * duplicate indices, invalid and identity points.
 */
#include <stdint.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "recovery/shamir.h"
#include "test.h"

/* The group order L, little-endian. */
static const uint8_t L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
};

/*
 * try_subset(shares, pts, mask, rev, secret, S, want_equal): combine the
 * shares whose index bit is set in mask, and compare with the secret and
 * with S = secret * G.  Returns 1 if the outcome is as wanted.
 */
static int
try_subset(uint8_t (*shares)[32], uint8_t (*pts)[32], unsigned int mask,
    int rev, const uint8_t secret[32], const uint8_t S[32], int want_equal)
{
	uint8_t idx[5], sub[5][32], psub[5][32], got[32], P[32];
	size_t m = 0, k;
	unsigned int i;

	for (k = 0; k < 5; k++) {
		i = rev ? 4 - (unsigned int)k : (unsigned int)k;
		if (!(mask & (1u << i)))
			continue;
		idx[m] = (uint8_t)(i + 1);
		memcpy(sub[m], shares[i], 32);
		memcpy(psub[m], pts[i], 32);
		m++;
	}
	if (shamir_combine(idx, (const uint8_t (*)[32])sub, m, got) != 0 ||
	    shamir_combine_points(idx, (const uint8_t (*)[32])psub, m, P) != 0)
		return (0);
	if (want_equal)
		return (memcmp(got, secret, 32) == 0 &&
		    memcmp(P, S, 32) == 0);
	return (memcmp(got, secret, 32) != 0 && memcmp(P, S, 32) != 0);
}

static void
test_all_thresholds(void)
{
	uint8_t secret[32], S[32], shares[5][32], pts[5][32];
	unsigned int t, n, i, mask, pc, ntried = 0, bad = 0;
	int rev;

	for (n = 1; n <= 5; n++) {
		for (t = 1; t <= n; t++) {
			crypto_core_ristretto255_scalar_random(secret);
			CHECK(crypto_scalarmult_ristretto255_base(S, secret)
			    == 0);
			CHECK(shamir_split(secret, t, n, shares) == 0);
			for (i = 0; i < n; i++)
				CHECK(crypto_scalarmult_ristretto255_base(
				    pts[i], shares[i]) == 0);
			for (mask = 1; mask < (1u << n); mask++) {
				pc = (unsigned int)__builtin_popcount(mask);
				for (rev = 0; rev < 2; rev++) {
					if (pc == t || pc == t + 1) {
						ntried++;
						bad += !try_subset(shares, pts,
						    mask, rev, secret, S, 1);
					} else if (pc + 1 == t) {
						ntried++;
						bad += !try_subset(shares, pts,
						    mask, rev, secret, S, 0);
					}
				}
			}
		}
	}
	/* 2 * sum over n, t of C(n,t) + C(n,t+1) + (t >= 2 ? C(n,t-1) : 0). */
	CHECK(ntried == 302);
	CHECK(bad == 0);
}

static void
test_share_structure(void)
{
	uint8_t secret[32], shares[5][32], d1[32], d2[32];
	unsigned int i;

	crypto_core_ristretto255_scalar_random(secret);
	/* 1-of-n: every share is the secret. */
	CHECK(shamir_split(secret, 1, 5, shares) == 0);
	for (i = 0; i < 5; i++)
		CHECK_MEM(shares[i], secret, 32);
	/* 2-of-n: the shares lie on a line, f(i+1) - f(i) is constant,
	 * and f(1) - (f(2) - f(1)) = f(0) = secret. */
	CHECK(shamir_split(secret, 2, 5, shares) == 0);
	crypto_core_ristretto255_scalar_sub(d1, shares[1], shares[0]);
	for (i = 2; i < 5; i++) {
		crypto_core_ristretto255_scalar_sub(d2, shares[i],
		    shares[i - 1]);
		CHECK_MEM(d1, d2, 32);
	}
	CHECK(!sodium_is_zero(d1, 32));
	crypto_core_ristretto255_scalar_sub(d2, shares[0], d1);
	CHECK_MEM(d2, secret, 32);
	/* Two splits of the same secret differ. */
	memcpy(d1, shares[0], 32);
	CHECK(shamir_split(secret, 2, 5, shares) == 0);
	CHECK(memcmp(d1, shares[0], 32) != 0);
}

/* scalar_small(s, v): s = v mod L for a small signed v. */
static void
scalar_small(uint8_t s[32], int v)
{
	uint8_t a[32];

	memset(a, 0, 32);
	a[0] = (uint8_t)(v < 0 ? -v : v);
	if (v < 0)
		crypto_core_ristretto255_scalar_negate(s, a);
	else
		memcpy(s, a, 32);
}

static void
test_lagrange(void)
{
	static const uint8_t i12[2] = { 1, 2 }, i123[3] = { 1, 2, 3 };
	static const int w12[2] = { 2, -1 }, w123[3] = { 3, -3, 1 };
	uint8_t idx[255], l[32], want[32], sum[32], one[32];
	size_t i, m;

	for (i = 0; i < 2; i++) {
		CHECK(shamir_lagrange(i12, 2, i, l) == 0);
		scalar_small(want, w12[i]);
		CHECK_MEM(l, want, 32);
	}
	/* -1 is L - 1. */
	memcpy(want, L, 32);
	want[0]--;
	CHECK(shamir_lagrange(i12, 2, 1, l) == 0);
	CHECK_MEM(l, want, 32);
	for (i = 0; i < 3; i++) {
		CHECK(shamir_lagrange(i123, 3, i, l) == 0);
		scalar_small(want, w123[i]);
		CHECK_MEM(l, want, 32);
	}

	/* The coefficients at 0 always sum to 1 (interpolate f = 1), here
	 * for index sets up to all of 1..255, in an odd order. */
	scalar_small(one, 1);
	for (m = 1; m <= 255; m += 127) {
		for (i = 0; i < m; i++)
			idx[i] = (uint8_t)(255 - (i * 37) % 255);
		memset(sum, 0, 32);
		for (i = 0; i < m; i++) {
			CHECK(shamir_lagrange(idx, m, i, l) == 0);
			CHECK(!sodium_is_zero(l, 32));
			crypto_core_ristretto255_scalar_add(sum, sum, l);
		}
		CHECK_MEM(sum, one, 32);
	}
	CHECK(shamir_lagrange(i123, 3, 3, l) == -1);
	CHECK(shamir_lagrange(i123, 0, 0, l) == -1);
}

static void
test_255_of_255(void)
{
	static uint8_t shares[255][32], pts[255][32];
	uint8_t secret[32], S[32], got[32], idx[255];
	size_t i;

	crypto_core_ristretto255_scalar_random(secret);
	CHECK(crypto_scalarmult_ristretto255_base(S, secret) == 0);
	CHECK(shamir_split(secret, 255, 255, shares) == 0);
	for (i = 0; i < 255; i++) {
		idx[i] = (uint8_t)(i + 1);
		CHECK(crypto_scalarmult_ristretto255_base(pts[i], shares[i]) ==
		    0);
	}
	CHECK(shamir_combine(idx, (const uint8_t (*)[32])shares, 255, got) ==
	    0);
	CHECK_MEM(got, secret, 32);
	CHECK(shamir_combine_points(idx, (const uint8_t (*)[32])pts, 255, got)
	    == 0);
	CHECK_MEM(got, S, 32);
	/* 254 of them: not the secret. */
	CHECK(shamir_combine(idx + 1, (const uint8_t (*)[32])(shares + 1), 254,
	    got) == 0);
	CHECK(memcmp(got, secret, 32) != 0);
}

static void
test_refusals(void)
{
	uint8_t secret[32], shares[5][32], pts[5][32], got[32], x[32];
	uint8_t idx[5] = { 1, 2, 3, 4, 5 }, dup[3] = { 1, 2, 1 };
	uint8_t zidx[3] = { 0, 1, 2 };
	static uint8_t big[256][32];
	static uint8_t bidx[256];
	size_t i;

	crypto_core_ristretto255_scalar_random(secret);
	CHECK(shamir_split(secret, 3, 5, shares) == 0);
	for (i = 0; i < 5; i++)
		CHECK(crypto_scalarmult_ristretto255_base(pts[i], shares[i]) ==
		    0);

	/* Thresholds. */
	CHECK(shamir_split(secret, 0, 3, shares) == -1);
	CHECK(shamir_split(secret, 4, 3, shares) == -1);
	CHECK(shamir_split(secret, 1, 0, shares) == -1);
	CHECK(shamir_split(secret, 2, 256, big) == -1);
	CHECK(shamir_split(secret, 256, 256, big) == -1);

	/* A secret that is zero, L, or secret + L. */
	memset(x, 0, 32);
	CHECK(shamir_split(x, 2, 3, shares) == -1);
	CHECK(shamir_split(L, 2, 3, shares) == -1);
	{
		unsigned int c = 0, k;

		for (k = 0; k < 32; k++) {
			c += (unsigned int)secret[k] + L[k];
			x[k] = (uint8_t)c;
			c >>= 8;
		}
	}
	CHECK(shamir_split(x, 2, 3, shares) == -1);
	CHECK(shamir_split(secret, 3, 5, shares) == 0);

	/* Indices: duplicate, zero, none, too many. */
	CHECK(shamir_combine(dup, (const uint8_t (*)[32])shares, 3, got) ==
	    -1);
	CHECK(shamir_combine_points(dup, (const uint8_t (*)[32])pts, 3, got)
	    == -1);
	CHECK(shamir_lagrange(dup, 3, 0, got) == -1);
	CHECK(shamir_combine(zidx, (const uint8_t (*)[32])shares, 3, got) ==
	    -1);
	CHECK(shamir_combine_points(zidx, (const uint8_t (*)[32])pts, 3, got)
	    == -1);
	CHECK(shamir_combine(idx, (const uint8_t (*)[32])shares, 0, got) ==
	    -1);
	for (i = 0; i < 256; i++) {
		bidx[i] = (uint8_t)i;
		crypto_core_ristretto255_scalar_random(big[i]);
	}
	CHECK(shamir_combine(bidx + 1, (const uint8_t (*)[32])big, 256, got)
	    == -1);

	/* A share that is zero or not canonical. */
	memcpy(x, shares[1], 32);
	memset(shares[1], 0, 32);
	CHECK(shamir_combine(idx, (const uint8_t (*)[32])shares, 3, got) ==
	    -1);
	memset(shares[1], 0xff, 32);
	CHECK(shamir_combine(idx, (const uint8_t (*)[32])shares, 3, got) ==
	    -1);
	memcpy(shares[1], x, 32);
	CHECK(shamir_combine(idx, (const uint8_t (*)[32])shares, 3, got) ==
	    0);
	CHECK_MEM(got, secret, 32);

	/* A point that is the identity, or has its top bit set (libsodium
	 * 1.0.18 would read it as the point without that bit). */
	memcpy(x, pts[2], 32);
	memset(pts[2], 0, 32);
	CHECK(shamir_combine_points(idx, (const uint8_t (*)[32])pts, 3, got)
	    == -1);
	memcpy(pts[2], x, 32);
	pts[2][31] |= 0x80;
	CHECK(shamir_combine_points(idx, (const uint8_t (*)[32])pts, 3, got)
	    == -1);
	memcpy(pts[2], x, 32);
	CHECK(shamir_combine_points(idx, (const uint8_t (*)[32])pts, 3, got)
	    == 0);

	/* Shares of one secret whose combination is zero are refused: with
	 * indices 1, 2 and shares 1, 2 the line through them is f(x) = x. */
	memset(shares, 0, sizeof(shares));
	shares[0][0] = 1;
	shares[1][0] = 2;
	CHECK(shamir_combine(idx, (const uint8_t (*)[32])shares, 2, got) ==
	    -1);
	CHECK(crypto_scalarmult_ristretto255_base(pts[0], shares[0]) == 0);
	CHECK(crypto_scalarmult_ristretto255_base(pts[1], shares[1]) == 0);
	CHECK(shamir_combine_points(idx, (const uint8_t (*)[32])pts, 2, got)
	    == -1);
}

int
main(void)
{

	if (crypto_init())
		return (1);
	RUN(test_all_thresholds);
	RUN(test_share_structure);
	RUN(test_lagrange);
	RUN(test_255_of_255);
	RUN(test_refusals);
	return (TEST_EXIT());
}
