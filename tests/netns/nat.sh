#!/bin/bash
# NAT traversal: a client behind a masquerading router with a 2 s UDP
# conntrack timeout, and a hub that only ever sees the router's address.
#
#   ns c (client)              ns r (router)                  ns h (hub)
#   wg0 10.60.0.2                                             wg0 10.60.0.1
#   c-r 10.99.1.2  --veth--  r-c 10.99.1.1                    :51881
#   default via 10.99.1.1    r-h 192.168.100.1 --veth--  h-r 192.168.100.2
#                            masquerade out r-h,
#                            nf_conntrack_udp_timeout(_stream) = 2 s
#
# The hub has no route to 10.99.1.0/24 and no endpoint for the client:
# it learns 192.168.100.1:PORT from the handshake, and can reach the
# client only while the router's conntrack entry lives.
#
# Per round:
# 1. open: right after the client's first pings the hub pings the client.
# 2. closed (the negative control): no keepalive, 3 s idle; the entry
#    has expired (2 s), the router has no mapping back, and the hub's
#    pings are lost.  Deterministic: in those 3 s neither side sends
#    anything (the first passive keepalive would come 10 s after the
#    last data, no handshake is due, persistent keepalive is off), and
#    an expired entry is never used again.
# 3. with `persistent-keepalive 1` on the client (enabling it sends one
#    keepalive at once, which re-opens the mapping), after 3 s idle the
#    hub still pings the client.
# Round A: hub = DUT, client = $PEER_IMPL (the hub learns and answers
# through the NAT).  Round B: client = DUT, hub = $PEER_IMPL (the DUT's
# own persistent keepalive keeps the mapping).
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
ns_watchdog 90

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"
wg_key c >/dev/null && wg_key h >/dev/null || { not_ok "keys"; finish; exit 1; }
PUB_C=$(cat "$NS_TMP/c.pub")
PUB_H=$(cat "$NS_TMP/h.pub")

# ct_entries: the router's UDP conntrack entries towards the hub's port.
ct_entries() { ns_run r cat /proc/net/nf_conntrack 2>/dev/null | grep -c 'udp.*dport=51881' ; }

# round LABEL HUB_IMPL CLIENT_IMPL
round() {
	local l=$1 hub=$2 cli=$3 nr
	nr=$(ns_name r)
	if ! { ns_add c && ns_add r && ns_add h &&
	       ns_link c r 10.99.1.2/24 10.99.1.1/24 &&
	       ns_link r h 192.168.100.1/24 192.168.100.2/24 &&
	       ip -n "$(ns_name c)" route add default via 10.99.1.1 &&
	       ip netns exec "$nr" sysctl -q -w net.ipv4.ip_forward=1 &&
	       ip netns exec "$nr" nft -f - <<-'EOF'
		table ip nat {
			chain post {
				type nat hook postrouting priority srcnat;
				oifname "r-h" masquerade
			}
		}
		EOF
	     }; then
		not_ok "$l: topology and NAT"
		ns_cleanup
		return
	fi
	# The conntrack sysctls exist once the NAT table has pulled in
	# conntrack; they are per network namespace.
	if ! ip netns exec "$nr" sysctl -q -w net.netfilter.nf_conntrack_udp_timeout=2 \
		net.netfilter.nf_conntrack_udp_timeout_stream=2; then
		not_ok "$l: conntrack UDP timeouts 2 s in the router"
		ns_cleanup
		return
	fi
	if ! { ns_daemon h "$hub" wg0 && ns_daemon c "$cli" wg0 &&
	       ns_wg h set wg0 private-key "$NS_TMP/h.key" listen-port 51881 \
			peer "$PUB_C" allowed-ips 10.60.0.2/32 &&
	       ns_wg c set wg0 private-key "$NS_TMP/c.key" listen-port 51882 \
			peer "$PUB_H" allowed-ips 10.60.0.1/32 endpoint 192.168.100.2:51881 &&
	       wg_if_up h wg0 10.60.0.1/24 && wg_if_up c wg0 10.60.0.2/24; }; then
		not_ok "$l: daemons up and configured"
		ns_cleanup
		return
	fi
	ok "$l: topology, NAT, hub $(impl_name "$hub"), client $(impl_name "$cli")"

	check "$l: client pings hub through the NAT" ns_ping c -c 3 -i 0.2 -w 8 10.60.0.1
	local ep; ep=$(wg_endpoint h wg0 "$PUB_C")
	case $ep in
	192.168.100.1:*) ok "$l: the hub sees the router's address ($ep)" ;;
	*) not_ok "$l: the hub sees the router's address" "endpoint '$ep'" ;;
	esac
	check "$l: open: the hub pings the client at once" ns_ping h -c 2 -i 0.2 -w 3 10.60.0.2

	# Closed: 3 s with nothing sent.
	sleep 3
	local ct; ct=$(ct_entries)
	if ns_run h ping -n -q -c 2 -i 0.2 -W 1 10.60.0.2 >"$NS_TMP/ping.out" 2>&1; then
		not_ok "$l: closed: no keepalive, 3 s idle: the hub can no longer reach the client" \
			"a ping got through; conntrack entries towards the hub before it: $ct"
	else
		ok "$l: closed: no keepalive, 3 s idle: the hub can no longer reach the client (conntrack entries: $ct)"
	fi

	ns_wg c set wg0 peer "$PUB_H" persistent-keepalive 1
	expect "$l: persistent-keepalive 1 on the client" \
		"$(wg_show_field c wg0 persistent-keepalive "$PUB_H")" 1
	sleep 3
	ct=$(ct_entries)
	if ns_ping h -c 3 -i 0.2 -w 5 10.60.0.2; then
		ok "$l: keepalive 1, 3 s idle: the hub still pings the client (conntrack entries: $ct)"
	else
		not_ok "$l: keepalive 1, 3 s idle: the hub still pings the client" \
			"conntrack entries: $ct" "$(cat "$NS_TMP/ping.out")"
	fi
	case $(wg_endpoint h wg0 "$PUB_C") in
	192.168.100.1:*) ok "$l: the hub's endpoint is still the router" ;;
	*) not_ok "$l: the hub's endpoint is still the router" "$(wg_endpoint h wg0 "$PUB_C")" ;;
	esac

	local rh rc
	ns_daemon_stop h wg0; rh=$?
	ns_daemon_stop c wg0; rc=$?
	expect "$l: both daemons exit 0 on SIGTERM" "$rh $rc" "0 0"
	ns_cleanup
}

round "A (hub=DUT)" "$DUT" "$PEER_IMPL"
round "B (client=DUT)" "$PEER_IMPL" "$DUT"
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
