/*
 * Derivations of the realm recovery protocol; docs/RECOVERY.md section 3
 * gives each formula, and tests/unit/test_recovery_kdf.c pins them with
 * known answers.
 */
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "oprf.h"
#include "rkdf.h"

#define L_COMMIT	"coffer-recovery-v1 unlock key commitment"
#define L_UNLOCK	"coffer-recovery-v1 unlock key"
#define L_TAG		"coffer-recovery-v1 unlock key tag"
#define L_RECOVER3	"coffer-recovery-v1 recover3"
#define L_ENCKEY	"coffer-recovery-v1 secret key"
#define L_ENCCOMMIT	"coffer-recovery-v1 secret commitment"
#define L_SECRET	"coffer-recovery-v1 secret"
#define L_OPRFKEY	"coffer-recovery-v1 oprf key"
#define L_RID		"coffer-recovery-v1 record id"
#define L_SLOT		"coffer recovery key slot v1"

static void
be4enc(uint8_t *p, size_t x)
{

	p[0] = (uint8_t)(x >> 24);
	p[1] = (uint8_t)(x >> 16);
	p[2] = (uint8_t)(x >> 8);
	p[3] = (uint8_t)x;
}

int
rkdf_encode(const char *label, const struct rkdf_part *parts, size_t n,
    uint8_t *out, size_t size, size_t *len)
{
	size_t i, ll = strlen(label), need = 4 + ll;

	for (i = 0; i < n; i++) {
		if (parts[i].len > size || need > size - 4 - parts[i].len)
			return (-1);
		need += 4 + parts[i].len;
	}
	if (need > size)
		return (-1);
	be4enc(out, ll);
	memcpy(out + 4, label, ll);
	*len = 4 + ll;
	for (i = 0; i < n; i++) {
		be4enc(out + *len, parts[i].len);
		if (parts[i].len > 0)
			memcpy(out + *len + 4, parts[i].p, parts[i].len);
		*len += 4 + parts[i].len;
	}
	return (0);
}

int
rkdf_mac(const uint8_t *key, size_t keylen, const char *label,
    const struct rkdf_part *parts, size_t n, uint8_t out[RWIRE_MAC])
{
	crypto_auth_hmacsha256_state st;
	uint8_t msg[RKDF_ENC_MAX];
	size_t len;

	if (rkdf_encode(label, parts, n, msg, sizeof(msg), &len))
		return (-1);
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, len);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(msg, sizeof(msg));
	return (0);
}

void
rkdf_rid(const uint8_t repo_id[32], uint8_t rid[RWIRE_ID])
{
	uint8_t in[sizeof(L_RID) - 1 + 32], h[CRYPTO_HASH_LEN];

	memcpy(in, L_RID, sizeof(L_RID) - 1);
	memcpy(in + sizeof(L_RID) - 1, repo_id, 32);
	crypto_sha256(in, sizeof(in), h);
	memcpy(rid, h, RWIRE_ID);
}

void
rkdf_salt(const uint8_t version[RWIRE_VER], const uint8_t *info,
    size_t infolen, uint8_t salt[16])
{
	crypto_generichash_state st;
	uint8_t b[4];

	crypto_generichash_init(&st, NULL, 0, 16);
	be4enc(b, RWIRE_VER);
	crypto_generichash_update(&st, b, 4);
	crypto_generichash_update(&st, version, RWIRE_VER);
	be4enc(b, infolen);
	crypto_generichash_update(&st, b, 4);
	crypto_generichash_update(&st, info, infolen);
	crypto_generichash_final(&st, salt, 16);
}

int
rkdf_stretch(const char *pin, size_t pinlen,
    const uint8_t version[RWIRE_VER], const uint8_t *info, size_t infolen,
    uint32_t ops, uint32_t kib, uint8_t access_key[32], uint8_t enc_seed[32])
{
	uint8_t salt[16], out[64];

	rkdf_salt(version, info, infolen, salt);
	if (crypto_argon2id(out, sizeof(out), pin, pinlen, salt, ops, kib))
		return (-1);
	memcpy(access_key, out, 32);
	memcpy(enc_seed, out + 32, 32);
	sodium_memzero(out, sizeof(out));
	return (0);
}

void
rkdf_unlock(const uint8_t oprf_out[64], uint8_t commitment[RWIRE_MAC],
    uint8_t unlock_key[RWIRE_MAC])
{

	/* Without parts the encodings are short: these cannot fail. */
	(void)rkdf_mac(oprf_out, 64, L_COMMIT, NULL, 0, commitment);
	(void)rkdf_mac(oprf_out, 64, L_UNLOCK, NULL, 0, unlock_key);
}

void
rkdf_tag(const uint8_t unlock_key[RWIRE_MAC],
    const uint8_t realm_id[RWIRE_ID], uint8_t tag[RWIRE_MAC])
{
	struct rkdf_part p[1] = { { realm_id, RWIRE_ID } };

	(void)rkdf_mac(unlock_key, RWIRE_MAC, L_TAG, p, 1, tag);
}

