#!/usr/bin/env bash
#
# 30 recovery: passcode recovery through three realms (docs/RECOVERY.md),
# three real cofferd processes on loopback started with --realm
# --jurisdiction, threshold 2, 5 guesses per realm:
#   - setup warns when the realms declare fewer than t jurisdictions;
#   - the right PIN recovers, and the repository opens with the new
#     passcode; with one realm down it still does; with two down, a clear
#     error;
#   - a wrong PIN says how many guesses are left, and a right one after it
#     resets every counter;
#   - a realm returning a tampered evaluation is detected and named (the
#     test build tools/cofferd-faults, COFFERD_FAULT=tamper-evaluation);
#   - a realm killed between charging a guess and answering
#     (COFFERD_FAULT=crash-after-charge) has still spent the guess;
#   - one realm's whole database and the right PIN recover nothing
#     (tools/realm_offline), two do (the threshold);
#   - bad requests are refused with the realm's state unchanged;
#   - five wrong PINs, then the right one fails for good and says so;
#     setup again works; delete removes everything; the realms' audit
#     tables tell each event.

. "$(dirname -- "$0")/../srvlib.sh"

FAULTY=$(dirname -- "$COFFERD_BIN")/tools/cofferd-faults
OFFLINE=$TOOLS/realm_offline
RPW=realm-pw-30
PIN=2468
JUR=(- DE FR CH)
export COFFER_RECOVERY_PIN=$PIN
coffer_ok init init

# realm_start I [JURISDICTION [BINARY [FAULT]]]: (re)start realm I on its
# port (a free one the first time), in slot I.
NSTART=0
realm_start() {
	local i=$1 jur=${2:-${JUR[$1]}} bin=${3:-$COFFERD_BIN} fault=${4:-}
	local port=${SRVS_PORT[$i]:-0}
	NSTART=$((NSTART + 1))
	srv_slot_load "$i"
	SRV_DATA=$T/realm$i
	if [ -n "$fault" ]; then
		export COFFERD_FAULT=$fault
	fi
	COFFERD_BIN=$bin srv_start "realm$i-start$NSTART" "$port" --realm \
	    --jurisdiction "$jur"
	unset COFFERD_FAULT
	srv_slot_save "$i"
}

# realm_kill I: SIGKILL realm I.
realm_kill() {
	srv_slot_load "$1"
	srv_kill9
	srv_slot_save "$1"
}

# realm_url I: realm I's URL with alice's credentials.
realm_url() {
	printf 'http://alice:%s@127.0.0.1:%s/' "$RPW" "${SRVS_PORT[$1]}"
}

for i in 1 2 3; do
	SRV_DATA=$T/realm$i
	SRV_PID=
	SRV_PORT=
	srv_user_add "user$i" alice "$RPW"
	srv_slot_save "$i"
	realm_start "$i" DE || summary
done
REALMS=(--realm "$(realm_url 1)" --realm "$(realm_url 2)"
    --realm "$(realm_url 3)")
URL1=http://127.0.0.1:${SRVS_PORT[1]}/
URL3=http://127.0.0.1:${SRVS_PORT[3]}/
NEWPW=$T/newpw
echo 'the new passcode 30' > "$NEWPW"

# restore NAME [ARGS...]: coffer recovery restore with all three realms.
restore() {
	local name=$1
	shift
	run_coffer recovery restore "${REALMS[@]}" --new-password-file \
	    "$NEWPW" "$@"
}

# status_is NAME I TEXT: `recovery status` says TEXT of realm I.
status_is() {
	run_coffer recovery status "${REALMS[@]}"
	expect_out_line "$1" "realm http://127.0.0.1:${SRVS_PORT[$2]}/ ($(
	    jur_of "$2")): $3"
}
jur_of() {
	printf '%s' "${JUR[$1]}"
}

# --- setup ------------------------------------------------------------

# All three declare DE: one country could compel two.
run_coffer recovery setup "${REALMS[@]}" --threshold 2 --guesses 5
expect_rc setup-one-jurisdiction 0
expect_err setup-one-jurisdiction-warns "warning: the realms declare 1 \
distinct jurisdiction (DE, DE, DE) for a threshold of 2: one jurisdiction \
could compel enough realms to recover"

for i in 2 3; do
	srv_slot_load "$i"
	srv_stop "realm$i-stop-for-jurisdiction"
	srv_slot_save "$i"
	realm_start "$i" || summary
done
run_coffer recovery setup "${REALMS[@]}" --threshold 2 --guesses 5
expect_rc setup 0
expect_no_err setup-no-warning "warning"
expect_out_re setup-message "recovery set up: 3 realms, threshold 2, 5 \
wrong passcodes allowed per realm; recovery key slot [0-9a-f]{8}"
expect_out_line setup-bound "an attacker holding every realm account gets \
at most 7 passcode guesses (floor(n*G/t))"
run_coffer key list
expect_eq setup-one-recovery-slot "$(grep -c '(recovery)$' "$OUT_FILE")" 1

