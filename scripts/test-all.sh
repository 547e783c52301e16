#!/bin/sh
# Every test, as CI runs it: install dependencies, build with gcc (release
# and ASan+UBSan) and clang (release), run the whole suite on the gcc
# release build and again under the sanitizers, and print one total line
# "N passed, M failed".  Exit status non-zero on any failure.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
sh scripts/install-deps.sh || exit 2

jobs=$(nproc 2>/dev/null || echo 2)
make -s -j"$jobs" MODE=release all >/dev/null || { echo "build failed"; \
    echo "0 passed, 1 failed"; exit 1; }
make -s -j"$jobs" MODE=san all >/dev/null || { echo "san build failed"; \
    echo "0 passed, 1 failed"; exit 1; }
# clang must build it clean too (warnings are errors).
make -s -j"$jobs" MODE=release CC=clang BUILD_SUFFIX=-clang all \
    >/dev/null || { echo "clang build failed"; echo "0 passed, 1 failed"; \
    exit 1; }

total_pass=0
total_fail=0
# The S3 scenarios (tests/scenarios/8?-s3-*) run against a single-node
# Ceph cluster of this checkout's own, up for the tests and torn down
# after; COFFER_CEPH=off leaves it out (those scenarios then SKIP).
COFFER_CEPH_DIR=$top/build/ceph
COFFER_CEPH_ENV=$COFFER_CEPH_DIR/env
export COFFER_CEPH_DIR COFFER_CEPH_ENV
if [ "${COFFER_CEPH:-on}" != off ]; then
	trap 'sh scripts/ceph-down.sh' EXIT
	trap 'exit 130' INT TERM
	sh scripts/ceph-up.sh || { echo "FAIL ceph-up: no Ceph cluster for" \
	    "the S3 scenarios"; total_fail=1; }
fi
for b in build/release build/san; do
	echo "=== tests on $b"
	out=$(mktemp)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    sh tests/run.sh "$b" 2>&1 | tee "$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
	rm -f "$out"
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
	[ -n "$p" ] || { p=0; f=1; }
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
