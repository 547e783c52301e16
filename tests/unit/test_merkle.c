/*
 * RFC 6962 / RFC 9162 Merkle trees (lib/tlog/merkle.c).
 *
 * Known answers: the Certificate Transparency reference tree (leaves "",
 * 00, 10, 2021, 3031, 40414243, 5051525354555657,
 * 606162636465666768696a6b6c6d6e6f) with its published roots for sizes
 * 0..8 and its published inclusion and consistency proofs (the vectors of
 * transparency-dev/merkle, from the C++ CT implementation); the RFC 6962
 * section 2.1.3 worked example (seven leaves, a..l).  Then every proof of
 * every tree up to a few hundred leaves, and a sample of indices and pairs
 * up to 3000, against a naive transcription of the RFC's recursive
 * definitions; and the refusals: wrong leaf, wrong index, wrong sizes,
 * flipped bits, truncated, extended and garbage-suffixed proofs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/merkle.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "test.h"

#define H	MERKLE_HASH_LEN

static const char *ct_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f"
};

static const char *ct_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* Published proofs: leaf index (0-based) or sizes, and the hashes. */
struct vec {
	uint64_t a, b;
	const char *h[4];
};

static const struct vec ct_incl[] = {
	{ 0, 8, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
	} },
	{ 5, 8, {
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
	} },
	{ 2, 3, {
	    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
	} },
	{ 1, 5, {
	    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
	} },
};

static const struct vec ct_cons[] = {
	{ 1, 8, {
	    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"
	} },
	{ 6, 8, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
	} },
	{ 2, 5, {
	    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"
	} },
	{ 6, 7, {
	    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
	} },
};

/* A tree of n leaves with distinct contents, and its leaf hashes. */
static struct merkle_mem *
mktree(uint64_t n, uint8_t **leaves)
{
	struct merkle_mem *t = merkle_mem_new();
	uint8_t e[8];
	uint64_t i;

	*leaves = malloc(n * H + 1);
	for (i = 0; i < n; i++) {
		le64enc(e, i * 2654435761u + 1);
		merkle_leaf_hash(e, sizeof(e), *leaves + i * H);
		merkle_mem_append(t, *leaves + i * H);
	}
	return (t);
}

/* ---------------------------------------------------------------------- */
/* The RFC's definitions, transcribed naively over an array of leaves. */

static uint64_t
k_of(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return (k);
}

static void
naive_mth(const uint8_t *lh, uint64_t n, uint8_t out[H])
{
	uint8_t l[H], r[H];
	uint64_t k;

	if (n == 0) {
		crypto_sha256((const uint8_t *)"", 0, out);
		return;
	}
	if (n == 1) {
		memcpy(out, lh, H);
		return;
	}
	k = k_of(n);
	naive_mth(lh, k, l);
	naive_mth(lh + k * H, n - k, r);
	merkle_node_hash(l, r, out);
}

static void
naive_path(const uint8_t *lh, uint64_t m, uint64_t n, uint8_t *out,
    size_t *cnt)
{
	uint64_t k;

	if (n == 1)
		return;
	k = k_of(n);
	if (m < k) {
		naive_path(lh, m, k, out, cnt);
		naive_mth(lh + k * H, n - k, out + (*cnt)++ * H);
	} else {
		naive_path(lh + k * H, m - k, n - k, out, cnt);
		naive_mth(lh, k, out + (*cnt)++ * H);
	}
}

static void
naive_sub(const uint8_t *lh, uint64_t m, uint64_t n, int b, uint8_t *out,
    size_t *cnt)
{
	uint64_t k;

	if (m == n) {
		if (!b)
			naive_mth(lh, n, out + (*cnt)++ * H);
		return;
	}
	k = k_of(n);
	if (m <= k) {
		naive_sub(lh, m, k, b, out, cnt);
		naive_mth(lh + k * H, n - k, out + (*cnt)++ * H);
	} else {
		naive_sub(lh + k * H, m - k, n - k, 0, out, cnt);
		naive_mth(lh, k, out + (*cnt)++ * H);
	}
}

/* ---------------------------------------------------------------------- */

