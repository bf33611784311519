/* Several hubs in one inventory (inventory/hubs.c, the stores' hub ops),
 * on SQLite and, with RAMPART_TEST_PG set, on PostgreSQL
 * (store_fixture.h; tests/db/store_pg.sh runs it there): a version 1
 * database migrated with its data; spaces and their pools; addresses
 * unique per space; assignment and its refusals; the share of a hub;
 * what each hub saw, never overwritten by another. */
#include "harness.h"
#include "store_fixture.h"

#include "common/compiler.h"
#include "inventory/inventory.h"
#include "inventory/plan.h"
#include "inventory/store_pg.h"
#include "inventory/store_sqlite.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- migration from version 1 ---------------------------------------- */

/* The case's database made by schema 1's own text, as a rampart of
 * version 1 left it: hub wg0 with two peers, one seen. */
static void make_v1(void)
{
	char sql[2048], msg[512], k1[KEY_B64_LEN + 1], k2[KEY_B64_LEN + 1];
	uint8_t k[KEY_LEN];
	bool ok;

	key(k, 1);
	encoding_key_to_base64(k1, k);
	key(k, 2);
	encoding_key_to_base64(k2, k);
	snprintf(sql, sizeof(sql),
		 "INSERT INTO interfaces (name, endpoint, created) VALUES"
		 " ('wg0', 'vpn.example.org:51820', 1);"
		 "INSERT INTO interface_pools (iface, pos, prefix) VALUES ('wg0', 0, '10.0.0.0/24');"
		 "INSERT INTO peers (iface, name, public_key, state, created, last_handshake,"
		 " last_endpoint) VALUES ('wg0', 'laptop', '%s', 'active', 1, 500,"
		 " '192.0.2.1:51820'), ('wg0', 'phone', '%s', 'disabled', 1, 0, '');"
		 "INSERT INTO peer_prefixes (peer, iface, kind, pos, prefix) SELECT id, 'wg0',"
		 " 'addr', 0, CASE name WHEN 'laptop' THEN '10.0.0.2/32' ELSE '10.0.0.3/32' END"
		 " FROM peers;"
		 "INSERT INTO peer_prefixes (peer, iface, kind, pos, prefix) SELECT id, 'wg0',"
		 " 'site', 0, '192.168.7.0/24' FROM peers WHERE name = 'phone';", k1, k2);
	if (fx_pg) {
		ok = fx_pg_exec(fx_db, inv_pg_migration(0), msg, sizeof(msg)) &&
		     fx_pg_exec(fx_db, "INSERT INTO schema_version VALUES (true, 1)", msg,
				sizeof(msg));
	} else {
		ok = mkdir(fx_sub, 0700) == 0 &&
		     fx_raw(inv_sqlite_migration(0), NULL, msg, sizeof(msg)) &&
		     fx_raw("PRAGMA user_version=1", NULL, msg, sizeof(msg));
	}
	CHECK_MSG(ok, "schema 1: %s", msg);
	CHECK_MSG(fx_raw(sql, sql, msg, sizeof(msg)), "%s", msg);
	CHECK(fx_version_is(1));
}

/* 1: a version 1 database migrates to 2 with its data: the hub is its
 * own interface and space, the addresses and sites stay, the handshake
 * is the home hub's; the address index is then per space. */
