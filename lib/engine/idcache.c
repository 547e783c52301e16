/*
 * The id cache: a chained hash table of entries, and a doubly linked LRU
 * list of the entries that are loaded and not pinned (most recent at the
 * head).  One mutex guards everything; loaders run outside it, and
 * threads waiting for a load in progress sleep on one condition variable.
 *
 * An entry's life: LOADING (hashed, pinned by its loader and its waiters),
 * then READY (hashed; on the LRU list whenever nobody pins it) or FAILED
 * (unhashed at once, freed by the last of its waiters).  Eviction takes
 * READY entries from the LRU tail only, so a pinned object is never freed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/warnp.h"

#include "idcache.h"

#define NBUCKETS	8192	/* power of two */
#define ENT_OVERHEAD	128	/* bytes charged per entry beyond the object */

enum { LOADING, READY, FAILED };

struct idcache_ent {
	uint8_t id[32];
	void *val;
	size_t size;
	unsigned refs;
	int state;
	int rc;			/* FAILED: the loader's result */
	struct idcache_ent *hnext;
	struct idcache_ent *prev, *next;	/* LRU list */
};

struct idcache {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct idcache_ent *b[NBUCKETS];
	struct idcache_ent *head, *tail;	/* LRU: head is newest */
	size_t bytes, maxbytes, nlru, maxents, nents;
	idcache_load_fn *load;
	idcache_free_fn *fr;
	void *cookie;
	struct idcache_stats st;
};

struct idcache *
idcache_new(size_t maxbytes, size_t maxents, idcache_load_fn *load,
    idcache_free_fn *fr, void *cookie)
{
	struct idcache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		warnp("calloc");
		return (NULL);
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->maxbytes = maxbytes;
	c->maxents = maxents > 0 ? maxents : 1;
	c->load = load;
	c->fr = fr;
	c->cookie = cookie;
	return (c);
}

/* Ids are keyed MACs or hashes: any 8 bytes are uniformly distributed. */
static struct idcache_ent **
bucket(struct idcache *c, const uint8_t id[32])
{

	return (&c->b[le64dec(id) & (NBUCKETS - 1)]);
}

static struct idcache_ent *
find(struct idcache *c, const uint8_t id[32])
{
	struct idcache_ent *e;

	for (e = *bucket(c, id); e != NULL; e = e->hnext)
		if (memcmp(e->id, id, 32) == 0)
			return (e);
	return (NULL);
}

static void
unhash(struct idcache *c, struct idcache_ent *e)
{
	struct idcache_ent **p;

	for (p = bucket(c, e->id); *p != NULL; p = &(*p)->hnext)
		if (*p == e) {
			*p = e->hnext;
			c->nents--;
			return;
		}
}

static void
lru_unlink(struct idcache *c, struct idcache_ent *e)
{

	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
	c->nlru--;
}

static void
lru_push(struct idcache *c, struct idcache_ent *e)
{

	e->prev = NULL;
	e->next = c->head;
	if (c->head != NULL)
		c->head->prev = e;
	else
		c->tail = e;
	c->head = e;
	c->nlru++;
}

/* Drop unpinned objects, oldest first, until the cache is within bounds. */
static void
evict(struct idcache *c)
{
	struct idcache_ent *e;

	while (c->tail != NULL &&
	    (c->bytes > c->maxbytes || c->nlru > c->maxents)) {
		e = c->tail;
		lru_unlink(c, e);
		unhash(c, e);
		c->bytes -= e->size + ENT_OVERHEAD;
		c->st.evictions++;
		c->fr(e->val);
		free(e);
	}
}

/* Load e (pinned by us, LOADING) and publish the result.  Lock held. */
static int
load_locked(struct idcache *c, struct idcache_ent *e)
{
	void *val = NULL;
	size_t size = 0;
	int rc;

	pthread_mutex_unlock(&c->mu);
	rc = c->load(c->cookie, e->id, &val, &size);
	pthread_mutex_lock(&c->mu);
	if (rc == 0) {
		e->val = val;
		e->size = size;
		e->state = READY;
		c->bytes += size + ENT_OVERHEAD;
	} else {
		e->state = FAILED;
		e->rc = rc;
		unhash(c, e);
	}
	pthread_cond_broadcast(&c->cv);
	return (rc);
}

int
idcache_get(struct idcache *c, const uint8_t id[32], struct idcache_ent **ep)
{
	struct idcache_ent *e;
	int rc = 0;

	*ep = NULL;
	pthread_mutex_lock(&c->mu);
	if ((e = find(c, id)) != NULL) {
		if (e->state == READY && e->refs == 0)
			lru_unlink(c, e);
		e->refs++;
		if (e->state == LOADING) {
			c->st.waits++;
			while (e->state == LOADING)
				pthread_cond_wait(&c->cv, &c->mu);
		} else
			c->st.hits++;
	} else {
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			pthread_mutex_unlock(&c->mu);
			warnp("calloc");
			return (-1);
		}
		memcpy(e->id, id, 32);
		e->state = LOADING;
		e->refs = 1;
		e->hnext = *bucket(c, id);
		*bucket(c, id) = e;
		c->nents++;
		c->st.misses++;
		load_locked(c, e);
	}
	if (e->state == FAILED) {
		rc = e->rc;
		if (--e->refs == 0)
			free(e);
	} else
		*ep = e;
	pthread_mutex_unlock(&c->mu);
	return (rc);
}

void *
idcache_val(const struct idcache_ent *e)
{

	return (e->val);
}

size_t
idcache_size(const struct idcache_ent *e)
{

	return (e->size);
}

void
idcache_put(struct idcache *c, struct idcache_ent *e)
{

	if (e == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	if (--e->refs == 0) {
		lru_push(c, e);
		evict(c);
	}
	pthread_mutex_unlock(&c->mu);
}

int
idcache_has(struct idcache *c, const uint8_t id[32])
{
	int has;

	pthread_mutex_lock(&c->mu);
	has = find(c, id) != NULL;
	pthread_mutex_unlock(&c->mu);
	return (has);
}

void
idcache_stats(struct idcache *c, struct idcache_stats *st)
{

	pthread_mutex_lock(&c->mu);
	*st = c->st;
	st->bytes = c->bytes;
	st->entries = c->nents;
	pthread_mutex_unlock(&c->mu);
}

void
idcache_free(struct idcache *c)
{
	struct idcache_ent *e, *n;
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < NBUCKETS; i++)
		for (e = c->b[i]; e != NULL; e = n) {
			n = e->hnext;
			c->fr(e->val);
			free(e);
		}
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c);
}
