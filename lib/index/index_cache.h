#ifndef COFFER_INDEX_CACHE_H
#define COFFER_INDEX_CACHE_H

#include "index.h"

/*
 * The local index cache: all index files merged, sorted by blob id, in a
 * file that is mapped read-only.  Lives in $COFFER_CACHE_DIR, else
 * $XDG_CACHE_HOME/coffer, else ~/.cache/coffer, under the repository id.
 * It is rebuilt whenever the set of index files differs from the one it
 * was built from.  If no cache directory is usable, the merged index is
 * kept in memory instead.
 */
struct index_cache {
	const struct idx_entry *e;	/* sorted, n entries */
	size_t n;
	void *map;			/* munmap(map, maplen) if non-NULL */
	size_t maplen;
	struct idx_entry *heap;		/* free() if non-NULL */
	struct idx_pack *packs;		/* malloc'd, npacks */
	size_t npacks;
};

/* index_cache_get(r, c, nocache): 0 or -1. */
int index_cache_get(struct repo *, struct index_cache *, int);

#endif
