#!/bin/bash
# The host's facts in `rampart metrics`: the firewall's named counters
# and the namespace's conntrack figures, against packets sent on purpose.
#
#   ns out (the internet, IPv4 only)           ns hub (rampart up, role hub)
#   out-hub 192.168.77.2/24  ------veth------  hub-out 192.168.77.1/24
#      |                                       wg0 10.77.0.1/24 :51877
#   out-cli 192.168.78.1/24  ------veth------  cli-out 192.168.78.2/24
#                                              ns cli (rampart up, role client:
#                                              full tunnel, kill switch)
#
# out and cli have IPv6 off, so that no router or listener traffic of
# their own (MLD reports, solicitations) reaches a chain: what the
# counters see is what this script sends.  Every send is a burst of UDP
# datagrams of 100 bytes (IP length 128), one packet each and never
# retransmitted, so the counts are exact; the script waits for a
# counter to reach its mark, then checks it is exactly there.
#
# 1. `rampart up` of a hub with its policy; `rampart metrics wg0` exits
#    0, promtool accepts it, and it has a firewall sample for each
#    counter the table declares (input default_drop, wireguard, ...).
# 2. Negative control: 3 pings (accepted by the ICMP rule) and 4
#    datagrams to the WireGuard port (accepted, rampartd drops them)
#    leave input default_drop where it was; input wireguard counts the 4
#    datagrams and 512 bytes.
# 3. 7 datagrams to a closed port (9999): input default_drop rises by
#    exactly 7 packets and 896 bytes.
# 4. Conntrack: rampart_conntrack_entries is there, at least 1 (the
#    accepted flows of 2) and at most rampart_conntrack_entries_limit,
#    which is the namespace's nf_conntrack_max.
# 5. `rampart metrics` without an interface: the same families, promtool
#    accepts them.
# 6. `rampart down`: no table, no firewall sample; conntrack still there.
# 7. The kill switch, with the client's daemon killed: `rampart metrics
#    wg0` says rampart_up 0 (exit status 1) and still has the table's
#    samples; 5 datagrams from cli to out (refused by the kill switch:
#    sendto fails with EPERM) raise output kill_switch by exactly 5
#    packets and 640 bytes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tools/policy.sh"

ns_require
impl_require "$RAMPARTD" nft "$PYTHON"
need_tool promtool
ns_watchdog 90
say "rampart: $RAMPART, daemon: $RAMPARTD"

HN=$(ns_name hub)
no_ipv6() {
	ip netns exec "$(ns_name "$1")" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}
if keys hub peer cli && ns_add out && ns_add hub && ns_add cli && no_ipv6 out && no_ipv6 cli &&
   ns_link out hub 192.168.77.2/24 192.168.77.1/24 &&
   ns_link out cli 192.168.78.1/24 192.168.78.2/24; then
	echo "# setup: topology: out, hub"
else
	bail "setup failed: topology"
fi

mkdir -p "$NS_TMP/hub" && cat > "$NS_TMP/hub/wg0.conf" <<EOF
[Interface]
PrivateKey = $(priv hub)
ListenPort = 51877
Address = 10.77.0.1/24

[Peer]
PublicKey = $(pub peer)
AllowedIPs = 10.77.0.2/32
EOF
if rp hub up up "$NS_TMP/hub/wg0.conf" && fw_exists hub wg0; then
	echo "# setup: hub: rampart up, table inet rampart-wg0"
else
	show_log up; bail "setup failed: hub: rampart up"
fi

