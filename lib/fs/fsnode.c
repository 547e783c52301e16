#include <sys/types.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tree/tree.h"
#include "util/warnp.h"

#include "fsnode.h"

/*
 * Every call here names the path and never follows a final symlink
 * (lstat, readlink, llistxattr, lgetxattr, lsetxattr, lchown,
 * utimensat(AT_SYMLINK_NOFOLLOW), fchmodat(AT_SYMLINK_NOFOLLOW)): a symlink
 * swapped in for a file being restored does not redirect our changes
 * (but see the fallback in set_mode).
 */

/* Map the S_IFMT bits to a node type, or 0 if we cannot store it. */
static uint8_t
node_type_of(mode_t m)
{

	switch (m & S_IFMT) {
	case S_IFREG:
		return (NODE_FILE);
	case S_IFDIR:
		return (NODE_DIR);
	case S_IFLNK:
		return (NODE_SYMLINK);
	case S_IFIFO:
		return (NODE_FIFO);
	case S_IFCHR:
		return (NODE_CHR);
	case S_IFBLK:
		return (NODE_BLK);
	case S_IFSOCK:
		return (NODE_SOCK);
	default:
		return (0);
	}
}

/*
 * Read the target of the symlink at path into n.  st_size is only a hint:
 * it is 0 on /proc and similar file systems, and the link may change under
 * us, so grow the buffer until readlink leaves room to spare.
 */
static int
capture_target(const char *path, const struct stat *st, struct node *n)
{
	size_t bufsz;
	uint8_t *buf = NULL, *p;
	ssize_t r;

	bufsz = (st->st_size > 0 && st->st_size < TREE_MAX_TARGET) ?
	    (size_t)st->st_size + 1 : 256;
	for (;;) {
		if ((p = realloc(buf, bufsz)) == NULL) {
			warnp("realloc");
			goto err;
		}
		buf = p;
		if ((r = readlink(path, (char *)buf, bufsz)) == -1) {
			warnp("readlink(%s)", path);
			goto err;
		}
		if ((size_t)r < bufsz)
			break;
		if (bufsz > TREE_MAX_TARGET) {
			errno = ENAMETOOLONG;
			warnp("readlink(%s)", path);
			goto err;
		}
		bufsz = (bufsz * 2 > TREE_MAX_TARGET + 1) ?
		    TREE_MAX_TARGET + 1 : bufsz * 2;
	}
	if (r == 0) {
		warn0("%s: symlink has an empty target", path);
		goto err;
	}
	n->target = buf;
	n->target_len = (size_t)r;
	return (0);

err:
	free(buf);
	return (-1);
}

/*
 * Read the NUL-separated list of xattr names of path into a new buffer.
 * *len is 0 (and *list NULL) if there are none or the file system does
 * not support them.
 */
static int
list_xattrs(const char *path, char **list, size_t *len)
{
	ssize_t r;
	char *p;

	*list = NULL;
	*len = 0;
	for (;;) {
		/* Ask for the size, then read; retry if the list grew. */
		if ((r = llistxattr(path, NULL, 0)) == -1) {
			if (errno == ENOTSUP)
				return (0);
			warnp("llistxattr(%s)", path);
			return (-1);
		}
		if (r == 0)
			return (0);
		/* One byte more, so the list is terminated even if odd. */
		if ((p = realloc(*list, (size_t)r + 1)) == NULL) {
			warnp("realloc");
			return (-1);
		}
		*list = p;
		if ((r = llistxattr(path, *list, (size_t)r)) >= 0) {
			(*list)[r] = '\0';
			break;
		}
		if (errno != ERANGE) {
			warnp("llistxattr(%s)", path);
			return (-1);
		}
	}
	*len = (size_t)r;
	return (0);
}

/*
 * Read the value of xattr name of path into x (name copied).  Returns 0,
 * 1 if the attribute vanished since it was listed (or the file system
 * lists a name it cannot read), or -1 on error.
 */
