/* The wg-quick format parser (conf/wgconf):
 * every fixture under tests/golden/conf parses and survives a round trip,
 * and every malformed input is refused with one exact message. */
#include "harness.h"

#include "conf/config.h"
#include "common/encoding.h"
#include "common/netaddr.h"
#include "conf/wgconf.h"
#include "common/textbuf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* wg genkey output and its public key; a second public key; a psk. */
#define PRIV "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk="
#define PUB1 "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8="
#define PUB2 "mrhPtR2F9ehFPPZ2CuGF18tXltYNyzIWcMnVg4V3V1s="
#define PSK "rTjivBzmWAxXveTJtk8QXLM1RCnyWtna91Vdrf5+BGI="
/* PUB1 with unused low bits set in its last character ('8' -> '9'). */
#define PUB1_NONCANON "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z9="

/* The seed guides' examples (keys filled in) and one of our own. */
static const char *const fixtures[] = {
	"s2-server",  "s2-client1", "s3-server",      "s3-client",
	"s3-hub",     "s3-site-a",  "s3-site-peer",   "s3-roadwarrior",
	"s3-p2p",     "s3-mtu",     "extra-full",
};

static struct conf *parse_str(const char *text, struct error *err)
{
	struct conf *conf = NULL;
	struct error local;
	int ret = wgconf_parse(text, strlen(text), "t.conf", &conf, err ? err : &local);

	if (ret) {
		char buf[ERROR_STRLEN];

		error_format(err ? err : &local, buf, sizeof(buf));
		if (!err)
			harness_fail(__FILE__, __LINE__, "unexpected error: %s", buf);
		CHECK(conf == NULL);
		return NULL;
	}
	return conf;
}

static struct conf *parse_fixture(const char *name, char **text, size_t *len)
{
	char path[256], msg[ERROR_STRLEN];
	struct error err;
	struct conf *conf = NULL;

	snprintf(path, sizeof(path), "tests/golden/conf/%s.conf", name);
	*text = harness_slurp(path, len);
	if (!*text)
		return NULL;
	if (wgconf_parse(*text, *len, path, &conf, &err)) {
		error_format(&err, msg, sizeof(msg));
		harness_fail(__FILE__, __LINE__, "%s", msg);
		return NULL;
	}
	return conf;
}

static void key_is(const uint8_t key[KEY_LEN], const char *b64)
{
	char got[KEY_B64_LEN + 1];

	encoding_key_to_base64(got, key);
	CHECK_STR(got, b64);
}

/* (a) */
static void test_fixtures_parse(void)
{
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char *text;
		size_t len;
		struct conf *conf = parse_fixture(fixtures[i], &text, &len);

		CHECK_MSG(conf != NULL, "%s", fixtures[i]);
		conf_free(conf);
		free(text);
	}
}

/* Spot checks that the fixtures mean what the guides say. */
static void test_fixture_values(void)
{
	char *text, buf[NETADDR_ENDPOINT_STRLEN];
	size_t len;
	struct conf *c;

	c = parse_fixture("s2-server", &text, &len);
	if (c) {
		CHECK(c->has_private_key && c->has_listen_port && c->listen_port == 51820);
		CHECK(c->listen_port_line == 3 && c->interface_line == 1);
		CHECK(c->has_save_config && !c->save_config);
		CHECK(c->n_addresses == 1 && c->addresses[0].prefix.cidr == 24);
		CHECK(c->n_peers == 0 && !c->has_mtu && !c->has_fwmark);
	}
	conf_free(c);
	free(text);

	c = parse_fixture("s3-server", &text, &len);
	if (c) {
		CHECK(c->hooks[CONF_HOOK_POST_UP].n == 3 && c->hooks[CONF_HOOK_POST_DOWN].n == 2);
		CHECK(c->hooks[CONF_HOOK_PRE_UP].n == 0);
		if (c->hooks[CONF_HOOK_POST_UP].n == 3) {
			CHECK_STR(c->hooks[CONF_HOOK_POST_UP].v[0].cmd,
				  "sysctl -w net.ipv4.ip_forward=1");
			CHECK_STR(c->hooks[CONF_HOOK_POST_UP].v[2].cmd,
				  "iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE");
			CHECK(c->hooks[CONF_HOOK_POST_UP].v[1].line == 6);
		}
		CHECK(c->n_peers == 2);
		if (c->n_peers == 2)
			CHECK(c->peers[0].line == 12 && c->peers[1].line == 17 &&
			      c->peers[1].public_key_line == 18);
	}
	conf_free(c);
	free(text);

	c = parse_fixture("s3-client", &text, &len);
	if (c && c->n_peers == 1) {
		const struct conf_peer *p = &c->peers[0];

		CHECK(c->n_dns == 2 && c->dns[0].kind == CONF_DNS_SERVER);
		CHECK(p->has_endpoint && !p->endpoint.literal && p->endpoint.port == 51820);
		CHECK_STR(p->endpoint.host, "server.example.com");
		CHECK(p->n_allowed_ips == 2 && p->has_keepalive && p->keepalive == 25);
		CHECK_STR(netaddr_format_endpoint(buf, &p->endpoint), "server.example.com:51820");
	} else {
		CHECK(!"s3-client has one peer");
	}
	conf_free(c);
	free(text);

	c = parse_fixture("s3-site-peer", &text, &len);
	if (c) {
		CHECK(c->interface_line == 0 && c->n_peers == 1 && !c->has_private_key);
		if (c->n_peers == 1)
			CHECK(c->peers[0].n_allowed_ips == 3);
	}
	conf_free(c);
	free(text);

	c = parse_fixture("extra-full", &text, &len);
	if (c && c->n_peers == 3) {
		CHECK(c->has_fwmark && c->fwmark == 0x1234);
		CHECK(c->n_addresses == 4 && c->addresses[3].prefix.addr.family == AF_INET6);
		CHECK(c->n_dns == 4 && c->dns[2].kind == CONF_DNS_SEARCH &&
		      c->dns[3].kind == CONF_DNS_SEARCH && c->dns[1].kind == CONF_DNS_SERVER);
		CHECK_STR(c->dns[3].domain, "example.org.");
		CHECK(c->has_table && c->table.kind == CONF_TABLE_ID && c->table.id == 1234);
		CHECK(c->has_mtu && c->mtu == 1420 && c->has_save_config && !c->save_config);
		CHECK_STR(c->hooks[CONF_HOOK_PRE_UP].v[0].cmd, "logger -t wg \"pre up %i\"");
		CHECK(c->peers[0].has_preshared_key && c->peers[0].n_allowed_ips == 3);
		key_is(c->peers[0].preshared_key, "Awb9kXY3Ub3SLHceTYPyOfeP0JwYegTFv3MYnAeQsF4=");
		CHECK(c->peers[0].has_keepalive && c->peers[0].keepalive == 0);
		CHECK(c->peers[2].keepalive == 65535);
		CHECK_STR(netaddr_format_endpoint(buf, &c->peers[0].endpoint), "[2001:db8::1]:51820");
		CHECK_STR(netaddr_format_endpoint(buf, &c->peers[1].endpoint), "[fe80::1%lo]:51820");
	} else {
		CHECK(!"extra-full has three peers");
	}
	conf_free(c);
	free(text);
}

