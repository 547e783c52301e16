/*
 * Reading blobs.  From a local repository a blob's bytes are read by
 * range.  From a remote one, a range read would tell the server each
 * blob's exact offset and length, a chunk-size fingerprint of the file it
 * belongs to; so whole packs are fetched instead (their hash checked
 * against their name) and kept in a small cache, and blobs are sliced out
 * locally.  Restores read packs in the order backup wrote them, so the
 * cache hits almost always.
 */
#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "util/warnp.h"

#include "blobread.h"

#define PACKCACHE_SLOTS	6

struct pcslot {
	uint8_t id[32];
	struct buf data;
	uint64_t used;		/* LRU clock */
	int valid;
};

static struct {
	pthread_mutex_t mu;
	struct pcslot s[PACKCACHE_SLOTS];
	uint64_t clock;
} pc = { PTHREAD_MUTEX_INITIALIZER, { { { 0 }, BUF_INIT, 0, 0 } }, 0 };

/* Copy a blob's bytes out of a cached pack.  1 if cached, 0 if not. */
static int
pc_copy(const uint8_t pack[32], uint64_t off, size_t len, uint8_t *dst)
{
	int i, hit = 0;

	pthread_mutex_lock(&pc.mu);
	for (i = 0; i < PACKCACHE_SLOTS; i++) {
		struct pcslot *s = &pc.s[i];

		if (!s->valid || memcmp(s->id, pack, 32) != 0)
			continue;
		if (off + len <= s->data.len) {
			memcpy(dst, s->data.data + off, len);
			hit = 1;
		} else
			hit = -1;	/* the pack is shorter: truncated */
		s->used = ++pc.clock;
		break;
	}
	pthread_mutex_unlock(&pc.mu);
	return (hit);
}

/* Take ownership of a downloaded pack into the least recently used slot. */
static void
pc_insert(const uint8_t pack[32], struct buf *b)
{
	struct pcslot *v = NULL;
	int i;

	pthread_mutex_lock(&pc.mu);
	for (i = 0; i < PACKCACHE_SLOTS; i++) {
		struct pcslot *s = &pc.s[i];

		if (s->valid && memcmp(s->id, pack, 32) == 0) {
			v = NULL;	/* another thread was first */
			break;
		}
		if (v == NULL || !s->valid || (v->valid && s->used < v->used))
			v = s;
	}
	if (i == PACKCACHE_SLOTS && v != NULL) {
		buf_release(&v->data);
		memcpy(v->id, pack, 32);
		v->data = *b;
		v->valid = 1;
		v->used = ++pc.clock;
		memset(b, 0, sizeof(*b));
	}
	pthread_mutex_unlock(&pc.mu);
	buf_release(b);
}

/* Fetch a blob's ciphertext from a remote pack.  0, 1, -1. */
static int
remote_read(struct repo *r, const uint8_t pack[32], const char *packhex,
    uint64_t off, size_t len, uint8_t *dst)
{
	struct buf b = BUF_INIT;
	uint8_t h[32];
	int rc;

	if ((rc = pc_copy(pack, off, len, dst)) != 0)
		return (rc > 0 ? 0 : 1);
	if ((rc = backend_get(r->be, OBJ_DATA, packhex, &b)) != 0) {
		buf_release(&b);
		return (rc);
	}
	crypto_sha256(b.data, b.len, h);
	if (memcmp(h, pack, 32) != 0 || off + len > b.len) {
		buf_release(&b);
		return (1);
	}
	memcpy(dst, b.data + off, len);
	pc_insert(pack, &b);
	return (0);
}

int
blob_read(struct repo *r, struct index *ix, const uint8_t id[32],
    uint8_t type, struct buf *out)
{
	uint8_t key[CRYPTO_KEY_LEN], *ct = NULL;
	struct pack_entry pe;
	struct idx_entry e;
	struct idx_pack pk;
	char idhex[65], packhex[65];
	int rc;

	out->len = 0;
	hex_encode(id, 32, idhex);
	if (!index_lookup(ix, id, &e, &pk)) {
		warn0("blob %s: not in the index", idhex);
		return (1);
	}
	hex_encode(pk.id, 32, packhex);
	if (e.type != type) {
		warn0("blob %s: has the wrong type", idhex);
		return (1);
	}
	if ((ct = malloc(e.stored_len)) == NULL) {
		warnp("malloc");
		return (-1);
	}
	if (r->be->remote)
		rc = remote_read(r, pk.id, packhex, e.offset, e.stored_len, ct);
	else
		rc = backend_get_range(r->be, OBJ_DATA, packhex, e.offset,
		    e.stored_len, ct);
	if (rc == 1)
		warn0("blob %s: pack %s is missing, truncated or damaged",
		    idhex, packhex);
	if (rc != 0)
		goto done;
	memcpy(pe.id, id, 32);
	pe.type = e.type;
	pe.flags = e.flags;
	pe.offset = e.offset;
	pe.stored_len = e.stored_len;
	pe.raw_len = e.raw_len;
	if ((rc = pack_key(r, pk.salt, key)) == 0 &&
	    (rc = blob_open(r, key, &pe, ct, out)) == 1)
		warn0("blob %s in pack %s: failed authentication (damaged)",
		    idhex, packhex);
	sodium_memzero(key, sizeof(key));
done:
	free(ct);
	return (rc);
}

void
blob_cache_flush(void)
{
	int i;

	pthread_mutex_lock(&pc.mu);
	for (i = 0; i < PACKCACHE_SLOTS; i++) {
		buf_release(&pc.s[i].data);
		pc.s[i].valid = 0;
	}
	pthread_mutex_unlock(&pc.mu);
}

int
tree_load(struct repo *r, struct index *ix, const uint8_t id[32],
    struct tree *t)
{
	struct buf b = BUF_INIT;
	char idhex[65];
	int rc;

	tree_init(t);
	if ((rc = blob_read(r, ix, id, BLOB_TREE, &b)) == 0 &&
	    (rc = tree_decode(b.data, b.len, t)) == 1) {
		hex_encode(id, 32, idhex);
		warn0("tree %s: malformed", idhex);
	}
	buf_release(&b);
	return (rc);
}
