/*
 * cofferd: the multi-tenant storage server for coffer and restic clients.
 *
 *   cofferd serve --data DIR --listen HOST:PORT [--tls-cert F --tls-key F]
 *                 [--config FILE] [--SETTING VALUE ...]
 *   cofferd user|token|audit ...     (srv_admin_main)
 *   cofferd --version | --help
 *
 * serve: settings from the defaults, the config file, then the flags;
 * open the database and the store; recount usage; serve until SIGTERM or
 * SIGINT; then stop accepting, let requests in flight finish (at most
 * shutdown_timeout seconds), close everything and exit 0.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "util/warnp.h"

#include "srv_admin.h"
#include "srv_config.h"
#include "srv_db.h"
#include "srv_http.h"
#include "srv_log.h"
#include "srv_witness.h"
#include "srv_metrics.h"
#include "srv_realm.h"
#include "srv_storage.h"
#include "srv_store.h"

static void
usage(FILE *f)
{

	fprintf(f,
"usage: cofferd serve --data DIR --listen HOST:PORT\n"
"                     [--tls-cert CERT.pem --tls-key KEY.pem]\n"
"                     [--realm --jurisdiction CODE]\n"
"                     [--config FILE] [--SETTING VALUE ...]\n"
"       cofferd user add|passwd|remove|list|quota ... --data DIR\n"
"       cofferd token add|revoke|list ... --data DIR\n"
"       cofferd audit [NAME] --data DIR\n"
"       cofferd log init ORIGIN --data DIR | cofferd log vkey --data DIR\n"
"       cofferd witness --data DIR --listen HOST:PORT --log VKEY... "
"[--name NAME]\n"
"       cofferd witness vkey --data DIR\n"
"       cofferd --version | --help\n"
"\n"
"cofferd stores coffer and restic repositories for many accounts and\n"
"speaks restic's REST protocol (v1 and v2).  Clients use\n"
"  rest:https://USER:SECRET@HOST:PORT/USER/REPO/\n"
"where SECRET is the account's password or one of its tokens\n"
"(cofferd token add USER --perm full|append|read --data DIR).\n"
"\n"
"Running behind TLS.  Credentials travel in every request, so never\n"
"serve anything but loopback without TLS.  Either:\n"
"  1. let cofferd speak TLS itself:\n"
"       cofferd serve --data /var/lib/cofferd --listen 0.0.0.0:8443 \\\n"
"           --tls-cert /etc/cofferd/cert.pem --tls-key /etc/cofferd/key.pem\n"
"     (PEM files, e.g. from Let's Encrypt; the key is read once at start,\n"
"     so restart cofferd after renewing it); or\n"
"  2. keep cofferd on loopback (--listen 127.0.0.1:8000) and put a TLS\n"
"     proxy in front (nginx, haproxy, caddy) that passes the\n"
"     Authorization header and request bodies through unbuffered and\n"
"     allows bodies up to max_object_size.\n"
"Clients then use rest:https://...; restic takes --cacert FILE for a\n"
"private CA.\n"
"\n"
"Settings (defaults in parentheses; also in --config FILE as\n"
"\"key = value\"; see contrib/cofferd.conf and docs/SERVER.md):\n"
"  --max-object-size N (256M)   --max-connections N (256)\n"
"  --per-ip-connections N (64)  --connection-timeout SECS (60)\n"
"  --max-header-bytes N (32K)   --thread-per-connection yes|no (yes)\n"
"  --threads N (pool size when not per connection; 0: 2 per core)\n"
"  --metrics-auth loopback|auth|none|off (loopback)\n"
"  --metrics-user NAME (metrics)  --shutdown-timeout SECS (30)\n"
"  --access-log on|off (on)     --recount-usage on|off (on)\n"
"  --storage local|s3:http(s)://HOST:PORT/BUCKET[/PREFIX] (local: DIR/repos;\n"
"     S3 credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)\n"
"  --realm [on|off] (off)       --jurisdiction CODE (none)\n"
"\n"
"With --realm, cofferd is also a passcode-recovery realm: it answers\n"
"/realm/v1/... (docs/RECOVERY.md) for its accounts, keeps its state in\n"
"DIR/realm.db, and declares the jurisdiction CODE (e.g. DE) to clients.\n"
"  --log ORIGIN (none: no transparency log; e.g. backup.example.org/log)\n"
"  --log-interval SECS (1)\n"
"  --log-witness URL=VKEY (repeatable: a C2SP witness that cosigns)\n"
"\n"
"cofferd prints \"cofferd listening on HOST:PORT\" on standard error when\n"
"ready, then one JSON line per request; SIGTERM stops it gracefully.\n");
}

/*
 * Apply the flags of `serve` to cfg.  With only_config set, just find
 * --config; otherwise apply every flag but --config.  0 or -1 (reported).
 */
