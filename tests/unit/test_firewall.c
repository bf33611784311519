/* The pure parts of the firewall module that only the namespace scripts
 * reached before: the panic renderer (exact text, known answers) and the
 * SSH_CONNECTION parser (accepted forms and negative controls). */
#define _GNU_SOURCE
#include "harness.h"

#include "common/netaddr.h"
#include "common/textbuf.h"
#include "firewall/firewall.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static void test_panic_render_minimal(void)
{
	struct firewall_panic p = { .ssh_port = 22 };
	struct textbuf b = { 0 };

	firewall_panic_render(&b, &p);
	CHECK(!b.err);
	CHECK_STR(b.buf,
		  "add table inet rampart-panic\ndelete table inet rampart-panic\n"
		  "table inet rampart-panic {\n"
		  "\tchain input {\n\t\ttype filter hook input priority -200; policy drop;\n"
		  "\t\tiif \"lo\" accept\n"
		  "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-advert }"
		  " ip6 hoplimit 255 accept\n\t}\n"
		  "\tchain forward {\n\t\ttype filter hook forward priority -200; policy drop;\n\t}\n"
		  "\tchain output {\n\t\ttype filter hook output priority -200; policy drop;\n"
		  "\t\toif \"lo\" accept\n"
		  "\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert }"
		  " ip6 hoplimit 255 accept\n\t}\n"
		  "}\n");
	textbuf_wipe(&b);
}

static void test_panic_render_from_and_session(void)
{
	struct netaddr_prefix from[2];
	struct firewall_panic p = { .ssh_from = from, .n_ssh_from = 2, .ssh_port = 2222,
				    .session = true, .session_port = 22 };
	struct textbuf b = { 0 };
	const char *why;

	CHECK(netaddr_parse_prefix(&from[0], "192.0.2.77/24", &why));
	CHECK(netaddr_parse_prefix(&from[1], "2001:db8::1/32", &why));
	CHECK(netaddr_parse_ip(&p.session_client, "198.51.100.9", &why));
	firewall_panic_render(&b, &p);
	CHECK(!b.err);
	/* host bits cleared; the session before the prefixes */
	CHECK(strstr(b.buf, "\t\tiif \"lo\" accept\n"
		     "\t\tip saddr 198.51.100.9 tcp dport 22 accept comment \"this SSH session\"\n"
		     "\t\tip saddr 192.0.2.0/24 tcp dport 2222 accept\n"
		     "\t\tip6 saddr 2001:db8::/32 tcp dport 2222 accept\n") != NULL);
	CHECK(strstr(b.buf, "\t\toif \"lo\" accept\n"
		     "\t\tip daddr 198.51.100.9 tcp sport 22 accept comment \"this SSH session\"\n"
		     "\t\tip daddr 192.0.2.0/24 tcp sport 2222 ct state established accept\n"
		     "\t\tip6 daddr 2001:db8::/32 tcp sport 2222 ct state established accept\n")
	      != NULL);
	/* negative control: nothing but SSH, loopback and ND */
	CHECK(strstr(b.buf, "192.0.2.77") == NULL);
	CHECK(strstr(b.buf, "udp") == NULL);
	CHECK(strstr(b.buf, " accept comment") != NULL);
	textbuf_wipe(&b);
}

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

static void test_scope_ok(void)
{
	static const char *const ok[] = {
		"add table inet rampart-wg0\ndelete table inet rampart-wg0\n",
		"table inet rampart-wg0 {\n\tchain input {\n\t\tip saddr 1.2.3.4 accept\n\t}\n}\n",
		"define X = 1\nadd rule inet rampart-wg0 input accept; flush chain inet rampart-wg0 in\n",
		"# table ip nat\nadd ct helper inet rampart-wg0 h { type \"ftp\" protocol tcp; }\n",
	};
	char err[FIREWALL_ERROR_STRLEN];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		CHECK_MSG(firewall_check_scope(ok[i], "rampart-wg0", err, sizeof(err)) == 0,
			  "refused %zu: %s", i, err);
}

static void test_scope_bad(void)
{
	static const struct { const char *batch, *msg; } bad[] = {
		{ "add table inet rampart-wg0\nadd table ip nat\n",
		  "line 2: \"ip nat\" is not table inet rampart-wg0; a Rampart batch touches no "
		  "other table" },
		{ "flush ruleset\n",
		  "line 1: \"flush ruleset\" is not confined to table inet rampart-wg0; a Rampart "
		  "batch touches no other table" },
		{ "add rule rampart-wg0 input accept\n",
		  "line 1: \"add rule\" names no family: write \"inet rampart-wg0\" (a Rampart "
		  "batch touches no other table)" },
		{ "include \"/etc/x\"\n",
		  "line 1: \"include\" is not confined to table inet rampart-wg0; a "
		  "Rampart batch touches no other table" },
		{ "table inet rampart-wg1 {\n}\n",
		  "line 1: \"inet rampart-wg1\" is not table inet rampart-wg0; a Rampart batch "
		  "touches no other table" },
	};
	char err[FIREWALL_ERROR_STRLEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CHECK(firewall_check_scope(bad[i].batch, "rampart-wg0", err, sizeof(err)) == -EINVAL);
		CHECK_STR(err, bad[i].msg);
	}
}

static const struct harness_case cases[] = {
	{ "scope_ok", test_scope_ok },
	{ "scope_bad", test_scope_bad },
	{ "panic_render_minimal", test_panic_render_minimal },
	{ "panic_render_from_and_session", test_panic_render_from_and_session },
	{ "ssh_connection_ok", test_ssh_connection_ok },
	{ "ssh_connection_bad", test_ssh_connection_bad },
};

HARNESS_MAIN(cases)
