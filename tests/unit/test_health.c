/* src/monitor/health.c: handshake ages, peer states and check verdicts
 * against a fake clock, and the plugin's line byte for byte. */
#include "harness.h"

#include "common/compiler.h"
#include "common/encoding.h"
#include "common/textbuf.h"
#include "monitor/health.h"
#include "uapi/device.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* A fixed wall clock. */
#define NOW 1700000000

#define KEY_A "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8="
#define KEY_B "mrhPtR2F9ehFPPZ2CuGF18tXltYNyzIWcMnVg4V3V1s="
#define KEY_C "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA="
#define KEY_X "//////////////////////////////////////////8="

/* A peer whose handshake was `age` seconds before NOW; age < 0: never. */
static void add_peer(struct uapi_device *dev, const char *b64, int64_t age)
{
	uint8_t key[KEY_LEN];
	struct uapi_peer *p;

	CHECK(encoding_key_from_base64(key, b64));
	p = uapi_device_add_peer(dev, key);
	CHECK(p != NULL);
	if (p && age >= 0) {
		p->last_handshake_sec = NOW - age;
		p->last_handshake_nsec = 123;
	}
}

/* dev named wg0 with peers A, B, C of these ages (< -1: not added). */
static struct uapi_device *device(int64_t a, int64_t b, int64_t c)
{
	struct uapi_device *dev = uapi_device_alloc();
	const int64_t ages[] = { a, b, c };
	const char *keys[] = { KEY_A, KEY_B, KEY_C };

	CHECK(dev != NULL);
	if (!dev)
		return NULL;
	snprintf(dev->name, sizeof(dev->name), "wg0");
	for (size_t i = 0; i < ARRAY_SIZE(ages); i++)
		if (ages[i] >= -1)
			add_peer(dev, keys[i], ages[i]);
	return dev;
}

/* The verdict of dev at NOW, for peer (NULL: the interface). */
static struct health_check run(const struct uapi_device *dev, const char *peer, int64_t max_age)
{
	struct health_check c = { .max_age = max_age };

	if (peer) {
		c.flags = HEALTH_CHECK_PEER;
		CHECK(encoding_key_from_base64(c.key, peer));
	}
	health_check_device(&c, dev, NOW);
	return c;
}

static void check_line(const struct health_check *c, const char *want)
{
	struct textbuf o = { 0 };

	health_format_check(&o, c);
	CHECK(o.err == 0);
	CHECK_STR(o.buf ? o.buf : "", want);
	textbuf_wipe(&o);
}

/* c's verdict and counts. */
static void expect(const struct health_check *c, enum health_verdict v, size_t fresh,
		   size_t stale, size_t never, int64_t oldest)
{
	CHECK_MSG(c->verdict == v, "verdict %d, want %d", c->verdict, v);
	CHECK_MSG(c->n_fresh == fresh && c->n_stale == stale && c->n_never == never,
		  "fresh %zu stale %zu never %zu, want %zu %zu %zu", c->n_fresh, c->n_stale,
		  c->n_never, fresh, stale, never);
	CHECK(c->n_peers == fresh + stale + never);
	CHECK_MSG(c->oldest_age == oldest, "oldest %lld, want %lld", (long long)c->oldest_age,
		  (long long)oldest);
}

/* 1 */
static void test_age(void)
{
	struct uapi_peer p = { 0 };

	CHECK(health_handshake_age(&p, NOW) == -1);
	/* 0 s and some nanoseconds is a handshake (at the epoch), not never. */
	p.last_handshake_nsec = 1;
	CHECK(health_handshake_age(&p, NOW) == NOW);
	p.last_handshake_nsec = 0;
	p.last_handshake_sec = NOW - 12;
	CHECK(health_handshake_age(&p, NOW) == 12);
	p.last_handshake_sec = NOW;
	CHECK(health_handshake_age(&p, NOW) == 0);
	/* The clock was stepped back: fresh, age 0. */
	p.last_handshake_sec = NOW + 500;
	CHECK(health_handshake_age(&p, NOW) == 0);
	/* Hostile or absurd replies stay bounded and never overflow. */
	p.last_handshake_sec = INT64_MIN;
	CHECK(health_handshake_age(&p, NOW) == HEALTH_AGE_MAX);
	p.last_handshake_sec = 1;
	CHECK(health_handshake_age(&p, INT64_MAX) == HEALTH_AGE_MAX);
	p.last_handshake_sec = -5;
	CHECK(health_handshake_age(&p, 10) == 15);
}

