#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "engine/adopt.h"
#include "engine/backup.h"
#include "engine/progress.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"
#include "strv.h"

/* Patterns from a file: one per line, '#' comments and blanks skipped. */
static int
read_excludes(const char *path, struct strv *ex)
{
	char line[4096];
	FILE *f;
	size_t n;

	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot read exclude file %s", path);
		return (-1);
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strlen(line);
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' ||
		    line[n - 1] == ' '))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if (strv_add(ex, line)) {
			fclose(f);
			return (-1);
		}
	}
	fclose(f);
	return (0);
}

/* Same set of paths (both sorted and normalized)? */
static int
same_paths(const struct snapshot *s, char **abs, size_t n)
{
	size_t i;

	if (s->npaths != n)
		return (0);
	for (i = 0; i < n; i++)
		if (strcmp(s->paths[i], abs[i][0] ? abs[i] : "/") != 0)
			return (0);
	return (1);
}

/* The latest snapshot of the same host and paths, as restic does. */
static int
find_parent(struct session *ss, const char *host, char **paths, size_t n,
    struct snapshot *out)
{
	struct snapshot *v;
	char **abs;
	size_t nv, nabs, i;
	int found = 0;

	if (backup_abspaths(paths, n, &abs, &nabs))
		return (-1);
	if (snapshot_list(ss->r, &v, &nv) == 0) {
		for (i = nv; i > 0 && !found; i--) {
			if (strcmp(v[i - 1].hostname, host) == 0 &&
			    same_paths(&v[i - 1], abs, nabs)) {
				*out = v[i - 1];
				memset(&v[i - 1], 0, sizeof(v[0]));
				found = 1;
			}
		}
		snapshot_list_free(v, nv);
	}
	for (i = 0; i < nabs; i++)
		free(abs[i]);
	free(abs);
	return (found);
}

static void
print_summary(const struct snapshot *s)
{
	const struct snap_summary *m = &s->sum;
	char a[32], b[32], t[32], rd[32], idhex[65];
	json_t *j;

	hex_encode(s->id, 32, idhex);
	if (G.json) {
		j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
		    "s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:s}",
		    "message_type", "summary",
		    "files_new", (json_int_t)m->files_new,
		    "files_changed", (json_int_t)m->files_changed,
		    "files_unmodified", (json_int_t)m->files_unmodified,
		    "dirs_new", (json_int_t)m->dirs_new,
		    "dirs_changed", (json_int_t)m->dirs_changed,
		    "dirs_unmodified", (json_int_t)m->dirs_unmodified,
		    "data_blobs", (json_int_t)m->data_blobs,
		    "tree_blobs", (json_int_t)m->tree_blobs,
		    "data_added", (json_int_t)m->data_added,
		    "data_stored", (json_int_t)m->data_stored,
		    "total_files_processed", (json_int_t)m->total_files,
		    "total_bytes_processed", (json_int_t)m->total_bytes,
		    "bytes_read", (json_int_t)m->bytes_read,
		    "errors", (json_int_t)m->errors,
		    "total_duration", m->seconds, "snapshot_id", idhex);
		if (j != NULL) {
			json_dumpf(j, stdout, JSON_COMPACT);
			putchar('\n');
		}
		json_decref(j);
		return;
	}
	if (G.quiet)
		return;
	progress_size(m->data_added, a, sizeof(a));
	progress_size(m->data_stored, b, sizeof(b));
	progress_size(m->total_bytes, t, sizeof(t));
	progress_size(m->bytes_read, rd, sizeof(rd));
	printf("Files:       %6llu new, %6llu changed, %6llu unmodified\n",
	    (unsigned long long)m->files_new,
	    (unsigned long long)m->files_changed,
	    (unsigned long long)m->files_unmodified);
	printf("Dirs:        %6llu new, %6llu changed, %6llu unmodified\n",
	    (unsigned long long)m->dirs_new,
	    (unsigned long long)m->dirs_changed,
	    (unsigned long long)m->dirs_unmodified);
	printf("Read %s from changed and new files; added %s to the "
	    "repository\n(%s stored after compression and encryption)\n",
	    rd, a, b);
	printf("processed %llu files, %s in %.2f s (%.1f MiB/s)\n",
	    (unsigned long long)m->total_files, t, m->seconds,
	    m->seconds > 0 ? (double)m->total_bytes / 1048576 / m->seconds :
	    0.0);
	printf("snapshot %.8s saved\n", idhex);
}

