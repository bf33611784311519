#!/bin/bash
# The operator's checks at scale: a hub brought up with `rampart up` with
# BENCH_PEERS (1000) peers (a /32 each, a PresharedKey each, Rampart's
# policy), one of them a wireguard-go client with a session, and the time
# of `rampart audit wg0` (text and --json), `rampart doctor wg0 laptop`
# (the client's every step; the watch window ends at the first sign of
# life) and `rampart diff wg0`, each the median of BENCH_RUNS (3) runs of
# the release build.  The issue's goal: audit and doctor under 5 s.  As
# root.  Prints figures; never fails on speed.  Not part of `make check`.
#
# Usage: bench/audit.sh
# Variables: RAMPART_REL, RAMPARTD_REL (build/), BENCH_PEERS (1000),
# BENCH_RUNS (3), PEER_IMPL (wireguard-go).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export RAMPART_TOP=$top
. "$top/tests/lib.sh"
. "$top/tests/tools/policy.sh"

: "${BENCH_PEERS:=1000}" "${BENCH_RUNS:=3}"
ns_require
ns_watchdog 600
impl_require "$RAMPARTD_REL" "$RAMPART_REL" "$PEER_IMPL" nft "$PYTHON"
# policy.sh's helpers run $RAMPART and $RAMPARTD: the release builds here.
RAMPART=$RAMPART_REL RAMPARTD=$RAMPARTD_REL
export RAMPARTD
ms() { echo $(( $(date +%s%N) / 1000000 )); }

HN=$(ns_name hub)
keys hub c || exit 1
ns_add c && ns_add hub && ns_link c hub 203.0.113.2/24 203.0.113.1/24 || exit 1
ip -n "$HN" route add default via 203.0.113.2 || exit 1
for d in /etc/wireguard /etc/sysctl.d; do
	ns_exec hub mount -t tmpfs -o mode=0700 tmpfs "$d" || exit 1
done
CONF=/proc/${NS_HOLDER[hub]}/root/etc/wireguard/wg0.conf
"$PYTHON" - "$BENCH_PEERS" "$CONF" "$(priv hub)" "$(pub c)" <<'PY' || exit 1
import base64, os, sys
n, out, key, client = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
b64 = lambda: base64.b64encode(os.urandom(32)).decode()
with open(out, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 51990\nAddress = 10.90.0.1/16\n"
            "\n[Policy]\nSSHFrom = 198.51.100.0/24\n" % key)
    f.write("\n[Peer]\n# Name = laptop\nPublicKey = %s\nPresharedKey = %s\n"
            "AllowedIPs = 10.90.0.2/32\nEgress = on\n" % (client, b64()))
    for i in range(1, n):
        h = i + 2
        f.write("\n[Peer]\n# Name = p%d\nPublicKey = %s\nPresharedKey = %s\n"
                "AllowedIPs = 10.90.%d.%d/32\n" % (i, b64(), b64(), h >> 8, h & 255))
PY
chmod 600 "$CONF"
# The client's PresharedKey is the laptop's from the file.
PSK=$(awk '/# Name = laptop/{f=1} f&&/PresharedKey/{print $3; exit}' "$CONF")
printf '%s\n' "$PSK" > "$NS_TMP/c.psk"
rp hub up up wg0 || { show_log up; exit 1; }
wg_peer c "$PEER_IMPL" wg0 51991 c && wg_if_up c wg0 10.90.0.2/16 || exit 1
ns_wg c set wg0 peer "$(pub hub)" preshared-key "$NS_TMP/c.psk" allowed-ips 0.0.0.0/0 \
	endpoint 203.0.113.1:51990 persistent-keepalive 1 || exit 1
wait_handshake hub wg0 "$(pub c)" 10 || { echo "no handshake with the client" >&2; exit 1; }
bg c cping ping -n -i 0.3 -w 110 10.90.0.1

# timed LABEL ARGS...: the median of BENCH_RUNS runs of rampart ARGS in
# the hub, its exit status and the size of its output.
timed() {
	local label=$1 t0 t1 rc i out=$NS_TMP/timed.out
	local -a v=()
	shift
	for i in $(seq 1 "$BENCH_RUNS"); do
		t0=$(ms)
		NS_CMD_TIMEOUT=120 ns_run hub env -u SSH_CONNECTION "$RAMPART_REL" "$@" \
			>"$out" 2>"$NS_TMP/timed.err" </dev/null
		rc=$?
		t1=$(ms)
		v+=($((t1 - t0)))
	done
	printf '%-44s %6s ms  (exit %s, %s lines; runs: %s)\n' "$label" \
		"$(printf '%s\n' "${v[@]}" | sort -n | sed -n "$(( (BENCH_RUNS + 1) / 2 ))p")" \
		"$rc" "$(wc -l < "$out")" "${v[*]}"
}

printf '%-44s %s\n' "peers on the hub" "$(ns_wg hub show wg0 peers | grep -c .)"
printf '%-44s %s\n' "rules in table inet rampart-wg0" \
	"$(ip netns exec "$HN" nft -a list table inet rampart-wg0 | grep -c 'handle')"
timed "rampart audit wg0" audit wg0
timed "rampart audit --json wg0" audit --json wg0
printf '%-44s %s\n' "its findings" "$("$PYTHON" -c '
import collections, json, sys
c = collections.Counter("%s (%s)" % (f["id"], f["severity"]) for f in json.load(open(sys.argv[1])))
print(", ".join("%d %s" % (n, k) for k, n in sorted(c.items())))' "$NS_TMP/timed.out" 2>&1)"
timed "rampart doctor wg0 laptop" doctor wg0 laptop
timed "rampart diff wg0" diff wg0
echo "$(nproc) CPUs, $(uname -r)"
