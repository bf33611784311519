#!/bin/bash
# The stock wg(8) drives the DUT over its control socket: every `wg set`
# option, setconf / addconf / syncconf, `show all dump`, showconf round
# trips, 130,561 allowed IPs, and the error replies (read raw from the
# socket with python3).
#
#   ns a                                   ns b
#   wg0, wg1 (DUT)                         wg0 ($PEER_IMPL)
#   wg0 10.40.0.1       <== tunnel ==>     wg0 10.40.0.2     (part 9 only)
#   a-b 192.168.80.1   ------ veth ------  b-a 192.168.80.2
#
# Parts: 1 socket and directory modes; 2 wg set, option by option; 3 wg
# show all dump; 4 setconf/showconf round trips; 5 addconf; 6 error
# replies (errno=-22, -71) and, for rampartd only, all-or-nothing sets
# and the connection going on after an error; 7 listen-port in use
# (-EADDRINUSE, and wg's strerror); 8 130,561 allowed IPs; 9 sessions
# survive `wg set` of the same private key and a syncconf that leaves the
# peer alone; a repeated setconf (which replaces every peer, as in the
# kernel) keeps the tunnel working; negative control: removing and
# re-adding the peer does make a new handshake.
#
# wg(8) checks what it sends, so it never provokes -EINVAL or -EPROTO by
# itself: part 6 puts a proxy socket between wg and the DUT that adds the
# bad line, and checks that wg prints the matching strerror for the DUT's
# reply.  A port in use (part 7) is a real error wg can provoke.
#
# rampartd-only (skipped for other implementations, which apply a set
# line by line and unbind on a failed rebind): 6b, 6c, 7c.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT" "$PEER_IMPL"
ns_watchdog 150

echo "# DUT=$DUT ($(impl_name "$DUT")), PEER_IMPL=$PEER_IMPL ($(impl_name "$PEER_IMPL"))"
for k in a b p1 p2 p3 p4 p8 p9; do wg_key "$k" >/dev/null || { not_ok "keys"; finish; exit 1; }; done
wg_psk x
pub() { cat "$NS_TMP/$1.pub"; }
PUB_A=$(pub a); PUB_B=$(pub b)
if impl_is_rampartd "$DUT"; then RD=1; else RD=0; fi

ns_add a && ns_add b && ns_link a b 192.168.80.1/24 192.168.80.2/24 || {
	not_ok "namespaces"; finish; exit 1; }

# ---- 1. modes ---------------------------------------------------------
# No /run/wireguard yet: the daemon makes it (0755) and the socket
# (no access for group or other).
ns_run a rmdir /run/wireguard
if ns_daemon a "$DUT" wg0; then ok "DUT starts and creates /run/wireguard"; else
	not_ok "DUT starts"; finish; exit 1; fi
DMODE=$(stat -c %a "/proc/${NS_HOLDER[a]}/root/run/wireguard")
SMODE=$(stat -c %A "$(ns_sock a wg0)")
check "directory /run/wireguard is 0755 (got $DMODE)" [ "$DMODE" = 755 ]
# The contract says "created under umask 077": wireguard-go's socket is
# srwx------, one made with fchmod 0600 is srw-------.  What matters is
# that only the owner can connect.
case $SMODE in
srw-------|srwx------) ok "socket is owner-only ($SMODE)" ;;
*) not_ok "socket is owner-only" "mode $SMODE" ;;
esac
check "socket is owned by root" [ "$(stat -c %u "$(ns_sock a wg0)")" = 0 ]

# ---- 2. wg set, option by option ---------------------------------------
P1=$(pub p1); P2=$(pub p2); P3=$(pub p3); P4=$(pub p4)
ns_wg a set wg0 private-key "$NS_TMP/a.key"
expect "set private-key: show private-key" "$(ns_wg a show wg0 private-key)" "$(cat "$NS_TMP/a.key")"
expect "set private-key: show public-key" "$(ns_wg a show wg0 public-key)" "$PUB_A"
ns_wg a set wg0 listen-port 51851
expect "set listen-port 51851: shown" "$(ns_wg a show wg0 listen-port)" 51851
check "set listen-port 51851: bound" ns_listening a udp 51851
ns_wg a set wg0 listen-port 0
LP=$(ns_wg a show wg0 listen-port)
if [ "${LP:-0}" -gt 0 ] && ns_listening a udp "$LP"; then
	ok "set listen-port 0: a random port ($LP) is bound"
