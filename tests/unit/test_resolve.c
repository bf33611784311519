/* sys/resolve: names and literals through the C library's resolver, with
 * only /etc/hosts' names (localhost) and literals, so no network is
 * needed; a name under .invalid never resolves (RFC 6761). */
#include "harness.h"

#include "sys/resolve.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

struct seen {
	unsigned n, v4_loopback, v6_loopback, stop_after;
};

static int count(void *arg, const struct netaddr *a)
{
	struct seen *s = arg;
	struct netaddr lo4, lo6;
	const char *why;

	CHECK(netaddr_parse_ip(&lo4, "127.0.0.1", &why) && netaddr_parse_ip(&lo6, "::1", &why));
	s->n++;
	s->v4_loopback += netaddr_equal(a, &lo4);
	s->v6_loopback += netaddr_equal(a, &lo6);
	return s->stop_after && s->n == s->stop_after ? -E2BIG : 0;
}

static void test_each(void)
{
	struct seen s = { 0 };
	struct error err = { 0 };

	CHECK(resolve_each("localhost", 51820, count, &s, &err) == 0);
	CHECK(s.n >= 1 && s.v4_loopback + s.v6_loopback >= 1);
	memset(&s, 0, sizeof(s));
	CHECK(resolve_each("192.0.2.7", 1, count, &s, &err) == 0);
	CHECK(s.n == 1 && !s.v4_loopback);
	/* What the callback says ends the walk. */
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	CHECK(resolve_each("localhost", 1, count, &s, &err) == -E2BIG);
	CHECK(s.n == 1);
	/* A name that does not resolve: the resolver's reason. */
	CHECK(resolve_each("no-such-host.invalid", 1, count, &s, &err) == -EHOSTUNREACH);
	CHECK(err.code == -EHOSTUNREACH && err.msg[0]);
}

static unsigned waits;

static void on_wait(void *arg, const char *reason, double secs)
{
	(void)arg;
	(void)reason;
	(void)secs;
	waits++;
}

static void test_first(void)
{
	struct netaddr_endpoint in, out;
	struct error err = { 0 };
	char buf[NETADDR_ENDPOINT_STRLEN];
	const char *why;

	CHECK(netaddr_parse_endpoint(&in, "localhost:51820", &why) && !in.literal);
	CHECK(resolve_first(&in, 0, on_wait, NULL, "localhost:51820", &out, &err) == 0);
	CHECK(out.literal && out.port == 51820);
	netaddr_format_endpoint(buf, &out);
	CHECK_MSG(!strcmp(buf, "127.0.0.1:51820") || !strcmp(buf, "[::1]:51820"), "%s", buf);

	/* A literal with its zone comes back as it went in. */
	CHECK(netaddr_parse_endpoint(&in, "[fe80::1%lo]:7", &why) && in.literal);
	CHECK(resolve_first(&in, 0, on_wait, NULL, "x", &out, &err) == 0);
	CHECK_STR(netaddr_format_endpoint(buf, &out), "[fe80::1%lo]:7");

	/* A name that does not exist fails at once (retries 0: no wait),
	 * named as the caller shows it. */
	waits = 0;
	CHECK(netaddr_parse_endpoint(&in, "no-such-host.invalid:1", &why));
	CHECK(resolve_first(&in, 0, on_wait, NULL, "SHOWN", &out, &err) == -EHOSTUNREACH);
	CHECK(strstr(err.msg, ": `SHOWN'") != NULL);
	CHECK(waits == 0);
}

static const struct harness_case cases[] = {
	{ "every address of a name or literal", test_each },
	{ "the first answer, numeric, as wg(8) takes it", test_first },
};

HARNESS_MAIN(cases)
