/* src/sys/caps.c and src/sys/confine.c, each in a forked child (neither
 * can be undone).  caps: before the drop caps_check sees the full set
 * (the control); after caps_keep(CAP_NET_ADMIN), capget and prctl show
 * exactly that capability in the effective, permitted and bounding
 * sets, nothing inheritable or ambient, no_new_privs and the locked
 * securebits, and CAP_SYS_ADMIN cannot be raised again.  confine: a
 * directory outside the writable one can be made before (the control)
 * and not after (EROFS), inside it can.  Without root there is nothing
 * to drop: the cases say so on a "#" line, as test_privdrop's. */
#define _GNU_SOURCE
#include "harness.h"

#include "common/error.h"
#include "sys/caps.h"
#include "sys/confine.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { NOT_ROOT = 77 };

/* Runs fn in a child as root; the child's CHECKs count through its exit
 * status. */
static void in_child(const char *name, void (*fn)(void))
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
		if (geteuid())
			_exit(NOT_ROOT);
		fn();
		_exit(harness_failures ? 1 : 0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == NOT_ROOT) {
		printf("# %s: not root: nothing to drop\n", name);
		return;
	}
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
}

static void keep_child(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	const uint64_t keep = CAPS_BIT(CAP_NET_ADMIN);
	struct error err = { 0 };

	/* The control: root holds more than CAP_NET_ADMIN. */
	CHECK(caps_check(keep, &err) == -EPERM);
	CHECK(strstr(err.msg, "capabilities after the drop") != NULL);
	CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 1);

	CHECK_MSG(caps_keep(keep, &err) == 0, "%s", err.msg);
	CHECK(syscall(SYS_capget, &hdr, data) == 0);
	CHECK(data[0].effective == keep && data[0].permitted == keep && !data[0].inheritable);
	CHECK(!data[1].effective && !data[1].permitted && !data[1].inheritable);
	CHECK(prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) == 1);
	CHECK(prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) == 0);
	CHECK(prctl(PR_CAPBSET_READ, CAP_DAC_OVERRIDE, 0, 0, 0) == 0);
	CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_ADMIN, 0, 0) == 0);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	CHECK(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) & SECBIT_NOROOT_LOCKED);
	CHECK(getuid() == 0 && geteuid() == 0);
	/* No way back: raising CAP_SYS_ADMIN again is refused. */
	data[0].effective = data[0].permitted = (uint32_t)(keep | CAPS_BIT(CAP_SYS_ADMIN));
	CHECK(syscall(SYS_capset, &hdr, data) == -1 && errno == EPERM);
	CHECK(caps_check(keep, &err) == 0);
	/* And a check for another set says how it differs. */
	CHECK(caps_check(0, &err) == -EPERM);
	CHECK(strstr(err.msg, "effective 0x1000") != NULL);
}

static void test_keep(void)
{
	in_child("test_keep", keep_child);
}

static char base[64];

static void confine_child(void)
{
	char rw[96], other[96], probe[128];
	struct error err = { 0 };

	snprintf(rw, sizeof(rw), "%s/rw", base);
	snprintf(other, sizeof(other), "%s/other", base);
	CHECK(mkdir(rw, 0700) == 0);
	/* The control: before, a directory can be made beside rw. */
	CHECK(mkdir(other, 0700) == 0);
	CHECK(rmdir(other) == 0);

	CHECK_MSG(confine_mounts(rw, &err) == 0, "%s", err.msg);
	CHECK(mkdir(other, 0700) == -1 && errno == EROFS);
	snprintf(probe, sizeof(probe), "%s/probe", rw);
	CHECK(mkdir(probe, 0700) == 0);
	CHECK(rmdir(probe) == 0);
	CHECK(confine_mounts("relative", &err) == -EINVAL);
}

static void test_confine(void)
{
	char rw[96];

	snprintf(base, sizeof(base), "/tmp/rampart-test-confine.XXXXXX");
	if (!mkdtemp(base)) {
		harness_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
		return;
	}
	in_child("test_confine", confine_child);
	snprintf(rw, sizeof(rw), "%s/rw", base);
	rmdir(rw);
	/* The host's namespace was not touched: base is still writable. */
	CHECK(mkdir(rw, 0700) == 0 && rmdir(rw) == 0);
	CHECK(rmdir(base) == 0);
}

static const struct harness_case cases[] = {
	{ "as root: caps_keep leaves CAP_NET_ADMIN alone in every set, for good", test_keep },
	{ "as root: confine_mounts leaves one directory writable", test_confine },
};

HARNESS_MAIN(cases)
