#!/bin/sh
# bench/s3.sh: backup and restore throughput to Ceph's S3 gateway next to
# the local backend, and the S3 requests each costs per object.
#
#   sh bench/s3.sh [MIB]        (default 1024)
#
# Needs the cluster of scripts/ceph-up.sh (COFFER_CEPH_ENV, default
# /tmp/coffer-ceph/env) and a release build (build/release).  Data: MIB
# MiB in 4 files, each alternately 1 MiB of text and 1 MiB of random bytes
# (bench/datasets.sh's ds_mixed, fixed seeds; kept in BENCH_DIR, default
# /var/tmp/coffer-bench-s3, for the next run).  For each target in turn,
# with a new repository and a new cache:
#   local      a directory on this machine's disk
#   s3         s3:http://127.0.0.1:PORT/BUCKET/r (coffer to radosgw)
#   cofferd    rest:http://...@127.0.0.1:PORT/USER/REPO/, cofferd's own
#              disk store (DATA/repos)
#   cofferd-s3 the same, cofferd started with --storage s3:... (coffer to
#              cofferd to radosgw)
# it times (wall seconds, /usr/bin/time) the first backup and a full
# restore (into a new directory, compared with cmp afterwards), and counts
# the requests radosgw served during each (its log's "beast:" lines, by
# method) against the objects in the bucket (radosgw-admin bucket stats).
# Production key derivation; the page cache stays warm (the data are read
# once before the first backup).  Prints a Markdown table.
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
MIB=${1:-1024}
BENCH_DIR=${BENCH_DIR:-/var/tmp/coffer-bench-s3}
ENVF=${COFFER_CEPH_ENV:-/tmp/coffer-ceph/env}
BIN=$ROOT/build/release
[ -f "$ENVF" ] || { echo "no $ENVF: run scripts/ceph-up.sh" >&2; exit 1; }
. "$ENVF"
. "$ROOT/bench/datasets.sh"
RGWLOG=$COFFER_CEPH_DIR/log/client.rgw.a.log
export COFFER_PASSWORD=bench-s3-passphrase
unset COFFER_KDF_PARAMS

DATA=$BENCH_DIR/data-$MIB
WORK=$BENCH_DIR/work
mkdir -p "$BENCH_DIR"
if [ ! -f "$DATA/.done" ]; then
	rm -rf "$DATA"
	mkdir -p "$DATA"
	echo "generating $MIB MiB in $DATA"
	for i in 1 2 3 4; do
		ds_mixed "$DATA/f$i" $((MIB / 4)) $((70 + i)) || exit 1
	done
	touch "$DATA/.done"