/* (b) parse -> print -> parse is the same conf; printing is idempotent;
 * the strip printer keeps exactly the wg(8) part. */
static void test_fixtures_round_trip(void)
{
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		char *text, *p1 = NULL, *p2 = NULL, *s1 = NULL, *s2 = NULL;
		size_t len, l1 = 0, l2 = 0, sl1 = 0, sl2 = 0;
		struct conf *a = parse_fixture(fixtures[i], &text, &len);
		struct conf *b = NULL, *s = NULL;
		struct error err;

		if (!a)
			goto next;
		p1 = wgconf_format(a, WGCONF_FULL, &l1);
		CHECK_MSG(p1 != NULL, "%s: format", fixtures[i]);
		if (!p1)
			goto next;
		CHECK(strlen(p1) == l1);
		CHECK_MSG(wgconf_parse(p1, l1, "printed", &b, &err) == 0,
			  "%s: printed form does not parse: %s", fixtures[i], err.msg);
		if (!b)
			goto next;
		CHECK_MSG(conf_equal(a, b), "%s: round trip differs", fixtures[i]);
		p2 = wgconf_format(b, WGCONF_FULL, &l2);
		CHECK_MSG(p2 && l1 == l2 && !strcmp(p1, p2), "%s: not idempotent",
			  fixtures[i]);

		s1 = wgconf_format(a, WGCONF_STRIP, &sl1);
		CHECK(s1 != NULL);
		if (!s1 || wgconf_parse(s1, sl1, "stripped", &s, &err)) {
			CHECK_MSG(0, "%s: strip form does not parse", fixtures[i]);
			goto next;
		}
		CHECK(s->n_addresses == 0 && s->n_dns == 0 && !s->has_mtu &&
		      !s->has_table && !s->has_save_config);
		CHECK(s->hooks[CONF_HOOK_POST_UP].n == 0);
		CHECK(s->has_private_key == a->has_private_key &&
		      s->has_listen_port == a->has_listen_port &&
		      s->has_fwmark == a->has_fwmark && s->n_peers == a->n_peers);
		/* With the wg-quick part removed from a, the two are equal. */
		a->n_addresses = a->n_dns = 0;
		a->has_mtu = a->has_table = a->has_save_config = false;
		for (unsigned k = 0; k < CONF_HOOK_COUNT; k++) {
			for (size_t h = 0; h < a->hooks[k].n; h++)
				free(a->hooks[k].v[h].cmd);
			a->hooks[k].n = 0;
		}
		CHECK_MSG(conf_equal(a, s), "%s: strip form differs", fixtures[i]);
		s2 = wgconf_format(s, WGCONF_STRIP, &sl2);
		CHECK(s2 && sl1 == sl2 && !strcmp(s1, s2));
next:
		wgconf_text_free(p1, l1);
		wgconf_text_free(p2, l2);
		wgconf_text_free(s1, sl1);
		wgconf_text_free(s2, sl2);
		conf_free(a);
		conf_free(b);
		conf_free(s);
		free(text);
	}
}

