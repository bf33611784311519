# Shared helpers for script tests: numbered results and the closing
# "N passed, N failed" line.  Source it, call check/ok/not_ok, then finish.
# shellcheck shell=bash
T_N=0
T_PASS=0
T_FAIL=0
: "${RAMPART_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${RAMPART:=$RAMPART_TOP/build/san/rampart}"
: "${RAMPART_REL:=$RAMPART_TOP/build/rampart}"

ok() { T_N=$((T_N + 1)); T_PASS=$((T_PASS + 1)); echo "ok $T_N $1"; }
not_ok() {
	T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N $1"
	shift
	[ $# -gt 0 ] && printf '  %s\n' "$@" >&2
	return 0
}
# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1; shift
	if "$@"; then ok "$name"; else not_ok "$name" "failed: $*"; fi
}
finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
