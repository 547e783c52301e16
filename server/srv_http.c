/*
 * The HTTP layer over libmicrohttpd.
 *
 * A request's life: the URI-log callback (request line parsed) allocates
 * its struct srv_req, so even requests that libmicrohttpd refuses later
 * (headers too large, malformed) get an access-log line; the access
 * handler runs srv_rest_begin at the headers, srv_rest_body per piece of
 * body, srv_rest_finish at the end; the completion callback runs
 * srv_rest_done, counts it, logs it and frees it.
 *
 * libmicrohttpd closes the connection after any response queued before
 * the body is read.  So a refusal is sent at once only when a body
 * follows (no use reading an upload that is refused); otherwise it waits
 * for the end of the request and the connection stays alive.
 *
 * The path is handed over raw: the unescape callback leaves it alone, so
 * that srv_rest can tell an encoded slash from a real one.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <sodium.h>

#include "util/warnp.h"

#include "srv_db.h"
#include "srv_http.h"
#include "srv_realm.h"
#include "srv_rest.h"

#define B64_ALPHABET \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

struct srv_server {
	struct srv_ctx ctx;
	struct MHD_Daemon *d;
	char addr[128];
};

/* ---------------------------------------------------------------------- */
/* Small parsers (unit tested). */

/* Decimal uint64 from s[0..len); 0, or -1 if empty, junk or overflow. */
static int
dec64(const char *s, size_t len, uint64_t *v)
{
	size_t i;

	if (len == 0 || len > 19)
		return (-1);
	for (*v = 0, i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return (-1);
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return (0);
}

int
srv_http_parse_range(const char *h, uint64_t size, uint64_t *off,
    uint64_t *len)
{
	const char *dash, *end;
	uint64_t a, b;

	while (*h == ' ' || *h == '\t')
		h++;
	if (strncasecmp(h, "bytes=", 6) != 0)
		return (1);
	h += 6;
	end = h + strlen(h);
	while (end > h && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (memchr(h, ',', (size_t)(end - h)) != NULL)
		return (1);		/* several ranges: send it whole */
	if ((dash = memchr(h, '-', (size_t)(end - h))) == NULL)
		return (1);
	if (dash == h) {
		/* "bytes=-n": the last n bytes. */
		if (dec64(dash + 1, (size_t)(end - dash - 1), &b))
			return (1);
		if (b == 0 || size == 0)
			return (2);
		*len = (b < size) ? b : size;
		*off = size - *len;
		return (0);
	}
	if (dec64(h, (size_t)(dash - h), &a))
		return (1);
	if (dash + 1 == end) {
		b = UINT64_MAX;
	} else if (dec64(dash + 1, (size_t)(end - dash - 1), &b) || b < a) {
		return (1);
	}
	if (a >= size)
		return (2);
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return (0);
}

void
srv_cred_wipe(struct srv_cred *c)
{

	sodium_memzero(c, sizeof(*c));
}

enum srv_auth_kind
srv_http_parse_auth(const char *h, struct srv_cred *c)
{
	unsigned char raw[SRV_SECRET_MAX + 128];
	const char *p, *colon;
	size_t rawlen, hl, pad;

	memset(c, 0, sizeof(*c));
	if (h == NULL)
		return (c->kind = AUTH_NONE);
	c->kind = AUTH_BAD;
	while (*h == ' ')
		h++;
	if (strncasecmp(h, "Bearer ", 7) == 0) {
		for (p = h + 7; *p == ' '; p++)
			continue;
		if ((hl = strcspn(p, " \t")) == 0 || p[hl] != '\0' ||
		    hl > SRV_SECRET_MAX)
			return (c->kind);
		memcpy(c->secret, p, hl);
		c->secretlen = hl;
		return (c->kind = AUTH_BEARER);
	}
	if (strncasecmp(h, "Basic ", 6) != 0)
		return (c->kind);
	for (p = h + 6; *p == ' '; p++)
		continue;
	if ((hl = strcspn(p, " \t")) == 0 || p[hl] != '\0' ||
	    hl > 4 * (sizeof(raw) / 3))
		return (c->kind);
	/* Only the alphabet, and '=' at the end (libsodium is lenient). */
	pad = (hl >= 1 && p[hl - 1] == '=') + (hl >= 2 && p[hl - 2] == '=');
	if (strspn(p, B64_ALPHABET) != hl - pad)
		return (c->kind);
	if (sodium_base642bin(raw, sizeof(raw) - 1, p, hl, NULL, &rawlen,
	    NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		goto out;
	raw[rawlen] = '\0';
	if ((colon = memchr(raw, ':', rawlen)) == NULL ||
	    (size_t)(colon - (char *)raw) > 64)
		goto out;
	memcpy(c->user, raw, (size_t)(colon - (char *)raw));
	c->user[colon - (char *)raw] = '\0';
	c->secretlen = rawlen - (size_t)(colon + 1 - (char *)raw);
	if (!srv_user_valid_name(c->user) || c->secretlen == 0 ||
	    c->secretlen > SRV_SECRET_MAX ||
	    memchr(colon + 1, '\0', c->secretlen) != NULL) {
		srv_cred_wipe(c);
		c->kind = AUTH_BAD;
		goto out;
	}
	memcpy(c->secret, colon + 1, c->secretlen);
	c->kind = AUTH_BASIC;
out:
	sodium_memzero(raw, sizeof(raw));
	return (c->kind);
}

void
srv_json_escape(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	unsigned char c;

	for (; *s != '\0' && n + 7 < size; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			/* Bytes, not characters: nothing here is UTF-8. */
			memcpy(out + n, "\\u00", 4);
			out[n + 4] = hex[c >> 4];
			out[n + 5] = hex[c & 15];
			n += 6;
		} else {
			out[n++] = (char)c;
		}
	}
	out[n] = '\0';
}

/* ---------------------------------------------------------------------- */
/* Request accessors for srv_rest. */

const char *
srv_http_header(struct srv_req *req, const char *name)
{

	return (MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
	    name));
}

const char *
srv_http_query(struct srv_req *req, const char *name)
{

	return (MHD_lookup_connection_value(req->conn,
	    MHD_GET_ARGUMENT_KIND, name));
}

/* ---------------------------------------------------------------------- */
/* The access log. */

static double
elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ((double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9);
}

/* The time now as "2006-01-02T15:04:05.000Z". */
static void
now_iso(char ts[40])
{
	struct timespec now;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(ts, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, 40 - n, ".%03ldZ", now.tv_nsec / 1000000);
}

/* One JSON line, written with one write(2) so lines never interleave. */
static void
access_log(const struct srv_req *req, unsigned status, uint64_t out,
    double secs, const char *why)
{
	char line[1024], ts[40], method[32], esc[160];
	int n;

	now_iso(ts);
	srv_json_escape(req->method_str ? req->method_str : "", method,
	    sizeof(method));
	srv_json_escape(why != NULL ? why : "", esc, sizeof(esc));
	n = snprintf(line, sizeof(line), "{\"time\":\"%s\",\"remote\":\"%s\","
	    "\"user\":\"%s\",\"method\":\"%s\",\"route\":\"%s\","
	    "\"type\":\"%s\",\"repo\":\"%s\",\"status\":%u,"
	    "\"bytes_in\":%llu,\"bytes_out\":%llu,\"ms\":%.3f%s%s%s}\n",
	    ts, req->addr, req->user, method, srv_route_name(req->route),
	    req->otype >= 0 ? srv_obj_type_name(req->otype) : "",
	    req->repo, status, (unsigned long long)req->bytes_in,
	    (unsigned long long)out, secs * 1e3,
	    why != NULL ? ",\"error\":\"" : "", why != NULL ? esc : "",
	    why != NULL ? "\"" : "");
	if (n > 0 && (size_t)n < sizeof(line))
		(void)!write(STDERR_FILENO, line, (size_t)n);
}

/* libmicrohttpd's own messages (malformed requests...), as JSON lines. */
static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512], esc[1024], line[1200], ts[40];
	size_t n;
	int len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	srv_json_escape(msg, esc, sizeof(esc));
	now_iso(ts);
	len = snprintf(line, sizeof(line),
	    "{\"time\":\"%s\",\"event\":\"http\",\"message\":\"%s\"}\n",
	    ts, esc);
	if (len > 0 && (size_t)len < sizeof(line))
		(void)!write(STDERR_FILENO, line, (size_t)len);
}

