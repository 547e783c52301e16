#!/usr/bin/env bash
#
# 50 forget: a repository with 30 daily snapshots (backup --time) of a
# changing tree, from 2023-12-20 to 2024-01-18, 10:00 UTC.  Each policy is
# applied to a fresh copy, and the snapshots left must be exactly those
# that the rules, computed here independently from `date`, keep.  Then
# grouping, filters, explicit ids, --dry-run, --json, and bad input.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC/sub"
coffer_ok init-rc init || summary

declare -a ids days epoch hkey dkey wkey mkey ykey
for i in $(seq 0 29); do
	days[i]=$(date -u -d "2023-12-20 10:00:00 UTC + $i days" \
	    '+%Y-%m-%d %H:%M:%S')
	# Its periods, from date(1): hour, day, ISO week, month, year.
	read -r epoch[i] hkey[i] dkey[i] wkey[i] mkey[i] ykey[i] < <(date -u \
	    -d "${days[i]} UTC" '+%s %Y%m%d%H %Y%m%d %G%V %Y%m %Y')
	# The tree changes every day: one file grows, one is replaced,
	# one comes and goes.
	printf 'day %s\n' "$i" >> "$SRC/log"
	printf '%s\n' "${days[i]}" > "$SRC/sub/today"
	if [ $((i % 3)) -eq 0 ]; then
		rnd "$SRC/sub/every3" 3000
	else
		rm -f "$SRC/sub/every3"
	fi
	tag=()
	if [ $((i % 10)) -eq 4 ]; then
		tag=(--tag audit)
	fi
	run_coffer backup --json "${tag[@]}" --time "${days[i]}" "$SRC"
	if [ "$RC" -ne 0 ]; then
		fail "backup-$i" "exit $RC: $ERR"
		summary
	fi
	ids[i]=$(json_last .snapshot_id)
done
pass thirty-backups
run_coffer snapshots --json
expect_eq thirty-snapshots "$(jq length < "$OUT_FILE")" 30
expect_eq snapshot-times-faked \
    "$(jq -r '.[0].time, .[29].time' < "$OUT_FILE" | tr '\n' ' ')" \
    "2023-12-20T10:00:00.000000000Z 2024-01-18T10:00:00.000000000Z "
cp -a "$COFFER_REPOSITORY" "$T/base"

# day_of ID: the day index of a snapshot id.
day_of() {
	local i
	for i in "${!ids[@]}"; do
		if [ "${ids[i]}" = "$1" ]; then
			echo "$i"
			return
		fi
	done
	echo "?$1"
}

# remaining: the day indexes of the snapshots in the repository, sorted.
remaining() {
	local id
	for id in $(snapshot_ids); do
		day_of "$id"
	done | sort -n | tr '\n' ' ' | sed 's/ $//'
}

# rule KEYS N: the days a count rule keeps, KEYS naming the array of
# periods: going newest first, keep a day whose period differs from that
# of the last kept one, while counts are left; with counts left at the
# end, the oldest too.  N may be "unlimited".
rule() {
	local -n keys=$1
	local left=$2 last='' i key
	for i in $(seq 29 -1 0); do
		[ "$left" = 0 ] && break
		key=${keys[i]}
		if [ "$key" != "$last" ] || [ "$i" -eq 0 ]; then
			echo "$i"
			last=$key
			[ "$left" != unlimited ] && left=$((left - 1))
		fi
	done
}

# within SECONDS: the days strictly newer than the newest minus SECONDS.
within() {
	local i
	for i in $(seq 0 29); do
		if [ "${epoch[i]}" -gt $((epoch[29] - $1)) ]; then
			echo "$i"
		fi
	done
}

# union: the sorted set of day indexes on stdin, on one line.
union() {
	sort -n | uniq | tr '\n' ' ' | sed 's/ $//'
}

# policy NAME EXPECTED ARGS...: forget ARGS on a fresh copy leaves exactly
# the EXPECTED days.
policy() {
	local name=$1 want=$2
	shift 2
	rm -rf "$COFFER_REPOSITORY"
	cp -a "$T/base" "$COFFER_REPOSITORY"
	run_coffer forget "$@"
	expect_rc "$name-rc" 0
	expect_eq "$name-kept" "$(remaining)" "$want"
}

