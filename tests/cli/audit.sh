#!/bin/bash
# rampart audit over fixture trees (--root): a clean hub prints [] and
# exits 0; each planted mistake is reported with its id and severity, and
# the exit status follows the worst finding (0 infos only, 1 warnings, 2
# critical); an interface that has no config is an error (3).
set -u
. "$(dirname "$0")/../lib.sh"
tmp=$NS_TMP
need_tool python3
K1=KLtFF3mdTRVMNJbIygFRxvkvrkwpsTpfMpOjfmEkH18=
P1=YB6Bs9GND+Esfvya9s0fwYRt/iH4kjU36/pKoFz0sUs=
P2=CHkEaSbCMOGUchInGyGSv2Ra1WJQJ+j2sKKvqe80vFI=
PSK=yE7GZOI0DE2hVPWRdgOHfUZEs7lYOCRB+5PRYdwPb1I=

# fixture NAME: a tree with a clean hub config (0600, in a 0700 dir).
fixture() {
	local r=$tmp/$1
	mkdir -p "$r/etc/wireguard"
	chmod 700 "$r/etc/wireguard"
	cat > "$r/etc/wireguard/wg0.conf" <<EOC
[Interface]
PrivateKey = $K1
ListenPort = 51820

[Peer]
# Name = laptop
PublicKey = $P1
PresharedKey = $PSK
AllowedIPs = 10.9.0.2/32

[Peer]
# Name = phone
PublicKey = $P2
PresharedKey = $PSK
AllowedIPs = 10.9.0.3/32
EOC
	chmod 600 "$r/etc/wireguard/wg0.conf"
	echo "$r"
}

# audit_json ROOT WANT_RC IDS: the JSON findings' "id:severity", sorted and
# joined by spaces, equal IDS, and the exit status WANT_RC.
audit_json() {
	local name=$1 root=$2 want_rc=$3 want=$4 rc got
	"$RAMPART" audit --root "$root" --json >"$tmp/out" 2>"$tmp/err"
	rc=$?
	got=$(python3 -c 'import json,sys
a = json.load(open(sys.argv[1]))
for f in a:
    assert set(f) >= {"id","severity","message","evidence","fix","seed"}, f
print(" ".join(sorted(f["id"] + ":" + f["severity"] for f in a)))' "$tmp/out" 2>&1)
	if [ "$rc" = "$want_rc" ] && [ "$got" = "$want" ]; then ok "$name"
	else not_ok "$name" "exit $rc (want $want_rc), findings '$got' (want '$want')" "$(cat "$tmp/err")"; fi
}

r=$(fixture clean)
"$RAMPART" audit --root "$r" --json >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = "[]" ]; then ok "a clean hub: [] and exit 0"
else not_ok "a clean hub: [] and exit 0" "exit $rc: $(cat "$tmp/out")"; fi
check "a clean hub: no text output" test -z "$("$RAMPART" audit --root "$r")"

r=$(fixture mode)
chmod 644 "$r/etc/wireguard/wg0.conf"
audit_json "a 0644 config with a private key: critical, exit 2" "$r" 2 "keys.config_mode:critical"
"$RAMPART" audit --root "$r" >"$tmp/out" 2>&1
check "text output names the finding and its fix" \
	grep -q '^critical keys.config_mode: .*' "$tmp/out"
check "text output indents the fix" grep -q '^    fix: chmod 600 /etc/wireguard/wg0.conf$' "$tmp/out"

r=$(fixture owner)
chown 65534 "$r/etc/wireguard/wg0.conf"
audit_json "a config not owned by root: warning, exit 1" "$r" 1 "keys.config_owner:warning"

r=$(fixture dir)
chmod 755 "$r/etc/wireguard"
audit_json "a 0755 /etc/wireguard: warning, exit 1" "$r" 1 "keys.dir_mode:warning"

r=$(fixture backup)
cp -p "$r/etc/wireguard/wg0.conf" "$r/etc/wireguard/wg0.conf.bak"
chmod 644 "$r/etc/wireguard/wg0.conf.bak"
audit_json "a readable backup of the key: critical" "$r" 2 "keys.backup_copy:critical"

