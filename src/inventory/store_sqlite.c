/* The SQLite backend of the inventory's store (store.h).
 *
 * Durability: WAL with synchronous=FULL, so a transaction whose commit
 * returned is in the log file and fsynced; a command that printed
 * success survives kill -9 and power loss.  Keys are stored as base64
 * text; there is no column for a client's private key.  Addresses and
 * sites are rows of peer_prefixes, so that "an address is given once per
 * address space" is a UNIQUE index the database enforces even against a
 * writer that forgot to check. */
#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Schema versions: migrations[i] takes user_version i to i + 1.  Only
 * ever append; a released step is never edited. */
static const char *const migrations[] = {
	"CREATE TABLE interfaces ("
	" name TEXT PRIMARY KEY,"
	" endpoint TEXT NOT NULL,"
	" public_key TEXT,"
	" full_tunnel INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE interface_pools ("
	" iface TEXT NOT NULL REFERENCES interfaces(name) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, prefix TEXT NOT NULL,"
	" PRIMARY KEY (iface, pos));"
	"CREATE TABLE interface_dns ("
	" iface TEXT NOT NULL REFERENCES interfaces(name) ON DELETE CASCADE,"
	" pos INTEGER NOT NULL, addr TEXT NOT NULL,"
	" PRIMARY KEY (iface, pos));"
	"CREATE TABLE peers ("
	" id INTEGER PRIMARY KEY,"
	" iface TEXT NOT NULL REFERENCES interfaces(name),"
	" name TEXT NOT NULL,"
	" owner TEXT NOT NULL DEFAULT '', device TEXT NOT NULL DEFAULT '',"
	" notes TEXT NOT NULL DEFAULT '',"
	" public_key TEXT NOT NULL UNIQUE,"
	" psk TEXT,"
	" allow_overlap INTEGER NOT NULL DEFAULT 0,"
	" keepalive INTEGER NOT NULL DEFAULT 0,"
	" full_tunnel INTEGER NOT NULL DEFAULT 0,"
	" state TEXT NOT NULL CHECK (state IN"
	"  ('pending','active','disabled','revoked','expired')),"
	" created INTEGER NOT NULL,"
	" approved INTEGER NOT NULL DEFAULT 0,"
	" approved_by TEXT NOT NULL DEFAULT '',"
	" expires INTEGER NOT NULL DEFAULT 0,"
	" last_handshake INTEGER NOT NULL DEFAULT 0,"
	" last_endpoint TEXT NOT NULL DEFAULT '',"
	" next_key TEXT UNIQUE,"
	" rotate_until INTEGER NOT NULL DEFAULT 0,"
	" rotate_on_handshake INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (iface, name));"
	"CREATE TABLE peer_prefixes ("
	" peer INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,"
	" iface TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('addr','site')),"
	" pos INTEGER NOT NULL, prefix TEXT NOT NULL,"
	" PRIMARY KEY (peer, kind, pos));"
	"CREATE UNIQUE INDEX peer_addr_once ON peer_prefixes (iface, prefix)"
	" WHERE kind = 'addr';"
	"CREATE TABLE change_log ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at INTEGER NOT NULL, who TEXT NOT NULL, iface TEXT NOT NULL,"
	" peer TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);"
	/* Append-only in the database itself, not only by the code's habit. */
	"CREATE TRIGGER change_log_no_update BEFORE UPDATE ON change_log"
	" BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;"
	"CREATE TRIGGER change_log_no_delete BEFORE DELETE ON change_log"
	" BEGIN SELECT RAISE(ABORT, 'the change log is append-only'); END;",
	/* 2: hubs (docs/multihub.md).  A hub keeps its name and gets its
	 * interface (ifname) and its address space, both its name to begin
	 * with; the address index is per space, so that hubs sharing a pool
	 * can never give one address twice; a peer's further hubs and what
	 * each hub saw of it get tables of their own.  The old
	 * last_handshake and last_endpoint columns stay as they were, their
	 * values moved to peer_seen as the home hub's. */
	"ALTER TABLE interfaces ADD COLUMN ifname TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE interfaces ADD COLUMN space TEXT NOT NULL DEFAULT '';"
	"UPDATE interfaces SET ifname = name, space = name;"
	"CREATE INDEX interfaces_space ON interfaces (space);"
	"ALTER TABLE peer_prefixes ADD COLUMN space TEXT NOT NULL DEFAULT '';"
	"UPDATE peer_prefixes SET space = COALESCE("
	" (SELECT space FROM interfaces WHERE name = peer_prefixes.iface), iface);"
	"DROP INDEX peer_addr_once;"
	"CREATE UNIQUE INDEX peer_addr_once ON peer_prefixes (space, prefix)"
	" WHERE kind = 'addr';"
	"CREATE TABLE peer_hubs ("
	" peer INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,"
	" hub TEXT NOT NULL REFERENCES interfaces(name),"
	" PRIMARY KEY (peer, hub));"
	"CREATE INDEX peer_hubs_hub ON peer_hubs (hub);"
	"CREATE TABLE peer_seen ("
	" peer INTEGER NOT NULL REFERENCES peers(id) ON DELETE CASCADE,"
	" hub TEXT NOT NULL REFERENCES interfaces(name),"
	" last_handshake INTEGER NOT NULL DEFAULT 0,"
	" last_endpoint TEXT NOT NULL DEFAULT '',"
	" PRIMARY KEY (peer, hub));"
	"CREATE INDEX peer_seen_hub ON peer_seen (hub);"
	"INSERT INTO peer_seen (peer, hub, last_handshake, last_endpoint)"
	" SELECT id, iface, last_handshake, last_endpoint FROM peers"
	" WHERE last_handshake <> 0 OR last_endpoint <> '';",
};
enum { SCHEMA_VERSION = sizeof(migrations) / sizeof(migrations[0]) };

