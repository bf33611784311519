/* The handshake rate limiter on a fake clock: SipHash's known answers,
 * the bucket's exact arithmetic, the per-source keys (IPv4 address, IPv6
 * /64), garbage collection, the full table, the kernel self-test's
 * expectations as data, and a differential run against a linear-list
 * model. */
#include "harness.h"

#include "proto/messages.h"
#include "proto/ratelimiter.h"

#include "crypto/crypto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MS NSEC_PER_MSEC
#define COST RATELIMITER_PACKET_COST
#define BURST RATELIMITER_PACKETS_BURSTABLE
/* Fake clock start: far from zero, so that nothing relies on it. */
#define T0 (1000 * NSEC_PER_SEC)

static void v4(uint8_t out[4], const char *s)
{
	CHECK(inet_pton(AF_INET, s, out) == 1);
}

static void v6(uint8_t out[16], const char *s)
{
	CHECK(inet_pton(AF_INET6, s, out) == 1);
}

static void setup(struct ratelimiter *rl, size_t max)
{
	int ret = ratelimiter_init(rl, max);

	CHECK_MSG(ret == 0, "ratelimiter_init: %d", ret);
}

/* Offers n packets at now; returns how many were allowed. */
static unsigned offer(struct ratelimiter *rl, const void *addr, int family,
		      uint64_t now, unsigned n)
{
	unsigned ok = 0;

	while (n--)
		ok += ratelimiter_allow(rl, addr, family, now);
	return ok;
}

/* The reference implementation's vectors.h (github.com/veorq/SipHash):
 * key 00 01 .. 0f, message 00 01 .. (len - 1), output as bytes.  Lengths
 * 0..15 reach every tail length with and without a full word before it;
 * 15 is the paper's Appendix A example. */
static const struct {
	size_t len;
	const char *out;
} siphash_vectors[] = {
	{ 0, "310e0edd47db6f72" },  { 1, "fd67dc93c539f874" },
	{ 2, "5a4fa9d909806c0d" },  { 3, "2d7efbd796666785" },
	{ 4, "b7877127e09427cf" },  { 5, "8da699cd64557618" },
	{ 6, "cee3fe586e46c9cb" },  { 7, "37d1018bf50002ab" },
	{ 8, "6224939a79f5f593" },  { 9, "b0e4a90bdf82009e" },
	{ 10, "f3b9dd94c5bb5d7a" }, { 11, "a7ad6b22462fb3f4" },
	{ 12, "fbe50e86bc8f1e75" }, { 13, "903d84c02756ea14" },
	{ 14, "eef27a8e90ca23f7" }, { 15, "e545be4961ca29a1" },
	{ 16, "db9bc2577fcc2a3f" }, { 17, "9447be2cf5e99a69" },
	{ 63, "724506eb4c328a95" },
};

static void test_siphash_vectors(void)
{
	uint8_t key[RATELIMITER_HASH_KEY_LEN], msg[64];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (size_t v = 0; v < ARRAY_SIZE(siphash_vectors); v++) {
		size_t n;
		uint8_t *want = harness_unhex(siphash_vectors[v].out, &n);
		uint64_t h = ratelimiter_hash(key, msg, siphash_vectors[v].len);
		uint8_t got[8];

		for (int b = 0; b < 8; b++)
			got[b] = (uint8_t)(h >> (8 * b));
		CHECK(n == 8);
		CHECK_MSG(!memcmp(got, want, 8), "siphash length %zu",
			  siphash_vectors[v].len);
		free(want);
	}
	/* Appendix A of the paper gives the same one as a number. */
	CHECK(ratelimiter_hash(key, msg, 15) == 0xa129ca6149be45e5ULL);
}

static void test_init_args(void)
{
	struct ratelimiter rl;
	uint8_t a[16] = { 1, 2, 3, 4 };

	CHECK(ratelimiter_init(&rl, 0) == -EINVAL);
	CHECK(ratelimiter_init(&rl, RATELIMITER_MAX_ENTRIES + 1) == -EINVAL);
	ratelimiter_uninit(&rl); /* zeroed by the failed init: harmless */
	ratelimiter_gc(&rl, T0);
	setup(&rl, RATELIMITER_MAX_ENTRIES);
	/* Neither family: refused, and not stored. */
	CHECK(!ratelimiter_allow(&rl, a, AF_UNIX, T0));
	CHECK(!ratelimiter_allow(&rl, a, 0, T0));
	CHECK(ratelimiter_count(&rl) == 0);
	ratelimiter_uninit(&rl);
	ratelimiter_uninit(&rl);
}

