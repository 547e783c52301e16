/*
 * Retention policies (see policy.h for the rules).  Pure logic over
 * snapshot metadata: nothing here touches a repository, so it is tested
 * on its own (tests/unit/test_policy.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/warnp.h"

#include "filter.h"
#include "policy.h"

static const char *count_name[POLICY_NCOUNT] = {
	"last", "hourly", "daily", "weekly", "monthly", "yearly"
};

int
policy_parse_duration(const char *s, struct policy_duration *d)
{
	const char *p = s;
	long v;
	char *end;

	memset(d, 0, sizeof(*d));
	if (*p == '\0') {
		warn0("invalid duration \"\": expected e.g. 1y2m3d4h");
		return (-1);
	}
	while (*p != '\0') {
		if (*p < '0' || *p > '9') {
			warn0("invalid duration \"%s\": expected a number at "
			    "\"%s\" (durations look like 1y2m3d4h)", s, p);
			return (-1);
		}
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno != 0 || v > 1000000) {
			warn0("invalid duration \"%s\": number too large", s);
			return (-1);
		}
		switch (*end) {
		case 'y':
			d->years += (int)v;
			break;
		case 'm':
			d->months += (int)v;
			break;
		case 'd':
			d->days += (int)v;
			break;
		case 'h':
			d->hours += (int)v;
			break;
		case '\0':
			warn0("invalid duration \"%s\": no unit after %ld "
			    "(use y, m, d or h)", s, v);
			return (-1);
		default:
			warn0("invalid duration \"%s\": unknown unit '%c' "
			    "(use y, m, d or h)", s, *end);
			return (-1);
		}
		p = end + 1;
	}
	return (0);
}

int
policy_parse_count(const char *s, int *n)
{
	char *end;
	long v;

	if (strcmp(s, "unlimited") == 0) {
		*n = POLICY_UNLIMITED;
		return (0);
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v > INT_MAX) {
		warn0("invalid count \"%s\": expected a number or "
		    "\"unlimited\"", s);
		return (-1);
	}
	*n = (int)v;
	return (0);
}

static int
duration_zero(const struct policy_duration *d)
{

	return (d->years == 0 && d->months == 0 && d->days == 0 &&
	    d->hours == 0);
}

void
policy_duration_str(const struct policy_duration *d, char *buf, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	if (d->years && o < n)
		o += (size_t)snprintf(buf + o, n - o, "%dy", d->years);
	if (d->months && o < n)
		o += (size_t)snprintf(buf + o, n - o, "%dm", d->months);
	if (d->days && o < n)
		o += (size_t)snprintf(buf + o, n - o, "%dd", d->days);
	if ((d->hours || o == 0) && o < n)
		snprintf(buf + o, n - o, "%dh", d->hours);
}

int
policy_empty(const struct policy *p)
{
	int i;

	for (i = 0; i < POLICY_NCOUNT; i++)
		if (p->count[i] != 0)
			return (0);
	for (i = 0; i < POLICY_NWITHIN; i++)
		if (!duration_zero(&p->within[i]))
			return (0);
	return (p->ntags == 0);
}

/* Append to buf (always terminated; silently cut when full). */
static void
cat(char *buf, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cat(char *buf, size_t n, const char *fmt, ...)
{
	size_t o = strlen(buf);
	va_list ap;

	if (o + 1 >= n)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + o, n - o, fmt, ap);
	va_end(ap);
}

void
policy_describe(const struct policy *p, char *buf, size_t n)
{
	char d[64];
	int i, any = 0;
	size_t k;

	snprintf(buf, n, "keep");
	for (i = 0; i < POLICY_NCOUNT; i++) {
		if (p->count[i] == 0)
			continue;
		cat(buf, n, "%s ", any ? "," : "");
		if (p->count[i] == POLICY_UNLIMITED)
			cat(buf, n, "all %s", count_name[i]);
		else
			cat(buf, n, "%d %s", p->count[i], i == POLICY_LAST ?
			    "latest" : count_name[i]);
		any = 1;
	}
	if (any)
		cat(buf, n, " snapshots");
	for (i = 1; i < POLICY_NWITHIN; i++) {
		if (duration_zero(&p->within[i]))
			continue;
		policy_duration_str(&p->within[i], d, sizeof(d));
		cat(buf, n, "%s %s snapshots within %s", any ? "," : "",
		    count_name[i], d);
		any = 1;
	}
	if (p->ntags > 0) {
		cat(buf, n, "%s all snapshots with tags", any ? " and" : "");
		for (k = 0; k < p->ntags; k++)
			cat(buf, n, "%s [%s]", k ? " or" : "", p->tags[k]);
		any = 1;
	}
	if (!duration_zero(&p->within[0])) {
		policy_duration_str(&p->within[0], d, sizeof(d));
		cat(buf, n, "%s all snapshots within %s of the newest",
		    any ? " and" : "", d);
	}
}

