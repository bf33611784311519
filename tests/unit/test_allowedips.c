/* The allowed-IPs table: the Linux module's hand-written self-test cases
 * (drivers/net/wireguard/selftest/allowedips.c) as data tables, edge
 * cases, and a randomized differential test against a deliberately naive
 * model (flat arrays scanned linearly) with thousands of peers. */
#include "harness.h"

#include "proto/allowedips.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- helpers ------------------------------------------------------------ */

struct tpeer {
	struct allowedips_peer_list list;
	int id;
};

/* "addr" or "addr/len" (len may exceed the family's width, for the
 * rejection cases); the length defaults to the full width. */
static void parse(const char *s, int *family, uint8_t addr[16], uint8_t *cidr)
{
	char buf[64];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	memset(addr, 0, 16);
	*family = strchr(buf, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(*family, buf, addr) != 1) {
		CHECK_MSG(false, "bad test address %s", s);
		return;
	}
	*cidr = slash ? (uint8_t)atoi(slash + 1) : (*family == AF_INET ? 32 : 128);
}

static int insert_str(struct allowedips *t, struct tpeer *p, const char *s,
		      void **moved)
{
	uint8_t addr[16], cidr = 0;
	int family = 0;

	parse(s, &family, addr, &cidr);
	return allowedips_insert(t, family, addr, cidr, p ? &p->list : NULL, moved);
}

static int remove_str(struct allowedips *t, struct tpeer *p, const char *s)
{
	uint8_t addr[16], cidr = 0;
	int family = 0;

	parse(s, &family, addr, &cidr);
	return allowedips_remove(t, family, addr, cidr, p ? &p->list : NULL);
}

static void *lookup_str(struct allowedips *t, const char *s)
{
	uint8_t addr[16], cidr;
	int family = 0;

	parse(s, &family, addr, &cidr);
	return allowedips_lookup(t, family, addr);
}

static struct allowedips_usage usage(const struct allowedips *t)
{
	struct allowedips_usage u;

	allowedips_measure(t, &u);
	return u;
}

/* Collects a walk as "addr/cidr" strings. */
struct collected {
	char s[64][64];
	int n;
};

static int collect(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct collected *c = arg;
	char ip[INET6_ADDRSTRLEN];

	if (c->n == 64)
		return -1;
	inet_ntop(family, addr, ip, sizeof(ip));
	snprintf(c->s[c->n++], sizeof(c->s[0]), "%s/%u", ip, cidr);
	return 0;
}

/* --- the kernel's self-test, as one table ------------------------------ */

enum op { INSERT, REMOVE, REMOVE_PEER, LOOKUP, LOOKUP_NOT, RESET };

/* peer is a letter 'a'..'h', or 0 for none (a NULL list, or "no peer" as
 * a lookup result).  For INSERT, moved is the peer the prefix must have
 * moved from (0: none); for REMOVE, ret is the expected result. */
struct step {
	enum op op;
	char peer;
	const char *ip;
	int ret;
	char moved;
};

