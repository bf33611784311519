/* src/daemon/privreq.c: the parent's request parser.  Every length from 0
 * to the largest request + 1 for every type, every type the parser does
 * not know (a sweep of the small numbers and the extremes), ports 0 and
 * 65536, a COMMIT_UDP use of 2 and a second TUN are refused and counted,
 * and none reaches an action (a fake that counts its calls); the valid
 * requests reach exactly their action with their values. */
#include "harness.h"

#include "daemon/privreq.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

struct fake {
	unsigned binds, commits, marks;
	uint16_t port;
	uint32_t fwmark;
	bool use;
};

static int fake_bind(void *arg, uint16_t port, uint32_t fwmark)
{
	struct fake *f = arg;
	f->binds++;
	f->port = port;
	f->fwmark = fwmark;
	return 0;
}

static int fake_commit(void *arg, bool use)
{
	struct fake *f = arg;
	f->commits++;
	f->use = use;
	return 0;
}

static int fake_mark(void *arg, uint32_t fwmark)
{
	struct fake *f = arg;
	f->marks++;
	f->fwmark = fwmark;
	return -EPERM; /* the action's result goes back as it is */
}

static struct fake fake;
static const struct privreq_actions acts = {
	.arg = &fake, .bind_udp = fake_bind, .commit_udp = fake_commit, .set_fwmark = fake_mark,
};

static unsigned long long refusals(const struct privreq_counters *c)
{
	unsigned long long n = 0;
	for (int i = 0; i < PRIVREQ_N_REFUSALS; i++)
		n += c->refused[i];
	return n;
}

static unsigned acted(void)
{
	return fake.binds + fake.commits + fake.marks;
}

/* A request of type whose datagram is len bytes and whose header says
 * hlen, bodies filled with valid values. */
static size_t make(uint8_t *buf, uint32_t type, uint32_t hlen, size_t len)
{
	struct privreq_wire w;

	memset(&w, 0, sizeof(w));
	w.h.type = type;
	w.h.len = hlen;
	w.body.bind.port = 51820;
	w.body.commit.use = 1;
	memset(buf, 0, sizeof(w) + 8);
	memcpy(buf, &w, len < sizeof(w) ? len : sizeof(w));
	return len;
}

static const uint32_t types[] = { PRIVREQ_BIND_UDP, PRIVREQ_COMMIT_UDP, PRIVREQ_SET_FWMARK,
				  PRIVREQ_OPEN_TUN };

static void test_lengths(void)
{
	struct privreq_counters c = { 0 };
	uint8_t buf[sizeof(struct privreq_wire) + 8];
	enum privreq_refusal why;
	unsigned long long expect = 0;

	memset(&fake, 0, sizeof(fake));
	for (size_t t = 0; t < ARRAY_SIZE(types); t++) {
		struct privreq_wire w;
		struct privreq r = { .type = types[t], .port = 1, .use = true };
		size_t right = privreq_build(&w, &r);

		for (size_t len = 0; len <= sizeof(struct privreq_wire) + 1; len++) {
			if (len == right)
				continue;
			/* The header says the datagram's length, and the
			 * type's right one: both refused. */
			make(buf, types[t], (uint32_t)len, len);
			CHECK(privreq_handle(buf, len, &acts, &c, &why) == -EINVAL);
			CHECK_MSG(why == (len < sizeof(struct privreq_header) ? PRIVREQ_SHORT
									     : PRIVREQ_BAD_LENGTH),
				  "type %u len %zu: %s", types[t], len, privreq_refusal_name(why));
			make(buf, types[t], (uint32_t)right, len);
			CHECK(privreq_handle(buf, len, &acts, &c, &why) == -EINVAL);
			CHECK(why != PRIVREQ_OK);
			expect += 2;
		}
		/* The right datagram length, a header that lies. */
		make(buf, types[t], (uint32_t)right + 1, right);
		CHECK(privreq_handle(buf, right, &acts, &c, &why) == -EINVAL);
		CHECK(why == PRIVREQ_BAD_LENGTH);
		expect++;
	}
	CHECK(refusals(&c) == expect);
	CHECK(c.accepted == 0);
	CHECK_MSG(acted() == 0, "%u refused requests were acted on", acted());
}

