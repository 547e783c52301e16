#include <pthread.h>
#include <string.h>

#include <sodium.h>
#include <zstd.h>

#include "backend/backend.h"
#include "util/warnp.h"

#include "pack.h"

static const uint8_t hdr_nonce[CRYPTO_NONCE_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};
static const uint8_t loc_nonce[CRYPTO_NONCE_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe
};

int
pack_key(struct repo *r, const uint8_t salt[PACK_SALT_LEN],
    uint8_t key[CRYPTO_KEY_LEN])
{
	static const char info[] = "coffer v1 pack";

	return (crypto_hkdf(r->k->data, CRYPTO_KEY_LEN, salt, PACK_SALT_LEN,
	    (const uint8_t *)info, sizeof(info) - 1, key, CRYPTO_KEY_LEN));
}

static void
blob_nonce(uint32_t offset, uint8_t nonce[CRYPTO_NONCE_LEN])
{

	le64enc(nonce, offset);
	memset(nonce + 8, 0, 4);
}

static void
blob_aad(uint8_t type, uint8_t flags, uint32_t raw_len, const uint8_t *id,
    uint8_t aad[38])
{

	aad[0] = type;
	aad[1] = flags;
	le32enc(aad + 2, raw_len);
	memcpy(aad + 6, id, 32);
}

int
pack_writer_init(struct pack_writer *w, struct repo *r)
{

	memset(w, 0, sizeof(*w));
	if ((w->key = sodium_malloc(CRYPTO_KEY_LEN)) == NULL) {
		warnp("sodium_malloc");
		return (-1);
	}
	crypto_random(w->salt, PACK_SALT_LEN);
	/* Room for a full pack and its padding, so the buffer never doubles. */
	if (pack_key(r, w->salt, w->key) ||
	    buf_reserve(&w->data, r->cfg.pack_size + r->cfg.pack_size / 8 +
	    1024 * 1024) ||
	    buf_append(&w->data, w->salt, PACK_SALT_LEN)) {
		pack_writer_release(w);
		return (-1);
	}
	return (0);
}

int
pack_writer_add(struct pack_writer *w, uint8_t type, const uint8_t id[32],
    uint8_t flags, const uint8_t *p, size_t len, uint32_t raw_len)
{
	uint8_t nonce[CRYPTO_NONCE_LEN], aad[38];
	struct pack_entry *e;
	size_t off = w->data.len;

	if (len > PACK_MAX_BLOB || raw_len > PACK_MAX_BLOB ||
	    off > UINT32_MAX - len - 64 ||
	    (w->n + 1) * PACK_HDR_ENTRY_LEN + 9 + CRYPTO_TAG_LEN >
	    PACK_MAX_HEADER) {
		warn0("blob too large for a pack (%zu bytes, %u raw)", len,
		    raw_len);
		return (-1);
	}
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 64;

		if ((e = realloc(w->e, ncap * sizeof(*e))) == NULL) {
			warnp("realloc");
			return (-1);
		}
		w->e = e;
		w->cap = ncap;
	}
	if (buf_reserve(&w->data, len + CRYPTO_TAG_LEN))
		return (-1);
	blob_nonce((uint32_t)off, nonce);
	blob_aad(type, flags, raw_len, id, aad);
	if (crypto_aead_seal(w->key, nonce, aad, sizeof(aad), p, len,
	    w->data.data + off))
		return (-1);
	w->data.len += len + CRYPTO_TAG_LEN;
	e = &w->e[w->n++];
	memcpy(e->id, id, 32);
	e->type = type;
	e->flags = flags;
	e->offset = (uint32_t)off;
	e->stored_len = (uint32_t)(len + CRYPTO_TAG_LEN);
	e->raw_len = raw_len;
	w->raw_bytes += raw_len;
	return (0);
}

size_t
pack_writer_size(const struct pack_writer *w)
{

	return (w->data.len);
}

