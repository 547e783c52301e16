#!/usr/bin/env bash
#
# 24 cofferd bad input: every kind of bad request, with curl or, for what
# curl will not send, raw bytes over bash's /dev/tcp.  Each one gets its
# exact status (and reason text, which cofferd sends as the body), its
# line in the access log, and changes nothing on the server (the
# repositories' names, sizes, times and SHA-256 are as before, and the
# account's usage is what is on disk).  /metrics counts them.
#   - paths: "..", ".", "%2e%2e" and mixed forms, "%2F"/"%2f", "%5C",
#     "//", absolute-URL and "*" request targets, NUL (%00), malformed
#     escapes, control and non-ASCII bytes, over-long paths and segments,
#     object names that are not 64 lower-case hex digits, unknown types,
#     no route, invalid user and repository names, wrong methods;
#   - credentials: none, wrong, unknown user, malformed, revoked (401 with
#     WWW-Authenticate);
#   - bodies: SHA-256 not the name (with and without Content-Length), over
#     the size limit (declared or streamed), truncated (the client closes
#     early), too slow (the server's timeout), conflicting lengths;
#   - HTTP: malformed request lines, unknown versions, oversized headers
#     and request lines.
# The server runs with --max-object-size 1M and --connection-timeout 3.

# jq programs are in single quotes on purpose.
# shellcheck disable=SC2016
. "$(dirname -- "$0")/../srvlib.sh"

KiB=1024
MiB=$((1024 * 1024))
PW_A=alice-pw-24
AS_ALICE=(-u "alice:$PW_A")
BASIC=$(printf 'alice:%s' "$PW_A" | base64 -w 0)
HEX=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
UPPER=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
BADPATH=400
NOTHEX="object name is not 64 lower-case hex digits"

srv_start start 0 --max-object-size 1M --connection-timeout 3 || summary
srv_user_add user-alice alice "$PW_A"
srv_user_add user-bob bob bob-pw-24
REPO=$(srv_repo_dir alice r)
http_req POST "/alice/r/?create=true" "${AS_ALICE[@]}"
expect_http create 200 ""
http_req POST "/bob/r/?create=true" -u bob:bob-pw-24
expect_http create-bob 200 ""
mkdir -p "$T/obj"
rnd "$T/obj/config" 100
http_req POST /alice/r/config "${AS_ALICE[@]}" --data-binary "@$T/obj/config"
expect_http put-config 200 ""
rnd "$T/obj/data" $((64 * KiB))
D=$(sha256 "$T/obj/data")
http_req POST "/alice/r/data/$D" "${AS_ALICE[@]}" --data-binary "@$T/obj/data"
expect_http put-data 200 ""
rnd "$T/obj/other" $((64 * KiB))
O=$(sha256 "$T/obj/other")
rnd "$T/obj/big" $((MiB + 1))
B=$(sha256 "$T/obj/big")
# files: the SHA-256 and path of every file on the server.
files() {
	(cd -- "$SRV_DATA/repos" && find . -type f -exec sha256sum {} + | sort)
}
start_files=$(files)

