#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "crypto/crypto.h"
#include "repo/repo.h"
#include "util/buf.h"
#include "util/warnp.h"

/*
 * Key slots from a hostile server (docs/FORMAT.md, "Key slots"): the input
 * is a whole slot object,
 *
 *	"CFKY" 1 1 || opslimit u32le || memlimit_kib u32le || salt[16] ||
 *	wrapped root key[32] || tag[16] || sealed metadata (aad: bytes 0..77)
 *
 * tried with the passcode "fuzz" against a repository with fixed keys.
 * A slot that is short, has another magic, version or kind, or Argon2id
 * parameters out of bounds (opslimit 1..100, memlimit 8..4194304 KiB)
 * must be refused with 1 (and so without running Argon2id).  A slot
 * within bounds is tried only if it is cheap (opslimit x memlimit at most
 * 8192 KiB, a few milliseconds), so every input runs fast.  An opened slot
 * must give exactly the repository's root key.  Then the metadata is
 * unsealed and, if authentic, parsed as JSON, as `key list` does.
 */

#define PW	"fuzz"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct repo *R;
static uint8_t ROOT[CRYPTO_KEY_LEN];

static void
setup(void)
{
	uint8_t id[REPO_ID_LEN];
	size_t i;

	if (R != NULL)
		return;
	warnp_quiet(1);
	for (i = 0; i < 32; i++) {
		id[i] = (uint8_t)(0x99 - i);
		ROOT[i] = (uint8_t)(0x0f * i + 1);
	}
	if (crypto_init() || repo_from_root(NULL, id, ROOT, &R))
		abort();
}

static void
one_input(const uint8_t *data, size_t size)
{
	struct buf meta = BUF_INIT;
	uint8_t root[CRYPTO_KEY_LEN];
	uint32_t ops = 0, kib = 0;
	json_t *j;
	int wellformed, rc;

	setup();
	wellformed = size >= 78 && memcmp(data, "CFKY\x01\x01", 6) == 0;
	if (wellformed) {
		ops = le32dec(data + 6);
		kib = le32dec(data + 10);
		wellformed = ops >= 1 && ops <= 100 && kib >= 8 &&
		    kib <= (4u << 20);
	}
	/* Too slow to try; not what this harness is for. */
	if (wellformed && (uint64_t)ops * kib > 8192)
		return;

	memset(root, 0, sizeof(root));
	rc = keyslot_try(R, data, size, PW, sizeof(PW) - 1, root);
	if (!wellformed && rc != 1)
		abort();
	if (rc != 0 && rc != 1 && rc != REPO_BADPASS)
		abort();
	if (rc == 0 && memcmp(root, ROOT, sizeof(root)) != 0)
		abort();
	if (rc != 0 && memcmp(root, ROOT, sizeof(root)) == 0)
		abort();

	/* The metadata, as keyslot_list reads it. */
	if (size >= 78) {
		rc = repo_unseal(R, OBJ_KEY, data + 78, size - 78, data, 78,
		    &meta);
		if (rc != 0 && rc != 1)
			abort();
		if (rc == 0 && (j = json_loadb((const char *)meta.data,
		    meta.len, 0, NULL)) != NULL) {
			(void)json_string_value(json_object_get(j, "created"));
			json_decref(j);
		}
	}
	buf_release(&meta);
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
