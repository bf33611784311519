# PostgreSQL for the script tests (tests/db): a cluster of the script's
# own, in its scratch directory, reachable only through a Unix socket in
# that directory, stopped and removed when the script exits, on failure
# too.  Source it after lib.sh, then call pg_start.
# shellcheck shell=bash
: "${PG_BIN:=/usr/lib/postgresql/15/bin}"
PG_DIR=
PG_URI=

# pg_as CMD...: CMD as the unprivileged postgres user (Debian's
# postgresql package makes it); the server refuses to run as root.
pg_as() { runuser -u postgres -- "$@"; }

# pg_sql DB SQL...: runs SQL in database DB as the superuser, prints the
# rows unaligned ("a|b"), stops at the first error.
pg_sql() {
	local db=$1; shift
	"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -h "$PG_DIR" -U postgres -d "$db" \
		-c "$*"
}

# pg_uri DB [ROLE]: the URI of database DB on this cluster, as ROLE
# (default rampart).
pg_uri() { echo "postgresql:///$1?host=$PG_DIR&user=${2:-rampart}"; }

# pg_start [DB [SETTING...]]: initdb into $NS_TMP/pg, start the server
# there (listen_addresses='', the socket beside the data, fsync off: the
# data is thrown away), make the role rampart (LOGIN CREATEDB, not a
# superuser) and its database DB (default rampart), and export PG_URI,
# the URI of DB as rampart.  SETTINGs are more "-c NAME=VALUE" for the
# server.  The exit trap stops the server and removes the directory.
pg_start() {
	local db=${1:-rampart} opts
	[ $# -gt 0 ] && shift
	[ -x "$PG_BIN/postgres" ] || { echo "no $PG_BIN/postgres: scripts/deps.sh installs it" >&2; return 1; }
	[ "$(id -u)" = 0 ] || { echo "pg_start needs root, to run the server as postgres" >&2; return 1; }
	PG_DIR=$NS_TMP/pg
	# The server's user must reach its directory inside the scratch one.
	chmod 711 "$NS_TMP" && mkdir -p "$PG_DIR" && chown postgres: "$PG_DIR" && chmod 700 "$PG_DIR" ||
		return 1
	if ! pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C \
		--no-sync >"$PG_DIR/initdb.log" 2>&1; then
		cat "$PG_DIR/initdb.log" >&2
		return 1
	fi
	on_exit pg_stop
	opts="-c listen_addresses='' -k $PG_DIR -c fsync=off -c synchronous_commit=off"
	opts="$opts -c full_page_writes=off -c max_connections=300 $*"
	if ! pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
		-o "$opts" start >/dev/null; then
		cat "$PG_DIR/server.log" >&2
		return 1
	fi
	pg_sql postgres "CREATE ROLE rampart LOGIN CREATEDB" &&
		pg_sql postgres "CREATE DATABASE $db OWNER rampart" || return 1
	PG_URI=$(pg_uri "$db")
	export PG_URI
}

# pg_stop: the server down at once (nothing in it is kept), the directory
# gone.  Runs from the exit trap.
pg_stop() {
	[ -n "$PG_DIR" ] && [ -d "$PG_DIR/data" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
	[ "${NS_KEEP_TMP:-0}" = 1 ] || rm -rf -- "$PG_DIR"
	PG_DIR=
}

# pg_new_db DB: another database of rampart's on the cluster; prints its
# URI.
pg_new_db() { pg_sql postgres "CREATE DATABASE $1 OWNER rampart" && pg_uri "$1"; }

# pg_count PATTERN: how many lines of the server's log match PATTERN (an
# extended regular expression): "could not serialize" counts the
# serialization failures, one per failed try.
pg_count() { grep -c -E -- "$1" "$PG_DIR/server.log" 2>/dev/null; }
