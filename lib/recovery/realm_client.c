/*
 * One realm over HTTP; see realm_client.h.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "realm_client.h"

#define URL_MAX		2048
#define RESP_MAX	65536	/* info, responses and reasons are small */

struct realm_client {
	char base[URL_MAX];		/* scheme://host[:port]/path/ */
	char *userpwd;			/* "user:secret", or NULL */
	char *cacert;
	CURL *h;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int curl_ok;

static void
global_init(void)
{

	curl_ok = (curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
}

/* Percent-decode s[0..n) into a new string. */
static char *
pct_decode(const char *s, size_t n)
{
	char *o, *p;
	unsigned int v;
	size_t i;

	if ((o = p = malloc(n + 1)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n &&
		    sscanf(s + i + 1, "%2x", &v) == 1) {
			*p++ = (char)v;
			i += 2;
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return (o);
}

/*
 * Split the credentials off url, as the REST backend does: the userinfo
 * ends at the last '@' (a secret may hold '@' or '/'), percent-decoded.
 */
static int
parse(struct realm_client *c, const char *url)
{
	const char *s, *at, *colon;
	char *user = NULL, *pw = NULL;
	size_t n;
	int rc = -1;

	if (strncmp(url, "rest:", 5) == 0)
		url += 5;
	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		warn0("realm URL must start with http:// or https://");
		return (-1);
	}
	s = strstr(url, "://") + 3;
	if ((at = strrchr(s, '@')) != NULL) {
		colon = memchr(s, ':', (size_t)(at - s));
		n = colon ? (size_t)(colon - s) : (size_t)(at - s);
		if ((user = pct_decode(s, n)) == NULL ||
		    (pw = pct_decode(colon ? colon + 1 : at, colon ?
		    (size_t)(at - colon - 1) : 0)) == NULL ||
		    asprintf(&c->userpwd, "%s:%s", user, pw) < 0) {
			c->userpwd = NULL;
			warnp("realm URL");
			goto done;
		}
	}
	n = (size_t)(s - url);
	if ((size_t)snprintf(c->base, sizeof(c->base) - 1, "%.*s%s", (int)n,
	    url, at != NULL ? at + 1 : s) >= sizeof(c->base) - 1) {
		warn0("realm URL too long");
		goto done;
	}
	if (c->base[strlen(c->base) - 1] != '/')
		strcat(c->base, "/");
	rc = 0;
done:
	if (pw != NULL) {
		sodium_memzero(pw, strlen(pw));
		free(pw);
	}
	free(user);
	return (rc);
}

struct realm_client *
realm_client_new(const char *url)
{
	struct realm_client *c;
	const char *e = getenv("COFFER_CACERT");

	pthread_once(&once, global_init);
	if (!curl_ok) {
		warn0("libcurl initialization failed");
		return (NULL);
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		warnp("calloc");
		return (NULL);
	}
	if (parse(c, url) || (e != NULL && e[0] != '\0' &&
	    (c->cacert = strdup(e)) == NULL) ||
	    (c->h = curl_easy_init()) == NULL) {
		realm_client_free(c);
		return (NULL);
	}
	return (c);
}

void
realm_client_free(struct realm_client *c)
{

	if (c == NULL)
		return;
	if (c->h != NULL)
		curl_easy_cleanup(c->h);
	if (c->userpwd != NULL) {
		sodium_memzero(c->userpwd, strlen(c->userpwd));
		free(c->userpwd);
	}
	free(c->cacert);
	free(c);
}

const char *
realm_client_url(const struct realm_client *c)
{

	return (c->base);
}

int
realm_client_has_auth(const struct realm_client *c)
{

	return (c->userpwd != NULL);
}

struct sink {
	struct buf b;
	int over;
};

static size_t
on_data(char *p, size_t sz, size_t n, void *cookie)
{
	struct sink *k = cookie;
	size_t len = sz * n;

	if (k->b.len + len > RESP_MAX) {
		k->over = 1;
		return (0);
	}
	return (buf_append(&k->b, p, len) ? 0 : len);
}

/*
 * One request to endpoint ep; body NULL for a GET.  Returns the HTTP
 * status with the body in k, or -1 (reported).
 */
static long
request(struct realm_client *c, const char *ep, const uint8_t *body,
    size_t blen, struct sink *k)
{
	struct curl_slist *hdr = NULL;
	char url[URL_MAX + 64];
	long status = 0;
	CURLcode cc;

	snprintf(url, sizeof(url), "%srealm/v1/%s", c->base, ep);
	curl_easy_reset(c->h);
	hdr = curl_slist_append(hdr, "Expect:");
	if (body != NULL)
		hdr = curl_slist_append(hdr,
		    "Content-Type: application/octet-stream");
	curl_easy_setopt(c->h, CURLOPT_URL, url);
	curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c->h, CURLOPT_TIMEOUT, 60L);
	if (c->cacert != NULL)
		curl_easy_setopt(c->h, CURLOPT_CAINFO, c->cacert);
	if (c->userpwd != NULL) {
		curl_easy_setopt(c->h, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c->h, CURLOPT_USERPWD, c->userpwd);
	}
	if (body != NULL) {
		curl_easy_setopt(c->h, CURLOPT_POST, 1L);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, (const char *)body);
		curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)blen);
	}
	curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->h, CURLOPT_WRITEDATA, k);
	cc = curl_easy_perform(c->h);
	curl_slist_free_all(hdr);
	/* The request body may hold secrets: forget curl's pointer to it. */
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, NULL);
	if (k->over) {
		warn0("realm %s: answer too large", c->base);
		return (-1);
	}
	if (cc != CURLE_OK) {
		warn0("realm %s: %s", c->base, curl_easy_strerror(cc));
		return (-1);
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	return (status);
}

