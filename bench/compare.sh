#!/bin/sh
# bench/compare.sh: coffer against restic and borg on the same data, in the
# same run.
#
#   sh bench/compare.sh [--quick] [--runs N] [--sets a,b,...]
#       [--tools coffer,restic,borg] [--clean]
#
# Finds or installs (Debian packages, apt-get, as root) restic, borgbackup,
# zstd, openssl and time; builds coffer and bench_pipeline with make; then,
# for every data set, N times (default 3; --quick: 1 run and smaller sets),
# for each tool in turn (the order rotates from run to run), with a new
# repository and a new cache:
#   first backup, unchanged re-backup, re-backup after a 1% change (1% of
#   the files, or 1% of the bytes of files of 64 MiB or more; undone after
#   the run), full restore, check reading all data, list snapshots;
# or, for the versioned set, ten backups of ten successive versions of a
# tree with about 3% of its files changed each time.  Each command starts
# after a sync (no write-back of the previous one is left to it), is timed
# with /usr/bin/time (wall, user + sys CPU, peak RSS) and is followed by
# du -sb of the repository; restores are counted (files, bytes) against
# the data set.  Each run also times the bound `tar -cf - PATHS |
# zstd -3 -T0` on the same bytes, and bench_pipeline once measures the
# single-core chunk + HMAC + AES-GCM speed.
#
# Data sets (--sets, default all, in this order):
#   usr        cp -a of /usr/share, /usr/include, /usr/bin (--quick:
#              /usr/include and /usr/share/doc), copied so that the 1%
#              change never touches /usr
#   small      200,000 files of 1-16 KiB, half text, half random (--quick:
#              20,000)
#   big        2 files of 2 GiB, alternately 1 MiB of text and 1 MiB of
#              random bytes (--quick: 2 x 256 MiB)
#   random     4 files of 256 MiB of random bytes (--quick: 2 x 128 MiB)
#   versioned  5,000 files of 1-64 KiB and 4 x 16 MiB mixed files, ten
#              versions (--quick: 1,000 files and 2 x 4 MiB)
#
# Settings: restic defaults (repository version 2, compression auto); borg
# init -e repokey-blake2 and create --compression zstd,3; coffer defaults.
# Production key derivation for all three (COFFER_KDF_PARAMS is unset).
# The page cache is warm (the data are read once before the first backup)
# and never dropped.
#
# Everything lives under BENCH_DIR (default /var/tmp/coffer-bench): data/
# (generated once from fixed seeds and kept for the next run; --clean
# deletes it at the end), work/ (repositories, caches, TMPDIR: deleted
# after every tool run and at exit), restores/ (restore targets: see
# settle below), logs/ (the output of every command), results.tsv (one
# line per timed command), report.md (the tables, also printed, and copied
# to report-DATE.md).  Every command runs in the foreground (Ctrl-C reaches
# it) under `timeout --foreground` (BENCH_TIMEOUT seconds, default 7200),
# so the script always stops by itself and leaves no process behind.

set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/var/tmp/coffer-bench}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-7200}
TOOLS="coffer restic borg"
ALLSETS="usr small big random versioned"
QUICK=0 RUNS="" SETS=$ALLSETS CLEAN=0
PASS=coffer-bench-passphrase
NVER=10

usage() {
	echo "usage: sh bench/compare.sh [--quick] [--runs N]" \
	    "[--sets usr,small,big,random,versioned]" \
	    "[--tools coffer,restic,borg] [--clean]" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--quick)	QUICK=1 ;;
	--runs)		[ $# -ge 2 ] || usage; RUNS=$2; shift ;;
	--runs=*)	RUNS=${1#--runs=} ;;
	--sets)		[ $# -ge 2 ] || usage; SETS=$(echo "$2" | tr , ' '); shift ;;
	--sets=*)	SETS=$(echo "${1#--sets=}" | tr , ' ') ;;
	--clean)	CLEAN=1 ;;
	--tools)	[ $# -ge 2 ] || usage; TOOLS=$(echo "$2" | tr , ' '); shift ;;
	--tools=*)	TOOLS=$(echo "${1#--tools=}" | tr , ' ') ;;
	*)		usage ;;
	esac
	shift
