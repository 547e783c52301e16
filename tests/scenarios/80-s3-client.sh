#!/usr/bin/env bash
#
# 80 s3 client: coffer straight to Ceph's S3 gateway, with a location
# s3:http://127.0.0.1:PORT/BUCKET/PREFIX.
#   - init creates the missing bucket; a second init is refused;
#   - backup of the nasty tree of tests/tools/mktree.sh (without its
#     sparse file), restore byte-exact,
#     check --read-data; an incremental backup adds no data;
#   - the objects are where the layout says, under the prefix, each named
#     by its SHA-256; a second repository under another prefix of the same
#     bucket is independent;
#   - keys with tricky names (XML entities, spaces, UTF-8, a key that looks
#     like markup) put into the repository's prefix by someone else are
#     skipped by the listings, and check still passes;
#   - a pack overwritten in the bucket is caught by check (hash mismatch);
#   - errors in words: wrong secret key (SignatureDoesNotMatch), unknown
#     access key (InvalidAccessKeyId), missing bucket (NoSuchBucket),
#     missing credentials, a bad location; no secret in any message;
#   - credentials from a profile in a shared credentials file;
#   - forget --prune deletes the packs only the forgotten snapshots used,
#     and what is left checks and restores.

. "$(dirname -- "$0")/../s3lib.sh"

SRC=$T/src
# The 2 GiB sparse file goes: reading it would take most of the time, and
# it tests nothing about the backend.
if bash "$MKTREE" "$SRC" > /dev/null 2>&1 && rm -- "$SRC/sparse/big"; then
	pass mktree
else
	fail mktree "tests/tools/mktree.sh failed"
	summary
fi
scenario_cleanup() {
	s3_delete_bucket
}

LOC="s3:$S3_ENDPOINT/$S3_BUCKET/some/prefix"
SHOWN="s3:$S3_ENDPOINT/$S3_BUCKET/some/prefix/"
export COFFER_REPOSITORY=$LOC

# no_secret NAME: the secret key appears in no output of the last run.
no_secret() {
	if [[ "$OUT$ERR" == *"$AWS_SECRET_ACCESS_KEY"* ]]; then
		fail "$1" "the secret key appears in the output"
	else
		pass "$1"
	fi
}

# --- init ---------------------------------------------------------------
check bucket-absent-before test "$(s3curl -I \
    "$S3_ENDPOINT/$S3_BUCKET" | tail -n 1)" = 404
run_coffer init
expect_rc init-rc 0 || summary
expect_out_re init-message \
    "created coffer repository [0-9a-f]{8} at $(re_quote "$SHOWN")"
no_secret init-no-secret
check init-config-in-bucket s3_get some/prefix/config "$T/config"
run_coffer init
expect_rc init-again-rc 1
expect_err init-again-message "repository already exists at $SHOWN"

# --- backup, restore, check ---------------------------------------------
run_coffer backup --json "$SRC"
expect_rc backup-rc 0 || summary
no_secret backup-no-secret
SNAP=$(json_last .snapshot_id)
run_coffer restore "$SNAP" --target "$T/restored"
expect_rc restore-rc 0
expect_treecmp restore-byte-exact "$SRC" "$T/restored$SRC"
run_coffer check --read-data
expect_rc check-rc 0
expect_out check-no-errors "no errors were found"

run_coffer backup --json "$SRC"
expect_rc backup-2-rc 0
expect_json backup-2-no-new-data .data_blobs 0

# --- the layout in the bucket -------------------------------------------
KEYS=$(s3_keys some/prefix/)
BAD=$(printf '%s\n' "$KEYS" | grep -vxE 'some/prefix/(config|(keys|index|snapshots|locks)/[0-9a-f]{64}|data/([0-9a-f]{2})/\3[0-9a-f]{62})')
expect_eq layout-only-known-keys "$BAD" ""
NPACK=$(printf '%s\n' "$KEYS" | grep -c '/data/')
expect_ge layout-has-packs "$NPACK" 1
check layout-has-snapshots test "$(printf '%s\n' "$KEYS" |
    grep -c '/snapshots/')" -eq 2
PACK=$(printf '%s\n' "$KEYS" | grep -m 1 '/data/')
s3_get "$PACK" "$T/pack"
expect_eq pack-named-by-hash "$(sha256sum < "$T/pack" | cut -c1-64)" \
    "${PACK##*/}"

# Another repository in the same bucket, another prefix.
COFFER_REPOSITORY="s3:$S3_ENDPOINT/$S3_BUCKET/other" run_coffer init
expect_rc second-repo-init 0
COFFER_REPOSITORY="s3:$S3_ENDPOINT/$S3_BUCKET/other" run_coffer snapshots \
    --json
expect_rc second-repo-empty-rc 0
expect_eq second-repo-empty "$(jq length < "$OUT_FILE")" 0
run_coffer snapshots --json
expect_eq first-repo-two-snapshots "$(jq length < "$OUT_FILE")" 2

