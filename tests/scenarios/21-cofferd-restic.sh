#!/usr/bin/env bash
#
# 21 cofferd restic: the real restic client (Debian's restic, 0.14)
# against cofferd, unchanged: init, backup of a generated tree, snapshots,
# restore byte-exact, check --read-data, a second backup, then forget
# --keep-last 1 --prune.  On the server, every object is named by its
# SHA-256 and the account's usage is what is on disk.
#
# With an append-only token (as the Basic-auth password) restic can back
# up, but forget --prune fails (403) and deletes nothing.  With a
# read-only token, snapshots and restore work (--no-lock: restic cannot
# write its lock), and backup fails without writing anything.
#
# restic retries a refused request for about 45 s before it gives up, so
# the two refusals make this scenario take a minute and a half.

# jq programs are in single quotes on purpose.
# shellcheck disable=SC2016
. "$(dirname -- "$0")/../srvlib.sh"

if ! command -v restic > /dev/null 2>&1; then
	skip restic "restic is not installed"
	summary
fi
echo "# $(restic version)"

KiB=1024
MiB=$((1024 * 1024))
PW_A=alice-pw-1
export RESTIC_PASSWORD='restic repository password'
SRC=$T/src

# --- the tree ------------------------------------------------------------
mkdir -p "$SRC/sub/deeper" "$SRC/empty-dir"
rnd "$SRC/big" $((3 * MiB + 17))
rnd "$SRC/medium" $((700 * KiB))
rnd "$SRC/sub/small" 4096
rnd "$SRC/sub/deeper/tiny" 1
: > "$SRC/empty"
printf 'some text\n' > "$SRC/sub/text"
chmod 0640 "$SRC/sub/text"
ln -s sub/text "$SRC/link"
# Some repeated data, for restic's deduplication.
cat "$SRC/medium" "$SRC/medium" > "$SRC/sub/twice"

srv_start start || summary
srv_user_add user-alice alice "$PW_A"
srv_token_add token-append alice append
TOK_APPEND=$TOKEN
srv_token_add token-read alice read
TOK_READ=$TOKEN
FULL=$(srv_repo_url alice "$PW_A" restic)
APPEND=$(srv_repo_url alice "$TOK_APPEND" restic)
READ=$(srv_repo_url alice "$TOK_READ" restic)
REPO=$(srv_repo_dir alice restic)

# snapshot_count NAME URL N: `restic snapshots` through URL lists N.
snapshot_count() {
	run_cmd restic -r "$2" --no-lock snapshots --json
	expect_rc "$1-rc" 0
	expect_eq "$1" "$(jq length <<< "$OUT" 2> /dev/null)" "$3"
}

# --- init ------------------------------------------------------------------
run_cmd restic -r "$FULL" init
expect_rc init-rc 0 || summary
expect_out_re init-message "created restic repository [0-9a-f]{10} at \
$(re_quote "rest:http://alice:***@127.0.0.1:$SRV_PORT/alice/restic/")"
check init-config test -s "$REPO/config"
expect_eq init-one-key "$(find "$REPO/keys" -type f | wc -l)" 1
for d in data index snapshots locks keys; do
	check "init-dir-$d" test -d "$REPO/$d"
done

# --- backup, snapshots, restore, check ---------------------------------------
run_cmd restic -r "$FULL" backup "$SRC"
expect_rc backup-rc 0
expect_out_re backup-saved "snapshot [0-9a-f]{8} saved"
snapshot_count snapshots-1 "$FULL" 1
expect_eq snapshots-1-paths "$(jq -c '.[0].paths' <<< "$OUT" 2> /dev/null)" \
    "$(jq -cn --arg p "$SRC" '[$p]')"
expect_eq server-snapshot-files "$(find "$REPO/snapshots" -type f | wc -l)" 1
check server-has-packs test -n "$(find "$REPO/data" -type f)"
expect_eq server-objects-named-by-hash "$(srv_bad_objects)" ""
expect_eq server-no-locks-left "$(find "$REPO/locks" -type f | wc -l)" 0
expect_usage usage-after-backup alice

