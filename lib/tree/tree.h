#ifndef COFFER_TREE_H
#define COFFER_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/*
 * A tree is one directory's listing: nodes sorted by name (bytewise,
 * unique).  It is encoded in a compact, deterministic binary form (see
 * docs/FORMAT.md, "Tree blobs"): the same directory always gives the same
 * bytes, so an unchanged directory deduplicates.
 */

#define BLOB_ID_LEN	32

enum node_type {
	NODE_FILE = 1,
	NODE_DIR = 2,
	NODE_SYMLINK = 3,
	NODE_FIFO = 4,
	NODE_CHR = 5,
	NODE_BLK = 6,
	NODE_SOCK = 7
};

struct xattr {
	char *name;		/* NUL-terminated */
	uint8_t *value;
	size_t value_len;
};

struct node {
	uint8_t type;		/* enum node_type */
	uint8_t *name;		/* raw bytes, not NUL-terminated, no '/' */
	size_t name_len;	/* 1..255 */
	uint32_t mode;		/* permission bits: st_mode & 07777 */
	uint32_t uid, gid;
	int64_t mtime_sec, atime_sec, ctime_sec;
	uint32_t mtime_nsec, atime_nsec, ctime_nsec;
	uint64_t size;		/* files: byte length */
	uint64_t inode, dev;	/* for change detection and hard links */
	uint64_t nlink;
	uint64_t rdev;		/* device nodes */
	uint8_t *target;	/* symlink target, raw bytes */
	size_t target_len;
	struct xattr *xattrs;	/* sorted by name */
	size_t nxattrs;
	uint8_t (*content)[BLOB_ID_LEN];	/* files: data blob ids */
	size_t ncontent;
	uint8_t subtree[BLOB_ID_LEN];		/* directories */
};

struct tree {
	struct node *nodes;
	size_t n;
	size_t cap;
};

/* Upper bounds enforced by the decoder (and the encoder). */
#define TREE_MAX_NODES		(16u * 1024 * 1024)
#define TREE_MAX_NAME		255
#define TREE_MAX_TARGET		65536
#define TREE_MAX_XATTRS		4096
#define TREE_MAX_XATTR_NAME	255
#define TREE_MAX_XATTR_VALUE	(1u << 20)
#define TREE_MAX_CONTENT	(1u << 28)

/* tree_init(t): an empty tree. */
void tree_init(struct tree *);

/*
 * tree_add(t): append a zeroed node and return a pointer to it (valid until
 * the next tree_add), or NULL on ENOMEM.  The tree owns every pointer the
 * caller stores in the node (freed by tree_release with free()).
 */
struct node *tree_add(struct tree *);

/* tree_sort(t): sort nodes by name.  Returns 0, or -1 on duplicate names. */
int tree_sort(struct tree *);

/*
 * tree_encode(t, out): append the encoding of t (which must be sorted, see
 * tree_sort) to out.  Returns 0, or -1 on error (reported).
 */
int tree_encode(const struct tree *, struct buf *);

/*
 * tree_decode(p, len, t): parse an encoded tree into t (initialized here).
 * Returns 0 on success, 1 if the bytes are not a valid canonical encoding
 * (t is released), -1 on ENOMEM.  Never reads outside p[0..len).
 */
int tree_decode(const uint8_t *, size_t, struct tree *);

/* tree_find(t, name, len): the node with this name, or NULL. */
const struct node *tree_find(const struct tree *, const uint8_t *, size_t);

/* node_release(n): free what the node owns and zero it. */
void node_release(struct node *);

/* tree_release(t): free every node and the array; t is empty. */
void tree_release(struct tree *);

#endif