/* ---------------------------------------------------------------------- */
/* libmicrohttpd callbacks. */

/* Leave the URL as it came: srv_rest decodes, and refuses tricks. */
static size_t
no_unescape(void *cls, struct MHD_Connection *c, char *s)
{

	(void)cls;
	(void)c;
	return (strlen(s));
}

/* The peer's address as text, and whether it is loopback. */
static void
peer_address(struct MHD_Connection *c, char *addr, size_t size,
    int *loopback)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	const struct sockaddr_in6 *s6;
	const struct sockaddr_in *s4;

	snprintf(addr, size, "?");
	*loopback = 0;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return;
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, addr, (socklen_t)size);
		*loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	} else if (sa->sa_family == AF_INET6) {
		s6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, (socklen_t)size);
		*loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		    s6->sin6_addr.s6_addr[12] == 127);
	}
}

/* Per connection: how many requests it carried, for the close. */
struct conn {
	unsigned nreq;
	int loopback;
	char addr[64];
};

static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct srv_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct srv_req *req;
	struct conn *cn;

	(void)uri;	/* never logged: it is untrusted text */
	if ((req = calloc(1, sizeof(*req))) == NULL)
		return (NULL);
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	req->ctx = &s->ctx;
	req->conn = c;
	req->route = ROUTE_OTHER;
	req->otype = -1;
	req->err = -1;
	req->content_length = -1;
	req->resp.obj.fd = -1;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci != NULL && (cn = ci->socket_context) != NULL) {
		cn->nreq++;
		memcpy(req->addr, cn->addr, sizeof(req->addr));
		req->loopback = cn->loopback;
	} else {
		peer_address(c, req->addr, sizeof(req->addr), &req->loopback);
	}
	srv_metrics_inflight(s->ctx.metrics, 1);
	return (req);
}

