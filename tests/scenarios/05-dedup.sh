#!/usr/bin/env bash
#
# 05 dedup: a 100 MiB random file is backed up, one byte in its middle is
# changed, and it is backed up again.  Content-defined chunking must limit
# the new data to the chunk(s) around that byte: the --json summary's
# data_added is at most 8 MiB (the maximum chunk size), and the repository
# grows by less than 9 MiB + 1 MiB of slack.  Both snapshots restore
# byte-exact.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
MiB=$((1024 * 1024))
mkdir -p "$SRC"
rnd "$SRC/big" $((100 * MiB))
cp -- "$SRC/big" "$T/big.v1"

coffer_ok init-rc init || summary
run_coffer backup --json "$SRC"
expect_rc backup-1-rc 0
S1=$(json_last .snapshot_id)
expect_json backup-1-files-new .files_new 1
expect_json backup-1-bytes .total_bytes_processed $((100 * MiB))
added_1=$(json_last .data_added)
stored_1=$(json_last .data_stored)
# Random data does not compress: all of it is new and stored, plus some
# overhead (headers, MACs, tree), not much more.  On disk, packs may also
# be padded (about 1% was seen): 4 MiB of slack, far below a second copy.
expect_ge backup-1-data-added-all "$added_1" $((100 * MiB))
expect_le backup-1-data-stored-bounded "$stored_1" $((101 * MiB))
expect_ge backup-1-data-stored-all "$stored_1" $((100 * MiB))
expect_le backup-1-repo-size "$(repo_bytes)" $((104 * MiB))
size_1=$(du -sb -- "$T/repo" | cut -f1)

# One byte in the middle changes (to its complement, so surely changes).
flip_byte "$SRC/big" $((50 * MiB + 12345))
check changed test "$(cmp -- "$SRC/big" "$T/big.v1" 2>&1 | wc -l)" -eq 1
cp -- "$SRC/big" "$T/big.v2"

run_coffer backup --json "$SRC"
expect_rc backup-2-rc 0
S2=$(json_last .snapshot_id)
expect_json backup-2-files-changed .files_changed 1
expect_json backup-2-files-new .files_new 0
added_2=$(json_last .data_added)
stored_2=$(json_last .data_stored)
expect_le backup-2-data-added "$added_2" $((8 * MiB))
expect_le backup-2-data-stored "$stored_2" $((9 * MiB))
expect_ge backup-2-data-added-nonzero "$added_2" 1
size_2=$(du -sb -- "$T/repo" | cut -f1)
expect_lt repo-growth "$((size_2 - size_1))" $((10 * MiB))

# Both versions restore byte-exact.
run_coffer restore "$S1" --target "$T/r1"
expect_rc restore-1-rc 0
expect_same restore-1-exact "$T/big.v1" "$T/r1$SRC/big"
run_coffer restore "$S2" --target "$T/r2"
expect_rc restore-2-rc 0
expect_same restore-2-exact "$T/big.v2" "$T/r2$SRC/big"

run_coffer check --read-data
expect_rc check-rc 0

summary