/* The canonical text, byte for byte. */
static void test_print_canonical(void)
{
	const char *in =
		"[peer]\n"
		"publickey=" PUB1 "\n"
		"endpoint = [2001:DB8:0:0::1]:51820\n"
		"allowedips = 10.0.0.1/24 , 2001:db8:0::/32\n"
		"persistentkeepalive = 0\n"
		"[interface]\n"
		"postup = echo  two  spaces\n"
		"fwmark = 0\n"
		"privatekey = " PRIV "\n"
		"table = off\n"
		"dns = example.com, 1.1.1.1\n"
		"address = 10.0.0.2\n"
		"listenport = 00051820\n"
		"namespace = tnt1\n"
		"savecONFIG = TRUE\n";
	const char *want =
		"[Interface]\n"
		"PrivateKey = " PRIV "\n"
		"ListenPort = 51820\n"
		"FwMark = off\n"
		"Address = 10.0.0.2/32\n"
		"DNS = example.com, 1.1.1.1\n"
		"Table = off\n"
		"PostUp = echo  two  spaces\n"
		"SaveConfig = true\n"
		"Namespace = tnt1\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " PUB1 "\n"
		"AllowedIPs = 10.0.0.1/24, 2001:db8::/32\n"
		"Endpoint = [2001:db8::1]:51820\n"
		"PersistentKeepalive = off\n";
	const char *want_strip =
		"[Interface]\n"
		"PrivateKey = " PRIV "\n"
		"ListenPort = 51820\n"
		"FwMark = off\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " PUB1 "\n"
		"AllowedIPs = 10.0.0.1/24, 2001:db8::/32\n"
		"Endpoint = [2001:db8::1]:51820\n"
		"PersistentKeepalive = off\n";
	struct conf *c = parse_str(in, NULL);
	size_t len;
	char *out;

	if (!c)
		return;
	out = wgconf_format(c, WGCONF_FULL, &len);
	CHECK_STR(out, want);
	wgconf_text_free(out, len);
	out = wgconf_format(c, WGCONF_STRIP, &len);
	CHECK_STR(out, want_strip);
	wgconf_text_free(out, len);

	/* A conf with nothing set still prints its [Interface] header. */
	conf_free(c);
	c = conf_alloc();
	CHECK(c != NULL);
	out = wgconf_format(c, WGCONF_FULL, &len);
	CHECK_STR(out, "[Interface]\n");
	wgconf_text_free(out, len);

	/* A hook that would not read back is refused, not mangled. */
	CHECK(conf_add_hook(c, CONF_HOOK_PRE_UP, "echo # not a comment", 0) == 0);
	errno = 0;
	out = wgconf_format(c, WGCONF_FULL, &len);
	CHECK(out == NULL && errno == EINVAL);
	CHECK(wgconf_print(stdout, c, WGCONF_FULL) == -EINVAL);
	/* ... but the strip printer never writes hooks. */
	out = wgconf_format(c, WGCONF_STRIP, &len);
	CHECK_STR(out, "[Interface]\n");
	wgconf_text_free(out, len);
	conf_free(c);
}

