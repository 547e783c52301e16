/*
 * The realm protocol's messages (lib/recovery/rwire.c) and derivations
 * (lib/recovery/rkdf.c), docs/RECOVERY.md sections 3 and 4.2:
 *   - every request and response type encodes to its documented length,
 *     decodes back to the same bytes, and is refused one byte shorter or
 *     longer, with another magic, version or type;
 *   - the ranges of the register request (index, t, n, guesses) hold at
 *     their edges;
 *   - enc() and the MACs are what the document says, recomputed here
 *     with OpenSSL (HMAC, SHA-256) and a one-shot BLAKE2b;
 *   - scalars and elements from outside: non-canonical, zero and identity
 *     refused;
 *   - the secret's sealing opens only with its key and version.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "recovery/rkdf.h"
#include "recovery/rwire.h"

#include "test.h"

static const int TYPES[] = { RW_REGISTER, RW_RECOVER1, RW_RECOVER2,
    RW_RECOVER3, RW_DELETE };
static const size_t REQLEN[] = { 411, 38, 102, 102, 54 };

/* A request of type with random fields in range. */
static void
random_req(int type, struct rwire_req *q)
{

	randombytes_buf(q, sizeof(*q));
	q->type = (uint8_t)type;
	q->n = 3;
	q->t = 2;
	q->index = 2;
	q->num_guesses = 5;
}

static void
test_req_roundtrip(void)
{
	uint8_t a[RWIRE_MAX_BODY], b[RWIRE_MAX_BODY];
	struct rwire_req q, d;
	const char *why;
	size_t i, la, lb, n;

	for (i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++) {
		random_req(TYPES[i], &q);
		CHECK(rwire_req_encode(&q, a, &la) == 0);
		CHECK(la == REQLEN[i]);
		CHECK(rwire_req_len(TYPES[i]) == REQLEN[i]);
		CHECK(memcmp(a, "CFRQ\001", 5) == 0 && a[5] == TYPES[i]);
		CHECK(rwire_req_decode(a, la, &d, &why) == 0);
		CHECK(rwire_req_encode(&d, b, &lb) == 0);
		CHECK(lb == la && memcmp(a, b, la) == 0);
		CHECK(memcmp(d.realm_id, q.realm_id, RWIRE_ID) == 0 &&
		    memcmp(d.rid, q.rid, RWIRE_ID) == 0);
		/* Every other length is refused. */
		for (n = 0; n <= la + 1; n++) {
			if (n == la)
				continue;
			CHECK(rwire_req_decode(a, n, &d, &why) == -1);
		}
		CHECK(rwire_req_decode(a, la - 1, &d, &why) == -1 &&
		    strcmp(why, "wrong length") == 0);
		a[0] ^= 1;
		CHECK(rwire_req_decode(a, la, &d, &why) == -1 &&
		    strcmp(why, "bad magic") == 0);
		a[0] ^= 1;
		a[4] = 2;
		CHECK(rwire_req_decode(a, la, &d, &why) == -1 &&
		    strcmp(why, "unsupported protocol version") == 0);
		a[4] = 1;
	}
	/* Unknown types. */
	memcpy(a, "CFRQ\001", 5);
	for (n = 0; n < 256; n++) {
		if (n >= RW_REGISTER && n <= RW_DELETE)
			continue;
		a[5] = (uint8_t)n;
		CHECK(rwire_req_decode(a, 38, &d, &why) == -1 &&
		    strcmp(why, "unknown message type") == 0);
		CHECK(rwire_req_len((int)n) == 0);
	}
	q.type = 9;
	CHECK(rwire_req_encode(&q, a, &la) == -1);
}

/* The register request's ranges, at their edges. */
static int
reg_ok(int index, int t, int n, int guesses)
{
	uint8_t a[RWIRE_MAX_BODY];
	struct rwire_req q, d;
	const char *why;
	size_t len;

	random_req(RW_REGISTER, &q);
	q.index = (uint8_t)index;
	q.t = (uint8_t)t;
	q.n = (uint8_t)n;
	q.num_guesses = (uint16_t)guesses;
	if (rwire_req_encode(&q, a, &len))
		return (-1);
	return (rwire_req_decode(a, len, &d, &why));
}

