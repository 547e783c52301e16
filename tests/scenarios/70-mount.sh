#!/usr/bin/env bash
#
# 70 mount: `coffer mount DIR` serves every snapshot read-only, laid out
# as restic lays it out, and reads give exactly the backed-up bytes.
#
#   - a varied tree (mktree.sh, minus its 2 GiB sparse file, plus a 64 MiB
#     random file) is backed up twice (hosts alpha and beta, tags);
#   - the mounted snapshots equal the source (S2) and the restore output
#     (S1) under treecmp: names, types, modes, owners, sizes, times to the
#     nanosecond, symlink targets, xattrs, hard links, contents;
#   - the 64 MiB file reads whole and in part (an unaligned range) with
#     the right SHA-256;
#   - snapshots/, ids/, hosts/<h>/, tags/<t>/ and their "latest" links;
#   - a snapshot taken while mounted shows up (new index, new blobs);
#   - SIGINT or SIGTERM unmounts and exits 0, and so does an unmount
#     from outside (umount, fusermount3 -u);
#     no process or lock is left;
#   - after a byte of a data pack is flipped, every file of the snapshot
#     either reads whole and right, or fails with EIO after a correct
#     prefix, at least one fails, and the mount names the blob and pack;
#     with a snapshot's packs deleted, listing it fails with EIO and the
#     mount names the tree.
#
# Skipped (SKIP line) where FUSE cannot be used: no /dev/fuse, or neither
# root nor fusermount3.

. "$(dirname -- "$0")/../lib.sh"
. "$(dirname -- "$0")/../mountlib.sh"

mount_skip_unless_usable
scenario_cleanup() {
	mount_cleanup
}

# sha FILE: its SHA-256.
sha() {
	if [ $# -gt 0 ]; then
		sha256sum < "$1"
	else
		sha256sum
	fi | cut -c1-64
}

# --- the repository --------------------------------------------------------
SRC=$T/src
"$MKTREE" "$SRC" || { fail mktree "mktree.sh failed"; summary; }
# Reading 2 GiB of zeros through FUSE is slow on a busy machine; a small
# sparse file stands in for it.
rm -f -- "$SRC/sparse/big"
truncate -s 20M "$SRC/sparse/small"
printf 'data in a hole\n' | dd of="$SRC/sparse/small" bs=1 seek=5000000 \
    conv=notrunc status=none
rnd "$SRC/big" $((64 * 1024 * 1024))
# Times as mktree.sh sets them: atimes in the future, so that reading
# (backup, restore, treecmp) leaves them alone under relatime.
touch -m -d '2022-05-06 07:08:09.5' "$SRC/big" "$SRC/sparse/small" \
    "$SRC/sparse" "$SRC"
touch -a -d "$(date -d '+1 year' '+%Y-%m-%d %H:%M:%S')" "$SRC/big" \
    "$SRC/sparse/small" "$SRC/sparse" "$SRC"

coffer_ok init init || summary
run_coffer backup --json --host alpha --tag daily --tag a/b "$SRC"
expect_rc backup-1 0
S1=$(json_last .snapshot_id)
rm -rf -- "$T/r1"
coffer_ok restore-1 restore "$S1" --target "$T/r1"
# S2: one file changed, on another host.
rnd "$SRC/files/page" 4096
touch -d '2021-03-04 05:06:07.123456789' "$SRC/files/page" "$SRC/files"
touch -a -d "$(date -d '+1 year' '+%Y-%m-%d %H:%M:%S')" "$SRC/files/page" \
    "$SRC/files"
run_coffer backup --json --host beta --tag weekly "$SRC"
expect_rc backup-2 0
S2=$(json_last .snapshot_id)

# names: the snapshot directory names, oldest first: the time to the
# second, "-N" for the N-th more in the same second.
names() {
	run_coffer snapshots --json >&2
	jq -r '.[].time' < "$OUT_FILE" | sed -E 's/\.[0-9]+Z$/Z/' |
	    awk '{ k = seen[$0]++; print (k ? $0 "-" k : $0) }'
}
mapfile -t N < <(names)
expect_eq two-names "${#N[@]}" 2

# --- mount ----------------------------------------------------------------
run_coffer mount "$T/repo/config"
expect_rc not-a-dir-rc 1
expect_err not-a-dir-message "not a directory"
run_coffer mount
expect_rc no-dir-rc 1

mount_start m1
check m1-message grep -qF "Now serving the repository at $MNT" "$T/mount.out"
expect_eq top-dirs "$(ls "$MNT" | tr '\n' ' ')" "hosts ids snapshots tags "
expect_eq snapshots-dir "$(ls "$MNT/snapshots" | tr '\n' ' ')" \
    "$(printf '%s\n' "${N[@]}" latest | sort | tr '\n' ' ')"
expect_eq latest-link "$(readlink "$MNT/snapshots/latest")" "${N[1]}"
expect_eq ids-dir "$(ls "$MNT/ids" | tr '\n' ' ')" \
    "$(printf '%s\n' "${S1:0:8}" "${S2:0:8}" | sort | tr '\n' ' ')"
expect_eq hosts-dir "$(ls "$MNT/hosts" | tr '\n' ' ')" "alpha beta "
expect_eq host-alpha "$(ls "$MNT/hosts/alpha" | tr '\n' ' ')" \
    "${N[0]} latest "
expect_eq host-alpha-latest "$(readlink "$MNT/hosts/alpha/latest")" "${N[0]}"
expect_eq host-beta-latest "$(readlink "$MNT/hosts/beta/latest")" "${N[1]}"
expect_eq tags-dir "$(ls "$MNT/tags" | tr '\n' ' ')" "a_b daily weekly "
expect_eq tag-daily "$(ls "$MNT/tags/daily" | tr '\n' ' ')" \
    "${N[0]} latest "
expect_eq tag-weekly-latest "$(readlink "$MNT/tags/weekly/latest")" \
    "${N[1]}"
check no-such-snapshot test ! -e "$MNT/snapshots/1999-01-01T00:00:00Z"
check read-only eval '! touch "$MNT/snapshots/latest/x" 2> /dev/null'

# Contents and metadata, through every way in.
expect_treecmp latest-equals-source "$SRC" "$MNT/snapshots/latest$SRC"
expect_treecmp id-equals-restore "$T/r1$SRC" "$MNT/ids/${S1:0:8}$SRC"
expect_treecmp host-path-equals-restore "$T/r1$SRC" \
    "$MNT/hosts/alpha/${N[0]}$SRC"
F=$MNT/snapshots/${N[1]}$SRC
expect_eq symlink-target "$(readlink "$F/links/rel")" "../files/one"
if command -v getfattr > /dev/null &&
    getfattr -n user.k --only-values "$SRC/files/one" > /dev/null 2>&1; then
	expect_eq xattr-value "$(getfattr -n user.k --only-values \
	    "$F/files/one")" "val"
	expect_eq xattr-list "$(getfattr -d -m '^user\.' "$F/files/page" |
	    grep -c '^user\.')" 2
	check xattr-missing eval '! getfattr -n user.none "$F/files/one" \
	    > /dev/null 2>&1'