# --- paths (GET, with alice's valid credentials) -----------------------------
# Every request of this part is a GET refused by path syntax, so that the
# counters of /metrics can be checked exactly.
m_bad=$(metric 'cofferd_errors_total{kind="bad_request"}')
OTHER4XX='cofferd_requests_total{route="other",method="GET",code="4xx"}'
m_other=$(metric "$OTHER4XX")
npath=0
# bad_get NAME CODE WHY PATH [CURL-ARGS...]
bad_get() {
	npath=$((npath + 1))
	expect_refused "$1" "$2" "$3" GET "$4" "${AS_ALICE[@]}" "${@:5}"
}
DOTSEG="dot segment in path"
bad_get dotdot $BADPATH "$DOTSEG" /alice/r/../r/config
bad_get dotdot-to-other-tenant $BADPATH "$DOTSEG" /alice/../bob/r/config
bad_get dotdot-first $BADPATH "$DOTSEG" /../alice/r/config
bad_get dotdot-last $BADPATH "$DOTSEG" /alice/r/data/..
bad_get dot $BADPATH "$DOTSEG" /alice/r/./config
bad_get enc-dotdot $BADPATH "$DOTSEG" /alice/r/%2e%2e/r/config
bad_get enc-dotdot-upper $BADPATH "$DOTSEG" /alice/r/%2E%2E/r/config
bad_get enc-dotdot-mixed $BADPATH "$DOTSEG" /alice/r/.%2e/r/config
bad_get enc-dot $BADPATH "$DOTSEG" /alice/%2e/config
SLASH="encoded slash in path"
bad_get enc-slash-upper $BADPATH "$SLASH" /alice%2Fr/config
bad_get enc-slash-lower $BADPATH "$SLASH" /alice/r%2fconfig
bad_get enc-slash-name $BADPATH "$SLASH" "/alice/r/data%2F$D"
bad_get enc-slash-traversal $BADPATH "$SLASH" \
    /alice/r/..%2F..%2Fbob%2Fr%2Fconfig
bad_get enc-backslash $BADPATH "backslash in path" /alice/r/..%5C..%5Cconfig
EMPTY="empty segment in path"
bad_get double-slash $BADPATH "$EMPTY" /alice//r/config
bad_get double-slash-first $BADPATH "$EMPTY" //alice/r/config
bad_get double-slash-type $BADPATH "$EMPTY" "/alice/r/data//$D"
bad_get double-slash-end $BADPATH "$EMPTY" /alice/r/data//
ABS="not an absolute path"
bad_get absolute-url $BADPATH "$ABS" "" \
    --request-target "http://127.0.0.1:$SRV_PORT/alice/r/config"
bad_get absolute-url-other-host $BADPATH "$ABS" "" \
    --request-target "http://example.com/alice/r/config"
bad_get asterisk $BADPATH "$ABS" "" --request-target "*"
bad_get relative $BADPATH "$ABS" "" --request-target "alice/r/config"
bad_get nul $BADPATH "NUL in path" /alice/r/config%00
bad_get nul-in-name $BADPATH "NUL in path" "/alice/r/data/$D%00.tmp"
MALF="malformed percent-encoding"
bad_get bad-escape $BADPATH "$MALF" /alice/r/%zzconfig
bad_get short-escape $BADPATH "$MALF" /alice/r/config%2
bad_get bare-percent $BADPATH "$MALF" /alice/r/config%
INVAL="invalid byte in path"
bad_get enc-space $BADPATH "$INVAL" /alice/r/con%20fig
bad_get enc-newline $BADPATH "$INVAL" /alice/r/config%0d%0aX-Injected:%201
bad_get enc-del $BADPATH "$INVAL" /alice/r/config%7f
bad_get enc-high-byte $BADPATH "$INVAL" /alice/r/caf%c3%a9
bad_get long-path $BADPATH "path too long" \
    "/alice/r/data/$(printf 'a%.0s' $(seq 1 600))"
bad_get long-segment $BADPATH "path segment too long" \
    "/alice/$(printf 'r%.0s' $(seq 1 66))/config"
bad_get name-63 $BADPATH "$NOTHEX" "/alice/r/data/${HEX:1}"
bad_get name-65 $BADPATH "$NOTHEX" "/alice/r/data/${HEX}0"
bad_get name-upper $BADPATH "$NOTHEX" "/alice/r/data/$UPPER"
bad_get name-upper-existing $BADPATH "$NOTHEX" \
    "/alice/r/data/$(tr a-f A-F <<< "$D")"
bad_get name-not-hex $BADPATH "$NOTHEX" \
    "/alice/r/keys/$(printf 'g%.0s' $(seq 1 64))"
