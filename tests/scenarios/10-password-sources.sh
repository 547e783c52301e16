#!/usr/bin/env bash
#
# 10 password sources: the passcode comes from --password-file (its
# trailing newline is not part of it), --password-command (its stdout), or
# COFFER_PASSWORD; global flags go before or after the command.  With no
# passcode and no terminal to ask on (a new session, stdin /dev/null),
# or an empty one, commands fail and nothing is created or changed.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC"
printf 'data\n' > "$SRC/f"
printf '%s\n' "$PW" > "$T/pwfile"
printf '%s' "$PW" > "$T/pwfile-no-newline"
printf 'wrong\n' > "$T/wrongfile"

coffer_ok init-rc init || summary
coffer_ok backup-rc backup "$SRC"
unset COFFER_PASSWORD

# works NAME ARGS...: coffer ARGS... succeeds and lists the one snapshot.
works() {
	local name=$1
	shift
	run_coffer "$@"
	expect_rc "$name-rc" 0
	expect_out "$name-lists" "${SRC}"
}

works file-before --password-file "$T/pwfile" snapshots
works file-after snapshots --password-file "$T/pwfile"
works file-no-newline --password-file "$T/pwfile-no-newline" snapshots
works command-before --password-command "printf '%s\\n' '$PW'" snapshots
works command-after snapshots --password-command "echo '$PW'"
works command-with-arg --password-command "cat $T/pwfile" snapshots
COFFER_PASSWORD=$PW works env snapshots
works repo-flag-and-file -r "$T/repo" --password-file "$T/pwfile" \
    snapshots
(
	unset COFFER_REPOSITORY
	works repo-flag-only --repo "$T/repo" snapshots \
	    --password-file "$T/pwfile"
)

# Wrong passcodes from each source are wrong passcodes (exit 12).
run_coffer --password-file "$T/wrongfile" snapshots
expect_rc wrong-file-rc 12
expect_err wrong-file-message "wrong passcode"
run_coffer --password-command 'echo wrong' snapshots
expect_rc wrong-command-rc 12
expect_err wrong-command-message "wrong passcode"

# nopw NAME ARGS...: coffer ARGS... fails (not 0, not a crash), says so on
# stderr, and leaves the repository as it was.
nopw() {
	local name=$1
	shift
	run_coffer "$@"
	check "$name-fails" test "$RC" -ne 0 -a "$RC" -lt 124
	check "$name-says-why" test -n "$ERR"
	expect_no_out "$name-no-data" "$SRC"
	expect_unchanged "$name-unchanged" "$before"
}
before=$(tree_state "$T/repo")
nopw no-passcode snapshots
nopw no-passcode-backup backup "$SRC"
COFFER_PASSWORD='' nopw empty-env snapshots
nopw empty-file --password-file /dev/null snapshots
nopw missing-file --password-file "$T/no-such-file" snapshots
expect_err missing-file-names-it "$T/no-such-file"
nopw failing-command --password-command false snapshots
nopw empty-command --password-command true snapshots

# init without a passcode, or with an empty one, creates nothing.
export COFFER_REPOSITORY=$T/repo2
run_coffer init
check init-no-passcode-fails test "$RC" -ne 0 -a "$RC" -lt 124
expect_absent init-no-passcode-nothing "$T/repo2/config"
COFFER_PASSWORD='' run_coffer init
check init-empty-fails test "$RC" -ne 0 -a "$RC" -lt 124
expect_absent init-empty-nothing "$T/repo2/config"
# And init takes its passcode from a file like the other commands.
run_coffer init --password-file "$T/pwfile"
expect_rc init-from-file-rc 0
COFFER_PASSWORD=$PW run_coffer snapshots
expect_rc init-from-file-opens-rc 0

summary
