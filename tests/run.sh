#!/bin/bash
# Runs the whole suite: every unit-test binary, then every script test.
# Each program prints "ok N name" / "not ok N name" lines and its own
# "N passed, N failed[, N skipped]"; this adds them up and prints the
# suite's total as its last line ("N passed, N failed", with ", N skipped"
# when any were).  "ok N name # skip reason" is a skip, never a pass, even
# when the program's summary counted it as passed.  A program that dies
# without a summary counts as a failure.
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
total_skip=0
failed_names=()

run_one() {
	local name=$1; shift
	local out rc summary p f s tap_skips
	local sum_re='^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'
	echo "== $name"
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v -E "$sum_re"
	summary=$(printf '%s\n' "$out" | grep -E "$sum_re" | tail -n 1)
	tap_skips=$(printf '%s\n' "$out" | grep -c -i -E '^ok [0-9]+ .*# skip')
	p=0; f=0; s=0
	if [ -n "$summary" ]; then
		read -r p _ f _ s _ <<<"${summary//,/}"
		s=${s:-0}
		# A summary without a skip count took the skips for passes.
		if [ "$summary" = "${summary%skipped}" ] && [ "$tap_skips" -gt 0 ]; then
			s=$tap_skips
			p=$((p > s ? p - s : 0))
		fi
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
	[ "$f" -gt 0 ] && failed_names+=("$name")
}

# UNITS=0 leaves the unit tests out (make check-offloads: they do not
# run rampartd).
for t in "$BUILD"/tests/test_*; do
	[ "${UNITS:-1}" = 0 ] && break
	[ -x "$t" ] || continue
	run_one "unit/$(basename "$t")" "$t"
done
# ONLY=PATTERN runs only the script tests whose path matches.
for t in tests/cli/*.sh tests/db/*.sh tests/netns/*.sh tests/fuzz/*.sh; do
	case $t in *${ONLY:-}*) ;; *) continue ;; esac
	[ -f "$t" ] || continue
	[ "$(basename "$t")" = lib.sh ] && continue
	run_one "${t#tests/}" bash "$t"
done
run_one "layers" bash scripts/layers.sh

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failing: ${failed_names[*]}"
fi
echo "$total_pass passed, $total_fail failed$([ "$total_skip" -gt 0 ] && echo ", $total_skip skipped")"
[ "$total_fail" -eq 0 ]
