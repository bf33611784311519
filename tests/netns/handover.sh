#!/bin/bash
# rampartd's parent and engine as two systemd units would run them
# (src/daemon/handover.h; contrib/systemd/rampartd@.service and
# rampartd-engine@.service): `rampartd -f --wait-engine wg0` as root, and
# `rampartd --engine wg0` started separately as the engine's user with
# only CAP_SYS_CHROOT and CAP_SETPCAP, as the engine unit's User=,
# CapabilityBoundingSet= and AmbientCapabilities= give it (setpriv stands
# in for systemd, which is not PID 1 here).
#
#   ns hub                                        ns peer
#   +------------------------------+              +------------------------+
#   | wg0 10.63.0.1                | == tunnel == | wg0 10.63.0.2          |
#   |   parent --wait-engine       |              | (wireguard-go)         |
#   |   engine --engine (setpriv)  |              |                        |
#   | hub-peer 192.168.63.1        |---- veth ----| peer-hub 192.168.63.2  |
#   +------------------------------+              +------------------------+
#
# The parent refuses another user's connection and takes the engine's;
# the engine ends with the same confinement as a forked one (non-zero
# ids, every capability set 0, NoNewPrivs, Seccomp 2, an empty root) and
# is not the parent's child; traffic flows and a listen-port change goes
# through the parent.  SIGKILL to the engine: the interface and the
# socket are gone within 1 s and the parent exits 1 (for Restart=);
# SIGTERM to the parent: both end, exit 0.  A parent stopped while it
# waits leaves nothing; an engine run as root is refused; an engine that
# cannot chroot stops, and its parent with it, leaving nothing.  `rampart
# up` with RAMPARTD_RUNNING=1 (rampart@.service's) configures the pair's
# interface rather than starting a daemon (without it: refused, the
# interface exists), and `rampart down` ends the pair.  The handed-over
# link monitor follows the interface into a tenant namespace, and its
# deletion there ends the pair.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$RAMPARTD" "$PEER_IMPL"
need_tool setpriv /usr/bin/python3
ns_watchdog 120

wg_key hub >/dev/null && wg_key peer >/dev/null || bail "keys"
PUB_HUB=$(cat "$NS_TMP/hub.pub")
PUB_PEER=$(cat "$NS_TMP/peer.pub")
EUSER=$(id -un rampart 2>/dev/null || echo nobody)
EUID_=$(id -u "$EUSER")
EGID_=$(id -g "$EUSER")

setup "namespaces" ns_add hub
setup "namespaces" ns_add peer
setup "veth" ns_link hub peer 192.168.63.1/24 192.168.63.2/24
setup "$PEER_IMPL in peer" ns_daemon peer "$PEER_IMPL" wg0
setup "peer configured" ns_wg peer set wg0 private-key "$NS_TMP/peer.key" listen-port 51821 \
	peer "$PUB_HUB" allowed-ips 10.63.0.1/32 endpoint 192.168.63.1:51820
setup "peer up" wg_if_up peer wg0 10.63.0.2/24

HROOT=/proc/${NS_HOLDER[hub]}/root
RDV=$HROOT/run/rampart-engine/wg0.sock
field() { awk -v k="$2:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "/proc/$1/status"; }
link_gone() { ! ip -n "$(ns_name hub)" link show wg0 >/dev/null 2>&1; }
sock_gone() { [ ! -e "$HROOT/run/wireguard/wg0.sock" ]; }
nothing_left() { link_gone && sock_gone && [ ! -e "$RDV" ] && [ -z "$(ns_pids hub)" ]; }

# start_parent: the parent unit's ExecStart, in the background; PARENT.
start_parent() {
	nsenter -t "${NS_HOLDER[hub]}" -m -n -- "$RAMPARTD" -f --wait-engine --user "$EUSER" wg0 \
		>>"$NS_TMP/parent.log" 2>&1 </dev/null &
	PARENT=$!
	wait_for 10 test -S "$RDV"
}
# start_engine [CAPS]: the engine unit's ExecStart as its user, with CAPS
# (default the unit's two); ENGINE.
start_engine() {
	local caps=${1:-+sys_chroot,+setpcap}
	nsenter -t "${NS_HOLDER[hub]}" -m -n -- setpriv --reuid="$EUID_" --regid="$EGID_" \
		--clear-groups --inh-caps="-all,$caps" --ambient-caps="$caps" \
		--bounding-set="-all,$caps" -- "$RAMPARTD" --engine wg0 \
		>>"$NS_TMP/engine.log" 2>&1 </dev/null &
	ENGINE=$!
}
# exited PID SECS: PID has exited within SECS; its status in RC.
exited() {
	wait_for "$2" ns_not_alive "$1" || return 1
	wait "$1" 2>/dev/null
	RC=$?
	return 0
}

# --- the parent waits; another user is refused -----------------------------
setup "the parent waits for its engine" start_parent
check "the rendezvous socket is there, mode 0666 ($(stat -c %a "$RDV"))" \
	[ "$(stat -c %a "$RDV")" = 666 ]
check "the interface and its control socket exist before the engine" \
	eval '! link_gone && ! sock_gone'
other=$(id -u daemon 2>/dev/null || echo 1)
# The system's python3: another user may not reach one under root's home.
ns_run hub setpriv --reuid="$other" --regid="$other" --clear-groups -- /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); s.settimeout(2)
sys.exit(0 if s.recv(64) == b"" else 1)' /run/rampart-engine/wg0.sock
check "a connection from uid $other gets nothing and is closed" [ $? -eq 0 ]
check "... and the parent still waits" pid_alive "$PARENT" && [ -S "$RDV" ]

