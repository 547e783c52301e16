/*
 * Passcode key slots (lib/repo/keyslot.c) and opening a repository
 * (lib/repo/repo.c).  A slot is (docs/FORMAT.md, "Key slots"):
 *
 *	 0  "CFKY" || 1 || 1 || opslimit u32le || memlimit_kib u32le
 *	14  salt[16]
 *	30  AES-256-GCM(Argon2id(passcode), 0^12, bytes 0..29 || repo id,
 *	    root key) || tag            (48 bytes)
 *	78  sealed metadata (type "keys", aad = bytes 0..77)
 *
 * The right passcode unwraps the root key; a wrong one, or any changed
 * byte of the fixed part, does not; a malformed slot, or one whose
 * Argon2id parameters are out of bounds, is refused without running
 * Argon2id at all (a hostile server must not make us spend its choice of
 * memory and time).
 */
#include <sys/stat.h>

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backend/backend.h"
#include "crypto/crypto.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/sysinfo.h"
#include "util/warnp.h"

#include "test.h"

#define PW	"correct horse battery staple"
#define PWLEN	(sizeof(PW) - 1)

static uint8_t ID[REPO_ID_LEN], ROOT[CRYPTO_KEY_LEN];
static const struct kdf_params CHEAP = { 1, 8192 };

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{

	(void)st;
	(void)flag;
	(void)f;
	return (remove(path));
}

