/* The host checks (audit/host.c) over fixture trees: dpkg's status and
 * apt's configuration, /proc/PID of the daemons, systemd unit files and
 * their drop-ins, each put under the root.  Each check where it fires
 * and where it does not. */
#include "audit_fixture.h"

#define K1 "KLtFF3mdTRVMNJbIygFRxvkvrkwpsTpfMpOjfmEkH18="
#define P1 "YB6Bs9GND+Esfvya9s0fwYRt/iH4kjU36/pKoFz0sUs="
#define PSK "yE7GZOI0DE2hVPWRdgOHfUZEs7lYOCRB+5PRYdwPb1I="
#define CLIENT "[Interface]\nPrivateKey = " K1 "\n[Peer]\nPublicKey = " P1 \
	"\nPresharedKey = " PSK "\nAllowedIPs = 10.9.0.1/32\n"

#define UU "host.unattended_upgrades"
#define STANZA_SSH "Package: openssh-server\nStatus: install ok installed\nVersion: 1\n\n"
#define STANZA_UU(status) "Package: unattended-upgrades\nStatus: " status "\nVersion: 2.9\n"
#define AUTO_UPGRADES(v) "APT::Periodic::Update-Package-Lists \"1\";\n" \
	"APT::Periodic::Unattended-Upgrade \"" v "\";\n"

static void test_unattended_upgrades(void)
{
	int sev = -1;

	tree();
	put("wg0.conf", CLIENT, 0600);
	/* No dpkg: not a Debian host, nothing to say. */
	CHECK(audit_count(UU, NULL) == 0);
	put_file("var/lib/dpkg/status", STANZA_SSH STANZA_UU("deinstall ok config-files"), 0644);
	CHECK(audit_count(UU, &sev) == 1);
	CHECK(sev == AUDIT_WARNING && strstr(fixture_evidence, "dpkg/status"));
	/* Installed, but apt does not run it. */
	put_file("var/lib/dpkg/status", STANZA_UU("install ok installed") "\n" STANZA_SSH, 0644);
	CHECK(audit_count(UU, NULL) == 1);
	put_file("etc/apt/apt.conf.d/20auto-upgrades", AUTO_UPGRADES("1"), 0644);
	CHECK(audit_count(UU, NULL) == 0);
	put_file("var/lib/dpkg/status", STANZA_UU("hold ok installed"), 0644);
	CHECK(audit_count(UU, NULL) == 0);
	/* A later file wins, as apt reads them in lexical order... */
	put_file("etc/apt/apt.conf.d/99local", "// APT::Periodic::Unattended-Upgrade \"1\";\n"
		 "apt::periodic::unattended-upgrade \"0\";\n", 0644);
	CHECK(audit_count(UU, NULL) == 1);
	CHECK(strstr(fixture_evidence, "99local:2") != NULL);
	/* ...and an earlier one does not. */
	put_file("etc/apt/apt.conf.d/99local", "", 0644);
	put_file("etc/apt/apt.conf.d/10off", AUTO_UPGRADES("0"), 0644);
	CHECK(audit_count(UU, NULL) == 0);
	/* A name apt skips (a backup) is not read. */
	put_file("etc/apt/apt.conf.d/99local.bak", AUTO_UPGRADES("0"), 0644);
	CHECK(audit_count(UU, NULL) == 0);
	/* apt.conf comes after every part. */
	put_file("etc/apt/apt.conf", AUTO_UPGRADES("0"), 0644);
	CHECK(audit_count(UU, NULL) == 1);
	put_file("etc/apt/apt.conf", AUTO_UPGRADES("always"), 0644);
	CHECK(audit_count(UU, NULL) == 0);
	cleanup();
}

#define PRIV "host.daemon_privileges"
/* CAP_NET_ADMIN and CAP_NET_BIND_SERVICE; every capability of 5.x. */
#define CAPS_KEPT "0000000000001400"
#define CAPS_ALL "000001ffffffffff"

/* ROOT/proc/PID with comm, its status lines and cmdline (argv joined
 * by spaces, written NUL-separated). */
