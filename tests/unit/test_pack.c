/*
 * Packs (lib/pack): the writer and parser agree, the bytes are the ones
 * the format describes (checked here with the crypto primitives directly,
 * not with pack.c's helpers), every authenticated byte is authenticated,
 * and nothing unverified is ever released.  The pack layout:
 *
 *	salt[32] || blob_0 || ... || blob_n-1 || header || padding || locator
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "crypto/crypto.h"
#include "pack/pack.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "test.h"

static uint8_t ID[REPO_ID_LEN], ROOT[CRYPTO_KEY_LEN];
static struct repo *R;

/* One blob to put in a test pack. */
struct spec {
	uint8_t type;
	const uint8_t *p;
	size_t len;
	int compress;		/* try blob_compress */
};

/* A finished pack and what the writer recorded about it. */
struct tpack {
	uint8_t *p;		/* malloc'd, exactly len bytes */
	size_t len;
	struct pack_entry *e;	/* the writer's entries, malloc'd */
	size_t n;
	uint8_t id[32];
	uint64_t hoff, hlen;	/* computed from the entries */
};

/* Fill p with deterministic pseudo-random bytes (xorshift). */
static void
fill_random(uint8_t *p, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (uint8_t)(x >> 24);
	}
}

/* Fill p with compressible English-like text. */
static void
fill_text(uint8_t *p, size_t len, unsigned int seed)
{
	static const char *const words[] = { "the ", "quick ", "brown ",
	    "fox ", "jumps ", "over ", "lazy ", "dog\n", "backup ", "pack " };
	size_t i = 0, k;
	const char *w;

	while (i < len) {
		seed = seed * 1103515245u + 12345u;
		w = words[(seed >> 16) % 10];
		for (k = 0; w[k] != '\0' && i < len; k++)
			p[i++] = (uint8_t)w[k];
	}
}

/* Build a pack from specs; 0 on success. */
static int
make_pack(const struct spec *s, size_t ns, struct tpack *tp)
{
	struct pack_writer w;
	struct buf c = BUF_INIT;
	uint8_t id[32], flags;
	size_t i;
	int rc = -1;

	memset(tp, 0, sizeof(*tp));
	if (pack_writer_init(&w, R))
		return (-1);
	for (i = 0; i < ns; i++) {
		flags = 0;
		c.len = 0;
		if (blob_id_of(R, s[i].type, s[i].p, s[i].len, id))
			goto done;
		if (s[i].compress &&
		    blob_compress(3, s[i].p, s[i].len, &c, &flags))
			goto done;
		if (flags & BLOB_F_ZSTD) {
			if (pack_writer_add(&w, s[i].type, id, flags, c.data,
			    c.len, (uint32_t)s[i].len))
				goto done;
		} else if (pack_writer_add(&w, s[i].type, id, 0, s[i].p,
		    s[i].len, (uint32_t)s[i].len))
			goto done;
	}
	tp->hoff = pack_writer_size(&w);
	tp->hlen = 9 + (uint64_t)ns * PACK_HDR_ENTRY_LEN + CRYPTO_TAG_LEN;
	if (pack_writer_finish(&w, tp->id))
		goto done;
	tp->len = w.data.len;
	tp->n = w.n;
	if ((tp->p = malloc(tp->len)) == NULL ||
	    (tp->e = malloc((w.n ? w.n : 1) * sizeof(*tp->e))) == NULL)
		goto done;
	memcpy(tp->p, w.data.data, tp->len);
	if (w.n > 0)
		memcpy(tp->e, w.e, w.n * sizeof(*tp->e));
	rc = 0;
done:
	pack_writer_release(&w);
	buf_release(&c);
	return (rc);
}

static void
free_pack(struct tpack *tp)
{

	free(tp->p);
	free(tp->e);
	memset(tp, 0, sizeof(*tp));
}

/* Parse a copy of p (exactly len bytes, so ASan sees any over-read). */
static int
parse_copy(const uint8_t *p, size_t len, struct pack_entry **e, size_t *n)
{
	uint8_t *q = malloc(len ? len : 1);
	int rc;

	if (q == NULL)
		return (-1);
	if (len > 0)
		memcpy(q, p, len);
	*e = NULL;
	*n = 0;
	rc = pack_parse(R, q, len, e, n);
	free(q);
	return (rc);
}

