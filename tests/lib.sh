# The one library for script tests (tests/cli and tests/netns): numbered
# TAP results, the closing "N passed, N failed[, N skipped]" line, setup
# steps that abort, and the namespace helpers.  Source it, call
# check/ok/not_ok/skip/setup, then finish.
# shellcheck shell=bash
T_N=0
T_PASS=0
T_FAIL=0
T_SKIP=0
: "${RAMPART_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${RAMPART:=$RAMPART_TOP/build/san/rampart}"
: "${RAMPART_REL:=$RAMPART_TOP/build/rampart}"

# ok NAME: a pass.  A NAME that says "# skip" is counted as a skip.
ok() {
	case $1 in *'# skip'*) T_N=$((T_N + 1)); T_SKIP=$((T_SKIP + 1)); echo "ok $T_N $1"; return 0 ;; esac
	T_N=$((T_N + 1)); T_PASS=$((T_PASS + 1)); echo "ok $T_N $1"
}
not_ok() {
	T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N $1"
	shift
	[ $# -gt 0 ] && printf '  %s\n' "$@" >&2
	return 0
}
# skip NAME REASON: a numbered TAP skip, counted as skipped: never as a
# pass.  Only for what the machine really cannot do (not root, say); a
# tool the suite installs (scripts/deps.sh) missing is a failure.
skip() { T_N=$((T_N + 1)); T_SKIP=$((T_SKIP + 1)); echo "ok $T_N $1 # skip $2"; }
# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
# bail REASON [DETAIL...]: stops the script: "Bail out! REASON", the
# summary so far, exit status 1 (run.sh counts that as a failure).
bail() {
	echo "Bail out! $1"
	shift
	[ $# -gt 0 ] && printf '  %s\n' "$@" >&2
	finish
	exit 1
}
# setup NAME COMMAND...: a step the tests need (a topology, a daemon), not
# a test: success counts nothing, failure bails out.
setup() {
	local name=$1; shift
	"$@" || bail "setup failed: $name" "failed: $*"
}
# need_tool TOOL...: bails out when a tool the suite installs is missing.
need_tool() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 ||
			bail "$t not found: scripts/deps.sh installs it"
	done
}
# json_ok EXPR: reads JSON on stdin as d, succeeds when EXPR is true.
json_ok() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
# fails NAME WANT CMD...: a test that CMD fails and its stderr says WANT
# (its stdout and stderr are left in $NS_TMP/out and $NS_TMP/err).
fails() {
	local name=$1 want=$2; shift 2
	if "$@" >"$NS_TMP/out" 2>"$NS_TMP/err"; then
		not_ok "$name" "succeeded: $*"
	elif grep -qF -- "$want" "$NS_TMP/err"; then
		ok "$name"
	else
		not_ok "$name" "stderr lacks '$want':" "$(cat "$NS_TMP/err")"
	fi
}
finish() {
	echo "$T_PASS passed, $T_FAIL failed$([ "$T_SKIP" -gt 0 ] && echo ", $T_SKIP skipped")"
	[ "$T_FAIL" -eq 0 ]
}

# unit_cases PROGRAM [ARG...]: runs a unit-test binary (tests/harness.c)
# and counts its cases as this script's, numbered on, its other lines
# passed through to stderr; a binary whose own summary does not match
# its cases, or whose status does not, is one failure more.
unit_cases() {
	local out rc line p=0 f=0 sum=
	out=$("$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "[0-9]*) ok "${line#ok [0-9]* }"; p=$((p + 1)) ;;
		"not ok "[0-9]*) not_ok "${line#not ok [0-9]* }"; f=$((f + 1)) ;;
		[0-9]*" passed, "[0-9]*" failed"*) sum=$line ;;
		*) printf '%s\n' "$line" >&2 ;;
		esac
	done <<<"$out"
	if [ "$sum" != "$p passed, $f failed" ] || [ "$rc" -ne $((f > 0)) ]; then
		not_ok "$(basename -- "$1") ended as its cases say" "summary \"$sum\", status $rc"
	fi
}

