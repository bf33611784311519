#!/bin/bash
# rampart peer export: the interface's config file regenerated from the
# inventory, on a throw-away database.  The file's [Interface] stays
# (its private key included: it is the hub's, in the hub's own file);
# the [Peer] sections are the inventory's active peers, with their names,
# keys and addresses; a disabled peer is left out; --write replaces the
# file atomically (0600) and keeps the old one as FILE.bak; the result is
# a valid wg-quick config (rampart strip reads it).  A missing file is an
# error naming it.
set -u
. "$(dirname "$0")/../lib.sh"
tmp=$NS_TMP
need_tool python3 wg
db=$tmp/lib/inventory.db
unset RAMPART_DB RAMPART_NOW
P() { "$RAMPART" peer "$@" --db "$db"; }
Pq() { P "$@" >/dev/null 2>&1; }
priv=$(wg genkey)
pub=$(printf '%s\n' "$priv" | wg pubkey)
k1=$(wg genkey | wg pubkey); k2=$(wg genkey | wg pubkey)
cat > "$tmp/wg0.conf" <<EOC
[Interface]
PrivateKey = $priv
Address = 10.9.0.1/24
ListenPort = 51820

[Peer]
# Name = laptop
PublicKey = $k1
AllowedIPs = 10.9.0.2/32

[Peer]
# Name = phone
PublicKey = $k2
AllowedIPs = 10.9.0.3/32
EOC
chmod 600 "$tmp/wg0.conf"
cp "$tmp/wg0.conf" "$tmp/orig.conf"
setup "init" Pq init -i wg0 --endpoint vpn.example.org:51820 --pool 10.9.0.1/24 --public-key "$pub"
setup "import" Pq import "$tmp/wg0.conf"
P add carol --owner carol --generate >"$tmp/carol.conf" 2>/dev/null
PUB_C=$(sed -n 's/^PrivateKey = //p' "$tmp/carol.conf" | wg pubkey)
setup "disable phone" Pq disable phone

P export --config "$tmp/wg0.conf" >"$tmp/out.conf" 2>"$tmp/out.err"
expect "export: exit 0" "$?" 0
expect "... the file's [Interface] stays" \
	"$(sed -n '/^\[Interface\]/,/^$/p' "$tmp/out.conf" | grep -c -x -e "PrivateKey = $priv" -e "Address = 10.9.0.1/24" -e "ListenPort = 51820")" 3
expect "... one [Peer] per active peer: laptop and carol, not the disabled phone" \
	"$(grep -c '^\[Peer\]' "$tmp/out.conf") $(grep -c -x -F "PublicKey = $k2" "$tmp/out.conf")" "2 0"
check "... laptop with its name and address" \
	grep -q -x "# Name = laptop" "$tmp/out.conf"
check "... carol with hers" eval "grep -q -x '# Name = carol' '$tmp/out.conf' && grep -q -x -F 'PublicKey = $PUB_C' '$tmp/out.conf'"
chmod 600 "$tmp/out.conf"
strip_ok() { "$RAMPART" strip "$tmp/out.conf" >/dev/null 2>&1; }
check "... a valid wg-quick config (rampart strip reads it)" strip_ok
expect "... without --write the file is unchanged" "$(cmp -s "$tmp/wg0.conf" "$tmp/orig.conf"; echo $?)" 0

P export --config "$tmp/wg0.conf" --write >"$tmp/w.out" 2>"$tmp/w.err"
expect "export --write: exit 0, nothing on stdout" "$?:$(wc -c <"$tmp/w.out")" "0:0"
expect "... the file is the regenerated config" "$(cmp -s "$tmp/wg0.conf" "$tmp/out.conf"; echo $?)" 0
expect "... the old one is FILE.bak" "$(cmp -s "$tmp/wg0.conf.bak" "$tmp/orig.conf"; echo $?)" 0
expect "... both 0600" "$(stat -c %a "$tmp/wg0.conf") $(stat -c %a "$tmp/wg0.conf.bak")" "600 600"

P export --config "$tmp/none.conf" >/dev/null 2>"$tmp/none.err"
expect "a missing file: exit 1" "$?" 1
check "... naming it" grep -q "none.conf" "$tmp/none.err"
finish
