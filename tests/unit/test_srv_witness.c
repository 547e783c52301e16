/*
 * cofferd's tlog-witness (server/srv_witness.c): the add-checkpoint
 * request parsed and checked, the answers of c2sp.org/tlog-witness (200
 * with a cosignature that verifies, 400, 403, 404, 409 with the known
 * size, 422), and the state that only moves forward, across a restart.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "util/buf.h"

#include "srv_witness.h"

#include "test.h"

#define ORIGIN	"test.example/wlog"

static char dir[] = "/tmp/coffer-test-witness.XXXXXX";
static struct note_signer *logkey, *otherkey;
static char logvk[256];
static struct srv_witness *w;

/* A tree of leaves "seed-0".."seed-(n-1)". */
static struct merkle_mem *
tree(const char *seed, uint64_t n)
{
	struct merkle_mem *t = merkle_mem_new();
	uint8_t h[32];
	char e[64];
	uint64_t i;

	for (i = 0; i < n; i++) {
		snprintf(e, sizeof(e), "%s-%" PRIu64, seed, i);
		merkle_leaf_hash((const uint8_t *)e, strlen(e), h);
		merkle_mem_append(t, h);
	}
	return (t);
}

/*
 * The body "old <old>", the proof from old in t (or none if noproof),
 * the checkpoint of t's first n leaves signed by k with origin.
 */
static void
body(struct buf *b, struct merkle_mem *t, uint64_t old, uint64_t n,
    struct note_signer *k, const char *origin)
{
	struct merkle_src src;
	struct checkpoint cp;
	struct buf text = BUF_INIT;
	uint8_t proof[MERKLE_MAX_PROOF * 32];
	size_t np = 0, i;
	char line[32];

	b->len = 0;
	merkle_mem_src(t, &src);
	snprintf(line, sizeof(line), "old %" PRIu64 "\n", old);
	buf_append(b, line, strlen(line));
	if (old <= n && merkle_consistency_proof(&src, old, n, proof, &np) == 0)
		for (i = 0; i < np; i++) {
			tlog_b64_encode(proof + 32 * i, 32, b);
			buf_append(b, "\n", 1);
		}
	buf_append(b, "\n", 1);
	memset(&cp, 0, sizeof(cp));
	snprintf(cp.origin, sizeof(cp.origin), "%s", origin);
	cp.size = n;
	merkle_root(&src, n, cp.root);
	checkpoint_format(&cp, &text);
	note_sign(k, text.data, text.len, b);
	buf_release(&text);
}

/* Post b; its status, and out's first line in why. */
static unsigned
post(const struct buf *b, struct buf *out, const char **ctype)
{

	return (srv_witness_add(w, b->data, b->len, 1700000000, out, ctype));
}

static int
says(const struct buf *out, const char *s)
{

	return (out->len >= strlen(s) && memcmp(out->data, s, strlen(s)) == 0);
}

static void
setup(void)
{
	char *skey;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(note_signer_generate(ORIGIN, &skey) == 0);
	logkey = note_signer_new(skey, strlen(skey));
	free(skey);
	CHECK(note_signer_generate(ORIGIN, &skey) == 0);
	otherkey = note_signer_new(skey, strlen(skey));
	free(skey);
	{
		struct note_vkey vk;

		note_signer_vkey(logkey, NOTE_ALG_ED25519, &vk);
		CHECK(note_vkey_format(&vk, logvk, sizeof(logvk)) == 0);
	}
	CHECK(srv_witness_open(dir, "witness.example/w", &w) == 0);
	CHECK(srv_witness_trust(w, logvk) == 0);
}

static void
test_cosign_and_forward(void)
{
	struct merkle_mem *t = tree("a", 9);
	struct buf b = BUF_INIT, out = BUF_INIT, full = BUF_INIT;
	struct note_vkey wvk;
	struct note *n;
	const char *ct, *why;
	char vk[256];
	uint64_t ts = 0;

	CHECK(srv_witness_vkey(w, vk, sizeof(vk)) == 0);
	CHECK(note_vkey_parse(vk, strlen(vk), &wvk, &why) == 0);
	CHECK(wvk.alg == NOTE_ALG_COSIG);
	body(&b, t, 0, 3, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 200);
	/* The checkpoint with the line appended: the cosignature verifies. */
	{
		/* The note starts after the body's first empty line. */
		const char *p = strstr((char *)b.data, "\n\n");

		CHECK(p != NULL);
		buf_append(&full, p + 2, b.len - (size_t)(p + 2 -
		    (char *)b.data));
		buf_append(&full, out.data, out.len);
	}
	CHECK((n = note_parse(full.data, full.len, &why)) != NULL);
	if (n != NULL) {
		CHECK(note_verify(n, &wvk, &ts) == 0);
		CHECK(ts == 1700000000);
		free(n);
	}
	/* The same again from 0: 409 with the size known. */
	CHECK(post(&b, &out, &ct) == 409);
	CHECK(out.len == 2 && memcmp(out.data, "3\n", 2) == 0);
	CHECK(strcmp(ct, "text/x.tlog.size") == 0);
	/* 3 to 3 (no proof): cosigned again; 3 to 7: cosigned. */
	body(&b, t, 3, 3, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 200);
	body(&b, t, 3, 7, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 200);
	/* Back to 5: old larger than the checkpoint, or not the known size. */
	body(&b, t, 7, 5, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 400);
	CHECK(says(&out, "old size is larger"));
	body(&b, t, 0, 5, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 409);
	CHECK(says(&out, "7\n"));
	merkle_mem_free(t);
	buf_release(&b);
	buf_release(&out);
	buf_release(&full);
}

