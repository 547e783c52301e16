/*
 * restic's REST protocol over srv_store, with accounts, permissions and
 * quotas from srv_db.
 *
 * Order of checks for every request, each refusal changing nothing:
 *   1. the path (400, 404) -- syntax only, so it reveals nothing (see
 *      srv_rest_path.c, which also maps methods and permissions);
 *   2. the method for that path (405);
 *   3. credentials (401), then tenancy: the account must be the path's
 *      first segment (403);
 *   4. permission, knowing for an upload whether its object exists (403);
 *   5. for an upload: declared size (413), the repository (404), quota for
 *      the declared size (507).
 * An upload is then streamed into the store while SHA-256 is computed;
 * at the end the hash must equal the name (400 otherwise), and only then
 * is the object committed and made visible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "srv_db.h"
#include "srv_logweb.h"
#include "srv_rest.h"

#define CT_TEXT		"text/plain; charset=utf-8"
#define CT_BINARY	"application/octet-stream"
#define CT_V1		"application/vnd.x.restic.rest.v1"
#define CT_V2		"application/vnd.x.restic.rest.v2"
#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

/* srv_rest's state of one request. */
struct rest {
	struct srv_path path;
	enum srv_op op;
	enum srv_perm perm;
	void *put;		/* the store's upload, until committed */
	EVP_MD_CTX *md;		/* SHA-256 of the upload so far */
	uint64_t size;		/* upload bytes so far */
	uint64_t reserved;	/* quota reserved and not yet kept */
	char actor[64];		/* "user:NAME" or "token:<id>", for audit */
};

/* ---------------------------------------------------------------------- */
/* Answers. */

/* Refuse the request with status; the first refusal is the one sent. */
static void
fail(struct srv_req *req, unsigned status, enum srv_error err,
    const char *why)
{

	if (req->resp.status != 0)
		return;
	req->resp.status = status;
	req->resp.ctype = CT_TEXT;
	req->resp.textlen = strlen(why);
	/* The body is the reason and a newline; without memory, no newline. */
	if ((req->resp.text = malloc(req->resp.textlen + 2)) != NULL) {
		memcpy(req->resp.text, why, req->resp.textlen);
		req->resp.text[req->resp.textlen++] = '\n';
		req->resp.text_owned = 1;
	} else {
		req->resp.text = (char *)(uintptr_t)why;
		req->resp.text_owned = 0;
	}
	req->reason = why;
	req->err = (int)err;
}

static void
fail500(struct srv_req *req)
{

	fail(req, 500, ERR_INTERNAL, "internal error");
}

static void
ok(struct srv_req *req)
{

	req->resp.status = 200;
	req->resp.ctype = CT_TEXT;
	req->resp.textlen = 0;
}

static struct srv_obj
obj_of(const struct rest *r)
{
	struct srv_obj o;

	o.user = r->path.user;
	o.repo = r->path.repo;
	o.type = r->path.type;
	o.name = r->path.name;
	return (o);
}

#define STORE(req) ((req)->ctx->store)
#define OPS(req) (STORE(req)->ops)
#define COOKIE(req) (STORE(req)->cookie)

/*
 * authenticate(req, user, &perm): check the request's credentials.
 * 0 with user and perm set, or -1 with the request refused.
 */
static int
authenticate(struct srv_req *req, char user[65], enum srv_perm *perm,
    char actor[64])
{
	struct srv_db *db = req->ctx->db;
	struct srv_cred cred;
	uint8_t h[CRYPTO_HASH_LEN];
	char *tuser = NULL, id[SRV_TOKEN_ID_LEN + 1];
	int rc = 1;

	switch (srv_http_parse_auth(srv_http_header(req, "Authorization"),
	    &cred)) {
	case AUTH_NONE:
		req->resp.www_auth = 1;
		fail(req, 401, ERR_AUTH, "credentials required");
		return (-1);
	case AUTH_BAD:
		rc = 1;
		break;
	case AUTH_BASIC:
		rc = srv_db_auth(db, cred.user, cred.secret, cred.secretlen,
		    perm);
		memcpy(user, cred.user, 65);
		break;
	case AUTH_BEARER:
		rc = srv_db_auth_token(db, cred.secret, &tuser, perm);
		if (rc == 0 && (tuser == NULL || strlen(tuser) > 64))
			rc = -1;
		if (rc == 0)
			strcpy(user, tuser);
		free(tuser);
		break;
	}
	/*
	 * Who, for the audit table: a token (srv_db_auth tries tokens
	 * first) by its public id, else the account's password.
	 */
	if (rc == 0 && cred.secretlen == SRV_TOKEN_LEN &&
	    strncmp(cred.secret, "cft_", 4) == 0) {
		crypto_sha256((const uint8_t *)cred.secret, SRV_TOKEN_LEN, h);
		hex_encode(h, SRV_TOKEN_ID_LEN / 2, id);
		snprintf(actor, 64, "token:%s", id);
	} else if (rc == 0)
		snprintf(actor, 64, "user:%s", user);
	srv_cred_wipe(&cred);
	if (rc == 1) {
		req->resp.www_auth = 1;
		fail(req, 401, ERR_AUTH, "wrong credentials");
	} else if (rc != 0) {
		fail500(req);
	}
	return (rc == 0 ? 0 : -1);
}

