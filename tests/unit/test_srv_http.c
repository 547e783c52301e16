/*
 * cofferd's HTTP parsers: the Range header (single byte ranges honoured,
 * others ignored, unsatisfiable ones told apart), the Authorization header
 * (Basic and Bearer, malformed values refused), JSON escaping of log
 * fields.
 */
#include <stdint.h>

#include <sodium.h>

#include "srv_http.h"
#include "test.h"

/* Range of a size-byte object: rc, and off/len when rc == 0. */
static int
rng(const char *h, uint64_t size, uint64_t *off, uint64_t *len)
{

	*off = *len = 12345;
	return (srv_http_parse_range(h, size, off, len));
}

static void
test_range(void)
{
	uint64_t off, len;

	CHECK(rng("bytes=0-9", 100, &off, &len) == 0 && off == 0 && len == 10);
	CHECK(rng("bytes=10-19", 100, &off, &len) == 0 && off == 10 &&
	    len == 10);
	CHECK(rng("bytes=90-", 100, &off, &len) == 0 && off == 90 &&
	    len == 10);
	CHECK(rng("bytes=0-", 100, &off, &len) == 0 && off == 0 &&
	    len == 100);
	CHECK(rng("bytes=99-99", 100, &off, &len) == 0 && off == 99 &&
	    len == 1);
	/* The end is clamped to the object. */
	CHECK(rng("bytes=50-1000", 100, &off, &len) == 0 && off == 50 &&
	    len == 50);
	/* Suffix ranges. */
	CHECK(rng("bytes=-10", 100, &off, &len) == 0 && off == 90 &&
	    len == 10);
	CHECK(rng("bytes=-1000", 100, &off, &len) == 0 && off == 0 &&
	    len == 100);
	/* Unit case-insensitive, blanks around tolerated. */
	CHECK(rng(" Bytes=1-2 ", 100, &off, &len) == 0 && off == 1 &&
	    len == 2);
	/* Unsatisfiable. */
	CHECK(rng("bytes=100-", 100, &off, &len) == 2);
	CHECK(rng("bytes=100-200", 100, &off, &len) == 2);
	CHECK(rng("bytes=0-0", 0, &off, &len) == 2);
	CHECK(rng("bytes=-0", 100, &off, &len) == 2);
	CHECK(rng("bytes=-5", 0, &off, &len) == 2);
	/* Ignored: malformed, other units, several ranges, reversed. */
	CHECK(rng("bytes=9-0", 100, &off, &len) == 1);
	CHECK(rng("bytes=0-1,5-6", 100, &off, &len) == 1);
	CHECK(rng("items=0-1", 100, &off, &len) == 1);
	CHECK(rng("bytes=", 100, &off, &len) == 1);
	CHECK(rng("bytes=-", 100, &off, &len) == 1);
	CHECK(rng("bytes=a-b", 100, &off, &len) == 1);
	CHECK(rng("bytes=1", 100, &off, &len) == 1);
	CHECK(rng("bytes=+1-2", 100, &off, &len) == 1);
	CHECK(rng("bytes=1-2x", 100, &off, &len) == 1);
	CHECK(rng("bytes=99999999999999999999-", 100, &off, &len) == 1);
	CHECK(rng("", 100, &off, &len) == 1);
	/* Large objects. */
	CHECK(rng("bytes=4294967296-4294967300", (uint64_t)1 << 40, &off,
	    &len) == 0 && off == 4294967296ULL && len == 5);
}

static enum srv_auth_kind
basic(const char *userpass, struct srv_cred *c)
{
	char hdr[4096], b64[4000];

	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)userpass,
	    strlen(userpass), sodium_base64_VARIANT_ORIGINAL);
	snprintf(hdr, sizeof(hdr), "Basic %s", b64);
	return (srv_http_parse_auth(hdr, c));
}

