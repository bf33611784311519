#!/bin/bash
# The churn soak (issue 16, item 3; not part of make check):
#
#   bash tests/soak/churn.sh      # as root; SOAK_MINUTES=30 by default
#
# One hub rampartd (the sanitized build, $HUB) with SOAK_PEERS (1,000)
# peers: SOAK_CLIENTS (50) real clients in namespaces of their own, every
# other one wireguard-go and the rest rampartd's release build, and the
# remaining peers keys nobody holds.  For SOAK_MINUTES:
#
#   - every second, one of the keyless peers is removed and a new one
#     added with `wg set` (the churn; each set must succeed);
#   - every client pings the hub through the tunnel every 2 s, and one
#     of them sends 20 Mbit/s of UDP (iperf3) throughout;
#   - every minute, at its half, SOAK_ACTIONS (5) clients make a new
#     handshake from scratch (the hub's peer removed and added on the
#     client) and as many others roam (rampartd clients to a new outer
#     address, wireguard-go clients to a new port);
#   - every minute, at its end, a row: the hub's RSS (both processes),
#     its engine's descriptors and threads, the handshake queue and the
#     packet pool (the gauges of get=1), its peer count, and how many
#     clients answered a ping then (each gets 3 tries of 2 s).
#
# Then the checks: RSS at the last minute within 10% of minute 5 (of the
# first minute when the run is shorter than 6 minutes, said so); the
# descriptors and threads the same at every row; every client answered at
# every row (the handshakes and roams made on purpose had 30 s to settle);
# every churn set succeeded; the hub exits 0 on SIGTERM, with no
# sanitizer report in its log.  The table goes to stdout and, with
# SOAK_TABLE=FILE, to FILE.
#
#   ns hub: wg0 10.201.0.1/16, UDP 51900; br0 10.200.0.1/16
#   ns cN:  wg0 10.201.1.N/16; cN-h 10.200.1.N/16 (roams to 10.200.2.N,
#           then back, and so on: promote_secondaries keeps the new
#           address when the old one goes), in br0 on the hub's side
. "$(dirname "$0")/../lib.sh"

ns_require
: "${SOAK_MINUTES:=30}" "${SOAK_PEERS:=1000}" "${SOAK_CLIENTS:=50}" "${SOAK_ACTIONS:=5}"
: "${HUB:=$RAMPARTD}"
impl_require "$HUB" "$RAMPARTD_REL" wireguard-go iperf3
need_tool wg python3
ns_watchdog $((SOAK_MINUTES * 60 + 600))
[ "$SOAK_CLIENTS" -le 250 ] && [ "$SOAK_PEERS" -ge "$SOAK_CLIENTS" ] || bail "SOAK_CLIENTS at most 250 and at most SOAK_PEERS"

say() { echo "# $*"; }
hub_run() { ns_run hub "$@"; }

# --- the hub -------------------------------------------------------------------
setup "hub namespace" ns_add hub
setup "hub bridge" eval 'ip -n "$(ns_name hub)" link add br0 type bridge &&
	ip -n "$(ns_name hub)" addr add 10.200.0.1/16 dev br0 && ip -n "$(ns_name hub)" link set br0 up'
setup "hub key" wg_key hub
# ASan's quarantine of freed memory (256 MiB by default) would grow the
# hub's RSS for the whole run and fake a leak (16 MiB took 6 minutes to
# fill at this load, 4 MiB/min): 4 MiB is full within the first two.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4:thread_local_quarantine_size_kb=256" \
	setup "hub daemon" ns_daemon hub "$HUB" wg0
PUB_HUB=$(cat "$NS_TMP/hub.pub")

# The keyless peers: any 32 bytes are a public key to configure.
# fake_peer N: a new keyless peer's "KEY 10.202.X.Y/32".
fake_peer() {
	echo "$(head -c 32 /dev/urandom | base64) 10.202.$(($1 / 250 % 250)).$(($1 % 250 + 1))/32"
}

# --- the clients ---------------------------------------------------------------
declare -A CLIENT_IMPL=() CLIENT_ADDR=()
for i in $(seq 1 "$SOAK_CLIENTS"); do
	c=c$i
	if [ $((i % 2)) -eq 1 ]; then impl=wireguard-go; else impl=$RAMPARTD_REL; fi
	CLIENT_IMPL[$c]=$impl
	setup "$c namespace" ns_add "$c"
	setup "$c link" eval 'ip link add "$c-h" netns "$(ns_name "$c")" type veth peer name "h-$c" netns "$(ns_name hub)" &&
		ip -n "$(ns_name hub)" link set "h-$c" master br0 up &&
		ip -n "$(ns_name "$c")" addr add "10.200.1.$i/16" dev "$c-h" && ip -n "$(ns_name "$c")" link set "$c-h" up &&
		ip netns exec "$(ns_name "$c")" sysctl -q -w "net.ipv4.conf.$c-h.promote_secondaries=1"'
	CLIENT_ADDR[$c]=1
	setup "$c key" wg_key "$c"
	setup "$c daemon" ns_daemon "$c" "$impl" wg0
	setup "$c configured" ns_wg "$c" set wg0 private-key "$NS_TMP/$c.key" \
		peer "$PUB_HUB" allowed-ips 10.201.0.1/32 endpoint 10.200.0.1:51900
	setup "$c wg0 up" wg_if_up "$c" wg0 "10.201.1.$i/16"
