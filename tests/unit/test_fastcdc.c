/*
 * Tests for the FastCDC chunker: known answers (against a one-byte-a-step
 * reference written here and against hard-coded boundary lists, since cut
 * points are part of the repository format), size bounds, streaming,
 * shift resistance, keying, parameter checks and degenerate input.
 *
 * All pseudo-random bytes come from SplitMix64 (Steele, Lea and Flood,
 * 2014; the generator of java.util.SplittableRandom), each 64-bit output
 * supplying 8 bytes in little-endian order.  The seeds are:
 *   1  the test chunker table (2048 bytes)
 *   2  the large input (16 MiB) and the small input (its first 1 MiB)
 *   3  a second table, for the keying test
 *   4  piece sizes in the streaming test, random parameters
 *   5  bytes inserted in the shift test
 *   100 .. 159     inputs of the comparison with the reference
 *   1000 .. 1007   more tables, for the all-zero input
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chunk/fastcdc.h"
#include "util/warnp.h"

#include "test.h"

#define KiB	((size_t)1024)
#define MiB	(1024 * KiB)

#define BIG_LEN		(16 * MiB)
#define SMALL_LEN	(1 * MiB)
#define ZERO_LEN	(20 * MiB)
#define MAXCHUNKS	8192

/* Set up once by main(). */
static uint8_t table1[FASTCDC_TABLE_BYTES];
static uint8_t table3[FASTCDC_TABLE_BYTES];
static uint8_t *input;			/* BIG_LEN bytes from seed 2 */

/* splitmix64(s): next output of SplitMix64 with state *s. */
static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* fill(buf, len, seed): the byte stream described at the top. */
static void
fill(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed, v = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((i & 7) == 0)
			v = splitmix64(&s);
		buf[i] = (uint8_t)(v >> (8 * (i & 7)));
	}
}

/*
 * Reference chunker: the algorithm as the papers state it, one byte per
 * step, over the whole rest of the input (eof).  Skip min bytes; from the
 * byte at offset min on, fp = (fp << 1) + gear[byte], and cut after the
 * byte at offset i when fp & mask == 0 (mask_s below avg, mask_l from avg
 * on); never past max.
 */
struct ref {
	uint64_t gear[256];
	uint64_t mask_s, mask_l;
	size_t min, avg, max;
};

static void
ref_init(struct ref *r, const uint8_t *table, size_t min, size_t avg,
    size_t max, uint64_t mask_s, uint64_t mask_l)
{
	size_t i, j;

	for (i = 0; i < 256; i++) {
		r->gear[i] = 0;
		for (j = 0; j < 8; j++)
			r->gear[i] |= (uint64_t)table[8 * i + j] << (8 * j);
	}
	r->mask_s = mask_s;
	r->mask_l = mask_l;
	r->min = min;
	r->avg = avg;
	r->max = max;
}

static size_t
ref_cut(const struct ref *r, const uint8_t *buf, size_t len)
{
	uint64_t fp = 0;
	size_t i;

	for (i = r->min; (i < len) && (i < r->max); i++) {
		fp = (fp << 1) + r->gear[buf[i]];
		if ((fp & ((i < r->avg) ? r->mask_s : r->mask_l)) == 0)
			return (i + 1);
	}
	return ((len < r->max) ? len : r->max);
}

/* ref_list(r, buf, len, out): chunk lengths by the reference. */
static size_t
ref_list(const struct ref *r, const uint8_t *buf, size_t len, size_t *out)
{
	size_t off = 0, k = 0;

	while ((off < len) && (k < MAXCHUNKS)) {
		out[k] = ref_cut(r, buf + off, len - off);
		off += out[k++];
	}
	return (k);
}

/* cdc_list(c, buf, len, out): chunk lengths by fastcdc_cut, whole input. */
static size_t
cdc_list(const struct fastcdc *c, const uint8_t *buf, size_t len,
    size_t *out)
{
	size_t off = 0, k = 0, n;

	while ((k < MAXCHUNKS) &&
	    ((n = fastcdc_cut(c, buf + off, len - off, 1)) != 0)) {
		out[k++] = n;
		off += n;
	}
	return (k);
}

