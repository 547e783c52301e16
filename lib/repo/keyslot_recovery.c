/*
 * Recovery key slots (docs/FORMAT.md section 6.2):
 *
 *	 0  "CFKY"
 *	 4  slot version (1)
 *	 5  kind (2 = recovery)
 *	 6  Argon2id opslimit of the PIN (u32le)
 *	10  Argon2id memlimit in KiB (u32le)
 *	14  record id[16]
 *	30  threshold t (u8)
 *	31  realm count n (u8)
 *	32  L, the realm list's length (u16le)
 *	34  realm list: n times { id[16], jlen u8, jurisdiction[jlen],
 *	    ulen u16le, url[ulen] }
 *	34+L  AES-256-GCM(KEK, 0^12, bytes 0..33+L || repo_id, root key)
 *	    || tag (48 bytes)
 *	82+L  sealed metadata (type "keys", aad = bytes 0..81+L)
 *
 * KEK = HKDF-SHA-256(secret, salt = repo_id, "coffer recovery key slot v1")
 * (rkdf_slot_kek).  The secret is new at every setup, so the zero nonce
 * is used once per key.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "recovery/rkdf.h"
#include "util/warnp.h"

#include "keyslot_recovery.h"

#define HDR		34
#define WRAPPED		48
#define SLOT_MAX	65536	/* repo_open skips larger key objects */

static int
valid_jur(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > RSLOT_JUR_MAX)
		return (0);
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			return (0);
	return (1);
}

static int
valid_url(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > RSLOT_URL_MAX || memchr(s, '@', len) != NULL)
		return (0);
	for (i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return (0);
	return (1);
}

/* The clear part of cfg into b.  0, or -1 if cfg is invalid (reported). */
static int
encode(const struct rslot *cfg, struct buf *b)
{
	const struct rslot_realm *rr;
	uint8_t h[HDR], e[3];
	size_t i, jl, ul, start;

	if (cfg->n < 1 || cfg->n > RSLOT_MAX_REALMS || cfg->t > cfg->n ||
	    2 * cfg->t <= cfg->n) {
		warn0("recovery slot: bad realm count or threshold");
		return (-1);
	}
	memcpy(h, "CFKY", 4);
	h[4] = 1;
	h[5] = KEYSLOT_KIND_RECOVERY;
	le32enc(h + 6, cfg->opslimit);
	le32enc(h + 10, cfg->memlimit_kib);
	memcpy(h + 14, cfg->rid, 16);
	h[30] = cfg->t;
	h[31] = cfg->n;
	h[32] = h[33] = 0;	/* L, filled in below */
	if (buf_append(b, h, HDR))
		return (-1);
	start = b->len;
	for (i = 0; i < cfg->n; i++) {
		rr = &cfg->realm[i];
		jl = strlen(rr->jurisdiction);
		ul = strlen(rr->url);
		if (!valid_jur(rr->jurisdiction, jl) ||
		    !valid_url(rr->url, ul)) {
			warn0("recovery slot: bad jurisdiction or URL");
			return (-1);
		}
		e[0] = (uint8_t)jl;
		if (buf_append(b, rr->id, 16) || buf_append(b, e, 1) ||
		    buf_append(b, rr->jurisdiction, jl))
			return (-1);
		e[0] = (uint8_t)(ul & 0xff);
		e[1] = (uint8_t)(ul >> 8);
		if (buf_append(b, e, 2) || buf_append(b, rr->url, ul))
			return (-1);
	}
	b->data[32] = (uint8_t)((b->len - start) & 0xff);
	b->data[33] = (uint8_t)((b->len - start) >> 8);
	return (0);
}

