/* inventory/store_sqlite, store_pg and inventory/inventory: open,
 * migrate and reopen a database; every store op and every operation on a
 * fake clock; the uniqueness the database enforces; the change log that
 * refuses changes; retries after a lost transaction.  On SQLite, the
 * modes of the file and directory; with RAMPART_TEST_PG set, the same
 * cases on PostgreSQL (store_fixture.h) and its own: concurrent
 * transactions, the migration race, passwords kept out of messages. */
#include "harness.h"
#include "store_fixture.h"

#include "inventory/inventory.h"
#include "inventory/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* 1: a new file and directory get 0600 and 0700 whatever the umask; an
 * existing file readable by others is made 0600. */
static void test_modes(void)
{
	mode_t old = umask(0);
	struct inv_store *s;
	struct stat sb;

	setup();
	s = open_store();
	umask(old);
	CHECK(stat(fx_sub, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	CHECK(stat(fx_path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	inv_store_close(s);
	/* A file someone made readable is made ours alone again at open. */
	CHECK(chmod(fx_path, 0644) == 0);
	s = open_store();
	CHECK(stat(fx_path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	inv_store_close(s);
	teardown();
}

/* 2: open, migrate, reopen: the schema version stays and the data too. */
static void test_reopen(void)
{
	struct inv_interface ifc, got;
	struct inv_store *s;
	char msg[512];
	bool found;

	setup();
	s = open_store();
	iface(&ifc, "wg0", "10.0.0.0/24");
	ifc.has_public_key = true;
	key(ifc.public_key, 9);
	prefix(&ifc.pools[1], "fd00::/64");
	ifc.n_pools = 2;
	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->put_interface(s, &ifc, &err) == 0);
	CHECK(inv_store_commit(s, &err) == 0);
	inv_store_close(s);
	s = open_store();
	CHECK(inv_store_begin(s, false, &err) == 0);
	CHECK(s->ops->get_interface(s, "wg0", &got, &found, &err) == 0 && found);
	CHECK(got.n_pools == 2 && got.has_public_key);
	CHECK(netaddr_prefix_equal(&got.pools[1], &ifc.pools[1]));
	CHECK(s->ops->get_interface(s, "wg9", &got, &found, &err) == -ENOENT && !found);
	inv_store_commit(s, &err);
	inv_store_close(s);
	CHECK(fx_version_is(2));
	if (fx_pg)
		CHECK(fx_pg_number(fx_db, "SELECT count(*) FROM schema_version") == 1);
	else
		CHECK(fx_sqlite_is("PRAGMA journal_mode", "wal"));
	/* A newer schema than ours is refused, not guessed at. */
	CHECK(fx_raw("PRAGMA user_version=99", "UPDATE schema_version SET version=99", msg,
		     sizeof(msg)));
	s = NULL;
	CHECK(inv_store_open(fx_db, &s, &err) == -EPROTO && !s);
	CHECK(strstr(err.msg, fx_db) != NULL && strstr(err.msg, "99") != NULL);
	teardown();
}

/* 3: every peer op, and the uniqueness of names, keys and addresses. */
static void test_peers(void)
{
	struct inv_interface ifc;
	struct inv_peer a, b, got, *v;
	struct inv_store *s;
	size_t n;
	bool found;

	setup();
	s = open_store();
	iface(&ifc, "wg0", "10.0.0.0/24");
	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->put_interface(s, &ifc, &err) == 0);
	peer(&a, "wg0", "laptop", 1);
	prefix(&a.addrs[0], "10.0.0.2/32");
	a.n_addrs = 1;
	prefix(&a.sites[0], "192.168.5.0/24");
	a.n_sites = 1;
	a.has_next_key = true;
	key(a.next_key, 7);
	CHECK(s->ops->insert_peer(s, &a, &err) == 0 && a.id > 0);
	peer(&b, "wg0", "laptop", 2);
	CHECK(s->ops->insert_peer(s, &b, &err) == -EEXIST && strstr(err.msg, "laptop"));
	peer(&b, "wg0", "phone", 1);
	CHECK(s->ops->insert_peer(s, &b, &err) == -EEXIST && strstr(err.msg, "laptop"));
	peer(&b, "wg0", "phone", 7); /* a's next key */
	CHECK(s->ops->insert_peer(s, &b, &err) == -EEXIST && strstr(err.msg, "laptop"));
	peer(&b, "wg0", "phone", 2);
	b.addrs[0] = a.addrs[0];
	b.n_addrs = 1;
	CHECK(s->ops->insert_peer(s, &b, &err) == -EEXIST && strstr(err.msg, "10.0.0.2/32"));
	inv_store_rollback(s);

	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->put_interface(s, &ifc, &err) == 0);
	CHECK(s->ops->insert_peer(s, &a, &err) == 0);
	CHECK(s->ops->find_peer(s, "wg0", "laptop", &got, &found, &err) == 0 && found);
	CHECK(got.n_addrs == 1 && got.n_sites == 1 && got.has_next_key);
	CHECK(netaddr_prefix_equal(&got.sites[0], &a.sites[0]));
	CHECK(s->ops->find_key(s, a.next_key, &got, &found, &err) == 0 && got.id == a.id);
	key(b.public_key, 3);
	CHECK(s->ops->find_key(s, b.public_key, &got, &found, &err) == -ENOENT && !found);
	CHECK(s->ops->find_peer(s, "wg0", "none", &got, &found, &err) == -ENOENT && !found);
	a.state = INV_DISABLED;
	a.n_sites = 0;
	snprintf(a.notes, sizeof(a.notes), "lost");
	CHECK(s->ops->update_peer(s, &a, &err) == 0);
	CHECK(inv_store_commit(s, &err) == 0);
	CHECK(inv_store_begin(s, false, &err) == 0);
	CHECK(s->ops->list_peers(s, "wg0", &v, &n, &err) == 0 && n == 1);
	CHECK(n == 1 && v[0].state == INV_DISABLED && v[0].n_sites == 0);
	CHECK(n == 1 && !strcmp(v[0].notes, "lost"));
	free(v);
	CHECK(s->ops->list_peers(s, NULL, &v, &n, &err) == 0 && n == 1);
	free(v);
	inv_store_commit(s, &err);
	inv_store_close(s);
	teardown();
}

/* 4: the change log appends and refuses UPDATE and DELETE (and on
 * PostgreSQL TRUNCATE, and an UPDATE that matches no row). */
static void test_log(void)
{
	struct inv_log_entry e = { .at = 5, .who = "alice", .iface = "wg0", .peer = "p",
				   .action = "add", .detail = "x" }, *v;
	struct inv_store *s;
	char msg[512];
	size_t n;

	setup();
	s = open_store();
	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->append_log(s, &e, &err) == 0 && e.id == 1);
	snprintf(e.peer, sizeof(e.peer), "q");
	CHECK(s->ops->append_log(s, &e, &err) == 0 && e.id == 2);
	CHECK(inv_store_commit(s, &err) == 0);
	CHECK(inv_store_begin(s, false, &err) == 0);
	CHECK(s->ops->list_log(s, "wg0", "q", &v, &n, &err) == 0 && n == 1);
	free(v);
	CHECK(s->ops->list_log(s, NULL, NULL, &v, &n, &err) == 0 && n == 2);
	CHECK(n == 2 && v[0].id < v[1].id && !strcmp(v[0].who, "alice"));
	free(v);
	inv_store_commit(s, &err);
	inv_store_close(s);
	CHECK(!fx_raw("UPDATE change_log SET who='eve'", "UPDATE change_log SET who='eve'", msg,
		      sizeof(msg)));
	CHECK_MSG(strstr(msg, "append-only"), "%s", msg);
	CHECK(!fx_raw("DELETE FROM change_log", "DELETE FROM change_log", msg, sizeof(msg)));
	CHECK_MSG(strstr(msg, "append-only"), "%s", msg);
	if (fx_pg) {
		CHECK(!fx_pg_exec(fx_db, "TRUNCATE change_log", msg, sizeof(msg)));
		CHECK_MSG(strstr(msg, "append-only"), "%s", msg);
		CHECK(!fx_pg_exec(fx_db, "UPDATE change_log SET who='eve' WHERE id=99", msg,
				  sizeof(msg)));
	}
	/* The negative control: the raw path does reach the table. */
	CHECK(fx_raw("INSERT INTO change_log (at, who, iface, peer, action, detail)"
		     " VALUES (6, 'bob', 'wg0', 'r', 'add', 'y')",
		     "INSERT INTO change_log (at, who, iface, peer, action, detail)"
		     " VALUES (6, 'bob', 'wg0', 'r', 'add', 'y')", msg, sizeof(msg)));
	teardown();
}

/* 5: the operations: init, add (generated and requested), approve,
 * disable, enable, revoke, and what they refuse. */
static void test_operations(void)
{
	struct inv_interface ifc;
	struct inv_peer p, q;
	struct inv_store *s;
	struct inv_ctx c;
	char name[IFNAMSIZ];

	setup();
	s = open_store();
	c = ctx(s, 1000);
	CHECK(inv_pick_interface(&c, NULL, name, &err) == -ENOENT);
	iface(&ifc, "wg0", "10.0.0.0/24");
	prefix(&ifc.pools[1], "fd00::1/64");
	ifc.n_pools = 2;
	CHECK(inv_init(&c, &ifc, &err) == 0);
	CHECK(inv_pick_interface(&c, NULL, name, &err) == 0 && !strcmp(name, "wg0"));
	CHECK(inv_pick_interface(&c, "wg1", name, &err) == -ENOENT && strstr(err.msg, "wg1"));

	peer(&p, "wg0", "laptop", 1);
	CHECK(inv_add(&c, &p, true, &err) == 0);
	CHECK(p.state == INV_ACTIVE && p.n_addrs == 2 && !strcmp(p.approved_by, "alice"));
	peer(&q, "wg0", "phone", 2);
	q.has_next_key = true;
	key(q.next_key, 12);
	CHECK(inv_add(&c, &q, false, &err) == 0 && q.state == INV_PENDING);
	CHECK(!netaddr_prefix_equal(&p.addrs[0], &q.addrs[0]));
	CHECK(!netaddr_prefix_equal(&p.addrs[1], &q.addrs[1]));
	/* A site over laptop's address names laptop. */
	peer(&q, "wg0", "site", 3);
	prefix(&q.sites[0], "10.0.0.0/30");
	q.n_sites = 1;
	CHECK(inv_add(&c, &q, true, &err) == -EEXIST && strstr(err.msg, "laptop"));
	prefix(&q.sites[0], "192.168.1.0/24");
	CHECK(inv_add(&c, &q, true, &err) == 0);
	peer(&q, "wg0", "site2", 4);
	prefix(&q.sites[0], "192.168.1.128/25");
	q.n_sites = 1;
	CHECK(inv_add(&c, &q, true, &err) == -EEXIST && strstr(err.msg, "peer site "));
	q.allow_overlap = true;
	CHECK(inv_add(&c, &q, true, &err) == 0);

	CHECK(inv_approve(&c, "wg0", "laptop", NULL, &err) == -EINVAL && strstr(err.msg, "active"));
	CHECK(inv_approve(&c, "wg0", "phone", &q, &err) == 0 && q.state == INV_ACTIVE);
	CHECK(inv_approve(&c, "wg0", "nobody", NULL, &err) == -ENOENT && strstr(err.msg, "nobody"));
	CHECK(inv_disable(&c, "wg0", "phone", &q, &err) == 0 && q.state == INV_DISABLED);
	CHECK(inv_enable(&c, "wg0", "phone", 0, &q, &err) == 0 && q.state == INV_ACTIVE);
	CHECK(inv_revoke(&c, "wg0", "phone", &q, &err) == 0 && q.state == INV_REVOKED);
	CHECK(q.n_addrs == 0);
	CHECK(inv_enable(&c, "wg0", "phone", 0, NULL, &err) == -EINVAL);
	CHECK(inv_revoke(&c, "wg0", "phone", NULL, &err) == -EINVAL);
	/* The revoked key never comes back, under any name. */
	peer(&q, "wg0", "phone2", 2);
	CHECK(inv_add(&c, &q, false, &err) == -EEXIST && strstr(err.msg, "phone"));
	CHECK(inv_add(&c, &q, false, &err) == -EEXIST && strstr(err.msg, "revoked"));
	peer(&q, "wg0", "phone3", 12); /* the revoked peer's next key */
	CHECK(inv_add(&c, &q, false, &err) == -EEXIST && strstr(err.msg, "revoked"));
	peer(&q, "wg0", "bad/name", 9);
	CHECK(inv_add(&c, &q, false, &err) == -EINVAL && strstr(err.msg, "bad/name"));
	CHECK(log_count(s, "add") == 4 && log_count(s, "revoke") == 1);
	CHECK(log_count(s, "approve") == 1 && log_count(s, "init") == 1);
	inv_store_close(s);
	teardown();
}

/* 6: expiry on a fake clock; enabling an expired peer needs a new one. */
static void test_expiry(void)
{
	struct inv_peer p;
	struct inv_store *s;
	struct inv_ctx c;
	size_t n;

	s = start(&c, "10.0.0.0/24");
	peer(&p, "wg0", "temp", 1);
	p.expires = 999;
	CHECK(inv_add(&c, &p, true, &err) == -EINVAL);
	p.expires = 2000;
	CHECK(inv_add(&c, &p, true, &err) == 0);
	CHECK(inv_expire_due(&c, NULL, &n, &err) == 0 && n == 0);
	c.now = 2000;
	CHECK(inv_expire_due(&c, "wg0", &n, &err) == 0 && n == 1);
	CHECK(inv_expire_due(&c, "wg0", &n, &err) == 0 && n == 0);
	CHECK(inv_show(&c, "wg0", "temp", &p, &err) == 0 && p.state == INV_EXPIRED);
	CHECK(log_count(s, "expired") == 1);
	CHECK(inv_enable(&c, "wg0", "temp", 0, NULL, &err) == -EINVAL);
	CHECK(strstr(err.msg, "new expiry") != NULL);
	CHECK(inv_enable(&c, "wg0", "temp", 1500, NULL, &err) == -EINVAL);
	CHECK(inv_enable(&c, "wg0", "temp", 3000, &p, &err) == 0 && p.expires == 3000);
	CHECK(p.state == INV_ACTIVE);
	inv_store_close(s);
	teardown();
}

/* 7: a /29 runs out after its five peer addresses (8 minus network,
 * hub, broadcast), with an error naming the pool; nothing is left
 * half-written. */
static void test_exhausted(void)
{
	struct inv_peer p, *v;
	struct inv_store *s;
	struct inv_ctx c;
	size_t n;

	s = start(&c, "10.9.0.0/29");
	for (int i = 0; i < 5; i++) {
		char name[16];

		snprintf(name, sizeof(name), "p%d", i);
		peer(&p, "wg0", name, (uint8_t)(i + 1));
		CHECK(inv_add(&c, &p, true, &err) == 0);
	}
	peer(&p, "wg0", "p5", 6);
	CHECK(inv_add(&c, &p, true, &err) == -ENOSPC && strstr(err.msg, "10.9.0.0/29"));
	CHECK(inv_list(&c, "wg0", &v, &n, &err) == 0 && n == 5);
	free(v);
	CHECK(log_count(s, "add") == 5);
	inv_store_close(s);
	teardown();
}

/* 8: the model's names and checks. */
static void test_model(void)
{
	enum inv_state st;
	const char *why;
	char long_name[80], long_text[300];

	for (unsigned i = 0; i < INV_STATE_COUNT; i++)
		CHECK(inv_state_parse(inv_state_name((enum inv_state)i), &st) && st == i);
	CHECK(inv_state_name(INV_STATE_COUNT) == NULL);
	CHECK(!inv_state_parse("Active", &st));
	CHECK(inv_valid_name("laptop-1.alice_2", &why));
	CHECK(!inv_valid_name("", &why));
	CHECK(!inv_valid_name("-x", &why) && strstr(why, "'-'"));
	CHECK(!inv_valid_name(".x", &why));
	CHECK(!inv_valid_name("a b", &why));
	CHECK(!inv_valid_name("a/b", &why));
	memset(long_name, 'a', sizeof(long_name));
	long_name[INV_NAME_MAX] = '\0';
	CHECK(inv_valid_name(long_name, &why));
	long_name[INV_NAME_MAX] = 'a';
	long_name[INV_NAME_MAX + 1] = '\0';
	CHECK(!inv_valid_name(long_name, &why));
	CHECK(inv_valid_text("", &why) && inv_valid_text("Alice Smith <a@x.org> \xc3\xa9", &why));
	CHECK(!inv_valid_text("a\nb", &why) && !inv_valid_text("\x1b[31m", &why));
	CHECK(!inv_valid_text("a\x7f", &why));
	memset(long_text, 'a', sizeof(long_text));
	long_text[INV_TEXT_MAX + 1] = '\0';
	CHECK(!inv_valid_text(long_text, &why));
}

/* Nothing of the inventory made: no file, no directory; on PostgreSQL no
 * table in the database. */
static bool nothing_made(void)
{
	struct stat sb;

	if (fx_pg)
		return fx_pg_number(fx_db, "SELECT count(*) FROM pg_tables"
				    " WHERE schemaname = current_schema()") == 0;
	return stat(fx_sub, &sb) < 0 && errno == ENOENT;
}

/* Something there that the backend cannot open: a directory where the
 * file should be; a database that does not exist.  An error, not
 * "no inventory". */
static void readonly_unopenable(void)
{
	struct inv_store *s = NULL;
	char other[1024];
	int r;

	if (fx_pg)
		fx_pg_uri("rampart_none", other, sizeof(other));
	else
		snprintf(other, sizeof(other), "%s/dir.db", fx_sub);
	CHECK(fx_pg || mkdir(other, 0700) == 0);
	r = inv_store_open_readonly(other, &s, &err);
	CHECK_MSG(r < 0 && r != -ENOENT && !s, "%d", r);
	if (!fx_pg)
		rmdir(other);
}

/* 9: the read-only open: a missing inventory is -ENOENT and stays
 * missing, an existing one is read and never written, and a database of
 * another schema is refused. */
static void test_readonly(void)
{
	struct inv_interface ifc, got;
	struct inv_store *s = NULL;
	char msg[512];
	bool found;

	setup();
	CHECK(inv_store_open_readonly(fx_db, &s, &err) == -ENOENT && !s);
	CHECK(strstr(err.msg, fx_db) != NULL);
	CHECK(nothing_made());
	s = open_store();
	iface(&ifc, "wg0", "10.0.0.0/24");
	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->put_interface(s, &ifc, &err) == 0);
	CHECK(inv_store_commit(s, &err) == 0);
	inv_store_close(s);
	s = NULL;
	CHECK_MSG(inv_store_open_readonly(fx_db, &s, &err) == 0 && s, "%s", err.msg);
	if (s) {
		CHECK(inv_store_begin(s, false, &err) == 0);
		CHECK(s->ops->get_interface(s, "wg0", &got, &found, &err) == 0 && found);
		ifc.full_tunnel = true;
		CHECK(s->ops->put_interface(s, &ifc, &err) == -EACCES);
		inv_store_rollback(s);
		inv_store_close(s);
	}
	CHECK(fx_raw("PRAGMA user_version=99", "UPDATE schema_version SET version=99", msg,
		     sizeof(msg)));
	s = NULL;
	CHECK(inv_store_open_readonly(fx_db, &s, &err) == -EPROTO && !s);
	CHECK(strstr(err.msg, "99") != NULL);
	readonly_unopenable();
	teardown();
}

/* ---- retries --------------------------------------------------------- */

/* A store that forwards to a real one and loses its first `losses`
 * commits to a "concurrent transaction" (-EAGAIN), as PostgreSQL's
 * serialization failures do. */
struct flaky {
	struct inv_store base;
	struct inv_store *real;
	int losses, begins;
};

static struct inv_store *real_of(struct inv_store *s)
{
	return ((struct flaky *)s)->real;
}

static int flaky_begin(struct inv_store *s, bool write, struct error *e)
{
	((struct flaky *)s)->begins++;
	return inv_store_begin(real_of(s), write, e);
}

static int flaky_commit(struct inv_store *s, struct error *e)
{
	struct flaky *f = (struct flaky *)s;

	if (f->losses > 0) {
		f->losses--;
		inv_store_rollback(f->real);
		return error_fail(e, -EAGAIN, "flaky: lost to a concurrent transaction");
	}
	return inv_store_commit(f->real, e);
}

static void flaky_rollback(struct inv_store *s)
{
	inv_store_rollback(real_of(s));
}

#define FORWARD(op, ...) return real_of(s)->ops->op(real_of(s), __VA_ARGS__)
static int flaky_get_interface(struct inv_store *s, const char *name, struct inv_interface *o,
			       bool *found, struct error *e)
{
	FORWARD(get_interface, name, o, found, e);
}
static int flaky_put_interface(struct inv_store *s, const struct inv_interface *i,
			       struct error *e)
{
	FORWARD(put_interface, i, e);
}
static int flaky_list_interfaces(struct inv_store *s, char ***names, size_t *n, struct error *e)
{
	FORWARD(list_interfaces, names, n, e);
}
static int flaky_list_peers(struct inv_store *s, const char *iface, struct inv_peer **o,
			    size_t *n, struct error *e)
{
	FORWARD(list_peers, iface, o, n, e);
}
static int flaky_find_peer(struct inv_store *s, const char *iface, const char *name,
			   struct inv_peer *o, bool *found, struct error *e)
{
	FORWARD(find_peer, iface, name, o, found, e);
}
static int flaky_find_key(struct inv_store *s, const uint8_t k[KEY_LEN], struct inv_peer *o,
			  bool *found, struct error *e)
{
	FORWARD(find_key, k, o, found, e);
}
static int flaky_insert_peer(struct inv_store *s, struct inv_peer *p, struct error *e)
{
	FORWARD(insert_peer, p, e);
}
static int flaky_update_peer(struct inv_store *s, const struct inv_peer *p, struct error *e)
{
	FORWARD(update_peer, p, e);
}
static int flaky_append_log(struct inv_store *s, struct inv_log_entry *l, struct error *e)
{
	FORWARD(append_log, l, e);
}
static int flaky_list_log(struct inv_store *s, const char *iface, const char *peer,
			  struct inv_log_entry **o, size_t *n, struct error *e)
{
	FORWARD(list_log, iface, peer, o, n, e);
}
static int flaky_list_peer_set(struct inv_store *s, enum inv_peer_set set, const char *name,
			       struct inv_peer **o, size_t *n, struct error *e)
{
	FORWARD(list_peer_set, set, name, o, n, e);
}
static int flaky_list_space(struct inv_store *s, const char *space, char ***names, size_t *n,
			    struct error *e)
{
	FORWARD(list_space, space, names, n, e);
}
static int flaky_assign(struct inv_store *s, int64_t peer, const char *hub, struct error *e)
{
	FORWARD(assign, peer, hub, e);
}
static int flaky_unassign(struct inv_store *s, int64_t peer, const char *hub, struct error *e)
{
	FORWARD(unassign, peer, hub, e);
}
static int flaky_put_seen(struct inv_store *s, const struct inv_seen *seen, struct error *e)
{
	FORWARD(put_seen, seen, e);
}
static int flaky_list_seen(struct inv_store *s, const char *hub, int64_t peer,
			   struct inv_seen **o, size_t *n, struct error *e)
{
	FORWARD(list_seen, hub, peer, o, n, e);
}
#undef FORWARD

static const struct inv_store_ops flaky_ops = {
	.name = "flaky",
	.begin = flaky_begin,
	.commit = flaky_commit,
	.rollback = flaky_rollback,
	.get_interface = flaky_get_interface,
	.put_interface = flaky_put_interface,
	.list_interfaces = flaky_list_interfaces,
	.list_peers = flaky_list_peers,
	.find_peer = flaky_find_peer,
	.find_key = flaky_find_key,
	.insert_peer = flaky_insert_peer,
	.update_peer = flaky_update_peer,
	.append_log = flaky_append_log,
	.list_log = flaky_list_log,
	.list_peer_set = flaky_list_peer_set,
	.list_space = flaky_list_space,
	.assign = flaky_assign,
	.unassign = flaky_unassign,
	.put_seen = flaky_put_seen,
	.list_seen = flaky_list_seen,
};

/* 10: an operation whose commit loses runs its whole transaction again
 * (a fresh allocation, one log line), up to INV_TX_TRIES times; then it
 * fails with -EAGAIN and has changed nothing. */
static void test_retries(void)
{
	struct inv_store *real;
	struct inv_peer p, *v;
	struct inv_ctx c;
	struct flaky f = { { &flaky_ops }, NULL, 3, 0 };
	size_t n;

	real = start(&c, "10.0.0.0/24");
	f.real = real;
	c.store = &f.base;
	peer(&p, "wg0", "laptop", 1);
	CHECK_MSG(inv_add(&c, &p, true, &err) == 0, "%s", err.msg);
	CHECK(f.begins == 4 && p.n_addrs == 1);
	f.losses = INV_TX_TRIES;
	f.begins = 0;
	peer(&p, "wg0", "phone", 2);
	CHECK(inv_add(&c, &p, true, &err) == -EAGAIN && f.begins == INV_TX_TRIES);
	CHECK_MSG(strstr(err.msg, "gave up after 20 tries") && strstr(err.msg, "flaky"), "%s",
		  err.msg);
	c.store = real;
	CHECK(inv_list(&c, "wg0", &v, &n, &err) == 0 && n == 1);
	CHECK(n == 1 && !strcmp(v[0].name, "laptop"));
	free(v);
	CHECK(log_count(real, "add") == 1);
	/* A refusal is not a loss: no second try. */
	f.losses = 1;
	f.begins = 0;
	c.store = &f.base;
	peer(&p, "wg0", "laptop", 3);
	CHECK(inv_add(&c, &p, true, &err) == -EEXIST && f.begins == 1);
	inv_store_close(real);
	teardown();
}

/* ---- PostgreSQL: what only a server with concurrent sessions shows --- */

/* 11: two hubs allocate at the same instant: the one whose snapshot
 * predates the other's commit cannot take the same address (-EAGAIN, not
 * a second 10.0.0.2), and the operation run again takes the next. */
static void test_pg_address_race(void)
{
	struct inv_store *s, *t;
	struct inv_ctx c, d;
	struct inv_interface ifc;
	struct inv_peer p, q, *v;
	bool found;
	size_t n;
	int r;

	s = start(&c, "10.0.0.0/24");
	t = open_store();
	d = ctx(t, 1000);
	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->get_interface(s, "wg0", &ifc, &found, &err) == 0 && found);
	peer(&q, "wg0", "phone", 2);
	CHECK_MSG(inv_add(&d, &q, true, &err) == 0, "%s", err.msg);
	CHECK(q.n_addrs == 1 && addr_is(&q.addrs[0], "10.0.0.2/32"));
	peer(&p, "wg0", "laptop", 1);
	prefix(&p.addrs[0], "10.0.0.2/32"); /* what s's snapshot shows free */
	p.n_addrs = 1;
	r = s->ops->insert_peer(s, &p, &err);
	CHECK_MSG(r == -EAGAIN, "%d %s", r, err.msg);
	inv_store_rollback(s);
	peer(&p, "wg0", "laptop", 1);
	CHECK_MSG(inv_add(&c, &p, true, &err) == 0, "%s", err.msg);
	CHECK(p.n_addrs == 1 && addr_is(&p.addrs[0], "10.0.0.3/32"));
	CHECK(inv_list(&c, "wg0", &v, &n, &err) == 0 && n == 2);
	free(v);
	inv_store_close(t);
	inv_store_close(s);
	teardown();
}

