/*
 * Snapshot directory names (see snapname.h).  Names are given in time
 * order, so a name taken is always taken by an earlier snapshot of the
 * same second (the UTC offset is part of the name).  Short ids are checked
 * for clashes on the ids sorted, where any two sharing a prefix are next
 * to each other.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/warnp.h"

#include "snapname.h"

void
snapname_time(const struct snapshot *s, char *buf, size_t len)
{
	time_t t = (time_t)s->time_sec;
	struct tm tm;
	long off;
	size_t n;

	if ((int64_t)t != s->time_sec || localtime_r(&t, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0 ||
	    len - n < 7) {
		snprintf(buf, len, "@%lld", (long long)s->time_sec);
		return;
	}
	off = tm.tm_gmtoff / 60;
	if (off == 0)
		snprintf(buf + n, len - n, "Z");
	else
		snprintf(buf + n, len - n, "%c%02ld:%02ld", off < 0 ? '-' : '+',
		    labs(off) / 60, labs(off) % 60);
}

static int
idcmp(const void *a, const void *b)
{
	const struct snapshot *x = **(const struct snapshot *const *const *)a;
	const struct snapshot *y = **(const struct snapshot *const *const *)b;

	return (memcmp(x->id, y->id, 32));
}

int
snapname_assign(const struct snapshot *const *v, size_t n,
    char *const *names, char *const *shortids)
{
	const struct snapshot *const **by;
	char base[40], hex[2][65];
	size_t i, j, k;
	int dup;

	for (i = 0; i < n; i++) {
		snapname_time(v[i], base, sizeof(base));
		for (k = 0;; k++) {
			if (k == 0)
				snprintf(names[i], SNAPNAME_MAX, "%s", base);
			else
				snprintf(names[i], SNAPNAME_MAX, "%s-%zu", base,
				    k);
			dup = 0;
			for (j = i; j-- > 0 && !dup &&
			    v[j]->time_sec == v[i]->time_sec;)
				dup = strcmp(names[j], names[i]) == 0;
			if (!dup)
				break;
		}
	}
	if (n == 0)
		return (0);
	/* Pointers into v, sorted by id; v[by[i] - v] is the snapshot. */
	if ((by = malloc(n * sizeof(*by))) == NULL) {
		warnp("malloc");
		return (-1);
	}
	for (i = 0; i < n; i++)
		by[i] = &v[i];
	qsort(by, n, sizeof(*by), idcmp);
	for (i = 0; i < n; i++) {
		hex_encode((*by[i])->id, 32, hex[0]);
		dup = 0;
		if (i > 0) {
			hex_encode((*by[i - 1])->id, 32, hex[1]);
			dup |= strncmp(hex[0], hex[1], SNAPNAME_SHORT) == 0;
		}
		if (i + 1 < n) {
			hex_encode((*by[i + 1])->id, 32, hex[1]);
			dup |= strncmp(hex[0], hex[1], SNAPNAME_SHORT) == 0;
		}
		snprintf(shortids[by[i] - v], 65, "%.*s",
		    dup ? 64 : SNAPNAME_SHORT, hex[0]);
	}
	free(by);
	return (0);
}

char *
snapname_fs(const char *s)
{
	char *p;
	size_t i, n = strlen(s);

	if (n > 255)
		n = 255;
	if ((p = malloc(n + 2)) == NULL) {
		warnp("malloc");
		return (NULL);
	}
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		p[0] = '_';
		memcpy(p + 1, s, n + 1);
		return (p);
	}
	for (i = 0; i < n; i++)
		p[i] = (s[i] == '/') ? '_' : s[i];
	p[n] = '\0';
	return (p);
}
