#!/usr/bin/env bash
#
# 40 tlog server: `cofferd serve --log ORIGIN` keeps a transparency log of
# the audit table and serves it under /log/, checked here with an
# independent verifier (tests/tools/tlogverify.py: Python's standard
# library only) against the C2SP specs:
#   - the verifier key (`cofferd log vkey`, /log/vkey) has the key id the
#     signed-note spec defines; the checkpoint is a signed note of origin,
#     size and root that verifies under it;
#   - every entry bundle and every tile, full and partial, recomputed from
#     the entries, is byte for byte what is served, and the entries give
#     the checkpoint's root;
#   - the entries are what happened: account created, key slot and
#     snapshot added and removed (by object id), quota, token, export,
#     each with the account's blinded id, chained to the account's
#     previous entry; no account name appears anywhere in the log;
#   - the log is read-only and serves nothing else: no key, no tile
#     beyond the checkpoint, no non-canonical path, no POST; the account
#     id needs the account's credentials;
#   - the signing key is mode 0600 and cofferd refuses a readable one;
#   - a crash (SIGKILL) after the tiles, after signing, or after the
#     commit of a pass leaves a log whose next checkpoint extends the
#     last one published, and repeated SIGKILLs while a backlog is
#     sequenced do too.

. "$(dirname -- "$0")/../srvlib.sh"
. "$TESTS_DIR/tloglib.sh"

ORIGIN=test.example/log40
PW_A=alice-pw-40
PW_B=bob-pw-40
SRC=$T/src
mkdir -p "$SRC"
echo "one" > "$SRC/a"

run_cmd python3 "$TLOGVERIFY" selftest
expect_rc verifier-selftest 0

srv_user_add user-alice alice "$PW_A"
srv_user_add user-bob bob "$PW_B"
srv_start start 0 --log "$ORIGIN" || summary

# --- the key -------------------------------------------------------------
srv_admin vkey log vkey
VKEY=$OUT
run_cmd python3 "$TLOGVERIFY" vkey "$VKEY"
expect_rc vkey-form 0
expect_eq vkey-name "$OUT" "$ORIGIN"
http_req GET /log/vkey
expect_http vkey-served 200 "$VKEY"
expect_eq key-mode "$(stat -c %a "$SRV_DATA/log/key")" 600

# --- what is logged -------------------------------------------------------
export COFFER_REPOSITORY
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" laptop)
coffer_ok alice-init init
coffer_ok alice-backup-1 backup "$SRC"
echo "two" > "$SRC/b"
coffer_ok alice-backup-2 backup "$SRC"
printf 'second passcode\n' > "$T/pw2"
coffer_ok alice-key-add key add --new-password-file "$T/pw2"
SNAPS=$(ls "$(srv_repo_dir alice laptop)/snapshots" | sort)
FIRST=$(printf '%s\n' "$SNAPS" | head -n 1)
coffer_ok alice-forget forget "${FIRST:0:8}"
COFFER_REPOSITORY=$(srv_repo_url bob "$PW_B" desk)
coffer_ok bob-init init
coffer_ok bob-backup backup "$SRC"
srv_quota quota alice 1073741824
srv_token_add token alice append
TOKEN_ID=$(printf '%s' "$TOKEN" | sha256sum | cut -c1-16)
srv_admin export user export alice --to "$T/export" --reason "case 40"
tlog_wait sequenced || summary
tlog_verify tiles-and-bundles

