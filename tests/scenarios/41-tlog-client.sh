#!/usr/bin/env bash
#
# 41 tlog client: coffer against a cofferd whose transparency log it has
# pinned (`coffer init --log-key`, `coffer log pin`).
#   - backup and key add wait for their own entries and verify their
#     inclusion ("logged and verified", a tlog-proof receipt kept);
#   - a server restored from an older copy of its data directory (its log
#     rolled back) is refused by every command: exit 13, the words "rolled
#     its transparency log back" and both checkpoints;
#   - the same server growing a different history (a fork: first to the
#     size the client saw, with another root, then beyond) is refused too;
#   - a witness the policy requires and the log lacks: refused;
#   - `coffer audit --monitor` recomputes every tile and finds a tile
#     altered on the server.

. "$(dirname -- "$0")/../srvlib.sh"
. "$TESTS_DIR/tloglib.sh"

ORIGIN=test.example/log41
PW_A=alice-pw-41
SRC=$T/src
mkdir -p "$SRC"
echo "one" > "$SRC/a"
export COFFER_LOG_WAIT=10

srv_user_add user-alice alice "$PW_A"
srv_start start 0 --log "$ORIGIN" || summary
srv_admin vkey log vkey
VKEY=$OUT
PORT=$SRV_PORT
export COFFER_REPOSITORY
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" laptop)

# --- pinned at init; own entries verified ---------------------------------
coffer_ok init-pinned init --log-key "$VKEY"
expect_out init-message "pinned the transparency log $ORIGIN"
coffer_ok backup-1 backup "$SRC"
expect_out backup-logged "1 change logged and verified"
printf 'second passcode\n' > "$T/pw2"
coffer_ok key-add key add --new-password-file "$T/pw2"
expect_out key-add-logged "1 change logged and verified"
coffer_ok status log status
expect_out status-key "log       $VKEY"
tlog_account alice "$PW_A" laptop
expect_out status-account "account   $ACCOUNT"
expect_out status-scope "scope     $SCOPE"
STATE=$(ls -d "$HOME"/.config/coffer/*/tlog)
RECEIPTS=$(ls "$STATE" | grep -c '^receipt-.*\.tlog-proof$')
# One for the first key slot (init), the snapshot, the second key slot.
expect_eq receipts "$RECEIPTS" 3
R1=$(ls "$STATE"/receipt-*.tlog-proof | head -n 1)
expect_eq receipt-format "$(head -n 2 "$R1" | sed 's/ [0-9]*$/ N/')" \
    "$(printf 'c2sp.org/tlog-proof@v1\nindex N')"

# --- a rolled back server -------------------------------------------------
srv_stop stop-1
cp -a -- "$SRV_DATA" "$T/srv-old"
srv_start restart-1 "$PORT" --log "$ORIGIN" || summary
echo "two" > "$SRC/b"
coffer_ok backup-2 backup "$SRC"
SEEN=$(sed -n 2p "$STATE/checkpoint")
srv_stop stop-2
rm -rf -- "$SRV_DATA"
cp -a -- "$T/srv-old" "$SRV_DATA"
srv_start start-rolled-back "$PORT" --log "$ORIGIN" || summary
OLD=$(tlog_size)
run_coffer snapshots
expect_rc rollback-refused 13
expect_err rollback-words "rolled its transparency log back"
expect_err rollback-sizes "it now shows $OLD events, where it showed $SEEN"
expect_eq rollback-both-checkpoints "$(grep -c "    $ORIGIN" "$ERR_FILE")" 2
run_coffer backup "$SRC"
expect_rc rollback-backup-refused 13

# --- a forked server: same size, another root; then beyond ----------------
n=$OLD
while [ "$n" -lt "$SEEN" ]; do
	n=$((n + 1))
	"$COFFERD_BIN" user quota alice "$n" --data "$SRV_DATA" > /dev/null
done
tlog_wait fork-sequenced
expect_eq fork-same-size "$(tlog_size)" "$SEEN"
run_coffer snapshots
expect_rc fork-refused 13
expect_err fork-words "transparency log forked"
expect_eq fork-both-checkpoints "$(grep -cx "    $SEEN" "$ERR_FILE")" 2
srv_quota fork-grow alice 4242
tlog_wait fork-grown
run_coffer snapshots
expect_rc fork-beyond-refused 13
expect_err fork-beyond-words "transparency log forked"

srv_stop stop-3

# A fresh server and repository for the rest.
rm -rf -- "$SRV_DATA" "$HOME/.config/coffer"
srv_user_add user-alice-2 alice "$PW_A"
srv_start start-fresh 0 --log "$ORIGIN" || summary
srv_admin vkey-2 log vkey
VKEY=$OUT
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" laptop)
coffer_ok init-2 init
coffer_ok backup-3 backup "$SRC"
coffer_ok pin log pin "$VKEY"
expect_out pin-message "pinned the transparency log $ORIGIN"
coffer_ok after-pin snapshots

# --- a witness required, none cosigning: refused ---------------------------
WVKEY=$("$TOOLS/tlogwitness" keygen witness.example/w1 | sed -n 2p)
run_coffer log pin "$VKEY" --witness "$WVKEY" --quorum 1
expect_rc witness-missing 13
expect_err witness-words "0 of the 1 witness cosignatures required"
run_coffer snapshots
expect_rc witness-missing-every-run 13
run_coffer log pin "$WVKEY"
expect_rc witness-key-as-log-key 1
expect_err witness-key-as-log-key-words "a witness key, not a log key"
coffer_ok repin log pin "$VKEY"
coffer_ok after-repin snapshots

# --- the monitor ------------------------------------------------------------
coffer_ok monitor audit --monitor "$(tlog_url)" --log-key "$VKEY"
expect_out monitor-words "check out"
TILE=$SRV_DATA/log/tile/0/000.p/$(tlog_size)
cp -- "$TILE" "$T/tile.bak"
printf '\x01' | dd of="$TILE" bs=1 seek=5 conv=notrunc 2> /dev/null
run_coffer audit --monitor "$(tlog_url)" --log-key "$VKEY"
expect_rc monitor-tampered 13
expect_err monitor-tampered-words "differs from the one its entries give"
cp -- "$T/tile.bak" "$TILE"
coffer_ok monitor-restored audit --monitor "$(tlog_url)"
srv_stop stop-end
summary
