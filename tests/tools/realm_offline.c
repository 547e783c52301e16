/*
 * realm_offline REPO PIN DB [DB ...]: what whoever holds the given realms'
 * whole databases (realm.db), the repository and the right PIN can do
 * offline, with no realm answering.  It takes every registered record of
 * the repository's record id from each database (k_i, s_i, the encrypted
 * secret, the commitment), combines the shares it has as if they were
 * enough, and checks the result against the unlock key commitment; then
 * tries to open the repository.
 *
 * Fewer databases than the threshold: the combination is a wrong key, so
 * "cannot recover: ..." and exit 1 (the property docs/RECOVERY.md 6.2
 * claims).  The threshold or more: "recovered: ..." and exit 0 (the
 * control that shows this tool could succeed; it is also what t
 * compromised realms can do).  Exit 2 on usage or I/O errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "backend/backend.h"
#include "crypto/crypto.h"
#include "recovery/oprf.h"
#include "recovery/rkdf.h"
#include "recovery/shamir.h"
#include "repo/keyslot_recovery.h"
#include "repo/repo.h"
#include "util/warnp.h"

#define MAXDB	16

struct share {
	uint8_t realm_id[16];
	uint8_t version[16];
	uint8_t index;
	uint8_t k[32], s[32];
	uint8_t commitment[32];
	uint8_t enc[48];
};

static int
blob(sqlite3_stmt *st, int col, uint8_t *dst, size_t len)
{
	const void *p = sqlite3_column_blob(st, col);

	if (p == NULL || (size_t)sqlite3_column_bytes(st, col) != len)
		return (-1);
	memcpy(dst, p, len);
	return (0);
}

/* The registered record of rid in the database at path.  0, 1 none, -1. */
static int
load(const char *path, const uint8_t rid[16], struct share *sh)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		warn0("%s: cannot open", path);
		goto done;
	}
	if (sqlite3_prepare_v2(h, "SELECT value FROM meta WHERE key = "
	    "'realm_id'", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || blob(st, 0, sh->realm_id, 16)) {
		warn0("%s: not a realm database", path);
		goto done;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(h, "SELECT version, share_index, k, s, "
	    "commitment, enc FROM records WHERE rid = ? AND state = 1", -1,
	    &st, NULL) != SQLITE_OK) {
		warn0("%s: %s", path, sqlite3_errmsg(h));
		goto done;
	}
	sqlite3_bind_blob(st, 1, rid, 16, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = 1;
		goto done;
	}
	sh->index = (uint8_t)sqlite3_column_int(st, 1);
	if (blob(st, 0, sh->version, 16) || blob(st, 2, sh->k, 32) ||
	    blob(st, 3, sh->s, 32) || blob(st, 4, sh->commitment, 32) ||
	    blob(st, 5, sh->enc, 48)) {
		warn0("%s: damaged record", path);
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(st);
	sqlite3_close(h);
	return (rc);
}

/* Try with the shares at hand, as if they were enough.  0, 1, 2. */
static int
attempt(struct backend *be, const uint8_t id[32], const struct rslot *cfg,
    const char *pin, const struct share *sh, size_t m)
{
	uint8_t access[32], encseed[32], oprf[64], commit[32], unlock[32];
	uint8_t enckey[32], secret[32], idx[MAXDB], k[32], s[32];
	uint8_t ks[MAXDB][32], ss[MAXDB][32];
	struct repo *r = NULL;
	size_t i;

	for (i = 0; i < m; i++) {
		idx[i] = sh[i].index;
		memcpy(ks[i], sh[i].k, 32);
		memcpy(ss[i], sh[i].s, 32);
	}
	if (shamir_combine(idx, (const uint8_t (*)[32])ks, m, k) ||
	    shamir_combine(idx, (const uint8_t (*)[32])ss, m, s) ||
	    rkdf_stretch(pin, strlen(pin), sh[0].version, id, 32,
	    cfg->opslimit, cfg->memlimit_kib, access, encseed) ||
	    oprf_evaluate(k, access, 32, oprf))
		return (2);
	rkdf_unlock(oprf, commit, unlock);
	if (sodium_memcmp(commit, sh[0].commitment, 32) != 0) {
		printf("cannot recover: the OPRF key from %zu share(s) does "
		    "not match the unlock key commitment, so no PIN can be "
		    "tested offline\n", m);
		return (1);
	}
	rkdf_enc_key(encseed, s, enckey);
	if (rkdf_open_secret(enckey, sh[0].version, sh[0].enc, secret) != 0) {
		printf("cannot recover: the secret does not decrypt\n");
		return (1);
	}
	if (repo_open_recovery(be, secret, &r) != 0) {
		printf("cannot recover: the secret opens no key slot\n");
		return (1);
	}
	printf("recovered: %zu database(s) and the PIN open the "
	    "repository\n", m);
	r->be = NULL;		/* the caller's */
	repo_close(r);
	return (0);
}

int
main(int argc, char **argv)
{
	uint8_t id[32], rid[16];
	struct share sh[MAXDB];
	struct backend *be = NULL;
	struct rslot cfg;
	char name[65];
	size_t m = 0, i;
	int rc = 2, r;

	warnp_setprogname("realm_offline");
	if (argc < 4 || argc - 3 > MAXDB) {
		fprintf(stderr, "usage: realm_offline REPO PIN DB [DB ...]\n");
		return (2);
	}
	if (crypto_init() || (be = backend_open(argv[1])) == NULL ||
	    repo_peek_id(be, id) != 0 ||
	    keyslot_recovery_find(be, &cfg, name) != 0) {
		warn0("%s: no repository with a recovery key slot", argv[1]);
		goto done;
	}
	rkdf_rid(id, rid);
	for (i = 3; i < (size_t)argc; i++) {
		if ((r = load(argv[i], rid, &sh[m])) < 0)
			goto done;
		if (r == 0)
			m++;
	}
	printf("%zu database(s) hold a record; the threshold is %u of %u\n",
	    m, cfg.t, cfg.n);
	if (m == 0) {
		printf("cannot recover: no record\n");
		rc = 1;
		goto done;
	}
	rc = attempt(be, id, &cfg, argv[2], sh, m);
done:
	backend_free(be);
	return (rc);
}
