#!/usr/bin/env bash
#
# 11 concurrent: two backups of two different 50 MiB trees run at the same
# time into one repository.  Both succeed, both snapshots are there, both
# restore byte-exact, and check --read-data finds no error: concurrent
# writers must not lose each other's index entries or packs.

. "$(dirname -- "$0")/../lib.sh"

MiB=$((1024 * 1024))
for t in one two; do
	mkdir -p "$T/$t/sub"
	for i in 1 2 3 4; do
		rnd "$T/$t/f$i" $((10 * MiB))
	done
	rnd "$T/$t/sub/g" $((10 * MiB))
	printf '%s\n' "$t" > "$T/$t/sub/name"
done
# Some data shared by both trees, so both writers find the same new blobs.
rnd "$T/shared" $((3 * MiB))
cp -- "$T/shared" "$T/one/shared"
cp -- "$T/shared" "$T/two/shared"

coffer_ok init-rc init || summary

# Both in the background, each with its own output files; no prompt can
# hang them (new session, stdin from /dev/null).
timeout -k 10 "$SCENARIO_TIMEOUT" setsid -w "$COFFER_BIN" backup --json \
    "$T/one" < /dev/null > "$T/one.out" 2> "$T/one.err" &
p1=$!
timeout -k 10 "$SCENARIO_TIMEOUT" setsid -w "$COFFER_BIN" backup --json \
    "$T/two" < /dev/null > "$T/two.out" 2> "$T/two.err" &
p2=$!
wait "$p1"
rc1=$?
wait "$p2"
rc2=$?
sed 's/^/#   one stderr: /' "$T/one.err"
sed 's/^/#   two stderr: /' "$T/two.err"
expect_eq backup-one-rc "$rc1" 0
expect_eq backup-two-rc "$rc2" 0
id1=$(grep '^{' "$T/one.out" | tail -n 1 | jq -r '.snapshot_id // empty')
id2=$(grep '^{' "$T/two.out" | tail -n 1 | jq -r '.snapshot_id // empty')
check backup-one-id test -n "$id1"
check backup-two-id test -n "$id2"

run_coffer snapshots --json
expect_rc snapshots-rc 0
expect_eq two-snapshots "$(jq length <<< "$OUT")" 2
expect_eq snapshot-paths "$(jq -r '[.[].paths[]] | sort | join(" ")' \
    <<< "$OUT")" "$T/one $T/two"

run_coffer check --read-data
expect_rc check-rc 0
expect_out check-message "no errors were found"
expect_eq layout "$(bad_repo_names)" ""
expect_eq pack-hashes "$(bad_pack_hashes)" ""
expect_eq no-locks-left "$(find "$T/repo/locks" -type f | wc -l)" 0

run_coffer restore "$id1" --target "$T/r1"
expect_rc restore-one-rc 0
expect_treecmp restore-one-identical --no-atime "$T/one" "$T/r1$T/one"
run_coffer restore "$id2" --target "$T/r2"
expect_rc restore-two-rc 0
expect_treecmp restore-two-identical --no-atime "$T/two" "$T/r2$T/two"

summary