/* 2 */
static void test_state(void)
{
	struct uapi_peer p = { 0 };

	CHECK(health_peer_state(&p, NOW, 180) == HEALTH_NEVER);
	CHECK(health_peer_state(&p, NOW, 0) == HEALTH_NEVER);
	p.last_handshake_sec = NOW - 180;
	CHECK(health_peer_state(&p, NOW, 180) == HEALTH_OK); /* age == max: fresh */
	CHECK(health_peer_state(&p, NOW, 179) == HEALTH_STALE);
	p.last_handshake_sec = NOW;
	CHECK(health_peer_state(&p, NOW, 0) == HEALTH_OK);
	CHECK(health_peer_state(&p, NOW + 1, 0) == HEALTH_STALE);
	CHECK_STR(health_state_name(HEALTH_OK), "ok");
	CHECK_STR(health_state_name(HEALTH_STALE), "stale");
	CHECK_STR(health_state_name(HEALTH_NEVER), "never");
	CHECK_STR(health_verdict_name(HEALTH_VERDICT_OK), "OK");
	CHECK_STR(health_verdict_name(HEALTH_VERDICT_WARNING), "WARNING");
	CHECK_STR(health_verdict_name(HEALTH_VERDICT_CRITICAL), "CRITICAL");
	CHECK_STR(health_verdict_name(HEALTH_VERDICT_UNKNOWN), "UNKNOWN");
	/* The plugin API's exit codes. */
	CHECK(HEALTH_VERDICT_OK == 0 && HEALTH_VERDICT_WARNING == 1 &&
	      HEALTH_VERDICT_CRITICAL == 2 && HEALTH_VERDICT_UNKNOWN == 3);
}

/* 3 */
static void test_interface_ok(void)
{
	/* Each with its negative control: the same device against another
	 * limit gives another verdict. */
	static const struct {
		int64_t ages[3], max_age;
		enum health_verdict v;
		size_t fresh, stale, never;
		int64_t oldest;
		const char *line;
		int64_t control_max;
		enum health_verdict control_v;
	} cases[] = {
		{ { 12, 180, -2 }, 180, HEALTH_VERDICT_OK, 2, 0, 0, 180,
		  "RAMPART OK - wg0: 2/2 peers fresh, oldest handshake 180 s | peers=2;;;0 "
		  "fresh=2;;;0;2 stale=0;;;0;2 never=0;;;0;2 oldest_handshake_age=180s;;180;0\n",
		  179, HEALTH_VERDICT_CRITICAL },
		/* Stale beats never: CRITICAL, not WARNING; with a generous
		 * limit only the one that never connected is left. */
		{ { 5, 181, -1 }, 180, HEALTH_VERDICT_CRITICAL, 1, 1, 1, 181,
		  "RAMPART CRITICAL - wg0: 1/2 peers stale (handshake older than 180 s), "
		  "1 never connected, oldest handshake 181 s | peers=3;;;0 fresh=1;;;0;3 "
		  "stale=1;;;0;3 never=1;;;0;3 oldest_handshake_age=181s;;180;0\n",
		  3600, HEALTH_VERDICT_WARNING },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct uapi_device *dev = device(cases[i].ages[0], cases[i].ages[1], cases[i].ages[2]);
		struct health_check c = run(dev, NULL, cases[i].max_age);

		expect(&c, cases[i].v, cases[i].fresh, cases[i].stale, cases[i].never,
		       cases[i].oldest);
		CHECK_STR(c.ifname, "wg0");
		check_line(&c, cases[i].line);
		c = run(dev, NULL, cases[i].control_max);
		CHECK_MSG(c.verdict == cases[i].control_v, "case %zu: control verdict %d", i,
			  c.verdict);
		uapi_device_free(dev);
	}
}

