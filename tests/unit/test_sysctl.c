/* Kernel settings as files (src/sys/sysctl.c): key paths, and reading and
 * writing keys in a small fake /proc/sys in a temporary directory (a
 * missing key, a multi-field value, a value too long, an invalid key), and
 * numbers (nf_conntrack_count's kind). */
#define _GNU_SOURCE
#include "harness.h"

#include "sys/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static struct error errbuf;

static void test_key_path(void)
{
	char buf[128];

	CHECK(sysctl_key_path(buf, sizeof(buf), "/proc/sys", "net.ipv4.ip_forward") == 0);
	CHECK_STR(buf, "/proc/sys/net/ipv4/ip_forward");
	CHECK(sysctl_key_path(buf, sizeof(buf), "/t", "net.ipv4.conf.eth0/100.rp_filter") == 0);
	CHECK_STR(buf, "/t/net/ipv4/conf/eth0.100/rp_filter");
	/* Nothing that could leave the root. */
	static const char *const bad[] = {
		"", ".", "net..ipv4", "net.", ".net", "net./.x", "net.//.x", "net.ipv4 x",
		"net.\n.x",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CHECK_MSG(sysctl_key_path(buf, sizeof(buf), "/t", bad[i]) == -EINVAL, "%zu", i);
	CHECK(sysctl_key_path(buf, sizeof(buf), "/t", "net.///.x") == 0);
	CHECK_STR(buf, "/t/net/.../x");
	CHECK(sysctl_key_path(buf, 16, "/proc/sys", "net.ipv4.ip_forward") == -ENAMETOOLONG);
}

/* --- a fake /proc/sys: ROOT/net/ipv4 and the keys put there ----------------------- */

static char root[256];
static const char *const made[] = { "net.ipv4.ip_forward", "net.ipv4.tcp_rmem",
				    "net.ipv4.long", "net.ipv4.big", "net.ipv4.neg" };

/* A key made by hand, not through sysctl_write (which creates nothing). */
static void put(const char *key, const char *value)
{
	char path[512];
	int fd;

	CHECK(sysctl_key_path(path, sizeof(path), root, key) == 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK_MSG(fd >= 0, "%s: %s", path, strerror(errno));
	if (fd >= 0)
		CHECK(dprintf(fd, "%s\n", value) > 0 && close(fd) == 0);
}

static void tree_create(void)
{
	const char *tmpdir = getenv("TMPDIR");
	char dir[512];

	snprintf(root, sizeof(root), "%s/rampart-sysctl.XXXXXX", tmpdir ? tmpdir : "/tmp");
	CHECK(mkdtemp(root) != NULL);
	snprintf(dir, sizeof(dir), "%s/net", root);
	CHECK(mkdir(dir, 0755) == 0);
	snprintf(dir, sizeof(dir), "%s/net/ipv4", root);
	CHECK(mkdir(dir, 0755) == 0);
	put("net.ipv4.ip_forward", "0");
}

static void tree_remove(void)
{
	char path[512];

	for (size_t i = 0; i < ARRAY_SIZE(made); i++)
		if (!sysctl_key_path(path, sizeof(path), root, made[i]))
			unlink(path);
	snprintf(path, sizeof(path), "%s/net/ipv4", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/net", root);
	rmdir(path);
	CHECK(rmdir(root) == 0);
}

static void test_read_write(void)
{
	char value[SYSCTL_VALUE_MAX];
	char path[512];
	FILE *f;

	tree_create();
	CHECK(sysctl_read(root, "net.ipv4.ip_forward", value, &errbuf) == 0);
	CHECK_STR(value, "0");
	CHECK(sysctl_write(root, "net.ipv4.ip_forward", "1", &errbuf) == 0);
	CHECK(sysctl_read(root, "net.ipv4.ip_forward", value, &errbuf) == 0);
	CHECK_STR(value, "1");

	/* Missing: the message names the key and the path. */
	CHECK(sysctl_read(root, "net.ipv4.nothing", value, &errbuf) == -ENOENT);
	CHECK(strstr(errbuf.msg, "net.ipv4.nothing: ") == errbuf.msg);
	CHECK(strstr(errbuf.msg, "/net/ipv4/nothing: No such file or directory") != NULL);
	CHECK(sysctl_write(root, "net.ipv4.nothing", "1", &errbuf) == -ENOENT);
	CHECK(sysctl_read(root, "net.ipv4.nothing", value, &errbuf) == -ENOENT);

	/* Multi-field values keep their inner tabs; too long is refused. */
	put("net.ipv4.tcp_rmem", "4096\t131072\t6291456");
	CHECK(sysctl_read(root, "net.ipv4.tcp_rmem", value, &errbuf) == 0);
	CHECK_STR(value, "4096\t131072\t6291456");
	CHECK(sysctl_key_path(path, sizeof(path), root, "net.ipv4.long") == 0);
	f = fopen(path, "w");
	if (f) {
		for (int i = 0; i < SYSCTL_VALUE_MAX; i++)
			fputc('x', f);
		fputc('\n', f);
		fclose(f);
	}
	CHECK(sysctl_read(root, "net.ipv4.long", value, &errbuf) == -EOVERFLOW);
	CHECK(strstr(errbuf.msg, "net.ipv4.long: ") == errbuf.msg);
	CHECK(sysctl_read(root, "net..x", value, &errbuf) == -EINVAL);
	CHECK_STR(errbuf.msg, "invalid sysctl key \"net..x\"");
	tree_remove();
}

static void test_read_u64(void)
{
	uint64_t v = 7;

	tree_create();
	put("net.ipv4.big", "18446744073709551615");
	CHECK(sysctl_read_u64(root, "net.ipv4.big", &v, &errbuf) == 0);
	CHECK(v == UINT64_MAX);
	CHECK(sysctl_read_u64(root, "net.ipv4.ip_forward", &v, &errbuf) == 0 && v == 0);
	/* Absent (the module not loaded): -ENOENT, which callers take as no
	 * sample. */
	v = 7;
	CHECK(sysctl_read_u64(root, "net.ipv4.nothing", &v, &errbuf) == -ENOENT && v == 0);
	/* Not one number: two fields, a sign, too large. */
	static const char *const bad[] = { "4096\t131072", "-1", "+1", "18446744073709551616", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		put("net.ipv4.neg", bad[i]);
		v = 7;
		CHECK_MSG(sysctl_read_u64(root, "net.ipv4.neg", &v, &errbuf) == -EINVAL && v == 0,
			  "\"%s\"", bad[i]);
	}
	CHECK(strstr(errbuf.msg, "net.ipv4.neg: ") == errbuf.msg);
	tree_remove();
}

static void test_exists(void)
{
	tree_create();
	CHECK(sysctl_exists(root, "net.ipv4"));
	CHECK(sysctl_exists(root, "net.ipv4.ip_forward"));
	CHECK(!sysctl_exists(root, "net.ipv6"));
	CHECK(!sysctl_exists(root, "net..ipv4"));
	tree_remove();
}

static const struct harness_case cases[] = {
	{ "key_path", test_key_path },
	{ "read_write", test_read_write },
	{ "exists", test_exists },
	{ "read_u64", test_read_u64 },
};

HARNESS_MAIN(cases)