static const struct step kernel_steps[] = {
	{ INSERT, 'a', "192.168.4.0/24", 0, 0 },
	{ INSERT, 'b', "192.168.4.4/32", 0, 0 },
	{ INSERT, 'c', "192.168.0.0/16", 0, 0 },
	{ INSERT, 'd', "192.95.5.64/27", 0, 0 },
	/* moves the previous entry; host bits are masked */
	{ INSERT, 'c', "192.95.5.65/27", 0, 'd' },
	{ INSERT, 'd', "2607:5300:6000:6b00::c05f:543/128", 0, 0 },
	{ INSERT, 'c', "2607:5300:6000:6b00::/64", 0, 0 },
	{ INSERT, 'e', "0.0.0.0/0", 0, 0 },
	{ INSERT, 'e', "::/0", 0, 0 },
	{ INSERT, 'f', "::/0", 0, 'e' },
	{ INSERT, 'g', "2404:6800::/32", 0, 0 },
	{ INSERT, 'h', "2404:6800:4004:800:dead:beef:dead:beef/64", 0, 0 },
	{ INSERT, 'a', "2404:6800:4004:800:dead:beef:dead:beef/128", 0, 0 },
	{ INSERT, 'c', "2444:6800:40e4:800:deae:beef:def:beef/128", 0, 0 },
	{ INSERT, 'b', "2444:6800:f0e4:800:eeae:beef::/98", 0, 0 },
	{ INSERT, 'g', "64.15.112.0/20", 0, 0 },
	{ INSERT, 'h', "64.15.123.211/25", 0, 0 },
	{ INSERT, 'a', "10.0.0.0/25", 0, 0 },
	{ INSERT, 'b', "10.0.0.128/25", 0, 0 },
	{ INSERT, 'a', "10.1.0.0/30", 0, 0 },
	{ INSERT, 'b', "10.1.0.4/30", 0, 0 },
	{ INSERT, 'c', "10.1.0.8/29", 0, 0 },
	{ INSERT, 'd', "10.1.0.16/29", 0, 0 },

	{ LOOKUP, 'a', "192.168.4.20", 0, 0 },
	{ LOOKUP, 'a', "192.168.4.0", 0, 0 },
	{ LOOKUP, 'b', "192.168.4.4", 0, 0 },
	{ LOOKUP, 'c', "192.168.200.182", 0, 0 },
	{ LOOKUP, 'c', "192.95.5.68", 0, 0 },
	{ LOOKUP, 'e', "192.95.5.96", 0, 0 },
	{ LOOKUP, 'd', "2607:5300:6000:6b00::c05f:543", 0, 0 },
	{ LOOKUP, 'c', "2607:5300:6000:6b00::c02e:1ee", 0, 0 },
	{ LOOKUP, 'f', "2607:5300:6000:6b01::", 0, 0 },
	{ LOOKUP, 'g', "2404:6800:4004:806::1006", 0, 0 },
	{ LOOKUP, 'g', "2404:6800:4004:806:0:1234:0:5678", 0, 0 },
	{ LOOKUP, 'f', "2404:67ff:4004:806:0:1234:0:5678", 0, 0 },
	{ LOOKUP, 'f', "2404:6801:4004:806:0:1234:0:5678", 0, 0 },
	{ LOOKUP, 'h', "2404:6800:4004:800:0:1234:0:5678", 0, 0 },
	{ LOOKUP, 'h', "2404:6800:4004:800::", 0, 0 },
	{ LOOKUP, 'h', "2404:6800:4004:800:1010:1010:1010:1010", 0, 0 },
	{ LOOKUP, 'a', "2404:6800:4004:800:dead:beef:dead:beef", 0, 0 },
	{ LOOKUP, 'g', "64.15.116.26", 0, 0 },
	{ LOOKUP, 'g', "64.15.127.3", 0, 0 },
	{ LOOKUP, 'g', "64.15.123.1", 0, 0 },
	{ LOOKUP, 'h', "64.15.123.128", 0, 0 },
	{ LOOKUP, 'h', "64.15.123.129", 0, 0 },
	{ LOOKUP, 'a', "10.0.0.52", 0, 0 },
	{ LOOKUP, 'b', "10.0.0.220", 0, 0 },
	{ LOOKUP, 'a', "10.1.0.2", 0, 0 },
	{ LOOKUP, 'b', "10.1.0.6", 0, 0 },
	{ LOOKUP, 'c', "10.1.0.10", 0, 0 },
	{ LOOKUP, 'd', "10.1.0.20", 0, 0 },

	/* remove by peer */
	{ INSERT, 'a', "1.0.0.0/32", 0, 0 },
	{ INSERT, 'a', "64.0.0.0/32", 0, 0 },
	{ INSERT, 'a', "128.0.0.0/32", 0, 0 },
	{ INSERT, 'a', "192.0.0.0/32", 0, 0 },
	{ INSERT, 'a', "255.0.0.0/32", 0, 0 },
	{ REMOVE_PEER, 'a', NULL, 0, 0 },
	{ LOOKUP_NOT, 'a', "1.0.0.0", 0, 0 },
	{ LOOKUP_NOT, 'a', "64.0.0.0", 0, 0 },
	{ LOOKUP_NOT, 'a', "128.0.0.0", 0, 0 },
	{ LOOKUP_NOT, 'a', "192.0.0.0", 0, 0 },
	{ LOOKUP_NOT, 'a', "255.0.0.0", 0, 0 },

	/* remove one prefix (the kernel returns 0 where Rampart says
	 * -ENOENT or -EINVAL, and changes nothing either way) */
	{ INSERT, 'a', "1.0.0.0/32", 0, 0 },
	{ INSERT, 'a', "192.0.0.0/24", 0, 0 },
	{ INSERT, 'a', "2444:6801:40e4:800:deae:beef:def:beef/128", 0, 0 },
	{ INSERT, 'a', "2444:6800:f0e4:800:eeae:beef::/98", 0, 'b' },
	{ LOOKUP, 'a', "1.0.0.0", 0, 0 },
	{ LOOKUP, 'a', "192.0.0.1", 0, 0 },
	{ LOOKUP, 'a', "2444:6801:40e4:800:deae:beef:def:beef", 0, 0 },
	{ LOOKUP, 'a', "2444:6800:f0e4:800:eeae:beef:1010:1010", 0, 0 },
	/* must be an exact match */
	{ REMOVE, 'a', "192.0.0.0/32", -ENOENT, 0 },
	{ LOOKUP, 'a', "192.0.0.1", 0, 0 },
	{ REMOVE, 0, "192.0.0.0/24", -EINVAL, 0 },
	{ LOOKUP, 'a', "192.0.0.1", 0, 0 },
	/* another peer's prefix */
	{ REMOVE, 'b', "192.0.0.0/24", -ENOENT, 0 },
	{ LOOKUP, 'a', "192.0.0.1", 0, 0 },
	{ REMOVE, 'b', "192.0.0.0/33", -EINVAL, 0 },
	{ LOOKUP, 'a', "192.0.0.1", 0, 0 },
	{ REMOVE, 'a', "192.0.0.0/24", 0, 0 },
	{ LOOKUP_NOT, 'a', "192.0.0.1", 0, 0 },
	{ REMOVE, 'a', "1.0.0.0/32", 0, 0 },
	{ LOOKUP_NOT, 'a', "1.0.0.0", 0, 0 },
	{ REMOVE, 'a', "2444:6801:40e4:800:deae:beef:def:beef/96", -ENOENT, 0 },
	{ LOOKUP, 'a', "2444:6801:40e4:800:deae:beef:def:beef", 0, 0 },
	{ REMOVE, 0, "2444:6801:40e4:800:deae:beef:def:beef/128", -EINVAL, 0 },
	{ LOOKUP, 'a', "2444:6801:40e4:800:deae:beef:def:beef", 0, 0 },
	{ REMOVE, 'b', "2444:6801:40e4:800:deae:beef:def:beef/128", -ENOENT, 0 },
	{ LOOKUP, 'a', "2444:6801:40e4:800:deae:beef:def:beef", 0, 0 },
	{ REMOVE, 'a', "2444:6801:40e4:800:deae:beef:def:beef/129", -EINVAL, 0 },
	{ LOOKUP, 'a', "2444:6801:40e4:800:deae:beef:def:beef", 0, 0 },
	{ REMOVE, 'a', "2444:6801:40e4:800:deae:beef:def:beef/128", 0, 0 },
	{ LOOKUP_NOT, 'a', "2444:6801:40e4:800:deae:beef:def:beef", 0, 0 },
	/* must be the holder */
	{ REMOVE, 'b', "2444:6800:f0e4:800:eeae:beef::/98", -ENOENT, 0 },
	{ LOOKUP, 'a', "2444:6800:f0e4:800:eeae:beef:1010:1010", 0, 0 },
	{ REMOVE, 'a', "2444:6800:f0e4:800:eeae:beef::/98", 0, 0 },
	{ LOOKUP_NOT, 'a', "2444:6800:f0e4:800:eeae:beef:1010:1010", 0, 0 },

	/* a prefix inside another of the same peer */
	{ RESET, 0, NULL, 0, 0 },
	{ INSERT, 'a', "192.168.0.0/16", 0, 0 },
	{ INSERT, 'a', "192.168.0.0/24", 0, 0 },
	{ REMOVE_PEER, 'a', NULL, 0, 0 },
	{ LOOKUP_NOT, 'a', "192.168.0.1", 0, 0 },
	{ LOOKUP, 0, "192.168.0.1", 0, 0 },
};

