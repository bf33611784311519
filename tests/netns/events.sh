#!/bin/bash
# rampart events against a hub running $DUT, with wireguard-go and
# rampartd clients: exactly one handshake event per handshake on each
# rampartd side, roaming with both addresses, allowed IPs moved from one
# peer to another, peers added, changed and removed, and failed handshakes
# from a client with the wrong server key, whose flood gives a bounded
# number of events and log lines; --since, --follow, --json, and the
# errors (wireguard-go does not report events, a bad --since).
#
#   ns a ($PEER_IMPL)       ns hub ($DUT, :51880)          ns b ($DUT)
#   wg0 10.70.0.2  <====>   wg0 10.70.0.1          <====>  wg0 10.70.0.3
#   a-hub .70.2 -> .70.3    hub-a 192.168.70.1   hub-b 192.168.71.1   b-hub .71.2
#                           hub-c 192.168.72.1
#   ns c ($PEER_IMPL with the wrong public key for the hub): c-hub
#   192.168.72.2, and 192.168.72.3 for a flood of bad initiations
#
# The stale event (REJECT_AFTER_TIME, 180 s, after the last handshake)
# and load are timed in tests/unit/test_events.c on a fake clock.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
impl_is_rampartd "$DUT" || bail "DUT must be rampartd: events are Rampart's"
ns_watchdog 120

keys() { for k in hub a b c x; do wg_key $k >/dev/null || return 1; done; }
setup "keys" keys
PUB_HUB=$(cat "$NS_TMP/hub.pub")
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")
PUB_X=$(cat "$NS_TMP/x.pub")
for n in hub a b c; do setup "namespace $n" ns_add $n; done
setup "veth hub-a" ns_link hub a 192.168.70.1/24 192.168.70.2/24
setup "veth hub-b" ns_link hub b 192.168.71.1/24 192.168.71.2/24
setup "veth hub-c" ns_link hub c 192.168.72.1/24 192.168.72.2/24
setup "second address in c" ip -n "$(ns_name c)" addr add 192.168.72.3/24 dev c-hub
# The statistics socket's group, for the events of a user who is not root.
STATS_GID=4712
RAMPART_STATS_GROUP=$STATS_GID setup "$DUT in hub" ns_daemon hub "$DUT" wg0
setup "$PEER_IMPL in a" ns_daemon a "$PEER_IMPL" wg0
setup "$DUT in b" ns_daemon b "$DUT" wg0
setup "$PEER_IMPL in c" ns_daemon c "$PEER_IMPL" wg0
setup "configure hub" ns_wg hub set wg0 private-key "$NS_TMP/hub.key" listen-port 51880 \
	peer "$PUB_A" allowed-ips 10.70.0.2/32 peer "$PUB_B" allowed-ips 10.70.0.3/32
setup "configure a" ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51881 \
	peer "$PUB_HUB" allowed-ips 10.70.0.0/24 endpoint 192.168.70.1:51880
setup "configure b" ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51882 \
	peer "$PUB_HUB" allowed-ips 10.70.0.0/24 endpoint 192.168.71.1:51880
# c believes the hub's key is x's: its mac1 is keyed wrongly.
setup "configure c" ns_wg c set wg0 private-key "$NS_TMP/c.key" listen-port 51883 \
	peer "$PUB_X" allowed-ips 10.70.0.0/24 endpoint 192.168.72.1:51880
setup "addresses hub" wg_if_up hub wg0 10.70.0.1/24
setup "addresses a" wg_if_up a wg0 10.70.0.2/24
setup "addresses b" wg_if_up b wg0 10.70.0.3/24
setup "addresses c" wg_if_up c wg0 10.70.0.4/24

