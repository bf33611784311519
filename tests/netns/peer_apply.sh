#!/bin/bash
# rampart peer apply against a hub running $DUT: the interface follows the
# inventory with syncconf's semantics.  A generated peer is added, a
# pending one is not, a key the inventory does not know is removed; a
# second apply changes nothing (the session and its counters carry on);
# the peer's handshake and endpoint are kept in the inventory; disable
# takes the peer off, enable and approve put peers on.  Every change
# (add, approve, disable, enable) applies at once when the interface is
# running, so apply itself then finds the interface up to date.  Needs the SQLite
# store and `rampart peer` (init, add, disable, enable, approve) with
# apply in its table; without them it bails out at init.
#
#   ns a ($PEER_IMPL, alice's key)         ns hub ($DUT, :51950)
#   wg0 10.95.0.2  <====>  a-hub 192.168.95.2 -- hub-a 192.168.95.1
#                                                 wg0 10.95.0.1
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
impl_is_rampartd "$DUT" || bail "DUT must be rampartd"
need_tool "$PYTHON" wg
ns_watchdog 120

export RAMPART_DB=$NS_TMP/inventory.db
P() { ns_run hub env RAMPART_DB="$RAMPART_DB" "$RAMPART" peer "$@"; }
# jq EXPR: reads JSON on stdin as d, succeeds when EXPR is true.
jq() { "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
peers() { ns_wg hub show wg0 peers | sort | tr '\n' ' '; }

keys() { for k in hub stray; do wg_key $k >/dev/null || return 1; done; }
setup "keys" keys
PUB_HUB=$(cat "$NS_TMP/hub.pub")
PUB_STRAY=$(cat "$NS_TMP/stray.pub")
for n in hub a; do setup "namespace $n" ns_add $n; done
setup "veth hub-a" ns_link hub a 192.168.95.1/24 192.168.95.2/24
setup "$DUT in hub" ns_daemon hub "$DUT" wg0
setup "$PEER_IMPL in a" ns_daemon a "$PEER_IMPL" wg0
setup "configure hub" ns_wg hub set wg0 private-key "$NS_TMP/hub.key" listen-port 51950 \
	peer "$PUB_STRAY" allowed-ips 10.95.0.99/32
setup "addresses hub" wg_if_up hub wg0 10.95.0.1/24
setup "init" P init -i wg0 --endpoint 192.168.95.1:51950 --pool 10.95.0.0/24 \
	--public-key "$PUB_HUB"
P add alice --owner alice --generate >"$NS_TMP/alice.conf" 2>"$NS_TMP/alice.err" ||
	bail "setup failed: add alice --generate" "$(cat "$NS_TMP/alice.err")"
PRIV_A=$(sed -n 's/^PrivateKey = //p' "$NS_TMP/alice.conf")
PUB_A=$(printf '%s\n' "$PRIV_A" | wg pubkey)
printf '%s\n' "$PRIV_A" >"$NS_TMP/alice.key"
PUB_BOB=$(wg genkey | wg pubkey)
printf 'Name = bob\nPublicKey = %s\n' "$PUB_BOB" >"$NS_TMP/bob.req"
setup "add bob --request (pending)" P add --owner bob --request "$NS_TMP/bob.req"

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"

# ---- every change follows at once; apply finds it done ------------------------------
expect "after add: the hub holds alice alone (bob is pending, the stray key gone)" \
	"$(peers)" "$PUB_A "
expect "... with her address" "$(wg_show_field hub wg0 allowed-ips "$PUB_A")" "10.95.0.2/32"
P apply --json >"$NS_TMP/apply1" 2>"$NS_TMP/apply1.err"
expect "apply: exit 0" "$?" 0
jq "d['added'] == 0 and d['removed'] == 0 and d['changed'] == 0" <"$NS_TMP/apply1" &&
	ok "... nothing left to do" ||
	not_ok "... nothing left to do" "$(cat "$NS_TMP/apply1" "$NS_TMP/apply1.err")"
setup "a stray key set by hand" ns_wg hub set wg0 peer "$PUB_STRAY" allowed-ips 10.95.0.99/32
P apply --json >"$NS_TMP/apply1b" 2>"$NS_TMP/apply1b.err"
jq "d['added'] == 0 and d['removed'] == 1 and d['changed'] == 0" <"$NS_TMP/apply1b" &&
	ok "apply removes a key the inventory does not know, and nothing else" ||
	not_ok "apply removes a key the inventory does not know, and nothing else" "$(cat "$NS_TMP/apply1b" "$NS_TMP/apply1b.err")"
expect "... the hub holds alice alone again" "$(peers)" "$PUB_A "

setup "configure a" ns_wg a set wg0 private-key "$NS_TMP/alice.key" listen-port 51951 \
	peer "$PUB_HUB" allowed-ips 10.95.0.0/24 endpoint 192.168.95.1:51950
setup "addresses a" wg_if_up a wg0 10.95.0.2/24
check "alice reaches the hub" ns_ping a -c 3 -W 2 -i 0.2 10.95.0.1

# ---- a second apply changes nothing ----------------------------------------------
HS=$(wg_handshake hub wg0 "$PUB_A")
RX=$(wg_transfer hub wg0 "$PUB_A" | cut -d' ' -f1)
P apply >"$NS_TMP/apply2" 2>&1
expect "a second apply: exit 0" "$?" 0
expect "... says it is up to date" "$(cat "$NS_TMP/apply2")" "wg0: up to date"
expect "... alice's handshake is the same" "$(wg_handshake hub wg0 "$PUB_A")" "$HS"
check "... her counters carry on (the peer was not re-created)" \
	[ "$(wg_transfer hub wg0 "$PUB_A" | cut -d' ' -f1)" -ge "$RX" ]
P show alice --json | jq "d['last_handshake'] is not None and d['last_endpoint'] == '192.168.95.2:51951'" &&
	ok "the inventory keeps alice's handshake and endpoint" ||
	not_ok "the inventory keeps alice's handshake and endpoint" "$(P show alice --json)"

# ---- state changes follow ------------------------------------------------------
setup "disable alice" P disable alice
expect "disable takes alice off at once" "$(peers)" ""
fails_ping() { ! ns_ping a -c 2 -W 1 -i 0.2 10.95.0.1; }
check "... and she cannot reach the hub" fails_ping
setup "enable alice" P enable alice --expires 30d
setup "approve bob" P approve bob
P apply --json >"$NS_TMP/apply3" 2>&1
jq "d['added'] == 0 and d['removed'] == 0" <"$NS_TMP/apply3" &&
	ok "after enable and approve: apply finds both on already" || not_ok "after enable and approve: apply finds both on already" "$(cat "$NS_TMP/apply3")"
expect "... the hub holds both" "$(peers)" "$(printf '%s\n%s\n' "$PUB_A" "$PUB_BOB" | sort | tr '\n' ' ')"
# Her client still holds the session the hub forgot: it starts a new
# handshake once its data goes unanswered (KEEPALIVE + REKEY_TIMEOUT, 15 s).
check "alice reaches the hub again (after her client's new handshake)" \
	wait_for 30 ns_ping a -c 1 -W 1 10.95.0.1

ns_daemon_stop hub wg0
expect "the hub exits 0 on SIGTERM" "$?" 0
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
