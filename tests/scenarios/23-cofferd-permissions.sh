#!/usr/bin/env bash
#
# 23 cofferd permissions: tenancy, per-credential permissions and quotas,
# spoken to the server with curl.
#   - Tenant bob, with his password, a full token or a read token, Basic or
#     Bearer, can neither list, read, write, delete nor create anything
#     under /alice/ (403 "another account's path"), not even learn whether
#     a path of hers exists.
#   - alice's append-only token cannot DELETE config, keys, data, index or
#     snapshots, nor overwrite an existing object (config included) (403),
#     but can create new objects and repositories, and delete locks.
#   - alice's read-only token can GET, HEAD and list, and nothing else.
#   - Quotas: an upload that would go over the account's quota gets 507
#     and stores nothing (with or without a Content-Length); a deletion
#     gives the bytes back.
# Every refusal has its access-log line and leaves the server's
# repositories exactly as they were (names, sizes, times, SHA-256), and
# the account's usage is what is on disk.

# jq programs are in single quotes on purpose.
# shellcheck disable=SC2016
. "$(dirname -- "$0")/../srvlib.sh"

PW_A=alice-pw-23
PW_B=bob-pw-23
PW_C=carol-pw-23
OTHER="another account's path"
DENIED="permission denied"
EXISTS="object exists"
QUOTA="quota exceeded"

srv_start start || summary
srv_user_add user-alice alice "$PW_A"
srv_user_add user-bob bob "$PW_B"
srv_user_add user-carol carol "$PW_C"
srv_token_add token-alice-append alice append
TA=$TOKEN
srv_token_add token-alice-read alice read
TR=$TOKEN
srv_token_add token-bob-full bob full
TB=$TOKEN
srv_token_add token-bob-read bob read
TBR=$TOKEN

AS_ALICE=(-u "alice:$PW_A")
AS_BOB=(-u "bob:$PW_B")
REPO=$(srv_repo_dir alice r)

# obj NAME BYTES: a file $T/obj/NAME of BYTES random bytes; H is set to
# its SHA-256, its name on the server.
mkdir -p "$T/obj"
obj() {
	rnd "$T/obj/$1" "$2"
	H=$(sha256 "$T/obj/$1")
}

# --- alice's repository, by alice --------------------------------------------
http_req POST "/alice/r/?create=true" "${AS_ALICE[@]}"
expect_http create-alice 200 ""
http_req POST "/bob/r/?create=true" "${AS_BOB[@]}"
expect_http create-bob 200 ""
check create-layout test -d "$REPO/data/00" -a -d "$REPO/data/ff" \
    -a -d "$REPO/keys" -a -d "$REPO/index" -a -d "$REPO/snapshots" \
    -a -d "$REPO/locks"

rnd "$T/obj/config" 155
http_req POST /alice/r/config "${AS_ALICE[@]}" --data-binary "@$T/obj/config"
expect_http put-config 200 ""
expect_same put-config-stored "$T/obj/config" "$REPO/config"
declare -A ID
for t in keys data index snapshots locks; do
	obj "$t" $((1000 + RANDOM))
	ID[$t]=$H
	http_req POST "/alice/r/$t/$H" "${AS_ALICE[@]}" \
	    --data-binary "@$T/obj/$t"
	expect_http "put-$t" 200 ""
	if [ "$t" = data ]; then
		expect_same "put-$t-stored" "$T/obj/$t" \
		    "$REPO/data/${H:0:2}/$H"
	else
		expect_same "put-$t-stored" "$T/obj/$t" "$REPO/$t/$H"
	fi
done
obj new 5000
NEW=$H
expect_usage usage-after-puts alice

