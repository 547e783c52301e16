/*
 * coffer copy --from-repo OTHER [--from-password-file F |
 *     --from-password-command C] [--host H] [--tag T] [--path P]
 *     [SNAPSHOT...]
 *
 * Copies snapshots of OTHER into the repository, uploading only what it
 * lacks; snapshots already copied (same time, host, user, paths and tags)
 * are skipped.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/copy.h"
#include "engine/progress.h"
#include "snapshot/filter.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

static const struct option longopts[] = {
	{ "from-repo", required_argument, NULL, 'r' },
	{ "from-password-file", required_argument, NULL, 'f' },
	{ "from-password-command", required_argument, NULL, 'c' },
	SEL_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{

	printf("usage: coffer copy --from-repo OTHER [--from-password-file F |"
	    " --from-password-command C]\n"
	    "                   [--host H] [--tag T] [--path P] "
	    "[SNAPSHOT...]\n\n"
	    "Copy snapshots (all, or those named or matching the filters) "
	    "from the\nrepository OTHER (or COFFER_FROM_REPOSITORY) into this "
	    "one, uploading only the\ndata it lacks.  The passcode of OTHER "
	    "comes from --from-password-file,\n--from-password-command, "
	    "COFFER_FROM_PASSWORD or a prompt.  Snapshots copied\nbefore "
	    "(same time, host, user, paths and tags) are skipped.\n");
}

/* The target's snapshot that s was copied to already, or NULL. */
static const struct snapshot *
copied_before(const struct snapshot *tv, size_t tn, const struct snapshot *s)
{
	size_t i;

	for (i = 0; i < tn; i++)
		if (copy_same(&tv[i], s))
			return (&tv[i]);
	return (NULL);
}

static void
summary(const struct copy_stats *st, size_t ncopied, size_t nskipped,
    json_t *list)
{
	char a[32], b[32];
	json_t *j;

	if (G.json) {
		j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		    "s:o}", "snapshots_copied", (json_int_t)ncopied,
		    "snapshots_skipped", (json_int_t)nskipped,
		    "blobs_read", (json_int_t)st->blobs_read,
		    "data_blobs", (json_int_t)st->data_blobs,
		    "tree_blobs", (json_int_t)st->tree_blobs,
		    "data_added", (json_int_t)st->data_added,
		    "data_stored", (json_int_t)st->data_stored,
		    "packs", (json_int_t)st->packs,
		    "trees", (json_int_t)st->trees, "snapshots", list);
		if (j != NULL)
			cli_json_print(j);
		return;
	}
	json_decref(list);
	if (G.quiet)
		return;
	progress_size(st->data_added, a, sizeof(a));
	progress_size(st->data_stored, b, sizeof(b));
	printf("%zu snapshots copied, %zu already there; uploaded %llu new "
	    "data blobs (%s, %s stored)\nand %llu new trees in %llu packs\n",
	    ncopied, nskipped, (unsigned long long)st->data_blobs, a, b,
	    (unsigned long long)st->tree_blobs,
	    (unsigned long long)st->packs);
}

/* Copy each of v (source) not yet in the target.  An exit code. */
static int
copy_all(struct session *src, struct session *dst, struct snapshot *v,
    size_t n)
{
	struct snapshot *tv = NULL, out;
	const struct snapshot *old;
	struct copier *c = NULL;
	struct copy_stats st;
	char sh[65], th[65];
	size_t tn = 0, i, ncopied = 0, nskipped = 0;
	json_t *list = json_array();
	int rc = EXIT_ERR, r;

	memset(&st, 0, sizeof(st));
	if (list == NULL || snapshot_list(dst->r, &tv, &tn) ||
	    (c = copier_new(src->r, src->ix, dst->r, dst->ix, 0)) == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		hex_encode(v[i].id, 32, sh);
		if ((old = copied_before(tv, tn, &v[i])) != NULL) {
			hex_encode(old->id, 32, th);
			if (!G.json && !G.quiet)
				printf("snapshot %.8s is in the target already, "
				    "as %.8s\n", sh, th);
			json_array_append_new(list, json_pack("{s:s, s:s, "
			    "s:b}", "source", sh, "target", th, "copied", 0));
			nskipped++;
			continue;
		}
		if ((r = copier_snapshot(c, &v[i], &out)) != 0) {
			warn0("snapshot %.8s could not be copied%s", sh,
			    r == 1 ? ": the source is damaged (run `coffer "
			    "check` on it)" : "");
			goto done;
		}
		hex_encode(out.id, 32, th);
		if (!G.json && !G.quiet)
			printf("snapshot %.8s copied to %.8s\n", sh, th);
		json_array_append_new(list, json_pack("{s:s, s:s, s:b}",
		    "source", sh, "target", th, "copied", 1));
		snapshot_release(&out);
		ncopied++;
	}
	rc = EXIT_OK;
done:
	if (c != NULL)
		copier_stats(c, &st);
	if (rc == EXIT_OK)
		summary(&st, ncopied, nskipped, list);
	else
		json_decref(list);
	copier_free(c);
	snapshot_list_free(tv, tn);
	return (rc);
}

int
cmd_copy(int argc, char **argv)
{
	struct pwsrc from = { NULL, NULL, "COFFER_FROM_PASSWORD",
	    "enter the passcode of the source repository: " };
	struct snapfilter f;
	struct session src, dst;
	struct snapshot *v = NULL;
	const char *repo = getenv("COFFER_FROM_REPOSITORY");
	size_t n = 0;
	int c, r, rc = EXIT_ERR;

	snapfilter_init(&f);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (snapsel_filter_opt(&f, c, optarg, &r)) {
			if (r != 0)
				goto out;
			continue;
		}
		switch (c) {
		case 'r':
			repo = optarg;
			break;
		case 'f':
			from.file = optarg;
			break;
		case 'c':
			from.cmd = optarg;
			break;
		case 'h':
			help();
			rc = EXIT_OK;
			goto out;
		default:
			help();
			goto out;
		}
	}
	if (repo == NULL || repo[0] == '\0') {
		usage_error("copy", "no source repository: use --from-repo or "
		    "set COFFER_FROM_REPOSITORY");
		goto out;
	}
	if (from.file != NULL && from.cmd != NULL) {
		usage_error("copy", "give --from-password-file or "
		    "--from-password-command, not both");
		goto out;
	}
	if ((rc = session_open_at(&src, SESSION_INDEX | SESSION_LOCK, repo,
	    &from)) != EXIT_OK) {
		warn0("cannot open the source repository %s", repo);
		goto out;
	}
	if ((rc = session_open(&dst, SESSION_INDEX | SESSION_LOCK)) !=
	    EXIT_OK) {
		session_close(&src);
		goto out;
	}
	if ((rc = snapsel_find(&src, &f, argv + optind, argc - optind, &v,
	    &n)) == EXIT_OK)
		rc = copy_all(&src, &dst, v, n);
	snapshot_list_free(v, n);
	session_close(&dst);
	session_close(&src);
out:
	snapfilter_release(&f);
	return (rc);
}
