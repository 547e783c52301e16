/*
 * cofferd's URL paths: every traversal and encoding trick is refused with
 * the right status, every valid path parses to what it names; and the
 * permission table of read, append and full credentials.
 */
#include <stdint.h>

#include "srv_rest.h"
#include "test.h"

#define H64 "0123456789abcdef0123456789abcdef" \
	    "0123456789abcdef0123456789abcdef"

static int
st(const char *url)
{
	struct srv_path p;
	const char *why = NULL;
	int rc;

	rc = srv_rest_parse_path(url, &p, &why);
	if (rc != 0 && (why == NULL || why[0] == '\0'))
		return (-1);	/* a refusal must say why */
	return (rc);
}

static void
test_valid(void)
{
	struct srv_path p;
	const char *why;

	CHECK(srv_rest_parse_path("/alice/repo/", &p, &why) == 0);
	CHECK(p.kind == PATH_REPO);
	CHECK(strcmp(p.user, "alice") == 0 && strcmp(p.repo, "repo") == 0);

	CHECK(srv_rest_parse_path("/alice/repo/config", &p, &why) == 0);
	CHECK(p.kind == PATH_CONFIG && p.type == SRV_OBJ_CONFIG);

	CHECK(srv_rest_parse_path("/a.b_c-d/r.1/keys/", &p, &why) == 0);
	CHECK(p.kind == PATH_LIST && p.type == SRV_OBJ_KEYS);
	CHECK(strcmp(p.user, "a.b_c-d") == 0 && strcmp(p.repo, "r.1") == 0);

	CHECK(srv_rest_parse_path("/u/r/data/" H64, &p, &why) == 0);
	CHECK(p.kind == PATH_OBJECT && p.type == SRV_OBJ_DATA);
	CHECK(strcmp(p.name, H64) == 0);

	CHECK(srv_rest_parse_path("/u/r/index/" H64, &p, &why) == 0);
	CHECK(p.type == SRV_OBJ_INDEX);
	CHECK(srv_rest_parse_path("/u/r/snapshots/" H64, &p, &why) == 0);
	CHECK(p.type == SRV_OBJ_SNAPSHOTS);
	CHECK(srv_rest_parse_path("/u/r/locks/", &p, &why) == 0);
	CHECK(p.type == SRV_OBJ_LOCKS && p.kind == PATH_LIST);

	CHECK(srv_rest_parse_path("/metrics", &p, &why) == 0);
	CHECK(p.kind == PATH_METRICS);

	/* Harmless escapes of allowed characters decode. */
	CHECK(srv_rest_parse_path("/%61lice/repo/config", &p, &why) == 0);
	CHECK(strcmp(p.user, "alice") == 0);

	/* A user called "metrics" is still reachable. */
	CHECK(srv_rest_parse_path("/metrics/r/config", &p, &why) == 0);
	CHECK(p.kind == PATH_CONFIG && strcmp(p.user, "metrics") == 0);

	/* 64-character names are the longest allowed. */
	CHECK(srv_rest_parse_path("/" H64 "/" H64 "/", &p, &why) == 0);
}

