/* The PostgreSQL backend's peers and change log (store_pg.h).  A peer is
 * read with its addresses and sites in one statement, so that `add`,
 * which reads every peer of a large interface, costs one round trip. */
#include "store_pg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The prefixes column of read_peer_row() into p. */
static int read_prefixes(struct pg_store *st, const char *list, struct inv_peer *p,
			 struct error *err)
{
	char buf[(INV_ADDRS_MAX + INV_SITES_MAX + 1) * (NETADDR_PREFIX_STRLEN + 6)];
	char *save = NULL, *item;

	if (strlen(list) >= sizeof(buf))
		return pg_corrupt(st, "prefixes of peer", p->name, err);
	snprintf(buf, sizeof(buf), "%s", list);
	for (item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		const char *why;
		bool ok;

		if (!strncmp(item, "site ", 5))
			ok = p->n_sites < INV_SITES_MAX &&
			     netaddr_parse_prefix(&p->sites[p->n_sites++], item + 5, &why);
		else
			ok = !strncmp(item, "addr ", 5) && p->n_addrs < INV_ADDRS_MAX &&
			     netaddr_parse_prefix(&p->addrs[p->n_addrs++], item + 5, &why);
		if (!ok)
			return pg_corrupt(st, "prefix", item, err);
	}
	return 0;
}

/* A key column: NULL is none (has false); anything but a key is damage. */
static int col_key(struct pg_store *st, const PGresult *res, int row, int col, bool *has,
		   uint8_t key[KEY_LEN], const char *what, const char *name, struct error *err)
{
	*has = !PQgetisnull(res, row, col);
	if (*has && !encoding_key_from_base64(key, PQgetvalue(res, row, col)))
		return pg_corrupt(st, what, name, err);
	return 0;
}

static int read_peer_row(struct pg_store *st, const PGresult *res, int row, struct inv_peer *p,
			 struct error *err)
{
	char state[16];
	bool has;
	int r;

	memset(p, 0, sizeof(*p));
	p->id = pg_col_int(res, row, 0);
	pg_col_text(res, row, 1, p->iface, sizeof(p->iface));
	pg_col_text(res, row, 2, p->name, sizeof(p->name));
	pg_col_text(res, row, 3, p->owner, sizeof(p->owner));
	pg_col_text(res, row, 4, p->device, sizeof(p->device));
	pg_col_text(res, row, 5, p->notes, sizeof(p->notes));
	r = col_key(st, res, row, 6, &has, p->public_key, "public key of peer", p->name, err);
	if (!r && !has)
		r = pg_corrupt(st, "public key of peer", p->name, err);
	if (!r)
		r = col_key(st, res, row, 7, &p->has_psk, p->psk, "preshared key of peer", p->name,
			    err);
	if (r)
		return r;
	p->allow_overlap = pg_col_bool(res, row, 8);
	p->keepalive = (uint16_t)pg_col_int(res, row, 9);
	p->full_tunnel = pg_col_bool(res, row, 10);
	pg_col_text(res, row, 11, state, sizeof(state));
	if (!inv_state_parse(state, &p->state))
		return pg_corrupt(st, "state", state, err);
	p->created = pg_col_int(res, row, 12);
	p->approved = pg_col_int(res, row, 13);
	pg_col_text(res, row, 14, p->approved_by, sizeof(p->approved_by));
	p->expires = pg_col_int(res, row, 15);
	p->last_handshake = pg_col_int(res, row, 16);
	pg_col_text(res, row, 17, p->last_endpoint, sizeof(p->last_endpoint));
	r = col_key(st, res, row, 18, &p->has_next_key, p->next_key, "next key of peer", p->name,
		    err);
	if (r)
		return r;
	p->rotate_until = pg_col_int(res, row, 19);
	p->rotate_on_handshake = pg_col_bool(res, row, 20);
	if (!inv_parse_hubs(p, PQgetvalue(res, row, 22)))
		return pg_corrupt(st, "hubs of peer", p->name, err);
	return read_prefixes(st, PQgetvalue(res, row, 21), p, err);
}

int pg_read_peers(struct pg_store *st, const char *sql, const struct pg_params *p,
		  struct inv_peer **out, size_t *n, struct error *err)
{
	struct inv_peer *v;
	PGresult *res;
	size_t count;
	int r = pg_run(st, sql, p, "read the peers", &res, err);

	*out = NULL;
	*n = 0;
	if (r)
		return r;
	count = (size_t)PQntuples(res);
	v = malloc((count ? count : 1) * sizeof(*v));
	if (!v)
		r = error_fail(err, -ENOMEM, "%s: out of memory", st->name);
	for (size_t i = 0; !r && i < count; i++)
		r = read_peer_row(st, res, (int)i, &v[i], err);
	PQclear(res);
	if (r) {
		free(v);
		return r;
	}
	*out = v;
	*n = count;
	return 0;
}

int pg_list_peers(struct inv_store *s, const char *iface, struct inv_peer **out, size_t *n,
		  struct error *err)
{
	struct pg_params p = { 0 };

