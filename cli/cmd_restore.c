#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/progress.h"
#include "engine/restore.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

static const struct option longopts[] = {
	{ "target", required_argument, NULL, 't' },
	{ "include", required_argument, NULL, 'i' },
	{ "exclude", required_argument, NULL, 'e' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
add(char ***v, size_t *n, const char *s)
{
	char **nv;

	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return (-1);
	nv[(*n)++] = (char *)(uintptr_t)s;
	*v = nv;
	return (0);
}

int
cmd_restore(int argc, char **argv)
{
	struct restore_opts o;
	struct restore_stats st;
	struct snapshot s;
	struct session ss;
	char sz[32], hex[65];
	int c, rc = EXIT_ERR, r;

	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "t:i:e:", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			o.target = optarg;
			break;
		case 'i':
			if (add(&o.includes, &o.nincludes, optarg))
				goto done;
			break;
		case 'e':
			if (add(&o.excludes, &o.nexcludes, optarg))
				goto done;
			break;
		case 'h':
			printf("usage: coffer restore SNAPSHOT --target DIR "
			    "[--include P]... [--exclude P]...\n");
			rc = EXIT_OK;
			goto done;
		default:
			goto done;
		}
	}
	if (optind + 1 != argc) {
		usage_error("restore", "expected one SNAPSHOT");
		goto done;
	}
	if (o.target == NULL) {
		usage_error("restore", "--target DIR is required");
		goto done;
	}
	o.owner = (geteuid() == 0);
	if ((rc = session_open(&ss, SESSION_INDEX | SESSION_LOCK)) !=
	    EXIT_OK)
		goto done;
	if (snapshot_find(ss.r, argv[optind], &s) != 0) {
		session_close(&ss);
		rc = EXIT_ERR;
		goto done;
	}
	r = restore_run(ss.r, ss.ix, s.tree, &o, &st);
	hex_encode(s.id, 32, hex);
	progress_size(st.bytes, sz, sizeof(sz));
	if (!G.quiet)
		printf("restored snapshot %.8s to %s: %llu files (%s), %llu "
		    "directories, %llu other\n", hex, o.target,
		    (unsigned long long)st.files, sz,
		    (unsigned long long)st.dirs,
		    (unsigned long long)st.others);
	if (r == 1)
		warn0("restore incomplete: %llu files could not be restored",
		    (unsigned long long)st.errors);
	rc = (r == 0) ? EXIT_OK : EXIT_ERR;
	snapshot_release(&s);
	session_close(&ss);
done:
	free(o.includes);
	free(o.excludes);
	return (rc);
}
