/*
 * coffer forget: remove snapshots named on the command line, or those a
 * retention policy does not keep (lib/snapshot/policy.c), group by group,
 * as restic's forget.  Forgetting a snapshot deletes its object in
 * snapshots/ under an exclusive lock; the data it alone referenced stays
 * until prune.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "engine/prune.h"
#include "snapshot/filter.h"
#include "snapshot/policy.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

enum {
	O_LAST = 0x200, O_HOURLY, O_DAILY, O_WEEKLY, O_MONTHLY, O_YEARLY,
	O_WITHIN, O_WITHIN_HOURLY, O_WITHIN_DAILY, O_WITHIN_WEEKLY,
	O_WITHIN_MONTHLY, O_WITHIN_YEARLY, O_KEEPTAG, O_GROUPBY, O_DRYRUN,
	O_PRUNE, O_MAXUNUSED, O_MAXREPACK, O_HELP
};

static const struct option longopts[] = {
	{ "keep-last", required_argument, NULL, O_LAST },
	{ "keep-hourly", required_argument, NULL, O_HOURLY },
	{ "keep-daily", required_argument, NULL, O_DAILY },
	{ "keep-weekly", required_argument, NULL, O_WEEKLY },
	{ "keep-monthly", required_argument, NULL, O_MONTHLY },
	{ "keep-yearly", required_argument, NULL, O_YEARLY },
	{ "keep-within", required_argument, NULL, O_WITHIN },
	{ "keep-within-hourly", required_argument, NULL, O_WITHIN_HOURLY },
	{ "keep-within-daily", required_argument, NULL, O_WITHIN_DAILY },
	{ "keep-within-weekly", required_argument, NULL, O_WITHIN_WEEKLY },
	{ "keep-within-monthly", required_argument, NULL, O_WITHIN_MONTHLY },
	{ "keep-within-yearly", required_argument, NULL, O_WITHIN_YEARLY },
	{ "keep-tag", required_argument, NULL, O_KEEPTAG },
	{ "group-by", required_argument, NULL, O_GROUPBY },
	{ "dry-run", no_argument, NULL, O_DRYRUN },
	{ "prune", no_argument, NULL, O_PRUNE },
	{ "max-unused", required_argument, NULL, O_MAXUNUSED },
	{ "max-repack-size", required_argument, NULL, O_MAXREPACK },
	{ "help", no_argument, NULL, O_HELP },
	SEL_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf("usage: coffer forget [options] [SNAPSHOT...]\n\n"
	    "  -l, --keep-last N      keep the last N snapshots\n"
	    "  -H, --keep-hourly N    keep the last N hourly snapshots\n"
	    "  -d, --keep-daily N     keep the last N daily snapshots\n"
	    "  -w, --keep-weekly N    keep the last N weekly snapshots\n"
	    "  -m, --keep-monthly N   keep the last N monthly snapshots\n"
	    "  -y, --keep-yearly N    keep the last N yearly snapshots\n"
	    "                         (N may be \"unlimited\")\n"
	    "  --keep-within D        keep snapshots newer than D before "
	    "the newest (1y2m3d4h)\n"
	    "  --keep-within-{hourly,daily,weekly,monthly,yearly} D\n"
	    "  --keep-tag TAG[,TAG]   keep snapshots with these tags\n"
	    "  -g, --group-by host,paths,tags  (default host,paths)\n"
	    "  --host H, --tag T, --path P     only these snapshots\n"
	    "  -n, --dry-run          show what would be removed\n"
	    "  --prune                then prune, under the same lock, if "
	    "snapshots were\n"
	    "                         removed (with --max-unused, "
	    "--max-repack-size)\n");
}

struct forget {
	struct policy p;
	struct snapfilter f;
	unsigned groupby;
	int dry_run;
	int prune;
	struct prune_opts po;
	json_t *out;		/* --json: the array of groups */
};

static const char *count_key[POLICY_NCOUNT] = {
	"last", "hourly", "daily", "weekly", "monthly", "yearly"
};

