#!/bin/sh
#
# tests/run.sh BUILD_DIR [PATTERN]: run every test of a build.
#
#   1. each unit test binary BUILD_DIR/tests/*;
#   2. each fuzz replayer BUILD_DIR/fuzz/fuzz_NAME-replay, on the saved
#      inputs in fuzz/corpus/NAME/ (skipped when that directory is absent);
#   3. each scenario tests/scenarios/*.sh, run by bash with COFFER_BIN,
#      TOOLS and COFFER_KDF_PARAMS=test in the environment.
#
# With PATTERN, only the programs whose name contains it are run.
#
# Every program prints "PASS name" / "FAIL name..." lines; they are counted
# ("SKIP name: why" lines are shown in the log but not counted).  A program
# that exits non-zero without a FAIL line, dies of a signal, or runs out of
# time (RUN_TIMEOUT seconds, default 900) counts as one more failure, named
# after it; so does a unit test or scenario that exits 0 having printed no
# PASS, FAIL or SKIP line.  A fuzz replayer that prints nothing counts as
# one pass if it exits 0.  The replayer gets the corpus directory as its
# one argument.  Each program's output goes
# to a log file; the last 40 lines of a failed program's log are printed.
# Programs run JOBS (default 4) at a time and are reported in the order
# they started (see start_prog).
# The last line printed is "N passed, M failed"; the exit status is
# non-zero if M > 0 or if nothing ran.

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: tests/run.sh BUILD_DIR [PATTERN]" >&2
	exit 2
fi
if [ ! -d "$1" ]; then
	echo "tests/run.sh: no build directory $1" >&2
	exit 2
fi
BUILD=$(CDPATH='' cd -- "$1" && pwd -P)
PATTERN=${2:-}
TESTS=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd -P)
TOP=$(dirname -- "$TESTS")
RUN_TIMEOUT=${RUN_TIMEOUT:-900}
LC_ALL=C
export LC_ALL

LOGS=$(mktemp -d "${TMPDIR:-/tmp}/coffer-tests.XXXXXX") || exit 2
npass=0
nfail=0
nprog=0
failed_progs=

# selected NAME: whether NAME matches the pattern.
selected() {
	case $1 in
	*"$PATTERN"*) return 0 ;;
	*) return 1 ;;
	esac
}

# extra_fail NAME WHY: one failure not reported by the program itself.
extra_fail() {
	echo "FAIL $1: $2"
	nfail=$((nfail + 1))
}

# Programs run JOBS at a time (default 4: most of them wait on servers,
# disks and sleeps more than they compute), each into its own log; their
# results are reported in the order they were started.  A scenario with a
# line "# run.sh: alone" runs by itself once all before it are done (it
# stops a shared service, say).  running: "pid:kind/name" entries, oldest
# first.
JOBS=${JOBS:-4}
running=
nrunning=0

# start_prog KIND NAME COMMAND...: start one program in the background.
start_prog() {
	kind=$1
	name=$2
	shift 2
	log=$LOGS/$kind-$name.log
	nprog=$((nprog + 1))
	(
		start=$(date +%s)
		timeout -k 30 "$RUN_TIMEOUT" "$@" > "$log" 2>&1 < /dev/null
		rc=$?
		echo "$rc $(($(date +%s) - start))" > "$log.rc"
	) &
	running="$running $!:$kind/$name"
	nrunning=$((nrunning + 1))
	while [ "$nrunning" -ge "$JOBS" ]; do
		wait_oldest
	done
}

# wait_oldest: wait for the oldest running program and report it.
wait_oldest() {
	# shellcheck disable=SC2086
	set -- $running
	[ $# -gt 0 ] || return 0
	wait "${1%%:*}"
	entry=${1#*:}
	shift
	running="$*"
	nrunning=$((nrunning - 1))
	report_prog "${entry%%/*}" "${entry#*/}"
}

# drain: wait for (and report) every running program.
drain() {
	while [ "$nrunning" -gt 0 ]; do
		wait_oldest
	done
}

# report_prog KIND NAME: count and print one finished program's results.
# It sets the globals kind, name, log, p, f, rc, secs and extra.
report_prog() {
	kind=$1
	name=$2
	log=$LOGS/$kind-$name.log
	read -r rc secs < "$log.rc" || { rc=125; secs=0; }
	p=$(grep -c '^PASS ' "$log")
	f=$(grep -c '^FAIL ' "$log")
	npass=$((npass + p))
	nfail=$((nfail + f))
	extra=
	if [ "$rc" -eq 124 ]; then
		extra="timed out after ${RUN_TIMEOUT}s"
	elif [ "$rc" -gt 128 ]; then
		extra="killed by signal $((rc - 128))"
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		extra="exited with status $rc and no FAIL line"
	elif [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ] &&
	    ! grep -q "^SKIP " "$log"; then
		if [ "$kind" = fuzz ]; then
			# A replayer reports by its exit status alone.
			npass=$((npass + 1))
			p=1
		else
			extra="ran no check"
		fi
	fi
	if [ -z "$extra" ] && [ "$f" -eq 0 ]; then
		printf 'ok     %-31s %4d passed  %4ds\n' "$kind/$name" "$p" "$secs"
		return
	fi
	printf 'FAILED %-31s %4d passed, %d failed  %4ds (exit %d)\n' \
	    "$kind/$name" "$p" "$f" "$secs" "$rc"
	grep '^FAIL ' "$log" | sed 's/^/      /'
	if [ -n "$extra" ]; then
		extra_fail "$kind/$name" "$extra"
	fi
	echo "      --- last 40 lines of $log ---"
	tail -n 40 "$log" | sed 's/^/      | /'
	failed_progs="$failed_progs $kind/$name"
}

# 1. Unit tests.
for t in "$BUILD"/tests/*; do
	if [ ! -f "$t" ] || [ ! -x "$t" ]; then
		continue
	fi
	name=$(basename -- "$t")
	selected "$name" || continue
	start_prog unit "$name" "$t"
done

# 2. Fuzz corpus replay.
for r in "$BUILD"/fuzz/*-replay; do
	if [ ! -f "$r" ] || [ ! -x "$r" ]; then
		continue
	fi
	name=$(basename -- "$r")
	selected "$name" || continue
	corpus=${name%-replay}
	corpus=$TOP/fuzz/corpus/${corpus#fuzz_}
	[ -d "$corpus" ] || continue
	start_prog fuzz "$name" "$r" "$corpus"
done

# 3. Scenarios.
for s in "$TESTS"/scenarios/*.sh; do
	[ -f "$s" ] || continue
	name=$(basename -- "$s" .sh)
	selected "$name" || continue
	if grep -q '^# run.sh: alone' "$s"; then
		drain
		# (reporting set $name to another program's)
		name=$(basename -- "$s" .sh)
		start_prog scenario "$name" env COFFER_BIN="$BUILD/coffer" \
		    TOOLS="$BUILD/tools" COFFER_KDF_PARAMS=test bash "$s"
		drain
		continue
	fi
	start_prog scenario "$name" env COFFER_BIN="$BUILD/coffer" \
	    TOOLS="$BUILD/tools" COFFER_KDF_PARAMS=test bash "$s"
done
drain

if [ "$nprog" -eq 0 ]; then
	echo "tests/run.sh: nothing ran (build $BUILD, pattern '$PATTERN')"
fi
if [ "$nfail" -eq 0 ] && [ "${KEEP:-0}" != 1 ]; then
	rm -rf -- "$LOGS"
elif [ "$nfail" -gt 0 ]; then
	echo "failed:$failed_progs (logs in $LOGS)"
fi
echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ] && [ "$nprog" -gt 0 ]
