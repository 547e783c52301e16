#ifndef COFFER_IDSET_H
#define COFFER_IDSET_H

#include <stddef.h>
#include <stdint.h>

/*
 * A set of 32-byte ids (blob, tree or pack ids: keyed hashes, so their
 * first bytes are already uniformly distributed and serve as the hash).
 * Open addressing with linear probing, at most half full: 64 bytes per
 * id (plus twice the value length for a map).
 */
struct idset;

/* idset_new(): an empty set, or NULL on ENOMEM (reported). */
struct idset *idset_new(void);

/*
 * idset_new_map(vlen): an empty set whose every id carries a value of vlen
 * bytes (zeroed when the id is added): a map.  NULL on ENOMEM.
 */
struct idset *idset_new_map(size_t);

/*
 * idset_value(s, id): the value of id in a map, or NULL if id is not in
 * it.  Valid until the next idset_add.
 */
void *idset_value(const struct idset *, const uint8_t[32]);

/*
 * idset_add(s, id): add id.  Returns 1 if it was not in the set, 0 if it
 * was, -1 on ENOMEM (reported).
 */
int idset_add(struct idset *, const uint8_t[32]);

/* idset_has(s, id): 1 if id is in the set, else 0. */
int idset_has(const struct idset *, const uint8_t[32]);

/* idset_count(s): the number of ids. */
size_t idset_count(const struct idset *);

/*
 * idset_foreach(s, cb, cookie): cb(cookie, id) for every id, in no
 * particular order; stops at and returns the first nonzero cb result.
 */
int idset_foreach(const struct idset *, int (*)(void *, const uint8_t *),
    void *);

/* idset_free(s): NULL is a no-op. */
void idset_free(struct idset *);

#endif
