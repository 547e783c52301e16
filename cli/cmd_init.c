#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/warnp.h"

#include "cli.h"

int
cmd_init(int argc, char **argv)
{
	struct kdf_params kdf;
	struct backend *be;
	struct repo *r;
	char *pw, idhex[65];
	size_t pwlen;
	uint64_t sz;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		printf("usage: coffer init\n\nCreate a new repository at -r "
		    "REPO with one passcode key slot.\n");
		return (EXIT_OK);
	}
	if (argc > 1) {
		usage_error("init", "unexpected argument \"%s\"", argv[1]);
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
	repo_close(r);
	return (EXIT_OK);
}
