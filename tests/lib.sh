# shellcheck shell=bash
#
# tests/lib.sh: sourced (by bash) at the top of every tests/scenarios/*.sh.
#
# Environment in (set by tests/run.sh; defaults for running one by hand):
#   COFFER_BIN          the coffer binary             (build/release/coffer)
#   TOOLS               directory holding treecmp     (build/release/tools)
#   COFFER_KDF_PARAMS   "test": cheap Argon2id        (test)
#   KEEP=1              keep the scenario's temp dir, and print where it is
#   SCENARIO_TIMEOUT    seconds one coffer command may take (600)
#
# What it sets up:
#   $T                  a fresh temp dir for this scenario, removed on exit
#   $TESTS_DIR          the tests/ directory of the source tree
#   $MKTREE, $TREECMP   the tree maker and comparer
#   COFFER_REPOSITORY   $T/repo (exported)
#   COFFER_PASSWORD     $PW (exported)
#   HOME                $T/home, so nothing lands in the invoking user's home
#
# Every check prints exactly one line, "PASS name" or "FAIL name: why",
# and the scenario goes on after a failure; `summary` at the end prints a
# count and exits non-zero if anything failed.  tests/run.sh counts those
# lines.  A scenario's names should be unique within it.

set -u
export LC_ALL=C TZ=UTC

