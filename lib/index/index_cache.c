/*
 * The local index cache (never uploaded), version 2:
 *
 *	 0  "CFIC"
 *	 4  version (u32le, 2)
 *	 8  n: entries (u64le)
 *	16  npacks (u64le)
 *	24  nnames: index files it was built from (u64le)
 *	32  fingerprint[32]: SHA-256 of names[]
 *	64  names[nnames]: 32-byte index file ids, sorted
 *	    packs[npacks]: 64 bytes each (pack id, salt)
 *	    entries[n]: struct idx_entry (52 bytes), sorted by blob id
 *
 * When the repository has the same index files, the cache is mapped as it
 * is.  When it has more (the usual case: a backup added some), only the
 * new index files are read, and merged with the mapped entries into a new
 * cache file in one streaming pass: memory grows with what is new, not
 * with the repository.  When index files have gone (prune), it is rebuilt.
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

#include "index_cache.h"

#define CACHE_HDR	64
#define CACHE_VERSION	2

struct names {
	uint8_t (*v)[32];
	size_t n, cap;
};

struct build {
	struct idx_entry *e;
	size_t n, cap;
	struct idx_pack *p;
	size_t np, pcap;
	size_t pbase;		/* pack numbers start here */
};

/* A mapped cache file. */
struct cmap {
	uint8_t *m;
	size_t len;
	uint64_t n, np, nnames;
	const uint8_t (*names)[32];
	const struct idx_pack *packs;
	const struct idx_entry *e;
};

static int
name_cb(void *cookie, const char *name, uint64_t size)
{
	struct names *ns = cookie;
	void *p;

	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 64;
		if ((p = realloc(ns->v, ns->cap * 32)) == NULL) {
			warnp("realloc");
			return (-1);
		}
		ns->v = p;
	}
	if (hex_decode(name, ns->v[ns->n], 32) == 0)
		ns->n++;
	return (0);
}

static int
idcmp(const void *a, const void *b)
{

	return (memcmp(a, b, 32));
}

static int
entcmp(const void *a, const void *b)
{
	const struct idx_entry *x = a, *y = b;
	int c = memcmp(x->id, y->id, 32);

	/* Ties (a blob stored twice) resolved by pack number: stable. */
	if (c != 0)
		return (c);
	return ((x->pack > y->pack) - (x->pack < y->pack));
}

static int
cache_path(struct repo *r, char *dir, size_t dsize, char *path, size_t psize)
{
	const char *base = getenv("COFFER_CACHE_DIR"), *x, *home;
	char idhex[65], tmp[PATH_MAX];

	if (base == NULL) {
		if ((x = getenv("XDG_CACHE_HOME")) != NULL && x[0] == '/')
			snprintf(tmp, sizeof(tmp), "%s/coffer", x);
		else if ((home = getenv("HOME")) != NULL && home[0] == '/')
			snprintf(tmp, sizeof(tmp), "%s/.cache/coffer", home);
		else
			return (-1);
		base = tmp;
	}
	hex_encode(r->id, 32, idhex);
	if ((size_t)snprintf(dir, dsize, "%s/%s", base, idhex) >= dsize ||
	    (size_t)snprintf(path, psize, "%s/index.v2", dir) >= psize)
		return (-1);
	return (0);
}

static int
mkdirs(const char *dir)
{
	char p[PATH_MAX];
	size_t i;

	snprintf(p, sizeof(p), "%s", dir);
	for (i = 1; p[i] != '\0'; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		if (mkdir(p, 0700) && errno != EEXIST)
			return (-1);
		p[i] = '/';
	}
	return ((mkdir(p, 0700) && errno != EEXIST) ? -1 : 0);
}

