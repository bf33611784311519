#!/bin/bash
# Runs the whole suite: every unit-test binary, then every script test.
# Each program prints "ok N name" / "not ok N name" lines and its own
# "N passed, N failed"; this adds them up and prints the suite's total as
# its last line.  A program that dies without a summary counts as a failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$top/$BUILD ;; esac
export RAMPART_TOP=$top
export RAMPART=${RAMPART:-$BUILD/san/rampart}
export RAMPART_REL=${RAMPART_REL:-$BUILD/rampart}
export RAMPARTD=${RAMPARTD:-$BUILD/san/rampartd}
export RAMPARTD_REL=${RAMPARTD_REL:-$BUILD/rampartd}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$top" || exit 1

total_pass=0
total_fail=0
failed_names=()

run_one() {
	local name=$1; shift
	local out rc summary p f
	echo "== $name"
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
	summary=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
	if [ -n "$summary" ]; then
		p=${summary%% passed*}
		f=${summary#*, }; f=${f%% failed*}
	else
		p=0; f=0
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$f" -gt 0 ] && failed_names+=("$name")
}

for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
# ONLY=PATTERN runs only the script tests whose path matches.
for t in tests/cli/*.sh tests/netns/*.sh; do
	case $t in *${ONLY:-}*) ;; *) continue ;; esac
	[ -f "$t" ] || continue
	[ "$(basename "$t")" = lib.sh ] && continue
	run_one "${t#tests/}" bash "$t"
done
run_one "layers" bash scripts/layers.sh

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failing: ${failed_names[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