/* same_list(a, na, b, nb): 1 if the two lists are identical. */
static int
same_list(const size_t *a, size_t na, const size_t *b, size_t nb)
{

	return ((na == nb) && (memcmp(a, b, na * sizeof(size_t)) == 0));
}

/* popcount64(x): number of one-bits. */
static int
popcount64(uint64_t x)
{
	int n = 0;

	for (; x != 0; x &= x - 1)
		n++;
	return (n);
}

/*
 * The two parameter sets of the known-answer tests, with the masks the
 * chunker must derive for them (see mask_bits in fastcdc.c: n one-bits at
 * positions 62 - floor(48 i / n), 0 <= i < n).
 */
struct params {
	size_t min, avg, max;
	uint64_t mask_s, mask_l;
	size_t len;			/* bytes of input used */
};

static const struct params p_big = {
	512 * KiB, 1 * MiB, 8 * MiB,
	0x5552aa5552aa0000ULL,		/* 22 bits */
	0x5252525252520000ULL,		/* 18 bits */
	BIG_LEN
};
static const struct params p_small = {
	2 * KiB, 8 * KiB, 64 * KiB,
	0x4924492449240000ULL,		/* 15 bits */
	0x4442221110880000ULL,		/* 11 bits */
	SMALL_LEN
};

/*
 * Known answers: chunk lengths of the input (seed 2) under table1 (seed
 * 1), as computed by ref_cut.  These pin the repository format.
 */
static const uint32_t kat_big[] = {
	1311842, 1766198, 1595336, 1287972, 1076254, 1119062,
	1351743, 1074921, 1061770, 1332749, 1338639, 1084083,
	1061883, 314764,
};
static const uint32_t kat_small[] = {
	10955, 10028, 7350, 11306, 12386, 5081,
	9343, 6649, 10126, 9080, 9700, 8621,
	10502, 15420, 7259, 11635, 10171, 12014,
	10746, 10413, 10346, 11869, 12737, 9473,
	13864, 10879, 8546, 11899, 8451, 6504,
	10140, 13034, 10995, 8656, 8676, 2803,
	3444, 11621, 8397, 9481, 8208, 10161,
	11423, 5002, 17025, 13075, 8639, 9274,
	5268, 10090, 11062, 8553, 9014, 3057,
	8731, 16769, 3423, 10282, 8536, 10228,
	10114, 8212, 9312, 9231, 4545, 9258,
	10900, 8743, 16145, 10094, 8279, 14613,
	9844, 7030, 9663, 8463, 8927, 9653,
	9808, 8642, 13828, 10533, 9355, 8522,
	12701, 8852, 8825, 8705, 9247, 8925,
	9420, 8815, 9542, 10790, 8256, 8955,
	9265, 9256, 9832, 12027, 11363, 3594,
	8536, 8353, 8346, 10472, 8699, 11732,
	10416, 1518,
};

#define NKAT_BIG	(sizeof(kat_big) / sizeof(kat_big[0]))
#define NKAT_SMALL	(sizeof(kat_small) / sizeof(kat_small[0]))

/* Scratch lists (static: too large for a comfortable stack). */
static size_t la[MAXCHUNKS], lb[MAXCHUNKS];

/* cdc_init_p(c, table, p): fastcdc_init with a parameter set. */
static int
cdc_init_p(struct fastcdc *c, const uint8_t *table, const struct params *p)
{

	return (fastcdc_init(c, table, p->min, p->avg, p->max));
}

