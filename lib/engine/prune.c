/*
 * prune, part one: what is needed and what becomes of each pack.
 *
 * Memory: one u32 per blob of the index (the owner table, keyed by the
 * blob's position in the sorted index, which lives in a mapped file), one
 * record per pack, one u32 per (index file, pack) listing; no table keyed
 * by blob id.  For 10 million blobs in 600 000 packs that is about 40 MB
 * + 80 MB.
 *
 * 1. Mark: walk every snapshot's trees; a tree already marked is not
 *    read again.  Every blob a snapshot names must be in the index with
 *    the right type, and every snapshot must be readable: otherwise
 *    prune stops before changing anything (it cannot know what the
 *    snapshot needs).
 * 2. Scan: read every index file (authenticated; a damaged one stops
 *    prune) in name order.  For each listed pack that exists, count its
 *    blobs; a needed blob is kept in the first such pack that lists it.
 *    The local index cache is used only to map ids to positions: a
 *    needed blob that no authentic index file lists, in a pack that
 *    exists, stops prune, so a damaged cache cannot cause a deletion.
 * 3. Plan: a pack keeping none of its blobs goes; one keeping all stays;
 *    the others are repacked, most wasteful first, until what is left
 *    unused is under --max-unused (or --max-repack-size is reached).
 *    An index file that lists a pack that goes (or is missing) is
 *    rewritten.
 * 4. Write and delete (prune_write.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/blobread.h"
#include "snapshot/snapshot.h"
#include "tree/tree.h"
#include "util/warnp.h"

#include "prune_int.h"

void
prune_opts_init(struct prune_opts *o)
{

	memset(o, 0, sizeof(*o));
	o->unused_kind = PRUNE_UNUSED_PCT;
	o->unused_pct = 5;
}

static void
say(struct prune *p, const char *fmt, ...) __attribute__((format(printf,
    2, 3)));

static void
say(struct prune *p, const char *fmt, ...)
{
	va_list ap;

	if (p->o->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---- 1. Mark ---- */

struct idstack {
	uint8_t (*v)[32];
	size_t n, cap;
};

static int
push(struct idstack *s, const uint8_t id[32])
{
	void *t;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 256;
		if ((t = realloc(s->v, s->cap * 32)) == NULL) {
			warnp("realloc");
			return (-1);
		}
		s->v = t;
	}
	memcpy(s->v[s->n++], id, 32);
	return (0);
}

/*
 * need(p, id, type): mark a blob needed.  1 if newly marked, 0 if it was
 * already, 2 if the index does not have it (with that type).
 */
static int
need(struct prune *p, const uint8_t id[32], uint8_t type)
{
	size_t pos = index_pos(p->ix, id);

	if (pos == INDEX_NOPOS || index_at(p->ix, pos)->type != type)
		return (2);
	if (p->owner[pos] != OWN_UNUSED)
		return (0);
	p->owner[pos] = OWN_NEEDED;
	p->st->blobs_used++;
	return (1);
}

/* Mark everything snapshot name (root tree root) needs.  0, 1, -1. */
static int
mark_snapshot(struct prune *p, const char *name, const uint8_t root[32])
{
	struct idstack s = { NULL, 0, 0 };
	struct tree t;
	uint8_t id[32];
	char h[65];
	size_t i, k;
	int rc;

	if ((rc = need(p, root, BLOB_TREE)) == 0)
		return (0);
	if (rc == 2 || push(&s, root)) {
		rc = rc == 2 ? 1 : -1;
		memcpy(id, root, 32);
		goto fail;
	}
	while (s.n > 0) {
		memcpy(id, s.v[--s.n], 32);
		if ((rc = tree_load(p->r, p->ix, id, &t)) != 0)
			goto fail;
		p->st->trees++;
		for (i = 0; i < t.n; i++) {
			const struct node *nd = &t.nodes[i];

			for (k = 0; k < nd->ncontent; k++)
				if (need(p, nd->content[k], BLOB_DATA) == 2) {
					memcpy(id, nd->content[k], 32);
					tree_release(&t);
					rc = 1;
					goto fail;
				}
			if (nd->type != NODE_DIR)
				continue;
			if ((rc = need(p, nd->subtree, BLOB_TREE)) == 2) {
				memcpy(id, nd->subtree, 32);
				tree_release(&t);
				rc = 1;
				goto fail;
			}
			if (rc == 1 && push(&s, nd->subtree)) {
				tree_release(&t);
				rc = -1;
				goto fail;
			}
		}
		tree_release(&t);
	}
	free(s.v);
	return (0);
fail:
	if (rc == 1) {
		hex_encode(id, 32, h);
		warn0("snapshot %s needs blob %s, which is missing from the "
		    "index or cannot be read: prune stops without changing "
		    "anything (run `coffer check`)", name, h);
	}
	free(s.v);
	return (rc);
}

