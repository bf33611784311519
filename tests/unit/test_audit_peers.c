/* The peers checks that read more than the config (audit/peers_live.c)
 * over fixture trees: /proc/net files put under the root, a daemon's get
 * reply from the fixture's device source, an inventory database made
 * under the root, and a fake clock through the audit's options.  Each
 * check where it fires and where it does not. */
#include "audit_fixture.h"

#include "inventory/inventory.h"
#include "inventory/store.h"

#define K1 "KLtFF3mdTRVMNJbIygFRxvkvrkwpsTpfMpOjfmEkH18="
#define P1 "YB6Bs9GND+Esfvya9s0fwYRt/iH4kjU36/pKoFz0sUs="
#define P2 "CHkEaSbCMOGUchInGyGSv2Ra1WJQJ+j2sKKvqe80vFI="
/* P1 and P2 as the control protocol writes keys. */
#define HEX_P1 "601e81b3d18d0fe12c7efc9af6cd1fc1846dfe21f8923537ebfa4aa05cf4b14b"
#define HEX_P2 "0879046926c230e1947212271b2192bf645ad5625027e8f6b0a2afa9ef34bc52"
#define PSK "yE7GZOI0DE2hVPWRdgOHfUZEs7lYOCRB+5PRYdwPb1I="

#define HUB_HEAD "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\nAddress = 10.9.0.1/24\n"
#define PEER1(ips) "[Peer]\n# Name = laptop\nPublicKey = " P1 "\nPresharedKey = " PSK \
	"\nAllowedIPs = " ips "\n"
#define PEER2(ips) "[Peer]\n# Name = phone\nPublicKey = " P2 "\nPresharedKey = " PSK \
	"\nAllowedIPs = " ips "\n"

/* The fake clock: 2027-01-15T08:00:00Z. */
enum { NOW = 1800000000, DAY = 86400 };

