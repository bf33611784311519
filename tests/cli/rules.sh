#!/bin/bash
# The shipped monitoring files: contrib/prometheus/rampart.rules.yml (alert
# rules), its unit tests rampart.rules.test.yml, and the Grafana dashboard
# contrib/grafana/rampart.json.
#
#   rules.yml ----> promtool check rules     (syntax, PromQL, templates)
#   test.yml  ----> promtool test rules      (each alert fires / stays silent)
#   rules.yml --sed--> mutant ---> promtool test rules must FAIL, naming
#                                  the alert whose threshold was broken
#   rampart.json -> json.tool; its queries -> promtool check rules
#
# Both files may name only the series the exporter emits (the list
# below), and only drop reasons the daemon has: a misspelt name makes a
# rule that never fires and a panel that stays empty, and no test of
# the rule itself would notice.
set -u
. "$(dirname "$0")/../lib.sh"
top=$RAMPART_TOP
tmp=$NS_TMP # removed by the library on exit
rules=$top/contrib/prometheus/rampart.rules.yml
tests=$top/contrib/prometheus/rampart.rules.test.yml
dash=$top/contrib/grafana/rampart.json
# promtool comes with Debian's prometheus package, which scripts/deps.sh
# installs: missing, it is a failure, not a skip.
need_tool promtool python3

# The exporter's series (issue 11; the host's facts of
# metrics_render_host last) and the daemon's drop reasons
# (src/proto/device.h, enum drop_reason).
series="rampart_up rampart_peers rampart_drops_total rampart_allowed_ips_moved_total
rampart_handshake_queue_full_total rampart_peer_info rampart_peer_receive_bytes_total
rampart_peer_transmit_bytes_total rampart_peer_last_handshake_timestamp_seconds
rampart_conntrack_entries rampart_conntrack_entries_limit rampart_firewall_packets_total
rampart_firewall_bytes_total"
reasons="invalid_message no_identity invalid_mac1 cookie_sent ratelimited handshake_decrypt
unknown_peer low_order_point replayed_initiation initiation_flood handshake_state
invalid_cookie unknown_index keypair_expired data_decrypt replayed_counter invalid_inner
source_not_allowed no_route no_endpoint staged_overflow gave_up no_room send_failed"
alerts="RampartDown RampartHandshakeStale RampartPeerAdded RampartHandshakeFailures
RampartTrafficSpike RampartUnderLoad RampartConntrackNearFull"
# Alerts on a fact of the host, not of an interface: they name the
# instance instead.
host_alerts="RampartConntrackNearFull"

# 1. promtool accepts the rules and their tests pass.
if promtool check rules "$rules" >"$tmp/check.out" 2>&1; then
	ok "promtool check rules accepts rampart.rules.yml"
else
	not_ok "promtool check rules accepts rampart.rules.yml" "$(cat "$tmp/check.out")"
fi
if promtool test rules "$tests" >"$tmp/test.out" 2>&1 && grep -q SUCCESS "$tmp/test.out"; then
	ok "promtool test rules: every unit test of rampart.rules.test.yml passes"
else
	not_ok "promtool test rules: every unit test of rampart.rules.test.yml passes" "$(head -n 60 "$tmp/test.out")"
fi

# 2. The alerts are the ones shipped, each with a severity, a summary
#    and a description, and each has a unit test where it fires and one
#    where it stays silent.
# shellcheck disable=SC2016 # Python, not shell
PY_SHAPE='
import re, sys
rules, tests, want = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3].split()
host = sys.argv[4].split()
bad = []
blocks = re.split(r"(?m)^      - (?=alert:|record:)", rules)[1:]
got = {}
for b in blocks:
    m = re.match(r"alert: (\S+)", b)
    if m:
        got[m.group(1)] = b
if sorted(got) != sorted(want):
    bad.append("alerts %s, want %s" % (sorted(got), sorted(want)))
