#!/bin/bash
# Rotation with overlap (docs/rotation.md) against a hub running $DUT: a
# client sending with iperf3 switches to a new key in the middle of the
# transfer.  The client and a bystander are peers of the hub's inventory;
# `rampart peer rotate a --request FILE` gives the hub the new key with
# rampart_takeover=OLD (the apply step's set); at the new key's first
# handshake the hub moves the client's address to it and removes the old
# key, and the next `rampart peer apply` records the new key as the
# peer's.  The edge cases of rampart_takeover itself come after, as raw
# sets over the control socket.  The
# transfer goes on in both directions (iperf3 --bidir; the longest run of
# empty 0.2 s intervals is measured and reported), the old key is refused afterwards (a second client with
# it cannot handshake: drop_unknown_peer rises), and in no sample of `wg
# show wg0 allowed-ips`, every 50 ms across the switch, do two peers hold
# one address.
#
#   ns a ($PEER_IMPL, key OLD then NEW)   ns hub ($DUT, :51900)    ns b ($PEER_IMPL, key OLD)
#   wg0 10.90.0.2  <====>  a-hub .90.2 -- hub-a 192.168.90.1
#                                         wg0 10.90.0.1
#                          b-hub .91.2 -- hub-b 192.168.91.1  <====>  wg0 10.90.0.5
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
impl_is_rampartd "$DUT" || bail "DUT must be rampartd: rampart_takeover is Rampart's"
need_tool iperf3 "$PYTHON"
ns_watchdog 120

keys() { for k in hub old new other third; do wg_key $k >/dev/null || return 1; done; }
setup "keys" keys
PUB_HUB=$(cat "$NS_TMP/hub.pub")
PUB_OLD=$(cat "$NS_TMP/old.pub")
PUB_NEW=$(cat "$NS_TMP/new.pub")
PUB_OTHER=$(cat "$NS_TMP/other.pub")
PUB_THIRD=$(cat "$NS_TMP/third.pub")
for n in hub a b; do setup "namespace $n" ns_add $n; done
setup "veth hub-a" ns_link hub a 192.168.90.1/24 192.168.90.2/24
setup "veth hub-b" ns_link hub b 192.168.91.1/24 192.168.91.2/24
setup "$DUT in hub" ns_daemon hub "$DUT" wg0
setup "$PEER_IMPL in a" ns_daemon a "$PEER_IMPL" wg0
setup "$PEER_IMPL in b" ns_daemon b "$PEER_IMPL" wg0
# A bystander peer on the hub, whose address must not move.
setup "configure hub" ns_wg hub set wg0 private-key "$NS_TMP/hub.key" listen-port 51900
export RAMPART_DB=$NS_TMP/inventory.db
P() { ns_run hub env RAMPART_DB="$RAMPART_DB" "$RAMPART" peer "$@"; }
Pq() { P "$@" >/dev/null 2>&1; }
request() { printf 'Name = %s\nPublicKey = %s\n' "$1" "$2" >"$NS_TMP/$1.req"; }
request a "$PUB_OLD"; request other "$PUB_OTHER"; request new "$PUB_NEW"
setup "inventory: init" Pq init -i wg0 --endpoint 192.168.90.1:51900 --pool 10.90.0.1/24 \
	--public-key "$PUB_HUB"
setup "inventory: a, the client (old key)" Pq add a --owner a --request "$NS_TMP/a.req"
setup "... approved" Pq approve a
setup "inventory: the bystander" Pq add other --owner o --request "$NS_TMP/other.req"
setup "... approved" Pq approve other
OTHER_ADDR=$(wg_show_field hub wg0 allowed-ips "$PUB_OTHER")
expect "the hub holds a's address 10.90.0.2 and the bystander's ($OTHER_ADDR)" \
	"$(wg_show_field hub wg0 allowed-ips "$PUB_OLD")" "10.90.0.2/32"
setup "configure a" ns_wg a set wg0 private-key "$NS_TMP/old.key" listen-port 51901 \
	peer "$PUB_HUB" allowed-ips 10.90.0.0/24 endpoint 192.168.90.1:51900
setup "addresses hub" wg_if_up hub wg0 10.90.0.1/24
setup "addresses a" wg_if_up a wg0 10.90.0.2/24
setup "addresses b" wg_if_up b wg0 10.90.0.5/24

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"

# ---- before: the old key works ---------------------------------------------------
check "a reaches the hub with the old key" ns_ping a -c 3 -W 2 -i 0.2 10.90.0.1
check "... a handshake of the old key on the hub" has_handshake hub wg0 "$PUB_OLD"