static void test_migrate_v1(void)
{
	struct inv_interface ifc;
	struct inv_peer p, q;
	struct inv_seen *seen;
	struct inv_store *s;
	struct inv_ctx c;
	size_t n;

	setup();
	make_v1();
	s = open_store();
	c = ctx(s, 1000);
	CHECK(fx_version_is(2));
	CHECK(inv_get_interface(&c, "wg0", &ifc, &err) == 0);
	CHECK(!strcmp(ifc.ifname, "wg0") && !strcmp(ifc.space, "wg0") && ifc.n_pools == 1);
	CHECK(inv_show(&c, "wg0", "laptop", &p, &err) == 0);
	CHECK(p.n_addrs == 1 && addr_is(&p.addrs[0], "10.0.0.2/32") && p.n_hubs == 0);
	CHECK(p.last_handshake == 500 && !strcmp(p.last_endpoint, "192.0.2.1:51820"));
	CHECK(inv_show(&c, "wg0", "phone", &q, &err) == 0);
	CHECK(q.n_addrs == 1 && q.n_sites == 1 && q.state == INV_DISABLED);
	CHECK(inv_seen_of(&c, p.id, &seen, &n, &err) == 0 && n == 1);
	CHECK(n == 1 && !strcmp(seen[0].hub, "wg0") && seen[0].last_handshake == 500);
	free(seen);
	CHECK(inv_seen_of(&c, q.id, &seen, &n, &err) == 0 && n == 0);
	free(seen);
	/* The next peer gets the next address: the old ones are in the
	 * space's index. */
	peer(&p, "wg0", "tablet", 3);
	CHECK_MSG(inv_add(&c, &p, true, &err) == 0, "%s", err.msg);
	CHECK(p.n_addrs == 1 && addr_is(&p.addrs[0], "10.0.0.4/32"));
	inv_store_close(s);
	teardown();
}

/* ---- spaces ---------------------------------------------------------- */

/* Hubs a and b (of a's space) and c (its own), each of pool; on c->now
 * 1000.  b's pools come from a's (none given). */
static struct inv_store *three_hubs(struct inv_ctx *c, const char *pool)
{
	struct inv_interface ifc;
	struct inv_store *s;

	setup();
	s = open_store();
	*c = ctx(s, 1000);
	iface(&ifc, "hub-a", pool);
	CHECK(inv_init(c, &ifc, &err) == 0);
	iface(&ifc, "hub-b", pool);
	ifc.n_pools = 0;
	snprintf(ifc.space, sizeof(ifc.space), "hub-a");
	snprintf(ifc.ifname, sizeof(ifc.ifname), "wg0");
	CHECK_MSG(inv_init(c, &ifc, &err) == 0, "%s", err.msg);
	iface(&ifc, "hub-c", pool);
	CHECK(inv_init(c, &ifc, &err) == 0);
	return s;
}

/* three_hubs() of 10.0.0.0/24, and peer laptop at home on hub-a. */
static struct inv_store *laptop_on_a(struct inv_ctx *c, struct inv_peer *p)
{
	struct inv_store *s = three_hubs(c, "10.0.0.0/24");

	peer(p, "hub-a", "laptop", 1);
	CHECK(inv_add(c, p, true, &err) == 0);
	return s;
}

/* 2: joining a space copies its pools or must have them; a hub with
 * peers keeps its space; a hub keeps its interface and space when
 * initialized again without them. */