TESTS_DIR=$(CDPATH='' cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
SCENARIO=$(basename -- "$0" .sh)
: "${COFFER_BIN:=$TESTS_DIR/../build/release/coffer}"
: "${TOOLS:=$(dirname -- "$COFFER_BIN")/tools}"
: "${COFFER_KDF_PARAMS:=test}"
: "${SCENARIO_TIMEOUT:=600}"
export COFFER_BIN TOOLS COFFER_KDF_PARAMS
# shellcheck disable=SC2034  # used by the scenarios
MKTREE=$TESTS_DIR/tools/mktree.sh
TREECMP=$TOOLS/treecmp

NPASS=0
NFAIL=0
NSKIP=0
# shellcheck disable=SC2034  # used by the scenarios
IS_ROOT=$([ "$(id -u)" -eq 0 ] && echo 1 || echo 0)

T=$(mktemp -d "${TMPDIR:-/tmp}/coffer-$SCENARIO.XXXXXX") || {
	echo "FAIL $SCENARIO-setup: cannot make a temp dir"
	exit 1
}
# Backups store absolute paths: use the canonical one, no symlinks in it.
T=$(cd -- "$T" && pwd -P)

# cleanup: kill what the scenario left running, call the scenario's own
# scenario_cleanup if it defined one, remove $T unless KEEP=1.
cleanup() {
	local p
	if declare -F scenario_cleanup > /dev/null; then
		scenario_cleanup
	fi
	for p in $(jobs -p); do
		kill -9 "$p" 2> /dev/null
	done
	wait 2> /dev/null
	if [ "${KEEP:-0}" = 1 ]; then
		echo "# kept $T"
		return
	fi
	# Trees made unreadable or read-only by a scenario must go too.
	chmod -R u+rwX -- "$T" 2> /dev/null
	rm -rf -- "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$T/home"
export HOME=$T/home
export XDG_CACHE_HOME=$T/home/.cache
export COFFER_REPOSITORY=$T/repo
PW='correct horse battery staple'
export COFFER_PASSWORD=$PW

# ------------------------------------------------------------------------
# Reporting

# oneline TEXT: TEXT with newlines shown as \n, cut to 300 characters.
oneline() {
	local s=${1//$'\n'/\\n}
	s=$(printf '%s' "$s" | cat -v)
	if [ "${#s}" -gt 300 ]; then
		s="${s:0:300}..."
	fi
	printf '%s' "$s"
}

# pass NAME: one passed check.
pass() {
	printf 'PASS %s\n' "$1"
	NPASS=$((NPASS + 1))
}

# fail NAME MESSAGE: one failed check.  Returns 1, so that a check that
# the rest depends on can end the scenario: `expect_rc init 0 || summary`.
fail() {
	printf 'FAIL %s: %s\n' "$1" "$(oneline "${2:-failed}")"
	NFAIL=$((NFAIL + 1))
	return 1
}

# skip NAME REASON: a check that cannot run here (not counted either way).
skip() {
	printf 'SKIP %s: %s\n' "$1" "$2"
	NSKIP=$((NSKIP + 1))
}

# check NAME COMMAND...: pass if COMMAND succeeds, else fail.
check() {
	local name=$1
	shift
	if "$@"; then
		pass "$name"
	else
		fail "$name" "command failed: $*"
	fi
}

# summary: print the count and exit 0 if no check failed and something
# was checked or skipped.
summary() {
	echo "# $SCENARIO: $NPASS passed, $NFAIL failed, $NSKIP skipped"
	if [ "$NFAIL" -gt 0 ] || [ $((NPASS + NSKIP)) -eq 0 ]; then
		exit 1
	fi
	exit 0
}

# ------------------------------------------------------------------------
# Running commands

# run_cmd COMMAND...: run COMMAND with stdin from /dev/null, in a new
# session (no controlling terminal, so nothing can prompt), under a time
# limit.  Sets RC, OUT and ERR (stdout and stderr text); the raw bytes stay
# in $OUT_FILE and $ERR_FILE.  Also logs the command and its stderr to the
# scenario's output.  A crash or a sanitizer report is a failed check of
# its own ("NAME-crash"), on top of whatever the caller checks.
OUT_FILE=$T/out
ERR_FILE=$T/err
RUNS=0
run_cmd() {
	RUNS=$((RUNS + 1))
	printf '# $ %s\n' "$(oneline "$*")"
	timeout -k 10 "$SCENARIO_TIMEOUT" setsid -w "$@" \
	    < /dev/null > "$OUT_FILE" 2> "$ERR_FILE"
	RC=$?
	OUT=$(cat -- "$OUT_FILE")
	ERR=$(cat -- "$ERR_FILE")
	if [ -n "$ERR" ]; then
		sed 's/^/#   stderr: /' -- "$ERR_FILE" | head -n 20
	fi
	if [ "$RC" -eq 124 ]; then
		fail "run$RUNS-timeout" "timed out after ${SCENARIO_TIMEOUT}s: $*"
	elif [ "$RC" -gt 128 ]; then
		fail "run$RUNS-crash" "killed by signal $((RC - 128)): $*"
	fi
	case $ERR in
	*AddressSanitizer* | *LeakSanitizer* | *"runtime error:"*)
		fail "run$RUNS-sanitizer" "sanitizer report: $*"
		;;
	esac
}

# run_coffer ARGS...: run_cmd "$COFFER_BIN" ARGS...
run_coffer() {
	run_cmd "$COFFER_BIN" "$@"
}

# coffer_ok NAME ARGS...: run coffer; one check that it exits 0.
coffer_ok() {
	local name=$1
	shift
	run_coffer "$@"
	expect_rc "$name" 0
}

# re_quote TEXT: TEXT with the special characters of an extended regular
# expression escaped, to match it literally.
re_quote() {
	printf '%s' "$1" | sed 's/[][\\.*^$+?(){}|]/\\&/g'
}

# ------------------------------------------------------------------------
# Checks on the last run

# expect_rc NAME CODE: the last command exited with CODE.
expect_rc() {
	if [ "$RC" -eq "$2" ]; then
		pass "$1"
	else
		fail "$1" "exit status $RC, expected $2; stderr: $ERR"
	fi
}

# expect_err NAME SUBSTRING: the last command's stderr contains SUBSTRING.
expect_err() {
	if [[ $ERR == *"$2"* ]]; then
		pass "$1"
	else
		fail "$1" "stderr does not contain '$2': $ERR"
	fi
}

# expect_out NAME SUBSTRING: the last command's stdout contains SUBSTRING.
expect_out() {
	if [[ $OUT == *"$2"* ]]; then
		pass "$1"
	else
		fail "$1" "stdout does not contain '$2': $OUT"
	fi
}

# expect_no_out NAME SUBSTRING: stdout does not contain SUBSTRING.
expect_no_out() {
	if [[ $OUT != *"$2"* ]]; then
		pass "$1"
	else
		fail "$1" "stdout contains '$2'"
	fi
}

# expect_out_line NAME LINE: some line of stdout is exactly LINE.
expect_out_line() {
	if grep -qxF -e "$2" -- "$OUT_FILE"; then
		pass "$1"
	else
		fail "$1" "no stdout line '$2': $OUT"
	fi
}

# expect_out_re NAME REGEX: some line of stdout matches the whole
# (extended) regular expression REGEX.
expect_out_re() {
	if grep -qxE -e "$2" -- "$OUT_FILE"; then
		pass "$1"
	else
		fail "$1" "no stdout line matching '$2': $OUT"
	fi
}

# expect_no_err NAME SUBSTRING: stderr does not contain SUBSTRING.
expect_no_err() {
	if [[ $ERR != *"$2"* ]]; then
		pass "$1"
	else
		fail "$1" "stderr contains '$2': $ERR"
	fi
}

# expect_err_line NAME REGEX: some line of stderr matches the (extended)
# regular expression REGEX.
expect_err_line() {
	if grep -qE -e "$2" -- "$ERR_FILE"; then
		pass "$1"
	else
		fail "$1" "no stderr line matching '$2': $ERR"
	fi
}

# expect_last_err NAME SUBSTRING: the last line of stderr contains it.
expect_last_err() {
	local last
	last=$(tail -n 1 -- "$ERR_FILE")
	if [[ $last == *"$2"* ]]; then
		pass "$1"
	else
		fail "$1" "last stderr line '$last' does not contain '$2'"
	fi
}

# expect_eq NAME GOT WANT: two strings are equal.
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "got '$2', expected '$3'"
	fi
}

# expect_le NAME GOT MAX, expect_lt NAME GOT LIMIT, expect_ge NAME GOT MIN:
# integer comparisons; GOT must be a non-negative integer.
int_cmp() {
	local name=$1 got=$2 op=$3 lim=$4 what=$5 ok=1
	if [[ $got =~ ^[0-9]+$ ]] && [[ $lim =~ ^-?[0-9]+$ ]]; then
		case $op in
		-le) [ "$got" -le "$lim" ] && ok=0 ;;
		-lt) [ "$got" -lt "$lim" ] && ok=0 ;;
		-ge) [ "$got" -ge "$lim" ] && ok=0 ;;
		esac
	fi
	if [ "$ok" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "got '$got', expected $what $lim"
	fi
}
expect_le() {
	int_cmp "$1" "$2" -le "$3" "at most"
}
expect_lt() {
	int_cmp "$1" "$2" -lt "$3" "less than"
}
expect_ge() {
	int_cmp "$1" "$2" -ge "$3" "at least"
}

