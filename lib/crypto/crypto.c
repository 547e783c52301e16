#include <errno.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sodium.h>

#include "util/warnp.h"

#include "crypto.h"

/* Algorithms fetched once, so per-call setup is cheap and thread-safe. */
static EVP_MD *md_sha256;
static EVP_CIPHER *cipher_gcm;
static EVP_MAC *mac_hmac;
static EVP_KDF *kdf_hkdf;

struct crypto_mac {
	EVP_MAC_CTX *tmpl;	/* keyed once; duplicated per use */
};

static void
ossl_err(const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	if (e != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		warn0("%s: %s", what, buf);
	} else
		warn0("%s failed", what);
	ERR_clear_error();
}

int
crypto_init(void)
{

	if (sodium_init() < 0) {
		warn0("libsodium initialization failed");
		return (-1);
	}
	if (md_sha256 != NULL)
		return (0);
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	cipher_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
	mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	kdf_hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (md_sha256 == NULL || cipher_gcm == NULL || mac_hmac == NULL ||
	    kdf_hkdf == NULL) {
		ossl_err("OpenSSL algorithm fetch");
		return (-1);
	}
	return (0);
}

void
crypto_sha256(const uint8_t *p, size_t len, uint8_t out[CRYPTO_HASH_LEN])
{
	unsigned int olen;

	/* EVP_Digest with a fetched SHA-256 cannot fail short of ENOMEM. */
	if (!EVP_Digest(p, len, out, &olen, md_sha256, NULL)) {
		ossl_err("SHA-256");
		memset(out, 0, CRYPTO_HASH_LEN);
	}
}

int
crypto_hkdf(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
    size_t saltlen, const uint8_t *info, size_t infolen, uint8_t *out,
    size_t outlen)
{
	EVP_KDF_CTX *kctx;
	OSSL_PARAM params[5], *p = params;
	int rc = -1;

	if ((kctx = EVP_KDF_CTX_new(kdf_hkdf)) == NULL) {
		ossl_err("HKDF");
		return (-1);
	}
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    (void *)(uintptr_t)ikm, ikmlen);
	/* An absent salt means HashLen zero bytes (RFC 5869, 2.2). */
	if (saltlen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
		    (void *)(uintptr_t)salt, saltlen);
	if (infolen > 0)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
		    (void *)(uintptr_t)info, infolen);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(kctx, out, outlen, params) <= 0)
		ossl_err("HKDF");
	else
		rc = 0;
	EVP_KDF_CTX_free(kctx);
	return (rc);
}

struct crypto_mac *
crypto_mac_new(const uint8_t *key, size_t keylen)
{
	struct crypto_mac *m;
	OSSL_PARAM params[2];

	if ((m = malloc(sizeof(*m))) == NULL) {
		warnp("malloc");
		return (NULL);
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if ((m->tmpl = EVP_MAC_CTX_new(mac_hmac)) == NULL ||
	    !EVP_MAC_init(m->tmpl, key, keylen, params)) {
		ossl_err("HMAC key setup");
		EVP_MAC_CTX_free(m->tmpl);
		free(m);
		return (NULL);
	}
	return (m);
}

int
crypto_mac(const struct crypto_mac *m, const uint8_t *p, size_t len,
    uint8_t out[CRYPTO_HASH_LEN])
{
	EVP_MAC_CTX *c;
	size_t olen;
	int rc = -1;

	if ((c = EVP_MAC_CTX_dup(m->tmpl)) == NULL) {
		ossl_err("HMAC");
		return (-1);
	}
	if (!EVP_MAC_update(c, p, len) ||
	    !EVP_MAC_final(c, out, &olen, CRYPTO_HASH_LEN))
		ossl_err("HMAC");
	else
		rc = 0;
	EVP_MAC_CTX_free(c);
	return (rc);
}

void
crypto_mac_free(struct crypto_mac *m)
{

	if (m == NULL)
		return;
	/* EVP_MAC_CTX_free cleanses the key schedule. */
	EVP_MAC_CTX_free(m->tmpl);
	free(m);
}

int
crypto_aead_seal(const uint8_t key[CRYPTO_KEY_LEN],
    const uint8_t nonce[CRYPTO_NONCE_LEN], const uint8_t *aad, size_t aadlen,
    const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	int len, rc = -1;

	if (ptlen > INT32_MAX || aadlen > INT32_MAX) {
		warn0("AEAD input too large");
		return (-1);
	}
	if ((c = EVP_CIPHER_CTX_new()) == NULL) {
		ossl_err("AES-GCM");
		return (-1);
	}
	if (!EVP_EncryptInit_ex2(c, cipher_gcm, key, nonce, NULL) ||
	    (aadlen > 0 &&
	    !EVP_EncryptUpdate(c, NULL, &len, aad, (int)aadlen)) ||
	    (ptlen > 0 &&
	    !EVP_EncryptUpdate(c, out, &len, pt, (int)ptlen)) ||
	    !EVP_EncryptFinal_ex(c, out + ptlen, &len) ||
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, CRYPTO_TAG_LEN,
	    out + ptlen))
		ossl_err("AES-GCM encryption");
	else
		rc = 0;
	EVP_CIPHER_CTX_free(c);
	return (rc);
}

