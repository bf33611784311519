#!/bin/bash
# update_only=true applied, not only parsed: over rampartd's control
# socket, a set=1 that names an existing peer with update_only changes
# that peer, and one that names an unknown peer with update_only creates
# nothing (and is not an error).  The same request without update_only
# creates the peer: the negative control that shows the flag is what
# stopped it.
. "$(dirname "$0")/../lib.sh"

D=${DUT:-$RAMPARTD}
ns_require
ns_add box
trap 'ns_cleanup_all' EXIT
setup "rampartd wg0 in a namespace" ns_daemon box "$D" wg0

a=$(wg_key a); b=$(wg_key b)
setup "a peer a with keepalive 0" ns_wg box set wg0 peer "$a" allowed-ips 10.0.0.1/32
keepalive() { ns_wg box show wg0 persistent-keepalive | awk -v k="$1" '$1 == k { print $2 }'; }
peers() { ns_wg box show wg0 peers | LC_ALL=C sort | tr '\n' ' '; }

out=$(printf 'set=1\npublic_key=%s\nupdate_only=true\npersistent_keepalive_interval=25\nallowed_ip=10.0.0.2/32\npublic_key=%s\nupdate_only=true\nallowed_ip=10.0.0.3/32\n\n' \
	"$(key_hex "$a")" "$(key_hex "$b")" | uapi box wg0)
check "the request succeeds (errno=$(printf '%s\n' "$out" | uapi_errno))" \
	[ "$(printf '%s\n' "$out" | uapi_errno)" = 0 ]
check "the existing peer changes: keepalive 25" [ "$(keepalive "$a")" = 25 ]
check "  ... and its allowed IPs grow" \
	[ "$(ns_wg box show wg0 allowed-ips | awk -v k="$a" '$1 == k { $1 = ""; print }')" = " 10.0.0.1/32 10.0.0.2/32" ]
check "the unknown peer is not created" [ "$(peers)" = "$a " ]
check "  ... and nobody has its allowed IP" \
	sh -c '! grep -q "10.0.0.3/32"' < <(ns_wg box show wg0 allowed-ips)

out=$(printf 'set=1\npublic_key=%s\nallowed_ip=10.0.0.3/32\n\n' "$(key_hex "$b")" | uapi box wg0)
want=$(printf '%s\n%s\n' "$a" "$b" | LC_ALL=C sort | tr '\n' ' ')
check "control: without update_only the same peer is created" \
	[ "$(printf '%s\n' "$out" | uapi_errno)" = 0 -a "$(peers)" = "$want" ]
finish
