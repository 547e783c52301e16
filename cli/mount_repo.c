/*
 * coffer mount, the repository side: the list of snapshots (listed again
 * when the top directories are opened, new ones loaded, the index reloaded
 * for them), the caches of decrypted blobs and decoded trees, and the
 * blob table of an open file.
 *
 * Reading a file: at open, the lengths of its blobs (from the index) are
 * summed into a table of end offsets; a read finds its first blob by
 * binary search in that table, pins the blobs it needs in the blob cache
 * (each fetched once, through blob_read, which verifies it before it is
 * cached) and hands their bytes to the kernel without copying.  Two
 * background threads fetch the two blobs after the last one read, so that
 * the next reads find them decrypted (this doubles sequential reads).
 */
#include <sys/uio.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/blobread.h"
#include "snapshot/snapname.h"
#include "util/warnp.h"

#include "mount.h"

#define TREE_CACHE_BYTES	(32u * 1024 * 1024)
#define TREE_CACHE_ENTS		1024
#define BLOB_CACHE_ENTS		65536
#define LIST_INTERVAL_MS	1000
#define PREFETCH_DEPTH		2	/* blobs ahead of the last one read */

/* The index in use, with a reference. */
static struct mindex *
ix_get(struct mnt *m)
{
	struct mindex *mi;

	pthread_mutex_lock(&m->ixmu);
	mi = m->cur;
	mi->refs++;
	pthread_mutex_unlock(&m->ixmu);
	return (mi);
}

static void
ix_put(struct mnt *m, struct mindex *mi)
{
	int last;

	pthread_mutex_lock(&m->ixmu);
	last = (--mi->refs == 0);
	pthread_mutex_unlock(&m->ixmu);
	if (last) {
		index_free(mi->ix);
		free(mi);
	}
}

