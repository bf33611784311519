#!/bin/bash
# The confirm window's guard keeps only what it needs (docs/design.md, "The
# CLI's processes: the confirm window"): CAP_NET_ADMIN in every set it has,
# nothing ambient or inheritable, no_new_privs, uid 0, a read-only file
# system but its state directory, and six descriptors.
#
#   host (one namespace, private /run)
#     wg0: a bare TUN device;  table inet rampart-wg0 (configs A and B)
#     rampart firewall apply --confirm-timeout N ──fork,setsid,fork──▶ guard
#                                                                    │
#                /proc/GUARD/status, limits, fd/, ns/mnt  ◀── read ──┘
#
#  1. negative control (debug build, RAMPART_DEBUG_GUARD=keep-privileges):
#     the guard holds what the command holds (the full set), no
#     no_new_privs, the command's mount namespace; the window still works
#  2. the guard of a window: CapEff = CapPrm = CapBnd = CAP_NET_ADMIN,
#     CapInh = CapAmb = 0, NoNewPrivs 1, uid 0 in all four; RLIMIT_NOFILE 32;
#     its descriptors are exactly /dev/null on 0-2, the state directory, a
#     timerfd and an inotify; its own mount namespace, where / and a
#     directory the command can write are read-only and only the state
#     directory is writable (the same writes succeed in the command's
#     namespace: the control)
#  3. that guard still keeps the change on confirm, and exits
#  4. a dropped guard still rolls back at its deadline, with the command
#     SIGKILLed: A is back, byte for byte, and its warning reaches
#     /dev/log (a listener on the namespace's private /dev)
#  5. a guard whose drop fails (RAMPART_DEBUG_GUARD=fail-drop): the apply
#     refuses with the reason and changes nothing (ruleset byte-identical,
#     no window, no guard left)
#     and so does one whose command lacks CAP_SYS_ADMIN (setpriv), while
#     --no-confirm still applies
#  6. the release build has no such switch: its guard drops anyway
#  7. `rampart up` with a window: its guard drops the same; confirmed, the
#     interface and its table stay; `down` removes both
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require nft
ns_watchdog 120

H="host"
ns_add $H || { not_ok "namespace"; finish; exit 1; }
ip -n "$(ns_name $H)" tuntap add dev wg0 mode tun
# A private /dev in the namespace, so that /dev/log is ours: the guard's
# syslog line at the deadline comes to a listener, not the host's journal.
mkdir -p "$NS_TMP/dev"
ns_exec $H sh -e -c '
	mount -t tmpfs none "$1"
	mkdir "$1/net"
	for f in null zero random urandom net/tun; do touch "$1/$f"; mount --bind "/dev/$f" "$1/$f"; done
	mount --rbind "$1" /dev' sh "$NS_TMP/dev" || { not_ok "a private /dev"; finish; exit 1; }

wg_key host >/dev/null && wg_key peer >/dev/null || { not_ok "keys"; finish; exit 1; }
mkdir -p "$NS_TMP/a" "$NS_TMP/b"
# conf FILE SERVICES
conf() {
	cat > "$1" <<EOF
[Interface]
PrivateKey = $(cat "$NS_TMP/host.key")
ListenPort = 51888
Address = 10.99.0.1/24

[Policy]
SSHFrom = any
Services = $2

[Peer]
PublicKey = $(cat "$NS_TMP/peer.pub")
AllowedIPs = 10.99.0.2/32
EOF
	chmod 600 "$1"
}
CA=$NS_TMP/a/wg0.conf
CB=$NS_TMP/b/wg0.conf
conf "$CA" tcp/8080
conf "$CB" tcp/8081

rp() { local log=$1; shift; ns_run $H "$RAMPART" "$@" >"$NS_TMP/$log.log" 2>&1; }
logged() { grep -q -F -- "$2" "$NS_TMP/$1.log"; }
show_log() { sed 's/^/    /' "$NS_TMP/$1.log" >&2; }
ruleset() { ns_run $H nft -s list ruleset; }
table_s() { ns_run $H nft -s list table inet rampart-wg0 2>/dev/null; }
table_is() { [ "$(table_s)" = "$1" ]; }
pending() { ns_run $H "$RAMPART" firewall show wg0 2>/dev/null | grep -q '^confirm window: open'; }
guard_pid() {
	ns_run $H "$RAMPART" firewall show wg0 2>/dev/null |
		sed -n 's/^confirm window: open.*(guard pid \([0-9]*\)).*/\1/p'
}
# status PID FIELD: a line of /proc/PID/status, without its name.
status() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }
NET_ADMIN=0000000000001000

