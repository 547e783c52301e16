#!/usr/bin/env bash
#
# 03 no repository, repository exists, newer format version:
#   - every command on a location without a repository (missing path, or
#     an empty directory) exits 10 with "no repository at", and creates
#     nothing there;
#   - init where a repository exists exits 1 with "repository already
#     exists" and changes nothing;
#   - a config whose format version (little-endian uint32 at byte 4) is
#     larger than 1 is refused with "is newer than this coffer supports",
#     exit 1, by every command, without writing; putting the version back
#     makes the repository usable again.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC"
printf 'data\n' > "$SRC/f"
printf 'pw2\n' > "$T/newpw"

# --- no repository -----------------------------------------------------------
# no_repo_cmd NAME LOCATION ARGS...: coffer ARGS... fails with exit 10.
no_repo_cmd() {
	local name=$1 loc=$2
	shift 2
	run_coffer "$@"
	expect_rc "$name-rc" 10
	expect_err "$name-message" "no repository at"
	expect_err "$name-names-location" "$loc"
}

# no_repo NAME LOCATION: every command fails there, and creates nothing.
no_repo() {
	local name=$1 loc=$2 before
	before=$(ls -A -- "$loc" 2> /dev/null)
	export COFFER_REPOSITORY=$loc
	no_repo_cmd "$name-snapshots" "$loc" snapshots
	no_repo_cmd "$name-ls" "$loc" ls latest
	no_repo_cmd "$name-backup" "$loc" backup "$SRC"
	no_repo_cmd "$name-check" "$loc" check
	no_repo_cmd "$name-key-list" "$loc" key list
	no_repo_cmd "$name-restore" "$loc" restore latest --target "$T/r"
	expect_absent "$name-restore-no-target" "$T/r"
	if [ -d "$loc" ]; then
		expect_eq "$name-nothing-created" \
		    "$(ls -A -- "$loc" 2> /dev/null)" "$before"
	else
		expect_absent "$name-not-created" "$loc"
	fi
}
no_repo missing "$T/nowhere"
mkdir "$T/empty"
no_repo empty-dir "$T/empty"

# The location given with -r overrides the environment.
export COFFER_REPOSITORY=$T/repo
run_coffer -r "$T/nowhere" snapshots
expect_rc flag-r-rc 10
expect_err flag-r-message "no repository at"
run_coffer snapshots --repo "$T/nowhere"
expect_rc flag-repo-after-rc 10
expect_err flag-repo-after-message "no repository at"

# --- init twice ---------------------------------------------------------------
coffer_ok init-rc init || summary
coffer_ok backup-rc backup "$SRC"
before=$(tree_state "$T/repo")
run_coffer init
expect_rc init-again-rc 1
expect_err init-again-message "repository already exists"
expect_unchanged init-again-unchanged "$before"
# Even with another passcode (which cannot open it).
COFFER_PASSWORD=other run_coffer init
expect_rc init-again-other-pw-rc 1
expect_err init-again-other-pw-message "repository already exists"
expect_unchanged init-again-other-pw-unchanged "$before"

# --- format version ------------------------------------------------------------
cfg=$T/repo/config
expect_eq config-magic "$(head -c 4 -- "$cfg")" CFFR
expect_eq config-version-1 "$(od -An -tx1 -j 4 -N 4 -- "$cfg" | tr -d ' ')" \
    01000000

# set_version BYTE: write one byte at offset 4 (the low byte of the LE
# version), then record the repository's state.
set_version() {
	# shellcheck disable=SC2059
	printf "\\$(printf '%03o' "$1")" |
	    dd of="$cfg" bs=1 seek=4 conv=notrunc status=none
	before=$(tree_state "$T/repo")
}

set_version 99
expect_eq config-version-99 "$(od -An -tx1 -j 4 -N 4 -- "$cfg" | tr -d ' ')" \
    63000000
# newer NAME ARGS...: coffer ARGS... refuses the newer format, writes nothing.
newer() {
	local name=$1
	shift
	run_coffer "$@"
	expect_rc "$name-rc" 1
	expect_err "$name-message" "is newer than this coffer supports"
	expect_unchanged "$name-unchanged" "$before"
}
newer newer-snapshots snapshots
newer newer-ls ls latest
newer newer-backup backup "$SRC"
newer newer-check check
newer newer-key-list key list
newer newer-restore restore latest --target "$T/r"
expect_absent newer-restore-no-target "$T/r"
# The version check comes before the passcode: it is what the user must
# hear about even when the passcode is wrong too.
COFFER_PASSWORD=wrong run_coffer snapshots
expect_rc newer-wrong-pw-rc 1
expect_err newer-wrong-pw-message "is newer than this coffer supports"
run_coffer init
expect_rc newer-init-rc 1
expect_err newer-init-message "repository already exists"

# Version 2 (the next one) is refused just the same.
set_version 2
run_coffer snapshots
expect_rc version-2-rc 1
expect_err version-2-message "is newer than this coffer supports"

# Back to version 1: everything works again (only that byte was changed).
set_version 1
run_coffer snapshots --json
expect_rc version-1-again-rc 0
expect_eq version-1-again-count "$(jq length <<< "$OUT")" 1
run_coffer check --read-data
expect_rc version-1-again-check-rc 0

summary