static unsigned random_calls;

static void counting_random(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	random_calls++;
	memset(buf, 0x5a, len);
}

/* The key comes from crypto_random once, at init, and never on the
 * packet path. */
static void test_key_from_crypto_random(void)
{
	struct ratelimiter rl;
	uint8_t a[4];

	v4(a, "192.0.2.1");
	crypto_random_override(counting_random, NULL);
	random_calls = 0;
	setup(&rl, 16);
	CHECK(random_calls == 1);
	uint8_t want[RATELIMITER_HASH_KEY_LEN];
	memset(want, 0x5a, sizeof(want));
	CHECK_MEM(rl.key, want, sizeof(want));
	unsigned allowed = 0;
	for (int i = 0; i < 100; i++)
		allowed += ratelimiter_allow(&rl, a, AF_INET, T0 + (uint64_t)i * MS);
	CHECK(allowed == BURST + 99 / 50);
	ratelimiter_gc(&rl, T0 + 10 * NSEC_PER_SEC);
	CHECK(random_calls == 1);
	crypto_random_override(NULL, NULL);
	ratelimiter_uninit(&rl);
	uint8_t zero[RATELIMITER_HASH_KEY_LEN] = { 0 };
	CHECK_MEM(rl.key, zero, sizeof(zero));
}

/* Exactly the burst at once, then one per RATELIMITER_PACKET_COST. */
static void test_burst_then_rate(void)
{
	struct ratelimiter rl;
	uint8_t a[4];
	uint64_t now = T0;

	v4(a, "198.51.100.7");
	setup(&rl, 64);
	CHECK(offer(&rl, a, AF_INET, now, BURST) == BURST);
	CHECK(!ratelimiter_allow(&rl, a, AF_INET, now));
	/* One nanosecond short, then exactly on time. */
	CHECK(!ratelimiter_allow(&rl, a, AF_INET, now + COST - 1));
	CHECK(ratelimiter_allow(&rl, a, AF_INET, now + COST));
	CHECK(!ratelimiter_allow(&rl, a, AF_INET, now + COST));
	now += COST;
	/* Steady state: one every 50 ms, for ten seconds. */
	unsigned allowed = 0, refused = 0;
	for (int i = 0; i < 200; i++) {
		now += 50 * MS;
		allowed += ratelimiter_allow(&rl, a, AF_INET, now);
		refused += !ratelimiter_allow(&rl, a, AF_INET, now);
	}
	CHECK(allowed == 200 && refused == 200);
	/* Refused attempts cost nothing: credit earned in small steps adds
	 * up to exactly one packet. */
	for (int i = 1; i < 50; i++)
		CHECK(!ratelimiter_allow(&rl, a, AF_INET, now + (uint64_t)i * MS));
	CHECK(ratelimiter_allow(&rl, a, AF_INET, now + 50 * MS));
	/* 20 per second at most over a long run of constant hammering. */
	now += 50 * MS;
	allowed = 0;
	for (uint64_t t = MS; t <= NSEC_PER_SEC; t += MS)
		allowed += ratelimiter_allow(&rl, a, AF_INET, now + t);
	CHECK_MSG(allowed == RATELIMITER_PACKETS_PER_SECOND, "allowed %u", allowed);
	ratelimiter_uninit(&rl);
}

/* Credit stops at the burst, however long the source was quiet. */
static void test_refill_caps_at_burst(void)
{
	struct ratelimiter rl;
	uint8_t a[4];
	uint64_t now = T0;

	v4(a, "203.0.113.9");
	setup(&rl, 64);
	CHECK(offer(&rl, a, AF_INET, now, BURST + 3) == BURST);
	/* A burst's worth of idle refills it exactly; 1 ns less does not. */
	now += RATELIMITER_TOKEN_MAX - 1;
	CHECK(offer(&rl, a, AF_INET, now, BURST + 3) == BURST - 1);
	now += RATELIMITER_TOKEN_MAX;
	CHECK(offer(&rl, a, AF_INET, now, BURST + 3) == BURST);
	now += 10 * RATELIMITER_TOKEN_MAX;
	CHECK(offer(&rl, a, AF_INET, now, BURST + 3) == BURST);
	ratelimiter_uninit(&rl);
}

