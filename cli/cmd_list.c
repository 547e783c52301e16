/*
 * coffer list snapshots|index|packs|keys|locks|blobs: object ids, one a
 * line (restic's list).  Blobs come from the index, as "data ID" or
 * "tree ID".  With --json, an array.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "index/index.h"
#include "util/warnp.h"

#include "cli.h"

struct lister {
	json_t *a;
};

static int
name_cb(void *cookie, const char *name, uint64_t size)
{
	struct lister *l = cookie;

	if (l->a != NULL)
		return (json_array_append_new(l->a, json_string(name)) ?
		    -1 : 0);
	printf("%s\n", name);
	return (0);
}

static int
blob_cb(void *cookie, const struct idx_pack *pk, const struct idx_entry *e)
{
	struct lister *l = cookie;
	const char *t = e->type == BLOB_TREE ? "tree" : "data";
	char hex[65];

	hex_encode(e->id, 32, hex);
	if (l->a != NULL)
		return (json_array_append_new(l->a, json_pack("{s:s, s:s}",
		    "type", t, "id", hex)) ? -1 : 0);
	printf("%s %s\n", t, hex);
	return (0);
}

int
cmd_list(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum obj_type t;
	} types[] = {
		{ "snapshots", OBJ_SNAPSHOT }, { "index", OBJ_INDEX },
		{ "packs", OBJ_DATA }, { "keys", OBJ_KEY },
		{ "locks", OBJ_LOCK }, { "blobs", OBJ_NTYPES }
	};
	struct lister l = { NULL };
	struct session ss;
	size_t i;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: coffer list snapshots|index|packs|keys|locks|"
		    "blobs\n");
		return (EXIT_OK);
	}
	if (argc != 2) {
		usage_error("list", "give one type: snapshots, index, packs, "
		    "keys, locks or blobs");
		return (EXIT_ERR);
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(argv[1], types[i].name) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		usage_error("list", "unknown type \"%s\" (use snapshots, "
		    "index, packs, keys, locks or blobs)", argv[1]);
		return (EXIT_ERR);
	}
	if ((rc = session_open(&ss, types[i].t == OBJ_NTYPES ?
	    SESSION_INDEX : 0)) != EXIT_OK)
		return (rc);
	if (G.json && (l.a = json_array()) == NULL) {
		session_close(&ss);
		return (EXIT_ERR);
	}
	if (types[i].t == OBJ_NTYPES)
		rc = index_foreach(ss.ix, blob_cb, &l);
	else
		rc = backend_list(ss.r->be, types[i].t, name_cb, &l);
	if (rc == 0 && l.a != NULL) {
		cli_json_print(l.a);
		l.a = NULL;
	}
	json_decref(l.a);
	session_close(&ss);
	return (rc == 0 ? EXIT_OK : EXIT_ERR);
}