/* Report a non-200 answer, with the realm's one-line reason. */
static void
report(struct realm_client *c, long status, const struct buf *b)
{
	char why[160];
	size_t i, n = b->len < sizeof(why) - 1 ? b->len : sizeof(why) - 1;

	for (i = 0; i < n; i++) {
		why[i] = (char)b->data[i];
		if (why[i] == '\n' || why[i] == '\r') {
			break;
		}
		if ((unsigned char)why[i] < 0x20 ||
		    (unsigned char)why[i] > 0x7e)
			why[i] = '?';
	}
	why[i] = '\0';
	if (status == 401)
		warn0("realm %s: authentication failed (HTTP 401): check the "
		    "user and password in the realm URL", c->base);
	else if (status == 404 && strcmp(why, "no such realm endpoint") != 0)
		warn0("realm %s: not a recovery realm (HTTP 404: %s); is "
		    "cofferd started with --realm?", c->base, why);
	else
		warn0("realm %s: HTTP %ld: %s", c->base, status,
		    why[0] ? why : "(no reason given)");
}

int
realm_client_info(struct realm_client *c, uint8_t id[RWIRE_ID],
    char jur[REALM_JUR_MAX + 1])
{
	struct sink k = { BUF_INIT, 0 };
	const char *hex = NULL, *j = NULL;
	json_t *o = NULL;
	json_int_t proto = 0;
	long st;
	int rc = -1;
	size_t i;

	if ((st = request(c, "info", NULL, 0, &k)) < 0)
		goto done;
	if (st != 200) {
		report(c, st, &k.b);
		goto done;
	}
	if ((o = json_loadb((const char *)k.b.data, k.b.len, 0, NULL)) ==
	    NULL || json_unpack(o, "{s:I, s:s, s:s}", "protocol", &proto,
	    "realm_id", &hex, "jurisdiction", &j) != 0 ||
	    strlen(hex) != 2 * RWIRE_ID || hex_decode(hex, id, RWIRE_ID) ||
	    strlen(j) < 1 || strlen(j) > REALM_JUR_MAX) {
		warn0("realm %s: malformed info answer", c->base);
		goto done;
	}
	if (proto != RWIRE_VERSION) {
		warn0("realm %s: speaks realm protocol %lld, not %d", c->base,
		    (long long)proto, RWIRE_VERSION);
		goto done;
	}
	for (i = 0; j[i] != '\0'; i++)
		jur[i] = (j[i] > 0x20 && j[i] < 0x7f) ? j[i] : '?';
	jur[i] = '\0';
	rc = 0;
done:
	json_decref(o);
	buf_release(&k.b);
	return (rc);
}

int
realm_client_call(struct realm_client *c, const struct rwire_req *q,
    struct rwire_resp *r)
{
	static const char *eps[] = { NULL, "register", "recover1",
	    "recover2", "recover3", "delete" };
	struct sink k = { BUF_INIT, 0 };
	uint8_t body[RWIRE_MAX_BODY];
	const char *why;
	size_t len;
	long st;
	int rc = -1;

	memset(r, 0, sizeof(*r));
	if (q->type < RW_REGISTER || q->type > RW_DELETE ||
	    rwire_req_encode(q, body, &len))
		return (-1);
	st = request(c, eps[q->type], body, len, &k);
	sodium_memzero(body, sizeof(body));
	if (st < 0)
		goto done;
	if (st != 200) {
		report(c, st, &k.b);
		goto done;
	}
	if (rwire_resp_decode(k.b.data, k.b.len, r, &why)) {
		warn0("realm %s: malformed answer: %s", c->base, why);
		goto done;
	}
	if (r->type != q->type ||
	    sodium_memcmp(r->realm_id, q->realm_id, RWIRE_ID) != 0) {
		warn0("realm %s: answer is not for this request", c->base);
		rwire_wipe(r, sizeof(*r));
		goto done;
	}
	rc = 0;
done:
	if (k.b.data != NULL)
		sodium_memzero(k.b.data, k.b.len);
	buf_release(&k.b);
	return (rc);
}
