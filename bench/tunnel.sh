#!/bin/bash
# Side-by-side tunnel benchmark: rampartd (the release build) and
# wireguard-go in identical two-namespace topologies, each tunnel with the
# same implementation at both ends, measured in one run.  Prints figures
# and ratios; never fails on speed (exit status 1 only when a measurement
# could not be made at all).  Not part of `make check`.
#
#   ns a                                   ns b
#   wg0 10.80.0.1  <==== tunnel ====>      wg0 10.80.0.2   (iperf3 -s)
#   a-b 192.168.120.1 ----- veth ----- b-a 192.168.120.2
#
# Rows, per implementation:
#   TCP, 1 stream and 4 streams (iperf3 -t $BENCH_TIME, receiver Mbit/s)
#   UDP, 64-byte payloads, unlimited rate (iperf3 -u -l 64 -b 0):
#     packets per second that arrived
#   ping RTT, average of 20 pings at -i 0.05 (ms)
#   RSS (VmRSS, summed over the daemon's processes) of an idle daemon with 0, 1,000 and 10,000 peers (random
#     keys, one distinct /32 each, loaded with wg setconf), in MiB; and
#     PSS (the same sum of Pss, smaps_rollup), which counts the pages
#     rampartd's two processes share once, at 0 and 10,000 peers
#   the time that wg setconf of the 10,000 peers (and a private key) took, in s
#   CPU seconds per GB moved in the 1-stream TCP run: user + system time
#     of every process of both ends' daemons (/proc/PID/stat, all threads)
#     over the bytes received; and, once, the floor: the seconds one core
#     needs to seal and open a GB in 1420-byte packets, from bench_proto's
#     core data path in the same run, and each column's ratio to it
# and the ratio rampartd / wireguard-go per row (for RTT, RSS and CPU
# lower is better).
#
# BENCH_PERF=1 also profiles both ends' daemons of each column during the
# 1-stream TCP run (perf record -a -g, system-wide so that the kernel's
# share of the datagram and TUN paths shows) and prints the top of
# perf report, by symbol, for each (perf is Debian's linux-perf, not in
# scripts/deps.sh: without it the profile is left out, with a note).
#
# Usage: bench/tunnel.sh   (as root)
# Variables: RAMPARTD_REL (default build/rampartd), BENCH_TIME (5).  When
# RAMPARTD_REL is missing both columns run wireguard-go, with a note.
# BENCH_IMPL2 replaces wireguard-go in the second column (another build of
# rampartd, to compare a change before and after in one run), named
# BENCH_NAME2 (default: its file name).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export RAMPART_TOP=$top
. "$top/tests/lib.sh"

: "${BENCH_TIME:=5}"
ns_require
ns_watchdog 600

IMPL1=$RAMPARTD_REL
NAME1=rampartd
if [ ! -x "$IMPL1" ]; then
	echo "note: $IMPL1 not found (make first); both columns run wireguard-go"
	IMPL1=wireguard-go
	NAME1="wireguard-go*"
fi
IMPL2=${BENCH_IMPL2:-wireguard-go}
NAME2=${BENCH_NAME2:-$(basename "$IMPL2")}
impl_require "$IMPL1" "$IMPL2" iperf3

wg_key a >/dev/null && wg_key b >/dev/null || exit 1
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")

