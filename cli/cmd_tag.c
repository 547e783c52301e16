/*
 * coffer tag: change the tags of snapshots, as restic's tag.  Snapshots
 * are immutable objects named by their hash, so a changed snapshot is
 * saved as a new object that records the first id it had in "original"
 * (docs/FORMAT.md, "Snapshots"), and only then is the old one removed: a
 * crash in between leaves both, never neither.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "snapshot/filter.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"
#include "strv.h"

enum { O_ADD = 0x200, O_REMOVE, O_SET, O_HELP };

static const struct option longopts[] = {
	{ "add", required_argument, NULL, O_ADD },
	{ "remove", required_argument, NULL, O_REMOVE },
	{ "set", required_argument, NULL, O_SET },
	{ "help", no_argument, NULL, O_HELP },
	SEL_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf("usage: coffer tag [--add TAG] [--remove TAG] [--set TAG] "
	    "[--host H] [--tag T]\n                  [--path P] "
	    "[SNAPSHOT...]\n\n"
	    "Each option may be repeated, and TAG may be a comma-separated "
	    "list.  --set\nreplaces all tags (--set '' removes them all).  "
	    "Without SNAPSHOT, every\nsnapshot matching the filters is "
	    "changed.\n");
}

/* Add the comma-separated tags of list to s (each once).  0 or -1. */
static int
add_list(struct strv *s, const char *list)
{
	const char *p = list, *e;
	json_t *j;
	char *t;

	while (*p != '\0') {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if (e > p) {
			/* Tags are JSON strings: UTF-8 only. */
			if ((j = json_stringn(p, (size_t)(e - p))) == NULL) {
				usage_error("tag", "tags must be valid UTF-8");
				return (-1);
			}
			json_decref(j);
			if ((t = strndup(p, (size_t)(e - p))) == NULL)
				return (-1);
			if (!strv_has(s, t) &&
			    strv_addn(s, p, (size_t)(e - p))) {
				free(t);
				return (-1);
			}
			free(t);
		}
		p = (*e == ',') ? e + 1 : e;
	}
	return (0);
}

struct tagop {
	struct strv add, rm, set;
	int have_set;
};

/*
 * The new tags of s into out.  Returns 1 if they differ from the old
 * ones (as a list: order counts, as restic compares), 0 if not, -1.
 */
static int
new_tags(const struct tagop *op, const struct snapshot *s, struct strv *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	if (op->have_set) {
		for (i = 0; i < op->set.n; i++)
			if (strv_add(out, op->set.v[i]))
				return (-1);
	} else {
		for (i = 0; i < s->ntags; i++)
			if (!strv_has(&op->rm, s->tags[i]) &&
			    strv_add(out, s->tags[i]))
				return (-1);
		for (i = 0; i < op->add.n; i++)
			if (!strv_has(out, op->add.v[i]) &&
			    strv_add(out, op->add.v[i]))
				return (-1);
	}
	if (out->n != s->ntags)
		return (1);
	for (i = 0; i < out->n; i++)
		if (strcmp(out->v[i], s->tags[i]) != 0)
			return (1);
	return (0);
}

/* Rewrite one snapshot with new tags.  1 if changed, 0 if not, -1. */
static int
retag(struct session *ss, const struct tagop *op, struct snapshot *s)
{
	struct strv nt;
	char oldhex[65], newhex[65];
	uint8_t oldid[32];
	json_t *j;
	size_t i;
	int r;

	if ((r = new_tags(op, s, &nt)) <= 0) {
		strv_free(&nt);
		return (r);
	}
	memcpy(oldid, s->id, 32);
	hex_encode(oldid, 32, oldhex);
	for (i = 0; i < s->ntags; i++)
		free(s->tags[i]);
	free(s->tags);
	s->tags = nt.v;
	s->ntags = nt.n;
	if (!s->has_original) {
		s->has_original = 1;
		memcpy(s->original, oldid, 32);
	}
	if (snapshot_save(ss->r, s)) {
		warn0("snapshot %s: tags not changed", oldhex);
		return (-1);
	}
	hex_encode(s->id, 32, newhex);
	if (memcmp(oldid, s->id, 32) != 0 &&
	    backend_remove(ss->r->be, OBJ_SNAPSHOT, oldhex) < 0) {
		warn0("snapshot %s: saved as %s, but the old one could not be "
		    "removed", oldhex, newhex);
		return (-1);
	}
	if (G.json) {
		j = json_pack("{s:s, s:s, s:s}", "message_type", "changed",
		    "old_snapshot_id", oldhex, "new_snapshot_id", newhex);
		cli_json_print(j);
	} else if (!G.quiet)
		printf("snapshot %.8s -> %.8s\n", oldhex, newhex);
	return (1);
}

int
cmd_tag(int argc, char **argv)
{
	struct tagop op;
	struct snapfilter f;
	struct session ss;
	struct snapshot *v = NULL;
	size_t n = 0, i, changed = 0;
	int c, r, rc = EXIT_ERR, open = 0;

	memset(&op, 0, sizeof(op));
	snapfilter_init(&f);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (snapsel_filter_opt(&f, c, optarg, &r)) {
			if (r)
				goto done;
			continue;
		}
		switch (c) {
		case O_ADD:
			if (add_list(&op.add, optarg))
				goto done;
			break;
		case O_REMOVE:
			if (add_list(&op.rm, optarg))
				goto done;
			break;
		case O_SET:
			op.have_set = 1;
			if (add_list(&op.set, optarg))
				goto done;
			break;
		case O_HELP:
			help();
			rc = EXIT_OK;
			goto done;
		default:
			help();
			goto done;
		}
	}
	if (op.have_set && (op.add.n > 0 || op.rm.n > 0)) {
		usage_error("tag", "--set cannot be combined with --add or "
		    "--remove");
		goto done;
	}
	if (!op.have_set && op.add.n == 0 && op.rm.n == 0) {
		usage_error("tag", "nothing to do: give --add, --remove or "
		    "--set");
		goto done;
	}
	if ((rc = session_open(&ss, SESSION_XLOCK)) != EXIT_OK)
		goto done;
	open = 1;
	if ((rc = snapsel_find(&ss, &f, argv + optind, argc - optind, &v,
	    &n)) != EXIT_OK)
		goto done;
	for (i = 0; i < n; i++) {
		if ((r = retag(&ss, &op, &v[i])) < 0) {
			rc = EXIT_ERR;
			break;
		}
		changed += (size_t)r;
	}
	if (G.json)
		cli_json_print(json_pack("{s:s, s:I}", "message_type",
		    "summary", "changed_snapshots", (json_int_t)changed));
	else if (!G.quiet)
		printf(changed ? "modified tags on %zu snapshots\n" :
		    "no snapshots were modified\n", changed);
done:
	snapshot_list_free(v, n);
	if (open)
		session_close(&ss);
	strv_free(&op.add);
	strv_free(&op.rm);
	strv_free(&op.set);
	snapfilter_release(&f);
	return (rc);
}
