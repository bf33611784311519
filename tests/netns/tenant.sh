#!/bin/bash
# Tenant namespaces: `rampart up --netns NAME` (or `Namespace = NAME` in
# [Interface]) puts the interface in a tenant network namespace while
# rampartd and its UDP sockets stay in the hub's; the daemon follows its
# link there.
#
#   tenant t1 (made inside the hub)     hub                               client
#   +---------------------------+       +-----------------------------+   +------------------------+
#   | wg0 10.88.0.1/24          |       | rampartd, UDP 51888         |   | wireguard-go wg0       |
#   |  (no other link: no route |<-TUN--| control socket, port table  |   |   10.88.0.2/24         |
#   |   to the hub's uplink)    |       | hub-client 192.168.88.1/24 -+---+- client-hub .88.2/24   |
#   +---------------------------+       +-----------------------------+   +------------------------+
#
#  1. the negative control, without --netns: wg0 in the hub, which then
#     routes to the client's tunnel address and to its uplink
#  2. no such namespace: a clear error naming it, nothing created
#  3. --netns t1: a process in t1 reaches the client and the client t1;
#     the hub has no route to the client's tunnel address, t1 none to the
#     uplink; the policy's table in t1 without the port's rules, the
#     port's table in the hub; rampart show, status and wg show in the hub;
#     a second up is refused and changes nothing
#  4. the MTU changed in t1: the daemon follows (its log, through a
#     /dev/log of the hub's own)
#  5. rampart down: no table in either namespace, no link, no state; an
#     up whose PostUp fails (in t1) rolls back all of it
#  6. Namespace = t1 in the file; `ip link del wg0` in t1 ends the daemon
#     and removes its socket; rampart down then leaves nothing
#  7. the tenant namespace deleted ends the daemon; rampart down cleans up
. "$(dirname "$0")/../lib.sh"

RAMPARTD=${RAMPARTD_UNDER_TEST:-$RAMPARTD}
export RAMPARTD
ns_require
impl_require "$RAMPARTD" wireguard-go nft
ns_watchdog 240
echo "# daemon: $RAMPARTD, rampart: $RAMPART"

T=tnt1 # inside the hub's mount namespace: /run/netns there is its own
umask 077
mkdir -p "$NS_TMP/hub/keyed" "$NS_TMP/hub/failing" || exit 1

# The tenant and what runs in it go before the namespaces (the EXIT trap).
tenant_cleanup() {
	local pids
	[ -n "${NS_HOLDER[hub]:-}" ] || return 0
	pids=$(ns_exec hub ip netns pids "$T" 2>/dev/null)
	# shellcheck disable=SC2086
	[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
	ns_exec hub ip netns del "$T" 2>/dev/null
	return 0
}
trap 'tenant_cleanup; ns_cleanup_all' EXIT

t1() { ns_run hub ip netns exec "$T" "$@"; }
rp() {
	local log=$NS_TMP/$1.log; shift
	ns_run hub "$RAMPART" "$@" >"$log" 2>&1
}
logged() { grep -qF -- "$2" "$NS_TMP/$1.log"; }
show_log() { sed 's/^/    /' "$NS_TMP/$1.log" >&2; }

setup "namespaces hub and client" ns_add hub
setup "namespace client" ns_add client
setup "veth hub-client" ns_link hub client 192.168.88.1/24 192.168.88.2/24

# A private /dev in the hub, so that /dev/log is a listener of ours (the
# detached daemon logs to syslog) and the host's journal sees nothing.
ns_exec hub sh -e -c '
	d=$(mktemp -d)
	mount -t tmpfs none "$d"
	mkdir -p "$d/net"
	for f in null zero urandom random net/tun; do touch "$d/$f"; mount --bind "/dev/$f" "$d/$f"; done
	ln -s /proc/self/fd "$d/fd"
	mount --rbind "$d" /dev' || bail "setup failed: a private /dev in the hub"
ns_exec hub python3 -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
while True:
    print(s.recv(65536).decode(errors="replace").rstrip("\n"), flush=True)' "$NS_TMP/syslog" \
	>"$NS_TMP/syslog" &
LISTENER=$!
wait_for 5 test -e "$NS_TMP/syslog.ready" || bail "setup failed: a /dev/log listener"

setup "keys" wg_key hub >/dev/null
setup "client key" wg_key client >/dev/null
HUB_PUB=$(cat "$NS_TMP/hub.pub")
CL_PUB=$(cat "$NS_TMP/client.pub")
setup "wireguard-go client" ns_daemon client wireguard-go wg0
setup "client configured" ns_wg client set wg0 private-key "$NS_TMP/client.key" listen-port 51889 \
	peer "$HUB_PUB" allowed-ips 10.88.0.1/32 endpoint 192.168.88.1:51888 persistent-keepalive 1
setup "client address" wg_if_up client wg0 10.88.0.2/24

conf() {
	cat <<CONF
[Interface]
PrivateKey = $(cat "$NS_TMP/hub.key")
ListenPort = 51888
Address = 10.88.0.1/24
$1

[Peer]
PublicKey = $CL_PUB
AllowedIPs = 10.88.0.2/32
Endpoint = 192.168.88.2:51889
CONF
}
conf "" >"$NS_TMP/hub/wg0.conf"
conf "Namespace = $T" >"$NS_TMP/hub/keyed/wg0.conf"
conf "PostUp = ip link add tnx0 type veth peer name tnx1; false" >"$NS_TMP/hub/failing/wg0.conf"

# daemons: the rampartd processes in the hub (parent and engine).
daemons() {
	local p
	for p in $(ns_pids hub); do
		case $(cat "/proc/$p/comm" 2>/dev/null) in rampartd*) echo "$p" ;; esac
	done
}

