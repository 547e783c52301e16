# shellcheck shell=bash
#
# tests/s3lib.sh: sourced (by bash) at the top of the S3 scenarios
# (tests/scenarios/8?-s3-*.sh) instead of lib.sh, which it sources unless
# srvlib.sh (which sources it too) came first.
#
# The scenarios run against the Ceph cluster of scripts/ceph-up.sh: its
# env file, $COFFER_CEPH_ENV (default /tmp/coffer-ceph/env), gives the
# endpoint and an S3 user's keys.  Without that file, or when the gateway
# does not answer, a scenario prints one SKIP line and exits 0
# (scripts/test-all.sh brings the cluster up, so CI runs them).
#
# Sets: S3_ENDPOINT (http://127.0.0.1:PORT), S3_BUCKET (a new bucket name
# for this run, not created), and exports AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION.  COFFER_S3_RETRIES is 3 unless
# the scenario sets it, so that a failure is reported in seconds.

if ! declare -F pass > /dev/null; then
	. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
fi

: "${COFFER_CEPH_ENV:=/tmp/coffer-ceph/env}"
if [ ! -f "$COFFER_CEPH_ENV" ]; then
	skip "$SCENARIO" "no Ceph cluster ($COFFER_CEPH_ENV missing; run" \
	    "scripts/ceph-up.sh)"
	summary
fi
# shellcheck disable=SC1090
. "$COFFER_CEPH_ENV"
S3_ENDPOINT=$COFFER_S3_ENDPOINT
if ! curl -s -o /dev/null --max-time 5 "$S3_ENDPOINT/"; then
	skip "$SCENARIO" "the S3 gateway at $S3_ENDPOINT does not answer"
	summary
fi
export COFFER_S3_RETRIES=${COFFER_S3_RETRIES:-3}
S3_BUCKET=t${SCENARIO%%-*}-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
S3_EMPTY_SHA=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# s3curl ARGS...: curl with SigV4 as this S3 user, printing the body, then
# a last line with the HTTP status.  For PUT, give the payload's SHA-256
# with -H "x-amz-content-sha256: ..." (radosgw needs the header).
s3curl() {
	local has=0 a
	for a in "$@"; do
		[[ $a == x-amz-content-sha256:* ]] && has=1
	done
	if [ "$has" -eq 1 ]; then
		curl -s --aws-sigv4 "aws:amz:$AWS_DEFAULT_REGION:s3" \
		    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		    -w '\n%{http_code}\n' "$@"
	else
		curl -s --aws-sigv4 "aws:amz:$AWS_DEFAULT_REGION:s3" \
		    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
		    -H "x-amz-content-sha256: $S3_EMPTY_SHA" \
		    -w '\n%{http_code}\n' "$@"
	fi
}

# s3_put KEY FILE: upload FILE to S3_BUCKET/KEY (KEY URL-encoded already).
# Returns 0 if the answer is 200.
s3_put() {
	local h
	h=$(sha256sum < "$2" | cut -c1-64)
	[ "$(s3curl -T "$2" -H "x-amz-content-sha256: $h" \
	    "$S3_ENDPOINT/$S3_BUCKET/$1" | tail -n 1)" = 200 ]
}

# s3_get KEY FILE: download S3_BUCKET/KEY into FILE.  0 if 200.
s3_get() {
	[ "$(curl -s --aws-sigv4 "aws:amz:$AWS_DEFAULT_REGION:s3" \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H "x-amz-content-sha256: $S3_EMPTY_SHA" -o "$2" \
	    -w '%{http_code}' "$S3_ENDPOINT/$S3_BUCKET/$1")" = 200 ]
}

# s3_sizes PREFIX: "KEY SIZE" for every key of S3_BUCKET under PREFIX (up
# to 1,000).
s3_sizes() {
	s3curl "$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=${1//\//%2F}" |
	    sed '$d' | sed 's/<Contents>/\n/g' | sed -n \
	    's|^<Key>\([^<]*\)</Key>.*<Size>\([0-9]*\)</Size>.*|\1 \2|p'
}

# s3_keys PREFIX: every key of S3_BUCKET under PREFIX (up to 1,000; a
# check of its own, independent of coffer's listing code).
s3_keys() {
	s3curl "$S3_ENDPOINT/$S3_BUCKET?list-type=2&prefix=${1//\//%2F}" |
	    sed '$d' | grep -o '<Key>[^<]*</Key>' | sed 's/<[^>]*>//g'
}

# rgw_pid: the pid of this cluster's radosgw, or nothing.
rgw_pid() {
	local p
	p=$(cat "$COFFER_CEPH_DIR/run/client.rgw.a.pid" 2> /dev/null)
	if [ -n "$p" ] && kill -0 "$p" 2> /dev/null; then
		echo "$p"
	fi
}

# rgw_stop: stop radosgw (SIGTERM, then SIGKILL after 20 s).
rgw_stop() {
	local p i=0
	p=$(rgw_pid)
	[ -n "$p" ] || return 0
	kill -TERM "$p"
	while kill -0 "$p" 2> /dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			kill -KILL "$p" 2> /dev/null
			sleep 0.2
			break
		fi
		sleep 0.1
	done
}

# rgw_start: start radosgw again; 0 once it answers (within 60 s).
rgw_start() {
	local i=0
	if [ -z "$(rgw_pid)" ]; then
		MALLOC_ARENA_MAX=2 radosgw -c "$COFFER_CEPH_CONF" \
		    -n client.rgw.a || return 1
	fi
	until curl -s -o /dev/null --max-time 2 "$S3_ENDPOINT/"; do
		i=$((i + 1))
		[ $i -gt 300 ] && return 1
		sleep 0.2
	done
}

# s3_delete_bucket: delete every object of S3_BUCKET, then the bucket
# (best effort; keeps the cluster small between scenarios).
s3_delete_bucket() {
	radosgw-admin -c "$COFFER_CEPH_CONF" -n client.admin bucket rm \
	    --bucket="$S3_BUCKET" --purge-objects > /dev/null 2>&1
}
