#!/bin/bash
# rampart metrics serve, the exporter process, and rampartd's read-only
# statistics socket it reads.  The daemon: the statistics socket has the
# group it was given (RAMPART_STATS_GROUP, or --stats-group, which wins)
# and mode 0660, root's group without one; its get has no private_key or
# preshared_key line while the control socket's has both (the negative
# control); its set is refused with errno=-1 and changes nothing; an
# unknown group stops the daemon at start.  The exporter: it runs as
# nobody with CapEff/CapPrm/CapBnd 0, no_new_privs and exactly the
# statistics group; the scrape is valid for promtool and carries the
# peer's name from the 0600 config file it read before the drop, but no
# key; /, 404, HEAD and 405; a half-sent request is closed after the
# idle timeout; ":PORT" answers on IPv4 and IPv6; a bad --listen, a port in use, an unknown
# --user and a statistics socket in group root each fail with one line
# naming the value; SIGTERM ends it with status 0.
#
#   ns a                                   ns b
#   wg0 10.21.0.1 ($DUT)        <==>       wg0 10.21.0.2 ($DUT)
#     stats group $STATS_GID                 stats group root (none given)
#   exporter 127.0.0.1:$PORT as nobody     exporter refused (group root)
#   a-b 192.168.61.1  ---------veth-------  b-a 192.168.61.2
#
# The exporter is the sanitized rampart with leak detection off: after
# its setuid the process is not dumpable, and LeakSanitizer cannot trace
# it at exit (the drop would be undone to let it).
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$DUT"
need_tool promtool curl setpriv
ns_watchdog 120

# Numeric groups that need no entry in the host's /etc/group.
STATS_GID=4711
OTHER_GID=4712
PORT=9586

keys() { wg_key a >/dev/null && wg_key b >/dev/null && wg_psk ab; }
setup "keys" keys
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")
PSK=$(cat "$NS_TMP/ab.psk")
setup "namespaces" ns_add a
setup "namespaces" ns_add b
setup "veth" ns_link a b 192.168.61.1/24 192.168.61.2/24
RAMPART_STATS_GROUP=$STATS_GID setup "rampartd in a (RAMPART_STATS_GROUP=$STATS_GID)" ns_daemon a "$DUT" wg0
setup "rampartd in b (no group)" ns_daemon b "$DUT" wg0
setup "configure a" ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51841 \
	peer "$PUB_B" preshared-key "$NS_TMP/ab.psk" allowed-ips 10.21.0.2/32 endpoint 192.168.61.2:51842
setup "configure b" ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51842 \
	peer "$PUB_A" preshared-key "$NS_TMP/ab.psk" allowed-ips 10.21.0.1/32
setup "addresses a" wg_if_up a wg0 10.21.0.1/24
setup "addresses b" wg_if_up b wg0 10.21.0.2/24
setup "ping through the tunnel" ns_ping a -c 3 -i 0.2 -w 10 10.21.0.2

# The config file the exporter reads for the names: root's, 0600, with
# the keys wg-quick's file has.
(umask 077; cat > "$NS_TMP/a.conf" <<CONF
[Interface]
PrivateKey = $(cat "$NS_TMP/a.key")
ListenPort = 51841

[Peer]
# Name = bob-laptop
PublicKey = $PUB_B
PresharedKey = $PSK
AllowedIPs = 10.21.0.2/32
CONF
)

stats_path() { echo "/proc/${NS_HOLDER[$1]}/root/run/rampart-stats/$2.stats"; }
# stats NAME IF: stdin to IF's statistics socket in NAME, the reply out.
stats() { ns_run "$1" "$PYTHON" -c "$NS_PY_UAPI" "/run/rampart-stats/$2.stats" 1; }
sock_is() { [ -S "$1" ]; }

echo "# DUT=$DUT ($(impl_name "$DUT")) on both ends"
# ---- the statistics socket ----------------------------------------------
check "a: the statistics socket exists" wait_for 5 sock_is "$(stats_path a wg0)"
expect "a: mode 0660, owner root, group $STATS_GID" \
	"$(stat -c '%a %u %g' "$(stats_path a wg0)")" "660 0 $STATS_GID"