static int
apply_flags(struct srv_config *cfg, int argc, char **argv, int only_config,
    const char **config)
{
	char key[64];
	const char *a, *val, *eq;
	size_t kl;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strncmp(a, "--", 2) != 0) {
			warn0("serve: unexpected argument \"%s\"", a);
			return (-1);
		}
		a += 2;
		kl = ((eq = strchr(a, '=')) != NULL) ? (size_t)(eq - a) :
		    strlen(a);
		if (kl >= sizeof(key)) {
			warn0("serve: unknown option --%.20s...", a);
			return (-1);
		}
		memcpy(key, a, kl);
		key[kl] = '\0';
		if (eq != NULL) {
			val = eq + 1;
		} else if (strcmp(key, "realm") == 0 && (i + 1 == argc ||
		    strncmp(argv[i + 1], "--", 2) == 0)) {
			val = "on";	/* a bare --realm */
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			warn0("serve: option --%s needs a value", key);
			return (-1);
		}
		if (strcmp(key, "config") == 0) {
			*config = val;
			continue;
		}
		if (!srv_config_is_key(key)) {
			warn0("serve: unknown option --%s", key);
			return (-1);
		}
		if (!only_config && srv_config_set(cfg, key, val, argv[i]))
			return (-1);
	}
	return (0);
}

/*
 * Set every account's usage to what its repositories hold, so that quota
 * reserved by uploads a crash interrupted is given back.
 */
static int
recount(struct srv_db *db, struct srv_store *st)
{
	struct srv_user_info *v = NULL;
	uint64_t bytes;
	size_t n, i;
	int rc;

	if (srv_user_list(db, &v, &n))
		return (-1);
	for (i = 0; i < n; i++) {
		rc = st->ops->usage(st->cookie, v[i].name, &bytes);
		if (rc == 1)
			bytes = 0;
		else if (rc != 0)
			break;
		if (bytes != v[i].used && srv_usage_set(db, v[i].name, bytes))
			break;
	}
	free(v);
	return (i == n ? 0 : -1);
}

/* Serve until a signal; with cfg complete and signals blocked. */
/* Each "URL=VKEY" of the space-separated list (log_witness). */
static int
add_witnesses(struct srv_log *log, const char *list)
{
	char *copy, *w, *save = NULL;
	int rc = 0;

	if (list == NULL)
		return (0);
	if ((copy = strdup(list)) == NULL) {
		warnp("strdup");
		return (-1);
	}
	for (w = strtok_r(copy, " ", &save); w != NULL && rc == 0;
	    w = strtok_r(NULL, " ", &save))
		rc = srv_log_witness(log, w);
	free(copy);
	return (rc);
}

