/*
 * cofferd's S3 storage: every repository's objects in one bucket, under
 * PREFIX/<user>/<repo>/ in restic's layout (config, keys/<id>,
 * data/<id[0..2]>/<id>, index/<id>, snapshots/<id>, locks/<id>), plus an
 * empty marker object PREFIX/<user>/<repo>/.cofferd-repo that says the
 * repository was created (one copied into the bucket from the disk store,
 * with a config and no marker, is given one when first used).  Requests go
 * through the S3 client shared with coffer's s3: backend
 * (lib/backend/s3.c).
 *
 * Uploads: verified before they become visible.  The body is spooled to
 * an unnamed file in the spool directory (on the server's own disk) while
 * its SHA-256 is computed; srv_rest compares that hash with the object's
 * name before it commits; the commit is then one PUT from the spool file,
 * whose signed x-amz-content-sha256 header is that same hash, so the S3
 * service refuses a body that differs from what was checked.  An S3 PUT
 * is atomic: the object appears complete or not at all, and an upload cut
 * short, refused or crashed leaves nothing in the bucket (the spool file
 * has no name; the kernel frees it).  The other way -- a PUT to a
 * temporary key, then a server-side copy -- would write every object twice
 * in the cluster and leave temporary keys behind after a crash.  The cost
 * of the spool: the server needs local disk for the uploads in flight (at
 * most max_connections x max_object_size), and a PUT starts only once its
 * body is in.
 *
 * A content-addressed object is stored with "If-None-Match: *": HTTP 412
 * means the name exists (SRV_PUT_EXISTS), so two uploads of one object
 * are counted once.  A config is looked at first (HEAD): replaced only
 * with a full-permission credential, never by an append-only one, even
 * where a service ignores If-None-Match.
 *
 * Downloads: the first GET (of at most CHUNK bytes) learns the size and
 * the ETag; later parts are ranged GETs with If-Match, so an object
 * replaced meanwhile (only a config can be) cuts the response short
 * instead of mixing two versions.  Requests: a download of n bytes is
 * ceil(n / 8 MiB) GETs, an upload one PUT, a stat one HEAD, a listing one
 * GET per 1,000 objects, a delete a HEAD and a DELETE.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "backend/s3.h"
#include "crypto/crypto.h"
#include "util/warnp.h"

#include "srv_store.h"
#include "srv_store_s3.h"

#define CHUNK		(8u << 20)	/* bytes per GET of a download */
#define KEYMAX		1200
#define MARKER		".cofferd-repo"

struct s3st {
	struct s3 *s;
	char *spool;			/* directory for upload bodies */
	pthread_mutex_t mu;		/* guards known */
	char **known;			/* "user/repo" known to exist, sorted */
	size_t nknown, kcap;
};

struct s3put {
	struct s3st *st;
	enum srv_obj_type type;
	int fd;
	uint64_t size;
	EVP_MD_CTX *md;
	char key[KEYMAX];
};

/* A download in progress: a window of the object in memory. */
struct s3get {
	struct s3st *st;
	char key[KEYMAX];
	char ifmatch[160];		/* "If-Match: <etag>" or "" */
	uint64_t size;
	struct buf win;			/* bytes [woff, woff + win.len) */
	uint64_t woff;
};

/* ---------------------------------------------------------------------- */
/* Keys and the cache of repositories known to exist. */

static int
fmtkey(struct s3st *st, char *k, const char *user, const char *repo,
    const char *rest)
{
	int n;

	n = snprintf(k, KEYMAX, "%s%s/%s/%s", s3_prefix(st->s), user, repo,
	    rest);
	if (n < 0 || n >= KEYMAX) {
		warn0("%s: key too long", s3_shown(st->s));
		return (-1);
	}
	return (0);
}

static int
objkey(struct s3st *st, const struct srv_obj *o, char *k)
{
	char rest[128];

	if (o->type == SRV_OBJ_CONFIG)
		snprintf(rest, sizeof(rest), "config");
	else if (o->type == SRV_OBJ_DATA)
		snprintf(rest, sizeof(rest), "data/%.2s/%s", o->name, o->name);
	else
		snprintf(rest, sizeof(rest), "%s/%s",
		    srv_obj_type_name(o->type), o->name);
	return (fmtkey(st, k, o->user, o->repo, rest));
}

