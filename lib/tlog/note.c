/*
 * C2SP signed notes, cosignatures and checkpoints.  See note.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "note.h"

#define EMDASH		"\xe2\x80\x94"	/* U+2014 */
#define SKEY_PREFIX	"PRIVATE+KEY+"
#define COSIG_HDR	"cosignature/v1\ntime "

struct note_signer {
	char name[NOTE_NAME_MAX + 1];
	uint8_t pk[32];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/* ---------------------------------------------------------------------- */
/* Base64 and UTF-8. */

int
tlog_b64_encode(const uint8_t *p, size_t len, struct buf *out)
{
	size_t n = sodium_base64_ENCODED_LEN(len,
	    sodium_base64_VARIANT_ORIGINAL);

	if (buf_reserve(out, n))
		return (-1);
	sodium_bin2base64((char *)out->data + out->len, n, p, len,
	    sodium_base64_VARIANT_ORIGINAL);
	out->len += n - 1;		/* without the NUL */
	return (0);
}

static int
b64_val(char c)
{

	if (c >= 'A' && c <= 'Z')
		return (c - 'A');
	if (c >= 'a' && c <= 'z')
		return (c - 'a' + 26);
	if (c >= '0' && c <= '9')
		return (c - '0' + 52);
	return (c == '+' ? 62 : c == '/' ? 63 : -1);
}

int
tlog_b64_decode(const char *s, size_t slen, uint8_t *out, size_t max,
    size_t *n)
{
	const char *end;
	int v;

	size_t i, pad;

	*n = 0;
	if (slen == 0 || slen % 4 != 0 || slen / 4 * 3 > max + 2)
		return (1);
	/* Only the alphabet, and '=' at the end (libsodium is lenient). */
	pad = (s[slen - 1] == '=') + (s[slen - 2] == '=');
	for (i = 0; i < slen - pad; i++)
		if (b64_val(s[i]) < 0)
			return (1);
	if (sodium_base642bin(out, max, s, slen, NULL, n, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + slen)
		return (1);
	/* Canonical: the bits after the last byte must be zero. */
	if (s[slen - 1] == '=') {
		v = b64_val(s[slen - (s[slen - 2] == '=' ? 3 : 2)]);
		if (v < 0 || (v & (s[slen - 2] == '=' ? 0x0f : 0x03)) != 0)
			return (1);
	}
	return (0);
}

/*
 * The code point at p (at most left bytes) into *cp; returns its length,
 * or 0 if not valid UTF-8 (overlong, surrogate, beyond U+10FFFF,
 * truncated).
 */
static size_t
utf8_next(const uint8_t *p, size_t left, uint32_t *cp)
{
	size_t n, i;
	uint32_t c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return (1);
	}
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		c = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		c = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else
		return (0);
	if (left < n)
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (n);
}

/* Unicode White_Space code points. */
static int
is_space(uint32_t c)
{

	return ((c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000);
}

/* Valid UTF-8 with no control character but '\n'.  1 if so. */
static int
text_valid(const uint8_t *p, size_t len)
{
	uint32_t c;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		if ((n = utf8_next(p + i, len - i, &c)) == 0)
			return (0);
		if (c < 0x20 && c != '\n')
			return (0);
	}
	return (1);
}

int
note_name_valid(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	uint32_t c;
	size_t i, n;

	if (len == 0 || len > NOTE_NAME_MAX)
		return (0);
	for (i = 0; i < len; i += n) {
		if ((n = utf8_next(p + i, len - i, &c)) == 0)
			return (0);
		if (c < 0x20 || c == 0x7f || c == '+' || is_space(c))
			return (0);
	}
	return (1);
}

/* ---------------------------------------------------------------------- */
/* Keys. */

uint32_t
note_key_id(const char *name, uint8_t alg, const uint8_t pk[32])
{
	uint8_t buf[NOTE_NAME_MAX + 2 + 32], h[CRYPTO_HASH_LEN];
	size_t n = strlen(name);

	if (n > NOTE_NAME_MAX)
		n = NOTE_NAME_MAX;
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = alg;
	memcpy(buf + n + 2, pk, 32);
	crypto_sha256(buf, n + 2 + 32, h);
	return (((uint32_t)h[0] << 24) | ((uint32_t)h[1] << 16) |
	    ((uint32_t)h[2] << 8) | h[3]);
}

/* Exactly 8 lower-case hex digits into *v.  0, or 1. */
static int
hex8(const char *s, uint32_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 8; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			*v = (*v << 4) | (uint32_t)(s[i] - '0');
		else if (s[i] >= 'a' && s[i] <= 'f')
			*v = (*v << 4) | (uint32_t)(s[i] - 'a' + 10);
		else
			return (1);
	}
	return (0);
}

