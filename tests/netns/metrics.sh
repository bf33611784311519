#!/bin/bash
# rampart metrics against two running rampartd ends: the per-peer byte
# counters are the exact figures of the accounting test (ten 84-byte
# pings over a fresh tunnel, acct_transfer_ok in lib.sh) and equal wg(8)'s
# transfer; there is no handshake sample before the first handshake and a
# sane one after it, equal to wg(8)'s latest-handshakes; the endpoint and
# allowed IPs sit on rampart_peer_info; and `promtool check metrics`
# accepts the real output, for one interface and for all of them.
#
#   ns a                          ns b
#   wg0 10.20.0.1 ($DUT)  <==>    wg0 10.20.0.2 ($DUT)
#   a-b 192.168.60.1  ---veth---  b-a 192.168.60.2
#
# a initiates.  promtool comes with the prometheus package
# (scripts/deps.sh): missing, it is a failure, not a skip.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT"
need_tool promtool
ns_watchdog 90

keys() { wg_key a >/dev/null && wg_key b >/dev/null; }
setup "keys" keys
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")
setup "namespaces" ns_add a
setup "namespaces" ns_add b
setup "veth" ns_link a b 192.168.60.1/24 192.168.60.2/24
setup "rampartd in a" ns_daemon a "$DUT" wg0
setup "rampartd in b" ns_daemon b "$DUT" wg0
setup "configure a" ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51831 \
	peer "$PUB_B" allowed-ips 10.20.0.2/32,fd20::2/128 endpoint 192.168.60.2:51832
setup "configure b" ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51832 \
	peer "$PUB_A" allowed-ips 10.20.0.1/32
setup "addresses a" wg_if_up a wg0 10.20.0.1/24
setup "addresses b" wg_if_up b wg0 10.20.0.2/24

# metrics NAME OUT [IFNAME]: rampart metrics in NAME into $NS_TMP/OUT.
metrics() { ns_run "$1" "$RAMPART" metrics ${3:+"$3"} >"$NS_TMP/$2" 2>"$NS_TMP/$2.err"; }
# sample OUT METRIC [LABELS]: the value of METRIC of wg0 with exactly
# these further labels (',reason="x"'), "" if none.  peer_sample OUT
# METRIC PUB: of peer PUB.
sample() {
	awk -v m="$2{interface=\"wg0\"${3:-}} " 'index($0, m) == 1 { print $NF; exit }' "$NS_TMP/$1"
}
peer_sample() { sample "$1" "$2" ",public_key=\"$3\""; }
# promtool_ok NAME OUT: promtool accepts $NS_TMP/OUT.
promtool_ok() {
	local out
	if out=$(promtool check metrics < "$NS_TMP/$2" 2>&1); then ok "$1"; else not_ok "$1" "$out"; fi
}

echo "# DUT=$DUT ($(impl_name "$DUT")) on both ends"
metrics a before wg0
expect "before traffic: exit status 0" "$?" 0
expect "... rampart_up 1" "$(sample before rampart_up)" 1
expect "... rampart_peers 1" "$(sample before rampart_peers)" 1
expect "... receive and transmit bytes 0" \
	"$(peer_sample before rampart_peer_receive_bytes_total "$PUB_B") $(peer_sample before rampart_peer_transmit_bytes_total "$PUB_B")" "0 0"
expect "... no handshake sample" \
	"$(grep -c '^rampart_peer_last_handshake_timestamp_seconds{' "$NS_TMP/before")" 0
expect "... rampart_peer_info has the endpoint and allowed IPs" \
	"$(grep -c "^rampart_peer_info{interface=\"wg0\",public_key=\"$PUB_B\",name=\"\",endpoint=\"192.168.60.2:51832\",allowed_ips=\"10.20.0.2/32,fd20::2/128\"} 1\$" "$NS_TMP/before")" 1
promtool_ok "... promtool accepts it" before

start=$(date +%s)
if ns_ping a -c 10 -s 56 -i 0.2 -w 15 10.20.0.2; then
	ok "ping -c 10 -s 56, 0% loss"
else
	not_ok "ping -c 10 -s 56, 0% loss" "$(cat "$NS_TMP/ping.out")"
fi
end=$(date +%s)