	/* The C collation: sorted by bytes, as SQLite sorts. */
	if (!iface)
		return pg_read_peers(pg_of(s), PG_PEER_SELECT " ORDER BY iface COLLATE \"C\","
				  " name COLLATE \"C\"", NULL, out, n, err);
	pg_text(&p, iface);
	return pg_read_peers(pg_of(s), PG_PEER_SELECT " WHERE iface=$1 ORDER BY name COLLATE \"C\"", &p,
			  out, n, err);
}

/* The one peer sql selects, if any. */
static int find_one(struct pg_store *st, const char *sql, const struct pg_params *p,
		    struct inv_peer *out, bool *found, struct error *err)
{
	struct inv_peer *v;
	size_t n;
	int r = pg_read_peers(st, sql, p, &v, &n, err);

	*found = false;
	if (r)
		return r;
	if (n)
		*out = v[0];
	*found = n > 0;
	free(v);
	return *found ? 0 : -ENOENT;
}

int pg_find_peer(struct inv_store *s, const char *iface, const char *name,
		 struct inv_peer *out, bool *found, struct error *err)
{
	struct pg_params p = { 0 };

	pg_text(&p, iface);
	pg_text(&p, name);
	return find_one(pg_of(s), PG_PEER_SELECT " WHERE iface=$1 AND name=$2", &p, out, found, err);
}

int pg_find_key(struct inv_store *s, const uint8_t key[KEY_LEN], struct inv_peer *out,
		bool *found, struct error *err)
{
	struct pg_params p = { 0 };

	pg_key(&p, true, key);
	return find_one(pg_of(s), PG_PEER_SELECT " WHERE public_key=$1 OR next_key=$1", &p, out,
			found, err);
}

/* The address rows go in with ON CONFLICT DO NOTHING on the address
 * index: an address this transaction's snapshot shows taken inserts
 * nothing and is -EEXIST naming it, while one that a concurrent
 * transaction took after the snapshot is PostgreSQL's serialization
 * failure, -EAGAIN: the allocation runs again and sees it. */
static int write_prefixes(struct pg_store *st, const struct inv_peer *p, struct error *err)
{
	struct pg_params q = { 0 };
	int r;

	pg_int(&q, p->id);
	r = pg_run(st, "DELETE FROM peer_prefixes WHERE peer=$1", &q, "write a peer's prefixes",
		   NULL, err);
	pg_text(&q, p->iface);
	for (size_t i = 0; !r && i < p->n_addrs + p->n_sites; i++) {
		bool site = i >= p->n_addrs;
		const struct netaddr_prefix *x = site ? &p->sites[i - p->n_addrs] : &p->addrs[i];
		char buf[NETADDR_PREFIX_STRLEN];
		PGresult *res;

		q.n = 2;
		pg_text(&q, site ? "site" : "addr");
		pg_int(&q, (int64_t)(site ? i - p->n_addrs : i));
		pg_text(&q, netaddr_format_prefix(buf, x));
		/* The space is the home hub's, as the database has it. */
		r = pg_run(st, "INSERT INTO peer_prefixes (peer, iface, space, kind, pos, prefix)"
			       " SELECT $1::bigint, $2::text, space, $3::text, $4::integer, $5::text"
			       " FROM interfaces WHERE name = $2::text"
			       " ON CONFLICT (space, prefix) WHERE kind = 'addr' DO NOTHING",
			   &q, "write a peer's prefixes", &res, err);
		if (!r && !strcmp(PQcmdTuples(res), "0"))
			r = error_fail(err, -EEXIST, "%s: address %s is already given in the "
				       "address space of %s", st->name, buf, p->iface);
		PQclear(res);
	}
	return r;
}

/* Every column but id, in PG_PEER_SELECT order from $1. */
static void bind_peer(struct pg_params *q, const struct inv_peer *p)
{
	pg_text(q, p->iface);
	pg_text(q, p->name);
	pg_text(q, p->owner);
	pg_text(q, p->device);
	pg_text(q, p->notes);
	pg_key(q, true, p->public_key);
	pg_key(q, p->has_psk, p->psk);
	pg_bool(q, p->allow_overlap);
	pg_int(q, p->keepalive);
	pg_bool(q, p->full_tunnel);
	pg_text(q, inv_state_name(p->state));
	pg_int(q, p->created);
	pg_int(q, p->approved);
	pg_text(q, p->approved_by);
	pg_int(q, p->expires);
	pg_int(q, p->last_handshake);
	pg_text(q, p->last_endpoint);
	pg_key(q, p->has_next_key, p->next_key);
	pg_int(q, p->rotate_until);
	pg_bool(q, p->rotate_on_handshake);
}

/* A unique violation that the checks before the write could not see: a
 * concurrent transaction committed the name or the key in the meantime.
 * It stays -EEXIST, saying which (PG_DIAG_CONSTRAINT_NAME). */
