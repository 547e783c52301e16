/*
 * REST backend: restic's REST protocol (v2 listings), spoken to cofferd or
 * restic's rest-server, over libcurl with keep-alive (one easy handle per
 * thread).  Location: rest:http(s)://[USER:SECRET@]HOST[:PORT]/PATH/.
 * Transient failures (connection errors, timeouts, 5xx but 507, 429) are
 * retried with exponential backoff; credentials never appear in messages.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "util/warnp.h"

#include "backend.h"

#define REST_MAX_RESPONSE	(1024u * 1024 * 1024)
#define V2_TYPE	"application/vnd.x.restic.rest.v2"

struct rest {
	char *base;		/* http(s)://host:port/path/ (no credentials) */
	char *userpwd;		/* "user:secret" or NULL */
	char *shown;		/* base for messages */
	char *cacert;		/* COFFER_CACERT: a CA bundle to trust */
	int retries;
	pthread_key_t key;	/* per-thread CURL handle */
};

struct resp {
	struct buf *body;	/* may be NULL: discard */
	uint8_t *dst;		/* or: write here, at most cap bytes */
	size_t cap, got;
	int overflow;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static int global_ok;

static void
global_init(void)
{

	global_ok = (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
}

static void
handle_free(void *h)
{

	curl_easy_cleanup(h);
}

static CURL *
handle(struct rest *r)
{
	CURL *h;

	if ((h = pthread_getspecific(r->key)) != NULL) {
		curl_easy_reset(h);
		return (h);
	}
	if ((h = curl_easy_init()) == NULL ||
	    pthread_setspecific(r->key, h) != 0) {
		warn0("cannot create an HTTP client handle");
		if (h != NULL)
			curl_easy_cleanup(h);
		return (NULL);
	}
	return (h);
}

static size_t
on_data(char *p, size_t sz, size_t n, void *cookie)
{
	struct resp *rs = cookie;
	size_t len = sz * n;

	if (rs == NULL)
		return (len);	/* a body nobody asked for: discard */
	if (rs->got + len > REST_MAX_RESPONSE) {
		rs->overflow = 1;
		return (0);
	}
	if (rs->dst != NULL) {
		if (rs->got + len > rs->cap) {
			rs->overflow = 1;
			return (0);
		}
		memcpy(rs->dst + rs->got, p, len);
	} else if (rs->body != NULL && buf_append(rs->body, p, len))
		return (0);
	rs->got += len;
	return (len);
}

static int
objurl(struct rest *r, enum obj_type t, const char *name, char *u, size_t n)
{
	int k;

	if (t == OBJ_CONFIG)
		k = snprintf(u, n, "%sconfig", r->base);
	else if (name == NULL)
		k = snprintf(u, n, "%s%s/", r->base, backend_type_name(t));
	else
		k = snprintf(u, n, "%s%s/%s", r->base, backend_type_name(t),
		    name);
	return ((k < 0 || (size_t)k >= n) ? -1 : 0);
}

static int
transient(CURLcode cc, long status)
{

	if (cc != CURLE_OK)
		return (cc == CURLE_COULDNT_CONNECT || cc == CURLE_SEND_ERROR ||
		    cc == CURLE_RECV_ERROR || cc == CURLE_OPERATION_TIMEDOUT ||
		    cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE ||
		    cc == CURLE_COULDNT_RESOLVE_HOST);
	return (status == 429 || (status >= 500 && status != 507 &&
	    status != 501));
}

/* Say what a final failure means, in words. */
static void
report(struct rest *r, const char *what, const char *path, CURLcode cc,
    long status)
{

	if (cc != CURLE_OK)
		warn0("%s %s%s: %s", what, r->shown, path,
		    curl_easy_strerror(cc));
	else if (status == 401)
		warn0("%s %s%s: authentication failed (HTTP 401): check the "
		    "user and password or token in the URL", what, r->shown,
		    path);
	else if (status == 403)
		warn0("%s %s%s: permission denied (HTTP 403): the credential "
		    "is read-only or append-only, or not for this account",
		    what, r->shown, path);
	else if (status == 507)
		warn0("%s %s%s: the account is over its quota (HTTP 507)",
		    what, r->shown, path);
	else
		warn0("%s %s%s: server answered HTTP %ld", what, r->shown,
		    path, status);
}

/*
 * One request, retried while the failure is transient.  Returns the HTTP
 * status (>= 100), or -1 after a final transport failure (reported).
 */
static long
request(struct rest *r, const char *method, const char *url,
    const uint8_t *body, size_t blen, const char *range, int v2,
    struct resp *rs, uint64_t *clen)
{
	struct curl_slist *hdr = NULL;
	CURLcode cc = CURLE_OK;
	long status = 0;
	int attempt;
	CURL *h;

	for (attempt = 0; attempt <= r->retries; attempt++) {
		if (attempt > 0) {
			/* 0.25 s, 0.5 s, 1 s ... capped at 8 s. */
			unsigned int ms = 250u << (attempt - 1 < 5 ?
			    attempt - 1 : 5);
			struct timespec ts = { ms / 1000,
			    (long)(ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
			if (rs != NULL) {
				rs->got = 0;
				rs->overflow = 0;
				if (rs->body != NULL)
					rs->body->len = 0;
			}
		}
		if ((h = handle(r)) == NULL)
			return (-1);
		hdr = curl_slist_append(NULL, "Expect:");
		if (v2)
			hdr = curl_slist_append(hdr, "Accept: " V2_TYPE);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 20L);
		/* A stalled transfer (under 1 KiB/s for 60 s) is dropped. */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
		if (r->cacert != NULL)
			curl_easy_setopt(h, CURLOPT_CAINFO, r->cacert);
		if (r->userpwd != NULL) {
			curl_easy_setopt(h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
			curl_easy_setopt(h, CURLOPT_USERPWD, r->userpwd);
		}
		if (strcmp(method, "HEAD") == 0)
			curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		else if (strcmp(method, "POST") == 0) {
			curl_easy_setopt(h, CURLOPT_POST, 1L);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS,
			    body != NULL ? (const char *)body : "");
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)blen);
		} else if (strcmp(method, "DELETE") == 0)
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
		if (range != NULL)
			curl_easy_setopt(h, CURLOPT_RANGE, range);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, rs);
		cc = curl_easy_perform(h);
		curl_slist_free_all(hdr);
		status = 0;
		if (cc == CURLE_OK) {
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
			if (clen != NULL) {
				curl_off_t cl = -1;

				curl_easy_getinfo(h,
				    CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
				*clen = cl < 0 ? 0 : (uint64_t)cl;
			}
		}
		if (rs != NULL && rs->overflow) {
			warn0("%s: response too large", r->shown);
			return (-1);
		}
		if (!transient(cc, status))
			break;
	}
	if (cc != CURLE_OK) {
		report(r, method, strncmp(url, r->base, strlen(r->base)) == 0 ?
		    url + strlen(r->base) : url, cc, 0);
		return (-1);
	}
	return (status);
}

static int
rest_create(void *cookie)
{
	struct rest *r = cookie;
	char url[2048];
	long st;

	/* Refuse to create over an existing repository. */
	if (objurl(r, OBJ_CONFIG, NULL, url, sizeof(url)))
		return (-1);
	if ((st = request(r, "HEAD", url, NULL, 0, NULL, 0, NULL, NULL)) < 0)
		return (-1);
	if (st == 200) {
		errno = EEXIST;
		return (-1);
	}
	snprintf(url, sizeof(url), "%s?create=true", r->base);
	if ((st = request(r, "POST", url, NULL, 0, NULL, 0, NULL, NULL)) < 0)
		return (-1);
	if (st != 200) {
		report(r, "create", "", CURLE_OK, st);
		return (-1);
	}
	return (0);
}

static int
rest_put(void *cookie, enum obj_type t, const char *name, const uint8_t *p,
    size_t len)
{
	struct rest *r = cookie;
	char url[2048];
	long st;

	if (objurl(r, t, name, url, sizeof(url)))
		return (-1);
	if (t == OBJ_CONFIG) {
		/* A config is never replaced. */
		st = request(r, "HEAD", url, NULL, 0, NULL, 0, NULL, NULL);
		if (st < 0)
			return (-1);
		if (st == 200) {
			errno = EEXIST;
			return (-1);
		}
	}
	if ((st = request(r, "POST", url, p, len, NULL, 0, NULL, NULL)) < 0)
		return (-1);
	if (st != 200 && st != 201) {
		report(r, "upload", url + strlen(r->base), CURLE_OK, st);
		return (-1);
	}
	return (0);
}

static int
rest_get(void *cookie, enum obj_type t, const char *name, struct buf *out)
{
	struct rest *r = cookie;
	struct resp rs = { out, NULL, 0, 0, 0 };
	char url[2048];
	long st;

	if (objurl(r, t, name, url, sizeof(url)))
		return (-1);
	out->len = 0;
	if ((st = request(r, "GET", url, NULL, 0, NULL, 0, &rs, NULL)) < 0)
		return (-1);
	if (st == 404)
		return (1);
	if (st != 200) {
		report(r, "download", url + strlen(r->base), CURLE_OK, st);
		return (-1);
	}
	return (0);
}

static int
rest_get_range(void *cookie, enum obj_type t, const char *name,
    uint64_t off, size_t len, uint8_t *dst)
{
	struct rest *r = cookie;
	struct buf whole = BUF_INIT;
	struct resp rs = { NULL, dst, len, 0, 0 };
	char url[2048], range[64];
	long st;

	if (len == 0)
		return (0);
	if (objurl(r, t, name, url, sizeof(url)))
		return (-1);
	snprintf(range, sizeof(range), "%llu-%llu", (unsigned long long)off,
	    (unsigned long long)(off + len - 1));
	if ((st = request(r, "GET", url, NULL, 0, range, 0, &rs, NULL)) < 0)
		return (-1);
	if (st == 404 || st == 416)
		return (1);
	if (st == 206)
		return (rs.got == len ? 0 : 1);
	if (st != 200) {
		report(r, "download", url + strlen(r->base), CURLE_OK, st);
		return (-1);
	}
	/* The server ignored the range: take the slice of the whole body. */
	rs.body = &whole;
	rs.dst = NULL;
	rs.got = 0;
	if ((st = request(r, "GET", url, NULL, 0, NULL, 0, &rs, NULL)) != 200 ||
	    whole.len < off + len) {
		buf_release(&whole);
		return (st < 0 ? -1 : 1);
	}
	memcpy(dst, whole.data + off, len);
	buf_release(&whole);
	return (0);
}

static int
rest_stat(void *cookie, enum obj_type t, const char *name, uint64_t *size)
{
	struct rest *r = cookie;
	char url[2048];
	long st;

	if (objurl(r, t, name, url, sizeof(url)))
		return (-1);
	if ((st = request(r, "HEAD", url, NULL, 0, NULL, 0, NULL, size)) < 0)
		return (-1);
	if (st == 404)
		return (1);
	if (st != 200) {
		report(r, "stat", url + strlen(r->base), CURLE_OK, st);
		return (-1);
	}
	return (0);
}

static int
rest_list(void *cookie, enum obj_type t, backend_list_cb *cb, void *c2)
{
	struct rest *r = cookie;
	struct buf b = BUF_INIT;
	struct resp rs = { &b, NULL, 0, 0, 0 };
	json_t *j = NULL, *e;
	char url[2048];
	size_t i;
	long st;
	int rc = -1;

	if (t == OBJ_CONFIG)
		return (0);
	if (objurl(r, t, NULL, url, sizeof(url)))
		return (-1);
	if ((st = request(r, "GET", url, NULL, 0, NULL, 1, &rs, NULL)) < 0)
		goto done;
	if (st == 404) {
		rc = 0;
		goto done;
	}
	if (st != 200) {
		report(r, "list", url + strlen(r->base), CURLE_OK, st);
		goto done;
	}
	if ((j = json_loadb((const char *)b.data, b.len, 0, NULL)) == NULL ||
	    !json_is_array(j)) {
		warn0("list %s%s/: malformed listing from the server",
		    r->shown, backend_type_name(t));
		goto done;
	}
	rc = 0;
	json_array_foreach(j, i, e) {
		const char *name;
		json_int_t size = 0;

		/* v2: {"name","size"}; v1: "name". */
		if (json_is_string(e))
			name = json_string_value(e);
		else if (json_unpack(e, "{s:s, s:I}", "name", &name, "size",
		    &size) != 0 || size < 0)
			continue;
		if (!backend_valid_name(name))
			continue;
		if ((rc = cb(c2, name, (uint64_t)size)) != 0)
			break;
	}
done:
	json_decref(j);
	buf_release(&b);
	return (rc);
}

static int
rest_remove(void *cookie, enum obj_type t, const char *name)
{
	struct rest *r = cookie;
	char url[2048];
	long st;

	if (objurl(r, t, name, url, sizeof(url)))
		return (-1);
	if ((st = request(r, "DELETE", url, NULL, 0, NULL, 0, NULL, NULL)) < 0)
		return (-1);
	if (st == 404)
		return (1);
	if (st != 200 && st != 204) {
		report(r, "delete", url + strlen(r->base), CURLE_OK, st);
		return (-1);
	}
	return (0);
}

static void
rest_free(void *cookie)
{
	struct rest *r = cookie;
	CURL *h;

	if ((h = pthread_getspecific(r->key)) != NULL) {
		curl_easy_cleanup(h);
		pthread_setspecific(r->key, NULL);
	}
	pthread_key_delete(r->key);
	if (r->userpwd != NULL) {
		memset(r->userpwd, 0, strlen(r->userpwd));
		free(r->userpwd);
	}
	free(r->base);
	free(r->shown);
	free(r->cacert);
	free(r);
}

static const struct backend_ops rest_ops = {
	rest_create, rest_put, rest_get, rest_get_range, rest_stat,
	rest_list, rest_remove, rest_free
};

int
backend_rest_fetch(struct backend *b, const char *path, int auth,
    struct buf *out)
{
	struct rest *r;
	struct resp rs;
	const char *host, *slash;
	char url[2048];
	char *saved;
	long st;

