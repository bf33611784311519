/* What the live ruleset does with a packet (audit/verdict.c), against
 * listings nft itself printed (tests/golden/audit/README): Rampart's hub
 * policy, and a ruleset of jumps, gotos, returns, sets and two tables on
 * one hook.  Each verdict is also what nft's own evaluation gives: the
 * expectations were worked out from nft's rules (a drop is final, an
 * accept only for its base chain), not from the code. */
#include "harness.h"

#include "audit/ruleset.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static struct audit_ruleset *load(const char *path)
{
	struct error err = { 0 };
	struct audit_ruleset *rs = NULL;
	size_t len = 0;
	char *text = harness_slurp(path, &len);

	CHECK(text != NULL);
	if (!text)
		return NULL;
	CHECK_MSG(audit_ruleset_parse(text, len, &rs, &err) == 0, "%s", err.msg);
	free(text);
	return rs;
}

/* The verdict for a new packet on hook from iif to dport, from any
 * source unless saddr is given; where it was decided in *where. */
static bool passes(const struct audit_ruleset *rs, const char *hook, const char *iif,
		   const char *oif, const char *saddr, uint8_t proto, uint16_t dport,
		   char *where, size_t size)
{
	struct audit_pkt p = { .ipv4 = true, .iif = iif, .oif = oif, .any_source = true,
			       .l4proto = proto, .dport = dport };
	struct audit_verdict v;
	const char *why;

	if (saddr) {
		CHECK(netaddr_parse_ip(&p.saddr, saddr, &why));
		p.any_source = false;
		p.ipv4 = p.saddr.family == AF_INET;
	}
	audit_ruleset_verdict(rs, hook, &p, &v);
	audit_verdict_where(&v, hook, where, size);
	return v.accept;
}

static void test_hub_input(void)
{
	struct audit_ruleset *rs = load("tests/golden/audit/hub_ruleset.json");
	char w[256];

	if (!rs)
		return;
	CHECK(passes(rs, "input", "eth0", NULL, NULL, IPPROTO_UDP, 51820, w, sizeof(w)));
	CHECK_MSG(strstr(w, "rampart-wg0 input rule") && strstr(w, "WireGuard"), "%s", w);
	/* SSH only from management and the tunnel. */
	CHECK(!passes(rs, "input", "eth0", NULL, NULL, IPPROTO_TCP, 22, w, sizeof(w)));
	CHECK_MSG(strstr(w, "input policy drop"), "%s", w);
	CHECK(passes(rs, "input", "eth0", NULL, "198.51.100.7", IPPROTO_TCP, 22, w, sizeof(w)));
	CHECK_MSG(strstr(w, "SSH from management"), "%s", w);
	CHECK(!passes(rs, "input", "eth0", NULL, "198.51.100.8", IPPROTO_TCP, 22, w, sizeof(w)));
	CHECK(passes(rs, "input", "eth0", NULL, "2001:db8:100::5", IPPROTO_TCP, 22, w, sizeof(w)));
	CHECK(!passes(rs, "input", "eth0", NULL, "2001:db8:200::5", IPPROTO_TCP, 22, w, sizeof(w)));
	CHECK(passes(rs, "input", "wg0", NULL, NULL, IPPROTO_TCP, 22, w, sizeof(w)));
	/* A service for the peers only. */
	CHECK(passes(rs, "input", "wg0", NULL, NULL, IPPROTO_UDP, 53, w, sizeof(w)));
	CHECK(!passes(rs, "input", "eth0", NULL, NULL, IPPROTO_UDP, 53, w, sizeof(w)));
	CHECK(!passes(rs, "input", "eth0", NULL, NULL, IPPROTO_TCP, 8080, w, sizeof(w)));
	CHECK(passes(rs, "input", "lo", NULL, NULL, IPPROTO_TCP, 8080, w, sizeof(w)));
	audit_ruleset_free(rs);
}

static void test_hub_forward(void)
{
	struct audit_ruleset *rs = load("tests/golden/audit/hub_ruleset.json");
	char w[256];

	if (!rs)
		return;
	/* The egress peer out to the WAN; nobody else, and nothing from the
	 * WAN to the WAN. */
	CHECK(passes(rs, "forward", "wg0", "eth0", "10.8.0.2", IPPROTO_TCP, 80, w, sizeof(w)));
	CHECK_MSG(strstr(w, "Egress"), "%s", w);
	CHECK(!passes(rs, "forward", "wg0", "eth0", "10.8.0.3", IPPROTO_TCP, 80, w, sizeof(w)));
	CHECK(!passes(rs, "forward", "eth0", "eth0", NULL, IPPROTO_TCP, 80, w, sizeof(w)));
	CHECK_MSG(strstr(w, "forward policy drop"), "%s", w);
	/* No output chain: nothing filters it. */
	CHECK(passes(rs, "output", NULL, "eth0", NULL, IPPROTO_TCP, 80, w, sizeof(w)));
	CHECK_MSG(!strcmp(w, "no output chain filters it"), "%s", w);
	audit_ruleset_free(rs);
}