static void run_steps(const struct step *steps, size_t n)
{
	struct tpeer peers[8];
	struct allowedips t;
	void *moved, *want, *got;
	int ret;

	allowedips_init(&t);
	for (int i = 0; i < 8; i++) {
		peers[i].id = i;
		allowedips_peer_list_init(&peers[i].list, &peers[i]);
	}
#define PEER(c) ((c) ? &peers[(c) - 'a'] : NULL)
	for (size_t i = 0; i < n; i++) {
		const struct step *s = &steps[i];
		switch (s->op) {
		case INSERT:
			moved = (void *)1;
			ret = insert_str(&t, PEER(s->peer), s->ip, &moved);
			CHECK_MSG(ret == 0, "step %zu: insert %s: %d", i, s->ip, ret);
			CHECK_MSG(moved == (void *)PEER(s->moved),
				  "step %zu: insert %s: moved from %p", i, s->ip, moved);
			break;
		case REMOVE:
			ret = remove_str(&t, PEER(s->peer), s->ip);
			CHECK_MSG(ret == s->ret, "step %zu: remove %s: %d, want %d", i,
				  s->ip, ret, s->ret);
			break;
		case REMOVE_PEER:
			allowedips_remove_by_peer(&t, &PEER(s->peer)->list);
			CHECK_MSG(allowedips_peer_list_empty(&PEER(s->peer)->list),
				  "step %zu", i);
			break;
		case LOOKUP:
		case LOOKUP_NOT:
			want = PEER(s->peer);
			got = lookup_str(&t, s->ip);
			if (s->op == LOOKUP)
				CHECK_MSG(got == want, "step %zu: lookup %s: peer %d, want %c",
					  i, s->ip, got ? ((struct tpeer *)got)->id : -1,
					  s->peer ? s->peer : '-');
			else
				CHECK_MSG(got != want, "step %zu: lookup %s: still %c", i,
					  s->ip, s->peer);
			break;
		case RESET:
			allowedips_free(&t);
			for (int p = 0; p < 8; p++)
				CHECK(allowedips_peer_list_empty(&peers[p].list));
			break;
		}
		CHECK_MSG(allowedips_verify(&t), "step %zu: invariants", i);
	}
#undef PEER
	allowedips_free(&t);
	CHECK(usage(&t).nodes == 0 && usage(&t).bytes == 0);
}

static void test_kernel_selftest(void)
{
	run_steps(kernel_steps, ARRAY_SIZE(kernel_steps));
}

/* The module's walk case (wg_allowedips_read_node over a peer's list),
 * which also shows the masking; Rampart promises the insertion order. */
static void test_kernel_walk(void)
{
	static const char *const in[] = {
		"192.95.5.93/27",
		"2607:5300:6000:6b00::c05f:543/128",
		"10.1.0.20/29",
		"2607:5300:6d8a:6bf8:dab1:f1df:c05f:1523/83",
		"2607:5300:6d8a:6bf8:dab1:f1df:c05f:1523/21",
	};
	static const char *const want[] = {
		"192.95.5.64/27",
		"2607:5300:6000:6b00::c05f:543/128",
		"10.1.0.16/29",
		"2607:5300:6d8a:6bf8:dab1:e000::/83",
		"2607:5000::/21",
	};
	struct collected c = { .n = 0 };
	struct allowedips t;
	struct tpeer a, b;

	allowedips_init(&t);
	allowedips_peer_list_init(&a.list, &a);
	allowedips_peer_list_init(&b.list, &b);
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		CHECK(insert_str(&t, &a, in[i], NULL) == 0);
		CHECK(insert_str(&t, &b, "10.9.9.9/32", NULL) == 0); /* noise */
	}
	CHECK(allowedips_walk_peer(&t, &a.list, collect, &c) == 0);
	CHECK(c.n == (int)ARRAY_SIZE(want));
	for (int i = 0; i < c.n && i < (int)ARRAY_SIZE(want); i++)
		CHECK_STR(c.s[i], want[i]);
	allowedips_free(&t);
}

/* The module's long-path cases: /128s that differ from each other in one
 * bit at every position, which build the deepest tries (the kernel's
 * free_node warned there when its stack overflowed). */
static void test_kernel_deep_paths(void)
{
	struct allowedips t;
	struct tpeer a;
	uint8_t ip[16];
	uint64_t part;

	allowedips_init(&t);
	allowedips_peer_list_init(&a.list, &a);
	for (int i = 0; i < 128; i++) {
		part = htobe64(~(1ULL << (i % 64)));
		memset(ip, 0xff, 16);
		memcpy(ip + (i < 64) * 8, &part, 8);
		CHECK(allowedips_insert(&t, AF_INET6, ip, 128, &a.list, NULL) == 0);
	}
	CHECK(usage(&t).prefixes == 128);
	CHECK(allowedips_verify(&t));
	allowedips_free(&t);
	CHECK(allowedips_peer_list_empty(&a.list));

	for (int i = 0; i < 64; i++) {
		part = htobe64(~0ULL << i);
		memset(ip, 0xff, 8);
		memcpy(ip + 8, &part, 8);
		CHECK(allowedips_insert(&t, AF_INET6, ip, 128, &a.list, NULL) == 0);
		memcpy(ip, &part, 8);
		memset(ip + 8, 0, 8);
		CHECK(allowedips_insert(&t, AF_INET6, ip, 128, &a.list, NULL) == 0);
	}
	memset(ip, 0, 16);
	CHECK(allowedips_insert(&t, AF_INET6, ip, 128, &a.list, NULL) == 0);
	CHECK(allowedips_verify(&t));
	CHECK(allowedips_lookup(&t, AF_INET6, ip) == &a);
	allowedips_remove_by_peer(&t, &a.list);
	CHECK(usage(&t).nodes == 0);
	CHECK(!t.root4 && !t.root6);
	allowedips_free(&t);
}

/* --- edge cases ---------------------------------------------------------- */

