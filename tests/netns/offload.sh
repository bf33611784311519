#!/bin/bash
# The TUN and UDP offloads (issue 15, item 2): bulk TCP and verified UDP
# through the tunnel, rampartd against itself and against wireguard-go,
# with every offload on and with each one switched off
# (RAMPART_OFFLOAD_OFF), and rampartd's offload counters.
#
#   ns a (sender)                                 ns b (receiver)
#   +-------------------------+                   +-------------------------+
#   | wg0 10.30.0.1  fd30::1  |  ==== tunnel ==== | wg0 10.30.0.2  fd30::2  |
#   | rampartd, port 51841    |   MTU 1420, 1280  | impl B, port 51842      |
#   | a-b 192.168.70.1        |--- veth, 1500 ----| b-a 192.168.70.2        |
#   |     fd70::1             |                   |     fd70::2             |
#   +-------------------------+                   +-------------------------+
#
# A is always rampartd; B is rampartd or wireguard-go (0.0.20220316 in
# Debian: no offloads of its own).  Each point runs in fresh namespaces,
# both rampartds started with the point's RAMPART_OFFLOAD_OFF; the outer
# family is the point's (IPv4 or IPv6), the inner families both.  Per
# transfer (A sends, B receives, unless said otherwise):
#
#   TCP  a file of random bytes (tests/tools/xfer.py tcp-send: sendall of
#        1 MiB chunks, so that a TUN offering TSO gets super-packets);
#        B writes what it got to a file, hashing it as it goes: the
#        file's size and that sha256 must be the source's (sha256sum).
#   UDP  self-checking datagrams (seq + BLAKE2b of the payload), most of
#        them handed to the kernel as UDP_SEGMENT super-datagrams of 16
#        segments as big as the tunnel MTU allows (so that a TUN offering
#        USO gets super-packets), paced (OFFLOAD_UDP_MBIT); B checks each:
#        every one it got intact, no duplicate, none it was not sent, and
#        at least OFFLOAD_UDP_MIN percent (95) of them delivered (else
#        one more run at half the rate, said in the ok line: on a shared
#        machine a starved daemon's TUN queue overflows).
#
# rampartd's device counters (get=1 on the control socket; a counter not
# in the reply is 0) are read before and after each transfer, and the
# differences checked against what the point's setting says:
#
#   rampart_tun_gso_read      TUN reads that carried a GSO super-packet
#   rampart_tun_gso_written   TUN writes of a coalesced GSO packet
#   rampart_udp_gso_sent      sendmsg calls with several datagrams (UDP_SEGMENT)
#   rampart_udp_gro_received  received buffers of several datagrams (UDP_GRO)
#
#   offloads on   TCP: A read and sent super-packets, B received GRO
#                 buffers and wrote coalesced packets (> 0); UDP: A read
#                 USO super-packets and sent with UDP_SEGMENT, B received
#                 GRO buffers.  (Against wireguard-go, A's two only: it
#                 sends no GSO, and the veth does no GRO.)
#   tso off       neither side read nor wrote a GSO packet on its TUN
#   uso off       TCP: A still read super-packets; UDP: A read none
#   gso off       neither side sent with UDP_SEGMENT; A still read
#                 super-packets (TCP)
#   gro off       neither side received a GRO buffer; A still sent with
#                 UDP_SEGMENT
#   all off       all four stay 0 on both sides (the negative control of
#                 the first point's "> 0")
#
# The points: offloads on, release builds, 200 MB per TCP transfer, TCP
# and UDP x IPv4 and IPv6 inner x MTU 1420 and 1280, against rampartd
# (outer IPv4) and against wireguard-go (outer IPv6; TCP in both
# directions: rampartd sends IPv4 at 1420 and IPv6 at 1280, wireguard-go
# IPv6 at 1420 and IPv4 at 1280); then the sanitized build against
# itself, smaller transfers: offloads on, and tso, uso, gso, gro and all
# off, one by one; its logs must have no sanitizer report; then two
# kernels that lack an offload, the sanitized build again: one without USO
# (failsys, tests/tools/failsys.c, fails the TUNSETOFFLOAD that asks for
# it) and a route that refuses UDP GSO (tests/tools/sockopt.py): rampartd
# must fall back, say so, and lose nothing.  A table of
# what moved how fast ends the output (speed is printed, never judged).
#
# Variables: OFFLOAD_MB (200: TCP MB, release points), OFFLOAD_SAN_MB
# (24: TCP MB, sanitized points), OFFLOAD_UDP_MB (8: UDP MB per run),
# OFFLOAD_UDP_MBIT (200: rampartd release against itself),
# OFFLOAD_SLOW_UDP_MBIT (100: against wireguard-go, and the sanitized
# points), OFFLOAD_UDP_MIN (95).
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$RAMPARTD_REL" "$RAMPARTD" wireguard-go
need_tool python3 sha256sum wg
FAILSYS=${FAILSYS:-$RAMPART_TOP/build/tests/tools/failsys}
impl_require "$FAILSYS"
ns_watchdog 240
unset RAMPART_OFFLOAD_OFF
: "${OFFLOAD_MB:=200}"
: "${OFFLOAD_SAN_MB:=24}"
: "${OFFLOAD_UDP_MB:=8}"
: "${OFFLOAD_UDP_MBIT:=200}"
: "${OFFLOAD_SLOW_UDP_MBIT:=100}"
UDP_MBIT=$OFFLOAD_UDP_MBIT
: "${OFFLOAD_UDP_MIN:=95}"
NS_CMD_TIMEOUT=90
XFER=$RAMPART_TOP/tests/tools/xfer.py
T_START=$(date +%s%N)

