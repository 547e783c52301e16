#ifndef COFFER_BUF_H
#define COFFER_BUF_H

#include <stddef.h>
#include <stdint.h>

/*
 * A growable byte buffer owned by the caller: struct buf b = BUF_INIT;
 * ... buf_release(&b).
 */
struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* buf_reserve(b, extra): make room for extra more bytes.  0 or -1. */
int buf_reserve(struct buf *, size_t);

/* buf_append(b, p, n): append n bytes.  0 or -1 (ENOMEM, reported). */
int buf_append(struct buf *, const void *, size_t);

/* buf_put_u8/u32le/u64le/varint(b, v): append an encoded integer. */
int buf_put_u8(struct buf *, uint8_t);
int buf_put_u32le(struct buf *, uint32_t);
int buf_put_u64le(struct buf *, uint64_t);
int buf_put_varint(struct buf *, uint64_t);

/* buf_release(b): free the storage; b is empty afterwards. */
void buf_release(struct buf *);

/*
 * A bounded reader over untrusted bytes.  Every get fails (returns -1) once
 * the input is exhausted or malformed, and stays failed.
 */
struct rd {
	const uint8_t *p;
	size_t left;
	int bad;
};

void rd_init(struct rd *, const uint8_t *, size_t);
int rd_u8(struct rd *, uint8_t *);
int rd_u32le(struct rd *, uint32_t *);
int rd_u64le(struct rd *, uint64_t *);
/* rd_varint: LEB128, canonical (no redundant trailing zero groups). */
int rd_varint(struct rd *, uint64_t *);
/* rd_bytes(r, n, &p): point p at the next n bytes without copying. */
int rd_bytes(struct rd *, size_t, const uint8_t **);

/* Little-endian helpers. */
static inline uint32_t
le32dec(const uint8_t *p)
{
	return ((uint32_t)p[0] | ((uint32_t)p[1] << 8) |
	    ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24));
}

static inline uint64_t
le64dec(const uint8_t *p)
{
	return ((uint64_t)le32dec(p) | ((uint64_t)le32dec(p + 4) << 32));
}

static inline void
le32enc(uint8_t *p, uint32_t x)
{
	p[0] = x & 0xff;
	p[1] = (x >> 8) & 0xff;
	p[2] = (x >> 16) & 0xff;
	p[3] = (x >> 24) & 0xff;
}

static inline void
le64enc(uint8_t *p, uint64_t x)
{
	le32enc(p, (uint32_t)x);
	le32enc(p + 4, (uint32_t)(x >> 32));
}

#endif
