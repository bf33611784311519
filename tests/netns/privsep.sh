#!/bin/bash
# rampartd's two processes (src/daemon/privsep.h, docs/design.md
# "Processes"): the privileged parent and the unprivileged engine.
#
#   ns hub                                        ns peer
#   +------------------------------+              +------------------------+
#   | wg0 10.62.0.1 (rampartd)     | == tunnel == | wg0 10.62.0.2          |
#   |   parent: CAP_NET_ADMIN,     |              | (wireguard-go)         |
#   |           CAP_NET_BIND_SERV. |              |                        |
#   |   engine: USER, no caps,     |              |                        |
#   |           root = empty dir   |              |                        |
#   | hub-peer 192.168.62.1        |---- veth ----| peer-hub 192.168.62.2  |
#   +------------------------------+              +------------------------+
#
# The engine: non-zero uids and gids (the default user), CapEff, CapPrm,
# CapBnd, CapAmb 0, NoNewPrivs 1, an empty root (negative control: the
# parent's root is not empty); the parent: CapEff exactly CAP_NET_ADMIN
# and CAP_NET_BIND_SERVICE.  Through the parent's requests: a listen-port
# change (traffic flows on the new port), one below 1024 (the engine could
# not bind it itself), one to a port another socket holds (-EADDRINUSE:
# the old port stays and still carries traffic), fwmark 0x42 on every
# socket.  SIGKILL to the engine: the interface and the socket are gone
# within 1 s; SIGKILL to the parent: the engine ends.  An unknown --user
# and root are refused at start; a failed step of the drop (an empty root
# that is not empty) stops the daemon with nothing left.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$RAMPARTD" "$PEER_IMPL"
ns_watchdog 120

wg_key hub >/dev/null && wg_key peer >/dev/null || bail "keys"
PUB_HUB=$(cat "$NS_TMP/hub.pub")
PUB_PEER=$(cat "$NS_TMP/peer.pub")

setup "namespaces" ns_add hub
setup "namespaces" ns_add peer
setup "veth" ns_link hub peer 192.168.62.1/24 192.168.62.2/24
setup "rampartd in hub" ns_daemon hub "$RAMPARTD" wg0
setup "$PEER_IMPL in peer" ns_daemon peer "$PEER_IMPL" wg0
setup "hub configured" ns_wg hub set wg0 private-key "$NS_TMP/hub.key" listen-port 51820 \
	peer "$PUB_PEER" allowed-ips 10.62.0.2/32
setup "peer configured" ns_wg peer set wg0 private-key "$NS_TMP/peer.key" listen-port 51821 \
	peer "$PUB_HUB" allowed-ips 10.62.0.1/32 endpoint 192.168.62.1:51820
setup "hub up" wg_if_up hub wg0 10.62.0.1/24
setup "peer up" wg_if_up peer wg0 10.62.0.2/24

# --- two processes, each with what it should have -------------------------
PARENT=${NS_DPID[hub/wg0]}
ENGINE=$(ns_engine_pid hub wg0)
check "two processes: the parent ($PARENT) and its engine ($ENGINE)" \
	[ -n "$ENGINE" ] && [ "$ENGINE" != "$PARENT" ] && [ "$(ppid_of "$ENGINE")" = "$PARENT" ]
check "ns_parent_pid finds the parent" [ "$(ns_parent_pid hub wg0)" = "$PARENT" ]
field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }
want_uid=$(id -u rampart 2>/dev/null || id -u nobody)
want_gid=$(id -g rampart 2>/dev/null || id -g nobody)
uids=$(field "$ENGINE" Uid); gids=$(field "$ENGINE" Gid)
check "engine: every uid is the default user's, $want_uid ($uids)" \
	[ "$(printf '%s\n' $uids | sort -u)" = "$want_uid" ] && [ "$want_uid" -ne 0 ]
check "engine: every gid is the default user's, $want_gid ($gids)" \
	[ "$(printf '%s\n' $gids | sort -u)" = "$want_gid" ] && [ "$want_gid" -ne 0 ]
