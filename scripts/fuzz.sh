#!/bin/bash
# The long fuzzing run: scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds the targets (make fuzz), then runs each (default: every
# tests/fuzz/fuzz_*.c) for SECONDS (default 600) on one CPU, in turn,
# growing its working corpus in build/fuzz/corpus/NAME/ (kept between
# runs, seeded from tests/fuzz/corpus/NAME/), crashes to
# build/fuzz/crashes/NAME/.  FUZZ_JOBS=N runs N targets at once (default:
# one per CPU).  Prints one line per target: CPU seconds, executions,
# executions per second, coverage (edges, and features), the corpus size
# and the crashes found (files in crashes/); exits 1 if any target found
# one.  A crash's input, once the bug is fixed, goes into
# tests/fuzz/corpus/NAME/ so that make check's smoke run replays it.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
secs=${1:-600}
shift $(( $# > 0 ? 1 : 0 ))
BUILD=${BUILD:-build}
# The sanitizers' settings of make check's smoke run (tests/run.sh), so
# that a long run finds what the smoke run would.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
make --no-print-directory -j"$(nproc)" fuzz >/dev/null || { echo "fuzz.sh: make fuzz failed" >&2; exit 1; }
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for src in tests/fuzz/fuzz_*.c; do
		t=$(basename "$src" .c); targets+=("${t#fuzz_}")
	done
fi
jobs=${FUZZ_JOBS:-$(nproc)}
logs=$BUILD/fuzz/logs
mkdir -p "$logs"

run_one() { # NAME: one target for secs; its log in logs/NAME.log
	local name=$1
	mkdir -p "$BUILD/fuzz/corpus/$name" "$BUILD/fuzz/crashes/$name"
	local TIMEFORMAT='%U %S' # bash's time: the target's user and system CPU seconds
	{ time "$BUILD/fuzz/fuzz_$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$BUILD/fuzz/crashes/$name/" -print_final_stats=1 \
		"$BUILD/fuzz/corpus/$name" "tests/fuzz/corpus/$name" >"$logs/$name.log" 2>&1; } 2>"$logs/$name.time"
}

running=0
for name in "${targets[@]}"; do
	if [ ! -x "$BUILD/fuzz/fuzz_$name" ]; then
		echo "fuzz.sh: no target $name (tests/fuzz/fuzz_$name.c)" >&2
		exit 1
	fi
	run_one "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

found=0
printf '%-16s %9s %12s %9s %8s %8s %7s %7s\n' target cpu_s execs exec/s edges features corpus crashes
for name in "${targets[@]}"; do
	log=$logs/$name.log
	read -r u s < "$logs/$name.time" 2>/dev/null || { u=0; s=0; }
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	edges=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
	corpus=$(ls "$BUILD/fuzz/corpus/$name" | wc -l)
	crashes=$(ls "$BUILD/fuzz/crashes/$name" | wc -l)
	[ "$crashes" -gt 0 ] && found=1
	printf '%-16s %9.0f %12s %9s %8s %8s %7s %7s\n' "$name" "$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')" "${execs:--}" \
		"${rate:--}" "${edges:--}" "${ft:--}" "$corpus" "$crashes"
done
[ "$found" -eq 0 ] || echo "crashes: $BUILD/fuzz/crashes/ (logs in $logs/)"
exit "$found"
