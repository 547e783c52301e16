#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "util/buf.h"
#include "util/warnp.h"

#include "fastcdc.h"

/*
 * The chunker follows FastCDC (Xia et al., USENIX ATC '16; TPDS 2020):
 *
 * - Gear hash: fp = (fp << 1) + gear[byte].  Bit k of fp depends only on
 *   the last k + 1 bytes, so the masks below put their one-bits in the
 *   upper part of the word, which gives a sliding window of up to 63
 *   bytes (the paper's "zero-padded" masks).
 * - Cut-point skipping: the first min bytes of a chunk are not hashed at
 *   all; fp is 0 before the byte at offset min.
 * - Normalized chunking, level 2: bytes at offsets [min, avg) are tested
 *   against mask_s, which has log2(avg) + 2 one-bits (a cut is 4 times
 *   less likely than at the nominal rate), and bytes at offsets
 *   [avg, max) against mask_l, which has log2(avg) - 2 one-bits (4 times
 *   more likely).  This narrows the chunk size distribution around avg.
 * - A cut occurs after the byte at offset i where (fp & mask) == 0; the
 *   chunk is then i + 1 bytes long, so the byte which completed the
 *   matching fingerprint belongs to the chunk it ends.  A chunk is never
 *   longer than max.
 * - "Rolling two bytes each time" (TPDS 2020, section 3.7): two steps of
 *   the hash are fp' = (fp << 2) + (gear[a] << 1) + gear[b].  After the
 *   first half, (fp << 2) + (gear[a] << 1) is exactly twice the one-step
 *   fingerprint, so testing it against (mask << 1) is the same test as
 *   testing the one-step value against mask, provided bit 63 of the mask
 *   is clear (which mask_bits guarantees).  The two-byte loop therefore
 *   finds exactly the cut points of the one-byte loop, with one shift
 *   (folded into a single lea by the compiler) per two bytes.
 *
 * Cut points are part of the repository format; nothing here may change
 * without a new format version.
 */

/*
 * Masks are built by a fixed rule rather than a table, so that every
 * supported average size (2^7 .. 2^29, i.e. 5 .. 31 one-bits) has one:
 * n one-bits are spread evenly over the 48 bit positions 15 .. 62, bit
 * number i (0 <= i < n) being at position 62 - floor(48 * i / n).  Since
 * 48 / n > 1 the positions are distinct; the top position, 62, leaves
 * bit 63 clear for the shifted-mask trick above.
 */
#define MASK_TOP	62
#define MASK_SPAN	48

/* mask_bits(n): the mask with n one-bits described above. */
static uint64_t
mask_bits(unsigned int n)
{
	uint64_t m = 0;
	unsigned int i;

	assert((n >= 5) && (n <= 31));
	for (i = 0; i < n; i++)
		m |= (uint64_t)1 << (MASK_TOP - (MASK_SPAN * i) / n);
	return (m);
}

/* log2_floor(x): floor(log2(x)), for x > 0. */
static unsigned int
log2_floor(size_t x)
{
	unsigned int n = 0;

	while (x >>= 1)
		n++;
	return (n);
}

int
fastcdc_init(struct fastcdc *c, const uint8_t table[FASTCDC_TABLE_BYTES],
    size_t min, size_t avg, size_t max)
{
	unsigned int bits;
	size_t i;

	assert(c != NULL);
	assert(table != NULL);

	/*
	 * The bounds keep every chunk length within 32 bits and the number
	 * of mask bits within 5 .. 31 (avg is 2^7 .. 2^29).
	 */
	if ((avg == 0) || ((avg & (avg - 1)) != 0)) {
		warn0("chunker: average size %zu is not a power of two", avg);
		return (-1);
	}
	if ((min < 64) || (min >= avg) || (avg >= max) ||
	    (max > ((size_t)1 << 30))) {
		warn0("chunker: sizes min=%zu avg=%zu max=%zu out of range"
		    " (need 64 <= min < avg < max <= 2^30)", min, avg, max);
		return (-1);
	}

	/* Decode the secret table; gear_ls serves the two-byte loop. */
	for (i = 0; i < 256; i++) {
		c->gear[i] = le64dec(&table[8 * i]);
		c->gear_ls[i] = c->gear[i] << 1;
	}

	/* Normalization level 2. */
	bits = log2_floor(avg);
	c->mask_s = mask_bits(bits + 2);
	c->mask_l = mask_bits(bits - 2);
	c->mask_s_ls = c->mask_s << 1;
	c->mask_l_ls = c->mask_l << 1;

	c->min = min;
	c->avg = avg;
	c->max = max;
	return (0);
}

/*
 * scan(c, buf, i, end, mask, mask_ls, fp): continue the Gear hash *fp over
 * the bytes at offsets [i, end) of buf, testing each against mask.  Return
 * the chunk length (offset + 1) at the first cut point, or 0 if there is
 * none; in the latter case *fp holds the fingerprint after byte end - 1,
 * ready to be continued with another mask.
 */
static inline size_t
scan(const struct fastcdc *c, const uint8_t *buf, size_t i, size_t end,
    uint64_t mask, uint64_t mask_ls, uint64_t *fpp)
{
	const uint64_t *gear = c->gear;
	const uint64_t *gear_ls = c->gear_ls;
	uint64_t fp = *fpp;

	/* Two bytes per iteration; see the comment at the top of the file. */
	for (; end - i >= 2; i += 2) {
		fp = (fp << 2) + gear_ls[buf[i]];
		if ((fp & mask_ls) == 0)
			return (i + 1);
		fp += gear[buf[i + 1]];
		if ((fp & mask) == 0)
			return (i + 2);
	}

	/* An odd byte left over. */
	if (i < end) {
		fp = (fp << 1) + gear[buf[i]];
		if ((fp & mask) == 0)
			return (i + 1);
	}

	*fpp = fp;
	return (0);
}

size_t
fastcdc_cut(const struct fastcdc *c, const uint8_t *buf, size_t len, int eof)
{
	uint64_t fp = 0;
	size_t end, mid, n;

	assert(c != NULL);
	assert((buf != NULL) || (len == 0));

	/*
	 * With no more than min bytes no cut point can be seen yet: the
	 * first candidate ends a chunk of min + 1 bytes.
	 */
	if (len <= c->min)
		return (eof ? len : 0);

	/* Hash offsets [min, end), switching masks at avg. */
	end = (len < c->max) ? len : c->max;
	mid = (end < c->avg) ? end : c->avg;
	if ((n = scan(c, buf, c->min, mid, c->mask_s, c->mask_s_ls, &fp)) != 0)
		return (n);
	if ((mid < end) &&
	    ((n = scan(c, buf, mid, end, c->mask_l, c->mask_l_ls, &fp)) != 0))
		return (n);

	/* No cut point: cut at max, at the end of the data, or wait. */
	if (end == c->max)
		return (c->max);
	return (eof ? len : 0);
}

void
fastcdc_release(struct fastcdc *c)
{

	/* The masks and sizes are not secret, but wiping it all is simpler. */
	if (c == NULL)
		return;
	sodium_memzero(c, sizeof(*c));
}