# expect_unchanged NAME BEFORE [PRUNE]: tree_state of the repository
# (without PRUNE, see tree_state) is still BEFORE; else show the lines
# that differ.
expect_unchanged() {
	local now
	now=$(tree_state "$COFFER_REPOSITORY" "${3:-}")
	if [ "$now" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "changed: $(diff <(printf '%s\n' "$2") \
		    <(printf '%s\n' "$now") | grep '^[<>]' | head -n 6)"
	fi
}

# expect_same NAME A B: files A and B exist and have the same bytes.
expect_same() {
	if [ ! -f "$2" ] || [ ! -f "$3" ]; then
		fail "$1" "missing: $([ -f "$2" ] || echo "$2") $([ -f "$3" ] ||
		    echo "$3")"
	elif cmp -s -- "$2" "$3"; then
		pass "$1"
	else
		fail "$1" "$2 and $3 differ"
	fi
}

# expect_absent NAME PATH: nothing exists at PATH (not even a symlink).
expect_absent() {
	if [ ! -e "$2" ] && [ ! -L "$2" ]; then
		pass "$1"
	else
		fail "$1" "$2 exists"
	fi
}

# expect_treecmp NAME [TREECMP-OPTIONS] A B: treecmp finds no difference.
expect_treecmp() {
	local name=$1 out rc
	shift
	out=$("$TREECMP" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "$name"
	else
		printf '%s\n' "$out" | head -n 40 | sed 's/^/#   treecmp: /'
		fail "$name" "treecmp exit $rc: $(printf '%s\n' "$out" |
		    head -n 5)"
	fi
}

# ------------------------------------------------------------------------
# JSON (jq)

# json_last FIELD: FIELD of the last JSON object line of stdout (jq path,
# e.g. .files_new), or empty if there is none.
json_last() {
	grep '^{' -- "$OUT_FILE" | tail -n 1 | jq -r "$1 // empty" 2> /dev/null
}