done

# The hub's configuration: the clients, then keyless peers up to SOAK_PEERS.
{
	echo "[Interface]"
	echo "PrivateKey = $(cat "$NS_TMP/hub.key")"
	echo "ListenPort = 51900"
	for i in $(seq 1 "$SOAK_CLIENTS"); do
		printf '[Peer]\nPublicKey = %s\nAllowedIPs = 10.201.1.%s/32\n' "$(cat "$NS_TMP/c$i.pub")" "$i"
	done
	for n in $(seq 1 $((SOAK_PEERS - SOAK_CLIENTS))); do
		read -r key ip <<<"$(fake_peer "$n")"
		printf '[Peer]\nPublicKey = %s\nAllowedIPs = %s\n' "$key" "$ip"
		echo "$key" >> "$NS_TMP/fakes"
	done
} > "$NS_TMP/hub.conf"
setup "hub configured ($SOAK_PEERS peers)" eval 'NS_CMD_TIMEOUT=120 ns_wg hub setconf wg0 "$NS_TMP/hub.conf"'
setup "hub wg0 up" wg_if_up hub wg0 10.201.0.1/16

# answers C: C's ping through the tunnel is answered (3 tries of 2 s).
answers() { ns_run "$1" ping -n -q -c 3 -W 2 -i 0.5 10.201.0.1 2>/dev/null | grep -q ' [1-3] received'; }
for i in $(seq 1 "$SOAK_CLIENTS"); do
	setup "c$i reaches the hub" answers "c$i"
done
say "$SOAK_CLIENTS clients up; hub has $(hub_run wg show wg0 peers | wc -l) peers"

# --- load ----------------------------------------------------------------------
BG=()
for i in $(seq 1 "$SOAK_CLIENTS"); do
	ns_run "c$i" ping -n -q -i 2 10.201.0.1 >/dev/null 2>&1 &
	BG+=($!)
done
setup "iperf3 server" ns_iperf_server hub 10.201.0.1
ns_run c1 timeout -k 2 $((SOAK_MINUTES * 60 + 120)) iperf3 -c 10.201.0.1 -u -b 20M -t $((SOAK_MINUTES * 60 + 60)) \
	>/dev/null 2>&1 &
BG+=($!)

# The churn: one keyless peer out and one in, every second.
churn() {
	local n=$((SOAK_PEERS + 1)) old key ip
	while :; do
		old=$(head -n 1 "$NS_TMP/fakes")
		read -r key ip <<<"$(fake_peer "$n")"
		if ns_wg hub set wg0 peer "$old" remove peer "$key" allowed-ips "$ip" 2>>"$NS_TMP/churn.err"; then
			echo ok >> "$NS_TMP/churn.log"
		else
			echo fail >> "$NS_TMP/churn.log"
		fi
		{ tail -n +2 "$NS_TMP/fakes"; echo "$key"; } > "$NS_TMP/fakes.new" && mv "$NS_TMP/fakes.new" "$NS_TMP/fakes"
		n=$((n + 1))
		sleep 1
	done
}
churn &
BG+=($!)