/* 4 */
static void test_interface_warning(void)
{
	/* Some never connected; none did (nothing is stale, nothing proves
	 * it works); no peers at all. */
	static const struct {
		int64_t a, b;
		size_t never;
		const char *line;
	} cases[] = {
		{ 30, -1, 1,
		  "RAMPART WARNING - wg0: 1/2 peers fresh, 1 never connected, oldest handshake 30 s "
		  "| peers=2;;;0 fresh=1;;;0;2 stale=0;;;0;2 never=1;;;0;2 "
		  "oldest_handshake_age=30s;;180;0\n" },
		{ -1, -1, 2,
		  "RAMPART WARNING - wg0: 0/2 peers fresh, 2 never connected | peers=2;;;0 "
		  "fresh=0;;;0;2 stale=0;;;0;2 never=2;;;0;2 oldest_handshake_age=U;;180;0\n" },
		{ -2, -2, 0,
		  "RAMPART WARNING - wg0: no peers | peers=0;;;0 fresh=0;;;0;0 stale=0;;;0;0 "
		  "never=0;;;0;0 oldest_handshake_age=U;;180;0\n" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct uapi_device *dev = device(cases[i].a, cases[i].b, -2);
		struct health_check c = run(dev, NULL, 180);

		expect(&c, HEALTH_VERDICT_WARNING, cases[i].a >= 0, 0, cases[i].never,
		       cases[i].a >= 0 ? cases[i].a : -1);
		check_line(&c, cases[i].line);
		uapi_device_free(dev);
	}
}

/* 5 */
static void test_interface_critical(void)
{
	/* max age 0: only a handshake of this very second is fresh. */
	struct uapi_device *dev = device(0, 1, -2);
	struct health_check c = run(dev, NULL, 0);

	expect(&c, HEALTH_VERDICT_CRITICAL, 1, 1, 0, 1);
	c = run(dev, NULL, 1);
	expect(&c, HEALTH_VERDICT_OK, 2, 0, 0, 1);
	uapi_device_free(dev);
}

/* 6 */
static void test_peer(void)
{
	struct uapi_device *dev = device(12, 500, -1);
	struct health_check c;

	c = run(dev, KEY_A, 180);
	CHECK(c.verdict == HEALTH_VERDICT_OK && c.found);
	CHECK(c.n_peers == 1 && c.oldest_age == 12);
	check_line(&c, "RAMPART OK - wg0 peer " KEY_A ": latest handshake 12 s ago (max 180 s) "
		       "| handshake_age=12s;;180;0\n");

	c = run(dev, KEY_B, 180);
	CHECK(c.verdict == HEALTH_VERDICT_CRITICAL && c.found);
	check_line(&c, "RAMPART CRITICAL - wg0 peer " KEY_B ": latest handshake 500 s ago, "
		       "older than 180 s | handshake_age=500s;;180;0\n");
	/* Negative control: the same peer within a larger limit. */
	c = run(dev, KEY_B, 500);
	CHECK(c.verdict == HEALTH_VERDICT_OK);

	/* Never connected: CRITICAL for a peer asked for by name, whatever
	 * the limit (the interface check says only WARNING for it). */
	c = run(dev, KEY_C, 180);
	CHECK(c.verdict == HEALTH_VERDICT_CRITICAL && c.found);
	CHECK(c.oldest_age == -1);
	check_line(&c, "RAMPART CRITICAL - wg0 peer " KEY_C ": no handshake yet "
		       "| handshake_age=U;;180;0\n");
	c = run(dev, KEY_C, HEALTH_AGE_MAX);
	CHECK(c.verdict == HEALTH_VERDICT_CRITICAL);

	c = run(dev, KEY_X, 180);
	CHECK(c.verdict == HEALTH_VERDICT_UNKNOWN && !c.found);
	CHECK(c.n_peers == 0);
	check_line(&c, "RAMPART UNKNOWN - wg0 peer " KEY_X ": no such peer\n");
	uapi_device_free(dev);
}

/* 7 */
static void test_reuse_and_name(void)
{
	struct uapi_device *dev = device(12, -2, -2);
	struct health_check c = { .max_age = 180 };

	/* A struct checked twice starts from zero each time. */
	health_check_device(&c, dev, NOW);
	health_check_device(&c, dev, NOW);
	CHECK(c.n_peers == 1 && c.n_fresh == 1);
	/* A name given by the caller wins over the device's. */
	snprintf(c.ifname, sizeof(c.ifname), "office");
	health_check_device(&c, dev, NOW);
	CHECK_STR(c.ifname, "office");
	/* The clock moves on: the same device goes stale without change. */
	health_check_device(&c, dev, NOW + 169);
	CHECK(c.verdict == HEALTH_VERDICT_CRITICAL && c.oldest_age == 181);
	uapi_device_free(dev);
}

static const struct harness_case cases[] = {
	{ "age: never, seconds, future, bounded", test_age },
	{ "state: ok at the limit, stale past it, never; names", test_state },
	{ "interface: all fresh is OK, one stale CRITICAL; controls", test_interface_ok },
	{ "interface: never connected or no peers is WARNING", test_interface_warning },
	{ "interface: max age 0 accepts only this second", test_interface_critical },
	{ "--peer: OK, CRITICAL stale or never, UNKNOWN missing", test_peer },
	{ "a check reused; the caller's name; the clock moving", test_reuse_and_name },
};

HARNESS_MAIN(cases)
