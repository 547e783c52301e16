/*
 * coffer stats [--mode MODE] [SNAPSHOT...]: sizes of snapshots, in
 * restic's four modes:
 *
 *   restore-size       what a restore of each snapshot writes: every
 *                      entry counted, file sizes summed, hard links once
 *                      per snapshot
 *   files-by-contents  distinct file contents across the snapshots
 *   blobs-per-file     distinct file contents, and their blobs (each blob
 *                      once per content), raw sizes
 *   raw-data           the distinct blobs the snapshots reference: stored
 *                      and uncompressed size, compression, the packs they
 *                      are in; and the logical size of the snapshots
 *                      against the distinct data: the deduplication ratio
 *
 * The last three walk each distinct tree once (trees are content-
 * addressed: the same id is the same listing), so they cost what is
 * stored, not the sum of the snapshots.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "engine/blobread.h"
#include "engine/progress.h"
#include "snapshot/filter.h"
#include "snapshot/snapshot.h"
#include "util/idset.h"
#include "util/warnp.h"

#include "cli.h"

enum { M_RESTORE, M_CONTENTS, M_BLOBS, M_RAW };

static const char *mode_names[] = {
	"restore-size", "files-by-contents", "blobs-per-file", "raw-data"
};

/* Logical size below a tree, memoized by tree id (raw-data). */
struct logical {
	uint64_t files, bytes;
};

struct stats {
	struct session *ss;
	int mode;
	struct idset *links;	/* restore-size: (dev, ino) seen */
	struct idset *seen;	/* trees walked (map to struct logical) */
	struct idset *blobs;	/* distinct blobs */
	struct idset *contents;	/* distinct file contents */
	uint64_t files, size, nblobs;
	/* raw-data */
	uint64_t stored, raw, data_blobs, tree_blobs, data_raw;
	uint64_t packs_used, repo_packs, repo_bytes;
	struct logical logical;
	int err;
};

/* A node's content as one id: the SHA-256 of its blob ids. */
static void
content_key(const struct node *nd, uint8_t key[32])
{

	crypto_sha256((const uint8_t *)nd->content,
	    nd->ncontent * BLOB_ID_LEN, key);
}

static int
restore_walk(struct stats *st, const uint8_t id[32])
{
	struct tree t;
	uint8_t key[32], li[16];
	size_t i;
	int rc = 0, r;

	if (tree_load(st->ss->r, st->ss->ix, id, &t) != 0)
		return (-1);
	for (i = 0; i < t.n && rc == 0; i++) {
		const struct node *nd = &t.nodes[i];

		st->files++;
		if (nd->type != NODE_DIR && nd->nlink > 1) {
			/* A hard link restores once. */
			le64enc(li, nd->dev);
			le64enc(li + 8, nd->inode);
			crypto_sha256(li, sizeof(li), key);
			if ((r = idset_add(st->links, key)) < 0)
				rc = -1;
			else if (r == 1)
				st->size += nd->size;
		} else
			st->size += nd->size;
		if (nd->type == NODE_DIR)
			rc = restore_walk(st, nd->subtree);
	}
	tree_release(&t);
	return (rc);
}

/* A file for files-by-contents and blobs-per-file. */
static int
unique_file(struct stats *st, const struct node *nd)
{
	struct idset *mine;
	struct idx_entry e;
	uint8_t key[32];
	size_t i;
	int r;

	content_key(nd, key);
	if ((r = idset_add(st->contents, key)) <= 0)
		return (r);
	st->files++;
	if (st->mode == M_CONTENTS) {
		st->size += nd->size;
		return (0);
	}
	/* blobs-per-file: each blob once per distinct content. */
	if ((mine = idset_new()) == NULL)
		return (-1);
	for (i = 0; i < nd->ncontent; i++) {
		if ((r = idset_add(mine, nd->content[i])) < 0)
			break;
		if (r == 0)
			continue;
		st->nblobs++;
		if (index_lookup(st->ss->ix, nd->content[i], &e, NULL))
			st->size += e.raw_len;
		else
			st->err = 1;
	}
	idset_free(mine);
	return (r < 0 ? -1 : 0);
}

/*
 * Walk each distinct tree once, recording blobs (raw-data) or distinct
 * files; lg gets the logical size below the tree.
 */
