#!/bin/bash
# The systemd units in contrib/systemd pass `systemd-analyze verify`
# (systemd is installed but not PID 1 here, so they are checked, not
# run): each template as an instance for wg0, its ExecStart pointed at
# the built rampart, since /usr/local/bin/rampart is not installed.  A
# unit with a typo in a key is the negative control: verify must fail.
. "$(dirname "$0")/../lib.sh"

need_tool systemd-analyze
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
bin=$(readlink -f "$RAMPART_REL")

instance() { # UNIT -> its file in $dir, for wg0
	local f=$1 base
	base=$(basename "$f")
	base=${base/@./@wg0.}
	sed "s|/usr/local/bin/rampart|$bin|g" "$f" >"$dir/$base"
	echo "$dir/$base"
}
verify() { systemd-analyze verify --man=no "$@" >"$dir/out" 2>&1 && ! grep -q . "$dir/out"; }

for f in "$RAMPART_TOP"/contrib/systemd/*.service "$RAMPART_TOP"/contrib/systemd/*.timer; do
	u=$(instance "$f")
	if verify "$u"; then ok "systemd-analyze verify $(basename "$f")"; else not_ok "systemd-analyze verify $(basename "$f")" "$(cat "$dir/out")"; fi
done
bad=$(instance "$RAMPART_TOP/contrib/systemd/rampart-peer-apply@.service")
sed -i 's/^ProtectSystem=/ProtectSytem=/' "$bad"
if verify "$bad"; then not_ok "control: a misspelt key fails verify"; else ok "control: a misspelt key fails verify"; fi
finish
