/*
 * coffer recovery setup|restore|status|delete: passcode recovery through
 * realms (docs/RECOVERY.md).  The recovery configuration (realm ids,
 * jurisdictions and URLs without credentials, the threshold, the PIN's
 * Argon2id parameters) lives in the repository's recovery key slot, so
 * that `restore` works from a fresh machine with nothing but the
 * repository URL, the PIN and the realm accounts' credentials.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "recovery/recovery.h"
#include "recovery/rkdf.h"
#include "repo/keyslot_recovery.h"
#include "util/warnp.h"

#include "cli.h"

#define MAXR		RWIRE_MAX_REALMS
#define PIN_MIN		4
#define DEFAULT_GUESSES	10

struct ropts {
	const char *realm[MAXR];
	size_t nrealm;
	unsigned t, guesses;
	const char *newpw;
};

static void
usage(FILE *f)
{

	fprintf(f,
"usage: coffer recovery setup --realm URL [--realm URL ...]\n"
"                             [--threshold T] [--guesses N]\n"
"       coffer recovery restore [--realm URL ...] [--new-password-file F]\n"
"       coffer recovery status [--realm URL ...]\n"
"       coffer recovery delete [--realm URL ...]\n"
"\n"
"A realm URL is https://USER:SECRET@HOST:PORT/ of a cofferd started with\n"
"--realm.  T defaults to a strict majority of the realms, N (wrong\n"
"passcodes each realm allows) to %d.  The recovery passcode comes from\n"
"COFFER_RECOVERY_PIN or a prompt.  Without --realm, restore, status and\n"
"delete use the realms recorded in the repository, with the repository\n"
"URL's credentials for a realm on the same server.\n", DEFAULT_GUESSES);
}

static int
parse_uint(const char *s, unsigned max, unsigned *v)
{
	char *e;
	unsigned long x = strtoul(s, &e, 10);

	if (s[0] < '0' || s[0] > '9' || *e != '\0' || x > max)
		return (-1);
	*v = (unsigned)x;
	return (0);
}

/* Take the options; argv keeps the rest.  0 or -1 (reported). */
static int
options(int *argc, char **argv, struct ropts *o)
{
	const char *v;
	int i, j = 1;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < *argc; i++) {
		const char *a = argv[i], *eq = strchr(a, '=');
		size_t kl = eq ? (size_t)(eq - a) : strlen(a);

		if (strncmp(a, "--", 2) != 0) {
			argv[j++] = argv[i];
			continue;
		}
		if (eq != NULL)
			v = eq + 1;
		else if (i + 1 < *argc)
			v = argv[++i];
		else {
			usage_error("recovery", "option %s needs a value", a);
			return (-1);
		}
		if (kl == 7 && strncmp(a, "--realm", kl) == 0) {
			if (o->nrealm == MAXR) {
				usage_error("recovery", "at most %d realms",
				    MAXR);
				return (-1);
			}
			o->realm[o->nrealm++] = v;
		} else if (kl == 11 && strncmp(a, "--threshold", kl) == 0) {
			if (parse_uint(v, MAXR, &o->t) || o->t == 0) {
				usage_error("recovery", "bad threshold");
				return (-1);
			}
		} else if (kl == 9 && strncmp(a, "--guesses", kl) == 0) {
			if (parse_uint(v, RWIRE_MAX_GUESSES, &o->guesses) ||
			    o->guesses == 0) {
				usage_error("recovery", "--guesses must be 1 "
				    "to %d", RWIRE_MAX_GUESSES);
				return (-1);
			}
		} else if (kl == 19 &&
		    strncmp(a, "--new-password-file", kl) == 0) {
			o->newpw = v;
		} else {
			usage_error("recovery", "unknown option %.*s",
			    (int)kl, a);
			return (-1);
		}
	}
	*argc = j;
	return (0);
}