static int
cmpstr(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Whether user/repo is in the cache; with add set, put it there. */
static int
known(struct s3st *st, const char *user, const char *repo, int add)
{
	char name[160], *p = name, **v;
	size_t lo, hi, mid;
	int c, found = 0;

	snprintf(name, sizeof(name), "%s/%s", user, repo);
	pthread_mutex_lock(&st->mu);
	lo = 0;
	hi = st->nknown;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		if ((c = cmpstr(&p, &st->known[mid])) == 0) {
			found = 1;
			break;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (!found && add) {
		if (st->nknown == st->kcap) {
			st->kcap = st->kcap ? 2 * st->kcap : 64;
			if ((v = realloc(st->known, st->kcap * sizeof(*v))) ==
			    NULL)
				goto out;
			st->known = v;
		}
		if ((p = strdup(name)) == NULL)
			goto out;
		memmove(&st->known[lo + 1], &st->known[lo],
		    (st->nknown - lo) * sizeof(*st->known));
		st->known[lo] = p;
		st->nknown++;
	}
out:
	pthread_mutex_unlock(&st->mu);
	return (found);
}

static long put(struct s3st *, const char *, const struct s3_body *,
    const char *, struct s3_sink *);

/*
 * Does the repository exist?  0 yes, 1 no, -1 (reported).  A repository
 * copied into the bucket by other means (a migration from the disk store)
 * has a config but no marker: it gets one.
 */
static int
repo_exists(struct s3st *st, const char *user, const char *repo)
{
	struct s3_sink sk;
	char k[KEYMAX], cfg[KEYMAX];
	int rc;

	if (known(st, user, repo, 0))
		return (0);
	if (fmtkey(st, k, user, repo, MARKER) ||
	    fmtkey(st, cfg, user, repo, "config"))
		return (-1);
	if ((rc = s3_head(st->s, k, NULL)) == 1 &&
	    (rc = s3_head(st->s, cfg, NULL)) == 0 &&
	    put(st, k, NULL, NULL, &sk) != 200)
		rc = -1;
	if (rc == 0)
		known(st, user, repo, 1);
	return (rc);
}

/* PUT a body (NULL: empty) to key, with one more header or NULL. */
static long
put(struct s3st *st, const char *key, const struct s3_body *b,
    const char *hdr, struct s3_sink *sk)
{
	struct s3_req rq = { "PUT", key, NULL, NULL, NULL, NULL };

	rq.body = b;
	rq.hdr = hdr;
	memset(sk, 0, sizeof(*sk));
	return (s3_request(st->s, &rq, sk));
}

/* ---------------------------------------------------------------------- */
/* The operations. */

static int
s3s_repo_create(void *cookie, const char *user, const char *repo)
{
	struct s3st *st = cookie;
	struct s3_sink sk;
	char k[KEYMAX];
	long rc;

	if (known(st, user, repo, 0))
		return (0);
	if (fmtkey(st, k, user, repo, MARKER))
		return (-1);
	if ((rc = put(st, k, NULL, NULL, &sk)) < 0)
		return (-1);
	if (rc != 200) {
		s3_report(st->s, "create repository", k, rc, &sk);
		return (-1);
	}
	known(st, user, repo, 1);
	return (0);
}

/* An unnamed file in the spool directory.  fd or -1 (reported). */
static int
spool_file(struct s3st *st)
{
	char path[4096];
	int fd;

	if ((fd = open(st->spool, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return (fd);
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
		warnp("create a file in %s", st->spool);
		return (-1);
	}
	/* No O_TMPFILE here: a named file, unlinked at once. */
	snprintf(path, sizeof(path), "%s/upload.XXXXXX", st->spool);
	if ((fd = mkostemp(path, O_CLOEXEC)) == -1) {
		warnp("create a file in %s", st->spool);
		return (-1);
	}
	unlink(path);
	return (fd);
}

static void
s3s_put_abort(void *put_)
{
	struct s3put *p = put_;

	if (p == NULL)
		return;
	if (p->fd >= 0)
		close(p->fd);
	EVP_MD_CTX_free(p->md);
	free(p);
}

static int
s3s_put_begin(void *cookie, const struct srv_obj *o, void **out)
{
	struct s3st *st = cookie;
	struct s3put *p;
	int rc;

	if ((rc = repo_exists(st, o->user, o->repo)) != 0)
		return (rc);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	p->st = st;
	p->type = o->type;
	p->fd = -1;
	if (objkey(st, o, p->key) || (p->fd = spool_file(st)) == -1)
		goto err;
	if ((p->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(p->md, EVP_sha256(), NULL) != 1) {
		warn0("SHA-256 context");
		goto err;
	}
	*out = p;
	return (0);
err:
	s3s_put_abort(p);
	return (-1);
}

static int
s3s_put_write(void *put_, const uint8_t *buf, size_t len)
{
	struct s3put *p = put_;
	ssize_t w;

	if (EVP_DigestUpdate(p->md, buf, len) != 1) {
		warn0("SHA-256 update");
		return (-1);
	}
	while (len > 0) {
		if ((w = write(p->fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			warnp("write to the upload spool %s", p->st->spool);
			return (-1);
		}
		buf += w;
		len -= (size_t)w;
		p->size += (uint64_t)w;
	}
	return (0);
}

static int
s3s_put_commit(void *put_, int replace, enum srv_put_result *res,
    uint64_t *oldsize)
{
	struct s3put *p = put_;
	struct s3st *st = p->st;
	struct s3_body body;
	struct s3_sink sk;
	uint8_t h[CRYPTO_HASH_LEN];
	unsigned int hl;
	long rc;
	int ret = -1, r;

	*res = SRV_PUT_STORED;
	*oldsize = 0;
	if (EVP_DigestFinal_ex(p->md, h, &hl) != 1) {
		warn0("SHA-256 final");
		goto done;
	}
	memset(&body, 0, sizeof(body));
	body.fd = p->fd;
	body.len = p->size;
	hex_encode(h, sizeof(h), body.sha256);
	if (p->type == SRV_OBJ_CONFIG) {
		if ((r = s3_head(st->s, p->key, oldsize)) < 0)
			goto done;
		if (r == 0 && !replace) {
			*res = SRV_PUT_EXISTS;
			ret = 0;
			goto done;
		}
		if (r == 0)
			*res = SRV_PUT_REPLACED;
		else
			*oldsize = 0;
	}
	/* Only a config being replaced is written unconditionally. */
	rc = put(st, p->key, &body, *res == SRV_PUT_REPLACED ? NULL :
	    "If-None-Match: *", &sk);
	if (rc < 0)
		goto done;
	if (rc == 412) {
		*res = SRV_PUT_EXISTS;
		*oldsize = 0;
	} else if (rc != 200) {
		s3_report(st->s, "upload", p->key, rc, &sk);
		goto done;
	}
	ret = 0;
done:
	s3s_put_abort(p);
	return (ret);
}

/* Fetch [off, off + CHUNK) of the object into the window.  0 or -1. */
static int
fetch(struct s3get *g, uint64_t off, int first)
{
	struct s3_req rq = { "GET", NULL, NULL, NULL, NULL, NULL };
	struct s3_sink sk;
	char range[64];
	long rc;

	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)off,
	    (unsigned long long)(off + CHUNK - 1));
	rq.key = g->key;
	rq.range = range;
	rq.hdr = g->ifmatch[0] != '\0' ? g->ifmatch : NULL;
	memset(&sk, 0, sizeof(sk));
	sk.body = &g->win;
	if ((rc = s3_request(g->st->s, &rq, &sk)) < 0)
		return (-1);
	if (first && (rc == 404 || rc == 416)) {
		g->win.len = 0;
		return (rc == 404 ? 1 : 2);
	}
	if (rc == 206 && sk.has_total) {
		if (first)
			g->size = sk.total;
		else if (sk.total != g->size)
			goto changed;
	} else if (rc == 200 && first && off == 0) {
		g->size = g->win.len;	/* the whole object, no range */
	} else if (rc == 412) {
		goto changed;
	} else {
		s3_report(g->st->s, "download", g->key, rc, &sk);
		return (-1);
	}
	if (first && sk.etag[0] != '\0')
		snprintf(g->ifmatch, sizeof(g->ifmatch), "If-Match: %s",
		    sk.etag);
	g->woff = off;
	return (0);
changed:
	warn0("download %s%s: the object changed while being sent",
	    s3_shown(g->st->s), g->key + strlen(s3_prefix(g->st->s)));
	return (-1);
}

static ssize_t
get_read(void *cookie, uint64_t pos, uint8_t *dst, size_t max)
{
	struct s3get *g = cookie;
	uint64_t n;

	if (pos >= g->size)
		return (0);
	if (pos < g->woff || pos >= g->woff + g->win.len) {
		if (fetch(g, pos, 0) != 0)
			return (-1);
		if (pos >= g->woff + g->win.len)
			return (-1);	/* shorter than it said */
	}
	n = g->woff + g->win.len - pos;
	if (n > max)
		n = max;
	memcpy(dst, g->win.data + (pos - g->woff), (size_t)n);
	return ((ssize_t)n);
}

static void
get_close(void *cookie)
{
	struct s3get *g = cookie;

	buf_release(&g->win);
	free(g);
}

static int
s3s_get(void *cookie, const struct srv_obj *o, struct srv_body *b)
{
	struct s3st *st = cookie;
	struct s3get *g;
	uint64_t sz;
	int rc;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if ((g = calloc(1, sizeof(*g))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	g->st = st;
	if (objkey(st, o, g->key)) {
		free(g);
		return (-1);
	}
	if ((rc = fetch(g, 0, 1)) == 2) {
		/* 416 on the first bytes: empty, or gone meanwhile. */
		if ((rc = s3_head(st->s, g->key, &sz)) == 0 && sz != 0)
			rc = -1;
	}
	if (rc != 0) {
		get_close(g);
		return (rc);
	}
	b->size = g->size;
	b->read = get_read;
	b->close = get_close;
	b->cookie = g;
	return (0);
}

static int
s3s_stat(void *cookie, const struct srv_obj *o, uint64_t *size)
{
	struct s3st *st = cookie;
	char k[KEYMAX];

	if (objkey(st, o, k))
		return (-1);
	return (s3_head(st->s, k, size));
}

static int
is_name(const char *s)
{
	size_t i;

	for (i = 0; i < SRV_NAME_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
}

struct listing {
	size_t skip;
	int data;
	srv_list_cb *cb;
	void *cookie;
	int n;
};

static int
list_one(void *cookie, const char *key, uint64_t size)
{
	struct listing *l = cookie;
	const char *name = key + l->skip;

	if (l->data) {
		if (strlen(name) != 67 || name[2] != '/' ||
		    name[0] != name[3] || name[1] != name[4])
			return (0);
		name += 3;
	}
	if (!is_name(name))
		return (0);
	l->n++;
	return (l->cb(l->cookie, name, size) ? 2 : 0);
}

static int
s3s_list(void *cookie, const char *user, const char *repo,
    enum srv_obj_type t, srv_list_cb *cb, void *cbc)
{
	struct s3st *st = cookie;
	struct listing l;
	char pfx[KEYMAX], rest[32];
	int rc;

	if (t == SRV_OBJ_CONFIG)
		return (1);
	snprintf(rest, sizeof(rest), "%s/", srv_obj_type_name(t));
	if (fmtkey(st, pfx, user, repo, rest))
		return (-1);
	memset(&l, 0, sizeof(l));
	l.skip = strlen(pfx);
	l.data = (t == SRV_OBJ_DATA);
	l.cb = cb;
	l.cookie = cbc;
	if ((rc = s3_list(st->s, pfx, list_one, &l)) == 2)
		return (0);
	if (rc != 0)
		return (-1);
	/* Nothing listed: an empty repository, or none at all? */
	if (l.n == 0)
		return (repo_exists(st, user, repo));
	return (0);
}

static int
s3s_del(void *cookie, const struct srv_obj *o, uint64_t *size)
{
	struct s3st *st = cookie;
	struct s3_req rq = { "DELETE", NULL, NULL, NULL, NULL, NULL };
	struct s3_sink sk;
	char k[KEYMAX];
	long rc;
	int r;

	if (objkey(st, o, k))
		return (-1);
	if ((r = s3_head(st->s, k, size)) != 0)
		return (r);
	rq.key = k;
	memset(&sk, 0, sizeof(sk));
	if ((rc = s3_request(st->s, &rq, &sk)) < 0)
		return (-1);
	if (rc != 204 && rc != 200) {
		s3_report(st->s, "delete", k, rc, &sk);
		return (-1);
	}
	return (0);
}

/* Is key (after PREFIX/user/) an object of the layout?  1 or 0. */
int
srv_store_s3_layout_key(const char *rest)
{
	const char *slash, *name;
	size_t tl;
	enum srv_obj_type t;

	/* <repo>/config, <repo>/<type>/<name>, <repo>/data/xx/<name> */
	if ((slash = strchr(rest, '/')) == NULL || slash == rest)
		return (0);
	rest = slash + 1;
	if (strcmp(rest, "config") == 0)
		return (1);
	if ((slash = strchr(rest, '/')) == NULL)
		return (0);
	tl = (size_t)(slash - rest);
	if (srv_obj_type_parse(rest, tl, &t) || t == SRV_OBJ_CONFIG)
		return (0);
	name = slash + 1;
	if (t == SRV_OBJ_DATA) {
		if (strlen(name) != 67 || name[2] != '/' ||
		    name[0] != name[3] || name[1] != name[4])
			return (0);
		name += 3;
	}
	return (is_name(name));
}

struct usage {
	size_t skip;
	uint64_t bytes;
	int any;
};

static int
usage_one(void *cookie, const char *key, uint64_t size)
{
	struct usage *u = cookie;

	u->any = 1;
	if (srv_store_s3_layout_key(key + u->skip))
		u->bytes += size;
	return (0);
}

static int
s3s_usage(void *cookie, const char *user, uint64_t *bytes)
{
	struct s3st *st = cookie;
	struct usage u;
	char pfx[KEYMAX];

	*bytes = 0;
	if ((size_t)snprintf(pfx, sizeof(pfx), "%s%s/", s3_prefix(st->s),
	    user) >= sizeof(pfx))
		return (-1);
	memset(&u, 0, sizeof(u));
	u.skip = strlen(pfx);
	if (s3_list(st->s, pfx, usage_one, &u) != 0)
		return (-1);
	*bytes = u.bytes;
	return (u.any ? 0 : 1);
}

static void
s3s_free_store(void *cookie)
{
	struct s3st *st = cookie;
	size_t i;

	if (st == NULL)
		return;
	s3_free(st->s);
	for (i = 0; i < st->nknown; i++)
		free(st->known[i]);
	free(st->known);
	free(st->spool);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

static const struct srv_store_ops s3_ops = {
	"s3",
	s3s_repo_create, s3s_put_begin, s3s_put_write, s3s_put_commit,
	s3s_put_abort, s3s_get, s3s_stat, s3s_list, s3s_del, s3s_usage,
	s3s_free_store
};

struct s3 *
srv_store_s3_client(struct srv_store *st)
{

	return (st->ops == &s3_ops ? ((struct s3st *)st->cookie)->s : NULL);
}

int
srv_store_s3_open(const char *loc, const char *spool, struct srv_store **out)
{
	struct srv_store *st = NULL;
	struct s3st *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (st = malloc(sizeof(*st))) == NULL) {
		warnp("malloc");
		free(s);
		return (-1);
	}
	pthread_mutex_init(&s->mu, NULL);
	if (spool != NULL && ((mkdir(spool, 0700) && errno != EEXIST) ||
	    (s->spool = strdup(spool)) == NULL)) {
		warnp("%s", spool);
		goto err;
	}
	if (s3_open(loc, &s->s))
		goto err;
	/* The bucket must be there and these credentials must reach it. */
	if (s3_bucket_create(s->s))
		goto err;
	st->ops = &s3_ops;
	st->cookie = s;
	*out = st;
	return (0);
err:
	s3s_free_store(s);
	free(st);
	return (-1);
}
