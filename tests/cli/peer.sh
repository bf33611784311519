#!/bin/bash
# rampart peer: the inventory on a throw-away database (--db / RAMPART_DB),
# no namespaces.  init, add (generated and requested), the state changes,
# the refusals (a revoked key, a taken name, bad values, an overlapping
# site, an exhausted pool), 50 concurrent adds, the change log with who,
# no client private key in the database, the modes, expiry on the debug
# build's fake clock (RAMPART_NOW).
set -u
. "$(dirname "$0")/../lib.sh"
tmp=$NS_TMP # removed by the library on exit
need_tool python3 wg
export RAMPART_DB=$tmp/lib/inventory.db
unset RAMPART_NOW
P() { "$RAMPART" peer "$@"; }
quiet() { "$@" >/dev/null; }
hub=$(wg genkey | wg pubkey)
request() { printf 'Name = %s\nPublicKey = %s\n' "$1" "$2" > "$tmp/$1.req"; }

# init makes the directory 0700 and the file 0600.
check "init" quiet P init -i wg0 --endpoint vpn.example.org:51820 --pool 10.8.0.0/24 \
	--pool fd08::/64 --dns 10.8.0.1 --public-key "$hub"
check "directory 0700, file 0600" \
	[ "$(stat -c %a "$tmp/lib")-$(stat -c %a "$RAMPART_DB")" = 700-600 ]

# add --generate prints a client config (and nothing else) with the
# private key, which is nowhere in the database.  A reader holds the
# database open meanwhile, so that the -wal file stays to be read
# (the last connection to close folds it into the file and deletes it).
python3 -c "
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM peers').fetchall()
open(sys.argv[2], 'w').close()
while not os.path.exists(sys.argv[3]): time.sleep(0.05)
" "$RAMPART_DB" "$tmp/holding" "$tmp/release" &
holder=$!
for i in $(seq 100); do [ -e "$tmp/holding" ] && break; sleep 0.1; done
P add laptop --owner alice --device thinkpad --generate > "$tmp/laptop.conf" 2>"$tmp/err"
priv=$(sed -n 's/^PrivateKey = //p' "$tmp/laptop.conf")
pub=$(printf '%s\n' "$priv" | wg pubkey 2>/dev/null)
check "add --generate prints a config with a private key, nothing else" \
	[ "$(head -1 "$tmp/laptop.conf")-$(grep -c "^PublicKey = $hub" "$tmp/laptop.conf")" = "[Interface]-1" ]
[ -n "$priv" ] || bail "no PrivateKey line in the config" "$(cat "$tmp/laptop.conf" "$tmp/err")"
P show laptop --json | json_ok "d['public_key'] == '$pub' and d['state'] == 'active' and d['addresses'] == ['10.8.0.2/32', 'fd08::2/128']" &&
	ok "the stored key is the config's public key, active, first addresses" ||
	not_ok "the stored key is the config's public key, active, first addresses"
hex=$(printf '%s' "$priv" | base64 -d | od -An -tx1 -v | tr -d ' \n')
# The negative control: the same greps find the key where it is.
leak=0
grep -qaF -- "$priv" "$tmp/laptop.conf" || bail "the leak grep finds nothing even in the config"
for f in "$RAMPART_DB" "$RAMPART_DB-wal"; do
	[ -e "$f" ] || continue
	grep -qaF -- "$priv" "$f" && leak=1
	od -An -tx1 -v "$f" | tr -d ' \n' | grep -q "$hex" && leak=1
done
check "no client private key in the database or its WAL (base64 or raw)" \
	[ "$leak-$(test -s "$RAMPART_DB-wal" && echo wal)" = 0-wal ]
touch "$tmp/release"; wait "$holder"