done
[ -n "$RUNS" ] || RUNS=$(( QUICK ? 1 : 3 ))
case $RUNS in ''|*[!0-9]*|0) usage ;; esac
for t in $TOOLS; do
	case $t in coffer|restic|borg) ;; *) echo "unknown tool: $t" >&2; usage ;;
	esac
done
for s in $SETS; do
	case " $ALLSETS " in *" $s "*) ;; *) echo "unknown set: $s" >&2; usage ;;
	esac
done

. "$ROOT/bench/datasets.sh"

D=$BENCH_DIR/data W=$BENCH_DIR/work L=$BENCH_DIR/logs
RD=$BENCH_DIR/restores
RES=$BENCH_DIR/results.tsv
REPORT=$BENCH_DIR/report.md
POOL=$D/.pool
ACTIVE_PLAN="" ACTIVE_MARK=""

say() {
	echo "compare: $*" >&2
}

die() {
	say "$*"
	exit 1
}

# cleanup: undo a 1% change still in place (or mark its data set for
# regeneration), delete the work directory, and with --clean the data.
cleanup() {
	trap - EXIT INT TERM
	if [ -n "$ACTIVE_PLAN" ]; then
		say "undoing the 1% change"
		ds_revert "$ACTIVE_PLAN" "$W/save" || rm -f "$ACTIVE_MARK"
	fi
	rm -rf "$W"
	purge_restores
	rmdir "$RD" 2>/dev/null
	if [ "$CLEAN" = 1 ]; then
		rm -rf "$D"
	fi
}

# --- Tools --------------------------------------------------------------

# need CMD PACKAGE: install PACKAGE if CMD is missing.
need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "$(id -u)" = 0 ] || die "$1 missing: apt-get install $2 (as root)"
	say "installing $2"
	if [ -z "${APT_UPDATED:-}" ]; then
		apt-get update -q >/dev/null || die "apt-get update failed"
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null ||
	    die "apt-get install $2 failed"
}

setup_tools() {
	need restic restic
	need borg borgbackup
	need zstd zstd
	need openssl openssl
	need make make
	need tac coreutils
	need /usr/bin/time time
	say "building coffer (make)"
	make -C "$ROOT" -j"$(nproc)" build/release/coffer \
	    build/release/bench/bench_pipeline >"$L/make.log" 2>&1 ||
	    die "make failed (see $L/make.log; sh scripts/install-deps.sh" \
	    "installs the build dependencies)"
	# Private copies: a rebuild in the tree during the run cannot
	# change what is measured.
	mkdir -p "$BENCH_DIR/bin" &&
	    cp "$ROOT/build/release/coffer" \
	    "$ROOT/build/release/bench/bench_pipeline" "$BENCH_DIR/bin/" ||
	    die "cannot copy the binaries"
	COFFER=$BENCH_DIR/bin/coffer
	COFFER_REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git \
	    -C "$ROOT" diff --quiet HEAD -- lib cli 2>/dev/null ||
	    echo ' + uncommitted changes in lib/ or cli/')"
}

# Same passphrase for all three, caches and temporary files in the work
# directory, no stray repository settings, production KDF.
setup_env() {
	unset COFFER_KDF_PARAMS COFFER_REPOSITORY RESTIC_REPOSITORY BORG_REPO \
	    RESTIC_PASSWORD_FILE COFFER_PASSWORD_FILE BORG_PASSCOMMAND \
	    RESTIC_COMPRESSION GOMAXPROCS || true
	export COFFER_PASSWORD=$PASS RESTIC_PASSWORD=$PASS
	export BORG_PASSPHRASE=$PASS
	export COFFER_CACHE_DIR=$W/cache-coffer
	export RESTIC_CACHE_DIR=$W/cache-restic
	export BORG_BASE_DIR=$W/borg-base BORG_CACHE_DIR=$W/cache-borg
	export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
	export TMPDIR=$W/tmp
}

# --- Measuring -----------------------------------------------------------