/* 12: two write transactions that read what the other writes: the first
 * to commit wins, the other's COMMIT is a serialization failure,
 * -EAGAIN, and its peer is not there. */
static void test_pg_commit_lost(void)
{
	struct inv_store *s, *t;
	struct inv_ctx c;
	struct inv_peer p, q, *v;
	size_t n;
	int r;

	s = start(&c, "10.0.0.0/24");
	t = open_store();
	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->list_peers(s, "wg0", &v, &n, &err) == 0 && n == 0);
	free(v);
	CHECK(inv_store_begin(t, true, &err) == 0);
	CHECK(t->ops->list_peers(t, "wg0", &v, &n, &err) == 0 && n == 0);
	free(v);
	peer(&p, "wg0", "laptop", 1);
	prefix(&p.addrs[0], "10.0.0.2/32");
	p.n_addrs = 1;
	CHECK_MSG(s->ops->insert_peer(s, &p, &err) == 0, "%s", err.msg);
	peer(&q, "wg0", "phone", 2);
	prefix(&q.addrs[0], "10.0.0.3/32");
	q.n_addrs = 1;
	CHECK_MSG(t->ops->insert_peer(t, &q, &err) == 0, "%s", err.msg);
	CHECK_MSG(inv_store_commit(s, &err) == 0, "%s", err.msg);
	r = inv_store_commit(t, &err);
	CHECK_MSG(r == -EAGAIN && strstr(err.msg, "serialize"), "%d %s", r, err.msg);
	inv_store_rollback(t);
	CHECK(inv_list(&c, "wg0", &v, &n, &err) == 0 && n == 1);
	CHECK(n == 1 && !strcmp(v[0].name, "laptop"));
	free(v);
	inv_store_close(t);
	inv_store_close(s);
	teardown();
}