# add --request: pending until approve; a NAME given wins over the request's.
request phone "$(wg genkey | wg pubkey)"
check "add --request" quiet P add --owner bob --request "$tmp/phone.req"
printf '# from the client\n\nName = tablet\nPublicKey = %s\n' "$(wg genkey | wg pubkey)" > "$tmp/tablet.req"
P add pad --owner bob --request "$tmp/tablet.req" >/dev/null
P show pad --json | json_ok "d['state'] == 'pending'" && ok "NAME wins over the request's Name; comments skipped" ||
	not_ok "NAME wins over the request's Name; comments skipped"
P show phone --json | json_ok "d['state'] == 'pending' and d['approved'] is None" &&
	ok "a requested peer is pending" || not_ok "a requested peer is pending"
P approve phone >/dev/null
P show phone --json | json_ok "d['state'] == 'active' and d['approved_by'] != ''" &&
	ok "approve makes it active, recording who" || not_ok "approve makes it active, recording who"

# disable, enable, revoke; a revoked key cannot come back.
P disable phone >/dev/null
P show phone --json | json_ok "d['state'] == 'disabled'" && ok "disable" || not_ok "disable"
P enable phone >/dev/null
P show phone --json | json_ok "d['state'] == 'active'" && ok "enable" || not_ok "enable"
P revoke phone >/dev/null
P show phone --json | json_ok "d['state'] == 'revoked' and d['addresses'] == []" &&
	ok "revoke is final and releases the addresses" || not_ok "revoke"
cp "$tmp/phone.req" "$tmp/again.req"; sed -i 's/^Name = phone/Name = phone2/' "$tmp/again.req"
fails "add with a revoked key is refused, naming the peer" "phone" \
	P add --owner bob --request "$tmp/again.req"
fails "enable of a revoked peer is refused" "revoked" P enable phone

# refusals name the bad value and change nothing.
before=$(P log --json)
fails "a taken name is refused" "laptop" P add laptop --owner x --generate
fails "a bad --expires is named" '"tomorrow"' P add x1 --owner x --generate --expires tomorrow
fails "a bad prefix is named" '"10.0.0.300/24"' P add x2 --owner x --generate --site 10.0.0.300/24
fails "a bad name is named" '"bad/name"' P add bad/name --owner x --generate
fails "an unknown interface is named" "wg7" P list -i wg7
fails "a bad interface name is named" '"w g"' P init -i "w g" --endpoint h.example.org:1 --pool 10.7.0.0/24
fails "a bad endpoint is named" '"nohost"' P init -i wg5 --endpoint nohost --pool 10.7.0.0/24
echo "Bogus = 1" > "$tmp/bogus.req"
fails "a bad request line is named" "bogus.req:1: Bogus" P add x3 --owner x --request "$tmp/bogus.req"
echo "Name = x4" > "$tmp/nokey.req"
fails "a request without a key is refused" "no PublicKey line" P add --owner x --request "$tmp/nokey.req"
printf 'Name = x5\nPublicKey = notakey\n' > "$tmp/badkey.req"
fails "a request's bad key is named with its line" 'badkey.req:2: PublicKey: not a key: "notakey"' \
	P add --owner x --request "$tmp/badkey.req"
[ "$before" = "$(P log --json)" ] && ok "refusals wrote nothing" || not_ok "refusals wrote nothing"

# sites: an overlapping one is refused naming the other peer; with
#   --allow-overlap it is taken.
check "a site peer" quiet P add office --owner carol --generate --site 192.168.50.0/24
fails "an overlapping site is refused, naming the other peer" "peer office" \
	P add branch --owner dave --generate --site 192.168.50.128/25
check "--allow-overlap takes it" quiet P add branch --owner dave --generate \
	--site 192.168.50.128/25 --allow-overlap

# 50 concurrent adds from separate processes: 50 distinct addresses.
pids=
for i in $(seq 50); do
	P add "c$i" --owner load --generate >/dev/null 2>"$tmp/c$i.err" &
	pids="$pids $!"
