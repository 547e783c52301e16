# shellcheck shell=bash
#
# tests/mountlib.sh: sourced after lib.sh (and srvlib.sh) by the mount
# scenarios.  Sets MNT ($T/mnt, the mount point), MPID (the mount's
# process while it runs) and MOUNT_LOCKS (the repository's locks/
# directory, $T/repo/locks unless the scenario changes it).  A scenario
# that uses it calls mount_cleanup from its scenario_cleanup.
MNT=$T/mnt
MPID=
MOUNT_LOCKS=$T/repo/locks

# mount_skip_unless_usable: print a SKIP line and end the scenario if FUSE
# cannot be used here.
mount_skip_unless_usable() {
	local why=
	if [ ! -c /dev/fuse ]; then
		why="no /dev/fuse"
	elif ! (exec 3<> /dev/fuse) 2> /dev/null; then
		why="/dev/fuse cannot be opened"
	elif [ "$IS_ROOT" -ne 1 ] && ! command -v fusermount3 > /dev/null; then
		why="not root and no fusermount3"
	elif ! command -v mountpoint > /dev/null; then
		why="no mountpoint(1)"
	fi
	if [ -n "$why" ]; then
		skip "$SCENARIO" "$why"
		summary
	fi
}

# unmount DIR: as a user does it: fusermount3 -u (umount as root
# without it).
unmount() {
	if command -v fusermount3 > /dev/null; then
		fusermount3 -u "$1"
	else
		umount "$1"
	fi
}

# mount_cleanup: unmount if still mounted (for scenario_cleanup).
mount_cleanup() {
	if mountpoint -q "$MNT" 2> /dev/null; then
		umount -l "$MNT" 2> /dev/null || fusermount3 -uz "$MNT"
	fi
}

# mount_start NAME [OPTIONS]: mount in the background, wait until mounted;
# it holds one lock.
mount_start() {
	local name=$1 i
	shift
	mkdir -p "$MNT"
	# A background job starts with SIGINT ignored; Ctrl-C in a
	# terminal finds it at its default, as here.
	env --default-signal=INT "$COFFER_BIN" mount "$@" "$MNT" \
	    < /dev/null > "$T/mount.out" 2> "$T/mount.err" &
	MPID=$!
	for i in $(seq 1 100); do
		if mountpoint -q "$MNT"; then
			pass "$name-mounted"
			# A shared lock, as restic's mount takes.
			expect_eq "$name-holds-lock" \
			    "$(find "$MOUNT_LOCKS" -type f | wc -l)" 1
			return 0
		fi
		if ! kill -0 "$MPID" 2> /dev/null; then
			break
		fi
		sleep 0.1
	done
	fail "$name-mounted" "not mounted: $(cat "$T/mount.err")"
	summary
}

# mount_stop NAME HOW: end the mount by HOW ("INT", "TERM" or "umount"),
# wait for the process; it must exit 0 and leave nothing mounted.
mount_stop() {
	local name=$1 how=$2 i rc
	case $how in
	umount) unmount "$MNT" ;;
	*) kill -s "$how" "$MPID" ;;
	esac
	for i in $(seq 1 100); do
		kill -0 "$MPID" 2> /dev/null || break
		sleep 0.1
	done
	if kill -0 "$MPID" 2> /dev/null; then
		fail "$name-exits" "still running 10 s after $how"
		kill -9 "$MPID"
		mount_cleanup
	else
		pass "$name-exits"
	fi
	wait "$MPID"
	rc=$?
	expect_eq "$name-exit-status" "$rc" 0
	check "$name-unmounted" eval '! mountpoint -q "$MNT"'
	expect_eq "$name-no-process" \
	    "$(pgrep -f -- "mount.*$MNT" | grep -vx "$$" | wc -l)" 0
	expect_eq "$name-no-lock" "$(find "$MOUNT_LOCKS" -type f | wc -l)" 0
	sed 's/^/#   mount stderr: /' -- "$T/mount.err" | head -n 20
	case $(cat "$T/mount.err") in
	*AddressSanitizer* | *LeakSanitizer* | *"runtime error:"*)
		fail "$name-sanitizer" "$(head -c 2000 "$T/mount.err")" ;;
	esac
	MPID=
}