static void test_spaces(void)
{
	struct inv_interface ifc, got;
	struct inv_peer p;
	struct inv_store *s;
	struct inv_ctx c;

	s = three_hubs(&c, "10.0.0.0/24");
	CHECK(inv_get_interface(&c, "hub-b", &got, &err) == 0);
	CHECK(!strcmp(got.space, "hub-a") && !strcmp(got.ifname, "wg0") && got.n_pools == 1);
	CHECK(got.n_pools == 1 && addr_is(&got.pools[0], "10.0.0.0/24"));
	/* Other pools than the space's are refused, naming both. */
	iface(&ifc, "hub-d", "10.9.0.0/24");
	snprintf(ifc.space, sizeof(ifc.space), "hub-a");
	CHECK(inv_init(&c, &ifc, &err) == -EINVAL);
	CHECK_MSG(strstr(err.msg, "10.9.0.0/24") && strstr(err.msg, "10.0.0.0/24") &&
		  strstr(err.msg, "space hub-a"), "%s", err.msg);
	/* The negative control: the same pool is taken. */
	iface(&ifc, "hub-d", "10.0.0.0/24");
	snprintf(ifc.space, sizeof(ifc.space), "hub-a");
	CHECK_MSG(inv_init(&c, &ifc, &err) == 0, "%s", err.msg);
	/* Again, without space or interface: both kept. */
	iface(&ifc, "hub-b", "10.0.0.0/24");
	snprintf(ifc.endpoint, sizeof(ifc.endpoint), "b.example.org:51820");
	CHECK(inv_init(&c, &ifc, &err) == 0);
	CHECK(inv_get_interface(&c, "hub-b", &got, &err) == 0);
	CHECK(!strcmp(got.space, "hub-a") && !strcmp(got.ifname, "wg0"));
	/* A hub with a peer cannot leave its space. */
	peer(&p, "hub-c", "laptop", 1);
	CHECK(inv_add(&c, &p, true, &err) == 0);
	iface(&ifc, "hub-c", "10.0.0.0/24");
	snprintf(ifc.space, sizeof(ifc.space), "hub-a");
	CHECK(inv_init(&c, &ifc, &err) == -EBUSY);
	CHECK_MSG(strstr(err.msg, "laptop") && strstr(err.msg, "hub-c"), "%s", err.msg);
	/* A hub with none can (hub-d, back to a space of its own). */
	iface(&ifc, "hub-d", "10.0.0.0/24");
	snprintf(ifc.space, sizeof(ifc.space), "hub-d");
	CHECK(inv_init(&c, &ifc, &err) == 0);
	inv_store_close(s);
	teardown();
}

/* 3: hubs of one space allocate from one set of addresses; another
 * space may give the same ones again; the database refuses an address
 * given twice in a space whatever the writer checked. */
static void test_space_addresses(void)
{
	struct inv_peer p, q;
	struct inv_store *s;
	struct inv_ctx c;

	s = three_hubs(&c, "10.0.0.0/24");
	for (int i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof(name), "p%d", i);
		peer(&p, i % 2 ? "hub-b" : "hub-a", name, (uint8_t)(i + 1));
		CHECK_MSG(inv_add(&c, &p, true, &err) == 0, "%s", err.msg);
		snprintf(name, sizeof(name), "10.0.0.%d/32", i + 2);
		CHECK_MSG(p.n_addrs == 1 && addr_is(&p.addrs[0], name), "%s on %s", name, p.iface);
	}
	peer(&p, "hub-c", "c0", 9);
	CHECK(inv_add(&c, &p, true, &err) == 0 && addr_is(&p.addrs[0], "10.0.0.2/32"));
	/* Past the allocator: hub-b's store refuses hub-a's address. */
	CHECK(inv_store_begin(s, true, &err) == 0);
	peer(&q, "hub-b", "thief", 10);
	prefix(&q.addrs[0], "10.0.0.2/32");
	q.n_addrs = 1;
	CHECK(s->ops->insert_peer(s, &q, &err) == -EEXIST && strstr(err.msg, "10.0.0.2/32"));
	inv_store_rollback(s);
	/* The negative control: hub-c's own space has 10.0.0.3 free. */
	CHECK(inv_store_begin(s, true, &err) == 0);
	peer(&q, "hub-c", "fine", 11);
	prefix(&q.addrs[0], "10.0.0.3/32");
	q.n_addrs = 1;
	CHECK_MSG(s->ops->insert_peer(s, &q, &err) == 0, "%s", err.msg);
	inv_store_rollback(s);
	inv_store_close(s);
	teardown();
}

/* ---- assignment and the share --------------------------------------- */

static bool in_share(struct inv_ctx *c, const char *hub, const char *names)
{
	char got[256] = "";
	struct inv_peer *v;
	size_t n;

	if (inv_share(c, hub, &v, &n, &err))
		return false;
	for (size_t i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "," : "",
			 v[i].name);
	free(v);
	CHECK_MSG(!strcmp(got, names), "share of %s: \"%s\", not \"%s\"", hub, got, names);
	return !strcmp(got, names);
}

