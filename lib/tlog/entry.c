/*
 * Transparency log entries: encoding and the meaning of events.  See
 * entry.h and docs/TRANSPARENCY.md.
 */
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"

#include "entry.h"

static const struct {
	unsigned ev;
	const char *action;
	const char *words;
} events[] = {
	{ TLOG_EV_KEY_ADD, "key.add", "a key slot was added" },
	{ TLOG_EV_KEY_REMOVE, "key.remove", "a key slot was removed" },
	{ TLOG_EV_SNAPSHOT_ADD, "snapshot.add", "a snapshot was added" },
	{ TLOG_EV_SNAPSHOT_REMOVE, "snapshot.remove",
	    "a snapshot was removed" },
	{ TLOG_EV_ACCOUNT_CREATE, "user.add",
	    "the operator created the account" },
	{ TLOG_EV_ACCOUNT_DELETE, "user.remove",
	    "the operator deleted the account" },
	{ TLOG_EV_PASSWORD_CHANGE, "user.passwd",
	    "the operator set the account's password" },
	{ TLOG_EV_QUOTA_SET, "quota.set", "the operator set the quota" },
	{ TLOG_EV_TOKEN_ADD, "token.add",
	    "the operator issued an access token" },
	{ TLOG_EV_TOKEN_REVOKE, "token.revoke",
	    "the operator revoked an access token" },
	{ TLOG_EV_DATA_EXPORT, "data.export",
	    "the operator exported the account's data" },
	{ TLOG_EV_DATA_DELETE, "data.delete",
	    "the operator deleted the account's data" },
	{ TLOG_EV_RECOVERY_REGISTER, "recovery.register",
	    "a recovery record was registered" },
	{ TLOG_EV_RECOVERY_ATTEMPT, "recovery.charge",
	    "someone tried to recover the passcode (a guess was charged)" },
	{ TLOG_EV_RECOVERY_SUCCESS, "recovery.success",
	    "a passcode recovery succeeded" },
	{ TLOG_EV_RECOVERY_BAD_TAG, "recovery.bad_tag",
	    "a recovery attempt gave a wrong answer" },
	{ TLOG_EV_RECOVERY_EXHAUSTED, "recovery.exhausted",
	    "a recovery record used up its guesses" },
	{ TLOG_EV_RECOVERY_DELETE, "recovery.delete",
	    "a recovery record was deleted" },
};

#define NEVENTS (sizeof(events) / sizeof(events[0]))