/* The recovery PIN: COFFER_RECOVERY_PIN, or a prompt (twice if confirm). */
static int
get_pin(int confirm, char **pin, size_t *len)
{
	struct pwsrc src = { NULL, NULL, "COFFER_RECOVERY_PIN",
	    "enter the recovery passcode: " };
	struct pwsrc again = { NULL, NULL, NULL,
	    "enter the recovery passcode again: " };
	char *p2;
	size_t l2;
	FILE *tty;

	if (getenv("COFFER_RECOVERY_PIN") == NULL) {
		if ((tty = fopen("/dev/tty", "r")) == NULL) {
			warn0("no recovery passcode: set COFFER_RECOVERY_PIN "
			    "or run coffer on a terminal");
			return (-1);
		}
		fclose(tty);
	}
	if (passwd_get_from(&src, pin, len))
		return (-1);
	if (confirm && getenv("COFFER_RECOVERY_PIN") == NULL) {
		if (passwd_get_from(&again, &p2, &l2)) {
			passwd_free(*pin);
			return (-1);
		}
		if (l2 != *len || sodium_memcmp(p2, *pin, l2) != 0) {
			warn0("recovery passcodes do not match");
			passwd_free(p2);
			passwd_free(*pin);
			return (-1);
		}
		passwd_free(p2);
	}
	if (*len < PIN_MIN) {
		warn0("the recovery passcode must have at least %d characters",
		    PIN_MIN);
		passwd_free(*pin);
		return (-1);
	}
	return (0);
}

/* scheme://host[:port] of a URL (no "rest:", no userinfo) into out. */
static void
origin(const char *u, char *out, size_t size)
{
	const char *s, *host;
	size_t hl;

	if (strncmp(u, "rest:", 5) == 0)
		u += 5;
	if ((s = strstr(u, "://")) == NULL) {
		snprintf(out, size, "%s", u);
		return;
	}
	s += 3;
	host = strrchr(s, '@');
	host = (host != NULL) ? host + 1 : s;
	hl = strcspn(host, "/");
	snprintf(out, size, "%.*s%.*s", (int)(s - u), u, (int)hl, host);
}

/*
 * The URL to reach a recorded realm: url itself, or with the repository
 * URL's credentials when the realm is on the same server.  malloc'd.
 */
static char *
realm_url(const char *url)
{
	char a[RSLOT_URL_MAX + 16], b[RSLOT_URL_MAX + 16], *out;
	const char *repo = G.repo, *rs, *us, *at;

	if (repo == NULL || strncmp(repo, "rest:", 5) != 0 ||
	    (rs = strstr(repo, "://")) == NULL ||
	    (us = strstr(url, "://")) == NULL)
		return (strdup(url));
	rs += 3;
	us += 3;
	origin(url, a, sizeof(a));
	origin(repo, b, sizeof(b));
	if (strcmp(a, b) != 0 || (at = strrchr(rs, '@')) == NULL)
		return (strdup(url));
	/* scheme:// || the repository's userinfo@ || host and path. */
	if (asprintf(&out, "%.*s%.*s%s", (int)(us - url), url,
	    (int)(at + 1 - rs), rs, us) < 0)
		return (NULL);
	return (out);
}

struct realms {
	struct recovery_realm v[MAXR];
	char *url[MAXR];
	size_t n;
};

static void
realms_free(struct realms *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		realm_client_free(rs->v[i].c);
		if (rs->url[i] != NULL) {
			sodium_memzero(rs->url[i], strlen(rs->url[i]));
			free(rs->url[i]);
		}
	}
	memset(rs, 0, sizeof(*rs));
}

/* The realms of --realm, else of the recovery slot.  0 or -1. */
static int
realms_open(struct realms *rs, const struct ropts *o, const struct rslot *cfg)
{
	size_t i, n = o->nrealm ? o->nrealm : (cfg ? cfg->n : 0);

	memset(rs, 0, sizeof(*rs));
	if (n == 0) {
		warn0("no realms: give --realm URL");
		return (-1);
	}
	for (i = 0; i < n; i++) {
		rs->url[i] = o->nrealm ? strdup(o->realm[i]) :
		    realm_url(cfg->realm[i].url);
		rs->n = i + 1;
		if (rs->url[i] == NULL ||
		    (rs->v[i].c = realm_client_new(rs->url[i])) == NULL) {
			realms_free(rs);
			return (-1);
		}
		if (o->nrealm == 0 && !realm_client_has_auth(rs->v[i].c))
			warn0("no credentials for the recorded realm %s (%s): "
			    "give --realm with USER:SECRET@ in its URL",
			    cfg->realm[i].url, cfg->realm[i].jurisdiction);
	}
	return (0);
}

/* The repository's id and recovery slot, without a key.  0, 1, -1. */
static int
repo_recovery(struct backend **be, uint8_t id[REPO_ID_LEN],
    struct rslot *cfg, char name[65])
{
	int rc;