/* 4: assignment within the space; across spaces refused, naming both;
 * the home hub cannot be unassigned; add --hub; each logged. */
static void test_assign(void)
{
	const char *b[] = { "hub-b" }, *cc[] = { "hub-c" }, *none[] = { "hub-x" };
	struct inv_peer p;
	struct inv_store *s;
	struct inv_ctx c;

	s = laptop_on_a(&c, &p);
	CHECK(inv_assign(&c, "hub-a", "laptop", cc, 1, NULL, &err) == -EINVAL);
	CHECK_MSG(strstr(err.msg, "hub-c") && strstr(err.msg, "space hub-c") &&
		  strstr(err.msg, "space hub-a"), "%s", err.msg);
	CHECK(inv_assign(&c, "hub-a", "laptop", none, 1, NULL, &err) == -ENOENT);
	CHECK(strstr(err.msg, "hub-x") != NULL);
	CHECK(inv_assign(&c, "hub-a", "laptop", b, 1, &p, &err) == 0);
	CHECK(p.n_hubs == 1 && !strcmp(p.hubs[0], "hub-b"));
	CHECK(inv_assign(&c, "hub-a", "laptop", b, 1, NULL, &err) == -EEXIST);
	CHECK(inv_unassign(&c, "hub-a", "laptop", "hub-a", NULL, &err) == -EINVAL);
	CHECK_MSG(strstr(err.msg, "home hub"), "%s", err.msg);
	CHECK(inv_unassign(&c, "hub-a", "laptop", "hub-c", NULL, &err) == -ENOENT);
	CHECK(inv_show(&c, "hub-a", "laptop", &p, &err) == 0 && p.n_hubs == 1);
	CHECK(inv_unassign(&c, "hub-a", "laptop", "hub-b", &p, &err) == 0 && p.n_hubs == 0);
	CHECK(inv_show(&c, "hub-a", "laptop", &p, &err) == 0 && p.n_hubs == 0);
	/* add --hub: assigned at creation, the home hub among them skipped;
	 * one of another space refuses the whole add. */
	peer(&p, "hub-a", "phone", 2);
	snprintf(p.hubs[0], IFNAMSIZ, "hub-c");
	p.n_hubs = 1;
	CHECK(inv_add(&c, &p, true, &err) == -EINVAL && strstr(err.msg, "hub-c"));
	CHECK(inv_show(&c, "hub-a", "phone", &p, &err) == -ENOENT);
	peer(&p, "hub-a", "phone", 2);
	snprintf(p.hubs[0], IFNAMSIZ, "hub-a");
	snprintf(p.hubs[1], IFNAMSIZ, "hub-b");
	p.n_hubs = 2;
	CHECK_MSG(inv_add(&c, &p, true, &err) == 0, "%s", err.msg);
	CHECK(inv_show(&c, "hub-a", "phone", &p, &err) == 0 && p.n_hubs == 1);
	CHECK(log_count(s, "assign") == 2 && log_count(s, "unassign") == 1);
	/* A revoked peer goes on no hub. */
	CHECK(inv_revoke(&c, "hub-a", "laptop", NULL, &err) == 0);
	CHECK(inv_assign(&c, "hub-a", "laptop", b, 1, NULL, &err) == -EINVAL);
	inv_store_close(s);
	teardown();
}

/* 5: the share of a hub: its active peers and those assigned to it,
 * from any home hub of its space; not a pending one until approved; not
 * a revoked one, on any hub. */