bad_get name-suffix $BADPATH "$NOTHEX" "/alice/r/index/${D:4}.tmp"
bad_get name-word $BADPATH "$NOTHEX" /alice/r/snapshots/latest
bad_get name-enc-hex $BADPATH "$NOTHEX" "/alice/r/locks/%41${HEX:1}"
UNKNOWN="unknown object type"
bad_get type-unknown 404 "$UNKNOWN" /alice/r/foo/
bad_get type-unknown-object 404 "$UNKNOWN" "/alice/r/tmp/$HEX"
bad_get type-upper 404 "$UNKNOWN" /alice/r/Data/
bad_get type-config-list 404 "$UNKNOWN" /alice/r/config/
bad_get type-config-object 404 "$UNKNOWN" "/alice/r/config/$HEX"
NOROUTE="no such route"
bad_get no-route-root 404 "$NOROUTE" /
bad_get no-route-user 404 "$NOROUTE" /alice
bad_get no-route-repo 404 "$NOROUTE" /alice/r
bad_get no-route-deep 404 "$NOROUTE" "/alice/r/data/$D/x"
bad_get no-route-file 404 "$NOROUTE" /alice/r/cofferd.db
USER="invalid user name"
bad_get user-upper $BADPATH "$USER" /Alice/r/config
bad_get user-dot $BADPATH "$USER" /.alice/r/config
bad_get user-char $BADPATH "$USER" '/ali$ce/r/config'
bad_get user-65 $BADPATH "$USER" "/$(printf 'a%.0s' $(seq 1 65))/r/config"
REPONAME="invalid repository name"
bad_get repo-upper $BADPATH "$REPONAME" /alice/R/config
bad_get repo-dot $BADPATH "$REPONAME" /alice/.r/config
bad_get repo-char $BADPATH "$REPONAME" /alice/r~1/config
bad_get repo-65 $BADPATH "$REPONAME" \
    "/alice/$(printf 'r%.0s' $(seq 1 65))/config"
bad_get repo-enc-dotfile $BADPATH "$REPONAME" /alice/%2er/config
d_bad=$(($(metric 'cofferd_errors_total{kind="bad_request"}') - m_bad))
d_other=$(($(metric "$OTHER4XX") - m_other))
expect_eq metrics-bad-request-count "$d_bad" "$npath"
expect_eq metrics-route-other-4xx "$d_other" "$npath"

# The same refusals with a body to write, or to delete: nothing moves.
expect_refused post-traversal $BADPATH "$DOTSEG" POST \
    "/alice/r/data/../../bob/r/data/$O" "${AS_ALICE[@]}" \
    --data-binary "@$T/obj/other"
expect_refused post-enc-traversal $BADPATH "$DOTSEG" POST \
    /alice/r/%2e%2e/%2e%2e/bob/r/config "${AS_ALICE[@]}" \
    --data-binary "@$T/obj/other"
expect_refused post-upper $BADPATH "$NOTHEX" POST \
    "/alice/r/data/$(tr a-f A-F <<< "$O")" "${AS_ALICE[@]}" \
    --data-binary "@$T/obj/other"
expect_refused post-unknown-type 404 "$UNKNOWN" POST "/alice/r/tmp/$O" \
    "${AS_ALICE[@]}" --data-binary "@$T/obj/other"
expect_refused delete-traversal $BADPATH "$DOTSEG" DELETE \
    /alice/r/../../bob/r/config "${AS_ALICE[@]}"
expect_refused delete-enc-slash $BADPATH "$SLASH" DELETE \
    /alice/r/data%2f..%2f..%2fconfig "${AS_ALICE[@]}"

# No such repository: nothing is created by a write into it.
expect_refused post-no-repo 404 "no such repository" POST \
    "/alice/nope/data/$O" "${AS_ALICE[@]}" --data-binary "@$T/obj/other"
