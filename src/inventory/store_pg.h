/* The PostgreSQL backend's insides, shared by its two files: store_pg.c
 * (connection, errors, schema, transactions, interfaces) and
 * store_pg_peers.c (peers and the change log).  Not for other callers:
 * they go through store.h. */
#ifndef RAMPART_INVENTORY_STORE_PG_H
#define RAMPART_INVENTORY_STORE_PG_H

#include "store.h"

#include <libpq-fe.h>

enum {
	PG_NAME_MAX = 1024,  /* the connection string as messages show it */
	PG_PARAMS_MAX = 24,  /* parameters of one statement */
};

struct pg_store {
	struct inv_store base;
	PGconn *conn;
	bool readonly;            /* every transaction READ ONLY */
	bool lost;                /* the last write lost to a concurrent one (-EAGAIN) */
	bool queued;              /* holds the writers' lock (store_pg.c) */
	char name[PG_NAME_MAX];   /* the connection string, its password left out */
	char constraint[64];      /* the one the last failed statement named, or "" */
};

static inline struct pg_store *pg_of(struct inv_store *s)
{
	return (struct pg_store *)s;
}

/* A statement's parameters, all as text (NULL: SQL NULL).  A number or
 * a key is written into the slot's own buffer. */
struct pg_params {
	int n;
	const char *v[PG_PARAMS_MAX];
	char buf[PG_PARAMS_MAX][KEY_B64_LEN + 1];
};

void pg_text(struct pg_params *p, const char *s);
void pg_int(struct pg_params *p, int64_t x);
void pg_bool(struct pg_params *p, bool b);
/* The key in base64, or NULL when !has. */
void pg_key(struct pg_params *p, bool has, const uint8_t key[KEY_LEN]);

/* Runs sql (one statement) with p (NULL: none).  On success *out (may be
 * NULL: cleared here) holds the result, for PQclear(); else err says
 * "NAME: WHAT: the server's message" with the errno of pg_code(). */
int pg_run(struct pg_store *st, const char *sql, const struct pg_params *p, const char *what,
	   PGresult **out, struct error *err) warn_unused;
/* The failure of res (NULL: of the connection) as an error; keeps the
 * constraint it names in st->constraint. */
int pg_fail(struct pg_store *st, const PGresult *res, const char *what, struct error *err);
/* The errno for a failed result: -EAGAIN for a serialization failure or
 * a deadlock, and for a unique violation of the address index (another
 * transaction took the address); -EEXIST for another unique violation;
 * -EACCES for a write in a READ ONLY transaction; ... */
int pg_code(const PGresult *res);
/* The constraint a failed res names, or "". */
const char *pg_constraint(const PGresult *res);

/* A result's field as text ("" for NULL), as a number, as a boolean. */
void pg_col_text(const PGresult *r, int row, int col, char *out, size_t size);
int64_t pg_col_int(const PGresult *r, int row, int col);
bool pg_col_bool(const PGresult *r, int row, int col);
/* A row that does not read back as written is a damaged store. */
int pg_corrupt(struct pg_store *st, const char *what, const char *value, struct error *err);

/* The latest handshake any hub saw, and its endpoint; the columns of
 * schema 1 only for a peer no hub has recorded (SQLite's SQ_SEEN_LATEST). */
#define PG_SEEN_LATEST(col)                                                      \
	"COALESCE((SELECT " col " FROM peer_seen WHERE peer = peers.id"           \
	" ORDER BY last_handshake DESC, hub COLLATE \"C\" LIMIT 1), " col ")"

/* Every column of a peer in bind_peer()'s order (store_pg_peers.c) after
 * id, then its prefixes as "addr 10.8.0.2/32,site 192.168.1.0/24" (a
 * prefix has no space and no comma), addresses first, each kind in its
 * order, then its further hubs joined by ',' (a hub's name has none) in
 * no order. */
#define PG_PEER_SELECT                                                           \
	"SELECT id, iface, name, owner, device, notes, public_key, psk, allow_overlap," \
	" keepalive, full_tunnel, state, created, approved, approved_by, expires, "  \
	PG_SEEN_LATEST("last_handshake") ", " PG_SEEN_LATEST("last_endpoint")       \
	", next_key, rotate_until, rotate_on_handshake,"                            \
	" (SELECT string_agg(kind || ' ' || prefix, ',' ORDER BY kind, pos)"         \
	" FROM peer_prefixes WHERE peer = peers.id),"                                \
	" (SELECT string_agg(hub, ',') FROM peer_hubs WHERE peer = peers.id) FROM peers"

/* store_pg_peers.c: the peer and change-log ops of the table, and the
 * reading of peers that store_pg_hubs.c shares: runs a PG_PEER_SELECT
 * statement and reads every row into a new array. */
int pg_read_peers(struct pg_store *st, const char *sql, const struct pg_params *p,
		  struct inv_peer **out, size_t *n, struct error *err) warn_unused;
int pg_list_peers(struct inv_store *s, const char *iface, struct inv_peer **out, size_t *n,
		  struct error *err);
int pg_find_peer(struct inv_store *s, const char *iface, const char *name,
		 struct inv_peer *out, bool *found, struct error *err);
int pg_find_key(struct inv_store *s, const uint8_t key[KEY_LEN], struct inv_peer *out,
		bool *found, struct error *err);
int pg_insert_peer(struct inv_store *s, struct inv_peer *p, struct error *err);
int pg_update_peer(struct inv_store *s, const struct inv_peer *p, struct error *err);
int pg_append_log(struct inv_store *s, struct inv_log_entry *e, struct error *err);
int pg_list_log(struct inv_store *s, const char *iface, const char *peer,
		struct inv_log_entry **out, size_t *n, struct error *err);

/* store_pg_hubs.c: the hub ops of the table. */
int pg_list_peer_set(struct inv_store *s, enum inv_peer_set set, const char *name,
		     struct inv_peer **out, size_t *n, struct error *err);
int pg_list_space(struct inv_store *s, const char *space, char ***names, size_t *n,
		  struct error *err);
int pg_assign(struct inv_store *s, int64_t peer, const char *hub, struct error *err);
int pg_unassign(struct inv_store *s, int64_t peer, const char *hub, struct error *err);
int pg_put_seen(struct inv_store *s, const struct inv_seen *seen, struct error *err);
int pg_list_seen(struct inv_store *s, const char *hub, int64_t peer, struct inv_seen **out,
		 size_t *n, struct error *err);
/* The names of res's first column, in a new array (free with
 * inv_names_free()); res is cleared. */
int pg_read_names(struct pg_store *st, PGresult *res, char ***names, size_t *n,
		  struct error *err) warn_unused;

/* For the tests: the text of the migration from schema version from, or
 * NULL past the last. */
const char *inv_pg_migration(int from);

#endif
