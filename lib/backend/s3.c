/*
 * The S3 client's requests: one signed request with retries, listings,
 * bucket creation (the location and credentials are s3_open.c's).  See
 * s3.h for the libcurl SigV4 quirks this code works around.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "s3.h"
#include "s3_impl.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_ok;

static void
global_init(void)
{

	global_ok = (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
}

int
s3_curl_init(void)
{

	pthread_once(&global_once, global_init);
	if (!global_ok) {
		warn0("libcurl initialization failed");
		return (-1);
	}
	return (0);
}

void
s3_handle_free(void *h)
{

	curl_easy_cleanup(h);
}

/* The calling thread's handle, reset for a new request. */
static CURL *
handle(struct s3 *s)
{
	CURL *h;

	if ((h = pthread_getspecific(s->key)) != NULL) {
		curl_easy_reset(h);
		return (h);
	}
	if ((h = curl_easy_init()) == NULL ||
	    pthread_setspecific(s->key, h) != 0) {
		warn0("cannot create an HTTP client handle");
		if (h != NULL)
			curl_easy_cleanup(h);
		return (NULL);
	}
	return (h);
}

const char *
s3_shown(const struct s3 *s)
{

	return (s->shown);
}

const char *
s3_prefix(const struct s3 *s)
{

	return (s->prefix);
}

void
s3_body_mem(struct s3_body *b, const uint8_t *p, size_t len)
{
	uint8_t h[CRYPTO_HASH_LEN];

	b->p = p;
	b->fd = -1;
	b->len = len;
	crypto_sha256(p, len, h);
	hex_encode(h, sizeof(h), b->sha256);
}

/* ---------------------------------------------------------------------- */
/* One request. */

struct xfer {
	struct s3_sink *sk;
	CURL *h;
	const struct s3_body *body;
	uint64_t pos;		/* upload position */
	size_t limit;		/* most body bytes accepted */
};

static size_t
on_data(char *p, size_t sz, size_t n, void *cookie)
{
	struct xfer *x = cookie;
	struct s3_sink *sk = x->sk;
	size_t len = sz * n, room;
	long st = 0;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &st);
	if (st >= 300) {
		/* An error document: keep its beginning for the code. */
		room = sizeof(sk->err) - 1 - sk->errlen;
		memcpy(sk->err + sk->errlen, p, len < room ? len : room);
		sk->errlen += len < room ? len : room;
		return (len);
	}
	if (sk->got + len > x->limit) {
		sk->overflow = 1;
		return (0);
	}
	if (sk->dst != NULL) {
		if (sk->got + len > sk->cap) {
			sk->overflow = 1;
			return (0);
		}
		memcpy(sk->dst + sk->got, p, len);
	} else if (sk->body != NULL && buf_append(sk->body, p, len))
		return (0);
	sk->got += len;
	return (len);
}

/* Headers: ETag and Content-Range (the total of a ranged answer). */
static size_t
on_header(char *p, size_t sz, size_t n, void *cookie)
{
	struct s3_sink *sk = ((struct xfer *)cookie)->sk;
	size_t len = sz * n, vl;
	const char *v, *slash;
	char tmp[64];

	if (len > 5 && strncasecmp(p, "ETag:", 5) == 0) {
		for (v = p + 5, vl = len - 5; vl > 0 && (*v == ' ' ||
		    *v == '\t'); v++, vl--)
			;
		while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
		    v[vl - 1] == ' '))
			vl--;
		if (vl < sizeof(sk->etag)) {
			memcpy(sk->etag, v, vl);
			sk->etag[vl] = '\0';
		}
	} else if (len > 14 && strncasecmp(p, "Content-Range:", 14) == 0 &&
	    (slash = memchr(p, '/', len)) != NULL) {
		vl = len - (size_t)(slash + 1 - p);
		if (vl < sizeof(tmp)) {
			memcpy(tmp, slash + 1, vl);
			tmp[vl] = '\0';
			if (sscanf(tmp, "%" SCNu64, &sk->total) == 1)
				sk->has_total = 1;
		}
	}
	return (len);
}

static size_t
on_read(char *p, size_t sz, size_t n, void *cookie)
{
	struct xfer *x = cookie;
	const struct s3_body *b = x->body;
	size_t len = sz * n;
	ssize_t r;

	if (len > b->len - x->pos)
		len = (size_t)(b->len - x->pos);
	if (len == 0)
		return (0);
	if (b->p != NULL)
		memcpy(p, b->p + x->pos, len);
	else {
		do
			r = pread(b->fd, p, len, (off_t)x->pos);
		while (r == -1 && errno == EINTR);
		if (r <= 0) {
			warnp("read the upload's spool file");
			return (CURL_READFUNC_ABORT);
		}
		len = (size_t)r;
	}
	x->pos += len;
	return (len);
}

