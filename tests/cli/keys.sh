#!/bin/bash
# rampart genkey / genpsk / pubkey against the real wireguard-tools: the
# keys must be interchangeable with wg's, byte for byte.
set -u
. "$(dirname "$0")/../lib.sh"
tmp=$NS_TMP # removed by the library on exit
# Prints the first few problems of a loop, not a thousand.
notes=0
note() { notes=$((notes + 1)); [ "$notes" -le 3 ] && echo "  $*" >&2; return 0; }
b64re='^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$'

# 1. Format: 44 base64 characters and a newline, a clamped scalar.
out=$("$RAMPART" genkey > "$tmp/k" 2>"$tmp/err"; echo $?)
k=$(cat "$tmp/k")
clamp=$(printf '%s' "$k" | base64 -d | od -An -tu1 -v | tr -s ' \n' ' ')
first=$(echo "$clamp" | awk '{print $1}'); last=$(echo "$clamp" | awk '{print $32}')
if [ "$out" = 0 ] && [ "$(wc -c < "$tmp/k")" = 45 ] && [[ $k =~ $b64re ]] &&
	[ $((first & 7)) = 0 ] && [ $((last & 128)) = 0 ] && [ $((last & 64)) = 64 ]; then
	ok "genkey prints a clamped base64 key and a newline"
else
	not_ok "genkey prints a clamped base64 key and a newline" "got '$k' ($first..$last)"
fi

# 2. 1000 keys from rampart genkey: wg pubkey accepts every one and agrees
#    with rampart pubkey.  The release binary carries the volume; the
#    sanitized one takes every tenth key.
bad=0
for i in $(seq 1000); do
	bin=$RAMPART_REL; [ $((i % 10)) = 0 ] && bin=$RAMPART
	k=$("$bin" genkey 2>/dev/null)
	theirs=$(printf '%s\n' "$k" | wg pubkey 2>&1) || { bad=$((bad + 1)); note "wg rejected '$k': $theirs"; continue; }
	ours=$(printf '%s\n' "$k" | "$bin" pubkey 2>&1) || { bad=$((bad + 1)); note "rampart rejected '$k': $ours"; continue; }
	[ "$ours" = "$theirs" ] || { bad=$((bad + 1)); note "differ for $k: $ours vs $theirs"; }
done
check "rampart pubkey = wg pubkey on 1000 rampart genkey keys" [ "$bad" = 0 ]

# 3. wg's own keys and raw unclamped 32-byte strings: same public keys.
bad=0
for i in $(seq 300); do
	if [ $((i % 2)) = 0 ]; then k=$(wg genkey); else k=$(head -c 32 /dev/urandom | base64); fi
	[ "$(printf '%s\n' "$k" | "$RAMPART_REL" pubkey)" = "$(printf '%s\n' "$k" | wg pubkey)" ] ||
		{ bad=$((bad + 1)); note "differ for $k"; }
done
check "rampart pubkey = wg pubkey on wg genkey and unclamped keys" [ "$bad" = 0 ]

# 4. genpsk: 32 random bytes, base64, distinct each time.
a=$("$RAMPART" genpsk 2>/dev/null); b=$("$RAMPART" genpsk 2>/dev/null)
if [[ $a =~ ^[A-Za-z0-9+/]{43}=$ ]] && [ "$a" != "$b" ] &&
	[ "$(printf '%s' "$a" | base64 -d | wc -c)" = 32 ] && printf '%s\n' "$a" | wg pubkey >/dev/null; then
	ok "genpsk prints distinct 32-byte base64 keys that wg accepts"
else
	not_ok "genpsk prints distinct 32-byte base64 keys" "$a / $b"
fi

# 5. FILE argument: a new 0600 file whatever the umask; never overwrites
#    and never follows a symlink.
(umask 000; "$RAMPART" genkey "$tmp/priv.key" 2>/dev/null)
mode=$(stat -c %a "$tmp/priv.key" 2>/dev/null)
if [ "$mode" = 600 ] && printf '%s\n' "$(cat "$tmp/priv.key")" | wg pubkey >/dev/null; then
	ok "genkey FILE creates a 0600 key file under umask 000"
