/*
 * cofferd's settings: defaults, the config file syntax (comments, blanks,
 * quotes, errors with line numbers), sizes and durations, bounds.
 */
#include <stdint.h>

#include "srv_config.h"
#include "util/warnp.h"
#include "test.h"

static int
parse(struct srv_config *c, const char *text)
{

	return (srv_config_parse(c, text, strlen(text), "test.conf"));
}

static void
test_defaults(void)
{
	struct srv_config c;

	CHECK(srv_config_init(&c) == 0);
	CHECK(c.data == NULL);
	CHECK(strcmp(c.listen, "127.0.0.1:8000") == 0);
	CHECK(c.tls_cert == NULL && c.tls_key == NULL);
	CHECK(c.max_object_size == 256ULL << 20);
	CHECK(c.max_connections == 256);
	CHECK(c.per_ip_connections == 64);
	CHECK(c.connection_timeout == 60);
	CHECK(c.max_header_bytes == 32 << 10);
	CHECK(c.threads == 0 && srv_config_threads(&c) >= 2);
	CHECK(c.thread_per_connection == 1);
	CHECK(c.metrics_auth == METRICS_LOOPBACK);
	CHECK(strcmp(c.metrics_user, "metrics") == 0);
	CHECK(c.shutdown_timeout == 30);
	CHECK(c.access_log == 1 && c.recount_usage == 1);
	/* Without data the settings are incomplete. */
	warnp_quiet(1);
	CHECK(srv_config_check(&c) == -1);
	warnp_quiet(0);
	srv_config_release(&c);
}

static void
test_file(void)
{
	struct srv_config c;

	CHECK(srv_config_init(&c) == 0);
	CHECK(parse(&c,
	    "# cofferd\n"
	    "\n"
	    "   # indented comment\n"
	    "data = /srv/cofferd\n"
	    "listen=0.0.0.0:8443   # trailing comment\n"
	    "tls_cert = \"/etc/cofferd/a b.pem\"  # quoted\n"
	    "tls_key\t=\t/etc/cofferd/key.pem\r\n"
	    "max_object_size = 1G\n"
	    "max_header_bytes = 64KiB\n"
	    "connection_timeout = 2m\n"
	    "shutdown_timeout = 10s\n"
	    "threads = 8\n"
	    "thread_per_connection = no\n"
	    "metrics_auth = auth\n"
	    "metrics_user = prom\n"
	    "access_log = off\n"
	    "recount_usage = false\n"
	    "per_ip_connections = 0\n"
	    "max_connections = 1000") == 0);
	CHECK(strcmp(c.data, "/srv/cofferd") == 0);
	CHECK(strcmp(c.listen, "0.0.0.0:8443") == 0);
	CHECK(strcmp(c.tls_cert, "/etc/cofferd/a b.pem") == 0);
	CHECK(strcmp(c.tls_key, "/etc/cofferd/key.pem") == 0);
	CHECK(c.max_object_size == 1ULL << 30);
	CHECK(c.max_header_bytes == 64 << 10);
	CHECK(c.connection_timeout == 120);
	CHECK(c.shutdown_timeout == 10);
	CHECK(c.threads == 8 && srv_config_threads(&c) == 8);
	CHECK(c.thread_per_connection == 0);
	CHECK(c.metrics_auth == METRICS_AUTH);
	CHECK(strcmp(c.metrics_user, "prom") == 0);
	CHECK(c.access_log == 0 && c.recount_usage == 0);
	CHECK(c.per_ip_connections == 0 && c.max_connections == 1000);
	CHECK(srv_config_check(&c) == 0);
	/* A later layer overrides; '-' works for '_' (the flags). */
	CHECK(srv_config_set(&c, "max-object-size", "2M", "--flag") == 0);
	CHECK(c.max_object_size == 2 << 20);
	CHECK(srv_config_set(&c, "tls_key", "", "--flag") == 0);
	warnp_quiet(1);
	CHECK(c.tls_key == NULL && srv_config_check(&c) == -1);
	warnp_quiet(0);
	srv_config_release(&c);
	CHECK(c.data == NULL);
}

