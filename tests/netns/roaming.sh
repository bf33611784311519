#!/bin/bash
# Roaming: the DUT follows its peer to a new address and port after one
# authenticated packet, and nothing unauthenticated (or replayed) ever
# moves the endpoint.
#
#   ns b ($PEER_IMPL, initiator)          ns a (DUT, responder, :51871)
#   wg0 10.50.0.2   <======== tunnel ========>   wg0 10.50.0.1
#   b-a 192.168.90.2 -> .3, fd90::2  ---veth---  a-b 192.168.90.1, fd90::1
#       port 51872 -> 51873                      a-c 192.168.91.1, fd91::1
#                                                  |  veth
#   ns c (attacker): c-a 192.168.91.2, fd91::2 ----+
#
# 1. B initiates; A learns 192.168.90.2:51872.  A sniffer (AF_PACKET in
#    a) keeps B's initiation and a few of B's data packets.
# 2. From c, to A's port: garbage of types 1-4 at their sizes, a type-4
#    message with the session's real receiver index and a fresh counter
#    but a forged tag, and replays of B's captured initiation and data
#    packets (genuine, so authentic, but old).  The datagrams reach A's
#    socket (control: the namespace's UDP InDatagrams counter rises by at
#    least as many), yet A's endpoint for B stays put and the tunnel works.
# 3. B moves: new address, new listen port.  One ping (one authenticated
#    packet) later A's endpoint is 192.168.90.3:51873.  Then B moves to
#    IPv6: A's endpoint becomes [fd90::2]:51873.
# 4. c replays the old packets again: the endpoint stays.
# 5. Control: a packet of B's held back on the way (nft drop in a) and
#    sent later from c is authentic and new: it does move the endpoint
#    to c, and B's next packet brings it back.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
ns_watchdog 90

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"
wg_key a >/dev/null && wg_key b >/dev/null || { not_ok "keys"; finish; exit 1; }
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")

if ns_add a && ns_add b && ns_add c &&
   ns_link a b 192.168.90.1/24 192.168.90.2/24 fd90::1/64 fd90::2/64 &&
   ns_link a c 192.168.91.1/24 192.168.91.2/24 fd91::1/64 fd91::2/64 &&
   ns_daemon a "$DUT" wg0 && ns_daemon b "$PEER_IMPL" wg0 &&
   ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51871 \
	peer "$PUB_B" allowed-ips 10.50.0.2/32 &&
   ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51872 \
	peer "$PUB_A" allowed-ips 10.50.0.1/32 endpoint 192.168.90.1:51871 &&
   wg_if_up a wg0 10.50.0.1/24 && wg_if_up b wg0 10.50.0.2/24; then
	ok "topology: DUT in a, $(impl_name "$PEER_IMPL") in b, attacker c"
else
	bail "setup failed: topology"
fi

# The sniffer: WireGuard messages to PORT seen on IFNAME, one hex line
# each ("init HEX" / "data HEX"), into OUT; it stops once it has NEED_INIT
# initiations (0 or 1) and NEED_DATA data messages, or after 20 s.
# Arguments: IFNAME PORT OUT READY_FILE NEED_INIT NEED_DATA.
NS_PY_SNIFF='
import socket, struct, sys, time
ifname, port, out, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
need_init, need_data = int(sys.argv[5]), int(sys.argv[6])
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(3))
s.bind((ifname, 0))
s.settimeout(0.2)
open(ready, "w").close()
init, data, deadline = None, [], time.time() + 20
while time.time() < deadline and ((need_init and init is None) or len(data) < need_data):
    try:
        p = s.recv(65535)
    except socket.timeout:
        continue
    v = p[0] >> 4
    if v == 4:
        proto, off = p[9], (p[0] & 15) * 4
    elif v == 6:
        proto, off = p[6], 40
    else:
        continue
    if proto != 17 or struct.unpack("!H", p[off + 2:off + 4])[0] != port:
        continue
    m = p[off + 8:]
    if m[:1] == b"\x01" and len(m) == 148 and init is None:
        init = m
    elif m[:1] == b"\x04" and len(m) > 32:
        data.append(m)
with open(out, "w") as f:
    if init:
        f.write("init " + init.hex() + "\n")
    for m in data:
        f.write("data " + m.hex() + "\n")