/* No overflow from a long idle, up to the end of the clock; a clock that
 * steps back grants nothing. */
static void test_long_idle(void)
{
	struct ratelimiter rl;
	uint8_t a[4];

	v4(a, "192.0.2.200");
	setup(&rl, 8);
	CHECK(offer(&rl, a, AF_INET, 0, BURST + 1) == BURST);
	CHECK(offer(&rl, a, AF_INET, UINT64_MAX - 1, BURST + 1) == BURST);
	CHECK(offer(&rl, a, AF_INET, UINT64_MAX, BURST + 1) == 0);
	/* Backwards: nothing earned, and nothing earned later for it. */
	CHECK(offer(&rl, a, AF_INET, 5 * NSEC_PER_SEC, BURST) == 0);
	CHECK(offer(&rl, a, AF_INET, UINT64_MAX, BURST) == 0);
	/* Half a bucket earned from a partly refilled state. */
	ratelimiter_uninit(&rl);
	setup(&rl, 8);
	CHECK(offer(&rl, a, AF_INET, T0, 3) == 3); /* 2 packets of credit left */
	CHECK(offer(&rl, a, AF_INET, T0 + 2 * COST, BURST + 1) == 4);
	CHECK(offer(&rl, a, AF_INET, T0 + UINT64_MAX / 2, BURST + 1) == BURST);
	ratelimiter_uninit(&rl);
}

static void test_ipv4_sources_independent(void)
{
	struct ratelimiter rl;
	uint8_t a[4], b[4], c[4];

	v4(a, "10.0.0.1");
	v4(b, "10.0.0.2");
	v4(c, "11.0.0.1");
	setup(&rl, 64);
	CHECK(offer(&rl, a, AF_INET, T0, 10) == BURST);
	CHECK(offer(&rl, b, AF_INET, T0, 10) == BURST);
	CHECK(offer(&rl, c, AF_INET, T0, 10) == BURST);
	CHECK(ratelimiter_count(&rl) == 3);
	/* Draining a and b left c's refill alone, and vice versa. */
	CHECK(ratelimiter_allow(&rl, c, AF_INET, T0 + COST));
	CHECK(ratelimiter_allow(&rl, a, AF_INET, T0 + COST));
	CHECK(!ratelimiter_allow(&rl, a, AF_INET, T0 + COST));
	CHECK(ratelimiter_allow(&rl, b, AF_INET, T0 + COST));
	ratelimiter_uninit(&rl);
}

static void test_ipv6_slash64(void)
{
	struct ratelimiter rl;
	uint8_t a[16], a2[16], a3[16], other[16], other2[16];
	uint8_t four[4] = { 0x20, 0x01, 0x0d, 0xb8 };

	v6(a, "2001:db8:1:2::1");
	v6(a2, "2001:db8:1:2:ffff:ffff:ffff:ffff");
	v6(a3, "2001:db8:1:2:8000::");
	v6(other, "2001:db8:1:3::1");	/* the next /64 */
	v6(other2, "2001:db8:1:2::1");
	other2[7] ^= 0x80;		/* a bit of the /64's last byte */
	setup(&rl, 64);
	CHECK(ratelimiter_allow(&rl, a, AF_INET6, T0));
	CHECK(offer(&rl, a2, AF_INET6, T0, 2) == 2);
	CHECK(offer(&rl, a3, AF_INET6, T0, 10) == 2);
	CHECK(!ratelimiter_allow(&rl, a, AF_INET6, T0));
	CHECK(ratelimiter_count(&rl) == 1);
	CHECK(offer(&rl, other, AF_INET6, T0, 10) == BURST);
	CHECK(offer(&rl, other2, AF_INET6, T0, 10) == BURST);
	/* The same leading bytes as IPv4 are another source. */
	CHECK(offer(&rl, four, AF_INET, T0, 10) == BURST);
	CHECK(ratelimiter_count(&rl) == 4);
	/* Refill is shared by the /64 too. */
	CHECK(ratelimiter_allow(&rl, a2, AF_INET6, T0 + COST));
	CHECK(!ratelimiter_allow(&rl, a, AF_INET6, T0 + COST));
	ratelimiter_uninit(&rl);
}

