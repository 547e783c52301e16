#ifndef COFFERD_SRV_ADMIN_H
#define COFFERD_SRV_ADMIN_H

/*
 * srv_admin_main(argc, argv): the admin commands of cofferd, run on the
 * server host against <data>/cofferd.db.  argv[0] is the command group,
 * "user", "token" or "audit", and the rest its arguments, so cofferd's main
 * calls srv_admin_main(argc - 1, argv + 1) for `cofferd user ...`:
 *
 *   user add NAME --data DIR         password from COFFERD_PASSWORD, else
 *   user passwd NAME --data DIR      asked twice on the terminal
 *   user remove NAME --data DIR
 *   user list --data DIR [--json]
 *   user quota NAME BYTES --data DIR     BYTES: N[K|M|G|T], 0 = unlimited
 *   token add NAME --perm full|append|read [--label L] --data DIR
 *   token revoke NAME ID --data DIR
 *   token list NAME --data DIR [--json]
 *   audit [NAME] --data DIR [--json]
 *
 * Every change is recorded in the audit table with actor "admin:<unix user
 * name>".  `token add` prints the token, and nothing else, on stdout (its
 * id on stderr).  Options may come anywhere, as "--opt V" or "--opt=V".
 * Returns the exit status: 0 on success, 1 on error (reported).  The caller
 * has set the warnp program name.
 */
int srv_admin_main(int, char **);

#endif