static int
serve(const struct srv_config *cfg, const sigset_t *sigs)
{
	struct srv_db *db = NULL;
	struct srv_store *st = NULL;
	struct srv_metrics *m = NULL;
	struct srv_realm *realm = NULL;
	struct srv_log *log = NULL;
	struct srv_user_info ui;
	struct srv_server *srv;
	int64_t left;
	int sig, rc = 1;

	if (srv_db_open(cfg->data, &db))
		return (1);
	if (srv_storage_open(cfg->data, cfg->storage, 1, &st) ||
	    (m = srv_metrics_new()) == NULL)
		goto done;
	if (cfg->recount_usage && recount(db, st))
		goto done;
	if (cfg->realm && srv_realm_open(cfg->data, cfg->jurisdiction, db,
	    &realm))
		goto done;
	if (cfg->log != NULL) {
		/* /log/ is the log's: an account named "log" would be hidden. */
		if (srv_user_get(db, "log", &ui) == 0) {
			warn0("an account is named \"log\": its repositories "
			    "would be hidden by the transparency log's /log/");
			goto done;
		}
		if (srv_log_open(cfg->data, cfg->log, &log) ||
		    add_witnesses(log, cfg->log_witness) ||
		    srv_log_start(log, cfg->log_interval * 1000))
			goto done;
	}
	if (srv_http_start(cfg, db, st, m, realm, log, &srv))
		goto done;
	if (realm != NULL)
		fprintf(stderr, "cofferd realm %s, jurisdiction %s\n",
		    srv_realm_id_hex(realm), cfg->jurisdiction);
	fprintf(stderr, "cofferd listening on %s\n", srv_http_address(srv));
	fflush(stderr);
	do {
		if (sigwait(sigs, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);
	warn0("signal %d: finishing requests in flight (at most %u s)", sig,
	    cfg->shutdown_timeout);
	if ((left = srv_http_stop(srv, cfg->shutdown_timeout)) > 0)
		warn0("%lld requests cut short", (long long)left);
	rc = 0;
done:
	/* After the last request: a last pass logs what they audited. */
	srv_log_close(log);
	srv_realm_close(realm);
	srv_metrics_free(m);
	srv_store_free(st);
	srv_db_close(db);
	if (rc == 0)
		warn0("stopped");
	return (rc);
}

static int
serve_main(int argc, char **argv)
{
	struct srv_config cfg;
	const char *config = NULL;
	sigset_t sigs;
	int i, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return (0);
		}
	}
	if (srv_config_init(&cfg))
		return (1);
	if (apply_flags(&cfg, argc, argv, 1, &config) ||
	    (config != NULL && srv_config_load(&cfg, config)) ||
	    apply_flags(&cfg, argc, argv, 0, &config) ||
	    srv_config_check(&cfg))
		goto done;
	/*
	 * Block the stop signals before any thread starts, so that every
	 * thread inherits the mask and only sigwait() below receives them.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0) {
		warn0("pthread_sigmask failed");
		goto done;
	}
	signal(SIGPIPE, SIG_IGN);
	if (crypto_init())
		goto done;
	rc = serve(&cfg, &sigs);
done:
	srv_config_release(&cfg);
	return (rc);
}

int
main(int argc, char **argv)
{
	const char *cmd;

	warnp_setprogname("cofferd");
	/* Credentials pass through memory: no core dumps. */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	umask(077);
	if (argc < 2) {
		usage(stderr);
		return (1);
	}
	cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
	    strcmp(cmd, "help") == 0) {
		usage(stdout);
		return (0);
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		printf("cofferd %s (protocol %s)\n", COFFERD_VERSION,
		    COFFERD_PROTOCOL);
		return (0);
	}
	if (strcmp(cmd, "serve") == 0)
		return (serve_main(argc - 1, argv + 1));
	if (strcmp(cmd, "log") == 0)
		return (srv_log_main(argc - 1, argv + 1));
	if (strcmp(cmd, "witness") == 0)
		return (srv_witness_main(argc - 1, argv + 1));
	if (strcmp(cmd, "user") == 0 || strcmp(cmd, "token") == 0 ||
	    strcmp(cmd, "audit") == 0)
		return (srv_admin_main(argc - 1, argv + 1));
	warn0("unknown command \"%s\" (see cofferd --help)", cmd);
	return (1);
}
