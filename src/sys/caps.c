/* Keeping only some capabilities (caps.h), with the raw capget(2) and
 * capset(2) interface: libcap is not worth a dependency for two calls. */
#define _GNU_SOURCE
#include "caps.h"

#include "common/error.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What exec and setuid may never do for this process again: give uid 0
 * its capabilities back, or raise an ambient one.  Locked, so that even
 * a process that regained CAP_SETPCAP could not clear them. */
#define LOCKED_SECUREBITS                                                                   \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |                    \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |                     \
	 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

/* The kernel's last capability, which may be past our headers' one; at
 * most 63, the width of a mask. */
static int top_cap(void)
{
	int cap = CAP_LAST_CAP;

	while (cap < 63 && prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0)
		cap++;
	return cap;
}

static uint64_t join(uint32_t lo, uint32_t hi)
{
	return (uint64_t)hi << 32 | lo;
}

int caps_check(uint64_t keep, struct error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	uint64_t eff, prm, inh, bnd = 0, amb = 0;
	int top = top_cap();

	if (syscall(SYS_capget, &hdr, data))
		return error_fail(err, -errno, "capget: %s", strerror(errno));
	eff = join(data[0].effective, data[1].effective);
	prm = join(data[0].permitted, data[1].permitted);
	inh = join(data[0].inheritable, data[1].inheritable);
	for (int cap = 0; cap <= top; cap++) {
		int b = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
		int a = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0);

		if (b < 0 || a < 0)
			return error_fail(err, -errno, "reading capability %d: %s", cap,
					  strerror(errno));
		bnd |= b ? CAPS_BIT(cap) : 0;
		amb |= a ? CAPS_BIT(cap) : 0;
	}
	if (eff != keep || prm != keep || bnd != keep || inh || amb)
		return error_fail(err, -EPERM, "capabilities after the drop: effective %#llx, "
				  "permitted %#llx, bounding %#llx, inheritable %#llx, ambient "
				  "%#llx; wanted %#llx and no others", (unsigned long long)eff,
				  (unsigned long long)prm, (unsigned long long)bnd,
				  (unsigned long long)inh, (unsigned long long)amb,
				  (unsigned long long)keep);
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return error_fail(err, -EPERM, "no_new_privs is not set after the drop");
	if ((prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) & LOCKED_SECUREBITS) != LOCKED_SECUREBITS)
		return error_fail(err, -EPERM, "the securebits are not locked after the drop");
	return 0;
}

int caps_keep(uint64_t keep, struct error *err)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	int top = top_cap();

	/* The bounding set and the securebits first: both need
	 * CAP_SETPCAP, which the capset below takes away. */
	for (int cap = 0; cap <= top; cap++)
		if (!(keep & CAPS_BIT(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return error_fail(err, -errno, "dropping capability %d from the bounding "
					  "set: %s", cap, strerror(errno));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		return error_fail(err, -errno, "clearing the ambient capabilities: %s",
				  strerror(errno));
	if (prctl(PR_SET_SECUREBITS, LOCKED_SECUREBITS, 0, 0, 0))
		return error_fail(err, -errno, "locking the securebits: %s", strerror(errno));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data))
		return error_fail(err, -errno, "capset: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return error_fail(err, -errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	return caps_check(keep, err);
}
