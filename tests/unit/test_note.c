/*
 * C2SP signed notes, cosignatures and checkpoints (lib/tlog/note.c).
 *
 * Known answers: the signed-note spec's example (example.com/foo), the
 * vectors of golang.org/x/mod/sumdb/note (PeterNeumann's signer key, whose
 * deterministic Ed25519 signature of the test text must come out byte for
 * byte; EnochRoot's verifier key and signature; the malformed notes it
 * refuses), a published type-0x04 witness key (remora.n621.de) and a
 * published cosignature's key id and timestamp (transparency-dev/formats),
 * and the tlog-checkpoint spec's example body.  Cosignatures are checked
 * against a message built here with libsodium alone.  Then the refusals:
 * every truncation and every byte change of a verifier or signer key,
 * bad signatures, malformed checkpoints, and policies not met.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "tlog/note.h"
#include "util/buf.h"
#include "util/warnp.h"

#include "test.h"

#define EM	"\xe2\x80\x94"

static const char peter_vkey[] =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char peter_skey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUv"
    "xdXHKDFz";
static const char enoch_vkey[] =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
static const char go_text[] =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
static const char peter_sig[] =
    EM " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN"
    "1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
static const char enoch_sig[] =
    EM " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF"
    "1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

static struct note *
parse_str(const char *s, const char **why)
{

	return (note_parse((const uint8_t *)s, strlen(s), why));
}

static void
vkey(const char *s, struct note_vkey *vk)
{
	const char *why;

	CHECK(note_vkey_parse(s, strlen(s), vk, &why) == 0);
}

static void
test_spec_example(void)
{
	static const char msg[] = "This is an example message.\n\n"
	    EM " example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONn"
	    "cAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
	struct note_vkey vk;
	struct note *n;
	const char *why;
	char back[128];

	vkey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaAN"
	    "YcrnKv3U2k", &vk);
	CHECK(vk.id == 0x530d903a && vk.alg == NOTE_ALG_ED25519);
	CHECK(strcmp(vk.name, "example.com/foo") == 0);
	CHECK(note_vkey_format(&vk, back, sizeof(back)) == 0);
	CHECK(strcmp(back, "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4Z"
	    "CbV54Id2LKaANYcrnKv3U2k") == 0);
	n = parse_str(msg, &why);
	CHECK(n != NULL);
	if (n == NULL)
		return;
	CHECK(n->textlen == strlen("This is an example message.\n"));
	CHECK(n->nsigs == 1);
	CHECK(note_verify(n, &vk, NULL) == 0);
	free(n);
}

static void
test_go_vectors(void)
{
	struct note_signer *s;
	struct note_vkey pv, ev, sv;
	struct buf out = BUF_INIT;
	struct note *n;
	const char *why;
	char msg[1024];

	vkey(peter_vkey, &pv);
	vkey(enoch_vkey, &ev);
	s = note_signer_new(peter_skey, strlen(peter_skey));
	CHECK(s != NULL);
	if (s == NULL)
		return;
	note_signer_vkey(s, NOTE_ALG_ED25519, &sv);
	CHECK(strcmp(sv.name, pv.name) == 0 && sv.id == pv.id &&
	    sv.alg == pv.alg && memcmp(sv.pk, pv.pk, 32) == 0);
	/* Ed25519 is deterministic: the same bytes as Go's note.Sign. */
	CHECK(note_sign(s, (const uint8_t *)go_text, strlen(go_text), &out)
	    == 0);
	snprintf(msg, sizeof(msg), "%s\n%s", go_text, peter_sig);
	CHECK(out.len == strlen(msg) && memcmp(out.data, msg, out.len) == 0);

	/* Both signatures; each key verifies its own, ignores the other. */
	snprintf(msg, sizeof(msg), "%s\n%s%s", go_text, peter_sig, enoch_sig);
	n = parse_str(msg, &why);
	CHECK(n != NULL && n->nsigs == 2);
	if (n != NULL) {
		CHECK(n->textlen == strlen(go_text));
		CHECK(note_verify(n, &pv, NULL) == 0);
		CHECK(note_verify(n, &ev, NULL) == 0);
		free(n);
	}
	/* A corrupt signature of a known key. */
	snprintf(msg, sizeof(msg), "%s\n%.60sABCD%s", go_text, peter_sig,
	    peter_sig + 60);
	n = parse_str(msg, &why);
	CHECK(n != NULL);
	if (n != NULL) {
		CHECK(note_verify(n, &pv, NULL) == 2);
		CHECK(note_verify(n, &ev, NULL) == 1);
		free(n);
	}
	/* The text changed by one byte. */
	snprintf(msg, sizeof(msg), "%s\n%s", go_text, peter_sig);
	msg[3] ^= 1;
	n = parse_str(msg, &why);
	CHECK(n != NULL && note_verify(n, &pv, NULL) == 2);
	free(n);
	buf_release(&out);
	note_signer_free(s);
}

