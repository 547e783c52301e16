/*
 * A recovery realm's HTTP endpoints (docs/RECOVERY.md section 4).
 *
 * Order of checks, each refusal changing nothing: the endpoint (404) and
 * method (405); the declared body size (413); credentials (401) and full
 * permission (403); at the end of the body, its syntax and values (400);
 * then, inside one transaction on the record, the challenge and the
 * state, answered with a protocol status (200).
 *
 * The one rule that matters most: recover2 charges the guess and commits
 * that to disk (srv_realm_db_end, synchronous=FULL) before it computes,
 * let alone sends, its evaluation.
 *
 * Every event a transparency log would publish goes through realm_event()
 * and nowhere else.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "recovery/oprf.h"
#include "recovery/rkdf.h"
#include "recovery/rwire.h"
#include "util/warnp.h"

#include "srv_db.h"
#include "srv_realm.h"
#include "srv_realm_check.h"
#include "srv_realm_db.h"
#include "srv_rest.h"

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_BINARY	"application/octet-stream"
#define CT_JSON		"application/json"
#define PREFIX		"/realm/v1/"
#define MAX_RECORDS	16	/* per account */

struct srv_realm {
	struct srv_realm_db *db;
	struct srv_db *main;		/* audit rows of events */
	uint8_t id[RWIRE_ID];
	char idhex[2 * RWIRE_ID + 1];
	char jurisdiction[SRV_JURISDICTION_MAX + 1];
	uint8_t gen[RWIRE_ELEM];	/* the generator's encoding */
	int fault;			/* COFFERD_FAULTS builds only */
};

/* Fault injection, compiled only into the test build (tools/). */
enum { FAULT_NONE = 0, FAULT_CRASH_AFTER_CHARGE, FAULT_TAMPER_EVAL };

/* The endpoints; their message type, 0 for info. */
static const struct endpoint {
	const char *name;
	int type;
} endpoints[] = {
	{ "info", 0 },
	{ "register", RW_REGISTER },
	{ "recover1", RW_RECOVER1 },
	{ "recover2", RW_RECOVER2 },
	{ "recover3", RW_RECOVER3 },
	{ "delete", RW_DELETE },
};
#define NENDPOINTS (sizeof(endpoints) / sizeof(endpoints[0]))

/* One request's state. */
struct rreq {
	const struct endpoint *ep;
	uint8_t body[RWIRE_MAX_BODY];
	size_t len;
	int over;			/* more than RWIRE_MAX_BODY came */
};

/* ---------------------------------------------------------------------- */
/* Events. */

/*
 * realm_event(realm, account, rid, action, rec): the one place where the
 * realm's events happen: recovery.register, recovery.charge,
 * recovery.success, recovery.bad_tag, recovery.exhausted,
 * recovery.delete.  Today it writes an audit row in cofferd.db; a
 * transparency log hooks in here.  A failure is reported, not fatal: the
 * realm's own state has been committed already.
 */
static void
realm_event(struct srv_realm *realm, const char *account,
    const uint8_t rid[RWIRE_ID], const char *action,
    const struct realm_rec *rec)
{
	char detail[128], hex[2 * RWIRE_ID + 1];

	hex_encode(rid, RWIRE_ID, hex);
	snprintf(detail, sizeof(detail), "realm=%.8s rid=%s guesses=%u/%u",
	    realm->idhex, hex, rec != NULL ? rec->guess_count : 0,
	    rec != NULL ? rec->num_guesses : 0);
	if (realm->main != NULL &&
	    srv_audit(realm->main, account, action, detail, "realm"))
		warn0("realm: cannot record event %s of %s", action, account);
}

/* ---------------------------------------------------------------------- */
/* Answers. */

static void
fail500(struct srv_req *req)
{

	srv_rest_fail(req, 500, "internal error");
}

/* Send r as the 200 answer; a protocol refusal is named in the log. */
static void
answer(struct srv_req *req, struct rwire_resp *r)
{
	struct srv_resp *rs = &req->resp;
	uint8_t *out;
	size_t len;

	if ((out = malloc(RWIRE_MAX_BODY)) == NULL ||
	    rwire_resp_encode(r, out, &len)) {
		free(out);
		fail500(req);
		return;
	}
	rs->status = 200;
	rs->ctype = CT_BINARY;
	rs->text = (char *)out;
	rs->textlen = len;
	rs->text_owned = 1;
	if (r->status != RW_OK)
		req->reason = rwire_status_name(r->status);
}

/* A refusal with a status; guesses left when it is meaningful. */
static void
refuse(struct srv_req *req, struct rwire_resp *r, int status,
    uint16_t left)
{

	r->status = (uint8_t)status;
	r->guesses_left = left;
	answer(req, r);
}