/* The period a time falls in for a count rule (local time). */
static int64_t
bucket(int rule, int64_t t, size_t nr)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char b[16];
	int64_t y, m, d, h;

	if (rule == POLICY_LAST)
		return ((int64_t)nr);
	localtime_r(&tt, &tm);
	y = tm.tm_year + 1900;
	m = tm.tm_mon + 1;
	d = tm.tm_mday;
	h = tm.tm_hour;
	switch (rule) {
	case POLICY_HOURLY:
		return (((y * 100 + m) * 100 + d) * 100 + h);
	case POLICY_DAILY:
		return ((y * 100 + m) * 100 + d);
	case POLICY_WEEKLY:
		/* ISO 8601 week-numbering year and week. */
		strftime(b, sizeof(b), "%G%V", &tm);
		return (strtoll(b, NULL, 10));
	case POLICY_MONTHLY:
		return (y * 100 + m);
	default:
		return (y);
	}
}

/* latest - d, with calendar arithmetic in local time (as Go's AddDate). */
static int64_t
minus(int64_t latest, const struct policy_duration *d)
{
	time_t t = (time_t)latest;
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_year -= d->years;
	tm.tm_mon -= d->months;
	tm.tm_mday -= d->days;
	tm.tm_isdst = -1;
	t = mktime(&tm);
	return ((int64_t)t - (int64_t)d->hours * 3600);
}

/* Newest first: time descending, then id descending. */
static const struct snapshot *sortv;

static int
newest_first(const void *a, const void *b)
{
	const struct snapshot *x = &sortv[*(const size_t *)a];
	const struct snapshot *y = &sortv[*(const size_t *)b];

	if (x->time_sec != y->time_sec)
		return (x->time_sec > y->time_sec ? -1 : 1);
	if (x->time_nsec != y->time_nsec)
		return (x->time_nsec > y->time_nsec ? -1 : 1);
	return (-memcmp(x->id, y->id, 32));
}

/* Is s strictly after (sec, nsec)? */
static int
after(const struct snapshot *s, int64_t sec, uint32_t nsec)
{

	return (s->time_sec > sec || (s->time_sec == sec &&
	    s->time_nsec > nsec));
}

int
policy_apply(const struct policy *p, const struct snapshot *v, size_t n,
    int64_t now, struct policy_why *why)
{
	int64_t last[POLICY_NCOUNT], wlast[POLICY_NWITHIN];
	int64_t limit[POLICY_NWITHIN], val, lsec = INT64_MIN;
	uint32_t lnsec = 0;
	int left[POLICY_NCOUNT];
	size_t *ord, nr, i, k;
	int empty = policy_empty(p);

	memset(why, 0, n * sizeof(*why));
	if (n == 0)
		return (0);
	if ((ord = malloc(n * sizeof(*ord))) == NULL) {
		warnp("malloc");
		return (-1);
	}
	for (i = 0; i < n; i++)
		ord[i] = i;
	sortv = v;
	qsort(ord, n, sizeof(*ord), newest_first);
	sortv = NULL;

	/* The newest snapshot that is not in the future. */
	for (i = 0; i < n; i++)
		if (v[ord[i]].time_sec < now) {
			lsec = v[ord[i]].time_sec;
			lnsec = v[ord[i]].time_nsec;
			break;
		}
	for (i = 0; i < POLICY_NWITHIN; i++) {
		wlast[i] = -1;
		limit[i] = lsec == INT64_MIN ? INT64_MIN :
		    minus(lsec, &p->within[i]);
	}
	for (i = 0; i < POLICY_NCOUNT; i++) {
		last[i] = -1;
		left[i] = p->count[i];
	}

	for (nr = 0; nr < n; nr++) {
		const struct snapshot *s = &v[ord[nr]];
		struct policy_why *w = &why[ord[nr]];

		if (empty)
			w->keep = 1;
		for (k = 0; k < p->ntags && k < POLICY_MAX_TAGLISTS; k++)
			if (snapfilter_has_tags(s, p->tags[k]))
				w->tags |= (uint64_t)1 << k;
		if (!duration_zero(&p->within[0]) &&
		    (limit[0] == INT64_MIN || after(s, limit[0], lnsec)))
			w->within |= 1;
		for (i = 0; i < POLICY_NCOUNT; i++) {
			if (left[i] == 0)
				continue;
			val = bucket((int)i, s->time_sec, nr);
			if (val == last[i] && nr != n - 1)
				continue;
			/* A new period, or the oldest with counts left. */
			w->count |= 1u << i;
			if (val == last[i])
				w->oldest |= 1u << i;
			last[i] = val;
			if (left[i] > 0)
				left[i]--;
		}
		for (i = 1; i < POLICY_NWITHIN; i++) {
			if (duration_zero(&p->within[i]) ||
			    (limit[i] != INT64_MIN &&
			    !after(s, limit[i], lnsec)))
				continue;
			val = bucket((int)i, s->time_sec, nr);
			if (val == wlast[i])
				continue;
			w->within |= 1u << i;
			wlast[i] = val;
		}
		memcpy(w->left, left, sizeof(left));
		if (w->count || w->within || w->tags)
			w->keep = 1;
	}
	free(ord);
	return (0);
}

