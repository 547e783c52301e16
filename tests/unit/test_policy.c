/*
 * Retention policy logic (lib/snapshot/policy.c) on synthetic snapshot
 * lists, with expectations worked out by hand from the calendar (UTC).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot/policy.h"
#include "util/warnp.h"

#include "test.h"

#define DAY	86400
/* 2023-12-20 10:00:00 UTC, a Wednesday (ISO week 2023-W51). */
#define T0	1703066400LL
#define FAR	4102444800LL	/* 2100-01-01: "now" for most tests */

static char *hosts[] = { "alpha", "beta" };
static char *pathsA[] = { "/home" };
static char *pathsB[] = { "/etc", "/home" };
static char *pathsB2[] = { "/home", "/etc" };

/* n snapshots, one a day at 10:00 from T0; ids encode the index. */
static struct snapshot *
daily(size_t n)
{
	struct snapshot *v = calloc(n, sizeof(*v));
	size_t i;

	for (i = 0; v != NULL && i < n; i++) {
		v[i].time_sec = T0 + (int64_t)i * DAY;
		v[i].id[0] = (uint8_t)i;
		v[i].hostname = hosts[0];
		v[i].paths = pathsA;
		v[i].npaths = 1;
	}
	return (v);
}

/* Which of the n snapshots are kept, as a string of 0s and 1s. */
static void
kept(const struct policy *p, const struct snapshot *v, size_t n, int64_t now,
    char *out, struct policy_why *why)
{
	size_t i;

	CHECK(policy_apply(p, v, n, now, why) == 0);
	for (i = 0; i < n; i++)
		out[i] = why[i].keep ? '1' : '0';
	out[n] = '\0';
}

static void
test_parse_duration(void)
{
	struct policy_duration d;
	char s[64];

	CHECK(policy_parse_duration("1y2m3d4h", &d) == 0);
	CHECK(d.years == 1 && d.months == 2 && d.days == 3 && d.hours == 4);
	CHECK(policy_parse_duration("36h", &d) == 0);
	CHECK(d.years == 0 && d.hours == 36);
	CHECK(policy_parse_duration("2d3d", &d) == 0 && d.days == 5);
	policy_duration_str(&d, s, sizeof(s));
	CHECK(strcmp(s, "5d") == 0);
	d.years = 1;
	d.hours = 2;
	policy_duration_str(&d, s, sizeof(s));
	CHECK(strcmp(s, "1y5d2h") == 0);
	warnp_quiet(1);
	CHECK(policy_parse_duration("", &d) == -1);
	CHECK(policy_parse_duration("5", &d) == -1);
	CHECK(policy_parse_duration("3x", &d) == -1);
	CHECK(policy_parse_duration("d", &d) == -1);
	CHECK(policy_parse_duration("-1d", &d) == -1);
	CHECK(policy_parse_duration("1d ", &d) == -1);
	CHECK(policy_parse_duration("99999999999d", &d) == -1);
	warnp_quiet(0);
}

static void
test_parse_count(void)
{
	int n;

	CHECK(policy_parse_count("7", &n) == 0 && n == 7);
	CHECK(policy_parse_count("0", &n) == 0 && n == 0);
	CHECK(policy_parse_count("unlimited", &n) == 0 &&
	    n == POLICY_UNLIMITED);
	warnp_quiet(1);
	CHECK(policy_parse_count("-1", &n) == -1);
	CHECK(policy_parse_count("7x", &n) == -1);
	CHECK(policy_parse_count("", &n) == -1);
	CHECK(policy_parse_count("99999999999", &n) == -1);
	warnp_quiet(0);
}

static void
test_empty(void)
{
	struct snapshot *v = daily(5);
	struct policy_why why[5];
	struct policy p;
	char k[8];

	memset(&p, 0, sizeof(p));
	CHECK(policy_empty(&p));
	kept(&p, v, 5, FAR, k, why);
	CHECK(strcmp(k, "11111") == 0);
	p.count[POLICY_DAILY] = 1;
	CHECK(!policy_empty(&p));
	free(v);
}

static void
test_last(void)
{
	struct snapshot *v = daily(30);
	struct policy_why why[30];
	struct policy p;
	char k[32], r[256];

	memset(&p, 0, sizeof(p));
	p.count[POLICY_LAST] = 3;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000000000000000000000111") == 0);
	CHECK(why[29].left[POLICY_LAST] == 2);
	CHECK(why[27].left[POLICY_LAST] == 0);
	policy_reasons(&p, &why[29], r, sizeof(r));
	CHECK(strcmp(r, "last snapshot") == 0);
	/* More counts than snapshots: all kept, the oldest as such. */
	p.count[POLICY_LAST] = 40;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strchr(k, '0') == NULL);
	free(v);
}