/* (c) Each bad input and its exact message. */
static const struct bad_case {
	const char *in;
	const char *msg;
} bad_cases[] = {
	{ "PrivateKey = " PRIV "\n",
	  "t.conf:1: key \"PrivateKey\" before any [Interface] or [Peer] section" },
	{ "# comment\n\n[Foo]\n", "t.conf:3: unknown section \"Foo\"" },
	{ "[Peer\n", "t.conf:1: malformed section header \"[Peer\"" },
	{ "[Interface]\nFoo = 1\n", "t.conf:2: unknown key \"Foo\" in [Interface] section" },
	{ "[Interface]\nPrivate Key = " PRIV "\n",
	  "t.conf:2: unknown key \"Private Key\" in [Interface] section" },
	{ "[Peer]\nPublicKey = " PUB1 "\nListenPort = 1\n",
	  "t.conf:3: key \"ListenPort\" belongs in [Interface], not [Peer]" },
	{ "[Peer]\nPublicKey = " PUB1 "\nDNS = 1.1.1.1\n",
	  "t.conf:3: key \"DNS\" belongs in [Interface], not [Peer]" },
	{ "[Interface]\nListenPort\n",
	  "t.conf:2: expected \"Key = Value\" or a [Section] header, got \"ListenPort\"" },
	{ "[Interface]\nPrivateKey =\n", "t.conf:2: PrivateKey: missing value" },
	{ "[Interface]\nPrivateKey = abc\n",
	  "t.conf:2: PrivateKey: invalid key (hidden): not 44 characters of base64" },
	{ "[Peer]\nPublicKey = abc\n",
	  "t.conf:2: PublicKey: invalid key \"abc\": not 44 characters of base64" },
	{ "[Peer]\nPublicKey = RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8\n",
	  "t.conf:2: PublicKey: invalid key \"RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8\": "
	  "not 44 characters of base64" },
	{ "[Peer]\nPublicKey = RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8A\n",
	  "t.conf:2: PublicKey: invalid key \"RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8A\": "
	  "does not end in '='" },
	{ "[Peer]\nPublicKey = RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt!z8=\n",
	  "t.conf:2: PublicKey: invalid key \"RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt!z8=\": "
	  "contains a character outside base64" },
	{ "[Peer]\nPublicKey = " PUB1_NONCANON "\n",
	  "t.conf:2: PublicKey: invalid key \"" PUB1_NONCANON "\": "
	  "not canonical base64 (unused bits set in the last character)" },
	{ "[Peer]\nPublicKey = " PUB1 "\nPresharedKey = " PUB1_NONCANON "\n",
	  "t.conf:3: PresharedKey: invalid key (hidden): "
	  "not canonical base64 (unused bits set in the last character)" },
	/* A key on a line of its own: "KEY" "=" "" */
	{ "[Interface]\n" PRIV "\n", "t.conf:2: unknown key (hidden) in [Interface] section" },
	{ "[Peer]\nPublicKey = " PUB1 "\n" PSK "\n",
	  "t.conf:3: unknown key (hidden) in [Peer] section" },
	{ "[Interface]\nListenPort = 65536\n",
	  "t.conf:2: ListenPort: invalid port \"65536\": exceeds 65535" },
	{ "[Interface]\nListenPort = -1\n",
	  "t.conf:2: ListenPort: invalid port \"-1\": not a decimal number" },
	{ "[Interface]\nListenPort = 51820 # ok\nListenPort = 5 1\n",
	  "t.conf:3: ListenPort: invalid port \"5 1\": not a decimal number" },
	{ "[Peer]\nPublicKey = " PUB1 "\nPersistentKeepalive = 70000\n",
	  "t.conf:3: PersistentKeepalive: invalid keepalive interval \"70000\": "
	  "exceeds 65535 seconds" },
	{ "[Peer]\nPublicKey = " PUB1 "\nPersistentKeepalive = -1\n",
	  "t.conf:3: PersistentKeepalive: invalid keepalive interval \"-1\": "
	  "neither off nor a number of seconds" },
	{ "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.0/8, 10.0.0.0/33\n",
	  "t.conf:3: AllowedIPs: invalid allowed IP \"10.0.0.0/33\": prefix length exceeds 32" },
	{ "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = ::/129\n",
	  "t.conf:3: AllowedIPs: invalid allowed IP \"::/129\": prefix length exceeds 128" },
	{ "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.1/\n",
	  "t.conf:3: AllowedIPs: invalid allowed IP \"10.0.0.1/\": "
	  "prefix length is not a decimal number" },
	{ "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.256/32\n",
	  "t.conf:3: AllowedIPs: invalid allowed IP \"10.0.0.256/32\": not an IPv4 address" },
	{ "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.1/32,,10.0.0.2/32\n",
	  "t.conf:3: AllowedIPs: invalid list \"10.0.0.1/32,,10.0.0.2/32\": empty entry" },
	{ "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.1/32,\n",
	  "t.conf:3: AllowedIPs: invalid list \"10.0.0.1/32,\": empty entry" },
	{ "[Interface]\nAddress = 256.0.0.1/24\n",
	  "t.conf:2: Address: invalid address \"256.0.0.1/24\": not an IPv4 address" },
	{ "[Interface]\nAddress = fd00::1/64, fd00::1::2\n",
	  "t.conf:2: Address: invalid address \"fd00::1::2\": not an IPv6 address" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = 192.0.2.1\n",
	  "t.conf:3: Endpoint: invalid endpoint \"192.0.2.1\": missing :port" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = [::1]\n",
	  "t.conf:3: Endpoint: invalid endpoint \"[::1]\": missing :port after ']'" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = [::1:51820\n",
	  "t.conf:3: Endpoint: invalid endpoint \"[::1:51820\": no closing ']'" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = 192.0.2.1:65536\n",
	  "t.conf:3: Endpoint: invalid endpoint \"192.0.2.1:65536\": port exceeds 65535" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = 192.0.2.1:0\n",
	  "t.conf:3: Endpoint: invalid endpoint \"192.0.2.1:0\": port 0 cannot be a destination" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = 192.0.2.1:http\n",
	  "t.conf:3: Endpoint: invalid endpoint \"192.0.2.1:http\": port is not a decimal number" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = fe80::1\n",
	  "t.conf:3: Endpoint: invalid endpoint \"fe80::1\": "
	  "not an IPv6 address (write an IPv6 endpoint as [address]:port)" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = 192.0.2.256:51820\n",
	  "t.conf:3: Endpoint: invalid endpoint \"192.0.2.256:51820\": not an IPv4 address" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = 127.1:51820\n",
	  "t.conf:3: Endpoint: invalid endpoint \"127.1:51820\": not an IPv4 address" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = 0x7f000001:51820\n",
	  "t.conf:3: Endpoint: invalid endpoint \"0x7f000001:51820\": "
	  "legacy IPv4 notation; write a dotted quad" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = my_host.example.com:51820\n",
	  "t.conf:3: Endpoint: invalid endpoint \"my_host.example.com:51820\": "
	  "character not allowed in a host name" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = -vpn.example.com:51820\n",
	  "t.conf:3: Endpoint: invalid endpoint \"-vpn.example.com:51820\": "
	  "host name label starts or ends with '-'" },
	{ "[Peer]\nPublicKey = " PUB1 "\nEndpoint = vpn..example.com:51820\n",
	  "t.conf:3: Endpoint: invalid endpoint \"vpn..example.com:51820\": "
	  "empty label in host name" },
	{ "[Peer]\nAllowedIPs = 10.0.0.1/32\n", "t.conf:1: [Peer] has no PublicKey" },
	{ "[Interface]\n\n[Peer]\nEndpoint = 192.0.2.1:1\n[Interface]\nListenPort = 1\n",
	  "t.conf:3: [Peer] has no PublicKey" },
	{ "[Interface]\nSaveConfig = maybe\n",
	  "t.conf:2: SaveConfig: invalid boolean \"maybe\": neither true nor false" },
	{ "[Interface]\nSaveConfig =\n", "t.conf:2: SaveConfig: missing value" },
	{ "[Interface]\nFwMark = garbage\n",
	  "t.conf:2: FwMark: invalid fwmark \"garbage\": "
	  "neither off nor a decimal or 0x hex number" },
	{ "[Interface]\nFwMark = 0x100000000\n",
	  "t.conf:2: FwMark: invalid fwmark \"0x100000000\": exceeds 0xffffffff" },
	{ "[Interface]\nFwMark = 0X10\n",
	  "t.conf:2: FwMark: invalid fwmark \"0X10\": "
	  "neither off nor a decimal or 0x hex number" },
	{ "[Interface]\nMTU = big\n", "t.conf:2: MTU: invalid MTU \"big\": not a decimal number" },
	{ "[Interface]\nMTU = 67\n", "t.conf:2: MTU: invalid MTU \"67\": outside 68..65535" },
	{ "[Interface]\nTable = Off\n",
	  "t.conf:2: Table: invalid table \"Off\": write off and auto in lower case" },
	{ "[Interface]\nTable = 12x\n", "t.conf:2: Table: invalid table \"12x\": not a decimal number" },
	{ "[Interface]\nTable = main/1\n",
	  "t.conf:2: Table: invalid table \"main/1\": neither a number nor a table name" },
	{ "[Interface]\nNamespace = a/b\n",
	  "t.conf:2: Namespace: invalid namespace \"a/b\": not a name ip netns could make" },
	{ "[Interface]\nNamespace = ..\n",
	  "t.conf:2: Namespace: invalid namespace \"..\": not a name ip netns could make" },
	{ "[Interface]\nNamespace = 0123456789012345678901234567890123456789012345678901234567890123\n",
	  "t.conf:2: Namespace: invalid namespace "
	  "\"012345678901234567890123456789012345678901234567...\": too long" },
	{ "[Interface]\nDNS = 1.1.1.1, 1.2.3\n",
	  "t.conf:2: DNS: invalid DNS server \"1.2.3\": not an IPv4 address" },
	{ "[Interface]\nDNS = -corp.example\n",
	  "t.conf:2: DNS: invalid search domain \"-corp.example\": "
	  "host name label starts or ends with '-'" },
	{ "[Interface]\nFoo\x01 = 1\n",
	  "t.conf:2: unknown key \"Foo\\x01\" in [Interface] section" },
	{ "[Interface]\nPostUp = echo \"hi\" \\\nFoo = \"bar\"\n",
	  "t.conf:3: unknown key \"Foo\" in [Interface] section" },
	{ "[Peer]\nPublicKey = 0123456789012345678901234567890123456789012345678901234567890\n",
	  "t.conf:2: PublicKey: invalid key "
	  "\"012345678901234567890123456789012345678901234567...\": "
	  "not 44 characters of base64" },
};

static void test_bad_inputs(void)
{
	char buf[ERROR_STRLEN];

	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		struct error err;
		struct conf *conf = (struct conf *)1;
		int ret = wgconf_parse(bad_cases[i].in, strlen(bad_cases[i].in),
				       "t.conf", &conf, &err);

		CHECK_MSG(ret == -EINVAL, "case %zu: ret %d", i, ret);
		CHECK(conf == NULL);
		error_format(&err, buf, sizeof(buf));
		CHECK_STR(buf, bad_cases[i].msg);
	}
	/* The error structure, field by field. */
	{
		const char *in = "[Peer]\nPublicKey = " PUB1 "\nEndpoint = [::1]\n";
		struct error err;
		struct conf *conf;

		CHECK(wgconf_parse(in, strlen(in), "wg0.conf", &conf, &err) == -EINVAL);
		CHECK_STR(err.file, "wg0.conf");
		CHECK(err.line == 3);
		CHECK_STR(err.key, "Endpoint");
		CHECK_STR(err.value, "\"[::1]\"");
		CHECK_STR(err.msg, "invalid endpoint \"[::1]\": missing :port after ']'");
	}
}

