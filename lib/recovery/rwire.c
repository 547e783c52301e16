/*
 * The realm protocol's messages (docs/RECOVERY.md 4.2).  Each type lists
 * its fields once, as (pointer, length) pairs into the struct, and the
 * same list drives the encoder and the decoder, so the two cannot
 * disagree about a layout.
 */
#include <string.h>

#include <sodium.h>

#include "rwire.h"

#define MAXF	16

/* One field: len bytes at p, or a u16le when u16 is set. */
struct field {
	void *p;
	size_t len;
	int u16;
};

struct fields {
	struct field f[MAXF];
	size_t n;
};

static void
add(struct fields *fs, void *p, size_t len)
{

	fs->f[fs->n].p = p;
	fs->f[fs->n].len = len;
	fs->f[fs->n].u16 = 0;
	fs->n++;
}

static void
add16(struct fields *fs, uint16_t *p)
{

	fs->f[fs->n].p = p;
	fs->f[fs->n].len = 2;
	fs->f[fs->n].u16 = 1;
	fs->n++;
}

/* The fields of a request of q->type after the header; -1 if unknown. */
static int
req_fields(struct rwire_req *q, struct fields *fs)
{

	fs->n = 0;
	switch (q->type) {
	case RW_RECOVER1:
		return (0);
	case RW_DELETE:
		add(fs, q->challenge, RWIRE_CHAL);
		return (0);
	case RW_RECOVER2:
		add(fs, q->challenge, RWIRE_CHAL);
		add(fs, q->version, RWIRE_VER);
		add(fs, q->blinded, RWIRE_ELEM);
		return (0);
	case RW_RECOVER3:
		add(fs, q->challenge, RWIRE_CHAL);
		add(fs, q->version, RWIRE_VER);
		add(fs, q->tag_proof, RWIRE_MAC);
		return (0);
	case RW_REGISTER:
		add(fs, q->challenge, RWIRE_CHAL);
		add(fs, q->version, RWIRE_VER);
		add(fs, &q->index, 1);
		add(fs, &q->t, 1);
		add(fs, &q->n, 1);
		add16(fs, &q->num_guesses);
		add(fs, q->k, RWIRE_SCALAR);
		add(fs, q->pk, RWIRE_ELEM);
		add(fs, q->vk, RWIRE_VK);
		add(fs, q->sig, RWIRE_SIG);
		add(fs, q->commitment, RWIRE_MAC);
		add(fs, q->tag, RWIRE_MAC);
		add(fs, q->s, RWIRE_SCALAR);
		add(fs, q->enc, RWIRE_ENC);
		add(fs, q->enc_commitment, RWIRE_MAC);
		return (0);
	default:
		return (-1);
	}
}

/* The fields of a response after the header; -1 if unknown. */
static int
resp_fields(struct rwire_resp *r, struct fields *fs)
{

	fs->n = 0;
	if (r->type < RW_REGISTER || r->type > RW_DELETE ||
	    r->status > RW_STALE_CHALLENGE)
		return (-1);
	/* recover1 always carries a challenge (for register or delete). */
	if (r->type == RW_RECOVER1 && (r->status == RW_OK ||
	    r->status == RW_NOT_REGISTERED || r->status == RW_NO_GUESSES)) {
		add(fs, r->challenge, RWIRE_CHAL);
		add(fs, r->version, RWIRE_VER);
		add16(fs, &r->num_guesses);
		add16(fs, &r->guess_count);
		return (0);
	}
	if (r->status != RW_OK) {
		add16(fs, &r->guesses_left);
		return (0);
	}
	switch (r->type) {
	case RW_RECOVER2:
		add(fs, &r->index, 1);
		add(fs, &r->t, 1);
		add(fs, &r->n, 1);
		add16(fs, &r->num_guesses);
		add16(fs, &r->guess_count);
		add(fs, r->challenge, RWIRE_CHAL);
		add(fs, r->evaluated, RWIRE_ELEM);
		add(fs, r->proof, RWIRE_PROOF);
		add(fs, r->pk, RWIRE_ELEM);
		add(fs, r->vk, RWIRE_VK);
		add(fs, r->sig, RWIRE_SIG);
		add(fs, r->commitment, RWIRE_MAC);
		return (0);
	case RW_RECOVER3:
		add(fs, r->s, RWIRE_SCALAR);
		add(fs, r->enc, RWIRE_ENC);
		add(fs, r->enc_commitment, RWIRE_MAC);
		return (0);
	default:
		return (0);	/* register, delete: nothing more */
	}
}

static size_t
total(const struct fields *fs, size_t hdr)
{
	size_t i, n = hdr;

	for (i = 0; i < fs->n; i++)
		n += fs->f[i].len;
	return (n);
}

static void
put(const struct fields *fs, uint8_t *out)
{
	const struct field *f;
	size_t i;

	for (i = 0; i < fs->n; i++) {
		f = &fs->f[i];
		if (f->u16) {
			out[0] = (uint8_t)(*(uint16_t *)f->p & 0xff);
			out[1] = (uint8_t)(*(uint16_t *)f->p >> 8);
		} else {
			memcpy(out, f->p, f->len);
		}
		out += f->len;
	}
}

static void
get(const struct fields *fs, const uint8_t *in)
{
	const struct field *f;
	size_t i;

	for (i = 0; i < fs->n; i++) {
		f = &fs->f[i];
		if (f->u16)
			*(uint16_t *)f->p = (uint16_t)(in[0] | in[1] << 8);
		else
			memcpy(f->p, in, f->len);
		in += f->len;
	}
}

