/* The audit's facts under a root: one directory descriptor, and every
 * path opened relative to it with openat(2). */
#include "facts.h"

#include "audit/ruleset.h"
#include "common/fileio.h"
#include "common/textbuf.h"
#include "uapi/device.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* One daemon asked for: its device, or NULL when none runs. */
struct device_fact {
	char name[16];
	struct uapi_device *dev;
};

enum { GAPS_MAX = 32, GAP_STRLEN = 320 };

struct audit_facts {
	int rootfd;
	char *root;
	struct audit_sources src;
	bool ruleset_asked;
	struct audit_ruleset *ruleset;
	struct device_fact *devices;
	size_t n_devices;
	char *gaps[GAPS_MAX];
	size_t n_gaps;
	/* The caller's settings, with audit_options()'s defaults filled in. */
	struct audit_options opt;
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
	f->root = strdup(root);
	f->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (f->rootfd < 0 || !f->root) {
		error_fail(err, f->root ? -errno : -ENOMEM, "%s: %s", root,
			   f->root ? strerror(errno) : "out of memory");
		if (f->rootfd >= 0)
			close(f->rootfd);
		free(f->root);
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
	audit_ruleset_free(f->ruleset);
	for (size_t i = 0; i < f->n_devices; i++)
		uapi_device_free(f->devices[i].dev);
	free(f->devices);
	for (size_t i = 0; i < f->n_gaps; i++)
		free(f->gaps[i]);
	free(f->root);
	free(f);
}

const char *audit_root(const struct audit_facts *f)
{
	return f->root;
}

void audit_facts_set_sources(struct audit_facts *f, const struct audit_sources *s)
{
	f->src = *s;
}

/* A fact a check wanted and could not have; kept once, at most GAPS_MAX. */
static void note_gap(struct audit_facts *f, const char *what, const struct error *why)
{
	char buf[GAP_STRLEN], msg[ERROR_STRLEN];

	snprintf(buf, sizeof(buf), "%s: %s", what, error_format(why, msg, sizeof(msg)));
	for (size_t i = 0; i < f->n_gaps; i++)
		if (!strcmp(f->gaps[i], buf))
			return;
	if (f->n_gaps < GAPS_MAX && (f->gaps[f->n_gaps] = strdup(buf)))
		f->n_gaps++;
}

int audit_table_drift(struct audit_facts *f, const char *ifname, const struct conf *conf,
		      const char *filename, struct drift_list *out, struct error *err)
{
	struct error why = { 0 };
	char what[64];
	int ret;

	if (!f->src.table_drift)
		return 0;
	ret = f->src.table_drift(f->src.arg, ifname, conf, filename, out, &why);
	if (ret == -ENOMEM)
		return error_fail(err, ret, "out of memory");
	if (ret) {
		snprintf(what, sizeof(what), "table inet rampart-%s against its config", ifname);
		note_gap(f, what, &why);
	}
	return 0;
}

size_t audit_facts_gaps(const struct audit_facts *f, const char *const **gaps)
{
	*gaps = (const char *const *)f->gaps;
	return f->n_gaps;
}

int audit_ruleset(struct audit_facts *f, const struct audit_ruleset **rs, struct error *err)
{
	struct textbuf t = { 0 };
	struct error why = { 0 };
	int ret;

	*rs = f->ruleset;
	if (f->ruleset_asked || !f->src.ruleset)
		return 0;
	f->ruleset_asked = true;
	ret = f->src.ruleset(f->src.arg, &t, &why);
	if (ret) {
		textbuf_wipe(&t);
		if (ret == -ENOMEM)
			return error_fail(err, ret, "out of memory");
		if (ret != -ENOENT)
			note_gap(f, "the nftables ruleset", &why);
		return 0;
	}
	ret = audit_ruleset_parse(t.buf ? t.buf : "", t.len, &f->ruleset, err);
	textbuf_wipe(&t);
	*rs = f->ruleset;
	return ret;
}

int audit_device(struct audit_facts *f, const char *ifname, const struct uapi_device **dev,
		 struct error *err)
{
	struct device_fact *v, *d;
	struct error why = { 0 };
	char what[64];
	int ret;

	*dev = NULL;
	for (size_t i = 0; i < f->n_devices; i++) {
		if (!strcmp(f->devices[i].name, ifname)) {
			*dev = f->devices[i].dev;
			return 0;
		}
	}
	if (!f->src.device)
		return 0;
	v = realloc(f->devices, (f->n_devices + 1) * sizeof(*v));
	if (!v)
		return error_fail(err, -ENOMEM, "out of memory");
	f->devices = v;
	d = &v[f->n_devices++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", ifname);
	ret = f->src.device(f->src.arg, ifname, &d->dev, &why);
	if (ret) {
		d->dev = NULL;
		if (ret == -ENOMEM)
			return error_fail(err, ret, "out of memory");
		if (ret != -ENOENT) {
			snprintf(what, sizeof(what), "the %s daemon", ifname);
			note_gap(f, what, &why);
		}
		return 0;
	}
	*dev = d->dev;
	return 0;
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

void audit_facts_set_options(struct audit_facts *f, const struct audit_options *o)
{
	f->opt = *o;
}

const struct audit_options *audit_options(struct audit_facts *f)
{
	/* Read once, so that every check of one run sees the same instant. */
	if (!f->opt.now)
		f->opt.now = (int64_t)time(NULL);
	if (!f->opt.stale_days)
		f->opt.stale_days = AUDIT_STALE_DAYS_DEFAULT;
	return &f->opt;
}

void audit_facts_note_gap(struct audit_facts *f, const char *what, const struct error *why)
{
	note_gap(f, what, why);
}

int audit_readlink(struct audit_facts *f, const char *path, char *buf, size_t size,
		   struct error *err)
{
	ssize_t n = readlinkat(f->rootfd, rel(path), buf, size);

	if (n < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	if ((size_t)n >= size)
		return error_fail(err, -ENAMETOOLONG, "%s: link target too long", path);
	buf[n] = '\0';
	return 0;
}
