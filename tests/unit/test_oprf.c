/*
 * Known-answer and negative tests for lib/recovery/oprf.c:
 *
 * - RFC 9380 appendix K.2, expand_message_xmd(SHA-512) with DST
 *   "QUUX-V01-CS02-with-expander-SHA512-256": the ten vectors (messages "",
 *   "abc", "abcdef0123456789", "q128_" q*128, "a512_" a*512; lengths 0x20
 *   and 0x80).
 * - RFC 9497 appendix A.1.1, OPRF(ristretto255, SHA-512): the key pair
 *   from Seed/KeyInfo, test vectors 1 and 2 (BlindedElement,
 *   EvaluationElement, Output, and Evaluate).
 * - RFC 9497 appendix A.1.2, VOPRF: the key pair (skSm, pkSm), test
 *   vectors 1 and 2 and the batch-of-2 vector 3, each proof exactly from
 *   its ProofRandomScalar, and verified.
 *
 * The hex strings were taken from the RFC text (the cfrg drafts' sources)
 * and checked against the JSON vector files of both drafts.
 * Then what must fail: invalid and identity elements, non-canonical and
 * zero scalars, every flipped bit of a proof, a wrong key, a wrong mode.
 */
#include <stdint.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "recovery/oprf.h"
#include "test.h"

/* H(hex, buf): decode all of hex into buf (which may be longer). */
#define H(s, buf)	CHECK(test_hex2bin((s), (buf), sizeof(buf)) ==	\
			    strlen(s) / 2)

/* RFC 9380 appendix K.2. */
static const struct {
	const char *msg;	/* message, or its prefix */
	char rep;		/* then rep repeated nrep times */
	size_t nrep;
	size_t len;
	const char *out;
} XMD[] = {
	{ "", 0, 0, 0x20,
	    "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c"
	    "394179ba" },
	{ "abc", 0, 0, 0x20,
	    "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bc"
	    "e7aca8dc" },
	{ "abcdef0123456789", 0, 0, 0x20,
	    "087e45a86e2939ee8b91100af1583c4938e0f5fc6c9db4b107b83346"
	    "bc967f58" },
	{ "q128_", 'q', 128, 0x20,
	    "7336234ee9983902440f6bc35b348352013becd88938d2afec44311c"
	    "af8356b3" },
	{ "a512_", 'a', 512, 0x20,
	    "57b5f7e766d5be68a6bfe1768e3c2b7f1228b3e4b3134956dd73a59b"
	    "954c66f4" },
	{ "", 0, 0, 0x80,
	    "41b037d1734a5f8df225dd8c7de38f851efdb45c372887be655212d0"
	    "7251b921b052b62eaed99b46f72f2ef4cc96bfaf254ebbbec091e1a3"
	    "b9e4fb5e5b619d2e0c5414800a1d882b62bb5cd1778f098b8eb6cb39"
	    "9d5d9d18f5d5842cf5d13d7eb00a7cff859b605da678b318bd0e65eb"
	    "ff70bec88c753b159a805d2c89c55961" },
	{ "abc", 0, 0, 0x80,
	    "7f1dddd13c08b543f2e2037b14cefb255b44c83cc397c1786d975653"
	    "e36a6b11bdd7732d8b38adb4a0edc26a0cef4bb45217135456e58fbc"
	    "a1703cd6032cb1347ee720b87972d63fbf232587043ed2901bce7f22"
	    "610c0419751c065922b488431851041310ad659e4b23520e1772ab29"
	    "dcdeb2002222a363f0c2b1c972b3efe1" },
	{ "abcdef0123456789", 0, 0, 0x80,
	    "3f721f208e6199fe903545abc26c837ce59ac6fa45733f1baaf0222f"
	    "8b7acb0424814fcb5eecf6c1d38f06e9d0a6ccfbf85ae612ab8735df"
	    "df9ce84c372a77c8f9e1c1e952c3a61b7567dd0693016af51d274582"
	    "2663d0c2367e3f4f0bed827feecc2aaf98c949b5ed0d35c3f1023d64"
	    "ad1407924288d366ea159f46287e61ac" },
	{ "q128_", 'q', 128, 0x80,
	    "b799b045a58c8d2b4334cf54b78260b45eec544f9f2fb5bd12fb603e"
	    "aee70db7317bf807c406e26373922b7b8920fa29142703dd52bdf280"
	    "084fb7ef69da78afdf80b3586395b433dc66cde048a258e476a561e9"
	    "deba7060af40adf30c64249ca7ddea79806ee5beb9a1422949471d26"
	    "7b21bc88e688e4014087a0b592b695ed" },
	{ "a512_", 'a', 512, 0x80,
	    "05b0bfef265dcee87654372777b7c44177e2ae4c13a27f103340d9cd"
	    "11c86cb2426ffcad5bd964080c2aee97f03be1ca18e30a1f14e27bc1"
	    "1ebbd650f305269cc9fb1db08bf90bfc79b42a952b46daf810359e7b"
	    "c36452684784a64952c343c52e5124cd1f71d474d5197fefc571a929"
	    "29c9084ffe1112cf5eea5192ebff330b" },
};