else
	not_ok "genkey FILE creates a 0600 key file" "mode $mode"
fi
before=$(cat "$tmp/priv.key")
if ! "$RAMPART" genkey "$tmp/priv.key" 2>"$tmp/err" && [ "$(cat "$tmp/priv.key")" = "$before" ] &&
	grep -q "priv.key" "$tmp/err"; then
	ok "genkey FILE refuses to overwrite an existing file"
else
	not_ok "genkey FILE refuses to overwrite an existing file" "$(cat "$tmp/err")"
fi
ln -s "$tmp/target" "$tmp/link"
if ! "$RAMPART" genpsk "$tmp/link" 2>/dev/null && [ ! -e "$tmp/target" ]; then
	ok "genpsk FILE does not follow a symlink"
else
	not_ok "genpsk FILE does not follow a symlink"
fi

# 6. The world-readable warning, exactly as wg prints it (negative control:
#    none for a private file).
for tool in wg "$RAMPART"; do
	rm -f "$tmp/o644" "$tmp/o600"; touch "$tmp/o644" "$tmp/o600"
	chmod 644 "$tmp/o644"; chmod 600 "$tmp/o600"
	"$tool" genkey >>"$tmp/o644" 2>"$tmp/warn.$(basename "$tool")"
	"$tool" genkey >>"$tmp/o600" 2>"$tmp/nowarn.$(basename "$tool")"
done
if cmp -s "$tmp/warn.wg" "$tmp/warn.$(basename "$RAMPART")" && [ -s "$tmp/warn.wg" ] &&
	[ ! -s "$tmp/nowarn.$(basename "$RAMPART")" ]; then
	ok "genkey warns about a world-readable stdout file like wg, and only then"
else
	not_ok "genkey warns like wg" "$(cat "$tmp/warn.$(basename "$RAMPART")")"
fi

# 7. Malformed input to pubkey: exit 1, a message naming the problem,
#    nothing on stdout; wg rejects each one too.
good=$(wg genkey)
noncanon=${good%??}B=
cases=(
	"empty||"
	"short|abc|got 3 characters"
	"43 chars|${good%?}|got 43 characters"
	"45 chars|${good}A|got 45 characters"
	"bad character|${good:0:10}*${good:11}|not valid base64"
	"non-canonical end|$noncanon|non-canonical"
	"two keys|$good $good|trailing characters"
	"no padding|${good%=}A|not valid base64"
)
for c in "${cases[@]}"; do
	name=${c%%|*}; rest=${c#*|}; input=${rest%%|*}; want=${rest#*|}
	out=$(printf '%s\n' "$input" | "$RAMPART" pubkey 2>"$tmp/err"); rc=$?
	printf '%s\n' "$input" | wg pubkey >/dev/null 2>&1; wrc=$?
	if [ "$rc" = 1 ] && [ -z "$out" ] && [ "$wrc" != 0 ] && grep -q "pubkey:.*${want}" "$tmp/err"; then
		ok "pubkey rejects $name"
	else
		not_ok "pubkey rejects $name" "rc=$rc wg=$wrc out='$out' err='$(cat "$tmp/err")'"
	fi
done
out=$(printf 'abc\0def' | "$RAMPART" pubkey 2>"$tmp/err"); rc=$?
check "pubkey rejects a NUL byte" [ "$rc" = 1 -a -z "$out" ]
out=$(head -c 6000 /dev/zero | tr '\0' A | "$RAMPART" pubkey 2>"$tmp/err"); rc=$?
check "pubkey rejects overlong input without reading it all" [ "$rc" = 1 -a -z "$out" ]
out=$("$RAMPART" pubkey extra </dev/null 2>"$tmp/err"); rc=$?
if [ "$rc" = 1 ] && grep -q Usage "$tmp/err"; then ok "pubkey with an argument prints usage and fails"; else not_ok "pubkey with an argument prints usage"; fi
# Lenient where wg is strict, on purpose: surrounding whitespace.
out=$(printf '  %s \n\n' "$good" | "$RAMPART" pubkey)
check "pubkey accepts whitespace around the key" [ "$out" = "$(printf '%s\n' "$good" | wg pubkey)" ]

finish