static int
same_entries(const struct pack_entry *a, const struct pack_entry *b,
    size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (memcmp(a[i].id, b[i].id, 32) != 0 ||
		    a[i].type != b[i].type || a[i].flags != b[i].flags ||
		    a[i].offset != b[i].offset ||
		    a[i].stored_len != b[i].stored_len ||
		    a[i].raw_len != b[i].raw_len)
			return (0);
	return (1);
}

/*
 * blob_open entry e of pack p (len bytes) with its pack key; the
 * ciphertext is copied to its own exact-size buffer.
 */
static int
open_blob(const uint8_t *p, size_t len, const struct pack_entry *e,
    struct buf *out)
{
	uint8_t key[CRYPTO_KEY_LEN], *ct;
	int rc;

	if (e->offset > len || e->stored_len > len - e->offset)
		return (-2);
	if ((ct = malloc(e->stored_len ? e->stored_len : 1)) == NULL)
		return (-1);
	memcpy(ct, p + e->offset, e->stored_len);
	rc = pack_key(R, p, key);
	if (rc == 0)
		rc = blob_open(R, key, e, ct, out);
	free(ct);
	return (rc);
}

/*
 * A blob id is HMAC-SHA-256 over the plaintext, keyed with HKDF-SHA-256(
 * ikm = root key, salt = repository id, info = "coffer v1 blob id") for
 * data blobs and info = "coffer v1 tree id" for tree blobs.  Computed here
 * with the primitives, and pinned to values computed with Python's hmac
 * and hashlib from the same inputs.
 */
static void
test_blob_id_kat(void)
{
	static const char dinfo[] = "coffer v1 blob id";
	static const char tinfo[] = "coffer v1 tree id";
	uint8_t key[32], want[32], got[32], kat[32];
	struct crypto_mac *m;

	CHECK(crypto_hkdf(ROOT, 32, ID, 32, (const uint8_t *)dinfo,
	    sizeof(dinfo) - 1, key, 32) == 0);
	CHECK((m = crypto_mac_new(key, 32)) != NULL);
	CHECK(m != NULL && crypto_mac(m, (const uint8_t *)"hello", 5,
	    want) == 0);
	crypto_mac_free(m);
	CHECK(blob_id(R, (const uint8_t *)"hello", 5, got) == 0);
	CHECK_MEM(got, want, 32);
	test_hex2bin("090b0766abab6a257765e8f52a7b6506"
	    "4a3fb0f1bbc1b2599678a262fc287846", kat, 32);
	CHECK_MEM(got, kat, 32);
	CHECK(blob_id_of(R, BLOB_DATA, (const uint8_t *)"hello", 5,
	    got) == 0);
	CHECK_MEM(got, kat, 32);
	/* Another input gives another id. */
	CHECK(blob_id(R, (const uint8_t *)"hellp", 5, got) == 0);
	CHECK(memcmp(got, kat, 32) != 0);

	/* Tree blobs: their own key. */
	CHECK(crypto_hkdf(ROOT, 32, ID, 32, (const uint8_t *)tinfo,
	    sizeof(tinfo) - 1, key, 32) == 0);
	CHECK((m = crypto_mac_new(key, 32)) != NULL);
	CHECK(m != NULL && crypto_mac(m, (const uint8_t *)"hello", 5,
	    want) == 0);
	crypto_mac_free(m);
	CHECK(blob_id_of(R, BLOB_TREE, (const uint8_t *)"hello", 5,
	    got) == 0);
	CHECK_MEM(got, want, 32);
	test_hex2bin("ad0676a5304a7bded26a5a6984ba5d39"
	    "777f99e5a123b5f8db7d53e942010107", kat, 32);
	CHECK_MEM(got, kat, 32);
}

/*
 * Decode a pack with the primitives alone: pack key = HKDF(data key,
 * salt, "coffer v1 pack"), data key = HKDF(root, id, "coffer v1 data");
 * the locator (nonce ff..fe, aad "CFPL") gives hoff and hlen; the header
 * (nonce ff..ff, aad "CFPH") is "CFPH" 1 n entries; each blob's nonce is
 * its offset (u64le) || 0^4 and its aad type || flags || raw_len || id.
 */