else
	not_ok "set listen-port 0: a random port is bound" "listen-port '$LP'"
fi
ns_wg a set wg0 listen-port 51851
ns_wg a set wg0 fwmark 0x1234
marks=$(ns_run a ss -Hlune "sport = :51851" 2>/dev/null | grep -o 'fwmark:0x[0-9a-f]*' | sort -u)
expect "set fwmark 0x1234: shown" "$(ns_wg a show wg0 fwmark)" 0x1234
expect "set fwmark 0x1234: SO_MARK on the UDP socket(s) (ss -e)" "$marks" fwmark:0x1234
ns_wg a set wg0 fwmark 0
marks=$(ns_run a ss -Hlune "sport = :51851" 2>/dev/null | grep -o 'fwmark:0x[0-9a-f]*' | sort -u)
expect "set fwmark 0: off" "$(ns_wg a show wg0 fwmark)" off
expect "set fwmark 0: no mark left on the socket(s)" "$marks" ""

ns_wg a set wg0 peer "$P1" preshared-key "$NS_TMP/x.psk" endpoint 192.0.2.1:51000 \
	persistent-keepalive 25 allowed-ips 10.1.0.0/16,fd01::/64,192.168.1.5/32
# dump peer line: pub psk endpoint allowed-ips handshake rx tx keepalive
peer_dump() { ns_wg a show wg0 dump | awk -F '\t' -v k="$1" 'NR > 1 && $1 == k'; }
d=$(peer_dump "$P1")
IFS=$'\t' read -r _ dpsk dep dips _ _ _ dka <<< "$d"
expect "set peer: preshared-key" "$dpsk" "$(cat "$NS_TMP/x.psk")"
expect "set peer: endpoint" "$dep" 192.0.2.1:51000
expect "set peer: persistent-keepalive" "$dka" 25
expect "set peer: three allowed-ips" "$(tr ',' '\n' <<< "$dips" | sort | tr '\n' ' ')" \
	"10.1.0.0/16 192.168.1.5/32 fd01::/64 "
ns_wg a set wg0 peer "$P1" endpoint '[2001:db8::1]:51001'
expect "set peer: IPv6 endpoint" "$(wg_endpoint a wg0 "$P1")" '[2001:db8::1]:51001'
ns_wg a set wg0 peer "$P1" allowed-ips 10.2.0.0/24
expect "set peer allowed-ips replaces the list" "$(wg_show_field a wg0 allowed-ips "$P1")" 10.2.0.0/24
ns_wg a set wg0 peer "$P2" allowed-ips 10.2.0.0/24,10.3.0.0/24
expect "a prefix set on another peer moves to it" "$(wg_show_field a wg0 allowed-ips "$P1")" "(none)"
ns_wg a set wg0 peer "$P1" allowed-ips 10.4.0.0/24,fd04::/64
ns_wg a set wg0 peer "$P1" allowed-ips ""
expect "set peer allowed-ips \"\" clears the list" "$(wg_show_field a wg0 allowed-ips "$P1")" "(none)"
ns_wg a set wg0 peer "$P1" persistent-keepalive off preshared-key /dev/null
d=$(peer_dump "$P1")
IFS=$'\t' read -r _ dpsk _ _ _ _ _ dka <<< "$d"
expect "set peer persistent-keepalive off" "$dka" off
expect "set peer preshared-key /dev/null removes it" "$dpsk" "(none)"
ns_wg a set wg0 peer "$P1" remove
expect "set peer remove: gone, the other peer stays" \
	"$(ns_wg a show wg0 peers)" "$P2"