# open_window BIN LOG [ENV...]: apply B with a 30 s window in the
# background ($WPID), and $G the guard's pid once the window is open.
open_window() {
	local bin=$1 log=$2; shift 2
	G=
	env "$@" nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$bin" firewall apply \
		--confirm-timeout 30 "$CB" >"$NS_TMP/$log.log" 2>&1 </dev/null &
	WPID=$!
	wait_for 10 pending && G=$(guard_pid) && [ -n "$G" ] && pid_alive "$G"
}
# close_window LOG: confirm from a second command; the waiting apply and
# the guard end.
close_window() {
	rp "$1" confirm wg0
	wait "$WPID"
	wait_for 5 ns_not_alive "$G"
}

rp applyA firewall apply --no-confirm "$CA"
check "apply A without a window" [ $? -eq 0 ]
TA=$(table_s)

# ---- 1. negative control: a guard that keeps everything ----------------------
# shellcheck disable=SC2034  # read in eval
CMD_EFF=$(status $$ CapEff)
if open_window "$RAMPART" keep RAMPART_DEBUG_GUARD=keep-privileges; then
	check "control: the command's own CapEff is the full set, not CAP_NET_ADMIN" \
		eval '[ "$CMD_EFF" != "$NET_ADMIN" ] && [ "$CMD_EFF" != 0000000000000000 ]'
	check "control: the undropped guard holds the command's set (CapEff $(status "$G" CapEff))" \
		eval '[ "$(status "$G" CapEff)" = "$CMD_EFF" ] && [ "$(status "$G" CapBnd)" = "$(status $$ CapBnd)" ]'
	check "control: no no_new_privs" [ "$(status "$G" NoNewPrivs)" = 0 ]
	check "control: the command's mount namespace" \
		[ "$(readlink "/proc/$G/ns/mnt")" = "$(readlink "/proc/${NS_HOLDER[$H]}/ns/mnt")" ]
	close_window keepc
	check "control: the window closes on confirm" eval '! pending'
else
	not_ok "control: window open" "$(cat "$NS_TMP/keep.log")"
	kill -9 "$WPID" 2>/dev/null
fi
rp applyA2 firewall apply --no-confirm "$CA"

# ---- 2. the guard keeps only what it needs ------------------------------------
if open_window "$RAMPART" drop; then
	for f in CapEff CapPrm CapBnd; do
		check "guard: $f is CAP_NET_ADMIN only ($(status "$G" $f))" \
			[ "$(status "$G" $f)" = "$NET_ADMIN" ]
	done
	check "guard: CapInh and CapAmb are empty" eval \
		'[ "$(status "$G" CapInh)" = 0000000000000000 ] && [ "$(status "$G" CapAmb)" = 0000000000000000 ]'
	check "guard: NoNewPrivs 1" [ "$(status "$G" NoNewPrivs)" = 1 ]
	check "guard: still uid 0 (its state files are root's)" \
		[ "$(status "$G" Uid | tr -s '\t ' ' ')" = "0 0 0 0" ]
	check "guard: RLIMIT_NOFILE 32" eval \
		'grep -E -q "^Max open files +32 +32 " "/proc/$G/limits"'
	# 0-2 on /dev/null, then the others, whatever their numbers.
	fds=$(for f in /proc/"$G"/fd/*; do n=${f##*/}; t=$(readlink "$f")
		[ "$n" -le 2 ] && echo "$n $t" || echo "- $t"; done | sort)
	want=$(printf '%s\n' "- /run/rampart/wg0.fw" "- anon_inode:[timerfd]" "- anon_inode:inotify" \
		"0 /dev/null" "1 /dev/null" "2 /dev/null" | sort)
	check "guard: its descriptors are stdio on /dev/null, the state directory, a timer, inotify" \
		[ "$fds" = "$want" ]
	[ "$fds" = "$want" ] || echo "$fds" | sed 's/^/    /' >&2
	check "guard: a mount namespace of its own" \
		[ "$(readlink "/proc/$G/ns/mnt")" != "$(readlink "/proc/${NS_HOLDER[$H]}/ns/mnt")" ]
	# The control first: in the command's namespace all three writes succeed.
	touch_in() { nsenter -t "$1" -m -- sh -c "touch '$2' && rm -f '$2'" 2>"$NS_TMP/touch.err"; }
	check "control: the command's namespace can write \$NS_TMP, /run/rampart and the state directory" \
		eval 'touch_in "${NS_HOLDER[$H]}" "$NS_TMP/probe" &&
		      touch_in "${NS_HOLDER[$H]}" /run/rampart/probe &&
		      touch_in "${NS_HOLDER[$H]}" /run/rampart/wg0.fw/probe'
	check "guard's namespace: \$NS_TMP is read-only" eval \
		'! touch_in "$G" "$NS_TMP/probe" && grep -q "Read-only file system" "$NS_TMP/touch.err"'
	check "guard's namespace: /run/rampart is read-only" eval \
		'! touch_in "$G" /run/rampart/probe && grep -q "Read-only file system" "$NS_TMP/touch.err"'
	check "guard's namespace: the state directory is writable" touch_in "$G" /run/rampart/wg0.fw/probe

	# ---- 3. confirm keeps the change ----------------------------------------
	# shellcheck disable=SC2034  # read in eval
	TB=$(table_s)
	close_window confirm
	check "dropped guard: confirm keeps B and the guard exits" eval \
		'[ "$TB" != "$TA" ] && table_is "$TB" && ! pending && ! pid_alive "$G"'
