/*
 * Index files, the sorted local cache, and this session's additions.
 *
 * Index file plaintext (sealed as type "index"):
 *	"CFIX" || version(1) || varint npacks ||
 *	npacks * ( pack_id[32] || salt[32] || varint nblobs ||
 *	    nblobs * ( type || flags || varint offset || varint stored_len ||
 *	        varint raw_len || blob_id[32] ) )
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/warnp.h"

#include "index.h"
#include "index_cache.h"

#define IDX_MAX_BLOBS	(1u << 24)	/* per pack, sanity bound */

/*
 * A session entry: the state (0 empty, 1 claimed, 2 stored) lives in the
 * entry's padding, so an entry is 52 bytes; with the table at most 3/4
 * full, a million new blobs cost 70 to 104 MB rather than up to 224.
 */
struct sess_entry {
	struct idx_entry e;
};
#define state e.pad[0]

struct qpack {
	struct idx_pack p;
	struct pack_entry *e;
	size_t n;
};

struct index {
	/* Persistent part: sorted by id, read-only, maybe mmap'd. */
	const struct idx_entry *e;
	size_t n;
	void *map;
	size_t maplen;
	struct idx_entry *heap;
	/* Pack table: persistent packs, then this session's. */
	struct idx_pack *packs;
	size_t npacks, packcap;
	/* Session additions and claims. */
	pthread_mutex_t mu;
	struct sess_entry *ht;
	size_t htcap, htn;
	/* Packs waiting for the next index file. */
	struct qpack *q;
	size_t nq, qcap;
};

int
index_parse(const uint8_t *p, size_t len, index_cb *cb, void *cookie)
{
	struct idx_pack pk;
	struct idx_entry e;
	struct rd r;
	const uint8_t *b;
	uint64_t npacks, nblobs, i, j, off, sl, rl;
	uint8_t ver;
	int rc;

	rd_init(&r, p, len);
	if (rd_bytes(&r, 4, &b) || memcmp(b, "CFIX", 4) != 0 ||
	    rd_u8(&r, &ver) || ver != 1 || rd_varint(&r, &npacks) ||
	    npacks > len / 65)
		return (1);
	memset(&e, 0, sizeof(e));
	for (i = 0; i < npacks; i++) {
		if (rd_bytes(&r, 32, &b))
			return (1);
		memcpy(pk.id, b, 32);
		if (rd_bytes(&r, 32, &b) || rd_varint(&r, &nblobs) ||
		    nblobs > IDX_MAX_BLOBS || nblobs > r.left / 37)
			return (1);
		memcpy(pk.salt, b, 32);
		for (j = 0; j < nblobs; j++) {
			if (rd_u8(&r, &e.type) || rd_u8(&r, &e.flags) ||
			    rd_varint(&r, &off) || rd_varint(&r, &sl) ||
			    rd_varint(&r, &rl) || rd_bytes(&r, 32, &b))
				return (1);
			if (e.type > BLOB_TREE || e.flags > BLOB_F_ZSTD ||
			    off > UINT32_MAX || sl > UINT32_MAX ||
			    rl > PACK_MAX_BLOB || sl < CRYPTO_TAG_LEN)
				return (1);
			e.offset = (uint32_t)off;
			e.stored_len = (uint32_t)sl;
			e.raw_len = (uint32_t)rl;
			memcpy(e.id, b, 32);
			if ((rc = cb(cookie, &pk, &e)) != 0)
				return (rc);
		}
	}
	return (r.left == 0 ? 0 : 1);
}

static uint64_t
idhash(const uint8_t id[32])
{

	/* Blob ids are keyed MACs: uniformly distributed already. */
	return (le64dec(id));
}

static struct sess_entry *
ht_find(struct index *ix, const uint8_t id[32])
{
	size_t i, mask = ix->htcap - 1;

	if (ix->htcap == 0)
		return (NULL);
	for (i = idhash(id) & mask;; i = (i + 1) & mask) {
		if (ix->ht[i].state == 0)
			return (&ix->ht[i]);
		if (memcmp(ix->ht[i].e.id, id, 32) == 0)
			return (&ix->ht[i]);
	}
}