static void
test_traversal(void)
{

	CHECK(st("/alice/../bob/r/config") == 400);
	CHECK(st("/alice/r/keys/..") == 400);
	CHECK(st("/alice/r/..") == 400);
	CHECK(st("/..") == 400);
	CHECK(st("/../alice/r/") == 400);
	CHECK(st("/alice/./r/config") == 400);
	CHECK(st("/./alice/r/") == 400);
	CHECK(st("/alice/%2e%2e/r/config") == 400);
	CHECK(st("/alice/%2E%2E/r/config") == 400);
	CHECK(st("/alice/.%2e/r/config") == 400);
	CHECK(st("/alice/%2e/r/config") == 400);
	/* Encoded slashes and backslashes. */
	CHECK(st("/alice/r%2Fkeys/") == 400);
	CHECK(st("/alice/r%2fkeys/") == 400);
	CHECK(st("/alice%2f..%2fbob/r/config") == 400);
	CHECK(st("/alice/r/keys%2F" H64) == 400);
	CHECK(st("/alice/r/..%5ckeys/") == 400);
	CHECK(st("/alice/r/..\\keys/") == 400);
	CHECK(st("/alice/r%5C..%5Cbob/config") == 400);
	/* Empty segments. */
	CHECK(st("//alice/r/config") == 400);
	CHECK(st("/alice//r/config") == 400);
	CHECK(st("/alice/r//config") == 400);
	CHECK(st("/alice/r/keys//") == 400);
	CHECK(st("//") == 400);
	/* Not absolute. */
	CHECK(st("alice/r/config") == 400);
	CHECK(st("") == 400);
	CHECK(st("http://host/alice/r/config") == 400);
	CHECK(st("*") == 400);
	/* NUL, control characters, bad escapes, non-ASCII. */
	CHECK(st("/alice/r/%00config") == 400);
	CHECK(st("/alice/r/keys/%00") == 400);
	CHECK(st("/alice/r/%0aconfig") == 400);
	CHECK(st("/alice/r/\x01/") == 400);
	CHECK(st("/alice/r/%zz/") == 400);
	CHECK(st("/alice/r/%2") == 400);
	CHECK(st("/alice/r/%") == 400);
	CHECK(st("/al\xc3\xa9/r/config") == 400);
	CHECK(st("/alice/r/%c3%a9/") == 400);
	CHECK(st("/alice/r /config") == 400);
	CHECK(st("/alice/r/%20/") == 400);
}

static void
test_names(void)
{
	char longp[SRV_PATH_MAX + 16];
	size_t i;

	/* Users and repositories. */
	CHECK(st("/Alice/r/config") == 400);
	CHECK(st("/alice/R/config") == 400);
	CHECK(st("/.alice/r/config") == 400);
	CHECK(st("/alice/.r/config") == 400);
	CHECK(st("/alice/.git/config") == 400);
	CHECK(st("/al+ice/r/config") == 400);
	CHECK(st("/alice/r:1/config") == 400);
	CHECK(st("/alice/r%3F/config") == 400);
	CHECK(st("/" H64 "x/r/") == 400);
	CHECK(st("/u/" H64 "x/") == 400);
	/* Object names: 64 lower-case hex digits exactly. */
	CHECK(st("/u/r/data/abc") == 400);
	CHECK(st("/u/r/data/" H64 "0") == 400);
	CHECK(st("/u/r/keys/0123456789ABCDEF0123456789abcdef"
	    "0123456789abcdef0123456789abcdef") == 400);
	CHECK(st("/u/r/keys/g123456789abcdef0123456789abcdef"
	    "0123456789abcdef0123456789abcdef") == 400);
	CHECK(st("/u/r/data/.." H64) == 400);
	/* Types. */
	CHECK(st("/u/r/foo/") == 404);
	CHECK(st("/u/r/foo/" H64) == 404);
	CHECK(st("/u/r/config/") == 404);
	CHECK(st("/u/r/config/" H64) == 404);
	CHECK(st("/u/r/Data/") == 404);
	/* Routes that do not exist. */
	CHECK(st("/") == 404);
	CHECK(st("/alice") == 404);
	CHECK(st("/alice/") == 404);
	CHECK(st("/alice/r") == 404);
	CHECK(st("/metrics/") == 404);
	CHECK(st("/u/r/keys") == 404);
	CHECK(st("/u/r/data/" H64 "/") == 404);
	CHECK(st("/u/r/data/ab/" H64) == 404);
	/* Length. */
	longp[0] = '/';
	for (i = 1; i < sizeof(longp) - 1; i++)
		longp[i] = (i % 60 == 0) ? '/' : 'a';
	longp[sizeof(longp) - 1] = '\0';
	CHECK(st(longp) == 400);
}

