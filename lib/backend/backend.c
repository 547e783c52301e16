#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/warnp.h"

#include "backend.h"

static const char *type_names[OBJ_NTYPES] = {
	"config", "keys", "data", "index", "snapshots", "locks"
};

const char *
backend_type_name(enum obj_type t)
{

	return ((unsigned)t < OBJ_NTYPES ? type_names[t] : "?");
}

int
backend_valid_name(const char *name)
{
	size_t i;

	for (i = 0; i < 64; i++) {
		if (!((name[i] >= '0' && name[i] <= '9') ||
		    (name[i] >= 'a' && name[i] <= 'f')))
			return (0);
	}
	return (name[64] == '\0');
}

struct backend *
backend_open(const char *location)
{

	if (strncmp(location, "rest:", 5) == 0)
		return (backend_rest_open(location + 5));
	if (strncmp(location, "s3:", 3) == 0)
		return (backend_s3_open(location + 3));
	return (backend_local_open(location));
}

void
backend_free(struct backend *b)
{

	if (b == NULL)
		return;
	b->ops->free(b->impl);
	free(b->location);
	free(b);
}

int
backend_create(struct backend *b)
{

	return (b->ops->create(b->impl));
}

/* Tell the observer, if any, of a change to a key slot or snapshot. */
static void
observe(struct backend *b, int removed, enum obj_type t, const char *name)
{

	if (b->observe != NULL && (t == OBJ_KEY || t == OBJ_SNAPSHOT))
		b->observe(b->observe_cookie, removed, t, name);
}

int
backend_put(struct backend *b, enum obj_type t, const char *name,
    const uint8_t *p, size_t len)
{
	int rc;

	if ((rc = b->ops->put(b->impl, t, name, p, len)) == 0)
		observe(b, 0, t, name);
	return (rc);
}

int
backend_get(struct backend *b, enum obj_type t, const char *name,
    struct buf *out)
{

	out->len = 0;
	return (b->ops->get(b->impl, t, name, out));
}

int
backend_get_range(struct backend *b, enum obj_type t, const char *name,
    uint64_t off, size_t len, uint8_t *out)
{

	return (b->ops->get_range(b->impl, t, name, off, len, out));
}

int
backend_stat(struct backend *b, enum obj_type t, const char *name,
    uint64_t *size)
{

	return (b->ops->stat(b->impl, t, name, size));
}

int
backend_list(struct backend *b, enum obj_type t, backend_list_cb *cb,
    void *cookie)
{

	return (b->ops->list(b->impl, t, cb, cookie));
}

int
backend_remove(struct backend *b, enum obj_type t, const char *name)
{
	int rc;

	if ((rc = b->ops->remove(b->impl, t, name)) == 0)
		observe(b, 1, t, name);
	return (rc);
}
