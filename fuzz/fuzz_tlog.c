#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/entry.h"
#include "tlog/note.h"
#include "tlog/tiles.h"
#include "util/buf.h"
#include "util/warnp.h"

/*
 * The transparency log's parsers of what a server (or anyone) sends: the
 * first byte picks one, the rest is its input.
 *   0  note_parse: whatever it accepts has a text ending in '\n' inside
 *      the input, and its signature lines verify or not without a crash;
 *   1  checkpoint_parse: checkpoint_format gives back the first three
 *      lines exactly (one encoding per checkpoint);
 *   2  tile_path_parse: tile_path gives back the same path;
 *   3  tlog_entry_decode: tlog_entry_encode gives back the same bytes;
 *   4  tile_bundle_next: entries stay inside the bundle;
 *   5  note_vkey_parse: note_vkey_format gives back the same key;
 *   6  checkpoint_open against a fixed policy (a log key, a witness).
 * A broken property aborts, so that the fuzzer keeps the input.
 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char log_vkey[] =
    "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
static const char wit_vkey[] =
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tlog_policy pol;
	static int init;
	struct checkpoint cp;
	struct tlog_entry e;
	struct note_vkey vk;
	struct note *n;
	struct buf b = BUF_INIT;
	const uint8_t *p, *ent;
	const char *why;
	char *s, out[512], err[256];
	uint8_t enc[TLOG_ENTRY_LEN];
	uint64_t idx;
	unsigned w;
	size_t len, off, elen, i;
	int level;

	if (size < 1)
		return (0);
	warnp_quiet(1);
	if (!init) {
		if (crypto_init() ||
		    note_vkey_parse(log_vkey, strlen(log_vkey), &pol.log,
		    &why) || note_vkey_parse(wit_vkey, strlen(wit_vkey),
		    &pol.witness[0], &why))
			abort();
		pol.nwitnesses = 1;
		init = 1;
	}
	p = data + 1;
	len = size - 1;
	switch (data[0] % 7) {
	case 0:
		if ((n = note_parse(p, len, &why)) == NULL)
			break;
		if (n->textlen == 0 || n->textlen >= len || n->text != p ||
		    n->text[n->textlen - 1] != '\n' || n->nsigs == 0)
			abort();
		for (i = 0; i < n->nsigs; i++)
			if (n->sig[i].siglen > NOTE_SIG_MAX)
				abort();
		(void)note_verify(n, &pol.log, NULL);
		(void)note_verify(n, &pol.witness[0], NULL);
		free(n);
		break;
	case 1:
		if (checkpoint_parse(p, len, &cp, &why) != 0)
			break;
		if (checkpoint_format(&cp, &b) != 0 || b.len > len ||
		    memcmp(b.data, p, b.len) != 0)
			abort();
		break;
	case 2:
		if ((s = malloc(len + 1)) == NULL)
			break;
		memcpy(s, p, len);
		s[len] = '\0';
		if (tile_path_parse(s, &level, &idx, &w) == 0 &&
		    (tile_path(level, idx, w, out, sizeof(out)) != 0 ||
		    strcmp(out, s) != 0))
			abort();
		free(s);
		break;
	case 3:
		if (tlog_entry_decode(p, len, &e) != 0)
			break;
		tlog_entry_encode(&e, enc);
		if (len != sizeof(enc) || memcmp(enc, p, len) != 0)
			abort();
		break;
	case 4:
		off = 0;
		while (tile_bundle_next(p, len, &off, &ent, &elen) == 0)
			if (ent < p || ent + elen > p + len || off > len)
				abort();
		break;
	case 5:
		if (note_vkey_parse((const char *)p, len, &vk, &why) != 0)
			break;
		if (note_vkey_format(&vk, out, sizeof(out)) != 0 ||
		    strlen(out) != len || memcmp(out, p, len) != 0)
			abort();
		break;
	case 6:
		(void)checkpoint_open(p, len, &pol, &cp, err, sizeof(err));
		break;
	}
	buf_release(&b);
	return (0);
}
