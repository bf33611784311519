/* Kernel settings as files under a root directory, and sysctl.d files. */
#include "sysctl.h"

#include "common/error.h"
#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool sysctl_valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > SYSCTL_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s <= ' ' || *s > '~' || *s == '/' || *s == ':')
			return false;
	return true;
}

bool sysctl_valid_key(const char *key)
{
	size_t len = 0;
	bool only_slashes = true;

	if (!*key || strlen(key) >= SYSCTL_KEY_MAX)
		return false;
	for (const char *s = key;; s++) {
		if (!*s || *s == '.') {
			if (!len || (only_slashes && len <= 2))
				return false;
			if (!*s)
				return true;
			len = 0;
			only_slashes = true;
			continue;
		}
		if (*s <= ' ' || *s > '~')
			return false;
		if (*s != '/')
			only_slashes = false;
		len++;
	}
}

int sysctl_key_path(char *buf, size_t size, const char *root, const char *key)
{
	size_t rlen = strlen(root), klen = strlen(key);

	if (!sysctl_valid_key(key))
		return -EINVAL;
	if (rlen + 1 + klen + 1 > size)
		return -ENAMETOOLONG;
	memcpy(buf, root, rlen);
	buf[rlen] = '/';
	for (size_t i = 0; i < klen; i++)
		buf[rlen + 1 + i] = key[i] == '.' ? '/' : key[i] == '/' ? '.' : key[i];
	buf[rlen + 1 + klen] = '\0';
	return 0;
}

static int path_of(char *buf, size_t size, const char *root, const char *key,
		   struct error *err)
{
	int ret = sysctl_key_path(buf, size, root, key);

	if (ret == -EINVAL)
		return error_fail(err, ret, "invalid sysctl key \"%s\"", key);
	if (ret)
		return error_fail(err, ret, "%s: path too long under %s", key, root);
	return 0;
}

bool sysctl_exists(const char *root, const char *key)
{
	char path[4096];

	return !sysctl_key_path(path, sizeof(path), root, key) && !access(path, F_OK);
}

int sysctl_read(const char *root, const char *key, char value[SYSCTL_VALUE_MAX],
		struct error *err)
{
	char path[4096], buf[SYSCTL_VALUE_MAX + 1];
	size_t len = 0;
	int fd, ret;

	value[0] = '\0';
	ret = path_of(path, sizeof(path), root, key, err);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return error_fail(err, -errno, "%s: %s: %s", key, path, strerror(errno));
	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ret = -errno;
			close(fd);
			return error_fail(err, ret, "%s: %s: %s", key, path, strerror(-ret));
		}
		if (!r)
			break;
		len += (size_t)r;
		if (len == sizeof(buf))
			break;
	}
	close(fd);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	if (len >= SYSCTL_VALUE_MAX)
		return error_fail(err, -EOVERFLOW, "%s: %s: value longer than %d bytes", key,
			    path, SYSCTL_VALUE_MAX - 1);
	memcpy(value, buf, len);
	value[len] = '\0';
	return 0;
}

int sysctl_read_u64(const char *root, const char *key, uint64_t *value, struct error *err)
{
	char buf[SYSCTL_VALUE_MAX], *end;
	int ret;

	*value = 0;
	ret = sysctl_read(root, key, buf, err);
	if (ret)
		return ret;
	errno = 0;
	if (buf[0] >= '0' && buf[0] <= '9')
		*value = strtoull(buf, &end, 10);
	if (buf[0] < '0' || buf[0] > '9' || errno || *end) {
		*value = 0;
		return error_fail(err, -EINVAL, "%s: \"%s\" is not a number", key, buf);
	}
	return 0;
}

int sysctl_write(const char *root, const char *key, const char *value,
		 struct error *err)
{
	char path[4096], line[SYSCTL_VALUE_MAX + 1];
	int fd, ret;

	ret = path_of(path, sizeof(path), root, key, err);
	if (ret)
		return ret;
	if (snprintf(line, sizeof(line), "%s\n", value) >= (int)sizeof(line))
		return error_fail(err, -EOVERFLOW, "%s: value too long", key);
	/* No O_CREAT: a key that does not exist is an error, as in
	 * /proc/sys.  O_TRUNC is what a shell's "echo 1 >" does; /proc/sys
	 * takes it, and a plain file in the tests needs it. */
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return error_fail(err, -errno, "%s: %s: %s", key, path, strerror(errno));
	ret = fileio_write_all(fd, line, strlen(line));
	if (close(fd) && !ret)
		ret = -errno;
	if (ret)
		return error_fail(err, ret, "%s: writing %s to %s: %s", key, value, path,
			    strerror(-ret));
	return 0;
}

/* --- sysctl.d files ------------------------------------------------------------ */

int sysctl_persist_path(char *buf, size_t size, const char *dir, const char *ifname)
{
	int n = snprintf(buf, size, "%s/90-rampart-%s.conf", dir, ifname);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* dir/90-rampart-IFNAME.conf for a name that may be in a file name. */
static int persist_path_of(char *buf, size_t size, const char *dir, const char *ifname,
			   struct error *err)
{
	if (!sysctl_valid_ifname(ifname))
		return error_fail(err, -EINVAL, "invalid interface name \"%s\"", ifname);
	if (sysctl_persist_path(buf, size, dir, ifname))
		return error_fail(err, -ENAMETOOLONG, "%s: path too long", dir);
	return 0;
}

int sysctl_persist(const char *dir, const char *ifname, const char *text, size_t len,
		   struct error *err)
{
	char path[4096];
	int dfd, ret;

	ret = persist_path_of(path, sizeof(path), dir, ifname, err);
	if (ret)
		return ret;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_fail(err, -errno, "%s: creating a temporary file: %s", dir,
				   strerror(errno));
	/* The temporary name does not end in .conf: never read as a
	 * settings file if we die before the rename. */
	ret = fileio_write_atomic(dfd, strrchr(path, '/') + 1, text, len, 0644);
	if (ret)
		error_fail(err, ret, "%s: %s", path, strerror(-ret));
	close(dfd);
	return ret;
}

int sysctl_unpersist(const char *dir, const char *ifname, struct error *err)
{
	char path[4096];
	int ret = persist_path_of(path, sizeof(path), dir, ifname, err);

	if (ret)
		return ret;
	if (unlink(path) && errno != ENOENT)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}
