#!/bin/bash
# The golden renderings of tests/golden/policy/ (byte-compared with the
# renderer by tests/unit/test_nftpolicy.c) are batches the real nft takes:
# each passes `nft -c` in an empty namespace, and applied for real it
# creates table inet rampart-IFNAME and nothing else.  Negative control: a
# copy with one keyword misspelt is refused by the same check, and the
# ruleset stays empty.
#
#   ns g: no links but lo; nft -c / nft -f of each file
. "$(dirname "$0")/../lib.sh"

ns_require
ns_watchdog 60
ns_add g || { not_ok "namespace"; finish; exit 1; }
G=$(ns_name g)

for f in "$RAMPART_TOP"/tests/golden/policy/*.nft; do
	name=$(basename "$f" .nft)
	iface=$(sed -n 's/^table inet rampart-\([^ ]*\) {$/\1/p' "$f" | head -n 1)
	echo "# nft -c -f tests/golden/policy/$name.nft"
	check "$name.nft: nft -c accepts it" ip netns exec "$G" nft -c -f "$f"
	check "$name.nft: nft -f applies it" ip netns exec "$G" nft -f "$f"
	tables=$(ip netns exec "$G" nft list tables)
	if [ "$tables" = "table inet rampart-$iface" ]; then
		ok "$name.nft: exactly table inet rampart-$iface exists"
	else
		not_ok "$name.nft: exactly table inet rampart-$iface exists" "$tables"
	fi
	ip netns exec "$G" nft delete table inet "rampart-$iface"

	sed 's/policy drop;/policy dorp;/' "$f" > "$NS_TMP/$name.bad.nft"
	if ! ip netns exec "$G" nft -c -f "$NS_TMP/$name.bad.nft" 2>/dev/null &&
	   [ -z "$(ip netns exec "$G" nft list ruleset)" ]; then
		ok "$name.nft: control: a misspelt copy is refused, nothing applied"
	else
		not_ok "$name.nft: control: a misspelt copy is refused, nothing applied"
	fi
done
finish
