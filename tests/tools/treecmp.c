/*
 * treecmp [--no-atime] [--no-dir-atime] [--no-owner] [--sparse] A B
 *
 * Compare two file trees as a restore must reproduce them: the set of
 * names (any bytes but '/'), the type, permission bits (07777), owner and
 * group, size, content of regular files, mtime and atime in nanoseconds,
 * symlink targets, rdev of device nodes, every extended attribute (names
 * and values), and the hard-link structure: two paths that are links to one
 * inode in A must be links to one inode in B, and the other way round.
 * With --sparse, a regular file of B may not take more than 64 KiB of
 * storage beyond what the same file of A takes (st_blocks), so a sparse
 * file must have been restored sparse.
 *
 * Nothing is followed: entries are read with fstatat(AT_SYMLINK_NOFOLLOW)
 * and directories opened with O_NOFOLLOW relative to their parent, so the
 * depth of a tree is not limited by PATH_MAX.  Extended attributes have no
 * *at() calls; they are read through "/proc/self/fd/<dirfd>/<name>" (the
 * l*xattr calls do not follow the last component), or through the full
 * path when /proc is not mounted.
 *
 * The roots themselves are compared too, under the name ".".  Directory
 * sizes are not compared (they depend on the history of the directory).
 *
 * Output: one line per difference, "differs: PATH: what", PATH relative to
 * the roots with every byte outside printable ASCII, and the backslash,
 * written as \xNN.  Exit status: 0 identical, 1 different, 2 on error
 * (an error is reported on stderr and the walk goes on where it can).
 */

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/xattr.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPARSE_SLACK	(64 * 1024)
#define READ_CHUNK	(1024 * 1024)

/* Options. */
static int opt_no_atime, opt_no_dir_atime, opt_no_owner, opt_sparse;

/* Outcome so far: set by difference() and error(). */
static int ndiffs, nerrors;

/* Whether /proc/self/fd can be used to name an entry for l*xattr. */
static int have_proc;

/* The two roots, as given on the command line. */
static const char *root[2];

/*
 * A path relative to the roots ("." for the roots, "a/b" below), kept in
 * one growing buffer: a child appends "/name", and cuts back on return.
 */
struct relpath {
	char *s;
	size_t len, cap;
};

/*
 * A non-directory entry whose inode has more than one link in A or in B;
 * compared after the walk to check the hard-link structure.
 */
struct linkrec {
	dev_t dev[2];
	ino_t ino[2];
	char *path;		/* relative path, owned */
};

static struct linkrec *links;
static size_t nlinks, caplinks;

/* die_nomem(): out of memory is not worth handling in a test tool. */
static void
die_nomem(void)
{
	fprintf(stderr, "treecmp: out of memory\n");
	exit(2);
}

/* xrealloc(p, n): realloc, or exit(2). */
static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		die_nomem();
	return (q);
}

/*
 * put_escaped(f, p, len): write len bytes at p to f, printable ASCII as is
 * and anything else (and '\\') as \xNN.
 */
static void
put_escaped(FILE *f, const char *p, size_t len)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (c < 0x20 || c >= 0x7f || c == '\\')
			fprintf(f, "\\x%02x", c);
		else
			putc(c, f);
	}
}

/* difference(rel, fmt, ...): report one difference at rel. */
static void
difference(const struct relpath *rel, const char *fmt, ...)
{
	va_list ap;

	ndiffs++;
	fputs("differs: ", stdout);
	put_escaped(stdout, rel->s, rel->len);
	fputs(": ", stdout);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	putc('\n', stdout);
}

/* error(rel, which, what): report an error (with errno) at rel. */
static void
error(const struct relpath *rel, int which, const char *what)
{
	int e = errno;

	nerrors++;
	fflush(stdout);
	fputs("treecmp: error: ", stderr);
	if (which >= 0)
		put_escaped(stderr, root[which], strlen(root[which]));
	if (which < 0 || strcmp(rel->s, ".") != 0) {
		if (which >= 0)
			putc('/', stderr);
		put_escaped(stderr, rel->s, rel->len);
	}
	fprintf(stderr, ": %s: %s\n", what, strerror(e));
}

