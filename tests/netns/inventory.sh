#!/bin/bash
# The peer inventory end to end, with real clients: `rampart peer add
# --generate` prints a client config that wg-quick brings up with
# $PEER_IMPL on the client, which then handshakes and pings the hub; the
# QR code PNG of the same command decodes (zbarimg) to exactly that
# config.  Approval: a client that requested its key on its own machine
# (`rampart peer request`) is pending and its handshakes are ignored
# (the hub's unknown_peer drops rise) until `approve`; after `revoke` it
# cannot connect, and adding its key again is refused.  No client's
# private key is in the database, its WAL or the change log.  Rotation
# through the inventory: `rampart peer rotate` puts the new key beside the
# old; the client switches and at the new key's first handshake the old
# one is gone; a window that ends first makes the new key the peer's (on
# the debug build's fake clock, RAMPART_NOW), and so does expiry take a
# peer off the interface, with the change log saying why.  `rampart up`
# of an interface the inventory knows loads its active peers.
#
#   ns alice ($PEER_IMPL, wg-quick)          ns hub ($DUT, :51960)
#   alice-hub 192.168.96.2  ---- veth ----   hub-alice 192.168.96.1
#   ns bob ($PEER_IMPL, wg-quick)            hub-bob   192.168.97.1
#   bob-hub 192.168.97.2    ---- veth ----   wg0 10.96.0.1/24
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
impl_is_rampartd "$DUT" || bail "DUT must be rampartd"
need_tool "$PYTHON" wg wg-quick zbarimg
ns_watchdog 120