/* kat_one(p, kat, nkat): check one parameter set against both answers. */
static void
kat_one(const struct params *p, const uint32_t *kat, size_t nkat)
{
	struct fastcdc c;
	struct ref r;
	size_t na, nb, i;

	CHECK(cdc_init_p(&c, table1, p) == 0);
	CHECK(c.mask_s == p->mask_s);
	CHECK(c.mask_l == p->mask_l);
	CHECK(c.mask_s_ls == p->mask_s << 1);
	CHECK(c.mask_l_ls == p->mask_l << 1);
	ref_init(&r, table1, p->min, p->avg, p->max, p->mask_s, p->mask_l);

	na = cdc_list(&c, input, p->len, la);
	nb = ref_list(&r, input, p->len, lb);
	CHECK(same_list(la, na, lb, nb));
	CHECK(na == nkat);
	for (i = 0; (i < na) && (i < nkat); i++)
		CHECK(la[i] == kat[i]);
	fastcdc_release(&c);
}

static void
test_kat(void)
{

	kat_one(&p_big, kat_big, NKAT_BIG);
	kat_one(&p_small, kat_small, NKAT_SMALL);
}

/*
 * The two-byte loop against the reference on many random parameter sets
 * (odd and even min, small avg so that both masks see cuts) and on
 * low-entropy input (bytes from a 4-letter alphabet) as well as random.
 */
static void
test_vs_reference(void)
{
	static uint8_t buf[256 * 1024];
	struct fastcdc c;
	struct ref r;
	uint64_t s = 4;
	size_t min, avg, max, na, nb, i;
	int iter;

	for (iter = 0; iter < 60; iter++) {
		avg = (size_t)1 << (7 + splitmix64(&s) % 8);
		min = 64 + splitmix64(&s) % (avg - 64);
		max = avg + 1 + splitmix64(&s) % (4 * avg);
		fill(buf, sizeof(buf), 100 + (uint64_t)iter);
		if (iter & 1) {
			for (i = 0; i < sizeof(buf); i++)
				buf[i] = "ACGT"[buf[i] & 3];
		}
		CHECK(fastcdc_init(&c, table1, min, avg, max) == 0);
		ref_init(&r, table1, min, avg, max, c.mask_s, c.mask_l);
		na = cdc_list(&c, buf, sizeof(buf), la);
		nb = ref_list(&r, buf, sizeof(buf), lb);
		CHECK(same_list(la, na, lb, nb));
		fastcdc_release(&c);
	}
}

/* check_bounds(p, buf, len): the size rules on one input. */
static void
check_bounds(const struct params *p, const uint8_t *buf, size_t len)
{
	struct fastcdc c;
	size_t n, i, sum = 0;

	CHECK(cdc_init_p(&c, table1, p) == 0);
	n = cdc_list(&c, buf, len, la);
	CHECK(n > 1);
	for (i = 0; i < n; i++) {
		/* A cut is found no earlier than after the byte at min. */
		if (i + 1 < n)
			CHECK((la[i] > p->min) && (la[i] <= p->max));
		else
			CHECK((la[i] >= 1) && (la[i] <= p->max));
		sum += la[i];
	}
	CHECK(sum == len);
	CHECK(fastcdc_cut(&c, buf + len, 0, 1) == 0);
	fastcdc_release(&c);
}

static void
test_bounds(void)
{

	check_bounds(&p_big, input, BIG_LEN);
	check_bounds(&p_small, input, SMALL_LEN);
	check_bounds(&p_small, input + 12345, SMALL_LEN - 54321);
}

/*
 * stream_list(c, buf, len, maxpiece, s, out): chunk lengths as a streaming
 * caller sees them.  Data arrives in pieces of 1 .. maxpiece bytes (sizes
 * drawn from state *s); whenever fastcdc_cut says it needs more, the next
 * piece is appended to what is still buffered and the call repeated.
 */