fi
cat "$DATA"/f* > /dev/null
SPID=
cleanup() {
	[ -n "$SPID" ] && kill "$SPID" 2> /dev/null && wait "$SPID"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# reqs: "beast:" lines of radosgw's log so far.
reqs() {
	grep -c 'beast: ' "$RGWLOG"
}

# window A B: radosgw's request lines A+1 .. B (as counted by reqs).
window() {
	grep 'beast: ' "$RGWLOG" | sed -n "$(($1 + 1)),$2p"
}

# count PATTERN: lines of standard input matching PATTERN.
count() {
	grep -c -e "$1"
}

# objects BUCKET: the objects in BUCKET.
objects() {
	radosgw-admin -c "$COFFER_CEPH_CONF" -n client.admin bucket stats \
	    --bucket="$1" 2> /dev/null | jq '.usage["rgw.main"].num_objects'
}

# cpu PID...: user + system CPU seconds the processes have used so far.
cpu() {
	for _p in "$@"; do
		[ -r "/proc/$_p/stat" ] && sed 's/^.*) //' "/proc/$_p/stat"
	done | awk -v hz="$(getconf CLK_TCK)" '{ t += $12 + $13 }
	    END { printf "%.2f\n", t / hz }'
}

# servers: the pids of radosgw, the OSD and the monitor, and cofferd's.
servers() {
	cat "$COFFER_CEPH_DIR"/run/*.pid 2> /dev/null
	[ -n "$SPID" ] && echo "$SPID"
}

# timed OUT CMD...: run CMD, append its wall seconds and peak RSS to OUT.
timed() {
	_o=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$WORK/time" "$@" > "$WORK/log" 2>&1 ||
	    { echo "failed: $*" >&2; tail -n 5 "$WORK/log" >&2; return 1; }
	cat "$WORK/time" >> "$_o"
}

# start_cofferd [ARGS]: cofferd on a free port, one user; sets REPO.
start_cofferd() {
	COFFERD_PASSWORD=pw "$BIN/cofferd" user add u --data "$WORK/srv" \
	    > /dev/null || return 1
	"$BIN/cofferd" serve --data "$WORK/srv" --listen 127.0.0.1:0 \
	    --access-log off "$@" 2> "$WORK/srv.log" &
	SPID=$!
	while ! grep -q 'listening on' "$WORK/srv.log"; do
		kill -0 "$SPID" 2> /dev/null || return 1
		sleep 0.1
	done
	port=$(sed -n 's/^cofferd listening on .*:\([0-9]*\)$/\1/p' \
	    "$WORK/srv.log")
	REPO=rest:http://u:pw@127.0.0.1:$port/u/r/
}

printf '| target | backup s | backup MB/s | backup CPU s: coffer, servers | backup RSS MiB | restore s | restore MB/s | restore CPU s: coffer, servers | S3 objects | backup: PUT | GET | HEAD | LIST | requests/object | restore: object GETs/object |\n'
printf '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n'
bytes=$((MIB * 1048576))
for target in local s3 cofferd cofferd-s3; do
	rm -rf "$WORK"
	mkdir -p "$WORK"
	export XDG_CACHE_HOME=$WORK/cache
	bucket=bench-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	SPID=
	case $target in
	local) REPO=$WORK/repo ;;
	s3) REPO=s3:$COFFER_S3_ENDPOINT/$bucket/r ;;
	cofferd) start_cofferd || exit 1 ;;
	cofferd-s3) start_cofferd --storage \
	    "s3:$COFFER_S3_ENDPOINT/$bucket/srv" || exit 1 ;;
	esac
	"$BIN/coffer" -r "$REPO" init > /dev/null || exit 1
	sync
	r0=$(reqs)
	c0=$(cpu $(servers))
	timed "$WORK/t.backup" "$BIN/coffer" -r "$REPO" backup "$DATA" ||
	    exit 1
	r1=$(reqs)
	c1=$(cpu $(servers))
	sync
	timed "$WORK/t.restore" "$BIN/coffer" -r "$REPO" restore latest \
	    --target "$WORK/out" || exit 1
	r2=$(reqs)
	c2=$(cpu $(servers))
	for i in 1 2 3 4; do
		cmp "$DATA/f$i" "$WORK/out$DATA/f$i" ||
		    { echo "restore differs" >&2; exit 1; }
	done
	read -r bs brss bu bsy < "$WORK/t.backup"
	read -r rs _ ru rsy < "$WORK/t.restore"
	case $target in
	local | cofferd) nobj=- put=- get=- head=- list=- rpo=- gpo=- ;;
	*)
		nobj=$(objects "$bucket")
		window "$r0" "$r1" > "$WORK/w.backup"
		window "$r1" "$r2" > "$WORK/w.restore"
		put=$(count '"PUT ' < "$WORK/w.backup")
		head=$(count '"HEAD ' < "$WORK/w.backup")
		list=$(count '"GET /[^ /]*?list' < "$WORK/w.backup")
		get=$(($(count '"GET ' < "$WORK/w.backup") - list))
		rpo=$(echo "$(wc -l < "$WORK/w.backup") $nobj" |
		    awk '{ printf "%.2f", $1 / $2 }')
		rget=$(count '"GET /[^ ?]*/' < "$WORK/w.restore")
		gpo=$(echo "$rget $nobj" | awk '{ printf "%.2f", $1 / $2 }')
		;;
	esac
	printf '| %s | %.1f | %.0f | %.1f, %.1f | %d | %.1f | %.0f | %.1f, %.1f | %s | %s | %s | %s | %s | %s | %s |\n' \
	    "$target" "$bs" "$(echo "$bytes $bs" | awk '{ print $1 / $2 / 1e6 }')" \
	    "$(echo "$bu $bsy" | awk '{ print $1 + $2 }')" \
	    "$(echo "$c1 $c0" | awk '{ print $1 - $2 }')" \
	    $((brss / 1024)) "$rs" \
	    "$(echo "$bytes $rs" | awk '{ print $1 / $2 / 1e6 }')" \
	    "$(echo "$ru $rsy" | awk '{ print $1 + $2 }')" \
	    "$(echo "$c2 $c1" | awk '{ print $1 - $2 }')" \
	    "$nobj" "$put" "$get" "$head" "$list" "$rpo" "$gpo"
	if [ -n "$SPID" ]; then
		kill "$SPID"
		wait "$SPID"
		SPID=
	fi
	case $target in
	s3 | cofferd-s3) radosgw-admin -c "$COFFER_CEPH_CONF" -n \
	    client.admin bucket rm --bucket="$bucket" --purge-objects \
	    > /dev/null 2>&1 ;;
	esac
done
