/*
 * The walking half of the backup pipeline.  The calling thread walks the
 * file system depth first, builds each directory's tree, reads and chunks
 * files and queues the chunks (pipeline.c).  A directory's tree can only be
 * encoded once every chunk of every file in it has its id, so completion is
 * counted: each file holds one count on its directory per outstanding
 * chunk batch, each subdirectory one count on its parent, and the walker
 * one while it lists.  Whichever thread drops a count to zero finishes the
 * object: a file copies its ids into its node, a directory encodes and
 * stores its tree and releases its parent.  Node arrays are sized before
 * any child starts, so no thread ever sees one move.
 *
 * Walking itself runs on several threads (one per core): a directory met
 * while walking is pushed on a shared stack of jobs when few are waiting,
 * and walked in place otherwise (depth first, so memory stays bounded by
 * the depth of the tree times the stack's limit).  Each walker lists,
 * stats, reads and chunks on its own; completion counting does not care
 * which thread finishes what.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/blobread.h"
#include "engine/pipeline.h"
#include "fs/fsnode.h"
#include "util/sysinfo.h"
#include "util/warnp.h"

#include "backup.h"
#include "progress.h"

#define SLOTS	64
#define MAXWALK	16	/* walker threads at most */
#define JOBS_PER_WALKER	4	/* queued directories per walker, at most */

/* A directory to walk, waiting on the stack. */
struct wjob {
	struct wjob *next;
	struct bdir *d;
	char *path;
	dev_t fsdev;
};

struct bk {
	struct repo *r;
	struct index *ix;
	struct pipeline *pl;
	const struct backup_opts *o;
	struct progress prog;
	_Atomic uint64_t files_new, files_changed, files_unmodified;
	_Atomic uint64_t dirs_new, dirs_changed, dirs_unmodified;
	_Atomic uint64_t errors;
	_Atomic uint64_t bytes_read;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int root_done;
	uint8_t root_id[32];
	_Atomic int failed;
	size_t rcap;

	/* The walkers' stack of jobs. */
	pthread_mutex_t wmu;
	pthread_cond_t wcv;
	struct wjob *jobs;
	size_t njobs, maxjobs;
	int wactive;		/* walkers in a job (the first: until its walk ends) */
	pthread_t wthr[MAXWALK];
	int nwthr;
};

/* Each walker's read buffer (the largest chunk + 1 MiB: chunk_file). */
static _Thread_local uint8_t *t_rbuf;

struct bdir {
	struct bk *bk;
	struct tree t;
	uint8_t *skip;
	_Atomic long pending;
	struct bdir *parent;
	size_t pidx;
	struct tree ptree;	/* the parent snapshot's tree, if any */
	int has_prev;
	uint8_t prev[32];
};

struct slotblk {
	struct slotblk *next;
	uint8_t ids[SLOTS][32];
};

struct bfile {
	struct bdir *d;
	size_t idx;
	_Atomic long pending;
	struct slotblk *head, *tail;
	size_t n;
};

static void dir_release(struct bdir *);

static void
dir_finish(struct bdir *d)
{
	struct bk *bk = d->bk;
	struct buf b = BUF_INIT;
	uint8_t id[32];
	size_t i, j;

	/* Drop the nodes of entries that could not be read. */
	for (i = j = 0; i < d->t.n; i++) {
		if (d->skip[i]) {
			node_release(&d->t.nodes[i]);
			continue;
		}
		d->t.nodes[j++] = d->t.nodes[i];
	}
	d->t.n = j;
	if (tree_encode(&d->t, &b) || pipeline_tree(bk->pl, b.data, b.len,
	    id)) {
		atomic_store(&bk->failed, 1);
		memset(id, 0, sizeof(id));
	}
	buf_release(&b);
	if (!d->has_prev)
		atomic_fetch_add(&bk->dirs_new, 1);
	else if (memcmp(d->prev, id, 32) == 0)
		atomic_fetch_add(&bk->dirs_unmodified, 1);
	else
		atomic_fetch_add(&bk->dirs_changed, 1);
	tree_release(&d->t);
	tree_release(&d->ptree);
	free(d->skip);
	if (d->parent != NULL) {
		memcpy(d->parent->t.nodes[d->pidx].subtree, id, 32);
		dir_release(d->parent);
	} else {
		pthread_mutex_lock(&bk->mu);
		memcpy(bk->root_id, id, 32);
		bk->root_done = 1;
		pthread_cond_signal(&bk->cv);
		pthread_mutex_unlock(&bk->mu);
	}
	free(d);
}