# --- the actions made on purpose -----------------------------------------------
rehandshake() {
	ns_wg "$1" set wg0 peer "$PUB_HUB" remove &&
		ns_wg "$1" set wg0 peer "$PUB_HUB" allowed-ips 10.201.0.1/32 endpoint 10.200.0.1:51900
}
# roam C: C's outer address changes (rampartd clients: the new address
# added and the old one deleted, so the daemon must notice its source is
# gone) or, for wireguard-go clients, its port (a NAT's rebinding: this
# wireguard-go keeps sending from a cached source address it was not told
# is gone until a handshake retry clears it, a client's own matter).
# Either way the hub must follow the client to its new endpoint.
roam() {
	local c=$1 i=${1#c} from to
	from=${CLIENT_ADDR[$c]}; to=$((from % 2 + 1))
	if [ "${CLIENT_IMPL[$c]}" = wireguard-go ]; then
		ns_wg "$c" set wg0 listen-port $((52000 + 2 * i + to)) || return 1
	else
		ip -n "$(ns_name "$c")" addr add "10.200.$to.$i/16" dev "$c-h" &&
			ip -n "$(ns_name "$c")" addr del "10.200.$from.$i/16" dev "$c-h" || return 1
	fi
	CLIENT_ADDR[$c]=$to
}
# where C is: its outer address and port.
where() {
	if [ "${CLIENT_IMPL[$1]}" = wireguard-go ]; then echo "port $(ns_wg "$1" show wg0 listen-port)"
	else echo "10.200.${CLIENT_ADDR[$1]}.${1#c}"; fi
}

engine=$(ns_engine_pid hub wg0)
parent=$(ns_parent_pid hub wg0)
rss() { awk '/^VmRSS:/ { kb += $2 } END { printf "%.1f", kb / 1024 }' "/proc/$engine/status" "/proc/$parent/status"; }
gauge() { printf 'get=1\n\n' | uapi hub wg0 | sed -n "/^public_key=/q; s/^rampart_$1=//p" | grep . || echo 0; }

ROWS=()
printf -v head '%6s %9s %5s %7s %7s %7s %7s %6s %9s %8s' minute rss_mib fds threads hs_queue bufs_use bufs_free peers answered churn
echo "# $head"
for m in $(seq 1 "$SOAK_MINUTES"); do
	sleep 30
	actors=$(shuf -i 1-"$SOAK_CLIENTS" -n $((SOAK_ACTIONS * 2 > SOAK_CLIENTS ? SOAK_CLIENTS : SOAK_ACTIONS * 2)))
	k=0
	for i in $actors; do
		if [ $k -lt "$SOAK_ACTIONS" ]; then
			rehandshake "c$i" && say "minute $m: c$i makes a new handshake" || say "minute $m: c$i's re-handshake set failed"
		else
			roam "c$i" && say "minute $m: c$i roams to $(where "c$i")" || say "minute $m: c$i could not roam"
		fi
		k=$((k + 1))
	done
	sleep 30
	asks=()
	for i in $(seq 1 "$SOAK_CLIENTS"); do
		{ answers "c$i" && touch "$NS_TMP/ans.$m.$i"; } &
		asks+=($!)
	done
	wait "${asks[@]}"
	answered=$(find "$NS_TMP" -maxdepth 1 -name "ans.$m.*" | wc -l)
	for i in $(seq 1 "$SOAK_CLIENTS"); do
		[ -e "$NS_TMP/ans.$m.$i" ] ||
			say "minute $m: c$i ($(impl_name "${CLIENT_IMPL[c$i]}"), outer 10.200.${CLIENT_ADDR[c$i]}.$i) at $(where "c$i") did not answer; its handshake: $(wg_handshake "c$i" wg0 "$PUB_HUB"), the hub's endpoint for it: $(wg_endpoint hub wg0 "$(cat "$NS_TMP/c$i.pub")")"
	done
	churn_ok=$(grep -c ok "$NS_TMP/churn.log" 2>/dev/null); churn_fail=$(grep -c fail "$NS_TMP/churn.log" 2>/dev/null)
	printf -v row '%6s %9s %5s %7s %7s %7s %7s %6s %9s %8s' "$m" "$(rss)" "$(ls "/proc/$engine/fd" | wc -l)" \
		"$(ls "/proc/$engine/task" | wc -l)" "$(gauge handshake_queue_len)" "$(gauge packet_buffers_in_use)" \
		"$(gauge packet_buffers_free)" "$(hub_run wg show wg0 peers | wc -l)" "$answered/$SOAK_CLIENTS" \
		"${churn_ok:-0}/$((${churn_ok:-0} + ${churn_fail:-0}))"
	echo "# $row"
	ROWS+=("$row")
done
for p in "${BG[@]}"; do kill "$p" 2>/dev/null; done
for p in "${BG[@]}"; do wait "$p" 2>/dev/null; done

[ -n "${SOAK_TABLE:-}" ] && { echo "$head"; printf '%s\n' "${ROWS[@]}"; } > "$SOAK_TABLE"

# --- the checks ----------------------------------------------------------------
col() { printf '%s\n' "${ROWS[@]}" | awk -v c="$1" '{ print $c }'; }
ref=5; [ "$SOAK_MINUTES" -lt 6 ] && ref=1
rss_ref=$(col 2 | sed -n "${ref}p"); rss_end=$(col 2 | tail -n 1)
check "RSS at minute $SOAK_MINUTES ($rss_end MiB) within 10% of minute $ref ($rss_ref MiB)" \
	awk -v a="$rss_end" -v b="$rss_ref" 'BEGIN { exit !(a <= b * 1.1 && a >= b * 0.9) }'
expect "descriptors the same at every minute ($(col 3 | sort -u | tr '\n' ' '))" "$(col 3 | sort -u | wc -l)" 1
expect "threads the same at every minute ($(col 4 | sort -u | tr '\n' ' '))" "$(col 4 | sort -u | wc -l)" 1
expect "every client answered at every minute" "$(col 9 | grep -cv "^$SOAK_CLIENTS/$SOAK_CLIENTS\$")" 0
expect "every churn set succeeded ($(grep -c ok "$NS_TMP/churn.log") sets)" "$(grep -c fail "$NS_TMP/churn.log")" 0
check "the hub exits 0 on SIGTERM" ns_daemon_stop hub wg0
check "no sanitizer report in the hub's log" ns_sanitizer_clean
finish
