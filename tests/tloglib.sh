# shellcheck shell=bash
#
# tests/tloglib.sh: sourced by the transparency log scenarios
# (tests/scenarios/4?-tlog-*.sh) after srvlib.sh.  The server's log is
# checked with tests/tools/tlogverify.py, which shares no code with
# coffer (Python's standard library only).
#
#   tlog_url            $SRV_URL/log
#   tlog_audit_rows     the number of rows of the server's audit table
#   tlog_size           the tree size of the served checkpoint
#   tlog_wait NAME      within 15 s, the checkpoint covers every audit row
#   tlog_verify NAME    tlogverify.py tiles: every tile and bundle
#                       recomputed, the signature and root checked; the
#                       entries' lines go to $T/entries
#   tlog_account USER SECRET [REPO]   ACCOUNT (and SCOPE) of a user, as
#                       GET /log/account gives them

TLOGVERIFY=$TESTS_DIR/tools/tlogverify.py
if ! command -v python3 > /dev/null 2>&1; then
	fail "$SCENARIO-setup" "missing tool: python3"
	summary
fi

tlog_url() {
	printf '%s/log' "$SRV_URL"
}

tlog_audit_rows() {
	"$COFFERD_BIN" audit --json --data "$SRV_DATA" 2> /dev/null |
	    jq length
}

tlog_size() {
	curl -s --max-time 10 "$SRV_URL/log/checkpoint" | sed -n 2p
}

tlog_wait() {
	local name=$1 want start got
	start=$(now_ms)
	want=$(tlog_audit_rows)
	while :; do
		got=$(tlog_size)
		if [ "$got" = "$want" ]; then
			pass "$name"
			return 0
		fi
		if [ $(($(now_ms) - start)) -gt 15000 ]; then
			fail "$name" "checkpoint size '$got', audit rows $want"
			return 1
		fi
		sleep 0.1
	done
}

tlog_verify() {
	local name=$1
	python3 "$TLOGVERIFY" tiles "$(tlog_url)" "$VKEY" > "$T/entries" \
	    2> "$T/verify.err"
	if [ $? -eq 0 ] && [ "$(tail -n 1 -- "$T/entries")" = \
	    "OK $(tlog_size)" ]; then
		pass "$name"
	else
		fail "$name" "$(tail -n 2 -- "$T/entries") $(cat -- \
		    "$T/verify.err")"
	fi
}

tlog_account() {
	local q=
	[ $# -ge 3 ] && q="?repo=$3"
	local body
	body=$(curl -s --max-time 10 -u "$1:$2" "$SRV_URL/log/account$q")
	ACCOUNT=$(printf '%s\n' "$body" | awk '$1 == "account" { print $2 }')
	# shellcheck disable=SC2034  # used by the scenarios
	SCOPE=$(printf '%s\n' "$body" | awk '$1 == "scope" { print $2 }')
}
