/*
 * A recovery realm's endpoints (server/srv_realm.c, docs/RECOVERY.md 4),
 * spoken to over real HTTP: a cofferd server with --realm runs in this
 * process on a loopback port, and a second handle on its realm.db lets
 * the test read each record before and after a request.
 *
 * For every endpoint, each kind of bad input (invalid and identity
 * elements, non-canonical and zero scalars, a public key that is not k*G,
 * a bad signature, out-of-range fields, wrong lengths, oversized bodies,
 * the wrong realm id, the wrong endpoint, missing or weak credentials,
 * and replays of requests already served) is refused with its documented
 * status and reason, and leaves the record exactly as it was.  Then the
 * good paths: a guess is charged by recover2 (and its evaluation is k*U
 * with a valid DLEQ proof), a right recover3 resets the count, a wrong
 * one does not, a spent record is erased and can be registered again,
 * delete removes it, and an account holds at most 16 records.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "recovery/oprf.h"
#include "recovery/rkdf.h"
#include "recovery/rwire.h"
#include "util/buf.h"

#include "srv_config.h"
#include "srv_db.h"
#include "srv_http.h"
#include "srv_metrics.h"
#include "srv_realm.h"
#include "srv_realm_db.h"
#include "srv_store.h"

#include "test.h"

static char DIR[] = "/tmp/test_srv_realm.XXXXXX";
static char BASE[128];
static char TOKEN[SRV_TOKEN_SIZE];
static char HEX[2 * 16 + 1];
static uint8_t REALM_ID[16], RID[16], G_[32];
static struct srv_realm_db *PEEK;

/* The group order L, little-endian: not a canonical scalar. */
static const uint8_t L_[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12,
    0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };

/* One answer. */
struct ans {
	long status;
	struct buf body;
	struct rwire_resp r;	/* decoded when status is 200 */
	int decoded;
};

static size_t
sink(char *p, size_t sz, size_t n, void *cookie)
{

	return (buf_append(cookie, p, sz * n) ? 0 : sz * n);
}

/*
 * http(method, ep, body, len, auth, a): one request; auth "user:secret"
 * or NULL.  The answer's text body ends in a newline, dropped here.
 */
static void
http(const char *method, const char *ep, const uint8_t *body, size_t len,
    const char *auth, struct ans *a)
{
	char url[256];
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Expect:");
	const char *why;

	buf_release(&a->body);
	memset(a, 0, sizeof(*a));
	snprintf(url, sizeof(url), "%s%s", BASE, ep);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	if (auth != NULL)
		curl_easy_setopt(h, CURLOPT_USERPWD, auth);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &a->body);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (a->status == 200 && strcmp(ep, "info") != 0)
		a->decoded = (rwire_resp_decode(a->body.data, a->body.len,
		    &a->r, &why) == 0);
	else if (a->body.len > 0 && a->body.data[a->body.len - 1] == '\n')
		a->body.len--;
}

/* Post the request q to its own endpoint (or ep). */
static void
post(const struct rwire_req *q, const char *ep, struct ans *a)
{
	static const char *eps[] = { "", "register", "recover1", "recover2",
	    "recover3", "delete" };
	uint8_t b[RWIRE_MAX_BODY];
	size_t len;

	if (rwire_req_encode(q, b, &len) != 0)
		return;
	http("POST", ep != NULL ? ep : eps[q->type], b, len, "alice:pw", a);
}

/* The answer was status with exactly the text why. */
static int
text_is(const struct ans *a, long status, const char *why)
{

	if (a->status != status || a->body.len != strlen(why) ||
	    memcmp(a->body.data, why, a->body.len) != 0) {
		fprintf(stderr, "  got HTTP %ld '%.*s', want %ld '%s'\n",
		    a->status, (int)a->body.len, (const char *)a->body.data,
		    status, why);
		return (0);
	}
	return (1);
}

/* The answer was 200 with protocol status st. */
static int
status_is(const struct ans *a, int st)
{

	if (a->status != 200 || !a->decoded || a->r.status != st) {
		fprintf(stderr, "  got HTTP %ld, status %s, want %s\n",
		    a->status, a->decoded ? rwire_status_name(a->r.status) :
		    "-", rwire_status_name(st));
		return (0);
	}
	return (1);
}