	*be = NULL;
	if (G.repo == NULL || G.repo[0] == '\0') {
		warn0("no repository given: use -r/--repo or set "
		    "COFFER_REPOSITORY");
		return (-1);
	}
	if ((*be = backend_open(G.repo)) == NULL)
		return (-1);
	if ((rc = repo_peek_id(*be, id)) != 0)
		return (rc == REPO_NOREPO ? -2 : -1);
	return (keyslot_recovery_find(*be, cfg, name));
}

static void
params_from(struct recovery_params *p, const uint8_t id[REPO_ID_LEN],
    const struct rslot *cfg)
{

	memset(p, 0, sizeof(*p));
	memcpy(p->repo_id, id, REPO_ID_LEN);
	rkdf_rid(id, p->rid);
	p->t = cfg->t;
	p->n = cfg->n;
	p->opslimit = cfg->opslimit;
	p->memlimit_kib = cfg->memlimit_kib;
}

/* ---------------------------------------------------------------------- */

/* Warn when fewer than t distinct jurisdictions are declared. */
static void
check_jurisdictions(const struct realms *rs, unsigned t)
{
	char list[MAXR * (REALM_JUR_MAX + 2) + 1] = "";
	size_t i, j, d = 0;

	for (i = 0; i < rs->n; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(rs->v[i].jurisdiction,
			    rs->v[j].jurisdiction) == 0)
				break;
		d += (j == i);
		strcat(list, i ? ", " : "");
		strcat(list, rs->v[i].jurisdiction);
	}
	if (d < t)
		warn0("warning: the realms declare %zu distinct "
		    "jurisdiction%s (%s) for a threshold of %u: one "
		    "jurisdiction could compel enough realms to recover", d,
		    d == 1 ? "" : "s", list, t);
}

/* Remove every recovery slot but keep. */
static void
drop_old_slots(struct session *ss, const char *keep)
{
	struct keyslot_info *v;
	size_t n, i;

	if (keyslot_list(ss->r, &v, &n))
		return;
	for (i = 0; i < n; i++)
		if (v[i].kind == KEYSLOT_KIND_RECOVERY &&
		    (keep == NULL || strcmp(v[i].name, keep) != 0) &&
		    backend_remove(ss->r->be, OBJ_KEY, v[i].name) != 0)
			warn0("cannot remove the old recovery key slot %.8s",
			    v[i].name);
	free(v);
}

static int
setup(struct ropts *o)
{
	uint8_t secret[RSLOT_SECRET];
	struct recovery_params p;
	struct kdf_params kdf;
	struct session ss;
	struct realms rs;
	struct rslot cfg;
	char name[65], *pin = NULL;
	size_t pinlen, i;
	int rc;

	if (o->nrealm == 0) {
		usage_error("recovery", "setup needs at least one --realm");
		return (EXIT_ERR);
	}
	if (o->t == 0)
		o->t = (unsigned)o->nrealm / 2 + 1;
	if (o->guesses == 0)
		o->guesses = DEFAULT_GUESSES;
	if (o->t > o->nrealm || 2 * o->t <= o->nrealm) {
		usage_error("recovery", "the threshold must be a strict "
		    "majority of the %zu realms (%zu to %zu)", o->nrealm,
		    o->nrealm / 2 + 1, o->nrealm);
		return (EXIT_ERR);
	}
	if ((rc = session_open(&ss, 0)) != EXIT_OK)
		return (rc);
	rc = EXIT_ERR;
	if (realms_open(&rs, o, NULL))
		goto out;
	if (recovery_info(rs.v, rs.n) != rs.n) {
		warn0("setting up recovery needs every realm to answer");
		goto done;
	}
	check_jurisdictions(&rs, o->t);
	if (get_pin(1, &pin, &pinlen) || kdf_params_default(&kdf))
		goto done;
	memset(&p, 0, sizeof(p));
	memcpy(p.repo_id, ss.r->id, REPO_ID_LEN);
	rkdf_rid(ss.r->id, p.rid);
	p.t = (uint8_t)o->t;
	p.n = (uint8_t)rs.n;
	p.guesses = (uint16_t)o->guesses;
	p.opslimit = kdf.opslimit;
	p.memlimit_kib = kdf.memlimit_kib;
	crypto_random(secret, sizeof(secret));
	if (recovery_register(rs.v, rs.n, &p, pin, pinlen, secret))
		goto done;
	memset(&cfg, 0, sizeof(cfg));
	cfg.opslimit = p.opslimit;
	cfg.memlimit_kib = p.memlimit_kib;
	memcpy(cfg.rid, p.rid, sizeof(cfg.rid));
	cfg.t = p.t;
	cfg.n = p.n;
	for (i = 0; i < rs.n; i++) {
		memcpy(cfg.realm[i].id, rs.v[i].id, 16);
		snprintf(cfg.realm[i].jurisdiction,
		    sizeof(cfg.realm[i].jurisdiction), "%s",
		    rs.v[i].jurisdiction);
		snprintf(cfg.realm[i].url, sizeof(cfg.realm[i].url), "%s",
		    realm_client_url(rs.v[i].c));
	}
	if (keyslot_recovery_add(ss.r, secret, &cfg, name))
		goto done;
	drop_old_slots(&ss, name);
	if (!G.quiet) {
		printf("recovery set up: %zu realms, threshold %u, %u wrong "
		    "passcodes allowed per realm; recovery key slot %.8s\n",
		    rs.n, o->t, o->guesses, name);
		printf("an attacker holding every realm account gets at most "
		    "%u passcode guesses (floor(n*G/t))\n",
		    recovery_bound((unsigned)rs.n, o->t, o->guesses));
	}
	rc = EXIT_OK;
done:
	sodium_memzero(secret, sizeof(secret));
	if (pin != NULL)
		passwd_free(pin);
	realms_free(&rs);
out:
	session_close(&ss);
	return (rc);
}

