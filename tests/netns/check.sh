#!/bin/bash
# rampart check and rampart status against running daemons: every exit
# code of the Nagios/Icinga plugin (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)
# once at least, and the --json forms parsed by python3.
#
#   ns a                                 ns b
#   wg0 10.30.0.1 (DUT)          <==>    wg0 10.30.0.2 ($PEER_SIDE)
#     peer B  (endpoint b)                 peer A
#     peer C  (no endpoint: never)
#   a-b 192.168.61.1  -----veth-----  b-a 192.168.61.2
#
# C is a key with nobody behind it: it never handshakes.  One ping from a
# gives A and B a handshake.  Staleness needs a handshake at least 1 s old
# with --max-handshake-age 0: the stale tests come last, after a wait_for
# that polls until the wall clock has passed the handshake's second (at
# most 1 s, usually less after the tests before it; no fixed sleep).  The
# exit code 2 does not depend on it (C gives it), and every other age is
# covered by the fake-clock unit test (tests/unit/test_health.c).
set -u
. "$(dirname "$0")/../lib.sh"

: "${PEER_SIDE:=$DUT}"

ns_require
impl_require "$DUT" "$PEER_SIDE"
need_tool "$PYTHON"
ns_watchdog 90

keys() { wg_key a >/dev/null && wg_key b >/dev/null && wg_key c >/dev/null; }
setup "keys" keys
PUB_A=$(cat "$NS_TMP/a.pub")
PUB_B=$(cat "$NS_TMP/b.pub")
PUB_C=$(cat "$NS_TMP/c.pub")

setup "namespace a" ns_add a
setup "namespace b" ns_add b
setup "veth a-b" ns_link a b 192.168.61.1/24 192.168.61.2/24
setup "daemon in a" ns_daemon a "$DUT" wg0
setup "daemon in b" ns_daemon b "$PEER_SIDE" wg0
setup "configure a" ns_wg a set wg0 private-key "$NS_TMP/a.key" listen-port 51841 \
	peer "$PUB_B" allowed-ips 10.30.0.2/32 endpoint 192.168.61.2:51842 \
	peer "$PUB_C" allowed-ips 10.30.0.3/32
setup "configure b" ns_wg b set wg0 private-key "$NS_TMP/b.key" listen-port 51842 \
	peer "$PUB_A" allowed-ips 10.30.0.1/32
setup "wg0 up in a" wg_if_up a wg0 10.30.0.1/24
setup "wg0 up in b" wg_if_up b wg0 10.30.0.2/24

# rp NAME OUT ARGS...: rampart ARGS in NAME, stdout to $NS_TMP/OUT (stderr
# to OUT.err); sets RC.
rp() {
	local name=$1 out=$2; shift 2
	ns_run "$name" "$RAMPART" "$@" >"$NS_TMP/$out" 2>"$NS_TMP/$out.err"
	RC=$?
}

# expect_check LABEL NAME WANT_RC WANT_LINE_GLOB ARGS...: rampart check ARGS
# in NAME exits WANT_RC and prints exactly one line that matches the glob.
expect_check() {
	local label=$1 name=$2 want=$3 glob=$4 line lines; shift 4
	rp "$name" check.out check "$@"
	line=$(head -n 1 "$NS_TMP/check.out")
	lines=$(wc -l <"$NS_TMP/check.out")
	# shellcheck disable=SC2053  # the glob is meant
	if [ "$RC" = "$want" ] && [ "$lines" = 1 ] && [[ $line == $glob ]]; then
		ok "$label: exit $RC, $line"
	else
		not_ok "$label" "exit $RC, want $want" "output ($lines lines): $(cat "$NS_TMP/check.out")" \
			"want one line like: $glob" "stderr: $(cat "$NS_TMP/check.out.err")"
	fi
}

# --- before any handshake ----------------------------------------------

expect_check "no peer has connected yet: WARNING" a 1 \
	"RAMPART WARNING - wg0: 0/2 peers fresh, 2 never connected | peers=2;;;0 fresh=0;;;0;2 stale=0;;;0;2 never=2;;;0;2 oldest_handshake_age=U;;3600;0" \
	wg0 --max-handshake-age 3600

setup "ping a -> b (handshake)" ns_ping a -c 1 -w 10 10.30.0.2
setup "handshake seen in a" wait_handshake a wg0 "$PUB_B"

# --- after the handshake -----------------------------------------------

# expect_checks: one expect_check per line of stdin, fields separated by
# tabs: LABEL, NS, EXIT, LINE GLOB, ARGS (split on spaces; keys hold no
# glob characters).
expect_checks() {
	local label name rc glob args
	while IFS=$'\t' read -r label name rc glob args; do
		# shellcheck disable=SC2086
		expect_check "$label" "$name" "$rc" "$glob" $args
	done
}

