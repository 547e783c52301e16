#!/usr/bin/env bash
#
# 04 corruption: damage the repository in four ways, each on a fresh copy
# of one pristine repository, and check that `check`, `check --read-data`
# and `restore` report it with the object's id, exit 1, and leave no
# partial file behind, while everything undamaged still restores intact.
#
# The pristine repository holds three snapshots:
#   S1: src/a/a1..a4 (3 MiB random each) and src/small.txt
#   S2: the same plus src/b/b1..b6 (3 MiB random each): the packs new in S2
#       hold b data only (a data deduplicates), so damaging one of them
#       can hurt b files but no a file;
#   S3: the same after touching b1 (a new mtime, same content): the packs
#       new in S3 hold tree blobs only (the content deduplicates).
# Which pack holds which file is not visible from outside, so a restore
# is judged file by file: a file named on a "cannot restore" line must be
# absent from the target, every other file must be there and identical.
#
# Damages: (A) one byte flipped in the middle of the largest data pack
# new in S2; (B) a data pack from S1 truncated to half; (C) an index file
# deleted; (D) the tree pack(s) new in S3 deleted.  This assumes, as the
# spec's "a snapshot's tree pack" does, that tree blobs and data blobs go
# to different packs.

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
A_FILES="a1 a2 a3 a4"
B_FILES="b1 b2 b3 b4 b5 b6"
mkdir -p "$SRC/a" "$SRC/b"
for f in $A_FILES; do
	rnd "$SRC/a/$f" $((3 * 1024 * 1024))
done
printf 'small\n' > "$SRC/small.txt"

coffer_ok init-rc init || summary
run_coffer backup --json "$SRC"
expect_rc backup-1-rc 0
S1=$(json_last .snapshot_id)
packs_1=$(packs)

for f in $B_FILES; do
	rnd "$SRC/b/$f" $((3 * 1024 * 1024))
done
run_coffer backup --json "$SRC"
expect_rc backup-2-rc 0
S2=$(json_last .snapshot_id)
packs_2=$(packs)
new_2=$(comm -13 <(printf '%s\n' "$packs_1") <(printf '%s\n' "$packs_2"))

touch -m -d '2001-02-03 04:05:06' "$SRC/b/b1"
run_coffer backup --json "$SRC"
expect_rc backup-3-rc 0
S3=$(json_last .snapshot_id)
expect_json backup-3-no-data-blobs .data_blobs 0
packs_3=$(packs)
new_3=$(comm -13 <(printf '%s\n' "$packs_2") <(printf '%s\n' "$packs_3"))

check have-three-snapshots test -n "$S1" -a -n "$S2" -a -n "$S3"
check backup-2-wrote-packs test -n "$new_2"
check backup-3-wrote-a-tree-pack test -n "$new_3"
run_coffer check --read-data
expect_rc pristine-check-rc 0
expect_out pristine-check-message "no errors were found"
cp -a -- "$T/repo" "$T/pristine"

# largest_pack IDS: the id of the largest pack among IDS (one per line).
largest_pack() {
	local id
	for id in $1; do
		printf '%s %s\n' "$(file_size "$(pack_path "$id")")" "$id"
	done | sort -n | tail -n 1 | cut -d' ' -f2
}

# fresh: make $T/repo a copy of the pristine repository again.
fresh() {
	chmod -R u+rwX -- "$T/repo"
	rm -rf -- "$T/repo" "$T/r"
	cp -a -- "$T/pristine" "$T/repo"
}

# check_reports NAME ID WHAT: check and check --read-data both exit 1 and
# have a stderr line naming ID and WHAT, and a last line that says errors
# were found.
check_reports() {
	local name=$1 id=$2 what=$3 opt
	for opt in "" --read-data; do
		run_coffer check $opt
		expect_rc "$name-check$opt-rc" 1
		expect_err_line "$name-check$opt-names-it" \
		    "$(re_quote "$id")[^0-9a-f].*$(re_quote "$what")|$(re_quote "$id")$"
		expect_err "$name-check$opt-says-what" "$what"
		expect_last_err "$name-check$opt-last-line" "errors were found"
		expect_no_out "$name-check$opt-not-ok" "no errors were found"
	done
}