for name, b in got.items():
    for need in (r"severity: (critical|warning|info)\b", r"\n          summary:", r"\n          description:"):
        if not re.search(need, b):
            bad.append("%s: no %s" % (name, need))
    if name in host and "$labels.instance" not in b:
        bad.append("%s: the annotations do not name the instance" % name)
    elif name not in host and "$labels.interface" not in b:
        bad.append("%s: the annotations do not name the interface" % name)
# One entry per alert_rule_test item: its alertname and whether it
# expects alerts.
items = re.findall(r"(?m)^\s+alertname: (\S+)\n\s+exp_alerts:(.*)$", tests)
for name in want:
    kinds = {("silent" if e.strip() == "[]" else "fires") for n, e in items if n == name}
    if kinds != {"silent", "fires"}:
        bad.append("%s: tests where it %s only" % (name, "/".join(sorted(kinds)) or "(none)"))
print("\n".join(bad))
'
out=$(python3 -c "$PY_SHAPE" "$rules" "$tests" "$alerts" "$host_alerts" 2>&1)
if [ -z "$out" ]; then
	ok "seven alerts, each with severity, summary and description, each tested firing and silent"
else
	not_ok "seven alerts, each with severity, summary and description, each tested firing and silent" "$out"
fi
# The per-peer alerts name the peer.
out=$(awk '/^      - alert: (RampartHandshakeStale|RampartTrafficSpike)$/ { a = $3 } a && /summary:/ { if ($0 !~ /public_key/) print a; a = "" }' "$rules")
check "the per-peer alerts name the peer's public key in their summary" [ -z "$out" ]

# 3. Only the exporter's series and the daemon's drop reasons.
# shellcheck disable=SC2016
PY_NAMES='
import json, re, sys
series, reasons = set(sys.argv[1].split()), set(sys.argv[2].split())
bad = []
for path in sys.argv[3:]:
    text = open(path).read()
    if path.endswith(".json"):
        text = "\n".join(t["expr"] for p in json.loads(text)["panels"] for t in p.get("targets", []))
    # Metric names (recording rules, with colons, are the rules own).
    for n in set(re.findall(r"\brampart_[a-z0-9_]+\b(?!:)", text)) - series:
        bad.append("%s: unknown series %s" % (path.split("/")[-1], n))
    for r in re.findall(r"reason=~?\"([^\"]*)\"", text):
        for n in set(r.split("|")) - reasons:
            bad.append("%s: unknown drop reason %s" % (path.split("/")[-1], n))
print("\n".join(sorted(set(bad))))
'
out=$(python3 -c "$PY_NAMES" "$series" "$reasons" "$rules" "$tests" "$dash" 2>&1)
if [ -z "$out" ]; then
	ok "rules, tests and dashboard name only the exporter's series and real drop reasons"
else
	not_ok "rules, tests and dashboard name only the exporter's series and real drop reasons" "$out"
fi
# Negative control of that check: a misspelt reason is caught.
sed 's/reason="cookie_sent"/reason="cookies_sent"/' "$rules" >"$tmp/misspelt.yml"
out=$(python3 -c "$PY_NAMES" "$series" "$reasons" "$tmp/misspelt.yml" 2>&1)
check "negative control: a misspelt drop reason is reported" grep -q "unknown drop reason cookies_sent" <<<"$out"

