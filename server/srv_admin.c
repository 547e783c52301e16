/*
 * cofferd's admin commands: accounts, tokens, quotas and the audit table,
 * run by the operator on the server host.  Each verb is one *_main in a
 * table, as in wireguard-tools; the database layer (srv_db*.c) writes the
 * audit row of every change in the same transaction as the change.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "util/warnp.h"

#include "srv_admin.h"
#include "srv_db.h"
#include "srv_storage.h"
#include "srv_userdata.h"

#define PW_MAX		1024
#define MAXPOS		3

/* Options: which a verb accepts. */
#define O_JSON		1
#define O_PERM		2
#define O_LABEL		4
#define O_DELETE	8	/* --delete-data */
#define O_TO		16	/* --to DIR */
#define O_REASON	32	/* --reason TEXT */

struct args {
	const char *data;
	const char *perm;
	const char *label;
	const char *to;
	const char *reason;
	int delete_data;
	int json;
	int seen;			/* O_* given */
	const char *pos[MAXPOS];
	int npos;
	char actor[64];
};

struct verb {
	const char *group;
	const char *name;		/* NULL: the group is the verb */
	int minpos, maxpos;
	int opts;
	int (*fn)(struct srv_db *, struct args *);
	const char *usage;
};

/* ---------------------------------------------------------------------- */
/* Helpers. */

/* The UTC time t as "2006-01-02T15:04:05Z". */
static const char *
isotime(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, 32, "%lld", (long long)t);
	return (buf);
}

/*
 * shown(s, buf): s for an error message: at most 64 characters, anything
 * not printable ASCII as '?', so that no input can forge a log line.
 */
static const char *
shown(const char *s, char buf[72])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 64; i++)
		buf[i] = (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?';
	snprintf(buf + i, 72 - i, "%s", s[i] != '\0' ? "..." : "");
	return (buf);
}

/* Print a JSON value on stdout, one line; 0 or 1. */
static int
json_out(json_t *j)
{
	int rc = 0;

	if (j == NULL || json_dumpf(j, stdout, JSON_COMPACT) != 0) {
		warn0("cannot write JSON");
		rc = 1;
	}
	putchar('\n');
	json_decref(j);
	return (rc);
}

/*
 * parse_size(s, &v): "N" or "N" followed by K, M, G or T (binary: 1024,
 * 1024^2, ...; either case), at most INT64_MAX.  0 or -1.
 */
static int
parse_size(const char *s, uint64_t *v)
{
	unsigned long long n;
	const char *units = "KMGT", *u;
	char *end;
	int shift = 0;

	if (s[0] < '0' || s[0] > '9')
		return (-1);
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0)
		return (-1);
	if (*end != '\0') {
		if ((end[0] & ~0x20) == 0 ||
		    (u = strchr(units, end[0] & ~0x20)) == NULL ||
		    end[1] != '\0')
			return (-1);
		shift = 10 * (int)(u - units + 1);
	}
	if (n > (unsigned long long)INT64_MAX >> shift)
		return (-1);
	*v = (uint64_t)n << shift;
	return (0);
}

/* Read one line from the terminal without echo; 0 or -1. */
static int
tty_line(FILE *tty, const char *prompt, char *p, size_t *len)
{
	struct termios old, noecho;
	int c, have = 0, rc = 0;
	size_t n = 0;

	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fileno(tty), &old) == 0) {
		have = 1;
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
	}
	while ((c = getc(tty)) != EOF && c != '\n') {
		if (n == PW_MAX) {
			rc = -1;
			continue;
		}
		p[n++] = (char)c;
	}
	if (have)
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	fputs("\n", tty);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	p[n] = '\0';
	*len = n;
	if (rc)
		warn0("password longer than %d bytes", PW_MAX);
	return (rc);
}

/*
 * read_password(user, &len): the new password of user, from
 * COFFERD_PASSWORD or asked twice on /dev/tty.  sodium_malloc'd (free with
 * sodium_free, which wipes), or NULL (reported).
 */
