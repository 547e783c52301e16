#ifndef COFFER_REALM_CLIENT_H
#define COFFER_REALM_CLIENT_H

/*
 * HTTP to one recovery realm (docs/RECOVERY.md section 4) over libcurl.
 * A realm URL is http(s)://[USER:SECRET@]HOST[:PORT][/PATH] (a "rest:"
 * prefix is accepted and dropped); the credentials go in every request
 * as HTTP Basic and never into a message.  COFFER_CACERT names a CA
 * bundle to trust, as for the REST backend.  Requests are not retried
 * here (libcurl itself resends one once when a kept-alive connection
 * turns out dead before any answer): a resent request that the realm had
 * already served meets a consumed challenge and changes nothing.
 */

#include <stddef.h>
#include <stdint.h>

#include "rwire.h"

#define REALM_JUR_MAX	16

struct realm_client;

/*
 * realm_client_new(url): parse url.  NULL on error (reported: not
 * http(s), too long, no memory).
 */
struct realm_client *realm_client_new(const char *);

/* realm_client_free(c): wipe the credentials.  NULL is a no-op. */
void realm_client_free(struct realm_client *);

/* realm_client_url(c): the URL without credentials, for messages. */
const char *realm_client_url(const struct realm_client *);

/* realm_client_has_auth(c): 1 if the URL carried credentials. */
int realm_client_has_auth(const struct realm_client *);

/*
 * realm_client_info(c, id, jur): GET info: the realm's id and declared
 * jurisdiction.  0, or -1 (reported, naming the realm).
 */
int realm_client_info(struct realm_client *, uint8_t[RWIRE_ID],
    char[REALM_JUR_MAX + 1]);

/*
 * realm_client_call(c, q, r): POST q to its endpoint and decode the
 * answer into r.  0 if the realm answered a well-formed response of q's
 * type from q's realm id (whatever its status); -1 otherwise (reported:
 * unreachable, HTTP error with the realm's reason, malformed answer).
 */
int realm_client_call(struct realm_client *, const struct rwire_req *,
    struct rwire_resp *);

#endif
