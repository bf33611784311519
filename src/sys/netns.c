/* Network namespaces by name (netns.h). */
#define _GNU_SOURCE
#include "netns.h"

#include "common/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

bool netns_valid_name(const char *name)
{
	size_t n = strlen(name);

	return n && n < NAME_MAX && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/');
}

/* A file bound to a network namespace, and not something else that
 * happens to be there. */
static int checked(int fd, const char *path, struct error *err)
{
	int type = ioctl(fd, NS_GET_NSTYPE);

	if (type != CLONE_NEWNET) {
		int ret = type < 0 ? -errno : -EINVAL;

		close(fd);
		return error_fail(err, ret, "%s is not a network namespace", path);
	}
	return fd;
}

int netns_open(const char *name, struct error *err)
{
	char path[sizeof(NETNS_RUN_DIR) + NAME_MAX + 1];
	int fd;

	if (!netns_valid_name(name))
		return error_fail(err, -EINVAL, "`%s' cannot name a network namespace", name);
	snprintf(path, sizeof(path), "%s/%s", NETNS_RUN_DIR, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return error_fail(err, -ENOENT, "no such network namespace `%s' (%s does not "
				  "exist; `ip netns add %s' makes it)", name, path, name);
	if (fd < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	return checked(fd, path, err);
}

int netns_open_self(struct error *err)
{
	int fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return error_fail(err, -errno, "/proc/self/ns/net: %s", strerror(errno));
	return fd;
}

int netns_enter(int fd, const char *what, struct error *err)
{
	if (setns(fd, CLONE_NEWNET) < 0)
		return error_fail(err, -errno, "cannot enter the network namespace %s: %s", what,
				  strerror(errno));
	return 0;
}