# --- tenancy: bob under /alice/ ----------------------------------------------
# tenancy NAME AUTH...: every kind of request by AUTH under /alice/ is
# refused with 403, and changes nothing.
tenancy() {
	local n=$1
	shift
	expect_refused "$n-list" 403 "$OTHER" GET /alice/r/data/ "$@"
	expect_refused "$n-list-v2" 403 "$OTHER" GET /alice/r/keys/ "$@" \
	    -H 'Accept: application/vnd.x.restic.rest.v2'
	expect_refused "$n-get-config" 403 "$OTHER" GET /alice/r/config "$@"
	expect_refused "$n-head-config" 403 "$OTHER" HEAD /alice/r/config "$@"
	expect_refused "$n-get-data" 403 "$OTHER" GET \
	    "/alice/r/data/${ID[data]}" "$@"
	expect_refused "$n-get-range" 403 "$OTHER" GET \
	    "/alice/r/data/${ID[data]}" -r 0-9 "$@"
	expect_refused "$n-head-key" 403 "$OTHER" HEAD \
	    "/alice/r/keys/${ID[keys]}" "$@"
	expect_refused "$n-post-new" 403 "$OTHER" POST "/alice/r/data/$NEW" \
	    --data-binary "@$T/obj/new" "$@"
	expect_refused "$n-post-lock" 403 "$OTHER" POST "/alice/r/locks/$NEW" \
	    --data-binary "@$T/obj/new" "$@"
	expect_refused "$n-overwrite-config" 403 "$OTHER" POST \
	    /alice/r/config --data-binary "@$T/obj/new" "$@"
	expect_refused "$n-delete-data" 403 "$OTHER" DELETE \
	    "/alice/r/data/${ID[data]}" "$@"
	expect_refused "$n-delete-lock" 403 "$OTHER" DELETE \
	    "/alice/r/locks/${ID[locks]}" "$@"
	expect_refused "$n-delete-config" 403 "$OTHER" DELETE \
	    /alice/r/config "$@"
	expect_refused "$n-create-repo" 403 "$OTHER" POST \
	    "/alice/r/?create=true" "$@"
	expect_refused "$n-create-new-repo" 403 "$OTHER" POST \
	    "/alice/bobs/?create=true" "$@"
	# Whether a path exists is not told either: 403, not 404.
	expect_refused "$n-no-such-repo" 403 "$OTHER" GET /alice/nope/config \
	    "$@"
	expect_refused "$n-no-such-object" 403 "$OTHER" GET \
	    "/alice/r/data/$NEW" "$@"
}
tenancy bob-basic "${AS_BOB[@]}"
tenancy bob-bearer -H "Authorization: Bearer $TB"
tenancy bob-token-basic -u "bob:$TB"
expect_refused bob-read-token-list 403 "$OTHER" GET /alice/r/index/ \
    -H "Authorization: Bearer $TBR"
# alice's credentials are no better under /bob/.
expect_refused alice-on-bob 403 "$OTHER" GET /bob/r/data/ "${AS_ALICE[@]}"
expect_refused alice-token-on-bob 403 "$OTHER" POST "/bob/r/data/$NEW" \
    -u "alice:$TA" --data-binary "@$T/obj/new"
# The token is alice's: named as bob's password it is a wrong credential.
expect_refused alice-token-as-bob 401 "wrong credentials" GET /bob/r/data/ \
    -u "bob:$TA"

# --- credentials changed while the server runs ------------------------------
# The server caches verified credentials; a change made by the admin
# command (another process) must still take effect at once.
http_req GET /bob/r/data/ "${AS_BOB[@]}"
expect_http bob-before-passwd 200 "[]"
COFFERD_PASSWORD=bob-new-pw srv_admin bob-passwd user passwd bob
expect_out_line bob-passwd-message "changed the password of bob"
expect_refused bob-old-password 401 "wrong credentials" GET /bob/r/data/ \
    "${AS_BOB[@]}"
http_req GET /bob/r/data/ -u bob:bob-new-pw
expect_http bob-new-password 200 "[]"
http_req GET /bob/r/data/ -H "Authorization: Bearer $TB"
expect_http bob-token-after-passwd 200 "[]"
srv_admin bob-remove user remove bob --delete-data
expect_refused bob-removed-password 401 "wrong credentials" GET \
    /bob/r/data/ -u bob:bob-new-pw
expect_refused bob-removed-token 401 "wrong credentials" GET /bob/r/data/ \
    -H "Authorization: Bearer $TB"
expect_refused bob-removed-token-basic 401 "wrong credentials" GET \
    /bob/r/data/ -u "bob:$TBR"

