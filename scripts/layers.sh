#!/bin/bash
# Checks the layering rule of docs/design.md: a file under src/ includes
# project headers only from its own layer or a lower one, and the protocol
# core does no I/O, clock reads, randomness or threads.
set -u
cd "$(dirname "$0")/.." || exit 1
rank() {
	case $1 in
	common) echo 0 ;; crypto) echo 1 ;; proto) echo 2 ;;
	daemon|ops) echo 3 ;; cli) echo 4 ;; *) echo 99 ;;
	esac
}
n=0; pass=0; fail=0
check() { # name, ok?
	n=$((n + 1))
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok $n $1"
	else fail=$((fail + 1)); echo "not ok $n $1"; fi
}

bad=0
while IFS= read -r f; do
	layer=$(echo "$f" | cut -d/ -f2)
	mine=$(rank "$layer")
	while IFS= read -r inc; do
		dep=${inc%%/*}
		[ "$dep" = "$inc" ] && continue  # same-folder include
		theirs=$(rank "$dep")
		if [ "$theirs" = 99 ]; then continue; fi
		if [ "$theirs" -gt "$mine" ] || { [ "$theirs" = "$mine" ] && [ "$dep" != "$layer" ]; }; then
			echo "  $f includes $inc: $layer may not depend on $dep" >&2
			bad=1
		fi
	done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done < <(find src -name '*.[ch]' | sort)
check "includes follow the layer order" $bad

bad=0
if grep -rn -E '\b(socket|recvmsg|sendmsg|recvmmsg|sendmmsg|clock_gettime|gettimeofday|time|getrandom|pthread_[a-z_]+|open|fopen|read|write|printf|fprintf)[[:space:]]*\(' src/proto 2>/dev/null | grep -v '^\S*:[0-9]*:\s*\*' >&2; then
	bad=1
fi
check "src/proto does no I/O, clock, random or thread calls" $bad

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
