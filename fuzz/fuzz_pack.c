#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "crypto/crypto.h"
#include "pack/pack.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/warnp.h"

/*
 * Packs from a hostile server (docs/FORMAT.md, "Packs").  The first input
 * byte selects a mode; the rest is the mode's input:
 *
 *   0  the bytes as a whole pack: pack_parse, then blob_open of every
 *      entry it returns.
 *   1  edits to a valid pack built once (three blobs, both types, one
 *      compressed): a list of 4-byte edits kind, pos (u16le, scaled to the
 *      pack's length), val: kind % 3 = 0 xors val in at pos, 1 keeps
 *      bytes [0, pos) and the last 32 (the authentic locator: a cut), 2
 *      inserts val at pos.  A pack that still parses must give exactly the
 *      original entries, and every blob that opens its original bytes.
 *   2  an authentic pack around a chosen header: body length (u16le, at
 *      most 8192), locator offsets dhoff and dhlen (i8 each), padding
 *      length (u8), the body, and the rest is the header plaintext.  The
 *      header and locator are encrypted here with the right key, so
 *      pack_parse's checks after authentication are reached.
 *   3  an authentic blob: type, flags, raw_len (u32le), and the rest is its
 *      stored form, encrypted here with the right key and nonce; its id is
 *      computed from the plaintext the stored form should give.  blob_open
 *      must agree with a decision made here from the format.
 *
 * Invariants: results are 0 or 1; entries are in range and tile the pack
 * from 32 to the header; 1 leaves no output; 0 gives raw_len bytes whose
 * keyed id is the entry's id.  Anything else aborts.
 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct repo *R;
static struct buf VALID = BUF_INIT;		/* mode 1's pack */
static struct pack_entry *VE;
static size_t VN;
static uint8_t VBLOB[3][3000];
static size_t VLEN[3] = { 3000, 700, 0 };
static uint8_t KEY[CRYPTO_KEY_LEN];		/* the salt's pack key */

static const uint8_t SALT[PACK_SALT_LEN] = { 's', 'a', 'l', 't' };
static const uint8_t hdr_nonce[CRYPTO_NONCE_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
};
static const uint8_t loc_nonce[CRYPTO_NONCE_LEN] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe
};

/* Build the valid pack of mode 1, with the fixed salt.  0 or -1. */
static int
build_valid(void)
{
	struct pack_writer w;
	struct buf c = BUF_INIT;
	uint8_t id[32], type, flags;
	size_t i, k;
	int rc = -1;

	for (k = 0; k < sizeof(VBLOB[0]); k++) {
		VBLOB[0][k] = (uint8_t)("fuzz the pack "[k % 14]);
		VBLOB[1][k] = (uint8_t)(k * 2654435761u >> 13);
	}
	if (pack_writer_init(&w, R))
		return (-1);
	/* A fixed salt (and its key), so that runs are reproducible. */
	memcpy(w.salt, SALT, PACK_SALT_LEN);
	memcpy(w.data.data, SALT, PACK_SALT_LEN);
	if (pack_key(R, SALT, w.key))
		goto done;
	for (i = 0; i < 3; i++) {
		type = (i == 1) ? BLOB_TREE : BLOB_DATA;
		if (blob_id_of(R, type, VBLOB[i], VLEN[i], id) ||
		    blob_compress(3, VBLOB[i], VLEN[i], &c, &flags))
			goto done;
		if (flags ? pack_writer_add(&w, type, id, flags, c.data, c.len,
		    (uint32_t)VLEN[i]) : pack_writer_add(&w, type, id, 0,
		    VBLOB[i], VLEN[i], (uint32_t)VLEN[i]))
			goto done;
	}
	if (pack_writer_finish(&w, id) ||
	    buf_append(&VALID, w.data.data, w.data.len) ||
	    pack_parse(R, VALID.data, VALID.len, &VE, &VN) != 0 || VN != 3)
		goto done;
	rc = 0;
done:
	buf_release(&c);
	pack_writer_release(&w);
	return (rc);
}

static void
setup(void)
{
	uint8_t id[REPO_ID_LEN], root[CRYPTO_KEY_LEN];
	size_t i;

	if (R != NULL)
		return;
	warnp_quiet(1);
	for (i = 0; i < 32; i++) {
		id[i] = (uint8_t)(0xf0 ^ i);
		root[i] = (uint8_t)(0x5a + 3 * i);
	}
	if (crypto_init() || repo_from_root(NULL, id, root, &R) ||
	    pack_key(R, SALT, KEY) || build_valid())
		abort();
}

