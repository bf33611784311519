/* The kernel settings of the hardening policy (src/firewall/sysctls.c):
 * the plan of each role as an exact list, and apply, restore,
 * report and persist against a fake /proc/sys tree in a temporary
 * directory (a missing key, a read-only key, a value changed behind our
 * back, an interface deleted before the restore), the record's text, the
 * persisted file's exact content, and, when the test may create a
 * network namespace, the real kernel's side effect of ip_forward on
 * all.accept_redirects. */
#define _GNU_SOURCE
#include "harness.h"

#include "common/textbuf.h"
#include "firewall/sysctls.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct error errbuf;

static struct sysctls_plan make_plan(enum sysctls_role role, bool v4, bool v6, bool full,
				     const char *ifname, const char *wan)
{
	struct sysctls_input in = {
		.role = role, .ipv4 = v4, .ipv6 = v6, .full_tunnel = full,
		.ifname = ifname, .wan = wan,
	};
	struct sysctls_plan p;
	int ret = sysctls_plan(&in, &p, &errbuf);

	CHECK_MSG(ret == 0, "sysctls_plan: %d %s", ret, errbuf.msg);
	return p;
}

/* Compares a plan with "key=value" lines; a leading '?' marks an
 * optional key. */
static void check_plan(const struct sysctls_plan *p, const char *const *want, size_t n)
{
	char got[SYSCTL_KEY_MAX + SYSCTL_VALUE_MAX + 4];

	CHECK_MSG(p->n == n, "plan has %zu settings, want %zu", p->n, n);
	for (size_t i = 0; i < p->n && i < n; i++) {
		snprintf(got, sizeof(got), "%s%s=%s", p->s[i].optional ? "?" : "", p->s[i].key,
			 p->s[i].value);
		CHECK_STR(got, want[i]);
		CHECK(p->s[i].reason && p->s[i].reason[0]);
		CHECK(p->s[i].source && p->s[i].source[0]);
	}
}

/* --- the plan ------------------------------------------------------------------ */

static void test_plan_hub(void)
{
	static const char *const want[] = {
		"net.ipv4.ip_forward=1",
		"net.ipv6.conf.all.forwarding=1",
		"net.ipv4.conf.all.rp_filter=1",
		"net.ipv4.conf.default.rp_filter=1",
		"net.ipv4.conf.wg0.rp_filter=1",
		"net.ipv4.conf.eth0.rp_filter=1",
		"net.ipv4.conf.all.accept_redirects=0",
		"net.ipv4.conf.default.accept_redirects=0",
		"net.ipv4.conf.wg0.accept_redirects=0",
		"net.ipv4.conf.eth0.accept_redirects=0",
		"net.ipv4.conf.all.send_redirects=0",
		"net.ipv4.conf.default.send_redirects=0",
		"net.ipv4.conf.wg0.send_redirects=0",
		"net.ipv4.conf.eth0.send_redirects=0",
		"net.ipv6.conf.all.accept_redirects=0",
		"net.ipv6.conf.default.accept_redirects=0",
		"net.ipv6.conf.wg0.accept_redirects=0",
		"net.ipv6.conf.eth0.accept_redirects=0",
		"net.ipv4.conf.all.accept_source_route=0",
		"net.ipv4.conf.default.accept_source_route=0",
		"net.ipv6.conf.all.accept_source_route=0",
		"net.ipv6.conf.default.accept_source_route=0",
		"net.ipv4.tcp_syncookies=1",
		"net.ipv4.conf.all.log_martians=1",
		"net.ipv4.conf.default.log_martians=1",
	};
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_HUB, true, true, false, "wg0", "eth0");

	check_plan(&p, want, ARRAY_SIZE(want));
	CHECK(p.n <= SYSCTLS_PLAN_MAX);
	CHECK(p.role == SYSCTLS_ROLE_HUB);
	CHECK_STR(p.ifname, "wg0");
	CHECK_STR(p.s[0].reason, "a hub relays packets between its peers");
	CHECK_STR(p.s[0].source,
		  "seed 002 checklist: IP forwarding only if you route between interfaces");
	CHECK_STR(p.s[2].reason, "strict reverse-path filter: drop packets with spoofed sources");
	CHECK_STR(p.s[2].source, "seed 000/001: rp_filter against IP spoofing");
	CHECK_STR(p.s[18].source, "issue 5: no source routing");
	CHECK_STR(p.s[22].source, "seed 000/001: tcp_syncookies against SYN floods");
	CHECK_STR(p.s[24].source, "issue 5: log martians");
}

/* IPv4 only: no IPv6 forwarding, and the IPv6 keys may be absent. */
static void test_plan_hub_ipv4_only(void)
{
	static const char *const want[] = {
		"net.ipv4.ip_forward=1",
		"net.ipv4.conf.all.rp_filter=1",
		"net.ipv4.conf.default.rp_filter=1",
		"net.ipv4.conf.wg0.rp_filter=1",
		"net.ipv4.conf.all.accept_redirects=0",
		"net.ipv4.conf.default.accept_redirects=0",
		"net.ipv4.conf.wg0.accept_redirects=0",
		"net.ipv4.conf.all.send_redirects=0",
		"net.ipv4.conf.default.send_redirects=0",
		"net.ipv4.conf.wg0.send_redirects=0",
		"?net.ipv6.conf.all.accept_redirects=0",
		"?net.ipv6.conf.default.accept_redirects=0",
		"?net.ipv6.conf.wg0.accept_redirects=0",
		"net.ipv4.conf.all.accept_source_route=0",
		"net.ipv4.conf.default.accept_source_route=0",
		"?net.ipv6.conf.all.accept_source_route=0",
		"?net.ipv6.conf.default.accept_source_route=0",
		"net.ipv4.tcp_syncookies=1",
		"net.ipv4.conf.all.log_martians=1",
		"net.ipv4.conf.default.log_martians=1",
	};
	/* No WAN known: NULL and "" are the same. */
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_HUB, true, false, false, "wg0", NULL);

	check_plan(&p, want, ARRAY_SIZE(want));
	p = make_plan(SYSCTLS_ROLE_HUB, true, false, false, "wg0", "");
	check_plan(&p, want, ARRAY_SIZE(want));
}

