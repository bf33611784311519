#!/bin/bash
# rampart peer import: a wg-quick config's peers adopted into the
# inventory on a throw-away database (--db), no namespaces.  Three peers
# (named, unnamed, a site peer) with their addresses, sites, keepalive and
# preshared key; a second import refused and changing nothing; an overlap
# with an inventory peer refused naming it, and nothing of the file
# imported; a bad file named with its line; an interface not initialized;
# the [Interface] private key nowhere in the database.
set -u
. "$(dirname "$0")/../lib.sh"
tmp=$NS_TMP # removed by the library on exit
need_tool python3 wg
db=$tmp/lib/inventory.db
unset RAMPART_DB RAMPART_NOW
P() { "$RAMPART" peer "$@" --db "$db"; }
quiet() { "$@" >/dev/null; }
priv=$(wg genkey)
k1=$(wg genkey | wg pubkey); k2=$(wg genkey | wg pubkey); k3=$(wg genkey | wg pubkey)
psk=$(wg genpsk)
cat > "$tmp/wg0.conf" <<EOC
[Interface]
PrivateKey = $priv
Address = 10.8.0.1/24, fd08::1/64
ListenPort = 51820

[Peer]
# Name = laptop
PublicKey = $k1
PresharedKey = $psk
AllowedIPs = 10.8.0.2/32, fd08::2/128

[Peer]
PublicKey = $k2
AllowedIPs = 10.8.0.3/32
PersistentKeepalive = 25

[Peer]
# Name = office
PublicKey = $k3
AllowedIPs = 10.8.0.4/32, 192.168.50.0/24
PersistentKeepalive = 15
EOC
derived=peer-$(printf '%s' "${k2:0:8}" | tr '+/' '-_')

fails "import before init says to init" "rampart peer init -i wg0 first" P import "$tmp/wg0.conf" -i wg0
check "init" quiet P init -i wg0 --endpoint vpn.example.org:51820 --pool 10.8.0.1/24 --pool fd08::1/64
P import "$tmp/wg0.conf" --json >"$tmp/imp.json" 2>"$tmp/err"
json_ok "[p['name'] for p in d['peers']] == ['laptop', '$derived', 'office'] and d['interface'] == 'wg0'" <"$tmp/imp.json" &&
	ok "import FILE: three peers, the unnamed one named from its key" ||
	not_ok "import FILE: three peers, the unnamed one named from its key" "$(cat "$tmp/imp.json" "$tmp/err")"
P list --json >"$tmp/list1"
pj() { python3 -c "import json,sys; d={p['name']: p for p in json.load(open(sys.argv[1]))['peers']}; sys.exit(0 if ($1) else 1)" "$tmp/list1"; }
pj "d['laptop']['addresses'] == ['10.8.0.2/32', 'fd08::2/128'] and d['laptop']['sites'] == [] and d['laptop']['has_preshared_key'] and d['laptop']['public_key'] == '$k1' and d['laptop']['keepalive'] == 0" &&
	ok "named peer: addresses, key, preshared key" || not_ok "named peer: addresses, key, preshared key" "$(cat "$tmp/list1")"
pj "d['$derived']['addresses'] == ['10.8.0.3/32'] and d['$derived']['keepalive'] == 25 and not d['$derived']['has_preshared_key'] and d['$derived']['public_key'] == '$k2'" &&
	ok "unnamed peer: address, keepalive, no preshared key" || not_ok "unnamed peer: address, keepalive, no preshared key"
pj "d['office']['addresses'] == ['10.8.0.4/32'] and d['office']['sites'] == ['192.168.50.0/24'] and d['office']['keepalive'] == 15 and not d['office']['allow_overlap']" &&
	ok "site peer: its /32 an address, its /24 a site" || not_ok "site peer: its /32 an address, its /24 a site"
pj "all(p['state'] == 'active' and p['owner'] == 'imported' and p['approved'] is not None for p in d.values()) and len(d) == 3" &&
	ok "all active, owner imported, approved" || not_ok "all active, owner imported, approved"
P log --json >"$tmp/log1"
json_ok "[e['action'] for e in d['entries']] == ['init', 'import', 'import', 'import'] and all(e['who'] for e in d['entries'])" <"$tmp/log1" &&
	ok "the log: one import line per peer, with who" || not_ok "the log: one import line per peer, with who" "$(cat "$tmp/log1")"

# A second import of the same file: refused, naming the peer, nothing changed.
fails "a second import is refused naming the existing peer" "already in the inventory as peer laptop" \
	P import "$tmp/wg0.conf"
P list --json >"$tmp/list2"; P log --json >"$tmp/log2"
check "the list is unchanged" cmp -s "$tmp/list1" "$tmp/list2"
check "the log is unchanged" cmp -s "$tmp/log1" "$tmp/log2"

