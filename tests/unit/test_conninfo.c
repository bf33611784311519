/* inventory/conninfo: which --db strings are PostgreSQL's, and the
 * string a message may show, without the password, for every way libpq
 * takes one: the URI's user part, its password= and sslpassword=
 * parameters (their names %-escaped too), key=value settings, and
 * strings libpq cannot read. */
#include "harness.h"

#include "inventory/conninfo.h"

#include <stdio.h>
#include <string.h>

static const char *shown(const char *db)
{
	static char out[512];

	return inv_conninfo_redact(db, out, sizeof(out));
}

/* 1: URIs and libpq settings are PostgreSQL's; paths (even with an '='
 * in them) and the empty string are SQLite's. */
static void test_which(void)
{
	static const char *const pg[] = {
		"postgresql:///rampart", "postgres://db.example.org/inv",
		"postgresql://alice:pw@[::1]:5433/inv?sslmode=verify-full",
		"dbname=rampart", "host=/run/postgresql dbname=rampart user=rampart",
		"service=inventory", " dbname = rampart ", "host=h password='unterminated",
	};
	static const char *const paths[] = {
		"", "/var/lib/rampart/inventory.db", "inventory.db", "./dbname=x.db",
		"a=b", "lib/host=x", "postgresql:/x", "my db=x", "hostx=1", "=x",
	};

	for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++)
		CHECK_MSG(inv_conninfo_is_pg(pg[i]), "%s", pg[i]);
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		CHECK_MSG(!inv_conninfo_is_pg(paths[i]), "%s", paths[i]);
}

/* 2: a URI keeps its shape, less the secrets. */
static void test_uri(void)
{
	CHECK_STR(shown("postgresql://alice:s3cret@db.example.org:5432/inv?sslmode=verify-full"),
		  "postgresql://alice@db.example.org:5432/inv?sslmode=verify-full");
	CHECK_STR(shown("postgresql:///inv?host=/run/pg&password=s3cret&user=alice"),
		  "postgresql:///inv?host=/run/pg&user=alice");
	CHECK_STR(shown("postgres://h/inv?password=s3cret"), "postgres://h/inv");
	CHECK_STR(shown("postgresql://h/inv?sslpassword=s3cret&sslmode=require"),
		  "postgresql://h/inv?sslmode=require");
	/* libpq decodes parameter names: pass%77ord is password. */
	CHECK_STR(shown("postgresql://h/inv?pass%77ord=s3cret&application_name=x"),
		  "postgresql://h/inv?application_name=x");
	CHECK_STR(shown("postgresql://:s3cret@h/inv"), "postgresql://@h/inv");
	CHECK_STR(shown("postgresql://bob:se%40cr%2Fet@h,h2:5433/inv"),
		  "postgresql://bob@h,h2:5433/inv");
	/* No secret: as it is. */
	CHECK_STR(shown("postgresql:///rampart?host=/tmp/pg&user=rampart"),
		  "postgresql:///rampart?host=/tmp/pg&user=rampart");
	/* A password with an unescaped '@': cut to the last one. */
	CHECK(!strstr(shown("postgresql://u:p@ss@h/db"), "p@ss"));
}

/* 3: key=value settings come back as libpq read them, less the secrets,
 * quoted where they must be. */
static void test_settings(void)
{
	const char *s = shown("host=/run/pg password='s3 cr\\'et' dbname=inv user=alice");

	CHECK_MSG(!strstr(s, "s3") && !strstr(s, "password"), "%s", s);
	CHECK_MSG(strstr(s, "host=/run/pg") && strstr(s, "dbname=inv") && strstr(s, "user=alice"),
		  "%s", s);
	s = shown("dbname='my inv' sslpassword=s3cret sslmode=require");
	CHECK_MSG(!strstr(s, "s3cret") && strstr(s, "dbname='my inv'") &&
		  strstr(s, "sslmode=require"), "%s", s);
}

/* 4: a string libpq cannot read is not shown at all (its parser's own
 * message would quote it); a path is shown as it is; a small buffer cuts. */
static void test_unreadable(void)
{
	char small[12];

	CHECK(strstr(shown("postgresql://u:s3cret@h/db?password"), "not shown"));
	CHECK(!strstr(shown("postgresql://u:s3cret@h/db?password"), "s3cret"));
	CHECK_STR(shown("postgresql://u:s3/cret@h/db"), "postgresql://u@h/db");
	CHECK(strstr(shown("postgresql://u:s3/cr?et@h/db"), "not shown"));
	CHECK(!strstr(shown("host=h password='s3cret"), "s3cret"));
	CHECK_STR(shown("/var/lib/rampart/inventory.db"), "/var/lib/rampart/inventory.db");
	CHECK(strlen(inv_conninfo_redact("postgresql://u:s3cret@h/db", small, sizeof(small))) ==
	      sizeof(small) - 1 && !strstr(small, "s3"));
	CHECK(inv_conninfo_redact("x", small, 0) == small);
}

static const struct harness_case cases[] = {
	{ "conninfo: URIs and libpq settings are PostgreSQL's, anything else a path", test_which },
	{ "conninfo: a URI is shown less its password and password parameters", test_uri },
	{ "conninfo: key=value settings are shown as libpq read them, less secrets",
	  test_settings },
	{ "conninfo: what libpq cannot read is not shown; paths as they are", test_unreadable },
};

HARNESS_MAIN(cases)
