#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recovery/rwire.h"
#include "repo/keyslot_recovery.h"

/*
 * The recovery parsers on untrusted bytes: a realm's request
 * (rwire_req_decode, what cofferd reads from any client), a realm's
 * response (rwire_resp_decode, what coffer reads from any realm), and a
 * recovery key slot's clear part (keyslot_recovery_parse, what coffer
 * reads from the storage host).  docs/RECOVERY.md 4.2, FORMAT.md 6.2.
 * Whatever decodes must encode back to exactly the same bytes (the
 * formats have one encoding), and a decoded request must hold the
 * documented ranges; anything else aborts.
 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
req(const uint8_t *p, size_t len)
{
	uint8_t out[RWIRE_MAX_BODY];
	struct rwire_req q;
	const char *why;
	size_t n;

	if (rwire_req_decode(p, len, &q, &why) != 0)
		return;
	if (rwire_req_encode(&q, out, &n) != 0 || n != len ||
	    memcmp(out, p, len) != 0 || n != rwire_req_len(q.type))
		abort();
	if (q.type == RW_REGISTER && (q.index < 1 || q.index > q.n ||
	    q.n > RWIRE_MAX_REALMS || 2 * q.t <= q.n || q.t > q.n ||
	    q.num_guesses < 1 || q.num_guesses > RWIRE_MAX_GUESSES))
		abort();
}

static void
resp(const uint8_t *p, size_t len)
{
	uint8_t out[RWIRE_MAX_BODY];
	struct rwire_resp r;
	const char *why;
	size_t n;

	if (rwire_resp_decode(p, len, &r, &why) != 0)
		return;
	if (rwire_resp_encode(&r, out, &n) != 0 || n != len ||
	    memcmp(out, p, len) != 0)
		abort();
}

static void
slot(const uint8_t *p, size_t len)
{
	struct rslot c;
	size_t fixed, i;

	if (keyslot_recovery_parse(p, len, &c, &fixed) != 0)
		return;
	if (fixed > len || c.n < 1 || c.n > RSLOT_MAX_REALMS ||
	    2 * c.t <= c.n || c.t > c.n)
		abort();
	for (i = 0; i < c.n; i++)
		if (c.realm[i].url[0] == '\0' ||
		    strchr(c.realm[i].url, '@') != NULL ||
		    c.realm[i].jurisdiction[0] == '\0')
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{

	if (size > 4 * RWIRE_MAX_BODY)
		return (0);
	req(data, size);
	resp(data, size);
	slot(data, size);
	return (0);
}
