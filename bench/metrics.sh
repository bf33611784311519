#!/bin/bash
# What a scrape costs at scale: a release rampartd with N peers (random
# keys, one /32 each, loaded with wg setconf, a third of them with a
# handshake-free endpoint), and `rampart metrics` (the release build) run
# R times: the wall time of each (min and median), the size of the
# exposition text and its number of samples, and `rampart events` on the
# same daemon; then one scrape of /metrics from `rampart metrics serve`
# (as nobody, over the statistics socket) R times.  Prints figures; never
# fails on speed.  Not part of `make check`.
#
# Usage: bench/metrics.sh   (as root)
# Variables: RAMPARTD_REL (build/rampartd), RAMPART_REL (build/rampart),
# BENCH_PEERS (10000), BENCH_RUNS (7).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export RAMPART_TOP=$top
. "$top/tests/lib.sh"

: "${BENCH_PEERS:=10000}" "${BENCH_RUNS:=7}"
ns_require
ns_watchdog 300
impl_require "$RAMPARTD_REL" "$RAMPART_REL"

wg_key a >/dev/null || exit 1
"$PYTHON" - "$BENCH_PEERS" "$NS_TMP/peers.conf" "$NS_TMP/a.key" <<'PY'
import base64, os, sys
n, out, key = int(sys.argv[1]), sys.argv[2], open(sys.argv[3]).read().strip()
with open(out, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 51920\n" % key)
    for i in range(n):
        f.write("\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.%d.%d.%d/32\n" % (
            base64.b64encode(os.urandom(32)).decode(),
            100 + (i >> 16), (i >> 8) & 255, i & 255))
        if i % 3 == 0:
            f.write("Endpoint = 192.0.2.%d:%d\n" % (i % 250 + 1, 1024 + i % 60000))
PY
ns_add a || exit 1
RAMPART_STATS_GROUP=4714 ns_daemon a "$RAMPARTD_REL" wg0 || exit 1
NS_CMD_TIMEOUT=120 ns_wg a setconf wg0 "$NS_TMP/peers.conf" || { echo "setconf failed" >&2; exit 1; }

times=()
for _ in $(seq 1 "$BENCH_RUNS"); do
	t0=$(date +%s%N)
	ns_run a "$RAMPART_REL" metrics wg0 >"$NS_TMP/out.prom" || { echo "rampart metrics failed" >&2; exit 1; }
	t1=$(date +%s%N)
	times+=($(( (t1 - t0) / 1000 )))
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
min=$(head -n 1 <<<"$sorted")
med=$(sed -n "$(( (BENCH_RUNS + 1) / 2 ))p" <<<"$sorted")
bytes=$(wc -c <"$NS_TMP/out.prom")
samples=$(grep -c -v '^#' "$NS_TMP/out.prom")
t0=$(date +%s%N)
ns_run a "$RAMPART_REL" events wg0 >"$NS_TMP/events.txt"
t1=$(date +%s%N)
printf '%-44s %s\n' "peers" "$BENCH_PEERS"
printf '%-44s %.1f / %.1f\n' "rampart metrics wall time, min / median (ms)" \
	"$(awk -v v="$min" 'BEGIN { print v / 1000 }')" "$(awk -v v="$med" 'BEGIN { print v / 1000 }')"
printf '%-44s %s (%.2f MB)\n' "exposition size (bytes)" "$bytes" "$(awk -v v="$bytes" 'BEGIN { print v / 1e6 }')"
printf '%-44s %s\n' "samples" "$samples"
printf '%-44s %.1f (%s events)\n' "rampart events wall time (ms)" \
	"$(awk -v v="$(( (t1 - t0) / 1000 ))" 'BEGIN { print v / 1000 }')" "$(grep -c . "$NS_TMP/events.txt")"

# The exporter, as it runs in production: nobody, the socket's group.
nsenter -t "${NS_HOLDER[a]}" -m -n -- "$RAMPART_REL" metrics serve --listen 127.0.0.1:19586 \
	--user nobody wg0 >"$NS_TMP/serve.log" 2>&1 </dev/null &
spid=$!
serve_up() { ns_run a curl -s -o /dev/null -m 2 http://127.0.0.1:19586/; }
if wait_for 10 serve_up; then
	stimes=()
	for _ in $(seq 1 "$BENCH_RUNS"); do
		stimes+=($(ns_run a curl -s -o "$NS_TMP/scrape.prom" -w '%{time_total}' \
			http://127.0.0.1:19586/metrics))
	done
	ssorted=$(printf '%s\n' "${stimes[@]}" | sort -n)
	printf '%-44s %.1f / %.1f (%s bytes)\n' "metrics serve /metrics, min / median (ms)" \
		"$(awk -v v="$(head -n 1 <<<"$ssorted")" 'BEGIN { print v * 1000 }')" \
		"$(awk -v v="$(sed -n "$(( (BENCH_RUNS + 1) / 2 ))p" <<<"$ssorted")" 'BEGIN { print v * 1000 }')" \
		"$(wc -c <"$NS_TMP/scrape.prom")"
else
	echo "metrics serve did not start: $(cat "$NS_TMP/serve.log")" >&2
fi
kill -TERM "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
echo "$BENCH_RUNS runs; $(nproc) CPUs, $(uname -r)"
