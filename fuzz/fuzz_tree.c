#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tree/tree.h"
#include "util/buf.h"
#include "util/warnp.h"

/*
 * Tree decoding is canonical: whatever tree_decode accepts, tree_encode
 * must turn back into exactly the same bytes.  A difference means two
 * encodings for one tree (or a decoder that accepts what the encoder
 * refuses), and aborts so that the fuzzer keeps the input.
 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tree t;
	struct buf b = BUF_INIT;
	int rc;

	warnp_quiet(1);
	if ((rc = tree_decode(data, size, &t)) != 0) {
		/* Rejected (1), or out of memory (-1): nothing to compare. */
		return (0);
	}
	if (tree_encode(&t, &b) != 0)
		abort();
	if (b.len != size || memcmp(b.data, data, size) != 0)
		abort();
	tree_release(&t);
	buf_release(&b);
	return (0);
}