static void
test_format(void)
{
	static const char dinfo[] = "coffer v1 data";
	static const char pinfo[] = "coffer v1 pack";
	uint8_t dkey[32], pkey[32], key2[32], nonce[12], loc[16], aad[38];
	uint8_t *h, *pt, id[32];
	uint8_t a[3000], b[40];
	struct spec s[2] = {
		{ BLOB_DATA, a, sizeof(a), 1 },
		{ BLOB_TREE, b, sizeof(b), 0 },
	};
	struct tpack tp;
	uint64_t hoff, hlen;
	size_t i, hl;

	fill_text(a, sizeof(a), 1);
	fill_random(b, sizeof(b), 2);
	if (make_pack(s, 2, &tp)) {
		CHECK(0);
		return;
	}
	CHECK(crypto_hkdf(ROOT, 32, ID, 32, (const uint8_t *)dinfo,
	    sizeof(dinfo) - 1, dkey, 32) == 0);
	CHECK(crypto_hkdf(dkey, 32, tp.p, 32, (const uint8_t *)pinfo,
	    sizeof(pinfo) - 1, pkey, 32) == 0);
	CHECK(pack_key(R, tp.p, key2) == 0);
	CHECK_MEM(pkey, key2, 32);

	/* Locator. */
	memset(nonce, 0xff, 12);
	nonce[11] = 0xfe;
	CHECK(crypto_aead_open(pkey, nonce, (const uint8_t *)"CFPL", 4,
	    tp.p + tp.len - 32, 32, loc) == 0);
	hoff = le64dec(loc);
	hlen = le64dec(loc + 8);
	CHECK(hoff == tp.hoff && hlen == tp.hlen);
	CHECK(hoff + hlen + 32 <= tp.len);

	/* Header. */
	hl = (size_t)tp.hlen - 16;
	h = malloc(hl);
	memset(nonce, 0xff, 12);
	CHECK(h != NULL && crypto_aead_open(pkey, nonce,
	    (const uint8_t *)"CFPH", 4, tp.p + tp.hoff, (size_t)tp.hlen,
	    h) == 0);
	CHECK(memcmp(h, "CFPH", 4) == 0 && h[4] == 1 && le32dec(h + 5) == 2);
	CHECK(h[9] == BLOB_DATA && h[10] == BLOB_F_ZSTD);
	CHECK(le32dec(h + 11) == 32);
	CHECK(le32dec(h + 19) == sizeof(a));
	CHECK(h[9 + 46] == BLOB_TREE && h[10 + 46] == 0);
	CHECK(le32dec(h + 11 + 46) == 32 + le32dec(h + 15));
	CHECK(le32dec(h + 15 + 46) == sizeof(b) + 16);
	CHECK(le32dec(h + 19 + 46) == sizeof(b));

	/* Second blob (stored as is). */
	for (i = 0; i < 2; i++) {
		const uint8_t *q = h + 9 + 46 * i;

		CHECK(q[0] == tp.e[i].type && q[1] == tp.e[i].flags &&
		    le32dec(q + 2) == tp.e[i].offset &&
		    le32dec(q + 6) == tp.e[i].stored_len &&
		    le32dec(q + 10) == tp.e[i].raw_len &&
		    memcmp(q + 14, tp.e[i].id, 32) == 0);
	}
	le64enc(nonce, tp.e[1].offset);
	memset(nonce + 8, 0, 4);
	aad[0] = BLOB_TREE;
	aad[1] = 0;
	le32enc(aad + 2, sizeof(b));
	memcpy(aad + 6, tp.e[1].id, 32);
	pt = malloc(sizeof(b));
	CHECK(pt != NULL && crypto_aead_open(pkey, nonce, aad, 38,
	    tp.p + tp.e[1].offset, tp.e[1].stored_len, pt) == 0);
	CHECK(pt != NULL && memcmp(pt, b, sizeof(b)) == 0);
	CHECK(blob_id_of(R, BLOB_TREE, b, sizeof(b), id) == 0);
	CHECK_MEM(id, tp.e[1].id, 32);

	/* The pack's name is the SHA-256 of its bytes. */
	crypto_sha256(tp.p, tp.len, id);
	CHECK_MEM(id, tp.id, 32);
	free(pt);
	free(h);
	free_pack(&tp);
}