/* s inserts p after t committed a peer with p's name or key that s's
 * snapshot does not show: -EEXIST saying what, or -EAGAIN (the server
 * saw the read it conflicts with); run again, the operation refuses it
 * naming the other peer. */
static void lost_unique(struct inv_store *s, struct inv_ctx *c, struct inv_store *t,
			struct inv_peer *p, const char *what, const char *again)
{
	struct inv_ctx d = ctx(t, 1000);
	struct inv_interface ifc;
	struct inv_peer q = *p;
	bool found;
	int r;

	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->get_interface(s, "wg0", &ifc, &found, &err) == 0);
	CHECK_MSG(inv_add(&d, &q, true, &err) == 0, "%s", err.msg);
	snprintf(p->name, sizeof(p->name), "%s", !strcmp(what, "its key") ? "other" : q.name);
	r = s->ops->insert_peer(s, p, &err);
	CHECK_MSG(r == -EAGAIN || (r == -EEXIST && strstr(err.msg, what)), "%d %s", r, err.msg);
	inv_store_rollback(s);
	r = inv_add(c, p, true, &err);
	CHECK_MSG(r == -EEXIST && strstr(err.msg, again), "%d %s", r, err.msg);
}

/* 13: a name or a key that a concurrent transaction took stays -EEXIST,
 * named, never a second peer. */
