/*
 * Passcode key slots (docs/FORMAT.md, "Key slots"):
 *
 *	 0  "CFKY"
 *	 4  slot version (1)
 *	 5  kind (1 = passcode)
 *	 6  Argon2id opslimit (u32le)
 *	10  Argon2id memlimit in KiB (u32le)
 *	14  salt[16]
 *	30  AES-256-GCM(KEK, 0^12, bytes 0..29 || repo_id, root key) || tag
 *	78  sealed metadata (type "keys", aad = bytes 0..77): JSON
 *	    {"created", "hostname", "username"}
 *
 * KEK = Argon2id(passcode, salt, opslimit, memlimit).  Each slot has its
 * own random salt, hence its own KEK, so the zero nonce is used once per
 * key.  The metadata is sealed with the repository's meta key, so anyone
 * holding the root key (through any slot) can list every slot, while the
 * server learns nothing about who or where.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "util/sysinfo.h"
#include "util/warnp.h"

#include "keyslot_recovery.h"
#include "repo.h"

#define SLOT_FIXED	78

static void
slot_aad(const uint8_t *hdr, const uint8_t *id, uint8_t aad[30 + 32])
{

	memcpy(aad, hdr, 30);
	memcpy(aad + 30, id, REPO_ID_LEN);
}

int
keyslot_store(struct repo *r, struct buf *b, const char *kind, size_t max,
    char name[65])
{
	struct buf aad = BUF_INIT;
	char host[256] = "", user[256] = "", created[40], *meta = NULL;
	uint8_t id[32];
	struct tm tm;
	time_t now = time(NULL);
	json_t *j;
	int rc = -1;

	sysinfo_host(host, sizeof(host));
	sysinfo_user(user, sizeof(user));
	gmtime_r(&now, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	j = json_pack("{s:s, s:s, s:s}", "created", created, "hostname", host,
	    "username", user);
	if (j == NULL || (kind != NULL &&
	    json_object_set_new(j, "kind", json_string(kind))) ||
	    (meta = json_dumps(j, JSON_COMPACT)) == NULL) {
		warn0("cannot encode key slot metadata");
		goto done;
	}
	/* The associated data: a copy, as b moves while repo_seal appends. */
	if (buf_append(&aad, b->data, b->len) ||
	    repo_seal(r, OBJ_KEY, (const uint8_t *)meta, strlen(meta),
	    aad.data, aad.len, b))
		goto done;
	if (b->len > max) {
		warn0("%s slot too large", kind != NULL ? kind : "key");
		goto done;
	}
	crypto_sha256(b->data, b->len, id);
	hex_encode(id, 32, name);
	rc = backend_put(r->be, OBJ_KEY, name, b->data, b->len);
done:
	free(meta);
	json_decref(j);
	buf_release(&aad);
	return (rc);
}

int
keyslot_add(struct repo *r, const char *pw, size_t pwlen,
    const struct kdf_params *kdf, char name[65])
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	uint8_t kek[CRYPTO_KEY_LEN], aad[62];
	uint8_t slot[SLOT_FIXED];
	struct buf b = BUF_INIT;
	int rc = -1;

	memcpy(slot, "CFKY", 4);
	slot[4] = 1;
	slot[5] = 1;
	le32enc(slot + 6, kdf->opslimit);
	le32enc(slot + 10, kdf->memlimit_kib);
	crypto_random(slot + 14, CRYPTO_PWSALT_LEN);
	if (crypto_argon2id(kek, sizeof(kek), pw, pwlen, slot + 14,
	    kdf->opslimit, kdf->memlimit_kib))
		goto done;
	slot_aad(slot, r->id, aad);
	if (crypto_aead_seal(kek, nonce, aad, sizeof(aad), r->k->root,
	    CRYPTO_KEY_LEN, slot + 30))
		goto done;
	if (buf_append(&b, slot, sizeof(slot)))
		goto done;
	rc = keyslot_store(r, &b, NULL, SIZE_MAX, name);
