#ifndef COFFER_PACK_H
#define COFFER_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "repo/repo.h"
#include "util/buf.h"

/*
 * Packs hold many encrypted blobs (docs/FORMAT.md, "Packs"):
 *
 *	salt[32] || blob_0 || ... || blob_n-1 || header || padding || locator
 *
 * The pack key is HKDF(data key, salt, "coffer v1 pack").  Each blob is
 * AES-256-GCM under the pack key with nonce = offset(u64le) || 0^4 and
 * associated data type || flags || raw_len(u32le) || blob id, so a blob
 * cannot be moved, retyped or swapped unnoticed.  The header lists the
 * blobs; the 32-byte locator at the end gives the header's position.
 * Padding (random bytes) brings the file to its PADME length.
 */

#define BLOB_DATA	0
#define BLOB_TREE	1
#define BLOB_F_ZSTD	1

#define PACK_SALT_LEN		32
#define PACK_LOCATOR_LEN	32
#define PACK_HDR_ENTRY_LEN	46
#define PACK_MAX_BLOB		(256u * 1024 * 1024)
#define PACK_MAX_HEADER		(64u * 1024 * 1024)

struct pack_entry {
	uint8_t id[32];
	uint8_t type;
	uint8_t flags;
	uint32_t offset;	/* of the ciphertext in the pack */
	uint32_t stored_len;	/* ciphertext + tag */
	uint32_t raw_len;	/* plaintext length */
};

struct pack_writer {
	uint8_t salt[PACK_SALT_LEN];
	uint8_t *key;		/* sodium_malloc'd */
	struct buf data;
	struct pack_entry *e;
	size_t n, cap;
	uint64_t raw_bytes;	/* sum of raw_len */
};

/* pack_key(r, salt, key): derive a pack's key.  0 or -1. */
int pack_key(struct repo *, const uint8_t[PACK_SALT_LEN],
    uint8_t[CRYPTO_KEY_LEN]);

/* pack_writer_init(w, r): an empty pack with a fresh salt.  0 or -1. */
int pack_writer_init(struct pack_writer *, struct repo *);

/*
 * pack_writer_add(w, type, id, flags, p, len, raw_len): encrypt a blob's
 * stored form (compressed if flags says so) into the pack.  0 or -1.
 */
int pack_writer_add(struct pack_writer *, uint8_t, const uint8_t[32],
    uint8_t, const uint8_t *, size_t, uint32_t);

/* pack_writer_size(w): bytes so far. */
size_t pack_writer_size(const struct pack_writer *);

/*
 * pack_writer_finish(w, packid): append header, padding and locator;
 * packid = SHA-256 of the whole pack (its object name).  The pack bytes are
 * in w->data.  0 or -1.
 */
int pack_writer_finish(struct pack_writer *, uint8_t[32]);

/*
 * pack_writer_store(w, r, packid): finish the pack (pack_writer_finish) and
 * store it in r's backend as the data object named by packid, unless it
 * holds no blob (then packid is left alone and 1 is returned).  0, 1 or
 * -1.
 */
int pack_writer_store(struct pack_writer *, struct repo *, uint8_t[32]);

/* pack_writer_release(w): free and wipe. */
void pack_writer_release(struct pack_writer *);

/*
 * blob_compress(level, p, len, out, &flags): the stored form of a blob:
 * zstd at level if that saves at least 2%, else the bytes as they are
 * (incompressible data is detected on a sample first, cheaply).  out is
 * emptied first.  0 or -1.
 */
int blob_compress(int, const uint8_t *, size_t, struct buf *, uint8_t *);

/*
 * blob_open(r, key, e, ct, out): authenticate and decrypt a blob's
 * ciphertext (e->stored_len bytes at ct), decompress it, and check that its
 * keyed id matches e->id.  out is emptied first.  Returns 0; 1 if the blob
 * is not authentic or does not match (out is emptied: nothing unverified
 * is released); -1 on error.
 */
int blob_open(struct repo *, const uint8_t[CRYPTO_KEY_LEN],
    const struct pack_entry *, const uint8_t *, struct buf *);

/*
 * blob_open_stored(r, key, e, ct, stored, tmp): verify a blob as
 * blob_open does, and return its stored form (its plaintext, or the zstd
 * frame of it if e->flags says so) in stored, to be packed again as it is
 * (prune's repacking); tmp is scratch space for the decompressed bytes.
 * stored is emptied first and filled only if the blob is authentic and
 * its id matches.  0, 1, -1 as blob_open.
 */
int blob_open_stored(struct repo *, const uint8_t[CRYPTO_KEY_LEN],
    const struct pack_entry *, const uint8_t *, struct buf *, struct buf *);

/*
 * blob_id_of(r, type, p, len, id): a blob's id: HMAC-SHA-256 over the
 * plaintext, keyed with the data-id key or the tree-id key by type, so a
 * file's bytes can never be mistaken for a tree (or the reverse).  0/-1.
 */
int blob_id_of(struct repo *, uint8_t, const uint8_t *, size_t, uint8_t[32]);

/* blob_id(r, p, len, id): blob_id_of(r, BLOB_DATA, ...). */
int blob_id(struct repo *, const uint8_t *, size_t, uint8_t[32]);

/*
 * pack_locate(r, salt, loc, len, &hoff, &hlen): authenticate the 32-byte
 * locator at the end of a pack of len bytes (salt = its first 32 bytes)
 * and return where its header is.  0, 1 if not authentic or out of
 * bounds, -1 on error.
 */
int pack_locate(struct repo *, const uint8_t[PACK_SALT_LEN],
    const uint8_t[PACK_LOCATOR_LEN], uint64_t, uint64_t *, uint64_t *);

/*
 * pack_parse_header(r, salt, hct, hlen, hoff, &e, &n): authenticate and
 * decode a pack header's hlen ciphertext bytes (found at hoff).  0 (e
 * malloc'd), 1 if malformed or not authentic, -1 on error.
 */
int pack_parse_header(struct repo *, const uint8_t[PACK_SALT_LEN],
    const uint8_t *, uint64_t, uint64_t, struct pack_entry **, size_t *);

/*
 * pack_parse(r, p, len, &e, &n): read a whole pack's header.
 * Returns 0 (e malloc'd, caller frees), 1 if malformed or not authentic,
 * -1 on error.
 */
int pack_parse(struct repo *, const uint8_t *, size_t, struct pack_entry **,
    size_t *);

#endif
