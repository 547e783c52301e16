#!/usr/bin/env bash
# run.sh: alone (it stops radosgw, which the other S3 scenarios use)
#
# 82 s3 outage: radosgw goes away in the middle of a backup.
#   1. A backup is paused (SIGSTOP) once its first pack is in the bucket,
#      radosgw is stopped (SIGTERM), the backup resumed: its requests fail
#      for 3 s ("connection refused"), it says it retries, radosgw comes
#      back, and the backup finishes with exit 0.
#   2. radosgw is killed (SIGKILL) while a second backup uploads (paused
#      for the moment of the kill, so that its transfers are cut), and
#      restarted 2 s later: the backup finishes with exit 0.
#   3. With COFFER_S3_RETRIES=1 and radosgw down for good, a backup gives
#      up with the transport error in words and a non-zero exit.
# After each, check --read-data passes (nothing partial is visible: an S3
# PUT is atomic) and the snapshots restore byte-exact.

. "$(dirname -- "$0")/../s3lib.sh"

if ! command -v radosgw > /dev/null 2>&1 || [ -z "$(rgw_pid)" ]; then
	skip "$SCENARIO" "radosgw of $COFFER_CEPH_DIR is not running here"
	summary
fi
# The bucket stays: removing it (radosgw-admin bucket rm) right after a
# killed radosgw takes 15 s; the cluster is torn down after the tests.
scenario_cleanup() {
	[ -n "${BPID:-}" ] && kill -CONT "$BPID" 2> /dev/null
	rgw_start
}
export COFFER_S3_RETRIES=8
export COFFER_REPOSITORY="s3:$S3_ENDPOINT/$S3_BUCKET/r"
MiB=$((1024 * 1024))
BPID=

# first_pack_then CMD...: wait (up to 60 s) until the bucket holds a pack
# newer than those in $T/before, then run CMD.  1 if none came, or the
# backup ($BPID) ended first.
first_pack_then() {
	local i=0
	while :; do
		s3_keys r/data/ | sort > "$T/now"
		if [ -n "$(comm -13 "$T/before" "$T/now")" ]; then
			break
		fi
		kill -0 "$BPID" 2> /dev/null || return 1
		i=$((i + 1))
		[ $i -gt 600 ] && return 1
		sleep 0.1
	done
	kill -0 "$BPID" 2> /dev/null || return 1
	"$@"
}

# backup_bg DIR: start a backup of DIR in the background (BPID), its
# output in $T/bk.out and $T/bk.err.
backup_bg() {
	s3_keys r/data/ | sort > "$T/before"
	"$COFFER_BIN" backup --json "$1" > "$T/bk.out" 2> "$T/bk.err" \
	    < /dev/null &
	BPID=$!
}

# backup_wait NAME: wait for the background backup; its exit status must
# be 0 and it must name a snapshot.
backup_wait() {
	local rc
	wait "$BPID"
	rc=$?
	BPID=
	sed 's/^/#   backup stderr: /' "$T/bk.err" | head -n 20
	expect_eq "$1-rc" "$rc" 0
	check "$1-snapshot" grep -q '"snapshot_id":"[0-9a-f]\{64\}"' \
	    "$T/bk.out"
}

run_coffer init
expect_rc init-rc 0 || summary

# --- 1. stopped (SIGTERM) while the backup is paused, then resumed --------
mkdir -p "$T/src1" "$T/src2" "$T/src3"
for i in 1 2 3 4; do
	rnd "$T/src1/f$i" $((16 * MiB + i))
done
backup_bg "$T/src1"
if first_pack_then kill -STOP "$BPID"; then
	pass stop-during-backup
else
	fail stop-during-backup "the backup ended before its first pack"
fi
t0=$(date +%s%N)
rgw_stop
check rgw-stopped test -z "$(rgw_pid)"
kill -CONT "$BPID"
sleep 3
check rgw-restarted rgw_start
backup_wait outage-term
check outage-term-retried grep -q '; retry [0-9]* of 8$' "$T/bk.err"
check outage-term-says-why grep -q 'Couldn.t connect to server' \
    "$T/bk.err"
expect_ge outage-term-took-3s $((($(date +%s%N) - t0) / 1000000)) 3000

# --- 2. killed (SIGKILL) during uploads, restarted 2 s later ---------------
for i in 1 2 3 4; do
	rnd "$T/src2/g$i" $((16 * MiB + i))
done
backup_bg "$T/src2"
# Paused around the kill, so that it surely has uploads in flight.
if first_pack_then kill -STOP "$BPID"; then
	pass kill-during-backup
else
	fail kill-during-backup "the backup ended before its first pack"
fi
kill -KILL "$(rgw_pid)"
kill -CONT "$BPID"
sleep 2
check rgw-restarted-2 rgw_start
backup_wait outage-kill

run_coffer check --read-data
expect_rc check-rc 0
expect_out check-clean "no errors were found"
run_coffer snapshots --json
expect_eq two-snapshots "$(jq length < "$OUT_FILE")" 2
S1=$(jq -r '.[0].id' < "$OUT_FILE")
run_coffer restore latest --target "$T/restored"
expect_rc restore-rc 0
expect_treecmp restore-byte-exact "$T/src2" "$T/restored$T/src2"

# --- 3. down for good: the backup gives up, the repository is fine ---------
rnd "$T/src3/h" $((3 * MiB))
rgw_stop
COFFER_S3_RETRIES=1 run_coffer backup "$T/src3"
expect_rc give-up-rc 1
expect_err give-up-message "Couldn't connect to server (after 2 attempts)"
check rgw-restarted-3 rgw_start
run_coffer check --read-data
expect_rc check-after-give-up-rc 0
run_coffer restore "$S1" --target "$T/restored1"
expect_rc restore-1-rc 0
expect_treecmp restore-1-byte-exact "$T/src1" "$T/restored1$T/src1"

summary