static void
test_xmd_rfc9380(void)
{
	static const char dst[] = "QUUX-V01-CS02-with-expander-SHA512-256";
	uint8_t msg[600], out[128], want[128];
	size_t i, n;

	for (i = 0; i < sizeof(XMD) / sizeof(XMD[0]); i++) {
		n = strlen(XMD[i].msg);
		memcpy(msg, XMD[i].msg, n);
		memset(msg + n, XMD[i].rep, XMD[i].nrep);
		n += XMD[i].nrep;
		CHECK(test_hex2bin(XMD[i].out, want, sizeof(want)) ==
		    XMD[i].len);
		CHECK(oprf_expand_xmd(msg, n, (const uint8_t *)dst,
		    sizeof(dst) - 1, out, XMD[i].len) == 0);
		CHECK_MEM(out, want, XMD[i].len);
	}
}

static void
test_xmd_limits(void)
{
	static uint8_t dst[256], out[255 * 64 + 1], a[100];

	memset(dst, 'D', sizeof(dst));
	CHECK(oprf_expand_xmd(NULL, 0, dst, 255, out, 32) == 0);
	CHECK(oprf_expand_xmd(NULL, 0, dst, 256, out, 32) == -1);
	CHECK(oprf_expand_xmd(NULL, 0, dst, 8, out, 0) == -1);
	CHECK(oprf_expand_xmd(NULL, 0, dst, 8, out, 255 * 64) == 0);
	CHECK(oprf_expand_xmd(NULL, 0, dst, 8, out, 255 * 64 + 1) == -1);
	/* The length is hashed in: 100 bytes do not start with 64. */
	CHECK(oprf_expand_xmd(NULL, 0, dst, 8, out, 64) == 0);
	CHECK(oprf_expand_xmd(NULL, 0, dst, 8, a, 100) == 0);
	CHECK(memcmp(out, a, 64) != 0);
}

/* RFC 9497 appendix A.1: the seed and key info shared by all modes. */
#define SEED	"a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3" \
		"a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3a3"
#define KEYINFO	"74657374206b6579"
#define BLIND1	"64d37aed22a27f5191de1c1d69fadb89" \
		"9d8862b58eb4220029e036ec4c1f6706"

/* The two inputs of every mode's vectors 1 and 2. */
static const uint8_t IN1[1] = { 0x00 };
static const uint8_t IN2[17] = {
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a,
	0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a
};

struct vec {
	const uint8_t *in;
	size_t inlen;
	const char *blind, *blinded, *evaluated, *output;
	const char *proof, *r;	/* VOPRF only */
};