static void test_zero_and_full_lengths(void)
{
	struct allowedips t;
	struct tpeer a, b, c;

	allowedips_init(&t);
	allowedips_peer_list_init(&a.list, &a);
	allowedips_peer_list_init(&b.list, &b);
	allowedips_peer_list_init(&c.list, &c);

	CHECK(lookup_str(&t, "0.0.0.0") == NULL);
	CHECK(lookup_str(&t, "::") == NULL);
	CHECK(insert_str(&t, &a, "0.0.0.0/0", NULL) == 0);
	CHECK(insert_str(&t, &a, "::/0", NULL) == 0);
	CHECK(lookup_str(&t, "0.0.0.0") == &a);
	CHECK(lookup_str(&t, "255.255.255.255") == &a);
	CHECK(lookup_str(&t, "::") == &a);
	CHECK(lookup_str(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == &a);
	/* a /0 with host bits is still the /0 */
	CHECK(insert_str(&t, &a, "203.0.113.9/0", NULL) == 0);
	CHECK(usage(&t).prefixes == 2);

	CHECK(insert_str(&t, &b, "203.0.113.9/32", NULL) == 0);
	CHECK(insert_str(&t, &b, "2001:db8::9/128", NULL) == 0);
	CHECK(insert_str(&t, &c, "255.255.255.255/32", NULL) == 0);
	CHECK(insert_str(&t, &c, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", NULL) == 0);
	CHECK(insert_str(&t, &c, "0.0.0.0/32", NULL) == 0);
	CHECK(insert_str(&t, &c, "::/128", NULL) == 0);
	CHECK(lookup_str(&t, "203.0.113.9") == &b);
	CHECK(lookup_str(&t, "203.0.113.8") == &a);
	CHECK(lookup_str(&t, "203.0.113.10") == &a);
	CHECK(lookup_str(&t, "2001:db8::9") == &b);
	CHECK(lookup_str(&t, "2001:db8::8") == &a);
	CHECK(lookup_str(&t, "2001:db8::1:9") == &a);
	CHECK(lookup_str(&t, "255.255.255.255") == &c);
	CHECK(lookup_str(&t, "255.255.255.254") == &a);
	CHECK(lookup_str(&t, "0.0.0.0") == &c);
	CHECK(lookup_str(&t, "0.0.0.1") == &a);
	CHECK(lookup_str(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") == &c);
	CHECK(lookup_str(&t, "::") == &c);
	CHECK(lookup_str(&t, "::1") == &a);
	/* the families do not mix: ::ffff:203.0.113.9 is an IPv6 address */
	CHECK(lookup_str(&t, "::ffff:203.0.113.9") == &a);
	CHECK(allowedips_verify(&t));

	CHECK(remove_str(&t, &a, "0.0.0.0/0") == 0);
	CHECK(lookup_str(&t, "203.0.113.8") == NULL);
	CHECK(lookup_str(&t, "203.0.113.9") == &b);
	CHECK(lookup_str(&t, "2001:db8::8") == &a);
	CHECK(remove_str(&t, &a, "::/0") == 0);
	CHECK(lookup_str(&t, "2001:db8::8") == NULL);
	CHECK(remove_str(&t, &a, "::/0") == -ENOENT);
	CHECK(allowedips_verify(&t));
	allowedips_remove_by_peer(&t, &b.list);
	allowedips_remove_by_peer(&t, &c.list);
	CHECK(usage(&t).nodes == 0);
	allowedips_free(&t);
}

static void test_host_bits_masked(void)
{
	struct collected c = { .n = 0 };
	struct allowedips t;
	struct tpeer a;

	allowedips_init(&t);
	allowedips_peer_list_init(&a.list, &a);
	CHECK(insert_str(&t, &a, "10.1.2.3/8", NULL) == 0);
	CHECK(insert_str(&t, &a, "2001:db8:1:2:3:4:5:6/33", NULL) == 0);
	CHECK(insert_str(&t, &a, "192.0.2.255/31", NULL) == 0);
	CHECK(allowedips_walk_peer(&t, &a.list, collect, &c) == 0);
	CHECK(c.n == 3);
	CHECK_STR(c.s[0], "10.0.0.0/8");
	CHECK_STR(c.s[1], "2001:db8::/33");
	CHECK_STR(c.s[2], "192.0.2.254/31");
	CHECK(lookup_str(&t, "10.255.0.1") == &a);
	CHECK(lookup_str(&t, "2001:db8:7fff::1") == &a);
	CHECK(lookup_str(&t, "2001:db8:8000::1") == NULL);
	/* the same prefix written with other host bits */
	CHECK(insert_str(&t, &a, "10.200.0.0/8", NULL) == 0);
	CHECK(usage(&t).prefixes == 3);
	CHECK(remove_str(&t, &a, "10.9.9.9/8") == 0);
	CHECK(remove_str(&t, &a, "2001:db8:0:ffff::/33") == 0);
	CHECK(usage(&t).prefixes == 1);
	CHECK(allowedips_verify(&t));
	allowedips_free(&t);
}

static void test_reinsert_same_peer(void)
{
	struct collected before = { .n = 0 }, after = { .n = 0 };
	struct allowedips_usage u1, u2;
	struct allowedips t;
	struct tpeer a;
	void *moved;

	allowedips_init(&t);
	allowedips_peer_list_init(&a.list, &a);
	CHECK(insert_str(&t, &a, "10.0.0.0/24", NULL) == 0);
	CHECK(insert_str(&t, &a, "10.0.1.0/24", NULL) == 0);
	CHECK(insert_str(&t, &a, "fd00::/64", NULL) == 0);
	CHECK(allowedips_walk_peer(&t, &a.list, collect, &before) == 0);
	u1 = usage(&t);
	moved = (void *)1;
	CHECK(insert_str(&t, &a, "10.0.0.7/24", &moved) == 0);
	CHECK(moved == NULL);
	CHECK(insert_str(&t, &a, "fd00::1/64", NULL) == 0);
	u2 = usage(&t);
	CHECK(u1.nodes == u2.nodes && u1.prefixes == u2.prefixes && u1.bytes == u2.bytes);
	CHECK(allowedips_walk_peer(&t, &a.list, collect, &after) == 0);
	CHECK(before.n == 3 && after.n == 3);
	for (int i = 0; i < 3; i++)
		CHECK_STR(after.s[i], before.s[i]); /* the order is kept too */
	allowedips_free(&t);
}

static void test_bad_arguments(void)
{
	struct allowedips_peer_list nobody;
	struct allowedips t;
	uint8_t addr[16] = { 10 };
	struct tpeer a;
	void *moved;

	allowedips_init(&t);
	allowedips_peer_list_init(&a.list, &a);
	allowedips_peer_list_init(&nobody, NULL);
	moved = (void *)1;
	CHECK(allowedips_insert(&t, AF_INET, addr, 33, &a.list, &moved) == -EINVAL);
	CHECK(moved == NULL);
	CHECK(allowedips_insert(&t, AF_INET6, addr, 129, &a.list, NULL) == -EINVAL);
	CHECK(allowedips_insert(&t, AF_INET6, addr, 255, &a.list, NULL) == -EINVAL);
	CHECK(allowedips_insert(&t, AF_UNIX, addr, 8, &a.list, NULL) == -EINVAL);
	CHECK(allowedips_insert(&t, 0, addr, 8, &a.list, NULL) == -EINVAL);
	CHECK(allowedips_insert(&t, AF_INET, addr, 8, NULL, NULL) == -EINVAL);
	CHECK(allowedips_insert(&t, AF_INET, addr, 8, &nobody, NULL) == -EINVAL);
	CHECK(allowedips_remove(&t, AF_INET, addr, 33, &a.list) == -EINVAL);
	CHECK(allowedips_remove(&t, AF_UNIX, addr, 8, &a.list) == -EINVAL);
	CHECK(allowedips_remove(&t, AF_INET, addr, 8, &nobody) == -EINVAL);
	CHECK(usage(&t).nodes == 0);
	CHECK(allowedips_insert(&t, AF_INET, addr, 32, &a.list, NULL) == 0);
	CHECK(allowedips_insert(&t, AF_INET6, addr, 128, &a.list, NULL) == 0);
	CHECK(allowedips_lookup(&t, AF_INET, addr) == &a);
	CHECK(allowedips_lookup(&t, AF_INET6, addr) == &a);
	CHECK(allowedips_lookup(&t, AF_UNIX, addr) == NULL);
	CHECK(allowedips_lookup(&t, 0, addr) == NULL);
	/* a prefix nobody holds, and a join node's place, are not there */
	CHECK(allowedips_remove(&t, AF_INET, addr, 31, &a.list) == -ENOENT);
	CHECK(insert_str(&t, &a, "10.0.0.2/32", NULL) == 0);
	CHECK(usage(&t).nodes == 4); /* and 10.0.0.0/30 joining the two /32s */
	CHECK(remove_str(&t, &a, "10.0.0.0/30") == -ENOENT);
	CHECK(allowedips_verify(&t));
	allowedips_free(&t);
}

static void test_moves_and_refusals(void)
{
	struct collected c = { .n = 0 };
	struct allowedips t;
	struct tpeer a, b;
	void *moved;

	allowedips_init(&t);
	allowedips_peer_list_init(&a.list, &a);
	allowedips_peer_list_init(&b.list, &b);
	CHECK(insert_str(&t, &a, "198.51.100.0/24", NULL) == 0);
	CHECK(insert_str(&t, &a, "2001:db8::/48", NULL) == 0);
	CHECK(insert_str(&t, &a, "198.51.100.128/25", NULL) == 0);
	/* nor a prefix of the same length next to one it holds */
	CHECK(remove_str(&t, &a, "198.51.101.0/24") == -ENOENT);
	CHECK(remove_str(&t, &a, "2001:db8:1::/48") == -ENOENT);
	CHECK(remove_str(&t, &a, "198.51.100.0/25") == -ENOENT);
	/* b may not remove what a holds */
	CHECK(remove_str(&t, &b, "198.51.100.0/24") == -ENOENT);
	CHECK(lookup_str(&t, "198.51.100.1") == &a);
	/* b takes it: the caller learns from whom */
	moved = NULL;
	CHECK(insert_str(&t, &b, "198.51.100.0/24", &moved) == 0);
	CHECK(moved == &a);
	CHECK(lookup_str(&t, "198.51.100.1") == &b);
	CHECK(lookup_str(&t, "198.51.100.129") == &a);
	/* now a may not remove it */
	CHECK(remove_str(&t, &a, "198.51.100.0/24") == -ENOENT);
	CHECK(lookup_str(&t, "198.51.100.1") == &b);
	CHECK(allowedips_walk_peer(&t, &a.list, collect, &c) == 0);
	CHECK(c.n == 2);
	CHECK_STR(c.s[0], "2001:db8::/48");
	CHECK_STR(c.s[1], "198.51.100.128/25");
	c.n = 0;
	CHECK(allowedips_walk_peer(&t, &b.list, collect, &c) == 0);
	CHECK(c.n == 1);
	CHECK_STR(c.s[0], "198.51.100.0/24");
	/* a walk stops at the callback's first non-zero result */
	c.n = 62;
	CHECK(allowedips_walk_peer(&t, &a.list, collect, &c) == 0);
	CHECK(allowedips_walk_peer(&t, &a.list, collect, &c) == -1);
	/* removing b leaves a's /25 and the /24's place is gone */
	allowedips_remove_by_peer(&t, &b.list);
	CHECK(lookup_str(&t, "198.51.100.1") == NULL);
	CHECK(lookup_str(&t, "198.51.100.129") == &a);
	CHECK(allowedips_verify(&t));
	allowedips_free(&t);
}

static void test_peer_lists(void)
{
	struct tpeer zeroed, a;
	struct allowedips t;

	memset(&zeroed, 0, sizeof(zeroed));
	allowedips_init(&t);
	/* a zeroed list is empty and usable once it names its peer */
	CHECK(allowedips_peer_list_empty(&zeroed.list));
	allowedips_remove_by_peer(&t, &zeroed.list);
	CHECK(allowedips_walk_peer(&t, &zeroed.list, collect, NULL) == 0);
	zeroed.list.peer = &zeroed;
	CHECK(insert_str(&t, &zeroed, "192.0.2.0/24", NULL) == 0);
	CHECK(!allowedips_peer_list_empty(&zeroed.list));
	CHECK(lookup_str(&t, "192.0.2.1") == &zeroed);

	/* freeing the table empties the lists it points into */
	allowedips_peer_list_init(&a.list, &a);
	CHECK(insert_str(&t, &a, "2001:db8::/32", NULL) == 0);
	allowedips_free(&t);
	CHECK(allowedips_peer_list_empty(&zeroed.list));
	CHECK(allowedips_peer_list_empty(&a.list));
	CHECK(lookup_str(&t, "192.0.2.1") == NULL);
	/* and the table is usable again */
	CHECK(insert_str(&t, &a, "2001:db8::/32", NULL) == 0);
	CHECK(lookup_str(&t, "2001:db8::1") == &a);
	allowedips_free(&t);
}

/* One path through every length: 0.0.0.0/0, 128.0.0.0/1, ..., 
 * 255.255.255.255/32 (and the IPv6 equivalent, 129 nodes deep), each
 * length with a /32 (/128) sibling branching off, then the path taken
 * apart from the middle. */
static void deepest(int family, unsigned bits)
{
	struct tpeer chain, side;
	struct allowedips t;
	uint8_t ip[16];

	allowedips_init(&t);
	allowedips_peer_list_init(&chain.list, &chain);
	allowedips_peer_list_init(&side.list, &side);
	for (unsigned len = 0; len <= bits; len++) {
		memset(ip, 0xff, 16);
		CHECK(allowedips_insert(&t, family, ip, (uint8_t)len, &chain.list, NULL) == 0);
	}
	for (unsigned len = 1; len <= bits; len++) {
		memset(ip, 0xff, 16);
		ip[(len - 1) / 8] ^= (uint8_t)(0x80 >> ((len - 1) % 8));
		CHECK(allowedips_insert(&t, family, ip, (uint8_t)bits, &side.list, NULL) == 0);
		CHECK(allowedips_lookup(&t, family, ip) == &side);
	}
	CHECK(usage(&t).nodes == 2 * bits + 1);
	CHECK(allowedips_verify(&t));
	memset(ip, 0xff, 16);
	CHECK(allowedips_lookup(&t, family, ip) == &chain);
	/* taking lengths out of the chain leaves join nodes: no lookup
	 * changes, since each missing length is covered by the one above */
	for (unsigned len = 1; len < bits; len += 2)
		CHECK(allowedips_remove(&t, family, ip, (uint8_t)len, &chain.list) == 0);
	CHECK(usage(&t).nodes == 2 * bits + 1);
	CHECK(allowedips_verify(&t));
	allowedips_remove_by_peer(&t, &side.list);
	CHECK(allowedips_verify(&t));
	CHECK(usage(&t).nodes == bits / 2 + 1);
	ip[bits / 8 - 1] = 0xfe;
	CHECK(allowedips_lookup(&t, family, ip) == &chain);
	allowedips_remove_by_peer(&t, &chain.list);
	CHECK(usage(&t).nodes == 0);
	allowedips_free(&t);
}

static void test_deepest_path(void)
{
	deepest(AF_INET, 32);
	deepest(AF_INET6, 128);
}

#ifdef RAMPART_DEBUG
static unsigned checks_read, checks_write;

static bool count_check(void *arg, bool write)
{
	(void)arg;
	if (write)
		checks_write++;
	else
		checks_read++;
	return true;
}
#endif

static void test_lock_check(void)
{
#ifdef RAMPART_DEBUG
	struct allowedips t;
	struct tpeer a;

	allowedips_init(&t);
	allowedips_peer_list_init(&a.list, &a);
	allowedips_set_lock_check(&t, count_check, NULL);
	CHECK(insert_str(&t, &a, "192.0.2.0/24", NULL) == 0);
	CHECK(remove_str(&t, &a, "192.0.2.0/24") == 0);
	allowedips_remove_by_peer(&t, &a.list);
	CHECK(checks_write == 3 && checks_read == 0);
	(void)lookup_str(&t, "192.0.2.1");
	(void)allowedips_walk_peer(&t, &a.list, collect, NULL);
	(void)usage(&t);
	CHECK(allowedips_verify(&t));
	CHECK(checks_write == 3 && checks_read == 4);
	allowedips_free(&t);
	CHECK(checks_write == 4);
#endif
}

/* --- randomized differential test --------------------------------------- */

enum {
	NUM_PEERS = 2000,
	NUM_CLUSTERS = 48,
	INITIAL_PREFIXES = 12000, /* per family */
	BATCHES = 10,
	MUTATIONS = 1500,         /* per batch, both families */
	QUERIES = 1200,           /* per batch and family */
};

static uint64_t rng;

/* splitmix64: fixed seed, same sequence everywhere. */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned below(unsigned n)
{
	return (unsigned)(((rnd() >> 32) * n) >> 32);
}

static void random_bytes(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

/* Clears the bits of a 16-byte address past len. */
static void mask_bytes(uint8_t a[16], unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		if (len >= 8 * (i + 1))
			continue;
		a[i] &= len <= 8 * i ? 0 : (uint8_t)(0xff << (8 - (len - 8 * i)));
	}
}

/* Copies the first len bits of from into to, keeping to's other bits. */
static void keep_prefix(uint8_t to[16], const uint8_t from[16], unsigned len)
{
	uint8_t mask[16];

	memset(mask, 0xff, 16);
	mask_bytes(mask, len);
	for (int i = 0; i < 16; i++)
		to[i] = (uint8_t)((from[i] & mask[i]) | (to[i] & ~mask[i]));
}

/* The naive model: per family, a flat array of (masked prefix, mask,
 * length, peer, when gained) scanned linearly for everything. */
struct mentry {
	uint8_t key[16], mask[16];
	uint8_t fam, cidr;
	int peer;
	uint64_t seq;
};

struct model {
	struct mentry *e[2];
	size_t n[2], cap[2];
	uint64_t seq;
};

static const unsigned fam_bits[2] = { 32, 128 };
static const int fam_af[2] = { AF_INET, AF_INET6 };

static long model_find(const struct model *m, int f, const uint8_t key[16], unsigned cidr)
{
	for (size_t i = 0; i < m->n[f]; i++)
		if (m->e[f][i].cidr == cidr && !memcmp(m->e[f][i].key, key, 16))
			return (long)i;
	return -1;
}

/* Returns the peer that held the prefix (-1 if none). */
static int model_insert(struct model *m, int f, const uint8_t addr[16], unsigned cidr,
			int peer)
{
	struct mentry *e;
	uint8_t key[16];
	long i;
	int old;

	memcpy(key, addr, 16);
	mask_bytes(key, cidr);
	i = model_find(m, f, key, cidr);
	if (i >= 0) {
		e = &m->e[f][i];
		old = e->peer;
		if (old != peer) {
			e->peer = peer;
			e->seq = ++m->seq;
		}
		return old;
	}
	if (m->n[f] == m->cap[f]) {
		m->cap[f] = m->cap[f] ? 2 * m->cap[f] : 1024;
		m->e[f] = realloc(m->e[f], m->cap[f] * sizeof(*e));
		if (!m->e[f])
			abort();
	}
	e = &m->e[f][m->n[f]++];
	memcpy(e->key, key, 16);
	memset(e->mask, 0xff, 16);
	mask_bytes(e->mask, cidr);
	e->fam = (uint8_t)f;
	e->cidr = (uint8_t)cidr;
	e->peer = peer;
	e->seq = ++m->seq;
	return -1;
}

static void model_delete(struct model *m, int f, size_t i)
{
	m->e[f][i] = m->e[f][--m->n[f]];
}

static int model_lookup(const struct model *m, int f, const uint8_t addr[16])
{
	unsigned len = fam_bits[f] / 8;
	int best = -1, peer = -1;

	for (size_t i = 0; i < m->n[f]; i++) {
		const struct mentry *e = &m->e[f][i];
		unsigned j = 0;
		if (e->cidr <= best && best >= 0)
			continue;
		while (j < len && (addr[j] & e->mask[j]) == e->key[j])
			j++;
		if (j == len) {
			best = e->cidr;
			peer = e->peer;
		}
	}
	return peer;
}

struct world {
	struct allowedips t;
	struct model m;
	struct tpeer *peers;
	uint8_t cluster[2][NUM_CLUSTERS][16];
	uint8_t cluster_len[2][NUM_CLUSTERS];
	unsigned lookups, hits, mismatches;
	size_t peak;
};

static void *peer_ptr(struct world *w, int peer)
{
	return peer < 0 ? NULL : &w->peers[peer];
}

/* A prefix that overlaps and nests with the others: inside a cluster,
 * or a little shorter or longer than an existing one; rarely any length
 * (the few very short ones cover most addresses). */
static unsigned random_prefix(struct world *w, int f, uint8_t addr[16])
{
	unsigned bits = fam_bits[f], r = below(1000), c = below(NUM_CLUSTERS), lo;
	int len;

	random_bytes(addr, 16);
	if (r < 100 && w->m.n[f]) {
		const struct mentry *e = &w->m.e[f][below((unsigned)w->m.n[f])];
		keep_prefix(addr, e->key, e->cidr);
		len = e->cidr + (int)below(9) - 4;
		return len < (int)bits / 8 ? bits / 8 : len > (int)bits ? bits : (unsigned)len;
	}
	keep_prefix(addr, w->cluster[f][c], w->cluster_len[f][c]);
	lo = w->cluster_len[f][c];
	if (r < 450)
		return bits;
	if (r < 998)
		return lo + below(bits - lo + 1);
	return below(bits + 1);
}

/* An address to look up: anywhere, in a cluster, inside an existing
 * prefix, or just outside one (a bit flipped near its end). */
static void random_address(struct world *w, int f, uint8_t addr[16])
{
	unsigned r = below(4), bits = fam_bits[f];

	random_bytes(addr, 16);
	if (r == 1) {
		unsigned c = below(NUM_CLUSTERS);
		keep_prefix(addr, w->cluster[f][c], w->cluster_len[f][c]);
	} else if (r >= 2 && w->m.n[f]) {
		const struct mentry *e = &w->m.e[f][below((unsigned)w->m.n[f])];
		keep_prefix(addr, e->key, e->cidr);
		if (r == 3 && e->cidr) {
			unsigned at = e->cidr - 1 - below(e->cidr < 3 ? e->cidr : 3);
			addr[at / 8] ^= (uint8_t)(0x80 >> (at % 8));
		}
	}
	if (bits == 32)
		memset(addr + 4, 0, 12);
}

static void check_lookups(struct world *w, unsigned n)
{
	uint8_t addr[16];

	for (int f = 0; f < 2; f++) {
		for (unsigned i = 0; i < n; i++) {
			random_address(w, f, addr);
			void *got = allowedips_lookup(&w->t, fam_af[f], addr);
			void *want = peer_ptr(w, model_lookup(&w->m, f, addr));
			w->lookups++;
			w->hits += got != NULL;
			if (got != want && w->mismatches++ < 10) {
				char ip[INET6_ADDRSTRLEN];
				inet_ntop(fam_af[f], addr, ip, sizeof(ip));
				CHECK_MSG(false, "lookup %s: peer %d, model says %d", ip,
					  got ? ((struct tpeer *)got)->id : -1,
					  want ? ((struct tpeer *)want)->id : -1);
			}
		}
	}
}

/* Each peer's walk must list exactly the model's prefixes of that peer,
 * in the order it gained them. */
struct walk_check {
	const struct mentry **want;
	size_t n, at;
	bool ok;
};

static int walk_cmp(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct walk_check *wc = arg;
	const struct mentry *e;

	if (wc->at == wc->n) {
		wc->ok = false;
		return 1;
	}
	e = wc->want[wc->at++];
	if (family != fam_af[e->fam] || cidr != e->cidr ||
	    memcmp(addr, e->key, fam_bits[e->fam] / 8))
		wc->ok = false;
	return 0;
}

static int by_peer_then_seq(const void *pa, const void *pb)
{
	const struct mentry *a = *(const struct mentry *const *)pa;
	const struct mentry *b = *(const struct mentry *const *)pb;

	if (a->peer != b->peer)
		return a->peer < b->peer ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void check_walks(struct world *w)
{
	size_t total = w->m.n[0] + w->m.n[1], k = 0, bad = 0;
	const struct mentry **all = calloc(total + 1, sizeof(*all));

	if (!all)
		abort();
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < w->m.n[f]; i++)
			all[k++] = &w->m.e[f][i];
	qsort(all, total, sizeof(*all), by_peer_then_seq);
	k = 0;
	for (int p = 0; p < NUM_PEERS; p++) {
		struct walk_check wc = { all + k, 0, 0, true };
		while (k + wc.n < total && all[k + wc.n]->peer == p)
			wc.n++;
		CHECK(allowedips_walk_peer(&w->t, &w->peers[p].list, walk_cmp, &wc) == 0 ||
		      !wc.ok);
		if ((!wc.ok || wc.at != wc.n) && bad++ < 5)
			CHECK_MSG(false, "walk of peer %d differs from the model's %zu prefixes",
				  p, wc.n);
		k += wc.n;
	}
	free(all);
}

static void check_counts(struct world *w)
{
	struct allowedips_usage u = usage(&w->t);

	CHECK_MSG(u.prefixes == w->m.n[0] + w->m.n[1], "%zu prefixes, model %zu",
		  u.prefixes, w->m.n[0] + w->m.n[1]);
	CHECK(u.nodes < 2 * u.prefixes + 2); /* join nodes have two children */
	if (u.prefixes > w->peak)
		w->peak = u.prefixes;
	CHECK(allowedips_verify(&w->t));
}

static void do_insert(struct world *w, int f, const uint8_t addr[16], unsigned cidr, int peer)
{
	void *moved = (void *)1;
	int old, ret;

	ret = allowedips_insert(&w->t, fam_af[f], addr, (uint8_t)cidr,
				&w->peers[peer].list, &moved);
	old = model_insert(&w->m, f, addr, cidr, peer);
	CHECK(ret == 0);
	CHECK_MSG(moved == (old == peer ? NULL : peer_ptr(w, old)),
		  "moved from %p, model says %d", moved, old);
}

static void mutate(struct world *w)
{
	unsigned r = below(100), f = below(2);
	uint8_t addr[16];
	size_t n = w->m.n[f];

	if (r < 45 || !n) {
		unsigned cidr = random_prefix(w, (int)f, addr);
		do_insert(w, (int)f, addr, cidr, (int)below(NUM_PEERS));
		return;
	}
	size_t i = below((unsigned)n);
	struct mentry e = w->m.e[f][i];
	/* the same prefix with random host bits: they must be ignored */
	random_bytes(addr, 16);
	keep_prefix(addr, e.key, e.cidr);
	if (r < 65) {
		/* move to another peer */
		do_insert(w, (int)f, addr, e.cidr, (int)below(NUM_PEERS));
	} else if (r < 70) {
		/* again to the same peer: nothing changes */
		do_insert(w, (int)f, addr, e.cidr, e.peer);
	} else if (r < 92) {
		int other = (e.peer + 1 + (int)below(NUM_PEERS - 1)) % NUM_PEERS;
		CHECK(allowedips_remove(&w->t, fam_af[f], addr, e.cidr,
					&w->peers[other].list) == -ENOENT);
		CHECK(allowedips_remove(&w->t, fam_af[f], addr, e.cidr,
					&w->peers[e.peer].list) == 0);
		model_delete(&w->m, (int)f, i);
	} else if (r < 97) {
		/* a prefix nobody holds: one of e's length differing from it
		 * near its end, removed in the name of e's peer */
		if (e.cidr) {
			unsigned at = e.cidr - 1 - below(e.cidr < 3 ? e.cidr : 3);
			uint8_t key[16];
			addr[at / 8] ^= (uint8_t)(0x80 >> (at % 8));
			memcpy(key, addr, 16);
			mask_bytes(key, e.cidr);
			if (model_find(&w->m, (int)f, key, e.cidr) < 0)
				CHECK(allowedips_remove(&w->t, fam_af[f], addr, e.cidr,
							&w->peers[e.peer].list) == -ENOENT);
		}
	} else {
		int p = e.peer;
		allowedips_remove_by_peer(&w->t, &w->peers[p].list);
		CHECK(allowedips_peer_list_empty(&w->peers[p].list));
		for (int g = 0; g < 2; g++)
			for (size_t j = w->m.n[g]; j-- > 0;)
				if (w->m.e[g][j].peer == p)
					model_delete(&w->m, g, j);
	}
}

static void test_random_differential(void)
{
	struct world *w = calloc(1, sizeof(*w));
	unsigned order[NUM_PEERS];
	uint8_t addr[16];

	if (!w)
		abort();
	rng = 0x5eed0a11;
	w->peers = calloc(NUM_PEERS, sizeof(*w->peers));
	if (!w->peers)
		abort();
	allowedips_init(&w->t);
	for (int p = 0; p < NUM_PEERS; p++) {
		w->peers[p].id = p;
		allowedips_peer_list_init(&w->peers[p].list, &w->peers[p]);
	}
	for (int f = 0; f < 2; f++) {
		for (int c = 0; c < NUM_CLUSTERS; c++) {
			random_bytes(w->cluster[f][c], 16);
			w->cluster_len[f][c] = (uint8_t)(f ? 16 + below(49) : 8 + below(13));
		}
	}

	for (int f = 0; f < 2; f++) {
		for (int i = 0; i < INITIAL_PREFIXES; i++) {
			unsigned cidr = random_prefix(w, f, addr);
			do_insert(w, f, addr, cidr, (int)below(NUM_PEERS));
		}
	}
	check_counts(w);
	check_lookups(w, QUERIES);
	check_walks(w);

	for (int b = 0; b < BATCHES; b++) {
		for (int i = 0; i < MUTATIONS; i++)
			mutate(w);
		check_counts(w);
		check_lookups(w, QUERIES);
		check_walks(w);
	}

	/* Remove every peer, in a random order. */
	for (unsigned p = 0; p < NUM_PEERS; p++)
		order[p] = p;
	for (unsigned p = NUM_PEERS - 1; p > 0; p--) {
		unsigned j = below(p + 1), tmp = order[p];
		order[p] = order[j];
		order[j] = tmp;
	}
	for (unsigned k = 0; k < NUM_PEERS; k++) {
		int p = (int)order[k];
		allowedips_remove_by_peer(&w->t, &w->peers[p].list);
		for (int g = 0; g < 2; g++)
			for (size_t j = w->m.n[g]; j-- > 0;)
				if (w->m.e[g][j].peer == p)
					model_delete(&w->m, g, j);
		if (k % 250 == 249) {
			check_counts(w);
			check_lookups(w, QUERIES / 4);
		}
	}
	CHECK(usage(&w->t).nodes == 0);
	CHECK(usage(&w->t).prefixes == 0);
	CHECK(usage(&w->t).bytes == 0);
	CHECK(!w->t.root4 && !w->t.root6);
	CHECK(w->mismatches == 0);
	printf("# %zu prefixes at most, %" PRIu64 " gained, %u lookups compared "
	       "(%u found a peer)\n", w->peak, w->m.seq, w->lookups, w->hits);

	allowedips_free(&w->t);
	free(w->m.e[0]);
	free(w->m.e[1]);
	free(w->peers);
	free(w);
}

static const struct harness_case cases[] = {
	{ "allowedips/kernel_selftest", test_kernel_selftest },
	{ "allowedips/kernel_walk", test_kernel_walk },
	{ "allowedips/kernel_deep_paths", test_kernel_deep_paths },
	{ "allowedips/zero_and_full_lengths", test_zero_and_full_lengths },
	{ "allowedips/host_bits_masked", test_host_bits_masked },
	{ "allowedips/reinsert_same_peer", test_reinsert_same_peer },
	{ "allowedips/bad_arguments", test_bad_arguments },
	{ "allowedips/moves_and_refusals", test_moves_and_refusals },
	{ "allowedips/peer_lists", test_peer_lists },
	{ "allowedips/deepest_path", test_deepest_path },
	{ "allowedips/lock_check", test_lock_check },
	{ "allowedips/random_differential", test_random_differential },
};

HARNESS_MAIN(cases)
