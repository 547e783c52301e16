#!/usr/bin/env bash
#
# 13 snapshot selection: "latest", a full id, a unique prefix, an unknown
# prefix ("no snapshot matching", exit 1) and an ambiguous prefix (exit 1,
# "ambiguous").  17 snapshots are made, so that by the pigeonhole principle
# two of them share their first hex digit.  Each snapshot adds one file,
# so which snapshot was read shows in what ls lists.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC"
coffer_ok init-rc init || summary

declare -a ids
for i in $(seq 1 17); do
	printf '%s\n' "$i" > "$SRC/file$i"
	run_coffer backup --json "$SRC"
	if [ "$RC" -ne 0 ]; then
		fail "backup-$i" "exit $RC: $ERR"
		summary
	fi
	ids[i]=$(json_last .snapshot_id)
done
pass backups
expect_eq seventeen-snapshot-files "$(snapshot_ids | wc -l)" 17
expect_eq ids-are-file-names "$(printf '%s\n' "${ids[@]}" | sort)" \
    "$(snapshot_ids)"

# shows NAME N SNAPSHOT [PATH]: `ls SNAPSHOT` lists file1..fileN only.
shows() {
	local name=$1 n=$2 i
	shift 2
	run_coffer ls "$@"
	expect_rc "$name-rc" 0
	expect_out_line "$name-has-file$n" "$SRC/file$n"
	i=$((n + 1))
	if grep -qxF -e "$SRC/file$i" -- "$OUT_FILE"; then
		fail "$name-not-file$i" "lists $SRC/file$i"
	else
		pass "$name-not-file$i"
	fi
}

shows latest 17 latest
shows full-id-1 1 "${ids[1]}"
shows full-id-9 9 "${ids[9]}"
shows ls-path 5 "${ids[5]}" "$SRC"

# The shortest prefix of each id that no other id has works.
for i in 1 4 17; do
	id=${ids[i]}
	for len in $(seq 1 64); do
		p=${id:0:len}
		if [ "$(printf '%s\n' "${ids[@]}" | grep -c "^$p")" -eq 1 ]; then
			break
		fi
	done
	shows "unique-prefix-$i" "$i" "$p"
done
shows short-id-2 2 "${ids[2]:0:8}"

# A prefix that two snapshots share.
amb=$(printf '%s\n' "${ids[@]}" | cut -c1 | sort | uniq -d | head -n 1)
check have-ambiguous-prefix test -n "$amb"
run_coffer ls "$amb"
expect_rc ambiguous-rc 1
expect_err ambiguous-message "ambiguous"
expect_eq ambiguous-no-output "$OUT" ""
run_coffer restore "$amb" --target "$T/r"
expect_rc ambiguous-restore-rc 1
expect_absent ambiguous-restore-nothing "$T/r"

# A prefix that no snapshot has.
for c in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
	for d in 0 1 2 3 4 5 6 7 8 9 a b c d e f; do
		if ! printf '%s\n' "${ids[@]}" | grep -q "^$c$d"; then
			break 2
		fi
	done
done
run_coffer ls "$c$d"
expect_rc unknown-rc 1
expect_err unknown-message "no snapshot matching"
run_coffer restore "$c$d" --target "$T/r"
expect_rc unknown-restore-rc 1
expect_err unknown-restore-message "no snapshot matching"
expect_absent unknown-restore-nothing "$T/r"
run_coffer ls "${ids[3]}0"
expect_rc too-long-rc 1
expect_err too-long-message "no snapshot matching"
run_coffer ls not-hex
expect_rc not-hex-rc 1
expect_err not-hex-message "no snapshot matching"

# "latest" follows new snapshots; restoring it gives the newest tree.
printf 'x\n' > "$SRC/file18"
run_coffer backup -q "$SRC"
expect_rc backup-18-rc 0
shows latest-moved 18 latest
run_coffer restore latest --target "$T/r"
expect_rc restore-latest-rc 0
expect_treecmp restore-latest-identical --no-atime "$SRC" "$T/r$SRC"

# In an empty repository, "latest" matches nothing.
export COFFER_REPOSITORY=$T/empty
coffer_ok empty-init-rc init
run_coffer ls latest
expect_rc empty-latest-rc 1
expect_err empty-latest-message "no snapshot matching"

summary
