#include "fileio.h"

#include "textbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fileio_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int fileio_read_bounded(int fd, size_t max, char **out, size_t *len)
{
	struct textbuf t = { 0 };

	textbuf_append(&t, "", 0); /* an empty file is an empty string */
	while (!t.err && t.len <= max) {
		size_t want = max + 1 - t.len;
		ssize_t r;

		if (want > 65536)
			want = 65536;
		if (!textbuf_reserve(&t, want))
			break;
		r = read(fd, t.buf + t.len, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			textbuf_fail(&t, -errno);
			break;
		}
		if (!r)
			break;
		t.len += (size_t)r;
		t.buf[t.len] = '\0';
	}
	if (t.err) {
		int err = t.err;
		textbuf_wipe(&t);
		return err;
	}
	*out = t.buf;
	*len = t.len;
	return 0;
}

int fileio_write_atomic(int dirfd, const char *name, const void *text, size_t len,
			unsigned mode)
{
	static unsigned counter;
	char tmp[PATH_MAX];
	int fd, ret = 0;

	do {
		if (snprintf(tmp, sizeof(tmp), ".%s.%ld.%u.tmp", name, (long)getpid(),
			     counter++) >= (int)sizeof(tmp))
			return -ENAMETOOLONG;
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	} while (fd < 0 && errno == EEXIST && counter < 100);
	if (fd < 0)
		return -errno;
	/* The umask may have taken bits away; make the mode exact. */
	if (fchmod(fd, (mode_t)mode) < 0)
		ret = -errno;
	if (!ret)
		ret = fileio_write_all(fd, text, len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && renameat(dirfd, tmp, dirfd, name) < 0)
		ret = -errno;
	if (ret)
		unlinkat(dirfd, tmp, 0);
	else
		fsync(dirfd);
	return ret;
}

/* Digits then '.', from s: what follows, or NULL. */
static const char *digits_dot(const char *s)
{
	const char *p = s;

	while (*p >= '0' && *p <= '9')
		p++;
	return p > s && *p == '.' ? p + 1 : NULL;
}

/* s is "PID.N.tmp". */
static bool is_temporary_suffix(const char *s)
{
	const char *p = digits_dot(s);

	p = p ? digits_dot(p) : NULL;
	return p && !strcmp(p, "tmp");
}

/* entry is ".NAME.PID.N.tmp", as fileio_write_atomic() names them: for
 * this name, or (name NULL) for any non-empty one. */
static bool is_temporary(const char *entry, const char *name)
{
	if (entry[0] != '.')
		return false;
	if (name) {
		size_t n = strlen(name);

		return !strncmp(entry + 1, name, n) && entry[n + 1] == '.' &&
		       is_temporary_suffix(entry + n + 2);
	}
	for (const char *dot = strchr(entry + 2, '.'); dot; dot = strchr(dot + 1, '.'))
		if (is_temporary_suffix(dot + 1))
			return true;
	return false;
}

int fileio_remove_temporaries(int dirfd, const char *name)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	struct dirent *e;
	DIR *dir;

	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		int ret = -errno;

		close(fd);
		return ret;
	}
	while ((e = readdir(dir)))
		if (is_temporary(e->d_name, name) && unlinkat(dirfd, e->d_name, 0) == 0)
			n++;
	closedir(dir);
	return n;
}
