/*
 * coffer log pin VKEY [--witness VKEY]... [--quorum K]
 * coffer log status
 *
 * Pin the transparency log of the server a rest: repository is on: its
 * verifier key (from the operator, `cofferd log vkey`, not from the
 * server being checked), optional witnesses of which K must cosign, the
 * account's blinded ids, the current checkpoint, and as a baseline the
 * key slots and snapshots already there.  From then on every command
 * checks the log (see cli/tlog.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto.h"
#include "tlog/client.h"
#include "util/warnp.h"

#include "cli.h"

/*
 * cli_log_policy(pol, vkey, witnesses, nw, quorum): a policy from the
 * command line.  0, or -1 (reported).
 */
int
cli_log_policy(struct tlog_policy *pol, const char *vkey, char **wit,
    size_t nw, long quorum)
{
	const char *why;
	size_t i;

	memset(pol, 0, sizeof(*pol));
	if (note_vkey_parse(vkey, strlen(vkey), &pol->log, &why) ||
	    pol->log.alg != NOTE_ALG_ED25519) {
		warn0("log key %s: %s", vkey, pol->log.alg == NOTE_ALG_COSIG ?
		    "a witness key, not a log key" : why);
		return (-1);
	}
	if (nw > TLOG_MAX_WITNESSES) {
		warn0("at most %d witnesses", TLOG_MAX_WITNESSES);
		return (-1);
	}
	for (i = 0; i < nw; i++) {
		if (note_vkey_parse(wit[i], strlen(wit[i]), &pol->witness[i],
		    &why) || pol->witness[i].alg != NOTE_ALG_COSIG) {
			warn0("witness key %s: %s", wit[i],
			    pol->witness[i].alg == NOTE_ALG_ED25519 ? "not a "
			    "cosignature key (type 0x04)" : why);
			return (-1);
		}
	}
	pol->nwitnesses = nw;
	pol->quorum = (quorum < 0) ? nw : (size_t)quorum;
	if (pol->quorum > nw) {
		warn0("--quorum %ld: only %zu witnesses given", quorum, nw);
		return (-1);
	}
	return (0);
}

/* The baseline: key slots and snapshots there when the log is pinned. */
static int
baseline_cb(void *cookie, const char *name, uint64_t size)
{
	struct tlog_client *c = cookie;
	uint8_t subj[32];

	(void)size;
	if (hex_decode(name, subj, 32) == 0 &&
	    tlog_client_record(c, 0, subj) != 0)
		return (-1);
	return (0);
}

/*
 * cli_log_pin(s, pol): pin pol for the session's repository.  Returns an
 * exit code (messages printed).
 */
int
cli_log_pin(struct session *s, const struct tlog_policy *pol)
{
	struct cli_http h;
	struct tlog_client *c;
	struct checkpoint cp;
	char repo[128], msg[4096];
	int rc;

	if (cli_repo_name(s->r->be->location, repo, sizeof(repo))) {
		warn0("log pin: %s is not a repository on a cofferd "
		    "(rest:...)", s->r->be->location);
		return (EXIT_ERR);
	}
	h.be = s->r->be;
	snprintf(h.prefix, sizeof(h.prefix), "/log/");
	rc = tlog_client_pin(s->r->id, pol, repo, cli_http_get, &h, msg,
	    sizeof(msg));
	if (rc != TLOG_OK) {
		if (msg[0] != '\0')
			warn0("%s%s", rc > 0 ? "TRANSPARENCY LOG ALERT: " : "",
			    msg);
		return (rc > 0 ? EXIT_LOG : EXIT_ERR);
	}
	if (tlog_client_open(s->r->id, cli_http_get, &h, &c) != 0)
		return (EXIT_ERR);
	if (backend_list(s->r->be, OBJ_KEY, baseline_cb, c) != 0 ||
	    backend_list(s->r->be, OBJ_SNAPSHOT, baseline_cb, c) != 0) {
		tlog_client_free(c);
		return (EXIT_ERR);
	}
	if (!G.quiet && tlog_client_checkpoint(c, &cp) == 0)
		printf("pinned the transparency log %s for this repository "
		    "(%zu witness%s required); it holds %" PRIu64 " events\n",
		    pol->log.name, pol->quorum, pol->quorum == 1 ? "" : "es",
		    cp.size);
	tlog_client_free(c);
	return (EXIT_OK);
}

static int
status(struct session *s)
{
	const struct tlog_policy *pol;
	struct tlog_client *c = cli_tlog_client(s);
	struct checkpoint cp;
	uint8_t acct[TLOG_ACCOUNT_LEN], scope[TLOG_SCOPE_LEN];
	char vk[512], ah[33], sh[17];
	size_t i;

	if (c == NULL) {
		printf("no transparency log pinned for this repository\n");
		return (EXIT_OK);
	}
	pol = tlog_client_policy(c);
	note_vkey_format(&pol->log, vk, sizeof(vk));
	printf("log       %s\n", vk);
	for (i = 0; i < pol->nwitnesses; i++) {
		note_vkey_format(&pol->witness[i], vk, sizeof(vk));
		printf("witness   %s\n", vk);
	}
	printf("quorum    %zu\n", pol->quorum);
	tlog_client_ids(c, acct, scope);
	hex_encode(acct, sizeof(acct), ah);
	hex_encode(scope, sizeof(scope), sh);
	printf("account   %s\nscope     %s\n", ah, sh);
	if (tlog_client_checkpoint(c, &cp) == 0)
		printf("verified  %" PRIu64 " events, consistent with every "
		    "checkpoint this machine saw\n", cp.size);
	return (EXIT_OK);
}

int
cmd_log(int argc, char **argv)
{
	struct tlog_policy pol;
	struct session s;
	char *wit[TLOG_MAX_WITNESSES + 1];
	const char *vkey = NULL;
	long quorum = -1;
	size_t nw = 0;
	int i, rc, pin;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    (strcmp(argv[1], "pin") != 0 && strcmp(argv[1], "status") != 0)) {
		printf("usage: coffer log pin VKEY [--witness VKEY]... "
		    "[--quorum K]\n       coffer log status\n");
		return (argc >= 2 && strcmp(argv[1], "--help") == 0 ?
		    EXIT_OK : EXIT_ERR);
	}
	pin = strcmp(argv[1], "pin") == 0;
	for (i = 2; i < argc; i++) {
		if (pin && strcmp(argv[i], "--witness") == 0 && i + 1 < argc) {
			if (nw > TLOG_MAX_WITNESSES)
				break;
			wit[nw++] = argv[++i];
		} else if (pin && strcmp(argv[i], "--quorum") == 0 &&
		    i + 1 < argc)
			quorum = strtol(argv[++i], NULL, 10);
		else if (pin && vkey == NULL && argv[i][0] != '-')
			vkey = argv[i];
		else {
			usage_error("log", "unexpected argument \"%s\"",
			    argv[i]);
			return (EXIT_ERR);
		}
	}
	if (pin && (vkey == NULL ||
	    cli_log_policy(&pol, vkey, wit, nw, quorum))) {
		if (vkey == NULL)
			usage_error("log", "pin needs the log's verifier key");
		return (EXIT_ERR);
	}
	/* Pinning replaces the policy: the old one is not applied first. */
	if ((rc = session_open(&s, pin ? SESSION_NOLOG : 0)) != EXIT_OK)
		return (rc);
	rc = pin ? cli_log_pin(&s, &pol) : status(&s);
	session_close(&s);
	return (rc);
}