static void
ct_tree(struct merkle_mem **tp, uint8_t lh[8][H])
{
	uint8_t e[16];
	size_t len;
	int i;

	*tp = merkle_mem_new();
	for (i = 0; i < 8; i++) {
		len = test_hex2bin(ct_leaves[i], e, sizeof(e));
		merkle_leaf_hash(e, len, lh[i]);
		merkle_mem_append(*tp, lh[i]);
	}
}

static void
test_ct_roots(void)
{
	struct merkle_mem *t;
	struct merkle_src src;
	uint8_t lh[8][H], want[H], got[H];
	uint64_t n;

	ct_tree(&t, lh);
	merkle_mem_src(t, &src);
	for (n = 0; n <= 8; n++) {
		test_hex2bin(ct_roots[n], want, H);
		CHECK(merkle_root(&src, n, got) == 0);
		CHECK_MEM(got, want, H);
	}
	/* The leaf hash and the node hash alone. */
	test_hex2bin(ct_roots[1], want, H);
	CHECK_MEM(lh[0], want, H);
	test_hex2bin(ct_roots[2], want, H);
	merkle_node_hash(lh[0], lh[1], got);
	CHECK_MEM(got, want, H);
	merkle_mem_free(t);
}

/* Load a published proof; returns its length in bytes. */
static size_t
vec_load(const struct vec *v, uint8_t *out)
{
	size_t n;

	for (n = 0; n < 4 && v->h[n] != NULL; n++)
		test_hex2bin(v->h[n], out + n * H, H);
	return (n * H);
}

static void
test_ct_inclusion(void)
{
	struct merkle_mem *t;
	struct merkle_src src;
	uint8_t lh[8][H], root[H], want[4 * H], got[MERKLE_MAX_PROOF * H];
	size_t i, wl, n;

	ct_tree(&t, lh);
	merkle_mem_src(t, &src);
	for (i = 0; i < sizeof(ct_incl) / sizeof(ct_incl[0]); i++) {
		const struct vec *v = &ct_incl[i];

		wl = vec_load(v, want);
		CHECK(merkle_inclusion_proof(&src, v->a, v->b, got, &n) == 0);
		CHECK(n * H == wl);
		CHECK_MEM(got, want, wl);
		test_hex2bin(ct_roots[v->b], root, H);
		CHECK(merkle_verify_inclusion(lh[v->a], v->a, v->b, want, wl,
		    root) == 0);
	}
	/* A one-leaf tree: the empty proof, the leaf is the root. */
	test_hex2bin(ct_roots[1], root, H);
	CHECK(merkle_verify_inclusion(lh[0], 0, 1, NULL, 0, root) == 0);
	CHECK(merkle_verify_inclusion(lh[1], 0, 1, NULL, 0, root) == 1);
	CHECK(merkle_verify_inclusion(lh[0], 0, 0, NULL, 0, root) == 1);
	CHECK(merkle_verify_inclusion(lh[0], 1, 1, NULL, 0, root) == 1);
	merkle_mem_free(t);
}

static void
test_ct_consistency(void)
{
	struct merkle_mem *t;
	struct merkle_src src;
	uint8_t lh[8][H], r1[H], r2[H], want[4 * H];
	uint8_t got[MERKLE_MAX_PROOF * H];
	size_t i, wl, n;

	ct_tree(&t, lh);
	merkle_mem_src(t, &src);
	for (i = 0; i < sizeof(ct_cons) / sizeof(ct_cons[0]); i++) {
		const struct vec *v = &ct_cons[i];

		wl = vec_load(v, want);
		CHECK(merkle_consistency_proof(&src, v->a, v->b, got, &n) ==
		    0);
		CHECK(n * H == wl);
		CHECK_MEM(got, want, wl);
		test_hex2bin(ct_roots[v->a], r1, H);
		test_hex2bin(ct_roots[v->b], r2, H);
		CHECK(merkle_verify_consistency(v->a, v->b, r1, r2, want, wl)
		    == 0);
		/* Swapped roots, wrong sizes, empty proof. */
		CHECK(merkle_verify_consistency(v->a, v->b, r2, r1, want, wl)
		    == 1);
		CHECK(merkle_verify_consistency(v->a + 1, v->b, r1, r2, want,
		    wl) == 1);
		CHECK(merkle_verify_consistency(v->a, v->b * 2, r1, r2, want,
		    wl) == 1);
		CHECK(merkle_verify_consistency(v->a, v->b, r1, r2, want, 0)
		    == 1);
	}
	/* The trivial cases. */
	test_hex2bin(ct_roots[0], r1, H);
	test_hex2bin(ct_roots[3], r2, H);
	CHECK(merkle_verify_consistency(0, 3, r1, r2, NULL, 0) == 0);
	CHECK(merkle_verify_consistency(0, 3, r2, r2, NULL, 0) == 1);
	CHECK(merkle_verify_consistency(0, 0, r1, r1, NULL, 0) == 0);
	CHECK(merkle_verify_consistency(3, 3, r2, r2, NULL, 0) == 0);
	CHECK(merkle_verify_consistency(3, 3, r2, r2, r1, H) == 1);
	CHECK(merkle_verify_consistency(3, 3, r1, r2, NULL, 0) == 1);
	CHECK(merkle_verify_consistency(0, 3, r1, r2, r1, H) == 1);
	CHECK(merkle_verify_consistency(3, 2, r2, r2, NULL, 0) == 1);
	merkle_mem_free(t);
}

