/* The exposure checks (audit/exposure.c) over fixture trees: sockets in
 * ROOT/proc/net/{tcp,tcp6,udp,udp6} in the kernel's format, the live
 * ruleset as nft -j prints it (Rampart's hub policy from
 * tests/golden/audit, or small hand-written ones), ROOT/etc/ssh; each
 * check where it fires and where it does not.  And the /proc/net parser
 * on lines copied from a host (x86-64, little endian: the kernel prints
 * addresses in the host's byte order, so these lines are this order's). */
#include "audit_fixture.h"

#include "audit/sockets.h"
#include "firewall/policykeys.h"

#include <netinet/in.h>

#define K1 "KLtFF3mdTRVMNJbIygFRxvkvrkwpsTpfMpOjfmEkH18="
#define P1 "YB6Bs9GND+Esfvya9s0fwYRt/iH4kjU36/pKoFz0sUs="
#define PSK "yE7GZOI0DE2hVPWRdgOHfUZEs7lYOCRB+5PRYdwPb1I="

/* A hub whose every other check passes (one peer: not a "hub" for the
 * peers checks, which need two; nothing here depends on it). */
#define HUB "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\nAddress = 10.8.0.1/24\n" \
	"[Peer]\nPublicKey = " P1 "\nPresharedKey = " PSK "\nAllowedIPs = 10.8.0.2/32\n"

#define TCP_HEAD "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define TCP6_HEAD "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
#define UDP_HEAD "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
/* Copied from a host's /proc/net: 0.0.0.0:8080 and 127.0.0.1:9586
 * listening, a connection 127.0.0.1:8080 <- 127.0.0.1:51988; [::]:22 and
 * [::1]:5432 listening; udp 0.0.0.0:51820 unconnected, and a client's
 * socket connected to 192.0.2.1:53. */
#define REAL_TCP TCP_HEAD \
	"   0: 00000000:1F90 00000000:0000 0A 00000000:00000001 00:00000000 00000000     0        0 18601 2 00000000b6469e2f 100 0 0 10 0                     \n" \
	"   1: 0100007F:2572 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18600 1 000000005efea106 100 0 0 10 0                     \n" \
	"   2: 0100007F:1F90 0100007F:CB14 01 00000000:00000000 00:00000000 00000000     0        0 0 1 000000003a0c0e09 20 0 0 10 -1                         \n"
#define REAL_TCP6 TCP6_HEAD \
	"   0: 00000000000000000000000000000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 18602 1 00000000c40f152a 100 0 0 10 0\n" \
	"   1: 00000000000000000000000001000000:1538 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 18603 1 000000004d824540 100 0 0 10 0\n"
#define REAL_UDP UDP_HEAD \
	" 4976: 00000000:CA6C 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 18604 2 00000000f0e88644 0         \n" \
	"10984: 020200C0:A1E4 010200C0:0035 01 00000000:00000000 00:00000000 00000000     0        0 18606 2 00000000009c38bf 0         \n"

/* Rulesets: none at all, one input chain that accepts everything, and
 * Rampart's hub policy (SSH only from management and the tunnel, UDP
 * 51820 from anywhere, policy drop). */
#define RS_EMPTY ""
#define RS_TABLE "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"t\", \"handle\": 1}}, "
#define RS_ACCEPT RS_TABLE "{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"input\", " \
	"\"handle\": 1, \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"accept\"}}]}"
/* Policy drop; tcp 8080 accepted from ens3 only. */
#define RS_ENS3 RS_TABLE "{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"input\", " \
	"\"handle\": 1, \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}}, " \
	"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"input\", \"handle\": 4, \"expr\": [" \
	"{\"match\": {\"op\": \"==\", \"left\": {\"meta\": {\"key\": \"iifname\"}}, \"right\": \"ens3\"}}, " \
	"{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, " \
	"\"right\": 8080}}, {\"accept\": null}]}}]}"