/*
 * Several blobs, both types, compressed and not, including an empty one
 * and one past blob_compress's sampling threshold: pack_parse gives back
 * the writer's entries and blob_open every plaintext.
 */
static void
test_roundtrip(void)
{
	static uint8_t t1[5000], r1[3000], t2[300 * 1024], r2[200], t3[150];
	struct spec s[] = {
		{ BLOB_DATA, t1, sizeof(t1), 1 },
		{ BLOB_DATA, r1, sizeof(r1), 1 },
		{ BLOB_TREE, t3, sizeof(t3), 1 },
		{ BLOB_DATA, r1, 0, 1 },
		{ BLOB_DATA, t2, sizeof(t2), 1 },
		{ BLOB_TREE, r2, sizeof(r2), 0 },
		{ BLOB_DATA, t1, sizeof(t1), 0 },
	};
	const size_t ns = sizeof(s) / sizeof(s[0]);
	struct pack_entry *e = NULL;
	struct buf out = BUF_INIT;
	struct tpack tp;
	uint8_t id[32];
	size_t n, i, nz = 0;

	fill_text(t1, sizeof(t1), 3);
	fill_random(r1, sizeof(r1), 4);
	fill_text(t2, sizeof(t2), 5);
	fill_random(r2, sizeof(r2), 6);
	fill_text(t3, sizeof(t3), 7);
	if (make_pack(s, ns, &tp)) {
		CHECK(0);
		return;
	}
	CHECK(tp.n == ns);
	CHECK(parse_copy(tp.p, tp.len, &e, &n) == 0);
	CHECK(n == ns && e != NULL && same_entries(e, tp.e, ns));
	for (i = 0; e != NULL && i < n && i < ns; i++) {
		CHECK(e[i].type == s[i].type);
		CHECK(e[i].raw_len == s[i].len);
		nz += (e[i].flags & BLOB_F_ZSTD) != 0;
		if (!s[i].compress || i == 1 || i == 3)
			CHECK(e[i].flags == 0);
		CHECK(blob_id_of(R, s[i].type, s[i].p, s[i].len, id) == 0);
		CHECK_MEM(e[i].id, id, 32);
		CHECK(open_blob(tp.p, tp.len, &e[i], &out) == 0);
		CHECK(out.len == s[i].len);
		if (out.len == s[i].len && s[i].len > 0)
			CHECK_MEM(out.data, s[i].p, s[i].len);
	}
	/* The text blobs (0, 2, 4) were compressed. */
	CHECK(nz == 3);
	free(e);
	buf_release(&out);
	free_pack(&tp);

	/* A pack with no blobs at all. */
	if (make_pack(NULL, 0, &tp)) {
		CHECK(0);
		return;
	}
	CHECK(parse_copy(tp.p, tp.len, &e, &n) == 0 && n == 0);
	free(e);
	free_pack(&tp);
}

/* A pack's length is the PADME length of its contents. */
static void
test_padme_size(void)
{
	static uint8_t buf[70000];
	struct spec s[3];
	struct tpack tp;
	size_t sizes[] = { 0, 1, 100, 1000, 5000, 65536, 70000 };
	size_t k;

	fill_random(buf, sizeof(buf), 8);
	for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		s[0] = (struct spec){ BLOB_DATA, buf, sizes[k], 0 };
		s[1] = (struct spec){ BLOB_TREE, buf, sizes[k] / 3, 0 };
		s[2] = (struct spec){ BLOB_DATA, buf + 1, sizes[k] / 7, 0 };
		if (make_pack(s, 3, &tp)) {
			CHECK(0);
			return;
		}
		CHECK(tp.hoff == 32 + sizes[k] + sizes[k] / 3 +
		    sizes[k] / 7 + 3 * 16);
		CHECK(tp.len == crypto_padme(tp.hoff + tp.hlen + 32));
		CHECK(crypto_padme(tp.len) == tp.len);
		free_pack(&tp);
	}
}

/* Which part of a pack byte pos is in. */
enum region { R_SALT, R_BLOB, R_HEADER, R_PAD, R_LOC };

