/*
 * coffer prune [--dry-run] [--max-unused LIMIT] [--max-repack-size SIZE]
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/progress.h"
#include "engine/prune.h"
#include "util/warnp.h"

#include "cli.h"

/* A size: digits, then optionally k/K, m/M, g/G or t/T (powers of 1024). */
static int
parse_size(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long n;
	int shift = 0;

	if (s[0] < '0' || s[0] > '9')
		return (-1);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return (-1);
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	case 't': case 'T':
		shift = 40;
		break;
	default:
		return (-1);
	}
	if (*end != '\0' && end[1] != '\0')
		return (-1);
	if (shift > 0 && n > (UINT64_MAX >> shift))
		return (-1);
	*v = (uint64_t)n << shift;
	return (0);
}

int
cli_prune_option(const char *cmd, struct prune_opts *o, const char *name,
    const char *val)
{
	size_t len = strlen(val);
	char *end;
	double pct;

	if (strcmp(name, "max-repack-size") == 0) {
		if (parse_size(val, &o->max_repack) == 0 && o->max_repack > 0)
			return (0);
		usage_error(cmd, "--max-repack-size: \"%s\" is not a size "
		    "(bytes, or a number with k, m, g or t)", val);
		return (-1);
	}
	if (strcmp(name, "repack-small") == 0) {
		o->repack_small = 1;
		return (0);
	}
	if (strcmp(name, "max-unused") != 0) {
		usage_error(cmd, "unknown prune option --%s", name);
		return (-1);
	}
	if (strcmp(val, "unlimited") == 0) {
		o->unused_kind = PRUNE_UNUSED_ANY;
		return (0);
	}
	if (len > 1 && val[len - 1] == '%') {
		errno = 0;
		pct = strtod(val, &end);
		if (errno == 0 && end == val + len - 1 && val[0] >= '0' &&
		    val[0] <= '9' && isfinite(pct) && pct >= 0 && pct < 100) {
			o->unused_kind = PRUNE_UNUSED_PCT;
			o->unused_pct = pct;
			return (0);
		}
	} else if (parse_size(val, &o->unused_bytes) == 0) {
		o->unused_kind = PRUNE_UNUSED_BYTES;
		return (0);
	}
	usage_error(cmd, "--max-unused: \"%s\" is not a percentage below "
	    "100%% (e.g. 5%%), a size (e.g. 500M) or \"unlimited\"", val);
	return (-1);
}

static void
report_json(const struct prune_stats *st, int dry)
{
	json_t *j;

	j = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "dry_run", dry,
	    "snapshots", (json_int_t)st->snapshots,
	    "blobs_used", (json_int_t)st->blobs_used,
	    "bytes_used", (json_int_t)st->bytes_used,
	    "blobs_unused", (json_int_t)st->blobs_unused,
	    "bytes_unused", (json_int_t)st->bytes_unused,
	    "packs", (json_int_t)st->packs,
	    "bytes", (json_int_t)st->bytes,
	    "packs_keep", (json_int_t)st->packs_keep,
	    "packs_delete", (json_int_t)st->packs_delete,
	    "bytes_delete", (json_int_t)st->bytes_delete,
	    "packs_repack", (json_int_t)st->packs_repack,
	    "bytes_repack", (json_int_t)st->bytes_repack,
	    "blobs_repacked", (json_int_t)st->blobs_copy,
	    "bytes_repacked", (json_int_t)st->bytes_copy,
	    "bytes_unused_after", (json_int_t)st->bytes_unused_after,
	    "packs_orphan", (json_int_t)st->packs_orphan,
	    "packs_written", (json_int_t)st->packs_written,
	    "bytes_written", (json_int_t)st->bytes_written,
	    "index_written", (json_int_t)st->index_written,
	    "index_deleted", (json_int_t)st->index_deleted);
	if (j != NULL) {
		json_object_set_new(j, "packs_missing",
		    json_integer((json_int_t)st->packs_missing));
		json_object_set_new(j, "seconds", json_real(st->seconds));
		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
	}
	json_decref(j);
}

