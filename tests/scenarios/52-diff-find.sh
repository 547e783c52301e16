#!/usr/bin/env bash
#
# 52 diff and find.  diff: each kind of change (+, -, M, T, U with
# --metadata) shows exactly once, with restic's summary and --json; the
# SNAPSHOT:PATH form; unchanged subtrees are never read (their packs are
# deleted and the diff still works).  find: patterns on names and paths,
# -i, --long, --json, -s, --oldest/--newest on file times, no match.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC/big/deep" "$SRC/gone/sub" "$SRC/keep" "$SRC/turn"
for i in 1 2 3 4 5; do
	rnd "$SRC/big/deep/b$i" 20000
done
printf 'top 1\n' > "$SRC/top.txt"
printf 'old\n' > "$SRC/gone/sub/old.txt"
printf 'keep\n' > "$SRC/keep/same.TXT"
printf 'meta\n' > "$SRC/keep/meta"
printf 'file\n' > "$SRC/turn/x"
ln -s top.txt "$SRC/link"
touch -d '2020-05-05 12:00:00' "$SRC/keep/same.TXT"
coffer_ok init-rc init || summary
run_coffer backup --json "$SRC"
expect_rc backup-1 0
s1=$(json_last .snapshot_id)
packs1=$(packs)

# Second snapshot: every kind of change, big/ untouched.
printf 'top 2\n' > "$SRC/top.txt"
rm -r "$SRC/gone"
mkdir -p "$SRC/new/inner"
printf 'n\n' > "$SRC/new/inner/n.txt"
chmod 0600 "$SRC/keep/meta"
rm -r "$SRC/turn"
printf 'now a file\n' > "$SRC/turn"
ln -sfn keep "$SRC/link"
run_coffer backup --json "$SRC"
expect_rc backup-2 0
s2=$(json_last .snapshot_id)
printf 'top 3\n' > "$SRC/top.txt"
run_coffer backup --json "$SRC"
expect_rc backup-3 0
s3=$(json_last .snapshot_id)

run_coffer diff "$s1" "$s2"
expect_rc diff-rc 0
expect_out_line diff-header "comparing snapshot ${s1:0:8} to ${s2:0:8}:"
changes=$(grep -E '^[-+MTU?]+ +/' "$OUT_FILE" | sort)
expect_eq diff-changes "$changes" "$(sort <<EOF
-    $SRC/gone/
-    $SRC/gone/sub/
-    $SRC/gone/sub/old.txt
-    $SRC/turn/x
+    $SRC/new/
+    $SRC/new/inner/
+    $SRC/new/inner/n.txt
M    $SRC/link
M    $SRC/top.txt
T    $SRC/turn
EOF
)"
expect_out_line diff-files "Files:           1 new,     2 removed,     1 changed"
expect_out_line diff-dirs "Dirs:            2 new,     2 removed"
expect_out_line diff-others "Others:          0 new,     0 removed"
expect_out_re diff-data-blobs "Data Blobs: +3 new, +3 removed"
expect_out_re diff-added "  Added: +[0-9.]+ [KMG]?i?B"

run_coffer diff --metadata "$s1" "$s2"
expect_rc diff-metadata-rc 0
expect_out_line diff-metadata-U "U    $SRC/keep/meta"
expect_no_out diff-metadata-no-same "same.TXT"

run_coffer --json diff "$s1" "$s2"
expect_rc diff-json-rc 0
expect_eq diff-json-T "$(jq -r 'select(.modifier == "T") | .path' \
    < "$OUT_FILE")" "$SRC/turn"
expect_eq diff-json-changes "$(grep -c '"message_type":"change"' \
    "$OUT_FILE")" 10
expect_eq diff-json-stats "$(json_last '.added.files, .removed.dirs,
    .changed_files' | tr '\n' ' ')" "1 2 1 "
expect_eq diff-json-source "$(json_last .source_snapshot)" "$s1"

# SNAPSHOT:PATH compares subdirectories.
run_coffer diff "$s1:$SRC/gone" "$s2:$SRC/new"
expect_rc diff-subdir-rc 0
expect_out_line diff-subdir-minus "-    /sub/"
expect_out_line diff-subdir-plus "+    /inner/n.txt"
run_coffer diff "$s1:$SRC/top.txt" "$s2"
expect_rc diff-subdir-file-rc 1
expect_err diff-subdir-file-msg "not a directory"

# Same snapshot: nothing.
run_coffer diff "$s2" "$s2"
expect_rc diff-same-rc 0
expect_no_out diff-same-nothing "$SRC"