tlog_account alice "$PW_A" laptop
A_ACCT=$ACCOUNT
A_SCOPE=$SCOPE
tlog_account bob "$PW_B" desk
B_ACCT=$ACCOUNT
expect_eq account-ids-differ "$([ "$A_ACCT" != "$B_ACCT" ] &&
    [ ${#A_ACCT} -eq 32 ] && echo yes)" yes
# alice's events, in order: "EVENT SUBJECT VALUE SCOPE".
events() {
	awk -v a="$1" '$4 == a { print $2, $7, $10, $5 }' "$T/entries"
}
A_EV=$(events "$A_ACCT")
expect_eq alice-event-types "$(cut -d' ' -f1 <<< "$A_EV" | tr '\n' ' ')" \
    "16 1 3 3 1 4 19 20 22 "
SNAP_SUBJ=$(awk '$1 == 3 { print $2 }' <<< "$A_EV" | sort)
expect_eq snapshot-subjects "$SNAP_SUBJ" "$SNAPS"
expect_eq removed-subject "$(awk '$1 == 4 { print $2 }' <<< "$A_EV")" \
    "$FIRST"
KEYS=$(ls "$(srv_repo_dir alice laptop)/keys" | sort)
expect_eq key-subjects "$(awk '$1 == 1 { print $2 }' <<< "$A_EV" | sort)" \
    "$KEYS"
expect_eq repo-scope "$(awk '$1 <= 4 { print $4 }' <<< "$A_EV" | sort -u)" \
    "$A_SCOPE"
expect_eq account-scope "$(awk '$1 > 4 { print $4 }' <<< "$A_EV" |
    sort -u)" 0000000000000000
expect_eq quota-value "$(awk '$1 == 19 { print $3 }' <<< "$A_EV")" \
    0000000040000000
expect_eq token-value "$(awk '$1 == 20 { print $3 }' <<< "$A_EV")" \
    "$TOKEN_ID"
expect_eq bob-events "$(events "$B_ACCT" | cut -d' ' -f1 | tr '\n' ' ')" \
    "16 1 3 "
# Actors: alice's password (kind 1) for her objects, the admin (3) else.
expect_eq actors "$(awk -v a="$A_ACCT" '$4 == a { print $2 ":" $8 }' \
    "$T/entries" | sort -u | tr '\n' ' ')" \
    "16:3 19:3 1:1 20:3 22:3 3:1 4:1 "
if grep -rqaE 'alice|bob|laptop|desk|case 40' "$SRV_DATA/log/tile" \
    "$SRV_DATA/log/checkpoint"; then
	fail no-names-in-log "an account or repository name is in the log"
else
	pass no-names-in-log
fi

# --- read-only, nothing else served ---------------------------------------
SIZE=$(tlog_size)
http_req GET /log/key
expect_http no-key 404 "no such route"
http_req GET /log/tile/0/001
expect_http no-tile-beyond 404 "no such tile"
http_req GET "/log/tile/0/000.p/$((SIZE + 1))"
expect_http no-partial-beyond 404 "no such tile"
http_req GET /log/tile/0/x000/000.p/1
expect_http non-canonical 404 "no such tile"
http_req GET "/log/tile/0/000.p/$SIZE"
expect_http partial-served 200
expect_eq partial-bytes "$(stat -c %s "$HTTP_BODY_FILE")" $((32 * SIZE))
http_req GET /log/tile/../key
expect_http dot-dot 404
http_req POST /log/checkpoint
expect_http no-post 405 "method not allowed"
http_req GET /log/account
expect_http account-needs-credentials 401 "credentials required"
http_req GET /log/account -u "alice:wrong"
expect_http account-wrong-credentials 401 "wrong credentials"

# --- restart: the same log, the key's mode enforced -----------------------
cp -- "$SRV_DATA/log/checkpoint" "$T/cp-before"
srv_stop stop-1
chmod 644 "$SRV_DATA/log/key"
run_cmd "$COFFERD_BIN" serve --data "$SRV_DATA" --listen 127.0.0.1:0 \
    --log "$ORIGIN"
expect_rc readable-key-refused 1
expect_err readable-key-message "must be mode 0600"
chmod 600 "$SRV_DATA/log/key"
run_cmd "$COFFERD_BIN" serve --data "$SRV_DATA" --listen 127.0.0.1:0 \
    --log other.example/log
expect_rc other-origin-refused 1
expect_err other-origin-message "not \"other.example/log\""
srv_start restart 0 --log "$ORIGIN" || summary
http_req GET /log/checkpoint
expect_eq same-checkpoint "$HTTP_BODY" "$(cat -- "$T/cp-before")"

# --- crashes at each step of a pass ---------------------------------------
n=0
for step in tiles signed committed; do
	n=$((n + 1))
	cp -- "$SRV_DATA/log/checkpoint" "$T/cp-old"
	srv_stop "stop-before-$step"
	COFFERD_TEST_LOG_CRASH=$step srv_start "start-crash-$step" 0 \
	    --log "$ORIGIN" || summary
	srv_quota "quota-$step" alice "$((n * 1000))"
	# The sequencer kills the server at that step of the next pass.
	for _ in $(seq 1 100); do
		kill -0 "$SRV_PID" 2> /dev/null || break
		sleep 0.1
	done
	if kill -0 "$SRV_PID" 2> /dev/null; then
		fail "crashed-$step" "still running"
		srv_kill9
	else
		wait "$SRV_PID" 2> /dev/null
		SRV_PID=
		expect_eq "crashed-$step" "$(grep -c "test crash at $step" \
		    "$SRV_LOG")" 1
	fi
	srv_start "restart-$step" 0 --log "$ORIGIN" || summary
	tlog_wait "sequenced-$step"
	tlog_verify "tiles-after-$step"
	run_cmd python3 "$TLOGVERIFY" consistent "$T/cp-old" "$(tlog_url)" \
	    "$VKEY"
	expect_rc "extends-after-$step" 0
done

# --- SIGKILL again and again while a backlog is sequenced -----------------
cp -- "$SRV_DATA/log/checkpoint" "$T/cp-old"
srv_stop stop-before-backlog
for i in $(seq 1 60); do
	COFFERD_PASSWORD=pw "$COFFERD_BIN" user add "u$i" \
	    --data "$SRV_DATA" > /dev/null 2>&1
done
for i in $(seq 1 8); do
	"$COFFERD_BIN" serve --data "$SRV_DATA" --listen 127.0.0.1:0 \
	    --log "$ORIGIN" > /dev/null 2> "$T/kill-$i.log" &
	pid=$!
	sleep "0.0$((RANDOM % 9))"
	kill -9 "$pid" 2> /dev/null
	wait "$pid" 2> /dev/null
done
srv_start restart-backlog 0 --log "$ORIGIN" || summary
tlog_wait sequenced-backlog
tlog_verify tiles-after-kills
run_cmd python3 "$TLOGVERIFY" consistent "$T/cp-old" "$(tlog_url)" "$VKEY"
expect_rc extends-after-kills 0
srv_stop stop-end
summary