/* ---------------------------------------------------------------------- */
/* The operations, each one transaction on the record. */

/* Erase a record's secrets: it has no guesses left. */
static void
exhaust(struct realm_rec *rec)
{
	uint16_t ng = rec->num_guesses, gc = rec->guess_count;

	rwire_wipe(rec, sizeof(*rec));
	rec->state = REC_NO_GUESSES;
	rec->num_guesses = ng;
	rec->guess_count = gc;
}

/*
 * load(realm, req, q, rec): begin the transaction and read the record
 * of q->rid into rec.  0 with the transaction open, or -1 (none open).
 */
static int
load(struct srv_realm *realm, const struct srv_req *req,
    const struct rwire_req *q, struct realm_rec *rec)
{

	if (srv_realm_db_begin(realm->db))
		return (-1);
	if (srv_realm_db_get(realm->db, req->user, q->rid, rec)) {
		(void)srv_realm_db_end(realm->db, -1);
		return (-1);
	}
	return (0);
}

static int
chal_ok(const struct realm_rec *rec, const uint8_t *c, int step)
{

	return (rec->state != REC_NONE && rec->challenge_for == step &&
	    sodium_memcmp(rec->challenge, c, RWIRE_CHAL) == 0);
}

static void
op_recover1(struct srv_req *req, struct srv_realm *realm,
    const struct rwire_req *q, struct realm_rec *rec, struct rwire_resp *r)
{
	int64_t n;
	int rc = -1, exhausted = 0;

	if (load(realm, req, q, rec))
		goto done;
	if (rec->state == REC_NONE) {
		if (srv_realm_db_count(realm->db, req->user, &n))
			goto end;
		if (n >= MAX_RECORDS) {
			rc = 1;
			goto end;
		}
		rec->state = REC_NOT_REGISTERED;
	}
	if (rec->state == REC_REGISTERED &&
	    rec->guess_count >= rec->num_guesses) {
		exhaust(rec);
		exhausted = 1;
	}
	crypto_random(rec->challenge, RWIRE_CHAL);
	rec->challenge_for = CHAL_STEP1;
	rc = srv_realm_db_put(realm->db, req->user, q->rid, rec);
end:
	rc = srv_realm_db_end(realm->db, rc);
done:
	if (rc == 1) {
		srv_rest_fail(req, 403,
		    "too many recovery records for this account");
		return;
	}
	if (rc != 0) {
		fail500(req);
		return;
	}
	if (exhausted)
		realm_event(realm, req->user, q->rid, "recovery.exhausted",
		    rec);
	r->status = rec->state == REC_REGISTERED ? RW_OK :
	    rec->state == REC_NO_GUESSES ? RW_NO_GUESSES : RW_NOT_REGISTERED;
	memcpy(r->challenge, rec->challenge, RWIRE_CHAL);
	if (rec->state == REC_REGISTERED)
		memcpy(r->version, rec->version, RWIRE_VER);
	r->num_guesses = rec->num_guesses;
	r->guess_count = rec->guess_count;
	answer(req, r);
}

/* A register request as a fresh record, no guess charged. */
static void
fill(struct realm_rec *rec, const struct rwire_req *q)
{

	rwire_wipe(rec, sizeof(*rec));
	rec->state = REC_REGISTERED;
	rec->challenge_for = CHAL_NONE;
	memcpy(rec->version, q->version, RWIRE_VER);
	rec->index = q->index;
	rec->t = q->t;
	rec->n = q->n;
	memcpy(rec->k, q->k, RWIRE_SCALAR);
	memcpy(rec->pk, q->pk, RWIRE_ELEM);
	memcpy(rec->vk, q->vk, RWIRE_VK);
	memcpy(rec->sig, q->sig, RWIRE_SIG);
	memcpy(rec->commitment, q->commitment, RWIRE_MAC);
	memcpy(rec->tag, q->tag, RWIRE_MAC);
	memcpy(rec->s, q->s, RWIRE_SCALAR);
	memcpy(rec->enc, q->enc, RWIRE_ENC);
	memcpy(rec->enc_commitment, q->enc_commitment, RWIRE_MAC);
	rec->num_guesses = q->num_guesses;
	rec->guess_count = 0;
}

/*
 * register and delete: one transaction, in which recover1's challenge
 * admits writing the whole record or removing it.
 */
