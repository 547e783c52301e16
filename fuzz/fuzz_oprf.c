#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "recovery/oprf.h"
#include "recovery/shamir.h"
#include "util/warnp.h"

/*
 * Elements, scalars and proofs from a hostile realm or client
 * (docs/RECOVERY-CRYPTO.md).  The input is
 *
 *	E[32] || S[32] || proof[64] || message
 *
 * (each part optional from the end, the input shorter than 32 bytes is
 * ignored).  With fixed keys k1, k2 and public key pk1 = k1*G:
 *
 * - oprf_element_ok(E) must agree with a reference: top bit clear,
 *   libsodium's decoding accepts it, not all zero;
 * - oprf_blind_evaluate(k1, E) and oprf_finalize(msg, k1, E) succeed
 *   exactly when E is acceptable, and the evaluation is acceptable;
 * - unblinding is consistent: Finalize(msg, k1, k1*E) equals
 *   Finalize(msg, k2, k2*E);
 * - S is accepted as a key exactly when it is below L (compared here
 *   byte by byte, independently of the library) and nonzero;
 * - an honest proof for (E, k1*E) verifies, the given proof must not
 *   crash the verifier, and the honest proof with one bit flipped (chosen
 *   by the input) does not verify;
 * - Shamir combination of {E, G} is refused whenever E is not acceptable.
 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static uint8_t K1[32], K2[32], PK1[32], G[32];

/* The group order L, little-endian. */
static const uint8_t L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
};

static void
setup(void)
{
	static int done;
	uint8_t seed[32], one[32] = { 1 }, pk2[32];

	if (done)
		return;
	warnp_quiet(1);
	memset(seed, 0x5c, sizeof(seed));
	if (crypto_init() ||
	    oprf_derive_key_pair(OPRF_MODE_VOPRF, seed, NULL, 0, K1, PK1) ||
	    oprf_derive_key_pair(OPRF_MODE_VOPRF, seed, one, 1, K2, pk2) ||
	    crypto_scalarmult_ristretto255_base(G, one))
		abort();
	done = 1;
}

/* below_l(s): s < L as a little-endian integer (not constant time). */
static int
below_l(const uint8_t s[32])
{
	size_t i;

	for (i = 32; i-- > 0;)
		if (s[i] != L[i])
			return (s[i] < L[i]);
	return (0);
}

static void
one_input(const uint8_t *data, size_t size)
{
	const uint8_t *E = data, *msg = NULL;
	uint8_t Z[32], Z2[32], X[32], o1[64], o2[64], pr[64], pts[2][32];
	uint8_t idx[2] = { 1, 2 };
	size_t msglen = 0;
	int ok, ref;

	if (size < 32)
		return;
	if (size > 128) {
		msg = data + 128;
		msglen = size - 128;
	}

	ref = (E[31] & 0x80) == 0 &&
	    crypto_core_ristretto255_is_valid_point(E) == 1 &&
	    !sodium_is_zero(E, 32);
	ok = oprf_element_ok(E);
	if (ok != ref)
		abort();
	if ((oprf_blind_evaluate(K1, E, Z) == 0) != ok)
		abort();
	if ((oprf_finalize(msg, msglen, K1, E, o1) == 0) !=
	    (ok && msglen <= 65535))
		abort();
	if (ok) {
		if (!oprf_element_ok(Z) || oprf_blind_evaluate(K2, E, Z2))
			abort();
		if (msglen <= 65535 &&
		    (oprf_finalize(msg, msglen, K1, Z, o1) ||
		    oprf_finalize(msg, msglen, K2, Z2, o2) ||
		    memcmp(o1, o2, 64) != 0))
			abort();
		/* An honest proof verifies; one flipped bit does not. */
		if (oprf_proof_generate(OPRF_MODE_VOPRF, K1, G, PK1,
		    (const uint8_t (*)[32])E, (const uint8_t (*)[32])Z, 1, NULL,
		    pr) ||
		    oprf_proof_verify(OPRF_MODE_VOPRF, G, PK1,
		    (const uint8_t (*)[32])E, (const uint8_t (*)[32])Z, 1, pr))
			abort();
		pr[E[0] % 64] ^= (uint8_t)(1 << (E[1] % 8));
		if (oprf_proof_verify(OPRF_MODE_VOPRF, G, PK1,
		    (const uint8_t (*)[32])E, (const uint8_t (*)[32])Z, 1,
		    pr) != -1)
			abort();
	}

	if (size >= 64) {
		const uint8_t *S = data + 32;
		int sok = below_l(S) && !sodium_is_zero(S, 32);

		if ((oprf_blind_evaluate(S, G, X) == 0) != sok)
			abort();
	}
	if (size >= 128)
		(void)oprf_proof_verify(OPRF_MODE_VOPRF, G, PK1,
		    (const uint8_t (*)[32])E, (const uint8_t (*)[32])E, 1,
		    data + 64);

	memcpy(pts[0], E, 32);
	memcpy(pts[1], G, 32);
	if (shamir_combine_points(idx, (const uint8_t (*)[32])pts, 2, X) == 0
	    && !ok)
		abort();
}

/*
 * Run on an exact-size copy of the input: the replayer's buffer may be
 * larger than the file, which would hide an over-read from ASan.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	setup();
	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	one_input(copy, size);
	free(copy);
	return (0);
}