static int
get_xattr(const char *path, const char *name, struct xattr *x)
{
	ssize_t r;
	uint8_t *p;

	for (;;) {
		if ((r = lgetxattr(path, name, NULL, 0)) == -1)
			goto fail;
		if ((size_t)r > TREE_MAX_XATTR_VALUE) {
			warn0("%s: xattr %s: value too long (%zd bytes)",
			    path, name, r);
			return (-1);
		}
		if ((p = realloc(x->value, (size_t)r + 1)) == NULL) {
			warnp("realloc");
			return (-1);
		}
		x->value = p;
		if ((r = lgetxattr(path, name, x->value, (size_t)r)) >= 0)
			break;
		if (errno != ERANGE)
			goto fail;
	}
	x->value_len = (size_t)r;
	if ((x->name = strdup(name)) == NULL) {
		warnp("strdup");
		return (-1);
	}
	return (0);

fail:
	/* Removed since listed, or not readable after all: not there. */
	if (errno == ENODATA || errno == ENOTSUP)
		return (1);
	warnp("lgetxattr(%s, %s)", path, name);
	return (-1);
}

static int
xattrcmp(const void *a, const void *b)
{
	const struct xattr *x = a;
	const struct xattr *y = b;

	return (strcmp(x->name, y->name));
}

/*
 * Read every extended attribute of path that the process can list, in
 * every namespace: user.*, security.*, trusted.* (when privileged), and
 * system.posix_acl_* (ACLs are xattrs, and are restored as such).
 */
static int
capture_xattrs(const char *path, struct node *n)
{
	char *list, *name;
	size_t len, cnt, off;
	int rc;

	if (list_xattrs(path, &list, &len))
		goto err;

	/* Count names: the list is "name\0name\0...". */
	for (cnt = 0, off = 0; off < len; off += strlen(list + off) + 1)
		cnt++;
	if (cnt > TREE_MAX_XATTRS) {
		warn0("%s: too many xattrs (%zu)", path, cnt);
		goto err;
	}
	if (cnt == 0)
		goto done;
	if ((n->xattrs = calloc(cnt, sizeof(struct xattr))) == NULL) {
		warnp("calloc");
		goto err;
	}
	for (off = 0; off < len; off += strlen(name) + 1) {
		name = list + off;
		if (strlen(name) == 0 || strlen(name) > TREE_MAX_XATTR_NAME) {
			warn0("%s: bad xattr name length", path);
			goto err;
		}
		if ((rc = get_xattr(path, name, &n->xattrs[n->nxattrs])) < 0) {
			/* Count it anyway: node_release frees the value. */
			n->nxattrs++;
			goto err;
		}
		if (rc == 1) {
			/* Removed since listed: free and reuse the slot. */
			free(n->xattrs[n->nxattrs].value);
			n->xattrs[n->nxattrs].value = NULL;
			continue;
		}
		n->nxattrs++;
	}
	qsort(n->xattrs, n->nxattrs, sizeof(struct xattr), xattrcmp);

done:
	free(list);
	return (0);

err:
	free(list);
	return (-1);
}

/*
 * Copy the symlink target and extended attributes of prev into n.  Both
 * change the inode's ctime, so they are the same as prev's when type,
 * inode and ctime are.
 */
static int
copy_unchanged(const struct node *prev, struct node *n)
{
	size_t i;

	if (prev->target_len > 0) {
		if ((n->target = malloc(prev->target_len)) == NULL)
			goto oom;
		memcpy(n->target, prev->target, prev->target_len);
		n->target_len = prev->target_len;
	}
	if (prev->nxattrs == 0)
		return (0);
	if ((n->xattrs = calloc(prev->nxattrs, sizeof(struct xattr))) == NULL)
		goto oom;
	for (i = 0; i < prev->nxattrs; i++) {
		if ((n->xattrs[i].name = strdup(prev->xattrs[i].name)) ==
		    NULL)
			goto oom;
		n->nxattrs = i + 1;
		if (prev->xattrs[i].value_len > 0) {
			if ((n->xattrs[i].value =
			    malloc(prev->xattrs[i].value_len)) == NULL)
				goto oom;
			memcpy(n->xattrs[i].value, prev->xattrs[i].value,
			    prev->xattrs[i].value_len);
		}
		n->xattrs[i].value_len = prev->xattrs[i].value_len;
	}
	return (0);
oom:
	warnp("malloc");
	return (-1);
}

