#include <sys/types.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fs/fsnode.h"
#include "tree/tree.h"
#include "util/warnp.h"

#include "test.h"

/* The scratch directory, made by main(). */
static char dir[64];

/* Whether the scratch file system takes user.* xattrs. */
static int have_xattrs;

static const char *
path(const char *name)
{
	static char buf[2][256];
	static int which;

	which = !which;
	snprintf(buf[which], sizeof(buf[which]), "%s/%s", dir, name);
	return (buf[which]);
}

/* Fixed times with odd nanoseconds, so truncation to us or s shows. */
static void
set_times(const char *p)
{
	struct timespec ts[2] = {
		{ 1000000001, 123456789 },	/* atime */
		{ 1500000002, 987654321 }	/* mtime */
	};

	CHECK(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

/* lstat + fsnode_capture into a fresh node. */
static int
capture(const char *p, struct node *n)
{
	struct stat st;

	memset(n, 0, sizeof(*n));
	if (lstat(p, &st))
		return (-1);
	return (fsnode_capture(p, &st, n));
}

/* Check that the metadata we restore came back. */
static void
compare(const struct node *a, const struct node *b)
{
	size_t i;

	CHECK(a->type == b->type);
	if (a->type != NODE_SYMLINK)
		CHECK(a->mode == b->mode);
	CHECK(a->uid == b->uid && a->gid == b->gid);
	CHECK(a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec);
	CHECK(a->atime_sec == b->atime_sec && a->atime_nsec == b->atime_nsec);
	CHECK(a->size == b->size && a->rdev == b->rdev);
	CHECK(a->target_len == b->target_len);
	if (a->target_len == b->target_len && a->target_len != 0)
		CHECK_MEM(a->target, b->target, a->target_len);
	CHECK(a->nxattrs == b->nxattrs);
	for (i = 0; i < a->nxattrs && i < b->nxattrs; i++) {
		CHECK(strcmp(a->xattrs[i].name, b->xattrs[i].name) == 0);
		CHECK(a->xattrs[i].value_len == b->xattrs[i].value_len);
		if (a->xattrs[i].value_len == b->xattrs[i].value_len)
			CHECK_MEM(a->xattrs[i].value, b->xattrs[i].value,
			    a->xattrs[i].value_len);
	}
}

/* A regular file with xattrs, a setgid bit and odd times. */
static void
test_file(void)
{
	struct node a, b;
	int fd;

	CHECK((fd = open(path("f"), O_CREAT | O_EXCL | O_WRONLY, 0600)) >= 0);
	CHECK(write(fd, "hello", 5) == 5);
	close(fd);
	if (lsetxattr(path("f"), "user.test", "v\0\xff", 3, 0) == 0 &&
	    lsetxattr(path("f"), "user.empty", "", 0, 0) == 0)
		have_xattrs = 1;
	else if (errno == ENOTSUP)
		fprintf(stderr, "  (no user xattrs here; not checked)\n");
	else
		CHECK(0);
	CHECK(chmod(path("f"), 02751) == 0);
	set_times(path("f"));

	CHECK(capture(path("f"), &a) == 0);
	CHECK(a.type == NODE_FILE && a.mode == 02751 && a.size == 5);
	CHECK(a.mtime_sec == 1500000002 && a.mtime_nsec == 987654321);
	CHECK(a.atime_sec == 1000000001 && a.atime_nsec == 123456789);
	CHECK(a.nlink == 1 && a.inode != 0);
	if (have_xattrs) {
		/* Sorted: user.empty < user.test (others may be present). */
		CHECK(a.nxattrs >= 2);
		CHECK(strcmp(a.xattrs[0].name, a.xattrs[1].name) < 0);
	}

	/* Restore onto a new file, owner too (we may be root). */
	CHECK((fd = open(path("f2"), O_CREAT | O_EXCL | O_WRONLY, 0600)) >= 0);
	CHECK(write(fd, "hello", 5) == 5);
	close(fd);
	CHECK(fsnode_apply(path("f2"), &a, geteuid() == 0) == 0);
	CHECK(capture(path("f2"), &b) == 0);
	compare(&a, &b);
	node_release(&a);
	node_release(&b);
}

/*
 * An access ACL (a system.posix_acl_access xattr) with a named user, and a
 * trusted.* xattr when we are root: both kept, and the mode with them.
 */
static void
test_acl_trusted(void)
{
	/* Version 2; entries (tag u16, perm u16, id u32), little-endian. */
	static const char acl[] =
	    "\x02\0\0\0"
	    "\x01\0\x06\0\xff\xff\xff\xff"	/* USER_OBJ rw- */
	    "\x02\0\x04\0\xe8\x03\0\0"		/* USER 1000 r-- */
	    "\x04\0\x04\0\xff\xff\xff\xff"	/* GROUP_OBJ r-- */
	    "\x10\0\x06\0\xff\xff\xff\xff"	/* MASK rw- */
	    "\x20\0\x00\0\xff\xff\xff\xff";	/* OTHER --- */
	struct node a, b;
	int fd;

	CHECK((fd = open(path("a"), O_CREAT | O_EXCL | O_WRONLY, 0600)) >= 0);
	close(fd);
	if (lsetxattr(path("a"), "system.posix_acl_access", acl,
	    sizeof(acl) - 1, 0)) {
		fprintf(stderr, "  (no ACLs here: %s; not checked)\n",
		    strerror(errno));
		return;
	}
	if (geteuid() == 0)
		CHECK(lsetxattr(path("a"), "trusted.coffer", "t", 1, 0) == 0);
	set_times(path("a"));
	CHECK(capture(path("a"), &a) == 0);
	CHECK(a.mode == 0660);		/* group bits are the mask */
	CHECK(a.nxattrs == (geteuid() == 0 ? 2u : 1u));

	CHECK((fd = open(path("a2"), O_CREAT | O_EXCL | O_WRONLY, 0)) >= 0);
	close(fd);
	CHECK(fsnode_apply(path("a2"), &a, 0) == 0);
	CHECK(capture(path("a2"), &b) == 0);
	compare(&a, &b);
	node_release(&a);
	node_release(&b);
}

/* A symlink, whose own times (not the target's) are kept. */
static void
test_symlink(void)
{
	struct node a, b;
	struct stat st;

	static const char target[] = "no/such/\xff target";

	CHECK(symlink(target, path("l")) == 0);
	set_times(path("l"));
	CHECK(capture(path("l"), &a) == 0);
	CHECK(a.type == NODE_SYMLINK && a.target_len == strlen(target) &&
	    memcmp(a.target, target, strlen(target)) == 0);
	CHECK(a.size == 0);

	CHECK(fsnode_make_special(path("l2"), &a) == 0);
	CHECK(fsnode_apply(path("l2"), &a, 0) == 0);
	CHECK(lstat(path("l2"), &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(capture(path("l2"), &b) == 0);
	compare(&a, &b);

	/* It exists now: creating it again fails. */
	warnp_quiet(1);
	CHECK(fsnode_make_special(path("l2"), &a) == -1);
	warnp_quiet(0);
	node_release(&a);
	node_release(&b);
}

/* A fifo and a socket node, created by fsnode_make_special. */
static void
test_fifo_sock(void)
{
	struct node a, b;

	CHECK(mkfifo(path("p"), 0600) == 0);
	CHECK(chmod(path("p"), 0642) == 0);
	set_times(path("p"));
	CHECK(capture(path("p"), &a) == 0);
	CHECK(a.type == NODE_FIFO && a.mode == 0642);
	CHECK(fsnode_make_special(path("p2"), &a) == 0);
	CHECK(fsnode_apply(path("p2"), &a, 0) == 0);
	CHECK(capture(path("p2"), &b) == 0);
	compare(&a, &b);
	node_release(&a);
	node_release(&b);

	/* A socket node made from scratch. */
	memset(&a, 0, sizeof(a));
	a.type = NODE_SOCK;
	a.mode = 0751;
	a.mtime_sec = 7;
	a.mtime_nsec = 8;
	CHECK(fsnode_make_special(path("s"), &a) == 0);
	CHECK(fsnode_apply(path("s"), &a, 0) == 0);
	CHECK(capture(path("s"), &b) == 0);
	CHECK(b.type == NODE_SOCK && b.mode == 0751 && b.mtime_sec == 7 &&
	    b.mtime_nsec == 8);
	node_release(&b);
}

/* A character device, where we are allowed to make one. */
static void
test_device(void)
{
	struct node a, b;

	memset(&a, 0, sizeof(a));
	a.type = NODE_CHR;
	a.mode = 0640;
	a.rdev = makedev(1, 3);
	warnp_quiet(1);
	if (fsnode_make_special(path("c"), &a) != 0) {
		warnp_quiet(0);
		fprintf(stderr, "  (cannot mknod here; not checked)\n");
		return;
	}
	warnp_quiet(0);
	CHECK(fsnode_apply(path("c"), &a, 0) == 0);
	CHECK(capture(path("c"), &b) == 0);
	CHECK(b.type == NODE_CHR && b.rdev == makedev(1, 3) &&
	    b.mode == 0640);
	node_release(&b);
}

/* Directories; and errors name the path. */
static void
test_dir_errors(void)
{
	struct node a;
	struct stat st;

	CHECK(mkdir(path("d"), 0700) == 0);
	CHECK(capture(path("d"), &a) == 0);
	CHECK(a.type == NODE_DIR && a.mode == 0700 && a.size == 0);
	a.mode = 0755;
	CHECK(fsnode_apply(path("d"), &a, 0) == 0);
	CHECK(stat(path("d"), &st) == 0 && (st.st_mode & 07777) == 0755);

	/* A directory is not special; a missing path cannot be applied to. */
	warnp_quiet(1);
	CHECK(fsnode_make_special(path("d2"), &a) == -1);
	CHECK(fsnode_apply(path("missing"), &a, 0) == -1);
	warnp_quiet(0);
	node_release(&a);
}

/* A symlink swapped in for a restored file does not redirect chmod. */
static void
test_swapped_symlink(void)
{
	struct node a;
	struct stat st;
	int fd;

	CHECK((fd = open(path("v"), O_CREAT | O_EXCL | O_WRONLY, 0600)) >= 0);
	close(fd);
	CHECK(symlink("v", path("sw")) == 0);
	memset(&a, 0, sizeof(a));
	a.type = NODE_FILE;
	a.mode = 0777;
	warnp_quiet(1);
	CHECK(fsnode_apply(path("sw"), &a, 0) == -1);
	warnp_quiet(0);
	CHECK(stat(path("v"), &st) == 0 && (st.st_mode & 07777) == 0600);
}

/* The target of a /proc symlink, whose st_size is 0. */
static void
test_proc_link(void)
{
	struct node a;
	char want[64];
	struct stat st;

	if (lstat("/proc/self/exe", &st) || st.st_size != 0) {
		fprintf(stderr, "  (no /proc; not checked)\n");
		return;
	}
	CHECK(capture("/proc/self/exe", &a) == 0);
	CHECK(a.type == NODE_SYMLINK && a.target_len > 0 &&
	    a.target[0] == '/');
	node_release(&a);

	/* /proc/self -> "<pid>" */
	snprintf(want, sizeof(want), "%ld", (long)getpid());
	CHECK(capture("/proc/self", &a) == 0);
	CHECK(a.target_len == strlen(want) &&
	    memcmp(a.target, want, a.target_len) == 0);
	node_release(&a);
}

static void
cleanup(void)
{
	static const char *const names[] = {
		"f", "f2", "a", "a2", "l", "l2", "p", "p2", "s", "c", "v", "sw", NULL
	};
	size_t i;

	for (i = 0; names[i] != NULL; i++)
		unlink(path(names[i]));
	rmdir(path("d"));
	CHECK(rmdir(dir) == 0);
}

int
main(int argc, char *argv[])
{

	(void)argc;
	warnp_setprogname(argv[0]);
	snprintf(dir, sizeof(dir), "/tmp/coffer-test-fsnode.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return (1);
	}
	RUN(test_file);
	RUN(test_acl_trusted);
	RUN(test_symlink);
	RUN(test_fifo_sock);
	RUN(test_device);
	RUN(test_dir_errors);
	RUN(test_swapped_symlink);
	RUN(test_proc_link);
	RUN(cleanup);
	return (TEST_EXIT());
}