/*
 * RFC 6962 section 2.1.3: seven leaves, leaf hashes a..f and j, g = (a,
 * b), h = (c, d), i = (e, f), k = (g, h), l = (i, j).
 */
static void
test_rfc6962_example(void)
{
	struct merkle_mem *t;
	struct merkle_src src;
	uint8_t *lh, a[H], b[H], c[H], d[H], e[H], f[H], j[H];
	uint8_t g[H], h[H], i[H], k[H], l[H], want[4 * H];
	uint8_t got[MERKLE_MAX_PROOF * H];
	size_t n;

	t = mktree(7, &lh);
	merkle_mem_src(t, &src);
	memcpy(a, lh, H);
	memcpy(b, lh + H, H);
	memcpy(c, lh + 2 * H, H);
	memcpy(d, lh + 3 * H, H);
	memcpy(e, lh + 4 * H, H);
	memcpy(f, lh + 5 * H, H);
	memcpy(j, lh + 6 * H, H);
	merkle_node_hash(a, b, g);
	merkle_node_hash(c, d, h);
	merkle_node_hash(e, f, i);
	merkle_node_hash(g, h, k);
	merkle_node_hash(i, j, l);

#define EXPECT(call, ...) do {						\
	const uint8_t *hs[] = { __VA_ARGS__ };				\
	size_t q;							\
	for (q = 0; q < sizeof(hs) / sizeof(hs[0]); q++)		\
		memcpy(want + q * H, hs[q], H);				\
	CHECK((call) == 0);						\
	CHECK(n == sizeof(hs) / sizeof(hs[0]));				\
	CHECK_MEM(got, want, n * H);					\
} while (0)
	EXPECT(merkle_inclusion_proof(&src, 0, 7, got, &n), b, h, l);
	EXPECT(merkle_inclusion_proof(&src, 3, 7, got, &n), c, g, l);
	EXPECT(merkle_inclusion_proof(&src, 4, 7, got, &n), f, j, k);
	EXPECT(merkle_inclusion_proof(&src, 6, 7, got, &n), i, k);
	EXPECT(merkle_consistency_proof(&src, 3, 7, got, &n), c, d, g, l);
	EXPECT(merkle_consistency_proof(&src, 4, 7, got, &n), l);
	EXPECT(merkle_consistency_proof(&src, 6, 7, got, &n), i, j, k);
#undef EXPECT
	merkle_mem_free(t);
	free(lh);
}

/* 1 (and say where, the first few times) if a tampered proof passed. */
static int
accepted(int verify_rc, int line)
{
	static int said;

	if (verify_rc != 0)
		return (0);
	if (said++ < 5)
		fprintf(stderr, "  tampered proof accepted at line %d\n", line);
	return (1);
}
#define VI(...)	accepted(merkle_verify_inclusion(__VA_ARGS__), __LINE__)
#define VC(...)	accepted(merkle_verify_consistency(__VA_ARGS__), __LINE__)

/*
 * Every way to break a valid inclusion proof must be refused.  Returns
 * the number of tampered variants that were (wrongly) accepted.
 */