static const struct vec OPRF_VEC[2] = {
	{ IN1, sizeof(IN1), BLIND1,
	    "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c",
	    "7ec6578ae5120958eb2db1745758ff379e77cb64fe77b0b2d8cc917ea0869c7e",
	    "527759c3d9366f277d8c6020418d96bb393ba2afb20ff90df23fb7708264e2f3"
	    "ab9135e3bd69955851de4b1f9fe8a0973396719b7912ba9ee8aa7d0b5e24bcf6",
	    NULL, NULL },
	{ IN2, sizeof(IN2), BLIND1,
	    "da27ef466870f5f15296299850aa088629945a17d1f5b7f5ff043f76b3c06418",
	    "b4cbf5a4f1eeda5a63ce7b77c7d23f461db3fcab0dd28e4e17cecb5c90d02c25",
	    "f4a74c9c592497375e796aa837e907b1a045d34306a749db9f34221f7e750cb4"
	    "f2a6413a6bf6fa5e19ba6348eb673934a722a7ede2e7621306d18951e7cf2c73",
	    NULL, NULL },
};

#define PROOF_R	"222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e"

static const struct vec VOPRF_VEC[2] = {
	{ IN1, sizeof(IN1), BLIND1,
	    "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
	    "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
	    "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d"
	    "a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c",
	    "ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd06"
	    "6d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
	    PROOF_R },
	{ IN2, sizeof(IN2), BLIND1,
	    "cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c",
	    "60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468",
	    "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60"
	    "356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6",
	    "401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a"
	    "67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
	    PROOF_R },
};

/* VOPRF test vector 3, batch size 2: inputs IN1, IN2. */
static const char *const B3_BLIND[2] = { BLIND1, PROOF_R };
static const char *const B3_BLINDED[2] = {
	"863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
	"90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654"
};
static const char *const B3_EVAL[2] = {
	"aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
	"cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a"
};
#define B3_PROOF \
	"cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a" \
	"5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08"
#define B3_R	"419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c"

#define OPRF_SKSM \
	"5ebcea5ee37023ccb9fc2d2019f9d7737be85591ae8652ffa9ef0f4d37063b0e"
#define VOPRF_SKSM \
	"e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909"
#define VOPRF_PKSM \
	"c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e"

/* The group order L, little-endian. */
static const uint8_t L[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58,
	0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
};

/* add_l(s, out): out = s + L, the same scalar written non-canonically. */
static void
add_l(const uint8_t s[32], uint8_t out[32])
{
	unsigned int c = 0, i;

	for (i = 0; i < 32; i++) {
		c += (unsigned int)s[i] + L[i];
		out[i] = (uint8_t)c;
		c >>= 8;
	}
}

/* generator(G): the encoding of the generator. */
static void
generator(uint8_t G[32])
{
	uint8_t one[32] = { 1 };

	CHECK(crypto_scalarmult_ristretto255_base(G, one) == 0);
}

/* derive(mode, sk, pk): the key pair of appendix A.1 for this mode. */
static void
derive(int mode, uint8_t sk[32], uint8_t pk[32])
{
	uint8_t seed[32], info[8];

	H(SEED, seed);
	H(KEYINFO, info);
	CHECK(oprf_derive_key_pair(mode, seed, info, sizeof(info), sk, pk) ==
	    0);
}