# --- the engine connects ----------------------------------------------------
start_engine
check "the engine takes over" wait_for 10 grep -q "running as uid $EUID_" "$NS_TMP/engine.log"
check "the parent logged the refused connection" grep -q "refused 1 connection" "$NS_TMP/parent.log"
check "the rendezvous socket is gone" [ ! -e "$RDV" ]
uids=$(field "$ENGINE" Uid); gids=$(field "$ENGINE" Gid)
check "engine: every uid is $EUSER's, $EUID_ ($uids)" \
	[ "$(printf '%s\n' $uids | sort -u)" = "$EUID_" ] && [ "$EUID_" -ne 0 ]
check "engine: every gid is $EUSER's ($gids)" [ "$(printf '%s\n' $gids | sort -u)" = "$EGID_" ]
for c in CapInh CapEff CapPrm CapBnd CapAmb; do
	v=$(field "$ENGINE" "$c")
	check "engine: $c is 0 ($v)" [ "$v" = 0000000000000000 ]
done
check "engine: NoNewPrivs 1, Seccomp 2" \
	[ "$(field "$ENGINE" NoNewPrivs)" = 1 ] && [ "$(field "$ENGINE" Seccomp)" = 2 ]
check "engine: its root is an empty directory" \
	[ -d "/proc/$ENGINE/root/" ] && [ "$(ls -A "/proc/$ENGINE/root/" | wc -l)" -eq 0 ]
check "engine: not the parent's child" [ "$(ppid_of "$ENGINE")" != "$PARENT" ]
check "parent: CapEff NET_ADMIN and NET_BIND_SERVICE only ($(field "$PARENT" CapEff))" \
	[ "$(field "$PARENT" CapEff)" = 0000000000001400 ] && [ "$(field "$PARENT" NoNewPrivs)" = 1 ]
check "parent: its own system-call filter (Seccomp 2)" [ "$(field "$PARENT" Seccomp)" = 2 ]

# --- the tunnel, and a listen port bound by the parent ----------------------
setup "hub configured" ns_wg hub set wg0 private-key "$NS_TMP/hub.key" listen-port 51820 \
	peer "$PUB_PEER" allowed-ips 10.63.0.2/32
setup "hub up" wg_if_up hub wg0 10.63.0.1/24
check "ping through the tunnel" ns_ping peer -c 3 -i 0.2 -w 8 10.63.0.1
ns_wg hub set wg0 listen-port 853
ns_wg peer set wg0 peer "$PUB_HUB" endpoint 192.168.63.1:853
check "listen-port 853 through the parent; traffic flows on it" \
	eval '[ "$(ns_wg hub show wg0 listen-port)" = 853 ] && ns_ping peer -c 3 -i 0.2 -w 8 10.63.0.1'

# --- SIGKILL to the engine ---------------------------------------------------
{ kill -KILL "$ENGINE"; wait "$ENGINE"; } 2>/dev/null
check "SIGKILL to the engine: interface and socket gone within 1 s" \
	wait_for 1 eval 'link_gone && sock_gone'
check "... and the parent exits 1 (Restart= brings both back)" exited "$PARENT" 5 && [ "$RC" = 1 ]

