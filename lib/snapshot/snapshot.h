#ifndef COFFER_SNAPSHOT_H
#define COFFER_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "repo/repo.h"

/*
 * Snapshots: sealed JSON objects in snapshots/ (docs/FORMAT.md,
 * "Snapshots"); a snapshot's id is its object name.
 */

struct snap_summary {
	uint64_t files_new, files_changed, files_unmodified;
	uint64_t dirs_new, dirs_changed, dirs_unmodified;
	uint64_t data_blobs, tree_blobs;
	uint64_t data_added, data_stored;
	uint64_t total_files, total_bytes;
	uint64_t bytes_read;		/* read from disk (changed files) */
	uint64_t errors;
	double seconds;
};

struct snapshot {
	uint8_t id[32];
	int64_t time_sec;
	uint32_t time_nsec;
	char *hostname;
	char *username;
	uint32_t uid, gid;
	char **paths;		/* absolute, NUL-terminated bytes */
	size_t npaths;
	char **tags;
	size_t ntags;
	uint8_t tree[32];
	int has_parent;
	uint8_t parent[32];
	int has_original;	/* a copy (coffer copy) or a rewrite */
	uint8_t original[32];	/* id of the snapshot it was made from */
	struct snap_summary sum;
};

/* snapshot_save(r, s): store s and set s->id.  0 or -1. */
int snapshot_save(struct repo *, struct snapshot *);

/* snapshot_load(r, name, s): 0, 1 if missing/damaged (reported), -1. */
int snapshot_load(struct repo *, const char *, struct snapshot *);

/*
 * snapshot_list(r, &v, &n): every readable snapshot, oldest first.
 * Damaged ones are reported and left out.  0 or -1.
 */
int snapshot_list(struct repo *, struct snapshot **, size_t *);

/*
 * snapshot_find(r, spec, s): "latest" or a unique prefix of an id.
 * Returns 0, 1 if none or several match (reported), -1 on error.
 */
int snapshot_find(struct repo *, const char *, struct snapshot *);

/* snapshot_time(s, buf, n): "YYYY-MM-DD HH:MM:SS" in local time. */
void snapshot_time(const struct snapshot *, char *, size_t);

/* snapshot_to_json(s): a json_t* (as void*) for --json output. */
void *snapshot_to_json(const struct snapshot *);

void snapshot_release(struct snapshot *);
void snapshot_list_free(struct snapshot *, size_t);

#endif