# peers_conf N FILE: N peers with random keys and distinct /32s.
peers_conf() {
	"$PYTHON" - "$1" "$2" "$NS_TMP/a.key" <<'EOF'
import base64, os, sys
n, out, key = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read().strip()
with open(out, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\n" % key)
    for i in range(n):
        f.write("\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.%d.%d.%d/32\n" % (
            base64.b64encode(os.urandom(32)).decode(),
            100 + (i >> 16), (i >> 8) & 255, i & 255))
EOF
}
peers_conf 1000 "$NS_TMP/peers1k.conf" && peers_conf 10000 "$NS_TMP/peers10k.conf" || exit 1

declare -A R=()
failed=0

CLK_TCK=$(getconf CLK_TCK)
if [ -n "${BENCH_PERF:-}" ] && ! command -v perf >/dev/null; then
	echo "note: BENCH_PERF: perf not found (apt-get install --no-install-recommends linux-perf): no profile" >&2
	BENCH_PERF=
fi

# The floor: bench_proto's core seal+open of 1420-byte packets, MB/s on
# one core, as CPU seconds per GB.
FLOOR=
BENCH_PROTO=$top/build/bench/bench_proto
if [ -x "$BENCH_PROTO" ] || make -C "$top" -s build/bench/bench_proto >/dev/null 2>&1; then
	FLOOR=$("$BENCH_PROTO" | awk '/^data path 1420 B seal\+open/ { printf "%.2f", 1000 / $9 }')
fi
[ -n "$FLOOR" ] || echo "note: bench_proto gave no figure: no floor row" >&2

# measure COL IMPL: fills R[COL,row].
measure() {
	local col=$1 impl=$2 f out
	ns_add a && ns_add b && ns_link a b 192.168.120.1/24 192.168.120.2/24 &&
	ns_daemon a "$impl" wg0 && ns_daemon b "$impl" wg0 &&
	ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51901 \
		peer "$PUB_B" allowed-ips 10.80.0.2/32 endpoint 192.168.120.2:51902 &&
	ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51902 \
		peer "$PUB_A" allowed-ips 10.80.0.1/32 &&
	wg_if_up a wg0 10.80.0.1/24 && wg_if_up b wg0 10.80.0.2/24 &&
	ns_ping a -c 2 -i 0.2 -w 8 10.80.0.2 &&
	ns_iperf_server b 10.80.0.2 || { echo "$col: set-up failed" >&2; failed=1; ns_cleanup; return; }

	f=$NS_TMP/bench.json
	echo "# $col: TCP 1 stream" >&2
	local pids t0 t1 perfpid=
	pids="$(ns_tun_pids a wg0) $(ns_tun_pids b wg0)"
	if [ -n "${BENCH_PERF:-}" ]; then
		perf record -q -a -g -o "$NS_TMP/$col.perf" -- sleep "$BENCH_TIME" >/dev/null 2>&1 &
		perfpid=$!
	fi
	# shellcheck disable=SC2086
	t0=$(cpu_ticks $pids)
	ns_iperf a "$f" -c 10.80.0.2 -t "$BENCH_TIME" && R[$col,tcp1]=$(iperf_result "$f" | awk '{ printf "%.0f", $4 / 1e6 }')
	# shellcheck disable=SC2086
	t1=$(cpu_ticks $pids)
	R[$col,cpugb]=$(iperf_result "$f" | awk -v d=$((t1 - t0)) -v hz="$CLK_TCK" \
		'$1 > 0 { printf "%.2f", d / hz / ($1 / 1e9) }')
	if [ -n "$perfpid" ]; then
		wait "$perfpid"
		echo "# $col: perf, both ends' daemons, by symbol (top 25)" >&2
		# shellcheck disable=SC2086
		perf report -q -i "$NS_TMP/$col.perf" --no-children --sort sym \
			--pid "$(echo $pids | tr ' ' ',')" --stdio -g none 2>/dev/null |
			grep -v '^$' | head -25 >&2
	fi
	echo "# $col: TCP 4 streams" >&2
	ns_iperf a "$f" -c 10.80.0.2 -t "$BENCH_TIME" -P 4 && R[$col,tcp4]=$(iperf_result "$f" | awk '{ printf "%.0f", $4 / 1e6 }')
	echo "# $col: UDP 64-byte packets" >&2
	ns_iperf a "$f" -c 10.80.0.2 -t "$BENCH_TIME" -u -l 64 -b 0 &&
		R[$col,udp64]=$(iperf_result "$f" | awk -v t="$BENCH_TIME" '{ printf "%.0f", $3 / t }')
	echo "# $col: ping RTT" >&2
	out=$(ns_run a ping -n -q -c 20 -i 0.05 -w 10 10.80.0.2 2>&1)
	R[$col,rtt]=$(sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p' <<< "$out")

	# Idle daemons, one per size, in a third interface each.
	local n ifn pid
	for n in 0 1k 10k; do
		ifn=rss$n
		echo "# $col: RSS with $n peers" >&2
		ns_daemon a "$impl" "$ifn" || continue
		if [ "$n" != 0 ]; then
			local t0 t1
			t0=$(date +%s%N)
			NS_CMD_TIMEOUT=120 ns_wg a setconf "$ifn" "$NS_TMP/peers$n.conf" || continue
			t1=$(date +%s%N)
			[ "$n" = 10k ] && R[$col,setconf10k]=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }')
		fi
		sleep 2
		# Every process that holds the interface's TUN: rampartd's
		# parent and engine together (their shared pages counted twice,
		# so an upper bound), wireguard-go's one process.
		R[$col,rss$n]=$(for pid in $(ns_tun_pids a "$ifn"); do cat "/proc/$pid/status"; done |
			awk '/^VmRSS:/ { kb += $2 } END { printf "%.1f", kb / 1024 }')
		# PSS: each shared page split among the processes mapping it,
		# so the sum is what the daemon costs the machine.
		R[$col,pss$n]=$(for pid in $(ns_tun_pids a "$ifn"); do cat "/proc/$pid/smaps_rollup"; done |
			awk '/^Pss:/ { kb += $2 } END { printf "%.1f", kb / 1024 }')
		ns_daemon_stop a "$ifn"
	done
	ns_cleanup
}

measure c1 "$IMPL1"
measure c2 "$IMPL2"

row() { # LABEL KEY
	local a=${R[c1,$2]:-} b=${R[c2,$2]:-} ratio=-
	if [ -n "$a" ] && [ -n "$b" ]; then
		ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
	fi
	printf '%-34s %14s %14s %8s\n' "$1" "${a:--}" "${b:--}" "$ratio"
}
echo
printf '%-34s %14s %14s %8s\n' "tunnel benchmark (${BENCH_TIME} s runs)" "$NAME1" "$NAME2" ratio
row "TCP, 1 stream (Mbit/s)" tcp1
row "TCP, 4 streams (Mbit/s)" tcp4
row "UDP 64 B received (packets/s)" udp64
row "ping RTT avg (ms)" rtt
row "RSS idle, 0 peers (MiB)" rss0
row "RSS idle, 1,000 peers (MiB)" rss1k
row "RSS idle, 10,000 peers (MiB)" rss10k
row "PSS idle, 0 peers (MiB)" pss0
row "PSS idle, 10,000 peers (MiB)" pss10k
row "wg setconf of 10,000 peers (s)" setconf10k
row "CPU s per GB, TCP 1 stream" cpugb
if [ -n "$FLOOR" ]; then
	R[c1,floor]=$FLOOR R[c2,floor]=$FLOOR
	for c in c1 c2; do
		[ -n "${R[$c,cpugb]:-}" ] &&
			R[$c,tofloor]=$(awk -v a="${R[$c,cpugb]}" -v f="$FLOOR" 'BEGIN { printf "%.2f", a / f }')
	done
	row "  floor: seal+open, one core (s/GB)" floor
	row "  CPU per GB / floor" tofloor
fi
[ "$NAME1" = "wireguard-go*" ] && echo "* stand-in: RAMPARTD_REL ($RAMPARTD_REL) is missing"
echo "$(nproc) CPUs, $(uname -r); ratio = $NAME1 / $NAME2"
exit "$failed"