# --- append-only -------------------------------------------------------------
# append NAME AUTH...: the append-only refusals and permissions.
append() {
	local n=$1 t lock
	shift
	for t in keys data index snapshots; do
		expect_refused "$n-delete-$t" 403 "$DENIED" DELETE \
		    "/alice/r/$t/${ID[$t]}" "$@"
		expect_refused "$n-overwrite-$t" 403 "$EXISTS" POST \
		    "/alice/r/$t/${ID[$t]}" --data-binary "@$T/obj/$t" "$@"
	done
	expect_refused "$n-delete-config" 403 "$DENIED" DELETE /alice/r/config \
	    "$@"
	expect_refused "$n-overwrite-config" 403 "$EXISTS" POST \
	    /alice/r/config --data-binary "@$T/obj/config" "$@"
	expect_refused "$n-overwrite-config-other" 403 "$EXISTS" POST \
	    /alice/r/config --data-binary "@$T/obj/new" "$@"
	expect_refused "$n-delete-repo" 403 "$DENIED" DELETE /alice/r/ "$@"
	# What it may do: read, list, add, and delete locks.
	http_req GET "/alice/r/data/${ID[data]}" "$@"
	expect_http "$n-get" 200
	expect_same "$n-get-bytes" "$HTTP_BODY_FILE" "$T/obj/data"
	http_req GET /alice/r/snapshots/ "$@"
	expect_http "$n-list" 200 "[\"${ID[snapshots]}\"]"
	obj "$n-data" 3000
	http_req POST "/alice/r/data/$H" --data-binary "@$T/obj/$n-data" "$@"
	expect_http "$n-add-data" 200 ""
	expect_same "$n-add-data-stored" "$T/obj/$n-data" \
	    "$REPO/data/${H:0:2}/$H"
	obj "$n-lock" 300
	lock=$H
	http_req POST "/alice/r/locks/$lock" --data-binary "@$T/obj/$n-lock" \
	    "$@"
	expect_http "$n-add-lock" 200 ""
	expect_same "$n-add-lock-stored" "$T/obj/$n-lock" "$REPO/locks/$lock"
	http_req DELETE "/alice/r/locks/$lock" "$@"
	expect_http "$n-delete-own-lock" 200 ""
	expect_absent "$n-own-lock-gone" "$REPO/locks/$lock"
}
append append-basic -u "alice:$TA"
append append-bearer -H "Authorization: Bearer $TA"
# Any lock, not only its own (restic removes stale locks too).
http_req DELETE "/alice/r/locks/${ID[locks]}" -u "alice:$TA"
expect_http append-delete-other-lock 200 ""
expect_absent append-other-lock-gone "$REPO/locks/${ID[locks]}"
http_req POST "/alice/appended/?create=true" -u "alice:$TA"
expect_http append-create-repo 200 ""
check append-created-repo test -d "$(srv_repo_dir alice appended)/data/ab"
http_req POST "/alice/appended/config" -u "alice:$TA" \
    --data-binary "@$T/obj/config"
expect_http append-new-config 200 ""
expect_same append-new-config-stored "$T/obj/config" \
    "$(srv_repo_dir alice appended)/config"
expect_usage usage-after-append alice

# --- read-only ---------------------------------------------------------------
# readonly NAME AUTH...
readonly_() {
	local n=$1
	shift
	http_req GET /alice/r/config "$@"
	expect_http "$n-get-config" 200
	expect_same "$n-get-config-bytes" "$HTTP_BODY_FILE" "$T/obj/config"
	http_req HEAD "/alice/r/keys/${ID[keys]}" "$@"
	expect_http "$n-head" 200 ""
	expect_header "$n-head-length" \
	    "Content-Length: $(file_size "$T/obj/keys")"
	http_req GET /alice/r/index/ "$@" \
	    -H 'Accept: application/vnd.x.restic.rest.v2'
	expect_http "$n-list-v2" 200 "[{\"name\":\"${ID[index]}\",\"size\":\
$(file_size "$T/obj/index")}]"
	expect_header "$n-list-v2-type" \
	    "Content-Type: application/vnd.x.restic.rest.v2"
	expect_refused "$n-post-new" 403 "$DENIED" POST "/alice/r/data/$NEW" \
	    --data-binary "@$T/obj/new" "$@"
	expect_refused "$n-post-lock" 403 "$DENIED" POST \
	    "/alice/r/locks/$NEW" --data-binary "@$T/obj/new" "$@"
	expect_refused "$n-post-snapshot" 403 "$DENIED" POST \
	    "/alice/r/snapshots/$NEW" --data-binary "@$T/obj/new" "$@"
	expect_refused "$n-create-repo" 403 "$DENIED" POST \
	    "/alice/ro/?create=true" "$@"
	expect_refused "$n-delete-data" 403 "$DENIED" DELETE \
	    "/alice/r/data/${ID[data]}" "$@"
	expect_refused "$n-delete-key" 403 "$DENIED" DELETE \
	    "/alice/r/keys/${ID[keys]}" "$@"
	expect_refused "$n-delete-config" 403 "$DENIED" DELETE \
	    /alice/r/config "$@"
	expect_refused "$n-delete-repo" 403 "$DENIED" DELETE /alice/r/ "$@"
	http_req GET "/alice/r/data/${ID[data]}" -r 10-19 "$@"
	expect_http "$n-range" 206
	expect_eq "$n-range-bytes" "$(od -An -tx1 < "$HTTP_BODY_FILE")" \
	    "$(od -An -tx1 -j 10 -N 10 < "$T/obj/data")"
	expect_header "$n-range-header" \
	    "Content-Range: bytes 10-19/$(file_size "$T/obj/data")"
	http_req GET "/alice/r/data/${ID[data]}" -r 999999- "$@"
	expect_http "$n-range-unsatisfiable" 416 "range not satisfiable"
	# An overwrite is refused as well (whatever the reason given).
	before=$(srv_state)
	http_req POST /alice/r/config --data-binary "@$T/obj/new" "$@"
	expect_http "$n-overwrite-config" 403
	expect_srv_unchanged "$n-overwrite-config-unchanged" "$before"
}
obj rlock 200
http_req POST "/alice/r/locks/$H" --data-binary "@$T/obj/rlock" \
    "${AS_ALICE[@]}"