static char *
read_password(const char *user, size_t *len)
{
	const char *env = getenv("COFFERD_PASSWORD");
	char prompt[128], *p, *again = NULL;
	size_t alen;
	FILE *tty = NULL;
	int rc = -1;

	if ((p = sodium_malloc(PW_MAX + 1)) == NULL) {
		warnp("sodium_malloc");
		return (NULL);
	}
	if (env != NULL && env[0] != '\0') {
		if ((*len = strlen(env)) <= PW_MAX) {
			memcpy(p, env, *len + 1);
			rc = 0;
		} else
			warn0("COFFERD_PASSWORD longer than %d bytes", PW_MAX);
	} else if ((tty = fopen("/dev/tty", "r+")) == NULL)
		warn0("no password: set COFFERD_PASSWORD, or run this on a "
		    "terminal");
	else if ((again = sodium_malloc(PW_MAX + 1)) == NULL)
		warnp("sodium_malloc");
	else {
		snprintf(prompt, sizeof(prompt), "new password for %s: ", user);
		if (tty_line(tty, prompt, p, len) == 0 &&
		    tty_line(tty, "again: ", again, &alen) == 0) {
			if (alen != *len || sodium_memcmp(p, again, alen) != 0)
				warn0("passwords do not match");
			else if (*len == 0)
				warn0("empty password refused");
			else
				rc = 0;
		}
	}
	if (tty != NULL)
		fclose(tty);
	if (again != NULL)
		sodium_free(again);
	if (rc) {
		sodium_free(p);
		return (NULL);
	}
	return (p);
}

/* ---------------------------------------------------------------------- */
/* user */

static int
user_add_main(struct srv_db *db, struct args *a)
{
	const char *name = a->pos[0];
	char buf[72], *pw;
	size_t len;
	int rc;

	if (!srv_user_valid_name(name)) {
		warn0("invalid user name \"%s\": 1 to %d of a-z 0-9 . _ -, "
		    "not starting with '.'", shown(name, buf), SRV_USER_MAX);
		return (1);
	}
	if ((pw = read_password(name, &len)) == NULL)
		return (1);
	rc = srv_user_add(db, name, pw, len, a->actor);
	sodium_free(pw);
	if (rc != 0)
		return (1);
	printf("added user %s\n", name);
	return (0);
}

static int
user_passwd_main(struct srv_db *db, struct args *a)
{
	struct srv_user_info u;
	char buf[72], *pw;
	size_t len;
	int rc;

	/* Before asking for a password that could not be used. */
	if ((rc = srv_user_get(db, a->pos[0], &u)) != 0) {
		if (rc == 1)
			warn0("no such user: %s", shown(a->pos[0], buf));
		return (1);
	}
	if ((pw = read_password(a->pos[0], &len)) == NULL)
		return (1);
	rc = srv_user_passwd(db, a->pos[0], pw, len, a->actor);
	sodium_free(pw);
	if (rc != 0)
		return (1);
	printf("changed the password of %s\n", a->pos[0]);
	return (0);
}

/*
 * Removing an account that still has repositories would leave them on disk
 * for whoever is given the name next: refuse, unless --delete-data says to
 * delete them too (recorded in the audit row).
 */
static int
user_remove_main(struct srv_db *db, struct args *a)
{
	int has = srv_userdata_exists(a->data, a->pos[0]);
	char where[2200];

	if (has && !a->delete_data) {
		if (srv_storage_where(a->data, a->pos[0], where,
		    sizeof(where)) == 0)
			warn0("user %s still has repositories in %s: export "
			    "them first if they must be kept, then run again "
			    "with --delete-data", a->pos[0], where);
		return (1);
	}
	if (srv_user_remove(db, a->pos[0], a->actor) != 0)
		return (1);
	if (has) {
		if (srv_userdata_delete(a->data, a->pos[0]) != 0 ||
		    srv_audit(db, a->pos[0], "data.delete", "all repositories "
		    "deleted with the account", a->actor) != 0)
			return (1);
		printf("removed user %s, its tokens and its repositories\n",
		    a->pos[0]);
	} else
		printf("removed user %s and its tokens\n", a->pos[0]);
	return (0);
}

/*
 * An export for a legal request: a copy of the account's ciphertext, and an
 * audit row the user's clients will see through the transparency log.
 */
static int
user_export_main(struct srv_db *db, struct args *a)
{
	struct srv_user_info ui;
	char detail[256];
	uint64_t files, bytes;
	int rc;

	if ((rc = srv_user_get(db, a->pos[0], &ui)) != 0) {
		if (rc == 1)
			warn0("no user %s", a->pos[0]);
		return (1);
	}
	if (a->to == NULL) {
		warn0("user export needs --to DIR (a new directory)");
		return (1);
	}
	snprintf(detail, sizeof(detail), "reason: %.200s",
	    a->reason != NULL ? a->reason : "(none given)");
	/* Audit first: an export that is not recorded must not happen. */
	if (srv_audit(db, a->pos[0], "data.export", detail, a->actor) != 0)
		return (1);
	if (srv_userdata_export(a->data, a->pos[0], a->to, &files, &bytes)) {
		warn0("export of %s to %s failed (partial copy left there)",
		    a->pos[0], a->to);
		return (1);
	}
	printf("exported %llu files (%llu bytes) of %s to %s: ciphertext "
	    "only; the export is in the audit log\n",
	    (unsigned long long)files, (unsigned long long)bytes, a->pos[0],
	    a->to);
	return (0);
}

