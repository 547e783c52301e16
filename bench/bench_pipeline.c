/*
 * bench_pipeline [MiB [runs]]: the single-core speed of the work every
 * backed-up byte costs before compression and storage: FastCDC chunking
 * (lib/chunk/fastcdc.h, repository default sizes), the keyed chunk id
 * (HMAC-SHA-256, crypto_mac) and authenticated encryption (AES-256-GCM,
 * crypto_aead_seal).  This is the hardware bound bench/compare.sh sets
 * beside the measured backup times.
 *
 * Fills MiB (default 1024) mebibytes of memory with pseudo-random bytes
 * from a fixed seed (not timed), then, runs (default 3) times each, on one
 * thread:
 *   chunk  cut the whole buffer into chunks;
 *   mac    HMAC every chunk found by the first pass;
 *   seal   encrypt every such chunk into a separate output buffer;
 *   all    cut, HMAC and encrypt chunk by chunk, as a backup does.
 * Prints one line per stage: name, what it is, the median throughput in
 * GB/s (10^9 bytes of input per second), the minimum and the maximum:
 *   all chunk+mac+seal 0.81 GB/s (min 0.80, max 0.82)
 * bench/compare.sh reads the third field of the "all" line.
 */

/* For clock_gettime when built outside the Makefile. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chunk/fastcdc.h"
#include "crypto/crypto.h"
#include "util/warnp.h"

/* What every stage works on. */
struct bench {
	struct fastcdc cdc;
	struct crypto_mac *mac;
	uint8_t key[CRYPTO_KEY_LEN];
	uint8_t *buf;		/* The input. */
	size_t len;
	size_t *cuts;		/* Chunk lengths found by the chunk stage. */
	size_t ncuts;
	uint8_t *out;		/* Ciphertext of one chunk, and its tag. */
	uint64_t nonce;		/* Counter: never repeats within a run. */
};

/* splitmix64(s): next value of the SplitMix64 generator with state *s. */
static uint64_t
splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

/* fill(buf, len, seed): pseudo-random bytes, little-endian words. */
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

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec * 1e-9);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return ((x > y) - (x < y));
}

/* next_nonce(b, nonce): a fresh 12-byte nonce from the counter. */
static void
next_nonce(struct bench *b, uint8_t nonce[CRYPTO_NONCE_LEN])
{
	uint64_t n = b->nonce++;
	size_t i;

	memset(nonce, 0, CRYPTO_NONCE_LEN);
	for (i = 0; i < 8; i++)
		nonce[i] = (uint8_t)(n >> (8 * i));
}

/*
 * stage_chunk(b): cut the whole buffer, recording the chunk lengths in
 * b->cuts (which holds one entry per minimum-size chunk, enough for any
 * input).  Returns 0.
 */
static int
stage_chunk(struct bench *b)
{
	size_t off = 0, n;

	b->ncuts = 0;
	while ((n = fastcdc_cut(&b->cdc, b->buf + off, b->len - off, 1)) != 0) {
		b->cuts[b->ncuts++] = n;
		off += n;
	}
	return (0);
}

/* stage_mac(b): HMAC every chunk of the chunk stage.  0 or -1. */
static int
stage_mac(struct bench *b)
{
	uint8_t id[CRYPTO_HASH_LEN];
	size_t i, off = 0;

	for (i = 0; i < b->ncuts; off += b->cuts[i++])
		if (crypto_mac(b->mac, b->buf + off, b->cuts[i], id))
			return (-1);
	return (0);
}

/* stage_seal(b): encrypt every chunk of the chunk stage.  0 or -1. */
static int
stage_seal(struct bench *b)
{
	uint8_t nonce[CRYPTO_NONCE_LEN];
	size_t i, off = 0;

	for (i = 0; i < b->ncuts; off += b->cuts[i++]) {
		next_nonce(b, nonce);
		if (crypto_aead_seal(b->key, nonce, NULL, 0, b->buf + off,
		    b->cuts[i], b->out))
			return (-1);
	}
	return (0);
}