size_t
rwire_req_len(int type)
{
	struct rwire_req q;
	struct fields fs;

	memset(&q, 0, sizeof(q));
	q.type = (uint8_t)type;
	if (type < 0 || type > 255 || req_fields(&q, &fs))
		return (0);
	return (total(&fs, RWIRE_REQ_HDR));
}

size_t
rwire_resp_len(int type, int status)
{
	struct rwire_resp r;
	struct fields fs;

	memset(&r, 0, sizeof(r));
	r.type = (uint8_t)type;
	r.status = (uint8_t)status;
	if (type < 0 || type > 255 || status < 0 || status > 255 ||
	    resp_fields(&r, &fs))
		return (0);
	return (total(&fs, RWIRE_RESP_HDR));
}

int
rwire_req_encode(const struct rwire_req *q, uint8_t *out, size_t *len)
{
	struct fields fs;

	/* The field list points into q, but only to read from it. */
	if (req_fields((struct rwire_req *)(uintptr_t)q, &fs))
		return (-1);
	memcpy(out, "CFRQ", 4);
	out[4] = RWIRE_VERSION;
	out[5] = q->type;
	memcpy(out + 6, q->realm_id, RWIRE_ID);
	memcpy(out + 22, q->rid, RWIRE_ID);
	put(&fs, out + RWIRE_REQ_HDR);
	*len = total(&fs, RWIRE_REQ_HDR);
	return (0);
}

int
rwire_req_decode(const uint8_t *p, size_t len, struct rwire_req *q,
    const char **why)
{
	struct fields fs;

	memset(q, 0, sizeof(*q));
	if (len < 6 || memcmp(p, "CFRQ", 4) != 0) {
		*why = "bad magic";
		return (-1);
	}
	if (p[4] != RWIRE_VERSION) {
		*why = "unsupported protocol version";
		return (-1);
	}
	q->type = p[5];
	if (req_fields(q, &fs)) {
		*why = "unknown message type";
		return (-1);
	}
	if (len != total(&fs, RWIRE_REQ_HDR)) {
		*why = "wrong length";
		return (-1);
	}
	memcpy(q->realm_id, p + 6, RWIRE_ID);
	memcpy(q->rid, p + 22, RWIRE_ID);
	get(&fs, p + RWIRE_REQ_HDR);
	if (q->type == RW_REGISTER) {
		if (q->n < 1 || q->n > RWIRE_MAX_REALMS || q->index < 1 ||
		    q->index > q->n || q->t > q->n || 2 * q->t <= q->n) {
			*why = "bad share index or threshold";
			goto bad;
		}
		if (q->num_guesses < 1 || q->num_guesses > RWIRE_MAX_GUESSES) {
			*why = "guess limit out of range";
			goto bad;
		}
	}
	return (0);
bad:
	rwire_wipe(q, sizeof(*q));
	return (-1);
}

int
rwire_resp_encode(const struct rwire_resp *r, uint8_t *out, size_t *len)
{
	struct fields fs;

	if (resp_fields((struct rwire_resp *)(uintptr_t)r, &fs))
		return (-1);
	memcpy(out, "CFRS", 4);
	out[4] = RWIRE_VERSION;
	out[5] = r->type;
	out[6] = r->status;
	memcpy(out + 7, r->realm_id, RWIRE_ID);
	put(&fs, out + RWIRE_RESP_HDR);
	*len = total(&fs, RWIRE_RESP_HDR);
	return (0);
}

int
rwire_resp_decode(const uint8_t *p, size_t len, struct rwire_resp *r,
    const char **why)
{
	struct fields fs;

	memset(r, 0, sizeof(*r));
	if (len < RWIRE_RESP_HDR || memcmp(p, "CFRS", 4) != 0) {
		*why = "bad magic";
		return (-1);
	}
	if (p[4] != RWIRE_VERSION) {
		*why = "unsupported protocol version";
		return (-1);
	}
	r->type = p[5];
	r->status = p[6];
	if (resp_fields(r, &fs)) {
		*why = "unknown message type or status";
		return (-1);
	}
	if (len != total(&fs, RWIRE_RESP_HDR)) {
		*why = "wrong length";
		return (-1);
	}
	memcpy(r->realm_id, p + 7, RWIRE_ID);
	get(&fs, p + RWIRE_RESP_HDR);
	if (r->type == RW_RECOVER2 && r->status == RW_OK &&
	    (r->n < 1 || r->n > RWIRE_MAX_REALMS || r->index < 1 ||
	    r->index > r->n || r->t > r->n || 2 * r->t <= r->n ||
	    r->num_guesses < 1 || r->num_guesses > RWIRE_MAX_GUESSES ||
	    r->guess_count > r->num_guesses)) {
		*why = "share index, threshold or counts out of range";
		rwire_wipe(r, sizeof(*r));
		return (-1);
	}
	return (0);
}

void
rwire_wipe(void *p, size_t len)
{

	sodium_memzero(p, len);
}

const char *
rwire_status_name(int s)
{
	static const char *names[] = { "OK", "NOT_REGISTERED", "NO_GUESSES",
	    "VERSION_MISMATCH", "BAD_UNLOCK_TAG", "STALE_CHALLENGE" };

	return ((s >= 0 && s <= RW_STALE_CHALLENGE) ? names[s] : "unknown");
}
