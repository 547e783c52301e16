#!/usr/bin/env bash
#
# 08 filters: backup --exclude / --exclude-file (shell globs matched with
# fnmatch against the basename, or against the full path when the pattern
# has a '/'), --one-file-system (when a tmpfs can be mounted), --tag and
# --host in the snapshot, and restore --include / --exclude.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC/sub/skipme" "$SRC/cache" "$SRC/deeper/cache" "$SRC/mnt"
for f in keep.txt other.bin drop.log notes.md sub/keep2.txt sub/other2.bin \
    sub/drop2.log sub/skipme/y.txt sub/also-this.bin cache/x.bin \
    deeper/cache/z.bin deeper/keep3.txt 'sub/sp ace.txt'; do
	printf '%s\n' "$f" > "$SRC/$f"
done
printf '%s\n' '*.md' "$SRC/sub/also-*" > "$T/excludes"

# listed NAME PATH...: each PATH (below $SRC) is a line of the last ls.
listed() {
	local name=$1 p
	shift
	for p in "$@"; do
		expect_out_line "$name-$p" "$SRC/$p"
	done
}

# not_listed NAME PATH...: no line of the last ls is PATH or below it.
not_listed() {
	local name=$1 p
	shift
	for p in "$@"; do
		if grep -qE -e "^$(re_quote "$SRC/$p")(/|$)" -- "$OUT_FILE"; then
			fail "$name-$p" "$SRC/$p is listed"
		else
			pass "$name-$p"
		fi
	done
}

# restored_files: the regular files below $T/r$SRC, relative, sorted.
restored_files() {
	(cd -- "$T/r$SRC" 2> /dev/null && find . -type f | sed 's|^\./||' |
	    sort)
}

coffer_ok init-rc init || summary

# --- backup excludes, tags, host --------------------------------------------
run_coffer backup --exclude '*.log' --exclude cache \
    --exclude "$SRC/sub/skipme" --exclude-file "$T/excludes" \
    --tag t1 --tag t2 --host testhost "$SRC"
expect_rc backup-rc 0
run_coffer ls latest
expect_rc ls-rc 0
listed kept keep.txt other.bin sub sub/keep2.txt sub/other2.bin \
    "sub/sp ace.txt" deeper deeper/keep3.txt mnt
not_listed excluded drop.log sub/drop2.log cache deeper/cache \
    sub/skipme notes.md sub/also-this.bin

run_coffer snapshots --json
expect_rc snapshots-rc 0
expect_eq tags "$(jq -c '.[0].tags | sort' <<< "$OUT")" '["t1","t2"]'
expect_eq host "$(jq -r '.[0].hostname' <<< "$OUT")" testhost

# A '/' pattern is matched against the whole path, not a part of it.
run_coffer backup --exclude 'sub/keep2.txt' "$SRC"
expect_rc partial-path-rc 0
run_coffer ls latest
listed partial-path-no-match sub/keep2.txt
run_coffer backup --exclude "$SRC/*/keep2.txt" "$SRC"
expect_rc full-path-glob-rc 0
run_coffer ls latest
not_listed full-path-glob sub/keep2.txt
listed full-path-glob-rest sub/other2.bin

# An exclude file that cannot be read is an error, not "no excludes".
run_coffer backup --exclude-file "$T/no-such-file" "$SRC"
expect_rc missing-exclude-file-rc 1
expect_err missing-exclude-file-names-it "$T/no-such-file"

# --- one file system -----------------------------------------------------------
# shellcheck disable=SC2317  # called by lib.sh's cleanup
scenario_cleanup() {
	umount "$SRC/mnt" 2> /dev/null
}
if [ "$IS_ROOT" -eq 1 ] && mount -t tmpfs coffer-test "$SRC/mnt" 2> /dev/null
then
	printf 'other fs\n' > "$SRC/mnt/on-tmpfs"
	run_coffer backup --one-file-system "$SRC"
	expect_rc one-fs-rc 0
	run_coffer ls latest
	listed one-fs-mount-point mnt
	not_listed one-fs-skipped mnt/on-tmpfs
	run_coffer backup "$SRC"
	expect_rc cross-fs-rc 0
	run_coffer ls latest
	listed cross-fs-included mnt/on-tmpfs
	umount "$SRC/mnt"
else
	skip one-file-system "cannot mount a tmpfs here"
fi

# --- restore filters -------------------------------------------------------------
run_coffer backup --tag all "$SRC"
expect_rc backup-all-rc 0
run_coffer snapshots --json
ALL=$(jq -r '.[] | select(.tags // [] | index("all")) | .id' <<< "$OUT")
check have-all-snapshot test -n "$ALL"

run_coffer restore "$ALL" --target "$T/r" --include '*.txt'
expect_rc include-rc 0
expect_eq include-files "$(restored_files)" "$(printf '%s\n' \
    deeper/keep3.txt keep.txt sub/keep2.txt 'sub/sp ace.txt' \
    sub/skipme/y.txt | sort)"
expect_same include-content "$SRC/sub/keep2.txt" "$T/r$SRC/sub/keep2.txt"

rm -rf -- "$T/r"
run_coffer restore "$ALL" --target "$T/r" --exclude '*.txt' --exclude cache
expect_rc exclude-rc 0
expect_eq exclude-files "$(restored_files)" "$(printf '%s\n' drop.log \
    notes.md other.bin sub/also-this.bin sub/drop2.log sub/other2.bin |
    sort)"

rm -rf -- "$T/r"
run_coffer restore "$ALL" --target "$T/r" --include "$SRC/sub/*.bin"
expect_rc include-full-path-rc 0
expect_eq include-full-path-files "$(restored_files)" \
    "$(printf '%s\n' sub/also-this.bin sub/other2.bin)"

rm -rf -- "$T/r"
run_coffer restore "$ALL" --target "$T/r" --include '*.bin' \
    --exclude 'other*'
expect_rc include-exclude-rc 0
expect_eq include-exclude-files "$(restored_files)" "$(printf '%s\n' \
    cache/x.bin deeper/cache/z.bin sub/also-this.bin)"

summary