keys() { wg_key a >/dev/null && wg_key b >/dev/null; }
setup "keys" keys
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")
mkdir -p "$NS_TMP/logs"

# The source files: random bytes, made once; the smaller ones are the
# first megabytes of the big one.  SRC[MB] is the path, SUM[MB] the sha256.
declare -A SRC=() SUM=()
src_make() {
	local mb=$1 f=$NS_TMP/src-$1.bin
	[ -n "${SRC[$mb]:-}" ] && return 0
	if [ ! -s "$NS_TMP/src-$OFFLOAD_MB.bin" ]; then
		head -c "$((OFFLOAD_MB << 20))" /dev/urandom > "$NS_TMP/src-$OFFLOAD_MB.bin" || return 1
	fi
	[ "$mb" = "$OFFLOAD_MB" ] || head -c "$((mb << 20))" "$NS_TMP/src-$OFFLOAD_MB.bin" > "$f" || return 1
	[ "$(stat -c %s "$f")" = "$((mb << 20))" ] || return 1
	SRC[$mb]=$f
	SUM[$mb]=$(sha256sum < "$f" | cut -d' ' -f1)
	[ ${#SUM[$mb]} = 64 ]
}
for mb in "$OFFLOAD_MB" "$OFFLOAD_SAN_MB"; do
	setup "source file of $mb MB" src_make "$mb"
done
echo "# $(impl_name "$RAMPARTD_REL"), $(impl_name "$RAMPARTD") and wireguard-go $(wireguard-go --version 2>/dev/null | sed -n 's/^wireguard-go //p'); kernel $(uname -r)"

# kv FILE: the key=value line xfer.py printed, into the array KV.
declare -A KV=()
kv() {
	local w
	KV=()
	local -a words=()
	[ -e "$1" ] && read -r -a words < "$1"
	for w in "${words[@]}"; do
		case $w in *=*) KV[${w%%=*}]=${w#*=} ;; esac
	done
}

# Counter snapshots of the rampartd sides (xfer.py counters: one get=1
# on each control socket, a counter not in the reply 0): SNAP[side] is
# "read written sent gro" (tun_gso_read, tun_gso_written, udp_gso_sent,
# udp_gro_received), or "x" when unreadable (a daemon gone); after
# snap_end, D[side.counter] holds the differences.
declare -A SNAP=() D=()
snap() {
	local s socks=() sides=() line i=0
	for s in a b; do
		[ "${IS_RD[$s]}" = 1 ] || continue
		sides+=("$s"); socks+=("$(ns_sock "$s" wg0)")
	done
	[ ${#sides[@]} -gt 0 ] || return 0
	while read -r line; do
		SNAP[${sides[$i]}]=$line
		i=$((i + 1))
	done < <("$PYTHON" "$XFER" counters "${socks[@]}")
}
snap_delta() {
	local s i v0 v1 names=(tun_gso_read tun_gso_written udp_gso_sent udp_gro_received)
	local -a old new
	for s in a b; do
		[ "${IS_RD[$s]}" = 1 ] || continue
		read -r -a old <<< "${OLD[$s]:-x}"
		read -r -a new <<< "${SNAP[$s]:-x}"
		for i in 0 1 2 3; do
			v0=${old[$i]:-x}; v1=${new[$i]:-x}
			if [ "$v0" = x ] || [ "$v1" = x ]; then
				D[$s.${names[$i]}]=x
			else
				D[$s.${names[$i]}]=$((v1 - v0))
			fi
		done
	done
}
declare -A OLD=() IS_RD=()
snap_begin() { SNAP=(); snap; OLD[a]=${SNAP[a]:-x}; OLD[b]=${SNAP[b]:-x}; }
snap_end() { SNAP=(); snap; snap_delta; }

# cnt_check LABEL COND...: one test over the differences of the last
# transfer; COND is SIDE.COUNTER>0 or SIDE.COUNTER=0 (a side that is not
# rampartd is left out).  The ok line gives every figure.
cnt_check() {
	local label=$1 c key op v fig=() bad=() want=(); shift
	for c in "$@"; do
		case $c in *'>0') op='>'; key=${c%>0} ;; *'=0') op='='; key=${c%=0} ;; esac
		[ "${IS_RD[${key%%.*}]}" = 1 ] || continue
		v=${D[$key]:-x}
		fig+=("$key $v"); want+=("$c")
		if [ "$v" = x ]; then
			bad+=("$key: unreadable (get=1 failed)")
		elif [ "$op" = '>' ] && [ "$v" -le 0 ]; then
			bad+=("$key rose by $v, want > 0")
		elif [ "$op" = '=' ] && [ "$v" -ne 0 ]; then
			bad+=("$key rose by $v, want 0")
		fi
	done
	[ ${#fig[@]} -gt 0 ] || return 0
	if [ ${#bad[@]} -eq 0 ]; then
		local figs; figs=$(IFS=,; echo "${fig[*]}")
		ok "$label: counters (${figs//,/, })"
	else
		not_ok "$label: counters (${want[*]})" "${bad[@]}"
	fi
}

# expect_counters SETTING PROTO: the conditions for one transfer from A
# to B (the table in the header).
expect_counters() {
	case $1/$2 in
	on/tcp) echo a.tun_gso_read\>0 a.udp_gso_sent\>0 b.udp_gro_received\>0 b.tun_gso_written\>0 ;;
	on/udp) echo a.tun_gso_read\>0 a.udp_gso_sent\>0 b.udp_gro_received\>0 ;;
	tso/*) echo a.tun_gso_read=0 a.tun_gso_written=0 b.tun_gso_read=0 b.tun_gso_written=0 ;;
	uso/tcp) echo a.tun_gso_read\>0 ;;
	uso/udp) echo a.tun_gso_read=0 ;;
	gso/tcp) echo a.udp_gso_sent=0 b.udp_gso_sent=0 a.tun_gso_read\>0 ;;
	gso/udp) echo a.udp_gso_sent=0 b.udp_gso_sent=0 ;;
	gro/*) echo a.udp_gro_received=0 b.udp_gro_received=0 a.udp_gso_sent\>0 ;;
	# The two kernels that lack one (points 9 and 10): as if switched off.
	nouso/*) expect_counters uso "$2" ;;
	# (b still sends its ACKs' runs with GSO: only a's sockets refuse.)
	gsorefused/tcp) echo a.udp_gso_sent=0 a.tun_gso_read\>0 ;;
	gsorefused/udp) echo a.udp_gso_sent=0 ;;
	all/*)
		local s c
		for s in a b; do
			for c in tun_gso_read tun_gso_written udp_gso_sent udp_gro_received; do
				echo "$s.$c=0"
			done
		done ;;
	esac
}

# mbits BYTES SECONDS: the rate in Mbit/s, "-" for no time.
mbits() { awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", b * 8 / s / 1e6; else print "-" }'; }

ROWS=()
# row PAIR SETTING PROTO FAM MTU BYTES SECONDS RESULT: one line of the table.
row() {
	local mbit
	mbit=$(mbits "$6" "$7")
	ROWS+=("$(printf '%-27s %-4s %-4s %-4s %5s %7.1f %7.2f %7s  %s' "$1" "$2" "$3" "IPv$4" "$5" \
		"$(awk -v b="$6" 'BEGIN { print b / 1048576 }')" "$7" "$mbit" "$8")")
}

# ready_or_gone PID: a receiver is ready, or has exited.
ready_or_gone() { [ -e "$NS_TMP/ready" ] || ! pid_alive "$1"; }

# inner FAMILY SIDE: SIDE's inner address.
inner() { if [ "$1" = 4 ]; then echo "10.30.0.$2"; else echo "fd30::$2"; fi; }

# tcp_xfer LABEL FROM TO FAM MTU MB: FROM sends SRC[MB] to TO.
tcp_xfer() {
	local label=$1 from=$2 to=$3 fam=$4 mtu=$5 mb=$6 dst rpid rc got sum rbytes secs
	local sj=$NS_TMP/tcp-send.out rj=$NS_TMP/tcp-recv.out rf=$NS_TMP/recv.bin
	dst=$(inner "$fam" "$([ "$to" = a ] && echo 1 || echo 2)")
	rm -f "$rf" "$NS_TMP/ready" "$sj" "$rj"
	nsenter -t "${NS_HOLDER[$to]}" -m -n -- timeout -k 2 "$NS_CMD_TIMEOUT" "$PYTHON" "$XFER" tcp-recv \
		--bind "$dst" --port 5001 --out "$rf" --ready "$NS_TMP/ready" --timeout 30 \
		>"$rj" 2>"$NS_TMP/tcp-recv.err" </dev/null &
	rpid=$!
	if ! wait_for 5 ready_or_gone "$rpid" || [ ! -e "$NS_TMP/ready" ]; then
		not_ok "$label" "receiver not listening" "$(cat "$NS_TMP/tcp-recv.err")"
		kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null
		return 1
	fi
	snap_begin
	ns_run "$from" "$PYTHON" "$XFER" tcp-send --to "$dst" --port 5001 --file "${SRC[$mb]}" \
		>"$sj" 2>"$NS_TMP/tcp-send.err"; rc=$?
	[ "$rc" -eq 0 ] || kill "$rpid" 2>/dev/null
	wait "$rpid"
	snap_end
	got=$(stat -c %s "$rf" 2>/dev/null || echo 0)
	kv "$rj"; sum=${KV[sha256]:-none}; rbytes=${KV[bytes]:-0}
	kv "$sj"; secs=${KV[seconds]:-0}
	if [ "$rc" -eq 0 ] && [ "$sum" = "${SUM[$mb]}" ] && [ "${KV[sha256]:-}" = "$sum" ] &&
	   [ "$got" = "$((mb << 20))" ] && [ "$rbytes" = "$got" ]; then
		ok "$label: $mb MB, sha256 equal ($(mbits "$got" "$secs") Mbit/s)"
		row "$PAIR" "$SETTING" tcp "$fam" "$mtu" "$got" "$secs" "sha256 ok"
	else
		not_ok "$label: $mb MB, sha256 equal" "sender status $rc: $(cat "$sj" "$NS_TMP/tcp-send.err")" \
			"receiver: $(cat "$rj" "$NS_TMP/tcp-recv.err")" "file of $got bytes, receiver's sha256 $sum, want ${SUM[$mb]}"
		row "$PAIR" "$SETTING" tcp "$fam" "$mtu" "$got" "$secs" "SHA256 BAD"
	fi
	rm -f "$rf"
}

UDP_RUN=0
# udp_run FAM MTU MBIT: one UDP run, A to B, OFFLOAD_UDP_MB of datagrams
# paced at MBIT; the outcome in U[...] (sent, got, bytes, bad, dup,
# beyond, foreign, marker: the end marker's count, secs, sends, gsends,
# and the drop counters before and after, d0 and d1).  Fails when a side
# did not run or say what it did (U[why] then says so).
declare -A U=()
udp_run() {
	local fam=$1 mtu=$2 mbit=$3 dst rpid rc
	local sj=$NS_TMP/udp-send.out rj=$NS_TMP/udp-recv.out
	dst=$(inner "$fam" 2)
	UDP_RUN=$((UDP_RUN + 1))
	U=()
	rm -f "$NS_TMP/ready" "$sj" "$rj"
	nsenter -t "${NS_HOLDER[b]}" -m -n -- timeout -k 2 "$NS_CMD_TIMEOUT" "$PYTHON" "$XFER" udp-recv \
		--bind "$dst" --port 5002 --run "$UDP_RUN" --ready "$NS_TMP/ready" --timeout 60 \
		>"$rj" 2>"$NS_TMP/udp-recv.err" </dev/null &
	rpid=$!
	if ! wait_for 5 ready_or_gone "$rpid" || [ ! -e "$NS_TMP/ready" ]; then
		U[why]="receiver not bound: $(cat "$NS_TMP/udp-recv.err")"
		kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null
		return 1
	fi
	snap_begin
	U[d0]=$(drops)
	ns_run a "$PYTHON" "$XFER" udp-send --to "$dst" --port 5002 --run "$UDP_RUN" --mtu "$mtu" \
		--bytes "$((OFFLOAD_UDP_MB << 20))" --mbit "$mbit" \
		>"$sj" 2>"$NS_TMP/udp-send.err"; rc=$?
	[ "$rc" -eq 0 ] || kill "$rpid" 2>/dev/null
	wait "$rpid"
	snap_end
	U[d1]=$(drops)
	kv "$sj"; U[sent]=${KV[sent]:-}; U[secs]=${KV[seconds]:-0}; U[sends]=${KV[sends]:-}; U[gsends]=${KV[gso_sends]:-}
	kv "$rj"; U[got]=${KV[received]:-}; U[bytes]=${KV[bytes]:-0}; U[bad]=${KV[bad]:-}; U[dup]=${KV[dup]:-}
	U[beyond]=${KV[beyond]:-}; U[foreign]=${KV[foreign]:-}; U[marker]=${KV[sent]:-}
	if [ "$rc" -ne 0 ] || [ -z "${U[sent]}" ] || [ -z "${U[got]}" ]; then
		U[why]="sender status $rc: $(cat "$sj" "$NS_TMP/udp-send.err"); receiver: $(cat "$rj" "$NS_TMP/udp-recv.err")"
		return 1
	fi
}
# udp_intact: the last run's datagrams were all intact, none twice, none
# beyond what was sent, and the end marker agrees with the sender.
udp_intact() {
	[ "${U[bad]}" = 0 ] && [ "${U[dup]}" = 0 ] && [ "${U[beyond]}" = 0 ] &&
		[ "${U[foreign]}" = 0 ] && [ "${U[marker]}" = "${U[sent]}" ]
}
udp_flaws() {
	echo "bad ${U[bad]}, duplicates ${U[dup]}, beyond the count ${U[beyond]}, other runs ${U[foreign]}; end marker says ${U[marker]}, sender ${U[sent]}"
}
udp_enough() { [ "$((U[got] * 100))" -ge "$((U[sent] * OFFLOAD_UDP_MIN))" ]; }

# udp_xfer LABEL FAM MTU: a UDP run at UDP_MBIT; when less than
# OFFLOAD_UDP_MIN percent arrived (a starved daemon's TUN queue
# overflows: this machine is shared), one more at half the rate.  Every
# run's datagrams must be intact; the delivery test is the last run's,
# and says when there were two.
udp_xfer() {
	local label=$1 fam=$2 mtu=$3 mbit=$UDP_MBIT first='' n=0 total=0
	while :; do
		if ! udp_run "$fam" "$mtu" "$mbit"; then
			not_ok "$label: UDP run" "${U[why]}"
			row "$PAIR" "$SETTING" udp "$fam" "$mtu" 0 0 "FAILED"
			return 1
		fi
		if ! udp_intact; then
			not_ok "$label: every datagram intact, none twice, none unsent" "$(udp_flaws)"
			row "$PAIR" "$SETTING" udp "$fam" "$mtu" "${U[bytes]}" "${U[secs]}" "DAMAGED"
			return 0
		fi
		n=$((n + U[got])); total=$((total + U[bytes]))
		if udp_enough || [ -n "$first" ]; then
			break
		fi
		first="first run at $mbit Mbit/s: ${U[got]} of ${U[sent]} (before: ${U[d0]}; after: ${U[d1]})"
		mbit=$((mbit / 2))
	done
	ok "$label: every datagram intact, none twice, none unsent ($n datagrams, $total bytes verified)"
	if udp_enough; then
		ok "$label: >= $OFFLOAD_UDP_MIN% delivered (${U[got]} of ${U[sent]} at $mbit Mbit/s, ${U[gsends]} of ${U[sends]} sends UDP_SEGMENT${first:+; $first})"
	else
		not_ok "$label: >= $OFFLOAD_UDP_MIN% delivered" "${U[got]} of ${U[sent]} at $mbit Mbit/s (sent in ${U[secs]} s)" \
			"before: ${U[d0]}" "after:  ${U[d1]}" ${first:+"$first"}
	fi
	row "$PAIR" "$SETTING" udp "$fam" "$mtu" "${U[bytes]}" "${U[secs]}" \
		"$(awk -v g="${U[got]}" -v s="${U[sent]}" 'BEGIN { printf "%.1f%% intact", s ? g * 100 / s : 0 }')${first:+ (2nd run)}"
}

# drops: where datagrams can be lost, for a failure's message: a's wg0
# TX dropped (the TUN queue), b's wg0 RX dropped, b's and a's UDP receive
# buffer errors (IPv4 + IPv6: the daemon's sockets and the receiver's).
drops() {
	local s
	printf 'a wg0 tx_dropped %s, b wg0 rx_dropped %s' \
		"$(ip -n "$(ns_name a)" -o -s link show wg0 | awk '{ for (i = 1; i <= NF; i++) if ($i == "TX:") { print $(i + 11); exit } }')" \
		"$(ip -n "$(ns_name b)" -o -s link show wg0 | awk '{ for (i = 1; i <= NF; i++) if ($i == "RX:") { print $(i + 11); exit } }')"
	for s in a b; do
		printf ', %s UDP RcvbufErrors %s' "$s" "$(ns_run "$s" cat /proc/net/snmp /proc/net/snmp6 | awk '
			$1 == "Udp:" && $2 !~ /^[0-9]+$/ { for (i = 2; i <= NF; i++) col[$i] = i; next }
			$1 == "Udp:" { n += $col["RcvbufErrors"] }
			$1 == "Udp6RcvbufErrors" { n += $2 }
			END { print n + 0 }')"
	done
}

# mtu_set MTU: the tunnel MTU on both sides.
mtu_set() {
	ip -n "$(ns_name a)" link set wg0 mtu "$1" && ip -n "$(ns_name b)" link set wg0 mtu "$1"
}

# start SIDE IMPL: the daemon, with the point's setting when rampartd.
start() {
	if impl_is_rampartd "$2"; then
		IS_RD[$1]=1
		if [ "$SETTING" = nouso ] && [ "$1" = a ]; then
			# TUNSETOFFLOAD (_IOW('T', 208, unsigned)) asking for
			# TUN_F_USO4 or TUN_F_USO6 (0x20, 0x40) fails as on a
			# kernel before 6.2.
			nsenter -t "${NS_HOLDER[a]}" -m -n -- "$FAILSYS" 'ioctl,a1=0x400454d0,a2&0x60=0x20:EINVAL' \
				'ioctl,a1=0x400454d0,a2&0x60=0x40:EINVAL' 'ioctl,a1=0x400454d0,a2&0x60=0x60:EINVAL' \
				-- "$2" -f wg0 >"$NS_TMP/a-wg0.log" 2>&1 </dev/null &
			NS_DPID[a/wg0]=$!
			NS_DLOG[a/wg0]=$NS_TMP/a-wg0.log
			wait_for 10 test -S "$(ns_sock a wg0)"
			return
		fi
		if [ "$SETTING" != on ] && [ "$SETTING" != nouso ] && [ "$SETTING" != gsorefused ]; then
			RAMPART_OFFLOAD_OFF=$SETTING ns_daemon "$1" "$2" wg0 || return 1
			# The harness's own check: the daemon got the setting.
			tr '\0' '\n' < "/proc/${NS_DPID[$1/wg0]}/environ" |
				grep -qx "RAMPART_OFFLOAD_OFF=$SETTING"
			return
		fi
	else
		IS_RD[$1]=0
	fi
	ns_daemon "$1" "$2" wg0
}

# point LABEL IMPL_A IMPL_B SETTING OUTER: namespaces, daemons, the
# tunnel and its handshake, for the transfers that follow; stop_point
# ends it.
point() {
	LABEL=$1 SETTING=$4
	PAIR="$(impl_name "$2")>$(impl_name "$3")"
	local ep_b
	if [ "$5" = 4 ]; then ep_b=192.168.70.2:51842; else ep_b='[fd70::2]:51842'; fi
	echo "# $LABEL: $PAIR, RAMPART_OFFLOAD_OFF=$(case $SETTING in on|nouso|gsorefused) echo '(unset)' ;; *) echo "$SETTING" ;; esac), outer IPv$5"
	setup "$LABEL: namespaces and veth" topology
	setup "$LABEL: a's daemon" start a "$2"
	setup "$LABEL: b's daemon" start b "$3"
	setup "$LABEL: a's configuration" ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51841 \
		peer "$PUB_B" allowed-ips 10.30.0.2/32,fd30::2/128 endpoint "$ep_b"
	setup "$LABEL: b's configuration" ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51842 \
		peer "$PUB_A" allowed-ips 10.30.0.1/32,fd30::1/128
	setup "$LABEL: a's wg0 up" wg_if_up a wg0 10.30.0.1/24 fd30::1/64
	setup "$LABEL: b's wg0 up" wg_if_up b wg0 10.30.0.2/24 fd30::2/64
	ns_run a ping -n -q -c 1 -W 5 10.30.0.2 >/dev/null 2>&1
	setup "$LABEL: handshake" wait_handshake a wg0 "$PUB_B" 5
	setup "$LABEL: ping over inner IPv4" ns_ping a -c 2 -i 0.2 -w 5 10.30.0.2
	setup "$LABEL: ping over inner IPv6" ns_ping a -c 2 -i 0.2 -w 5 fd30::2
}
topology() {
	ns_add a && ns_add b && ns_link a b 192.168.70.1/24 192.168.70.2/24 fd70::1/64 fd70::2/64
}

# stop_point SAN: both daemons stop on SIGTERM with status 0; with SAN=1
# their logs have no sanitizer report.  The logs are then put aside (the
# next point's daemons write to the same names).
stop_point() {
	local ra rb f
	ns_daemon_stop a wg0; ra=$?
	ns_daemon_stop b wg0; rb=$?
	if [ "$ra" -eq 0 ] && [ "$rb" -eq 0 ]; then
		ok "$LABEL: both daemons exit 0 on SIGTERM"
	else
		not_ok "$LABEL: both daemons exit 0 on SIGTERM" "a: $ra, b: $rb" \
			"$(tail -n 5 "$NS_TMP/a-wg0.log")" "$(tail -n 5 "$NS_TMP/b-wg0.log")"
	fi
	[ "$1" = 1 ] && check "$LABEL: no sanitizer report in the daemons' logs" ns_sanitizer_clean
	for f in "$NS_TMP"/a-wg0.log "$NS_TMP"/b-wg0.log; do
		[ -e "$f" ] && mv "$f" "$NS_TMP/logs/${LABEL//[^a-z0-9]/}-$(basename "$f")"
	done
	ns_cleanup
	IS_RD=()
}

# tcp LABEL FAM MTU MB [FROM TO]: a TCP transfer and, A to B, its counters.
tcp() {
	local from=${5:-a} to=${6:-b}
	mtu_set "$3" || bail "$1: MTU $3"
	tcp_xfer "$1" "$from" "$to" "$2" "$3" "$4" || return
	if [ "$from" = a ]; then
		# shellcheck disable=SC2046
		cnt_check "$1" $(expect_counters "$SETTING" tcp)
	elif [ "${IS_RD[a]}" = 1 ]; then
		echo "# $1: receiver a's counters, not judged: tun_gso_written ${D[a.tun_gso_written]}, udp_gro_received ${D[a.udp_gro_received]}"
	fi
}
udp() {
	mtu_set "$3" || bail "$1: MTU $3"
	udp_xfer "$1" "$2" "$3" || return
	# shellcheck disable=SC2046
	cnt_check "$1" $(expect_counters "$SETTING" udp)
}

# 1. Offloads on, rampartd against itself, release builds, 200 MB.
point "[1] on" "$RAMPARTD_REL" "$RAMPARTD_REL" on 4
for mtu in 1420 1280; do
	for fam in 4 6; do
		tcp "[1] on TCP IPv$fam MTU $mtu a>b" "$fam" "$mtu" "$OFFLOAD_MB"
		udp "[1] on UDP IPv$fam MTU $mtu a>b" "$fam" "$mtu"
	done
done
stop_point 0

# 2. Against wireguard-go.  Each direction once per family and once per
# MTU: rampartd sends IPv4 at 1420 and IPv6 at 1280, wireguard-go the
# other two.  (wireguard-go receives one datagram per system call: UDP
# paced at OFFLOAD_SLOW_UDP_MBIT.)
UDP_MBIT=$OFFLOAD_SLOW_UDP_MBIT
point "[2] on, wireguard-go" "$RAMPARTD_REL" wireguard-go on 6
for mtu in 1420 1280; do
	for fam in 4 6; do
		if [ "$fam/$mtu" = 4/1420 ] || [ "$fam/$mtu" = 6/1280 ]; then
			tcp "[2] on TCP IPv$fam MTU $mtu a>b" "$fam" "$mtu" "$OFFLOAD_MB"
		else
			PAIR="wireguard-go>$(impl_name "$RAMPARTD_REL")" \
				tcp "[2] on TCP IPv$fam MTU $mtu b>a" "$fam" "$mtu" "$OFFLOAD_MB" b a
		fi
		udp "[2] on UDP IPv$fam MTU $mtu a>b" "$fam" "$mtu"
	done
done
stop_point 0

# 3. The sanitized build against itself, offloads on, then each one off.
# (Slower: UDP paced at OFFLOAD_SLOW_UDP_MBIT.)
k=3
for s in on tso uso gso gro all; do
	# Both families and both MTUs with offloads on; one of each after.
	point "[$k] $s, asan" "$RAMPARTD" "$RAMPARTD" "$s" $(( k % 2 ? 4 : 6 ))
	if [ "$s" = on ]; then
		tcp "[$k] $s TCP IPv4 MTU 1420 a>b" 4 1420 "$OFFLOAD_SAN_MB"
		tcp "[$k] $s TCP IPv6 MTU 1280 a>b" 6 1280 "$OFFLOAD_SAN_MB"
		udp "[$k] $s UDP IPv4 MTU 1280 a>b" 4 1280
		udp "[$k] $s UDP IPv6 MTU 1420 a>b" 6 1420
	else
		f=$(( k % 2 ? 4 : 6 )); m=$(( k % 2 ? 1420 : 1280 ))
		tcp "[$k] $s TCP IPv$f MTU $m a>b" "$f" "$m" "$OFFLOAD_SAN_MB"
		udp "[$k] $s UDP IPv$((10 - f)) MTU $m a>b" "$((10 - f))" "$m"
	fi
	stop_point 1
	k=$((k + 1))
done

# 9. A kernel without USO (before 6.2), made by failsys: TUNSETOFFLOAD
# fails with EINVAL whenever it asks for USO4 or USO6.  a's rampartd falls
# back to checksum and TSO alone: its log says so, TCP still leaves as
# super-packets, UDP arrives intact with no super-packet read (the
# counters of `uso off`).
point "[9] nouso, asan" "$RAMPARTD" "$RAMPARTD" nouso 4
expect "[9] nouso: a's log: TSO on, USO off" \
	"$(grep -o 'TUN TSO [a-z]*, USO [a-z]*' "$NS_TMP/a-wg0.log" | head -n 1)" "TUN TSO on, USO off"
tcp "[9] nouso TCP IPv4 MTU 1420 a>b" 4 1420 "$OFFLOAD_SAN_MB"
udp "[9] nouso UDP IPv6 MTU 1420 a>b" 6 1420
stop_point 1

# 10. A route that cannot take UDP GSO: the kernel refuses a UDP_SEGMENT
# send.  tests/tools/sockopt.py sets SO_NO_CHECK on a's sockets (through
# pidfd_getfd), which makes the kernel answer each such send with EINVAL
# (as a route through a device without checksum offload, or through
# IPsec, answers EIO) while plain datagrams still go.  a's rampartd resends
# the refused run one datagram at a time, warns once, and sends without
# GSO from then on (the counters of `gso off`); nothing is lost: the
# transfers are checked as always.  The control: before, the same build
# logged no such warning.
point "[10] gsorefused, asan" "$RAMPARTD" "$RAMPARTD" gsorefused 4
expect "[10] gsorefused: control: no refusal logged before" \
	"$(grep -c 'refused a UDP GSO send' "$NS_TMP/a-wg0.log")" 0
setup "[10] gsorefused: SO_NO_CHECK on a's sockets" \
	"$PYTHON" "$RAMPART_TOP/tests/tools/sockopt.py" "$(ns_engine_pid a wg0)" 51841 SO_NO_CHECK 1
tcp "[10] gsorefused TCP IPv4 MTU 1280 a>b" 4 1280 "$OFFLOAD_SAN_MB"
expect "[10] gsorefused: a's log warns once" \
	"$(grep -c 'the kernel refused a UDP GSO send: sending one datagram at a time' "$NS_TMP/a-wg0.log")" 1
udp "[10] gsorefused UDP IPv6 MTU 1420 a>b" 6 1420
stop_point 1

secs=$(( ($(date +%s%N) - T_START) / 1000000 ))
{
	echo "# what moved (A>B unless the pair says otherwise; MB of payload, Mbit/s of payload):"
	printf '# %-27s %-4s %-4s %-4s %5s %7s %7s %7s  %s\n' pair off prot fam mtu MB s Mbit/s result
	for r in "${ROWS[@]}"; do echo "# $r"; done
	echo "# $((secs / 1000)).$(printf '%03d' $((secs % 1000))) s in all"
} >&2
finish
