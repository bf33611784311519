#!/bin/bash
# Malformed datagrams: the DUT answers none, survives all, keeps its
# session, and (rampartd) counts every one it drops.
#
#   ns b ($PEER_IMPL)                       ns a (DUT, :51891)
#   wg0 10.70.0.2   <====== tunnel ======>  wg0 10.70.0.1
#   b-a 192.168.110.2  ------ veth ------   a-b 192.168.110.1
#                                           a-c 192.168.111.1, fd11::1
#   ns c (sender): c-a 192.168.111.2, fd11::2 ---veth---+
#
# From c, over IPv4 and IPv6, to A's port: every length from 0 to 200
# bytes behind each of nine 4-byte headers (types 0, 1, 2, 3, 4, 5, 255,
# type 1 with a reserved byte set, type 4 with a reserved byte set; the
# rest random, so types 1-3 come at their exact sizes with a bad mac1 and
# type 4 with an unknown receiver index), the same headers at 1000, 1500,
# 9000 and 65000 bytes, and five initiations with a valid mac1 (computed
# from A's public key) but garbage inside.  Then:
# - no reply ever reaches the sending sockets (1.5 s after the last one);
# - the daemon is alive, wg show works, and the existing session still
#   pings with no new handshake;
# - rampartd only: the drop counters that rampartd adds to its get=1
#   replies (device-level lines rampart_drop_<reason>=<count> before the
#   first public_key; wg(8) ignores them) rise by exactly the number of
#   datagrams sent, less any the kernel dropped for a full receive
#   buffer (UDP RcvbufErrors in a).  Skipped for other implementations.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
ns_watchdog 90

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"
wg_key a >/dev/null && wg_key b >/dev/null || { not_ok "keys"; finish; exit 1; }
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")
if impl_is_rampartd "$DUT"; then RD=1; else RD=0; fi

# quiet_tun NAME: no IPv6 on wg0, so the kernel sends nothing into the
# tunnel by itself (router solicitations, MLD reports): the DUT's drop
# counters then move only for what c sends.
quiet_tun() { ip netns exec "$(ns_name "$1")" sysctl -q -w net.ipv6.conf.wg0.disable_ipv6=1; }

if ns_add a && ns_add b && ns_add c &&
   ns_link a b 192.168.110.1/24 192.168.110.2/24 &&
   ns_link a c 192.168.111.1/24 192.168.111.2/24 fd11::1/64 fd11::2/64 &&
   ns_daemon a "$DUT" wg0 && ns_daemon b "$PEER_IMPL" wg0 &&
   ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51891 \
	peer "$PUB_B" allowed-ips 10.70.0.2/32 &&
   ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51892 \
	peer "$PUB_A" allowed-ips 10.70.0.1/32 endpoint 192.168.110.1:51891 &&
   quiet_tun a && quiet_tun b &&
   wg_if_up a wg0 10.70.0.1/24 && wg_if_up b wg0 10.70.0.2/24; then
	ok "topology: DUT in a, $(impl_name "$PEER_IMPL") in b, sender c"
else
	bail "setup failed: topology"
fi
check "session: ping b -> a, 0% loss" ns_ping b -c 3 -i 0.2 -w 8 10.70.0.1
HS=$(wg_handshake a wg0 "$PUB_B")
DPID=${NS_DPID[a/wg0]}

# drops: "reason count" lines from a get=1 reply, device section only.
drops() {
	printf 'get=1\n\n' | uapi a wg0 |
		awk -F '=' '/^public_key=/ { exit } /^rampart_drop_/ { sub(/^rampart_drop_/, "", $1); print $1, $2 }'
}
# udp_stat: UDP RcvbufErrors (IPv4 + IPv6) in a.
rcvbuf_errors() {
	ns_run a cat /proc/net/snmp /proc/net/snmp6 | awk '
		$1 == "Udp:" && $2 !~ /^[0-9]+$/ { for (i = 2; i <= NF; i++) col[$i] = i; next }
		$1 == "Udp:" { n += $col["RcvbufErrors"] }
		$1 == "Udp6RcvbufErrors" { n += $2 }
		END { print n + 0 }'
}
# (A counter that is still 0 may be left out of the reply.)
[ "$RD" = 1 ] && drops > "$NS_TMP/drops.before"
RB0=$(rcvbuf_errors)