static void
dir_release(struct bdir *d)
{

	if (atomic_fetch_sub(&d->pending, 1) == 1)
		dir_finish(d);
}

static void
file_finish(struct bfile *f)
{
	struct node *nd = &f->d->t.nodes[f->idx];
	struct slotblk *s, *next;
	size_t k = 0, i;

	if (f->n > 0 && (nd->content = malloc(f->n * 32)) == NULL) {
		warnp("malloc");
		atomic_store(&f->d->bk->failed, 1);
	}
	for (s = f->head; s != NULL; s = next) {
		next = s->next;
		for (i = 0; i < SLOTS && k < f->n; i++, k++)
			if (nd->content != NULL)
				memcpy(nd->content[k], s->ids[i], 32);
		free(s);
	}
	if (nd->content != NULL)
		nd->ncontent = f->n;
	dir_release(f->d);
	free(f);
}

static void
file_done(void *cookie)
{
	struct bfile *f = cookie;

	if (atomic_fetch_sub(&f->pending, 1) == 1)
		file_finish(f);
}

/* The next id slot of a file (the walker is the only writer of these). */
static uint8_t *
file_slot(struct bfile *f)
{
	struct slotblk *s;
	size_t i = f->n % SLOTS;

	if (i == 0) {
		if ((s = calloc(1, sizeof(*s))) == NULL) {
			warnp("calloc");
			return (NULL);
		}
		if (f->tail != NULL)
			f->tail->next = s;
		else
			f->head = s;
		f->tail = s;
	}
	return (f->tail->ids[f->n++ % SLOTS]);
}

static int
queue_chunk(struct bk *bk, struct bfile *f, uint8_t *p, size_t len)
{
	uint8_t *slot;

	if ((slot = file_slot(f)) == NULL) {
		free(p);
		return (-1);
	}
	atomic_fetch_add(&f->pending, 1);
	if (pipeline_data(bk->pl, p, len, slot, file_done, f)) {
		atomic_fetch_sub(&f->pending, 1);
		return (-1);
	}
	return (0);
}

/*
 * Read fd to the end, chunking as we go.  0, 1 on read error, -1.
 *
 * The buffer holds one largest chunk and 1 MiB more.  Chunks are cut from
 * what it holds until the chunker needs more input (which it does only
 * with less than a largest chunk left); then that tail, usually shorter
 * than a chunk, moves to the front and the rest is filled by reading.
 */
static int
chunk_file(struct bk *bk, struct bfile *f, int fd, uint64_t *nread)
{
	const struct fastcdc *cdc = bk->r->cdc;
	size_t start = 0, end = 0, n;
	uint8_t *c;
	ssize_t rr;
	int eof = 0;

	for (;;) {
		if (end == start && eof)
			return (0);
		n = end > start || eof ? fastcdc_cut(cdc, t_rbuf + start,
		    end - start, eof) : 0;
		if (n == 0) {
			/* Need more input: keep the tail, fill the rest. */
			memmove(t_rbuf, t_rbuf + start, end - start);
			end -= start;
			start = 0;
			while (end < bk->rcap) {
				rr = read(fd, t_rbuf + end, bk->rcap - end);
				if (rr == -1 && errno == EINTR)
					continue;
				if (rr == -1)
					return (1);
				if (rr == 0) {
					eof = 1;
					break;
				}
				end += (size_t)rr;
				*nread += (uint64_t)rr;
				progress_add_bytes(&bk->prog, (uint64_t)rr);
			}
			continue;
		}
		if ((c = malloc(n)) == NULL) {
			warnp("malloc");
			return (-1);
		}
		memcpy(c, t_rbuf + start, n);
		if (queue_chunk(bk, f, c, n))
			return (-1);
		start += n;
	}
}

