/* The pure half of rampart up/down (src/quick/quick.c): wg-quick's naming
 * rules, route plan and order, automatic MTU, hooks, resolvconf input,
 * the nftables batch, SaveConfig's merge, and the state file's format,
 * each against what wg-quick 1.0.20210914 does or an exact expected
 * text. */
#include "harness.h"

#include "conf/config.h"
#include "common/netaddr.h"
#include "common/textbuf.h"
#include "sys/netlink.h"
#include "quick/quick.h"
#include "firewall/policykeys.h"
#include "conf/wgconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PRIV "8MgXEFvbqpbnkj9odG/n0vEmPMh1eCr7Jv7QLtDIUHk="
#define PUB1 "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8="
#define PUB2 "mrhPtR2F9ehFPPZ2CuGF18tXltYNyzIWcMnVg4V3V1s="

static struct conf *parse(const char *text)
{
	struct conf *conf = NULL;
	struct error err;
	char msg[ERROR_STRLEN];

	if (wgconf_parse(text, strlen(text), "t.conf", &conf, &err)) {
		error_format(&err, msg, sizeof(msg));
		harness_fail(__FILE__, __LINE__, "parse: %s", msg);
		return NULL;
	}
	return conf;
}

static struct netaddr_prefix pfx(const char *s)
{
	struct netaddr_prefix p;
	const char *why;

	memset(&p, 0, sizeof(p));
	if (!netaddr_parse_prefix(&p, s, &why))
		harness_fail(__FILE__, __LINE__, "bad prefix %s: %s", s, why);
	return p;
}

static struct netaddr ip(const char *s)
{
	return pfx(s).addr;
}

/* --- naming --------------------------------------------------------------- */

static void test_names(void)
{
	char path[64], name[CONF_IFNAME_MAX + 1];

	CHECK(conf_valid_ifname("wg0"));
	CHECK(conf_valid_ifname("a_b=c+d.e-f"));
	CHECK(conf_valid_ifname("123456789012345"));
	CHECK(!conf_valid_ifname("1234567890123456"));
	CHECK(!conf_valid_ifname(""));
	CHECK(!conf_valid_ifname("wg 0"));
	CHECK(!conf_valid_ifname("wg/0"));
	CHECK(!conf_valid_ifname("wg:0"));

	CHECK(conf_config_path("wg0", path, sizeof(path)) == 0);
	CHECK_STR(path, "/etc/wireguard/wg0.conf");
	/* wg-quick's quirk: a bare "wg0.conf" is a valid name too. */
	CHECK(conf_config_path("wg0.conf", path, sizeof(path)) == 0);
	CHECK_STR(path, "/etc/wireguard/wg0.conf.conf");
	CHECK(conf_config_path("./wg0.conf", path, sizeof(path)) == 0);
	CHECK_STR(path, "./wg0.conf");
	CHECK(conf_config_path("/a/very/long/path/that/does/not/fit/in/the/buffer/wg0.conf",
				path, 32) == -ENAMETOOLONG);

	CHECK(conf_ifname_from_path("/etc/wireguard/wg0.conf", name));
	CHECK_STR(name, "wg0");
	CHECK(conf_ifname_from_path("wg1.conf", name));
	CHECK_STR(name, "wg1");
	CHECK(conf_ifname_from_path("/x/123456789012345.conf", name));
	CHECK_STR(name, "123456789012345");
	CHECK(!conf_ifname_from_path("/x/1234567890123456.conf", name));
	CHECK(!conf_ifname_from_path("/x/.conf", name));
	CHECK(!conf_ifname_from_path("/x/wg0.cnf", name));
	CHECK(!conf_ifname_from_path("/x/wg 0.conf", name));
	CHECK(!conf_ifname_from_path("/x/wg0.conf/", name));
	CHECK(conf_ifname_from_path("/etc/wireguard/wg0.conf.conf", name));
	CHECK_STR(name, "wg0.conf");
}

/* --- routes --------------------------------------------------------------- */

static const char routes_conf[] =
	"[Interface]\nPrivateKey = " PRIV "\n"
	"[Peer]\nPublicKey = " PUB1 "\n"
	"AllowedIPs = 10.1.2.3/16, 192.168.1.0/24, ::/0, fd00::5/64\n"
	"[Peer]\nPublicKey = " PUB2 "\n"
	"AllowedIPs = 10.1.0.0/16, 0.0.0.0/0, 10.9.9.9/32, 192.168.2.0/24\n";