/*
 * Split "<name>+<8 hex>+<base64>" at s (len bytes): name into name[],
 * id, and the decoded key (33 bytes: type and key) into key.  0, or 1.
 */
static int
split_key(const char *s, size_t len, char name[NOTE_NAME_MAX + 1],
    uint32_t *id, uint8_t key[33], const char **why)
{
	const char *plus = memchr(s, '+', len);
	size_t nl, n;

	*why = "not <name>+<key id>+<key>";
	if (plus == NULL)
		return (1);
	nl = (size_t)(plus - s);
	if (!note_name_valid(s, nl)) {
		*why = "invalid key name";
		return (1);
	}
	if (len - nl < 1 + 8 + 1 + 1 || plus[9] != '+')
		return (1);
	if (hex8(plus + 1, id)) {
		*why = "key id is not 8 lower-case hex digits";
		return (1);
	}
	if (tlog_b64_decode(plus + 10, len - nl - 10, key, 33, &n) ||
	    n != 33) {
		*why = "key is not base64 of 33 bytes";
		return (1);
	}
	memcpy(name, s, nl);
	name[nl] = '\0';
	return (0);
}

int
note_vkey_parse(const char *s, size_t len, struct note_vkey *vk,
    const char **why)
{
	uint8_t key[33];

	memset(vk, 0, sizeof(*vk));
	if (split_key(s, len, vk->name, &vk->id, key, why))
		return (1);
	if (key[0] != NOTE_ALG_ED25519 && key[0] != NOTE_ALG_COSIG) {
		*why = "not an Ed25519 key (type 0x01 or 0x04)";
		return (1);
	}
	vk->alg = key[0];
	memcpy(vk->pk, key + 1, 32);
	if (note_key_id(vk->name, vk->alg, vk->pk) != vk->id) {
		*why = "key id does not match the name and key";
		return (1);
	}
	return (0);
}

int
note_vkey_format(const struct note_vkey *vk, char *out, size_t size)
{
	uint8_t key[33];
	char b64[64];
	int n;

	key[0] = vk->alg;
	memcpy(key + 1, vk->pk, 32);
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, size, "%s+%08" PRIx32 "+%s", vk->name, vk->id, b64);
	return ((n < 0 || (size_t)n >= size) ? -1 : 0);
}

/* ---------------------------------------------------------------------- */
/* Parsing and verifying notes. */

/* One signature line at p (up to its '\n', excluded).  0, or 1. */
static int
parse_sig(const uint8_t *p, size_t len, struct note_sig *sg)
{
	const uint8_t *sp;
	uint8_t raw[4 + NOTE_SIG_MAX];
	size_t nl, n;

	if (len < 4 || memcmp(p, EMDASH " ", 4) != 0)
		return (1);
	p += 4;
	len -= 4;
	if ((sp = memchr(p, ' ', len)) == NULL)
		return (1);
	nl = (size_t)(sp - p);
	if (!note_name_valid((const char *)p, nl))
		return (1);
	memcpy(sg->name, p, nl);
	sg->name[nl] = '\0';
	p += nl + 1;
	len -= nl + 1;
	if (len > (4 + NOTE_SIG_MAX + 2) / 3 * 4) {
		/* A signature too long for any key we know: syntax only. */
		if (len % 4 != 0 || memchr(p, ' ', len) != NULL)
			return (1);
		for (n = 0; n < len; n++)
			if (!(p[n] == '+' || p[n] == '/' || p[n] == '=' ||
			    (p[n] >= '0' && p[n] <= '9') ||
			    (p[n] >= 'a' && p[n] <= 'z') ||
			    (p[n] >= 'A' && p[n] <= 'Z')))
				return (1);
		sg->id = ((uint32_t)p[0] << 24);	/* never matched */
		sg->siglen = 0;
		sg->name[0] = '\0';
		return (0);
	}
	if (tlog_b64_decode((const char *)p, len, raw, sizeof(raw), &n) ||
	    n < 5)
		return (1);
	sg->id = ((uint32_t)raw[0] << 24) | ((uint32_t)raw[1] << 16) |
	    ((uint32_t)raw[2] << 8) | raw[3];
	sg->siglen = n - 4;
	memcpy(sg->sig, raw + 4, n - 4);
	return (0);
}