/* Policy drop; tcp 80 accepted to 203.0.113.1 only. */
#define RS_DADDR RS_TABLE "{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"input\", " \
	"\"handle\": 1, \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}}, " \
	"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"input\", \"handle\": 5, \"expr\": [" \
	"{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"daddr\"}}, " \
	"\"right\": \"203.0.113.1\"}}, " \
	"{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": \"dport\"}}, " \
	"\"right\": 80}}, {\"accept\": null}]}}]}"

/* From a host's /proc/net/fib_trie (its Main table) and if_inet6. */
#define REAL_FIB_TRIE "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n" \
	"     +-- 127.0.0.0/8 2 0 2\n        +-- 127.0.0.0/31 1 0 0\n           |-- 127.0.0.0\n" \
	"              /8 host LOCAL\n           |-- 127.0.0.1\n              /32 host LOCAL\n" \
	"        |-- 127.255.255.255\n           /32 link BROADCAST\n     +-- 192.0.2.0/24 2 0 2\n" \
	"        +-- 192.0.2.0/30 2 0 2\n           |-- 192.0.2.0\n              /24 link UNICAST\n" \
	"           |-- 192.0.2.2\n              /32 host LOCAL\n        |-- 192.0.2.255\n" \
	"           /32 link BROADCAST\n"
#define REAL_IF_INET6 "00000000000000000000000000000001 01 80 10 80       lo\n" \
	"fe8000000000000000fc00fffe000001 04 40 20 80     eth0\n" \
	"fd000000000000000000000000000002 04 40 00 82     eth0\n"

static char *hub_rs;

/* The fixture's ruleset: Rampart's hub policy as nft listed it. */
static void use_hub_ruleset(void)
{
	size_t len;

	if (!hub_rs)
		hub_rs = harness_slurp("tests/golden/audit/hub_ruleset.json", &len);
	fixture_ruleset = hub_rs ? hub_rs : "";
}

/* The tree removed, the hub ruleset freed. */
static void done(void)
{
	cleanup();
	free(hub_rs);
	hub_rs = NULL;
}

/* A /proc/net file of one socket: addr is the kernel's hex ("00000000",
 * 32 digits for IPv6), state 0A (listen) or 07 (an unbound UDP). */
static void sock_file(const char *file, const char *addr, unsigned port, unsigned state)
{
	char text[1024];
	bool v6 = strlen(addr) == 32;

	snprintf(text, sizeof(text), "%s   0: %s:%04X %s:0000 %02X 00000000:00000000 00:00000000 "
		 "00000000     0        0 %u 1 0000000000000000 100 0 0 10 0\n",
		 v6 ? TCP6_HEAD : TCP_HEAD, addr, port, v6 ? "00000000000000000000000000000000"
		 : "00000000", state, 1000 + port);
	put_file(file, text, 0444);
}

static void listen_tcp(const char *addr, unsigned port)
{
	sock_file(strlen(addr) == 32 ? "proc/net/tcp6" : "proc/net/tcp", addr, port, 0x0A);
}

#define ANY4 "00000000"
#define ANY6 "00000000000000000000000000000000"
#define LO4 "0100007F"

