#!/bin/bash
# What the hub forwards: per-peer Forward rules, peer isolation, Egress
# with masquerade, and the MSS clamp.
#
#   ns a (road warrior A)            ns inet (the internet, a router)
#   wg0 10.66.0.2/24, MTU 1500       inet-a 100.64.1.1/24   lo 198.51.100.80/32
#   a-inet 100.64.1.2/24 ---veth---  inet-b 100.64.2.1/24   canary tcp 80
#   ns b (road warrior B)            inet-hub 203.0.113.2/24
#   wg0 10.66.0.3/24                 route 10.66.0.0/24 via 203.0.113.1
#   b-inet 100.64.2.2/24 ---veth---+       |  veth
#                                    ns hub (rampart up):
#   canary tcp 9000 in a and b       hub-inet 203.0.113.1/24 (WAN: default route)
#                                    wg0 10.66.0.1/24, MTU 1380, :51866
#                                    hub-lan 172.16.66.1/24
#                                          |  veth
#                                    ns lan: lan-hub 172.16.66.2/24, default via .1
#                                    canary tcp 8001 8002
#
# A and B are $PEER_IMPL, configured with `wg`; both send everything
# (0.0.0.0/0) to the hub, so what reaches past it is the hub's decision.
# The hub's peers: A with Forward = 172.16.66.2/32 tcp/8001 and Egress =
# on; B with nothing.  A's tunnel MTU is 1500, so its SYNs announce MSS
# 1460; the hub's is 1380, so the clamp must make that 1340.
#
# Each round brings the hub up with `rampart up`, reconnects A and B, and
# probes (TCP connects with portscan.py; the canaries log the source
# address they saw; the SYN is captured on lan-hub with sniff.py):
#
#                        R0 Policy=off  R1 policy  R2 A->B fwd,    R3 Isolation
#                        (control)                 MSSClamp=off    = off
#   A -> lan:8001        open           open       open            open
#   A -> lan:8002        open           filtered   filtered        filtered
#   hub -> lan:8002      open           open       -               -
#   A -> B:9000          open           filtered   open            open
#   B -> A:9000          open           filtered   filtered        open
#   A -> inet:80 (src)   10.66.0.2      203.0.113.1 (masquerade)   ...
#   B -> inet:80         open           filtered   filtered        filtered
#   MSS of A's SYN       1460           1340       1460            1340
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tools/policy.sh"

ns_require
impl_require "$RAMPARTD" "$PEER_IMPL" nft "$PYTHON"
ns_watchdog 90
say "rampart: $RAMPART, daemon: $RAMPARTD, peers: $PEER_IMPL"

HN=$(ns_name hub)
IN=$(ns_name inet)
if keys hub a b && ns_add a && ns_add b && ns_add inet && ns_add hub && ns_add lan &&
   ns_link a inet 100.64.1.2/24 100.64.1.1/24 &&
   ns_link b inet 100.64.2.2/24 100.64.2.1/24 &&
   ns_link inet hub 203.0.113.2/24 203.0.113.1/24 &&
   ns_link hub lan 172.16.66.1/24 172.16.66.2/24 &&
   ip -n "$(ns_name a)" route add default via 100.64.1.1 &&
   ip -n "$(ns_name b)" route add default via 100.64.2.1 &&
   ip -n "$HN" route add default via 203.0.113.2 &&
   ip -n "$(ns_name lan)" route add default via 172.16.66.1 &&
   ip -n "$IN" addr add 198.51.100.80/32 dev lo &&
   ip -n "$IN" route add 10.66.0.0/24 via 203.0.113.1 &&
   ip netns exec "$IN" sysctl -q -w net.ipv4.ip_forward=1 &&
   ip netns exec "$HN" sysctl -q -w net.ipv4.ip_forward=1 &&
   wg_peer a "$PEER_IMPL" wg0 51801 a && wg_if_up a wg0 10.66.0.2/24 &&
   ip -n "$(ns_name a)" link set wg0 mtu 1500 &&
   wg_peer b "$PEER_IMPL" wg0 51802 b && wg_if_up b wg0 10.66.0.3/24 &&
   ip -n "$(ns_name a)" route add 172.16.66.0/24 dev wg0 &&
   ip -n "$(ns_name a)" route add 198.51.100.80/32 dev wg0 &&
   ip -n "$(ns_name b)" route add 172.16.66.0/24 dev wg0 &&
   ip -n "$(ns_name b)" route add 198.51.100.80/32 dev wg0 &&
   canary lan lan --tcp 8001,8002 && canary a ca --tcp 9000 && canary b cb --tcp 9000 &&
   canary inet inet --tcp 80 --bind 198.51.100.80; then
	ok "topology: a, b, inet, hub, lan; $(impl_name "$PEER_IMPL") in a and b; canaries"
