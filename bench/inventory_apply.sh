#!/bin/bash
# The inventory's apply step at scale: BENCH_PEERS (10000) peers imported
# in one `rampart peer import` of a generated wg-quick config, then a
# release rampartd in a namespace and `rampart peer apply` timed three
# ways: the first (every peer added in one set), a second with nothing to
# do (the diff alone), and one after a single peer changed.  Also the
# import's time and the database's size.  As root.  Prints figures; never
# fails on speed.  Not part of `make check`.
#
# Usage: bench/inventory_apply.sh
# Variables: RAMPART_REL, RAMPARTD_REL (build/), BENCH_PEERS (10000).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export RAMPART_TOP=$top
. "$top/tests/lib.sh"

: "${BENCH_PEERS:=10000}"
ns_require
ns_watchdog 600
impl_require "$RAMPARTD_REL" "$RAMPART_REL"
export RAMPART_DB=$NS_TMP/inventory.db
P() { ns_run a env RAMPART_DB="$RAMPART_DB" "$RAMPART_REL" peer "$@"; }
ms() { echo $(( $(date +%s%N) / 1000000 )); }

wg_key a >/dev/null || exit 1
"$PYTHON" - "$BENCH_PEERS" "$NS_TMP/wg0.conf" "$NS_TMP/a.key" <<'PY'
import base64, os, sys
n, out, key = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read().strip()
with open(out, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 51970\n" % key)
    for i in range(n):
        h = i + 2
        f.write("\n[Peer]\n# Name = p%d\nPublicKey = %s\nAllowedIPs = 10.0.%d.%d/32\n" % (
            i, base64.b64encode(os.urandom(32)).decode(), h >> 8, h & 255))
PY
chmod 600 "$NS_TMP/wg0.conf"
ns_add a || exit 1
P init -i wg0 --endpoint vpn.example.org:51970 --pool 10.0.0.1/16 \
	--public-key "$(cat "$NS_TMP/a.pub")" >/dev/null || exit 1
t0=$(ms); P import -i wg0 "$NS_TMP/wg0.conf" >/dev/null || { echo "import failed" >&2; exit 1; }; t1=$(ms)
import_ms=$((t1 - t0))
ns_daemon a "$RAMPARTD_REL" wg0 || exit 1
ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51970 || exit 1
t0=$(ms); NS_CMD_TIMEOUT=300 P apply >/dev/null || { echo "apply failed" >&2; exit 1; }; t1=$(ms)
first_ms=$((t1 - t0))
t0=$(ms); P apply >"$NS_TMP/second" || exit 1; t1=$(ms)
second_ms=$((t1 - t0))
P disable p7 >/dev/null 2>&1   # applies at once: one peer off
t0=$(ms); P enable p7 >/dev/null || exit 1; t1=$(ms)
one_ms=$((t1 - t0))
on=$(ns_wg a show wg0 peers | grep -c .)
printf '%-52s %s\n' "peers" "$BENCH_PEERS"
printf '%-52s %s\n' "import of the config (ms)" "$import_ms"
printf '%-52s %s (%s peers on the interface)\n' "first apply: every peer added in one set (ms)" "$first_ms" "$on"
printf '%-52s %s (%s)\n' "second apply: nothing to do (ms)" "$second_ms" "$(cat "$NS_TMP/second")"
printf '%-52s %s\n' "enable of one peer, its apply included (ms)" "$one_ms"
printf '%-52s %s\n' "database size (bytes, with its WAL)" "$(cat "$RAMPART_DB" "$RAMPART_DB-wal" 2>/dev/null | wc -c)"
echo "$(nproc) CPUs, $(uname -r)"