static void
test_ops(void)
{
	enum srv_op op;

	CHECK(srv_rest_op(PATH_REPO, METHOD_POST, &op) == 0 &&
	    op == OP_CREATE_REPO);
	CHECK(srv_rest_op(PATH_REPO, METHOD_DELETE, &op) == 0 &&
	    op == OP_DELETE_REPO);
	CHECK(srv_rest_op(PATH_REPO, METHOD_GET, &op) == 405);
	CHECK(srv_rest_op(PATH_LIST, METHOD_GET, &op) == 0 && op == OP_LIST);
	CHECK(srv_rest_op(PATH_LIST, METHOD_POST, &op) == 405);
	CHECK(srv_rest_op(PATH_LIST, METHOD_DELETE, &op) == 405);
	CHECK(srv_rest_op(PATH_CONFIG, METHOD_HEAD, &op) == 0 && op == OP_READ);
	CHECK(srv_rest_op(PATH_OBJECT, METHOD_GET, &op) == 0 && op == OP_READ);
	CHECK(srv_rest_op(PATH_OBJECT, METHOD_POST, &op) == 0 &&
	    op == OP_WRITE);
	CHECK(srv_rest_op(PATH_OBJECT, METHOD_DELETE, &op) == 0 &&
	    op == OP_DELETE);
	CHECK(srv_rest_op(PATH_OBJECT, METHOD_OTHER, &op) == 405);
	CHECK(srv_method_parse("GET") == METHOD_GET);
	CHECK(srv_method_parse("get") == METHOD_OTHER);
	CHECK(srv_method_parse("PUT") == METHOD_OTHER);
}

/* The whole permission table. */
static void
test_permissions(void)
{
	static const struct {
		enum srv_op op;
		enum srv_obj_type t;
		int exists;
		int read, append, full;
	} tab[] = {
		{ OP_READ, SRV_OBJ_DATA, 1,		1, 1, 1 },
		{ OP_READ, SRV_OBJ_CONFIG, 1,		1, 1, 1 },
		{ OP_LIST, SRV_OBJ_SNAPSHOTS, 0,	1, 1, 1 },
		{ OP_CREATE_REPO, SRV_OBJ_CONFIG, 0,	0, 1, 1 },
		{ OP_WRITE, SRV_OBJ_DATA, 0,		0, 1, 1 },
		{ OP_WRITE, SRV_OBJ_DATA, 1,		0, 0, 1 },
		{ OP_WRITE, SRV_OBJ_CONFIG, 0,		0, 1, 1 },
		{ OP_WRITE, SRV_OBJ_CONFIG, 1,		0, 0, 1 },
		{ OP_WRITE, SRV_OBJ_KEYS, 1,		0, 0, 1 },
		{ OP_WRITE, SRV_OBJ_LOCKS, 0,		0, 1, 1 },
		{ OP_WRITE, SRV_OBJ_LOCKS, 1,		0, 0, 1 },
		{ OP_WRITE, SRV_OBJ_SNAPSHOTS, 0,	0, 1, 1 },
		{ OP_DELETE, SRV_OBJ_LOCKS, 1,		0, 1, 1 },
		{ OP_DELETE, SRV_OBJ_DATA, 1,		0, 0, 1 },
		{ OP_DELETE, SRV_OBJ_INDEX, 1,		0, 0, 1 },
		{ OP_DELETE, SRV_OBJ_SNAPSHOTS, 1,	0, 0, 1 },
		{ OP_DELETE, SRV_OBJ_KEYS, 1,		0, 0, 1 },
		{ OP_DELETE, SRV_OBJ_CONFIG, 1,		0, 0, 1 },
		{ OP_DELETE_REPO, SRV_OBJ_CONFIG, 1,	0, 0, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		CHECK(srv_rest_allowed(PERM_READ, tab[i].op, tab[i].t,
		    tab[i].exists) == tab[i].read);
		CHECK(srv_rest_allowed(PERM_APPEND, tab[i].op, tab[i].t,
		    tab[i].exists) == tab[i].append);
		CHECK(srv_rest_allowed(PERM_FULL, tab[i].op, tab[i].t,
		    tab[i].exists) == tab[i].full);
		CHECK(srv_rest_allowed(PERM_NONE, tab[i].op, tab[i].t,
		    tab[i].exists) == 0);
		if (test_failed_now) {
			fprintf(stderr, "  row %zu\n", i);
			break;
		}
	}
}

int
main(void)
{

	RUN(test_valid);
	RUN(test_traversal);
	RUN(test_names);
	RUN(test_ops);
	RUN(test_permissions);
	return (TEST_EXIT());
}
