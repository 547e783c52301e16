#!/bin/sh
#
# bench/tlog_sequence.sh [N]: cofferd's transparency log sequencing
# throughput, end to end: N audit rows (default 100000) are put in a fresh
# data directory's audit table (by SQLite, in one transaction), then
# `cofferd serve --log` starts and the time until its checkpoint covers
# them all is measured: entries per second, each pass writing its tiles
# and bundles (fsynced, renamed, directories fsynced) before committing
# its checkpoint.  Also: the disk used by the log.  Needs python3 and
# curl.  Not part of the test suite.
set -eu
N=${1:-100000}
BUILD=${BUILD:-build/release}
D=$(mktemp -d "${TMPDIR:-/tmp}/tlog-bench.XXXXXX")
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$D"' EXIT
PID=
COFFERD_TEST_FAST_HASH=1 COFFERD_PASSWORD=pw "$BUILD/cofferd" user add bench \
    --data "$D" > /dev/null
python3 - "$D/cofferd.db" "$N" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
t = int(time.time())
db.executemany("INSERT INTO audit (time, user, action, detail, actor) "
    "VALUES (?, 'bench', 'snapshot.add', ?, 'user:bench')",
    ((t, "repo=r id=%064x" % i) for i in range(int(sys.argv[2]))))
db.commit()
PY
ROWS=$((N + 1))
start=$(date +%s%N)
"$BUILD/cofferd" serve --data "$D" --listen 127.0.0.1:0 --log bench.example/log \
    > /dev/null 2> "$D/err" &
PID=$!
while ! grep -q '^cofferd listening on' "$D/err"; do sleep 0.01; done
PORT=$(sed -n 's/^cofferd listening on 127.0.0.1://p' "$D/err")
while :; do
	size=$(curl -s "http://127.0.0.1:$PORT/log/checkpoint" | sed -n 2p)
	[ "$size" = "$ROWS" ] && break
	sleep 0.02
done
end=$(date +%s%N)
ms=$(( (end - start) / 1000000 ))
echo "sequenced $ROWS entries in $ms ms (including start-up):" \
    "$(( ROWS * 1000 / (ms > 0 ? ms : 1) )) entries/s"
echo "log on disk: $(du -sh "$D/log" | cut -f1) ($(find "$D/log" -type f |
    wc -l) files)"
