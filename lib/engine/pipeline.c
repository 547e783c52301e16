#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pack/pack.h"
#include "util/warnp.h"

#include "pipeline.h"

/* Index checkpoint: write an index file after this many packs. */
#define PACKS_PER_INDEX		8
/* Most bytes queued but not yet taken by a worker. */
/*
 * Chunks waiting for a worker: 4 MiB per worker (a few average chunks
 * each), at least 8 MiB.  More only costs memory: the workers, not the
 * readers, are the bottleneck.
 */
#define QUEUE_PER_WORKER	(4u * 1024 * 1024)
#define QUEUE_MIN		(8u * 1024 * 1024)

/* A worker takes up to this many queued chunks, or bytes, at a time. */
#define BATCH_JOBS		32
#define BATCH_BYTES		(1u << 20)

struct job {
	uint8_t *p;
	size_t len;
	uint8_t *slot;
	pl_done_cb *done;
	void *cookie;
	struct job *next;
};

struct pipeline {
	struct repo *r;
	struct index *ix;
	struct pl_stats st;

	pthread_mutex_t mu;
	pthread_cond_t can_take, can_put;
	struct job *head, *tail;
	size_t qbytes, qmax;
	int nput_wait;		/* readers waiting for room */
	int closing;
	_Atomic int failed;

	pthread_t *thr;
	int nthr;

	pthread_mutex_t tree_mu;
	struct pack_writer tree_pack;
	int tree_pack_open;
};

/* Store a finished pack, index it, and checkpoint the index. */
static int
store_pack(struct pipeline *pl, struct pack_writer *w)
{
	uint8_t id[32];
	int rc;

	if ((rc = pack_writer_store(w, pl->r, id)) != 0)
		return (rc < 0 ? -1 : 0);
	atomic_fetch_add(&pl->st.packs, 1);
	if (index_add_pack(pl->ix, id, w->salt, w->e, w->n))
		return (-1);
	if (index_pending(pl->ix) >= PACKS_PER_INDEX &&
	    index_flush(pl->ix, pl->r))
		return (-1);
	return (0);
}

static void
fail(struct pipeline *pl)
{

	atomic_store(&pl->failed, 1);
	pthread_mutex_lock(&pl->mu);
	pthread_cond_broadcast(&pl->can_put);
	pthread_cond_broadcast(&pl->can_take);
	pthread_mutex_unlock(&pl->mu);
}

/* Add one blob to w, storing w first if it is full. */
static int
add_blob(struct pipeline *pl, struct pack_writer *w, uint8_t type,
    const uint8_t id[32], const uint8_t *p, size_t len, struct buf *z)
{
	const uint8_t *sp = p;
	size_t slen = len;
	uint8_t flags;

	if (blob_compress(pl->r->cfg.zstd_level, p, len, z, &flags))
		return (-1);
	if (flags & BLOB_F_ZSTD) {
		sp = z->data;
		slen = z->len;
	}
	if (pack_writer_size(w) + slen > pl->r->cfg.pack_size &&
	    w->n > 0) {
		if (store_pack(pl, w))
			return (-1);
		pack_writer_release(w);
		if (pack_writer_init(w, pl->r))
			return (-1);
	}
	if (pack_writer_add(w, type, id, flags, sp, slen, (uint32_t)len))
		return (-1);
	atomic_fetch_add(&pl->st.data_stored, slen + CRYPTO_TAG_LEN);
	return (0);
}

static int
do_job(struct pipeline *pl, struct pack_writer *w, struct job *j,
    struct buf *z)
{
	uint8_t id[32];
	int c;

	if (blob_id(pl->r, j->p, j->len, id))
		return (-1);
	memcpy(j->slot, id, 32);
	atomic_fetch_add(&pl->st.bytes_hashed, j->len);
	if ((c = index_claim(pl->ix, id)) < 0)
		return (-1);
	if (c == 0) {
		if (add_blob(pl, w, BLOB_DATA, id, j->p, j->len, z)) {
			index_unclaim(pl->ix, id);
			return (-1);
		}
		atomic_fetch_add(&pl->st.data_blobs, 1);
		atomic_fetch_add(&pl->st.data_added, j->len);
	}
	return (0);
}

