#!/usr/bin/env bash
#
# bench/server_load.sh [BUILD_DIR [RUNS [SECS [CLIENTS]]]]: cofferd under
# load, side by side with nginx (WebDAV PUT) storing the same layout.
#
# For each object size (64 KiB, 4 MiB) and each server, RUNS times
# (default 3): start the server on 127.0.0.1 with a fresh data directory
# under $TMPDIR, run BUILD_DIR/bench/server_load with CLIENTS clients
# (default 64) for SECS seconds (default 20) while sampling the server's
# RSS every 0.2 s (VmRSS in /proc/PID/status; for nginx the sum over its
# master and workers), read its peak RSS since it started (VmHWM), stop
# it and delete its data.  Then print a Markdown table of the medians
# over the runs (each column's median on its own).  cofferd's peak
# includes the 64 MiB of the one Argon2id check of the bench account's
# password (made by a first request before the load; cached afterwards),
# which is freed before the load starts: "RSS under load" is the largest
# sample taken during the load.
#
#   cofferd: `cofferd serve` as shipped (access log on, to a file; fsync
#     of every object and its directory; SHA-256 of every upload checked
#     against its name; Basic auth, cached after the first request).
#   nginx: dav_methods PUT DELETE, create_full_put_path, autoindex (JSON)
#     for the listings, access log to a file, no auth, no hash check, no
#     fsync; as many workers as cores.
#
# Needs nginx (Debian: apt-get install nginx; only the binary is used, with
# a config file of its own); without it only cofferd is measured.  The
# load generator and both servers share the machine's cores.

set -u
export LC_ALL=C

BUILD=${1:-build/release}
RUNS=${2:-3}
SECS=${3:-20}
CLIENTS=${4:-64}
SIZES="65536 4194304"
COFFERD=$BUILD/cofferd
LOAD=$BUILD/bench/server_load
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

for f in "$COFFERD" "$LOAD"; do
	if [ ! -x "$f" ]; then
		echo "server_load.sh: $f is missing (run make)" >&2
		exit 1
	fi
done
W=$(mktemp -d "${TMPDIR:-/tmp}/server_load.XXXXXX") || exit 1
SRV_PID=
cleanup() {
	if [ -n "$SRV_PID" ]; then
		kill -9 "$SRV_PID" 2> /dev/null
		wait "$SRV_PID" 2> /dev/null
	fi
	rm -rf -- "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# status_kib FIELD PID...: the sum of a /proc/PID/status field (VmHWM,
# VmRSS) over the processes, in KiB.
status_kib() {
	local f=$1 p s=0 v
	shift
	for p in "$@"; do
		v=$(awk -v f="$f:" '$1 == f { print $2 }' "/proc/$p/status" \
		    2> /dev/null)
		s=$((s + ${v:-0}))
	done
	echo "$s"
}
hwm_kib() {
	status_kib VmHWM "$@"
}

# sample_rss FILE PID: every 0.2 s while it runs, write the largest VmRSS
# seen so far of PID and its children to FILE (in KiB).
sample_rss() {
	local max=0 v
	while kill -0 "$2" 2> /dev/null; do
		# shellcheck disable=SC2046  # one argument per child
		v=$(status_kib VmRSS "$2" $(pgrep -P "$2"))
		if [ "$v" -gt "$max" ]; then
			max=$v
			echo "$max" > "$1"
		fi
		sleep 0.2
	done
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on (now).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<> "/dev/tcp/127.0.0.1/$p") 2> /dev/null; then
			echo "$p"
			return
		fi
	done
}

# wait_for FILE TEXT: until FILE holds TEXT (at most 30 s).
wait_for() {
	local _
	for _ in $(seq 1 600); do
		grep -q -- "$2" "$1" 2> /dev/null && return 0
		sleep 0.05
	done
	echo "server_load.sh: timed out waiting for '$2' in $1" >&2
	return 1
}

