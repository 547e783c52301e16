#ifndef COFFERD_SRV_REALM_CHECK_H
#define COFFERD_SRV_REALM_CHECK_H

#include <stdint.h>

#include "recovery/rwire.h"

/*
 * The checks of a realm's values that rwire's decoder cannot make alone
 * (docs/RECOVERY.md 4.3, steps 2 and 3).  Those named srv_realm_check_*
 * that return a string return NULL if the value is good, else the static
 * text of the 400 answer, which names what is wrong.
 */

/* srv_realm_check_jurisdiction(s): 1 if s is a valid label, else 0. */
int srv_realm_check_jurisdiction(const char *);

/*
 * srv_realm_check_reason(why): rwire_req_decode's reason why, as the
 * static text of the 400 answer ("malformed realm request: ...").
 */
const char *srv_realm_check_reason(const char *);

/* srv_realm_check_elem(e): e is a valid, non-identity element. */
const char *srv_realm_check_elem(const uint8_t[RWIRE_ELEM]);

/*
 * srv_realm_check_register(q): a register request's scalars and elements
 * are valid, pk is k*G, and sig is vk's signature of the record.
 */
const char *srv_realm_check_register(const struct rwire_req *);

#endif
