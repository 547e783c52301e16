#!/usr/bin/env bash
#
# 06 incremental: the --json summary counts files against the parent
# snapshot (the latest one with the same host and paths):
#   1st backup: all N files new;
#   2nd, nothing changed: files_unmodified=N, no new data blob, and the
#       snapshot's parent is the 1st;
#   3rd, one file touched (content the same): files_changed=1, still no
#       new data blob;
#   4th, one file rewritten and one added: changed 1, new 1, 2 data blobs;
#   a backup of other paths, or under another --host, has no parent.

# jq programs are in single quotes on purpose.
# shellcheck disable=SC2016
. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
N=15
for d in d1 d2 d3; do
	mkdir -p "$SRC/$d"
	for i in 1 2 3 4 5; do
		rnd "$SRC/$d/f$i" $((4096 * i + 7))
	done
done

# counts NAME NEW CHANGED UNMODIFIED DATA_BLOBS: the last summary's counts.
counts() {
	expect_json "$1-files-new" .files_new "$2"
	expect_json "$1-files-changed" .files_changed "$3"
	expect_json "$1-files-unmodified" .files_unmodified "$4"
	expect_json "$1-data-blobs" .data_blobs "$5"
	expect_json "$1-total-files" .total_files_processed \
	    $(($2 + $3 + $4))
	expect_eq "$1-one-json-summary" \
	    "$(grep -c '"message_type":"summary"' -- "$OUT_FILE")" 1
	check "$1-snapshot-id" test "$(json_last .snapshot_id |
	    grep -cxE '[0-9a-f]{64}')" -eq 1
}

coffer_ok init-rc init || summary
run_coffer backup --json "$SRC"
expect_rc backup-1-rc 0
counts backup-1 "$N" 0 0 "$N"
S1=$(json_last .snapshot_id)
expect_json backup-1-bytes .total_bytes_processed \
    "$(find "$SRC" -type f -printf '%s\n' | awk '{s += $1} END {print s}')"

run_coffer backup --json "$SRC"
expect_rc backup-2-rc 0
counts backup-2 0 0 "$N" 0
expect_json backup-2-dirs-new .dirs_new 0
S2=$(json_last .snapshot_id)

run_coffer snapshots --json
expect_eq backup-2-parent \
    "$(jq -r --arg id "$S2" '.[] | select(.id == $id) | .parent' <<< "$OUT")" \
    "$S1"

touch -m -d '2020-05-06 07:08:09.5' "$SRC/d2/f3"
run_coffer backup --json "$SRC"
expect_rc backup-3-rc 0
counts backup-3 0 1 $((N - 1)) 0

rnd "$SRC/d1/f1" 5000
rnd "$SRC/d3/new" 6000
run_coffer backup --json "$SRC"
expect_rc backup-4-rc 0
counts backup-4 1 1 $((N - 1)) 2
S4=$(json_last .snapshot_id)

# Unchanged again: the parent is now the 4th.
run_coffer backup --json "$SRC"
expect_rc backup-5-rc 0
counts backup-5 0 0 $((N + 1)) 0
S5=$(json_last .snapshot_id)
run_coffer snapshots --json
expect_eq backup-5-parent \
    "$(jq -r --arg id "$S5" '.[] | select(.id == $id) | .parent' <<< "$OUT")" \
    "$S4"

# Other paths: no parent, every file new (but the data is known).
run_coffer backup --json "$SRC/d2"
expect_rc other-paths-rc 0
counts other-paths 5 0 0 0

# Another host: no parent either.
run_coffer backup --json --host elsewhere "$SRC"
expect_rc other-host-rc 0
counts other-host $((N + 1)) 0 0 0

# The restored latest snapshot of the first host is the current tree.
run_coffer restore "$S5" --target "$T/r"
expect_rc restore-rc 0
expect_treecmp restore-identical --no-atime "$SRC" "$T/r$SRC"

summary
