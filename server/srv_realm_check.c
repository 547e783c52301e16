/*
 * The values of a realm request (docs/RECOVERY.md 4.3, steps 2 and 3):
 * what rwire's decoder cannot judge alone, since it needs the group
 * arithmetic, and the jurisdiction label.  Each check of a request answers
 * NULL if good, else the static text of the 400 answer naming what is
 * wrong.
 */
#include <string.h>

#include <sodium.h>

#include "recovery/rkdf.h"
#include "recovery/rwire.h"

#include "srv_realm.h"
#include "srv_realm_check.h"

int
srv_realm_check_jurisdiction(const char *s)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return (0);
	for (i = 0; s[i] != '\0'; i++) {
		if (i == SRV_JURISDICTION_MAX)
			return (0);
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		    s[i] == '_'))
			return (0);
	}
	return (1);
}

const char *
srv_realm_check_reason(const char *why)
{
	static const char *const tab[] = {
		"malformed realm request: bad magic",
		"malformed realm request: unsupported protocol version",
		"malformed realm request: unknown message type",
		"malformed realm request: wrong length",
		"malformed realm request: bad share index or threshold",
		"malformed realm request: guess limit out of range",
	};
	size_t i, pl = sizeof("malformed realm request: ") - 1;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcmp(tab[i] + pl, why) == 0)
			return (tab[i]);
	return ("malformed realm request");
}

const char *
srv_realm_check_elem(const uint8_t e[RWIRE_ELEM])
{

	if (sodium_is_zero(e, RWIRE_ELEM))
		return ("malformed realm request: identity element");
	if (!rkdf_elem_ok(e))
		return ("malformed realm request: invalid element");
	return (NULL);
}

static const char *
check_scalar(const uint8_t s[RWIRE_SCALAR])
{

	if (!rkdf_scalar_canonical(s))
		return ("malformed realm request: non-canonical scalar");
	if (sodium_is_zero(s, RWIRE_SCALAR))
		return ("malformed realm request: zero scalar");
	return (NULL);
}

const char *
srv_realm_check_register(const struct rwire_req *q)
{
	uint8_t pk[RWIRE_ELEM], msg[RKDF_ENC_MAX];
	const char *why;
	size_t len;

	if ((why = check_scalar(q->k)) != NULL ||
	    (why = srv_realm_check_elem(q->pk)) != NULL ||
	    (why = check_scalar(q->s)) != NULL)
		return (why);
	if (crypto_scalarmult_ristretto255_base(pk, q->k) != 0 ||
	    sodium_memcmp(pk, q->pk, RWIRE_ELEM) != 0)
		return ("malformed realm request: public key is not k*G");
	rkdf_sig_msg(q->realm_id, q->rid, q->version, q->index, q->t, q->n,
	    q->pk, msg, &len);
	if (crypto_sign_verify_detached(q->sig, msg, len, q->vk) != 0)
		return ("malformed realm request: bad signature");
	return (NULL);
}
