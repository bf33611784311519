/* The SQLite backend's insides, shared by its two files: store_sqlite.c
 * (opening, schema, transactions, interfaces, peers, the change log) and
 * store_sqlite_hubs.c (hubs: spaces, assignments, shares, what each hub
 * saw).  Not for other callers: they go through store.h. */
#ifndef RAMPART_INVENTORY_STORE_SQLITE_H
#define RAMPART_INVENTORY_STORE_SQLITE_H

#include "store.h"

#include <limits.h>
#include <sqlite3.h>

struct sqlite_store {
	struct inv_store base;
	sqlite3 *db;
	char path[PATH_MAX];
};

static inline struct sqlite_store *sq_of(struct inv_store *s)
{
	return (struct sqlite_store *)s;
}

/* "PATH: WHAT: sqlite's message", with the errno of the result code. */
int sq_fail(struct sqlite_store *st, int rc, const char *what, struct error *err);
int sq_prepare(struct sqlite_store *st, const char *sql, sqlite3_stmt **out,
	       struct error *err) warn_unused;
void sq_bind_text(sqlite3_stmt *q, int i, const char *s);
/* A text column into out ("" for NULL), cut to size. */
void sq_col_text(sqlite3_stmt *q, int i, char *out, size_t size);
/* A row that does not read back as written is a damaged store. */
int sq_corrupt(struct sqlite_store *st, const char *what, const char *value, struct error *err);
/* Steps q (bound by the caller) to its end and finalizes it: 0, or the
 * failure of what. */
int sq_run(struct sqlite_store *st, sqlite3_stmt *q, const char *what, struct error *err);

/* Runs q (bound by the caller), whose rows are one name each, into a
 * new sorted array (free with inv_names_free()). */
int sq_read_names(struct sqlite_store *st, sqlite3_stmt *q, const char *what, char ***names,
		  size_t *n, struct error *err) warn_unused;

/* The latest handshake any hub saw, and its endpoint; the columns of
 * schema 1 only for a peer no hub has recorded (they are written as read,
 * and peer_seen holds what they held). */
#define SQ_SEEN_LATEST(col)                                                      \
	"COALESCE((SELECT " col " FROM peer_seen WHERE peer = peers.id"           \
	" ORDER BY last_handshake DESC, hub LIMIT 1), " col ")"

/* The columns of a peer's row, for "SELECT " SQ_PEER_COLUMNS " FROM
 * peers": its further hubs last, joined by ',' in no order. */
#define SQ_PEER_COLUMNS                                                          \
	"id, iface, name, owner, device, notes, public_key, psk, allow_overlap,"  \
	" keepalive, full_tunnel, state, created, approved, approved_by, expires, " \
	SQ_SEEN_LATEST("last_handshake") ", " SQ_SEEN_LATEST("last_endpoint")     \
	", next_key, rotate_until, rotate_on_handshake,"                          \
	" (SELECT group_concat(hub, ',') FROM peer_hubs WHERE peer = peers.id)"

/* Runs q (a SELECT of SQ_PEER_COLUMNS, bound by the caller) and reads
 * every row, with its prefixes, into a new array.  bound (may
 * be NULL: every prefix is read) is the space, or a hub of the space,
 * that the rows' home hubs are all of: the prefixes read are its. */
int sq_read_peers(struct sqlite_store *st, sqlite3_stmt *q, const char *bound,
		  struct inv_peer **out, size_t *n, struct error *err) warn_unused;

/* store_sqlite_hubs.c: the hub ops of the table. */
int sq_list_peer_set(struct inv_store *s, enum inv_peer_set set, const char *name,
		     struct inv_peer **out, size_t *n, struct error *err);
int sq_list_space(struct inv_store *s, const char *space, char ***names, size_t *n,
		  struct error *err);
int sq_assign(struct inv_store *s, int64_t peer, const char *hub, struct error *err);
int sq_unassign(struct inv_store *s, int64_t peer, const char *hub, struct error *err);
int sq_put_seen(struct inv_store *s, const struct inv_seen *seen, struct error *err);
int sq_list_seen(struct inv_store *s, const char *hub, int64_t peer, struct inv_seen **out,
		 size_t *n, struct error *err);

/* For the tests: the text of the migration from schema version from, or
 * NULL past the last. */
const char *inv_sqlite_migration(int from);

#endif