# events NAME OUT [ARGS...]: rampart events wg0 in NAME into $NS_TMP/OUT.
events() {
	local name=$1 out=$2; shift 2
	ns_run "$name" "$RAMPART" events wg0 "$@" >"$NS_TMP/$out" 2>"$NS_TMP/$out.err"
}
# count OUT PATTERN...: lines of $NS_TMP/OUT holding every fixed string.
count() {
	local data p
	data=$(cat "$NS_TMP/$1" 2>/dev/null); shift
	for p in "$@"; do data=$(grep -F -- "$p" <<<"$data"); done
	if [ -n "$data" ]; then grep -c . <<<"$data"; else echo 0; fi
}
# seen NAME N PATTERN...: NAME's events hold N lines with every pattern.
seen() {
	local name=$1 n=$2; shift 2
	events "$name" seen && [ "$(count seen "$@")" -eq "$n" ]
}

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"

# ---- peers added --------------------------------------------------------
events hub start
expect "rampart events: exit 0" "$?" 0
expect "hub: one peer_added for a" "$(count start "event=peer_added peer=$PUB_A")" 1
expect "hub: one peer_added for b" "$(count start "event=peer_added peer=$PUB_B")" 1
expect "each line starts with a UTC time" \
	"$(grep -c -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z event=' "$NS_TMP/start")" \
	"$(grep -c . "$NS_TMP/start")"

# ---- handshakes ------------------------------------------------------------
check "a ($PEER_IMPL) pings the hub" ns_ping a -c 3 -i 0.2 -w 10 10.70.0.1
check "b ($DUT) pings the hub" ns_ping b -c 3 -i 0.2 -w 10 10.70.0.1
check "hub: exactly one handshake with a, as responder, not a rekey" \
	wait_for 5 seen hub 1 "event=handshake peer=$PUB_A endpoint=192.168.70.2:51881 role=responder rekey=no"
expect "hub: no other handshake with a" "$(count seen "event=handshake peer=$PUB_A")" 1
check "hub: exactly one handshake with b, as responder" \
	seen hub 1 "event=handshake peer=$PUB_B endpoint=192.168.71.2:51882 role=responder rekey=no"
check "b: exactly one handshake with the hub, as initiator" \
	wait_for 5 seen b 1 "event=handshake peer=$PUB_HUB endpoint=192.168.71.1:51880 role=initiator rekey=no"
expect "b: no other handshake" "$(count seen "event=handshake")" 1

# ---- roaming -------------------------------------------------------------------
na=$(ns_name a)
setup "a moves to 192.168.70.3, port 51891" sh -c \
	"ip -n $na addr del 192.168.70.2/24 dev a-hub && ip -n $na addr add 192.168.70.3/24 dev a-hub"
setup "a's new port" ns_wg a set wg0 listen-port 51891
check "a pings from its new address" ns_ping a -c 1 -W 3 10.70.0.1
check "hub: one endpoint_changed with the old and the new address" \
	wait_for 5 seen hub 1 "event=endpoint_changed peer=$PUB_A old=192.168.70.2:51881 new=192.168.70.3:51891"
expect "hub: only one endpoint_changed" "$(count seen "event=endpoint_changed")" 1

# ---- allowed IPs moved, peers changed and removed -------------------------------
since_move=$(date +%s.%N)
setup "b claims a's /32" ns_wg hub set wg0 peer "$PUB_B" allowed-ips 10.70.0.3/32,10.70.0.2/32
check "hub: one allowed_ip_moved, 10.70.0.2/32 from a to b" \
	seen hub 1 "event=allowed_ip_moved peer=$PUB_B allowed_ip=10.70.0.2/32 from=$PUB_A"
check "hub: b changed, its allowed IPs" seen hub 1 "event=peer_changed peer=$PUB_B changed=allowed_ips"
setup "the same set again" ns_wg hub set wg0 peer "$PUB_B" allowed-ips 10.70.0.2/32,10.70.0.3/32
check "control: the same allowed IPs again (other order) are no change" \
	seen hub 1 "event=peer_changed peer=$PUB_B"
