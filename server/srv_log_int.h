#ifndef COFFERD_SRV_LOG_INT_H
#define COFFERD_SRV_LOG_INT_H

/* The insides of struct srv_log, shared by srv_log.c and srv_logseq.c. */

#include <pthread.h>
#include <stdint.h>

#include <sqlite3.h>

#include "crypto/crypto.h"
#include "tlog/note.h"
#include "util/buf.h"

#include "srv_log.h"

struct srv_log {
	char *dir;			/* <data>/log */
	char *dbpath;			/* <data>/cofferd.db */
	char origin[NOTE_NAME_MAX + 1];
	sqlite3 *h;			/* our own connection */
	struct note_signer *signer;
	struct crypto_mac *ids;		/* keyed with K_ids */
	int lockfd;

	pthread_mutex_t mtx;		/* a pass at a time; h */
	pthread_mutex_t cpmtx;		/* cp, size */
	struct buf cp;			/* the checkpoint served (cosigned) */
	struct buf bare;		/* under mtx: as committed */
	struct logwit *wit;		/* under mtx: the witnesses */
	size_t nwit;
	uint64_t size;

	pthread_t thr;
	pthread_cond_t cv;		/* under cpmtx: wake the thread */
	int running, stopping;
	unsigned interval_ms;
};

/* srv_log.c: key files (also the witness's, srv_witness.c). */

#define LOGKEY_MAX	512

/*
 * logkey_read(path, key, &len): read a signer key file (one line; mode
 * 0600 or refused) into key[LOGKEY_MAX].  0, 1 if absent, -1 (reported).
 */
int logkey_read(const char *, char *, size_t *);

/* logkey_create(path, name): a new signer key file (never replaces one). */
int logkey_create(const char *, const char *);

/* srv_logwit.c */

/*
 * logwit_collect(log, cp, size, out): out is cp (the committed checkpoint
 * of size) with the cosignature lines of the witnesses that cosign it
 * (asked now, unless cosigned before or backing off).  0 or -1 (out of
 * memory).
 */
int logwit_collect(struct srv_log *, const struct buf *, uint64_t,
    struct buf *);

/* logwit_free(log): forget the witnesses. */
void logwit_free(struct srv_log *);

/* srv_logseq.c */

/*
 * logseq_write(log, path, p, len): write <dir>/<path> whole, fsynced,
 * renamed into place, and fsync its directory.  0 or -1 (reported).
 */
int logseq_write(struct srv_log *, const char *, const uint8_t *, size_t);

/* logseq_fetch: a tile_fetch_fn over <dir>; cookie is the log. */
int logseq_fetch(void *, const char *, struct buf *);

/*
 * logseq_state(log, &size, root, &seq): the committed state, in the
 * caller's transaction (or none).  0 or -1.
 */
int logseq_state(struct srv_log *, uint64_t *, uint8_t[32], int64_t *);

/* logseq_sign(log, size, root, out): the signed checkpoint.  0 or -1. */
int logseq_sign(struct srv_log *, uint64_t, const uint8_t[32],
    struct buf *);

/* logseq_publish(log, cp, size): set the checkpoint served and on disk. */
int logseq_publish(struct srv_log *, const uint8_t *, size_t, uint64_t);

/* logseq_exec(log, sql): run sql; 0 or -1 (reported). */
int logseq_exec(struct srv_log *, const char *);

#endif
