#!/bin/bash
# scripts/layers.sh against planted violations (negative controls): a copy
# of src/ with one include that goes up, one that goes sideways, a room
# without a rank, and objects in which a lower room calls a higher one.
# The real tree's verdict is the suite's own "layers" run.  Then which
# binary links the inventory's database libraries (rampart, not rampartd).
set -u
. "$(dirname "$0")/../lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
layers="$top/scripts/layers.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-cc}

# A small tree of rooms: common (0) <- conf (2) <- quick (6).
mk_tree() { # DIR
	mkdir -p "$1/common" "$1/conf" "$1/quick" "$1/sys"
	printf '#include "common/a.h"\nint conf_b(void);\nint conf_b(void) { return a(); }\n' > "$1/conf/b.c"
	printf 'int a(void);\n' > "$1/common/a.h"
	printf '#include "a.h"\nint a(void) { return 1; }\n' > "$1/common/a.c"
	printf '#include "conf/b.h"\nint quick_c(void);\nint quick_c(void) { return 0; }\n' > "$1/quick/c.c"
	printf 'int sys_d(void);\nint sys_d(void) { return 0; }\n' > "$1/sys/d.c"
	: > "$1/conf/b.h"
}
# Objects of the tree's .c files, under OBJ/ROOM/.
mk_objs() { # SRC OBJ
	local f o
	for f in "$1"/*/*.c; do
		o="$2/${f#"$1"/}"; o=${o%.c}.o
		mkdir -p "$(dirname "$o")"
		"$CC" -I"$1" -c "$f" -o "$o" || return 1
	done
}
verdict() { # SRC OBJ -> the names of the failing checks
	bash "$layers" "$1" "$2" 2>"$tmp/why" | sed -n 's/^not ok [0-9]* //p'
}

mk_tree "$tmp/clean"
mk_objs "$tmp/clean" "$tmp/clean.o"
check "a clean tree passes" [ -z "$(verdict "$tmp/clean" "$tmp/clean.o")" ]

mk_tree "$tmp/up"
printf '#include "quick/c.h"\n' >> "$tmp/up/common/a.c"
: > "$tmp/up/quick/c.h"
out=$(verdict "$tmp/up" "$tmp/clean.o")
check "an include that goes up fails" [ "$out" = "includes follow the rank order" ]
check "and the message names the file and both rooms" \
	grep -q "common/a.c includes quick/c.h: common (rank 0) may not depend on quick (rank 6)" "$tmp/why"

mk_tree "$tmp/side"
printf '#include "sys/d.h"\n' >> "$tmp/side/conf/b.c"
: > "$tmp/side/sys/d.h"
check "an include sideways (equal ranks) fails" \
	[ "$(verdict "$tmp/side" "$tmp/clean.o")" = "includes follow the rank order" ]

mk_tree "$tmp/norank"
mkdir -p "$tmp/norank/attic"
check "a room without a rank fails" \
	[ "$(verdict "$tmp/norank" "$tmp/clean.o")" = "every room under $tmp/norank has a rank" ]

# A call that goes up without an include: the declaration written by hand.
mk_tree "$tmp/call"
printf 'int quick_c(void);\nint common_e(void);\nint common_e(void) { return quick_c(); }\n' > "$tmp/call/common/e.c"
mk_objs "$tmp/call" "$tmp/call.o"
check "a call that goes up fails, with no include to show it" \
	[ "$(verdict "$tmp/call" "$tmp/call.o")" = "calls follow the rank order" ]
check "and the message names the object, the symbol and the room" \
	grep -q "common/e.o calls quick_c of quick" "$tmp/why"

# The libraries by binary: the inventory's databases (libpq, SQLite) are
# rampart's; rampartd, linked from an archive with --as-needed, maps
# neither.  The control first: the same ldd grep finds libpq in rampart.
rel=${RAMPART_REL:-$top/build/rampart}
daemon=${RAMPARTD_REL:-$top/build/rampartd}
if [ -x "$rel" ] && [ -x "$daemon" ]; then
	check "control: rampart links libpq and SQLite" \
		sh -c 'ldd "$0" | grep -q libpq && ldd "$0" | grep -q libsqlite3' "$rel"
	check "rampartd links neither libpq nor SQLite" \
		sh -c '! ldd "$0" | grep -E -q "libpq|libsqlite3"' "$daemon"
else
	not_ok "rampart and rampartd are built" "no $rel or $daemon: make builds them"
fi
finish