static void check_routes(const struct quick_route *r, size_t n, const char *const *want,
			 size_t nwant, enum quick_route_kind kind_nonzero)
{
	char buf[NETADDR_PREFIX_STRLEN];

	CHECK_MSG(n == nwant, "%zu routes, want %zu", n, nwant);
	for (size_t i = 0; i < n && i < nwant; i++) {
		CHECK_STR(netaddr_format_prefix(buf, &r[i].prefix), want[i]);
		if (r[i].prefix.cidr)
			CHECK(r[i].kind == kind_nonzero);
	}
}

static void test_routes(void)
{
	/* What `LC_ALL=C sort -nr -k 2 -t /` makes of wg show allowed-ips
	 * (checked against coreutils): longest first, ties by whole line,
	 * descending.  Host bits cleared, the repeated 10.1.0.0/16 once. */
	static const char *const want[] = {
		"fd00::/64", "10.9.9.9/32", "192.168.2.0/24", "192.168.1.0/24",
		"10.1.0.0/16", "::/0", "0.0.0.0/0",
	};
	struct quick_route *r = NULL;
	struct conf *conf = parse(routes_conf), *file;
	size_t n = 0;

	if (!conf)
		return;
	CHECK(quick_plan_routes(conf, conf, &r, &n) == 0);
	check_routes(r, n, want, ARRAY_SIZE(want), QUICK_ROUTE_MAIN);
	CHECK(n == 7 && r[5].kind == QUICK_ROUTE_DEFAULT && r[6].kind == QUICK_ROUTE_DEFAULT);
	free(r);

	/* Table = auto is the default. */
	conf->has_table = true;
	conf->table.kind = CONF_TABLE_AUTO;
	CHECK(quick_plan_routes(conf, conf, &r, &n) == 0);
	CHECK(n == 7 && r[6].kind == QUICK_ROUTE_DEFAULT);
	free(r);

	/* An explicit table takes everything, /0 included, as is. */
	conf->table.kind = CONF_TABLE_ID;
	conf->table.id = 1234;
	CHECK(quick_plan_routes(conf, conf, &r, &n) == 0);
	check_routes(r, n, want, ARRAY_SIZE(want), QUICK_ROUTE_TABLE);
	CHECK(n == 7 && r[5].kind == QUICK_ROUTE_TABLE && r[6].kind == QUICK_ROUTE_TABLE);
	free(r);
	conf->table.kind = CONF_TABLE_NAME;
	snprintf(conf->table.name, sizeof(conf->table.name), "main");
	CHECK(quick_plan_routes(conf, conf, &r, &n) == 0);
	CHECK(n == 7 && r[6].kind == QUICK_ROUTE_TABLE);
	free(r);

	conf->table.kind = CONF_TABLE_OFF;
	r = (struct quick_route *)1;
	CHECK(quick_plan_routes(conf, conf, &r, &n) == 0);
	CHECK(n == 0 && r == NULL);

	/* The peers come from the daemon, which knows no Table: the file's
	 * setting decides. */
	conf->has_table = false;
	file = parse("[Interface]\nTable = off\n");
	if (file) {
		CHECK(quick_plan_routes(conf, file, &r, &n) == 0);
		CHECK(n == 0 && r == NULL);
		conf_free(file);
	}
	file = parse("[Interface]\nTable = 7\n");
	if (file) {
		CHECK(quick_plan_routes(conf, file, &r, &n) == 0);
		CHECK(n == 7 && r && r[6].kind == QUICK_ROUTE_TABLE);
		free(r);
		conf_free(file);
	}
	conf_free(conf);

	/* No peers, or peers without allowed IPs. */
	conf = parse("[Interface]\nPrivateKey = " PRIV "\n[Peer]\nPublicKey = " PUB1 "\n");
	if (!conf)
		return;
	CHECK(quick_plan_routes(conf, conf, &r, &n) == 0);
	CHECK(n == 0 && r == NULL);
	conf_free(conf);
}