static void
rm_rf(const char *dir)
{

	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* A repository handle with the test keys on a fresh local directory. */
static struct repo *
open_repo(char *dir, const uint8_t *id)
{
	struct backend *be;
	struct repo *r;

	if (mkdtemp(dir) == NULL || (be = backend_local_open(dir)) == NULL)
		return (NULL);
	if (backend_create(be) || repo_from_root(be, id, ROOT, &r)) {
		backend_free(be);
		return (NULL);
	}
	return (r);
}

/* Add a slot and read its bytes back.  0 on success. */
static int
add_slot(struct repo *r, const char *pw, size_t pwlen,
    const struct kdf_params *kdf, char name[65], struct buf *slot)
{
	uint8_t h[32], want[32];

	if (keyslot_add(r, pw, pwlen, kdf, name) ||
	    backend_get(r->be, OBJ_KEY, name, slot))
		return (-1);
	/* Named by the hash of its bytes. */
	crypto_sha256(slot->data, slot->len, h);
	if (hex_decode(name, want, 32) || memcmp(h, want, 32) != 0)
		return (-1);
	return (0);
}

/* keyslot_try on an exact-size copy (so ASan sees any over-read). */
static int
try_copy(struct repo *r, const uint8_t *p, size_t len, const char *pw,
    size_t pwlen, uint8_t root[32])
{
	uint8_t *q = malloc(len ? len : 1);
	int rc;

	if (q == NULL)
		return (-1);
	if (len > 0)
		memcpy(q, p, len);
	rc = keyslot_try(r, q, len, pw, pwlen, root);
	free(q);
	return (rc);
}

/* The right passcode gives the root key; others do not. */
static void
test_add_try(void)
{
	char dir[] = "/tmp/coffer-test-keyslot.XXXXXX", name[65];
	uint8_t root[32], otherid[32];
	struct buf s = BUF_INIT;
	struct repo *r, *r2 = NULL;

	if ((r = open_repo(dir, ID)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(add_slot(r, PW, PWLEN, &CHEAP, name, &s) == 0);
	CHECK(s.len > 78);
	if (s.len <= 78)
		goto done;
	/* The fixed part, as the format says. */
	CHECK(memcmp(s.data, "CFKY\x01\x01", 6) == 0);
	CHECK(le32dec(s.data + 6) == 1 && le32dec(s.data + 10) == 8192);

	memset(root, 0, 32);
	CHECK(try_copy(r, s.data, s.len, PW, PWLEN, root) == 0);
	CHECK_MEM(root, ROOT, 32);
	/* Only the fixed part is needed to unwrap. */
	memset(root, 0, 32);
	CHECK(try_copy(r, s.data, 78, PW, PWLEN, root) == 0);
	CHECK_MEM(root, ROOT, 32);

	memset(root, 0, 32);
	CHECK(try_copy(r, s.data, s.len, "correct horse battery stapler",
	    PWLEN + 1, root) == REPO_BADPASS);
	CHECK(try_copy(r, s.data, s.len, PW, PWLEN - 1, root) ==
	    REPO_BADPASS);
	CHECK(try_copy(r, s.data, s.len, "", 0, root) == REPO_BADPASS);
	CHECK(memcmp(root, ROOT, 32) != 0);

	/* The slot is bound to the repository id. */
	memcpy(otherid, ID, 32);
	otherid[31] ^= 1;
	CHECK(repo_from_root(NULL, otherid, ROOT, &r2) == 0);
	if (r2 != NULL)
		CHECK(try_copy(r2, s.data, s.len, PW, PWLEN, root) ==
		    REPO_BADPASS);
	repo_close(r2);
	CHECK(memcmp(root, ROOT, 32) != 0);

	/* Two slots for the same passcode differ (fresh salt). */
	{
		struct buf s2 = BUF_INIT;
		char name2[65];

		CHECK(add_slot(r, PW, PWLEN, &CHEAP, name2, &s2) == 0);
		CHECK(strcmp(name, name2) != 0);
		CHECK(s2.len >= 78 && memcmp(s.data + 14, s2.data + 14,
		    16) != 0);
		buf_release(&s2);
	}
done:
	buf_release(&s);
	repo_close(r);
	rm_rf(dir);
}

/*
 * Any change in the fixed part (magic, version, kind, parameters, salt,
 * wrapped key, tag) gives no root key: the slot is refused as malformed
 * (1) or the tag fails (REPO_BADPASS).  The sealed metadata is not used
 * to unwrap the key.
 */
static void
test_flips(void)
{
	char dir[] = "/tmp/coffer-test-keyslot.XXXXXX", name[65];
	uint8_t root[32];
	struct buf s = BUF_INIT;
	struct repo *r;
	size_t pos;
	int rc, bad = 0;

	if ((r = open_repo(dir, ID)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(add_slot(r, PW, PWLEN, &CHEAP, name, &s) == 0);
	if (s.len <= 78) {
		CHECK(0);
		goto done;
	}
	for (pos = 0; pos < 78; pos++) {
		s.data[pos] ^= 0x01;
		memset(root, 0, 32);
		rc = try_copy(r, s.data, s.len, PW, PWLEN, root);
		if ((rc != 1 && rc != REPO_BADPASS) ||
		    memcmp(root, ROOT, 32) == 0) {
			fprintf(stderr, "  flip at %zu: %d\n", pos, rc);
			bad++;
		}
		/* Magic, version, kind: malformed, no Argon2id. */
		if (pos < 6 && rc != 1)
			bad++;
		/* Salt and wrapped key: the tag fails. */
		if (pos >= 14 && rc != REPO_BADPASS)
			bad++;
		s.data[pos] ^= 0x01;
	}
	CHECK(bad == 0);
	/* A flip in the metadata does not stop the unwrapping. */
	s.data[s.len - 1] ^= 0x01;
	CHECK(try_copy(r, s.data, s.len, PW, PWLEN, root) == 0);
	CHECK_MEM(root, ROOT, 32);
done:
	buf_release(&s);
	repo_close(r);
	rm_rf(dir);
}

/*
 * Malformed slots are refused with 1 before any Argon2id: cheap to
 * check, since an out-of-bounds opslimit or memlimit would take hours or
 * fail with ENOMEM (-1) if Argon2id ran.  The bounds themselves
 * (opslimit 1 and KDF_MAX_OPS, memlimit 8 KiB) are accepted and run.
 */
static void
test_malformed(void)
{
	static const struct {
		size_t off;
		uint32_t val;	/* u32le at off, or a byte if off < 6 */
	} bad[] = {
		{ 0, 'X' }, { 3, 'k' }, { 4, 0 }, { 4, 2 }, { 4, 0xff },
		{ 5, 0 }, { 5, 2 },
		{ 6, 0 }, { 6, KDF_MAX_OPS + 1 }, { 6, 1u << 31 }, { 6, UINT32_MAX },
		{ 10, 0 }, { 10, 7 }, { 10, (4u << 20) + 1 },
		{ 10, 1u << 31 }, { 10, UINT32_MAX },
	};
	char dir[] = "/tmp/coffer-test-keyslot.XXXXXX", name[65];
	uint8_t root[32], *q;
	struct buf s = BUF_INIT;
	struct repo *r;
	double t0, dt;
	size_t i, len;
	int rc;

	if ((r = open_repo(dir, ID)) == NULL) {
		CHECK(0);
		return;
	}
	CHECK(add_slot(r, PW, PWLEN, &CHEAP, name, &s) == 0);
	if (s.len <= 78 || (q = malloc(s.len)) == NULL) {
		CHECK(0);
		goto done;
	}
	/* Short slots, down to nothing. */
	memset(root, 0, sizeof(root));
	t0 = now();
	for (len = 0; len < 78; len++)
		CHECK(try_copy(r, s.data, len, PW, PWLEN, root) == 1);
	CHECK(now() - t0 < 0.5);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(q, s.data, s.len);
		if (bad[i].off < 6)
			q[bad[i].off] = (uint8_t)bad[i].val;
		else
			le32enc(q + bad[i].off, bad[i].val);
		t0 = now();
		rc = try_copy(r, q, s.len, PW, PWLEN, root);
		dt = now() - t0;
		CHECK(rc == 1);
		CHECK(dt < 0.5);
		if (rc != 1 || dt >= 0.5)
			fprintf(stderr, "  case %zu: %d in %.3f s\n", i, rc,
			    dt);
		CHECK(memcmp(root, ROOT, 32) != 0);
	}
	/* The limits are inside the bounds: Argon2id runs, the tag fails. */
	memcpy(q, s.data, s.len);
	le32enc(q + 6, 1);
	le32enc(q + 10, 8);
	CHECK(try_copy(r, q, s.len, PW, PWLEN, root) == REPO_BADPASS);
	le32enc(q + 6, KDF_MAX_OPS);
	CHECK(try_copy(r, q, s.len, PW, PWLEN, root) == REPO_BADPASS);
	free(q);
done:
	buf_release(&s);
	repo_close(r);
	rm_rf(dir);
}

/* keyslot_list: each slot's name, parameters and sealed metadata. */
static void
test_list(void)
{
	char dir[] = "/tmp/coffer-test-keyslot.XXXXXX", n1[65], n2[65];
	char host[256] = "", user[256] = "", path[4200];
	const struct kdf_params other = { 2, 16 };
	struct keyslot_info *v = NULL;
	struct buf s = BUF_INIT;
	struct repo *r;
	size_t n = 0, i, k;
	FILE *f;

	if ((r = open_repo(dir, ID)) == NULL) {
		CHECK(0);
		return;
	}
	sysinfo_host(host, sizeof(host));
	sysinfo_user(user, sizeof(user));
	CHECK(add_slot(r, PW, PWLEN, &CHEAP, n1, &s) == 0);
	CHECK(add_slot(r, "x", 1, &other, n2, &s) == 0);
	memcpy(r->keyslot, n2, 65);
	CHECK(keyslot_list(r, &v, &n) == 0);
	CHECK(n == 2);
	for (i = 0; v != NULL && i < n && i < 2; i++) {
		const struct keyslot_info *ki = &v[i];
		int second = strcmp(ki->name, n2) == 0;

		CHECK(strcmp(ki->name, n1) == 0 || second);
		CHECK(ki->current == second);
		CHECK(ki->opslimit == (second ? 2u : 1u));
		CHECK(ki->memlimit_kib == (second ? 16u : 8192u));
		CHECK(strcmp(ki->host, host) == 0);
		CHECK(strncmp(ki->user, user, sizeof(ki->user) - 1) == 0);
		/* "YYYY-MM-DDTHH:MM:SSZ" */
		CHECK(strlen(ki->created) == 20 && ki->created[4] == '-' &&
		    ki->created[10] == 'T' && ki->created[19] == 'Z');
		for (k = 0; k < 4; k++)
			CHECK(ki->created[k] >= '0' && ki->created[k] <= '9');
	}
	free(v);
	v = NULL;

	/* Damaged metadata: listed, marked unknown. */
	snprintf(path, sizeof(path), "%s/keys/%s", dir, n1);
	if ((f = fopen(path, "r+b")) != NULL) {
		fseek(f, 100, SEEK_SET);
		fputc(0, f);
		fseek(f, 101, SEEK_SET);
		fputc(0xff, f);
		fclose(f);
	} else
		CHECK(0);
	warnp_quiet(1);
	CHECK(keyslot_list(r, &v, &n) == 0);
	warnp_quiet(0);
	CHECK(n == 2);
	for (i = 0; v != NULL && i < n && i < 2; i++)
		if (strcmp(v[i].name, n1) == 0)
			CHECK(strcmp(v[i].created, "?") == 0);
		else
			CHECK(strcmp(v[i].host, host) == 0);
	free(v);
	buf_release(&s);
	repo_close(r);
	rm_rf(dir);
}

/* Overwrite n bytes at off of the file at path. */
static int
patch_file(const char *path, long off, const void *p, size_t n)
{
	FILE *f;
	int ok;

	if ((f = fopen(path, "r+b")) == NULL)
		return (-1);
	ok = fseek(f, off, SEEK_SET) == 0 && fwrite(p, 1, n, f) == n;
	return ((fclose(f) == 0 && ok) ? 0 : -1);
}

/* Read n bytes at off of the file at path. */
static int
peek_file(const char *path, long off, void *p, size_t n)
{
	FILE *f;
	int ok;

	if ((f = fopen(path, "rb")) == NULL)
		return (-1);
	ok = fseek(f, off, SEEK_SET) == 0 && fread(p, 1, n, f) == n;
	fclose(f);
	return (ok ? 0 : -1);
}

/* repo_open on a location; the backend is freed on failure. */
static int
open_at(const char *loc, const char *pw, struct repo **rp)
{
	struct backend *be;
	int rc;

	*rp = NULL;
	if ((be = backend_local_open(loc)) == NULL)
		return (-99);
	warnp_quiet(1);
	rc = repo_open(be, pw, strlen(pw), rp);
	warnp_quiet(0);
	if (rc != 0)
		backend_free(be);
	return (rc);
}

/*
 * repo_init then repo_open through a local backend: the right passcode
 * opens (same id, same root key), a wrong one gives REPO_BADPASS, a
 * missing repository REPO_NOREPO, a config of another version, another
 * magic or a damaged body -1.
 */
static void
test_init_open(void)
{
	char top[] = "/tmp/coffer-test-keyslot.XXXXXX", loc[64];
	char cfg[128], missing[128], slot[65];
	uint8_t id[32], root[32], v4[4], orig[4];
	struct backend *be;
	struct repo *r = NULL;
	size_t i;
	int rc;

	if (mkdtemp(top) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(loc, sizeof(loc), "%s/repo", top);
	snprintf(cfg, sizeof(cfg), "%s/config", loc);
	snprintf(missing, sizeof(missing), "%s/nothing-here", top);
	if ((be = backend_local_open(loc)) == NULL) {
		CHECK(0);
		goto done;
	}
	CHECK(repo_init(be, PW, PWLEN, &CHEAP, &r) == 0);
	if (r == NULL) {
		backend_free(be);
		goto done;
	}
	memcpy(id, r->id, 32);
	memcpy(root, r->k->root, 32);
	memcpy(slot, r->keyslot, 65);
	CHECK(backend_valid_name(slot));
	repo_close(r);
	r = NULL;

	/* Right passcode. */
	CHECK(open_at(loc, PW, &r) == 0);
	if (r != NULL) {
		CHECK(memcmp(r->id, id, 32) == 0);
		CHECK(memcmp(r->k->root, root, 32) == 0);
		CHECK(strcmp(r->keyslot, slot) == 0);
		CHECK(r->version == 1);
		CHECK(r->cfg.pack_size >= (1u << 20));
		/* A second passcode, then both open. */
		CHECK(keyslot_add(r, "second", 6, &CHEAP, slot) == 0);
		repo_close(r);
		r = NULL;
	}
	CHECK(open_at(loc, "second", &r) == 0);
	if (r != NULL) {
		CHECK(memcmp(r->k->root, root, 32) == 0);
		CHECK(strcmp(r->keyslot, slot) == 0);
		repo_close(r);
		r = NULL;
	}
	/* Wrong passcode; missing repository. */
	CHECK(open_at(loc, "wrong", &r) == REPO_BADPASS && r == NULL);
	CHECK(open_at(loc, "", &r) == REPO_BADPASS);
	CHECK(open_at(missing, PW, &r) == REPO_NOREPO && r == NULL);
	/* A repository exists there already. */
	if ((be = backend_local_open(loc)) != NULL) {
		warnp_quiet(1);
		CHECK(repo_init(be, PW, PWLEN, &CHEAP, &r) == -1);
		warnp_quiet(0);
		backend_free(be);
	}

	/* Version 2, 0 and 2^32-1; other magic; then restored. */
	CHECK(peek_file(cfg, 4, orig, 4) == 0);
	CHECK(le32dec(orig) == 1);
	{
		static const uint32_t vers[] = { 2, 0, UINT32_MAX };

		for (i = 0; i < 3; i++) {
			le32enc(v4, vers[i]);
			CHECK(patch_file(cfg, 4, v4, 4) == 0);
			rc = open_at(loc, PW, &r);
			CHECK(rc == -1 && r == NULL);
		}
	}
	CHECK(patch_file(cfg, 4, orig, 4) == 0);
	CHECK(patch_file(cfg, 0, "CFFX", 4) == 0);
	CHECK(open_at(loc, PW, &r) == -1);
	CHECK(patch_file(cfg, 0, "CFFR", 4) == 0);
	CHECK(open_at(loc, PW, &r) == 0);
	repo_close(r);
	r = NULL;
	/* The id in the header is authenticated: another id, -1 or badpass. */
	{
		uint8_t c;

		CHECK(peek_file(cfg, 8, &c, 1) == 0);
		c ^= 1;
		CHECK(patch_file(cfg, 8, &c, 1) == 0);
		rc = open_at(loc, PW, &r);
		CHECK((rc == -1 || rc == REPO_BADPASS) && r == NULL);
		c ^= 1;
		CHECK(patch_file(cfg, 8, &c, 1) == 0);
		/* A byte of the sealed body. */
		CHECK(peek_file(cfg, 60, &c, 1) == 0);
		c ^= 0x40;
		CHECK(patch_file(cfg, 60, &c, 1) == 0);
		CHECK(open_at(loc, PW, &r) == -1 && r == NULL);
		c ^= 0x40;
		CHECK(patch_file(cfg, 60, &c, 1) == 0);
	}
	CHECK(open_at(loc, PW, &r) == 0);
	repo_close(r);
	r = NULL;
	/* A config too short for its header. */
	CHECK(truncate(cfg, 39) == 0);
	CHECK(open_at(loc, PW, &r) == -1 && r == NULL);
done:
	repo_close(r);
	rm_rf(top);
}

/*
 * Foreign and malformed objects in keys/ do not stop the right slot from
 * opening: garbage named by its hash, a slot of another repository, a
 * slot larger than 64 KiB, a slot whose name is not its hash.
 */
static void
test_open_skips(void)
{
	char top[] = "/tmp/coffer-test-keyslot.XXXXXX", a[64], b[64];
	char name[65], own[65];
	uint8_t h[32], junk[200];
	struct backend *be;
	struct repo *ra = NULL, *rb = NULL, *r = NULL;
	struct buf s = BUF_INIT, big = BUF_INIT;

	if (mkdtemp(top) == NULL) {
		CHECK(0);
		return;
	}
	snprintf(a, sizeof(a), "%s/a", top);
	snprintf(b, sizeof(b), "%s/b", top);
	if ((be = backend_local_open(a)) == NULL ||
	    repo_init(be, PW, PWLEN, &CHEAP, &ra) != 0) {
		CHECK(0);
		backend_free(be);
		goto done;
	}
	if ((be = backend_local_open(b)) == NULL ||
	    repo_init(be, "other", 5, &CHEAP, &rb) != 0) {
		CHECK(0);
		backend_free(be);
		goto done;
	}
	/* b's slot, copied into a: wrong repository id. */
	CHECK(backend_get(rb->be, OBJ_KEY, rb->keyslot, &s) == 0);
	CHECK(backend_put(ra->be, OBJ_KEY, rb->keyslot, s.data, s.len) == 0);
	/* Garbage. */
	memset(junk, 0x5a, sizeof(junk));
	crypto_sha256(junk, sizeof(junk), h);
	hex_encode(h, 32, name);
	CHECK(backend_put(ra->be, OBJ_KEY, name, junk, sizeof(junk)) == 0);
	/* a's own slot under a name that is not its hash. */
	memcpy(own, ra->keyslot, 65);
	CHECK(backend_get(ra->be, OBJ_KEY, ra->keyslot, &s) == 0);
	memset(h, 0x11, 32);
	hex_encode(h, 32, name);
	CHECK(backend_put(ra->be, OBJ_KEY, name, s.data, s.len) == 0);
	/* A valid-looking slot padded past 64 KiB. */
	CHECK(buf_append(&big, s.data, s.len) == 0);
	while (big.len <= 65536)
		CHECK(buf_put_u8(&big, 0) == 0);
	crypto_sha256(big.data, big.len, h);
	hex_encode(h, 32, name);
	CHECK(backend_put(ra->be, OBJ_KEY, name, big.data, big.len) == 0);
	repo_close(ra);
	ra = NULL;

	CHECK(open_at(a, PW, &r) == 0);
	repo_close(r);
	r = NULL;
	/* b's passcode opens nothing in a. */
	CHECK(open_at(a, "other", &r) == REPO_BADPASS);
	/*
	 * Without a's own slot, only the copies remain: the large one and
	 * the misnamed one are skipped, so no slot opens.
	 */
	if ((be = backend_local_open(a)) != NULL) {
		CHECK(backend_remove(be, OBJ_KEY, own) == 0);
		backend_free(be);
	}
	CHECK(open_at(a, PW, &r) == REPO_BADPASS && r == NULL);
done:
	repo_close(ra);
	repo_close(rb);
	repo_close(r);
	buf_release(&s);
	buf_release(&big);
	rm_rf(top);
}

int
main(int argc, char *argv[])
{
	size_t i;

	(void)argc;
	warnp_setprogname(argv[0]);
	if (crypto_init())
		return (1);
	for (i = 0; i < 32; i++) {
		ID[i] = (uint8_t)(0xa0 + i);
		ROOT[i] = (uint8_t)(0x17 * i + 3);
	}
	RUN(test_add_try);
	RUN(test_flips);
	RUN(test_malformed);
	RUN(test_list);
	RUN(test_init_open);
	RUN(test_open_skips);
	return (TEST_EXIT());
}