static void test_gc(void)
{
	struct ratelimiter rl;
	uint8_t idle[4], busy[4], edge[4];
	uint64_t now = T0;

	v4(idle, "192.0.2.1");
	v4(busy, "192.0.2.2");
	v4(edge, "192.0.2.3");
	setup(&rl, 64);
	CHECK(offer(&rl, idle, AF_INET, now, 10) == BURST);
	CHECK(offer(&rl, busy, AF_INET, now, 10) == BURST);
	CHECK(offer(&rl, edge, AF_INET, now + 1, 1) == 1);
	CHECK(ratelimiter_count(&rl) == 3);
	/* busy keeps sending, within its rate. */
	for (uint64_t t = 100 * MS; t <= NSEC_PER_SEC; t += 100 * MS)
		CHECK(ratelimiter_allow(&rl, busy, AF_INET, now + t));
	/* At exactly the age nothing goes. */
	ratelimiter_gc(&rl, now + RATELIMITER_GC_AGE);
	CHECK(ratelimiter_count(&rl) == 3);
	/* 1 ns later idle goes; edge, seen 1 ns after it, stays. */
	ratelimiter_gc(&rl, now + RATELIMITER_GC_AGE + 1);
	CHECK(ratelimiter_count(&rl) == 2);
	ratelimiter_gc(&rl, now + RATELIMITER_GC_AGE + 2);
	CHECK(ratelimiter_count(&rl) == 1);
	/* A collected source comes back as new, with a full burst; the one
	 * that stayed is still limited. */
	now += RATELIMITER_GC_AGE + 2;
	CHECK(offer(&rl, idle, AF_INET, now, 10) == BURST);
	CHECK(ratelimiter_count(&rl) == 2);
	/* Everything idle: everything goes. */
	ratelimiter_gc(&rl, now + 2 * NSEC_PER_SEC);
	CHECK(ratelimiter_count(&rl) == 0);
	ratelimiter_uninit(&rl);
}

/* A full table refuses new sources, keeps serving the ones it has, and
 * takes new ones again once GC has made room. */
static void test_full_table(void)
{
	enum { MAX = 32 };
	struct ratelimiter rl;
	uint8_t a[4] = { 10, 1, 0, 0 }, fresh[4] = { 172, 16, 0, 1 };
	uint8_t fresh6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint64_t now = T0;

	setup(&rl, MAX);
	for (int i = 0; i < MAX; i++) {
		a[3] = (uint8_t)i;
		CHECK(ratelimiter_allow(&rl, a, AF_INET, now));
	}
	CHECK(ratelimiter_count(&rl) == MAX);
	CHECK(!ratelimiter_allow(&rl, fresh, AF_INET, now));
	CHECK(!ratelimiter_allow(&rl, fresh6, AF_INET6, now + COST));
	CHECK(ratelimiter_count(&rl) == MAX);
	/* Known sources: still their own buckets. */
	a[3] = 7;
	CHECK(offer(&rl, a, AF_INET, now, 10) == BURST - 1);
	CHECK(ratelimiter_allow(&rl, a, AF_INET, now + COST));
	/* GC while all are recent frees nothing. */
	ratelimiter_gc(&rl, now + RATELIMITER_GC_AGE);
	CHECK(!ratelimiter_allow(&rl, fresh, AF_INET, now + RATELIMITER_GC_AGE));
	/* Only source 7 stays active; GC frees the rest. */
	CHECK(ratelimiter_allow(&rl, a, AF_INET, now + NSEC_PER_SEC));
	now += NSEC_PER_SEC + 100 * MS;
	ratelimiter_gc(&rl, now);
	CHECK(ratelimiter_count(&rl) == 1);
	CHECK(offer(&rl, fresh, AF_INET, now, 10) == BURST);
	CHECK(offer(&rl, fresh6, AF_INET6, now, 10) == BURST);
	CHECK(ratelimiter_count(&rl) == 3);
	ratelimiter_uninit(&rl);
}