run_coffer recovery setup "${REALMS[@]}" --threshold 1 --guesses 5
expect_rc setup-minority-refused 1
expect_err setup-minority-message "the threshold must be a strict majority \
of the 3 realms (2 to 3)"

for i in 1 2 3; do
	status_is "status-$i" "$i" "registered, 5 of 5 guesses left"
done
expect_out_line status-recoverable "threshold 2 of 3 realms; 3 registered \
and reachable; recoverable"

# --- the right PIN ----------------------------------------------------

restore restore
expect_rc restore 0
expect_out_re restore-message "recovered the repository key with 3 of 3 \
realms; added passcode key slot [0-9a-f]{8}: use the new passcode from now on"
COFFER_PASSWORD=$(cat "$NEWPW") run_coffer key list
expect_rc restore-new-passcode-opens 0
COFFER_PASSWORD=$(cat "$NEWPW") run_coffer check
expect_rc restore-check 0

realm_kill 1
restore one-down
expect_rc one-down 0
expect_out one-down-message "recovered the repository key with 2 of 3 realms"
expect_err one-down-names-realm "realm $URL1: "

realm_kill 2
restore two-down
expect_rc two-down 1
expect_err two-down-message "recovery unavailable: 1 of the 2 realms \
needed answered (2 did not: see above); try again later"
realm_start 1 || summary
realm_start 2 || summary

# --- a wrong PIN, then the right one resets ---------------------------

COFFER_RECOVERY_PIN=1357 restore wrong-pin
expect_rc wrong-pin 12
expect_err wrong-pin-message "wrong recovery passcode: 4 guesses left"
for i in 1 2 3; do
	status_is "wrong-pin-charged-$i" "$i" "registered, 4 of 5 guesses left"
done
restore right-after-wrong
expect_rc right-after-wrong 0
for i in 1 2 3; do
	status_is "reset-$i" "$i" "registered, 5 of 5 guesses left"
done

# --- a realm that tampers with its evaluation -------------------------

if [ -x "$FAULTY" ]; then
	srv_slot_load 3
	srv_stop realm3-stop-for-tamper
	srv_slot_save 3
	realm_start 3 CH "$FAULTY" tamper-evaluation || summary
	restore tamper
	expect_rc tamper 0
	expect_err tamper-named "realm $URL3 (jurisdiction CH): evaluation \
fails its proof; this realm is misbehaving and is left out"
	expect_out tamper-recovered-without-it "with 2 of 3 realms"
	srv_slot_load 3
	srv_stop realm3-stop-after-tamper
	srv_slot_save 3
	realm_start 3 || summary
	# It was charged and never given its reset.
	status_is tamper-charged 3 "registered, 4 of 5 guesses left"
	restore tamper-reset
	expect_rc tamper-reset 0
else
	skip tamper "no $FAULTY"
fi

# --- killed between charging a guess and answering --------------------

if [ -x "$FAULTY" ]; then
	srv_slot_load 1
	srv_stop realm1-stop-for-crash
	srv_slot_save 1
	realm_start 1 DE "$FAULTY" crash-after-charge || summary
	COFFER_RECOVERY_PIN=1357 restore crash
	expect_rc crash 12
	expect_err crash-names-realm "realm $URL1: "
	expect_err crash-others-counted "wrong recovery passcode: 4 guesses left"
	if kill -0 "${SRVS_PID[1]}" 2> /dev/null; then
		fail crash-realm-died "realm 1 still runs"
	else
		pass crash-realm-died
	fi
	realm_kill 1
	realm_start 1 || summary
	# The guess was committed before the crash: it stays spent.
	status_is crash-guess-spent 1 "registered, 4 of 5 guesses left"
	restore crash-reset
	expect_rc crash-reset 0
	status_is crash-reset-1 1 "registered, 5 of 5 guesses left"
else
	skip crash "no $FAULTY"
fi

# --- one realm's database alone ---------------------------------------

for i in 1 2 3; do
	run_cmd "$OFFLINE" "$T/repo" "$PIN" "$T/realm$i/realm.db"
	expect_rc "offline-one-$i" 1
	expect_out "offline-one-$i-message" "cannot recover: the OPRF key \
from 1 share(s) does not match the unlock key commitment"
done
run_cmd "$OFFLINE" "$T/repo" "$PIN" "$T/realm1/realm.db" \
    "$T/realm3/realm.db"
expect_rc offline-two 0
expect_out offline-two-message "recovered: 2 database(s) and the PIN open \
the repository"

# --- bad requests change nothing --------------------------------------

