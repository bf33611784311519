#!/bin/bash
# rampart peer request NAME on the client's machine, against the real
# wireguard-tools: the private key goes to a new 0600 file and nowhere
# else; stdout (or --out) carries exactly the two lines of the request,
# whose public key is `wg pubkey < keyfile`; nothing is overwritten, and
# a refusal leaves nothing behind.
#
#   rampart peer request NAME --+--> ./NAME.key (0600)  --> wg pubkey --+
#                               +--> stdout: Name = NAME                +--> equal
#                                            PublicKey = ... -----------+
set -u
. "$(dirname "$0")/../lib.sh"
case $RAMPART in /*) ;; *) RAMPART=$RAMPART_TOP/$RAMPART ;; esac
need_tool wg
tmp=$NS_TMP # removed by the library on exit
b64re='[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]='

# The `peer' dispatcher comes with the inventory's store (src/cli/peer.c);
# a build without it cannot run any of this.
if "$RAMPART" peer request --help 2>&1 | grep -q "invalid subcommand"; then
	skip "rampart peer request" "this build has no \`rampart peer' (src/cli/peer.c)"
	finish
	exit
fi

# 1. Default key file ./NAME.key, 0600 whatever the umask; the request is
#    exactly two lines; its key is the key file's public key.
cd "$tmp" || bail "cd $tmp"
(umask 000; "$RAMPART" peer request alice-phone > out 2> err)
rc=$?
mode=$(stat -c %a alice-phone.key 2>/dev/null)
pub=$(wg pubkey < alice-phone.key 2>/dev/null)
check "peer request exits 0" [ "$rc" = 0 ]
check "the key file is NAME.key, mode 0600 under umask 000" [ "$mode" = 600 ]
check "the key file is 44 base64 characters and a newline" \
	bash -c "[ \"\$(wc -c < alice-phone.key)\" = 45 ] && grep -Eqx '$b64re' alice-phone.key"
if [ "$(cat out)" = "$(printf 'Name = alice-phone\nPublicKey = %s' "$pub")" ] &&
	[ "$(wc -l < out)" = 2 ] && [ -n "$pub" ]; then
	ok "stdout is exactly Name and PublicKey (wg pubkey of the key file)"
else
	not_ok "stdout is exactly Name and PublicKey" "$(cat out)" "want key $pub"
fi
priv=$(cat alice-phone.key)
if ! grep -qF "$priv" out err; then
	ok "the private key is on neither stdout nor stderr"
else
	not_ok "the private key is on neither stdout nor stderr"
fi

# 2. Never overwritten: a second request for the name is refused, the key
#    unchanged, nothing on stdout.
"$RAMPART" peer request alice-phone > out2 2> err2
rc=$?
if [ "$rc" != 0 ] && [ "$(cat alice-phone.key)" = "$priv" ] && [ ! -s out2 ] &&
	grep -q "alice-phone.key" err2; then
	ok "an existing key file is refused and left as it was"
else
	not_ok "an existing key file is refused" "rc $rc" "$(cat err2)"
fi

# 3. --key-file and --out: the request in a new file, stdout empty; the
#    key file does not follow a symlink.
"$RAMPART" peer request bob --key-file "$tmp/bob.secret" --out "$tmp/bob.req" > out3 2>/dev/null
rc=$?
pub=$(wg pubkey < "$tmp/bob.secret" 2>/dev/null)
if [ "$rc" = 0 ] && [ ! -s out3 ] && [ "$(stat -c %a "$tmp/bob.secret")" = 600 ] &&
	[ "$(cat "$tmp/bob.req")" = "$(printf 'Name = bob\nPublicKey = %s' "$pub")" ]; then
	ok "--key-file and --out: the request in the file, nothing on stdout"
else
	not_ok "--key-file and --out" "rc $rc" "$(cat out3)"
fi
ln -s "$tmp/target" "$tmp/link"
if ! "$RAMPART" peer request carol --key-file "$tmp/link" > out4 2>/dev/null &&
	[ ! -e "$tmp/target" ] && [ ! -s out4 ]; then
	ok "the key file does not follow a symlink"
else
	not_ok "the key file does not follow a symlink"
fi

# 4. A refusal leaves nothing behind: --out that exists removes the key
#    file made for it; a bad name makes no file.
: > "$tmp/taken.req"
if ! "$RAMPART" peer request dave --out "$tmp/taken.req" > out5 2>/dev/null &&
	[ ! -e dave.key ] && [ ! -s "$tmp/taken.req" ]; then
	ok "an existing --out file is refused and no key file stays"
else
	not_ok "an existing --out file is refused and no key file stays"
fi
if ! "$RAMPART" peer request '../evil' > out6 2> err6 && [ ! -e ../evil.key ] &&
	[ ! -s out6 ] && grep -q "invalid name" err6; then
	ok "an invalid name is refused before any file is made"
else
	not_ok "an invalid name is refused" "$(cat err6)"
fi

# 5. Distinct keys each time.
"$RAMPART" peer request erin > /dev/null 2>&1
"$RAMPART" peer request frank > /dev/null 2>&1
check "two requests make two different keys" bash -c '! cmp -s erin.key frank.key'

finish
