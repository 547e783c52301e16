/*
 * Local directory backend.  Objects are written to an unnamed O_TMPFILE
 * inode in their directory, fsynced, linked under their name and the
 * directory fsynced, so an object is visible only when it is complete and
 * durable, and a crash leaves nothing behind.  Where O_TMPFILE is missing,
 * a named temporary file (".tmp-<random>", a name no listing accepts) is
 * renamed into place instead.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "backend.h"

struct local {
	char *root;
	pthread_key_t fds;	/* per-thread cache of open packs */
};

/*
 * Restores read many small blobs from few packs: keep the last packs each
 * thread read open (objects are immutable, so a cached descriptor always
 * reads the same bytes, even after the object is removed).
 */
#define FDCACHE	8

struct fdcache {
	struct {
		char name[65];
		int fd;
	} e[FDCACHE];
	int n, next;
};

static void
fdcache_free(void *p)
{
	struct fdcache *c = p;
	int i;

	for (i = 0; i < c->n; i++)
		close(c->e[i].fd);
	free(c);
}

/* An open descriptor for a data object, or -1 (errno set). */
static int
fdcache_open(struct local *l, const char *name, const char *path)
{
	struct fdcache *c = pthread_getspecific(l->fds);
	int i, fd;

	if (c == NULL && (c = calloc(1, sizeof(*c))) != NULL &&
	    pthread_setspecific(l->fds, c) != 0) {
		free(c);
		c = NULL;
	}
	for (i = 0; c != NULL && i < c->n; i++)
		if (strcmp(c->e[i].name, name) == 0)
			return (c->e[i].fd);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 || c == NULL)
		return (fd);
	if (c->n < FDCACHE)
		i = c->n++;
	else {
		i = c->next;
		c->next = (c->next + 1) % FDCACHE;
		close(c->e[i].fd);
	}
	snprintf(c->e[i].name, sizeof(c->e[i].name), "%s", name);
	c->e[i].fd = fd;
	return (fd);
}

static int
objpath(struct local *l, enum obj_type t, const char *name, char *path,
    size_t size)
{
	int n;

	if (t == OBJ_CONFIG)
		n = snprintf(path, size, "%s/config", l->root);
	else if (t == OBJ_DATA)
		n = snprintf(path, size, "%s/data/%.2s/%s", l->root, name,
		    name);
	else
		n = snprintf(path, size, "%s/%s/%s", l->root,
		    backend_type_name(t), name);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		warnp("%s", l->root);
		return (-1);
	}
	return (0);
}

/* Directory that holds an object (for the fsync after rename). */
static void
parentdir(const char *path, char *dir, size_t size)
{
	const char *s = strrchr(path, '/');
	size_t n = (s != NULL) ? (size_t)(s - path) : 0;

	if (n >= size)
		n = size - 1;
	memcpy(dir, path, n);
	dir[n] = '\0';
}

static int
fsync_dir(const char *dir)
{
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) == -1) {
		warnp("open %s", dir);
		return (-1);
	}
	if (fsync(fd)) {
		warnp("fsync %s", dir);
		close(fd);
		return (-1);
	}
	close(fd);
	return (0);
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		p += w;
		len -= (size_t)w;
	}
	return (0);
}

static int
local_create(void *cookie)
{
	struct local *l = cookie;
	static const char *dirs[] = { "keys", "data", "index", "snapshots",
	    "locks" };
	char path[PATH_MAX];
	size_t i;

	if (mkdir(l->root, 0700) && errno != EEXIST) {
		warnp("mkdir %s", l->root);
		return (-1);
	}
	snprintf(path, sizeof(path), "%s/config", l->root);
	if (access(path, F_OK) == 0) {
		errno = EEXIST;
		return (-1);
	}
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", l->root, dirs[i]);
		if (mkdir(path, 0700) && errno != EEXIST) {
			warnp("mkdir %s", path);
			return (-1);
		}
	}
	for (i = 0; i < 256; i++) {
		snprintf(path, sizeof(path), "%s/data/%02zx", l->root, i);
		if (mkdir(path, 0700) && errno != EEXIST) {
			warnp("mkdir %s", path);
			return (-1);
		}
	}
	return (0);
}