static void
test_register_ranges(void)
{

	CHECK(reg_ok(1, 1, 1, 1) == 0);
	CHECK(reg_ok(3, 2, 3, 1000) == 0);
	CHECK(reg_ok(16, 9, 16, 10) == 0);
	CHECK(reg_ok(1, 2, 2, 10) == 0);
	CHECK(reg_ok(0, 2, 3, 10) == -1);	/* index 0 */
	CHECK(reg_ok(4, 2, 3, 10) == -1);	/* index > n */
	CHECK(reg_ok(1, 1, 2, 10) == -1);	/* t not a majority */
	CHECK(reg_ok(1, 8, 16, 10) == -1);
	CHECK(reg_ok(1, 4, 3, 10) == -1);	/* t > n */
	CHECK(reg_ok(1, 0, 1, 10) == -1);
	CHECK(reg_ok(1, 9, 17, 10) == -1);	/* n > 16 */
	CHECK(reg_ok(1, 1, 0, 10) == -1);
	CHECK(reg_ok(1, 2, 3, 0) == -1);	/* guesses */
	CHECK(reg_ok(1, 2, 3, 1001) == -1);
}

static void
test_resp_roundtrip(void)
{
	uint8_t a[RWIRE_MAX_BODY], b[RWIRE_MAX_BODY];
	struct rwire_resp r, d;
	const char *why;
	size_t i, la, lb, want;
	int st;

	for (i = 0; i < sizeof(TYPES) / sizeof(TYPES[0]); i++) {
		for (st = RW_OK; st <= RW_STALE_CHALLENGE; st++) {
			randombytes_buf(&r, sizeof(r));
			r.type = (uint8_t)TYPES[i];
			r.status = (uint8_t)st;
			r.n = 3;
			r.t = 2;
			r.index = 1;
			r.num_guesses = 5;
			r.guess_count = 5;
			if (TYPES[i] == RW_RECOVER1 && st <= RW_NO_GUESSES)
				want = 59;
			else if (st != RW_OK)
				want = 25;
			else if (TYPES[i] == RW_RECOVER2)
				want = 302;
			else if (TYPES[i] == RW_RECOVER3)
				want = 135;
			else
				want = 23;
			CHECK(rwire_resp_encode(&r, a, &la) == 0);
			CHECK(la == want && rwire_resp_len(TYPES[i], st) ==
			    want);
			CHECK(rwire_resp_decode(a, la, &d, &why) == 0);
			CHECK(rwire_resp_encode(&d, b, &lb) == 0);
			CHECK(lb == la && memcmp(a, b, la) == 0);
			CHECK(rwire_resp_decode(a, la + 1, &d, &why) == -1);
			CHECK(rwire_resp_decode(a, la - 1, &d, &why) == -1);
		}
	}
	/* A recover2 answer with more guesses used than allowed. */
	memset(&r, 0, sizeof(r));
	r.type = RW_RECOVER2;
	r.n = 3;
	r.t = 2;
	r.index = 1;
	r.num_guesses = 5;
	r.guess_count = 6;
	CHECK(rwire_resp_encode(&r, a, &la) == 0);
	CHECK(rwire_resp_decode(a, la, &d, &why) == -1);
	r.guess_count = 5;
	r.index = 4;
	CHECK(rwire_resp_encode(&r, a, &la) == 0);
	CHECK(rwire_resp_decode(a, la, &d, &why) == -1);
	/* Unknown status. */
	r.index = 1;
	r.status = 6;
	CHECK(rwire_resp_encode(&r, a, &la) == -1);
	CHECK(strcmp(rwire_status_name(RW_STALE_CHALLENGE),
	    "STALE_CHALLENGE") == 0);
}

/* The u16 fields are little-endian at their documented offsets. */
static void
test_layout(void)
{
	uint8_t a[RWIRE_MAX_BODY];
	struct rwire_req q;
	struct rwire_resp r;
	size_t len;

	memset(&q, 0, sizeof(q));
	q.type = RW_REGISTER;
	q.index = 2;
	q.t = 2;
	q.n = 3;
	q.num_guesses = 0x0102;
	q.challenge[0] = 0xc1;
	q.version[0] = 0x5e;
	q.enc_commitment[31] = 0xee;
	CHECK(rwire_req_encode(&q, a, &len) == 0);
	CHECK(a[38] == 0xc1 && a[54] == 0x5e);
	CHECK(a[70] == 2 && a[71] == 2 && a[72] == 3);
	CHECK(a[73] == 0x02 && a[74] == 0x01);
	CHECK(a[410] == 0xee);
	memset(&r, 0, sizeof(r));
	r.type = RW_RECOVER3;
	r.status = RW_BAD_UNLOCK_TAG;
	r.guesses_left = 0x0304;
	CHECK(rwire_resp_encode(&r, a, &len) == 0);
	CHECK(len == 25 && a[6] == RW_BAD_UNLOCK_TAG && a[23] == 0x04 &&
	    a[24] == 0x03);
}

/* HMAC-SHA-256 with OpenSSL, for comparison. */
static void
ossl_hmac(const uint8_t *key, size_t klen, const uint8_t *m, size_t mlen,
    uint8_t out[32])
{
	unsigned int ol = 32;

	HMAC(EVP_sha256(), key, (int)klen, m, mlen, out, &ol);
}

