/* Micro-benchmark of the allowed-IPs table at 1k, 100k and 1M prefixes.
 *
 * Mix: half the prefixes IPv4, half IPv6.  IPv4 addresses are uniform over
 * the whole space, 80 % /32, 15 % /24, 5 % /16; IPv6 addresses uniform in
 * 2000::/3, 70 % /128, 30 % /64.  Random prefixes can repeat (the short
 * IPv4 ones do at 1M), which moves them to the newer peer: the distinct
 * count is printed.  Peers: as many as prefixes up to 100,000, so the 1M
 * table spreads 10 prefixes over each of 100,000 peers.
 *
 * For each size: insert time; lookups per second for addresses inside a
 * random table prefix (hits) and for addresses that match nothing
 * (misses), 1M of each per family from pools of 256k addresses, the best
 * of 5 rounds counting (the host is shared and noisy); node
 * memory per prefix as the table counts it and as the heap (glibc
 * mallinfo2) sees it; and the time to remove every peer.
 *
 * usage: bench_allowedips [largest-size]   (default 1000000) */
#include "proto/allowedips.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum {
	MAX_PEERS = 100000,
	POOL = 1 << 18,       /* lookup addresses per kind and family */
	ROUNDS = 5,           /* of lookups; the best round counts */
	ROUND_LOOKUPS = 200000,
};

struct bpeer {
	struct allowedips_peer_list list;
};

struct prefix {
	uint8_t addr[16];
	uint8_t family_v6, cidr;
	unsigned peer;
};

static uint64_t rng = 0xa11011ed;

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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t heap_used(void)
{
	return mallinfo2().uordblks;
}

static void random_address(uint8_t addr[16], bool v6)
{
	uint64_t a = rnd(), b = rnd();

	memcpy(addr, &a, 8);
	memcpy(addr + 8, &b, 8);
	if (v6)
		addr[0] = (uint8_t)(0x20 | (addr[0] & 0x1f)); /* 2000::/3 */
	else
		memset(addr + 4, 0, 12);
}

static void random_prefix(struct prefix *p, unsigned peers)
{
	unsigned r = below(100);

	p->family_v6 = below(2);
	random_address(p->addr, p->family_v6);
	if (p->family_v6)
		p->cidr = r < 70 ? 128 : 64;
	else
		p->cidr = r < 80 ? 32 : r < 95 ? 24 : 16;
	p->peer = below(peers);
}

/* An address inside p: its prefix bits, random host bits. */
static void address_in(uint8_t addr[16], const struct prefix *p)
{
	unsigned bits = p->family_v6 ? 128 : 32;

	random_address(addr, p->family_v6);
	for (unsigned i = 0; i < bits; i++) {
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));
		if (i < p->cidr)
			addr[i / 8] = (uint8_t)((addr[i / 8] & ~bit) | (p->addr[i / 8] & bit));
	}
}

static volatile uintptr_t sink;

/* Lookups per second over a pool of addresses of one family, best of
 * ROUNDS rounds (this removes most scheduling noise); *found counts the
 * lookups that returned a peer. */
static double run_lookups(const struct allowedips *t, int family,
			  const uint8_t (*pool)[16], size_t *found)
{
	uintptr_t acc = 0;
	size_t hits = 0, at = 0;
	double best = 0;

	for (int r = 0; r < ROUNDS; r++) {
		double start = now(), rate;
		for (unsigned i = 0; i < ROUND_LOOKUPS; i++, at++) {
			void *peer = allowedips_lookup(t, family, pool[at & (POOL - 1)]);
			hits += peer != NULL;
			acc += (uintptr_t)peer;
		}
		rate = ROUND_LOOKUPS / (now() - start);
		if (rate > best)
			best = rate;
	}
	sink = acc;
	*found = hits;
	return best;
}

