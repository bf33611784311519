#!/bin/bash
# A real tunnel between two network namespaces, brought up and down with
# `rampart up` / `rampart down`.  Run by `make demo` (as root) after the
# build; everything it creates is removed at the end, also on failure or
# Ctrl-C.
#
#   namespace rpdemo-hub                    namespace rpdemo-client
#   rpdemo-hub 10.213.0.1/24   <== WireGuard ==>  rpdemo-client 10.213.0.2/24
#   veth 192.168.213.1/24  ------------------  veth 192.168.213.2/24
#
# The daemon is build/rampartd.  To run the demo with another
# implementation of the same process contract, run the script itself:
#   RAMPARTD=wireguard-go scripts/demo.sh
# (under make, RAMPARTD is the Makefile's own variable).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
RAMPART=${RAMPART:-$BUILD/rampart}
RAMPARTD=${RAMPARTD:-$BUILD/rampartd}
case $RAMPARTD in /*) ;; */*) RAMPARTD=$top/$RAMPARTD ;; esac
export RAMPARTD

HUB=rpdemo-hub
CLIENT=rpdemo-client
tmp=

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B= N=; fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
ns_exists() { ip netns list | awk '{ print $1 }' | grep -qx "$1"; }

cleanup() {
	local ns p
	# Finish the cleanup even if Ctrl-C comes again.
	trap '' INT TERM
	trap - EXIT
	step "cleaning up"
	for ns in $CLIENT $HUB; do
		ns_exists "$ns" || continue
		# rampart down removes what rampart up added; it is quiet when
		# there is nothing left to do.
		if [ -n "$tmp" ] && [ -e "$tmp/$ns.conf" ] && in_ns "$ns" ip link show "$ns" >/dev/null 2>&1; then
			in_ns "$ns" "$RAMPART" down "$tmp/$ns.conf" || true
		fi
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$p" 2>/dev/null
		done
		sleep 0.2
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
		rm -f "/run/rampart/$ns.state" "/var/run/wireguard/$ns.sock"
	done
	[ -n "$tmp" ] && rm -rf -- "$tmp"
	echo "done: no namespace, interface, daemon or file of the demo is left"
}

[ "$(id -u)" = 0 ] || die "run me as root (network namespaces, TUN devices and routes need it)"
[ -x "$RAMPART" ] || die "$RAMPART is missing: run make first"
if ! command -v "$RAMPARTD" >/dev/null 2>&1; then
	die "the daemon $RAMPARTD is missing: build it with make, or try the demo with
      wireguard-go: RAMPARTD=wireguard-go scripts/demo.sh"
fi
for ns in $HUB $CLIENT; do
	ns_exists "$ns" && die "namespace $ns exists (an earlier demo?); remove it with: ip netns del $ns"
done

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rampart-demo.XXXXXX") || die "mktemp failed"
chmod 700 "$tmp"

step "two namespaces joined by a veth pair"
ip netns add $HUB && ip netns add $CLIENT || die "cannot create namespaces"
ip link add veth-hub netns $HUB type veth peer name veth-client netns $CLIENT || die "cannot create the veth pair"
in_ns $HUB ip addr add 192.168.213.1/24 dev veth-hub
in_ns $CLIENT ip addr add 192.168.213.2/24 dev veth-client
for ns in $HUB $CLIENT; do
	in_ns "$ns" ip link set lo up
done
in_ns $HUB ip link set veth-hub up
in_ns $CLIENT ip link set veth-client up
echo "$HUB: veth-hub 192.168.213.1/24    $CLIENT: veth-client 192.168.213.2/24"

step "keys and configuration files (rampart genkey / pubkey)"
(umask 077
 "$RAMPART" genkey > "$tmp/hub.key" && "$RAMPART" genkey > "$tmp/client.key") || die "genkey failed"
HUB_PUB=$("$RAMPART" pubkey < "$tmp/hub.key") || die "pubkey failed"
CLIENT_PUB=$("$RAMPART" pubkey < "$tmp/client.key") || die "pubkey failed"
(umask 077
cat > "$tmp/$HUB.conf" <<EOF
[Interface]
PrivateKey = $(cat "$tmp/hub.key")
ListenPort = 51820
Address = 10.213.0.1/24

[Peer]
PublicKey = $CLIENT_PUB
AllowedIPs = 10.213.0.2/32
EOF
cat > "$tmp/$CLIENT.conf" <<EOF
[Interface]
PrivateKey = $(cat "$tmp/client.key")
Address = 10.213.0.2/24

[Peer]
PublicKey = $HUB_PUB
Endpoint = 192.168.213.1:51820
AllowedIPs = 10.213.0.0/24
PersistentKeepalive = 25
EOF
)
for f in "$HUB" "$CLIENT"; do
	echo "--- $tmp/$f.conf"
	sed 's/^\(PrivateKey = \).*/\1(hidden)/' "$tmp/$f.conf"
done

step "rampart up in $HUB (daemon: $RAMPARTD)"
in_ns $HUB "$RAMPART" up "$tmp/$HUB.conf" || die "rampart up failed in $HUB"
step "rampart up in $CLIENT"
in_ns $CLIENT "$RAMPART" up "$tmp/$CLIENT.conf" || die "rampart up failed in $CLIENT"

step "ping through the tunnel: $CLIENT -> 10.213.0.1"
in_ns $CLIENT ping -c 4 -i 0.3 -W 2 10.213.0.1 || die "no ping through the tunnel"

# rampart show when this build has it, wg show otherwise.
if "$RAMPART" help 2>/dev/null | grep -qE '^  show '; then
	SHOW=("$RAMPART" show)
else
	SHOW=(wg show)
fi
step "${SHOW[*]} in both namespaces: a handshake and traffic both ways"
in_ns $HUB "${SHOW[@]}" $HUB || die "${SHOW[*]} failed"
echo
in_ns $CLIENT "${SHOW[@]}" $CLIENT || die "${SHOW[*]} failed"
hs=$(in_ns $CLIENT wg show $CLIENT latest-handshakes | awk '{ print $2 }')
[ "${hs:-0}" -gt 0 ] || die "no handshake recorded"

step "rampart down in both namespaces"
in_ns $CLIENT "$RAMPART" down "$tmp/$CLIENT.conf" || die "rampart down failed in $CLIENT"
in_ns $HUB "$RAMPART" down "$tmp/$HUB.conf" || die "rampart down failed in $HUB"
for ns in $HUB $CLIENT; do
	in_ns "$ns" ip link show "$ns" >/dev/null 2>&1 && die "$ns still exists after rampart down"
done
echo "both interfaces and their daemons are gone"
exit 0
