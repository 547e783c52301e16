#ifndef COFFERD_SRV_HTTP_H
#define COFFERD_SRV_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "srv_config.h"
#include "srv_metrics.h"
#include "srv_store.h"

/*
 * The HTTP layer: a libmicrohttpd daemon (HTTP/1.1, keep-alive, optional
 * TLS), the per-request state that srv_rest fills in, the access log and
 * the graceful shutdown.  Only this file's .c knows libmicrohttpd; srv_rest
 * sees requests as struct srv_req and answers with struct srv_resp.
 */

struct srv_db;
struct srv_realm;
struct srv_log;

/* What every request may use; read-only while the server runs. */
struct srv_ctx {
	const struct srv_config *cfg;
	struct srv_db *db;
	struct srv_store *store;
	struct srv_metrics *metrics;
	struct srv_realm *realm;	/* NULL unless --realm */
	struct srv_log *log;		/* the transparency log, or NULL */
};

/*
 * A response, built by srv_rest and sent by srv_http.  The body is either
 * text (text, textlen; freed after sending if text_owned) or an object
 * (obj, sent from obj_off for obj_len bytes; a HEAD request sends only its
 * length).  Headers: Content-Type (ctype), Content-Range (when set),
 * WWW-Authenticate (www_auth), Allow (allow).
 */
struct srv_resp {
	unsigned status;		/* 0: none yet */
	const char *ctype;
	char *text;
	size_t textlen;
	int text_owned;
	int has_obj;
	struct srv_body obj;
	uint64_t obj_off, obj_len;
	char content_range[96];
	int www_auth;
	const char *allow;
	int close;			/* close the connection after it */
};

struct srv_upload;

/* One request, from its request line to the end of its response. */
struct srv_req {
	/* Set by srv_http before srv_rest_begin. */
	const struct srv_ctx *ctx;
	void *conn;			/* srv_http's own */
	enum srv_method method;
	const char *method_str;
	char addr[64];			/* the peer's address, as text */
	int loopback;			/* the peer is 127.0.0.0/8 or ::1 */
	struct timespec start;
	int64_t content_length;		/* -1: not given */
	int has_body;			/* a body follows the headers */
	int begun, queued;

	/* Set by srv_rest. */
	enum srv_route route;
	int otype;			/* enum srv_obj_type, or -1 */
	char user[65];			/* the authenticated account */
	char repo[132];			/* the path's "<owner>/<repo>" */
	struct srv_resp resp;
	uint64_t bytes_in;		/* request body bytes received */
	const char *reason;		/* why it failed, for the log */
	int err;			/* enum srv_error, or -1 */
	void *rest;			/* srv_rest's own state */
	void *realm;			/* srv_realm's, for a realm request */
	int is_realm;			/* srv_realm handles it */
};

/* srv_http_header(req, name): a request header's value, or NULL. */
const char *srv_http_header(struct srv_req *, const char *);

/* srv_http_query(req, name): a query argument's raw value, or NULL. */
const char *srv_http_query(struct srv_req *, const char *);

/*
 * srv_http_parse_range(hdr, size, &off, &len): a Range header against an
 * object of size bytes.  Only one range of unit "bytes" is honoured
 * ("bytes=a-b", "bytes=a-", "bytes=-n"); other or malformed headers are
 * ignored as RFC 9110 allows.  Returns 0 with off/len set for a partial
 * response, 1 to send the whole object, 2 if unsatisfiable (416).
 */
int srv_http_parse_range(const char *, uint64_t, uint64_t *, uint64_t *);

/* Credentials from an Authorization header. */
enum srv_auth_kind {
	AUTH_NONE = 0,		/* no header */
	AUTH_BASIC,		/* user and secret */
	AUTH_BEARER,		/* secret (a token) only */
	AUTH_BAD		/* present but malformed */
};

#define SRV_SECRET_MAX	1024

struct srv_cred {
	enum srv_auth_kind kind;
	char user[65];
	char secret[SRV_SECRET_MAX + 1];
	size_t secretlen;
};

/*
 * srv_http_parse_auth(hdr, &cred): parse "Basic <base64(user:secret)>" or
 * "Bearer <token>" (scheme case-insensitive).  A user name that is not a
 * valid account name, or a secret over SRV_SECRET_MAX bytes, is AUTH_BAD.
 * The caller wipes cred (srv_cred_wipe) after use.  Returns cred->kind.
 */
enum srv_auth_kind srv_http_parse_auth(const char *, struct srv_cred *);

/* srv_cred_wipe(cred): zero the secret. */
void srv_cred_wipe(struct srv_cred *);

/*
 * srv_http_listen(spec, bound, bsize): bind and listen on spec ("HOST:PORT"
 * or "[IPV6]:PORT"); bound gets the address bound ("HOST:PORT", with the
 * real port when 0 was asked).  The socket (non-blocking), or -1
 * (reported).
 */
int srv_http_listen(const char *, char *, size_t);

struct srv_server;

/*
 * srv_http_start(cfg, db, store, metrics, realm, log, &srv): bind
 * cfg->listen, load the TLS files if set, and start serving (realm: NULL,
 * or the recovery realm that answers /realm/v1/...; log: NULL, or the
 * transparency log served under /log/).  srv_http_address gives the
 * address actually bound ("HOST:PORT", with the real port when 0 was
 * asked).  0 or -1 (reported).
 */
int srv_http_start(const struct srv_config *, struct srv_db *,
    struct srv_store *, struct srv_metrics *, struct srv_realm *,
    struct srv_log *, struct srv_server **);
const char *srv_http_address(const struct srv_server *);

/*
 * srv_http_stop(srv, timeout): stop accepting connections, wait up to
 * timeout seconds for requests in flight to finish, close every
 * connection and free srv.  Returns the number of requests that were
 * still in flight when the wait ended.
 */
int64_t srv_http_stop(struct srv_server *, unsigned);

/* srv_json_escape(s, out, size): s as a JSON string body (no quotes). */
void srv_json_escape(const char *, char *, size_t);

#endif
