#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "backend/backend.h"
#include "crypto/crypto.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/warnp.h"

/*
 * Sealed objects from a hostile server (docs/FORMAT.md, "Sealed objects"):
 *
 *	salt[32] || AES-256-GCM(K_type(salt), 0^12, aad, P) || tag[16]
 *	P = flags(1) || n(u32le) || payload[n] || zero padding
 *
 * The first input byte selects a mode:
 *
 *   even  the rest is a stored object: repo_unseal as every type with no
 *         associated data, and as a config (aad = its first 40 bytes) and
 *         a key slot (aad = its first 78 bytes).  At most one type may
 *         open it, and what fails leaves no output.
 *   odd   the next byte picks a type and the rest is the plaintext P,
 *         sealed here with the right key (the layout above), so the checks
 *         after authentication are reached; repo_unseal must agree with a
 *         decision made here from the format text.
 */

#define SEAL_MAX	(256u * 1024 * 1024)
#define DECIDE_MAX	(16u * 1024 * 1024)	/* we decide up to this */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct repo *R;
static uint8_t META[CRYPTO_KEY_LEN];

static void
setup(void)
{
	static const char minfo[] = "coffer v1 meta";
	uint8_t id[REPO_ID_LEN], root[CRYPTO_KEY_LEN];
	size_t i;

	if (R != NULL)
		return;
	warnp_quiet(1);
	for (i = 0; i < 32; i++) {
		id[i] = (uint8_t)(0x3c + i);
		root[i] = (uint8_t)(0xe1 ^ (7 * i));
	}
	/* The meta key, derived here from the format, not taken from R. */
	if (crypto_init() || repo_from_root(NULL, id, root, &R) ||
	    crypto_hkdf(root, 32, id, 32, (const uint8_t *)minfo,
	    sizeof(minfo) - 1, META, 32))
		abort();
}

/* Unseal and check the invariants; returns the result. */
static int
unseal(enum obj_type t, const uint8_t *p, size_t len, const uint8_t *aad,
    size_t aadlen, struct buf *out)
{
	int rc;

	out->len = 1;
	rc = repo_unseal(R, t, p, len, aad, aadlen, out);
	if (rc != 0 && rc != 1)
		abort();
	if (rc == 1 && out->len != 0)
		abort();
	if (rc == 0 && out->len > SEAL_MAX)
		abort();
	return (rc);
}

static void
mode_raw(const uint8_t *d, size_t n)
{
	struct buf out = BUF_INIT;
	int t, opened = 0;

	for (t = 0; t < OBJ_NTYPES; t++)
		opened += (unseal((enum obj_type)t, d, n, NULL, 0, &out) == 0);
	if (opened > 1)
		abort();
	if (n >= 40)
		(void)unseal(OBJ_CONFIG, d + 40, n - 40, d, 40, &out);
	if (n >= 78)
		(void)unseal(OBJ_KEY, d + 78, n - 78, d, 78, &out);
	buf_release(&out);
}

/* What repo_unseal must give for plaintext P: 0 (want, wlen) or 1. */
static int
decide(const uint8_t *pt, size_t ptlen, uint8_t **want, size_t *wlen)
{
	unsigned long long fcs;
	size_t n, i, got;

	*want = NULL;
	*wlen = 0;
	if (ptlen < 5 || pt[0] > 1)
		return (1);
	n = le32dec(pt + 1);
	if (n > ptlen - 5)
		return (1);
	for (i = 5 + n; i < ptlen; i++)
		if (pt[i] != 0)
			return (1);
	if (pt[0] == 0) {
		*want = malloc(n ? n : 1);
		if (*want == NULL)
			abort();
		if (n > 0)
			memcpy(*want, pt + 5, n);
		*wlen = n;
		return (0);
	}
	fcs = ZSTD_getFrameContentSize(pt + 5, n);
	if (fcs == ZSTD_CONTENTSIZE_ERROR || fcs == ZSTD_CONTENTSIZE_UNKNOWN ||
	    fcs > SEAL_MAX)
		return (1);
	if (fcs > DECIDE_MAX)
		return (-1);	/* too big to decide here */
	if ((*want = malloc(fcs ? (size_t)fcs : 1)) == NULL)
		abort();
	got = ZSTD_decompress(*want, (size_t)fcs, pt + 5, n);
	if (ZSTD_isError(got) || got != fcs) {
		free(*want);
		*want = NULL;
		return (1);
	}
	*wlen = (size_t)fcs;
	return (0);
}

static void
mode_forged(const uint8_t *d, size_t n)
{
	static const uint8_t nonce[CRYPTO_NONCE_LEN];
	struct buf out = BUF_INIT;
	enum obj_type t;
	uint8_t key[32], *obj, *want;
	char info[64];
	size_t wlen, olen;
	int k, rc, exp;

	if (n < 1)
		return;
	t = (enum obj_type)(d[0] % OBJ_NTYPES);
	d++;
	n--;
	olen = 32 + n + 16;
	if ((obj = malloc(olen)) == NULL)
		abort();
	memset(obj, 0xa5, 32);
	k = snprintf(info, sizeof(info), "coffer v1 object %s",
	    backend_type_name(t));
	if (crypto_hkdf(META, 32, obj, 32, (const uint8_t *)info, (size_t)k,
	    key, 32) ||
	    crypto_aead_seal(key, nonce, NULL, 0, d, n, obj + 32))
		abort();
	exp = decide(d, n, &want, &wlen);
	rc = unseal(t, obj, olen, NULL, 0, &out);
	if (exp >= 0 && rc != exp)
		abort();
	if (rc == 0 && exp == 0 && (out.len != wlen ||
	    (wlen > 0 && memcmp(out.data, want, wlen) != 0)))
		abort();
	/* Another type's key never opens it. */
	if (unseal((enum obj_type)((t + 1) % OBJ_NTYPES), obj, olen, NULL, 0,
	    &out) != 1)
		abort();
	free(want);
	free(obj);
	buf_release(&out);
}

static void
one_input(const uint8_t *data, size_t size)
{

	setup();
	if (size < 1)
		return;
	if (data[0] & 1)
		mode_forged(data + 1, size - 1);
	else
		mode_raw(data + 1, size - 1);
}

/*
 * Run on an exact-size copy of the input: the replayer's buffer may be
 * larger than the file, which would hide an over-read from ASan.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	one_input(copy, size);
	free(copy);
	return (0);
}
