/*
 * S3 backend: s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX], over the shared S3
 * client (s3.c).  Keys follow the repository layout under PREFIX/:
 * config, keys/<id>, data/<id[0..2]>/<id>, index/<id>, snapshots/<id>,
 * locks/<id> (restic's S3 layout).
 *
 * An S3 PUT is atomic -- the object is visible complete or not at all --
 * so an upload is one PUT.  Its x-amz-content-sha256 header carries the
 * SHA-256 of the bytes, which is signed, and which the service recomputes
 * and checks before it stores anything: a body damaged on the way is
 * refused (and sent again).  Downloads are checked above this layer: the
 * SHA-256 of every object must equal its name (repo_get_sealed,
 * blob_read).  The config is never replaced: it is written with
 * "If-None-Match: *" (HTTP 412 if it exists) after a HEAD that catches
 * services which ignore that header.
 *
 * Requests per operation: put 1 (config 2), get 1, stat 1 (HEAD), list 1
 * per 1,000 objects, remove 2 (HEAD to tell "missing", then DELETE, since
 * S3 answers 204 either way).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/warnp.h"

#include "backend.h"
#include "s3.h"

struct s3b {
	struct s3 *s;
};

#define KEYMAX	1200

static int
objkey(struct s3b *b, enum obj_type t, const char *name, char *k, size_t n)
{
	const char *p = s3_prefix(b->s);
	int r;

	if (t == OBJ_CONFIG)
		r = snprintf(k, n, "%sconfig", p);
	else if (t == OBJ_DATA)
		r = snprintf(k, n, "%sdata/%.2s/%s", p, name, name);
	else
		r = snprintf(k, n, "%s%s/%s", p, backend_type_name(t), name);
	if (r < 0 || (size_t)r >= n) {
		warn0("%s: key too long", s3_shown(b->s));
		return (-1);
	}
	return (0);
}

static int
s3b_create(void *cookie)
{
	struct s3b *b = cookie;
	char key[KEYMAX];
	int rc;

	if (s3_bucket_create(b->s) || objkey(b, OBJ_CONFIG, NULL, key,
	    sizeof(key)))
		return (-1);
	/* Refuse to create over an existing repository. */
	if ((rc = s3_head(b->s, key, NULL)) == 0) {
		errno = EEXIST;
		return (-1);
	}
	return (rc < 0 ? -1 : 0);
}

static int
s3b_put(void *cookie, enum obj_type t, const char *name, const uint8_t *p,
    size_t len)
{
	struct s3b *b = cookie;
	struct s3_req rq = { "PUT", NULL, NULL, NULL, NULL, NULL };
	struct s3_body body;
	struct s3_sink sk;
	char key[KEYMAX];
	long st;
	int rc;

	if (objkey(b, t, name, key, sizeof(key)))
		return (-1);
	if (t == OBJ_CONFIG) {
		if ((rc = s3_head(b->s, key, NULL)) <= 0) {
			if (rc == 0)
				errno = EEXIST;
			return (-1);
		}
		rq.hdr = "If-None-Match: *";
	}
	s3_body_mem(&body, p, len);
	rq.key = key;
	rq.body = &body;
	memset(&sk, 0, sizeof(sk));
	if ((st = s3_request(b->s, &rq, &sk)) < 0)
		return (-1);
	if (st == 412 && t == OBJ_CONFIG) {
		errno = EEXIST;
		return (-1);
	}
	if (st != 200 && st != 201 && st != 204) {
		s3_report(b->s, "upload", key, st, &sk);
		return (-1);
	}
	return (0);
}

static int
s3b_get(void *cookie, enum obj_type t, const char *name, struct buf *out)
{
	struct s3b *b = cookie;
	struct s3_req rq = { "GET", NULL, NULL, NULL, NULL, NULL };
	struct s3_sink sk;
	char key[KEYMAX];
	long st;

	if (objkey(b, t, name, key, sizeof(key)))
		return (-1);
	rq.key = key;
	memset(&sk, 0, sizeof(sk));
	sk.body = out;
	if ((st = s3_request(b->s, &rq, &sk)) < 0)
		return (-1);
	if (st == 404 && !s3_no_bucket(st, &sk))
		return (1);
	if (st != 200) {
		s3_report(b->s, "download", key, st, &sk);
		return (-1);
	}
	return (0);
}

