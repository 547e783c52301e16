# shellcheck shell=bash
#
# tests/srvlib.sh: sourced (by bash) at the top of the cofferd scenarios
# (tests/scenarios/2?-cofferd-*.sh) instead of lib.sh, which it sources.
#
# Environment in, on top of lib.sh's:
#   COFFERD_BIN          the server binary (next to COFFER_BIN: cofferd)
#   SRV_START_TIMEOUT    seconds to wait for the ready line (60)
#   SRV_STOP_TIMEOUT     seconds to wait for a SIGTERM exit (60)
#
# When COFFERD_BIN is not an executable, the scenario prints the single
# line "PASS <scenario>-skipped-no-cofferd" and exits 0.
#
# The server runs in the background on 127.0.0.1 with its data directory
# $SRV_DATA (in $T) and its standard error (the ready line, then one JSON
# access-log line per request) in $SRV_LOG, a new file per start.  It is
# killed (SIGKILL) when the scenario exits, whatever happens; a scenario
# that defines scenario_cleanup must call srv_cleanup from it.
# COFFERD_TEST_FAST_HASH=1 makes the accounts' Argon2id cheap.
#
# Set by srv_start: SRV_PID, SRV_PORT, SRV_URL (http://127.0.0.1:PORT, or
# https:// when SRV_SCHEME=https), SRV_LOG.

. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

: "${COFFERD_BIN:=$(dirname -- "$COFFER_BIN")/cofferd}"
: "${SRV_START_TIMEOUT:=60}"
: "${SRV_STOP_TIMEOUT:=60}"
export COFFERD_TEST_FAST_HASH=1
SRV_DATA=$T/srv
SRV_PID=
SRV_PORT=
SRV_URL=
SRV_LOG=$T/cofferd-0.log
SRV_STARTS=0
SRV_SCHEME=${SRV_SCHEME:-http}

if [ ! -x "$COFFERD_BIN" ]; then
	pass "$SCENARIO-skipped-no-cofferd"
	summary
fi
if ! command -v curl > /dev/null 2>&1; then
	fail "$SCENARIO-setup" "missing tool: curl"
	summary
fi

# srv_cleanup: kill the server if it still runs, and every server saved
# in a slot (srv_slot_save).  Called on exit.
srv_cleanup() {
	local p
	for p in "$SRV_PID" "${SRVS_PID[@]}"; do
		if [ -n "$p" ] && kill -0 "$p" 2> /dev/null; then
			kill -9 "$p" 2> /dev/null
			wait "$p" 2> /dev/null
		fi
	done
	SRV_PID=
}
scenario_cleanup() {
	srv_cleanup
}

# now_ms: milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

# srv_log_sanitizer NAME: one failed check if the server's log holds a
# sanitizer report (nothing is printed otherwise, as for run_cmd).
srv_log_sanitizer() {
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' \
	    -- "$SRV_LOG" 2> /dev/null; then
		grep -E -A 12 'AddressSanitizer|LeakSanitizer|runtime error:' \
		    -- "$SRV_LOG" | head -n 40 | sed 's/^/#   cofferd: /'
		fail "$1-sanitizer" "sanitizer report in $SRV_LOG"
	fi
}

