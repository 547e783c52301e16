/*
 * Transparency log entries (lib/tlog/entry.c): the 115-byte layout of
 * docs/TRANSPARENCY.md field by field, refusals of other lengths and
 * versions, and the subject and value of each kind of audit row.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/entry.h"

#include "test.h"

static void
test_layout(void)
{
	struct tlog_entry e, d;
	uint8_t b[TLOG_ENTRY_LEN], x[TLOG_ENTRY_LEN + 1];
	size_t i;

	memset(&e, 0, sizeof(e));
	e.event = TLOG_EV_SNAPSHOT_ADD;
	e.time = 0x0102030405060708ULL;
	for (i = 0; i < 16; i++)
		e.account[i] = (uint8_t)(0x10 + i);
	for (i = 0; i < 8; i++)
		e.scope[i] = (uint8_t)(0x30 + i);
	memset(e.prev, 0xaa, 32);
	memset(e.subject, 0xbb, 32);
	e.actor_kind = TLOG_ACTOR_TOKEN;
	memset(e.actor, 0xcc, 8);
	e.value = 0x1112131415161718ULL;
	tlog_entry_encode(&e, b);
	CHECK(b[0] == 1 && b[1] == 3);
	CHECK(b[2] == 0x01 && b[9] == 0x08);
	CHECK(b[10] == 0x10 && b[25] == 0x1f);
	CHECK(b[26] == 0x30 && b[33] == 0x37);
	CHECK(b[34] == 0xaa && b[65] == 0xaa && b[66] == 0xbb && b[97] ==
	    0xbb);
	CHECK(b[98] == 2 && b[99] == 0xcc && b[106] == 0xcc);
	CHECK(b[107] == 0x11 && b[114] == 0x18);
	CHECK(tlog_entry_decode(b, sizeof(b), &d) == 0);
	CHECK(d.time == e.time && d.value == e.value && d.event == e.event &&
	    memcmp(d.account, e.account, 16) == 0 &&
	    memcmp(d.prev, e.prev, 32) == 0 && d.actor_kind == 2);
	memcpy(x, b, sizeof(b));
	x[TLOG_ENTRY_LEN] = 0;
	CHECK(tlog_entry_decode(x, sizeof(x), &d) == 1);
	CHECK(tlog_entry_decode(b, sizeof(b) - 1, &d) == 1);
	b[0] = 2;
	CHECK(tlog_entry_decode(b, sizeof(b), &d) == 1);
}

static void
test_subjects(void)
{
	static const char id[] =
	    "2efab43787de213e04f634c39b79afbb9ec56eb269eacd2eca0ab079311c8be7";
	uint8_t s[32], want[32], h[32];
	char detail[200];
	uint64_t v;

	snprintf(detail, sizeof(detail), "repo=laptop id=%s", id);
	CHECK(tlog_subject("snapshot.add", detail, s, &v) == 0 && v == 0);
	hex_decode(id, want, 32);
	CHECK(memcmp(s, want, 32) == 0);
	CHECK(tlog_subject("key.remove", "repo=x id=12", s, &v) == -1);
	snprintf(detail, sizeof(detail), "repo=laptop id=%sff", id);
	CHECK(tlog_subject("key.add", detail, s, &v) == -1);
	CHECK(tlog_subject("quota.set", "quota=1073741824", s, &v) == 0 &&
	    v == 1073741824);
	CHECK(tlog_subject("token.add", "id=c5eb5859aaea82d4 perm=append "
	    "label=", s, &v) == 0 && v == 0xc5eb5859aaea82d4ULL);
	CHECK(tlog_subject("recovery.charge", "realm=ab rid=cd guesses=2/10",
	    s, &v) == 0 && v == ((2ULL << 32) | 10));
	/* Others: the hash of action and detail, nothing more. */
	CHECK(tlog_subject("data.export", "to=/x reason=y", s, &v) == 0 &&
	    v == 0);
	crypto_sha256((const uint8_t *)"coffer-tlog-detail-v1\0data.export\0"
	    "to=/x reason=y", 22 + 12 + 14, h);
	CHECK(memcmp(s, h, 32) == 0);
	CHECK(tlog_event_of("recovery.charge") == TLOG_EV_RECOVERY_ATTEMPT);
	CHECK(tlog_event_of("user.add") == TLOG_EV_ACCOUNT_CREATE);
	CHECK(tlog_event_of("something.new") == TLOG_EV_OTHER);
	CHECK(strcmp(tlog_event_name(TLOG_EV_KEY_ADD), "key.add") == 0);
	CHECK(tlog_event_is_repo(TLOG_EV_SNAPSHOT_REMOVE) &&
	    !tlog_event_is_repo(TLOG_EV_QUOTA_SET));
}

int
main(void)
{

	if (crypto_init())
		return (1);
	RUN(test_layout);
	RUN(test_subjects);
	return (TEST_EXIT());
}