# restore_judged NAME SNAPSHOT FILES...: restore SNAPSHOT into $T/r
# expecting exit 1; each of FILES (paths below $SRC) is either named on a
# "cannot restore" line and absent, or present and identical.  Sets
# DAMAGED to the files named.  The target holds no other regular file.
restore_judged() {
	local name=$1 snap=$2 f lines
	shift 2
	run_coffer restore "$snap" --target "$T/r"
	expect_rc "$name-restore-rc" 1
	lines=$(grep -F 'cannot restore' -- "$ERR_FILE")
	DAMAGED=
	for f in "$@"; do
		if grep -qF -e "$SRC/$f" <<< "$lines"; then
			DAMAGED="$DAMAGED $f"
			expect_absent "$name-damaged-absent-$f" "$T/r$SRC/$f"
		else
			expect_same "$name-intact-$f" "$SRC/$f" "$T/r$SRC/$f"
		fi
	done
	check "$name-something-damaged" test -n "$DAMAGED"
	expect_eq "$name-no-stray-files" "$(cd -- "$T/r$SRC" 2> /dev/null &&
	    find . -type f -o -type l | sed 's|^\./||' | sort)" \
	    "$(for f in "$@"; do
		case " $DAMAGED " in *" $f "*) ;; *) echo "$f" ;; esac
	    done | sort)"
}

ALL="small.txt"
for f in $A_FILES; do ALL="$ALL a/$f"; done
for f in $B_FILES; do ALL="$ALL b/$f"; done

# --- (A) a flipped byte in a data pack ---------------------------------------
fresh
P=$(largest_pack "$new_2")
size=$(file_size "$(pack_path "$P")")
flip_byte "$(pack_path "$P")" $((size / 2))
check A-flipped test "$(sha256sum < "$(pack_path "$P")" | cut -c1-64)" != "$P"
check_reports A "pack $P" "hash does not match its name"
# shellcheck disable=SC2086
restore_judged A "$S2" $ALL
case $DAMAGED in
*a/*) fail A-only-b-damaged "damaged: $DAMAGED" ;;
*) pass A-only-b-damaged ;;
esac
# S1 does not use that pack at all: it restores whole.
rm -rf -- "$T/r"
run_coffer restore "$S1" --target "$T/r"
expect_rc A-restore-S1-rc 0
for f in $A_FILES; do
	expect_same "A-restore-S1-$f" "$SRC/a/$f" "$T/r$SRC/a/$f"
done

# --- (B) a truncated data pack ------------------------------------------------
fresh
Q=$(largest_pack "$packs_1")
size=$(file_size "$(pack_path "$Q")")
truncate -s $((size / 2)) -- "$(pack_path "$Q")"
check_reports B "pack $Q" "hash does not match its name"
# shellcheck disable=SC2086
restore_judged B "$S2" $ALL
case $DAMAGED in
*b/*) fail B-only-a-damaged "damaged: $DAMAGED" ;;
*) pass B-only-a-damaged ;;
esac

# --- (C) a deleted index file -------------------------------------------------
# The oldest index file (written by the first backup): the blobs S1..S3
# use from S1's packs are then in no index, while the packs are there.
# (A pack that is merely in no index is not an error by itself: see 12.)
fresh
I=$(find "$T/repo/index" -type f -printf '%T@ %f\n' | sort -n |
    head -n 1 | cut -d' ' -f2)
check C-have-index test -n "$I"
rm -f -- "$T/repo/index/$I"
for opt in "" --read-data; do
	run_coffer check $opt
	expect_rc "C-check$opt-rc" 1
	expect_err_line "C-check$opt-names-an-object" "[0-9a-f]{64}"
	expect_last_err "C-check$opt-last-line" "errors were found"
	expect_no_out "C-check$opt-not-ok" "no errors were found"
done

# --- (D) a snapshot's tree pack deleted -----------------------------------------
fresh
for id in $new_3; do
	rm -f -- "$(pack_path "$id")"
done
run_coffer check
expect_rc D-check-rc 1
for id in $new_3; do
	expect_err "D-check-names-${id:0:8}" "pack $id: missing"
done
expect_last_err D-check-last-line "errors were found"
run_coffer check --read-data
expect_rc D-check-read-data-rc 1
expect_err D-check-read-data-message "missing"
run_coffer ls "$S3"
expect_rc D-ls-S3-rc 1
run_coffer restore "$S3" --target "$T/r"
expect_rc D-restore-S3-rc 1
expect_eq D-restore-S3-nothing-partial \
    "$(find "$T/r" -type f 2> /dev/null | wc -l)" 0
# S2's trees are in other packs: it restores whole.
rm -rf -- "$T/r"
run_coffer restore "$S2" --target "$T/r"
expect_rc D-restore-S2-rc 0
for f in $ALL; do
	expect_same "D-restore-S2-$f" "$SRC/$f" "$T/r$SRC/$f"
done

# No damage case left a file outside the layout behind.
expect_eq layout-kept "$(bad_repo_names)" ""

summary