# srv_start NAME [PORT [ARGS...]]: start `cofferd serve` on 127.0.0.1:PORT
# (0, the default: a free port the kernel picks) with the data directory
# $SRV_DATA and ARGS, and wait for its ready line "cofferd listening on
# 127.0.0.1:N".  One check, NAME.  Returns 1 (the server killed) if the
# server exits or is not ready within SRV_START_TIMEOUT seconds.
srv_start() {
	local name=$1 port=${2:-0} line start
	shift
	[ $# -gt 0 ] && shift
	SRV_STARTS=$((SRV_STARTS + 1))
	SRV_LOG=$T/cofferd-$SRV_STARTS.log
	: > "$SRV_LOG"	# before the server writes it: the wait below greps it
	printf '# $ cofferd serve --data %s --listen 127.0.0.1:%s %s\n' \
	    "$SRV_DATA" "$port" "$*"
	"$COFFERD_BIN" serve --data "$SRV_DATA" --listen "127.0.0.1:$port" \
	    "$@" < /dev/null > "$T/cofferd-$SRV_STARTS.out" 2> "$SRV_LOG" &
	SRV_PID=$!
	start=$(now_ms)
	while :; do
		line=$(grep -m 1 '^cofferd listening on ' -- "$SRV_LOG")
		if [ -n "$line" ]; then
			break
		fi
		if ! kill -0 "$SRV_PID" 2> /dev/null; then
			wait "$SRV_PID"
			fail "$name" "cofferd exited ($?) before it was" \
			    "ready: $(head -c 2000 -- "$SRV_LOG")"
			SRV_PID=
			return 1
		fi
		if [ $(($(now_ms) - start)) -gt $((SRV_START_TIMEOUT * 1000)) ]
		then
			srv_cleanup
			fail "$name" "not ready after ${SRV_START_TIMEOUT}s: $(
			    head -c 2000 -- "$SRV_LOG")"
			return 1
		fi
		sleep 0.05
	done
	SRV_PORT=${line##*:}
	if [[ ! $SRV_PORT =~ ^[0-9]+$ ]] || [ "$SRV_PORT" -eq 0 ] ||
	    { [ "$port" -ne 0 ] && [ "$SRV_PORT" -ne "$port" ]; }; then
		fail "$name" "bad ready line: $line"
		srv_cleanup
		return 1
	fi
	SRV_URL=$SRV_SCHEME://127.0.0.1:$SRV_PORT
	echo "# cofferd pid $SRV_PID ready on port $SRV_PORT after" \
	    "$(($(now_ms) - start)) ms"
	pass "$name"
}

# srv_stop NAME: SIGTERM; the server must exit 0 within SRV_STOP_TIMEOUT
# seconds having said "stopped", and without a sanitizer report.
srv_stop() {
	local name=$1 start rc
	if [ -z "$SRV_PID" ]; then
		fail "$name" "no server running"
		return 1
	fi
	kill -TERM "$SRV_PID" 2> /dev/null
	start=$(now_ms)
	while kill -0 "$SRV_PID" 2> /dev/null; do
		if [ $(($(now_ms) - start)) -gt $((SRV_STOP_TIMEOUT * 1000)) ]
		then
			srv_cleanup
			fail "$name" \
			    "still running ${SRV_STOP_TIMEOUT}s after SIGTERM"
			return 1
		fi
		sleep 0.05
	done
	wait "$SRV_PID"
	rc=$?
	SRV_PID=
	srv_log_sanitizer "$name"
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc after SIGTERM: $(tail -n 5 -- \
		    "$SRV_LOG")"
	elif [ "$(tail -n 1 -- "$SRV_LOG")" != "cofferd: stopped" ]; then
		fail "$name" "last log line is not 'cofferd: stopped': $(
		    tail -n 3 -- "$SRV_LOG")"
	else
		pass "$name"
	fi
}

# srv_kill9: SIGKILL the server and reap it (no check).
srv_kill9() {
	if [ -n "$SRV_PID" ]; then
		kill -9 "$SRV_PID" 2> /dev/null
		wait "$SRV_PID" 2> /dev/null
	fi
	SRV_PID=
}

# ------------------------------------------------------------------------
# Several servers at once (e.g. the recovery realms of 30-recovery.sh).
# Each lives in a slot I (a small integer) that remembers its SRV_DATA,
# SRV_PID, SRV_PORT, SRV_URL and SRV_LOG: srv_slot_save I stores the
# current server's variables there, srv_slot_load I makes slot I's the
# current ones (so srv_start, srv_stop, srv_kill9, srv_admin... act on
# it).  srv_cleanup kills the servers of every slot too.
SRVS_DATA=()
SRVS_PID=()
SRVS_PORT=()
SRVS_URL=()
SRVS_LOG=()