policy last-5 "25 26 27 28 29" --keep-last 5
expect_out last-5-applying "Applying Policy: keep 5 latest snapshots"
expect_out last-5-removed "removed 25 snapshots"
expect_out_re last-5-reason "${ids[29]:0:8}  2024-01-18 10:00:00 .* last snapshot .*"
policy last-5-short "25 26 27 28 29" -l 5
policy daily-7 "$(rule dkey 7 | union)" --keep-daily 7
policy hourly-4 "$(rule hkey 4 | union)" --keep-hourly 4
policy weekly-3 "$(rule wkey 3 | union)" --keep-weekly 3
expect_eq weekly-3-by-hand "$(rule wkey 3 | union)" "18 25 29"
policy weekly-10 "$(rule wkey 10 | union)" --keep-weekly 10
expect_eq weekly-10-oldest "$(rule wkey 10 | union)" "0 4 11 18 25 29"
expect_out weekly-10-oldest-reason "oldest weekly snapshot"
policy monthly-2 "$(rule mkey 2 | union)" --keep-monthly 2
expect_eq monthly-2-by-hand "$(rule mkey 2 | union)" "11 29"
policy monthly-5 "0 11 29" --keep-monthly 5
policy yearly-1 "29" --keep-yearly 1
policy yearly-all "$(rule ykey unlimited | union)" --keep-yearly unlimited
policy within-10d "$(within $((10 * 86400)) | union)" --keep-within 10d
expect_out within-10d-reason "within 10d"
policy within-1m "$(seq 0 29 | union)" --keep-within 1m
policy within-2d12h "$(within $((2 * 86400 + 12 * 3600)) | union)" \
    --keep-within 2d12h
policy keep-tag "4 14 24" --keep-tag audit
expect_out keep-tag-reason "has tags [audit]"
policy combined "$( (rule dkey 3; rule wkey 2; rule mkey 2; echo 4;
    echo 14; echo 24) | union)" --keep-daily 3 --keep-weekly 2 \
    --keep-monthly 2 --keep-tag audit
# within_rule KEYS SECONDS: the newest day of each period among the days
# within SECONDS of the newest.
within_rule() {
	local -n keys=$1
	local last='' i k
	for i in $(within "$2" | sort -rn); do
		k=${keys[i]}
		[ "$k" != "$last" ] && echo "$i"
		last=$k
	done
}
policy within-weekly "$(within_rule wkey $((20 * 86400)) | union)" \
    --keep-within-weekly 20d
expect_eq within-weekly-by-hand "$(within_rule wkey $((20 * 86400)) |
    union)" "11 18 25 29"

# --dry-run: the same decision, shown with reasons, nothing removed.
rm -rf "$COFFER_REPOSITORY"
cp -a "$T/base" "$COFFER_REPOSITORY"
before=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer forget --dry-run --keep-daily 2 --keep-monthly 2
expect_rc dry-run-rc 0
expect_unchanged dry-run-nothing-removed "$before" locks
expect_out dry-run-says "would remove 27 snapshots"
expect_out_re dry-run-reason-daily "${ids[28]:0:8} .* daily snapshot .*"
expect_out_re dry-run-reason-both \
    "${ids[29]:0:8} .* daily snapshot, monthly snapshot .*"
expect_out_re dry-run-reason-monthly "${ids[11]:0:8} .* monthly snapshot .*"
expect_out dry-run-lists-removal "would remove snapshot ${ids[0]:0:8}"

# --json: groups with keep, remove and the reasons for each kept one.
run_coffer --json forget -n --keep-last 3
expect_rc json-rc 0
expect_eq json-one-group "$(jq length < "$OUT_FILE")" 1
expect_eq json-keep "$(jq -r '.[0].keep[].id' < "$OUT_FILE" | sort)" \
    "$(printf '%s\n' "${ids[27]}" "${ids[28]}" "${ids[29]}" | sort)"
expect_eq json-remove-count "$(jq '.[0].remove | length' < "$OUT_FILE")" 27
expect_eq json-matches \
    "$(jq -r '.[0].reasons[0].matches[0]' < "$OUT_FILE")" "last snapshot"
expect_eq json-host "$(jq -r '.[0].host' < "$OUT_FILE")" \
    "$(jq -r '.[0].keep[0].hostname' < "$OUT_FILE")"
expect_eq json-paths "$(jq -r '.[0].paths[0]' < "$OUT_FILE")" "$SRC"
expect_unchanged json-dry-run-nothing-removed "$before" locks

# Groups: snapshots of another host and of another path are grouped
# apart (default host,paths), so --keep-last 1 keeps one of each.
mkdir -p "$T/other"
printf 'x\n' > "$T/other/x"
coffer_ok other-host-1 backup -q --host far --time "2024-01-02 10:00:00" "$SRC"
coffer_ok other-host-2 backup --json --host far --time "2024-01-03 10:00:00" "$SRC"
far2=$(json_last .snapshot_id)
coffer_ok other-path backup --json --time "2024-01-01 10:00:00" "$T/other"
otherp=$(json_last .snapshot_id)
cp -a "$COFFER_REPOSITORY" "$T/base2"
run_coffer forget --keep-last 1
expect_rc group-rc 0
expect_eq group-three-left "$(snapshot_ids)" \
    "$(printf '%s\n' "${ids[29]}" "$far2" "$otherp" | sort)"