/* The record of rid, as stored. */
static void
snap(const uint8_t rid[16], struct realm_rec *r)
{

	memset(r, 0, sizeof(*r));
	if (srv_realm_db_begin(PEEK) == 0) {
		(void)srv_realm_db_get(PEEK, "alice", rid, r);
		(void)srv_realm_db_end(PEEK, 1);
	}
}

static int
same(const struct realm_rec *a, const struct realm_rec *b)
{

	return (memcmp(a, b, sizeof(*a)) == 0);
}

static void
req_init(struct rwire_req *q, int type, const uint8_t rid[16])
{

	memset(q, 0, sizeof(*q));
	q->type = (uint8_t)type;
	memcpy(q->realm_id, REALM_ID, 16);
	memcpy(q->rid, rid, 16);
}

/* recover1: the challenge it issues. */
static int
recover1(const uint8_t rid[16], uint8_t chal[16], struct ans *a)
{
	struct rwire_req q;

	req_init(&q, RW_RECOVER1, rid);
	post(&q, NULL, a);
	if (a->status != 200 || !a->decoded)
		return (-1);
	memcpy(chal, a->r.challenge, 16);
	return (0);
}

/* What a test registration keeps. */
struct reg {
	uint8_t k[32], pk[32], s[32], tag[32], version[16], enc[48];
	uint8_t enc_commitment[32];
};

/* A valid register request (t = n = 1) with the challenge chal. */
static void
make_register(struct rwire_req *q, const uint8_t rid[16],
    const uint8_t chal[16], uint16_t guesses, struct reg *g)
{
	uint8_t sk[64], msg[RKDF_ENC_MAX];
	size_t len;

	req_init(q, RW_REGISTER, rid);
	crypto_core_ristretto255_scalar_random(g->k);
	crypto_core_ristretto255_scalar_random(g->s);
	(void)crypto_scalarmult_ristretto255_base(g->pk, g->k);
	randombytes_buf(g->version, 16);
	randombytes_buf(g->tag, 32);
	randombytes_buf(g->enc, 48);
	randombytes_buf(g->enc_commitment, 32);
	memcpy(q->challenge, chal, 16);
	memcpy(q->version, g->version, 16);
	q->index = q->t = q->n = 1;
	q->num_guesses = guesses;
	memcpy(q->k, g->k, 32);
	memcpy(q->pk, g->pk, 32);
	crypto_sign_keypair(q->vk, sk);
	rkdf_sig_msg(REALM_ID, rid, g->version, 1, 1, 1, g->pk, msg, &len);
	crypto_sign_detached(q->sig, NULL, msg, len, sk);
	randombytes_buf(q->commitment, 32);
	memcpy(q->tag, g->tag, 32);
	memcpy(q->s, g->s, 32);
	memcpy(q->enc, g->enc, 48);
	memcpy(q->enc_commitment, g->enc_commitment, 32);
}

/* Register rid afresh; 0 on success. */
static int
do_register(const uint8_t rid[16], uint16_t guesses, struct reg *g)
{
	struct rwire_req q;
	struct ans a = { 0 };
	uint8_t chal[16];
	int rc = -1;

	if (recover1(rid, chal, &a) == 0) {
		make_register(&q, rid, chal, guesses, g);
		post(&q, NULL, &a);
		rc = status_is(&a, RW_OK) ? 0 : -1;
	}
	buf_release(&a.body);
	return (rc);
}

/* ---------------------------------------------------------------------- */

static void
test_info(void)
{
	struct ans a = { 0 };

	http("GET", "info", NULL, 0, NULL, &a);
	CHECK(a.status == 200);
	CHECK(buf_append(&a.body, "", 1) == 0);
	CHECK(strstr((char *)a.body.data, "\"protocol\":1") != NULL);
	CHECK(strstr((char *)a.body.data, "\"jurisdiction\":\"DE\"") != NULL);
	CHECK(strstr((char *)a.body.data, HEX) != NULL);
	http("POST", "info", (const uint8_t *)"x", 1, "alice:pw", &a);
	CHECK(text_is(&a, 405, "method not allowed"));
	http("GET", "nope", NULL, 0, "alice:pw", &a);
	CHECK(text_is(&a, 404, "no such realm endpoint"));
	buf_release(&a.body);
}