static int
ht_grow(struct index *ix)
{
	struct sess_entry *old = ix->ht, *s;
	size_t oldcap = ix->htcap, i;

	ix->htcap = oldcap ? oldcap * 2 : 1024;
	if ((ix->ht = calloc(ix->htcap, sizeof(*ix->ht))) == NULL) {
		warnp("calloc");
		ix->ht = old;
		ix->htcap = oldcap;
		return (-1);
	}
	for (i = 0; i < oldcap; i++) {
		if (old[i].state == 0)
			continue;
		s = ht_find(ix, old[i].e.id);
		*s = old[i];
	}
	free(old);
	return (0);
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return (v);
}

/*
 * Blob ids are HMAC outputs, uniformly spread, so the position of an id
 * in the sorted entries is close to n * id / 2^256: interpolate, which
 * finds it in a few probes (log log n) instead of log2(n), each a cache
 * and TLB miss on a large index.  After 8 probes it bisects, so a skewed
 * (damaged) cache still costs at most 8 + log2(n).
 */
static const struct idx_entry *
persist_find(const struct index *ix, const uint8_t id[32])
{
	size_t lo = 0, hi = ix->n, mid;
	uint64_t key = be64(id), lk = 0, hk = UINT64_MAX, k;
	int c, np = 0;

	while (lo < hi) {
		if (np++ < 8 && hi - lo > 16 && key >= lk && key <= hk &&
		    hk > lk) {
			mid = lo + (size_t)((double)(key - lk) /
			    ((double)(hk - lk) + 1.0) * (double)(hi - lo));
			if (mid >= hi)
				mid = hi - 1;
		} else
			mid = lo + (hi - lo) / 2;
		c = memcmp(ix->e[mid].id, id, 32);
		if (c == 0) {
			/* A damaged local cache must not claim a blob. */
			return (ix->e[mid].pack < ix->npacks ? &ix->e[mid] :
			    NULL);
		}
		k = be64(ix->e[mid].id);
		if (c < 0) {
			lo = mid + 1;
			lk = k;
		} else {
			hi = mid;
			hk = k;
		}
	}
	return (NULL);
}

int
index_lookup(struct index *ix, const uint8_t id[32], struct idx_entry *out,
    struct idx_pack *pk)
{
	const struct idx_entry *e;
	struct sess_entry *s;
	int found = 0;

	pthread_mutex_lock(&ix->mu);
	if ((e = persist_find(ix, id)) != NULL) {
		*out = *e;
		found = 1;
	} else if ((s = ht_find(ix, id)) != NULL && s->state == 2) {
		*out = s->e;
		out->pad[0] = 0;
		found = 1;
	}
	/* A damaged cache must not send us outside the pack table. */
	if (found && out->pack >= ix->npacks)
		found = 0;
	if (found && pk != NULL)
		*pk = ix->packs[out->pack];
	pthread_mutex_unlock(&ix->mu);
	return (found);
}

int
index_claim(struct index *ix, const uint8_t id[32])
{
	struct sess_entry *s;
	int rc = 1;

	if (persist_find(ix, id) != NULL)
		return (1);
	pthread_mutex_lock(&ix->mu);
	if ((ix->htn + 1) * 4 > ix->htcap * 3 && ht_grow(ix)) {
		rc = -1;
		goto done;
	}
	s = ht_find(ix, id);
	if (s->state == 0) {
		memset(s, 0, sizeof(*s));
		memcpy(s->e.id, id, 32);
		s->state = 1;
		ix->htn++;
		rc = 0;
	}
done:
	pthread_mutex_unlock(&ix->mu);
	return (rc);
}

void
index_unclaim(struct index *ix, const uint8_t id[32])
{
	struct sess_entry *s;

	/*
	 * Linear probing cannot simply empty a slot; mark it claimed-and-
	 * abandoned by leaving state 1, which later claims treat as taken.
	 * Instead, rehash the table without it.
	 */
	pthread_mutex_lock(&ix->mu);
	if ((s = ht_find(ix, id)) != NULL && s->state == 1) {
		s->state = 0;
		ix->htn--;
		/* Reinsert the cluster that follows. */
		size_t mask = ix->htcap - 1, i = (size_t)(s - ix->ht);
		for (i = (i + 1) & mask; ix->ht[i].state != 0;
		    i = (i + 1) & mask) {
			struct sess_entry t = ix->ht[i];
			ix->ht[i].state = 0;
			*ht_find(ix, t.e.id) = t;
		}
	}
	pthread_mutex_unlock(&ix->mu);
}

