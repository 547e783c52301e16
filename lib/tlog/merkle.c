/*
 * RFC 6962 / RFC 9162 Merkle trees: hashing, proof generation from a
 * source of complete-subtree hashes, and the RFC 9162 verifiers.  See
 * merkle.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "merkle.h"

#define H	MERKLE_HASH_LEN

void
merkle_leaf_hash(const uint8_t *p, size_t len, uint8_t out[H])
{
	uint8_t small[1 + 256];
	uint8_t *buf;

	/* Most entries are small: hash them from the stack. */
	if (len <= sizeof(small) - 1) {
		small[0] = 0x00;
		if (len > 0)
			memcpy(small + 1, p, len);
		crypto_sha256(small, 1 + len, out);
		return;
	}
	if ((buf = malloc(1 + len)) == NULL) {
		/* Without memory, hash in a way that cannot match a leaf. */
		warnp("merkle_leaf_hash");
		memset(out, 0, H);
		return;
	}
	buf[0] = 0x00;
	memcpy(buf + 1, p, len);
	crypto_sha256(buf, 1 + len, out);
	free(buf);
}

void
merkle_node_hash(const uint8_t l[H], const uint8_t r[H], uint8_t out[H])
{
	uint8_t buf[1 + 2 * H];

	buf[0] = 0x01;
	memcpy(buf + 1, l, H);
	memcpy(buf + 1 + H, r, H);
	crypto_sha256(buf, sizeof(buf), out);
}

void
merkle_empty_root(uint8_t out[H])
{

	crypto_sha256((const uint8_t *)"", 0, out);
}

/* The largest power of two strictly smaller than n (n >= 2). */
static uint64_t
split_point(uint64_t n)
{
	uint64_t k = 1;

	while (k < n - k)
		k <<= 1;
	return (k);
}

/* log2(n) if n is a power of two, else -1. */
static int
pow2_level(uint64_t n)
{
	int l = 0;

	if (n == 0 || (n & (n - 1)) != 0)
		return (-1);
	while ((n >> l) != 1)
		l++;
	return (l);
}

int
merkle_subtree(const struct merkle_src *src, uint64_t start, uint64_t end,
    uint8_t out[H])
{
	uint8_t l[H], r[H];
	uint64_t n = end - start, k;
	int lvl;

	if (end <= start) {
		warn0("merkle: empty subtree [%llu, %llu)",
		    (unsigned long long)start, (unsigned long long)end);
		return (-1);
	}
	if ((lvl = pow2_level(n)) >= 0) {
		if ((start & (n - 1)) != 0) {
			warn0("merkle: unaligned subtree at %llu",
			    (unsigned long long)start);
			return (-1);
		}
		return (src->get(src->cookie, (unsigned)lvl, start >> lvl,
		    out));
	}
	k = split_point(n);
	if (merkle_subtree(src, start, start + k, l) ||
	    merkle_subtree(src, start + k, end, r))
		return (-1);
	merkle_node_hash(l, r, out);
	return (0);
}

int
merkle_root(const struct merkle_src *src, uint64_t size, uint8_t out[H])
{

	if (size == 0) {
		merkle_empty_root(out);
		return (0);
	}
	return (merkle_subtree(src, 0, size, out));
}

/* PATH(m, D[a:b]) appended to proof (RFC 9162 2.1.3.1). */
static int
path(const struct merkle_src *src, uint64_t m, uint64_t a, uint64_t b,
    uint8_t *proof, size_t *n)
{
	uint64_t k;

	if (b - a == 1)
		return (0);
	k = split_point(b - a);
	if (m < a + k ? path(src, m, a, a + k, proof, n) :
	    path(src, m, a + k, b, proof, n))
		return (-1);
	if (*n == MERKLE_MAX_PROOF) {
		warn0("merkle: proof too long");
		return (-1);
	}
	if (m < a + k ? merkle_subtree(src, a + k, b, proof + *n * H) :
	    merkle_subtree(src, a, a + k, proof + *n * H))
		return (-1);
	(*n)++;
	return (0);
}

int
merkle_inclusion_proof(const struct merkle_src *src, uint64_t index,
    uint64_t size, uint8_t *proof, size_t *n)
{

	*n = 0;
	if (index >= size) {
		warn0("merkle: leaf %llu is not in a tree of size %llu",
		    (unsigned long long)index, (unsigned long long)size);
		return (-1);
	}
	return (path(src, index, 0, size, proof, n));
}

/*
 * SUBPROOF(m, D[a:b], b) appended to proof (RFC 9162 2.1.4.1); m counts
 * leaves from a.
 */
static int
subproof(const struct merkle_src *src, uint64_t m, uint64_t a, uint64_t b,
    int whole, uint8_t *proof, size_t *n)
{
	uint64_t k;

	if (m == b - a) {
		if (whole)
			return (0);
		if (*n == MERKLE_MAX_PROOF)
			goto toolong;
		if (merkle_subtree(src, a, b, proof + *n * H))
			return (-1);
		(*n)++;
		return (0);
	}
	k = split_point(b - a);
	if (m <= k) {
		if (subproof(src, m, a, a + k, whole, proof, n))
			return (-1);
		if (*n == MERKLE_MAX_PROOF)
			goto toolong;
		if (merkle_subtree(src, a + k, b, proof + *n * H))
			return (-1);
	} else {
		if (subproof(src, m - k, a + k, b, 0, proof, n))
			return (-1);
		if (*n == MERKLE_MAX_PROOF)
			goto toolong;
		if (merkle_subtree(src, a, a + k, proof + *n * H))
			return (-1);
	}
	(*n)++;
	return (0);
toolong:
	warn0("merkle: proof too long");
	return (-1);
}