void
rkdf_tag_proof(const uint8_t tag[RWIRE_MAC], const uint8_t realm_id[RWIRE_ID],
    const uint8_t rid[RWIRE_ID], const uint8_t version[RWIRE_VER],
    const uint8_t challenge[RWIRE_CHAL], uint8_t proof[RWIRE_MAC])
{
	struct rkdf_part p[4] = { { realm_id, RWIRE_ID }, { rid, RWIRE_ID },
	    { version, RWIRE_VER }, { challenge, RWIRE_CHAL } };

	(void)rkdf_mac(tag, RWIRE_MAC, L_RECOVER3, p, 4, proof);
}

void
rkdf_enc_key(const uint8_t enc_seed[32], const uint8_t s[RWIRE_SCALAR],
    uint8_t key[32])
{
	struct rkdf_part p[1] = { { s, RWIRE_SCALAR } };

	(void)rkdf_mac(enc_seed, 32, L_ENCKEY, p, 1, key);
}

void
rkdf_enc_commitment(const uint8_t unlock_key[RWIRE_MAC],
    const uint8_t realm_id[RWIRE_ID], const uint8_t s_i[RWIRE_SCALAR],
    const uint8_t enc[RWIRE_ENC], uint8_t out[RWIRE_MAC])
{
	struct rkdf_part p[3] = { { realm_id, RWIRE_ID },
	    { s_i, RWIRE_SCALAR }, { enc, RWIRE_ENC } };

	(void)rkdf_mac(unlock_key, RWIRE_MAC, L_ENCCOMMIT, p, 3, out);
}

static void
secret_aad(const uint8_t version[RWIRE_VER],
    uint8_t aad[sizeof(L_SECRET) - 1 + RWIRE_VER])
{

	memcpy(aad, L_SECRET, sizeof(L_SECRET) - 1);
	memcpy(aad + sizeof(L_SECRET) - 1, version, RWIRE_VER);
}

int
rkdf_seal_secret(const uint8_t key[32], const uint8_t version[RWIRE_VER],
    const uint8_t secret[RWIRE_SECRET], uint8_t enc[RWIRE_ENC])
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	uint8_t aad[sizeof(L_SECRET) - 1 + RWIRE_VER];

	secret_aad(version, aad);
	return (crypto_aead_seal(key, nonce, aad, sizeof(aad), secret,
	    RWIRE_SECRET, enc));
}

int
rkdf_open_secret(const uint8_t key[32], const uint8_t version[RWIRE_VER],
    const uint8_t enc[RWIRE_ENC], uint8_t secret[RWIRE_SECRET])
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	uint8_t aad[sizeof(L_SECRET) - 1 + RWIRE_VER];

	secret_aad(version, aad);
	return (crypto_aead_open(key, nonce, aad, sizeof(aad), enc,
	    RWIRE_ENC, secret));
}

void
rkdf_sig_msg(const uint8_t realm_id[RWIRE_ID], const uint8_t rid[RWIRE_ID],
    const uint8_t version[RWIRE_VER], uint8_t index, uint8_t t, uint8_t n,
    const uint8_t pk[RWIRE_ELEM], uint8_t *msg, size_t *len)
{
	struct rkdf_part p[7] = { { realm_id, RWIRE_ID }, { rid, RWIRE_ID },
	    { version, RWIRE_VER }, { &index, 1 }, { &t, 1 }, { &n, 1 },
	    { pk, RWIRE_ELEM } };

	(void)rkdf_encode(L_OPRFKEY, p, 7, msg, RKDF_ENC_MAX, len);
}

int
rkdf_slot_kek(const uint8_t secret[RWIRE_SECRET], const uint8_t repo_id[32],
    uint8_t kek[32])
{

	return (crypto_hkdf(secret, RWIRE_SECRET, repo_id, 32,
	    (const uint8_t *)L_SLOT, sizeof(L_SLOT) - 1, kek, 32));
}

int
rkdf_scalar_canonical(const uint8_t s[RWIRE_SCALAR])
{
	uint8_t wide[64] = { 0 }, red[32];

	/* s < L exactly when reducing it mod L leaves it alone. */
	memcpy(wide, s, 32);
	crypto_core_ristretto255_scalar_reduce(red, wide);
	return (sodium_memcmp(red, s, 32) == 0);
}

int
rkdf_scalar_ok(const uint8_t s[RWIRE_SCALAR])
{

	return (rkdf_scalar_canonical(s) && !sodium_is_zero(s, RWIRE_SCALAR));
}

int
rkdf_elem_ok(const uint8_t e[RWIRE_ELEM])
{

	/*
	 * Canonical (the top bit too, which libsodium 1.0.18 lets through)
	 * and not the identity, whose only canonical encoding is all zero.
	 */
	return (oprf_element_ok(e));
}