ns_wg a set wg0 peer "$PUB_A" allowed-ips 10.99.0.0/24
expect "a peer with the device's own public key is ignored" "$(peer_dump "$PUB_A")" ""
ns_wg a set wg0 private-key /dev/null
expect "set private-key /dev/null removes it" "$(ns_wg a show wg0 private-key)" "(none)"
ns_wg a set wg0 private-key "$NS_TMP/a.key"
ns_wg a set wg0 peer "$P2" remove

# ---- 3. wg show all dump, two interfaces ------------------------------
ns_daemon a "$DUT" wg1 && ns_wg a set wg1 listen-port 51861 fwmark 0x42 \
	peer "$P3" endpoint 192.0.2.3:3 allowed-ips 10.30.0.0/16,fd30::/48 persistent-keepalive 7
ns_wg a set wg0 peer "$P4" preshared-key "$NS_TMP/x.psk" allowed-ips 10.5.5.5/32
# wg lists the socket directory in readdir order: compare sorted.
DUMP=$(ns_wg a show all dump | sort)
want=$(printf '%s\n' \
	"wg0	$(cat "$NS_TMP/a.key")	$PUB_A	51851	off" \
	"wg0	$P4	$(cat "$NS_TMP/x.psk")	(none)	10.5.5.5/32	0	0	0	off" \
	"wg1	(none)	(none)	51861	0x42" \
	"wg1	$P3	(none)	192.0.2.3:3	$(ns_wg a show wg1 allowed-ips | cut -f2 | tr ' ' ',')	0	0	0	7" | sort)
if [ "$DUMP" = "$want" ] &&
   [ "$(ns_wg a show wg1 allowed-ips | cut -f2 | tr ' ' '\n' | sort | tr '\n' ' ')" = "10.30.0.0/16 fd30::/48 " ]; then
	ok "wg show all dump: both interfaces, every field"
else
	not_ok "wg show all dump: both interfaces, every field" "got:" "$DUMP" "want:" "$want"
fi
expect "wg show interfaces lists wg0 and wg1" "$(ns_wg a show interfaces | tr ' ' '\n' | sort | xargs)" "wg0 wg1"
ns_daemon_stop a wg1

# ---- 4. setconf / showconf round trips ----------------------------------
# canon: a wg config in a canonical form (sections as parsed, allowed
# IPs sorted, peers sorted by key), to compare what showconf prints with
# what was set.
NS_PY_CANON='
import sys
secs, cur = [], None
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    if line.startswith("["):
        cur = [line, {}]
        secs.append(cur)
        continue
    k, v = [x.strip() for x in line.split("=", 1)]
    if k == "AllowedIPs":
        v = ",".join(sorted(x.strip() for x in v.split(",") if x.strip()))
    cur[1][k] = v
iface = [s for s in secs if s[0] == "[Interface]"]
peers = sorted((s for s in secs if s[0] == "[Peer]"), key=lambda s: s[1]["PublicKey"])
for s in iface + peers:
    print(s[0])
    for k in sorted(s[1]):
        print(k, "=", s[1][k])
'
canon() { "$PYTHON" -c "$NS_PY_CANON" "$1"; }
X=$NS_TMP/x.conf
cat > "$X" <<EOF
[Interface]
ListenPort = 51851
FwMark = 0x99
PrivateKey = $(cat "$NS_TMP/a.key")

[Peer]
PublicKey = $P1
PresharedKey = $(cat "$NS_TMP/x.psk")
AllowedIPs = 10.1.0.0/16, fd01::/64, 192.168.1.5/32
Endpoint = 192.0.2.1:51000
PersistentKeepalive = 25

[Peer]
PublicKey = $P2
AllowedIPs = 10.2.0.0/24
Endpoint = [2001:db8::2]:51001

[Peer]
PublicKey = $P3

[Peer]
PublicKey = $P4
AllowedIPs = 0.0.0.0/0, ::/0
EOF
ns_wg a setconf wg0 "$X"
ns_wg a showconf wg0 > "$NS_TMP/show1.conf"
if [ "$(canon "$X")" = "$(canon "$NS_TMP/show1.conf")" ]; then
	ok "setconf X; showconf == X (normalised)"