# drops NAME: the hub's rampart_drop_NAME counter (0 when absent).
drops() {
	local v
	v=$(printf 'get=1\n\n' | uapi hub wg0 | sed -n "s/^rampart_drop_$1=//p")
	echo "${v:-0}"
}

# ---- the transfer, the samples, the switch -----------------------------------------
setup "iperf3 server in hub" ns_iperf_server hub 10.90.0.1
# The sampler: every 50 ms, one block of `wg show wg0 allowed-ips` ended
# by "--", until the stop file appears.
sampler() {
	while [ ! -e "$NS_TMP/sampler.stop" ]; do
		ns_wg hub show wg0 allowed-ips
		echo --
		sleep 0.05
	done >"$NS_TMP/samples" 2>&1
}
sampler &
SAMPLER=$!
nsenter -t "${NS_HOLDER[a]}" -m -n -- timeout -k 2 30 \
	iperf3 -J -c 10.90.0.1 -t 10 -i 0.2 --bidir >"$NS_TMP/iperf.json" 2>&1 </dev/null &
IPERF=$!
sleep 2
# The new key, announced to the hub through the inventory: no allowed IPs
# of its own, OLD's at its first handshake.
P rotate a --request "$NS_TMP/new.req" --window 1h >"$NS_TMP/rotate.out" 2>&1
expect "rampart peer rotate a --request: exit 0" "$?" 0
expect "... the new key is on the hub, with no allowed IPs yet" \
	"$(wg_show_field hub wg0 allowed-ips "$PUB_NEW")" "(none)"
expect "... and the old key keeps the address" \
	"$(wg_show_field hub wg0 allowed-ips "$PUB_OLD")" "10.90.0.2/32"
sleep 1
# The client switches keys at a moment of its own choosing.
check "a switches to the new private key" ns_wg a set wg0 private-key "$NS_TMP/new.key"
wait "$IPERF"
expect "iperf3 through the switch: exit 0" "$?" 0
touch "$NS_TMP/sampler.stop"
wait "$SAMPLER"

