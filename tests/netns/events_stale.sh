#!/bin/bash
# The stale event in a real run: a client ($PEER_IMPL) handshakes with the
# hub ($DUT) and goes away; the hub says event=peer_stale for it once the
# session's lifetime (REJECT_AFTER_TIME, 180 s) has passed with no new
# handshake, in `rampart events` and in its log.  A peer that never
# connected gets none (the negative control).
#
# The hub runs with RAMPART_DEBUG_CLOCK_RATE=10, the debug build's
# shortened clock (src/daemon/daemon.c): 180 s of protocol time pass in
# 18 s.  The exact moment is tests/unit/test_device_events.c's, on a fake
# clock; this is the wiring, core to ring to log and CLI.  A DUT without
# the knob (a release build) is skipped, not passed.
#
#   ns a ($PEER_IMPL)                    ns hub ($DUT, clock x10)
#   wg0 10.71.0.2   <==== tunnel ====>   wg0 10.71.0.1 :51885
#   a-hub 192.168.73.2 ---- veth ----    hub-a 192.168.73.1
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
impl_is_rampartd "$DUT" || bail "DUT must be rampartd: events are Rampart's"
ns_watchdog 90

keys() { for k in hub a b; do wg_key $k >/dev/null || return 1; done; }
setup "keys" keys
PUB_HUB=$(cat "$NS_TMP/hub.pub")
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")
setup "namespace hub" ns_add hub
setup "namespace a" ns_add a
setup "veth" ns_link hub a 192.168.73.1/24 192.168.73.2/24
RAMPART_DEBUG_CLOCK_RATE=10 setup "$DUT in hub, clock x10" ns_daemon hub "$DUT" wg0
if ! grep -q "the clock runs 10 times as fast" "${NS_DLOG[hub/wg0]}"; then
	skip "the stale event in a real run" "$DUT has no RAMPART_DEBUG_CLOCK_RATE (not a debug build)"
	finish
	exit 0
fi
setup "$PEER_IMPL in a" ns_daemon a "$PEER_IMPL" wg0
setup "configure hub" ns_wg hub set wg0 private-key "$NS_TMP/hub.key" listen-port 51885 \
	peer "$PUB_A" allowed-ips 10.71.0.2/32 peer "$PUB_B" allowed-ips 10.71.0.3/32
setup "configure a" ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51886 \
	peer "$PUB_HUB" allowed-ips 10.71.0.1/32 endpoint 192.168.73.1:51885
setup "addresses hub" wg_if_up hub wg0 10.71.0.1/24
setup "addresses a" wg_if_up a wg0 10.71.0.2/24

# seen N PATTERN: the hub's events hold N lines with PATTERN.
seen() {
	ns_run hub "$RAMPART" events wg0 >"$NS_TMP/ev" 2>"$NS_TMP/ev.err" &&
		[ "$(grep -c -F -- "$2" "$NS_TMP/ev")" -eq "$1" ]
}

check "a pings the hub" ns_ping a -c 2 -i 0.2 -w 10 10.71.0.1
check "the hub: one handshake with a" wait_for 5 seen 1 "event=handshake peer=$PUB_A "
check "... and no stale event yet" seen 0 "event=peer_stale"
ns_daemon_stop a wg0
expect "a goes away ($PEER_IMPL stopped)" "$?" 0
# 180 s of the hub's clock after the handshake: 18 s here.
check "the hub: one peer_stale for a, with its endpoint" \
	wait_for 40 seen 1 "event=peer_stale peer=$PUB_A endpoint=192.168.73.2:51886 "
age=$(grep -F "event=peer_stale peer=$PUB_A " "$NS_TMP/ev" | sed -n 's/.*last_handshake_age=\([0-9.]*\).*/\1/p')
check "... after the session's lifetime: last_handshake_age=$age, 180 to 185 s" \
	awk -v a="${age:-0}" 'BEGIN { exit !(a >= 180 && a < 185) }'
check "control: b, which never connected, is not stale" seen 0 "event=peer_stale peer=$PUB_B"
check "the log has the same line, with the interface" \
	grep -q -F "event=peer_stale peer=$PUB_A endpoint=192.168.73.2:51886 last_handshake_age=$age interface=wg0" \
	"${NS_DLOG[hub/wg0]}"

ns_daemon_stop hub wg0
expect "the hub exits 0 on SIGTERM" "$?" 0
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