static void test_pg_unique_race(void)
{
	struct inv_store *s, *t;
	struct inv_ctx c;
	struct inv_peer p, *v;
	size_t n;

	s = start(&c, "10.0.0.0/24");
	t = open_store();
	peer(&p, "wg0", "laptop", 1);
	lost_unique(s, &c, t, &p, "laptop is taken", "the name laptop is taken");
	peer(&p, "wg0", "phone", 2);
	lost_unique(s, &c, t, &p, "its key", "already peer phone's");
	CHECK(inv_list(&c, "wg0", &v, &n, &err) == 0 && n == 2);
	free(v);
	inv_store_close(t);
	inv_store_close(s);
	teardown();
}

/* 14: hubs opening a fresh database at once: every one succeeds, and the
 * schema is there once, at its version (the migration waits for the
 * advisory lock, then finds it made).  Rounds of OPENERS processes,
 * released together. */
static void test_pg_migration_race(void)
{
	enum { ROUNDS = 3, OPENERS = 4 };

	for (int round = 0; round < ROUNDS; round++) {
		int gate[2], ok = 0, status;
		pid_t pids[OPENERS];

		setup();
		CHECK(pipe(gate) == 0);
		for (int i = 0; i < OPENERS; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				struct inv_store *s = NULL;
				char b;

				close(gate[1]);
				/* Until the parent closes the gate: EOF for all. */
				(void)!read(gate[0], &b, 1);
				if (inv_store_open(fx_db, &s, &err)) {
					fprintf(stderr, "  opener %d: %s\n", i, err.msg);
					_exit(1);
				}
				_exit(0);
			}
		}
		close(gate[0]);
		close(gate[1]);
		for (int i = 0; i < OPENERS; i++)
			ok += pids[i] > 0 && waitpid(pids[i], &status, 0) == pids[i] &&
			      WIFEXITED(status) && WEXITSTATUS(status) == 0;
		CHECK_MSG(ok == OPENERS, "round %d: %d of %d opened", round, ok, OPENERS);
		CHECK(fx_pg_number(fx_db, "SELECT count(*) FROM schema_version") == 1);
		CHECK(fx_version_is(2));
		CHECK(fx_pg_number(fx_db, "SELECT count(*) FROM pg_tables WHERE schemaname ="
				   " current_schema()") == 9);
		teardown();
	}
}

