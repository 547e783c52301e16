#!/usr/bin/env bash
#
# 25 cofferd kill: cofferd is killed with SIGKILL while a coffer backup of
# ~200 MiB of random data uploads through it, and restarted a second later
# on the same port and data directory.  The client's retries
# (COFFER_REST_RETRIES=8: 0.25 s doubling to 8 s, about 30 s in all) carry
# it over the gap: the backup finishes.  Afterwards:
#   - no partial object exists on the server: every file under the
#     repository is named by its SHA-256 and in the layout;
#   - the account's usage (recounted at the restart) is what is on disk;
#   - a new backup succeeds, check --read-data passes, and the snapshot
#     restores byte-exact.
# If the backup finishes before it could be killed, the data doubles and
# it runs again (up to twice).
#
# Then the same with SIGTERM, a graceful stop: uploads in flight finish,
# the server exits 0, and restarted it carries the client's backup on.

. "$(dirname -- "$0")/../srvlib.sh"

MiB=$((1024 * 1024))
PW_A=alice-pw-25
SRC=$T/src
mkdir -p "$SRC"
export COFFER_REST_RETRIES=8

# grow N: add N files of 50 MiB to the source.
nfiles=0
grow() {
	local _
	for _ in $(seq 1 "$1"); do
		nfiles=$((nfiles + 1))
		rnd "$SRC/part$nfiles" $((50 * MiB))
	done
}

# data_files: how many objects the server holds in the repository's data/.
data_files() {
	find "$REPO/data" -type f 2> /dev/null | wc -l
}

srv_start start || summary
srv_user_add user-alice alice "$PW_A"
PORT=$SRV_PORT
REPO=$(srv_repo_dir alice main)
export COFFER_REPOSITORY
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" main)

grow 4
killed=0
for attempt in 1 2 3; do
	if [ "$attempt" -gt 1 ]; then
		# A fresh repository and server state for the new attempt.
		srv_stop "stop-before-$attempt"
		rm -rf -- "$SRV_DATA/repos/alice"
		srv_start "start-$attempt" "$PORT" || summary
	fi
	run_coffer init
	expect_rc "init-$attempt-rc" 0 || summary
	timeout -k 10 "$SCENARIO_TIMEOUT" setsid -w "$COFFER_BIN" backup \
	    --json "$SRC" < /dev/null > "$T/backup.out" 2> "$T/backup.err" &
	pid=$!
	start=$(now_ms)
	# Kill once >= 1 s have passed and the server holds >= 2 packs, for
	# at most 60 s; unless the backup ends by itself.
	while kill -0 "$pid" 2> /dev/null; do
		el=$(($(now_ms) - start))
		if [ "$el" -ge 1000 ] && [ "$(data_files)" -ge 2 ]; then
			break
		fi
		if [ "$el" -ge 60000 ]; then
			break
		fi
		sleep 0.05
	done
	if kill -0 "$pid" 2> /dev/null; then
		srv_kill9
		killed=1
		echo "# cofferd killed after $(($(now_ms) - start)) ms," \
		    "attempt $attempt, $(data_files) packs stored"
		break
	fi
	wait "$pid"
	echo "# backup finished (exit $?) within $(($(now_ms) - start)) ms;" \
	    "doubling the data"
	grow "$nfiles"
done
if [ "$killed" -ne 1 ]; then
	fail killed "the backup always finished before cofferd could be killed"
	summary
fi
pass killed
total=$(find "$SRC" -type f -printf '%s\n' |
    awk '{ s += $1 } END { printf "%.0f\n", s }')

# The state the dead server left: complete objects only.
expect_eq after-kill-objects-named-by-hash "$(srv_bad_objects)" ""
expect_eq after-kill-layout "$(COFFER_REPOSITORY=$REPO bad_repo_names)" ""

sleep 1
# The client keeps retrying and goes on uploading as soon as the server is
# back; a reservation for an upload in flight counts as used before the
# object is stored.  Hold the client still while the server recounts and
# we compare (otherwise a loaded machine makes this race visible).
pkill -STOP -f -- "$COFFER_BIN backup --json $SRC"
srv_start restart "$PORT" || summary
expect_usage usage-recounted alice
pkill -CONT -f -- "$COFFER_BIN backup --json $SRC"