# srv_slot_save I: store the current server's variables in slot I.
srv_slot_save() {
	SRVS_DATA[$1]=$SRV_DATA
	SRVS_PID[$1]=$SRV_PID
	SRVS_PORT[$1]=$SRV_PORT
	SRVS_URL[$1]=$SRV_URL
	SRVS_LOG[$1]=$SRV_LOG
}

# srv_slot_load I: make slot I's server the current one.
srv_slot_load() {
	SRV_DATA=${SRVS_DATA[$1]}
	SRV_PID=${SRVS_PID[$1]}
	SRV_PORT=${SRVS_PORT[$1]}
	SRV_URL=${SRVS_URL[$1]}
	SRV_LOG=${SRVS_LOG[$1]}
}

# ------------------------------------------------------------------------
# Admin commands (cofferd user/token ... --data $SRV_DATA)

# srv_admin NAME ARGS...: run `cofferd ARGS... --data $SRV_DATA`; one
# check that it exits 0.  OUT, ERR, RC as for run_cmd.
srv_admin() {
	local name=$1
	shift
	run_cmd "$COFFERD_BIN" "$@" --data "$SRV_DATA"
	expect_rc "$name" 0
}

# srv_user_add NAME USER PASSWORD: add an account.
srv_user_add() {
	COFFERD_PASSWORD=$3 srv_admin "$1" user add "$2"
	expect_out_line "$1-message" "added user $2"
}

# srv_token_add NAME USER PERM: issue a token; TOKEN is set to it.
srv_token_add() {
	TOKEN=
	srv_admin "$1" token add "$2" --perm "$3"
	if [[ $OUT =~ ^cft_[A-Za-z0-9_-]{43}$ ]]; then
		# shellcheck disable=SC2034  # used by the scenarios
		TOKEN=$OUT
		pass "$1-format"
	else
		fail "$1-format" "token add printed '$OUT'"
	fi
}

# srv_quota NAME USER BYTES: set an account's quota.
srv_quota() {
	srv_admin "$1" user quota "$2" "$3"
	expect_out_line "$1-message" "quota of $2: $3 bytes"
}

# srv_used USER: the bytes the server counts against USER's quota.
srv_used() {
	"$COFFERD_BIN" user list --json --data "$SRV_DATA" 2> /dev/null |
	    jq -r --arg u "$1" '.[] | select(.name == $u) | .used'
}

