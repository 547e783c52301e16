#!/usr/bin/env bash
#
# 26 cofferd tls: cofferd serving HTTPS with a self-signed certificate
# (made here with openssl, for 127.0.0.1):
#   - curl --cacert reaches it (TLS 1.2 and 1.3), with the same answers as
#     over plain HTTP (401, 403, 200);
#   - curl without the certificate refuses it (exit 60);
#   - plain HTTP to the TLS port gets no answer, and a log line;
#   - restic --cacert: init, backup, restore byte-exact, check --read-data;
#   - coffer refuses the untrusted certificate (and an unreadable or
#     wrong COFFER_CACERT) with a clear message, and with COFFER_CACERT
#     naming the certificate does init, backup, restore byte-exact and
#     check --read-data through rest:https://;
#   - bad TLS settings stop the server at start with a message: a
#     certificate without a key, a missing file, a key that does not match,
#     a file that is not PEM.

# jq programs are in single quotes on purpose.
# shellcheck disable=SC2016
SRV_SCHEME=https
. "$(dirname -- "$0")/../srvlib.sh"

if ! command -v openssl > /dev/null 2>&1; then
	fail "$SCENARIO-setup" "missing tool: openssl"
	summary
fi
MiB=$((1024 * 1024))
PW_A=alice-pw-26
CERT=$T/cert.pem
KEY=$T/key.pem

# cert NAME CERT KEY CN: a self-signed EC certificate for 127.0.0.1.
cert() {
	run_cmd openssl req -x509 -newkey ec -pkeyopt \
	    ec_paramgen_curve:prime256v1 -nodes -keyout "$3" -out "$2" \
	    -days 2 -subj "/CN=$4" -addext "subjectAltName=IP:$4"
	expect_rc "$1" 0
}
cert make-cert "$CERT" "$KEY" 127.0.0.1

srv_start start 0 --tls-cert "$CERT" --tls-key "$KEY" || summary
srv_user_add user-alice alice "$PW_A"
srv_user_add user-bob bob bob-pw-26
CURL_TLS_ARGS=(--cacert "$CERT")

# --- curl --------------------------------------------------------------------
http_req GET /metrics
expect_http curl-metrics 200
check curl-metrics-body grep -q '^cofferd_build_info{' -- "$HTTP_BODY_FILE"
http_req POST "/alice/r/?create=true" -u "alice:$PW_A"
expect_http curl-create 200 ""
http_req GET /alice/r/keys/ -u "alice:$PW_A"
expect_http curl-list 200 "[]"
http_req GET /alice/r/keys/
expect_http curl-no-credentials 401 "credentials required"
http_req GET /alice/r/keys/ -u bob:bob-pw-26
expect_http curl-other-tenant 403 "another account's path"
for v in 1.2 1.3; do
	http_req GET /metrics --tlsv"$v" --tls-max "$v"
	expect_http "curl-tls-$v" 200
done

CURL_TLS_ARGS=()
http_req GET /metrics
expect_eq curl-untrusted "$CURL_RC $HTTP_CODE" "60 000"
check curl-untrusted-message grep -q 'SSL certificate problem' -- \
    "$T/curl.err"

# --- plain HTTP to the TLS port ----------------------------------------------
log_mark
: > "$T/plain.out"
curl -sS --max-time 30 -o "$T/plain.out" -w '%{http_code}' \
    "http://127.0.0.1:$SRV_PORT/metrics" > "$T/plain.code" 2> "$T/plain.err"
rc=$?
expect_eq plain-http-no-answer "$(cat -- "$T/plain.code"):$(wc -c \
    < "$T/plain.out")" 000:0
check plain-http-curl-failed test "$rc" -ne 0
expect_log plain-http-logged '.event == "connection" and
    .error == "closed without a request that could be parsed"'
CURL_TLS_ARGS=(--cacert "$CERT")

# --- restic --cacert ---------------------------------------------------------
if command -v restic > /dev/null 2>&1; then
	export RESTIC_PASSWORD='restic over tls'
	SRC=$T/src
	mkdir -p "$SRC/d"
	rnd "$SRC/a" $((2 * MiB))
	rnd "$SRC/d/b" 5000
	RR=$(srv_repo_url alice "$PW_A" restic)
	run_cmd restic -r "$RR" --cacert "$CERT" init
	expect_rc restic-init-rc 0
	expect_out restic-init-message "created restic repository"
	run_cmd restic -r "$RR" --cacert "$CERT" backup "$SRC"
	expect_rc restic-backup-rc 0
	run_cmd restic -r "$RR" --cacert "$CERT" restore latest --target "$T/rr"
	expect_rc restic-restore-rc 0
	expect_treecmp restic-restore-identical --no-atime "$SRC" "$T/rr$SRC"
	run_cmd restic -r "$RR" --cacert "$CERT" check --read-data
	expect_rc restic-check-rc 0
	expect_out restic-check-message "no errors were found"
	expect_eq restic-objects-named-by-hash "$(srv_bad_objects)" ""