static int
add_taglist(struct policy *p, const char *list)
{
	char **nv;

	if (p->ntags == POLICY_MAX_TAGLISTS) {
		warn0("forget: at most %d --keep-tag options",
		    POLICY_MAX_TAGLISTS);
		return (-1);
	}
	if ((nv = realloc(p->tags, (p->ntags + 1) * sizeof(*nv))) == NULL ||
	    (nv[p->ntags] = strdup(list)) == NULL) {
		if (nv != NULL)
			p->tags = nv;
		warnp("realloc");
		return (-1);
	}
	p->tags = nv;
	p->ntags++;
	return (0);
}

/* restic's short options, as their long equivalents. */
static int
short_opt(int c)
{
	static const struct {
		int s, l;
	} map[] = { { 'l', O_LAST }, { 'H', O_HOURLY }, { 'd', O_DAILY },
	    { 'w', O_WEEKLY }, { 'm', O_MONTHLY }, { 'y', O_YEARLY },
	    { 'g', O_GROUPBY }, { 'n', O_DRYRUN } };
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].s == c)
			return (map[i].l);
	return (c);
}

/* One option; 0, 1 if not a policy option, -1 on a bad value. */
static int
policy_opt(struct forget *fg, int c, const char *arg)
{
	static const char *wname[POLICY_NWITHIN] = { "--keep-within",
	    "--keep-within-hourly", "--keep-within-daily",
	    "--keep-within-weekly", "--keep-within-monthly",
	    "--keep-within-yearly" };
	int i;

	if (c >= O_LAST && c <= O_YEARLY) {
		i = c - O_LAST;
		if (policy_parse_count(arg, &fg->p.count[i])) {
			usage_error("forget", "bad --keep-%s value",
			    count_key[i]);
			return (-1);
		}
		return (0);
	}
	if (c >= O_WITHIN && c <= O_WITHIN_YEARLY) {
		i = c - O_WITHIN;
		if (policy_parse_duration(arg, &fg->p.within[i])) {
			usage_error("forget", "bad %s value", wname[i]);
			return (-1);
		}
		return (0);
	}
	if (c == O_KEEPTAG)
		return (add_taglist(&fg->p, arg) ? -1 : 0);
	return (1);
}

static size_t
strw(const char *s, size_t w)
{
	size_t n = strlen(s);

	return (n > w ? n : w);
}

static void
tags_str(const struct snapshot *s, char *buf, size_t n)
{
	size_t k;

	buf[0] = '\0';
	for (k = 0; k < s->ntags; k++) {
		if (k > 0)
			strncat(buf, ",", n - strlen(buf) - 1);
		strncat(buf, s->tags[k], n - strlen(buf) - 1);
	}
}

static void
dashes(size_t n)
{

	while (n-- > 0)
		putchar('-');
	putchar('\n');
}

/*
 * A table of the k snapshots v[idx[...]] as restic prints them, with a
 * column of reasons when why is not NULL.
 */
static void
table(const struct forget *fg, const struct snapshot *v, const size_t *idx,
    size_t k, const struct policy_why *why)
{
	char hex[65], t[32], tags[256], rs[512];
	size_t i, j, wh = 4, wt = 4, wr = 7, width;

	for (i = 0; i < k; i++) {
		wh = strw(v[idx[i]].hostname, wh);
		tags_str(&v[idx[i]], tags, sizeof(tags));
		wt = strw(tags, wt);
		if (why != NULL) {
			policy_reasons(&fg->p, &why[idx[i]], rs, sizeof(rs));
			wr = strw(rs, wr);
		}
	}
	width = 8 + 2 + 19 + 2 + wh + 2 + wt + 2 + (why ? wr + 2 : 0) + 5;
	printf("%-8s  %-19s  %-*s  %-*s  ", "ID", "Time", (int)wh, "Host",
	    (int)wt, "Tags");
	if (why != NULL)
		printf("%-*s  ", (int)wr, "Reasons");
	printf("Paths\n");
	dashes(width);
	for (i = 0; i < k; i++) {
		const struct snapshot *s = &v[idx[i]];

		hex_encode(s->id, 32, hex);
		snapshot_time(s, t, sizeof(t));
		tags_str(s, tags, sizeof(tags));
		printf("%.8s  %-19s  %-*s  %-*s  ", hex, t, (int)wh,
		    s->hostname, (int)wt, tags);
		if (why != NULL) {
			policy_reasons(&fg->p, &why[idx[i]], rs, sizeof(rs));
			printf("%-*s  ", (int)wr, rs);
		}
		printf("%s\n", s->npaths ? s->paths[0] : "");
		for (j = 1; j < s->npaths; j++)
			printf("%*s%s\n", (int)(width - 5), "", s->paths[j]);
	}
	dashes(width);
	printf("%zu snapshots\n\n", k);
}