static int taken(struct pg_store *st, int r, const struct inv_peer *p, struct error *err)
{
	if (r != -EEXIST)
		return r;
	if (!strcmp(st->constraint, "peers_name_once"))
		return error_fail(err, r, "%s: the name %s is taken on %s", st->name, p->name,
				  p->iface);
	if (!strcmp(st->constraint, "peers_key_once") ||
	    !strcmp(st->constraint, "peers_next_key_once"))
		return error_fail(err, r, "%s: peer %s: its key is already in the inventory",
				  st->name, p->name);
	return r;
}

int pg_insert_peer(struct inv_store *s, struct inv_peer *p, struct error *err)
{
	struct pg_store *st = pg_of(s);
	struct pg_params q = { 0 };
	PGresult *res;
	int r;

	p->id = 0;
	r = inv_store_check_unique(s, st->name, p, err);
	if (r)
		return r;
	bind_peer(&q, p);
	r = pg_run(st, "INSERT INTO peers (iface, name, owner, device, notes, public_key, psk,"
		       " allow_overlap, keepalive, full_tunnel, state, created, approved,"
		       " approved_by, expires, last_handshake, last_endpoint, next_key,"
		       " rotate_until, rotate_on_handshake) VALUES ($1, $2, $3, $4, $5, $6, $7,"
		       " $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
		       " RETURNING id", &q, "insert a peer", &res, err);
	if (r)
		return taken(st, r, p, err);
	p->id = pg_col_int(res, 0, 0);
	PQclear(res);
	r = write_prefixes(st, p, err);
	if (r)
		p->id = 0;
	return r;
}

int pg_update_peer(struct inv_store *s, const struct inv_peer *p, struct error *err)
{
	struct pg_store *st = pg_of(s);
	struct pg_params q = { 0 };
	PGresult *res;
	int r;

	r = inv_store_check_unique(s, st->name, p, err);
	if (r)
		return r;
	bind_peer(&q, p);
	pg_int(&q, p->id);
	r = pg_run(st, "UPDATE peers SET iface=$1, name=$2, owner=$3, device=$4, notes=$5,"
		       " public_key=$6, psk=$7, allow_overlap=$8, keepalive=$9, full_tunnel=$10,"
		       " state=$11, created=$12, approved=$13, approved_by=$14, expires=$15,"
		       " last_handshake=$16, last_endpoint=$17, next_key=$18, rotate_until=$19,"
		       " rotate_on_handshake=$20 WHERE id=$21", &q, "update a peer", &res, err);
	if (r)
		return taken(st, r, p, err);
	if (strcmp(PQcmdTuples(res), "1"))
		r = error_fail(err, -ENOENT, "%s: no peer with id %lld", st->name,
			       (long long)p->id);
	PQclear(res);
	return r ? r : write_prefixes(st, p, err);
}

/* ---- the change log ------------------------------------------------- */

int pg_append_log(struct inv_store *s, struct inv_log_entry *e, struct error *err)
{
	struct pg_store *st = pg_of(s);
	struct pg_params q = { 0 };
	PGresult *res;
	int r;

	pg_int(&q, e->at);
	pg_text(&q, e->who);
	pg_text(&q, e->iface);
	pg_text(&q, e->peer);
	pg_text(&q, e->action);
	pg_text(&q, e->detail);
	r = pg_run(st, "INSERT INTO change_log (at, who, iface, peer, action, detail)"
		       " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id", &q,
		   "append to the change log", &res, err);
	if (r)
		return r;
	e->id = pg_col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

int pg_list_log(struct inv_store *s, const char *iface, const char *peer,
		struct inv_log_entry **out, size_t *n, struct error *err)
{
	struct pg_store *st = pg_of(s);
	struct pg_params q = { 0 };
	struct inv_log_entry *v;
	PGresult *res;
	size_t count;
	int r;

	*out = NULL;
	*n = 0;
	pg_text(&q, iface);
	pg_text(&q, peer);
	r = pg_run(st, "SELECT id, at, who, iface, peer, action, detail FROM change_log"
		       " WHERE ($1::text IS NULL OR iface=$1) AND ($2::text IS NULL OR peer=$2)"
		       " ORDER BY id", &q, "read the change log", &res, err);
	if (r)
		return r;
	count = (size_t)PQntuples(res);
	v = calloc(count ? count : 1, sizeof(*v));
	for (size_t i = 0; v && i < count; i++) {
		struct inv_log_entry *e = &v[i];
		int row = (int)i;

		e->id = pg_col_int(res, row, 0);
		e->at = pg_col_int(res, row, 1);
		pg_col_text(res, row, 2, e->who, sizeof(e->who));
		pg_col_text(res, row, 3, e->iface, sizeof(e->iface));
		pg_col_text(res, row, 4, e->peer, sizeof(e->peer));
		pg_col_text(res, row, 5, e->action, sizeof(e->action));
		pg_col_text(res, row, 6, e->detail, sizeof(e->detail));
	}
	PQclear(res);
	if (!v)
		return error_fail(err, -ENOMEM, "%s: out of memory", st->name);
	*out = v;
	*n = count;
	return 0;
}
