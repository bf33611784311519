#!/bin/bash
# A detached rampartd logs to syslog (the journal reads /dev/log), as
# src/common/log.h says: in a namespace whose /dev is a private tmpfs, a
# listener bound at /dev/log receives the daemon's start and stop lines
# with LOG_DAEMON priorities and its pid.  A foreground daemon (-f) keeps
# stderr and sends nothing to /dev/log (the negative control).  Then the
# daemon as wg-quick starts it (WG_QUICK_USERSPACE_IMPLEMENTATION, no
# LOG_LEVEL): its start line and the handshake event with a peer
# ($PEER_IMPL in a second namespace) reach /dev/log at the default level.
. "$(dirname "$0")/../lib.sh"

D=${DUT:-$RAMPARTD}
ns_require
ns_add box
tmp=$(mktemp -d)
trap 'ns_cleanup_all; rm -rf "$tmp"' EXIT

# /dev inside the namespace: a tmpfs with the devices the daemon opens,
# so /dev/log is ours and the host's journal sees nothing.
ns_exec box sh -e -c '
	d=$(mktemp -d)
	mount -t tmpfs none "$d"
	mkdir -p "$d/net"
	for f in null urandom random net/tun; do touch "$d/$f"; mount --bind "/dev/$f" "$d/$f"; done
	ln -s /proc/self/fd "$d/fd" # bash process substitution: wg-quick setconf /dev/fd/63
	mount --rbind "$d" /dev
	ip link set lo up' || bail "setup failed: a private /dev in the namespace"

# listen OUT: prints every datagram sent to /dev/log (one per line) until
# killed; touches OUT.ready once bound.  Its pid is in LISTENER.
listen() {
	ns_exec box python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
while True:
    print(s.recv(65536).decode(errors="replace").rstrip("\n"), flush=True)' "$1" > "$1" &
	LISTENER=$!
	wait_for 5 test -e "$1.ready"
}
stop_listener() { kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null; rm -f /proc/"${NS_HOLDER[box]}"/root/dev/log; }

setup "a /dev/log listener" listen "$tmp/detached"
LOG_LEVEL=verbose ns_exec box "$D" rsl0 2>"$tmp/stderr" || bail "setup failed: rampartd rsl0 detaches"
wait_for 5 grep -q "interface rsl0 is up" "$tmp/detached"
check "the start line reaches /dev/log as LOG_DAEMON|LOG_INFO (<30>) with the daemon's pid" \
	grep -q "^<30>.*rampartd\[[0-9]*\]: interface rsl0 is up" "$tmp/detached"
ns_exec box ip link del rsl0
wait_for 5 sh -c "[ \$(grep -c 'rampartd\[' '$tmp/detached') -ge 2 ]"
check "deleting the interface logs the stop through syslog too" \
	[ "$(grep -c 'rampartd\[' "$tmp/detached")" -ge 2 ]
stop_listener

rm -f "$tmp/fg.ready"
setup "a second /dev/log listener" listen "$tmp/fg"
LOG_LEVEL=verbose ns_exec box "$D" -f rsl1 2>"$tmp/fg.stderr" &
fgpid=$!
wait_for 5 grep -q "interface rsl1 is up" "$tmp/fg.stderr"
check "a foreground daemon logs to stderr" grep -q "interface rsl1 is up" "$tmp/fg.stderr"
check "and nothing to /dev/log" [ ! -s "$tmp/fg" ]
ns_exec box ip link del rsl1
wait "$fgpid" 2>/dev/null
stop_listener

# ---- wg-quick up: the start and the handshake, at the default level ----------
P=${PEER_IMPL:-wireguard-go}
keys() { wg_key box >/dev/null && wg_key peer >/dev/null; }
setup "keys" keys
setup "a peer namespace" ns_add peer
setup "veth box-peer" ns_link box peer 192.168.80.1/24 192.168.80.2/24
setup "$P in the peer" ns_daemon peer "$P" wg0
setup "configure the peer" ns_wg peer set wg0 private-key "$NS_TMP/peer.key" listen-port 51891 \
	peer "$(cat "$NS_TMP/box.pub")" allowed-ips 10.80.0.1/32
setup "the peer's address" wg_if_up peer wg0 10.80.0.2/24
(umask 077; cat > "$tmp/rsl2.conf" <<EOF
[Interface]
PrivateKey = $(cat "$NS_TMP/box.key")
Address = 10.80.0.1/24
ListenPort = 51890

[Peer]
PublicKey = $(cat "$NS_TMP/peer.pub")
AllowedIPs = 10.80.0.2/32
Endpoint = 192.168.80.2:51891
EOF
)
rm -f "$tmp/quick.ready"
setup "a third listener" listen "$tmp/quick"
setup "wg-quick up with rampartd" ns_exec box env -u LOG_LEVEL \
	WG_QUICK_USERSPACE_IMPLEMENTATION="$D" sh -c 'wg-quick up "$1" 2>"$2"' - "$tmp/rsl2.conf" "$tmp/up.log"
check "a ping over the tunnel" ns_ping box -c 1 -W 5 10.80.0.2
wait_for 5 grep -q "event=handshake" "$tmp/quick"
check "the start line reaches /dev/log at the default level" \
	grep -q "^<30>.*rampartd\[[0-9]*\]: interface rsl2 is up" "$tmp/quick"
check "the handshake event reaches /dev/log, key=value, with the peer and its endpoint" \
	grep -q -F "event=handshake peer=$(cat "$NS_TMP/peer.pub") endpoint=192.168.80.2:51891 role=initiator rekey=no interface=rsl2" "$tmp/quick"
check "... as LOG_DAEMON|LOG_INFO from the daemon's pid" \
	grep -q "^<30>.*rampartd\[[0-9]*\]: event=handshake " "$tmp/quick"
setup "wg-quick down" ns_exec box sh -c 'wg-quick down "$1" 2>"$2"' - "$tmp/rsl2.conf" "$tmp/down.log"
stop_listener
finish

