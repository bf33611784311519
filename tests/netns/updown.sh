#!/bin/bash
# rampart up / rampart down (wg-quick up/down in C) between two namespaces,
# against wg-quick itself where their behaviour must agree.
#
#   hub                                        client
#   wg0 10.77.0.1/24 fd77::1/64   <== tunnel ==>  wg0 10.77.0.2/24 fd77::2/64
#   lo  198.51.100.1 2001:db8:77::1 ("beyond the hub")
#   hub-client 192.168.77.1/24 ------ veth ----- client-hub 192.168.77.2/24
#              fd00:77::1/64                     fd00:77::2/64, MTU 1460
#                                                default via 192.168.77.1
#
# Both sides are brought up with `rampart up FILE` (configs written here
# with `rampart genkey/pubkey`); the daemon is $RAMPARTD_UNDER_TEST
# (rampartd by default).  A fake resolvconf first in PATH records its
# arguments and input.  Every "down" is checked against a snapshot taken
# before the first "up": rules, routes of every table, the nftables
# ruleset, addresses, links, sockets, state files and processes.
#
#  1. errors: missing file, bad name, bad config line (file:line, nothing
#     left), interface already there (refused, left alone), missing or
#     failing daemon, not root
#  2. hub up: hooks with %i, addresses, explicit MTU, wg-quick's "route
#     already covered" rule, state file
#  3. client up (split tunnel): automatic MTU, routes, DNS, pings
#  4. client down: resolvconf -d, nothing left
#  5. client up (full tunnel): fwmark, rules, table 51820, nftables,
#     src_valid_mark, pings through the tunnel, the endpoint's path outside
#  6. down cannot be fooled: foreign rules and an inet table named like
#     ours stay; a replaced interface stays; a tampered state file is
#     refused; a non-WireGuard interface is refused
#  7. rollback: a failing PostUp hook, an interrupt (SIGINT during up),
#     an nftables table of our name that exists already; Table = NUMBER,
#     main and off; hooks that bring another interface up and down
#  8. wg-quick: the same file works with wg-quick up/down; wg-quick down
#     deletes a foreign rule (the negative control for 6); rampart down
#     takes down what wg-quick brought up; rampart up after wg-quick down
#  9. hub down with SaveConfig: a peer added with `wg set` is written back,
#     wg-quick keys kept, 0600, readable by rampart and wg-quick
. "$(dirname "$0")/../lib.sh"

RAMPARTD=${RAMPARTD_UNDER_TEST:-$RAMPARTD}
export RAMPARTD
ns_require
impl_require "$RAMPARTD" wireguard-go wg-quick nft
ns_watchdog 300
echo "# daemon: $RAMPARTD, rampart: $RAMPART"

H=hub
C=client
HN=$(ns_name $H)
CN=$(ns_name $C)
umask 077
mkdir -p "$NS_TMP/bin" "$NS_TMP/hub" "$NS_TMP/client" "$NS_TMP/full" "$NS_TMP/bad" \
	"$NS_TMP/hooks" "$NS_TMP/failing" "$NS_TMP/intr" "$NS_TMP/dummy" "$NS_TMP/table" || exit 1
chmod 755 "$NS_TMP" "$NS_TMP/bin"

# The fake resolvconf: arguments to resolvconf.args, input of -a to
# resolvconf.in.
cat > "$NS_TMP/bin/resolvconf" <<EOF
#!/bin/bash
echo "\$*" >> "$NS_TMP/resolvconf.args"
[ "\$1" = -a ] && cat > "$NS_TMP/resolvconf.in"
exit 0
EOF
chmod 755 "$NS_TMP/bin/resolvconf"
TESTPATH=$NS_TMP/bin:$PATH

# wg-quick's resolvconf_iface_prefix, for what the fake must have seen.
rc_prefix() {
	local i
	[ -f /etc/resolvconf/interface-order ] || return 0
	while read -r i; do
		[[ $i =~ ^([A-Za-z0-9-]+)\*$ ]] && { echo "${BASH_REMATCH[1]}."; return 0; }
	done < /etc/resolvconf/interface-order
}
RCIF=$(rc_prefix)wg0

# rp NAME LOG ARGS...: rampart in NAME, output to $NS_TMP/LOG.log (a file:
# the daemon it starts keeps its stderr open).
rp() {
	local name=$1 log=$NS_TMP/$2.log; shift 2
	ns_run "$name" env PATH="$TESTPATH" "$RAMPART" "$@" >"$log" 2>&1
}
# quick NAME LOG ARGS...: wg-quick the same way.
quick() {
	local name=$1 log=$NS_TMP/$2.log; shift 2
	ns_run "$name" env PATH="$TESTPATH" WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
		wg-quick "$@" >"$log" 2>&1
}
logged() { grep -qF -- "$2" "$NS_TMP/$1.log"; }
not_logged() { ! logged "$@"; }
show_log() { sed 's/^/    /' "$NS_TMP/$1.log" | grep -v '[│┌└]' >&2; }

