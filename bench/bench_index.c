/*
 * bench_index DIR [MBLOBS [ROUNDS]]: how the index behaves with a very
 * large repository (issue 4, "Scale").
 *
 * Creates a local repository in DIR (which must not exist) and adds
 * MBLOBS million blobs (default 10) to its index in ROUNDS sessions
 * (default 10), as that many backups would: each session opens the
 * repository and its index (index_load: the local cache is mapped and the
 * new index files merged into it), records the session's packs (100 blobs
 * each, random ids, as a backup records the packs it stored), writes its
 * index files, and closes.  Then a last session opens the full index and
 * looks up up to 200,000 known and 1,000,000 unknown ids, twice (the first
 * time the kernel maps the cache's pages as they are touched).
 *
 * No pack data is written: only index files, which are what the index
 * code reads, so the numbers are those of a repository of that many blobs
 * (about 10 TiB at 1 MiB per blob), on a small disk.
 *
 * For every session it prints the time to open the index, to add and
 * flush, and the process's memory at the end of the session, from
 * /proc/self/status: anonymous (RssAnon, what the process itself holds)
 * and file-backed (RssFile: pages of the mapped cache the kernel keeps in
 * the page cache and may drop at will), and the peak (VmHWM).  A
 * whole-index-in-RAM design (restic, kopia) needs at least ~50 bytes per
 * blob of anonymous memory: 500 MB for 10 million.  RssAnon includes the
 * 38 MiB of test ids this program keeps.
 */

#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "backend/backend.h"
#include "crypto/crypto.h"
#include "index/index.h"
#include "pack/pack.h"
#include "repo/repo.h"
#include "util/warnp.h"

