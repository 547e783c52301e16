# bench/datasets.sh: the generated data sets of bench/compare.sh and the
# changes it makes to them.  Sourced (". bench/datasets.sh"), not run; uses
# only POSIX sh, awk, coreutils (dd, split, head) and the openssl command.
#
# Everything is derived from fixed seeds, so the same sizes give the same
# bytes on every run on the same machine (the text comes from awk's rand(),
# which differs between awk implementations; the random bytes come from
# AES-128-CTR, which does not):
#   random bytes  openssl enc -aes-128-ctr, key = the seed, zero IV, over
#                 /dev/zero: incompressible;
#   text          lines of words drawn (skewed towards the first ones) from
#                 a 4096-word vocabulary itself drawn from rand(): zstd -3
#                 makes it about 3 times smaller, like ordinary text.
#
# Functions (each returns non-zero on failure):
#   ds_random SEED BYTES        random bytes on stdout
#   ds_text SEED BYTES          text on stdout
#   ds_tree DIR NDIRS NPER MAXKIB SEED
#                               NDIRS directories of NPER files, half text
#                               and half random, 1 KiB to MAXKIB KiB each
#   ds_mixed FILE MIB SEED      a MIB-MiB file, alternately 1 MiB of text
#                               and 1 MiB of random bytes (half compressible)
#   ds_plan MODE ARG POOLSTART PATH...
#                               a change plan (see below) on stdout
#   ds_apply PLAN POOL [SAVEDIR]
#                               make the changes, saving the old bytes first
#                               into SAVEDIR if given
#   ds_revert PLAN SAVEDIR      put the saved bytes back

DS_IV=00000000000000000000000000000000

ds_random() {
	openssl enc -aes-128-ctr -K "$(printf '%032x' "$1")" -iv "$DS_IV" \
	    -in /dev/zero 2>/dev/null | head -c "$2"
}

# The text generator.  mode=stream: exactly `bytes` bytes on stdout.
# mode=tree: for each of ndirs directories dir/dNNN, nper files tNNNN.txt
# of 1 to maxkib KiB (exact sizes drawn from rand()).
DS_TEXT_AWK='
function word(  w, l, j) {
	w = ""
	l = 2 + int(rand() * 9)
	for (j = 0; j < l; j++)
		w = w substr(LETTERS, 1 + int(rand() * rand() * 26), 1)
	return w
}
function line(  s, k) {
	s = V[int(rand() * rand() * 4096)]
	for (k = 0; k < 11; k++)
		s = s " " V[int(rand() * rand() * 4096)]
	return s "\n"
}
# emit(n, f): exactly n bytes of text to file f ("-" for stdout).
function emit(n, f,  s) {
	while (n > 0) {
		s = line()
		if (length(s) > n)
			s = substr(s, 1, n)
		if (f == "-")
			printf "%s", s
		else
			printf "%s", s > f
		n -= length(s)
	}
}
BEGIN {
	LETTERS = "etaoinshrdlucmfwypvbgkjqxz"
	srand(seed)
	for (i = 0; i < 4096; i++)
		V[i] = word()
	if (mode == "stream") {
		emit(bytes, "-")
		exit 0
	}
	for (d = 0; d < ndirs; d++) {
		for (i = 0; i < nper; i++) {
			f = sprintf("%s/d%03d/t%04d.txt", dir, d, i)
			emit(1024 * (1 + int(rand() * maxkib)) - \
			    int(rand() * 1024), f)
			close(f)
		}
	}
}'

ds_text() {
	LC_ALL=C awk -v mode=stream -v seed="$1" -v bytes="$2" "$DS_TEXT_AWK"
}

# ds_tree_random DIR D NFILES MAXKIB SEED: NFILES random files rK_NNNN.bin
# in DIR, in 16 size classes of K * MAXKIB / 16 KiB (less a few bytes that
# depend on D, so that sizes are not all round), from one random stream.
ds_tree_random() {
	_dir=$1 _d=$2 _n=$3 _max=$4 _seed=$5
	_tot=0 _k=1
	while [ "$_k" -le 16 ]; do
		_c=$(( _n / 16 + (_k <= _n % 16) ))
		_s=$(( _k * _max * 64 - (_d % 61) * 13 ))
		_tot=$(( _tot + _c * _s )) _k=$(( _k + 1 ))
	done
	ds_random "$_seed" "$_tot" | {
		_k=1
		while [ "$_k" -le 16 ]; do
			_c=$(( _n / 16 + (_k <= _n % 16) ))
			_s=$(( _k * _max * 64 - (_d % 61) * 13 ))
			if [ "$_c" -gt 0 ]; then
				dd bs="$(( _c * _s ))" count=1 iflag=fullblock \
				    status=none | split -b "$_s" -d -a 4 \
				    --additional-suffix=.bin - "$_dir/r${_k}_" ||
				    exit 1
			fi
			_k=$(( _k + 1 ))
		done
	}
}

