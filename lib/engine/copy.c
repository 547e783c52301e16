/*
 * Copying snapshots between repositories (see copy.h).
 *
 * The source is read in this thread: each tree is loaded, the data blobs
 * of its files are read (verified) and handed to the target's storage
 * pipeline, whose workers compute their ids under the target's key, skip
 * those the target has, and pack the others; the pipeline writes each new
 * id straight into the tree's node.  Subdirectories are copied (the same
 * way, depth first) while the workers run; once every blob of the tree
 * has its new id, the tree is encoded and stored through the pipeline.
 * The pipeline bounds the bytes in flight.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/blobread.h"
#include "engine/pipeline.h"
#include "tree/tree.h"
#include "util/warnp.h"

#include "copy.h"

/* Remember at most this many ids of each kind (64 bytes each). */
#define MEMO_MAX	(1u << 20)

/* An open-addressing map from a source id to a target id. */
struct idmap {
	uint8_t (*kv)[64];
	size_t cap, n;
};

struct copier {
	struct repo *src, *dst;
	struct index *six, *dix;
	int nworkers;
	struct pipeline *pl;
	struct idmap data, trees;
	struct copy_stats st;
};

/* The blobs of one tree in flight. */
struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t pending;
};

static const uint8_t zero[32];

static uint8_t *
map_get(const struct idmap *m, const uint8_t k[32])
{
	size_t i, mask;

	if (m->cap == 0)
		return (NULL);
	mask = m->cap - 1;
	for (i = le64dec(k) & mask;; i = (i + 1) & mask) {
		if (memcmp(m->kv[i], k, 32) == 0)
			return (m->kv[i] + 32);
		if (memcmp(m->kv[i], zero, 32) == 0)
			return (NULL);
	}
}

/* Remember k -> v; silently not, once the map is full.  0 or -1. */
static int
map_put(struct idmap *m, const uint8_t k[32], const uint8_t v[32])
{
	uint8_t (*old)[64] = m->kv;
	size_t oldcap = m->cap, i, mask;

	if (memcmp(k, zero, 32) == 0 || m->n >= MEMO_MAX)
		return (0);
	if ((m->n + 1) * 2 > m->cap) {
		m->cap = oldcap ? oldcap * 2 : 1024;
		if ((m->kv = calloc(m->cap, 64)) == NULL) {
			warnp("calloc");
			m->kv = old;
			m->cap = oldcap;
			return (-1);
		}
		m->n = 0;
		for (i = 0; i < oldcap; i++)
			if (memcmp(old[i], zero, 32) != 0)
				map_put(m, old[i], old[i] + 32);
		free(old);
	}
	mask = m->cap - 1;
	for (i = le64dec(k) & mask;; i = (i + 1) & mask) {
		if (memcmp(m->kv[i], k, 32) == 0)
			break;
		if (memcmp(m->kv[i], zero, 32) == 0) {
			m->n++;
			break;
		}
	}
	memcpy(m->kv[i], k, 32);
	memcpy(m->kv[i] + 32, v, 32);
	return (0);
}

static void
blob_done(void *cookie)
{
	struct waiter *w = cookie;

	pthread_mutex_lock(&w->mu);
	if (--w->pending == 0)
		pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

static void
wait_all(struct waiter *w)
{

	pthread_mutex_lock(&w->mu);
	while (w->pending > 0)
		pthread_cond_wait(&w->cv, &w->mu);
	pthread_mutex_unlock(&w->mu);
}

/* A blob in flight: its source id, and where its new id will be. */
struct sent {
	uint8_t src[32];
	uint8_t *slot;
};

/*
 * Hand one data blob to the pipeline (or fill its slot from memory).
 * 0, 1 if the source blob is damaged (reported), -1 on error.
 */
static int
send_blob(struct copier *c, uint8_t slot[32], struct waiter *w,
    struct sent **sv, size_t *ns, size_t *scap)
{
	struct buf b = BUF_INIT;
	const uint8_t *known;
	void *t;
	int rc;

	if ((known = map_get(&c->data, slot)) != NULL) {
		memcpy(slot, known, 32);
		return (0);
	}
	if (*ns == *scap) {
		*scap = *scap ? *scap * 2 : 64;
		if ((t = realloc(*sv, *scap * sizeof(**sv))) == NULL) {
			warnp("realloc");
			return (-1);
		}
		*sv = t;
	}
	if ((rc = blob_read(c->src, c->six, slot, BLOB_DATA, &b)) != 0) {
		buf_release(&b);
		return (rc);
	}
	c->st.blobs_read++;
	c->st.bytes_read += b.len;
	memcpy((*sv)[*ns].src, slot, 32);
	(*sv)[*ns].slot = slot;
	pthread_mutex_lock(&w->mu);
	w->pending++;
	pthread_mutex_unlock(&w->mu);
	/* The pipeline takes the bytes, and writes the new id to slot. */
	if (pipeline_data(c->pl, b.data, b.len, slot, blob_done, w)) {
		pthread_mutex_lock(&w->mu);
		w->pending--;
		pthread_mutex_unlock(&w->mu);
		return (-1);
	}
	(*ns)++;
	return (0);
}

/*
 * Copy the tree id of the source (and all below it); its new id goes to
 * out (which may be id).  0, 1 (damaged source, reported), -1.
 */
static int
copy_tree(struct copier *c, const uint8_t id[32], uint8_t out[32])
{
	struct waiter w;
	struct sent *sv = NULL;
	struct tree t;
	struct buf enc = BUF_INIT;
	const uint8_t *known;
	uint8_t src[32];
	size_t i, k, ns = 0, scap = 0;
	int rc;

	if ((known = map_get(&c->trees, id)) != NULL) {
		memcpy(out, known, 32);
		return (0);
	}
	memcpy(src, id, 32);
	if ((rc = tree_load(c->src, c->six, src, &t)) != 0)
		return (rc);
	pthread_mutex_init(&w.mu, NULL);
	pthread_cond_init(&w.cv, NULL);
	w.pending = 0;
	for (i = 0; i < t.n && rc == 0; i++) {
		struct node *nd = &t.nodes[i];

		for (k = 0; k < nd->ncontent && rc == 0; k++)
			rc = send_blob(c, nd->content[k], &w, &sv, &ns, &scap);
		if (rc == 0 && nd->type == NODE_DIR)
			rc = copy_tree(c, nd->subtree, nd->subtree);
	}
	/* Every callback must have run before t and w go away. */
	wait_all(&w);
	if (rc == 0 && pipeline_failed(c->pl))
		rc = -1;	/* some new ids may be missing */
	for (i = 0; rc == 0 && i < ns; i++)
		rc = map_put(&c->data, sv[i].src, sv[i].slot);
	if (rc == 0 && (rc = tree_encode(&t, &enc)) == 0 &&
	    (rc = pipeline_tree(c->pl, enc.data, enc.len, out)) == 0) {
		c->st.trees++;
		rc = map_put(&c->trees, src, out);
	}
	buf_release(&enc);
	free(sv);
	tree_release(&t);
	pthread_mutex_destroy(&w.mu);
	pthread_cond_destroy(&w.cv);
	return (rc);
}

struct copier *
copier_new(struct repo *src, struct index *six, struct repo *dst,
    struct index *dix, int nworkers)
{
	struct copier *c;
	long ncpu;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		warnp("calloc");
		return (NULL);
	}
	c->src = src;
	c->six = six;
	c->dst = dst;
	c->dix = dix;
	if ((c->nworkers = nworkers) <= 0) {
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		c->nworkers = ncpu > 0 ? (int)ncpu : 2;
	}
	return (c);
}