static void
test_oprf_vectors(void)
{
	uint8_t sk[32], pk[32], want[64], blind[32], r[32], P[32], B[32];
	uint8_t Z[32], out[64], seed[32], msg[43], dst[41];
	size_t i;

	derive(OPRF_MODE_OPRF, sk, pk);
	H(OPRF_SKSM, want);
	CHECK_MEM(sk, want, 32);

	/* The same key through oprf_hash_to_scalar and its own DST. */
	H(SEED, seed);
	memcpy(msg, seed, 32);
	msg[32] = 0;
	msg[33] = 8;
	CHECK(test_hex2bin(KEYINFO, msg + 34, 8) == 8);
	msg[42] = 0;	/* counter */
	memcpy(dst, "DeriveKeyPairOPRFV1-\0-ristretto255-SHA512", 41);
	CHECK(oprf_hash_to_scalar(OPRF_MODE_OPRF, msg, sizeof(msg), dst,
	    sizeof(dst), out) == 0);
	CHECK_MEM(out, want, 32);

	for (i = 0; i < 2; i++) {
		const struct vec *v = &OPRF_VEC[i];

		H(v->blind, blind);
		CHECK(oprf_blind(OPRF_MODE_OPRF, v->in, v->inlen, blind, r, B)
		    == 0);
		CHECK_MEM(r, blind, 32);
		H(v->blinded, want);
		CHECK_MEM(B, want, 32);

		/* HashToGroup on its own: blind * P is the same element. */
		CHECK(oprf_hash_to_group(OPRF_MODE_OPRF, v->in, v->inlen, P)
		    == 0);
		CHECK(crypto_scalarmult_ristretto255(P, blind, P) == 0);
		CHECK_MEM(P, want, 32);

		CHECK(oprf_blind_evaluate(sk, B, Z) == 0);
		H(v->evaluated, want);
		CHECK_MEM(Z, want, 32);

		H(v->output, want);
		memset(out, 0, sizeof(out));
		CHECK(oprf_finalize(v->in, v->inlen, r, Z, out) == 0);
		CHECK_MEM(out, want, 64);
		memset(out, 0, sizeof(out));
		CHECK(oprf_evaluate(sk, v->in, v->inlen, out) == 0);
		CHECK_MEM(out, want, 64);
	}
}

static void
test_voprf_vectors(void)
{
	uint8_t sk[32], pk[32], want[64], blind[32], r[32], B[32], Z[32];
	uint8_t G[32], pr[32], proof[64], out[64];
	size_t i;

	generator(G);
	derive(OPRF_MODE_VOPRF, sk, pk);
	H(VOPRF_SKSM, want);
	CHECK_MEM(sk, want, 32);
	H(VOPRF_PKSM, want);
	CHECK_MEM(pk, want, 32);

	for (i = 0; i < 2; i++) {
		const struct vec *v = &VOPRF_VEC[i];

		H(v->blind, blind);
		CHECK(oprf_blind(OPRF_MODE_VOPRF, v->in, v->inlen, blind, r,
		    B) == 0);
		H(v->blinded, want);
		CHECK_MEM(B, want, 32);
		CHECK(oprf_blind_evaluate(sk, B, Z) == 0);
		H(v->evaluated, want);
		CHECK_MEM(Z, want, 32);

		H(v->r, pr);
		CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
		    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, pr,
		    proof) == 0);
		H(v->proof, want);
		CHECK_MEM(proof, want, 64);
		CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
		    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1,
		    proof) == 0);

		CHECK(oprf_finalize(v->in, v->inlen, r, Z, out) == 0);
		H(v->output, want);
		CHECK_MEM(out, want, 64);
	}
}

static void
test_voprf_batch(void)
{
	static const uint8_t *const in[2] = { IN1, IN2 };
	static const size_t inlen[2] = { sizeof(IN1), sizeof(IN2) };
	uint8_t sk[32], pk[32], G[32], blind[32], r[2][32], B[2][32];
	uint8_t Z[2][32], want[64], pr[32], proof[64], out[64];
	size_t i;

	generator(G);
	derive(OPRF_MODE_VOPRF, sk, pk);
	for (i = 0; i < 2; i++) {
		H(B3_BLIND[i], blind);
		CHECK(oprf_blind(OPRF_MODE_VOPRF, in[i], inlen[i], blind,
		    r[i], B[i]) == 0);
		H(B3_BLINDED[i], want);
		CHECK_MEM(B[i], want, 32);
		CHECK(oprf_blind_evaluate(sk, B[i], Z[i]) == 0);
		H(B3_EVAL[i], want);
		CHECK_MEM(Z[i], want, 32);
	}
	H(B3_R, pr);
	CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 2, pr,
	    proof) == 0);
	H(B3_PROOF, want);
	CHECK_MEM(proof, want, 64);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 2, proof) == 0);
	/* The batch proof is for both pairs, not the first alone. */
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, proof) ==
	    -1);
	for (i = 0; i < 2; i++) {
		CHECK(oprf_finalize(in[i], inlen[i], r[i], Z[i], out) == 0);
		H(VOPRF_VEC[i].output, want);
		CHECK_MEM(out, want, 64);
	}

	/* Swapped evaluations: the same elements, the wrong pairing. */
	{
		uint8_t Zs[2][32];

		memcpy(Zs[0], Z[1], 32);
		memcpy(Zs[1], Z[0], 32);
		CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
		    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Zs, 2,
		    proof) == -1);
	}
}