# --- tricky keys left in the prefix by someone else ----------------------
echo junk > "$T/junk"
ok=0
for k in 'data/ab/a%26b%20c' 'data/%3CKey%3Ex%3C/Key%3E' \
    'index/%C3%A9t%C3%A9%20%F0%9F%98%80' 'snapshots/q%22u%27o%3Ete' \
    'keys/0000' 'data/00/%5D%5D%3E' 'locks/tab%09x'; do
	s3_put "some/prefix/$k" "$T/junk" && ok=$((ok + 1))
done
expect_eq tricky-keys-stored "$ok" 7
run_coffer check --read-data
expect_rc tricky-keys-check-rc 0
expect_out tricky-keys-check-clean "no errors were found"
run_coffer snapshots --json
expect_eq tricky-keys-snapshots "$(jq length < "$OUT_FILE")" 2

# --- a damaged pack ------------------------------------------------------
cp "$T/pack" "$T/pack.bad"
flip_byte "$T/pack.bad" 100
check damage-stored s3_put "$PACK" "$T/pack.bad"
run_coffer check --read-data
expect_rc damage-check-rc 1
expect_err damage-check-names-pack \
    "pack ${PACK##*/}: hash does not match its name (damaged)"
check damage-repaired s3_put "$PACK" "$T/pack"
run_coffer check
expect_rc repaired-check-rc 0

# --- errors --------------------------------------------------------------
AWS_SECRET_ACCESS_KEY=wrong-secret run_coffer snapshots
expect_rc wrong-secret-rc 1
expect_err wrong-secret-message "the request's signature is refused (HTTP 403 SignatureDoesNotMatch): check AWS_SECRET_ACCESS_KEY"
AWS_ACCESS_KEY_ID=NOSUCHKEY run_coffer snapshots
expect_rc wrong-key-rc 1
expect_err wrong-key-message "does not know this access key (HTTP 403 InvalidAccessKeyId): check AWS_ACCESS_KEY_ID"
no_secret wrong-key-no-secret
COFFER_REPOSITORY="s3:$S3_ENDPOINT/${S3_BUCKET}x/p" run_coffer snapshots
expect_rc no-bucket-rc 1
expect_err no-bucket-message "bucket ${S3_BUCKET}x does not exist at $S3_ENDPOINT (coffer init creates it)"
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    "$COFFER_BIN" snapshots > /dev/null 2> "$T/err2" < /dev/null
expect_eq no-creds-rc "$?" 1
check no-creds-message grep -q "no credentials: set AWS_ACCESS_KEY_ID" \
    "$T/err2"
COFFER_REPOSITORY="s3:$S3_ENDPOINT/Bad_Bucket" run_coffer snapshots
expect_rc bad-bucket-name-rc 1
expect_err bad-bucket-name-message '"Bad_Bucket" is not a valid bucket name'
COFFER_REPOSITORY="s3:$S3_ENDPOINT/$S3_BUCKET/a/../b" run_coffer snapshots
expect_rc bad-prefix-rc 1
expect_err bad-prefix-message 'is not valid (no empty, . or .. segments'
COFFER_REPOSITORY="s3:http://user:pw@127.0.0.1:1/$S3_BUCKET" run_coffer \
    snapshots
expect_rc creds-in-url-rc 1
expect_err creds-in-url-message "no credentials in the location"

# --- a credentials profile -----------------------------------------------
cat > "$T/creds" << EOF
[default]
aws_access_key_id = NOSUCHKEY
aws_secret_access_key = nope

# a comment
[coffer-test]
aws_access_key_id = $AWS_ACCESS_KEY_ID
aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
EOF
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_SHARED_CREDENTIALS_FILE="$T/creds" AWS_PROFILE=coffer-test \
    "$COFFER_BIN" snapshots --json > "$T/out2" 2> "$T/err2" < /dev/null
expect_eq profile-rc "$?" 0
expect_eq profile-snapshots "$(jq length < "$T/out2")" 2
env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_SHARED_CREDENTIALS_FILE="$T/creds" \
    "$COFFER_BIN" snapshots > /dev/null 2> "$T/err2" < /dev/null
expect_eq default-profile-rc "$?" 1
check default-profile-used grep -q "InvalidAccessKeyId" "$T/err2"

# --- forget --prune ------------------------------------------------------
mkdir -p "$T/other"
rnd "$T/other/x" 3000000
run_coffer backup "$T/other"
expect_rc other-backup-rc 0
run_coffer forget --keep-last 1 --group-by host --prune
expect_rc forget-prune-rc 0
run_coffer snapshots --json
expect_eq forget-one-left "$(jq length < "$OUT_FILE")" 1
KEYS2=$(s3_keys some/prefix/data/)
check prune-removed-old-pack test -z "$(printf '%s\n' "$KEYS2" |
    grep -xF "$PACK")"
check prune-kept-a-pack test -n "$(printf '%s\n' "$KEYS2" |
    grep -E '/[0-9a-f]{64}$')"
run_coffer check --read-data
expect_rc prune-check-rc 0
expect_out prune-check-clean "no errors were found"
run_coffer restore latest --target "$T/restored2"
expect_rc prune-restore-rc 0
expect_same prune-restore-byte-exact "$T/other/x" "$T/restored2$T/other/x"

summary
