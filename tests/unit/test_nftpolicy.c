/* The nftables renderer (src/firewall/nftpolicy.c):
 *
 *  - the fixtures tests/golden/policy/{hub,client,site}.conf render to the
 *    committed .nft files byte for byte (RAMPART_UPDATE_GOLDEN=1 rewrites
 *    them; tests/netns/policy_golden.sh checks each with `nft -c`);
 *  - a /0 peer, Egress and the kill switch render what they must and
 *    nothing else.
 * The keys are test_policykeys.c's, resolution and roles test_policy.c's. */
#include "harness.h"
#include "policy_fixture.h"

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

/* up --netns: the port's rules where the UDP sockets are, the rest in
 * the tenant (listen_port 0 there). */
static void test_render_uplink(void)
{
	struct nftpolicy_facts f = { .ifname = "wg9", .wan = "eth0", .listen_port = 7 };
	struct textbuf out = { 0 };
	struct error err;
	struct policy pol;
	char *t = cat3(iface, "ListenPort = 7\n", peer_hdr), *r;
	struct conf *conf = parse(t);

	CHECK(conf && policy_resolve(conf, "t.conf", &pol, &err) == 0);
	if (!conf)
		goto out;
	nftpolicy_render_uplink(&out, &pol, &f);
	r = out.buf;
	CHECK(!out.err && r);
	CHECK(r && strstr(r, "table inet rampart-wg9 {}\ndelete table inet rampart-wg9\n"));
	CHECK(r && strstr(r, "type filter hook input priority filter; policy accept;"));
	CHECK(r && strstr(r, "udp dport 7 udp length 156 @th,64,32 0x01000000 update @handshake4"));
	CHECK(r && strstr(r, "udp dport 7 counter name \"input_wireguard\" accept"));
	CHECK(r && strstr(r, "counter input_handshake_flood {}") && strstr(r, "set handshake6 {"));
	CHECK(r && !strstr(r, "policy drop") && !strstr(r, "wg9\" ") && !strstr(r, "chain forward"));
	free(r);
	f.listen_port = 0;
	r = render(t, &f);
	CHECK(r && strstr(r, "chain forward") && !strstr(r, "dport 7") && !strstr(r, "@handshake"));
	free(r);
out:
	conf_free(conf);
	free(t);
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
	{ "rendering follows the switches", test_render_switches },
	{ "a tenant's port table where the UDP sockets are, and the rest without it", test_render_uplink },
};

HARNESS_MAIN(cases)
