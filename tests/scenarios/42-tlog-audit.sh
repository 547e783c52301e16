#!/usr/bin/env bash
#
# 42 tlog audit: `coffer audit` lists the account's logged events, each
# authenticated against the verified checkpoint, and flags ("!", exit 13)
# what this user's clients did not do and what the log hides:
#   - its own backups, key slot, forget: listed, nothing flagged;
#   - the operator's quota, token and export, a recovery attempt: flagged;
#   - a key slot the server adds with the account's password: flagged;
#   - a snapshot planted in the repository without a log entry: flagged;
#   - a snapshot deleted from the repository without a log entry: flagged;
#   - a backup whose entry the server hides (its audit row deleted before
#     it was logged): the backup itself fails (exit 13, "did not log this
#     change"), and audit flags both the change this machine made and the
#     snapshot in the repository that the log never recorded.

. "$(dirname -- "$0")/../srvlib.sh"
. "$TESTS_DIR/tloglib.sh"

ORIGIN=test.example/log42
PW_A=alice-pw-42
SRC=$T/src
mkdir -p "$SRC"
echo "one" > "$SRC/a"
export COFFER_LOG_WAIT=10

# db_exec SQL: run SQL on the server's database (a hostile operator).
db_exec() {
	python3 - "$SRV_DATA/cofferd.db" "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.executescript(sys.argv[2])
c.commit()
EOF
}

srv_user_add user-alice alice "$PW_A"
srv_start start 0 --log "$ORIGIN" || summary
srv_admin vkey log vkey
VKEY=$OUT
PORT=$SRV_PORT
export COFFER_REPOSITORY
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" laptop)
REPO=$(srv_repo_dir alice laptop)

coffer_ok init init --log-key "$VKEY"
coffer_ok backup-1 backup "$SRC"
echo "two" > "$SRC/b"
coffer_ok backup-2 backup "$SRC"
printf 'second passcode\n' > "$T/pw2"
coffer_ok key-add key add --new-password-file "$T/pw2"
FIRST=$(ls "$REPO/snapshots" | head -n 1)
coffer_ok forget forget "${FIRST:0:8}"
tlog_wait sequenced-1
coffer_ok audit-clean audit
expect_out audit-clean-summary "; 0 flagged"
expect_eq audit-clean-events "$(grep -cE '^[0-9-]+ [0-9:]+  (user|key|snapshot)\.' \
    "$OUT_FILE")" 6
expect_out audit-forget-listed "snapshot.remove   ${FIRST:0:16}"

# --- the operator's actions and a recovery attempt ------------------------
srv_quota quota alice 1073741824
srv_token_add token alice append
srv_admin export user export alice --to "$T/export" --reason "order 42"
db_exec "INSERT INTO audit (time, user, action, detail, actor) VALUES
    (strftime('%s','now'), 'alice', 'recovery.charge',
    'realm=abcd rid=00 guesses=1/10', 'realm');"
tlog_wait sequenced-2
run_coffer audit
expect_rc audit-operator 13
expect_eq audit-operator-flags "$(grep -c '^  ! not done by a client of yours' \
    "$OUT_FILE")" 4
expect_out audit-recovery-words "someone tried to recover the passcode"
expect_out audit-export-words "the operator exported the account's data"
run_coffer audit --since "2999-01-01"
expect_rc audit-since-future 0
expect_out audit-since-summary "; 0 flagged"

# --- a key slot the server adds -------------------------------------------
head -c 300 /dev/urandom > "$T/evil-key"
EVIL=$(sha256 "$T/evil-key")
http_req POST "/alice/laptop/keys/$EVIL" -u "alice:$PW_A" \
    --data-binary "@$T/evil-key"
expect_http evil-key-stored 200
tlog_wait sequenced-3
run_coffer audit --since "$(date -d '-1 minute' '+%Y-%m-%d %H:%M:%S')"
expect_rc audit-evil-key 13
expect_out audit-evil-key-listed "key.add           ${EVIL:0:16}"
expect_eq audit-evil-key-flag "$(grep -A1 "key.add           ${EVIL:0:16}" \
    "$OUT_FILE" | tail -n 1)" "  ! this machine did not do this"
rm -f -- "$REPO/keys/$EVIL"

# --- a snapshot planted without a log entry -------------------------------
head -c 500 /dev/urandom > "$T/planted"
PLANTED=$(sha256 "$T/planted")
cp -- "$T/planted" "$REPO/snapshots/$PLANTED"
run_coffer audit --since "2999-01-01"
expect_rc audit-planted 13
expect_out audit-planted-listed "snapshot ${PLANTED:0:16} is in the repository"
expect_out audit-planted-flag "the log never recorded this snapshot"
rm -f -- "$REPO/snapshots/$PLANTED"

# --- a snapshot the server deletes or withholds, unlogged -----------------
LAST=$(ls "$REPO/snapshots" | tail -n 1)
mv -- "$REPO/snapshots/$LAST" "$T/withheld"
run_coffer audit --since "2999-01-01"
expect_rc audit-withheld 13
expect_out audit-withheld-listed "snapshot ${LAST:0:16} is missing from the repository"
expect_out audit-withheld-flag "the log never recorded its removal"
mv -- "$T/withheld" "$REPO/snapshots/$LAST"

# --- an entry the server hides ---------------------------------------------
srv_stop stop-1
srv_start slow-log "$PORT" --log "$ORIGIN" --log-interval 3600 || summary
echo "three" > "$SRC/c"
COFFER_LOG_WAIT=2 run_coffer backup "$SRC"
expect_rc hidden-backup-refused 13
expect_err hidden-backup-words "did not log this change within 2 s"
HIDDEN=$(ls -t "$REPO/snapshots" | head -n 1)
srv_kill9
db_exec "DROP TRIGGER audit_no_delete;
    DELETE FROM audit WHERE action = 'snapshot.add' AND detail LIKE
    '%$HIDDEN%';
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;"
srv_start start-again "$PORT" --log "$ORIGIN" || summary
tlog_wait sequenced-4
tlog_verify log-still-valid
run_coffer audit
expect_rc audit-hidden 13
expect_out audit-hidden-local "snapshot.add      ${HIDDEN:0:16}  done by this machine"
expect_out audit-hidden-local-flag "the log does not show this change: the server hid it"
expect_out audit-hidden-repo "snapshot ${HIDDEN:0:16} is in the repository"
srv_stop stop-end
summary
