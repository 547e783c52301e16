#!/usr/bin/env bash
#
# 22 cofferd coffer: coffer's own client against cofferd through a
# rest:http://USER:SECRET@127.0.0.1:PORT/USER/REPO/ location: init, backup
# of the nasty tree of tests/tools/mktree.sh, restore byte-exact (sparse
# file included), check --read-data, an incremental second backup, then
# three backups from three client processes at once into the same
# repository (all succeed, all restore).  On the server every object is
# named by its SHA-256 and the account's usage is what is on disk.
#
# An append-only token can back up, but `coffer key remove` is refused
# (403) and removes nothing.  A wrong password gets the 401 message,
# another account's credentials the 403 message, and no secret appears in
# any message.

# jq programs are in single quotes on purpose.
# shellcheck disable=SC2016
. "$(dirname -- "$0")/../srvlib.sh"

MiB=$((1024 * 1024))
PW_A=alice-pw-22
PW_B=bob-pw-22
SRC=$T/src

if bash "$MKTREE" "$SRC"; then
	pass mktree
else
	fail mktree "tests/tools/mktree.sh failed"
	summary
fi

srv_start start || summary
srv_user_add user-alice alice "$PW_A"
srv_user_add user-bob bob "$PW_B"
srv_token_add token-append alice append
TOK_APPEND=$TOKEN
FULL=$(srv_repo_url alice "$PW_A" main)
APPEND=$(srv_repo_url alice "$TOK_APPEND" main)
REPO=$(srv_repo_dir alice main)
SHOWN="rest:http://127.0.0.1:$SRV_PORT/alice/main/"
export COFFER_REPOSITORY=$FULL

# no_secret NAME: neither stdout nor stderr of the last run shows a
# password or token.
no_secret() {
	if [[ "$OUT$ERR" == *"$PW_A"* || "$OUT$ERR" == *"$PW_B"* ||
	    "$OUT$ERR" == *"$TOK_APPEND"* ]]; then
		fail "$1" "a secret appears in the output: $OUT $ERR"
	else
		pass "$1"
	fi
}

# --- init --------------------------------------------------------------------
run_coffer init
expect_rc init-rc 0 || summary
expect_out_re init-message \
    "created coffer repository [0-9a-f]{8} at $(re_quote "$SHOWN")"
no_secret init-no-secret
check server-config test -s "$REPO/config"
expect_eq server-config-magic "$(head -c 4 -- "$REPO/config")" CFFR
expect_eq server-one-key "$(find "$REPO/keys" -type f | wc -l)" 1
expect_eq server-layout "$(COFFER_REPOSITORY=$REPO bad_repo_names)" ""

# --- backup, restore, check --------------------------------------------------
run_coffer backup --json "$SRC"
expect_rc backup-rc 0
S1=$(json_last .snapshot_id)
check backup-snapshot-id test -n "$S1"
no_secret backup-no-secret
expect_eq server-snapshot-file "$(find "$REPO/snapshots" -type f)" \
    "$REPO/snapshots/$S1"
expect_eq server-objects-named-by-hash "$(srv_bad_objects)" ""
expect_eq server-layout-after-backup \
    "$(COFFER_REPOSITORY=$REPO bad_repo_names)" ""
expect_eq server-no-locks-left "$(find "$REPO/locks" -type f | wc -l)" 0
expect_usage usage-after-backup alice

run_coffer snapshots --json
expect_rc snapshots-rc 0
expect_eq snapshots-count "$(jq length <<< "$OUT")" 1
expect_eq snapshots-id "$(jq -r '.[0].id' <<< "$OUT")" "$S1"

run_coffer restore "$S1" --target "$T/r1"
expect_rc restore-rc 0
expect_eq restore-no-stderr "$ERR" ""
expect_treecmp restore-identical --sparse "$SRC" "$T/r1$SRC"

run_coffer check --read-data
expect_rc check-rc 0
expect_out check-message "no errors were found"

# --- incremental -------------------------------------------------------------
printf 'changed\n' >> "$SRC/files/text.txt"
rnd "$SRC/files/new" $((2 * MiB))
total=$(find "$SRC" -type f -printf '%s\n' |
    awk '{ s += $1 } END { printf "%.0f\n", s }')
run_coffer backup --json "$SRC"
expect_rc incremental-rc 0
S2=$(json_last .snapshot_id)
expect_json incremental-files-new .files_new 1
expect_json incremental-files-changed .files_changed 1
expect_json incremental-processed .total_bytes_processed "$total"
# Only the new and changed files' data is added (2 MiB and a few bytes).
expect_lt incremental-added "$(json_last .data_added)" $((3 * MiB))
run_coffer snapshots --json
expect_eq incremental-parent "$(jq -r --arg s "$S2" \
    '.[] | select(.id == $s) | .parent' <<< "$OUT")" "$S1"
run_coffer restore "$S2" --target "$T/r2"
expect_rc incremental-restore-rc 0
expect_treecmp incremental-restore-identical --sparse "$SRC" "$T/r2$SRC"

# --- three clients at once ---------------------------------------------------
for c in 1 2 3; do
	mkdir -p "$T/c$c/sub"
	rnd "$T/c$c/a" $((6 * MiB))
	rnd "$T/c$c/sub/b" $((3 * MiB + c))
	printf 'client %s\n' "$c" > "$T/c$c/sub/name"
	# The same 1 MiB in every tree: three writers find the same new blobs.
	[ "$c" -eq 1 ] && rnd "$T/shared" "$MiB"
	cp -- "$T/shared" "$T/c$c/shared"