/* A split-tunnel client: no forwarding key at all (left as it is),
 * strict reverse-path filtering. */
static void test_plan_client(void)
{
	static const char *const want[] = {
		"net.ipv4.conf.all.rp_filter=1",
		"net.ipv4.conf.default.rp_filter=1",
		"net.ipv4.conf.wg0.rp_filter=1",
		"net.ipv4.conf.wlan0.rp_filter=1",
		"net.ipv4.conf.all.accept_redirects=0",
		"net.ipv4.conf.default.accept_redirects=0",
		"net.ipv4.conf.wg0.accept_redirects=0",
		"net.ipv4.conf.wlan0.accept_redirects=0",
		"net.ipv4.conf.all.send_redirects=0",
		"net.ipv4.conf.default.send_redirects=0",
		"net.ipv4.conf.wg0.send_redirects=0",
		"net.ipv4.conf.wlan0.send_redirects=0",
		"net.ipv6.conf.all.accept_redirects=0",
		"net.ipv6.conf.default.accept_redirects=0",
		"net.ipv6.conf.wg0.accept_redirects=0",
		"net.ipv6.conf.wlan0.accept_redirects=0",
		"net.ipv4.conf.all.accept_source_route=0",
		"net.ipv4.conf.default.accept_source_route=0",
		"net.ipv6.conf.all.accept_source_route=0",
		"net.ipv6.conf.default.accept_source_route=0",
		"net.ipv4.tcp_syncookies=1",
		"net.ipv4.conf.all.log_martians=1",
		"net.ipv4.conf.default.log_martians=1",
	};
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_CLIENT, true, true, false, "wg0", "wlan0");

	check_plan(&p, want, ARRAY_SIZE(want));
	for (size_t i = 0; i < p.n; i++)
		CHECK(!strstr(p.s[i].key, "forward"));
}

/* A full-tunnel client: loose reverse-path filtering. */
static void test_plan_client_full_tunnel(void)
{
	static const char *const want[] = {
		"net.ipv4.conf.all.rp_filter=2",
		"net.ipv4.conf.default.rp_filter=2",
		"net.ipv4.conf.wg0.rp_filter=2",
		"net.ipv4.conf.eth0.rp_filter=2",
		"net.ipv4.conf.all.accept_redirects=0",
		"net.ipv4.conf.default.accept_redirects=0",
		"net.ipv4.conf.wg0.accept_redirects=0",
		"net.ipv4.conf.eth0.accept_redirects=0",
		"net.ipv4.conf.all.send_redirects=0",
		"net.ipv4.conf.default.send_redirects=0",
		"net.ipv4.conf.wg0.send_redirects=0",
		"net.ipv4.conf.eth0.send_redirects=0",
		"?net.ipv6.conf.all.accept_redirects=0",
		"?net.ipv6.conf.default.accept_redirects=0",
		"?net.ipv6.conf.wg0.accept_redirects=0",
		"?net.ipv6.conf.eth0.accept_redirects=0",
		"net.ipv4.conf.all.accept_source_route=0",
		"net.ipv4.conf.default.accept_source_route=0",
		"?net.ipv6.conf.all.accept_source_route=0",
		"?net.ipv6.conf.default.accept_source_route=0",
		"net.ipv4.tcp_syncookies=1",
		"net.ipv4.conf.all.log_martians=1",
		"net.ipv4.conf.default.log_martians=1",
	};
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_CLIENT, true, false, true, "wg0", "eth0");

	check_plan(&p, want, ARRAY_SIZE(want));
	CHECK_STR(p.s[0].reason, "loose reverse-path filter: strict drops the tunnel's replies "
				 "under fwmark policy routing");
}

/* A site gateway: forwarding, loose reverse-path filtering; a '.' in an
 * interface name is written '/' in the key. */
static void test_plan_site(void)
{
	static const char *const want[] = {
		"net.ipv4.ip_forward=1",
		"net.ipv6.conf.all.forwarding=1",
		"net.ipv4.conf.all.rp_filter=2",
		"net.ipv4.conf.default.rp_filter=2",
		"net.ipv4.conf.wg-site.rp_filter=2",
		"net.ipv4.conf.eth0/100.rp_filter=2",
		"net.ipv4.conf.all.accept_redirects=0",
		"net.ipv4.conf.default.accept_redirects=0",
		"net.ipv4.conf.wg-site.accept_redirects=0",
		"net.ipv4.conf.eth0/100.accept_redirects=0",
		"net.ipv4.conf.all.send_redirects=0",
		"net.ipv4.conf.default.send_redirects=0",
		"net.ipv4.conf.wg-site.send_redirects=0",
		"net.ipv4.conf.eth0/100.send_redirects=0",
		"net.ipv6.conf.all.accept_redirects=0",
		"net.ipv6.conf.default.accept_redirects=0",
		"net.ipv6.conf.wg-site.accept_redirects=0",
		"net.ipv6.conf.eth0/100.accept_redirects=0",
		"net.ipv4.conf.all.accept_source_route=0",
		"net.ipv4.conf.default.accept_source_route=0",
		"net.ipv6.conf.all.accept_source_route=0",
		"net.ipv6.conf.default.accept_source_route=0",
		"net.ipv4.tcp_syncookies=1",
		"net.ipv4.conf.all.log_martians=1",
		"net.ipv4.conf.default.log_martians=1",
	};
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_SITE, true, true, false, "wg-site",
					  "eth0.100");

	check_plan(&p, want, ARRAY_SIZE(want));
	CHECK_STR(p.s[0].reason, "a site gateway routes between the tunnel and its local networks");
	CHECK_STR(p.s[2].reason,
		  "loose reverse-path filter: a site gateway's routes are often asymmetric");

	/* IPv6 only: IPv6 forwarding alone. */
	p = make_plan(SYSCTLS_ROLE_SITE, false, true, false, "wg0", "");
	CHECK_STR(p.s[0].key, "net.ipv6.conf.all.forwarding");
	CHECK_STR(p.s[1].key, "net.ipv4.conf.all.rp_filter");
	CHECK(p.n == 20);
}