# What up and down touch in the hub and in t1, as text.
snap() {
	echo "## hub links"; ip -n "$(ns_name hub)" -o link show | awk -F': ' '{ print $2 }'
	echo "## hub nft"; ip netns exec "$(ns_name hub)" nft list tables
	echo "## hub sockets"; ls -A "/proc/${NS_HOLDER[hub]}/root/run/wireguard"
	echo "## hub state"; ls -A "/proc/${NS_HOLDER[hub]}/root/run/rampart" 2>/dev/null
	echo "## hub daemons"; daemons | wc -l
	if ns_exec hub test -e "/run/netns/$T"; then
		echo "## t1 links"; t1 ip -o link show | awk -F': ' '{ print $2 }'
		echo "## t1 nft"; t1 nft list tables
	fi
}
same_as() {
	local now
	now=$(snap)
	[ "$now" = "$1" ] && return 0
	diff <(echo "$1") <(echo "$now") | sed 's/^/    /' >&2
	return 1
}
no_daemon() { [ -z "$(daemons)" ]; }
sock_gone() { [ ! -e "$(ns_sock hub wg0)" ]; }
ping_ok() { local where=$1; shift; "$where" ping -n -q -c 3 -i 0.2 -w 10 "$@" >"$NS_TMP/ping.out" 2>&1 && grep -q ' 0% packet loss' "$NS_TMP/ping.out"; }
hub() { ns_run hub "$@"; }
client() { ns_run client "$@"; }

# --- 1. the negative control: the interface in the hub -------------------------
before_all=$(snap)
if rp up0 up --no-confirm "$NS_TMP/hub/wg0.conf"; then
	ok "control: rampart up without --netns"
else
	not_ok "control: rampart up without --netns" "$(cat "$NS_TMP/up0.log")"
fi
check "control: the client reaches 10.88.0.1" wait_for 10 ping_ok client 10.88.0.1
check "control: the hub (the interface's namespace) reaches the client over the tunnel" \
	ping_ok hub 10.88.0.2
route_to() { "$1" ip route get "$2" >/dev/null 2>&1; }
check "control: the interface's namespace has a route to the uplink 192.168.88.2" \
	route_to hub 192.168.88.2
check "control: rampart down" rp down0 down "$NS_TMP/hub/wg0.conf"
wait_for 5 no_daemon
check "control: down left nothing" same_as "$before_all"

# --- 2. no such namespace --------------------------------------------------------
setup "tenant namespace $T inside the hub" ns_exec hub ip netns add "$T"
setup "lo up in $T" t1 ip link set lo up
before=$(snap)
if rp nons up --no-confirm --netns tnnope "$NS_TMP/hub/wg0.conf"; then
	not_ok "--netns tnnope (no such namespace) fails" "$(cat "$NS_TMP/nons.log")"
else
	ok "--netns tnnope (no such namespace) fails"
fi
check "the error names the namespace" logged nons "no such network namespace \`tnnope'"
check "nothing was created (no daemon, link, table or state)" same_as "$before"

# --- 3. the interface in t1 ------------------------------------------------------
if rp up1 up --no-confirm --netns "$T" "$NS_TMP/hub/wg0.conf"; then
	ok "rampart up --netns $T"
else
	not_ok "rampart up --netns $T" "$(cat "$NS_TMP/up1.log")"
fi
expect "wg0 is in $T" "$(t1 ip -o link show wg0 | awk -F': ' '{ print $2 }')" wg0
if hub ip link show wg0 >/dev/null 2>&1; then
	not_ok "the hub has no wg0"
else
	ok "the hub has no wg0"
fi
udp_here() { hub ss -Hlun | grep -q ':51888 '; }
check "the daemon stayed in the hub, its UDP socket on 51888 there" udp_here
check "a process in $T reaches the client" wait_for 10 ping_ok t1 10.88.0.2
check "the client reaches wg0 in $T" ping_ok client 10.88.0.1
if route_to hub 10.88.0.2; then
	not_ok "the hub has no route to the client's tunnel address" "$(hub ip route get 10.88.0.2)"
else
	ok "the hub has no route to the client's tunnel address"
fi
if route_to t1 192.168.88.2; then
	not_ok "$T has no route to the hub's uplink" "$(t1 ip route get 192.168.88.2)"