done
pids=()
for c in 1 2 3; do
	timeout -k 10 "$SCENARIO_TIMEOUT" setsid -w "$COFFER_BIN" backup \
	    --json "$T/c$c" < /dev/null > "$T/c$c.out" 2> "$T/c$c.err" &
	pids+=($!)
done
for c in 1 2 3; do
	wait "${pids[$((c - 1))]}"
	rc=$?
	sed "s/^/#   client $c stderr: /" -- "$T/c$c.err"
	expect_eq "concurrent-$c-rc" "$rc" 0
	id=$(grep '^{' -- "$T/c$c.out" | tail -n 1 |
	    jq -r '.snapshot_id // empty')
	check "concurrent-$c-id" test -n "$id"
	eval "C$c=\$id"
done
run_coffer snapshots --json
expect_rc concurrent-snapshots-rc 0
expect_eq concurrent-snapshots-count "$(jq length <<< "$OUT")" 5
for c in 1 2 3; do
	eval "id=\$C$c"
	run_coffer restore "$id" --target "$T/rc$c"
	expect_rc "concurrent-$c-restore-rc" 0
	expect_treecmp "concurrent-$c-restore-identical" --no-atime "$T/c$c" \
	    "$T/rc$c$T/c$c"
done
run_coffer check --read-data
expect_rc concurrent-check-rc 0
expect_out concurrent-check-message "no errors were found"
expect_eq concurrent-objects-named-by-hash "$(srv_bad_objects)" ""
expect_eq concurrent-no-locks-left "$(find "$REPO/locks" -type f | wc -l)" 0
expect_usage usage-after-concurrent alice

# --- append-only token -------------------------------------------------------
printf 'by the append-only token\n' > "$SRC/files/appended"
COFFER_REPOSITORY=$APPEND run_coffer backup --json "$SRC"
expect_rc append-backup-rc 0
SA=$(json_last .snapshot_id)
check append-backup-id test -n "$SA"
no_secret append-backup-no-secret
expect_eq append-no-locks-left "$(find "$REPO/locks" -type f | wc -l)" 0
run_coffer restore "$SA" --target "$T/ra"
expect_rc append-restore-rc 0
expect_treecmp append-restore-identical --sparse "$SRC" "$T/ra$SRC"

printf 'second passcode\n' > "$T/pw2"
run_coffer key add --new-password-file "$T/pw2"
expect_rc key-add-rc 0
slot=$(sed -nE 's/^added key slot ([0-9a-f]{8})$/\1/p' -- "$OUT_FILE")
check key-add-slot test -n "$slot"
before=$(tree_state "$REPO" locks)
COFFER_REPOSITORY=$APPEND run_coffer key remove "$slot"
expect_rc append-key-remove-rc 1
expect_err append-key-remove-403 "${SHOWN#rest:}keys/$slot"
expect_err append-key-remove-message "permission denied (HTTP 403): the \
credential is read-only or append-only, or not for this account"
expect_last_err append-key-remove-last "cannot remove key slot $slot"
no_secret append-key-remove-no-secret
expect_eq append-key-remove-changed-nothing "$(tree_state "$REPO" locks)" \
    "$before"
run_coffer key list
expect_rc key-list-rc 0
expect_out key-list-slot-kept "$slot"

# --- wrong credentials -------------------------------------------------------
before=$(srv_state)
BOB_ON_ALICE="rest:http://bob:$PW_B@127.0.0.1:$SRV_PORT/alice/main/"
COFFER_REPOSITORY=$(srv_repo_url alice not-the-password main) \
    run_coffer snapshots
expect_rc wrong-password-rc 1
expect_last_err wrong-password-message "coffer: download ${SHOWN#rest:}config: \
authentication failed (HTTP 401): check the user and password or token in \
the URL"
expect_no_err wrong-password-no-secret "not-the-password"

COFFER_REPOSITORY=$BOB_ON_ALICE run_coffer snapshots
expect_rc wrong-tenant-rc 1
expect_last_err wrong-tenant-message "coffer: download ${SHOWN#rest:}config: \
permission denied (HTTP 403): the credential is read-only or append-only, \
or not for this account"
no_secret wrong-tenant-no-secret

COFFER_REPOSITORY=$BOB_ON_ALICE run_coffer backup "$SRC"
expect_rc wrong-tenant-backup-rc 1
expect_err wrong-tenant-backup-message "permission denied (HTTP 403)"

COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" nothing-here) \
    run_coffer snapshots
expect_rc no-repository-rc 10
expect_last_err no-repository-message "coffer: no repository at \
rest:http://127.0.0.1:$SRV_PORT/alice/nothing-here/ (config not found)"
expect_srv_unchanged refusals-changed-nothing "$before"

# --- the end -----------------------------------------------------------------
run_coffer check --read-data
expect_rc final-check-rc 0
expect_eq final-objects-named-by-hash "$(srv_bad_objects)" ""
expect_usage final-usage alice
expect_eq log-no-secrets "$(grep -cF -e "$PW_A" -e "$PW_B" \
    -e "$TOK_APPEND" -- "$SRV_LOG")" 0
srv_stop stop

summary