/* rel_push(rel, name): append "/name" (or set "name" below "."). */
static size_t
rel_push(struct relpath *rel, const char *name)
{
	size_t old = rel->len, n = strlen(name);

	if (rel->cap < rel->len + n + 2) {
		rel->cap = (rel->len + n + 2) * 2;
		rel->s = xrealloc(rel->s, rel->cap);
	}
	if (rel->len == 1 && rel->s[0] == '.') {
		rel->len = 0;
	} else {
		rel->s[rel->len++] = '/';
	}
	memcpy(rel->s + rel->len, name, n + 1);
	rel->len += n;
	return (old);
}

/* rel_pop(rel, old): cut rel back to old (restoring "." for the root). */
static void
rel_pop(struct relpath *rel, size_t old)
{
	rel->len = old;
	if (old == 1)
		rel->s[0] = '.';
	rel->s[old] = '\0';
}

/*
 * xattr_path(buf, size, which, dfd, name, rel): a path naming the entry
 * for l*xattr.  Returns buf, or NULL if it does not fit.
 */
static const char *
xattr_path(char *buf, size_t size, int which, int dfd, const char *name,
    const struct relpath *rel)
{
	int n;

	if (dfd == AT_FDCWD)
		n = snprintf(buf, size, "%s", name);
	else if (have_proc)
		n = snprintf(buf, size, "/proc/self/fd/%d/%s", dfd, name);
	else
		n = snprintf(buf, size, "%s/%s", root[which], rel->s);
	if (n < 0 || (size_t)n >= size)
		return (NULL);
	return (buf);
}