# Settle the clock past the handshake's second (see wgtool.sh), so a new
# handshake would show in latest-handshakes.
later() { [ "$(date +%s)" -ge $((HS + 2)) ]; }
wait_for 3 later

NS_PY_FLOOD='
import hashlib, os, select, socket, struct, sys, time
pub = bytes.fromhex(sys.argv[1])
port = int(sys.argv[2])
heads = [bytes.fromhex(h) for h in (
    "00000000", "01000000", "02000000", "03000000", "04000000", "05000000",
    "ff000000", "01000100", "04000001")]
def blake2s(data, key=b"", size=32):
    return hashlib.blake2s(data, key=key, digest_size=size).digest()
mac1_key = blake2s(b"mac1----" + pub)
socks = []
for fam, dst, src in ((socket.AF_INET, "192.168.111.1", "192.168.111.2"),
                      (socket.AF_INET6, "fd11::1", "fd11::2")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((src, 0))
    socks.append((s, dst))
sent = 0
def send(m, pause):
    global sent
    for s, dst in socks:
        s.sendto(m, (dst, port))
        sent += 1
        time.sleep(pause)
for h in heads:
    for n in range(0, 201):
        send((h + os.urandom(max(0, n - 4)))[:n], 0.0003)
for h in heads:
    for n in (1000, 1500, 9000, 65000):
        send(h + os.urandom(n - 4), 0.02)
# valid mac1, garbage ephemeral / static / timestamp, zero mac2
for i in range(5):
    body = b"\x01\0\0\0" + os.urandom(4 + 32 + 48 + 28)
    send(body + blake2s(body, mac1_key, 16) + bytes(16), 0.1)
replies, deadline = 0, time.time() + 1.5
while time.time() < deadline:
    r, _, _ = select.select([s for s, _ in socks], [], [], max(0, deadline - time.time()))
    for s in r:
        s.recv(65535)
        replies += 1
print(sent, replies)
'
read -r SENT REPLIES <<< "$(NS_CMD_TIMEOUT=60 ns_run c "$PYTHON" -c "$NS_PY_FLOOD" "$(key_hex "$PUB_A")" 51891)"
check "sent ${SENT:-0} malformed datagrams over IPv4 and IPv6" [ "${SENT:-0}" -gt 3000 ]
expect "no reply to any of them" "${REPLIES:-none}" 0
check "the daemon is alive" pid_alive "$DPID"
if [ "$RD" = 1 ]; then
	drops > "$NS_TMP/drops.after"
	RB1=$(rcvbuf_errors)
	if [ -s "$NS_TMP/drops.after" ]; then
		ok "rampartd reports rampart_drop_* lines in get=1, before the first peer"
	else
		not_ok "rampartd reports rampart_drop_* lines in get=1, before the first peer" \
			"$(printf 'get=1\n\n' | uapi a wg0 | grep -v key)"
	fi
fi
check "wg show works" eval "ns_wg a show wg0 dump >/dev/null"
check "the existing session still pings" ns_ping b -c 3 -i 0.2 -w 8 10.70.0.1
expect "... without a new handshake" "$(wg_handshake a wg0 "$PUB_B")" "$HS"

if [ "$RD" = 1 ]; then
	delta=$(awk 'FILENAME == ARGV[1] { b[$1] = $2; next } { d = $2 - b[$1]; t += d; if (d) s = s " " $1 "+" d }
		END { print t + 0, s }' "$NS_TMP/drops.before" "$NS_TMP/drops.after")
	total=${delta%% *}
	want=$(( ${SENT:-0} - (RB1 - RB0) ))
	expect "rampartd's drop counters rose by exactly the datagrams that reached it ($want):${delta#* }" \
		"$total" "$want"
	if ns_wg a showconf wg0 | grep -q rampart_; then
		not_ok "wg(8) ignores the rampart_drop_* lines"
	else
		ok "wg(8) ignores the rampart_drop_* lines"
	fi
else
	skip "drop counters rose by the datagrams sent" "rampartd-only: $(impl_name "$DUT") has no drop counters"
fi

ns_daemon_stop a wg0; rc=$?
check "DUT exits 0 on SIGTERM" [ "$rc" -eq 0 ]
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
