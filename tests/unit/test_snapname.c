/*
 * Snapshot directory names (lib/snapshot/snapname.c): restic's time
 * format in local time, "-K" for later snapshots of the same second,
 * short ids made long where they clash, hosts and tags as file names.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot/snapname.h"

#include "test.h"

static void
settz(const char *tz)
{

	setenv("TZ", tz, 1);
	tzset();
}

static struct snapshot
snap(int64_t t, uint8_t id0, uint8_t id3)
{
	struct snapshot s;

	memset(&s, 0, sizeof(s));
	s.time_sec = t;
	s.id[0] = id0;
	s.id[3] = id3;
	return (s);
}

static void
test_time_format(void)
{
	struct snapshot s = snap(1700000000, 0, 0);
	char b[64];

	settz("UTC");
	snapname_time(&s, b, sizeof(b));
	CHECK(strcmp(b, "2023-11-14T22:13:20Z") == 0);
	/* POSIX TZ: "XXX-2" is two hours east of UTC. */
	settz("XXX-2");
	snapname_time(&s, b, sizeof(b));
	CHECK(strcmp(b, "2023-11-15T00:13:20+02:00") == 0);
	settz("XXX+5:30");
	snapname_time(&s, b, sizeof(b));
	CHECK(strcmp(b, "2023-11-14T16:43:20-05:30") == 0);
	settz("UTC");
	s.time_sec = 0;
	snapname_time(&s, b, sizeof(b));
	CHECK(strcmp(b, "1970-01-01T00:00:00Z") == 0);
	/* A time from a hostile repository: no date, no crash. */
	s.time_sec = INT64_MAX;
	snapname_time(&s, b, sizeof(b));
	CHECK(strcmp(b, "@9223372036854775807") == 0);
}

static void
test_same_second(void)
{
	struct snapshot s[5] = { snap(100, 1, 0), snap(200, 2, 0),
	    snap(200, 3, 0), snap(200, 4, 0), snap(201, 5, 0) };
	const struct snapshot *v[5];
	char nb[5][SNAPNAME_MAX], ib[5][65], *names[5], *ids[5];
	int i;

	settz("UTC");
	for (i = 0; i < 5; i++) {
		v[i] = &s[i];
		names[i] = nb[i];
		ids[i] = ib[i];
	}
	CHECK(snapname_assign(v, 5, names, ids) == 0);
	CHECK(strcmp(nb[0], "1970-01-01T00:01:40Z") == 0);
	CHECK(strcmp(nb[1], "1970-01-01T00:03:20Z") == 0);
	CHECK(strcmp(nb[2], "1970-01-01T00:03:20Z-1") == 0);
	CHECK(strcmp(nb[3], "1970-01-01T00:03:20Z-2") == 0);
	CHECK(strcmp(nb[4], "1970-01-01T00:03:21Z") == 0);
	CHECK(strcmp(ib[2], "03000000") == 0);
	CHECK(snapname_assign(v, 0, names, ids) == 0);
}

static void
test_short_ids(void)
{
	/* 0a000000..., 0a000000...01 (same 8 digits), 0b000000... */
	struct snapshot s[3] = { snap(1, 0x0a, 0), snap(2, 0x0b, 0),
	    snap(3, 0x0a, 0) };
	const struct snapshot *v[3];
	char nb[3][SNAPNAME_MAX], ib[3][65], *names[3], *ids[3];
	int i;

	s[2].id[31] = 1;
	for (i = 0; i < 3; i++) {
		v[i] = &s[i];
		names[i] = nb[i];
		ids[i] = ib[i];
	}
	CHECK(snapname_assign(v, 3, names, ids) == 0);
	CHECK(strlen(ib[0]) == 64 && strncmp(ib[0], "0a000000", 8) == 0);
	CHECK(strlen(ib[2]) == 64 && strcmp(ib[2] + 62, "01") == 0);
	CHECK(strcmp(ib[1], "0b000000") == 0);
	/* Ids that differ in the 8th digit do not clash. */
	s[2].id[31] = 0;
	s[2].id[3] = 9;
	CHECK(snapname_assign(v, 3, names, ids) == 0);
	CHECK(strcmp(ib[0], "0a000000") == 0 && strcmp(ib[2], "0a000009") == 0);
}

static void
test_fs_names(void)
{
	char longname[400], *p;

	p = snapname_fs("a/b/c");
	CHECK(p != NULL && strcmp(p, "a_b_c") == 0);
	free(p);
	p = snapname_fs(".");
	CHECK(p != NULL && strcmp(p, "_.") == 0);
	free(p);
	p = snapname_fs("..");
	CHECK(p != NULL && strcmp(p, "_..") == 0);
	free(p);
	p = snapname_fs("...");
	CHECK(p != NULL && strcmp(p, "...") == 0);
	free(p);
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	p = snapname_fs(longname);
	CHECK(p != NULL && strlen(p) == 255);
	free(p);
}

int
main(void)
{

	RUN(test_time_format);
	RUN(test_same_second);
	RUN(test_short_ids);
	RUN(test_fs_names);
	return (TEST_EXIT());
}
