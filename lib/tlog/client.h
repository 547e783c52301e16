#ifndef COFFER_TLOG_CLIENT_H
#define COFFER_TLOG_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "tlog/entry.h"
#include "tlog/note.h"
#include "util/buf.h"

/*
 * The client side of cofferd's transparency log (docs/TRANSPARENCY.md):
 * a repository's pinned log key (and witness policy), the last checkpoint
 * it verified, its blinded account id and scope, and this machine's
 * record of what it did, kept in $COFFER_CONFIG_DIR (else
 * $XDG_CONFIG_HOME/coffer, else ~/.config/coffer) under
 * <repository id>/tlog/:
 *
 *	policy		"log <vkey>", "witness <vkey>" lines, "quorum <k>"
 *	ids		"account <32 hex>" and "scope <16 hex>"
 *	checkpoint	the last checkpoint verified (the signed note)
 *	actions		"<unix time> <event> <subject hex>" lines: what
 *			this machine did (and "baseline" lines: snapshots
 *			already there when the log was pinned)
 *	receipts/	c2sp.org/tlog-proof@v1 receipts of its own entries
 *
 * Everything served is checked: checkpoints against the policy, every
 * newer one for consistency with the last (proof computed from the
 * tiles), entries by inclusion proofs or by recomputing the whole tree.
 */

/* What a check can find; the CLI exits EXIT_LOG (13) for all but OK. */
#define TLOG_OK		0
#define TLOG_ROLLBACK	2	/* a shorter history than before */
#define TLOG_FORK	3	/* a history that does not extend the last */
#define TLOG_BAD	4	/* bad signature, missing tile, bad entry */
#define TLOG_MISSING	5	/* an entry of ours is not (yet) logged */

/*
 * The server: http(cookie, path, auth, out) fetches path relative to the
 * log's prefix ("checkpoint", "tile/0/000", "account?repo=R"), with the
 * account's credentials if auth; 0, 1 if not found, -1 on error
 * (reported).
 */
typedef int tlog_http_fn(void *, const char *, int, struct buf *);

struct tlog_client;

/*
 * tlog_config_dir(out, size): $COFFER_CONFIG_DIR, else
 * $XDG_CONFIG_HOME/coffer, else ~/.config/coffer.  0, or -1 if none.
 */
int tlog_config_dir(char *, size_t);

/*
 * tlog_client_dir(repo_id, out, size): the state directory of a
 * repository ("" and -1 if no home or config directory is known).
 */
int tlog_client_dir(const uint8_t[32], char *, size_t);

/*
 * tlog_client_open(repo_id, http, cookie, &c): the client of a repository
 * whose log is pinned.  Returns 0, 1 if no log is pinned for it (*c
 * NULL), -1 on error (reported).
 */
int tlog_client_open(const uint8_t[32], tlog_http_fn *, void *,
    struct tlog_client **);

/*
 * tlog_client_pin(repo_id, pol, repo, http, cookie, msg, msgsize): pin
 * the log for a repository (named repo on the server): write the policy,
 * ask the server for the account's ids, and verify and keep its current
 * checkpoint.  Returns TLOG_OK, another TLOG_* with msg (words), or -1.
 */
int tlog_client_pin(const uint8_t[32], const struct tlog_policy *,
    const char *, tlog_http_fn *, void *, char *, size_t);

/* tlog_client_free(c): NULL is a no-op. */
void tlog_client_free(struct tlog_client *);

/* tlog_client_policy(c): the pinned policy. */
const struct tlog_policy *tlog_client_policy(const struct tlog_client *);

/*
 * tlog_client_update(c, msg, msgsize): fetch the server's checkpoint,
 * check it against the policy and, if a checkpoint was kept, that it
 * extends it (a consistency proof from the tiles); keep it.  Returns
 * TLOG_OK, or TLOG_ROLLBACK, TLOG_FORK or TLOG_BAD with msg saying what
 * is wrong in words, both checkpoints included; -1 on other errors.
 */
int tlog_client_update(struct tlog_client *, char *, size_t);

/* tlog_client_checkpoint(c, &cp): the kept checkpoint; 0, or 1 if none. */
int tlog_client_checkpoint(const struct tlog_client *, struct checkpoint *);

/*
 * tlog_client_record(c, event, subject): add to this machine's record
 * ("baseline" if event is 0).  0 or -1.
 */
int tlog_client_record(struct tlog_client *, unsigned, const uint8_t[32]);

/*
 * tlog_client_confirm(c, event, subject, from, timeout, msg, msgsize):
 * wait (at most timeout seconds) for the account's entry of event and
 * subject at an index >= from, verify its inclusion in a checkpoint that
 * extends the kept one, and keep a receipt.  TLOG_OK; TLOG_MISSING when
 * the time is up; others as tlog_client_update.
 */
int tlog_client_confirm(struct tlog_client *, unsigned, const uint8_t[32],
    uint64_t, unsigned, char *, size_t);

/* An entry of the log, decoded, with its index and leaf hash. */
struct tlog_item {
	uint64_t index;
	struct tlog_entry e;
	uint8_t leaf[32];
};

/*
 * tlog_client_all(c, &v, &n): every entry of the tree of the kept
 * checkpoint, authenticated by recomputing the root from all of them
 * (v malloc'd).  TLOG_OK, TLOG_BAD (not reported: the caller says so), or
 * -1.
 */
int tlog_client_all(struct tlog_client *, struct tlog_item **, size_t *);

/* tlog_client_ids(c, account, scope): the pinned ids. */
void tlog_client_ids(const struct tlog_client *, uint8_t[TLOG_ACCOUNT_LEN],
    uint8_t[TLOG_SCOPE_LEN]);

/* One line of this machine's record. */
struct tlog_action {
	int64_t time;
	unsigned event;			/* 0: baseline */
	uint8_t subject[32];
};

/* tlog_client_actions(c, &v, &n): the record (v malloc'd).  0 or -1. */
int tlog_client_actions(struct tlog_client *, struct tlog_action **,
    size_t *);

/*
 * tlog_monitor(http, cookie, pol, state, msg, msgsize): an independent
 * monitor: fetch the checkpoint, check it against pol, fetch every entry
 * bundle, recompute every tile and the root, compare them with every
 * served tile, check each account's chain of prev links, and if state
 * (a file) holds an earlier checkpoint, that the new tree extends it;
 * then keep the checkpoint in state.  Prints a summary on stdout.
 * TLOG_OK, or another TLOG_* with msg; -1 on errors.
 */
int tlog_monitor(tlog_http_fn *, void *, const struct tlog_policy *,
    const char *, char *, size_t);

#endif