expect_absent post-no-repo-not-created "$(srv_repo_dir alice nope)"
expect_refused post-no-repo-config 404 "no such repository" POST \
    /alice/nope/config "${AS_ALICE[@]}" --data-binary "@$T/obj/other"
expect_refused list-no-repo 404 "no such repository" GET \
    /alice/nope/keys/ "${AS_ALICE[@]}"
expect_refused get-no-object 404 "no such object" GET "/alice/r/data/$O" \
    "${AS_ALICE[@]}"
expect_refused delete-no-object 404 "no such object" DELETE \
    "/alice/r/keys/$O" "${AS_ALICE[@]}"

# --- methods -----------------------------------------------------------------
NOTALLOWED="method not allowed"
expect_refused method-put 405 "$NOTALLOWED" PUT /alice/r/config \
    "${AS_ALICE[@]}" --data-binary "@$T/obj/config"
expect_header method-put-allow "Allow: HEAD, GET, POST, DELETE"
expect_refused method-patch 405 "$NOTALLOWED" PATCH "/alice/r/data/$D" \
    "${AS_ALICE[@]}"
expect_refused method-get-repo 405 "$NOTALLOWED" GET /alice/r/ \
    "${AS_ALICE[@]}"
expect_header method-get-repo-allow "Allow: POST, DELETE"
expect_refused method-post-list 405 "$NOTALLOWED" POST /alice/r/data/ \
    "${AS_ALICE[@]}" --data-binary "@$T/obj/other"
expect_header method-post-list-allow "Allow: GET, HEAD"
expect_refused method-post-metrics 405 "$NOTALLOWED" POST /metrics
expect_refused create-without-query $BADPATH \
    "POST to a repository needs ?create=true" POST /alice/r2/ "${AS_ALICE[@]}"
expect_absent create-without-query-no-repo "$(srv_repo_dir alice r2)"

# --- credentials -------------------------------------------------------------
m_auth=$(metric 'cofferd_errors_total{kind="auth"}')
nauth=0
WRONG="wrong credentials"
# bad_auth NAME WHY METHOD PATH [CURL-ARGS...]: 401 with WWW-Authenticate.
bad_auth() {
	nauth=$((nauth + 1))
	expect_refused "$1" 401 "$2" "$3" "$4" "${@:5}"
	expect_header "$1-www-authenticate" \
	    'WWW-Authenticate: Basic realm="cofferd"'
}
bad_auth auth-none "credentials required" GET /alice/r/config
bad_auth auth-none-list "credentials required" GET /alice/r/data/
bad_auth auth-none-post "credentials required" POST "/alice/r/data/$O" \
    --data-binary "@$T/obj/other"
bad_auth auth-none-delete "credentials required" DELETE "/alice/r/data/$D"
bad_auth auth-wrong-password "$WRONG" GET /alice/r/config -u alice:wrong
bad_auth auth-wrong-password-post "$WRONG" POST "/alice/r/data/$O" \
    -u alice:wrong --data-binary "@$T/obj/other"
bad_auth auth-wrong-password-delete "$WRONG" DELETE "/alice/r/data/$D" \
    -u alice:wrong
bad_auth auth-other-password "$WRONG" GET /alice/r/config -u alice:bob-pw-24
bad_auth auth-unknown-user "$WRONG" GET /mallory/r/config -u mallory:x
bad_auth auth-user-case "$WRONG" GET /alice/r/config -u "ALICE:$PW_A"
bad_auth auth-empty-password "$WRONG" GET /alice/r/config -u alice:
bad_auth auth-not-base64 "$WRONG" GET /alice/r/config \
    -H 'Authorization: Basic !!!not-base64!!!'
bad_auth auth-no-colon "$WRONG" GET /alice/r/config \
    -H "Authorization: Basic $(printf alice | base64)"
bad_auth auth-empty-basic "$WRONG" GET /alice/r/config \
    -H 'Authorization: Basic'
bad_auth auth-digest "$WRONG" GET /alice/r/config \
    -H 'Authorization: Digest username="alice"'
