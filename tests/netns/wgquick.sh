#!/bin/bash
# wg-quick drives the DUT, and the daemon's process contract
# (docs/uapi-contract.md, "Process").
#
#   ns a                                    ns b
#   wg-quick up wg0 (DUT)                   wg0 10.30.0.2 ($PEER_IMPL, wg set)
#     10.30.0.1 fd30::1    <== tunnel ==>       fd30::2
#   a-b 192.168.70.1  ------- veth -------  b-a 192.168.70.2
#
# 1. wg-quick up with WG_QUICK_USERSPACE_IMPLEMENTATION=$DUT starts the
#    DUT (no kernel module here), configures it, and the tunnel pings
#    both ways; wg-quick down deletes the link, and the daemon exits and
#    removes its socket.
# 2. Lifecycle, in namespace a: a daemonized start returns only when the
#    socket and the TUN exist; the daemon exits on `ip link del`, on
#    removal of its socket, on SIGTERM and on SIGINT (exit status 0,
#    socket and TUN gone); a stale socket (nobody listening) is replaced;
#    a live one (a plain listener) is left alone and the daemon fails; a
#    second daemon for a name already served fails and the first keeps
#    working.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL" wg-quick
ns_watchdog 120

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"
wg_key a >/dev/null && wg_key b >/dev/null || { not_ok "keys"; finish; exit 1; }
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")
DUT_EXE=$(readlink -f "$(command -v "$DUT")")

ns_add a && ns_add b && ns_link a b 192.168.70.1/24 192.168.70.2/24 || {
	not_ok "namespaces"; finish; exit 1; }

# ---- 1. wg-quick up / down ------------------------------------------
ns_daemon b "$PEER_IMPL" wg0 &&
ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51842 \
	peer "$PUB_A" allowed-ips 10.30.0.1/32,fd30::1/128 &&
wg_if_up b wg0 10.30.0.2/24 fd30::2/64
check "peer $(impl_name "$PEER_IMPL") up in b" [ $? -eq 0 ]

mkdir -p "$NS_TMP/quick" && cat > "$NS_TMP/quick/wg0.conf" <<EOF
[Interface]
PrivateKey = $(cat "$NS_TMP/a.key")
ListenPort = 51841
Address = 10.30.0.1/24, fd30::1/64
MTU = 1400

[Peer]
PublicKey = $PUB_B
AllowedIPs = 10.30.0.2/32, fd30::2/128
Endpoint = 192.168.70.2:51842
EOF
chmod 600 "$NS_TMP/quick/wg0.conf"

QLOG=$NS_TMP/a-wg-quick.log
if ns_run a env WG_QUICK_USERSPACE_IMPLEMENTATION="$DUT" \
	wg-quick up "$NS_TMP/quick/wg0.conf" >"$QLOG" 2>&1; then
	ok "wg-quick up with WG_QUICK_USERSPACE_IMPLEMENTATION=$(impl_name "$DUT")"
else
	not_ok "wg-quick up" "$(cat "$QLOG")"
fi
QPID=$(ns_tun_pid a wg0)
if [ -n "$QPID" ] && [ "$(readlink -f "/proc/$QPID/exe")" = "$DUT_EXE" ] &&
   [ -S "$(ns_sock a wg0)" ]; then
	ok "the DUT (pid $QPID) holds wg0 and its socket exists"
else
	not_ok "the DUT holds wg0" "pid '$QPID' exe '$(readlink -f "/proc/$QPID/exe" 2>/dev/null)', want $DUT_EXE"
fi
if [ "$(ns_wg a show wg0 listen-port)" = 51841 ] &&
   [ "$(ns_wg a show wg0 peers)" = "$PUB_B" ] &&
   [ "$(ip -n "$(ns_name a)" -o link show wg0 | grep -o 'mtu [0-9]*')" = "mtu 1400" ]; then
	ok "wg-quick configured the DUT (listen port, peer, MTU 1400)"
else
	not_ok "wg-quick configured the DUT" "$(ns_wg a show wg0 dump)"
fi
check "ping a -> b over IPv4, 0% loss" ns_ping a -c 5 -i 0.2 -w 10 10.30.0.2
check "ping b -> a over IPv6, 0% loss" ns_ping b -c 5 -i 0.2 -w 10 fd30::1

