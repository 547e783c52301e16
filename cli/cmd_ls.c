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

/*
 * A JSON string for bytes that may not be UTF-8: invalid bytes become
 * U+FFFD, and *lossy says so (the caller then adds the exact bytes in hex).
 */
static json_t *
jstr(const char *p, size_t n, int *lossy)
{
	json_t *j;
	char *q;
	size_t i, o = 0;

	*lossy = 0;
	if ((j = json_stringn(p, n)) != NULL)
		return (j);
	*lossy = 1;
	if ((q = malloc(3 * n + 1)) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x80 && p[i] != 0) {
			q[o++] = p[i];
			continue;
		}
		/* Keep a valid multi-byte sequence, replace anything else. */
		size_t k = ((unsigned char)p[i] & 0xe0) == 0xc0 ? 2 :
		    ((unsigned char)p[i] & 0xf0) == 0xe0 ? 3 :
		    ((unsigned char)p[i] & 0xf8) == 0xf0 ? 4 : 0;
		json_t *t = (k > 0 && i + k <= n) ? json_stringn(p + i, k) :
		    NULL;

		if (t != NULL) {
			json_decref(t);
			memcpy(q + o, p + i, k);
			o += k;
			i += k - 1;
			continue;
		}
		memcpy(q + o, "\xef\xbf\xbd", 3);
		o += 3;
	}
	j = json_stringn(q, o);
	free(q);
	return (j);
}

static void
print_node(const struct node *nd, const char *path)
{
	json_t *j;
	char *hex;
	size_t n = strlen(path);
	int lossy1, lossy2;

	if (!G.json) {
		fputs(path, stdout);
		putchar('\n');
		return;
	}
	j = json_pack("{s:o, s:s, s:o, s:I, s:i, s:I, s:i, s:i}",
	    "name", jstr((const char *)nd->name, nd->name_len, &lossy1),
	    "type", type_name(nd->type), "path", jstr(path, n, &lossy2),
	    "size", (json_int_t)nd->size, "mode", (int)nd->mode,
	    "mtime", (json_int_t)nd->mtime_sec, "uid", (int)nd->uid,
	    "gid", (int)nd->gid);
	if (j != NULL && (lossy1 || lossy2) &&
	    (hex = malloc(2 * n + 1)) != NULL) {
		hex_encode((const uint8_t *)path, n, hex);
		json_object_set_new(j, "path_hex", json_string(hex));
		free(hex);
	}
	if (j != NULL) {
		json_dumpf(j, stdout, JSON_COMPACT);
		putchar('\n');
	}
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
