/* Where the inventory lives: a narrow interface over a database, with two
 * backends.  SQLite (store_sqlite.c), the default:
 * /var/lib/rampart/inventory.db (0600, its directory 0700), WAL, foreign
 * keys.  PostgreSQL (store_pg.c), for several hubs that share one
 * inventory.  Both keep the same schema, versioned and migrated forward at
 * open; inv_store_open() picks the backend by the string it is given
 * (conninfo.h).
 *
 * Every read and write happens inside a transaction: inv_store_begin()
 * with write = true makes the command's reads and its writes one state:
 * two concurrent `rampart peer add`s never allot one address.  SQLite
 * takes the database's write lock at once (BEGIN IMMEDIATE), waiting for
 * a busy database up to INV_STORE_BUSY_MS before -EBUSY.  PostgreSQL runs
 * the transaction SERIALIZABLE: it may fail at any statement or at
 * inv_store_commit() with -EAGAIN when a concurrent transaction won
 * (a serialization failure, a deadlock, an address another transaction
 * took), and the caller runs the whole transaction again (inventory.c
 * does).  Nothing is visible to others, nor durable, before
 * inv_store_commit() returns 0; a process killed before that leaves no
 * trace of its transaction.
 *
 * Errors: 0 or -errno, with the reason in err (the database's message,
 * the path or the connection string without its password); -ENOENT from
 * a find is "not there", with found = false, not an error.  No function
 * prints. */
#ifndef RAMPART_INVENTORY_STORE_H
#define RAMPART_INVENTORY_STORE_H

#include "model.h"

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define INV_STORE_DEFAULT_PATH "/var/lib/rampart/inventory.db"
enum { INV_STORE_BUSY_MS = 30000 };

struct inv_store;

/* The sets of peers of list_peer_set. */
enum inv_peer_set {
	INV_SET_SPACE, /* every peer whose home hub is of the space */
	INV_SET_SHARE, /* a hub's share: active, at home there or assigned to it */
};

/* The backend's operations; a backend fills one table. */
struct inv_store_ops {
	const char *name; /* "sqlite", "postgresql" */
	void (*close)(struct inv_store *s);
	int (*begin)(struct inv_store *s, bool write, struct error *err);
	int (*commit)(struct inv_store *s, struct error *err);
	void (*rollback)(struct inv_store *s);

	/* Interfaces. */
	int (*get_interface)(struct inv_store *s, const char *name, struct inv_interface *out,
			     bool *found, struct error *err);
	/* Inserts or replaces by name. */
	int (*put_interface)(struct inv_store *s, const struct inv_interface *ifc,
			     struct error *err);
	/* Every interface's name, sorted; free with inv_names_free(). */
	int (*list_interfaces)(struct inv_store *s, char ***names, size_t *n, struct error *err);

	/* Peers.  list: every peer of iface (NULL: of every interface), by
	 * name; free with free(). */
	int (*list_peers)(struct inv_store *s, const char *iface, struct inv_peer **out,
			  size_t *n, struct error *err);
	int (*find_peer)(struct inv_store *s, const char *iface, const char *name,
			 struct inv_peer *out, bool *found, struct error *err);
	/* By public key (or next_key), across every interface and state,
	 * revoked included. */
	int (*find_key)(struct inv_store *s, const uint8_t key[KEY_LEN], struct inv_peer *out,
			bool *found, struct error *err);
	/* Inserts p and sets p->id; -EEXIST (naming what) for a name taken on
	 * the interface or a public key taken anywhere. */
	int (*insert_peer)(struct inv_store *s, struct inv_peer *p, struct error *err);
	/* Replaces the record with p->id. */
	int (*update_peer)(struct inv_store *s, const struct inv_peer *p, struct error *err);