expect_checks <<EOF
--peer B after a handshake, generous max age: OK	a	0	RAMPART OK - wg0 peer $PUB_B: latest handshake [0-9]* s ago (max 3600 s) | handshake_age=[0-9]*s;;3600;0	wg0 --peer $PUB_B --max-handshake-age 3600
--peer C that never handshook: CRITICAL	a	2	RAMPART CRITICAL - wg0 peer $PUB_C: no handshake yet | handshake_age=U;;3600;0	wg0 --peer $PUB_C --max-handshake-age 3600
interface with B fresh and C never: WARNING	a	1	RAMPART WARNING - wg0: 1/2 peers fresh, 1 never connected, oldest handshake [0-9]* s | *	wg0 --max-handshake-age 3600
negative control, b's only peer has connected: OK	b	0	RAMPART OK - wg0: 1/1 peers fresh, oldest handshake [0-9]* s | *	wg0 --max-handshake-age 3600
--peer with a key the interface does not have: UNKNOWN	b	3	RAMPART UNKNOWN - wg0 peer $PUB_C: no such peer	wg0 --peer $PUB_C --max-handshake-age 3600
an interface without a daemon: UNKNOWN	a	3	RAMPART UNKNOWN - nosuch0: cannot ask the daemon: *	nosuch0 --max-handshake-age 3600
a bad max age: UNKNOWN	a	3	RAMPART UNKNOWN - wg0: bad --max-handshake-age	wg0 --max-handshake-age 1m
a bad key (and no such name): UNKNOWN	a	3	RAMPART UNKNOWN - wg0: --peer: not a base64 public key nor a peer's name	wg0 --peer nokey --max-handshake-age 60
no max age: UNKNOWN	a	3	RAMPART UNKNOWN - wg0: --max-handshake-age is needed	wg0
EOF

# --- JSON --------------------------------------------------------------

# py_json FILE EXPR: evaluates the Python expression EXPR over j, FILE's
# JSON, and succeeds when it is true (a parse error fails).
py_json() {
	"$PYTHON" -c 'import json, sys
j = json.load(open(sys.argv[1]))
a, b, c = sys.argv[3:6]
sys.exit(0 if eval("(" + sys.argv[2].strip() + ")") else 1)' "$1" "$2" "$PUB_A" "$PUB_B" "$PUB_C"
}

rp a check.json check wg0 --peer "$PUB_B" --max-handshake-age 3600 --json
if [ "$RC" = 0 ] && py_json "$NS_TMP/check.json" \
	'j["verdict"] == "OK" and j["exit"] == 0 and j["peer"] == b and j["found"] is True and
	 j["interface"] == "wg0" and j["max_handshake_age"] == 3600 and
	 isinstance(j["oldest_handshake_age"], int) and j["output"].startswith("RAMPART OK - ")'; then
	ok "check --json: exit 0, verdict OK, the peer and its age"
else
	not_ok "check --json" "exit $RC: $(cat "$NS_TMP/check.json")"
fi

rp a status.json status wg0 --json
# shellcheck disable=SC2016
if [ "$RC" = 0 ] && py_json "$NS_TMP/status.json" '
	len(j["interfaces"]) == 1 and j["max_handshake_age"] == 180 and
	j["interfaces"][0]["interface"] == "wg0" and j["interfaces"][0]["public_key"] == a and
	j["interfaces"][0]["listen_port"] == 51841 and
	[p["public_key"] for p in j["interfaces"][0]["peers"]] == [b, c] and
	j["interfaces"][0]["peers"][0]["health"] == "ok" and
	j["interfaces"][0]["peers"][0]["endpoint"] == "192.168.61.2:51842" and
	j["interfaces"][0]["peers"][0]["allowed_ips"] == ["10.30.0.2/32"] and
	j["interfaces"][0]["peers"][0]["handshake_age"] >= 0 and
	j["interfaces"][0]["peers"][0]["latest_handshake"] > 0 and
	j["interfaces"][0]["peers"][0]["rx_bytes"] > 0 and j["interfaces"][0]["peers"][0]["tx_bytes"] > 0 and
	j["interfaces"][0]["peers"][0]["handshakes"] == 1 and
	j["interfaces"][0]["peers"][0]["endpoint_changes"] == 0 and
	j["interfaces"][0]["peers"][1]["rx_packets"] == 0 and j["interfaces"][0]["peers"][1]["handshakes"] == 0 and
	j["interfaces"][0]["peers"][1]["health"] == "never" and
	j["interfaces"][0]["peers"][1]["latest_handshake"] is None and
	j["interfaces"][0]["peers"][1]["handshake_age"] is None and
	j["interfaces"][0]["peers"][1]["endpoint"] is None and
	j["interfaces"][0]["peers"][1]["rx_bytes"] == 0'; then
	ok "status wg0 --json: keys, port, endpoint, allowed IPs, transfer, health ok and never"
else
	not_ok "status wg0 --json" "exit $RC: $(cat "$NS_TMP/status.json")" "$(cat "$NS_TMP/status.json.err")"
fi

rp b status-all.json status --json
if [ "$RC" = 0 ] && py_json "$NS_TMP/status-all.json" \
	'[i["interface"] for i in j["interfaces"]] == ["wg0"] and
	 [p["health"] for p in j["interfaces"][0]["peers"]] == ["ok"] and
	 j["interfaces"][0]["peers"][0]["public_key"] == a'; then
	ok "status --json without an interface lists b's one interface"
