/* The SSH_CONNECTION parser (src/firewall/session.c): accepted forms and
 * negative controls. */
#define _GNU_SOURCE
#include "harness.h"

#include "common/netaddr.h"
#include "firewall/firewall.h"

#include <arpa/inet.h>

#include <errno.h>
#include <string.h>

static void test_ssh_connection_ok(void)
{
	struct netaddr c;
	uint16_t port = 0;
	char ip[NETADDR_IP_STRLEN];

	CHECK(firewall_parse_ssh_connection("192.0.2.1 51234 192.0.2.2 22", &c, &port));
	CHECK_STR(netaddr_format_ip(ip, &c), "192.0.2.1");
	CHECK(port == 22);
	CHECK(firewall_parse_ssh_connection("fe80::1%eth0 40000 fe80::2%eth0 2222", &c, &port));
	CHECK(c.family == AF_INET6);
	CHECK_STR(netaddr_format_ip(ip, &c), "fe80::1");
	CHECK(port == 2222);
	CHECK(firewall_parse_ssh_connection("::ffff:203.0.113.5 1 2001:db8::2 22", &c, &port));
	CHECK(c.family == AF_INET);
	CHECK_STR(netaddr_format_ip(ip, &c), "203.0.113.5");
}

static void test_ssh_connection_bad(void)
{
	static const char *const bad[] = {
		"", "192.0.2.1 51234 192.0.2.2", "192.0.2.1 51234 192.0.2.2 22 9",
		"192.0.2.1 51234 192.0.2.2 0", "192.0.2.1 0 192.0.2.2 22",
		"192.0.2.1 51234 192.0.2.2 65536", "host 51234 192.0.2.2 22",
		"192.0.2.1 x 192.0.2.2 22", "192.0.2.1/24 1 192.0.2.2 22",
	};
	struct netaddr c = { .family = 99 };
	uint16_t port = 7;

	CHECK(!firewall_parse_ssh_connection(NULL, &c, &port));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(!firewall_parse_ssh_connection(bad[i], &c, &port), "accepted \"%s\"", bad[i]);
	/* outputs untouched */
	CHECK(c.family == 99 && port == 7);
}

static const struct harness_case cases[] = {
	{ "ssh_connection_ok", test_ssh_connection_ok },
	{ "ssh_connection_bad", test_ssh_connection_bad },
};

HARNESS_MAIN(cases)