static void test_prefixes(void)
{
	struct netaddr_prefix a = pfx("10.1.2.3/12"), b;

	netaddr_prefix_mask(&a);
	b = pfx("10.0.0.0/12");
	CHECK(netaddr_prefix_equal(&a, &b));
	a = pfx("fd00:1:2:3:4:5:6:7/65");
	netaddr_prefix_mask(&a);
	b = pfx("fd00:1:2:3::/65");
	CHECK(netaddr_prefix_equal(&a, &b));
	a = pfx("1.2.3.4/0");
	netaddr_prefix_mask(&a);
	b = pfx("0.0.0.0/0");
	CHECK(netaddr_prefix_equal(&a, &b));

	a = pfx("10.0.0.0/24");
	b = pfx("10.0.0.7/32");
	CHECK(netaddr_prefix_contains(&a, &b));
	CHECK(!netaddr_prefix_contains(&b, &a));
	CHECK(netaddr_prefix_contains(&a, &a));
	b = pfx("10.0.1.0/32");
	CHECK(!netaddr_prefix_contains(&a, &b));
	b = pfx("10.0.0.0/23");
	CHECK(!netaddr_prefix_contains(&a, &b));
	a = pfx("::/0");
	b = pfx("fd00::1/128");
	CHECK(netaddr_prefix_contains(&a, &b));
	b = pfx("10.0.0.1/32");
	CHECK(!netaddr_prefix_contains(&a, &b)); /* families differ */
	a = pfx("0.0.0.0/0");
	CHECK(netaddr_prefix_contains(&a, &b));
	a = pfx("fd00::/64");
	b = pfx("fd00::1:2/127");
	CHECK(netaddr_prefix_contains(&a, &b));
	b = pfx("fd00:0:0:1::/64");
	CHECK(!netaddr_prefix_contains(&a, &b));
}

static void test_tables_and_rules(void)
{
	static const uint32_t used[] = { 51821, 100, 51820, 51823, 51820 };
	struct netlink_rule r[2], other;
	uint32_t id = 0;

	CHECK(quick_first_free_table(NULL, 0) == 51820);
	CHECK(quick_first_free_table(used, 1) == 51820);
	CHECK(quick_first_free_table(used, ARRAY_SIZE(used)) == 51822);

	CHECK(quick_default_rules(AF_INET6, 51820, r) == 2);
	CHECK(r[0].family == AF_INET6 && r[0].invert && r[0].has_fwmark &&
	      r[0].fwmark == 51820 && r[0].table == 51820 && r[0].suppress_prefixlength == -1 &&
	      !r[0].priority);
	CHECK(r[1].family == AF_INET6 && !r[1].invert && !r[1].has_fwmark &&
	      r[1].table == NETLINK_TABLE_MAIN && r[1].suppress_prefixlength == 0);

	other = r[0];
	other.priority = 32765;
	CHECK(quick_rule_matches(&other, &r[0]));
	CHECK(!quick_rule_matches(&other, &r[1]));
	other.other_selectors = true; /* e.g. "from 10.0.0.0/8" */
	CHECK(!quick_rule_matches(&other, &r[0]));
	other = r[0];
	other.fwmark = 51821;
	CHECK(!quick_rule_matches(&other, &r[0]));
	other = r[1];
	other.family = AF_INET;
	CHECK(!quick_rule_matches(&other, &r[1]));
	other = r[1];
	other.suppress_prefixlength = 8;
	CHECK(!quick_rule_matches(&other, &r[1]));

	CHECK(quick_rt_table_lookup(NULL, "main", &id) && id == 254);
	CHECK(quick_rt_table_lookup(NULL, "local", &id) && id == 255);
	CHECK(quick_rt_table_lookup(NULL, "default", &id) && id == 253);
	CHECK(!quick_rt_table_lookup(NULL, "vpn", &id));
	CHECK(quick_rt_table_lookup("# reserved\n255\tlocal\n 200 vpn # ours\n0x10 hex\n",
				    "vpn", &id) && id == 200);
	CHECK(quick_rt_table_lookup("200 vpn\n0x10 hex", "hex", &id) && id == 16);
	CHECK(!quick_rt_table_lookup("200 vpn2\n#201 vpn\n", "vpn", &id));
}

static void test_mtu(void)
{
	static const uint32_t eps[] = { 1400, 0, 9000, 1280 };

	CHECK(quick_mtu_auto(eps, ARRAY_SIZE(eps), 1500) == 8920);
	CHECK(quick_mtu_auto(eps, 2, 9000) == 1320);
	CHECK(quick_mtu_auto(eps + 1, 1, 1492) == 1412); /* an endpoint without MTU */
	CHECK(quick_mtu_auto(NULL, 0, 1492) == 1412);
	CHECK(quick_mtu_auto(NULL, 0, 0) == 1420);
	CHECK(quick_mtu_auto(NULL, 0, 80) == 0);
	CHECK(quick_mtu_auto(NULL, 0, 81) == 1);
}

