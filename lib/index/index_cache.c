/*
 * Cache file layout (local, never uploaded):
 *	"CFIC" || version(u32le, 1) || n(u64le) || npacks(u64le) ||
 *	reserved(u64le) || fingerprint[32] || packs[npacks] (64 bytes each) ||
 *	entries[n] (struct idx_entry, 52 bytes each, sorted by id)
 * The fingerprint is SHA-256 over the sorted names of the index files it
 * was built from.
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

struct names {
	char (*v)[65];
	size_t n, cap;
};

static int
name_cb(void *cookie, const char *name, uint64_t size)
{
	struct names *ns = cookie;
	void *p;

	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 64;
		if ((p = realloc(ns->v, ns->cap * 65)) == NULL) {
			warnp("realloc");
			return (-1);
		}
		ns->v = p;
	}
	memcpy(ns->v[ns->n++], name, 65);
	return (0);
}

static int
namecmp(const void *a, const void *b)
{

	return (memcmp(a, b, 64));
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
	    (size_t)snprintf(path, psize, "%s/index.v1", dir) >= psize)
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

/* Try the existing cache file; 0 if used, 1 if stale or absent. */
static int
cache_open(const char *path, const uint8_t fp[32], struct index_cache *c)
{
	struct stat st;
	uint8_t *m;
	uint64_t n, np;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (1);
	if (fstat(fd, &st) || st.st_size < CACHE_HDR) {
		close(fd);
		return (1);
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return (1);
	n = le64dec(m + 8);
	np = le64dec(m + 16);
	if (memcmp(m, "CFIC", 4) != 0 || le32dec(m + 4) != 1 ||
	    memcmp(m + 32, fp, 32) != 0 || np > (uint64_t)st.st_size / 64 ||
	    n > (uint64_t)st.st_size / sizeof(struct idx_entry) ||
	    (uint64_t)st.st_size != CACHE_HDR + np * 64 +
	    n * sizeof(struct idx_entry))
		goto stale;
	if ((c->packs = malloc((size_t)(np ? np : 1) * 64)) == NULL)
		goto stale;
	memcpy(c->packs, m + CACHE_HDR, (size_t)np * 64);
	c->npacks = (size_t)np;
	c->e = (const struct idx_entry *)(m + CACHE_HDR + np * 64);
	c->n = (size_t)n;
	c->map = m;
	c->maplen = (size_t)st.st_size;
	/* Entries must reference known packs; a bad cache is rebuilt. */
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].pack >= np) {
			free(c->packs);
			c->packs = NULL;
			goto stale;
		}
	return (0);
stale:
	munmap(m, (size_t)st.st_size);
	return (1);
}

struct build {
	struct idx_entry *e;
	size_t n, cap;
	struct idx_pack *p;
	size_t np, pcap;
	const uint8_t *lastpack;
};

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
	b->e[b->n].pack = (uint32_t)(b->np - 1);
	b->n++;
	return (0);
}

static int
write_cache(const char *dir, const char *path, const uint8_t fp[32],
    const struct build *b)
{
	char tmp[PATH_MAX];
	uint8_t hdr[CACHE_HDR];
	FILE *f;
	int ok;

	if (mkdirs(dir))
		return (-1);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path,
	    (long)getpid()) >= sizeof(tmp) || (f = fopen(tmp, "wbx")) == NULL)
		return (-1);
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "CFIC", 4);
	le32enc(hdr + 4, 1);
	le64enc(hdr + 8, b->n);
	le64enc(hdr + 16, b->np);
	memcpy(hdr + 32, fp, 32);
	ok = fwrite(hdr, sizeof(hdr), 1, f) == 1 &&
	    (b->np == 0 || fwrite(b->p, 64, b->np, f) == b->np) &&
	    (b->n == 0 || fwrite(b->e, sizeof(*b->e), b->n, f) == b->n);
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return (-1);
	}
	return (0);
}

static int
rebuild(struct repo *r, const struct names *ns, struct build *b)
{
	struct buf plain = BUF_INIT;
	size_t i, j;
	int rc;

	for (i = 0; i < ns->n; i++) {
		if ((rc = repo_get_sealed(r, OBJ_INDEX, ns->v[i], &plain)) < 0)
			goto err;
		if (rc != 0)
			continue;	/* reported; its packs stay unknown */
		if ((rc = index_parse(plain.data, plain.len, build_cb, b)) < 0) {
			warnp("index");
			goto err;
		}
		if (rc == 1)
			warn0("index %s: malformed; skipped", ns->v[i]);
	}
	buf_release(&plain);
	if (b->n > 0)
		qsort(b->e, b->n, sizeof(*b->e), entcmp);
	/* Keep one entry per blob id. */
	for (i = j = 0; i < b->n; i++)
		if (j == 0 || memcmp(b->e[j - 1].id, b->e[i].id, 32) != 0)
			b->e[j++] = b->e[i];
	b->n = j;
	return (0);
err:
	buf_release(&plain);
	return (-1);
}

int
index_cache_get(struct repo *r, struct index_cache *c, int nocache)
{
	struct names ns = { NULL, 0, 0 };
	struct build b;
	char dir[PATH_MAX], path[PATH_MAX];
	uint8_t fp[32];
	int have_path;

	memset(c, 0, sizeof(*c));
	memset(&b, 0, sizeof(b));
	if (backend_list(r->be, OBJ_INDEX, name_cb, &ns) != 0)
		goto err;
	if (ns.n > 0)
		qsort(ns.v, ns.n, 65, namecmp);
	crypto_sha256((const uint8_t *)ns.v, ns.n * 65, fp);
	have_path = !nocache &&
	    cache_path(r, dir, sizeof(dir), path, sizeof(path)) == 0;
	if (have_path && cache_open(path, fp, c) == 0) {
		free(ns.v);
		return (0);
	}
	if (rebuild(r, &ns, &b))
		goto err;
	free(ns.v);
	ns.v = NULL;
	if (have_path && write_cache(dir, path, fp, &b) == 0 &&
	    cache_open(path, fp, c) == 0) {
		free(b.e);
		free(b.p);
		return (0);
	}
	/* No usable cache directory: keep the merged index in memory. */
	c->heap = b.e;
	c->e = b.e;
	c->n = b.n;
	c->packs = b.p;
	c->npacks = b.np;
	if (c->packs == NULL && (c->packs = malloc(64)) == NULL)
		goto err;
	return (0);
err:
	free(ns.v);
	free(b.e);
	free(b.p);
	return (-1);
}
