#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "engine/blobread.h"
#include "index/index.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "check.h"

struct packinfo {
	char name[65];
	uint64_t size;
	uint64_t need;		/* end of the last indexed blob */
	int indexed;
};

struct ref {
	uint8_t pack[32];
	struct pack_entry e;
};

struct ck {
	struct repo *r;
	const struct check_opts *o;
	struct index *ix;
	struct packinfo *packs;
	size_t npacks, pcap;
	struct ref *refs;
	size_t nrefs, rcap;
	_Atomic uint64_t nerr;
	_Atomic size_t next;	/* next pack for the readers */
	uint8_t (*seen)[32];	/* trees already checked (hash set) */
	size_t seencap, nseen;
};

static void
problem(struct ck *c, const char *fmt, ...) __attribute__((format(printf,
    2, 3)));

static void
problem(struct ck *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn0("%s", msg);
	atomic_fetch_add(&c->nerr, 1);
}

static int
pack_cb(void *cookie, const char *name, uint64_t size)
{
	struct ck *c = cookie;
	void *p;

	if (c->npacks == c->pcap) {
		c->pcap = c->pcap ? c->pcap * 2 : 256;
		if ((p = realloc(c->packs, c->pcap * sizeof(*c->packs))) ==
		    NULL)
			return (-1);
		c->packs = p;
	}
	memset(&c->packs[c->npacks], 0, sizeof(c->packs[0]));
	memcpy(c->packs[c->npacks].name, name, 65);
	c->packs[c->npacks++].size = size;
	return (0);
}

static int
packcmp(const void *a, const void *b)
{

	return (strcmp(((const struct packinfo *)a)->name,
	    ((const struct packinfo *)b)->name));
}

static struct packinfo *
find_pack(struct ck *c, const uint8_t id[32])
{
	struct packinfo key;

	hex_encode(id, 32, key.name);
	return (bsearch(&key, c->packs, c->npacks, sizeof(key), packcmp));
}

static int
ref_cb(void *cookie, const struct idx_pack *pk, const struct idx_entry *e)
{
	struct ck *c = cookie;
	struct ref *rf;
	void *p;

	if (c->nrefs == c->rcap) {
		c->rcap = c->rcap ? c->rcap * 2 : 4096;
		if ((p = realloc(c->refs, c->rcap * sizeof(*c->refs))) == NULL)
			return (-1);
		c->refs = p;
	}
	rf = &c->refs[c->nrefs++];
	memcpy(rf->pack, pk->id, 32);
	memcpy(rf->e.id, e->id, 32);
	rf->e.type = e->type;
	rf->e.flags = e->flags;
	rf->e.offset = e->offset;
	rf->e.stored_len = e->stored_len;
	rf->e.raw_len = e->raw_len;
	return (0);
}

static int
refcmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int k = memcmp(x->pack, y->pack, 32);

	if (k != 0)
		return (k);
	return ((x->e.offset > y->e.offset) - (x->e.offset < y->e.offset));
}

/* Keys: each slot's hash must match its name. */
static int
key_cb(void *cookie, const char *name, uint64_t size)
{
	struct ck *c = cookie;
	struct buf b = BUF_INIT;
	uint8_t h[32], want[32];

	if (backend_get(c->r->be, OBJ_KEY, name, &b) == 0) {
		crypto_sha256(b.data, b.len, h);
		hex_decode(name, want, 32);
		if (sodium_memcmp(h, want, 32) != 0)
			problem(c, "key %s: hash does not match its name "
			    "(damaged)", name);
	} else
		problem(c, "key %s: cannot be read", name);
	buf_release(&b);
	return (0);
}

/* Index files: each must be intact, authentic and well formed. */
static int
index_cb2(void *cookie, const char *name, uint64_t size)
{
	struct ck *c = cookie;
	struct buf b = BUF_INIT;
	int rc;

	warnp_quiet(1);
	rc = repo_get_sealed(c->r, OBJ_INDEX, name, &b);
	warnp_quiet(0);
	if (rc < 0) {
		buf_release(&b);
		return (-1);
	}
	if (rc == 1)
		problem(c, "index %s: damaged (hash or authentication "
		    "failed)", name);
	else if ((rc = index_parse(b.data, b.len, ref_cb, c)) == 1)
		problem(c, "index %s: malformed", name);
	buf_release(&b);
	return (rc < 0 ? -1 : 0);
}