/*
 * Encodings that are not elements: a negative field element (s = 1), a
 * non-canonical one (2^255 - 1, above p), the generator with its top bit
 * set (which libsodium 1.0.18 accepts, as the generator), and s = 2, for
 * which decoding finds no square root.
 */
static void
bad_elements(uint8_t bad[4][32])
{
	uint8_t G[32];

	generator(G);
	memset(bad, 0, 4 * 32);
	bad[0][0] = 0x01;
	memset(bad[1], 0xff, 32);
	bad[1][31] = 0x7f;
	memcpy(bad[2], G, 32);
	bad[2][31] |= 0x80;
	bad[3][0] = 0x02;
}

static void
test_invalid_elements(void)
{
	uint8_t bad[4][32], zero[32], sk[32], pk[32], G[32], B[32], Z[32];
	uint8_t blind[32], r[32], out[64], proof[64], x[32], p2[64];
	size_t i;

	bad_elements(bad);
	memset(zero, 0, sizeof(zero));
	generator(G);
	for (i = 0; i < 4; i++)
		CHECK(oprf_element_ok(bad[i]) == 0);
	CHECK(oprf_element_ok(zero) == 0);
	CHECK(oprf_element_ok(G) == 1);
	derive(OPRF_MODE_VOPRF, sk, pk);
	H(BLIND1, blind);
	CHECK(oprf_blind(OPRF_MODE_VOPRF, IN1, 1, blind, r, B) == 0);
	CHECK(oprf_blind_evaluate(sk, B, Z) == 0);
	CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, NULL,
	    proof) == 0);

	for (i = 0; i < 5; i++) {
		const uint8_t *e = i < 4 ? bad[i] : zero;	/* 4: identity */

		memset(x, 0xaa, sizeof(x));
		CHECK(oprf_blind_evaluate(sk, e, x) == -1);
		CHECK(x[0] == 0xaa && x[31] == 0xaa);
		memset(out, 0xaa, sizeof(out));
		CHECK(oprf_finalize(IN1, 1, r, e, out) == -1);
		CHECK(out[0] == 0xaa && out[63] == 0xaa);
		/* In each place of a proof. */
		CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, e, pk,
		    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1,
		    proof) == -1);
		CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, e,
		    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1,
		    proof) == -1);
		CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
		    (const uint8_t (*)[32])e, (const uint8_t (*)[32])Z, 1,
		    proof) == -1);
		CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
		    (const uint8_t (*)[32])B, (const uint8_t (*)[32])e, 1,
		    proof) == -1);
		CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
		    (const uint8_t (*)[32])e, (const uint8_t (*)[32])Z, 1, NULL,
		    p2) == -1);
		CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, e,
		    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, NULL,
		    p2) == -1);
	}
	/* The proof itself was fine. */
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, proof) == 0);
}