static void *
worker(void *cookie)
{
	struct pipeline *pl = cookie;
	struct pack_writer w;
	struct buf z = BUF_INIT;
	struct job *batch, *j, *next;
	size_t n, bytes;
	int ok;

	if (pack_writer_init(&w, pl->r)) {
		fail(pl);
		return (NULL);
	}
	for (;;) {
		pthread_mutex_lock(&pl->mu);
		while (pl->head == NULL && !pl->closing)
			pthread_cond_wait(&pl->can_take, &pl->mu);
		if ((batch = pl->head) == NULL) {
			pthread_mutex_unlock(&pl->mu);
			break;
		}
		/*
		 * Take a batch (a few small chunks, or one large one): with
		 * many small files, one hand-over per chunk costs more in
		 * wake-ups than the chunks cost to store.
		 */
		n = 0;
		bytes = 0;
		for (j = batch; ; j = j->next) {
			n++;
			bytes += j->len;
			pl->qbytes -= j->len;
			if (j->next == NULL || n == BATCH_JOBS ||
			    bytes >= BATCH_BYTES)
				break;
		}
		pl->head = j->next;
		if (pl->head == NULL)
			pl->tail = NULL;
		j->next = NULL;
		/* Wake the readers once the queue is half empty. */
		if (pl->nput_wait > 0 && pl->qbytes <= pl->qmax / 2)
			pthread_cond_broadcast(&pl->can_put);
		pthread_mutex_unlock(&pl->mu);

		for (j = batch; j != NULL; j = next) {
			next = j->next;
			ok = !atomic_load(&pl->failed) &&
			    do_job(pl, &w, j, &z) == 0;
			if (!ok)
				fail(pl);
			free(j->p);
			/* The callback runs even on failure so waiters
			 * finish. */
			j->done(j->cookie);
			free(j);
		}
	}
	if (!atomic_load(&pl->failed) && store_pack(pl, &w))
		fail(pl);
	pack_writer_release(&w);
	buf_release(&z);
	return (NULL);
}

struct pipeline *
pipeline_new(struct repo *r, struct index *ix, int n)
{
	struct pipeline *pl;

	if ((pl = calloc(1, sizeof(*pl))) == NULL ||
	    (pl->thr = calloc((size_t)n, sizeof(*pl->thr))) == NULL) {
		warnp("calloc");
		free(pl);
		return (NULL);
	}
	pl->r = r;
	pl->ix = ix;
	pthread_mutex_init(&pl->mu, NULL);
	pthread_mutex_init(&pl->tree_mu, NULL);
	pthread_cond_init(&pl->can_take, NULL);
	pthread_cond_init(&pl->can_put, NULL);
	pl->qmax = (size_t)n * QUEUE_PER_WORKER;
	if (pl->qmax < QUEUE_MIN)
		pl->qmax = QUEUE_MIN;
	for (pl->nthr = 0; pl->nthr < n; pl->nthr++) {
		if ((errno = pthread_create(&pl->thr[pl->nthr], NULL, worker,
		    pl)) != 0) {
			warnp("pthread_create");
			fail(pl);
			pipeline_free(pl);
			return (NULL);
		}
	}
	return (pl);
}