'
nsenter -t "${NS_HOLDER[a]}" -m -n -- timeout 25 "$PYTHON" -c "$NS_PY_SNIFF" \
	a-b 51871 "$NS_TMP/captured" "$NS_TMP/sniff.ready" 1 4 >"$NS_TMP/sniff.log" 2>&1 </dev/null &
SNIFF=$!
wait_for 5 test -e "$NS_TMP/sniff.ready"

# ---- 1. handshake, A learns B ------------------------------------------
ns_run b ping -n -q -c 1 -W 5 10.50.0.1 >/dev/null 2>&1
if wait_handshake a wg0 "$PUB_B" 5 && endpoint_is a wg0 "$PUB_B" 192.168.90.2:51872; then
	ok "handshake; A learned B at 192.168.90.2:51872"
else
	not_ok "handshake; A learned B" "endpoint '$(wg_endpoint a wg0 "$PUB_B")'"
fi
check "ping b -> a, 0% loss" ns_ping b -c 5 -i 0.1 -w 5 10.50.0.1
wait_for 10 ns_not_alive "$SNIFF"; wait "$SNIFF" 2>/dev/null
if [ "$(grep -c '^init ' "$NS_TMP/captured" 2>/dev/null)" = 1 ] &&
   [ "$(grep -c '^data ' "$NS_TMP/captured")" -ge 4 ]; then
	ok "captured B's initiation and 4 data messages"
else
	not_ok "captured B's initiation and 4 data messages" "$(cat "$NS_TMP/sniff.log")"
fi

# ---- 2. the attacker ------------------------------------------------------
# attack: sends every forged and replayed datagram to A over IPv4 and
# IPv6 and prints how many it sent.
NS_PY_ATTACK='
import os, socket, struct, sys
port, cap = int(sys.argv[1]), sys.argv[2]
msgs, init, data = [], None, []
for line in open(cap):
    k, h = line.split()
    (data.append if k == "data" else lambda m: None)(bytes.fromhex(h))
    if k == "init":
        init = bytes.fromhex(h)
def typed(t, n):
    return struct.pack("<I", t) + os.urandom(n - 4)
for t, n in ((1, 148), (2, 92), (3, 64), (4, 32), (4, 128)):
    msgs.append(typed(t, n))
if data:
    rx = data[0][4:8]
    ctr = struct.unpack("<Q", data[-1][8:16])[0]
    # the real session index, a counter never used, a forged tag
    for i in range(5):
        msgs.append(b"\x04\0\0\0" + rx + struct.pack("<Q", ctr + 1000 + i) + os.urandom(112))
    msgs += data
if init:
    msgs.append(init)