static void test_jumps(void)
{
	struct audit_ruleset *rs = load("tests/golden/audit/jumps_ruleset.json");
	char w[256];

	if (!rs)
		return;
	CHECK(passes(rs, "input", "eth0", NULL, NULL, IPPROTO_TCP, 443, w, sizeof(w)));
	CHECK_MSG(strstr(w, "inet a web rule"), "%s", w);
	/* Back from web with return: the end of input, its policy. */
	CHECK(!passes(rs, "input", "eth0", NULL, NULL, IPPROTO_TCP, 80, w, sizeof(w)));
	CHECK_MSG(strstr(w, "inet a input policy drop"), "%s", w);
	CHECK(!passes(rs, "input", "eth0", NULL, NULL, IPPROTO_UDP, 6005, w, sizeof(w)));
	CHECK_MSG(strstr(w, "inet a games rule"), "%s", w);
	CHECK(passes(rs, "input", "eth0", NULL, NULL, IPPROTO_UDP, 6001, w, sizeof(w)));
	CHECK(!passes(rs, "input", "eth0", NULL, NULL, IPPROTO_UDP, 6011, w, sizeof(w)));
	/* The ip table runs first (priority -10) and its drop is final,
	 * whatever inet a would say. */
	CHECK(!passes(rs, "input", "wg0", NULL, NULL, IPPROTO_TCP, 2222, w, sizeof(w)));
	CHECK_MSG(strstr(w, "ip b input rule"), "%s", w);
	/* A jump to a chain that returns at once: on to the next rule, none. */
	CHECK(!passes(rs, "input", "eth0", NULL, NULL, IPPROTO_TCP, 3333, w, sizeof(w)));
	/* Not from eth0: accepted by both tables. */
	CHECK(passes(rs, "input", "wg0", NULL, NULL, IPPROTO_TCP, 80, w, sizeof(w)));
	CHECK_MSG(strstr(w, "inet a input rule"), "%s", w);
	/* IPv6: table ip b does not see it. */
	{
		struct audit_pkt p = { .ipv4 = false, .iif = "wg0", .any_source = true,
				       .l4proto = IPPROTO_TCP, .dport = 2222 };
		struct audit_verdict v;

		audit_ruleset_verdict(rs, "input", &p, &v);
		CHECK(v.accept && v.chain && !strcmp(v.chain->table, "a"));
	}
	audit_ruleset_free(rs);
}

static void test_empty(void)
{
	struct error err = { 0 };
	struct audit_ruleset *rs = NULL;
	char w[64];

	CHECK(audit_ruleset_parse("", 0, &rs, &err) == 0 && rs);
	if (!rs)
		return;
	CHECK(passes(rs, "input", "eth0", NULL, NULL, IPPROTO_TCP, 22, w, sizeof(w)));
	CHECK(!strcmp(w, "no input chain filters it"));
	audit_ruleset_free(rs);
}

/* iptables-nft writes matches it cannot express natively as "xt"
 * statements (this one as nft -j prints `-m multiport --dports 80,443
 * -j ACCEPT`): unreadable, so the rule does not apply, and the policy
 * decides. */
static void test_xt_match(void)
{
	static const char json[] =
		"{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"filter\"}},"
		" {\"chain\": {\"family\": \"ip\", \"table\": \"filter\", \"name\": \"INPUT\","
		" \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}},"
		" {\"rule\": {\"family\": \"ip\", \"table\": \"filter\", \"chain\": \"INPUT\","
		" \"handle\": 2, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\":"
		" {\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 8080}},"
		" {\"xt\": {\"type\": \"match\", \"name\": \"multiport\"}}, {\"accept\": null}]}}]}";
	struct error err = { 0 };
	struct audit_ruleset *rs = NULL;
	char w[128];

	CHECK_MSG(audit_ruleset_parse(json, strlen(json), &rs, &err) == 0, "%s", err.msg);
	if (!rs)
		return;
	CHECK(!passes(rs, "input", "eth0", NULL, NULL, IPPROTO_TCP, 8080, w, sizeof(w)));
	CHECK_MSG(strstr(w, "INPUT policy drop"), "%s", w);
	audit_ruleset_free(rs);
}

static const struct harness_case cases[] = {
	{ "an iptables-nft xt match keeps its rule from applying", test_xt_match },
	{ "hub policy: input from the WAN and the tunnel", test_hub_input },
	{ "hub policy: forward and a hook without chains", test_hub_forward },
	{ "jumps, gotos, returns, sets, two tables on a hook", test_jumps },
	{ "an empty ruleset filters nothing", test_empty },
};

HARNESS_MAIN(cases)
