#!/bin/bash
# bench/mount_read.sh [RUNS] [MIB]: sequential read of one big file through
# `coffer mount` and `restic mount`, from the same bytes.
#
# Makes MIB (default 1024) MiB of random bytes in a temporary directory,
# backs the file up with coffer (build/release/coffer) and with restic
# (defaults), then RUNS times (default 5), alternating the two tools: a
# fresh mount, the file read twice with dd bs=1M, the mount ended.  The
# first read is "cold" (nothing in the tool's caches nor in the kernel's
# page cache of the mount; the repository's pack files may be in the page
# cache, as they were just written), the second "warm".  Each read prints
# its MB/s (MiB / s, wall clock) and the CPU time (user + system) the
# mount process spent on it.  Needs root (or fusermount3), FUSE and restic.
set -eu

RUNS=${1:-5}
MIB=${2:-1024}
TOP=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)
COFFER=$TOP/build/release/coffer
W=$(mktemp -d "${TMPDIR:-/tmp}/mount-read.XXXXXX")
PID=

finish() {
	if [ -n "$PID" ]; then
		kill "$PID" 2> /dev/null || true
	fi
	for m in "$W"/m-*; do
		umount -l "$m" 2> /dev/null || true
	done
	rm -rf -- "$W"
}
trap finish EXIT

export COFFER_REPOSITORY=$W/crepo COFFER_PASSWORD=bench
export COFFER_KDF_PARAMS=test XDG_CACHE_HOME=$W/cache
export RESTIC_REPOSITORY=$W/rrepo RESTIC_PASSWORD=bench
export RESTIC_CACHE_DIR=$W/rcache

head -c "$((MIB * 1024 * 1024))" /dev/urandom > "$W/big"
"$COFFER" init -q
"$COFFER" backup -q "$W/big"
restic init -q
restic backup -q "$W/big"

# one TOOL: mount, read twice, unmount.
one() {
	local tool=$1 m=$W/m-$1 i f
	mkdir -p "$m"
	# Both end on SIGINT (Ctrl-C), which a background job would ignore.
	if [ "$tool" = coffer ]; then
		env --default-signal=INT "$COFFER" mount "$m" \
		    > "$W/$tool.log" 2>&1 &
	else
		env --default-signal=INT restic mount "$m" \
		    > "$W/$tool.log" 2>&1 &
	fi
	PID=$!
	for i in $(seq 1 300); do
		[ -e "$m/snapshots/latest" ] && break
		sleep 0.1
	done
	f=$m/snapshots/latest$W/big
	printf '%-6s cold %s; warm %s; load %s\n' "$tool" "$(rate "$f")" \
	    "$(rate "$f")" "$(cut -d' ' -f1 /proc/loadavg)"
	kill -INT "$PID"
	wait "$PID" || true
	PID=
	umount "$m" 2> /dev/null || true
}

# rate FILE: read it; MB/s and the mount process's CPU seconds.
rate() {
	local t0 t1 s e
	t0=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
	s=$(date +%s.%N)
	dd if="$1" of=/dev/null bs=1M 2> /dev/null
	e=$(date +%s.%N)
	t1=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
	awk -v m="$MIB" -v s="$s" -v e="$e" -v c=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
	    'BEGIN { printf "%.0f MB/s, cpu %.2f s", m / (e - s), c / hz }'
}

for r in $(seq 1 "$RUNS"); do
	one coffer
	one restic
done