static int
unchanged(const struct node *p, const struct stat *st, struct index *ix)
{
	struct idx_entry e;
	size_t i;

	if (p == NULL || p->type != NODE_FILE ||
	    p->size != (uint64_t)st->st_size ||
	    p->mtime_sec != st->st_mtim.tv_sec ||
	    p->mtime_nsec != (uint32_t)st->st_mtim.tv_nsec ||
	    p->ctime_sec != st->st_ctim.tv_sec ||
	    p->ctime_nsec != (uint32_t)st->st_ctim.tv_nsec ||
	    p->inode != (uint64_t)st->st_ino)
		return (0);
	/* Only if every blob is still known to the index. */
	for (i = 0; i < p->ncontent; i++)
		if (!index_lookup(ix, p->content[i], &e, NULL))
			return (0);
	return (1);
}

static int
open_noatime(const char *path)
{
	int fd;

	fd = open(path, O_RDONLY | O_NOATIME | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	return (fd);
}

/* Back up one regular file.  0, 1 if unreadable (reported), -1. */
static int
do_file(struct bk *bk, struct bdir *d, size_t idx, const char *path,
    const struct stat *st, const struct node *pn)
{
	struct node *nd = &d->t.nodes[idx];
	struct bfile *f;
	uint64_t nread = 0;
	int fd, rc;

	progress_add_file(&bk->prog);
	if (unchanged(pn, st, bk->ix)) {
		if (pn->ncontent > 0) {
			if ((nd->content = malloc(pn->ncontent * 32)) == NULL) {
				warnp("malloc");
				return (-1);
			}
			memcpy(nd->content, pn->content, pn->ncontent * 32);
			nd->ncontent = pn->ncontent;
		}
		atomic_fetch_add(&bk->files_unmodified, 1);
		progress_add_bytes(&bk->prog, (uint64_t)st->st_size);
		return (0);
	}
	if (t_rbuf == NULL && (t_rbuf = malloc(bk->rcap)) == NULL) {
		warnp("malloc");
		return (-1);
	}
	if ((fd = open_noatime(path)) == -1) {
		warnp("cannot read %s", path);
		return (1);
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		warnp("calloc");
		close(fd);
		return (-1);
	}
	f->d = d;
	f->idx = idx;
	f->pending = 1;
	atomic_fetch_add(&d->pending, 1);
	rc = chunk_file(bk, f, fd, &nread);
	if (rc == 1)
		warnp("cannot read %s", path);
	close(fd);
	nd->size = nread;
	atomic_fetch_add(&bk->bytes_read, nread);
	if (rc == 0)
		atomic_fetch_add(pn != NULL ? &bk->files_changed :
		    &bk->files_new, 1);
	file_done(f);
	return (rc);
}

int
backup_excluded(char **pats, size_t n, const char *path, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *pat = pats[i];

		if (strchr(pat, '/') != NULL) {
			if (fnmatch(pat, path, FNM_PATHNAME) == 0)
				return (1);
		} else if (fnmatch(pat, name, 0) == 0)
			return (1);
	}
	return (0);
}


static struct bdir *
bdir_new(struct bk *bk, struct bdir *parent, size_t pidx)
{
	struct bdir *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		warnp("calloc");
		return (NULL);
	}
	d->bk = bk;
	d->parent = parent;
	d->pidx = pidx;
	d->pending = 1;		/* the walker's hold */
	tree_init(&d->t);
	tree_init(&d->ptree);
	if (parent != NULL)
		atomic_fetch_add(&parent->pending, 1);
	return (d);
}

