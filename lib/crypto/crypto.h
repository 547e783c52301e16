#ifndef COFFER_CRYPTO_H
#define COFFER_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/*
 * Thin wrappers over OpenSSL libcrypto (SHA-256, HMAC-SHA-256, HKDF,
 * AES-256-GCM: hardware accelerated with SHA-NI, AES-NI, VAES) and
 * libsodium (Argon2id, random bytes, memory wiping).  Nothing here logs key
 * bytes.  See docs/FORMAT.md for how each is used.
 */

#define CRYPTO_KEY_LEN		32
#define CRYPTO_HASH_LEN		32
#define CRYPTO_NONCE_LEN	12
#define CRYPTO_TAG_LEN		16
#define CRYPTO_SALT_LEN		32
#define CRYPTO_PWSALT_LEN	16

/* crypto_init(): call once before any other function.  0 or -1. */
int crypto_init(void);

/* crypto_sha256(p, len, out): out = SHA-256(p). */
void crypto_sha256(const uint8_t *, size_t, uint8_t[CRYPTO_HASH_LEN]);

/*
 * crypto_hkdf(ikm, ikmlen, salt, saltlen, info, infolen, out, outlen):
 * HKDF-SHA-256 (RFC 5869).  Returns 0, or -1 on error (reported).
 */
int crypto_hkdf(const uint8_t *, size_t, const uint8_t *, size_t,
    const uint8_t *, size_t, uint8_t *, size_t);

/*
 * A keyed HMAC-SHA-256 context, keyed once and used many times, from any
 * number of threads at once.
 */
struct crypto_mac;

/* crypto_mac_new(key, keylen): a new context, or NULL (reported). */
struct crypto_mac *crypto_mac_new(const uint8_t *, size_t);

/* crypto_mac(m, p, len, out): out = HMAC-SHA-256(key, p).  0 or -1. */
int crypto_mac(const struct crypto_mac *, const uint8_t *, size_t,
    uint8_t[CRYPTO_HASH_LEN]);

/* crypto_mac_free(m): wipe and free; NULL is a no-op. */
void crypto_mac_free(struct crypto_mac *);

/*
 * crypto_aead_seal(key, nonce, aad, aadlen, pt, ptlen, out): AES-256-GCM;
 * out receives ptlen ciphertext bytes then the 16-byte tag.  out may equal
 * pt.  Returns 0 or -1 (reported).
 */
int crypto_aead_seal(const uint8_t[CRYPTO_KEY_LEN],
    const uint8_t[CRYPTO_NONCE_LEN], const uint8_t *, size_t,
    const uint8_t *, size_t, uint8_t *);

/*
 * crypto_aead_open(key, nonce, aad, aadlen, ct, ctlen, out): verify and
 * decrypt ctlen bytes (ciphertext then tag, ctlen >= 16) into out
 * (ctlen - 16 bytes).  Returns 0 if authentic, 1 if not (out is wiped and
 * must not be used), -1 on error.  out may equal ct.
 */
int crypto_aead_open(const uint8_t[CRYPTO_KEY_LEN],
    const uint8_t[CRYPTO_NONCE_LEN], const uint8_t *, size_t,
    const uint8_t *, size_t, uint8_t *);

/*
 * crypto_argon2id(out, outlen, pw, pwlen, salt, opslimit, memlimit_kib):
 * Argon2id v1.3, one lane.  Returns 0 or -1 (reported, e.g. ENOMEM).
 */
int crypto_argon2id(uint8_t *, size_t, const char *, size_t,
    const uint8_t[CRYPTO_PWSALT_LEN], uint32_t, uint32_t);

/* crypto_random(p, len): fill with random bytes. */
void crypto_random(uint8_t *, size_t);

/*
 * crypto_padme(len): the PADME padded length of len (Nikitin et al.,
 * "Reducing Metadata Leakage from Encrypted Files and Communication with
 * PURBs", 2019): at most ~12% larger, leaking O(log log len) bits.
 */
uint64_t crypto_padme(uint64_t);

/* Hex encoding (lower case).  hex must hold 2*len+1 chars. */
void hex_encode(const uint8_t *, size_t, char *);
/* hex_decode(hex, out, len): exactly 2*len hex digits.  0 or -1. */
int hex_decode(const char *, uint8_t *, size_t);

#endif