static size_t
stream_list(const struct fastcdc *c, const uint8_t *buf, size_t len,
    size_t maxpiece, uint64_t *s, size_t *out)
{
	size_t off = 0, avail = 0, k = 0, n, piece;
	int eof;

	while ((off < len) && (k < MAXCHUNKS)) {
		eof = (off + avail == len);
		if ((n = fastcdc_cut(c, buf + off, avail, eof)) == 0) {
			/* Only allowed before the end of the data. */
			CHECK(!eof);
			if (eof)
				break;
			piece = 1 + splitmix64(s) % maxpiece;
			if (piece > len - off - avail)
				piece = len - off - avail;
			avail += piece;
			continue;
		}
		CHECK(n <= avail);
		out[k++] = n;
		off += n;
		avail -= n;
	}
	return (k);
}

static void
test_streaming(void)
{
	struct fastcdc c;
	uint64_t s = 4;
	size_t na, nb;

	/* Large parameters, pieces up to 3 MiB. */
	CHECK(cdc_init_p(&c, table1, &p_big) == 0);
	na = cdc_list(&c, input, BIG_LEN, la);
	nb = stream_list(&c, input, BIG_LEN, 3 * MiB, &s, lb);
	CHECK(same_list(la, na, lb, nb));
	fastcdc_release(&c);

	/* Small parameters, pieces up to 20000 and up to 300 bytes. */
	CHECK(cdc_init_p(&c, table1, &p_small) == 0);
	na = cdc_list(&c, input, SMALL_LEN, la);
	nb = stream_list(&c, input, SMALL_LEN, 20000, &s, lb);
	CHECK(same_list(la, na, lb, nb));
	na = cdc_list(&c, input, 256 * KiB, la);
	nb = stream_list(&c, input, 256 * KiB, 300, &s, lb);
	CHECK(same_list(la, na, lb, nb));
	fastcdc_release(&c);
}

/* ends(l, n): turn chunk lengths into end offsets, in place. */
static void
ends(size_t *l, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		l[i] += l[i - 1];
}

/*
 * shifted(p, at, nins): insert nins bytes at offset at of the input; of
 * the original chunk ends after at, return the percentage which are still
 * chunk ends (moved by nins) in the edited input.
 */
static unsigned int
shifted(const struct params *p, size_t at, size_t nins)
{
	struct fastcdc c;
	uint8_t *mod;
	size_t na, nb, i, j = 0, after = 0, kept = 0;

	if ((mod = malloc(p->len + nins)) == NULL)
		return (0);
	memcpy(mod, input, at);
	fill(mod + at, nins, 5);
	memcpy(mod + at + nins, input + at, p->len - at);

	CHECK(cdc_init_p(&c, table1, p) == 0);
	na = cdc_list(&c, input, p->len, la);
	nb = cdc_list(&c, mod, p->len + nins, lb);
	ends(la, na);
	ends(lb, nb);
	for (i = 0; i < na; i++) {
		if (la[i] <= at)
			continue;
		after++;
		while ((j < nb) && (lb[j] < la[i] + nins))
			j++;
		if ((j < nb) && (lb[j] == la[i] + nins))
			kept++;
	}
	fastcdc_release(&c);
	free(mod);
	return ((after > 0) ? (unsigned int)(100 * kept / after) : 0);
}

static void
test_shift(void)
{

	/* Resynchronization takes a chunk or two. */
	CHECK(shifted(&p_small, 5000, 37) >= 95);
	CHECK(shifted(&p_small, 300000, 1) >= 95);
	CHECK(shifted(&p_big, 1000, 100) >= 85);
}

/* A different table gives (almost entirely) different cut points. */
static void
test_keyed(void)
{
	struct fastcdc c1, c3;
	size_t na, nb, i, j = 0, common = 0;

	CHECK(cdc_init_p(&c1, table1, &p_small) == 0);
	CHECK(cdc_init_p(&c3, table3, &p_small) == 0);
	na = cdc_list(&c1, input, SMALL_LEN, la);
	nb = cdc_list(&c3, input, SMALL_LEN, lb);
	CHECK(!same_list(la, na, lb, nb));
	ends(la, na - 1);
	ends(lb, nb - 1);
	for (i = 0; i < na - 1; i++) {
		while ((j < nb - 1) && (lb[j] < la[i]))
			j++;
		if ((j < nb - 1) && (lb[j] == la[i]))
			common++;
	}
	CHECK(common * 10 < na);

	CHECK(cdc_init_p(&c3, table3, &p_big) == 0);
	na = cdc_list(&c3, input, BIG_LEN, la);
	CHECK((na != NKAT_BIG) || (la[0] != kat_big[0]));
	fastcdc_release(&c1);
	fastcdc_release(&c3);
}

