#!/usr/bin/env bash
#
# 20 cofferd admin: the operator's commands on accounts and credentials,
# run with the real cofferd binary against a fresh data directory.
# `user add|list|quota|passwd|remove` and `token add|list|revoke` do what
# they say; `token add` prints the token alone on stdout and its id (the
# first 16 hex digits of its SHA-256) on stderr; `audit` lists every
# change, in order, with actor admin:<unix user>, and a refused command
# adds nothing to it; every error (duplicate or unknown user, bad
# permission, bad name, bad quota, no password) exits 1 with a message;
# and neither a password nor a token is anywhere in the database files.

. "$(dirname -- "$0")/../lib.sh"

COFFERD_BIN=${COFFERD_BIN:-$(dirname "$COFFER_BIN")/cofferd}
if [ ! -e "$COFFERD_BIN" ]; then
	pass cofferd-missing-skip
	summary
fi
# Cheap Argon2id for the test; never on a real server.
export COFFERD_TEST_FAST_HASH=1
unset COFFER_PASSWORD

D=$T/data
PW_A='alice first password'
PW_A2='alice second password'
PW_B='bob password'
if ME=$(id -un 2> /dev/null); then
	ME="admin:$ME"
else
	ME="admin:uid$(id -u)"
fi

# cofferd ARGS...: run the binary (run_cmd: no terminal, time limit).
cofferd() {
	run_cmd "$COFFERD_BIN" "$@"
}

# refused NAME SUBSTRING ARGS...: cofferd ARGS exits 1 with SUBSTRING on
# stderr and nothing on stdout.
refused() {
	local name=$1 msg=$2
	shift 2
	cofferd "$@"
	expect_rc "$name-rc" 1
	expect_err "$name-message" "$msg"
	expect_eq "$name-no-stdout" "$OUT" ""
}

# list_users: USERS = the names in `user list --json`, space-separated.
list_users() {
	cofferd user list --data "$D" --json
	USERS=$(jq -r '[.[].name] | join(" ")' <<< "$OUT" 2> /dev/null)
}

# count_audit: NAUDIT = the number of audit rows.
count_audit() {
	cofferd audit --data "$D" --json
	NAUDIT=$(jq length <<< "$OUT" 2> /dev/null)
}

# --- user add ---------------------------------------------------------------
COFFERD_PASSWORD=$PW_A cofferd user add alice --data "$D"
expect_rc add-alice-rc 0 || summary
expect_out add-alice-message "added user alice"
expect_eq add-dir-mode "$(stat -c %a "$D")" 700
expect_eq add-db-mode "$(stat -c %a "$D/cofferd.db")" 600
COFFERD_PASSWORD=$PW_B cofferd user add bob --data="$D"
expect_rc add-bob-rc 0
list_users
expect_eq list-two "$USERS" "alice bob"
count_audit
N0=$NAUDIT
expect_eq audit-two-adds "$N0" 2

COFFERD_PASSWORD=x refused add-duplicate "user alice already exists" \
    user add alice --data "$D"
i=0
for bad in Alice .hidden a/b 'a b' "$(printf 'a%.0s' $(seq 65))" '' \
    "$(printf 'a\nb')"; do
	i=$((i + 1))
	COFFERD_PASSWORD=x refused "add-bad-name-$i" "invalid user name" \
	    user add "$bad" --data "$D"
done
COFFERD_PASSWORD='' refused add-no-password "no password" \
    user add carol --data "$D"
refused add-no-data "missing --data" user add carol
refused add-extra-arg "too many arguments" user add carol dave --data "$D"
refused unknown-sub "unknown subcommand" user frobnicate --data "$D"
refused unknown-option "unknown option --force" user remove bob --force \
    --data "$D"
refused list-no-dir "cofferd data directory" user list --data "$T/nowhere"
expect_absent list-no-dir-not-made "$T/nowhere"
list_users
expect_eq refused-adds-nothing "$USERS" "alice bob"
count_audit
expect_eq refused-audits-nothing "$NAUDIT" "$N0"

# --- quota ------------------------------------------------------------------
cofferd user quota alice 10G --data "$D"
expect_rc quota-rc 0
cofferd user list --data "$D" --json
expect_eq quota-json "$(jq -r '.[] | select(.name == "alice") | .quota' \
    <<< "$OUT")" 10737418240
