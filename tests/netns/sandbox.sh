#!/bin/bash
# rampartd runs under its system-call filter (src/daemon/sandbox.h) and
# does everything an operator asks of it there: each build (the ASan one
# and the release one) in turn in a, with $PEER_IMPL in b.
#
#   ns a (rampartd, :51901)                 ns b ($PEER_IMPL, :51902)
#   wg0 10.71.0.1   <====== tunnel ======>  wg0 10.71.0.2
#   a-b 192.168.112.1  ------ veth ------   b-a 192.168.112.2
#
# For each build: every thread of the daemon's engine, and its parent, say Seccomp 2 (filter mode)
# with at least one filter, while $PEER_IMPL's process says 0 (the
# negative control: the check can fail); a key, a peer and a tunnel that
# pings; a listen-port change (the daemon binds new UDP sockets) and an
# fwmark change (SO_MARK), each followed by a ping; a peer whose endpoint
# is link-local with a zone (interface name to index and back); wg show
# and showconf;
# and the daemon still alive and filtered after all of it, with no SIGSYS
# and no sanitizer report, and a clean exit on SIGTERM.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$RAMPARTD" "$RAMPARTD_REL" "$PEER_IMPL"
ns_watchdog 120

wg_key a >/dev/null && wg_key b >/dev/null && wg_key c >/dev/null || bail "keys"
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_C=$(cat "$NS_TMP/c.pub")
PUB_B=$(cat "$NS_TMP/b.pub")

setup "namespaces" ns_add a
setup "namespaces" ns_add b
setup "veth a-b" ns_link a b 192.168.112.1/24 192.168.112.2/24
setup "$PEER_IMPL in b" ns_daemon b "$PEER_IMPL" wg0
setup "b's key and peer" ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51902 \
	peer "$PUB_A" allowed-ips 10.71.0.1/32
setup "b's wg0 up" wg_if_up b wg0 10.71.0.2/24

status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status"; }

# filtered PID: every thread of PID is in seccomp filter mode, with a filter.
filtered() {
	local t
	for t in /proc/"$1"/task/*; do
		[ "$(sed -n 's/^Seccomp:[[:space:]]*//p' "$t/status")" = 2 ] || return 1
		[ "$(sed -n 's/^Seccomp_filters:[[:space:]]*//p' "$t/status")" -ge 1 ] || return 1
	done
}

peer_pid=${NS_DPID[b/wg0]}
expect "$PEER_IMPL is not filtered (Seccomp $(status_field "$peer_pid" Seccomp))" \
	"$(status_field "$peer_pid" Seccomp)" 0

# The control for the maps check below: the name it looks for is the
# library rampart links.
check "control: rampart links libnftables" bash -c 'ldd "$1" | grep -q libnftables' _ "$RAMPART_REL"

port=51901
for impl in "$RAMPARTD" "$RAMPARTD_REL"; do
	name=$(impl_name "$impl")
	setup "$name in a" ns_daemon a "$impl" wg0
	# The engine carries the filter: the process that parses the network
	# and the control socket (the parent only binds and marks).
	pid=$(ns_engine_pid a wg0)
	threads=$(ls /proc/"$pid"/task | wc -l)
	check "$name: Seccomp 2 with a filter, in all $threads threads" filtered "$pid"
	check "$name: the parent has its own filter (Seccomp 2)" filtered "$(ns_parent_pid a wg0)"
	# Less code mapped in both: the firewall's libraries are rampart's.
	check "$name: neither process maps libnftables" \
		bash -c '! grep -q libnftables /proc/$1/maps /proc/$2/maps' _ "$pid" "$(ns_parent_pid a wg0)"
	check "$name: set a key and a peer" ns_wg a set wg0 private-key "$NS_TMP/a.key" \
		listen-port "$port" peer "$PUB_B" allowed-ips 10.71.0.2/32 endpoint 192.168.112.2:51902
	setup "$name: a's wg0 up" wg_if_up a wg0 10.71.0.1/24
	check "$name: ping through the tunnel" ns_ping a -c 2 -i 0.2 -w 8 10.71.0.2

	port=$((port + 10))
	check "$name: listen-port change to $port" ns_wg a set wg0 listen-port "$port"
	expect "$name: wg show says the new port" "$(ns_wg a show wg0 listen-port)" "$port"
	check "$name: ping after the port change" ns_ping a -c 2 -i 0.2 -w 8 10.71.0.2
	check "$name: fwmark change" ns_wg a set wg0 fwmark 0x4711
	expect "$name: wg show says the mark" "$(ns_wg a show wg0 fwmark)" 0x4711
	check "$name: ping with the mark" ns_ping a -c 2 -i 0.2 -w 8 10.71.0.2
	check "$name: fwmark off" ns_wg a set wg0 fwmark 0
	# A link-local endpoint's zone: a name to an index in the set, back
	# to the name in the get.
	check "$name: a link-local endpoint with a zone" ns_wg a set wg0 peer "$PUB_C" \
		allowed-ips 10.71.0.3/32 endpoint '[fe80::4711%a-b]:51999'
	expect "$name: wg show gives its zone back" \
		"$(ns_wg a show wg0 endpoints | awk -v k="$PUB_C" '$1 == k {print $2}')" '[fe80::4711%a-b]:51999'
	conf=$(ns_wg a showconf wg0)
	check "$name: wg showconf names the peer" grep -qF "PublicKey = $PUB_B" <<<"$conf"

	check "$name: still alive" pid_alive "$pid"
	check "$name: still filtered" filtered "$pid"
	ns_daemon_stop a wg0; rc=$?
	expect "$name: exits 0 on SIGTERM" "$rc" 0
	port=$((port + 10))
done
check "no sanitizer report" ns_sanitizer_clean
finish