static void put_proc(const char *pid, const char *comm, unsigned uid, const char *cap_eff,
		     int nnp, const char *argv)
{
	char rel[64], text[512], cmd[256];
	size_t len;
	int fd;

	snprintf(rel, sizeof(rel), "proc/%s/comm", pid);
	snprintf(text, sizeof(text), "%s\n", comm);
	put_file(rel, text, 0444);
	snprintf(rel, sizeof(rel), "proc/%s/status", pid);
	snprintf(text, sizeof(text), "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\n"
		 "Uid:\t%u\t%u\t%u\t%u\nCapInh:\t0000000000000000\nCapPrm:\t%s\nCapEff:\t%s\n"
		 "CapBnd:\t%s\nCapAmb:\t0000000000000000\nNoNewPrivs:\t%d\nSeccomp:\t0\n", comm,
		 uid, uid, uid, uid, cap_eff, cap_eff, CAPS_ALL, nnp);
	put_file(rel, text, 0444);
	snprintf(cmd, sizeof(cmd), "%s", argv);
	len = strlen(cmd) + 1;
	for (char *c = cmd; *c; c++)
		if (*c == ' ')
			*c = '\0';
	snprintf(text, sizeof(text), "%s/proc/%s/cmdline", root, pid);
	fd = open(text, O_WRONLY | O_CREAT | O_TRUNC, 0444);
	CHECK(fd >= 0 && write(fd, cmd, len) == (ssize_t)len);
	close(fd);
}