r=$(fixture shared)
sed '/^\[Peer\]/,$d' "$r/etc/wireguard/wg0.conf" > "$r/etc/wireguard/wg1.conf"
chmod 600 "$r/etc/wireguard/wg1.conf"
audit_json "one private key on two interfaces: critical" "$r" 2 "keys.shared_private_key:critical"
"$RAMPART" audit --root "$r" wg1 --json >"$tmp/out" 2>&1
check "IFNAME limits the audit to that interface" test "$(cat "$tmp/out")" = "[]"

r=$(fixture keyfile)
echo $K1 > "$r/etc/wireguard/wg0.key"
chmod 644 "$r/etc/wireguard/wg0.key"
audit_json "a 0644 wg0.key: critical" "$r" 2 "keys.key_file_mode:critical"

r=$(fixture clientkey)
sed -i "s|^PublicKey = $P1|PublicKey = 1WCYNECZ34aRkbab5BaVfnbIN+vqtvb8lmYP48eGhHo=|" "$r/etc/wireguard/wg0.conf"
echo ICcas1FU4aezxoIW/P2nsQCY2dqJswj7qR3u2RJ7Tl8= > "$r/etc/wireguard/laptop.key"
chmod 600 "$r/etc/wireguard/laptop.key"
audit_json "a peer's private key kept on the hub: warning" "$r" 1 "keys.client_key_on_hub:warning"

r=$(fixture overlap)
sed -i 's|^AllowedIPs = 10.9.0.3/32|AllowedIPs = 10.9.0.2/32|' "$r/etc/wireguard/wg0.conf"
audit_json "two peers on one /32: warning" "$r" 1 "peers.allowed_ips_overlap:warning"

r=$(fixture wide)
sed -i 's|^AllowedIPs = 10.9.0.3/32|AllowedIPs = 0.0.0.0/0|' "$r/etc/wireguard/wg0.conf"
audit_json "a hub peer routing 0.0.0.0/0: warning" "$r" 1 \
	"peers.allowed_ips_overlap:warning peers.wide_route_on_hub:warning"

r=$(fixture psk)
sed -i '/^PresharedKey/d' "$r/etc/wireguard/wg0.conf"
audit_json "peers without a PSK: infos only, exit 0" "$r" 0 "peers.no_psk:info peers.no_psk:info"

r=$(fixture keepalive)
printf 'PersistentKeepalive = 25\n' >> "$r/etc/wireguard/wg0.conf"
audit_json "a hub's keepalive for a road warrior: info, exit 0" "$r" 0 "peers.keepalive_on_hub:info"

r=$(fixture missing)
"$RAMPART" audit --root "$r" wg7 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 3 ] && grep -q 'wg7.conf' "$tmp/err"; then ok "a missing config: exit 3, named"
else not_ok "a missing config: exit 3, named" "exit $rc: $(cat "$tmp/err")"; fi

"$RAMPART" audit --root "$tmp/nonexistent" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 3 ] && grep -q 'nonexistent' "$tmp/err"; then ok "a root that is not there: exit 3, named"
else not_ok "a root that is not there: exit 3, named" "exit $rc: $(cat "$tmp/err")"; fi
"$RAMPART" audit --bogus >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 3 ] && grep -q '^Usage: ' "$tmp/err"; then ok "an unknown flag: usage, exit 3"
else not_ok "an unknown flag: usage, exit 3" "exit $rc: $(cat "$tmp/err")"; fi

# --stale-days and --db (peers.no_handshake, peers.inventory_inactive).
# audit_rc NAME WANT_RC WANT_ERR ARGS...: the exit status, and stderr
# naming WANT_ERR.
audit_rc() {
	local name=$1 want_rc=$2 want_err=$3 rc; shift 3
	"$RAMPART" audit "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" = "$want_rc" ] && grep -qF -- "$want_err" "$tmp/err"; then ok "$name"
	else not_ok "$name" "exit $rc (want $want_rc), stderr lacks '$want_err'" "$(cat "$tmp/err")"; fi
}
r=$(fixture options)
audit_rc "--stale-days x: exit 3, the value named" 3 "--stale-days \`x'" --root "$r" --stale-days x
audit_rc "--stale-days 0: exit 3" 3 "must be at least 1" --root "$r" --stale-days 0
audit_rc "--stale-days 99999: exit 3" 3 "--stale-days \`99999'" --root "$r" --stale-days 99999
audit_rc "--stale-days without a value: usage, exit 3" 3 "Usage: " --root "$r" --stale-days
"$RAMPART" audit --root "$r" --stale-days 7 --json >"$tmp/out" 2>"$tmp/err"
check "--stale-days 7 on a clean hub: []" test "$(cat "$tmp/out")" = "[]"

