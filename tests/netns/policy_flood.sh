#!/bin/bash
# A handshake flood against the hub: the policy's per-source meter drops
# what is beyond HandshakeLimit before rampartd sees it, and a real peer
# from another source still gets its handshake.
#
#   ns fl (the flooder)                  ns hub (rampart up, role hub)
#   fl-hub 192.168.44.2/24 ----veth----  hub-fl 192.168.44.1/24 (WAN: default route)
#          fd44::2/64                           fd44::1/64
#                                        wg0 10.44.0.1/24 :51844
#   ns pe (a real peer, $PEER_IMPL)      [Policy] HandshakeLimit = 20/second,
#   wg0 10.44.0.2/24                              HandshakeBurst = 40
#   pe-hub 192.168.45.2/24 ----veth----  hub-pe 192.168.45.1/24
#
# hsflood.py sends 148-byte datagrams shaped like handshake initiations
# (01 00 00 00 and random bytes: the mac1 is wrong) from one address and
# port, as fast as it can.  What rampartd saw of them is what its drop
# counters say (get=1: rampart_drop_invalid_mac1, plus
# rampart_handshake_queue_full), plus what the kernel dropped for a full
# socket buffer (UDP RcvbufErrors).  What the meter dropped is the counter
# of the input rules commented "handshake flood".
#
# R1 (control) HandshakeLimit = off: no meter rule; rampartd sees every
#    datagram of a 1-second flood (seen = sent), far more than the limit
#    would have let through.
# R2 HandshakeLimit = 20/second, burst 40.  IPv4: a 3-second flood; while
#    it runs, pe's handshake with the hub completes.  Then: meter drops +
#    seen by rampartd = sent; rampartd saw at least the burst and at most
#    burst + 20/s * seconds (+ 5).  IPv6: the same for a 1-second flood.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tools/policy.sh"

ns_require
impl_require "$RAMPARTD" "$PEER_IMPL" nft "$PYTHON"
ns_watchdog 90
say "rampart: $RAMPART, daemon: $RAMPARTD, peer: $PEER_IMPL"

HN=$(ns_name hub)
if keys hub pe && ns_add fl && ns_add hub && ns_add pe &&
   ns_link fl hub 192.168.44.2/24 192.168.44.1/24 fd44::2/64 fd44::1/64 &&
   ns_link pe hub 192.168.45.2/24 192.168.45.1/24 &&
   ip -n "$HN" route add default via 192.168.44.2 &&
   wg_peer pe "$PEER_IMPL" wg0 51845 pe && wg_if_up pe wg0 10.44.0.2/24; then
	ok "topology: flooder, hub, $(impl_name "$PEER_IMPL") peer"
else
	bail "setup failed: topology"
fi

# hub_conf POLICY_LINES
hub_conf() {
	mkdir -p "$NS_TMP/hub"
	cat > "$NS_TMP/hub/wg0.conf" <<-EOF
	[Interface]
	PrivateKey = $(priv hub)
	ListenPort = 51844
	Address = 10.44.0.1/24

	[Policy]
	$1

	[Peer]
	PublicKey = $(pub pe)
	AllowedIPs = 10.44.0.2/32
	EOF
}