static void
test_fork_refused(void)
{
	struct merkle_mem *f = tree("fork", 9);
	struct buf b = BUF_INIT, out = BUF_INIT;
	const char *ct;

	/* Another tree of size 7, signed by the log: never cosigned. */
	body(&b, f, 7, 7, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 409);
	CHECK(says(&out, "a different tree of the size already cosigned"));
	CHECK(strcmp(ct, "text/x.tlog.size") != 0);
	/* A larger tree that does not extend the one cosigned. */
	body(&b, f, 7, 9, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 422);
	CHECK(says(&out, "the consistency proof does not verify"));
	merkle_mem_free(f);
	buf_release(&b);
	buf_release(&out);
}

static void
test_bad_requests(void)
{
	static const char *bad[] = {
		"", "old\n\n", "old x\n\n", "old 07\n\n", "old 7",
		"old 7\nnot-base64\n\n", "old 7\nAAAA\n\n",
		"old 99999999999999999999\n\n", "new 7\n\n",
	};
	struct merkle_mem *t = tree("a", 9);
	struct buf b = BUF_INIT, out = BUF_INIT;
	const char *ct;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b.len = 0;
		buf_append(&b, bad[i], strlen(bad[i]));
		CHECK(post(&b, &out, &ct) == 400);
	}
	/* 64 proof lines. */
	b.len = 0;
	buf_append(&b, "old 7\n", 6);
	for (i = 0; i < 64; i++)
		buf_append(&b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", 45);
	buf_append(&b, "\n", 1);
	CHECK(post(&b, &out, &ct) == 400);
	CHECK(says(&out, "more than 63"));
	/* Not a note; an unknown origin; a signature of another key. */
	b.len = 0;
	buf_append(&b, "old 7\n\nhello\n", 13);
	CHECK(post(&b, &out, &ct) == 400);
	body(&b, t, 7, 9, logkey, "other.example/log");
	CHECK(post(&b, &out, &ct) == 404);
	body(&b, t, 7, 9, otherkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 403);
	CHECK(says(&out, "the checkpoint has no valid signature"));
	/* A trusted key must be a log key. */
	CHECK(srv_witness_trust(w, "not a key") == -1);
	merkle_mem_free(t);
	buf_release(&b);
	buf_release(&out);
}

static void
test_restart_keeps_state(void)
{
	struct merkle_mem *t = tree("a", 9);
	struct buf b = BUF_INIT, out = BUF_INIT;
	const char *ct;
	char vk1[256], vk2[256];

	CHECK(srv_witness_vkey(w, vk1, sizeof(vk1)) == 0);
	srv_witness_close(w);
	CHECK(srv_witness_open(dir, NULL, &w) == 0);
	CHECK(srv_witness_trust(w, logvk) == 0);
	CHECK(srv_witness_vkey(w, vk2, sizeof(vk2)) == 0);
	CHECK(strcmp(vk1, vk2) == 0);
	body(&b, t, 0, 9, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 409);
	CHECK(says(&out, "7\n"));
	body(&b, t, 7, 9, logkey, ORIGIN);
	CHECK(post(&b, &out, &ct) == 200);
	merkle_mem_free(t);
	buf_release(&b);
	buf_release(&out);
}

int
main(void)
{
	char cmd[128];

	if (crypto_init())
		return (1);
	RUN(setup);
	RUN(test_cosign_and_forward);
	RUN(test_fork_refused);
	RUN(test_bad_requests);
	RUN(test_restart_keeps_state);
	srv_witness_close(w);
	note_signer_free(logkey);
	note_signer_free(otherkey);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return (1);
	return (TEST_EXIT());
}
