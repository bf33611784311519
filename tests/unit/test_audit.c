/* The audit's checks over fixture trees: each check where it fires and
 * where it does not.  The trees are built in a temp dir; owner checks
 * compare with root, so a file chowned to 65534 is the firing case (the
 * suite runs as root, which creates every other file). */
#include "audit_fixture.h"

#include "audit/ruleset.h"
#include "conf/config.h"
#include "uapi/device.h"

#define K1 "KLtFF3mdTRVMNJbIygFRxvkvrkwpsTpfMpOjfmEkH18="
#define K2 "ICcas1FU4aezxoIW/P2nsQCY2dqJswj7qR3u2RJ7Tl8="
#define P1 "YB6Bs9GND+Esfvya9s0fwYRt/iH4kjU36/pKoFz0sUs="
#define P2 "CHkEaSbCMOGUchInGyGSv2Ra1WJQJ+j2sKKvqe80vFI="
/* K2's public key. */
#define P_K2 "1WCYNECZ34aRkbab5BaVfnbIN+vqtvb8lmYP48eGhHo="
/* K1 as the control protocol writes keys. */
#define HEX_K1 "28bb4517799d4d154c3496c8ca0151c6f92fae4c29b13a5f3293a37e61241f5f"
#define PSK "yE7GZOI0DE2hVPWRdgOHfUZEs7lYOCRB+5PRYdwPb1I="

/* A hub whose every check passes. */
#define CLEAN_HUB                                                           \
	"[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"            \
	"[Peer]\n# Name = laptop\nPublicKey = " P1 "\nPresharedKey = " PSK   \
	"\nAllowedIPs = 10.9.0.2/32\n"                                      \
	"[Peer]\n# Name = phone\nPublicKey = " P2 "\nPresharedKey = " PSK    \
	"\nAllowedIPs = 10.9.0.3/32\n"

static void test_clean(void)
{
	struct error err = { 0 };
	struct audit_list l = { 0 };
	struct audit_iface *ifs = NULL;
	struct audit_facts *f;
	size_t n = 0;

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	f = audit_facts_open(root, &err);
	CHECK(f && audit_load(f, NULL, 0, &ifs, &n, &err) == 0);
	CHECK(n == 1 && !strcmp(ifs[0].name, "wg0"));
	CHECK(audit_run(f, ifs, n, &l, &err) == 0);
	CHECK_MSG(l.n == 0, "%zu findings, first %s", l.n, l.n ? l.v[0].id : "");
	CHECK(audit_worst(&l) == -1);
	audit_list_free(&l);
	audit_ifaces_free(ifs, n);
	audit_facts_close(f);
	cleanup();
}

