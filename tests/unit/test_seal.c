/*
 * Sealed objects (lib/repo/seal.c):
 *
 *	salt[32] || AES-256-GCM(K, 0^12, aad, P) || tag[16]
 *	K = HKDF-SHA-256(meta key, salt, "coffer v1 object " || type name)
 *	P = flags(1) || payload_len(u32le) || payload || zero padding
 *
 * padded to the PADME length of the smallest such object.  Round trips,
 * the layout checked with the primitives alone, and the refusals: another
 * type, other associated data, any flipped byte, any truncation, and
 * authentic objects whose plaintext breaks the rules above.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "backend/backend.h"
#include "crypto/crypto.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "test.h"

#define OVERHEAD	(32 + 5 + 16)

static uint8_t ID[REPO_ID_LEN], ROOT[CRYPTO_KEY_LEN];
static struct repo *R;

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

/* Object key for type t and salt, derived from the root key directly. */
static int
object_key(enum obj_type t, const uint8_t *salt, uint8_t key[32])
{
	static const char minfo[] = "coffer v1 meta";
	uint8_t meta[32];
	char info[64];
	int n, rc;

	n = snprintf(info, sizeof(info), "coffer v1 object %s",
	    backend_type_name(t));
	rc = crypto_hkdf(ROOT, 32, ID, 32, (const uint8_t *)minfo,
	    sizeof(minfo) - 1, meta, 32) ||
	    crypto_hkdf(meta, 32, salt, 32, (const uint8_t *)info, (size_t)n,
	    key, 32);
	return (rc ? -1 : 0);
}

/*
 * Seal the plaintext P (flags, length, payload, padding: whatever the
 * caller put there) the way the format says, with a chosen salt: for
 * authentic objects that break the rules inside.
 */
static int
raw_seal(enum obj_type t, const uint8_t *pt, size_t ptlen,
    const uint8_t *aad, size_t aadlen, struct buf *out)
{
	static const uint8_t nonce[12];
	uint8_t key[32];

	out->len = 0;
	if (buf_reserve(out, 32 + ptlen + 16))
		return (-1);
	fill_random(out->data, 32, ptlen + 99);
	if (object_key(t, out->data, key) ||
	    crypto_aead_seal(key, nonce, aad, aadlen, pt, ptlen,
	    out->data + 32))
		return (-1);
	out->len = 32 + ptlen + 16;
	return (0);
}

/* Unseal from an exact-size copy, so that ASan sees any over-read. */
static int
unseal_copy(enum obj_type t, const uint8_t *p, size_t len,
    const uint8_t *aad, size_t aadlen, struct buf *out)
{
	uint8_t *q = malloc(len ? len : 1);
	int rc;

	if (q == NULL)
		return (-1);
	if (len > 0)
		memcpy(q, p, len);
	rc = repo_unseal(R, t, q, len, aad, aadlen, out);
	free(q);
	return (rc);
}

/*
 * Round trips of incompressible payloads of several sizes; repo_seal
 * appends to what out holds already.  The sealed length is the PADME
 * length of salt + flags + length + payload + tag.
 */
static void
test_roundtrip_sizes(void)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 1000, 1 << 20 };
	static const enum obj_type types[] = { OBJ_INDEX, OBJ_SNAPSHOT,
	    OBJ_KEY, OBJ_CONFIG, OBJ_LOCK };
	struct buf s = BUF_INIT, out = BUF_INIT;
	uint8_t *p;
	size_t i, len;
	enum obj_type t;

	if ((p = malloc(1 << 20)) == NULL) {
		CHECK(0);
		return;
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		len = sizes[i];
		t = types[i % 5];
		fill_random(p, len, i);
		s.len = 0;
		CHECK(buf_append(&s, "XYZ", 3) == 0);
		CHECK(repo_seal(R, t, p, len, NULL, 0, &s) == 0);
		CHECK(memcmp(s.data, "XYZ", 3) == 0);
		CHECK(s.len - 3 == crypto_padme(OVERHEAD + len));
		out.len = 9;
		CHECK(unseal_copy(t, s.data + 3, s.len - 3, NULL, 0,
		    &out) == 0);
		CHECK(out.len == len);
		if (out.len == len && len > 0)
			CHECK_MEM(out.data, p, len);
		/* With associated data too. */
		s.len = 0;
		CHECK(repo_seal(R, t, p, len, (const uint8_t *)"aad", 3,
		    &s) == 0);
		CHECK(unseal_copy(t, s.data, s.len, (const uint8_t *)"aad", 3,
		    &out) == 0 && out.len == len);
	}
	free(p);
	buf_release(&s);
	buf_release(&out);
}

