#!/bin/bash
# rampart diff: a hub brought up with `rampart up`, then one drift at a
# time, each reported (in the text and in --json, exit 1) and put back by
# the very fix diff names, after which diff is clean again (exit 0).
#
#   ns hub   wg0 10.66.0.1/24 fd66::1/64, ListenPort 51820, role hub
#            (the default [Policy]: table inet rampart-wg0, the hub's
#            sysctls); peer laptop 10.66.0.2/32, fd66::2/128, keepalive
#            25; peer site 10.66.0.3/32 at Endpoint 192.0.2.1:51820
#            /etc/wireguard and /etc/sysctl.d: tmpfs of this namespace
#
#  1. a fresh `rampart up`: no drift, exit 0, --json []; the hub's own
#     ruleset untouched by diff's rendering
#  2. each alone: a peer added with `wg set`; an allowed IP removed with
#     `wg set`; a rule added to Rampart's table by hand (`nft add rule`);
#     a sysctl of the plan changed (`sysctl -w`); the listen port changed
#     with `wg set`; the site's endpoint set by hand with `wg set`; each
#     named, exit 1, and undone by its fix; a rule whose comment holds
#     an escape character is printed without it
#  3. with an inventory holding wg0 (`rampart peer init`, `peer add`):
#     its peer is declared, the file's are not; a key added with `wg
#     set` is extra, and `rampart peer apply` puts it back
#  4. cannot run: no such interface, a config that is not there (exit 3,
#     one line naming it)
#  5. without --config, the file `rampart up` read (a hub brought up from
#     a file outside /etc/wireguard)
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$RAMPARTD" wg nft "$PYTHON"
ns_watchdog 90
export RAMPARTD

HN=$(ns_name hub)
umask 077
mkdir -p "$NS_TMP/bin" || exit 1
chmod 755 "$NS_TMP" "$NS_TMP/bin"
# The fixes say `rampart ...`: this rampart, first in PATH.
ln -s "$RAMPART" "$NS_TMP/bin/rampart"
TESTPATH=$NS_TMP/bin:$PATH
# No inventory: the config file is what is declared.
export RAMPART_DB=$NS_TMP/no-inventory.db

KEY=$("$RAMPART" genkey)
PUB=$("$RAMPART" genkey | "$RAMPART" pubkey)
STRAY=$("$RAMPART" genkey | "$RAMPART" pubkey)
SITE=$("$RAMPART" genkey | "$RAMPART" pubkey)
CONF="[Interface]
PrivateKey = $KEY
ListenPort = 51820
Address = 10.66.0.1/24, fd66::1/64

[Peer]
# Name = laptop
PublicKey = $PUB
AllowedIPs = 10.66.0.2/32, fd66::2/128
PersistentKeepalive = 25

[Peer]
# Name = site
PublicKey = $SITE
Endpoint = 192.0.2.1:51820
AllowedIPs = 10.66.0.3/32"

# logged LOG CMD...: CMD's output in $NS_TMP/LOG.log.
logged() { local log=$NS_TMP/$1.log; shift; "$@" >"$log" 2>&1; }
# hub CMD...: in the hub, with the test's PATH, stdin closed.
hub() { ns_run hub env PATH="$TESTPATH" RAMPART_DB="$RAMPART_DB" RAMPARTD="$RAMPARTD" "$@" </dev/null; }

if ns_add hub &&
   ns_exec hub mount -t tmpfs -o mode=0700 tmpfs /etc/wireguard &&
   ns_exec hub mount -t tmpfs -o mode=0755 tmpfs /etc/sysctl.d &&
   printf '%s\n' "$CONF" | ns_exec hub sh -c 'umask 077; cat > /etc/wireguard/wg0.conf' &&
   hub "$RAMPART" up wg0 >"$NS_TMP/up.log" 2>&1; then
	echo "# setup: hub up"
else
	sed 's/^/    /' "$NS_TMP/up.log" >&2
	bail "setup failed: rampart up wg0"
fi

# diff [ARGS...]: rampart diff wg0 in the hub; stdout in $OUT, stderr in
# $NS_TMP/diff.err, the exit status in $RC.
diff_wg0() {
	OUT=$(hub "$RAMPART" diff wg0 "$@" 2>"$NS_TMP/diff.err")
	RC=$?
	cat "$NS_TMP/diff.err" >>"$NS_TMP/diffs.log"
}
show() { printf '%s\n' "$OUT" | sed 's/^/    /' >&2; sed 's/^/    /' "$NS_TMP/diff.err" >&2; }

# clean NAME: diff says nothing and exits 0, in text and in JSON.
clean() {
	diff_wg0
	if [ "$RC" = 0 ] && [ "$OUT" = "wg0: no drift" ]; then ok "$1: no drift, exit 0"
	else not_ok "$1: no drift, exit 0 (exit $RC)"; show; fi
	diff_wg0 --json
	if [ "$RC" = 0 ] && printf '%s' "$OUT" | json_ok 'd == []'; then ok "$1: --json []"
	else not_ok "$1: --json [] (exit $RC)"; show; fi
}

