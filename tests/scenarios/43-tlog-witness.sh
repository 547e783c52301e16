#!/usr/bin/env bash
#
# 43 tlog witness: `cofferd witness` (C2SP tlog-witness) and a cofferd
# log that submits its checkpoints to it (`--log-witness URL=VKEY`).
#   - the log serves its checkpoints cosigned (a second witness that
#     does not answer is reported once and does not hold it); a client
#     pinned with `--witness WVKEY --quorum 1` backs up and verifies;
#   - with the witness stopped the log goes on, its new checkpoints lack
#     the cosignature and the client refuses them in words; with the
#     witness back, they are cosigned again;
#   - a log rolled back and then forked (as in 41) is refused by the
#     witness: 409 (it knows a larger tree), 409 for another tree of the
#     size it cosigned, 422 for a larger tree that does not extend it;
#   - bad requests: wrong method or path, malformed bodies, an unknown
#     log, a wrong signature, a stale old size (409 text/x.tlog.size).

. "$(dirname -- "$0")/../srvlib.sh"
. "$TESTS_DIR/tloglib.sh"

ORIGIN=test.example/log43
WNAME=witness.example/w43
PW_A=alice-pw-43
SRC=$T/src
W_DATA=$T/witness
mkdir -p "$SRC"
echo "one" > "$SRC/a"
export COFFER_LOG_WAIT=10