/* The checks every successful pack_parse must pass. */
static void
check_entries(const struct pack_entry *e, size_t n, size_t len)
{
	uint64_t end = PACK_SALT_LEN;
	size_t i;

	for (i = 0; i < n; i++) {
		if (e[i].type > BLOB_TREE || e[i].flags > BLOB_F_ZSTD ||
		    e[i].offset != end || e[i].stored_len < CRYPTO_TAG_LEN ||
		    e[i].raw_len > PACK_MAX_BLOB)
			abort();
		end += e[i].stored_len;
	}
	/* Then a header of 9 + 46 n + 16 bytes, and the locator. */
	if (end + 9 + 46 * (uint64_t)n + 16 + PACK_LOCATOR_LEN > len)
		abort();
}

/* The checks every blob_open result must pass. */
static void
check_open(int rc, const struct pack_entry *e, const struct buf *out)
{
	uint8_t id[32];

	if (rc != 0 && rc != 1)
		abort();
	if (rc == 1 && out->len != 0)
		abort();
	if (rc == 0 && (out->len != e->raw_len ||
	    blob_id_of(R, e->type, out->data, out->len, id) ||
	    memcmp(id, e->id, 32) != 0))
		abort();
}

/* pack_parse p (len bytes), then open every blob.  Returns pack_parse's
 * result; e and n are the entries (caller frees). */
static int
parse_and_open(const uint8_t *p, size_t len, struct pack_entry **ep,
    size_t *np)
{
	struct buf out = BUF_INIT;
	uint8_t key[CRYPTO_KEY_LEN];
	size_t i;
	int rc;

	*ep = NULL;
	*np = 0;
	rc = pack_parse(R, p, len, ep, np);
	if (rc != 0 && rc != 1)
		abort();
	if (rc != 0)
		return (rc);
	check_entries(*ep, *np, len);
	if (pack_key(R, p, key))
		abort();
	for (i = 0; i < *np; i++) {
		out.len = 3;
		check_open(blob_open(R, key, &(*ep)[i], p + (*ep)[i].offset,
		    &out), &(*ep)[i], &out);
	}
	buf_release(&out);
	return (0);
}

/* Mode 1: edits to the valid pack. */
static void
mode_edit(const uint8_t *d, size_t n)
{
	struct pack_entry *e;
	struct buf p = BUF_INIT, out = BUF_INIT;
	uint8_t key[CRYPTO_KEY_LEN];
	size_t i, k, pos, ne;

	if (buf_append(&p, VALID.data, VALID.len))
		abort();
	for (i = 0; i + 4 <= n && i < 64; i += 4) {
		pos = (size_t)((d[i + 1] | d[i + 2] << 8) * (p.len + 1) >> 16);
		switch (d[i] % 3) {
		case 0:
			if (pos < p.len)
				p.data[pos] ^= d[i + 3];
			break;
		case 1:
			if (pos + PACK_LOCATOR_LEN <= p.len) {
				memmove(p.data + pos,
				    p.data + p.len - PACK_LOCATOR_LEN,
				    PACK_LOCATOR_LEN);
				p.len = pos + PACK_LOCATOR_LEN;
			}
			break;
		default:
			if (buf_reserve(&p, 1))
				abort();
			memmove(p.data + pos + 1, p.data + pos, p.len - pos);
			p.data[pos] = d[i + 3];
			p.len++;
			break;
		}
	}
	/* An exact-size copy, so that any over-read is seen. */
	{
		uint8_t *q = malloc(p.len ? p.len : 1);
		int rc;

		if (q == NULL)
			abort();
		memcpy(q, p.data, p.len);
		rc = parse_and_open(q, p.len, &e, &ne);
		if (rc == 0) {
			/* The header is authentic: it is the original one. */
			if (ne != VN || memcmp(q, SALT, PACK_SALT_LEN) != 0)
				abort();
			for (k = 0; k < ne; k++)
				if (memcmp(e[k].id, VE[k].id, 32) != 0 ||
				    e[k].type != VE[k].type ||
				    e[k].flags != VE[k].flags ||
				    e[k].offset != VE[k].offset ||
				    e[k].stored_len != VE[k].stored_len ||
				    e[k].raw_len != VE[k].raw_len)
					abort();
			/* What opens is the original plaintext. */
			if (pack_key(R, q, key))
				abort();
			for (k = 0; k < ne; k++) {
				if (blob_open(R, key, &e[k], q + e[k].offset,
				    &out) == 0 && (out.len != VLEN[k] ||
				    (VLEN[k] > 0 && memcmp(out.data, VBLOB[k],
				    VLEN[k]) != 0)))
					abort();
			}
		}
		free(e);
		free(q);
	}
	buf_release(&p);
	buf_release(&out);
}

