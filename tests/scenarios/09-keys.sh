#!/usr/bin/env bash
#
# 09 keys: key slots.  `key add` makes a second slot that opens the same
# repository with another passcode; `key list` shows both and marks the
# one in use; `key passwd` replaces the slot in use (its old passcode stops
# working, the other slot is untouched); `key remove` removes another slot
# and refuses to remove the slot in use or the last one.  Key slots are the
# files keys/<64hex>.

. "$(dirname -- "$0")/../lib.sh"

PW2='second passcode'
PW3='third passcode'
printf '%s\n' "$PW2" > "$T/pw2"
printf '%s\n' "$PW3" > "$T/pw3"
SRC=$T/src
mkdir -p "$SRC"
printf 'data\n' > "$SRC/f"

# opens NAME PASSCODE: the passcode opens the repository (one snapshot).
opens() {
	COFFER_PASSWORD=$2 run_coffer snapshots --json
	expect_rc "$1-rc" 0
	expect_eq "$1-snapshots" "$(jq length <<< "$OUT" 2> /dev/null)" 1
}

# refused NAME PASSCODE: the passcode is a wrong passcode now.
refused() {
	COFFER_PASSWORD=$2 run_coffer snapshots
	expect_rc "$1-rc" 12
	expect_err "$1-message" "wrong passcode"
}

# listed NAME ID CURRENT: the line of `key list` that shows ID's first 8
# hex digits does (CURRENT=1) or does not (0) have the '*' mark.
listed() {
	local line
	line=$(grep -F -e "${2:0:8}" -- "$OUT_FILE")
	if [ -z "$line" ]; then
		fail "$1" "key ${2:0:8} not listed: $OUT"
	elif [ "$(printf '%s\n' "$line" | wc -l)" -ne 1 ]; then
		fail "$1" "key ${2:0:8} on several lines: $line"
	elif [ "$3" = 1 ] && [[ $line != *'*'* ]]; then
		fail "$1" "key ${2:0:8} in use but not marked: $line"
	elif [ "$3" = 0 ] && [[ $line == *'*'* ]]; then
		fail "$1" "key ${2:0:8} marked but not in use: $line"
	else
		pass "$1"
	fi
}

# json_keys: the number of slots in the last `key list --json` (an array,
# or one object per line).
json_keys() {
	jq -s 'if length == 1 and (.[0] | type) == "array" then .[0] | length
	    else length end' -- "$OUT_FILE" 2> /dev/null
}

coffer_ok init-rc init || summary
coffer_ok backup-rc backup "$SRC"
K1=$(ids_in keys)
expect_eq one-key-file "$(printf '%s\n' "$K1" | wc -l)" 1

# --- add ------------------------------------------------------------------------
coffer_ok add-rc key add --new-password-file "$T/pw2"
K2=$(comm -13 <(printf '%s\n' "$K1") <(ids_in keys))
expect_eq add-made-one-key-file "$(ids_in keys | wc -l)" 2
check add-key-id-is-hex grep -qxE '[0-9a-f]{64}' <<< "$K2"

coffer_ok list-rc key list
listed list-k1-current "$K1" 1
listed list-k2-other "$K2" 0
coffer_ok list-json-rc key list --json
expect_eq list-json-count "$(json_keys)" 2

opens open-with-pw1 "$PW"
opens open-with-pw2 "$PW2"
COFFER_PASSWORD=$PW2 run_coffer key list
expect_rc list-as-k2-rc 0
listed list-as-k2-k2-current "$K2" 1
listed list-as-k2-k1-other "$K1" 0

# --- remove refused: the slot in use ------------------------------------------------
before=$(tree_state "$T/repo" locks)
run_coffer key remove "$K1"
expect_rc remove-current-rc 1
expect_err remove-current-message "refusing to remove"
expect_unchanged remove-current-unchanged "$before" locks
opens still-open-with-pw1 "$PW"

# --- passwd: replaces the slot in use (K1, opened with PW) ----------------------------
coffer_ok passwd-rc key passwd --new-password-file "$T/pw3"
expect_eq passwd-two-key-files "$(ids_in keys | wc -l)" 2
check passwd-k2-kept test -f "$T/repo/keys/$K2"
refused old-pw1-refused "$PW"
opens open-with-pw3 "$PW3"
opens still-open-with-pw2 "$PW2"
K3=$(comm -13 <(printf '%s\n%s\n' "$K1" "$K2" | sort) <(ids_in keys))
if [ -z "$K3" ]; then
	K3=$K1		# the slot was rewritten in place
fi
COFFER_PASSWORD=$PW3 run_coffer key list
listed list-as-k3 "$K3" 1
listed list-as-k3-k2-other "$K2" 0

# --- remove the other slot ------------------------------------------------------------
COFFER_PASSWORD=$PW3 run_coffer key remove "$K2"
expect_rc remove-other-rc 0
expect_absent remove-other-file-gone "$T/repo/keys/$K2"
expect_eq remove-other-one-left "$(ids_in keys | wc -l)" 1
refused removed-pw2-refused "$PW2"
opens still-open-with-pw3 "$PW3"

# --- remove refused: the last slot --------------------------------------------------------
before=$(tree_state "$T/repo" locks)
COFFER_PASSWORD=$PW3 run_coffer key remove "$K3"
expect_rc remove-last-rc 1
expect_err remove-last-message "refusing to remove"
expect_unchanged remove-last-unchanged "$before" locks
opens last-still-opens "$PW3"

# A key id that does not exist is an error too.
COFFER_PASSWORD=$PW3 run_coffer key remove "$(printf '0%.0s' $(seq 64))"
expect_rc remove-unknown-rc 1

# The data is all still there.
COFFER_PASSWORD=$PW3 run_coffer check --read-data
expect_rc check-rc 0

summary