static void test_share(void)
{
	const char *a[] = { "hub-a" }, *b[] = { "hub-b" };
	struct inv_peer p;
	struct inv_store *s;
	struct inv_ctx c;

	s = laptop_on_a(&c, &p);
	peer(&p, "hub-b", "phone", 2);
	CHECK(inv_add(&c, &p, true, &err) == 0);
	peer(&p, "hub-c", "desk", 3);
	CHECK(inv_add(&c, &p, true, &err) == 0);
	peer(&p, "hub-a", "tablet", 4);
	CHECK(inv_add(&c, &p, false, &err) == 0); /* pending */
	CHECK(in_share(&c, "hub-a", "laptop"));
	CHECK(in_share(&c, "hub-b", "phone"));
	CHECK(inv_assign(&c, "hub-a", "laptop", b, 1, NULL, &err) == 0);
	CHECK(inv_assign(&c, "hub-b", "phone", a, 1, NULL, &err) == 0);
	CHECK(inv_assign(&c, "hub-a", "tablet", b, 1, NULL, &err) == 0);
	CHECK(in_share(&c, "hub-a", "laptop,phone"));
	CHECK(in_share(&c, "hub-b", "laptop,phone"));
	CHECK(in_share(&c, "hub-c", "desk"));
	CHECK(inv_approve(&c, "hub-a", "tablet", NULL, &err) == 0);
	CHECK(in_share(&c, "hub-a", "laptop,phone,tablet"));
	CHECK(in_share(&c, "hub-b", "laptop,phone,tablet"));
	CHECK(inv_revoke(&c, "hub-a", "laptop", NULL, &err) == 0);
	CHECK(in_share(&c, "hub-a", "phone,tablet"));
	CHECK(in_share(&c, "hub-b", "phone,tablet"));
	CHECK(inv_share(&c, "hub-x", &(struct inv_peer *){ NULL }, &(size_t){ 0 }, &err) ==
	      -ENOENT);
	inv_store_close(s);
	teardown();
}

/* What hub's plan does with peer p: on an interface that holds running
 * (NULL: nothing), 'a' when it adds p, 'r' when it removes p, '-' when
 * it leaves p alone. */
static char planned(struct inv_ctx *c, const char *hub, const struct inv_peer *p,
		    const struct uapi_device *running)
{
	struct uapi_device *set = NULL;
	struct inv_peer *v;
	size_t n;
	char what = '-';

	CHECK(inv_share(c, hub, &v, &n, &err) == 0);
	CHECK_MSG(inv_plan(v, n, running, &set, &err) == 0, "%s", err.msg);
	for (size_t i = 0; set && i < set->n_peers; i++)
		if (!memcmp(set->peers[i].public_key, p->public_key, KEY_LEN))
			what = set->peers[i].flags & UAPI_PEER_REMOVE ? 'r' : 'a';
	uapi_device_free(set);
	free(v);
	return what;
}

/* 6: `peer apply -i HUB` plans from the hub's share: a peer assigned to
 * hub-a and hub-b goes on both interfaces and not on hub-c's; revoked,
 * it leaves both. */
static void test_share_plan(void)
{
	const char *b[] = { "hub-b" };
	struct uapi_device *running = uapi_device_alloc();
	struct inv_peer p;
	struct inv_store *s;
	struct inv_ctx c;

	s = laptop_on_a(&c, &p);
	CHECK(planned(&c, "hub-b", &p, NULL) == '-');
	CHECK(inv_assign(&c, "hub-a", "laptop", b, 1, NULL, &err) == 0);
	CHECK(planned(&c, "hub-a", &p, NULL) == 'a');
	CHECK(planned(&c, "hub-b", &p, NULL) == 'a');
	CHECK(planned(&c, "hub-c", &p, NULL) == '-');
	/* Both interfaces hold it now; revoked, both plans remove it. */
	CHECK(running && uapi_device_add_peer(running, p.public_key));
	CHECK(planned(&c, "hub-a", &p, running) != 'r');
	CHECK(inv_revoke(&c, "hub-a", "laptop", NULL, &err) == 0);
	CHECK(planned(&c, "hub-a", &p, running) == 'r');
	CHECK(planned(&c, "hub-b", &p, running) == 'r');
	uapi_device_free(running);
	inv_store_close(s);
	teardown();
}

/* 7: a peer assigned to hub-b expires by hub-b's commands too (its
 * apply timer), not only by those of its home hub. */