static void
test_auth(void)
{
	struct rwire_req q;
	struct ans a = { 0 };
	char tok[128];
	uint8_t b[64];
	size_t len;

	req_init(&q, RW_RECOVER1, RID);
	CHECK(rwire_req_encode(&q, b, &len) == 0);
	http("POST", "recover1", b, len, NULL, &a);
	CHECK(text_is(&a, 401, "credentials required"));
	http("POST", "recover1", b, len, "alice:wrong", &a);
	CHECK(text_is(&a, 401, "wrong credentials"));
	snprintf(tok, sizeof(tok), "alice:%s", TOKEN);
	http("POST", "recover1", b, len, tok, &a);
	CHECK(text_is(&a, 403, "realm operations need full permission"));
	http("GET", "recover1", NULL, 0, "alice:pw", &a);
	CHECK(text_is(&a, 405, "method not allowed"));
	buf_release(&a.body);
}

/* A register request with one thing wrong is refused, nothing changed. */
static void
bad_register(void (*mutate)(struct rwire_req *), const char *ep,
    long status, const char *why)
{
	struct realm_rec before, after;
	struct rwire_req q;
	struct ans a = { 0 };
	struct reg g;
	uint8_t chal[16];

	CHECK(recover1(RID, chal, &a) == 0);
	make_register(&q, RID, chal, 5, &g);
	mutate(&q);
	snap(RID, &before);
	post(&q, ep, &a);
	CHECK(text_is(&a, status, why));
	snap(RID, &after);
	CHECK(same(&before, &after));
	buf_release(&a.body);
}

static void m_k_noncanon(struct rwire_req *q) { memcpy(q->k, L_, 32); }
static void m_k_zero(struct rwire_req *q) { memset(q->k, 0, 32); }
static void m_s_noncanon(struct rwire_req *q) { memcpy(q->s, L_, 32); }
static void m_s_zero(struct rwire_req *q) { memset(q->s, 0, 32); }
static void m_pk_identity(struct rwire_req *q) { memset(q->pk, 0, 32); }
static void m_pk_invalid(struct rwire_req *q) { memset(q->pk, 0xff, 32); }
static void m_pk_highbit(struct rwire_req *q) { q->pk[31] |= 0x80; }
static void m_pk_other(struct rwire_req *q) { memcpy(q->pk, G_, 32); }
static void m_sig(struct rwire_req *q) { q->sig[5] ^= 1; }
static void m_vk(struct rwire_req *q) { q->vk[0] ^= 1; }
static void m_index(struct rwire_req *q) { q->index = 0; }
static void m_guesses(struct rwire_req *q) { q->num_guesses = 0; }
static void m_realm(struct rwire_req *q) { q->realm_id[0] ^= 1; }
static void m_none(struct rwire_req *q) { (void)q; }

static void
test_register_bad(void)
{
	const char *p = "malformed realm request: ";
	char w[128];

#define BAD(m, ep, st, why) do {					\
	snprintf(w, sizeof(w), "%s%s", p, why);				\
	bad_register(m, ep, st, w);					\
} while (0)
	BAD(m_k_noncanon, NULL, 400, "non-canonical scalar");
	BAD(m_k_zero, NULL, 400, "zero scalar");
	BAD(m_s_noncanon, NULL, 400, "non-canonical scalar");
	BAD(m_s_zero, NULL, 400, "zero scalar");
	BAD(m_pk_identity, NULL, 400, "identity element");
	BAD(m_pk_invalid, NULL, 400, "invalid element");
	BAD(m_pk_highbit, NULL, 400, "invalid element");
	BAD(m_pk_other, NULL, 400, "public key is not k*G");
	BAD(m_sig, NULL, 400, "bad signature");
	BAD(m_vk, NULL, 400, "bad signature");
	BAD(m_index, NULL, 400, "bad share index or threshold");
	BAD(m_guesses, NULL, 400, "guess limit out of range");
	BAD(m_realm, NULL, 400, "wrong realm id");
	BAD(m_none, "recover2", 400, "type does not match the endpoint");