# w_start NAME PORT: start the witness; W_PID, W_PORT, W_LOG.
W_STARTS=0
w_start() {
	local name=$1 port=$2 start line
	W_STARTS=$((W_STARTS + 1))
	W_LOG=$T/witness-$W_STARTS.log
	: > "$W_LOG"
	"$COFFERD_BIN" witness --data "$W_DATA" --listen "127.0.0.1:$port" \
	    --log "$VKEY" --name "$WNAME" < /dev/null 2> "$W_LOG" &
	W_PID=$!
	start=$(now_ms)
	until line=$(grep -m 1 '^cofferd witness listening on ' "$W_LOG"); do
		if ! kill -0 "$W_PID" 2> /dev/null ||
		    [ $(($(now_ms) - start)) -gt 10000 ]; then
			fail "$name" "witness not ready: $(head -c 1000 "$W_LOG")"
			summary
		fi
		sleep 0.05
	done
	W_PORT=${line##*:}
	pass "$name"
}

# w_stop NAME: SIGTERM; it must exit 0.
w_stop() {
	kill -TERM "$W_PID"
	wait "$W_PID"
	expect_eq "$1" "$?" 0
}

# w_wait_line TEXT: wait up to 10 s for a line with TEXT in the witness's
# log (checked by the caller).
w_wait_line() {
	local start
	start=$(now_ms)
	until grep -q -- "$1" "$W_LOG" || [ $(($(now_ms) - start)) -gt 10000 ]
	do
		sleep 0.1
	done
}

# cosigned: the served checkpoint carries the witness's line (0 or 1).
cosigned() {
	curl -s --max-time 10 "$SRV_URL/log/checkpoint" |
	    grep -c "^— $WNAME "
}

# wait_cosigned NAME WANT: within 15 s, cosigned gives WANT.
wait_cosigned() {
	local start got
	start=$(now_ms)
	while got=$(cosigned); [ "$got" != "$2" ]; do
		if [ $(($(now_ms) - start)) -gt 15000 ]; then
			fail "$1" "cosigned '$got', want $2: $(tail -n 3 "$SRV_LOG")"
			return 1
		fi
		sleep 0.1
	done
	pass "$1"
}

# wpost NAME STATUS WORDS: POST $T/body to the witness; the status and
# the answer's first line (unless WORDS is -).
wpost() {
	local code
	code=$(curl -s -o "$T/wresp" -w '%{http_code}' --max-time 10 \
	    --data-binary "@$T/body" "http://127.0.0.1:$W_PORT/add-checkpoint")
	expect_eq "$1" "$code" "$2"
	[ "$3" = - ] ||
	    expect_eq "$1-words" "$(head -n 1 "$T/wresp")" "$3"
}

# --- keys; witness and log started ------------------------------------------
srv_user_add user-alice alice "$PW_A"
srv_admin log-init log init "$ORIGIN"
VKEY=$OUT
run_cmd "$COFFERD_BIN" witness vkey --data "$W_DATA" --name "$WNAME"
expect_rc witness-vkey 0
WVKEY=$OUT
expect_eq witness-vkey-type "$(printf '%s' "$WVKEY" | cut -d+ -f1)" "$WNAME"
expect_eq witness-key-mode "$(stat -c %a "$W_DATA/witness/key")" 600
w_start witness-start 0
# A second witness that never answers (nothing listens on port 1).
DEADVKEY=$("$TOOLS/tlogwitness" keygen witness.example/dead | sed -n 2p)
srv_start start 0 --log "$ORIGIN" \
    --log-witness "http://127.0.0.1:1=$DEADVKEY" \
    --log-witness "http://127.0.0.1:$W_PORT=$WVKEY" || summary
wait_cosigned first-cosigned 1
expect_eq dead-witness-said "$(grep -c "log: witness witness.example/dead \
did not cosign the checkpoint of size [0-9]*: no answer" "$SRV_LOG")" 1

# --- a client requiring the witness -------------------------------------------
export COFFER_REPOSITORY
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" laptop)
coffer_ok init init --log-key "$VKEY" --witness "$WVKEY" --quorum 1
coffer_ok backup-1 backup "$SRC"
expect_out backup-logged "1 change logged and verified"
expect_eq backup-cosigned "$(cosigned)" 1
# Checked independently (tlogverify.py, Python's standard library only).
run_cmd python3 "$TLOGVERIFY" cosigned "$(tlog_url)" "$VKEY" "$WVKEY"
expect_rc cosignature-verifies 0
NOW=$(date +%s)
T_COSIG=${OUT#cosigned at }
expect_le cosignature-time-not-future "$T_COSIG" "$NOW"
expect_ge cosignature-time-recent "$T_COSIG" "$((NOW - 60))"
run_cmd python3 "$TLOGVERIFY" cosigned "$(tlog_url)" "$VKEY" \
    "$("$TOOLS/tlogwitness" keygen "$WNAME" | sed -n 2p)"
expect_rc other-witness-key-refused 1

# --- the witness down: the log goes on, the client refuses ------------------
w_stop witness-stop
srv_quota quota-1 alice 1001
tlog_wait logged-without-witness
expect_eq down-not-cosigned "$(cosigned)" 0
expect_eq down-said "$(grep -c "log: witness $WNAME did not cosign" \
    "$SRV_LOG")" 1
run_coffer snapshots
expect_rc down-refused 13
expect_err down-words "0 of the 1 witness cosignatures required"
w_start witness-restart "$W_PORT"
wait_cosigned cosigned-again 1
coffer_ok back-accepted snapshots

# --- bad requests ---------------------------------------------------------------
WURL=http://127.0.0.1:$W_PORT
expect_eq get-refused "$(curl -s -o /dev/null -w '%{http_code}' \
    "$WURL/add-checkpoint")" 405
expect_eq path-refused "$(curl -s -o /dev/null -w '%{http_code}' \
    --data x "$WURL/checkpoint")" 404
CP=$(curl -s "$SRV_URL/log/checkpoint")
SIZE=$(printf '%s\n' "$CP" | sed -n 2p)
printf 'old x\n\n%s\n' "$CP" > "$T/body"
wpost bad-old 400 "malformed old size"
printf 'old %s\n' "$SIZE" > "$T/body"
wpost no-empty-line 400 "no empty line before the checkpoint"
printf 'old %s\n\n' "$SIZE" > "$T/body"
wpost no-checkpoint 400 "malformed checkpoint note: empty or too long"
printf 'old %s\nnot-a-hash\n\n%s\n' "$SIZE" "$CP" > "$T/body"
wpost bad-proof-line 400 "a consistency proof line is not a base64 hash"
printf 'old %s\n\n%s\n' "$((SIZE + 1))" "$CP" > "$T/body"
wpost old-too-large 400 "old size is larger than the checkpoint's size"
printf 'old 0\n\n%s\n' "$CP" > "$T/body"
wpost stale-old 409 "$SIZE"
expect_eq stale-old-type "$(curl -s -o /dev/null -w '%{content_type}' \
    --data-binary "@$T/body" "$WURL/add-checkpoint")" "text/x.tlog.size"
printf 'old %s\n\n%s\n' "$SIZE" "$(printf '%s\n' "$CP" |
    sed "1s|.*|other.example/log|")" > "$T/body"
wpost unknown-log 404 "unknown log origin"
printf 'old %s\n\n%s\n' "$SIZE" "$(printf '%s\n' "$CP" |
    sed "3s|^.|A|;3s|^AA|BA|")" > "$T/body"