else
	bail "setup failed: topology"
fi

# hub_conf INTERFACE_EXTRA POLICY_LINES A_FORWARD_EXTRA: the hub's file.
hub_conf() {
	mkdir -p "$NS_TMP/hub"
	{
		printf '[Interface]\nPrivateKey = %s\nListenPort = 51866\n' "$(priv hub)"
		printf 'Address = 10.66.0.1/24\nMTU = 1380\n%s\n' "$1"
		[ -n "$2" ] && printf '[Policy]\n%s\n\n' "$2"
		printf '[Peer]\n# A\nPublicKey = %s\nAllowedIPs = 10.66.0.2/32\n' "$(pub a)"
		printf 'Forward = 172.16.66.2/32 tcp/8001%s\nEgress = on\n\n' "$3"
		printf '[Peer]\n# B\nPublicKey = %s\nAllowedIPs = 10.66.0.3/32\n' "$(pub b)"
	} > "$NS_TMP/hub/wg0.conf"
}

# reconnect NAME: a fresh session with the (new) hub: the peer is
# removed and added again; turning the keepalive on sends one at once.
reconnect() {
	run_in "$1" wg set wg0 peer "$(pub hub)" remove &&
	run_in "$1" wg set wg0 peer "$(pub hub)" allowed-ips 0.0.0.0/0 \
		endpoint 203.0.113.1:51866 persistent-keepalive 25 &&
	wait_handshake hub wg0 "$(pub "$1")" 10
}

# hub_up LABEL: rampart up and both peers connected.
hub_up() {
	if rp hub "up-$1" up "$NS_TMP/hub/wg0.conf" && reconnect a && reconnect b; then
		ok "$1: hub up, A and B have a session"
	else
		not_ok "$1: hub up, A and B have a session"; show_log "up-$1"
		return 1
	fi
}
hub_down() {
	rp hub "down-$1" down "$NS_TMP/hub/wg0.conf" || { not_ok "$1: rampart down"; show_log "down-$1"; }
}

# probe LABEL FROM TO PORT open|filtered [CANARY WANT_SRC]: one TCP
# connect; with CANARY, the contacts it logged meanwhile must be exactly
# "tcp PORT WANT_SRC" (open) or none (filtered).
probe() {
	local l=$1 from=$2 to=$3 port=$4 want=$5 can=${6:-} src=${7:-} n0=0 got exp
	[ -n "$can" ] && n0=$(contacts "$can" | wc -l)
	scan "$from" probe --ports "$port" "$to"
	got=$(scan_sum probe)
	if [ "$want" = open ]; then
		exp="open=1 closed=0 unreach=0 local=0 filtered=0"
	else
		exp="open=0 closed=0 unreach=0 local=0 filtered=1"
	fi
	if [ -n "$can" ]; then
		[ "$want" = open ] && wait_contacts "$can" $((n0 + 1))
		got="$got; seen: $(contacts "$can" | tail -n +$((n0 + 1)) | tr '\n' ' ')"
		if [ "$want" = open ]; then exp="$exp; seen: tcp $port $src "; else exp="$exp; seen: "; fi
	fi
	expect "$l: $from -> $to:$port $want${src:+ (source $src)}" "$got" "$exp"
}