static void
op_change(struct srv_req *req, struct srv_realm *realm,
    const struct rwire_req *q, struct realm_rec *rec, struct rwire_resp *r)
{
	int reg = (q->type == RW_REGISTER);
	int rc = -1;

	if (load(realm, req, q, rec))
		goto done;
	if (!chal_ok(rec, q->challenge, CHAL_STEP1)) {
		rc = 1;
	} else if (reg) {
		fill(rec, q);
		rc = srv_realm_db_put(realm->db, req->user, q->rid, rec);
	} else {
		rc = srv_realm_db_del(realm->db, req->user, q->rid);
	}
	rc = srv_realm_db_end(realm->db, rc);
done:
	if (rc == 1) {
		refuse(req, r, RW_STALE_CHALLENGE, 0);
	} else if (rc != 0) {
		fail500(req);
	} else {
		realm_event(realm, req->user, q->rid, reg ?
		    "recovery.register" : "recovery.delete", reg ? rec : NULL);
		answer(req, r);
	}
}

/*
 * The state checks shared by recover2 and recover3: 0 to go on, or the
 * refusal's status (the record unchanged), with *left set.
 */
static int
usable(const struct realm_rec *rec, const struct rwire_req *q, int step,
    uint16_t *left)
{

	*left = 0;
	if (!chal_ok(rec, q->challenge, step))
		return (RW_STALE_CHALLENGE);
	if (rec->state == REC_NOT_REGISTERED)
		return (RW_NOT_REGISTERED);
	if (rec->state == REC_NO_GUESSES)
		return (RW_NO_GUESSES);
	if (sodium_memcmp(rec->version, q->version, RWIRE_VER) != 0)
		return (RW_VERSION_MISMATCH);
	return (0);
}

/* Z = k * U and its proof (RFC 9497 VOPRF BlindEvaluate).  0 or -1. */
static int
evaluate(struct srv_realm *realm, const struct realm_rec *rec,
    const uint8_t u[RWIRE_ELEM], struct rwire_resp *r)
{

	if (oprf_blind_evaluate(rec->k, u, r->evaluated) ||
	    oprf_proof_generate(OPRF_MODE_VOPRF, rec->k, realm->gen, rec->pk,
	    (const uint8_t (*)[OPRF_ELEM])u,
	    (const uint8_t (*)[OPRF_ELEM])r->evaluated, 1, NULL, r->proof))
		return (-1);
#ifdef COFFERD_FAULTS
	if (realm->fault == FAULT_TAMPER_EVAL)
		crypto_core_ristretto255_add(r->evaluated, r->evaluated,
		    realm->gen);
#endif
	return (0);
}

static void
op_recover2(struct srv_req *req, struct srv_realm *realm,
    const struct rwire_req *q, struct realm_rec *rec, struct rwire_resp *r)
{
	uint16_t left = 0;
	int rc = -1, st = 0, exhausted = 0;

	if (load(realm, req, q, rec))
		goto done;
	if ((st = usable(rec, q, CHAL_STEP1, &left)) != 0) {
		rc = 0;		/* nothing to write */
		goto end;
	}
	if (rec->guess_count >= rec->num_guesses) {
		exhaust(rec);
		exhausted = 1;
		st = RW_NO_GUESSES;
	} else {
		/* Charge the guess; a new challenge admits recover3. */
		rec->guess_count++;
		crypto_random(rec->challenge, RWIRE_CHAL);
		rec->challenge_for = CHAL_STEP3;
	}
	rc = srv_realm_db_put(realm->db, req->user, q->rid, rec);
end:
	/* The commit is durable here, before anything is released. */
	rc = srv_realm_db_end(realm->db, rc);
done:
	if (rc != 0) {
		fail500(req);
		return;
	}
	if (exhausted)
		realm_event(realm, req->user, q->rid, "recovery.exhausted",
		    rec);
	if (st != 0) {
		refuse(req, r, st, left);
		return;
	}
	realm_event(realm, req->user, q->rid, "recovery.charge", rec);
#ifdef COFFERD_FAULTS
	if (realm->fault == FAULT_CRASH_AFTER_CHARGE)
		raise(SIGKILL);
#endif
	if (evaluate(realm, rec, q->blinded, r)) {
		fail500(req);
		return;
	}
	r->index = rec->index;
	r->t = rec->t;
	r->n = rec->n;
	r->num_guesses = rec->num_guesses;
	r->guess_count = rec->guess_count;
	memcpy(r->challenge, rec->challenge, RWIRE_CHAL);
	memcpy(r->pk, rec->pk, RWIRE_ELEM);
	memcpy(r->vk, rec->vk, RWIRE_VK);
	memcpy(r->sig, rec->sig, RWIRE_SIG);
	memcpy(r->commitment, rec->commitment, RWIRE_MAC);
	answer(req, r);
}