# --- SIGTERM to the parent ---------------------------------------------------
setup "parent again" start_parent
start_engine
setup "engine again" wait_for 10 eval '[ "$(grep -c "running as uid" "$NS_TMP/engine.log")" -ge 2 ]'
kill -TERM "$PARENT"
check "SIGTERM to the parent: it exits 0" exited "$PARENT" 5 && [ "$RC" = 0 ]
check "... the engine ends with it, and nothing is left" exited "$ENGINE" 5 && wait_for 2 nothing_left

# --- stopped while waiting; refusals ----------------------------------------
setup "parent alone" start_parent
kill -TERM "$PARENT"
check "a parent stopped while it waits exits 0 and leaves nothing" \
	exited "$PARENT" 5 && [ "$RC" = 0 ] && wait_for 2 nothing_left
ns_run hub "$RAMPARTD" --engine wg0 >"$NS_TMP/root-engine.log" 2>&1
check "an engine run as root is refused" [ $? -ne 0 ] &&
	grep -q "not as root" "$NS_TMP/root-engine.log"
setup "parent for an engine without CAP_SYS_CHROOT" start_parent
start_engine +setpcap
check "an engine that cannot chroot stops with the reason" exited "$ENGINE" 5 && [ "$RC" = 1 ] &&
	grep -q "chroot /run/rampart-empty: Operation not permitted" "$NS_TMP/engine.log"
check "... its parent exits 1 and nothing is left" exited "$PARENT" 5 && [ "$RC" = 1 ] &&
	wait_for 2 nothing_left

# --- rampart up on the pair's daemon, as rampart@.service does -------------
cat >"$NS_TMP/wg0.conf" <<EOC
[Interface]
PrivateKey = $(cat "$NS_TMP/hub.key")
ListenPort = 51820
Address = 10.63.0.1/24

[Peer]
PublicKey = $PUB_PEER
AllowedIPs = 10.63.0.2/32
Endpoint = 192.168.63.2:51821
EOC
chmod 600 "$NS_TMP/wg0.conf"
ns_wg peer set wg0 peer "$PUB_HUB" endpoint 192.168.63.1:51820
setup "the pair for rampart up" start_parent
start_engine
setup "engine for rampart up" wait_for 10 eval '[ "$(grep -c "running as uid" "$NS_TMP/engine.log")" -ge 3 ]'
fails "control: without RAMPARTD_RUNNING=1, up refuses the existing interface" "already exists" \
	ns_run hub "$RAMPART" up --no-confirm "$NS_TMP/wg0.conf"
ns_run hub env RAMPARTD_RUNNING=1 "$RAMPART" up --no-confirm "$NS_TMP/wg0.conf" >"$NS_TMP/up.log" 2>&1
check "RAMPARTD_RUNNING=1: up configures the running daemon's interface" [ $? -eq 0 ] &&
	grep -q "waiting for the daemon of wg0" "$NS_TMP/up.log"
# The hub starts the handshake: the peer's session is the killed daemon's.
check "... and the tunnel carries traffic (the hub pings its peer)" \
	ns_ping hub -c 3 -i 0.2 -w 8 10.63.0.2
ns_run hub "$RAMPART" down "$NS_TMP/wg0.conf" >"$NS_TMP/down.log" 2>&1
check "down deletes the interface: the parent exits 0, the engine ends, nothing is left" \
	exited "$PARENT" 5 && [ "$RC" = 0 ] && exited "$ENGINE" 5 && wait_for 2 nothing_left

# --- the handed-over monitor follows a move into a tenant -----------------
# The option to hear other namespaces was set by the parent, as root, on
# the socket the engine took (monitor_adopt reads it back).
setup "the pair for a move" start_parent
start_engine
setup "engine for the move" wait_for 10 eval '[ "$(grep -c "running as uid" "$NS_TMP/engine.log")" -ge 4 ]'
setup "a tenant namespace in the hub" ns_exec hub ip netns add hoten
ns_exec hub ip link set wg0 netns hoten
check "the engine follows wg0 into the tenant instead of stopping" \
	wait_for 5 grep -q "The interface moved to namespace id" "$NS_TMP/engine.log"
check "... and stays, with its socket" eval 'sleep 0.5; pid_alive "$ENGINE" && ! sock_gone'
ns_exec hub ip netns exec hoten ip link del wg0
check "deleted in the tenant: the parent exits 0, nothing is left" \
	exited "$PARENT" 5 && [ "$RC" = 0 ] && exited "$ENGINE" 5 && wait_for 2 nothing_left
ns_exec hub ip netns del hoten

check "no sanitizer report" eval '! grep -E "AddressSanitizer|runtime error|LeakSanitizer" "$NS_TMP/parent.log" "$NS_TMP/engine.log"'
finish
