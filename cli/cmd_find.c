/*
 * coffer find PATTERN...: files and directories whose path matches a
 * pattern, in every snapshot (or those chosen), newest snapshot first, as
 * restic's find.  A pattern is a glob (fnmatch: *, ?, [...]) per path
 * component, "**" standing for any number of components; one starting
 * with '/' must match the whole path, any other matches the end of it, so
 * "*.txt" finds every .txt file and "src/main*.c" the files named main*.c
 * directly in any directory named src.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "engine/blobread.h"
#include "snapshot/filter.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

/* A path or pattern cut into components (pointers into a copy). */
struct comps {
	char *buf;
	char **c;
	size_t n;
};

static int
split(const char *s, size_t len, struct comps *out)
{
	size_t i, k = 0;
	char *p;

	memset(out, 0, sizeof(out[0]));
	if ((out->buf = strndup(s, len)) == NULL ||
	    (out->c = calloc(len / 2 + 2, sizeof(char *))) == NULL) {
		warnp("malloc");
		return (-1);
	}
	for (p = out->buf, i = 0; i <= len; i++) {
		if (out->buf[i] != '/' && out->buf[i] != '\0')
			continue;
		out->buf[i] = '\0';
		if (*p != '\0')
			out->c[k++] = p;
		p = out->buf + i + 1;
	}
	out->n = k;
	return (0);
}

static void
comps_free(struct comps *c)
{

	free(c->buf);
	free(c->c);
}

/* Does pattern p[0..np) match exactly the components s[0..ns)? */
static int
match_here(char **p, size_t np, char **s, size_t ns, int flags)
{
	size_t k;

	if (np == 0)
		return (ns == 0);
	if (strcmp(p[0], "**") == 0) {
		for (k = 0; k <= ns; k++)
			if (match_here(p + 1, np - 1, s + k, ns - k, flags))
				return (1);
		return (0);
	}
	return (ns > 0 && fnmatch(p[0], s[0], flags) == 0 &&
	    match_here(p + 1, np - 1, s + 1, ns - 1, flags));
}

struct pattern {
	struct comps c;
	int absolute;
};

static int
pattern_match(const struct pattern *pt, size_t npat, const struct comps *s,
    int flags)
{
	size_t i, k;

	for (i = 0; i < npat; i++) {
		if (pt[i].absolute) {
			if (match_here(pt[i].c.c, pt[i].c.n, s->c, s->n, flags))
				return (1);
			continue;
		}
		/* Anchored at the end: try each suffix of the path. */
		for (k = 0; k < s->n; k++)
			if (match_here(pt[i].c.c, pt[i].c.n, s->c + k,
			    s->n - k, flags))
				return (1);
	}
	return (0);
}

struct find {
	struct session *ss;
	struct pattern *pat;
	size_t npat;
	int flags;		/* fnmatch flags */
	int longfmt;
	int have_oldest, have_newest;
	int64_t oldest, newest;
	const struct snapshot *snap;
	size_t hits, total;
	json_t *matches;	/* --json: this snapshot's matches */
};

static void
mode_str(const struct node *nd, char out[11])
{
	static const char types[] = "?-dlpcbs";
	uint32_t m = nd->mode;

	out[0] = types[nd->type < 8 ? nd->type : 0];
	out[1] = (m & 0400) ? 'r' : '-';
	out[2] = (m & 0200) ? 'w' : '-';
	out[3] = (m & 04000) ? ((m & 0100) ? 's' : 'S') :
	    ((m & 0100) ? 'x' : '-');
	out[4] = (m & 040) ? 'r' : '-';
	out[5] = (m & 020) ? 'w' : '-';
	out[6] = (m & 02000) ? ((m & 010) ? 's' : 'S') :
	    ((m & 010) ? 'x' : '-');
	out[7] = (m & 04) ? 'r' : '-';
	out[8] = (m & 02) ? 'w' : '-';
	out[9] = (m & 01000) ? ((m & 01) ? 't' : 'T') :
	    ((m & 01) ? 'x' : '-');
	out[10] = '\0';
}

