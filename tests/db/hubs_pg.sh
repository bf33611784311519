#!/bin/bash
# Several hubs in one PostgreSQL inventory (docs/multihub.md), through
# rampart peer as each hub's operator runs it.  A cluster of the
# script's own (tests/pg.sh):
#
#   hub-a ─┐ space hub-a: 10.8.0.0/24, fd08::/64
#   hub-b ─┘   (b took a's pools by --space hub-a)
#   hub-c ──── space hub-c: the same pools, its own addresses
#
#   200 x rampart peer add (-i hub-a, hub-b, hub-c in turn, all at
#   once) ──► postgres 15 ◄── rampart peer list --share (the checks)
#
# 200 concurrent adds spread over the three hubs give 200 peers and no
# address twice within a space (a and b allocate from one pool, at the
# same instant); the negative control: across spaces the same check
# does find addresses twice (hub-c gives the same ones), so it can fail.
# A peer assigned to a and b is in both shares and not in c's; assigning
# it to c is refused, naming both spaces; revoked, it leaves both
# shares.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pg.sh"
need_tool wg python3
unset RAMPART_DB RAMPART_NOW
setup "a PostgreSQL 15 cluster of the test's own" pg_start rampart
export RAMPART_DB=$PG_URI
P() { "$RAMPART" peer "$@"; }
quiet() { "$@" >/dev/null; }

# init HUB ARGS...: rampart peer init of HUB with a key of its own.
init() {
	local hub=$1; shift
	P init -i "$hub" --endpoint "$hub.example.org:51820" --public-key "$(wg genkey | wg pubkey)" \
		"$@" >/dev/null
}
check "hub-a, with its pools" init hub-a --pool 10.8.0.0/24 --pool fd08::/64
check "hub-b joins hub-a's space, taking its pools" init hub-b --space hub-a
fails "a hub joining with other pools is refused, naming both" \
	"pools 10.9.0.0/24 are not those of space hub-a (10.8.0.0/24,fd08::/64" \
	P init -i hub-d --endpoint d.example.org:51820 --space hub-a --pool 10.9.0.0/24
check "hub-c, its own space, the same pools" init hub-c --pool 10.8.0.0/24 --pool fd08::/64

# ---- 200 at once, over the three hubs ----------------------------------
hubs=(hub-a hub-b hub-c)
t0=$(date +%s%N)
pids=()
for i in $(seq 200); do
	P add "p$i" -i "${hubs[$((i % 3))]}" --owner load --generate >/dev/null \
		2>"$NS_TMP/p$i.err" &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
for h in "${hubs[@]}"; do P list -i "$h" --json > "$NS_TMP/$h.json"; done

# distinct N FILE...: the peers of the `peer list --json` FILEs are N,
# each with one address per pool, no address twice among them.
distinct() {
	python3 -c '
import json, sys
peers = [p for f in sys.argv[2:] for p in json.load(open(f))["peers"]]
a = [x for p in peers for x in p["addresses"]]
n = int(sys.argv[1])
sys.exit(0 if len(peers) == n and len(a) == 2 * n and len(set(a)) == len(a) else 1)
' "$@"
}
if [ "$failed" = 0 ] && distinct 133 "$NS_TMP/hub-a.json" "$NS_TMP/hub-b.json" &&
	distinct 67 "$NS_TMP/hub-c.json"; then
	ok "200 concurrent adds over three hubs: 200 peers, no address twice in a space ($ms ms)"
else
	not_ok "200 concurrent adds over three hubs" "$failed failed" \
		"$(cat "$NS_TMP"/p*.err | sort | uniq -c | head -5)"
fi
lost=$(pg_count 'could not serialize')
check "the adds collided ($lost serialization failures), and the losers ran again" \
	[ "${lost:-0}" -gt 0 ]
n=$(pg_sql rampart "SELECT count(*) FROM peers p JOIN interfaces i ON i.name = p.iface
	WHERE i.space = 'hub-a'")
check "the database has the space's 133 peers" [ "$n" = 133 ]
# The negative control: across spaces, addresses are given again, and
# the same check says so.
not_distinct() { ! distinct "$@"; }
check "the check finds addresses twice across spaces (hub-c's are hub-a's again)" \
	not_distinct 200 "$NS_TMP/hub-a.json" "$NS_TMP/hub-b.json" "$NS_TMP/hub-c.json"

# ---- assignment and shares -------------------------------------------
# in_share HUB NAME: NAME is in HUB's share; not_in_share the opposite.
in_share() {
	P list -i "$1" --share --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d["share"] and sys.argv[1] in [p["name"] for p in d["peers"]] else 1)' "$2"
}
not_in_share() { ! in_share "$@"; }
check "roamer added on hub-a, assigned to hub-b at once" \
	quiet P add roamer -i hub-a --owner dana --generate --hub hub-b
check "roamer is in hub-a's share" in_share hub-a roamer
check "and in hub-b's" in_share hub-b roamer
check "and not in hub-c's" not_in_share hub-c roamer
check "the control: hub-c's share has its own peers" in_share hub-c p2
fails "assigning roamer to hub-c is refused, naming both spaces" \
	"hub hub-c is of space hub-c, and its home hub hub-a of space hub-a" \
	P assign roamer -i hub-a --hub hub-c
fails "its home hub cannot be unassigned" "hub-a is peer roamer's home hub" \
	P unassign roamer -i hub-a --hub hub-a
P show roamer -i hub-a --json > "$NS_TMP/roamer.json"
check "peer show says its hubs" json_ok "d['hubs'] == ['hub-a', 'hub-b'] and d['seen'] == []" \
	< "$NS_TMP/roamer.json"
check "peer config --hub hub-b is hub-b's endpoint, the same address" \
	sh -c '"$0" peer config roamer -i hub-a --hub hub-b | grep -q "^Endpoint = hub-b.example.org:51820" &&
		"$0" peer config roamer -i hub-a --hub hub-b | grep -q "^Address = $1"' "$RAMPART" \
	"$(python3 -c 'import json,sys; print(", ".join(json.load(open(sys.argv[1]))["addresses"]))' "$NS_TMP/roamer.json")"
check "revoke roamer" quiet P revoke roamer -i hub-a
check "it left hub-a's share" not_in_share hub-a roamer
check "and hub-b's" not_in_share hub-b roamer
n=$(pg_sql rampart "SELECT string_agg(action, ',' ORDER BY id) FROM change_log
	WHERE peer = 'roamer'")
check "the change log has add, assign, revoke of roamer" [ "$n" = "add,assign,revoke" ]
finish
