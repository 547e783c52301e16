#!/usr/bin/env bash
#
# 60 prune: three snapshots of a changing tree, the first forgotten (its
# snapshot object removed, as forget does).  Then:
#   - prune --dry-run says what it would do and changes nothing;
#   - prune shrinks the repository by about the forgotten data, leaving
#     at most --max-unused (5%) unused, check --read-data passes, and
#     every remaining snapshot restores exactly as it did before;
#   - a second prune has nothing to do;
#   - --max-unused unlimited deletes wholly unused packs, repacks none;
#   - --repack-small merges small packs, and then has nothing to do;
#   - prune refuses, changing nothing, when a snapshot is damaged, or a
#     blob a snapshot needs is in no index file, or in no existing pack;
#   - bad option values are refused with a clear message.

# shellcheck disable=SC2016
. "$(dirname -- "$0")/../lib.sh"

MiB=$((1024 * 1024))
SRC=$T/src
mkdir -p "$SRC/keep" "$SRC/gone" "$SRC/small"
# Interleaved names, so that the files that go and the files that stay
# share packs: prune must repack, not just delete.
for i in 1 2 3 4 5 6; do
	rnd "$SRC/keep/k$i" $((3 * MiB + i))
	rnd "$SRC/gone/g$i" $((3 * MiB + 7 * i))
done
for i in $(seq 1 40); do
	rnd "$SRC/small/s$i" $((1000 + 37 * i))
done
gone_bytes=$(find "$SRC/gone" -type f -printf '%s\n' |
    awk '{s += $1} END {print s}')

coffer_ok init-rc init || summary
run_coffer backup --json "$SRC"
expect_rc backup-1-rc 0
S1=$(json_last .snapshot_id)
rm -rf -- "$SRC/gone"
rnd "$SRC/keep/new" $((2 * MiB))
run_coffer backup --json "$SRC"
expect_rc backup-2-rc 0
S2=$(json_last .snapshot_id)
rm -f -- "$SRC/small/s1" "$SRC/small/s2"
printf 'changed\n' > "$SRC/small/s3"
run_coffer backup --json "$SRC"
expect_rc backup-3-rc 0
S3=$(json_last .snapshot_id)

# What the kept snapshots restore to, before any prune.
for s in "$S2" "$S3"; do
	run_coffer restore "$s" --target "$T/before-$s"
	expect_rc "restore-before-${s:0:8}" 0
done

# Forget the first snapshot: remove its object, as `forget` does.
rm -f -- "$COFFER_REPOSITORY/snapshots/$S1"

# --- dry run: a plan, no change ---
state=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer prune --dry-run
expect_rc dry-run-rc 0
expect_out_re dry-run-repack 'would repack [1-9][0-9]* partly used packs .*'
expect_out_re dry-run-free 'would free .* of .* in .* s'
expect_unchanged dry-run-changes-nothing "$state" locks
run_coffer prune --dry-run --json
expect_rc dry-run-json-rc 0
plan=$(json_last '[.packs_delete, .packs_repack, .blobs_repacked] | join(" ")')
expect_unchanged dry-run-json-changes-nothing "$state" locks

# --- prune ---
before=$(repo_bytes)
run_coffer prune --json
expect_rc prune-rc 0
expect_eq prune-not-dry "$(json_last '.dry_run == false')" true
expect_eq prune-snapshots "$(json_last .snapshots)" 2
expect_eq prune-as-planned "$(json_last \
    '[.packs_delete, .packs_repack, .blobs_repacked] | join(" ")')" "$plan"
check prune-repacked test "$(json_last .packs_repack)" -ge 1
check prune-wrote-packs test "$(json_last .packs_written)" -ge 1
check prune-wrote-index test "$(json_last .index_written)" -ge 1
check prune-deleted-index test "$(json_last .index_deleted)" -ge 1
used=$(json_last .bytes_used)
left=$(json_last .bytes_unused_after)
# At most 5% of the repository's blob bytes stay unused.
expect_le prune-max-unused $((left * 95)) $((used * 5))
after=$(repo_bytes)
echo "# repository: $before bytes before, $after after;" \
    "forgotten: $gone_bytes"
expect_le prune-shrinks "$after" $((before - gone_bytes * 9 / 10))
expect_eq prune-layout "$(bad_repo_names)" ""
expect_eq prune-no-locks-left "$(find "$T/repo/locks" -type f | wc -l)" 0

run_coffer check --read-data
expect_rc check-after-prune-rc 0
expect_out check-after-prune "no errors were found"
for s in "$S2" "$S3"; do
	run_coffer restore "$s" --target "$T/after-$s"
	expect_rc "restore-after-${s:0:8}" 0
	expect_treecmp "restore-after-${s:0:8}-identical" --no-atime \
	    "$T/before-$s$SRC" "$T/after-$s$SRC"