else
	ok "$T has no route to the hub's uplink"
fi
t1 nft list table inet rampart-wg0 >"$NS_TMP/t1.nft" 2>&1
hub nft list table inet rampart-wg0 >"$NS_TMP/hub.nft" 2>&1
check "$T has the policy's table, input policy drop" grep -q "policy drop" "$NS_TMP/t1.nft"
check "... without the WireGuard port's rules" sh -c "! grep -q 'dport 51888' '$NS_TMP/t1.nft'"
check "the hub has table inet rampart-wg0 with the port's rules" \
	grep -q 'udp dport 51888 counter name "input_wireguard" accept' "$NS_TMP/hub.nft"
check "... and nothing that drops the hub's other traffic" \
	sh -c "grep -q 'policy accept' '$NS_TMP/hub.nft' && ! grep -q 'policy drop' '$NS_TMP/hub.nft'"
shows_port() { hub "$RAMPART" show wg0 | grep -q 'listening port: 51888'; }
check "rampart show in the hub talks to the daemon" shows_port
status_ok() { hub "$RAMPART" status wg0 --config "$NS_TMP/hub/wg0.conf" | grep -q "$CL_PUB"; }
check "rampart status in the hub lists the client" status_ok
check "wg show in the hub sees the client's handshake" wait_handshake hub wg0 "$CL_PUB" 5
check "the daemon logged the move" wait_for 5 grep -q "moved to namespace id" "$NS_TMP/syslog"

if rp again up --no-confirm "$NS_TMP/hub/wg0.conf"; then
	not_ok "a second up while wg0 is up in $T fails" "$(cat "$NS_TMP/again.log")"
else
	ok "a second up while wg0 is up in $T fails"
fi
check "... saying where it is" logged again "\`wg0' already exists in network namespace $T"
table_kept() { t1 nft list table inet rampart-wg0 >/dev/null 2>&1 && hub nft list table inet rampart-wg0 >/dev/null 2>&1; }
check "... and leaves the running interface's tables alone" table_kept

# --- 4. the MTU in t1 -------------------------------------------------------------
setup "MTU 1300 on wg0 in $T" t1 ip link set wg0 mtu 1300
check "the daemon follows the MTU change in $T" wait_for 5 grep -q "MTU is now 1300" "$NS_TMP/syslog"
check "the tunnel still carries traffic" ping_ok t1 10.88.0.2

# --- 5. down ------------------------------------------------------------------------
check "rampart down" rp down1 down "$NS_TMP/hub/wg0.conf"
wait_for 5 no_daemon
check "down left nothing: no table in either namespace, no link, no state, no daemon" \
	same_as "$before"

# --- 5b. a failure part-way ------------------------------------------------------------
if rp fail up --no-confirm --netns "$T" "$NS_TMP/hub/failing/wg0.conf"; then
	not_ok "up --netns with a failing PostUp fails" "$(cat "$NS_TMP/fail.log")"
else
	ok "up --netns with a failing PostUp fails"
fi
hook_ran() { t1 ip link show tnx0 >/dev/null 2>&1; }
check "... it ran in $T (the hook's veth is there)" hook_ran
setup "the hook's veth removed" t1 ip link del tnx0
wait_for 5 no_daemon
check "... and the rollback left nothing in either namespace" same_as "$before"

# --- 6. the key; deletion in t1 ------------------------------------------------------
if rp up2 up --no-confirm "$NS_TMP/hub/keyed/wg0.conf"; then
	ok "rampart up with Namespace = $T in [Interface]"
else
	not_ok "rampart up with Namespace = $T in [Interface]" "$(cat "$NS_TMP/up2.log")"
fi
expect "wg0 is in $T" "$(t1 ip -o link show wg0 2>/dev/null | awk -F': ' '{ print $2 }')" wg0
setup "ip link del wg0 in $T" t1 ip link del wg0
check "deleting wg0 in $T ends the daemon" wait_for 5 no_daemon
check "... and removes its socket" wait_for 5 sock_gone
check "rampart down after that" rp down2 down "$NS_TMP/hub/keyed/wg0.conf"
check "down left nothing (both tables, the state)" same_as "$before"

# --- 7. the tenant namespace deleted --------------------------------------------------
check "rampart up --netns $T again" rp up3 up --no-confirm --netns "$T" "$NS_TMP/hub/wg0.conf"
setup "ip netns del $T" ns_exec hub ip netns del "$T"
check "deleting $T ends the daemon" wait_for 5 no_daemon
check "... and removes its socket" wait_for 5 sock_gone
check "rampart down after that" rp down3 down "$NS_TMP/hub/wg0.conf"
check "... says the namespace is gone" logged down3 "network namespace $T is gone"
check "down left nothing in the hub" same_as "$before_all"
check "no sanitizer reports" ns_sanitizer_clean
{ kill "$LISTENER"; wait "$LISTENER"; } 2>/dev/null
finish