/* cmp_names(a, b): qsort comparator for char *, bytewise. */
static int
cmp_names(const void *a, const void *b)
{
	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/*
 * list_xattrs(path, names, n): read the NUL-separated list of extended
 * attribute names of path into *buf, and point (*names)[0..*n) into it,
 * sorted.  A file system without xattr support gives an empty list.
 * Returns 0, or -1 on error (errno set).
 */
static int
list_xattrs(const char *path, char **buf, char ***names, size_t *n)
{
	ssize_t len;
	size_t i, k;

	*buf = NULL;
	*names = NULL;
	*n = 0;
	for (;;) {
		len = llistxattr(path, NULL, 0);
		if (len < 0 && (errno == ENOTSUP || errno == ENOSYS))
			return (0);
		if (len <= 0)
			return (len < 0 ? -1 : 0);
		*buf = xrealloc(*buf, (size_t)len);
		len = llistxattr(path, *buf, (size_t)len);
		if (len >= 0)
			break;
		if (errno != ERANGE)
			return (-1);
	}
	for (i = 0, k = 0; i < (size_t)len; i += strlen(*buf + i) + 1)
		k++;
	*names = xrealloc(NULL, k * sizeof(char *));
	for (i = 0, k = 0; i < (size_t)len; i += strlen(*buf + i) + 1)
		(*names)[k++] = *buf + i;
	qsort(*names, k, sizeof(char *), cmp_names);
	*n = k;
	return (0);
}

/*
 * get_xattr(path, name, val, len): read one attribute's value into a new
 * buffer *val of *len bytes.  Returns 0, or -1 on error (errno set).
 */
static int
get_xattr(const char *path, const char *name, char **val, size_t *len)
{
	ssize_t r;

	*val = NULL;
	for (;;) {
		r = lgetxattr(path, name, NULL, 0);
		if (r < 0)
			return (-1);
		*val = xrealloc(*val, (size_t)r);
		r = lgetxattr(path, name, *val, (size_t)r);
		if (r >= 0)
			break;
		if (errno != ERANGE)
			return (-1);
	}
	*len = (size_t)r;
	return (0);
}

/* xattr_diff(rel, name, what): report a difference in attribute name. */
static void
xattr_diff(const struct relpath *rel, const char *name, const char *what)
{
	ndiffs++;
	fputs("differs: ", stdout);
	put_escaped(stdout, rel->s, rel->len);
	fputs(": xattr ", stdout);
	put_escaped(stdout, name, strlen(name));
	fprintf(stdout, ": %s\n", what);
}

/* compare_xattrs(dfd, name, rel): compare every extended attribute. */
static void
compare_xattrs(const int dfd[2], const char *const name[2],
    const struct relpath *rel)
{
	char pbuf[2][PATH_MAX + 64];
	const char *p[2];
	char *buf[2] = { NULL, NULL }, **nm[2] = { NULL, NULL };
	char *v[2];
	size_t n[2] = { 0, 0 }, i = 0, j = 0, vl[2];
	int w, c;

	for (w = 0; w < 2; w++) {
		p[w] = xattr_path(pbuf[w], sizeof(pbuf[w]), w, dfd[w],
		    name[w], rel);
		if (p[w] == NULL) {
			errno = ENAMETOOLONG;
			error(rel, w, "listing extended attributes");
			goto done;
		}
		if (list_xattrs(p[w], &buf[w], &nm[w], &n[w])) {
			error(rel, w, "listing extended attributes");
			goto done;
		}
	}
	while (i < n[0] || j < n[1]) {
		c = (i == n[0]) ? 1 : (j == n[1]) ? -1 :
		    strcmp(nm[0][i], nm[1][j]);
		if (c < 0) {
			xattr_diff(rel, nm[0][i++], "only in A");
			continue;
		}
		if (c > 0) {
			xattr_diff(rel, nm[1][j++], "only in B");
			continue;
		}
		if (get_xattr(p[0], nm[0][i], &v[0], &vl[0])) {
			error(rel, 0, "reading an extended attribute");
		} else if (get_xattr(p[1], nm[1][j], &v[1], &vl[1])) {
			error(rel, 1, "reading an extended attribute");
			free(v[0]);
		} else {
			if (vl[0] != vl[1] || memcmp(v[0], v[1], vl[0]) != 0)
				xattr_diff(rel, nm[0][i], "value differs");
			free(v[0]);
			free(v[1]);
		}
		i++;
		j++;
	}
done:
	for (w = 0; w < 2; w++) {
		free(nm[w]);
		free(buf[w]);
	}
}

/*
 * open_file(dfd, name): open a regular file for reading without touching
 * its atime where the kernel allows it.  Returns the fd or -1.
 */
static int
open_file(int dfd, const char *name)
{
	int fd, fl = O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;

	fd = openat(dfd, name, fl | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = openat(dfd, name, fl);
	return (fd);
}

/* read_full(fd, buf, len): read up to len bytes; returns count or -1. */
static ssize_t
read_full(int fd, char *buf, size_t len)
{
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		r = read(fd, buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return (-1);
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return ((ssize_t)done);
}

/*
 * skip_holes(fd, off): if both files have a hole at *off, move both to the
 * next data (holes read as zeros on both sides, so need not be read).  A
 * file system without SEEK_DATA, or holes in different places, leave the
 * offsets where they are.  Returns 1 if both have no more data, else 0.
 */
static int
skip_holes(const int fd[2], uint64_t *off)
{
	off_t d[2];
	int w;

	for (w = 0; w < 2; w++) {
		d[w] = lseek(fd[w], (off_t)*off, SEEK_DATA);
		if (d[w] < 0 && errno != ENXIO)
			d[w] = (off_t)*off;
	}
	if (d[0] < 0 && d[1] < 0)
		return (1);
	if (d[0] != d[1] || d[0] < 0)
		d[0] = (off_t)*off;
	*off = (uint64_t)d[0];
	for (w = 0; w < 2; w++)
		if (lseek(fd[w], d[0], SEEK_SET) < 0)
			return (-1);
	return (0);
}

/* compare_content(dfd, name, rel): compare two regular files' bytes. */
static void
compare_content(const int dfd[2], const char *const name[2],
    const struct relpath *rel)
{
	static char *buf[2];
	int fd[2] = { -1, -1 }, w;
	ssize_t r[2];
	size_t k;
	uint64_t off = 0;

	for (w = 0; w < 2; w++) {
		if (buf[w] == NULL)
			buf[w] = xrealloc(NULL, READ_CHUNK);
		if ((fd[w] = open_file(dfd[w], name[w])) < 0) {
			error(rel, w, "opening");
			goto done;
		}
	}
	for (;;) {
		switch (skip_holes(fd, &off)) {
		case 1:
			goto done;
		case -1:
			error(rel, 0, "seeking");
			goto done;
		}
		for (w = 0; w < 2; w++) {
			if ((r[w] = read_full(fd[w], buf[w], READ_CHUNK)) < 0) {
				error(rel, w, "reading");
				goto done;
			}
		}
		if (r[0] != r[1] || memcmp(buf[0], buf[1], (size_t)r[0])) {
			for (k = 0; k < (size_t)r[0] && k < (size_t)r[1]; k++)
				if (buf[0][k] != buf[1][k])
					break;
			difference(rel, "content differs at byte %llu",
			    (unsigned long long)(off + k));
			goto done;
		}
		if (r[0] == 0)
			break;
		off += (uint64_t)r[0];
	}
done:
	for (w = 0; w < 2; w++)
		if (fd[w] >= 0)
			close(fd[w]);
}

/* compare_symlinks(dfd, name, rel): compare two symlinks' targets. */
static void
compare_symlinks(const int dfd[2], const char *const name[2],
    const struct relpath *rel, const struct stat st[2])
{
	char *t[2] = { NULL, NULL };
	ssize_t n[2];
	size_t size;
	int w;

	for (w = 0; w < 2; w++) {
		/* One byte more than st_size shows a target that grew. */
		size = (size_t)st[w].st_size + 2;
		t[w] = xrealloc(NULL, size);
		n[w] = readlinkat(dfd[w], name[w], t[w], size);
		if (n[w] < 0) {
			error(rel, w, "reading symlink");
			goto done;
		}
	}
	if (n[0] != n[1] || memcmp(t[0], t[1], (size_t)n[0]) != 0) {
		ndiffs++;
		fputs("differs: ", stdout);
		put_escaped(stdout, rel->s, rel->len);
		fputs(": symlink target ", stdout);
		put_escaped(stdout, t[0], (size_t)n[0]);
		fputs(" != ", stdout);
		put_escaped(stdout, t[1], (size_t)n[1]);
		putc('\n', stdout);
	}
done:
	free(t[0]);
	free(t[1]);
}

/* type_name(mode): a word for the file type. */
static const char *
type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return ("file");
	case S_IFDIR: return ("directory");
	case S_IFLNK: return ("symlink");
	case S_IFIFO: return ("fifo");
	case S_IFCHR: return ("char device");
	case S_IFBLK: return ("block device");
	case S_IFSOCK: return ("socket");
	default: return ("unknown type");
	}
}

/* compare_time(rel, what, a, b): compare two timestamps to the ns. */
static void
compare_time(const struct relpath *rel, const char *what,
    const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec)
		return;
	difference(rel, "%s %lld.%09ld != %lld.%09ld", what,
	    (long long)a->tv_sec, a->tv_nsec, (long long)b->tv_sec, b->tv_nsec);
}

