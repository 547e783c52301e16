#ifndef COFFER_TREEPATH_H
#define COFFER_TREEPATH_H

#include <stdint.h>

#include "index/index.h"
#include "repo/repo.h"
#include "tree/tree.h"

/* Where a path leads in a snapshot's trees. */
struct treepath {
	struct tree t;		/* the tree holding nd (empty for the root) */
	const struct node *nd;	/* the node, in t; NULL for the root */
	int isdir;		/* the root, or a directory node */
	uint8_t dir[32];	/* if isdir: its tree id */
};

/*
 * treepath_find(r, ix, root, path, tp): follow path ("/a/b"; empty
 * components ignored, so "" and "/" are the root) from the tree root,
 * through directories.  Returns 0 (tp filled; release it with
 * treepath_release), 1 if the path does not exist or goes through a
 * non-directory (reported, naming it), or if a tree cannot be read
 * (reported); -1 on error.
 */
int treepath_find(struct repo *, struct index *, const uint8_t[32],
    const char *, struct treepath *);

/* treepath_release(tp): free what tp holds. */
void treepath_release(struct treepath *);

#endif
