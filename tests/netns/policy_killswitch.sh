#!/bin/bash
# The client's kill switch: when the daemon dies, nothing leaves the
# physical interface but WireGuard to the peer's endpoint; and nobody
# outside can reach the tunnel address over the physical interface.
#
#   ns cli (rampart up, role client)     ns out (the outside, a router)
#   wg0 10.55.0.2/24 fd55:55::2/64       out-cli 192.168.55.1/24 fd55::1/64
#   cli-out 192.168.55.2/24 ---veth----  (sniff.py here: the far end of
#           fd55::2/64                    the client's physical link)
#   default via 192.168.55.1, fd55::1    lo 198.51.100.55/32 2001:db8:55::55/128
#   canary tcp 80                        canary tcp 80, udp 53 5000
#                                        out-hub 192.168.56.1/24
#                                              |  veth
#                                        ns hub ($PEER_IMPL, wg):
#                                        hub-out 192.168.56.2/24, default via .1
#                                        wg0 10.55.0.1/24 fd55:55::1/64 :51855
#
# The probes, from cli, after its rampartd was killed (SIGKILL: wg0 and
# the tunnel's routes are gone, the main table's default route is left):
# TCP 198.51.100.55:80, UDP 198.51.100.55:53 and :5000, UDP
# 192.168.55.1:53 (the router's resolver), ICMP echo 198.51.100.55; and
# over IPv6 TCP [2001:db8:55::55]:80, UDP :53, ICMPv6 echo.  The sniffer
# on out-cli leaves out the peer's endpoint (192.168.56.2), neighbour
# discovery and MLD; what it prints is summarised as "DST PROTO PORT|TYPE".
#
# R1 (control) full tunnel, KillSwitch = off: every probe gets through,
#    and the sniffer sees each of them.
# R2 full tunnel, the client's defaults (kill switch on): the tunnel works
#    (ping 10.55.0.1); a packet for the tunnel address sent to cli-out
#    gets no answer; after SIGKILL the table stays, no probe gets an
#    answer, the sniffer sees no IP packet at all, and the output chain's
#    "kill switch" counter counts exactly the probes' 10 packets.
# R3 (control) split tunnel (AllowedIPs 10.55.0.0/24; for a full tunnel
#    up adds wg-quick's own anti-spoof rule, which would silence the
#    control too), Policy = off: out routes 10.55.0.2 and fd55:55::2 via
#    cli's physical addresses; ping and a TCP connect to port 80 there
#    are answered.
# R4 split tunnel, policy on with KillSwitch = off: out's ping of cli's
#    physical address is answered (control); the same spoofed pings and
#    connects are not, and the anti-spoof counters in prerouting count
#    exactly the packets sent.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tools/policy.sh"

ns_require
impl_require "$RAMPARTD" "$PEER_IMPL" nft "$PYTHON"
ns_watchdog 90
say "rampart: $RAMPART, daemon: $RAMPARTD, hub: $PEER_IMPL"
keys cli hub || { not_ok "keys"; finish; exit 1; }
CN() { ns_name cli; }

topology() {
	ns_add cli && ns_add out && ns_add hub &&
	ns_link cli out 192.168.55.2/24 192.168.55.1/24 fd55::2/64 fd55::1/64 &&
	ns_link out hub 192.168.56.1/24 192.168.56.2/24 &&
	ip -n "$(CN)" route add default via 192.168.55.1 &&
	ip -n "$(CN)" -6 route add default via fd55::1 &&
	ip -n "$(ns_name hub)" route add default via 192.168.56.1 &&
	ip -n "$(ns_name out)" addr add 198.51.100.55/32 dev lo &&
	ip -n "$(ns_name out)" addr add 2001:db8:55::55/128 dev lo &&
	ip netns exec "$(ns_name out)" sysctl -q -w net.ipv4.ip_forward=1 &&
	wg_peer hub "$PEER_IMPL" wg0 51855 hub &&
	ns_wg hub set wg0 peer "$(pub cli)" allowed-ips 10.55.0.2/32,fd55:55::2/128 &&
	wg_if_up hub wg0 10.55.0.1/24 fd55:55::1/64 &&
	canary out out --tcp 80 --udp 53,5000 &&
	canary cli cc --tcp 80
}