static const char *
type_name(uint8_t t)
{
	static const char *n[] = { "?", "file", "dir", "symlink", "fifo",
	    "chardev", "blockdev", "socket" };

	return (t < 8 ? n[t] : "?");
}

static void
header(struct find *fd)
{
	char hex[65], t[32];

	hex_encode(fd->snap->id, 32, hex);
	snapshot_time(fd->snap, t, sizeof(t));
	printf("Found matching entries in snapshot %.8s from %s\n", hex, t);
}

static void
report(struct find *fd, const struct node *nd, const struct buf *path)
{
	char mode[11], mt[32];
	time_t tt = (time_t)nd->mtime_sec;
	struct tm tm;
	json_t *j;
	int lossy;

	fd->total++;
	if (fd->hits++ == 0 && !G.json)
		header(fd);
	mode_str(nd, mode);
	localtime_r(&tt, &tm);
	strftime(mt, sizeof(mt), "%Y-%m-%d %H:%M:%S", &tm);
	if (G.json) {
		j = json_pack("{s:o, s:s, s:s, s:i, s:I, s:i, s:i, s:I, s:s}",
		    "path", cli_json_bytes((const char *)path->data, path->len,
		    &lossy), "type", type_name(nd->type), "permissions", mode,
		    "mode", (int)nd->mode, "mtime", (json_int_t)nd->mtime_sec,
		    "uid", (int)nd->uid, "gid", (int)nd->gid,
		    "size", (json_int_t)nd->size, "mtime_local", mt);
		if (j != NULL && nd->type == NODE_SYMLINK)
			json_object_set_new(j, "link_target", cli_json_bytes(
			    (const char *)nd->target, nd->target_len, &lossy));
		json_array_append_new(fd->matches, j);
		return;
	}
	if (fd->longfmt)
		printf("%s %5u %5u %10llu %s ", mode, nd->uid, nd->gid,
		    (unsigned long long)nd->size, mt);
	fwrite(path->data, 1, path->len, stdout);
	if (fd->longfmt && nd->type == NODE_SYMLINK) {
		fputs(" -> ", stdout);
		fwrite(nd->target, 1, nd->target_len, stdout);
	}
	putchar('\n');
}

static int
walk(struct find *fd, const uint8_t id[32], struct buf *path)
{
	struct comps pc;
	struct tree t;
	size_t i, old;
	int rc = 0;

	if (tree_load(fd->ss->r, fd->ss->ix, id, &t) != 0)
		return (-1);
	for (i = 0; i < t.n && rc == 0; i++) {
		const struct node *nd = &t.nodes[i];

		old = path->len;
		if (buf_append(path, "/", 1) ||
		    buf_append(path, nd->name, nd->name_len) ||
		    split((const char *)path->data, path->len, &pc)) {
			rc = -1;
			break;
		}
		/* Names holding a NUL cannot occur (tree.c refuses them). */
		if ((!fd->have_oldest || nd->mtime_sec >= fd->oldest) &&
		    (!fd->have_newest || nd->mtime_sec <= fd->newest) &&
		    pattern_match(fd->pat, fd->npat, &pc, fd->flags))
			report(fd, nd, path);
		comps_free(&pc);
		if (nd->type == NODE_DIR)
			rc = walk(fd, nd->subtree, path);
		path->len = old;
	}
	tree_release(&t);
	return (rc);
}

enum { O_OLDEST = 0x200, O_NEWEST, O_SNAPSHOT, O_REVERSE, O_HELP };

static const struct option longopts[] = {
	{ "ignore-case", no_argument, NULL, 'i' },
	{ "long", no_argument, NULL, 'l' },
	{ "oldest", required_argument, NULL, O_OLDEST },
	{ "newest", required_argument, NULL, O_NEWEST },
	{ "snapshot", required_argument, NULL, 's' },
	{ "reverse", no_argument, NULL, 'R' },
	{ "help", no_argument, NULL, O_HELP },
	SEL_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf("usage: coffer find [-i] [-l] [--oldest TIME] [--newest TIME] "
	    "[-s SNAPSHOT]...\n                   [--host H] [--tag T] "
	    "[--path P] [-R] PATTERN...\n\n"
	    "--oldest/--newest bound the modification time of what is "
	    "found\n(\"YYYY-MM-DD[ HH:MM[:SS]]\", local time); -R lists the "
	    "oldest snapshot first.\n");
}

