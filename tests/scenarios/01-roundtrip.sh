#!/usr/bin/env bash
#
# 01 roundtrip: back up the nasty tree of tests/tools/mktree.sh (every file
# type, awkward names, hard links, xattrs, owners, nanosecond times, a
# 2 GiB sparse file), restore it, and compare everything with treecmp,
# sparseness included.  Also: the repository layout on disk, the output of
# init, backup, ls and snapshots.

# jq programs are in single quotes on purpose.
# shellcheck disable=SC2016
. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
R=$T/restore
long=$(printf 'L%.0s' $(seq 1 255))
deep=deep
for _ in $(seq 2 60); do
	deep="$deep/d"
done

if bash "$MKTREE" "$SRC"; then
	pass mktree
else
	fail mktree "tests/tools/mktree.sh failed"
	summary
fi

# --- init ------------------------------------------------------------------
run_coffer init
expect_rc init-rc 0 || summary
expect_out_re init-message \
    "created coffer repository [0-9a-f]{8} at $(re_quote "$T/repo")"
magic=$(head -c 4 -- "$T/repo/config" 2> /dev/null)
expect_eq config-magic "$magic" CFFR
version=$(od -An -tx1 -j 4 -N 4 -- "$T/repo/config" 2> /dev/null | tr -d ' ')
expect_eq config-version "$version" 01000000
expect_eq init-one-key "$(ids_in keys | wc -l)" 1
for d in data index snapshots locks keys; do
	check "init-dir-$d" test -d "$T/repo/$d"
done
expect_eq init-layout "$(bad_repo_names)" ""

# --- backup ------------------------------------------------------------------
run_coffer backup "$SRC"
expect_rc backup-rc 0
expect_out_re backup-saved "snapshot [0-9a-f]{8} saved"
expect_eq backup-no-stderr "$ERR" ""
short=$(sed -nE 's/^snapshot ([0-9a-f]{8}) saved$/\1/p' -- "$OUT_FILE")
expect_eq one-snapshot-file "$(snapshot_ids | wc -l)" 1
id=$(snapshot_ids | head -n 1)
expect_eq snapshot-short-id "$short" "${id:0:8}"
expect_eq backup-layout "$(bad_repo_names)" ""
expect_eq packs-named-by-hash "$(bad_pack_hashes)" ""
check some-packs test -n "$(packs)"
check some-index test -n "$(ids_in index)"

# The sparse file's 2 GiB of zeros must deduplicate, not be stored.
expect_lt repo-small "$(repo_bytes)" $((64 * 1024 * 1024))

# --- snapshots ---------------------------------------------------------------
run_coffer snapshots --json
expect_rc snapshots-rc 0
expect_eq snapshots-count "$(jq length <<< "$OUT")" 1
expect_eq snapshots-id "$(jq -r '.[0].id' <<< "$OUT")" "$id"
expect_eq snapshots-short-id "$(jq -r '.[0].short_id' <<< "$OUT")" "${id:0:8}"
expect_eq snapshots-paths "$(jq -c '.[0].paths' <<< "$OUT")" \
    "$(jq -cn --arg p "$SRC" '[$p]')"
expect_eq snapshots-hostname "$(jq -r '.[0].hostname' <<< "$OUT")" \
    "$(uname -n)"
expect_eq snapshots-username "$(jq -r '.[0].username' <<< "$OUT")" \
    "$(id -un)"
expect_eq snapshots-tags "$(jq -c '.[0].tags // []' <<< "$OUT")" "[]"
check snapshots-tree jq -e '.[0].tree | test("^[0-9a-f]{64}$")' <<< "$OUT"
check snapshots-time jq -e '.[0].time | test("^[0-9]{4}-")' <<< "$OUT"
check snapshots-no-parent jq -e '.[0].parent == null' <<< "$OUT"

run_coffer snapshots
expect_rc snapshots-table-rc 0
expect_out snapshots-table-id "${id:0:8}"
expect_out snapshots-table-path "$SRC"