static void
op_recover3(struct srv_req *req, struct srv_realm *realm,
    const struct rwire_req *q, struct realm_rec *rec, struct rwire_resp *r)
{
	uint8_t want[RWIRE_MAC];
	uint16_t left = 0;
	int rc = -1, st = 0, good = 0, exhausted = 0;

	if (load(realm, req, q, rec))
		goto done;
	if ((st = usable(rec, q, CHAL_STEP3, &left)) != 0) {
		rc = 0;
		goto end;
	}
	rkdf_tag_proof(rec->tag, realm->id, q->rid, rec->version,
	    rec->challenge, want);
	good = (sodium_memcmp(want, q->tag_proof, RWIRE_MAC) == 0);
	sodium_memzero(want, sizeof(want));
	rec->challenge_for = CHAL_NONE;		/* consumed either way */
	if (good) {
		rec->guess_count = 0;
	} else {
		st = RW_BAD_UNLOCK_TAG;
		left = (uint16_t)(rec->num_guesses - rec->guess_count);
		if (left == 0) {
			exhaust(rec);
			exhausted = 1;
		}
	}
	rc = srv_realm_db_put(realm->db, req->user, q->rid, rec);
end:
	rc = srv_realm_db_end(realm->db, rc);
done:
	if (rc != 0) {
		fail500(req);
		return;
	}
	if (st == RW_BAD_UNLOCK_TAG)
		realm_event(realm, req->user, q->rid, "recovery.bad_tag", rec);
	if (exhausted)
		realm_event(realm, req->user, q->rid, "recovery.exhausted",
		    rec);
	if (st != 0) {
		refuse(req, r, st, left);
		return;
	}
	realm_event(realm, req->user, q->rid, "recovery.success", rec);
	memcpy(r->s, rec->s, RWIRE_SCALAR);
	memcpy(r->enc, rec->enc, RWIRE_ENC);
	memcpy(r->enc_commitment, rec->enc_commitment, RWIRE_MAC);
	answer(req, r);
}

/* ---------------------------------------------------------------------- */
/* The request's steps. */

int
srv_realm_match(const char *url)
{
	const char *e = url + sizeof(PREFIX) - 1;

	return (strncmp(url, PREFIX, sizeof(PREFIX) - 1) == 0 &&
	    e[0] != '\0' && strchr(e, '/') == NULL &&
	    strcmp(e, "config") != 0);
}

void
srv_realm_begin(struct srv_req *req, const char *url)
{
	struct rreq *rr;
	enum srv_perm perm;
	char user[65];
	size_t i;

	req->route = ROUTE_REALM;
	req->otype = -1;
	if ((rr = calloc(1, sizeof(*rr))) == NULL) {
		warnp("calloc");
		fail500(req);
		return;
	}
	req->realm = rr;
	for (i = 0; i < NENDPOINTS; i++)
		if (strcmp(url + sizeof(PREFIX) - 1, endpoints[i].name) == 0)
			rr->ep = &endpoints[i];
	if (rr->ep == NULL) {
		srv_rest_fail(req, 404, "no such realm endpoint");
		return;
	}
	if (rr->ep->type == 0) {
		if (req->method != METHOD_GET && req->method != METHOD_HEAD) {
			req->resp.allow = "GET, HEAD";
			srv_rest_fail(req, 405, "method not allowed");
		}
		return;
	}
	if (req->method != METHOD_POST) {
		req->resp.allow = "POST";
		srv_rest_fail(req, 405, "method not allowed");
		return;
	}
	if (req->content_length > RWIRE_MAX_BODY) {
		srv_rest_fail(req, 413, "realm request too large");
		return;
	}
	if (srv_rest_auth(req, user, &perm))
		return;
	memcpy(req->user, user, sizeof(req->user));
	if (perm != PERM_FULL)
		srv_rest_fail(req, 403,
		    "realm operations need full permission");
}

int
srv_realm_body(struct srv_req *req, const uint8_t *p, size_t len)
{
	struct rreq *rr = req->realm;

	req->bytes_in += len;
	if (rr == NULL || req->resp.status != 0 || rr->over)
		return (req->bytes_in > 4 * RWIRE_MAX_BODY ? -1 : 0);
	if (len > sizeof(rr->body) - rr->len) {
		rr->over = 1;
		srv_rest_fail(req, 413, "realm request too large");
		return (0);
	}
	memcpy(rr->body + rr->len, p, len);
	rr->len += len;
	return (0);
}

