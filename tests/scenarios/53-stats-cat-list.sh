#!/usr/bin/env bash
#
# 53 stats, cat and list on a repository whose contents are known: two
# snapshots of a tree with a duplicated file, a hard link, compressible
# and random data.  Every number stats prints is checked against what the
# files are, or against `list` and `cat` output (which are themselves
# checked against the repository's files).

. "$(dirname -- "$0")/../lib.sh"

SRC=$T/src
mkdir -p "$SRC/d"
rnd "$SRC/a" 100000
cp "$SRC/a" "$SRC/d/a-copy"
seq 1 40000 > "$SRC/text"
ln "$SRC/text" "$SRC/d/text-link"
ln -s a "$SRC/sym"
A=100000
TXT=$(file_size "$SRC/text")
coffer_ok init-rc init || summary
run_coffer backup --json "$SRC"
expect_rc backup-1 0
s1=$(json_last .snapshot_id)
rnd "$SRC/e" 50000
run_coffer backup --json "$SRC"
expect_rc backup-2 0
s2=$(json_last .snapshot_id)

# Components of $SRC: the trees above it in each snapshot.
depth=$(printf '%s' "$SRC" | tr -cd / | wc -c)
# Entries: the directories down to $SRC, then $SRC's contents.
n1=$((depth + 6))	# a, d, d/a-copy, text, d/text-link, sym
n2=$((n1 + 1))

# restore-size: every entry; a hard link once.
run_coffer stats "$s1"
expect_rc restore-size-rc 0
expect_out_line restore-size-header "Stats in restore-size mode:"
expect_out_re restore-size-count " +Total File Count:  $n1"
run_coffer --json stats
expect_rc restore-size-json-rc 0
expect_json restore-size-snapshots .snapshots_count 2
expect_json restore-size-files .total_file_count $((n1 + n2))
expect_json restore-size-bytes .total_size \
    $((2 * (2 * A + TXT) + 50000))

# files-by-contents: a = d/a-copy, text = its link; e.
run_coffer --json stats --mode files-by-contents
expect_rc contents-rc 0
expect_json contents-files .total_file_count 3
expect_json contents-bytes .total_size $((A + TXT + 50000))

# blobs-per-file: the same files, each distinct blob once.
run_coffer --json stats --mode blobs-per-file
expect_rc blobs-per-file-rc 0
expect_json blobs-per-file-files .total_file_count 3
expect_json blobs-per-file-bytes .total_size $((A + TXT + 50000))
nblobs=$(json_last .total_blob_count)
expect_ge blobs-per-file-blobs "$nblobs" 3

# raw-data: the distinct blobs, from the index.
run_coffer list blobs
expect_rc list-blobs-rc 0
ndata=$(grep -c '^data ' "$OUT_FILE")
ntree=$(grep -c '^tree ' "$OUT_FILE")
expect_eq list-blobs-shape "$(grep -cvE '^(data|tree) [0-9a-f]{64}$' \
    "$OUT_FILE")" 0
run_coffer --json stats --mode raw-data
expect_rc raw-rc 0
expect_json raw-data-blobs .data_blob_count "$ndata"
expect_json raw-tree-blobs .tree_blob_count "$ntree"
# Snapshot 1: the trees down to $SRC, $SRC and d; snapshot 2 shares d.
expect_json raw-tree-blobs-count .tree_blob_count $((2 * depth + 3))
expect_json raw-blobs-per-file-agrees .data_blob_count "$nblobs"
expect_json raw-data-bytes .data_uncompressed_size $((A + TXT + 50000))
expect_json raw-logical .logical_size $((2 * (2 * A + 2 * TXT) + 50000))
expect_json raw-packs .pack_count "$(packs | wc -l)"
expect_json raw-repo-packs .repository_pack_count "$(packs | wc -l)"
expect_json raw-repo-size .repository_size "$(find \
    "$COFFER_REPOSITORY/data" -type f -printf '%s\n' |
    awk '{ s += $1 } END { print s }')"
ratio=$(json_last .dedup_ratio)
expect_eq raw-dedup-ratio "$(awk -v r="$ratio" -v w="$(( (2 * (2 * A +
    2 * TXT) + 50000) ))" -v d=$((A + TXT + 50000)) 'BEGIN {
    print (r - w / d < 1e-6 && w / d - r < 1e-6) ? "ok" : r }')" ok
stored=$(json_last .total_size)
raw=$(json_last .total_uncompressed_size)
# The text compresses: less stored than raw despite the random data.
expect_lt raw-compressed "$stored" "$raw"
cr=$(json_last .compression_ratio)
expect_eq raw-compression-ratio "$(awk -v c="$cr" -v s="$stored" \
    -v r="$raw" 'BEGIN { print (c - r / s < 1e-6 && r / s - c < 1e-6 &&
    c > 1) ? "ok" : c }')" ok
run_coffer stats --mode raw-data
expect_out_re raw-text-ratio " +Compression Ratio:  [0-9]+\.[0-9]{2}x"
expect_out_re raw-text-dedup " +Deduplication Ratio:  [0-9]+\.[0-9]{2}x"
run_coffer --json stats --mode raw-data "$s1"
expect_json raw-one-snapshot .snapshots_count 1
expect_json raw-one-logical .logical_size $((2 * A + 2 * TXT))
expect_json raw-one-data .data_uncompressed_size $((A + TXT))