struct names {
	char (*v)[65];
	size_t n, cap;
};

static int
name_cb(void *cookie, const char *name, uint64_t size)
{
	struct names *ns = cookie;
	void *t;

	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 64;
		if ((t = realloc(ns->v, ns->cap * 65)) == NULL) {
			warnp("realloc");
			return (-1);
		}
		ns->v = t;
	}
	memcpy(ns->v[ns->n++], name, 65);
	return (0);
}

static int
namecmp(const void *a, const void *b)
{

	return (strcmp(a, b));
}

/* List the names of one type of object, sorted.  0 or -1. */
static int
list_names(struct repo *r, enum obj_type t, struct names *ns)
{

	memset(ns, 0, sizeof(*ns));
	if (backend_list(r->be, t, name_cb, ns) != 0) {
		free(ns->v);
		ns->v = NULL;
		return (-1);
	}
	if (ns->n > 1)
		qsort(ns->v, ns->n, 65, namecmp);
	return (0);
}

static int
mark(struct prune *p)
{
	struct names ns;
	struct snapshot s;
	size_t i;
	int rc = 0;

	if (list_names(p->r, OBJ_SNAPSHOT, &ns))
		return (-1);
	say(p, "marking the data of %zu snapshots", ns.n);
	for (i = 0; i < ns.n && rc == 0; i++) {
		if ((rc = snapshot_load(p->r, ns.v[i], &s)) == 1) {
			warn0("snapshot %s cannot be read: prune stops "
			    "without changing anything (run `coffer check`; "
			    "remove the snapshot if it cannot be repaired)",
			    ns.v[i]);
			break;
		}
		if (rc != 0)
			break;
		p->st->snapshots++;
		rc = mark_snapshot(p, ns.v[i], s.tree);
		snapshot_release(&s);
	}
	free(ns.v);
	return (rc);
}

/* ---- 2. Scan the packs and index files ---- */

static int
pack_cb(void *cookie, const char *name, uint64_t size)
{
	struct prune *p = cookie;
	struct ppack *pp;
	void *t;

	if (p->npacks == p->pcap) {
		p->pcap = p->pcap ? p->pcap * 2 : 1024;
		if ((t = realloc(p->packs, p->pcap * sizeof(*pp))) == NULL) {
			warnp("realloc");
			return (-1);
		}
		p->packs = t;
	}
	pp = &p->packs[p->npacks];
	memset(pp, 0, sizeof(*pp));
	if (hex_decode(name, pp->id, 32) != 0)
		return (0);
	pp->size = size;
	p->npacks++;
	return (0);
}

static int
ppcmp(const void *a, const void *b)
{

	return (memcmp(a, b, 32));
}

size_t
pp_find(struct prune *p, const uint8_t id[32])
{
	struct ppack *pp;
	size_t i;

	if ((pp = bsearch(id, p->packs, p->npresent, sizeof(*pp),
	    ppcmp)) != NULL)
		return ((size_t)(pp - p->packs));
	for (i = p->npresent; i < p->npacks; i++)
		if (memcmp(p->packs[i].id, id, 32) == 0)
			return (i);
	return (SIZE_MAX);
}

struct scan {
	struct prune *p;
	struct ixfile *f;
	uint8_t cur[32];
	size_t num;		/* pack being listed, or SIZE_MAX */
	int skip;		/* listed before: its blobs are counted */
};