expect_http put-lock-for-read 200 ""
RLOCK=$H
readonly_ read-basic -u "alice:$TR"
readonly_ read-bearer -H "Authorization: Bearer $TR"
expect_refused read-delete-lock 403 "$DENIED" DELETE "/alice/r/locks/$RLOCK" \
    -u "alice:$TR"

# --- full: what the others may not -------------------------------------------
obj config2 160
http_req POST /alice/r/config --data-binary "@$T/obj/config2" \
    "${AS_ALICE[@]}"
expect_http full-overwrite-config 200 ""
expect_same full-config-replaced "$T/obj/config2" "$REPO/config"
http_req DELETE "/alice/r/snapshots/${ID[snapshots]}" "${AS_ALICE[@]}"
expect_http full-delete-snapshot 200 ""
expect_absent full-snapshot-gone "$REPO/snapshots/${ID[snapshots]}"
expect_refused full-delete-repo 501 \
    "deleting a repository is not implemented" DELETE /alice/r/ \
    "${AS_ALICE[@]}"
expect_usage usage-after-full alice

# --- quota -------------------------------------------------------------------
http_req POST "/carol/q/?create=true" -u "carol:$PW_C"
expect_http quota-create 200 ""
QREPO=$(srv_repo_dir carol q)
srv_quota quota-set carol 100000
obj q1 60000
Q1=$H
obj q2 60000
Q2=$H
obj q3 30000
Q3=$H
http_req POST "/carol/q/data/$Q1" -u "carol:$PW_C" --data-binary "@$T/obj/q1"
expect_http quota-first 200 ""
expect_eq quota-first-used "$(srv_used carol)" 60000
# Sending an object that is stored already (a client's retry after a lost
# answer) stores nothing, so it cannot be over the quota: 200, as for any
# full credential (docs/PROTOCOL.md, section 5).
http_req POST "/carol/q/data/$Q1" -u "carol:$PW_C" --data-binary "@$T/obj/q1"
expect_http quota-resend-existing 200 ""
expect_eq quota-resend-existing-used "$(srv_used carol)" 60000
expect_refused quota-over 507 "$QUOTA" POST "/carol/q/data/$Q2" \
    -u "carol:$PW_C" --data-binary "@$T/obj/q2"
expect_absent quota-over-not-stored "$QREPO/data/${Q2:0:2}/$Q2"
expect_eq quota-over-used "$(srv_used carol)" 60000
# Without a Content-Length the body is counted as it comes.
expect_refused quota-over-chunked 507 "$QUOTA" POST "/carol/q/data/$Q2" \
    -u "carol:$PW_C" -H 'Transfer-Encoding: chunked' \
    --data-binary "@$T/obj/q2"
expect_eq quota-over-chunked-used "$(srv_used carol)" 60000
# Over the quota in an index or lock as much as in data.
expect_refused quota-over-index 507 "$QUOTA" POST "/carol/q/index/$Q2" \
    -u "carol:$PW_C" --data-binary "@$T/obj/q2"
expect_refused quota-over-token 507 "$QUOTA" POST "/carol/q/data/$Q2" \
    -H "Authorization: Bearer $("$COFFERD_BIN" token add \
    carol --perm append --data "$SRV_DATA" 2> /dev/null)" \
    --data-binary "@$T/obj/q2"
http_req POST "/carol/q/data/$Q3" -u "carol:$PW_C" --data-binary "@$T/obj/q3"
expect_http quota-fits 200 ""
expect_eq quota-fits-used "$(srv_used carol)" 90000
http_req DELETE "/carol/q/data/$Q1" -u "carol:$PW_C"
expect_http quota-delete 200 ""
expect_eq quota-delete-used "$(srv_used carol)" 30000
http_req POST "/carol/q/data/$Q2" -u "carol:$PW_C" --data-binary "@$T/obj/q2"
expect_http quota-after-delete 200 ""
expect_eq quota-after-delete-used "$(srv_used carol)" 90000
srv_quota quota-lower carol 50000
obj q4 10
expect_refused quota-below-usage 507 "$QUOTA" POST "/carol/q/locks/$H" \
    -u "carol:$PW_C" --data-binary "@$T/obj/q4"
http_req DELETE "/carol/q/data/$Q2" -u "carol:$PW_C"
expect_http quota-below-usage-delete 200 ""
expect_usage quota-final-usage carol
expect_usage final-usage-alice alice
expect_eq final-objects-named-by-hash "$(srv_bad_objects)" ""

srv_stop stop

summary
