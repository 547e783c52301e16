#ifndef COFFERD_SRV_STORAGE_H
#define COFFERD_SRV_STORAGE_H

#include <stddef.h>

#include "srv_store.h"

/*
 * Where a server's repositories live.  By default in the data directory
 * (<data>/repos, the file system store); with `--storage
 * s3:http(s)://HOST:PORT/BUCKET[/PREFIX]` in an S3 bucket, the data
 * directory then keeping only the server's state (accounts, tokens,
 * audit log, realm) and the spool of uploads in flight.  The first start
 * with S3 storage records the location in <data>/storage, so that the
 * admin commands (user remove --delete-data, user export) find the data
 * and a later start with another location, or none, is refused rather than
 * serving an empty set of repositories.
 */

/*
 * srv_storage_open(data, storage, serve, &st): open the store for the
 * data directory data.  storage is the --storage setting or NULL.  With
 * serve set (cofferd serve), a first S3 location is recorded; otherwise
 * (admin commands) the recorded one is used.  Refused: a location other
 * than the recorded one, S3 storage for a data directory whose local
 * store already holds repositories.  0 or -1 (reported).
 */
int srv_storage_open(const char *, const char *, int, struct srv_store **);

/*
 * srv_storage_open_recorded(data, &st): for the admin commands: 1 with
 * *st open if data's repositories are in S3 (recorded), 0 if they are in
 * <data>/repos (nothing opened), -1 on error (reported).
 */
int srv_storage_open_recorded(const char *, struct srv_store **);

/*
 * srv_storage_where(data, user, buf, n): where the account's repositories
 * are, for messages: "<data>/repos/<user>", or with S3 storage the recorded
 * location followed by "/<user>/".  0 or -1 (reported).
 */
int srv_storage_where(const char *, const char *, char *, size_t);

/* srv_storage_is_s3(st): 1 if st is an S3 store. */
int srv_storage_is_s3(struct srv_store *);

#endif