/* NUL bytes, line and file length. */
static void test_bad_framing(void)
{
	static const char nul[] = "[Interface]\nListenPort = 1\0 2\n";
	char buf[ERROR_STRLEN];
	struct error err;
	struct conf *conf;
	char *big;
	size_t n;

	CHECK(wgconf_parse(nul, sizeof(nul) - 1, "t.conf", &conf, &err) == -EINVAL);
	error_format(&err, buf, sizeof(buf));
	CHECK_STR(buf, "t.conf:2: NUL byte in line");

	/* A line of exactly WGCONF_LINE_MAX bytes is fine, one more is not. */
	n = 12 + WGCONF_LINE_MAX + 1;
	big = malloc(n + 2);
	if (!big)
		abort();
	memcpy(big, "[Interface]\n", 12);
	memset(big + 12, ' ', WGCONF_LINE_MAX);
	memcpy(big + 12 + WGCONF_LINE_MAX - 13, "ListenPort=1\n", 13);
	CHECK(wgconf_parse(big, 12 + WGCONF_LINE_MAX, "t.conf", &conf, &err) == 0);
	conf_free(conf);
	memset(big + 12, '#', WGCONF_LINE_MAX + 1);
	big[n] = '\n';
	CHECK(wgconf_parse(big, n + 1, "t.conf", &conf, &err) == -EINVAL);
	error_format(&err, buf, sizeof(buf));
	CHECK_STR(buf, "t.conf:2: line longer than 16384 bytes");
	free(big);

	n = WGCONF_FILE_MAX + 1;
	big = calloc(1, n);
	if (!big)
		abort();
	memset(big, '\n', n);
	CHECK(wgconf_parse(big, n, "t.conf", &conf, &err) == -EINVAL);
	error_format(&err, buf, sizeof(buf));
	CHECK_STR(buf, "t.conf: larger than 16 MiB");
	/* Exactly the limit parses (it is all blank lines). */
	CHECK(wgconf_parse(big, n - 1, "t.conf", &conf, &err) == 0);
	conf_free(conf);
	free(big);

	/* No trailing newline, CRLF line ends, an empty file. */
	conf = parse_str("[Interface]\r\nListenPort = 7\r\n[Peer]\r\nPublicKey = " PUB1, NULL);
	CHECK(conf && conf->listen_port == 7 && conf->n_peers == 1);
	conf_free(conf);
	conf = parse_str("", NULL);
	CHECK(conf && conf->n_peers == 0 && !conf->has_private_key);
	conf_free(conf);
}

