#ifndef COFFERD_SRV_STORE_H
#define COFFERD_SRV_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Object storage for cofferd, behind a small table of operations so that a
 * backend other than the local file system (S3, issue 8) can be added
 * without touching the HTTP or REST code.  A repository is named by
 * (user, repo); its objects by (type, name), name being 64 lower-case hex
 * digits (SHA-256 of the object's bytes) for every type but config, which
 * has none.  Callers validate names (srv_rest does); backends may assume
 * them valid.
 *
 * The contract every backend keeps: an object is visible (to get, stat,
 * list) only once it is complete and durable; a put that is aborted, or a
 * process that dies at any moment, leaves nothing visible; a name never
 * refers to a partial object.
 */

enum srv_obj_type {
	SRV_OBJ_CONFIG = 0,
	SRV_OBJ_KEYS,
	SRV_OBJ_DATA,
	SRV_OBJ_INDEX,
	SRV_OBJ_SNAPSHOTS,
	SRV_OBJ_LOCKS,
	SRV_OBJ_NTYPES
};

#define SRV_NAME_LEN	64	/* hex digits of an object name */

/* srv_obj_type_name(t): "config", "keys", "data", ... */
const char *srv_obj_type_name(enum srv_obj_type);

/* srv_obj_type_parse(s, len, &t): 0, or -1 if s names no type. */
int srv_obj_type_parse(const char *, size_t, enum srv_obj_type *);

/* One object.  name is "" for config. */
struct srv_obj {
	const char *user;
	const char *repo;
	enum srv_obj_type type;
	const char *name;
};

/*
 * An object's bytes for reading: either an open file (fd >= 0, owned by
 * the body: whoever consumes it closes it; lets the HTTP layer use
 * sendfile) or, for backends without one, a read callback.
 */
struct srv_body {
	int fd;
	uint64_t size;
	/* When fd == -1: read up to max bytes at pos; bytes, 0, or -1. */
	ssize_t (*read)(void *, uint64_t, uint8_t *, size_t);
	void (*close)(void *);		/* releases cookie */
	void *cookie;
};

/* srv_body_release(b): close the file or the reader; b is emptied. */
void srv_body_release(struct srv_body *);

/* Result of a commit. */
enum srv_put_result {
	SRV_PUT_STORED = 0,	/* new object */
	SRV_PUT_EXISTS,		/* the name existed; left as it was */
	SRV_PUT_REPLACED	/* the name existed; replaced (config only) */
};

/* List callback: called once per object; non-zero stops the listing. */
typedef int srv_list_cb(void *, const char *, uint64_t);

/*
 * The operations.  Unless stated otherwise, each returns 0 on success,
 * 1 if the repository or object does not exist (not reported), -1 on error
 * (reported).
 */
struct srv_store_ops {
	const char *name;
	/* Create the repository's layout; idempotent. */
	int (*repo_create)(void *, const char *, const char *);
	/* Start an upload of obj; *put is the backend's upload state. */
	int (*put_begin)(void *, const struct srv_obj *, void **);
	/* Append bytes to the upload.  0 or -1. */
	int (*put_write)(void *, const uint8_t *, size_t);
	/*
	 * Make the upload durable and visible under its name, and free it
	 * (also on failure).  If the name exists: with replace set and a
	 * config object, replace it atomically (*oldsize = its size);
	 * otherwise keep it (content-addressed names: same bytes).  Sets
	 * *res; 0 or -1.
	 */
	int (*put_commit)(void *, int, enum srv_put_result *, uint64_t *);
	/* Drop the upload; nothing becomes visible.  NULL is a no-op. */
	void (*put_abort)(void *);
	/* Open an object for reading. */
	int (*get)(void *, const struct srv_obj *, struct srv_body *);
	/* An object's size. */
	int (*stat)(void *, const struct srv_obj *, uint64_t *);
	/* Each object of a type (not config) in the repository. */
	int (*list)(void *, const char *, const char *, enum srv_obj_type,
	    srv_list_cb *, void *);
	/* Remove an object; *size = the size it had. */
	int (*del)(void *, const struct srv_obj *, uint64_t *);
	/* Bytes stored for a user over all repositories (1: no user). */
	int (*usage)(void *, const char *, uint64_t *);
	void (*free)(void *);
};

struct srv_store {
	const struct srv_store_ops *ops;
	void *cookie;
};

/*
 * srv_store_fs_open(root, &st): the local file system backend, objects in
 * root/<user>/<repo>/ in restic's layout (config, keys/, data/<2 hex>/,
 * index/, snapshots/, locks/); root is created (mode 0700) if missing.
 * Uploads go to an O_TMPFILE inode in the object's directory, are fsynced,
 * linked into place and the directory fsynced; the file system must
 * support O_TMPFILE (checked here).  *st is malloc'd; free with
 * srv_store_free.  0 or -1 (reported).
 */
int srv_store_fs_open(const char *, struct srv_store **);

/* srv_store_free(st): close the backend.  NULL is a no-op. */
void srv_store_free(struct srv_store *);

#endif
