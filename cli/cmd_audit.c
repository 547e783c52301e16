/*
 * coffer audit [--since DATE]
 * coffer audit --monitor URL [--log-key VKEY [--witness VKEY]...
 *     [--quorum K]]
 *
 * audit: every event the server's transparency log holds for this
 * account (since DATE), each entry authenticated by recomputing the whole
 * tree against the verified checkpoint, with flags ("!") on what this
 * user's clients did not do: key slots added or removed and snapshots
 * removed that are not in this machine's record, snapshots added that are
 * neither in its record nor authentic in the repository, every action of
 * the operator (but creating the account) and every recovery attempt;
 * and on what the log hides: a change this machine made, or a snapshot in
 * the repository, that no entry shows, or a break in the chain of the
 * account's entries; and on snapshots the log shows added and never
 * removed that the repository no longer has (deleted or withheld).  Exit 0 if nothing is flagged, EXIT_LOG (13) if
 * something is.
 *
 * --monitor URL: an independent monitor of the log at URL (its prefix,
 * e.g. https://backup.example.org/log): recompute every tile and the root
 * from the entry bundles, check every account's chain and that the log
 * extends what this monitor saw last ($COFFER_CONFIG_DIR/monitor/).  The
 * key is --log-key's, or the one pinned for -r's repository.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/crypto.h"
#include "snapshot/snapshot.h"
#include "tlog/client.h"
#include "util/warnp.h"

#include "cli.h"

struct ids {
	uint8_t (*v)[32];
	size_t n, cap;
};

static int
ids_add(struct ids *s, const uint8_t id[32])
{
	void *p;

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 32;
		if ((p = realloc(s->v, s->cap * 32)) == NULL)
			return (-1);
		s->v = p;
	}
	memcpy(s->v[s->n++], id, 32);
	return (0);
}

static int
ids_has(const struct ids *s, const uint8_t id[32])
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (memcmp(s->v[i], id, 32) == 0)
			return (1);
	return (0);
}

static int
list_cb(void *cookie, const char *name, uint64_t size)
{
	uint8_t id[32];

	(void)size;
	if (hex_decode(name, id, 32) == 0 && ids_add(cookie, id))
		return (-1);
	return (0);
}

/* Did this machine do (ev, subject)? */
static int
did(const struct tlog_action *a, size_t na, unsigned ev,
    const uint8_t subj[32])
{
	size_t i;

	for (i = 0; i < na; i++)
		if ((a[i].event == ev || (a[i].event == 0 &&
		    (ev == TLOG_EV_SNAPSHOT_ADD || ev == TLOG_EV_KEY_ADD))) &&
		    memcmp(a[i].subject, subj, 32) == 0)
			return (1);
	return (0);
}

/* Is (ev, subject) of our repository in the log? */
static int
logged(const struct tlog_item *v, size_t n, const uint8_t acct[16],
    const uint8_t scope[8], unsigned ev, const uint8_t subj[32])
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].e.event == ev && memcmp(v[i].e.account, acct, 16) ==
		    0 && memcmp(v[i].e.scope, scope, 8) == 0 &&
		    memcmp(v[i].e.subject, subj, 32) == 0)
			return (1);
	return (0);
}

static void
when(int64_t t, char *out, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(out, size, "%Y-%m-%d %H:%M:%S", localtime_r(&tt, &tm));
}

static void
flag(size_t *nflags, const char *why)
{

	printf("  ! %s\n", why);
	(*nflags)++;
}

/* Why one of the account's entries is flagged, or NULL. */
static const char *
verdict(const struct tlog_entry *e, int ours, const struct tlog_action *a,
    size_t na, const struct ids *authentic)
{

	if (tlog_event_is_repo(e->event) && !ours)
		return (NULL);		/* another repository of the account */
	switch (e->event) {
	case TLOG_EV_SNAPSHOT_ADD:
		if (did(a, na, e->event, e->subject) ||
		    ids_has(authentic, e->subject))
			return (NULL);
		return ("no client of yours made this snapshot");
	case TLOG_EV_KEY_ADD:
	case TLOG_EV_KEY_REMOVE:
	case TLOG_EV_SNAPSHOT_REMOVE:
		return (did(a, na, e->event, e->subject) ? NULL :
		    "this machine did not do this");
	case TLOG_EV_ACCOUNT_CREATE:
		return (NULL);
	default:
		return ("not done by a client of yours");
	}
}