const char *inv_sqlite_migration(int from)
{
	return from >= 0 && from < SCHEMA_VERSION ? migrations[from] : NULL;
}

static int code_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_FULL:
		return -ENOSPC;
	default:
		return -EIO;
	}
}

/* "PATH: WHAT: sqlite's message". */
int sq_fail(struct sqlite_store *st, int rc, const char *what, struct error *err)
{
	return error_fail(err, code_of(rc), "%s: %s: %s", st->path, what,
			  st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
}

static int exec(struct sqlite_store *st, const char *sql, const char *what, struct error *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_fail(st, rc, what, err);
}

int sq_prepare(struct sqlite_store *st, const char *sql, sqlite3_stmt **out,
	       struct error *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);

	return rc == SQLITE_OK ? 0 : sq_fail(st, rc, "prepare", err);
}

void sq_bind_text(sqlite3_stmt *q, int i, const char *s)
{
	sqlite3_bind_text(q, i, s, -1, SQLITE_TRANSIENT);
}

static void bind_key(sqlite3_stmt *q, int i, bool has, const uint8_t key[KEY_LEN])
{
	char b64[KEY_B64_LEN + 1];

	if (!has) {
		sqlite3_bind_null(q, i);
		return;
	}
	encoding_key_to_base64(b64, key);
	sq_bind_text(q, i, b64);
}

void sq_col_text(sqlite3_stmt *q, int i, char *out, size_t size)
{
	const unsigned char *t = sqlite3_column_text(q, i);

	snprintf(out, size, "%s", t ? (const char *)t : "");
}

static bool col_key(sqlite3_stmt *q, int i, uint8_t key[KEY_LEN])
{
	const unsigned char *t = sqlite3_column_text(q, i);

	return t && encoding_key_from_base64(key, (const char *)t);
}

/* A row that does not read back as written is a damaged store, not a
 * reason to guess. */
int sq_corrupt(struct sqlite_store *st, const char *what, const char *value, struct error *err)
{
	return error_fail(err, -EIO, "%s: damaged %s: \"%s\"", st->path, what, value);
}

int sq_run(struct sqlite_store *st, sqlite3_stmt *q, const char *what, struct error *err)
{
	int rc = sqlite3_step(q);

	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sq_fail(st, rc, what, err);
}

/* ---- opening -------------------------------------------------------- */

/* The directory of path, created 0700 when missing (umask-proof). */
static int make_dir(const char *path, struct error *err)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0700) == 0) {
		if (chmod(dir, 0700) < 0)
			return error_fail(err, -errno, "%s: chmod: %s", dir, strerror(errno));
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	return error_fail(err, -errno, "%s: cannot create the directory: %s", dir,
			  strerror(errno));
}

/* The file, created 0600 before SQLite sees it; SQLite gives its -wal and
 * -shm files the database file's mode. */
static int make_file(const char *path, struct error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	struct stat sb;

	if (fd < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) < 0 || ((sb.st_mode & 077) && fchmod(fd, 0600) < 0)) {
		int e = -errno;

		close(fd);
		return error_fail(err, e, "%s: %s", path, strerror(-e));
	}
	close(fd);
	return 0;
}

static int user_version(struct sqlite_store *st, int *out, struct error *err)
{
	sqlite3_stmt *q;
	int r = sq_prepare(st, "PRAGMA user_version", &q, err);

	if (r)
		return r;
	if (sqlite3_step(q) != SQLITE_ROW) {
		r = sq_fail(st, sqlite3_errcode(st->db), "read the schema version", err);
		sqlite3_finalize(q);
		return r;
	}
	*out = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	return 0;
}

