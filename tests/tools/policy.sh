# Helpers for the hardening-policy namespace tests (tests/netns/policy_*.sh).
# Source after tests/lib.sh.  Every helper that
# changes something or probes says what it runs, as a TAP comment
# ("# [NS] command"), so a failing run reads like a transcript.
#
# The python tools live next to this file: portscan.py, sniff.py,
# hsflood.py, canary.py (each has --help).
# shellcheck shell=bash

TOOLS=$RAMPART_TOP/tests/tools
declare -A BG_PID=()    # TAG -> pid of a background tool

# say TEXT: a TAP comment.
say() { echo "# $*"; }

# run_in NAME CMD...: runs CMD in NAME (bounded by NS_CMD_TIMEOUT), saying so.
run_in() { local n=$1; shift; say "[$n] $*"; ns_run "$n" "$@"; }

# rp NAME LOG ARGS...: rampart ARGS in NAME, non-interactive (stdin from
# /dev/null, no SSH_CONNECTION: no confirm window, no SSH exception),
# output to $NS_TMP/LOG.log (a file: the daemon it starts keeps its
# stderr open).
rp() {
	local name=$1 log=$NS_TMP/$2.log; shift 2
	say "[$name] rampart $*"
	ns_run "$name" env -u SSH_CONNECTION "$RAMPART" "$@" </dev/null >"$log" 2>&1
}
show_log() { sed 's/^/    /' "$NS_TMP/$1.log" >&2; }