static void
be64enc(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
be64dec(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return (v);
}

void
tlog_entry_encode(const struct tlog_entry *e, uint8_t out[TLOG_ENTRY_LEN])
{

	out[0] = TLOG_ENTRY_VERSION;
	out[1] = e->event;
	be64enc(out + 2, e->time);
	memcpy(out + 10, e->account, TLOG_ACCOUNT_LEN);
	memcpy(out + 26, e->scope, TLOG_SCOPE_LEN);
	memcpy(out + 34, e->prev, 32);
	memcpy(out + 66, e->subject, 32);
	out[98] = e->actor_kind;
	memcpy(out + 99, e->actor, 8);
	be64enc(out + 107, e->value);
}

int
tlog_entry_decode(const uint8_t *p, size_t len, struct tlog_entry *e)
{

	if (len != TLOG_ENTRY_LEN || p[0] != TLOG_ENTRY_VERSION)
		return (1);
	e->version = p[0];
	e->event = p[1];
	e->time = be64dec(p + 2);
	memcpy(e->account, p + 10, TLOG_ACCOUNT_LEN);
	memcpy(e->scope, p + 26, TLOG_SCOPE_LEN);
	memcpy(e->prev, p + 34, 32);
	memcpy(e->subject, p + 66, 32);
	e->actor_kind = p[98];
	memcpy(e->actor, p + 99, 8);
	e->value = be64dec(p + 107);
	return (0);
}

enum tlog_event
tlog_event_of(const char *action)
{
	size_t i;

	for (i = 0; i < NEVENTS; i++)
		if (strcmp(events[i].action, action) == 0)
			return ((enum tlog_event)events[i].ev);
	return (TLOG_EV_OTHER);
}

const char *
tlog_event_name(unsigned ev)
{
	size_t i;

	for (i = 0; i < NEVENTS; i++)
		if (events[i].ev == ev)
			return (events[i].action);
	return ("other");
}

const char *
tlog_event_words(unsigned ev)
{
	size_t i;

	for (i = 0; i < NEVENTS; i++)
		if (events[i].ev == ev)
			return (events[i].words);
	return ("the server did something this client does not know");
}

int
tlog_event_is_repo(unsigned ev)
{

	return (ev >= TLOG_EV_KEY_ADD && ev <= TLOG_EV_SNAPSHOT_REMOVE);
}

/* Decode exactly len bytes of hex at s, followed by the end or ' '. */
static int
hex_field(const char *s, uint8_t *out, size_t len)
{
	char tmp[65];

	if (len * 2 >= sizeof(tmp) || strlen(s) < len * 2 ||
	    (s[len * 2] != '\0' && s[len * 2] != ' '))
		return (-1);
	memcpy(tmp, s, len * 2);
	tmp[len * 2] = '\0';
	return (hex_decode(tmp, out, len));
}

/* The value of "<key>=<hex or decimal>" in detail; NULL if absent. */
static const char *
field(const char *detail, const char *key)
{
	size_t kl = strlen(key);
	const char *p = detail;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == detail || p[-1] == ' ') && p[kl] == '=')
			return (p + kl + 1);
		p += kl;
	}
	return (NULL);
}

int
tlog_subject(const char *action, const char *detail, uint8_t subject[32],
    uint64_t *value)
{
	static const char pfx[] = "coffer-tlog-detail-v1";
	uint8_t *m, tok[8];
	const char *v;
	size_t al = strlen(action), dl = strlen(detail), i;
	unsigned ev = tlog_event_of(action);

	*value = 0;
	if (tlog_event_is_repo(ev)) {
		if ((v = field(detail, "id")) == NULL ||
		    hex_field(v, subject, 32) != 0)
			return (-1);
		return (0);
	}
	if (ev == TLOG_EV_QUOTA_SET && (v = field(detail, "quota")) != NULL)
		for (i = 0; v[i] >= '0' && v[i] <= '9' &&
		    *value <= (UINT64_MAX - 9) / 10; i++)
			*value = *value * 10 + (uint64_t)(v[i] - '0');
	if ((ev == TLOG_EV_TOKEN_ADD || ev == TLOG_EV_TOKEN_REVOKE) &&
	    (v = field(detail, "id")) != NULL && hex_field(v, tok, 8) == 0)
		for (i = 0; i < 8; i++)
			*value = (*value << 8) | tok[i];
	if (ev >= TLOG_EV_RECOVERY_REGISTER && ev <= TLOG_EV_RECOVERY_DELETE &&
	    (v = field(detail, "guesses")) != NULL) {
		unsigned long used, allowed;
		char *end;

		used = strtoul(v, &end, 10);
		if (*end == '/' && used <= UINT32_MAX &&
		    (allowed = strtoul(end + 1, NULL, 10)) <= UINT32_MAX)
			*value = ((uint64_t)used << 32) | allowed;
	}
	/* The detail itself stays on the server; the log keeps its hash. */
	if ((m = malloc(sizeof(pfx) + al + 1 + dl)) == NULL)
		return (-1);
	memcpy(m, pfx, sizeof(pfx));
	memcpy(m + sizeof(pfx), action, al);
	m[sizeof(pfx) + al] = '\0';
	memcpy(m + sizeof(pfx) + al + 1, detail, dl);
	crypto_sha256(m, sizeof(pfx) + al + 1 + dl, subject);
	free(m);
	return (0);
}
