#!/usr/bin/env bash
#
# 83 s3 cofferd: cofferd serve --storage s3:http://127.0.0.1:PORT/BUCKET/srv
# in front of Ceph.
#   - coffer through cofferd: init, backup (packs over the 8 MiB of one
#     download window), restore byte-exact, check --read-data, forget
#     --prune; restic too (its restore reads ranges);
#   - the objects are in the bucket under srv/<user>/<repo>/ in the layout,
#     each named by its SHA-256; the data directory holds only the state:
#     no repos/, the location recorded in storage, an empty spool;
#   - an upload whose body does not match its name is refused (400) and
#     nothing of it reaches the bucket; re-sending an existing object
#     changes nothing; an append-only token cannot replace the config;
#   - the account's usage is the sum of its objects in the bucket, also
#     after a restart (recount);
#   - a restart without --storage, or with another location, is refused;
#     a repository whose marker is missing (copied into the bucket) is
#     taken as one when it has a config;
#   - user export writes the account's objects (ciphertext) to a
#     directory, user remove --delete-data empties its prefix.

. "$(dirname -- "$0")/../srvlib.sh"
. "$(dirname -- "$0")/../s3lib.sh"

scenario_cleanup() {
	srv_cleanup
	s3_delete_bucket
}
MiB=$((1024 * 1024))
PW_A=alice-pw-83
STORAGE="s3:$S3_ENDPOINT/$S3_BUCKET/srv"
SRC=$T/src
mkdir -p "$SRC/d"
rnd "$SRC/big" $((20 * MiB + 3))
rnd "$SRC/d/small" 5000
: > "$SRC/empty"

srv_start start 0 --storage "$STORAGE" || summary
srv_user_add user-alice alice "$PW_A"
srv_token_add token-append alice append
TOK_APPEND=$TOKEN
export COFFER_REPOSITORY
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" main)

# usage_matches NAME: cofferd's count of alice's bytes is the sum of her
# repositories' objects in the bucket.
usage_matches() {
	local sum
	sum=$(s3_sizes srv/alice/ | grep -v '/\.cofferd-repo ' |
	    awk '{ s += $2 } END { printf "%d\n", s }')
	expect_eq "$1" "$(srv_used alice)" "$sum"
}

# --- coffer through cofferd ---------------------------------------------
run_coffer init
expect_rc init-rc 0 || summary
run_coffer backup --json "$SRC"
expect_rc backup-rc 0 || summary
run_coffer restore latest --target "$T/r1"
expect_rc restore-rc 0
expect_treecmp restore-byte-exact "$SRC" "$T/r1$SRC"
run_coffer check --read-data
expect_rc check-rc 0
expect_out check-clean "no errors were found"
usage_matches usage-after-backup

# --- what is where --------------------------------------------------------
KEYS=$(s3_keys srv/alice/main/)
expect_eq bucket-layout "$(printf '%s\n' "$KEYS" | grep -vxE 'srv/alice/main/(config|\.cofferd-repo|(keys|index|snapshots|locks)/[0-9a-f]{64}|data/([0-9a-f]{2})/\3[0-9a-f]{62})')" ""
BIG=$(s3_sizes srv/alice/main/data/ | sort -k2 -n | tail -n 1)
expect_ge bucket-pack-over-8MiB "${BIG##* }" $((8 * MiB + 1))
PACK=${BIG%% *}
s3_get "$PACK" "$T/pack"
expect_eq bucket-pack-named-by-hash "$(sha256sum < "$T/pack" |
    cut -c1-64)" "${PACK##*/}"
expect_absent no-local-repos "$SRV_DATA/repos"
expect_eq storage-recorded "$(cat "$SRV_DATA/storage")" "$STORAGE"
expect_eq spool-empty "$(ls -A "$SRV_DATA/spool")" ""
# The same pack through cofferd, whole and as a range across a window.
curl -s -u "alice:$PW_A" -o "$T/pack2" \
    "$SRV_URL/alice/main/data/${PACK##*/}"
expect_same get-whole "$T/pack" "$T/pack2"
curl -s -u "alice:$PW_A" -r $((8 * MiB - 10))-$((8 * MiB + 9)) \
    -o "$T/range" "$SRV_URL/alice/main/data/${PACK##*/}"
expect_eq get-range-across-window "$(od -An -tx1 "$T/range" | tr -d ' \n')" \
    "$(od -An -tx1 -j $((8 * MiB - 10)) -N 20 "$T/pack" | tr -d ' \n')"

# --- uploads that must not land ---------------------------------------------
FAKE=$(printf 'x%.0s' {1..64} | tr x 0)
echo "not what the name says" > "$T/body"
# An earlier pack may be in data/00/ too (its name starts 00 1 time in 256).
KEYS00=$(s3_keys "srv/alice/main/data/00/")
code=$(curl -s -o "$T/resp" -w '%{http_code}' -u "alice:$PW_A" \
    --data-binary @"$T/body" "$SRV_URL/alice/main/data/$FAKE")
expect_eq bad-hash-400 "$code" 400
check bad-hash-says-why grep -q "hash mismatch" "$T/resp"
expect_eq bad-hash-not-in-bucket "$(s3_keys "srv/alice/main/data/00/")" \
    "$KEYS00"
before=$(srv_used alice)
code=$(curl -s -o /dev/null -w '%{http_code}' -u "alice:$PW_A" \
    --data-binary @"$T/pack" "$SRV_URL/alice/main/data/${PACK##*/}")
expect_eq resend-200 "$code" 200
expect_eq resend-usage-unchanged "$(srv_used alice)" "$before"
echo "another config" > "$T/cfg"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "alice:$TOK_APPEND" \
    --data-binary @"$T/cfg" "$SRV_URL/alice/main/config")