static int bench_size(size_t n)
{
	unsigned peers = n < MAX_PEERS ? (unsigned)n : MAX_PEERS;
	struct prefix *prefixes = calloc(n, sizeof(*prefixes));
	struct bpeer *peer = calloc(peers, sizeof(*peer));
	uint8_t (*hit[2])[16], (*miss[2])[16];
	struct allowedips_usage u;
	struct allowedips t;
	size_t moves = 0, heap0, heap1, found;
	double start, insert_s, remove_s, rate[2][2];

	hit[0] = malloc(POOL * 16);
	hit[1] = malloc(POOL * 16);
	miss[0] = malloc(POOL * 16);
	miss[1] = malloc(POOL * 16);
	if (!prefixes || !peer || !hit[0] || !hit[1] || !miss[0] || !miss[1])
		return -1;
	for (unsigned i = 0; i < peers; i++)
		allowedips_peer_list_init(&peer[i].list, &peer[i]);
	for (size_t i = 0; i < n; i++)
		random_prefix(&prefixes[i], peers);

	allowedips_init(&t);
	heap0 = heap_used();
	start = now();
	for (size_t i = 0; i < n; i++) {
		const struct prefix *p = &prefixes[i];
		void *moved;
		if (allowedips_insert(&t, p->family_v6 ? AF_INET6 : AF_INET, p->addr,
				      p->cidr, &peer[p->peer].list, &moved))
			return -1;
		moves += moved != NULL;
	}
	insert_s = now() - start;
	heap1 = heap_used();
	allowedips_measure(&t, &u);

	/* Pools: hits inside random prefixes of the family, misses drawn
	 * from the same distribution as the prefixes until they match
	 * nothing. */
	for (int f = 0; f < 2; f++) {
		size_t k = 0;
		while (k < POOL) {
			const struct prefix *p = &prefixes[below((unsigned)n)];
			if (p->family_v6 == f)
				address_in(hit[f][k++], p);
		}
		for (k = 0; k < POOL;) {
			random_address(miss[f][k], f);
			if (!allowedips_lookup(&t, f ? AF_INET6 : AF_INET, miss[f][k]))
				k++;
		}
	}
	for (int f = 0; f < 2; f++) {
		int family = f ? AF_INET6 : AF_INET;
		rate[f][0] = run_lookups(&t, family, (const uint8_t(*)[16])hit[f], &found);
		if (found != ROUNDS * ROUND_LOOKUPS)
			return -1;
		rate[f][1] = run_lookups(&t, family, (const uint8_t(*)[16])miss[f], &found);
		if (found != 0)
			return -1;
	}

	start = now();
	for (unsigned i = 0; i < peers; i++)
		allowedips_remove_by_peer(&t, &peer[i].list);
	remove_s = now() - start;

	printf("%zu prefixes (%zu distinct, %zu moved on insert) over %u peers, "
	       "%zu nodes\n", n, u.prefixes, moves, peers, u.nodes);
	printf("  insert            %8.1f ms  %6.0f ns/prefix\n", insert_s * 1e3,
	       insert_s * 1e9 / (double)n);
	printf("  lookup IPv4 hit   %8.2f M/s   miss %8.2f M/s\n", rate[0][0] / 1e6,
	       rate[0][1] / 1e6);
	printf("  lookup IPv6 hit   %8.2f M/s   miss %8.2f M/s\n", rate[1][0] / 1e6,
	       rate[1][1] / 1e6);
	printf("  memory            %8.1f B/prefix in nodes, %.1f B/prefix on the heap\n",
	       (double)u.bytes / (double)u.prefixes,
	       (double)(heap1 - heap0) / (double)u.prefixes);
	printf("  remove all peers  %8.1f ms  %6.0f ns/prefix\n", remove_s * 1e3,
	       remove_s * 1e9 / (double)u.prefixes);

	allowedips_measure(&t, &u);
	allowedips_free(&t);
	free(prefixes);
	free(peer);
	for (int f = 0; f < 2; f++) {
		free(hit[f]);
		free(miss[f]);
	}
	return u.nodes == 0 ? 0 : -1;
}

int main(int argc, char *argv[])
{
	static const size_t sizes[] = { 1000, 100000, 1000000 };
	size_t largest = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	struct allowedips_usage u4, u6;
	struct allowedips t;
	struct bpeer p;
	uint8_t addr[16] = { 0x20 };

	/* Node sizes, from the table's own count. */
	allowedips_init(&t);
	allowedips_peer_list_init(&p.list, &p);
	if (allowedips_insert(&t, AF_INET, addr, 32, &p.list, NULL))
		return 1;
	allowedips_measure(&t, &u4);
	if (allowedips_insert(&t, AF_INET6, addr, 128, &p.list, NULL))
		return 1;
	allowedips_measure(&t, &u6);
	allowedips_free(&t);
	printf("# node: %zu B (IPv4), %zu B (IPv6); v4 80%% /32 15%% /24 5%% /16, "
	       "v6 70%% /128 30%% /64, half each\n", u4.bytes, u6.bytes - u4.bytes);

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (sizes[i] > largest)
			break;
		if (bench_size(sizes[i])) {
			fprintf(stderr, "bench_allowedips: failed at %zu\n", sizes[i]);
			return 1;
		}
	}
	return 0;
}