static void test_plan_errors(void)
{
	struct sysctls_input in = { .role = SYSCTLS_ROLE_HUB, .ipv4 = true, .ifname = "wg0" };
	struct sysctls_plan p;

	/* A WAN that is the tunnel itself adds nothing twice. */
	in.wan = "wg0";
	CHECK(sysctls_plan(&in, &p, &errbuf) == 0);
	CHECK(p.n == 20);

	in.wan = "eth 0";
	CHECK(sysctls_plan(&in, &p, &errbuf) == -EINVAL);
	CHECK_STR(errbuf.msg, "invalid WAN interface name \"eth 0\"");
	in.wan = "";
	static const char *const bad[] = {
		"", ".", "..", "a/b", "a:b", "1234567890123456", "tab\tx", "\x7f",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		in.ifname = bad[i];
		CHECK_MSG(sysctls_plan(&in, &p, &errbuf) == -EINVAL, "%zu", i);
	}
	in.ifname = NULL;
	CHECK(sysctls_plan(&in, &p, &errbuf) == -EINVAL);
	in.ifname = "123456789012345";
	CHECK(sysctls_plan(&in, &p, &errbuf) == 0);
	in.ifname = "a_b=c+d.e-f";
	CHECK(sysctls_plan(&in, &p, &errbuf) == 0);
	CHECK_STR(p.s[3].key, "net.ipv4.conf.a_b=c+d/e-f.rp_filter");

	in.role = (enum sysctls_role)7;
	CHECK(sysctls_plan(&in, &p, &errbuf) == -EINVAL);
	CHECK_STR(errbuf.msg, "unknown role 7");
	CHECK_STR(sysctls_role_name(SYSCTLS_ROLE_SITE), "site");
	CHECK_STR(sysctls_role_name(SYSCTLS_ROLE_CLIENT), "client");
}

/* --- a fake /proc/sys ------------------------------------------------------------- */

static char root[256];

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void tree_remove(void)
{
	if (root[0])
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	root[0] = '\0';
}

static void mkdirs(const char *path)
{
	char tmp[512];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + strlen(root) + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
}

static void put(const char *key, const char *value)
{
	char path[512];
	FILE *f;

	CHECK(sysctl_key_path(path, sizeof(path), root, key) == 0);
	mkdirs(path);
	f = fopen(path, "w");
	CHECK_MSG(f != NULL, "%s: %s", path, strerror(errno));
	if (f) {
		fprintf(f, "%s\n", value);
		fclose(f);
	}
}

static void unput(const char *key)
{
	char path[512];

	CHECK(sysctl_key_path(path, sizeof(path), root, key) == 0);
	CHECK_MSG(unlink(path) == 0, "%s: %s", path, strerror(errno));
}

static const char *get(const char *key)
{
	static char value[SYSCTL_VALUE_MAX];
	int ret = sysctl_read(root, key, value, &errbuf);

	return ret == -ENOENT ? "(none)" : ret ? "(error)" : value;
}

/* A host as a distribution leaves it: systemd's loose rp_filter on the
 * interfaces, redirects accepted and sent, martians not logged. */
static const char *const initial[] = {
	"net.ipv4.ip_forward=0",
	"net.ipv6.conf.all.forwarding=0",
	"net.ipv4.conf.all.rp_filter=0",
	"net.ipv4.conf.default.rp_filter=2",
	"net.ipv4.conf.wg0.rp_filter=2",
	"net.ipv4.conf.eth0.rp_filter=2",
	"net.ipv4.conf.all.accept_redirects=1",
	"net.ipv4.conf.default.accept_redirects=1",
	"net.ipv4.conf.wg0.accept_redirects=1",
	"net.ipv4.conf.eth0.accept_redirects=1",
	"net.ipv4.conf.all.send_redirects=1",
	"net.ipv4.conf.default.send_redirects=1",
	"net.ipv4.conf.wg0.send_redirects=1",
	"net.ipv4.conf.eth0.send_redirects=1",
	"net.ipv6.conf.all.accept_redirects=1",
	"net.ipv6.conf.default.accept_redirects=1",
	"net.ipv6.conf.wg0.accept_redirects=1",
	"net.ipv6.conf.eth0.accept_redirects=1",
	"net.ipv4.conf.all.accept_source_route=0",
	"net.ipv4.conf.default.accept_source_route=1",
	"net.ipv6.conf.all.accept_source_route=0",
	"net.ipv6.conf.default.accept_source_route=0",
	"net.ipv4.tcp_syncookies=1",
	"net.ipv4.conf.all.log_martians=0",
	"net.ipv4.conf.default.log_martians=0",
	/* not in any plan */
	"net.ipv4.conf.all.src_valid_mark=0",
};