static void test_share_expiry(void)
{
	const char *b[] = { "hub-b" };
	struct inv_peer p;
	struct inv_store *s;
	struct inv_ctx c;
	size_t n;

	s = three_hubs(&c, "10.0.0.0/24");
	peer(&p, "hub-a", "temp", 1);
	p.expires = 2000;
	CHECK(inv_add(&c, &p, true, &err) == 0);
	CHECK(inv_assign(&c, "hub-a", "temp", b, 1, NULL, &err) == 0);
	c.now = 1999;
	CHECK(inv_expire_due(&c, "hub-b", &n, &err) == 0 && n == 0);
	CHECK(in_share(&c, "hub-b", "temp"));
	c.now = 2000;
	CHECK(inv_expire_due(&c, "hub-c", &n, &err) == 0 && n == 0);
	CHECK(inv_expire_due(&c, "hub-b", &n, &err) == 0 && n == 1);
	CHECK(in_share(&c, "hub-b", "") && in_share(&c, "hub-a", ""));
	CHECK(inv_show(&c, "hub-a", "temp", &p, &err) == 0 && p.state == INV_EXPIRED);
	inv_store_close(s);
	teardown();
}

/* ---- what each hub saw ---------------------------------------------- */

static void put_seen(struct inv_store *s, int64_t peer, const char *hub, int64_t at,
		     const char *endpoint)
{
	struct inv_seen row = { .peer = peer, .last_handshake = at };

	snprintf(row.hub, sizeof(row.hub), "%s", hub);
	snprintf(row.last_endpoint, sizeof(row.last_endpoint), "%s", endpoint);
	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK_MSG(s->ops->put_seen(s, &row, &err) == 0, "%s", err.msg);
	CHECK(inv_store_commit(s, &err) == 0);
}

/* 8: each hub writes its own row; one hub's later record leaves the
 * other's as it was; the peer shows the latest of all. */
static void test_seen(void)
{
	const char *b[] = { "hub-b" };
	struct inv_peer p;
	struct inv_seen *v;
	struct inv_store *s;
	struct inv_ctx c;
	size_t n;

	s = laptop_on_a(&c, &p);
	CHECK(inv_assign(&c, "hub-a", "laptop", b, 1, NULL, &err) == 0);
	put_seen(s, p.id, "hub-a", 100, "192.0.2.1:1000");
	put_seen(s, p.id, "hub-b", 200, "198.51.100.2:2000");
	CHECK(inv_show(&c, "hub-a", "laptop", &p, &err) == 0);
	CHECK(p.last_handshake == 200 && !strcmp(p.last_endpoint, "198.51.100.2:2000"));
	put_seen(s, p.id, "hub-a", 150, "192.0.2.1:1001");
	CHECK(inv_seen_of(&c, p.id, &v, &n, &err) == 0 && n == 2);
	if (n == 2) {
		CHECK(!strcmp(v[0].hub, "hub-a") && v[0].last_handshake == 150);
		CHECK(!strcmp(v[0].last_endpoint, "192.0.2.1:1001"));
		CHECK(!strcmp(v[1].hub, "hub-b") && v[1].last_handshake == 200);
		CHECK(!strcmp(v[1].last_endpoint, "198.51.100.2:2000"));
	}
	free(v);
	CHECK(inv_show(&c, "hub-a", "laptop", &p, &err) == 0 && p.last_handshake == 200);
	/* A state change writes the peer's row, and what the hubs saw stays. */
	CHECK(inv_disable(&c, "hub-a", "laptop", NULL, &err) == 0);
	CHECK(inv_seen_of(&c, p.id, &v, &n, &err) == 0 && n == 2);
	CHECK(n == 2 && v[0].last_handshake == 150 && v[1].last_handshake == 200);
	free(v);
	inv_store_close(s);
	teardown();
}