unset RAMPART_DB RAMPART_NOW
db=$tmp/inv/inventory.db
P() { "$RAMPART" peer "$@" --db "$db" >/dev/null 2>"$tmp/perr"; }
"$RAMPART" audit --root "$r" --db "$db" --json >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" = 0 ] && [ "$(cat "$tmp/out")" = "[]" ] && [ ! -e "$db" ] && [ ! -e "$tmp/inv" ]; then
	ok "--db of a file that is not there: no finding, nothing created"
else not_ok "--db of a file that is not there: no finding, nothing created" "exit $rc: $(cat "$tmp/out" "$tmp/err")"; fi
P init -i wg0 --endpoint vpn.example.org:51820 --pool 10.9.0.1/24 &&
	P import "$r/etc/wireguard/wg0.conf" -i wg0 &&
	ok "an inventory of the hub's two peers" || not_ok "an inventory of the hub's two peers" "$(cat "$tmp/perr")"
"$RAMPART" audit --root "$r" --db "$db" --json >"$tmp/out" 2>&1
check "--db with both peers active: []" test "$(cat "$tmp/out")" = "[]"
P revoke laptop -i wg0
audit_json_db() { # NAME WANT_RC IDS, with RAMPART_DB or --db as the caller sets
	local name=$1 want_rc=$2 want=$3; shift 3
	"$RAMPART" audit --root "$r" "$@" --json >"$tmp/out" 2>"$tmp/err"
	local rc=$? got
	got=$(python3 -c 'import json,sys; print(" ".join(sorted(f["id"] + ":" + f["severity"] for f in json.load(open(sys.argv[1])))))' "$tmp/out" 2>&1)
	if [ "$rc" = "$want_rc" ] && [ "$got" = "$want" ]; then ok "$name"
	else not_ok "$name" "exit $rc (want $want_rc), findings '$got' (want '$want')" "$(cat "$tmp/err")"; fi
}
audit_json_db "--db: a revoked peer still in the config, warning" 1 "peers.inventory_inactive:warning" --db "$db"
grep -q '"evidence": ".*peer laptop key .*revoked; in /etc/wireguard/wg0.conf:5 \[Peer\]' "$tmp/out" &&
	ok "the evidence names the peer, its state and its [Peer] line" ||
	not_ok "the evidence names the peer, its state and its [Peer] line" "$(cat "$tmp/out")"
RAMPART_DB=$db audit_json_db "RAMPART_DB: the same" 1 "peers.inventory_inactive:warning"
RAMPART_DB=$tmp/elsewhere.db audit_json_db "--db wins over RAMPART_DB" 1 \
	"peers.inventory_inactive:warning" --db "$db"
audit_json_db "without --db: the root's /var/lib/rampart/inventory.db (none there)" 0 ""

# The clock (RAMPART_NOW in this debug build): phone, enabled again for a
# day, is past its expiry two days later, before any apply marked it.
RAMPART_NOW=1800000000 P disable phone -i wg0 && RAMPART_NOW=1800000000 P enable phone -i wg0 --expires 1d ||
	not_ok "phone enabled for a day" "$(cat "$tmp/perr")"
RAMPART_NOW=1800003600 audit_json_db "an hour later: phone not yet expired" 1 \
	"peers.inventory_inactive:warning" --db "$db"
RAMPART_NOW=1800172800 audit_json_db "two days later: phone expired, still configured" 1 \
	"peers.inventory_inactive:warning peers.inventory_inactive:warning" --db "$db"
grep -q 'phone (owner imported) is active, but it expired at 2027-01-16T08:00:00Z' "$tmp/out" &&
	ok "the message says when it expired" || not_ok "the message says when it expired" "$(cat "$tmp/out")"

finish