check "engine: no supplementary group ($(field "$ENGINE" Groups))" [ -z "$(field "$ENGINE" Groups)" ]
for c in CapInh CapEff CapPrm CapBnd CapAmb; do
	v=$(field "$ENGINE" "$c")
	check "engine: $c is 0 ($v)" [ "$v" = 0000000000000000 ]
done
check "engine: NoNewPrivs 1" [ "$(field "$ENGINE" NoNewPrivs)" = 1 ]
root_entries=$(ls -A "/proc/$ENGINE/root/" 2>&1 | wc -l)
check "engine: its root is an empty directory ($(readlink "/proc/$ENGINE/root"), $root_entries entries)" \
	[ -d "/proc/$ENGINE/root/" ] && [ "$root_entries" -eq 0 ]
check "negative control: the parent's root is not empty" \
	[ "$(ls -A "/proc/$PARENT/root/" | wc -l)" -gt 0 ]
# CAP_NET_BIND_SERVICE (10) and CAP_NET_ADMIN (12).
check "parent: CapEff is NET_ADMIN and NET_BIND_SERVICE ($(field "$PARENT" CapEff))" \
	[ "$(field "$PARENT" CapEff)" = 0000000000001400 ]
check "parent: CapPrm the same, CapBnd reduced to them" \
	[ "$(field "$PARENT" CapPrm)" = 0000000000001400 ] && [ "$(field "$PARENT" CapBnd)" = 0000000000001400 ]
check "parent: NoNewPrivs 1" [ "$(field "$PARENT" NoNewPrivs)" = 1 ]
check "parent: one thread; the engine runs the daemon's threads" \
	[ "$(ls "/proc/$PARENT/task" | wc -l)" -eq 1 ] && [ "$(ls "/proc/$ENGINE/task" | wc -l)" -gt 2 ]

# --- the tunnel ------------------------------------------------------------
check "ping through the tunnel" ns_ping peer -c 3 -i 0.2 -w 8 10.62.0.1

# listening PORT: a rampartd socket is bound on UDP PORT in hub.
listening() { ns_run hub ss -uanp "sport = :$1" 2>/dev/null | grep -q rampartd; }
port_is() { [ "$(ns_wg hub show wg0 listen-port)" = "$1" ]; }

# --- a new listen port, bound by the parent --------------------------------
ns_wg hub set wg0 listen-port 51900
check "listen-port 51900: bound, 51820 released" listening 51900 && ! listening 51820 && port_is 51900
ns_wg peer set wg0 peer "$PUB_HUB" endpoint 192.168.62.1:51900
check "traffic flows on the new port" ns_ping peer -c 3 -i 0.2 -w 8 10.62.0.1
ns_wg hub set wg0 listen-port 853
check "listen-port 853 (below 1024, the parent's CAP_NET_BIND_SERVICE)" listening 853 && port_is 853
ns_wg peer set wg0 peer "$PUB_HUB" endpoint 192.168.62.1:853
check "traffic flows on port 853" ns_ping peer -c 3 -i 0.2 -w 8 10.62.0.1

# --- a port another socket holds: -EADDRINUSE, the old port stays ----------
ns_exec hub "$PYTHON" -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 51950)); time.sleep(60)' &
HOLDER=$!
wait_for 5 eval "ns_run hub ss -uanp 'sport = :51950' | grep -q python"
check "negative control: another process holds 51950" \
	eval "ns_run hub ss -uanp 'sport = :51950' | grep -q python"
fails "listen-port 51950 is refused as in use" "Address already in use" ns_wg hub set wg0 listen-port 51950
check "the old port 853 stays" listening 853 && port_is 853 && ! listening 51950
check "traffic still flows on port 853" ns_ping peer -c 3 -i 0.2 -w 8 10.62.0.1
kill "$HOLDER" 2>/dev/null; wait "$HOLDER" 2>/dev/null

