/*
 * RFC 9497 OPRF and VOPRF, ciphersuite ristretto255-SHA512, on libsodium's
 * ristretto255 and SHA-512.  See oprf.h for the interface and
 * docs/RECOVERY-CRYPTO.md for every byte hashed here; the test vectors of
 * RFC 9497 appendix A.1.1/A.1.2 and RFC 9380 appendix K.2 are checked by
 * tests/unit/test_oprf.c.
 *
 * Conventions: elements are 32-byte ristretto255 encodings, which are
 * unique, so the identity is exactly the all-zero encoding; scalars are
 * 32-byte little-endian integers below the group order
 * L = 2^252 + 27742317777372353535851937790883648493.
 * Internally the identity is allowed (a composite or a partial sum may be
 * it); at the interface it is refused wherever an element comes in.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "recovery/oprf.h"

/* A piece of a message, hashed in place rather than copied together. */
struct part {
	const uint8_t *p;
	size_t len;
};

#define DST_MAX		64	/* the longest label + contextString is 41 */
#define INPUT_MAX	65535	/* inputs are prefixed with I2OSP(len, 2) */
#define BATCH_MAX	65535	/* composites index with I2OSP(i, 2) */

static const uint8_t LEN32[2] = { 0x00, 0x20 };	/* I2OSP(32, 2) */

/* be16enc(p, x): p = I2OSP(x, 2), for x < 65536. */
static void
be16enc(uint8_t p[2], size_t x)
{

	p[0] = (uint8_t)(x >> 8);
	p[1] = (uint8_t)x;
}

/*
 * dst_make(label, mode, dst): write label || contextString, where
 * contextString = "OPRFV1-" || I2OSP(mode, 1) || "-ristretto255-SHA512"
 * (RFC 9497 section 3.1), into dst and return its length, or 0 if the mode
 * is not one we implement.
 */
static size_t
dst_make(const char *label, int mode, uint8_t dst[DST_MAX])
{
	static const char suite[] = "-ristretto255-SHA512";
	size_t n = strlen(label);

	if (mode != OPRF_MODE_OPRF && mode != OPRF_MODE_VOPRF)
		return (0);
	memcpy(dst, label, n);
	memcpy(dst + n, "OPRFV1-", 7);
	dst[n + 7] = (uint8_t)mode;
	memcpy(dst + n + 8, suite, sizeof(suite) - 1);
	return (n + 8 + sizeof(suite) - 1);
}

/* upd(st, p, len): hash len bytes (p may be NULL when len is 0). */
static void
upd(crypto_hash_sha512_state *st, const uint8_t *p, size_t len)
{

	if (len > 0)
		crypto_hash_sha512_update(st, p, len);
}

/*
 * xmd(msg, nmsg, dst, dstlen, out, outlen): expand_message_xmd with SHA-512
 * (RFC 9380 section 5.3.1) of the concatenation of the nmsg parts:
 *
 *	DST' = DST || I2OSP(len(DST), 1)
 *	b_0 = H(I2OSP(0, 128) || msg || I2OSP(outlen, 2) || I2OSP(0, 1) || DST')
 *	b_1 = H(b_0 || I2OSP(1, 1) || DST')
 *	b_i = H((b_0 XOR b_(i-1)) || I2OSP(i, 1) || DST'), i = 2..ell
 *	out = the first outlen bytes of b_1 || ... || b_ell
 *
 * Every intermediate may depend on a secret input (a passcode) and is
 * wiped.
 */
