#!/usr/bin/env bash
#
# mktree.sh DIR: make a tree that exercises everything a backup must keep.
#
# Regular files of several sizes (0, 1, 4 KiB, 3 MiB random, 9 MiB + 13
# random: several chunks), awkward names (spaces, a newline, non-UTF-8
# bytes, a 255-byte name, glob characters, a leading dash, a backslash),
# 60 levels of nesting, an empty directory, a 2 GiB sparse file with a few
# written blocks, three hard links to one inode across two directories,
# symlinks (relative, absolute, dangling, to a directory), a fifo, a unix
# socket (when python3 exists), char and block devices and other owners
# (when root), extended attributes (when supported; trusted.* when root),
# modes 0600, 0755, 0444, 4755, 2755 and 1777, directories 0700 and 0555.
#
# Times: every entry gets an mtime with nanoseconds in 2021, and an atime
# one year in the FUTURE.  A future atime is newer than both mtime and
# ctime, and not more than a day old, so under relatime (the usual mount
# option) reading a file or listing a directory does not update it: a
# backup, a restore or treecmp reading the tree leaves atimes alone, and a
# restored tree can be compared with its source to the nanosecond.
# Directory times are set last, bottom-up.  Prints nothing on success;
# exits non-zero on the first failure.

set -eu
export LC_ALL=C TZ=UTC

if [ $# -ne 1 ]; then
	echo "usage: mktree.sh DIR" >&2
	exit 2
fi
D=$1
mkdir -p -- "$D"
cd -- "$D"
if [ -n "$(ls -A .)" ]; then
	echo "mktree.sh: $D is not empty" >&2
	exit 2
fi

is_root=0
[ "$(id -u)" -eq 0 ] && is_root=1

# rnd FILE BYTES: BYTES random bytes into FILE.
rnd() {
	head -c "$2" /dev/urandom > "$1"
}

# --- regular files -----------------------------------------------------
mkdir files
: > files/empty
printf 'x' > files/one
rnd files/page 4096
rnd files/three-mib $((3 * 1024 * 1024))
rnd files/nine-mib-13 $((9 * 1024 * 1024 + 13))
printf 'hello\n' > files/text.txt

# --- names -------------------------------------------------------------
mkdir names
printf 'spaces\n' > 'names/with  two spaces'
printf 'lead\n' > 'names/ leading space'
printf 'trail\n' > 'names/trailing space '
printf 'nl\n' > "names/new"$'\n'"line"
printf 'bad\n' > "names/bad"$'\377'"name"
printf 'latin1\n' > "names/caf"$'\351'
printf 'utf8\n' > "names/caf"$'\303\251'" ünïcødé ✓"
printf 'tab\n' > "names/tab"$'\t'"name"
printf 'glob\n' > 'names/*?[a]'
printf 'dash\n' > 'names/-rf'
printf 'bs\n' > 'names/back\slash'
printf 'q\n' > "names/quote'\"\`\$(x)"
long=$(printf 'L%.0s' $(seq 1 255))
printf 'long\n' > "names/$long"

# --- deep nesting --------------------------------------------------------
deep=deep
for _ in $(seq 2 60); do
	deep="$deep/d"
done
mkdir -p "$deep"
printf 'bottom\n' > "$deep/bottom"

# --- empty directory, modes ---------------------------------------------
mkdir empty
mkdir modes
printf 'secret\n' > modes/f0600
chmod 0600 modes/f0600
printf '#!/bin/sh\n' > modes/f0755
chmod 0755 modes/f0755
printf 'ro\n' > modes/f0444
chmod 0444 modes/f0444
printf 'suid\n' > modes/f4755
mkdir modes/d0700
printf 'in private\n' > modes/d0700/inside
mkdir modes/d0555
printf 'in read-only\n' > modes/d0555/inside
mkdir modes/d2755 modes/d1777

# --- sparse file: 2 GiB, three 64 KiB blocks of data in the middle --------
mkdir sparse
truncate -s 2G sparse/big
for off in 8192 16384 24000; do	# in 64 KiB units: 512, 1024, 1500 MiB
	head -c 65536 /dev/urandom |
	    dd of=sparse/big bs=65536 seek="$off" conv=notrunc status=none
done

# --- hard links: one inode, three names, two directories ---------------
mkdir links links/other
printf 'linked content\n' > links/h1
ln links/h1 links/h2
ln links/h1 links/other/h3

# --- symlinks --------------------------------------------------------------
ln -s ../files/one links/rel
ln -s /etc/hostname links/abs
ln -s does/not/exist links/dangling
ln -s ../names links/to-dir
ln -s "bad"$'\377'"target" links/odd-target

# --- special files -------------------------------------------------------
mkdir special
mkfifo special/fifo
if command -v python3 > /dev/null 2>&1; then
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])' special/socket
fi
if [ "$is_root" -eq 1 ]; then
	mknod special/chr c 1 3		# like /dev/null
	mknod special/blk b 7 200	# a loop device that need not exist
	chmod 0640 special/chr special/blk
fi

# --- extended attributes -------------------------------------------------
if command -v setfattr > /dev/null 2>&1 &&
    setfattr -n user.coffer.probe -v 1 files/one 2> /dev/null; then
	setfattr -x user.coffer.probe files/one
	setfattr -n user.k -v val files/one
	setfattr -n user.bin -v 0x00ff0a0d files/page
	setfattr -n user.empty files/page
	setfattr -n user.dir -v "on a directory" modes
	setfattr -n user.k -v 'on a link' links/h1
	setfattr -n user.big -v "0x$(head -c 3000 /dev/urandom | od -An -vtx1 |
	    tr -d ' \n')" files/three-mib
	if [ "$is_root" -eq 1 ]; then
		setfattr -n trusted.coffer -v trusted-value files/one
	fi
fi

# --- owners (after xattrs; then modes, as chown clears set-id bits) -------
if [ "$is_root" -eq 1 ]; then
	chown 1234:5678 files/one modes/f4755 modes/d0700 links/h1
	chown -h 4321:8765 links/rel
	chown 0:5678 modes/d2755
fi
chmod 4755 modes/f4755
chmod 2755 modes/d2755
chmod 1777 modes/d1777
chmod 0700 modes/d0700

# --- times: files first, then directories bottom-up ----------------------
mtime='2021-03-04 05:06:07.123456789'
atime="$(date -d '+1 year' '+%Y-%m-%d %H:%M:%S').987654321"
find . ! -type d -print0 | xargs -0 touch -h -m -d "$mtime" --
find . ! -type d -print0 | xargs -0 touch -h -a -d "$atime" --
# One file with a different, whole-second mtime.
touch -m -d '1999-12-31 23:59:59' files/empty
# The read-only directory last but one: its contents must exist first.
chmod 0555 modes/d0555
find . -depth -type d -print0 | xargs -0 touch -m -d '2020-01-02 03:04:05.5'
find . -depth -type d -print0 | xargs -0 touch -a -d "$atime"
