/* The routing and firewall checks (audit/fwchecks.c) over fixture
 * trees: each where it fires and where it does not.  The live rulesets
 * are listings nft itself printed (tests/golden/audit/README): Rampart's
 * hub and client policies as rendered, and the same with the mistakes
 * planted by hand; the host's state is files under the tree's proc/. */
#include "audit_fixture.h"

#include "firewall/policykeys.h"

/* An IPv4 default route through eth0, as /proc/net/route lists it. */
#define ROUTE4                                                                        \
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" \
	"eth0\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"                  \
	"eth0\t0002A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n"
/* A global (scope 00) and a link-local (scope 20) address on eth0. */
#define IF6                                                                     \
	"20010db8000000000000000000000005 02 40 00 80     eth0\n"                   \
	"fe800000000000000000000000000001 02 40 20 80     eth0\n"                   \
	"00000000000000000000000000000001 01 80 10 80       lo\n"

static char *live_text;

/* The fixture's ruleset source answers with the listing in path (until
 * the next call). */
static void live(const char *path)
{
	size_t len = 0;

	free(live_text);
	live_text = harness_slurp(path, &len);
	CHECK(live_text != NULL);
	fixture_ruleset = live_text;
}

/* tests/golden/policy/NAME.conf as wg0.conf, with extra [Policy] lines
 * (NULL: none) after its [Policy] header, or a new section. */
static void config(const char *name, const char *policy_lines)
{
	char path[128], *text, *out;
	const char *sec;
	size_t len = 0, at;

	CHECK(policykeys_register() == 0);
	snprintf(path, sizeof(path), "tests/golden/policy/%s.conf", name);
	text = harness_slurp(path, &len);
	CHECK(text != NULL);
	if (!text)
		return;
	if (!policy_lines)
		policy_lines = "";
	sec = strstr(text, "[Policy]\n");
	at = sec ? (size_t)(sec - text) + 9 : len;
	out = malloc(len + strlen(policy_lines) + 16);
	CHECK(out != NULL);
	if (out) {
		sprintf(out, "%.*s%s%s%s", (int)at, text, sec ? "" : "\n[Policy]\n", policy_lines,
			text + at);
		put("wg0.conf", out, 0600);
	}
	free(out);
	free(text);
}

static void forwarding(const char *v4, const char *v6)
{
	if (v4)
		put_file("proc/sys/net/ipv4/ip_forward", v4, 0644);
	if (v6)
		put_file("proc/sys/net/ipv6/conf/all/forwarding", v6, 0644);
}

/* Every finding of the run, for the cases that look at more than a
 * count; release with audit_list_free(). */
static void run(struct audit_list *l)
{
	struct error err = { 0 };
	struct audit_iface *ifs = NULL;
	struct audit_facts *f = audit_facts_open(root, &err);
	size_t n = 0;

	memset(l, 0, sizeof(*l));
	CHECK(f != NULL);
	if (!f)
		return;
	audit_facts_set_sources(f, &fixture_sources);
	CHECK_MSG(audit_load(f, NULL, 0, &ifs, &n, &err) == 0, "%s", err.msg);
	CHECK_MSG(audit_run(f, ifs, n, l, &err) == 0, "%s", err.msg);
	audit_ifaces_free(ifs, n);
	audit_facts_close(f);
}

static const struct audit_finding *first(const struct audit_list *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return &l->v[i];
	return NULL;
}

/* The firewall.* ids of a run, space-separated, each once, in order. */
static void fw_ids(char *buf, size_t size)
{
	struct audit_list l;

	buf[0] = '\0';
	run(&l);
	for (size_t i = 0; i < l.n; i++) {
		size_t len = strlen(buf);

		if (strncmp(l.v[i].id, "firewall.", 9) || strstr(buf, l.v[i].id))
			continue;
		snprintf(buf + len, size - len, "%s%s", len ? " " : "", l.v[i].id);
	}
	audit_list_free(&l);
}