int
fsnode_capture(const char *path, const struct stat *st, struct node *n)
{

	return (fsnode_capture_prev(path, st, n, NULL));
}

int
fsnode_capture_prev(const char *path, const struct stat *st, struct node *n,
    const struct node *prev)
{

	if ((n->type = node_type_of(st->st_mode)) == 0) {
		warn0("%s: unsupported file type (mode %o)", path,
		    (unsigned int)st->st_mode);
		return (-1);
	}
	n->mode = st->st_mode & 07777;
	n->uid = st->st_uid;
	n->gid = st->st_gid;
	n->mtime_sec = st->st_mtim.tv_sec;
	n->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	n->atime_sec = st->st_atim.tv_sec;
	n->atime_nsec = (uint32_t)st->st_atim.tv_nsec;
	n->ctime_sec = st->st_ctim.tv_sec;
	n->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
	n->inode = st->st_ino;
	n->dev = st->st_dev;
	n->nlink = st->st_nlink;

	/*
	 * Size only for regular files: a directory's st_size is file system
	 * noise, and a symlink's is its target length, stored separately.
	 */
	if (n->type == NODE_FILE)
		n->size = (uint64_t)st->st_size;
	if (n->type == NODE_CHR || n->type == NODE_BLK)
		n->rdev = st->st_rdev;
	if (prev != NULL && prev->type == n->type &&
	    prev->inode == n->inode && prev->ctime_sec == n->ctime_sec &&
	    prev->ctime_nsec == n->ctime_nsec)
		return (copy_unchanged(prev, n));
	if (n->type == NODE_SYMLINK) {
		struct stat again;

		if (capture_target(path, st, n))
			return (-1);
		/*
		 * Reading a link may update its atime (relatime); record the
		 * value after the read, so that backing up an unchanged tree
		 * again gives the same tree.
		 */
		if (lstat(path, &again) == 0 && again.st_ino == st->st_ino) {
			n->atime_sec = again.st_atim.tv_sec;
			n->atime_nsec = (uint32_t)again.st_atim.tv_nsec;
		}
	}
	return (capture_xattrs(path, n));
}

/* Make a symlink at path pointing to n's target (not NUL-terminated). */
static int
make_symlink(const char *path, const struct node *n)
{
	char *t;

	if (n->target_len == 0 || memchr(n->target, '\0', n->target_len)) {
		warn0("%s: invalid symlink target", path);
		return (-1);
	}
	if ((t = malloc(n->target_len + 1)) == NULL) {
		warnp("malloc");
		return (-1);
	}
	memcpy(t, n->target, n->target_len);
	t[n->target_len] = '\0';
	if (symlink(t, path)) {
		warnp("symlink(%s)", path);
		free(t);
		return (-1);
	}
	free(t);
	return (0);
}

int
fsnode_make_special(const char *path, const struct node *n)
{
	mode_t perm = (mode_t)(n->mode & 07777);
	dev_t rdev = (dev_t)n->rdev;

	switch (n->type) {
	case NODE_SYMLINK:
		return (make_symlink(path, n));
	case NODE_FIFO:
		if (mkfifo(path, perm)) {
			warnp("mkfifo(%s)", path);
			return (-1);
		}
		return (0);
	case NODE_CHR:
	case NODE_BLK:
	case NODE_SOCK:
		if ((uint64_t)rdev != n->rdev) {
			warn0("%s: device number out of range", path);
			return (-1);
		}
		if (mknod(path, perm | (n->type == NODE_CHR ? S_IFCHR :
		    n->type == NODE_BLK ? S_IFBLK : S_IFSOCK), rdev)) {
			warnp("mknod(%s)", path);
			return (-1);
		}
		return (0);
	default:
		warn0("%s: node type %u is not a special file", path,
		    (unsigned int)n->type);
		return (-1);
	}
}