bad_auth auth-bearer-empty "$WRONG" GET /alice/r/config \
    -H 'Authorization: Bearer'
bad_auth auth-bearer-unknown "$WRONG" GET /alice/r/config \
    -H "Authorization: Bearer cft_$(printf 'A%.0s' $(seq 1 43))"
bad_auth auth-bearer-password "$WRONG" GET /alice/r/config \
    -H "Authorization: Bearer $PW_A"
bad_auth auth-nul-in-secret "$WRONG" GET /alice/r/config \
    -H "Authorization: Basic $(printf 'alice:%s\0x' "$PW_A" | base64)"
# libsodium alone decodes any byte >= 0x80 as '/': "carol:???" is
# Y2Fyb2w6Pz8/, which must not be accepted with a 0x9e for its '/'.
srv_user_add user-carol carol '???'
http_req GET /carol/r/config -H 'Authorization: Basic Y2Fyb2w6Pz8/'
expect_http auth-basic-slash-works 404
bad_auth auth-basic-not-alphabet "$WRONG" GET /carol/r/config \
    -H "Authorization: Basic Y2Fyb2w6Pz8$(printf '\236')"
srv_token_add token-revoked alice full
REVOKED=$TOKEN
http_req GET /alice/r/config -H "Authorization: Bearer $REVOKED"
expect_http token-works-before-revoke 200
tid=$(sed -nE 's/^token id ([0-9a-f]{16}) .*/\1/p' <<< "$ERR")
srv_admin token-revoke token revoke alice "$tid"
bad_auth auth-revoked-bearer "$WRONG" GET /alice/r/config \
    -H "Authorization: Bearer $REVOKED"
bad_auth auth-revoked-basic "$WRONG" GET /alice/r/config -u "alice:$REVOKED"
d_auth=$(($(metric 'cofferd_errors_total{kind="auth"}') - m_auth))
expect_eq metrics-auth-count "$d_auth" "$nauth"

# --- bodies: hash ------------------------------------------------------------
m_hash=$(metric 'cofferd_errors_total{kind="hash_mismatch"}')
used=$(srv_used alice)
MISMATCH="hash mismatch"
for t in data keys index snapshots locks; do
	expect_refused "hash-$t" $BADPATH "$MISMATCH" POST "/alice/r/$t/$O" \
	    "${AS_ALICE[@]}" --data-binary "@$T/obj/data"
done
expect_refused hash-chunked $BADPATH "$MISMATCH" POST "/alice/r/data/$O" \
    "${AS_ALICE[@]}" -H 'Transfer-Encoding: chunked' \
    --data-binary "@$T/obj/data"
head -c -1 -- "$T/obj/other" > "$T/obj/short"
expect_refused hash-one-byte-short $BADPATH "$MISMATCH" POST \
    "/alice/r/data/$O" "${AS_ALICE[@]}" --data-binary "@$T/obj/short"
cat -- "$T/obj/other" > "$T/obj/long"
printf x >> "$T/obj/long"
expect_refused hash-one-byte-more $BADPATH "$MISMATCH" POST \
    "/alice/r/data/$O" "${AS_ALICE[@]}" --data-binary "@$T/obj/long"
expect_refused hash-empty-body $BADPATH "$MISMATCH" POST "/alice/r/data/$O" \
    "${AS_ALICE[@]}" --data-binary ''
# The existing object's name with other bytes must not replace it.
expect_refused hash-existing-name $BADPATH "$MISMATCH" POST \
    "/alice/r/data/$D" "${AS_ALICE[@]}" --data-binary "@$T/obj/other"
expect_same hash-existing-kept "$T/obj/data" "$REPO/data/${D:0:2}/$D"
d_hash=$(($(metric 'cofferd_errors_total{kind="hash_mismatch"}') - m_hash))
expect_eq metrics-hash-count "$d_hash" 10
expect_eq hash-usage-unchanged "$(srv_used alice)" "$used"

