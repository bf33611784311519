/* What a --db string names: a PostgreSQL database or an SQLite file, and
 * how to name it in a message without its password.
 *
 * The rule (docs/inventory.md): a string that starts with postgresql://
 * or postgres:// is a PostgreSQL URI; a string whose first word is one of
 * libpq's keywords followed by '=' ("host=/run/postgresql dbname=rampart",
 * "service=inventory"; libpq says which words are keywords) is libpq
 * key=value settings; anything else is the path of an SQLite file (write
 * ./dbname=x.db for a file of that name).  The string itself goes to
 * libpq as it is: TLS, sslmode, PGPASSFILE, ~/.pgpass and PGSERVICE are
 * libpq's. */
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
