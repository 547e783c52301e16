#ifndef COFFER_FILTER_H
#define COFFER_FILTER_H

#include <stddef.h>

#include "snapshot/snapshot.h"

/*
 * Snapshot filters, as restic's --host, --tag and --path: a snapshot
 * matches if its hostname is one of the hosts (when any are given), it has
 * every tag of at least one tag list (when any are given; a list is
 * "a,b"), and its paths include every given path (when any are given).
 */
struct snapfilter {
	char **hosts;
	size_t nhosts;
	char **tags;		/* comma-separated lists */
	size_t ntags;
	char **paths;		/* without a trailing '/' (but "/") */
	size_t npaths;
};

/* snapfilter_init(f): an empty filter, which matches everything. */
void snapfilter_init(struct snapfilter *);

/*
 * snapfilter_add_host(f, h), snapfilter_add_tags(f, list),
 * snapfilter_add_path(f, p): add a criterion (copied).  0 or -1.
 */
int snapfilter_add_host(struct snapfilter *, const char *);
int snapfilter_add_tags(struct snapfilter *, const char *);
int snapfilter_add_path(struct snapfilter *, const char *);

/* snapfilter_match(f, s): 1 if s matches f, else 0. */
int snapfilter_match(const struct snapfilter *, const struct snapshot *);

/*
 * snapfilter_has_tags(s, list): 1 if s has every tag of the comma-separated
 * list (empty items ignored; an empty list matches every snapshot).
 */
int snapfilter_has_tags(const struct snapshot *, const char *);

/* snapfilter_release(f): free what f holds; f is empty again. */
void snapfilter_release(struct snapfilter *);

#endif