/* Forward, in one write transaction, so that of two processes opening a
 * new file at once one migrates and the other sees the result. */
static int migrate(struct sqlite_store *st, struct error *err)
{
	char sql[32];
	int v = 0, r;

	/* The common case, without the write lock: 50 concurrent commands
	 * should not queue for a migration that is not needed. */
	r = user_version(st, &v, err);
	if (r || v == SCHEMA_VERSION)
		return r;
	r = exec(st, "BEGIN IMMEDIATE", "begin the migration", err);
	if (r)
		return r;
	r = user_version(st, &v, err);
	if (r)
		goto rollback;
	if (v > SCHEMA_VERSION) {
		r = error_fail(err, -EPROTO,
			       "%s: schema version %d is newer than this rampart's (%d)",
			       st->path, v, SCHEMA_VERSION);
		goto rollback;
	}
	for (; v < SCHEMA_VERSION; v++) {
		r = exec(st, migrations[v], "migrate the schema", err);
		if (r)
			goto rollback;
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", SCHEMA_VERSION);
	r = exec(st, sql, "set the schema version", err);
	if (r)
		goto rollback;
	return exec(st, "COMMIT", "commit the migration", err);
rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static const struct inv_store_ops sqlite_ops;

int inv_store_open_sqlite(const char *path, struct inv_store **out, struct error *err)
{
	struct sqlite_store *st;
	int rc, r;

	if (strlen(path) >= PATH_MAX)
		return error_fail(err, -ENAMETOOLONG, "%s: path too long", path);
	st = calloc(1, sizeof(*st));
	if (!st)
		return error_fail(err, -ENOMEM, "%s: out of memory", path);
	st->base.ops = &sqlite_ops;
	snprintf(st->path, sizeof(st->path), "%s", path);
	r = make_dir(path, err);
	if (r)
		goto free;
	r = make_file(path, err);
	if (r)
		goto free;
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW |
			     SQLITE_OPEN_FULLMUTEX, NULL);
	if (rc != SQLITE_OK) {
		r = sq_fail(st, rc, "open", err);
		goto close;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, INV_STORE_BUSY_MS);
	r = exec(st, "PRAGMA journal_mode=WAL", "set WAL", err);
	if (!r)
		r = exec(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
			 "set the pragmas", err);
	if (!r)
		r = migrate(st, err);
	if (r)
		goto close;
	*out = &st->base;
	return 0;
close:
	sqlite3_close(st->db);
free:
	free(st);
	return r;
}

static void sqlite_close(struct inv_store *s)
{
	struct sqlite_store *st = sq_of(s);

	sqlite3_close(st->db);
	free(st);
}

static int sqlite_begin(struct inv_store *s, bool write, struct error *err)
{
	/* IMMEDIATE takes the write lock now, so that what the transaction
	 * reads (the addresses in use) cannot change before it writes. */
	return exec(sq_of(s), write ? "BEGIN IMMEDIATE" : "BEGIN", "begin", err);
}

static int sqlite_commit(struct inv_store *s, struct error *err)
{
	return exec(sq_of(s), "COMMIT", "commit", err);
}

static void sqlite_rollback(struct inv_store *s)
{
	struct sqlite_store *st = sq_of(s);

	if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- interfaces ----------------------------------------------------- */

/* The rows of table (interface_pools or interface_dns) of ifc. */
static int read_iface_list(struct sqlite_store *st, struct inv_interface *ifc, bool pools,
			   struct error *err)
{
	sqlite3_stmt *q;
	int rc, r;

	r = sq_prepare(st, pools ? "SELECT prefix FROM interface_pools WHERE iface=? ORDER BY pos"
			      : "SELECT addr FROM interface_dns WHERE iface=? ORDER BY pos",
		    &q, err);
	if (r)
		return r;
	sq_bind_text(q, 1, ifc->name);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 0);
		const char *why;
		bool ok;

		t = t ? t : "";
		if (pools)
			ok = ifc->n_pools < INV_POOLS_MAX &&
			     netaddr_parse_prefix(&ifc->pools[ifc->n_pools++], t, &why);
		else
			ok = ifc->n_dns < INV_DNS_MAX &&
			     netaddr_parse_ip(&ifc->dns[ifc->n_dns++], t, &why);
		if (!ok) {
			r = sq_corrupt(st, pools ? "pool" : "DNS address", t, err);
			break;
		}
	}
	if (!r && rc != SQLITE_DONE)
		r = sq_fail(st, rc, "read an interface", err);
	sqlite3_finalize(q);
	return r;
}

