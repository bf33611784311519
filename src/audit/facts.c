/* The audit's facts under a root: one directory descriptor, and every
 * path opened relative to it with openat(2). */
#include "facts.h"

#include "common/fileio.h"
#include "common/textbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct audit_facts {
	int rootfd;
};

struct audit_facts *audit_facts_open(const char *root, struct error *err)
{
	struct audit_facts *f;

	if (!root || !*root)
		root = "/";
	f = calloc(1, sizeof(*f));
	if (!f) {
		error_fail(err, -ENOMEM, "out of memory");
		return NULL;
	}
	f->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->rootfd < 0) {
		error_fail(err, -errno, "%s: %s", root, strerror(errno));
		free(f);
		return NULL;
	}
	return f;
}

void audit_facts_close(struct audit_facts *f)
{
	if (!f)
		return;
	close(f->rootfd);
	free(f);
}

/* The path relative to the root: "." for "/". */
static const char *rel(const char *path)
{
	while (*path == '/')
		path++;
	return *path ? path : ".";
}

int audit_stat(struct audit_facts *f, const char *path, struct stat *st,
	       struct error *err)
{
	if (fstatat(f->rootfd, rel(path), st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int audit_read(struct audit_facts *f, const char *path, char **buf, size_t *len,
	       struct error *err)
{
	int fd = openat(f->rootfd, rel(path), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	ret = fileio_read_bounded(fd, AUDIT_READ_MAX, buf, len);
	close(fd);
	if (ret == 0 && *len > AUDIT_READ_MAX) {
		textbuf_free_text(*buf, *len);
		*buf = NULL;
		ret = -EFBIG;
	}
	if (ret)
		return error_fail(err, ret, "%s: %s", path, strerror(-ret));
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void audit_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int audit_list_dir(struct audit_facts *f, const char *path, char ***names,
		   size_t *n, struct error *err)
{
	int fd = openat(f->rootfd, rel(path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nv = realloc(v, ncap * sizeof(*v));

			if (!nv)
				goto nomem;
			v = nv;
			cap = ncap;
		}
		v[cnt] = strdup(de->d_name);
		if (!v[cnt])
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_names);
	*names = v;
	*n = cnt;
	return 0;
nomem:
	closedir(d);
	audit_names_free(v, cnt);
	return error_fail(err, -ENOMEM, "out of memory");
}
