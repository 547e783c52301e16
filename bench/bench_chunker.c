/*
 * bench_chunker [MiB [runs]]: chunking throughput of the FastCDC chunker on
 * one core.  Fills MiB (default 1024) mebibytes of memory with
 * pseudo-random bytes from a fixed seed, chunks the whole buffer runs
 * (default 5) times with the repository default sizes, and prints the
 * median throughput in GB/s (10^9 bytes per second, counting every byte,
 * including those skipped below the minimum size), the number of chunks
 * and the mean chunk size.  The data generation is not timed.
 */

/* For clock_gettime when built outside the Makefile. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chunk/fastcdc.h"
#include "util/warnp.h"

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

/*
 * chunk_all(c, buf, len, nchunks): chunk buf as one complete stream and
 * return the elapsed time in seconds.  The chunk count goes in *nchunks.
 */
static double
chunk_all(const struct fastcdc *c, const uint8_t *buf, size_t len,
    size_t *nchunks)
{
	size_t off = 0, n, k = 0;
	double t0 = now();

	while ((n = fastcdc_cut(c, buf + off, len - off, 1)) != 0) {
		off += n;
		k++;
	}
	*nchunks = k;
	return (now() - t0);
}

int
main(int argc, char *argv[])
{
	uint8_t table[FASTCDC_TABLE_BYTES];
	struct fastcdc c;
	uint8_t *buf;
	double *rates, secs;
	size_t mib = 1024, runs = 5, len, nchunks = 0, i;

	warnp_setprogname(argv[0]);
	if (argc > 1)
		mib = strtoul(argv[1], NULL, 10);
	if (argc > 2)
		runs = strtoul(argv[2], NULL, 10);
	if ((mib == 0) || (mib > 65536) || (runs == 0) || (runs > 1000)) {
		fprintf(stderr, "usage: bench_chunker [MiB [runs]]\n");
		exit(1);
	}
	len = mib << 20;

	if (((buf = malloc(len)) == NULL) ||
	    ((rates = malloc(runs * sizeof(double))) == NULL)) {
		warnp("malloc");
		exit(1);
	}
	fill(table, sizeof(table), 1);
	fill(buf, len, 2);
	if (fastcdc_init(&c, table, FASTCDC_MIN_DEFAULT, FASTCDC_AVG_DEFAULT,
	    FASTCDC_MAX_DEFAULT))
		exit(1);

	for (i = 0; i < runs; i++) {
		secs = chunk_all(&c, buf, len, &nchunks);
		rates[i] = (double)len / secs / 1e9;
	}
	qsort(rates, runs, sizeof(double), cmp_double);

	printf("fastcdc min/avg/max %d/%d/%d KiB, %zu MiB random, %zu runs\n",
	    FASTCDC_MIN_DEFAULT / 1024, FASTCDC_AVG_DEFAULT / 1024,
	    FASTCDC_MAX_DEFAULT / 1024, mib, runs);
	printf("median %.2f GB/s (min %.2f, max %.2f)\n", rates[runs / 2],
	    rates[0], rates[runs - 1]);
	printf("%zu chunks, mean size %.0f bytes\n", nchunks,
	    (double)len / (double)nchunks);

	fastcdc_release(&c);
	free(rates);
	free(buf);
	return (0);
}