static void
info(struct srv_req *req, struct srv_realm *realm)
{
	struct srv_resp *rs = &req->resp;
	char *s;
	int n;

	n = asprintf(&s, "{\"protocol\":%d,\"realm_id\":\"%s\","
	    "\"jurisdiction\":\"%s\"}\n", RWIRE_VERSION, realm->idhex,
	    realm->jurisdiction);
	if (n < 0) {
		fail500(req);
		return;
	}
	rs->status = 200;
	rs->ctype = CT_JSON;
	rs->text = s;
	rs->textlen = (size_t)n;
	rs->text_owned = 1;
}

void
srv_realm_finish(struct srv_req *req)
{
	struct srv_realm *realm = req->ctx->realm;
	struct rreq *rr = req->realm;
	struct rwire_req q;
	struct rwire_resp r;
	struct realm_rec rec;
	const char *why = NULL;

	if (req->resp.status != 0)
		return;
	if (rr == NULL || realm == NULL) {
		fail500(req);
		return;
	}
	if (rr->ep->type == 0) {
		info(req, realm);
		return;
	}
	if (rwire_req_decode(rr->body, rr->len, &q, &why)) {
		srv_rest_fail(req, 400, srv_realm_check_reason(why));
		return;
	}
	memset(&r, 0, sizeof(r));
	memset(&rec, 0, sizeof(rec));
	r.type = q.type;
	memcpy(r.realm_id, realm->id, RWIRE_ID);
	if (q.type != rr->ep->type)
		why = "malformed realm request: type does not match the "
		    "endpoint";
	else if (sodium_memcmp(q.realm_id, realm->id, RWIRE_ID) != 0)
		why = "malformed realm request: wrong realm id";
	else if (q.type == RW_REGISTER)
		why = srv_realm_check_register(&q);
	else if (q.type == RW_RECOVER2)
		why = srv_realm_check_elem(q.blinded);
	if (why != NULL) {
		srv_rest_fail(req, 400, why);
		goto done;
	}
	switch (q.type) {
	case RW_RECOVER1:
		op_recover1(req, realm, &q, &rec, &r);
		break;
	case RW_REGISTER:
	case RW_DELETE:
		op_change(req, realm, &q, &rec, &r);
		break;
	case RW_RECOVER2:
		op_recover2(req, realm, &q, &rec, &r);
		break;
	case RW_RECOVER3:
		op_recover3(req, realm, &q, &rec, &r);
		break;
	}
done:
	rwire_wipe(&q, sizeof(q));
	rwire_wipe(&r, sizeof(r));
	rwire_wipe(&rec, sizeof(rec));
}

void
srv_realm_done(struct srv_req *req)
{
	struct rreq *rr = req->realm;

	if (rr == NULL)
		return;
	sodium_memzero(rr->body, sizeof(rr->body));
	free(rr);
	req->realm = NULL;
}

/* ---------------------------------------------------------------------- */
/* Opening. */

int
srv_realm_open(const char *dir, const char *jur, struct srv_db *main,
    struct srv_realm **out)
{
	static const uint8_t one[RWIRE_SCALAR] = { 1 };
	struct srv_realm *realm;

	*out = NULL;
	if (!srv_realm_check_jurisdiction(jur)) {
		warn0("realm: --jurisdiction must be 1 to %d of A-Z a-z 0-9 "
		    "- _ (e.g. an ISO 3166 code such as DE)",
		    SRV_JURISDICTION_MAX);
		return (-1);
	}
	if ((realm = calloc(1, sizeof(*realm))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	snprintf(realm->jurisdiction, sizeof(realm->jurisdiction), "%s", jur);
	realm->main = main;
	if (crypto_scalarmult_ristretto255_base(realm->gen, one) != 0 ||
	    srv_realm_db_open(dir, realm->id, &realm->db)) {
		free(realm);
		return (-1);
	}
	hex_encode(realm->id, RWIRE_ID, realm->idhex);
#ifdef COFFERD_FAULTS
	{
		const char *f = getenv("COFFERD_FAULT");

		if (f != NULL && strcmp(f, "crash-after-charge") == 0)
			realm->fault = FAULT_CRASH_AFTER_CHARGE;
		else if (f != NULL && strcmp(f, "tamper-evaluation") == 0)
			realm->fault = FAULT_TAMPER_EVAL;
		if (realm->fault != FAULT_NONE)
			warn0("realm: fault injection \"%s\" (test build)", f);
	}
#endif
	*out = realm;
	return (0);
}

void
srv_realm_close(struct srv_realm *realm)
{

	if (realm == NULL)
		return;
	srv_realm_db_close(realm->db);
	free(realm);
}

const char *
srv_realm_id_hex(const struct srv_realm *realm)
{

	return (realm->idhex);
}
