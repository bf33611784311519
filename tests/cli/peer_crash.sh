#!/bin/bash
# rampart peer add / approve killed with SIGKILL at random points: the
# database stays sound (PRAGMA integrity_check), every command that
# printed success is in it, and no address is given twice.  The release
# binary, so that the kill lands inside SQLite's work as often as in
# start-up.
set -u
. "$(dirname "$0")/../lib.sh"
tmp=$NS_TMP # removed by the library on exit
need_tool python3 wg
export RAMPART_DB=$tmp/lib/inventory.db
ROUNDS=${PEER_CRASH_ROUNDS:-200}
P() { "$RAMPART_REL" peer "$@"; }
quiet() { "$@" >/dev/null; }
setup "init" quiet P init -i wg0 --endpoint vpn.example.org:51820 --pool 10.0.0.0/16 --pool fd00::/64
# kill_at PROGRAM ARGS...: runs PROGRAM (a program, not a function, so
# that the pid killed is its own), SIGKILLs it after 0-14 ms; its stdout in
# $tmp/out, emptied first (a child killed before its redirection would
# leave the last round's there).
kill_at() {
	: >"$tmp/out"
	"$@" >"$tmp/out" 2>/dev/null &
	local pid=$!
	sleep "0.0$(printf '%02d' $((RANDOM % 15)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

added=() approved=() pending=()
for i in $(seq "$ROUNDS"); do
	if [ $((i % 2)) = 0 ] && [ ${#pending[@]} -gt 0 ]; then
		n=${pending[0]}; pending=("${pending[@]:1}")
		kill_at "$RAMPART_REL" peer approve "$n"
		grep -q "is active" "$tmp/out" && approved+=("$n")
		continue
	fi
	if [ $((i % 3)) = 0 ]; then
		printf 'Name = r%s\nPublicKey = %s\n' "$i" "$(wg genkey | wg pubkey)" > "$tmp/req"
		kill_at "$RAMPART_REL" peer add "r$i" --owner x --request "$tmp/req"
		grep -q "is pending" "$tmp/out" && { added+=("r$i"); pending+=("r$i"); }
	else
		kill_at "$RAMPART_REL" peer add "g$i" --owner x --generate
		grep -q "^AllowedIPs" "$tmp/out" && added+=("g$i")
	fi
done
P list --json > "$tmp/list.json" || bail "list after the kills failed"
python3 - "$tmp/list.json" "${added[*]:-}" "${approved[*]:-}" <<'PY' && ok "every printed add and approve is present (${#added[@]} adds, ${#approved[@]} approves)" || not_ok "every printed add and approve is present"
import json, sys
d = json.load(open(sys.argv[1]))
peers = {p['name']: p for p in d['peers']}
missing = [n for n in sys.argv[2].split() if n not in peers]
unapproved = [n for n in sys.argv[3].split() if peers.get(n, {}).get('state') != 'active']
if missing or unapproved:
    print('  missing', missing, 'not active', unapproved, file=sys.stderr)
    sys.exit(1)
PY
python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
a = [x for p in d['peers'] for x in p['addresses']]
sys.exit(0 if len(a) == len(set(a)) else 1)" "$tmp/list.json" &&
	ok "no address given twice" || not_ok "no address given twice"
python3 -c "
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
sys.exit(0 if c.execute('PRAGMA integrity_check').fetchone()[0] == 'ok' else 1)" "$RAMPART_DB" &&
	ok "PRAGMA integrity_check after $ROUNDS kills" || not_ok "PRAGMA integrity_check after $ROUNDS kills"
# Every peer in the table has its add in the log (one transaction).
P log --json > "$tmp/log.json"
python3 -c "
import json, sys
peers = {p['name'] for p in json.load(open(sys.argv[1]))['peers']}
logged = {e['peer'] for e in json.load(open(sys.argv[2]))['entries'] if e['action'] == 'add'}
print('  ', sorted(peers ^ logged), file=sys.stderr) if peers != logged else None
sys.exit(0 if peers == logged else 1)" "$tmp/list.json" "$tmp/log.json" &&
	ok "the log has exactly the adds that happened" || not_ok "the log has exactly the adds that happened"
finish
