/*
 * coffer: end-to-end encrypted, deduplicating backups.
 * Global options are taken out of argv wherever they appear; the rest goes
 * to the command's own *_main, found in a table, as in wireguard-tools.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "cli.h"

#define COFFER_VERSION	"0.1.0"

struct gopts G;

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "init", cmd_init, "create a new repository" },
	{ "backup", cmd_backup, "back up files and directories" },
	{ "snapshots", cmd_snapshots, "list snapshots" },
	{ "ls", cmd_ls, "list files in a snapshot" },
	{ "restore", cmd_restore, "restore a snapshot" },
	{ "check", cmd_check, "verify the repository" },
	{ "key", cmd_key, "manage passcode key slots" },
	{ "log", cmd_log, "pin the server's transparency log" },
	{ "audit", cmd_audit, "list and check the account's logged events" },
	{ "forget", cmd_forget, "remove snapshots by id or policy" },
	{ "tag", cmd_tag, "add, remove or set snapshot tags" },
	{ "prune", cmd_prune, "remove data no snapshot needs" },
	{ "copy", cmd_copy, "copy snapshots from another repository" },
	{ "mount", cmd_mount, "browse snapshots through FUSE" },
	{ "diff", cmd_diff, "show what changed between two snapshots" },
	{ "find", cmd_find, "find files and directories in snapshots" },
	{ "stats", cmd_stats, "sizes, deduplication and compression" },
	{ "cat", cmd_cat, "print a repository object, decrypted" },
	{ "list", cmd_list, "list the ids of repository objects" },
	{ "dump", cmd_dump, "write a file, or a directory as tar" },
	{ "unlock", cmd_unlock, "remove stale locks" },
	{ "recovery", cmd_recovery, "passcode recovery through realms" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: coffer [-r REPO] [--password-file F | "
	    "--password-command CMD] [-q] [--json] COMMAND [ARGS]\n\n"
	    "commands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\nThe repository comes from -r/--repo or "
	    "COFFER_REPOSITORY; the passcode from COFFER_PASSWORD,\n"
	    "--password-file, --password-command, or a prompt.\n"
	    "Exit codes: 0 ok, 1 error, 3 backup incomplete, 10 no "
	    "repository, 11 locked,\n12 wrong passcode, 13 the server's "
	    "transparency log shows tampering.\n");
}

void
usage_error(const char *cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn0("%s: %s (see coffer %s --help)", cmd, msg, cmd);
}

/* Take a global option's value: "--opt=v" or "--opt v". */
static int
take(int argc, char **argv, int *i, const char *lng, const char *shrt,
    const char **val)
{
	size_t l = strlen(lng);
	const char *a = argv[*i];

	if (strncmp(a, lng, l) == 0 && a[l] == '=') {
		*val = a + l + 1;
		return (1);
	}
	if (strcmp(a, lng) == 0 || (shrt != NULL && strcmp(a, shrt) == 0)) {
		if (*i + 1 >= argc) {
			warn0("option %s needs a value", a);
			exit(EXIT_ERR);
		}
		*val = argv[++*i];
		return (1);
	}
	return (0);
}

/* Remove global options from argv; returns the new argc. */
static int
globals(int argc, char **argv)
{
	int i, o = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (i < argc)
				argv[o++] = argv[i++];
			break;
		}
		if (take(argc, argv, &i, "--repo", "-r", &G.repo) ||
		    take(argc, argv, &i, "--password-file", NULL, &G.pwfile) ||
		    take(argc, argv, &i, "--password-command", NULL,
		    &G.pwcmd))
			continue;
		if (strcmp(argv[i], "-q") == 0 ||
		    strcmp(argv[i], "--quiet") == 0) {
			G.quiet = 1;
			continue;
		}
		if (strcmp(argv[i], "--json") == 0) {
			G.json = 1;
			continue;
		}
		argv[o++] = argv[i];
	}
	argv[o] = NULL;
	return (o);
}

int
main(int argc, char **argv)
{
	size_t i;

	warnp_setprogname("coffer");
	/* Keys live in this process: no core dumps, no readable files. */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	umask(077);
	/*
	 * Chunks (about 1 MiB, at most 8) are allocated and freed constantly:
	 * keep those up to 4 MiB in the heap rather than a fresh mmap (and
	 * page faults) each.  Larger buffers (packs being built, read
	 * buffers) get their own mappings, which go back to the system when
	 * freed; with a higher threshold they stayed in the heap, and a
	 * backup's peak memory was 30% higher.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 4 * 1024 * 1024);
	argc = globals(argc, argv);
	if (argc < 2 || strcmp(argv[1], "help") == 0 ||
	    strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return (argc < 2 ? EXIT_ERR : EXIT_OK);
	}
	if (strcmp(argv[1], "version") == 0 ||
	    strcmp(argv[1], "--version") == 0) {
		printf("coffer %s\n", COFFER_VERSION);
		return (EXIT_OK);
	}
	if (G.repo == NULL)
		G.repo = getenv("COFFER_REPOSITORY");
	if (crypto_init())
		return (EXIT_ERR);
	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return (commands[i].fn(argc - 1, argv + 1));
	warn0("unknown command \"%s\"", argv[1]);
	usage(stderr);
	return (EXIT_ERR);
}
