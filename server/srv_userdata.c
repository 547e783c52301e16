/*
 * An account's stored data, for the admin commands that touch it as a
 * whole: exporting it (a legal request: the operator can hand over only
 * ciphertext, and the user will see the export in the audit log) and
 * deleting it with the account.  Repositories live in <data>/repos/<user>,
 * or in S3 when <data>/storage says so (srv_userdata_s3.c).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/warnp.h"

#include "srv_storage.h"
#include "srv_store_s3.h"
#include "srv_userdata.h"

int
srv_userdata_path(const char *data, const char *user, char *buf, size_t n)
{

	if ((size_t)snprintf(buf, n, "%s/repos/%s", data, user) >= n) {
		warn0("%s: path too long", data);
		return (-1);
	}
	return (0);
}

int
srv_userdata_exists(const char *data, const char *user)
{
	char path[PATH_MAX];
	struct srv_store *st;
	struct dirent *de;
	DIR *d;
	int found = 0;

	/* S3: when the bucket cannot be listed, say yes (refuse). */
	if ((found = srv_storage_open_recorded(data, &st)) != 0) {
		if (found == 1)
			found = srv_userdata_s3_exists(st, user);
		srv_store_free(st);
		return (found != 0);
	}
	if (srv_userdata_path(data, user, path, sizeof(path)) ||
	    (d = opendir(path)) == NULL)
		return (0);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			found = 1;
	closedir(d);
	return (found);
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{

	if (remove(p) != 0) {
		warnp("remove %s", p);
		return (-1);
	}
	return (0);
}

int
srv_userdata_delete(const char *data, const char *user)
{
	char path[PATH_MAX];
	struct srv_store *st;
	int rc;

	if ((rc = srv_storage_open_recorded(data, &st)) != 0) {
		if (rc == 1)
			rc = srv_userdata_s3_delete(st, user);
		srv_store_free(st);
		return (rc);
	}
	if (srv_userdata_path(data, user, path, sizeof(path)))
		return (-1);
	if (access(path, F_OK) != 0)
		return (0);
	return (nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1);
}

/* Copy one regular file, durably.  0 or -1. */
static int
copy_file(const char *from, const char *to, uint64_t *bytes)
{
	char buf[65536];
	ssize_t r, w;
	int in, out;

	if ((in = open(from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		warnp("open %s", from);
		return (-1);
	}
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		warnp("create %s", to);
		close(in);
		return (-1);
	}
	while ((r = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t o = 0; o < r; o += w)
			if ((w = write(out, buf + o, (size_t)(r - o))) <= 0) {
				warnp("write %s", to);
				goto fail;
			}
		*bytes += (uint64_t)r;
	}
	if (r < 0 || fsync(out) != 0) {
		warnp("copy %s", from);
		goto fail;
	}
	close(in);
	return (close(out) == 0 ? 0 : -1);
fail:
	close(in);
	close(out);
	return (-1);
}

static int
copy_tree(const char *from, const char *to, uint64_t *files, uint64_t *bytes)
{
	char f[PATH_MAX], t[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;
	int rc = 0;

	if (mkdir(to, 0700) != 0) {
		warnp("mkdir %s", to);
		return (-1);
	}
	if ((d = opendir(from)) == NULL) {
		warnp("opendir %s", from);
		return (-1);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strncmp(de->d_name, ".tmp", 4) == 0)
			continue;
		if ((size_t)snprintf(f, sizeof(f), "%s/%s", from, de->d_name) >=
		    sizeof(f) || (size_t)snprintf(t, sizeof(t), "%s/%s", to,
		    de->d_name) >= sizeof(t) || lstat(f, &st) != 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode))
			rc = copy_tree(f, t, files, bytes);
		else if (S_ISREG(st.st_mode)) {
			rc = copy_file(f, t, bytes);
			(*files)++;
		}
	}
	closedir(d);
	return (rc);
}

int
srv_userdata_export(const char *data, const char *user, const char *to,
    uint64_t *files, uint64_t *bytes)
{
	char path[PATH_MAX];
	struct srv_store *st;
	int rc;

	*files = *bytes = 0;
	if ((rc = srv_storage_open_recorded(data, &st)) != 0) {
		if (rc == 1)
			rc = srv_userdata_s3_export(st, user, to, files, bytes);
		srv_store_free(st);
		return (rc);
	}
	if (srv_userdata_path(data, user, path, sizeof(path)))
		return (-1);
	if (access(path, F_OK) != 0) {
		warn0("user %s has no stored data", user);
		return (-1);
	}
	return (copy_tree(path, to, files, bytes));
}