static int sqlite_get_interface(struct inv_store *s, const char *name,
				struct inv_interface *out, bool *found, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int rc, r;

	*found = false;
	memset(out, 0, sizeof(*out));
	r = sq_prepare(st, "SELECT name, endpoint, public_key, full_tunnel, created, ifname, space"
			   " FROM interfaces WHERE name=?", &q, err);
	if (r)
		return r;
	sq_bind_text(q, 1, name);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		sq_col_text(q, 0, out->name, sizeof(out->name));
		sq_col_text(q, 1, out->endpoint, sizeof(out->endpoint));
		if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
			out->has_public_key = col_key(q, 2, out->public_key);
			if (!out->has_public_key)
				r = sq_corrupt(st, "interface key of", name, err);
		}
		out->full_tunnel = sqlite3_column_int(q, 3);
		out->created = sqlite3_column_int64(q, 4);
		sq_col_text(q, 5, out->ifname, sizeof(out->ifname));
		sq_col_text(q, 6, out->space, sizeof(out->space));
		*found = !r;
	} else if (rc != SQLITE_DONE) {
		r = sq_fail(st, rc, "read an interface", err);
	}
	sqlite3_finalize(q);
	if (!r && *found)
		r = read_iface_list(st, out, true, err);
	if (!r && *found)
		r = read_iface_list(st, out, false, err);
	if (r)
		*found = false;
	return r ? r : *found ? 0 : -ENOENT;
}

/* One statement with a text and an integer and a text bound, run once. */
static int run3(struct sqlite_store *st, const char *sql, const char *a, int64_t b,
		const char *c, const char *what, struct error *err)
{
	sqlite3_stmt *q;
	int rc, r = sq_prepare(st, sql, &q, err);

	if (r)
		return r;
	sq_bind_text(q, 1, a);
	if (sqlite3_bind_parameter_count(q) >= 2)
		sqlite3_bind_int64(q, 2, b);
	if (sqlite3_bind_parameter_count(q) >= 3)
		sq_bind_text(q, 3, c);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sq_fail(st, rc, what, err);
}

static int sqlite_put_interface(struct inv_store *s, const struct inv_interface *ifc,
				struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int rc, r;

	r = sq_prepare(st, "INSERT INTO interfaces (name, endpoint, public_key, full_tunnel, created,"
			   " ifname, space) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE"
			   " SET endpoint=excluded.endpoint, public_key=excluded.public_key,"
			   " full_tunnel=excluded.full_tunnel, ifname=excluded.ifname,"
			   " space=excluded.space", &q, err);
	if (r)
		return r;
	sq_bind_text(q, 1, ifc->name);
	sq_bind_text(q, 2, ifc->endpoint);
	bind_key(q, 3, ifc->has_public_key, ifc->public_key);
	sqlite3_bind_int(q, 4, ifc->full_tunnel);
	sqlite3_bind_int64(q, 5, ifc->created);
	/* A record made without them (a caller of the store alone) is the
	 * hub of one interface and one space, of its own name. */
	sq_bind_text(q, 6, ifc->ifname[0] ? ifc->ifname : ifc->name);
	sq_bind_text(q, 7, ifc->space[0] ? ifc->space : ifc->name);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "write an interface", err);
	r = run3(st, "DELETE FROM interface_pools WHERE iface=?", ifc->name, 0, NULL,
		 "write an interface", err);
	if (!r)
		r = run3(st, "DELETE FROM interface_dns WHERE iface=?", ifc->name, 0, NULL,
			 "write an interface", err);
	for (size_t i = 0; !r && i < ifc->n_pools; i++) {
		char buf[NETADDR_PREFIX_STRLEN];

		r = run3(st, "INSERT INTO interface_pools (iface, pos, prefix) VALUES (?, ?, ?)",
			 ifc->name, (int64_t)i, netaddr_format_prefix(buf, &ifc->pools[i]),
			 "write a pool", err);
	}
	for (size_t i = 0; !r && i < ifc->n_dns; i++) {
		char buf[NETADDR_IP_STRLEN];

		r = run3(st, "INSERT INTO interface_dns (iface, pos, addr) VALUES (?, ?, ?)",
			 ifc->name, (int64_t)i, netaddr_format_ip(buf, &ifc->dns[i]),
			 "write a DNS address", err);
	}
	return r;
}

int sq_read_names(struct sqlite_store *st, sqlite3_stmt *q, const char *what, char ***names,
		  size_t *n, struct error *err)
{
	char **v = NULL;
	size_t count = 0;
	int rc, r = 0;

	*names = NULL;
	*n = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char **nv = realloc(v, (count + 1) * sizeof(*v));
		const char *t = (const char *)sqlite3_column_text(q, 0);

		if (!nv || !(nv[count] = strdup(t ? t : ""))) {
			v = nv ? nv : v;
			r = error_fail(err, -ENOMEM, "%s: out of memory", st->path);
			break;
		}
		v = nv;
		count++;
	}
	if (!r && rc != SQLITE_DONE)
		r = sq_fail(st, rc, what, err);
	sqlite3_finalize(q);
	if (r) {
		inv_names_free(v, count);
		return r;
	}
	*names = v;
	*n = count;
	return 0;
}

