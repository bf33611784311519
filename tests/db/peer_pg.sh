#!/bin/bash
# rampart peer with --db naming a PostgreSQL database, as hubs that share
# one inventory use it.  A cluster of the script's own (tests/pg.sh):
#
#   200 x rampart peer add ──┐
#   2 x rampart peer init ───┼──► postgres 15 ◄── psql (the checks)
#   rampart peer ... ────────┘    Unix socket in $NS_TMP/pg, no TCP
#   200 x rampart peer add ─────► $NS_TMP/lib/inventory.db (SQLite, the control)
#
# 200 concurrent adds give 200 peers, 200 distinct addresses per pool and
# no failure, on PostgreSQL (where they collide and run again) as on
# SQLite; the negative control: a pool too small for them gives exactly
# the -ENOSPC failures it must, and the address check finds a duplicate
# where one was planted.  Two processes migrating a fresh database at
# once both succeed.  A password in the connection string is in no
# output; libpq's password file works.
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pg.sh"
need_tool wg python3
unset RAMPART_DB RAMPART_NOW
setup "a PostgreSQL 15 cluster of the test's own" pg_start rampart
hub=$(wg genkey | wg pubkey)
P() { "$RAMPART" peer "$@"; }
quiet() { "$@" >/dev/null; }
# init DB IFACE POOL...: rampart peer init with those pools.
init() {
	local db=$1 ifc=$2 pools=() p; shift 2
	for p in "$@"; do pools+=(--pool "$p"); done
	P init -i "$ifc" --endpoint vpn.example.org:51820 "${pools[@]}" --public-key "$hub" \
		--db "$db" >/dev/null
}

# adds DB IFACE TAG N: N `peer add TAG1..TAGN` at once; sets ADDS_FAILED
# and ADDS_MS, each one's stderr in $NS_TMP/TAGi.err.
adds() {
	local db=$1 ifc=$2 tag=$3 n=$4 i p pids=() t0
	t0=$(date +%s%N)
	for i in $(seq "$n"); do
		P add "$tag$i" -i "$ifc" --owner load --generate --db "$db" >/dev/null \
			2>"$NS_TMP/$tag$i.err" &
		pids+=($!)
	done
	ADDS_FAILED=0
	for p in "${pids[@]}"; do wait "$p" || ADDS_FAILED=$((ADDS_FAILED + 1)); done
	ADDS_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
}

# distinct N: the `peer list --json` on stdin has N peers, each with an
# address from each of the interface's pools, no address twice.
distinct() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
a = [x for p in d["peers"] for x in p["addresses"]]
n, pools = int(sys.argv[1]), int(sys.argv[2])
sys.exit(0 if len(d["peers"]) == n and len(a) == n * pools and len(set(a)) == len(a) else 1)
' "$1" "${2:-2}"
}

# ---- 200 at once on PostgreSQL ----------------------------------------
check "peer init on PostgreSQL" init "$PG_URI" wg0 10.8.0.0/24 fd08::/64
adds "$PG_URI" wg0 c 200
lost=$(pg_count 'could not serialize')
P list -i wg0 --json --db "$PG_URI" > "$NS_TMP/pg.json"
if [ "$ADDS_FAILED" = 0 ] && distinct 200 < "$NS_TMP/pg.json"; then
	ok "200 concurrent adds on PostgreSQL: 200 peers, 400 distinct addresses, no failure ($ADDS_MS ms)"
else
	not_ok "200 concurrent adds on PostgreSQL" "$ADDS_FAILED failed" "$(cat "$NS_TMP"/c*.err | sort | uniq -c | head -5)"
fi
# The test is only worth its name if the adds collided: each serialization
# failure in the server's log is a try that lost and ran again.
check "they collided ($lost serialization failures), and every loser ran again" \
	[ "${lost:-0}" -gt 0 ]
n=$(pg_sql rampart "SELECT count(*) FROM change_log WHERE action = 'add'")
check "the change log has exactly the 200 adds" [ "$n" = 200 ]

# ---- the control: 200 at once on SQLite --------------------------------
lite=$NS_TMP/lib/inventory.db
check "peer init on SQLite" init "$lite" wg0 10.8.0.0/24 fd08::/64
adds "$lite" wg0 c 200
P list -i wg0 --json --db "$lite" > "$NS_TMP/lite.json"
if [ "$ADDS_FAILED" = 0 ] && distinct 200 < "$NS_TMP/lite.json"; then
	ok "the control: 200 concurrent adds on SQLite, the same ($ADDS_MS ms)"
else
	not_ok "the control: 200 concurrent adds on SQLite" "$ADDS_FAILED failed" "$(cat "$NS_TMP"/c*.err | head -5)"
fi

# ---- negative controls: the test can fail ------------------------------
# A /26 holds 61 peers (64 less the network, the hub, the broadcast): of
# 200 at once, exactly 139 are refused, each naming the pool, and the 61
# have distinct addresses.
check "an interface with a /26" init "$PG_URI" wg1 10.9.0.0/26
adds "$PG_URI" wg1 x 200
full=$(grep -l "pool 10.9.0.0/26 of wg1 is exhausted" "$NS_TMP"/x*.err | wc -l)
P list -i wg1 --json --db "$PG_URI" > "$NS_TMP/small.json"
if [ "$ADDS_FAILED" = 139 ] && [ "$full" = 139 ] && distinct 61 1 < "$NS_TMP/small.json"; then
	ok "200 at once on a /26: exactly 139 refused as exhausted, 61 peers, distinct ($ADDS_MS ms)"