/* Load the index again (new index files) and make it the one in use. */
static int
ix_reload(struct mnt *m)
{
	struct mindex *mi, *old;

	if ((mi = calloc(1, sizeof(*mi))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	if (index_load(m->ss->r, &mi->ix)) {
		free(mi);
		return (-1);
	}
	mi->refs = 1;
	pthread_mutex_lock(&m->ixmu);
	old = m->cur;
	m->cur = mi;
	pthread_mutex_unlock(&m->ixmu);
	ix_put(m, old);
	return (0);
}

/* Cache loaders: a data blob (its bytes) and a tree (decoded). */
static int
load_blob(void *cookie, const uint8_t id[32], void **val, size_t *size)
{
	struct mnt *m = cookie;
	struct mindex *mi = ix_get(m);
	struct buf b = BUF_INIT;
	int rc;

	rc = blob_read(m->ss->r, mi->ix, id, BLOB_DATA, &b);
	ix_put(m, mi);
	if (rc != 0) {
		buf_release(&b);
		return (rc);
	}
	*val = b.data;
	*size = b.len;
	return (0);
}

static int
load_tree(void *cookie, const uint8_t id[32], void **val, size_t *size)
{
	struct mnt *m = cookie;
	struct mindex *mi = ix_get(m);
	struct tree *t;
	int rc;

	if ((t = malloc(sizeof(*t))) == NULL) {
		ix_put(m, mi);
		warnp("malloc");
		return (-1);
	}
	rc = tree_load(m->ss->r, mi->ix, id, t);
	ix_put(m, mi);
	if (rc != 0) {
		free(t);
		return (rc);
	}
	*val = t;
	*size = t->n * (sizeof(struct node) + 64);
	return (0);
}

static void
free_tree(void *p)
{

	if (p != NULL)
		tree_release(p);
	free(p);
}

int
mnt_tree(struct mnt *m, const uint8_t id[32], struct idcache_ent **e)
{
	int rc;

	rc = idcache_get(m->trees, id, e);
	return (rc == 0 ? 0 : 1);
}

/* A prefetcher: fetch queued blobs into the cache. */
static void *
prefetcher(void *cookie)
{
	struct mnt *m = cookie;
	struct idcache_ent *e;
	uint8_t id[32];

	pthread_mutex_lock(&m->pmu);
	for (;;) {
		while (m->pqn == 0 && !m->pstop)
			pthread_cond_wait(&m->pcv, &m->pmu);
		if (m->pstop)
			break;
		memcpy(id, m->pq[0], 32);
		memmove(m->pq[0], m->pq[1], --m->pqn * 32);
		pthread_mutex_unlock(&m->pmu);
		if (idcache_get(m->blobs, id, &e) == 0)
			idcache_put(m->blobs, e);
		pthread_mutex_lock(&m->pmu);
	}
	pthread_mutex_unlock(&m->pmu);
	return (NULL);
}

static void
prefetch(struct mnt *m, const uint8_t id[32])
{
	size_t i;

	if (m->npthr == 0 || idcache_has(m->blobs, id))
		return;
	pthread_mutex_lock(&m->pmu);
	for (i = 0; i < m->pqn; i++)
		if (memcmp(m->pq[i], id, 32) == 0)
			break;
	if (i == m->pqn) {
		/* A full queue drops the oldest wish: readers moved on. */
		if (m->pqn == sizeof(m->pq) / sizeof(m->pq[0]))
			memmove(m->pq[0], m->pq[1], --m->pqn * 32);
		memcpy(m->pq[m->pqn++], id, 32);
		pthread_cond_signal(&m->pcv);
	}
	pthread_mutex_unlock(&m->pmu);
}

/* --- snapshots ------------------------------------------------------- */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
msnap_release(struct msnap *ms)
{
	size_t i;

	snapshot_release(&ms->s);
	free(ms->host);
	for (i = 0; i < ms->ntags; i++)
		free(ms->tags[i]);
	free(ms->tags);
	memset(ms, 0, sizeof(*ms));
}

static int
timecmp(const void *a, const void *b)
{
	const struct snapshot *x = &((const struct msnap *)a)->s;
	const struct snapshot *y = &((const struct msnap *)b)->s;

	if (x->time_sec != y->time_sec)
		return (x->time_sec < y->time_sec ? -1 : 1);
	if (x->time_nsec != y->time_nsec)
		return (x->time_nsec < y->time_nsec ? -1 : 1);
	return (memcmp(x->id, y->id, 32));
}

static int
strpcmp(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a, *(char *const *)b));
}

/* Sort and remove duplicates. */
static void
uniq(char **v, size_t *n)
{
	size_t i, o = 0;

	if (*n > 1)
		qsort(v, *n, sizeof(*v), strpcmp);
	for (i = 0; i < *n; i++)
		if (o == 0 || strcmp(v[o - 1], v[i]) != 0)
			v[o++] = v[i];
	*n = o;
}

/*
 * Give every snapshot its names (sv sorted by time): "TIME", or "TIME-N"
 * for the N-th taken after the first of that second; an 8-digit short id
 * unless another snapshot shares it; and the distinct hosts and tags.
 */
static int
name_all(struct mnt *m)
{
	const struct snapshot **v = NULL;
	char **names = NULL, **ids = NULL;
	size_t i, j, nt = 0;
	int rc = -1;

	if (m->sn > 0 && ((v = malloc(m->sn * sizeof(*v))) == NULL ||
	    (names = malloc(m->sn * sizeof(*names))) == NULL ||
	    (ids = malloc(m->sn * sizeof(*ids))) == NULL)) {
		warnp("malloc");
		goto done;
	}
	for (i = 0; i < m->sn; i++) {
		v[i] = &m->sv[i].s;
		names[i] = m->sv[i].name;
		ids[i] = m->sv[i].shortid;
		nt += m->sv[i].ntags;
	}
	if (snapname_assign(v, m->sn, names, ids))
		goto done;
	free(m->hosts);
	free(m->tagv);
	m->hosts = m->tagv = NULL;
	m->nhosts = m->ntagv = 0;
	if ((m->hosts = malloc((m->sn + 1) * sizeof(char *))) == NULL ||
	    (m->tagv = malloc((nt + 1) * sizeof(char *))) == NULL) {
		warnp("malloc");
		goto done;
	}
	for (i = 0; i < m->sn; i++) {
		if (m->sv[i].host != NULL)
			m->hosts[m->nhosts++] = m->sv[i].host;
		for (j = 0; j < m->sv[i].ntags; j++)
			m->tagv[m->ntagv++] = m->sv[i].tags[j];
	}
	uniq(m->hosts, &m->nhosts);
	uniq(m->tagv, &m->ntagv);
	rc = 0;
done:
	free(v);
	free(names);
	free(ids);
	return (rc);
}

