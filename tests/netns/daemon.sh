#!/bin/bash
# rampartd's own promises, beyond what wireguard-go does: least privilege,
# data threads, the control socket's bounds (a slow or hostile client
# stalls neither the data path nor other clients; a cut-off operation is
# never applied), sockets that follow a listen-port and fwmark change,
# replies from the address the peer wrote to, and exit conditions.
. "$(dirname "$0")/../lib.sh"

D=${DUT:-$RAMPARTD}
umask 077
quiet() { "$@" >/dev/null 2>&1; }
fails() { ! "$@" >/dev/null 2>&1; }
ns_require
ns_add hub
ns_add cli
# The hub has two addresses; the client writes to the second one.
ns_link hub cli 10.50.0.1/24 10.50.0.9/24
ip -n "$(ns_name hub)" addr add 10.50.0.2/24 dev hub-cli

tmp=$(mktemp -d)
trap 'ns_cleanup_all; rm -rf "$tmp"' EXIT
wg genkey >"$tmp/hub.key"
wg genkey >"$tmp/cli.key"
hub_pub=$(wg pubkey <"$tmp/hub.key")
cli_pub=$(wg pubkey <"$tmp/cli.key")

# uapi NAME PYTHON-BYTES-LITERAL...: sends each request on one connection
# and prints each reply (repr) on its own line.
uapi() {
	local ns=$1; shift
	ns_exec "$ns" python3 - "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect('/run/wireguard/wg0.sock')
for arg in sys.argv[1:]:
    s.sendall(eval(arg))
    d = b''
    while not d.endswith(b'\n\n'):
        c = s.recv(65536)
        if not c:
            break
        d += c
    print(repr(d))
PY
}

RAMPART_THREADS=3 ns_exec hub "$D" wg0 || not_ok "hub daemon starts"
ns_exec cli "$D" wg0 || not_ok "client daemon starts"
ns_wait_file hub /run/wireguard/wg0.sock && ns_wait_file cli /run/wireguard/wg0.sock
hub_pid=$(ns_pids hub | head -n1)

# --- least privilege, threads ---------------------------------------------
mode=$(stat -c '%a %U' "/proc/${NS_HOLDER[hub]}/root/run/wireguard/wg0.sock")
check "control socket is 0600, owned by root ($mode)" [ "$mode" = "600 root" ]
status=$(cat "/proc/$hub_pid/status")
capeff=$(printf '%s\n' "$status" | awk '/^CapEff/ {print $2}')
capbnd=$(printf '%s\n' "$status" | awk '/^CapBnd/ {print $2}')
nnp=$(printf '%s\n' "$status" | awk '/^NoNewPrivs/ {print $2}')
# CAP_NET_BIND_SERVICE (10) and CAP_NET_ADMIN (12) only.
check "capabilities: only NET_ADMIN and NET_BIND_SERVICE ($capeff)" [ "$capeff" = 0000000000001400 ]
check "bounding set reduced too ($capbnd)" [ "$capbnd" = 0000000000001400 ]
check "no_new_privs set" [ "$nnp" = 1 ]
# The threads are the engine's (src/daemon/privsep.h); the checks above
# are the privileged parent's, the first process of the namespace.
engine_pid=$(ns_engine_pid hub wg0)
threads=$(ls "/proc/$engine_pid/task" | wc -l)
# control + handshake + 3 data threads.
check "RAMPART_THREADS=3 gives 5 threads ($threads)" [ "$threads" -eq 5 ]
queues=$(ls "/proc/$hub_pid/fd" -l 2>/dev/null | grep -c /dev/net/tun)
check "one TUN queue per data thread ($queues)" [ "$queues" -eq 3 ]
# As the kernel's link and wireguard-go: 1420, not the TUN default of
# 1500, which fragments every full packet on a 1500-byte path.
mtu=$(ns_exec hub cat /sys/class/net/wg0/mtu)
check "a new interface's MTU is 1420 ($mtu)" [ "$mtu" = 1420 ]

# --- a tunnel; the client writes to the hub's second address --------------
ns_exec hub wg set wg0 private-key "$tmp/hub.key" listen-port 51820 \
	peer "$cli_pub" allowed-ips 10.60.0.2/32
ns_exec cli wg set wg0 private-key "$tmp/cli.key" listen-port 40000 \
	peer "$hub_pub" allowed-ips 10.60.0.1/32 endpoint 10.50.0.2:51820
ns_exec hub ip addr add 10.60.0.1/24 dev wg0
ns_exec cli ip addr add 10.60.0.2/24 dev wg0
ns_exec hub ip link set wg0 up
ns_exec cli ip link set wg0 up
check "ping through the tunnel" quiet ns_exec cli ping -c 2 -W 2 -q 10.60.0.1
# Had the hub answered from 10.50.0.1, the client would have roamed there.
ep=$(ns_exec cli wg show wg0 endpoints | cut -f2)
check "replies come from the address the peer wrote to ($ep)" [ "$ep" = 10.50.0.2:51820 ]