/* enc(label, parts) built by hand. */
static size_t
hand_enc(uint8_t *out, const char *label, const uint8_t **p,
    const size_t *l, size_t n)
{
	size_t i, off = 0, ll = strlen(label);

	out[off++] = 0;
	out[off++] = 0;
	out[off++] = (uint8_t)(ll >> 8);
	out[off++] = (uint8_t)ll;
	memcpy(out + off, label, ll);
	off += ll;
	for (i = 0; i < n; i++) {
		out[off++] = 0;
		out[off++] = 0;
		out[off++] = (uint8_t)(l[i] >> 8);
		out[off++] = (uint8_t)l[i];
		memcpy(out + off, p[i], l[i]);
		off += l[i];
	}
	return (off);
}

static void
test_macs(void)
{
	uint8_t key[32], rid[16], realm[16], ver[16], chal[16], s[32];
	uint8_t enc[48], oprf[64], m[512], want[32], got[32], c[32], u[32];
	const uint8_t *p[4] = { NULL, NULL, NULL, NULL };
	size_t l[4] = { 0, 0, 0, 0 }, n;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(rid, sizeof(rid));
	randombytes_buf(realm, sizeof(realm));
	randombytes_buf(ver, sizeof(ver));
	randombytes_buf(chal, sizeof(chal));
	randombytes_buf(s, sizeof(s));
	randombytes_buf(enc, sizeof(enc));
	randombytes_buf(oprf, sizeof(oprf));

	/* Unlock key and commitment: labelled MACs keyed by the output. */
	rkdf_unlock(oprf, c, u);
	n = hand_enc(m, "coffer-recovery-v1 unlock key commitment", p, l, 0);
	ossl_hmac(oprf, 64, m, n, want);
	CHECK_MEM(c, want, 32);
	n = hand_enc(m, "coffer-recovery-v1 unlock key", p, l, 0);
	ossl_hmac(oprf, 64, m, n, want);
	CHECK_MEM(u, want, 32);

	/* tag_i. */
	p[0] = realm;
	l[0] = 16;
	n = hand_enc(m, "coffer-recovery-v1 unlock key tag", p, l, 1);
	ossl_hmac(key, 32, m, n, want);
	rkdf_tag(key, realm, got);
	CHECK_MEM(got, want, 32);

	/* The recover3 proof. */
	p[1] = rid;
	p[2] = ver;
	p[3] = chal;
	l[1] = l[2] = l[3] = 16;
	n = hand_enc(m, "coffer-recovery-v1 recover3", p, l, 4);
	ossl_hmac(key, 32, m, n, want);
	rkdf_tag_proof(key, realm, rid, ver, chal, got);
	CHECK_MEM(got, want, 32);

	/* commitment_i. */
	p[1] = s;
	l[1] = 32;
	p[2] = enc;
	l[2] = 48;
	n = hand_enc(m, "coffer-recovery-v1 secret commitment", p, l, 3);
	ossl_hmac(key, 32, m, n, want);
	rkdf_enc_commitment(key, realm, s, enc, got);
	CHECK_MEM(got, want, 32);

	/* The secret's key. */
	p[0] = s;
	l[0] = 32;
	n = hand_enc(m, "coffer-recovery-v1 secret key", p, l, 1);
	ossl_hmac(key, 32, m, n, want);
	rkdf_enc_key(key, s, got);
	CHECK_MEM(got, want, 32);

	/* An encoding too long for the buffer is refused. */
	CHECK(rkdf_encode("x", (const struct rkdf_part[]){ { m, 2000 } }, 1,
	    m, 100, &n) == -1);
}

