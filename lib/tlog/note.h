#ifndef COFFER_NOTE_H
#define COFFER_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/*
 * C2SP signed notes (c2sp.org/signed-note), Ed25519 signatures (type
 * 0x01) and timestamped Ed25519 cosignatures (type 0x04,
 * c2sp.org/tlog-cosignature), and checkpoints (c2sp.org/tlog-checkpoint).
 *
 * A note is UTF-8 text without control characters but '\n', ending in
 * '\n', then an empty line, then one or more signature lines
 *
 *	U+2014 U+0020 <key name> U+0020 base64(key id[4] || signature) '\n'
 *
 * The key id is SHA-256(key name || 0x0A || type || public key)[:4], read
 * big-endian.  A verifier key ("vkey") is written
 *
 *	<key name>+<8 hex digits of the key id>+base64(type || public key)
 *
 * and a signer key, as golang.org/x/mod/sumdb/note writes it,
 *
 *	PRIVATE+KEY+<key name>+<8 hex digits>+base64(0x01 || Ed25519 seed)
 */

#define NOTE_NAME_MAX	255		/* bytes in a key name */
#define NOTE_MAX_SIGS	100		/* signature lines in a note */
#define NOTE_MAX_LEN	65536		/* bytes in a whole note */
#define NOTE_SIG_MAX	72		/* longest signature we can check */

#define NOTE_ALG_ED25519	0x01
#define NOTE_ALG_COSIG		0x04	/* timestamped cosignature/v1 */

/* A verifier key. */
struct note_vkey {
	char name[NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t alg;			/* NOTE_ALG_* */
	uint8_t pk[32];
};

/*
 * note_key_id(name, alg, pk): SHA-256(name || '\n' || alg || pk)[:4] as a
 * big-endian integer.
 */
uint32_t note_key_id(const char *, uint8_t, const uint8_t[32]);

/*
 * note_name_valid(name, len): key names are non-empty valid UTF-8 of at
 * most NOTE_NAME_MAX bytes, with no '+', no control character and no
 * Unicode space.  1 if valid, 0 if not.
 */
int note_name_valid(const char *, size_t);

/*
 * note_vkey_parse(s, len, &vk, &why): parse a verifier key of type 0x01
 * or 0x04 whose key id is the one the name and key give.  0, or 1 if
 * malformed (*why says how; not reported).
 */
int note_vkey_parse(const char *, size_t, struct note_vkey *,
    const char **);

/* note_vkey_format(vk, out, size): the text form.  0, or -1 if too long. */
int note_vkey_format(const struct note_vkey *, char *, size_t);

/* A signature line. */
struct note_sig {
	char name[NOTE_NAME_MAX + 1];
	uint32_t id;
	uint8_t sig[NOTE_SIG_MAX];	/* after the key id */
	size_t siglen;			/* 0 if longer than NOTE_SIG_MAX */
};

/* A parsed note: the text (pointing into the message) and signatures. */
struct note {
	const uint8_t *text;		/* including its final '\n' */
	size_t textlen;
	size_t nsigs;
	struct note_sig sig[NOTE_MAX_SIGS];
};

/*
 * note_parse(msg, len, &why): parse a signed note (nothing verified yet).
 * The result points into msg, which must outlive it; free it with free().
 * NULL if malformed (*why says how; not reported) or out of memory
 * (reported; *why is "out of memory").
 */
struct note *note_parse(const uint8_t *, size_t, const char **);

/*
 * note_verify(n, vk, &ts): check the signature lines of key vk (same name
 * and key id).  For a cosignature (0x04), *ts is its timestamp (ts may be
 * NULL).  Returns 0 if there is one and every such line verifies, 1 if
 * there is none, 2 if one does not verify.
 */
int note_verify(const struct note *, const struct note_vkey *, uint64_t *);

/* A signer: an Ed25519 key in sodium_malloc'd memory. */
struct note_signer;

/*
 * note_signer_generate(name, &skey): a new key, as signer-key text
 * (malloc'd; the caller wipes it with sodium_memzero and frees it).
 * 0, or -1 (reported; an invalid name is an error).
 */
int note_signer_generate(const char *, char **);

/* note_signer_new(skey, len): parse signer-key text; NULL (reported). */
struct note_signer *note_signer_new(const char *, size_t);

/* note_signer_free(s): wipe and free; NULL is a no-op. */
void note_signer_free(struct note_signer *);

/* note_signer_vkey(s, alg, &vk): its verifier key for alg 0x01 or 0x04. */
void note_signer_vkey(const struct note_signer *, uint8_t,
    struct note_vkey *);

/*
 * note_sign(s, text, len, out): append to out the signed note: text (which
 * must end in '\n' and be valid note text), an empty line and s's
 * signature line.  0 or -1 (reported).
 */
int note_sign(const struct note_signer *, const uint8_t *, size_t,
    struct buf *);

/*
 * note_cosign_line(s, text, len, ts, out): append to out a tlog-cosignature
 * v1 line by s (key id of type 0x04) over the note text, at time ts.
 * 0 or -1 (reported).
 */
int note_cosign_line(const struct note_signer *, const uint8_t *, size_t,
    uint64_t, struct buf *);

/* ---------------------------------------------------------------------- */
/* Checkpoints. */

struct checkpoint {
	char origin[NOTE_NAME_MAX + 1];
	uint64_t size;
	uint8_t root[32];
};

/*
 * checkpoint_parse(text, len, &cp, &why): parse a checkpoint's note text:
 * origin, size (decimal, no leading zero), base64 root of 32 bytes, then
 * optional non-empty extension lines (ignored).  0, or 1 if malformed
 * (*why; not reported).
 */
int checkpoint_parse(const uint8_t *, size_t, struct checkpoint *,
    const char **);

/* checkpoint_format(cp, out): append the three lines.  0 or -1. */
int checkpoint_format(const struct checkpoint *, struct buf *);

/*
 * A client's policy: the log's key (type 0x01, named after the log's
 * origin) and the witnesses, of which at least quorum must have cosigned
 * (type 0x04).
 */
#define TLOG_MAX_WITNESSES	16

struct tlog_policy {
	struct note_vkey log;
	struct note_vkey witness[TLOG_MAX_WITNESSES];
	size_t nwitnesses;
	size_t quorum;
};

/*
 * checkpoint_open(msg, len, pol, &cp, err, errsize): parse a signed
 * checkpoint and check it against the policy: the log's signature must
 * verify, its origin line must be the log's key name, every signature
 * line of a known witness must verify and at least pol->quorum distinct
 * witnesses must have cosigned; other signature lines are ignored.
 * Returns 0, or 1 with err set to what is wrong, in words (not
 * reported), or -1 (out of memory, reported).
 */
int checkpoint_open(const uint8_t *, size_t, const struct tlog_policy *,
    struct checkpoint *, char *, size_t);

/* Base64 (RFC 4648 section 4, padded) helpers shared by the tlog code. */

/* tlog_b64_encode(p, len, out): append base64 to out.  0 or -1. */
int tlog_b64_encode(const uint8_t *, size_t, struct buf *);

/*
 * tlog_b64_decode(s, slen, out, max, &n): decode canonical base64 (padded,
 * no stray bits, no whitespace) into at most max bytes.  0, or 1 if
 * malformed or too long.
 */
int tlog_b64_decode(const char *, size_t, uint8_t *, size_t, size_t *);

#endif