done
expect_treecmp latest-is-source --no-atime "$SRC" "$T/after-$S3$SRC"
run_coffer snapshots --json
expect_eq snapshots-kept "$(jq -r '[.[].id] | sort | join(" ")' <<< "$OUT")" \
    "$(printf '%s\n' "$S2" "$S3" | sort | tr '\n' ' ' | sed 's/ $//')"

# --- nothing left to do ---
state=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer prune --json
expect_rc prune-again-rc 0
expect_eq prune-again-delete "$(json_last .packs_delete)" 0
expect_eq prune-again-repack "$(json_last .packs_repack)" 0
expect_eq prune-again-index "$(json_last .index_written)" 0
expect_unchanged prune-again-changes-nothing "$state" locks

# --- refusals that change nothing ---
S2_FILE=$COFFER_REPOSITORY/snapshots/$S2
cp -- "$S2_FILE" "$T/s2.saved"
flip_byte "$S2_FILE" 40
rm -f -- "$COFFER_REPOSITORY/snapshots/$S3"
state=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer prune
expect_rc damaged-snapshot-rc 1
expect_err damaged-snapshot-msg "snapshot $S2 cannot be read: prune stops without changing anything"
expect_unchanged damaged-snapshot-changes-nothing "$state" locks
cp -- "$T/s2.saved" "$S2_FILE"

# The index files set aside: the blobs S2 needs are in no index file.
mkdir -p "$T/aside"
mv -- "$COFFER_REPOSITORY"/index/* "$T/aside/"
state=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer prune
expect_rc missing-index-rc 1
expect_err missing-index-msg "which is missing from the index or cannot be read: prune stops without changing anything"
expect_unchanged missing-index-changes-nothing "$state" locks
mv -- "$T/aside"/* "$COFFER_REPOSITORY/index/"

# The largest pack (data S2 needs; S3's own packs are tiny) set aside.
p=$(find "$COFFER_REPOSITORY/data" -type f -printf '%s %f\n' | sort -n |
    tail -n 1 | cut -d' ' -f2)
mv -- "$(pack_path "$p")" "$T/aside/"
state=$(tree_state "$COFFER_REPOSITORY" locks)
run_coffer prune
expect_rc missing-pack-rc 1
expect_err missing-pack-msg "needed blobs have no pack: prune stops without changing anything"
expect_unchanged missing-pack-changes-nothing "$state" locks
mv -- "$T/aside/$p" "$(pack_path "$p")"

# --- unlimited: S3 forgotten above; delete wholly unused packs only ---
run_coffer prune --json --max-unused unlimited
expect_rc unlimited-rc 0
expect_eq unlimited-repacks-nothing "$(json_last .packs_repack)" 0
expect_eq unlimited-writes-no-pack "$(json_last .packs_written)" 0
run_coffer check --read-data
expect_rc check-after-unlimited-rc 0
run_coffer restore "$S2" --target "$T/final"
expect_rc restore-final-rc 0
expect_treecmp restore-final-identical --no-atime "$T/before-$S2$SRC" \
    "$T/final$SRC"

# --- --repack-small: the small packs merged, at most one of each kind
# (data, tree) left; a second run has nothing to merge ---
small_packs() {
	find "$COFFER_REPOSITORY/data" -type f -size -$((16 * 1024 * 4 / 5))k |
	    wc -l
}
echo "# $(small_packs) small packs"
run_coffer prune --json --repack-small
expect_rc repack-small-rc 0
expect_le repack-small-left "$(small_packs)" 2
run_coffer prune --json --repack-small
expect_rc repack-small-again-rc 0
expect_eq repack-small-no-churn "$(json_last .packs_repack)" 0
run_coffer check --read-data
expect_rc check-after-repack-small-rc 0
rm -rf -- "$T/final"
run_coffer restore "$S2" --target "$T/final"
expect_rc restore-small-rc 0
expect_treecmp restore-small-identical --no-atime "$T/before-$S2$SRC" \
    "$T/final$SRC"

# --- option errors ---
run_coffer prune --max-unused 100%
expect_rc bad-pct-rc 1
expect_err bad-pct-msg '--max-unused: "100%" is not a percentage below 100%'
run_coffer prune --max-repack-size 12x
expect_rc bad-size-rc 1
expect_err bad-size-msg '--max-repack-size: "12x" is not a size'
run_coffer prune extra
expect_rc extra-arg-rc 1
expect_err extra-arg-msg 'unexpected argument "extra"'

summary