expect "b: without a group: mode 0660, root:root" \
	"$(stat -c '%a %u %g' "$(stats_path b wg0)")" "660 0 0"
expect "the statistics socket is not under /run/wireguard (wg show lists *.sock there)" \
	"$(ns_run a ls /run/wireguard)" "wg0.sock"

uapi a wg0 <<< $'get=1\n' > "$NS_TMP/control.get"
stats a wg0 <<< $'get=1\n' > "$NS_TMP/stats.get"
expect "negative control: the control socket's get has private_key and preshared_key" \
	"$(grep -c '^private_key=' "$NS_TMP/control.get") $(grep -c '^preshared_key=' "$NS_TMP/control.get")" "1 1"
expect "the statistics socket's get has neither" \
	"$(grep -c '^private_key=' "$NS_TMP/stats.get") $(grep -c '^preshared_key=' "$NS_TMP/stats.get")" "0 0"
expect "... nor the hex of either key anywhere" \
	"$(grep -c -e "$(key_hex "$(cat "$NS_TMP/a.key")")" -e "$(key_hex "$PSK")" "$NS_TMP/stats.get")" 0
expect "... and every other line of the control socket's, in order" \
	"$(grep -v -e '^private_key=' -e '^preshared_key=' -e '^last_handshake' -e '_bytes=' "$NS_TMP/control.get")" \
	"$(grep -v -e '^last_handshake' -e '_bytes=' "$NS_TMP/stats.get")"
expect "... errno=0" "$(uapi_errno < "$NS_TMP/stats.get")" 0

stats a wg0 <<< $'set=1\nlisten_port=4242\nreplace_peers=true\n' > "$NS_TMP/stats.set"
expect "set=1 on the statistics socket: errno=-1 (EPERM)" "$(uapi_errno < "$NS_TMP/stats.set")" -1
expect "... the listen port is unchanged" "$(ns_wg a show wg0 listen-port)" 51841
expect "... the peer is still there" "$(ns_wg a show wg0 peers)" "$PUB_B"
stats a wg0 <<< $'set=1\nprivate_key=0000000000000000000000000000000000000000000000000000000000000001\n' > "$NS_TMP/stats.set2"
expect "a private_key set on the statistics socket: errno=-1" "$(uapi_errno < "$NS_TMP/stats.set2")" -1
expect "... the private key is unchanged" "$(ns_wg a show wg0 private-key)" "$(cat "$NS_TMP/a.key")"

# As nobody with the statistics group: the statistics socket answers, the
# control socket does not (its mode is 0600 root).  /usr/bin/python3:
# nobody cannot run root's pyenv shims.  "errno=N" for an answer,
# "EACCES" for a refused connect.
NS_PY_CONNECT='
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except PermissionError:
    print("EACCES"); sys.exit(0)
s.sendall(b"get=1\n\n")
out = b""
while not out.endswith(b"\n\n"):
    b = s.recv(65536)
    if not b:
        break
    out += b
print([l for l in out.decode().splitlines() if l.startswith("errno=")][-1])
'
as_nobody() { ns_run a setpriv --reuid=65534 --regid=65534 --groups="$1" /usr/bin/python3 -c "$NS_PY_CONNECT" "$2" 2>&1; }
expect "nobody in group $STATS_GID: the statistics socket answers" \
	"$(as_nobody "$STATS_GID" /run/rampart-stats/wg0.stats)" "errno=0"
expect "nobody in group $STATS_GID: the control socket refuses the connection" \
	"$(as_nobody "$STATS_GID" /run/wireguard/wg0.sock)" "EACCES"
expect "nobody in another group: the statistics socket refuses the connection" \
	"$(as_nobody "$OTHER_GID" /run/rampart-stats/wg0.stats)" "EACCES"