static int
incl_tamper(const uint8_t *leaf, uint64_t idx, uint64_t size,
    const uint8_t *proof, size_t len, const uint8_t *root)
{
	uint8_t buf[(MERKLE_MAX_PROOF + 2) * H], other[H];
	int bad = 0;
	size_t q;

	memcpy(other, leaf, H);
	other[H - 1] ^= 1;
	bad += VI(other, idx, size, proof, len, root);
	bad += VI(leaf, idx, size, proof, len, other);
	if (idx > 0)
		bad += VI(leaf, idx - 1, size, proof, len, root);
	bad += VI(leaf, idx + 1, size, proof, len, root);
	bad += VI(leaf, idx ^ 2, size, proof, len, root) && (idx ^ 2) != idx;
	bad += VI(leaf, idx, size * 2, proof, len, root);
	bad += VI(leaf, idx, size / 2, proof, len, root);
	/* Trailing garbage: a byte, a hash, the root. */
	memcpy(buf, proof, len);
	buf[len] = 0;
	bad += VI(leaf, idx, size, buf, len + 1, root);
	memcpy(buf + len, root, H);
	bad += VI(leaf, idx, size, buf, len + H, root);
	/* Preceding garbage. */
	memcpy(buf, root, H);
	memcpy(buf + H, proof, len);
	bad += VI(leaf, idx, size, buf, len + H, root);
	/* Truncated. */
	if (len > 0)
		bad += VI(leaf, idx, size, proof, len - H, root);
	/* A flipped bit in each hash. */
	for (q = 0; q < len; q += H) {
		memcpy(buf, proof, len);
		buf[q] ^= 8;
		bad += VI(leaf, idx, size, buf, len, root);
	}
	return (bad);
}

static int
cons_tamper(uint64_t m, uint64_t n, const uint8_t *r1, const uint8_t *r2,
    const uint8_t *proof, size_t len)
{
	uint8_t buf[(MERKLE_MAX_PROOF + 2) * H], other[H];
	int bad = 0;
	size_t q;

	memcpy(other, r1, H);
	other[0] ^= 0x80;
	bad += VC(m, n, other, r2, proof, len);
	bad += VC(m, n, r1, other, proof, len);
	bad += VC(m, n, r2, r1, proof, len);
	bad += VC(m - 1, n, r1, r2, proof, len);
	bad += VC(m + 1, n, r1, r2, proof, len) &&
	    m + 1 != n;
	bad += VC(m, n * 2, r1, r2, proof, len);
	/*
	 * Not n - 1: a proof for (m, n) may also verify for a smaller size
	 * when a node hash of the larger tree stands where the smaller tree
	 * has a leaf; the checkpoint's signature binds the size to the root.
	 */
	bad += VC(m, n / 2, r1, r2, proof, len);
	bad += VC(m, n, r1, r2, proof, 0);
	memcpy(buf, proof, len);
	buf[len] = 0xff;
	bad += VC(m, n, r1, r2, buf, len + 1);
	memcpy(buf + len, r2, H);
	bad += VC(m, n, r1, r2, buf, len + H);
	memcpy(buf, proof, H);
	memcpy(buf + H, proof, len);
	bad += VC(m, n, r1, r2, buf, len + H);
	bad += VC(m, n, r1, r2, proof, len - H);
	for (q = 0; q < len; q += H) {
		memcpy(buf, proof, len);
		buf[q + 5] ^= 16;
		bad += VC(m, n, r1, r2, buf, len);
	}
	return (bad);
}

#define NMAX		3000	/* sampled sizes go up to here */
#define NFULL		300	/* every index, every pair, up to here */
#define NNAIVE		64	/* proofs compared with the naive ones */

