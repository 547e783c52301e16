#!/usr/bin/env bash
#
# 61 prune-concurrent: prune and backup never overlap, and no data is lost.
#   1. While a backup runs (its lock is in locks/), prune is refused with
#      exit 11 and "repository is locked"; if the backup is still running
#      when prune returns, prune cannot have succeeded.
#   2. While a prune runs (a large repack), a backup is refused the same
#      way.
#   3. When its lock is removed while it runs (unlock --remove-all),
#      prune stops before deleting anything (a backup could have started).
#   4. Afterwards check --read-data passes and every snapshot restores
#      exactly.
# When a process ends before the other could meet it, the round is not
# conclusive and is repeated with more data (at most 3 times).

. "$(dirname -- "$0")/../lib.sh"

MiB=$((1024 * 1024))
BIG=$T/big
SMALL=$T/small
mkdir -p "$BIG" "$SMALL"
printf 'small\n' > "$SMALL/f"

# now_ms: milliseconds since the epoch.
now_ms() {
	date +%s%3N
}

# wait_lock PID: wait (at most 30 s) until locks/ holds a lock while PID
# runs.  Returns 1 if PID ended first.
wait_lock() {
	local start
	start=$(now_ms)
	while kill -0 "$1" 2> /dev/null; do
		if [ -n "$(ls -A -- "$COFFER_REPOSITORY/locks")" ]; then
			return 0
		fi
		if [ $(($(now_ms) - start)) -ge 30000 ]; then
			return 1
		fi
		sleep 0.01
	done
	return 1
}

nbig=0
grow() {
	local _
	for _ in $(seq 1 "$1"); do
		nbig=$((nbig + 1))
		rnd "$BIG/b$nbig" $((8 * MiB + nbig))
	done
}

coffer_ok init-rc init || summary

# --- 1. prune while a backup runs ---
grow 6
done1=0
for round in 1 2 3; do
	"$COFFER_BIN" backup --json "$BIG" < /dev/null > "$T/bk.out" \
	    2> "$T/bk.err" &
	pid=$!
	if wait_lock "$pid"; then
		run_coffer prune
		prc=$RC
		perr=$ERR
		if kill -0 "$pid" 2> /dev/null; then
			done1=1
		fi
	fi
	wait "$pid"
	brc=$?
	expect_eq "backup-$round-rc" "$brc" 0
	if [ "$done1" -eq 1 ]; then
		expect_eq prune-during-backup-rc "$prc" 11
		if [[ $perr == *"repository is locked: a lock held by"* ]]; then
			pass prune-during-backup-msg
		else
			fail prune-during-backup-msg "stderr: $perr"
		fi
		break
	fi
	echo "# round $round: the backup ended first; more data"
	grow 6
done
check prune-met-a-backup test "$done1" -eq 1

# --- 2. backup while a prune runs ---
# Half the files go, interleaved: the packs are half used, prune repacks.
for i in $(seq 1 2 "$nbig"); do
	rm -f -- "$BIG/b$i"
done
# Forget the snapshots so far.
rm -f -- "$COFFER_REPOSITORY"/snapshots/*
coffer_ok backup-half-rc backup --json "$BIG"
HALF=$(json_last .snapshot_id)
cp -a -- "$BIG" "$T/half"
echo "$HALF $BIG $T/half" > "$T/snaps.kept"
done2=0
brc=1
"$COFFER_BIN" prune --max-unused 0% < /dev/null > "$T/pr.out" \
    2> "$T/pr.err" &
pid=$!
if wait_lock "$pid"; then
	run_coffer backup --json "$SMALL"
	brc=$RC
	berr=$ERR
	if kill -0 "$pid" 2> /dev/null; then
		done2=1
	fi
fi
wait "$pid"
expect_eq prune-rc "$?" 0
if [ "$done2" -eq 1 ]; then
	expect_eq backup-during-prune-rc "$brc" 11
	if [[ $berr == *"repository is locked: an exclusive lock held by"* ]]
	then
		pass backup-during-prune-msg
	else
		fail backup-during-prune-msg "stderr: $berr"
	fi
else
	skip backup-during-prune "the prune ended before the backup started"
	if [ "$brc" -eq 0 ]; then
		echo "$(json_last .snapshot_id) $SMALL $SMALL" >> \
		    "$T/snaps.kept"
	fi
fi

# --- 3. our lock removed while prune runs (as unlock --remove-all does):
# prune must not delete anything, since a backup could start. ---
for i in $(seq 2 4 "$nbig"); do
	rm -f -- "$BIG/b$i"
done
coffer_ok backup-quarter-rc backup --json "$BIG"
echo "$(json_last .snapshot_id) $BIG $T/quarter" >> "$T/snaps.kept"
cp -a -- "$BIG" "$T/quarter"
rm -f -- "$COFFER_REPOSITORY/snapshots/$HALF"
sed -i "/^$HALF /d" "$T/snaps.kept"
"$COFFER_BIN" prune --max-unused 0% < /dev/null > "$T/pr.out" \
    2> "$T/pr.err" &
pid=$!
removed=0
if wait_lock "$pid"; then
	rm -f -- "$COFFER_REPOSITORY"/locks/*
	removed=1
fi
wait "$pid"
prc=$?
sed 's/^/#   prune stderr: /' "$T/pr.err"
if [ "$removed" -eq 1 ] && [ "$prc" -ne 0 ]; then
	expect_eq lost-lock-rc "$prc" 1
	check lost-lock-msg grep -q "the exclusive lock was lost .*: prune stops before deleting anything" "$T/pr.err"
	run_coffer check --read-data
	expect_rc lost-lock-check-rc 0
	coffer_ok lost-lock-prune-again-rc prune
else
	skip lost-lock "the prune ended before its lock could be removed"
fi

# --- 4. nothing lost ---
run_coffer check --read-data
expect_rc check-rc 0
expect_out check-message "no errors were found"
expect_eq no-locks-left "$(find "$T/repo/locks" -type f | wc -l)" 0
while read -r s dir saved; do
	rm -rf -- "$T/r"
	run_coffer restore "$s" --target "$T/r"
	expect_rc "restore-${s:0:8}-rc" 0
	expect_treecmp "restore-${s:0:8}-identical" --no-atime "$saved" \
	    "$T/r$dir"
done < "$T/snaps.kept"

summary