static void
report(const struct prune_stats *st, int dry)
{
	char a[32], b[32], c[32];
	uint64_t freed, written;

	progress_size(st->bytes_used, a, sizeof(a));
	progress_size(st->bytes_unused, b, sizeof(b));
	printf("used:    %llu blobs, %s\nunused:  %llu blobs, %s\n",
	    (unsigned long long)st->blobs_used, a,
	    (unsigned long long)st->blobs_unused, b);
	progress_size(st->bytes_delete, a, sizeof(a));
	printf("%s %llu packs (%s) that no snapshot needs\n",
	    dry ? "would delete" : "deleted", (unsigned long long)
	    st->packs_delete, a);
	progress_size(st->bytes_repack, a, sizeof(a));
	progress_size(st->bytes_copy, b, sizeof(b));
	progress_size(st->bytes_written, c, sizeof(c));
	printf("%s %llu partly used packs (%s): %llu blobs, %s copied%s%s"
	    "%s\n", dry ? "would repack" : "repacked",
	    (unsigned long long)st->packs_repack, a,
	    (unsigned long long)st->blobs_copy, b, dry ? "" : " into ",
	    dry ? "" : c, dry ? "" : " of new packs");
	progress_size(st->bytes_keep, a, sizeof(a));
	progress_size(st->bytes_unused_after, b, sizeof(b));
	printf("%s %llu packs (%s), %s of it unused\n",
	    dry ? "would keep" : "kept", (unsigned long long)st->packs_keep,
	    a, b);
	if (st->packs_orphan > 0) {
		progress_size(st->bytes_orphan, a, sizeof(a));
		printf("left %llu packs (%s) that no index file lists "
		    "(uploaded by an interrupted backup: the next backup "
		    "adopts them)\n", (unsigned long long)st->packs_orphan, a);
	}
	if (st->packs_missing > 0)
		printf("%s %llu missing packs that nothing needs from the "
		    "index\n", dry ? "would drop" : "dropped",
		    (unsigned long long)st->packs_missing);
	if (!dry)
		printf("index: %llu files written, %llu deleted\n",
		    (unsigned long long)st->index_written,
		    (unsigned long long)st->index_deleted);
	else
		printf("index: would rewrite %llu of %llu files\n",
		    (unsigned long long)st->index_deleted,
		    (unsigned long long)st->index_files);
	/* A dry run writes nothing: count the blobs it would copy. */
	freed = st->bytes_delete + st->bytes_repack;
	written = dry ? st->bytes_copy : st->bytes_written;
	freed = freed > written ? freed - written : 0;
	progress_size(freed, a, sizeof(a));
	progress_size(st->bytes, b, sizeof(b));
	printf("%s %s of %s in %.2f s\n", dry ? "would free about" : "freed",
	    a, b, st->seconds);
}

int
cli_prune(struct session *s, const struct prune_opts *o0)
{
	struct prune_opts o = *o0;
	struct prune_stats st;
	int rc;

	o.quiet = o.quiet || G.quiet || G.json;
	o.lock = s->lk;
	rc = prune_run(s->r, s->ix, &o, &st);
	/* The index describes the repository as it was: drop it. */
	index_free(s->ix);
	s->ix = NULL;
	if (rc != 0) {
		if (rc < 0)
			warn0("prune failed");
		return (EXIT_ERR);
	}
	if (G.json)
		report_json(&st, o.dry_run);
	else if (!G.quiet)
		report(&st, o.dry_run);
	return (EXIT_OK);
}

static const struct option longopts[] = {
	{ "dry-run", no_argument, NULL, 'n' },
	{ "max-unused", required_argument, NULL, 'u' },
	{ "max-repack-size", required_argument, NULL, 'R' },
	{ "repack-small", no_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{

	printf("usage: coffer prune [--dry-run] [--max-unused LIMIT] "
	    "[--max-repack-size SIZE]\n                    [--repack-small]"
	    "\n\n"
	    "Remove the data no snapshot needs.  Packs whose blobs are all "
	    "unused are\ndeleted; partly used ones are repacked, most "
	    "wasteful first, until the unused\nspace left is at most LIMIT: "
	    "a percentage of the used space (default 5%%),\na size (500M), "
	    "or \"unlimited\" (repack nothing).  --max-repack-size bounds "
	    "the\nbytes copied.  --repack-small also merges the packs under "
	    "80%% of the target\npack size (each backup leaves a few).  "
	    "Takes the exclusive lock.\n");
}

int
cmd_prune(int argc, char **argv)
{
	struct prune_opts o;
	struct session ss;
	int c, rc;

	prune_opts_init(&o);
	while ((c = getopt_long(argc, argv, "n", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.dry_run = 1;
			break;
		case 'u':
			if (cli_prune_option("prune", &o, "max-unused", optarg))
				return (EXIT_ERR);
			break;
		case 'R':
			if (cli_prune_option("prune", &o, "max-repack-size",
			    optarg))
				return (EXIT_ERR);
			break;
		case 'S':
			o.repack_small = 1;
			break;
		case 'h':
			help();
			return (EXIT_OK);
		default:
			help();
			return (EXIT_ERR);
		}
	}
	if (optind < argc) {
		usage_error("prune", "unexpected argument \"%s\"", argv[optind]);
		return (EXIT_ERR);
	}
	/* A dry run changes nothing: a shared lock is enough. */
	if ((rc = session_open(&ss, SESSION_INDEX | (o.dry_run ?
	    SESSION_LOCK : SESSION_XLOCK))) != EXIT_OK)
		return (rc);
	rc = cli_prune(&ss, &o);
	session_close(&ss);
	return (rc);
}