static void test_config_mode(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", CLEAN_HUB, 0644);
	CHECK(audit_count("keys.config_mode", &sev) == 1);
	CHECK(sev == AUDIT_CRITICAL);
	put("wg0.conf", "[Interface]\nListenPort = 51820\n", 0640);
	CHECK(audit_count("keys.config_mode", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	put("wg0.conf", CLEAN_HUB, 0600);
	CHECK(audit_count("keys.config_mode", NULL) == 0);
	cleanup();
}

static void test_config_owner(void)
{
	char p[256];
	int sev = -1;

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	CHECK(audit_count("keys.config_owner", NULL) == 0);
	snprintf(p, sizeof(p), "%s/etc/wireguard/wg0.conf", root);
	CHECK(chown(p, 65534, 65534) == 0);
	CHECK(audit_count("keys.config_owner", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	cleanup();
}

static void test_dir_mode(void)
{
	char p[256];

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	CHECK(audit_count("keys.dir_mode", NULL) == 0);
	snprintf(p, sizeof(p), "%s/etc/wireguard", root);
	CHECK(chmod(p, 0755) == 0);
	CHECK(audit_count("keys.dir_mode", NULL) == 1);
	cleanup();
}

static void test_key_file_mode(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", CLEAN_HUB, 0644);
	put("wg0.key", K1 "\n", 0600);
	put("wg0.pub", P1 "\n", 0644);
	put("wg0.conf.bak", CLEAN_HUB, 0644);
	/* The config and the backup are the other checks' findings. */
	CHECK(audit_count("keys.key_file_mode", NULL) == 0);
	put("wg0.key", K1 "\n", 0644);
	CHECK(audit_count("keys.key_file_mode", &sev) == 1);
	CHECK(sev == AUDIT_CRITICAL);
	put("wg0.key", K1 "\n", 0600);
	put("client.txt", "PrivateKey = " K2 "\n", 0604);
	CHECK(audit_count("keys.key_file_mode", NULL) == 1);
	cleanup();
}

/* Below /etc/wireguard too: a clients/ folder (PiVPN keeps client
 * configs in one), a backups/ tree; four levels deep at most, and never
 * through a symbolic link (it could lead out of the root). */
static void test_subdirectories(void)
{
	char target[128], link[128];

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	put_file("etc/wireguard/clients/phone.conf", "[Interface]\nPrivateKey = " K2 "\n", 0600);
	CHECK(audit_count("keys.key_file_mode", NULL) == 0);
	/* K2 is the phone's key: a client's private key kept on the hub. */
	put("wg0.conf",
	    "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
	    "[Peer]\n# Name = phone\nPublicKey = " P_K2 "\nPresharedKey = " PSK
	    "\nAllowedIPs = 10.9.0.3/32\n", 0600);
	CHECK(audit_count("keys.client_key_on_hub", NULL) == 1);
	CHECK_MSG(strstr(fixture_evidence, "/etc/wireguard/clients/phone.conf"), "%s",
		  fixture_evidence);
	put_file("etc/wireguard/clients/phone.conf", "[Interface]\nPrivateKey = " K2 "\n", 0644);
	CHECK(audit_count("keys.key_file_mode", NULL) == 1);
	put_file("etc/wireguard/clients/phone.conf", "[Interface]\nPrivateKey = " K2 "\n", 0600);
	put_file("etc/wireguard/old/2025/wg0.conf.bak", CLEAN_HUB, 0644);
	CHECK(audit_count("keys.backup_copy", NULL) == 1);
	CHECK(strstr(fixture_evidence, "/etc/wireguard/old/2025/wg0.conf.bak"));
	put_file("etc/wireguard/old/2025/wg0.conf.bak", "", 0600);
	/* Depth 4 is read, depth 5 is not. */
	put_file("etc/wireguard/a/b/c/d.key", K2 "\n", 0644);
	CHECK(audit_count("keys.key_file_mode", NULL) == 1);
	put_file("etc/wireguard/a/b/c/d.key", "", 0600);
	put_file("etc/wireguard/a/b/c/d/e.key", K2 "\n", 0644);
	CHECK(audit_count("keys.key_file_mode", NULL) == 0);
	/* A symbolic link to a directory outside is not followed. */
	snprintf(target, sizeof(target), "%s/outside", root);
	snprintf(link, sizeof(link), "%s/etc/wireguard/elsewhere", root);
	put_file("outside/x.key", K2 "\n", 0644);
	CHECK(symlink(target, link) == 0);
	CHECK(audit_count("keys.key_file_mode", NULL) == 0);
	cleanup();
}

static void test_backup_copy(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	put("notes.bak", "nothing secret\n", 0644);
	put("wg0.conf.orig", "[Peer]\nPublicKey = " P1 "\n", 0644);
	CHECK(audit_count("keys.backup_copy", NULL) == 0);
	put("wg0.conf~", CLEAN_HUB, 0644);
	CHECK(audit_count("keys.backup_copy", &sev) == 1);
	CHECK(sev == AUDIT_CRITICAL);
	put("wg0.conf~", CLEAN_HUB, 0600);
	CHECK(audit_count("keys.backup_copy", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	put("wg0.conf.save", "  privatekey= " K2 "\n", 0600);
	CHECK(audit_count("keys.backup_copy", NULL) == 2);
	cleanup();
}

static void test_shared_private_key(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	put("wg1.conf", "[Interface]\nPrivateKey = " K2 "\n", 0600);
	CHECK(audit_count("keys.shared_private_key", NULL) == 0);
	put("wg1.conf", "[Interface]\nPrivateKey = " K1 "\n", 0600);
	CHECK(audit_count("keys.shared_private_key", &sev) == 1);
	CHECK(sev == AUDIT_CRITICAL);
	cleanup();
}

static void test_client_key_on_hub(void)
{
	static const char hub[] = "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
		"[Peer]\n# Name = laptop\nPublicKey = " P_K2 "\nPresharedKey = " PSK
		"\nAllowedIPs = 10.9.0.2/32\n";
	int sev = -1;

	tree();
	put("wg0.conf", hub, 0600);
	/* A key of no peer here (the hub's own key in a file) is not one. */
	put("wg0.key", K1 "\n", 0600);
	CHECK(audit_count("keys.client_key_on_hub", NULL) == 0);
	put("laptop.key", K2 "\n", 0600);
	CHECK(audit_count("keys.client_key_on_hub", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	put("laptop.key", "[Interface]\nPrivateKey = " K2 "\n", 0600);
	CHECK(audit_count("keys.client_key_on_hub", NULL) == 1);
	cleanup();
}

static void test_overlap(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	CHECK(audit_count("peers.allowed_ips_overlap", NULL) == 0);
	put("wg0.conf", "[Interface]\nPrivateKey = " K1 "\n"
	    "[Peer]\nPublicKey = " P1 "\nPresharedKey = " PSK "\nAllowedIPs = 10.9.0.0/24\n"
	    "[Peer]\nPublicKey = " P2 "\nPresharedKey = " PSK "\nAllowedIPs = 10.9.0.3/32\n", 0600);
	CHECK(audit_count("peers.allowed_ips_overlap", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	cleanup();
}

static void test_no_psk(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	CHECK(audit_count("peers.no_psk", NULL) == 0);
	put("wg0.conf", "[Interface]\nPrivateKey = " K1 "\n"
	    "[Peer]\nPublicKey = " P1 "\nAllowedIPs = 10.9.0.2/32\n", 0600);
	CHECK(audit_count("peers.no_psk", &sev) == 1);
	CHECK(sev == AUDIT_INFO);
	cleanup();
}

static void test_wide_route_on_hub(void)
{
	static const char *const full =
		"[Peer]\nPublicKey = " P1 "\nPresharedKey = " PSK "\nAllowedIPs = 0.0.0.0/0\n";
	static const char *const other =
		"[Peer]\nPublicKey = " P2 "\nPresharedKey = " PSK "\nAllowedIPs = 10.9.0.3/32\n";
	char text[1024];
	int sev = -1;

	tree();
	/* A client with one full-tunnel peer is not a hub. */
	snprintf(text, sizeof(text), "[Interface]\nPrivateKey = %s\nListenPort = 51820\n%s",
		 K1, full);
	put("wg0.conf", text, 0600);
	CHECK(audit_count("peers.wide_route_on_hub", NULL) == 0);
	snprintf(text, sizeof(text), "[Interface]\nPrivateKey = %s\nListenPort = 51820\n%s%s",
		 K1, other, full);
	put("wg0.conf", text, 0600);
	CHECK(audit_count("peers.wide_route_on_hub", &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	snprintf(text, sizeof(text), "[Interface]\nPrivateKey = %s\nListenPort = 51820\n%s"
		 "[Peer]\nPublicKey = %s\nPresharedKey = %s\nAllowedIPs = fd00::3/128, ::/0\n",
		 K1, other, P1, PSK);
	put("wg0.conf", text, 0600);
	CHECK(audit_count("peers.wide_route_on_hub", NULL) == 1);
	/* ::/0 shares no address with an IPv4 prefix. */
	CHECK(audit_count("peers.allowed_ips_overlap", NULL) == 0);
	cleanup();
}

static void test_keepalive_on_hub(void)
{
	static const char *const hub = "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
		"[Peer]\nPublicKey = " P1 "\nPresharedKey = " PSK "\nAllowedIPs = 10.9.0.2/32\n"
		"[Peer]\nPublicKey = " P2 "\nPresharedKey = " PSK "\nAllowedIPs = 10.9.0.3/32\n";
	char text[1024];
	int sev = -1;

	tree();
	/* A site peer with an Endpoint may well want it. */
	snprintf(text, sizeof(text), "%sEndpoint = 192.0.2.1:51820\nPersistentKeepalive = 25\n", hub);
	put("wg0.conf", text, 0600);
	CHECK(audit_count("peers.keepalive_on_hub", NULL) == 0);
	snprintf(text, sizeof(text), "%sPersistentKeepalive = 25\n", hub);
	put("wg0.conf", text, 0600);
	CHECK(audit_count("peers.keepalive_on_hub", &sev) == 1);
	CHECK(sev == AUDIT_INFO);
	/* A client (one peer) behind NAT is where it belongs. */
	put("wg0.conf", "[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"
	    "[Peer]\nPublicKey = " P1 "\nPresharedKey = " PSK "\nAllowedIPs = 0.0.0.0/0\n"
	    "PersistentKeepalive = 25\n", 0600);
	CHECK(audit_count("peers.keepalive_on_hub", NULL) == 0);
	cleanup();
}

static void test_facts_root(void)
{
	struct error err = { 0 };
	struct audit_facts *f;
	struct stat st;
	char **names = NULL;
	size_t n = 0;

	tree();
	put("wg0.conf", CLEAN_HUB, 0600);
	put("a.conf", CLEAN_HUB, 0600);
	f = audit_facts_open(root, &err);
	CHECK(f != NULL);
	CHECK(audit_stat(f, "/etc/wireguard/wg0.conf", &st, &err) == 0);
	CHECK((st.st_mode & 07777) == 0600);
	CHECK(audit_stat(f, "/etc/wireguard/nope", &st, &err) < 0);
	CHECK(strstr(err.msg, "/etc/wireguard/nope") != NULL);
	CHECK(audit_list_dir(f, "/etc/wireguard", &names, &n, &err) == 0);
	CHECK(n == 2 && !strcmp(names[0], "a.conf") && !strcmp(names[1], "wg0.conf"));
	audit_names_free(names, n);
	audit_facts_close(f);
	CHECK(audit_facts_open("/nonexistent-rampart", &err) == NULL);
	cleanup();
}

/* nft -j list ruleset of a table with a set, two base chains and a
 * regular one, as nft 1.0.6 printed it. */
static const char ruleset_json[] =
	"{\"nftables\": [{\"metainfo\": {\"version\": \"1.0.6\", \"release_name\": \"Les"
	"ter Gooch #5\", \"json_schema_version\": 1}}, {\"table\": {\"family\": \"ine"
	"t\", \"name\": \"t\", \"handle\": 1}}, {\"set\": {\"family\": \"inet\", \"name\": \""
	"ssh\", \"table\": \"t\", \"type\": \"ipv4_addr\", \"handle\": 4, \"flags\": [\"int"
	"erval\"], \"elem\": [{\"prefix\": {\"addr\": \"10.0.0.0\", \"len\": 8}}]}}, {\"c"
	"hain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"input\", \"handle\": 1"
	", \"type\": \"filter\", \"hook\": \"input\", \"prio\": 0, \"policy\": \"drop\"}}, "
	"{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"forward_x\", \"han"
	"dle\": 2, \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": \""
	"accept\"}}, {\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"subc\""
	", \"handle\": 3}}, {\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": "
	"\"input\", \"handle\": 5, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"meta"
	"\": {\"key\": \"iifname\"}}, \"right\": \"lo\"}}, {\"accept\": null}]}}, {\"rule"
	"\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"input\", \"handle\": 6, \""
	"expr\": [{\"match\": {\"op\": \"in\", \"left\": {\"ct\": {\"key\": \"state\"}}, \"ri"
	"ght\": [\"established\", \"related\"]}}, {\"accept\": null}]}}, {\"rule\": {\""
	"family\": \"inet\", \"table\": \"t\", \"chain\": \"input\", \"handle\": 7, \"expr\""
	": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"f"
	"ield\": \"dport\"}}, \"right\": 51820}}, {\"limit\": {\"rate\": 20, \"burst\": "
	"40, \"per\": \"second\", \"inv\": true}}, {\"drop\": null}]}}, {\"rule\": {\"fa"
	"mily\": \"inet\", \"table\": \"t\", \"chain\": \"input\", \"handle\": 8, \"expr\": "
	"[{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"udp\", \"fie"
	"ld\": \"dport\"}}, \"right\": 51820}}, {\"accept\": null}]}}, {\"rule\": {\"fa"
	"mily\": \"inet\", \"table\": \"t\", \"chain\": \"input\", \"handle\": 9, \"comment"
	"\": \"ssh\", \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"prot"
	"ocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": 22}}, {\"match\": {\"op\": \"="
	"=\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"righ"
	"t\": \"@ssh\"}}, {\"accept\": null}]}}]}";

static void test_ruleset_parse(void)
{
	struct error err = { 0 };
	struct audit_ruleset *rs = NULL;
	const struct audit_nft_chain *c;
	const struct audit_nft_set *set;

	CHECK_MSG(audit_ruleset_parse(ruleset_json, strlen(ruleset_json), &rs, &err) == 0, "%s",
		  err.msg);
	if (!rs)
		return;
	CHECK(rs->n_chains == 3 && rs->n_sets == 1);
	c = audit_ruleset_chain(rs, "inet", "t", "input");
	CHECK(c && !strcmp(c->hook, "input") && !strcmp(c->policy, "drop") && c->n_rules == 5);
	CHECK(c && audit_chain_on_hook(c, "input", true) && audit_chain_on_hook(c, "input", false));
	CHECK(c && c->n_rules == 5 && c->rules[4].comment && !strcmp(c->rules[4].comment, "ssh"));
	CHECK(c && c->n_rules == 5 && json_array_size(c->rules[2].expr) == 3);
	c = audit_ruleset_chain(rs, "inet", "t", "subc");
	CHECK(c && !c->hook && !c->policy && c->n_rules == 0);
	CHECK(!audit_ruleset_chain(rs, "ip", "t", "input"));
	set = audit_ruleset_set(rs, "inet", "t", "ssh");
	CHECK(set && json_array_size(set->elem) == 1 && !set->is_map);
	audit_ruleset_free(rs);

	CHECK(audit_ruleset_parse("", 0, &rs, &err) == 0 && rs && rs->n_chains == 0);
	audit_ruleset_free(rs);
	CHECK(audit_ruleset_parse("{\"nftables\": 1}", 15, &rs, &err) == -EINVAL && !rs);
	CHECK(strstr(err.msg, "nftables"));
	CHECK(audit_ruleset_parse("{nope", 5, &rs, &err) == -EINVAL && strstr(err.msg, "byte"));
}

/* A fact that a check asks for and cannot have is an info finding, not
 * silence; one that does not exist (no daemon) is neither. */
static void test_fact_gaps(void)
{
	struct error err = { 0 };
	struct audit_facts *f;
	const struct audit_ruleset *rs = NULL;
	const struct uapi_device *dev = NULL;
	const char *const *gaps;

	tree();
	f = audit_facts_open(root, &err);
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(audit_ruleset(f, &rs, &err) == 0 && !rs);
	CHECK(audit_facts_gaps(f, &gaps) == 0);
	audit_facts_set_sources(f, &fixture_sources);
	CHECK(audit_device(f, "wg0", &dev, &err) == 0 && !dev);
	CHECK(audit_facts_gaps(f, &gaps) == 0);
	fixture_ruleset_errno = EPERM;
	CHECK(audit_ruleset(f, &rs, &err) == 0 && !rs);
	CHECK(audit_facts_gaps(f, &gaps) == 1 && strstr(gaps[0], "ruleset"));
	audit_facts_close(f);

	f = audit_facts_open(root, &err);
	audit_facts_set_sources(f, &fixture_sources);
	fixture_ruleset_errno = 0;
	fixture_ruleset = ruleset_json;
	CHECK(audit_ruleset(f, &rs, &err) == 0 && rs && rs->n_chains == 3);
	fixture_device_reply = "private_key=" HEX_K1 "\nlisten_port=51820\nerrno=0\n\n";
	CHECK_MSG(audit_device(f, "wg0", &dev, &err) == 0 && dev, "%s", err.msg);
	CHECK(dev && dev->listen_port == 51820);
	CHECK(audit_facts_gaps(f, &gaps) == 0);
	audit_facts_close(f);
	cleanup();
}

static const struct harness_case cases[] = {
	{ "facts resolve paths under the root", test_facts_root },
	{ "a clean hub has no findings", test_clean },
	{ "keys.config_mode", test_config_mode },
	{ "keys.config_owner", test_config_owner },
	{ "keys.dir_mode", test_dir_mode },
	{ "keys.key_file_mode", test_key_file_mode },
	{ "keys.backup_copy", test_backup_copy },
	{ "keys: the files below /etc/wireguard, not through links", test_subdirectories },
	{ "keys.shared_private_key", test_shared_private_key },
	{ "keys.client_key_on_hub", test_client_key_on_hub },
	{ "peers.allowed_ips_overlap", test_overlap },
	{ "peers.no_psk", test_no_psk },
	{ "peers.wide_route_on_hub", test_wide_route_on_hub },
	{ "peers.keepalive_on_hub", test_keepalive_on_hub },
	{ "the live ruleset parsed from nft's JSON", test_ruleset_parse },
	{ "facts that cannot be read are gaps, absent ones are not", test_fact_gaps },
};

HARNESS_MAIN(cases)