snap() { ns_snap "$@"; }
same_as_before() { ns_same_as "$@"; }
state_file() { echo "/proc/${NS_HOLDER[$1]}/root/run/rampart/wg0.state"; }
rules() { ip -n "$(ns_name "$1")" "$2" rule; }
nft_tables() { ip netns exec "$(ns_name "$1")" nft list tables; }
wg_ns() { ns_wg "$@"; }

ns_add $H && ns_add $C &&
ns_link $H $C 192.168.77.1/24 192.168.77.2/24 fd00:77::1/64 fd00:77::2/64 &&
ip -n "$HN" addr add 198.51.100.1/32 dev lo &&
ip -n "$HN" addr add 2001:db8:77::1/128 dev lo &&
ip -n "$CN" link set client-hub mtu 1460 &&
ip -n "$CN" route add default via 192.168.77.1 || { not_ok "namespaces"; finish; exit 1; }

for k in hub client extra; do
	"$RAMPART" genkey > "$NS_TMP/$k.key" && "$RAMPART" pubkey < "$NS_TMP/$k.key" > "$NS_TMP/$k.pub" ||
		{ not_ok "keys"; finish; exit 1; }
done
HUB_PUB=$(cat "$NS_TMP/hub.pub")
CLIENT_PUB=$(cat "$NS_TMP/client.pub")
EXTRA_PUB=$(cat "$NS_TMP/extra.pub")

cat > "$NS_TMP/hub/wg0.conf" <<EOF
# The hub: explicit MTU, hooks, SaveConfig.
[Interface]
PrivateKey = $(cat "$NS_TMP/hub.key")
ListenPort = 51820
Address = 10.77.0.1/24, fd77::1/64
MTU = 1400
PreUp = echo pre-up %i > $NS_TMP/hooks/pre-up
PostUp = echo post-up %i > $NS_TMP/hooks/post-up
PreDown = echo pre-down %i > $NS_TMP/hooks/pre-down
PostDown = echo post-down %i > $NS_TMP/hooks/post-down
SaveConfig = true

[Peer]
PublicKey = $CLIENT_PUB
AllowedIPs = 10.77.0.2/32, fd77::2/128
EOF
client_conf() { # ALLOWED [EXTRA INTERFACE LINES]
	cat <<EOF
[Interface]
PrivateKey = $(cat "$NS_TMP/client.key")
Address = 10.77.0.2/24
Address = fd77::2/64
DNS = 10.77.0.1, fd77::1, corp.example
$2
[Peer]
PublicKey = $HUB_PUB
Endpoint = 192.168.77.1:51820
AllowedIPs = $1
PersistentKeepalive = 25
EOF
}
client_conf "10.77.0.0/24, fd77::/64, 198.51.100.0/24, 2001:db8:77::/64" > "$NS_TMP/client/wg0.conf"
client_conf "0.0.0.0/0, ::/0" > "$NS_TMP/full/wg0.conf"
client_conf "0.0.0.0/0, ::/0" "PostUp = false" > "$NS_TMP/failing/wg0.conf"
client_conf "0.0.0.0/0, ::/0" "PostUp = kill -INT \$PPID" > "$NS_TMP/intr/wg0.conf"
printf '[Interface]\nPrivateKey = %s\nAddress = 10.77.0.300/24\n' "$(cat "$NS_TMP/client.key")" \
	> "$NS_TMP/bad/wg0.conf"
printf '[Interface]\nPrivateKey = %s\n' "$(cat "$NS_TMP/client.key")" > "$NS_TMP/dummy/wg1.conf"
cp "$NS_TMP/dummy/wg1.conf" "$NS_TMP/bad/bad name!.conf"

# The veths' link-local addresses finish DAD (and get their local routes)
# about a second after the links came up; snapshots wait for that.
settled() { [ -z "$(ip -n "$(ns_name "$1")" -6 addr show tentative)" ]; }
wait_for 10 settled $H && wait_for 10 settled $C || { not_ok "IPv6 DAD"; finish; exit 1; }
HUB_BEFORE=$(snap $H)
CLIENT_BEFORE=$(snap $C)