static enum region
region_of(const struct tpack *tp, size_t pos, size_t *blob)
{
	size_t i;

	if (pos < 32)
		return (R_SALT);
	if (pos >= tp->len - 32)
		return (R_LOC);
	if (pos >= tp->hoff + tp->hlen)
		return (R_PAD);
	if (pos >= tp->hoff)
		return (R_HEADER);
	for (i = 0; i < tp->n; i++)
		if (pos >= tp->e[i].offset &&
		    pos - tp->e[i].offset < tp->e[i].stored_len)
			*blob = i;
	return (R_BLOB);
}

/*
 * Flip the byte at pos and check the verdict its region calls for: the
 * salt, header and locator are authenticated, so the pack is refused; a
 * blob byte leaves the header intact but that blob (only) fails; padding
 * is not authenticated, but no parsed value depends on it.
 */
static int
flip_one(struct tpack *tp, size_t pos, uint8_t x, struct buf *out)
{
	struct pack_entry *e = NULL;
	size_t n, i, blob = 0;
	enum region rg = region_of(tp, pos, &blob);
	int ok = 1, rc;

	tp->p[pos] ^= x;
	rc = parse_copy(tp->p, tp->len, &e, &n);
	switch (rg) {
	case R_SALT:
	case R_HEADER:
	case R_LOC:
		ok = (rc == 1);
		break;
	case R_PAD:
		ok = (rc == 0 && n == tp->n && same_entries(e, tp->e, n));
		break;
	case R_BLOB:
		ok = (rc == 0 && n == tp->n && same_entries(e, tp->e, n));
		for (i = 0; ok && i < n; i++) {
			out->len = 7;
			rc = open_blob(tp->p, tp->len, &e[i], out);
			ok = (i == blob) ? (rc == 1 && out->len == 0) :
			    (rc == 0 && out->len == e[i].raw_len);
		}
		break;
	}
	tp->p[pos] ^= x;
	free(e);
	if (!ok)
		fprintf(stderr, "  flip at %zu (region %d) not caught\n", pos,
		    (int)rg);
	return (ok);
}

/* Every byte of a small pack, each region seen at least once. */
static void
test_tamper_every_byte(void)
{
	uint8_t a[200], b[20];
	struct spec s[3] = {
		{ BLOB_DATA, a, sizeof(a), 1 },
		{ BLOB_TREE, b, sizeof(b), 0 },
		{ BLOB_DATA, a, 0, 0 },
	};
	struct buf out = BUF_INIT;
	struct tpack tp;
	size_t pos, blob, seen[5] = { 0 };
	int bad = 0;

	fill_text(a, sizeof(a), 9);
	fill_random(b, sizeof(b), 10);
	if (make_pack(s, 3, &tp)) {
		CHECK(0);
		return;
	}
	for (pos = 0; pos < tp.len; pos++) {
		seen[region_of(&tp, pos, &blob)]++;
		bad += !flip_one(&tp, pos, 0x01, &out);
		bad += !flip_one(&tp, pos, 0x80, &out);
	}
	CHECK(bad == 0);
	CHECK(seen[R_SALT] == 32 && seen[R_LOC] == 32);
	CHECK(seen[R_HEADER] == tp.hlen);
	CHECK(seen[R_BLOB] > 0 && seen[R_PAD] > 0);
	buf_release(&out);
	free_pack(&tp);
}

