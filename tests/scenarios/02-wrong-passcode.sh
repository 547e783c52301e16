#!/usr/bin/env bash
#
# 02 wrong passcode: every command that opens the repository with a wrong
# passcode exits 12 with "wrong passcode", and writes nothing at all: the
# repository's files, their contents, sizes, modes and mtimes (directories
# included, so a lock file made and removed again shows) are the same
# before and after.  Nothing is restored, no key is added.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC/sub"
rnd "$SRC/a.bin" 200000
printf 'hello\n' > "$SRC/sub/b.txt"

coffer_ok init-rc init || summary
coffer_ok backup-rc backup "$SRC"
before=$(tree_state "$T/repo")
printf 'another\n' > "$T/newpw"

export COFFER_PASSWORD="$PW-but-wrong"

# wrong NAME ARGS...: coffer ARGS... must fail as a wrong passcode.
wrong() {
	local name=$1
	shift
	run_coffer "$@"
	expect_rc "$name-rc" 12
	expect_err "$name-message" "wrong passcode"
	expect_no_out "$name-no-stdout-data" "$SRC"
	expect_unchanged "$name-repo-unchanged" "$before"
}

wrong snapshots snapshots
wrong snapshots-json snapshots --json
wrong ls ls latest
wrong backup backup "$SRC"
expect_no_out backup-no-snapshot "saved"
wrong restore restore latest --target "$T/r"
expect_absent restore-no-target "$T/r"
wrong check check
wrong check-read-data check --read-data
wrong key-list key list
wrong key-add key add --new-password-file "$T/newpw"
wrong key-passwd key passwd --new-password-file "$T/newpw"

# A prefix of the right passcode is a wrong passcode too.
export COFFER_PASSWORD=${PW:0:5}
wrong prefix snapshots

# The right passcode still opens it, and nothing was added.
export COFFER_PASSWORD=$PW
run_coffer snapshots --json
expect_rc right-again-rc 0
expect_eq right-again-one-snapshot "$(jq length <<< "$OUT")" 1
run_coffer key list
expect_rc right-again-key-list-rc 0
expect_eq still-one-key "$(ids_in keys | wc -l)" 1
run_coffer check --read-data
expect_rc right-again-check-rc 0

summary
