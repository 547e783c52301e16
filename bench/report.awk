# bench/report.awk: the Markdown tables of one data set, from the results
# file of bench/compare.sh.  Run as
#   awk -v set=NAME -v bytes=B -v rate=GBPS -v ncpu=N -f report.awk RESULTS
# RESULTS has one line per measured command, tab separated:
#   set tool run op wall user sys rss_kib repo_bytes exit_status
# tool is coffer, restic, borg, or "bound" (op "tarzstd": the tar | zstd
# pipeline, repo_bytes = its output size).  op is backup1, backup2,
# backup3, restore, check, list, or v1..v10 for the versioned set.
# Every cell is the median over the runs; a cell marked "!" had a run that
# exited non-zero (see the logs).  bytes and rate (single-core chunk+MAC+
# seal GB/s) give the bound lines under the tables.

BEGIN {
	FS = "\t"
	T[1] = "coffer"; T[2] = "restic"; T[3] = "borg"
	OPS = "backup1 backup2 backup3 restore check list"
	NAME["backup1"] = "first backup"
	NAME["backup2"] = "unchanged re-backup"
	NAME["backup3"] = "re-backup after 1% change"
	NAME["restore"] = "full restore"
	NAME["check"] = "check --read-data"
	NAME["list"] = "list snapshots (open + KDF)"
}

$1 != set { next }

{
	k = $2 SUBSEP $4
	WALL[k] = WALL[k] " " $5
	CPU[k] = CPU[k] " " ($6 + $7)
	RSS[k] = RSS[k] " " $8
	REPO[k] = REPO[k] " " $9
	if ($10 != 0)
		BAD[k] = 1
	if ($4 ~ /^v[0-9]+$/) {
		versioned = 1
		r = $2 SUBSEP $3
		VW[r] += $5
		VC[r] += $6 + $7
		if ($8 + 0 > VR[r] + 0)
			VR[r] = $8
		vn = substr($4, 2) + 0
		if (vn >= VN[r] + 0) {
			VN[r] = vn
			VF[r] = $9
		}
		if (vn > nver)
			nver = vn
	}
}

# median(s): the median of the space-separated numbers in s, or "".
function median(s,  a, n, i, j, x) {
	n = split(s, a, " ")
	if (n == 0)
		return ""
	for (i = 2; i <= n; i++) {
		x = a[i] + 0
		for (j = i - 1; j >= 1 && a[j] + 0 > x; j--)
			a[j + 1] = a[j]
		a[j + 1] = x
	}
	if (n % 2)
		return a[(n + 1) / 2] + 0
	return (a[n / 2] + a[n / 2 + 1]) / 2
}

# fmt(x, unit): a cell: seconds, MiB from KiB, or MB from bytes.
function fmt(x, unit) {
	if (x == "")
		return "-"
	if (unit == "s")
		return sprintf(x < 10 ? "%.2f" : "%.1f", x)
	if (unit == "MiB")
		return sprintf("%.0f", x / 1024)
	return sprintf("%.1f", x / 1e6)
}

function ratio(a, b) {
	if (a == "" || b == "" || b + 0 == 0)
		return "-"
	return sprintf("%.2f", a / b)
}

# row(label, arr, op, unit): one table row, medians of the three tools.
function row(label, arr, op, unit,  i, m, c, line) {
	line = "| " label
	for (i = 1; i <= 3; i++) {
		m[i] = median(arr[T[i] SUBSEP op])
		c = fmt(m[i], unit)
		if ((T[i] SUBSEP op) in BAD)
			c = c " !"
		line = line " | " c
	}
	print line " | " ratio(m[1], m[2]) " | " ratio(m[1], m[3]) " |"
}

# vrow(label, arr, unit): a row of the medians of per-run totals of the
# versioned set (arr is indexed by tool SUBSEP run).
function vrow(label, arr, unit,  i, k, p, s, m, line) {
	line = "| " label
	for (i = 1; i <= 3; i++) {
		s = ""
		for (k in arr) {
			split(k, p, SUBSEP)
			if (p[1] == T[i])
				s = s " " arr[k]
		}
		m[i] = median(s)
		line = line " | " fmt(m[i], unit)
	}
	print line " | " ratio(m[1], m[2]) " | " ratio(m[1], m[3]) " |"
}

function header(first) {
	print "| " first " | coffer | restic | borg | coffer/restic | " \
	    "coffer/borg |"
	print "|---|--:|--:|--:|--:|--:|"
}

function bounds(  bw, bo, c1, i, m, line) {
	bw = median(WALL["bound" SUBSEP "tarzstd"])
	bo = median(REPO["bound" SUBSEP "tarzstd"])
	c1 = median(WALL["coffer" SUBSEP "backup1"])
	line = "First backup throughput (MB/s):"
	for (i = 1; i <= 3; i++) {
		m = median(WALL[T[i] SUBSEP "backup1"])
		line = line sprintf(" %s %s%s", T[i],
		    m == "" ? "-" : sprintf("%.0f", bytes / 1e6 / m),
		    i < 3 ? "," : ".")
	}
	print line
	print ""
	if (bw != "")
		printf("Bound `tar -cf - | zstd -3 -T0`: %s s (%.0f MB/s), " \
		    "output %.1f MB; coffer first backup / bound = %s.\n",
		    fmt(bw, "s"), bytes / 1e6 / bw, bo / 1e6, ratio(c1, bw))
	if (rate + 0 > 0)
		printf("\nBound single-core chunk + HMAC-SHA-256 + AES-256-GCM " \
		    "(bench_pipeline): %.2f GB/s, i.e. %.2f s for these bytes " \
		    "on one core, %.2f s on %d; coffer first backup / that = " \
		    "%s.\n", rate, bytes / 1e9 / rate,
		    bytes / 1e9 / rate / ncpu, ncpu,
		    ratio(c1, bytes / 1e9 / rate / ncpu))
}

END {
	if (versioned) {
		header("backup of version (wall s)")
		for (v = 1; v <= nver; v++)
			row("v" v, WALL, "v" v, "s")
		vrow("all " nver " backups, wall s", VW, "s")
		vrow("all " nver " backups, CPU s", VC, "s")
		vrow("peak RSS, MiB", VR, "MiB")
		vrow("final repository, MB", VF, "MB")
		print ""
		print "Ratios below 1: coffer is faster or smaller."
		exit 0
	}
	header("operation (wall s)")
	n = split(OPS, ops, " ")
	for (i = 1; i <= n; i++)
		row(NAME[ops[i]], WALL, ops[i], "s")
	print ""
	header("operation: CPU s / peak RSS MiB / repository MB after")
	for (i = 1; i <= n; i++)
		row(NAME[ops[i]] ", CPU s", CPU, ops[i], "s")
	for (i = 1; i <= n; i++)
		row(NAME[ops[i]] ", RSS MiB", RSS, ops[i], "MiB")
	for (i = 1; i <= 3; i++)
		row(NAME[ops[i]] ", repo MB", REPO, ops[i], "MB")
	print ""
	print "Ratios below 1: coffer is faster or smaller."
	print ""
	bounds()
}