done
failed=0
for p in $pids; do wait "$p" || failed=$((failed + 1)); done
P list --json > "$tmp/list.json"
json_ok "len([p for p in d['peers'] if p['name'].startswith('c')]) == 50 and len(set(a for p in d['peers'] for a in p['addresses'])) == sum(len(p['addresses']) for p in d['peers'])" < "$tmp/list.json" &&
	[ "$failed" = 0 ] && ok "50 concurrent adds: 50 peers, no address twice" ||
	not_ok "50 concurrent adds: 50 peers, no address twice" "$failed failed" "$(cat "$tmp"/c*.err | head -5)"

# a /29 runs out after five peers, with the pool named.
check "a second interface with a /29" quiet P init -i wg1 --endpoint hub.example.org:51821 \
	--pool 10.9.0.0/29 --public-key "$hub"
for i in 1 2 3 4 5; do P add "s$i" -i wg1 --owner x --generate >/dev/null; done
fails "the exhausted pool is a clear error" "pool 10.9.0.0/29 of wg1 is exhausted" \
	P add s6 -i wg1 --owner x --generate
fails "two interfaces: -i is needed" "-i" P list

# the change log: every action, with who.
P log -i wg0 --json > "$tmp/log.json"
json_ok "set(['init','add','approve','disable','enable','revoke']) <= set(e['action'] for e in d['entries']) and all(e['who'] for e in d['entries'])" < "$tmp/log.json" &&
	ok "the log has every action, each with who" || not_ok "the log has every action, each with who"
SUDO_USER=alice P add sudoed -i wg0 --owner x --generate >/dev/null
P log sudoed --json | json_ok "d['entries'][0]['who'].endswith('via sudo from alice')" &&
	ok "through sudo the log says who ran it" || not_ok "through sudo the log says who ran it"
P log laptop --json | json_ok "len(d['entries']) == 1 and d['entries'][0]['action'] == 'add'" &&
	ok "log NAME: that peer's lines" || not_ok "log NAME: that peer's lines"

# expiry on the fake clock (RAMPART_NOW, debug builds only).
now=$(date +%s)
RAMPART_NOW=$now P add temp -i wg0 --owner x --generate --expires 10d >/dev/null
RAMPART_NOW=$now P list -i wg0 --json 2>"$tmp/warn" | json_ok "d['expiring_soon'] >= 1 and [p for p in d['peers'] if p['name'] == 'temp'][0]['expiring_soon']" &&
	grep -q "temp expires" "$tmp/warn" && ok "list warns of a peer expiring within 14 days" ||
	not_ok "list warns of a peer expiring within 14 days"
RAMPART_NOW=$((now + 11 * 86400)) P show temp -i wg0 --json | json_ok "d['state'] == 'expired'" &&
	ok "past its expiry the peer is expired" || not_ok "past its expiry the peer is expired"
P log temp --json | json_ok "d['entries'][-1]['action'] == 'expired'" &&
	ok "the log says it expired" || not_ok "the log says it expired"
fails "enable of an expired peer needs a new expiry" "new expiry" \
	env RAMPART_NOW=$((now + 11 * 86400)) "$RAMPART" peer enable temp -i wg0
RAMPART_NOW=$((now + 11 * 86400)) P enable temp -i wg0 --expires 30d --json |
	json_ok "d['state'] == 'active' and d['expires'] == $((now + 41 * 86400))" &&
	ok "enable with a new expiry" || not_ok "enable with a new expiry"

# a date as expiry is midnight UTC; a day that does not exist is named.
P add dated -i wg0 --owner x --generate --expires 2099-01-31 >/dev/null
P show dated -i wg0 --json | json_ok "d['expires'] == 4073500800" &&
	ok "--expires DATE is that day's midnight UTC" || not_ok "--expires DATE is that day's midnight UTC"
fails "--expires 2099-02-30 is refused" '"2099-02-30"' P add undated -i wg0 --owner x --generate --expires 2099-02-30

# SQLite agrees the file is sound.
python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); sys.exit(0 if c.execute('PRAGMA integrity_check').fetchone()[0]=='ok' else 1)" "$RAMPART_DB" &&
	ok "PRAGMA integrity_check" || not_ok "PRAGMA integrity_check"

finish