/* log_witness: each value (file line or flag) adds one; needs a log. */
static void
test_list(void)
{
	struct srv_config c;

	CHECK(srv_config_init(&c) == 0);
	CHECK(c.log_witness == NULL);
	CHECK(parse(&c, "data = /d\nlog_witness = http://a=K1\n") == 0);
	CHECK(srv_config_set(&c, "log-witness", "http://b=K2", "--flag") == 0);
	CHECK(c.log_witness != NULL &&
	    strcmp(c.log_witness, "http://a=K1 http://b=K2") == 0);
	warnp_quiet(1);
	CHECK(srv_config_set(&c, "log-witness", "a b", "--flag") == -1);
	CHECK(srv_config_set(&c, "log-witness", "", "--flag") == -1);
	CHECK(srv_config_check(&c) == -1);
	warnp_quiet(0);
	CHECK(srv_config_set(&c, "log", "x.example/log", "--flag") == 0);
	CHECK(srv_config_check(&c) == 0);
	srv_config_release(&c);
	CHECK(c.log_witness == NULL);
}

static void
test_errors(void)
{
	struct srv_config c;

	CHECK(srv_config_init(&c) == 0);
	warnp_quiet(1);
	CHECK(parse(&c, "nonsense = 1\n") == -1);
	CHECK(parse(&c, "data\n") == -1);
	CHECK(parse(&c, "= x\n") == -1);
	CHECK(parse(&c, "data /x\n") == -1);
	CHECK(parse(&c, "tls_cert = \"unterminated\n") == -1);
	CHECK(parse(&c, "tls_cert = \"a\" junk\n") == -1);
	CHECK(parse(&c, "max_object_size = 12Q\n") == -1);
	CHECK(parse(&c, "max_object_size = -1\n") == -1);
	CHECK(parse(&c, "max_object_size = 0\n") == -1);	/* below min */
	CHECK(parse(&c, "max_object_size = 2T\n") == -1);	/* above max */
	CHECK(parse(&c, "max_object_size = 99999999999999999999\n") == -1);
	CHECK(parse(&c, "max_object_size = 20000000000000000T\n") == -1);
	CHECK(parse(&c, "max_connections = 0\n") == -1);
	CHECK(parse(&c, "max_connections = 10k\n") == -1);
	CHECK(parse(&c, "max_header_bytes = 100\n") == -1);
	CHECK(parse(&c, "connection_timeout = 5 s\n") == -1);
	CHECK(parse(&c, "connection_timeout = 1d\n") == -1);
	CHECK(parse(&c, "access_log = maybe\n") == -1);
	CHECK(parse(&c, "metrics_auth = everyone\n") == -1);
	CHECK(srv_config_parse(&c, "data = a\0b\n", 11, "t") == -1);
	/* A failed line leaves the settings before it applied. */
	CHECK(parse(&c, "threads = 3\nbad line\nthreads = 5\n") == -1);
	CHECK(c.threads == 3);
	warnp_quiet(0);
	/* Nothing but comments is fine. */
	CHECK(parse(&c, "# only\n\n# comments") == 0);
	CHECK(parse(&c, "") == 0);
	srv_config_release(&c);
}

static void
test_units(void)
{
	uint64_t v;

	CHECK(srv_parse_size("0", &v) == 0 && v == 0);
	CHECK(srv_parse_size("512", &v) == 0 && v == 512);
	CHECK(srv_parse_size("4k", &v) == 0 && v == 4096);
	CHECK(srv_parse_size("4K", &v) == 0 && v == 4096);
	CHECK(srv_parse_size("4KB", &v) == 0 && v == 4096);
	CHECK(srv_parse_size("4KiB", &v) == 0 && v == 4096);
	CHECK(srv_parse_size("3M", &v) == 0 && v == 3ULL << 20);
	CHECK(srv_parse_size("5G", &v) == 0 && v == 5ULL << 30);
	CHECK(srv_parse_size("2T", &v) == 0 && v == 2ULL << 40);
	CHECK(srv_parse_size("", &v) == -1);
	CHECK(srv_parse_size("M", &v) == -1);
	CHECK(srv_parse_size("1.5M", &v) == -1);
	CHECK(srv_parse_size("1MiBs", &v) == -1);
	CHECK(srv_parse_size("16777216T", &v) == -1);	/* overflows */
	CHECK(srv_parse_duration("30", &v) == 0 && v == 30);
	CHECK(srv_parse_duration("30s", &v) == 0 && v == 30);
	CHECK(srv_parse_duration("2m", &v) == 0 && v == 120);
	CHECK(srv_parse_duration("1h", &v) == 0 && v == 3600);
	CHECK(srv_parse_duration("1x", &v) == -1);
	CHECK(srv_parse_duration("-1", &v) == -1);
}

int
main(void)
{

	RUN(test_defaults);
	RUN(test_file);
	RUN(test_list);
	RUN(test_errors);
	RUN(test_units);
	return (TEST_EXIT());
}
