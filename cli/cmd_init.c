#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/client.h"
#include "util/warnp.h"

#include "cli.h"

/* Pin the log, then check that the first key slot's creation is in it. */
static int
init_log(struct repo *r, const struct tlog_policy *pol)
{
	struct session s;
	uint8_t slot[32];
	char msg[4096];
	int rc;

	memset(&s, 0, sizeof(s));
	s.r = r;
	if ((rc = cli_log_pin(&s, pol)) != EXIT_OK ||
	    (rc = cli_tlog_begin(&s)) != EXIT_OK || s.tl == NULL ||
	    hex_decode(r->keyslot, slot, 32) != 0) {
		cli_tlog_end(&s);
		return (rc != EXIT_OK ? rc : EXIT_ERR);
	}
	rc = tlog_client_confirm(cli_tlog_client(&s), TLOG_EV_KEY_ADD, slot,
	    0, 15, msg, sizeof(msg));
	cli_tlog_end(&s);
	if (rc == TLOG_OK)
		return (EXIT_OK);
	if (rc > 0)
		warn0("TRANSPARENCY LOG ALERT: %s", msg);
	return (rc > 0 ? EXIT_LOG : EXIT_ERR);
}

int
cmd_init(int argc, char **argv)
{
	struct tlog_policy pol;
	char *wit[TLOG_MAX_WITNESSES + 1];
	const char *vkey = NULL;
	long quorum = -1;
	size_t nw = 0;
	int i;
	struct kdf_params kdf;
	struct backend *be;
	struct repo *r;
	char *pw, idhex[65];
	size_t pwlen;
	uint64_t sz;
	int rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: coffer init [--log-key VKEY "
			    "[--witness VKEY]... [--quorum K]]\n\nCreate a "
			    "new repository at -r REPO with one passcode key "
			    "slot;\nwith --log-key, pin the transparency log "
			    "of its server (coffer log pin).\n");
			return (EXIT_OK);
		} else if (strcmp(argv[i], "--log-key") == 0 && i + 1 < argc)
			vkey = argv[++i];
		else if (strcmp(argv[i], "--witness") == 0 && i + 1 < argc &&
		    nw <= TLOG_MAX_WITNESSES)
			wit[nw++] = argv[++i];
		else if (strcmp(argv[i], "--quorum") == 0 && i + 1 < argc)
			quorum = strtol(argv[++i], NULL, 10);
		else {
			usage_error("init", "unexpected argument \"%s\"",
			    argv[i]);
			return (EXIT_ERR);
		}
	}
	if ((vkey == NULL && nw > 0) || (vkey != NULL &&
	    cli_log_policy(&pol, vkey, wit, nw, quorum))) {
		if (vkey == NULL)
			usage_error("init", "--witness goes with --log-key");
		return (EXIT_ERR);
	}
	if (G.repo == NULL || G.repo[0] == '\0') {
		warn0("no repository given: use -r/--repo or set "
		    "COFFER_REPOSITORY");
		return (EXIT_ERR);
	}
	if ((be = backend_open(G.repo)) == NULL)
		return (EXIT_ERR);
	if (backend_stat(be, OBJ_CONFIG, "config", &sz) == 0) {
		warn0("repository already exists at %s", be->location);
		backend_free(be);
		return (EXIT_ERR);
	}
	if (passwd_get(&pw, &pwlen, 1) || kdf_params_default(&kdf)) {
		backend_free(be);
		return (EXIT_ERR);
	}
	rc = repo_init(be, pw, pwlen, &kdf, &r);
	passwd_free(pw);
	if (rc) {
		backend_free(be);
		return (EXIT_ERR);
	}
	hex_encode(r->id, 32, idhex);
	if (!G.quiet)
		printf("created coffer repository %.8s at %s\n\n"
		    "Keep the passcode safe: without it (or another key slot) "
		    "the data cannot be\nrecovered by anyone.\n", idhex,
		    r->be->location);
	rc = EXIT_OK;
	if (vkey != NULL)
		rc = init_log(r, &pol);
	repo_close(r);
	return (rc);
}
