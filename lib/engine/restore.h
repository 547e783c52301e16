#ifndef COFFER_RESTORE_H
#define COFFER_RESTORE_H

#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "repo/repo.h"

struct restore_opts {
	const char *target;
	char **includes;
	size_t nincludes;
	char **excludes;
	size_t nexcludes;
	int nworkers;		/* 0: one per core */
	int owner;		/* restore uid/gid (when root) */
};

struct restore_stats {
	uint64_t files, dirs, others, bytes, errors;
};

/*
 * restore_run(r, ix, tree, o, st): restore the tree with root id tree
 * below o->target.  File contents are verified blob by blob before they
 * are written; a file with any damaged or missing blob is reported
 * ("cannot restore PATH: ...") and removed, and the others are restored.
 * Returns 0, 1 if some files could not be restored, -1 on error.
 */
int restore_run(struct repo *, struct index *, const uint8_t[32],
    const struct restore_opts *, struct restore_stats *);

#endif
