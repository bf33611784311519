#!/bin/bash
# The store's unit tests (build/tests/test_store, and test_store_hubs:
# several hubs in one inventory) on PostgreSQL: a cluster
# of this script's own (tests/pg.sh), and RAMPART_TEST_PG naming it, so
# that every case runs on a fresh schema there: the cases SQLite passes
# where the semantics are the same, and PostgreSQL's own (concurrent
# transactions, the migration race, passwords kept out of messages).
# Their results are this script's, numbered on.
#
#   build/tests/test_store{,_hubs} ──(RAMPART_TEST_PG, one schema per case)──►
#       postgres 15, Unix socket in $NS_TMP/pg, no TCP
set -u
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../pg.sh"
: "${BUILD:=$RAMPART_TOP/build}"
case $BUILD in /*) ;; *) BUILD=$RAMPART_TOP/$BUILD ;; esac

for t in test_store test_store_hubs; do
	[ -x "$BUILD/tests/$t" ] || bail "no $BUILD/tests/$t: make builds it"
done
setup "a PostgreSQL 15 cluster of the test's own" pg_start rampart
RAMPART_TEST_PG=$PG_URI unit_cases "$BUILD/tests/test_store"
RAMPART_TEST_PG=$PG_URI unit_cases "$BUILD/tests/test_store_hubs"
# Every schema a case made, it dropped.
left=$(pg_sql rampart "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'rampart_t%'")
check "the cases dropped their schemas" [ "$left" = 0 ]
finish