/* A compressible payload is stored compressed, and comes back whole. */
static void
test_compressible(void)
{
	struct buf s = BUF_INIT, out = BUF_INIT;
	size_t len = 1 << 20, clen, i;
	uint8_t *p, *c;

	p = malloc(len);
	c = malloc(ZSTD_compressBound(len));
	if (p == NULL || c == NULL) {
		CHECK(0);
		goto done;
	}
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)("coffer "[i % 7]);
	clen = ZSTD_compress(c, ZSTD_compressBound(len), p, len, 3);
	CHECK(!ZSTD_isError(clen) && clen < len);
	CHECK(repo_seal(R, OBJ_SNAPSHOT, p, len, NULL, 0, &s) == 0);
	CHECK(s.len == crypto_padme(OVERHEAD + clen));
	CHECK(unseal_copy(OBJ_SNAPSHOT, s.data, s.len, NULL, 0, &out) == 0);
	CHECK(out.len == len && memcmp(out.data, p, len) == 0);
done:
	free(p);
	free(c);
	buf_release(&s);
	buf_release(&out);
}

/* Open a sealed object with the primitives alone and check P's layout. */
static void
test_format(void)
{
	static const uint8_t nonce[12];
	struct buf s = BUF_INIT;
	uint8_t key[32], pt[256], payload[100];
	size_t ptlen, i;
	int zero = 1;

	fill_random(payload, sizeof(payload), 7);
	CHECK(repo_seal(R, OBJ_INDEX, payload, sizeof(payload),
	    (const uint8_t *)"hdr", 3, &s) == 0);
	CHECK(s.len == crypto_padme(OVERHEAD + sizeof(payload)));
	CHECK(s.len > OVERHEAD + sizeof(payload));	/* some padding */
	ptlen = s.len - 48;
	CHECK(ptlen <= sizeof(pt));
	if (ptlen > sizeof(pt))
		goto done;
	CHECK(object_key(OBJ_INDEX, s.data, key) == 0);
	CHECK(crypto_aead_open(key, nonce, (const uint8_t *)"hdr", 3,
	    s.data + 32, s.len - 32, pt) == 0);
	CHECK(pt[0] == 0);			/* not compressed */
	CHECK(le32dec(pt + 1) == sizeof(payload));
	CHECK(memcmp(pt + 5, payload, sizeof(payload)) == 0);
	for (i = 5 + sizeof(payload); i < ptlen; i++)
		zero &= (pt[i] == 0);
	CHECK(zero);
	/* The key depends on the type. */
	CHECK(object_key(OBJ_SNAPSHOT, s.data, key) == 0);
	CHECK(crypto_aead_open(key, nonce, (const uint8_t *)"hdr", 3,
	    s.data + 32, s.len - 32, pt) == 1);
done:
	buf_release(&s);
}

/* Sealed as one type, opened as another: refused. */
static void
test_wrong_type(void)
{
	struct buf s = BUF_INIT, out = BUF_INIT;
	int t, u;

	for (t = 0; t < OBJ_NTYPES; t++) {
		s.len = 0;
		CHECK(repo_seal(R, (enum obj_type)t, (const uint8_t *)"x", 1,
		    NULL, 0, &s) == 0);
		for (u = 0; u < OBJ_NTYPES; u++) {
			out.len = 3;
			CHECK(unseal_copy((enum obj_type)u, s.data, s.len,
			    NULL, 0, &out) == (t == u ? 0 : 1));
			CHECK(out.len == (t == u ? 1u : 0u));
		}
	}
	buf_release(&s);
	buf_release(&out);
}