/* (d) */
static void test_syntax_variants(void)
{
	const char *in =
		"  # leading comment\n"
		"[INTERFACE]   # comment after a header\n"
		"LISTENPORT=1\n"
		"\tlistenport\t=\t2\t# last wins, like wg(8)\n"
		"Address = 10.0.0.1/24,10.0.0.2/24\n"
		"address = fd00::1/64  fd00::2/64 ,, 10.0.0.3\n"
		"Address =\n"
		"DNS = 1.1.1.1\n"
		"dns = search.example, 2606:4700::1111\n"
		"MTU = 1400\n"
		"MTU =\n"
		"Table = auto\n"
		"PreUp = a\n"
		"preup = b=c # d\n"
		"PostDown = x\n"
		"PreUp =\n"
		"FwMark = 010\n"
		"fwmark = 0xFFffFFff\n"
		"[ peer ]\n"
		"PublicKey = " PUB2 "\n"
		"PUBLICKEY = " PUB1 "\n"
		"AllowedIPs =\n"
		"AllowedIPs = 10.1.0.0/16, 10.2.0.1/16\n"
		"AllowedIPs = 10.3.0.0/16\n"
		"PresharedKey = " PSK "\n"
		"persistentkeepalive = OFF\n"
		"PersistentKeepalive = 25\n"
		"[Interface]\n"
		"PrivateKey = " PRIV "\n";
	struct conf *c = parse_str(in, NULL);
	char buf[NETADDR_PREFIX_STRLEN];

	if (!c)
		return;
	CHECK(c->interface_line == 2);
	CHECK(c->has_listen_port && c->listen_port == 2 && c->listen_port_line == 4);
	CHECK(c->n_addresses == 5);
	if (c->n_addresses == 5) {
		CHECK_STR(netaddr_format_prefix(buf, &c->addresses[1].prefix), "10.0.0.2/24");
		CHECK_STR(netaddr_format_prefix(buf, &c->addresses[3].prefix), "fd00::2/64");
		CHECK_STR(netaddr_format_prefix(buf, &c->addresses[4].prefix), "10.0.0.3/32");
		CHECK(c->addresses[4].line == 6);
	}
	CHECK(c->n_dns == 3 && c->dns[1].kind == CONF_DNS_SEARCH &&
	      c->dns[2].kind == CONF_DNS_SERVER && c->dns[2].server.family == AF_INET6);
	CHECK(!c->has_mtu);
	CHECK(c->has_table && c->table.kind == CONF_TABLE_AUTO);
	CHECK(c->hooks[CONF_HOOK_PRE_UP].n == 3 && c->hooks[CONF_HOOK_POST_DOWN].n == 1);
	if (c->hooks[CONF_HOOK_PRE_UP].n == 3) {
		CHECK_STR(c->hooks[CONF_HOOK_PRE_UP].v[1].cmd, "b=c");
		CHECK_STR(c->hooks[CONF_HOOK_PRE_UP].v[2].cmd, "");
	}
	CHECK(c->has_fwmark && c->fwmark == 0xffffffff && c->fwmark_line == 18);
	CHECK(c->has_private_key && c->private_key_line == 29);
	key_is(c->private_key, PRIV);
	CHECK(c->n_peers == 1);
	if (c->n_peers == 1) {
		const struct conf_peer *p = &c->peers[0];

		CHECK(p->line == 19);
		key_is(p->public_key, PUB1);
		key_is(p->preshared_key, PSK);
		CHECK(p->n_allowed_ips == 3 && p->has_keepalive && p->keepalive == 25);
		/* Host bits stay as written. */
		CHECK_STR(netaddr_format_prefix(buf, &p->allowed_ips[1].prefix), "10.2.0.1/16");
	}
	conf_free(c);

	/* "010" is decimal ten for wg(8)'s fwmark, not octal eight. */
	c = parse_str("[Interface]\nFwMark = 010\n", NULL);
	CHECK(c && c->fwmark == 10);
	conf_free(c);
	c = parse_str("[Interface]\nFwMark = off\nListenPort = 0\n", NULL);
	CHECK(c && c->has_fwmark && c->fwmark == 0 && c->has_listen_port && !c->listen_port);
	conf_free(c);
}