# --- ls ----------------------------------------------------------------------
run_coffer ls latest
expect_rc ls-rc 0
expect_out_line ls-root "$SRC"
expect_out_line ls-file "$SRC/files/one"
expect_out_line ls-empty-dir "$SRC/empty"
expect_out_line ls-spaces "$SRC/names/with  two spaces"
expect_out_line ls-leading-space "$SRC/names/ leading space"
expect_out_line ls-trailing-space "$SRC/names/trailing space "
expect_out_line ls-glob-chars "$SRC/names/*?[a]"
expect_out_line ls-dash "$SRC/names/-rf"
expect_out_line ls-utf8 "$SRC/names/caf"$'\303\251'" ünïcødé ✓"
expect_out_line ls-255-bytes "$SRC/names/$long"
expect_out_line ls-deep "$SRC/$deep/bottom"
expect_out_line ls-fifo "$SRC/special/fifo"
expect_out_line ls-symlink "$SRC/links/dangling"
expect_out_line ls-hardlink "$SRC/links/other/h3"

run_coffer ls --json latest
expect_rc ls-json-rc 0
# One object per line; names with any bytes must survive as JSON strings.
jqls() {
	grep '^{' -- "$OUT_FILE" | jq -r "$@" 2> /dev/null
}
expect_eq ls-json-valid "$(grep -c '^{' -- "$OUT_FILE")" \
    "$(grep '^{' -- "$OUT_FILE" | jq -c . 2> /dev/null | wc -l)"
expect_eq ls-json-newline-name \
    "$(jqls --arg n $'new\nline' 'select(.name == $n) | .path')" \
    "$SRC/names/new"$'\n'"line"
expect_eq ls-json-file "$(jqls --arg p "$SRC/files/one" \
    'select(.path == $p) | "\(.name) \(.type) \(.size)"')" "one file 1"
expect_eq ls-json-sparse-size "$(jqls --arg p "$SRC/sparse/big" \
    'select(.path == $p) | .size')" 2147483648
expect_eq ls-json-dir "$(jqls --arg p "$SRC/modes/d0700" \
    'select(.path == $p) | .name')" d0700
expect_eq ls-json-count "$(jqls --arg p "$SRC" \
    'select(.path == $p or (.path | startswith($p + "/"))) | 1' | wc -l)" \
    "$(find "$SRC" -printf . | wc -c)"

run_coffer ls latest "$SRC/links"
expect_rc ls-path-rc 0
expect_out_line ls-path-child "$SRC/links/h1"
expect_no_out ls-path-only-below "$SRC/files/one"

# --- restore -----------------------------------------------------------------
run_coffer restore latest --target "$R"
expect_rc restore-rc 0
expect_eq restore-no-stderr "$ERR" ""
expect_treecmp restore-identical --sparse "$SRC" "$R$SRC"
check restore-fifo-is-fifo test -p "$R$SRC/special/fifo"
if [ "$IS_ROOT" -eq 1 ]; then
	check restore-chr-is-chr test -c "$R$SRC/special/chr"
	check restore-blk-is-blk test -b "$R$SRC/special/blk"
	check restore-setuid test -u "$R$SRC/modes/f4755"
else
	skip restore-devices "not root"
fi
expect_eq restore-layout "$(bad_repo_names)" ""

# A second restore by full id, into another target: same result.
run_coffer restore "$id" --target "$R.2"
expect_rc restore-by-id-rc 0
expect_treecmp restore-by-id-identical --sparse "$SRC" "$R.2$SRC"

# --- check -------------------------------------------------------------------
run_coffer check
expect_rc check-rc 0
expect_out check-message "no errors were found"
run_coffer check --read-data
expect_rc check-read-data-rc 0
expect_out check-read-data-message "no errors were found"

# Nothing was left locked or half-written.
expect_eq no-locks-left "$(find "$T/repo/locks" -type f | wc -l)" 0

summary
