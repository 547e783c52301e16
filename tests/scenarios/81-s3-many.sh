#!/usr/bin/env bash
#
# 81 s3 many: a listing longer than one ListObjectsV2 page (1,000 keys).
# 1,050 extra objects are put into the repository's data/ with curl, each
# named by the SHA-256 of its bytes as a pack is (so they pass the hash
# check) but in no index.  coffer check must then see every one of them:
# "checking the hashes of N packs" with N = 1,050 + the real packs, and
# exactly 1,050 "not in any index" lines naming exactly those objects --
# which takes a continuation token to list.  Their removal (by curl)
# brings the count back.

. "$(dirname -- "$0")/../s3lib.sh"

scenario_cleanup() {
	s3_delete_bucket
}
N=1050
export COFFER_REPOSITORY="s3:$S3_ENDPOINT/$S3_BUCKET/r"

mkdir -p "$T/src" "$T/objs"
rnd "$T/src/a" 300000
run_coffer init
expect_rc init-rc 0 || summary
run_coffer backup "$T/src"
expect_rc backup-rc 0 || summary
run_coffer check
expect_rc check-before-rc 0
REAL=$(sed -n 's/^checking the hashes of \([0-9]*\) packs$/\1/p' "$OUT_FILE")
expect_ge real-packs "${REAL:-0}" 1

# The objects (one awk, no fork per object), and one curl process
# uploading them 16 at a time.  In curl's config, "next" goes between
# blocks: after the last one it would start an empty transfer, a fatal
# error that aborts the others.
(cd "$T/objs" && awk -v n="$N" 'BEGIN {
	for (i = 1; i <= n; i++) {
		printf "not a pack %d\n", i > i
		close(i)
	}
}') && (cd "$T/objs" && sha256sum -- *) > "$T/sums"
# curl_cfg METHOD: the config to PUT (each file) or DELETE every object.
curl_cfg() {
	awk -v m="$1" -v dir="$T/objs" -v base="$S3_ENDPOINT/$S3_BUCKET/r" \
	    -v sig="aws:amz:$AWS_DEFAULT_REGION:s3" \
	    -v user="$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -v empty="$S3_EMPTY_SHA" '{
		if (NR > 1)
			print "next"
		printf "aws-sigv4 = \"%s\"\nuser = \"%s\"\n", sig, user
		if (m == "PUT")
			printf "header = \"x-amz-content-sha256: %s\"\n" \
			    "upload-file = \"%s/%s\"\n", $1, dir, $2
		else
			printf "header = \"x-amz-content-sha256: %s\"\n" \
			    "request = \"DELETE\"\n", empty
		printf "url = \"%s/data/%s/%s\"\n", base, substr($1, 1, 2),
		    $1
		print "output = /dev/null"
		print "write-out = \"%{http_code}\\n\""
	}' "$T/sums"
}
curl_cfg PUT > "$T/curl.cfg"
curl -s --parallel --parallel-max 16 -K "$T/curl.cfg" > "$T/codes"
expect_eq objects-stored "$(grep -c '^200$' "$T/codes")" "$N"

run_coffer check
expect_rc check-many-rc 0
expect_out_line check-many-count "checking the hashes of $((N + REAL)) packs"
grep -oE '^pack [0-9a-f]{64} is not in any index' "$OUT_FILE" |
    cut -d' ' -f2 | sort > "$T/unindexed"
cut -d' ' -f1 "$T/sums" | sort > "$T/want"
check check-many-names cmp -s "$T/unindexed" "$T/want"

# Listing with a read-only operation too: snapshots still work.
run_coffer snapshots --json
expect_eq snapshots-one "$(jq length < "$OUT_FILE")" 1

# Remove them again (curl, DELETE) and the count is back.
curl_cfg DELETE > "$T/curl.cfg"
curl -s --parallel --parallel-max 16 -K "$T/curl.cfg" > "$T/codes"
expect_eq objects-deleted "$(grep -c '^204$' "$T/codes")" "$N"
run_coffer check --read-data
expect_rc check-after-rc 0
expect_out_line check-after-count "reading all data in $REAL packs"

summary