# --- bodies: size ------------------------------------------------------------
TOOBIG="object too large"
raw_file "$T/cl-big" "POST /alice/r/data/$B HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nContent-Length: $((MiB + 1))\r\n\r\n"
before=$(srv_state)
log_mark
raw_req "$T/cl-big"
expect_eq size-declared "$RAW_STATUS $RAW_BODY" "413 $TOOBIG"
expect_eq size-declared-closed "$RAW_RC" 0
expect_log size-declared-logged '.status == 413 and .error == $e' \
    --arg e "$TOOBIG"
expect_srv_unchanged size-declared-unchanged "$before"
# Streamed (no Content-Length): refused once the limit is passed.
expect_refused size-streamed 413 "$TOOBIG" POST "/alice/r/data/$B" \
    "${AS_ALICE[@]}" -H 'Transfer-Encoding: chunked' \
    --data-binary "@$T/obj/big"
expect_eq size-usage-unchanged "$(srv_used alice)" "$used"
# At the limit exactly: stored.
head -c "$MiB" -- "$T/obj/big" > "$T/obj/limit"
L=$(sha256 "$T/obj/limit")
http_req POST "/alice/r/data/$L" "${AS_ALICE[@]}" --data-binary "@$T/obj/limit"
expect_http size-at-limit 200 ""
expect_same size-at-limit-stored "$T/obj/limit" "$REPO/data/${L:0:2}/$L"
http_req DELETE "/alice/r/data/$L" "${AS_ALICE[@]}"
expect_http size-at-limit-delete 200 ""
# libmicrohttpd's own refusals of a Content-Length.
# parser_refused NAME FILE STATUS: the client gets STATUS; the access log
# has a line for it; nothing changes.
parser_refused() {
	before=$(srv_state)
	log_mark
	raw_req "$2"
	expect_eq "$1" "$RAW_STATUS" "$3"
	expect_log "$1-logged" '.error == "refused by the HTTP parser"'
	expect_srv_unchanged "$1-unchanged" "$before"
}
raw_file "$T/cl-huge" "POST /alice/r/data/$O HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nContent-Length: 99999999999999999999999\r\n\r\n"
parser_refused size-cl-overflow "$T/cl-huge" 413
raw_file "$T/cl-junk" "POST /alice/r/data/$O HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nContent-Length: 12abc\r\n\r\n"
parser_refused size-cl-junk "$T/cl-junk" 400
raw_file "$T/cl-negative" "POST /alice/r/data/$O HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nContent-Length: -1\r\n\r\n"
parser_refused size-cl-negative "$T/cl-negative" 400

# Two different lengths: which one ends the body is ambiguous (a proxy
# may take the other one), so the request must be refused (RFC 9112
# 6.3), not cut short with the rest read as a second request.
printf abcde > "$T/obj/five"
F=$(sha256 "$T/obj/five")
raw_file "$T/cl-twice" "POST /alice/r/data/$F HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nContent-Length: 5\r\nContent-Length: 40\r\n\r\n\
abcdeGET /metrics HTTP/1.1\r\nHost: t\r\n\r\n"
before=$(srv_state)
log_mark
raw_req "$T/cl-twice" 5
CLTWICE="conflicting Content-Length headers"
expect_eq cl-twice-refused "$RAW_STATUS $RAW_BODY" "400 $CLTWICE"
expect_eq cl-twice-one-answer "$(grep -ac '^HTTP/1' -- "$RAW_RESP")" 1
expect_eq cl-twice-closed "$RAW_RC" 0
expect_lt cl-twice-closed-at-once "$RAW_MS" 2000
expect_log cl-twice-logged '.status == 400 and .error == $e' --arg e "$CLTWICE"
expect_srv_unchanged cl-twice-unchanged "$before"
# Whatever happened, the next checks start from the state before.
if [ -e "$REPO/data/${F:0:2}/$F" ]; then
	http_req DELETE "/alice/r/data/$F" "${AS_ALICE[@]}"