static void
test_params(void)
{
	static const size_t bad[][3] = {
		{ 0, 0, 0 },
		{ 63, 128, 256 },		/* min < 64 */
		{ 64, 100, 256 },		/* avg not a power of two */
		{ 64, 192, 256 },		/* avg not a power of two */
		{ 128, 128, 256 },		/* min == avg */
		{ 200, 128, 256 },		/* min > avg */
		{ 64, 128, 128 },		/* avg == max */
		{ 64, 256, 128 },		/* avg > max */
		{ 64, 128, ((size_t)1 << 30) + 1 },	/* max > 2^30 */
		{ 64, (size_t)1 << 30, (size_t)1 << 30 },
		{ 64, 128, SIZE_MAX },
	};
	struct fastcdc c;
	size_t i;
	unsigned int k;

	warnp_quiet(1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(fastcdc_init(&c, table1, bad[i][0], bad[i][1],
		    bad[i][2]) == -1);
	warnp_quiet(0);

	/* The extremes are accepted. */
	CHECK(fastcdc_init(&c, table1, 64, 128, 129) == 0);
	CHECK(fastcdc_init(&c, table1, ((size_t)1 << 29) - 1,
	    (size_t)1 << 29, (size_t)1 << 30) == 0);

	/* Every average size gets masks of the right weight, bit 63 clear. */
	for (k = 7; k <= 29; k++) {
		CHECK(fastcdc_init(&c, table1, 64, (size_t)1 << k,
		    ((size_t)1 << k) + 1) == 0);
		CHECK(popcount64(c.mask_s) == (int)k + 2);
		CHECK(popcount64(c.mask_l) == (int)k - 2);
		CHECK(((c.mask_s | c.mask_l) >> 63) == 0);
		CHECK(c.mask_s_ls == c.mask_s << 1);
		CHECK(c.mask_l_ls == c.mask_l << 1);
	}
	fastcdc_release(&c);
}

/*
 * All-zero input.  Every chunk starts in the same state and sees the same
 * bytes, so all chunks but the last have one common length; the pattern
 * is always "L, L, ..., L, rest".  Over zeros the Gear hash reaches the
 * fixed point -gear[0] (mod 2^64) after 64 bytes, so whether L < max
 * depends on the table: with table1 no fingerprint on the way matches
 * either mask and every chunk is max long (8, 8, 4 MiB for 20 MiB).
 */
static void
test_zeros(void)
{
	static const struct params *ps[] = { &p_big, &p_small };
	uint8_t t[FASTCDC_TABLE_BYTES];
	struct fastcdc c;
	uint8_t *z;
	size_t n, i, j;

	if ((z = calloc(1, ZERO_LEN)) == NULL) {
		CHECK(z != NULL);
		return;
	}
	for (j = 0; j < 2; j++) {
		CHECK(cdc_init_p(&c, table1, ps[j]) == 0);
		n = cdc_list(&c, z, ZERO_LEN, la);
		CHECK(n == (ZERO_LEN + ps[j]->max - 1) / ps[j]->max);
		for (i = 0; i + 1 < n; i++)
			CHECK(la[i] == ps[j]->max);
		CHECK(la[n - 1] == ZERO_LEN - (n - 1) * ps[j]->max);
		fastcdc_release(&c);
	}

	/*
	 * Other tables (seeds 1000 .. 1007), for the general pattern only:
	 * with min/avg/max = 64/128/4096 most give L = max, seed 1006 gives
	 * L = 78 (a cut while the hash is still converging).
	 */
	for (j = 0; j < 8; j++) {
		fill(t, sizeof(t), 1000 + j);
		CHECK(fastcdc_init(&c, t, 64, 128, 4096) == 0);
		n = cdc_list(&c, z, 256 * KiB, la);
		CHECK((n > 0) && (n < MAXCHUNKS));
		for (i = 1; i + 1 < n; i++)
			CHECK(la[i] == la[0]);
		CHECK((n - 1) * la[0] + la[n - 1] == 256 * KiB);
		if (j == 6)
			CHECK(la[0] == 78);
		fastcdc_release(&c);
	}
	free(z);
}

/* The return value rules of fastcdc_cut at the edges. */
static void
test_edges(void)
{
	struct fastcdc c;
	uint8_t *z;
	size_t first;

	CHECK(cdc_init_p(&c, table1, &p_small) == 0);
	first = kat_small[0];

	/* Nothing: nothing to cut, with or without eof. */
	CHECK(fastcdc_cut(&c, input, 0, 0) == 0);
	CHECK(fastcdc_cut(&c, input, 0, 1) == 0);
	CHECK(fastcdc_cut(&c, NULL, 0, 1) == 0);

	/* Up to min bytes: wait, or one short last chunk. */
	CHECK(fastcdc_cut(&c, input, 1, 0) == 0);
	CHECK(fastcdc_cut(&c, input, 1, 1) == 1);
	CHECK(fastcdc_cut(&c, input, p_small.min, 0) == 0);
	CHECK(fastcdc_cut(&c, input, p_small.min, 1) == p_small.min);
	CHECK(fastcdc_cut(&c, input, p_small.min + 1, 1) == p_small.min + 1);

	/* Before the first cut point: wait, or all of it at eof. */
	CHECK(fastcdc_cut(&c, input, first - 1, 0) == 0);
	CHECK(fastcdc_cut(&c, input, first - 1, 1) == first - 1);

	/* Once the cut point is in the buffer, eof makes no difference. */
	CHECK(fastcdc_cut(&c, input, first, 0) == first);
	CHECK(fastcdc_cut(&c, input, first, 1) == first);
	CHECK(fastcdc_cut(&c, input, SMALL_LEN, 0) == first);

	/* No cut point (zeros under table1): max is decided at max bytes. */
	if ((z = calloc(1, p_small.max + 100)) != NULL) {
		CHECK(fastcdc_cut(&c, z, p_small.max - 1, 0) == 0);
		CHECK(fastcdc_cut(&c, z, p_small.max, 0) == p_small.max);
		CHECK(fastcdc_cut(&c, z, p_small.max + 100, 0) == p_small.max);
		CHECK(fastcdc_cut(&c, z, p_small.max + 100, 1) == p_small.max);
		free(z);
	}
	fastcdc_release(&c);
}

/* fastcdc_release wipes the secret table. */
static void
test_release(void)
{
	struct fastcdc c;
	size_t i;
	uint64_t acc = 0;

	CHECK(cdc_init_p(&c, table1, &p_small) == 0);
	for (i = 0; i < 256; i++)
		acc |= c.gear[i];
	CHECK(acc != 0);
	fastcdc_release(&c);
	for (acc = 0, i = 0; i < 256; i++)
		acc |= c.gear[i] | c.gear_ls[i];
	CHECK(acc == 0);
	fastcdc_release(NULL);
}

int
main(int argc, char *argv[])
{

	warnp_setprogname(argv[0]);
	if ((input = malloc(BIG_LEN)) == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	fill(table1, sizeof(table1), 1);
	fill(table3, sizeof(table3), 3);
	fill(input, BIG_LEN, 2);

	RUN(test_kat);
	RUN(test_vs_reference);
	RUN(test_bounds);
	RUN(test_streaming);
	RUN(test_shift);
	RUN(test_keyed);
	RUN(test_params);
	RUN(test_zeros);
	RUN(test_edges);
	RUN(test_release);

	free(input);
	return (TEST_EXIT());
}