# measure OP CMD...: run CMD under /usr/bin/time and timeout, output to
# the log, and add a line to the results (repository size after it).
measure() {
	_op=$1
	shift
	echo "== $TOOL $_op: $*" >>"$LOG"
	sync
	/usr/bin/time -f '%e %U %S %M' -o "$W/time.out" \
	    timeout --foreground -k 30 "$BENCH_TIMEOUT" "$@" >>"$LOG" 2>&1
	_rc=$?
	set -- $(tail -n 1 "$W/time.out" 2>/dev/null)
	[ $# -eq 4 ] || set -- 0 0 0 0
	_repo=0
	[ -e "$REPO" ] && _repo=$(du -sb "$REPO" | cut -f1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SET" "$TOOL" \
	    "$RUN" "$_op" "$1" "$2" "$3" "$4" "$_repo" "$_rc" >>"$RES"
	LC_ALL=C awk -v t="$TOOL" -v o="$_op" -v w="$1" \
	    -v u="$2" -v s="$3" -v m="$4" -v r="$_repo" -v rc="$_rc" \
	    'BEGIN { printf "compare:   %-7s %-8s %8.2f s  cpu %8.2f s  " \
	    "%5.0f MiB  repo %9.1f MB%s\n", t, o, w, u + s, m / 1024,
	    r / 1e6, rc != 0 ? "  EXIT " rc : "" }' >&2
	[ "$_rc" = 0 ] || say "$TOOL $_op exited $_rc (see $LOG)"
}

t_init() {
	case $TOOL in
	coffer)	"$COFFER" -q -r "$REPO" init ;;
	restic)	restic -q -r "$REPO" init ;;
	borg)	borg init -e repokey-blake2 "$REPO" ;;
	esac >>"$LOG" 2>&1
}

# t_backup N PATH...: the Nth backup of PATHs.
t_backup() {
	_n=$1
	shift
	case $TOOL in
	coffer)	measure "$OP" "$COFFER" -r "$REPO" --json backup "$@" ;;
	restic)	measure "$OP" restic -q -r "$REPO" backup "$@" ;;
	borg)	measure "$OP" borg create --compression zstd,3 \
		    "$REPO::a$_n" "$@" ;;
	esac
}

# Restores go to a new directory each time, RD/SET-TOOL-rRUN.  On ext4
# without a journal, as on the machine the numbers in docs/PERFORMANCE.md
# come from, creating a file scans every free inode of its block group that
# was deleted in the last 60 seconds, or 360 if its inode table block was
# not yet written back (recently_deleted() in fs/ext4/ialloc.c): a restore
# of 20,000 small files started a minute or two after the deletion of
# 60,000 others took 5 to 7 times longer, whichever the tool.  So the
# targets of data sets with many files are all kept until the end (unless
# the disk runs short), and no restore starts within SETTLE seconds of a
# bulk deletion by this script, by an earlier run (BENCH_DIR/.last-purge)
# included.  Deletions by other programs cannot be helped.
SETTLE=370

settle() {
	sync
	_wait=$(( LAST_RM + SETTLE - $(date +%s) ))
	if [ "$_wait" -gt 0 ]; then
		say "waiting $_wait s after the last bulk deletion (see settle)"
		sleep "$_wait"
	fi
}

