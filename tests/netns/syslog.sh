#!/bin/bash
# A detached rampartd logs to syslog (the journal reads /dev/log), as
# src/common/log.h says: in a namespace whose /dev is a private tmpfs, a
# listener bound at /dev/log receives the daemon's start and stop lines
# with LOG_DAEMON priorities and its pid.  A foreground daemon (-f) keeps
# stderr and sends nothing to /dev/log (the negative control).
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
finish
