/*
 * coffer mount DIR: browse every snapshot read-only through FUSE, in the
 * foreground, until Ctrl-C (SIGINT), SIGTERM, SIGHUP or an unmount
 * (fusermount3 -u DIR, or umount DIR as root).  See mount_fs.c for the
 * layout and mount_repo.c for how files are read.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/warnp.h"

#include "mount.h"

#define CACHE_MIB_DEFAULT	128

static const struct option longopts[] = {
	{ "allow-other", no_argument, NULL, 'a' },
	{ "no-default-permissions", no_argument, NULL, 'n' },
	{ "owner-root", no_argument, NULL, 'o' },
	{ "cache-size", required_argument, NULL, 'c' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static void
usage(void)
{

	printf("usage: coffer mount [--allow-other] [--no-default-permissions] "
	    "[--owner-root]\n"
	    "                    [--cache-size MIB] DIR\n\n"
	    "Serves every snapshot read-only at DIR, until Ctrl-C or an "
	    "unmount:\n"
	    "  DIR/snapshots/<time>/...       (and DIR/snapshots/latest)\n"
	    "  DIR/ids/<short id>/...\n"
	    "  DIR/hosts/<host>/<time>/...    (and latest)\n"
	    "  DIR/tags/<tag>/<time>/...      (and latest)\n\n"
	    "  --allow-other             let other users in (needs "
	    "user_allow_other\n"
	    "                            in /etc/fuse.conf unless root)\n"
	    "  --no-default-permissions  do not check file modes (with "
	    "--allow-other,\n"
	    "                            anyone may read anything)\n"
	    "  --owner-root              show every file as owned by root\n"
	    "  --cache-size MIB          decrypted blobs kept in memory "
	    "(default %d)\n", CACHE_MIB_DEFAULT);
}

int
cmd_mount(int argc, char **argv)
{
	struct session ss;
	struct mnt m;
	struct stat st;
	sigset_t sigs, old;
	const char *dir;
	char *end;
	unsigned long mib = CACHE_MIB_DEFAULT;
	int c, allow_other = 0, defperm = 1, owner_root = 0, rc;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			allow_other = 1;
			break;
		case 'n':
			defperm = 0;
			break;
		case 'o':
			owner_root = 1;
			break;
		case 'c':
			mib = strtoul(optarg, &end, 10);
			if (*end != '\0' || mib < 8 || mib > 65536) {
				usage_error("mount", "--cache-size: a number "
				    "of MiB from 8 to 65536");
				return (EXIT_ERR);
			}
			break;
		case 'h':
			usage();
			return (EXIT_OK);
		default:
			return (EXIT_ERR);
		}
	}
	if (optind + 1 != argc) {
		usage_error("mount", "expected one DIR");
		return (EXIT_ERR);
	}
	dir = argv[optind];
	if (stat(dir, &st) != 0) {
		warnp("mount: %s", dir);
		return (EXIT_ERR);
	}
	if (!S_ISDIR(st.st_mode)) {
		warn0("mount: %s: not a directory", dir);
		return (EXIT_ERR);
	}
	/*
	 * Threads started from here on (the lock refresher, the prefetcher,
	 * HTTP) must not take SIGINT and friends: those are for the FUSE
	 * loop, which unblocks them (mount_serve).
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, &old);
	if ((rc = session_open(&ss, SESSION_INDEX | SESSION_LOCK)) != EXIT_OK)
		goto out;
	rc = EXIT_ERR;
	if (mnt_init(&m, &ss, (size_t)mib << 20) == 0) {
		m.owner_root = owner_root;
		m.uid = getuid();
		m.gid = getgid();
		if (mount_serve(&m, dir, allow_other, defperm) == 0)
			rc = EXIT_OK;
	}
	mnt_release(&m);
	session_close(&ss);
out:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return (rc);
}
