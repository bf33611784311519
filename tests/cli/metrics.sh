#!/bin/bash
# rampart metrics without a daemon, and promtool on the renderer's golden
# texts (tests/golden/metrics, which test_metrics compares byte for byte):
# every golden file and the output for an interface that does not answer
# pass `promtool check metrics` (lint included); that interface is
# rampart_up 0, one line on stderr and exit status 1.  promtool comes with
# the prometheus package (scripts/deps.sh): missing, it is a failure.
set -u
. "$(dirname "$0")/../lib.sh"
top=$RAMPART_TOP
case $RAMPART in /*) ;; *) RAMPART=$top/$RAMPART ;; esac
need_tool promtool

for f in "$top"/tests/golden/metrics/*.prom; do
	if out=$(promtool check metrics < "$f" 2>&1); then
		ok "promtool accepts $(basename "$f")"
	else
		not_ok "promtool accepts $(basename "$f")" "$out"
	fi
done

absent=rpmet$$
absent=${absent:0:15}
"$RAMPART" metrics "$absent" >"$NS_TMP/out" 2>"$NS_TMP/err"
expect "an interface without a daemon: exit status 1" "$?" 1
expect "... one line on stderr" "$(wc -l < "$NS_TMP/err")" 1
expect "... rampart_up 0" "$(grep -c "^rampart_up{interface=\"$absent\"} 0\$" "$NS_TMP/out")" 1
# The host's facts: conntrack's two figures where it is loaded (this
# namespace's), and no firewall sample for an interface without a table.
ct=0
[ -e /proc/sys/net/netfilter/nf_conntrack_count ] && ct=2
expect "... and no other sample but the host's conntrack figures ($ct)" \
	"$(grep -vc '^#' "$NS_TMP/out")" $((1 + ct))
expect "... no firewall sample" "$(grep -c '^rampart_firewall_' "$NS_TMP/out")" 0
if out=$(promtool check metrics < "$NS_TMP/out" 2>&1); then
	ok "... promtool accepts the text"
else
	not_ok "... promtool accepts the text" "$out"
fi

"$RAMPART" metrics a b >"$NS_TMP/out" 2>"$NS_TMP/err"
expect "two interfaces: a usage error, exit status 1" "$?" 1
expect "... nothing on stdout" "$(wc -c < "$NS_TMP/out")" 0
expect "... one line on stderr" "$(wc -l < "$NS_TMP/err")" 1
"$RAMPART" metrics --help >"$NS_TMP/out" 2>&1
expect "--help: exit status 0" "$?" 0
finish