static int
add_pack_locked(struct index *ix, const uint8_t id[32],
    const uint8_t salt[PACK_SALT_LEN], uint32_t *num)
{
	struct idx_pack *np;

	if (ix->npacks == ix->packcap) {
		size_t ncap = ix->packcap ? ix->packcap * 2 : 64;

		if ((np = realloc(ix->packs, ncap * sizeof(*np))) == NULL) {
			warnp("realloc");
			return (-1);
		}
		ix->packs = np;
		ix->packcap = ncap;
	}
	memcpy(ix->packs[ix->npacks].id, id, 32);
	memcpy(ix->packs[ix->npacks].salt, salt, PACK_SALT_LEN);
	*num = (uint32_t)ix->npacks++;
	return (0);
}

int
index_add_pack(struct index *ix, const uint8_t id[32],
    const uint8_t salt[PACK_SALT_LEN], const struct pack_entry *e, size_t n)
{
	struct sess_entry *s;
	struct qpack *q;
	uint32_t num;
	size_t i;
	int rc = -1;

	pthread_mutex_lock(&ix->mu);
	if (add_pack_locked(ix, id, salt, &num))
		goto done;
	for (i = 0; i < n; i++) {
		if ((ix->htn + 1) * 4 > ix->htcap * 3 && ht_grow(ix))
			goto done;
		s = ht_find(ix, e[i].id);
		if (s->state == 0)
			ix->htn++;
		memcpy(s->e.id, e[i].id, 32);
		s->e.pack = num;
		s->e.offset = e[i].offset;
		s->e.stored_len = e[i].stored_len;
		s->e.raw_len = e[i].raw_len;
		s->e.type = e[i].type;
		s->e.flags = e[i].flags;
		s->state = 2;
	}
	if (ix->nq == ix->qcap) {
		size_t ncap = ix->qcap ? ix->qcap * 2 : 16;

		if ((q = realloc(ix->q, ncap * sizeof(*q))) == NULL) {
			warnp("realloc");
			goto done;
		}
		ix->q = q;
		ix->qcap = ncap;
	}
	q = &ix->q[ix->nq];
	if ((q->e = malloc((n ? n : 1) * sizeof(*e))) == NULL) {
		warnp("malloc");
		goto done;
	}
	memcpy(q->e, e, n * sizeof(*e));
	q->n = n;
	q->p = ix->packs[num];
	ix->nq++;
	rc = 0;
done:
	pthread_mutex_unlock(&ix->mu);
	return (rc);
}

size_t
index_pending(struct index *ix)
{
	size_t n;

	pthread_mutex_lock(&ix->mu);
	n = ix->nq;
	pthread_mutex_unlock(&ix->mu);
	return (n);
}

int
index_encode_pack(struct buf *b, const struct idx_pack *pk,
    const struct pack_entry *e, size_t n)
{
	size_t j;

	if (buf_append(b, pk->id, 32) || buf_append(b, pk->salt, 32) ||
	    buf_put_varint(b, n))
		return (-1);
	for (j = 0; j < n; j++) {
		if (buf_put_u8(b, e[j].type) || buf_put_u8(b, e[j].flags) ||
		    buf_put_varint(b, e[j].offset) ||
		    buf_put_varint(b, e[j].stored_len) ||
		    buf_put_varint(b, e[j].raw_len) ||
		    buf_append(b, e[j].id, 32))
			return (-1);
	}
	return (0);
}

static int
encode_head(struct buf *b, size_t npacks)
{

	return (buf_append(b, "CFIX", 4) || buf_put_u8(b, 1) ||
	    buf_put_varint(b, npacks) ? -1 : 0);
}