/* note_links(st, rel): remember an entry whose inode has several links. */
static void
note_links(const struct stat st[2], const struct relpath *rel)
{
	struct linkrec *l;
	int w;

	if (st[0].st_nlink < 2 && st[1].st_nlink < 2)
		return;
	if (nlinks == caplinks) {
		caplinks = caplinks ? caplinks * 2 : 64;
		if (caplinks > SIZE_MAX / sizeof(*links))
			die_nomem();
		links = xrealloc(links, caplinks * sizeof(*links));
	}
	l = &links[nlinks++];
	for (w = 0; w < 2; w++) {
		l->dev[w] = st[w].st_dev;
		l->ino[w] = st[w].st_ino;
	}
	l->path = xrealloc(NULL, rel->len + 1);
	memcpy(l->path, rel->s, rel->len + 1);
}

static void compare_dirs(const int dfd[2], struct relpath *);

/*
 * compare_entry(dfd, name, rel): compare the entry name[0] in directory
 * dfd[0] with name[1] in dfd[1] (rel is their relative path), and recurse
 * if both are directories.  The names differ only for the roots.
 */
static void
compare_entry(const int dfd[2], const char *const name[2],
    struct relpath *rel)
{
	struct stat st[2];
	int sub[2] = { -1, -1 }, w, isdir;
	mode_t t;