#define BLOBS_PER_PACK	100

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* A /proc/self/status field in KiB, or -1. */
static long
status_kib(const char *field)
{
	char line[256];
	size_t fl = strlen(field);
	long v = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, fl) == 0 && line[fl] == ':') {
			v = strtol(line + fl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return (v);
}

static void
memline(const char *what)
{

	printf("  %-26s RssAnon %6.1f MiB  RssFile %6.1f MiB  "
	    "VmHWM %6.1f MiB\n", what, status_kib("RssAnon") / 1024.0,
	    status_kib("RssFile") / 1024.0, status_kib("VmHWM") / 1024.0);
}

/* Reset VmHWM to the current RSS, so each session shows its own peak. */
static void
reset_peak(void)
{
	FILE *f;

	if ((f = fopen("/proc/self/clear_refs", "w")) != NULL) {
		fputs("5", f);
		fclose(f);
	}
}

static int
open_repo(const char *url, struct repo **rp)
{
	struct backend *be;

	if ((be = backend_open(url)) == NULL)
		return (-1);
	if (repo_open(be, "bench", 5, rp) != 0) {
		backend_free(be);
		return (-1);
	}
	return (0);
}

/* One session adding npacks packs of random blobs; keeps some ids. */
static int
session(const char *url, size_t npacks, uint8_t (*keep)[32], size_t nkeep,
    size_t *kept)
{
	struct pack_entry e[BLOBS_PER_PACK];
	uint8_t pid[32], salt[PACK_SALT_LEN];
	struct repo *r;
	struct index *ix;
	double t0, t1, t2;
	size_t p, i;

	reset_peak();
	if (open_repo(url, &r))
		return (-1);
	t0 = now();
	if (index_load(r, &ix)) {
		repo_close(r);
		return (-1);
	}
	t1 = now();
	for (p = 0; p < npacks; p++) {
		randombytes_buf(pid, sizeof(pid));
		randombytes_buf(salt, sizeof(salt));
		for (i = 0; i < BLOBS_PER_PACK; i++) {
			randombytes_buf(e[i].id, 32);
			e[i].type = BLOB_DATA;
			e[i].flags = 0;
			e[i].offset = PACK_SALT_LEN + (uint32_t)i * 1048592;
			e[i].stored_len = 1048592;
			e[i].raw_len = 1048576;
			if (*kept < nkeep && (p * BLOBS_PER_PACK + i) % 97 == 0)
				memcpy(keep[(*kept)++], e[i].id, 32);
		}
		if (index_add_pack(ix, pid, salt, e, BLOBS_PER_PACK))
			goto fail;
		if (index_pending(ix) >= 1000 && index_flush(ix, r))
			goto fail;
	}
	if (index_flush(ix, r))
		goto fail;
	t2 = now();
	printf("  open index %.2f s, add %zu blobs and write index %.2f s\n",
	    t1 - t0, npacks * BLOBS_PER_PACK, t2 - t1);
	memline("end of session");
	index_free(ix);
	repo_close(r);
	return (0);
fail:
	index_free(ix);
	repo_close(r);
	return (-1);
}

int
main(int argc, char **argv)
{
	struct kdf_params kdf = { 1, 8192 };
	struct backend *be;
	struct repo *r;
	struct index *ix;
	struct idx_entry ie;
	uint8_t (*keep)[32];
	char url[4096];
	uint8_t (*unk)[32];
	size_t mblobs, rounds, nkeep = 200000, nunk = 1000000, kept = 0, i;
	size_t round, found;
	int pass;
	double t0, t1;

	warnp_setprogname("bench_index");
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: bench_index DIR [MBLOBS [ROUNDS]]\n");
		return (1);
	}
	mblobs = argc > 2 ? strtoul(argv[2], NULL, 10) : 10;
	rounds = argc > 3 ? strtoul(argv[3], NULL, 10) : 10;
	if (mblobs == 0 || rounds == 0 || crypto_init())
		return (1);
	snprintf(url, sizeof(url), "%s", argv[1]);
	/* Touched now, so that their 38 MiB are in every RssAnon below. */
	if ((keep = calloc(nkeep, 32)) == NULL ||
	    (unk = calloc(nunk, 32)) == NULL)
		return (1);
	memset(keep, 1, nkeep * 32);
	memset(unk, 1, nunk * 32);
	if ((be = backend_open(url)) == NULL ||
	    repo_init(be, "bench", 5, &kdf, &r) != 0)
		return (1);
	repo_close(r);

	printf("bench_index: %zu million blobs in %zu sessions, %d blobs "
	    "per pack\n", mblobs, rounds, BLOBS_PER_PACK);
	for (round = 0; round < rounds; round++) {
		printf("session %zu (index before: %zu million blobs)\n",
		    round + 1, mblobs * round / rounds);
		if (session(url, mblobs * 1000000 / rounds / BLOBS_PER_PACK,
		    keep, nkeep, &kept))
			return (1);
	}

	printf("lookups in the full index (%zu million blobs)\n", mblobs);
	reset_peak();
	if (open_repo(url, &r))
		return (1);
	t0 = now();
	if (index_load(r, &ix))
		return (1);
	t1 = now();
	printf("  open index %.3f s\n", t1 - t0);
	memline("after open");
	for (pass = 0; pass < 2; pass++) {
		t0 = now();
		for (i = found = 0; i < kept; i++)
			found += (size_t)index_lookup(ix, keep[i], &ie, NULL);
		t1 = now();
		printf("  pass %d (%s): %zu known ids: %zu found, %.2f M "
		    "lookups/s\n", pass + 1, pass ? "mapping warm" :
		    "pages not yet mapped", kept, found,
		    (double)kept / (t1 - t0) / 1e6);
		if (found != kept) {
			fprintf(stderr, "bench_index: %zu known ids not "
			    "found\n", kept - found);
			return (1);
		}
		randombytes_buf(unk, nunk * 32);	/* not timed */
		t0 = now();
		for (i = found = 0; i < nunk; i++)
			found += (size_t)index_lookup(ix, unk[i], &ie, NULL);
		t1 = now();
		printf("  pass %d: %zu unknown ids: %zu found, %.2f M "
		    "lookups/s\n", pass + 1, nunk, found,
		    (double)nunk / (t1 - t0) / 1e6);
		memline("after lookups");
	}
	index_free(ix);
	repo_close(r);
	free(keep);
	free(unk);
	return (0);
}