int
pack_writer_finish(struct pack_writer *w, uint8_t packid[32])
{
	struct buf h = BUF_INIT;
	uint8_t loc[16 + CRYPTO_TAG_LEN], *p;
	uint64_t hoff, hlen, total, pad;
	size_t i;
	int rc = -1;

	/* Header plaintext: "CFPH" 1 count entries. */
	if (buf_append(&h, "CFPH", 4) || buf_put_u8(&h, 1) ||
	    buf_put_u32le(&h, (uint32_t)w->n))
		goto done;
	for (i = 0; i < w->n; i++) {
		const struct pack_entry *e = &w->e[i];

		if (buf_put_u8(&h, e->type) || buf_put_u8(&h, e->flags) ||
		    buf_put_u32le(&h, e->offset) ||
		    buf_put_u32le(&h, e->stored_len) ||
		    buf_put_u32le(&h, e->raw_len) || buf_append(&h, e->id, 32))
			goto done;
	}
	hoff = w->data.len;
	hlen = h.len + CRYPTO_TAG_LEN;
	total = crypto_padme(hoff + hlen + PACK_LOCATOR_LEN);
	pad = total - (hoff + hlen + PACK_LOCATOR_LEN);
	if (buf_reserve(&w->data, (size_t)(total - hoff)))
		goto done;
	p = w->data.data + hoff;
	if (crypto_aead_seal(w->key, hdr_nonce, (const uint8_t *)"CFPH", 4,
	    h.data, h.len, p))
		goto done;
	crypto_random(p + hlen, (size_t)pad);
	le64enc(loc, hoff);
	le64enc(loc + 8, hlen);
	if (crypto_aead_seal(w->key, loc_nonce, (const uint8_t *)"CFPL", 4,
	    loc, 16, p + hlen + pad))
		goto done;
	w->data.len = (size_t)total;
	crypto_sha256(w->data.data, w->data.len, packid);
	rc = 0;
done:
	buf_release(&h);
	return (rc);
}

int
pack_writer_store(struct pack_writer *w, struct repo *r, uint8_t packid[32])
{
	char hex[65];

	if (w->n == 0)
		return (1);
	if (pack_writer_finish(w, packid))
		return (-1);
	hex_encode(packid, 32, hex);
	return (backend_put(r->be, OBJ_DATA, hex, w->data.data, w->data.len) ?
	    -1 : 0);
}

void
pack_writer_release(struct pack_writer *w)
{

	sodium_free(w->key);
	buf_release(&w->data);
	free(w->e);
	memset(w, 0, sizeof(*w));
}

/*
 * One zstd compression context per thread, kept between blobs (a fresh
 * context per call costs an allocation and table setup every time), freed
 * when the thread exits.
 */
static pthread_key_t cctx_key;
static pthread_once_t cctx_once = PTHREAD_ONCE_INIT;

static void
cctx_free(void *c)
{

	ZSTD_freeCCtx(c);
}

static void
cctx_init(void)
{

	pthread_key_create(&cctx_key, cctx_free);
}

static ZSTD_CCtx *
cctx_get(void)
{
	ZSTD_CCtx *c;

	pthread_once(&cctx_once, cctx_init);
	if ((c = pthread_getspecific(cctx_key)) == NULL &&
	    (c = ZSTD_createCCtx()) != NULL &&
	    pthread_setspecific(cctx_key, c) != 0) {
		ZSTD_freeCCtx(c);
		c = NULL;
	}
	return (c);
}

int
blob_compress(int level, const uint8_t *p, size_t len, struct buf *out,
    uint8_t *flags)
{
	size_t bound, clen, sample;
	ZSTD_CCtx *cc;

	out->len = 0;
	*flags = 0;
	if (len < 128)
		return (0);
	if ((cc = cctx_get()) == NULL) {
		warn0("cannot create a zstd context");
		return (-1);
	}
	/* A quick look at a 64 KiB sample from the middle. */
	if (len > 256 * 1024) {
		sample = 64 * 1024;
		if (buf_reserve(out, ZSTD_compressBound(sample)))
			return (-1);
		clen = ZSTD_compressCCtx(cc, out->data, out->cap,
		    p + len / 2 - sample / 2, sample, 1);
		if (ZSTD_isError(clen) || clen > sample - sample / 32)
			return (0);
	}
	bound = ZSTD_compressBound(len);
	if (buf_reserve(out, bound))
		return (-1);
	clen = ZSTD_compressCCtx(cc, out->data, out->cap, p, len, level);
	if (ZSTD_isError(clen) || clen > len - len / 50)
		return (0);
	out->len = clen;
	*flags = BLOB_F_ZSTD;
	return (0);
}

