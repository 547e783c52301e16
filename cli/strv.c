/*
 * Vectors of strings for the options of commands (strv.h).
 */
#include <stdlib.h>
#include <string.h>

#include "util/warnp.h"

#include "strv.h"

int
strv_addn(struct strv *s, const char *x, size_t len)
{
	char **nv;

	if ((nv = realloc(s->v, (s->n + 1) * sizeof(*nv))) == NULL)
		goto nomem;
	s->v = nv;
	if ((nv[s->n] = strndup(x, len)) == NULL)
		goto nomem;
	s->n++;
	return (0);
nomem:
	warnp("realloc");
	return (-1);
}

int
strv_add(struct strv *s, const char *x)
{

	return (strv_addn(s, x, strlen(x)));
}

int
strv_has(const struct strv *s, const char *x)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->v[i], x) == 0)
			return (1);
	return (0);
}

void
strv_free(struct strv *s)
{

	while (s->n > 0)
		free(s->v[--s->n]);
	free(s->v);
	s->v = NULL;
}
