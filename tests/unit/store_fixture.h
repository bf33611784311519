/* A fresh inventory per test case, of either backend: an SQLite file in
 * a throw-away directory, or, when RAMPART_TEST_PG names a PostgreSQL
 * database (a postgresql:// URI with parameters, whose role may create
 * schemas there: tests/db/store_pg.sh starts such a server), a new schema
 * in it that the case's connection string puts first and alone on the
 * search_path (options=-csearch_path=...), dropped at the end of the
 * case: as empty as a new database to the store, which names its tables
 * through the search_path, and made in milliseconds where CREATE
 * DATABASE takes a third of a second.  The cases open it with
 * inv_store_open(fx_db), as the CLI does; fx_raw() reaches past the store
 * for what it cannot do (set a newer version, try to change the log). */
#ifndef RAMPART_TESTS_STORE_FIXTURE_H
#define RAMPART_TESTS_STORE_FIXTURE_H

#include "harness.h"

#include "common/compiler.h"
#include "inventory/inventory.h"
#include "inventory/store.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *fx_pg;            /* RAMPART_TEST_PG, or NULL: SQLite */
static char fx_dir[64], fx_sub[96], fx_path[128]; /* SQLite's directory, file */
static char fx_name[64];             /* PostgreSQL: this case's schema */
static char fx_db[1024];             /* what the case opens */
static struct error err;

/* fx_pg with database name in place of its own. */
static unused_fn void fx_pg_uri(const char *name, char *out, size_t size)
{
	const char *p = strstr(fx_pg, "://"), *rest;

	if (!p) {
		CHECK_MSG(p, "RAMPART_TEST_PG is not a postgresql:// URI");
		snprintf(out, size, "%s", fx_pg);
		return;
	}
	p += 3;
	p += strcspn(p, "/?");
	rest = *p == '/' ? p + strcspn(p, "?") : p;
	snprintf(out, size, "%.*s/%s%s", (int)(p - fx_pg), fx_pg, name, rest);
}

static void fx_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Runs sql on uri; false (with the server's message in msg) on failure. */
static bool fx_pg_exec(const char *uri, const char *sql, char *msg, size_t size)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	ExecStatusType t;
	bool ok;

	PQsetNoticeProcessor(c, fx_quiet, NULL); /* DROP SCHEMA's list of what it drops */
	r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	t = PQresultStatus(r);
	ok = t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK;

	if (msg)
		snprintf(msg, size, "%s", r ? PQresultErrorMessage(r) : PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	return ok;
}

/* One number that sql selects on uri, or -1. */
static long fx_pg_number(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	long v = -1;

	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	PQfinish(c);
	return v;
}

/* A new schema in fx_pg's database; out gets fx_pg with it as the
 * search_path. */
static void fx_pg_create(const char *name, char *out, size_t size)
{
	char sql[128], msg[512];

	snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", name);
	CHECK_MSG(fx_pg_exec(fx_pg, sql, msg, sizeof(msg)), "%s: %s", sql, msg);
	snprintf(out, size, "%s%soptions=-csearch_path%%3D%s", fx_pg,
		 strchr(fx_pg, '?') ? "&" : "?", name);
}

static void fx_pg_drop(const char *name)
{
	char sql[128], msg[512];

	snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %s CASCADE", name);
	CHECK_MSG(fx_pg_exec(fx_pg, sql, msg, sizeof(msg)), "%s: %s", sql, msg);
}

static void setup(void)
{
	static unsigned n;

	error_clear(&err);
	if (fx_pg) {
		snprintf(fx_name, sizeof(fx_name), "rampart_t%d_%u", (int)getpid(), ++n);
		fx_pg_create(fx_name, fx_db, sizeof(fx_db));
		return;
	}
	snprintf(fx_dir, sizeof(fx_dir), "/tmp/rampart-store-XXXXXX");
	CHECK(mkdtemp(fx_dir) != NULL);
	snprintf(fx_sub, sizeof(fx_sub), "%s/lib", fx_dir);
	snprintf(fx_path, sizeof(fx_path), "%s/inventory.db", fx_sub);
	snprintf(fx_db, sizeof(fx_db), "%s", fx_path);
}

static void teardown(void)
{
	char f[160];

	if (fx_pg) {
		fx_pg_drop(fx_name);
		return;
	}
	for (const char *ext = ""; ext; ext = !*ext ? "-wal" : !strcmp(ext, "-wal") ? "-shm" : NULL) {
		snprintf(f, sizeof(f), "%s%s", fx_path, ext);
		unlink(f);
	}
	rmdir(fx_sub);
	rmdir(fx_dir);
}

static struct inv_store *open_store(void)
{
	struct inv_store *s = NULL;
	int r = inv_store_open(fx_db, &s, &err);

	CHECK_MSG(r == 0, "open: %d %s", r, err.msg);
	if (!s)
		exit(1); /* every case after this would crash on it */
	return s;
}

/* Runs sqlite_sql or pg_sql (by the backend) on the case's database,
 * past the store; false with the database's message in msg. */
static bool fx_raw(const char *sqlite_sql, const char *pg_sql, char *msg, size_t size)
{
	sqlite3 *d;
	char *m = NULL;
	bool ok;

	if (fx_pg)
		return fx_pg_exec(fx_db, pg_sql, msg, size);
	if (sqlite3_open(fx_path, &d) != SQLITE_OK) {
		snprintf(msg, size, "cannot open %s", fx_path);
		sqlite3_close(d);
		return false;
	}
	ok = sqlite3_exec(d, sqlite_sql, NULL, NULL, &m) == SQLITE_OK;
	snprintf(msg, size, "%s", m ? m : "");
	sqlite3_free(m);
	sqlite3_close(d);
	return ok;
}

/* Whether sql's first value on the SQLite file is want. */
static bool fx_sqlite_is(const char *sql, const char *want)
{
	sqlite3 *d;
	sqlite3_stmt *q;
	bool is = false;

	if (sqlite3_open(fx_path, &d) == SQLITE_OK &&
	    sqlite3_prepare_v2(d, sql, -1, &q, NULL) == SQLITE_OK) {
		is = sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0) &&
		     !strcmp((const char *)sqlite3_column_text(q, 0), want);
		sqlite3_finalize(q);
	}
	sqlite3_close(d);
	return is;
}

