/*
 * The storage table's dispatch, and its local file system backend.
 *
 * Every path is opened relative to a descriptor of the root directory, so
 * the backend does not depend on the working directory.  Names reaching
 * here were validated by the caller ([a-z0-9._-], no leading '.', 64-hex
 * object names), so no path built here can leave the root.
 *
 * Durability: an upload is written to an unnamed O_TMPFILE inode in the
 * object's own directory.  On commit the file is fsynced, given its name
 * with linkat(/proc/self/fd/N, AT_SYMLINK_FOLLOW) -- which fails with
 * EEXIST rather than replace anything -- and the directory is fsynced.  A
 * crash before the link leaves an orphan inode the file system frees; a
 * crash after it leaves a complete object.  Nothing partial is ever named.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "srv_store.h"

static const char *type_names[SRV_OBJ_NTYPES] = {
	"config", "keys", "data", "index", "snapshots", "locks"
};

const char *
srv_obj_type_name(enum srv_obj_type t)
{

	return ((unsigned)t < SRV_OBJ_NTYPES ? type_names[t] : "?");
}

int
srv_obj_type_parse(const char *s, size_t len, enum srv_obj_type *t)
{
	size_t i;

	for (i = 0; i < SRV_OBJ_NTYPES; i++) {
		if (strlen(type_names[i]) == len &&
		    memcmp(type_names[i], s, len) == 0) {
			*t = (enum srv_obj_type)i;
			return (0);
		}
	}
	return (-1);
}

void
srv_body_release(struct srv_body *b)
{

	if (b->fd >= 0)
		close(b->fd);
	else if (b->close != NULL)
		b->close(b->cookie);
	b->fd = -1;
	b->close = NULL;
	b->cookie = NULL;
}

void
srv_store_free(struct srv_store *st)
{

	if (st == NULL)
		return;
	st->ops->free(st->cookie);
	free(st);
}

/* ---------------------------------------------------------------------- */
/* The file system backend. */

struct fs {
	int rootfd;
	char *root;		/* for messages */
};

struct fs_put {
	struct fs *fs;
	int fd;
	enum srv_obj_type type;
	char dir[PATH_MAX];	/* relative to the root */
	char path[PATH_MAX];
};