/* Make the mount's view of a loaded snapshot: file names for its groups. */
static int
msnap_init(struct msnap *ms)
{
	size_t i;

	if (ms->s.hostname != NULL && ms->s.hostname[0] != '\0' &&
	    (ms->host = snapname_fs(ms->s.hostname)) == NULL)
		return (-1);
	if (ms->s.ntags > 0 &&
	    (ms->tags = calloc(ms->s.ntags, sizeof(char *))) == NULL)
		return (-1);
	for (i = 0; i < ms->s.ntags; i++) {
		if (ms->s.tags[i][0] == '\0')
			continue;
		if ((ms->tags[ms->ntags++] = snapname_fs(ms->s.tags[i])) == NULL)
			return (-1);
	}
	return (0);
}

struct names {
	char (*v)[65];
	size_t n, cap;
};

static int
name_cb(void *cookie, const char *name, uint64_t size)
{
	struct names *l = cookie;
	void *nv;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		if ((nv = realloc(l->v, l->cap * sizeof(*l->v))) == NULL) {
			warnp("realloc");
			return (-1);
		}
		l->v = nv;
	}
	snprintf(l->v[l->n++], 65, "%s", name);
	return (0);
}

static int
name65cmp(const void *a, const void *b)
{

	return (strcmp(a, b));
}

static int
known(struct mnt *m, char (*cur)[65], size_t ncur, const char *name)
{
	size_t i;

	for (i = 0; i < m->nbad; i++)
		if (strcmp(m->bad[i], name) == 0)
			return (1);
	return (bsearch(name, cur, ncur, 65, name65cmp) != NULL);
}

/* Load the snapshots named in l that are new; drop those not in l. */
static int
update(struct mnt *m, struct names *l, int *added, int *changed)
{
	struct msnap ms;
	char hex[65], (*cur)[65] = NULL;
	void *nv;
	size_t i, o, n;
	int rc = -1, r;

	qsort(l->v, l->n, sizeof(*l->v), name65cmp);
	for (i = o = 0; i < m->sn; i++) {
		hex_encode(m->sv[i].s.id, 32, hex);
		if (bsearch(hex, l->v, l->n, sizeof(*l->v), name65cmp) != NULL)
			m->sv[o++] = m->sv[i];
		else {
			msnap_release(&m->sv[i]);
			*changed = 1;
		}
	}
	m->sn = o;
	if ((cur = malloc((m->sn + 1) * 65)) == NULL) {
		warnp("malloc");
		return (-1);
	}
	for (i = 0; i < m->sn; i++)
		hex_encode(m->sv[i].s.id, 32, cur[i]);
	qsort(cur, m->sn, 65, name65cmp);
	for (i = 0, n = m->sn; i < l->n; i++) {
		if (known(m, cur, n, l->v[i]))
			continue;
		memset(&ms, 0, sizeof(ms));
		if ((r = snapshot_load(m->ss->r, l->v[i], &ms.s)) < 0)
			goto done;
		if (r == 1) {
			/* Reported once; not tried again. */
			if ((nv = realloc(m->bad, (m->nbad + 1) * 65)) == NULL)
				goto oom;
			m->bad = nv;
			memcpy(m->bad[m->nbad++], l->v[i], 65);
			continue;
		}
		if ((nv = realloc(m->sv, (m->sn + 1) * sizeof(ms))) == NULL) {
			msnap_release(&ms);
			goto oom;
		}
		m->sv = nv;
		m->sv[m->sn++] = ms;
		*added = *changed = 1;
		if (msnap_init(&m->sv[m->sn - 1]))
			goto oom;
	}
	rc = 0;
	goto done;
oom:
	warnp("malloc");
done:
	free(cur);
	return (rc);
}