static int
audit(struct session *s, int64_t since)
{
	struct tlog_client *c = cli_tlog_client(s);
	struct tlog_item *v = NULL;
	struct tlog_action *a = NULL;
	struct ids present = { NULL, 0, 0 }, authentic = { NULL, 0, 0 };
	struct snapshot *snaps = NULL;
	struct checkpoint cp;
	uint8_t acct[16], scope[8], prev[32];
	char t[32], hex[65];
	const char *why;
	size_t n = 0, na = 0, ns = 0, i, mine = 0, nflags = 0;
	int rc = EXIT_ERR, r;

	if (c == NULL) {
		warn0("audit: no transparency log is pinned for this "
		    "repository (coffer log pin VKEY)");
		return (EXIT_ERR);
	}
	tlog_client_ids(c, acct, scope);
	if ((r = tlog_client_all(c, &v, &n)) != TLOG_OK) {
		if (r > 0)
			warn0("TRANSPARENCY LOG ALERT: the log's entries do "
			    "not give the root of its signed checkpoint");
		return (r > 0 ? EXIT_LOG : EXIT_ERR);
	}
	if (tlog_client_actions(c, &a, &na) ||
	    backend_list(s->r->be, OBJ_SNAPSHOT, list_cb, &present) < 0 ||
	    snapshot_list(s->r, &snaps, &ns))
		goto done;
	for (i = 0; i < ns; i++)
		if (ids_add(&authentic, snaps[i].id))
			goto done;
	tlog_client_checkpoint(c, &cp);
	printf("transparency log %s: %" PRIu64 " events, of which this "
	    "account's:\n", cp.origin, cp.size);
	memset(prev, 0, sizeof(prev));
	for (i = 0; i < n; i++) {
		const struct tlog_entry *e = &v[i].e;
		int ours = memcmp(e->scope, scope, 8) == 0;

		if (e->version == 0 || memcmp(e->account, acct, 16) != 0)
			continue;
		mine++;
		/* The chain: nothing of ours may be missing before this. */
		if (memcmp(e->prev, prev, 32) != 0) {
			printf("entry %" PRIu64 " of the log:\n", v[i].index);
			flag(&nflags, "an event of your account is missing "
			    "before this one: the log's chain of your events "
			    "is broken");
		}
		memcpy(prev, v[i].leaf, 32);
		if ((int64_t)e->time < since)
			continue;
		when((int64_t)e->time, t, sizeof(t));
		hex_encode(e->subject, 32, hex);
		printf("%s  %-17s %.16s  %s%s\n", t,
		    tlog_event_name(e->event), hex, tlog_event_words(e->event),
		    tlog_event_is_repo(e->event) && !ours ?
		    " (another repository)" : "");
		if ((why = verdict(e, ours, a, na, &authentic)) != NULL)
			flag(&nflags, why);
	}
	/* What the log should show and does not. */
	for (i = 0; i < na; i++) {
		if (a[i].event == 0 || a[i].time < since ||
		    logged(v, n, acct, scope, a[i].event, a[i].subject))
			continue;
		hex_encode(a[i].subject, 32, hex);
		when(a[i].time, t, sizeof(t));
		printf("%s  %-17s %.16s  done by this machine\n", t,
		    tlog_event_name(a[i].event), hex);
		flag(&nflags, "the log does not show this change: the server "
		    "hid it");
	}
	/* Snapshots the log says exist and the repository does not have. */
	for (i = 0; i < n; i++) {
		const struct tlog_entry *e = &v[i].e;

		if (e->event != TLOG_EV_SNAPSHOT_ADD ||
		    memcmp(e->account, acct, 16) != 0 ||
		    memcmp(e->scope, scope, 8) != 0 ||
		    ids_has(&present, e->subject) ||
		    logged(v, n, acct, scope, TLOG_EV_SNAPSHOT_REMOVE,
		    e->subject))
			continue;
		hex_encode(e->subject, 32, hex);
		printf("snapshot %.16s is missing from the repository\n", hex);
		flag(&nflags, "the log never recorded its removal: the server "
		    "deleted or withholds it");
	}
	for (i = 0; i < present.n; i++) {
		if (logged(v, n, acct, scope, TLOG_EV_SNAPSHOT_ADD,
		    present.v[i]) || did(a, na, 0, present.v[i]))
			continue;
		hex_encode(present.v[i], 32, hex);
		printf("snapshot %.16s is in the repository\n", hex);
		flag(&nflags, "the log never recorded this snapshot being "
		    "added");
	}
	printf("%zu events of this account; %zu flagged\n", mine, nflags);
	rc = (nflags > 0) ? EXIT_LOG : EXIT_OK;
done:
	snapshot_list_free(snaps, ns);
	free(present.v);
	free(authentic.v);
	free(a);
	free(v);
	return (rc);
}