sent = 0
for fam, dst in ((socket.AF_INET, "192.168.91.1"), (socket.AF_INET6, "fd91::1")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for m in msgs:
        s.sendto(m, (dst, port))
        sent += 1
    s.close()
print(sent)
'
in_datagrams() {
	ns_run a cat /proc/net/snmp /proc/net/snmp6 | awk '
		$1 == "Udp:" && $2 ~ /^[0-9]+$/ { n += $2 }
		$1 == "Udp6InDatagrams" { n += $2 }
		END { print n + 0 }'
}
attack() {
	local before after sent
	before=$(in_datagrams)
	sent=$(ns_run c "$PYTHON" -c "$NS_PY_ATTACK" 51871 "$NS_TMP/captured")
	# Give the daemon a moment to read and drop them all.
	sleep 0.5
	after=$(in_datagrams)
	if [ -n "$sent" ] && [ $((after - before)) -ge "$sent" ]; then
		ok "$1: $sent forged and replayed datagrams reached A's UDP socket"
	else
		not_ok "$1: forged and replayed datagrams reached A's UDP socket" \
			"sent '$sent', InDatagrams $before -> $after"
	fi
}
attack "attack from c"
expect "after the attack A's endpoint for B is unchanged" \
	"$(wg_endpoint a wg0 "$PUB_B")" 192.168.90.2:51872
check "the tunnel still works after the attack" ns_ping b -c 3 -i 0.1 -w 5 10.50.0.1
expect "... and the endpoint is still B's" "$(wg_endpoint a wg0 "$PUB_B")" 192.168.90.2:51872

# ---- 3. B roams ------------------------------------------------------------
nb=$(ns_name b)
ip -n "$nb" addr del 192.168.90.2/24 dev b-a &&
ip -n "$nb" addr add 192.168.90.3/24 dev b-a &&
ns_wg b set wg0 listen-port 51873
check "B moved to 192.168.90.3, listen port 51873" [ $? -eq 0 ]
expect "before B sends, A still has the old endpoint" \
	"$(wg_endpoint a wg0 "$PUB_B")" 192.168.90.2:51872
check "one ping from the new address" ns_ping b -c 1 -W 3 10.50.0.1
expect "after one authenticated packet A's endpoint follows" \
	"$(wg_endpoint a wg0 "$PUB_B")" 192.168.90.3:51873
check "ping a -> b reaches B at its new address" ns_ping a -c 3 -i 0.1 -w 5 10.50.0.2

ns_wg b set wg0 peer "$PUB_A" endpoint '[fd90::1]:51871'
check "B roams to IPv6: one ping" ns_ping b -c 1 -W 3 10.50.0.1
expect "A's endpoint follows to IPv6" "$(wg_endpoint a wg0 "$PUB_B")" '[fd90::2]:51873'
check "ping a -> b over the IPv6 path" ns_ping a -c 3 -i 0.1 -w 5 10.50.0.2

# ---- 4. replays after roaming ----------------------------------------------
attack "second attack from c"
expect "after the second attack the endpoint is unchanged" \
	"$(wg_endpoint a wg0 "$PUB_B")" '[fd90::2]:51873'
check "and the tunnel works" ns_ping b -c 3 -i 0.1 -w 5 10.50.0.1

# ---- 5. control: an authentic new packet from c does move it ---------------
# B sends one data message that never reaches A (nft drops it in a);
# b's sniffer keeps it.  Delivered later from c, it is authentic and
# new, so A takes c's address as B's endpoint: the checks above held
# because of authentication, not because c's datagrams were ignored.
na=$(ns_name a)
rm -f "$NS_TMP/sniff.ready"
nsenter -t "${NS_HOLDER[b]}" -m -n -- timeout 25 "$PYTHON" -c "$NS_PY_SNIFF" \
	b-a 51871 "$NS_TMP/held" "$NS_TMP/sniff.ready" 0 1 >"$NS_TMP/sniff2.log" 2>&1 </dev/null &
SNIFF=$!
wait_for 5 test -e "$NS_TMP/sniff.ready"
ip netns exec "$na" nft -f - <<'EOF'
table inet roamtest {
	chain in {
		type filter hook input priority 0;
		iifname "a-b" udp dport 51871 drop
	}
}
EOF
ns_run b ping -n -q -c 1 -W 1 10.50.0.1 >/dev/null 2>&1
wait_for 10 ns_not_alive "$SNIFF"; wait "$SNIFF" 2>/dev/null
ip netns exec "$na" nft delete table inet roamtest
NS_PY_INJECT='
import socket, sys
m = bytes.fromhex(open(sys.argv[1]).read().split()[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 40000))
s.sendto(m, ("192.168.91.1", 51871))
'
if grep -q '^data ' "$NS_TMP/held" 2>/dev/null &&
   ns_run c "$PYTHON" -c "$NS_PY_INJECT" "$NS_TMP/held" &&
   wait_for 3 endpoint_is a wg0 "$PUB_B" 192.168.91.2:40000; then
	ok "control: B's held-back packet, sent from c, moves the endpoint to c"
else
	not_ok "control: B's held-back packet, sent from c, moves the endpoint to c" \
		"endpoint '$(wg_endpoint a wg0 "$PUB_B")'" "$(cat "$NS_TMP/sniff2.log")"
fi
check "B's next ping brings it back" ns_ping b -c 1 -W 3 10.50.0.1
expect "... to [fd90::2]:51873" "$(wg_endpoint a wg0 "$PUB_B")" '[fd90::2]:51873'

ns_daemon_stop a wg0; rc=$?
check "DUT exits 0 on SIGTERM" [ "$rc" -eq 0 ]
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
