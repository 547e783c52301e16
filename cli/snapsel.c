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

int
snapsel_one(struct session *ss, const struct snapfilter *f, const char *spec,
    struct snapshot *out, char **subpath)
{
	struct snapshot *v;
	const char *colon = strchr(spec, ':');
	char *id;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (subpath != NULL)
		*subpath = NULL;
	if ((id = strndup(spec, colon != NULL && subpath != NULL ?
	    (size_t)(colon - spec) : strlen(spec))) == NULL) {
		warnp("strndup");
		return (EXIT_ERR);
	}
	rc = snapsel_find(ss, f, &id, 1, &v, &n);
	free(id);
	if (rc != EXIT_OK)
		return (rc);
	if (subpath != NULL && colon != NULL &&
	    (*subpath = strdup(colon + 1)) == NULL) {
		warnp("strdup");
		snapshot_list_free(v, n);
		return (EXIT_ERR);
	}
	*out = v[0];
	memset(&v[0], 0, sizeof(v[0]));
	snapshot_list_free(v, n);
	return (EXIT_OK);
}

void *
cli_json_bytes(const char *p, size_t n, int *lossy)
{
	json_t *j;
	char *q;
	size_t i, k, o = 0;

	*lossy = 0;
	if ((j = json_stringn(p, n)) != NULL)
		return (j);
	/* Keep valid UTF-8 sequences; anything else becomes U+FFFD. */
	*lossy = 1;
	if (n > SIZE_MAX / 3 || (q = malloc(3 * n + 1)) == NULL)
		return (NULL);
	for (i = 0; i < n; i += k) {
		unsigned char c = (unsigned char)p[i];
		json_t *t;

		k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 :
		    (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (k > 0 && i + k <= n && c != 0 &&
		    (t = json_stringn(p + i, k)) != NULL) {
			json_decref(t);
			memcpy(q + o, p + i, k);
			o += k;
			continue;
		}
		memcpy(q + o, "\xef\xbf\xbd", 3);
		o += 3;
		k = 1;
	}
	j = json_stringn(q, o);
	free(q);
	return (j);
}