/* A pack listed by the current index file: find or add it. */
static int
scan_pack(struct scan *sc, const struct idx_pack *pk)
{
	struct prune *p = sc->p;
	struct ppack *pp;
	void *t;

	memcpy(sc->cur, pk->id, 32);
	if ((sc->num = pp_find(p, pk->id)) == SIZE_MAX) {
		if (p->npacks >= PP_MAXPACK) {
			warn0("too many packs");
			return (-1);
		}
		if (p->npacks == p->pcap) {
			p->pcap = p->pcap ? p->pcap * 2 : 1024;
			if ((t = realloc(p->packs, p->pcap * sizeof(*pp))) ==
			    NULL) {
				warnp("realloc");
				return (-1);
			}
			p->packs = t;
		}
		pp = &p->packs[p->npacks];
		memset(pp, 0, sizeof(*pp));
		memcpy(pp->id, pk->id, 32);
		pp->missing = 1;
		sc->num = p->npacks++;
	}
	pp = &p->packs[sc->num];
	sc->skip = pp->listed;
	pp->listed = 1;
	if (p->nrefs == p->rcap) {
		p->rcap = p->rcap ? p->rcap * 2 : 1024;
		if ((t = realloc(p->refs, p->rcap * sizeof(*p->refs))) ==
		    NULL) {
			warnp("realloc");
			return (-1);
		}
		p->refs = t;
	}
	p->refs[p->nrefs++] = (uint32_t)sc->num;
	sc->f->nref++;
	return (0);
}

static int
scan_cb(void *cookie, const struct idx_pack *pk, const struct idx_entry *e)
{
	struct scan *sc = cookie;
	struct prune *p = sc->p;
	struct ppack *pp;
	size_t pos;

	if ((sc->num == SIZE_MAX || memcmp(sc->cur, pk->id, 32) != 0) &&
	    scan_pack(sc, pk))
		return (-1);
	if (sc->skip)
		return (0);
	pp = &p->packs[sc->num];
	pp->nblobs++;
	pp->total += e->stored_len;
	pp->types |= (uint8_t)(1u << e->type);
	if (pp->missing)
		return (0);
	pos = index_pos(p->ix, e->id);
	if (pos != INDEX_NOPOS && p->owner[pos] == OWN_NEEDED &&
	    index_at(p->ix, pos)->type == e->type) {
		p->owner[pos] = (uint32_t)sc->num;
		pp->nused++;
		pp->used += e->stored_len;
	}
	return (0);
}

static int
scan(struct prune *p)
{
	struct names ns;
	struct buf b = BUF_INIT;
	struct scan sc;
	size_t i;
	int rc = -1;

	if (backend_list(p->r->be, OBJ_DATA, pack_cb, p) != 0)
		return (-1);
	if (p->npacks > 1)
		qsort(p->packs, p->npacks, sizeof(*p->packs), ppcmp);
	p->npresent = p->npacks;
	if (list_names(p->r, OBJ_INDEX, &ns))
		return (-1);
	say(p, "reading %zu index files and classifying %zu packs", ns.n,
	    p->npresent);
	if ((p->files = calloc(ns.n ? ns.n : 1, sizeof(*p->files))) == NULL) {
		warnp("calloc");
		goto done;
	}
	for (i = 0; i < ns.n; i++) {
		memset(&sc, 0, sizeof(sc));
		sc.p = p;
		sc.num = SIZE_MAX;
		sc.f = &p->files[p->nfiles];
		hex_decode(ns.v[i], sc.f->id, 32);
		sc.f->ref0 = p->nrefs;
		if ((rc = repo_get_sealed(p->r, OBJ_INDEX, ns.v[i], &b)) == 0 &&
		    (rc = index_parse(b.data, b.len, scan_cb, &sc)) == 1)
			warn0("index %s: malformed", ns.v[i]);
		if (rc == 1)
			warn0("index %s cannot be used: prune stops without "
			    "changing anything (run `coffer check`)", ns.v[i]);
		if (rc != 0)
			goto done;
		p->nfiles++;
	}
	p->st->index_files = p->nfiles;
	rc = 0;
done:
	buf_release(&b);
	free(ns.v);
	return (rc);
}