# ---- 1. errors ------------------------------------------------------------
rp $C e-missing up "$NS_TMP/none/wg9.conf"
check "missing file: exit 1" [ $? -eq 1 ]
check "missing file: wg-quick's message" logged e-missing "\`$NS_TMP/none/wg9.conf' does not exist"

rp $C e-name up "$NS_TMP/bad/bad name!.conf"
check "bad file name: exit 1" [ $? -eq 1 ]
check "bad file name: wg-quick's message" \
	logged e-name "The config file must be a valid interface name, followed by .conf"

rp $C e-bad up "$NS_TMP/bad/wg0.conf"
rc=$?
check "bad config line: exit 1" [ $rc -eq 1 ]
if logged e-bad "$NS_TMP/bad/wg0.conf:3: Address:" && logged e-bad '"10.77.0.300/24"'; then
	ok "bad config line: the message names file:line, key and value"
else
	not_ok "bad config line: message" "$(cat "$NS_TMP/e-bad.log")"
fi
check "bad config line: nothing left behind, no daemon started" same_as_before $C "$CLIENT_BEFORE"

# A persistent TUN device: the same kind as a daemon's, but nobody's.
ip netns exec "$CN" ip tuntap add dev wg0 mode tun
rp $C e-exists up "$NS_TMP/client/wg0.conf"
check "existing interface: exit 1" [ $? -eq 1 ]
check "existing interface: \`wg0' already exists" logged e-exists "\`wg0' already exists"
if ip -n "$CN" -d link show wg0 | grep -q 'tun type tun' && [ -z "$(ns_pids $C)" ] &&
   ! logged e-exists "[#]"; then
	ok "existing interface: left alone, nothing run"
else
	not_ok "existing interface: left alone" "$(cat "$NS_TMP/e-exists.log")"
fi
ip -n "$CN" link del wg0

RAMPARTD=/nonexistent/rampartd rp $C e-daemon up "$NS_TMP/client/wg0.conf"
rc=$?
if [ $rc -eq 1 ] && logged e-daemon "cannot find the daemon \`/nonexistent/rampartd'" &&
   not_logged e-daemon "[#]"; then
	ok "missing daemon: refused before anything is done"
else
	not_ok "missing daemon" "exit $rc" "$(cat "$NS_TMP/e-daemon.log")"
fi
RAMPARTD=false rp $C e-daemon2 up "$NS_TMP/client/wg0.conf"
rc=$?
if [ $rc -eq 1 ] && logged e-daemon2 "the daemon false failed (exit status 1)"; then
	ok "failing daemon: exit 1, the daemon named"
else
	not_ok "failing daemon" "exit $rc" "$(cat "$NS_TMP/e-daemon2.log")"
fi
check "failing daemon: nothing left" same_as_before $C "$CLIENT_BEFORE"

ns_run $C setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$RAMPART" up "$NS_TMP/client/wg0.conf" >"$NS_TMP/e-root.log" 2>&1
rc=$?
check "not root: exit 1, \"must be run as root\"" eval '[ $rc -eq 1 ] && logged e-root "must be run as root"'

# ---- 2. hub up --------------------------------------------------------------
if rp $H hub-up up "$NS_TMP/hub/wg0.conf"; then
	ok "hub: rampart up"
else
	not_ok "hub: rampart up"; show_log hub-up
fi
# logged_all LOG LINE...: every line is in the log, in that order.
logged_all() {
	local log=$1 want; shift
	want=$(printf '%s\n' "$@")
	[ "$(grep -xF -- "$want" "$NS_TMP/$log.log")" = "$want" ] && return 0
	show_log "$log"
	return 1
}
check "hub: actions printed as wg-quick prints them" logged_all hub-up \
	"[#] echo pre-up wg0 > $NS_TMP/hooks/pre-up" "[#] $RAMPARTD wg0" \
	"[#] wg setconf wg0 <(rampart strip $NS_TMP/hub/wg0.conf)" \
	"[#] ip -4 address add 10.77.0.1/24 dev wg0" "[#] ip -6 address add fd77::1/64 dev wg0" \
	"[#] ip link set mtu 1400 up dev wg0" "[#] echo post-up wg0 > $NS_TMP/hooks/post-up"
