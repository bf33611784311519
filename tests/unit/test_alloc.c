/* inventory/alloc: the next free address against a naive model (every
 * address of a small pool in turn), randomized; the hub's address; the
 * edges of the families; overlap checks naming the other peer. */
#include "harness.h"

#include "inventory/alloc.h"
#include "prefix_fixture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct netaddr_prefix v4(uint32_t a)
{
	struct netaddr_prefix p;

	memset(&p, 0, sizeof(p));
	p.addr.family = AF_INET;
	p.addr.in4.s_addr = htonl(a);
	p.cidr = 32;
	return p;
}

/* The model: the lowest address of net/len that is not the network, the
 * broadcast, the hub or used; 0 if none. */
static uint32_t naive(uint32_t net, unsigned len, uint32_t hub, const uint32_t *used, size_t n)
{
	uint32_t size = 1u << (32 - len);

	for (uint32_t a = net + 1; a < net + size - 1; a++) {
		bool taken = a == hub;

		for (size_t i = 0; i < n && !taken; i++)
			taken = used[i] == a;
		if (!taken)
			return a;
	}
	return 0;
}

/* 1: randomized against the model, pools /24 to /30, with and without a
 * hub written in the pool, used addresses in and out of the pool. */
static void test_model(void)
{
	srand(12);
	for (int round = 0; round < 2000; round++) {
		unsigned len = 24 + (unsigned)(rand() % 7);
		uint32_t size = 1u << (32 - len), net = 0x0a000000u | ((uint32_t)(rand() % 256) << 8);
		uint32_t hub_off = rand() % 2 ? (uint32_t)rand() % size : 0;
		uint32_t hub = net + (hub_off ? hub_off : 1), used[64], want;
		struct netaddr_prefix pool = v4(net + hub_off), list[64], got;
		size_t n = (size_t)(rand() % 64);
		int r;

		pool.cidr = (uint8_t)len;
		for (size_t i = 0; i < n; i++) {
			used[i] = rand() % 8 ? net + (uint32_t)rand() % size : 0x0b000001u;
			list[i] = v4(used[i]);
		}
		want = naive(net, len, hub, used, n);
		r = inv_alloc_next(&pool, list, n, &got);
		if (!want) {
			CHECK_MSG(r == -ENOSPC, "round %d: want none, got %d", round, r);
			continue;
		}
		CHECK_MSG(r == 0 && got.cidr == 32 && ntohl(got.addr.in4.s_addr) == want,
			  "round %d: /%u want %08x got %d %08x", round, len, want, r,
			  ntohl(got.addr.in4.s_addr));
	}
}

/* 2: the hub: as written, else the first usable address. */
static void test_hub(void)
{
	struct netaddr_prefix pool = pfx("10.0.0.0/24"), h, want = pfx("10.0.0.1/32");

	inv_alloc_hub(&pool, &h);
	CHECK(netaddr_prefix_equal(&h, &want));
	pool = pfx("10.0.0.77/24");
	want = pfx("10.0.0.77/32");
	inv_alloc_hub(&pool, &h);
	CHECK(netaddr_prefix_equal(&h, &want));
	pool = pfx("fd00::/64");
	want = pfx("fd00::1/128");
	inv_alloc_hub(&pool, &h);
	CHECK(netaddr_prefix_equal(&h, &want));
}

/* 3: IPv6: /128s from ::2 up, the last address usable (no broadcast);
 * the edges: a /32 and a /128 pool give nothing, a /30 two at most. */
static void test_edges(void)
{
	struct netaddr_prefix pool = pfx("fd00::/126"), used[3], got, want;

	CHECK(inv_alloc_next(&pool, NULL, 0, &got) == 0);
	want = pfx("fd00::2/128");
	CHECK(netaddr_prefix_equal(&got, &want));
	used[0] = want;
	CHECK(inv_alloc_next(&pool, used, 1, &got) == 0);
	want = pfx("fd00::3/128");
	CHECK(netaddr_prefix_equal(&got, &want));
	used[1] = want;
	CHECK(inv_alloc_next(&pool, used, 2, &got) == -ENOSPC);
	pool = pfx("10.0.0.0/30");
	CHECK(inv_alloc_next(&pool, NULL, 0, &got) == 0);
	want = pfx("10.0.0.2/32");
	CHECK(netaddr_prefix_equal(&got, &want));
	used[0] = want;
	CHECK(inv_alloc_next(&pool, used, 1, &got) == -ENOSPC);
	pool = pfx("10.0.0.1/32");
	CHECK(inv_alloc_next(&pool, NULL, 0, &got) == -ENOSPC);
	pool = pfx("fd00::1/128");
	CHECK(inv_alloc_next(&pool, NULL, 0, &got) == -ENOSPC);
	/* A huge pool is no trouble: the scan is over the addresses in use. */
	pool = pfx("fd00::/64");
	used[0] = pfx("fd00::2/128");
	used[1] = pfx("fd00::3/128");
	used[2] = pfx("10.0.0.2/32");
	CHECK(inv_alloc_next(&pool, used, 3, &got) == 0);
	want = pfx("fd00::4/128");
	CHECK(netaddr_prefix_equal(&got, &want));
}

/* 4: overlaps: containment either way, families apart, revoked and self
 * skipped, the other peer and its prefix named. */
static void test_overlap(void)
{
	struct inv_peer peers[3];
	struct netaddr_prefix x, with;
	const struct inv_peer *o;

	memset(peers, 0, sizeof(peers));
	for (int i = 0; i < 3; i++) {
		peers[i].id = i + 1;
		snprintf(peers[i].name, sizeof(peers[i].name), "p%d", i);
	}
	peers[0].addrs[0] = pfx("10.0.0.2/32");
	peers[0].n_addrs = 1;
	peers[1].sites[0] = pfx("192.168.0.0/16");
	peers[1].n_sites = 1;
	peers[2].sites[0] = pfx("172.16.0.0/12");
	peers[2].n_sites = 1;
	peers[2].state = INV_REVOKED;
	x = pfx("10.0.0.0/24");
	o = inv_alloc_overlap(&x, peers, 3, 0, &with);
	CHECK(o == &peers[0] && netaddr_prefix_equal(&with, &peers[0].addrs[0]));
	x = pfx("192.168.7.0/24");
	CHECK(inv_alloc_overlap(&x, peers, 3, 0, NULL) == &peers[1]);
	CHECK(inv_alloc_overlap(&x, peers, 3, 2, NULL) == NULL);
	x = pfx("172.16.1.0/24");
	CHECK(inv_alloc_overlap(&x, peers, 3, 0, NULL) == NULL);
	x = pfx("fd00::/8");
	CHECK(inv_alloc_overlap(&x, peers, 3, 0, NULL) == NULL);
	x = pfx("0.0.0.0/0");
	CHECK(inv_alloc_overlap(&x, peers, 3, 0, NULL) == &peers[0]);
	x = pfx("10.0.0.3/32");
	CHECK(inv_alloc_overlap(&x, peers, 3, 0, NULL) == NULL);
}

static const struct harness_case cases[] = {
	{ "alloc: against the naive model, randomized", test_model },
	{ "alloc: the hub's address", test_hub },
	{ "alloc: IPv6 and the edges", test_edges },
	{ "alloc: overlaps name the other peer", test_overlap },
};

HARNESS_MAIN(cases)