static void test_daemon_privileges(void)
{
	char p[512];
	int sev = -1;

	tree();
	put("wg0.conf", CLIENT, 0600);
	CHECK(audit_count(PRIV, NULL) == 0);
	/* What privsep keeps, and a process of another name with more. */
	put_proc("100", "rampartd", 0, CAPS_KEPT, 1, "/usr/local/bin/rampartd wg0");
	put_proc("200", "sshd", 0, CAPS_ALL, 0, "sshd -D");
	put_file("proc/self", "not a process\n", 0444);
	CHECK(audit_count(PRIV, NULL) == 0);
	put_proc("100", "rampartd", 0, CAPS_ALL, 1,
		 "/usr/local/bin/rampartd -f --stats-group prom wg0");
	CHECK(audit_count(PRIV, &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	CHECK(strstr(fixture_evidence, "pid 100, interface wg0, CapEff " CAPS_ALL) != NULL);
	put_proc("100", "rampartd", 0, CAPS_KEPT, 0, "rampartd wg0");
	CHECK(audit_count(PRIV, NULL) == 1);
	CHECK(strstr(fixture_evidence, "NoNewPrivs 0") != NULL);
	put_proc("100", "rampartd", 0, CAPS_KEPT, 1, "rampartd wg0");

	/* wireguard-go keeps every capability as root: an info. */
	put_proc("300", "wireguard-go", 0, CAPS_ALL, 0, "wireguard-go -f wg1");
	CHECK(audit_count(PRIV, &sev) == 1);
	CHECK(sev == AUDIT_INFO && strstr(fixture_evidence, "interface wg1"));
	put_proc("300", "wireguard-go", 1000, CAPS_KEPT, 0, "wireguard-go wg1");
	CHECK(audit_count(PRIV, NULL) == 0);
	put_proc("300", "wireguard-go", 0, "0000000000001000", 0, "wireguard-go wg1");
	CHECK(audit_count(PRIV, NULL) == 0);

	/* A daemon in another network namespace than the audit's is another
	 * host's; one in the same namespace is this one's. */
	put_proc("300", "wireguard-go", 0, CAPS_ALL, 0, "wireguard-go wg1");
	CHECK(audit_count(PRIV, NULL) == 1);
	snprintf(p, sizeof(p), "%s/proc/self", root);
	CHECK(unlink(p) == 0);
	fixture_mkdir("proc/self/ns", 0755);
	fixture_mkdir("proc/300/ns", 0755);
	snprintf(p, sizeof(p), "%s/proc/self/ns/net", root);
	CHECK(symlink("net:[4026531840]", p) == 0);
	snprintf(p, sizeof(p), "%s/proc/300/ns/net", root);
	CHECK(symlink("net:[4026532999]", p) == 0);
	CHECK(audit_count(PRIV, NULL) == 0);
	CHECK(unlink(p) == 0 && symlink("net:[4026531840]", p) == 0);
	CHECK(audit_count(PRIV, NULL) == 1);
	cleanup();
}

#define UNIT "host.unit_hardening"
#define HARDENED "[Unit]\nDescription=x\n[Service]\nExecStart=/usr/bin/true\n"            \
	"NoNewPrivileges=yes\nProtectSystem=strict\nProtectHome=yes\nPrivateTmp=yes\n"  \
	"CapabilityBoundingSet=CAP_NET_ADMIN\nRestrictAddressFamilies=AF_UNIX AF_INET\n" \
	"SystemCallFilter=@system-service\nMemoryDenyWriteExecute=yes\n"                \
	"LockPersonality=yes\nRestrictNamespaces=yes\n"
#define LIB_WGQ "lib/systemd/system/wg-quick@.service"
#define ETC_WGQ "etc/systemd/system/wg-quick@.service"

static void test_unit_hardening(void)
{
	char p[512];
	int sev = -1;

	tree();
	put("wg0.conf", CLIENT, 0600);
	CHECK(audit_count(UNIT, NULL) == 0);
	/* wg-quick's unit as wireguard-tools ships it. */
	put_file(LIB_WGQ, "[Unit]\nDescription=WireGuard via wg-quick(8) for %I\n[Service]\n"
		 "Type=oneshot\nRemainAfterExit=yes\nExecStart=/usr/bin/wg-quick up %i\n", 0644);
	put_file("lib/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n", 0644);
	CHECK(audit_count(UNIT, &sev) == 1);
	CHECK(sev == AUDIT_WARNING);
	CHECK(strstr(fixture_evidence, "NoNewPrivileges, ProtectSystem") != NULL);
	/* Everything but UMask, then a drop-in that adds it. */
	put_file(LIB_WGQ, HARDENED, 0644);
	CHECK(audit_count(UNIT, NULL) == 1);
	CHECK(strstr(fixture_evidence, "without UMask") != NULL);
	put_file("etc/systemd/system/wg-quick@.service.d/umask.conf", "[Service]\nUMask=0077\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 0);
	/* A drop-in of the same name in a directory that wins masks it. */
	put_file("run/systemd/system/wg-quick@.service.d/umask.conf", "[Service]\nUMask=0022\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 0);
	put_file("etc/systemd/system/wg-quick@.service.d/umask.conf", "[Service]\nUMask=0022\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 1);
	CHECK(strstr(fixture_evidence, "UMask=0022") != NULL);
	put_file("etc/systemd/system/wg-quick@.service.d/umask.conf", "[Service]\nUMask=077\n", 0644);
	/* A later drop-in's empty assignment resets; weaker values count. */
	put_file("lib/systemd/system/wg-quick@.service.d/zz.conf",
		 "[Service]\nSystemCallFilter=\nProtectSystem=yes\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 1);
	CHECK(strstr(fixture_evidence, "ProtectSystem=yes, SystemCallFilter") != NULL);
	put_file("lib/systemd/system/wg-quick@.service.d/zz.conf",
		 "[Service]\nProtectSystem=full\nCapabilityBoundingSet=\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 0);
	put_file("lib/systemd/system/wg-quick@.service.d/zz.conf",
		 "[Service]\nCapabilityBoundingSet=~\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 1);
	cleanup();

	/* A unit in /etc replaces the package's, and a masked one is not read. */
	tree();
	put("wg0.conf", CLIENT, 0600);
	put_file("lib/systemd/system/rampart-metrics@.service", "[Service]\nExecStart=/x\n", 0644);
	put_file("etc/systemd/system/rampart-metrics@.service", HARDENED "UMask=0077\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 0);
	put_file(LIB_WGQ, "[Service]\nExecStart=/x\n", 0644);
	fixture_mkdir("etc/systemd/system", 0755);
	snprintf(p, sizeof(p), "%s/" ETC_WGQ, root);
	CHECK(symlink("/dev/null", p) == 0);
	CHECK(audit_count(UNIT, NULL) == 0);
	/* Directives outside [Service] do not count. */
	put_file("lib/systemd/system/rampartd@.service",
		 "[Unit]\nNoNewPrivileges=yes\n[Service]\nExecStart=/x\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 1);
	CHECK(strstr(fixture_evidence, "without NoNewPrivileges,") != NULL);
	/* The engine's unit is read too. */
	put_file("lib/systemd/system/rampartd-engine@.service", "[Service]\nExecStart=/x\n", 0644);
	CHECK(audit_count(UNIT, NULL) == 2);
	cleanup();
}

static const struct harness_case cases[] = {
	{ "host.unattended_upgrades", test_unattended_upgrades },
	{ "host.daemon_privileges", test_daemon_privileges },
	{ "host.unit_hardening", test_unit_hardening },
};

HARNESS_MAIN(cases)
