#ifndef COFFERD_SRV_CONFIG_H
#define COFFERD_SRV_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/*
 * cofferd's settings: built-in defaults, then a config file of
 * "key = value" lines (# starts a comment), then command-line flags
 * ("--key value" or "--key=value", with '-' or '_' in the key), each layer
 * overriding the one before.  contrib/cofferd.conf lists every key with its
 * default; docs/SERVER.md explains each.
 */

#define COFFERD_VERSION		"0.1.0"
#define COFFERD_PROTOCOL	"1"

/* Who may read GET /metrics. */
enum srv_metrics_auth {
	METRICS_LOOPBACK = 0,	/* loopback: anyone; others: metrics_user */
	METRICS_AUTH,		/* everyone must log in as metrics_user */
	METRICS_NONE,		/* anyone, from anywhere */
	METRICS_OFF		/* /metrics answers 404 */
};

struct srv_config {
	char *data;			/* state and objects; required */
	char *listen;			/* HOST:PORT */
	char *tls_cert;			/* PEM files; both or neither */
	char *tls_key;
	uint64_t max_object_size;	/* bytes, per uploaded object */
	unsigned max_connections;
	unsigned per_ip_connections;
	unsigned connection_timeout;	/* seconds idle before a close */
	uint64_t max_header_bytes;	/* per-connection memory limit */
	int thread_per_connection;	/* a thread per connection (default) */
	unsigned threads;		/* else a pool this big (0: 2/core) */
	enum srv_metrics_auth metrics_auth;
	char *metrics_user;
	unsigned shutdown_timeout;	/* seconds to let requests finish */
	int access_log;			/* one JSON line per request */
	int recount_usage;		/* recount accounts' usage at start */
	int realm;			/* serve the recovery realm API */
	char *jurisdiction;		/* the realm's declared label */
	char *log;			/* transparency log origin, or NULL */
	unsigned log_interval;		/* seconds between log passes */
	char *log_witness;		/* "URL=VKEY ...", each --log-witness */
	char *storage;			/* NULL (local) or s3:URL */
};

/* srv_config_init(c): the built-in defaults.  0 or -1 (ENOMEM). */
int srv_config_init(struct srv_config *);

/* srv_config_release(c): free the strings.  c may be re-initialized. */
void srv_config_release(struct srv_config *);

/*
 * srv_config_set(c, key, value, where): set one setting from text.  key
 * may use '-' for '_'.  where ("file:line" or "--flag") prefixes the
 * message when the key is unknown or the value invalid.  Sizes take an
 * optional K, M, G, T suffix (powers of 1024, "KiB" and "k" accepted);
 * durations an optional s, m, h suffix; booleans are on/off, yes/no,
 * true/false, 1/0.  Returns 0, or -1 (reported).
 */
int srv_config_set(struct srv_config *, const char *, const char *,
    const char *);

/* srv_config_is_key(key): 1 if key (with '-' or '_') names a setting. */
int srv_config_is_key(const char *);

/*
 * srv_config_parse(c, text, len, name): apply a config file's text, name
 * being its path for messages.  Lines are "key = value"; blank lines and
 * lines whose first non-blank character is '#' are ignored, as is a '#'
 * preceded by blank space after the value.  Values may be quoted with "".
 * Returns 0, or -1 on the first bad line (reported with its number).
 */
int srv_config_parse(struct srv_config *, const char *, size_t,
    const char *);

/* srv_config_load(c, path): read the file (at most 1 MiB), then parse. */
int srv_config_load(struct srv_config *, const char *);

/*
 * srv_config_check(c): the cross-setting checks done once all layers are
 * in (data set, TLS files paired, limits non-zero).  0 or -1 (reported).
 */
int srv_config_check(const struct srv_config *);

/* srv_config_threads(c): the thread pool size in effect (resolves 0). */
unsigned srv_config_threads(const struct srv_config *);

/* srv_parse_size(s, &v) / srv_parse_duration(s, &secs): 0 or -1. */
int srv_parse_size(const char *, uint64_t *);
int srv_parse_duration(const char *, uint64_t *);

#endif
