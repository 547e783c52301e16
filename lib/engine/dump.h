#ifndef COFFER_DUMP_H
#define COFFER_DUMP_H

#include <stdio.h>

#include "index/index.h"
#include "repo/repo.h"
#include "tree/tree.h"

/*
 * Writing what a snapshot holds to a stream: one file's bytes, or a
 * directory as a tar archive (POSIX.1-2001 pax: ustar headers, with
 * extended headers for long names and link targets, large sizes, ids and
 * times, sub-second times and extended attributes as SCHILY.xattr
 * records, which GNU tar and bsdtar read).  Every blob is verified before
 * its bytes are written (blob_read).
 */

/*
 * dump_file(r, ix, nd, out): write a regular file's content.  Returns 0;
 * 1 if a blob cannot be read or the content's length is not the node's
 * size (reported); -1 on error (reported; a write error included).
 */
int dump_file(struct repo *, struct index *, const struct node *, FILE *);

/*
 * dump_tar(r, ix, nd, tree, path, out): write a tar archive of the node
 * nd, named path (absolute within the snapshot; names in the archive
 * leave out the leading '/'), and, for a directory, of everything below
 * it.  nd may be NULL for a snapshot's root: then the entries of tree are
 * written without an entry for the root itself.  The archive ends with
 * its two zero blocks.  Returns 0, 1 if something in the snapshot cannot
 * be read (reported; the archive is then incomplete and must not be
 * used), -1 on error.  *nskipped counts sockets, which tar cannot hold.
 */
int dump_tar(struct repo *, struct index *, const struct node *,
    const uint8_t[32], const char *, FILE *, size_t *);

#endif