/* Map a cache file and check its structure.  0, or 1 if unusable. */
static int
cmap_open(const char *path, struct cmap *cm)
{
	struct stat st;
	uint64_t need;
	int fd;

	memset(cm, 0, sizeof(*cm));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (1);
	if (fstat(fd, &st) || st.st_size < CACHE_HDR) {
		close(fd);
		return (1);
	}
	cm->len = (size_t)st.st_size;
	cm->m = mmap(NULL, cm->len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (cm->m == MAP_FAILED)
		return (1);
	cm->n = le64dec(cm->m + 8);
	cm->np = le64dec(cm->m + 16);
	cm->nnames = le64dec(cm->m + 24);
	need = CACHE_HDR;
	if (memcmp(cm->m, "CFIC", 4) != 0 ||
	    le32dec(cm->m + 4) != CACHE_VERSION ||
	    cm->nnames > cm->len / 32 || cm->np > cm->len / 64 ||
	    cm->n > cm->len / sizeof(struct idx_entry))
		goto bad;
	need += cm->nnames * 32 + cm->np * 64 +
	    cm->n * sizeof(struct idx_entry);
	if (need != cm->len)
		goto bad;
	cm->names = (const uint8_t (*)[32])(cm->m + CACHE_HDR);
	cm->packs = (const struct idx_pack *)(cm->m + CACHE_HDR +
	    cm->nnames * 32);
	cm->e = (const struct idx_entry *)((const uint8_t *)cm->packs +
	    cm->np * 64);
	return (0);
bad:
	munmap(cm->m, cm->len);
	cm->m = NULL;
	return (1);
}

static void
cmap_close(struct cmap *cm)
{

	if (cm->m != NULL)
		munmap(cm->m, cm->len);
	cm->m = NULL;
}

/* Hand a mapped cache over to the caller.  0 or -1. */
static int
cmap_give(struct cmap *cm, struct index_cache *c)
{

	if ((c->packs = malloc((size_t)(cm->np ? cm->np : 1) * 64)) == NULL) {
		warnp("malloc");
		return (-1);
	}
	memcpy(c->packs, cm->packs, (size_t)cm->np * 64);
	c->npacks = (size_t)cm->np;
	c->e = cm->e;
	c->n = (size_t)cm->n;
	c->map = cm->m;
	c->maplen = cm->len;
	cm->m = NULL;
	return (0);
}

static int
build_cb(void *cookie, const struct idx_pack *pk, const struct idx_entry *e)
{
	struct build *b = cookie;
	void *t;

	if (b->np == 0 || memcmp(b->p[b->np - 1].id, pk->id, 32) != 0) {
		if (b->np == b->pcap) {
			b->pcap = b->pcap ? b->pcap * 2 : 256;
			if ((t = realloc(b->p, b->pcap * sizeof(*b->p))) ==
			    NULL)
				return (-1);
			b->p = t;
		}
		b->p[b->np++] = *pk;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 4096;
		if ((t = realloc(b->e, b->cap * sizeof(*b->e))) == NULL)
			return (-1);
		b->e = t;
	}
	b->e[b->n] = *e;
	b->e[b->n].pack = (uint32_t)(b->pbase + b->np - 1);
	b->n++;
	return (0);
}

/* Read the given index files into b, sorted and without duplicates. */
static int
read_indexes(struct repo *r, uint8_t (*v)[32], size_t n, struct build *b)
{
	struct buf plain = BUF_INIT;
	char name[65];
	size_t i, j, n0, np0;
	int rc;

	for (i = 0; i < n; i++) {
		hex_encode(v[i], 32, name);
		if ((rc = repo_get_sealed(r, OBJ_INDEX, name, &plain)) < 0)
			goto err;
		if (rc != 0)
			continue;	/* reported; its packs stay unknown */
		n0 = b->n;
		np0 = b->np;
		if ((rc = index_parse(plain.data, plain.len, build_cb, b)) < 0) {
			warnp("index");
			goto err;
		}
		if (rc == 1) {
			/* Rejected whole: drop what it added before failing. */
			b->n = n0;
			b->np = np0;
			warn0("index %s: malformed; skipped", name);
		}
	}
	buf_release(&plain);
	if (b->n > 0)
		qsort(b->e, b->n, sizeof(*b->e), entcmp);
	for (i = j = 0; i < b->n; i++)
		if (j == 0 || memcmp(b->e[j - 1].id, b->e[i].id, 32) != 0)
			b->e[j++] = b->e[i];
	b->n = j;
	return (0);
err:
	buf_release(&plain);
	return (-1);
}

/*
 * Write a cache: names, old packs then new packs, and the merge of old
 * (mapped, may be NULL) and new entries.  0 or -1.
 */
static int
write_cache(const char *dir, const char *path, const struct names *ns,
    const uint8_t fp[32], const struct cmap *old, const struct build *b)
{
	char tmp[PATH_MAX];
	uint8_t hdr[CACHE_HDR];
	const struct idx_entry *oe = old ? old->e : NULL, *last = NULL, *x;
	size_t on = old ? (size_t)old->n : 0, onp = old ? (size_t)old->np : 0;
	size_t i = 0, j = 0, n = 0;
	long pos;
	FILE *f;
	int ok;

	if (mkdirs(dir) || (size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld",
	    path, (long)getpid()) >= sizeof(tmp) ||
	    (f = fopen(tmp, "wbx")) == NULL)
		return (-1);
	memset(hdr, 0, sizeof(hdr));
	ok = fwrite(hdr, sizeof(hdr), 1, f) == 1 &&
	    (ns->n == 0 || fwrite(ns->v, 32, ns->n, f) == ns->n) &&
	    (onp == 0 || fwrite(old->packs, 64, onp, f) == onp) &&
	    (b->np == 0 || fwrite(b->p, 64, b->np, f) == b->np);
	/* Merge two sorted runs; on equal ids keep the old entry. */
	while (ok && (i < on || j < b->n)) {
		if (j >= b->n || (i < on &&
		    memcmp(oe[i].id, b->e[j].id, 32) <= 0))
			x = &oe[i++];
		else
			x = &b->e[j++];
		if (last != NULL && memcmp(last->id, x->id, 32) == 0)
			continue;
		ok = fwrite(x, sizeof(*x), 1, f) == 1;
		last = x;
		n++;
	}
	memcpy(hdr, "CFIC", 4);
	le32enc(hdr + 4, CACHE_VERSION);
	le64enc(hdr + 8, n);
	le64enc(hdr + 16, onp + b->np);
	le64enc(hdr + 24, ns->n);
	memcpy(hdr + 32, fp, 32);
	pos = 0;
	ok = ok && fseek(f, pos, SEEK_SET) == 0 &&
	    fwrite(hdr, sizeof(hdr), 1, f) == 1;
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return (-1);
	}
	return (0);
}

