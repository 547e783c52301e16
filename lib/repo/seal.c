/*
 * Sealed objects: config bodies, key slot metadata, index files, snapshots
 * and locks.  Layout (docs/FORMAT.md, "Sealed objects"):
 *
 *	salt[32] || AES-256-GCM(K, 0^12, aad, P) || tag[16]
 *	K = HKDF-SHA-256(ikm = meta key, salt = salt,
 *	    info = "coffer v1 object " || type name)
 *	P = flags(1) || payload_len(u32le) || payload || zero padding
 *
 * flags bit 0 means the payload is zstd-compressed.  The whole object is
 * padded to its PADME length.  A fresh random salt per object gives a fresh
 * key, so the fixed nonce is never reused under one key.
 */
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "repo.h"

#define SEAL_OVERHEAD	(CRYPTO_SALT_LEN + 5 + CRYPTO_TAG_LEN)
#define SEAL_MAX	(256u * 1024 * 1024)	/* largest sealed object */

static int
object_key(struct repo *r, enum obj_type t, const uint8_t *salt,
    uint8_t key[CRYPTO_KEY_LEN])
{
	char info[64];
	int n;

	n = snprintf(info, sizeof(info), "coffer v1 object %s",
	    backend_type_name(t));
	return (crypto_hkdf(r->k->meta, CRYPTO_KEY_LEN, salt, CRYPTO_SALT_LEN,
	    (const uint8_t *)info, (size_t)n, key, CRYPTO_KEY_LEN));
}

int
repo_seal(struct repo *r, enum obj_type t, const uint8_t *p, size_t len,
    const uint8_t *aad, size_t aadlen, struct buf *out)
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	uint8_t key[CRYPTO_KEY_LEN];
	uint8_t *c = NULL, *pt;
	size_t clen = 0, plen, total, ptlen;
	uint8_t flags = 0;
	int rc = -1;

	if (len > SEAL_MAX) {
		warn0("object too large to seal (%zu bytes)", len);
		return (-1);
	}
	/* Compress if it saves anything. */
	if (len >= 64) {
		size_t bound = ZSTD_compressBound(len);

		if ((c = malloc(bound)) == NULL) {
			warnp("malloc");
			return (-1);
		}
		clen = ZSTD_compress(c, bound, p, len, 3);
		if (!ZSTD_isError(clen) && clen < len) {
			flags = 1;
			p = c;
			len = clen;
		}
	}
	plen = len;
	total = (size_t)crypto_padme(SEAL_OVERHEAD + plen);
	ptlen = total - CRYPTO_SALT_LEN - CRYPTO_TAG_LEN;
	if (buf_reserve(out, total))
		goto done;
	pt = out->data + out->len + CRYPTO_SALT_LEN;
	crypto_random(out->data + out->len, CRYPTO_SALT_LEN);
	pt[0] = flags;
	le32enc(pt + 1, (uint32_t)plen);
	memcpy(pt + 5, p, plen);
	memset(pt + 5 + plen, 0, ptlen - 5 - plen);
	if (object_key(r, t, out->data + out->len, key) ||
	    crypto_aead_seal(key, nonce, aad, aadlen, pt, ptlen, pt))
		goto done;
	out->len += total;
	rc = 0;
done:
	sodium_memzero(key, sizeof(key));
	free(c);
	return (rc);
}

int
repo_unseal(struct repo *r, enum obj_type t, const uint8_t *p, size_t len,
    const uint8_t *aad, size_t aadlen, struct buf *out)
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	uint8_t key[CRYPTO_KEY_LEN];
	struct buf pt = BUF_INIT;
	unsigned long long rawlen;
	size_t plen, i;
	int rc = -1, ok;

	out->len = 0;
	if (len < SEAL_OVERHEAD || len > SEAL_MAX + SEAL_MAX / 8)
		return (1);
	if (buf_reserve(&pt, len))
		return (-1);
	if (object_key(r, t, p, key))
		goto done;
	ok = crypto_aead_open(key, nonce, aad, aadlen, p + CRYPTO_SALT_LEN,
	    len - CRYPTO_SALT_LEN, pt.data);
	if (ok != 0) {
		rc = ok;
		goto done;
	}
	pt.len = len - CRYPTO_SALT_LEN - CRYPTO_TAG_LEN;
	plen = le32dec(pt.data + 1);
	rc = 1;
	if (pt.data[0] > 1 || plen > pt.len - 5)
		goto done;
	for (i = 5 + plen; i < pt.len; i++)
		if (pt.data[i] != 0)
			goto done;
	if (pt.data[0] == 0) {
		rc = buf_append(out, pt.data + 5, plen);
		goto done;
	}
	rawlen = ZSTD_getFrameContentSize(pt.data + 5, plen);
	if (rawlen == ZSTD_CONTENTSIZE_ERROR ||
	    rawlen == ZSTD_CONTENTSIZE_UNKNOWN || rawlen > SEAL_MAX)
		goto done;
	if (buf_reserve(out, (size_t)rawlen + 1)) {
		rc = -1;
		goto done;
	}
	if (ZSTD_decompress(out->data, (size_t)rawlen, pt.data + 5, plen) !=
	    rawlen)
		goto done;
	out->len = (size_t)rawlen;
	rc = 0;
done:
	sodium_memzero(key, sizeof(key));
	if (pt.data != NULL)
		sodium_memzero(pt.data, pt.cap);
	buf_release(&pt);
	return (rc);
}

int
repo_put_sealed(struct repo *r, enum obj_type t, const uint8_t *p,
    size_t len, uint8_t id[32])
{
	struct buf s = BUF_INIT;
	char name[65];
	int rc = -1;

	if (repo_seal(r, t, p, len, NULL, 0, &s))
		goto done;
	crypto_sha256(s.data, s.len, id);
	hex_encode(id, 32, name);
	rc = backend_put(r->be, t, name, s.data, s.len);
done:
	buf_release(&s);
	return (rc);
}

int
repo_get_sealed(struct repo *r, enum obj_type t, const char *name,
    struct buf *out)
{
	struct buf s = BUF_INIT;
	uint8_t h[32], want[32];
	int rc;

	if ((rc = backend_get(r->be, t, name, &s)) != 0) {
		if (rc == 1)
			warn0("%s %s: missing", backend_type_name(t), name);
		goto done;
	}
	crypto_sha256(s.data, s.len, h);
	if (hex_decode(name, want, 32) || sodium_memcmp(h, want, 32) != 0) {
		warn0("%s %s: hash does not match its name (damaged)",
		    backend_type_name(t), name);
		rc = 1;
		goto done;
	}
	if ((rc = repo_unseal(r, t, s.data, s.len, NULL, 0, out)) == 1)
		warn0("%s %s: not authentic (damaged or not this "
		    "repository's)", backend_type_name(t), name);
done:
	buf_release(&s);
	return (rc);
}
