/*
 * Restore: the calling thread walks the snapshot's trees, creates
 * directories, symlinks and special files, and queues regular files for
 * worker threads, which fetch, verify and write their blobs (skipping
 * all-zero blobs, so sparse files come back sparse).  Hard links are made
 * once every file is written; directory metadata is applied last, deepest
 * first, so that writing inside a directory does not disturb its times.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/blobread.h"
#include "fs/fsnode.h"
#include "util/warnp.h"

#include "restore.h"

#define SPARSE_BLOCK	4096

struct rjob {
	char *path;
	struct node nd;		/* owns its copies */
	struct rjob *next;
};

struct linkreq {
	char *target, *path;
};

struct dirmeta {
	char *path;
	struct node nd;
};

struct rs {
	struct repo *r;
	struct index *ix;
	const struct restore_opts *o;
	struct restore_stats st;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct rjob *head, *tail;
	size_t queued;
	int closing;
	_Atomic uint64_t errors, bytes, files;
	/* Hard links: (dev, inode) -> first path. */
	struct hl { uint64_t dev, ino; char *path; } *hl;
	size_t nhl, hlcap;
	struct linkreq *links;
	size_t nlinks, lcap;
	struct dirmeta *dirs;
	size_t ndirs, dcap;
};

static int
all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t z[4096];
	size_t k;

	while (n > 0) {
		k = n < sizeof(z) ? n : sizeof(z);
		if (memcmp(p, z, k) != 0)
			return (0);
		p += k;
		n -= k;
	}
	return (1);
}

static int
pwrite_all(int fd, const uint8_t *p, size_t n, off_t off)
{
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(fd, p, n, off)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return (0);
}

/*
 * Write a verified blob at off, skipping 4 KiB blocks of zeros so that
 * holes stay holes (the final ftruncate sets the length).
 */
static int
write_sparse(int fd, const uint8_t *p, size_t n, off_t off)
{
	size_t i = 0, start, k;

	while (i < n) {
		k = (n - i < SPARSE_BLOCK) ? n - i : SPARSE_BLOCK;
		if (all_zero(p + i, k)) {
			i += k;
			continue;
		}
		start = i;
		while (i < n) {
			k = (n - i < SPARSE_BLOCK) ? n - i : SPARSE_BLOCK;
			if (all_zero(p + i, k))
				break;
			i += k;
		}
		if (pwrite_all(fd, p + start, i - start, off + (off_t)start))
			return (-1);
	}
	return (0);
}

/* Write one file.  0, 1 if it could not be restored (reported). */
static int
write_file(struct rs *rs, struct rjob *j, struct buf *b)
{
	off_t off = 0;
	size_t i;
	int fd, rc;

	/* Replace whatever is there, but only look twice if something is. */
	if ((fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1 && errno == EEXIST &&
	    unlink(j->path) == 0)
		fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
	if (fd == -1) {
		warnp("cannot restore %s", j->path);
		return (1);
	}
	for (i = 0; i < j->nd.ncontent; i++) {
		if ((rc = blob_read(rs->r, rs->ix, j->nd.content[i], BLOB_DATA,
		    b)) != 0) {
			warn0("cannot restore %s: blob %zu of %zu is missing "
			    "or damaged", j->path, i + 1, j->nd.ncontent);
			goto fail;
		}
		if (write_sparse(fd, b->data, b->len, off)) {
			warnp("cannot restore %s", j->path);
			goto fail;
		}
		off += (off_t)b->len;
	}
	if (ftruncate(fd, off)) {
		warnp("cannot restore %s", j->path);
		goto fail;
	}
	if ((uint64_t)off != j->nd.size) {
		warn0("cannot restore %s: content is %lld bytes, the snapshot "
		    "says %llu", j->path, (long long)off,
		    (unsigned long long)j->nd.size);
		goto fail;
	}
	if (fsnode_apply_fd(fd, j->path, &j->nd, rs->o->owner)) {
		close(fd);
		return (1);
	}
	close(fd);
	atomic_fetch_add(&rs->bytes, (uint64_t)off);
	return (0);
fail:
	/* Nothing unverified was written; drop the partial file. */
	close(fd);
	unlink(j->path);
	return (1);
}

static void *
rworker(void *cookie)
{
	struct rs *rs = cookie;
	struct buf b = BUF_INIT;
	struct rjob *j;

	for (;;) {
		pthread_mutex_lock(&rs->mu);
		while (rs->head == NULL && !rs->closing)
			pthread_cond_wait(&rs->cv, &rs->mu);
		if ((j = rs->head) == NULL) {
			pthread_mutex_unlock(&rs->mu);
			break;
		}
		rs->head = j->next;
		if (rs->head == NULL)
			rs->tail = NULL;
		rs->queued--;
		pthread_cond_broadcast(&rs->cv);
		pthread_mutex_unlock(&rs->mu);
		if (write_file(rs, j, &b))
			atomic_fetch_add(&rs->errors, 1);
		else
			atomic_fetch_add(&rs->files, 1);
		free(j->path);
		node_release(&j->nd);
		free(j);
	}
	buf_release(&b);
	return (NULL);
}

/* Deep-copy the parts of a node that restore needs. */
static int
node_copy(struct node *dst, const struct node *src)
{
	size_t i;

	*dst = *src;
	dst->name = NULL;
	dst->name_len = 0;
	dst->target = NULL;
	dst->xattrs = NULL;
	dst->content = NULL;
	if (src->ncontent > 0) {
		if ((dst->content = malloc(src->ncontent * 32)) == NULL)
			goto oom;
		memcpy(dst->content, src->content, src->ncontent * 32);
	}
	if (src->nxattrs > 0) {
		if ((dst->xattrs = calloc(src->nxattrs, sizeof(struct xattr)))
		    == NULL)
			goto oom;
		for (i = 0; i < src->nxattrs; i++) {
			dst->xattrs[i].name = strdup(src->xattrs[i].name);
			dst->xattrs[i].value = malloc(
			    src->xattrs[i].value_len + 1);
			if (!dst->xattrs[i].name || !dst->xattrs[i].value) {
				dst->nxattrs = i + 1;
				goto oom;
			}
			memcpy(dst->xattrs[i].value, src->xattrs[i].value,
			    src->xattrs[i].value_len);
			dst->xattrs[i].value_len = src->xattrs[i].value_len;
		}
	}
	return (0);
oom:
	warnp("malloc");
	node_release(dst);
	return (-1);
}

static int
queue_file(struct rs *rs, const char *path, const struct node *nd)
{
	struct rjob *j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL || node_copy(&j->nd, nd)) {
		if (j != NULL)
			free(j->path);
		free(j);
		warnp("malloc");
		return (-1);
	}
	pthread_mutex_lock(&rs->mu);
	/* Bound the queue: the walker is far faster than the writers. */
	while (rs->queued > 4096)
		pthread_cond_wait(&rs->cv, &rs->mu);
	if (rs->tail != NULL)
		rs->tail->next = j;
	else
		rs->head = j;
	rs->tail = j;
	rs->queued++;
	pthread_cond_broadcast(&rs->cv);
	pthread_mutex_unlock(&rs->mu);
	return (0);
}