wpost bad-signature 403 \
    "the checkpoint has no valid signature of the log's key"
printf 'old %s\n\n%s\n' "$SIZE" "$CP" > "$T/body"
wpost same-again 200 -
expect_eq same-again-line "$(grep -c "^— $WNAME [A-Za-z0-9+/]*=*\$" \
    "$T/wresp")" 1
{ printf '%s\n' "$CP" | grep -v "^— $WNAME "; cat "$T/wresp"; } > "$T/cp2"
run_cmd python3 "$TLOGVERIFY" cosigned "$T/cp2" "$VKEY" "$WVKEY"
expect_rc same-again-verifies 0
expect_out same-again-time "cosigned at "


# --- a rolled back, then forked log: the witness refuses ----------------------
srv_stop stop-1
cp -a -- "$SRV_DATA" "$T/srv-old"
srv_start restart-1 "$SRV_PORT" --log "$ORIGIN" \
    --log-witness "http://127.0.0.1:$W_PORT=$WVKEY" || summary
srv_quota quota-2 alice 1002
srv_quota quota-3 alice 1003
tlog_wait grown
wait_cosigned grown-cosigned 1
SEEN=$(tlog_size)
srv_stop stop-2
rm -rf -- "$SRV_DATA"
cp -a -- "$T/srv-old" "$SRV_DATA"
srv_start rolled-back "$SRV_PORT" --log "$ORIGIN" \
    --log-witness "http://127.0.0.1:$W_PORT=$WVKEY" || summary
OLD=$(tlog_size)
sleep 1.5
expect_eq rollback-not-cosigned "$(cosigned)" 0
expect_eq rollback-said "$(grep -c \
    "it has cosigned a larger tree ($SEEN) than this log's ($OLD)" \
    "$SRV_LOG")" 1
n=$OLD
while [ "$n" -lt "$SEEN" ]; do
	n=$((n + 1))
	"$COFFERD_BIN" user quota alice "$((n + 5000))" --data "$SRV_DATA" \
	    > /dev/null
done
tlog_wait fork-same-size
expect_eq fork-size "$(tlog_size)" "$SEEN"
w_wait_line "add-checkpoint: 409 a different tree of the size already cosigned"
expect_eq fork-same-size-refused "$(grep -c \
    "409 a different tree of the size already cosigned" "$W_LOG")" 1
expect_eq fork-not-cosigned "$(cosigned)" 0
srv_quota fork-grow alice 4242
tlog_wait fork-grown
w_wait_line "add-checkpoint: 422 the consistency proof does not verify"
expect_eq fork-beyond-refused "$(grep -c \
    "422 the consistency proof does not verify" "$W_LOG")" 1
expect_eq fork-beyond-not-cosigned "$(cosigned)" 0
expect_eq never-200-after-fork "$(sed -n "/a different tree/,\$p" "$W_LOG" |
    grep -c 'add-checkpoint: 200')" 0
run_coffer snapshots
expect_rc fork-client-refused 13

srv_stop stop-3
w_stop witness-stop-2
expect_eq witness-no-sanitizer-report "$(cat "$T"/witness-*.log |
    grep -c 'Sanitizer\|runtime error')" 0
summary
