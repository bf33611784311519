/* The policy's resolution and role inference (src/firewall/policy.c):
 * contradictions are refused with file, line, key and value, and the
 * role is inferred as the issue says. */
#include "harness.h"
#include "policy_fixture.h"

#include "firewall/policy.h"
#include "conf/config.h"
#include "conf/wgconf.h"

#include <errno.h>
#include <stdlib.h>

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

static enum policy_role infer(const char *text)
{
	struct conf *conf = parse(text);
	const char *why = NULL;
	enum policy_role r;

	if (!conf)
		return POLICY_ROLE_AUTO;
	r = policy_infer_role(conf, &why);
	CHECK(why != NULL);
	conf_free(conf);
	return r;
}

static void test_role_inference(void)
{
	char *t;

	t = cat3(iface, "ListenPort = 51820\n", peer_hdr);
	CHECK(infer(t) == POLICY_ROLE_HUB); /* no AllowedIPs at all: still a hub */
	free(t);
	t = cat3(iface, "ListenPort = 51820\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n",
		 "AllowedIPs = 10.8.0.2/32, fd08::2/128\n");
	CHECK(infer(t) == POLICY_ROLE_HUB);
	free(t);
	t = cat3(iface, "ListenPort = 51820\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n",
		 "AllowedIPs = 10.8.0.2/32, 192.168.5.0/24\n");
	CHECK(infer(t) == POLICY_ROLE_SITE);
	free(t);
	t = cat3(iface, "ListenPort = 51820\n[Peer]\nPublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n",
		 "AllowedIPs = ::/0\n");
	CHECK(infer(t) == POLICY_ROLE_CLIENT); /* a /0 wins over a ListenPort */
	free(t);
	t = cat3(iface, peer_hdr, "AllowedIPs = 10.8.0.0/24\n");
	CHECK(infer(t) == POLICY_ROLE_CLIENT); /* split tunnel, no ListenPort */
	free(t);
}

static const struct harness_case cases[] = {
	{ "contradictions are refused", test_contradictions },
	{ "role inference", test_role_inference },
};

HARNESS_MAIN(cases)
