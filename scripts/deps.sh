#!/bin/sh
# Installs exactly what Rampart's build and tests need, from Debian 12's
# archive.  `deps.sh check` lists what is missing (exit 1 if anything is);
# `deps.sh ensure` installs the missing packages (as root, with apt-get).
set -eu

# Package, and a file that proves it is installed.
PKGS="
gcc:/usr/bin/gcc
make:/usr/bin/make
pkg-config:/usr/bin/pkg-config
libc6-dev:/usr/include/stdio.h
libssl-dev:/usr/include/openssl/evp.h
wireguard-tools:/usr/bin/wg
iproute2:/usr/sbin/ip
libmnl-dev:/usr/include/libmnl/libmnl.h
libnftables-dev:/usr/include/nftables/libnftables.h
libmicrohttpd-dev:/usr/include/microhttpd.h
libsqlite3-dev:/usr/include/sqlite3.h
libpq-dev:/usr/include/postgresql/libpq-fe.h
postgresql-15:/usr/lib/postgresql/15/bin/postgres
wireguard-go:/usr/bin/wireguard-go
iperf3:/usr/bin/iperf3
nftables:/usr/sbin/nft
iputils-ping:/usr/bin/ping
procps:/usr/bin/pgrep
util-linux:/usr/bin/unshare
python3:/usr/bin/python3
prometheus:/usr/bin/promtool
curl:/usr/bin/curl
systemd:/usr/bin/systemd-analyze
libqrencode-dev:/usr/include/qrencode.h
libpng-dev:/usr/include/png.h
zbar-tools:/usr/bin/zbarimg
libjansson-dev:/usr/include/jansson.h
libseccomp-dev:/usr/include/seccomp.h
clang:/usr/bin/clang
strace:/usr/bin/strace
"

missing() {
	for entry in $PKGS; do
		pkg=${entry%%:*}
		file=${entry#*:}
		[ -e "$file" ] || echo "$pkg"
	done
	# The sanitizer runtimes (libasan8, libubsan1) come with gcc on
	# Debian 12; check them too, since `make check` links against them.
	for lib in libasan.so.8 libubsan.so.1; do
		ldconfig -p 2>/dev/null | grep -q "$lib" || echo "${lib%%.so*}${lib##*.so.}"
	done
}

case "${1:-check}" in
check)
	m=$(missing | sort -u)
	if [ -n "$m" ]; then
		echo "missing packages:" $m
		exit 1
	fi
	;;
ensure)
	m=$(missing | sort -u)
	[ -z "$m" ] && exit 0
	echo "deps: installing" $m
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: need root to apt-get install:" $m >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# --no-install-recommends: wireguard-tools would otherwise pull in a
	# whole kernel image (and postgresql-15 sysstat and more).
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $m
	;;
*)
	echo "usage: $0 check|ensure" >&2
	exit 2
	;;
esac