# An overlap with an inventory peer: refused naming both; the file's other
# (good) peer is not imported either.
k4=$(wg genkey | wg pubkey); k5=$(wg genkey | wg pubkey)
printf '[Interface]\nPrivateKey = %s\n\n[Peer]\n# Name = good\nPublicKey = %s\nAllowedIPs = 10.8.0.9/32\n\n[Peer]\n# Name = thief\nPublicKey = %s\nAllowedIPs = 10.8.0.20/32, 192.168.50.128/25\n' \
	"$(wg genkey)" "$k4" "$k5" >"$tmp/overlap.conf"
fails "a site overlapping an inventory peer's is refused naming both" \
	"peer thief: 192.168.50.128/25 overlaps 192.168.50.0/24 of peer office" P import "$tmp/overlap.conf" --owner carol
printf '[Interface]\nPrivateKey = %s\n\n[Peer]\n# Name = dup\nPublicKey = %s\nAllowedIPs = 10.8.0.2/32\n' \
	"$(wg genkey)" "$k4" >"$tmp/overlap2.conf"
fails "an address of an inventory peer is refused naming it" \
	"peer dup: 10.8.0.2/32 overlaps 10.8.0.2/32 of peer laptop" P import "$tmp/overlap2.conf"
P list --json >"$tmp/list3"; P log --json >"$tmp/log3"
check "nothing of a refused file is imported (one transaction)" cmp -s "$tmp/list1" "$tmp/list3"
check "and nothing logged" cmp -s "$tmp/log1" "$tmp/log3"
# Within one file too: two peers with one address.
printf '[Interface]\nPrivateKey = %s\n\n[Peer]\n# Name = a1\nPublicKey = %s\nAllowedIPs = 10.8.0.30/32\n\n[Peer]\n# Name = a2\nPublicKey = %s\nAllowedIPs = 10.8.0.30/32\n' \
	"$(wg genkey)" "$k4" "$k5" >"$tmp/self.conf"
fails "two peers of one file with one address are refused naming both" \
	"peer a2: 10.8.0.30/32 overlaps 10.8.0.30/32 of peer a1" P import "$tmp/self.conf"
# --owner, and the good peer once alone.
printf '[Interface]\nPrivateKey = %s\n\n[Peer]\n# Name = good\nPublicKey = %s\nAllowedIPs = 10.8.0.9/32\n' \
	"$(wg genkey)" "$k4" >"$tmp/good.conf"
P import "$tmp/good.conf" --owner carol --json | json_ok "d['peers'][0]['owner'] == 'carol' and d['peers'][0]['addresses'] == ['10.8.0.9/32']" &&
	ok "--owner" || not_ok "--owner"

# Bad files: named with the line; a name the inventory refuses; two
# addresses in one pool.
printf '[Interface]\nPrivateKey = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.0.300/32\n' \
	"$(wg genkey)" "$k5" >"$tmp/bad.conf"
fails "a bad file is named with its line" "$tmp/bad.conf:6: AllowedIPs" P import "$tmp/bad.conf"
printf '[Peer]\n# Name = no way\nPublicKey = %s\nAllowedIPs = 10.8.0.40/32\n' "$k5" >"$tmp/name.conf"
fails "a bad peer name is named with its line" "$tmp/name.conf:2: Name: bad peer name \"no way\"" P import "$tmp/name.conf"
printf '[Peer]\n# Name = twice\nPublicKey = %s\nAllowedIPs = 10.8.0.41/32, 10.8.0.42/32\n' "$k5" >"$tmp/two.conf"
fails "two addresses in one pool are refused" "10.8.0.41/32 and 10.8.0.42/32 are both in pool 10.8.0.1/24" P import "$tmp/two.conf"
fails "a missing file is named" "$tmp/none.conf" P import "$tmp/none.conf"
fails "IFNAME alone is /etc/wireguard/IFNAME.conf" "/etc/wireguard/rampimp9.conf" P import rampimp9 -i wg0
fails "an interface not initialized is named" "interface wg7 is not in the inventory: run rampart peer init -i wg7 first" \
	P import "$tmp/good.conf" -i wg7

# The config's private key is nowhere in the database (base64 or raw);
# the control: its public keys are.
hex=$(printf '%s' "$priv" | base64 -d | od -An -tx1 -v | tr -d ' \n')
leak=0
for f in "$db" "$db-wal"; do
	[ -e "$f" ] || continue
	grep -qaF -- "$priv" "$f" && leak=1
	od -An -tx1 -v "$f" | tr -d ' \n' | grep -q "$hex" && leak=1
done
grep -qaF -- "$priv" "$tmp/wg0.conf" || bail "the leak grep finds nothing even in the config"
grep -qaF -- "$k1" "$db" "$db-wal" 2>/dev/null || bail "the leak grep finds not even a public key"
check "the [Interface] private key is not in the database" [ "$leak" = 0 ]

finish