/* Other associated data: refused. */
static void
test_wrong_aad(void)
{
	struct buf s = BUF_INIT, out = BUF_INIT;
	const uint8_t *a = (const uint8_t *)"CFFR\x01\x00\x00\x00";

	CHECK(repo_seal(R, OBJ_CONFIG, (const uint8_t *)"{}", 2, a, 8,
	    &s) == 0);
	CHECK(unseal_copy(OBJ_CONFIG, s.data, s.len, a, 8, &out) == 0);
	CHECK(unseal_copy(OBJ_CONFIG, s.data, s.len,
	    (const uint8_t *)"CFFR\x02\x00\x00\x00", 8, &out) == 1);
	CHECK(out.len == 0);
	CHECK(unseal_copy(OBJ_CONFIG, s.data, s.len, a, 7, &out) == 1);
	CHECK(unseal_copy(OBJ_CONFIG, s.data, s.len, NULL, 0, &out) == 1);
	CHECK(unseal_copy(OBJ_CONFIG, s.data, s.len,
	    (const uint8_t *)"CFFR\x01\x00\x00\x00\x00", 9, &out) == 1);
	/* And an object sealed without aad does not open with some. */
	s.len = 0;
	CHECK(repo_seal(R, OBJ_CONFIG, (const uint8_t *)"{}", 2, NULL, 0,
	    &s) == 0);
	CHECK(unseal_copy(OBJ_CONFIG, s.data, s.len, a, 8, &out) == 1);
	buf_release(&s);
	buf_release(&out);
}

/* Every single-byte change of a small sealed object is refused. */
static void
test_every_flip(void)
{
	static const uint8_t xs[] = { 0x01, 0x80, 0xff };
	struct buf s = BUF_INIT, out = BUF_INIT;
	size_t pos, k;
	int bad = 0, rc;

	CHECK(repo_seal(R, OBJ_LOCK, (const uint8_t *)"hello, lock", 11,
	    (const uint8_t *)"a", 1, &s) == 0);
	CHECK(s.len == 64);
	for (pos = 0; pos < s.len; pos++)
		for (k = 0; k < sizeof(xs); k++) {
			s.data[pos] ^= xs[k];
			out.len = 4;
			rc = unseal_copy(OBJ_LOCK, s.data, s.len,
			    (const uint8_t *)"a", 1, &out);
			if (rc != 1 || out.len != 0) {
				fprintf(stderr, "  flip %zu^%02x: %d\n", pos,
				    xs[k], rc);
				bad++;
			}
			s.data[pos] ^= xs[k];
		}
	CHECK(bad == 0);
	CHECK(unseal_copy(OBJ_LOCK, s.data, s.len, (const uint8_t *)"a", 1,
	    &out) == 0 && out.len == 11);
	buf_release(&s);
	buf_release(&out);
}

/* Every truncation, and an extension by a byte, is refused. */
static void
test_truncation(void)
{
	struct buf s = BUF_INIT, out = BUF_INIT;
	size_t len;
	int bad = 0;

	CHECK(repo_seal(R, OBJ_INDEX, (const uint8_t *)"0123456789", 10,
	    NULL, 0, &s) == 0);
	for (len = 0; len < s.len; len++) {
		out.len = 1;
		if (unseal_copy(OBJ_INDEX, s.data, len, NULL, 0, &out) != 1 ||
		    out.len != 0)
			bad++;
	}
	CHECK(bad == 0);
	CHECK(buf_put_u8(&s, 0) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 1);
	/* A zero-length object, and one just below the overhead. */
	CHECK(repo_unseal(R, OBJ_INDEX, NULL, 0, NULL, 0, &out) == 1);
	buf_release(&s);
	buf_release(&out);
}

/* Two seals of one payload differ: each has its own salt. */
static void
test_fresh_salt(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT;

	CHECK(repo_seal(R, OBJ_SNAPSHOT, (const uint8_t *)"same", 4, NULL, 0,
	    &a) == 0);
	CHECK(repo_seal(R, OBJ_SNAPSHOT, (const uint8_t *)"same", 4, NULL, 0,
	    &b) == 0);
	CHECK(a.len == b.len);
	CHECK(memcmp(a.data, b.data, 32) != 0);
	CHECK(memcmp(a.data + 32, b.data + 32, a.len - 32) != 0);
	buf_release(&a);
	buf_release(&b);
}

/*
 * Authentic objects (sealed here with the right key) whose plaintext
 * breaks the layout: bad flags, a length past the end, non-zero padding,
 * damaged or unsized zstd frames.  All refused; the well-formed ones open.
 */
