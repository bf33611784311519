#!/bin/bash
# The hub's policy seen from outside: a full port scan finds nothing,
# SSH answers only the management network, and WireGuard still works.
#
#   ns scan (the internet)                ns hub (rampart up, role hub)
#   wg0 10.88.0.2/32 ($PEER_IMPL) ---+    wg0 10.88.0.1/24 :51888
#   wg1 10.88.0.3/32 ($PEER_IMPL) ---+    canary.py: tcp 22 80 443 8080,
#   scan-hub 192.168.88.2/24 ----veth---- hub-scan 192.168.88.1/24  udp 53 123 5000
#            fd88::2/64                            fd88::1/64  (WAN: default route)
#   route 192.168.89.0/24 via .1         hub-mgmt 192.168.89.1/24
#                                                 |  veth
#   ns mgmt: mgmt-hub 192.168.89.2/24 ------------+   [Policy] SSHFrom = 192.168.89.2/32
#
# The hub's ICMP error rate limits are lifted, so that a UDP scan can tell
# closed ports (port unreachable) from filtered ones over the whole range.
# Port 22 is a canary standing in for sshd.
#
# 1. Control, before `rampart up`: from scan, TCP 1-65535 over IPv4 and
#    IPv6 finds the four canaries open and every other port closed; UDP
#    1-65535 over IPv4 and IPv6 finds the three UDP canaries open and the
#    rest closed.  mgmt and scan both reach 192.168.89.1:22.
# 2. `rampart up` with the policy: the table inet rampart-wg0 exists.  Two
#    real peers in scan complete handshakes, one over IPv4, one over
#    IPv6 (the hub's latest-handshakes for both).
# 3. From scan: TCP and UDP 1-65535, IPv4 and IPv6: every port filtered
#    (none open, closed or unreachable), and the canaries saw no contact.
# 4. SSH: from mgmt, 22 open and 80 443 8080 filtered; from scan to the
#    same address, 22 filtered.
# 5. `rampart down`: the table is gone and the canaries answer scan again.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tools/policy.sh"

ns_require
impl_require "$RAMPARTD" "$PEER_IMPL" nft "$PYTHON"
ns_watchdog 90
say "rampart: $RAMPART, daemon: $RAMPARTD, peers: $PEER_IMPL"

HN=$(ns_name hub)
if keys hub s4 s6 && ns_add scan && ns_add hub && ns_add mgmt &&
   ns_link scan hub 192.168.88.2/24 192.168.88.1/24 fd88::2/64 fd88::1/64 &&
   ns_link mgmt hub 192.168.89.2/24 192.168.89.1/24 &&
   ip -n "$HN" route add default via 192.168.88.2 &&
   ip -n "$HN" -6 route add default via fd88::2 &&
   ip -n "$(ns_name scan)" route add 192.168.89.0/24 via 192.168.88.1 &&
   ip netns exec "$HN" sysctl -q -w net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0 \
	net.ipv4.icmp_msgs_per_sec=10000000 net.ipv4.icmp_msgs_burst=10000000 &&
   canary hub canary --tcp 22,80,443,8080 --udp 53,123,5000; then
	echo "# setup: topology: scan, hub, mgmt; canaries on the hub"
else
	bail "setup failed: topology"
fi

mkdir -p "$NS_TMP/hub" && cat > "$NS_TMP/hub/wg0.conf" <<EOF
[Interface]
PrivateKey = $(priv hub)
ListenPort = 51888
Address = 10.88.0.1/24, fd88:88::1/64

[Policy]
SSHFrom = 192.168.89.2/32

[Peer]
PublicKey = $(pub s4)
AllowedIPs = 10.88.0.2/32

[Peer]
PublicKey = $(pub s6)
AllowedIPs = 10.88.0.3/32
EOF

ALL_TCP_OPEN="open=4 closed=65531 unreach=0 local=0 filtered=0"
ALL_UDP_OPEN="open=3 closed=65532 unreach=0 local=0 filtered=0"
ALL_FILTERED="open=0 closed=0 unreach=0 local=0 filtered=65535"

# ---- 1. control: no policy yet ------------------------------------------------
scan scan c-tcp4 --batch 8192 192.168.88.1
expect_scan "control: TCP 1-65535 over IPv4: canaries open, the rest closed" c-tcp4 \
	"$ALL_TCP_OPEN" 22,80,443,8080
scan scan c-tcp6 --batch 8192 fd88::1
expect_scan "control: TCP 1-65535 over IPv6: canaries open, the rest closed" c-tcp6 \
	"$ALL_TCP_OPEN" 22,80,443,8080
scan scan c-udp4 --udp --batch 8192 192.168.88.1
expect_scan "control: UDP 1-65535 over IPv4: canaries open, the rest closed" c-udp4 \
	"$ALL_UDP_OPEN" 53,123,5000
scan scan c-udp6 --udp --batch 8192 fd88::1
expect_scan "control: UDP 1-65535 over IPv6: canaries open, the rest closed" c-udp6 \
	"$ALL_UDP_OPEN" 53,123,5000