static int sqlite_list_interfaces(struct inv_store *s, char ***names, size_t *n,
				  struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int r = sq_prepare(st, "SELECT name FROM interfaces ORDER BY name", &q, err);

	*names = NULL;
	*n = 0;
	return r ? r : sq_read_names(st, q, "list the interfaces", names, n, err);
}

/* ---- peers ---------------------------------------------------------- */

static int read_peer_row(struct sqlite_store *st, sqlite3_stmt *q, struct inv_peer *p,
			 struct error *err)
{
	char state[16];

	memset(p, 0, sizeof(*p));
	p->id = sqlite3_column_int64(q, 0);
	sq_col_text(q, 1, p->iface, sizeof(p->iface));
	sq_col_text(q, 2, p->name, sizeof(p->name));
	sq_col_text(q, 3, p->owner, sizeof(p->owner));
	sq_col_text(q, 4, p->device, sizeof(p->device));
	sq_col_text(q, 5, p->notes, sizeof(p->notes));
	if (!col_key(q, 6, p->public_key))
		return sq_corrupt(st, "public key of peer", p->name, err);
	if (sqlite3_column_type(q, 7) != SQLITE_NULL) {
		p->has_psk = col_key(q, 7, p->psk);
		if (!p->has_psk)
			return sq_corrupt(st, "preshared key of peer", p->name, err);
	}
	p->allow_overlap = sqlite3_column_int(q, 8);
	p->keepalive = (uint16_t)sqlite3_column_int(q, 9);
	p->full_tunnel = sqlite3_column_int(q, 10);
	sq_col_text(q, 11, state, sizeof(state));
	if (!inv_state_parse(state, &p->state))
		return sq_corrupt(st, "state", state, err);
	p->created = sqlite3_column_int64(q, 12);
	p->approved = sqlite3_column_int64(q, 13);
	sq_col_text(q, 14, p->approved_by, sizeof(p->approved_by));
	p->expires = sqlite3_column_int64(q, 15);
	p->last_handshake = sqlite3_column_int64(q, 16);
	sq_col_text(q, 17, p->last_endpoint, sizeof(p->last_endpoint));
	if (sqlite3_column_type(q, 18) != SQLITE_NULL) {
		p->has_next_key = col_key(q, 18, p->next_key);
		if (!p->has_next_key)
			return sq_corrupt(st, "next key of peer", p->name, err);
	}
	p->rotate_until = sqlite3_column_int64(q, 19);
	p->rotate_on_handshake = sqlite3_column_int(q, 20);
	if (!inv_parse_hubs(p, (const char *)sqlite3_column_text(q, 21)))
		return sq_corrupt(st, "hubs of peer", p->name, err);
	return 0;
}

/* One prefix row into p. */
static int add_prefix(struct sqlite_store *st, struct inv_peer *p, const char *kind,
		      const char *t, struct error *err)
{
	const char *why;
	bool ok;

	t = t ? t : "";
	if (kind && !strcmp(kind, "site"))
		ok = p->n_sites < INV_SITES_MAX &&
		     netaddr_parse_prefix(&p->sites[p->n_sites++], t, &why);
	else
		ok = p->n_addrs < INV_ADDRS_MAX &&
		     netaddr_parse_prefix(&p->addrs[p->n_addrs++], t, &why);
	return ok ? 0 : sq_corrupt(st, "prefix", t, err);
}

struct by_id {
	int64_t id;
	size_t i;
};

static int cmp_id(const void *a, const void *b)
{
	int64_t x = ((const struct by_id *)a)->id, y = ((const struct by_id *)b)->id;

	return x < y ? -1 : x > y;
}

/* The addresses and sites of the count peers of v, in one query (of
 * the space bound names, or of the hub bound names; NULL: of all; of the
 * one peer when count is 1) rather than one per peer: `add` reads every
 * peer of a large space.  Rows are matched to the peers by id, so that
 * reading more than v's is harmless. */