static void tree_create(void)
{
	char kv[SYSCTL_KEY_MAX + SYSCTL_VALUE_MAX];
	const char *tmpdir = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/rampart-sysctls.XXXXXX", tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(root)) {
		harness_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		root[0] = '\0';
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(initial); i++) {
		char *eq;

		snprintf(kv, sizeof(kv), "%s", initial[i]);
		eq = strchr(kv, '=');
		*eq = '\0';
		put(kv, eq + 1);
	}
}

/* Every key of the initial tree holds its initial value, except those
 * listed in except ("key=value" lines that hold instead). */
static void check_tree(const char *const *except, size_t n_except)
{
	char kv[SYSCTL_KEY_MAX + SYSCTL_VALUE_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(initial); i++) {
		const char *want = initial[i];
		size_t klen = strchr(initial[i], '=') - initial[i];

		for (size_t j = 0; j < n_except; j++)
			if (!strncmp(except[j], initial[i], klen + 1))
				want = except[j];
		snprintf(kv, sizeof(kv), "%.*s=%s", (int)klen, initial[i],
			 get(strndupa(initial[i], klen)));
		CHECK_STR(kv, want);
	}
}

/* Apply a hub's plan, then take it back after someone changed one value
 * and the tunnel's interface went away. */
static void test_apply_restore(void)
{
	static const char *const applied[] = {
		"net.ipv4.ip_forward=1",
		"net.ipv6.conf.all.forwarding=1",
		"net.ipv4.conf.all.rp_filter=1",
		"net.ipv4.conf.default.rp_filter=1",
		"net.ipv4.conf.wg0.rp_filter=1",
		"net.ipv4.conf.eth0.rp_filter=1",
		"net.ipv4.conf.all.accept_redirects=0",
		"net.ipv4.conf.default.accept_redirects=0",
		"net.ipv4.conf.wg0.accept_redirects=0",
		"net.ipv4.conf.eth0.accept_redirects=0",
		"net.ipv4.conf.all.send_redirects=0",
		"net.ipv4.conf.default.send_redirects=0",
		"net.ipv4.conf.wg0.send_redirects=0",
		"net.ipv4.conf.eth0.send_redirects=0",
		"net.ipv6.conf.all.accept_redirects=0",
		"net.ipv6.conf.default.accept_redirects=0",
		"net.ipv6.conf.wg0.accept_redirects=0",
		"net.ipv6.conf.eth0.accept_redirects=0",
		"net.ipv4.conf.default.accept_source_route=0",
		"net.ipv4.conf.all.log_martians=1",
		"net.ipv4.conf.default.log_martians=1",
	};
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_HUB, true, true, false, "wg0", "eth0");
	struct sysctls_applied done;
	struct textbuf t = { 0 };
	char path[512];

	tree_create();
	CHECK(sysctls_apply(root, &p, &done, &errbuf) == 0);
	CHECK_STR(errbuf.msg, "");
	check_tree(applied, ARRAY_SIZE(applied));
	/* Only what changed is recorded, with the value it had. */
	CHECK(done.n == ARRAY_SIZE(applied));
	for (size_t i = 0; i < done.n && i < ARRAY_SIZE(applied); i++) {
		size_t klen = strchr(applied[i], '=') - applied[i];

		CHECK(strlen(done.c[i].key) == klen && !strncmp(done.c[i].key, applied[i], klen));
		CHECK_STR(done.c[i].set, applied[i] + klen + 1);
		CHECK(done.c[i].undo == SYSCTLS_UNDO_NONE);
	}
	CHECK_STR(done.c[3].prev, "2");
	CHECK_STR(done.c[18].key, "net.ipv4.conf.default.accept_source_route");
	CHECK_STR(done.c[18].prev, "1");

	/* The record as text, and back. */
	sysctls_applied_format(&t, &done);
	CHECK(t.err == 0);
	{
		static const char head[] = "net.ipv4.ip_forward\t0\t1\n"
					   "net.ipv6.conf.all.forwarding\t0\t1\n"
					   "net.ipv4.conf.all.rp_filter\t0\t1\n"
					   "net.ipv4.conf.default.rp_filter\t2\t1\n";

		CHECK(t.buf && !strncmp(t.buf, head, strlen(head)));
		static const char tail[] = "net.ipv4.conf.default.log_martians\t0\t1\n";

		CHECK(t.buf && t.len > strlen(tail) &&
		      !strcmp(t.buf + t.len - strlen(tail), tail));
	}
	{
		struct sysctls_applied back;

		CHECK(sysctls_applied_parse(t.buf, t.len, &back, &errbuf) == 0);
		CHECK(back.n == done.n);
		CHECK(!memcmp(&back, &done, sizeof(back)));
	}
	textbuf_wipe(&t);

	/* Applying again changes nothing. */
	{
		struct sysctls_applied again;

		CHECK(sysctls_apply(root, &p, &again, &errbuf) == 0);
		CHECK(again.n == 0);
	}

	/* Meanwhile: someone makes rp_filter loose, the tunnel goes away. */
	put("net.ipv4.conf.all.rp_filter", "2");
	CHECK(sysctl_key_path(path, sizeof(path), root, "net.ipv4.conf.wg0") == 0);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	CHECK(sysctl_key_path(path, sizeof(path), root, "net.ipv6.conf.wg0") == 0);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

	CHECK(sysctls_restore(root, &done, &errbuf) == 0);
	CHECK_STR(errbuf.msg, "");
	{
		static const char *const left[] = {
			"net.ipv4.conf.all.rp_filter=2",
			"net.ipv4.conf.wg0.rp_filter=(none)",
			"net.ipv4.conf.wg0.accept_redirects=(none)",
			"net.ipv4.conf.wg0.send_redirects=(none)",
			"net.ipv6.conf.wg0.accept_redirects=(none)",
		};
		check_tree(left, ARRAY_SIZE(left));
	}
	for (size_t i = 0; i < done.n; i++) {
		enum sysctls_undo want = SYSCTLS_UNDO_RESTORED;

		if (!strcmp(done.c[i].key, "net.ipv4.conf.all.rp_filter"))
			want = SYSCTLS_UNDO_KEPT;
		else if (strstr(done.c[i].key, ".wg0."))
			want = SYSCTLS_UNDO_GONE;
		CHECK_MSG(done.c[i].undo == want, "%s: undo %d, want %d", done.c[i].key,
			  (int)done.c[i].undo, (int)want);
	}

	/* A second restore does nothing more. */
	put("net.ipv4.ip_forward", "1");
	CHECK(sysctls_restore(root, &done, &errbuf) == 0);
	CHECK_STR(get("net.ipv4.ip_forward"), "1");
	tree_remove();
}