# seen: the flood datagrams rampartd has dropped (all of them have a bad
# mac1), plus those the kernel dropped at its socket.
seen() {
	local d r
	d=$(printf 'get=1\n\n' | uapi hub wg0 | awk -F '=' '
		/^public_key=/ { exit }
		$1 == "rampart_drop_invalid_mac1" || $1 == "rampart_handshake_queue_full" { n += $2 }
		END { print n + 0 }')
	r=$(ns_run hub cat /proc/net/snmp /proc/net/snmp6 | awk '
		$1 == "Udp:" && $2 !~ /^[0-9]+$/ { for (i = 2; i <= NF; i++) col[$i] = i; next }
		$1 == "Udp:" { n += $col["RcvbufErrors"] }
		$1 == "Udp6RcvbufErrors" { n += $2 }
		END { print n + 0 }')
	echo $((d + r))
}
meter_drops() { local c; c=$(fw_counter hub wg0 input "handshake flood"); echo "${c%% *}"; }
meter_rules() { local c; c=$(fw_counter hub wg0 input "handshake flood"); echo "${c##* }"; }

# flood TAG ADDR SECONDS: hsflood.py from fl in the background.
flood() {
	bg fl "$1" "$PYTHON" "$TOOLS/hsflood.py" --count 100000000 --duration "$3" "$2" 51844
}
flood_done() { ! bg_alive "$1"; }
# flood_result TAG: "SENT SECONDS" once it has finished.
flood_result() {
	wait_for 15 flood_done "$1"
	bg_stop "$1"
	sed -n 's/^sent=\([0-9]*\) errors=[0-9]* seconds=\([0-9.]*\).*/\1 \2/p' "$NS_TMP/$1.out"
}
settled_at() { [ "$(seen)" = "$1" ]; }
# check_limited LABEL SENT SECONDS SEEN DROPPED: the meter's bounds.
check_limited() {
	local l=$1 sent=$2 secs=$3 seen=$4 drop=$5 max
	# The sender's duration stands for the meter's; 5 (a quarter of a
	# second at 20/s) for the difference between the two.
	max=$(awk -v s="$secs" 'BEGIN { printf "%d", 40 + 20 * s + 5 }')
	say "$l: sent $sent in $secs s; rampartd saw $seen; the meter dropped $drop"
	expect "$l: every datagram was either dropped by the meter or seen by rampartd" \
		"$((drop + seen))" "$sent"
	if [ "$seen" -ge 40 ] && [ "$seen" -le "$max" ]; then
		ok "$l: rampartd saw $seen, between the burst (40) and 40 + 20/s * $secs s + 5 = $max"
	else
		not_ok "$l: rampartd saw between 40 and $max" "seen $seen of $sent"
	fi
	if [ "$sent" -ge $((100 * max)) ]; then
		ok "$l: the flood was far beyond the limit ($sent >= 100 * $max)"
	else
		not_ok "$l: the flood was far beyond the limit" "sent $sent, max $max"
	fi
}

# ---- R1: control: HandshakeLimit = off ----------------------------------------------
hub_conf "HandshakeLimit = off"
if rp hub up-R1 up "$NS_TMP/hub/wg0.conf"; then
	echo "# setup: R1: rampart up"
else
	show_log up-R1; bail "setup failed: R1: rampart up"
fi
check "R1: table inet rampart-wg0" fw_exists hub wg0
expect "R1: no meter rule" "$(meter_rules)" 0
s0=$(seen)
flood c4 192.168.44.1 1
read -r sent secs <<< "$(flood_result c4)"
: "${sent:=0}" "${secs:=0}"
wait_for 10 settled_at "$((s0 + sent))"
got=$(( $(seen) - s0 ))
say "R1: sent $sent in $secs s; rampartd saw $got"
expect "R1: rampartd saw every datagram" "$got" "$sent"
max=$(awk -v s="$secs" 'BEGIN { printf "%d", 40 + 20 * s + 5 }')
check "R1: far more than the limit would have let through ($got > 10 * $max)" \
	[ "$got" -gt $((10 * max)) ]
rp hub down-R1 down "$NS_TMP/hub/wg0.conf" || { not_ok "R1: rampart down"; show_log down-R1; }

# ---- R2: the meter ----------------------------------------------------------------
hub_conf "HandshakeLimit = 20/second
HandshakeBurst = 40"
if rp hub up-R2 up "$NS_TMP/hub/wg0.conf"; then
	echo "# setup: R2: rampart up"
else
	show_log up-R2; bail "setup failed: R2: rampart up"
fi
expect "R2: two meter rules (IPv4, IPv6) commented \"handshake flood\"" "$(meter_rules)" 2
d0=$(meter_drops); s0=$(seen)

flood f4 192.168.44.1 3
# pe's handshake while the flood runs: turning the keepalive on sends one.
# Once the meter drops, the flood is beyond the burst.
meter_dropping() { [ "$(meter_drops)" -gt "$d0" ]; }
wait_for 5 meter_dropping
run_in pe wg set wg0 peer "$(pub hub)" allowed-ips 10.44.0.1/32 \
	endpoint 192.168.45.1:51844 persistent-keepalive 25
if wait_handshake hub wg0 "$(pub pe)" 3 && bg_alive f4; then
	ok "R2: pe completes a handshake while the flood runs"
else
	not_ok "R2: pe completes a handshake while the flood runs" \
		"handshake $(wg_handshake hub wg0 "$(pub pe)"), flood running: $(bg_alive f4 && echo yes || echo no)"
fi
read -r sent secs <<< "$(flood_result f4)"
: "${sent:=0}" "${secs:=0}"
# The last datagrams may still be on their way through rampartd's queue.
wait_for 5 settled_at "$(( sent - ($(meter_drops) - d0) + s0 ))"
check_limited "R2 IPv4" "$sent" "$secs" "$(( $(seen) - s0 ))" "$(( $(meter_drops) - d0 ))"
check "R2: pe's session works after the flood" ns_ping pe -c 2 -i 0.2 -w 5 10.44.0.1

d0=$(meter_drops); s0=$(seen)
flood f6 fd44::1 1
read -r sent secs <<< "$(flood_result f6)"
: "${sent:=0}" "${secs:=0}"
wait_for 5 settled_at "$(( sent - ($(meter_drops) - d0) + s0 ))"
check_limited "R2 IPv6" "$sent" "$secs" "$(( $(seen) - s0 ))" "$(( $(meter_drops) - d0 ))"
rp hub down-R2 down "$NS_TMP/hub/wg0.conf" || { not_ok "R2: rampart down"; show_log down-R2; }

check "no sanitizer report in any rampart output" ns_sanitizer_clean
ns_cleanup
check "no namespace left" no_netns_left
finish