static int
unique_walk(struct stats *st, const uint8_t id[32], struct logical *lg)
{
	struct logical sub, *memo;
	struct tree t;
	size_t i, k;
	int rc = 0;

	if ((memo = idset_value(st->seen, id)) != NULL) {
		*lg = *memo;
		return (0);
	}
	memset(lg, 0, sizeof(*lg));
	if (tree_load(st->ss->r, st->ss->ix, id, &t) != 0)
		return (-1);
	if (st->mode == M_RAW && idset_add(st->blobs, id) < 0)
		rc = -1;
	for (i = 0; i < t.n && rc == 0; i++) {
		const struct node *nd = &t.nodes[i];

		if (nd->type == NODE_DIR) {
			if ((rc = unique_walk(st, nd->subtree, &sub)) == 0) {
				lg->files += sub.files + 1;
				lg->bytes += sub.bytes;
			}
			continue;
		}
		lg->files++;
		lg->bytes += nd->size;
		if (nd->type != NODE_FILE)
			continue;
		if (st->mode != M_RAW) {
			rc = unique_file(st, nd);
			continue;
		}
		for (k = 0; k < nd->ncontent && rc == 0; k++)
			if (idset_add(st->blobs, nd->content[k]) < 0)
				rc = -1;
	}
	tree_release(&t);
	if (rc == 0) {
		if (idset_add(st->seen, id) < 0)
			return (-1);
		*(struct logical *)idset_value(st->seen, id) = *lg;
	}
	return (rc);
}

/* raw-data: sizes of the distinct blobs, and the packs holding them. */
static int
blob_cb(void *cookie, const uint8_t *id)
{
	struct stats *st = cookie;
	struct idx_entry e;
	struct idx_pack pk;
	char hex[65];
	int r;

	if (!index_lookup(st->ss->ix, id, &e, &pk)) {
		hex_encode(id, 32, hex);
		warn0("blob %s: not in the index", hex);
		st->err = 1;
		return (0);
	}
	st->stored += e.stored_len;
	st->raw += e.raw_len;
	if (e.type == BLOB_TREE)
		st->tree_blobs++;
	else {
		st->data_blobs++;
		st->data_raw += e.raw_len;
	}
	if ((r = idset_add(st->contents, pk.id)) < 0)
		return (-1);
	st->packs_used += (uint64_t)r;
	return (0);
}

static int
pack_cb(void *cookie, const char *name, uint64_t size)
{
	struct stats *st = cookie;

	st->repo_packs++;
	st->repo_bytes += size;
	return (0);
}

static double
ratio(uint64_t a, uint64_t b)
{

	return (b > 0 ? (double)a / (double)b : 0.0);
}

static void
print_size(const char *label, uint64_t n)
{
	char s[32];

	progress_size(n, s, sizeof(s));
	printf("%24s:  %s\n", label, s);
}

static void
report(const struct stats *st, size_t nsnap)
{
	char sz[32];
	json_t *j;

	if (G.json) {
		j = json_pack("{s:I, s:I, s:I}", "snapshots_count",
		    (json_int_t)nsnap, "total_size", (json_int_t)(st->mode ==
		    M_RAW ? st->stored : st->size), "total_file_count",
		    (json_int_t)(st->mode == M_RAW ? st->logical.files :
		    st->files));
		if (j != NULL && st->mode == M_BLOBS)
			json_object_set_new(j, "total_blob_count",
			    json_integer((json_int_t)st->nblobs));
		if (j != NULL && st->mode == M_RAW &&
		    json_object_update_new(j, json_pack("{s:I, s:I, s:I, "
		    "s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:f}",
		    "total_blob_count", (json_int_t)(st->data_blobs +
		    st->tree_blobs), "data_blob_count",
		    (json_int_t)st->data_blobs, "tree_blob_count",
		    (json_int_t)st->tree_blobs, "total_uncompressed_size",
		    (json_int_t)st->raw, "data_uncompressed_size",
		    (json_int_t)st->data_raw, "compression_ratio",
		    ratio(st->raw, st->stored), "compression_space_saving",
		    st->raw ? (1.0 - ratio(st->stored, st->raw)) * 100 : 0.0,
		    "pack_count", (json_int_t)st->packs_used,
		    "repository_pack_count", (json_int_t)st->repo_packs,
		    "repository_size", (json_int_t)st->repo_bytes,
		    "logical_size", (json_int_t)st->logical.bytes,
		    "logical_file_count", (json_int_t)st->logical.files,
		    "dedup_ratio", ratio(st->logical.bytes, st->data_raw))))
			j = NULL;
		cli_json_print(j);
		return;
	}
	printf("Stats in %s mode:\n", mode_names[st->mode]);
	printf("%24s:  %zu\n", "Snapshots processed", nsnap);
	if (st->mode != M_RAW) {
		printf("%24s:  %llu\n", "Total File Count",
		    (unsigned long long)st->files);
		if (st->mode == M_BLOBS)
			printf("%24s:  %llu\n", "Total Blob Count",
			    (unsigned long long)st->nblobs);
		print_size("Total Size", st->size);
		return;
	}
	printf("%24s:  %llu (%llu data, %llu tree)\n", "Total Blob Count",
	    (unsigned long long)(st->data_blobs + st->tree_blobs),
	    (unsigned long long)st->data_blobs,
	    (unsigned long long)st->tree_blobs);
	print_size("Total Uncompressed Size", st->raw);
	print_size("Total Size", st->stored);
	printf("%24s:  %.2fx\n", "Compression Ratio",
	    ratio(st->raw, st->stored));
	printf("%24s:  %.2f %%\n", "Compression Space Saving",
	    st->raw ? (1.0 - ratio(st->stored, st->raw)) * 100 : 0.0);
	printf("%24s:  %llu of %llu in the repository\n", "Packs",
	    (unsigned long long)st->packs_used,
	    (unsigned long long)st->repo_packs);
	print_size("Repository Size", st->repo_bytes);
	progress_size(st->logical.bytes, sz, sizeof(sz));
	printf("%24s:  %s in %llu entries\n", "Logical Size", sz,
	    (unsigned long long)st->logical.files);
	printf("%24s:  %.2fx\n", "Deduplication Ratio",
	    ratio(st->logical.bytes, st->data_raw));
}