static int
namecmp(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * The sorted entries of a directory, and in *dfdp a descriptor of it for
 * fstatat (or -1 if none is left: then entries are looked up by path).
 * 0, 1 if unreadable, -1.
 */
static int
list_dir(const char *path, char ***vp, size_t *np, int *dfdp)
{
	struct dirent *de;
	char **v = NULL, **nv;
	size_t n = 0, cap = 0;
	DIR *dp;
	int fd, saved;

	/* O_NOATIME: reading a directory should not change its atime. */
	if ((fd = open(path[0] ? path : "/", O_RDONLY | O_DIRECTORY |
	    O_NOATIME | O_CLOEXEC)) == -1 && errno == EPERM)
		fd = open(path[0] ? path : "/", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
	if (fd == -1 || (dp = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return (1);
	}
	*dfdp = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	while ((errno = 0, de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto oom;
			v = nv;
		}
		if ((v[n] = strdup(de->d_name)) == NULL)
			goto oom;
		n++;
	}
	if (errno != 0) {
		closedir(dp);
		while (n > 0)
			free(v[--n]);
		free(v);
		goto fail;
	}
	closedir(dp);
	if (n > 1)
		qsort(v, n, sizeof(*v), namecmp);
	*vp = v;
	*np = n;
	return (0);
oom:
	warnp("readdir");
	closedir(dp);
	while (n > 0)
		free(v[--n]);
	free(v);
	if (*dfdp != -1)
		close(*dfdp);
	*dfdp = -1;
	return (-1);
fail:
	saved = errno;
	if (*dfdp != -1)
		close(*dfdp);
	*dfdp = -1;
	errno = saved;
	return (1);
}

/*
 * The distinct first components below dir of the target paths (each of
 * which starts with dir + "/").
 */
static int
target_names(const char *dir, char **tg, size_t ntg, char ***vp, size_t *np)
{
	size_t dl = strlen(dir), i, n = 0, len;
	const char *s, *e;
	char **v;

	if ((v = calloc(ntg ? ntg : 1, sizeof(*v))) == NULL)
		return (-1);
	for (i = 0; i < ntg; i++) {
		s = tg[i] + dl + 1;
		e = strchr(s, '/');
		len = e ? (size_t)(e - s) : strlen(s);
		if (n > 0 && strlen(v[n - 1]) == len &&
		    memcmp(v[n - 1], s, len) == 0)
			continue;
		if ((v[n] = strndup(s, len)) == NULL) {
			while (n > 0)
				free(v[--n]);
			free(v);
			return (-1);
		}
		n++;
	}
	*vp = v;
	*np = n;
	return (0);
}

static int walk(struct bk *, struct bdir *, const char *, char **, size_t,
    dev_t);

/*
 * Push the walk of directory d (at path) on the stack if it has room: 0
 * (the job now owns the walker's hold on d), 1 if it is full (walk it in
 * place), -1 on error.
 */
static int
push_job(struct bk *bk, struct bdir *d, const char *path, dev_t fsdev)
{
	struct wjob *j;

	if (bk->nwthr == 0 || bk->njobs >= bk->maxjobs)
		return (1);	/* unlocked peek: only a hint */
	if ((j = malloc(sizeof(*j))) == NULL ||
	    (j->path = strdup(path)) == NULL) {
		free(j);
		warnp("malloc");
		return (-1);
	}
	j->d = d;
	j->fsdev = fsdev;
	pthread_mutex_lock(&bk->wmu);
	j->next = bk->jobs;
	bk->jobs = j;
	bk->njobs++;
	pthread_cond_signal(&bk->wcv);
	pthread_mutex_unlock(&bk->wmu);
	return (0);
}

/*
 * Take and walk jobs until none is left and no walker is busy (a busy one
 * may push more).  Every walker thread runs this; so does the first one
 * once its own walk is over.
 */
static void
walk_jobs(struct bk *bk)
{
	struct wjob *j;

	pthread_mutex_lock(&bk->wmu);
	for (;;) {
		while (bk->jobs == NULL && bk->wactive > 0)
			pthread_cond_wait(&bk->wcv, &bk->wmu);
		if ((j = bk->jobs) == NULL)
			break;		/* and nobody can push any more */
		bk->jobs = j->next;
		bk->njobs--;
		bk->wactive++;
		pthread_mutex_unlock(&bk->wmu);
		if (walk(bk, j->d, j->path, NULL, 0, j->fsdev) < 0)
			atomic_store(&bk->failed, 1);
		dir_release(j->d);
		free(j->path);
		free(j);
		pthread_mutex_lock(&bk->wmu);
		if (--bk->wactive == 0 && bk->jobs == NULL)
			pthread_cond_broadcast(&bk->wcv);
	}
	pthread_cond_broadcast(&bk->wcv);
	pthread_mutex_unlock(&bk->wmu);
}

static void *
walker_main(void *cookie)
{
	struct bk *bk = cookie;

	walk_jobs(bk);
	free(t_rbuf);
	t_rbuf = NULL;
	return (NULL);
}

/* One entry of a directory.  0, 1 if skipped with a warning, -1. */
static int
do_entry(struct bk *bk, struct bdir *d, size_t i, const char *dir, int dfd,
    const char *name, char **tg, size_t ntg, dev_t fsdev)
{
	struct node *nd = &d->t.nodes[i];
	const struct node *pn;
	struct bdir *sub;
	char path[PATH_MAX];
	char **subtg = NULL;
	size_t nsub = 0, k, pl;
	struct stat st;
	int rc = 0, target = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    sizeof(path)) {
		warn0("cannot read %s/%s: path too long", dir, name);
		return (1);
	}
	/* Which targets lie below (or are) this entry? */
	pl = strlen(path);
	for (k = 0; k < ntg; k++) {
		if (strcmp(tg[k], path) == 0)
			target = 1;
		else if (strncmp(tg[k], path, pl) == 0 && tg[k][pl] == '/') {
			if (subtg == NULL)
				subtg = &tg[k];
			nsub++;
		}
	}
	if (ntg > 0 && !target && nsub == 0)
		return (2);		/* not on the way to any target */
	if (ntg == 0 && backup_excluded(bk->o->excludes, bk->o->nexcludes, path, name))
		return (2);
	if (dfd != -1 ? fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) :
	    lstat(path, &st)) {
		warnp("cannot read %s", path);
		return (1);
	}
	if (ntg > 0 && !target && !S_ISDIR(st.st_mode)) {
		warn0("cannot read %s: not a directory", path);
		return (1);
	}
	nd->name_len = strlen(name);
	if ((nd->name = (uint8_t *)strdup(name)) == NULL) {
		warnp("strdup");
		return (-1);
	}
	pn = tree_find(&d->ptree, nd->name, nd->name_len);
	if (fsnode_capture_prev(path, &st, nd, pn))
		return (1);
	if (S_ISREG(st.st_mode))
		return (do_file(bk, d, i, path, &st, pn));
	if (!S_ISDIR(st.st_mode))
		return (0);

	if ((sub = bdir_new(bk, d, i)) == NULL)
		return (-1);
	if (pn != NULL && pn->type == NODE_DIR) {
		sub->has_prev = 1;
		memcpy(sub->prev, pn->subtree, 32);
		warnp_quiet(1);
		if (tree_load(bk->r, bk->ix, pn->subtree, &sub->ptree) != 0)
			tree_init(&sub->ptree);
		warnp_quiet(0);
	}
	if (target || ntg == 0) {
		/* A whole subtree, unless it is another file system. */
		if (target)
			fsdev = st.st_dev;
		if (bk->o->one_fs && st.st_dev != fsdev)
			rc = 0;
		else if ((rc = push_job(bk, sub, path, fsdev)) == 0)
			return (0);	/* the job releases sub */
		else if (rc == 1)
			rc = walk(bk, sub, path, NULL, 0, fsdev);
	} else
		rc = walk(bk, sub, path, subtg, nsub, fsdev);
	dir_release(sub);
	return (rc < 0 ? -1 : 0);
}

/*
 * Walk a directory: all its entries (ntg == 0), or only those on the way
 * to the target paths tg.  Always releases nothing: the caller drops the
 * walker's hold on d.  0 or -1 (fatal).
 */
static int
walk(struct bk *bk, struct bdir *d, const char *dir, char **tg, size_t ntg,
    dev_t fsdev)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc, dfd = -1;

	if (ntg > 0)
		rc = target_names(dir, tg, ntg, &names, &n);
	else if ((rc = list_dir(dir, &names, &n, &dfd)) == 1) {
		warnp("cannot read directory %s", dir[0] ? dir : "/");
		atomic_fetch_add(&bk->errors, 1);
		return (0);
	}
	if (rc < 0)
		return (-1);
	if (n > 0 && ((d->t.nodes = calloc(n, sizeof(struct node))) == NULL ||
	    (d->skip = calloc(n, 1)) == NULL)) {
		warnp("calloc");
		rc = -1;
		goto done;
	}
	if (n == 0 && (d->skip = calloc(1, 1)) == NULL) {
		rc = -1;
		goto done;
	}
	d->t.n = d->t.cap = n;
	for (i = 0; i < n; i++) {
		if (atomic_load(&bk->failed)) {
			rc = -1;
			break;
		}
		rc = do_entry(bk, d, i, dir, dfd, names[i], tg, ntg, fsdev);
		if (rc < 0)
			break;
		if (rc > 0) {
			d->skip[i] = 1;
			if (rc == 1)
				atomic_fetch_add(&bk->errors, 1);
			rc = 0;
		}
	}
done:
	if (dfd != -1)
		close(dfd);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return (rc);
}