scan mgmt c-mgmt --ports 22,80,443,8080 192.168.89.1
expect_scan "control: mgmt reaches 22 80 443 8080" c-mgmt \
	"open=4 closed=0 unreach=0 local=0 filtered=0" 22,80,443,8080
scan scan c-ssh --ports 22 192.168.89.1
expect_scan "control: scan reaches 192.168.89.1:22" c-ssh \
	"open=1 closed=0 unreach=0 local=0 filtered=0" 22

# ---- 2. rampart up with the policy; WireGuard works ------------------------------
if rp hub up up "$NS_TMP/hub/wg0.conf"; then
	echo "# setup: hub: rampart up"
else
	show_log up; bail "setup failed: hub: rampart up"
fi
if fw_exists hub wg0; then
	ok "hub: table inet rampart-wg0 is there"
else
	not_ok "hub: table inet rampart-wg0 is there" "$(ip netns exec "$HN" nft list tables)"
fi
if wg_peer scan "$PEER_IMPL" wg0 51801 s4 &&
   ns_wg scan set wg0 peer "$(pub hub)" allowed-ips 10.88.0.1/32 endpoint 192.168.88.1:51888 &&
   wg_if_up scan wg0 10.88.0.2/32 &&
   wg_peer scan "$PEER_IMPL" wg1 51802 s6 &&
   ns_wg scan set wg1 peer "$(pub hub)" allowed-ips 10.88.0.1/32 endpoint '[fd88::1]:51888' &&
   wg_if_up scan wg1 10.88.0.3/32; then
	ok "scan: two $(impl_name "$PEER_IMPL") peers, endpoints 192.168.88.1 and fd88::1"
else
	not_ok "scan: peers"
fi
# Turning a persistent keepalive on sends one at once: a handshake.
run_in scan wg set wg0 peer "$(pub hub)" persistent-keepalive 25
run_in scan wg set wg1 peer "$(pub hub)" persistent-keepalive 25
check "WireGuard over IPv4: the hub completes a handshake with scan's wg0" \
	wait_handshake hub wg0 "$(pub s4)" 10
check "WireGuard over IPv6: the hub completes a handshake with scan's wg1" \
	wait_handshake hub wg0 "$(pub s6)" 10
expect "the hub sees wg0's endpoint" "$(wg_endpoint hub wg0 "$(pub s4)")" 192.168.88.2:51801
expect "the hub sees wg1's endpoint" "$(wg_endpoint hub wg0 "$(pub s6)")" '[fd88::2]:51802'

# ---- 3. the scan finds nothing ----------------------------------------------------
# The control's contacts: 4 + 4 TCP, 3 + 3 UDP, 4 from mgmt, 1 from scan.
wait_contacts canary 19
c0=$(contacts canary | wc -l)
scan scan tcp4 --batch 8192 192.168.88.1
expect_scan "policy: TCP 1-65535 over IPv4: every port filtered" tcp4 "$ALL_FILTERED"
scan scan udp4 --udp --batch 8192 192.168.88.1
expect_scan "policy: UDP 1-65535 over IPv4: every port filtered" udp4 "$ALL_FILTERED"
scan scan tcp6 --batch 8192 fd88::1
expect_scan "policy: TCP 1-65535 over IPv6: every port filtered" tcp6 "$ALL_FILTERED"
scan scan udp6 --udp --batch 8192 fd88::1
expect_scan "policy: UDP 1-65535 over IPv6: every port filtered" udp6 "$ALL_FILTERED"
expect "policy: the canaries saw no contact from scan" "$(contacts canary | wc -l)" "$c0"

# ---- 4. SSH from management only --------------------------------------------------
scan mgmt mgmt --ports 22,80,443,8080 192.168.89.1
expect_scan "policy: from mgmt, 22 open, 80 443 8080 filtered" mgmt \
	"open=1 closed=0 unreach=0 local=0 filtered=3" 22
scan scan ssh --ports 22 192.168.89.1
expect_scan "policy: from scan, 192.168.89.1:22 filtered" ssh \
	"open=0 closed=0 unreach=0 local=0 filtered=1"
wait_contacts canary $((c0 + 1))
expect "policy: the canaries' contacts since up: mgmt's one SSH connection" \
	"$(contacts canary | tail -n +$((c0 + 1)))" "tcp 22 192.168.89.2"

# ---- 5. rampart down ------------------------------------------------------------------
if rp hub down down "$NS_TMP/hub/wg0.conf"; then
	ok "hub: rampart down"
else
	not_ok "hub: rampart down"; show_log down
fi
check "hub: the table is gone" eval '! fw_exists hub wg0'
scan scan after --ports 22,80,443,8080 192.168.88.1
expect_scan "after down: scan reaches the canaries again" after \
	"open=4 closed=0 unreach=0 local=0 filtered=0" 22,80,443,8080

bg_stop canary
check "no sanitizer report in any rampart output" ns_sanitizer_clean
ns_cleanup
check "no namespace left" no_netns_left
finish