/* A hub as the netns test brings it up: Rampart's policy, both
 * forwardings on, a default route and a global IPv6 address. */
static void hub_host(const char *ruleset)
{
	tree();
	config("hub", NULL);
	forwarding("1\n", "1\n");
	put_file("proc/net/route", ROUTE4, 0444);
	put_file("proc/net/if_inet6", IF6, 0444);
	live(ruleset);
}

static void test_forward_open(void)
{
	struct audit_list l;
	const struct audit_finding *a;
	int sev = -1;

	hub_host("tests/golden/audit/hub_ruleset.json");
	CHECK(audit_count("firewall.forward_open", NULL) == 0);
	live("tests/golden/audit/fw_forward_open_ruleset.json");
	/* WAN to WAN, and the phone (no Egress) out to the WAN, per family. */
	CHECK(audit_count("firewall.forward_open", &sev) == 4);
	CHECK(sev == AUDIT_CRITICAL);
	run(&l);
	a = first(&l, "firewall.forward_open");
	CHECK(a && strstr(a->evidence, "/proc/sys/net/ipv4/ip_forward = 1"));
	CHECK_MSG(a && strstr(a->evidence, "rule handle 60 (\"by hand\")"), "%s", a ? a->evidence : "");
	CHECK_MSG(a && strstr(a->fix, "nft delete rule inet rampart-wg0 forward handle 60"), "%s",
		  a ? a->fix : "");
	audit_list_free(&l);
	/* Forwarding off: nothing is routed, whatever the chain says. */
	forwarding("0\n", "0\n");
	CHECK(audit_count("firewall.forward_open", NULL) == 0);
	/* No ruleset to judge. */
	forwarding("1\n", "1\n");
	fixture_ruleset = NULL;
	CHECK(audit_count("firewall.forward_open", NULL) == 0);
	cleanup();
}

/* A peer claiming the Egress peer's address: the hub's allowance for that
 * address is the Egress peer's, so only the overlap is reported, not a
 * forward or NAT hole for the other peer (a planted mistake of
 * tests/netns/audit_hub.sh). */
static void test_egress_address_shared(void)
{
	char *text, *two;
	size_t len = 0;
	const char *from = "AllowedIPs = 10.8.0.3/32, fd08::3/128";

	hub_host("tests/golden/audit/hub_ruleset.json");
	text = harness_slurp("tests/golden/policy/hub.conf", &len);
	CHECK(text && strstr(text, from));
	if (!text || !strstr(text, from)) {
		free(text);
		cleanup();
		return;
	}
	two = strdup(text);
	CHECK(two != NULL);
	if (two) {
		memcpy(two + (strstr(text, from) - text), "AllowedIPs = 10.8.0.2/32, fd08::2/128",
		       strlen(from));
		put("wg0.conf", two, 0600);
		CHECK(audit_count("peers.allowed_ips_overlap", NULL) == 1);
		CHECK(audit_count("firewall.forward_open", NULL) == 0);
		CHECK(audit_count("firewall.nat_split_tunnel", NULL) == 0);
	}
	free(two);
	free(text);
	cleanup();
}

static void test_forward_open_tunnel(void)
{
	struct audit_list l;
	const struct audit_finding *a;

	/* fw_plain forwards wg0 -> eth0 only for the laptop (Egress). */
	hub_host("tests/golden/audit/fw_plain_ruleset.json");
	forwarding("1\n", "0\n");
	CHECK(audit_count("firewall.forward_open", NULL) == 0);
	/* The laptop without Egress: its forward rule now lets a peer out
	 * that the policy does not. */
	cleanup();
	tree();
	put("wg0.conf",
	    "[Interface]\nPrivateKey = AD0WjyAB7J6fRMdjxxOR9adiwCsOw3qZ9aUm2uHCAUA=\n"
	    "ListenPort = 51820\nAddress = 10.8.0.1/24\n[Policy]\nWANInterface = eth0\n"
	    "[Peer]\n# Name = laptop\nPublicKey = rUTLuw+531kX2sizS4U5d2iqYCZQiP6rijJe9JXbJ3E=\n"
	    "AllowedIPs = 10.8.0.2/32\n",
	    0600);
	forwarding("1\n", NULL);
	live("tests/golden/audit/fw_plain_ruleset.json");
	run(&l);
	a = first(&l, "firewall.forward_open");
	CHECK(a && strstr(a->message, "laptop") && strstr(a->evidence, "laptop out"));
	audit_list_free(&l);
	cleanup();
}

