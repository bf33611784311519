/* The read-only view of the file system (confine.h), with
 * mount_setattr(2) (Linux 5.12), which changes a whole tree of mounts in
 * one call. */
#define _GNU_SOURCE
#include "confine.h"

#include "common/error.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* The check: a directory cannot be made anywhere but under writable.
 * mkdirat on the root directory fails with EROFS on a read-only mount
 * before it looks at permissions or the name. */
static int check_readonly(struct error *err)
{
	if (!mkdir("/.rampart-confine-check", 0700)) {
		rmdir("/.rampart-confine-check");
		return error_fail(err, -EPERM, "/ is still writable after the confinement");
	}
	if (errno != EROFS)
		return error_fail(err, -EPERM, "/ after the confinement: %s, not read-only",
				  strerror(errno));
	return 0;
}

int confine_mounts(const char *writable, struct error *err)
{
	struct mount_attr ro = {
		.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	};
	struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY };

	if (writable[0] != '/')
		return error_fail(err, -EINVAL, "%s is not an absolute path", writable);
	if (unshare(CLONE_NEWNS))
		return error_fail(err, -errno, "unshare(CLONE_NEWNS): %s", strerror(errno));
	/* Slaves first, or the bind mount below would propagate to the
	 * host's namespace. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		return error_fail(err, -errno, "making / a slave mount: %s", strerror(errno));
	if (mount(writable, writable, NULL, MS_BIND, NULL))
		return error_fail(err, -errno, "bind mounting %s: %s", writable, strerror(errno));
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)))
		return error_fail(err, -errno, "making every mount read-only: %s", strerror(errno));
	if (mount_setattr(AT_FDCWD, writable, 0, &rw, sizeof(rw)))
		return error_fail(err, -errno, "making %s writable again: %s", writable,
				  strerror(errno));
	return check_readonly(err);
}
