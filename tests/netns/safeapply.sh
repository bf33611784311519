#!/bin/bash
# Safe apply of the firewall (rampart firewall apply / confirm / rollback /
# flush, rampart panic) on one host, watched from a second namespace.
#
#   admin                                        host (device under test)
#   admin-host 10.88.0.2/24 ----- veth ------- host-admin 10.88.0.1/24
#              10.88.0.3/24 ("this SSH session")  echo servers on tcp/22
#              10.88.0.4/24 (anyone else)          ("SSH") and tcp/8080
#                                                 table inet foreign (not ours)
#                                                 private /run: /run/rampart
#
# wg0 is a bare TUN device (no daemon): `firewall apply` takes ListenPort
# from the file, and the role's sysctls find wg0's keys.
# Configs A and B differ in Services only, so their tables differ.  Every
# comparison of rulesets is of `nft list ruleset` (byte for byte) unless
# said otherwise; IPv6 is off on the veth so that no stray packet moves a
# counter in between.
#
#  1. a config with a bad policy line, and a valid one that nft refuses
#     (an owner-flagged table of our name, held by another process), fail
#     with their reason, and leave the ruleset byte-identical and no state
#  2. apply A without a window: the table is there, `show` lists it and a
#     snapshot ("no table before"); the foreign table is unchanged
#  3. an unconfirmed window (--confirm-timeout 3) survives SIGKILL of the
#     command: the guard restores A around the deadline (polled, not slept),
#     and again with SIGKILL of the command's whole process group
#  4. a confirmed window: `rampart confirm wg0` from a second command while
#     the first waits; the first exits 0, the guard exits, B stays; a
#     second confirm fails (nothing waiting)
#  5. Enter on a terminal confirms; SIGINT rolls back at once (exit 1);
#     a second apply while a window is open is refused
#  6. rollback after a kept apply restores A (twice: same snapshot);
#     rollback during a window ends it at once; flush deletes the table and
#     closes a window; flush again is no error
#  7. panic on: first the negative control (everything reachable), then
#     only SSH from --ssh-from and from this session's client passes; the
#     long-lived "SSH session" (SSH_CONNECTION) never misses a beat; ping,
#     tcp/8080 and SSH from anyone else are dropped; panic off restores the
#     ruleset byte for byte and everything is reachable again; an interface
#     table present during panic on/off is left as it was
#  8. rollback of an apply made over no table deletes the table; the
#     foreign table survived every step; usage errors exit 2
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require nft "$PYTHON"
ns_watchdog 240

H="host"
A="admin"
ns_add $H && ns_add $A || { not_ok "namespaces"; finish; exit 1; }
for n in $H $A; do
	ip netns exec "$(ns_name $n)" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
ns_link $A $H 10.88.0.2/24 10.88.0.1/24 || { not_ok "veth"; finish; exit 1; }
ip -n "$(ns_name $A)" addr add 10.88.0.3/24 dev $A-$H
ip -n "$(ns_name $A)" addr add 10.88.0.4/24 dev $A-$H
# A stand-in for the tunnel: the role's sysctls name wg0's keys.
ip -n "$(ns_name $H)" tuntap add dev wg0 mode tun

# rp LOG ARGS...: rampart in host, output to $NS_TMP/LOG.log; its status.
rp() { local log=$1; shift; ns_run $H "$RAMPART" "$@" >"$NS_TMP/$log.log" 2>&1; }
logged() { grep -q -F -- "$2" "$NS_TMP/$1.log"; }
show_log() { sed 's/^/    /' "$NS_TMP/$1.log" >&2; }
ruleset() { ns_run $H nft list ruleset; }
ruleset_s() { ns_run $H nft -s list ruleset; }
table_s() { ns_run $H nft -s list table inet rampart-wg0 2>/dev/null; }
has_table() { ns_run $H nft list tables | grep -q -x "table inet $1"; }
pending() { ns_run $H "$RAMPART" firewall show wg0 2>/dev/null | grep -q '^confirm window: open'; }
guard_pid() {
	ns_run $H "$RAMPART" firewall show wg0 2>/dev/null |
		sed -n 's/^confirm window: open.*(guard pid \([0-9]*\)).*/\1/p'
}
table_is() { [ "$(table_s)" = "$1" ]; }
ruleset_is() { [ "$(ruleset)" = "$1" ]; }
no_table() { ! has_table rampart-wg0; }