else
	not_ok "status --json (all)" "exit $RC: $(cat "$NS_TMP/status-all.json")"
fi

rp a status.txt status wg0
if [ "$RC" = 0 ] && grep -qx "interface: wg0" "$NS_TMP/status.txt" &&
   grep -qx "  peers: 2 (1 ok, 0 stale, 1 never; max handshake age 180 s)" "$NS_TMP/status.txt" &&
   grep -qx "peer: $PUB_C" "$NS_TMP/status.txt" &&
   grep -qx "  latest handshake: (never)" "$NS_TMP/status.txt" &&
   grep -qx "  packets: 0 received, 0 sent; handshakes: 0; endpoint changes: 0" "$NS_TMP/status.txt" &&
   [ "$(grep -c '^  health: ' "$NS_TMP/status.txt")" = 2 ] &&
   grep -qx "  health: ok" "$NS_TMP/status.txt" && grep -qx "  health: never" "$NS_TMP/status.txt"; then
	ok "status wg0 (text): the interface, both peers, health ok and never"
else
	not_ok "status wg0 (text)" "exit $RC" "$(cat "$NS_TMP/status.txt")"
fi

# Names: the "# Name = ..." comments of a config file given with --config.
printf '[Interface]\n[Peer]\n# Name = bob (b)\nPublicKey = %s\n[Peer]\nPublicKey = %s\n' \
	"$PUB_B" "$PUB_C" >"$NS_TMP/names.conf"
rp a status-names.json status wg0 --config "$NS_TMP/names.conf" --json
if [ "$RC" = 0 ] && py_json "$NS_TMP/status-names.json" \
	'[p["name"] for p in j["interfaces"][0]["peers"]] == ["bob (b)", None]'; then
	ok "status --config: the peer named in the file has its name, the other none"
else
	not_ok "status --config names" "exit $RC: $(cat "$NS_TMP/status-names.json")"
fi
rp a status-names.txt status wg0 --config "$NS_TMP/names.conf"
if [ "$RC" = 0 ] && grep -A1 -x "peer: $PUB_B" "$NS_TMP/status-names.txt" | grep -qx "  name: bob (b)"; then
	ok "status --config (text): the name under its peer"
else
	not_ok "status --config (text)" "exit $RC" "$(cat "$NS_TMP/status-names.txt")"
fi
rp a check-name.out check wg0 --peer "bob (b)" --config "$NS_TMP/names.conf" --max-handshake-age 3600
check "check --peer NAME (from --config): the named peer, OK" \
	grep -q "^RAMPART OK - wg0 peer $PUB_B: latest handshake" "$NS_TMP/check-name.out"
check "... exit 0" [ "$RC" = 0 ]
rp a check-noname.out check wg0 --peer "carol" --config "$NS_TMP/names.conf" --max-handshake-age 3600
check "check --peer with a name the file does not have: UNKNOWN, exit 3" [ "$RC" = 3 ]
rp a status-nonames.json status wg0 --config "$NS_TMP/missing.conf" --json
if [ "$RC" = 0 ] && grep -q "no peer names" "$NS_TMP/status-nonames.json.err" &&
   py_json "$NS_TMP/status-nonames.json" '[p["name"] for p in j["interfaces"][0]["peers"]] == [None, None]'; then
	ok "status --config with a missing file: said on stderr, no names, still exit 0"
else
	not_ok "status --config missing" "exit $RC" "$(cat "$NS_TMP/status-nonames.json.err")"
fi

rp a status-missing.txt status nosuch0
check "status of an interface without a daemon: exit 1" [ "$RC" = 1 ]

# --- stale -------------------------------------------------------------

# B's handshake is 1 s old or more once the clock has passed its second.
hs_b=$(wg_handshake a wg0 "$PUB_B")
past_handshake() { [ "$(date +%s)" -gt "$hs_b" ]; }
setup "B's handshake at least 1 s old" wait_for 3 past_handshake
expect_checks <<EOF
--peer B with max age 0: CRITICAL (stale)	a	2	RAMPART CRITICAL - wg0 peer $PUB_B: latest handshake [1-9]* s ago, older than 0 s | handshake_age=[1-9]*s;;0;0	wg0 --peer $PUB_B --max-handshake-age 0
interface with B stale: CRITICAL	a	2	RAMPART CRITICAL - wg0: 1/1 peers stale (handshake older than 0 s), 1 never connected, *	wg0 --max-handshake-age 0
EOF
rp a status-stale.json status wg0 --max-handshake-age 0 --json
if [ "$RC" = 0 ] && py_json "$NS_TMP/status-stale.json" \
	'[p["health"] for p in j["interfaces"][0]["peers"]] == ["stale", "never"] and j["max_handshake_age"] == 0'; then
	ok "status --max-handshake-age 0 --json: B stale, C never"
else
	not_ok "status --max-handshake-age 0 --json" "exit $RC: $(cat "$NS_TMP/status-stale.json")"
fi

check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