fi
# Transfer-Encoding with Content-Length: chunked wins, and the server must
# close the connection after answering (RFC 9112 6.1).
printf fghij > "$T/obj/five2"
F2=$(sha256 "$T/obj/five2")
raw_file "$T/te-cl" "POST /alice/r/data/$F2 HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nContent-Length: 5\r\n\
Transfer-Encoding: chunked\r\n\r\n5\r\nfghij\r\n0\r\n\r\n"
raw_req "$T/te-cl" 5
if [ "$RAW_STATUS" = 200 ]; then
	expect_same te-cl-stored "$T/obj/five2" "$REPO/data/${F2:0:2}/$F2"
else
	expect_eq te-cl-refused "$RAW_STATUS" 400
fi
# Closed at once, not by the idle timeout (3 s).
expect_eq te-cl-closed "$RAW_RC" 0
expect_lt te-cl-closed-at-once "$RAW_MS" 2000
http_req DELETE "/alice/r/data/$F2" "${AS_ALICE[@]}"
expect_usage size-usage alice
used=$(srv_used alice)

# --- bodies: truncated, and too slow -----------------------------------------
raw_file "$T/trunc" "POST /alice/r/data/$O HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nContent-Length: $((64 * KiB))\r\n\r\n"
head -c $((32 * KiB)) -- "$T/obj/other" >> "$T/trunc"
before=$(srv_state)
log_mark
raw_send_close "$T/trunc"
expect_log truncated-logged '.method == "POST" and .status == 0 and
    .bytes_in == 32768 and .error == "connection closed"'
expect_srv_unchanged truncated-unchanged "$before"
expect_absent truncated-not-stored "$REPO/data/${O:0:2}/$O"
expect_eq truncated-usage-unchanged "$(srv_used alice)" "$used"
# The same upload, whole, afterwards: stored.
http_req POST "/alice/r/data/$O" "${AS_ALICE[@]}" --data-binary "@$T/obj/other"
expect_http truncated-then-whole 200 ""
expect_same truncated-then-whole-stored "$T/obj/other" \
    "$REPO/data/${O:0:2}/$O"

rnd "$T/obj/slow" 1000
S=$(sha256 "$T/obj/slow")
raw_file "$T/slow" "POST /alice/r/data/$S HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nContent-Length: 1000\r\n\r\n"
head -c 10 -- "$T/obj/slow" >> "$T/slow"
before=$(srv_state)
log_mark
raw_req "$T/slow" 20
expect_eq slow-closed-by-server "$RAW_RC" 0
expect_lt slow-closed-in-time "$RAW_MS" 10000
expect_log slow-logged '.method == "POST" and .status == 0 and
    .error == "timed out"'
expect_srv_unchanged slow-unchanged "$before"
expect_eq slow-usage "$(srv_used alice)" "$(srv_stored alice)"

# --- malformed HTTP ----------------------------------------------------------
# A request line with no space in it: libmicrohttpd closes the connection
# without an answer; cofferd logs the connection.
for l in GARBAGE GET; do
	raw_file "$T/line" "$l\r\n\r\n"
	before=$(srv_state)
	log_mark
	raw_req "$T/line"
	expect_eq "line-$l-no-answer" "$RAW_RC:$(wc -c < "$RAW_RESP")" 0:0
	expect_log "line-$l-logged" '.event == "connection" and
	    .error == "closed without a request that could be parsed"'
	expect_srv_unchanged "line-$l-unchanged" "$before"