static void
test_every_size(void)
{
	struct merkle_mem *t;
	struct merkle_src src;
	uint8_t *lh, *roots, got[MERKLE_MAX_PROOF * H];
	uint8_t want[MERKLE_MAX_PROOF * H];
	uint64_t n, i, m, picks[8];
	size_t cnt, wcnt, p, np;
	long proofs = 0, rejected_bad = 0, mismatch = 0;

	t = mktree(NMAX, &lh);
	merkle_mem_src(t, &src);
	roots = malloc((NMAX + 1) * H);
	/* Roots of every size, against the naive recursion. */
	for (n = 0; n <= NMAX; n++) {
		CHECK(merkle_root(&src, n, roots + n * H) == 0);
		if (n <= 600 || n % 97 == 0) {
			naive_mth(lh, n, want);
			if (memcmp(want, roots + n * H, H) != 0)
				mismatch++;
		}
	}
	for (n = 1; n <= NMAX; n++) {
		/* Inclusion: every index up to NFULL, then a sample. */
		np = 0;
		if (n > NFULL) {
			picks[np++] = 0;
			picks[np++] = 1;
			picks[np++] = n / 3;
			picks[np++] = n / 2;
			picks[np++] = (n * 7919) % n;
			picks[np++] = n - 2;
			picks[np++] = n - 1;
		}
		for (i = 0, p = 0; n <= NFULL ? i < n : p < np; i++, p++) {
			m = (n <= NFULL) ? i : picks[p];
			if (merkle_inclusion_proof(&src, m, n, got, &cnt)) {
				mismatch++;
				continue;
			}
			proofs++;
			if (merkle_verify_inclusion(lh + m * H, m, n, got,
			    cnt * H, roots + n * H) != 0)
				mismatch++;
			if (n <= NNAIVE) {
				wcnt = 0;
				naive_path(lh, m, n, want, &wcnt);
				if (wcnt != cnt || memcmp(want, got, cnt * H))
					mismatch++;
			}
			if (n <= 64 || p < 3)
				rejected_bad += incl_tamper(lh + m * H, m, n,
				    got, cnt * H, roots + n * H);
		}
		/* Consistency: every m < n up to NFULL, then a sample. */
		np = 0;
		if (n > NFULL) {
			picks[np++] = 1;
			picks[np++] = 2;
			picks[np++] = 255;
			picks[np++] = 256;
			picks[np++] = n / 2;
			picks[np++] = (n * 104729) % (n - 1) + 1;
			picks[np++] = n - 1;
		}
		for (m = 1, p = 0; n <= NFULL ? m < n : p < np; m++, p++) {
			i = (n <= NFULL) ? m : picks[p];
			if (merkle_consistency_proof(&src, i, n, got, &cnt)) {
				mismatch++;
				continue;
			}
			proofs++;
			if (merkle_verify_consistency(i, n, roots + i * H,
			    roots + n * H, got, cnt * H) != 0)
				mismatch++;
			if (n <= NNAIVE) {
				wcnt = 0;
				naive_sub(lh, i, n, 1, want, &wcnt);
				if (wcnt != cnt || memcmp(want, got, cnt * H))
					mismatch++;
			}
			if (n <= 64 || p < 3)
				rejected_bad += cons_tamper(i, n, roots + i * H,
				    roots + n * H, got, cnt * H);
		}
	}
	printf("  %ld proofs, %ld mismatches, %ld tampered proofs "
	    "accepted\n", proofs, mismatch, rejected_bad);
	CHECK(mismatch == 0);
	CHECK(rejected_bad == 0);
	CHECK(proofs > 100000);
	merkle_mem_free(t);
	free(roots);
	free(lh);
}

/* Bad arguments to the generators are errors, never out-of-bounds reads. */
static void
test_generator_bounds(void)
{
	struct merkle_mem *t;
	struct merkle_src src;
	uint8_t *lh, got[MERKLE_MAX_PROOF * H], r[H];
	size_t n;

	t = mktree(10, &lh);
	merkle_mem_src(t, &src);
	warnp_quiet(1);
	CHECK(merkle_inclusion_proof(&src, 10, 10, got, &n) == -1);
	CHECK(merkle_consistency_proof(&src, 11, 10, got, &n) == -1);
	CHECK(merkle_root(&src, 11, r) == -1);
	CHECK(merkle_inclusion_proof(&src, 3, 11, got, &n) == -1);
	warnp_quiet(0);
	CHECK(merkle_consistency_proof(&src, 10, 10, got, &n) == 0 && n == 0);
	CHECK(merkle_consistency_proof(&src, 0, 10, got, &n) == 0 && n == 0);
	merkle_mem_free(t);
	free(lh);
}

int
main(void)
{

	if (crypto_init())
		return (1);
	RUN(test_ct_roots);
	RUN(test_ct_inclusion);
	RUN(test_ct_consistency);
	RUN(test_rfc6962_example);
	RUN(test_generator_bounds);
	RUN(test_every_size);
	return (TEST_EXIT());
}