static enum MHD_Result
count_cl(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{

	(void)kind;
	(void)value;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
		(*(unsigned *)cls)++;
	return (MHD_YES);
}

/*
 * What the headers say of the body.  Framing that two parties could read
 * two ways (the root of request smuggling) is refused: more than one
 * Content-Length is a 400; Transfer-Encoding beside Content-Length is
 * served (chunked wins, as libmicrohttpd reads it) but the connection is
 * closed after the answer (RFC 9112, 6.1).  Returns 0, or -1 if refused.
 */
static int
body_headers(struct srv_req *req)
{
	const char *cl, *te;
	unsigned ncl = 0;
	uint64_t v;

	MHD_get_connection_values(req->conn, MHD_HEADER_KIND, count_cl, &ncl);
	cl = srv_http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = srv_http_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (cl != NULL && dec64(cl, strlen(cl), &v) == 0 && v <= INT64_MAX)
		req->content_length = (int64_t)v;
	req->has_body = req->content_length > 0 || (te != NULL &&
	    strcasecmp(te, "identity") != 0);
	if (ncl > 1) {
		req->resp.status = 400;
		req->resp.ctype = "text/plain; charset=utf-8";
		req->resp.text = (char *)(uintptr_t)
		    "conflicting Content-Length headers\n";
		req->resp.textlen = strlen(req->resp.text);
		req->reason = "conflicting Content-Length headers";
		req->err = ERR_HTTP;
		return (-1);
	}
	if (te != NULL && cl != NULL) {
		req->resp.close = 1;
		req->content_length = -1;	/* chunked wins */
	}
	return (0);
}

/* An object without a file (S3 storage): read on libmicrohttpd's demand. */
struct objstream {
	struct srv_body b;
	uint64_t off;
};

static ssize_t
objstream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct objstream *o = cls;
	ssize_t n;

	n = o->b.read(o->b.cookie, o->off + pos, (uint8_t *)buf, max);
	if (n < 0)
		return (MHD_CONTENT_READER_END_WITH_ERROR);
	if (n == 0)	/* shorter than announced: cut the connection */
		return (MHD_CONTENT_READER_END_WITH_ERROR);
	return (n);
}

static void
objstream_free(void *cls)
{
	struct objstream *o = cls;

	srv_body_release(&o->b);
	free(o);
}

