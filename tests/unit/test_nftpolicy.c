/* The policy keys, role inference and resolution (src/ops/policy.c) and
 * the nftables renderer (src/ops/nftpolicy.c):
 *
 *  - the fixtures tests/golden/policy/{hub,client,site}.conf render to the
 *    committed .nft files byte for byte (RAMPART_UPDATE_GOLDEN=1 rewrites
 *    them; tests/netns/policy_golden.sh checks each with `nft -c`);
 *  - the Rampart-only keys parse, print back and compare equal, and strip
 *    removes every one of them;
 *  - bad values and contradictions are refused with file, line, key and
 *    value;
 *  - the role is inferred as the issue says, and a /0 peer, Egress and the
 *    kill switch render what they must and nothing else. */
#include "harness.h"

#include "firewall/nftpolicy.h"
#include "firewall/policy.h"
#include "conf/wgconf.h"

#include "conf/config.h"
#include "common/textbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct conf *parse(const char *text)
{
	struct error err;
	struct conf *conf = NULL;
	char msg[ERROR_STRLEN];

	/* The firewall's keys reach the parser only registered. */
	CHECK(policykeys_register() == 0);
	if (wgconf_parse(text, strlen(text), "t.conf", &conf, &err)) {
		error_format(&err, msg, sizeof(msg));
		harness_fail(__FILE__, __LINE__, "%s", msg);
		return NULL;
	}
	return conf;
}

/* The message for text that must not parse. */
static void parse_fails(const char *text, const char *want)
{
	struct error err;
	struct conf *conf = NULL;
	char msg[ERROR_STRLEN];

	CHECK_MSG(wgconf_parse(text, strlen(text), "t.conf", &conf, &err) == -EINVAL,
		  "accepted: %s", text);
	CHECK(conf == NULL);
	error_format(&err, msg, sizeof(msg));
	CHECK_STR(msg, want);
	conf_free(conf);
}

static const char iface[] =
	"[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n";
static const char peer_hdr[] =
	"[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n";

static char *cat3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* --- golden files ------------------------------------------------------------- */

struct golden {
	const char *name;
	struct nftpolicy_facts facts;
	struct nftpolicy_endpoint ep;
};

static void check_golden(struct golden *g)
{
	char path[128], msg[ERROR_STRLEN];
	struct error err;
	struct textbuf out = { 0 };
	struct conf *conf = NULL;
	struct policy pol;
	size_t len, want_len;
	char *text, *want;

	snprintf(path, sizeof(path), "tests/golden/policy/%s.conf", g->name);
	text = harness_slurp(path, &len);
	if (!text)
		return;
	CHECK(policykeys_register() == 0);
	if (wgconf_parse(text, len, path, &conf, &err) ||
	    policy_resolve(conf, path, &pol, &err)) {
		error_format(&err, msg, sizeof(msg));
		harness_fail(__FILE__, __LINE__, "%s", msg);
		goto out;
	}
	if (g->ep.port) {
		g->facts.endpoints = &g->ep;
		g->facts.n_endpoints = 1;
	}
	nftpolicy_render(&out, conf, &pol, &g->facts);
	CHECK(!out.err);
	snprintf(path, sizeof(path), "tests/golden/policy/%s.nft", g->name);
	if (getenv("RAMPART_UPDATE_GOLDEN")) {
		FILE *f = fopen(path, "w");

		CHECK(f && fwrite(out.buf, 1, out.len, f) == out.len);
		if (f)
			fclose(f);
	}
	want = harness_slurp(path, &want_len);
	if (want) {
		CHECK_MSG(want_len == out.len && !memcmp(want, out.buf, out.len),
			  "%s differs from the rendering (RAMPART_UPDATE_GOLDEN=1 rewrites it):\n%s",
			  path, out.buf);
		free(want);
	}
out:
	textbuf_wipe(&out);
	conf_free(conf);
	free(text);
}

static void set_ip(struct netaddr *a, const char *s)
{
	a->family = strchr(s, ':') ? AF_INET6 : AF_INET;
	CHECK(inet_pton(a->family, s, a->family == AF_INET ? (void *)&a->in4 : (void *)&a->in6) == 1);
}