run_cmd restic -r "$FULL" restore latest --target "$T/r1"
expect_rc restore-rc 0
expect_treecmp restore-identical --no-atime "$SRC" "$T/r1$SRC"

run_cmd restic -r "$FULL" check --read-data
expect_rc check-rc 0
expect_out check-message "no errors were found"

# --- second backup, forget --prune -------------------------------------------
rnd "$SRC/big" $((2 * MiB))
rnd "$SRC/sub/new" $((300 * KiB))
run_cmd restic -r "$FULL" backup "$SRC"
expect_rc backup-2-rc 0
snapshot_count snapshots-2 "$FULL" 2
packs_before=$(find "$REPO/data" -type f | sort)

run_cmd restic -r "$FULL" forget --keep-last 1 --prune
expect_rc forget-prune-rc 0
expect_out forget-removed "1 snapshots have been removed, running prune"
snapshot_count snapshots-after-prune "$FULL" 1
expect_eq server-one-snapshot "$(find "$REPO/snapshots" -type f | wc -l)" 1
# The first version of big is no longer used: its pack went away.
check prune-deleted-packs test -n "$(comm -23 <(printf '%s\n' \
    "$packs_before") <(find "$REPO/data" -type f | sort))"
expect_usage usage-after-prune alice
expect_eq after-prune-objects-named-by-hash "$(srv_bad_objects)" ""

run_cmd restic -r "$FULL" check --read-data
expect_rc check-after-prune-rc 0
expect_out check-after-prune-message "no errors were found"
run_cmd restic -r "$FULL" restore latest --target "$T/r2"
expect_rc restore-after-prune-rc 0
expect_treecmp restore-after-prune-identical --no-atime "$SRC" "$T/r2$SRC"

# --- append-only token -------------------------------------------------------
printf 'appended\n' > "$SRC/sub/appended"
run_cmd restic -r "$APPEND" backup "$SRC"
expect_rc append-backup-rc 0
expect_out_re append-backup-saved "snapshot [0-9a-f]{8} saved"
snapshot_count append-snapshots "$FULL" 2
expect_eq append-no-locks-left "$(find "$REPO/locks" -type f | wc -l)" 0

before=$(tree_state "$REPO" locks)
run_cmd restic -r "$APPEND" forget --keep-last 1 --prune
expect_rc append-forget-refused-rc 1
expect_err append-forget-403 \
    "blob not removed, server response: 403 Forbidden (403)"
expect_err append-forget-message "unable to remove <snapshot/"
expect_no_out append-forget-no-prune "running prune"
now=$(tree_state "$REPO" locks)
expect_eq append-forget-changed-nothing "$now" "$before"
snapshot_count append-forget-snapshots-kept "$FULL" 2
# restic removes its own lock, which append-only allows.
expect_eq append-forget-lock-removed "$(find "$REPO/locks" -type f | wc -l)" 0

# --- read-only token ---------------------------------------------------------
snapshot_count read-snapshots "$READ" 2
run_cmd restic -r "$READ" --no-lock restore latest --target "$T/r3"
expect_rc read-restore-rc 0
expect_treecmp read-restore-identical --no-atime "$SRC" "$T/r3$SRC"

before=$(srv_state)
printf 'refused\n' > "$SRC/sub/refused"
run_cmd restic -r "$READ" backup "$SRC"
expect_rc read-backup-refused-rc 1
expect_err read-backup-403 "server response unexpected: 403 Forbidden (403)"
expect_err read-backup-message "unable to create lock in backend"
expect_no_out read-backup-nothing-saved "saved"
expect_srv_unchanged read-backup-changed-nothing "$before"

# --- the end -----------------------------------------------------------------
run_cmd restic -r "$FULL" check --read-data
expect_rc final-check-rc 0
expect_out final-check-message "no errors were found"
expect_eq final-objects-named-by-hash "$(srv_bad_objects)" ""
expect_usage final-usage alice
# Nothing of the password or the tokens in the server's log.
expect_eq log-no-secrets "$(grep -cF -e "$PW_A" -e "$TOK_APPEND" \
    -e "$TOK_READ" -- "$SRV_LOG")" 0
srv_stop stop

summary
