/*
 * tlogwitness: a witness for the test suite (C2SP tlog-cosignature,
 * type 0x04, built on lib/tlog/note.c).
 *
 *   tlogwitness keygen NAME
 *	print a signer key, then its cosignature verifier key (type 0x04)
 *   tlogwitness cosign SKEY TIME < CHECKPOINT
 *	print the signed checkpoint with a cosignature at TIME added
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/crypto.h"
#include "tlog/note.h"
#include "util/buf.h"
#include "util/warnp.h"

int
main(int argc, char **argv)
{
	struct note_signer *s;
	struct note_vkey vk;
	struct note *n;
	struct buf in = BUF_INIT, out = BUF_INIT;
	char *skey, line[1024];
	const char *why;
	int c;

	warnp_setprogname("tlogwitness");
	if (crypto_init())
		return (1);
	if (argc == 3 && strcmp(argv[1], "keygen") == 0) {
		if (note_signer_generate(argv[2], &skey) ||
		    (s = note_signer_new(skey, strlen(skey))) == NULL)
			return (1);
		note_signer_vkey(s, NOTE_ALG_COSIG, &vk);
		note_vkey_format(&vk, line, sizeof(line));
		printf("%s\n%s\n", skey, line);
		note_signer_free(s);
		free(skey);
		return (0);
	}
	if (argc != 4 || strcmp(argv[1], "cosign") != 0) {
		fprintf(stderr, "usage: tlogwitness keygen NAME | "
		    "tlogwitness cosign SKEY TIME < CHECKPOINT\n");
		return (2);
	}
	if ((s = note_signer_new(argv[2], strlen(argv[2]))) == NULL)
		return (1);
	while ((c = getchar()) != EOF)
		if (buf_put_u8(&in, (uint8_t)c))
			return (1);
	if ((n = note_parse(in.data, in.len, &why)) == NULL) {
		warn0("not a signed note: %s", why);
		return (1);
	}
	if (buf_append(&out, in.data, in.len) ||
	    note_cosign_line(s, n->text, n->textlen,
	    strtoull(argv[3], NULL, 10), &out))
		return (1);
	fwrite(out.data, 1, out.len, stdout);
	free(n);
	note_signer_free(s);
	buf_release(&in);
	buf_release(&out);
	return (0);
}