static json_t *
strv_json(char **v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return (a);
}

/* --json: the reasons for one kept snapshot, as restic's KeepReason. */
static json_t *
reason_json(const struct forget *fg, const struct snapshot *s,
    const struct policy_why *w)
{
	json_t *j, *m, *c;
	char rs[512], *p, *e;
	int i;

	if ((j = json_object()) == NULL)
		return (NULL);
	json_object_set_new(j, "snapshot", cli_snapshot_json(s));
	m = json_array();
	policy_reasons(&fg->p, w, rs, sizeof(rs));
	for (p = rs; m != NULL && *p != '\0'; p = e) {
		if ((e = strstr(p, ", ")) == NULL)
			e = p + strlen(p);
		json_array_append_new(m, json_stringn(p, (size_t)(e - p)));
		if (*e != '\0')
			e += 2;
	}
	json_object_set_new(j, "matches", m);
	c = json_object();
	for (i = 0; c != NULL && i < POLICY_NCOUNT; i++)
		if (fg->p.count[i] != 0)
			json_object_set_new(c, count_key[i],
			    json_integer(w->left[i]));
	json_object_set_new(j, "counters", c);
	return (j);
}

/*
 * Decide for one group (the k snapshots v[idx[...]]) and report it; mark
 * what is to be removed in rm[].  0 or -1.
 */