int
crypto_aead_open(const uint8_t key[CRYPTO_KEY_LEN],
    const uint8_t nonce[CRYPTO_NONCE_LEN], const uint8_t *aad, size_t aadlen,
    const uint8_t *ct, size_t ctlen, uint8_t *out)
{
	EVP_CIPHER_CTX *c;
	uint8_t tag[CRYPTO_TAG_LEN];
	size_t ptlen;
	int len, rc = -1;

	if (ctlen < CRYPTO_TAG_LEN)
		return (1);
	ptlen = ctlen - CRYPTO_TAG_LEN;
	if (ptlen > INT32_MAX || aadlen > INT32_MAX) {
		warn0("AEAD input too large");
		return (-1);
	}
	/* Copy the tag first: out may overlap ct. */
	memcpy(tag, ct + ptlen, CRYPTO_TAG_LEN);
	if ((c = EVP_CIPHER_CTX_new()) == NULL) {
		ossl_err("AES-GCM");
		return (-1);
	}
	if (!EVP_DecryptInit_ex2(c, cipher_gcm, key, nonce, NULL) ||
	    (aadlen > 0 &&
	    !EVP_DecryptUpdate(c, NULL, &len, aad, (int)aadlen)) ||
	    (ptlen > 0 &&
	    !EVP_DecryptUpdate(c, out, &len, ct, (int)ptlen)) ||
	    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, CRYPTO_TAG_LEN,
	    tag)) {
		ossl_err("AES-GCM decryption");
		sodium_memzero(out, ptlen);
		goto done;
	}
	if (EVP_DecryptFinal_ex(c, out + ptlen, &len) <= 0) {
		/* Not authentic: the caller never sees these bytes. */
		ERR_clear_error();
		sodium_memzero(out, ptlen);
		rc = 1;
		goto done;
	}
	rc = 0;
done:
	EVP_CIPHER_CTX_free(c);
	return (rc);
}

int
crypto_argon2id(uint8_t *out, size_t outlen, const char *pw, size_t pwlen,
    const uint8_t salt[CRYPTO_PWSALT_LEN], uint32_t opslimit,
    uint32_t memlimit_kib)
{

	if (crypto_pwhash(out, outlen, pw, pwlen, salt, opslimit,
	    (size_t)memlimit_kib * 1024, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		warnp("Argon2id (t=%u, m=%u KiB)", opslimit, memlimit_kib);
		return (-1);
	}
	return (0);
}

void
crypto_random(uint8_t *p, size_t len)
{

	randombytes_buf(p, len);
}

uint64_t
crypto_padme(uint64_t len)
{
	unsigned int e, s, lastbits;
	uint64_t mask;

	if (len < 2)
		return (len);
	e = 63 - (unsigned int)__builtin_clzll(len);	/* floor(log2 L) */
	s = 32 - (unsigned int)__builtin_clz(e);	/* floor(log2 E) + 1 */
	lastbits = e - s;
	mask = (UINT64_C(1) << lastbits) - 1;
	return ((len + mask) & ~mask);
}

void
hex_encode(const uint8_t *p, size_t len, char *hex)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = d[p[i] >> 4];
		hex[2 * i + 1] = d[p[i] & 15];
	}
	hex[2 * len] = '\0';
}

static int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

int
hex_decode(const char *hex, uint8_t *out, size_t len)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if ((hi = hexval(hex[2 * i])) < 0 ||
		    (lo = hexval(hex[2 * i + 1])) < 0)
			return (-1);
		out[i] = (uint8_t)((hi << 4) | lo);
	}
	return (hex[2 * len] == '\0' ? 0 : -1);
}