/* Compare a pack's header with the index and verify every blob. */
static void
read_pack(struct ck *c, struct packinfo *pi, const uint8_t *p, size_t len)
{
	struct pack_entry *e = NULL;
	struct buf out = BUF_INIT;
	uint8_t key[CRYPTO_KEY_LEN], id[32];
	struct ref keyref, *rf;
	char bh[65];
	size_t n, i;
	int rc;

	if ((rc = pack_parse(c->r, p, len, &e, &n)) != 0) {
		problem(c, "pack %s: header is %s", pi->name, rc == 1 ?
		    "damaged or not authentic" : "unreadable");
		return;
	}
	hex_decode(pi->name, id, 32);
	if (pack_key(c->r, p, key)) {
		free(e);
		return;
	}
	for (i = 0; i < n; i++) {
		hex_encode(e[i].id, 32, bh);
		if (e[i].offset + (uint64_t)e[i].stored_len > len ||
		    (rc = blob_open(c->r, key, &e[i], p + e[i].offset,
		    &out)) == 1)
			problem(c, "pack %s: blob %s failed authentication "
			    "(damaged)", pi->name, bh);
		if (!pi->indexed)
			continue;
		memcpy(keyref.pack, id, 32);
		keyref.e.offset = e[i].offset;
		rf = bsearch(&keyref, c->refs, c->nrefs, sizeof(*rf), refcmp);
		if (rf == NULL || memcmp(rf->e.id, e[i].id, 32) != 0 ||
		    rf->e.stored_len != e[i].stored_len ||
		    rf->e.raw_len != e[i].raw_len ||
		    rf->e.flags != e[i].flags || rf->e.type != e[i].type)
			problem(c, "pack %s: blob %s does not match the index",
			    pi->name, bh);
	}
	sodium_memzero(key, sizeof(key));
	buf_release(&out);
	free(e);
}

static void *
pack_reader(void *cookie)
{
	struct ck *c = cookie;
	struct buf b = BUF_INIT;
	struct packinfo *pi;
	uint8_t h[32], want[32];
	size_t i;
	int rc;

	while ((i = atomic_fetch_add(&c->next, 1)) < c->npacks) {
		pi = &c->packs[i];
		if ((rc = backend_get(c->r->be, OBJ_DATA, pi->name, &b)) != 0) {
			problem(c, "pack %s: cannot be read", pi->name);
			continue;
		}
		crypto_sha256(b.data, b.len, h);
		hex_decode(pi->name, want, 32);
		if (memcmp(h, want, 32) != 0) {
			problem(c, "pack %s: hash does not match its name "
			    "(damaged)", pi->name);
			continue;
		}
		if (c->o->read_data)
			read_pack(c, pi, b.data, b.len);
	}
	buf_release(&b);
	return (NULL);
}