	for (w = 0; w < 2; w++) {
		if (fstatat(dfd[w], name[w], &st[w], AT_SYMLINK_NOFOLLOW)) {
			error(rel, w, "lstat");
			return;
		}
	}
	t = st[0].st_mode & S_IFMT;
	if (t != (st[1].st_mode & S_IFMT)) {
		difference(rel, "type %s != %s", type_name(st[0].st_mode),
		    type_name(st[1].st_mode));
		return;
	}
	isdir = (t == S_IFDIR);
	if ((st[0].st_mode & 07777) != (st[1].st_mode & 07777))
		difference(rel, "mode %04o != %04o",
		    (unsigned)(st[0].st_mode & 07777),
		    (unsigned)(st[1].st_mode & 07777));
	if (!opt_no_owner && (st[0].st_uid != st[1].st_uid ||
	    st[0].st_gid != st[1].st_gid))
		difference(rel, "owner %lu:%lu != %lu:%lu",
		    (unsigned long)st[0].st_uid, (unsigned long)st[0].st_gid,
		    (unsigned long)st[1].st_uid, (unsigned long)st[1].st_gid);
	if (!isdir && st[0].st_size != st[1].st_size)
		difference(rel, "size %lld != %lld", (long long)st[0].st_size,
		    (long long)st[1].st_size);
	if ((t == S_IFCHR || t == S_IFBLK) && st[0].st_rdev != st[1].st_rdev)
		difference(rel, "rdev %u,%u != %u,%u",
		    major(st[0].st_rdev), minor(st[0].st_rdev),
		    major(st[1].st_rdev), minor(st[1].st_rdev));
	compare_time(rel, "mtime", &st[0].st_mtim, &st[1].st_mtim);
	if (!opt_no_atime && !(isdir && opt_no_dir_atime))
		compare_time(rel, "atime", &st[0].st_atim, &st[1].st_atim);
	if (t == S_IFREG && opt_sparse &&
	    (long long)st[1].st_blocks * 512 >
	    (long long)st[0].st_blocks * 512 + SPARSE_SLACK)
		difference(rel, "allocated %lld bytes > %lld + %d (not sparse)",
		    (long long)st[1].st_blocks * 512,
		    (long long)st[0].st_blocks * 512, SPARSE_SLACK);
	compare_xattrs(dfd, name, rel);
	if (t == S_IFREG && st[0].st_size == st[1].st_size)
		compare_content(dfd, name, rel);
	if (t == S_IFLNK)
		compare_symlinks(dfd, name, rel, st);
	if (!isdir) {
		note_links(st, rel);
		return;
	}

	for (w = 0; w < 2; w++) {
		sub[w] = openat(dfd[w], name[w],
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub[w] < 0) {
			error(rel, w, "opening directory");
			goto done;
		}
	}
	compare_dirs(sub, rel);
done:
	for (w = 0; w < 2; w++)
		if (sub[w] >= 0)
			close(sub[w]);
}

/*
 * read_names(dfd, names, n): the sorted names in directory dfd (without
 * "." and ".."), each allocated.  Returns 0, or -1 on error (errno set).
 */
static int
read_names(int dfd, char ***names, size_t *n)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0;
	int fd, e;

	*names = NULL;
	*n = 0;
	if ((fd = dup(dfd)) < 0)
		return (-1);
	if ((d = fdopendir(fd)) == NULL) {
		e = errno;
		close(fd);
		errno = e;
		return (-1);
	}
	rewinddir(d);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			if (cap > SIZE_MAX / sizeof(char *))
				die_nomem();
			*names = xrealloc(*names, cap * sizeof(char *));
		}
		if (((*names)[*n] = strdup(de->d_name)) == NULL)
			die_nomem();
		(*n)++;
	}
	e = errno;
	closedir(d);
	if (e != 0) {
		errno = e;
		return (-1);
	}
	if (*n > 0)
		qsort(*names, *n, sizeof(char *), cmp_names);
	return (0);
}

