#!/bin/bash
# What the inventory costs at scale: BENCH_PEERS (10000) `rampart peer
# add --request` runs (the release build) one after another on a fresh
# database, the wall time of every thousandth and of the last, then
# `rampart peer list` and `list --json` (median of BENCH_RUNS), and the
# database's size.  Needs no root and no namespace.  Prints figures; never
# fails on speed.  Not part of `make check`.
#
# Usage: bench/inventory.sh
# Variables: RAMPART_REL (build/rampart), BENCH_PEERS (10000), BENCH_RUNS (5).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
: "${RAMPART_REL:=$top/build/rampart}" "${BENCH_PEERS:=10000}" "${BENCH_RUNS:=5}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rampart-bench-inv.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export RAMPART_DB=$tmp/lib/inventory.db
P() { "$RAMPART_REL" peer "$@"; }
ms() { date +%s%N; }
# The keys first, so that key making is not timed: N distinct public
# keys from the kernel's random bytes (any 32 bytes are a valid key to
# store).
python3 - "$BENCH_PEERS" "$tmp" <<'PY'
import base64, os, sys
n, d = int(sys.argv[1]), sys.argv[2]
for i in range(n):
    with open("%s/%d.req" % (d, i), "w") as f:
        f.write("Name = p%d\nPublicKey = %s\n" % (i, base64.b64encode(os.urandom(32)).decode()))
PY
P init -i wg0 --endpoint vpn.example.org:51820 --pool 10.0.0.0/16 --pool fd00::/64 >/dev/null
start=$(ms)
for i in $(seq 0 $((BENCH_PEERS - 1))); do
	t0=$(ms)
	P add --owner bench --request "$tmp/$i.req" >/dev/null || exit 1
	t1=$(ms)
	if [ $(((i + 1) % 1000)) = 0 ] || [ "$i" = $((BENCH_PEERS - 1)) ]; then
		echo "add #$((i + 1)): $(((t1 - t0) / 1000000)) ms (mean so far $(((t1 - start) / (i + 1) / 1000000)) ms)"
	fi
done
for what in "list" "list --json"; do
	times=()
	for r in $(seq "$BENCH_RUNS"); do
		t0=$(ms); P $what >/dev/null 2>&1; t1=$(ms)
		times+=($(((t1 - t0) / 1000000)))
	done
	echo "$what of $BENCH_PEERS peers: median $(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((BENCH_RUNS + 1) / 2))p") ms"
done
echo "database: $(du -k "$RAMPART_DB" | cut -f1) KiB ($(stat -c %s "$RAMPART_DB") bytes)"