# purge_restores: delete every kept restore target, write back, and note
# the time.
purge_restores() {
	[ -n "$(ls -A "$RD" 2>/dev/null)" ] || return 0
	rm -rf "${RD:?}"/*
	sync
	LAST_RM=$(date +%s)
	echo "$LAST_RM" >"$BENCH_DIR/.last-purge"
}

# t_restore N: restore the Nth (latest) backup, and check that as many
# files and bytes came back as the data set has (a warning in the report
# if not).
t_restore() {
	_t=$RD/$SET-$TOOL-r$RUN
	if [ "$FILES" -ge 1000 ] &&
	    [ "$(free_bytes)" -lt $(( BYTES / 10 * 11 + (2 << 30) )) ]; then
		say "disk short: deleting the kept restore targets"
		purge_restores
	fi
	rm -rf "$_t" && mkdir -p "$_t" || die "cannot create $_t"
	settle
	case $TOOL in
	coffer)	measure restore "$COFFER" -r "$REPO" restore latest \
		    --target "$_t" ;;
	restic)	measure restore restic -q -r "$REPO" restore latest \
		    --target "$_t" ;;
	borg)	measure restore sh -c 'cd "$1" && exec borg extract "$2"' \
		    sh "$_t" "$REPO::a$1" ;;
	esac
	_got="$(find "$_t" -type f | wc -l) files, $(find "$_t" -type f \
	    -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }') bytes"
	if [ "$_got" != "$FILES files, $BYTES bytes" ]; then
		echo "- $SET run $RUN: $TOOL restored $_got; the data set" \
		    "has $FILES files, $BYTES bytes" >>"$BENCH_DIR/warnings.txt"
		say "WARNING: $TOOL restored $_got, not $FILES files, $BYTES bytes"
	fi
	[ "$FILES" -ge 1000 ] || rm -rf "$_t"
}

t_check() {
	case $TOOL in
	coffer)	measure check "$COFFER" -r "$REPO" check --read-data ;;
	restic)	measure check restic -q -r "$REPO" check --read-data ;;
	borg)	measure check borg check --verify-data "$REPO" ;;
	esac
}

t_list() {
	case $TOOL in
	coffer)	measure list "$COFFER" -r "$REPO" snapshots ;;
	restic)	measure list restic -q -r "$REPO" snapshots ;;
	borg)	measure list borg list "$REPO" ;;
	esac
}

# warm PATH...: read every byte once, into the page cache.  (GNU tar
# skips reading file data when writing to /dev/null, hence the pipe.)
warm() {
	tar -cPf - "$@" 2>/dev/null | cat >/dev/null
}

# fresh: an empty work directory for one tool run.
fresh() {
	rm -rf "$W" && mkdir -p "$W/tmp" "$BORG_BASE_DIR" ||
	    die "cannot create $W"
	REPO=$W/repo-$TOOL
}

# run_tool: the six operations of one tool on $PATHS.
run_tool() {
	fresh
	t_init || say "$TOOL init failed (see $LOG)"
	warm $PATHS
	OP=backup1; t_backup 1 $PATHS
	OP=backup2; t_backup 2 $PATHS
	mkdir -p "$W/save"
	ds_plan one 0 0 $PATHS >"$W/plan" || die "cannot plan the change"
	ACTIVE_PLAN=$W/plan
	ds_apply "$W/plan" "$POOL" "$W/save" || die "cannot change the data"
	OP=backup3; t_backup 3 $PATHS
	t_restore 3
	t_check
	t_list
	ds_revert "$W/plan" "$W/save" || die "cannot undo the change"
	ACTIVE_PLAN=""
	rm -rf "$W"
}

# run_tool_versioned: ten backups of a copy of the tree, changed between
# backups (version v: ds_plan ver v, and 20 new files in new-vV).
run_tool_versioned() {
	fresh
	t_init || say "$TOOL init failed (see $LOG)"
	cp -a "$DATA" "$W/tree" || die "cannot copy $DATA"
	warm "$W/tree"
	_v=1
	while [ "$_v" -le "$NVER" ]; do
		if [ "$_v" -gt 1 ]; then
			ds_plan ver "$_v" "$(( _v << 22 ))" "$W/tree" \
			    >"$W/plan" &&
			    ds_apply "$W/plan" "$POOL" &&
			    mkdir "$W/tree/new-v$_v" &&
			    ds_tree "$W/tree/new-v$_v" 1 20 64 "$(( 1000 + _v ))" ||
			    die "cannot make version $_v"
		fi
		OP=v$_v; t_backup "$_v" "$W/tree"
		_v=$(( _v + 1 ))
	done
	rm -rf "$W"
	sync
	LAST_RM=$(date +%s)
}

# bound: tar | zstd -3 -T0 on the same bytes (output size as repo size).
# tar runs zstd itself (-I), so that timeout, which kills only its own
# child, stops both.
bound() {
	TOOL=bound REPO=$W/bound.tar.zst
	mkdir -p "$W"
	measure tarzstd tar -cPf "$REPO" -I 'zstd -3 -T0 -q' $PATHS
	rm -f "$REPO"
}

# --- Data sets -------------------------------------------------------------

# set_config SET SCALE: DATA (directory), PATHS (what is backed up), EST
# (estimated bytes), GENX (extra bytes while generating) and DESC for SET
# at SCALE (full or quick).
set_config() {
	_s=$1 SCALE=$2 SRC="" NDIRS="" NPER="" NBIG="" MIB=""
	DATA=$D/$_s-$SCALE GENX=0
	case $_s-$SCALE in
	usr-full)	SRC="/usr/share /usr/include /usr/bin" ;;
	usr-quick)	SRC="/usr/include /usr/share/doc" ;;
	esac
	case $_s-$SCALE in
	usr-*)
		PATHS="" EST=0
		for _p in $SRC; do
			PATHS="$PATHS $DATA/$(echo "${_p#/usr/}" | tr / -)"
			EST=$(( EST + $(du -sb "$_p" | cut -f1) ))
		done
		DESC="copy of $(echo $SRC | sed 's/ /, /g')" ;;
	small-full)	NDIRS=200 NPER=1000 ;;
	small-quick)	NDIRS=20 NPER=1000 ;;
	big-full)	NBIG=2 MIB=2048 ;;
	big-quick)	NBIG=2 MIB=256 ;;
	random-full)	NBIG=4 MIB=256 ;;
	random-quick)	NBIG=2 MIB=128 ;;
	versioned-full)	NDIRS=50 NPER=100 NBIG=4 MIB=16 ;;
	versioned-quick) NDIRS=10 NPER=100 NBIG=2 MIB=4 ;;
	esac
	case $_s in
	small)
		PATHS=$DATA EST=$(( NDIRS * NPER * 8704 ))
		DESC="$(( NDIRS * NPER )) files of 1-16 KiB, half text, half random" ;;
	big)
		PATHS=$DATA EST=$(( NBIG * MIB << 20 )) GENX=$(( MIB << 20 ))
		DESC="$NBIG files of $MIB MiB, alternately 1 MiB text, 1 MiB random" ;;
	random)
		PATHS=$DATA EST=$(( NBIG * MIB << 20 ))
		DESC="$NBIG files of $MIB MiB of random bytes" ;;
	versioned)
		PATHS=$DATA
		EST=$(( NDIRS * NPER * 33280 + (NBIG * MIB << 20) ))
		DESC="$(( NDIRS * NPER )) files of 1-64 KiB (half text, half"
		DESC="$DESC random) and $NBIG x $MIB MiB mixed files; $NVER"
		DESC="$DESC versions, ~3% of files changed and 20 added per"
		DESC="$DESC version" ;;
	esac
	PATHS=${PATHS# }
	PARAMS="$_s $SCALE ${SRC:-} ${NDIRS:-} ${NPER:-} ${NBIG:-} ${MIB:-} v1"
	MARK=$D/.$_s-$SCALE.done
}

generate() {
	case $SET in
	usr)
		mkdir -p "$DATA" || return 1
		for _p in $SRC; do
			cp -a "$_p" "$DATA/$(echo "${_p#/usr/}" | tr / -)" ||
			    return 1
		done ;;
	small)
		ds_tree "$DATA" "$NDIRS" "$NPER" 16 1 ;;
	big|random)
		mkdir -p "$DATA" || return 1
		_g=1
		while [ "$_g" -le "$NBIG" ]; do
			if [ "$SET" = big ]; then
				ds_mixed "$DATA/big$_g" "$MIB" "$(( 200 + _g ))"
			else
				ds_random "$(( 300 + _g ))" "$(( MIB << 20 ))" \
				    >"$DATA/random$_g"
			fi || return 1
			_g=$(( _g + 1 ))
		done ;;
	versioned)
		ds_tree "$DATA" "$NDIRS" "$NPER" 64 4 &&
		    mkdir -p "$DATA/big" || return 1
		_g=1
		while [ "$_g" -le "$NBIG" ]; do
			ds_mixed "$DATA/big/mixed$_g" "$MIB" "$(( 400 + _g ))" ||
			    return 1
			_g=$(( _g + 1 ))
		done ;;
	esac
}

# free_bytes: bytes available to BENCH_DIR (%.0f, not %d: mawk's %d stops
# at 2^31 - 1).
free_bytes() {
	df -Pk "$BENCH_DIR" | awk 'NR == 2 { printf "%.0f", $4 * 1024 }'
}

gb() {
	awk -v b="$1" 'BEGIN { printf "%.1f GB", b / 1e9 }'
}

# prepare SET: choose the scale the disk allows, generate the data if
# needed, and set FILES and BYTES.  Returns 1 if the set must be skipped.
prepare() {
	SET=$1 NOTE="" _waited=0
	set_config "$SET" "$( [ "$QUICK" = 1 ] && echo quick || echo full )"
	while :; do
		_need=$(( EST * 23 / 10 + (1 << 30) ))
		grep -qxF "$PARAMS" "$MARK" 2>/dev/null ||
		    _need=$(( _need + EST + GENX ))
		_free=$(free_bytes)
		[ "$_free" -ge "$_need" ] && break
		# Others may fill the disk for a while: wait up to 5 minutes.
		if [ "$_waited" -lt 10 ]; then
			[ "$_waited" -gt 0 ] || say "$SET: only $(gb "$_free")" \
			    "free, $(gb "$_need") needed: waiting up to 5 minutes"
			_waited=$(( _waited + 1 ))
			sleep 30
			continue
		fi
		if [ "$SCALE" = full ]; then
			NOTE="only $(gb "$_free") free, $(gb "$_need") needed:"
			NOTE="$NOTE scaled down to the --quick size"
			say "$SET: $NOTE"
			set_config "$SET" quick
			continue
		fi
		say "$SET: only $(gb "$_free") free, $(gb "$_need") needed: skipped"
		return 1
	done
	if ! grep -qxF "$PARAMS" "$MARK" 2>/dev/null; then
		say "$SET: generating $DESC in $DATA"
		if [ -e "$DATA" ]; then
			rm -rf "$DATA" "$MARK"
			LAST_RM=$(date +%s)
		fi
		generate || die "$SET: generating the data failed"
		echo "$PARAMS" >"$MARK"
	fi
	FILES=$(find $PATHS -type f | wc -l)
	BYTES=$(find $PATHS -type f -printf '%s\n' |
	    awk '{ s += $1 } END { printf "%.0f", s }')
	say "$SET: $FILES files, $(gb "$BYTES") ($SCALE size)"
}

# --- Main ------------------------------------------------------------------

# rotate: the tools in the order of run RUN (rotated by one each run).
rotate() {
	set -- $TOOLS
	_k=$(( (RUN - 1) % $# ))
	while [ "$_k" -gt 0 ]; do
		_t=$1
		shift
		set -- "$@" "$_t"
		_k=$((_k - 1))
	done
	echo "$@"
}

run_set() {
	ACTIVE_MARK=$MARK
	warm $PATHS
	echo "- $SET: start $(uptime)" >>"$BENCH_DIR/load.txt"
	RUN=1
	while [ "$RUN" -le "$RUNS" ]; do
		say "$SET: run $RUN of $RUNS"
		LOG=$L/$SET-bound-r$RUN.log
		[ "$SET" = versioned ] || bound
		for TOOL in $(rotate); do
			LOG=$L/$SET-$TOOL-r$RUN.log
			: >"$LOG"
			if [ "$SET" = versioned ]; then
				run_tool_versioned
			else
				run_tool
			fi
		done
		RUN=$(( RUN + 1 ))
	done
	echo "- $SET: end $(uptime)" >>"$BENCH_DIR/load.txt"
}

# report_head: what was run, where, on what.
report_head() {
	_cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
	_ram=$(free -g | awk '/^Mem/ { print $2 }')
	_os=$(. /etc/os-release && echo "$PRETTY_NAME")
	_zstd=$(zstd -V | sed -n 's/.* v\([0-9.]*\),.*/zstd \1/p')
	_pipe=$(awk '/^(chunk|mac|seal|all) / { printf "%s%s %s GB/s",
	    (n++ ? ", " : ""), $1, $3 }' "$L/pipeline.log")
	echo "# coffer vs restic vs borg"
	echo
	echo "Command: \`sh bench/compare.sh $ARGS\`, $RUNS run(s) per tool" \
	    "and data set, medians; started $START, took" \
	    "$(( $(date +%s) - T0 )) s."
	echo
	echo "- machine: $(nproc) cores ($_cpu), $_ram GiB RAM, $(uname -sr)," \
	    "$_os"
	echo "- coffer $COFFER_REV; $(restic version | cut -d' ' -f1-2);" \
	    "$(borg --version); $_zstd"
	echo "- restic: defaults (repository v2, compression auto); borg:" \
	    "init -e repokey-blake2, create --compression zstd,3; coffer:" \
	    "defaults (zstd 3); production KDF for all three"
	echo "- bench_pipeline (one core): $_pipe"
	echo "- load (uptime) per data set:"
	sed 's/^/  /' "$BENCH_DIR/load.txt"
	echo
}