else
	not_ok "guard: window open" "$(cat "$NS_TMP/drop.log")"
	kill -9 "$WPID" 2>/dev/null
fi

# ---- 4. the deadline still rolls back ------------------------------------------
# Every datagram sent to /dev/log, one a line, into syslog.log.
ns_exec $H "$PYTHON" -u -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
while True:
    print(s.recv(65536).decode(errors="replace").rstrip("\n"), flush=True)' \
	"$NS_TMP/syslog" >"$NS_TMP/syslog.log" 2>&1 </dev/null &
LISTENER=$!
wait_for 5 test -e "$NS_TMP/syslog.ready" || not_ok "a /dev/log listener" "$(cat "$NS_TMP/syslog.log")"
rp applyA3 firewall apply --no-confirm "$CA"
# shellcheck disable=SC2034  # read in eval
RA=$(ruleset)
nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" firewall apply --confirm-timeout 3 "$CB" \
	>"$NS_TMP/deadline.log" 2>&1 </dev/null &
pid=$!
if wait_for 10 pending; then
	G=$(guard_pid)
	check "deadline: the guard dropped (CapEff $(status "$G" CapEff))" \
		[ "$(status "$G" CapEff)" = "$NET_ADMIN" ]
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	check "deadline: with the command SIGKILLed, the guard restores A" wait_for 8 table_is "$TA"
	check "deadline: the ruleset is as before, byte for byte" eval '[ "$(ruleset)" = "$RA" ]'
	check "deadline: no window, the guard is gone" eval '! pending && wait_for 3 ns_not_alive "$G"'
	rp showD firewall show wg0
	check "deadline: the outcome says rolled back" logged showD "not confirmed within 3 s"
	check "deadline: the guard's warning reaches syslog (LOG_DAEMON|LOG_WARNING, its pid)" \
		wait_for 3 grep -q "^<28>.*rampart\[$G\]: firewall change on wg0 not confirmed within 3 s: table inet rampart-wg0 rolled back" "$NS_TMP/syslog.log"
else
	not_ok "deadline: window open" "$(cat "$NS_TMP/deadline.log")"
	kill -9 "$pid" 2>/dev/null
fi

kill "$LISTENER" 2>/dev/null
wait "$LISTENER" 2>/dev/null

# ---- 5. a drop that fails: nothing applied --------------------------------------
guards() { pgrep -f "firewall apply --confirm-timeout" | grep -v "^$$\$"; }
# shellcheck disable=SC2034  # read in eval
R0=$(ruleset)
env RAMPART_DEBUG_GUARD=fail-drop nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" firewall \
	apply --confirm-timeout 30 "$CB" >"$NS_TMP/fail.log" 2>&1 </dev/null
rc=$?
check "failed drop: the apply exits 1" [ $rc -eq 1 ]
check "failed drop: says why and that nothing was applied" \
	logged fail "could not give up its privileges (RAMPART_DEBUG_GUARD=fail-drop); nothing applied"
[ $rc -eq 1 ] || show_log fail
check "failed drop: ruleset byte-identical" eval '[ "$(ruleset)" = "$R0" ] && table_is "$TA"'
check "failed drop: no window and no guard left" eval '! pending && [ -z "$(guards)" ]'