#undef BAD
}

/* Raw bodies: lengths, magic, version, oversized. */
static void
test_raw_bad(void)
{
	struct realm_rec before, after;
	struct rwire_req q;
	struct ans a = { 0 };
	uint8_t b[4096];
	size_t len;

	snap(RID, &before);
	req_init(&q, RW_RECOVER1, RID);
	CHECK(rwire_req_encode(&q, b, &len) == 0);
	http("POST", "recover1", b, len + 1, "alice:pw", &a);
	CHECK(text_is(&a, 400, "malformed realm request: wrong length"));
	http("POST", "recover1", b, len - 1, "alice:pw", &a);
	CHECK(text_is(&a, 400, "malformed realm request: wrong length"));
	http("POST", "recover1", b, 0, "alice:pw", &a);
	CHECK(text_is(&a, 400, "malformed realm request: bad magic"));
	b[4] = 2;
	http("POST", "recover1", b, len, "alice:pw", &a);
	CHECK(text_is(&a, 400,
	    "malformed realm request: unsupported protocol version"));
	b[4] = 1;
	b[5] = 7;
	http("POST", "recover1", b, len, "alice:pw", &a);
	CHECK(text_is(&a, 400,
	    "malformed realm request: unknown message type"));
	memset(b, 0, sizeof(b));
	http("POST", "recover2", b, 1025, "alice:pw", &a);
	CHECK(text_is(&a, 413, "realm request too large"));
	http("POST", "register", b, sizeof(b), "alice:pw", &a);
	CHECK(text_is(&a, 413, "realm request too large"));
	snap(RID, &after);
	CHECK(same(&before, &after));
	buf_release(&a.body);
}