fi
expect_eq hardlink-inode "$(stat -c %i "$F/links/h1")" \
    "$(stat -c %i "$F/links/other/h3")"
check distinct-inodes test "$(stat -c %i "$F/files/one")" != \
    "$(stat -c %i "$F/files/empty")"

# The large file: an unaligned range first (nothing cached), then whole.
expect_eq big-range "$(tail -c +10000001 "$F/big" | head -c 5242881 | sha)" \
    "$(tail -c +10000001 "$SRC/big" | head -c 5242881 | sha)"
expect_eq big-sha256 "$(sha "$F/big")" "$(sha "$SRC/big")"
expect_eq big-sha256-again "$(sha "$F/big")" "$(sha "$SRC/big")"

# A snapshot taken while mounted appears, with blobs from a new index.
rnd "$SRC/late" 3000000
packs_2=$(packs)
run_coffer backup --json --tag late "$SRC"
expect_rc backup-3 0
S3=$(json_last .snapshot_id)
new_3=$(comm -13 <(printf '%s\n' "$packs_2") <(packs))
run_coffer snapshots --json
TREE3=$(jq -r ".[] | select(.id == \"$S3\") | .tree" < "$OUT_FILE")
mapfile -t N < <(names)
sleep 1.1	# the snapshot list is refreshed at most once a second
expect_eq new-snapshot-listed "$(ls "$MNT/snapshots" | tr '\n' ' ')" \
    "$(printf '%s\n' "${N[@]}" latest | sort | tr '\n' ' ')"
expect_eq new-latest "$(readlink "$MNT/snapshots/latest")" "${N[2]}"
expect_eq new-tag "$(ls "$MNT/tags" | tr '\n' ' ')" "a_b daily late weekly "
expect_same new-snapshot-content "$SRC/late" "$MNT/ids/${S3:0:8}$SRC/late"
mount_stop m1 INT

# --- damage, and an unmount from outside -----------------------------------
P=$(cd "$T/repo/data" && find . -type f -printf '%s %f\n' | sort -n |
    tail -n 1 | cut -d' ' -f2)
flip_byte "$(pack_path "$P")" $(($(file_size "$(pack_path "$P")") / 2))
mount_start m2 --owner-root
if [ "$IS_ROOT" -eq 1 ]; then
	expect_eq owner-root "$(stat -c %u:%g "$MNT/ids/${S1:0:8}$SRC/files/one")" \
	    "0:0"
fi
neio=0
nbad=0
while IFS= read -r -d '' f; do
	rel=${f#"$MNT/ids/${S1:0:8}"}
	if cat -- "$f" > "$T/got" 2> "$T/cat.err"; then
		cmp -s -- "$T/got" "$T/r1$rel" || nbad=$((nbad + 1))
	elif grep -q "Input/output error" "$T/cat.err" &&
	    cmp -s -n "$(file_size "$T/got")" -- "$T/got" "$T/r1$rel"; then
		neio=$((neio + 1))
	else
		nbad=$((nbad + 1))
		printf '# bad read of %q: %s\n' "$rel" "$(cat "$T/cat.err")"
	fi
done < <(find "$MNT/ids/${S1:0:8}$SRC" -type f -print0)
expect_eq damaged-no-wrong-bytes "$nbad" 0
expect_ge damaged-some-eio "$neio" 1
check damaged-names-blob-and-pack grep -qE \
    "blob [0-9a-f]{64} in pack $P: failed authentication" "$T/mount.err"
check damaged-names-file grep -qE \
    "ids/${S1:0:8}$SRC/.*: cannot read blob [0-9a-f]{64} at offset" \
    "$T/mount.err"
# S3's packs gone (its trees and the new file): its directory cannot be
# listed, and the mount says which tree is missing where.
for id in $new_3; do
	rm -f -- "$(pack_path "$id")"
done
check missing-tree-eio eval '! ls "$MNT/ids/${S3:0:8}" 2> "$T/ls.err"'
check missing-tree-ls-says grep -q "Input/output error" "$T/ls.err"
check missing-tree-named grep -qF \
    "ids/${S3:0:8}: cannot read tree $TREE3" "$T/mount.err"
mount_stop m2 umount
mount_start m3
mount_stop m3 TERM

summary
