#ifndef COFFER_CLI_H
#define COFFER_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "index/index.h"
#include "repo/lock.h"
#include "repo/repo.h"

/* Exit codes, as restic's. */
#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_PARTIAL	3	/* backup incomplete: unreadable files */
#define EXIT_NOREPO	10
#define EXIT_LOCKED	11	/* the repository is locked by another */
#define EXIT_BADPASS	12
#define EXIT_LOG	13	/* the server's transparency log: see stderr */

/* Global options, accepted before or after the command. */
struct gopts {
	const char *repo;
	const char *pwfile;
	const char *pwcmd;
	int quiet;
	int json;
};

extern struct gopts G;

/*
 * An open repository session: repo, index (if asked for) and lock.
 */
struct cli_tlog;

struct session {
	struct repo *r;
	struct index *ix;
	struct lock *lk;
	struct cli_tlog *tl;	/* the transparency log, if pinned */
};

#define SESSION_INDEX	1	/* load the index */
#define SESSION_LOCK	2	/* take a shared lock */
#define SESSION_XLOCK	4	/* take the exclusive lock (prune, forget) */
#define SESSION_NOLOG	8	/* no transparency log check (log pin) */

/*
 * session_open(s, flags): find the repository, read the passcode, open it.
 * Returns EXIT_OK or the exit code to use (message already printed).
 */
int session_open(struct session *, int);

/*
 * struct pwsrc: where a passcode comes from, in this order: file, command,
 * the environment variable env, else a terminal prompt.  Any may be NULL.
 */
struct pwsrc {
	const char *file;
	const char *cmd;
	const char *env;
	const char *prompt;
};

/*
 * session_open_at(s, flags, repo, src): session_open for the repository
 * at repo, with the passcode from src (copy's --from-repo).
 */
int session_open_at(struct session *, int, const char *,
    const struct pwsrc *);
void session_close(struct session *);

/*
 * passwd_get(&pw, &len, confirm): the passcode from --password-file,
 * --password-command, COFFER_PASSWORD or a terminal prompt (twice if
 * confirm).  *pw is sodium_malloc'd; free with passwd_free.  0 or -1.
 */
int passwd_get(char **, size_t *, int);

/* passwd_get_from(src, &pw, &len): the same, from the sources in src. */
int passwd_get_from(const struct pwsrc *, char **, size_t *);

/*
 * passwd_new(file, &pw, &len): a new passcode from file (if non-NULL) or a
 * terminal prompt, entered twice.  0 or -1.
 */
int passwd_new(const char *, char **, size_t *);
void passwd_free(char *);