int
merkle_consistency_proof(const struct merkle_src *src, uint64_t m,
    uint64_t size, uint8_t *proof, size_t *n)
{

	*n = 0;
	if (m > size) {
		warn0("merkle: no consistency proof from size %llu to %llu",
		    (unsigned long long)m, (unsigned long long)size);
		return (-1);
	}
	if (m == 0 || m == size)
		return (0);
	return (subproof(src, m, 0, size, 1, proof, n));
}

int
merkle_verify_inclusion(const uint8_t leaf[H], uint64_t index, uint64_t size,
    const uint8_t *proof, size_t prooflen, const uint8_t root[H])
{
	uint8_t r[H];
	uint64_t fn, sn;
	size_t i;

	if (index >= size || prooflen % H != 0 ||
	    prooflen / H > MERKLE_MAX_PROOF)
		return (1);
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, H);
	for (i = 0; i < prooflen; i += H) {
		if (sn == 0)
			return (1);
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof + i, r, r);
			if (!(fn & 1)) {
				do {
					fn >>= 1;
					sn >>= 1;
				} while (!(fn & 1) && fn != 0);
			}
		} else
			merkle_node_hash(r, proof + i, r);
		fn >>= 1;
		sn >>= 1;
	}
	return ((sn == 0 && memcmp(r, root, H) == 0) ? 0 : 1);
}

int
merkle_verify_consistency(uint64_t m, uint64_t size, const uint8_t r1[H],
    const uint8_t r2[H], const uint8_t *proof, size_t prooflen)
{
	uint8_t fr[H], sr[H], empty[H];
	const uint8_t *c;
	uint64_t fn, sn;
	size_t i, start;

	if (m > size || prooflen % H != 0 ||
	    prooflen / H > MERKLE_MAX_PROOF)
		return (1);
	if (m == size)
		return ((prooflen == 0 && memcmp(r1, r2, H) == 0) ? 0 : 1);
	if (m == 0) {
		merkle_empty_root(empty);
		return ((prooflen == 0 && memcmp(r1, empty, H) == 0) ? 0 : 1);
	}
	if (prooflen == 0)
		return (1);
	/*
	 * Step 2: when m is a power of two, the old root is the first
	 * element of the path (it is not sent).
	 */
	if (pow2_level(m) >= 0) {
		c = r1;
		start = 0;
	} else {
		c = proof;
		start = H;
	}
	fn = m - 1;
	sn = size - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	memcpy(fr, c, H);
	memcpy(sr, c, H);
	for (i = start; i < prooflen; i += H) {
		if (sn == 0)
			return (1);
		if ((fn & 1) || fn == sn) {
			merkle_node_hash(proof + i, fr, fr);
			merkle_node_hash(proof + i, sr, sr);
			if (!(fn & 1)) {
				do {
					fn >>= 1;
					sn >>= 1;
				} while (!(fn & 1) && fn != 0);
			}
		} else
			merkle_node_hash(sr, proof + i, sr);
		fn >>= 1;
		sn >>= 1;
	}
	return ((sn == 0 && memcmp(fr, r1, H) == 0 &&
	    memcmp(sr, r2, H) == 0) ? 0 : 1);
}

/* ---------------------------------------------------------------------- */
/* In-memory tree: level l holds the hashes of complete 2^l subtrees. */

#define MEM_LEVELS	64

struct merkle_mem {
	uint8_t *lv[MEM_LEVELS];
	uint64_t n[MEM_LEVELS];		/* hashes at each level */
	uint64_t cap[MEM_LEVELS];
};

struct merkle_mem *
merkle_mem_new(void)
{
	struct merkle_mem *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		warnp("merkle_mem_new");
	return (t);
}

static int
mem_push(struct merkle_mem *t, unsigned l, const uint8_t h[H])
{
	uint64_t ncap;
	uint8_t *p;

	if (t->n[l] == t->cap[l]) {
		ncap = t->cap[l] ? t->cap[l] * 2 : 64;
		if (ncap > SIZE_MAX / H ||
		    (p = realloc(t->lv[l], ncap * H)) == NULL) {
			errno = ENOMEM;
			warnp("merkle_mem_append");
			return (-1);
		}
		t->lv[l] = p;
		t->cap[l] = ncap;
	}
	memcpy(t->lv[l] + t->n[l] * H, h, H);
	t->n[l]++;
	return (0);
}

int
merkle_mem_append(struct merkle_mem *t, const uint8_t leaf[H])
{
	uint8_t h[H];
	unsigned l;

	if (mem_push(t, 0, leaf))
		return (-1);
	/* Each level whose count became even completes a parent. */
	for (l = 0; l + 1 < MEM_LEVELS && (t->n[l] & 1) == 0; l++) {
		merkle_node_hash(t->lv[l] + (t->n[l] - 2) * H,
		    t->lv[l] + (t->n[l] - 1) * H, h);
		if (mem_push(t, l + 1, h))
			return (-1);
	}
	return (0);
}

uint64_t
merkle_mem_size(const struct merkle_mem *t)
{

	return (t->n[0]);
}

static int
mem_get(void *cookie, unsigned level, uint64_t index, uint8_t out[H])
{
	struct merkle_mem *t = cookie;

	if (level >= MEM_LEVELS || index >= t->n[level]) {
		warn0("merkle: no subtree at level %u index %llu", level,
		    (unsigned long long)index);
		return (-1);
	}
	memcpy(out, t->lv[level] + index * H, H);
	return (0);
}

void
merkle_mem_src(struct merkle_mem *t, struct merkle_src *src)
{

	src->get = mem_get;
	src->cookie = t;
}

void
merkle_mem_free(struct merkle_mem *t)
{
	unsigned l;

	if (t == NULL)
		return;
	for (l = 0; l < MEM_LEVELS; l++)
		free(t->lv[l]);
	free(t);
}
