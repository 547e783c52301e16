#!/bin/sh
# Install the Debian 12 packages coffer needs to build and test.
# Run as root.  Does nothing (quickly) when everything is present.
set -eu

PKGS="build-essential pkg-config libssl-dev libsodium-dev libzstd-dev
libjansson-dev libcurl4-openssl-dev libmicrohttpd-dev libsqlite3-dev
libfuse3-dev fuse3
clang libclang-rt-14-dev attr acl jq util-linux xxd restic curl python3
faketime"

missing=""
for p in $PKGS; do
	dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