# mss_of_syn LABEL WANT: A connects to lan:8001 while lan-hub is captured;
# the MSS option of the SYN that arrives.
mss_of_syn() {
	local mss
	sniff_start lan syn lan-hub --in-only || { not_ok "$1: sniffer"; return; }
	scan a mss --ports 8001 172.16.66.2
	sniff_stop syn >/dev/null
	mss=$(sniffed syn | awk '$3 == "10.66.0.2" && $7 == 8001 && $8 == "S" { sub(/^mss=/, "", $9); print $9 }')
	expect "$1: the MSS of A's SYN as lan sees it" "$mss" "$2"
}

tun_mtu() { ip -n "$HN" -o link show wg0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }

# ---- R0: Policy = off, the control ------------------------------------------------
hub_conf "Policy = off" "" ""
if hub_up R0; then
	check "R0: no table inet rampart-wg0" eval '! fw_exists hub wg0'
	probe R0 a 172.16.66.2 8001 open lan 10.66.0.2
	probe R0 a 172.16.66.2 8002 open lan 10.66.0.2
	probe R0 a 10.66.0.3 9000 open cb 10.66.0.2
	probe R0 b 10.66.0.2 9000 open ca 10.66.0.3
	probe R0 a 198.51.100.80 80 open inet 10.66.0.2
	probe R0 b 198.51.100.80 80 open inet 10.66.0.3
	mss_of_syn R0 1460
	hub_down R0
fi

# ---- R1: the policy ------------------------------------------------------------------
hub_conf "" "" ""
if hub_up R1; then
	check "R1: table inet rampart-wg0" fw_exists hub wg0
	expect "R1: the hub's tunnel MTU" "$(tun_mtu)" 1380
	probe R1 a 172.16.66.2 8001 open lan 10.66.0.2
	probe R1 a 172.16.66.2 8002 filtered lan
	probe R1 hub 172.16.66.2 8002 open lan 172.16.66.1
	probe R1 a 10.66.0.3 9000 filtered cb
	probe R1 b 10.66.0.2 9000 filtered ca
	probe R1 a 198.51.100.80 80 open inet 203.0.113.1
	probe R1 b 198.51.100.80 80 filtered inet
	mss_of_syn R1 $(( $(tun_mtu) - 40 ))
	hub_down R1
fi

# ---- R2: A may reach B; no clamp -------------------------------------------------------
hub_conf "" "MSSClamp = off" ", 10.66.0.3/32"
if hub_up R2; then
	probe R2 a 172.16.66.2 8002 filtered lan
	probe R2 a 10.66.0.3 9000 open cb 10.66.0.2
	probe R2 b 10.66.0.2 9000 filtered ca
	probe R2 a 198.51.100.80 80 open inet 203.0.113.1
	probe R2 b 198.51.100.80 80 filtered inet
	mss_of_syn R2 1460
	hub_down R2
fi

# ---- R3: Isolation = off -----------------------------------------------------------------
hub_conf "" "Isolation = off" ""
if hub_up R3; then
	probe R3 a 172.16.66.2 8002 filtered lan
	probe R3 a 10.66.0.3 9000 open cb 10.66.0.2
	probe R3 b 10.66.0.2 9000 open ca 10.66.0.3
	probe R3 b 198.51.100.80 80 filtered inet
	mss_of_syn R3 $(( $(tun_mtu) - 40 ))
	hub_down R3
fi
check "hub: no table left after down" eval '! fw_exists hub wg0'

check "no sanitizer report in any rampart output" ns_sanitizer_clean
ns_cleanup
check "no namespace left" no_netns_left
finish