static void test_golden_hub(void)
{
	struct golden g = { .name = "hub" };

	g.facts.ifname = "wg0";
	g.facts.wan = "eth0";
	g.facts.listen_port = 51820;
	g.facts.has_ssh_session = true;
	set_ip(&g.facts.ssh_client, "198.51.100.99");
	g.facts.ssh_server_port = 22;
	g.facts.mtu = 1420;
	check_golden(&g);
}

static void test_golden_client(void)
{
	struct golden g = { .name = "client" };

	g.facts.ifname = "wg0";
	g.facts.wan = "wlan0";
	set_ip(&g.ep.addr, "203.0.113.10");
	g.ep.port = 51820;
	g.facts.mtu = 1420;
	check_golden(&g);
}

static void test_golden_site(void)
{
	struct golden g = { .name = "site" };

	g.facts.ifname = "branch";
	g.facts.wan = "ens3";
	g.facts.listen_port = 51821;
	g.facts.has_ssh_session = true;
	set_ip(&g.facts.ssh_client, "2001:db8::5");
	g.facts.ssh_server_port = 2222;
	g.facts.mtu = 1380;
	set_ip(&g.ep.addr, "198.51.100.20");
	g.ep.port = 51821;
	check_golden(&g);
}

/* --- keys ------------------------------------------------------------------------ */

static const char all_keys[] =
	"[Interface]\n"
	"PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
	"ListenPort = 51820\n"
	"Policy = on\n"
	"\n"
	"[Peer]\n"
	"PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n"
	"AllowedIPs = 10.8.0.2/32\n"
	"Forward = 192.168.1.10/32 tcp/443, 192.168.1.0/24 udp/53-54, 10.0.0.0/8, fd00::/8 tcp\n"
	"Egress = on\n"
	"\n"
	"[Policy]\n"
	"Role = hub\n"
	"SSHPort = 2222\n"
	"SSHFrom = tunnel, any, 198.51.100.7/32\n"
	"SSHLimit = 3/minute\n"
	"Services = tcp/53, udp/53, tcp/8000-8080\n"
	"Isolation = off\n"
	"WANInterface = eth0\n"
	"HandshakeLimit = 5/second\n"
	"HandshakeBurst = 7\n"
	"LogDrops = on\n"
	"LogRate = 1/hour\n"
	"KillSwitch = off\n"
	"LocalNetworks = 192.168.1.0/24, fd01::/64\n"
	"MSSClamp = off\n";

static void test_keys_round_trip(void)
{
	struct conf *a = parse(all_keys), *b = NULL;
	const struct conf_policy *pa;
	size_t len;
	char *text;

	if (!a)
		return;
	text = wgconf_format(a, WGCONF_FULL, &len);
	CHECK(text != NULL);
	if (text) {
		/* The printer writes what the file said, in canonical form. */
		CHECK(strstr(text, "Forward = 192.168.1.10/32 tcp/443, 192.168.1.0/24 udp/53-54, "
				   "10.0.0.0/8, fd00::/8 tcp\n") != NULL);
		CHECK(strstr(text, "SSHFrom = tunnel, any, 198.51.100.7/32\n") != NULL);
		CHECK(strstr(text, "HandshakeLimit = 5/second\n") != NULL);
		CHECK(strstr(text, "[Policy]\n") != NULL);
		b = parse(text);
		CHECK(b && conf_equal(a, b));
		wgconf_text_free(text, len);
	}
	pa = policykeys_of(a);
	CHECK(pa->role == CONF_ROLE_HUB && pa->ssh_port.value == 2222);
	CHECK(pa->services.n == 3 && pa->services.v[2].ports.lo == 8000 &&
	      pa->services.v[2].ports.hi == 8080);
	CHECK(policykeys_peer(&a->peers[0])->forwards.n == 4 &&
	      policykeys_peer(&a->peers[0])->forwards.v[3].ports.lo == 0);
	CHECK(pa->handshake_limit.rate.count == 5 && pa->log_rate.rate.unit == CONF_RATE_HOUR);
	/* A changed policy value is a different config. */
	if (b) {
		policykeys_of_mut(b)->isolation.on = true;
		CHECK(!conf_equal(a, b));
	}
	conf_free(a);
	conf_free(b);
}

