#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "index/index.h"
#include "pack/pack.h"
#include "util/warnp.h"

/*
 * index_parse on untrusted bytes (an index file's plaintext; docs/FORMAT.md
 * "Index files").  Every entry handed to the callback must be in range, the
 * walk must stop at the callback's first nonzero value and return it, and
 * the result (accept or refuse, and the exact sequence of entries) must
 * equal that of a second, independent decoder written from the format
 * text below.  Any difference aborts, so the fuzzer keeps the input.
 *
 *	"CFIX" || version(1) || varint npacks ||
 *	npacks * ( pack_id[32] || salt[32] || varint nblobs (<= 2^24) ||
 *	    nblobs * ( type (<= 1) || flags (<= 1) ||
 *	        varint offset (< 2^32) || varint stored_len (16 .. 2^32-1) ||
 *	        varint raw_len (<= PACK_MAX_BLOB) || blob_id[32] ) )
 *	and nothing after.
 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What a walk saw: a count and a running hash of every field. */
struct walk {
	uint64_t n;
	uint64_t h;
	uint64_t stop_at;	/* return 7 at this call (1-based), or 0 */
	size_t len;		/* input length, for a bound on n */
};

static void
mix(uint64_t *h, const void *p, size_t len)
{
	const uint8_t *q = p;
	size_t i;

	for (i = 0; i < len; i++) {
		*h ^= q[i];
		*h *= UINT64_C(0x100000001b3);
	}
}

static void
mix_entry(struct walk *w, const uint8_t *pack, const uint8_t *salt,
    uint8_t type, uint8_t flags, uint64_t off, uint64_t sl, uint64_t rl,
    const uint8_t *id)
{
	uint8_t t[26];

	mix(&w->h, pack, 32);
	mix(&w->h, salt, 32);
	t[0] = type;
	t[1] = flags;
	le64enc(t + 2, off);
	le64enc(t + 10, sl);
	le64enc(t + 18, rl);
	mix(&w->h, t, 26);
	mix(&w->h, id, 32);
	w->n++;
}

static int
cb(void *cookie, const struct idx_pack *pk, const struct idx_entry *e)
{
	struct walk *w = cookie;

	if (e->type > BLOB_TREE || e->flags > BLOB_F_ZSTD ||
	    e->stored_len < CRYPTO_TAG_LEN || e->raw_len > PACK_MAX_BLOB)
		abort();
	mix_entry(w, pk->id, pk->salt, e->type, e->flags, e->offset,
	    e->stored_len, e->raw_len, e->id);
	/* Each entry takes at least 37 bytes, plus 6 + 65 for the rest. */
	if (w->n * 37 + 71 > w->len)
		abort();
	if (w->stop_at != 0 && w->n == w->stop_at)
		return (7);
	return (0);
}

/* The reference decoder: 0 or -1. */
static int
ref_varint(const uint8_t **p, size_t *left, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int i;
	uint8_t c;

	for (i = 0; i < 10; i++) {
		if (*left == 0)
			return (-1);
		c = *(*p)++;
		(*left)--;
		if (i == 9 && c > 1)
			return (-1);
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if ((c & 0x80) == 0) {
			if (c == 0 && i > 0)
				return (-1);	/* not minimal */
			*v = x;
			return (0);
		}
	}
	return (-1);
}

static int
ref_take(const uint8_t **p, size_t *left, size_t n, const uint8_t **out)
{

	if (*left < n)
		return (-1);
	*out = *p;
	*p += n;
	*left -= n;
	return (0);
}

/* 0 if valid, 1 if not; entries go to w (all that precede an error). */
static int
ref_parse(const uint8_t *p, size_t left, struct walk *w)
{
	const uint8_t *m, *pack, *salt, *id, *tf;
	uint64_t npacks, nblobs, off, sl, rl, i, j;

	if (ref_take(&p, &left, 5, &m) || memcmp(m, "CFIX\x01", 5) != 0 ||
	    ref_varint(&p, &left, &npacks))
		return (1);
	for (i = 0; i < npacks; i++) {
		if (ref_take(&p, &left, 32, &pack) ||
		    ref_take(&p, &left, 32, &salt) ||
		    ref_varint(&p, &left, &nblobs) || nblobs > (1u << 24))
			return (1);
		for (j = 0; j < nblobs; j++) {
			if (ref_take(&p, &left, 2, &tf) ||
			    ref_varint(&p, &left, &off) ||
			    ref_varint(&p, &left, &sl) ||
			    ref_varint(&p, &left, &rl) ||
			    ref_take(&p, &left, 32, &id))
				return (1);
			if (tf[0] > 1 || tf[1] > 1 || off > UINT32_MAX ||
			    sl > UINT32_MAX || sl < 16 || rl > PACK_MAX_BLOB)
				return (1);
			mix_entry(w, pack, salt, tf[0], tf[1], off, sl, rl,
			    id);
		}
	}
	return (left == 0 ? 0 : 1);
}

static void
one_input(const uint8_t *data, size_t size)
{
	struct walk a, b;
	int rc, ref;

	warnp_quiet(1);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.len = b.len = size;
	rc = index_parse(data, size, cb, &a);
	if (rc != 0 && rc != 1)
		abort();
	ref = ref_parse(data, size, &b);
	if (rc != ref)
		abort();
	/* On success both saw the same entries, in the same order. */
	if (rc == 0 && (a.n != b.n || a.h != b.h))
		abort();

	/* Stop at the first entry: its value comes back, nothing more. */
	if (a.n > 0) {
		memset(&b, 0, sizeof(b));
		b.len = size;
		b.stop_at = 1;
		if (index_parse(data, size, cb, &b) != 7 || b.n != 1)
			abort();
	}
}

/*
 * Run on an exact-size copy of the input: the replayer's buffer may be
 * larger than the file, which would hide an over-read from ASan.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	one_input(copy, size);
	free(copy);
	return (0);
}