# ---- echo servers and clients -------------------------------------------
# A threaded line echo server on every port given.
PY_ECHO='
import socketserver, sys, threading
class H(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(line)
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
ss = [S(("0.0.0.0", int(p)), H) for p in sys.argv[1:]]
for s in ss[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
ss[0].serve_forever()
'
# One line there and back from SRC to DST:PORT within a second.
PY_TALK='
import socket, sys
s = socket.socket()
s.settimeout(1)
s.bind((sys.argv[1], 0))
s.connect((sys.argv[2], int(sys.argv[3])))
s.sendall(b"hello\n")
d = b""
while len(d) < 6:
    b = s.recv(6 - len(d))
    if not b:
        break
    d += b
sys.exit(0 if d == b"hello\n" else 1)
'
# The long-lived "SSH session": connects, writes its local port to PORTFILE,
# then every 100 ms a line there and back, "ok"/"fail" to LOG, until STOP
# exists (or 60 s).
PY_SESSION='
import os, socket, sys, time
src, dst, port, portfile, log, stop = sys.argv[1:7]
s = socket.socket()
s.settimeout(1)
s.bind((src, 0))
s.connect((dst, int(port)))
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(portfile + ".tmp", portfile)
out = open(log, "w")
end = time.time() + 60
while not os.path.exists(stop) and time.time() < end:
    try:
        s.sendall(b"beat\n")
        ok = s.recv(5) == b"beat\n"
    except Exception:
        ok = False
    out.write("ok\n" if ok else "fail\n")
    out.flush()
    if not ok:
        break
    time.sleep(0.1)
'
talk() { ns_run $A "$PYTHON" -c "$PY_TALK" "$1" 10.88.0.1 "$2" 2>/dev/null; }
reach() { talk "$1" "$2"; }
blocked() { ! talk "$1" "$2"; }
ping_ok() { ns_run $A ping -n -q -c 1 -W 1 -I 10.88.0.2 10.88.0.1 >/dev/null 2>&1; }

nsenter -t "${NS_HOLDER[$H]}" -m -n -- timeout -k 2 200 "$PYTHON" -c "$PY_ECHO" 22 8080 \
	>"$NS_TMP/echo.log" 2>&1 </dev/null &
wait_for 5 ns_listening $H tcp 22 && wait_for 5 ns_listening $H tcp 8080 ||
	{ not_ok "echo servers"; finish; exit 1; }

# ---- configs --------------------------------------------------------------
wg_key host >/dev/null && wg_key peer >/dev/null || { not_ok "keys"; finish; exit 1; }
mkdir -p "$NS_TMP/a" "$NS_TMP/b" "$NS_TMP/bad" "$NS_TMP/c"
# conf FILE SERVICES [POLICY LINE]
conf() {
	cat > "$1" <<EOF
[Interface]
PrivateKey = $(cat "$NS_TMP/host.key")
ListenPort = 51888
Address = 10.99.0.1/24

[Policy]
SSHFrom = any
Services = $2
${3:-}

[Peer]
PublicKey = $(cat "$NS_TMP/peer.pub")
AllowedIPs = 10.99.0.2/32
EOF
	chmod 600 "$1"
}
CA=$NS_TMP/a/wg0.conf
CB=$NS_TMP/b/wg0.conf
CBAD=$NS_TMP/bad/wg0.conf
conf "$CA" tcp/8080
conf "$CB" tcp/8081
conf "$CBAD" tcp/8080 "HandshakeLimit = 0/second"

# The foreign table: must come through everything unchanged.
ns_run $H nft -f - <<'EOF'
table inet foreign {
	chain input {
		type filter hook input priority 10; policy accept;
		tcp dport 9999 accept comment "not Rampart's"
	}
}
EOF
FOREIGN=$(ns_run $H nft list table inet foreign)
foreign_same() { [ "$(ns_run $H nft list table inet foreign 2>/dev/null)" = "$FOREIGN" ]; }

if ! ns_run $H "$RAMPART" firewall apply --help >/dev/null 2>&1; then
	not_ok "rampart firewall apply exists" "build/san/rampart firewall apply --help failed"
	finish
	exit 1
fi

# ---- 1. refused configs change nothing --------------------------------------
EMPTY=$(ruleset)
rp bad1 firewall apply --no-confirm "$CBAD"
rc=$?
check "bad policy line: exit 1" [ $rc -eq 1 ]
check "bad policy line: the message names file and key" logged bad1 "HandshakeLimit"
check "bad policy line: ruleset byte-identical" ruleset_is "$EMPTY"
rp show0 firewall show wg0
check "bad policy line: no window, no snapshot" eval \
	'logged show0 "confirm window: none" && logged show0 "snapshot: none"'

# A valid config that nft refuses: a table of our name with the owner flag,
# held by another process, cannot be deleted or replaced by anyone else.
mkfifo "$NS_TMP/owner.in"
nsenter -t "${NS_HOLDER[$H]}" -m -n -- timeout -k 2 60 nft -i <"$NS_TMP/owner.in" \
	>"$NS_TMP/owner.log" 2>&1 &
OWNER=$!
exec 7>"$NS_TMP/owner.in"
echo 'add table inet rampart-wg0 { flags owner; }' >&7
if wait_for 5 has_table rampart-wg0; then
	OWNED=$(ruleset)
	rp bad2 firewall apply --no-confirm "$CA"
	rc=$?
	check "nft refuses the batch: exit 1" [ $rc -eq 1 ]
	check "nft refuses the batch: says so, with nft's message" \
		eval 'logged bad2 "nft refused the batch" && logged bad2 "Operation not permitted"'
	check "nft refuses the batch: ruleset byte-identical" ruleset_is "$OWNED"
else
	not_ok "owner-flagged table for the refusal test" "$(cat "$NS_TMP/owner.log")"
fi
exec 7>&-
wait "$OWNER" 2>/dev/null
check "owner table gone with its process" wait_for 5 no_table
check "after both refusals: ruleset as at the start" ruleset_is "$EMPTY"

# ---- 2. apply without a window ----------------------------------------------
rp applyA firewall apply --no-confirm "$CA"
rc=$?
check "apply A --no-confirm: exit 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || show_log applyA
check "apply A: table inet rampart-wg0 is there" has_table rampart-wg0
check "apply A: foreign table unchanged" foreign_same
rp showA firewall show wg0
check "show: lists the table, no window, a snapshot of no table" eval \
	'logged showA "table inet rampart-wg0 {" && logged showA "confirm window: none" &&
	 logged showA "there was no table before the last apply"'
TA=$(table_s)
# shellcheck disable=SC2034  # read in eval
RA=$(ruleset_s)

# ---- 3. unconfirmed window, SIGKILL --------------------------------------------
# changed_from TABLE: the table now differs from TABLE (the apply happened).
changed_from() { [ -n "$(table_s)" ] && [ "$(table_s)" != "$1" ]; }
# killed_apply MODE: apply B with a 3 s window, kill -9 the command (MODE
# pid) or its process group (MODE group) once B is in place, then poll until
# A is back; prints the seconds from the start to the restore.
killed_apply() {
	local start pid restored
	start=$(date +%s%N)
	if [ "$1" = group ]; then
		setsid nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" firewall apply \
			--confirm-timeout 3 "$CB" >"$NS_TMP/kill-$1.log" 2>&1 </dev/null &
	else
		nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" firewall apply \
			--confirm-timeout 3 "$CB" >"$NS_TMP/kill-$1.log" 2>&1 </dev/null &
	fi
	pid=$!
	if ! wait_for 5 changed_from "$TA" || ! wait_for 2 pending; then
		echo "B never applied" >&2
		kill -9 "$pid" 2>/dev/null
		return 1
	fi
	if [ "$1" = group ]; then kill -9 -- "-$pid"; else kill -9 "$pid"; fi
	wait "$pid" 2>/dev/null
	wait_for 8 table_is "$TA" || return 1
	restored=$(date +%s%N)
	echo $(( (restored - start) / 1000000 ))
}
for mode in pid group; do
	ms=$(killed_apply $mode)
	rc=$?
	check "SIGKILL ($mode) during the window: A is back" [ $rc -eq 0 ]
	# Not before the deadline, and not much after (the guard polls nothing:
	# it sleeps on a CLOCK_BOOTTIME timer).
	check "SIGKILL ($mode): restored at the deadline (${ms:-?} ms after the start)" \
		eval '[ -n "$ms" ] && [ "$ms" -ge 2900 ] && [ "$ms" -le 5000 ]'
	check "SIGKILL ($mode): the whole ruleset is as before (stateless)" \
		eval '[ "$(ruleset_s)" = "$RA" ]'
	check "SIGKILL ($mode): no window left" eval '! pending'
	check "SIGKILL ($mode): foreign table unchanged" foreign_same
done
rp showK firewall show wg0
check "show after the guard's rollback: no window" logged showK "confirm window: none"

# ---- 4. confirmed window -------------------------------------------------------
nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" firewall apply --confirm-timeout 10 "$CB" \
	>"$NS_TMP/confirmed.log" 2>&1 </dev/null &
pid=$!
if wait_for 5 pending && wait_for 2 changed_from "$TA"; then
	G=$(guard_pid)
	check "window open: the guard runs, outside the command's session" eval \
		'[ -n "$G" ] && pid_alive "$G" && [ "$(ps -o sid= -p "$G")" != "$(ps -o sid= -p "$pid")" ]'
	rp confirm1 confirm wg0
	check "rampart confirm wg0 from a second command: exit 0" [ $? -eq 0 ]
	wait "$pid"
	rc=$?
	check "the waiting apply exits 0 (kept)" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || show_log confirmed
	check "the guard exits once confirmed" wait_for 5 ns_not_alive "$G"
else
	not_ok "confirmed window: B applied and waiting"
	kill -9 "$pid" 2>/dev/null
fi
# shellcheck disable=SC2034  # read in eval
TB=$(table_s)
check "B stays after the confirmation" eval '[ "$TB" != "$TA" ] && ! pending'
rp confirm2 firewall confirm wg0
rc=$?
check "confirm with no window: exit 1, says so" eval \
	'[ $rc -eq 1 ] && logged confirm2 "no change on wg0 is waiting"'
check "confirmed: foreign table unchanged" foreign_same

# ---- 5. terminal, SIGINT, busy -------------------------------------------------
# script(1) gives the command a terminal; Enter is typed once the prompt is
# on the terminal.  Typed earlier, it would be flushed (only an answer to
# the prompt counts): the window is open a little before the prompt, and
# the flush comes just before the prompt is written, so waiting for the
# window alone raced on a slow machine (CI: rc 1 after the 15 s timeout).
{ wait_for 10 logged tty "Press Enter within"; echo; } | timeout 20 script -qec "nsenter -t ${NS_HOLDER[$H]} -m -n -- $RAMPART firewall apply --confirm-timeout 15 $CA" /dev/null \
	>"$NS_TMP/tty.log" 2>&1
rc=$?
check "Enter on a terminal confirms: exit 0" [ $rc -eq 0 ]
check "the terminal got the prompt" logged tty "Press Enter within 15 s"
check "Enter: A is kept" eval 'table_is "$TA" && ! pending'

nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" firewall apply --confirm-timeout 30 "$CB" \
	>"$NS_TMP/sigint.log" 2>&1 </dev/null &
pid=$!
if wait_for 5 pending; then
	rp busy firewall apply --no-confirm "$CA"
	rc=$?
	check "apply while a window is open: refused (exit 1)" eval \
		'[ $rc -eq 1 ] && logged busy "is waiting for confirmation"'
	kill -INT "$pid"
	wait "$pid"
	rc=$?
	check "SIGINT during the window: exit 1" [ $rc -eq 1 ]
	check "SIGINT: A is back at once" eval 'table_is "$TA" && ! pending'
else
	not_ok "SIGINT: window open"
	kill -9 "$pid" 2>/dev/null
fi

# ---- 6. rollback and flush -------------------------------------------------------
rp applyB firewall apply --no-confirm "$CB"
rc=$?
check "apply B without a window" eval '[ $rc -eq 0 ] && table_is "$TB"'
rp rb1 firewall rollback wg0
rc=$?
check "rollback after a kept apply: A again" eval '[ $rc -eq 0 ] && table_is "$TA"'
rp rb2 firewall rollback wg0
rc=$?
check "rollback again: same snapshot, still A" eval '[ $rc -eq 0 ] && table_is "$TA"'

nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" firewall apply --confirm-timeout 30 "$CB" \
	>"$NS_TMP/rbwin.log" 2>&1 </dev/null &
pid=$!
if wait_for 5 pending; then
	rp rb3 firewall rollback wg0
	rc=$?
	check "rollback during a window: exit 0, says the window closed" eval \
		'[ $rc -eq 0 ] && logged rb3 "window is closed"'
	wait "$pid"
	check "the waiting apply exits 1 (rolled back)" [ $? -eq 1 ]
	check "rollback during a window: A at once" eval 'table_is "$TA" && ! pending'
else
	not_ok "rollback during a window: window open"
	kill -9 "$pid" 2>/dev/null
fi

nsenter -t "${NS_HOLDER[$H]}" -m -n -- "$RAMPART" firewall apply --confirm-timeout 30 "$CB" \
	>"$NS_TMP/flwin.log" 2>&1 </dev/null &
pid=$!
if wait_for 5 pending; then
	G=$(guard_pid)
	rp fl1 firewall flush wg0
	check "flush during a window: exit 0" [ $? -eq 0 ]
	wait "$pid"
	check "flush: the waiting apply exits 1" [ $? -eq 1 ]
	check "flush: the table is gone, the guard too" eval 'no_table && wait_for 5 ns_not_alive "$G"'
else
	not_ok "flush during a window: window open"
	kill -9 "$pid" 2>/dev/null
fi
rp fl2 firewall flush wg0
check "flush with no table: exit 0" [ $? -eq 0 ]
check "flush: foreign table unchanged" foreign_same
check "flush: nothing but the foreign table (and its ruleset as at the start)" ruleset_is "$EMPTY"

# ---- 7. panic -------------------------------------------------------------------
# Negative control first: everything passes.
check "before panic: SSH from 10.88.0.2" reach 10.88.0.2 22
check "before panic: tcp/8080 from 10.88.0.2" reach 10.88.0.2 8080
check "before panic: SSH from anyone (10.88.0.4)" reach 10.88.0.4 22
check "before panic: ping" ping_ok

BEFORE=$(ruleset)
nsenter -t "${NS_HOLDER[$A]}" -m -n -- timeout -k 2 90 "$PYTHON" -c "$PY_SESSION" \
	10.88.0.3 10.88.0.1 22 "$NS_TMP/session.port" "$NS_TMP/session.log" "$NS_TMP/session.stop" \
	>"$NS_TMP/session.err" 2>&1 </dev/null &
SESSION=$!
beats() { grep -c '^ok$' "$NS_TMP/session.log" 2>/dev/null || echo 0; }
beats_past() { [ "$(beats)" -ge "$1" ]; }
if wait_for 5 test -s "$NS_TMP/session.port" && wait_for 5 beats_past 3; then
	CPORT=$(cat "$NS_TMP/session.port")
	ns_run $H env SSH_CONNECTION="10.88.0.3 $CPORT 10.88.0.1 22" "$RAMPART" panic on \
		--ssh-from 10.88.0.2/32 >"$NS_TMP/panic1.log" 2>&1
	rc=$?
	check "panic on: exit 0" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || show_log panic1
	check "panic on: says the session is kept" logged panic1 "this SSH session is kept"
	n=$(beats)
	check "panic on: the session goes on (10 more beats)" wait_for 5 beats_past $((n + 10))
	check "panic on: SSH from --ssh-from passes" reach 10.88.0.2 22
	check "panic on: a new SSH connection from the session's client passes" reach 10.88.0.3 22
	check "panic on: SSH from anyone else is dropped" blocked 10.88.0.4 22
	check "panic on: tcp/8080 is dropped, even from --ssh-from" blocked 10.88.0.2 8080
	check "panic on: tcp/8080 from the session's client is dropped" blocked 10.88.0.3 8080
	check "panic on: ping is dropped" eval '! ping_ok'
	check "panic on: status says on" eval \
		'[ "$(ns_run $H "$RAMPART" panic status 2>/dev/null)" = on ]'
	check "panic on: foreign table unchanged" foreign_same
	touch "$NS_TMP/session.stop"
	wait "$SESSION"
	check "panic on: the session never missed a beat" eval \
		'! grep -q fail "$NS_TMP/session.log" && [ "$(beats)" -ge 10 ]'
	rp panic2 panic off
	check "panic off: exit 0" [ $? -eq 0 ]
	check "panic off: ruleset byte-identical to before panic" ruleset_is "$BEFORE"
	check "panic off: tcp/8080 passes again" reach 10.88.0.2 8080
	check "panic off: SSH from anyone passes again" reach 10.88.0.4 22
	check "panic off: ping passes again" ping_ok
else
	not_ok "panic: the session client runs" "$(cat "$NS_TMP/session.err")"
	kill "$SESSION" 2>/dev/null
fi

# panic on/off with an interface table present leaves that table alone.
rp applyA3 firewall apply --no-confirm "$CA"
check "apply A for the panic round" [ $? -eq 0 ]
# shellcheck disable=SC2034  # read in eval
R1=$(ruleset_s)
rp panic3 panic on --ssh-from 10.88.0.0/24
rc=$?
check "panic on without a session: exit 0, warns of no session" eval \
	'[ $rc -eq 0 ] && logged panic3 "no session to keep"'
check "panic on: the interface table is unchanged" table_is "$TA"
rp panic4 panic on
rc=$?
check "panic on again, without any SSH path: exit 0, warns of the console" eval \
	'[ $rc -eq 0 ] && logged panic4 "from the console"'
rp panic5 panic off
check "panic off: ruleset as before (stateless)" eval '[ "$(ruleset_s)" = "$R1" ]'
rp panic6 panic off
rc=$?
check "panic off when off: exit 0, says so" eval '[ $rc -eq 0 ] && logged panic6 "was not on"'

# ---- 8. the foreign table, usage ---------------------------------------------
# A was applied over no table: rolling back deletes the table.
rp rbEnd firewall rollback wg0
rc=$?
check "rollback to \"no table\": exit 0, the table is gone" eval '[ $rc -eq 0 ] && no_table'
check "at the end: the foreign table is exactly as created" foreign_same
check "at the end: the ruleset is as at the start" ruleset_is "$EMPTY"
rp u1 firewall show 'wg+0'
rc=$?
check "usage: a name nft cannot take: exit 2" eval '[ $rc -eq 2 ] && logged u1 "invalid interface name"'
rp u2 panic on --ssh-from 10.0.0.0/33
rc=$?
check "usage: a bad prefix: exit 2, names it" eval '[ $rc -eq 2 ] && logged u2 "10.0.0.0/33"'
rp u3 firewall frobnicate wg0
check "usage: an unknown subcommand: exit 2" [ $? -eq 2 ]
check "no sanitizer report from rampart" eval \
	'! grep -E -l "ERROR: (Address|Leak)Sanitizer|runtime error:" "$NS_TMP"/*.log'

finish