# A real failure, not a debug one: a command without CAP_SYS_ADMIN (a
# container given CAP_NET_ADMIN alone) cannot give its guard a mount
# namespace.  setpriv takes CAP_SYS_ADMIN out of every set of the command.
if command -v setpriv >/dev/null; then
	nsenter -t "${NS_HOLDER[$H]}" -m -n -- setpriv --bounding-set -sys_admin \
		--inh-caps -sys_admin -- "$RAMPART" firewall apply --confirm-timeout 30 "$CB" \
		>"$NS_TMP/nosysadmin.log" 2>&1 </dev/null
	rc=$?
	check "without CAP_SYS_ADMIN: the apply exits 1, with the guard's reason" eval \
		'[ $rc -eq 1 ] && logged nosysadmin "could not give up its privileges (unshare(CLONE_NEWNS): Operation not permitted); nothing applied"'
	[ $rc -eq 1 ] || show_log nosysadmin
	check "without CAP_SYS_ADMIN: nothing changed, no window, no guard" eval \
		'[ "$(ruleset)" = "$R0" ] && ! pending && [ -z "$(guards)" ]'
	ns_run $H setpriv --bounding-set -sys_admin --inh-caps -sys_admin -- "$RAMPART" \
		firewall apply --no-confirm "$CB" >"$NS_TMP/nosysadmin2.log" 2>&1
	check "without CAP_SYS_ADMIN, --no-confirm still applies (the way out the docs give)" eval \
		'[ $? -eq 0 ] && ! table_is "$TA"'
	rp nosysadmin3 firewall apply --no-confirm "$CA"
else
	skip "without CAP_SYS_ADMIN" "no setpriv"
fi

# ---- 6. the release build ignores the debug switch ---------------------------------
if [ -x "$RAMPART_REL" ] && open_window "$RAMPART_REL" rel RAMPART_DEBUG_GUARD=keep-privileges; then
	check "release build: its guard drops whatever RAMPART_DEBUG_GUARD says" eval \
		'[ "$(status "$G" CapEff)" = "$NET_ADMIN" ] && [ "$(status "$G" NoNewPrivs)" = 1 ]'
	close_window relc
	check "release build: confirm closes the window" eval '! pending'
else
	not_ok "release build: window open" "$(cat "$NS_TMP/rel.log" 2>/dev/null)"
	kill -9 "$WPID" 2>/dev/null
fi
# ---- 7. the guard of `rampart up` ------------------------------------------------
rp flush firewall flush wg0
ip -n "$(ns_name $H)" link del wg0
nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" up --confirm-timeout 30 "$CA" \
	>"$NS_TMP/up.log" 2>&1 </dev/null &
WPID=$!
if wait_for 15 pending && G=$(guard_pid) && [ -n "$G" ]; then
	check "up: its guard keeps CAP_NET_ADMIN only, no_new_privs, a mount namespace of its own" eval \
		'[ "$(status "$G" CapEff)" = "$NET_ADMIN" ] && [ "$(status "$G" CapBnd)" = "$NET_ADMIN" ] &&
		 [ "$(status "$G" NoNewPrivs)" = 1 ] &&
		 [ "$(readlink "/proc/$G/ns/mnt")" != "$(readlink "/proc/${NS_HOLDER[$H]}/ns/mnt")" ]'
	rp upconfirm confirm wg0
	wait "$WPID"
	rc=$?
	check "up: confirmed, exit 0, the interface and its table stay" eval \
		'[ $rc -eq 0 ] && ip -n "$(ns_name $H)" link show wg0 >/dev/null && [ -n "$(table_s)" ] && ! pending'
	[ $rc -eq 0 ] || show_log up
	rp down down "$CA"
	rc=$?
	check "down: the interface and the table are gone" eval \
		'[ $rc -eq 0 ] && ! ip -n "$(ns_name $H)" link show wg0 >/dev/null 2>&1 && [ -z "$(table_s)" ]'
	[ $rc -eq 0 ] || show_log down
else
	not_ok "up: window open" "$(cat "$NS_TMP/up.log")"
	kill -9 "$WPID" 2>/dev/null
fi
check "no sanitizer report from rampart" eval \
	'! grep -E -l "ERROR: (Address|Leak)Sanitizer|runtime error:" "$NS_TMP"/*.log'

finish