struct note *
note_parse(const uint8_t *msg, size_t len, const char **why)
{
	struct note *n;
	const uint8_t *p, *e, *nl;
	size_t i;

	if (len == 0 || len > NOTE_MAX_LEN) {
		*why = "empty or too long";
		return (NULL);
	}
	if (msg[len - 1] != '\n') {
		*why = "does not end in a newline";
		return (NULL);
	}
	if (!text_valid(msg, len)) {
		*why = "not UTF-8 text without control characters";
		return (NULL);
	}
	/* The last empty line separates the text from the signatures. */
	for (i = len - 1; i > 0; i--)
		if (msg[i - 1] == '\n' && msg[i] == '\n')
			break;
	if (i == 0 || i + 1 == len) {
		*why = "no signature";
		return (NULL);
	}
	if ((n = calloc(1, sizeof(*n))) == NULL) {
		warnp("note_parse");
		*why = "out of memory";
		return (NULL);
	}
	n->text = msg;
	n->textlen = i;
	for (p = msg + i + 1, e = msg + len; p < e; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (n->nsigs == NOTE_MAX_SIGS) {
			*why = "too many signatures";
			goto bad;
		}
		if (parse_sig(p, (size_t)(nl - p), &n->sig[n->nsigs++])) {
			*why = "malformed signature line";
			goto bad;
		}
	}
	return (n);
bad:
	free(n);
	return (NULL);
}

static uint64_t
be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return (v);
}

/* Verify one cosignature (ts || sig) over "cosignature/v1..." || text. */
static int
cosig_ok(const struct note *n, const struct note_vkey *vk,
    const struct note_sig *sg, uint64_t *ts)
{
	uint8_t *m;
	char hdr[64];
	size_t hl;
	int ok;

	if (sg->siglen != 8 + crypto_sign_BYTES)
		return (0);
	*ts = be64(sg->sig);
	if (*ts > INT64_MAX)
		return (0);
	hl = (size_t)snprintf(hdr, sizeof(hdr), COSIG_HDR "%" PRIu64 "\n",
	    *ts);
	if ((m = malloc(hl + n->textlen)) == NULL) {
		warnp("note_verify");
		return (0);
	}
	memcpy(m, hdr, hl);
	memcpy(m + hl, n->text, n->textlen);
	ok = crypto_sign_verify_detached(sg->sig + 8, m, hl + n->textlen,
	    vk->pk) == 0;
	free(m);
	return (ok);
}

int
note_verify(const struct note *n, const struct note_vkey *vk, uint64_t *ts)
{
	const struct note_sig *sg;
	uint64_t t = 0;
	size_t i;
	int found = 0, ok;

	for (i = 0; i < n->nsigs; i++) {
		sg = &n->sig[i];
		if (sg->id != vk->id || strcmp(sg->name, vk->name) != 0)
			continue;
		found = 1;
		if (vk->alg == NOTE_ALG_COSIG)
			ok = cosig_ok(n, vk, sg, &t);
		else
			ok = sg->siglen == crypto_sign_BYTES &&
			    crypto_sign_verify_detached(sg->sig, n->text,
			    n->textlen, vk->pk) == 0;
		if (!ok)
			return (2);
	}
	if (found && ts != NULL)
		*ts = t;
	return (found ? 0 : 1);
}

/* ---------------------------------------------------------------------- */
/* Signing. */

int
note_signer_generate(const char *name, char **skey)
{
	uint8_t pk[32], sk[crypto_sign_SECRETKEYBYTES], key[33];
	char b64[64];
	size_t len;
	int n;

	*skey = NULL;
	if (!note_name_valid(name, strlen(name))) {
		warn0("invalid key name \"%s\"", name);
		return (-1);
	}
	crypto_sign_keypair(pk, sk);
	key[0] = NOTE_ALG_ED25519;
	memcpy(key + 1, sk, 32);		/* the seed */
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
	    sodium_base64_VARIANT_ORIGINAL);
	len = strlen(SKEY_PREFIX) + strlen(name) + 1 + 8 + 1 + strlen(b64) +
	    1;
	if ((*skey = malloc(len)) == NULL) {
		warnp("note_signer_generate");
		n = -1;
	} else {
		n = snprintf(*skey, len, SKEY_PREFIX "%s+%08" PRIx32 "+%s",
		    name, note_key_id(name, NOTE_ALG_ED25519, pk), b64);
	}
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
	return (n < 0 ? -1 : 0);
}

