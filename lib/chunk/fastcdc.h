#ifndef COFFER_FASTCDC_H
#define COFFER_FASTCDC_H

#include <stddef.h>
#include <stdint.h>

/*
 * Keyed FastCDC content-defined chunker (Xia et al., USENIX ATC '16 and
 * TPDS 2020): Gear rolling hash over a secret 256-entry table derived from
 * the repository key, cut-point skipping below the minimum size, and
 * normalized chunking (a stricter mask before the average size, a looser
 * one after it).  Cut points are part of the repository format: the same
 * table, parameters and input give the same chunks forever.
 */

#define FASTCDC_TABLE_BYTES	2048	/* 256 little-endian uint64 */

/* Repository defaults (stored in the config). */
#define FASTCDC_MIN_DEFAULT	(512 * 1024)
#define FASTCDC_AVG_DEFAULT	(1024 * 1024)
#define FASTCDC_MAX_DEFAULT	(8 * 1024 * 1024)

struct fastcdc {
	uint64_t gear[256];
	uint64_t gear_ls[256];	/* gear[i] << 1, for two bytes a step */
	uint64_t mask_s, mask_l;
	uint64_t mask_s_ls, mask_l_ls;
	size_t min, avg, max;
};

/*
 * fastcdc_init(c, table, min, avg, max): set up a chunker from a 2048-byte
 * secret table (gear[i] = little-endian uint64 at table + 8*i).  avg must
 * be a power of two with 64 <= min < avg < max <= 2^30.  Returns 0, or -1
 * if the parameters are invalid (reported).
 */
int fastcdc_init(struct fastcdc *, const uint8_t table[FASTCDC_TABLE_BYTES],
    size_t, size_t, size_t);

/*
 * fastcdc_cut(c, buf, len, eof): buf holds len bytes starting at the start
 * of a chunk.  Return the length of that chunk (1 <= n <= len), or 0 if
 * more input is needed to decide (no cut point in buf, len < max, !eof).
 * With eof set, the remaining bytes form the last chunk when no cut point
 * is found; len == 0 with eof returns 0.
 */
size_t fastcdc_cut(const struct fastcdc *, const uint8_t *, size_t, int);

/* fastcdc_release(c): wipe the secret table. */
void fastcdc_release(struct fastcdc *);

#endif
