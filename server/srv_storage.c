/*
 * Choosing the store: the local file system under <data>/repos, or an S3
 * bucket recorded in <data>/storage (see srv_storage.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/warnp.h"

#include "srv_storage.h"
#include "srv_store_s3.h"
#include "srv_userdata.h"

#define LOCMAX	2048

/* Read <data>/storage into loc.  0, 1 if there is none, -1 (reported). */
static int
recorded(const char *data, char *loc, size_t n)
{
	char path[PATH_MAX];
	ssize_t r;
	int fd;

	snprintf(path, sizeof(path), "%s/storage", data);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return (1);
		warnp("open %s", path);
		return (-1);
	}
	r = read(fd, loc, n - 1);
	close(fd);
	if (r <= 0 || loc[r - 1] != '\n' || memchr(loc, '\0', (size_t)r)) {
		warn0("%s: damaged (one line, the storage location)", path);
		return (-1);
	}
	loc[r - 1] = '\0';
	return (0);
}

/* Write <data>/storage, durably (temporary file, fsync, rename). */
static int
record(const char *data, const char *loc)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(loc);
	int fd, dfd;

	snprintf(path, sizeof(path), "%s/storage", data);
	snprintf(tmp, sizeof(tmp), "%s/.storage.tmp", data);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		warnp("create %s", tmp);
		return (-1);
	}
	if (write(fd, loc, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
	    fsync(fd) || close(fd)) {
		warnp("write %s", tmp);
		unlink(tmp);
		return (-1);
	}
	if (rename(tmp, path)) {
		warnp("rename %s", path);
		unlink(tmp);
		return (-1);
	}
	if ((dfd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return (0);
}

/* Does <data>/repos hold anything? */
static int
local_in_use(const char *data)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int any = 0;

	snprintf(path, sizeof(path), "%s/repos", data);
	if ((d = opendir(path)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			any = 1;
	closedir(d);
	return (any);
}

int
srv_storage_open(const char *data, const char *storage, int serve,
    struct srv_store **st)
{
	char rec[LOCMAX], path[PATH_MAX];
	const char *loc;
	int rc;

	*st = NULL;
	if ((rc = recorded(data, rec, sizeof(rec))) < 0)
		return (-1);
	if (storage != NULL && (strcmp(storage, "local") == 0 ||
	    storage[0] == '\0'))
		storage = NULL;
	if (storage != NULL && strncmp(storage, "s3:", 3) != 0) {
		warn0("storage \"%.100s\": must be \"local\" or "
		    "s3:http(s)://HOST[:PORT]/BUCKET[/PREFIX]", storage);
		return (-1);
	}
	if (rc == 0 && storage != NULL && strcmp(rec, storage) != 0) {
		warn0("%s holds the state of repositories stored at %s, not "
		    "%s: give that location, or another data directory", data,
		    rec, storage);
		return (-1);
	}
	if (rc == 0 && storage == NULL && serve) {
		warn0("%s holds the state of repositories stored at %s: "
		    "start with --storage %s", data, rec, rec);
		return (-1);
	}
	loc = rc == 0 ? rec : storage;
	if (loc == NULL) {
		if ((size_t)snprintf(path, sizeof(path), "%s/repos", data) >=
		    sizeof(path)) {
			warn0("%s: path too long", data);
			return (-1);
		}
		return (srv_store_fs_open(path, st));
	}
	if (rc == 1 && local_in_use(data)) {
		warn0("%s/repos holds repositories: S3 storage needs a data "
		    "directory of its own (cofferd does not move them)", data);
		return (-1);
	}
	if ((size_t)snprintf(path, sizeof(path), "%s/spool", data) >=
	    sizeof(path)) {
		warn0("%s: path too long", data);
		return (-1);
	}
	if (srv_store_s3_open(loc + 3, serve ? path : NULL, st))
		return (-1);
	if (rc == 1 && record(data, loc)) {
		srv_store_free(*st);
		*st = NULL;
		return (-1);
	}
	return (0);
}

int
srv_storage_open_recorded(const char *data, struct srv_store **st)
{
	char rec[LOCMAX];
	int rc;

	*st = NULL;
	if ((rc = recorded(data, rec, sizeof(rec))) != 0)
		return (rc == 1 ? 0 : -1);
	if (strncmp(rec, "s3:", 3) != 0) {
		warn0("%s/storage: unknown storage \"%.100s\"", data, rec);
		return (-1);
	}
	return (srv_store_s3_open(rec + 3, NULL, st) ? -1 : 1);
}

int
srv_storage_where(const char *data, const char *user, char *buf, size_t n)
{
	char rec[LOCMAX];
	size_t len;
	int rc;

	if ((rc = recorded(data, rec, sizeof(rec))) == -1)
		return (-1);
	if (rc == 1)
		return (srv_userdata_path(data, user, buf, n));
	len = strlen(rec);
	while (len > 0 && rec[len - 1] == '/')
		len--;
	if ((size_t)snprintf(buf, n, "%.*s/%s/", (int)len, rec, user) >= n) {
		warn0("%s/storage: location too long", data);
		return (-1);
	}
	return (0);
}

int
srv_storage_is_s3(struct srv_store *st)
{

	return (srv_store_s3_client(st) != NULL);
}
