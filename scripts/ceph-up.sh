#!/bin/sh
# scripts/ceph-up.sh: a real single-node Ceph cluster with an S3 gateway on
# loopback, for the S3 tests and benchmarks.  Run as root.
#
#   sh scripts/ceph-up.sh        bring it up (or say it is already up)
#   sh scripts/ceph-down.sh      stop every daemon and delete everything
#
# One monitor, one OSD (BlueStore on a sparse file), no manager, radosgw's
# beast frontend on 127.0.0.1, every pool of size 1, and an S3 user.  Every
# file lives under $COFFER_CEPH_DIR (default /tmp/coffer-ceph) except the
# OSD's sparse block file, $COFFER_CEPH_DIR.block (BlueStore refuses a block
# file inside its own directory).  When the gateway answers, the script
# writes $COFFER_CEPH_DIR/env, for tests to source:
#
#   COFFER_S3_ENDPOINT=http://127.0.0.1:PORT
#   AWS_ACCESS_KEY_ID=...  AWS_SECRET_ACCESS_KEY=...  AWS_DEFAULT_REGION=...
#   COFFER_CEPH_DIR=...  COFFER_CEPH_CONF=...  (for ceph-down.sh, radosgw-admin)
#
# and prints its path.  Idempotent: when the gateway of an existing cluster
# answers, nothing is done; a half-made cluster is torn down and made again.
# Ports: COFFER_CEPH_PORT (radosgw; default: a free one), the monitor and
# the OSD on free ports too.  Needs about 150 MiB of memory; a few seconds to
# start once the packages are installed.
#
# See ../shared/CEPH.md for why each setting is there.
set -eu

D=${COFFER_CEPH_DIR:-/tmp/coffer-ceph}
CONF=$D/ceph.conf
ENVF=$D/env
here=$(cd "$(dirname "$0")" && pwd)

die() {
	echo "ceph-up: $*" >&2
	exit 1
}

now_ms() {
	date +%s%3N
}

# rgw_up PORT: the gateway answers an anonymous request.
rgw_up() {
	curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$1/" 2> /dev/null
}

# Already up?
if [ -f "$ENVF" ]; then
	port=$(sed -n 's|^COFFER_S3_ENDPOINT=http://127.0.0.1:\([0-9]*\)$|\1|p' \
	    "$ENVF")
	if [ -n "$port" ] && rgw_up "$port"; then
		echo "ceph-up: already up; $ENVF"
		exit 0
	fi
fi
if [ -e "$D" ] || [ -e "$D.block" ]; then
	echo "ceph-up: tearing down a stale cluster in $D"
	COFFER_CEPH_DIR=$D sh "$here/ceph-down.sh"
fi

# Packages.
need=""
for p in ceph-mon ceph-osd radosgw ceph-common; do
	dpkg -s "$p" > /dev/null 2>&1 || need="$need $p"
done
if [ -n "$need" ]; then
	[ "$(id -u)" -eq 0 ] || die "need root to install:$need"
	echo "ceph-up: installing$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends $need > "/tmp/ceph-apt.$$" \
	    2>&1 || {
		apt-get update -qq > /dev/null 2>&1
		apt-get install -y -qq --no-install-recommends $need \
		    > "/tmp/ceph-apt.$$" 2>&1 ||
		    { tail -n 20 "/tmp/ceph-apt.$$" >&2; die "apt-get failed"; }
	}
	rm -f "/tmp/ceph-apt.$$"
fi
for c in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool \
    monmaptool uuidgen curl ss; do
	command -v "$c" > /dev/null 2>&1 || die "missing command: $c"
done

# free_port [AVOID...]: a TCP port nobody listens on, outside AVOID.
free_port() {
	used=$(ss -Htan 2> /dev/null | awk '{ n = split($4, a, ":");
	    print a[n] }')
	i=0
	while [ $i -lt 200 ]; do
		p=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000))
		ok=1
		for u in $used "$@"; do
			[ "$u" = "$p" ] && { ok=0; break; }
		done
		[ $ok -eq 1 ] && { echo "$p"; return 0; }
		i=$((i + 1))
	done
	die "no free port found"
}

start=$(now_ms)
rgw_port=${COFFER_CEPH_PORT:-$(free_port)}
mon_v2=$(free_port "$rgw_port")
mon_v1=$(free_port "$rgw_port" "$mon_v2")
# The OSD binds several ports (public, cluster, heartbeats) in a range.
osd_lo=$(free_port "$rgw_port" "$mon_v2" "$mon_v1")
osd_hi=$((osd_lo + 20))
fsid=$(uuidgen)
ak=COFFER$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
sk=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')