# --- fwmark, set by the parent on the engine's sockets ---------------------
socks=$(ns_run hub ss -uampn 2>/dev/null | grep -c 'rampartd')
check "negative control: no fwmark yet" [ "$(ns_run hub ss -uampen 2>/dev/null | grep -c 'fwmark:0x42')" -eq 0 ]
ns_wg hub set wg0 fwmark 0x42
marks=$(ns_run hub ss -uampen 2>/dev/null | grep -c 'fwmark:0x42')
check "fwmark 0x42 on every socket ($marks of $socks)" [ "$socks" -ge 2 ] && [ "$marks" -eq "$socks" ]
check "wg show says fwmark 0x42" [ "$(ns_wg hub show wg0 fwmark)" = 0x42 ]
check "traffic flows with the mark" ns_ping peer -c 3 -i 0.2 -w 8 10.62.0.1

# --- a stopped engine is not an ended one -----------------------------------
kill -STOP "$ENGINE"
sleep 0.3
check "engine stopped (SIGSTOP): the parent stays" pid_alive "$PARENT"
kill -CONT "$ENGINE"
check "engine continued: traffic flows" ns_ping peer -c 3 -i 0.2 -w 8 10.62.0.1

# --- SIGKILL to the engine: the interface and the socket go within 1 s -----
gone() { ! ip -n "$(ns_name hub)" link show wg0 >/dev/null 2>&1 && [ ! -e "$(ns_sock hub wg0)" ]; }
kill -KILL "$ENGINE"
check "engine killed: wg0 and the socket gone within 1 s" wait_for 1 gone
check "the parent exits (status 1: its engine was killed)" \
	eval 'ns_daemon_exited hub wg0 2 && [ "$NS_DRC" = 1 ]'

# --- SIGKILL to the parent: the engine ends --------------------------------
setup "rampartd in hub again" ns_daemon hub "$RAMPARTD" wg0
PARENT=${NS_DPID[hub/wg0]}
ENGINE=$(ns_engine_pid hub wg0)
check "a new engine ($ENGINE)" [ -n "$ENGINE" ] && [ "$ENGINE" != "$PARENT" ] && pid_alive "$ENGINE"
kill -KILL "$PARENT"
wait "$PARENT" 2>/dev/null
unset "NS_DPID[hub/wg0]"
check "parent killed: the engine ends" wait_for 2 ns_not_alive "$ENGINE"
check "... and wg0 with it" wait_for 1 eval '! ip -n "$(ns_name hub)" link show wg0 >/dev/null 2>&1'

# --- the engine's user -------------------------------------------------------
fails "an unknown --user is refused at start" "no such user" \
	ns_run hub "$RAMPARTD" -f --user rampart-no-such-user wg1
check "no wg1 after the refusal" eval '! ip -n "$(ns_name hub)" link show wg1 >/dev/null 2>&1'
fails "--user root is refused at start" "has uid or gid 0" ns_run hub "$RAMPARTD" -f --user root wg1

# --- a drop that fails is fatal: an empty root that is not empty ------------
EMPTY=/proc/${NS_HOLDER[hub]}/root/run/rampart-empty
check "negative control: the empty root exists and is empty" \
	eval '[ -d "$EMPTY" ] && [ -z "$(ls -A "$EMPTY")" ]'
touch "$EMPTY/intruder"
fails "an empty root that is not empty stops the daemon" "is not empty" \
	ns_run hub "$RAMPARTD" -f wg1
check "... with exit status 1 and nothing left: no wg1, no socket" \
	eval 'ns_run hub "$RAMPARTD" -f wg1 >/dev/null 2>&1; [ $? = 1 ] &&
	      ! ip -n "$(ns_name hub)" link show wg1 >/dev/null 2>&1 && [ ! -e "$(ns_sock hub wg1)" ]'
rm -f "$EMPTY/intruder"

check "no sanitizer report" ns_sanitizer_clean
finish