/* A required key that does not exist: nothing stays changed, and the
 * message names the key. */
static void test_apply_missing_key(void)
{
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_HUB, true, true, false, "wg0", "eth0");
	struct sysctls_applied done;

	tree_create();
	unput("net.ipv4.tcp_syncookies");
	CHECK(sysctls_apply(root, &p, &done, &errbuf) == -ENOENT);
	CHECK(strstr(errbuf.msg, "net.ipv4.tcp_syncookies: ") == errbuf.msg);
	CHECK(strstr(errbuf.msg, "/net/ipv4/tcp_syncookies: No such file or directory") != NULL);
	{
		static const char *const gone[] = { "net.ipv4.tcp_syncookies=(none)" };
		check_tree(gone, ARRAY_SIZE(gone));
	}
	CHECK(done.n == 19); /* everything before tcp_syncookies */
	for (size_t i = 0; i < done.n; i++)
		CHECK(done.c[i].undo == SYSCTLS_UNDO_RESTORED);
	tree_remove();
}

/* A key that refuses writes.  Root ignores the mode bits of an ordinary
 * file, but not those of /proc/sys: the fake key is a link to a
 * read-only kernel key, whose value ("6.x...") is never "0". */
static void test_apply_read_only_key(void)
{
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_HUB, true, true, false, "wg0", "eth0");
	struct sysctls_applied done;
	char path[512];
	int ret;

	tree_create();
	CHECK(sysctl_key_path(path, sizeof(path), root, "net.ipv4.conf.eth0.send_redirects") == 0);
	CHECK(unlink(path) == 0);
	CHECK(symlink("/proc/sys/kernel/osrelease", path) == 0);
	ret = sysctls_apply(root, &p, &done, &errbuf);
	CHECK_MSG(ret == -EACCES || ret == -EPERM || ret == -EROFS, "ret %d: %s", ret, errbuf.msg);
	CHECK_MSG(strstr(errbuf.msg, "net.ipv4.conf.eth0.send_redirects: ") == errbuf.msg, "%s", errbuf.msg);
	{
		/* Everything else as before. */
		char want[SYSCTL_KEY_MAX + SYSCTL_VALUE_MAX];
		const char *except[] = { want };

		snprintf(want, sizeof(want), "net.ipv4.conf.eth0.send_redirects=%s",
			 get("net.ipv4.conf.eth0.send_redirects"));
		check_tree(except, ARRAY_SIZE(except));
	}
	CHECK(done.n == 13); /* up to eth0's accept_redirects */
	for (size_t i = 0; i < done.n; i++)
		CHECK(done.c[i].undo == SYSCTLS_UNDO_RESTORED);
	tree_remove();
}

/* Optional keys may be absent: a host without IPv6. */
static void test_apply_without_ipv6(void)
{
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_HUB, true, false, false, "wg0", "eth0");
	struct sysctls_applied done;
	struct sysctls_report r;
	char path[512];

	tree_create();
	CHECK(sysctl_key_path(path, sizeof(path), root, "net.ipv6") == 0);
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	CHECK(sysctls_apply(root, &p, &done, &errbuf) == 0);
	CHECK_STR(errbuf.msg, "");
	CHECK(done.n == 16);
	CHECK(sysctls_report(root, &p, &r, &errbuf) == 0);
	CHECK(sysctls_report_ok(&r));
	for (size_t i = 0; i < r.n; i++)
		CHECK(r.c[i].status == (strncmp(r.c[i].setting->key, "net.ipv6.", 9)
						? SYSCTLS_OK : SYSCTLS_ABSENT));

	/* The same plan for a config with IPv6 needs them. */
	p = make_plan(SYSCTLS_ROLE_HUB, true, true, false, "wg0", "eth0");
	CHECK(sysctls_apply(root, &p, &done, &errbuf) == -ENOENT);
	CHECK(strstr(errbuf.msg, "net.ipv6.conf.all.forwarding: ") == errbuf.msg);
	tree_remove();
}

/* The write-ahead hook sees each change before its key is written; a
 * failing one stops the apply with that key unwritten and the keys
 * before it taken back. */
struct ahead {
	size_t calls, fail_at;
	bool unwritten; /* every call found its key still at prev */
};

static int on_ahead(const struct sysctls_applied *done, void *arg, struct error *err)
{
	struct ahead *a = arg;
	const struct sysctls_change *c = &done->c[done->n - 1];

	a->calls++;
	if (strcmp(get(c->key), c->prev))
		a->unwritten = false;
	if (a->calls == a->fail_at)
		return error_fail(err, -EIO, "the record cannot be written");
	return 0;
}

