#!/bin/bash
# The data-path scripts again with each offload switched off
# (RAMPART_OFFLOAD_OFF=tso, uso, gso, gro, all: src/daemon/main.c), so
# that a fallback path that breaks fails make check.  offload.sh moves
# 200 MB under each setting; this runs the scripts whose checks are about
# what the tunnel carries, to the byte: exact transfer accounting, the
# malformed datagrams, roaming, the handover of a running daemon and
# wg-quick's own start.  One check per (setting, script): it passes when
# the script ran to its summary with nothing failed; a script's own
# failures are printed.  The whole suite under each setting is
# `make check-offloads`.
#
# Before the scripts, per setting, the harness's control: a rampartd
# started with it says in its log that the switched-off offloads are off.
. "$(dirname "$0")/../lib.sh"

ns_require
impl_require "$RAMPARTD"
ns_watchdog 600

SCRIPTS="accounting malformed roaming handover wgquick"
here=$(cd "$(dirname "$0")" && pwd)

# offloads_line SETTING: the `offloads:` line of a rampartd started with
# RAMPART_OFFLOAD_OFF=SETTING.
offloads_line() {
	local line
	ns_add o || return 1
	RAMPART_OFFLOAD_OFF=$1 ns_daemon o "$RAMPARTD" wg0 || return 1
	line=$(grep -m1 'offloads:' "${NS_DLOG[o/wg0]}")
	ns_cleanup
	echo "$line"
}

# The log line's words for each setting, as daemon.c prints them.
declare -A WANT=(
	[tso]='TUN TSO off, USO'
	[uso]='USO off;'
	[gso]='UDP GSO off,'
	[gro]='GRO off'
	[all]='TUN TSO off, USO off; UDP GSO off, GRO off'
)

for setting in tso uso gso gro all; do
	line=$(offloads_line "$setting")
	case $line in
	*"${WANT[$setting]}"*) ok "$setting: the daemon's log says so ($line)" ;;
	*) not_ok "$setting: the daemon's log says so" "got:  $line" "want: ...${WANT[$setting]}..." ;;
	esac
	for s in $SCRIPTS; do
		out=$(RAMPART_OFFLOAD_OFF=$setting bash "$here/$s.sh" 2>&1)
		rc=$?
		summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' <<<"$out" | tail -n 1)
		if [ "$rc" -eq 0 ] && [[ $summary =~ ^[1-9][0-9]*\ passed,\ 0\ failed$ ]]; then
			ok "$setting: $s.sh ($summary)"
		else
			not_ok "$setting: $s.sh (status $rc: ${summary:-no summary})" \
				"$(grep -E '^not ok|^Bail out' <<<"$out" | head -n 20)"
		fi
	done
done

finish