expect_eq append-config-403 "$code" 403
s3_get srv/alice/main/config "$T/config-now"
check config-unchanged test "$(cat "$T/config-now")" != "another config"
expect_eq spool-empty-after "$(ls -A "$SRV_DATA/spool")" ""

# --- forget --prune ---------------------------------------------------------
rnd "$SRC/d/more" 3000000
run_coffer backup "$SRC"
expect_rc backup-2-rc 0
rm -- "$SRC/big"
run_coffer backup "$SRC"
expect_rc backup-3-rc 0
run_coffer forget --keep-last 1 --prune
expect_rc forget-prune-rc 0
check prune-dropped-big-pack test -z "$(s3_keys srv/alice/main/data/ |
    grep -xF "$PACK")"
run_coffer check --read-data
expect_rc prune-check-rc 0
run_coffer restore latest --target "$T/r2"
expect_treecmp prune-restore "$SRC" "$T/r2$SRC"
usage_matches usage-after-prune

# --- restic -----------------------------------------------------------------
if command -v restic > /dev/null 2>&1; then
	export RESTIC_PASSWORD='restic password 83'
	RR=$(srv_repo_url alice "$PW_A" restic)
	run_cmd restic -r "$RR" init
	expect_rc restic-init 0
	run_cmd restic -r "$RR" backup "$SRC"
	expect_rc restic-backup 0
	run_cmd restic -r "$RR" restore latest --target "$T/r3"
	expect_rc restic-restore 0
	expect_treecmp restic-restore-exact --no-atime "$SRC" "$T/r3$SRC"
	run_cmd restic -r "$RR" check --read-data
	expect_rc restic-check 0
else
	skip restic "restic is not installed"
fi

# --- restarts -----------------------------------------------------------------
srv_stop stop-1
srv_start restart-same 0 --storage "$STORAGE"
usage_matches usage-after-recount
# A repository copied in from elsewhere: a config, no marker.
s3curl -X DELETE "$S3_ENDPOINT/$S3_BUCKET/srv/alice/main/.cofferd-repo" \
    > /dev/null
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" main)
run_coffer backup "$SRC"
expect_rc copied-in-repo-backup 0
check copied-in-repo-marked s3_get srv/alice/main/.cofferd-repo "$T/marker"
srv_stop stop-2
"$COFFERD_BIN" serve --data "$SRV_DATA" --listen 127.0.0.1:0 \
    > /dev/null 2> "$T/e1" < /dev/null
expect_eq restart-no-storage-rc "$?" 1
check restart-no-storage-says grep -qF "holds the state of repositories \
stored at $STORAGE: start with --storage $STORAGE" "$T/e1"
"$COFFERD_BIN" serve --data "$SRV_DATA" --listen 127.0.0.1:0 \
    --storage "${STORAGE}x" > /dev/null 2> "$T/e2" < /dev/null
expect_eq restart-other-storage-rc "$?" 1
check restart-other-storage-says grep -qF "not ${STORAGE}x" "$T/e2"

# --- export and removal -----------------------------------------------------
srv_admin export-rc user export alice --to "$T/export" --reason test-83
expect_out export-says "ciphertext only"
NOBJ=$(s3_keys srv/alice/ | grep -vc '/\.cofferd-repo$')
expect_eq export-all-objects "$(find "$T/export" -type f | wc -l)" "$NOBJ"
expect_same export-config-bytes "$T/export/main/config" "$T/config-now"
run_cmd "$COFFERD_BIN" user remove alice --data "$SRV_DATA"
expect_rc remove-with-data-rc 1
expect_err remove-with-data-names-s3 \
    "still has repositories in $STORAGE/alice/: export them first"
srv_admin remove-rc user remove alice --delete-data
expect_eq remove-emptied-prefix "$(s3_keys srv/alice/)" ""

summary