static void test_strip_removes_policy(void)
{
	struct error err;
	size_t len;
	char *out = NULL;

	CHECK(wgconf_strip(all_keys, strlen(all_keys), "t.conf", &out, &len, &err) == 0);
	if (!out)
		return;
	CHECK_STR(out, "[Interface]\n"
		       "PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
		       "ListenPort = 51820\n"
		       "\n"
		       "[Peer]\n"
		       "PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n"
		       "AllowedIPs = 10.8.0.2/32\n"
		       "\n");
	wgconf_text_free(out, len);
}

static void test_bad_values(void)
{
	static const struct {
		const char *lines, *msg;
	} cases[] = {
		{ "[Policy]\nRole = router\n", "t.conf:5: Role: invalid role \"router\": not hub, client or site" },
		{ "[Policy]\nSSHPort = 0\n", "t.conf:5: SSHPort: invalid port \"0\": port 0" },
		{ "[Policy]\nSSHFrom = office\n",
		  "t.conf:5: SSHFrom: invalid source \"office\": not tunnel, any, none or an address or prefix" },
		{ "[Policy]\nSSHFrom = none, 10.0.0.1\n",
		  "t.conf:5: SSHFrom: invalid list \"none, 10.0.0.1\": \"none\" cannot be combined with sources" },
		{ "[Policy]\nSSHLimit = 10/fortnight\n",
		  "t.conf:5: SSHLimit: invalid rate \"10/fortnight\": unit is not second, minute, hour or day" },
		{ "[Policy]\nHandshakeLimit = 0/second\n",
		  "t.conf:5: HandshakeLimit: invalid rate \"0/second\": a rate of 0: write off" },
		{ "[Policy]\nHandshakeBurst = 0\n",
		  "t.conf:5: HandshakeBurst: invalid burst \"0\": a burst of 0 packets" },
		{ "[Policy]\nServices = icmp/1\n", "t.conf:5: Services: invalid service \"icmp/1\": protocol is not tcp or udp" },
		{ "[Policy]\nServices = tcp/80-20\n", "t.conf:5: Services: invalid service \"tcp/80-20\": range ends before it starts" },
		{ "[Policy]\nServices = tcp/70000\n", "t.conf:5: Services: invalid service \"tcp/70000\": exceeds 65535" },
		{ "[Policy]\nWANInterface = eth0/1\n", "t.conf:5: WANInterface: invalid interface \"eth0/1\": not a valid interface name" },
		{ "[Policy]\nIsolation = maybe\n", "t.conf:5: Isolation: invalid switch \"maybe\": neither on nor off" },
		{ "[Policy]\nKillSwitchAllow = 10.0.0.0/33\n",
		  "t.conf:5: KillSwitchAllow: invalid prefix \"10.0.0.0/33\": prefix length exceeds 32" },
		{ "[Policy]\nPolicy = off\n", "t.conf:5: key \"Policy\" belongs in [Interface], not [Policy]" },
		{ "[Policy]\nForward = 10.0.0.0/8\n", "t.conf:5: key \"Forward\" belongs in [Peer], not [Policy]" },
		{ "[Policy]\nColour = blue\n", "t.conf:5: unknown key \"Colour\" in [Policy] section" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *text = cat3(iface, "\n", cases[i].lines);

		if (text)
			parse_fails(text, cases[i].msg);
		free(text);
	}
	{
		char *text = cat3(iface, peer_hdr, "Forward = 10.0.0.0/8 tcp/22 udp/53\n");

		parse_fails(text, "t.conf:5: Forward: invalid forward \"udp/53\": one destination and at "
				  "most one PROTO/PORTS per item; separate items with commas");
		free(text);
		text = cat3(iface, peer_hdr, "Forward = 10.0.0.0/8 tcp/0\n");
		parse_fails(text, "t.conf:5: Forward: invalid ports \"tcp/0\": port 0");
		free(text);
		text = cat3(iface, peer_hdr, "Egress = nat\n");
		parse_fails(text, "t.conf:5: Egress: invalid switch \"nat\": neither on nor off");
		free(text);
	}
}

static void resolve_fails(const char *text, const char *want)
{
	struct error err;
	struct conf *conf = parse(text);
	struct policy pol;
	char msg[ERROR_STRLEN];

	if (!conf)
		return;
	CHECK(policy_resolve(conf, "t.conf", &pol, &err) == -EINVAL);
	error_format(&err, msg, sizeof(msg));
	CHECK_STR(msg, want);
	conf_free(conf);
}

static void test_contradictions(void)
{
	char *t;

	t = cat3(iface, "ListenPort = 1\n[Policy]\nKillSwitch = on\n", "");
	resolve_fails(t, "t.conf:5: KillSwitch: invalid \"on\": a kill switch is for clients, and this "
			 "is a hub (inferred: set Role to change it)");
	free(t);
	t = cat3(iface, "[Policy]\nRole = site\nKillSwitchAllow = 10.0.0.0/8\n", "");
	resolve_fails(t, "t.conf:5: KillSwitchAllow: only a client has a kill switch, and this is a site");
	free(t);
	t = cat3(iface, peer_hdr, "AllowedIPs = 0.0.0.0/0\nEgress = on\n");
	resolve_fails(t, "t.conf:6: Egress: invalid \"on\": a client does not route for its peers "
			 "(inferred: set Role to change it)");
	free(t);
	t = cat3(iface, peer_hdr, "Forward = 10.0.0.0/8\n[Policy]\nRole = client\n");
	resolve_fails(t, "t.conf:5: Forward: a client does not route for its peers");
	free(t);
	t = cat3(iface, "[Policy]\nLocalNetworks = 10.1.0.0/16\n", "");
	resolve_fails(t, "t.conf:4: LocalNetworks: a client does not route for other hosts "
			 "(inferred: set Role to change it)");
	free(t);
}

static enum conf_role infer(const char *text)
{
	struct conf *conf = parse(text);
	const char *why = NULL;
	enum conf_role r;

	if (!conf)
		return CONF_ROLE_AUTO;
	r = policy_infer_role(conf, &why);
	CHECK(why != NULL);
	conf_free(conf);
	return r;
}

static void test_role_inference(void)
{
	char *t;

	t = cat3(iface, "ListenPort = 51820\n", peer_hdr);
	CHECK(infer(t) == CONF_ROLE_HUB); /* no AllowedIPs at all: still a hub */
	free(t);
	t = cat3(iface, "ListenPort = 51820\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n",
		 "AllowedIPs = 10.8.0.2/32, fd08::2/128\n");
	CHECK(infer(t) == CONF_ROLE_HUB);
	free(t);
	t = cat3(iface, "ListenPort = 51820\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n",
		 "AllowedIPs = 10.8.0.2/32, 192.168.5.0/24\n");
	CHECK(infer(t) == CONF_ROLE_SITE);
	free(t);
	t = cat3(iface, "ListenPort = 51820\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n",
		 "AllowedIPs = ::/0\n");
	CHECK(infer(t) == CONF_ROLE_CLIENT); /* a /0 wins over a ListenPort */
	free(t);
	t = cat3(iface, peer_hdr, "AllowedIPs = 10.8.0.0/24\n");
	CHECK(infer(t) == CONF_ROLE_CLIENT); /* split tunnel, no ListenPort */
	free(t);
}

/* Rendering that depends on settings, beyond the fixtures. */
static char *render(const char *text, const struct nftpolicy_facts *f)
{
	struct error err;
	struct textbuf out = { 0 };
	struct conf *conf = parse(text);
	struct policy pol;

	if (!conf)
		return NULL;
	CHECK(policy_resolve(conf, "t.conf", &pol, &err) == 0);
	nftpolicy_render(&out, conf, &pol, f);
	conf_free(conf);
	CHECK(!out.err);
	return out.buf;
}

static void test_render_switches(void)
{
	struct nftpolicy_facts f = { .ifname = "wg9", .wan = "eth0", .listen_port = 7 };
	char *t, *r;

	/* Defaults for an inferred hub: meter, SSH over the tunnel only,
	 * isolation, no NAT (no Egress), no kill switch, MSS clamp. */
	t = cat3(iface, "ListenPort = 7\n", peer_hdr);
	r = render(t, &f);
	CHECK(r && strstr(r, "table inet rampart-wg9 {}\ndelete table inet rampart-wg9\n"));
	CHECK(r && strstr(r, "udp dport 7 udp length 156 @th,64,32 0x01000000 update @handshake4 "
			     "{ ip saddr limit rate over 20/second burst 40 packets }"));
	CHECK(r && strstr(r, "iifname \"wg9\" tcp dport 22 accept"));
	CHECK(r && !strstr(r, "SSH from anywhere"));
	CHECK(r && !strstr(r, "masquerade"));
	CHECK(r && !strstr(r, "chain output"));
	CHECK(r && !strstr(r, "peer to peer"));
	CHECK(r && strstr(r, "maxseg size set rt mtu"));
	CHECK(r && strstr(r, "log prefix \"rampart-wg9 input drop: \""));
	CHECK(r && !strstr(r, "flush"));
	free(r);
	free(t);
	/* Everything off. */
	t = cat3(iface, "ListenPort = 7\n[Policy]\nHandshakeLimit = off\nSSHLimit = off\n",
		 "LogDrops = off\nMSSClamp = off\nIsolation = off\nSSHFrom = none\n");
	r = render(t, &f);
	CHECK(r && !strstr(r, "@handshake") && !strstr(r, "set handshake4"));
	CHECK(r && !strstr(r, "@ssh") && !strstr(r, "dport 22"));
	CHECK(r && !strstr(r, " log ") && !strstr(r, "maxseg"));
	CHECK(r && strstr(r, "iifname \"wg9\" oifname \"wg9\" accept comment \"peer to peer\""));
	free(r);
	free(t);
	/* A full-tunnel peer on a hub with Egress: its sources are every
	 * address of the family, NAT by family; without a known WAN, no
	 * egress rule at all. */
	t = cat3(iface, "ListenPort = 7\n[Policy]\nRole = hub\n[Peer]\nPublicKey = "
		 "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\nAllowedIPs = 0.0.0.0/0\n", "Egress = on\n");
	r = render(t, &f);
	CHECK(r && strstr(r, "iifname \"wg9\" oifname \"eth0\" meta nfproto ipv4 accept comment \"Egress\""));
	CHECK(r && strstr(r, "iifname \"wg9\" oifname \"eth0\" meta nfproto ipv4 masquerade"));
	CHECK(r && !strstr(r, "nfproto ipv6 masquerade"));
	free(r);
	f.wan = "";
	r = render(t, &f);
	CHECK(r && !strstr(r, "Egress") && !strstr(r, "masquerade"));
	free(r);
	free(t);
	/* A client without ListenPort opens no UDP port; a split-tunnel
	 * client has no kill switch unless asked, a full-tunnel one has. */
	f.listen_port = 0;
	t = cat3(iface, peer_hdr, "AllowedIPs = 10.0.0.0/8\nEndpoint = 192.0.2.1:1\n");
	r = render(t, &f);
	CHECK(r && !strstr(r, "WireGuard") && !strstr(r, "chain output"));
	free(r);
	free(t);
	t = cat3(iface, "[Policy]\nKillSwitch = on\n", "[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n"
		 "AllowedIPs = 10.0.0.0/8\n");
	r = render(t, &f);
	CHECK(r && strstr(r, "chain output"));
	free(r);
	free(t);
	t = cat3(iface, peer_hdr, "AllowedIPs = ::/0\n");
	r = render(t, &f);
	CHECK(r && strstr(r, "chain output"));
	free(r);
	free(t);
}

static const struct harness_case cases[] = {
	{ "golden hub", test_golden_hub },
	{ "golden client", test_golden_client },
	{ "golden site", test_golden_site },
	{ "policy keys round trip", test_keys_round_trip },
	{ "strip removes the policy", test_strip_removes_policy },
	{ "bad values name file, line, key and value", test_bad_values },
	{ "contradictions are refused", test_contradictions },
	{ "role inference", test_role_inference },
	{ "rendering follows the switches", test_render_switches },
};

HARNESS_MAIN(cases)