# Unchanged subtrees are not read: without the packs of the first backup
# (big/ is only there), s2 and s3 still compare.
for p in $packs1; do
	mv -- "$(pack_path "$p")" "$T/"
done
run_coffer diff "$s2" "$s3"
expect_rc diff-skips-unchanged-rc 0
expect_eq diff-skips-unchanged-only-top "$(grep -E '^[-+MTU]+ ' \
    "$OUT_FILE")" "M    $SRC/top.txt"
run_coffer diff "$s1" "$s3"
expect_rc diff-missing-tree-rc 1
expect_err diff-missing-tree-msg "missing, truncated or damaged"
for p in $packs1; do
	mv -- "$T/$p" "$(pack_path "$p")"
done

# Bad input.
run_coffer diff "$s1"
expect_rc diff-one-arg-rc 1
expect_err diff-one-arg-msg "give two snapshots"
run_coffer diff "$s1" 0000000000
expect_rc diff-unknown-rc 1
expect_err diff-unknown-msg 'no snapshot matching "0000000000"'
run_coffer diff "$s1:/no/such" "$s2"
expect_rc diff-bad-path-rc 1
expect_err diff-bad-path-msg "/no: no such file or directory"

# find.
run_coffer find '*.txt'
expect_rc find-rc 0
expect_eq find-lines "$(grep '^/' "$OUT_FILE" | sort | uniq -c |
    awk '{print $1, $2}')" "$(printf '%s\n' "1 $SRC/gone/sub/old.txt" \
    "2 $SRC/new/inner/n.txt" "3 $SRC/top.txt" | sort -k2)"
expect_out_line find-header-s3 "Found matching entries in snapshot ${s3:0:8} from $(
    "$COFFER_BIN" snapshots --json | jq -r '.[2].time' |
    sed 's/T/ /; s/\..*//')"
# Newest snapshot first; -R reverses.
expect_eq find-newest-first "$(grep -m1 '^Found' "$OUT_FILE" |
    cut -d' ' -f6)" "${s3:0:8}"
run_coffer find -R '*.txt'
expect_eq find-reverse "$(grep -m1 '^Found' "$OUT_FILE" | cut -d' ' -f6)" \
    "${s1:0:8}"
run_coffer find -i '*.txt' -s "$s1"
expect_rc find-icase-rc 0
expect_out_line find-icase "$SRC/keep/same.TXT"
expect_eq find-one-snapshot "$(grep -c '^Found' "$OUT_FILE")" 1
run_coffer find '*.txt' -s "$s1"
expect_no_out find-case-sensitive "same.TXT"
run_coffer find 'inner/n*'
expect_out_line find-path-pattern "$SRC/new/inner/n.txt"
run_coffer find "$SRC/big"
expect_out_line find-absolute "$SRC/big"
expect_no_out find-absolute-exact "$SRC/big/deep"
run_coffer find '/**/deep/b3'
expect_out_line find-doublestar "$SRC/big/deep/b3"
run_coffer find -l link -s "$s2"
expect_out_re find-long-symlink "l[rwx-]{9} +[0-9]+ +[0-9]+ +0 [-0-9: ]+ $SRC/link -> keep"
run_coffer find -l b1 -s "$s2"
expect_out_re find-long-file "-rw[-r]{7} +[0-9]+ +[0-9]+ +20000 [-0-9: ]+ $SRC/big/deep/b1"
run_coffer find --newest 2021-01-01 '*' -s "$s1"
expect_eq find-newest-time "$(grep '^/' "$OUT_FILE")" "$SRC/keep/same.TXT"
run_coffer find --oldest '2021-01-01 00:00' same.TXT
expect_rc find-oldest-rc 0
expect_no_out find-oldest-time "same.TXT"
run_coffer --json find top.txt
expect_rc find-json-rc 0
expect_eq find-json "$(jq -r '[length, .[0].hits, .[0].snapshot,
    .[0].matches[0].path, .[0].matches[0].type, .[0].matches[0].size] |
    join(" ")' < "$OUT_FILE")" "3 1 $s3 $SRC/top.txt file 6"
run_coffer find nothing-like-this
expect_rc find-none-rc 0
expect_eq find-none-empty "$OUT" ""
run_coffer find
expect_rc find-no-pattern-rc 1
expect_err find-no-pattern-msg "give at least one pattern"
run_coffer find --oldest yesterday x
expect_rc find-bad-time-rc 1
expect_err find-bad-time-msg 'invalid time "yesterday"'
run_coffer find x -s 0000000000
expect_rc find-unknown-rc 1
expect_err find-unknown-msg 'no snapshot matching "0000000000"'

summary