static int
check_packs(struct ck *c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int n = c->o->nworkers > 0 ? c->o->nworkers : (ncpu > 0 ?
	    (int)ncpu : 2), i, started = 0;
	pthread_t *thr;

	if ((thr = calloc((size_t)n, sizeof(*thr))) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		if (pthread_create(&thr[i], NULL, pack_reader, c) == 0)
			started++;
	if (started == 0)
		pack_reader(c);
	for (i = 0; i < started; i++)
		pthread_join(thr[i], NULL);
	free(thr);
	return (0);
}

/* The hash set of trees already walked.  1 if id was there already. */
static int
seen(struct ck *c, const uint8_t id[32])
{
	size_t i, mask;
	uint8_t (*old)[32];
	size_t oldcap;
	static const uint8_t zero[32];

	if ((c->nseen + 1) * 2 > c->seencap) {
		old = c->seen;
		oldcap = c->seencap;
		c->seencap = oldcap ? oldcap * 2 : 1024;
		if ((c->seen = calloc(c->seencap, 32)) == NULL)
			return (-1);
		c->nseen = 0;
		for (i = 0; i < oldcap; i++)
			if (memcmp(old[i], zero, 32) != 0)
				seen(c, old[i]);
		free(old);
	}
	mask = c->seencap - 1;
	for (i = le64dec(id) & mask;; i = (i + 1) & mask) {
		if (memcmp(c->seen[i], id, 32) == 0)
			return (1);
		if (memcmp(c->seen[i], zero, 32) == 0)
			break;
	}
	memcpy(c->seen[i], id, 32);
	c->nseen++;
	return (0);
}

static int
check_tree(struct ck *c, const char *snap, const uint8_t id[32],
    const char *path)
{
	struct idx_entry e;
	struct tree t;
	char sub[4096], h[65];
	size_t i, k;
	int rc;

	if ((rc = seen(c, id)) != 0)
		return (rc < 0 ? -1 : 0);
	hex_encode(id, 32, h);
	warnp_quiet(1);
	rc = tree_load(c->r, c->ix, id, &t);
	warnp_quiet(0);
	if (rc < 0)
		return (-1);
	if (rc == 1) {
		problem(c, "snapshot %.8s: tree %s (%s) is missing, damaged "
		    "or malformed", snap, h, path[0] ? path : "/");
		return (0);
	}
	for (i = 0; i < t.n; i++) {
		const struct node *nd = &t.nodes[i];

		snprintf(sub, sizeof(sub), "%s/%.*s", path, (int)nd->name_len,
		    (const char *)nd->name);
		for (k = 0; k < nd->ncontent; k++) {
			if (index_lookup(c->ix, nd->content[k], &e, NULL) &&
			    e.type == BLOB_DATA)
				continue;
			hex_encode(nd->content[k], 32, h);
			problem(c, "snapshot %.8s: %s: data blob %s is not in "
			    "the index", snap, sub, h);
		}
		if (nd->type == NODE_DIR &&
		    check_tree(c, snap, nd->subtree, sub)) {
			tree_release(&t);
			return (-1);
		}
	}
	tree_release(&t);
	return (0);
}

static int
snap_cb(void *cookie, const char *name, uint64_t size)
{
	struct ck *c = cookie;
	struct snapshot s;
	int rc;

	warnp_quiet(1);
	rc = snapshot_load(c->r, name, &s);
	warnp_quiet(0);
	if (rc < 0)
		return (-1);
	if (rc == 1) {
		problem(c, "snapshot %s: damaged (hash, authentication or "
		    "format)", name);
		return (0);
	}
	rc = check_tree(c, name, s.tree, "");
	snapshot_release(&s);
	return (rc);
}

int
check_run(struct repo *r, const struct check_opts *o, uint64_t *nerr)
{
	struct ck c;
	struct packinfo *pi;
	size_t i, j;
	int rc = -1;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.o = o;
	if (!o->quiet)
		printf("checking keys, index and packs\n");
	if (backend_list(r->be, OBJ_KEY, key_cb, &c) < 0 ||
	    backend_list(r->be, OBJ_DATA, pack_cb, &c) < 0 ||
	    backend_list(r->be, OBJ_INDEX, index_cb2, &c) < 0)
		goto done;
	if (c.npacks > 0)
		qsort(c.packs, c.npacks, sizeof(*c.packs), packcmp);
	if (c.nrefs > 0)
		qsort(c.refs, c.nrefs, sizeof(*c.refs), refcmp);
	/* Every indexed pack exists and is long enough. */
	for (i = 0; i < c.nrefs; i = j) {
		uint64_t need = 0;
		char h[65];

		for (j = i; j < c.nrefs &&
		    memcmp(c.refs[j].pack, c.refs[i].pack, 32) == 0; j++)
			if (c.refs[j].e.offset + (uint64_t)
			    c.refs[j].e.stored_len > need)
				need = c.refs[j].e.offset +
				    (uint64_t)c.refs[j].e.stored_len;
		if ((pi = find_pack(&c, c.refs[i].pack)) == NULL) {
			hex_encode(c.refs[i].pack, 32, h);
			problem(&c, "pack %s: missing (the index lists %zu "
			    "blobs in it)", h, j - i);
			continue;
		}
		pi->indexed = 1;
		if (pi->size < need + 32)
			problem(&c, "pack %s: truncated (%llu bytes, the index "
			    "needs %llu)", pi->name,
			    (unsigned long long)pi->size,
			    (unsigned long long)need + 32);
	}
	if (!o->quiet)
		printf("%s %zu packs\n", o->read_data ? "reading all data in" :
		    "checking the hashes of", c.npacks);
	if (check_packs(&c))
		goto done;
	for (i = 0; i < c.npacks; i++)
		if (!c.packs[i].indexed && !o->quiet)
			printf("pack %s is not in any index (left by an "
			    "interrupted backup; harmless)\n",
			    c.packs[i].name);
	if (!o->quiet)
		printf("checking snapshots and trees\n");
	if (index_load_fresh(r, &c.ix) ||
	    backend_list(r->be, OBJ_SNAPSHOT, snap_cb, &c) < 0)
		goto done;
	rc = 0;
done:
	*nerr = c.nerr;
	index_free(c.ix);
	free(c.packs);
	free(c.refs);
	free(c.seen);
	return (rc);
}
