#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "warnp.h"

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len) {
		errno = ENOMEM;
		warnp("buffer size overflow");
		return (-1);
	}
	need = b->len + extra;
	if (need <= b->cap)
		return (0);
	ncap = (b->cap < 64) ? 64 : b->cap;
	while (ncap < need)
		ncap = (ncap > SIZE_MAX / 2) ? need : ncap * 2;
	if ((p = realloc(b->data, ncap)) == NULL) {
		warnp("realloc");
		return (-1);
	}
	b->data = p;
	b->cap = ncap;
	return (0);
}

int
buf_append(struct buf *b, const void *p, size_t n)
{

	if (n == 0)
		return (0);
	if (buf_reserve(b, n))
		return (-1);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return (0);
}

int
buf_put_u8(struct buf *b, uint8_t v)
{

	return (buf_append(b, &v, 1));
}

int
buf_put_u32le(struct buf *b, uint32_t v)
{
	uint8_t t[4];

	le32enc(t, v);
	return (buf_append(b, t, 4));
}

int
buf_put_u64le(struct buf *b, uint64_t v)
{
	uint8_t t[8];

	le64enc(t, v);
	return (buf_append(b, t, 8));
}

int
buf_put_varint(struct buf *b, uint64_t v)
{
	uint8_t t[10];
	size_t n = 0;

	do {
		t[n] = v & 0x7f;
		v >>= 7;
		if (v != 0)
			t[n] |= 0x80;
		n++;
	} while (v != 0);
	return (buf_append(b, t, n));
}

void
buf_release(struct buf *b)
{

	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
rd_init(struct rd *r, const uint8_t *p, size_t n)
{

	r->p = p;
	r->left = n;
	r->bad = 0;
}

int
rd_bytes(struct rd *r, size_t n, const uint8_t **p)
{

	if (r->bad || n > r->left) {
		r->bad = 1;
		return (-1);
	}
	*p = r->p;
	r->p += n;
	r->left -= n;
	return (0);
}

int
rd_u8(struct rd *r, uint8_t *v)
{
	const uint8_t *p;

	if (rd_bytes(r, 1, &p))
		return (-1);
	*v = p[0];
	return (0);
}

int
rd_u32le(struct rd *r, uint32_t *v)
{
	const uint8_t *p;

	if (rd_bytes(r, 4, &p))
		return (-1);
	*v = le32dec(p);
	return (0);
}

int
rd_u64le(struct rd *r, uint64_t *v)
{
	const uint8_t *p;

	if (rd_bytes(r, 8, &p))
		return (-1);
	*v = le64dec(p);
	return (0);
}

int
rd_varint(struct rd *r, uint64_t *v)
{
	uint64_t x = 0;
	uint8_t c;
	unsigned int shift;

	for (shift = 0; shift < 64; shift += 7) {
		if (rd_u8(r, &c))
			return (-1);
		if (shift == 63 && c > 1)
			break;
		x |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0) {
			/* Canonical: a final group of zero only for x == 0. */
			if (c == 0 && shift != 0)
				break;
			*v = x;
			return (0);
		}
	}
	r->bad = 1;
	return (-1);
}