static void test_nat_split_tunnel(void)
{
	struct audit_list l;
	const struct audit_finding *a;

	/* The policy's own Egress masquerade, for the laptop. */
	hub_host("tests/golden/audit/hub_ruleset.json");
	CHECK(audit_count("firewall.nat_split_tunnel", NULL) == 0);
	/* 10.8.0.0/24 masqueraded: the phone too. */
	live("tests/golden/audit/fw_nat_split_ruleset.json");
	CHECK(audit_count("firewall.nat_split_tunnel", NULL) == 1);
	run(&l);
	a = first(&l, "firewall.nat_split_tunnel");
	CHECK_MSG(a && strstr(a->message, "1Xt63MHX/yZVC31Lvfo0TeTK9mKMblZtrM/co93hdU0="), "%s",
		  a ? a->message : "");
	CHECK_MSG(a && strstr(a->evidence, "postrouting rule handle 60 (\"by hand\")") &&
			  strstr(a->evidence, "10.8.0.3/32"),
		  "%s", a ? a->evidence : "");
	audit_list_free(&l);
	/* A masquerade without a source match covers every peer: the
	 * phone, not the laptop. */
	live("tests/golden/audit/fw_plain_ruleset.json");
	CHECK(audit_count("firewall.nat_split_tunnel", NULL) == 1);
	/* With Egress on the phone too (its section is the last), every
	 * NAT is intended. */
	{
		size_t len = 0;
		char *text = harness_slurp("tests/golden/policy/hub.conf", &len);
		char buf[4096];

		CHECK(text != NULL);
		if (text) {
			snprintf(buf, sizeof(buf), "%sEgress = on\n", text);
			put("wg0.conf", buf, 0600);
		}
		free(text);
	}
	live("tests/golden/audit/fw_nat_split_ruleset.json");
	CHECK(audit_count("firewall.nat_split_tunnel", NULL) == 0);
	cleanup();
}