/* t's transaction of record again, as inv_transaction runs a loser. */
static int record_again(struct inv_store *t, const struct inv_seen *row)
{
	struct inv_seen *v;
	size_t n;
	int r = inv_store_begin(t, true, &err);

	if (!r)
		r = t->ops->list_seen(t, row->hub, 0, &v, &n, &err);
	if (!r) {
		free(v);
		r = t->ops->put_seen(t, row, &err);
	}
	if (!r)
		r = inv_store_commit(t, &err);
	if (r)
		inv_store_rollback(t);
	return r;
}

/* 9 (PostgreSQL): two hubs recording at the same instant, each in its
 * write transaction (reading its rows, writing one): the first commits;
 * the second commits too or, when the server cannot tell their reads
 * apart (a small table is read whole), loses and runs again; either way
 * each row is its own hub's, and neither overwrote the other. */
static void test_pg_seen_at_once(void)
{
	const char *b[] = { "hub-b" };
	struct inv_seen ra = { .last_handshake = 100 }, rb = { .last_handshake = 200 }, *v;
	struct inv_store *s, *t;
	struct inv_peer p;
	struct inv_ctx c;
	size_t n;
	int r;

	s = three_hubs(&c, "10.0.0.0/24");
	t = open_store();
	peer(&p, "hub-a", "laptop", 1);
	CHECK(inv_add(&c, &p, true, &err) == 0);
	CHECK(inv_assign(&c, "hub-a", "laptop", b, 1, NULL, &err) == 0);
	ra.peer = rb.peer = p.id;
	snprintf(ra.hub, sizeof(ra.hub), "hub-a");
	snprintf(rb.hub, sizeof(rb.hub), "hub-b");
	CHECK(inv_store_begin(s, true, &err) == 0 && inv_store_begin(t, true, &err) == 0);
	CHECK(s->ops->list_seen(s, "hub-a", 0, &v, &n, &err) == 0 && n == 0);
	free(v);
	CHECK(t->ops->list_seen(t, "hub-b", 0, &v, &n, &err) == 0 && n == 0);
	free(v);
	CHECK(s->ops->put_seen(s, &ra, &err) == 0 && t->ops->put_seen(t, &rb, &err) == 0);
	CHECK_MSG(inv_store_commit(s, &err) == 0, "%s", err.msg);
	r = inv_store_commit(t, &err);
	if (r == -EAGAIN) {
		inv_store_rollback(t);
		r = record_again(t, &rb);
	}
	CHECK_MSG(r == 0, "%d %s", r, err.msg);
	CHECK(inv_seen_of(&c, p.id, &v, &n, &err) == 0 && n == 2);
	CHECK(n == 2 && v[0].last_handshake == 100 && v[1].last_handshake == 200);
	free(v);
	inv_store_close(t);
	inv_store_close(s);
	teardown();
}

#define CASES                                                                              \
	{ "hubs: a version 1 database migrates to 2 with its data", test_migrate_v1 },     \
	{ "hubs: a space's pools are copied or checked; a hub with peers keeps its space", \
	  test_spaces },                                                                   \
	{ "hubs: addresses are unique per space, enforced by the database",                \
	  test_space_addresses },                                                          \
	{ "hubs: assignment within the space; across refused; the home hub stays",         \
	  test_assign },                                                                   \
	{ "hubs: the share of a hub", test_share },                                        \
	{ "hubs: each hub's plan is of its share: assigned on both, revoked off both",     \
	  test_share_plan },                                                               \
	{ "hubs: a peer expires by the commands of any hub it is on", test_share_expiry },   \
	{ "hubs: each hub's handshake facts, never overwritten by another", test_seen }

static const struct harness_case cases[] = { CASES };
static const struct harness_case pg_cases[] = {
	CASES,
	{ "pg hubs: two hubs recording at once both commit, each its own row, none overwritten",
	  test_pg_seen_at_once },
};


int main(int argc, char *argv[])
{
	return fx_main(cases, ARRAY_SIZE(cases), pg_cases, ARRAY_SIZE(pg_cases), argc, argv);
}
