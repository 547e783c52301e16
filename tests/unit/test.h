#ifndef COFFER_TEST_H
#define COFFER_TEST_H

/*
 * A minimal unit test harness.  Each test_*.c file has a main() that calls
 * RUN(fn) for each test; a test fails if any CHECK in it fails.  Output is
 * one line per test, "PASS name" or "FAIL name", which tests/run.sh counts,
 * and the exit status is non-zero if any test failed.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failed_now;
static int test_npass, test_nfail;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "  %s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #cond);				\
		test_failed_now = 1;					\
	}								\
} while (0)

#define CHECK_MEM(a, b, n) do {						\
	if (memcmp((a), (b), (n)) != 0) {				\
		fprintf(stderr, "  %s:%d: bytes differ: %s vs %s\n",	\
		    __FILE__, __LINE__, #a, #b);			\
		test_failed_now = 1;					\
	}								\
} while (0)

#define RUN(fn) do {							\
	test_failed_now = 0;						\
	fn();								\
	if (test_failed_now) {						\
		test_nfail++;						\
		printf("FAIL %s\n", #fn);				\
	} else {							\
		test_npass++;						\
		printf("PASS %s\n", #fn);				\
	}								\
	fflush(stdout);							\
} while (0)

#define TEST_EXIT() (test_nfail ? 1 : 0)

/* hex2bin(hex, out, outlen): decode a hex string; returns its byte count. */
static inline size_t
test_hex2bin(const char *hex, unsigned char *out, size_t outlen)
{
	size_t n = 0;
	unsigned int v;

	while (hex[0] && hex[1] && n < outlen) {
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return (n);
}

#endif
