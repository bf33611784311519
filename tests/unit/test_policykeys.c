/* The Rampart-only keys of a config (src/firewall/policykeys.c, registered
 * with the wg-quick format): they parse, print back and compare equal,
 * strip removes every one of them, and bad values are refused with file,
 * line, key and value. */
#include "harness.h"
#include "policy_fixture.h"

#include "conf/config.h"
#include "conf/wgconf.h"
#include "firewall/policykeys.h"

#include <stdlib.h>
#include <string.h>

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
	const struct policy_keys *pa;
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
	CHECK(pa->role == POLICY_ROLE_HUB && pa->ssh_port.value == 2222);
	CHECK(pa->services.n == 3 && pa->services.v[2].ports.lo == 8000 &&
	      pa->services.v[2].ports.hi == 8080);
	CHECK(policykeys_peer(&a->peers[0])->forwards.n == 4 &&
	      policykeys_peer(&a->peers[0])->forwards.v[3].ports.lo == 0);
	CHECK(pa->handshake_limit.rate.count == 5 && pa->log_rate.rate.unit == POLICY_RATE_HOUR);
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

	CHECK(policykeys_register() == 0);
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

static const struct harness_case cases[] = {
	{ "policy keys round trip", test_keys_round_trip },
	{ "strip removes the policy", test_strip_removes_policy },
	{ "bad values name file, line, key and value", test_bad_values },
};

HARNESS_MAIN(cases)