/* Mode 2: an authentic header and locator around chosen bytes. */
static void
mode_header(const uint8_t *d, size_t n)
{
	struct pack_entry *e;
	uint8_t *p, loc[16];
	size_t body, hpt, pad, len, ne;
	int8_t dhoff, dhlen;
	uint64_t hoff, hlen;

	if (n < 5)
		return;
	body = (size_t)(d[0] | d[1] << 8) % 8193;
	dhoff = (int8_t)d[2];
	dhlen = (int8_t)d[3];
	pad = d[4];
	d += 5;
	n -= 5;
	if (body > n)
		body = n;
	hpt = n - body;
	len = PACK_SALT_LEN + body + hpt + CRYPTO_TAG_LEN + pad +
	    PACK_LOCATOR_LEN;
	if ((p = calloc(1, len)) == NULL)
		abort();
	memcpy(p, SALT, PACK_SALT_LEN);
	if (body > 0)
		memcpy(p + PACK_SALT_LEN, d, body);
	if (crypto_aead_seal(KEY, hdr_nonce, (const uint8_t *)"CFPH", 4,
	    d + body, hpt, p + PACK_SALT_LEN + body))
		abort();
	hoff = (uint64_t)((int64_t)(PACK_SALT_LEN + body) + dhoff);
	hlen = (uint64_t)((int64_t)(hpt + CRYPTO_TAG_LEN) + dhlen);
	le64enc(loc, hoff);
	le64enc(loc + 8, hlen);
	if (crypto_aead_seal(KEY, loc_nonce, (const uint8_t *)"CFPL", 4, loc,
	    16, p + len - PACK_LOCATOR_LEN))
		abort();
	if (parse_and_open(p, len, &e, &ne) == 0 && (dhoff != 0 || dhlen != 0))
		abort();	/* the header was not where it said */
	free(e);
	free(p);
}

/* Mode 3: an authentic blob with chosen stored bytes. */
static void
mode_blob(const uint8_t *d, size_t n)
{
	struct pack_entry e;
	struct buf out = BUF_INIT;
	uint8_t nonce[CRYPTO_NONCE_LEN], aad[38], *ct, *raw = NULL;
	size_t slen, got;
	int want, rc;

	if (n < 6)
		return;
	memset(&e, 0, sizeof(e));
	e.type = d[0];
	e.flags = d[1];
	e.raw_len = le32dec(d + 2);
	d += 6;
	slen = n - 6;
	e.offset = PACK_SALT_LEN;
	e.stored_len = (uint32_t)(slen + CRYPTO_TAG_LEN);

	/* What the format says blob_open must decide, and the right id. */
	want = 1;
	if (e.raw_len <= (1u << 20)) {
		if ((e.flags & BLOB_F_ZSTD) == 0) {
			if (slen == e.raw_len) {
				want = 0;
				raw = malloc(slen ? slen : 1);
				if (raw == NULL)
					abort();
				if (slen > 0)
					memcpy(raw, d, slen);
			}
		} else {
			raw = malloc(e.raw_len ? e.raw_len : 1);
			if (raw == NULL)
				abort();
			got = ZSTD_decompress(raw, e.raw_len, d, slen);
			if (!ZSTD_isError(got) && got == e.raw_len)
				want = 0;
		}
	}
	if (want == 0 && blob_id_of(R, e.type, raw, e.raw_len, e.id))
		abort();
	if (want != 0)
		memset(e.id, 0x77, 32);

	le64enc(nonce, e.offset);
	memset(nonce + 8, 0, 4);
	aad[0] = e.type;
	aad[1] = e.flags;
	le32enc(aad + 2, e.raw_len);
	memcpy(aad + 6, e.id, 32);
	if ((ct = malloc(e.stored_len)) == NULL ||
	    crypto_aead_seal(KEY, nonce, aad, 38, d, slen, ct))
		abort();
	out.len = 5;
	rc = blob_open(R, KEY, &e, ct, &out);
	check_open(rc, &e, &out);
	/* Beyond 1 MiB we decided nothing; else we must agree. */
	if (e.raw_len <= (1u << 20) && rc != want)
		abort();
	if (rc == 0 && e.raw_len > 0 && raw != NULL &&
	    memcmp(out.data, raw, e.raw_len) != 0)
		abort();
	free(raw);
	free(ct);
	buf_release(&out);
}

static void
one_input(const uint8_t *data, size_t size)
{
	struct pack_entry *e;
	size_t n;

	setup();
	if (size < 1)
		return;
	switch (data[0] % 4) {
	case 0:
		(void)parse_and_open(data + 1, size - 1, &e, &n);
		free(e);
		break;
	case 1:
		mode_edit(data + 1, size - 1);
		break;
	case 2:
		mode_header(data + 1, size - 1);
		break;
	default:
		mode_blob(data + 1, size - 1);
		break;
	}
}

/*
 * Run on an exact-size copy of the input: the replayer's buffer may be
 * larger than the file, which would hide an over-read from ASan.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	one_input(copy, size);
	free(copy);
	return (0);
}
