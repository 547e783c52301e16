#ifndef COFFER_IDCACHE_H
#define COFFER_IDCACHE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A bounded, thread-safe LRU cache of objects named by 32-byte ids (the
 * decrypted, verified blobs and decoded trees a mounted repository serves).
 * An object is loaded once however many threads ask for it at the same
 * time: the first loads, the others wait for its result.  Objects in use
 * are pinned and never evicted; the others are evicted least recently used
 * first once the cache holds more than its byte or entry bound.  A failed
 * load is not remembered: the next request tries again.
 */

struct idcache;
struct idcache_ent;

/*
 * The loader: load the object named id into *val, its size in bytes (for
 * the bound) into *size.  Returns 0, or nonzero (passed on to every
 * waiting idcache_get).  Called without any lock held.
 */
typedef int idcache_load_fn(void *, const uint8_t[32], void **, size_t *);

/* The destructor of a loaded object. */
typedef void idcache_free_fn(void *);

/*
 * idcache_new(maxbytes, maxents, load, fr, cookie): an empty cache holding
 * at most maxbytes bytes (object sizes plus a per-entry overhead) and at
 * most maxents unpinned objects.  NULL on error (reported).
 */
struct idcache *idcache_new(size_t, size_t, idcache_load_fn *,
    idcache_free_fn *, void *);

/*
 * idcache_get(c, id, &e): the object named id, loaded if needed, pinned
 * until idcache_put(c, e).  Returns 0, or the loader's nonzero result (*e
 * is then NULL), or -1 on ENOMEM (reported).
 */
int idcache_get(struct idcache *, const uint8_t[32], struct idcache_ent **);

/* idcache_val(e), idcache_size(e): a pinned entry's object and size. */
void *idcache_val(const struct idcache_ent *);
size_t idcache_size(const struct idcache_ent *);

/* idcache_put(c, e): unpin.  NULL is a no-op. */
void idcache_put(struct idcache *, struct idcache_ent *);

/*
 * idcache_has(c, id): 1 if the object is loaded or being loaded, else 0.
 * (A hint for prefetching: the answer may be stale at once.)
 */
int idcache_has(struct idcache *, const uint8_t[32]);

struct idcache_stats {
	uint64_t hits, misses, waits, evictions;
	size_t bytes, entries;
};

/* idcache_stats(c, st): counters so far. */
void idcache_stats(struct idcache *, struct idcache_stats *);

/* idcache_free(c): free every object; none may be pinned.  NULL: no-op. */
void idcache_free(struct idcache *);

#endif
