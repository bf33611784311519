#!/bin/bash
# rampart doctor on a hub, about a full-tunnel client, with each of seed
# 002's common mistakes planted alone: doctor must name that layer and no
# earlier one.
#
#   ns c (client, $PEER_IMPL)       ns r (router)                  ns hub (rampart up)
#   wg0 10.77.0.2/24                                               wg0 10.77.0.1/24, :51877
#   allowed-ips 0.0.0.0/0           r-c 100.64.7.1/24              hub-r 203.0.113.1/24
#   persistent-keepalive 1          r-hub 203.0.113.2/24           default via .2 (the WAN)
#   c-r 100.64.7.2/24 ---veth---    forwards  ---veth---           peer "laptop" 10.77.0.2/32,
#   default via 100.64.7.1                                         Egress = on (masquerade)
#
# The client pings the hub's tunnel address all along (and keeps alive
# every second), so that the hub always has traffic to observe.  Cases,
# each restored before the next:
#   healthy                                   every step that applies ok, exit 0
#   UDP to 51877 dropped on the router        arrival
#   the client's peer has a wrong server key  handshake (bad mac1)
#   the client's address 10.77.0.9            tunnel (source outside AllowedIPs)
#   net.ipv4.ip_forward = 0 on the hub        nat
#   the hub's masquerade rule deleted         nat
#   r-c MTU 1300, the router's frag-needed    mtu (largest DF probe 1232: 1300
#   dropped (an MTU black hole)               less 60 bytes of WireGuard over IPv4
#                                             is 1240, and the padding of the
#                                             plaintext to 16 bytes makes it 1232)
#   DNS = 10.77.0.2, a resolver there         dns ok; without the resolver: dns
#   Policy = off (no table), no Egress        ok, then UDP blocked: arrival
#   the hub down                              listening
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tools/policy.sh"

ns_require
impl_require "$RAMPARTD" "$PEER_IMPL" nft "$PYTHON"
ns_watchdog 90
say "rampart: $RAMPART, daemon: $RAMPARTD, client: $PEER_IMPL"

HN=$(ns_name hub)
RN=$(ns_name r)
CONF=$NS_TMP/hub/wg0.conf
if keys hub c wrong && ns_add c && ns_add r && ns_add hub &&
   ns_link c r 100.64.7.2/24 100.64.7.1/24 &&
   ns_link r hub 203.0.113.2/24 203.0.113.1/24 &&
   ip -n "$(ns_name c)" route add default via 100.64.7.1 &&
   ip -n "$HN" route add default via 203.0.113.2 &&
   ip netns exec "$RN" sysctl -q -w net.ipv4.ip_forward=1 &&
   mkdir -p "$NS_TMP/hub" &&
   printf '[Interface]\nPrivateKey = %s\nListenPort = 51877\nAddress = 10.77.0.1/24\n\n[Peer]\n# Name = laptop\nPublicKey = %s\nAllowedIPs = 10.77.0.2/32\nEgress = on\n' \
	"$(priv hub)" "$(pub c)" > "$CONF" &&
   rp hub up up "$CONF" &&
   wg_peer c "$PEER_IMPL" wg0 51878 c && wg_if_up c wg0 10.77.0.2/24 &&
   run_in c wg set wg0 peer "$(pub hub)" allowed-ips 0.0.0.0/0 \
	endpoint 203.0.113.1:51877 persistent-keepalive 1 &&
   wait_handshake hub wg0 "$(pub c)" 10 &&
   bg c cping ping -n -i 0.3 -w 110 10.77.0.1; then
	ok "topology: client, router, hub up with rampart up; a session"
else
	show_log up 2>/dev/null
	bail "setup failed: topology"
fi

