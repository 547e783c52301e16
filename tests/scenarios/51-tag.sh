#!/usr/bin/env bash
#
# 51 tag: --add, --remove, --set on snapshots named by id, prefix or
# "latest", or chosen by filters.  A changed snapshot is a new object
# whose "original" is the first id it had; the old object is gone; the
# tree and everything else are unchanged.  Bad input fails clearly.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC"
coffer_ok init-rc init || summary
declare -a ids
for i in 1 2 3; do
	printf '%s\n' "$i" > "$SRC/f$i"
	run_coffer backup --json --tag "t$i" --time "2024-02-0$i 12:00:00" "$SRC"
	expect_rc "backup-$i" 0
	ids[i]=$(json_last .snapshot_id)
done

# snap ID FIELD: a field of snapshot ID (jq expression on it).
snap() {
	"$COFFER_BIN" snapshots --json 2> /dev/null |
	    jq -c --arg id "$1" ".[] | select(.id == \$id) | $2"
}
# newest_id: the id of the newest snapshot.
newest_id() {
	"$COFFER_BIN" snapshots --json 2> /dev/null | jq -r '.[-1].id'
}

tree3=$(snap "${ids[3]}" .tree)
run_coffer tag --add a,b --add c latest
expect_rc add-rc 0
expect_out add-says "modified tags on 1 snapshots"
new=$(newest_id)
expect_out add-names-ids "snapshot ${ids[3]:0:8} -> ${new:0:8}"
check add-new-id test "$new" != "${ids[3]}"
expect_absent add-old-object-gone "$COFFER_REPOSITORY/snapshots/${ids[3]}"
expect_eq add-tags "$(snap "$new" .tags)" '["t3","a","b","c"]'
expect_eq add-original "$(snap "$new" .original)" "\"${ids[3]}\""
expect_eq add-tree-same "$(snap "$new" .tree)" "$tree3"
expect_eq add-time-same "$(snap "$new" .time)" '"2024-02-03T12:00:00.000000000Z"'
expect_eq add-count "$(snapshot_ids | wc -l)" 3

# A second change keeps the first original.
run_coffer tag --remove a,t3 "${new:0:12}"
expect_rc remove-rc 0
new2=$(newest_id)
expect_eq remove-tags "$(snap "$new2" .tags)" '["b","c"]'
expect_eq remove-original-kept "$(snap "$new2" .original)" "\"${ids[3]}\""
expect_absent remove-old-gone "$COFFER_REPOSITORY/snapshots/$new"

# Nothing to change: no rewrite.
run_coffer tag --add b latest
expect_rc noop-rc 0
expect_out noop-says "no snapshots were modified"
expect_eq noop-same-id "$(newest_id)" "$new2"

# --set replaces; --set '' clears.
run_coffer tag --set x,y "${ids[1]}"
expect_rc set-rc 0
run_coffer snapshots --json
expect_eq set-tags "$(jq -c '.[0].tags' < "$OUT_FILE")" '["x","y"]'
s1=$(jq -r '.[0].id' < "$OUT_FILE")
run_coffer tag --set '' "$s1"
expect_rc set-empty-rc 0
run_coffer snapshots --json
expect_eq set-empty-tags "$(jq -c '.[0].tags' < "$OUT_FILE")" '[]'

# Filters: every snapshot with tag t2 (only one), and --json output.
run_coffer --json tag --tag t2 --add two
expect_rc filter-rc 0
expect_eq filter-json-summary "$(json_last .changed_snapshots)" 1
expect_eq filter-json-old "$(jq -r 'select(.message_type == "changed") |
    .old_snapshot_id' < "$OUT_FILE")" "${ids[2]}"
run_coffer snapshots --json
expect_eq filter-tags "$(jq -c '.[1].tags' < "$OUT_FILE")" '["t2","two"]'
expect_eq filter-others-untouched "$(jq -c '[.[0].tags, .[2].tags]' \
    < "$OUT_FILE")" '[[],["b","c"]]'

# Without ids or filters: all snapshots.
run_coffer tag --add all
expect_rc all-rc 0
expect_out all-says "modified tags on 3 snapshots"
run_coffer snapshots --json
expect_eq all-tagged "$(jq '[.[] | select(.tags | index("all"))] | length' \
    < "$OUT_FILE")" 3
run_coffer snapshots
expect_out_re snapshots-table-shows-tags '.* b,c,all .*'

# Everything is still consistent and restorable.
coffer_ok check-after check
coffer_ok restore-after restore latest --target "$T/r"
expect_treecmp restore-after-same --no-atime "$SRC" "$T/r$SRC"

# Bad input.
before=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer tag latest
expect_rc nothing-rc 1
expect_err nothing-msg "nothing to do"
run_coffer tag --set a --add b latest
expect_rc set-and-add-rc 1
expect_err set-and-add-msg "cannot be combined"
run_coffer tag --add z 0000000000
expect_rc unknown-rc 1
expect_err unknown-msg 'no snapshot matching "0000000000"'
run_coffer tag --add "$(printf 'bad\377')" latest
expect_rc not-utf8-rc 1
expect_err not-utf8-msg "valid UTF-8"
expect_unchanged bad-input-nothing-changed "$before" locks

summary
