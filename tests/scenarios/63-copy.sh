#!/usr/bin/env bash
#
# 63 copy: snapshots copied between two repositories with different keys
# and passcodes.
#   - copy of every snapshot: both repositories pass check --read-data;
#     the copies restore exactly as the originals, keep their time, host,
#     paths and tags, and name the source snapshot as "original";
#   - a second copy uploads nothing and changes nothing;
#   - a new snapshot sharing most of its data uploads only what is new;
#   - a damaged source blob stops the copy before any snapshot is saved;
#   - wrong passcode, missing or absent source: clear errors.

# shellcheck disable=SC2016
. "$(dirname -- "$0")/../lib.sh"

MiB=$((1024 * 1024))
SRC=$T/src
A=$T/a
B=$T/repo
PA='source passcode'
printf '%s\n' "$PA" > "$T/pa"
mkdir -p "$SRC/dir one/sub" "$SRC/empty"
rnd "$SRC/dir one/big" $((3 * MiB))
rnd "$SRC/dir one/sub/mid" $((700 * 1024))
for i in $(seq 1 15); do
	printf 'file %d\n' "$i" > "$SRC/dir one/sub/f$i"
done
: > "$SRC/zero"
ln -s "dir one/big" "$SRC/link"
ln "$SRC/dir one/sub/f1" "$SRC/hard"
chmod 0640 "$SRC/dir one/sub/f2"
cp -- "$SRC/dir one/big" "$SRC/dup"	# the same data twice

# ca ARGS...: coffer on the source repository.
ca() {
	COFFER_REPOSITORY=$A COFFER_PASSWORD=$PA run_coffer "$@"
}
# cp_ ARGS...: coffer copy from the source, passcode from a file.
copy_() {
	run_coffer copy --from-repo "$A" --from-password-file "$T/pa" "$@"
}

ca init
expect_rc init-a-rc 0
coffer_ok init-b-rc init || summary
ca backup --json --tag first "$SRC"
expect_rc backup-1-rc 0
S1=$(json_last .snapshot_id)
cp -a -- "$SRC" "$T/state1"
printf 'changed\n' > "$SRC/dir one/sub/f3"
rnd "$SRC/dir one/new" $((600 * 1024))
ca backup --json "$SRC"
expect_rc backup-2-rc 0
S2=$(json_last .snapshot_id)

# --- copy everything ---
copy_ --json
expect_rc copy-rc 0
expect_eq copy-copied "$(json_last .snapshots_copied)" 2
check copy-uploaded test "$(json_last .data_blobs)" -ge 5
map=$(grep '^{' "$OUT_FILE" | tail -n 1 |
    jq -r '.snapshots[] | .source + " " + .target')
T1=$(awk -v s="$S1" '$1 == s { print $2 }' <<< "$map")
T2=$(awk -v s="$S2" '$1 == s { print $2 }' <<< "$map")
check copy-target-1 test -n "$T1"
check copy-target-2 test -n "$T2"

run_coffer check --read-data
expect_rc check-b-rc 0
expect_out check-b "no errors were found"
ca check --read-data
expect_rc check-a-rc 0

run_coffer snapshots --json
expect_eq originals "$(jq -r --arg t "$T1" \
    '.[] | select(.id == $t) | .original' <<< "$OUT")" "$S1"
expect_eq copy-tags "$(jq -r --arg t "$T1" \
    '.[] | select(.id == $t) | .tags | join(",")' <<< "$OUT")" first
b_meta=$(jq -c 'map({time, hostname, username, paths}) | sort_by(.time)' \
    <<< "$OUT")
ca snapshots --json
a_meta=$(jq -c 'map({time, hostname, username, paths}) | sort_by(.time)' \
    <<< "$OUT")
expect_eq copy-metadata "$b_meta" "$a_meta"

run_coffer restore "$T1" --target "$T/r1"
expect_rc restore-1-rc 0
expect_treecmp restore-1-identical --no-atime "$T/state1" "$T/r1$SRC"
run_coffer restore "$T2" --target "$T/r2"
expect_rc restore-2-rc 0
expect_treecmp restore-2-identical --no-atime "$SRC" "$T/r2$SRC"

# --- again: nothing to do ---
state=$(tree_state "$B" locks)
copy_ --json
expect_rc copy-again-rc 0
expect_eq copy-again-copied "$(json_last .snapshots_copied)" 0
expect_eq copy-again-skipped "$(json_last .snapshots_skipped)" 2
expect_eq copy-again-data "$(json_last .data_blobs)" 0
expect_eq copy-again-trees "$(json_last .tree_blobs)" 0
expect_eq copy-again-packs "$(json_last .packs)" 0
expect_unchanged copy-again-changes-nothing "$state" locks
copy_
expect_rc copy-again-text-rc 0
expect_out copy-again-text "snapshot ${S1:0:8} is in the target already, as ${T1:0:8}"

# --- a new snapshot: only what is new is uploaded ---
rnd "$SRC/dir one/newer" $((300 * 1024))
ca backup --json "$SRC"
S3=$(json_last .snapshot_id)
copy_ --json "${S3:0:10}"
expect_rc copy-3-rc 0
expect_eq copy-3-copied "$(json_last .snapshots_copied)" 1
expect_eq copy-3-one-new-blob "$(json_last .data_blobs)" 1
expect_eq copy-3-new-bytes "$(json_last .data_added)" $((300 * 1024))
T3=$(grep '^{' "$OUT_FILE" | tail -n 1 | jq -r '.snapshots[0].target')
run_coffer restore "$T3" --target "$T/r3"
expect_rc restore-3-rc 0
expect_treecmp restore-3-identical --no-atime "$SRC" "$T/r3$SRC"

# --- a damaged source blob: nothing saved ---
packs_before=$(cd "$A/data" && find . -type f | sort)
rnd "$SRC/dir one/doomed" $((200 * 1024))
ca backup --json "$SRC"
S4=$(json_last .snapshot_id)
newpacks=$(comm -13 <(printf '%s\n' "$packs_before") \
    <(cd "$A/data" && find . -type f | sort))
for p in $newpacks; do
	flip_byte "$A/data/$p" 100
done
nsnap=$(ids_in snapshots | wc -l)
copy_ "$S4"
expect_rc damaged-rc 1
expect_err damaged-msg "snapshot ${S4:0:8} could not be copied: the source is damaged"
expect_eq damaged-no-snapshot "$(ids_in snapshots | wc -l)" "$nsnap"
run_coffer check --read-data
expect_rc damaged-check-b-rc 0

# --- errors ---
printf 'wrong\n' > "$T/wrong"
run_coffer copy --from-repo "$A" --from-password-file "$T/wrong"
expect_rc wrong-pass-rc 12
run_coffer copy
expect_rc no-source-rc 1
expect_err no-source-msg "no source repository: use --from-repo or set COFFER_FROM_REPOSITORY"
run_coffer copy --from-repo "$T/nothing" --from-password-file "$T/pa"
expect_rc absent-source-rc 10
expect_err absent-source-msg "cannot open the source repository $T/nothing"
COFFER_FROM_PASSWORD=$PA run_coffer copy --from-repo "$A" ffffffffff
expect_rc unknown-snapshot-rc 1
expect_err unknown-snapshot-msg 'no snapshot matching "ffffffffff"'

summary
