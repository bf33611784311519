# Helpers for namespace tests.  Source after tests/lib.sh.
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
# shellcheck shell=bash

: "${RAMPARTD:=$RAMPART_TOP/build/san/rampartd}"
: "${RAMPARTD_REL:=$RAMPART_TOP/build/rampartd}"
: "${RAMPART_REL:=$RAMPART_TOP/build/rampart}"
export RAMPARTD RAMPARTD_REL RAMPART RAMPART_REL

# Short and unique per run: veth names must fit in 15 bytes.
NS_TAG=${NS_TAG:-rp$$}
declare -A NS_HOLDER=()
NS_LIST=()

# ns_name NAME: the real netns name.
ns_name() { echo "$NS_TAG-$1"; }

# ns_require: fails the test at once when the machine cannot make
# namespaces.
ns_require() {
	if [ "$(id -u)" -ne 0 ] || ! ip netns add "$NS_TAG-probe" 2>/dev/null; then
		not_ok "network namespaces available" "need root and ip netns"
		finish
		exit 1
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
