#ifndef COFFERD_SRV_STORE_S3_H
#define COFFERD_SRV_STORE_S3_H

#include <stdint.h>

#include "srv_store.h"

struct s3;

/*
 * srv_store_s3_open(loc, spool, &st): the S3 backend (srv_store_s3.c) for
 * loc, "http(s)://HOST[:PORT]/BUCKET[/PREFIX]", with the credentials and
 * region of the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or
 * a profile; AWS_REGION: see lib/backend/s3.h).  Creates the bucket if
 * this account has none of that name.  Upload bodies are spooled to
 * unnamed files in the directory spool (created, mode 0700), which may be
 * NULL for a store that only reads and deletes (the admin commands).
 * *st is freed with srv_store_free.  0 or -1 (reported).
 */
int srv_store_s3_open(const char *, const char *, struct srv_store **);

/* srv_store_s3_client(st): st's S3 client, or NULL if st is not S3. */
struct s3 *srv_store_s3_client(struct srv_store *);

/*
 * srv_store_s3_layout_key(rest): 1 if rest, a key after PREFIX/<user>/,
 * names an object of a repository ("<repo>/config", "<repo>/keys/<id>",
 * "<repo>/data/<id[0..2]>/<id>", ...), else 0.
 */
int srv_store_s3_layout_key(const char *);

/*
 * The admin commands' view of one account's data in the bucket
 * (srv_userdata_s3.c): whether it has any object, deleting every object
 * under PREFIX/<user>/, and an export of its repositories' objects into
 * the new directory to, in the layout of the local store.  As
 * srv_userdata.h's functions.
 */
int srv_userdata_s3_exists(struct srv_store *, const char *);
int srv_userdata_s3_delete(struct srv_store *, const char *);
int srv_userdata_s3_export(struct srv_store *, const char *, const char *,
    uint64_t *, uint64_t *);

#endif