/* A hub tree: the config, a default route via eth0. */
static void hub_tree(void)
{
	/* [Policy] keys parse only once registered, as the CLI does at start
	 * (later calls do nothing). */
	CHECK(policykeys_register() == 0);
	tree();
	put("wg0.conf", HUB, 0600);
	put_file("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
		 "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		 "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n", 0444);
}

/* The first finding of id: its evidence and fix, "" when there is none. */
static void first(const char *id, char *evidence, char *fix)
{
	struct error err = { 0 };
	struct audit_list l = { 0 };
	struct audit_iface *ifs = NULL;
	struct audit_facts *f = audit_facts_open(root, &err);
	size_t n = 0;

	evidence[0] = fix[0] = '\0';
	CHECK(f != NULL);
	if (!f)
		return;
	audit_facts_set_sources(f, &fixture_sources);
	CHECK_MSG(audit_load(f, NULL, 0, &ifs, &n, &err) == 0 && audit_run(f, ifs, n, &l, &err) == 0,
		  "%s", err.msg);
	for (size_t i = 0; i < l.n; i++) {
		if (!strcmp(l.v[i].id, id)) {
			snprintf(evidence, AUDIT_EVIDENCE_MAX, "%s", l.v[i].evidence);
			snprintf(fix, AUDIT_FIX_MAX, "%s", l.v[i].fix);
			break;
		}
	}
	audit_list_free(&l);
	audit_ifaces_free(ifs, n);
	audit_facts_close(f);
}

static void test_parse_real(void)
{
	struct audit_socket *v = NULL;
	size_t n = 0, cap = 0;
	struct error err = { 0 };
	char a[NETADDR_IP_STRLEN];

	CHECK_MSG(audit_sockets_parse(REAL_TCP, strlen(REAL_TCP), "/proc/net/tcp", &v, &n, &cap,
				      &err) == 0, "%s", err.msg);
	CHECK_MSG(audit_sockets_parse(REAL_TCP6, strlen(REAL_TCP6), "/proc/net/tcp6", &v, &n, &cap,
				      &err) == 0, "%s", err.msg);
	CHECK_MSG(audit_sockets_parse(REAL_UDP, strlen(REAL_UDP), "/proc/net/udp", &v, &n, &cap,
				      &err) == 0, "%s", err.msg);
	/* The connection and the connected UDP socket are not waiting. */
	CHECK_MSG(n == 5, "%zu sockets", n);
	if (n != 5) {
		free(v);
		return;
	}
	CHECK(v[0].l4proto == IPPROTO_TCP && v[0].port == 8080 && v[0].wildcard &&
	      !v[0].dual_stack && !audit_socket_loopback(&v[0]) && v[0].inode == 18601 &&
	      v[0].line == 2 && !strcmp(v[0].file, "/proc/net/tcp"));
	CHECK(v[1].port == 9586 && audit_socket_loopback(&v[1]) && !v[1].wildcard);
	CHECK(!strcmp(netaddr_format_ip(a, &v[1].addr), "127.0.0.1"));
	CHECK(v[2].port == 22 && v[2].addr.family == AF_INET6 && v[2].wildcard && v[2].dual_stack);
	CHECK(v[3].port == 5432 && audit_socket_loopback(&v[3]) && v[3].uid == 108);
	CHECK(!strcmp(netaddr_format_ip(a, &v[3].addr), "::1"));
	CHECK(v[4].l4proto == IPPROTO_UDP && v[4].port == 51820 && v[4].wildcard);
	free(v);
}

static void test_parse_odd(void)
{
	/* ::ffff:10.8.0.1 is IPv4; a line cut short is refused, by line. */
	const char *mapped = TCP6_HEAD "   0: 0000000000000000FFFF00000100080A:2572 "
		ANY6 ":0000 0A 00000000:00000000 00:00000000 00000000     0        0 7 1 0 100 0 0 10 0\n";
	const char *bad = TCP_HEAD "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0\n"
		"   1: 0000000G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1 0\n";
	const char *unbound = UDP_HEAD " 1: 00000000:0000 00000000:0000 07 00000000:00000000 "
		"00:00000000 00000000     0        0 9 2 0 0\n";
	struct audit_socket *v = NULL;
	size_t n = 0, cap = 0;
	struct error err = { 0 };
	char a[NETADDR_IP_STRLEN];

	CHECK(audit_sockets_parse(mapped, strlen(mapped), "/proc/net/tcp6", &v, &n, &cap, &err) == 0);
	CHECK(n == 1 && v[0].addr.family == AF_INET && !v[0].dual_stack && v[0].port == 9586);
	CHECK(n == 1 && !strcmp(netaddr_format_ip(a, &v[0].addr), "10.8.0.1"));
	/* A UDP socket not yet bound (port 0) waits for nothing. */
	CHECK(audit_sockets_parse(unbound, strlen(unbound), "/proc/net/udp", &v, &n, &cap, &err) == 0);
	CHECK(n == 1);
	CHECK(audit_sockets_parse(bad, strlen(bad), "/proc/net/tcp", &v, &n, &cap, &err) == -EINVAL);
	CHECK_MSG(err.line == 3 && strstr(err.msg, "local_address"), "%u %s", err.line, err.msg);
	free(v);
}

static void test_local_addrs(void)
{
	struct netaddr *v = NULL;
	size_t n = 0, cap = 0;
	char a[NETADDR_IP_STRLEN];

	/* Main and Local list 192.0.2.2 both; loopback is left out. */
	CHECK(audit_fib_trie_parse(REAL_FIB_TRIE "Local:\n" REAL_FIB_TRIE,
				   2 * strlen(REAL_FIB_TRIE) + 7, &v, &n, &cap) == 0);
	CHECK(audit_if_inet6_parse(REAL_IF_INET6, strlen(REAL_IF_INET6), &v, &n, &cap) == 0);
	CHECK_MSG(n == 3, "%zu addresses", n);
	if (n == 3) {
		CHECK(!strcmp(netaddr_format_ip(a, &v[0]), "192.0.2.2"));
		CHECK(!strcmp(netaddr_format_ip(a, &v[1]), "fe80::fc:ff:fe00:1"));
		CHECK(!strcmp(netaddr_format_ip(a, &v[2]), "fd00::2"));
	}
	free(v);
}

static void test_wan_daddr(void)
{
	char ev[AUDIT_EVIDENCE_MAX], fix[AUDIT_FIX_MAX];

	/* tcp 80 accepted to 203.0.113.1: a wildcard socket gets those
	 * packets when the host holds that address. */
	hub_tree();
	listen_tcp(ANY4, 80);
	fixture_ruleset = RS_DADDR;
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	put_file("proc/net/fib_trie", "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 203.0.113.1\n"
		 "        /32 host LOCAL\n", 0444);
	CHECK(audit_count("exposure.wan_listener", NULL) == 1);
	first("exposure.wan_listener", ev, fix);
	CHECK_MSG(strstr(ev, "packet to 203.0.113.1 port 80") &&
		  strstr(ev, "accepted: inet t input rule handle 5"), "%s", ev);
	/* Bound to another address: the rule does not apply. */
	listen_tcp("0200A8C0", 80);
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	done();
}

static void test_wan_listener(void)
{
	char ev[AUDIT_EVIDENCE_MAX], fix[AUDIT_FIX_MAX];
	int sev = -1;

	hub_tree();
	listen_tcp(ANY4, 8080);
	/* No ruleset fact: nothing is guessed. */
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	/* The hub policy drops it. */
	use_hub_ruleset();
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	fixture_ruleset = RS_EMPTY;
	CHECK(audit_count("exposure.wan_listener", &sev) == 1 && sev == AUDIT_WARNING);
	first("exposure.wan_listener", ev, fix);
	CHECK_MSG(strstr(ev, "0.0.0.0:8080 LISTEN") && strstr(ev, "accepted: no input chain filters it") &&
		  strstr(ev, "on eth0 (the default route"), "%s", ev);
	CHECK_MSG(strstr(fix, "sport = :8080"), "%s", fix);
	fixture_ruleset = RS_ACCEPT;
	CHECK(audit_count("exposure.wan_listener", NULL) == 1);
	first("exposure.wan_listener", ev, fix);
	CHECK_MSG(strstr(ev, "inet t input policy accept"), "%s", ev);
	/* The IPv6 socket of the same service: one finding. */
	listen_tcp(ANY6, 8080);
	CHECK(audit_count("exposure.wan_listener", NULL) == 1);
	/* Loopback never; the WireGuard port not; another UDP port yes. */
	listen_tcp(LO4, 8080);
	put_file("proc/net/tcp6", TCP6_HEAD, 0444);
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	sock_file("proc/net/udp", ANY4, 51820, 0x07);
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	sock_file("proc/net/udp", ANY4, 51821, 0x07);
	CHECK(audit_count("exposure.wan_listener", NULL) == 1);
	/* A data store is critical. */
	put_file("proc/net/udp", UDP_HEAD, 0444);
	listen_tcp(ANY4, 6379);
	CHECK(audit_count("exposure.wan_listener", &sev) == 1 && sev == AUDIT_CRITICAL);
	done();
}

static void test_wan_interface(void)
{
	char ev[AUDIT_EVIDENCE_MAX], fix[AUDIT_FIX_MAX];

	/* tcp 8080 is accepted from ens3 only. */
	CHECK(policykeys_register() == 0);
	tree();
	put("wg0.conf", HUB, 0600);
	listen_tcp(ANY4, 8080);
	fixture_ruleset = RS_ENS3;
	/* Nothing says which is the WAN: eth0 is assumed. */
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	put_file("proc/net/dev", "Inter-|   Receive\n face |bytes    packets\n"
		 "    lo: 0 0 0 0\n   wg0: 0 0 0 0\n  ens3: 0 0 0 0\n", 0444);
	CHECK(audit_count("exposure.wan_listener", NULL) == 1);
	first("exposure.wan_listener", ev, fix);
	CHECK_MSG(strstr(ev, "on ens3 (the first interface in /proc/net/dev") &&
		  strstr(ev, "inet t input rule handle 4"), "%s", ev);
	CHECK_MSG(strstr(fix, "nft delete rule inet t input handle 4"), "%s", fix);
	/* The default route wins, the lowest metric first; a default route
	 * through the tunnel is not the WAN. */
	put_file("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
		 "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\n"
		 "ens3\t00000000\t010200C0\t0003\t0\t0\t200\t00000000\n"
		 "eth1\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\n", 0444);
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	put_file("proc/net/route", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\n"
		 "wg0\t00000000\t00000000\t0001\t0\t0\t0\t00000000\n"
		 "ens3\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\n"
		 "eth1\t00000000\t010200C0\t0003\t0\t0\t200\t00000000\n", 0444);
	CHECK(audit_count("exposure.wan_listener", NULL) == 1);
	done();
}

static void test_ssh_any_source(void)
{
	char ev[AUDIT_EVIDENCE_MAX], fix[AUDIT_FIX_MAX];

	hub_tree();
	fixture_ruleset = RS_ACCEPT;
	/* Nothing listens on 22. */
	listen_tcp(ANY4, 2222);
	CHECK(audit_count("exposure.ssh_any_source", NULL) == 0);
	listen_tcp(ANY4, 22);
	CHECK(audit_count("exposure.ssh_any_source", NULL) == 1);
	/* Not also a WAN listener. */
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	first("exposure.ssh_any_source", ev, fix);
	CHECK_MSG(strstr(ev, "0.0.0.0:22") && strstr(ev, "sshd's default"), "%s", ev);
	CHECK_MSG(strstr(fix, "nft") || strstr(fix, "SSHFrom"), "%s", fix);
	/* SSHFrom restricted: only management and the tunnel. */
	use_hub_ruleset();
	CHECK(audit_count("exposure.ssh_any_source", NULL) == 0);
	/* Bound to loopback: not SSH from anywhere. */
	fixture_ruleset = RS_ACCEPT;
	listen_tcp(LO4, 22);
	CHECK(audit_count("exposure.ssh_any_source", NULL) == 0);
	/* sshd's Port: 2222 is SSH, 22 is no longer. */
	listen_tcp(ANY4, 2222);
	put_file("etc/ssh/sshd_config", "Port 2222\nPasswordAuthentication no\n", 0644);
	CHECK(audit_count("exposure.ssh_any_source", NULL) == 1);
	first("exposure.ssh_any_source", ev, fix);
	CHECK_MSG(strstr(ev, "/etc/ssh/sshd_config:1"), "%s", ev);
	done();
}

static void test_ssh_policy_port(void)
{
	char ev[AUDIT_EVIDENCE_MAX], fix[AUDIT_FIX_MAX];

	/* [Policy] SSHPort makes 2200 an SSH port beside sshd's default. */
	hub_tree();
	put("wg0.conf", HUB "[Policy]\nSSHPort = 2200\n", 0600);
	fixture_ruleset = RS_ACCEPT;
	listen_tcp(ANY4, 2200);
	CHECK(audit_count("exposure.ssh_any_source", NULL) == 1);
	CHECK(audit_count("exposure.wan_listener", NULL) == 0);
	first("exposure.ssh_any_source", ev, fix);
	CHECK_MSG(strstr(ev, "wg0.conf:10 [Policy] SSHPort"), "%s", ev);
	put("wg0.conf", HUB, 0600);
	CHECK(audit_count("exposure.ssh_any_source", NULL) == 0);
	CHECK(audit_count("exposure.wan_listener", NULL) == 1);
	done();
}

static void test_sshd_password(void)
{
	char ev[AUDIT_EVIDENCE_MAX], fix[AUDIT_FIX_MAX];

	hub_tree();
	/* No sshd at all. */
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 0);
	/* Not set: OpenSSH's default is yes. */
	put_file("etc/ssh/sshd_config", "# nothing\nPort 22\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 1);
	first("exposure.sshd_password_auth", ev, fix);
	CHECK_MSG(strstr(ev, "OpenSSH's default is yes"), "%s", ev);
	put_file("etc/ssh/sshd_config", "passwordauthentication=No\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 0);
	/* Include before: its value is read first and wins. */
	put_file("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\n"
		 "PasswordAuthentication no\n", 0644);
	put_file("etc/ssh/sshd_config.d/50-cloud-init.conf", "PasswordAuthentication yes\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 1);
	first("exposure.sshd_password_auth", ev, fix);
	CHECK_MSG(strstr(ev, "/etc/ssh/sshd_config.d/50-cloud-init.conf:1 PasswordAuthentication yes"),
		  "%s", ev);
	CHECK_MSG(strstr(fix, "50-cloud-init.conf:1"), "%s", fix);
	/* Glob order: 10-hardening.conf is read before 50-cloud-init.conf. */
	put_file("etc/ssh/sshd_config.d/10-hardening.conf", "PasswordAuthentication no\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 0);
	/* A relative Include, after the global value: the global one wins. */
	put_file("etc/ssh/sshd_config", "PasswordAuthentication no\nInclude sshd_config.d/*.conf\n", 0644);
	put_file("etc/ssh/sshd_config.d/10-hardening.conf", "PasswordAuthentication yes\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 0);
	put_file("etc/ssh/sshd_config", "Include \"sshd_config.d/*.conf\"\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 1);
	done();
}

static void test_sshd_match(void)
{
	hub_tree();
	/* A Match block's value is for the connections it matches. */
	put_file("etc/ssh/sshd_config", "PasswordAuthentication no\nMatch Address 10.0.0.0/8\n"
		 "\tPasswordAuthentication yes\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 0);
	put_file("etc/ssh/sshd_config", "Match User bob\n\tPasswordAuthentication no\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 1);
	/* A Match in an included file ends with that file. */
	put_file("etc/ssh/sshd_config", "Include /etc/ssh/m.conf\nPasswordAuthentication yes\n", 0644);
	put_file("etc/ssh/m.conf", "Match User bob\n\tPasswordAuthentication no\n", 0644);
	CHECK(audit_count("exposure.sshd_password_auth", NULL) == 1);
	/* An Include inside a Match block is part of it. */
	put_file("etc/ssh/sshd_config", "PasswordAuthentication no\nMatch User bob\nInclude /etc/ssh/r.conf\n", 0644);
	put_file("etc/ssh/r.conf", "PermitRootLogin yes\n", 0644);
	CHECK(audit_count("exposure.sshd_root_login", NULL) == 0);
	/* An Include that includes itself: refused, named. */
	put_file("etc/ssh/sshd_config", "Include /etc/ssh/sshd_config\n", 0644);
	{
		struct error err = { 0 };
		struct audit_list l = { 0 };
		struct audit_iface *ifs = NULL;
		struct audit_facts *f = audit_facts_open(root, &err);
		size_t n = 0;

		CHECK(f && audit_load(f, NULL, 0, &ifs, &n, &err) == 0);
		CHECK(f && audit_run(f, ifs, n, &l, &err) == -ELOOP);
		CHECK_MSG(strstr(err.msg, "/etc/ssh/sshd_config: Include nested"), "%s", err.msg);
		audit_list_free(&l);
		audit_ifaces_free(ifs, n);
		audit_facts_close(f);
	}
	done();
}

static void test_sshd_root_login(void)
{
	char ev[AUDIT_EVIDENCE_MAX], fix[AUDIT_FIX_MAX];

	hub_tree();
	/* Not set: prohibit-password, keys only. */
	put_file("etc/ssh/sshd_config", "PasswordAuthentication no\n", 0644);
	CHECK(audit_count("exposure.sshd_root_login", NULL) == 0);
	put_file("etc/ssh/sshd_config", "PasswordAuthentication no\nPermitRootLogin yes\n", 0644);
	CHECK(audit_count("exposure.sshd_root_login", NULL) == 1);
	first("exposure.sshd_root_login", ev, fix);
	CHECK_MSG(strstr(ev, "/etc/ssh/sshd_config:2 PermitRootLogin yes"), "%s", ev);
	put_file("etc/ssh/sshd_config", "PermitRootLogin prohibit-password\nPermitRootLogin yes\n", 0644);
	CHECK(audit_count("exposure.sshd_root_login", NULL) == 0);
	done();
}

static void test_metrics(void)
{
	char ev[AUDIT_EVIDENCE_MAX], fix[AUDIT_FIX_MAX];

	hub_tree();
	listen_tcp(LO4, 9586);
	CHECK(audit_count("exposure.metrics_public", NULL) == 0);
	/* The tunnel address and a private one are fine. */
	listen_tcp("0100080A", 9586);
	CHECK(audit_count("exposure.metrics_public", NULL) == 0);
	listen_tcp("0100A8C0", 9586);
	CHECK(audit_count("exposure.metrics_public", NULL) == 0);
	/* A public address, no ruleset read: still a finding. */
	listen_tcp("057100CB", 9586);
	CHECK(audit_count("exposure.metrics_public", NULL) == 1);
	listen_tcp(ANY4, 9586);
	use_hub_ruleset();
	CHECK(audit_count("exposure.metrics_public", NULL) == 1);
	first("exposure.metrics_public", ev, fix);
	CHECK_MSG(strstr(ev, "0.0.0.0:9586") && strstr(ev, "drops it today"), "%s", ev);
	CHECK_MSG(strstr(fix, "rampart metrics serve --listen 127.0.0.1:9586") &&
		  strstr(fix, "10.8.0.1:9586"), "%s", fix);
	fixture_ruleset = RS_EMPTY;
	first("exposure.metrics_public", ev, fix);
	CHECK_MSG(strstr(ev, "lets it through today"), "%s", ev);
	/* Grafana on [::]; a port that is no metrics port is not this check's. */
	listen_tcp(ANY6, 3000);
	put_file("proc/net/tcp", TCP_HEAD, 0444);
	CHECK(audit_count("exposure.metrics_public", NULL) == 1);
	listen_tcp(ANY6, 3001);
	CHECK(audit_count("exposure.metrics_public", NULL) == 0);
	done();
}

static const struct harness_case cases[] = {
	{ "the /proc/net parser on a host's lines", test_parse_real },
	{ "the /proc/net parser: v4-mapped, a bad line", test_parse_odd },
	{ "wan_listener: what the ruleset lets in", test_wan_listener },
	{ "wan_listener: which interface is the WAN", test_wan_interface },
	{ "the host's addresses: fib_trie and if_inet6", test_local_addrs },
	{ "wan_listener: a rule for one of the host's addresses", test_wan_daddr },
	{ "ssh_any_source: SSH from anywhere or restricted", test_ssh_any_source },
	{ "ssh_any_source: [Policy] SSHPort", test_ssh_policy_port },
	{ "sshd_password_auth: Include order, first value wins", test_sshd_password },
	{ "sshd: Match blocks, nested Include", test_sshd_match },
	{ "sshd_root_login", test_sshd_root_login },
	{ "metrics_public: public, private, loopback", test_metrics },
};

HARNESS_MAIN(cases)