run_coffer recovery status "${REALMS[@]}"
BEFORE=$OUT
srv_slot_load 1
BODY=$T/body
head -c 2000 /dev/zero > "$BODY"
http_req POST /realm/v1/recover2 -u "alice:$RPW" --data-binary "@$BODY"
expect_http bad-oversized 413 "realm request too large"
printf 'hello' > "$BODY"
http_req POST /realm/v1/recover1 -u "alice:$RPW" --data-binary "@$BODY"
expect_http bad-magic 400 "malformed realm request: bad magic"
printf 'CFRQ\001\011' > "$BODY"
http_req POST /realm/v1/recover1 -u "alice:$RPW" --data-binary "@$BODY"
expect_http bad-type 400 "malformed realm request: unknown message type"
http_req POST /realm/v1/recover1 --data-binary "@$BODY"
expect_http bad-no-auth 401 "credentials required"
http_req POST /realm/v1/recover1 -u "alice:wrong" --data-binary "@$BODY"
expect_http bad-wrong-auth 401 "wrong credentials"
http_req GET /realm/v1/recover2 -u "alice:$RPW"
expect_http bad-method 405 "method not allowed"
http_req POST /realm/v1/guess -u "alice:$RPW" --data-binary "@$BODY"
expect_http bad-endpoint 404 "no such realm endpoint"
http_req GET /realm/v1/info
expect_http info 200
expect_eq info-jurisdiction "$(jq -r .jurisdiction <<< "$HTTP_BODY")" DE
run_coffer recovery status "${REALMS[@]}"
expect_eq bad-unchanged "$OUT" "$BEFORE"

# --- five wrong PINs, then the right one fails for good ---------------

for left in 4 3 2 1; do
	COFFER_RECOVERY_PIN=0000 restore "wrong-$left"
	expect_rc "wrong-$left" 12
	if [ "$left" -eq 1 ]; then
		expect_err "wrong-$left-message" \
		    "wrong recovery passcode: 1 guess left"
	else
		expect_err "wrong-$left-message" \
		    "wrong recovery passcode: $left guesses left"
	fi
done
COFFER_RECOVERY_PIN=0000 restore wrong-last
expect_rc wrong-last 12
expect_err wrong-last-message "wrong recovery passcode, and no guesses are \
left: the realms have destroyed the recovery record; recovery is no longer \
possible"
restore right-too-late
expect_rc right-too-late 1
expect_err right-too-late-message "recovery is no longer possible: 3 of 3 \
realms destroyed the record after too many wrong passcodes"
for i in 1 2 3; do
	status_is "destroyed-$i" "$i" "no guesses left: record destroyed"
done
expect_rc destroyed-status-fails 1
run_cmd "$OFFLINE" "$T/repo" "$PIN" "$T/realm1/realm.db" \
    "$T/realm2/realm.db"
expect_rc destroyed-offline 1
expect_out destroyed-offline-message "cannot recover: no record"

# A new setup replaces the destroyed record.
run_coffer recovery setup "${REALMS[@]}"
expect_rc setup-again 0
expect_out_line setup-again-bound "an attacker holding every realm account \
gets at most 15 passcode guesses (floor(n*G/t))"
restore after-setup-again
expect_rc after-setup-again 0

# --- delete -----------------------------------------------------------

run_coffer recovery delete "${REALMS[@]}"
expect_rc delete 0
expect_out_line delete-message "recovery deleted from 3 realms and from the \
repository"
run_coffer recovery status "${REALMS[@]}"
expect_rc delete-status 1
expect_out_line delete-status-message "recovery is not set up for this \
repository"

# --- a repository on realm 1's server, restored without --realm ------

# The recorded realm on the repository's own server gets the repository
# URL's credentials; the others are named, and two are needed.
srv_slot_load 1
REST=$(srv_repo_url alice "$RPW" main)
COFFER_REPOSITORY=$REST run_coffer init
expect_rc rest-init 0
COFFER_REPOSITORY=$REST run_coffer recovery setup "${REALMS[@]}"
expect_rc rest-setup 0
COFFER_REPOSITORY=$REST run_coffer recovery status
expect_out_line rest-status-own-realm "realm $URL1 (DE): registered, 10 of \
10 guesses left"
expect_err rest-status-names-others "no credentials for the recorded realm \
$URL3 (CH): give --realm with USER:SECRET@ in its URL"
COFFER_REPOSITORY=$REST run_coffer recovery restore --new-password-file \
    "$NEWPW"
expect_rc rest-restore-needs-two 1
expect_err rest-restore-message "recovery unavailable: 1 of the 2 realms \
needed answered"
COFFER_REPOSITORY=$REST restore rest-restore
expect_rc rest-restore 0
COFFER_REPOSITORY=$REST COFFER_PASSWORD=$(cat "$NEWPW") run_coffer key list
expect_rc rest-restored-opens 0

srv_slot_load 1
run_cmd "$COFFERD_BIN" audit alice --data "$SRV_DATA"
for a in recovery.register recovery.charge recovery.success \
    recovery.exhausted recovery.delete; do
	expect_out "audit-$a" "$a"
done

for i in 1 2 3; do
	srv_slot_load "$i"
	srv_stop "realm$i-stop"
	srv_slot_save "$i"
done
summary
