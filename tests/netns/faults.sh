#!/bin/bash
# Bad luck from the kernel while data moves (issue 16, item 4): the daemon
# survives each fault, counts what it lost, and moves data again after.
#
#   ns a: rampartd under test ($DUT, the sanitized build)   ns b: $PEER_IMPL
#   wg0 10.35.0.1  ==== tunnel, UDP 51861 / 51862 ====      wg0 10.35.0.2
#   a-b 192.168.35.1 --------------- veth ----------------  b-a 192.168.35.2
#
#  1. Full send buffers: a's UDP sockets' send buffers at the kernel's
#     minimum (tests/tools/sockopt.py SO_SNDBUF, through pidfd_getfd) and
#     a-b slowed to 50 Mbit/s (tbf: datagrams wait in the qdisc, charged
#     to their socket) make its sends fail with EAGAIN under a TCP
#     transfer a -> b.  a counts
#     them (rampart_datagram_send_failed rises), stays up, and the
#     transfer still arrives whole (TCP sends again what the kernel
#     refused): sha256 equal.  The control: the same transfer before, with
#     the buffers as rampartd set them, counts no failed send.
#  2. The interface set down and up: b's wg0 down while a pings through
#     the tunnel: no ping is answered, and b's daemon still reads each
#     datagram and writes the ping to its TUN, where the kernel drops it
#     (wg0's rx_dropped rises by the 5 pings); wg0 up again: pings are
#     answered, both daemons still run.
#  3. The MTU changed under a running transfer: a's and b's wg0 MTU go
#     1420, 1280, 1360, 1300, 1420 every 0.3 s while a sends 40 MB to b:
#     sha256 equal, both daemons up.
#  4. Finally: both daemons exit 0 on SIGTERM, and a's log has no sanitizer
#     report.
# (The listen port taken by another process between two sets is
# privsep.sh's: the set is refused as in use and the old port stays.  A
# clock jump of hours is test_device's device/suspend_clock_jump.)
. "$(dirname "$0")/../lib.sh"

ns_require
DUT=${DUT:-$RAMPARTD}
PEER_IMPL=${PEER_IMPL:-$RAMPARTD_REL}
impl_require "$DUT" "$PEER_IMPL"
need_tool python3 sha256sum
ns_watchdog 150
XFER=$RAMPART_TOP/tests/tools/xfer.py
SOCKOPT=$RAMPART_TOP/tests/tools/sockopt.py

{ wg_key a >/dev/null && wg_key b >/dev/null; } || bail "setup failed: keys"
setup "namespaces and veth" eval 'ns_add a && ns_add b && ns_link a b 192.168.35.1/24 192.168.35.2/24'
setup "a's daemon" ns_daemon a "$DUT" wg0
setup "b's daemon" ns_daemon b "$PEER_IMPL" wg0
setup "a configured" ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51861 \
	peer "$(cat "$NS_TMP/b.pub")" allowed-ips 10.35.0.2/32 endpoint 192.168.35.2:51862
setup "b configured" ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51862 \
	peer "$(cat "$NS_TMP/a.pub")" allowed-ips 10.35.0.1/32
setup "a's wg0 up" wg_if_up a wg0 10.35.0.1/24
setup "b's wg0 up" wg_if_up b wg0 10.35.0.2/24
ns_run a ping -n -q -c 1 -W 5 10.35.0.2 >/dev/null 2>&1
setup "handshake" wait_handshake a wg0 "$(cat "$NS_TMP/b.pub")" 5

# counter SIDE NAME: a rampart_ device counter of SIDE's get=1 reply (0
# when the reply does not carry it).
counter() {
	local v
	v=$(printf 'get=1\n\n' | uapi "$1" wg0 | sed -n "/^public_key=/q; s/^rampart_$2=//p")
	echo "${v:-0}"
}

SRC=$NS_TMP/src.bin
head -c $((40 << 20)) /dev/urandom > "$SRC" || bail "setup failed: source file"

# xfer MB: a sends the first MB MiB of SRC to b over the tunnel; true when
# b got exactly those bytes (sha256).  XFER_WHY says what went wrong.
xfer() {
	local want rpid rc got
	want=$(head -c $(($1 << 20)) "$SRC" | sha256sum | cut -d' ' -f1)
	rm -f "$NS_TMP/ready" "$NS_TMP/recv.out"
	nsenter -t "${NS_HOLDER[b]}" -m -n -- timeout -k 2 60 "$PYTHON" "$XFER" tcp-recv --bind 10.35.0.2 \
		--port 5001 --out /dev/null --ready "$NS_TMP/ready" --timeout 30 >"$NS_TMP/recv.out" 2>&1 </dev/null &
	rpid=$!
	wait_for 5 test -e "$NS_TMP/ready" || { XFER_WHY="receiver not listening"; kill "$rpid"; wait "$rpid"; return 1; }
	head -c $(($1 << 20)) "$SRC" > "$NS_TMP/part.bin"
	ns_run a timeout 60 "$PYTHON" "$XFER" tcp-send --to 10.35.0.2 --port 5001 --file "$NS_TMP/part.bin" \
		>/dev/null 2>"$NS_TMP/send.err"; rc=$?
	[ "$rc" -eq 0 ] || kill "$rpid" 2>/dev/null
	wait "$rpid"
	got=$(sed -n 's/.*sha256=\([0-9a-f]*\).*/\1/p' "$NS_TMP/recv.out")
	XFER_WHY="sender status $rc ($(head -c 200 "$NS_TMP/send.err")); receiver: $(head -c 300 "$NS_TMP/recv.out")"
	[ "$rc" -eq 0 ] && [ "$got" = "$want" ]
}

