#!/bin/sh
# The main job, end to end: back up a real directory into a new local
# repository, restore it elsewhere, and compare every byte and every piece
# of metadata.  Usage: scripts/demo.sh [DIR] (default /usr/share/doc).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/release"
src=$(cd "${1:-/usr/share/doc}" && pwd)
work=${COFFER_DEMO_DIR:-/tmp/coffer-demo}

rm -rf "$work"
mkdir -p "$work"
export COFFER_REPOSITORY="$work/repo"
# A demo passcode; real use reads it from a prompt, a file or a command.
export COFFER_PASSWORD="${COFFER_PASSWORD:-correct horse battery staple}"
export COFFER_CACHE_DIR="$work/cache"

echo "== coffer init ($COFFER_REPOSITORY)"
"$bin/coffer" init
echo
echo "== coffer backup $src"
"$bin/coffer" backup "$src"
echo
echo "== coffer backup $src (again: unchanged files are not read)"
"$bin/coffer" backup "$src"
echo
echo "== coffer snapshots"
"$bin/coffer" snapshots
echo
echo "== coffer restore latest --target $work/restore"
"$bin/coffer" restore latest --target "$work/restore"
echo
echo "== coffer check --read-data"
"$bin/coffer" check --read-data
echo
echo "== compare $src with $work/restore$src"
# Directory atimes change as the source is read by others; compare the rest.
if "$bin/tools/treecmp" --no-dir-atime "$src" "$work/restore$src"; then
	echo "identical: content, modes, owners, times, links, xattrs"
else
	echo "DIFFERENT" >&2
	exit 1
fi
echo
echo "repository: $(du -sh "$COFFER_REPOSITORY" | cut -f1) for" \
    "$(du -sh "$src" | cut -f1) of source; every object is encrypted:"
ls "$COFFER_REPOSITORY"/snapshots | head -2 | sed 's/^/  snapshots\//'