static void test_apply_recorded(void)
{
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_HUB, true, true, false, "wg0", "eth0");
	struct sysctls_applied done;
	struct ahead a = { .fail_at = 0, .unwritten = true };

	tree_create();
	CHECK(sysctls_apply_recorded(root, &p, &done, on_ahead, &a, &errbuf) == 0);
	CHECK(done.n > 3 && a.calls == done.n && a.unwritten);
	tree_remove();

	/* The record of the third change fails: nothing is left changed. */
	tree_create();
	a = (struct ahead){ .fail_at = 3, .unwritten = true };
	CHECK(sysctls_apply_recorded(root, &p, &done, on_ahead, &a, &errbuf) == -EIO);
	CHECK_STR(errbuf.msg, "the record cannot be written");
	CHECK(a.calls == 3 && a.unwritten && done.n == 2);
	for (size_t i = 0; i < done.n; i++)
		CHECK(done.c[i].undo == SYSCTLS_UNDO_RESTORED);
	check_tree(NULL, 0);
	tree_remove();
}

static void test_report(void)
{
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_CLIENT, true, false, true, "wg0", "eth0");
	struct sysctls_applied done;
	struct sysctls_report r;

	tree_create();
	CHECK(sysctls_report(root, &p, &r, &errbuf) == 0);
	CHECK(r.n == p.n);
	CHECK(!sysctls_report_ok(&r));
	CHECK(r.c[0].setting == &p.s[0]);
	CHECK_STR(r.c[0].setting->key, "net.ipv4.conf.all.rp_filter");
	CHECK_STR(r.c[0].actual, "0");
	CHECK(r.c[0].status == SYSCTLS_DIFFERS);
	CHECK_STR(r.c[1].actual, "2");
	CHECK(r.c[1].status == SYSCTLS_OK);
	CHECK(r.c[20].status == SYSCTLS_OK); /* tcp_syncookies */

	CHECK(sysctls_apply(root, &p, &done, &errbuf) == 0);
	CHECK(sysctls_report(root, &p, &r, &errbuf) == 0);
	CHECK(sysctls_report_ok(&r));
	for (size_t i = 0; i < r.n; i++)
		CHECK_MSG(r.c[i].status == SYSCTLS_OK, "%s %s", r.c[i].setting->key,
			  sysctls_status_name(r.c[i].status));

	/* The tunnel is down; someone turned redirects back on. */
	unput("net.ipv4.conf.wg0.rp_filter");
	put("net.ipv4.conf.eth0.accept_redirects", "1");
	unput("net.ipv6.conf.eth0.accept_redirects");
	CHECK(sysctls_report(root, &p, &r, &errbuf) == 0);
	CHECK(!sysctls_report_ok(&r));
	CHECK_STR(r.c[2].setting->key, "net.ipv4.conf.wg0.rp_filter");
	CHECK(r.c[2].status == SYSCTLS_MISSING);
	CHECK_STR(r.c[2].actual, "");
	CHECK_STR(r.c[7].setting->key, "net.ipv4.conf.eth0.accept_redirects");
	CHECK(r.c[7].status == SYSCTLS_DIFFERS);
	CHECK_STR(r.c[7].actual, "1");
	CHECK_STR(r.c[7].setting->value, "0");
	CHECK_STR(r.c[15].setting->key, "net.ipv6.conf.eth0.accept_redirects");
	CHECK(r.c[15].status == SYSCTLS_ABSENT);

	CHECK_STR(sysctls_status_name(SYSCTLS_OK), "ok");
	CHECK_STR(sysctls_status_name(SYSCTLS_DIFFERS), "differs");
	CHECK_STR(sysctls_status_name(SYSCTLS_MISSING), "missing");
	CHECK_STR(sysctls_status_name(SYSCTLS_ABSENT), "absent");
	tree_remove();
}