/* (e) */
static void test_endpoints(void)
{
	static const struct {
		const char *in, *out;
		bool literal;
		int family;
	} good[] = {
		{ "[fe80::1]:51820", "[fe80::1]:51820", true, AF_INET6 },
		{ "[FE80:0::1%wg0]:1", "[fe80::1%wg0]:1", true, AF_INET6 },
		{ "::1:51820", "[::1]:51820", true, AF_INET6 }, /* last colon, as wg */
		{ "[192.0.2.1]:9", "192.0.2.1:9", true, AF_INET },
		{ "192.0.2.1:65535", "192.0.2.1:65535", true, AF_INET },
		{ "vpn.example.com:51820", "vpn.example.com:51820", false, 0 },
		{ "VPN.Example.COM.:51820", "VPN.Example.COM.:51820", false, 0 },
		{ "localhost:1", "localhost:1", false, 0 },
		{ "1host.example:01", "1host.example:1", false, 0 },
	};
	static const char *const bad[] = {
		"", ":51820", "[]:1", "[fe80::1]", "[fe80::1]51820", "[fe80::1]:",
		"vpn.example.com", "vpn.example.com:", "host:-1", "[::1%]:1",
		"[::1%abcdefghijklmnop]:1", "a.123:1", "[vpn.example.com]:1",
		".:1", "x.-y:1",
	};
	struct netaddr_endpoint e, a, b;
	char buf[NETADDR_ENDPOINT_STRLEN];
	char longname[300];
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(&e, 0, sizeof(e));
		CHECK_MSG(netaddr_parse_endpoint(&e, good[i].in, &why), "%s", good[i].in);
		CHECK_STR(netaddr_format_endpoint(buf, &e), good[i].out);
		CHECK(e.literal == good[i].literal);
		if (good[i].literal)
			CHECK(e.addr.family == good[i].family);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		CHECK_MSG(!netaddr_parse_endpoint(&e, bad[i], &why) && why, "%s", bad[i]);
	}

	/* 63-character labels and 253-character names are the limits. */
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 63, ".b:1", 5);
	CHECK(netaddr_parse_endpoint(&e, longname, &why));
	memset(longname, 'a', sizeof(longname));
	memcpy(longname + 64, ".b:1", 5);
	CHECK(!netaddr_parse_endpoint(&e, longname, &why));
	for (size_t i = 0; i < 253; i++)
		longname[i] = i % 2 ? '.' : 'a';
	memcpy(longname + 253, ":1", 3);
	CHECK(netaddr_parse_endpoint(&e, longname, &why));
	memcpy(longname + 253, ".:1", 4);
	CHECK(netaddr_parse_endpoint(&e, longname, &why));
	memcpy(longname + 253, "a:1", 4);
	CHECK(!netaddr_parse_endpoint(&e, longname, &why));

	/* Names compare case-insensitively, zones exactly. */
	CHECK(netaddr_parse_endpoint(&a, "VPN.example.com:1", &why));
	CHECK(netaddr_parse_endpoint(&b, "vpn.EXAMPLE.com:1", &why));
	CHECK(netaddr_endpoint_equal(&a, &b));
	CHECK(netaddr_parse_endpoint(&b, "vpn.example.com:2", &why));
	CHECK(!netaddr_endpoint_equal(&a, &b));
	CHECK(netaddr_parse_endpoint(&a, "[fe80::1%a]:1", &why));
	CHECK(netaddr_parse_endpoint(&b, "[fe80::1%b]:1", &why));
	CHECK(!netaddr_endpoint_equal(&a, &b));

	/* Through the config parser. */
	{
		struct conf *c = parse_str("[Peer]\nPublicKey = " PUB1 "\n"
					   "Endpoint = [fe80::1]:51820\n"
					   "[Peer]\nPublicKey = " PUB2 "\n"
					   "Endpoint = vpn.example.com:51820\n", NULL);

		CHECK(c && c->n_peers == 2);
		if (c && c->n_peers == 2) {
			CHECK(c->peers[0].endpoint.literal && c->peers[0].endpoint.port == 51820);
			CHECK(!c->peers[1].endpoint.literal);
			CHECK_STR(c->peers[1].endpoint.host, "vpn.example.com");
			CHECK(c->peers[1].endpoint_line == 6);
		}
		conf_free(c);
	}
}


/* wgconf_strip(): the user's lines minus everything wg(8) would refuse. */
static void test_strip_lines(void)
{
	const char *in =
		"# top\n"
		"  [Interface]  \n"
		"\tPrivateKey = " PRIV "   # key\n"
		"Address = 10.0.0.1/24 # gone\n"
		"ListenPort = 51820\n"
		"\n"
		"PostUp = iptables -A FORWARD -i %i -j ACCEPT\n"
		"DNS = 1.1.1.1\n"
		"SaveConfig = true\n"
		"[Peer]\n"
		"PublicKey = " PUB1 "\n"
		"AllowedIPs =\n"
		"AllowedIPs = 10.0.0.2/32\r\n"
		"Endpoint = vpn.example.com:51820";
	const char *want =
		"# top\n"
		"[Interface]\n"
		"PrivateKey = " PRIV "   # key\n"
		"ListenPort = 51820\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " PUB1 "\n"
		"AllowedIPs = 10.0.0.2/32\r\n"
		"Endpoint = vpn.example.com:51820\n";
	struct error err;
	char *out = NULL, buf[ERROR_STRLEN];
	size_t len = 0;

	CHECK(wgconf_strip(in, strlen(in), "t.conf", &out, &len, &err) == 0);
	CHECK_STR(out, want);
	CHECK(out && len == strlen(out));
	wgconf_text_free(out, len);

	CHECK(wgconf_strip("", 0, "t.conf", &out, &len, &err) == 0);
	CHECK_STR(out, "");
	wgconf_text_free(out, len);

	/* A bad file yields nothing but the error. */
	in = "[Interface]\nAddress = 10.0.0.1/24\nMTU = tall\n";
	out = (char *)1;
	CHECK(wgconf_strip(in, strlen(in), "wg0.conf", &out, &len, &err) == -EINVAL);
	CHECK(out == NULL && len == 0);
	error_format(&err, buf, sizeof(buf));
	CHECK_STR(buf, "wg0.conf:3: MTU: invalid MTU \"tall\": not a decimal number");
}


/* A higher room's keys: a section of its own and a key in [Peer], which
 * the bare parser refuses and the registered one takes, prints after the
 * built-in keys and strips. */
static int set_note(struct wgconf_ctx *ctx, const struct wgconf_key *k, char *value)
{
	(void)k;
	if (strcmp(value, "ok"))
		return wgconf_fail_value(ctx, "note", value, "not \"ok\"");
	return 0;
}

static void print_note(struct textbuf *o, const struct wgconf_key *k, const struct conf *conf,
		       size_t idx)
{
	(void)conf;
	textbuf_printf(o, "%s = ok%zu\n", k->name, idx);
}

static size_t one_note(const struct conf *conf)
{
	(void)conf;
	return 1;
}

static const struct wgconf_key note_keys[] = {
	{ "Peer", "Note", WGCONF_OWNER_RAMPART, 0, 0, set_note, print_note },
	{ "Notes", "Note", WGCONF_OWNER_RAMPART, 0, 0, set_note, print_note },
};
static const struct wgconf_section note_sections[] = {
	{ "Notes", WGCONF_OWNER_RAMPART, NULL, NULL, one_note },
};
static const struct wgconf_ext note_ext = { note_sections, 1, note_keys, 2 };
static const struct wgconf_key wg_key[] = {
	{ "Peer", "Sneaky", WGCONF_OWNER_WG, 0, 0, set_note, print_note },
};
static const struct wgconf_ext wg_ext = { NULL, 0, wg_key, 1 };