/* Snapshot metadata is JSON: it must be UTF-8, checked before any work. */
static int
utf8_ok(const char *s, const char *what)
{
	json_t *j;

	if (s == NULL)
		return (1);
	if ((j = json_string(s)) == NULL) {
		usage_error("backup", "%s must be valid UTF-8", what);
		return (0);
	}
	json_decref(j);
	return (1);
}

static int
utf8_all(const struct strv *v, const char *what)
{
	size_t i;

	for (i = 0; i < v->n; i++)
		if (!utf8_ok(v->v[i], what))
			return (0);
	return (1);
}

static const struct option longopts[] = {
	{ "exclude", required_argument, NULL, 'e' },
	{ "exclude-file", required_argument, NULL, 'E' },
	{ "one-file-system", no_argument, NULL, 'x' },
	{ "tag", required_argument, NULL, 't' },
	{ "host", required_argument, NULL, 'H' },
	{ "workers", required_argument, NULL, 'w' },
	{ "time", required_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf("usage: coffer backup [--exclude PATTERN] [--exclude-file F] "
	    "[--one-file-system]\n                     [--tag TAG] [--host "
	    "HOST]\n                     [--time \"YYYY-MM-DD HH:MM:SS\"] "
	    "PATH...\n");
}

int
cmd_backup(int argc, char **argv)
{
	struct backup_opts o;
	struct strv ex = STRV_INIT, tags = STRV_INIT;
	struct snapshot parent, snap;
	struct session ss;
	char host[256] = "";
	size_t adopted = 0;
	int c, rc = EXIT_ERR, have_parent = 0, r, lrc;

	memset(&o, 0, sizeof(o));
	memset(&parent, 0, sizeof(parent));
	while ((c = getopt_long(argc, argv, "e:xt:H:", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (strv_add(&ex, optarg))
				goto done;
			break;
		case 'E':
			if (read_excludes(optarg, &ex))
				goto done;
			break;
		case 'x':
			o.one_fs = 1;
			break;
		case 't':
			if (strv_add(&tags, optarg))
				goto done;
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'w':
			o.nworkers = atoi(optarg);
			break;
		case 'T':
			/* restic's --time: the snapshot's time, local. */
			if (cli_parse_time(optarg, &o.time_sec)) {
				usage_error("backup", "invalid --time \"%s\": "
				    "expected \"YYYY-MM-DD HH:MM:SS\"", optarg);
				goto done;
			}
			o.has_time = 1;
			break;
		case 'h':
			help();
			rc = EXIT_OK;
			goto done;
		default:
			help();
			goto done;
		}
	}
	if (!utf8_ok(o.host, "--host") || !utf8_all(&tags, "--tag"))
		goto done;
	if (optind >= argc) {
		usage_error("backup", "nothing to back up: give one or more "
		    "paths");
		goto done;
	}
	o.paths = argv + optind;
	o.npaths = (size_t)(argc - optind);
	o.excludes = ex.v;
	o.nexcludes = ex.n;
	o.tags = tags.v;
	o.ntags = tags.n;
	o.progress = !G.quiet && !G.json && isatty(2);
	gethostname(host, sizeof(host) - 1);
	if ((rc = session_open(&ss, SESSION_INDEX | SESSION_LOCK)) != EXIT_OK)
		goto done;
	if (adopt_orphans(ss.r, ss.ix, &adopted)) {
		session_close(&ss);
		rc = EXIT_ERR;
		goto done;
	}
	if (adopted > 0 && !G.quiet && !G.json)
		printf("reusing %zu packs left by an interrupted backup\n",
		    adopted);
	if ((have_parent = find_parent(&ss, o.host ? o.host : host, o.paths,
	    o.npaths, &parent)) == 1)
		o.parent = &parent;
	r = backup_run(ss.r, ss.ix, &o, &snap);
	if (r >= 0) {
		print_summary(&snap);
		if (r == 3)
			warn0("backup incomplete: %llu files or directories "
			    "could not be read",
			    (unsigned long long)snap.sum.errors);
		snapshot_release(&snap);
	}
	rc = (r == 0) ? EXIT_OK : (r == 3) ? EXIT_PARTIAL : EXIT_ERR;
	/* The server must log the new snapshot: check that it did. */
	if (rc != EXIT_ERR && (lrc = cli_tlog_confirm(&ss)) != EXIT_OK)
		rc = lrc;
	session_close(&ss);
done:
	if (have_parent == 1)
		snapshot_release(&parent);
	strv_free(&ex);
	strv_free(&tags);
	return (rc);
}