# metrics OUT [IFNAME]: rampart metrics in hub (or $IN) into $NS_TMP/OUT
# (its stderr in OUT.err); the exit status is rampart's.
metrics() { ns_run "${IN:-hub}" "$RAMPART" metrics ${2:+"$2"} >"$NS_TMP/$1" 2>"$NS_TMP/$1.err"; }
# fw OUT FAMILY CHAIN PURPOSE: the value of rampart_firewall_FAMILY_total
# of wg0 for CHAIN and PURPOSE, "" if there is no such sample.
fw() {
	awk -v m="rampart_firewall_$2_total{interface=\"wg0\",chain=\"$3\",purpose=\"$4\"} " \
		'index($0, m) == 1 { print $NF; exit }' "$NS_TMP/$1"
}
# value OUT METRIC: an unlabelled sample's value, "" if none.
value() { awk -v m="$2 " 'index($0, m) == 1 { print $NF; exit }' "$NS_TMP/$1"; }
promtool_ok() {
	local out
	if out=$(promtool check metrics < "$NS_TMP/$2" 2>&1); then ok "$1"; else not_ok "$1" "$out"; fi
}
# udp_burst N PORT [FROM TO]: N datagrams of 100 bytes from one socket
# of FROM (out) to TO's (the hub's) PORT.  A send the local firewall
# refuses (EPERM) still went through its chain: it is not an error.
udp_burst() {
	local from=${3:-out} to=${4:-192.168.77.1}
	say "[$from] $1 UDP datagrams of 100 bytes to $to:$2"
	ns_run "$from" "$PYTHON" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(int(sys.argv[1])):
    try:
        s.sendto(b"x" * 100, (sys.argv[3], int(sys.argv[2])))
    except PermissionError:
        pass
' "$1" "$2" "$to"
}
# fw_at_least CHAIN PURPOSE N: rampart metrics says CHAIN PURPOSE has
# counted at least N packets (for wait_for: the hub may still be
# processing what out sent).
fw_at_least() {
	metrics poll wg0 && [ "$(fw poll packets "$1" "$2")" -ge "$3" ] 2>/dev/null
}

# ---- 1. the table's counters in rampart metrics ------------------------------------
metrics m0 wg0
expect "rampart metrics wg0: exit status 0" "$?" 0
expect "... nothing on stderr" "$(cat "$NS_TMP/m0.err")" ""
expect "... rampart_up 1" "$(awk '/^rampart_up\{interface="wg0"\} /{ print $NF }' "$NS_TMP/m0")" 1
promtool_ok "... promtool check metrics accepts it" m0
got=$(sed -n 's/^rampart_firewall_packets_total{interface="wg0",chain="\([a-z]*\)",purpose="\([a-z_]*\)"} [0-9]*$/\1:\2/p' \
	"$NS_TMP/m0" | tr '\n' ' ')
expect "... a packets sample for each counter of the hub's table" "$got" \
	"prerouting:anti_spoof input:invalid input:handshake_flood input:wireguard input:ssh_flood input:default_drop forward:invalid forward:default_drop "
expect "... and a bytes sample for each" "$(grep -c '^rampart_firewall_bytes_total{interface="wg0",' "$NS_TMP/m0")" 8
# The table itself says the same (nft's own listing of the counter).
nft_drop=$(ip netns exec "$HN" nft list counter inet rampart-wg0 input_default_drop |
	sed -n 's/^[[:space:]]*packets \([0-9]*\) bytes \([0-9]*\)$/\1 \2/p')
expect "... input default_drop equals nft list counter's" \
	"$(fw m0 packets input default_drop) $(fw m0 bytes input default_drop)" "$nft_drop"

# ---- 2. negative control: accepted packets do not move the drop counter -------------
drop0=$(fw m0 packets input default_drop)
wg0=$(fw m0 packets input wireguard)
wgb0=$(fw m0 bytes input wireguard)
if ns_ping out -c 3 -i 0.2 -w 5 192.168.77.1; then
	ok "control: out pings the hub (3 echo requests accepted)"
else
	not_ok "control: out pings the hub (3 echo requests accepted)" "$(cat "$NS_TMP/ping.out")"
fi
udp_burst 4 51877
check "control: input wireguard counts the 4 datagrams to the WireGuard port" \
	wait_for 5 fw_at_least input wireguard $((wg0 + 4))
metrics m1 wg0
expect "control: ... exactly 4 packets, 512 bytes" \
	"$(($(fw m1 packets input wireguard) - wg0)) $(($(fw m1 bytes input wireguard) - wgb0))" "4 512"
expect "control: input default_drop did not move" "$(fw m1 packets input default_drop)" "$drop0"