static int
restore(struct ropts *o)
{
	uint8_t id[REPO_ID_LEN], secret[RSLOT_SECRET];
	struct recovery_params p;
	struct backend *be;
	struct kdf_params kdf;
	struct repo *r = NULL;
	struct realms rs;
	struct rslot cfg;
	char name[65], *pin = NULL, *pw = NULL;
	size_t pinlen, pwlen, i, used = 0;
	int rc, left;

	if ((rc = repo_recovery(&be, id, &cfg, name)) != 0) {
		if (rc == 1)
			warn0("no recovery key slot in %s: recovery was never "
			    "set up for this repository", be->location);
		backend_free(be);
		return (rc == -2 ? EXIT_NOREPO : EXIT_ERR);
	}
	params_from(&p, id, &cfg);
	if (sodium_memcmp(p.rid, cfg.rid, sizeof(p.rid)) != 0) {
		warn0("the recovery key slot belongs to another repository");
		backend_free(be);
		return (EXIT_ERR);
	}
	if (realms_open(&rs, o, &cfg)) {
		backend_free(be);
		return (EXIT_ERR);
	}
	rc = EXIT_ERR;
	if (get_pin(0, &pin, &pinlen))
		goto done;
	switch (recovery_recover(rs.v, rs.n, &p, pin, pinlen, secret, &left)) {
	case 0:
		break;
	case RECOVERY_BADPIN:
		if (left > 0)
			warn0("wrong recovery passcode: %d guess%s left", left,
			    left == 1 ? "" : "es");
		else
			warn0("wrong recovery passcode, and no guesses are "
			    "left: the realms have destroyed the recovery "
			    "record; recovery is no longer possible");
		rc = EXIT_BADPASS;
		goto done;
	default:
		goto done;
	}
	for (i = 0; i < rs.n; i++)
		used += (rs.v[i].state == RREALM_REGISTERED);
	rc = repo_open_recovery(be, secret, &r);
	sodium_memzero(secret, sizeof(secret));
	if (rc != 0) {
		rc = EXIT_ERR;
		goto done;
	}
	be = NULL;	/* r owns it */
	rc = EXIT_ERR;
	if (passwd_new(o->newpw, &pw, &pwlen) || kdf_params_default(&kdf) ||
	    keyslot_add(r, pw, pwlen, &kdf, name))
		goto done;
	if (!G.quiet)
		printf("recovered the repository key with %zu of %zu realms; "
		    "added passcode key slot %.8s: use the new passcode from "
		    "now on\n", used, rs.n, name);
	rc = EXIT_OK;
done:
	sodium_memzero(secret, sizeof(secret));
	if (pin != NULL)
		passwd_free(pin);
	if (pw != NULL)
		passwd_free(pw);
	repo_close(r);
	backend_free(be);
	realms_free(&rs);
	return (rc);
}

static const char *
state_text(const struct recovery_realm *r, char *buf, size_t size)
{

	switch (r->state) {
	case RREALM_REGISTERED:
		snprintf(buf, size, "registered, %u of %u guesses left",
		    r->num_guesses - r->guess_count, r->num_guesses);
		return (buf);
	case RREALM_NOTREG:
		return ("not registered");
	case RREALM_NOGUESSES:
		return ("no guesses left: record destroyed");
	default:
		return ("unreachable");
	}
}

