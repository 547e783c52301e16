#ifndef COFFER_CLI_H
#define COFFER_CLI_H

#include <stddef.h>

#include "index/index.h"
#include "repo/lock.h"
#include "repo/repo.h"

/* Exit codes, as restic's. */
#define EXIT_OK		0
#define EXIT_ERR	1
#define EXIT_PARTIAL	3	/* backup incomplete: unreadable files */
#define EXIT_NOREPO	10
#define EXIT_BADPASS	12

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
struct session {
	struct repo *r;
	struct index *ix;
	struct lock *lk;
};

#define SESSION_INDEX	1	/* load the index */
#define SESSION_LOCK	2	/* take a shared lock */

/*
 * session_open(s, flags): find the repository, read the passcode, open it.
 * Returns EXIT_OK or the exit code to use (message already printed).
 */
int session_open(struct session *, int);
void session_close(struct session *);

/*
 * passwd_get(&pw, &len, confirm): the passcode from --password-file,
 * --password-command, COFFER_PASSWORD or a terminal prompt (twice if
 * confirm).  *pw is sodium_malloc'd; free with passwd_free.  0 or -1.
 */
int passwd_get(char **, size_t *, int);

/*
 * passwd_new(file, &pw, &len): a new passcode from file (if non-NULL) or a
 * terminal prompt, entered twice.  0 or -1.
 */
int passwd_new(const char *, char **, size_t *);
void passwd_free(char *);

/* usage_error(cmd, fmt, ...): print an error and the command's usage. */
void usage_error(const char *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* Commands. */
int cmd_init(int, char **);
int cmd_backup(int, char **);
int cmd_snapshots(int, char **);
int cmd_ls(int, char **);
int cmd_restore(int, char **);
int cmd_check(int, char **);
int cmd_key(int, char **);

#endif