/*
 * chmod path without following a symlink that may have replaced it since
 * we created it.  fchmodat(AT_SYMLINK_NOFOLLOW) needs /proc or a recent
 * kernel; without them it fails with EOPNOTSUPP, and we fall back to chmod
 * after checking that path is not a symlink.
 */
static int
set_mode(const char *path, mode_t mode)
{
	struct stat st;

	if (fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW) == 0)
		return (0);
	if (errno != EOPNOTSUPP) {
		warnp("chmod(%s)", path);
		return (-1);
	}
	if (lstat(path, &st)) {
		warnp("lstat(%s)", path);
		return (-1);
	}
	if (S_ISLNK(st.st_mode)) {
		warn0("%s: is a symlink, not changing its mode", path);
		return (-1);
	}
	if (chmod(path, mode)) {
		warnp("chmod(%s)", path);
		return (-1);
	}
	return (0);
}

int
fsnode_apply(const char *path, const struct node *n, int owner)
{
	struct timespec ts[2];
	size_t i;

	/* Owner first: chown clears set-id bits and file capabilities. */
	if (owner && lchown(path, (uid_t)n->uid, (gid_t)n->gid)) {
		warnp("lchown(%s)", path);
		return (-1);
	}

	/*
	 * Extended attributes, including ACLs and security.capability, before
	 * the mode: setting an access ACL rewrites the group bits, and chmod
	 * afterwards leaves mode and ACL mask as they were captured.
	 */
	for (i = 0; i < n->nxattrs; i++) {
		if (lsetxattr(path, n->xattrs[i].name, n->xattrs[i].value,
		    n->xattrs[i].value_len, 0)) {
			warnp("lsetxattr(%s, %s)", path, n->xattrs[i].name);
			return (-1);
		}
	}

	/* A symlink's own mode is meaningless, and Linux cannot set it. */
	if (n->type != NODE_SYMLINK && set_mode(path, (mode_t)n->mode))
		return (-1);

	/* Times last: everything above may touch ctime, but not these. */
	ts[0].tv_sec = (time_t)n->atime_sec;
	ts[0].tv_nsec = (long)n->atime_nsec;
	ts[1].tv_sec = (time_t)n->mtime_sec;
	ts[1].tv_nsec = (long)n->mtime_nsec;
	if (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW)) {
		warnp("utimensat(%s)", path);
		return (-1);
	}
	return (0);
}

int
fsnode_apply_fd(int fd, const char *path, const struct node *n, int owner)
{
	struct timespec ts[2];
	size_t i;

	/* The same order as fsnode_apply, on the open file: no lookups. */
	if (owner && fchown(fd, (uid_t)n->uid, (gid_t)n->gid)) {
		warnp("fchown(%s)", path);
		return (-1);
	}
	for (i = 0; i < n->nxattrs; i++) {
		if (fsetxattr(fd, n->xattrs[i].name, n->xattrs[i].value,
		    n->xattrs[i].value_len, 0)) {
			warnp("fsetxattr(%s, %s)", path, n->xattrs[i].name);
			return (-1);
		}
	}
	if (fchmod(fd, (mode_t)n->mode)) {
		warnp("fchmod(%s)", path);
		return (-1);
	}
	ts[0].tv_sec = (time_t)n->atime_sec;
	ts[0].tv_nsec = (long)n->atime_nsec;
	ts[1].tv_sec = (time_t)n->mtime_sec;
	ts[1].tv_nsec = (long)n->mtime_nsec;
	if (futimens(fd, ts)) {
		warnp("futimens(%s)", path);
		return (-1);
	}
	return (0);
}
