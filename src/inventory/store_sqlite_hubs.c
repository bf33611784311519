/* The SQLite backend's hub ops (store_sqlite.h): the peers of a space
 * and the share of a hub, the hubs of a space, a peer's assignments to
 * further hubs, and what each hub saw of each peer (docs/multihub.md). */
#include "store_sqlite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sq_list_peer_set(struct inv_store *s, enum inv_peer_set set, const char *name,
		     struct inv_peer **out, size_t *n, struct error *err)
{
	/* By name and then home hub: names are unique per home hub only, and
	 * a share holds peers of several. */
	static const char *const sql[] = {
		[INV_SET_SPACE] = "SELECT " SQ_PEER_COLUMNS " FROM peers WHERE iface IN"
				  " (SELECT name FROM interfaces WHERE space=?1) ORDER BY name, iface",
		[INV_SET_SHARE] = "SELECT " SQ_PEER_COLUMNS " FROM peers WHERE state='active' AND"
				  " (iface=?1 OR id IN (SELECT peer FROM peer_hubs WHERE hub=?1))"
				  " ORDER BY name, iface",
	};
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int r;

	*out = NULL;
	*n = 0;
	if ((unsigned)set > INV_SET_SHARE)
		return error_fail(err, -EINVAL, "%s: no set of peers %d", st->path, (int)set);
	r = sq_prepare(st, sql[set], &q, err);
	if (r)
		return r;
	sq_bind_text(q, 1, name);
	/* A share's peers are all of the hub's space (inv_assign sees to
	 * it), so the hub bounds the prefixes read as the space does. */
	return sq_read_peers(st, q, name, out, n, err);
}

int sq_list_space(struct inv_store *s, const char *space, char ***names, size_t *n,
		  struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int r = sq_prepare(st, "SELECT name FROM interfaces WHERE space=? ORDER BY name", &q, err);

	*names = NULL;
	*n = 0;
	if (r)
		return r;
	sq_bind_text(q, 1, space);
	return sq_read_names(st, q, "list the hubs of a space", names, n, err);
}

int sq_assign(struct inv_store *s, int64_t peer, const char *hub, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int rc, r = sq_prepare(st, "INSERT INTO peer_hubs (peer, hub) VALUES (?, ?)", &q, err);

	if (r)
		return r;
	sqlite3_bind_int64(q, 1, peer);
	sq_bind_text(q, 2, hub);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return error_fail(err, -EEXIST, "%s: peer %lld is assigned to %s already", st->path,
				  (long long)peer, hub);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return error_fail(err, -ENOENT, "%s: no hub %s or no peer %lld", st->path, hub,
				  (long long)peer);
	return rc == SQLITE_DONE ? 0 : sq_fail(st, rc, "assign a peer", err);
}

int sq_unassign(struct inv_store *s, int64_t peer, const char *hub, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int r = sq_prepare(st, "DELETE FROM peer_hubs WHERE peer=? AND hub=?", &q, err);

	if (r)
		return r;
	sqlite3_bind_int64(q, 1, peer);
	sq_bind_text(q, 2, hub);
	r = sq_run(st, q, "unassign a peer", err);
	if (!r && sqlite3_changes(st->db) != 1)
		r = error_fail(err, -ENOENT, "%s: peer %lld is not assigned to %s", st->path,
			       (long long)peer, hub);
	return r;
}

int sq_put_seen(struct inv_store *s, const struct inv_seen *seen, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	sqlite3_stmt *q;
	int r = sq_prepare(st, "INSERT INTO peer_seen (peer, hub, last_handshake, last_endpoint)"
			       " VALUES (?, ?, ?, ?) ON CONFLICT (peer, hub) DO UPDATE SET"
			       " last_handshake=excluded.last_handshake,"
			       " last_endpoint=excluded.last_endpoint", &q, err);

	if (r)
		return r;
	sqlite3_bind_int64(q, 1, seen->peer);
	sq_bind_text(q, 2, seen->hub);
	sqlite3_bind_int64(q, 3, seen->last_handshake);
	sq_bind_text(q, 4, seen->last_endpoint);
	return sq_run(st, q, "record what a hub saw", err);
}

int sq_list_seen(struct inv_store *s, const char *hub, int64_t peer, struct inv_seen **out,
		 size_t *n, struct error *err)
{
	struct sqlite_store *st = sq_of(s);
	struct inv_seen *v = NULL;
	size_t count = 0, cap = 0;
	sqlite3_stmt *q;
	int rc, r;

	*out = NULL;
	*n = 0;
	r = sq_prepare(st, "SELECT peer, hub, last_handshake, last_endpoint FROM peer_seen"
			   " WHERE (?1 IS NULL OR hub=?1) AND (?2 = 0 OR peer=?2)"
			   " ORDER BY peer, hub", &q, err);
	if (r)
		return r;
	if (hub)
		sq_bind_text(q, 1, hub);
	sqlite3_bind_int64(q, 2, peer);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct inv_seen *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				r = error_fail(err, -ENOMEM, "%s: out of memory", st->path);
				break;
			}
			v = nv;
			cap = ncap;
		}
		memset(&v[count], 0, sizeof(v[count]));
		v[count].peer = sqlite3_column_int64(q, 0);
		sq_col_text(q, 1, v[count].hub, sizeof(v[count].hub));
		v[count].last_handshake = sqlite3_column_int64(q, 2);
		sq_col_text(q, 3, v[count].last_endpoint, sizeof(v[count].last_endpoint));
		count++;
	}
	if (!r && rc != SQLITE_DONE)
		r = sq_fail(st, rc, "read what the hubs saw", err);
	sqlite3_finalize(q);
	if (r) {
		free(v);
		return r;
	}
	*out = v;
	*n = count;
	return 0;
}
