#!/bin/bash
# rampart strip against the real wireguard-tools: for every fixture in
# tests/golden/conf, the output must equal "wg-quick strip" byte for byte
# and wg(8) must parse it; then the error and name-resolution paths.
#
#   fixture --cp--> $tmp/NAME.conf --+--> rampart strip --+--> diff
#                                    +--> wg-quick strip -+
#                   rampart strip output --> wg setconf <absent ifname>
#                   ("Configuration parsing error" means wg refused it)
set -u
. "$(dirname "$0")/../lib.sh"
top=$RAMPART_TOP
case $RAMPART in /*) ;; *) RAMPART=$top/$RAMPART ;; esac
# wg and wg-quick come with wireguard-tools, which scripts/deps.sh
# installs: missing, they are a failure, not a skip.
need_tool wg wg-quick
tmp=$NS_TMP
umask 077

have_wgquick=0
if [ "$(id -u)" = 0 ]; then
	have_wgquick=1 # wg-quick re-executes itself with sudo otherwise
fi
have_wg=1

# An interface name that does not exist, so that "wg setconf" parses the
# file and then fails to find the device, changing nothing.
absent=rpstrip$$
absent=${absent:0:15}
[ -e "/sys/class/net/$absent" ] && have_wg=0 # a real skip, counted as one

# wg(8) resolves endpoint names while parsing; the fixtures' names do not
# resolve here, so give it a documentation address instead.  A name has a
# letter and no ':' or '['; addresses are left alone.
unresolve() {
	sed -E 's/^([Ee][Nn][Dd][Pp][Oo][Ii][Nn][Tt][[:space:]]*=[[:space:]]*)[A-Za-z0-9.-]*[A-Za-z][A-Za-z0-9.-]*(:[0-9]+[[:space:]]*(#.*)?)$/\1192.0.2.1\2/'
}

wg_accepts() { # file
	local out
	out=$(unresolve < "$1" | WG_ENDPOINT_RESOLUTION_RETRIES=0 wg setconf "$absent" /dev/stdin 2>&1)
	if printf '%s\n' "$out" | grep -q 'Configuration parsing error'; then
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		return 1
	fi
	return 0
}

same_as_wgquick() { # conf file
	"$RAMPART" strip "$1" > "$tmp/ours" 2> "$tmp/ours.err" || {
		sed 's/^/    /' "$tmp/ours.err" >&2
		return 1
	}
	wg-quick strip "$1" > "$tmp/theirs" 2>/dev/null || return 1
	cmp -s "$tmp/ours" "$tmp/theirs" || {
		diff "$tmp/ours" "$tmp/theirs" | sed 's/^/    /' >&2
		return 1
	}
}

for f in "$top"/tests/golden/conf/*.conf; do
	name=$(basename "$f" .conf)
	cp "$f" "$tmp/$name.conf"
	if [ $have_wgquick = 1 ]; then
		check "$name: same output as wg-quick strip" same_as_wgquick "$tmp/$name.conf"
	else
		skip "$name: same output as wg-quick strip" "needs wg-quick and root"
	fi
	"$RAMPART" strip "$tmp/$name.conf" > "$tmp/$name.stripped" 2>/dev/null
	if [ $have_wg = 1 ]; then
		check "$name: wg setconf parses the output" wg_accepts "$tmp/$name.stripped"
	else
		skip "$name: wg setconf parses the output" "no wg"
	fi
done

# Layout wg-quick keeps or drops: indentation, CRLF, comments after values,
# case, a last line without a newline.
printf '  # lead\n[interface]  \n\tPrivateKey = %s  # k\r\nADDRESS = 10.0.0.1/24\n\n%s\n%s\n[ Peer ]\npublickey=%s\n  AllowedIPs = 10.0.0.2/32 , 10.0.0.3/32\nEndpoint = [fe80::1%%lo]:51820' \
	"8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk=" "PostUp = echo 'a=b' # c" \
	"savecONFIG = TRUE" "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8=" > "$tmp/layout.conf"
if [ $have_wgquick = 1 ]; then
	check "layout: same output as wg-quick strip" same_as_wgquick "$tmp/layout.conf"
else
	skip "layout: same output as wg-quick strip" "needs wg-quick and root"
fi
"$RAMPART" strip "$tmp/layout.conf" > "$tmp/layout.stripped" 2>/dev/null
if [ $have_wg = 1 ]; then
	check "layout: wg setconf parses the output" wg_accepts "$tmp/layout.stripped"
else
	skip "layout: wg setconf parses the output" "no wg"
fi

# An empty AllowedIPs line is dropped: wg(8) would refuse it.
printf '[Peer]\nPublicKey = RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8=\nAllowedIPs =\n' > "$tmp/empty.conf"
check "empty AllowedIPs line dropped" \
	test "$("$RAMPART" strip "$tmp/empty.conf")" = "$(printf '[Peer]\nPublicKey = RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8=')"

# Errors: nothing on stdout, "rampart strip: FILE:LINE: ..." and status 1.
printf '[Interface]\nListenPort = 51820\n[Peer]\nPublicKey = abc\n' > "$tmp/bad.conf"
"$RAMPART" strip "$tmp/bad.conf" > "$tmp/out" 2> "$tmp/err"
rc=$?
check "bad file: exit status 1" test $rc = 1
check "bad file: nothing on stdout" test ! -s "$tmp/out"
check "bad file: message names file and line" test "$(cat "$tmp/err")" = \
	"rampart strip: $tmp/bad.conf:4: PublicKey: invalid key \"abc\": not 44 characters of base64"

printf '[Interface]\nPrivateKey = 8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk\n' > "$tmp/secret.conf"
"$RAMPART" strip "$tmp/secret.conf" > /dev/null 2> "$tmp/err"
check "bad private key is not echoed" test "$(cat "$tmp/err")" = \
	"rampart strip: $tmp/secret.conf:2: PrivateKey: invalid key (hidden): not 44 characters of base64"

# A bare interface name means /etc/wireguard/NAME.conf, as in wg-quick.
name=rpabsent$$
name=${name:0:15}
if [ ! -e "/etc/wireguard/$name.conf" ]; then
	"$RAMPART" strip "$name" > /dev/null 2> "$tmp/err"
	rc=$?
	check "interface name: looks in /etc/wireguard" test $rc = 1 -a "$(cat "$tmp/err")" = \
		"rampart strip: /etc/wireguard/$name.conf: No such file or directory"
else
	skip "interface name: looks in /etc/wireguard" "$name.conf exists"
fi

"$RAMPART" strip > /dev/null 2>&1
check "no argument: usage and status 1" test $? = 1
"$RAMPART" strip a b > /dev/null 2>&1
check "two arguments: usage and status 1" test $? = 1
"$RAMPART" strip --help > /dev/null 2>&1
check "--help: status 0" test $? = 0

# Negative control for the wg check: the unstripped file has wg-quick keys,
# which wg(8) must refuse, or wg_accepts proves nothing.
if [ $have_wg = 1 ]; then
	check "control: wg setconf refuses an unstripped file" \
		eval '! wg_accepts "$top/tests/golden/conf/s2-server.conf" 2>/dev/null'
else
	skip "control: wg setconf refuses an unstripped file" "no wg"
fi

finish
