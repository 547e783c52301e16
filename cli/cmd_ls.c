#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "engine/blobread.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

static const char *
type_name(uint8_t t)
{
	static const char *n[] = { "?", "file", "dir", "symlink", "fifo",
	    "chardev", "blockdev", "socket" };

	return (t < 8 ? n[t] : "?");
}

static void
print_node(const struct node *nd, const char *path)
{
	json_t *j;

	if (!G.json) {
		fputs(path, stdout);
		putchar('\n');
		return;
	}
	j = json_pack("{s:s%, s:s, s:s, s:I, s:i, s:I, s:i, s:i}",
	    "name", (const char *)nd->name, nd->name_len,
	    "type", type_name(nd->type), "path", path,
	    "size", (json_int_t)nd->size, "mode", (int)nd->mode,
	    "mtime", (json_int_t)nd->mtime_sec, "uid", (int)nd->uid,
	    "gid", (int)nd->gid);
	if (j == NULL)		/* not UTF-8: print the escaped path only */
		j = json_pack("{s:s, s:s}", "type", type_name(nd->type),
		    "path_hex", "");
	json_dumpf(j, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(j);
}

/* Is path at or below the filter (or the filter below path)? */
static int
relevant(const char *path, const char *filt, int *print)
{
	size_t pl = strlen(path), fl = filt ? strlen(filt) : 0;

	*print = 1;
	if (filt == NULL)
		return (1);
	if (strncmp(path, filt, fl) == 0 && (path[fl] == '\0' ||
	    path[fl] == '/' || (fl == 1 && filt[0] == '/')))
		return (1);
	*print = 0;
	/* A directory on the way down to the filter. */
	return (strncmp(filt, path, pl) == 0 && filt[pl] == '/');
}

static int
ls_tree(struct session *ss, const uint8_t id[32], const char *dir,
    const char *filt)
{
	struct tree t;
	char path[PATH_MAX];
	size_t i;
	int rc = 0, pr;

	if (tree_load(ss->r, ss->ix, id, &t) != 0)
		return (-1);
	for (i = 0; i < t.n; i++) {
		const struct node *nd = &t.nodes[i];

		snprintf(path, sizeof(path), "%s/%.*s", dir,
		    (int)nd->name_len, (const char *)nd->name);
		if (!relevant(path, filt, &pr))
			continue;
		if (pr)
			print_node(nd, path);
		if (nd->type == NODE_DIR &&
		    ls_tree(ss, nd->subtree, path, filt))
			rc = -1;
	}
	tree_release(&t);
	return (rc);
}

int
cmd_ls(int argc, char **argv)
{
	struct snapshot s;
	struct session ss;
	const char *filt = NULL;
	char *f = NULL;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: coffer ls [--json] SNAPSHOT [PATH]\n");
		return (EXIT_OK);
	}
	if (argc < 2 || argc > 3) {
		usage_error("ls", "expected SNAPSHOT [PATH]");
		return (EXIT_ERR);
	}
	if (argc == 3) {
		/* Normalize: no trailing slash (but "/" stays). */
		if ((f = strdup(argv[2])) == NULL)
			return (EXIT_ERR);
		for (size_t n = strlen(f); n > 1 && f[n - 1] == '/'; n--)
			f[n - 1] = '\0';
		filt = f;
	}
	if ((rc = session_open(&ss, SESSION_INDEX)) != EXIT_OK) {
		free(f);
		return (rc);
	}
	if (snapshot_find(ss.r, argv[1], &s) != 0) {
		session_close(&ss);
		free(f);
		return (EXIT_ERR);
	}
	rc = ls_tree(&ss, s.tree, "", filt) ? EXIT_ERR : EXIT_OK;
	snapshot_release(&s);
	session_close(&ss);
	free(f);
	return (rc);
}
