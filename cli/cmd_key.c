#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/warnp.h"

#include "cli.h"

static int
key_list(struct session *ss)
{
	struct keyslot_info *v;
	json_t *a, *j;
	size_t n, i;

	if (keyslot_list(ss->r, &v, &n))
		return (EXIT_ERR);
	if (G.json) {
		a = json_array();
		for (i = 0; i < n; i++) {
			j = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:i, "
			    "s:i}", "id", v[i].name, "kind", v[i].kind == 2 ?
			    "recovery" : "passcode", "current", v[i].current,
			    "created", v[i].created, "hostname", v[i].host,
			    "username", v[i].user,
			    "kdf_opslimit", (int)v[i].opslimit,
			    "kdf_memlimit_kib", (int)v[i].memlimit_kib);
			json_array_append_new(a, j);
		}
		json_dumpf(a, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(a);
	} else {
		printf(" %-8s  %-10s  %-16s  %-20s  %s\n", "ID", "User",
		    "Host", "Created", "Argon2id");
		for (i = 0; i < n; i++)
			printf("%c%.8s  %-10s  %-16s  %-20s  t=%u m=%u MiB%s"
			    "\n", v[i].current ? '*' : ' ', v[i].name,
			    v[i].user, v[i].host, v[i].created, v[i].opslimit,
			    v[i].memlimit_kib / 1024, v[i].kind == 2 ?
			    " (recovery)" : "");
	}
	free(v);
	return (EXIT_OK);
}

static int
key_add(struct session *ss, const char *file, char name[65])
{
	struct kdf_params kdf;
	char *pw;
	size_t len;
	int rc;

	if (passwd_new(file, &pw, &len))
		return (EXIT_ERR);
	rc = kdf_params_default(&kdf) ? -1 :
	    keyslot_add(ss->r, pw, len, &kdf, name);
	passwd_free(pw);
	return (rc ? EXIT_ERR : EXIT_OK);
}

/* Resolve a key id prefix to a full name.  0, or -1 (reported). */
static int
key_resolve(struct session *ss, const char *prefix, char name[65])
{
	struct keyslot_info *v;
	size_t n, i, m = 0, pl = strlen(prefix);

	if (pl == 0 || keyslot_list(ss->r, &v, &n))
		return (-1);
	for (i = 0; i < n; i++)
		if (strncmp(v[i].name, prefix, pl) == 0) {
			memcpy(name, v[i].name, 65);
			m++;
		}
	free(v);
	if (m != 1) {
		warn0(m ? "key id \"%s\" is ambiguous" :
		    "no key slot matching \"%s\"", prefix);
		return (-1);
	}
	return (0);
}

static int
key_remove(struct session *ss, const char *prefix)
{
	struct keyslot_info *v;
	char name[65];
	size_t n;

	if (key_resolve(ss, prefix, name))
		return (EXIT_ERR);
	if (strcmp(name, ss->r->keyslot) == 0) {
		warn0("refusing to remove the key slot in use (%.8s); open "
		    "the repository with another passcode to remove it",
		    name);
		return (EXIT_ERR);
	}
	if (keyslot_list(ss->r, &v, &n))
		return (EXIT_ERR);
	free(v);
	if (n < 2) {
		warn0("refusing to remove the last key slot");
		return (EXIT_ERR);
	}
	if (backend_remove(ss->r->be, OBJ_KEY, name) != 0) {
		warn0("cannot remove key slot %.8s", name);
		return (EXIT_ERR);
	}
	if (!G.quiet)
		printf("removed key slot %.8s\n", name);
	return (EXIT_OK);
}

int
cmd_key(int argc, char **argv)
{
	const char *file = NULL, *verb;
	struct session ss;
	char name[65];
	int i, o = 1, rc;

	/* Our only option: --new-password-file F. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--new-password-file") == 0 &&
		    i + 1 < argc)
			file = argv[++i];
		else if (strncmp(argv[i], "--new-password-file=", 20) == 0)
			file = argv[i] + 20;
		else
			argv[o++] = argv[i];
	}
	argc = o;
	if (argc < 2 || strcmp(argv[1], "--help") == 0) {
		printf("usage: coffer key list|add|passwd|remove ID "
		    "[--new-password-file F]\n");
		return (argc < 2 ? EXIT_ERR : EXIT_OK);
	}
	verb = argv[1];
	if (strcmp(verb, "list") && strcmp(verb, "add") &&
	    strcmp(verb, "passwd") && strcmp(verb, "remove")) {
		usage_error("key", "unknown verb \"%s\"", verb);
		return (EXIT_ERR);
	}
	if ((strcmp(verb, "remove") == 0) != (argc == 3) || argc > 3) {
		usage_error("key", "wrong number of arguments");
		return (EXIT_ERR);
	}
	if ((rc = session_open(&ss, 0)) != EXIT_OK)
		return (rc);
	if (strcmp(verb, "list") == 0)
		rc = key_list(&ss);
	else if (strcmp(verb, "remove") == 0)
		rc = key_remove(&ss, argv[2]);
	else if ((rc = key_add(&ss, file, name)) == EXIT_OK) {
		if (strcmp(verb, "passwd") == 0) {
			/* The new slot exists: now drop the old one. */
			if (backend_remove(ss.r->be, OBJ_KEY,
			    ss.r->keyslot) != 0) {
				warn0("new key slot %.8s added, but the old "
				    "one could not be removed", name);
				rc = EXIT_ERR;
			} else if (!G.quiet)
				printf("passcode changed (key slot %.8s "
				    "replaces %.8s)\n", name, ss.r->keyslot);
		} else if (!G.quiet)
			printf("added key slot %.8s\n", name);
	}
	/* The server must log the key slot change: check that it did. */
	if (rc == EXIT_OK && strcmp(verb, "list") != 0)
		rc = cli_tlog_confirm(&ss);
	session_close(&ss);
	return (rc);
}
