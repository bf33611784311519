#!/bin/bash
# rampart peer with several hubs in one inventory (docs/multihub.md), on
# a throw-away SQLite database, no namespaces: hub-a and hub-b share a
# space (b takes a's pools), hub-c has its own.  init --space and
# --ifname, add --hub, assign and unassign with their refusals, list
# --share, show --json's hubs, config --hub, export of a hub's share,
# and an inventory of one hub
# (wg0) that works as before hubs, in the same database.
set -u
. "$(dirname "$0")/../lib.sh"
tmp=$NS_TMP # removed by the library on exit
need_tool python3 wg
export RAMPART_DB=$tmp/lib/inventory.db
unset RAMPART_NOW
P() { "$RAMPART" peer "$@"; }
quiet() { "$@" >/dev/null; }
init() {
	local hub=$1; shift
	P init -i "$hub" --endpoint "$hub.example.org:51820" --public-key "$(wg genkey | wg pubkey)" "$@"
}

check "hub-a on interface wg0" quiet init hub-a --ifname wg0 --pool 10.8.0.0/24 --pool fd08::/64
check "hub-b joins hub-a's space without --pool" quiet init hub-b --ifname wg0 --space hub-a
init hub-b --json | json_ok "d['ifname'] == 'wg0' and d['space'] == 'hub-a'" &&
	ok "hub-b initialized again keeps its interface and space" ||
	not_ok "hub-b initialized again keeps its interface and space"
fails "other pools than the space's are refused, naming both" "are not those of space hub-a" \
	init hub-d --space hub-a --pool 10.9.0.0/24
check "hub-c, a space of its own" quiet init hub-c --pool 10.8.0.0/24

check "laptop on hub-a, assigned to hub-b at once" \
	quiet P add laptop -i hub-a --owner alice --generate --hub hub-b
check "phone on hub-b" quiet P add phone -i hub-b --owner bob --generate
P show phone -i hub-b --json > "$tmp/phone.json"
check "phone's address is the next one of the shared pool" \
	json_ok "d['addresses'] == ['10.8.0.3/32', 'fd08::3/128']" < "$tmp/phone.json"
check "desk on hub-c gets the same first address: another space" \
	sh -c '"$0" peer add desk -i hub-c --owner carol --generate | grep -q "^Address = 10.8.0.2/32"' \
	"$RAMPART"
fails "phone cannot go on hub-c, and both spaces are named" \
	"hub hub-c is of space hub-c, and its home hub hub-b of space hub-a" \
	P assign phone -i hub-b --hub hub-c
fails "nor on a hub that is not there" "hub-x" P assign phone -i hub-b --hub hub-x
check "phone assigned to hub-a" quiet P assign phone -i hub-b --hub hub-a
fails "twice is refused" "assigned to hub-a already" P assign phone -i hub-b --hub hub-a
fails "its home hub cannot be unassigned" "hub-b is peer phone's home hub" \
	P unassign phone -i hub-b --hub hub-b

# names HUB [--share]: the names of `peer list -i HUB`, comma-joined.
names() {
	P list -i "$@" --json | python3 -c 'import json,sys; print(",".join(p["name"] for p in json.load(sys.stdin)["peers"]))'
}
check "hub-a's share: laptop and phone" [ "$(names hub-a --share)" = "laptop,phone" ]
check "hub-b's share: the same" [ "$(names hub-b --share)" = "laptop,phone" ]
check "hub-c's share: desk alone" [ "$(names hub-c --share)" = "desk" ]
check "the control: hub-a's own peers are laptop alone" [ "$(names hub-a)" = "laptop" ]
printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\n' "$(wg genkey)" > "$tmp/wg0.conf"
P export -i hub-a --config "$tmp/wg0.conf" > "$tmp/export.conf"
check "export -i hub-a has its share: phone from hub-b too" \
	sh -c 'grep -q "^# Name = laptop" "$0" && grep -q "^# Name = phone" "$0"' "$tmp/export.conf"
check "the control: export -i hub-c has neither" \
	sh -c '"$0" peer export -i hub-c --config "$1" | grep -q "^# Name = desk" &&
		! "$0" peer export -i hub-c --config "$1" | grep -q "^# Name = phone"' "$RAMPART" "$tmp/wg0.conf"
check "list shows the hubs" sh -c '"$0" peer list -i hub-b | grep -q "^phone .* hub-b,hub-a$"' \
	"$RAMPART"
check "show --json: phone's hubs, home first" \
	sh -c '"$0" peer show phone -i hub-b --json | python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(d[\"hubs\"] != [\"hub-b\", \"hub-a\"] or d[\"seen\"] != [])"' \
	"$RAMPART"
check "config --hub hub-a: hub-a's endpoint" \
	sh -c '"$0" peer config phone -i hub-b --hub hub-a | grep -q "^Endpoint = hub-a.example.org:51820"' \
	"$RAMPART"
fails "config for a hub phone is not on is refused" "is not on hub hub-c" \
	P config phone -i hub-b --hub hub-c
fails "hub-b cannot leave its space while it has peers" "cannot move from space hub-a" \
	init hub-b --space hub-b
check "phone unassigned from hub-a" quiet P unassign phone -i hub-b --hub hub-a
check "hub-a's share is laptop alone again" [ "$(names hub-a --share)" = "laptop" ]
check "revoke laptop" quiet P revoke laptop -i hub-a
check "it left hub-b's share" [ "$(names hub-b --share)" = "phone" ]
n=$(P log laptop -i hub-a --json | python3 -c 'import json,sys; print(",".join(e["action"] for e in json.load(sys.stdin)["entries"]))')
check "the log of laptop: add, assign, revoke" [ "$n" = "add,assign,revoke" ]

# One hub as before hubs, beside them: its name is its interface and
# its space.
check "wg0, the hub of one interface" quiet init wg0 --pool 10.7.0.0/24
init wg0 --json | json_ok "d['ifname'] == 'wg0' and d['space'] == 'wg0'" &&
	ok "wg0 is interface wg0 in space wg0" || not_ok "wg0 is interface wg0 in space wg0"
check "a peer on wg0" quiet P add solo -i wg0 --owner x --generate
check "wg0's share is its list" [ "$(names wg0 --share)" = "$(names wg0)" ]
finish