done
# malformed NAME STATUS TEXT [REASON]: raw request TEXT is answered
# STATUS, logged (with REASON as the error when given), changes nothing.
malformed() {
	raw_file "$T/malformed" "$3"
	before=$(srv_state)
	log_mark
	raw_req "$T/malformed"
	expect_eq "$1" "$RAW_STATUS" "$2"
	if [ "$2" = 200 ]; then
		expect_log "$1-logged" '.status == 200 and .error == null'
	elif [ $# -ge 4 ]; then
		expect_log "$1-logged" '.status == ($s | tonumber) and
		    .error == $e' --arg s "$2" --arg e "$4"
	else
		expect_log "$1-logged" '.error != null'
	fi
	expect_srv_unchanged "$1-unchanged" "$before"
}
malformed http09 400 "GET /alice/r/config\r\n\r\n"
malformed extra-token 400 \
    "GET /alice/r/config HTTP/1.1 x\r\nHost: t\r\nConnection: close\r\n\r\n"
malformed header-no-colon 400 \
    "GET /alice/r/config HTTP/1.1\r\nHost: t\r\nNoColon\r\n\
Connection: close\r\n\r\n"
malformed version-9 505 "GET /alice/r/config HTTP/9.9\r\nHost: t\r\n\r\n"
malformed version-2 505 "GET /alice/r/config HTTP/2.0\r\nHost: t\r\n\r\n"
malformed lower-method 405 \
    "get /alice/r/config HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" \
    "$NOTALLOWED"
malformed raw-backslash $BADPATH "GET /alice/r/..\\0134..\\0134config \
HTTP/1.1\r\nHost: t\r\nAuthorization: Basic $BASIC\r\n\
Connection: close\r\n\r\n" "backslash in path"
malformed raw-high-byte $BADPATH "GET /alice/r/\\0377config HTTP/1.1\r\n\
Host: t\r\nAuthorization: Basic $BASIC\r\nConnection: close\r\n\r\n" \
    "$INVAL"
malformed raw-absolute $BADPATH "POST http://127.0.0.1/alice/r/data/$O \
HTTP/1.1\r\nHost: t\r\nAuthorization: Basic $BASIC\r\nContent-Length: 0\r\n\
Connection: close\r\n\r\n" "$ABS"
big=$(printf 'a%.0s' $(seq 1 40000))
malformed big-header 431 "GET /alice/r/config HTTP/1.1\r\nHost: t\r\n\
X-Big: $big\r\nAuthorization: Basic $BASIC\r\nConnection: close\r\n\r\n"
many=$(for i in $(seq 1 2000); do printf 'X-H%d: v\\r\\n' "$i"; done)
malformed many-headers 431 "GET /alice/r/config HTTP/1.1\r\nHost: t\r\n\
${many}Authorization: Basic $BASIC\r\nConnection: close\r\n\r\n"
malformed big-request-line 414 "GET /alice/r/$big HTTP/1.1\r\nHost: t\r\n\
Connection: close\r\n\r\n"
malformed bad-chunk 400 "POST /alice/r/data/$O HTTP/1.1\r\nHost: t\r\n\
Authorization: Basic $BASIC\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
# A header just under the limit is fine.
malformed big-header-ok 200 "GET /alice/r/config HTTP/1.1\r\nHost: t\r\n\
X-Big: ${big:0:16000}\r\nAuthorization: Basic $BASIC\r\n\
Connection: close\r\n\r\n"

# --- the end: still serving, nothing changed ---------------------------------
http_req GET "/alice/r/data/$D" "${AS_ALICE[@]}"
expect_http still-serving 200
expect_same still-serving-bytes "$HTTP_BODY_FILE" "$T/obj/data"
expect_eq final-objects-named-by-hash "$(srv_bad_objects)" ""
expect_usage final-usage alice
# The only change since the start is the one object uploaded on purpose.
expect_eq final-files "$(diff <(printf '%s\n' "$start_files") <(files) |
    grep '^[<>]')" "> $O  ./alice/r/data/${O:0:2}/$O"
check metrics-http-errors test "$(metric \
    'cofferd_errors_total{kind="http"}')" -ge 8
srv_stop stop

summary