else
	not_ok "setconf X; showconf == X (normalised)" "$(diff <(canon "$X") <(canon "$NS_TMP/show1.conf"))"
fi
ns_wg a setconf wg0 "$NS_TMP/show1.conf"
ns_wg a showconf wg0 > "$NS_TMP/show2.conf"
# Peers in the order the daemon keeps them (wireguard-go: Go map order,
# random), so compare canonical forms.
if [ "$(canon "$NS_TMP/show1.conf")" = "$(canon "$NS_TMP/show2.conf")" ]; then
	ok "setconf (showconf output); showconf gives the same again"
else
	not_ok "setconf (showconf output); showconf gives the same again" \
		"$(diff <(canon "$NS_TMP/show1.conf") <(canon "$NS_TMP/show2.conf"))"
fi

# ---- 5. addconf --------------------------------------------------------
# wg(8) marks every [Peer] read from a file replace_allowed_ips, so a
# peer listed again gets the file's prefixes; everything else stays.
cat > "$NS_TMP/add.conf" <<EOF
[Peer]
PublicKey = $P2
AllowedIPs = 10.2.1.0/24

[Peer]
PublicKey = $(pub p8)
AllowedIPs = 10.8.0.0/24
EOF
ns_wg a addconf wg0 "$NS_TMP/add.conf"
if [ "$(ns_wg a show wg0 peers | sort)" = "$(printf '%s\n' "$P1" "$P2" "$P3" "$P4" "$(pub p8)" | sort)" ] &&
   [ "$(wg_show_field a wg0 allowed-ips "$P2")" = 10.2.1.0/24 ] &&
   [ "$(wg_show_field a wg0 endpoints "$P2")" = '[2001:db8::2]:51001' ] &&
   [ "$(ns_wg a show wg0 fwmark)" = 0x99 ]; then
	ok "addconf adds a peer, replaces a listed peer's prefixes, keeps the rest"
else
	not_ok "addconf adds a peer, replaces a listed peer's prefixes, keeps the rest" "$(ns_wg a showconf wg0)"
fi

# ---- 6. error replies on the socket ------------------------------------
H1=$(key_hex "$P1")
# bad REQUEST ERRNO NAME: REQUEST with printf escapes (\n).
bad() {
	local got
	got=$(printf '%b' "$1" | uapi a wg0 | uapi_errno)
	if [ "$got" = "$2" ]; then ok "errno=$2: $3"; else not_ok "errno=$2: $3" "got '${got}'"; fi
}
bad 'set=1\nbogus_key=1\n\n' -22 "unknown device key"
bad "set=1\npublic_key=$H1\nbogus_key=1\n\n" -22 "unknown peer key"
bad 'set=1\nlisten_port=port\n\n' -22 "listen_port not a number"
bad 'set=1\nlisten_port=65536\n\n' -22 "listen_port out of range"
bad 'set=1\nprivate_key=zz\n\n' -22 "private_key not hex"
bad "set=1\npublic_key=$H1\nendpoint=nowhere\n\n" -22 "endpoint unparsable"
bad "set=1\npublic_key=$H1\nallowed_ip=10.0.0.0/33\n\n" -22 "allowed_ip prefix length 33"
bad "set=1\npublic_key=$H1\npersistent_keepalive_interval=65536\n\n" -22 "keepalive out of range"
bad "set=1\npublic_key=$H1\nprotocol_version=2\n\n" -22 "protocol_version 2"
bad 'set=1\nlisten_port\n\n' -71 "a line without '=' (EPROTO)"
bad 'set=1\nfwmark=0\n\n' 0 "a good set (control)"
check "get=1 answers errno=0 after the errors" \
	[ "$(printf 'get=1\n\n' | uapi a wg0 | uapi_errno)" = 0 ]

# wg's side of an error reply: a proxy socket wgx.sock in front of wg0's
# adds one bad line to the set wg sends, and hands the DUT's reply back
# to wg, which must print the matching strerror.
NS_PY_PROXY='
import socket, sys
bad = sys.argv[1].encode() + b"\n"
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind("/run/wireguard/wgx.sock")
srv.listen(1)
srv.settimeout(10)
req = b""
while not req:
    # wg connects once without a word to see that the socket is live.
    c, _ = srv.accept()
    c.settimeout(10)
    while not req.endswith(b"\n\n"):
        b = c.recv(65536)
        if not b:
            break
        req += b
d = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
d.settimeout(10)
d.connect("/run/wireguard/wg0.sock")
d.sendall(req[:-1] + bad + b"\n")
rep = b""
while not (rep.endswith(b"\n\n") and b"errno=" in rep):
    b = d.recv(65536)
    if not b:
        break
    rep += b
c.sendall(rep)
c.close()
'
# wg_via_proxy LINE: `wg set wgx fwmark 0` with LINE added; prints wg's
# stderr.
wg_via_proxy() {
	rm -f "$(ns_sock a wgx)"
	nsenter -t "${NS_HOLDER[a]}" -m -n -- timeout 15 "$PYTHON" -c "$NS_PY_PROXY" "$1" \
		>/dev/null 2>&1 </dev/null &
	local proxy=$!
	ns_wait_file a /run/wireguard/wgx.sock
	ns_wg a set wgx fwmark 0 2>&1
	wait "$proxy" 2>/dev/null
	rm -f "$(ns_sock a wgx)"
}
expect "wg prints strerror(EINVAL) for the DUT's errno=-22" \
	"$(wg_via_proxy bogus_key=1)" "Unable to modify interface: Invalid argument"
expect "wg prints strerror(EPROTO) for the DUT's errno=-71" \
	"$(wg_via_proxy no_equals_sign)" "Unable to modify interface: Protocol error"

if [ "$RD" = 1 ]; then
	before=$(ns_wg a showconf wg0)
	bad "set=1\nlisten_port=51852\nfwmark=7\npublic_key=$(key_hex "$(pub p9)")\nallowed_ip=10.9.0.0/24\nreplace_peers=true\nbogus=1\n\n" \
		-22 "a set with a bad line after good ones"
	if [ "$(ns_wg a showconf wg0)" = "$before" ]; then
		ok "6b all or nothing: the failed set changed nothing (rampartd)"
	else
		not_ok "6b all or nothing: the failed set changed nothing (rampartd)" \
			"$(diff <(echo "$before") <(ns_wg a showconf wg0))"
	fi
	r=$(printf 'set=1\nbogus=1\n\nget=1\n\n' | uapi a wg0 2)
	if [ "$(sed -n 's/^errno=//p' <<< "$r" | tr '\n' ' ')" = "-22 0 " ] &&
	   grep -q '^listen_port=51851$' <<< "$r"; then
		ok "6c after a failed set the connection answers the next get (rampartd)"
	else
		not_ok "6c after a failed set the connection answers the next get (rampartd)" "$r"
	fi
else
	skip "6b all or nothing on a failed set" "rampartd-only: $(impl_name "$DUT") applies line by line"
	skip "6c the connection goes on after a failed set" "rampartd-only: $(impl_name "$DUT") drops the rest of the stream"
fi

# ---- 7. listen-port in use ------------------------------------------------
nsenter -t "${NS_HOLDER[a]}" -m -n -- timeout 30 "$PYTHON" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 51859))
time.sleep(30)' >/dev/null 2>&1 </dev/null &
HOLD=$!
wait_for 5 ns_listening a udp 51859
out=$(ns_wg a set wg0 listen-port 51859 2>&1); rc=$?
if [ "$rc" -ne 0 ] && [ "$out" = "Unable to modify interface: Address already in use" ]; then
	ok "wg set listen-port to a port in use: wg prints strerror(EADDRINUSE)"
else
	not_ok "wg set listen-port to a port in use: wg prints strerror(EADDRINUSE)" "rc $rc: $out"