/* Whether the database records schema version v. */
static bool fx_version_is(long v)
{
	char want[24];

	if (fx_pg)
		return fx_pg_number(fx_db, "SELECT version FROM schema_version") == v;
	snprintf(want, sizeof(want), "%ld", v);
	return fx_sqlite_is("PRAGMA user_version", want);
}

/* ---- records for the cases ------------------------------------------ */

static void key(uint8_t k[KEY_LEN], uint8_t seed)
{
	memset(k, seed, KEY_LEN);
}

static void prefix(struct netaddr_prefix *p, const char *s)
{
	const char *why;

	CHECK(netaddr_parse_prefix(p, s, &why));
}

static bool addr_is(const struct netaddr_prefix *x, const char *want)
{
	struct netaddr_prefix y;

	prefix(&y, want);
	return netaddr_prefix_equal(x, &y);
}

/* Hub name, of pool (one), reached at vpn.example.org. */
static void iface(struct inv_interface *ifc, const char *name, const char *pool)
{
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	snprintf(ifc->endpoint, sizeof(ifc->endpoint), "vpn.example.org:51820");
	prefix(&ifc->pools[0], pool);
	ifc->n_pools = 1;
}

static void peer(struct inv_peer *p, const char *ifname, const char *name, uint8_t seed)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->iface, sizeof(p->iface), "%s", ifname);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->owner, sizeof(p->owner), "alice");
	key(p->public_key, seed);
}

static struct inv_ctx ctx(struct inv_store *s, int64_t now)
{
	struct inv_ctx c = { s, "alice", now };

	return c;
}

/* How many lines of the change log have action. */
static size_t log_count(struct inv_store *s, const char *action)
{
	struct inv_ctx c = ctx(s, 0);
	struct inv_log_entry *v;
	size_t n, k = 0;

	CHECK(inv_log(&c, NULL, NULL, &v, &n, &err) == 0);
	for (size_t i = 0; i < n; i++)
		k += !strcmp(v[i].action, action);
	free(v);
	return k;
}

/* A fresh store with interface wg0 of pool, on a clock at 1000. */
static unused_fn struct inv_store *start(struct inv_ctx *c, const char *pool)
{
	struct inv_interface ifc;
	struct inv_store *s;

	setup();
	s = open_store();
	*c = ctx(s, 1000);
	iface(&ifc, "wg0", pool);
	CHECK(inv_init(c, &ifc, &err) == 0);
	return s;
}

/* Runs the cases of the backend RAMPART_TEST_PG picks. */
static int fx_main(const struct harness_case *sqlite_cases, size_t n_sqlite,
		   const struct harness_case *pg_cases, size_t n_pg, int argc, char *argv[])
{
	fx_pg = getenv("RAMPART_TEST_PG");
	if (fx_pg && !*fx_pg)
		fx_pg = NULL;
	return fx_pg ? harness_main(pg_cases, n_pg, argc, argv)
		     : harness_main(sqlite_cases, n_sqlite, argc, argv);
}

#endif
