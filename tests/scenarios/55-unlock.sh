#!/usr/bin/env bash
#
# 55 locks and unlock.  A live process's lock (a dump blocked on a full
# pipe) is listed, shown by cat lock, kept by unlock, lets a backup run
# beside it and keeps forget (exclusive) out with exit 11.  Once the
# process is killed (-9: the lock stays), unlock removes it as stale
# (dead process on this host), and so would any command taking a lock.
# unlock --remove-all removes even a live lock.  With faketime, a lock not
# refreshed for two hours is stale although its process lives: backup
# ignores it, forget refuses to start until unlock removes it.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC"
rnd "$SRC/big" 1000000
printf 'small\n' > "$SRC/small"
coffer_ok init-rc init || summary
coffer_ok backup-1 backup -q "$SRC"
coffer_ok backup-2 backup -q "$SRC"

nlocks() {
	find "$COFFER_REPOSITORY/locks" -type f | wc -l
}

# start_holder [PREFIX...]: a coffer dump, blocked writing into a pipe
# nobody reads, holding its shared lock; $HOLDER is its pid, $READER the
# pid of the process at the other end of the pipe.
start_holder() {
	local i
	rm -f "$T/pid" "$T/rpid"
	("$@" sh -c 'echo $$ > "$0"; exec "$1" dump latest "$2"' "$T/pid" \
	    "$COFFER_BIN" "$SRC/big" 2> "$T/holder.err" |
	    sh -c 'echo $$ > "$0"; exec sleep 120' "$T/rpid") &
	for i in $(seq 1 100); do
		if [ -s "$T/pid" ] && [ -s "$T/rpid" ] && [ "$(nlocks)" -ge 1 ]; then
			break
		fi
		sleep 0.1
	done
	HOLDER=$(cat "$T/pid")
	READER=$(cat "$T/rpid")
	sleep 0.3	# the dump is past its lock, writing
}

# stop_holder: kill -9 the holder (its lock stays) and its reader.
stop_holder() {
	kill -9 "$HOLDER" "$READER" 2> /dev/null
	wait 2> /dev/null
}

scenario_cleanup() {
	[ -n "${HOLDER:-}" ] && kill -9 "$HOLDER" "${READER:-}" 2> /dev/null
}

# A live lock.
start_holder
expect_eq live-one-lock "$(nlocks)" 1
run_coffer list locks
expect_rc list-locks-rc 0
lockid=$OUT
expect_eq list-locks-id "$lockid" "$(ls "$COFFER_REPOSITORY/locks")"
run_coffer cat lock "${lockid:0:8}"
expect_rc cat-lock-rc 0
expect_eq cat-lock-pid "$(jq -r .pid < "$OUT_FILE")" "$HOLDER"
expect_eq cat-lock-shared "$(jq -r .exclusive < "$OUT_FILE")" false
run_coffer unlock
expect_rc unlock-live-rc 0
expect_out unlock-live-kept "successfully removed 0 locks"
expect_eq unlock-live-still-there "$(nlocks)" 1
run_coffer forget --keep-last 1
expect_rc forget-locked-rc 11
expect_err forget-locked-msg "repository is locked: a lock held by"
expect_eq forget-locked-nothing-removed "$(snapshot_ids | wc -l)" 2
printf 'more\n' > "$SRC/more"
coffer_ok backup-beside-shared-lock backup -q "$SRC"
expect_eq backup-left-its-lock-only "$(nlocks)" 1

# The holder dies without cleaning up: its lock is stale.
stop_holder
expect_eq killed-lock-stays "$(nlocks)" 1
run_coffer --json unlock
expect_rc unlock-dead-json-rc 0
expect_json unlock-dead-json .removed 1
expect_eq unlock-dead-removed "$(nlocks)" 0
start_holder
stop_holder
run_coffer unlock
expect_rc unlock-dead-rc 0
expect_out_re unlock-dead-says "removed stale shared lock [0-9a-f]{8} of .*@.* \(pid $HOLDER\), refreshed [0-9]+ s ago"
expect_out unlock-dead-count "successfully removed 1 locks"
# Any command taking a lock tidies a dead process's lock away.
start_holder
stop_holder
coffer_ok backup-tidies backup -q "$SRC"
expect_eq backup-tidied "$(nlocks)" 0

# --remove-all: even a live lock.
start_holder
run_coffer unlock --remove-all
expect_rc remove-all-rc 0
expect_out remove-all-count "successfully removed 1 locks"
expect_eq remove-all-gone "$(nlocks)" 0
run_coffer forget --keep-last 2
expect_rc forget-after-remove-all-rc 0
stop_holder
expect_eq forget-done "$(snapshot_ids | wc -l)" 2

# A lock not refreshed for two hours, its process alive.
if command -v faketime > /dev/null 2>&1; then
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	    start_holder faketime -f -2h
	run_coffer cat lock "$(ls "$COFFER_REPOSITORY/locks")"
	age=$(( $(date +%s) - $(jq -r .time < "$OUT_FILE") ))
	expect_ge faketime-lock-old "$age" 7000
	coffer_ok stale-ignored-by-backup backup -q "$SRC"
	run_coffer forget --keep-last 1
	expect_rc stale-refused-by-forget-rc 11
	expect_err stale-refused-by-forget-msg "remove it with \`coffer unlock\`"
	run_coffer unlock
	expect_rc unlock-stale-rc 0
	expect_out_re unlock-stale-says "removed stale shared lock .* \(pid $HOLDER\), refreshed [0-9]+ s ago"
	expect_eq unlock-stale-gone "$(nlocks)" 0
	run_coffer forget --keep-last 1
	expect_rc forget-after-unlock-rc 0
	stop_holder
else
	skip faketime "faketime is not installed"
fi

run_coffer unlock --all
expect_rc unlock-bad-arg-rc 1
expect_err unlock-bad-arg-msg 'unexpected argument "--all"'

summary
