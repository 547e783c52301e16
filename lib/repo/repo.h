#ifndef COFFER_REPO_H
#define COFFER_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "backend/backend.h"
#include "chunk/fastcdc.h"
#include "crypto/crypto.h"
#include "util/buf.h"

/*
 * An open repository: its backend, configuration and keys.  The root key
 * and every subkey live in sodium_malloc'd memory (guard pages, locked,
 * wiped on free).  See docs/FORMAT.md for the bytes behind each function.
 */

#define REPO_FORMAT_VERSION	1
#define REPO_ID_LEN		32

/* Results of repo_open (and key operations), beside 0 and -1. */
#define REPO_NOREPO	2	/* no config at the location */
#define REPO_BADPASS	3	/* no key slot opens with the passcode */

struct repo_keys {
	uint8_t root[CRYPTO_KEY_LEN];
	uint8_t data[CRYPTO_KEY_LEN];	/* pack keys derive from it */
	uint8_t meta[CRYPTO_KEY_LEN];	/* sealed objects derive from it */
	uint8_t blobid[CRYPTO_KEY_LEN];	/* HMAC key for data blob ids */
	uint8_t treeid[CRYPTO_KEY_LEN];	/* HMAC key for tree blob ids */
	uint8_t gear[FASTCDC_TABLE_BYTES];
};

struct repo_config {
	uint32_t chunk_min, chunk_avg, chunk_max;
	uint32_t pack_size;		/* target pack size in bytes */
	int zstd_level;
};

struct repo {
	struct backend *be;
	uint8_t id[REPO_ID_LEN];
	uint32_t version;
	struct repo_config cfg;
	struct repo_keys *k;		/* sodium_malloc */
	struct crypto_mac *idmac;	/* HMAC-SHA-256 keyed with k->blobid */
	struct crypto_mac *treemac;	/* HMAC-SHA-256 keyed with k->treeid */
	struct fastcdc *cdc;		/* sodium_malloc; holds the gear table */
	char keyslot[65];		/* name of the slot that opened it */
};

/*
 * Argon2id parameters of a passcode key slot.  Slots beyond these bounds
 * are refused without running Argon2id, which bounds what a hostile server
 * can make a client spend on a planted slot.
 */
#define KDF_MAX_OPS	32
#define KDF_MAX_KIB	(4u << 20)	/* 4 GiB */

struct kdf_params {
	uint32_t opslimit;
	uint32_t memlimit_kib;
};

/*
 * kdf_params_default(p): parameters for new slots: from COFFER_KDF_PARAMS
 * ("test" for the cheapest allowed, or "OPS,KIB"), else calibrated on this
 * machine to take about half a second with 64 MiB of memory, at least 3 passes.  0 or -1.
 */
int kdf_params_default(struct kdf_params *);

/*
 * repo_init(be, pw, pwlen, kdf, &r): create a repository at be (which the
 * repo then owns) with a fresh root key and one passcode slot.  Returns 0,
 * or -1 on error (reported; EEXIST if a repository exists there).
 */
int repo_init(struct backend *, const char *, size_t,
    const struct kdf_params *, struct repo **);

/*
 * repo_probe(be): is there a repository of a format this coffer reads?
 * Reads only the config's clear header, so it needs no passcode.  Returns
 * 0, REPO_NOREPO, or -1 (reported: newer version, not a config, error).
 */
int repo_probe(struct backend *);

/*
 * repo_open(be, pw, pwlen, &r): open the repository at be (owned by r on
 * success).  Returns 0, REPO_NOREPO, REPO_BADPASS, or -1 (reported).
 */
int repo_open(struct backend *, const char *, size_t, struct repo **);

/*
 * repo_open_recovery(be, secret, &r): open with the 32-byte secret the
 * recovery realms keep, through a recovery key slot (keyslot_recovery.h).
 * Returns as repo_open (REPO_BADPASS: no recovery slot opens with it).
 */
int repo_open_recovery(struct backend *, const uint8_t[32], struct repo **);

