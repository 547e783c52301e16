#!/bin/sh
# bench/prune_compare.sh: coffer prune against restic prune on the same
# data, in the same run.
#
#   sh bench/prune_compare.sh [WORKDIR] [SOURCE]
#
# SOURCE (default /usr/share) is copied into WORKDIR/data (default
# /tmp/prune-bench), then backed up by both tools three times, with the
# copy changed between backups: every 7th file (in sorted order, shifted
# each round) deleted, every 11th appended to, 32 MiB of new random files
# added.  The first two snapshots are forgotten and each tool prunes with
# its defaults (unused space left at most 5%).  Each prune starts after a
# sync, is timed with /usr/bin/time (wall, user + sys CPU, peak RSS), and
# the repository is measured (du -sb) before and after; then each
# repository is checked reading all data.  coffer also prunes a copy of
# its repository whose key slot uses the cheapest Argon2id parameters
# (8 MiB), because the production ones (128 MiB) set the peak RSS of any
# coffer command that opens a repository.  Production key derivation;
# restic 0.14+ defaults (repository version 2, compression auto); coffer
# defaults.  Needs restic, coffer built (make), GNU time.

set -eu
TOP=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)
W=${1:-/tmp/prune-bench}
SRC=${2:-/usr/share}
COFFER=$TOP/build/release/coffer
export LC_ALL=C

rm -rf -- "$W"
mkdir -p -- "$W"
cp -a -- "$SRC" "$W/data" 2>/dev/null || true
export COFFER_REPOSITORY="$W/coffer" COFFER_PASSWORD=bench
export RESTIC_REPOSITORY="$W/restic" RESTIC_PASSWORD=bench
export XDG_CACHE_HOME="$W/cache" RESTIC_CACHE_DIR="$W/cache/restic"
"$COFFER" -q init
restic -q init

change() {
	k=$1
	find "$W/data" -type f | sort > "$W/files"
	awk -v k="$k" 'NR % 7 == k' "$W/files" | tr '\n' '\0' |
	    xargs -0 rm -f --
	awk -v k="$k" 'NR % 11 == k' "$W/files" | while IFS= read -r f; do
		[ -f "$f" ] && printf 'changed %s\n' "$k" >> "$f" || true
	done
	mkdir -p "$W/data/new$k"
	for i in 1 2 3 4; do
		head -c $((8 * 1024 * 1024)) /dev/urandom > "$W/data/new$k/r$i"
	done
}

for round in 1 2 3; do
	[ "$round" -gt 1 ] && change "$round"
	"$COFFER" -q backup "$W/data"
	restic -q backup "$W/data" > /dev/null
done

# Forget the two oldest snapshots of each.
for id in $("$COFFER" snapshots --json | jq -r 'sort_by(.time) |
    .[0:2][] | .id'); do
	"$COFFER" -q forget "$id"
done
for id in $(restic snapshots --json | jq -r 'sort_by(.time) |
    .[0:2][] | .id'); do
	restic -q forget "$id"
done

report() {
	# name, du before, du after, time output file
	awk -v n="$1" -v b="$2" -v a="$3" '
	    /Elapsed \(wall clock\)/ { w = $NF }
	    /User time/ { u = $NF }
	    /System time/ { s = $NF }
	    /Maximum resident/ { r = $NF }
	    END { printf "%-13s wall %s  cpu %.2f s  peak RSS %.1f MiB  " \
		"repo %.1f -> %.1f MiB\n", n, w, u + s, r / 1024,
		b / 1048576, a / 1048576 }' "$4"
}

# coffer's production key derivation alone (Argon2id, 128 MiB) sets its
# peak RSS: also prune a copy whose only key slot uses the cheapest
# parameters, to see what prune itself needs.
cp -a -- "$W/coffer" "$W/coffer-kdf8m"
old=$(ls "$W/coffer-kdf8m/keys")
printf 'bench2\n' > "$W/pw2"
COFFER_REPOSITORY=$W/coffer-kdf8m COFFER_KDF_PARAMS=test \
    "$COFFER" -q key add --new-password-file "$W/pw2"
COFFER_REPOSITORY=$W/coffer-kdf8m COFFER_PASSWORD=bench2 \
    "$COFFER" -q key remove "$old"

for tool in coffer coffer-kdf8m restic; do
	before=$(du -sb "$W/$tool" | cut -f1)
	sync
	if [ "$tool" = coffer ]; then
		/usr/bin/time -v "$COFFER" prune > "$W/$tool.out" \
		    2> "$W/$tool.time"
	elif [ "$tool" = coffer-kdf8m ]; then
		COFFER_REPOSITORY=$W/$tool COFFER_PASSWORD=bench2 \
		    /usr/bin/time -v "$COFFER" prune > "$W/$tool.out" \
		    2> "$W/$tool.time"
	else
		/usr/bin/time -v restic prune > "$W/$tool.out" \
		    2> "$W/$tool.time"
	fi
	after=$(du -sb "$W/$tool" | cut -f1)
	report "$tool" "$before" "$after" "$W/$tool.time"
done
"$COFFER" -q check --read-data && echo "coffer check --read-data: ok"
restic -q check --read-data > /dev/null && echo "restic check --read-data: ok"