/* A larger pack with a compressed blob: a sample of positions per region. */
static void
test_tamper_sample(void)
{
	static uint8_t a[100000], b[30000];
	struct spec s[3] = {
		{ BLOB_DATA, a, sizeof(a), 1 },
		{ BLOB_DATA, b, sizeof(b), 1 },
		{ BLOB_TREE, a, 777, 1 },
	};
	struct buf out = BUF_INIT;
	struct tpack tp;
	size_t pos[32], np = 0, i, blob;
	int bad = 0;

	fill_text(a, sizeof(a), 11);
	fill_random(b, sizeof(b), 12);
	if (make_pack(s, 3, &tp)) {
		CHECK(0);
		return;
	}
	CHECK(tp.e[0].flags == BLOB_F_ZSTD && tp.e[1].flags == 0);
	CHECK(tp.len > tp.hoff + tp.hlen + 32);	/* there is padding */
	pos[np++] = 0;
	pos[np++] = 31;
	for (i = 0; i < 3; i++) {
		pos[np++] = tp.e[i].offset;
		pos[np++] = tp.e[i].offset + tp.e[i].stored_len / 2;
		pos[np++] = tp.e[i].offset + tp.e[i].stored_len - 17;
		pos[np++] = tp.e[i].offset + tp.e[i].stored_len - 1;
	}
	pos[np++] = (size_t)tp.hoff;
	pos[np++] = (size_t)tp.hoff + 4;	/* version */
	pos[np++] = (size_t)tp.hoff + 5;	/* count */
	pos[np++] = (size_t)(tp.hoff + tp.hlen) - 1;
	pos[np++] = (size_t)(tp.hoff + tp.hlen);
	pos[np++] = tp.len - 33;
	pos[np++] = tp.len - 32;
	pos[np++] = tp.len - 17;
	pos[np++] = tp.len - 1;
	for (i = 0; i < np; i++) {
		(void)region_of(&tp, pos[i], &blob);
		bad += !flip_one(&tp, pos[i], 0x04, &out);
	}
	CHECK(bad == 0);
	buf_release(&out);
	free_pack(&tp);
}

/*
 * An entry that differs from the one the blob was sealed with in any
 * field opens nothing, and out is left empty.
 */
static void
test_wrong_entry(void)
{
	uint8_t a[4000], b[300];
	struct spec s[2] = {
		{ BLOB_DATA, a, sizeof(a), 1 },
		{ BLOB_TREE, b, sizeof(b), 0 },
	};
	struct pack_entry x;
	struct buf out = BUF_INIT;
	struct tpack tp;
	uint8_t key[32];
	size_t i, k;
	int rc;

	fill_text(a, sizeof(a), 13);
	fill_random(b, sizeof(b), 14);
	if (make_pack(s, 2, &tp)) {
		CHECK(0);
		return;
	}
	CHECK(pack_key(R, tp.p, key) == 0);
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 9; k++) {
			x = tp.e[i];
			switch (k) {
			case 0: x.id[0] ^= 1; break;
			case 1: x.id[31] ^= 0x80; break;
			case 2: x.type ^= 1; break;
			case 3: x.flags ^= BLOB_F_ZSTD; break;
			case 4: x.raw_len += 1; break;
			case 5: x.raw_len -= 1; break;
			case 6: x.offset = tp.e[1 - i].offset; break;
			case 7: x.offset += 1; break;
			case 8: x.stored_len -= 1; break;
			}
			/* The blob's own ciphertext, with the wrong entry. */
			out.len = 5;
			rc = blob_open(R, key, &x, tp.p + tp.e[i].offset, &out);
			CHECK(rc == 1);
			CHECK(out.len == 0);
			if (rc != 1)
				fprintf(stderr, "  blob %zu case %zu: %d\n",
				    i, k, rc);
		}
		/* The right entry, under another pack's key. */
		{
			uint8_t key2[32], salt[32];

			memcpy(salt, tp.p, 32);
			salt[0] ^= 1;
			CHECK(pack_key(R, salt, key2) == 0);
			out.len = 5;
			CHECK(blob_open(R, key2, &tp.e[i],
			    tp.p + tp.e[i].offset, &out) == 1 && out.len == 0);
		}
		/* And the right entry opens. */
		CHECK(open_blob(tp.p, tp.len, &tp.e[i], &out) == 0);
		CHECK(out.len == s[i].len);
	}
	buf_release(&out);
	free_pack(&tp);
}

/* Truncated and extended packs are refused. */
static void
test_truncated(void)
{
	uint8_t a[500];
	struct spec s[2] = {
		{ BLOB_DATA, a, sizeof(a), 1 },
		{ BLOB_DATA, a, 100, 0 },
	};
	struct pack_entry *e;
	struct tpack tp;
	uint8_t *q;
	size_t n, len;
	int bad = 0;

	fill_text(a, sizeof(a), 15);
	if (make_pack(s, 2, &tp)) {
		CHECK(0);
		return;
	}
	for (len = 0; len < tp.len; len++) {
		if (parse_copy(tp.p, len, &e, &n) != 1)
			bad++;
		free(e);
	}
	CHECK(bad == 0);
	/* One extra byte after the locator, or before the pack. */
	q = malloc(tp.len + 1);
	if (q != NULL) {
		memcpy(q, tp.p, tp.len);
		q[tp.len] = 0;
		CHECK(parse_copy(q, tp.len + 1, &e, &n) == 1);
		free(e);
		q[0] = 0;
		memcpy(q + 1, tp.p, tp.len);
		CHECK(parse_copy(q, tp.len + 1, &e, &n) == 1);
		free(e);
	}
	free(q);
	free_pack(&tp);
}