static int
status(struct ropts *o)
{
	uint8_t id[REPO_ID_LEN];
	struct recovery_params p;
	struct backend *be;
	struct realms rs;
	struct rslot cfg;
	char name[65], buf[64];
	size_t i, reg = 0;
	int rc, lo = -1;

	if ((rc = repo_recovery(&be, id, &cfg, name)) != 0) {
		if (rc == 1)
			printf("recovery is not set up for this repository\n");
		backend_free(be);
		return (rc == 1 ? EXIT_ERR : rc == -2 ? EXIT_NOREPO : EXIT_ERR);
	}
	params_from(&p, id, &cfg);
	if (realms_open(&rs, o, &cfg)) {
		backend_free(be);
		return (EXIT_ERR);
	}
	(void)recovery_status(rs.v, rs.n, &p);
	for (i = 0; i < rs.n; i++) {
		printf("realm %s (%s): %s\n", realm_client_url(rs.v[i].c),
		    rs.v[i].have_info ? rs.v[i].jurisdiction : "?",
		    state_text(&rs.v[i], buf, sizeof(buf)));
		if (rs.v[i].state != RREALM_REGISTERED)
			continue;
		reg++;
		if (lo < 0 || rs.v[i].num_guesses - rs.v[i].guess_count < lo)
			lo = rs.v[i].num_guesses - rs.v[i].guess_count;
	}
	printf("threshold %u of %u realms; %zu registered and reachable; "
	    "%s\n", cfg.t, cfg.n, reg, reg >= cfg.t ? "recoverable" :
	    "NOT recoverable now");
	if (lo >= 0)
		printf("guesses left: %d (the fewest among the realms)\n", lo);
	rc = (reg >= cfg.t) ? EXIT_OK : EXIT_ERR;
	realms_free(&rs);
	backend_free(be);
	return (rc);
}

static int
delete(struct ropts *o)
{
	uint8_t id[REPO_ID_LEN];
	struct recovery_params p;
	struct session ss;
	struct realms rs;
	struct rslot cfg;
	char name[65];
	size_t failed;
	int rc;

	if ((rc = session_open(&ss, 0)) != EXIT_OK)
		return (rc);
	rc = EXIT_ERR;
	memcpy(id, ss.r->id, REPO_ID_LEN);
	if (keyslot_recovery_find(ss.r->be, &cfg, name) != 0 &&
	    o->nrealm == 0) {
		warn0("recovery is not set up for this repository");
		goto out;
	}
	params_from(&p, id, &cfg);
	if (realms_open(&rs, o, &cfg))
		goto out;
	failed = recovery_delete(rs.v, rs.n, &p);
	drop_old_slots(&ss, NULL);
	if (failed > 0)
		warn0("%zu realm%s still hold the record (see above); the "
		    "recovery key slot is removed, so it no longer opens "
		    "anything", failed, failed == 1 ? "" : "s");
	else if (!G.quiet)
		printf("recovery deleted from %zu realms and from the "
		    "repository\n", rs.n);
	rc = failed ? EXIT_ERR : EXIT_OK;
	realms_free(&rs);
out:
	session_close(&ss);
	return (rc);
}

int
cmd_recovery(int argc, char **argv)
{
	struct ropts o;
	const char *verb;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0)) {
		usage(stdout);
		return (EXIT_OK);
	}
	if (options(&argc, argv, &o))
		return (EXIT_ERR);
	if (argc != 2) {
		usage(stderr);
		return (EXIT_ERR);
	}
	verb = argv[1];
	if (strcmp(verb, "setup") == 0)
		return (setup(&o));
	if (o.t != 0 || o.guesses != 0) {
		usage_error("recovery", "--threshold and --guesses are for "
		    "setup");
		return (EXIT_ERR);
	}
	if (strcmp(verb, "restore") == 0)
		return (restore(&o));
	if (o.newpw != NULL) {
		usage_error("recovery", "--new-password-file is for restore");
		return (EXIT_ERR);
	}
	if (strcmp(verb, "status") == 0)
		return (status(&o));
	if (strcmp(verb, "delete") == 0)
		return (delete(&o));
	usage_error("recovery", "unknown verb \"%s\"", verb);
	return (EXIT_ERR);
}