static void
test_recover(void)
{
	struct realm_rec before, after;
	struct rwire_req q, q2, q3;
	struct ans a = { 0 };
	struct reg g;
	uint8_t chal[16], u[32], z[32], r[32], p[32];

	CHECK(do_register(RID, 5, &g) == 0);
	/* Replaying the registration: its challenge is spent. */
	snap(RID, &before);
	CHECK(before.state == REC_REGISTERED && before.guess_count == 0);

	/* recover2's bad inputs, each after a fresh recover1. */
	CHECK(recover1(RID, chal, &a) == 0 && status_is(&a, RW_OK));
	CHECK(memcmp(a.r.version, g.version, 16) == 0);
	CHECK(a.r.num_guesses == 5 && a.r.guess_count == 0);
	crypto_core_ristretto255_scalar_random(r);
	(void)crypto_scalarmult_ristretto255_base(u, r);
	req_init(&q, RW_RECOVER2, RID);
	memcpy(q.challenge, chal, 16);
	memcpy(q.version, g.version, 16);
	snap(RID, &before);
	memset(q.blinded, 0, 32);
	post(&q, NULL, &a);
	CHECK(text_is(&a, 400, "malformed realm request: identity element"));
	memcpy(q.blinded, u, 32);
	q.blinded[31] |= 0x80;
	post(&q, NULL, &a);
	CHECK(text_is(&a, 400, "malformed realm request: invalid element"));
	memcpy(q.blinded, u, 32);
	q.challenge[0] ^= 1;
	post(&q, NULL, &a);
	CHECK(status_is(&a, RW_STALE_CHALLENGE));
	q.challenge[0] ^= 1;
	q.version[0] ^= 1;
	post(&q, NULL, &a);
	CHECK(status_is(&a, RW_VERSION_MISMATCH));
	q.version[0] ^= 1;
	snap(RID, &after);
	CHECK(same(&before, &after));

	/* The good recover2: charged, and Z = k*U with a valid proof. */
	post(&q, NULL, &a);
	CHECK(status_is(&a, RW_OK));
	CHECK(a.r.guess_count == 1 && a.r.num_guesses == 5);
	CHECK(crypto_scalarmult_ristretto255(z, g.k, u) == 0);
	CHECK(memcmp(a.r.evaluated, z, 32) == 0);
	CHECK(memcmp(a.r.pk, g.pk, 32) == 0);
	CHECK(oprf_proof_verify(OPRF_MODE_VOPRF, G_, g.pk,
	    (const uint8_t (*)[32])u, (const uint8_t (*)[32])z, 1,
	    a.r.proof) == 0);
	snap(RID, &before);
	CHECK(before.guess_count == 1 && before.challenge_for == CHAL_STEP3);
	/* Replayed: nothing more charged, nothing released. */
	post(&q, NULL, &a);
	CHECK(status_is(&a, RW_STALE_CHALLENGE));
	snap(RID, &after);
	CHECK(same(&before, &after));

	/* A wrong unlock tag: refused with the guesses left, not reset. */
	req_init(&q3, RW_RECOVER3, RID);
	memcpy(q3.challenge, before.challenge, 16);
	memcpy(q3.version, g.version, 16);
	rkdf_tag_proof(g.tag, REALM_ID, RID, g.version, q3.challenge, p);
	memcpy(q2.tag_proof, p, 32);	/* kept for the replay below */
	q3.tag_proof[0] = p[0] ^ 1;
	memcpy(q3.tag_proof + 1, p + 1, 31);
	post(&q3, NULL, &a);
	CHECK(status_is(&a, RW_BAD_UNLOCK_TAG) && a.r.guesses_left == 4);
	snap(RID, &after);
	CHECK(after.guess_count == 1 && after.challenge_for == CHAL_NONE);
	/* Its challenge is spent: the right proof for it is stale now. */
	memcpy(q3.tag_proof, q2.tag_proof, 32);
	post(&q3, NULL, &a);
	CHECK(status_is(&a, RW_STALE_CHALLENGE));

	/* The right tag after a new guess: released and reset. */
	CHECK(recover1(RID, chal, &a) == 0);
	memcpy(q.challenge, chal, 16);
	post(&q, NULL, &a);
	CHECK(status_is(&a, RW_OK) && a.r.guess_count == 2);
	memcpy(q3.challenge, a.r.challenge, 16);
	rkdf_tag_proof(g.tag, REALM_ID, RID, g.version, q3.challenge,
	    q3.tag_proof);
	post(&q3, NULL, &a);
	CHECK(status_is(&a, RW_OK));
	CHECK(memcmp(a.r.s, g.s, 32) == 0 && memcmp(a.r.enc, g.enc, 48) == 0);
	CHECK(memcmp(a.r.enc_commitment, g.enc_commitment, 32) == 0);
	snap(RID, &after);
	CHECK(after.guess_count == 0 && after.state == REC_REGISTERED);
	/* And that recover3 cannot be replayed either. */
	snap(RID, &before);
	post(&q3, NULL, &a);
	CHECK(status_is(&a, RW_STALE_CHALLENGE));
	snap(RID, &after);
	CHECK(same(&before, &after));
	buf_release(&a.body);
}

static void
test_exhaust(void)
{
	static const uint8_t rid[16] = { 'x' };
	struct realm_rec rec;
	struct rwire_req q;
	struct ans a = { 0 };
	struct reg g;
	uint8_t chal[16], u[32], r[32];
	int i;

	CHECK(do_register(rid, 2, &g) == 0);
	crypto_core_ristretto255_scalar_random(r);
	(void)crypto_scalarmult_ristretto255_base(u, r);
	req_init(&q, RW_RECOVER2, rid);
	memcpy(q.version, g.version, 16);
	memcpy(q.blinded, u, 32);
	for (i = 1; i <= 2; i++) {
		CHECK(recover1(rid, chal, &a) == 0 && status_is(&a, RW_OK));
		memcpy(q.challenge, chal, 16);
		post(&q, NULL, &a);
		CHECK(status_is(&a, RW_OK) && a.r.guess_count == i);
	}
	/* Spent: the next touch erases the record. */
	CHECK(recover1(rid, chal, &a) == 0 && status_is(&a, RW_NO_GUESSES));
	snap(rid, &rec);
	CHECK(rec.state == REC_NO_GUESSES);
	CHECK(sodium_is_zero(rec.k, 32) && sodium_is_zero(rec.s, 32) &&
	    sodium_is_zero(rec.tag, 32) && sodium_is_zero(rec.enc, 48));
	memcpy(q.challenge, chal, 16);
	post(&q, NULL, &a);
	CHECK(status_is(&a, RW_NO_GUESSES));
	/* It can be registered again. */
	CHECK(do_register(rid, 3, &g) == 0);
	snap(rid, &rec);
	CHECK(rec.state == REC_REGISTERED && rec.num_guesses == 3 &&
	    rec.guess_count == 0);

	/* Delete; a replayed delete is stale. */
	CHECK(recover1(rid, chal, &a) == 0);
	req_init(&q, RW_DELETE, rid);
	memcpy(q.challenge, chal, 16);
	post(&q, NULL, &a);
	CHECK(status_is(&a, RW_OK));
	snap(rid, &rec);
	CHECK(rec.state == REC_NONE);
	post(&q, NULL, &a);
	CHECK(status_is(&a, RW_STALE_CHALLENGE));
	snap(rid, &rec);
	CHECK(rec.state == REC_NONE);
	buf_release(&a.body);
}