static char *
normalize(const char *p)
{
	char cwd[PATH_MAX], *full, *out, *s, *tok, *save;
	size_t o = 0;

	if (p[0] != '/') {
		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return (NULL);
		if (asprintf(&full, "%s/%s", cwd, p) < 0)
			return (NULL);
	} else if ((full = strdup(p)) == NULL)
		return (NULL);
	if ((out = calloc(1, strlen(full) + 2)) == NULL) {
		free(full);
		return (NULL);
	}
	/* Lexical: drop "", ".", and ".." with its parent. */
	for (s = full; (tok = strtok_r(s, "/", &save)) != NULL; s = NULL) {
		if (strcmp(tok, ".") == 0)
			continue;
		if (strcmp(tok, "..") == 0) {
			while (o > 0 && out[--o] != '/')
				;
			out[o] = '\0';
			continue;
		}
		o += (size_t)sprintf(out + o, "/%s", tok);
	}
	free(full);
	return (out);		/* "" is the root */
}

static int
pathcmp(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

int
backup_abspaths(char **paths, size_t n, char ***outp, size_t *np)
{
	char **v;
	size_t i, j, m = 0;

	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		if ((v[i] = normalize(paths[i])) == NULL) {
			warnp("%s", paths[i]);
			while (i > 0)
				free(v[--i]);
			free(v);
			return (-1);
		}
	qsort(v, n, sizeof(*v), pathcmp);
	/* Drop duplicates and paths inside another path. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < m; j++) {
			size_t l = strlen(v[j]);

			if (strcmp(v[j], v[i]) == 0 || l == 0 ||
			    (strncmp(v[j], v[i], l) == 0 && v[i][l] == '/'))
				break;
		}
		if (j < m)
			free(v[i]);
		else
			v[m++] = v[i];
	}
	*outp = v;
	*np = m;
	return (0);
}

static int
json_utf8(const char *s)
{
	json_t *j = json_string(s);

	json_decref(j);
	return (j != NULL);
}

static int
fill_snapshot(struct bk *bk, char **abs, size_t nabs, struct snapshot *s)
{
	const struct backup_opts *o = bk->o;
	char host[256] = "";
	char user[256];
	struct timespec now;
	size_t i;

	memset(s, 0, sizeof(*s));
	clock_gettime(CLOCK_REALTIME, &now);
	s->time_sec = now.tv_sec;
	s->time_nsec = (uint32_t)now.tv_nsec;
	if (o->has_time) {
		s->time_sec = o->time_sec;
		s->time_nsec = 0;
	}
	sysinfo_host(host, sizeof(host));
	sysinfo_user(user, sizeof(user));
	/* Snapshot metadata is JSON text: drop names that are not UTF-8. */
	if (!json_utf8(user))
		user[0] = '\0';
	if (!json_utf8(host))
		host[0] = '\0';
	s->hostname = strdup(o->host ? o->host : host);
	s->username = strdup(user);
	s->uid = (uint32_t)getuid();
	s->gid = (uint32_t)getgid();
	s->paths = calloc(nabs ? nabs : 1, sizeof(char *));
	s->tags = calloc(o->ntags ? o->ntags : 1, sizeof(char *));
	if (!s->hostname || !s->username || !s->paths || !s->tags)
		return (-1);
	for (i = 0; i < nabs; i++, s->npaths++)
		if ((s->paths[i] = strdup(abs[i][0] ? abs[i] : "/")) == NULL)
			return (-1);
	for (i = 0; i < o->ntags; i++, s->ntags++)
		if ((s->tags[i] = strdup(o->tags[i])) == NULL)
			return (-1);
	if (o->parent != NULL) {
		s->has_parent = 1;
		memcpy(s->parent, o->parent->id, 32);
	}
	return (0);
}

static void
fill_summary(struct bk *bk, struct snap_summary *m, double secs)
{
	struct pl_stats *ps = pipeline_stats(bk->pl);

	m->files_new = bk->files_new;
	m->files_changed = bk->files_changed;
	m->files_unmodified = bk->files_unmodified;
	m->dirs_new = bk->dirs_new;
	m->dirs_changed = bk->dirs_changed;
	m->dirs_unmodified = bk->dirs_unmodified;
	m->data_blobs = ps->data_blobs;
	m->tree_blobs = ps->tree_blobs;
	m->data_added = ps->data_added;
	m->data_stored = ps->data_stored;
	m->total_files = bk->prog.files;
	m->total_bytes = bk->prog.bytes;
	m->bytes_read = bk->bytes_read;
	m->errors = bk->errors;
	m->seconds = secs;
}

static int
start_walk(struct bk *bk, char **abs, size_t nabs)
{
	struct bdir *root;
	int rc;

	if ((root = bdir_new(bk, NULL, 0)) == NULL) {
		rc = -1;
		goto out;
	}
	if (bk->o->parent != NULL) {
		warnp_quiet(1);
		if (tree_load(bk->r, bk->ix, bk->o->parent->tree,
		    &root->ptree) == 0) {
			root->has_prev = 1;
			memcpy(root->prev, bk->o->parent->tree, 32);
		}
		warnp_quiet(0);
	}
	/* A target of "/" (normalized to "") means the whole root. */
	if (nabs == 1 && abs[0][0] == '\0')
		rc = walk(bk, root, "", NULL, 0, 0);
	else
		rc = walk(bk, root, "", abs, nabs, 0);
	dir_release(root);
out:
	/* This walker counted as busy until now (see backup_run). */
	if (rc < 0)
		atomic_store(&bk->failed, 1);
	pthread_mutex_lock(&bk->wmu);
	if (--bk->wactive == 0)
		pthread_cond_broadcast(&bk->wcv);
	pthread_mutex_unlock(&bk->wmu);
	walk_jobs(bk);
	return (rc);
}

int
backup_run(struct repo *r, struct index *ix, const struct backup_opts *o,
    struct snapshot *s)
{
	struct bk bk;
	struct timespec t0, t1;
	char **abs = NULL;
	size_t nabs = 0, i;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = -1, walked, nwalk;

	memset(&bk, 0, sizeof(bk));
	memset(s, 0, sizeof(*s));
	bk.r = r;
	bk.ix = ix;
	bk.o = o;
	pthread_mutex_init(&bk.mu, NULL);
	pthread_cond_init(&bk.cv, NULL);
	pthread_mutex_init(&bk.wmu, NULL);
	pthread_cond_init(&bk.wcv, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (backup_abspaths(o->paths, o->npaths, &abs, &nabs))
		goto done;
	for (i = 0; i < nabs; i++) {
		struct stat st;

		if (lstat(abs[i][0] ? abs[i] : "/", &st)) {
			warnp("cannot back up %s", abs[i][0] ? abs[i] : "/");
			goto done;
		}
	}
	bk.rcap = (size_t)r->cfg.chunk_max + (1u << 20);
	if ((bk.pl = pipeline_new(r, ix, o->nworkers > 0 ? o->nworkers :
	    (ncpu > 0 ? (int)ncpu : 2))) == NULL)
		goto done;
	progress_start(&bk.prog, o->progress, abs, nabs, o->excludes,
	    o->nexcludes);
	/* Walkers: one per core (this thread is the first). */
	nwalk = o->nworkers > 0 ? o->nworkers : (ncpu > 0 ? (int)ncpu : 2);
	if (nwalk > MAXWALK)
		nwalk = MAXWALK;
	bk.maxjobs = (size_t)nwalk * JOBS_PER_WALKER;
	bk.wactive = 1;		/* this thread, until its walk of the root ends */
	for (i = 1; i < (size_t)nwalk; i++) {
		if (pthread_create(&bk.wthr[bk.nwthr], NULL, walker_main,
		    &bk) != 0)
			break;
		bk.nwthr++;
	}
	walked = start_walk(&bk, abs, nabs);
	for (i = 0; i < (size_t)bk.nwthr; i++)
		pthread_join(bk.wthr[i], NULL);
	bk.nwthr = 0;
	/* Every chunk must be stored before the root tree exists. */
	if (pipeline_finish(bk.pl) || walked || atomic_load(&bk.failed)) {
		progress_stop(&bk.prog);
		warn0("backup failed; nothing was saved as a snapshot "
		    "(stored data is indexed and will be reused)");
		goto done;
	}
	pthread_mutex_lock(&bk.mu);
	while (!bk.root_done)
		pthread_cond_wait(&bk.cv, &bk.mu);
	pthread_mutex_unlock(&bk.mu);
	progress_stop(&bk.prog);
	if (fill_snapshot(&bk, abs, nabs, s))
		goto done;
	memcpy(s->tree, bk.root_id, 32);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fill_summary(&bk, &s->sum, (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (snapshot_save(r, s))
		goto done;
	rc = bk.errors > 0 ? 3 : 0;
done:
	if (rc < 0)
		snapshot_release(s);
	pipeline_free(bk.pl);
	free(t_rbuf);
	t_rbuf = NULL;
	for (i = 0; i < nabs; i++)
		free(abs[i]);
	free(abs);
	pthread_mutex_destroy(&bk.mu);
	pthread_cond_destroy(&bk.cv);
	pthread_mutex_destroy(&bk.wmu);
	pthread_cond_destroy(&bk.wcv);
	return (rc);
}