#define GROW(v, n, cap) do {						\
	if ((n) == (cap)) {						\
		size_t nc_ = (cap) ? (cap) * 2 : 64;			\
		void *p_ = realloc((v), nc_ * sizeof(*(v)));		\
		if (p_ == NULL) {					\
			warnp("realloc");				\
			return (-1);					\
		}							\
		(v) = p_;						\
		(cap) = nc_;						\
	}								\
} while (0)

/* A hard link to a file already seen?  Then remember to link it. */
static int
hardlink(struct rs *rs, const char *path, const struct node *nd, int *done)
{
	size_t i;

	*done = 0;
	if (nd->nlink < 2)
		return (0);
	for (i = 0; i < rs->nhl; i++) {
		if (rs->hl[i].dev == nd->dev && rs->hl[i].ino == nd->inode) {
			GROW(rs->links, rs->nlinks, rs->lcap);
			rs->links[rs->nlinks].target = rs->hl[i].path;
			if ((rs->links[rs->nlinks].path = strdup(path)) ==
			    NULL)
				return (-1);
			rs->nlinks++;
			*done = 1;
			return (0);
		}
	}
	GROW(rs->hl, rs->nhl, rs->hlcap);
	rs->hl[rs->nhl].dev = nd->dev;
	rs->hl[rs->nhl].ino = nd->inode;
	if ((rs->hl[rs->nhl].path = strdup(path)) == NULL)
		return (-1);
	rs->nhl++;
	return (0);
}

static int
match_any(char **pats, size_t n, const char *path, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strchr(pats[i], '/') != NULL) {
			if (fnmatch(pats[i], path, FNM_PATHNAME) == 0)
				return (1);
		} else if (fnmatch(pats[i], name, 0) == 0)
			return (1);
	}
	return (0);
}


static int
special(struct rs *rs, const char *tp, const struct node *nd)
{

	if (unlink(tp) && errno != ENOENT) {
		warnp("cannot restore %s", tp);
		return (1);
	}
	if (fsnode_make_special(tp, nd) || fsnode_apply(tp, nd, rs->o->owner))
		return (1);
	return (0);
}

static int
remember_dir(struct rs *rs, const char *tp, const struct node *nd)
{

	GROW(rs->dirs, rs->ndirs, rs->dcap);
	if ((rs->dirs[rs->ndirs].path = strdup(tp)) == NULL ||
	    node_copy(&rs->dirs[rs->ndirs].nd, nd)) {
		free(rs->dirs[rs->ndirs].path);
		return (-1);
	}
	rs->ndirs++;
	return (0);
}

/*
 * Restore the entries of one tree.  Returns how many entries were
 * restored (or queued) at or below it, or -1 on a fatal error.
 */
