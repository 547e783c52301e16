/*
 * Known-answer tests for the primitives in lib/crypto: SHA-256 (FIPS 180-2),
 * HMAC-SHA-256 (RFC 4231), HKDF-SHA-256 (RFC 5869), AES-256-GCM (McGrew and
 * Viega's GCM specification, test cases 13-16), Argon2id (cross-checked
 * against the reference implementation, Debian package argon2), PADME.
 */
#include <stdint.h>

#include "crypto/crypto.h"
#include "test.h"

static void
test_sha256(void)
{
	uint8_t out[32], want[32];

	crypto_sha256((const uint8_t *)"abc", 3, out);
	test_hex2bin("ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad", want, 32);
	CHECK_MEM(out, want, 32);
}

static void
test_hmac_rfc4231(void)
{
	uint8_t key[20], out[32], want[32];
	struct crypto_mac *m;

	memset(key, 0x0b, 20);
	m = crypto_mac_new(key, 20);
	CHECK(m != NULL);
	CHECK(crypto_mac(m, (const uint8_t *)"Hi There", 8, out) == 0);
	test_hex2bin("b0344c61d8db38535ca8afceaf0bf12b"
	    "881dc200c9833da726e9376c2e32cff7", want, 32);
	CHECK_MEM(out, want, 32);
	/* The same context gives the same answer again (no state leak). */
	CHECK(crypto_mac(m, (const uint8_t *)"Hi There", 8, out) == 0);
	CHECK_MEM(out, want, 32);
	crypto_mac_free(m);

	m = crypto_mac_new((const uint8_t *)"Jefe", 4);
	CHECK(crypto_mac(m, (const uint8_t *)"what do ya want for nothing?",
	    28, out) == 0);
	test_hex2bin("5bdcc146bf60754e6a042426089575c7"
	    "5a003f089d2739839dec58b964ec3843", want, 32);
	CHECK_MEM(out, want, 32);
	crypto_mac_free(m);
}