# run_load NAME SIZE RUN ARGS...: one run of the load generator, with the
# server's RSS sampled meanwhile; sets RES to "rps mbps up_p50 up_p99
# up_max list_p99 errors rss_kib".
run_load() {
	local name=$1 size=$2 run=$3 out res sampler
	shift 3
	out=$W/load-$name-$size-$run.out
	echo 0 > "$W/rss"
	sample_rss "$W/rss" "$SRV_PID" &
	sampler=$!
	"$LOAD" --clients "$CLIENTS" --size "$size" --duration "$SECS" \
	    "$@" > "$out" 2>&1
	kill "$sampler" 2> /dev/null
	wait "$sampler" 2> /dev/null
	sed 's/^/    /' "$out" | grep -v '^    result' >&2
	res=$(grep '^result ' "$out")
	if [ -z "$res" ]; then
		echo "server_load.sh: $name run failed" >&2
		return 1
	fi
	RES=$(printf '%s\n' "$res" | tr ' ' '\n' | awk -F= -v rss="$(cat \
	    "$W/rss")" '
		$1 == "rps" { r = $2 } $1 == "mbps" { m = $2 }
		$1 == "up_p50_ms" { a = $2 } $1 == "up_p99_ms" { b = $2 }
		$1 == "up_max_ms" { c = $2 } $1 == "list_p99_ms" { d = $2 }
		$1 == "lists" { l = $2 }
		$1 == "errors" { e = $2 }
		END { print r, m, a, b, c, (l > 0 ? d : "-"), e, rss }')
}

# cofferd_run SIZE RUN
cofferd_run() {
	local d=$W/cofferd-data log=$W/cofferd-$1-$2.log
	rm -rf -- "$d" "$log"
	COFFERD_PASSWORD=bench-password "$COFFERD" user add bench --data "$d" \
	    > /dev/null || return 1
	"$COFFERD" serve --data "$d" --listen 127.0.0.1:0 < /dev/null \
	    2> "$log" &
	SRV_PID=$!
	wait_for "$log" "cofferd listening on " || return 1
	port=$(sed -n 's/^cofferd listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' \
	    "$log")
	echo "  cofferd, $1-byte objects, run $2 (pid $SRV_PID)" >&2
	# The one Argon2id check (64 MiB, then freed) before RSS sampling.
	curl -sf -o /dev/null -u bench:bench-password -X POST \
	    "http://127.0.0.1:$port/bench/repo/?create=true" || return 1
	run_load cofferd "$1" "$2" --auth bench:bench-password \
	    --url "http://127.0.0.1:$port/bench/repo/"
	local rc=$?
	[ "$rc" -eq 0 ] && echo "cofferd $1 $RES $(hwm_kib "$SRV_PID")" \
	    >> "$W/results"
	kill -TERM "$SRV_PID"
	wait "$SRV_PID"
	SRV_PID=
	rm -rf -- "$d"
	return "$rc"
}

# nginx_run SIZE RUN
nginx_run() {
	local d=$W/nginx port user=
	rm -rf -- "$d"
	mkdir -p "$d/root" "$d/tmp" "$d/logs"
	port=$(free_port)
	[ "$(id -u)" -eq 0 ] && user="user root root;"
	cat > "$d/nginx.conf" <<-EOF
	$user
	worker_processes auto;
	daemon off;
	pid $d/nginx.pid;
	error_log $d/logs/error.log;
	events { worker_connections 4096; }
	http {
	    access_log $d/logs/access.log;
	    client_body_temp_path $d/tmp;
	    proxy_temp_path $d/tmp;
	    fastcgi_temp_path $d/tmp;
	    uwsgi_temp_path $d/tmp;
	    scgi_temp_path $d/tmp;
	    client_max_body_size 256m;
	    keepalive_requests 1000000;
	    server {
	        listen 127.0.0.1:$port;
	        root $d/root;
	        location / {
	            dav_methods PUT DELETE;
	            create_full_put_path on;
	            dav_access user:rw;
	            autoindex on;
	            autoindex_format json;
	        }
	    }
	}
	EOF
	"$NGINX" -p "$d" -c "$d/nginx.conf" < /dev/null > "$d/logs/out" 2>&1 &
	SRV_PID=$!
	wait_for "$d/nginx.pid" '[0-9]' || return 1
	sleep 0.2
	echo "  nginx, $1-byte objects, run $2 (master $SRV_PID)" >&2
	run_load nginx "$1" "$2" --dav \
	    --url "http://127.0.0.1:$port/bench/repo/"
	local rc=$?
	# shellcheck disable=SC2046  # one argument per worker
	[ "$rc" -eq 0 ] && echo "nginx $1 $RES $(hwm_kib "$SRV_PID" \
	    $(pgrep -P "$SRV_PID"))" >> "$W/results"
	kill -TERM "$SRV_PID"
	wait "$SRV_PID"
	SRV_PID=
	rm -rf -- "$d"
	return "$rc"
}

: > "$W/results"
servers=cofferd
if [ -x "$NGINX" ]; then
	servers="cofferd nginx"
else
	echo "server_load.sh: no nginx; measuring cofferd only" >&2
fi
for size in $SIZES; do
	for run in $(seq 1 "$RUNS"); do
		for s in $servers; do
			"${s}_run" "$size" "$run" || exit 1
		done
	done
done

# median COLUMN NAME SIZE: the median of one column over the runs.
median() {
	awk -v n="$2" -v s="$3" '$1 == n && $2 == s' "$W/results" |
	    cut -d' ' -f"$1" | grep -v '^-$' | sort -g | awk '{ v[NR] = $1 }
	    END { print NR ? v[int((NR + 1) / 2)] : "-" }'
}

echo
echo "$(nproc) cores, $(uname -sr), $CLIENTS clients, $SECS s per run," \
    "median of $RUNS runs"
echo
echo "| server | object size | req/s | MB/s | upload p50 ms | upload p99 ms" \
    "| upload max ms | list p99 ms | errors | RSS under load MiB" \
    "| peak RSS MiB |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
row='| %s | %s KiB | %s | %s | %s | %s | %s | %s | %s | %.1f | %.1f |\n'
for size in $SIZES; do
	for s in $servers; do
		# shellcheck disable=SC2059  # the format is $row
		printf "$row" \
		    "$s" $((size / 1024)) "$(median 3 "$s" "$size")" \
		    "$(median 4 "$s" "$size")" "$(median 5 "$s" "$size")" \
		    "$(median 6 "$s" "$size")" "$(median 7 "$s" "$size")" \
		    "$(median 8 "$s" "$size")" "$(median 9 "$s" "$size")" \
		    "$(median 10 "$s" "$size" | awk '{ print $1 / 1024 }')" \
		    "$(median 11 "$s" "$size" | awk '{ print $1 / 1024 }')"
	done
done
