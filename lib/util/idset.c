#include <stdlib.h>
#include <string.h>

#include "util/warnp.h"

#include "idset.h"

struct idset {
	uint8_t (*slot)[32];
	uint8_t *used;
	uint8_t *val;		/* cap * vlen bytes, for a map */
	size_t vlen;
	size_t cap;		/* a power of two */
	size_t n;
};

struct idset *
idset_new(void)
{
	struct idset *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("calloc");
		return (NULL);
	}
	return (s);
}

struct idset *
idset_new_map(size_t vlen)
{
	struct idset *s;

	if ((s = idset_new()) != NULL)
		s->vlen = vlen;
	return (s);
}

static size_t
hash(const uint8_t id[32], size_t cap)
{
	uint64_t h;

	memcpy(&h, id, sizeof(h));
	return ((size_t)h & (cap - 1));
}

/* Where id is, or the free slot where it would go. */
static size_t
probe(const struct idset *s, const uint8_t id[32])
{
	size_t i = hash(id, s->cap);

	while (s->used[i] && memcmp(s->slot[i], id, 32) != 0)
		i = (i + 1) & (s->cap - 1);
	return (i);
}

static int
grow(struct idset *s)
{
	struct idset t;
	size_t i, k;

	memset(&t, 0, sizeof(t));
	t.cap = s->cap ? s->cap * 2 : 1024;
	t.n = s->n;
	t.vlen = s->vlen;
	if (t.cap > SIZE_MAX / 32 / (t.vlen + 1) ||
	    (t.slot = malloc(t.cap * 32)) == NULL ||
	    (t.used = calloc(t.cap, 1)) == NULL ||
	    (t.vlen > 0 && (t.val = calloc(t.cap, t.vlen)) == NULL)) {
		free(t.slot);
		free(t.used);
		warnp("cannot grow a set of %zu ids", s->n);
		return (-1);
	}
	for (i = 0; i < s->cap; i++) {
		if (!s->used[i])
			continue;
		k = probe(&t, s->slot[i]);
		memcpy(t.slot[k], s->slot[i], 32);
		t.used[k] = 1;
		if (t.vlen > 0)
			memcpy(t.val + k * t.vlen, s->val + i * s->vlen,
			    t.vlen);
	}
	free(s->slot);
	free(s->used);
	free(s->val);
	*s = t;
	return (0);
}

int
idset_add(struct idset *s, const uint8_t id[32])
{
	size_t i;

	if ((s->n + 1) * 2 > s->cap && grow(s))
		return (-1);
	i = probe(s, id);
	if (s->used[i])
		return (0);
	memcpy(s->slot[i], id, 32);
	s->used[i] = 1;
	s->n++;
	return (1);
}

void *
idset_value(const struct idset *s, const uint8_t id[32])
{
	size_t i;

	if (s->cap == 0 || s->vlen == 0 || !s->used[i = probe(s, id)])
		return (NULL);
	return (s->val + i * s->vlen);
}

int
idset_has(const struct idset *s, const uint8_t id[32])
{

	return (s->cap > 0 && s->used[probe(s, id)]);
}

size_t
idset_count(const struct idset *s)
{

	return (s->n);
}

int
idset_foreach(const struct idset *s, int (*cb)(void *, const uint8_t *),
    void *cookie)
{
	size_t i;
	int rc;

	for (i = 0; i < s->cap; i++)
		if (s->used[i] && (rc = cb(cookie, s->slot[i])) != 0)
			return (rc);
	return (0);
}

void
idset_free(struct idset *s)
{

	if (s == NULL)
		return;
	free(s->slot);
	free(s->used);
	free(s->val);
	free(s);
}
