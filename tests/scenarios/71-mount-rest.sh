#!/usr/bin/env bash
#
# 71 mount over REST: `coffer mount` of a repository on cofferd, where
# blobs come out of whole packs fetched (and hash-checked) into a small
# pack cache, from several FUSE threads at once.  The mounted snapshot
# equals the source under treecmp, two large files read at the same time
# give the right SHA-256, and the mount ends cleanly on SIGINT, leaving no
# lock on the server.  Skipped where FUSE cannot be used (see 70).

. "$(dirname -- "$0")/../srvlib.sh"
. "$(dirname -- "$0")/../mountlib.sh"

mount_skip_unless_usable
scenario_cleanup() {
	mount_cleanup
	srv_cleanup
}

# sha FILE: its SHA-256.
sha() {
	sha256sum < "$1" | cut -c1-64
}

SRC=$T/src
"$MKTREE" "$SRC" || { fail mktree "mktree.sh failed"; summary; }
rm -f -- "$SRC/sparse/big"	# 2 GiB of zeros: slow through FUSE
rnd "$SRC/big1" $((24 * 1024 * 1024))
rnd "$SRC/big2" $((24 * 1024 * 1024))
later="$(date -d '+1 year' '+%Y-%m-%d %H:%M:%S')"
touch -m -d '2022-05-06 07:08:09' "$SRC/big1" "$SRC/big2" "$SRC/sparse" \
    "$SRC"
touch -a -d "$later" "$SRC/big1" "$SRC/big2" "$SRC/sparse" "$SRC"

srv_start start || summary
srv_user_add user alice alice-pw-71
export COFFER_REPOSITORY
COFFER_REPOSITORY=$(srv_repo_url alice alice-pw-71 main)
MOUNT_LOCKS=$(srv_repo_dir alice main)/locks

coffer_ok init init || summary
coffer_ok backup backup "$SRC" || summary

mount_start m
L=$MNT/snapshots/latest$SRC
expect_treecmp rest-equals-source "$SRC" "$L"
sha "$L/big1" > "$T/sha1" &
p1=$!
sha "$L/big2" > "$T/sha2" &
p2=$!
wait "$p1" "$p2"
expect_eq rest-parallel-big1 "$(cat "$T/sha1")" "$(sha "$SRC/big1")"
expect_eq rest-parallel-big2 "$(cat "$T/sha2")" "$(sha "$SRC/big2")"
mount_stop m INT

summary