# ---- 3. the default deny counts exactly what it dropped ---------------------------
udp_burst 7 9999
check "input default_drop reaches +7 packets" wait_for 5 fw_at_least input default_drop $((drop0 + 7))
metrics m2 wg0
expect "... exactly 7 packets and 896 bytes more" \
	"$(($(fw m2 packets input default_drop) - drop0)) $(($(fw m2 bytes input default_drop) - $(fw m1 bytes input default_drop)))" \
	"7 896"
expect "... the accepted counter did not move" "$(fw m2 packets input wireguard)" "$((wg0 + 4))"
promtool_ok "... promtool accepts the text" m2

# ---- 4. conntrack ------------------------------------------------------------------
entries=$(value m2 rampart_conntrack_entries)
limit=$(value m2 rampart_conntrack_entries_limit)
say "conntrack: $entries entries of $limit"
check "conntrack: entries are there, at least 1 (the accepted flows)" [ "${entries:-0}" -ge 1 ]
check "conntrack: entries <= limit" [ -n "$limit" ] && [ "${entries:-0}" -le "$limit" ]
expect "conntrack: the limit is the namespace's nf_conntrack_max" \
	"$limit" "$(ip netns exec "$HN" cat /proc/sys/net/netfilter/nf_conntrack_max)"

# ---- 5. every interface ---------------------------------------------------------
metrics all
expect "rampart metrics (every interface): exit status 0" "$?" 0
expect "... wg0's firewall samples" "$(grep -c '^rampart_firewall_packets_total{interface="wg0",' "$NS_TMP/all")" 8
promtool_ok "... promtool accepts it" all

# ---- 6. down: no table, no firewall samples -----------------------------------------
if rp hub down down "$NS_TMP/hub/wg0.conf"; then
	echo "# setup: hub: rampart down"
else
	show_log down; bail "setup failed: hub: rampart down"
fi
metrics m3 wg0
expect "after down: exit status 1 (the daemon is gone)" "$?" 1
expect "... no firewall sample" "$(grep -c '^rampart_firewall_' "$NS_TMP/m3")" 0
expect "... stderr names only the daemon" "$(grep -vc 'wg0.sock' "$NS_TMP/m3.err")" 0
check "... conntrack still there" [ -n "$(value m3 rampart_conntrack_entries)" ]
promtool_ok "... promtool accepts it" m3

# ---- 7. the kill switch counts with the daemon gone -----------------------------------
mkdir -p "$NS_TMP/cli" && cat > "$NS_TMP/cli/wg0.conf" <<EOF
[Interface]
PrivateKey = $(priv cli)
Address = 10.78.0.2/32

[Peer]
PublicKey = $(pub hub)
Endpoint = 192.168.78.1:51878
AllowedIPs = 0.0.0.0/0
EOF
if rp cli up-cli up "$NS_TMP/cli/wg0.conf" && fw_exists cli wg0; then
	echo "# setup: cli: rampart up (client, kill switch)"
else
	show_log up-cli; bail "setup failed: cli: rampart up"
fi
wg0_gone() { ! ip -n "$(ns_name cli)" link show wg0 >/dev/null 2>&1; }
pid=$(ns_tun_pid cli wg0)
say "[cli] kill -KILL $pid (rampartd)"
if [ -n "$pid" ] && kill -KILL "$pid" && wait_for 5 wg0_gone; then
	echo "# setup: cli: rampartd killed, wg0 gone"
else
	bail "setup failed: cli: kill rampartd ($pid)"
fi
IN=cli metrics k0 wg0
expect "kill switch: the daemon gone, rampart metrics exits 1" "$?" 1
expect "... rampart_up 0" "$(awk '/^rampart_up\{interface="wg0"\} /{ print $NF }' "$NS_TMP/k0")" 0
ks0=$(fw k0 packets output kill_switch)
ksb0=$(fw k0 bytes output kill_switch)
check "... and output kill_switch is there" [ -n "$ks0" ]
udp_burst 5 9999 cli 192.168.78.1
IN=cli metrics k1 wg0
expect "... 5 datagrams to out: exactly 5 packets and 640 bytes more" \
	"$(($(fw k1 packets output kill_switch) - ks0)) $(($(fw k1 bytes output kill_switch) - ksb0))" "5 640"
promtool_ok "... promtool accepts it" k1
finish
