/*
 * Snapshot filters (--host, --tag, --path), shared by the commands that
 * work on a set of snapshots.
 */
#include <stdlib.h>
#include <string.h>

#include "util/warnp.h"

#include "filter.h"

void
snapfilter_init(struct snapfilter *f)
{

	memset(f, 0, sizeof(*f));
}

static int
push(char ***vp, size_t *np, const char *s)
{
	char **nv;

	if ((nv = realloc(*vp, (*np + 1) * sizeof(*nv))) == NULL) {
		warnp("realloc");
		return (-1);
	}
	*vp = nv;
	if ((nv[*np] = strdup(s)) == NULL) {
		warnp("strdup");
		return (-1);
	}
	(*np)++;
	return (0);
}

int
snapfilter_add_host(struct snapfilter *f, const char *h)
{

	return (push(&f->hosts, &f->nhosts, h));
}

int
snapfilter_add_tags(struct snapfilter *f, const char *list)
{

	return (push(&f->tags, &f->ntags, list));
}

int
snapfilter_add_path(struct snapfilter *f, const char *p)
{
	size_t n;

	if (push(&f->paths, &f->npaths, p))
		return (-1);
	/* "/a/b/" names the same path as "/a/b"; "/" stays. */
	p = f->paths[f->npaths - 1];
	for (n = strlen(p); n > 1 && p[n - 1] == '/'; n--)
		f->paths[f->npaths - 1][n - 1] = '\0';
	return (0);
}

static int
has_tag(const struct snapshot *s, const char *t, size_t len)
{
	size_t i;

	for (i = 0; i < s->ntags; i++)
		if (strlen(s->tags[i]) == len &&
		    memcmp(s->tags[i], t, len) == 0)
			return (1);
	return (0);
}

int
snapfilter_has_tags(const struct snapshot *s, const char *list)
{
	const char *p = list, *e;
	size_t len;

	while (*p != '\0') {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (len > 0 && !has_tag(s, p, len))
			return (0);
		p = (*e == ',') ? e + 1 : e;
	}
	return (1);
}

int
snapfilter_match(const struct snapfilter *f, const struct snapshot *s)
{
	size_t i, k;
	int ok;

	if (f->nhosts > 0) {
		for (ok = 0, i = 0; i < f->nhosts && !ok; i++)
			ok = (strcmp(f->hosts[i], s->hostname) == 0);
		if (!ok)
			return (0);
	}
	if (f->ntags > 0) {
		for (ok = 0, i = 0; i < f->ntags && !ok; i++)
			ok = snapfilter_has_tags(s, f->tags[i]);
		if (!ok)
			return (0);
	}
	for (i = 0; i < f->npaths; i++) {
		for (ok = 0, k = 0; k < s->npaths && !ok; k++)
			ok = (strcmp(f->paths[i], s->paths[k]) == 0);
		if (!ok)
			return (0);
	}
	return (1);
}

static void
freev(char **v, size_t n)
{

	while (n > 0)
		free(v[--n]);
	free(v);
}

void
snapfilter_release(struct snapfilter *f)
{

	freev(f->hosts, f->nhosts);
	freev(f->tags, f->ntags);
	freev(f->paths, f->npaths);
	memset(f, 0, sizeof(*f));
}