/* Whether opening db fails, and its message names the database but not
 * secret. */
static bool refused_quietly(const char *db, const char *secret, const char *names)
{
	struct inv_store *s = NULL;
	int r = inv_store_open(db, &s, &err), q;
	bool quiet = r < 0 && !strstr(err.msg, secret) && strstr(err.msg, names);

	CHECK_MSG(quiet, "%d %s", r, err.msg);
	q = inv_store_open_readonly(db, &s, &err);
	return quiet && q < 0 && !strstr(err.msg, secret) && strstr(err.msg, names);
}

/* 15: a password in the connection string is in no message: a database
 * that is not there, in a URI's user part, as its password= parameter,
 * in key=value settings, in a string libpq cannot read; nor in a store
 * error once connected (trust authentication ignores it). */
static void test_pg_password_hidden(void)
{
	static const char secret[] = "Hunter2s3cret";
	PQconninfoOption *o = PQconninfoParse(fx_pg, NULL);
	const char *host = "", *user = "";
	char db[1200];
	struct inv_store *s = NULL;
	struct inv_ctx c;
	struct inv_peer p;

	for (PQconninfoOption *i = o; i && i->keyword; i++) {
		if (i->val && !strcmp(i->keyword, "host"))
			host = i->val;
		if (i->val && !strcmp(i->keyword, "user"))
			user = i->val;
	}
	snprintf(db, sizeof(db), "postgresql://%s:%s@/rampart_none?host=%s", user, secret, host);
	CHECK(refused_quietly(db, secret, "postgresql://"));
	CHECK(refused_quietly(db, secret, "rampart_none"));
	snprintf(db, sizeof(db), "postgresql://%s@/rampart_none?host=%s&password=%s", user, host,
		 secret);
	CHECK(refused_quietly(db, secret, "rampart_none"));
	snprintf(db, sizeof(db), "host=%s user=%s password='%s' dbname=rampart_none", host, user,
		 secret);
	CHECK(refused_quietly(db, secret, "dbname=rampart_none"));
	snprintf(db, sizeof(db), "postgresql://%s:%s@/rampart_none?password", user, secret);
	CHECK(refused_quietly(db, secret, "cannot read"));
	/* Connected, with the password given: a refusal names the store. */
	s = start(&c, "10.0.0.0/24");
	inv_store_close(s);
	snprintf(db, sizeof(db), "%s&password=%s", fx_db, secret);
	CHECK_MSG(inv_store_open(db, &s, &err) == 0, "%s", err.msg);
	c.store = s;
	peer(&p, "wg0", "laptop", 1);
	CHECK(inv_add(&c, &p, true, &err) == 0);
	CHECK(inv_add(&c, &p, true, &err) == -EEXIST && strstr(err.msg, fx_name) &&
	      !strstr(err.msg, secret));
	inv_store_close(s);
	PQconninfoFree(o);
	teardown();
}

