#!/usr/bin/env bash
#
# 54 dump: a file to stdout (byte-exact, several blobs) and to --target;
# a directory as a tar archive that GNU tar lists and extracts without a
# word, giving a tree treecmp finds identical to the source: the nasty
# tree of mktree.sh (60 levels, 255-byte and non-UTF-8 names, hard links,
# devices, xattrs, modes, nanosecond times), plus a time before 1970, a
# symlink target over 100 bytes and, as root, ids above 2^21.  Errors:
# unknown paths, a symlink, a damaged pack (non-zero exit, the --target
# file removed).

. "$(dirname -- "$0")/../lib.sh"

if ! command -v tar > /dev/null 2>&1 || ! tar --version | grep -q 'GNU tar'; then
	skip dump-tar "GNU tar is not installed"
	summary
fi

SRC=$T/src
if bash "$MKTREE" "$SRC" > "$T/mktree.log" 2>&1; then
	pass mktree
else
	fail mktree "tests/tools/mktree.sh failed: $(cat "$T/mktree.log")"
	summary
fi
# Not for tar: a socket (tar cannot hold one; tested below) and the 2 GiB
# sparse file (tar has no holes here: it would write 2 GiB).
rm -f "$SRC/special/socket" "$SRC/sparse/big"
mkdir -p "$SRC/extra"
printf 'old\n' > "$SRC/extra/1960"
touch -d '1960-03-04 05:06:07.123456789' "$SRC/extra/1960"
long=$(printf 'x%.0s' $(seq 1 150))
ln -s "../$long/target" "$SRC/extra/longlink"
if [ "$IS_ROOT" = 1 ]; then
	printf 'ids\n' > "$SRC/extra/bigids"
	chown 3000000:4000000 "$SRC/extra/bigids"
fi
# Directory times last (the changes above moved them).
touch -d '2021-06-01 00:00:00.5' "$SRC/extra" "$SRC/special" \
    "$SRC/sparse" "$SRC"

coffer_ok init-rc init || summary
run_coffer backup --json "$SRC"
expect_rc backup-rc 0
snap=$(json_last .snapshot_id)

# A file: its bytes, several blobs.
run_coffer dump latest "$SRC/files/nine-mib-13"
expect_rc file-rc 0
expect_same file-bytes "$OUT_FILE" "$SRC/files/nine-mib-13"
run_coffer dump "${snap:0:8}" "$SRC/files/empty"
expect_rc empty-file-rc 0
expect_eq empty-file "$(file_size "$OUT_FILE")" 0
run_coffer dump -t "$T/copy" latest "$SRC/files/three-mib"
expect_rc target-rc 0
expect_same target-bytes "$T/copy" "$SRC/files/three-mib"
run_coffer dump -t "$T/copy" latest "$SRC/files/one"
expect_rc target-exists-rc 1
expect_err target-exists-msg "cannot create $T/copy"
expect_same target-exists-untouched "$T/copy" "$SRC/files/three-mib"

# A directory: tar.
run_coffer dump latest "$SRC"
expect_rc tar-rc 0
cp "$OUT_FILE" "$T/a.tar"
expect_eq tar-record-size $(($(file_size "$T/a.tar") % 10240)) 0
tar -tf "$T/a.tar" > "$T/list" 2> "$T/tar.err"
expect_eq tar-lists "$?:$(cat "$T/tar.err")" "0:"
expect_eq tar-names-relative "$(grep -c '^/' "$T/list")" 0
expect_eq tar-first "$(head -n 1 "$T/list")" "${SRC#/}/"
mkdir "$T/x"
tar -C "$T/x" --numeric-owner --xattrs --xattrs-include='*' -xpf \
    "$T/a.tar" 2> "$T/tar.err"
# GNU tar warns about any time before 1970 (and then sets it right).
expect_eq tar-extracts "$?:$(grep -v 'implausibly old time stamp' \
    "$T/tar.err")" "0:"
expect_treecmp tar-identical --no-atime "$SRC" "$T/x$SRC"
expect_eq tar-1960 "$(stat -c %Y "$T/x$SRC/extra/1960")" \
    "$(stat -c %Y "$SRC/extra/1960")"
expect_eq tar-longlink "$(readlink "$T/x$SRC/extra/longlink")" \
    "../$long/target"

# A subdirectory, and the whole snapshot ("/").
run_coffer dump latest "$SRC/links/"
expect_rc tar-subdir-rc 0
mkdir "$T/y"
tar -C "$T/y" --numeric-owner --xattrs --xattrs-include='*' -xpf \
    "$OUT_FILE"
expect_treecmp tar-subdir-identical --no-atime "$SRC/links" "$T/y$SRC/links"
expect_absent tar-subdir-only "$T/y$SRC/files"
run_coffer dump --archive tar latest /
expect_rc tar-root-rc 0
expect_eq tar-root-same-entries "$(tar -tf "$OUT_FILE" | grep -c .)" \
    "$(($(grep -c . "$T/list") + $(printf '%s' "${SRC#/}" | tr -cd / |
    wc -c)))"

# A socket is skipped with a warning; the rest is written.
if command -v python3 > /dev/null 2>&1; then
	mkdir -p "$T/s"
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/s/sock"
	printf 'f\n' > "$T/s/f"
	coffer_ok socket-backup backup -q "$T/s"
	run_coffer dump latest "$T/s"
	expect_rc socket-rc 0
	expect_err socket-msg "a socket cannot be put in a tar archive"
	expect_eq socket-rest "$(tar -tf "$OUT_FILE" | tr '\n' ' ')" \
	    "${T#/}/s/ ${T#/}/s/f "
else
	skip socket "no python3 to make a socket"
fi

# Bad input ("latest" is now the socket's snapshot).
run_coffer dump "$snap" "$SRC/no/such"
expect_rc unknown-path-rc 1
expect_err unknown-path-msg "$SRC/no: no such file or directory"
run_coffer dump "$snap" "$SRC/files/one/below"
expect_rc below-file-rc 1
expect_err below-file-msg "not a directory"
run_coffer dump "$snap" "$SRC/extra/longlink"
expect_rc symlink-rc 1
expect_err symlink-msg "not a file or a directory"
run_coffer dump 0000000000 /
expect_rc unknown-snapshot-rc 1
expect_err unknown-snapshot-msg 'no snapshot matching "0000000000"'
run_coffer dump --archive zip latest /
expect_rc zip-rc 1
expect_err zip-msg 'unsupported archive format "zip"'
run_coffer dump latest
expect_rc one-arg-rc 1

# A damaged pack: the dump fails and says so; --target leaves nothing.
big=$(for p in $(packs); do
	printf '%s %s\n' "$(file_size "$(pack_path "$p")")" "$p"
done | sort -n | tail -n 1)
flip_byte "$(pack_path "${big#* }")" $((${big%% *} / 2))
run_coffer dump -t "$T/broken.tar" "$snap" "$SRC"
expect_rc damaged-rc 1
expect_err damaged-msg "dump failed: the output is incomplete"
expect_absent damaged-target-removed "$T/broken.tar"

summary