static int
user_quota_main(struct srv_db *db, struct args *a)
{
	char buf[72];
	uint64_t q;

	if (parse_size(a->pos[1], &q)) {
		warn0("invalid quota \"%s\": bytes, or a number followed by "
		    "K, M, G or T; 0 for unlimited", shown(a->pos[1], buf));
		return (1);
	}
	if (srv_user_set_quota(db, a->pos[0], q, a->actor) != 0)
		return (1);
	if (q == 0)
		printf("quota of %s: unlimited\n", a->pos[0]);
	else
		printf("quota of %s: %llu bytes\n", a->pos[0],
		    (unsigned long long)q);
	return (0);
}

static int
user_list_main(struct srv_db *db, struct args *a)
{
	struct srv_user_info *v;
	char t[32], q[24];
	json_t *arr;
	size_t n, i;

	if (srv_user_list(db, &v, &n))
		return (1);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < n && arr != NULL; i++)
			json_array_append_new(arr, json_pack(
			    "{s:s,s:I,s:I,s:I}", "name", v[i].name,
			    "quota", (json_int_t)v[i].quota,
			    "used", (json_int_t)v[i].used,
			    "created", (json_int_t)v[i].created));
		free(v);
		return (json_out(arr));
	}
	printf("%-24s %20s %20s  %s\n", "NAME", "QUOTA", "USED", "CREATED");
	for (i = 0; i < n; i++) {
		if (v[i].quota == 0)
			snprintf(q, sizeof(q), "unlimited");
		else
			snprintf(q, sizeof(q), "%llu",
			    (unsigned long long)v[i].quota);
		printf("%-24s %20s %20llu  %s\n", v[i].name, q,
		    (unsigned long long)v[i].used, isotime(v[i].created, t));
	}
	free(v);
	return (0);
}

/* ---------------------------------------------------------------------- */
/* token */

static int
token_add_main(struct srv_db *db, struct args *a)
{
	char token[SRV_TOKEN_SIZE], id[SRV_TOKEN_ID_LEN + 1];
	enum srv_perm perm;
	int rc;

	if (a->perm == NULL || srv_perm_parse(a->perm, &perm)) {
		warn0("token add: --perm must be full, append or read");
		return (1);
	}
	if (srv_token_add(db, a->pos[0], perm, a->label, token, sizeof(token),
	    id, a->actor) != 0)
		return (1);
	rc = (printf("%s\n", token) < 0 || fflush(stdout) != 0);
	sodium_memzero(token, sizeof(token));
	if (rc) {
		warnp("cannot write the token");
		return (1);
	}
	fprintf(stderr, "token id %s (%s) for %s\n", id, srv_perm_name(perm),
	    a->pos[0]);
	return (0);
}

static int
token_revoke_main(struct srv_db *db, struct args *a)
{

	if (srv_token_revoke(db, a->pos[0], a->pos[1], a->actor) != 0)
		return (1);
	printf("revoked token %s of %s\n", a->pos[1], a->pos[0]);
	return (0);
}

static int
token_list_main(struct srv_db *db, struct args *a)
{
	struct srv_token_info *v;
	char t[32];
	json_t *arr;
	size_t n, i;

	if (srv_token_list(db, a->pos[0], &v, &n))
		return (1);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < n && arr != NULL; i++)
			json_array_append_new(arr, json_pack(
			    "{s:s,s:s,s:s,s:I}", "id", v[i].id,
			    "perm", srv_perm_name(v[i].perm),
			    "label", v[i].label,
			    "created", (json_int_t)v[i].created));
		free(v);
		return (json_out(arr));
	}
	printf("%-16s  %-6s  %-20s  %s\n", "ID", "PERM", "CREATED", "LABEL");
	for (i = 0; i < n; i++)
		printf("%-16s  %-6s  %-20s  %s\n", v[i].id,
		    srv_perm_name(v[i].perm), isotime(v[i].created, t),
		    v[i].label);
	free(v);
	return (0);
}

/* ---------------------------------------------------------------------- */
/* audit */