static void test_record_parse(void)
{
	struct sysctls_applied a;
	struct textbuf t = { 0 };
	static const char two[] = "net.ipv4.ip_forward\t0\t1\nnet.ipv4.conf.eth0/1.rp_filter\t2\t1";

	CHECK(sysctls_applied_parse("", 0, &a, &errbuf) == 0);
	CHECK(a.n == 0);
	sysctls_applied_format(&t, &a);
	CHECK(t.len == 0 && t.buf && !t.buf[0]);
	textbuf_wipe(&t);

	/* The last line may lack its newline. */
	CHECK(sysctls_applied_parse(two, strlen(two), &a, &errbuf) == 0);
	CHECK(a.n == 2);
	CHECK_STR(a.c[1].key, "net.ipv4.conf.eth0/1.rp_filter");
	CHECK_STR(a.c[1].prev, "2");
	CHECK_STR(a.c[1].set, "1");

	static const struct {
		const char *text, *msg;
	} bad[] = {
		{ "net.ipv4.ip_forward\t0\n", "line 1: expected KEY<TAB>PREV<TAB>SET" },
		{ "net.ipv4.ip_forward 0 1\n", "line 1: expected KEY<TAB>PREV<TAB>SET" },
		{ "net.ipv4.ip_forward\t0\t1\t2\n", "line 1: more than three fields" },
		{ "net.ipv4.ip_forward\t0\t1\nnet..x\t0\t1\n", "line 2: invalid key \"net..x\"" },
		{ "net./.x\t0\t1\n", "line 1: invalid key \"net./.x\"" },
		{ "net.ipv4.ip_forward\t\t1\n", "line 1: net.ipv4.ip_forward: invalid value" },
		{ "net.ipv4.ip_forward\t0\t\n", "line 1: net.ipv4.ip_forward: invalid value" },
		{ "\n", "line 1: expected KEY<TAB>PREV<TAB>SET" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK(sysctls_applied_parse(bad[i].text, strlen(bad[i].text), &a, &errbuf) == -EINVAL);
		CHECK_STR(errbuf.msg, bad[i].msg);
	}

	for (int i = 0; i <= SYSCTLS_PLAN_MAX; i++)
		textbuf_printf(&t, "net.ipv4.k%d\t0\t1\n", i);
	CHECK(sysctls_applied_parse(t.buf, t.len, &a, &errbuf) == -EINVAL);
	CHECK_STR(errbuf.msg, "line 33: more than 32 changes");
	textbuf_wipe(&t);
}

/* --- persisting ------------------------------------------------------------------- */

static const char site_file[] =
	"# Kernel network settings of Rampart's hardening policy for wg0 (role site),\n"
	"# written on request (--persist-sysctls) and applied at boot by\n"
	"# systemd-sysctl or `sysctl --system`.  Delete this file to stop that.\n"
	"# A key written as -KEY may be absent: the tunnel's own keys appear\n"
	"# with its interface, IPv6 keys need IPv6.\n"
	"\n"
	"# a site gateway routes between the tunnel and its local networks "
	"(seed 002 checklist: IP forwarding only if you route between interfaces)\n"
	"net.ipv4.ip_forward = 1\n"
	"\n"
	"# loose reverse-path filter: a site gateway's routes are often asymmetric "
	"(seed 000/001: rp_filter against IP spoofing)\n"
	"net.ipv4.conf.all.rp_filter = 2\n"
	"net.ipv4.conf.default.rp_filter = 2\n"
	"-net.ipv4.conf.wg0.rp_filter = 2\n"
	"net.ipv4.conf.eth0/100.rp_filter = 2\n"
	"\n"
	"# ignore ICMP redirects: they rewrite routes unauthenticated "
	"(seed 000/001: disable ICMP redirects)\n"
	"net.ipv4.conf.all.accept_redirects = 0\n"
	"net.ipv4.conf.default.accept_redirects = 0\n"
	"-net.ipv4.conf.wg0.accept_redirects = 0\n"
	"net.ipv4.conf.eth0/100.accept_redirects = 0\n"
	"\n"
	"# send no ICMP redirects (a hub would send them to the peers it relays for) "
	"(seed 000/001: disable ICMP redirects)\n"
	"net.ipv4.conf.all.send_redirects = 0\n"
	"net.ipv4.conf.default.send_redirects = 0\n"
	"-net.ipv4.conf.wg0.send_redirects = 0\n"
	"net.ipv4.conf.eth0/100.send_redirects = 0\n"
	"\n"
	"# ignore ICMPv6 redirects: they rewrite routes unauthenticated "
	"(seed 000/001: disable ICMP redirects)\n"
	"-net.ipv6.conf.all.accept_redirects = 0\n"
	"-net.ipv6.conf.default.accept_redirects = 0\n"
	"-net.ipv6.conf.wg0.accept_redirects = 0\n"
	"-net.ipv6.conf.eth0/100.accept_redirects = 0\n"
	"\n"
	"# drop source-routed packets (issue 5: no source routing)\n"
	"net.ipv4.conf.all.accept_source_route = 0\n"
	"net.ipv4.conf.default.accept_source_route = 0\n"
	"\n"
	"# drop source-routed packets (IPv6: type 2 routing headers only) "
	"(issue 5: no source routing)\n"
	"-net.ipv6.conf.all.accept_source_route = 0\n"
	"-net.ipv6.conf.default.accept_source_route = 0\n"
	"\n"
	"# answer with SYN cookies when the SYN queue overflows "
	"(seed 000/001: tcp_syncookies against SYN floods)\n"
	"net.ipv4.tcp_syncookies = 1\n"
	"\n"
	"# log packets with impossible addresses (issue 5: log martians)\n"
	"net.ipv4.conf.all.log_martians = 1\n"
	"net.ipv4.conf.default.log_martians = 1\n";

static void test_render(void)
{
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_SITE, true, false, false, "wg0", "eth0.100");
	struct textbuf t = { 0 };

	CHECK(sysctls_render(&t, &p) == 0);
	CHECK_STR(t.buf, site_file);
	textbuf_wipe(&t);

	/* sysctl.d cannot hold a key with '='. */
	p = make_plan(SYSCTLS_ROLE_SITE, true, false, false, "a=b", "");
	CHECK(sysctls_render(&t, &p) == -EINVAL);
	CHECK(t.err == -EINVAL);
	textbuf_wipe(&t);
}

static void test_persist(void)
{
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_SITE, true, false, false, "wg0", "eth0.100");
	char dir[512], path[600], old[600];
	static char text[8192];
	struct stat st;
	size_t len;
	mode_t mask;
	int entries = 0;
	FILE *f;

	tree_create();
	snprintf(dir, sizeof(dir), "%s/sysctl.d", root);
	CHECK(mkdir(dir, 0755) == 0);
	CHECK(sysctl_persist_path(path, sizeof(path), dir, "wg0") == 0);
	CHECK(!strcmp(path + strlen(dir), "/90-rampart-wg0.conf"));
	CHECK(sysctl_persist_path(path, 8, dir, "wg0") == -ENAMETOOLONG);
	CHECK(sysctl_persist_path(path, sizeof(path), dir, "wg0") == 0);

	/* An older file is replaced whole; the umask does not matter. */
	f = fopen(path, "w");
	if (f) {
		fputs("old old old old old old old old old old old old old old old old\n", f);
		fclose(f);
	}
	snprintf(old, sizeof(old), "%s", path);
	mask = umask(077);
	CHECK(sysctls_persist(dir, &p, &errbuf) == 0);
	umask(mask);
	CHECK(stat(path, &st) == 0);
	CHECK((st.st_mode & 07777) == 0644);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (f) {
		len = fread(text, 1, sizeof(text) - 1, f);
		text[len] = '\0';
		fclose(f);
		CHECK(len == strlen(site_file));
		CHECK_STR(text, site_file);
	}
	/* No temporary file is left behind. */
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", dir);
		f = popen(cmd, "r");
		if (f) {
			CHECK(fscanf(f, "%d", &entries) == 1);
			pclose(f);
		}
		CHECK(entries == 1);
	}

	/* An interface name sysctl.d cannot hold. */
	p = make_plan(SYSCTLS_ROLE_SITE, true, false, false, "a=b", "");
	CHECK(sysctls_persist(dir, &p, &errbuf) == -EINVAL);
	CHECK(strstr(errbuf.msg, "90-rampart-a=b.conf: the interface name \"a=b\" has a '='") != NULL);

	/* A directory that does not exist. */
	p = make_plan(SYSCTLS_ROLE_SITE, true, false, false, "wg0", "");
	snprintf(path, sizeof(path), "%s/nothing", root);
	CHECK(sysctls_persist(path, &p, &errbuf) == -ENOENT);
	CHECK(strstr(errbuf.msg, "/nothing: creating a temporary file: ") != NULL);

	CHECK(sysctl_unpersist(dir, "wg0", &errbuf) == 0);
	CHECK(stat(old, &st) == -1 && errno == ENOENT);
	CHECK(sysctl_unpersist(dir, "wg0", &errbuf) == 0);
	CHECK(sysctl_unpersist(dir, "../x", &errbuf) == -EINVAL);
	tree_remove();
}