static void test_subnet_for_host(void)
{
	int sev = -1;

	tree();
	/* A site's LAN outside the tunnel subnet is routed on purpose. */
	put("wg0.conf", HUB_HEAD PEER1("10.9.0.2/32, 192.168.50.0/24") PEER2("10.9.0.3/32"), 0600);
	CHECK(audit_count("peers.subnet_for_host", NULL) == 0);
	put("wg0.conf", HUB_HEAD PEER1("10.9.0.2/32") PEER2("10.9.0.0/24"), 0600);
	CHECK(audit_count("peers.subnet_for_host", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	/* Inside, not only equal; host bits written in the config do not
	 * hide it. */
	put("wg0.conf", HUB_HEAD PEER1("10.9.0.2/32") PEER2("10.9.0.19/28"), 0600);
	CHECK(audit_count("peers.subnet_for_host", NULL) == 1);
	/* A client (one peer) is no hub. */
	put("wg0.conf", HUB_HEAD PEER2("10.9.0.0/24"), 0600);
	CHECK(audit_count("peers.subnet_for_host", NULL) == 0);
	/* IPv6: a /64 of the hub's own /64. */
	put("wg0.conf", "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
	    "Address = 10.9.0.1/24, fd00:9::1/64\n"
	    PEER1("10.9.0.2/32, fd00:9::2/128") PEER2("10.9.0.3/32, fd00:9::/64"), 0600);
	CHECK(audit_count("peers.subnet_for_host", NULL) == 1);
	cleanup();
}

/* /proc/net/route as the kernel prints it on x86: addresses byte-reversed. */
#define ROUTE_HEAD "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
#define ROUTE_DEFAULT "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
#define ROUTE_WAN "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
#define ROUTE_OWN "wg0\t0000090A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
#define ROUTE_LAN "eth1\t0000090A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n"

static void test_subnet_collides_lan(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", HUB_HEAD PEER1("10.9.0.2/32") PEER2("10.9.0.3/32"), 0600);
	/* No /proc in the tree: nothing known, nothing reported. */
	CHECK(audit_count("peers.subnet_collides_lan", NULL) == 0);
	/* The default route and the interface's own route are not LANs. */
	put_file("proc/net/route", ROUTE_HEAD ROUTE_DEFAULT ROUTE_WAN ROUTE_OWN, 0444);
	CHECK(audit_count("peers.subnet_collides_lan", NULL) == 0);
	/* 10.9.0.0/16 on eth1 holds the tunnel's 10.9.0.0/24. */
	put_file("proc/net/route", ROUTE_HEAD ROUTE_DEFAULT ROUTE_WAN ROUTE_OWN ROUTE_LAN, 0444);
	CHECK(audit_count("peers.subnet_collides_lan", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);

	/* IPv6: a local route (the host's own address) is none; a LAN
	 * route of the tunnel's /64 is. */
	put("wg0.conf", "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
	    "Address = fd00:9::1/64\n" PEER1("fd00:9::2/128") PEER2("fd00:9::3/128"), 0600);
	put_file("proc/net/route", ROUTE_HEAD ROUTE_LAN, 0444);
	put_file("proc/net/ipv6_route",
		 "fd000009000000000000000000000001 80 00000000000000000000000000000000 00 "
		 "00000000000000000000000000000000 00000000 00000003 00000000 80200001     eth0\n"
		 "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
		 "fd000000000000000000000000000001 00000400 00000002 00000000 00000003     eth0\n",
		 0444);
	CHECK(audit_count("peers.subnet_collides_lan", NULL) == 0);
	put_file("proc/net/ipv6_route",
		 "fd000009000000000000000000000000 40 00000000000000000000000000000000 00 "
		 "00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth1\n",
		 0444);
	CHECK(audit_count("peers.subnet_collides_lan", NULL) == 1);
	cleanup();
}

/* /proc/net/fib_trie with the host's addresses (each "/32 host LOCAL"). */
static void put_fib_trie(const char *addr, const char *addr2)
{
	char text[2048];

	snprintf(text, sizeof(text),
		 "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n"
		 "     +-- 127.0.0.0/8 2 0 2\n        +-- 127.0.0.0/31 1 0 0\n"
		 "           |-- 127.0.0.1\n              /32 host LOCAL\n"
		 "           |-- %s\n              /32 host LOCAL\n"
		 "           |-- 192.168.1.255\n              /32 link BROADCAST\n"
		 "           |-- %s\n              /32 host LOCAL\n"
		 "Local:\n           |-- %s\n              /32 host LOCAL\n", addr, addr2, addr);
	put_file("proc/net/fib_trie", text, 0444);
}

#define CLIENT_HEAD "[Interface]\nPrivateKey = " K1 "\nAddress = 10.9.0.2/32\n"

static void test_keepalive_missing_nat(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", CLIENT_HEAD PEER1("0.0.0.0/0") "Endpoint = 203.0.113.7:51820\n", 0600);
	/* Nothing known of the host's addresses. */
	CHECK(audit_count("peers.keepalive_missing_nat", NULL) == 0);
	put_fib_trie("192.168.1.5", "10.9.0.2");
	CHECK(audit_count("peers.keepalive_missing_nat", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	/* CGNAT space is behind NAT too. */
	put_fib_trie("100.64.3.4", "10.9.0.2");
	CHECK(audit_count("peers.keepalive_missing_nat", NULL) == 1);
	/* A host with a public address of its own is not behind NAT. */
	put_fib_trie("192.168.1.5", "198.51.100.2");
	CHECK(audit_count("peers.keepalive_missing_nat", NULL) == 0);
	/* A private host and a private endpoint: the same LAN, no NAT. */
	put_fib_trie("192.168.1.5", "10.9.0.2");
	put("wg0.conf", CLIENT_HEAD PEER1("0.0.0.0/0") "Endpoint = 192.168.1.1:51820\n", 0600);
	CHECK(audit_count("peers.keepalive_missing_nat", NULL) == 0);
	put("wg0.conf", CLIENT_HEAD PEER1("0.0.0.0/0") "Endpoint = 203.0.113.7:51820\n"
	    "PersistentKeepalive = 25\n", 0600);
	CHECK(audit_count("peers.keepalive_missing_nat", NULL) == 0);
	/* A host name: the address the running daemon sees for the peer. */
	put("wg0.conf", CLIENT_HEAD PEER1("0.0.0.0/0") "Endpoint = vpn.example.org:51820\n", 0600);
	CHECK(audit_count("peers.keepalive_missing_nat", NULL) == 0);
	fixture_device_reply = "listen_port=40000\npublic_key=" HEX_P1
		"\nendpoint=203.0.113.7:51820\nerrno=0\n\n";
	CHECK(audit_count("peers.keepalive_missing_nat", NULL) == 1);
	cleanup();
}

static void test_no_handshake(void)
{
	static const struct audit_options clock = { .now = NOW };
	static const struct audit_options week = { .now = NOW, .stale_days = 7 };
	char reply[512];
	int sev = -1;

	tree();
	fixture_options = &clock;
	put("wg0.conf", HUB_HEAD PEER1("10.9.0.2/32") PEER2("10.9.0.3/32"), 0600);
	/* No daemon: nothing to say. */
	CHECK(audit_count("peers.no_handshake", NULL) == 0);
	/* Exactly 30 days is not older than 30 days; a second more is. */
	snprintf(reply, sizeof(reply), "listen_port=51820\npublic_key=" HEX_P1
		 "\nlast_handshake_time_sec=%d\nlast_handshake_time_nsec=0\npublic_key=" HEX_P2
		 "\nlast_handshake_time_sec=%d\nlast_handshake_time_nsec=0\nerrno=0\n\n",
		 NOW - 30 * DAY, NOW - 60);
	fixture_device_reply = reply;
	CHECK(audit_count("peers.no_handshake", NULL) == 0);
	snprintf(reply, sizeof(reply), "listen_port=51820\npublic_key=" HEX_P1
		 "\nlast_handshake_time_sec=%d\nlast_handshake_time_nsec=0\npublic_key=" HEX_P2
		 "\nlast_handshake_time_sec=%d\nlast_handshake_time_nsec=0\nerrno=0\n\n",
		 NOW - 30 * DAY - 1, NOW - 60);
	CHECK(audit_count("peers.no_handshake", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	/* --stale-days 7: eight days is stale, six is not. */
	fixture_options = &week;
	snprintf(reply, sizeof(reply), "listen_port=51820\npublic_key=" HEX_P1
		 "\nlast_handshake_time_sec=%d\nlast_handshake_time_nsec=0\npublic_key=" HEX_P2
		 "\nlast_handshake_time_sec=%d\nlast_handshake_time_nsec=0\nerrno=0\n\n",
		 NOW - 8 * DAY, NOW - 6 * DAY);
	CHECK(audit_count("peers.no_handshake", NULL) == 1);
	/* Never: an info, whatever the clock. */
	fixture_device_reply = "listen_port=51820\npublic_key=" HEX_P1 "\npublic_key=" HEX_P2
		"\nlast_handshake_time_sec=1799999000\nlast_handshake_time_nsec=0\nerrno=0\n\n";
	CHECK(audit_count("peers.no_handshake", &sev) == 1);
	CHECK(sev == AUDIT_INFO);
	cleanup();
}

/* ROOT/var/lib/rampart/inventory.db with wg0 and its peers laptop (P1)
 * and phone (P2), both active, added at NOW - DAY; laptop expires at
 * expires (0: never). */
static struct inv_store *make_inventory(int64_t expires)
{
	struct inv_store *s = NULL;
	struct inv_interface ifc = { .name = "wg0", .endpoint = "vpn.example.org:51820" };
	struct inv_ctx c = { .who = "test", .now = NOW - DAY };
	struct inv_peer p;
	struct error err = { 0 };
	const char *why;
	char path[256];

	fixture_mkdir("var/lib", 0755);
	snprintf(path, sizeof(path), "%s" INV_STORE_DEFAULT_PATH, root);
	CHECK_MSG(inv_store_open_sqlite(path, &s, &err) == 0, "%s", err.msg);
	if (!s)
		exit(1);
	c.store = s;
	CHECK(netaddr_parse_prefix(&ifc.pools[0], "10.9.0.0/24", &why));
	ifc.n_pools = 1;
	CHECK_MSG(inv_init(&c, &ifc, &err) == 0, "%s", err.msg);
	for (int i = 0; i < 2; i++) {
		memset(&p, 0, sizeof(p));
		snprintf(p.iface, sizeof(p.iface), "wg0");
		snprintf(p.name, sizeof(p.name), "%s", i ? "phone" : "laptop");
		CHECK(encoding_key_from_base64(p.public_key, i ? P2 : P1));
		p.expires = i ? 0 : expires;
		CHECK_MSG(inv_add(&c, &p, true, &err) == 0, "%s", err.msg);
	}
	return s;
}

/* peers.inventory_inactive's findings for a laptop that expires at
 * expires, both peers active and configured, on the fake clock. */
static size_t expiry_findings(int64_t expires)
{
	static const struct audit_options clock = { .now = NOW };
	struct inv_store *s;
	size_t hits;

	tree();
	fixture_options = &clock;
	put("wg0.conf", HUB_HEAD PEER1("10.9.0.2/32") PEER2("10.9.0.3/32"), 0600);
	s = make_inventory(expires);
	hits = audit_count("peers.inventory_inactive", NULL);
	inv_store_close(s);
	cleanup();
	return hits;
}

static void test_inventory_inactive(void)
{
	static const struct audit_options clock = { .now = NOW };
	struct inv_ctx c = { .who = "test", .now = NOW - 10 };
	struct error err = { 0 };
	struct inv_store *s;
	int sev = -1;

	tree();
	fixture_options = &clock;
	put("wg0.conf", HUB_HEAD PEER1("10.9.0.2/32") PEER2("10.9.0.3/32"), 0600);
	/* No inventory: no finding, and no gap either. */
	CHECK(audit_count("peers.inventory_inactive", NULL) == 0);
	CHECK(audit_count("audit.fact_unavailable", NULL) == 0);
	s = make_inventory(0);
	CHECK(audit_count("peers.inventory_inactive", NULL) == 0);
	c.store = s;
	CHECK_MSG(inv_revoke(&c, "wg0", "laptop", NULL, &err) == 0, "%s", err.msg);
	CHECK(audit_count("peers.inventory_inactive", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	CHECK_MSG(inv_disable(&c, "wg0", "phone", NULL, &err) == 0, "%s", err.msg);
	CHECK(audit_count("peers.inventory_inactive", NULL) == 2);
	/* Gone from the config, still on the running interface. */
	put("wg0.conf", HUB_HEAD PEER2("10.9.0.3/32"), 0600);
	CHECK(audit_count("peers.inventory_inactive", NULL) == 1);
	fixture_device_reply = "listen_port=51820\npublic_key=" HEX_P1 "\nerrno=0\n\n";
	CHECK(audit_count("peers.inventory_inactive", NULL) == 2);
	inv_store_close(s);
	cleanup();

	/* Active, but past its expiry before the apply step marked it. */
	CHECK(expiry_findings(NOW + 1) == 0);
	CHECK(expiry_findings(NOW) == 1);
}

/* --db: a file elsewhere, as given; one that is not there is nothing. */
static void test_inventory_db_option(void)
{
	struct audit_options opt = { .now = NOW };
	struct inv_ctx c = { .who = "test", .now = NOW - 10 };
	struct error err = { 0 };
	struct inv_store *s;
	char moved[256], path[256];

	tree();
	put("wg0.conf", HUB_HEAD PEER1("10.9.0.2/32") PEER2("10.9.0.3/32"), 0600);
	s = make_inventory(0);
	c.store = s;
	CHECK(inv_revoke(&c, "wg0", "laptop", NULL, &err) == 0);
	inv_store_close(s);
	snprintf(path, sizeof(path), "%s" INV_STORE_DEFAULT_PATH, root);
	snprintf(moved, sizeof(moved), "%s/elsewhere.db", root);
	CHECK(rename(path, moved) == 0);
	fixture_options = &opt;
	CHECK(audit_count("peers.inventory_inactive", NULL) == 0);
	opt.db = moved;
	CHECK(audit_count("peers.inventory_inactive", NULL) == 1);
	snprintf(moved, sizeof(moved), "%s/nothing-here.db", root);
	CHECK(audit_count("peers.inventory_inactive", NULL) == 0);
	CHECK(access(moved, F_OK) != 0);
	cleanup();
}

static const struct harness_case cases[] = {
	{ "peers.subnet_for_host", test_subnet_for_host },
	{ "peers.subnet_collides_lan", test_subnet_collides_lan },
	{ "peers.keepalive_missing_nat", test_keepalive_missing_nat },
	{ "peers.no_handshake on a fake clock", test_no_handshake },
	{ "peers.inventory_inactive", test_inventory_inactive },
	{ "peers.inventory_inactive with --db", test_inventory_db_option },
};

HARNESS_MAIN(cases)
