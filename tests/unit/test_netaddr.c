/* The field parsers of common/netaddr that config files, argv and the
 * control socket share: prefixes, addresses, ports, fwmarks, keepalives,
 * MTUs and host names, with their edge cases. */
#include "harness.h"

#include "common/netaddr.h"

#include <stdint.h>

static void test_field_parsers(void)
{
	struct netaddr_prefix p;
	struct netaddr a;
	const char *why;
	uint32_t u32;
	uint16_t u16;
	char buf[NETADDR_PREFIX_STRLEN];

	CHECK(netaddr_parse_prefix(&p, "10.1.2.3", &why) && p.cidr == 32);
	CHECK(netaddr_parse_prefix(&p, "::", &why) && p.cidr == 128);
	CHECK(netaddr_parse_prefix(&p, "0.0.0.0/0", &why) && p.cidr == 0);
	CHECK(netaddr_parse_prefix(&p, "10.0.0.0/008", &why) && p.cidr == 8);
	CHECK(netaddr_parse_prefix(&p, "2001:DB8::0:1/64", &why));
	CHECK_STR(netaddr_format_prefix(buf, &p), "2001:db8::1/64");
	CHECK(netaddr_parse_prefix(&p, "::ffff:10.0.0.1/128", &why));
	CHECK_STR(netaddr_format_prefix(buf, &p), "::ffff:10.0.0.1/128");
	CHECK(!netaddr_parse_prefix(&p, "10.0.0.1/-1", &why));
	CHECK(!netaddr_parse_prefix(&p, "10.0.0.1/+8", &why));
	CHECK(!netaddr_parse_prefix(&p, "10.0.0.1/8/8", &why));
	CHECK(!netaddr_parse_prefix(&p, "010.0.0.1/8", &why));
	CHECK(!netaddr_parse_prefix(&p, "10.0.0/8", &why));
	CHECK(!netaddr_parse_prefix(&p, "/8", &why));
	CHECK(!netaddr_parse_prefix(&p, "10.0.0.1/99999999999999999999", &why));
	CHECK(!netaddr_parse_ip(&a, "1.2.3.4 ", &why));

	CHECK(netaddr_parse_port(&u16, "0", &why) && u16 == 0);
	CHECK(netaddr_parse_port(&u16, "65535", &why) && u16 == 65535);
	CHECK(!netaddr_parse_port(&u16, "", &why));
	CHECK(!netaddr_parse_port(&u16, "+1", &why));
	CHECK(!netaddr_parse_port(&u16, "0x10", &why));
	CHECK(!netaddr_parse_port(&u16, "99999999999999999999999", &why));

	CHECK(netaddr_parse_fwmark(&u32, "OFF", &why) && u32 == 0);
	CHECK(netaddr_parse_fwmark(&u32, "0x0", &why) && u32 == 0);
	CHECK(netaddr_parse_fwmark(&u32, "4294967295", &why) && u32 == 0xffffffff);
	CHECK(!netaddr_parse_fwmark(&u32, "4294967296", &why));
	CHECK(!netaddr_parse_fwmark(&u32, "0x", &why));
	CHECK(!netaddr_parse_fwmark(&u32, "0xg", &why));
	CHECK(!netaddr_parse_fwmark(&u32, "1.5", &why));

	CHECK(netaddr_parse_keepalive(&u16, "Off", &why) && u16 == 0);
	CHECK(netaddr_parse_keepalive(&u16, "65535", &why) && u16 == 65535);
	CHECK(!netaddr_parse_keepalive(&u16, "65536", &why));

	CHECK(netaddr_parse_mtu(&u32, "68", &why) && u32 == 68);
	CHECK(netaddr_parse_mtu(&u32, "65535", &why) && u32 == 65535);
	CHECK(!netaddr_parse_mtu(&u32, "65536", &why));

	CHECK(netaddr_valid_hostname("example.com.", &why));
	CHECK(netaddr_valid_hostname("xn--bcher-kva.example", &why));
	CHECK(!netaddr_valid_hostname("example.com..", &why));
	CHECK(!netaddr_valid_hostname("ex ample.com", &why));
	CHECK(!netaddr_valid_hostname("10.0.0.1", &why));
}

static const struct harness_case cases[] = {
	{ "field parsers", test_field_parsers },
};

HARNESS_MAIN(cases)