/* --- the real kernel ------------------------------------------------------------- */

/* In a new network namespace (when the test may make one): every key of
 * the plans exists per namespace, and restoring IPv4 forwarding keeps an
 * administrator's all.accept_redirects = 0, which the kernel itself
 * would turn to 1 (shown first, as the negative control). */
static void netns_child(void)
{
	struct sysctls_plan p = make_plan(SYSCTLS_ROLE_HUB, true, true, false, "lo", "");
	struct sysctls_plan site = make_plan(SYSCTLS_ROLE_SITE, true, true, true, "lo", "");
	struct sysctls_applied done;
	struct sysctls_report before, r;
	const char *proc = SYSCTL_PROC_ROOT;
	char v[SYSCTL_VALUE_MAX];

	/* The kernel's side effect, without us in between. */
	CHECK(sysctl_write(proc, "net.ipv4.conf.all.accept_redirects", "0", &errbuf) == 0);
	CHECK(sysctl_write(proc, "net.ipv4.ip_forward", "0", &errbuf) == 0);
	CHECK(sysctl_write(proc, "net.ipv4.ip_forward", "1", &errbuf) == 0);
	CHECK(sysctl_write(proc, "net.ipv4.ip_forward", "0", &errbuf) == 0);
	CHECK(sysctl_read(proc, "net.ipv4.conf.all.accept_redirects", v, &errbuf) == 0);
	CHECK_STR(v, "1");

	/* Now through apply and restore. */
	CHECK(sysctl_write(proc, "net.ipv4.conf.all.accept_redirects", "0", &errbuf) == 0);
	CHECK(sysctls_report(proc, &p, &before, &errbuf) == 0);
	for (size_t i = 0; i < before.n; i++)
		CHECK_MSG(before.c[i].status != SYSCTLS_MISSING, "%s missing",
			  before.c[i].setting->key);
	CHECK(sysctls_apply(proc, &p, &done, &errbuf) == 0);
	CHECK(done.n > 0);
	CHECK_STR(done.c[0].key, "net.ipv4.ip_forward");
	CHECK(sysctls_report(proc, &p, &r, &errbuf) == 0);
	CHECK(sysctls_report_ok(&r));
	CHECK(sysctls_restore(proc, &done, &errbuf) == 0);
	for (size_t i = 0; i < done.n; i++)
		CHECK_MSG(done.c[i].undo == SYSCTLS_UNDO_RESTORED, "%s", done.c[i].key);
	CHECK(sysctls_report(proc, &p, &r, &errbuf) == 0);
	for (size_t i = 0; i < r.n; i++)
		CHECK_STR(r.c[i].actual, before.c[i].actual);
	CHECK(sysctl_read(proc, "net.ipv4.conf.all.accept_redirects", v, &errbuf) == 0);
	CHECK_STR(v, "0");

	/* The site's loose filter exists and applies too. */
	CHECK(sysctls_apply(proc, &site, &done, &errbuf) == 0);
	CHECK(sysctls_report(proc, &site, &r, &errbuf) == 0);
	CHECK(sysctls_report_ok(&r));
	CHECK(sysctls_restore(proc, &done, &errbuf) == 0);
}

static void test_kernel_netns(void)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		harness_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(77);
		netns_child();
		_exit(harness_failures ? 1 : 0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
		printf("# test_kernel_netns: no network namespace (not root?): skipped\n");
		return;
	}
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
}

static const struct harness_case cases[] = {
	{ "plan_hub", test_plan_hub },
	{ "plan_hub_ipv4_only", test_plan_hub_ipv4_only },
	{ "plan_client", test_plan_client },
	{ "plan_client_full_tunnel", test_plan_client_full_tunnel },
	{ "plan_site", test_plan_site },
	{ "plan_errors", test_plan_errors },
	{ "apply_restore", test_apply_restore },
	{ "apply_missing_key", test_apply_missing_key },
	{ "apply_read_only_key", test_apply_read_only_key },
	{ "apply_without_ipv6", test_apply_without_ipv6 },
	{ "apply_recorded", test_apply_recorded },
	{ "report", test_report },
	{ "record_parse", test_record_parse },
	{ "render", test_render },
	{ "persist", test_persist },
	{ "kernel_netns", test_kernel_netns },
};

HARNESS_MAIN(cases)