int
blob_id_of(struct repo *r, uint8_t type, const uint8_t *p, size_t len,
    uint8_t id[32])
{

	return (crypto_mac(type == BLOB_TREE ? r->treemac : r->idmac, p, len,
	    id));
}

int
blob_id(struct repo *r, const uint8_t *p, size_t len, uint8_t id[32])
{

	return (blob_id_of(r, BLOB_DATA, p, len, id));
}

int
blob_open(struct repo *r, const uint8_t key[CRYPTO_KEY_LEN],
    const struct pack_entry *e, const uint8_t *ct, struct buf *out)
{
	uint8_t nonce[CRYPTO_NONCE_LEN], aad[38], id[32];
	struct buf pt = BUF_INIT;
	size_t n;
	int rc;

	out->len = 0;
	if (e->stored_len < CRYPTO_TAG_LEN || e->raw_len > PACK_MAX_BLOB)
		return (1);
	blob_nonce(e->offset, nonce);
	blob_aad(e->type, e->flags, e->raw_len, e->id, aad);
	if (e->flags & BLOB_F_ZSTD) {
		if (buf_reserve(&pt, e->stored_len))
			return (-1);
		rc = crypto_aead_open(key, nonce, aad, sizeof(aad), ct,
		    e->stored_len, pt.data);
		if (rc != 0)
			goto done;
		pt.len = e->stored_len - CRYPTO_TAG_LEN;
		if (buf_reserve(out, e->raw_len + 1)) {
			rc = -1;
			goto done;
		}
		n = ZSTD_decompress(out->data, e->raw_len, pt.data, pt.len);
		rc = 1;
		if (ZSTD_isError(n) || n != e->raw_len)
			goto done;
		out->len = n;
	} else {
		if (e->stored_len - CRYPTO_TAG_LEN != e->raw_len)
			return (1);
		if (buf_reserve(out, e->raw_len + 1))
			return (-1);
		rc = crypto_aead_open(key, nonce, aad, sizeof(aad), ct,
		    e->stored_len, out->data);
		if (rc != 0)
			goto done;
		out->len = e->raw_len;
	}
	/* The keyed id must match: the index could have lied. */
	rc = -1;
	if (blob_id_of(r, e->type, out->data, out->len, id))
		goto done;
	rc = (sodium_memcmp(id, e->id, 32) == 0) ? 0 : 1;
done:
	if (rc != 0)
		out->len = 0;
	buf_release(&pt);
	return (rc);
}

int
blob_open_stored(struct repo *r, const uint8_t key[CRYPTO_KEY_LEN],
    const struct pack_entry *e, const uint8_t *ct, struct buf *stored,
    struct buf *out)
{
	uint8_t nonce[CRYPTO_NONCE_LEN], aad[38], id[32];
	const struct buf *pt;
	size_t n;
	int rc;

	stored->len = 0;
	out->len = 0;
	if (e->stored_len < CRYPTO_TAG_LEN || e->raw_len > PACK_MAX_BLOB ||
	    (!(e->flags & BLOB_F_ZSTD) &&
	    e->stored_len - CRYPTO_TAG_LEN != e->raw_len))
		return (1);
	blob_nonce(e->offset, nonce);
	blob_aad(e->type, e->flags, e->raw_len, e->id, aad);
	if (buf_reserve(stored, e->stored_len))
		return (-1);
	if ((rc = crypto_aead_open(key, nonce, aad, sizeof(aad), ct,
	    e->stored_len, stored->data)) != 0)
		return (rc);
	stored->len = e->stored_len - CRYPTO_TAG_LEN;
	pt = stored;
	if (e->flags & BLOB_F_ZSTD) {
		rc = -1;
		if (buf_reserve(out, e->raw_len + 1))
			goto done;
		n = ZSTD_decompress(out->data, e->raw_len, stored->data,
		    stored->len);
		rc = 1;
		if (ZSTD_isError(n) || n != e->raw_len)
			goto done;
		out->len = n;
		pt = out;
	}
	/* The keyed id must match: the index could have lied. */
	rc = -1;
	if (blob_id_of(r, e->type, pt->data, pt->len, id))
		goto done;
	rc = (sodium_memcmp(id, e->id, 32) == 0) ? 0 : 1;
done:
	if (rc != 0) {
		stored->len = 0;
		out->len = 0;
	}
	return (rc);
}