alive() { pid_alive "${NS_DPID[a/wg0]}" && pid_alive "${NS_DPID[b/wg0]}"; }

# --- 1. full send buffers ----------------------------------------------------
engine=$(ns_engine_pid a wg0)
f0=$(counter a datagram_send_failed)
if xfer 20; then ok "control: 20 MB a -> b, sha256 equal"; else not_ok "control: 20 MB a -> b, sha256 equal" "$XFER_WHY"; fi
f1=$(counter a datagram_send_failed)
expect "control: no failed send with rampartd's own buffers" "$((f1 - f0))" 0
old=$("$PYTHON" "$SOCKOPT" "$engine" 51861 SO_SNDBUF | head -n 1)
setup "a's send buffers at the minimum" eval '"$PYTHON" "$SOCKOPT" "$engine" 51861 SO_SNDBUF 1 >/dev/null'
# A slow link, so that sent datagrams wait in the qdisc, charged to the
# socket that sent them (a veth hands them on at once otherwise).
setup "a-b at 50 Mbit/s (tbf)" ns_run a tc qdisc add dev a-b root tbf rate 50mbit burst 16kb limit 64kb
if xfer 8; then ok "full send buffers: 8 MB a -> b, sha256 equal"; else not_ok "full send buffers: 8 MB a -> b, sha256 equal" "$XFER_WHY"; fi
f2=$(counter a datagram_send_failed)
check "full send buffers: a counted the sends the kernel refused ($((f2 - f1)))" [ "$((f2 - f1))" -gt 0 ]
setup "a's send buffers restored" eval '"$PYTHON" "$SOCKOPT" "$engine" 51861 SO_SNDBUF $((old / 2)) >/dev/null'
setup "a-b at full speed again" ns_run a tc qdisc del dev a-b root
check "full send buffers: both daemons still run" alive
check "full send buffers: ping after" ns_ping a -c 2 -i 0.2 -w 5 10.35.0.2

# --- 2. the interface down and up --------------------------------------------
rx_dropped() { ip netns exec "$(ns_name b)" cat /sys/class/net/wg0/statistics/rx_dropped; }
d0=$(rx_dropped)
setup "b's wg0 down" ip -n "$(ns_name b)" link set wg0 down
if ns_run a ping -n -q -c 5 -i 0.2 -W 1 10.35.0.2 >/dev/null 2>&1; then
	not_ok "wg0 down: no ping answered"
else
	ok "wg0 down: no ping answered"
fi
d1=$(rx_dropped)
check "wg0 down: b still took the pings and wrote them, the kernel dropped them ($((d1 - d0)) of 5)" \
	[ "$((d1 - d0))" -ge 5 ]
setup "b's wg0 up" ip -n "$(ns_name b)" link set wg0 up
check "wg0 up again: pings answered" ns_ping a -c 3 -i 0.2 -w 8 10.35.0.2
check "wg0 down and up: both daemons still run" alive

# --- 3. the MTU changed under a transfer -------------------------------------
mtu_loop() {
	local m
	while :; do
		for m in 1420 1280 1360 1300 1420; do
			ip -n "$(ns_name a)" link set wg0 mtu "$m" 2>/dev/null
			ip -n "$(ns_name b)" link set wg0 mtu "$m" 2>/dev/null
			sleep 0.3
		done
	done
}
mtu_loop &
loop=$!
if xfer 40; then r=0; else r=1; fi
kill "$loop" 2>/dev/null; wait "$loop" 2>/dev/null
ip -n "$(ns_name a)" link set wg0 mtu 1420; ip -n "$(ns_name b)" link set wg0 mtu 1420
if [ "$r" -eq 0 ]; then ok "MTU changes under the transfer: 40 MB a -> b, sha256 equal"
else not_ok "MTU changes under the transfer: 40 MB a -> b, sha256 equal" "$XFER_WHY"; fi
check "MTU changes: both daemons still run" alive
check "MTU changes: ping after" ns_ping a -c 2 -i 0.2 -w 5 10.35.0.2

# --- 4. the end ---------------------------------------------------------------
check "a exits 0 on SIGTERM" ns_daemon_stop a wg0
check "b exits 0 on SIGTERM" ns_daemon_stop b wg0
check "no sanitizer report in a's log" ns_sanitizer_clean
finish
