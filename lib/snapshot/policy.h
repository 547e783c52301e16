#ifndef COFFER_POLICY_H
#define COFFER_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot/snapshot.h"

/*
 * Retention policies, with restic's semantics (`restic forget`).
 *
 * Snapshots are taken newest first.  A count rule (keep the last N, or the
 * newest snapshot of each of the last N hours, days, ISO weeks, months or
 * years, in local time) keeps a snapshot whose period differs from that of
 * the last snapshot the rule kept, while the rule has counts left; a rule
 * with counts left also keeps the oldest snapshot, which maximizes the
 * history kept.  --keep-within D keeps every snapshot newer than the newest
 * snapshot's time (ignoring snapshots in the future) minus D; the
 * --keep-within-{hourly,...} rules keep the newest snapshot of each period
 * within D of it.  --keep-tag keeps every snapshot having all tags of one
 * of the lists.  A snapshot is kept if any rule keeps it.
 */

#define POLICY_UNLIMITED	(-1)	/* a count of "unlimited" */

/* Count rules, in this order. */
enum {
	POLICY_LAST = 0, POLICY_HOURLY, POLICY_DAILY, POLICY_WEEKLY,
	POLICY_MONTHLY, POLICY_YEARLY, POLICY_NCOUNT
};

/* Within rules: plain --keep-within, then hourly ... yearly. */
#define POLICY_NWITHIN		6
#define POLICY_MAX_TAGLISTS	64

/* A calendar duration, as restic's "1y2m3d4h". */
struct policy_duration {
	int years, months, days, hours;
};

struct policy {
	int count[POLICY_NCOUNT];	/* 0: rule off; POLICY_UNLIMITED */
	struct policy_duration within[POLICY_NWITHIN];	/* zero: off */
	char **tags;			/* comma-separated tag lists */
	size_t ntags;			/* <= POLICY_MAX_TAGLISTS */
};

/* Why a snapshot is kept (or not). */
struct policy_why {
	int keep;
	unsigned count;		/* bit i: kept by count rule i */
	unsigned oldest;	/* bit i: ... only as the oldest snapshot */
	unsigned within;	/* bit i: kept by within rule i */
	uint64_t tags;		/* bit i: has every tag of list i */
	int left[POLICY_NCOUNT];	/* counts left after this snapshot */
};

/*
 * policy_parse_duration(s, d): parse "1y2m3d4h" (any of the parts, each a
 * decimal number followed by y, m, d or h; at least one).  Returns 0, or -1
 * with a message naming what is wrong.
 */
int policy_parse_duration(const char *, struct policy_duration *);

/* policy_parse_count(s, &n): a count: digits or "unlimited".  0 or -1. */
int policy_parse_count(const char *, int *);

/* policy_duration_str(d, buf, n): "1y2m" (zero parts left out). */
void policy_duration_str(const struct policy_duration *, char *, size_t);

/* policy_empty(p): 1 if no rule is set (nothing would be removed). */
int policy_empty(const struct policy *);

/* policy_describe(p, buf, n): "keep 7 daily, 4 weekly snapshots, ...". */
void policy_describe(const struct policy *, char *, size_t);

/*
 * policy_apply(p, v, n, now, why): decide for each of the n snapshots of
 * one group (any order) whether p keeps it; why[i] is about v[i].  now is
 * the current time (snapshots after it do not count as the newest).  With
 * an empty policy every snapshot is kept.  Returns 0, or -1 on ENOMEM.
 */
int policy_apply(const struct policy *, const struct snapshot *, size_t,
    int64_t, struct policy_why *);

/*
 * policy_reasons(p, why, buf, n): the reasons as text, e.g. "daily
 * snapshot, oldest weekly snapshot, within 1m, has tags [a,b]".
 */
void policy_reasons(const struct policy *, const struct policy_why *,
    char *, size_t);

/* Grouping (--group-by). */
#define POLICY_GROUP_HOST	1
#define POLICY_GROUP_PATHS	2
#define POLICY_GROUP_TAGS	4

/*
 * policy_parse_groupby(s, &by): "host,paths,tags" (any of them, or "" for
 * one group).  0, or -1 (reported).
 */
int policy_parse_groupby(const char *, unsigned *);

/*
 * policy_group(v, n, by, g, &ng): g[i] = the group of v[i], numbered from
 * 0 in order of first appearance; *ng = number of groups.  Snapshots are
 * in one group if they agree on what by names (hostname; the set of paths;
 * the set of tags).  0, or -1 on ENOMEM.
 */
int policy_group(const struct snapshot *, size_t, unsigned, size_t *,
    size_t *);

/* policy_same_group(a, b, by): 1 if a and b belong to one group. */
int policy_same_group(const struct snapshot *, const struct snapshot *,
    unsigned);

#endif