static int read_prefixes(struct sqlite_store *st, struct inv_peer *v, size_t count,
			 const char *bound, struct error *err)
{
	struct by_id *ids;
	sqlite3_stmt *q;
	int rc, r;

	if (!count)
		return 0;
	ids = malloc(count * sizeof(*ids));
	if (!ids)
		return error_fail(err, -ENOMEM, "%s: out of memory", st->path);
	for (size_t i = 0; i < count; i++)
		ids[i] = (struct by_id){ v[i].id, i };
	qsort(ids, count, sizeof(*ids), cmp_id);
	r = sq_prepare(st, "SELECT peer, kind, prefix FROM peer_prefixes"
			   " WHERE (?1 IS NULL OR space=?1 OR space=(SELECT space FROM interfaces"
			   " WHERE name=?1)) AND (?2 IS NULL OR peer=?2)"
			   " ORDER BY peer, kind, pos", &q, err);
	if (r)
		goto free;
	if (count == 1)
		sqlite3_bind_int64(q, 2, v[0].id);
	else if (bound)
		sq_bind_text(q, 1, bound);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct by_id key = { sqlite3_column_int64(q, 0), 0 }, *hit;

		hit = bsearch(&key, ids, count, sizeof(*ids), cmp_id);
		if (!hit)
			continue;
		r = add_prefix(st, &v[hit->i], (const char *)sqlite3_column_text(q, 1),
			       (const char *)sqlite3_column_text(q, 2), err);
		if (r)
			break;
	}
	if (!r && rc != SQLITE_DONE)
		r = sq_fail(st, rc, "read the peers' prefixes", err);
	sqlite3_finalize(q);
free:
	free(ids);
	return r;
}

int sq_read_peers(struct sqlite_store *st, sqlite3_stmt *q, const char *bound,
		  struct inv_peer **out, size_t *n, struct error *err)
{
	struct inv_peer *v = NULL;
	size_t count = 0, cap = 0;
	int rc, r = 0;

	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct inv_peer *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				r = error_fail(err, -ENOMEM, "%s: out of memory", st->path);
				break;
			}
			v = nv;
			cap = ncap;
		}
		r = read_peer_row(st, q, &v[count], err);
		if (r)
			break;
		count++;
	}
	if (!r && rc != SQLITE_DONE)
		r = sq_fail(st, rc, "read the peers", err);
	sqlite3_finalize(q);
	if (!r)
		r = read_prefixes(st, v, count, bound, err);
	if (r) {
		free(v);
		return r;
	}
	*out = v;
	*n = count;
	return 0;
}

static int sqlite_list_peers(struct inv_store *s, const char *iface, struct inv_peer **out,
			     size_t *n, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int r;

	*out = NULL;
	*n = 0;
	r = sq_prepare(st, iface ? "SELECT " SQ_PEER_COLUMNS " FROM peers WHERE iface=? ORDER BY name"
			      : "SELECT " SQ_PEER_COLUMNS " FROM peers ORDER BY iface, name",
		    &q, err);
	if (r)
		return r;
	if (iface)
		sq_bind_text(q, 1, iface);
	return sq_read_peers(st, q, iface, out, n, err);
}

/* The one peer q selects, if any. */
static int find_one(struct sqlite_store *st, sqlite3_stmt *q, struct inv_peer *out,
		    bool *found, struct error *err)
{
	struct inv_peer *v;
	size_t n;
	int r = sq_read_peers(st, q, NULL, &v, &n, err);

	*found = false;
	if (r)
		return r;
	if (n)
		*out = v[0];
	*found = n > 0;
	free(v);
	return *found ? 0 : -ENOENT;
}

static int sqlite_find_peer(struct inv_store *s, const char *iface, const char *name,
			    struct inv_peer *out, bool *found, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int r;

	*found = false;
	r = sq_prepare(st, "SELECT " SQ_PEER_COLUMNS " FROM peers WHERE iface=? AND name=?", &q, err);
	if (r)
		return r;
	sq_bind_text(q, 1, iface);
	sq_bind_text(q, 2, name);
	return find_one(st, q, out, found, err);
}

static int sqlite_find_key(struct inv_store *s, const uint8_t key[KEY_LEN],
			   struct inv_peer *out, bool *found, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int r;

	*found = false;
	r = sq_prepare(st, "SELECT " SQ_PEER_COLUMNS " FROM peers WHERE public_key=?1 OR next_key=?1",
		    &q, err);
	if (r)
		return r;
	bind_key(q, 1, true, key);
	return find_one(st, q, out, found, err);
}

