#include <stdlib.h>
#include <string.h>

#include "pack/pack.h"
#include "util/warnp.h"

#include "adopt.h"

struct adopt {
	struct repo *r;
	struct index *ix;
	uint8_t (*known)[32];
	size_t nknown;
	size_t adopted;
};

static int
idcmp(const void *a, const void *b)
{

	return (memcmp(a, b, 32));
}

/*
 * Read, verify and index one orphan pack: the whole pack is read so its
 * hash is checked against its name, and its header authenticated, before
 * any of its blobs are trusted for deduplication.  0, or -1 on a system
 * error (a damaged pack is skipped, and check reports it).
 */
static int
adopt_one(struct adopt *a, const char *name, const uint8_t id[32],
    uint64_t size)
{
	struct pack_entry *e = NULL;
	struct buf b = BUF_INIT;
	uint8_t h[32];
	size_t n;
	int rc;

	if (size < PACK_SALT_LEN + PACK_LOCATOR_LEN ||
	    size > 2 * (uint64_t)PACK_MAX_BLOB)
		return (0);
	if ((rc = backend_get(a->r->be, OBJ_DATA, name, &b)) != 0)
		goto done;
	crypto_sha256(b.data, b.len, h);
	if (memcmp(h, id, 32) != 0)
		goto done;
	if ((rc = pack_parse(a->r, b.data, b.len, &e, &n)) == 0 &&
	    (rc = index_add_pack(a->ix, id, b.data, e, n)) == 0)
		a->adopted++;
done:
	free(e);
	buf_release(&b);
	return (rc < 0 ? -1 : 0);
}

static int
list_cb(void *cookie, const char *name, uint64_t size)
{
	struct adopt *a = cookie;
	uint8_t id[32];

	if (hex_decode(name, id, 32) != 0)
		return (0);
	if (a->nknown > 0 &&
	    bsearch(id, a->known, a->nknown, 32, idcmp) != NULL)
		return (0);
	return (adopt_one(a, name, id, size));
}

int
adopt_orphans(struct repo *r, struct index *ix, size_t *np)
{
	struct adopt a;
	size_t i;
	int rc;

	memset(&a, 0, sizeof(a));
	a.r = r;
	a.ix = ix;
	a.nknown = index_npacks(ix);
	if ((a.known = malloc((a.nknown ? a.nknown : 1) * 32)) == NULL) {
		warnp("malloc");
		return (-1);
	}
	for (i = 0; i < a.nknown; i++)
		memcpy(a.known[i], index_pack(ix, i)->id, 32);
	if (a.nknown > 1)
		qsort(a.known, a.nknown, 32, idcmp);
	rc = backend_list(r->be, OBJ_DATA, list_cb, &a);
	free(a.known);
	*np = a.adopted;
	return (rc < 0 ? -1 : 0);
}