else
	not_ok "200 at once on a /26" "$ADDS_FAILED failed, $full exhausted" \
		"$(cat "$NS_TMP"/x*.err | sort | uniq -c | head -5)"
fi
# The address check itself, on a list with one address planted twice.
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
d["peers"][1]["addresses"][0] = d["peers"][0]["addresses"][0]
json.dump(d, sys.stdout)' "$NS_TMP/pg.json" > "$NS_TMP/twice.json"
not_distinct() { ! distinct "$@"; }
check "the address check finds an address given twice" not_distinct 200 < "$NS_TMP/twice.json"

# ---- two hubs migrating a fresh database at once -----------------------
fresh=$(pg_new_db fresh) || bail "no second database"
pids=()
for i in 1 2; do
	P init -i wg0 --endpoint "hub$i.example.org:51820" --pool 10.7.0.0/24 \
		--public-key "$hub" --db "$fresh" >/dev/null 2>"$NS_TMP/mig$i.err" &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
v=$(pg_sql fresh "SELECT count(*), max(version) FROM schema_version")
check "two inits on a fresh database at once: both succeed, the schema once, at version 2" \
	[ "$rc-$v" = "0-1|2" ]
n=$(pg_sql fresh "SELECT string_agg(action, ',' ORDER BY action) FROM change_log")
check "and the log has the one init and the one reinit" [ "$n" = "init,reinit" ]

# ---- passwords ---------------------------------------------------------
# Trust authentication takes any password: each command connects, and
# fails where it must, with the password in its URI, a parameter or a
# key=value string; none of it may be in what is printed.
pw=Tr0ub4dor-3-secret
: > "$NS_TMP/out.all"
run_all() { "$@" >>"$NS_TMP/out.all" 2>&1; }
with=postgresql://rampart:$pw@/rampart?host=$PG_DIR
run_all P init -i wg9 --endpoint vpn.example.org:51820 --pool 10.6.0.0/24 --db "$with"
run_all P init -i wg9 --endpoint vpn.example.org:51820 --pool 10.6.0.0/24 --db "$with" --json
run_all P show nobody -i wg9 --db "$with"
run_all P list --db "$with"
run_all P add c1 -i wg0 --owner x --generate --db "$with"
run_all P list --db "postgresql://rampart:$pw@/nodb?host=$PG_DIR"
run_all P list --db "postgresql:///nodb?host=$PG_DIR&user=rampart&password=$pw"
run_all P list --db "host=$PG_DIR user=rampart password=$pw dbname=nodb"
run_all P list --db "postgresql://rampart:$pw@/nodb?host=$PG_DIR&password"
run_all "$RAMPART" audit wg0 --db "postgresql://rampart:$pw@/nodb?host=$PG_DIR"
check "the commands said what they did and why they failed" \
	grep -q 'interface wg9 in postgresql://rampart@/rampart' "$NS_TMP/out.all"
check "nodb is named, without the password" grep -q '"nodb" does not exist' "$NS_TMP/out.all"
check "the password is in no output" sh -c '! grep -q -- "$0" "$1"' "$pw" "$NS_TMP/out.all"
# The negative control: the grep finds it where it is.
echo "$with" > "$NS_TMP/with"
check "and the same grep finds it where it is" grep -q -- "$pw" "$NS_TMP/with"

# libpq's password file: a role that must give a password (scram), which
# the file gives; without it the server refuses.
setup "a role with a password" pg_sql postgres "CREATE ROLE pwuser LOGIN PASSWORD 'right-horse'"
setup "its database" pg_sql postgres "CREATE DATABASE pwdb OWNER pwuser"
sed -i '1i local all pwuser scram-sha-256' "$PG_DIR/data/pg_hba.conf"
setup "the server reads pg_hba.conf again" pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" reload -s
pwdb=$(pg_uri pwdb pwuser)
wait_refused() { ! P list --db "$pwdb" >/dev/null 2>&1; }
setup "the new rule holds" wait_for 5 wait_refused
fails "without the password the server refuses" "no password supplied" P list --db "$pwdb"
(umask 077; echo "*:*:pwdb:pwuser:right-horse" > "$NS_TMP/pgpass")
check "PGPASSFILE gives it, as libpq does" \
	quiet env PGPASSFILE="$NS_TMP/pgpass" "$RAMPART" peer init -i wg0 --endpoint h:1 \
	--pool 10.5.0.0/24 --db "$pwdb"
fails "a wrong password is refused, naming the user and not the password" \
	'password authentication failed for user "pwuser"' \
	P list --db "postgresql://pwuser:wrong-horse@/pwdb?host=$PG_DIR"
check "and the wrong password is not in it" sh -c '! grep -q wrong-horse "$0"' "$NS_TMP/err"
finish
