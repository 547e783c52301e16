#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

static void
print_json(const struct snapshot *v, size_t n)
{
	json_t *a = json_array(), *j;
	char hex[65];
	size_t i;

	for (i = 0; a != NULL && i < n; i++) {
		if ((j = snapshot_to_json(&v[i])) == NULL)
			continue;
		hex_encode(v[i].id, 32, hex);
		hex[8] = '\0';
		json_object_set_new(j, "short_id", json_string(hex));
		json_array_append_new(a, j);
	}
	json_dumpf(a, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(a);
}

static void
print_table(const struct snapshot *v, size_t n)
{
	char hex[65], t[32];
	size_t i, k;

	printf("%-8s  %-19s  %-16s  %-16s  %s\n", "ID", "Time", "Host",
	    "Tags", "Paths");
	printf("---------------------------------------------------------"
	    "---------------------\n");
	for (i = 0; i < n; i++) {
		char tags[256] = "";

		hex_encode(v[i].id, 32, hex);
		snapshot_time(&v[i], t, sizeof(t));
		for (k = 0; k < v[i].ntags; k++) {
			if (k > 0)
				strncat(tags, ",", sizeof(tags) -
				    strlen(tags) - 1);
			strncat(tags, v[i].tags[k], sizeof(tags) -
			    strlen(tags) - 1);
		}
		printf("%.8s  %-19s  %-16s  %-16s  %s\n", hex, t,
		    v[i].hostname, tags, v[i].npaths ? v[i].paths[0] : "");
		for (k = 1; k < v[i].npaths; k++)
			printf("%68s%s\n", "", v[i].paths[k]);
	}
	printf("---------------------------------------------------------"
	    "---------------------\n%zu snapshots\n", n);
}

int
cmd_snapshots(int argc, char **argv)
{
	struct snapshot *v;
	struct session ss;
	size_t n;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: coffer snapshots [--json]\n");
		return (EXIT_OK);
	}
	if (argc > 1) {
		usage_error("snapshots", "unexpected argument \"%s\"",
		    argv[1]);
		return (EXIT_ERR);
	}
	if ((rc = session_open(&ss, 0)) != EXIT_OK)
		return (rc);
	if (snapshot_list(ss.r, &v, &n)) {
		session_close(&ss);
		return (EXIT_ERR);
	}
	if (G.json)
		print_json(v, n);
	else
		print_table(v, n);
	snapshot_list_free(v, n);
	session_close(&ss);
	return (EXIT_OK);
}