#define PG_CASES                                                                           \
	{ "pg: an address a concurrent transaction took is -EAGAIN; run again, the next one", \
	  test_pg_address_race },                                                          \
	{ "pg: of two writes that read each other's tables, the second COMMIT is -EAGAIN",  \
	  test_pg_commit_lost },                                                           \
	{ "pg: a name or key a concurrent transaction took stays refused, named",          \
	  test_pg_unique_race },                                                           \
	{ "pg: hubs opening a fresh database at once all succeed; one schema",             \
	  test_pg_migration_race },                                                        \
	{ "pg: a password in the connection string is in no message",                      \
	  test_pg_password_hidden }

static const struct harness_case cases[] = {
	{ "store: file 0600 and directory 0700; a looser file tightened", test_modes },
	{ "store: open, migrate, reopen; a newer schema refused", test_reopen },
	{ "store: peer ops and uniqueness", test_peers },
	{ "store: the change log is append-only", test_log },
	{ "inventory: the operations and their refusals", test_operations },
	{ "inventory: expiry on a fake clock", test_expiry },
	{ "inventory: an exhausted pool", test_exhausted },
	{ "model: states, names and text", test_model },
	{ "store: the read-only open creates nothing and writes nothing", test_readonly },
	{ "inventory: a transaction that loses runs again, up to 20 times", test_retries },
};

/* The same cases where the semantics are the same (not the file modes,
 * not the model), then PostgreSQL's own. */
static const struct harness_case pg_cases[] = {
	{ "pg store: open, migrate, reopen; a newer schema refused", test_reopen },
	{ "pg store: peer ops and uniqueness", test_peers },
	{ "pg store: the change log is append-only", test_log },
	{ "pg inventory: the operations and their refusals", test_operations },
	{ "pg inventory: expiry on a fake clock", test_expiry },
	{ "pg inventory: an exhausted pool", test_exhausted },
	{ "pg store: the read-only open creates nothing and writes nothing", test_readonly },
	{ "pg inventory: a transaction that loses runs again, up to 20 times", test_retries },
	PG_CASES
};

int main(int argc, char *argv[])
{
	return fx_main(cases, ARRAY_SIZE(cases), pg_cases, ARRAY_SIZE(pg_cases), argc, argv);
}