int
mnt_refresh(struct mnt *m, int force)
{
	struct names l = { NULL, 0, 0 };
	int added = 0, changed = 0, rc = -1, first;

	pthread_mutex_lock(&m->smu);
	first = (m->listed_ms == 0);
	if (!force && now_ms() - m->listed_ms < LIST_INTERVAL_MS) {
		pthread_mutex_unlock(&m->smu);
		return (0);
	}
	if (backend_list(m->ss->r->be, OBJ_SNAPSHOT, name_cb, &l) != 0 ||
	    update(m, &l, &added, &changed))
		goto done;
	if (changed) {
		if (m->sn > 1)
			qsort(m->sv, m->sn, sizeof(*m->sv), timecmp);
		if (name_all(m))
			goto done;
		m->gen++;
	}
	/* New snapshots may use blobs of index files written since. */
	if (added && !first && ix_reload(m))
		goto done;
	rc = 0;
done:
	m->listed_ms = now_ms();
	pthread_mutex_unlock(&m->smu);
	free(l.v);
	return (rc);
}

void
mnt_lock(struct mnt *m)
{

	pthread_mutex_lock(&m->smu);
}

void
mnt_unlock(struct mnt *m)
{

	pthread_mutex_unlock(&m->smu);
}

/* --- files ----------------------------------------------------------- */

int
mnt_open(struct mnt *m, const struct node *nd, const char *path,
    struct mfile **fp)
{
	struct mindex *mi;
	struct idx_entry e;
	struct mfile *f;
	char hex[65];
	uint64_t sum = 0;
	size_t i;
	int rc = 1;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(path)) == NULL ||
	    (nd->ncontent > 0 &&
	    ((f->ids = malloc(nd->ncontent * 32)) == NULL ||
	    (f->end = malloc(nd->ncontent * sizeof(uint64_t))) == NULL))) {
		warnp("malloc");
		mnt_close(f);
		return (-1);
	}
	f->n = nd->ncontent;
	f->size = nd->size;
	if (f->n > 0)
		memcpy(f->ids, nd->content, f->n * 32);
	mi = ix_get(m);
	for (i = 0; i < f->n; i++) {
		if (!index_lookup(mi->ix, f->ids[i], &e, NULL) ||
		    e.type != BLOB_DATA) {
			hex_encode(f->ids[i], 32, hex);
			warn0("%s: blob %s: not in the index", path, hex);
			goto done;
		}
		sum += e.raw_len;
		f->end[i] = sum;
	}
	if (sum != f->size) {
		warn0("%s: its blobs hold %llu bytes, its size is %llu", path,
		    (unsigned long long)sum, (unsigned long long)f->size);
		goto done;
	}
	rc = 0;
done:
	ix_put(m, mi);
	if (rc != 0)
		mnt_close(f);
	else
		*fp = f;
	return (rc);
}

void
mnt_close(struct mfile *f)
{

	if (f == NULL)
		return;
	free(f->ids);
	free(f->end);
	free(f->path);
	free(f);
}

/* The first blob that ends after off. */
static size_t
find_blob(const struct mfile *f, uint64_t off)
{
	size_t lo = 0, hi = f->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->end[mid] <= off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (lo);
}

int
mnt_read(struct mnt *m, struct mfile *f, uint64_t off, size_t len,
    struct mread *rd)
{
	struct idcache_ent *e;
	uint64_t start, pos = off, left = len, o, take;
	size_t i, last, k;
	char hex[65];
	int rc;