/* --- hooks and DNS -------------------------------------------------------- */

static void test_hooks(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" },
		{ "echo hi", "echo hi" },
		{ "%i", "wg0" },
		{ "ip link show %i; echo %i>/tmp/%i", "ip link show wg0; echo wg0>/tmp/wg0" },
		{ "%%i %i%i %", "%wg0 wg0wg0 %" },
		{ "100%", "100%" },
		{ "%I", "%I" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		char *s = quick_hook_expand(v[i].in, "wg0");

		CHECK(s != NULL);
		if (s)
			CHECK_STR(s, v[i].out);
		free(s);
	}
}

static void test_dns(void)
{
	struct textbuf t = { 0 };
	struct conf *conf;
	char prefix[QUICK_DNS_IFACE_MAX];

	conf = parse("[Interface]\nDNS = 10.0.0.1, corp.example, fd00::53\n"
		     "DNS = lan.example\n");
	if (!conf)
		return;
	CHECK(quick_dns_input(conf, &t));
	CHECK_STR(t.buf, "nameserver 10.0.0.1\nnameserver fd00::53\n"
			 "search corp.example lan.example\n");
	textbuf_wipe(&t);
	conf_free(conf);

	conf = parse("[Interface]\nDNS = 1.1.1.1\n");
	if (conf) {
		CHECK(quick_dns_input(conf, &t));
		CHECK_STR(t.buf, "nameserver 1.1.1.1\n");
		textbuf_wipe(&t);
		conf_free(conf);
	}
	/* Search domains alone: wg-quick does not call resolvconf. */
	conf = parse("[Interface]\nDNS = corp.example\n");
	if (conf) {
		CHECK(!quick_dns_input(conf, &t));
		textbuf_wipe(&t);
		conf_free(conf);
	}

	/* Debian's resolvconf ships "tun*" among others. */
	quick_resolvconf_prefix("# interface-order\nlo.inet*\nlo.dnsmasq\ntun*\ntap*\nhso*\n",
				prefix, sizeof(prefix));
	CHECK_STR(prefix, "tun.");
	quick_resolvconf_prefix("  wg* \n", prefix, sizeof(prefix));
	CHECK_STR(prefix, "wg.");
	quick_resolvconf_prefix("lo.inet*\neth*0\n*\n", prefix, sizeof(prefix));
	CHECK_STR(prefix, "");
	quick_resolvconf_prefix(NULL, prefix, sizeof(prefix));
	CHECK_STR(prefix, "");
	quick_resolvconf_prefix("a-b*", prefix, sizeof(prefix));
	CHECK_STR(prefix, "a-b.");
}

/* --- nftables ------------------------------------------------------------- */

static void test_nft(void)
{
	struct netaddr addrs[3];
	struct textbuf t = { 0 };
	bool found[2];

	addrs[0] = ip("10.0.0.2");
	addrs[1] = ip("fd00::2");
	addrs[2] = ip("10.0.1.2");
	/* wg-quick's add_default text for ip, "add table" made "create
	 * table". */
	quick_nft_render(&t, AF_INET, "wg0", 51820, addrs, 3);
	CHECK_STR(t.buf,
		  "create table ip wg-quick-wg0\n"
		  "add chain ip wg-quick-wg0 preraw { type filter hook prerouting priority -300; }\n"
		  "add chain ip wg-quick-wg0 premangle { type filter hook prerouting priority -150; }\n"
		  "add chain ip wg-quick-wg0 postmangle { type filter hook postrouting priority -150; }\n"
		  "add rule ip wg-quick-wg0 preraw iifname != \"wg0\" ip daddr 10.0.0.2 fib saddr type != local drop\n"
		  "add rule ip wg-quick-wg0 preraw iifname != \"wg0\" ip daddr 10.0.1.2 fib saddr type != local drop\n"
		  "add rule ip wg-quick-wg0 postmangle meta l4proto udp mark 51820 ct mark set mark \n"
		  "add rule ip wg-quick-wg0 premangle meta l4proto udp meta mark set ct mark \n");
	textbuf_wipe(&t);
	quick_nft_render(&t, AF_INET6, "wg0", 51821, addrs, 3);
	CHECK_STR(t.buf,
		  "create table ip6 wg-quick-wg0\n"
		  "add chain ip6 wg-quick-wg0 preraw { type filter hook prerouting priority -300; }\n"
		  "add chain ip6 wg-quick-wg0 premangle { type filter hook prerouting priority -150; }\n"
		  "add chain ip6 wg-quick-wg0 postmangle { type filter hook postrouting priority -150; }\n"
		  "add rule ip6 wg-quick-wg0 preraw iifname != \"wg0\" ip6 daddr fd00::2 fib saddr type != local drop\n"
		  "add rule ip6 wg-quick-wg0 postmangle meta l4proto udp mark 51821 ct mark set mark \n"
		  "add rule ip6 wg-quick-wg0 premangle meta l4proto udp meta mark set ct mark \n");
	textbuf_wipe(&t);

	quick_nft_render_delete(&t, AF_INET6, "wg0");
	CHECK_STR(t.buf, "add table ip6 wg-quick-wg0\ndelete table ip6 wg-quick-wg0\n");
	textbuf_wipe(&t);

	quick_nft_parse_tables("table inet filter\ntable ip wg-quick-wg0\ntable ip6 wg-quick-wg01\n",
			       "wg0", found);
	CHECK(found[0] && !found[1]);
	quick_nft_parse_tables("table ip6 wg-quick-wg0\r\ntable ip wg-quick-wg1\n", "wg0", found);
	CHECK(!found[0] && found[1]);
	quick_nft_parse_tables("", "wg0", found);
	CHECK(!found[0] && !found[1]);
}