int
srv_rest_auth(struct srv_req *req, char user[65], enum srv_perm *perm)
{
	char actor[64];

	return (authenticate(req, user, perm, actor));
}


void
srv_rest_fail(struct srv_req *req, unsigned status, const char *why)
{

	fail(req, status, status == 401 ? ERR_AUTH : status == 403 ?
	    ERR_FORBIDDEN : status >= 500 ? ERR_INTERNAL : ERR_BAD_REQUEST,
	    why);
}

/*
 * audit_object(req, r, what): the audit row of a key slot or snapshot
 * added or removed ("key.add", "snapshot.remove", ...; detail "repo=R
 * id=ID"), written before the change is made, so that no change goes
 * unrecorded (the transparency log publishes these rows).  Other types
 * are not audited.  0, or -1 with the request refused.
 */
static int
audit_object(struct srv_req *req, struct rest *r, const char *what)
{
	char action[32], detail[160];

	if (r->path.type != SRV_OBJ_KEYS && r->path.type != SRV_OBJ_SNAPSHOTS)
		return (0);
	snprintf(action, sizeof(action), "%s.%s",
	    r->path.type == SRV_OBJ_KEYS ? "key" : "snapshot", what);
	snprintf(detail, sizeof(detail), "repo=%s id=%s", r->path.repo,
	    r->path.name);
	if (srv_audit(req->ctx->db, req->user, action, detail, r->actor)) {
		fail500(req);
		return (-1);
	}
	return (0);
}

/* Reserve n bytes of the account's quota.  0, or -1 (refused). */
static int
reserve(struct srv_req *req, struct rest *r, uint64_t n)
{

	switch (srv_usage_reserve(req->ctx->db, req->user, n)) {
	case 0:
		r->reserved += n;
		return (0);
	case 1:
		fail(req, 507, ERR_QUOTA, "quota exceeded");
		return (-1);
	default:
		fail500(req);
		return (-1);
	}
}

/* Drop an upload in progress: nothing of it becomes visible. */
static void
upload_drop(struct srv_req *req, struct rest *r)
{

	OPS(req)->put_abort(r->put);
	r->put = NULL;
}