/* --monitor URL. */
static int
monitor(const char *url, const struct tlog_policy *pol)
{
	struct backend *be;
	struct cli_http h;
	uint8_t uh[32];
	char state[4200], hex[65], msg[4096], dir[4096];
	const char *host, *path;
	int rc;

	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8)) {
		warn0("--monitor %s: not an http(s) URL", url);
		return (EXIT_ERR);
	}
	host = strstr(url, "://") + 3;
	path = strchr(host, '/');
	snprintf(h.prefix, sizeof(h.prefix), "%s%s", path ? path : "/",
	    (path && path[strlen(path) - 1] == '/') ? "" : "/");
	if ((be = backend_rest_open(url)) == NULL)
		return (EXIT_ERR);
	h.be = be;
	crypto_sha256((const uint8_t *)url, strlen(url), uh);
	hex_encode(uh, 16, hex);
	if (tlog_config_dir(dir, sizeof(dir)) != 0) {
		warn0("no configuration directory (set HOME or "
		    "COFFER_CONFIG_DIR)");
		backend_free(be);
		return (EXIT_ERR);
	}
	/* <config>/monitor-<hash of the URL>.checkpoint */
	if ((size_t)snprintf(state, sizeof(state), "%s/monitor-%s.checkpoint",
	    dir, hex) >= sizeof(state)) {
		warn0("%s: path too long", dir);
		backend_free(be);
		return (EXIT_ERR);
	}
	rc = tlog_monitor(cli_http_get, &h, pol, state, msg, sizeof(msg));
	backend_free(be);
	if (rc == TLOG_OK)
		return (EXIT_OK);
	if (rc > 0) {
		warn0("TRANSPARENCY LOG ALERT: %s", msg);
		return (EXIT_LOG);
	}
	if (msg[0] != '\0')
		warn0("monitor: %s", msg);
	return (EXIT_ERR);
}

int
cmd_audit(int argc, char **argv)
{
	struct tlog_policy pol;
	struct session s;
	char *wit[TLOG_MAX_WITNESSES + 1];
	const char *url = NULL, *vkey = NULL;
	int64_t since = 0;
	long quorum = -1;
	size_t nw = 0;
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			printf("usage: coffer audit [--since DATE]\n"
			    "       coffer audit --monitor URL [--log-key VKEY "
			    "[--witness VKEY]... [--quorum K]]\n");
			return (EXIT_OK);
		} else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc) {
			if (cli_parse_time(argv[++i], &since)) {
				usage_error("audit", "--since: not a date: %s",
				    argv[i]);
				return (EXIT_ERR);
			}
		} else if (strcmp(argv[i], "--monitor") == 0 && i + 1 < argc)
			url = argv[++i];
		else if (strcmp(argv[i], "--log-key") == 0 && i + 1 < argc)
			vkey = argv[++i];
		else if (strcmp(argv[i], "--witness") == 0 && i + 1 < argc &&
		    nw <= TLOG_MAX_WITNESSES)
			wit[nw++] = argv[++i];
		else if (strcmp(argv[i], "--quorum") == 0 && i + 1 < argc)
			quorum = strtol(argv[++i], NULL, 10);
		else {
			usage_error("audit", "unexpected argument \"%s\"",
			    argv[i]);
			return (EXIT_ERR);
		}
	}
	if (url != NULL && vkey != NULL) {
		if (cli_log_policy(&pol, vkey, wit, nw, quorum))
			return (EXIT_ERR);
		return (monitor(url, &pol));
	}
	if (vkey != NULL || nw > 0) {
		usage_error("audit", "--log-key and --witness go with "
		    "--monitor");
		return (EXIT_ERR);
	}
	if ((rc = session_open(&s, 0)) != EXIT_OK)
		return (rc);
	if (url != NULL) {
		if (cli_tlog_client(&s) == NULL) {
			warn0("audit --monitor: give --log-key VKEY, or pin "
			    "the log for the repository");
			rc = EXIT_ERR;
		} else
			rc = monitor(url, tlog_client_policy(
			    cli_tlog_client(&s)));
	} else
		rc = audit(&s, since);
	session_close(&s);
	return (rc);
}
