#ifndef COFFERD_SRV_LOG_H
#define COFFERD_SRV_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "tlog/entry.h"
#include "util/buf.h"

/*
 * cofferd's transparency log (docs/TRANSPARENCY.md): every row of the
 * audit table (admin actions, key slots and snapshots added or removed,
 * recovery events) becomes an entry of an append-only RFC 6962 Merkle
 * tree, published as C2SP tlog-tiles under <data>/log/ and served
 * read-only under /log/, with a C2SP checkpoint signed by the log's
 * Ed25519 key (<data>/log/key, mode 0600, never served).
 *
 * A sequencer thread takes the audit rows not yet logged about once a
 * second, writes the entry bundles and tiles they complete (each file
 * written whole, fsynced and renamed into place, then the directories
 * fsynced), and only then signs the new checkpoint and commits it in
 * SQLite with a compare-and-swap on the previous one, together with the
 * last audit row logged.  Entries are a pure function of the audit rows
 * and the committed state, so a crash at any step leaves the committed
 * checkpoint and its tiles intact, and the next pass rewrites any tile it
 * had written beyond it with the same bytes: the log never signs two
 * checkpoints that disagree.
 */

struct srv_log;

/*
 * srv_log_open(datadir, origin, &log): open the log of a data directory,
 * creating its key (named origin) and its state on first use.  origin
 * NULL opens an existing log only.  Takes <data>/log/lock: one cofferd
 * sequences a data directory at a time.  Checks that the tiles on disk
 * give the committed root.  0 or -1 (reported).
 */
int srv_log_open(const char *, const char *, struct srv_log **);

/*
 * srv_log_witness(log, spec): add a witness, "URL=VKEY" (URL the witness's
 * submission prefix, VKEY its cosignature key), to which each new
 * checkpoint is submitted (C2SP tlog-witness); before srv_log_start.
 * 0 or -1 (reported).
 */
int srv_log_witness(struct srv_log *, const char *);

/* srv_log_start(log, interval_ms): start the sequencer thread.  0/-1. */
int srv_log_start(struct srv_log *, unsigned);

/* srv_log_stop(log): stop the thread after a last pass. */
void srv_log_stop(struct srv_log *);

/* srv_log_close(log): stop, close and wipe.  NULL is a no-op. */
void srv_log_close(struct srv_log *);

/*
 * srv_log_sequence(log, &added): one pass: log the pending audit rows (at
 * most a batch), publish and commit the new checkpoint.  *added is the
 * number of entries added.  0 or -1 (reported; nothing committed).
 */
int srv_log_sequence(struct srv_log *, uint64_t *);

/*
 * srv_log_checkpoint(log, out): append the current signed checkpoint to
 * out; returns its tree size in *size.  0 or -1.
 */
int srv_log_checkpoint(struct srv_log *, struct buf *, uint64_t *);

/* srv_log_dir(log): "<data>/log", where the tiles are. */
const char *srv_log_dir(const struct srv_log *);

/*
 * srv_log_ids(log, user, repo, account, scope): the blinded account id of
 * user and (repo non-NULL) the scope of one of its repositories, as the
 * entries carry them.  0 or -1.
 */
int srv_log_ids(struct srv_log *, const char *, const char *,
    uint8_t[TLOG_ACCOUNT_LEN], uint8_t[TLOG_SCOPE_LEN]);

/* srv_log_vkey(log, out, size): the log's verifier key.  0 or -1. */
int srv_log_vkey(const struct srv_log *, char *, size_t);

/*
 * srv_log_main(argc, argv): `cofferd log init ORIGIN --data DIR` (create
 * the key, print the verifier key) and `cofferd log vkey --data DIR`.
 * argv[0] is "log".  Returns the exit status.
 */
int srv_log_main(int, char **);

#endif