# ---- the daemon's group option ------------------------------------------
# daemon_err NAME ARGS...: a daemon start that must fail; "STATUS|STDERR".
daemon_err() {
	local out rc
	out=$(ns_run "$1" "${@:2}" 2>&1 </dev/null); rc=$?
	echo "$rc|$out"
}
expect "rampartd --stats-group with an unknown name: exit 1, names it" \
	"$(daemon_err a "$DUT" -f --stats-group rampart-no-such-group wg9)" \
	"1|rampartd: --stats-group rampart-no-such-group: no such group"
expect "RAMPART_STATS_GROUP with an unknown name: exit 1, names it" \
	"$(daemon_err a env RAMPART_STATS_GROUP=rampart-no-such-group "$DUT" -f wg9)" \
	"1|rampartd: RAMPART_STATS_GROUP rampart-no-such-group: no such group"
expect "... and left no interface behind" "$(ip -n "$(ns_name a)" -o link show wg9 2>/dev/null | wc -l)" 0
nsenter -t "${NS_HOLDER[a]}" -m -n -- env RAMPART_STATS_GROUP=$STATS_GID "$DUT" -f \
	--stats-group "$OTHER_GID" wg1 >"$NS_TMP/a-wg1.log" 2>&1 </dev/null &
WG1_PID=$!
if wait_for 10 sock_is "$(stats_path a wg1)"; then
	expect "--stats-group $OTHER_GID wins over RAMPART_STATS_GROUP" \
		"$(stat -c '%a %g' "$(stats_path a wg1)")" "660 $OTHER_GID"
else
	not_ok "--stats-group $OTHER_GID: the statistics socket" "$(cat "$NS_TMP/a-wg1.log")"
fi
kill -TERM "$WG1_PID"
wait_for 10 ns_not_alive "$WG1_PID"
wait "$WG1_PID"
expect "... that daemon exits 0 on SIGTERM" "$?" 0
expect "... and removed its statistics socket" "$(ls "$(stats_path a wg1)" 2>/dev/null | wc -l)" 0

# ---- the exporter: failures --------------------------------------------
# serve_err NAME ARGS...: rampart metrics serve that must fail: "STATUS|LINES|STDERR".
serve_err() {
	local out rc
	out=$(ns_run "$1" env ASAN_OPTIONS=detect_leaks=0 "$RAMPART" metrics serve "${@:2}" 2>&1 </dev/null); rc=$?
	echo "$rc|$(printf '%s\n' "$out" | wc -l)|$out"
}
r=$(serve_err a --listen 127.0.0.1:99999 wg0)
expect "--listen 127.0.0.1:99999: exit 2, one line" "${r%%|*}|$(cut -d'|' -f2 <<< "$r")" "2|1"
case $r in *'127.0.0.1:99999'*) ok "... it names the value" ;; *) not_ok "... it names the value" "$r" ;; esac
r=$(serve_err a --listen localhost:9586 wg0)
expect "--listen localhost:9586 (a name): exit 2, one line naming it" "${r%%|*}|$(cut -d'|' -f2 <<< "$r")|$(grep -c 'localhost:9586' <<< "$r")" "2|1|1"
r=$(serve_err a --listen 127.0.0.1:$PORT --user rampart-no-such-user wg0)
expect "--user rampart-no-such-user: exit 2, one line" "${r%%|*}|$(cut -d'|' -f2 <<< "$r")" "2|1"
case $r in *'rampart-no-such-user: no such user'*) ok "... it names the user" ;; *) not_ok "... it names the user" "$r" ;; esac
r=$(serve_err b --listen 127.0.0.1:$PORT wg0)
expect "b's statistics socket is in group root: exit 1, one line" "${r%%|*}|$(cut -d'|' -f2 <<< "$r")" "1|1"
case $r in *'/run/rampart-stats/wg0.stats'*'--stats-group'*) ok "... it names the socket and the fix" ;;
	*) not_ok "... it names the socket and the fix" "$r" ;; esac