/* free_names(names, n): free what read_names returned. */
static void
free_names(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* compare_dirs(dfd, rel): compare the contents of two open directories. */
static void
compare_dirs(const int dfd[2], struct relpath *rel)
{
	char **nm[2] = { NULL, NULL };
	const char *both[2];
	size_t n[2] = { 0, 0 }, i = 0, j = 0, old;
	int w, c;

	for (w = 0; w < 2; w++) {
		if (read_names(dfd[w], &nm[w], &n[w])) {
			error(rel, w, "reading directory");
			goto done;
		}
	}
	while (i < n[0] || j < n[1]) {
		c = (i == n[0]) ? 1 : (j == n[1]) ? -1 :
		    strcmp(nm[0][i], nm[1][j]);
		if (c < 0) {
			old = rel_push(rel, nm[0][i++]);
			difference(rel, "only in A");
		} else if (c > 0) {
			old = rel_push(rel, nm[1][j++]);
			difference(rel, "only in B");
		} else {
			old = rel_push(rel, nm[0][i]);
			both[0] = both[1] = nm[0][i];
			compare_entry(dfd, both, rel);
			i++;
			j++;
		}
		rel_pop(rel, old);
	}
done:
	for (w = 0; w < 2; w++)
		free_names(nm[w], n[w]);
}

/* cmp_link_side(x, y, w): order link records by side w's inode. */
static int
cmp_link_side(const struct linkrec *x, const struct linkrec *y, int w)
{
	if (x->dev[w] != y->dev[w])
		return (x->dev[w] < y->dev[w] ? -1 : 1);
	if (x->ino[w] != y->ino[w])
		return (x->ino[w] < y->ino[w] ? -1 : 1);
	return (strcmp(x->path, y->path));
}

/* cmp_link_a, cmp_link_b: qsort comparators for sides A and B. */
static int
cmp_link_a(const void *x, const void *y)
{
	return (cmp_link_side(x, y, 0));
}

static int
cmp_link_b(const void *x, const void *y)
{
	return (cmp_link_side(x, y, 1));
}

/*
 * check_links(): every group of paths sharing an inode on one side must
 * share one inode on the other side.  Each side is checked in turn: sort
 * by that side's inode, and compare each member of a group with the
 * group's first member.
 */
static void
check_links(void)
{
	struct relpath rel;
	size_t i, first;
	int w, o;

	if (nlinks == 0)
		return;
	for (w = 0; w < 2; w++) {
		o = 1 - w;
		qsort(links, nlinks, sizeof(*links),
		    w == 0 ? cmp_link_a : cmp_link_b);
		for (i = 0, first = 0; i < nlinks; i++) {
			if (links[i].dev[w] != links[first].dev[w] ||
			    links[i].ino[w] != links[first].ino[w])
				first = i;
			if (i == first)
				continue;
			if (links[i].dev[o] == links[first].dev[o] &&
			    links[i].ino[o] == links[first].ino[o])
				continue;
			rel.s = links[i].path;
			rel.len = strlen(rel.s);
			ndiffs++;
			fputs("differs: ", stdout);
			put_escaped(stdout, rel.s, rel.len);
			fputs(": hard link of ", stdout);
			put_escaped(stdout, links[first].path,
			    strlen(links[first].path));
			fprintf(stdout, " in %c but not in %c\n",
			    w == 0 ? 'A' : 'B', w == 0 ? 'B' : 'A');
		}
	}
	for (i = 0; i < nlinks; i++)
		free(links[i].path);
	free(links);
}

/* usage(): print usage and exit 2. */
static void
usage(void)
{
	fprintf(stderr, "usage: treecmp [--no-atime] [--no-dir-atime] "
	    "[--no-owner] [--sparse] A B\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct relpath rel;
	int dfd[2] = { AT_FDCWD, AT_FDCWD };
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else if (strcmp(argv[i], "--no-atime") == 0) {
			opt_no_atime = 1;
		} else if (strcmp(argv[i], "--no-dir-atime") == 0) {
			opt_no_dir_atime = 1;
		} else if (strcmp(argv[i], "--no-owner") == 0) {
			opt_no_owner = 1;
		} else if (strcmp(argv[i], "--sparse") == 0) {
			opt_sparse = 1;
		} else {
			usage();
		}
	}
	if (argc - i != 2)
		usage();
	root[0] = argv[i];
	root[1] = argv[i + 1];
	have_proc = (access("/proc/self/fd", X_OK) == 0);

	rel.cap = 64;
	rel.s = xrealloc(NULL, rel.cap);
	strcpy(rel.s, ".");
	rel.len = 1;

	/* The roots are entries of the current directory, named by path. */
	compare_entry(dfd, root, &rel);
	check_links();
	free(rel.s);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "treecmp: error writing output\n");
		return (2);
	}
	return (nerrors ? 2 : ndiffs ? 1 : 0);
}