int
pipeline_data(struct pipeline *pl, uint8_t *p, size_t len, uint8_t *slot,
    pl_done_cb *done, void *cookie)
{
	struct job *j;

	if ((j = malloc(sizeof(*j))) == NULL) {
		warnp("malloc");
		free(p);
		return (-1);
	}
	j->p = p;
	j->len = len;
	j->slot = slot;
	j->done = done;
	j->cookie = cookie;
	j->next = NULL;
	pthread_mutex_lock(&pl->mu);
	while (pl->qbytes > 0 && pl->qbytes + len > pl->qmax &&
	    !atomic_load(&pl->failed)) {
		pl->nput_wait++;
		pthread_cond_wait(&pl->can_put, &pl->mu);
		pl->nput_wait--;
	}
	if (atomic_load(&pl->failed)) {
		pthread_mutex_unlock(&pl->mu);
		free(p);
		free(j);
		return (-1);
	}
	if (pl->tail != NULL)
		pl->tail->next = j;
	else
		pl->head = j;
	pl->tail = j;
	pl->qbytes += len;
	pthread_cond_signal(&pl->can_take);
	pthread_mutex_unlock(&pl->mu);
	return (0);
}

int
pipeline_tree(struct pipeline *pl, const uint8_t *p, size_t len,
    uint8_t id[32])
{
	struct buf z = BUF_INIT;
	int c, rc = -1;

	if (blob_id_of(pl->r, BLOB_TREE, p, len, id))
		return (-1);
	if ((c = index_claim(pl->ix, id)) != 0)
		return (c < 0 ? -1 : 0);
	pthread_mutex_lock(&pl->tree_mu);
	if (!pl->tree_pack_open) {
		if (pack_writer_init(&pl->tree_pack, pl->r))
			goto done;
		pl->tree_pack_open = 1;
	}
	if (add_blob(pl, &pl->tree_pack, BLOB_TREE, id, p, len, &z))
		goto done;
	atomic_fetch_add(&pl->st.tree_blobs, 1);
	rc = 0;
done:
	pthread_mutex_unlock(&pl->tree_mu);
	if (rc) {
		index_unclaim(pl->ix, id);
		fail(pl);
	}
	buf_release(&z);
	return (rc);
}

int
pipeline_finish(struct pipeline *pl)
{
	int i;

	pthread_mutex_lock(&pl->mu);
	pl->closing = 1;
	pthread_cond_broadcast(&pl->can_take);
	pthread_mutex_unlock(&pl->mu);
	for (i = 0; i < pl->nthr; i++)
		pthread_join(pl->thr[i], NULL);
	pl->nthr = 0;
	if (pl->tree_pack_open && !atomic_load(&pl->failed)) {
		if (store_pack(pl, &pl->tree_pack))
			fail(pl);
	}
	if (pl->tree_pack_open) {
		pack_writer_release(&pl->tree_pack);
		pl->tree_pack_open = 0;
	}
	/* Index what was stored, even after a failure: it can be reused. */
	if (index_flush(pl->ix, pl->r))
		fail(pl);
	return (atomic_load(&pl->failed) ? -1 : 0);
}

int
pipeline_failed(struct pipeline *pl)
{

	return (atomic_load(&pl->failed) != 0);
}

struct pl_stats *
pipeline_stats(struct pipeline *pl)
{

	return (&pl->st);
}

void
pipeline_free(struct pipeline *pl)
{
	struct job *j;
	int i;

	if (pl == NULL)
		return;
	if (pl->nthr > 0) {
		fail(pl);
		pthread_mutex_lock(&pl->mu);
		pl->closing = 1;
		pthread_cond_broadcast(&pl->can_take);
		pthread_mutex_unlock(&pl->mu);
		for (i = 0; i < pl->nthr; i++)
			pthread_join(pl->thr[i], NULL);
	}
	while ((j = pl->head) != NULL) {
		pl->head = j->next;
		free(j->p);
		free(j);
	}
	if (pl->tree_pack_open)
		pack_writer_release(&pl->tree_pack);
	pthread_mutex_destroy(&pl->mu);
	pthread_mutex_destroy(&pl->tree_mu);
	pthread_cond_destroy(&pl->can_take);
	pthread_cond_destroy(&pl->can_put);
	free(pl->thr);
	free(pl);
}
