/* src/sys/privdrop.c, in a forked child (the drop cannot be undone):
 * uid 0 is refused; as root, the drop to nobody with one supplementary
 * group leaves exactly those ids and groups, no capability in any set,
 * no_new_privs, and no way back to uid 0.  Without root there is nothing
 * to drop: the case says so on a "#" line, as test_sysctls' netns case. */
#define _GNU_SOURCE
#include "harness.h"

#include "common/error.h"
#include "sys/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { NOBODY = 65534, GROUP = 4711, NOT_ROOT = 77 };

static void test_refuses_root(void)
{
	struct error err = { 0 };

	CHECK(privdrop_to(0, 0, NULL, 0, &err) == -EINVAL);
	CHECK_STR(err.msg, "will not drop to uid 0");
}

static void child(void)
{
	const gid_t groups[] = { GROUP };
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	struct error err = { 0 };
	gid_t got[4];
	uid_t ru, eu, su;

	CHECK_MSG(privdrop_to(NOBODY, NOBODY, groups, 1, &err) == 0, "%s", err.msg);
	CHECK(getresuid(&ru, &eu, &su) == 0 && ru == NOBODY && eu == NOBODY && su == NOBODY);
	CHECK(getgid() == NOBODY && getegid() == NOBODY);
	CHECK(getgroups(4, got) == 1 && got[0] == GROUP);
	CHECK(syscall(SYS_capget, &hdr, data) == 0);
	CHECK(!data[0].effective && !data[0].permitted && !data[0].inheritable);
	CHECK(!data[1].effective && !data[1].permitted && !data[1].inheritable);
	CHECK(prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) == 0);
	CHECK(prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0) == 0);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	CHECK(setuid(0) == -1 && errno == EPERM);
	CHECK(setgroups(0, NULL) == -1 && errno == EPERM);
}

static void test_drop(void)
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
		child();
		_exit(harness_failures ? 1 : 0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	if (WIFEXITED(status) && WEXITSTATUS(status) == NOT_ROOT) {
		printf("# test_drop: not root: nothing to drop\n");
		return;
	}
	CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child failed");
}

static const struct harness_case cases[] = {
	{ "uid 0 is refused", test_refuses_root },
	{ "as root: ids, groups, every capability set empty, no way back", test_drop },
};

HARNESS_MAIN(cases)