void
policy_reasons(const struct policy *p, const struct policy_why *w,
    char *buf, size_t n)
{
	char d[64];
	const char *sep = "";
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < POLICY_NCOUNT; i++) {
		if (!(w->count & (1u << i)))
			continue;
		cat(buf, n, "%s%s%s snapshot", sep,
		    (w->oldest & (1u << i)) ? "oldest " : "", count_name[i]);
		sep = ", ";
	}
	for (i = 0; i < POLICY_NWITHIN; i++) {
		if (!(w->within & (1u << i)))
			continue;
		policy_duration_str(&p->within[i], d, sizeof(d));
		if (i == 0)
			cat(buf, n, "%swithin %s", sep, d);
		else
			cat(buf, n, "%s%s within %s", sep, count_name[i], d);
		sep = ", ";
	}
	for (i = 0; i < p->ntags && i < POLICY_MAX_TAGLISTS; i++) {
		if (!(w->tags & ((uint64_t)1 << i)))
			continue;
		cat(buf, n, "%shas tags [%s]", sep, p->tags[i]);
		sep = ", ";
	}
	if (buf[0] == '\0' && w->keep)
		cat(buf, n, "policy is empty");
}

int
policy_parse_groupby(const char *s, unsigned *by)
{
	const char *p = s, *e;
	size_t len;

	*by = 0;
	while (*p != '\0') {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		len = (size_t)(e - p);
		if (len == 4 && strncmp(p, "host", 4) == 0)
			*by |= POLICY_GROUP_HOST;
		else if (len == 5 && strncmp(p, "paths", 5) == 0)
			*by |= POLICY_GROUP_PATHS;
		else if (len == 4 && strncmp(p, "tags", 4) == 0)
			*by |= POLICY_GROUP_TAGS;
		else if (len != 0) {
			warn0("invalid --group-by \"%s\": unknown field "
			    "\"%.*s\" (use host, paths, tags)", s, (int)len,
			    p);
			return (-1);
		}
		p = (*e == ',') ? e + 1 : e;
	}
	return (0);
}

/* Does every string of a occur in b? */
static int
subset(char **a, size_t na, char **b, size_t nb)
{
	size_t i, k;

	for (i = 0; i < na; i++) {
		for (k = 0; k < nb; k++)
			if (strcmp(a[i], b[k]) == 0)
				break;
		if (k == nb)
			return (0);
	}
	return (1);
}

static int
same_set(char **a, size_t na, char **b, size_t nb)
{

	return (subset(a, na, b, nb) && subset(b, nb, a, na));
}

int
policy_same_group(const struct snapshot *a, const struct snapshot *b,
    unsigned by)
{

	if ((by & POLICY_GROUP_HOST) && strcmp(a->hostname, b->hostname) != 0)
		return (0);
	if ((by & POLICY_GROUP_PATHS) &&
	    !same_set(a->paths, a->npaths, b->paths, b->npaths))
		return (0);
	if ((by & POLICY_GROUP_TAGS) &&
	    !same_set(a->tags, a->ntags, b->tags, b->ntags))
		return (0);
	return (1);
}

int
policy_group(const struct snapshot *v, size_t n, unsigned by, size_t *g,
    size_t *ng)
{
	size_t *rep, i, k;

	*ng = 0;
	if ((rep = malloc((n ? n : 1) * sizeof(*rep))) == NULL) {
		warnp("malloc");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		/* Compare with the first snapshot of each group so far. */
		for (k = 0; k < *ng; k++)
			if (policy_same_group(&v[rep[k]], &v[i], by))
				break;
		if (k == *ng)
			rep[(*ng)++] = i;
		g[i] = k;
	}
	free(rep);
	return (0);
}