setup "keepalive for a" ns_wg hub set wg0 peer "$PUB_A" persistent-keepalive 25
check "hub: a changed, its keepalive" seen hub 1 "event=peer_changed peer=$PUB_A changed=persistent_keepalive"

# ---- failed handshakes and their bound -----------------------------------------------
# c's wireguard-go tries to reach the hub (10.70.0.1) with the wrong key.
ns_run c ping -n -q -c 1 -W 1 10.70.0.1 >/dev/null 2>&1
check "hub: a handshake_failed, invalid_mac1, from c's address" \
	wait_for 10 seen hub 1 "event=handshake_failed reason=invalid_mac1 source=192.168.72.2:51883"
# c's client stops, so that the flood is the only source of failures.
ns_daemon_stop c wg0
expect "c's $PEER_IMPL stops" "$?" 0

# hub_counter NAME [LABELS]: a sample of wg0 in the hub's metrics, with
# these further labels (",reason=\"x\""); "" if none.
hub_counter() {
	ns_run hub "$RAMPART" metrics wg0 2>/dev/null |
		awk -v m="$1{interface=\"wg0\"$2}" '$1 == m { print $NF }'
}
# udp_rcvbuf_errors: datagrams the hub's kernel dropped for a full
# socket buffer (Udp: RcvbufErrors in /proc/net/snmp).
udp_rcvbuf_errors() {
	ns_run hub cat /proc/net/snmp | awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next }
		$1 == "Udp:" { print $c }'
}
mac1_0=$(hub_counter rampart_drops_total ',reason="invalid_mac1"')
qfull_0=$(hub_counter rampart_handshake_queue_full_total); qfull_0=${qfull_0:-0}
rcvbuf_0=$(udp_rcvbuf_errors)
supp_0=$(hub_counter rampart_events_suppressed_total); supp_0=${supp_0:-0}
# A flood from 192.168.72.3: FLOOD initiations of the right size whose
# mac1 is random.
FLOOD=2000
NS_PY_FLOOD='
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.168.72.3", 40000))
for i in range(int(sys.argv[1])):
    s.sendto(b"\x01\x00\x00\x00" + os.urandom(144), ("192.168.72.1", 51880))
    if i % 100 == 99:
        time.sleep(0.01)
'
setup "the flood" ns_run c "$PYTHON" -c "$NS_PY_FLOOD" "$FLOOD"
accounted() {
	local mac1 qfull rcvbuf
	mac1=$(hub_counter rampart_drops_total ',reason="invalid_mac1"')
	qfull=$(hub_counter rampart_handshake_queue_full_total)
	rcvbuf=$(udp_rcvbuf_errors)
	MAC1=$((mac1 - mac1_0)) QFULL=$(( ${qfull:-0} - qfull_0 )) RCVBUF=$((rcvbuf - rcvbuf_0))
	[ $((MAC1 + QFULL + RCVBUF)) -eq "$FLOOD" ]
}
check "every datagram of the flood is counted: invalid_mac1 drops + a full queue + a full socket buffer = $FLOOD" \
	wait_for 10 accounted
echo "# the flood: $MAC1 invalid_mac1 drops, $QFULL with the handshake queue full, $RCVBUF with the socket buffer full"
check "the flood's source gets exactly 3 events (EVENTS_SOURCE_BURST)" \
	seen hub 3 "event=handshake_failed reason=invalid_mac1 source=192.168.72.3:40000"
logged=$(grep -c -F "event=handshake_failed reason=invalid_mac1 source=192.168.72.3:40000" \
	"${NS_DLOG[hub/wg0]}")
expect "... and exactly 3 log lines for $FLOOD bad initiations" "$logged" 3
supp=$(hub_counter rampart_events_suppressed_total)
expect "the rest are counted: rampart_events_suppressed_total rose by the drops less 3" \
	"$(( ${supp:-0} - supp_0 ))" "$((MAC1 - 3))"