static void
test_bad_scalars(void)
{
	uint8_t sk[32], pk[32], G[32], B[32], Z[32], r[32], out[64], x[32];
	uint8_t zero[32], big[32], ones[32], proof[64], p2[64], y[32];

	generator(G);
	derive(OPRF_MODE_VOPRF, sk, pk);
	memset(zero, 0, 32);
	memset(ones, 0xff, 32);
	memcpy(big, L, 32);	/* L itself: zero, written non-canonically */
	CHECK(oprf_blind(OPRF_MODE_VOPRF, IN2, sizeof(IN2), NULL, r, B) == 0);
	CHECK(oprf_blind_evaluate(sk, B, Z) == 0);

	/* Keys: zero, L, sk + L, all ones. */
	add_l(sk, x);
	CHECK(oprf_blind_evaluate(zero, B, y) == -1);
	CHECK(oprf_blind_evaluate(big, B, y) == -1);
	CHECK(oprf_blind_evaluate(x, B, y) == -1);
	CHECK(oprf_blind_evaluate(ones, B, y) == -1);
	CHECK(oprf_evaluate(x, IN1, 1, out) == -1);
	CHECK(oprf_evaluate(zero, IN1, 1, out) == -1);
	CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, x, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, NULL,
	    proof) == -1);

	/* Blinds: zero, r + L. */
	add_l(r, x);
	CHECK(oprf_blind(OPRF_MODE_VOPRF, IN1, 1, zero, y, B) == -1);
	CHECK(oprf_blind(OPRF_MODE_VOPRF, IN1, 1, x, y, B) == -1);
	CHECK(oprf_finalize(IN2, sizeof(IN2), x, Z, out) == -1);
	CHECK(oprf_finalize(IN2, sizeof(IN2), zero, Z, out) == -1);
	CHECK(oprf_finalize(IN2, sizeof(IN2), r, Z, out) == 0);

	/* A proof with c or s written as c + L or s + L must not verify. */
	CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, NULL,
	    proof) == 0);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, proof) == 0);
	memcpy(p2, proof, 64);
	add_l(proof, p2);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, p2) == -1);
	memcpy(p2, proof, 64);
	add_l(proof + 32, p2 + 32);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, p2) == -1);
	/* A non-canonical nonce. */
	CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 1, big,
	    p2) == -1);
}

static void
test_proof_tamper(void)
{
	uint8_t sk[32], pk[32], sk0[32], pk0[32], G[32], B[3][32], Z[3][32];
	uint8_t r[32], proof[64], p2[64];
	size_t i, bad = 0;

	generator(G);
	derive(OPRF_MODE_VOPRF, sk, pk);
	derive(OPRF_MODE_OPRF, sk0, pk0);
	for (i = 0; i < 3; i++) {
		CHECK(oprf_blind(OPRF_MODE_VOPRF, IN2, i + 1, NULL, r, B[i])
		    == 0);
		CHECK(oprf_blind_evaluate(sk, B[i], Z[i]) == 0);
	}
	CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3, NULL,
	    proof) == 0);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3, proof) == 0);

	/* Every one of the 512 bits, flipped, must break the proof. */
	for (i = 0; i < 512; i++) {
		memcpy(p2, proof, 64);
		p2[i / 8] ^= (uint8_t)(1 << (i % 8));
		if (oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
		    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3,
		    p2) != -1)
			bad++;
	}
	CHECK(bad == 0);

	/* The wrong public key, the wrong mode, another generator. */
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk0,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3, proof) ==
	    -1);
	CHECK(oprf_proof_verify(OPRF_MODE_OPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3, proof) ==
	    -1);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, pk0, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3, proof) ==
	    -1);

	/* Evaluated with the wrong key: the honest proof cannot exist. */
	CHECK(oprf_blind_evaluate(sk0, B[1], Z[1]) == 0);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3, proof) ==
	    -1);
	CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3, NULL,
	    p2) == 0);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 3, p2) == -1);

	/* Batch sizes 0 and 65536; unknown modes. */
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 0, proof) ==
	    -1);
	CHECK(oprf_proof_generate(OPRF_MODE_VOPRF, sk, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 0, NULL,
	    p2) == -1);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G, pk,
	    (const uint8_t (*)[32])B, (const uint8_t (*)[32])Z, 65536, proof)
	    == -1);
	CHECK(oprf_proof_verify(2, G, pk, (const uint8_t (*)[32])B,
	    (const uint8_t (*)[32])Z, 3, proof) == -1);
	CHECK(oprf_blind(2, IN1, 1, NULL, r, B[0]) == -1);
	CHECK(oprf_hash_to_group(-1, IN1, 1, B[0]) == -1);
	CHECK(oprf_derive_key_pair(3, r, NULL, 0, sk0, pk0) == -1);
}

