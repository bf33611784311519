/* The audit's checks over fixture trees: each check where it fires and
 * where it does not.  The trees are built in a temp dir; owner checks
 * compare with root, so a file chowned to 65534 is the firing case (the
 * suite runs as root, which creates every other file). */
#include "harness.h"

#include "audit/audit.h"
#include "conf/config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define K1 "KLtFF3mdTRVMNJbIygFRxvkvrkwpsTpfMpOjfmEkH18="
#define K2 "ICcas1FU4aezxoIW/P2nsQCY2dqJswj7qR3u2RJ7Tl8="
#define P1 "YB6Bs9GND+Esfvya9s0fwYRt/iH4kjU36/pKoFz0sUs="
#define P2 "CHkEaSbCMOGUchInGyGSv2Ra1WJQJ+j2sKKvqe80vFI="
/* K2's public key. */
#define P_K2 "1WCYNECZ34aRkbab5BaVfnbIN+vqtvb8lmYP48eGhHo="
#define PSK "yE7GZOI0DE2hVPWRdgOHfUZEs7lYOCRB+5PRYdwPb1I="

/* A hub whose every check passes. */
#define CLEAN_HUB                                                           \
	"[Interface]\nPrivateKey = " K1 "\nListenPort = 51820\n"            \
	"[Peer]\n# Name = laptop\nPublicKey = " P1 "\nPresharedKey = " PSK   \
	"\nAllowedIPs = 10.9.0.2/32\n"                                      \
	"[Peer]\n# Name = phone\nPublicKey = " P2 "\nPresharedKey = " PSK    \
	"\nAllowedIPs = 10.9.0.3/32\n"

static char root[64];

static void tree(void)
{
	char p[128];

	snprintf(root, sizeof(root), "/tmp/rampart-audit-XXXXXX");
	CHECK(mkdtemp(root) != NULL);
	snprintf(p, sizeof(p), "%s/etc", root);
	CHECK(mkdir(p, 0755) == 0);
	snprintf(p, sizeof(p), "%s/etc/wireguard", root);
	CHECK(mkdir(p, 0700) == 0);
}

static void put(const char *name, const char *text, mode_t mode)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/etc/wireguard/%s", root, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	CHECK(fchmod(fd, mode) == 0);
	close(fd);
}

static void cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0);
}

/* Runs every check over the tree; the findings with id, counted, and the
 * severity of the last of them in *sev. */
static size_t audit_count(const char *id, int *sev)
{
	struct error err = { 0 };
	struct audit_list l = { 0 };
	struct audit_iface *ifs = NULL;
	struct audit_facts *f = audit_facts_open(root, &err);
	size_t n = 0, hits = 0;

	CHECK(f != NULL);
	if (!f)
		return 0;
	CHECK_MSG(audit_load(f, NULL, 0, &ifs, &n, &err) == 0, "%s", err.msg);
	CHECK_MSG(audit_run(f, ifs, n, &l, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < l.n; i++) {
		if (!strcmp(l.v[i].id, id)) {
			hits++;
			if (sev)
				*sev = (int)l.v[i].severity;
			CHECK(l.v[i].message[0] && l.v[i].evidence[0] && l.v[i].fix[0]);
			CHECK(l.v[i].seed_item && !strncmp(l.v[i].seed_item, "seed 00", 7));
		}
	}
	audit_list_free(&l);
	audit_ifaces_free(ifs, n);
	audit_facts_close(f);
	return hits;
}

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

static const struct harness_case cases[] = {
	{ "facts resolve paths under the root", test_facts_root },
	{ "a clean hub has no findings", test_clean },
	{ "keys.config_mode", test_config_mode },
	{ "keys.config_owner", test_config_owner },
	{ "keys.dir_mode", test_dir_mode },
	{ "keys.key_file_mode", test_key_file_mode },
	{ "keys.backup_copy", test_backup_copy },
	{ "keys.shared_private_key", test_shared_private_key },
	{ "keys.client_key_on_hub", test_client_key_on_hub },
	{ "peers.allowed_ips_overlap", test_overlap },
	{ "peers.no_psk", test_no_psk },
	{ "peers.wide_route_on_hub", test_wide_route_on_hub },
	{ "peers.keepalive_on_hub", test_keepalive_on_hub },
};

HARNESS_MAIN(cases)