static void
test_hkdf_rfc5869(void)
{
	uint8_t ikm[22], salt[13], info[10], out[42], want[42];
	size_t i;

	memset(ikm, 0x0b, sizeof(ikm));
	for (i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	/* Test case 1. */
	CHECK(crypto_hkdf(ikm, 22, salt, 13, info, 10, out, 42) == 0);
	test_hex2bin("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
	    "2d56ecc4c5bf34007208d5b887185865", want, 42);
	CHECK_MEM(out, want, 42);
	/* Test case 3: empty salt and info. */
	CHECK(crypto_hkdf(ikm, 22, NULL, 0, NULL, 0, out, 42) == 0);
	test_hex2bin("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec345"
	    "4e5f3c738d2d9d201395faa4b61a96c8", want, 42);
	CHECK_MEM(out, want, 42);
}

static void
test_gcm_vectors(void)
{
	uint8_t key[32], iv[12], pt[64], aad[20], ct[80], want[80], back[64];
	size_t ptlen, aadlen;

	/* Test case 14: zero key, zero IV, one zero block. */
	memset(key, 0, 32);
	memset(iv, 0, 12);
	memset(pt, 0, 16);
	CHECK(crypto_aead_seal(key, iv, NULL, 0, pt, 16, ct) == 0);
	test_hex2bin("cea7403d4d606b6e074ec5d3baf39d18"
	    "d0d1c8a799996bf0265b98b5d48ab919", want, 32);
	CHECK_MEM(ct, want, 32);
	/* Test case 13: empty plaintext, tag only. */
	CHECK(crypto_aead_seal(key, iv, NULL, 0, pt, 0, ct) == 0);
	test_hex2bin("530f8afbc74536b9a963b4f1c4cb738b", want, 16);
	CHECK_MEM(ct, want, 16);

	/* Test case 16: with associated data, 60-byte plaintext. */
	test_hex2bin("feffe9928665731c6d6a8f9467308308"
	    "feffe9928665731c6d6a8f9467308308", key, 32);
	test_hex2bin("cafebabefacedbaddecaf888", iv, 12);
	ptlen = test_hex2bin("d9313225f88406e5a55909c5aff5269a"
	    "86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525"
	    "b16aedf5aa0de657ba637b39", pt, 64);
	aadlen = test_hex2bin("feedfacedeadbeeffeedfacedeadbeefabaddad2",
	    aad, 20);
	CHECK(ptlen == 60 && aadlen == 20);
	CHECK(crypto_aead_seal(key, iv, aad, aadlen, pt, ptlen, ct) == 0);
	test_hex2bin("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd"
	    "2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
	    "76fc6ece0f4e1768cddf8853bb2d551b", want, 76);
	CHECK_MEM(ct, want, 76);
	CHECK(crypto_aead_open(key, iv, aad, aadlen, ct, 76, back) == 0);
	CHECK_MEM(back, pt, 60);

	/* Any flipped bit, in ciphertext, tag or AAD, is rejected. */
	ct[5] ^= 1;
	CHECK(crypto_aead_open(key, iv, aad, aadlen, ct, 76, back) == 1);
	ct[5] ^= 1;
	ct[75] ^= 0x80;
	CHECK(crypto_aead_open(key, iv, aad, aadlen, ct, 76, back) == 1);
	ct[75] ^= 0x80;
	aad[0] ^= 1;
	CHECK(crypto_aead_open(key, iv, aad, aadlen, ct, 76, back) == 1);
	aad[0] ^= 1;
	/* Truncated below a tag. */
	CHECK(crypto_aead_open(key, iv, aad, aadlen, ct, 15, back) == 1);
	/* In place. */
	CHECK(crypto_aead_open(key, iv, aad, aadlen, ct, 76, ct) == 0);
	CHECK_MEM(ct, pt, 60);
}

static void
test_argon2id(void)
{
	uint8_t out[32], want[32];

	/*
	 * `echo -n password | argon2 0123456789abcdef -id -t 2 -m 16 -p 1
	 * -l 32 -r` (the reference implementation).
	 */
	CHECK(crypto_argon2id(out, 32, "password", 8,
	    (const uint8_t *)"0123456789abcdef", 2, 65536) == 0);
	test_hex2bin("efefea1217a1d74f60760e0cddef0e1d"
	    "dcc58d048f2a50ba3606d5bf0a68af9f", want, 32);
	CHECK_MEM(out, want, 32);
	/* `... argon2 somesaltsomesalt -id -t 3 -m 12 -p 1 -l 32 -r` */
	CHECK(crypto_argon2id(out, 32, "password", 8,
	    (const uint8_t *)"somesaltsomesalt", 3, 4096) == 0);
	test_hex2bin("06fb80ed27de6ec202ddfe204b2eff12"
	    "2d6cebe86c11f68eb8264c6e5ff2fd28", want, 32);
	CHECK_MEM(out, want, 32);
}

static void
test_padme(void)
{

	CHECK(crypto_padme(0) == 0);
	CHECK(crypto_padme(1) == 1);
	CHECK(crypto_padme(9) == 10);
	CHECK(crypto_padme(1000) == 1024);
	CHECK(crypto_padme(16777216) == 16777216);
	CHECK(crypto_padme(16777217) == 16777216 + 524288);
	/* Never shrinks, never grows by more than 12%. */
	for (uint64_t l = 2; l < 5000000; l = l * 3 / 2 + 7) {
		uint64_t p = crypto_padme(l);
		CHECK(p >= l && p - l <= l / 8);
		CHECK(crypto_padme(p) == p);
	}
}

static void
test_hex(void)
{
	uint8_t b[3] = { 0x00, 0xab, 0xff }, c[3];
	char h[7];

	hex_encode(b, 3, h);
	CHECK(strcmp(h, "00abff") == 0);
	CHECK(hex_decode("00ABff", c, 3) == 0);
	CHECK_MEM(b, c, 3);
	CHECK(hex_decode("00abfg", c, 3) == -1);
	CHECK(hex_decode("00abff00", c, 3) == -1);
}

int
main(void)
{

	if (crypto_init())
		return (1);
	RUN(test_sha256);
	RUN(test_hmac_rfc4231);
	RUN(test_hkdf_rfc5869);
	RUN(test_gcm_vectors);
	RUN(test_argon2id);
	RUN(test_padme);
	RUN(test_hex);
	return (TEST_EXIT());
}