static int
audit_main(struct srv_db *db, struct args *a)
{
	struct srv_audit_entry *v, *e;
	char t[32], buf[72];
	json_t *arr;
	size_t n, i;

	if (a->npos == 1 && !srv_user_valid_name(a->pos[0])) {
		warn0("invalid user name \"%s\"", shown(a->pos[0], buf));
		return (1);
	}
	if (srv_audit_list(db, a->npos == 1 ? a->pos[0] : NULL, &v, &n))
		return (1);
	if (a->json) {
		arr = json_array();
		for (i = 0; i < n && arr != NULL; i++) {
			e = &v[i];
			json_array_append_new(arr, json_pack(
			    "{s:I,s:I,s:s,s:s,s:s,s:s}", "seq",
			    (json_int_t)e->seq, "time", (json_int_t)e->time,
			    "user", e->user, "action", e->action,
			    "detail", e->detail, "actor", e->actor));
		}
		free(v);
		return (json_out(arr));
	}
	printf("%-6s  %-20s  %-16s  %-12s  %-20s  %s\n", "SEQ", "TIME", "USER",
	    "ACTION", "ACTOR", "DETAIL");
	for (i = 0; i < n; i++) {
		e = &v[i];
		printf("%-6lld  %-20s  %-16s  %-12s  %-20s  %s\n",
		    (long long)e->seq, isotime(e->time, t), e->user, e->action,
		    e->actor, e->detail);
	}
	free(v);
	return (0);
}

/* ---------------------------------------------------------------------- */
/* Dispatch. */

static const struct verb verbs[] = {
	{ "user", "add", 1, 1, 0, user_add_main, "user add NAME" },
	{ "user", "remove", 1, 1, O_DELETE, user_remove_main,
	    "user remove NAME [--delete-data]" },
	{ "user", "export", 1, 1, O_TO | O_REASON, user_export_main,
	    "user export NAME --to DIR [--reason TEXT]" },
	{ "user", "passwd", 1, 1, 0, user_passwd_main, "user passwd NAME" },
	{ "user", "list", 0, 0, O_JSON, user_list_main,
	    "user list [--json]" },
	{ "user", "quota", 2, 2, 0, user_quota_main, "user quota NAME BYTES" },
	{ "token", "add", 1, 1, O_PERM | O_LABEL, token_add_main,
	    "token add NAME --perm full|append|read [--label TEXT]" },
	{ "token", "revoke", 2, 2, 0, token_revoke_main,
	    "token revoke NAME ID" },
	{ "token", "list", 1, 1, O_JSON, token_list_main,
	    "token list NAME [--json]" },
	{ "audit", NULL, 0, 1, O_JSON, audit_main, "audit [NAME] [--json]" },
};

#define NVERBS	(sizeof(verbs) / sizeof(verbs[0]))

static void
usage(FILE *f, const char *group)
{
	size_t i;

	fprintf(f, "usage:\n");
	for (i = 0; i < NVERBS; i++)
		if (group == NULL || strcmp(verbs[i].group, group) == 0)
			fprintf(f, "  cofferd %s --data DIR\n", verbs[i].usage);
	fprintf(f, "BYTES takes a K, M, G or T suffix (powers of 1024); 0 is "
	    "unlimited.\nA new password comes from COFFERD_PASSWORD, or is "
	    "asked twice on the terminal.\nEvery change is recorded in the "
	    "audit table with actor admin:<unix user>.\n");
}

/* An option's value: "--opt=V" or "--opt V".  1 if argv[*i] is --opt. */
static int
optval(int argc, char **argv, int *i, const char *opt, const char **val)
{
	size_t l = strlen(opt);
	const char *s = argv[*i];

	if (strncmp(s, opt, l) != 0 || (s[l] != '\0' && s[l] != '='))
		return (0);
	if (s[l] == '=')
		*val = s + l + 1;
	else if (*i + 1 < argc)
		*val = argv[++*i];
	else
		*val = NULL;
	return (1);
}