/* --- SaveConfig ----------------------------------------------------------- */

static void test_save_merge(void)
{
	struct conf *file, *running, *back;
	struct netaddr_prefix addrs[3];
	struct error err;
	size_t len;
	char *text;

	file = parse("[Interface]\nPrivateKey = " PRIV "\nAddress = 10.0.0.1/24\n"
		     "DNS = 10.0.0.53, corp.example\nMTU = 1400\nTable = 1234\n"
		     "PostUp = echo %i up\nPreDown = echo down\nSaveConfig = true\n"
		     "[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 0.0.0.0/0\n");
	/* What the daemon says, with the fwmark up chose. */
	running = parse("[Interface]\nPrivateKey = " PRIV "\nListenPort = 40000\n"
			"FwMark = 51820\n[Peer]\nPublicKey = " PUB1 "\n"
			"AllowedIPs = 0.0.0.0/0\n[Peer]\nPublicKey = " PUB2 "\n"
			"AllowedIPs = 10.0.0.9/32\nEndpoint = 192.0.2.1:51820\n");
	if (!file || !running)
		goto out;
	addrs[0] = pfx("10.0.0.1/24");
	addrs[1] = pfx("fe80::1234/64"); /* the kernel's: left out */
	addrs[2] = pfx("fd00::1/64");    /* added by hand: kept, as wg-quick does */
	CHECK(quick_save_merge(running, file, addrs, 3, 1380, 51820) == 0);
	text = wgconf_format(running, WGCONF_FULL, &len);
	CHECK(text != NULL);
	if (text)
		CHECK_STR(text,
			  "[Interface]\nPrivateKey = " PRIV "\nListenPort = 40000\n"
			  "Address = 10.0.0.1/24, fd00::1/64\nDNS = 10.0.0.53, corp.example\n"
			  "MTU = 1380\nTable = 1234\nPostUp = echo %i up\nPreDown = echo down\n"
			  "SaveConfig = true\n\n[Peer]\nPublicKey = " PUB1 "\n"
			  "AllowedIPs = 0.0.0.0/0\n\n[Peer]\nPublicKey = " PUB2 "\n"
			  "AllowedIPs = 10.0.0.9/32\nEndpoint = 192.0.2.1:51820\n");
	/* It reads back. */
	if (text) {
		back = NULL;
		CHECK(wgconf_parse(text, len, "saved", &back, &err) == 0);
		conf_free(back);
	}
	wgconf_text_free(text, len);
	conf_free(running);

	/* A fwmark the user wrote stays; one up did not choose stays. */
	running = parse("[Interface]\nFwMark = 0x10\n");
	if (running) {
		CHECK(quick_save_merge(running, file, NULL, 0, 0, 51820) == 0);
		CHECK(running->has_fwmark && running->fwmark == 16);
		CHECK(running->has_mtu && running->mtu == 1400); /* link MTU unknown */
		CHECK(running->n_addresses == 0);
		conf_free(running);
	}
	running = NULL;
out:
	conf_free(running);
	conf_free(file);
}

