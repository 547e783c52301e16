/*
 * coffer dump [--archive tar] [-t FILE] SNAPSHOT PATH: a file's content,
 * or a directory (or "/") as a tar archive, to standard output or FILE,
 * as restic's dump.  See lib/engine/dump.c for the archive format.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/dump.h"
#include "engine/treepath.h"
#include "snapshot/filter.h"
#include "snapshot/snapshot.h"
#include "util/warnp.h"

#include "cli.h"

static const struct option longopts[] = {
	{ "archive", required_argument, NULL, 'a' },
	{ "target", required_argument, NULL, 't' },
	{ "help", no_argument, NULL, 'h' },
	SEL_LONGOPTS,
	{ NULL, 0, NULL, 0 }
};

static void
help(void)
{
	printf("usage: coffer dump [--archive tar] [-t FILE] [--host H] "
	    "[--tag T] [--path P]\n                   SNAPSHOT PATH\n\n"
	    "A file is written as it is; a directory (or /) as a tar "
	    "archive.\n");
}

int
cmd_dump(int argc, char **argv)
{
	struct snapfilter f;
	struct session ss;
	struct snapshot s;
	struct treepath tp;
	const char *target = NULL;
	FILE *out = stdout;
	size_t nskipped = 0;
	int c, r, rc = EXIT_ERR, opened = 0, have_tp = 0, fd;

	memset(&s, 0, sizeof(s));
	snapfilter_init(&f);
	while ((c = getopt_long(argc, argv, "t:", longopts, NULL)) != -1) {
		if (snapsel_filter_opt(&f, c, optarg, &r)) {
			if (r)
				goto done;
			continue;
		}
		switch (c) {
		case 'a':
			if (strcmp(optarg, "tar") != 0) {
				usage_error("dump", "unsupported archive "
				    "format \"%s\" (only tar)", optarg);
				goto done;
			}
			break;
		case 't':
			target = optarg;
			break;
		case 'h':
			help();
			rc = EXIT_OK;
			goto done;
		default:
			help();
			goto done;
		}
	}
	if (argc - optind != 2) {
		usage_error("dump", "give a snapshot and a path");
		goto done;
	}
	if ((rc = session_open(&ss, SESSION_INDEX | SESSION_LOCK)) != EXIT_OK)
		goto done;
	opened = 1;
	rc = EXIT_ERR;
	if (snapsel_one(&ss, &f, argv[optind], &s, NULL) != EXIT_OK ||
	    treepath_find(ss.r, ss.ix, s.tree, argv[optind + 1], &tp) != 0)
		goto done;
	have_tp = 1;
	if (tp.nd != NULL && tp.nd->type != NODE_FILE &&
	    tp.nd->type != NODE_DIR) {
		warn0("%s: not a file or a directory", argv[optind + 1]);
		goto done;
	}
	if (target != NULL) {
		/* A new file only: never through a symlink, never over one. */
		if ((fd = open(target, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0666)) == -1 ||
		    (out = fdopen(fd, "w")) == NULL) {
			warnp("cannot create %s", target);
			if (fd != -1)
				close(fd);
			out = stdout;
			goto done;
		}
	} else if (isatty(fileno(stdout)) && tp.isdir) {
		warn0("will not write a tar archive to a terminal: redirect "
		    "the output or use --target");
		goto done;
	}
	if (tp.isdir)
		r = dump_tar(ss.r, ss.ix, tp.nd, tp.dir, argv[optind + 1], out,
		    &nskipped);
	else
		r = dump_file(ss.r, ss.ix, tp.nd, out);
	if (r == 0 && fflush(out) != 0) {
		warnp("write error");
		r = -1;
	}
	if (r != 0)
		warn0("dump failed: the output is incomplete");
	rc = (r == 0) ? EXIT_OK : EXIT_ERR;
done:
	if (out != stdout && fclose(out) != 0 && rc == EXIT_OK) {
		warnp("cannot write %s", target);
		rc = EXIT_ERR;
	}
	if (rc != EXIT_OK && out != stdout && target != NULL)
		unlink(target);
	if (have_tp)
		treepath_release(&tp);
	snapshot_release(&s);
	if (opened)
		session_close(&ss);
	snapfilter_release(&f);
	return (rc);
}