static void
test_malformed_notes(void)
{
	char bad[8][512];
	const char *why;
	size_t i;
	struct note *n;
	char many[200 * 128];

	snprintf(bad[0], 512, "%s", go_text);
	snprintf(bad[1], 512, "%s\n", go_text);
	snprintf(bad[2], 512, "%s\n%.*s", go_text,
	    (int)strlen(peter_sig) - 1, peter_sig);
	snprintf(bad[3], 512, "\x01%s\n%s", go_text, peter_sig);
	snprintf(bad[4], 512, "\xff%s\n%s", go_text, peter_sig);
	snprintf(bad[5], 512, "%s\n" EM " Bad Name x08go/ZJkuBS9UG/SffcvIAQx"
	    "VBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnA"
	    "M=\n", go_text);
	snprintf(bad[6], 512, "%s\n%sUnexpected line.\n", go_text, peter_sig);
	/* Non-canonical base64 (stray bits before the padding). */
	snprintf(bad[7], 512, "%s\n%.*sN=\n", go_text,
	    (int)strlen(peter_sig) - 3, peter_sig);
	for (i = 0; i < 8; i++) {
		n = parse_str(bad[i], &why);
		if (n != NULL)
			fprintf(stderr, "  accepted bad note %zu\n", i);
		CHECK(n == NULL);
		free(n);
	}
	/* Over a hundred signatures. */
	snprintf(many, sizeof(many), "%s\n", go_text);
	for (i = 0; i < 101; i++)
		strcat(many, peter_sig);
	CHECK(parse_str(many, &why) == NULL);
	CHECK(strcmp(why, "too many signatures") == 0);
}

static void
test_key_mangling(void)
{
	struct note_vkey vk;
	const char *why;
	char b[256];
	size_t len = strlen(peter_vkey), i, j;
	int accepted = 0;

	/* Every proper substring, every byte changed: refused. */
	for (i = 0; i <= len; i++)
		for (j = i + 1; j <= len; j++)
			if ((i != 0 || j != len) &&
			    note_vkey_parse(peter_vkey + i, j - i, &vk, &why)
			    == 0)
				accepted++;
	memcpy(b, peter_vkey, len + 1);
	for (i = 0; i < len; i++) {
		b[i]++;
		accepted += note_vkey_parse(b, len, &vk, &why) == 0;
		b[i]--;
	}
	CHECK(accepted == 0);
	/* Go's: wrong key length with its key hash, unknown algorithm. */
	CHECK(note_vkey_parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBf"
	    "sVkmqq/LDE4izWy10TWBADKEY==", 74, &vk, &why) == 1);
	CHECK(note_vkey_parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBf"
	    "sVkmqq/LDE4izWy10TW", 66, &vk, &why) == 1);
	/* Upper-case key id. */
	CHECK(note_vkey_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBf"
	    "sVkmqq/LDE4izWy10TW", 66, &vk, &why) == 1);

	/* The signer key likewise. */
	len = strlen(peter_skey);
	warnp_quiet(1);
	for (i = 0; i <= len; i++)
		for (j = i + 1; j <= len; j++) {
			struct note_signer *s;

			if (i == 0 && j == len)
				continue;
			if ((s = note_signer_new(peter_skey + i, j - i)) !=
			    NULL) {
				accepted++;
				note_signer_free(s);
			}
		}
	memcpy(b, peter_skey, len + 1);
	for (i = 0; i < len; i++) {
		struct note_signer *s;

		b[i]++;
		if ((s = note_signer_new(b, len)) != NULL) {
			accepted++;
			note_signer_free(s);
		}
		b[i]--;
	}
	warnp_quiet(0);
	CHECK(accepted == 0);
}

static void
test_names(void)
{

	CHECK(note_name_valid("example.com/log", 15));
	CHECK(note_name_valid("caf\xc3\xa9", 5));
	CHECK(!note_name_valid("", 0));
	CHECK(!note_name_valid("a+b", 3));
	CHECK(!note_name_valid("a b", 3));
	CHECK(!note_name_valid("a\xc2\xa0" "b", 4));	/* U+00A0 */
	CHECK(!note_name_valid("a\xe3\x80\x80" "b", 5));	/* U+3000 */
	CHECK(!note_name_valid("a\xc0\xaf", 3));		/* overlong */
	CHECK(!note_name_valid("a\xed\xa0\x80", 4));	/* surrogate */
}