/*
 * Write an object through an unnamed O_TMPFILE inode: written, fsynced, then
 * given its name with linkat.  A crash at any point leaves nothing at all.
 * Returns 0, 1 if O_TMPFILE is not supported here, -1 on error.
 */
static int
put_tmpfile(const char *dir, const char *path, enum obj_type t,
    const uint8_t *p, size_t len)
{
	char proc[64];
	int fd;

	if ((fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) == -1) {
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
			return (1);
		if (errno != ENOENT || t != OBJ_DATA ||
		    (mkdir(dir, 0700) && errno != EEXIST) ||
		    (fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC,
		    0600)) == -1) {
			warnp("create a file in %s", dir);
			return (-1);
		}
	}
	if (write_all(fd, p, len) || fsync(fd)) {
		warnp("write %s", path);
		close(fd);
		return (-1);
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW)) {
		/* Same name, same bytes: objects are content-addressed. */
		if (errno == EEXIST && t != OBJ_CONFIG) {
			close(fd);
			return (0);
		}
		if (errno == ENOENT && access("/proc/self/fd", F_OK) != 0) {
			close(fd);
			return (1);	/* no /proc: use a named temp file */
		}
		if (errno != EEXIST)
			warnp("link %s", path);
		close(fd);
		return (-1);
	}
	if (close(fd)) {
		warnp("close %s", path);
		return (-1);
	}
	return (0);
}

/* The fallback: a named temporary file beside the object, renamed. */
static int
put_named(const char *dir, const char *path, enum obj_type t,
    const uint8_t *p, size_t len)
{
	char tmp[PATH_MAX], rnd[17];
	uint8_t r[8];
	int fd;

	crypto_random(r, sizeof(r));
	hex_encode(r, sizeof(r), rnd);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, rnd) >=
	    sizeof(tmp)) {
		warn0("%s: path too long", dir);
		return (-1);
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0600)) == -1 && errno == ENOENT && t == OBJ_DATA &&
	    (mkdir(dir, 0700) == 0 || errno == EEXIST))
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		warnp("create %s", tmp);
		return (-1);
	}
	if (write_all(fd, p, len) || fsync(fd)) {
		warnp("write %s", tmp);
		goto fail;
	}
	if (close(fd)) {
		fd = -1;
		warnp("close %s", tmp);
		goto fail;
	}
	fd = -1;
	/* Never replace a config: link fails if it exists. */
	if (t == OBJ_CONFIG ? link(tmp, path) : rename(tmp, path)) {
		if (errno != EEXIST)
			warnp("rename %s", path);
		goto fail;
	}
	if (t == OBJ_CONFIG)
		unlink(tmp);
	return (0);
fail:
	if (fd != -1)
		close(fd);
	unlink(tmp);
	return (-1);
}

static int
local_put(void *cookie, enum obj_type t, const char *name, const uint8_t *p,
    size_t len)
{
	struct local *l = cookie;
	char path[PATH_MAX], dir[PATH_MAX];
	int rc;

	if (objpath(l, t, name, path, sizeof(path)))
		return (-1);
	parentdir(path, dir, sizeof(dir));
	if ((rc = put_tmpfile(dir, path, t, p, len)) == 1)
		rc = put_named(dir, path, t, p, len);
	if (rc != 0)
		return (-1);
	return (fsync_dir(dir));
}

static int
local_get(void *cookie, enum obj_type t, const char *name, struct buf *out)
{
	struct local *l = cookie;
	char path[PATH_MAX];
	struct stat st;
	ssize_t r;
	int fd;

	if (objpath(l, t, name, path, sizeof(path)))
		return (-1);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return (1);
		warnp("open %s", path);
		return (-1);
	}
	if (fstat(fd, &st) || buf_reserve(out, (size_t)st.st_size + 1)) {
		warnp("%s", path);
		close(fd);
		return (-1);
	}
	for (;;) {
		if (buf_reserve(out, 65536))
			goto err;
		r = read(fd, out->data + out->len, out->cap - out->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			warnp("read %s", path);
			goto err;
		}
		if (r == 0)
			break;
		out->len += (size_t)r;
	}
	close(fd);
	return (0);