static int
encode_queue(struct qpack *q, size_t nq, struct buf *b)
{
	size_t i;

	if (encode_head(b, nq))
		return (-1);
	for (i = 0; i < nq; i++)
		if (index_encode_pack(b, &q[i].p, q[i].e, q[i].n))
			return (-1);
	return (0);
}

int
index_put_file(struct repo *r, const uint8_t *body, size_t len,
    size_t npacks, uint8_t id[32])
{
	struct buf b = BUF_INIT;
	int rc = -1;

	if (encode_head(&b, npacks) == 0 && buf_append(&b, body, len) == 0 &&
	    repo_put_sealed(r, OBJ_INDEX, b.data, b.len, id) == 0)
		rc = 0;
	buf_release(&b);
	return (rc);
}

int
index_flush(struct index *ix, struct repo *r)
{
	struct qpack *q;
	struct buf b = BUF_INIT;
	uint8_t id[32];
	size_t nq, i;
	int rc = -1;

	/* Take the queue; writing happens outside the lock. */
	pthread_mutex_lock(&ix->mu);
	q = ix->q;
	nq = ix->nq;
	ix->q = NULL;
	ix->nq = ix->qcap = 0;
	pthread_mutex_unlock(&ix->mu);
	if (nq == 0)
		return (0);
	if (encode_queue(q, nq, &b) == 0 &&
	    repo_put_sealed(r, OBJ_INDEX, b.data, b.len, id) == 0)
		rc = 0;
	for (i = 0; i < nq; i++)
		free(q[i].e);
	free(q);
	buf_release(&b);
	return (rc);
}

int
index_foreach(struct index *ix, index_cb *cb, void *cookie)
{
	size_t i;
	int rc;

	for (i = 0; i < ix->n; i++) {
		if (ix->e[i].pack >= ix->npacks)
			continue;	/* damaged local cache */
		if ((rc = cb(cookie, &ix->packs[ix->e[i].pack], &ix->e[i])))
			return (rc);
	}
	for (i = 0; i < ix->htcap; i++) {
		struct idx_entry e;

		if (ix->ht[i].state != 2)
			continue;
		e = ix->ht[i].e;
		e.pad[0] = 0;
		if ((rc = cb(cookie, &ix->packs[e.pack], &e)))
			return (rc);
	}
	return (0);
}

size_t
index_count(struct index *ix)
{

	return (ix->n);
}

size_t
index_pos(struct index *ix, const uint8_t id[32])
{
	const struct idx_entry *e = persist_find(ix, id);

	return (e != NULL ? (size_t)(e - ix->e) : INDEX_NOPOS);
}

const struct idx_entry *
index_at(struct index *ix, size_t pos)
{

	return (&ix->e[pos]);
}

size_t
index_npacks(struct index *ix)
{

	return (ix->npacks);
}

const struct idx_pack *
index_pack(struct index *ix, size_t i)
{

	return (&ix->packs[i]);
}

void
index_free(struct index *ix)
{
	size_t i;

	if (ix == NULL)
		return;
	if (ix->map != NULL)
		munmap(ix->map, ix->maplen);
	free(ix->heap);
	free(ix->packs);
	free(ix->ht);
	for (i = 0; i < ix->nq; i++)
		free(ix->q[i].e);
	free(ix->q);
	pthread_mutex_destroy(&ix->mu);
	free(ix);
}

static int
load(struct repo *r, struct index **ixp, int nocache)
{
	struct index *ix;
	struct index_cache c;

	if ((ix = calloc(1, sizeof(*ix))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	pthread_mutex_init(&ix->mu, NULL);
	if (index_cache_get(r, &c, nocache)) {
		index_free(ix);
		return (-1);
	}
	ix->e = c.e;
	ix->n = c.n;
	ix->map = c.map;
	ix->maplen = c.maplen;
	ix->heap = c.heap;
	ix->packs = c.packs;
	ix->npacks = ix->packcap = c.npacks;
	*ixp = ix;
	return (0);
}

int
index_load(struct repo *r, struct index **ixp)
{

	return (load(r, ixp, 0));
}

int
index_load_fresh(struct repo *r, struct index **ixp)
{

	return (load(r, ixp, 1));
}
