#!/usr/bin/env bash
#
# 07 unreadable: coffer runs as user nobody (setpriv) on a source tree that
# nobody owns, where one file (mode 000) and one directory (mode 000)
# cannot be read.  The backup goes on: each is named on a "cannot read"
# line, the last line of stderr says "backup incomplete", the exit status
# is 3, and the snapshot is saved.  It restores, with every readable file
# identical and no empty stand-in for the unreadable one.

. "$(dirname -- "$0")/../lib.sh"

if [ "$IS_ROOT" -ne 1 ] || ! command -v setpriv > /dev/null 2>&1; then
	skip unreadable "needs root and setpriv to run coffer as nobody"
	summary
fi

NOBODY=65534
# nobody must reach everything below $T, and write its own directory.
chmod 0755 -- "$T"
NB=$T/nb
SRC=$T/src
mkdir -p "$NB/home" "$SRC/sub" "$SRC/locked"
rnd "$SRC/ok1" 100000
printf 'two\n' > "$SRC/ok2"
rnd "$SRC/sub/ok3" 5000
printf 'secret\n' > "$SRC/secret"
printf 'hidden\n' > "$SRC/locked/inside"
chown -R "$NOBODY:$NOBODY" -- "$NB" "$SRC"
chmod 0000 -- "$SRC/secret" "$SRC/locked"
export COFFER_REPOSITORY=$NB/repo

# as_nobody ARGS...: run coffer ARGS... as nobody, with its own HOME.
as_nobody() {
	run_cmd env HOME="$NB/home" XDG_CACHE_HOME="$NB/home/.cache" \
	    setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
	    "$COFFER_BIN" "$@"
}

# Make sure the setup really is unreadable for nobody (and only that).
if setpriv --reuid="$NOBODY" --regid="$NOBODY" --clear-groups \
    cat -- "$SRC/secret" > /dev/null 2>&1; then
	fail setup-unreadable "nobody can read $SRC/secret"
	summary
fi

as_nobody init
expect_rc init-as-nobody-rc 0 || summary

as_nobody backup "$SRC"
expect_rc backup-rc 3
expect_err_line backup-names-file "cannot read.*$(re_quote "$SRC/secret")"
expect_err_line backup-names-dir "cannot read.*$(re_quote "$SRC/locked")"
expect_last_err backup-incomplete "backup incomplete"
expect_out_re backup-saved "snapshot [0-9a-f]{8} saved"
expect_no_err backup-readable-not-named "$SRC/ok1"

as_nobody snapshots --json
expect_rc snapshots-rc 0
expect_eq one-snapshot "$(jq length <<< "$OUT")" 1

as_nobody backup --json "$SRC"
expect_rc backup-json-rc 3
check backup-json-summary test -n "$(json_last .snapshot_id)"

as_nobody check --read-data
expect_rc check-rc 0

# Restore as root, so that owners come back too.
run_coffer snapshots --json
SNAP=$(jq -r 'sort_by(.time) | .[0].id' <<< "$OUT")
run_coffer restore "$SNAP" --target "$T/r"
expect_rc restore-rc 0
for f in ok1 ok2 sub/ok3; do
	expect_same "restore-$f" "$SRC/$f" "$T/r$SRC/$f"
	expect_eq "restore-owner-$f" "$(stat -c %u:%g -- "$T/r$SRC/$f")" \
	    "$NOBODY:$NOBODY"
done
expect_absent restore-no-unreadable-file "$T/r$SRC/secret"
expect_absent restore-no-unreadable-dir-content "$T/r$SRC/locked/inside"

summary