# doctor TAG [ARGS...]: rampart doctor on the hub about laptop, --json,
# its output in $NS_TMP/TAG.json and its exit status in DOC_RC.
doctor() {
	local tag=$1; shift
	say "[hub] rampart doctor $CONF laptop --json $*"
	ns_run hub "$RAMPART" doctor "$CONF" laptop --json "$@" >"$NS_TMP/$tag.json" 2>"$NS_TMP/$tag.err"
	DOC_RC=$?
}
# statuses TAG: "step=status ..." of the run, in order.
statuses() {
	"$PYTHON" -c 'import json,sys; print(" ".join("%s=%s" % (s["step"], s["status"]) for s in json.load(open(sys.argv[1]))))' \
		"$NS_TMP/$1.json" 2>&1
}
# evidence TAG STEP: the evidence and next action of STEP.
evidence() {
	"$PYTHON" -c 'import json,sys; print(" ".join(s["evidence"] + " | " + s["next"] for s in json.load(open(sys.argv[1])) if s["step"] == sys.argv[2]))' \
		"$NS_TMP/$1.json" "$2" 2>&1
}
# says LABEL TAG STEP TEXT: STEP's evidence or next action holds TEXT.
says() {
	local e; e=$(evidence "$2" "$3")
	case $e in
	*"$4"*) ok "$1: $3 says: $4" ;;
	*) not_ok "$1: $3 says: $4" "got: $e" "stderr: $(cat "$NS_TMP/$2.err")" ;;
	esac
}
# case_is LABEL TAG WANT_RC WANT_STATUSES [STEP WANT_TEXT]: the exit
# status and the step statuses, and says STEP WANT_TEXT.
case_is() {
	expect "$1: exit $3" "$DOC_RC" "$3"
	expect "$1: steps" "$(statuses "$2")" "$4"
	[ -z "${5:-}" ] || says "$1" "$2" "$5" "$6"
}
REST_SKIPPED="nat=skipped dns=skipped mtu=skipped"
# handshake_after T: a handshake later than T.
handshake_after() { [ "$(wg_handshake hub wg0 "$(pub c)")" -gt "$1" ]; }

# ---- healthy -------------------------------------------------------------------
doctor healthy
case_is healthy healthy 0 \
	"listening=ok arrival=ok handshake=ok tunnel=ok routes=ok nat=ok dns=skipped mtu=ok" \
	mtu "answers"
# rampartd's count of the datagrams it read (rampart_datagrams_received),
# the arrival evidence that needs no firewall table.
says healthy healthy arrival "daemon: datagrams_received +"

# ---- UDP blocked in front of the hub --------------------------------------------
run_in r nft -f - <<-'EOF'
	table inet doctor_block {
		chain forward {
			type filter hook forward priority 0; policy accept;
			udp dport 51877 drop
		}
	}
	EOF
doctor blocked --wait 2
case_is "UDP blocked on the router" blocked 1 \
	"listening=ok arrival=fail handshake=skipped tunnel=skipped routes=skipped $REST_SKIPPED" \
	arrival "nothing arrived on udp/51877"
expect "UDP blocked: the table's counter is the evidence" \
	"$(evidence blocked arrival | grep -c 'input_wireguard +0')" 1
run_in r nft delete table inet doctor_block

# ---- wrong server public key on the client ----------------------------------------
T0=$(wg_handshake hub wg0 "$(pub c)")
run_in c wg set wg0 peer "$(pub hub)" remove
run_in c wg set wg0 peer "$(pub wrong)" allowed-ips 0.0.0.0/0 \
	endpoint 203.0.113.1:51877 persistent-keepalive 1
# The client retries every REKEY_TIMEOUT (5 s and jitter); its first
# initiation may come before doctor's first look, so the window must
# hold a retry, with room on a loaded machine.
doctor wrongkey --wait 8
case_is "wrong server key on the client" wrongkey 1 \
	"listening=ok arrival=ok handshake=fail tunnel=skipped routes=skipped $REST_SKIPPED" \
	handshake "bad mac1"
says "wrong server key on the client" wrongkey handshake "wrong server public key"
run_in c wg set wg0 peer "$(pub wrong)" remove
run_in c wg set wg0 peer "$(pub hub)" allowed-ips 0.0.0.0/0 \
	endpoint 203.0.113.1:51877 persistent-keepalive 1
check "wrong key restored: a new handshake" wait_for 10 handshake_after "$T0"