/*
 * repo_peek_id(be, id): the repository id, from the config's clear
 * header, without any key.  0, REPO_NOREPO, or -1 (reported).
 */
int repo_peek_id(struct backend *, uint8_t[REPO_ID_LEN]);

/*
 * repo_from_root(be, id, root, &r): a repository handle with default
 * configuration from a known id and root key, without touching storage
 * (be may be NULL).  For tests, fuzzers and known-answer vectors.  0 or -1.
 */
int repo_from_root(struct backend *, const uint8_t[REPO_ID_LEN],
    const uint8_t[CRYPTO_KEY_LEN], struct repo **);

/* repo_close(r): wipe keys and free (the backend too).  NULL is a no-op. */
void repo_close(struct repo *);

/*
 * repo_seal(r, type, p, len, aad, aadlen, out): append a sealed object
 * (salt, AES-256-GCM under a per-object key, zstd when it helps, PADME
 * padding) to out.  0 or -1.
 */
int repo_seal(struct repo *, enum obj_type, const uint8_t *, size_t,
    const uint8_t *, size_t, struct buf *);

/*
 * repo_unseal(r, type, p, len, aad, aadlen, out): open a sealed object into
 * out (emptied first).  Returns 0, 1 if it is not authentic or malformed
 * (not reported: the caller names the object), -1 on error.
 */
int repo_unseal(struct repo *, enum obj_type, const uint8_t *, size_t,
    const uint8_t *, size_t, struct buf *);

/*
 * repo_put_sealed(r, type, p, len, id): seal p, name it by the SHA-256 of
 * the sealed bytes (returned in id), store it.  0 or -1.
 */
int repo_put_sealed(struct repo *, enum obj_type, const uint8_t *, size_t,
    uint8_t[32]);

/*
 * repo_get_sealed(r, type, name, out): fetch, check the hash against the
 * name, unseal.  Returns 0; 1 if missing, damaged or not authentic
 * (reported, naming the object); -1 on error.
 */
int repo_get_sealed(struct repo *, enum obj_type, const char *,
    struct buf *);

/* Key slots (keyslot.c). */

struct keyslot_info {
	char name[65];
	int current;		/* the slot this session opened with */
	char created[40];
	char host[256];
	char user[64];
	int kind;		/* 1 passcode, 2 recovery (Argon2id of the PIN) */
	uint32_t opslimit, memlimit_kib;
};

/*
 * keyslot_add(r, pw, pwlen, kdf, name): wrap r's root key under a new
 * passcode slot; its object name goes to name.  0 or -1.
 */
int keyslot_add(struct repo *, const char *, size_t,
    const struct kdf_params *, char[65]);

/*
 * keyslot_store(r, b, kind, max, name): append to the slot's fixed part
 * in b its metadata {"created", "hostname", "username"} (and "kind" if
 * kind is not NULL), sealed with everything before it as associated
 * data; if the slot is at most max bytes, store it as the key object
 * named (into name) by its SHA-256.  0 or -1 (reported).
 */
int keyslot_store(struct repo *, struct buf *, const char *, size_t,
    char[65]);

/*
 * keyslot_try(r, data, len, pw, pwlen, root): try to unwrap a slot's root
 * key.  Returns 0 (root filled), REPO_BADPASS, 1 if the slot is malformed,
 * -1 on error.  r->id must be set.
 */
int keyslot_try(struct repo *, const uint8_t *, size_t, const char *,
    size_t, uint8_t[CRYPTO_KEY_LEN]);

/*
 * keyslot_list(r, &v, &n): every slot's metadata (decrypted with the root
 * key).  *v is malloc'd; the caller frees it.  0 or -1.
 */
int keyslot_list(struct repo *, struct keyslot_info **, size_t *);

/* repo_derive(r, root): derive subkeys from a root key into r->k. 0/-1. */
int repo_derive(struct repo *, const uint8_t[CRYPTO_KEY_LEN]);

#endif