/* A random blind and a random nonce: the round trip still holds. */
static void
test_roundtrip(void)
{
	static uint8_t big[65536];
	uint8_t sk[32], pk[32], G[32], seed[32], r[32], B[32], Z[32];
	uint8_t out[64], out2[64], proof[64], keep[32];

	generator(G);
	crypto_random(seed, sizeof(seed));
	CHECK(oprf_derive_key_pair(OPRF_MODE_OPRF, seed, NULL, 0, sk, pk) ==
	    0);
	CHECK(crypto_scalarmult_ristretto255_base(B, sk) == 0);
	CHECK_MEM(B, pk, 32);
	CHECK(oprf_blind(OPRF_MODE_OPRF, (const uint8_t *)"passcode", 8,
	    NULL, r, B) == 0);
	CHECK(!sodium_is_zero(r, 32));
	memcpy(keep, B, 32);
	/* Output may be the input. */
	CHECK(oprf_blind_evaluate(sk, B, B) == 0);
	memcpy(Z, B, 32);
	CHECK(oprf_proof_generate(OPRF_MODE_OPRF, sk, G, pk,
	    (const uint8_t (*)[32])keep, (const uint8_t (*)[32])Z, 1, NULL,
	    proof) == 0);
	CHECK(oprf_proof_verify(OPRF_MODE_OPRF, G, pk,
	    (const uint8_t (*)[32])keep, (const uint8_t (*)[32])Z, 1, proof) ==
	    0);
	CHECK(oprf_finalize((const uint8_t *)"passcode", 8, r, Z, out) == 0);
	CHECK(oprf_evaluate(sk, (const uint8_t *)"passcode", 8, out2) == 0);
	CHECK_MEM(out, out2, 64);
	CHECK(oprf_evaluate(sk, (const uint8_t *)"passcodf", 8, out2) == 0);
	CHECK(memcmp(out, out2, 64) != 0);

	/* Empty input, and the length limits of 65535 bytes. */
	CHECK(oprf_evaluate(sk, NULL, 0, out) == 0);
	CHECK(oprf_blind(OPRF_MODE_OPRF, big, 65535, NULL, r, B) == 0);
	CHECK(oprf_blind_evaluate(sk, B, Z) == 0);
	CHECK(oprf_finalize(big, 65535, r, Z, out) == 0);
	CHECK(oprf_evaluate(sk, big, 65535, out2) == 0);
	CHECK_MEM(out, out2, 64);
	CHECK(oprf_blind(OPRF_MODE_OPRF, big, 65536, NULL, r, B) == -1);
	CHECK(oprf_finalize(big, 65536, r, Z, out) == -1);
	CHECK(oprf_evaluate(sk, big, 65536, out) == -1);
	CHECK(oprf_derive_key_pair(OPRF_MODE_OPRF, seed, big, 65535, sk, pk)
	    == 0);
	CHECK(oprf_derive_key_pair(OPRF_MODE_OPRF, seed, big, 65536, sk, pk)
	    == -1);
}

int
main(void)
{

	if (crypto_init())
		return (1);
	RUN(test_xmd_rfc9380);
	RUN(test_xmd_limits);
	RUN(test_oprf_vectors);
	RUN(test_voprf_vectors);
	RUN(test_voprf_batch);
	RUN(test_invalid_elements);
	RUN(test_bad_scalars);
	RUN(test_proof_tamper);
	RUN(test_roundtrip);
	return (TEST_EXIT());
}
