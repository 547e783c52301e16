#ifndef COFFER_MERKLE_H
#define COFFER_MERKLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * RFC 6962 / RFC 9162 Merkle trees over SHA-256, as used by Certificate
 * Transparency and the C2SP tlog specifications:
 *
 *	leaf hash	SHA-256(0x00 || entry)
 *	node hash	SHA-256(0x01 || left || right)
 *	MTH({})		SHA-256("")
 *	MTH(D[n])	node(MTH(D[0:k]), MTH(D[k:n])), k the largest power
 *			of two smaller than n
 *
 * Proofs are generated from a source of complete-subtree hashes (struct
 * merkle_src): the hash at (level, index) is MTH(D[index << level :
 * (index + 1) << level]).  Anything that stores those (an in-memory tree
 * below, tlog tiles in tiles.h) can generate proofs.  Proofs are byte
 * strings of concatenated 32-byte hashes, leaf side first, exactly as
 * RFC 9162 lists them; the verifiers follow RFC 9162 sections 2.1.3.2 and
 * 2.1.4.2 literally, plus the trivial cases the RFC leaves to the caller.
 */

#define MERKLE_HASH_LEN		32
/* No proof for a 64-bit tree size is longer than this many hashes. */
#define MERKLE_MAX_PROOF	130

/* merkle_leaf_hash(entry, len, out): SHA-256(0x00 || entry). */
void merkle_leaf_hash(const uint8_t *, size_t, uint8_t[MERKLE_HASH_LEN]);

/* merkle_node_hash(l, r, out): SHA-256(0x01 || l || r); out may be l or r. */
void merkle_node_hash(const uint8_t[MERKLE_HASH_LEN],
    const uint8_t[MERKLE_HASH_LEN], uint8_t[MERKLE_HASH_LEN]);

/* merkle_empty_root(out): SHA-256(""), the root of the empty tree. */
void merkle_empty_root(uint8_t[MERKLE_HASH_LEN]);

/*
 * A source of complete-subtree hashes.  get(cookie, level, index, out)
 * writes the hash of the complete subtree of 2^level leaves starting at
 * leaf index << level, and returns 0, or -1 on error (reported by get).
 * Callers only ask for subtrees inside the tree size they work on.
 */
typedef int merkle_get_fn(void *, unsigned, uint64_t,
    uint8_t[MERKLE_HASH_LEN]);

struct merkle_src {
	merkle_get_fn *get;
	void *cookie;
};

/*
 * merkle_subtree(src, start, end, out): MTH(D[start:end]) for a subtree
 * of the RFC's recursion (start a multiple of the largest power of two
 * below end - start; any start for a power-of-two width that it is a
 * multiple of).  end > start.  0 or -1.
 */
int merkle_subtree(const struct merkle_src *, uint64_t, uint64_t,
    uint8_t[MERKLE_HASH_LEN]);

/* merkle_root(src, size, out): MTH(D[0:size]) (size 0: SHA-256("")). */
int merkle_root(const struct merkle_src *, uint64_t,
    uint8_t[MERKLE_HASH_LEN]);

/*
 * merkle_inclusion_proof(src, index, size, proof, &n): PATH(index,
 * D[0:size]) into proof (room for MERKLE_MAX_PROOF hashes); *n is the
 * number of hashes.  index < size.  0 or -1.
 */
int merkle_inclusion_proof(const struct merkle_src *, uint64_t, uint64_t,
    uint8_t *, size_t *);

/*
 * merkle_consistency_proof(src, m, n, proof, &count): PROOF(m, D[0:n])
 * into proof (room for MERKLE_MAX_PROOF hashes); empty when m == 0 or
 * m == n.  m <= n.  0 or -1.
 */
int merkle_consistency_proof(const struct merkle_src *, uint64_t, uint64_t,
    uint8_t *, size_t *);

/*
 * merkle_verify_inclusion(leaf, index, size, proof, prooflen, root):
 * whether proof (prooflen bytes) shows that the leaf hash is at index in
 * the tree of size leaves whose root is root.  Returns 0 if it does, 1 if
 * not (any malformation: prooflen not a multiple of 32, too many or too
 * few hashes, index >= size).
 */
int merkle_verify_inclusion(const uint8_t[MERKLE_HASH_LEN], uint64_t,
    uint64_t, const uint8_t *, size_t, const uint8_t[MERKLE_HASH_LEN]);

/*
 * merkle_verify_consistency(m, n, root1, root2, proof, prooflen): whether
 * the tree of size n with root root2 extends the tree of size m with root
 * root1.  m == n: the proof must be empty and the roots equal.  m == 0:
 * the proof must be empty and root1 the empty root.  m > n never.
 * Returns 0 if consistent, 1 if not.
 */
int merkle_verify_consistency(uint64_t, uint64_t,
    const uint8_t[MERKLE_HASH_LEN], const uint8_t[MERKLE_HASH_LEN],
    const uint8_t *, size_t);

/*
 * An in-memory tree that keeps every complete-subtree hash (about twice
 * the leaf hashes): for tests, benchmarks and monitors that rebuild a
 * whole log.  merkle_mem_src(t) gives its source.
 */
struct merkle_mem;

/* merkle_mem_new(): an empty tree, or NULL (reported). */
struct merkle_mem *merkle_mem_new(void);

/* merkle_mem_append(t, leafhash): add a leaf (its hash).  0 or -1. */
int merkle_mem_append(struct merkle_mem *, const uint8_t[MERKLE_HASH_LEN]);

/* merkle_mem_size(t): the number of leaves. */
uint64_t merkle_mem_size(const struct merkle_mem *);

/* merkle_mem_src(t, &src): a source over t, valid while t lives. */
void merkle_mem_src(struct merkle_mem *, struct merkle_src *);

/* merkle_mem_free(t): NULL is a no-op. */
void merkle_mem_free(struct merkle_mem *);

#endif