done:
	sodium_memzero(kek, sizeof(kek));
	buf_release(&b);
	return (rc);
}

int
keyslot_try(struct repo *r, const uint8_t *p, size_t len, const char *pw,
    size_t pwlen, uint8_t root[CRYPTO_KEY_LEN])
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	uint8_t kek[CRYPTO_KEY_LEN], aad[62];
	uint32_t ops, kib;
	int rc;

	if (len < SLOT_FIXED || memcmp(p, "CFKY", 4) != 0 || p[4] != 1 ||
	    p[5] != 1)
		return (1);
	ops = le32dec(p + 6);
	kib = le32dec(p + 10);
	/* Bound what a hostile server can make us spend. */
	if (ops < 1 || ops > KDF_MAX_OPS || kib < 8 || kib > KDF_MAX_KIB)
		return (1);
	if (crypto_argon2id(kek, sizeof(kek), pw, pwlen, p + 14, ops, kib))
		return (-1);
	slot_aad(p, r->id, aad);
	rc = crypto_aead_open(kek, nonce, aad, sizeof(aad), p + 30, 48, root);
	sodium_memzero(kek, sizeof(kek));
	if (rc == 1)
		return (REPO_BADPASS);
	return (rc);
}

struct listctx {
	struct repo *r;
	struct keyslot_info *v;
	size_t n, cap;
	int err;
};

static void
copystr(char *dst, size_t n, json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	snprintf(dst, n, "%s", s != NULL ? s : "");
}

static int
list_one(void *cookie, const char *name, uint64_t size)
{
	struct listctx *c = cookie;
	struct buf b = BUF_INIT, meta = BUF_INIT;
	struct keyslot_info *ki, *nv;
	struct rslot rs;
	size_t fixed = SLOT_FIXED;
	json_t *j = NULL;

	if (backend_get(c->r->be, OBJ_KEY, name, &b) != 0)
		goto bad;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		if ((nv = realloc(c->v, c->cap * sizeof(*nv))) == NULL) {
			warnp("realloc");
			c->err = 1;
			goto done;
		}
		c->v = nv;
	}
	ki = &c->v[c->n];
	memset(ki, 0, sizeof(*ki));
	memcpy(ki->name, name, 65);
	ki->current = (strcmp(name, c->r->keyslot) == 0);
	ki->kind = KEYSLOT_KIND_PASSCODE;
	/* A recovery slot's metadata follows its variable clear part. */
	if (keyslot_recovery_parse(b.data, b.len, &rs, &fixed) == 0)
		ki->kind = KEYSLOT_KIND_RECOVERY;
	if (b.len < fixed || repo_unseal(c->r, OBJ_KEY,
	    b.data + fixed, b.len - fixed, b.data, fixed,
	    &meta) != 0 || (j = json_loadb((const char *)meta.data, meta.len,
	    0, NULL)) == NULL) {
		warn0("keys %s: metadata is damaged or not authentic", name);
		snprintf(ki->created, sizeof(ki->created), "?");
	} else {
		copystr(ki->created, sizeof(ki->created), j, "created");
		copystr(ki->host, sizeof(ki->host), j, "hostname");
		copystr(ki->user, sizeof(ki->user), j, "username");
		ki->opslimit = le32dec(b.data + 6);
		ki->memlimit_kib = le32dec(b.data + 10);
	}
	c->n++;
	goto done;
bad:
	c->err = 1;
done:
	json_decref(j);
	buf_release(&b);
	buf_release(&meta);
	return (0);
}

int
keyslot_list(struct repo *r, struct keyslot_info **v, size_t *n)
{
	struct listctx c;

	memset(&c, 0, sizeof(c));
	c.r = r;
	if (backend_list(r->be, OBJ_KEY, list_one, &c) != 0 || c.err) {
		free(c.v);
		return (-1);
	}
	*v = c.v;
	*n = c.n;
	return (0);
}
