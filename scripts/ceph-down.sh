#!/bin/sh
# scripts/ceph-down.sh: stop the cluster scripts/ceph-up.sh made in
# $COFFER_CEPH_DIR (default /tmp/coffer-ceph) and delete all its files.
# Stops the daemons in order, each by its pid file (and only a process whose
# command line names this cluster's configuration): radosgw first (it hangs
# in shutdown when its OSD is already gone), then the OSD, then the monitor.
# SIGTERM, then SIGKILL after 20 s.  Doing nothing is not an error.
set -u

D=${COFFER_CEPH_DIR:-/tmp/coffer-ceph}
CONF=$D/ceph.conf

# stop NAME: stop the daemon whose pid file is $D/run/NAME.pid.
stop() {
	pf=$D/run/$1.pid
	[ -f "$pf" ] || return 0
	pid=$(cat "$pf" 2> /dev/null)
	case $pid in
	'' | *[!0-9]*) return 0 ;;
	esac
	tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null | grep -qF -- "$CONF" ||
	    return 0
	kill -TERM "$pid" 2> /dev/null || return 0
	i=0
	while kill -0 "$pid" 2> /dev/null; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			echo "ceph-down: $1 (pid $pid) ignores SIGTERM;" \
			    "killing it" >&2
			kill -KILL "$pid" 2> /dev/null
			sleep 0.2
			break
		fi
		sleep 0.1
	done
}

if [ -d "$D" ]; then
	stop client.rgw.a
	stop osd.0
	stop mon.a
fi
rm -rf -- "$D" "$D.block"