# ---- the transfer went on --------------------------------------------------------
# Both directions (--bidir): the client's own stream (a -> hub, "sum")
# and the hub's (hub -> a, "sum_bidir_reverse", received by a).  Per
# direction: bytes, the longest run of empty intervals, and the smallest
# interval against the median one.
NS_PY_PAUSE='
import json, sys
j = json.load(open(sys.argv[1]))
for key in ("sum", "sum_bidir_reverse"):
    b = [iv[key]["bytes"] for iv in j["intervals"]]
    secs = [iv[key]["seconds"] for iv in j["intervals"]]
    longest = run = 0.0
    for n, s in zip(b, secs):
        run = run + s if n == 0 else 0.0
        longest = max(longest, run)
    med = sorted(b)[len(b) // 2]
    print("%s %d %.2f %d %d %d" % (key, sum(b), longest, len(b), min(b), med))
'
PAUSES=$("$PYTHON" -c "$NS_PY_PAUSE" "$NS_TMP/iperf.json" 2>/dev/null)
while read -r dir bytes pause n_iv min med; do
	echo "# iperf3 $dir: $bytes bytes in $n_iv intervals of 0.2 s; longest pause (empty intervals in a row): $pause s; smallest interval $min bytes, median $med"
done <<<"$PAUSES"
check "both directions carried data" \
	[ "$(awk '$2 > 1000000' <<<"$PAUSES" | wc -l)" -eq 2 ]
check "the longest pause is under 2 s either way (one handshake and a TCP retransmission)" \
	[ "$(awk '$3 < 2.0' <<<"$PAUSES" | wc -l)" -eq 2 ]

# ---- the hub after the switch --------------------------------------------------
expect "the new key holds the address" "$(wg_show_field hub wg0 allowed-ips "$PUB_NEW")" "10.90.0.2/32"
old_gone() { ! ns_wg hub show wg0 peers | grep -qxF -- "$PUB_OLD"; }
check "the old key is gone from the hub" old_gone
expect "the bystander keeps its address" "$(wg_show_field hub wg0 allowed-ips "$PUB_OTHER")" "$OTHER_ADDR"
check "the hub logged the takeover" grep -q "took over 1 allowed IP(s) from peer $PUB_OLD" \
	"${NS_DLOG[hub/wg0]}"
check "a reaches the hub with the new key" ns_ping a -c 3 -W 2 -i 0.2 10.90.0.1
P apply --json >"$NS_TMP/apply.json" 2>&1
expect "rampart peer apply records the completed rotation" \
	"$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["rotated"])' "$NS_TMP/apply.json" 2>&1)" 1
expect "... the inventory's key for a is the new one" \
	"$(P show a --json | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); print(d["public_key"] == sys.argv[1] and d["next_key"] is None)' "$PUB_NEW")" True

# ---- the samples: one owner per address, at every moment ------------------------
NS_PY_SAMPLES='
import sys
blocks = open(sys.argv[1]).read().split("--\n")
new, old = sys.argv[2], sys.argv[3]
n = shared = overlap = after = 0
for b in blocks:
    owners = {}
    keys = set()
    for line in b.splitlines():
        f = line.split("\t")
        if len(f) != 2:
            continue
        keys.add(f[0])
        for a in f[1].split():
            if a != "(none)":
                owners.setdefault(a, []).append(f[0])
    if not keys:
        continue
    n += 1
    if any(len(v) > 1 for v in owners.values()):
        shared += 1
    if new in keys and old in keys:
        overlap += 1
    if new in keys and old not in keys:
        after += 1
print(n, shared, overlap, after)
'
read -r N_S SHARED OVERLAP AFTER < <("$PYTHON" -c "$NS_PY_SAMPLES" "$NS_TMP/samples" "$PUB_NEW" "$PUB_OLD")
echo "# $N_S samples: $OVERLAP with both keys on the hub, $AFTER with the new key alone"
check "samples span the overlap (both keys) and the time after (the new key alone)" \
	[ "${OVERLAP:-0}" -gt 0 ] && [ "${AFTER:-0}" -gt 0 ]
expect "no sample has two peers holding one address" "${SHARED:-x}" 0

# ---- the old key is refused afterwards -------------------------------------------
BEFORE=$(drops unknown_peer)
setup "configure b with the old key" ns_wg b set wg0 private-key "$NS_TMP/old.key" \
	listen-port 51902 peer "$PUB_HUB" allowed-ips 10.90.0.0/24 endpoint 192.168.91.1:51900
b_refused() { ! ns_ping b -c 2 -W 2 -i 0.5 10.90.0.1; }
check "b with the old key cannot reach the hub" b_refused
expect "... and has no handshake" "$(wg_handshake b wg0 "$PUB_HUB")" 0
AFTER_DROPS=$(drops unknown_peer)
check "... the hub counts its initiations as unknown_peer ($BEFORE -> $AFTER_DROPS)" \
	[ "$AFTER_DROPS" -gt "$BEFORE" ]

# ---- a new key that has had its handshake takes over at once -----------------------
setup "hub: the third key, no allowed IPs" ns_wg hub set wg0 peer "$PUB_THIRD"
setup "b switches to the third key" ns_wg b set wg0 private-key "$NS_TMP/third.key"
ns_ping b -c 1 -W 1 10.90.0.1 >/dev/null 2>&1 # starts the handshake; no reply is routed
check "the third key completes a handshake on the hub" wait_handshake hub wg0 "$PUB_THIRD"
printf 'set=1\npublic_key=%s\nrampart_takeover=%s\n\n' "$(key_hex "$PUB_THIRD")" \
	"$(key_hex "$PUB_OTHER")" | uapi hub wg0 >"$NS_TMP/set4.out"
expect "rampart_takeover for a key with a handshake: errno=0" "$(uapi_errno <"$NS_TMP/set4.out")" 0
expect "... it holds the bystander's address at once" \
	"$(wg_show_field hub wg0 allowed-ips "$PUB_THIRD")" "$OTHER_ADDR"
other_gone() { ! ns_wg hub show wg0 peers | grep -qxF -- "$PUB_OTHER"; }
check "... and the bystander's key is gone" other_gone

# ---- a takeover that names no peer is an ordinary peer --------------------------
printf 'set=1\npublic_key=%s\nrampart_takeover=%s\nallowed_ip=10.90.0.7/32\n\n' \
	"$(key_hex "$PUB_OLD")" "$(key_hex "$PUB_HUB")" | uapi hub wg0 >"$NS_TMP/set2.out"
expect "rampart_takeover naming no peer: errno=0" "$(uapi_errno <"$NS_TMP/set2.out")" 0
expect "... the peer is there with its own allowed IP" \
	"$(wg_show_field hub wg0 allowed-ips "$PUB_OLD")" "10.90.0.7/32"
printf 'set=1\npublic_key=%s\nrampart_takeover=zz\n\n' "$(key_hex "$PUB_NEW")" |
	uapi hub wg0 >"$NS_TMP/set3.out"
expect "a malformed rampart_takeover: errno=-22" "$(uapi_errno <"$NS_TMP/set3.out")" -22
showconf() { ns_wg hub showconf wg0 >"$NS_TMP/showconf" && grep -q "$PUB_NEW" "$NS_TMP/showconf"; }
check "wg(8) reads the hub's configuration back (showconf)" showconf

ns_daemon_stop hub wg0
expect "the hub exits 0 on SIGTERM" "$?" 0
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
