/* The panic renderer (src/firewall/panic.c): exact text, known answers,
 * and a negative control (nothing but SSH, loopback and ND). */
#define _GNU_SOURCE
#include "harness.h"

#include "common/netaddr.h"
#include "common/textbuf.h"
#include "firewall/firewall.h"

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

static const struct harness_case cases[] = {
	{ "panic_render_minimal", test_panic_render_minimal },
	{ "panic_render_from_and_session", test_panic_render_from_and_session },
};

HARNESS_MAIN(cases)
