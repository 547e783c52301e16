/*
 * The transparency log in every session: a repository on a cofferd with a
 * pinned log is checked at every open (its checkpoint must extend the
 * last one this machine saw), every key slot and snapshot this machine
 * adds or removes goes into its local record, and backup and key commands
 * wait for their own entries to be logged.  See lib/tlog/client.h and
 * docs/TRANSPARENCY.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/client.h"
#include "util/warnp.h"

#include "cli.h"

#define PREFIX_MAX	1024

struct cli_tlog {
	struct tlog_client *c;
	struct cli_http h;
	uint64_t start;			/* tree size when the session began */
	struct pend {
		unsigned ev;
		uint8_t subject[32];
	} *p;
	size_t np, cap;
	int failed;			/* a record could not be written */
};

int
cli_http_get(void *cookie, const char *path, int auth, struct buf *out)
{
	struct cli_http *h = cookie;
	char full[PREFIX_MAX + 256];

	if ((size_t)snprintf(full, sizeof(full), "%s%s", h->prefix, path) >=
	    sizeof(full))
		return (-1);
	return (backend_rest_fetch(h->be, full, auth, out));
}

int
cli_repo_name(const char *location, char *out, size_t size)
{
	const char *p, *e;
	size_t n;

	/* rest:http(s)://[cred@]host/user/REPO/ : the last path segment. */
	if (strncmp(location, "rest:", 5) != 0)
		return (-1);
	e = location + strlen(location);
	while (e > location && e[-1] == '/')
		e--;
	for (p = e; p > location && p[-1] != '/'; p--)
		;
	n = (size_t)(e - p);
	if (n == 0 || n >= size || p <= location + 5 ||
	    strstr(location, "://") + 3 > p)
		return (-1);
	memcpy(out, p, n);
	out[n] = '\0';
	return (0);
}

/* Record what this machine changed, and remember it for confirmation. */
static void
observe(void *cookie, int removed, enum obj_type t, const char *name)
{
	struct cli_tlog *tl = cookie;
	struct pend *p;
	unsigned ev;
	uint8_t subj[32];

	if (hex_decode(name, subj, 32) != 0)
		return;
	ev = (t == OBJ_KEY) ? (removed ? TLOG_EV_KEY_REMOVE : TLOG_EV_KEY_ADD) :
	    (removed ? TLOG_EV_SNAPSHOT_REMOVE : TLOG_EV_SNAPSHOT_ADD);
	if (tlog_client_record(tl->c, ev, subj) != 0)
		tl->failed = 1;
	if (tl->np == tl->cap) {
		tl->cap = tl->cap ? tl->cap * 2 : 8;
		if ((p = realloc(tl->p, tl->cap * sizeof(*p))) == NULL) {
			tl->failed = 1;
			return;
		}
		tl->p = p;
	}
	tl->p[tl->np].ev = ev;
	memcpy(tl->p[tl->np].subject, subj, 32);
	tl->np++;
}

/* Say what the log check found; the exit code to use. */
static int
report(int rc, const char *msg)
{

	if (rc == TLOG_OK)
		return (EXIT_OK);
	if (rc > 0) {
		warn0("TRANSPARENCY LOG ALERT: %s", msg);
		return (EXIT_LOG);
	}
	if (msg[0] != '\0')
		warn0("transparency log: %s", msg);
	return (EXIT_ERR);
}

int
cli_tlog_begin(struct session *s)
{
	struct cli_tlog *tl;
	struct checkpoint cp;
	char msg[4096];
	int rc;

	s->tl = NULL;
	if (strncmp(s->r->be->location, "rest:", 5) != 0)
		return (EXIT_OK);
	if ((tl = calloc(1, sizeof(*tl))) == NULL) {
		warnp("calloc");
		return (EXIT_ERR);
	}
	tl->h.be = s->r->be;
	snprintf(tl->h.prefix, sizeof(tl->h.prefix), "/log/");
	if ((rc = tlog_client_open(s->r->id, cli_http_get, &tl->h, &tl->c))
	    != 0) {
		free(tl);
		return (rc == 1 ? EXIT_OK : EXIT_ERR);
	}
	s->tl = tl;
	if ((rc = report(tlog_client_update(tl->c, msg, sizeof(msg)), msg)) !=
	    EXIT_OK)
		return (rc);
	if (tlog_client_checkpoint(tl->c, &cp) == 0)
		tl->start = cp.size;
	s->r->be->observe = observe;
	s->r->be->observe_cookie = tl;
	return (EXIT_OK);
}

int
cli_tlog_confirm(struct session *s)
{
	struct cli_tlog *tl = s->tl;
	const char *e = getenv("COFFER_LOG_WAIT");
	unsigned wait = (e != NULL) ? (unsigned)atoi(e) : 15;
	char msg[4096];
	size_t i;
	int rc;

	if (tl == NULL)
		return (EXIT_OK);
	if (tl->failed) {
		warn0("transparency log: this machine's record of its changes "
		    "could not be written");
		return (EXIT_ERR);
	}
	for (i = 0; i < tl->np; i++) {
		rc = tlog_client_confirm(tl->c, tl->p[i].ev, tl->p[i].subject,
		    tl->start, wait, msg, sizeof(msg));
		if ((rc = report(rc, msg)) != EXIT_OK)
			return (rc);
	}
	if (tl->np > 0 && !G.quiet && !G.json)
		printf("transparency log: %zu change%s logged and verified\n",
		    tl->np, tl->np == 1 ? "" : "s");
	tl->np = 0;
	return (EXIT_OK);
}

void
cli_tlog_end(struct session *s)
{
	struct cli_tlog *tl = s->tl;

	if (tl == NULL)
		return;
	if (s->r != NULL && s->r->be != NULL)
		s->r->be->observe = NULL;
	tlog_client_free(tl->c);
	free(tl->p);
	free(tl);
	s->tl = NULL;
}

struct tlog_client *
cli_tlog_client(struct session *s)
{

	return (s->tl != NULL ? s->tl->c : NULL);
}
