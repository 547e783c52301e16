#ifndef COFFER_TLOG_CLIENT_INT_H
#define COFFER_TLOG_CLIENT_INT_H

/* The insides of struct tlog_client, for client.c and monitor.c. */

#include <limits.h>

#include "client.h"

struct tlog_client {
	char dir[PATH_MAX];		/* the state directory */
	struct tlog_policy pol;
	uint8_t account[TLOG_ACCOUNT_LEN];
	uint8_t scope[TLOG_SCOPE_LEN];
	tlog_http_fn *http;
	void *cookie;
	struct checkpoint cp;		/* the kept checkpoint */
	struct buf cptext;		/* and its signed note */
	int have_cp;
};

/* tlogc_read(dir, name, out): a state file; 0, 1 if absent, -1. */
int tlogc_read(const char *, const char *, struct buf *);

/*
 * tlogc_write(dir, name, p, len, append): write a state file whole
 * (a temporary file renamed) or append to it; fsynced.  0 or -1.
 */
int tlogc_write(const char *, const char *, const void *, size_t, int);

/* tlogc_fetch: a tile_fetch_fn over the client's server. */
int tlogc_fetch(void *, const char *, struct buf *);

/* tlogc_fetch_cp(c, &cp, text, msg, size): the served checkpoint. */
int tlogc_fetch_cp(struct tlog_client *, struct checkpoint *, struct buf *,
    char *, size_t);

/* tlogc_consistent(c, old, cur): TLOG_OK, TLOG_FORK, TLOG_BAD or -1. */
int tlogc_consistent(struct tlog_client *, const struct checkpoint *,
    const struct checkpoint *);

/* tlogc_show(cp, out, size): the checkpoint's lines, indented. */
void tlogc_show(const struct checkpoint *, char *, size_t);

#endif
