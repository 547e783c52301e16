#ifndef COFFERD_SRV_WITNESS_H
#define COFFERD_SRV_WITNESS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/*
 * A C2SP tlog-witness (c2sp.org/tlog-witness): `cofferd witness` keeps,
 * for each log it is told to trust, the size and root of the last
 * checkpoint it cosigned (SQLite, compare and swap), and cosigns a new
 * checkpoint (tlog-cosignature/v1, type 0x04, Ed25519, timestamped) only
 * if the log signed it and a consistency proof shows that it extends
 * that one.  It therefore never cosigns two different trees of one size,
 * nor a smaller tree after a larger one.  Its key is <data>/witness/key
 * (mode 0600), created at first start; its state <data>/witness/state.db.
 */

struct srv_witness;

/*
 * srv_witness_open(datadir, name, &w): open (creating at first use, named
 * name, else "cofferd-witness") the witness of a data directory.  0 or -1
 * (reported).
 */
int srv_witness_open(const char *, const char *, struct srv_witness **);

/*
 * srv_witness_trust(w, vkey): add a log whose checkpoints it cosigns,
 * by its verifier key (type 0x01, named after the log's origin).  0 or -1
 * (reported).
 */
int srv_witness_trust(struct srv_witness *, const char *);

/* srv_witness_vkey(w, out, size): the cosignature verifier key.  0/-1. */
int srv_witness_vkey(const struct srv_witness *, char *, size_t);

/*
 * srv_witness_add(w, body, len, now, out, &ctype): handle the body of a
 * POST /add-checkpoint at time now.  Returns the HTTP status: 200 (out:
 * the cosignature line), 400 (malformed body, or an old size larger than
 * the checkpoint's), 403 (no valid signature of the log), 404 (unknown
 * log), 409 (old size is not the one the witness knows; out: that size
 * and '\n', *ctype "text/x.tlog.size"; or another root for the size
 * known, out saying so), 422 (the proof does not show consistency, or
 * the root of size 0 is not SHA-256("")), 500; for errors, out holds a
 * line saying why.
 */
unsigned srv_witness_add(struct srv_witness *, const uint8_t *, size_t,
    uint64_t, struct buf *, const char **);

/* srv_witness_close(w): NULL is a no-op. */
void srv_witness_close(struct srv_witness *);

/*
 * srv_witness_main(argc, argv): `cofferd witness --data DIR --listen ADDR
 * --log VKEY... [--name NAME]` and `cofferd witness vkey --data DIR`.
 * argv[0] is "witness".  Returns the exit status.
 */
int srv_witness_main(int, char **);

#endif
