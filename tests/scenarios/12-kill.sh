#!/usr/bin/env bash
#
# 12 kill: a backup of ~400 MiB of random data is killed with SIGKILL
# while it runs (at least 1 s in, once it has written an index
# checkpoint).  Afterwards:
#   - the repository holds nothing outside its layout (temporary files may
#     only live under locks/), every pack's hash is its name;
#   - check --read-data exits 0 (a stale lock or an unindexed pack is not
#     an error);
#   - the next backup succeeds and reuses what the killed one uploaded and
#     indexed: its data_added is smaller than the total;
#   - that snapshot restores byte-exact.
# If the backup finishes within the second, the data doubles and it runs
# again (up to twice).

. "$(dirname -- "$0")/../lib.sh"

MiB=$((1024 * 1024))
SRC=$T/src
mkdir -p "$SRC"

# grow N: add N files of 50 MiB to the source.
nfiles=0
grow() {
	local _
	for _ in $(seq 1 "$1"); do
		nfiles=$((nfiles + 1))
		rnd "$SRC/part$nfiles" $((50 * MiB))
	done
}

# now_ms: milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

grow 8
killed=0
for attempt in 1 2 3; do
	rm -rf -- "$T/repo"
	run_coffer init
	expect_rc "init-$attempt-rc" 0 || summary
	index_before=$(ids_in index | wc -l)
	"$COFFER_BIN" backup "$SRC" < /dev/null > "$T/killed.out" \
	    2> "$T/killed.err" &
	pid=$!
	start=$(now_ms)
	# Wait until >= 1 s have passed and an index file was written, for
	# at most 60 s; or until the backup ends by itself.
	while kill -0 "$pid" 2> /dev/null; do
		el=$(($(now_ms) - start))
		if [ "$el" -ge 1000 ] &&
		    [ "$(ids_in index | wc -l)" -gt "$index_before" ]; then
			break
		fi
		if [ "$el" -ge 60000 ]; then
			break
		fi
		sleep 0.05
	done
	if kill -9 "$pid" 2> /dev/null; then
		wait "$pid" 2> /dev/null
		killed=1
		echo "# killed after $(($(now_ms) - start)) ms, attempt $attempt"
		break
	fi
	wait "$pid"
	echo "# backup finished (exit $?) within $(($(now_ms) - start)) ms;" \
	    "doubling the data"
	grow "$nfiles"
done
if [ "$killed" -ne 1 ]; then
	fail killed "the backup always finished before it could be killed"
	summary
fi
pass killed
total=$(find "$SRC" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
check killed-left-an-index test "$(ids_in index | wc -l)" -gt 0

# Nothing half-written outside locks/, no pack with a wrong name.
expect_eq after-kill-layout "$(bad_repo_names)" ""
expect_eq after-kill-pack-hashes "$(bad_pack_hashes)" ""

run_coffer check --read-data
expect_rc check-after-kill-rc 0
expect_out check-after-kill-message "no errors were found"

run_coffer backup --json "$SRC"
expect_rc next-backup-rc 0
S=$(json_last .snapshot_id)
added=$(json_last .data_added)
expect_json next-backup-all-processed .total_bytes_processed "$total"
expect_lt next-backup-reused "$added" "$total"

run_coffer check --read-data
expect_rc check-after-next-rc 0
expect_eq final-layout "$(bad_repo_names)" ""
expect_eq no-locks-left "$(find "$T/repo/locks" -type f | wc -l)" 0

run_coffer restore "$S" --target "$T/r"
expect_rc restore-rc 0
expect_treecmp restore-identical --no-atime "$SRC" "$T/r$SRC"

summary