static void
test_salt_rid(void)
{
	uint8_t ver[16], info[32], in[64], want[32], got[32], a[32], b[32];
	uint8_t a2[32], b2[32];

	randombytes_buf(ver, sizeof(ver));
	randombytes_buf(info, sizeof(info));
	/* be4(16) || version || be4(32) || info, BLAKE2b-128. */
	memcpy(in, "\0\0\0\x10", 4);
	memcpy(in + 4, ver, 16);
	memcpy(in + 20, "\0\0\0\x20", 4);
	memcpy(in + 24, info, 32);
	crypto_generichash(want, 16, in, 56, NULL, 0);
	rkdf_salt(ver, info, 32, got);
	CHECK_MEM(got, want, 16);

	/* rid = SHA-256("coffer-recovery-v1 record id" || repo id)[0..16). */
	memcpy(in, "coffer-recovery-v1 record id", 28);
	memcpy(in + 28, info, 32);
	EVP_Digest(in, 60, want, NULL, EVP_sha256(), NULL);
	rkdf_rid(info, got);
	CHECK_MEM(got, want, 16);

	/* The stretch depends on the PIN, the version and the identity. */
	CHECK(rkdf_stretch("1234", 4, ver, info, 32, 1, 8192, a, b) == 0);
	CHECK(rkdf_stretch("1234", 4, ver, info, 32, 1, 8192, a2, b2) == 0);
	CHECK(memcmp(a, a2, 32) == 0 && memcmp(b, b2, 32) == 0);
	CHECK(memcmp(a, b, 32) != 0);
	CHECK(rkdf_stretch("1235", 4, ver, info, 32, 1, 8192, a2, b2) == 0);
	CHECK(memcmp(a, a2, 32) != 0);
	ver[0] ^= 1;
	CHECK(rkdf_stretch("1234", 4, ver, info, 32, 1, 8192, a2, b2) == 0);
	CHECK(memcmp(a, a2, 32) != 0);
	ver[0] ^= 1;
	info[31] ^= 1;
	CHECK(rkdf_stretch("1234", 4, ver, info, 32, 1, 8192, a2, b2) == 0);
	CHECK(memcmp(a, a2, 32) != 0);
}

static void
test_scalars_elements(void)
{
	/* The group order L, little-endian. */
	static const uint8_t L[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63,
	    0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
	static const uint8_t one[32] = { 1 };
	uint8_t s[32], e[32];

	CHECK(!rkdf_scalar_canonical(L));
	memcpy(s, L, 32);
	s[0]--;
	CHECK(rkdf_scalar_canonical(s) && rkdf_scalar_ok(s));
	memset(s, 0, 32);
	CHECK(rkdf_scalar_canonical(s) && !rkdf_scalar_ok(s));
	memset(s, 0xff, 32);
	CHECK(!rkdf_scalar_ok(s));
	CHECK(rkdf_scalar_ok(one));

	memset(e, 0, 32);
	CHECK(!rkdf_elem_ok(e));		/* the identity */
	CHECK(crypto_scalarmult_ristretto255_base(e, one) == 0);
	CHECK(rkdf_elem_ok(e));			/* the generator */
	e[31] |= 0x80;				/* high bit: not canonical */
	CHECK(!rkdf_elem_ok(e));
	memset(e, 0xff, 32);
	CHECK(!rkdf_elem_ok(e));
	/* The field prime 2^255 - 19 encodes zero non-canonically. */
	memset(e, 0xff, 32);
	e[0] = 0xed;
	e[31] = 0x7f;
	CHECK(!rkdf_elem_ok(e));
}

static void
test_secret_seal(void)
{
	uint8_t key[32], ver[16], sec[32], enc[48], out[32];

	randombytes_buf(key, sizeof(key));
	randombytes_buf(ver, sizeof(ver));
	randombytes_buf(sec, sizeof(sec));
	CHECK(rkdf_seal_secret(key, ver, sec, enc) == 0);
	CHECK(rkdf_open_secret(key, ver, enc, out) == 0);
	CHECK_MEM(out, sec, 32);
	ver[3] ^= 1;
	CHECK(rkdf_open_secret(key, ver, enc, out) == 1);
	ver[3] ^= 1;
	key[0] ^= 1;
	CHECK(rkdf_open_secret(key, ver, enc, out) == 1);
	key[0] ^= 1;
	enc[47] ^= 1;
	CHECK(rkdf_open_secret(key, ver, enc, out) == 1);
}

/* The signed message: enc(label, realm, rid, version, [i], [t], [n], pk). */
static void
test_sig_msg(void)
{
	uint8_t realm[16], rid[16], ver[16], pk[32], m[RKDF_ENC_MAX], w[512];
	uint8_t i = 2, t = 2, n = 3;
	const uint8_t *p[7] = { realm, rid, ver, &i, &t, &n, pk };
	const size_t l[7] = { 16, 16, 16, 1, 1, 1, 32 };
	size_t len, wl;

	randombytes_buf(realm, 16);
	randombytes_buf(rid, 16);
	randombytes_buf(ver, 16);
	randombytes_buf(pk, 32);
	rkdf_sig_msg(realm, rid, ver, i, t, n, pk, m, &len);
	wl = hand_enc(w, "coffer-recovery-v1 oprf key", p, l, 7);
	CHECK(len == wl && memcmp(m, w, wl) == 0);
}

int
main(void)
{

	if (crypto_init())
		return (1);
	RUN(test_req_roundtrip);
	RUN(test_register_ranges);
	RUN(test_resp_roundtrip);
	RUN(test_layout);
	RUN(test_macs);
	RUN(test_salt_rid);
	RUN(test_scalars_elements);
	RUN(test_secret_seal);
	RUN(test_sig_msg);
	return (TEST_EXIT());
}