umask 077
mkdir -p "$D/mon/ceph-a" "$D/osd/ceph-0" "$D/run" "$D/log" "$D/crash" \
    "$D/rgw"
cat > "$CONF" << EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
mon initial members = a
public network = 127.0.0.1/32
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
ms bind port min = $osd_lo
ms bind port max = $osd_hi
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
crash dir = $D/crash
log to syslog = false
err to syslog = false
log to stderr = false
err to stderr = false
keyring = $D/\$name.keyring
auth allow insecure global id reclaim = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon mgr mkfs grace = 31536000
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.05
paxos min wait = 0.01
[mon]
mon data = $D/mon/ceph-\$id
[osd]
osd data = $D/osd/ceph-\$id
osd objectstore = bluestore
bluestore block path = $D.block
bluestore block create = true
bluestore block size = 10G
bluestore cache autotune = false
bluestore cache size = 128M
bluestore fsck on mount = false
osd memory target = 536870912
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw data = $D/rgw
rgw gc obj min wait = 60
rgw gc processor period = 60
rgw enable usage log = false
EOF

# Keys and the monitor.
ceph-authtool -c /dev/null --create-keyring "$D/mon.keyring" --gen-key \
    -n mon. --cap mon 'allow *' > /dev/null
ceph-authtool -c /dev/null --create-keyring "$D/client.admin.keyring" \
    --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mds 'allow *' --cap mgr 'allow *' > /dev/null
ceph-authtool -c /dev/null "$D/mon.keyring" \
    --import-keyring "$D/client.admin.keyring" > /dev/null
monmaptool -c /dev/null --create --fsid "$fsid" \
    --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" \
    "$D/monmap" > /dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$D/monmap" \
    --keyring "$D/mon.keyring" > "$D/log/mkfs-mon.out" 2>&1 ||
    { cat "$D/log/mkfs-mon.out" >&2; die "ceph-mon --mkfs failed"; }
ceph-mon -c "$CONF" -i a || die "ceph-mon did not start"

cephc() {
	timeout 30 ceph -c "$CONF" --connect-timeout 20 "$@"
}

# The OSD, without ceph-volume: the monitor allots its id.
uuid=$(uuidgen)
id=$(cephc osd new "$uuid") || die "ceph osd new failed"
[ "$id" = 0 ] || die "unexpected OSD id '$id'"
cephc auth get-or-create osd.0 mon 'allow profile osd' \
    mgr 'allow profile osd' osd 'allow *' -o "$D/osd.0.keyring" \
    > /dev/null 2>&1 || die "ceph auth for osd.0 failed"
MALLOC_ARENA_MAX=2 ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" \
    > "$D/log/mkfs-osd.out" 2>&1 ||
    { tail -n 20 "$D/log/mkfs-osd.out" >&2; die "ceph-osd --mkfs failed"; }
MALLOC_ARENA_MAX=2 ceph-osd -c "$CONF" -i 0 || die "ceph-osd did not start"

# The gateway.
cephc auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' \
    mgr 'allow rw' -o "$D/client.rgw.a.keyring" > /dev/null 2>&1 ||
    die "ceph auth for client.rgw.a failed"
MALLOC_ARENA_MAX=2 radosgw -c "$CONF" -n client.rgw.a ||
    die "radosgw did not start"
t0=$(now_ms)
until rgw_up "$rgw_port"; do
	if [ $(($(now_ms) - t0)) -gt 120000 ]; then
		tail -n 30 "$D/log/client.rgw.a.log" >&2
		die "radosgw not answering on 127.0.0.1:$rgw_port after 120 s"
	fi
	sleep 0.2
done

# The S3 user.
timeout 60 radosgw-admin -c "$CONF" -n client.admin user create --uid=coffer \
    --display-name=coffer --access-key="$ak" --secret-key="$sk" \
    > "$D/log/user.json" 2>&1 ||
    { cat "$D/log/user.json" >&2; die "radosgw-admin user create failed"; }

cat > "$ENVF.tmp" << EOF
COFFER_CEPH_DIR=$D
COFFER_CEPH_CONF=$CONF
COFFER_S3_ENDPOINT=http://127.0.0.1:$rgw_port
AWS_ACCESS_KEY_ID=$ak
AWS_SECRET_ACCESS_KEY=$sk
AWS_DEFAULT_REGION=us-east-1
export COFFER_CEPH_DIR COFFER_CEPH_CONF COFFER_S3_ENDPOINT
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION
EOF
mv "$ENVF.tmp" "$ENVF"
echo "ceph-up: up in $(($(now_ms) - start)) ms; S3 at" \
    "http://127.0.0.1:$rgw_port; env in $ENVF"