static int write_prefixes(struct sqlite_store *st, const struct inv_peer *p, struct error *err)
{
	sqlite3_stmt *q;
	int r;

	r = sq_prepare(st, "DELETE FROM peer_prefixes WHERE peer=?", &q, err);
	if (r)
		return r;
	sqlite3_bind_int64(q, 1, p->id);
	r = sqlite3_step(q);
	sqlite3_finalize(q);
	if (r != SQLITE_DONE)
		return sq_fail(st, r, "write a peer's prefixes", err);
	/* The space is the home hub's, as the database has it: the address
	 * index is per space. */
	r = sq_prepare(st, "INSERT INTO peer_prefixes (peer, iface, space, kind, pos, prefix)"
			   " SELECT ?1, ?2, space, ?3, ?4, ?5 FROM interfaces WHERE name=?2", &q,
		       err);
	if (r)
		return r;
	for (size_t i = 0; !r && i < p->n_addrs + p->n_sites; i++) {
		bool site = i >= p->n_addrs;
		const struct netaddr_prefix *x = site ? &p->sites[i - p->n_addrs] : &p->addrs[i];
		char buf[NETADDR_PREFIX_STRLEN];
		int rc;

		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, p->id);
		sq_bind_text(q, 2, p->iface);
		sq_bind_text(q, 3, site ? "site" : "addr");
		sqlite3_bind_int64(q, 4, (int64_t)(site ? i - p->n_addrs : i));
		sq_bind_text(q, 5, netaddr_format_prefix(buf, x));
		rc = sqlite3_step(q);
		if (rc == SQLITE_CONSTRAINT_UNIQUE)
			r = error_fail(err, -EEXIST, "%s: address %s is already given in the "
				       "address space of %s", st->path, buf, p->iface);
		else if (rc != SQLITE_DONE)
			r = sq_fail(st, rc, "write a peer's prefixes", err);
		else if (sqlite3_changes(st->db) != 1)
			r = error_fail(err, -ENOENT, "%s: peer %s: no hub %s", st->path, p->name,
				       p->iface);
	}
	sqlite3_finalize(q);
	return r;
}

/* Binds every column but id, in SQ_PEER_COLUMNS order from 1. */
static void bind_peer(sqlite3_stmt *q, const struct inv_peer *p)
{
	sq_bind_text(q, 1, p->iface);
	sq_bind_text(q, 2, p->name);
	sq_bind_text(q, 3, p->owner);
	sq_bind_text(q, 4, p->device);
	sq_bind_text(q, 5, p->notes);
	bind_key(q, 6, true, p->public_key);
	bind_key(q, 7, p->has_psk, p->psk);
	sqlite3_bind_int(q, 8, p->allow_overlap);
	sqlite3_bind_int(q, 9, p->keepalive);
	sqlite3_bind_int(q, 10, p->full_tunnel);
	sq_bind_text(q, 11, inv_state_name(p->state));
	sqlite3_bind_int64(q, 12, p->created);
	sqlite3_bind_int64(q, 13, p->approved);
	sq_bind_text(q, 14, p->approved_by);
	sqlite3_bind_int64(q, 15, p->expires);
	sqlite3_bind_int64(q, 16, p->last_handshake);
	sq_bind_text(q, 17, p->last_endpoint);
	bind_key(q, 18, p->has_next_key, p->next_key);
	sqlite3_bind_int64(q, 19, p->rotate_until);
	sqlite3_bind_int(q, 20, p->rotate_on_handshake);
}

static int sqlite_insert_peer(struct inv_store *s, struct inv_peer *p, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int rc, r;

	p->id = 0;
	r = inv_store_check_unique(s, sq_of(s)->path, p, err);
	if (r)
		return r;
	r = sq_prepare(st, "INSERT INTO peers (iface, name, owner, device, notes, public_key, psk,"
			" allow_overlap, keepalive, full_tunnel, state, created, approved,"
			" approved_by, expires, last_handshake, last_endpoint, next_key,"
			" rotate_until, rotate_on_handshake) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
			" ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &q, err);
	if (r)
		return r;
	bind_peer(q, p);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "insert a peer", err);
	p->id = sqlite3_last_insert_rowid(st->db);
	r = write_prefixes(st, p, err);
	if (r)
		p->id = 0;
	return r;
}

static int sqlite_update_peer(struct inv_store *s, const struct inv_peer *p, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int rc, r;

	r = inv_store_check_unique(s, sq_of(s)->path, p, err);
	if (r)
		return r;
	r = sq_prepare(st, "UPDATE peers SET iface=?, name=?, owner=?, device=?, notes=?,"
			" public_key=?, psk=?, allow_overlap=?, keepalive=?, full_tunnel=?,"
			" state=?, created=?, approved=?, approved_by=?, expires=?,"
			" last_handshake=?, last_endpoint=?, next_key=?, rotate_until=?,"
			" rotate_on_handshake=? WHERE id=?", &q, err);
	if (r)
		return r;
	bind_peer(q, p);
	sqlite3_bind_int64(q, 21, p->id);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "update a peer", err);
	if (sqlite3_changes(st->db) != 1)
		return error_fail(err, -ENOENT, "%s: no peer with id %lld", st->path,
				  (long long)p->id);
	return write_prefixes(st, p, err);
}