# list: ids match the files of the repository.
for kind in snapshots:snapshots index:index keys:keys; do
	run_coffer list "${kind%%:*}"
	expect_rc "list-${kind%%:*}-rc" 0
	expect_eq "list-${kind%%:*}" "$(sort < "$OUT_FILE")" \
	    "$(ids_in "${kind#*:}")"
done
run_coffer list packs
expect_eq list-packs "$(sort < "$OUT_FILE")" "$(packs)"
run_coffer list locks
expect_rc list-locks-rc 0
expect_eq list-locks-none "$OUT" ""
run_coffer --json list snapshots
expect_eq list-json "$(jq -r '.[]' < "$OUT_FILE" | sort)" \
    "$(ids_in snapshots)"

# cat: decrypted objects.
run_coffer cat config
expect_rc cat-config-rc 0
expect_eq cat-config "$(jq -r '[.version, .chunker, .compression] |
    join(" ")' < "$OUT_FILE")" "1 fastcdc zstd"
run_coffer cat snapshot "${s2:0:10}"
expect_rc cat-snapshot-rc 0
expect_eq cat-snapshot-parent "$(jq -r .parent < "$OUT_FILE")" "$s1"
expect_eq cat-snapshot-paths "$(jq -r '.paths[0]' < "$OUT_FILE")" "$SRC"
run_coffer cat snapshot latest
expect_eq cat-snapshot-latest "$(jq -r .parent < "$OUT_FILE")" "$s1"
run_coffer cat tree "$s2:$SRC"
expect_rc cat-tree-rc 0
expect_eq cat-tree-names "$(jq -r '.nodes[].name' < "$OUT_FILE" |
    tr '\n' ' ')" "a d e sym text "
expect_eq cat-tree-sym "$(jq -r '.nodes[] | select(.name == "sym") |
    .linktarget' < "$OUT_FILE")" a
expect_eq cat-tree-link-count "$(jq -r '.nodes[] |
    select(.name == "text") | .links' < "$OUT_FILE")" 2
blob=$(jq -r '.nodes[] | select(.name == "text") | .content[0]' \
    < "$OUT_FILE")
dtree=$(jq -r '.nodes[] | select(.name == "d") | .subtree' < "$OUT_FILE")
run_coffer cat tree "$dtree"
expect_rc cat-tree-id-rc 0
expect_eq cat-tree-id "$(jq -r '.nodes[].name' < "$OUT_FILE" |
    tr '\n' ' ')" "a-copy text-link "
run_coffer cat blob "$blob"
expect_rc cat-blob-rc 0
# The text is one chunk or the first of several: a prefix of the file.
head -c "$(file_size "$OUT_FILE")" "$SRC/text" > "$T/prefix"
expect_same cat-blob-bytes "$OUT_FILE" "$T/prefix"
expect_ge cat-blob-size "$(file_size "$OUT_FILE")" 1
idx=$(ids_in index | head -n 1)
run_coffer cat index "$idx"
expect_rc cat-index-rc 0
expect_eq cat-index-packs-exist "$(jq -r '.packs[].id' < "$OUT_FILE" |
    while read -r p; do [ -f "$(pack_path "$p")" ] || echo "$p"; done)" ""
pk=$(jq -r '.packs[0].id' < "$OUT_FILE")
nb=$(jq '.packs[0].blobs | length' < "$OUT_FILE")
run_coffer cat pack "${pk:0:12}"
expect_rc cat-pack-rc 0
expect_eq cat-pack-size "$(jq -r .size < "$OUT_FILE")" \
    "$(file_size "$(pack_path "$pk")")"
expect_eq cat-pack-blobs "$(jq '.blobs | length' < "$OUT_FILE")" "$nb"
run_coffer cat key "$(ids_in keys | head -n 1)"
expect_rc cat-key-rc 0
expect_eq cat-key-kind "$(jq -r '[.kind, .current, .kdf.name] |
    join(" ")' < "$OUT_FILE")" "passcode true argon2id"
# Metadata only: no key material among the fields.
expect_eq cat-key-fields "$(jq -c 'keys' < "$OUT_FILE")" \
    '["created","current","hostname","id","kdf","kind","username"]'

# Damage shows: a pack whose bytes changed.
cp "$(pack_path "$pk")" "$T/pack.bak"
flip_byte "$(pack_path "$pk")" 40
run_coffer cat pack "$pk"
expect_rc cat-damaged-pack-rc 1
expect_err cat-damaged-pack-msg "do not match its name"
cp "$T/pack.bak" "$(pack_path "$pk")"

# Bad input.
run_coffer stats --mode bogus
expect_rc stats-bad-mode-rc 1
expect_err stats-bad-mode-msg 'unknown mode "bogus"'
run_coffer stats 0000000000
expect_rc stats-unknown-rc 1
expect_err stats-unknown-msg 'no snapshot matching "0000000000"'
run_coffer list everything
expect_rc list-bad-type-rc 1
expect_err list-bad-type-msg 'unknown type "everything"'
run_coffer cat snapshot 0000000000
expect_rc cat-unknown-rc 1
expect_err cat-unknown-msg 'no object matching "0000000000"'
run_coffer cat blob 1234
expect_rc cat-short-blob-rc 1
expect_err cat-short-blob-msg "not a blob id"
run_coffer cat blob "$(printf '%064d' 0)"
expect_rc cat-missing-blob-rc 1
expect_err cat-missing-blob-msg "not in the index"
run_coffer cat sandwich x
expect_rc cat-bad-type-rc 1
expect_err cat-bad-type-msg 'unknown type "sandwich"'
run_coffer cat config extra
expect_rc cat-config-extra-rc 1

summary
