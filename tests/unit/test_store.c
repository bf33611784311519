/* inventory/store_sqlite and inventory/inventory: open, migrate and
 * reopen a database in a throw-away directory; every store op and every
 * operation on a fake clock; the uniqueness the database enforces; the
 * change log that refuses changes; the modes of the file and directory. */
#include "harness.h"

#include "inventory/inventory.h"
#include "inventory/store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], sub[96], path[128];
static struct error err;

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/rampart-store-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(sub, sizeof(sub), "%s/lib", dir);
	snprintf(path, sizeof(path), "%s/inventory.db", sub);
	error_clear(&err);
}

static void teardown(void)
{
	char f[160];

	for (const char *ext = ""; ext; ext = !*ext ? "-wal" : !strcmp(ext, "-wal") ? "-shm" : NULL) {
		snprintf(f, sizeof(f), "%s%s", path, ext);
		unlink(f);
	}
	rmdir(sub);
	rmdir(dir);
}

static struct inv_store *open_store(void)
{
	struct inv_store *s = NULL;
	int r = inv_store_open_sqlite(path, &s, &err);

	CHECK_MSG(r == 0, "open: %d %s", r, err.msg);
	return s;
}

static void key(uint8_t k[KEY_LEN], uint8_t seed)
{
	memset(k, seed, KEY_LEN);
}

static void prefix(struct netaddr_prefix *p, const char *s)
{
	const char *why;

	CHECK(netaddr_parse_prefix(p, s, &why));
}

static void iface(struct inv_interface *ifc, const char *name, const char *pool)
{
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	snprintf(ifc->endpoint, sizeof(ifc->endpoint), "vpn.example.org:51820");
	prefix(&ifc->pools[0], pool);
	ifc->n_pools = 1;
}

static void peer(struct inv_peer *p, const char *ifname, const char *name, uint8_t seed)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->iface, sizeof(p->iface), "%s", ifname);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->owner, sizeof(p->owner), "alice");
	key(p->public_key, seed);
}

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
	CHECK(stat(sub, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	inv_store_close(s);
	/* A file someone made readable is made ours alone again at open. */
	CHECK(chmod(path, 0644) == 0);
	s = open_store();
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	inv_store_close(s);
	teardown();
}

/* 2: open, migrate, reopen: the schema version stays and the data too. */
static void test_reopen(void)
{
	struct inv_interface ifc, got;
	struct inv_store *s;
	sqlite3 *db;
	sqlite3_stmt *q;
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
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) == 1);
	sqlite3_finalize(q);
	CHECK(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL) == SQLITE_OK);
	CHECK(sqlite3_step(q) == SQLITE_ROW &&
	      !strcmp((const char *)sqlite3_column_text(q, 0), "wal"));
	sqlite3_finalize(q);
	/* A newer schema than ours is refused, not guessed at. */
	CHECK(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(inv_store_open_sqlite(path, &s, &err) == -EPROTO);
	CHECK(strstr(err.msg, path) != NULL);
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

/* 4: the change log appends and refuses UPDATE and DELETE. */
static void test_log(void)
{
	struct inv_log_entry e = { .at = 5, .who = "alice", .iface = "wg0", .peer = "p",
				   .action = "add", .detail = "x" }, *v;
	struct inv_store *s;
	sqlite3 *db;
	char *msg = NULL;
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
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "UPDATE change_log SET who='eve'", NULL, NULL, &msg) != SQLITE_OK);
	CHECK(msg && strstr(msg, "append-only"));
	sqlite3_free(msg);
	CHECK(sqlite3_exec(db, "DELETE FROM change_log", NULL, NULL, NULL) != SQLITE_OK);
	sqlite3_close(db);
	teardown();
}

static struct inv_ctx ctx(struct inv_store *s, int64_t now)
{
	struct inv_ctx c = { s, "alice", now };

	return c;
}

static size_t log_count(struct inv_store *s, const char *action)
{
	struct inv_ctx c = ctx(s, 0);
	struct inv_log_entry *v;
	size_t n, k = 0;

	CHECK(inv_log(&c, NULL, NULL, &v, &n, &err) == 0);
	for (size_t i = 0; i < n; i++)
		k += !strcmp(v[i].action, action);
	free(v);
	return k;
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

/* A fresh store with interface wg0 of pool, on a clock at 1000. */
static struct inv_store *start(struct inv_ctx *c, const char *pool)
{
	struct inv_interface ifc;
	struct inv_store *s;

	setup();
	s = open_store();
	*c = ctx(s, 1000);
	iface(&ifc, "wg0", pool);
	CHECK(inv_init(c, &ifc, &err) == 0);
	return s;
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

/* 9: the read-only open: a missing file is -ENOENT and stays missing (no
 * directory either), an existing one is read and never written, and a
 * database of another schema is refused. */
static void test_readonly(void)
{
	struct inv_interface ifc, got;
	struct inv_store *s = NULL;
	char other[160];
	struct stat sb;
	sqlite3 *db;
	bool found;
	int r;

	setup();
	CHECK(inv_store_open_sqlite_readonly(path, &s, &err) == -ENOENT && !s);
	CHECK(strstr(err.msg, path) != NULL);
	CHECK(stat(sub, &sb) < 0 && errno == ENOENT);
	s = open_store();
	iface(&ifc, "wg0", "10.0.0.0/24");
	CHECK(inv_store_begin(s, true, &err) == 0);
	CHECK(s->ops->put_interface(s, &ifc, &err) == 0);
	CHECK(inv_store_commit(s, &err) == 0);
	inv_store_close(s);
	s = NULL;
	CHECK_MSG(inv_store_open_sqlite_readonly(path, &s, &err) == 0 && s, "%s", err.msg);
	if (s) {
		CHECK(inv_store_begin(s, false, &err) == 0);
		CHECK(s->ops->get_interface(s, "wg0", &got, &found, &err) == 0 && found);
		ifc.full_tunnel = true;
		CHECK(s->ops->put_interface(s, &ifc, &err) == -EACCES);
		inv_store_rollback(s);
		inv_store_close(s);
	}
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	s = NULL;
	CHECK(inv_store_open_sqlite_readonly(path, &s, &err) == -EPROTO && !s);
	CHECK(strstr(err.msg, "99") != NULL);
	/* Something there that SQLite cannot open is an error, not "none". */
	snprintf(other, sizeof(other), "%s/dir.db", sub);
	CHECK(mkdir(other, 0700) == 0);
	r = inv_store_open_sqlite_readonly(other, &s, &err);
	CHECK_MSG(r < 0 && r != -ENOENT && !s, "%d", r);
	rmdir(other);
	teardown();
}

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
};

HARNESS_MAIN(cases)