# ---- names, --since, --json, --follow ------------------------------------------------
printf '[Interface]\nPrivateKey = %s\n\n[Peer]\n# Name = alice laptop\nPublicKey = %s\nAllowedIPs = 10.70.0.2/32\n' \
	"$(cat "$NS_TMP/hub.key")" "$PUB_A" > "$NS_TMP/names.conf"
events hub names --config "$NS_TMP/names.conf"
check "--config: a's events carry its name (quoted: it has a space)" \
	[ "$(count names "peer=$PUB_A " 'name="alice laptop"')" -ge 3 ]
expect "... and b's none" "$(count names "peer=$PUB_B " "name=")" 0

events hub since --since "@$since_move"
expect "--since: exit 0" "$?" 0
expect "--since leaves out what came before (no handshake)" "$(count since "event=handshake ")" 0
check "--since keeps what came after (the move)" [ "$(count since "event=allowed_ip_moved")" -eq 1 ]
events hub json --json
expect "--json: exit 0" "$?" 0
NS_PY_JSONL='
import json, sys
n = 0
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert e["interface"] == "wg0" and isinstance(e["seq"], int) and isinstance(e["timestamp"], float)
    assert e["time"].endswith("Z") and "event" in e
    if e["event"] == "endpoint_changed":
        assert e["old"] == "192.168.70.2:51881" and e["new"] == "192.168.70.3:51891", e
        n += 1
print(n)
'
expect "--json: one object per line, the roaming one with old and new" \
	"$("$PYTHON" -c "$NS_PY_JSONL" "$NS_TMP/json" 2>&1)" 1

nsenter -t "${NS_HOLDER[hub]}" -m -n -- "$RAMPART" events wg0 --follow --json \
	>"$NS_TMP/follow" 2>"$NS_TMP/follow.err" </dev/null &
fpid=$!
wait_for 5 grep -q peer_added "$NS_TMP/follow"
setup "remove b" ns_wg hub set wg0 peer "$PUB_B" remove
check "--follow: the removal arrives" wait_for 5 grep -q "\"event\":\"peer_removed\",\"peer\":\"$PUB_B\"" "$NS_TMP/follow"
kill -TERM "$fpid"
wait "$fpid"
expect "--follow ends with exit 0 on SIGTERM" "$?" 0
expect "--follow printed every event once" \
	"$(grep -c '"event":"peer_removed"' "$NS_TMP/follow")" 1

# ---- not root: the statistics socket's group --------------------------------------------
# as_user GROUPS OUT: rampart events wg0 as nobody with these groups.
# (LeakSanitizer cannot trace a process that changed its uid.)
as_user() {
	ns_run hub env ASAN_OPTIONS=detect_leaks=0 setpriv --reuid=65534 --regid=65534 \
		--groups="$1" "$RAMPART" events wg0 >"$NS_TMP/$2" 2>"$NS_TMP/$2.err"
}
as_user "$STATS_GID" nobody
expect "nobody in the statistics group: exit 0, over the statistics socket" "$?" 0
check "... the same events (the roaming one)" [ "$(count nobody "event=endpoint_changed")" -eq 1 ]
as_user 4713 stranger
expect "nobody in another group: exit 1" "$?" 1
check "... with the control socket's refusal" grep -q "Permission denied" "$NS_TMP/stranger.err"

# ---- errors -------------------------------------------------------------------------
events a wggo
expect "against $PEER_IMPL: exit 1" "$?" 1
check "... saying it does not report events" grep -q "does not report events" "$NS_TMP/wggo.err"
events hub badsince --since yesterday
expect "--since yesterday: exit 2" "$?" 2
check "... naming the value" grep -q "\`yesterday'" "$NS_TMP/badsince.err"
ns_run hub "$RAMPART" events >/dev/null 2>"$NS_TMP/noif.err"
expect "no interface: exit 2" "$?" 2

ns_daemon_stop hub wg0
expect "the hub exits 0 on SIGTERM" "$?" 0
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