# srv_stored USER: the bytes of USER's objects on disk.
srv_stored() {
	find "$SRV_DATA/repos/$1" -type f -printf '%s\n' 2> /dev/null |
	    awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# expect_usage NAME USER: the server's count of USER's bytes is what is
# on disk (nothing reserved and forgotten, nothing counted twice).
expect_usage() {
	expect_eq "$1" "$(srv_used "$2")" "$(srv_stored "$2")"
}

# srv_repo_dir USER REPO: where the server keeps a repository.
srv_repo_dir() {
	printf '%s/repos/%s/%s' "$SRV_DATA" "$1" "$2"
}

# srv_repo_url USER SECRET REPO: a client's repository location (SECRET
# is put in as it is: it must need no percent-encoding).
srv_repo_url() {
	printf 'rest:%s://%s:%s@127.0.0.1:%s/%s/%s/' "$SRV_SCHEME" "$1" "$2" \
	    "$SRV_PORT" "$1" "$3"
}

# srv_state: tree_state (see lib.sh) of every repository on the server:
# names, types, modes, sizes, mtimes and SHA-256 of every file.
srv_state() {
	if [ -d "$SRV_DATA/repos" ]; then
		tree_state "$SRV_DATA/repos"
	fi
}

# expect_srv_unchanged NAME BEFORE: srv_state is still BEFORE.
expect_srv_unchanged() {
	local now
	now=$(srv_state)
	if [ "$now" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "changed: $(diff <(printf '%s\n' "$2") \
		    <(printf '%s\n' "$now") | grep '^[<>]' | head -n 6)"
	fi
}

# srv_bad_objects: every object file of the server (all but config)
# whose SHA-256 is not its name, or whose name is not 64 lower-case hex
# (so also any temporary or partial file left behind).
srv_bad_objects() {
	local f n
	[ -d "$SRV_DATA/repos" ] || return 0
	find "$SRV_DATA/repos" -type f ! -name config -print0 |
	    while IFS= read -r -d '' f; do
		n=${f##*/}
		if [[ ! $n =~ ^[0-9a-f]{64}$ ]] ||
		    [ "$(sha256sum < "$f" | cut -c1-64)" != "$n" ]; then
			printf '%s\n' "${f#"$SRV_DATA/repos/"}"
		fi
	done
}

# ------------------------------------------------------------------------
# HTTP with curl

# http_req METHOD PATH [CURL-ARGS...]: one request to the server, the path
# sent as it is (no normalisation).  Sets HTTP_CODE (000 when there was no
# answer), HTTP_BODY (text) and CURL_RC; the headers are in $HTTP_HDRS.
HTTP_HDRS=$T/http.hdr
HTTP_BODY_FILE=$T/http.body
http_req() {
	local method=$1 path=$2 body=$HTTP_BODY_FILE
	local -a m=()
	shift 2
	case $method in
	GET) ;;
	HEAD)
		# --head would write the headers as the body.
		m=(--head)
		body=/dev/null
		;;
	*) m=(-X "$method") ;;
	esac
	printf '# curl %s %s\n' "$method" "$(oneline "$path")"
	: > "$HTTP_HDRS"
	: > "$HTTP_BODY_FILE"
	HTTP_CODE=$(curl -sS --path-as-is --max-time 60 -H 'Expect:' \
	    "${CURL_TLS_ARGS[@]}" \
	    "${m[@]}" -o "$body" -D "$HTTP_HDRS" \
	    -w '%{http_code}' "$@" "$SRV_URL$path" 2> "$T/curl.err")
	CURL_RC=$?
	HTTP_BODY=$(cat -- "$HTTP_BODY_FILE")
}

# expect_http NAME CODE [BODY]: the last answer had status CODE (and,
# when given, exactly the body text BODY, newline excepted).
expect_http() {
	if [ "$HTTP_CODE" != "$2" ]; then
		fail "$1" "HTTP $HTTP_CODE, expected $2 (curl $CURL_RC: $(
		    cat -- "$T/curl.err")); body: $HTTP_BODY"
	elif [ $# -ge 3 ] && [ "$HTTP_BODY" != "$3" ]; then
		fail "$1" "HTTP $2 with body '$HTTP_BODY', expected '$3'"
	else
		pass "$1"
	fi
}

# expect_header NAME LINE: the last answer had the header LINE (exact,
# name case-insensitive).
expect_header() {
	local name=${2%%:*} want=${2#*: } got
	got=$(tr -d '\r' < "$HTTP_HDRS" | grep -i "^$name: " | head -n 1 |
	    cut -d' ' -f2-)
	expect_eq "$1" "$got" "$want"
}

# expect_log NAME JQ-FILTER [JQ-ARGS...]: within 10 s, a JSON line of the
# server's log satisfies the jq boolean JQ-FILTER (e.g. '.status == 403
# and .error == $e' with JQ-ARGS --arg e TEXT), among the lines written
# since the last log_mark.
LOG_MARK=0
log_mark() {
	LOG_MARK=$(wc -l < "$SRV_LOG")
}
expect_log() {
	local name=$1 filter=$2 start
	shift 2
	start=$(now_ms)
	while :; do
		if tail -n +"$((LOG_MARK + 1))" -- "$SRV_LOG" | grep '^{' |
		    jq -e "$@" "select($filter)" > /dev/null 2>&1; then
			pass "$name"
			return 0
		fi
		if [ $(($(now_ms) - start)) -gt 10000 ]; then
			fail "$name" "no log line with $filter $* in: $(
			    tail -n +"$((LOG_MARK + 1))" -- "$SRV_LOG" |
			    tail -n 3)"
			return 1
		fi
		sleep 0.05
	done
}