static void
test_cosignature(void)
{
	static const char text[] = "example.com/log\n5\n"
	    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
	struct note_signer *w;
	struct note_vkey wv, ov, rv;
	struct buf out = BUF_INIT, m = BUF_INIT;
	struct note *n;
	const char *why;
	char *skey = NULL;
	uint64_t ts = 0;
	size_t i;

	/* A published 0x04 witness key: its key id follows the rule. */
	vkey("remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7o"
	    "nlmtw2", &rv);
	CHECK(rv.alg == NOTE_ALG_COSIG);
	CHECK(note_key_id("remora.n621.de", NOTE_ALG_COSIG, rv.pk) ==
	    0xda77ade7);
	/* A published cosignature: key id, then the big-endian timestamp. */
	n = parse_str("x\n\n" EM " w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7q"
	    "q/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="
	    "\n", &why);
	CHECK(n != NULL);
	if (n != NULL) {
		CHECK(n->sig[0].id == 0x646846b9 && n->sig[0].siglen == 72);
		for (i = 0; i < 8; i++)
			ts = (ts << 8) | n->sig[0].sig[i];
		CHECK(ts == 1727964367);
		free(n);
	}

	CHECK(note_signer_generate("witness.example/w1", &skey) == 0);
	w = note_signer_new(skey, strlen(skey));
	CHECK(w != NULL);
	if (w == NULL)
		return;
	note_signer_vkey(w, NOTE_ALG_COSIG, &wv);
	note_signer_vkey(w, NOTE_ALG_ED25519, &ov);
	CHECK(wv.id != ov.id);
	CHECK(buf_append(&out, text, strlen(text)) == 0 &&
	    buf_append(&out, "\n", 1) == 0 &&
	    note_cosign_line(w, (const uint8_t *)text, strlen(text),
	    1679315147, &out) == 0);
	n = note_parse(out.data, out.len, &why);
	CHECK(n != NULL);
	if (n != NULL) {
		ts = 0;
		CHECK(note_verify(n, &wv, &ts) == 0 && ts == 1679315147);
		/* The same key as a plain Ed25519 key: another key id. */
		CHECK(note_verify(n, &ov, NULL) == 1);
		/* Independently: the message the spec defines. */
		buf_append(&m, "cosignature/v1\ntime 1679315147\n", 31);
		buf_append(&m, text, strlen(text));
		CHECK(n->sig[0].siglen == 72);
		CHECK(crypto_sign_verify_detached(n->sig[0].sig + 8, m.data,
		    m.len, wv.pk) == 0);
		/* Another timestamp in the signature: refused. */
		n->sig[0].sig[7] ^= 1;
		CHECK(note_verify(n, &wv, NULL) == 2);
		free(n);
	}
	sodium_memzero(skey, strlen(skey));
	free(skey);
	note_signer_free(w);
	buf_release(&out);
	buf_release(&m);
}

static void
test_checkpoint_parse(void)
{
	static const char spec[] = "example.com/behind-the-sofa\n20852163\n"
	    "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
#define R	"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
	static const char *bad[] = {
		"example.com/x\n020852163\n" R,
		"example.com/x\n-1\n" R,
		"example.com/x\n18446744073709551616\n" R,
		"example.com/x\n1 \n" R,
		/* 31 bytes; stray bits before '='; empty line; no '\n'. */
		"x\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2=\n",
		"x\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=\n",
		"example.com/x\n1\n" R "\n",
		"x\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
		"example.com/x\n1\n",
		"\n1\n" R,
		"x\n\n1\n" R,
		/* A byte outside the alphabet (libsodium lets 0x9e pass). */
		"x\n1\nCsUYapGGPo4dkMgIAUqo\x9e/Xajj7h2fB2MPA3j2jxq2I=\n",
		"x\n1\nCsUYapGGPo4dkMgIAUqo-/Xajj7h2fB2MPA3j2jxq2I=\n",
	};
#undef R
	struct checkpoint cp;
	struct buf b = BUF_INIT;
	const char *why, *ext;
	uint8_t root[32];
	size_t i, n;

	CHECK(checkpoint_parse((const uint8_t *)spec, strlen(spec), &cp,
	    &why) == 0);
	CHECK(strcmp(cp.origin, "example.com/behind-the-sofa") == 0);
	CHECK(cp.size == 20852163);
	CHECK(tlog_b64_decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=",
	    44, root, 32, &n) == 0 && n == 32);
	CHECK(memcmp(cp.root, root, 32) == 0);
	CHECK(checkpoint_format(&cp, &b) == 0);
	CHECK(b.len == strlen(spec) && memcmp(b.data, spec, b.len) == 0);
	buf_release(&b);
	ext = "o\n0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next 1\n";
	CHECK(checkpoint_parse((const uint8_t *)ext, strlen(ext), &cp, &why)
	    == 0 && cp.size == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (checkpoint_parse((const uint8_t *)bad[i], strlen(bad[i]),
		    &cp, &why) != 1) {
			fprintf(stderr, "  accepted bad checkpoint %zu\n", i);
			CHECK(0);
		}
	}
}