static void test_types(void)
{
	struct privreq_counters c = { 0 };
	uint8_t buf[sizeof(struct privreq_wire) + 8];
	enum privreq_refusal why;
	unsigned long long n = 0;
	uint32_t extremes[] = { 0, 5, 6, 255, 256, 0x7fffffff, 0x80000000, 0xffffffff };

	memset(&fake, 0, sizeof(fake));
	for (uint32_t type = 0; type < 1024 + ARRAY_SIZE(extremes); type++) {
		uint32_t t = type < 1024 ? type : extremes[type - 1024];
		if (t >= PRIVREQ_BIND_UDP && t <= PRIVREQ_OPEN_TUN)
			continue;
		/* Every plausible length: the type is refused before it. */
		for (size_t len = sizeof(struct privreq_header); len <= sizeof(struct privreq_wire);
		     len += 4) {
			make(buf, t, (uint32_t)len, len);
			CHECK(privreq_handle(buf, len, &acts, &c, &why) == -EINVAL);
			CHECK(why == PRIVREQ_UNKNOWN_TYPE);
			n++;
		}
	}
	CHECK(c.refused[PRIVREQ_UNKNOWN_TYPE] == n);
	CHECK(refusals(&c) == n);
	CHECK(acted() == 0);
}

static void test_values(void)
{
	struct privreq_counters c = { 0 };
	struct privreq_wire w;
	enum privreq_refusal why;
	struct privreq r = { .type = PRIVREQ_BIND_UDP };
	size_t len = privreq_build(&w, &r); /* port 0 */
	uint32_t bad[] = { 0, 65536, 0x10001, 0xffffffff };

	memset(&fake, 0, sizeof(fake));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		w.body.bind.port = bad[i];
		CHECK(privreq_handle(&w, len, &acts, &c, &why) == -EINVAL);
		CHECK_MSG(why == PRIVREQ_BAD_PORT, "port %u: %s", bad[i], privreq_refusal_name(why));
	}
	r = (struct privreq){ .type = PRIVREQ_COMMIT_UDP };
	len = privreq_build(&w, &r);
	w.body.commit.use = 2;
	CHECK(privreq_handle(&w, len, &acts, &c, &why) == -EINVAL && why == PRIVREQ_BAD_VALUE);
	r = (struct privreq){ .type = PRIVREQ_OPEN_TUN };
	len = privreq_build(&w, &r);
	memcpy(w.body.tun.ifname, "wg1", 4);
	CHECK(privreq_handle(&w, len, &acts, &c, &why) == -EINVAL && why == PRIVREQ_SECOND_TUN);
	CHECK(c.refused[PRIVREQ_BAD_PORT] == ARRAY_SIZE(bad));
	CHECK(c.refused[PRIVREQ_BAD_VALUE] == 1);
	CHECK(c.refused[PRIVREQ_SECOND_TUN] == 1);
	CHECK(refusals(&c) == ARRAY_SIZE(bad) + 2);
	CHECK(c.accepted == 0);
	CHECK(acted() == 0);
}

static void test_valid(void)
{
	struct privreq_counters c = { 0 };
	struct privreq_wire w;
	enum privreq_refusal why;
	struct privreq r;
	size_t len;

	memset(&fake, 0, sizeof(fake));
	r = (struct privreq){ .type = PRIVREQ_BIND_UDP, .port = 1, .fwmark = 0x42 };
	len = privreq_build(&w, &r);
	CHECK(len == sizeof(struct privreq_header) + sizeof(struct privreq_bind_udp));
	CHECK(privreq_handle(&w, len, &acts, &c, &why) == 0 && why == PRIVREQ_OK);
	CHECK(fake.binds == 1 && fake.port == 1 && fake.fwmark == 0x42);
	r.port = 65535;
	len = privreq_build(&w, &r);
	CHECK(privreq_handle(&w, len, &acts, &c, &why) == 0);
	CHECK(fake.binds == 2 && fake.port == 65535);
	r = (struct privreq){ .type = PRIVREQ_COMMIT_UDP, .use = false };
	len = privreq_build(&w, &r);
	fake.use = true;
	CHECK(privreq_handle(&w, len, &acts, &c, &why) == 0);
	CHECK(fake.commits == 1 && !fake.use);
	r = (struct privreq){ .type = PRIVREQ_SET_FWMARK, .fwmark = 0xffffffff };
	len = privreq_build(&w, &r);
	CHECK(privreq_handle(&w, len, &acts, &c, &why) == -EPERM && why == PRIVREQ_OK);
	CHECK(fake.marks == 1 && fake.fwmark == 0xffffffff);
	CHECK(c.accepted == 4);
	CHECK(refusals(&c) == 0);
}

static const struct harness_case cases[] = {
	{ "every wrong length of every type is refused, counted, not acted on", test_lengths },
	{ "every unknown type is refused, counted, not acted on", test_types },
	{ "ports 0 and 65536, a bad use, a second TUN: refused, counted", test_values },
	{ "the valid requests reach their action with their values", test_valid },
};

HARNESS_MAIN(cases)
