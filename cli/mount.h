#ifndef COFFER_MOUNT_H
#define COFFER_MOUNT_H

/*
 * coffer mount: the repository side (mount_repo.c: snapshots, index,
 * caches, file contents) and the FUSE side (mount_fs.c: inodes and
 * operations).  cmd_mount.c ties them together.
 */

#include <sys/types.h>

#include <pthread.h>
#include <stdint.h>

#include "engine/idcache.h"
#include "snapshot/snapname.h"
#include "snapshot/snapshot.h"
#include "tree/tree.h"

#include "cli.h"

/* One snapshot as the mount shows it. */
struct msnap {
	struct snapshot s;
	char name[SNAPNAME_MAX];	/* in snapshots/ (snapname.h) */
	char shortid[65];		/* in ids/ */
	char *host;		/* hostname as a file name, or NULL if none */
	char **tags;		/* tags as file names */
	size_t ntags;
};

/* The index in use, counted so that a reload never frees it under a read. */
struct mindex {
	struct index *ix;
	unsigned refs;
};

struct mnt {
	struct session *ss;
	/* The index, replaced when new snapshots appear. */
	pthread_mutex_t ixmu;
	struct mindex *cur;
	/* Decrypted data blobs (uint8_t *) and decoded trees (struct tree). */
	struct idcache *blobs;
	struct idcache *trees;
	/* Snapshots, oldest first; guarded by smu. */
	pthread_mutex_t smu;
	struct msnap *sv;
	size_t sn;
	char **hosts;		/* distinct hosts and tags, sorted */
	size_t nhosts;
	char **tagv;
	size_t ntagv;
	char (*bad)[65];	/* snapshot objects that failed to load */
	size_t nbad;
	int64_t listed_ms;	/* when snapshots/ was last listed */
	uint64_t gen;		/* bumped whenever the list changes */
	/* Prefetching of the next blobs of a file being read. */
	pthread_mutex_t pmu;
	pthread_cond_t pcv;
	uint8_t pq[8][32];
	size_t pqn;
	int pstop;
	pthread_t pthr[2];
	int npthr;
	/* Options. */
	int owner_root;
	uid_t uid;		/* of the mounting user, for the top dirs */
	gid_t gid;
};

/* An open file: its blobs and where each ends (prefix sums). */
struct mfile {
	size_t n;
	uint8_t (*ids)[32];
	uint64_t *end;		/* end[i]: offset just past blob i */
	uint64_t size;
	char *path;		/* for messages */
};

/* mount_repo.c */

/*
 * mnt_init(m, ss, cache_bytes): set up caches and the first snapshot list
 * for a session opened with its index (which m takes over).  0 or -1.
 */
int mnt_init(struct mnt *, struct session *, size_t);

/* mnt_release(m): stop the prefetcher, free everything mnt_init made. */
void mnt_release(struct mnt *);

/*
 * mnt_refresh(m, force): list snapshots/ again (at most once a second
 * unless force), load the new ones, drop the removed ones, and reload the
 * index if any is new.  0 or -1.
 */
int mnt_refresh(struct mnt *, int);

/* mnt_lock(m), mnt_unlock(m): hold the snapshot list (m->sv, m->sn). */
void mnt_lock(struct mnt *);
void mnt_unlock(struct mnt *);

/*
 * mnt_tree(m, id, &e): the decoded tree id, pinned in m->trees until
 * idcache_put(m->trees, e); the tree is idcache_val(e).  Returns 0, or 1
 * if it cannot be read (reported, naming the tree).
 */
int mnt_tree(struct mnt *, const uint8_t[32], struct idcache_ent **);

/*
 * mnt_open(m, nd, path, &f): the blob table of a file node (path for
 * messages).  0, 1 if a blob is unknown or the lengths disagree with the
 * size (reported), -1 on error.  f is freed with mnt_close.
 */
int mnt_open(struct mnt *, const struct node *, const char *,
    struct mfile **);
void mnt_close(struct mfile *);

/* The blobs pinned for one read, and the bytes wanted from each. */
struct mread {
	struct iovec *iov;
	struct idcache_ent **ents;
	size_t n;
};

/*
 * mnt_read(m, f, off, len, rd): pin the blobs holding [off, off + len)
 * (len already cut at the end of the file, not 0) and point rd->iov at
 * the bytes, which are verified plaintext.  Queues the next blob for
 * prefetching.  Returns 0 (release with mnt_read_done), or 1 if a blob
 * cannot be read (reported, naming it and the file; nothing stays
 * pinned), -1 on error.
 */
int mnt_read(struct mnt *, struct mfile *, uint64_t, size_t, struct mread *);
void mnt_read_done(struct mnt *, struct mread *);

/* mount_fs.c */

/*
 * mount_serve(m, dir, allow_other, default_permissions): mount the FUSE
 * file system at dir and serve requests until unmounted, SIGINT, SIGTERM
 * or SIGHUP; then unmount.  Returns 0 or -1 (reported).
 */
int mount_serve(struct mnt *, const char *, int, int);

#endif