/* A log checkpoint signed by s, cosigned by each of ws at time 1000 + i. */
static void
signed_cp(struct note_signer *s, struct note_signer **ws, size_t nw,
    const char *text, struct buf *out)
{
	size_t i;

	out->len = 0;
	note_sign(s, (const uint8_t *)text, strlen(text), out);
	for (i = 0; i < nw; i++)
		note_cosign_line(ws[i], (const uint8_t *)text, strlen(text),
		    1000 + i, out);
}

static void
test_checkpoint_open(void)
{
	char *k;
	struct note_signer *log, *other, *w[3];
	struct tlog_policy pol;
	struct checkpoint cp;
	struct buf b = BUF_INIT, t = BUF_INIT;
	char err[256];
	int i;

	note_signer_generate("coffer.example/log", &k);
	log = note_signer_new(k, strlen(k));
	free(k);
	note_signer_generate("coffer.example/log", &k);
	other = note_signer_new(k, strlen(k));
	free(k);
	for (i = 0; i < 3; i++) {
		char name[32];

		snprintf(name, sizeof(name), "w%d.example", i);
		note_signer_generate(name, &k);
		w[i] = note_signer_new(k, strlen(k));
		free(k);
	}
	memset(&pol, 0, sizeof(pol));
	note_signer_vkey(log, NOTE_ALG_ED25519, &pol.log);
	note_signer_vkey(w[0], NOTE_ALG_COSIG, &pol.witness[0]);
	note_signer_vkey(w[1], NOTE_ALG_COSIG, &pol.witness[1]);
	pol.nwitnesses = 2;
	pol.quorum = 2;
	cp.size = 7;
	strcpy(cp.origin, "coffer.example/log");
	memset(cp.root, 0xab, 32);
	checkpoint_format(&cp, &t);
	buf_append(&t, "", 1);
	t.len--;

	/* Both witnesses and an unknown one: accepted. */
	signed_cp(log, w, 3, (const char *)t.data, &b);
	memset(&cp, 0, sizeof(cp));
	CHECK(checkpoint_open(b.data, b.len, &pol, &cp, err, sizeof(err)) ==
	    0);
	CHECK(cp.size == 7 && cp.root[31] == 0xab);
	/* One witness short. */
	signed_cp(log, w, 1, (const char *)t.data, &b);
	CHECK(checkpoint_open(b.data, b.len, &pol, &cp, err, sizeof(err)) ==
	    1);
	CHECK(strstr(err, "1 of the 2 witness cosignatures") != NULL);
	pol.quorum = 1;
	CHECK(checkpoint_open(b.data, b.len, &pol, &cp, err, sizeof(err)) ==
	    0);
	/* A bad cosignature of a known witness spoils the checkpoint. */
	b.data[b.len - 10] ^= 1;
	CHECK(checkpoint_open(b.data, b.len, &pol, &cp, err, sizeof(err)) ==
	    1);
	/* Signed by another key of the same name. */
	signed_cp(other, w, 2, (const char *)t.data, &b);
	CHECK(checkpoint_open(b.data, b.len, &pol, &cp, err, sizeof(err)) ==
	    1);
	CHECK(strstr(err, "not signed by the log's key") != NULL);
	/* Another origin, signed by the log's key. */
	t.len = 0;
	strcpy(cp.origin, "coffer.example/other");
	checkpoint_format(&cp, &t);
	buf_append(&t, "", 1);
	t.len--;
	signed_cp(log, w, 2, (const char *)t.data, &b);
	CHECK(checkpoint_open(b.data, b.len, &pol, &cp, err, sizeof(err)) ==
	    1);
	CHECK(strstr(err, "is of log \"coffer.example/other\"") != NULL);
	buf_release(&b);
	buf_release(&t);
	note_signer_free(log);
	note_signer_free(other);
	for (i = 0; i < 3; i++)
		note_signer_free(w[i]);
}

int
main(void)
{

	if (crypto_init())
		return (1);
	RUN(test_spec_example);
	RUN(test_go_vectors);
	RUN(test_malformed_notes);
	RUN(test_key_mangling);
	RUN(test_names);
	RUN(test_cosignature);
	RUN(test_checkpoint_parse);
	RUN(test_checkpoint_open);
	return (TEST_EXIT());
}
