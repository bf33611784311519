/* What a --db string names: a PostgreSQL database or an SQLite file, and
 * how to name it in a message without its password.
 *
 * The rule (docs/inventory.md): a string that starts with postgresql://
 * or postgres:// is a PostgreSQL URI; a string that libpq reads as
 * key=value settings (PQconninfoParse: "host=/run/postgresql
 * dbname=rampart", "service=inventory") is a PostgreSQL connection
 * string; anything else is the path of an SQLite file.  A path is never
 * read as settings unless its first word is one of libpq's keywords
 * followed by '=' (write ./dbname=x.db for a file of that name).  The
 * string itself goes to libpq as it is: TLS, sslmode, PGPASSFILE,
 * ~/.pgpass and PGSERVICE are libpq's. */
#ifndef RAMPART_INVENTORY_CONNINFO_H
#define RAMPART_INVENTORY_CONNINFO_H

#include <stdbool.h>
#include <stddef.h>

bool inv_conninfo_is_pg(const char *db);

/* db as a message may show it: a path as it is; a URI without the
 * password of its user part and without its password= and sslpassword=
 * parameters; key=value settings as libpq read them, less those two.
 * Something libpq cannot read is not shown at all.  Cut to size;
 * returns out. */
const char *inv_conninfo_redact(const char *db, char *out, size_t size);

#endif
