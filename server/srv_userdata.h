#ifndef COFFERD_SRV_USERDATA_H
#define COFFERD_SRV_USERDATA_H

#include <stddef.h>
#include <stdint.h>

/* srv_userdata_path(data, user, buf, n): "<data>/repos/<user>".  0/-1. */
int srv_userdata_path(const char *, const char *, char *, size_t);

/* srv_userdata_exists(data, user): 1 if the account has stored data. */
int srv_userdata_exists(const char *, const char *);

/* srv_userdata_delete(data, user): remove all of it.  0 or -1. */
int srv_userdata_delete(const char *, const char *);

/*
 * srv_userdata_export(data, user, to, &files, &bytes): copy the account's
 * repositories (ciphertext, as stored) into the new directory to.  0/-1.
 */
int srv_userdata_export(const char *, const char *, const char *,
    uint64_t *, uint64_t *);

#endif