static struct MHD_Response *
make_response(struct srv_req *req)
{
	struct srv_resp *rs = &req->resp;
	struct MHD_Response *r;
	struct objstream *o;

	if (rs->has_obj && rs->obj.fd >= 0) {
		r = MHD_create_response_from_fd_at_offset64(rs->obj_len,
		    rs->obj.fd, rs->obj_off);
		if (r != NULL)
			rs->obj.fd = -1;	/* libmicrohttpd closes it */
		return (r);
	}
	if (rs->has_obj) {
		if (rs->obj.read == NULL || (o = malloc(sizeof(*o))) == NULL)
			return (NULL);
		o->b = rs->obj;
		o->off = rs->obj_off;
		r = MHD_create_response_from_callback(rs->obj_len, 64 * 1024,
		    objstream_read, o, objstream_free);
		if (r == NULL) {
			free(o);
			return (NULL);
		}
		/* The response owns the reader now. */
		rs->obj.close = NULL;
		rs->obj.cookie = NULL;
		return (r);
	}
	r = MHD_create_response_from_buffer(rs->textlen, rs->text,
	    rs->text_owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (r != NULL)
		rs->text_owned = 0;	/* libmicrohttpd frees it */
	return (r);
}

static enum MHD_Result
queue(struct MHD_Connection *c, struct srv_req *req)
{
	struct srv_resp *rs = &req->resp;
	struct MHD_Response *r;
	enum MHD_Result ret;

	if ((r = make_response(req)) == NULL) {
		warn0("cannot build a response");
		return (MHD_NO);
	}
	if (rs->ctype != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		    rs->ctype);
	if (rs->content_range[0] != '\0')
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE,
		    rs->content_range);
	if (rs->has_obj)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES,
		    "bytes");
	if (rs->www_auth)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Basic realm=\"cofferd\"");
	if (rs->allow != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rs->allow);
	if (rs->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, rs->status, r);
	MHD_destroy_response(r);
	if (ret == MHD_YES)
		req->queued = 1;
	return (ret);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_size, void **con_cls)
{
	struct srv_req *req = *con_cls;

	(void)cls;
	(void)version;
	if (req == NULL)
		return (MHD_NO);	/* out of memory in on_uri */
	if (!req->begun) {
		req->begun = 1;
		req->conn = c;
		req->method_str = method;
		req->method = srv_method_parse(method);
		/* Ambiguous framing: answer now, and close. */
		if (body_headers(req))
			return (queue(c, req));
		/* The router: realm paths, when this is a realm; storage. */
		req->is_realm = (req->ctx->realm != NULL &&
		    srv_realm_match(url));
		if (req->is_realm)
			srv_realm_begin(req, url);
		else
			srv_rest_begin(req, url);
		/* Refused with a body to follow: answer now, then close. */
		if (req->resp.status != 0 && req->has_body)
			return (queue(c, req));
		return (MHD_YES);
	}
	if (*upload_size > 0) {
		if ((req->is_realm ? srv_realm_body : srv_rest_body)(req,
		    (const uint8_t *)upload_data, *upload_size))
			return (MHD_NO);
		*upload_size = 0;
		return (MHD_YES);
	}
	if (req->is_realm)
		srv_realm_finish(req);
	else
		srv_rest_finish(req);
	return (queue(c, req));
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct srv_server *s = cls;
	struct srv_req *req = *con_cls;
	struct srv_resp *rs;
	unsigned status = 0;
	uint64_t out = 0;
	const char *why;
	double secs;

	(void)c;
	if (req == NULL)
		return;
	*con_cls = NULL;
	rs = &req->resp;
	if (req->begun && req->is_realm)
		srv_realm_done(req);
	else if (req->begun)
		srv_rest_done(req);
	secs = elapsed(&req->start);
	why = req->reason;
	if (req->queued) {
		status = rs->status;
		if (req->method != METHOD_HEAD)
			out = rs->has_obj ? rs->obj_len : rs->textlen;
	}
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		out = 0;	/* not all of it, and we cannot tell how much */
		if (!req->begun) {
			req->err = ERR_HTTP;
			why = "refused by the HTTP parser";
		} else if (req->err < 0 || !req->queued) {
			req->err = ERR_ABORTED;
			why = (toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED) ?
			    "timed out" :
			    (toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN) ?
			    "server shutting down" : "connection closed";
		}
	}
	if (req->err >= 0)
		srv_metrics_error(s->ctx.metrics, (enum srv_error)req->err);
	srv_metrics_request(s->ctx.metrics, req->route, req->method, status,
	    req->bytes_in, out, secs);
	if (s->ctx.cfg->access_log)
		access_log(req, status, out, secs, why);
	if (rs->has_obj)
		srv_body_release(&rs->obj);
	if (rs->text_owned)
		free(rs->text);
	srv_metrics_inflight(s->ctx.metrics, -1);
	free(req);
}