/* usage_error(cmd, fmt, ...): print an error and the command's usage. */
void usage_error(const char *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

struct prune_opts;

/*
 * cli_prune_option(cmd, o, name, value): apply a prune option given to
 * command cmd: name is "max-unused" (N%, a size such as 500M, or
 * "unlimited"), "max-repack-size" (a size: bytes, or with k/K, m/M, g/G,
 * t/T) or "repack-small" (value ignored).  0, or -1 after a usage error.
 */
int cli_prune_option(const char *, struct prune_opts *, const char *,
    const char *);

/*
 * cli_prune(s, o): prune the session's repository, which must have been
 * opened with SESSION_XLOCK, and print the report (JSON with --json).
 * Returns an exit code.  For `prune` and `forget --prune`.
 */
int cli_prune(struct session *, const struct prune_opts *);

/*
 * Selecting snapshots (snapsel.c), as restic's commands do:
 * snapsel_find(ss, f, args, nargs, &v, &n): the snapshots args name (ids,
 * unique id prefixes, or "latest": the newest snapshot matching f), or
 * every snapshot matching f if nargs is 0; oldest first, each once.  *v is
 * freed with snapshot_list_free.  EXIT_OK, or EXIT_ERR (reported).
 */
struct snapfilter;
struct snapshot;
int snapsel_find(struct session *, const struct snapfilter *, char **, int,
    struct snapshot **, size_t *);

/*
 * snapsel_filter_opt(f, c, arg, &rc): handle the filter options --host,
 * --tag and --path, whose getopt_long codes are SEL_HOST, SEL_TAG and
 * SEL_PATH.  Returns 1 if c was one of them (*rc = 0 or -1), else 0.
 */
#define SEL_HOST	0x101
#define SEL_TAG		0x102
#define SEL_PATH	0x103
#define SEL_LONGOPTS							\
	{ "host", required_argument, NULL, SEL_HOST },			\
	{ "tag", required_argument, NULL, SEL_TAG },			\
	{ "path", required_argument, NULL, SEL_PATH }
int snapsel_filter_opt(struct snapfilter *, int, const char *, int *);

/*
 * cli_parse_time(s, &t): "YYYY-MM-DD HH:MM:SS" (or without seconds, or a
 * date alone, or RFC 3339 with 'T'), in local time, as restic's --time.
 * 0, or -1 (not reported).
 */
int cli_parse_time(const char *, int64_t *);

/*
 * snapsel_one(ss, f, spec, s, &subpath): the one snapshot spec names (an
 * id, a prefix, or "latest" among those matching f) into s (release it
 * with snapshot_release).  If subpath is not NULL, spec may be
 * "SNAPSHOT:PATH" as in restic, and *subpath is a malloc'd copy of PATH
 * (NULL without one).  EXIT_OK or EXIT_ERR (reported).
 */
int snapsel_one(struct session *, const struct snapfilter *, const char *,
    struct snapshot *, char **);

/*
 * cli_json_bytes(p, n, &lossy): a JSON string (json_t *) for bytes that
 * may not be UTF-8: invalid bytes become U+FFFD and *lossy is set.
 */
void *cli_json_bytes(const char *, size_t, int *);

/* cli_snapshot_json(s): snapshot_to_json with "short_id" (a json_t *). */
void *cli_snapshot_json(const struct snapshot *);

/* cli_json_print(j): print a json_t (void *) compactly on one line and
 * free it. */
void cli_json_print(void *);

/*
 * The transparency log (tlog.c).  cli_tlog_begin(s): if s's repository is
 * on a server whose log is pinned, check the log (EXIT_LOG, with the
 * alert printed, if it rolled back, forked or is otherwise wrong) and
 * record what the session changes; session_open calls it.
 * cli_tlog_confirm(s): wait for the session's changes to be logged and
 * verify their inclusion (EXIT_OK, EXIT_LOG, EXIT_ERR).  cli_tlog_end(s):
 * session_close calls it.  cli_tlog_client(s): the client, or NULL.
 */
struct tlog_client;
int cli_tlog_begin(struct session *);
int cli_tlog_confirm(struct session *);
void cli_tlog_end(struct session *);
struct tlog_client *cli_tlog_client(struct session *);

/*
 * An HTTP source for the log client: paths are fetched from be's server
 * under prefix ("/log/").  cli_http_get is its tlog_http_fn.
 */
struct cli_http {
	struct backend *be;
	char prefix[1024];
};
int cli_http_get(void *, const char *, int, struct buf *);

/* cli_repo_name(location, out, size): a rest: repository's name.  0/-1. */
int cli_repo_name(const char *, char *, size_t);

/*
 * cmd_log.c: cli_log_policy(pol, vkey, witnesses, n, quorum (-1: all))
 * builds a policy from the command line (0, or -1 reported);
 * cli_log_pin(s, pol) pins it for the session's repository (exit code).
 */
struct tlog_policy;
int cli_log_policy(struct tlog_policy *, const char *, char **, size_t,
    long);
int cli_log_pin(struct session *, const struct tlog_policy *);

/* Commands. */
int cmd_init(int, char **);
int cmd_log(int, char **);
int cmd_audit(int, char **);
int cmd_backup(int, char **);
int cmd_snapshots(int, char **);
int cmd_ls(int, char **);
int cmd_restore(int, char **);
int cmd_check(int, char **);
int cmd_key(int, char **);
int cmd_prune(int, char **);
int cmd_copy(int, char **);
int cmd_forget(int, char **);
int cmd_tag(int, char **);
int cmd_mount(int, char **);
int cmd_diff(int, char **);
int cmd_find(int, char **);
int cmd_stats(int, char **);
int cmd_cat(int, char **);
int cmd_list(int, char **);
int cmd_dump(int, char **);
int cmd_unlock(int, char **);
int cmd_recovery(int, char **);

#endif
