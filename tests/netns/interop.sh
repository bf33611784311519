#!/bin/bash
# Interoperability matrix: the device under test ($DUT, rampartd by
# default) against the other implementation ($PEER_IMPL, wireguard-go by
# default), then against itself.  Each point of the matrix runs in fresh
# namespaces:
#
#   ns a (initiator)                              ns b (responder)
#   +-------------------------+                   +-------------------------+
#   | wg0 10.10.0.1  fd10::1  |  ==== tunnel ==== | wg0 10.10.0.2  fd10::2  |
#   | impl A, port 51821      |                   | impl B, port 51822      |
#   | a-b 192.168.50.1        |------ veth -------| b-a 192.168.50.2        |
#   |     fd50::1             |                   |     fd50::2             |
#   +-------------------------+                   +-------------------------+
#
# A has B's endpoint and sends first; B has no endpoint for A, so A is
# the initiator and B learns A's address from the handshake.  Per point:
# handshake (and B's learned endpoint), ping -c 10 with 0% loss, iperf3
# TCP and UDP (200 Mbit/s offered) for 3 s each way (iperf3 succeeds, the
# receiver got bytes, UDP loss below UDP_MAX_LOSS; speed is printed, never
# judged), and both daemons exiting 0 on SIGTERM.  Points: DUT and PEER_IMPL each as initiator,
# outer/inner IPv4/IPv4 and IPv6/IPv6, with and without a preshared key
# (8); the mixed families outer4/inner6 and outer6/inner4 (2); DUT against
# DUT (4).  With DUT=wireguard-go everything runs wireguard-go.
#
# Variables: DUT, PEER_IMPL, INTEROP_FULL=0 (mixed points ping only, the
# default) or 1 (iperf3 there too), UDP_MAX_LOSS (percent, default 50:
# "sane", a userspace tunnel on two cores loses some at 200 Mbit/s).
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
ns_watchdog 330
: "${UDP_MAX_LOSS:=50}"

dut=$(impl_name "$DUT")
peer=$(impl_name "$PEER_IMPL")
echo "# DUT=$DUT ($dut), PEER_IMPL=$PEER_IMPL ($peer)"

wg_key a >/dev/null && wg_key b >/dev/null && wg_psk ab || { not_ok "keys"; finish; exit 1; }
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")

# iperf_check LABEL FILE STATUS UDP: one ok line for one iperf3 run.
iperf_check() {
	local label=$1 file=$2 rc=$3 udp=$4 r bytes lost pkts bps
	r=$(iperf_result "$file")
	read -r bytes lost pkts bps <<< "$r"
	if [ "$rc" -ne 0 ] || [ -z "$r" ] || [ "${bytes:-0}" -le 0 ]; then
		not_ok "$label" "iperf3 status $rc, result '$r'" "$(head -c 600 "$file")"
		return
	fi
	if [ "$udp" = 1 ]; then
		lost=$(printf '%.1f' "$lost")
		if awk -v l="$lost" -v m="$UDP_MAX_LOSS" 'BEGIN { exit !(l < m) }'; then
			ok "$label ($((bps / 1000000)) Mbit/s, $pkts packets, ${lost}% lost)"
		else
			not_ok "$label" "UDP loss ${lost}% (>= $UDP_MAX_LOSS%), $pkts packets received"
		fi
	else
		ok "$label ($((bps / 1000000)) Mbit/s)"
	fi
}