/* stage_all(b): cut, HMAC and encrypt chunk by chunk.  0 or -1. */
static int
stage_all(struct bench *b)
{
	uint8_t id[CRYPTO_HASH_LEN], nonce[CRYPTO_NONCE_LEN];
	size_t off = 0, n;

	while ((n = fastcdc_cut(&b->cdc, b->buf + off, b->len - off, 1)) != 0) {
		next_nonce(b, nonce);
		if (crypto_mac(b->mac, b->buf + off, n, id) ||
		    crypto_aead_seal(b->key, nonce, id, sizeof(id),
		    b->buf + off, n, b->out))
			return (-1);
		off += n;
	}
	return (0);
}

/*
 * run_stage(b, name, what, fn, runs, rates): time fn over the buffer runs
 * times (rates holds runs doubles) and print the median, minimum and
 * maximum throughput.  Returns 0, or -1 if fn failed.
 */
static int
run_stage(struct bench *b, const char *name, const char *what,
    int (*fn)(struct bench *), size_t runs, double *rates)
{
	double t0;
	size_t i;

	for (i = 0; i < runs; i++) {
		t0 = now();
		if (fn(b))
			return (-1);
		rates[i] = (double)b->len / (now() - t0) / 1e9;
	}
	qsort(rates, runs, sizeof(double), cmp_double);
	printf("%-6s %-20s %.2f GB/s (min %.2f, max %.2f)\n", name, what,
	    rates[runs / 2], rates[0], rates[runs - 1]);
	fflush(stdout);
	return (0);
}

/* setup(b, len): allocate and fill everything the stages use.  0 or -1. */
static int
setup(struct bench *b, size_t len)
{
	uint8_t table[FASTCDC_TABLE_BYTES], mackey[CRYPTO_KEY_LEN];
	uint8_t *buf;

	memset(b, 0, sizeof(*b));
	b->len = len;
	if (((buf = malloc(len)) == NULL) ||
	    ((b->cuts = malloc((len / FASTCDC_MIN_DEFAULT + 2) *
	    sizeof(size_t))) == NULL) ||
	    ((b->out = malloc(FASTCDC_MAX_DEFAULT + CRYPTO_TAG_LEN)) == NULL)) {
		warnp("malloc");
		free(buf);
		return (-1);
	}
	b->buf = buf;
	fill(buf, len, 2);
	fill(table, sizeof(table), 1);
	fill(mackey, sizeof(mackey), 3);
	fill(b->key, sizeof(b->key), 4);
	if (fastcdc_init(&b->cdc, table, FASTCDC_MIN_DEFAULT,
	    FASTCDC_AVG_DEFAULT, FASTCDC_MAX_DEFAULT))
		return (-1);
	if ((b->mac = crypto_mac_new(mackey, sizeof(mackey))) == NULL)
		return (-1);
	return (0);
}

int
main(int argc, char *argv[])
{
	struct bench b;
	double *rates;
	size_t mib = 1024, runs = 3;

	warnp_setprogname(argv[0]);
	if (argc > 1)
		mib = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		runs = strtoul(argv[2], NULL, 10);
	if ((mib == 0) || (mib > 65536) || (runs == 0) || (runs > 1000)) {
		fprintf(stderr, "usage: bench_pipeline [MiB [runs]]\n");
		exit(1);
	}
	if (crypto_init())
		exit(1);
	if ((rates = malloc(runs * sizeof(double))) == NULL) {
		warnp("malloc");
		exit(1);
	}
	if (setup(&b, mib << 20))
		exit(1);

	printf("pipeline: %zu MiB random, %zu runs, one thread, "
	    "FastCDC %d/%d/%d KiB\n", mib, runs, FASTCDC_MIN_DEFAULT / 1024,
	    FASTCDC_AVG_DEFAULT / 1024, FASTCDC_MAX_DEFAULT / 1024);
	if (run_stage(&b, "chunk", "FastCDC", stage_chunk, runs, rates) ||
	    run_stage(&b, "mac", "HMAC-SHA-256", stage_mac, runs, rates) ||
	    run_stage(&b, "seal", "AES-256-GCM", stage_seal, runs, rates) ||
	    run_stage(&b, "all", "chunk+mac+seal", stage_all, runs, rates))
		exit(1);
	printf("%zu chunks, mean size %.0f bytes\n", b.ncuts,
	    (double)b.len / (double)b.ncuts);

	fastcdc_release(&b.cdc);
	crypto_mac_free(b.mac);
	free(b.out);
	free(b.cuts);
	free(b.buf);
	free(rates);
	return (0);
}