static int
run(struct stats *st, const struct snapshot *v, size_t n)
{
	struct logical lg;
	size_t i;

	if ((st->seen = idset_new_map(sizeof(struct logical))) == NULL ||
	    (st->blobs = idset_new()) == NULL ||
	    (st->contents = idset_new()) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		if (st->mode == M_RESTORE) {
			idset_free(st->links);
			if ((st->links = idset_new()) == NULL ||
			    restore_walk(st, v[i].tree))
				return (-1);
			continue;
		}
		if (unique_walk(st, v[i].tree, &lg))
			return (-1);
		st->logical.files += lg.files;
		st->logical.bytes += lg.bytes;
	}
	if (st->mode != M_RAW)
		return (0);
	/* contents now collects the packs in use. */
	if (idset_foreach(st->blobs, blob_cb, st) ||
	    backend_list(st->ss->r->be, OBJ_DATA, pack_cb, st) < 0)
		return (-1);
	return (0);
}

static const struct option longopts[] = {
	{ "mode", required_argument, NULL, 'm' },
	{ "help", no_argument, NULL, 'h' },
	SEL_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

int
cmd_stats(int argc, char **argv)
{
	struct stats st;
	struct snapfilter f;
	struct session ss;
	struct snapshot *v = NULL;
	size_t n = 0, i;
	int c, r, rc = EXIT_ERR, open = 0;

	memset(&st, 0, sizeof(st));
	snapfilter_init(&f);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (snapsel_filter_opt(&f, c, optarg, &r)) {
			if (r)
				goto done;
			continue;
		}
		switch (c) {
		case 'm':
			for (i = 0; i < 4; i++)
				if (strcmp(optarg, mode_names[i]) == 0)
					break;
			if (i == 4) {
				usage_error("stats", "unknown mode \"%s\" (use "
				    "restore-size, files-by-contents, "
				    "blobs-per-file or raw-data)", optarg);
				goto done;
			}
			st.mode = (int)i;
			break;
		case 'h':
			printf("usage: coffer stats [--mode restore-size|"
			    "files-by-contents|blobs-per-file|raw-data]\n"
			    "                    [--host H] [--tag T] [--path "
			    "P] [SNAPSHOT...]\n");
			rc = EXIT_OK;
			goto done;
		default:
			usage_error("stats", "unknown option");
			goto done;
		}
	}
	if ((rc = session_open(&ss, SESSION_INDEX | SESSION_LOCK)) != EXIT_OK)
		goto done;
	open = 1;
	st.ss = &ss;
	if ((rc = snapsel_find(&ss, &f, argv + optind, argc - optind, &v,
	    &n)) != EXIT_OK)
		goto done;
	rc = EXIT_ERR;
	if (run(&st, v, n))
		goto done;
	report(&st, n);
	rc = st.err ? EXIT_ERR : EXIT_OK;
done:
	idset_free(st.links);
	idset_free(st.seen);
	idset_free(st.blobs);
	idset_free(st.contents);
	snapshot_list_free(v, n);
	if (open)
		session_close(&ss);
	snapfilter_release(&f);
	return (rc);
}
