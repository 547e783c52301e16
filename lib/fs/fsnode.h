#ifndef COFFER_FSNODE_H
#define COFFER_FSNODE_H

#include <sys/stat.h>

#include "tree/tree.h"

/*
 * Moving metadata between the file system and tree nodes.
 */

/*
 * fsnode_capture(path, st, n): fill n (zeroed by the caller, name already
 * set) from st (an lstat of path): type, mode, owner, times, size, inode,
 * device, link count, rdev, symlink target, extended attributes (all
 * namespaces the process can read, sorted by name).  Returns 0, or -1 on
 * error (reported with the path; n keeps what it has, to be released).
 */
int fsnode_capture(const char *, const struct stat *, struct node *);

/*
 * fsnode_capture_prev(path, st, n, prev): the same, but if prev (the node
 * of the same name in the previous snapshot, or NULL) has n's type, inode
 * and ctime, its symlink target and extended attributes are copied instead
 * of read: changing either changes the ctime.  Unchanged trees are backed
 * up again without a readlink or listxattr per entry.
 */
int fsnode_capture_prev(const char *, const struct stat *, struct node *,
    const struct node *);

/*
 * fsnode_make_special(path, n): create a symlink, fifo, socket node or
 * device node at path (which must not exist).  Returns 0 or -1 (reported).
 */
int fsnode_make_special(const char *, const struct node *);

/*
 * fsnode_apply(path, n, owner): set path's metadata from n, in the order
 * that keeps it: owner (if owner is nonzero; lchown), extended attributes,
 * mode (not for symlinks), then atime and mtime in nanoseconds (utimensat,
 * AT_SYMLINK_NOFOLLOW).  Returns 0, or -1 on error (reported with path).
 */
int fsnode_apply(const char *, const struct node *, int);

/*
 * fsnode_apply_fd(fd, path, n, owner): the same for a regular file open
 * (for writing) as fd, without any path lookup; path is for messages.
 */
int fsnode_apply_fd(int, const char *, const struct node *, int);

#endif
