#!/bin/bash
# Exact transfer accounting (the kernel's own test): ten 84-byte pings
# (ping -s 56: 20 IP + 8 ICMP + 56) over a fresh tunnel.  Each ping is
# padded to 96 bytes and sealed into 16 header + 96 + 16 tag = 128 bytes
# on the wire.  The initiator sends the initiation (148) and receives
# the response (92), so:
#
#   initiator  tx = 148 + 10*128 = 1428   rx = 92 + 10*128 = 1372
#   responder  tx = 1372                  rx = 1428
#
# (1460 = 1428 + 32 when the initiator sent one keepalive after the
# handshake: allowed, and then both sides must agree on it.)  No
# persistent keepalive is configured, and the counters are read at once:
# the first passive keepalive would come 10 s after the last reply.
#
#   ns a                          ns b
#   wg0 10.20.0.1 (DUT)   <==>    wg0 10.20.0.2 ($PEER_IMPL)
#   a-b 192.168.60.1  ---veth---  b-a 192.168.60.2
#
# Run twice: the DUT as initiator, then as responder.  Both sides'
# counters are checked, so with DUT=wireguard-go this validates the test
# on the reference.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
ns_watchdog 90

wg_key a >/dev/null && wg_key b >/dev/null || { not_ok "keys"; finish; exit 1; }
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")

# counters_ok LABEL NAME PUB ROLE: ROLE is init or resp (acct_transfer_ok,
# lib.sh).  Prints the ok line.
counters_ok() {
	local label=$1 name=$2 pub=$3 role=$4 rx tx
	read -r rx tx <<< "$(wg_transfer "$name" wg0 "$pub")"
	if acct_transfer_ok "$role" "$rx" "$tx"; then
		ok "$label: rx $rx tx $tx"
	else
		not_ok "$label" "rx $rx tx $tx; want $(acct_want "$role")"
	fi
}

# round WHO_INITIATES: "dut" (a initiates) or "peer" (b initiates).
round() {
	local who=$1 ini dst
	if ! { ns_add a && ns_add b && ns_link a b 192.168.60.1/24 192.168.60.2/24 &&
	       ns_daemon a "$DUT" wg0 && ns_daemon b "$PEER_IMPL" wg0; }; then
		not_ok "$who initiates: namespaces and daemons up"
		ns_cleanup
		return
	fi
	if [ "$who" = dut ]; then
		ini=a; dst=10.20.0.2
		ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51831 \
			peer "$PUB_B" allowed-ips 10.20.0.2/32 endpoint 192.168.60.2:51832 &&
		ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51832 \
			peer "$PUB_A" allowed-ips 10.20.0.1/32
	else
		ini=b; dst=10.20.0.1
		ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51831 \
			peer "$PUB_B" allowed-ips 10.20.0.2/32 &&
		ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51832 \
			peer "$PUB_A" allowed-ips 10.20.0.1/32 endpoint 192.168.60.1:51831
	fi
	wg_if_up a wg0 10.20.0.1/24 && wg_if_up b wg0 10.20.0.2/24
	if [ "$(wg_show_field a wg0 persistent-keepalive "$PUB_B")" = off ] &&
	   [ "$(wg_show_field b wg0 persistent-keepalive "$PUB_A")" = off ] &&
	   [ "$(wg_transfer a wg0 "$PUB_B")" = "0 0" ] &&
	   [ "$(wg_transfer b wg0 "$PUB_A")" = "0 0" ] &&
	   [ "$(wg_handshake a wg0 "$PUB_B")" = 0 ]; then
		ok "$who initiates: fresh tunnel, no persistent keepalive, counters 0"
	else
		not_ok "$who initiates: fresh tunnel, no persistent keepalive, counters 0" \
			"$(ns_wg a show wg0 dump)" "$(ns_wg b show wg0 dump)"
	fi
	if ns_ping "$ini" -c 10 -s 56 -i 0.2 -w 15 "$dst"; then
		ok "$who initiates: ping -c 10 -s 56, 0% loss"
	else
		not_ok "$who initiates: ping -c 10 -s 56, 0% loss" "$(cat "$NS_TMP/ping.out")"
	fi
	if [ "$who" = dut ]; then
		counters_ok "$who initiates: DUT (initiator) counters" a "$PUB_B" init
		counters_ok "$who initiates: $(impl_name "$PEER_IMPL") (responder) counters" b "$PUB_A" resp
	else
		counters_ok "$who initiates: DUT (responder) counters" a "$PUB_B" resp
		counters_ok "$who initiates: $(impl_name "$PEER_IMPL") (initiator) counters" b "$PUB_A" init
	fi
	# What one side sent, the other received: catches a keepalive counted
	# on one side only.
	local ta ra tb rb
	read -r ra ta <<< "$(wg_transfer a wg0 "$PUB_B")"
	read -r rb tb <<< "$(wg_transfer b wg0 "$PUB_A")"
	if [ "$ta" = "$rb" ] && [ "$tb" = "$ra" ]; then
		ok "$who initiates: both sides agree (a tx = b rx = $ta, b tx = a rx = $tb)"
	else
		not_ok "$who initiates: both sides agree" "a rx $ra tx $ta, b rx $rb tx $tb"
	fi
	local rc
	ns_daemon_stop a wg0; rc=$?
	check "$who initiates: DUT exits 0 on SIGTERM" [ "$rc" -eq 0 ]
	ns_cleanup
}

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"
round dut
round peer
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