# ---- the client's tunnel address outside the hub's AllowedIPs ----------------------
run_in c ip addr del 10.77.0.2/24 dev wg0
run_in c ip addr add 10.77.0.9/24 dev wg0
doctor outside
case_is "client address outside AllowedIPs" outside 1 \
	"listening=ok arrival=ok handshake=ok tunnel=fail routes=skipped $REST_SKIPPED" \
	tunnel "drop_source_not_allowed +"
run_in c ip addr del 10.77.0.9/24 dev wg0
run_in c ip addr add 10.77.0.2/24 dev wg0

# ---- forwarding off for the Egress peer ---------------------------------------------
run_in hub sysctl -q -w net.ipv4.ip_forward=0
doctor forwarding
case_is "forwarding off" forwarding 1 \
	"listening=ok arrival=ok handshake=ok tunnel=ok routes=ok nat=fail dns=skipped mtu=skipped" \
	nat "net.ipv4.ip_forward = 0"
run_in hub sysctl -q -w net.ipv4.ip_forward=1

# ---- NAT missing ----------------------------------------------------------------------
MASQ=$(ip netns exec "$HN" nft -a list chain inet rampart-wg0 postrouting | grep -m1 masquerade)
HANDLE=${MASQ##*# handle }
RULE=$(printf '%s' "${MASQ%% # handle*}" | sed 's/^[[:space:]]*//')
if [ -n "$MASQ" ] && run_in hub nft delete rule inet rampart-wg0 postrouting handle "$HANDLE"; then
	doctor nonat
	case_is "NAT missing" nonat 1 \
		"listening=ok arrival=ok handshake=ok tunnel=ok routes=ok nat=fail dns=skipped mtu=skipped" \
		nat "no masquerade or snat rule covers 10.77.0.2/32"
	# shellcheck disable=SC2086  # the rule's words, as nft listed them
	run_in hub nft add rule inet rampart-wg0 postrouting $RULE
else
	not_ok "NAT missing: the hub's masquerade rule found and deleted" "listing: $MASQ"
fi

# ---- an MTU black hole on the path ------------------------------------------------------
ip -n "$RN" link set r-c mtu 1300
ip -n "$(ns_name c)" link set c-r mtu 1300
run_in r nft -f - <<-'EOF'
	table ip doctor_blackhole {
		chain output {
			type filter hook output priority 0; policy accept;
			icmp type destination-unreachable icmp code frag-needed drop
		}
	}
	EOF
doctor blackhole
case_is "MTU black hole" blackhole 1 \
	"listening=ok arrival=ok handshake=ok tunnel=ok routes=ok nat=ok dns=skipped mtu=fail" \
	mtu "largest DF probe that answers: 1232 bytes"

# ---- DNS through the tunnel ---------------------------------------------------------------
# The same hub's config with DNS = the client's tunnel address, read by
# doctor only (rampart up would hand it to resolvconf), and a resolver
# there that answers every query with its header and question.
mkdir -p "$NS_TMP/dns"
sed 's/^Address = .*/&\nDNS = 10.77.0.2/' "$CONF" > "$NS_TMP/dns/wg0.conf"
DNS_PY='
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
open(sys.argv[2], "w").close()
while True:
    d, a = s.recvfrom(512)
    s.sendto(d[:2] + b"\x81\x80" + d[4:6] + b"\x00" * 6 + d[12:], a)
'
run_in r nft delete table ip doctor_blackhole
ip -n "$RN" link set r-c mtu 1500
ip -n "$(ns_name c)" link set c-r mtu 1500
bg c dns "$PYTHON" -c "$DNS_PY" 10.77.0.2 "$NS_TMP/dns.ready"
if wait_for 5 tool_ready dns; then
	say "[hub] rampart doctor $NS_TMP/dns/wg0.conf laptop --json"
	ns_run hub "$RAMPART" doctor "$NS_TMP/dns/wg0.conf" laptop --json >"$NS_TMP/dnsok.json" 2>"$NS_TMP/dnsok.err"
	DOC_RC=$?
	case_is "DNS answers through the tunnel" dnsok 0 \
		"listening=ok arrival=ok handshake=ok tunnel=ok routes=ok nat=ok dns=ok mtu=ok" \
		dns "query to 10.77.0.2 through wg0: answered"
else
	not_ok "DNS: the resolver in the client started" "$(bg_out dns)"
fi
bg_stop dns
ns_run hub "$RAMPART" doctor "$NS_TMP/dns/wg0.conf" laptop --json >"$NS_TMP/dnsno.json" 2>"$NS_TMP/dnsno.err"
DOC_RC=$?
case_is "DNS without a resolver" dnsno 1 \
	"listening=ok arrival=ok handshake=ok tunnel=ok routes=ok nat=ok dns=fail mtu=skipped" \
	dns "query to 10.77.0.2 through wg0: no answer"

# ---- healthy again, in text ----------------------------------------------------------------
say "[hub] rampart doctor wg0-by-path"
ns_run hub "$RAMPART" doctor "$CONF" >"$NS_TMP/text.out" 2>&1
expect "restored: doctor exits 0 (text, every peer)" "$?" 0
check "restored: the text names every step" grep -q 'every layer that applies is ok' "$NS_TMP/text.out"

# ---- cannot run ----------------------------------------------------------------------------
ns_run hub "$RAMPART" doctor "$CONF" nosuchpeer >/dev/null 2>"$NS_TMP/nopeer.err"
expect "an unknown peer: exit 3" "$?" 3
check "an unknown peer: named" grep -q "no peer \`nosuchpeer'" "$NS_TMP/nopeer.err"
ns_run hub "$RAMPART" doctor "$NS_TMP/hub/nope.conf" >/dev/null 2>"$NS_TMP/noconf.err"
expect "no such config: exit 3" "$?" 3
check "no such config: named" grep -q "nope.conf" "$NS_TMP/noconf.err"

# ---- no Rampart table: the daemon's own count is the arrival evidence -----------------------
# The hub again with Policy = off and the peer without Egress (nothing
# masquerades it now); the client starts a session with the new daemon.
rp hub down down "$CONF" || not_ok "rampart down"
sed -e 's/^Address = .*/&\nPolicy = off/' -e '/^Egress/d' "$CONF" > "$NS_TMP/hub/wg0.off" &&
	mv "$NS_TMP/hub/wg0.off" "$CONF"
if rp hub up-off up "$CONF" &&
   run_in c wg set wg0 peer "$(pub hub)" remove &&
   run_in c wg set wg0 peer "$(pub hub)" allowed-ips 0.0.0.0/0 \
	endpoint 203.0.113.1:51877 persistent-keepalive 1 &&
   wait_handshake hub wg0 "$(pub c)" 10; then
	check "Policy = off: no table inet rampart-wg0" eval '! fw_exists hub wg0'
	doctor notable
	case_is "no table, healthy" notable 0 \
		"listening=ok arrival=ok handshake=ok tunnel=ok routes=ok nat=skipped dns=skipped mtu=ok" \
		arrival "no table inet rampart-wg0"
	says "no table, healthy" notable arrival "daemon: datagrams_received +"
	run_in r nft -f - <<-'EOF'
		table inet doctor_block {
			chain forward {
				type filter hook forward priority 0; policy accept;
				udp dport 51877 drop
			}
		}
		EOF
	doctor notable_blocked --wait 2
	case_is "no table, UDP blocked on the router" notable_blocked 1 \
		"listening=ok arrival=fail handshake=skipped tunnel=skipped routes=skipped $REST_SKIPPED" \
		arrival "nothing arrived on udp/51877"
	run_in r nft delete table inet doctor_block
else
	not_ok "Policy = off: hub up again, a session"; show_log up-off
fi

bg_stop cping
rp hub down down "$CONF" || not_ok "rampart down"
# ---- no daemon --------------------------------------------------------------------------------
doctor down
case_is "the hub down" down 1 \
	"listening=fail arrival=skipped handshake=skipped tunnel=skipped routes=skipped $REST_SKIPPED" \
	listening "rampart up wg0"
check "no sanitizer reports in daemon logs" ns_sanitizer_clean
finish