static void printed_is(const struct conf *c, const char *want)
{
	size_t len;
	char *text = wgconf_format(c, WGCONF_FULL, &len);

	CHECK(text != NULL);
	if (text)
		CHECK_STR(text, want);
	wgconf_text_free(text, len);
}

/* SaveConfig keeps what only the file says: the policy, and each
 * remaining peer's name and own keys (the daemon knows none of them). */
static void test_save_keeps_file_only(void)
{
	struct conf *file, *running;

	CHECK(policykeys_register() == 0);
	file = parse("[Interface]\nPrivateKey = " PRIV "\nPolicy = on\nSaveConfig = true\n"
		     "[Peer]\n# Name = alice's laptop\nPublicKey = " PUB1 "\n"
		     "AllowedIPs = 10.0.0.2/32\nForward = 192.168.1.0/24 tcp/443\nEgress = on\n"
		     "[Policy]\nRole = hub\nSSHFrom = 198.51.100.0/24\nServices = udp/53\n");
	running = parse("[Interface]\nPrivateKey = " PRIV "\nListenPort = 40000\n"
			"[Peer]\nPublicKey = " PUB2 "\nAllowedIPs = 10.0.0.9/32\n"
			"[Peer]\nPublicKey = " PUB1 "\nAllowedIPs = 10.0.0.2/32\n");
	if (!file || !running)
		goto out;
	CHECK(quick_save_merge(running, file, NULL, 0, 0, 0) == 0);
	printed_is(running,
		   "[Interface]\nPrivateKey = " PRIV "\nListenPort = 40000\n"
		   "SaveConfig = true\nPolicy = on\n\n"
		   "[Peer]\nPublicKey = " PUB2 "\nAllowedIPs = 10.0.0.9/32\n\n"
		   "[Peer]\n# Name = alice's laptop\nPublicKey = " PUB1 "\n"
		   "AllowedIPs = 10.0.0.2/32\nForward = 192.168.1.0/24 tcp/443\nEgress = on\n\n"
		   "[Policy]\nRole = hub\nSSHFrom = 198.51.100.0/24\nServices = udp/53\n");
	/* The copies are the running conf's own: freeing the file first
	 * leaves them intact (ASan would see a use after free). */
	conf_free(file);
	file = NULL;
	CHECK(policykeys_of(running)->services.n == 1);
	CHECK(policykeys_peer(&running->peers[1])->forwards.n == 1);
out:
	conf_free(running);
	conf_free(file);
}

/* --- state ---------------------------------------------------------------- */

static void fill_state(struct quick_state *s)
{
	struct netlink_rule r[2];

	memset(s, 0, sizeof(*s));
	snprintf(s->ifname, sizeof(s->ifname), "wg0");
	s->ifindex = 7;
	snprintf(s->config, sizeof(s->config), "/etc/wire guard/wg0.conf");
	s->fwmark = 51820;
	CHECK(quick_state_add_address(s, &(struct netaddr_prefix){ ip("10.0.0.2"), 24 }) == 0);
	CHECK(quick_state_add_address(s, &(struct netaddr_prefix){ ip("fd00::2"), 64 }) == 0);
	CHECK(quick_state_add_route(s, &(struct netaddr_prefix){ ip("0.0.0.0"), 0 }, 51820) == 0);
	CHECK(quick_state_add_route(s, &(struct netaddr_prefix){ ip("10.1.0.0"), 16 }, 254) == 0);
	quick_default_rules(AF_INET, 51820, r);
	r[0].priority = 32765;
	r[1].priority = 32764;
	CHECK(quick_state_add_rule(s, &r[0]) == 0);
	CHECK(quick_state_add_rule(s, &r[1]) == 0);
	s->nft[0] = true;
	snprintf(s->dns, sizeof(s->dns), "tun.wg0");
}

static const char state_text[] =
	"# rampart up: what it did to bring wg0 up; rampart down undoes it.\n"
	"version 1\n"
	"interface wg0 7\n"
	"config /etc/wire guard/wg0.conf\n"
	"fwmark 51820\n"
	"address 10.0.0.2/24\n"
	"address fd00::2/64\n"
	"route 0.0.0.0/0 51820\n"
	"route 10.1.0.0/16 254\n"
	"rule ipv4 32765 not fwmark 51820 table 51820\n"
	"rule ipv4 32764 table 254 suppress_prefixlength 0\n"
	"nft ip\n"
	"dns tun.wg0\n";

