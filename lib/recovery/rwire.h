#ifndef COFFER_RWIRE_H
#define COFFER_RWIRE_H

/*
 * The realm protocol's binary messages (docs/RECOVERY.md section 4.2):
 * requests "CFRQ", responses "CFRS", version 1, a fixed length for each
 * type and status.  Shared by the client (lib/recovery/recovery.c) and the
 * realm (server/srv_realm.c).  The decoders check syntax only: magic,
 * version, type, exact length, and the ranges of the small integers; the
 * elements and scalars are checked by whoever uses them.
 */

#include <stddef.h>
#include <stdint.h>

#define RWIRE_VERSION		1
#define RWIRE_ID		16	/* realm ids, record ids */
#define RWIRE_CHAL		16	/* challenges */
#define RWIRE_VER		16	/* registration versions */
#define RWIRE_ELEM		32
#define RWIRE_SCALAR		32
#define RWIRE_MAC		32
#define RWIRE_VK		32	/* Ed25519 public key */
#define RWIRE_SIG		64	/* Ed25519 signature */
#define RWIRE_PROOF		64	/* DLEQ proof c || s */
#define RWIRE_SECRET		32	/* the recovered secret */
#define RWIRE_ENC		48	/* its AES-256-GCM sealing */
#define RWIRE_MAX_REALMS	16
#define RWIRE_MAX_GUESSES	1000
#define RWIRE_MAX_BODY		1024	/* a realm reads no more */

/* Message types. */
enum rwire_type {
	RW_REGISTER = 1,
	RW_RECOVER1 = 2,
	RW_RECOVER2 = 3,
	RW_RECOVER3 = 4,
	RW_DELETE = 5
};

/* Response statuses. */
enum rwire_status {
	RW_OK = 0,
	RW_NOT_REGISTERED = 1,
	RW_NO_GUESSES = 2,
	RW_VERSION_MISMATCH = 3,
	RW_BAD_UNLOCK_TAG = 4,
	RW_STALE_CHALLENGE = 5
};

/* Exact lengths. */
#define RWIRE_REQ_HDR		38
#define RWIRE_RESP_HDR		23
#define RWIRE_REQ_REGISTER	411
#define RWIRE_REQ_RECOVER1	38
#define RWIRE_REQ_RECOVER2	102
#define RWIRE_REQ_RECOVER3	102
#define RWIRE_REQ_DELETE	54
#define RWIRE_RESP_ERROR	25
#define RWIRE_RESP_RECOVER1	59
#define RWIRE_RESP_EMPTY	23
#define RWIRE_RESP_RECOVER2	302
#define RWIRE_RESP_RECOVER3	135

/*
 * A request.  Fields not used by its type are ignored when encoding and
 * zero after decoding.  k and s are secret: wipe the struct after use
 * (rwire_wipe).
 */
struct rwire_req {
	uint8_t type;
	uint8_t realm_id[RWIRE_ID];
	uint8_t rid[RWIRE_ID];
	uint8_t challenge[RWIRE_CHAL];	/* all but recover1 */
	uint8_t version[RWIRE_VER];	/* register, recover2, recover3 */
	/* register */
	uint8_t index, t, n;
	uint16_t num_guesses;
	uint8_t k[RWIRE_SCALAR];
	uint8_t pk[RWIRE_ELEM];
	uint8_t vk[RWIRE_VK];
	uint8_t sig[RWIRE_SIG];
	uint8_t commitment[RWIRE_MAC];
	uint8_t tag[RWIRE_MAC];
	uint8_t s[RWIRE_SCALAR];
	uint8_t enc[RWIRE_ENC];
	uint8_t enc_commitment[RWIRE_MAC];
	/* recover2 */
	uint8_t blinded[RWIRE_ELEM];
	/* recover3 */
	uint8_t tag_proof[RWIRE_MAC];
};

/* A response; the same rules. */
struct rwire_resp {
	uint8_t type;
	uint8_t status;
	uint8_t realm_id[RWIRE_ID];
	uint16_t guesses_left;		/* any status but OK */
	/* recover1 (OK, NOT_REGISTERED, NO_GUESSES), recover2 */
	uint8_t challenge[RWIRE_CHAL];
	uint8_t version[RWIRE_VER];	/* recover1 */
	uint16_t num_guesses, guess_count;
	/* recover2 */
	uint8_t index, t, n;
	uint8_t evaluated[RWIRE_ELEM];
	uint8_t proof[RWIRE_PROOF];
	uint8_t pk[RWIRE_ELEM];
	uint8_t vk[RWIRE_VK];
	uint8_t sig[RWIRE_SIG];
	uint8_t commitment[RWIRE_MAC];
	/* recover3 */
	uint8_t s[RWIRE_SCALAR];
	uint8_t enc[RWIRE_ENC];
	uint8_t enc_commitment[RWIRE_MAC];
};

/* rwire_req_len(type): the exact length of a request of type, or 0. */
size_t rwire_req_len(int);

/* rwire_resp_len(type, status): the exact length of a response, or 0. */
size_t rwire_resp_len(int, int);

/*
 * rwire_req_encode(q, out, &len): write q into out (RWIRE_MAX_BODY bytes
 * at least).  0, or -1 if q->type is unknown.
 */
int rwire_req_encode(const struct rwire_req *, uint8_t *, size_t *);

/*
 * rwire_req_decode(p, len, q, &why): parse a request.  0, or -1 with why
 * set to a short static text ("bad magic", "unsupported protocol
 * version", "unknown message type", "wrong length", "bad share index or
 * threshold", "guess limit out of range").
 */
int rwire_req_decode(const uint8_t *, size_t, struct rwire_req *,
    const char **);

/* rwire_resp_encode(r, out, &len): as rwire_req_encode. */
int rwire_resp_encode(const struct rwire_resp *, uint8_t *, size_t *);

/* rwire_resp_decode(p, len, r, &why): as rwire_req_decode. */
int rwire_resp_decode(const uint8_t *, size_t, struct rwire_resp *,
    const char **);

/* rwire_wipe(p, len): sodium_memzero, for either struct. */
void rwire_wipe(void *, size_t);

/* rwire_status_name(status): "OK", "NOT_REGISTERED", ... */
const char *rwire_status_name(int);

#endif