static void
test_daily_two_per_day(void)
{
	struct snapshot *v = daily(20);
	struct policy_why why[20];
	struct policy p;
	size_t i;
	char k[32];

	/* Pairs on one day: 10:00 and 10:00 + 3 h. */
	for (i = 0; i < 20; i++)
		v[i].time_sec = T0 + (int64_t)(i / 2) * DAY +
		    (int64_t)(i % 2) * 3 * 3600;
	memset(&p, 0, sizeof(p));
	p.count[POLICY_DAILY] = 3;
	kept(&p, v, 20, FAR, k, why);
	/* The later one of each of the last three days. */
	CHECK(strcmp(k, "00000000000000010101") == 0);
	p.count[POLICY_HOURLY] = 2;
	kept(&p, v, 20, FAR, k, why);
	CHECK(strcmp(k, "00000000000000010111") == 0);
	free(v);
}

static void
test_weekly_monthly_yearly(void)
{
	struct snapshot *v = daily(30);
	struct policy_why why[30];
	struct policy p;
	char k[32], r[256];

	/*
	 * Days: i = 0 is 2023-12-20 (Wed).  ISO weeks: W51 ends Sun 12-24
	 * (i = 4), W52 ends 12-31 (i = 11), 2024-W01 ends 01-07 (i = 18),
	 * W02 ends 01-14 (i = 25), W03 has i = 26..29 (to 01-18).
	 */
	memset(&p, 0, sizeof(p));
	p.count[POLICY_WEEKLY] = 3;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000000000000100000010001") == 0);
	/* Counts left: the newest of each week, and the oldest. */
	p.count[POLICY_WEEKLY] = 10;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "100010000001000000100000010001") == 0);
	CHECK(why[0].oldest == (1u << POLICY_WEEKLY));
	policy_reasons(&p, &why[0], r, sizeof(r));
	CHECK(strcmp(r, "oldest weekly snapshot") == 0);
	CHECK(why[4].oldest == 0);

	/* Months: December ends at i = 11. */
	memset(&p, 0, sizeof(p));
	p.count[POLICY_MONTHLY] = 1;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000000000000000000000001") == 0);
	p.count[POLICY_MONTHLY] = 2;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000001000000000000000001") == 0);
	p.count[POLICY_MONTHLY] = 3;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "100000000001000000000000000001") == 0);

	/* Years, unlimited: 2023 and 2024, and the oldest. */
	memset(&p, 0, sizeof(p));
	p.count[POLICY_YEARLY] = POLICY_UNLIMITED;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "100000000001000000000000000001") == 0);
	CHECK(why[29].left[POLICY_YEARLY] == POLICY_UNLIMITED);

	/* Rules combine: kept if any rule keeps it. */
	memset(&p, 0, sizeof(p));
	p.count[POLICY_LAST] = 2;
	p.count[POLICY_MONTHLY] = 2;
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000001000000000000000011") == 0);
	policy_reasons(&p, &why[29], r, sizeof(r));
	CHECK(strcmp(r, "last snapshot, monthly snapshot") == 0);
	free(v);
}

static void
test_within(void)
{
	struct snapshot *v = daily(30);
	struct policy_why why[30];
	struct policy p;
	char k[32], r[256];

	memset(&p, 0, sizeof(p));
	/* Relative to the newest snapshot (i = 29), strictly after. */
	CHECK(policy_parse_duration("3d", &p.within[0]) == 0);
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000000000000000000000111") == 0);
	policy_reasons(&p, &why[28], r, sizeof(r));
	CHECK(strcmp(r, "within 3d") == 0);
	/* 3d1h reaches one more day. */
	CHECK(policy_parse_duration("3d1h", &p.within[0]) == 0);
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000000000000000000001111") == 0);
	/* One month back from 2024-01-18 10:00 is 2023-12-18: all. */
	CHECK(policy_parse_duration("1m", &p.within[0]) == 0);
	kept(&p, v, 30, FAR, k, why);
	CHECK(strchr(k, '0') == NULL);
	/* 20 days back from 01-18 10:00 is 12-29 10:00: from i = 10. */
	CHECK(policy_parse_duration("20d", &p.within[0]) == 0);
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000011111111111111111111") == 0);

	/* A snapshot in the future does not count as the newest. */
	v[29].time_sec = FAR + DAY;
	CHECK(policy_parse_duration("2d", &p.within[0]) == 0);
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000000000000000000000111") == 0);
	v[29].time_sec = T0 + 29 * DAY;

	/* Within-weekly: the newest of each week in the last 20 days. */
	memset(&p, 0, sizeof(p));
	CHECK(policy_parse_duration("20d", &p.within[POLICY_WEEKLY]) == 0);
	kept(&p, v, 30, FAR, k, why);
	CHECK(strcmp(k, "000000000001000000100000010001") == 0);
	policy_reasons(&p, &why[18], r, sizeof(r));
	CHECK(strcmp(r, "weekly within 20d") == 0);
	free(v);
}