static void
test_auth(void)
{
	struct srv_cred c;
	char big[SRV_SECRET_MAX + 32];

	CHECK(srv_http_parse_auth(NULL, &c) == AUTH_NONE);
	CHECK(basic("alice:secret", &c) == AUTH_BASIC);
	CHECK(strcmp(c.user, "alice") == 0);
	CHECK(c.secretlen == 6 && memcmp(c.secret, "secret", 6) == 0);
	/* The password may contain colons. */
	CHECK(basic("alice:a:b:c", &c) == AUTH_BASIC);
	CHECK(c.secretlen == 5 && memcmp(c.secret, "a:b:c", 5) == 0);
	/* A token as the password. */
	CHECK(basic("bob:cft_abc-DEF_123", &c) == AUTH_BASIC);
	CHECK(strcmp(c.secret, "cft_abc-DEF_123") == 0);
	/* Scheme names are case-insensitive. */
	CHECK(srv_http_parse_auth("basic YWxpY2U6c2VjcmV0", &c) ==
	    AUTH_BASIC && strcmp(c.user, "alice") == 0);
	CHECK(srv_http_parse_auth("Bearer cft_xyz", &c) == AUTH_BEARER);
	CHECK(strcmp(c.secret, "cft_xyz") == 0 && c.user[0] == '\0');
	CHECK(srv_http_parse_auth("bearer  cft_xyz", &c) == AUTH_BEARER);
	/* Malformed. */
	CHECK(basic("alice", &c) == AUTH_BAD);		/* no colon */
	CHECK(basic("alice:", &c) == AUTH_BAD);		/* empty secret */
	CHECK(basic(":secret", &c) == AUTH_BAD);	/* empty user */
	CHECK(basic("Alice:secret", &c) == AUTH_BAD);	/* invalid name */
	CHECK(basic("../x:secret", &c) == AUTH_BAD);
	CHECK(c.secret[0] == '\0' && c.secretlen == 0);	/* wiped */
	CHECK(srv_http_parse_auth("Basic !!!!", &c) == AUTH_BAD);
	/* A byte outside the alphabet (libsodium alone decodes 0x9e). */
	CHECK(srv_http_parse_auth("Basic YWxpY2U6c2VjcmV\x9e", &c) ==
	    AUTH_BAD);
	CHECK(srv_http_parse_auth("Basic YWxpY2U6c2Vj\x9emV0", &c) ==
	    AUTH_BAD);
	CHECK(srv_http_parse_auth("Basic YWxpY2U6c2VjcmV0=", &c) == AUTH_BAD);
	CHECK(srv_http_parse_auth("Basic", &c) == AUTH_BAD);
	CHECK(srv_http_parse_auth("Basic ", &c) == AUTH_BAD);
	CHECK(srv_http_parse_auth("Basic YWxpY2U6c2VjcmV0 x", &c) ==
	    AUTH_BAD);
	CHECK(srv_http_parse_auth("Bearer", &c) == AUTH_BAD);
	CHECK(srv_http_parse_auth("Bearer a b", &c) == AUTH_BAD);
	CHECK(srv_http_parse_auth("Digest x=y", &c) == AUTH_BAD);
	CHECK(srv_http_parse_auth("", &c) == AUTH_BAD);
	/* A NUL inside the decoded secret. */
	CHECK(srv_http_parse_auth("Basic YWxpY2U6YQBi", &c) == AUTH_BAD);
	/* Too long. */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "alice:", 6);
	CHECK(basic(big, &c) == AUTH_BAD);
	srv_cred_wipe(&c);
	CHECK(c.secretlen == 0);
}

static void
test_json_escape(void)
{
	char out[64];

	srv_json_escape("plain", out, sizeof(out));
	CHECK(strcmp(out, "plain") == 0);
	srv_json_escape("a\"b\\c", out, sizeof(out));
	CHECK(strcmp(out, "a\\\"b\\\\c") == 0);
	srv_json_escape("x\ny\x01\xff", out, sizeof(out));
	CHECK(strcmp(out, "x\\u000ay\\u0001\\u00ff") == 0);
	/* Truncated, never overflowing, never cutting an escape. */
	srv_json_escape("\n\n\n\n\n", out, 16);
	CHECK(strcmp(out, "\\u000a\\u000a") == 0);
}

int
main(void)
{

	if (sodium_init() < 0)
		return (1);
	RUN(test_range);
	RUN(test_auth);
	RUN(test_json_escape);
	return (TEST_EXIT());
}
