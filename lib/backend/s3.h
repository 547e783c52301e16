#ifndef COFFER_S3_H
#define COFFER_S3_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/*
 * A small S3 client over libcurl, shared by coffer's s3: backend
 * (backend_s3.c) and cofferd's S3 storage (server/srv_store_s3.c).
 *
 * Requests are signed by libcurl's own AWS Signature Version 4
 * (CURLOPT_AWS_SIGV4); nothing here computes a signature.  The quirks of
 * libcurl 7.88's signer, and what this code does about them:
 *   - it never sends x-amz-content-sha256, which S3 services require: every
 *     request carries it, set to the SHA-256 of the body (the service
 *     recomputes it and refuses a body damaged on the way, so this is
 *     also the upload's integrity check);
 *   - it signs every header given with CURLOPT_HTTPHEADER, even an empty
 *     one ("Expect:") that curl then leaves out of the request: no header
 *     is ever removed that way;
 *   - it signs the URL's path and query exactly as given: paths are
 *     encoded here by S3's rules (RFC 3986 unreserved characters kept,
 *     '/' kept, everything else %XX in upper case) and queries are built
 *     in canonical form (names sorted, "name=value", values encoded);
 *     "." and ".." path segments, which curl would squash, never occur.
 * Addressing is path-style (http://HOST:PORT/BUCKET/KEY), which Ceph's
 * radosgw, MinIO and AWS all accept.
 *
 * One connection per thread is kept alive between requests; any number of
 * threads may use one struct s3 at once.
 */

struct s3;

/*
 * s3_open(location, &s): location is "http(s)://HOST[:PORT]/BUCKET[/PREFIX]"
 * (no scheme means https).  Credentials: AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) from the environment, else
 * the profile AWS_PROFILE ("default") of AWS_SHARED_CREDENTIALS_FILE
 * (~/.aws/credentials).  Region: AWS_REGION, else AWS_DEFAULT_REGION, else
 * us-east-1.  COFFER_S3_RETRIES (0-20, default 8) bounds retries,
 * COFFER_CACERT names a CA bundle to trust.  Returns 0 with *s set (free
 * with s3_free), or -1 (reported).
 */
int s3_open(const char *, struct s3 **);

/* s3_free(s): wipe the credentials, close connections.  NULL: no-op. */
void s3_free(struct s3 *);

/* s3_shown(s): "s3:http(s)://HOST:PORT/BUCKET/PREFIX/" for messages. */
const char *s3_shown(const struct s3 *);

/* s3_prefix(s): the key prefix, "" or ending with '/'. */
const char *s3_prefix(const struct s3 *);

/* A request body: from memory (p) or a file (fd >= 0, read with pread). */
struct s3_body {
	const uint8_t *p;
	int fd;
	uint64_t len;
	char sha256[65];	/* hex SHA-256 of the bytes */
};

/* s3_body_mem(b, p, len): a body from memory, its SHA-256 computed. */
void s3_body_mem(struct s3_body *, const uint8_t *, size_t);

/*
 * Where a response goes.  The body is appended to body (emptied first), or
 * written to dst (at most cap bytes), or dropped when both are NULL.  An
 * error response's body never goes there; its <Code> lands in code.
 */
struct s3_sink {
	struct buf *body;
	uint8_t *dst;
	size_t cap;
	/* Set by s3_request: */
	size_t got;		/* body bytes received */
	uint64_t length;	/* Content-Length (HEAD: the object's size) */
	uint64_t total;		/* the total of a Content-Range, or 0 */
	int has_total;
	char etag[128];		/* the ETag header, quotes included */
	char code[64];		/* S3 error code ("NoSuchKey"), or "" */
	/* Private. */
	int overflow;
	size_t errlen;
	char err[1024];
};

/* One request. */
struct s3_req {
	const char *method;		/* GET, HEAD, PUT, DELETE */
	const char *key;		/* object key (prefix included) or NULL */
	const char *query;		/* canonical query string, or NULL */
	const struct s3_body *body;	/* PUT's body, or NULL (empty) */
	const char *range;		/* "FIRST-LAST" or NULL */
	const char *hdr;		/* one more header ("If-None-Match: *") */
};

/*
 * s3_request(s, req, sink): send req, retrying with exponential backoff
 * (and jitter) on connection failures, timeouts, HTTP 5xx (but 501), 429,
 * and the 400s that mean the request or its body was damaged or too slow
 * (RequestTimeout, BadDigest, XAmzContentSHA256Mismatch).  sink may be
 * NULL.  Returns the final HTTP status, or -1 after a final transport
 * failure (reported).
 */
long s3_request(struct s3 *, const struct s3_req *, struct s3_sink *);

/*
 * s3_report(s, what, key, status, sink): report a failed request in words
 * ("access denied ... check AWS_ACCESS_KEY_ID", "bucket ... does not
 * exist", ...).  what is the operation ("upload"), key may be NULL.
 */
void s3_report(const struct s3 *, const char *, const char *, long,
    const struct s3_sink *);

/* s3_no_bucket(status, sink): 1 if the answer says the bucket is missing. */
int s3_no_bucket(long, const struct s3_sink *);

/* Listing callback: key (prefix included), size; nonzero stops. */
typedef int s3_list_cb(void *, const char *, uint64_t);

/*
 * s3_list(s, prefix, cb, cookie): call cb for every key starting with
 * prefix, in key order, following ListObjectsV2's continuation tokens.
 * Returns 0, -1 on error (reported; a missing bucket too), or cb's
 * nonzero value.
 */
int s3_list(struct s3 *, const char *, s3_list_cb *, void *);

/*
 * s3_head(s, key, &size): HEAD an object.  0 (size set unless NULL), 1 if
 * it is missing, -1 (reported).
 */
int s3_head(struct s3 *, const char *, uint64_t *);

/*
 * s3_bucket_create(s): create the bucket unless this account has it.
 * 0 or -1 (reported; also when another account owns the name).
 */
int s3_bucket_create(struct s3 *);

/* ---- Text helpers (s3_xml.c), pure functions, for the tests too. ---- */

/* One page of a ListObjectsV2 answer. */
struct s3_entry {
	char *key;
	uint64_t size;
};
struct s3_page {
	struct s3_entry *v;
	size_t n;
	int truncated;		/* IsTruncated was true */
	char *next;		/* NextContinuationToken, or NULL */
};

/*
 * s3_list_parse(xml, len, pg): parse a ListBucketResult: each Contents'
 * Key (XML entities decoded) and Size, IsTruncated, NextContinuationToken.
 * Returns 0, or -1 if the document is malformed (pg is then empty).
 * Release pg with s3_page_release.
 */
int s3_list_parse(const char *, size_t, struct s3_page *);

/* s3_page_release(pg): free the entries; pg is empty afterwards. */
void s3_page_release(struct s3_page *);

/*
 * s3_xml_unescape(s, n, &out): decode the five named entities and numeric
 * character references (to UTF-8) of s[0..n).  *out is malloc'd, NUL-
 * terminated.  0, or -1 on a malformed or disallowed reference (NUL, a
 * surrogate, beyond U+10FFFF) or a raw '<'.
 */
int s3_xml_unescape(const char *, size_t, char **);

/*
 * s3_uri_encode(s, keep_slash, out, size): S3's URI encoding of s into
 * out (NUL-terminated): A-Z a-z 0-9 - _ . ~ kept, '/' kept if keep_slash,
 * every other byte %XX (upper case).  0, or -1 if it does not fit.
 */
int s3_uri_encode(const char *, int, char *, size_t);

/* s3_error_code(body, len, code, size): the <Code> of an <Error>, or "". */
void s3_error_code(const char *, size_t, char *, size_t);

#endif