static int
one_group(struct forget *fg, struct snapshot *v, const size_t *idx,
    size_t k, int64_t now, char *rm)
{
	struct snapshot *sub;
	struct policy_why *why;
	size_t *kv, *rv, nk = 0, nr = 0, i;
	const struct snapshot *s0 = &v[idx[0]];
	json_t *g, *ka, *ra, *rsn;
	int rc = -1;

	sub = calloc(k, sizeof(*sub));
	why = calloc(k, sizeof(*why));
	kv = calloc(k, sizeof(*kv));
	rv = calloc(k, sizeof(*rv));
	if (sub == NULL || why == NULL || kv == NULL || rv == NULL) {
		warnp("calloc");
		goto done;
	}
	/* A shallow copy: policy_apply only reads. */
	for (i = 0; i < k; i++)
		sub[i] = v[idx[i]];
	if (policy_apply(&fg->p, sub, k, now, why))
		goto done;
	for (i = 0; i < k; i++) {
		if (why[i].keep)
			kv[nk++] = i;
		else {
			rv[nr++] = i;
			rm[idx[i]] = 1;
		}
	}
	if (fg->out != NULL) {
		g = json_object();
		json_object_set_new(g, "host", (fg->groupby &
		    POLICY_GROUP_HOST) ? json_string(s0->hostname) :
		    json_null());
		json_object_set_new(g, "paths", (fg->groupby &
		    POLICY_GROUP_PATHS) ? strv_json(s0->paths, s0->npaths) :
		    json_null());
		json_object_set_new(g, "tags", (fg->groupby &
		    POLICY_GROUP_TAGS) ? strv_json(s0->tags, s0->ntags) :
		    json_null());
		ka = json_array();
		ra = json_array();
		rsn = json_array();
		for (i = 0; i < nk; i++) {
			json_array_append_new(ka,
			    cli_snapshot_json(&sub[kv[i]]));
			json_array_append_new(rsn, reason_json(fg, &sub[kv[i]],
			    &why[kv[i]]));
		}
		for (i = 0; i < nr; i++)
			json_array_append_new(ra,
			    cli_snapshot_json(&sub[rv[i]]));
		json_object_set_new(g, "keep", ka);
		json_object_set_new(g, "remove", ra);
		json_object_set_new(g, "reasons", rsn);
		json_array_append_new(fg->out, g);
	} else if (!G.quiet) {
		if (fg->groupby != 0) {
			printf("snapshots for (");
			if (fg->groupby & POLICY_GROUP_HOST)
				printf("host [%s]", s0->hostname);
			if (fg->groupby & POLICY_GROUP_PATHS) {
				printf("%spaths [", (fg->groupby &
				    POLICY_GROUP_HOST) ? ", " : "");
				for (i = 0; i < s0->npaths; i++)
					printf("%s%s", i ? ", " : "",
					    s0->paths[i]);
				printf("]");
			}
			if (fg->groupby & POLICY_GROUP_TAGS) {
				printf("%stags [", (fg->groupby &
				    ~POLICY_GROUP_TAGS) ? ", " : "");
				for (i = 0; i < s0->ntags; i++)
					printf("%s%s", i ? ", " : "",
					    s0->tags[i]);
				printf("]");
			}
			printf("):\n");
		}
		printf("keep %zu snapshots:\n", nk);
		table(fg, sub, kv, nk, why);
		if (nr > 0) {
			printf("remove %zu snapshots:\n", nr);
			table(fg, sub, rv, nr, NULL);
		}
	}
	rc = 0;
done:
	free(sub);
	free(why);
	free(kv);
	free(rv);
	return (rc);
}

/* Delete the snapshots marked in rm[].  0 or -1. */
static int
remove_marked(struct forget *fg, struct session *ss, struct snapshot *v,
    size_t n, const char *rm)
{
	char hex[65];
	size_t i, done = 0, want = 0;
	int rc = 0, r;

	for (i = 0; i < n; i++) {
		if (!rm[i])
			continue;
		want++;
		hex_encode(v[i].id, 32, hex);
		if (fg->dry_run) {
			if (!G.quiet && !G.json)
				printf("would remove snapshot %.8s\n", hex);
			continue;
		}
		if ((r = backend_remove(ss->r->be, OBJ_SNAPSHOT, hex)) < 0) {
			warn0("cannot remove snapshot %s", hex);
			rc = -1;
			continue;
		}
		if (r == 1)
			warn0("snapshot %s was already removed", hex);
		done++;
		if (!G.quiet && !G.json)
			printf("removed snapshot %.8s\n", hex);
	}
	if (!G.quiet && !G.json)
		printf(fg->dry_run ? "would remove %zu snapshots (dry run: "
		    "nothing removed)\n" : "removed %zu snapshots\n",
		    fg->dry_run ? want : done);
	return (rc);
}

static int
by_policy(struct forget *fg, struct snapshot *v, size_t n, char *rm)
{
	char desc[1024];
	size_t *g, *idx, ng, gi, i, k;
	int rc = -1;

	if (!G.quiet && !G.json) {
		policy_describe(&fg->p, desc, sizeof(desc));
		printf("Applying Policy: %s\n", desc);
	}
	g = calloc(n ? n : 1, sizeof(*g));
	idx = calloc(n ? n : 1, sizeof(*idx));
	if (g == NULL || idx == NULL) {
		warnp("calloc");
		goto done;
	}
	if (policy_group(v, n, fg->groupby, g, &ng))
		goto done;
	for (gi = 0; gi < ng; gi++) {
		for (i = 0, k = 0; i < n; i++)
			if (g[i] == gi)
				idx[k++] = i;
		if (one_group(fg, v, idx, k, (int64_t)time(NULL), rm))
			goto done;
	}
	rc = 0;
done:
	free(g);
	free(idx);
	return (rc);
}