# --- fwmark and listen port: the sockets follow -----------------------------
ns_exec cli wg set wg0 fwmark 0x1234
marks=$(ns_exec cli ss -uanep 2>/dev/null | grep -c 'fwmark:0x1234')
socks=$(ns_exec cli ss -uanep 2>/dev/null | grep -c rampartd)
check "fwmark on every UDP socket ($marks of $socks)" [ "$marks" -ge 2 ] && [ "$marks" -eq "$socks" ]
ns_exec cli wg set wg0 listen-port 40001
check "listen-port change: new port bound" [ "$(ns_exec cli wg show wg0 listen-port)" = 40001 ]
check "listen-port change: old port released" \
	ns_exec cli python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 40000))'
check "listen-port change: tunnel still carries traffic" quiet ns_exec cli ping -c 2 -W 2 -q 10.60.0.1
ep=$(ns_exec hub wg show wg0 endpoints | cut -f2)
check "hub followed the client to its new port ($ep)" [ "$ep" = 10.50.0.9:40001 ]
check "fwmark kept on the new sockets" [ "$(ns_exec cli ss -uanep 2>/dev/null | grep -c 'fwmark:0x1234')" -eq "$socks" ]
ns_exec cli wg set wg0 fwmark 0
check "fwmark 0 removes the mark" [ "$(ns_exec cli ss -uanep 2>/dev/null | grep -c 'fwmark:')" -eq 0 ]

# --- the control socket under a hostile client --------------------------------
before=$(ns_exec hub wg showconf wg0)
# A client that sends half a set=1 (removing the peer) and then stalls,
# while the data path and other clients carry on.
ns_exec hub python3 - <<'PY' &
import socket, time
s = socket.socket(socket.AF_UNIX)
s.connect('/run/wireguard/wg0.sock')
s.sendall(b'set=1\nreplace_peers=true\nlisten_port=1\n')
time.sleep(3)
s.close()
PY
stall=$!
sleep 0.3
check "a stalled client does not stall wg show" quiet ns_exec hub timeout 3 wg show wg0 peers
check "a stalled client does not stall the data path" quiet ns_exec cli ping -c 3 -i 0.2 -W 2 -q 10.60.0.1
wait "$stall"
sleep 0.2
check "an operation cut off by its client's close is never applied" \
	[ "$(ns_exec hub wg showconf wg0)" = "$before" ]

# Twenty idle connections: the oldest make room, wg(8) still gets in.
ns_exec hub python3 - <<'PY' &
import socket, time
socks = []
for i in range(20):
    s = socket.socket(socket.AF_UNIX)
    s.connect('/run/wireguard/wg0.sock')
    socks.append(s)
    time.sleep(0.01)
time.sleep(3)
PY
idle=$!
sleep 1
check "wg show works with twenty idle clients connected" quiet ns_exec hub timeout 3 wg show wg0 listen-port
kill "$idle" 2>/dev/null; wait "$idle" 2>/dev/null

# A client that pipelines gets and never reads: its replies wait, nothing else does.
ns_exec hub python3 - <<'PY' &
import socket, time
s = socket.socket(socket.AF_UNIX)
s.connect('/run/wireguard/wg0.sock')
s.setblocking(False)
try:
    for i in range(20000):
        s.send(b'get=1\n\n')
except BlockingIOError:
    pass
time.sleep(3)
PY
hog=$!
sleep 0.5
check "a client that never reads its replies does not stall wg show" quiet ns_exec hub timeout 3 wg show wg0 peers
check "nor the data path" quiet ns_exec cli ping -c 3 -i 0.2 -W 2 -q 10.60.0.1
kill "$hog" 2>/dev/null; wait "$hog" 2>/dev/null

# Framing errors close the connection after the errno; bad lines do not.
out=$(uapi hub "b'set=1\\nlisten_port=' + b'1'*5000 + b'\\n\\n'" 2>&1 | head -n1)
check "an overlong line: errno=-90 (EMSGSIZE) ($out)" [ "$out" = "b'errno=-90\\n\\n'" ]
out=$(uapi hub "b'set=1\\nbogus=1\\n\\n'" "b'get=1\\n\\n'" 2>&1 | tr '\n' ' ')
case $out in
"b'errno=-22\\n\\n' b'private_key="*) ok "a bad line fails its operation and the connection goes on" ;;
*) not_ok "a bad line fails its operation and the connection goes on" "$out" ;;
esac
out=$(uapi hub "b'set=1\\nlisten_port=51820\\npublic_key=' + b'0'*63 + b'\\n\\n'" "b'get=1\\n\\n'" 2>&1 | head -n1)
check "a bad public key: errno=-22 ($out)" [ "$out" = "b'errno=-22\\n\\n'" ]
check "the daemon is alive after all of it" kill -0 "$hub_pid"

# --- exit on socket removal, removing nothing else ----------------------------
ns_exec hub rm /run/wireguard/wg0.sock
for i in $(seq 1 100); do kill -0 "$hub_pid" 2>/dev/null || break; sleep 0.05; done
check "removing the socket stops the daemon" fails kill -0 "$hub_pid"
check "and the interface goes with it" fails ns_exec hub ip link show wg0
finish