int
keyslot_recovery_parse(const uint8_t *p, size_t len, struct rslot *cfg,
    size_t *fixed)
{
	struct rslot_realm *rr;
	size_t L, off, i, jl, ul;

	memset(cfg, 0, sizeof(*cfg));
	if (len < HDR || len > SLOT_MAX || memcmp(p, "CFKY", 4) != 0 ||
	    p[4] != 1 || p[5] != KEYSLOT_KIND_RECOVERY)
		return (1);
	cfg->opslimit = le32dec(p + 6);
	cfg->memlimit_kib = le32dec(p + 10);
	memcpy(cfg->rid, p + 14, 16);
	cfg->t = p[30];
	cfg->n = p[31];
	L = (size_t)p[32] | (size_t)p[33] << 8;
	if (cfg->opslimit < 1 || cfg->opslimit > KDF_MAX_OPS ||
	    cfg->memlimit_kib < 8 || cfg->memlimit_kib > KDF_MAX_KIB ||
	    cfg->n < 1 || cfg->n > RSLOT_MAX_REALMS || cfg->t > cfg->n ||
	    2 * cfg->t <= cfg->n || L > len - HDR || len - HDR - L < WRAPPED)
		return (1);
	for (off = HDR, i = 0; i < cfg->n; i++) {
		rr = &cfg->realm[i];
		if (HDR + L - off < 17)
			return (1);
		memcpy(rr->id, p + off, 16);
		jl = p[off + 16];
		off += 17;
		if (HDR + L - off < jl + 2 ||
		    !valid_jur((const char *)p + off, jl))
			return (1);
		memcpy(rr->jurisdiction, p + off, jl);
		off += jl;
		ul = (size_t)p[off] | (size_t)p[off + 1] << 8;
		off += 2;
		if (HDR + L - off < ul || !valid_url((const char *)p + off, ul))
			return (1);
		memcpy(rr->url, p + off, ul);
		off += ul;
	}
	if (off != HDR + L)
		return (1);
	*fixed = HDR + L + WRAPPED;
	return (0);
}

/* The associated data of the wrapped key: bytes 0..33+L || repo id. */
static int
wrap_aad(const uint8_t *p, size_t clear, const uint8_t *id, struct buf *aad)
{

	return (buf_append(aad, p, clear) ||
	    buf_append(aad, id, REPO_ID_LEN));
}

int
keyslot_recovery_add(struct repo *r, const uint8_t secret[RSLOT_SECRET],
    const struct rslot *cfg, char name[65])
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	uint8_t kek[32], wrapped[WRAPPED];
	struct buf b = BUF_INIT, aad = BUF_INIT;
	size_t clear;
	int rc = -1;

	if (encode(cfg, &b))
		goto done;
	clear = b.len;
	if (rkdf_slot_kek(secret, r->id, kek) ||
	    wrap_aad(b.data, clear, r->id, &aad) ||
	    crypto_aead_seal(kek, nonce, aad.data, aad.len, r->k->root,
	    CRYPTO_KEY_LEN, wrapped) || buf_append(&b, wrapped, WRAPPED))
		goto done;
	rc = keyslot_store(r, &b, "recovery", SLOT_MAX, name);
done:
	sodium_memzero(kek, sizeof(kek));
	buf_release(&b);
	buf_release(&aad);
	return (rc);
}

int
keyslot_recovery_try(struct repo *r, const uint8_t *p, size_t len,
    const uint8_t secret[RSLOT_SECRET], uint8_t root[CRYPTO_KEY_LEN])
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	struct buf aad = BUF_INIT;
	struct rslot cfg;
	uint8_t kek[32];
	size_t fixed;
	int rc = -1;

	if (keyslot_recovery_parse(p, len, &cfg, &fixed))
		return (1);
	if (rkdf_slot_kek(secret, r->id, kek) ||
	    wrap_aad(p, fixed - WRAPPED, r->id, &aad))
		goto done;
	rc = crypto_aead_open(kek, nonce, aad.data, aad.len,
	    p + fixed - WRAPPED, WRAPPED, root);
	if (rc == 1)
		rc = REPO_BADPASS;
done:
	sodium_memzero(kek, sizeof(kek));
	buf_release(&aad);
	return (rc);
}

struct findctx {
	struct backend *be;
	struct rslot *cfg;
	char *name;
	int found, err;
};

static int
find_one(void *cookie, const char *name, uint64_t size)
{
	struct findctx *c = cookie;
	struct buf b = BUF_INIT;
	uint8_t h[32], want[32];
	size_t fixed;
	int rc;

	if (size > SLOT_MAX)
		return (0);
	if ((rc = backend_get(c->be, OBJ_KEY, name, &b)) != 0) {
		c->err |= (rc < 0);
		goto done;
	}
	crypto_sha256(b.data, b.len, h);
	if (hex_decode(name, want, 32) || sodium_memcmp(h, want, 32) != 0)
		goto done;
	if (keyslot_recovery_parse(b.data, b.len, c->cfg, &fixed) == 0) {
		memcpy(c->name, name, 65);
		c->found = 1;
	}
done:
	buf_release(&b);
	return (c->found);
}

int
keyslot_recovery_find(struct backend *be, struct rslot *cfg, char name[65])
{
	struct findctx c = { be, cfg, name, 0, 0 };

	if (backend_list(be, OBJ_KEY, find_one, &c) < 0 ||
	    (!c.found && c.err)) {
		warn0("%s: cannot read key slots", be->location);
		return (-1);
	}
	return (c.found ? 0 : 1);
}
