#!/bin/bash
# `make install` without DESTDIR creates the system user rampartd's
# engine runs as (rampart: a system uid, no home, no login shell) and
# leaves an existing one alone; with DESTDIR it creates none.  The
# install goes to a temporary PREFIX; a user this test created is removed
# at the end.
. "$(dirname "$0")/../lib.sh"

need_tool useradd
[ "$(id -u)" -eq 0 ] || bail "needs root: make install creates a user"
dir=$(mktemp -d)
created=
cleanup_install() {
	[ -n "$created" ] && userdel rampart 2>/dev/null
	rm -rf "$dir"
}
trap cleanup_install EXIT
cd "$RAMPART_TOP" || bail "no RAMPART_TOP"
had=no
getent passwd rampart >/dev/null && had=yes

# Staged: no user is made.
if [ "$had" = no ]; then
	if make -s install DESTDIR="$dir/stage" PREFIX=/usr/local >"$dir/out" 2>&1; then
		check "DESTDIR install: no user created" eval '! getent passwd rampart >/dev/null'
	else
		not_ok "DESTDIR install" "$(cat "$dir/out")"
	fi
else
	skip "DESTDIR install: no user created" "this host already has a rampart user"
fi

if make -s install PREFIX="$dir/prefix" >"$dir/out" 2>&1; then
	ok "make install PREFIX=$dir/prefix"
else
	not_ok "make install" "$(cat "$dir/out")"
fi
[ "$had" = no ] && getent passwd rampart >/dev/null && created=yes
IFS=: read -r _ _ uid gid _ home shell <<<"$(getent passwd rampart)"
check "the rampart user exists" test -n "$uid"
check "a system uid (below 1000), not root" eval "[ \"$uid\" -gt 0 ] && [ \"$uid\" -lt 1000 ]"
check "its own group" test "$(getent group rampart | cut -d: -f3)" = "$gid"
check "no login shell" test "$shell" = /usr/sbin/nologin
check "no home" test ! -e "$home"
# Again: the user is kept as it is.
make -s install PREFIX="$dir/prefix" >"$dir/out" 2>&1
check "a second install keeps the same user" test "$(id -u rampart)" = "$uid"
finish
