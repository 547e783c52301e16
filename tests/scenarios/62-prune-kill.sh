#!/usr/bin/env bash
#
# 62 prune-kill: prune stopped at any moment leaves a repository that
# check --read-data passes, with every snapshot intact.
#
# A repository of two snapshots, the first forgotten, whose packs mix
# forgotten and kept data, so prune repacks, writes index files and
# deletes.  First, exactly: a full prune on a copy shows which packs and
# index files it adds and removes, and the three states a crash can leave
# between its steps are built from the two repositories:
#   A  new packs written, no new index file yet;
#   B  new packs and index files written, old index files not yet deleted;
#   C  old index files deleted, old packs not yet deleted.
# In each: check --read-data passes, the kept snapshot restores exactly,
# and a prune then completes (in C, after a backup adopted the old packs,
# they are deleted).  Then, at random: prune killed with SIGKILL at points
# spread over its run time, N times, each followed by the same checks.

. "$(dirname -- "$0")/../lib.sh"

MiB=$((1024 * 1024))
SRC=$T/src
mkdir -p "$SRC/a" "$SRC/b"
for i in 1 2 3 4; do
	rnd "$SRC/a/k$i" $((2 * MiB + i))
	rnd "$SRC/b/g$i" $((2 * MiB + 5 * i))
done
for i in $(seq 1 20); do
	printf 'small %d\n' "$i" > "$SRC/a/s$i"
done

coffer_ok init-rc init || summary
coffer_ok backup-1-rc backup --json "$SRC"
S1=$(json_last .snapshot_id)
rm -rf -- "$SRC/b"
rnd "$SRC/a/new" $((1 * MiB))
coffer_ok backup-2-rc backup --json "$SRC"
S2=$(json_last .snapshot_id)
rm -f -- "$COFFER_REPOSITORY/snapshots/$S1"
ORIG=$T/orig
cp -a -- "$COFFER_REPOSITORY" "$ORIG"

# now_ms: milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

# use_repo DIR: make DIR (a copy) the repository.
use_repo() {
	rm -rf -- "$COFFER_REPOSITORY"
	cp -a -- "$1" "$COFFER_REPOSITORY"
}

# intact NAME: check --read-data passes and S2 restores as the source.
intact() {
	run_coffer check --read-data
	expect_rc "$1-check-rc" 0
	expect_out "$1-check" "no errors were found"
	expect_eq "$1-layout" "$(bad_repo_names)" ""
	rm -rf -- "$T/r"
	run_coffer restore "$S2" --target "$T/r"
	expect_rc "$1-restore-rc" 0
	expect_treecmp "$1-restore-identical" --no-atime "$SRC" "$T/r$SRC"
}

# A full prune, timed.
start=$(now_ms)
run_coffer prune --json
expect_rc full-prune-rc 0
dur=$(($(now_ms) - start))
check full-prune-repacks test "$(json_last .packs_repack)" -ge 1
echo "# a full prune takes $dur ms"
DONE=$T/done
cp -a -- "$COFFER_REPOSITORY" "$DONE"
intact full

# sets: what prune added and removed.
lst() {
	(cd -- "$1/$2" && find . -type f -printf '%P\n' | sort)
}
new_packs=$(comm -13 <(lst "$ORIG" data) <(lst "$DONE" data))
old_packs=$(comm -23 <(lst "$ORIG" data) <(lst "$DONE" data))
new_idx=$(comm -13 <(lst "$ORIG" index) <(lst "$DONE" index))
check prune-added-packs test -n "$new_packs"
check prune-removed-packs test -n "$old_packs"
check prune-added-index test -n "$new_idx"

# copy_in FROM SUBDIR LIST: copy the listed files of FROM/SUBDIR into the
# repository.
copy_in() {
	local f
	for f in $3; do
		mkdir -p -- "$(dirname -- "$COFFER_REPOSITORY/$2/$f")"
		cp -p -- "$1/$2/$f" "$COFFER_REPOSITORY/$2/$f"
	done
}

# A: new packs only.
use_repo "$ORIG"
copy_in "$DONE" data "$new_packs"
intact state-a
coffer_ok state-a-prune-rc prune
intact state-a-after

# B: new packs and index files, old index files still there.
use_repo "$ORIG"
copy_in "$DONE" data "$new_packs"
copy_in "$DONE" index "$new_idx"
intact state-b
coffer_ok state-b-prune-rc prune
intact state-b-after

# C: old index files gone, old packs still there (listed in no index).
use_repo "$DONE"
copy_in "$ORIG" data "$old_packs"
intact state-c
run_coffer prune --json
expect_rc state-c-prune-rc 0
check state-c-prune-leaves-orphans test "$(json_last .packs_orphan)" -ge 1
coffer_ok state-c-backup-rc backup "$SRC"
run_coffer prune --json
expect_rc state-c-prune-2-rc 0
expect_eq state-c-no-orphans "$(json_last .packs_orphan)" 0
left=0
for f in $old_packs; do
	[ -e "$COFFER_REPOSITORY/data/$f" ] && left=$((left + 1))
done
expect_eq state-c-old-packs-deleted "$left" 0
intact state-c-after

# Random kills, spread over the measured run time.
N=3
killed=0
for k in $(seq 1 "$N"); do
	use_repo "$ORIG"
	delay=$(( (dur * k / (N + 1)) + RANDOM % 40 ))
	"$COFFER_BIN" prune < /dev/null > "$T/kill.out" 2> "$T/kill.err" &
	pid=$!
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	if kill -9 "$pid" 2> /dev/null; then
		killed=$((killed + 1))
	fi
	wait "$pid" 2> /dev/null
	echo "# kill $k after $delay ms:" \
	    "$(comm -13 <(lst "$ORIG" data) <(lst "$COFFER_REPOSITORY" data) |
	    wc -l) new packs," \
	    "$(comm -13 <(lst "$ORIG" index) \
	    <(lst "$COFFER_REPOSITORY" index) | wc -l) new index files," \
	    "$(comm -23 <(lst "$ORIG" index) \
	    <(lst "$COFFER_REPOSITORY" index) | wc -l) old index files and" \
	    "$(comm -23 <(lst "$ORIG" data) <(lst "$COFFER_REPOSITORY" data) |
	    wc -l) old packs deleted"
	intact "kill-$k"
	coffer_ok "kill-$k-prune-rc" prune
	intact "kill-$k-after"
done
echo "# $killed of $N prunes were killed while running"
check some-killed-while-running test "$killed" -ge 1

summary
