#ifndef COFFER_CHECK_H
#define COFFER_CHECK_H

#include <stdint.h>

#include "repo/repo.h"

struct check_opts {
	int read_data;		/* decrypt and verify every blob */
	int nworkers;		/* 0: one per core */
	int quiet;
};

/*
 * check_run(r, o, &nerr): verify the repository: the SHA-256 of every
 * object against its name; every index file and snapshot decrypts and
 * parses; every pack the index names exists and is long enough; every
 * tree reachable from a snapshot loads and every blob it names is indexed;
 * with read_data, every blob in every pack authenticates, decompresses to
 * its keyed id, and matches the index.  Each problem is reported on its
 * own line naming the object and what is wrong; *nerr counts them.
 * Returns 0, or -1 if the check itself could not run.
 */
int check_run(struct repo *, const struct check_opts *, uint64_t *);

#endif