/*
 * A hostile server keeps a pack's salt and its authentic locator but cuts
 * out the bytes between, so that the locator's header position lies past
 * what is left.  Every cut must be refused without reading past the end.
 */
static void
test_locator_replay(void)
{
	uint8_t a[3000];
	struct spec s[2] = {
		{ BLOB_DATA, a, sizeof(a), 0 },
		{ BLOB_TREE, a, 50, 0 },
	};
	struct pack_entry *e;
	struct tpack tp;
	uint8_t *q;
	size_t n, keep;
	int bad = 0;

	fill_random(a, sizeof(a), 16);
	if (make_pack(s, 2, &tp)) {
		CHECK(0);
		return;
	}
	if ((q = malloc(tp.len)) == NULL) {
		CHECK(0);
		free_pack(&tp);
		return;
	}
	for (keep = 32; keep < tp.len - 32; keep++) {
		if (keep + 32 >= tp.hoff + tp.hlen + 32)
			continue;	/* the header is still there */
		memcpy(q, tp.p, keep);
		memcpy(q + keep, tp.p + tp.len - 32, 32);
		if (parse_copy(q, keep + 32, &e, &n) != 1)
			bad++;
		free(e);
	}
	CHECK(bad == 0);
	free(q);
	free_pack(&tp);
}

/* blob_compress: text is compressed, random data and tiny blobs are not. */
static void
test_compress(void)
{
	static uint8_t text[200000], rnd[1 << 20];
	struct buf out = BUF_INIT;
	uint8_t flags, *back;
	size_t n;

	fill_text(text, sizeof(text), 17);
	fill_random(rnd, sizeof(rnd), 18);

	out.len = 3;
	CHECK(blob_compress(3, rnd, 100000, &out, &flags) == 0);
	CHECK(flags == 0 && out.len == 0);
	/* Past the sampling threshold: refused on the sample. */
	CHECK(blob_compress(3, rnd, sizeof(rnd), &out, &flags) == 0);
	CHECK(flags == 0 && out.len == 0);
	/* Too small to bother. */
	CHECK(blob_compress(3, text, 127, &out, &flags) == 0);
	CHECK(flags == 0 && out.len == 0);

	CHECK(blob_compress(3, text, sizeof(text), &out, &flags) == 0);
	CHECK(flags == BLOB_F_ZSTD);
	CHECK(out.len > 0 && out.len < sizeof(text) - sizeof(text) / 50);
	back = malloc(sizeof(text));
	if (back != NULL) {
		n = ZSTD_decompress(back, sizeof(text), out.data, out.len);
		CHECK(n == sizeof(text) && memcmp(back, text, n) == 0);
	}
	free(back);
	/* Large and compressible: the sample says yes. */
	memcpy(rnd, text, sizeof(text));
	memcpy(rnd + sizeof(text), text, sizeof(text));
	CHECK(blob_compress(1, rnd, 400000, &out, &flags) == 0);
	CHECK(flags == BLOB_F_ZSTD && out.len < 400000);
	buf_release(&out);
}

int
main(int argc, char *argv[])
{
	size_t i;

	(void)argc;
	warnp_setprogname(argv[0]);
	if (crypto_init())
		return (1);
	for (i = 0; i < 32; i++) {
		ID[i] = (uint8_t)i;
		ROOT[i] = (uint8_t)(0x80 + i);
	}
	if (repo_from_root(NULL, ID, ROOT, &R))
		return (1);
	RUN(test_blob_id_kat);
	RUN(test_format);
	RUN(test_roundtrip);
	RUN(test_padme_size);
	RUN(test_tamper_every_byte);
	RUN(test_tamper_sample);
	RUN(test_wrong_entry);
	RUN(test_truncated);
	RUN(test_locator_replay);
	RUN(test_compress);
	repo_close(R);
	return (TEST_EXIT());
}