# 4. Negative controls: break one number or clause of one rule in a copy
#    and the unit tests must fail on that alert.  A mutant that promtool
#    cannot even parse proves nothing, so each must pass `check rules`
#    first.  The first is the one the issue names: the stale threshold.
#    name | sed expression | the alert whose tests must fail
mutants=(
	"stale threshold 180 s -> 1800 s (alice never fires)|s/rampart_peer_last_handshake_timestamp_seconds > 180\$/rampart_peer_last_handshake_timestamp_seconds > 1800/|RampartHandshakeStale"
	"stale threshold 180 s -> 100 s (carol, 170 s old, fires)|s/rampart_peer_last_handshake_timestamp_seconds > 180\$/rampart_peer_last_handshake_timestamp_seconds > 100/|RampartHandshakeStale"
	"stale rule without its 5 m (alice at once, dave's 4-minute gap too)|/alert: RampartHandshakeStale/,/for:/s/for: 5m/for: 0m/|RampartHandshakeStale"
	"stale rule counting a missing handshake as time 0 (bob fires)|s/time() - rampart_peer_last_handshake_timestamp_seconds > 180\$/time() - (rampart_peer_last_handshake_timestamp_seconds or on (job, instance, interface, public_key) (0 * rampart_peer_info)) > 180/|RampartHandshakeStale"
	"peer added matched on all labels (alice roaming fires)|s/unless on (job, instance, interface, public_key) (rampart_peer_info offset 15m)/unless (rampart_peer_info offset 15m)/|RampartPeerAdded"
	"peer added without the interface-seen guard (new wg1 fires)|s/) and on (job, instance, interface) (rampart_up offset 15m == 1)/) and on (job, instance, interface) (rampart_up offset 15m >= 0 or rampart_up)/|RampartPeerAdded"
	"handshake failures threshold 0.1 -> 0.05 (wg4's background fires)|s/^          ) > 0.1\$/          ) > 0.05/|RampartHandshakeFailures"
	"handshake failures threshold 0.1 -> 0.3 (wg0's stuck client is missed)|s/^          ) > 0.1\$/          ) > 0.3/|RampartHandshakeFailures"
	"handshake failures counting every reason (wg2's noise fires)|s/rate(rampart_drops_total{reason=~\"invalid_mac1|[^\"]*\"}\\[5m\\])/rate(rampart_drops_total[5m])/|RampartHandshakeFailures"
	"spike floor 1 MiB/s -> 0 (carol's 500 KiB/s fires)|s/and peer:rampart_peer_bytes:rate5m > 1048576/and peer:rampart_peer_bytes:rate5m > 0/|RampartTrafficSpike"
	"spike factor 10x -> 2x (alice still fires at minute 85)|s/peer:rampart_peer_bytes:rate5m > 10 \\*/peer:rampart_peer_bytes:rate5m > 2 */|RampartTrafficSpike"
	"spike against its own 5 m rate (nothing ever fires)|s/10 \\* (peer:rampart_peer_bytes:rate1h offset 5m)/10 * peer:rampart_peer_bytes:rate5m/|RampartTrafficSpike"
	"spike rule without the ratio (bob's steady 3 MiB/s fires)|s/peer:rampart_peer_bytes:rate5m > 10 \\* (peer:rampart_peer_bytes:rate1h offset 5m)/peer:rampart_peer_bytes:rate5m >= 0/|RampartTrafficSpike"
	"spike rule without its 5 m (alice at once, dave's one-minute burst too)|/alert: RampartTrafficSpike/,/for:/s/for: 5m/for: 0m/|RampartTrafficSpike"
	"peer count branch also where rampart_peer_info exists (a second alert for erin)|s/^            unless on (job, instance, interface) rampart_peer_info\$/            unless on (job, instance, interface) absent(rampart_up)/|RampartPeerAdded"
	"under load over 10 m windows (wg1's burst fires)|s/reason=\"cookie_sent\"}\\[2m\\]/reason=\"cookie_sent\"}[10m]/|RampartUnderLoad"
	"under load without its 5 m (wg0 before 5 minutes of load)|/alert: RampartUnderLoad/,/for:/s/for: 5m/for: 0m/|RampartUnderLoad"
	"down without rampart_up == 0 (wg1 reported down is missed)|s/^          rampart_up == 0\$/          rampart_up == 2/|RampartDown"
	"down without absent() (no exporter at all is missed)|s/^          absent(rampart_up)\$/          absent(rampart_up) unless on () vector(1)/|RampartDown"
	"conntrack threshold 80 % -> 90 % (vpn1 at 85 % is missed)|s/(rampart_conntrack_entries_limit > 0) > 0.8\$/(rampart_conntrack_entries_limit > 0) > 0.9/|RampartConntrackNearFull"
	"conntrack threshold 80 % -> 75 % (vpn2 at 79 % fires)|s/(rampart_conntrack_entries_limit > 0) > 0.8\$/(rampart_conntrack_entries_limit > 0) > 0.75/|RampartConntrackNearFull"
	"conntrack rule without its 5 m (vpn1 at once, vpn3's burst too)|/alert: RampartConntrackNearFull/,/for:/s/for: 5m/for: 0m/|RampartConntrackNearFull"
)
for m in "${mutants[@]}"; do
	name=${m%%|*}; rest=${m#*|}; expr=${rest%|*}; alert=${rest##*|}
	d=$tmp/mutant; rm -rf "$d"; mkdir -p "$d"
	cp "$tests" "$d/rampart.rules.test.yml"
	sed "$expr" "$rules" >"$d/rampart.rules.yml"
	if cmp -s "$rules" "$d/rampart.rules.yml"; then
		not_ok "negative control: $name" "the sed expression changed nothing: $expr"
		continue
	fi
	if ! promtool check rules "$d/rampart.rules.yml" >"$d/check.out" 2>&1; then
		not_ok "negative control: $name" "the mutant does not parse:" "$(cat "$d/check.out")"
		continue
	fi
	if promtool test rules "$d/rampart.rules.test.yml" >"$d/test.out" 2>&1; then
		not_ok "negative control: $name" "promtool test rules passed on the mutant"
	elif grep -q "alertname: $alert," "$d/test.out" &&
		! grep -o 'alertname: [A-Za-z]*,' "$d/test.out" | grep -qv "alertname: $alert,"; then
		ok "negative control: $name"
	else
		not_ok "negative control: $name" "failed, but not (only) on $alert:" "$(grep 'alertname:' "$d/test.out" | sort -u)"
	fi
done

# 5. The dashboard: valid JSON, every query on the ${datasource}
#    variable, and every query PromQL that promtool parses (each written
#    as a recording rule, the dashboard variables given a value).
if python3 -m json.tool "$dash" >/dev/null 2>"$tmp/json.err"; then
	ok "rampart.json is valid JSON (python3 -m json.tool)"
else
	not_ok "rampart.json is valid JSON (python3 -m json.tool)" "$(cat "$tmp/json.err")"
fi
# shellcheck disable=SC2016
PY_DASH='
import json, sys
d = json.load(open(sys.argv[1]))
bad, exprs, ids = [], [], []
for p in d["panels"]:
    ids.append(p["id"])
    if not p.get("targets"):
        bad.append("panel %r has no query" % p["title"])
    for t in p.get("targets", []):
        if t.get("datasource", {}).get("uid") != "${datasource}":
            bad.append("panel %r: datasource %r, not ${datasource}" % (p["title"], t.get("datasource")))
        exprs.append(t["expr"])
if len(set(ids)) != len(ids):
    bad.append("panel ids repeat: %r" % ids)
names = [v["name"] for v in d["templating"]["list"]]
if names != ["datasource", "instance", "interface"]:
    bad.append("variables %r" % names)
with open(sys.argv[2], "w") as f:
    f.write("groups:\n  - name: dashboard\n    rules:\n")
    for i, e in enumerate(exprs):
        e = e.replace("$__rate_interval", "5m").replace("$instance", ".*").replace("$interface", ".*")
        f.write("      - record: dashboard:query%d\n        expr: %s\n" % (i, json.dumps(e)))
print("\n".join(bad))
'
out=$(python3 -c "$PY_DASH" "$dash" "$tmp/dash.rules.yml" 2>&1)
if [ -z "$out" ]; then
	ok "every dashboard panel has queries, all on the \${datasource} variable"
else
	not_ok "every dashboard panel has queries, all on the \${datasource} variable" "$out"
fi
nq=$(grep -c 'record:' "$tmp/dash.rules.yml" 2>/dev/null)
if [ "${nq:-0}" -gt 0 ] && promtool check rules "$tmp/dash.rules.yml" >"$tmp/dash.out" 2>&1; then
	ok "promtool parses all $nq dashboard queries"
else
	not_ok "promtool parses the dashboard queries" "$(cat "$tmp/dash.out" 2>/dev/null)"
fi

finish