# ---- the exporter -----------------------------------------------------------
nsenter -t "${NS_HOLDER[a]}" -m -n -- env ASAN_OPTIONS=detect_leaks=0 "$RAMPART" metrics serve \
	--listen 127.0.0.1:$PORT --user nobody --config "$NS_TMP/a.conf" wg0 \
	>"$NS_TMP/exporter.log" 2>&1 </dev/null &
EXP_PID=$!
setup "the exporter listens on $PORT" wait_for 10 ns_listening a tcp "$PORT"

status_field() { sed -n "s/^$1:[[:space:]]*//; T; s/[[:space:]]*\$//; p" "/proc/$EXP_PID/status"; }
expect "exporter: Uid is nobody's (real, effective, saved, fs)" "$(status_field Uid)" $'65534\t65534\t65534\t65534'
expect "exporter: Gid is nogroup's" "$(status_field Gid)" $'65534\t65534\t65534\t65534'
expect "exporter: the supplementary groups are exactly the statistics group" "$(status_field Groups)" "$STATS_GID"
expect "exporter: CapEff 0" "$(status_field CapEff)" 0000000000000000
expect "exporter: CapPrm 0" "$(status_field CapPrm)" 0000000000000000
expect "exporter: CapInh 0" "$(status_field CapInh)" 0000000000000000
expect "exporter: CapBnd 0" "$(status_field CapBnd)" 0000000000000000
expect "exporter: CapAmb 0" "$(status_field CapAmb)" 0000000000000000
expect "exporter: NoNewPrivs 1" "$(status_field NoNewPrivs)" 1

# get PATH OUT [CURL ARGS]: the HTTP status of PATH, the body in $NS_TMP/OUT.
get() { ns_run a curl -s -m 10 -o "$NS_TMP/$2" -w '%{http_code}' "${@:3}" "http://127.0.0.1:$PORT$1"; }
expect "GET /metrics: 200" "$(get /metrics scrape)" 200
if out=$(promtool check metrics < "$NS_TMP/scrape" 2>&1); then ok "promtool accepts the scrape"; else not_ok "promtool accepts the scrape" "$out"; fi
expect "... rampart_up 1" "$(grep -c '^rampart_up{interface="wg0"} 1$' "$NS_TMP/scrape")" 1
if ns_run a test -e /proc/sys/net/netfilter/nf_conntrack_count; then
	expect "... the namespace's conntrack figures (anyone may read them)" \
		"$(grep -c -E '^rampart_conntrack_entries(_limit)? [0-9]+$' "$NS_TMP/scrape")" 2
else
	skip "... the namespace's conntrack figures" "conntrack is not loaded"
fi
expect "... the peer's name from the 0600 config on rampart_peer_info" \
	"$(grep -c "^rampart_peer_info{interface=\"wg0\",public_key=\"$PUB_B\",name=\"bob-laptop\",endpoint=\"192.168.61.2:51842\",allowed_ips=\"10.21.0.2/32\"} 1\$" "$NS_TMP/scrape")" 1
expect "... the bytes are wg show's" \
	"$(awk -v m="rampart_peer_receive_bytes_total{interface=\"wg0\",public_key=\"$PUB_B\"}" '$1 == m { print $2 }' "$NS_TMP/scrape") $(awk -v m="rampart_peer_transmit_bytes_total{interface=\"wg0\",public_key=\"$PUB_B\"}" '$1 == m { print $2 }' "$NS_TMP/scrape")" \
	"$(wg_transfer a wg0 "$PUB_B")"
expect "... no key in it" "$(grep -c -e "$(cat "$NS_TMP/a.key")" -e "$PSK" "$NS_TMP/scrape")" 0
ns_run a "$RAMPART" metrics --help >/dev/null 2>&1
ns_run a "$RAMPART" metrics wg0 > "$NS_TMP/direct" 2>/dev/null
expect "... the same samples as rampart metrics over the control socket (names aside)" \
	"$(grep -v -e '^rampart_peer_info' "$NS_TMP/scrape")" "$(grep -v -e '^rampart_peer_info' "$NS_TMP/direct")"