/* Every needed blob must have a pack to stay in.  0 or 1. */
static int
all_placed(struct prune *p)
{
	char h[65];
	size_t i, bad = 0;

	for (i = 0; i < p->n; i++) {
		if (p->owner[i] != OWN_NEEDED)
			continue;
		if (bad++ < 5) {
			hex_encode(index_at(p->ix, i)->id, 32, h);
			warn0("blob %s is needed by a snapshot but no existing "
			    "pack listed in an index file holds it", h);
		}
	}
	if (bad > 0)
		warn0("%zu needed blobs have no pack: prune stops without "
		    "changing anything (run `coffer check`)", bad);
	return (bad > 0);
}

/* ---- 3. Plan ---- */

static const struct ppack *sort_base;

static int
candcmp(const void *a, const void *b)
{
	const struct ppack *x = &sort_base[*(const uint32_t *)a];
	const struct ppack *y = &sort_base[*(const uint32_t *)b];
	double rx = (double)(x->total - x->used) / (double)x->total;
	double ry = (double)(y->total - y->used) / (double)y->total;

	/* Most wasteful first: the most space freed per byte copied. */
	if (rx != ry)
		return (rx > ry ? -1 : 1);
	return (memcmp(x->id, y->id, 32));
}

static int
plan(struct prune *p)
{
	struct prune_stats *st = p->st;
	struct ppack *pp;
	uint32_t *cand = NULL;
	uint64_t used = 0, left = 0, maxun, copy = 0;
	size_t i, nc = 0;
	unsigned int t;

	if ((cand = malloc((p->npacks ? p->npacks : 1) * sizeof(*cand))) ==
	    NULL) {
		warnp("malloc");
		return (-1);
	}
	for (i = 0; i < p->npacks; i++) {
		pp = &p->packs[i];
		if (pp->missing) {
			pp->action = ACT_DELETE;	/* from the index */
			st->packs_missing++;
			continue;
		}
		st->packs++;
		st->bytes += pp->size;
		if (!pp->listed) {
			pp->action = ACT_KEEP;
			st->packs_orphan++;
			st->bytes_orphan += pp->size;
			continue;
		}
		used += pp->used;
		st->bytes_used += pp->used;
		st->blobs_unused += pp->nblobs - pp->nused;
		st->bytes_unused += pp->total - pp->used;
		if (pp->nused == 0)
			pp->action = ACT_DELETE;
		else if (pp->nused == pp->nblobs)
			pp->action = ACT_KEEP;
		else {
			pp->action = ACT_KEEP;
			cand[nc++] = (uint32_t)i;
			left += pp->total - pp->used;
		}
	}
	switch (p->o->unused_kind) {
	case PRUNE_UNUSED_BYTES:
		maxun = p->o->unused_bytes;
		break;
	case PRUNE_UNUSED_ANY:
		maxun = UINT64_MAX;
		break;
	default:
		maxun = (uint64_t)(p->o->unused_pct /
		    (100 - p->o->unused_pct) * (double)used);
	}
	sort_base = p->packs;
	if (nc > 1)
		qsort(cand, nc, sizeof(*cand), candcmp);
	for (i = 0; i < nc && left > maxun; i++) {
		pp = &p->packs[cand[i]];
		if (p->o->max_repack > 0 && copy + pp->used > p->o->max_repack)
			continue;
		pp->action = ACT_REPACK;
		copy += pp->used;
		left -= pp->total - pp->used;
	}
	/*
	 * --repack-small: packs under 80% of the target size (every backup
	 * leaves some: its tree pack, each worker's last data pack) are
	 * merged, data and tree packs apart (as they are written), when a
	 * kind has at least two of them: one alone stays as it is.
	 */
	for (t = 1; p->o->repack_small && t <= 2; t++) {
		for (i = nc = 0; i < p->npresent; i++) {
			pp = &p->packs[i];
			if (pp->listed && pp->action == ACT_KEEP &&
			    pp->types == t && pp->size <
			    (uint64_t)p->r->cfg.pack_size / 5 * 4)
				cand[nc++] = (uint32_t)i;
		}
		for (i = 0; nc >= 2 && i < nc; i++) {
			pp = &p->packs[cand[i]];
			if (p->o->max_repack > 0 &&
			    copy + pp->used > p->o->max_repack)
				continue;
			pp->action = ACT_REPACK;
			copy += pp->used;
			left -= pp->total - pp->used;
		}
	}
	free(cand);
	st->bytes_unused_after = left;
	for (i = 0; i < p->npresent; i++) {
		pp = &p->packs[i];
		if (!pp->listed)
			continue;
		if (pp->action == ACT_KEEP) {
			st->packs_keep++;
			st->bytes_keep += pp->size;
		} else if (pp->action == ACT_DELETE) {
			st->packs_delete++;
			st->bytes_delete += pp->size;
		} else {
			st->packs_repack++;
			st->bytes_repack += pp->size;
			st->blobs_copy += pp->nused;
			st->bytes_copy += pp->used;
		}
	}
	/* Index files that list a pack that goes are rewritten. */
	for (i = 0; i < p->nfiles; i++) {
		struct ixfile *f = &p->files[i];
		size_t k;

		for (k = 0; k < f->nref; k++)
			if (p->packs[p->refs[f->ref0 + k]].action != ACT_KEEP)
				f->dirty = 1;
		if (f->dirty) {
			st->index_deleted++;
			continue;
		}
		for (k = 0; k < f->nref; k++)
			p->packs[p->refs[f->ref0 + k]].emitted = 1;
	}
	return (0);
}

