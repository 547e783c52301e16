#ifndef COFFER_BACKUP_H
#define COFFER_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "repo/repo.h"
#include "snapshot/snapshot.h"

struct backup_opts {
	char **paths;		/* as given; made absolute */
	size_t npaths;
	char **excludes;	/* fnmatch patterns */
	size_t nexcludes;
	int one_fs;		/* do not cross file system boundaries */
	const char *host;	/* NULL: gethostname() */
	char **tags;
	size_t ntags;
	int nworkers;		/* 0: one per core */
	int progress;		/* print a progress line to stderr */
	const struct snapshot *parent;	/* NULL: none */
	int has_time;		/* use time_sec as the snapshot's time */
	int64_t time_sec;	/* (restic's --time) instead of now */
};

/*
 * backup_run(r, ix, o, s): back up o->paths into a new snapshot, saved in
 * the repository and returned in s (with its summary).  Files unchanged
 * since o->parent (same size, mtime, ctime, inode) are not read again.
 * Returns 0; 3 if some files could not be read (each reported; the
 * snapshot is saved without them); -1 on error (no snapshot saved; what
 * was stored stays indexed for the next run).
 */
int backup_run(struct repo *, struct index *, const struct backup_opts *,
    struct snapshot *);

/*
 * backup_abspaths(paths, n, &out, &nout): absolute, lexically normalized,
 * sorted, without duplicates or paths inside other paths.  0 or -1.
 */
int backup_abspaths(char **, size_t, char ***, size_t *);

/*
 * backup_excluded(pats, n, path, name): 1 if an exclude pattern matches:
 * patterns with a '/' match the whole path (FNM_PATHNAME), others the
 * name alone.
 */
int backup_excluded(char **, size_t, const char *, const char *);

#endif
