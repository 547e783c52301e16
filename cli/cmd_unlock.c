/*
 * coffer unlock [--remove-all]: remove stale locks (restic's unlock): a
 * lock not refreshed for 30 minutes, or whose process is gone on this
 * host (lib/repo/lock.h).  --remove-all removes every lock, live or
 * unreadable: only when no coffer process uses the repository.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "repo/lock.h"
#include "util/warnp.h"

#include "cli.h"

struct unlock {
	struct session *ss;
	int all;
	size_t removed, left;
	int err;
};

static int
one(void *cookie, const struct lock_info *li)
{
	struct unlock *u = cookie;
	int r;

	if (!u->all && (!li->readable || !li->stale)) {
		if (!li->readable)
			warn0("locks %s: unreadable, left in place (unlock "
			    "--remove-all removes it)", li->name);
		u->left++;
		return (0);
	}
	if ((r = backend_remove(u->ss->r->be, OBJ_LOCK, li->name)) < 0) {
		u->err = 1;
		return (0);
	}
	if (r == 1)
		return (0);	/* gone meanwhile */
	u->removed++;
	if (G.quiet || G.json)
		return (0);
	if (li->readable)
		printf("removed %s%s lock %.8s of %s@%s (pid %lld), "
		    "refreshed %lld s ago\n", li->stale ? "stale " : "",
		    li->exclusive ? "exclusive" : "shared", li->name,
		    li->user, li->host, (long long)li->pid,
		    (long long)((int64_t)time(NULL) - li->time));
	else
		printf("removed unreadable lock %.8s\n", li->name);
	return (0);
}

int
cmd_unlock(int argc, char **argv)
{
	struct session ss;
	struct unlock u;
	int rc;

	memset(&u, 0, sizeof(u));
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		printf("usage: coffer unlock [--remove-all]\n");
		return (EXIT_OK);
	}
	if (argc == 2 && strcmp(argv[1], "--remove-all") == 0)
		u.all = 1;
	else if (argc != 1) {
		usage_error("unlock", "unexpected argument \"%s\"", argv[1]);
		return (EXIT_ERR);
	}
	if ((rc = session_open(&ss, 0)) != EXIT_OK)
		return (rc);
	u.ss = &ss;
	if (lock_list(ss.r, one, &u) < 0)
		u.err = 1;
	if (G.json)
		cli_json_print(json_pack("{s:I, s:I}", "removed",
		    (json_int_t)u.removed, "left", (json_int_t)u.left));
	else if (!G.quiet)
		printf("successfully removed %zu locks%s\n", u.removed,
		    u.left ? " (the others are in use: see list locks)" : "");
	session_close(&ss);
	return (u.err ? EXIT_ERR : EXIT_OK);
}