/* ---- the change log ------------------------------------------------- */

static int sqlite_append_log(struct inv_store *s, struct inv_log_entry *e, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int rc, r;

	r = sq_prepare(st, "INSERT INTO change_log (at, who, iface, peer, action, detail)"
			" VALUES (?, ?, ?, ?, ?, ?)", &q, err);
	if (r)
		return r;
	sqlite3_bind_int64(q, 1, e->at);
	sq_bind_text(q, 2, e->who);
	sq_bind_text(q, 3, e->iface);
	sq_bind_text(q, 4, e->peer);
	sq_bind_text(q, 5, e->action);
	sq_bind_text(q, 6, e->detail);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sq_fail(st, rc, "append to the change log", err);
	e->id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

static int sqlite_list_log(struct inv_store *s, const char *iface, const char *peer,
			   struct inv_log_entry **out, size_t *n, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	struct inv_log_entry *v = NULL;
	size_t count = 0, cap = 0;
	sqlite3_stmt *q;
	int rc, r;

	*out = NULL;
	*n = 0;
	r = sq_prepare(st, "SELECT id, at, who, iface, peer, action, detail FROM change_log"
			" WHERE (?1 IS NULL OR iface=?1) AND (?2 IS NULL OR peer=?2) ORDER BY id",
		    &q, err);
	if (r)
		return r;
	if (iface)
		sq_bind_text(q, 1, iface);
	if (peer)
		sq_bind_text(q, 2, peer);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct inv_log_entry *e;

		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			struct inv_log_entry *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				r = error_fail(err, -ENOMEM, "%s: out of memory", st->path);
				break;
			}
			v = nv;
			cap = ncap;
		}
		e = &v[count++];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(q, 0);
		e->at = sqlite3_column_int64(q, 1);
		sq_col_text(q, 2, e->who, sizeof(e->who));
		sq_col_text(q, 3, e->iface, sizeof(e->iface));
		sq_col_text(q, 4, e->peer, sizeof(e->peer));
		sq_col_text(q, 5, e->action, sizeof(e->action));
		sq_col_text(q, 6, e->detail, sizeof(e->detail));
	}
	if (!r && rc != SQLITE_DONE)
		r = sq_fail(st, rc, "read the change log", err);
	sqlite3_finalize(q);
	if (r) {
		free(v);
		return r;
	}
	*out = v;
	*n = count;
	return 0;
}

static const struct inv_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sqlite_close,
	.begin = sqlite_begin,
	.commit = sqlite_commit,
	.rollback = sqlite_rollback,
	.get_interface = sqlite_get_interface,
	.put_interface = sqlite_put_interface,
	.list_interfaces = sqlite_list_interfaces,
	.list_peers = sqlite_list_peers,
	.find_peer = sqlite_find_peer,
	.find_key = sqlite_find_key,
	.insert_peer = sqlite_insert_peer,
	.update_peer = sqlite_update_peer,
	.append_log = sqlite_append_log,
	.list_log = sqlite_list_log,
	.list_peer_set = sq_list_peer_set,
	.list_space = sq_list_space,
	.assign = sq_assign,
	.unassign = sq_unassign,
	.put_seen = sq_put_seen,
	.list_seen = sq_list_seen,
};

/* ---- read-only ------------------------------------------------------ */

int inv_store_open_sqlite_readonly(const char *path, struct inv_store **out, struct error *err)
{
	struct sqlite_store *st;
	struct stat sb;
	int rc, r, v = 0;

	if (strlen(path) >= PATH_MAX)
		return error_fail(err, -ENAMETOOLONG, "%s: path too long", path);
	/* SQLite says only "unable to open" for a file that is not there;
	 * the caller needs to tell "no inventory" from "cannot read it". */
	if (lstat(path, &sb) < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	st = calloc(1, sizeof(*st));
	if (!st)
		return error_fail(err, -ENOMEM, "%s: out of memory", path);
	st->base.ops = &sqlite_ops;
	snprintf(st->path, sizeof(st->path), "%s", path);
	rc = sqlite3_open_v2(path, &st->db,
			     SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_FULLMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		r = sq_fail(st, rc, "open", err);
		/* The file is there: "cannot open" is not "no inventory". */
		if (r == -ENOENT)
			r = err->code = -EIO;
		goto close;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, INV_STORE_BUSY_MS);
	r = user_version(st, &v, err);
	if (!r && v != SCHEMA_VERSION)
		r = error_fail(err, -EPROTO, "%s: schema version %d, this rampart reads %d",
			       path, v, SCHEMA_VERSION);
	if (r)
		goto close;
	*out = &st->base;
	return 0;
close:
	sqlite3_close(st->db);
	free(st);
	return r;
}