# peer_ok NAME PEER ROLE: the byte counters of NAME's metrics for PEER.
peer_ok() {
	local name=$1 pub=$2 role=$3 rx tx
	metrics "$name" "after-$name" wg0 || { not_ok "$name ($role): rampart metrics" "$(cat "$NS_TMP/after-$name.err")"; return; }
	rx=$(peer_sample "after-$name" rampart_peer_receive_bytes_total "$pub")
	tx=$(peer_sample "after-$name" rampart_peer_transmit_bytes_total "$pub")
	if acct_transfer_ok "$role" "$rx" "$tx"; then
		ok "$name ($role): receive $rx transmit $tx bytes"
	else
		not_ok "$name ($role): receive and transmit bytes" "rx $rx tx $tx; want $(acct_want "$role")"
	fi
	expect "$name ($role): the same as wg show transfer" "$rx $tx" "$(wg_transfer "$name" wg0 "$pub")"
	# Ten echo requests one way, ten replies the other: data packets
	# only (the handshake and keepalives are not data).
	expect "$name ($role): 10 data packets received, 10 sent" \
		"$(peer_sample "after-$name" rampart_peer_receive_packets_total "$pub") $(peer_sample "after-$name" rampart_peer_transmit_packets_total "$pub")" "10 10"
	expect "$name ($role): one handshake completed, no endpoint change" \
		"$(peer_sample "after-$name" rampart_peer_handshakes_completed_total "$pub") $(peer_sample "after-$name" rampart_peer_endpoint_changes_total "$pub")" "1 0"
}
peer_ok a "$PUB_B" init
peer_ok b "$PUB_A" resp
expect "a initiated the one handshake, b none" \
	"$(peer_sample after-a rampart_peer_handshakes_initiated_total "$PUB_B") $(peer_sample after-b rampart_peer_handshakes_initiated_total "$PUB_A")" "1 0"
expect "a's transmit is b's receive" "$(peer_sample after-a rampart_peer_transmit_bytes_total "$PUB_B")" \
	"$(peer_sample after-b rampart_peer_receive_bytes_total "$PUB_A")"

# The handshake: after the start of the pings, before their end, and the
# second wg(8) shows.
for side in "a $PUB_B" "b $PUB_A"; do
	read -r name pub <<< "$side"
	hs=$(peer_sample "after-$name" rampart_peer_last_handshake_timestamp_seconds "$pub")
	secs=${hs%%.*}
	if [[ $hs =~ ^[0-9]+\.[0-9]{9}$ ]] && [ "$secs" -ge "$start" ] && [ "$secs" -le "$end" ]; then
		ok "$name: handshake timestamp $hs within the pings ($start..$end)"
	else
		not_ok "$name: handshake timestamp within the pings" "got '$hs', want $start..$end"
	fi
	expect "$name: the second of wg show latest-handshakes" "$secs" "$(wg_handshake "$name" wg0 "$pub")"
done
expect "b: the endpoint a wrote from is on rampart_peer_info" \
	"$(grep -c "^rampart_peer_info{interface=\"wg0\",public_key=\"$PUB_A\",name=\"\",endpoint=\"192.168.60.1:51831\",allowed_ips=\"10.20.0.1/32\"} 1\$" "$NS_TMP/after-b")" 1
promtool_ok "a: promtool accepts the output after traffic" after-a

metrics a all
expect "every interface (no IFNAME): exit status 0" "$?" 0
expect "... the same samples as for wg0" "$(grep -v '^rampart_peer_last_handshake' "$NS_TMP/all" | grep -v '_bytes_total')" \
	"$(grep -v '^rampart_peer_last_handshake' "$NS_TMP/after-a" | grep -v '_bytes_total')"
promtool_ok "... promtool accepts it" all

# Drops by reason: three 4-byte datagrams to a's port are invalid messages.
drop_sample() { sample "$1" rampart_drops_total ',reason="invalid_message"'; }
drops_before=$(drop_sample all)
setup "three junk datagrams to a" ns_run b bash -c \
	'for i in 1 2 3; do printf junk > /dev/udp/192.168.60.1/51831; done'
drops_are() { metrics a drops wg0 && [ "$(drop_sample drops)" = "$1" ]; }
if wait_for 5 drops_are $((${drops_before:-0} + 3)); then
	ok "three junk datagrams: rampart_drops_total{reason=\"invalid_message\"} $(drop_sample drops)"
else
	not_ok "three junk datagrams: rampart_drops_total{reason=\"invalid_message\"} +3" \
		"before '${drops_before}', now '$(drop_sample drops)'" "$(grep drops_total "$NS_TMP/drops")"
fi
promtool_ok "... promtool accepts it" drops

ns_daemon_stop b wg0
expect "b's daemon exits 0 on SIGTERM" "$?" 0
metrics a down-b-check wg0
expect "a still answers after b stopped" "$(sample down-b-check rampart_up)" 1
ns_daemon_stop a wg0
expect "a's daemon exits 0 on SIGTERM" "$?" 0
metrics a gone wg0
expect "a stopped: exit status 1" "$?" 1
expect "... rampart_up 0" "$(sample gone rampart_up)" 0
expect "... one line on stderr" "$(wc -l < "$NS_TMP/gone.err")" 1
promtool_ok "... promtool accepts it" gone
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
