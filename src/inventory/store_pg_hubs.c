/* The PostgreSQL backend's hub ops (store_pg.h), SQLite's
 * (store_sqlite_hubs.c) in PostgreSQL's dialect: the peers of a space and
 * the share of a hub, the hubs of a space, a peer's further hubs, what
 * each hub saw of each peer (docs/multihub.md).  Each hub writes only its
 * own peer_seen rows, so that two hubs recording at once do not write one
 * row. */
#include "store_pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pg_list_peer_set(struct inv_store *s, enum inv_peer_set set, const char *name,
		     struct inv_peer **out, size_t *n, struct error *err)
{
	/* By name and then home hub, in the C collation as SQLite sorts. */
	static const char *const sql[] = {
		[INV_SET_SPACE] = PG_PEER_SELECT " WHERE iface IN (SELECT name FROM interfaces"
				  " WHERE space=$1) ORDER BY name COLLATE \"C\", iface COLLATE \"C\"",
		[INV_SET_SHARE] = PG_PEER_SELECT " WHERE state='active' AND (iface=$1 OR id IN"
				  " (SELECT peer FROM peer_hubs WHERE hub=$1))"
				  " ORDER BY name COLLATE \"C\", iface COLLATE \"C\"",
	};
	struct pg_store *st = pg_of(s);
	struct pg_params p = { 0 };

	*out = NULL;
	*n = 0;
	if ((unsigned)set > INV_SET_SHARE)
		return error_fail(err, -EINVAL, "%s: no set of peers %d", st->name, (int)set);
	pg_text(&p, name);
	return pg_read_peers(st, sql[set], &p, out, n, err);
}

int pg_list_space(struct inv_store *s, const char *space, char ***names, size_t *n,
		  struct error *err)
{
	struct pg_store *st = pg_of(s);
	struct pg_params p = { 0 };
	PGresult *res;
	int r;

	*names = NULL;
	*n = 0;
	pg_text(&p, space);
	r = pg_run(st, "SELECT name FROM interfaces WHERE space=$1 ORDER BY name COLLATE \"C\"",
		   &p, "list the hubs of a space", &res, err);
	return r ? r : pg_read_names(st, res, names, n, err);
}

int pg_assign(struct inv_store *s, int64_t peer, const char *hub, struct error *err)
{
	struct pg_store *st = pg_of(s);
	struct pg_params p = { 0 };
	int r;

	pg_int(&p, peer);
	pg_text(&p, hub);
	r = pg_run(st, "INSERT INTO peer_hubs (peer, hub) VALUES ($1, $2)", &p, "assign a peer",
		   NULL, err);
	if (r == -EEXIST && !strcmp(st->constraint, "peer_hubs_once"))
		return error_fail(err, r, "%s: peer %lld is assigned to %s already", st->name,
				  (long long)peer, hub);
	if (r == -EINVAL && strstr(st->constraint, "_fkey"))
		return error_fail(err, -ENOENT, "%s: no hub %s or no peer %lld", st->name, hub,
				  (long long)peer);
	return r;
}

int pg_unassign(struct inv_store *s, int64_t peer, const char *hub, struct error *err)
{
	struct pg_store *st = pg_of(s);
	struct pg_params p = { 0 };
	PGresult *res;
	int r;

	pg_int(&p, peer);
	pg_text(&p, hub);
	r = pg_run(st, "DELETE FROM peer_hubs WHERE peer=$1 AND hub=$2", &p, "unassign a peer",
		   &res, err);
	if (r)
		return r;
	if (strcmp(PQcmdTuples(res), "1"))
		r = error_fail(err, -ENOENT, "%s: peer %lld is not assigned to %s", st->name,
			       (long long)peer, hub);
	PQclear(res);
	return r;
}

int pg_put_seen(struct inv_store *s, const struct inv_seen *seen, struct error *err)
{
	struct pg_params p = { 0 };

	pg_int(&p, seen->peer);
	pg_text(&p, seen->hub);
	pg_int(&p, seen->last_handshake);
	pg_text(&p, seen->last_endpoint);
	return pg_run(pg_of(s), "INSERT INTO peer_seen (peer, hub, last_handshake, last_endpoint)"
				" VALUES ($1, $2, $3, $4) ON CONFLICT (peer, hub) DO UPDATE SET"
				" last_handshake=excluded.last_handshake,"
				" last_endpoint=excluded.last_endpoint",
		      &p, "record what a hub saw", NULL, err);
}

int pg_list_seen(struct inv_store *s, const char *hub, int64_t peer, struct inv_seen **out,
		 size_t *n, struct error *err)
{
	struct pg_store *st = pg_of(s);
	struct pg_params p = { 0 };
	struct inv_seen *v;
	PGresult *res;
	size_t count;
	int r;

	*out = NULL;
	*n = 0;
	pg_text(&p, hub);
	pg_int(&p, peer);
	r = pg_run(st, "SELECT peer, hub, last_handshake, last_endpoint FROM peer_seen"
		       " WHERE ($1::text IS NULL OR hub=$1) AND ($2::bigint = 0 OR peer=$2)"
		       " ORDER BY peer, hub COLLATE \"C\"", &p, "read what the hubs saw", &res, err);
	if (r)
		return r;
	count = (size_t)PQntuples(res);
	v = calloc(count ? count : 1, sizeof(*v));
	for (size_t i = 0; v && i < count; i++) {
		v[i].peer = pg_col_int(res, (int)i, 0);
		pg_col_text(res, (int)i, 1, v[i].hub, sizeof(v[i].hub));
		v[i].last_handshake = pg_col_int(res, (int)i, 2);
		pg_col_text(res, (int)i, 3, v[i].last_endpoint, sizeof(v[i].last_endpoint));
	}
	PQclear(res);
	if (!v)
		return error_fail(err, -ENOMEM, "%s: out of memory", st->name);
	*out = v;
	*n = count;
	return 0;
}
