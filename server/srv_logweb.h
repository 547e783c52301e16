#ifndef COFFERD_SRV_LOGWEB_H
#define COFFERD_SRV_LOGWEB_H

#include "srv_http.h"

/*
 * srv_logweb_begin(req, url): answer a request under /log/ (the server's
 * transparency log is on), GET or HEAD only:
 *
 *	/log/checkpoint		the signed checkpoint (anyone)
 *	/log/tile/...		C2SP tiles and entry bundles within the
 *				committed tree (anyone)
 *	/log/vkey		the log's verifier key (anyone; clients pin
 *				it from elsewhere, see docs/TRANSPARENCY.md)
 *	/log/account[?repo=R]	the caller's blinded account id (and the
 *				scope of its repository R), one per line:
 *				"account <32 hex>\n[scope <16 hex>\n]"; needs
 *				the account's credentials
 *
 * The response is set before it returns (srv_rest_finish sends it).
 */
void srv_logweb_begin(struct srv_req *, const char *);

#endif