main() {
	T0=$(date +%s) START=$(date -u '+%Y-%m-%d %H:%M UTC')
	FILES=0 LAST_RM=$(cat "$BENCH_DIR/.last-purge" 2>/dev/null || echo 0)
	ARGS="--runs $RUNS --sets $(echo $SETS | tr ' ' ,)"
	[ "$QUICK" = 0 ] || ARGS="--quick $ARGS"
	mkdir -p "$BENCH_DIR" "$D" "$L" || die "cannot create $BENCH_DIR"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	setup_tools
	setup_env
	rm -rf "$W"
	: >"$RES"
	purge_restores
	mkdir -p "$RD" || die "cannot create $RD"
	: >"$BENCH_DIR/load.txt"
	: >"$BENCH_DIR/warnings.txt"
	rm -f "$BENCH_DIR"/report-sets.md
	if [ ! -s "$POOL" ]; then
		ds_random 7 $(( 64 << 20 )) >"$POOL" || die "cannot write $POOL"
	fi
	say "bench_pipeline (single-core chunk + HMAC + AES-GCM)"
	"$BENCH_DIR/bin/bench_pipeline" "$( [ "$QUICK" = 1 ] && echo 256 ||
	    echo 1024)" 3 >"$L/pipeline.log" 2>&1 ||
	    say "bench_pipeline failed (see $L/pipeline.log)"
	RATE=$(awk '$1 == "all" { print $3 }' "$L/pipeline.log")
	for SET in $SETS; do
		if ! prepare "$SET"; then
			printf '## %s: skipped (not enough disk space)\n\n' \
			    "$SET" >>"$BENCH_DIR/report-sets.md"
			continue
		fi
		run_set
		{
			printf '## %s: %s\n\n' "$SET" "$DESC"
			printf '%s files, %s bytes (%s); %s size.' "$FILES" \
			    "$BYTES" "$(gb "$BYTES")" "$SCALE"
			[ -z "$NOTE" ] || printf ' %s.' "$NOTE"
			printf '\n\n'
			LC_ALL=C awk -v set="$SET" -v bytes="$BYTES" \
			    -v rate="${RATE:-0}" -v ncpu="$(nproc)" \
			    -f "$ROOT/bench/report.awk" "$RES"
			echo
		} >>"$BENCH_DIR/report-sets.md"
	done
	{
		report_head
		if [ -s "$BENCH_DIR/warnings.txt" ]; then
			echo "Warnings:"
			echo
			cat "$BENCH_DIR/warnings.txt"
			echo
		fi
		cat "$BENCH_DIR/report-sets.md"
	} >"$REPORT"
	rm -f "$BENCH_DIR/report-sets.md"
	cp "$REPORT" "$BENCH_DIR/report-$(date -u +%Y%m%d-%H%M%S).md"
	cat "$REPORT"
	say "report in $REPORT; logs in $L;" \
	    "took $(( $(date +%s) - T0 )) s"
}

# One line, so that an edit of this file during a run cannot change what
# the shell reads after main returns.
main; exit $?