static int
s3b_get_range(void *cookie, enum obj_type t, const char *name,
    uint64_t off, size_t len, uint8_t *dst)
{
	struct s3b *b = cookie;
	struct s3_req rq = { "GET", NULL, NULL, NULL, NULL, NULL };
	struct s3_sink sk;
	char key[KEYMAX], range[64];
	long st;

	if (len == 0)
		return (0);
	if (objkey(b, t, name, key, sizeof(key)))
		return (-1);
	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)off,
	    (unsigned long long)(off + len - 1));
	rq.key = key;
	rq.range = range;
	memset(&sk, 0, sizeof(sk));
	sk.dst = dst;
	sk.cap = len;
	if ((st = s3_request(b->s, &rq, &sk)) < 0)
		return (-1);
	if ((st == 404 && !s3_no_bucket(st, &sk)) || st == 416)
		return (1);
	/* 200: the whole object, which fit: the range was all of it. */
	if (st == 206 || (st == 200 && off == 0))
		return (sk.got == len ? 0 : 1);
	s3_report(b->s, "download", key, st, &sk);
	return (-1);
}

static int
s3b_stat(void *cookie, enum obj_type t, const char *name, uint64_t *size)
{
	struct s3b *b = cookie;
	char key[KEYMAX];

	if (objkey(b, t, name, key, sizeof(key)))
		return (-1);
	return (s3_head(b->s, key, size));
}

struct listctx {
	size_t skip;		/* length of PREFIX/TYPE/ */
	int data;		/* names are XX/NAME */
	backend_list_cb *cb;
	void *cookie;
};

static int
list_one(void *cookie, const char *key, uint64_t size)
{
	struct listctx *l = cookie;
	const char *name = key + l->skip;

	if (l->data) {
		/* "xx/<name>" with xx the name's first two digits. */
		if (strlen(name) != 67 || name[2] != '/' ||
		    name[0] != name[3] || name[1] != name[4])
			return (0);
		name += 3;
	}
	if (!backend_valid_name(name))
		return (0);
	return (l->cb(l->cookie, name, size));
}

static int
s3b_list(void *cookie, enum obj_type t, backend_list_cb *cb, void *c2)
{
	struct s3b *b = cookie;
	struct listctx l;
	char pfx[KEYMAX];

	if (t == OBJ_CONFIG)
		return (0);
	if ((size_t)snprintf(pfx, sizeof(pfx), "%s%s/", s3_prefix(b->s),
	    backend_type_name(t)) >= sizeof(pfx))
		return (-1);
	l.skip = strlen(pfx);
	l.data = (t == OBJ_DATA);
	l.cb = cb;
	l.cookie = c2;
	return (s3_list(b->s, pfx, list_one, &l));
}

static int
s3b_remove(void *cookie, enum obj_type t, const char *name)
{
	struct s3b *b = cookie;
	struct s3_req rq = { "DELETE", NULL, NULL, NULL, NULL, NULL };
	struct s3_sink sk;
	char key[KEYMAX];
	long st;
	int rc;

	if (objkey(b, t, name, key, sizeof(key)))
		return (-1);
	if ((rc = s3_head(b->s, key, NULL)) != 0)
		return (rc);
	rq.key = key;
	memset(&sk, 0, sizeof(sk));
	if ((st = s3_request(b->s, &rq, &sk)) < 0)
		return (-1);
	if (st != 200 && st != 204 && st != 404) {
		s3_report(b->s, "delete", key, st, &sk);
		return (-1);
	}
	return (0);
}

static void
s3b_free(void *cookie)
{
	struct s3b *b = cookie;

	s3_free(b->s);
	free(b);
}

static const struct backend_ops s3b_ops = {
	s3b_create, s3b_put, s3b_get, s3b_get_range, s3b_stat,
	s3b_list, s3b_remove, s3b_free
};

struct backend *
backend_s3_open(const char *loc)
{
	struct backend *be;
	struct s3b *b;

	if ((be = calloc(1, sizeof(*be))) == NULL ||
	    (b = calloc(1, sizeof(*b))) == NULL) {
		warnp("calloc");
		free(be);
		return (NULL);
	}
	if (s3_open(loc, &b->s)) {
		free(b);
		free(be);
		return (NULL);
	}
	if ((be->location = strdup(s3_shown(b->s))) == NULL) {
		s3b_free(b);
		free(be);
		return (NULL);
	}
	be->ops = &s3b_ops;
	be->impl = b;
	be->remote = 1;
	return (be);
}
