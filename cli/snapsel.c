/*
 * Helpers shared by the commands that work on several snapshots: which
 * snapshots the arguments and filter options name, times given on the
 * command line, JSON output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "snapshot/filter.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

int
snapsel_filter_opt(struct snapfilter *f, int c, const char *arg, int *rc)
{

	switch (c) {
	case SEL_HOST:
		*rc = snapfilter_add_host(f, arg);
		return (1);
	case SEL_TAG:
		*rc = snapfilter_add_tags(f, arg);
		return (1);
	case SEL_PATH:
		*rc = snapfilter_add_path(f, arg);
		return (1);
	default:
		return (0);
	}
}

/* Which snapshot does one argument name?  Its index, or -1 (reported). */
static ssize_t
resolve(const struct snapshot *v, size_t n, const struct snapfilter *f,
    const char *spec)
{
	size_t i, len = strlen(spec), match = 0, which = 0;
	char hex[65];

	if (strcmp(spec, "latest") == 0) {
		for (i = n; i > 0; i--)
			if (snapfilter_match(f, &v[i - 1]))
				return ((ssize_t)(i - 1));
		warn0("no snapshot matching \"latest\"");
		return (-1);
	}
	for (i = 0; i < n && len > 0 && len <= 64; i++) {
		hex_encode(v[i].id, 32, hex);
		if (strncmp(hex, spec, len) == 0) {
			match++;
			which = i;
		}
	}
	if (match != 1) {
		warn0(match == 0 ? "no snapshot matching \"%s\"" :
		    "snapshot prefix \"%s\" is ambiguous (matches several)",
		    spec);
		return (-1);
	}
	return ((ssize_t)which);
}

int
snapsel_find(struct session *ss, const struct snapfilter *f, char **args,
    int nargs, struct snapshot **vp, size_t *np)
{
	struct snapshot *v;
	char *pick;
	size_t n, i, o;
	ssize_t k;
	int a, rc = EXIT_OK;

	*vp = NULL;
	*np = 0;
	if (snapshot_list(ss->r, &v, &n))
		return (EXIT_ERR);
	if ((pick = calloc(n ? n : 1, 1)) == NULL) {
		warnp("calloc");
		snapshot_list_free(v, n);
		return (EXIT_ERR);
	}
	for (a = 0; a < nargs; a++) {
		if ((k = resolve(v, n, f, args[a])) < 0)
			rc = EXIT_ERR;
		else
			pick[k] = 1;
	}
	for (i = 0; nargs == 0 && i < n; i++)
		pick[i] = (char)snapfilter_match(f, &v[i]);
	if (rc != EXIT_OK) {
		free(pick);
		snapshot_list_free(v, n);
		return (rc);
	}
	/* Keep the picked ones, in order, and release the others. */
	for (i = 0, o = 0; i < n; i++) {
		if (!pick[i]) {
			snapshot_release(&v[i]);
			continue;
		}
		if (o != i)
			v[o] = v[i];
		o++;
	}
	free(pick);
	*vp = v;
	*np = o;
	return (EXIT_OK);
}

int
cli_parse_time(const char *s, int64_t *t)
{
	static const char *fmts[] = { "%Y-%m-%d %H:%M:%S",
	    "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d" };
	struct tm tm;
	const char *e;
	time_t r;
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		memset(&tm, 0, sizeof(tm));
		if ((e = strptime(s, fmts[i], &tm)) == NULL || *e != '\0')
			continue;
		tm.tm_isdst = -1;
		if ((r = mktime(&tm)) == (time_t)-1 && tm.tm_year != 69)
			return (-1);
		*t = (int64_t)r;
		return (0);
	}
	return (-1);
}

void
cli_json_print(void *p)
{
	json_t *j = p;

	if (j == NULL) {
		warn0("cannot build the JSON output");
		return;
	}
	json_dumpf(j, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(j);
}

void *
cli_snapshot_json(const struct snapshot *s)
{
	json_t *j;
	char hex[65];

	if ((j = snapshot_to_json(s)) == NULL)
		return (NULL);
	hex_encode(s->id, 32, hex);
	hex[8] = '\0';
	json_object_set_new(j, "short_id", json_string(hex));
	return (j);
}