	memset(rd, 0, sizeof(*rd));
	i = find_blob(f, off);
	last = find_blob(f, off + len - 1);
	if (last >= f->n)
		return (1);	/* cannot happen: len is cut at the size */
	k = last - i + 1;
	if ((rd->iov = calloc(k, sizeof(*rd->iov))) == NULL ||
	    (rd->ents = calloc(k, sizeof(*rd->ents))) == NULL) {
		warnp("calloc");
		mnt_read_done(m, rd);
		return (-1);
	}
	for (; left > 0; i++) {
		start = i > 0 ? f->end[i - 1] : 0;
		if ((rc = idcache_get(m->blobs, f->ids[i], &e)) != 0 ||
		    idcache_size(e) != f->end[i] - start) {
			hex_encode(f->ids[i], 32, hex);
			warn0("%s: cannot read blob %s at offset %llu", f->path,
			    hex, (unsigned long long)start);
			idcache_put(m->blobs, e);
			mnt_read_done(m, rd);
			return (rc < 0 ? -1 : 1);
		}
		o = pos - start;
		take = f->end[i] - pos < left ? f->end[i] - pos : left;
		rd->iov[rd->n].iov_base = (uint8_t *)idcache_val(e) + o;
		rd->iov[rd->n].iov_len = take;
		rd->ents[rd->n++] = e;
		pos += take;
		left -= take;
	}
	for (k = 0; k < PREFETCH_DEPTH && i + k < f->n; k++)
		prefetch(m, f->ids[i + k]);
	return (0);
}

void
mnt_read_done(struct mnt *m, struct mread *rd)
{
	size_t i;

	for (i = 0; i < rd->n; i++)
		idcache_put(m->blobs, rd->ents[i]);
	free(rd->iov);
	free(rd->ents);
	memset(rd, 0, sizeof(*rd));
}

/* --- setup ----------------------------------------------------------- */

int
mnt_init(struct mnt *m, struct session *ss, size_t cache_bytes)
{

	memset(m, 0, sizeof(*m));
	m->ss = ss;
	pthread_mutex_init(&m->ixmu, NULL);
	pthread_mutex_init(&m->smu, NULL);
	pthread_mutex_init(&m->pmu, NULL);
	pthread_cond_init(&m->pcv, NULL);
	if ((m->cur = calloc(1, sizeof(*m->cur))) == NULL) {
		warnp("calloc");
		return (-1);
	}
	m->cur->ix = ss->ix;
	m->cur->refs = 1;
	ss->ix = NULL;
	if ((m->blobs = idcache_new(cache_bytes, BLOB_CACHE_ENTS, load_blob,
	    free, m)) == NULL ||
	    (m->trees = idcache_new(TREE_CACHE_BYTES, TREE_CACHE_ENTS,
	    load_tree, free_tree, m)) == NULL)
		return (-1);
	if (mnt_refresh(m, 1))
		return (-1);
	while (m->npthr < (int)(sizeof(m->pthr) / sizeof(m->pthr[0])) &&
	    pthread_create(&m->pthr[m->npthr], NULL, prefetcher, m) == 0)
		m->npthr++;
	return (0);
}

void
mnt_release(struct mnt *m)
{
	size_t i;

	pthread_mutex_lock(&m->pmu);
	m->pstop = 1;
	pthread_cond_broadcast(&m->pcv);
	pthread_mutex_unlock(&m->pmu);
	while (m->npthr > 0)
		pthread_join(m->pthr[--m->npthr], NULL);
	idcache_free(m->blobs);
	idcache_free(m->trees);
	for (i = 0; i < m->sn; i++)
		msnap_release(&m->sv[i]);
	free(m->sv);
	free(m->hosts);
	free(m->tagv);
	free(m->bad);
	if (m->cur != NULL)
		ix_put(m, m->cur);
	pthread_mutex_destroy(&m->ixmu);
	pthread_mutex_destroy(&m->smu);
	pthread_mutex_destroy(&m->pmu);
	pthread_cond_destroy(&m->pcv);
	memset(m, 0, sizeof(*m));
}