# wg-quick adds no route for an allowed IP that a route on the interface
# (here the addresses' own subnets) already covers.
check "hub: no route for allowed IPs inside its own subnets" not_logged hub-up "route add"
check "hub: PreUp and PostUp ran, %i expanded" \
	[ "$(cat "$NS_TMP/hooks/pre-up" "$NS_TMP/hooks/post-up" 2>/dev/null)" = "pre-up wg0
post-up wg0" ]
if ip -n "$HN" -o addr show dev wg0 | grep -q 'inet 10.77.0.1/24' &&
   ip -n "$HN" -o addr show dev wg0 | grep -q 'inet6 fd77::1/64' &&
   ip -n "$HN" link show wg0 | grep -q 'mtu 1400' &&
   ip -n "$HN" link show wg0 | grep -q ',UP'; then
	ok "hub: addresses, MTU 1400, up"
else
	not_ok "hub: addresses, MTU, up" "$(ip -n "$HN" addr show dev wg0)"
fi
daemon_holds() { [ -n "$(ns_tun_pid "$1" wg0)" ] && [ -S "$(ns_sock "$1" wg0)" ]; }
check "hub: the daemon holds wg0 and its socket exists" daemon_holds $H
state_modes() {
	[ "$(stat -c %a "$(state_file "$1")")" = 600 ] &&
	[ "$(stat -c %a "$(dirname "$(state_file "$1")")")" = 700 ]
}
check "hub: state file 0600 in a 0700 /run/rampart" state_modes $H

# ---- 3. client up, split tunnel -------------------------------------------
: > "$NS_TMP/resolvconf.args"
if rp $C client-up up "$NS_TMP/client/wg0.conf"; then
	ok "client: rampart up"
else
	not_ok "client: rampart up"; show_log client-up
fi
# wg-quick's set_mtu_up: the endpoint's route (client-hub, 1460) - 80.
check "client: automatic MTU 1380 (endpoint path 1460 - 80)" \
	eval 'ip -n "$CN" link show wg0 | grep -q "mtu 1380"'
if ip -n "$CN" -4 route show dev wg0 | grep -q '^198.51.100.0/24 scope link' &&
   ip -n "$CN" -6 route show dev wg0 | grep -q '^2001:db8:77::/64' &&
   [ "$(ip -n "$CN" -4 route show dev wg0 | grep -c '^10.77.0.0/24')" = 1 ]; then
	ok "client: routes for the allowed IPs (the covered one once)"
else
	not_ok "client: routes" "$(ip -n "$CN" route show dev wg0; ip -n "$CN" -6 route show dev wg0)"
fi
check "client: ping hub 10.77.0.1" ns_ping $C -c 3 -i 0.2 -w 10 10.77.0.1
check "client: ping hub fd77::1" ns_ping $C -c 3 -i 0.2 -w 10 fd77::1
check "client: ping beyond the hub, 198.51.100.1 and 2001:db8:77::1" \
	eval 'ns_ping $C -c 2 -i 0.2 -w 10 198.51.100.1 && ns_ping $C -c 2 -i 0.2 -w 10 2001:db8:77::1'
check "client: resolvconf -a $RCIF -m 0 -x" \
	[ "$(cat "$NS_TMP/resolvconf.args")" = "-a $RCIF -m 0 -x" ]
check "client: resolvconf got the name servers and search domain" \
	[ "$(cat "$NS_TMP/resolvconf.in")" = "nameserver 10.77.0.1
nameserver fd77::1
search corp.example" ]

# ---- 4. client down -----------------------------------------------------------
: > "$NS_TMP/resolvconf.args"
if rp $C client-down down "$NS_TMP/client/wg0.conf"; then
	ok "client: rampart down"
else
	not_ok "client: rampart down"; show_log client-down
fi
check "client: resolvconf -d $RCIF -f" [ "$(cat "$NS_TMP/resolvconf.args")" = "-d $RCIF -f" ]
check "client: nothing left (routes, addresses, daemon, socket, state)" \
	same_as_before $C "$CLIENT_BEFORE"
rp $C client-down2 down "$NS_TMP/client/wg0.conf"
rc=$?
check "client: a second rampart down says \`wg0' is not a WireGuard interface" \
	eval '[ $rc -eq 1 ] && logged client-down2 "\`wg0'"'"' is not a WireGuard interface"'


# ---- 5. full tunnel -------------------------------------------------------------
full_up() { # LOG
	rp $C "$1" up "$NS_TMP/full/wg0.conf" || { show_log "$1"; return 1; }
}
check "full tunnel: rampart up" full_up full-up
if rules $C -4 | grep -q 'not from all fwmark 0xca6c lookup 51820' &&
   rules $C -4 | grep -q 'from all lookup main suppress_prefixlength 0' &&
   rules $C -6 | grep -q 'not from all fwmark 0xca6c lookup 51820' &&
   rules $C -6 | grep -q 'from all lookup main suppress_prefixlength 0'; then
	ok "full tunnel: wg-quick's two rules in each family"
else
	not_ok "full tunnel: rules" "$(rules $C -4; rules $C -6)"
fi
check "full tunnel: fwmark 0xca6c on wg0" [ "$(wg_ns $C show wg0 fwmark)" = 0xca6c ]
if ip -n "$CN" -4 route show table 51820 | grep -q '^default dev wg0' &&
   ip -n "$CN" -6 route show table 51820 | grep -q '^default dev wg0'; then
	ok "full tunnel: default routes in table 51820"
else
	not_ok "full tunnel: table 51820" "$(ip -n "$CN" route show table 51820)"
fi
if nft_tables $C | grep -qx 'table ip wg-quick-wg0' &&
   nft_tables $C | grep -qx 'table ip6 wg-quick-wg0' &&
   ip netns exec "$CN" nft list table ip wg-quick-wg0 |
	grep -q 'iifname != "wg0" ip daddr 10.77.0.2 fib saddr type != local drop'; then
	ok "full tunnel: nftables tables ip and ip6 wg-quick-wg0 with the anti-spoofing rule"
else
	not_ok "full tunnel: nftables" "$(ip netns exec "$CN" nft list ruleset)"
fi
check "full tunnel: src_valid_mark=1" \
	[ "$(ip netns exec "$CN" sysctl -n net.ipv4.conf.all.src_valid_mark)" = 1 ]
check "full tunnel: ping hub 10.77.0.1" ns_ping $C -c 3 -i 0.2 -w 10 10.77.0.1
check "full tunnel: ping 198.51.100.1 through the tunnel" ns_ping $C -c 3 -i 0.2 -w 10 198.51.100.1
check "full tunnel: ping 2001:db8:77::1 through the tunnel" ns_ping $C -c 3 -i 0.2 -w 10 2001:db8:77::1
check "full tunnel: unmarked traffic goes to table 51820" \
	eval 'ip -n "$CN" route get 198.51.100.1 | grep -q "dev wg0 table 51820"'
check "full tunnel: the tunnel's own (marked) packets take main's default route" \
	eval 'ip -n "$CN" route get 198.51.100.1 mark 0xca6c | grep -q "via 192.168.77.1 dev client-hub"'
if grep -q '^rule ipv4 [0-9]* not fwmark 51820 table 51820$' "$(state_file $C)" &&
   grep -q '^rule ipv6 [0-9]* table 254 suppress_prefixlength 0$' "$(state_file $C)" &&
   grep -qx 'nft ip6' "$(state_file $C)" && grep -qx "dns $RCIF" "$(state_file $C)" &&
   grep -qx 'fwmark 51820' "$(state_file $C)"; then
	ok "full tunnel: the state file records rules with priorities, tables, DNS, fwmark"
else
	not_ok "full tunnel: state file" "$(cat "$(state_file $C)")"
fi

# ---- 6. down cannot be fooled -------------------------------------------------
# Rules and a table that look like ours but are someone else's.
ip -n "$CN" -4 rule add from 192.0.2.0/24 lookup 51820 pref 100
ip -n "$CN" -4 rule add lookup main suppress_prefixlength 0 pref 200
ip -n "$CN" -6 rule add lookup main suppress_prefixlength 0 pref 200
ip netns exec "$CN" nft add table inet wg-quick-wg0
check "foreign rules: rampart down" rp $C fool-down down "$NS_TMP/full/wg0.conf"
if rules $C -4 | grep -q '^100:.*from 192.0.2.0/24 lookup 51820' &&
   rules $C -4 | grep -q '^200:.*from all lookup main suppress_prefixlength 0' &&
   rules $C -6 | grep -q '^200:.*from all lookup main suppress_prefixlength 0' &&
   [ "$(rules $C -4 | grep -c suppress_prefixlength)" = 1 ] &&
   ! rules $C -4 | grep -q 'fwmark' && nft_tables $C | grep -qx 'table inet wg-quick-wg0'; then
	ok "foreign rules: theirs stay (also the inet table), ours are gone"
else
	not_ok "foreign rules" "$(rules $C -4; rules $C -6; nft_tables $C)"
fi
ip -n "$CN" -4 rule del pref 100
ip -n "$CN" -4 rule del pref 200
ip -n "$CN" -6 rule del pref 200
ip netns exec "$CN" nft delete table inet wg-quick-wg0
check "foreign rules: nothing else left" same_as_before $C "$CLIENT_BEFORE"

# An interface that replaced ours under the same name is not ours.
check "replaced interface: rampart up" full_up replaced-up
ip -n "$CN" link del wg0
wait_for 5 ns_no_pids $C
ip netns exec "$CN" ip tuntap add dev wg0 mode tun
rp $C replaced-down down "$NS_TMP/full/wg0.conf"
rc=$?
if [ $rc -eq 1 ] && logged replaced-down "\`wg0' is not a WireGuard interface" &&
   ip -n "$CN" -d link show wg0 | grep -q 'tun type tun'; then
	ok "replaced interface: refused, the other wg0 stays"
else
	not_ok "replaced interface: refused" "exit $rc" "$(cat "$NS_TMP/replaced-down.log")"
fi
if ! rules $C -4 | grep -q fwmark && ! nft_tables $C | grep -q wg-quick &&
   [ ! -e "$(state_file $C)" ]; then
	ok "replaced interface: what up had added (rules, tables, state) is removed"
else
	not_ok "replaced interface: cleanup" "$(rules $C -4; nft_tables $C)"
fi
ip -n "$CN" link del wg0
check "replaced interface: nothing else left" same_as_before $C "$CLIENT_BEFORE"

# A state file anyone could have written is not acted on.
check "tampered state: rampart up" full_up tamper-up
chmod 0666 "$(state_file $C)"
rp $C tamper-down down "$NS_TMP/full/wg0.conf"
rc=$?
if [ $rc -eq 1 ] && logged tamper-down "refusing" && ip -n "$CN" link show wg0 >/dev/null 2>&1; then
	ok "tampered state: refused, wg0 still up"
else
	not_ok "tampered state: refused" "exit $rc" "$(cat "$NS_TMP/tamper-down.log")"
fi
chmod 0600 "$(state_file $C)"
check "tampered state: rampart down once it is fixed" rp $C tamper-down2 down "$NS_TMP/full/wg0.conf"
check "tampered state: nothing left" same_as_before $C "$CLIENT_BEFORE"

# A name that is not a WireGuard interface at all.
ip netns exec "$CN" ip tuntap add dev wg1 mode tun
rp $C dummy-down down "$NS_TMP/dummy/wg1.conf"
rc=$?
if [ $rc -eq 1 ] && logged dummy-down "\`wg1' is not a WireGuard interface" &&
   ip -n "$CN" link show wg1 >/dev/null 2>&1; then
	ok "non-WireGuard interface: refused and left alone"
else
	not_ok "non-WireGuard interface" "exit $rc" "$(cat "$NS_TMP/dummy-down.log")"
fi
ip -n "$CN" link del wg1

# ---- 7. rollback ----------------------------------------------------------------
: > "$NS_TMP/resolvconf.args"
rp $C failing-up up "$NS_TMP/failing/wg0.conf"
rc=$?
if [ $rc -eq 1 ] && logged failing-up "PostUp hook at $NS_TMP/failing/wg0.conf:6 failed" &&
   logged failing-up "rolling back"; then
	ok "failing PostUp: exit 1, the hook named, rolled back"
else
	not_ok "failing PostUp" "exit $rc" "$(cat "$NS_TMP/failing-up.log")"
fi
check "failing PostUp: DNS entry removed again" \
	[ "$(cat "$NS_TMP/resolvconf.args")" = "-a $RCIF -m 0 -x
-d $RCIF -f" ]
check "failing PostUp: nothing left (rules, tables, routes, daemon, state)" \
	same_as_before $C "$CLIENT_BEFORE"

rp $C intr-up up "$NS_TMP/intr/wg0.conf"
rc=$?
if [ $rc -eq 1 ] && logged intr-up "interrupted" && logged intr-up "rolling back"; then
	ok "SIGINT during up: exit 1, rolled back"
else
	not_ok "SIGINT during up" "exit $rc" "$(cat "$NS_TMP/intr-up.log")"
fi
check "SIGINT during up: nothing left" same_as_before $C "$CLIENT_BEFORE"

# An nftables table of our name that is already there is refused, not
# merged into, and the rollback leaves it alone.
ip netns exec "$CN" nft add table ip wg-quick-wg0
rp $C nft-exists up "$NS_TMP/full/wg0.conf"
rc=$?
if [ $rc -eq 1 ] && logged nft-exists "nft refused table ip wg-quick-wg0" &&
   logged nft-exists "rolling back" && nft_tables $C | grep -qx 'table ip wg-quick-wg0' &&
   ! nft_tables $C | grep -q 'table ip6'; then
	ok "existing nftables table: refused, rolled back, theirs left alone"
else
	not_ok "existing nftables table" "exit $rc" "$(cat "$NS_TMP/nft-exists.log")" "$(nft_tables $C)"
fi
ip netns exec "$CN" nft delete table ip wg-quick-wg0
check "existing nftables table: nothing else left" same_as_before $C "$CLIENT_BEFORE"

# Table = NUMBER: every route there, /0 too, and no rules or wg-quick
# firewall (only Rampart's own hardening table, which every up applies);
# Table = off: no routes at all.
client_conf "0.0.0.0/0, 2001:db8:77::/64" "Table = 1234" > "$NS_TMP/table/wg0.conf"
check "Table = 1234: rampart up" rp $C table-up up "$NS_TMP/table/wg0.conf"
if ip -n "$CN" -4 route show table 1234 | grep -q '^default dev wg0' &&
   ip -n "$CN" -6 route show table 1234 | grep -q '^2001:db8:77::/64 dev wg0' &&
   ! rules $C -4 | grep -q 1234 &&
   [ "$(nft_tables $C)" = "table inet rampart-wg0" ] &&
   [ -z "$(ip -n "$CN" -4 route show dev wg0 | grep -v 'proto kernel')" ]; then
	ok "Table = 1234: routes in table 1234 only, no rules, no nftables"
else
	not_ok "Table = 1234" "$(ip -n "$CN" route show table all | grep wg0)"
fi
check "Table = 1234: rampart down" rp $C table-down down "$NS_TMP/table/wg0.conf"
check "Table = 1234: nothing left" same_as_before $C "$CLIENT_BEFORE"
# Table = NAME (ip's builtin "main" here): /0 goes into main as is.
client_conf "198.51.100.0/24, ::/0" "Table = main" > "$NS_TMP/table/wg0.conf"
check "Table = main: rampart up" rp $C main-up up "$NS_TMP/table/wg0.conf"
if logged main-up "[#] ip -6 route add ::/0 dev wg0 table main" &&
   ip -n "$CN" -6 route show dev wg0 | grep -q '^default' &&
   ip -n "$CN" -4 route show dev wg0 | grep -q '^198.51.100.0/24' && ! rules $C -6 | grep -q fwmark; then
	ok "Table = main: every route in main, /0 too, no rules"
else
	not_ok "Table = main" "$(cat "$NS_TMP/main-up.log")"
fi
check "Table = main: rampart down" rp $C main-down down "$NS_TMP/table/wg0.conf"
check "Table = main: nothing left" same_as_before $C "$CLIENT_BEFORE"
client_conf "0.0.0.0/0, ::/0" "Table = off" > "$NS_TMP/table/wg0.conf"
check "Table = off: rampart up" rp $C off-up up "$NS_TMP/table/wg0.conf"
if [ -z "$(ip -n "$CN" route show table all | grep wg0 | grep -v 'proto kernel\|^local\|^multicast\|^broadcast')" ] &&
   ! rules $C -4 | grep -q fwmark; then
	ok "Table = off: no routes, no rules"
else
	not_ok "Table = off" "$(ip -n "$CN" route show table all | grep wg0)"
fi
check "Table = off: rampart down" rp $C off-down down "$NS_TMP/table/wg0.conf"
check "Table = off: nothing left" same_as_before $C "$CLIENT_BEFORE"

# A hook may bring another interface up and down (one lock per
# interface, so no deadlock).
mkdir -p "$NS_TMP/chain"
printf '[Interface]\nPrivateKey = %s\nAddress = 10.56.0.1/24\n' "$(cat "$NS_TMP/extra.key")" \
	> "$NS_TMP/chain/wg6.conf"
cat > "$NS_TMP/chain/wg5.conf" <<EOF
[Interface]
PrivateKey = $(cat "$NS_TMP/client.key")
Address = 10.55.0.1/24
PostUp = $RAMPART up $NS_TMP/chain/wg6.conf
PreDown = $RAMPART down $NS_TMP/chain/wg6.conf
EOF
if rp $C chain-up up "$NS_TMP/chain/wg5.conf" && ip -n "$CN" link show wg6 >/dev/null 2>&1 &&
   ip -n "$CN" link show wg5 >/dev/null 2>&1; then
	ok "a PostUp hook brings up another interface"
else
	not_ok "hook chaining: up"; show_log chain-up
fi
if rp $C chain-down down "$NS_TMP/chain/wg5.conf" && ! ip -n "$CN" link show wg6 >/dev/null 2>&1; then
	ok "a PreDown hook takes it down"
else
	not_ok "hook chaining: down"; show_log chain-down
fi
check "hook chaining: nothing left" same_as_before $C "$CLIENT_BEFORE"

# ---- 8. wg-quick -----------------------------------------------------------------
if quick $C q-up up "$NS_TMP/full/wg0.conf"; then
	ok "wg-quick up with the same file"
else
	not_ok "wg-quick up"; show_log q-up
fi
check "wg-quick: ping 198.51.100.1 through the tunnel" ns_ping $C -c 3 -i 0.2 -w 10 198.51.100.1
# The negative control for the foreign-rule test: wg-quick's del_if
# deletes every rule that mentions its table.
ip -n "$CN" -4 rule add from 192.0.2.0/24 lookup 51820 pref 100
if quick $C q-down down "$NS_TMP/full/wg0.conf" && ! rules $C -4 | grep -q '^100:'; then
	ok "wg-quick down deletes a foreign rule too (negative control)"
else
	not_ok "wg-quick down (negative control)" "$(rules $C -4)"; show_log q-down
	ip -n "$CN" -4 rule del pref 100 2>/dev/null
fi
check "wg-quick down: nothing left" same_as_before $C "$CLIENT_BEFORE"

check "wg-quick up, then" quick $C q-up2 up "$NS_TMP/full/wg0.conf"
: > "$NS_TMP/resolvconf.args"
if rp $C q-rampart-down down "$NS_TMP/full/wg0.conf"; then
	ok "rampart down takes down what wg-quick brought up"
else
	not_ok "rampart down after wg-quick up"; show_log q-rampart-down
fi
check "rampart down after wg-quick up: resolvconf -d" \
	[ "$(cat "$NS_TMP/resolvconf.args")" = "-d $RCIF -f" ]
check "rampart down after wg-quick up: nothing left" same_as_before $C "$CLIENT_BEFORE"

check "rampart up, then" full_up q-rampart-up
check "wg-quick down takes down what rampart brought up" quick $C q-down2 down "$NS_TMP/full/wg0.conf"
if rp $C stale-up up "$NS_TMP/full/wg0.conf" && logged stale-up "that rampart up created is gone; removing" &&
   ns_ping $C -c 2 -i 0.2 -w 10 10.77.0.1; then
	ok "rampart up again: the stale state file is cleaned up, the tunnel works"
else
	not_ok "rampart up after wg-quick down"; show_log stale-up
fi
check "and rampart down" rp $C stale-down down "$NS_TMP/full/wg0.conf"
check "nothing left" same_as_before $C "$CLIENT_BEFORE"

# ---- 9. hub down with SaveConfig -----------------------------------------------
wg_ns $H set wg0 peer "$EXTRA_PUB" allowed-ips 10.77.0.99/32
if rp $H hub-down down "$NS_TMP/hub/wg0.conf"; then
	ok "hub: rampart down"
else
	not_ok "hub: rampart down"; show_log hub-down
fi
check "hub: PreDown and PostDown ran, %i expanded" \
	[ "$(cat "$NS_TMP/hooks/pre-down" "$NS_TMP/hooks/post-down" 2>/dev/null)" = "pre-down wg0
post-down wg0" ]
saved=$NS_TMP/hub/wg0.conf
if grep -qx "PublicKey = $EXTRA_PUB" "$saved" && grep -qx 'AllowedIPs = 10.77.0.99/32' "$saved" &&
   grep -qx "PublicKey = $CLIENT_PUB" "$saved" && grep -qx 'ListenPort = 51820' "$saved" &&
   grep -qx "PrivateKey = $(cat "$NS_TMP/hub.key")" "$saved"; then
	ok "SaveConfig: the peer added with wg set is in the file"
else
	not_ok "SaveConfig: peers" "$(sed '/PrivateKey/d' "$saved")"
fi
if grep -qx 'Address = 10.77.0.1/24, fd77::1/64' "$saved" && grep -qx 'MTU = 1400' "$saved" &&
   grep -qx "PostUp = echo post-up %i > $NS_TMP/hooks/post-up" "$saved" &&
   grep -qx "PreUp = echo pre-up %i > $NS_TMP/hooks/pre-up" "$saved" &&
   grep -qx 'SaveConfig = true' "$saved" && ! grep -q fe80 "$saved"; then
	ok "SaveConfig: wg-quick keys kept (Address, MTU, hooks with %i, SaveConfig)"
else
	not_ok "SaveConfig: wg-quick keys" "$(sed '/PrivateKey/d' "$saved")"
fi
check "SaveConfig: the file is 0600" [ "$(stat -c %a "$saved")" = 600 ]
check "SaveConfig: no temporary file left" [ "$(ls -A "$NS_TMP/hub")" = wg0.conf ]
check "SaveConfig: rampart reads it back" eval '"$RAMPART" strip "$saved" >/dev/null'
check "SaveConfig: wg-quick reads it back" eval 'wg-quick strip "$saved" >/dev/null'
check "hub: nothing left" same_as_before $H "$HUB_BEFORE"

check "no sanitizer report in any rampart output" ns_sanitizer_clean
finish