fi
ns_wg a set wg0 listen-port 51851 2>/dev/null
bad 'set=1\nlisten_port=51859\n\n' -98 "listen_port in use (EADDRINUSE)"
ns_wg a set wg0 listen-port 51851 2>/dev/null
if [ "$RD" = 1 ]; then
	printf 'set=1\nlisten_port=51859\n\n' | uapi a wg0 >/dev/null
	if [ "$(ns_wg a show wg0 listen-port)" = 51851 ] &&
	   [ -n "$(ns_run a ss -Hlun 'sport = :51851')" ]; then
		ok "7c a failed rebind keeps the old port bound (rampartd)"
	else
		not_ok "7c a failed rebind keeps the old port bound (rampartd)" \
			"listen-port $(ns_wg a show wg0 listen-port)" "$(ns_run a ss -Hlun)"
	fi
else
	skip "7c a failed rebind keeps the old port bound" "rampartd-only: $(impl_name "$DUT") is left unbound"
fi
kill "$HOLD" 2>/dev/null; wait "$HOLD" 2>/dev/null

# ---- 8. 130,561 allowed IPs ---------------------------------------------
# 65,281 IPv4 /32 and 65,280 IPv6 /128 over 8 peers, all distinct.
BIG=$NS_TMP/big.conf
"$PYTHON" - "$BIG" "$NS_TMP/a.key" <<'EOF'
import base64, ipaddress, os, sys
out, key = sys.argv[1], open(sys.argv[2]).read().strip()
total, peers = 130561, 8
v4 = [str(ipaddress.IPv4Address(0x0a800000 + i)) + "/32" for i in range(65281)]
v6 = [str(ipaddress.IPv6Address((0xfd42 << 112) + (i << 16) + 1)) + "/128" for i in range(total - 65281)]
ips = v4 + v6
with open(out, "w") as f:
    f.write("[Interface]\nPrivateKey = %s\nListenPort = 51851\n" % key)
    for p in range(peers):
        f.write("\n[Peer]\nPublicKey = %s\n" % base64.b64encode(os.urandom(32)).decode())
        for ip in ips[p::peers]:
            f.write("AllowedIPs = %s\n" % ip)
EOF
# big_same CONF SHOWN: every peer of CONF has exactly its prefixes in
# SHOWN (`wg show IF allowed-ips`).
NS_PY_BIGSAME='
import sys
want, cur = {}, None
for line in open(sys.argv[1]):
    k, _, v = line.partition(" = ")
    if k == "PublicKey":
        cur = want.setdefault(v.strip(), set())
    elif k == "AllowedIPs":
        cur.add(v.strip())
got = {}
for line in open(sys.argv[2]):
    pub, _, ips = line.rstrip("\n").partition("\t")
    got[pub] = set(ips.split()) - {"(none)"}
sys.exit(0 if got == want else 1)
'
t0=$(date +%s%N)
if NS_CMD_TIMEOUT=60 ns_wg a setconf wg0 "$BIG"; then
	t1=$(date +%s%N)
	NS_CMD_TIMEOUT=60 ns_wg a show wg0 allowed-ips > "$NS_TMP/big.shown"
	n=$(cut -f2 "$NS_TMP/big.shown" | wc -w)
	expect "setconf with 130,561 allowed IPs ($(( (t1 - t0) / 1000000 )) ms): show allowed-ips counts them all" \
		"$n" 130561
	check "130,561 allowed IPs: each of the 8 peers has exactly its own" \
		"$PYTHON" -c "$NS_PY_BIGSAME" "$BIG" "$NS_TMP/big.shown"
else
	not_ok "setconf with 130,561 allowed IPs" "wg setconf failed or timed out"
fi

# ---- 9. sessions survive unchanged settings -------------------------------
CONF=$NS_TMP/sess.conf
cat > "$CONF" <<EOF
[Interface]
PrivateKey = $(cat "$NS_TMP/a.key")
ListenPort = 51851

[Peer]
PublicKey = $PUB_B
AllowedIPs = 10.40.0.2/32
Endpoint = 192.168.80.2:51852

