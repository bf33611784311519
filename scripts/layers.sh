#!/bin/bash
# The layering rule of docs/design.md, checked mechanically.  Every folder
# under src/ (a room) has a rank; a file includes project headers only from
# its own room or a room of lower rank, and an object calls only functions
# defined in its own room or a lower one (no call goes up or sideways, so
# there is no cycle between rooms).  The protocol core does no I/O, clock
# reads, randomness or threads.
#
#   scripts/layers.sh [SRC [OBJDIR]]
#
# SRC defaults to src/; OBJDIR (default build/rel/src, when it exists) holds
# the objects whose symbol tables the call check reads.  A folder without a
# rank fails the check: a new room must say where it stands.
set -u
cd "$(dirname "$0")/.." || exit 1
SRC=${1:-src}
OBJ=${2:-${BUILD:-build}/rel/src}

# Lowest first.  Equal ranks may not depend on each other.
rank() {
	case $1 in
	common) echo 0 ;;
	crypto) echo 1 ;;
	proto|conf|sys) echo 2 ;;
	uapi) echo 3 ;;
	daemon|ctl|monitor) echo 4 ;;
	firewall|inventory) echo 5 ;;
	quick) echo 6 ;;
	audit) echo 7 ;;
	cli) echo 8 ;;
	*) echo none ;;
	esac
}
n=0; pass=0; fail=0
check() { # name, ok?
	n=$((n + 1))
	if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok $n $1"
	else fail=$((fail + 1)); echo "not ok $n $1"; fi
}
# may ROOM depend on DEP?
allowed() {
	local mine theirs
	[ "$1" = "$2" ] && return 0
	mine=$(rank "$1"); theirs=$(rank "$2")
	[ "$mine" != none ] && [ "$theirs" != none ] && [ "$theirs" -lt "$mine" ]
}

bad=0
for d in "$SRC"/*/; do
	room=$(basename "$d")
	if [ "$(rank "$room")" = none ]; then
		echo "  $SRC/$room has no rank in scripts/layers.sh" >&2
		bad=1
	fi
done
check "every room under $SRC has a rank" $bad

bad=0
while IFS= read -r f; do
	room=${f#"$SRC"/}; room=${room%%/*}
	while IFS= read -r inc; do
		dep=${inc%%/*}
		[ "$dep" = "$inc" ] && continue  # same-room include
		[ -d "$SRC/$dep" ] || continue   # not a project header
		if ! allowed "$room" "$dep"; then
			echo "  $f includes $inc: $room (rank $(rank "$room")) may not depend on $dep (rank $(rank "$dep"))" >&2
			bad=1
		fi
	done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done < <(find "$SRC" -name '*.[ch]' | sort)
check "includes follow the rank order" $bad

# Calls: which room defines each global function, then every undefined
# symbol of every object must come from its own room or a lower one.
if [ -d "$OBJ" ] && command -v nm >/dev/null; then
	bad=0
	declare -A owner=()
	while read -r o; do
		room=${o#"$OBJ"/}; room=${room%%/*}
		while read -r sym; do owner[$sym]=$room; done \
			< <(nm --defined-only -g "$o" 2>/dev/null | awk '$2 ~ /[TDBR]/ {print $3}')
	done < <(find "$OBJ" -name '*.o' | sort)
	while read -r o; do
		room=${o#"$OBJ"/}; room=${room%%/*}
		while read -r sym; do
			dep=${owner[$sym]:-}
			[ -n "$dep" ] || continue  # a library's symbol
			if ! allowed "$room" "$dep"; then
				echo "  ${o#"$OBJ"/} calls $sym of $dep: $room may not depend on $dep" >&2
				bad=1
			fi
		done < <(nm --undefined-only "$o" 2>/dev/null | awk '{print $2}')
	done < <(find "$OBJ" -name '*.o' | sort)
	check "calls follow the rank order" $bad
else
	echo "ok $((n + 1)) calls follow the rank order # skip no objects in $OBJ"
	n=$((n + 1)); skip=1
fi

bad=0
if [ -d "$SRC/proto" ] && grep -rn -E '\b(socket|recvmsg|sendmsg|recvmmsg|sendmmsg|clock_gettime|gettimeofday|time|getrandom|pthread_[a-z_]+|open|fopen|read|write|printf|fprintf)[[:space:]]*\(' "$SRC/proto" 2>/dev/null | grep -v '^\S*:[0-9]*:\s*\*' >&2; then
	bad=1
fi
check "$SRC/proto does no I/O, clock, random or thread calls" $bad

echo "$pass passed, $fail failed${skip:+, $skip skipped}"
[ "$fail" = 0 ]