# expect_refused NAME CODE WHY METHOD PATH [CURL-ARGS...]: the request is
# answered CODE with the body WHY (none for HEAD), the access log has its
# line (method, status, and WHY as the error), and the server's
# repositories are exactly as before (srv_state).  Three checks: NAME,
# NAME-logged, NAME-unchanged.
expect_refused() {
	local name=$1 code=$2 why=$3 method=$4 path=$5 before
	shift 5
	before=$(srv_state)
	log_mark
	http_req "$method" "$path" "$@"
	if [ "$method" = HEAD ]; then
		expect_http "$name" "$code" ""
	else
		expect_http "$name" "$code" "$why"
	fi
	# shellcheck disable=SC2016  # a jq program
	expect_log "$name-logged" \
	    '.method == $m and .status == ($c | tonumber) and .error == $e' \
	    --arg m "$method" --arg c "$code" --arg e "$why"
	expect_srv_unchanged "$name-unchanged" "$before"
}

# sha256 FILE: the hex SHA-256 of FILE.
sha256() {
	sha256sum < "$1" | cut -c1-64
}

# metric NAME{LABELS}: the value of one sample of GET /metrics (as an
# integer), or empty.
metric() {
	curl -s --max-time 30 "${CURL_TLS_ARGS[@]}" "$SRV_URL/metrics" |
	    awk -v k="$1" '$1 == k { printf "%.0f\n", $2 }'
}
CURL_TLS_ARGS=()

# ------------------------------------------------------------------------
# Raw HTTP over bash's /dev/tcp (no curl: malformed requests)

# raw_file FILE TEXT: FILE holds TEXT with printf %b escapes (\r\n)
# expanded; TEXT must hold no other backslash.
raw_file() {
	printf '%b' "$2" > "$1"
}

# raw_req FILE [SECS]: open a connection, send the bytes of FILE in one
# go, read until the server closes it (or SECS seconds, 10 by default).
# Sets RAW_STATUS (the status of the first response, empty if none),
# RAW_BODY (the first response's body), RAW_RC (124 if the server kept
# the connection open) and RAW_MS (how long the read took); the raw
# answer is in $RAW_RESP.
RAW_RESP=$T/raw.resp
raw_req() {
	local start
	printf '# raw request: %s\n' \
	    "$(oneline "$(head -c 200 -- "$1" | tr -d '\0')")"
	: > "$RAW_RESP"
	RAW_STATUS=
	RAW_BODY=
	RAW_RC=
	if ! exec 3<> "/dev/tcp/127.0.0.1/$SRV_PORT"; then
		RAW_RC=-1
		return 1
	fi
	start=$(now_ms)
	# A server that answers and closes early makes this write fail.
	cat -- "$1" >&3 2> /dev/null
	timeout "${2:-10}" cat <&3 > "$RAW_RESP" 2> /dev/null
	# shellcheck disable=SC2034  # used by the scenarios
	RAW_RC=$?
	# shellcheck disable=SC2034
	RAW_MS=$(($(now_ms) - start))
	exec 3<&-
	# shellcheck disable=SC2034
	RAW_STATUS=$(head -n 1 -- "$RAW_RESP" | tr -d '\r' |
	    awk '$1 ~ /^HTTP\/1\.[01]$/ { print $2 }')
	# shellcheck disable=SC2034
	RAW_BODY=$(tr -d '\r' < "$RAW_RESP" | sed '1,/^$/d')
}

# raw_send_close FILE: open a connection, send FILE, wait half a second
# (the server reads what it got) and close without reading anything.
raw_send_close() {
	printf '# raw send and close: %s\n' \
	    "$(oneline "$(head -c 200 -- "$1" | tr -d '\0')")"
	if ! exec 3<> "/dev/tcp/127.0.0.1/$SRV_PORT"; then
		return 1
	fi
	cat -- "$1" >&3 2> /dev/null
	sleep 0.5
	exec 3<&-
}