export RAMPART_DB=$NS_TMP/inventory.db
P() { ns_run hub env RAMPART_DB="$RAMPART_DB" "$RAMPART" peer "$@"; }
Pq() { P "$@" >/dev/null; }
jq() { "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
drops_unknown() {
	ns_run hub "$RAMPART" metrics wg0 2>/dev/null |
		awk '$1 == "rampart_drops_total{interface=\"wg0\",reason=\"unknown_peer\"}" { print $2 }'
}

keys() { wg_key hub >/dev/null; }
setup "keys" keys
PUB_HUB=$(cat "$NS_TMP/hub.pub")
for n in hub alice bob; do setup "namespace $n" ns_add $n; done
setup "veth hub-alice" ns_link hub alice 192.168.96.1/24 192.168.96.2/24
setup "veth hub-bob" ns_link hub bob 192.168.97.1/24 192.168.97.2/24
setup "$DUT in hub" ns_daemon hub "$DUT" wg0
setup "configure hub" ns_wg hub set wg0 private-key "$NS_TMP/hub.key" listen-port 51960
setup "addresses hub" wg_if_up hub wg0 10.96.0.1/24
setup "init" Pq init -i wg0 --endpoint 192.168.96.1:51960 --pool 10.96.0.1/24 \
	--public-key "$PUB_HUB"
echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"

# ---- add --generate, wg-quick on the client, the QR code -------------------------
P add alice --owner alice --device laptop --generate --qr-png "$NS_TMP/alice.png" \
	>"$NS_TMP/alice.conf" 2>"$NS_TMP/alice.err"
expect "add alice --generate --qr-png: exit 0" "$?" 0
check "the config on stdout has the client's private key and the hub's endpoint" \
	grep -q -x "Endpoint = 192.168.96.1:51960" "$NS_TMP/alice.conf"
PRIV_A=$(sed -n 's/^PrivateKey = //p' "$NS_TMP/alice.conf")
PUB_A=$(printf '%s\n' "$PRIV_A" | wg pubkey 2>/dev/null)
check "... a real private key (wg pubkey takes it)" [ -n "$PUB_A" ]
P show alice --json | jq "d['public_key'] == '$PUB_A' and d['state'] == 'active'" &&
	ok "... alice is active with that public key" || not_ok "... alice is active with that public key" "$(P show alice --json)"
expect "the QR code PNG decodes to exactly the printed config" \
	"$(zbarimg --raw -q --nodbus "$NS_TMP/alice.png" 2>/dev/null | head -c -1 | sha256sum)" \
	"$(sha256sum < "$NS_TMP/alice.conf")"
expect "... the PNG is 0600 (it holds the private key)" "$(stat -c %a "$NS_TMP/alice.png")" 600
expect "the hub already has alice (add applies at once)" \
	"$(ns_wg hub show wg0 allowed-ips | awk -v k="$PUB_A" '$1 == k { print $2 }')" "10.96.0.2/32"
# wg-quick takes the interface's name from the file's.
mkdir -p "$NS_TMP/alice" && cp "$NS_TMP/alice.conf" "$NS_TMP/alice/wga.conf" && chmod 600 "$NS_TMP/alice/wga.conf"
setup "wg-quick up on alice ($PEER_IMPL)" ns_exec alice env WG_QUICK_USERSPACE_IMPLEMENTATION="$PEER_IMPL" \
	sh -c 'wg-quick up "$1" 2>"$2"' - "$NS_TMP/alice/wga.conf" "$NS_TMP/alice/up.log"
check "alice pings the hub through the tunnel" ns_ping alice -c 3 -i 0.2 -w 10 10.96.0.1
check "... after a handshake the hub sees" wait_handshake hub wg0 "$PUB_A"

# ---- approval: request on the client, pending, approve ---------------------------
ns_exec bob sh -c 'cd "$1" && "$2" peer request bob >bob.req 2>bob.req.err' - "$NS_TMP" "$RAMPART"
expect "bob runs rampart peer request on his machine: exit 0" "$?" 0
check "... his private key stays with him, 0600" [ "$(stat -c %a "$NS_TMP/bob.key")" = 600 ]
PUB_B=$(sed -n 's/^PublicKey = //p' "$NS_TMP/bob.req")
setup "add bob --request (pending)" Pq add --owner bob --request "$NS_TMP/bob.req"
P config bob >"$NS_TMP/bob.tmpl" 2>"$NS_TMP/bob.tmpl.err"
expect "peer config bob: exit 0" "$?" 0
check "... no private key in it (the client has its own)" sh -c "! grep -q '^PrivateKey' '$NS_TMP/bob.tmpl'"
# Bob fills in his own key, as the template says.
mkdir -p "$NS_TMP/bob"
{ sed '/^# PrivateKey/d' "$NS_TMP/bob.tmpl" | sed "/^\[Interface\]/a PrivateKey = $(cat "$NS_TMP/bob.key")"; } >"$NS_TMP/bob/wgb.conf"
sed -i 's/^Endpoint = .*/Endpoint = 192.168.97.1:51960/' "$NS_TMP/bob/wgb.conf"
chmod 600 "$NS_TMP/bob/wgb.conf"
setup "wg-quick up on bob" ns_exec bob env WG_QUICK_USERSPACE_IMPLEMENTATION="$PEER_IMPL" \
	sh -c 'wg-quick up "$1" 2>"$2"' - "$NS_TMP/bob/wgb.conf" "$NS_TMP/bob/up.log"
expect "pending: the hub does not hold bob's key" \
	"$(ns_wg hub show wg0 peers | grep -c -x -F "$PUB_B")" 0
before=$(drops_unknown)
ns_run bob ping -n -q -c 1 -W 2 10.96.0.1 >/dev/null 2>&1
unknown_rose() { [ "$(drops_unknown)" -gt "${before:-0}" ] 2>/dev/null; }
check "... his handshakes are ignored: unknown_peer drops rise (${before:-0} ->)" wait_for 10 unknown_rose
fails_ping() { ! ns_ping "$1" -c 1 -W 1 10.96.0.1; }
check "... and he cannot reach the hub" fails_ping bob
setup "approve bob" Pq approve bob
check "after approve, bob connects (his next handshake)" wait_for 20 ns_ping bob -c 1 -W 1 10.96.0.1

# ---- revoke ---------------------------------------------------------------------
setup "revoke bob" Pq revoke bob
expect "after revoke the hub does not hold his key" \
	"$(ns_wg hub show wg0 peers | grep -c -x -F "$PUB_B")" 0
# His client keeps a session the hub forgot; a new handshake is refused.
check "... and he cannot reach the hub" wait_for 30 fails_ping bob
printf 'Name = bob2\nPublicKey = %s\n' "$PUB_B" >"$NS_TMP/bob2.req"
P add --owner bob --request "$NS_TMP/bob2.req" >/dev/null 2>"$NS_TMP/bob2.err"
expect "adding the revoked key again: exit 1" "$?" 1
check "... refused, naming the revoked peer" grep -q "bob" "$NS_TMP/bob2.err"
check "alice is still connected" ns_ping alice -c 2 -i 0.2 -w 5 10.96.0.1

# ---- rotation with overlap, through the inventory --------------------------------
P rotate alice --generate >"$NS_TMP/alice2.conf" 2>"$NS_TMP/alice2.err"
expect "rotate alice --generate: exit 0" "$?" 0
PRIV_A2=$(sed -n 's/^PrivateKey = //p' "$NS_TMP/alice2.conf")
PUB_A2=$(printf '%s\n' "$PRIV_A2" | wg pubkey 2>/dev/null)
check "... a new config with a new key and the same address" \
	eval '[ -n "$PUB_A2" ] && [ "$PUB_A2" != "$PUB_A" ] && grep -q -x "Address = 10.96.0.2/32" "$NS_TMP/alice2.conf"'
expect "the hub holds both keys, the address still the old key's" \
	"$(ns_wg hub show wg0 allowed-ips | awk -v a="$PUB_A" -v b="$PUB_A2" '$1 == a || $1 == b { print ($1 == a ? "old" : "new"), $2 }' | sort | tr '\n' ' ')" \
	"new (none) old 10.96.0.2/32 "
check "alice still pings with the old key" ns_ping alice -c 1 -W 2 10.96.0.1
printf '%s\n' "$PRIV_A2" >"$NS_TMP/alice2.key"
setup "alice's client switches to the new key" ns_wg alice set wga private-key "$NS_TMP/alice2.key"
check "alice pings with the new key" wait_for 20 ns_ping alice -c 1 -W 1 10.96.0.1
old_gone() { [ "$(ns_wg hub show wg0 peers | grep -c -x -F "$PUB_A")" -eq 0 ]; }
check "at the new key's first handshake the old key is gone from the hub" wait_for 5 old_gone
expect "... and the address is the new key's" \
	"$(ns_wg hub show wg0 allowed-ips | awk -v k="$PUB_A2" '$1 == k { print $2 }')" "10.96.0.2/32"
P apply --json >"$NS_TMP/rot.apply" 2>&1
jq "d['rotated'] == 1" <"$NS_TMP/rot.apply" && ok "apply records the completed rotation" ||
	not_ok "apply records the completed rotation" "$(cat "$NS_TMP/rot.apply")"
P show alice --json | jq "d['public_key'] == '$PUB_A2' and d['next_key'] is None" &&
	ok "... the inventory's key for alice is the new one" || not_ok "... the inventory's key for alice is the new one" "$(P show alice --json)"

# ---- the window's end and expiry, on the debug build's fake clock ------------------
NOW=$(date +%s)
Pq add carol --owner carol --generate
field() { P show "$1" --json | "$PYTHON" -c 'import json,sys; v=json.load(sys.stdin)[sys.argv[1]]; print(v[0] if isinstance(v, list) else v)' "$2"; }
PUB_C=$(field carol public_key)
ADDR_C=$(field carol addresses)
P rotate carol --generate --window 1h >/dev/null 2>"$NS_TMP/carol2.err"
expect "rotate carol --window 1h: exit 0" "$?" 0
PUB_C2=$(field carol next_key)
Pq add dave --owner dave --generate --expires 1d
ADDR_D=$(field dave addresses)
expect "dave is on the hub ($ADDR_D)" "$(ns_wg hub show wg0 allowed-ips | grep -c -F "$ADDR_D")" 1
ns_run hub env RAMPART_DB="$RAMPART_DB" RAMPART_NOW=$((NOW + 2 * 86400)) "$RAMPART" peer apply \
	>"$NS_TMP/later" 2>&1
expect "two days later, apply: exit 0" "$?" 0
expect "... carol's window is over: the new key holds her address, the old key is gone" \
	"$(ns_wg hub show wg0 allowed-ips | awk -v a="$PUB_C" -v b="$PUB_C2" '$1 == a { print "old", $2 } $1 == b { print "new", $2 }' | tr '\n' ' ')" \
	"new $ADDR_C "
expect "... dave has expired and left the interface" "$(ns_wg hub show wg0 allowed-ips | grep -c -F "$ADDR_D")" 0
check "... the change log says why: expired, and the window ended" sh -c \
	"env RAMPART_DB='$RAMPART_DB' nsenter -t ${NS_HOLDER[hub]} -m -n -- '$RAMPART' peer log | grep -q ' dave .*expired' &&
	 env RAMPART_DB='$RAMPART_DB' nsenter -t ${NS_HOLDER[hub]} -m -n -- '$RAMPART' peer log | grep -q ' carol .*rotated .*window ended'"

# ---- no client private key at rest ------------------------------------------------
b64_in() { grep -c -F -- "$1" "$RAMPART_DB"* 2>/dev/null | awk -F: '{ s += $NF } END { print s + 0 }'; }
expect "alice's private keys (both) are in no database file" "$(( $(b64_in "$PRIV_A") + $(b64_in "$PRIV_A2") ))" 0
expect "bob's private key is in no database file" "$(b64_in "$(cat "$NS_TMP/bob.key")")" 0
check "control: alice's public key is there" [ "$(b64_in "$PUB_A")" -gt 0 ]
check "the change log names add, approve and revoke" sh -c \
	"env RAMPART_DB='$RAMPART_DB' nsenter -t ${NS_HOLDER[hub]} -m -n -- '$RAMPART' peer log | grep -c -E ' (add|approve|revoke) ' | awk '{ exit !(\$1 >= 4) }'"

# ---- rampart up loads the inventory's active peers ---------------------------------
Pq init -i wgu --endpoint 192.168.96.1:51961 --pool 10.99.0.1/24 --public-key "$PUB_HUB"
Pq add erin -i wgu --owner erin --generate
ADDR_E=$(P show erin -i wgu --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["addresses"][0])')
printf '[Interface]\nPrivateKey = %s\nAddress = 10.99.0.1/24\nListenPort = 51961\nPolicy = off\n' \
	"$(cat "$NS_TMP/hub.key")" >"$NS_TMP/wgu.conf"
chmod 600 "$NS_TMP/wgu.conf"
ns_exec hub env RAMPART_DB="$RAMPART_DB" WG_QUICK_USERSPACE_IMPLEMENTATION="$DUT" \
	"$RAMPART" up --no-confirm "$NS_TMP/wgu.conf" >"$NS_TMP/wgu.up" 2>&1
expect "rampart up of an interface the inventory knows: exit 0" "$?" 0
check "... it says it applies the inventory" grep -q -F "[#] rampart peer apply -i wgu" "$NS_TMP/wgu.up"
expect "... the interface has the inventory's active peer (erin, $ADDR_E)" \
	"$(ns_wg hub show wgu allowed-ips | awk '{ print $2 }')" "$ADDR_E"
ns_exec hub env RAMPART_DB="$RAMPART_DB" "$RAMPART" down "$NS_TMP/wgu.conf" >/dev/null 2>&1
expect "rampart down wgu" "$?" 0

ns_exec alice sh -c 'wg-quick down "$1" 2>/dev/null' - "$NS_TMP/alice/wga.conf"
ns_exec bob sh -c 'wg-quick down "$1" 2>/dev/null' - "$NS_TMP/bob/wgb.conf"
ns_daemon_stop hub wg0
expect "the hub exits 0 on SIGTERM" "$?" 0
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