expect_out group-header "snapshots for (host [far], paths [$SRC]):"
rm -rf "$COFFER_REPOSITORY"
cp -a "$T/base2" "$COFFER_REPOSITORY"
run_coffer forget --keep-last 1 --group-by paths
expect_rc group-paths-rc 0
expect_eq group-paths-two-left "$(snapshot_ids)" \
    "$(printf '%s\n' "${ids[29]}" "$otherp" | sort)"
rm -rf "$COFFER_REPOSITORY"
cp -a "$T/base2" "$COFFER_REPOSITORY"
run_coffer forget --keep-last 1 --group-by ''
expect_rc group-none-rc 0
expect_eq group-none-one-left "$(snapshot_ids)" "${ids[29]}"
# A filter limits what is considered: only host "far" loses one.
rm -rf "$COFFER_REPOSITORY"
cp -a "$T/base2" "$COFFER_REPOSITORY"
run_coffer forget --host far --keep-last 1
expect_rc host-filter-rc 0
expect_eq host-filter-left "$(snapshot_ids | wc -l)" 32
expect_out host-filter-removed "removed 1 snapshots"
run_coffer forget --tag audit --keep-last 1
expect_rc tag-filter-rc 0
expect_eq tag-filter-left "$(snapshot_ids | wc -l)" 30
check tag-filter-kept-newest-audit grep -qx "${ids[24]}" <(snapshot_ids)
check tag-filter-removed-audit-4 test ! -e \
    "$COFFER_REPOSITORY/snapshots/${ids[4]}"

# Explicit ids (full and prefix) are removed, whatever the policy.
rm -rf "$COFFER_REPOSITORY"
cp -a "$T/base" "$COFFER_REPOSITORY"
run_coffer forget "${ids[3]}" "${ids[7]:0:10}"
expect_rc ids-rc 0
expect_eq ids-left "$(snapshot_ids | wc -l)" 28
expect_out ids-says "removed snapshot ${ids[7]:0:8}"
expect_absent ids-gone-3 "$COFFER_REPOSITORY/snapshots/${ids[3]}"
expect_absent ids-gone-7 "$COFFER_REPOSITORY/snapshots/${ids[7]}"
coffer_ok check-after-forget check
# The data stays until prune: the last snapshot restores exactly.
coffer_ok restore-after-forget restore latest --target "$T/r"
expect_treecmp restore-after-forget-same --no-atime "$SRC" "$T/r$SRC"

# --prune: forget, then prune under the same lock.
rm -rf "$COFFER_REPOSITORY"
cp -a "$T/base" "$COFFER_REPOSITORY"
before=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer forget --keep-last 2 --prune --dry-run
expect_rc prune-dry-run-rc 0
expect_out prune-dry-run-says "would prune next"
expect_unchanged prune-dry-run-nothing "$before" locks
size0=$(repo_bytes)
run_coffer forget --keep-last 2 --prune --max-unused 0%
expect_rc prune-rc 0
expect_out prune-removed "removed 28 snapshots"
expect_out prune-freed "freed"
expect_lt prune-shrinks "$(repo_bytes)" "$size0"
expect_eq prune-kept "$(remaining)" "28 29"
coffer_ok prune-check check --read-data
rm -rf "$T/r"
coffer_ok prune-restore restore latest --target "$T/r"
expect_treecmp prune-restore-same --no-atime "$SRC" "$T/r$SRC"
run_coffer forget --keep-last 2 --prune --max-unused lots
expect_rc prune-bad-option-rc 1
expect_err prune-bad-option-msg '--max-unused: "lots"'

# Bad input: clear errors, non-zero exits, nothing removed.
before=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer forget --keep-within 3x
expect_rc bad-duration-rc 1
expect_err bad-duration-msg 'invalid duration "3x": unknown unit'
run_coffer forget --keep-within 10
expect_rc bad-duration-nounit-rc 1
expect_err bad-duration-nounit-msg 'no unit after 10'
run_coffer forget --keep-daily seven
expect_rc bad-count-rc 1
expect_err bad-count-msg 'invalid count "seven"'
run_coffer forget --keep-last 2 --group-by host,colour
expect_rc bad-groupby-rc 1
expect_err bad-groupby-msg 'unknown field "colour"'
run_coffer forget 0000000000
expect_rc unknown-id-rc 1
expect_err unknown-id-msg 'no snapshot matching "0000000000"'
run_coffer forget "${ids[5]}" 0000000000
expect_rc one-unknown-id-rc 1
run_coffer forget "${ids[5]}" --keep-last 1
expect_rc ids-and-policy-rc 1
expect_err ids-and-policy-msg "not both"
run_coffer forget
expect_rc no-policy-rc 0
expect_err no-policy-msg "no policy was given"
run_coffer forget --keep-lots 3
expect_rc unknown-option-rc 1
expect_unchanged bad-input-nothing-removed "$before" locks

summary