struct note_signer *
note_signer_new(const char *s, size_t len)
{
	struct note_signer *sg;
	uint8_t key[33];
	const char *why;
	uint32_t id;
	size_t pl = strlen(SKEY_PREFIX);

	if (len < pl || memcmp(s, SKEY_PREFIX, pl) != 0) {
		warn0("signer key: does not start with " SKEY_PREFIX);
		return (NULL);
	}
	if ((sg = sodium_malloc(sizeof(*sg))) == NULL) {
		warnp("note_signer_new");
		return (NULL);
	}
	memset(sg, 0, sizeof(*sg));
	if (split_key(s + pl, len - pl, sg->name, &id, key, &why)) {
		warn0("signer key: %s", why);
		goto err;
	}
	if (key[0] != NOTE_ALG_ED25519) {
		warn0("signer key: not an Ed25519 key");
		goto err;
	}
	crypto_sign_seed_keypair(sg->pk, sg->sk, key + 1);
	sodium_memzero(key, sizeof(key));
	if (note_key_id(sg->name, NOTE_ALG_ED25519, sg->pk) != id) {
		warn0("signer key: key id does not match the key");
		goto err;
	}
	return (sg);
err:
	sodium_memzero(key, sizeof(key));
	sodium_free(sg);
	return (NULL);
}

void
note_signer_free(struct note_signer *sg)
{

	if (sg != NULL)
		sodium_free(sg);	/* wipes */
}

void
note_signer_vkey(const struct note_signer *sg, uint8_t alg,
    struct note_vkey *vk)
{

	memset(vk, 0, sizeof(*vk));
	memcpy(vk->name, sg->name, sizeof(vk->name));
	vk->alg = alg;
	memcpy(vk->pk, sg->pk, 32);
	vk->id = note_key_id(vk->name, alg, vk->pk);
}

/* Append "— name base64(id || sig)\n". */
static int
sig_line(const char *name, uint32_t id, const uint8_t *sig, size_t siglen,
    struct buf *out)
{
	uint8_t raw[4 + NOTE_SIG_MAX];

	raw[0] = (uint8_t)(id >> 24);
	raw[1] = (uint8_t)(id >> 16);
	raw[2] = (uint8_t)(id >> 8);
	raw[3] = (uint8_t)id;
	memcpy(raw + 4, sig, siglen);
	if (buf_append(out, EMDASH " ", 4) ||
	    buf_append(out, name, strlen(name)) ||
	    buf_append(out, " ", 1) ||
	    tlog_b64_encode(raw, 4 + siglen, out) ||
	    buf_append(out, "\n", 1))
		return (-1);
	return (0);
}

static int
text_ok(const uint8_t *text, size_t len)
{

	if (len == 0 || text[len - 1] != '\n' || len > NOTE_MAX_LEN ||
	    !text_valid(text, len)) {
		warn0("note text is not signable");
		return (0);
	}
	return (1);
}

int
note_sign(const struct note_signer *sg, const uint8_t *text, size_t len,
    struct buf *out)
{
	uint8_t sig[crypto_sign_BYTES];

	if (!text_ok(text, len))
		return (-1);
	crypto_sign_detached(sig, NULL, text, len, sg->sk);
	if (buf_append(out, text, len) || buf_append(out, "\n", 1) ||
	    sig_line(sg->name, note_key_id(sg->name, NOTE_ALG_ED25519,
	    sg->pk), sig, sizeof(sig), out))
		return (-1);
	return (0);
}

int
note_cosign_line(const struct note_signer *sg, const uint8_t *text,
    size_t len, uint64_t ts, struct buf *out)
{
	uint8_t sig[8 + crypto_sign_BYTES];
	struct buf m = BUF_INIT;
	char hdr[64];
	int i, rc = -1;

	if (!text_ok(text, len) || ts > INT64_MAX)
		return (-1);
	snprintf(hdr, sizeof(hdr), COSIG_HDR "%" PRIu64 "\n", ts);
	if (buf_append(&m, hdr, strlen(hdr)) || buf_append(&m, text, len))
		goto done;
	for (i = 0; i < 8; i++)
		sig[i] = (uint8_t)(ts >> (56 - 8 * i));
	crypto_sign_detached(sig + 8, NULL, m.data, m.len, sg->sk);
	rc = sig_line(sg->name, note_key_id(sg->name, NOTE_ALG_COSIG, sg->pk),
	    sig, sizeof(sig), out);
done:
	buf_release(&m);
	return (rc);
}