/* Parse argv[first..] into a.  0, 1 on error (reported), 2 for --help. */
static int
parse_args(int argc, char **argv, int first, struct args *a)
{
	const char *val = NULL;
	char buf[72];
	int i;

	for (i = first; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return (2);
		if (optval(argc, argv, &i, "--data", &val))
			a->data = val;
		else if (optval(argc, argv, &i, "--perm", &val)) {
			a->perm = val;
			a->seen |= O_PERM;
		} else if (optval(argc, argv, &i, "--label", &val)) {
			a->label = val;
			a->seen |= O_LABEL;
		} else if (optval(argc, argv, &i, "--to", &val)) {
			a->to = val;
			a->seen |= O_TO;
		} else if (optval(argc, argv, &i, "--reason", &val)) {
			a->reason = val;
			a->seen |= O_REASON;
		} else if (strcmp(argv[i], "--delete-data") == 0) {
			a->delete_data = 1;
			a->seen |= O_DELETE;
			continue;
		} else if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
			a->seen |= O_JSON;
			continue;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0' &&
		    (argv[i][1] < '0' || argv[i][1] > '9')) {
			warn0("unknown option %s", shown(argv[i], buf));
			return (1);
		} else if (a->npos == MAXPOS) {
			warn0("too many arguments");
			return (1);
		} else {
			a->pos[a->npos++] = argv[i];
			continue;
		}
		if (val == NULL) {
			warn0("option %s needs a value", shown(argv[i], buf));
			return (1);
		}
	}
	return (0);
}

static const struct verb *
find_verb(int argc, char **argv, int *first)
{
	size_t i;

	for (i = 0; i < NVERBS; i++) {
		if (strcmp(verbs[i].group, argv[0]) != 0)
			continue;
		if (verbs[i].name == NULL) {
			*first = 1;
			return (&verbs[i]);
		}
		if (argc > 1 && strcmp(verbs[i].name, argv[1]) == 0) {
			*first = 2;
			return (&verbs[i]);
		}
	}
	return (NULL);
}

/*
 * Admin files must belong to the server's user: a root-owned database in
 * the server's data directory would lock the server out.  0 or -1.
 */
static int
check_owner(const char *dir, int create)
{
	struct stat sb;
	char path[4096];

	if (stat(dir, &sb) == -1) {
		if (errno == ENOENT && create)
			return (0);
		warnp("cofferd data directory %s", dir);
		return (-1);
	}
	if (sb.st_uid != geteuid()) {
		warn0("%s belongs to uid %u, not to this user (uid %u): run "
		    "this command as the user cofferd runs as", dir,
		    (unsigned)sb.st_uid, (unsigned)geteuid());
		return (-1);
	}
	snprintf(path, sizeof(path), "%s/cofferd.db", dir);
	if (!create && access(path, F_OK) == -1) {
		warnp("no cofferd database in %s (%s)", dir, path);
		return (-1);
	}
	return (0);
}

static void
set_actor(struct args *a)
{
	struct passwd *pw = getpwuid(getuid());

	if (pw != NULL && pw->pw_name != NULL && strlen(pw->pw_name) < 48)
		snprintf(a->actor, sizeof(a->actor), "admin:%s", pw->pw_name);
	else
		snprintf(a->actor, sizeof(a->actor), "admin:uid%u",
		    (unsigned)getuid());
}

int
srv_admin_main(int argc, char **argv)
{
	struct args a;
	const struct verb *v;
	struct srv_db *db;
	char buf[72];
	int first = 0, rc;

	memset(&a, 0, sizeof(a));
	if (argc < 1 || (v = find_verb(argc, argv, &first)) == NULL) {
		if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
			usage(stdout, argv[0]);
			return (0);
		}
		if (argc >= 1 && strcmp(argv[0], "audit") != 0)
			warn0("%s: %s subcommand%s%s", argv[0], argc > 1 ?
			    "unknown" : "missing", argc > 1 ? " " : "",
			    argc > 1 ? shown(argv[1], buf) : "");
		else
			warn0("unknown command");
		usage(stderr, argc > 0 ? argv[0] : NULL);
		return (1);
	}
	if ((rc = parse_args(argc, argv, first, &a)) == 2) {
		usage(stdout, argv[0]);
		return (0);
	}
	if (rc != 0)
		return (1);
	if (a.npos < v->minpos || a.npos > v->maxpos ||
	    (a.seen & ~v->opts) != 0 || a.data == NULL) {
		warn0("%s; usage: cofferd %s --data DIR", a.data == NULL ?
		    "missing --data DIR" : (a.seen & ~v->opts) != 0 ?
		    "option not accepted here" : a.npos < v->minpos ?
		    "missing argument" : "too many arguments", v->usage);
		return (1);
	}
	set_actor(&a);
	if (check_owner(a.data, v->fn == user_add_main) ||
	    srv_db_open(a.data, &db))
		return (1);
	rc = v->fn(db, &a);
	srv_db_close(db);
	if (fflush(stdout) != 0) {
		warnp("stdout");
		rc = 1;
	}
	return (rc);
}