static void
upload_begin(struct srv_req *req, struct rest *r, int exists)
{
	const struct srv_config *cfg = req->ctx->cfg;
	struct srv_obj o = obj_of(r);
	int rc;

	if (req->content_length >= 0 &&
	    (uint64_t)req->content_length > cfg->max_object_size) {
		fail(req, 413, ERR_BAD_REQUEST, "object too large");
		return;
	}
	if ((r->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(r->md, EVP_sha256(), NULL) != 1) {
		warn0("SHA-256 context");
		fail500(req);
		return;
	}
	if ((rc = OPS(req)->put_begin(COOKIE(req), &o, &r->put)) != 0) {
		r->put = NULL;
		if (rc == 1)
			fail(req, 404, ERR_BAD_REQUEST, "no such repository");
		else
			fail500(req);
		return;
	}
	/*
	 * Reserve the declared size now: no point reading a refused body.
	 * An object that exists already costs nothing more (see
	 * upload_finish), so an account at its quota can still re-send one.
	 */
	if (req->content_length >= 0 && !exists &&
	    reserve(req, r, (uint64_t)req->content_length))
		upload_drop(req, r);
}

int
srv_rest_body(struct srv_req *req, const uint8_t *p, size_t len)
{
	struct rest *r = req->rest;
	uint64_t max = req->ctx->cfg->max_object_size;

	req->bytes_in += len;
	if (r == NULL || r->put == NULL || req->resp.status != 0) {
		/*
		 * Refused already, or no upload: read and drop the rest so
		 * that the answer can be sent, but not without end.
		 */
		return (req->bytes_in > 2 * max ? -1 : 0);
	}
	if (len > max - r->size) {
		upload_drop(req, r);
		fail(req, 413, ERR_BAD_REQUEST, "object too large");
		return (0);
	}
	if (EVP_DigestUpdate(r->md, p, len) != 1 ||
	    OPS(req)->put_write(r->put, p, len)) {
		upload_drop(req, r);
		fail500(req);
		return (0);
	}
	r->size += len;
	return (0);
}

static void
upload_finish(struct srv_req *req, struct rest *r)
{
	uint8_t h[CRYPTO_HASH_LEN];
	char hex[2 * CRYPTO_HASH_LEN + 1];
	enum srv_put_result res;
	struct srv_obj o;
	unsigned int hl;
	uint64_t old;
	void *put;

	if (r->put == NULL || EVP_DigestFinal_ex(r->md, h, &hl) != 1) {
		fail500(req);
		return;
	}
	hex_encode(h, sizeof(h), hex);
	if (r->path.type != SRV_OBJ_CONFIG && strcmp(hex, r->path.name)) {
		upload_drop(req, r);
		fail(req, 400, ERR_HASH, "hash mismatch");
		return;
	}
	if (r->reserved < r->size) {
		/* Not reserved at the headers: chunked, or it existed then. */
		o = obj_of(r);
		if (r->path.type != SRV_OBJ_CONFIG &&
		    OPS(req)->stat(COOKIE(req), &o, &old) == 0) {
			/* The same bytes are stored: nothing to add. */
			upload_drop(req, r);
			if (r->perm != PERM_FULL)
				fail(req, 403, ERR_FORBIDDEN, "object exists");
			else
				ok(req);
			return;
		}
		if (reserve(req, r, r->size - r->reserved)) {
			upload_drop(req, r);
			return;
		}
	}
	if (audit_object(req, r, "add")) {
		upload_drop(req, r);
		return;
	}
	put = r->put;
	r->put = NULL;
	if (OPS(req)->put_commit(put, r->perm == PERM_FULL, &res, &old)) {
		fail500(req);
		return;
	}
	switch (res) {
	case SRV_PUT_STORED:
		r->reserved = 0;	/* kept: the bytes are stored */
		break;
	case SRV_PUT_EXISTS:
		/* The reservation is given back in srv_rest_done. */
		if (r->perm != PERM_FULL) {
			fail(req, 403, ERR_FORBIDDEN, "object exists");
			return;
		}
		break;
	case SRV_PUT_REPLACED:
		r->reserved = 0;
		if (old > 0)
			srv_usage_release(req->ctx->db, req->user, old);
		break;
	}
	ok(req);
}

static void
read_obj(struct srv_req *req, struct rest *r)
{
	struct srv_obj o = obj_of(r);
	struct srv_resp *rs = &req->resp;
	const char *range;
	uint64_t off, len;
	int rc;

	if ((rc = OPS(req)->get(COOKIE(req), &o, &rs->obj)) != 0) {
		if (rc == 1)
			fail(req, 404, ERR_BAD_REQUEST, "no such object");
		else
			fail500(req);
		return;
	}
	rs->has_obj = 1;
	rs->obj_off = 0;
	rs->obj_len = rs->obj.size;
	rs->status = 200;
	rs->ctype = CT_BINARY;
	if (req->method == METHOD_HEAD ||
	    (range = srv_http_header(req, "Range")) == NULL)
		return;
	switch (srv_http_parse_range(range, rs->obj.size, &off, &len)) {
	case 0:
		rs->status = 206;
		rs->obj_off = off;
		rs->obj_len = len;
		snprintf(rs->content_range, sizeof(rs->content_range),
		    "bytes %llu-%llu/%llu", (unsigned long long)off,
		    (unsigned long long)(off + len - 1),
		    (unsigned long long)rs->obj.size);
		break;
	case 2:
		snprintf(rs->content_range, sizeof(rs->content_range),
		    "bytes */%llu", (unsigned long long)rs->obj.size);
		srv_body_release(&rs->obj);
		rs->has_obj = 0;
		rs->status = 0;
		fail(req, 416, ERR_BAD_REQUEST, "range not satisfiable");
		break;
	default:
		break;
	}
}

struct listing {
	struct buf b;
	int v2;
	int n;
};

static int
list_cb(void *cookie, const char *name, uint64_t size)
{
	struct listing *l = cookie;
	char item[128];
	int len;

	if (l->v2)
		len = snprintf(item, sizeof(item), "%s{\"name\":\"%s\","
		    "\"size\":%llu}", l->n ? "," : "", name,
		    (unsigned long long)size);
	else
		len = snprintf(item, sizeof(item), "%s\"%s\"",
		    l->n ? "," : "", name);
	l->n++;
	return (buf_append(&l->b, item, (size_t)len));
}

static void
list_objs(struct srv_req *req, struct rest *r)
{
	const char *accept = srv_http_header(req, "Accept");
	struct listing l = { BUF_INIT, 0, 0 };
	int rc;

	l.v2 = (accept != NULL && strstr(accept, CT_V2) != NULL);
	if (buf_append(&l.b, "[", 1)) {
		fail500(req);
		return;
	}
	rc = OPS(req)->list(COOKIE(req), r->path.user, r->path.repo,
	    r->path.type, list_cb, &l);
	if (rc == 0 && buf_append(&l.b, "]", 1))
		rc = -1;
	if (rc != 0) {
		buf_release(&l.b);
		if (rc == 1)
			fail(req, 404, ERR_BAD_REQUEST, "no such repository");
		else
			fail500(req);
		return;
	}
	req->resp.status = 200;
	req->resp.ctype = l.v2 ? CT_V2 : CT_V1;
	req->resp.text = (char *)l.b.data;
	req->resp.textlen = l.b.len;
	req->resp.text_owned = 1;
}

static void
delete_obj(struct srv_req *req, struct rest *r)
{
	struct srv_obj o = obj_of(r);
	uint64_t size = 0;
	int rc;

	/* Only what exists is audited as removed. */
	if ((r->path.type == SRV_OBJ_KEYS || r->path.type == SRV_OBJ_SNAPSHOTS)
	    && OPS(req)->stat(COOKIE(req), &o, &size) == 0 &&
	    audit_object(req, r, "remove"))
		return;
	if ((rc = OPS(req)->del(COOKIE(req), &o, &size)) != 0) {
		if (rc == 1)
			fail(req, 404, ERR_BAD_REQUEST, "no such object");
		else
			fail500(req);
		return;
	}
	if (size > 0)
		srv_usage_release(req->ctx->db, req->user, size);
	ok(req);
}

static void
create_repo(struct srv_req *req, struct rest *r)
{
	const char *q = srv_http_query(req, "create");

	if (q == NULL || strcmp(q, "true") != 0) {
		fail(req, 400, ERR_BAD_REQUEST,
		    "POST to a repository needs ?create=true");
		return;
	}
	if (OPS(req)->repo_create(COOKIE(req), r->path.user, r->path.repo)) {
		fail500(req);
		return;
	}
	ok(req);
}

/* ---------------------------------------------------------------------- */
/* /metrics */

static void
metrics_begin(struct srv_req *req, struct rest *r)
{
	const struct srv_config *cfg = req->ctx->cfg;
	char user[65];

	if (cfg->metrics_auth == METRICS_OFF) {
		fail(req, 404, ERR_BAD_REQUEST, "metrics are off");
		return;
	}
	if (srv_rest_op(PATH_METRICS, req->method, &r->op)) {
		req->resp.allow = srv_rest_allow(PATH_METRICS);
		fail(req, 405, ERR_BAD_REQUEST, "method not allowed");
		return;
	}
	if (cfg->metrics_auth == METRICS_NONE ||
	    (cfg->metrics_auth == METRICS_LOOPBACK && req->loopback))
		return;
	if (authenticate(req, user, &r->perm, r->actor))
		return;
	strcpy(req->user, user);
	if (strcmp(user, cfg->metrics_user) != 0)
		fail(req, 403, ERR_FORBIDDEN, "not the metrics account");
}

static void
metrics_answer(struct srv_req *req)
{
	struct srv_db_stats st;
	struct buf b = BUF_INIT;
	char extra[1024];

	srv_db_stats(req->ctx->db, &st);
	snprintf(extra, sizeof(extra),
	    "# HELP cofferd_auth_cache_hits_total Credentials answered from "
	    "the cache.\n# TYPE cofferd_auth_cache_hits_total counter\n"
	    "cofferd_auth_cache_hits_total %llu\n"
	    "# HELP cofferd_auth_pwhash_runs_total Argon2id verifications.\n"
	    "# TYPE cofferd_auth_pwhash_runs_total counter\n"
	    "cofferd_auth_pwhash_runs_total %llu\n"
	    "# HELP cofferd_auth_failures_total Credentials refused.\n"
	    "# TYPE cofferd_auth_failures_total counter\n"
	    "cofferd_auth_failures_total %llu\n",
	    (unsigned long long)st.auth_cache_hits,
	    (unsigned long long)st.auth_pwhash_runs,
	    (unsigned long long)st.auth_failures);
	if (srv_metrics_render(req->ctx->metrics, extra, &b)) {
		buf_release(&b);
		fail500(req);
		return;
	}
	req->resp.status = 200;
	req->resp.ctype = CT_METRICS;
	req->resp.text = (char *)b.data;
	req->resp.textlen = b.len;
	req->resp.text_owned = 1;
}

/* ---------------------------------------------------------------------- */
/* The request's steps. */

static enum srv_route
route_of(const struct srv_path *p)
{

	switch (p->kind) {
	case PATH_METRICS:
		return (ROUTE_METRICS);
	case PATH_REPO:
		return (ROUTE_CREATE);
	case PATH_LIST:
		return (ROUTE_LIST);
	case PATH_CONFIG:
		return (ROUTE_CONFIG);
	case PATH_OBJECT:
		return ((enum srv_route)(ROUTE_CONFIG + p->type));
	}
	return (ROUTE_OTHER);
}

void
srv_rest_begin(struct srv_req *req, const char *url)
{
	struct rest *r;
	struct srv_obj o;
	const char *why;
	char user[65];
	uint64_t size;
	int st, exists = 0;

	req->route = ROUTE_OTHER;
	req->otype = -1;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		warnp("calloc");
		fail500(req);
		return;
	}
	req->rest = r;
	if (req->ctx->log != NULL && strncmp(url, "/log/", 5) == 0) {
		srv_logweb_begin(req, url);
		return;
	}
	if ((st = srv_rest_parse_path(url, &r->path, &why)) != 0) {
		fail(req, (unsigned)st, ERR_BAD_REQUEST, why);
		return;
	}
	req->route = route_of(&r->path);
	if (r->path.kind == PATH_METRICS) {
		metrics_begin(req, r);
		return;
	}
	if (r->path.kind != PATH_REPO)
		req->otype = (int)r->path.type;
	snprintf(req->repo, sizeof(req->repo), "%s/%s", r->path.user,
	    r->path.repo);
	if (srv_rest_op(r->path.kind, req->method, &r->op)) {
		req->resp.allow = srv_rest_allow(r->path.kind);
		fail(req, 405, ERR_BAD_REQUEST, "method not allowed");
		return;
	}
	if (authenticate(req, user, &r->perm, r->actor))
		return;
	memcpy(req->user, user, sizeof(req->user));
	if (strcmp(user, r->path.user) != 0) {
		fail(req, 403, ERR_FORBIDDEN, "another account's path");
		return;
	}
	if (r->op == OP_WRITE) {
		/* Whether this would overwrite decides what append may do. */
		o = obj_of(r);
		if ((st = OPS(req)->stat(COOKIE(req), &o, &size)) == -1) {
			fail500(req);
			return;
		}
		exists = (st == 0);
	}
	if (!srv_rest_allowed(r->perm, r->op, r->path.type, exists)) {
		fail(req, 403, ERR_FORBIDDEN, exists ? "object exists" :
		    "permission denied");
		return;
	}
	if (r->op == OP_WRITE)
		upload_begin(req, r, exists);
}

void
srv_rest_finish(struct srv_req *req)
{
	struct rest *r = req->rest;

	if (req->resp.status != 0)
		return;
	if (r == NULL) {
		fail500(req);
		return;
	}
	if (r->path.kind == PATH_METRICS) {
		metrics_answer(req);
		return;
	}
	switch (r->op) {
	case OP_CREATE_REPO:
		create_repo(req, r);
		break;
	case OP_DELETE_REPO:
		fail(req, 501, ERR_BAD_REQUEST,
		    "deleting a repository is not implemented");
		break;
	case OP_READ:
		read_obj(req, r);
		break;
	case OP_LIST:
		list_objs(req, r);
		break;
	case OP_WRITE:
		upload_finish(req, r);
		break;
	case OP_DELETE:
		delete_obj(req, r);
		break;
	}
}

void
srv_rest_done(struct srv_req *req)
{
	struct rest *r = req->rest;

	if (r == NULL)
		return;
	if (r->put != NULL)
		upload_drop(req, r);
	if (r->reserved > 0)
		srv_usage_release(req->ctx->db, req->user, r->reserved);
	EVP_MD_CTX_free(r->md);
	free(r);
	req->rest = NULL;
}