[Peer]
PublicKey = $(pub p8)
AllowedIPs = 10.8.0.0/24
EOF
ns_wg a setconf wg0 "$CONF" && wg_if_up a wg0 10.40.0.1/24 &&
ns_daemon b "$PEER_IMPL" wg0 &&
ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51852 peer "$PUB_A" allowed-ips 10.40.0.1/32 &&
wg_if_up b wg0 10.40.0.2/24
check "tunnel a <-> b configured (setconf on the DUT)" [ $? -eq 0 ]
ns_run a ping -n -q -c 1 -W 5 10.40.0.2 >/dev/null 2>&1
wait_handshake a wg0 "$PUB_B" 5 && wait_handshake b wg0 "$PUB_A" 5
check "handshake" [ $? -eq 0 ]
HS_A=$(wg_handshake a wg0 "$PUB_B"); HS_B=$(wg_handshake b wg0 "$PUB_A")
# latest-handshakes has one-second resolution: let the clock pass the
# handshake's second, so that any new handshake would show.
later() { [ "$(date +%s)" -ge $((HS_A + 2)) ]; }
wait_for 3 later
same_session() {
	[ "$(wg_handshake a wg0 "$PUB_B")" = "$HS_A" ] && [ "$(wg_handshake b wg0 "$PUB_A")" = "$HS_B" ]
}

ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51851 fwmark 0
if ns_ping a -c 3 -i 0.2 -w 5 10.40.0.2 && same_session; then
	ok "wg set with the same private key, port, fwmark: ping goes on, no new handshake"
else
	not_ok "same private key keeps the session" "handshake a $HS_A -> $(wg_handshake a wg0 "$PUB_B"), b $HS_B -> $(wg_handshake b wg0 "$PUB_A")"
fi

sed -e "s|$(pub p8)|$(pub p9)|" -e 's|10.8.0.0/24|10.9.0.0/24|' "$CONF" > "$NS_TMP/sync.conf"
ns_wg a syncconf wg0 "$NS_TMP/sync.conf"
if [ "$(ns_wg a show wg0 peers | sort)" = "$(printf '%s\n' "$PUB_B" "$(pub p9)" | sort)" ]; then
	ok "syncconf: p8 removed, p9 added"
else
	not_ok "syncconf: p8 removed, p9 added" "$(ns_wg a show wg0 peers)"
fi
if ns_ping a -c 3 -i 0.2 -w 5 10.40.0.2 && same_session; then
	ok "syncconf leaving the peer alone: ping goes on, no new handshake"
else
	not_ok "syncconf keeps the session" "handshake a $HS_A -> $(wg_handshake a wg0 "$PUB_B"), b $HS_B -> $(wg_handshake b wg0 "$PUB_A")"
fi

# setconf sends replace_peers=true: the kernel and wireguard-go (and the
# contract) remove every peer and add them again, so the session does not
# survive, the resent private key notwithstanding; the tunnel must go on
# working through a new handshake.
HS_A0=$(wg_handshake a wg0 "$PUB_B")
ns_wg a setconf wg0 "$NS_TMP/sync.conf"
if ns_ping a -c 3 -i 0.2 -w 8 10.40.0.2; then
	ok "repeated setconf: ping goes on (handshake $HS_A0 -> $(wg_handshake a wg0 "$PUB_B"))"
else
	not_ok "repeated setconf: ping goes on" "$(cat "$NS_TMP/ping.out")"
fi
HS_A=$(wg_handshake a wg0 "$PUB_B"); HS_B=$(wg_handshake b wg0 "$PUB_A")
wait_for 3 later

# Negative control: the check above can see a new session.
ns_wg a set wg0 peer "$PUB_B" remove
ns_wg a set wg0 peer "$PUB_B" allowed-ips 10.40.0.2/32 endpoint 192.168.80.2:51852
if ns_ping a -c 3 -i 0.2 -w 8 10.40.0.2 && ! same_session &&
   [ "$(wg_handshake a wg0 "$PUB_B")" -gt "$HS_A" ]; then
	ok "control: removing and re-adding the peer makes a new handshake"
else
	not_ok "control: removing and re-adding the peer makes a new handshake" \
		"handshake a $HS_A -> $(wg_handshake a wg0 "$PUB_B")"
fi

ns_daemon_stop a wg0; rc=$?
check "DUT exits 0 on SIGTERM" [ "$rc" -eq 0 ]
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