static void test_state_round_trip(void)
{
	static const char minimal[] = "version 1\ninterface wg1 0\n";
	struct quick_state s, back;
	struct error err;
	size_t len = 0;
	char *text;

	fill_state(&s);
	CHECK(!quick_state_empty(&s));
	text = quick_state_format(&s, &len);
	CHECK(text != NULL);
	if (!text)
		goto out;
	CHECK_STR(text, state_text);
	CHECK(len == strlen(state_text));
	CHECK(quick_state_parse(text, len, &back, &err) == 0);
	CHECK_STR(err.msg, "");
	CHECK_STR(back.ifname, "wg0");
	CHECK(back.ifindex == 7 && back.fwmark == 51820);
	CHECK_STR(back.config, "/etc/wire guard/wg0.conf");
	CHECK(back.n_addresses == 2 && netaddr_prefix_equal(&back.addresses[1], &s.addresses[1]));
	CHECK(back.n_routes == 2 && back.routes[0].table == 51820 &&
	      netaddr_prefix_equal(&back.routes[1].prefix, &s.routes[1].prefix));
	CHECK(back.n_rules == 2);
	for (size_t i = 0; i < back.n_rules && i < 2; i++) {
		const struct netlink_rule *a = &back.rules[i], *b = &s.rules[i];

		CHECK(a->family == b->family && a->priority == b->priority &&
		      a->table == b->table && a->invert == b->invert &&
		      a->has_fwmark == b->has_fwmark && a->fwmark == b->fwmark &&
		      a->suppress_prefixlength == b->suppress_prefixlength &&
		      !a->other_selectors);
	}
	CHECK(back.nft[0] && !back.nft[1]);
	CHECK_STR(back.dns, "tun.wg0");

	/* Undone piece by piece, it becomes empty. */
	quick_state_del_rule(&back, 0);
	CHECK(back.n_rules == 1 && back.rules[0].suppress_prefixlength == 0);
	quick_state_del_rule(&back, 0);
	quick_state_del_rule(&back, 0);
	back.nft[0] = false;
	back.dns[0] = '\0';
	CHECK(!quick_state_empty(&back));
	back.ifindex = 0;
	CHECK(quick_state_empty(&back)); /* addresses and routes go with the link */
	quick_state_uninit(&back);
	free(text);

	/* A minimal one. */
	CHECK(quick_state_parse(minimal, strlen(minimal), &back, &err) == 0);
	CHECK(quick_state_empty(&back));
	quick_state_uninit(&back);
out:
	quick_state_uninit(&s);
}

/* up --netns: where the link went, and the port's table at home. */
static void test_state_tenant(void)
{
	static const char text[] = "version 1\ninterface wg0 4\nnetns tnt1 moved\nuplink\n";
	struct quick_state s;
	struct error err;
	size_t len = 0;
	char *back;

	CHECK(quick_state_parse(text, strlen(text), &s, &err) == 0);
	CHECK_STR(s.netns, "tnt1");
	CHECK(s.moved && s.uplink && s.ifindex == 4);
	back = quick_state_format(&s, &len);
	CHECK(back && strstr(back, "\nnetns tnt1 moved\nuplink\n"));
	free(back);
	s.ifindex = 0;
	CHECK(!quick_state_empty(&s)); /* the port's table is still there */
	s.uplink = false;
	CHECK(quick_state_empty(&s));
	/* Recorded before the move: no "moved". */
	s.moved = false;
	back = quick_state_format(&s, &len);
	CHECK(back && strstr(back, "\nnetns tnt1\n"));
	free(back);
	snprintf(s.netns, sizeof(s.netns), "a b");
	CHECK(quick_state_format(&s, NULL) == NULL && errno == EINVAL);
	quick_state_uninit(&s);
}