# on_exit CMD...: CMD runs when the script exits, whatever the reason,
# before the namespaces and the scratch directory go; the last one
# registered runs first.  (A server the script started, say:
# tests/pg.sh.)
T_ON_EXIT=()
on_exit() { T_ON_EXIT=("$*" "${T_ON_EXIT[@]}"); }

# ---------------------------------------------------------------------
# Namespaces.
#
# Every namespace gets its own network namespace and its own mount
# namespace with a private tmpfs on /run, so /var/run/wireguard (which is
# not per network namespace) is private too: several daemons can use the
# same interface name, and `wg show all` in one namespace sees only its
# own sockets (the contract's testing note).  A holder process keeps the
# mount namespace alive; ns_exec enters both namespaces through it.
#
# Everything created here is undone by ns_cleanup, which runs on EXIT:
# every process in each namespace (daemons that wg-quick or rampart
# forked included: `ip netns pids`), the holders, then the namespaces.

: "${RAMPARTD:=$RAMPART_TOP/build/san/rampartd}"
: "${RAMPARTD_REL:=$RAMPART_TOP/build/rampartd}"
export RAMPARTD RAMPARTD_REL RAMPART RAMPART_REL

# Short and unique per run: veth names must fit in 15 bytes.
NS_TAG=${NS_TAG:-rp$$}
declare -A NS_HOLDER=()
NS_LIST=()

# ns_name NAME: the real netns name.
ns_name() { echo "$NS_TAG-$1"; }

# ns_require: bails out when the machine cannot make namespaces.
ns_require() {
	if [ "$(id -u)" -ne 0 ] || ! ip netns add "$NS_TAG-probe" 2>/dev/null; then
		bail "network namespaces not available: need root and ip netns"
	fi
	ip netns del "$NS_TAG-probe"
}

# ns_add NAME: a network namespace with lo up and a private /run.
ns_add() {
	local n; n=$(ns_name "$1")
	ip netns add "$n" || return 1
	NS_LIST+=("$1")
	ip -n "$n" link set lo up
	# The holder: unshare a mount namespace inside the netns, make /run
	# private, and wait.  Its pid is the handle for nsenter.
	ip netns exec "$n" unshare -m --propagation private sh -c \
		'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -p /run/wireguard && exec sleep 2147483647' \
		>/dev/null 2>&1 &
	local pid=$!
	NS_HOLDER[$1]=$pid
	# Wait until the holder has its own mount namespace and the tmpfs.
	local i
	for i in $(seq 1 100); do
		if [ -d "/proc/$pid/root/run/wireguard" ] &&
		   [ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]; then
			# The sh may still be mounting; sleep has exec'd once comm says so.
			[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sleep ] && return 0
		fi
		sleep 0.02
	done
	echo "ns_add $1: holder did not start" >&2
	return 1
}

# ns_exec NAME CMD...: runs CMD in NAME's network and mount namespaces.
ns_exec() {
	local name=$1; shift
	nsenter -t "${NS_HOLDER[$name]}" -m -n -- "$@"
}

# ns_link A B ADDR_A ADDR_B [ADDR6_A ADDR6_B]: a veth pair between A and
# B named A-B / B-A (addresses with their prefix length, e.g.
# 10.0.0.1/24), both up.
ns_link() {
	local a=$1 b=$2 ia="$1-$2" ib="$2-$1"
	ip link add "$ia" netns "$(ns_name "$a")" type veth peer name "$ib" netns "$(ns_name "$b")" || return 1
	ip -n "$(ns_name "$a")" addr add "$3" dev "$ia"
	ip -n "$(ns_name "$b")" addr add "$4" dev "$ib"
	if [ -n "${5:-}" ]; then
		ip -n "$(ns_name "$a")" addr add "$5" dev "$ia" nodad
		ip -n "$(ns_name "$b")" addr add "$6" dev "$ib" nodad
	fi
	ip -n "$(ns_name "$a")" link set "$ia" up
	ip -n "$(ns_name "$b")" link set "$ib" up
}

# ns_wait_file NAME PATH [TRIES]: waits (20 ms steps, 5 s default) for a
# path to exist inside NAME's mount namespace.
ns_wait_file() {
	local i tries=${3:-250}
	for i in $(seq 1 "$tries"); do
		[ -e "/proc/${NS_HOLDER[$1]}/root$2" ] && return 0
		sleep 0.02
	done
	return 1
}