/* drivers/net/wireguard/selftest/ratelimiter.c, timings_test: the
 * expected results with the wait before each, for one IPv4 source and
 * one IPv6 /64 (whose low 64 bits change every step), while a different
 * new source of each family, offered alongside, is always allowed. */
static const struct {
	bool result;
	uint64_t wait_before;
} kernel_expected[] = {
	{ true, 0 }, { true, 0 }, { true, 0 }, { true, 0 }, { true, 0 },
	{ false, 0 },
	{ true, COST },
	{ false, 0 },
	{ true, 2 * COST },
	{ true, 0 },
	{ false, 0 },
};

static uint32_t be32_add(const uint8_t *p, uint32_t d)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return htonl(ntohl(v) + d);
}

static void test_kernel_timings(void)
{
	struct ratelimiter rl;
	uint8_t a4[4], a6[16] = { 0 };
	uint32_t w;
	uint64_t now = T0;

	CHECK(ARRAY_SIZE(kernel_expected) == BURST + 6);
	setup(&rl, RATELIMITER_MAX_ENTRIES);
	w = htonl(8182);
	memcpy(a4, &w, 4);
	w = htonl(1212);
	memcpy(a6, &w, 4);
	w = htonl(289188);
	memcpy(a6 + 4, &w, 4);
	for (uint32_t i = 0; i < ARRAY_SIZE(kernel_expected); i++) {
		uint8_t other4[4], other6[16];
		bool want = kernel_expected[i].result;

		now += kernel_expected[i].wait_before;
		CHECK_MSG(ratelimiter_allow(&rl, a4, AF_INET, now) == want, "v4 step %u", i);
		w = be32_add(a4, i + 1);
		memcpy(other4, &w, 4);
		CHECK_MSG(ratelimiter_allow(&rl, other4, AF_INET, now), "v4 other %u", i);

		w = htonl(i);
		memcpy(a6 + 8, &w, 4);
		memcpy(a6 + 12, &w, 4);
		CHECK_MSG(ratelimiter_allow(&rl, a6, AF_INET6, now) == want, "v6 step %u", i);
		memcpy(other6, a6, 16);
		w = be32_add(a6, i + 1);
		memcpy(other6, &w, 4);
		CHECK_MSG(ratelimiter_allow(&rl, other6, AF_INET6, now), "v6 other %u", i);
	}
	ratelimiter_uninit(&rl);
}

/* The same file's capacity_test: from empty, sources 0..max-1 are
 * allowed and source max is not. */
static void kernel_capacity(size_t max)
{
	struct ratelimiter rl;
	unsigned bad = 0;

	setup(&rl, max);
	ratelimiter_gc(&rl, T0);
	CHECK(ratelimiter_count(&rl) == 0);
	for (uint32_t i = 0; i <= max; i++) {
		uint32_t a = htonl(i);

		if (ratelimiter_allow(&rl, &a, AF_INET, T0) != (i != max) && bad++ < 3)
			CHECK_MSG(0, "max %zu: source %u", max, i);
	}
	CHECK(ratelimiter_count(&rl) == max);
	ratelimiter_uninit(&rl);
}

static void test_kernel_capacity(void)
{
	kernel_capacity(1);
	kernel_capacity(1000);
	kernel_capacity(RATELIMITER_MAX_ENTRIES);
}

/* --- differential test ------------------------------------------------ */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The model: an unordered list, searched from the start, with the
 * kernel's formulas as written (the clock here only moves forward and
 * stays small, so they cannot overflow). */
enum { MODEL_MAX = 48, SOURCES = 160 };

struct model_entry {
	int family;
	uint8_t key[8];
	uint64_t last, tokens;
};

struct model {
	struct model_entry e[MODEL_MAX];
	size_t n;
};