static void
test_record_limit(void)
{
	struct ans a = { 0 };
	uint8_t rid[16] = { 0 }, chal[16];
	int i, ok = 0;

	/* RID is one; 15 more fit. */
	for (i = 1; i <= 15; i++) {
		rid[0] = 'L';
		rid[1] = (uint8_t)i;
		ok += (recover1(rid, chal, &a) == 0);
	}
	CHECK(ok == 15);
	rid[1] = 99;
	CHECK(recover1(rid, chal, &a) == -1);
	CHECK(text_is(&a, 403, "too many recovery records for this account"));
	buf_release(&a.body);
}

int
main(void)
{
	static const uint8_t one[32] = { 1 };
	struct srv_config cfg;
	struct srv_db *db = NULL;
	struct srv_store *st = NULL;
	struct srv_metrics *m = NULL;
	struct srv_realm *realm = NULL;
	struct srv_server *srv = NULL;
	char path[256], id[SRV_TOKEN_ID_LEN + 1];
	const char *hex;

	setenv("COFFERD_TEST_FAST_HASH", "1", 1);
	if (crypto_init() || mkdtemp(DIR) == NULL ||
	    srv_db_open(DIR, &db) ||
	    srv_user_add(db, "alice", "pw", 2, "test") ||
	    srv_token_add(db, "alice", PERM_READ, NULL, TOKEN, sizeof(TOKEN),
	    id, "test") ||
	    srv_realm_open(DIR, "DE", db, &realm))
		return (1);
	snprintf(path, sizeof(path), "%s/repos", DIR);
	if (srv_config_init(&cfg) || srv_config_set(&cfg, "data", DIR, "t") ||
	    srv_config_set(&cfg, "listen", "127.0.0.1:0", "t") ||
	    srv_config_set(&cfg, "access_log", "off", "t") ||
	    srv_store_fs_open(path, &st) || (m = srv_metrics_new()) == NULL ||
	    srv_http_start(&cfg, db, st, m, realm, NULL, &srv))
		return (1);
	snprintf(BASE, sizeof(BASE), "http://%s/realm/v1/",
	    srv_http_address(srv));
	hex = srv_realm_id_hex(realm);
	snprintf(HEX, sizeof(HEX), "%s", hex);
	if (hex_decode(hex, REALM_ID, 16) ||
	    srv_realm_db_open(DIR, REALM_ID, &PEEK) ||
	    crypto_scalarmult_ristretto255_base(G_, one) != 0)
		return (1);
	memcpy(RID, "record-id-test-1", 16);
	RUN(test_info);
	RUN(test_auth);
	RUN(test_register_bad);
	RUN(test_raw_bad);
	RUN(test_recover);
	RUN(test_exhaust);
	RUN(test_record_limit);
	srv_http_stop(srv, 5);
	srv_realm_db_close(PEEK);
	srv_realm_close(realm);
	srv_metrics_free(m);
	srv_store_free(st);
	srv_db_close(db);
	srv_config_release(&cfg);
	snprintf(path, sizeof(path), "rm -rf %s", DIR);
	if (system(path) != 0)
		fprintf(stderr, "cannot remove %s\n", DIR);
	return (TEST_EXIT());
}