/* ---- All together ---- */

static int
run(struct prune *p)
{
	struct prune_stats *st = p->st;
	int rc;

	p->n = index_count(p->ix);
	if ((p->owner = malloc((p->n ? p->n : 1) * sizeof(*p->owner))) ==
	    NULL) {
		warnp("malloc");
		return (-1);
	}
	memset(p->owner, 0xff, p->n * sizeof(*p->owner));	/* UNUSED */
	if ((rc = mark(p)) != 0)
		return (rc);
	say(p, "%llu snapshots need %llu blobs (%llu trees)",
	    (unsigned long long)st->snapshots,
	    (unsigned long long)st->blobs_used,
	    (unsigned long long)st->trees);
	if ((rc = scan(p)) != 0 || (rc = all_placed(p)) != 0 ||
	    (rc = plan(p)) != 0)
		return (rc);
	if (p->o->dry_run)
		return (0);
	if (st->packs_repack > 0)
		say(p, "repacking %llu packs", (unsigned long long)
		    st->packs_repack);
	if ((rc = prune_repack(p)) != 0 || (rc = prune_reindex(p)) != 0 ||
	    (rc = prune_flush_index(p)) != 0)
		return (rc);
	/*
	 * Deleting is safe only while no backup can run: if our lock was
	 * removed (unlock --remove-all) or went stale, one may have started.
	 * What was written is harmless (duplicates); stop here.
	 */
	if (p->o->lock != NULL && lock_check(p->o->lock)) {
		warn0("the exclusive lock was lost (removed by another "
		    "process, or not refreshed in time): prune stops before "
		    "deleting anything; run it again");
		return (1);
	}
	if (st->index_deleted > 0 || st->packs_delete > 0 ||
	    st->packs_repack > 0)
		say(p, "deleting %llu index files and %llu packs",
		    (unsigned long long)st->index_deleted,
		    (unsigned long long)(st->packs_delete +
		    st->packs_repack));
	return (prune_delete(p));
}

int
prune_run(struct repo *r, struct index *ix, const struct prune_opts *o,
    struct prune_stats *st)
{
	struct prune p;
	struct timespec t0, t1;
	struct index *own = NULL;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(st, 0, sizeof(*st));
	memset(&p, 0, sizeof(p));
	p.r = r;
	p.o = o;
	p.st = st;
	if (ix == NULL) {
		if (!o->quiet)
			printf("loading the index\n");
		if (index_load(r, &own))
			return (-1);
		ix = own;
	}
	p.ix = ix;
	rc = run(&p);
	index_free(own);
	free(p.owner);
	free(p.packs);
	free(p.files);
	free(p.refs);
	buf_release(&p.ibody);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	return (rc);
}