/*
 * A connection closed without carrying any request line that could be
 * parsed (garbage, an HTTP version we do not speak, a bare TCP probe, a
 * failed TLS handshake) still gets a log line.
 */
static void
on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct srv_server *s = cls;
	struct conn *cn;
	char line[256], ts[40];
	int n;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		srv_metrics_connections(s->ctx.metrics, 1);
		if ((cn = calloc(1, sizeof(*cn))) != NULL)
			peer_address(c, cn->addr, sizeof(cn->addr),
			    &cn->loopback);
		*socket_context = cn;
		return;
	}
	srv_metrics_connections(s->ctx.metrics, -1);
	if ((cn = *socket_context) == NULL)
		return;
	*socket_context = NULL;
	if (cn->nreq == 0) {
		srv_metrics_error(s->ctx.metrics, ERR_HTTP);
		now_iso(ts);
		n = snprintf(line, sizeof(line), "{\"time\":\"%s\","
		    "\"remote\":\"%s\",\"event\":\"connection\",\"status\":0,"
		    "\"error\":\"closed without a request that could be "
		    "parsed\"}\n", ts, cn->addr);
		if (s->ctx.cfg->access_log && n > 0 &&
		    (size_t)n < sizeof(line))
			(void)!write(STDERR_FILENO, line, (size_t)n);
	}
	free(cn);
}

/* ---------------------------------------------------------------------- */
/* Starting and stopping. */

/*
 * Split "HOST:PORT" or "[V6]:PORT" into host and port.  An empty host
 * ("":8000) means every address.  0 or -1 (reported).
 */
static int
split_hostport(const char *s, char *host, size_t hsize, char *port,
    size_t psize)
{
	const char *colon, *h = s;
	size_t hl;

	if (s[0] == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			goto bad;
		h = s + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl >= hsize || strlen(colon + 1) >= psize || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    strtoul(colon + 1, NULL, 10) > 65535)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	return (0);
bad:
	warn0("listen address must be HOST:PORT or [IPV6]:PORT: %s", s);
	return (-1);
}

int
srv_http_listen(const char *spec, char *bound, size_t bsize)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256], port[16], h[INET6_ADDRSTRLEN];
	int fd = -1, one = 1, e;

	if (split_hostport(spec, host, sizeof(host), port, sizeof(port)))
		return (-1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host[0] ? host : NULL, port, &hints, &res))) {
		warn0("%s: %s", spec, gai_strerror(e));
		return (-1);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 1024) == 0)
			break;
		e = errno;
		close(fd);
		fd = -1;
		errno = e;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		warnp("listen on %s", spec);
		return (-1);
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
		if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (void *)&ss;

			inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof(h));
			snprintf(bound, bsize, "[%s]:%u", h,
			    ntohs(a->sin6_port));
		} else {
			struct sockaddr_in *a = (void *)&ss;

			inet_ntop(AF_INET, &a->sin_addr, h, sizeof(h));
			snprintf(bound, bsize, "%s:%u", h, ntohs(a->sin_port));
		}
	} else {
		snprintf(bound, bsize, "%s", spec);
	}
	return (fd);
}

/* Read a PEM file (at most 1 MiB) as a string; NULL on error. */
static char *
read_pem(const char *path)
{
	struct stat sb;
	char *p = NULL;
	size_t got = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warnp("%s", path);
		return (NULL);
	}
	if (fstat(fd, &sb) || sb.st_size <= 0 || sb.st_size > (1 << 20)) {
		warn0("%s: not a PEM file of at most 1 MiB", path);
		goto done;
	}
	if ((p = sodium_malloc((size_t)sb.st_size + 1)) == NULL) {
		warnp("sodium_malloc");
		goto done;
	}
	while (got < (size_t)sb.st_size) {
		if ((r = read(fd, p + got, (size_t)sb.st_size - got)) <= 0) {
			if (r == -1 && errno == EINTR)
				continue;
			warnp("read %s", path);
			sodium_free(p);
			p = NULL;
			goto done;
		}
		got += (size_t)r;
	}
	p[got] = '\0';