/* ---------------------------------------------------------------------- */
/* Checkpoints. */

int
checkpoint_parse(const uint8_t *text, size_t len, struct checkpoint *cp,
    const char **why)
{
	const uint8_t *line[3], *p, *nl, *e = text + len;
	size_t ll[3], k, i, n;
	uint64_t v;

	memset(cp, 0, sizeof(*cp));
	*why = "not a checkpoint (origin, size and root hash lines)";
	if (len == 0 || text[len - 1] != '\n')
		return (1);
	for (p = text, k = 0; p < e; p = nl + 1, k++) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == p) {
			*why = "empty line in the checkpoint";
			return (1);
		}
		if (k < 3) {
			line[k] = p;
			ll[k] = (size_t)(nl - p);
		}
	}
	if (k < 3)
		return (1);
	if (ll[0] > NOTE_NAME_MAX || !text_valid(line[0], ll[0])) {
		*why = "invalid origin line";
		return (1);
	}
	memcpy(cp->origin, line[0], ll[0]);
	cp->origin[ll[0]] = '\0';
	*why = "invalid tree size";
	if (ll[1] > 20 || (ll[1] > 1 && line[1][0] == '0'))
		return (1);
	for (i = 0, v = 0; i < ll[1]; i++) {
		if (line[1][i] < '0' || line[1][i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(line[1][i] - '0')) / 10)
			return (1);
		v = v * 10 + (uint64_t)(line[1][i] - '0');
	}
	cp->size = v;
	if (tlog_b64_decode((const char *)line[2], ll[2], cp->root, 32, &n) ||
	    n != 32) {
		*why = "root hash is not base64 of 32 bytes";
		return (1);
	}
	return (0);
}

int
checkpoint_format(const struct checkpoint *cp, struct buf *out)
{
	char num[24];

	snprintf(num, sizeof(num), "\n%" PRIu64 "\n", cp->size);
	if (buf_append(out, cp->origin, strlen(cp->origin)) ||
	    buf_append(out, num, strlen(num)) ||
	    tlog_b64_encode(cp->root, 32, out) || buf_append(out, "\n", 1))
		return (-1);
	return (0);
}

int
checkpoint_open(const uint8_t *msg, size_t len, const struct tlog_policy *pol,
    struct checkpoint *cp, char *err, size_t errsize)
{
	struct note *n;
	const char *why;
	size_t i, good = 0;
	int rc = 1;

	if ((n = note_parse(msg, len, &why)) == NULL) {
		snprintf(err, errsize, "the checkpoint is not a signed note "
		    "(%s)", why);
		return (strcmp(why, "out of memory") == 0 ? -1 : 1);
	}
	switch (note_verify(n, &pol->log, NULL)) {
	case 1:
		snprintf(err, errsize, "the checkpoint is not signed by the "
		    "log's key %s+%08" PRIx32, pol->log.name, pol->log.id);
		goto done;
	case 2:
		snprintf(err, errsize, "the log's signature on the checkpoint "
		    "does not verify (key %s)", pol->log.name);
		goto done;
	}
	if (checkpoint_parse(n->text, n->textlen, cp, &why)) {
		snprintf(err, errsize, "the signed checkpoint is malformed: %s",
		    why);
		goto done;
	}
	if (strcmp(cp->origin, pol->log.name) != 0) {
		snprintf(err, errsize, "the checkpoint is of log \"%s\", not "
		    "\"%s\"", cp->origin, pol->log.name);
		goto done;
	}
	for (i = 0; i < pol->nwitnesses; i++) {
		switch (note_verify(n, &pol->witness[i], NULL)) {
		case 0:
			good++;
			break;
		case 2:
			snprintf(err, errsize, "the cosignature of witness %s "
			    "does not verify", pol->witness[i].name);
			goto done;
		}
	}
	if (good < pol->quorum) {
		snprintf(err, errsize, "the checkpoint has %zu of the %zu "
		    "witness cosignatures required", good, pol->quorum);
		goto done;
	}
	rc = 0;
done:
	free(n);
	return (rc);
}