int
pack_locate(struct repo *r, const uint8_t salt[PACK_SALT_LEN],
    const uint8_t loc[PACK_LOCATOR_LEN], uint64_t len, uint64_t *hoffp,
    uint64_t *hlenp)
{
	uint8_t key[CRYPTO_KEY_LEN], pt[16];
	uint64_t hoff, hlen;
	int rc;

	if (len < PACK_SALT_LEN + PACK_LOCATOR_LEN)
		return (1);
	if (pack_key(r, salt, key))
		return (-1);
	rc = crypto_aead_open(key, loc_nonce, (const uint8_t *)"CFPL", 4, loc,
	    PACK_LOCATOR_LEN, pt);
	sodium_memzero(key, sizeof(key));
	if (rc != 0)
		return (rc);
	hoff = le64dec(pt);
	hlen = le64dec(pt + 8);
	if (hoff < PACK_SALT_LEN || hlen < CRYPTO_TAG_LEN + 9 ||
	    hlen > PACK_MAX_HEADER || hoff > len - PACK_LOCATOR_LEN ||
	    hlen > len - hoff - PACK_LOCATOR_LEN)
		return (1);
	*hoffp = hoff;
	*hlenp = hlen;
	return (0);
}

int
pack_parse_header(struct repo *r, const uint8_t salt[PACK_SALT_LEN],
    const uint8_t *hct, uint64_t hlen, uint64_t hoff,
    struct pack_entry **ep, size_t *np)
{
	uint8_t key[CRYPTO_KEY_LEN];
	struct pack_entry *e = NULL;
	struct buf h = BUF_INIT;
	uint64_t end = PACK_SALT_LEN;
	uint32_t n, i;
	const uint8_t *q;
	int rc;

	if (hlen < CRYPTO_TAG_LEN + 9 || hlen > PACK_MAX_HEADER)
		return (1);
	if (pack_key(r, salt, key))
		return (-1);
	if (buf_reserve(&h, (size_t)hlen)) {
		rc = -1;
		goto done;
	}
	if ((rc = crypto_aead_open(key, hdr_nonce, (const uint8_t *)"CFPH", 4,
	    hct, (size_t)hlen, h.data)) != 0)
		goto done;
	h.len = (size_t)hlen - CRYPTO_TAG_LEN;
	rc = 1;
	n = le32dec(h.data + 5);
	if (memcmp(h.data, "CFPH", 4) != 0 || h.data[4] != 1 ||
	    n > (h.len - 9) / PACK_HDR_ENTRY_LEN ||
	    h.len != 9 + (size_t)n * PACK_HDR_ENTRY_LEN)
		goto done;
	if ((e = calloc(n ? n : 1, sizeof(*e))) == NULL) {
		warnp("calloc");
		rc = -1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		q = h.data + 9 + (size_t)i * PACK_HDR_ENTRY_LEN;
		e[i].type = q[0];
		e[i].flags = q[1];
		e[i].offset = le32dec(q + 2);
		e[i].stored_len = le32dec(q + 6);
		e[i].raw_len = le32dec(q + 10);
		memcpy(e[i].id, q + 14, 32);
		/* Blobs are contiguous from the salt to the header. */
		if (e[i].type > BLOB_TREE || e[i].flags > BLOB_F_ZSTD ||
		    e[i].offset != end || e[i].stored_len < CRYPTO_TAG_LEN ||
		    e[i].stored_len > hoff - end ||
		    e[i].raw_len > PACK_MAX_BLOB)
			goto done;
		end += e[i].stored_len;
	}
	if (end != hoff)
		goto done;
	*ep = e;
	*np = n;
	e = NULL;
	rc = 0;
done:
	sodium_memzero(key, sizeof(key));
	free(e);
	buf_release(&h);
	return (rc);
}

int
pack_parse(struct repo *r, const uint8_t *p, size_t len,
    struct pack_entry **ep, size_t *np)
{
	uint64_t hoff, hlen;
	int rc;

	if (len < PACK_SALT_LEN + PACK_LOCATOR_LEN)
		return (1);
	if ((rc = pack_locate(r, p, p + len - PACK_LOCATOR_LEN, len, &hoff,
	    &hlen)) != 0)
		return (rc);
	return (pack_parse_header(r, p, p + hoff, hlen, hoff, ep, np));
}