# ns_wait_gone NAME PATH [TRIES]: the opposite.
ns_wait_gone() {
	local i tries=${3:-250}
	for i in $(seq 1 "$tries"); do
		[ -e "/proc/${NS_HOLDER[$1]}/root$2" ] || return 0
		sleep 0.02
	done
	return 1
}

# ns_pids NAME: every process in NAME's network namespace except the holder.
ns_pids() {
	local p
	for p in $(ip netns pids "$(ns_name "$1")" 2>/dev/null); do
		[ "$p" = "${NS_HOLDER[$1]}" ] || echo "$p"
	done
}

# ns_kill_all NAME: kills every process in the namespace but the holder.
ns_kill_all() {
	local pids i
	pids=$(ns_pids "$1")
	[ -z "$pids" ] && return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	for i in $(seq 1 100); do
		pids=$(ns_pids "$1")
		[ -z "$pids" ] && return 0
		sleep 0.02
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	return 0
}

ns_cleanup() {
	local name n
	for name in "${NS_LIST[@]}"; do
		n=$(ns_name "$name")
		ns_kill_all "$name"
		kill -KILL "${NS_HOLDER[$name]}" 2>/dev/null
		wait "${NS_HOLDER[$name]}" 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	NS_LIST=()
}
trap ns_cleanup EXIT

# ---------------------------------------------------------------------
# Daemons, keys, tunnels and traffic.  Every implementation under test is
# a parameter: DUT (the device under test, rampartd's ASan build by
# default) and PEER_IMPL (the other side, wireguard-go by default).  Any
# implementation that follows the wireguard-go process contract works:
# `IMPL [-f] IFNAME`.  Nothing here sleeps for a fixed time where a
# condition can be polled instead, and every wait has a bound.
# ---------------------------------------------------------------------

: "${DUT:=$RAMPARTD}"
: "${PEER_IMPL:=wireguard-go}"
: "${PYTHON:=python3}"
export DUT PEER_IMPL

# Seconds any single command run through ns_run may take.
: "${NS_CMD_TIMEOUT:=30}"

# Scratch space for keys, configurations and daemon logs; removed on exit
# unless NS_KEEP_TMP=1.
NS_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rampart-netns.XXXXXX")
declare -A NS_DPID=()    # "NAME/IF" -> pid of a daemon started in the foreground
declare -A NS_DLOG=()    # "NAME/IF" -> its log file
NS_WATCHDOG=

# expect NAME GOT WANT: passes when GOT equals WANT; says both if not.
expect() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi
}