if ns_run a wg-quick down "$NS_TMP/quick/wg0.conf" >>"$QLOG" 2>&1; then
	ok "wg-quick down"
else
	not_ok "wg-quick down" "$(tail -n 20 "$QLOG")"
fi
if [ -n "$QPID" ] && wait_for 10 ns_not_alive "$QPID" && [ -z "$(ns_pids a)" ]; then
	ok "after down the daemon is gone (no process left in a)"
else
	not_ok "after down the daemon is gone" "left in a: $(ns_pids a | xargs -r ps -o pid=,args= -p)"
fi
check "after down the socket is gone" ns_wait_gone a /run/wireguard/wg0.sock 250
ns_kill_all a

# ---- 2. lifecycle -----------------------------------------------------
tun_gone() { ! ip -n "$(ns_name "$1")" link show "$2" >/dev/null 2>&1; }
sock_gone() { [ ! -e "$(ns_sock "$1" "$2")" ]; }

# Daemonized start: socket and TUN exist when the command returns.
if ns_daemon_bg a "$DUT" wg1 && [ -S "$(ns_sock a wg1)" ] &&
   ip -n "$(ns_name a)" link show wg1 >/dev/null 2>&1; then
	ok "daemonized start returns with socket and TUN in place"
else
	not_ok "daemonized start returns with socket and TUN in place" "$(tail "$NS_TMP/a-wg1.log")"
fi
P1=$(ns_tun_pid a wg1)
check "the daemonized DUT answers wg show" eval "ns_wg a show wg1 >/dev/null"
ip -n "$(ns_name a)" link del wg1
if [ -n "$P1" ] && wait_for 10 ns_not_alive "$P1" && wait_for 5 sock_gone a wg1; then
	ok "ip link del: the daemon exits and removes its socket"
else
	not_ok "ip link del: the daemon exits and removes its socket" \
		"pid $P1 alive: $(pid_alive "$P1" && echo yes || echo no); socket: $(ls -l "$(ns_sock a wg1)" 2>&1)"
	[ -n "$P1" ] && kill -KILL "$P1" 2>/dev/null
fi

# The same in the foreground, where the exit status can be collected.
if ns_daemon a "$DUT" wg2; then
	ip -n "$(ns_name a)" link del wg2
	if ns_daemon_exited a wg2 10 && [ "$NS_DRC" -eq 0 ] && wait_for 5 sock_gone a wg2; then
		ok "ip link del (foreground): exit 0, socket removed"
	else
		not_ok "ip link del (foreground): exit 0, socket removed" "status ${NS_DRC:-none}" \
			"$(tail -n 5 "$NS_TMP/a-wg2.log")"
		ns_daemon_stop a wg2 KILL
	fi
else
	not_ok "start a foreground daemon (wg2)"
fi

NS_DRC=
if ns_daemon a "$DUT" wg3; then
	rm -f "$(ns_sock a wg3)"
	if ns_daemon_exited a wg3 10 && [ "$NS_DRC" -eq 0 ] && wait_for 5 tun_gone a wg3; then
		ok "socket removed: the daemon exits 0 and its TUN is gone"
	else
		not_ok "socket removed: the daemon exits 0 and its TUN is gone" "status ${NS_DRC:-none}" \
			"$(tail -n 5 "$NS_TMP/a-wg3.log")"
		ns_daemon_stop a wg3 KILL
	fi
else
	not_ok "start a foreground daemon (wg3)"
fi

for sig in TERM INT; do
	if ns_daemon a "$DUT" wg4; then
		ns_daemon_stop a wg4 "$sig"; rc=$?
		if [ "$rc" -eq 0 ] && wait_for 5 sock_gone a wg4 && wait_for 5 tun_gone a wg4; then
			ok "SIG$sig: exit 0, socket and TUN gone"
		else
			not_ok "SIG$sig: exit 0, socket and TUN gone" "status $rc" \
				"$(tail -n 5 "$NS_TMP/a-wg4.log")"
		fi
	else
		not_ok "start a foreground daemon (wg4, SIG$sig)"
	fi
done

