/*
 * Recovery key slots (lib/repo/keyslot_recovery.c, docs/FORMAT.md 6.2):
 *   - a slot made for a secret opens with it and with nothing else, and
 *     its clear part (realms, threshold, record id, Argon2id parameters)
 *     reads back as written, without any key;
 *   - any change to the clear part or the wrapped key makes it refuse
 *     (the clear part is associated data), any truncation is malformed;
 *   - invalid configurations are not written: minority thresholds,
 *     credentials in a URL, bad jurisdiction labels;
 *   - opening the repository: the secret through repo_open_recovery, the
 *     passcode through repo_open (the recovery slot skipped silently), and
 *     keyslot_list tells the kinds apart.
 */
#include <sys/stat.h>

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "backend/backend.h"
#include "crypto/crypto.h"
#include "repo/keyslot_recovery.h"
#include "repo/repo.h"
#include "util/buf.h"

#include "test.h"

static const struct kdf_params CHEAP = { 1, 8192 };
static uint8_t SECRET[32], ROOT[32], ID[32];
static char DIR[] = "/tmp/test_recovery_slot.XXXXXX";

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{

	(void)st;
	(void)flag;
	(void)f;
	return (remove(path));
}

static void
config(struct rslot *c)
{
	static const char *jur[] = { "DE", "FR", "CH" };
	int i;

	memset(c, 0, sizeof(*c));
	c->opslimit = 1;
	c->memlimit_kib = 8192;
	memset(c->rid, 0x42, sizeof(c->rid));
	c->t = 2;
	c->n = 3;
	for (i = 0; i < 3; i++) {
		memset(c->realm[i].id, 'a' + i, 16);
		snprintf(c->realm[i].jurisdiction,
		    sizeof(c->realm[i].jurisdiction), "%s", jur[i]);
		snprintf(c->realm[i].url, sizeof(c->realm[i].url),
		    "https://realm%d.example:8443/", i);
	}
}

static struct repo *R;

static void
test_roundtrip(void)
{
	struct rslot c, d;
	struct buf b = BUF_INIT;
	uint8_t root[32], wrong[32];
	char name[65], found[65];
	size_t fixed, i;

	config(&c);
	CHECK(keyslot_recovery_add(R, SECRET, &c, name) == 0);
	CHECK(backend_get(R->be, OBJ_KEY, name, &b) == 0);
	CHECK(memcmp(b.data, "CFKY\001\002", 6) == 0);
	CHECK(keyslot_recovery_parse(b.data, b.len, &d, &fixed) == 0);
	CHECK(memcmp(&c, &d, sizeof(c)) == 0);
	CHECK(fixed < b.len);
	CHECK(keyslot_recovery_find(R->be, &d, found) == 0);
	CHECK(strcmp(found, name) == 0 && memcmp(&c, &d, sizeof(c)) == 0);

	CHECK(keyslot_recovery_try(R, b.data, b.len, SECRET, root) == 0);
	CHECK_MEM(root, ROOT, 32);
	memcpy(wrong, SECRET, 32);
	wrong[7] ^= 1;
	CHECK(keyslot_recovery_try(R, b.data, b.len, wrong, root) ==
	    REPO_BADPASS);

	/* Every byte of the clear part and the wrapped key is bound. */
	for (i = 0; i < fixed; i++) {
		int rc;

		b.data[i] ^= 0x01;
		rc = keyslot_recovery_try(R, b.data, b.len, SECRET, root);
		CHECK(rc == 1 || rc == REPO_BADPASS);
		b.data[i] ^= 0x01;
	}
	/* Truncated anywhere before the end of the wrapped key. */
	for (i = 0; i < fixed; i++)
		CHECK(keyslot_recovery_try(R, b.data, i, SECRET, root) == 1);
	buf_release(&b);
}

static void
test_invalid(void)
{
	struct rslot c;
	char name[65];

	config(&c);
	c.t = 1;
	CHECK(keyslot_recovery_add(R, SECRET, &c, name) == -1);
	config(&c);
	c.t = 4;
	CHECK(keyslot_recovery_add(R, SECRET, &c, name) == -1);
	config(&c);
	snprintf(c.realm[1].url, sizeof(c.realm[1].url),
	    "https://alice:pw@realm.example/");
	CHECK(keyslot_recovery_add(R, SECRET, &c, name) == -1);
	config(&c);
	snprintf(c.realm[2].jurisdiction, sizeof(c.realm[2].jurisdiction),
	    "D E");
	CHECK(keyslot_recovery_add(R, SECRET, &c, name) == -1);
	config(&c);
	c.realm[0].jurisdiction[0] = '\0';
	CHECK(keyslot_recovery_add(R, SECRET, &c, name) == -1);
}

static void
test_open(void)
{
	struct keyslot_info *v = NULL;
	struct backend *be;
	struct repo *r = NULL;
	uint8_t id[32], wrong[32];
	size_t n, i, rec = 0, pass = 0;

	/* A passcode slot beside the recovery slot(s). */
	CHECK(keyslot_add(R, "pw", 2, &CHEAP, (char[65]){ 0 }) == 0);
	CHECK((be = backend_local_open(DIR)) != NULL);
	CHECK(repo_peek_id(be, id) == 0 && memcmp(id, ID, 32) == 0);
	CHECK(repo_open_recovery(be, SECRET, &r) == 0);
	CHECK(r != NULL && memcmp(r->k->root, ROOT, 32) == 0);
	CHECK(keyslot_list(r, &v, &n) == 0);
	for (i = 0; i < n; i++) {
		rec += (v[i].kind == 2);
		pass += (v[i].kind == 1);
	}
	CHECK(rec == 1 && pass == 2);	/* "init" and "pw" */
	free(v);
	repo_close(r);
	r = NULL;
	CHECK((be = backend_local_open(DIR)) != NULL);
	memcpy(wrong, SECRET, 32);
	wrong[0] ^= 0x80;
	CHECK(repo_open_recovery(be, wrong, &r) == REPO_BADPASS);
	CHECK(repo_open(be, "pw", 2, &r) == 0);
	repo_close(r);
}

/* A repository with a config, so that repo_peek_id and opening work. */
static int
make_repo(void)
{
	struct backend *be;
	struct repo *r;

	if (mkdtemp(DIR) == NULL || (be = backend_local_open(DIR)) == NULL)
		return (-1);
	if (repo_init(be, "init", 4, &CHEAP, &r))
		return (-1);
	memcpy(ID, r->id, 32);
	memcpy(ROOT, r->k->root, 32);
	R = r;
	return (0);
}

int
main(void)
{

	if (crypto_init() || make_repo())
		return (1);
	randombytes_buf(SECRET, sizeof(SECRET));
	RUN(test_roundtrip);
	RUN(test_invalid);
	RUN(test_open);
	repo_close(R);
	nftw(DIR, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return (TEST_EXIT());
}