static void
test_tags(void)
{
	struct snapshot *v = daily(6);
	struct policy_why why[6];
	struct policy p;
	char *ta[] = { "a" }, *tab[] = { "b", "a" }, *tb[] = { "b" };
	char *lists[] = { "a,b", "c" };
	char k[8], r[256];

	v[1].tags = ta;
	v[1].ntags = 1;
	v[2].tags = tab;
	v[2].ntags = 2;
	v[3].tags = tb;
	v[3].ntags = 1;
	memset(&p, 0, sizeof(p));
	p.tags = lists;
	p.ntags = 2;
	kept(&p, v, 6, FAR, k, why);
	CHECK(strcmp(k, "001000") == 0);
	policy_reasons(&p, &why[2], r, sizeof(r));
	CHECK(strcmp(r, "has tags [a,b]") == 0);
	p.tags[0] = "a";
	kept(&p, v, 6, FAR, k, why);
	CHECK(strcmp(k, "011000") == 0);
	free(v);
}

static void
test_groups(void)
{
	struct snapshot *v = daily(6);
	char *t1[] = { "x", "y" }, *t2[] = { "y", "x" };
	size_t g[6], ng;
	unsigned by;

	v[1].hostname = hosts[1];
	v[2].paths = pathsB;
	v[2].npaths = 2;
	v[3].paths = pathsB2;	/* the same set as v[2] */
	v[3].npaths = 2;
	v[4].tags = t1;
	v[4].ntags = 2;
	v[5].tags = t2;
	v[5].ntags = 2;
	CHECK(policy_parse_groupby("host,paths", &by) == 0);
	CHECK(by == (POLICY_GROUP_HOST | POLICY_GROUP_PATHS));
	CHECK(policy_group(v, 6, by, g, &ng) == 0);
	CHECK(ng == 3);
	CHECK(g[0] == 0 && g[1] == 1 && g[2] == 2 && g[3] == 2 &&
	    g[4] == 0 && g[5] == 0);
	CHECK(policy_parse_groupby("host,paths,tags", &by) == 0);
	CHECK(policy_group(v, 6, by, g, &ng) == 0);
	CHECK(ng == 4 && g[4] == 3 && g[5] == 3 && g[0] == 0);
	CHECK(policy_parse_groupby("", &by) == 0 && by == 0);
	CHECK(policy_group(v, 6, by, g, &ng) == 0 && ng == 1);
	CHECK(policy_parse_groupby("host", &by) == 0);
	CHECK(policy_group(v, 6, by, g, &ng) == 0 && ng == 2);
	warnp_quiet(1);
	CHECK(policy_parse_groupby("host,dirs", &by) == -1);
	warnp_quiet(0);
	free(v);
}

static void
test_describe(void)
{
	struct policy p;
	char *lists[] = { "keep" };
	char s[512];

	memset(&p, 0, sizeof(p));
	p.count[POLICY_DAILY] = 7;
	p.count[POLICY_WEEKLY] = POLICY_UNLIMITED;
	p.within[0].days = 2;
	p.tags = lists;
	p.ntags = 1;
	policy_describe(&p, s, sizeof(s));
	CHECK(strcmp(s, "keep 7 daily, all weekly snapshots and all "
	    "snapshots with tags [keep] and all snapshots within 2d of the "
	    "newest") == 0);
}

int
main(void)
{

	setenv("TZ", "UTC", 1);
	tzset();
	RUN(test_parse_duration);
	RUN(test_parse_count);
	RUN(test_empty);
	RUN(test_last);
	RUN(test_daily_two_per_day);
	RUN(test_weekly_monthly_yearly);
	RUN(test_within);
	RUN(test_tags);
	RUN(test_groups);
	RUN(test_describe);
	return (TEST_EXIT());
}
