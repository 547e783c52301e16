#ifndef COFFERD_SRV_REST_H
#define COFFERD_SRV_REST_H

#include <stddef.h>
#include <stdint.h>

#include "srv_db.h"
#include "srv_http.h"
#include "srv_store.h"

/*
 * restic's REST backend protocol (v1 and v2), multi-tenant: every path is
 * /<user>/<repo>/ followed by restic's paths.  docs/PROTOCOL.md describes
 * the protocol as implemented here.  A request goes through
 * srv_rest_begin (at the headers: path, credentials, permission, limits),
 * srv_rest_body (each piece of an upload), srv_rest_finish (the answer)
 * and srv_rest_done (cleanup, whatever happened).
 */

/* What a URL path names. */
enum srv_path_kind {
	PATH_METRICS = 0,	/* /metrics */
	PATH_REPO,		/* /<user>/<repo>/ */
	PATH_CONFIG,		/* /<user>/<repo>/config */
	PATH_LIST,		/* /<user>/<repo>/<type>/ */
	PATH_OBJECT		/* /<user>/<repo>/<type>/<64 hex> */
};

struct srv_path {
	enum srv_path_kind kind;
	char user[65];
	char repo[65];
	enum srv_obj_type type;	/* PATH_CONFIG, PATH_LIST, PATH_OBJECT */
	char name[65];		/* PATH_OBJECT; "" otherwise */
};

#define SRV_PATH_MAX	512	/* longer raw paths are refused */

/*
 * srv_rest_parse_path(url, &p, &why): parse the raw (still
 * percent-encoded) path of a request.  Refused with 400: a path not
 * starting with '/', longer than SRV_PATH_MAX, with an empty segment
 * ("//"), a "." or ".." segment (also when percent-encoded), an encoded
 * '/', '\' or NUL, a malformed escape, a byte outside printable ASCII, a
 * user or repository name outside [a-z0-9._-]{1,64} or starting with
 * '.', an object name that is not 64 lower-case hex digits.  Refused with
 * 404: paths of no route, unknown object types.  Returns 0, or the HTTP
 * status with *why set to a short static explanation.
 */
int srv_rest_parse_path(const char *, struct srv_path *, const char **);

/* The operations a request asks for. */
enum srv_op {
	OP_READ = 0,		/* GET, HEAD of config or an object */
	OP_LIST,		/* GET of /<type>/ */
	OP_CREATE_REPO,		/* POST /?create=true */
	OP_WRITE,		/* POST of config or an object */
	OP_DELETE,		/* DELETE of config or an object */
	OP_DELETE_REPO		/* DELETE / (not implemented: 501) */
};

/*
 * srv_rest_allowed(perm, op, type, exists): whether a credential of
 * permission perm may do op on an object of type (exists: the object is
 * there already).  read: READ, LIST.  append: those, CREATE_REPO, WRITE
 * of an object that does not exist, DELETE of a lock.  full: anything.
 * Returns 1 if allowed, 0 if not.
 */
int srv_rest_allowed(enum srv_perm, enum srv_op, enum srv_obj_type, int);

/*
 * srv_rest_op(kind, method, &op): the operation a method asks of a path;
 * 0, or 405 if the method is not allowed there (the allowed ones are
 * given by srv_rest_allow(kind)).
 */
int srv_rest_op(enum srv_path_kind, enum srv_method, enum srv_op *);
const char *srv_rest_allow(enum srv_path_kind);

/*
 * srv_rest_auth(req, user, &perm): check the request's credentials as
 * storage requests do (Basic password or token, Bearer token).  0 with
 * user and perm set, or -1 with the request refused (401, 500).
 */
int srv_rest_auth(struct srv_req *, char[65], enum srv_perm *);

/*
 * srv_rest_fail(req, status, why): refuse the request with a short
 * static reason (srv_logweb).
 */
void srv_rest_fail(struct srv_req *, unsigned, const char *);

/* The request's steps; see above.  srv_rest_body: 0, or -1 to close. */
void srv_rest_begin(struct srv_req *, const char *);
int srv_rest_body(struct srv_req *, const uint8_t *, size_t);
void srv_rest_finish(struct srv_req *);
void srv_rest_done(struct srv_req *);

#endif