wait "$pid"
rc=$?
sed 's/^/#   killed backup stderr: /' -- "$T/backup.err" | head -n 20
expect_eq backup-over-restart-rc "$rc" 0
id=$(grep '^{' -- "$T/backup.out" | tail -n 1 | jq -r '.snapshot_id // empty')
check backup-over-restart-id test -n "$id"
expect_eq backup-over-restart-processed "$(grep '^{' -- "$T/backup.out" |
    tail -n 1 | jq -r '.total_bytes_processed')" "$total"
# The client went on uploading to the new server.
upload_line='"method":"POST","route":"data","type":"data",'
upload_line+='"repo":"alice/main","status":200'
check uploads-after-restart grep -qF -e "$upload_line" -- "$SRV_LOG"

expect_eq after-restart-objects-named-by-hash "$(srv_bad_objects)" ""
expect_eq after-restart-layout "$(COFFER_REPOSITORY=$REPO bad_repo_names)" ""
expect_usage usage-after-restart alice

run_coffer check --read-data
expect_rc check-rc 0
expect_out check-message "no errors were found"

run_coffer restore "$id" --target "$T/r1"
expect_rc restore-killed-rc 0
expect_treecmp restore-killed-identical --no-atime "$SRC" "$T/r1$SRC"

# A new backup, with a little more data.
rnd "$SRC/after" $((3 * MiB))
run_coffer backup --json "$SRC"
expect_rc new-backup-rc 0
S=$(json_last .snapshot_id)
expect_lt new-backup-reused "$(json_last .data_added)" $((4 * MiB))

# --- SIGTERM during a backup: a graceful stop --------------------------------
# The server stops accepting, lets the uploads in flight finish (each one
# is logged with status 200, none cut short), exits 0; restarted, it
# serves the client's retries and the backup completes.
grow 2
timeout -k 10 "$SCENARIO_TIMEOUT" setsid -w "$COFFER_BIN" backup --json \
    "$SRC" < /dev/null > "$T/backup2.out" 2> "$T/backup2.err" &
pid=$!
n0=$(data_files)
start=$(now_ms)
while kill -0 "$pid" 2> /dev/null && [ "$(data_files)" -lt $((n0 + 2)) ] &&
    [ $(($(now_ms) - start)) -lt 60000 ]; do
	sleep 0.05
done
if kill -0 "$pid" 2> /dev/null; then
	pass term-mid-backup
else
	skip term-mid-backup "the backup ended before SIGTERM; stopping anyway"
fi
term_start=$(now_ms)
srv_stop term-exit
expect_lt term-exit-in-time $(($(now_ms) - term_start)) 30000
check term-finishing-line grep -q \
    '^cofferd: signal 15: finishing requests in flight' -- "$SRV_LOG"
expect_eq term-nothing-cut-short "$(grep -c 'requests cut short' -- \
    "$SRV_LOG")" 0
expect_eq term-no-aborted-request "$(grep '^{' -- "$SRV_LOG" |
    jq -c 'select(.status == 0 and .method != null)' | head -n 3)" ""
expect_eq term-objects-named-by-hash "$(srv_bad_objects)" ""
srv_start term-restart "$PORT" || summary
wait "$pid"
rc=$?
sed 's/^/#   terminated backup stderr: /' -- "$T/backup2.err" | head -n 20
expect_eq term-backup-rc "$rc" 0
S=$(grep '^{' -- "$T/backup2.out" | tail -n 1 | jq -r '.snapshot_id // empty')
check term-backup-id test -n "$S"

run_coffer check --read-data
expect_rc final-check-rc 0
expect_out final-check-message "no errors were found"
run_coffer restore "$S" --target "$T/r2"
expect_rc restore-rc 0
expect_treecmp restore-identical --no-atime "$SRC" "$T/r2$SRC"
expect_eq final-objects-named-by-hash "$(srv_bad_objects)" ""
expect_eq final-no-locks-left "$(find "$REPO/locks" -type f | wc -l)" 0
expect_usage final-usage alice
srv_stop stop

summary