# A stale socket: bound, then abandoned without unlink (nobody listens:
# connect() is refused).  The daemon replaces it.
ns_run a "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("/run/wireguard/wg5.sock")
s.close()'
STALE_INO=$(stat -c %i "$(ns_sock a wg5)" 2>/dev/null)
if [ -S "$(ns_sock a wg5)" ] && ns_daemon a "$DUT" wg5 &&
   [ "$(stat -c %i "$(ns_sock a wg5)")" != "$STALE_INO" ] && ns_wg a show wg5 >/dev/null; then
	ok "a stale socket is replaced and served"
else
	not_ok "a stale socket is replaced and served" "$(tail -n 5 "$NS_TMP/a-wg5.log")"
fi
ns_daemon_stop a wg5

# A live socket (a plain listener that answers "listener") is not
# touched: the daemon fails, the listener still answers on the same inode.
nsenter -t "${NS_HOLDER[a]}" -m -n -- timeout 60 "$PYTHON" -c '
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("/run/wireguard/wg6.sock")
s.listen(8)
while True:
    c, _ = s.accept()
    try:
        c.sendall(b"listener\n")
    except OSError:
        pass  # the daemon probing the socket hung up first
    c.close()' >/dev/null 2>&1 </dev/null &
LISTENER=$!
ns_wait_file a /run/wireguard/wg6.sock
LIVE_INO=$(stat -c %i "$(ns_sock a wg6)" 2>/dev/null)
listener_answers() {
	[ "$(ns_run a "$PYTHON" -c '
import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(5)
s.connect("/run/wireguard/wg6.sock")
print(s.recv(100).decode().strip())' 2>/dev/null)" = listener ]
}
check "negative control: the listener answers on wg6.sock" listener_answers
nsenter -t "${NS_HOLDER[a]}" -m -n -- "$DUT" -f wg6 >"$NS_TMP/a-wg6.log" 2>&1 </dev/null &
NS_DPID[a/wg6]=$!
if ns_daemon_exited a wg6 10 && [ "$NS_DRC" -ne 0 ]; then
	ok "a live socket: the daemon refuses to start (status $NS_DRC)"
else
	not_ok "a live socket: the daemon refuses to start" "still running or status 0"
	ns_daemon_stop a wg6 KILL
fi
if [ "$(stat -c %i "$(ns_sock a wg6)" 2>/dev/null)" = "$LIVE_INO" ] && listener_answers; then
	ok "a live socket: left in place and still answering"
else
	not_ok "a live socket: left in place and still answering" \
		"inode $LIVE_INO -> $(stat -c %i "$(ns_sock a wg6)" 2>&1)" "$(tail -n 3 "$NS_TMP/a-wg6.log")"
fi
check "a live socket: the failed daemon left no TUN wg6" tun_gone a wg6
kill "$LISTENER" 2>/dev/null; wait "$LISTENER" 2>/dev/null

# A second daemon for a name already served fails; the first keeps its
# socket (same inode), its configuration and its answers.
if ns_daemon a "$DUT" wg7 && ns_wg a set wg7 private-key "$NS_TMP/a.key" listen-port 51849; then
	INO=$(stat -c %i "$(ns_sock a wg7)")
	FIRST=${NS_DPID[a/wg7]}
	nsenter -t "${NS_HOLDER[a]}" -m -n -- "$DUT" -f wg7 >"$NS_TMP/a-wg7-second.log" 2>&1 </dev/null &
	NS_DPID[a/wg7b]=$!
	if ns_daemon_exited a wg7b 10 && [ "$NS_DRC" -ne 0 ]; then
		ok "a second daemon for wg7 fails (status $NS_DRC)"
	else
		not_ok "a second daemon for wg7 fails" "$(tail -n 5 "$NS_TMP/a-wg7-second.log")"
		ns_daemon_stop a wg7b KILL
	fi
	if pid_alive "$FIRST" && [ "$(stat -c %i "$(ns_sock a wg7)" 2>/dev/null)" = "$INO" ] &&
	   [ "$(ns_wg a show wg7 listen-port)" = 51849 ] &&
	   [ "$(ns_wg a show wg7 public-key)" = "$PUB_A" ]; then
		ok "the first daemon keeps working (same socket, same configuration)"
	else
		not_ok "the first daemon keeps working" "$(ns_wg a show wg7 dump 2>&1)"
	fi
	ns_daemon_stop a wg7; rc=$?
	check "the first daemon exits 0 on SIGTERM" [ "$rc" -eq 0 ]
else
	not_ok "start a foreground daemon (wg7)"
fi

check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