static void test_registered_keys(void)
{
	const char *text = "[Interface]\nListenPort = 1\n[Peer]\nPublicKey = " PUB1
			   "\nNote = ok\n[Notes]\nnote = ok\n";
	struct error err;
	char msg[ERROR_STRLEN], *out = NULL;
	struct conf *conf = NULL;
	size_t len;

	/* Before: unknown, as the key of any other program would be. */
	CHECK(wgconf_parse(text, strlen(text), "t.conf", &conf, &err) == -EINVAL);
	error_format(&err, msg, sizeof(msg));
	CHECK_STR(msg, "t.conf:5: unknown key \"Note\" in [Peer] section");
	/* Only Rampart's own keys may be registered: strip relies on it. */
	CHECK(wgconf_register(&wg_ext) == -EINVAL);
	CHECK(wgconf_register(&note_ext) == 0);
	CHECK(wgconf_register(&note_ext) == 0);

	CHECK(wgconf_parse(text, strlen(text), "t.conf", &conf, &err) == 0);
	if (conf) {
		out = wgconf_format(conf, WGCONF_FULL, &len);
		CHECK(out != NULL);
		if (out)
			CHECK_STR(out, "[Interface]\nListenPort = 1\n\n[Peer]\nPublicKey = " PUB1
				  "\nNote = ok0\n\n[Notes]\nNote = ok0\n");
		wgconf_text_free(out, len);
		out = wgconf_format(conf, WGCONF_STRIP, &len);
		if (out)
			CHECK_STR(out, "[Interface]\nListenPort = 1\n\n[Peer]\nPublicKey = " PUB1 "\n");
		wgconf_text_free(out, len);
		conf_free(conf);
	}
	text = "[Peer]\nPublicKey = " PUB1 "\nNote = no\n";
	CHECK(wgconf_parse(text, strlen(text), "t.conf", &conf, &err) == -EINVAL);
	error_format(&err, msg, sizeof(msg));
	CHECK_STR(msg, "t.conf:3: Note: invalid note \"no\": not \"ok\"");
	text = "[Interface]\nNote = ok\n";
	CHECK(wgconf_parse(text, strlen(text), "t.conf", &conf, &err) == -EINVAL);
	error_format(&err, msg, sizeof(msg));
	CHECK_STR(msg, "t.conf:2: key \"Note\" belongs in [Peer], not [Interface]");
}

/* "# Name = ..." in a [Peer] names it; elsewhere, or spelled otherwise,
 * it is a comment like any other. */
static void test_peer_names(void)
{
	char big[CONF_PEER_NAME_MAX + 40], *text, *out = NULL;
	struct error err;
	struct conf *c;
	size_t len;

	text = "[Interface]\n# Name = not a peer\nListenPort = 1\n"
	       "[Peer]\n#Name=bob\n# Name = alice's laptop  \nPublicKey = " PUB1 "\n"
	       "[Peer]\n# name = carol # the second\nPublicKey = " PUB2 "\n"
	       "[Peer]\n# Named = nobody\n#  Name: nobody\nPublicKey = " PUB1 "\n";
	c = parse_str(text, NULL);
	CHECK(c && c->n_peers == 3);
	if (!c)
		return;
	CHECK_STR(c->peers[0].name, "alice's laptop"); /* the last one counts */
	CHECK(c->peers[0].name_line == 6);
	CHECK_STR(c->peers[1].name, "carol # the second");
	CHECK_STR(c->peers[2].name, "");
	/* Printed as the first line of its section, and read back. */
	out = wgconf_format(c, WGCONF_FULL, &len);
	CHECK(out && strstr(out, "[Peer]\n# Name = alice's laptop\nPublicKey = " PUB1 "\n"));
	if (out) {
		struct conf *back = parse_str(out, NULL);

		CHECK(back && conf_equal(c, back));
		if (back) {
			/* A different name is a different config. */
			snprintf(back->peers[1].name, sizeof(back->peers[1].name), "dave");
			CHECK(!conf_equal(c, back));
		}
		conf_free(back);
	}
	wgconf_text_free(out, len);
	conf_free(c);
	/* strip keeps the comment: wg(8) ignores it. */
	CHECK(wgconf_strip(text, strlen(text), "t.conf", &out, &len, &err) == 0);
	CHECK(out && strstr(out, "# Name = alice's laptop\n"));
	wgconf_text_free(out, len);
	/* Too long: refused by name, not cut. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	out = malloc(strlen(big) + 200);
	if (!out)
		return;
	sprintf(out, "[Peer]\nPublicKey = " PUB1 "\n# Name = %s\n", big);
	CHECK(wgconf_parse(out, strlen(out), "t.conf", &c, &err) == -EINVAL);
	CHECK(err.line == 3 && strstr(err.msg, "is longer than 127 bytes"));
	free(out);
}

static const struct harness_case cases[] = {
	{ "fixtures parse", test_fixtures_parse },
	{ "fixture values", test_fixture_values },
	{ "fixtures round trip", test_fixtures_round_trip },
	{ "canonical print", test_print_canonical },
	{ "bad inputs and their messages", test_bad_inputs },
	{ "NUL, line and file limits", test_bad_framing },
	{ "case, comments, repeats, lists", test_syntax_variants },
	{ "IPv6 and hostname endpoints", test_endpoints },
	{ "strip keeps the user's wg lines", test_strip_lines },
	{ "peer names from # Name comments", test_peer_names },
	{ "keys registered by a higher room", test_registered_keys },
};

HARNESS_MAIN(cases)