expect "GET /: 200, a page linking /metrics" "$(get / index) $(grep -c 'href="/metrics"' "$NS_TMP/index")" "200 1"
expect "GET /nope: 404" "$(get /nope nope)" 404
expect "HEAD /metrics: 200" "$(get /metrics head -I)" 200
expect "POST /metrics: 405" "$(get /metrics post -X POST -d x=1)" 405
# A client that never finishes its request is closed after the
# exporter's idle timeout (EXPORTER_TIMEOUT_S, 10 s): the seconds it
# held the connection, whole.
NS_PY_HALF='
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /metrics HTTP/1.1\r\nHost: t\r\n")
t = time.monotonic()
s.settimeout(30)
try:
    while s.recv(4096):
        pass
except OSError:
    pass
print(int(time.monotonic() - t))
'
held=$(ns_run a "$PYTHON" -c "$NS_PY_HALF" "$PORT")
# 9 to 15: the timeout, with room for a slow machine, well below the
# client's own 30 s.
case $held in 9|1[0-5]) ok "a half-sent request is closed after the 10 s idle timeout ($held s)" ;;
	*) not_ok "a half-sent request is closed after the 10 s idle timeout" "held $held s" ;; esac
r=$(serve_err a --listen 127.0.0.1:$PORT wg0)
expect "a second exporter on port $PORT: exit 1, one line" "${r%%|*}|$(cut -d'|' -f2 <<< "$r")" "1|1"
case $r in *"127.0.0.1:$PORT: Address already in use"*) ok "... it names the address" ;;
	*) not_ok "... it names the address" "$r" ;; esac
expect "the first exporter still answers" "$(get /metrics again)" 200

# ":PORT" is every address of both families on one socket.
nsenter -t "${NS_HOLDER[a]}" -m -n -- env ASAN_OPTIONS=detect_leaks=0 "$RAMPART" metrics serve \
	--listen ":$((PORT + 1))" --config "$NS_TMP/a.conf" wg0 >"$NS_TMP/exporter-any.log" 2>&1 </dev/null &
ANY_PID=$!
if wait_for 10 ns_listening a tcp $((PORT + 1)); then
	expect "--listen :$((PORT + 1)): one socket, on [::]" \
		"$(ns_run a ss -H -ltn "sport = :$((PORT + 1))" | awk '{ print $4 }')" "*:$((PORT + 1))"
	expect "... answers on 127.0.0.1 and on [::1]" \
		"$(ns_run a curl -s -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((PORT + 1))/metrics") $(ns_run a curl -s -m 10 -o /dev/null -w '%{http_code}' "http://[::1]:$((PORT + 1))/metrics")" "200 200"
else
	not_ok "--listen :$((PORT + 1)): listening" "$(cat "$NS_TMP/exporter-any.log")"
fi
kill -TERM "$ANY_PID"
wait_for 10 ns_not_alive "$ANY_PID"
wait "$ANY_PID"
expect "... exits 0 on SIGTERM" "$?" 0

ns_daemon_stop b wg0
expect "b's daemon exits 0 on SIGTERM" "$?" 0
ns_daemon_stop a wg0
expect "a's daemon exits 0 on SIGTERM" "$?" 0
expect "... its statistics socket is gone" "$(ls "$(stats_path a wg0)" 2>/dev/null | wc -l)" 0
expect "a scrape with the daemon gone: 200, rampart_up 0" \
	"$(get /metrics gone) $(grep -c '^rampart_up{interface="wg0"} 0$' "$NS_TMP/gone")" "200 1"

kill -TERM "$EXP_PID"
if wait_for 10 ns_not_alive "$EXP_PID"; then
	wait "$EXP_PID"
	expect "the exporter exits 0 on SIGTERM" "$?" 0
else
	not_ok "the exporter exits 0 on SIGTERM" "still running"
fi
check "no sanitizer reports in the logs" ns_sanitizer_clean
finish
