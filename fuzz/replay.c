#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/warnp.h"

/*
 * Replay saved fuzz inputs through a harness without libFuzzer, so that
 * the corpus and every crash ever found run in CI with any compiler:
 *
 *     fuzz_foo-replay FILE|DIR ...
 *
 * Directories are walked recursively (in readdir order; each input is
 * independent).  Prints "PASS replay <n inputs>" and exits 0; a failing
 * input aborts inside the harness, after its name has been printed.
 */

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Read the whole file at path into a new buffer.  0 or -1 (reported). */
static int
read_file(const char *path, uint8_t **data, size_t *len)
{
	FILE *f;
	uint8_t *p = NULL, *q;
	size_t cap = 0, n = 0, r;

	if ((f = fopen(path, "rb")) == NULL) {
		warnp("fopen(%s)", path);
		return (-1);
	}
	do {
		if (n == cap) {
			cap = (cap == 0) ? 4096 : cap * 2;
			if ((q = realloc(p, cap)) == NULL) {
				warnp("realloc");
				goto err;
			}
			p = q;
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
	} while (r != 0);
	if (ferror(f)) {
		warnp("fread(%s)", path);
		goto err;
	}
	fclose(f);
	/*
	 * Hand the harness a buffer of exactly n bytes (as libFuzzer does),
	 * so AddressSanitizer sees any read past the input's end.
	 */
	if ((q = malloc(n ? n : 1)) == NULL) {
		warnp("malloc");
		free(p);
		return (-1);
	}
	memcpy(q, p, n);
	free(p);
	*data = q;
	*len = n;
	return (0);

err:
	free(p);
	fclose(f);
	return (-1);
}

/* Run one file, or every file below one directory. */
static int
replay(const char *path, size_t *count)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	char *sub;
	uint8_t *data;
	size_t len;
	int rc = 0;

	if (stat(path, &st)) {
		warnp("stat(%s)", path);
		return (-1);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (read_file(path, &data, &len))
			return (-1);
		fprintf(stderr, "replay %s\n", path);
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		(*count)++;
		return (0);
	}
	if ((d = opendir(path)) == NULL) {
		warnp("opendir(%s)", path);
		return (-1);
	}
	while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (asprintf(&sub, "%s/%s", path, de->d_name) == -1) {
			warnp("asprintf");
			rc = -1;
			break;
		}
		rc = replay(sub, count);
		free(sub);
	}
	if (de == NULL && errno != 0) {
		warnp("readdir(%s)", path);
		rc = -1;
	}
	closedir(d);
	return (rc);
}

int
main(int argc, char *argv[])
{
	size_t count = 0;
	int i;

	warnp_setprogname(argv[0]);
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR ...\n", argv[0]);
		exit(1);
	}
	for (i = 1; i < argc; i++) {
		if (replay(argv[i], &count))
			exit(1);
	}
	printf("PASS replay %zu inputs\n", count);
	exit(0);
}