	/* Hubs (docs/multihub.md).  list_peer_set: the peers of set of name
	 * (a space, a hub), with their records, by name and then home hub;
	 * free with free().  The share is what the hub should have: one
	 * call, for `peer apply` and `rampart sync`. */
	int (*list_peer_set)(struct inv_store *s, enum inv_peer_set set, const char *name,
			     struct inv_peer **out, size_t *n, struct error *err);
	/* The names of the hubs of space, sorted; free with inv_names_free(). */
	int (*list_space)(struct inv_store *s, const char *space, char ***names, size_t *n,
			  struct error *err);
	/* Assigns peer (an id) to hub, or takes the assignment back: -EEXIST
	 * when it is there already, -ENOENT when it is not there.  The
	 * rules (the same space, not the home hub) are inventory.c's. */
	int (*assign)(struct inv_store *s, int64_t peer, const char *hub, struct error *err);
	int (*unassign)(struct inv_store *s, int64_t peer, const char *hub, struct error *err);
	/* What a hub saw of a peer: inserts or replaces the row of
	 * (seen->peer, seen->hub), and no other. */
	int (*put_seen)(struct inv_store *s, const struct inv_seen *seen, struct error *err);
	/* The rows of hub (NULL: every hub) and peer (0: every peer), by
	 * peer and then hub; free with free(). */
	int (*list_seen)(struct inv_store *s, const char *hub, int64_t peer,
			 struct inv_seen **out, size_t *n, struct error *err);

	/* The change log.  append sets e->id; list: of iface (NULL: all)
	 * and peer (NULL: all), oldest first; free with free(). */
	int (*append_log)(struct inv_store *s, struct inv_log_entry *e, struct error *err);
	int (*list_log)(struct inv_store *s, const char *iface, const char *peer,
			struct inv_log_entry **out, size_t *n, struct error *err);
};

struct inv_store {
	const struct inv_store_ops *ops;
};

/* Opens db with the backend it names (conninfo.h): a PostgreSQL URI or
 * connection string, else the path of an SQLite file; migrates. */
int inv_store_open(const char *db, struct inv_store **out, struct error *err) warn_unused;
/* The same for reading only: never creates, never migrates, and every
 * write through it fails (-EACCES).  -ENOENT when there is no inventory
 * (no file; a database without the schema); -EPROTO when its schema is
 * not the one this rampart reads (run a `rampart peer` command, which
 * migrates). */
int inv_store_open_readonly(const char *db, struct inv_store **out,
			    struct error *err) warn_unused;
/* Whether db names no inventory at all: an SQLite path with no file
 * there.  A connection string is never absent: its server says. */
bool inv_store_absent(const char *db);

/* Opens (creating it, its directory 0700 and the file 0600, if need be)
 * and migrates the SQLite database at path. */
int inv_store_open_sqlite(const char *path, struct inv_store **out, struct error *err) warn_unused;
/* Connects with conninfo (given to libpq as it is) and migrates the
 * database's schema, the migration serialized between hubs by an
 * advisory lock. */
int inv_store_open_pg(const char *conninfo, struct inv_store **out, struct error *err) warn_unused;

/* The ops, called through the table. */
static inline void inv_store_close(struct inv_store *s)
{
	if (s)
		s->ops->close(s);
}
static inline int inv_store_begin(struct inv_store *s, bool write, struct error *err)
{
	return s->ops->begin(s, write, err);
}
static inline int inv_store_commit(struct inv_store *s, struct error *err)
{
	return s->ops->commit(s, err);
}
static inline void inv_store_rollback(struct inv_store *s)
{
	s->ops->rollback(s);
}

void inv_names_free(char **names, size_t n);

/* The peers of hub: its own (every state, by name) and then, from its
 * share, the active ones at home on other hubs and assigned to it: what
 * a command about the hub and its interface looks at.  In the caller's
 * transaction; free(*out). */
int inv_store_hub_peers(struct inv_store *s, const char *hub, struct inv_peer **out, size_t *n,
			struct error *err) warn_unused;

/* For the backends: -EEXIST (naming the peer that has it; where names the
 * database) when p's name is taken on its interface (for a new p, id 0)
 * or its key or next key is another peer's key or next key. */
int inv_store_check_unique(struct inv_store *s, const char *where, const struct inv_peer *p,
			   struct error *err) warn_unused;

/* Opens the SQLite database at path for reading only: never creates
 * the file or its directory, never migrates, and every write through it
 * fails (-EACCES).  -ENOENT (naming path) when there is no file; -EPROTO
 * when its schema is not the one this rampart reads (run a `rampart
 * peer` command, which migrates). */
int inv_store_open_sqlite_readonly(const char *path, struct inv_store **out,
				   struct error *err) warn_unused;
/* The same for PostgreSQL: -ENOENT when the database has no inventory
 * schema; every transaction READ ONLY. */
int inv_store_open_pg_readonly(const char *conninfo, struct inv_store **out,
			       struct error *err) warn_unused;

#endif