static int
on_seek(void *cookie, curl_off_t off, int origin)
{
	struct xfer *x = cookie;

	if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->body->len)
		return (CURL_SEEKFUNC_CANTSEEK);
	x->pos = (uint64_t)off;
	return (CURL_SEEKFUNC_OK);
}

/* The 400s that mean "damaged or slow on the way": worth another try. */
static int
transient(CURLcode cc, long st, const char *code)
{

	if (cc != CURLE_OK)
		return (cc == CURLE_COULDNT_CONNECT || cc == CURLE_SEND_ERROR ||
		    cc == CURLE_RECV_ERROR || cc == CURLE_OPERATION_TIMEDOUT ||
		    cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE ||
		    cc == CURLE_COULDNT_RESOLVE_HOST);
	if (st == 429 || (st >= 500 && st != 501))
		return (1);
	return (st == 400 && (strcmp(code, "RequestTimeout") == 0 ||
	    strcmp(code, "BadDigest") == 0 ||
	    strcmp(code, "XAmzContentSHA256Mismatch") == 0 ||
	    strcmp(code, "IncompleteBody") == 0));
}

/* Sleep before retry number attempt (1, 2, ...): 0.25 s doubling to 8 s,
 * each drawn uniformly from [half, full] so that threads spread out. */
static void
backoff(int attempt)
{
	unsigned int ms = 250u << (attempt - 1 < 5 ? attempt - 1 : 5);
	struct timespec ts;

	ms = ms / 2 + randombytes_uniform(ms / 2 + 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static int
make_url(const struct s3 *s, const struct s3_req *rq, char *url, size_t n)
{
	char enc[3 * S3_MAX_KEY + 1];
	int k;

	if (rq->key != NULL && (strlen(rq->key) > S3_MAX_KEY ||
	    s3_uri_encode(rq->key, 1, enc, sizeof(enc)))) {
		warn0("%s: key too long", s->shown);
		return (-1);
	}
	k = snprintf(url, n, "%s/%s%s%s%s%s", s->host, s->bucket,
	    rq->key != NULL ? "/" : "", rq->key != NULL ? enc : "",
	    rq->query != NULL ? "?" : "", rq->query != NULL ? rq->query : "");
	if (k < 0 || (size_t)k >= n) {
		warn0("%s: URL too long", s->shown);
		return (-1);
	}
	return (0);
}

/* Set up one attempt on h.  Returns the header list to free, or NULL. */
static struct curl_slist *
setup(struct s3 *s, CURL *h, const struct s3_req *rq, const char *url,
    struct xfer *x)
{
	static const char empty_sha[] = "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855";
	struct curl_slist *hdr = NULL, *t;
	char line[128];

	snprintf(line, sizeof(line), "x-amz-content-sha256: %s",
	    rq->body != NULL ? rq->body->sha256 : empty_sha);
	if ((hdr = curl_slist_append(NULL, line)) == NULL ||
	    (s->token != NULL && (t = curl_slist_append(hdr, s->token)) ==
	    NULL) || (rq->hdr != NULL && (t = curl_slist_append(hdr,
	    rq->hdr)) == NULL)) {
		curl_slist_free_all(hdr);
		return (NULL);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
	/* A stalled transfer (under 1 KiB/s for 60 s) is dropped. */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
	curl_easy_setopt(h, CURLOPT_USERNAME, s->ak);
	curl_easy_setopt(h, CURLOPT_PASSWORD, s->sk);
	if (s->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, s->cacert);
	if (strcmp(rq->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(rq->method, "PUT") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)(rq->body != NULL ? rq->body->len : 0));
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
	} else if (strcmp(rq->method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
	if (rq->range != NULL)
		curl_easy_setopt(h, CURLOPT_RANGE, rq->range);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	return (hdr);
}

static void
sink_reset(struct s3_sink *sk)
{

	sk->got = 0;
	sk->length = 0;
	sk->total = 0;
	sk->has_total = 0;
	sk->etag[0] = '\0';
	sk->code[0] = '\0';
	sk->overflow = 0;
	sk->errlen = 0;
	if (sk->body != NULL)
		sk->body->len = 0;
}

long
s3_request(struct s3 *s, const struct s3_req *rq, struct s3_sink *sink)
{
	struct s3_sink local;
	struct curl_slist *hdr;
	struct xfer x;
	char url[S3_URL_MAX];
	CURLcode cc = CURLE_OK;
	curl_off_t cl;
	long st = 0;
	int attempt;
	CURL *h;

	if (sink == NULL) {
		memset(&local, 0, sizeof(local));
		sink = &local;
	}
	if (make_url(s, rq, url, sizeof(url)))
		return (-1);
	for (attempt = 0; attempt <= s->retries; attempt++) {
		if (attempt > 0) {
			if (attempt >= 2)
				warn0("%s %s%s: %s; retry %d of %d", rq->method,
				    s->shown, rq->key != NULL ? rq->key +
				    strlen(s->prefix) : "", cc != CURLE_OK ?
				    curl_easy_strerror(cc) : sink->code[0] ?
				    sink->code : "server error", attempt,
				    s->retries);
			backoff(attempt);
		}
		sink_reset(sink);
		if ((h = handle(s)) == NULL)
			return (-1);
		memset(&x, 0, sizeof(x));
		x.sk = sink;
		x.h = h;
		x.body = rq->body;
		x.limit = rq->query != NULL ? S3_MAX_LISTING : S3_MAX_RESPONSE;
		if ((hdr = setup(s, h, rq, url, &x)) == NULL) {
			warn0("out of memory");
			return (-1);
		}
		cc = curl_easy_perform(h);
		curl_slist_free_all(hdr);
		st = 0;
		if (cc == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
			cl = -1;
			curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
			    &cl);
			sink->length = cl < 0 ? 0 : (uint64_t)cl;
			if (st >= 300)
				s3_error_code(sink->err, sink->errlen,
				    sink->code, sizeof(sink->code));
		}
		if (sink->overflow) {
			warn0("%s %s%s: response too large", rq->method,
			    s->shown, rq->key != NULL ? rq->key : "");
			return (-1);
		}
		if (!transient(cc, st, sink->code))
			break;
	}
	if (cc != CURLE_OK) {
		warn0("%s %s%s: %s (after %d attempts)", rq->method, s->shown,
		    rq->key != NULL ? rq->key + strlen(s->prefix) : "",
		    curl_easy_strerror(cc), attempt > s->retries ?
		    s->retries + 1 : attempt + 1);
		return (-1);
	}
	return (st);
}

int
s3_no_bucket(long st, const struct s3_sink *sk)
{

	return (st == 404 && sk != NULL && strcmp(sk->code, "NoSuchBucket") ==
	    0);
}

void
s3_report(const struct s3 *s, const char *what, const char *key, long st,
    const struct s3_sink *sk)
{
	const char *code = sk != NULL ? sk->code : "";
	const char *k = key != NULL ? key : "";

	if (key != NULL && strncmp(key, s->prefix, strlen(s->prefix)) == 0)
		k = key + strlen(s->prefix);
	if (st == 403 && strcmp(code, "InvalidAccessKeyId") == 0)
		warn0("%s %s%s: the service does not know this access key "
		    "(HTTP 403 InvalidAccessKeyId): check AWS_ACCESS_KEY_ID "
		    "or the credentials profile", what, s->shown, k);
	else if (st == 403 && strcmp(code, "SignatureDoesNotMatch") == 0)
		warn0("%s %s%s: the request's signature is refused (HTTP 403 "
		    "SignatureDoesNotMatch): check AWS_SECRET_ACCESS_KEY or "
		    "the credentials profile", what, s->shown, k);
	else if (st == 403 && strcmp(code, "RequestTimeTooSkewed") == 0)
		warn0("%s %s%s: this machine's clock is too far from the "
		    "service's (HTTP 403 RequestTimeTooSkewed)", what,
		    s->shown, k);
	else if (st == 403)
		warn0("%s %s%s: access denied (HTTP 403%s%s): the credentials "
		    "are not allowed to do this in bucket %s", what, s->shown,
		    k, code[0] ? " " : "", code, s->bucket);
	else if (s3_no_bucket(st, sk))
		warn0("%s %s%s: bucket %s does not exist at %s (coffer init "
		    "creates it)", what, s->shown, k, s->bucket, s->host);
	else if (st == 409 && strcmp(code, "BucketAlreadyExists") == 0)
		warn0("%s %s: the bucket name %s belongs to another account",
		    what, s->shown, s->bucket);
	else
		warn0("%s %s%s: the service answered HTTP %ld%s%s", what,
		    s->shown, k, st, code[0] ? " " : "", code);
}

/* ---------------------------------------------------------------------- */
/* Listings and buckets. */

int
s3_list(struct s3 *s, const char *prefix, s3_list_cb *cb, void *cookie)
{
	struct buf b = BUF_INIT;
	struct s3_sink sk;
	struct s3_page pg = { NULL, 0, 0, NULL };
	struct s3_req rq = { "GET", NULL, NULL, NULL, NULL, NULL };
	char *query = NULL, *token = NULL, ep[3 * S3_MAX_KEY + 1];
	char *et = NULL;
	size_t i, etlen;
	long st;
	int rc = -1;

	if (s3_uri_encode(prefix, 0, ep, sizeof(ep))) {
		warn0("%s: prefix too long", s->shown);
		return (-1);
	}
	for (;;) {
		free(query);
		query = NULL;
		if (token == NULL) {
			if (asprintf(&query, "list-type=2&prefix=%s", ep) < 0)
				query = NULL;
		} else {
			etlen = 3 * strlen(token) + 1;
			if ((et = malloc(etlen)) != NULL &&
			    s3_uri_encode(token, 0, et, etlen) == 0 &&
			    asprintf(&query, "continuation-token=%s&"
			    "list-type=2&prefix=%s", et, ep) < 0)
				query = NULL;
			free(et);
			et = NULL;
		}
		if (query == NULL) {
			warn0("out of memory");
			goto done;
		}
		memset(&sk, 0, sizeof(sk));
		sk.body = &b;
		rq.query = query;
		if ((st = s3_request(s, &rq, &sk)) < 0)
			goto done;
		if (st != 200) {
			s3_report(s, "list", prefix, st, &sk);
			goto done;
		}
		if (s3_list_parse((const char *)b.data, b.len, &pg)) {
			warn0("list %s%s: malformed answer from the service",
			    s->shown, prefix + strlen(s->prefix));
			goto done;
		}
		for (i = 0; i < pg.n; i++) {
			if (strncmp(pg.v[i].key, prefix, strlen(prefix)) != 0)
				continue;	/* not asked for */
			if ((rc = cb(cookie, pg.v[i].key, pg.v[i].size)) != 0)
				goto done;
		}
		rc = -1;
		if (!pg.truncated)
			break;
		if (pg.next == NULL || (token != NULL &&
		    strcmp(token, pg.next) == 0)) {
			warn0("list %s%s: truncated listing without a new "
			    "continuation token", s->shown,
			    prefix + strlen(s->prefix));
			goto done;
		}
		free(token);
		token = pg.next;
		pg.next = NULL;
		s3_page_release(&pg);
	}
	rc = 0;
done:
	s3_page_release(&pg);
	free(token);
	free(query);
	buf_release(&b);
	return (rc);
}

int
s3_head(struct s3 *s, const char *key, uint64_t *size)
{
	struct s3_req rq = { "HEAD", key, NULL, NULL, NULL, NULL };
	struct s3_sink sk;
	long st;

	memset(&sk, 0, sizeof(sk));
	if ((st = s3_request(s, &rq, &sk)) < 0)
		return (-1);
	if (st == 404)
		return (1);
	if (st != 200) {
		s3_report(s, "stat", key, st, &sk);
		return (-1);
	}
	if (size != NULL)
		*size = sk.length;
	return (0);
}

int
s3_bucket_create(struct s3 *s)
{
	struct s3_req rq = { "PUT", NULL, NULL, NULL, NULL, NULL };
	struct s3_sink sk;
	struct s3_body body;
	char *xml = NULL;
	long st;

	/* Outside us-east-1, AWS wants the region named in the body. */
	if (strcmp(s->region, "us-east-1") != 0) {
		if (asprintf(&xml, "<CreateBucketConfiguration xmlns=\"http://"
		    "s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>"
		    "%s</LocationConstraint></CreateBucketConfiguration>",
		    s->region) < 0) {
			warn0("out of memory");
			return (-1);
		}
		s3_body_mem(&body, (const uint8_t *)xml, strlen(xml));
		rq.body = &body;
	}
	memset(&sk, 0, sizeof(sk));
	st = s3_request(s, &rq, &sk);
	/* Ceph knows zone groups, not regions: try again without. */
	if (st == 400 && rq.body != NULL &&
	    strcmp(sk.code, "InvalidLocationConstraint") == 0) {
		rq.body = NULL;
		st = s3_request(s, &rq, &sk);
	}
	free(xml);
	if (st < 0)
		return (-1);
	if (st == 200 || (st == 409 &&
	    strcmp(sk.code, "BucketAlreadyOwnedByYou") == 0))
		return (0);
	s3_report(s, "create bucket", NULL, st, &sk);
	return (-1);
}