# cli_conf ALLOWED INTERFACE_EXTRA POLICY_LINES
cli_conf() {
	mkdir -p "$NS_TMP/cli"
	{
		printf '[Interface]\nPrivateKey = %s\nAddress = 10.55.0.2/24, fd55:55::2/64\n%s\n' \
			"$(priv cli)" "$2"
		[ -n "$3" ] && printf '[Policy]\n%s\n\n' "$3"
		printf '[Peer]\nPublicKey = %s\nEndpoint = 192.168.56.2:51855\nAllowedIPs = %s\n' \
			"$(pub hub)" "$1"
	} > "$NS_TMP/cli/wg0.conf"
}

cli_up() {
	if rp cli "up-$1" up "$NS_TMP/cli/wg0.conf" &&
	   ns_ping cli -c 2 -i 0.2 -w 10 10.55.0.1; then
		ok "$1: rampart up; the tunnel works (ping 10.55.0.1)"
	else
		not_ok "$1: rampart up; the tunnel works"; show_log "up-$1"; cat "$NS_TMP/ping.out" >&2
		return 1
	fi
}

# kill_daemon LABEL: SIGKILL to cli's rampartd; waits for wg0 to go.
wg0_gone() { ! ip -n "$(CN)" link show wg0 >/dev/null 2>&1; }
kill_daemon() {
	local pid
	pid=$(ns_tun_pid cli wg0)
	say "[cli] kill -KILL $pid (rampartd)"
	if [ -n "$pid" ] && kill -KILL "$pid" && wait_for 5 wg0_gone; then
		ok "$1: rampartd killed with SIGKILL, wg0 is gone"
	else
		not_ok "$1: rampartd killed with SIGKILL, wg0 is gone" "pid '$pid'"
	fi
}