/* Are all of the cache's names among the current ones?  Returns the
 * current names it lacks in *nv (malloc'd) and *nn. */
static int
new_names(const struct cmap *cm, const struct names *ns, uint8_t (**nv)[32],
    size_t *nn)
{
	size_t i, j, k = 0;

	if ((*nv = malloc((ns->n ? ns->n : 1) * 32)) == NULL)
		return (-1);
	for (i = j = 0; i < ns->n; i++) {
		if (j < cm->nnames && memcmp(cm->names[j], ns->v[i], 32) < 0)
			return (1);	/* a cached name is gone */
		if (j < cm->nnames && memcmp(cm->names[j], ns->v[i], 32) == 0)
			j++;
		else
			memcpy((*nv)[k++], ns->v[i], 32);
	}
	if (j != cm->nnames)
		return (1);
	*nn = k;
	return (0);
}

int
index_cache_get(struct repo *r, struct index_cache *c, int nocache)
{
	struct names ns = { NULL, 0, 0 };
	struct build b;
	struct cmap cm;
	char dir[PATH_MAX], path[PATH_MAX];
	uint8_t fp[32], (*nv)[32] = NULL;
	size_t nn = 0;
	int have_path, have_map = 0;

	memset(c, 0, sizeof(*c));
	memset(&b, 0, sizeof(b));
	memset(&cm, 0, sizeof(cm));
	if (backend_list(r->be, OBJ_INDEX, name_cb, &ns) != 0)
		goto err;
	if (ns.n > 1)
		qsort(ns.v, ns.n, 32, idcmp);
	crypto_sha256((const uint8_t *)ns.v, ns.n * 32, fp);
	have_path = !nocache &&
	    cache_path(r, dir, sizeof(dir), path, sizeof(path)) == 0;
	if (have_path && cmap_open(path, &cm) == 0) {
		have_map = 1;
		if (memcmp(cm.m + 32, fp, 32) == 0) {
			free(ns.v);
			return (cmap_give(&cm, c));
		}
	}
	/* Only what is new, if the cache is a subset; else everything. */
	if (have_map && new_names(&cm, &ns, &nv, &nn) == 0) {
		b.pbase = (size_t)cm.np;
		if (read_indexes(r, nv, nn, &b))
			goto err;
	} else {
		cmap_close(&cm);
		have_map = 0;
		if (read_indexes(r, ns.v, ns.n, &b))
			goto err;
	}
	if (have_path && write_cache(dir, path, &ns, fp, have_map ? &cm :
	    NULL, &b) == 0) {
		cmap_close(&cm);
		if (cmap_open(path, &cm) == 0 && cmap_give(&cm, c) == 0)
			goto ok;
		goto err;
	}
	if (have_map) {
		/* Cannot write the cache: fall back to a full build in RAM. */
		cmap_close(&cm);
		free(b.e);
		free(b.p);
		memset(&b, 0, sizeof(b));
		if (read_indexes(r, ns.v, ns.n, &b))
			goto err;
	}
	c->heap = b.e;
	c->e = b.e;
	c->n = b.n;
	c->packs = b.p;
	c->npacks = b.np;
	b.e = NULL;
	b.p = NULL;
	if (c->packs == NULL && (c->packs = malloc(64)) == NULL)
		goto err;
ok:
	free(nv);
	free(ns.v);
	free(b.e);
	free(b.p);
	return (0);
err:
	cmap_close(&cm);
	free(nv);
	free(ns.v);
	free(b.e);
	free(b.p);
	return (-1);
}