done:
	close(fd);
	return (p);
}

#define OPT(o, v, p) do {						\
	opts[n].option = (o);						\
	opts[n].value = (intptr_t)(v);					\
	opts[n].ptr_value = (p);					\
	n++;								\
} while (0)

int
srv_http_start(const struct srv_config *cfg, struct srv_db *db,
    struct srv_store *store, struct srv_metrics *metrics,
    struct srv_realm *realm, struct srv_log *log,
    struct srv_server **out)
{
	struct MHD_OptionItem opts[24];
	struct srv_server *s;
	char *key = NULL, *cert = NULL;
	unsigned int flags, threads;
	size_t n = 0;
	int lfd;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	s->ctx.cfg = cfg;
	s->ctx.db = db;
	s->ctx.store = store;
	s->ctx.metrics = metrics;
	s->ctx.realm = realm;
	s->ctx.log = log;
	/* First, so that every message of libmicrohttpd comes through it. */
	OPT(MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
	    MHD_USE_ERROR_LOG;
	threads = srv_config_threads(cfg);
	if (cfg->thread_per_connection)
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	else
		flags |= MHD_USE_EPOLL;
	if (cfg->tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			warn0("this libmicrohttpd was built without TLS");
			goto err;
		}
		if ((cert = read_pem(cfg->tls_cert)) == NULL ||
		    (key = read_pem(cfg->tls_key)) == NULL)
			goto err;
		flags |= MHD_USE_TLS;
		OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, cert);
		OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, key);
		OPT(MHD_OPTION_HTTPS_PRIORITIES, 0,
		    "NORMAL:-VERS-SSL3.0:-VERS-TLS1.0:-VERS-TLS1.1");
	}
	if ((lfd = srv_http_listen(cfg->listen, s->addr,
	    sizeof(s->addr))) == -1)
		goto err;
	OPT(MHD_OPTION_LISTEN_SOCKET, lfd, NULL);
	OPT(MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections, NULL);
	if (cfg->per_ip_connections > 0)
		OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		    cfg->per_ip_connections, NULL);
	OPT(MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout, NULL);
	OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header_bytes, NULL);
	if (!cfg->thread_per_connection && threads > 1)
		OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
	OPT(MHD_OPTION_URI_LOG_CALLBACK, on_uri, s);
	OPT(MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL);
	OPT(MHD_OPTION_NOTIFY_COMPLETED, on_completed, s);
	OPT(MHD_OPTION_NOTIFY_CONNECTION, on_connection, s);
	OPT(MHD_OPTION_SIGPIPE_HANDLED_BY_APP, 1, NULL);
	OPT(MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, NULL);
	OPT(MHD_OPTION_END, 0, NULL);
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (s->d == NULL) {
		warn0("cannot start the HTTP server on %s", s->addr);
		close(lfd);
		goto err;
	}
	/* GnuTLS has parsed the key into its own memory. */
	sodium_free(key);
	sodium_free(cert);
	*out = s;
	return (0);
err:
	sodium_free(key);
	sodium_free(cert);
	free(s);
	return (-1);
}

const char *
srv_http_address(const struct srv_server *s)
{

	return (s->addr);
}

int64_t
srv_http_stop(struct srv_server *s, unsigned timeout)
{
	struct timespec t0, nap = { 0, 20 * 1000 * 1000 };
	MHD_socket lfd;
	int64_t left;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* No new connections; established ones are still served. */
	if ((lfd = MHD_quiesce_daemon(s->d)) != MHD_INVALID_SOCKET)
		close(lfd);
	while ((left = srv_metrics_inflight_now(s->ctx.metrics)) > 0 &&
	    elapsed(&t0) < (double)timeout)
		nanosleep(&nap, NULL);
	MHD_stop_daemon(s->d);
	free(s);
	return (left);
}