# expect_json NAME FIELD VALUE: the summary's FIELD equals VALUE.
expect_json() {
	expect_eq "$1" "$(json_last "$2")" "$3"
}

# ------------------------------------------------------------------------
# Trees and repositories

# tree_state DIR [PRUNE]: one line per entry of DIR (type, mode, size,
# mtime in ns, path), plus the SHA-256 of each regular file, sorted; names
# with any bytes are safe (NUL-separated until escaped by printf %q).
# With PRUNE, the entry of that name (e.g. locks) and all below it are
# left out.
tree_state() {
	local dir=$1 prune=${2:-} f
	local -a skip=()
	if [ -n "$prune" ]; then
		skip=(-path "./$prune" -prune -o)
	fi
	(
		cd -- "$dir" || exit 1
		find . "${skip[@]}" -printf '%y %m %s %T@ %P\0' | sort -z |
		    tr '\0' '\n'
		find . "${skip[@]}" -type f -print0 | sort -z |
		    while IFS= read -r -d '' f; do
			printf '%s %q\n' "$(sha256sum < "$f" | cut -c1-64)" "$f"
		done
	)
}

# repo_bytes: the total size of the repository's files (du -sb would
# count directories too).
repo_bytes() {
	find "$COFFER_REPOSITORY" -type f -printf '%s\n' |
	    awk '{ s += $1 } END { printf "%d\n", s }'
}

# packs: the ids of every pack file, sorted.
packs() {
	(cd -- "$COFFER_REPOSITORY/data" &&
	    find . -type f -printf '%f\n' | sort)
}

# pack_path ID: the file holding pack ID.
pack_path() {
	printf '%s/data/%s/%s' "$COFFER_REPOSITORY" "${1:0:2}" "$1"
}

# ids_in SUBDIR: the object names in index/, snapshots/ or keys/.
ids_in() {
	(cd -- "$COFFER_REPOSITORY/$1" && find . -type f -printf '%f\n' |
	    sort)
}

# bad_repo_names: every path of the repository that is not in its
# layout (config, keys/<64hex>, data/<2hex>/<64hex> with the matching
# prefix, index/<64hex>, snapshots/<64hex>, anything under locks/).
bad_repo_names() {
	local h='[0-9a-f]{64}'
	(cd -- "$COFFER_REPOSITORY" && find . -mindepth 1 -print0 |
	    tr '\0' '\n' |
	    grep -vxE "\./(config|keys|data|index|snapshots|locks)" |
	    grep -vxE "\./(keys|index|snapshots)/$h" |
	    grep -vxE "\./data/[0-9a-f]{2}" |
	    grep -vE "^\./locks/" |
	    while IFS= read -r p; do
		if [[ $p =~ ^\./data/([0-9a-f]{2})/(([0-9a-f]{2})[0-9a-f]{62})$ ]] &&
		    [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[3]}" ]; then
			continue
		fi
		printf '%s\n' "$p"
	done)
}

# bad_pack_hashes: every pack whose SHA-256 is not its name.
bad_pack_hashes() {
	local f
	find "$COFFER_REPOSITORY/data" -type f -print0 |
	    while IFS= read -r -d '' f; do
		if [ "$(sha256sum < "$f" | cut -c1-64)" != "${f##*/}" ]; then
			printf '%s\n' "${f##*/}"
		fi
	done
}

# flip_byte FILE OFFSET: invert every bit of one byte of FILE in place.
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N 1 -- "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "\\$(printf '%03o' $((b ^ 255)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# file_size FILE: size in bytes.
file_size() {
	stat -c %s -- "$1"
}

# rnd FILE BYTES: BYTES random bytes into FILE.
rnd() {
	head -c "$2" /dev/urandom > "$1"
}

# snapshot_ids: the ids of all snapshots, as the repository names them.
snapshot_ids() {
	ids_in snapshots
}

# need_tools: fail the scenario early if the binaries are missing.
need_tools() {
	local t
	for t in "$COFFER_BIN" "$TREECMP"; do
		if [ ! -x "$t" ]; then
			fail "$SCENARIO-setup" "not executable: $t"
			summary
		fi
	done
	for t in jq setsid timeout sha256sum; do
		if ! command -v "$t" > /dev/null 2>&1; then
			fail "$SCENARIO-setup" "missing tool: $t"
			summary
		fi
	done
}
need_tools