err:
	close(fd);
	return (-1);
}

static int
local_get_range(void *cookie, enum obj_type t, const char *name,
    uint64_t off, size_t len, uint8_t *out)
{
	struct local *l = cookie;
	char path[PATH_MAX];
	size_t done = 0;
	ssize_t r;
	int fd, cached = (t == OBJ_DATA);

	if (objpath(l, t, name, path, sizeof(path)))
		return (-1);
	fd = cached ? fdcache_open(l, name, path) :
	    open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return (1);
		warnp("open %s", path);
		return (-1);
	}
	while (done < len) {
		r = pread(fd, out + done, len - done, (off_t)(off + done));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			warnp("read %s", path);
			if (!cached)
				close(fd);
			return (-1);
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	if (!cached)
		close(fd);
	return (done == len ? 0 : 1);
}

static int
local_stat(void *cookie, enum obj_type t, const char *name, uint64_t *size)
{
	struct local *l = cookie;
	char path[PATH_MAX];
	struct stat st;

	if (objpath(l, t, name, path, sizeof(path)))
		return (-1);
	if (stat(path, &st)) {
		if (errno == ENOENT)
			return (1);
		warnp("stat %s", path);
		return (-1);
	}
	*size = (uint64_t)st.st_size;
	return (0);
}

static int
list_dir(const char *dir, backend_list_cb *cb, void *cookie)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return (0);
		warnp("opendir %s", dir);
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (!backend_valid_name(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0)) {
			if (errno == ENOENT)
				continue;
			warnp("stat %s/%s", dir, de->d_name);
			rc = -1;
			break;
		}
		if ((rc = cb(cookie, de->d_name, (uint64_t)st.st_size)) != 0)
			break;
	}
	closedir(d);
	return (rc);
}

static int
local_list(void *cookie, enum obj_type t, backend_list_cb *cb, void *c2)
{
	struct local *l = cookie;
	char dir[PATH_MAX];
	int i, rc;

	if (t == OBJ_CONFIG)
		return (0);
	if (t != OBJ_DATA) {
		snprintf(dir, sizeof(dir), "%s/%s", l->root,
		    backend_type_name(t));
		return (list_dir(dir, cb, c2));
	}
	for (i = 0; i < 256; i++) {
		snprintf(dir, sizeof(dir), "%s/data/%02x", l->root, i);
		if ((rc = list_dir(dir, cb, c2)) != 0)
			return (rc);
	}
	return (0);
}

static int
local_remove(void *cookie, enum obj_type t, const char *name)
{
	struct local *l = cookie;
	char path[PATH_MAX];

	if (objpath(l, t, name, path, sizeof(path)))
		return (-1);
	if (unlink(path)) {
		if (errno == ENOENT)
			return (1);
		warnp("unlink %s", path);
		return (-1);
	}
	return (0);
}

static void
local_free(void *cookie)
{
	struct local *l = cookie;
	struct fdcache *c = pthread_getspecific(l->fds);

	if (c != NULL) {
		pthread_setspecific(l->fds, NULL);
		fdcache_free(c);
	}
	pthread_key_delete(l->fds);
	free(l->root);
	free(l);
}

static const struct backend_ops local_ops = {
	local_create, local_put, local_get, local_get_range, local_stat,
	local_list, local_remove, local_free
};

struct backend *
backend_local_open(const char *root)
{
	struct backend *b;
	struct local *l;

	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (l = calloc(1, sizeof(*l))) == NULL) {
		warnp("calloc");
		free(b);
		return (NULL);
	}
	if ((l->root = strdup(root)) == NULL ||
	    (b->location = strdup(root)) == NULL ||
	    pthread_key_create(&l->fds, fdcache_free) != 0) {
		warnp("strdup");
		free(l->root);
		free(l);
		free(b);
		return (NULL);
	}
	/* Strip trailing slashes (but keep "/"). */
	for (size_t n = strlen(l->root); n > 1 && l->root[n - 1] == '/'; n--)
		l->root[n - 1] = '\0';
	b->ops = &local_ops;
	b->impl = l;
	return (b);
}