static void
test_malformed_inside(void)
{
	struct buf s = BUF_INIT, out = BUF_INIT;
	uint8_t pt[600], z[512], src[400];
	size_t zlen, i;
	ZSTD_CCtx *cc;

	/* Well formed, with padding: opens. */
	memset(pt, 0, sizeof(pt));
	pt[0] = 0;
	le32enc(pt + 1, 3);
	memcpy(pt + 5, "abc", 3);
	CHECK(raw_seal(OBJ_INDEX, pt, 20, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 0);
	CHECK(out.len == 3 && memcmp(out.data, "abc", 3) == 0);
	/* Exactly the payload, no padding: opens. */
	CHECK(raw_seal(OBJ_INDEX, pt, 8, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 0);
	CHECK(out.len == 3);
	/* Length one past the end. */
	le32enc(pt + 1, 4);
	CHECK(raw_seal(OBJ_INDEX, pt, 8, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 1);
	/* Huge length. */
	le32enc(pt + 1, 0xffffffffu);
	CHECK(raw_seal(OBJ_INDEX, pt, 20, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 1);
	/* Flags 2 and 0x80. */
	le32enc(pt + 1, 3);
	pt[0] = 2;
	CHECK(raw_seal(OBJ_INDEX, pt, 20, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 1);
	pt[0] = 0x80;
	CHECK(raw_seal(OBJ_INDEX, pt, 20, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 1);
	/* A non-zero byte in the padding, first or last. */
	pt[0] = 0;
	pt[8] = 1;
	CHECK(raw_seal(OBJ_INDEX, pt, 20, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 1);
	pt[8] = 0;
	pt[19] = 0x80;
	CHECK(raw_seal(OBJ_INDEX, pt, 20, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 1);
	pt[19] = 0;
	/* Plaintext shorter than flags + length. */
	CHECK(raw_seal(OBJ_INDEX, pt, 4, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_INDEX, s.data, s.len, NULL, 0, &out) == 1);

	/* Compressed: a good frame opens. */
	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i % 13);
	zlen = ZSTD_compress(z, sizeof(z), src, sizeof(src), 3);
	CHECK(!ZSTD_isError(zlen) && zlen + 5 < sizeof(pt));
	pt[0] = 1;
	le32enc(pt + 1, (uint32_t)zlen);
	memcpy(pt + 5, z, zlen);
	CHECK(raw_seal(OBJ_SNAPSHOT, pt, 5 + zlen, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_SNAPSHOT, s.data, s.len, NULL, 0, &out) == 0);
	CHECK(out.len == sizeof(src) && memcmp(out.data, src, 400) == 0);
	/* The frame cut short by its length field. */
	le32enc(pt + 1, (uint32_t)zlen - 1);
	CHECK(raw_seal(OBJ_SNAPSHOT, pt, 5 + zlen, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_SNAPSHOT, s.data, s.len, NULL, 0, &out) == 1);
	CHECK(out.len == 0);
	/* Garbage instead of a frame. */
	le32enc(pt + 1, (uint32_t)zlen);
	fill_random(pt + 5, zlen, 3);
	CHECK(raw_seal(OBJ_SNAPSHOT, pt, 5 + zlen, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_SNAPSHOT, s.data, s.len, NULL, 0, &out) == 1);
	/*
	 * A hand-made frame: magic, a single-segment header with a one-byte
	 * content size, one raw block of 10 bytes.  It opens when the size
	 * is true, and is refused when the size is one more or one less.
	 */
	for (i = 0; i < 3; i++) {
		static const uint8_t fr[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x20,
		    10, 10 << 3 | 1, 0, 0, '0', '1', '2', '3', '4', '5',
		    '6', '7', '8', '9' };

		memcpy(pt + 5, fr, sizeof(fr));
		pt[5 + 5] = (uint8_t)(9 + i);
		le32enc(pt + 1, sizeof(fr));
		CHECK(raw_seal(OBJ_SNAPSHOT, pt, 5 + sizeof(fr), NULL, 0,
		    &s) == 0);
		CHECK(unseal_copy(OBJ_SNAPSHOT, s.data, s.len, NULL, 0,
		    &out) == (i == 1 ? 0 : 1));
		CHECK(out.len == (i == 1 ? 10u : 0u));
	}
	/* A streaming frame with no content size. */
	if ((cc = ZSTD_createCCtx()) != NULL) {
		ZSTD_inBuffer in = { src, sizeof(src), 0 };
		ZSTD_outBuffer ob = { z, sizeof(z), 0 };

		ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
		CHECK(ZSTD_compressStream2(cc, &ob, &in, ZSTD_e_end) == 0);
		ZSTD_freeCCtx(cc);
		CHECK(ZSTD_getFrameContentSize(z, ob.pos) ==
		    ZSTD_CONTENTSIZE_UNKNOWN);
		le32enc(pt + 1, (uint32_t)ob.pos);
		memcpy(pt + 5, z, ob.pos);
		CHECK(raw_seal(OBJ_SNAPSHOT, pt, 5 + ob.pos, NULL, 0,
		    &s) == 0);
		CHECK(unseal_copy(OBJ_SNAPSHOT, s.data, s.len, NULL, 0,
		    &out) == 1);
	}
	/* Compressed empty payload (length 0): no frame at all. */
	le32enc(pt + 1, 0);
	CHECK(raw_seal(OBJ_SNAPSHOT, pt, 5, NULL, 0, &s) == 0);
	CHECK(unseal_copy(OBJ_SNAPSHOT, s.data, s.len, NULL, 0, &out) == 1);
	buf_release(&s);
	buf_release(&out);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{

	(void)st;
	(void)flag;
	(void)f;
	return (remove(path));
}

/*
 * repo_put_sealed names an object by the hash of its bytes; get checks
 * the hash against the name before unsealing, and reports missing ones.
 */
static void
test_put_get(void)
{
	char dir[] = "/tmp/coffer-test-seal.XXXXXX", name[65], path[4200];
	struct backend *be;
	struct repo *r = NULL;
	struct buf out = BUF_INIT;
	uint8_t id[32], h[32];
	FILE *f;
	int c;

	if (mkdtemp(dir) == NULL || (be = backend_local_open(dir)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(backend_create(be) == 0);
	if (repo_from_root(be, ID, ROOT, &r)) {
		CHECK(0);
		backend_free(be);
		goto done;
	}
	CHECK(repo_put_sealed(r, OBJ_SNAPSHOT, (const uint8_t *)"snap", 4,
	    id) == 0);
	hex_encode(id, 32, name);
	CHECK(repo_get_sealed(r, OBJ_SNAPSHOT, name, &out) == 0);
	CHECK(out.len == 4 && memcmp(out.data, "snap", 4) == 0);
	/* Under another type's name: missing. */
	warnp_quiet(1);
	CHECK(repo_get_sealed(r, OBJ_INDEX, name, &out) == 1);
	/* Flip a byte of the stored object: the hash no longer matches. */
	snprintf(path, sizeof(path), "%s/snapshots/%s", dir, name);
	if ((f = fopen(path, "r+b")) != NULL) {
		fseek(f, 40, SEEK_SET);
		c = fgetc(f);
		fseek(f, 40, SEEK_SET);
		fputc(c ^ 1, f);
		fclose(f);
	} else
		CHECK(0);
	CHECK(repo_get_sealed(r, OBJ_SNAPSHOT, name, &out) == 1);
	/*
	 * Renamed to the hash of its (damaged) bytes, it is still refused:
	 * not authentic.
	 */
	{
		struct buf b = BUF_INIT;
		char n2[65];

		CHECK(backend_get(r->be, OBJ_SNAPSHOT, name, &b) == 0);
		crypto_sha256(b.data, b.len, h);
		hex_encode(h, 32, n2);
		CHECK(backend_put(r->be, OBJ_SNAPSHOT, n2, b.data,
		    b.len) == 0);
		CHECK(repo_get_sealed(r, OBJ_SNAPSHOT, n2, &out) == 1);
		buf_release(&b);
	}
	warnp_quiet(0);
	repo_close(r);
done:
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	CHECK(access(dir, F_OK) != 0);
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
		ID[i] = (uint8_t)(0x40 + i);
		ROOT[i] = (uint8_t)(0xc0 ^ i);
	}
	if (repo_from_root(NULL, ID, ROOT, &R))
		return (1);
	RUN(test_roundtrip_sizes);
	RUN(test_compressible);
	RUN(test_format);
	RUN(test_wrong_type);
	RUN(test_wrong_aad);
	RUN(test_every_flip);
	RUN(test_truncation);
	RUN(test_fresh_salt);
	RUN(test_malformed_inside);
	RUN(test_put_get);
	repo_close(R);
	return (TEST_EXIT());
}