static void test_no_mss_clamp(void)
{
	int sev = -1;

	hub_host("tests/golden/audit/hub_ruleset.json");
	CHECK(audit_count("firewall.no_mss_clamp", NULL) == 0);
	live("tests/golden/audit/fw_plain_ruleset.json");
	CHECK(audit_count("firewall.no_mss_clamp", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	forwarding("0\n", "0\n");
	CHECK(audit_count("firewall.no_mss_clamp", NULL) == 0);
	/* Without a ruleset: the config's word. */
	cleanup();
	tree();
	config("hub", "MSSClamp = off\n");
	CHECK(audit_count("firewall.no_mss_clamp", NULL) == 1);
	forwarding("0\n", NULL);
	CHECK(audit_count("firewall.no_mss_clamp", NULL) == 0);
	cleanup();
	tree();
	config("hub", NULL);
	CHECK(audit_count("firewall.no_mss_clamp", NULL) == 0);
	cleanup();
}

static void test_no_handshake_limit(void)
{
	struct audit_list l;
	const struct audit_finding *a;

	/* The policy's "handshake flood" meter, for both families. */
	hub_host("tests/golden/audit/hub_ruleset.json");
	CHECK(audit_count("firewall.no_handshake_limit", NULL) == 0);
	/* fw_plain accepts udp/51820 with no limit; its IPv6 meets no
	 * chain, which is firewall.ipv6_unfiltered's finding, not this. */
	live("tests/golden/audit/fw_plain_ruleset.json");
	CHECK(audit_count("firewall.no_handshake_limit", NULL) == 1);
	run(&l);
	a = first(&l, "firewall.no_handshake_limit");
	CHECK_MSG(a && strstr(a->evidence, "ip filter input rule handle") &&
			  strstr(a->evidence, "WireGuard"),
		  "%s", a ? a->evidence : "");
	audit_list_free(&l);
	/* A limit after the accept is never met; one before it on the
	 * port counts (the port 51821 of the same rule). */
	live("tests/golden/audit/fw_limit_late_ruleset.json");
	put_file("proc/net/if_inet6", "", 0444);
	CHECK(audit_count("firewall.no_handshake_limit", NULL) == 1);
	put("wg0.conf",
	    "[Interface]\nPrivateKey = AD0WjyAB7J6fRMdjxxOR9adiwCsOw3qZ9aUm2uHCAUA=\n"
	    "ListenPort = 51821\nAddress = 10.8.0.1/24\n"
	    "[Peer]\nPublicKey = rUTLuw+531kX2sizS4U5d2iqYCZQiP6rijJe9JXbJ3E=\nAllowedIPs = 10.8.0.2/32\n",
	    0600);
	CHECK(audit_count("firewall.no_handshake_limit", NULL) == 0);
	/* Without a ruleset: the config's word. */
	cleanup();
	tree();
	config("hub", "HandshakeLimit = off\n");
	CHECK(audit_count("firewall.no_handshake_limit", NULL) == 1);
	run(&l);
	a = first(&l, "firewall.no_handshake_limit");
	CHECK(a && strstr(a->evidence, "/etc/wireguard/wg0.conf:") && strstr(a->fix, "HandshakeLimit"));
	audit_list_free(&l);
	config("hub", NULL);
	CHECK(audit_count("firewall.no_handshake_limit", NULL) == 0);
	cleanup();
}

static void test_no_kill_switch(void)
{
	struct audit_list l;
	const struct audit_finding *a;

	tree();
	config("client", NULL);
	put_file("proc/net/route", ROUTE4, 0444);
	live("tests/golden/audit/client_ruleset.json");
	CHECK(audit_count("firewall.no_kill_switch", NULL) == 0);
	live("tests/golden/audit/fw_client_nokill_ruleset.json");
	CHECK(audit_count("firewall.no_kill_switch", NULL) == 1);
	run(&l);
	a = first(&l, "firewall.no_kill_switch");
	CHECK_MSG(a && strstr(a->evidence, "out of eth0") &&
			  strstr(a->evidence, "no output chain filters it"),
		  "%s", a ? a->evidence : "");
	audit_list_free(&l);
	/* A default route through the tunnel itself is no WAN. */
	put_file("proc/net/route",
		 "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
		 "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\n"
		 "eth1\t00000000\t0102A8C0\t0003\t0\t0\t100\t00000000\n", 0444);
	run(&l);
	a = first(&l, "firewall.no_kill_switch");
	CHECK_MSG(a && strstr(a->evidence, "out of eth1"), "%s", a ? a->evidence : "");
	audit_list_free(&l);
	/* Without a ruleset: KillSwitch = off in the config. */
	fixture_ruleset = NULL;
	CHECK(audit_count("firewall.no_kill_switch", NULL) == 0);
	config("client", "KillSwitch = off\n");
	CHECK(audit_count("firewall.no_kill_switch", NULL) == 1);
	/* A hub is no client: no kill switch expected. */
	config("hub", NULL);
	live("tests/golden/audit/hub_ruleset.json");
	CHECK(audit_count("firewall.no_kill_switch", NULL) == 0);
	cleanup();
}

static void test_sysctls(void)
{
	struct audit_list l;
	const struct audit_finding *a;

	/* The hub's forwarding on is what its role wants. */
	hub_host("tests/golden/audit/hub_ruleset.json");
	CHECK(audit_count("firewall.sysctls", NULL) == 0);
	/* Off, with an Egress peer needing it. */
	forwarding("0\n", "1\n");
	CHECK(audit_count("firewall.sysctls", NULL) == 1);
	run(&l);
	a = first(&l, "firewall.sysctls");
	CHECK_MSG(a && !strcmp(a->evidence, "/proc/sys/net/ipv4/ip_forward = 0 (want 1)"), "%s",
		  a ? a->evidence : "");
	CHECK(a && strstr(a->fix, "sysctl -w net.ipv4.ip_forward=1") &&
	      strstr(a->fix, "--persist-sysctls wg0"));
	audit_list_free(&l);
	/* Another key of the plan, one finding per key. */
	put_file("proc/sys/net/ipv4/conf/all/rp_filter", "0\n", 0644);
	put_file("proc/sys/net/ipv4/tcp_syncookies", "1\n", 0644);
	CHECK(audit_count("firewall.sysctls", NULL) == 2);
	/* A hub none of whose peers goes through it: forwarding off is
	 * not a finding. */
	cleanup();
	tree();
	put("wg0.conf",
	    "[Interface]\nPrivateKey = AD0WjyAB7J6fRMdjxxOR9adiwCsOw3qZ9aUm2uHCAUA=\n"
	    "ListenPort = 51820\nAddress = 10.8.0.1/24\n"
	    "[Peer]\nPublicKey = rUTLuw+531kX2sizS4U5d2iqYCZQiP6rijJe9JXbJ3E=\nAllowedIPs = 10.8.0.2/32\n"
	    "[Peer]\nPublicKey = 1Xt63MHX/yZVC31Lvfo0TeTK9mKMblZtrM/co93hdU0=\nAllowedIPs = 10.8.0.3/32\n",
	    0600);
	forwarding("0\n", NULL);
	CHECK(audit_count("firewall.sysctls", NULL) == 0);
	put_file("proc/sys/net/ipv4/conf/all/rp_filter", "0\n", 0644);
	CHECK(audit_count("firewall.sysctls", NULL) == 1);
	cleanup();
}

static void test_ipv6_unfiltered(void)
{
	struct audit_list l;
	const struct audit_finding *a;

	/* table inet rampart-wg0 filters both families. */
	hub_host("tests/golden/audit/hub_ruleset.json");
	CHECK(audit_count("firewall.ipv6_unfiltered", NULL) == 0);
	/* fw_plain is table ip only. */
	live("tests/golden/audit/fw_plain_ruleset.json");
	CHECK(audit_count("firewall.ipv6_unfiltered", NULL) == 1);
	run(&l);
	a = first(&l, "firewall.ipv6_unfiltered");
	CHECK_MSG(a && strstr(a->evidence, "2001:db8::5 on eth0") &&
			  strstr(a->evidence, "no input chain filters it") &&
			  strstr(a->evidence, "ip filter input policy drop"),
		  "%s", a ? a->evidence : "");
	audit_list_free(&l);
	/* No IPv6 on the host: nothing to filter. */
	put_file("proc/net/if_inet6", "fe800000000000000000000000000001 02 40 20 80     eth0\n",
		 0444);
	forwarding("1\n", "0\n");
	CHECK(audit_count("firewall.ipv6_unfiltered", NULL) == 0);
	/* IPv6 forwarding alone is enough. */
	forwarding("1\n", "1\n");
	CHECK(audit_count("firewall.ipv6_unfiltered", NULL) == 1);
	cleanup();
}

/* iptables-nft's MASQUERADE and TCPMSS through nft's compat layer, as
 * nft's json.c prints an xt statement (no iptables here to list one). */
static const char xt_json[] =
	"{\"nftables\": [{\"table\": {\"family\": \"ip\", \"name\": \"nat\", \"handle\": 1}},"
	" {\"chain\": {\"family\": \"ip\", \"table\": \"nat\", \"name\": \"POSTROUTING\","
	" \"handle\": 1, \"type\": \"nat\", \"hook\": \"postrouting\", \"prio\": 100,"
	" \"policy\": \"accept\"}},"
	" {\"rule\": {\"family\": \"ip\", \"table\": \"nat\", \"chain\": \"POSTROUTING\","
	" \"handle\": 2, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\":"
	" {\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": {\"prefix\": {\"addr\":"
	" \"10.8.0.0\", \"len\": 24}}}}, {\"counter\": {\"packets\": 0, \"bytes\": 0}},"
	" {\"xt\": {\"type\": \"target\", \"name\": \"MASQUERADE\"}}]}},"
	" {\"chain\": {\"family\": \"ip\", \"table\": \"nat\", \"name\": \"FORWARD\","
	" \"handle\": 3, \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0,"
	" \"policy\": \"drop\"}},"
	" {\"rule\": {\"family\": \"ip\", \"table\": \"nat\", \"chain\": \"FORWARD\","
	" \"handle\": 4, \"expr\": [{\"xt\": {\"type\": \"target\", \"name\": \"TCPMSS\"}}]}}]}";

static void test_iptables_nft(void)
{
	hub_host("tests/golden/audit/hub_ruleset.json");
	fixture_ruleset = xt_json;
	CHECK(audit_count("firewall.nat_split_tunnel", NULL) == 1);
	CHECK(audit_count("firewall.no_mss_clamp", NULL) == 0);
	cleanup();
}

/* The netns test's planted mistakes (tests/netns/audit_hub.sh) each
 * give their own id and no other firewall one; the clean hub none. */
static void test_only_their_own(void)
{
	char ids[512];

	hub_host("tests/golden/audit/hub_ruleset.json");
	fw_ids(ids, sizeof(ids));
	CHECK_MSG(!strcmp(ids, ""), "%s", ids);
	live("tests/golden/audit/fw_forward_open_ruleset.json");
	fw_ids(ids, sizeof(ids));
	CHECK_MSG(!strcmp(ids, "firewall.forward_open"), "%s", ids);
	live("tests/golden/audit/fw_nat_split_ruleset.json");
	fw_ids(ids, sizeof(ids));
	CHECK_MSG(!strcmp(ids, "firewall.nat_split_tunnel"), "%s", ids);
	live("tests/golden/audit/hub_ruleset.json");
	forwarding("0\n", "1\n");
	fw_ids(ids, sizeof(ids));
	CHECK_MSG(!strcmp(ids, "firewall.sysctls"), "%s", ids);
	cleanup();
}

/* Without a ruleset or /proc, the checks see nothing to judge. */
static void test_no_facts(void)
{
	char ids[512];

	tree();
	config("hub", NULL);
	fw_ids(ids, sizeof(ids));
	CHECK_MSG(!strcmp(ids, ""), "%s", ids);
	config("client", NULL);
	fw_ids(ids, sizeof(ids));
	CHECK_MSG(!strcmp(ids, ""), "%s", ids);
	cleanup();
}

static void test_free(void)
{
	free(live_text);
	live_text = NULL;
	fixture_ruleset = NULL;
}

static const struct harness_case cases[] = {
	{ "an address shared with an Egress peer is the overlap's finding only",
	  test_egress_address_shared },
	{ "forward_open: an accept-all before the forward drop", test_forward_open },
	{ "forward_open: a peer without Egress let out to the WAN", test_forward_open_tunnel },
	{ "nat_split_tunnel: NAT for a peer without Egress", test_nat_split_tunnel },
	{ "no_mss_clamp: live and from the config", test_no_mss_clamp },
	{ "no_handshake_limit: live and from the config", test_no_handshake_limit },
	{ "no_kill_switch: a full-tunnel client's output hook", test_no_kill_switch },
	{ "sysctls: the role's plan against the host", test_sysctls },
	{ "ipv6_unfiltered: IPv6 where only IPv4 is filtered", test_ipv6_unfiltered },
	{ "iptables-nft's MASQUERADE and TCPMSS", test_iptables_nft },
	{ "the netns test's mistakes: each its own id only", test_only_their_own },
	{ "no facts, no findings", test_no_facts },
	{ "(free the listings)", test_free },
};

HARNESS_MAIN(cases)
