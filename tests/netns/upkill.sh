#!/bin/bash
# SIGKILL of `rampart up` at each of its steps (issue 16, item 4): the next
# `rampart down` cleans up from what the state file recorded, and nothing
# is left behind: rules, routes of every table, the nftables ruleset,
# addresses, links, sockets, state files and processes are as before the
# up (ns_snap, which includes the sysctls a policy changes).  What up
# changes outside the link (rules, the wg-quick tables, sysctls) it
# records before it makes the change, so every kill point is covered.
#
# The kill points: strace's fault injection sends SIGKILL to `rampart up`
# (the process itself, not the daemon it starts) at its Nth sendto, for
# every N up to the number a whole `up` makes (each netlink change, and
# libnftables' batches, go through sendto), and at its Nth renameat (each
# commit of the state file, written to a temporary name and renamed; the
# next up or down removes a temporary a killed writer left).  A
# full-tunnel client config, so that up takes every kind of step: the
# daemon, its configuration, addresses, MTU, fwmark, table 51820 and its
# rules, src_valid_mark, wg-quick's and Rampart's nftables tables and the
# sysctls.  The control: a whole up under strace without a kill works and
# its down leaves the namespace as before.
#
# The killed up runs without LeakSanitizer, which cannot work under
# ptrace; its other checks stay on.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$RAMPART" "$RAMPARTD" strace nft
ns_watchdog 400
export RAMPARTD

umask 077
mkdir -p "$NS_TMP/cf"
setup "namespaces" eval 'ns_add c && ns_add h && ns_link c h 192.168.79.2/24 192.168.79.1/24 &&
	ip -n "$(ns_name c)" route add default via 192.168.79.1'
setup "keys" eval '"$RAMPART" genkey > "$NS_TMP/c.key" && "$RAMPART" genkey | "$RAMPART" pubkey > "$NS_TMP/h.pub"'
cat > "$NS_TMP/cf/wg0.conf" <<EOF
[Interface]
PrivateKey = $(cat "$NS_TMP/c.key")
Address = 10.79.0.2/24, fd79::2/64
[Peer]
PublicKey = $(cat "$NS_TMP/h.pub")
Endpoint = 192.168.79.1:51820
AllowedIPs = 0.0.0.0/0, ::/0
EOF
CONF=$NS_TMP/cf/wg0.conf
settled() { [ -z "$(ip -n "$(ns_name c)" -6 addr show tentative)" ]; }
setup "IPv6 DAD" wait_for 10 settled
BEFORE=$(ns_snap c)

# traced_up OUT STRACE_ARGS...: rampart up under strace; its status.
traced_up() {
	local out=$1; shift
	ns_run c env ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
		strace -o "$NS_TMP/strace.out" "$@" -- "$RAMPART" up "$CONF" >"$out" 2>&1
}
down() { ns_run c "$RAMPART" down "$CONF" >"$NS_TMP/down.log" 2>&1; }

# The control, and the counts of each kill point's system call.
traced_up "$NS_TMP/up.log" -c -e trace=sendto,renameat
rc=$?
check "control: a whole up under strace works" [ "$rc" -eq 0 ]
n_sendto=$(awk '$NF == "sendto" { print $4 }' "$NS_TMP/strace.out")
n_rename=$(awk '$NF == "renameat" { print $4 }' "$NS_TMP/strace.out")
echo "# a whole up: ${n_sendto:-0} sendto, ${n_rename:-0} renameat"
check "control: its down works" down
check "control: nothing left after the down" ns_same_as c "$BEFORE"
[ "${n_sendto:-0}" -gt 10 ] && [ "${n_rename:-0}" -gt 2 ] || bail "strace counted no kill points" "$(cat "$NS_TMP/strace.out")"

# A temporary of the state file that a writer killed before its rename
# left: the next up removes it (and the down after leaves nothing).
stale="/proc/${NS_HOLDER[c]}/root/run/rampart/.wg0.state.99999.0.tmp"
mkdir -p "$(dirname "$stale")" && echo x > "$stale"
ns_run c "$RAMPART" up "$CONF" >"$NS_TMP/up2.log" 2>&1
check "a stale temporary of the state file: the next up removes it" [ ! -e "$stale" ]
check "... and says so" grep -q "removed 1 temporary file of /run/rampart/wg0.state" "$NS_TMP/up2.log"
check "... and its down leaves nothing" eval 'down && ns_same_as c "$BEFORE"'

# kill_at CALL N: up killed at its Nth CALL, then down; "" when nothing
# is left, else what went wrong.
kill_at() {
	local rc left
	traced_up "$NS_TMP/kill.log" -e trace="$1" -e inject="$1":signal=SIGKILL:when="$2"
	rc=$?
	# strace reports the tracee's death by SIGKILL as its own status 137.
	if [ "$rc" -ne 137 ]; then
		echo "up was not killed (status $rc)"
		return
	fi
	down
	if ! left=$(ns_same_as c "$BEFORE" 2>&1); then
		echo "left behind after down (status of down $?): $left $(tail -n 3 "$NS_TMP/down.log")"
		# Clean by hand for the next point: the interface, then the tables.
		ip -n "$(ns_name c)" link del wg0 2>/dev/null
		ns_run c nft flush ruleset
		ns_run c "$RAMPART" down "$CONF" >/dev/null 2>&1
	fi
}

# Both kinds of kill point.  A rule of the default route is not tied to
# the link, so only its record in the state lets down find it: up writes
# that record before it adds the rule (write-ahead), and the nftables
# tables' records before their batch; a kill at the rename just before an
# add is the case that shows it.
calls="sendto renameat"
for call in $calls; do
	if [ "$call" = sendto ]; then total=$n_sendto; else total=$n_rename; fi
	bad=()
	for n in $(seq 1 "$total"); do
		why=$(kill_at "$call" "$n")
		[ -n "$why" ] && bad+=("$call $n: $why")
	done
	if [ ${#bad[@]} -eq 0 ]; then
		ok "up killed at each of its $total ${call}s: down left nothing behind"
	else
		not_ok "up killed at each of its $total ${call}s: down left nothing behind (${#bad[@]} points failed)" \
			"${bad[@]:0:5}"
	fi
done
finish