expect_eq quota-used "$(jq -r '.[0].used' <<< "$OUT")" 0
cofferd user list --data "$D"
expect_rc list-text-rc 0
expect_out_re list-text-alice 'alice +10737418240 +0 +[0-9T:-]+Z'
expect_out_re list-text-bob 'bob +unlimited +0 +[0-9T:-]+Z'
cofferd user quota alice 512k --data "$D"
expect_rc quota-k-rc 0
cofferd user list --data "$D" --json
expect_eq quota-k "$(jq -r '.[0].quota' <<< "$OUT")" 524288
i=0
for bad in 10X -5 1.5G '' 99999999999T 1KB ' 1' 0x10; do
	i=$((i + 1))
	refused "quota-bad-$i" "invalid quota" \
	    user quota alice "$bad" --data "$D"
done
refused quota-unknown "no such user: carol" user quota carol 1G --data "$D"
refused quota-missing "missing argument" user quota alice --data "$D"

# --- passwd -----------------------------------------------------------------
have_sqlite=0
if command -v sqlite3 > /dev/null 2>&1; then
	have_sqlite=1
	H1=$(sqlite3 "$D/cofferd.db" "SELECT pwhash FROM users WHERE
	    name = 'alice'")
fi
COFFERD_PASSWORD=$PW_A2 cofferd user passwd alice --data "$D"
expect_rc passwd-rc 0
expect_out passwd-message "changed the password of alice"
if [ "$have_sqlite" = 1 ]; then
	H2=$(sqlite3 "$D/cofferd.db" "SELECT pwhash FROM users WHERE
	    name = 'alice'")
	# shellcheck disable=SC2016  # a literal $
	check passwd-argon2id grep -q '^\$argon2id\$' <<< "$H2"
	check passwd-hash-changed test "$H1" != "$H2"
else
	skip passwd-hash-changed "no sqlite3 command"
fi
COFFERD_PASSWORD=x refused passwd-unknown "no such user: carol" \
    user passwd carol --data "$D"
COFFERD_PASSWORD='' refused passwd-no-password "no password" \
    user passwd alice --data "$D"

# --- tokens -----------------------------------------------------------------
cofferd token add alice --perm append --label 'laptop restic' --data "$D"
expect_rc token-add-rc 0
TOK=$OUT
expect_out_re token-format 'cft_[A-Za-z0-9_-]{43}'
expect_eq token-one-line "$(wc -l < "$OUT_FILE")" 1
ID=$(printf '%s' "$TOK" | sha256sum | cut -c1-16)
expect_err token-id-on-stderr "$ID"
expect_no_err token-not-on-stderr "${TOK:-cft_}"
cofferd token add alice --perm=read --data "$D"
expect_rc token-add-read-rc 0
TOK2=$OUT
ID2=$(printf '%s' "$TOK2" | sha256sum | cut -c1-16)
check token-distinct test "$TOK" != "$TOK2"

refused token-bad-perm "--perm must be full, append or read" \
    token add alice --perm admin --data "$D"
refused token-no-perm "--perm must be full, append or read" \
    token add alice --data "$D"
refused token-unknown-user "no such user: carol" \
    token add carol --perm read --data "$D"
refused token-bad-name "invalid user name" \
    token add ALICE --perm read --data "$D"
refused token-bad-label "invalid permission or label" \
    token add alice --perm read --label "$(printf 'a\tb')" --data "$D"
refused token-perm-elsewhere "option not accepted here" \
    user list --perm read --data "$D"

cofferd token list alice --data "$D" --json
expect_rc token-list-rc 0
expect_eq token-list-ids "$(jq -r '[.[].id] | join(" ")' <<< "$OUT")" \
    "$ID $ID2"
expect_eq token-list-perm "$(jq -r '.[0].perm' <<< "$OUT")" append
expect_eq token-list-label "$(jq -r '.[0].label' <<< "$OUT")" \
    'laptop restic'
expect_no_out token-list-no-secret "${TOK:-cft_}"
cofferd token list alice --data "$D"
expect_out_re token-list-text "$ID +append +[0-9T:-]+Z +laptop restic"
cofferd token list bob --data "$D" --json
expect_eq token-list-bob-empty "$OUT" "[]"
refused token-list-unknown "no such user: carol" token list carol --data "$D"

refused revoke-other-user "user bob has no token $ID" \
    token revoke bob "$ID" --data "$D"
refused revoke-bad-id "16 hex digits" token revoke alice xyz --data "$D"
cofferd token revoke alice "$ID" --data "$D"
expect_rc revoke-rc 0
expect_out revoke-message "revoked token $ID of alice"
refused revoke-again "user alice has no token $ID" \
    token revoke alice "$ID" --data "$D"
cofferd token list alice --data "$D" --json
expect_eq revoke-listed "$(jq -r '[.[].id] | join(" ")' <<< "$OUT")" "$ID2"

# --- remove -----------------------------------------------------------------
cofferd user remove bob --data "$D"
expect_rc remove-rc 0
list_users
expect_eq remove-listed "$USERS" "alice"
refused remove-again "no such user: bob" user remove bob --data "$D"
refused remove-bad-name "invalid user name" user remove ../bob --data "$D"

# --- audit ------------------------------------------------------------------
cofferd audit --data "$D" --json
expect_rc audit-rc 0
expect_eq audit-actions "$(jq -r '[.[] | .user + ":" + .action] |
    join(" ")' <<< "$OUT")" "alice:user.add bob:user.add alice:quota.set \
alice:quota.set alice:user.passwd alice:token.add alice:token.add \
alice:token.revoke bob:user.remove"
expect_eq audit-seq "$(jq -r '[.[].seq] | join(" ")' <<< "$OUT")" \
    "1 2 3 4 5 6 7 8 9"
expect_eq audit-actor "$(jq -r '[.[].actor] | unique | join(" ")' \
    <<< "$OUT")" "$ME"
expect_eq audit-quota-detail "$(jq -r '.[2].detail' <<< "$OUT")" \
    "quota=10737418240"
expect_eq audit-token-detail "$(jq -r '.[5].detail' <<< "$OUT")" \
    "id=$ID perm=append label=laptop restic"
expect_eq audit-revoke-detail "$(jq -r '.[7].detail' <<< "$OUT")" "id=$ID"
expect_eq audit-remove-detail "$(jq -r '.[8].detail' <<< "$OUT")" "tokens=0"
now=$(date +%s)
expect_le audit-time "$(jq -r '.[-1].time' <<< "$OUT")" "$now"
expect_ge audit-time-recent "$(jq -r '.[0].time' <<< "$OUT")" \
    $((now - 600))

cofferd audit --data "$D"
expect_rc audit-text-rc 0
for a in user.add quota.set user.passwd token.add token.revoke \
    user.remove; do
	re="[0-9]+ +[0-9T:-]+Z +[a-z]+ +$(re_quote "$a") +$(re_quote "$ME")"
	expect_out_re "audit-text-$a" "$re( .*)?"
done
cofferd audit bob --data "$D" --json
expect_eq audit-bob "$(jq -r '[.[].action] | join(" ")' <<< "$OUT")" \
    "user.add user.remove"
refused audit-bad-name "invalid user name" audit BOB --data "$D"

# --- no secret in the files ------------------------------------------------
leaks=
for s in "$PW_A" "$PW_A2" "$PW_B" "$TOK" "$TOK2" "${TOK#cft_}"; do
	if [ -n "$s" ] && grep -rqF -e "$s" -- "$D"; then
		leaks="$leaks [${s:0:6}...]"
	fi
done
expect_eq no-secret-in-data "$leaks" ""
check id-is-in-data grep -rqF -e "$ID2" -- "$D"

# --- export and removal of an account with data ---------------------------
COFFERD_PASSWORD=carolpw cofferd user add carol --data "$D"
expect_rc carol-add-rc 0
mkdir -p "$D/repos/carol/r1/keys"
printf 'ciphertext' > "$D/repos/carol/r1/keys/k1"
refused export-no-to "needs --to DIR" user export carol --data "$D"
cofferd user export carol --to "$T/export" --reason "court order 42" \
    --data "$D"
expect_rc export-rc 0
expect_out export-says "exported 1 files (10 bytes) of carol"
expect_same export-copy "$D/repos/carol/r1/keys/k1" "$T/export/r1/keys/k1"
refused export-exists "mkdir" user export carol --to "$T/export" --data "$D"
refused remove-with-data "still has repositories in $D/repos/carol: export" \
    user remove carol --data "$D"
check remove-with-data-kept test -f "$D/repos/carol/r1/keys/k1"
list_users
expect_eq remove-with-data-user-kept "$(tr ' ' '\n' <<< "$USERS" |
    grep -c '^carol$')" 1
cofferd user remove carol --delete-data --data "$D"
expect_rc remove-delete-data-rc 0
check remove-delete-data-gone test ! -e "$D/repos/carol"
cofferd audit carol --data "$D" --json
expect_eq audit-carol "$(jq -r '[.[].action] | join(" ")' <<< "$OUT")" \
    "user.add data.export data.export user.remove data.delete"
expect_eq audit-carol-reason "$(jq -r \
    '[.[] | select(.action == "data.export")][0].detail' <<< "$OUT")" \
    "reason: court order 42"

summary
