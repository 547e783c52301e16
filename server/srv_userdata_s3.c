/*
 * The admin commands on an account's data when the repositories live in
 * S3 (see srv_userdata.c for the local store): does the account have any,
 * delete all of it, export it.  Everything under PREFIX/<user>/ belongs to
 * the account: its repositories' objects and their markers.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/s3.h"
#include "util/warnp.h"

#include "srv_store_s3.h"

#define KEYMAX	1200

/* The account's key prefix, PREFIX/<user>/.  0 or -1. */
static int
user_prefix(struct s3 *s, const char *user, char *p, size_t n)
{

	if ((size_t)snprintf(p, n, "%s%s/", s3_prefix(s), user) >= n) {
		warn0("%s: user name too long", s3_shown(s));
		return (-1);
	}
	return (0);
}

static int
any_cb(void *cookie, const char *key, uint64_t size)
{

	(void)cookie;
	(void)key;
	(void)size;
	return (1);
}

int
srv_userdata_s3_exists(struct srv_store *st, const char *user)
{
	struct s3 *s = srv_store_s3_client(st);
	char pfx[KEYMAX];

	if (s == NULL || user_prefix(s, user, pfx, sizeof(pfx)))
		return (1);
	/* Found one, or cannot tell: either way, say there is data. */
	return (s3_list(s, pfx, any_cb, NULL) != 0);
}

/* Every key under a prefix, collected. */
struct keys {
	char **v;
	size_t n, cap;
};

static int
collect_cb(void *cookie, const char *key, uint64_t size)
{
	struct keys *k = cookie;
	char **nv;

	(void)size;
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 256;
		if ((nv = realloc(k->v, k->cap * sizeof(*nv))) == NULL)
			return (-1);
		k->v = nv;
	}
	if ((k->v[k->n] = strdup(key)) == NULL)
		return (-1);
	k->n++;
	return (0);
}

static void
keys_free(struct keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->v[i]);
	free(k->v);
}

static int
collect(struct s3 *s, const char *user, struct keys *k, size_t *skip)
{
	char pfx[KEYMAX];

	memset(k, 0, sizeof(*k));
	if (user_prefix(s, user, pfx, sizeof(pfx)))
		return (-1);
	*skip = strlen(pfx);
	if (s3_list(s, pfx, collect_cb, k) != 0) {
		warn0("cannot list the objects of %s in %s", user,
		    s3_shown(s));
		keys_free(k);
		return (-1);
	}
	return (0);
}

int
srv_userdata_s3_delete(struct srv_store *st, const char *user)
{
	struct s3 *s = srv_store_s3_client(st);
	struct s3_req rq = { "DELETE", NULL, NULL, NULL, NULL, NULL };
	struct s3_sink sk;
	struct keys k;
	size_t i, skip;
	long rc;
	int ret = 0;

	if (s == NULL || collect(s, user, &k, &skip))
		return (-1);
	for (i = 0; i < k.n; i++) {
		rq.key = k.v[i];
		memset(&sk, 0, sizeof(sk));
		if ((rc = s3_request(s, &rq, &sk)) < 0) {
			ret = -1;
			continue;
		}
		if (rc != 204 && rc != 200 && rc != 404) {
			s3_report(s, "delete", k.v[i], rc, &sk);
			ret = -1;
		}
	}
	keys_free(&k);
	return (ret);
}

/* mkdir -p of the directories of path (below the export's root). */
static int
mkdirs(char *path, size_t from)
{
	char *p;

	for (p = path + from; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			warnp("mkdir %s", path);
			*p = '/';
			return (-1);
		}
		*p = '/';
	}
	return (0);
}

/* Write b to a new file path, durably.  0 or -1. */
static int
write_new(const char *path, const struct buf *b)
{
	size_t off = 0;
	ssize_t w;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		warnp("create %s", path);
		return (-1);
	}
	while (off < b->len) {
		if ((w = write(fd, b->data + off, b->len - off)) == -1) {
			if (errno == EINTR)
				continue;
			warnp("write %s", path);
			close(fd);
			return (-1);
		}
		off += (size_t)w;
	}
	if (fsync(fd) || close(fd)) {
		warnp("write %s", path);
		return (-1);
	}
	return (0);
}

int
srv_userdata_s3_export(struct srv_store *st, const char *user,
    const char *to, uint64_t *files, uint64_t *bytes)
{
	struct s3 *s = srv_store_s3_client(st);
	struct s3_req rq = { "GET", NULL, NULL, NULL, NULL, NULL };
	struct buf b = BUF_INIT;
	struct s3_sink sk;
	struct keys k;
	char path[PATH_MAX];
	size_t i, skip, tl = strlen(to);
	long rc;
	int ret = -1;

	*files = *bytes = 0;
	if (s == NULL || collect(s, user, &k, &skip))
		return (-1);
	if (k.n == 0) {
		warn0("user %s has no stored data", user);
		goto done;
	}
	if (mkdir(to, 0700) != 0) {
		warnp("mkdir %s", to);
		goto done;
	}
	for (i = 0; i < k.n; i++) {
		if (!srv_store_s3_layout_key(k.v[i] + skip))
			continue;	/* markers, strays */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", to,
		    k.v[i] + skip) >= sizeof(path) || mkdirs(path, tl + 1)) {
			warn0("%s: path too long", to);
			goto done;
		}
		rq.key = k.v[i];
		memset(&sk, 0, sizeof(sk));
		sk.body = &b;
		if ((rc = s3_request(s, &rq, &sk)) < 0)
			goto done;
		if (rc != 200) {
			s3_report(s, "export", k.v[i], rc, &sk);
			goto done;
		}
		if (write_new(path, &b))
			goto done;
		(*files)++;
		*bytes += b.len;
	}
	ret = 0;
done:
	buf_release(&b);
	keys_free(&k);
	return (ret);
}