int
cmd_find(int argc, char **argv)
{
	struct find fd;
	struct snapfilter f;
	struct session ss;
	struct snapshot *v = NULL;
	struct buf path = BUF_INIT;
	char **snaps = NULL, **sv;
	size_t n = 0, i, nsnaps = 0;
	json_t *out = NULL;
	int c, r, rc = EXIT_ERR, reverse = 0, open = 0;

	memset(&fd, 0, sizeof(fd));
	snapfilter_init(&f);
	while ((c = getopt_long(argc, argv, "ils:R", longopts, NULL)) != -1) {
		if (snapsel_filter_opt(&f, c, optarg, &r)) {
			if (r)
				goto done;
			continue;
		}
		switch (c) {
		case 'i':
			fd.flags |= FNM_CASEFOLD;
			break;
		case 'l':
			fd.longfmt = 1;
			break;
		case O_OLDEST:
		case O_NEWEST:
			if (cli_parse_time(optarg, c == O_OLDEST ? &fd.oldest :
			    &fd.newest)) {
				usage_error("find", "invalid time \"%s\": "
				    "expected \"YYYY-MM-DD[ HH:MM[:SS]]\"",
				    optarg);
				goto done;
			}
			*(c == O_OLDEST ? &fd.have_oldest : &fd.have_newest) =
			    1;
			break;
		case 's':
			if ((sv = realloc(snaps, (nsnaps + 1) *
			    sizeof(*snaps))) == NULL) {
				warnp("realloc");
				goto done;
			}
			snaps = sv;
			snaps[nsnaps++] = optarg;
			break;
		case 'R':
			reverse = 1;
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
	if (optind >= argc) {
		usage_error("find", "give at least one pattern");
		goto done;
	}
	fd.npat = (size_t)(argc - optind);
	if ((fd.pat = calloc(fd.npat, sizeof(*fd.pat))) == NULL)
		goto done;
	for (i = 0; i < fd.npat; i++) {
		const char *p = argv[optind + (int)i];

		fd.pat[i].absolute = (p[0] == '/');
		if (split(p, strlen(p), &fd.pat[i].c))
			goto done;
		if (fd.pat[i].c.n == 0) {
			usage_error("find", "empty pattern \"%s\"", p);
			goto done;
		}
	}
	if ((rc = session_open(&ss, SESSION_INDEX | SESSION_LOCK)) != EXIT_OK)
		goto done;
	open = 1;
	fd.ss = &ss;
	if ((rc = snapsel_find(&ss, &f, snaps, (int)nsnaps, &v, &n)) !=
	    EXIT_OK)
		goto done;
	if (G.json && (out = json_array()) == NULL)
		goto done;
	for (i = 0; i < n; i++) {
		/* Newest first, as restic; -R for oldest first. */
		fd.snap = &v[reverse ? i : n - 1 - i];
		fd.hits = 0;
		if (G.json && (fd.matches = json_array()) == NULL)
			goto done;
		path.len = 0;
		if (walk(&fd, fd.snap->tree, &path)) {
			rc = EXIT_ERR;
			json_decref(fd.matches);
			goto done;
		}
		if (G.json && fd.hits > 0) {
			char hex[65];

			hex_encode(fd.snap->id, 32, hex);
			json_array_append_new(out, json_pack("{s:o, s:I, s:s}",
			    "matches", fd.matches, "hits",
			    (json_int_t)fd.hits, "snapshot", hex));
		} else
			json_decref(fd.matches);
		fd.matches = NULL;
		if (fd.hits > 0 && !G.json)
			putchar('\n');
	}
	if (G.json) {
		cli_json_print(out);
		out = NULL;
	}
	rc = EXIT_OK;
done:
	json_decref(out);
	buf_release(&path);
	for (i = 0; fd.pat != NULL && i < fd.npat; i++)
		comps_free(&fd.pat[i].c);
	free(fd.pat);
	free(snaps);
	snapshot_list_free(v, n);
	if (open)
		session_close(&ss);
	snapfilter_release(&f);
	return (rc);
}