else
	skip restic-tls "restic is not installed"
fi

# --- coffer ------------------------------------------------------------------
COFFER_REPOSITORY=$(srv_repo_url alice "$PW_A" main)
export COFFER_REPOSITORY
before=$(srv_state)
run_coffer init
expect_rc coffer-untrusted-rc 1
expect_last_err coffer-untrusted-message "coffer: HEAD \
https://127.0.0.1:$SRV_PORT/alice/main/config: SSL peer certificate or SSH \
remote key was not OK"
expect_no_err coffer-untrusted-no-secret "$PW_A"
expect_srv_unchanged coffer-untrusted-changed-nothing "$before"
# A CA file that cannot be read: refused as clearly.
COFFER_CACERT=$T/no-such-ca.pem run_coffer init
expect_rc coffer-bad-cacert-rc 1
expect_last_err coffer-bad-cacert-message "coffer: HEAD \
https://127.0.0.1:$SRV_PORT/alice/main/config: Problem with the SSL CA cert \
(path? access rights?)"
expect_srv_unchanged coffer-bad-cacert-changed-nothing "$before"

# With COFFER_CACERT naming the certificate: the whole round trip.
export COFFER_CACERT=$CERT
SRC=$T/csrc
mkdir -p "$SRC/d"
rnd "$SRC/a" $((3 * MiB))
rnd "$SRC/d/b" 7000
printf 'text\n' > "$SRC/d/t"
run_coffer init
expect_rc coffer-init-rc 0
expect_out_re coffer-init-message "created coffer repository [0-9a-f]{8} at \
$(re_quote "rest:https://127.0.0.1:$SRV_PORT/alice/main/")"
run_coffer backup --json "$SRC"
expect_rc coffer-backup-rc 0
S=$(json_last .snapshot_id)
check coffer-backup-id test -n "$S"
run_coffer restore "$S" --target "$T/cr"
expect_rc coffer-restore-rc 0
expect_treecmp coffer-restore-identical --no-atime "$SRC" "$T/cr$SRC"
run_coffer check --read-data
expect_rc coffer-check-rc 0
expect_out coffer-check-message "no errors were found"
expect_eq coffer-objects-named-by-hash "$(srv_bad_objects)" ""
expect_usage coffer-usage alice
# Another certificate for the same address is not trusted by that one.
cert make-wrong-ca "$T/wrong.pem" "$T/wrong-key.pem" 127.0.0.1
COFFER_CACERT=$T/wrong.pem run_coffer snapshots
expect_rc coffer-wrong-ca-rc 1
expect_last_err coffer-wrong-ca-message "SSL peer certificate or SSH remote \
key was not OK"
unset COFFER_CACERT

srv_stop stop

# --- bad TLS settings --------------------------------------------------------
# bad_tls NAME MESSAGE ARGS...: `cofferd serve ARGS` exits 1 at once with
# MESSAGE on stderr.
bad_tls() {
	local name=$1 msg=$2
	shift 2
	run_cmd "$COFFERD_BIN" serve --data "$SRV_DATA" --listen 127.0.0.1:0 \
	    "$@"
	expect_rc "$name-rc" 1
	expect_err "$name-message" "$msg"
	expect_no_err "$name-not-listening" "cofferd listening on"
}
bad_tls no-key "cofferd: TLS needs both tls_cert and tls_key" \
    --tls-cert "$CERT"
bad_tls no-cert "cofferd: TLS needs both tls_cert and tls_key" \
    --tls-key "$KEY"
bad_tls missing-cert "cofferd: $T/nope.pem: No such file or directory" \
    --tls-cert "$T/nope.pem" --tls-key "$KEY"
cert make-other-cert "$T/cert2.pem" "$T/key2.pem" 127.0.0.2
bad_tls key-mismatch "The certificate and the given key do not match." \
    --tls-cert "$CERT" --tls-key "$T/key2.pem"
printf 'not a certificate\n' > "$T/bad.pem"
bad_tls not-pem "Failed to initialize TLS support." --tls-cert "$T/bad.pem" \
    --tls-key "$KEY"

summary
