/* The privilege drop (privdrop.h), with the raw capget(2) interface. */
#define _GNU_SOURCE
#include "privdrop.h"

#include "common/error.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's last capability, which may be past our headers' one. */
static int last_cap(void)
{
	int cap = CAP_LAST_CAP;

	while (prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0)
		cap++;
	return cap;
}

/* Every set is empty: effective, permitted, inheritable (capget), the
 * bounding set and the ambient set (prctl).  -EPERM names the set. */
static int check_no_caps(struct error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	int top = last_cap();

	if (syscall(SYS_capget, &hdr, data))
		return error_fail(err, -errno, "capget: %s", strerror(errno));
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return error_fail(err, -EPERM, "capabilities left after the drop "
				"(effective %#x, permitted %#x, inheritable %#x)",
				data[i].effective, data[i].permitted, data[i].inheritable);
	for (int cap = 0; cap <= top; cap++) {
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0)
			return error_fail(err, -EPERM, "capability %d left in the bounding set", cap);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
			return error_fail(err, -EPERM, "capability %d left in the ambient set", cap);
	}
	return 0;
}

static int check_ids(uid_t uid, gid_t gid, struct error *err)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg))
		return error_fail(err, -errno, "getresuid: %s", strerror(errno));
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return error_fail(err, -EPERM, "ids after the drop are uid %u/%u/%u gid %u/%u/%u, "
				  "not %u and %u", ru, eu, su, rg, eg, sg, uid, gid);
	/* The test that matters: there is no way back. */
	if (!setuid(0) || !seteuid(0))
		return error_fail(err, -EPERM, "setuid(0) still succeeds after the drop");
	return 0;
}

/* The bounding set, then the ambient set.  Only the capabilities still
 * in the bounding set are dropped: dropping one needs CAP_SETPCAP, which
 * a process already started with a narrow set (a systemd unit) may hold
 * for this alone. */
static int drop_bounding_ambient(struct error *err)
{
	int top = last_cap();

	for (int cap = 0; cap <= top; cap++)
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return error_fail(err, -errno, "dropping capability %d from the bounding set: %s",
					  cap, strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return error_fail(err, -errno, "clearing the ambient capabilities: %s", strerror(errno));
	return 0;
}

int privdrop_caps(struct error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { 0 };
	int ret;

	if (!getuid() || !geteuid() || !getgid() || !getegid())
		return error_fail(err, -EPERM, "started as uid %u gid %u: an ordinary user's ids "
				  "are needed", geteuid(), getegid());
	ret = drop_bounding_ambient(err);
	if (ret)
		return ret;
	if (syscall(SYS_capset, &hdr, none))
		return error_fail(err, -errno, "capset: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return error_fail(err, -errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	ret = check_ids(getuid(), getgid(), err);
	if (!ret)
		ret = check_no_caps(err);
	return ret;
}

int privdrop_to(uid_t uid, gid_t gid, const gid_t *groups, size_t n, struct error *err)
{
	int ret;

	if (!uid)
		return error_fail(err, -EINVAL, "will not drop to uid 0");
	/* The bounding set first: emptying it needs CAP_SETPCAP, which the
	 * uid change takes away. */
	ret = drop_bounding_ambient(err);
	if (ret)
		return ret;
	if (setgroups(n, n ? groups : NULL))
		return error_fail(err, -errno, "setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid))
		return error_fail(err, -errno, "setresgid(%u): %s", gid, strerror(errno));
	/* Without SECBIT_KEEP_CAPS, leaving uid 0 for good empties the
	 * permitted and effective sets. */
	if (setresuid(uid, uid, uid))
		return error_fail(err, -errno, "setresuid(%u): %s", uid, strerror(errno));
	{
		/* The inheritable set survives the uid change: empty it,
		 * and the others again for good measure. */
		struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
		struct __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = { 0 };

		if (syscall(SYS_capset, &hdr, none))
			return error_fail(err, -errno, "capset: %s", strerror(errno));
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return error_fail(err, -errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	ret = check_ids(uid, gid, err);
	if (!ret)
		ret = check_no_caps(err);
	return ret;
}
