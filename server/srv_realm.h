#ifndef COFFERD_SRV_REALM_H
#define COFFERD_SRV_REALM_H

#include <stddef.h>
#include <stdint.h>

#include "srv_http.h"

/*
 * A recovery realm (docs/RECOVERY.md): `cofferd serve --realm
 * --jurisdiction CODE` answers /realm/v1/{info,register,recover1,recover2,
 * recover3,delete} beside the storage API, with its own id and SQLite
 * state (<data>/realm.db, srv_realm_db.h).  Requests are authenticated as
 * storage requests are, and need full permission.  Like srv_rest, a
 * request goes through srv_realm_begin (at the headers), srv_realm_body
 * (each piece of body), srv_realm_finish (the answer) and srv_realm_done
 * (cleanup).
 */

#define SRV_JURISDICTION_MAX	16

struct srv_realm;
struct srv_db;

/*
 * srv_realm_open(datadir, jurisdiction, db, &realm): open or create the
 * realm's state in datadir; db (cofferd.db) receives the audit rows of
 * its events.  jurisdiction: 1 to 16 of [A-Za-z0-9_-].  0 or -1
 * (reported).
 */
int srv_realm_open(const char *, const char *, struct srv_db *,
    struct srv_realm **);

/* srv_realm_close(realm): NULL is a no-op. */
void srv_realm_close(struct srv_realm *);

/* srv_realm_id_hex(realm): the realm id as 32 hex digits. */
const char *srv_realm_id_hex(const struct srv_realm *);

/*
 * srv_realm_match(url): 1 if the raw path is a realm path ("/realm/v1/"
 * and one more segment, not "config"), which no storage path can be.
 */
int srv_realm_match(const char *);

/* The request's steps.  srv_realm_body: 0, or -1 to close. */
void srv_realm_begin(struct srv_req *, const char *);
int srv_realm_body(struct srv_req *, const uint8_t *, size_t);
void srv_realm_finish(struct srv_req *);
void srv_realm_done(struct srv_req *);

#endif