# drifted NAME KIND PYEXPR TEXT: diff exits 1 with exactly one
# difference, of KIND, for which PYEXPR (over x, the difference) holds,
# and the text output has a line with TEXT; then its fix is run in the
# hub (FIX is left set) and the state is clean again.
drifted() {
	local name=$1 kind=$2 expr=$3 text=$4
	diff_wg0
	if [ "$RC" = 1 ] && printf '%s\n' "$OUT" | grep -qF -- "$text" && [ ! -s "$NS_TMP/diff.err" ]; then
		ok "$name: named in the text, exit 1"
	else
		not_ok "$name: named in the text, exit 1 (exit $RC)"; show
	fi
	diff_wg0 --json
	if [ "$RC" = 1 ] && printf '%s' "$OUT" |
	   json_ok "len(d) == 1 and (lambda x: x['kind'] == '$kind' and ($expr))(d[0])"; then
		ok "$name: --json has one $kind"
	else
		not_ok "$name: --json has one $kind (exit $RC)"; show
	fi
	FIX=$(printf '%s' "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[0]["fix"] if d else "")' 2>/dev/null)
	echo "# [hub] $FIX"
	if [ -n "$FIX" ] && hub bash -c "$FIX" >"$NS_TMP/fix.log" 2>&1; then
		ok "$name: its fix runs"
	else
		not_ok "$name: its fix runs ($FIX)"; sed 's/^/    /' "$NS_TMP/fix.log" >&2
	fi
	clean "$name: after the fix"
}

# 1. Fresh.  diff renders the policy in a scratch namespace of its own:
# the hub's ruleset is the same before and after.
RULESET=$(ip netns exec "$HN" nft -s list ruleset)
clean "fresh rampart up"
expect "diff left the hub's ruleset alone" "$(ip netns exec "$HN" nft -s list ruleset)" "$RULESET"

# 2. One drift at a time.
echo "# [hub] wg set wg0 peer $STRAY allowed-ips 10.66.0.9/32"
setup "add a peer" hub wg set wg0 peer "$STRAY" allowed-ips 10.66.0.9/32
drifted "a peer added with wg set" peer_extra \
	"x['peer'] == '$STRAY' and x['declared'] == '(absent)' and x['running'] == 'present'" \
	"peer_extra peer $STRAY peer: declared (absent), running present"

echo "# [hub] wg set wg0 peer $PUB allowed-ips 10.66.0.2/32"
setup "remove an allowed IP" hub wg set wg0 peer "$PUB" allowed-ips 10.66.0.2/32
drifted "an allowed IP removed with wg set" allowed_ip_missing \
	"x['peer'] == '$PUB' and x['peer_name'] == 'laptop' and x['declared'] == 'fd66::2/128' and x['running'] == '(absent)'" \
	"allowed_ip_missing peer laptop ($PUB) allowed IP fd66::2/128: declared fd66::2/128, running (absent)"

echo "# [hub] nft add rule inet rampart-wg0 input tcp dport 8080 accept"
setup "add a rule" ip netns exec "$HN" nft add rule inet rampart-wg0 input tcp dport 8080 accept
drifted "a rule added to Rampart's table by hand" nft_table \
	"x['what'] == 'chain input' and x['declared'] == '(absent)' and x['running'] == 'tcp dport 8080 accept'" \
	"nft_table chain input: declared (absent), running tcp dport 8080 accept"

# A rule's comment is anyone's text: no control character reaches the
# terminal, and --json keeps it escaped.
ESC=$(printf '\033')
setup "add a rule with an escape in its comment" ip netns exec "$HN" nft add rule inet rampart-wg0 \
	input tcp dport 8081 accept comment "\"a${ESC}[1mb\""
diff_wg0
if [ "$RC" = 1 ] && printf '%s\n' "$OUT" | grep -qF 'tcp dport 8081 accept comment "a?[1mb"' &&
   ! printf '%s' "$OUT" | grep -q "$ESC"; then
	ok "a control character in a rule's comment is not printed"
else
	not_ok "a control character in a rule's comment is not printed (exit $RC)"; show
fi
diff_wg0 --json
if printf '%s' "$OUT" | json_ok "d[0]['running'] == 'tcp dport 8081 accept comment \"a\\x1b[1mb\"'"; then
	ok "... and --json carries it escaped"
else
	not_ok "... and --json carries it escaped"; show
fi
setup "put the table back" logged apply1 hub "$RAMPART" firewall apply wg0
clean "after the comment's rule"

echo "# [hub] sysctl -w net.ipv4.conf.all.send_redirects=1"
setup "change a sysctl" hub sysctl -q -w net.ipv4.conf.all.send_redirects=1
drifted "a sysctl of the plan changed" sysctl \
	"x['what'] == 'net.ipv4.conf.all.send_redirects' and x['declared'] == '0' and x['running'] == '1'" \
	"sysctl net.ipv4.conf.all.send_redirects: declared 0, running 1"

echo "# [hub] wg set wg0 listen-port 51821"
setup "change the port" hub wg set wg0 listen-port 51821
drifted "the listen port changed with wg set" listen_port \
	"x['declared'] == '51820' and x['running'] == '51821' and x['fix'] == 'wg set wg0 listen-port 51820'" \
	"listen_port listen port: declared 51820, running 51821"

echo "# [hub] wg set wg0 peer $SITE endpoint 192.0.2.2:51820"
setup "set an endpoint" hub wg set wg0 peer "$SITE" endpoint 192.0.2.2:51820
drifted "an endpoint set by hand with wg set" endpoint \
	"x['peer'] == '$SITE' and x['declared'] == '192.0.2.1:51820' and x['running'] == '192.0.2.2:51820'" \
	"endpoint peer site ($SITE) endpoint: declared 192.0.2.1:51820, running 192.0.2.2:51820"

# 3. With an inventory that holds wg0, its peers are what is declared:
# the file's two peers leave with the first change that applies
# (`peer add`), and diff agrees with the interface.
export RAMPART_DB=$NS_TMP/inventory.db
HUBPUB=$(printf '%s\n' "$KEY" | "$RAMPART" pubkey)
setup "peer init" logged init hub "$RAMPART" peer init -i wg0 --endpoint 192.0.2.100:51820 \
	--pool 10.66.0.0/24 --public-key "$HUBPUB"
# The client's config (its private key) goes to a file, not the log.
add_alice() { hub "$RAMPART" peer add alice --owner alice --generate -i wg0 >"$NS_TMP/alice.conf"; }
setup "peer add alice" add_alice
ALICE=$(hub "$RAMPART" peer show alice -i wg0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
expect "the inventory's peer alone runs" "$(ns_wg hub show wg0 peers)" "$ALICE"
clean "the inventory's peers"
echo "# [hub] wg set wg0 peer $STRAY allowed-ips 10.66.0.9/32"
setup "add a peer" hub wg set wg0 peer "$STRAY" allowed-ips 10.66.0.9/32
drifted "inventory: a peer added with wg set" peer_extra \
	"x['peer'] == '$STRAY' and x['fix'] == 'rampart peer apply -i wg0'" \
	"peer_extra peer $STRAY peer: declared (absent), running present"
export RAMPART_DB=$NS_TMP/no-inventory.db

# 4. What diff cannot compare.
OUT=$(hub "$RAMPART" diff nosuch0 2>"$NS_TMP/diff.err"); RC=$?
if [ "$RC" = 3 ] && [ "$(wc -l < "$NS_TMP/diff.err")" = 1 ] &&
   grep -q 'nosuch0' "$NS_TMP/diff.err"; then
	ok "no such interface: exit 3, one line naming it"
else
	not_ok "no such interface: exit 3, one line naming it (exit $RC)"; show
fi
diff_wg0 --config /etc/wireguard/missing.conf
if [ "$RC" = 3 ] && [ "$(wc -l < "$NS_TMP/diff.err")" = 1 ] &&
   grep -q '/etc/wireguard/missing.conf' "$NS_TMP/diff.err"; then
	ok "a config that is not there: exit 3, one line naming it"
else
	not_ok "a config that is not there: exit 3, one line naming it (exit $RC)"; show
fi

# 5. Without --config, the file `rampart up` read (its state file): a hub
# brought up from a file elsewhere, with none in /etc/wireguard.
ELSE=$NS_TMP/elsewhere/wg0.conf
mkdir -p "$NS_TMP/elsewhere" && printf '%s\n' "$CONF" >"$ELSE"
setup "down" logged down1 hub "$RAMPART" down wg0
setup "no /etc/wireguard/wg0.conf" ns_exec hub rm /etc/wireguard/wg0.conf
setup "up from elsewhere" logged up2 hub "$RAMPART" up "$ELSE"
diff_wg0
expect "without --config: the file up read, no drift" "$RC $OUT" "0 wg0: no drift"
setup "change the port" hub wg set wg0 listen-port 51821
diff_wg0
expect "... and a drift against it" "$RC $(printf '%s' "$OUT" | head -n 1)" \
	"1 listen_port listen port: declared 51820, running 51821"

check "no sanitizer report from rampart diff" ns_sanitizer_clean
hub "$RAMPART" down "$ELSE" >"$NS_TMP/down.log" 2>&1 || sed 's/^/    /' "$NS_TMP/down.log" >&2
finish