# bg NAME TAG CMD...: CMD in NAME in the background (at most 120 s),
# output to $NS_TMP/TAG.out; its pid in BG_PID[TAG].
bg() {
	local name=$1 tag=$2; shift 2
	say "[$name] $* &"
	nsenter -t "${NS_HOLDER[$name]}" -m -n -- timeout -k 2 120 "$@" \
		>"$NS_TMP/$tag.out" 2>&1 </dev/null &
	BG_PID[$tag]=$!
}
# bg_stop TAG: SIGTERM, and waits (5 s at most) for it to exit.
bg_stop() {
	local pid=${BG_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_for 5 ns_not_alive "$pid" || kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "BG_PID[$1]"
	return 0
}
bg_alive() { local pid=${BG_PID[$1]:-}; [ -n "$pid" ] && pid_alive "$pid"; }
bg_out() { cat "$NS_TMP/$1.out"; }

# tool_ready TAG: the tool's --ready file exists.
tool_ready() { [ -e "$NS_TMP/$1.ready" ]; }

# canary NAME TAG ARGS...: canary.py in NAME, waits until it listens.
canary() {
	local name=$1 tag=$2; shift 2
	rm -f "$NS_TMP/$tag.ready"
	bg "$name" "$tag" "$PYTHON" "$TOOLS/canary.py" --ready "$NS_TMP/$tag.ready" "$@"
	wait_for 5 tool_ready "$tag" || { say "canary $tag did not start: $(bg_out "$tag")"; return 1; }
}
# contacts TAG [SRC]: the lines canary TAG has logged (from SRC).
contacts() {
	if [ -n "${2:-}" ]; then
		awk -v s="$2" '$3 == s' "$NS_TMP/$1.out"
	else
		grep -E '^(tcp|udp) ' "$NS_TMP/$1.out"
	fi
}
# wait_contacts TAG N: waits (5 s at most) until canary TAG has logged N
# contacts: a client's connect returns before the canary has accepted
# and printed.
has_contacts() { [ "$(contacts "$1" | wc -l)" -ge "$2" ]; }
wait_contacts() { wait_for 5 has_contacts "$1" "$2"; }

# sniff_start NAME TAG IFNAME ARGS...: sniff.py on IFNAME in NAME until
# sniff_stop; waits until it captures.
sniff_start() {
	local name=$1 tag=$2; shift 2
	rm -f "$NS_TMP/$tag.ready"
	bg "$name" "$tag" "$PYTHON" "$TOOLS/sniff.py" --ready "$NS_TMP/$tag.ready" "$@"
	wait_for 5 tool_ready "$tag" || { say "sniffer $tag did not start: $(bg_out "$tag")"; return 1; }
}
# sniff_stop TAG: stops it and prints the number of packets it printed.
sniff_stop() {
	bg_stop "$1"
	sed -n 's/^count //p' "$NS_TMP/$1.out" | tail -n 1
}
# sniffed TAG: the packet lines.
sniffed() { grep '^pkt ' "$NS_TMP/$1.out"; }

# scan NAME TAG ARGS...: portscan.py ARGS from NAME; the output in
# $NS_TMP/TAG.scan.  scan_sum TAG: "open=N closed=N unreach=N local=N
# filtered=N"; scan_ports TAG CLASS: that class's port list.
scan() {
	local name=$1 tag=$2; shift 2
	say "[$name] portscan.py $*"
	ns_run "$name" "$PYTHON" "$TOOLS/portscan.py" "$@" >"$NS_TMP/$tag.scan" 2>&1
}
scan_sum() {
	sed -n 's/^summary .* \(open=[0-9]* closed=[0-9]* unreach=[0-9]* local=[0-9]* filtered=[0-9]*\).*/\1/p' \
		"$NS_TMP/$1.scan"
}
scan_ports() { sed -n "s/^$2 //p" "$NS_TMP/$1.scan"; }
scan_secs() { sed -n 's/^summary .* seconds=//p' "$NS_TMP/$1.scan"; }
# expect_scan NAME TAG WANT_SUM [WANT_OPEN]: the summary (and open list).
expect_scan() {
	local got; got=$(scan_sum "$2")
	[ -n "${4:-}" ] && got="$got open:$(scan_ports "$2" open)"
	local want=$3; [ -n "${4:-}" ] && want="$want open:$4"
	if [ "$got" = "$want" ]; then
		ok "$1 ($(scan_secs "$2") s)"
	else
		not_ok "$1" "got:  $got" "want: $want" "$(cat "$NS_TMP/$2.scan")"
	fi
}

# fw_table NAME IF: `nft list table inet rampart-IF` in NAME.
fw_table() { ip netns exec "$(ns_name "$1")" nft list table inet "rampart-$2" 2>&1; }
fw_exists() { ip netns exec "$(ns_name "$1")" nft list table inet "rampart-$2" >/dev/null 2>&1; }
# fw_counter NAME IF CHAIN COMMENT: the sum of the packet counters of the
# rules in CHAIN of table inet rampart-IF whose comment is COMMENT, and
# the number of such rules ("PACKETS RULES"); "0 0" and status 1 when
# there is no table.  A named counter that several of those rules share
# (both families' rules of a purpose, docs/firewall.md "Counters") is
# counted once.
NS_PY_FWCOUNTER='
import json, sys
chain, comment = sys.argv[1], sys.argv[2]
j = json.load(sys.stdin)["nftables"]
named = {}
for o in j:
    c = o.get("counter")
    if c is not None:
        named[c["name"]] = c.get("packets", 0)
pk = rules = 0
used = set()
for o in j:
    r = o.get("rule")
    if not r or r.get("chain") != chain or r.get("comment") != comment:
        continue
    for e in r["expr"]:
        if "counter" in e:
            c = e["counter"]
            if isinstance(c, str):
                pk += 0 if c in used else named.get(c, 0)
                used.add(c)
            else:
                pk += (c or {}).get("packets", 0)
            rules += 1
print(pk, rules)
'
fw_counter() {
	local j
	j=$(ip netns exec "$(ns_name "$1")" nft -j list table inet "rampart-$2" 2>/dev/null) ||
		{ echo "0 0"; return 1; }
	printf '%s' "$j" | "$PYTHON" -c "$NS_PY_FWCOUNTER" "$3" "$4"
}

# wg_peer NAME IMPL IF PORT KEYTAG: a plain peer (no rampart up, no
# policy): IMPL started in the foreground, private key KEYTAG, port PORT.
wg_peer() {
	ns_daemon "$1" "$2" "$3" &&
	ns_wg "$1" set "$3" private-key "$NS_TMP/$5.key" listen-port "$4"
}

# keys TAG...: $NS_TMP/TAG.key and TAG.pub from `rampart genkey/pubkey`.
keys() {
	local k
	for k in "$@"; do
		[ -s "$NS_TMP/$k.key" ] && continue
		(umask 077; "$RAMPART" genkey > "$NS_TMP/$k.key") &&
		"$RAMPART" pubkey < "$NS_TMP/$k.key" > "$NS_TMP/$k.pub" || return 1
	done
}
pub() { cat "$NS_TMP/$1.pub"; }
priv() { cat "$NS_TMP/$1.key"; }

# no_netns_left: none of this run's namespaces remain.
no_netns_left() { ! ip netns list | grep -q "^$NS_TAG-"; }
