#ifndef COFFER_MOUNT_FS_H
#define COFFER_MOUNT_FS_H

/*
 * coffer mount: the inode table and the top directories (mount_fs.c),
 * shared with the FUSE operations (mount_ops.c).
 */

#define FUSE_USE_VERSION 312

#include <sys/stat.h>

#include <fuse_lowlevel.h>
#include <pthread.h>
#include <time.h>

#include "mount.h"

#define META_TIMEOUT	1.0	/* seconds: the top directories */
#define TREE_TIMEOUT	3600.0	/* seconds: anything in a snapshot */

enum kind { K_ROOT, K_SNAPSHOTS, K_IDS, K_HOSTS, K_TAGS, K_HOST, K_TAG,
    K_LATEST, K_SNAP, K_NODE };

/*
 * An entry of a top directory, owned (a directory handle keeps a list of
 * them) or borrowed from the snapshot list (under its lock).
 */
struct ment {
	const char *name;
	int kind;
	const char *group;	/* K_HOST, K_TAG: host or tag */
	const char *target;	/* K_LATEST: the snapshot it names */
	uint8_t snapid[32];	/* K_SNAP */
	struct node nd;		/* K_SNAP: made up, no pointers */
};

struct ino {
	struct ino *parent;
	char *name;
	size_t namelen;
	struct ino *hnext;	/* (parent, name) hash chain */
	struct ino *anext, *aprev;	/* every inode */
	int hashed;
	uint64_t nlookup;
	size_t nchild;
	int kind;
	char *group;
	uint64_t stino;
	uint64_t rootino;	/* K_SNAP, K_NODE: st_ino of the snapshot */
	uint8_t snapid[32];
	struct node nd;		/* K_SNAP (made up), K_NODE (a copy), */
				/* K_LATEST (type and target only) */
};

struct fs {
	struct mnt *m;
	pthread_mutex_t mu;
	struct ino root;
	struct ino **ht;
	size_t htcap, htn;
	struct ino *all;
	struct timespec t0;	/* mount time: times of the top dirs */
};

/* A directory handle: the pinned tree, or a copy of the entries. */
struct dh {
	struct idcache_ent *te;
	const struct tree *t;
	struct ment *v;
	size_t n, cap;
};


/* fs_ino(fs, n), fs_nid(fs, i): node id to inode and back. */
struct ino *fs_ino(struct fs *, fuse_ino_t);
fuse_ino_t fs_nid(struct fs *, const struct ino *);

/* fs_isdir(i): whether i is a directory. */
int fs_isdir(const struct ino *);

/* fs_init(fs, m): the root alone.  0 or -1. */
int fs_init(struct fs *, struct mnt *);

/* fs_release(fs): free every inode. */
void fs_release(struct fs *);

/* fs_child_stino(p, name, len, nd): st_ino of p's child (nd if a node). */
uint64_t fs_child_stino(const struct ino *, const char *, size_t,
    const struct node *);

/*
 * fs_intern(fs, p, name, len, me, nd): the child of p of that name, made
 * from a top-directory entry me or a tree node nd, with its lookup count
 * raised by one.  An inode of that name for another snapshot is replaced.
 * NULL on ENOMEM.
 */
struct ino *fs_intern(struct fs *, struct ino *, const char *, size_t,
    const struct ment *, const struct node *);

/* fs_forget(fs, i, n): lower i's lookup count by n; free what is unused. */
void fs_forget(struct fs *, struct ino *, uint64_t);

/* fs_path(fs, i, buf, len): i's path below the mount point, escaped. */
void fs_path(struct fs *, const struct ino *, char *, size_t);

/*
 * fs_meta_visit(fs, p, cb, cookie): call cb for each entry of the top
 * directory p until it returns nonzero (returned).  The caller holds the
 * snapshot list (mnt_lock).
 */
typedef int visit_cb(void *, const struct ment *);
int fs_meta_visit(struct fs *, const struct ino *, visit_cb *, void *);

/* fs_fill_attr(fs, i, st), fs_fill_entry(fs, p, i, e): attributes. */
void fs_fill_attr(struct fs *, const struct ino *, struct stat *);
void fs_fill_entry(struct fs *, const struct ino *, const struct ino *,
    struct fuse_entry_param *);

#endif