# impl_is_rampartd IMPL: true for any rampartd build.
impl_is_rampartd() { case $(basename -- "$1") in rampartd*) return 0 ;; esac; return 1; }
# impl_name IMPL: short name for messages.
impl_name() {
	if impl_is_rampartd "$1"; then
		case $1 in */san/*) echo rampartd-asan ;; *) echo rampartd ;; esac
	else
		basename -- "$1"
	fi
}

# impl_require IMPL...: bails out when an implementation is not there
# to run.
impl_require() {
	local i
	for i in "$@"; do
		if ! command -v "$i" >/dev/null 2>&1; then
			bail "implementation not available: $i (not found or not executable)"
		fi
	done
}

# ns_watchdog SECONDS: a last resort against a hang nobody foresaw.  When
# the time is up it stops the script's own children (by parent pid) and
# terminates the script, whose EXIT trap cleans up and says why.  (The
# watchdog keeps no standard output or error open: a caller collecting the
# script's output must not wait for it.)
ns_watchdog() {
	local main=$$
	trap 'exit 143' TERM
	trap 'exit 130' INT
	(
		sleep "$1"
		echo "$1" > "$NS_TMP/watchdog.fired"
		kill -TERM "$main" 2>/dev/null
		pkill -TERM -P "$main" 2>/dev/null
	) >/dev/null 2>&1 </dev/null &
	NS_WATCHDOG=$!
}

# ns_run NAME CMD...: ns_exec bounded by NS_CMD_TIMEOUT seconds.
ns_run() {
	local name=$1; shift
	timeout -k 2 "$NS_CMD_TIMEOUT" nsenter -t "${NS_HOLDER[$name]}" -m -n -- "$@"
}

# ns_wg NAME ARGS...: wg(8) inside NAME.
ns_wg() { local name=$1; shift; ns_run "$name" wg "$@"; }

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds.
wait_for() {
	local deadline=$(( $(date +%s%N) + ${1%.*} * 1000000000 )); shift
	while :; do
		"$@" && return 0
		[ "$(date +%s%N)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# pid_alive PID: the process exists and is not a zombie.
pid_alive() {
	local st
	# The state follows the command name in parentheses, which may
	# itself hold spaces or parentheses.
	st=$(sed 's/^.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wg_key NAME: makes $NS_TMP/NAME.key and NAME.pub (once) and prints the
# public key.  wg_psk NAME: makes $NS_TMP/NAME.psk.
wg_key() {
	local f=$NS_TMP/$1
	if [ ! -s "$f.key" ]; then
		(umask 077; wg genkey > "$f.key") || return 1
		wg pubkey < "$f.key" > "$f.pub" || return 1
	fi
	cat "$f.pub"
}
wg_psk() { [ -s "$NS_TMP/$1.psk" ] || (umask 077; wg genpsk > "$NS_TMP/$1.psk"); }
# key_hex BASE64: the UAPI's lowercase hex form of a key.
key_hex() { printf '%s' "$1" | base64 -d | od -An -tx1 -v | tr -d ' \n'; }

# ns_tun_pid NAME IF: the pid of the process that holds TUN device IF in
# NAME (for any implementation, daemonized or not); for rampartd started
# as root, the first of its two (the parent: ns_engine_pid, below, finds
# the engine).
ns_tun_pid() {
	local p
	for p in $(ns_pids "$1"); do
		if grep -qs "^iff:[[:space:]]*$2\$" /proc/"$p"/fdinfo/* 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# ns_tun_pids NAME IF: every process that holds TUN device IF in NAME.
# rampartd started as root is two (src/daemon/privsep.h): the privileged
# parent and the engine it forked, which hold the same TUN queues.
ns_tun_pids() {
	local p
	for p in $(ns_pids "$1"); do
		grep -qs "^iff:[[:space:]]*$2\$" /proc/"$p"/fdinfo/* 2>/dev/null && echo "$p"
	done
}

# cpu_ticks PID...: user + system clock ticks of the processes, all
# threads (fields 14 and 15 of /proc/PID/stat, after the command's
# parenthesis).
cpu_ticks() {
	local p t=0 rest
	for p in "$@"; do
		rest=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
		# shellcheck disable=SC2086
		set -- $rest
		t=$((t + ${12} + ${13}))
	done
	echo "$t"
}
# ns_snap NAME: everything rampart up and down touch in NAME, as text.
ns_snap() {
	local n; n=$(ns_name "$1")
	echo "## rules"; ip -n "$n" -4 rule; ip -n "$n" -6 rule
	echo "## routes"; ip -n "$n" -4 route show table all; ip -n "$n" -6 route show table all
	echo "## nft"; ip netns exec "$n" nft list ruleset
	echo "## addresses"; ip -n "$n" -o addr show | awk '{ print $2, $3, $4 }'
	echo "## links"; ip -n "$n" -o link show | awk -F': ' '{ print $2 }'
	echo "## sockets"; ls -A "/proc/${NS_HOLDER[$1]}/root/run/wireguard"
	echo "## state"; ls -A "/proc/${NS_HOLDER[$1]}/root/run/rampart" 2>/dev/null
	echo "## processes"; ns_pids "$1" | wc -l
	# The per-interface and forwarding sysctls a policy changes; not
	# src_valid_mark, which a full tunnel's up sets and its down (as
	# wg-quick's) leaves.
	echo "## sysctls"
	ip netns exec "$n" sysctl -a 2>/dev/null |
		grep -E '^net\.ipv(4\.ip_forward|4\.conf\.|6\.conf\.)' | grep -v src_valid_mark
}
ns_no_pids() { [ -z "$(ns_pids "$1")" ]; }
# ns_same_as NAME SNAPSHOT: waits for the namespace's processes to be
# gone, then compares.
ns_same_as() {
	local now
	wait_for 5 ns_no_pids "$1"
	now=$(ns_snap "$1")
	if [ "$now" = "$2" ]; then return 0; fi
	diff <(echo "$2") <(echo "$now") | sed 's/^/    /' >&2
	return 1
}
# ppid_of PID: its parent's pid.
ppid_of() { awk '/^PPid:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }

# ns_engine_pid NAME IF: the process that runs the daemon for IF: of the
# holders of the TUN, the one whose parent holds it too (rampartd's
# engine); with a single holder (another implementation, or rampartd not
# started as root), that one.  ns_parent_pid NAME IF: the holder whose
# parent does not hold it (rampartd's privileged parent, or the single
# holder).
ns_engine_pid() {
	local pids p q n=0 one=
	pids=$(ns_tun_pids "$1" "$2")
	for p in $pids; do
		n=$((n + 1)); one=$p
		for q in $pids; do
			if [ "$(ppid_of "$p")" = "$q" ]; then echo "$p"; return 0; fi
		done
	done
	[ "$n" -eq 1 ] && { echo "$one"; return 0; }
	return 1
}
ns_parent_pid() {
	local pids p q mine
	pids=$(ns_tun_pids "$1" "$2")
	for p in $pids; do
		mine=1
		for q in $pids; do [ "$(ppid_of "$p")" = "$q" ] && mine=0; done
		[ "$mine" = 1 ] && { echo "$p"; return 0; }
	done
	return 1
}

# ns_sock NAME IF: the control socket's path as seen from the host.
ns_sock() { echo "/proc/${NS_HOLDER[$1]}/root/run/wireguard/$2.sock"; }

# ns_daemon NAME IMPL IF: starts IMPL in the foreground (-f) in NAME,
# output to $NS_TMP/NAME-IF.log, and waits (10 s at most) until the
# socket and the TUN device exist.  The pid is ${NS_DPID[NAME/IF]}.
ns_daemon() {
	local name=$1 impl=$2 ifn=$3 log pid
	log=$NS_TMP/$name-$ifn.log
	# nsenter execs the daemon (no fork without a pid namespace), so $!
	# is the daemon itself and `wait` collects its exit status.
	nsenter -t "${NS_HOLDER[$name]}" -m -n -- "$impl" -f "$ifn" >"$log" 2>&1 </dev/null &
	pid=$!
	NS_DPID[$name/$ifn]=$pid
	NS_DLOG[$name/$ifn]=$log
	local i
	for i in $(seq 1 200); do
		if ! pid_alive "$pid"; then
			echo "ns_daemon $name $(impl_name "$impl") $ifn: exited at start" >&2
			tail -n 20 "$log" >&2
			return 1
		fi
		if [ -S "$(ns_sock "$name" "$ifn")" ] &&
		   ip -n "$(ns_name "$name")" link show "$ifn" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	echo "ns_daemon $name $(impl_name "$impl") $ifn: not ready in 10 s" >&2
	tail -n 20 "$log" >&2
	return 1
}

# ns_daemon_bg NAME IMPL IF: starts IMPL the way wg-quick does (no -f:
# it daemonizes and returns).  Returns IMPL's exit status; the contract
# says the socket and the TUN exist once it has returned 0.
ns_daemon_bg() {
	local name=$1 impl=$2 ifn=$3
	NS_DLOG[$name/$ifn]=$NS_TMP/$name-$ifn.log
	timeout -k 2 10 nsenter -t "${NS_HOLDER[$name]}" -m -n -- "$impl" "$ifn" \
		>>"${NS_DLOG[$name/$ifn]}" 2>&1 </dev/null
}

# ns_daemon_stop NAME IF [SIGNAL]: signals a daemon started by ns_daemon
# (TERM by default), waits up to 10 s and returns its exit status (124
# when it did not exit; it is then killed).
ns_daemon_stop() {
	local pid=${NS_DPID[$1/$2]} sig=${3:-TERM} rc
	[ -n "$pid" ] || return 1
	kill -"$sig" "$pid" 2>/dev/null
	if ! wait_for 10 ns_not_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		unset "NS_DPID[$1/$2]"
		return 124
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	unset "NS_DPID[$1/$2]"
	return "$rc"
}
ns_not_alive() { ! pid_alive "$1"; }

# ns_daemon_exited NAME IF [SECONDS]: waits for a daemon started by
# ns_daemon to exit by itself; returns 0 and reaps it if it did, its exit
# status then in NS_DRC.
ns_daemon_exited() {
	local pid=${NS_DPID[$1/$2]}
	[ -n "$pid" ] || return 1
	wait_for "${3:-10}" ns_not_alive "$pid" || return 1
	wait "$pid" 2>/dev/null
	# shellcheck disable=SC2034  # for the caller
	NS_DRC=$?
	unset "NS_DPID[$1/$2]"
	return 0
}

# ns_sanitizer_clean: no AddressSanitizer / UBSan / LeakSanitizer report
# in any daemon log of this run.  Prints the offending lines otherwise.
ns_sanitizer_clean() {
	local f bad=0
	for f in "$NS_TMP"/*.log; do
		[ -e "$f" ] || continue
		if grep -E -q 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$f"; then
			echo "sanitizer report in $(basename "$f"):" >&2
			grep -E -A 12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" | head -n 40 >&2
			bad=1
		fi
	done
	return "$bad"
}

# wg_if_up NAME IF ADDR...: addresses (with prefix length) on IF, then up.
wg_if_up() {
	local name=$1 ifn=$2 a n; n=$(ns_name "$1"); shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$n" addr add "$a" dev "$ifn" nodad || return 1 ;;
		*) ip -n "$n" addr add "$a" dev "$ifn" || return 1 ;;
		esac
	done
	ip -n "$n" link set "$ifn" up
}

# wg_show_field NAME IF FIELD PUB: the value `wg show IF FIELD` gives for
# peer PUB (latest-handshakes, endpoints, transfer, ...), "" if none.
wg_show_field() {
	ns_wg "$1" show "$2" "$3" 2>/dev/null | awk -v k="$4" -F '\t' '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }'
}
wg_handshake() { local t; t=$(wg_show_field "$1" "$2" latest-handshakes "$3"); echo "${t:-0}"; }
wg_endpoint() { wg_show_field "$1" "$2" endpoints "$3"; }
# wg_transfer NAME IF PUB: "RX TX" in bytes.
wg_transfer() { wg_show_field "$1" "$2" transfer "$3"; }
has_handshake() { [ "$(wg_handshake "$@")" -gt 0 ] 2>/dev/null; }
# wait_handshake NAME IF PUB [SECONDS]
wait_handshake() { wait_for "${4:-10}" has_handshake "$1" "$2" "$3"; }
endpoint_is() { [ "$(wg_endpoint "$1" "$2" "$3")" = "$4" ]; }

# acct_transfer_ok ROLE RX TX: the exact figures of ten 84-byte pings
# over a fresh tunnel (tests/netns/accounting.sh gives the arithmetic),
# ROLE init or resp: the initiator sends 148 + 10*128 = 1428 (1460 with
# one keepalive after the handshake) and receives 92 + 10*128 = 1372;
# the responder the other way round.  acct_want ROLE says it in words.
acct_transfer_ok() {
	case $1 in
	init) [ "$2" = 1372 ] && { [ "$3" = 1428 ] || [ "$3" = 1460 ]; } ;;
	resp) [ "$3" = 1372 ] && { [ "$2" = 1428 ] || [ "$2" = 1460 ]; } ;;
	*) return 1 ;;
	esac
}
acct_want() {
	if [ "$1" = init ]; then echo 'rx 1372 tx 1428 (or 1460)'; else echo 'rx 1428 (or 1460) tx 1372'; fi
}

# ns_ping NAME ARGS...: ping bounded by a deadline; succeeds only with
# 0% loss.  Output (ping's summary) is kept in $NS_TMP/ping.out.
ns_ping() {
	local name=$1; shift
	ns_run "$name" ping -n -q "$@" >"$NS_TMP/ping.out" 2>&1 || return 1
	grep -q ' 0% packet loss' "$NS_TMP/ping.out"
}

# The python helpers below are passed with -c, so that the test stays a
# set of shell scripts.

# uapi NAME IF [NREPLIES]: sends stdin to IF's control socket and prints
# what comes back until NREPLIES (default 1) replies ("errno=N" and an
# empty line) have arrived, the server closes, or 10 s pass.
NS_PY_UAPI='
import re, socket, sys
path, want = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
s.connect(path)
s.sendall(sys.stdin.buffer.read())
out = b""
try:
    while len(re.findall(rb"(?m)^errno=-?[0-9]+\n\n", out)) < want:
        b = s.recv(65536)
        if not b:
            break
        out += b
except socket.timeout:
    pass
sys.stdout.buffer.write(out)
'
uapi() { ns_run "$1" "$PYTHON" -c "$NS_PY_UAPI" "/run/wireguard/$2.sock" "${3:-1}"; }
# uapi_errno: the errno= value of the last reply on stdin.
uapi_errno() { sed -n 's/^errno=//p' | tail -n 1; }

# ns_iperf_server NAME ADDR: an iperf3 server on ADDR (port 5201) in NAME,
# bounded to 120 s, and waits for it to listen.
ns_iperf_server() {
	nsenter -t "${NS_HOLDER[$1]}" -m -n -- timeout -k 2 120 iperf3 -s -B "$2" \
		>"$NS_TMP/iperf3-server-$1.log" 2>&1 </dev/null &
	wait_for 5 ns_listening "$1" tcp 5201
}
# ns_listening NAME tcp|udp PORT
ns_listening() {
	local o; [ "$2" = tcp ] && o=-ltn || o=-lun
	ns_run "$1" ss -H "$o" "sport = :$3" 2>/dev/null | grep -q .
}

# ns_iperf NAME OUT ARGS...: an iperf3 client in NAME with JSON output to
# OUT; returns iperf3's status (124 on timeout).
ns_iperf() {
	local name=$1 out=$2; shift 2
	timeout -k 2 30 nsenter -t "${NS_HOLDER[$name]}" -m -n -- iperf3 -J "$@" >"$out" 2>&1
}
# iperf_result FILE: "BYTES LOST_PERCENT PACKETS BITS_PER_SECOND" as the
# receiver saw them (TCP: lost and packets are 0).
NS_PY_IPERF='
import json, sys
j = json.load(open(sys.argv[1]))
e = j.get("end", {})
if "sum_received" in e and "lost_percent" not in e.get("sum", {}):
    r = e["sum_received"]
    print(int(r["bytes"]), 0, 0, int(r["bits_per_second"]))
else:
    # UDP: "sum" holds what the receiver reported (lost, packets)
    s = e["sum"]
    r = e.get("sum_received", s)
    print(int(r.get("bytes", s["bytes"])), float(s.get("lost_percent", 0)),
          int(s.get("packets", 0)) - int(s.get("lost_packets", 0)),
          int(r.get("bits_per_second", s["bits_per_second"])))
'
iperf_result() { "$PYTHON" -c "$NS_PY_IPERF" "$1" 2>/dev/null; }

# ns_cleanup_all: the EXIT handler: the watchdog, what on_exit asked for,
# namespaces, daemons, the scratch directory.
ns_cleanup_all() {
	if [ -n "$NS_WATCHDOG" ]; then
		# The watchdog first (KILL: it must not go on to its next
		# command when its sleep ends), then its sleep.
		local sleeper
		sleeper=$(pgrep -P "$NS_WATCHDOG")
		kill -KILL "$NS_WATCHDOG" 2>/dev/null
		wait "$NS_WATCHDOG" 2>/dev/null
		# shellcheck disable=SC2086
		[ -n "$sleeper" ] && kill -KILL $sleeper 2>/dev/null
		NS_WATCHDOG=
	fi
	if [ -e "$NS_TMP/watchdog.fired" ]; then
		echo "not ok - watchdog: $(basename -- "$0") still running after $(cat "$NS_TMP/watchdog.fired") s, stopped" >&2
	fi
	local c
	for c in "${T_ON_EXIT[@]}"; do eval "$c"; done
	T_ON_EXIT=()
	ns_cleanup
	if [ "${NS_KEEP_TMP:-0}" = 1 ]; then
		echo "# scratch kept in $NS_TMP" >&2
	else
		rm -rf -- "$NS_TMP"
	fi
}
trap ns_cleanup_all EXIT