static bool model_allow(struct model *m, int family, const uint8_t *addr, uint64_t now)
{
	uint8_t key[8] = { 0 };

	memcpy(key, addr, family == AF_INET ? 4 : 8);
	for (size_t i = 0; i < m->n; i++) {
		struct model_entry *e = &m->e[i];

		if (e->family != family || memcmp(e->key, key, 8))
			continue;
		uint64_t t = e->tokens + (now - e->last);
		if (t > RATELIMITER_TOKEN_MAX)
			t = RATELIMITER_TOKEN_MAX;
		e->last = now;
		if (t >= COST) {
			e->tokens = t - COST;
			return true;
		}
		e->tokens = t;
		return false;
	}
	if (m->n == MODEL_MAX)
		return false;
	m->e[m->n++] = (struct model_entry){ family, { 0 }, now,
					     RATELIMITER_TOKEN_MAX - COST };
	memcpy(m->e[m->n - 1].key, key, 8);
	return true;
}

static void model_gc(struct model *m, uint64_t now)
{
	for (size_t i = 0; i < m->n;)
		if (now - m->e[i].last > RATELIMITER_GC_AGE)
			m->e[i] = m->e[--m->n];
		else
			i++;
}

static void test_differential(void)
{
	enum { STEPS = 300000 };
	static struct model m;
	struct ratelimiter rl;
	uint8_t addrs[SOURCES][16];
	uint64_t rng = 0xfeedfacecafebeefULL, now = T0, next_gc = T0 + NSEC_PER_SEC;
	unsigned long allowed = 0, mismatches = 0;

	/* Sources: IPv4 addresses, and IPv6 addresses drawn from a few /64s
	 * so that several addresses share a bucket. */
	for (int i = 0; i < SOURCES; i++) {
		uint64_t r = splitmix64(&rng);

		memset(addrs[i], 0, 16);
		if (i % 2 == 0) {
			memcpy(addrs[i], &r, 4);
		} else {
			addrs[i][0] = 0x20;
			addrs[i][1] = 0x01;
			addrs[i][7] = (uint8_t)(r % 24);
			memcpy(addrs[i] + 8, &r, 8);
		}
	}
	memset(&m, 0, sizeof(m));
	setup(&rl, MODEL_MAX);
	for (unsigned long step = 0; step < STEPS; step++) {
		uint64_t r = splitmix64(&rng);
		/* Mostly bursts, sometimes a pause long enough to idle out. */
		now += r % 1024 == 0 ? (r >> 10) % (1500 * MS) : (r >> 10) % (300 * 1000);
		if (now >= next_gc) {
			ratelimiter_gc(&rl, now);
			model_gc(&m, now);
			next_gc = now + NSEC_PER_SEC;
			CHECK(ratelimiter_count(&rl) == m.n);
		}
		/* A few hot sources and a long tail. */
		size_t s = (r >> 40) % 4 ? (r >> 44) % 8 : (r >> 44) % SOURCES;
		int family = s % 2 == 0 ? AF_INET : AF_INET6;
		bool want = model_allow(&m, family, addrs[s], now);
		bool got = ratelimiter_allow(&rl, addrs[s], family, now);

		if (got != want && mismatches++ < 5)
			CHECK_MSG(0, "step %lu source %zu: real %d model %d", step, s,
				  got, want);
		allowed += want;
	}
	CHECK_MSG(mismatches == 0, "%lu mismatches", mismatches);
	CHECK(ratelimiter_count(&rl) == m.n);
	CHECK_MSG(allowed > STEPS / 10 && allowed < STEPS * 9 / 10, "allowed %lu", allowed);
	ratelimiter_uninit(&rl);
}

static const struct harness_case cases[] = {
	{ "ratelimiter/siphash_vectors", test_siphash_vectors },
	{ "ratelimiter/init_args", test_init_args },
	{ "ratelimiter/key_from_crypto_random", test_key_from_crypto_random },
	{ "ratelimiter/burst_then_rate", test_burst_then_rate },
	{ "ratelimiter/refill_caps_at_burst", test_refill_caps_at_burst },
	{ "ratelimiter/long_idle", test_long_idle },
	{ "ratelimiter/ipv4_sources_independent", test_ipv4_sources_independent },
	{ "ratelimiter/ipv6_slash64", test_ipv6_slash64 },
	{ "ratelimiter/gc", test_gc },
	{ "ratelimiter/full_table", test_full_table },
	{ "ratelimiter/kernel_timings", test_kernel_timings },
	{ "ratelimiter/kernel_capacity", test_kernel_capacity },
	{ "ratelimiter/differential", test_differential },
};

HARNESS_MAIN(cases)