static int
xmd(const struct part *msg, size_t nmsg, const uint8_t *dst, size_t dstlen,
    uint8_t *out, size_t outlen)
{
	static const uint8_t zpad[128];	/* Z_pad: SHA-512's block size */
	crypto_hash_sha512_state st;
	uint8_t b0[64], bi[64], tail[3], dlen, ctr;
	size_t ell, i, j, n;

	if (dstlen > 255 || outlen == 0 || outlen > 255 * 64)
		return (-1);
	ell = (outlen + 63) / 64;
	dlen = (uint8_t)dstlen;

	crypto_hash_sha512_init(&st);
	upd(&st, zpad, sizeof(zpad));
	for (i = 0; i < nmsg; i++)
		upd(&st, msg[i].p, msg[i].len);
	be16enc(tail, outlen);
	tail[2] = 0;
	upd(&st, tail, 3);
	upd(&st, dst, dstlen);
	upd(&st, &dlen, 1);
	crypto_hash_sha512_final(&st, b0);

	memcpy(bi, b0, 64);
	for (i = 1; i <= ell; i++) {
		/* bi holds b_0 (i = 1) or b_0 XOR b_(i-1). */
		ctr = (uint8_t)i;
		crypto_hash_sha512_init(&st);
		upd(&st, bi, 64);
		upd(&st, &ctr, 1);
		upd(&st, dst, dstlen);
		upd(&st, &dlen, 1);
		crypto_hash_sha512_final(&st, bi);
		n = outlen - (i - 1) * 64;
		memcpy(out + (i - 1) * 64, bi, n < 64 ? n : 64);
		for (j = 0; j < 64; j++)
			bi[j] ^= b0[j];
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(b0, sizeof(b0));
	sodium_memzero(bi, sizeof(bi));
	return (0);
}

/* h2s(msg, nmsg, dst, dstlen, s): HashToScalar, 64 bytes reduced mod L. */
static int
h2s(const struct part *msg, size_t nmsg, const uint8_t *dst, size_t dstlen,
    uint8_t s[OPRF_SCALAR])
{
	uint8_t u[64];

	if (xmd(msg, nmsg, dst, dstlen, u, sizeof(u)))
		return (-1);
	crypto_core_ristretto255_scalar_reduce(s, u);
	sodium_memzero(u, sizeof(u));
	return (0);
}

/* h2s_mode(mode, msg, nmsg, s): HashToScalar with its default DST. */
static int
h2s_mode(int mode, const struct part *msg, size_t nmsg,
    uint8_t s[OPRF_SCALAR])
{
	uint8_t dst[DST_MAX];
	size_t dstlen;

	if ((dstlen = dst_make("HashToScalar-", mode, dst)) == 0)
		return (-1);
	return (h2s(msg, nmsg, dst, dstlen, s));
}

/* scalar_canonical(s): 1 if s < L, else 0; constant time. */
static int
scalar_canonical(const uint8_t s[OPRF_SCALAR])
{
	uint8_t wide[64], r[32];
	int ok;

	memcpy(wide, s, 32);
	memset(wide + 32, 0, 32);
	crypto_core_ristretto255_scalar_reduce(r, wide);
	ok = sodium_memcmp(r, s, 32) == 0;
	sodium_memzero(wide, sizeof(wide));
	sodium_memzero(r, sizeof(r));
	return (ok);
}

/* scalar_ok(s): 1 if s is canonical and nonzero (a key or a blind). */
static int
scalar_ok(const uint8_t s[OPRF_SCALAR])
{

	return (scalar_canonical(s) && !sodium_is_zero(s, OPRF_SCALAR));
}

/*
 * elem_ok(p): 1 if p is a canonical encoding and not the identity.
 * libsodium 1.0.18 (Debian 12) ignores the top bit of the encoding, so
 * that every element has a second, non-canonical encoding it accepts;
 * RFC 9496 section 4.3.1 requires rejecting it, so we check that bit.
 */
static int
elem_ok(const uint8_t p[OPRF_ELEM])
{

	return ((p[OPRF_ELEM - 1] & 0x80) == 0 &&
	    crypto_core_ristretto255_is_valid_point(p) == 1 &&
	    !sodium_is_zero(p, OPRF_ELEM));
}

int
oprf_element_ok(const uint8_t p[OPRF_ELEM])
{

	return (elem_ok(p));
}

/*
 * mul(q, n, p): q = n*p for a canonical scalar n and a valid element p
 * (the identity allowed).  libsodium returns -1, with q all zero, when the
 * product is the identity; here that is a result like any other.
 */
static void
mul(uint8_t q[OPRF_ELEM], const uint8_t n[OPRF_SCALAR],
    const uint8_t p[OPRF_ELEM])
{

	if (crypto_scalarmult_ristretto255(q, n, p) != 0)
		memset(q, 0, OPRF_ELEM);
}

/* h2g(mode, input, len, P): HashToGroup, the identity allowed. */
static int
h2g(int mode, const uint8_t *input, size_t len, uint8_t P[OPRF_ELEM])
{
	struct part msg = { input, len };
	uint8_t dst[DST_MAX], u[64];
	size_t dstlen;
	int rc;

	if ((dstlen = dst_make("HashToGroup-", mode, dst)) == 0)
		return (-1);
	if ((rc = xmd(&msg, 1, dst, dstlen, u, sizeof(u))) == 0)
		crypto_core_ristretto255_from_hash(P, u);
	sodium_memzero(u, sizeof(u));
	return (rc);
}

/*
 * finalize_hash(input, len, N, out): SHA-512(I2OSP(len, 2) || input ||
 * I2OSP(32, 2) || N || "Finalize"), the last step of Finalize and
 * Evaluate (RFC 9497 section 3.3.1).
 */
static void
finalize_hash(const uint8_t *input, size_t len, const uint8_t N[OPRF_ELEM],
    uint8_t out[OPRF_OUT])
{
	crypto_hash_sha512_state st;
	uint8_t l[2];

	be16enc(l, len);
	crypto_hash_sha512_init(&st);
	upd(&st, l, 2);
	upd(&st, input, len);
	upd(&st, LEN32, 2);
	upd(&st, N, OPRF_ELEM);
	upd(&st, (const uint8_t *)"Finalize", 8);
	crypto_hash_sha512_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

int
oprf_expand_xmd(const uint8_t *msg, size_t len, const uint8_t *dst,
    size_t dstlen, uint8_t *out, size_t outlen)
{
	struct part m = { msg, len };

	return (xmd(&m, 1, dst, dstlen, out, outlen));
}

int
oprf_hash_to_group(int mode, const uint8_t *input, size_t len,
    uint8_t P[OPRF_ELEM])
{
	uint8_t Q[OPRF_ELEM];
	int rc = -1;

	if (h2g(mode, input, len, Q) == 0 && !sodium_is_zero(Q, OPRF_ELEM)) {
		memcpy(P, Q, OPRF_ELEM);
		rc = 0;
	}
	sodium_memzero(Q, sizeof(Q));
	return (rc);
}

int
oprf_hash_to_scalar(int mode, const uint8_t *input, size_t len,
    const uint8_t *dst, size_t dstlen, uint8_t s[OPRF_SCALAR])
{
	struct part msg = { input, len };

	if (mode != OPRF_MODE_OPRF && mode != OPRF_MODE_VOPRF)
		return (-1);
	if (dst == NULL)
		return (h2s_mode(mode, &msg, 1, s));
	return (h2s(&msg, 1, dst, dstlen, s));
}

int
oprf_derive_key_pair(int mode, const uint8_t seed[32], const uint8_t *info,
    size_t infolen, uint8_t sk[OPRF_SCALAR], uint8_t pk[OPRF_ELEM])
{
	uint8_t dst[DST_MAX], l[2], ctr, k[OPRF_SCALAR];
	struct part msg[4];
	size_t dstlen;
	unsigned int i;
	int rc = -1;

	if (infolen > INPUT_MAX ||
	    (dstlen = dst_make("DeriveKeyPair", mode, dst)) == 0)
		return (-1);
	be16enc(l, infolen);
	msg[0] = (struct part){ seed, 32 };
	msg[1] = (struct part){ l, 2 };
	msg[2] = (struct part){ info, infolen };
	msg[3] = (struct part){ &ctr, 1 };
	for (i = 0; i < 256; i++) {
		ctr = (uint8_t)i;
		if (h2s(msg, 4, dst, dstlen, k))
			goto done;
		if (!sodium_is_zero(k, sizeof(k)))
			break;
	}
	if (i == 256 || crypto_scalarmult_ristretto255_base(pk, k) != 0)
		goto done;
	memcpy(sk, k, OPRF_SCALAR);
	rc = 0;
done:
	sodium_memzero(k, sizeof(k));
	return (rc);
}

int
oprf_blind(int mode, const uint8_t *input, size_t len, const uint8_t *blind,
    uint8_t r_out[OPRF_SCALAR], uint8_t blinded[OPRF_ELEM])
{
	uint8_t r[OPRF_SCALAR], P[OPRF_ELEM], B[OPRF_ELEM];
	int rc = -1;

	if (len > INPUT_MAX)
		return (-1);
	if (blind != NULL) {
		if (!scalar_ok(blind))
			return (-1);
		memcpy(r, blind, OPRF_SCALAR);
	} else
		crypto_core_ristretto255_scalar_random(r);

	/* InvalidInputError if the input maps to the identity. */
	if (h2g(mode, input, len, P) || sodium_is_zero(P, OPRF_ELEM))
		goto done;
	if (crypto_scalarmult_ristretto255(B, r, P) != 0)
		goto done;
	memcpy(r_out, r, OPRF_SCALAR);
	memcpy(blinded, B, OPRF_ELEM);
	rc = 0;
done:
	sodium_memzero(r, sizeof(r));
	sodium_memzero(P, sizeof(P));
	sodium_memzero(B, sizeof(B));
	return (rc);
}

int
oprf_blind_evaluate(const uint8_t sk[OPRF_SCALAR],
    const uint8_t blinded[OPRF_ELEM], uint8_t evaluated[OPRF_ELEM])
{
	uint8_t Z[OPRF_ELEM];

	if (!scalar_ok(sk) || !elem_ok(blinded))
		return (-1);
	if (crypto_scalarmult_ristretto255(Z, sk, blinded) != 0)
		return (-1);
	memcpy(evaluated, Z, OPRF_ELEM);
	return (0);
}

int
oprf_finalize(const uint8_t *input, size_t len, const uint8_t r[OPRF_SCALAR],
    const uint8_t evaluated[OPRF_ELEM], uint8_t out[OPRF_OUT])
{
	uint8_t rinv[OPRF_SCALAR], N[OPRF_ELEM];
	int rc = -1;

	if (len > INPUT_MAX || !scalar_ok(r) || !elem_ok(evaluated))
		return (-1);
	if (crypto_core_ristretto255_scalar_invert(rinv, r) != 0 ||
	    crypto_scalarmult_ristretto255(N, rinv, evaluated) != 0)
		goto done;
	finalize_hash(input, len, N, out);
	rc = 0;
done:
	sodium_memzero(rinv, sizeof(rinv));
	sodium_memzero(N, sizeof(N));
	return (rc);
}

int
oprf_evaluate(const uint8_t sk[OPRF_SCALAR], const uint8_t *input, size_t len,
    uint8_t out[OPRF_OUT])
{
	uint8_t P[OPRF_ELEM], N[OPRF_ELEM];
	int rc = -1;

	if (len > INPUT_MAX || !scalar_ok(sk))
		return (-1);
	if (h2g(OPRF_MODE_OPRF, input, len, P) ||
	    sodium_is_zero(P, OPRF_ELEM) ||
	    crypto_scalarmult_ristretto255(N, sk, P) != 0)
		goto done;
	finalize_hash(input, len, N, out);
	rc = 0;
done:
	sodium_memzero(P, sizeof(P));
	sodium_memzero(N, sizeof(N));
	return (rc);
}

/*
 * composites(mode, k, B, C, D, m, M, Z): ComputeComposites (k NULL) or
 * ComputeCompositesFast (Z = k*M) of RFC 9497 section 2.2.  The elements
 * have been checked.
 */
static int
composites(int mode, const uint8_t *k, const uint8_t B[OPRF_ELEM],
    const uint8_t (*C)[OPRF_ELEM], const uint8_t (*D)[OPRF_ELEM], size_t m,
    uint8_t M[OPRF_ELEM], uint8_t Z[OPRF_ELEM])
{
	static const uint8_t LEN64[2] = { 0x00, 0x40 };
	crypto_hash_sha512_state st;
	uint8_t sdst[DST_MAX], l[2], seed[64], ib[2], d[OPRF_SCALAR];
	uint8_t t[OPRF_ELEM];
	struct part msg[9];
	size_t sdstlen, i;

	if ((sdstlen = dst_make("Seed-", mode, sdst)) == 0)
		return (-1);

	/* seed = Hash(I2OSP(32, 2) || B || I2OSP(len(seedDST), 2) || seedDST) */
	be16enc(l, sdstlen);
	crypto_hash_sha512_init(&st);
	upd(&st, LEN32, 2);
	upd(&st, B, OPRF_ELEM);
	upd(&st, l, 2);
	upd(&st, sdst, sdstlen);
	crypto_hash_sha512_final(&st, seed);

	memset(M, 0, OPRF_ELEM);
	memset(Z, 0, OPRF_ELEM);
	msg[0] = (struct part){ LEN64, 2 };
	msg[1] = (struct part){ seed, sizeof(seed) };
	msg[2] = (struct part){ ib, 2 };
	msg[3] = (struct part){ LEN32, 2 };
	msg[5] = (struct part){ LEN32, 2 };
	msg[7] = (struct part){ (const uint8_t *)"Composite", 9 };
	for (i = 0; i < m; i++) {
		be16enc(ib, i);
		msg[4] = (struct part){ C[i], OPRF_ELEM };
		msg[6] = (struct part){ D[i], OPRF_ELEM };
		if (h2s_mode(mode, msg, 8, d))
			return (-1);
		mul(t, d, C[i]);
		(void)crypto_core_ristretto255_add(M, t, M);
		if (k == NULL) {
			mul(t, d, D[i]);
			(void)crypto_core_ristretto255_add(Z, t, Z);
		}
	}
	if (k != NULL)
		mul(Z, k, M);
	return (0);
}

/*
 * challenge(mode, B, M, Z, t2, t3, c): c = HashToScalar(I2OSP(32, 2) || B ||
 * ... || I2OSP(32, 2) || t3 || "Challenge").
 */
static int
challenge(int mode, const uint8_t B[OPRF_ELEM], const uint8_t M[OPRF_ELEM],
    const uint8_t Z[OPRF_ELEM], const uint8_t t2[OPRF_ELEM],
    const uint8_t t3[OPRF_ELEM], uint8_t c[OPRF_SCALAR])
{
	const uint8_t *e[5] = { B, M, Z, t2, t3 };
	struct part msg[11];
	size_t i;

	for (i = 0; i < 5; i++) {
		msg[2 * i] = (struct part){ LEN32, 2 };
		msg[2 * i + 1] = (struct part){ e[i], OPRF_ELEM };
	}
	msg[10] = (struct part){ (const uint8_t *)"Challenge", 9 };
	return (h2s_mode(mode, msg, 11, c));
}

/* batch_ok(A, B, C, D, m): the inputs of a proof are acceptable. */
static int
batch_ok(const uint8_t A[OPRF_ELEM], const uint8_t B[OPRF_ELEM],
    const uint8_t (*C)[OPRF_ELEM], const uint8_t (*D)[OPRF_ELEM], size_t m)
{
	size_t i;

	if (m == 0 || m > BATCH_MAX || !elem_ok(A) || !elem_ok(B))
		return (0);
	for (i = 0; i < m; i++)
		if (!elem_ok(C[i]) || !elem_ok(D[i]))
			return (0);
	return (1);
}

int
oprf_proof_generate(int mode, const uint8_t k[OPRF_SCALAR],
    const uint8_t A[OPRF_ELEM], const uint8_t B[OPRF_ELEM],
    const uint8_t (*C)[OPRF_ELEM], const uint8_t (*D)[OPRF_ELEM], size_t m,
    const uint8_t *rgiven, uint8_t proof[OPRF_PROOF])
{
	uint8_t M[OPRF_ELEM], Z[OPRF_ELEM], t2[OPRF_ELEM], t3[OPRF_ELEM];
	uint8_t r[OPRF_SCALAR], c[OPRF_SCALAR], ck[OPRF_SCALAR];
	uint8_t s[OPRF_SCALAR];
	int rc = -1;

	if (!scalar_ok(k) || !batch_ok(A, B, C, D, m))
		return (-1);
	if (rgiven != NULL) {
		if (!scalar_ok(rgiven))
			return (-1);
		memcpy(r, rgiven, OPRF_SCALAR);
	} else
		crypto_core_ristretto255_scalar_random(r);

	if (composites(mode, k, B, C, D, m, M, Z))
		goto done;
	mul(t2, r, A);
	mul(t3, r, M);
	if (challenge(mode, B, M, Z, t2, t3, c))
		goto done;
	crypto_core_ristretto255_scalar_mul(ck, c, k);
	crypto_core_ristretto255_scalar_sub(s, r, ck);
	memcpy(proof, c, OPRF_SCALAR);
	memcpy(proof + OPRF_SCALAR, s, OPRF_SCALAR);
	rc = 0;
done:
	sodium_memzero(r, sizeof(r));
	sodium_memzero(ck, sizeof(ck));
	sodium_memzero(t2, sizeof(t2));
	sodium_memzero(t3, sizeof(t3));
	return (rc);
}

int
oprf_proof_verify(int mode, const uint8_t A[OPRF_ELEM],
    const uint8_t B[OPRF_ELEM], const uint8_t (*C)[OPRF_ELEM],
    const uint8_t (*D)[OPRF_ELEM], size_t m, const uint8_t proof[OPRF_PROOF])
{
	const uint8_t *c = proof, *s = proof + OPRF_SCALAR;
	uint8_t M[OPRF_ELEM], Z[OPRF_ELEM], t2[OPRF_ELEM], t3[OPRF_ELEM];
	uint8_t u[OPRF_ELEM], want[OPRF_SCALAR];

	if (!batch_ok(A, B, C, D, m) || !scalar_canonical(c) ||
	    !scalar_canonical(s))
		return (-1);
	if (composites(mode, NULL, B, C, D, m, M, Z))
		return (-1);
	mul(t2, s, A);
	mul(u, c, B);
	(void)crypto_core_ristretto255_add(t2, t2, u);
	mul(t3, s, M);
	mul(u, c, Z);
	(void)crypto_core_ristretto255_add(t3, t3, u);
	if (challenge(mode, B, M, Z, t2, t3, want))
		return (-1);
	return (sodium_memcmp(want, c, OPRF_SCALAR) == 0 ? 0 : -1);
}