# probes LABEL: every probe, with the sniffer running; sets P_RESULT
# ("tcp4 udp4 dns ping4 tcp6 udp6 ping6" verdicts) and P_SEEN (the
# sniffer's summary, one "DST PROTO PORT|TYPE" per line, sorted).
probes() {
	local r="" v
	sniff_start out leak out-cli --in-only --no-nd --exclude 192.168.56.2 || return 1
	# The pings first: they resolve the neighbours (ARP, and IPv6's
	# neighbour discovery on both ends) with retries of their own, so
	# that the TCP and UDP probes' 0.5 s are not spent on that (under
	# load the first TCP probe over IPv6 lost that race).
	if run_in cli ping -n -q -c 2 -i 0.2 -W 1 198.51.100.55 >/dev/null 2>&1; then v=ok; else v=no; fi
	local ping4=$v
	if run_in cli ping -6 -n -q -c 2 -i 0.2 -W 1 2001:db8:55::55 >/dev/null 2>&1; then v=ok; else v=no; fi
	local ping6=$v
	scan cli p1 --ports 80 198.51.100.55
	r="$r tcp4:$(scan_ports p1 open)"
	scan cli p2 --udp --ports 53,5000 198.51.100.55
	r="$r udp4:$(scan_ports p2 open)"
	scan cli p3 --udp --ports 53 192.168.55.1
	r="$r dns:$(scan_ports p3 open)"
	r="$r ping4:$ping4"
	scan cli p4 --ports 80 2001:db8:55::55
	r="$r tcp6:$(scan_ports p4 open)"
	scan cli p5 --udp --ports 53 2001:db8:55::55
	r="$r udp6:$(scan_ports p5 open)"
	r="$r ping6:$ping6"
	# Each probe has returned, so its packets have passed out-cli and
	# sit in the sniffer's socket; it prints them before it exits.
	sniff_stop leak >/dev/null
	P_RESULT=${r# }
	P_SEEN=$(sniffed leak | awk '{ k = ($5 == "tcp" || $5 == "udp") ? $7 : $6; print $4, $5, k }' | sort -u)
}
LEAKED="192.168.55.1 udp 53
198.51.100.55 icmp type=8
198.51.100.55 tcp 80
198.51.100.55 udp 5000
198.51.100.55 udp 53
2001:db8:55::55 icmpv6 type=128
2001:db8:55::55 tcp 80
2001:db8:55::55 udp 53"

# spoof LABEL answered|silent: from out, a route to cli's tunnel
# addresses via cli's physical ones; 3 pings and one TCP connect to
# port 80 in each family.
spoof() {
	local l=$1 want=$2 v4 v6 t4 t6
	run_in out ip route replace 10.55.0.2/32 via 192.168.55.2
	run_in out ip -6 route replace fd55:55::2/128 via fd55::2
	if run_in out ping -n -q -c 3 -i 0.2 -W 1 10.55.0.2 >/dev/null 2>&1; then v4=answered; else v4=silent; fi
	if run_in out ping -6 -n -q -c 3 -i 0.2 -W 1 fd55:55::2 >/dev/null 2>&1; then v6=answered; else v6=silent; fi
	scan out s4 --ports 80 10.55.0.2
	scan out s6 --ports 80 fd55:55::2
	t4=$(scan_ports s4 open); t6=$(scan_ports s6 open)
	[ "$t4" = 80 ] && t4=answered || t4=silent
	[ "$t6" = 80 ] && t6=answered || t6=silent
	expect "$l: spoofed ping and TCP to the tunnel address via cli-out: $want" \
		"ping4 $v4 ping6 $v6 tcp4 $t4 tcp6 $t6" "ping4 $want ping6 $want tcp4 $want tcp6 $want"
	run_in out ip route del 10.55.0.2/32
	run_in out ip -6 route del fd55:55::2/128
}

# ---- R1: control: full tunnel, KillSwitch = off ------------------------------------
if topology; then ok "R1: topology"; else not_ok "R1: topology"; finish; exit 1; fi
cli_conf "0.0.0.0/0, ::/0" "" "KillSwitch = off"
if cli_up R1; then
	check "R1: no output chain in table inet rampart-wg0" \
		eval '! fw_table cli wg0 | grep -q "hook output"'
	kill_daemon R1
	probes R1
	expect "R1: every probe gets an answer" "$P_RESULT" \
		"tcp4:80 udp4:53,5000 dns:53 ping4:ok tcp6:80 udp6:53 ping6:ok"
	expect "R1: the sniffer on the far end sees every probe" "$P_SEEN" "$LEAKED"
fi
ns_cleanup

# ---- R2: the kill switch ---------------------------------------------------------------
if topology; then ok "R2: topology"; else not_ok "R2: topology"; finish; exit 1; fi
cli_conf "0.0.0.0/0, ::/0" "" ""
if cli_up R2; then
	check "R2: table inet rampart-wg0 with an output chain, policy drop" \
		eval 'fw_table cli wg0 | grep -q "type filter hook output priority filter; policy drop;"'
	spoof R2 silent
	ks0=$(fw_counter cli wg0 output "kill switch")
	kill_daemon R2
	probes R2
	expect "R2: no probe gets an answer" "$P_RESULT" \
		"tcp4:- udp4:- dns:- ping4:no tcp6:- udp6:- ping6:no"
	expect "R2: the sniffer on the far end sees no IP packet" "$P_SEEN" ""
	# One packet per UDP probe (4) and per TCP connect (2: portscan gives
	# up after 0.5 s, before the first retransmission), 2 per ping (4).
	ks1=$(fw_counter cli wg0 output "kill switch")
	expect "R2: the kill switch counter counts the 10 packets of the probes" \
		"$(( ${ks1%% *} - ${ks0%% *} ))" 10
	check "R2: the table stays after the daemon died" fw_exists cli wg0
fi
ns_cleanup

# ---- R3, R4: anti-spoof on a split tunnel ----------------------------------------------
if topology; then ok "R3: topology"; else not_ok "R3: topology"; finish; exit 1; fi
cli_conf "10.55.0.0/24, fd55:55::/64" "Policy = off" ""
if cli_up R3; then
	check "R3: no table inet rampart-wg0" eval '! fw_exists cli wg0'
	spoof R3 answered
	rp cli down-R3 down "$NS_TMP/cli/wg0.conf" || { not_ok "R3: rampart down"; show_log down-R3; }
fi
cli_conf "10.55.0.0/24, fd55:55::/64" "" "KillSwitch = off"
if cli_up R4; then
	check "R4: out's ping of cli's physical address is answered" \
		ns_ping out -c 3 -i 0.2 -w 5 192.168.55.2
	spoof R4 silent
	# 3 pings and one SYN (portscan waits 0.5 s: no retransmission) per
	# family.
	expect "R4: the anti-spoof counters count the 8 spoofed packets" \
		"$(fw_counter cli wg0 prerouting "anti-spoof: tunnel address from outside")" "8 2"
	rp cli down-R4 down "$NS_TMP/cli/wg0.conf" || { not_ok "R4: rampart down"; show_log down-R4; }
fi

check "no sanitizer report in any rampart output" ns_sanitizer_clean
ns_cleanup
check "no namespace left" no_netns_left
finish