	if (b == NULL || b->ops != &rest_ops)
		return (-1);
	r = b->impl;
	host = strstr(r->base, "://") + 3;
	slash = strchr(host, '/');
	if (slash == NULL || (size_t)snprintf(url, sizeof(url), "%.*s%s",
	    (int)(slash - r->base), r->base, path) >= sizeof(url)) {
		warn0("%s: URL too long", r->shown);
		return (-1);
	}
	memset(&rs, 0, sizeof(rs));
	rs.body = out;
	out->len = 0;
	/* Without credentials unless asked: public resources stay public. */
	saved = r->userpwd;
	if (!auth)
		r->userpwd = NULL;
	st = request(r, "GET", url, NULL, 0, NULL, 0, &rs, NULL);
	r->userpwd = saved;
	if (st == 404)
		return (1);
	if (st != 200) {
		if (st > 0)
			warn0("%s%s: HTTP %ld", r->shown, path + 1, st);
		return (-1);
	}
	return (0);
}

/* Percent-decode s[0..n) into a new string (as restic does for userinfo). */
static char *
pct_decode(const char *s, size_t n)
{
	char *o, *p;
	size_t i;
	unsigned int v;

	if ((o = p = malloc(n + 1)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    sscanf(s + i + 1, "%2x", &v) == 1) {
			*p++ = (char)v;
			i += 2;
		} else
			*p++ = s[i];
	}
	*p = '\0';
	return (o);
}

/*
 * Split "scheme://user:secret@host/path" into the URL and the credentials.
 * The userinfo ends at the last '@' (a secret may contain '@' or '/'), and
 * is percent-decoded; it never appears in r->base or in messages.
 */
static int
parse_url(struct rest *r, const char *url)
{
	const char *s, *at;
	char *user = NULL, *pw = NULL;
	const char *colon;
	size_t n;

	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		warn0("rest: URL must start with http:// or https://");
		return (-1);
	}
	s = strstr(url, "://") + 3;
	at = strrchr(s, '@');
	n = strlen(url);
	if ((r->base = malloc(n + 2)) == NULL)
		return (-1);
	if (at != NULL) {
		colon = memchr(s, ':', (size_t)(at - s));
		if ((user = pct_decode(s, colon ? (size_t)(colon - s) :
		    (size_t)(at - s))) == NULL || (pw = pct_decode(colon ?
		    colon + 1 : at, colon ? (size_t)(at - colon - 1) : 0)) ==
		    NULL || asprintf(&r->userpwd, "%s:%s", user, pw) < 0) {
			r->userpwd = NULL;
			free(user);
			free(pw);
			return (-1);
		}
		sodium_memzero(pw, strlen(pw));
		free(user);
		free(pw);
		snprintf(r->base, n + 2, "%.*s%s", (int)(s - url), url,
		    at + 1);
	} else
		snprintf(r->base, n + 2, "%s", url);
	n = strlen(r->base);
	if (r->base[n - 1] != '/')
		strcat(r->base, "/");
	return ((r->shown = strdup(r->base)) == NULL ? -1 : 0);
}

struct backend *
backend_rest_open(const char *url)
{
	struct backend *b;
	struct rest *r;
	const char *e = getenv("COFFER_REST_RETRIES");

	pthread_once(&global_once, global_init);
	if (!global_ok) {
		warn0("libcurl initialization failed");
		return (NULL);
	}
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL) {
		warnp("calloc");
		free(b);
		return (NULL);
	}
	r->retries = (e != NULL) ? atoi(e) : 6;
	if ((e = getenv("COFFER_CACERT")) != NULL && e[0] != '\0' &&
	    (r->cacert = strdup(e)) == NULL) {
		free(r);
		free(b);
		return (NULL);
	}
	if (r->retries < 0 || r->retries > 20)
		r->retries = 6;
	if (parse_url(r, url) || pthread_key_create(&r->key, handle_free) ||
	    (b->location = malloc(strlen(r->shown) + 6)) == NULL) {
		free(r->base);
		free(r->userpwd);
		free(r->shown);
		free(r->cacert);
		free(r);
		free(b);
		return (NULL);
	}
	sprintf(b->location, "rest:%s", r->shown);
	b->ops = &rest_ops;
	b->impl = r;
	b->remote = 1;
	return (b);
}