static long
restore_tree(struct rs *rs, const uint8_t id[32], const char *spath,
    int included)
{
	const struct restore_opts *o = rs->o;
	char sp[PATH_MAX], tp[PATH_MAX], name[256];
	struct tree t;
	long count = 0, sub;
	size_t i;
	int inc, linked;

	if (tree_load(rs->r, rs->ix, id, &t) != 0) {
		warn0("cannot restore %s: its directory listing is missing "
		    "or damaged", spath[0] ? spath : "/");
		atomic_fetch_add(&rs->errors, 1);
		return (0);
	}
	for (i = 0; i < t.n; i++) {
		const struct node *nd = &t.nodes[i];

		memcpy(name, nd->name, nd->name_len);
		name[nd->name_len] = '\0';
		if ((size_t)snprintf(sp, sizeof(sp), "%s/%s", spath, name) >=
		    sizeof(sp) || (size_t)snprintf(tp, sizeof(tp), "%s%s",
		    o->target, sp) >= sizeof(tp)) {
			warn0("cannot restore %s: path too long", sp);
			atomic_fetch_add(&rs->errors, 1);
			continue;
		}
		if (match_any(o->excludes, o->nexcludes, sp, name))
			continue;
		inc = included || o->nincludes == 0 ||
		    match_any(o->includes, o->nincludes, sp, name);
		if (nd->type == NODE_DIR) {
			if (mkdir(tp, 0700) && errno != EEXIST) {
				warnp("cannot restore %s", tp);
				atomic_fetch_add(&rs->errors, 1);
				continue;
			}
			if ((sub = restore_tree(rs, nd->subtree, sp, inc)) < 0)
				goto fatal;
			if (sub == 0 && !inc) {
				rmdir(tp);
				continue;
			}
			if (remember_dir(rs, tp, nd))
				goto fatal;
			count += sub + 1;
			continue;
		}
		if (!inc)
			continue;
		count++;
		if (nd->type == NODE_FILE) {
			if (hardlink(rs, tp, nd, &linked))
				goto fatal;
			if (!linked && queue_file(rs, tp, nd))
				goto fatal;
		} else if (special(rs, tp, nd))
			atomic_fetch_add(&rs->errors, 1);
		else
			rs->st.others++;
	}
	tree_release(&t);
	return (count);
fatal:
	tree_release(&t);
	return (-1);
}

static void
finish_links(struct rs *rs)
{
	size_t i;

	for (i = 0; i < rs->nlinks; i++) {
		unlink(rs->links[i].path);
		if (link(rs->links[i].target, rs->links[i].path)) {
			warnp("cannot restore %s (hard link to %s)",
			    rs->links[i].path, rs->links[i].target);
			atomic_fetch_add(&rs->errors, 1);
		} else
			atomic_fetch_add(&rs->files, 1);
		free(rs->links[i].path);
	}
	for (i = 0; i < rs->nhl; i++)
		free(rs->hl[i].path);
	free(rs->links);
	free(rs->hl);
}

static void
finish_dirs(struct rs *rs)
{
	size_t i;

	/* Children were recorded before parents: apply in that order. */
	for (i = 0; i < rs->ndirs; i++) {
		if (fsnode_apply(rs->dirs[i].path, &rs->dirs[i].nd,
		    rs->o->owner))
			atomic_fetch_add(&rs->errors, 1);
		free(rs->dirs[i].path);
		node_release(&rs->dirs[i].nd);
	}
	rs->st.dirs = rs->ndirs;
	free(rs->dirs);
}

int
restore_run(struct repo *r, struct index *ix, const uint8_t tree[32],
    const struct restore_opts *o, struct restore_stats *st)
{
	struct rs rs;
	pthread_t *thr;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN), walked;
	int n, i, started = 0;

	memset(&rs, 0, sizeof(rs));
	rs.r = r;
	rs.ix = ix;
	rs.o = o;
	n = o->nworkers > 0 ? o->nworkers : (ncpu > 0 ? (int)ncpu : 2);
	if (mkdir(o->target, 0700) && errno != EEXIST) {
		warnp("cannot create target %s", o->target);
		return (-1);
	}
	if ((thr = calloc((size_t)n, sizeof(*thr))) == NULL)
		return (-1);
	pthread_mutex_init(&rs.mu, NULL);
	pthread_cond_init(&rs.cv, NULL);
	for (i = 0; i < n; i++)
		if (pthread_create(&thr[i], NULL, rworker, &rs) == 0)
			started++;
	walked = started > 0 ? restore_tree(&rs, tree, "", 0) : -1;
	pthread_mutex_lock(&rs.mu);
	rs.closing = 1;
	pthread_cond_broadcast(&rs.cv);
	pthread_mutex_unlock(&rs.mu);
	for (i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	free(thr);
	finish_links(&rs);
	finish_dirs(&rs);
	pthread_mutex_destroy(&rs.mu);
	pthread_cond_destroy(&rs.cv);
	rs.st.files = rs.files;
	rs.st.bytes = rs.bytes;
	rs.st.errors = rs.errors;
	*st = rs.st;
	if (walked < 0)
		return (-1);
	return (rs.errors > 0 ? 1 : 0);
}