ds_tree() {
	_tdir=$1 _nd=$2 _np=$3 _tmax=$4 _tseed=$5
	_i=0
	while [ "$_i" -lt "$_nd" ]; do
		mkdir -p "$_tdir/$(printf 'd%03d' "$_i")" || return 1
		_i=$(( _i + 1 ))
	done
	LC_ALL=C awk -v mode=tree -v seed="$_tseed" -v dir="$_tdir" \
	    -v ndirs="$_nd" -v nper="$(( _np / 2 ))" -v maxkib="$_tmax" \
	    "$DS_TEXT_AWK" || return 1
	_i=0
	while [ "$_i" -lt "$_nd" ]; do
		ds_tree_random "$_tdir/$(printf 'd%03d' "$_i")" "$_i" \
		    "$(( _np - _np / 2 ))" "$_tmax" \
		    "$(( _tseed * 100000 + _i ))" || return 1
		_i=$(( _i + 1 ))
	done
}

ds_mixed() {
	_f=$1 _mib=$2 _mseed=$3
	_half=$(( _mib / 2 ))
	ds_text "$_mseed" "$(( _half << 20 ))" > "$_f.text" &&
	    ds_random "$_mseed" "$(( _half << 20 ))" > "$_f.rand" || return 1
	_mi=0
	while [ "$_mi" -lt "$_half" ]; do
		dd if="$_f.text" bs=1M skip="$_mi" count=1 status=none &&
		    dd if="$_f.rand" bs=1M skip="$_mi" count=1 status=none ||
		    return 1
		_mi=$(( _mi + 1 ))
	done > "$_f"
	rm -f "$_f.text" "$_f.rand"
}

# Change plans: one line per changed region, "OFFSET LENGTH POOLOFF PATH"
# (tab separated): overwrite LENGTH bytes of PATH at OFFSET with the bytes
# of the pool file (random, never in any data set) at POOLOFF.  Files are
# taken in byte order of their paths, so the plan is the same every time.
#
# MODE "one" (ARG unused): the 1% change.  Files of 64 MiB or more get 1%
# of their bytes rewritten, in 16 evenly spread regions; of the others,
# every 100th (by index) gets up to 4 KiB rewritten in its middle.
# MODE "ver" (ARG = version number v): about 3% of the files (a different
# 3% for every v) get 4 KiB rewritten at an offset that depends on v, and
# files of 4 MiB or more get three 64 KiB regions rewritten.
DS_PLAN_AWK='
BEGIN { FS = "\t"; POOL = 64 * 1048576; cur = poolstart }
function out(off, len, path) {
	if (cur + len > POOL)
		cur = 0
	printf "%.0f\t%.0f\t%.0f\t%s\n", off, len, cur, path
	cur += len
}
{
	size = $1 + 0; path = $2; idx = NR - 1
	if (size == 0)
		next
	if (mode == "one") {
		if (size >= 64 * 1048576) {
			len = int(size / 1600)
			for (j = 0; j < 16; j++)
				out(int(j * size / 16), len, path)
		} else if (idx % 100 == 50) {
			len = size < 4096 ? size : 4096
			out(int((size - len) / 2), len, path)
		}
		next
	}
	if ((idx * 31 + v * 17) % 100 >= 3)
		next
	if (size >= 4 * 1048576) {
		for (j = 0; j < 3; j++)
			out(((idx + v * 7 + j * 101) % 1000) * \
			    int((size - 65536) / 1000), 65536, path)
		next
	}
	len = size < 4096 ? size : 4096
	out(size > len ? (idx * 7919 + v * 104729) % (size - len) : 0, len, path)
}'

ds_plan() {
	_mode=$1 _arg=$2 _ps=$3
	shift 3
	find "$@" -type f -printf '%s\t%p\n' | LC_ALL=C sort -t "$(printf '\t')" \
	    -k2 | LC_ALL=C awk -v mode="$_mode" -v v="$_arg" -v poolstart="$_ps" \
	    "$DS_PLAN_AWK"
}

ds_apply() {
	_plan=$1 _pool=$2 _save=${3:-}
	_n=0
	while IFS="$(printf '\t')" read -r _off _len _poff _path; do
		if [ -n "$_save" ]; then
			dd if="$_path" of="$_save/$_n" bs=1M status=none \
			    iflag=skip_bytes,count_bytes skip="$_off" \
			    count="$_len" || return 1
		fi
		dd if="$_pool" of="$_path" bs=1M status=none conv=notrunc \
		    iflag=skip_bytes,count_bytes oflag=seek_bytes \
		    skip="$_poff" seek="$_off" count="$_len" || return 1
		_n=$(( _n + 1 ))
	done < "$_plan"
}

# ds_revert: in reverse order, so regions changed twice get their oldest
# bytes back.
ds_revert() {
	_plan=$1 _save=$2
	_n=$(wc -l < "$_plan")
	tac "$_plan" | while IFS="$(printf '\t')" read -r _off _len _poff _path
	do
		_n=$(( _n - 1 ))
		dd if="$_save/$_n" of="$_path" bs=1M status=none conv=notrunc \
		    oflag=seek_bytes seek="$_off" || exit 1
	done
}
