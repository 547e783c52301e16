#include <stdio.h>
#include <string.h>

#include "engine/check.h"
#include "util/warnp.h"

#include "cli.h"

int
cmd_check(int argc, char **argv)
{
	struct check_opts o;
	struct session ss;
	uint64_t nerr = 0;
	int i, rc;

	memset(&o, 0, sizeof(o));
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--read-data") == 0)
			o.read_data = 1;
		else if (strcmp(argv[i], "--help") == 0) {
			printf("usage: coffer check [--read-data]\n");
			return (EXIT_OK);
		} else {
			usage_error("check", "unknown argument \"%s\"",
			    argv[i]);
			return (EXIT_ERR);
		}
	}
	o.quiet = G.quiet;
	if ((rc = session_open(&ss, SESSION_LOCK)) != EXIT_OK)
		return (rc);
	rc = check_run(ss.r, &o, &nerr);
	session_close(&ss);
	if (rc != 0) {
		warn0("check could not complete");
		return (EXIT_ERR);
	}
	if (nerr > 0) {
		warn0("%llu errors were found", (unsigned long long)nerr);
		return (EXIT_ERR);
	}
	if (!G.quiet)
		printf("no errors were found\n");
	return (EXIT_OK);
}
