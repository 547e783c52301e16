#ifndef COFFER_BACKEND_H
#define COFFER_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/*
 * A backend stores immutable objects by type and name.  The repository
 * layout is the same on every backend: "config", "keys/<id>",
 * "data/<id[0..2]>/<id>", "index/<id>", "snapshots/<id>", "locks/<id>",
 * where <id> is 64 lower-case hex digits (the SHA-256 of the object's
 * bytes).  Backends do no cryptography and see only ciphertext.
 */

enum obj_type {
	OBJ_CONFIG = 0,
	OBJ_KEY,
	OBJ_DATA,
	OBJ_INDEX,
	OBJ_SNAPSHOT,
	OBJ_LOCK,
	OBJ_NTYPES
};

/* backend_type_name(t): "config", "keys", "data", ... */
const char *backend_type_name(enum obj_type);

struct backend;

/* List callback: return 0 to continue, nonzero to stop with that value. */
typedef int backend_list_cb(void *, const char *, uint64_t);

struct backend_ops {
	int (*create)(void *);
	int (*put)(void *, enum obj_type, const char *, const uint8_t *,
	    size_t);
	int (*get)(void *, enum obj_type, const char *, struct buf *);
	int (*get_range)(void *, enum obj_type, const char *, uint64_t,
	    size_t, uint8_t *);
	int (*stat)(void *, enum obj_type, const char *, uint64_t *);
	int (*list)(void *, enum obj_type, backend_list_cb *, void *);
	int (*remove)(void *, enum obj_type, const char *);
	void (*free)(void *);
};

/*
 * An observer of changes: observe(cookie, removed, type, name) is called
 * after each successful put (removed 0) or remove (removed 1) of a key
 * slot or a snapshot (the transparency log's local record).
 */
typedef void backend_observe_fn(void *, int, enum obj_type, const char *);

struct backend {
	const struct backend_ops *ops;
	void *impl;
	char *location;		/* for messages (no credentials) */
	int remote;		/* the other side may observe our reads */
	backend_observe_fn *observe;	/* NULL: none */
	void *observe_cookie;
};

/*
 * backend_open(location): a backend for a location string.  A plain path
 * is a local directory.  Returns NULL on error (reported).
 */
struct backend *backend_open(const char *);

/* backend_free(b): close; NULL is a no-op. */
void backend_free(struct backend *);

/*
 * backend_create(b): create an empty repository layout.  Returns 0, or -1
 * on error; fails if a config already exists there (EEXIST).
 */
int backend_create(struct backend *);

/*
 * backend_put(b, type, name, p, len): store an object atomically: it is
 * visible only complete and durable.  Storing a name that exists replaces
 * it, except for OBJ_CONFIG, which fails with EEXIST.  0 or -1 (reported).
 */
int backend_put(struct backend *, enum obj_type, const char *,
    const uint8_t *, size_t);

/*
 * backend_get(b, type, name, out): read a whole object into out (which is
 * emptied first).  Returns 0, 1 if there is no such object (not reported),
 * or -1 on error (reported).
 */
int backend_get(struct backend *, enum obj_type, const char *, struct buf *);

/*
 * backend_get_range(b, type, name, off, len, out): read len bytes at off.
 * Returns 0, 1 if the object is missing or shorter (not reported), -1.
 */
int backend_get_range(struct backend *, enum obj_type, const char *,
    uint64_t, size_t, uint8_t *);

/* backend_stat(b, type, name, &size): 0, 1 if missing, -1 on error. */
int backend_stat(struct backend *, enum obj_type, const char *, uint64_t *);

/*
 * backend_list(b, type, cb, cookie): call cb(cookie, name, size) for every
 * object of the type, in no particular order.  Names that are not valid
 * object names are skipped.  Returns 0, -1 on error, or cb's nonzero value.
 */
int backend_list(struct backend *, enum obj_type, backend_list_cb *, void *);

/* backend_remove(b, type, name): 0, 1 if missing, -1 on error. */
int backend_remove(struct backend *, enum obj_type, const char *);

/* backend_valid_name(name): 1 if name is 64 lower-case hex digits. */
int backend_valid_name(const char *);

/* Local directory backend (backend_local.c). */
struct backend *backend_local_open(const char *);

/* REST backend (backend_rest.c): "http(s)://[user:secret@]host/path/". */
struct backend *backend_rest_open(const char *);

/*
 * backend_rest_fetch(b, path, auth, out): GET path ("/log/checkpoint")
 * from the server of REST backend b, with the repository's credentials
 * only if auth is set, the body into out.  0, 1 if 404 (not reported),
 * -1 on error or if b is not a REST backend (reported, but the latter).
 */
int backend_rest_fetch(struct backend *, const char *, int, struct buf *);

/*
 * S3 backend (backend_s3.c): "http(s)://HOST[:PORT]/BUCKET[/PREFIX]";
 * credentials and region from the environment (see s3.h).
 */
struct backend *backend_s3_open(const char *);

#endif