static int
fmt(char *buf, size_t size, const char *f, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf that fails (ENAMETOOLONG) instead of truncating. */
static int
fmt(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, size, f, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (0);
}

/* The directory holding obj, and obj's path; relative to the root. */
static int
objpaths(const struct srv_obj *o, char *dir, char *path)
{

	if (o->type == SRV_OBJ_CONFIG)
		return (fmt(dir, PATH_MAX, "%s/%s", o->user, o->repo) ||
		    fmt(path, PATH_MAX, "%s/config", dir));
	if (o->type == SRV_OBJ_DATA)
		return (fmt(dir, PATH_MAX, "%s/%s/data/%.2s", o->user,
		    o->repo, o->name) ||
		    fmt(path, PATH_MAX, "%s/%s", dir, o->name));
	return (fmt(dir, PATH_MAX, "%s/%s/%s", o->user, o->repo,
	    srv_obj_type_name(o->type)) ||
	    fmt(path, PATH_MAX, "%s/%s", dir, o->name));
}

static int
fsync_dir(struct fs *fs, const char *dir)
{
	int fd;

	if ((fd = openat(fs->rootfd, dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		warnp("open %s/%s", fs->root, dir);
		return (-1);
	}
	if (fsync(fd)) {
		warnp("fsync %s/%s", fs->root, dir);
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

static int
mkdir_ok(struct fs *fs, const char *dir)
{

	if (mkdirat(fs->rootfd, dir, 0700) && errno != EEXIST) {
		warnp("mkdir %s/%s", fs->root, dir);
		return (-1);
	}
	return (0);
}

static int
fs_repo_create(void *cookie, const char *user, const char *repo)
{
	static const char *sub[] = { "keys", "data", "index", "snapshots",
	    "locks" };
	struct fs *fs = cookie;
	char p[PATH_MAX];
	size_t i;

	if (mkdir_ok(fs, user) || fmt(p, sizeof(p), "%s/%s", user, repo) ||
	    mkdir_ok(fs, p))
		return (-1);
	for (i = 0; i < sizeof(sub) / sizeof(sub[0]); i++)
		if (fmt(p, sizeof(p), "%s/%s/%s", user, repo, sub[i]) ||
		    mkdir_ok(fs, p))
			return (-1);
	for (i = 0; i < 256; i++)
		if (fmt(p, sizeof(p), "%s/%s/data/%02zx", user, repo, i) ||
		    mkdir_ok(fs, p))
			return (-1);
	/* Make the new names durable, innermost first. */
	if (fmt(p, sizeof(p), "%s/%s/data", user, repo) || fsync_dir(fs, p) ||
	    fmt(p, sizeof(p), "%s/%s", user, repo) || fsync_dir(fs, p) ||
	    fsync_dir(fs, user) || fsync_dir(fs, "."))
		return (-1);
	return (0);
}

/* Open an O_TMPFILE in dir.  fd, or -1 with errno set (not reported). */
static int
open_tmp(struct fs *fs, const char *dir)
{

	return (openat(fs->rootfd, dir, O_TMPFILE | O_WRONLY | O_CLOEXEC,
	    0600));
}

static int
fs_put_begin(void *cookie, const struct srv_obj *o, void **out)
{
	struct fs *fs = cookie;
	struct fs_put *p;
	char data[PATH_MAX];
	struct stat sb;

	if ((p = calloc(1, sizeof(*p))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	p->fs = fs;
	p->type = o->type;
	if (objpaths(o, p->dir, p->path)) {
		warnp("%s/%s", fs->root, o->user);
		goto err;
	}
	if ((p->fd = open_tmp(fs, p->dir)) == -1 && errno == ENOENT &&
	    o->type == SRV_OBJ_DATA) {
		/* A data/<xx> directory missing from an existing repo. */
		if (fmt(data, sizeof(data), "%s/%s/data", o->user, o->repo) ||
		    fstatat(fs->rootfd, data, &sb, 0) || !S_ISDIR(sb.st_mode)) {
			free(p);
			return (1);
		}
		if (mkdir_ok(fs, p->dir) || fsync_dir(fs, data))
			goto err;
		p->fd = open_tmp(fs, p->dir);
	}
	if (p->fd == -1) {
		if (errno == ENOENT || errno == ENOTDIR) {
			free(p);
			return (1);
		}
		warnp("create a file in %s/%s", fs->root, p->dir);
		goto err;
	}
	*out = p;
	return (0);
err:
	free(p);
	return (-1);
}

static int
fs_put_write(void *put, const uint8_t *buf, size_t len)
{
	struct fs_put *p = put;
	ssize_t w;

	while (len > 0) {
		if ((w = write(p->fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			warnp("write %s/%s", p->fs->root, p->path);
			return (-1);
		}
		buf += w;
		len -= (size_t)w;
	}
	return (0);
}

static void
fs_put_abort(void *put)
{
	struct fs_put *p = put;

	if (p == NULL)
		return;
	close(p->fd);		/* the unnamed inode goes with it */
	free(p);
}

/* Replace config atomically: link under a temporary name, rename over. */
static int
replace_config(struct fs_put *p, const char *proc, uint64_t *oldsize)
{
	struct fs *fs = p->fs;
	char tmp[PATH_MAX], rnd[17];
	uint8_t r[8];
	struct stat sb;

	crypto_random(r, sizeof(r));
	hex_encode(r, sizeof(r), rnd);
	if (fmt(tmp, sizeof(tmp), "%s/.config.tmp-%s", p->dir, rnd)) {
		warnp("%s/%s", fs->root, p->dir);
		return (-1);
	}
	if (linkat(AT_FDCWD, proc, fs->rootfd, tmp, AT_SYMLINK_FOLLOW)) {
		warnp("link %s/%s", fs->root, tmp);
		return (-1);
	}
	*oldsize = 0;
	if (fstatat(fs->rootfd, p->path, &sb, AT_SYMLINK_NOFOLLOW) == 0)
		*oldsize = (uint64_t)sb.st_size;
	if (renameat(fs->rootfd, tmp, fs->rootfd, p->path)) {
		warnp("rename %s/%s", fs->root, p->path);
		unlinkat(fs->rootfd, tmp, 0);
		return (-1);
	}
	return (0);
}

static int
fs_put_commit(void *put, int replace, enum srv_put_result *res,
    uint64_t *oldsize)
{
	struct fs_put *p = put;
	struct fs *fs = p->fs;
	char proc[64];
	int rc = -1;

	*res = SRV_PUT_STORED;
	*oldsize = 0;
	if (fsync(p->fd)) {
		warnp("fsync %s/%s", fs->root, p->path);
		goto done;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", p->fd);
	if (linkat(AT_FDCWD, proc, fs->rootfd, p->path, AT_SYMLINK_FOLLOW)) {
		if (errno != EEXIST) {
			warnp("link %s/%s", fs->root, p->path);
			goto done;
		}
		if (!replace || p->type != SRV_OBJ_CONFIG) {
			/* Content-addressed: the same bytes are there. */
			*res = SRV_PUT_EXISTS;
			rc = 0;
			goto done;
		}
		if (replace_config(p, proc, oldsize))
			goto done;
		*res = SRV_PUT_REPLACED;
	}
	if (fsync_dir(fs, p->dir))
		goto done;
	rc = 0;
done:
	fs_put_abort(p);
	return (rc);
}

static int
fs_get(void *cookie, const struct srv_obj *o, struct srv_body *b)
{
	struct fs *fs = cookie;
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat sb;
	int fd;

	memset(b, 0, sizeof(*b));
	b->fd = -1;
	if (objpaths(o, dir, path)) {
		warnp("%s/%s", fs->root, o->user);
		return (-1);
	}
	if ((fd = openat(fs->rootfd, path, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return (1);
		warnp("open %s/%s", fs->root, path);
		return (-1);
	}
	if (fstat(fd, &sb)) {
		warnp("stat %s/%s", fs->root, path);
		close(fd);
		return (-1);
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return (1);
	}
	b->fd = fd;
	b->size = (uint64_t)sb.st_size;
	return (0);
}

static int
fs_stat(void *cookie, const struct srv_obj *o, uint64_t *size)
{
	struct fs *fs = cookie;
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat sb;

	if (objpaths(o, dir, path)) {
		warnp("%s/%s", fs->root, o->user);
		return (-1);
	}
	if (fstatat(fs->rootfd, path, &sb, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT || errno == ENOTDIR)
			return (1);
		warnp("stat %s/%s", fs->root, path);
		return (-1);
	}
	if (!S_ISREG(sb.st_mode))
		return (1);
	*size = (uint64_t)sb.st_size;
	return (0);
}

static int
is_name(const char *s)
{
	size_t i;

	for (i = 0; i < SRV_NAME_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return (0);
	return (s[i] == '\0');
}

/*
 * List one directory's objects.  0, 1 if the directory is missing, 2 if
 * the callback stopped the listing, -1 on error.
 */
static int
list_dir(struct fs *fs, const char *dir, srv_list_cb *cb, void *cbc)
{
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int fd, rc = 0;

	if ((fd = openat(fs->rootfd, dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return (1);
		warnp("open %s/%s", fs->root, dir);
		return (-1);
	}
	if ((d = fdopendir(fd)) == NULL) {
		warnp("opendir %s/%s", fs->root, dir);
		close(fd);
		return (-1);
	}
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (!is_name(de->d_name) || (de->d_type != DT_REG &&
		    de->d_type != DT_UNKNOWN))
			continue;
		if (fstatat(fd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW)) {
			if (errno == ENOENT)	/* deleted meanwhile */
				continue;
			warnp("stat %s/%s/%s", fs->root, dir, de->d_name);
			rc = -1;
			break;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		if (cb(cbc, de->d_name, (uint64_t)sb.st_size)) {
			rc = 2;
			break;
		}
	}
	if (rc == 0 && errno != 0) {
		warnp("readdir %s/%s", fs->root, dir);
		rc = -1;
	}
	closedir(d);
	return (rc);
}

static int
fs_list(void *cookie, const char *user, const char *repo,
    enum srv_obj_type t, srv_list_cb *cb, void *cbc)
{
	struct fs *fs = cookie;
	char dir[PATH_MAX];
	size_t i;
	int rc;

	if (t == SRV_OBJ_CONFIG)
		return (1);
	if (fmt(dir, sizeof(dir), "%s/%s/%s", user, repo,
	    srv_obj_type_name(t))) {
		warnp("%s/%s", fs->root, user);
		return (-1);
	}
	if (t != SRV_OBJ_DATA) {
		rc = list_dir(fs, dir, cb, cbc);
		return (rc == 2 ? 0 : rc);
	}
	if ((rc = list_dir(fs, dir, cb, cbc)) != 0)	/* must exist */
		return (rc == 2 ? 0 : rc);
	for (i = 0; i < 256; i++) {
		if (fmt(dir, sizeof(dir), "%s/%s/data/%02zx", user, repo, i))
			return (-1);
		if ((rc = list_dir(fs, dir, cb, cbc)) == 1)
			continue;	/* not created yet */
		if (rc != 0)
			return (rc == 2 ? 0 : rc);
	}
	return (0);
}

static int
fs_del(void *cookie, const struct srv_obj *o, uint64_t *size)
{
	struct fs *fs = cookie;
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat sb;

	if (objpaths(o, dir, path)) {
		warnp("%s/%s", fs->root, o->user);
		return (-1);
	}
	if (fstatat(fs->rootfd, path, &sb, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT || errno == ENOTDIR)
			return (1);
		warnp("stat %s/%s", fs->root, path);
		return (-1);
	}
	if (!S_ISREG(sb.st_mode))
		return (1);
	if (unlinkat(fs->rootfd, path, 0)) {
		if (errno == ENOENT)	/* a concurrent delete won */
			return (1);
		warnp("unlink %s/%s", fs->root, path);
		return (-1);
	}
	*size = (uint64_t)sb.st_size;
	return (fsync_dir(fs, dir));
}

static int
sum_cb(void *cookie, const char *name, uint64_t size)
{
	uint64_t *sum = cookie;

	(void)name;
	*sum += size;
	return (0);
}

static int
fs_usage(void *cookie, const char *user, uint64_t *bytes)
{
	struct fs *fs = cookie;
	struct srv_obj o = { user, NULL, SRV_OBJ_CONFIG, "" };
	struct dirent *de;
	uint64_t sz;
	DIR *d;
	int fd, t, rc = 0;

	*bytes = 0;
	if ((fd = openat(fs->rootfd, user, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);
		warnp("open %s/%s", fs->root, user);
		return (-1);
	}
	if ((d = fdopendir(fd)) == NULL) {
		warnp("opendir %s/%s", fs->root, user);
		close(fd);
		return (-1);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		o.repo = de->d_name;
		if ((rc = fs_stat(fs, &o, &sz)) == 0)
			*bytes += sz;
		if (rc == 1)
			rc = 0;
		for (t = SRV_OBJ_KEYS; rc == 0 && t < SRV_OBJ_NTYPES; t++)
			if ((rc = fs_list(fs, user, de->d_name,
			    (enum srv_obj_type)t, sum_cb, bytes)) == 1)
				rc = 0;
	}
	closedir(d);
	return (rc);
}

static void
fs_free(void *cookie)
{
	struct fs *fs = cookie;

	if (fs == NULL)
		return;
	close(fs->rootfd);
	free(fs->root);
	free(fs);
}

static const struct srv_store_ops fs_ops = {
	"fs",
	fs_repo_create, fs_put_begin, fs_put_write, fs_put_commit,
	fs_put_abort, fs_get, fs_stat, fs_list, fs_del, fs_usage, fs_free
};

int
srv_store_fs_open(const char *root, struct srv_store **out)
{
	struct srv_store *st = NULL;
	struct fs *fs;
	int fd;

	if ((fs = calloc(1, sizeof(*fs))) == NULL ||
	    (fs->root = strdup(root)) == NULL ||
	    (st = malloc(sizeof(*st))) == NULL) {
		warnp("malloc");
		goto err0;
	}
	if (mkdir(root, 0700) && errno != EEXIST) {
		warnp("mkdir %s", root);
		goto err0;
	}
	if ((fs->rootfd = open(root, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1) {
		warnp("open %s", root);
		goto err0;
	}
	/* Uploads depend on O_TMPFILE; refuse to start without it. */
	if ((fd = open_tmp(fs, ".")) == -1) {
		warnp("%s: the file system must support O_TMPFILE", root);
		close(fs->rootfd);
		goto err0;
	}
	close(fd);
	st->ops = &fs_ops;
	st->cookie = fs;
	*out = st;
	return (0);
err0:
	if (fs != NULL)
		free(fs->root);
	free(fs);
	free(st);
	return (-1);
}