# point LABEL IMPL_A IMPL_B OUTER INNER PSK FULL
#   OUTER, INNER: 4 or 6; PSK: 0 or 1; FULL: 1 runs iperf3 too.
point() {
	local label=$1 ia=$2 ib=$3 outer=$4 inner=$5 psk=$6 full=$7
	local ep_b ep_a in_b allow_a allow_b pskopt=() f rc
	if [ "$outer" = 4 ]; then
		ep_b=192.168.50.2:51822; ep_a=192.168.50.1:51821
	else
		ep_b='[fd50::2]:51822'; ep_a='[fd50::1]:51821'
	fi
	if [ "$inner" = 4 ]; then
		in_b=10.10.0.2; allow_a=10.10.0.1/32; allow_b=10.10.0.2/32
	else
		in_b=fd10::2; allow_a=fd10::1/128; allow_b=fd10::2/128
	fi
	[ "$psk" = 1 ] && pskopt=(preshared-key "$NS_TMP/ab.psk")

	if ! { ns_add a && ns_add b &&
	       ns_link a b 192.168.50.1/24 192.168.50.2/24 fd50::1/64 fd50::2/64 &&
	       ns_daemon a "$ia" wg0 && ns_daemon b "$ib" wg0; }; then
		not_ok "$label: namespaces and daemons up"
		ns_cleanup
		return
	fi
	if ! { ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51821 \
			peer "$PUB_B" allowed-ips "$allow_b" endpoint "$ep_b" "${pskopt[@]}" &&
	       ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51822 \
			peer "$PUB_A" allowed-ips "$allow_a" "${pskopt[@]}" &&
	       wg_if_up a wg0 10.10.0.1/24 fd10::1/64 &&
	       wg_if_up b wg0 10.10.0.2/24 fd10::2/64; }; then
		not_ok "$label: configure with wg set"
		ns_cleanup
		return
	fi
	if [ "$(wg_endpoint b wg0 "$PUB_A")" = "(none)" ]; then
		ok "$label: daemons up, configured; B has no endpoint for A"
	else
		not_ok "$label: B has no endpoint for A" "$(wg_endpoint b wg0 "$PUB_A")"
	fi

	# A sends first.  The first packet waits in A's queue for the session.
	ns_run a ping -n -q -c 1 -W 5 "$in_b" >/dev/null 2>&1
	if wait_handshake a wg0 "$PUB_B" 5 && wait_handshake b wg0 "$PUB_A" 5 &&
	   endpoint_is b wg0 "$PUB_A" "$ep_a"; then
		ok "$label: handshake, responder learned $ep_a"
	else
		not_ok "$label: handshake" "A: $(ns_wg a show wg0 dump | tail -n +2)" \
			"B: $(ns_wg b show wg0 dump | tail -n +2)"
		ns_cleanup
		return
	fi

	if ns_ping a -c 10 -i 0.2 -w 10 "$in_b"; then
		ok "$label: ping -c 10, 0% loss"
	else
		not_ok "$label: ping -c 10, 0% loss" "$(cat "$NS_TMP/ping.out")"
	fi

	if [ "$full" = 1 ]; then
		if ns_iperf_server b "$in_b"; then
			f=$NS_TMP/iperf.json
			ns_iperf a "$f" --connect-timeout 3000 -c "$in_b" -t 3; rc=$?
			iperf_check "$label: iperf3 TCP A->B" "$f" "$rc" 0
			ns_iperf a "$f" --connect-timeout 3000 -c "$in_b" -t 3 -R; rc=$?
			iperf_check "$label: iperf3 TCP B->A" "$f" "$rc" 0
			ns_iperf a "$f" --connect-timeout 3000 -c "$in_b" -t 3 -u -b 200M; rc=$?
			iperf_check "$label: iperf3 UDP A->B" "$f" "$rc" 1
			ns_iperf a "$f" --connect-timeout 3000 -c "$in_b" -t 3 -u -b 200M -R; rc=$?
			iperf_check "$label: iperf3 UDP B->A" "$f" "$rc" 1
		else
			not_ok "$label: iperf3 server listening"
		fi
	fi

	local ra rb
	ns_daemon_stop a wg0; ra=$?
	ns_daemon_stop b wg0; rb=$?
	if [ "$ra" -eq 0 ] && [ "$rb" -eq 0 ]; then
		ok "$label: both daemons exit 0 on SIGTERM"
	else
		not_ok "$label: both daemons exit 0 on SIGTERM" "A: $ra, B: $rb" \
			"$(tail -n 5 "$NS_TMP/a-wg0.log")" "$(tail -n 5 "$NS_TMP/b-wg0.log")"
	fi
	ns_cleanup
}

n=0
# run IMPL_A IMPL_B OUTER INNER PSK FULL: one numbered point.
run() {
	local psk=nopsk
	[ "$5" = 1 ] && psk=psk
	n=$((n + 1))
	point "[$n] $(impl_name "$1")>$(impl_name "$2") o$3/i$4 $psk" "$@"
}

# DUT against PEER_IMPL: initiator x (outer, inner) x PSK.
for fam in 4 6; do
	for psk in 0 1; do
		run "$DUT" "$PEER_IMPL" $fam $fam $psk 1
		run "$PEER_IMPL" "$DUT" $fam $fam $psk 1
	done
done
# Mixed families, one in each direction.
run "$DUT" "$PEER_IMPL" 4 6 1 "${INTEROP_FULL:-0}"
run "$PEER_IMPL" "$DUT" 6 4 0 "${INTEROP_FULL:-0}"
# DUT against itself: symmetric, A is just the side that starts.
for fam in 4 6; do
	for psk in 0 1; do
		run "$DUT" "$DUT" $fam $fam $psk 1
	done
done

check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
