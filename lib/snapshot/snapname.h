#ifndef COFFER_SNAPNAME_H
#define COFFER_SNAPNAME_H

#include <stddef.h>

#include "snapshot.h"

/*
 * Names for snapshots as directories (coffer mount), as restic's mount
 * gives them: the time, 2006-01-02T15:04:05+07:00 in local time ("Z" for
 * UTC), and the short id.
 */

#define SNAPNAME_MAX	64	/* bytes, with the NUL */
#define SNAPNAME_SHORT	8	/* hex digits of a short id */

/*
 * snapname_time(s, buf, len): the time of s as above, or "@SECONDS" for a
 * time no calendar date can show.  len >= 40.
 */
void snapname_time(const struct snapshot *, char *, size_t);

/*
 * snapname_assign(v, n, names, shortids): names for the snapshots v[0..n)
 * (sorted oldest first): names[i] is snapname_time(v[i]), with "-K"
 * appended for the K-th later snapshot whose time gives the same name;
 * shortids[i] is the first SNAPNAME_SHORT hex digits of the id, or all 64
 * if another snapshot's id begins with the same ones.  names[i] points to
 * SNAPNAME_MAX bytes, shortids[i] to 65.  0, or -1 on ENOMEM (reported).
 */
int snapname_assign(const struct snapshot *const *, size_t, char *const *,
    char *const *);

/*
 * snapname_fs(s): a host or tag as a file name: '/' becomes '_', "." and
 * ".." get a leading '_', cut at 255 bytes; s is not empty.  malloc'd;
 * NULL on ENOMEM (reported).
 */
char *snapname_fs(const char *);

#endif