static void
add_stats(struct copier *c, struct pl_stats *p)
{

	c->st.data_blobs += p->data_blobs;
	c->st.tree_blobs += p->tree_blobs;
	c->st.data_added += p->data_added;
	c->st.data_stored += p->data_stored;
	c->st.packs += p->packs;
}

int
copier_snapshot(struct copier *c, const struct snapshot *s,
    struct snapshot *out)
{
	struct snapshot ns;
	size_t i;
	int rc, frc;

	memset(out, 0, sizeof(*out));
	memset(&ns, 0, sizeof(ns));
	if ((c->pl = pipeline_new(c->dst, c->dix, c->nworkers)) == NULL)
		return (-1);
	rc = copy_tree(c, s->tree, ns.tree);
	/* Store and index what was stored, even after a failure. */
	frc = pipeline_finish(c->pl);
	add_stats(c, pipeline_stats(c->pl));
	pipeline_free(c->pl);
	c->pl = NULL;
	if (rc != 0 || frc != 0)
		return (rc != 0 ? rc : -1);
	/* The same snapshot, but for its tree, without a parent. */
	ns.time_sec = s->time_sec;
	ns.time_nsec = s->time_nsec;
	ns.uid = s->uid;
	ns.gid = s->gid;
	ns.sum = s->sum;
	ns.has_original = 1;
	memcpy(ns.original, s->has_original ? s->original : s->id, 32);
	rc = -1;
	if ((ns.hostname = strdup(s->hostname ? s->hostname : "")) == NULL ||
	    (ns.username = strdup(s->username ? s->username : "")) == NULL ||
	    (ns.paths = calloc(s->npaths + 1, sizeof(char *))) == NULL ||
	    (ns.tags = calloc(s->ntags + 1, sizeof(char *))) == NULL) {
		warnp("malloc");
		goto done;
	}
	for (i = 0; i < s->npaths; i++, ns.npaths++)
		if ((ns.paths[i] = strdup(s->paths[i])) == NULL)
			goto done;
	for (i = 0; i < s->ntags; i++, ns.ntags++)
		if ((ns.tags[i] = strdup(s->tags[i])) == NULL)
			goto done;
	if (snapshot_save(c->dst, &ns))
		goto done;
	*out = ns;
	memset(&ns, 0, sizeof(ns));
	rc = 0;
done:
	snapshot_release(&ns);
	return (rc);
}

void
copier_stats(struct copier *c, struct copy_stats *st)
{

	*st = c->st;
}

void
copier_free(struct copier *c)
{

	if (c == NULL)
		return;
	pipeline_free(c->pl);
	free(c->data.kv);
	free(c->trees.kv);
	free(c);
}

static int
strv_same(char **a, size_t na, char **b, size_t nb)
{
	size_t i, j;

	if (na != nb)
		return (0);
	/* Order does not matter; lists are short. */
	for (i = 0; i < na; i++) {
		for (j = 0; j < nb; j++)
			if (strcmp(a[i], b[j]) == 0)
				break;
		if (j == nb)
			return (0);
	}
	return (1);
}

int
copy_same(const struct snapshot *a, const struct snapshot *b)
{

	return (a->time_sec == b->time_sec && a->time_nsec == b->time_nsec &&
	    strcmp(a->hostname ? a->hostname : "",
	    b->hostname ? b->hostname : "") == 0 &&
	    strcmp(a->username ? a->username : "",
	    b->username ? b->username : "") == 0 &&
	    a->uid == b->uid && a->gid == b->gid &&
	    strv_same(a->paths, a->npaths, b->paths, b->npaths) &&
	    strv_same(a->tags, a->ntags, b->tags, b->ntags));
}
