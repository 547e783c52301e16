#ifndef COFFERD_SRV_METRICS_H
#define COFFERD_SRV_METRICS_H

#include <stdint.h>

#include "util/buf.h"

/*
 * Prometheus metrics: counters updated with relaxed atomics from any
 * thread, rendered as the text exposition format for GET /metrics.  No
 * account name, repository name or object name ever becomes a label, so
 * the output is the same size whatever the number of tenants and tells an
 * onlooker nothing about any one of them.
 */

/* What a request was about; the "route" label. */
enum srv_route {
	ROUTE_CONFIG = 0,
	ROUTE_KEYS,
	ROUTE_DATA,
	ROUTE_INDEX,
	ROUTE_SNAPSHOTS,
	ROUTE_LOCKS,
	ROUTE_LIST,		/* GET /<type>/ */
	ROUTE_CREATE,		/* POST /?create=true, and the repo root */
	ROUTE_METRICS,
	ROUTE_REALM,		/* /realm/v1/... of a recovery realm */
	ROUTE_OTHER,		/* anything that matched no route */
	ROUTE_N
};

/* The "method" label. */
enum srv_method {
	METHOD_HEAD = 0,
	METHOD_GET,
	METHOD_POST,
	METHOD_DELETE,
	METHOD_OTHER,
	METHOD_N
};

/* Error kinds counted apart: the "kind" label of cofferd_errors_total. */
enum srv_error {
	ERR_AUTH = 0,		/* 401: missing or wrong credentials */
	ERR_FORBIDDEN,		/* 403: other tenant, or permission */
	ERR_BAD_REQUEST,	/* 400/404/405/413/416 from validation */
	ERR_HASH,		/* upload did not match its name */
	ERR_QUOTA,		/* 507 */
	ERR_INTERNAL,		/* 5xx but 507 */
	ERR_ABORTED,		/* connection closed before a response */
	ERR_HTTP,		/* malformed HTTP, refused by libmicrohttpd */
	ERR_N
};

const char *srv_route_name(enum srv_route);
const char *srv_method_name(enum srv_method);

/* srv_method_parse(s): the method's enum (METHOD_OTHER if unknown). */
enum srv_method srv_method_parse(const char *);

struct srv_metrics;

/* srv_metrics_new(): all counters at zero.  NULL on error (reported). */
struct srv_metrics *srv_metrics_new(void);
void srv_metrics_free(struct srv_metrics *);

/*
 * srv_metrics_request(m, route, method, status, in, out, secs): count one
 * finished request (status 0: none was sent).
 */
void srv_metrics_request(struct srv_metrics *, enum srv_route,
    enum srv_method, unsigned, uint64_t, uint64_t, double);

/* srv_metrics_error(m, kind): count one error. */
void srv_metrics_error(struct srv_metrics *, enum srv_error);

/* Gauges: connections open, requests in flight. */
void srv_metrics_connections(struct srv_metrics *, int);
void srv_metrics_inflight(struct srv_metrics *, int);
int64_t srv_metrics_inflight_now(struct srv_metrics *);

/*
 * srv_metrics_render(m, extra, out): append the exposition text to out;
 * extra (may be NULL) is appended verbatim (the caller's own lines, e.g.
 * the database's counters).  0 or -1 (ENOMEM, reported).
 */
int srv_metrics_render(struct srv_metrics *, const char *, struct buf *);

#endif