int
cmd_forget(int argc, char **argv)
{
	struct forget fg;
	struct session ss;
	struct snapshot *v = NULL;
	size_t n = 0, i;
	char *rm = NULL;
	int c, r, rc = EXIT_ERR, open = 0;

	memset(&fg, 0, sizeof(fg));
	snapfilter_init(&fg.f);
	fg.groupby = POLICY_GROUP_HOST | POLICY_GROUP_PATHS;
	prune_opts_init(&fg.po);
	while ((c = getopt_long(argc, argv, "l:H:d:w:m:y:g:n", longopts,
	    NULL)) != -1) {
		c = short_opt(c);
		if ((r = policy_opt(&fg, c, optarg)) < 0)
			goto done;
		if (r == 0)
			continue;
		if (snapsel_filter_opt(&fg.f, c, optarg, &r)) {
			if (r)
				goto done;
			continue;
		}
		switch (c) {
		case O_GROUPBY:
			if (policy_parse_groupby(optarg, &fg.groupby))
				goto done;
			break;
		case O_DRYRUN:
			fg.dry_run = 1;
			break;
		case O_PRUNE:
			fg.prune = 1;
			break;
		case O_MAXUNUSED:
		case O_MAXREPACK:
			if (cli_prune_option("forget", &fg.po,
			    c == O_MAXUNUSED ? "max-unused" :
			    "max-repack-size", optarg))
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
	if (optind < argc && !policy_empty(&fg.p)) {
		usage_error("forget", "give snapshot ids or a --keep policy, "
		    "not both");
		goto done;
	}
	if ((rc = session_open(&ss, fg.dry_run ? SESSION_LOCK :
	    SESSION_XLOCK)) != EXIT_OK)
		goto done;
	open = 1;
	rc = EXIT_ERR;
	if (snapsel_find(&ss, &fg.f, argv + optind, argc - optind, &v, &n))
		goto done;
	if (optind == argc && policy_empty(&fg.p)) {
		warn0("no policy was given (--keep-*): no snapshots will "
		    "be removed");
		rc = EXIT_OK;
		goto done;
	}
	if ((rm = calloc(n ? n : 1, 1)) == NULL) {
		warnp("calloc");
		goto done;
	}
	if (G.json && (fg.out = json_array()) == NULL)
		goto done;
	if (optind < argc) {
		/* Explicit ids: remove them all (one group, no policy). */
		memset(rm, 1, n);
		if (fg.out != NULL) {
			json_t *g = json_pack("{s:n, s:n, s:n, s:[], s:[], "
			    "s:[]}", "host", "paths", "tags", "keep",
			    "remove", "reasons");

			for (i = 0; g != NULL && i < n; i++)
				json_array_append_new(json_object_get(g,
				    "remove"), cli_snapshot_json(&v[i]));
			json_array_append_new(fg.out, g);
		}
	} else if (by_policy(&fg, v, n, rm))
		goto done;
	if (fg.out != NULL) {
		cli_json_print(fg.out);
		fg.out = NULL;
	}
	if (remove_marked(&fg, &ss, v, n, rm))
		goto done;
	rc = EXIT_OK;
	/*
	 * As restic: prune only if something was removed.  A dry run of
	 * prune now would count the snapshots still there as needed, so
	 * its numbers would be wrong: say what would happen instead.
	 */
	if (fg.prune && memchr(rm, 1, n) != NULL) {
		if (!fg.dry_run)
			rc = cli_prune(&ss, &fg.po);
		else if (!G.quiet && !G.json)
			printf("would prune next (prune --dry-run after "
			    "forget shows what it would free)\n");
	}
done:
	json_decref(fg.out);
	free(rm);
	snapshot_list_free(v, n);
	if (open)
		session_close(&ss);
	for (i = 0; i < fg.p.ntags; i++)
		free(fg.p.tags[i]);
	free(fg.p.tags);
	snapfilter_release(&fg.f);
	return (rc);
}