static void test_state_refused(void)
{
	static const struct { const char *text, *msg; } v[] = {
		{ "", "line 0: no \"version\" line" },
		{ "# only a comment\n", "line 1: no \"version\" line" },
		{ "interface wg0 1\n", "line 1: expected \"version 1\"" },
		{ "version 2\ninterface wg0 1\n", "line 1: unsupported version \"2\"" },
		{ "version 1\n", "line 1: no \"interface\" line" },
		{ "version 1\ninterface wg0 x\n", "line 2: interface: bad index \"x\"" },
		{ "version 1\ninterface wg/0 1\n", "line 2: interface: bad name" },
		{ "version 1\ninterface wg0 1\nfrob 1\n",
		  "line 3: unknown or malformed entry \"frob\"" },
		{ "version 1\ninterface wg0 1\nroute 10.0.0.0/33 254\n",
		  "line 3: route \"10.0.0.0/33\": prefix length exceeds 32" },
		{ "version 1\ninterface wg0 1\nrule ipv5 1 table 2\n",
		  "line 3: rule: unknown family \"ipv5\"" },
		{ "version 1\ninterface wg0 1\nrule ipv4 0 table 2\n",
		  "line 3: rule: bad priority \"0\"" },
		{ "version 1\ninterface wg0 1\nrule ipv4 5 fwmark 3\n", "line 3: rule: no table" },
		{ "version 1\ninterface wg0 1\nrule ipv4 5 table 2 from 10.0.0.0/8\n",
		  "line 3: rule: unexpected \"from\"" },
		{ "version 1\ninterface wg0 1\nrule ipv4 5 table 2 suppress_prefixlength 129\n",
		  "line 3: rule: unexpected \"suppress_prefixlength\"" },
		{ "version 1\ninterface wg0 1\nrule ipv4 1 table 2\nrule ipv4 2 table 2\n"
		  "rule ipv4 3 table 2\nrule ipv4 4 table 2\nrule ipv4 5 table 2\n",
		  "line 7: more than 4 rules" },
		{ "version 1\ninterface wg0 1\nnft inet\n", "line 3: nft: unknown family \"inet\"" },
		{ "version 1\ninterface wg0 1\ndns a;b\n", "line 3: dns: bad interface name" },
		{ "version 1\ninterface wg0 1\nfwmark -1\n", "line 3: fwmark: bad value \"-1\"" },
		{ "version 1\ninterface wg0 1\nnetns a/b\n", "line 3: netns: bad namespace name" },
		{ "version 1\ninterface wg0 1\nnetns t1 gone\n",
		  "line 3: unknown or malformed entry \"netns\"" },
		{ "version 1\ninterface wg0 1\nuplink yes\n",
		  "line 3: unknown or malformed entry \"uplink\"" },
	};
	struct quick_state s;
	struct error err;

	for (size_t i = 0; i < ARRAY_SIZE(v); i++) {
		int ret = quick_state_parse(v[i].text, strlen(v[i].text), &s, &err);

		CHECK_MSG(ret == -EINVAL, "case %zu: %d", i, ret);
		CHECK_STR(err.msg, v[i].msg);
		CHECK(s.n_addresses == 0 && !s.addresses);
	}
	CHECK(quick_state_parse("version 1\ninterface wg0 1\0\n", 27, &s, &err) ==
	      -EINVAL);
	CHECK_STR(err.msg, "line 2: NUL byte");

	/* The formatter refuses what the parser could not read back. */
	memset(&s, 0, sizeof(s));
	snprintf(s.ifname, sizeof(s.ifname), "wg0");
	snprintf(s.config, sizeof(s.config), "/tmp/a\nversion 2");
	CHECK(quick_state_format(&s, NULL) == NULL && errno == EINVAL);
	s.config[0] = '\0';
	snprintf(s.dns, sizeof(s.dns), "a b");
	CHECK(quick_state_format(&s, NULL) == NULL && errno == EINVAL);
	s.dns[0] = '\0';
	s.ifname[0] = '\0';
	CHECK(quick_state_format(&s, NULL) == NULL && errno == EINVAL);
}

static const struct harness_case cases[] = {
	{ "interface and file names", test_names },
	{ "route plan and wg-quick's order", test_routes },
	{ "prefix masks and containment", test_prefixes },
	{ "tables and full-tunnel rules", test_tables_and_rules },
	{ "automatic MTU", test_mtu },
	{ "hook %i expansion", test_hooks },
	{ "resolvconf input and prefix", test_dns },
	{ "nftables batch", test_nft },
	{ "SaveConfig merge", test_save_merge },
	{ "SaveConfig keeps the policy, names and peer keys of the file", test_save_keeps_file_only },
	{ "state file round trip", test_state_round_trip },
	{ "state file refusals", test_state_refused },
	{ "state file of a tenant namespace", test_state_tenant },
};

HARNESS_MAIN(cases)
