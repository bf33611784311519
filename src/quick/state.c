/* /run/rampart/IFNAME.state and its lock: the record of what up did,
 * which down (and rollback) undoes.  Kept apart from up and down because
 * both trust it only after the same ownership checks. */
#include "updown_int.h"

#include "sys/hostfile.h"
#include "quick.h"

#include "conf/config.h"
#include "common/fileio.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static void state_name(const struct updown_ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s.state", c->ifname);
}

/* /run/rampart: created 0700, must belong to us and be writable by no one
 * else, since its files decide what down deletes. */
static int state_dir_open(struct updown_ctx *c)
{
	struct stat st;

	if (mkdir(STATE_DIR, 0700) < 0 && errno != EEXIST)
		return updown_fail(c, -errno, "cannot create %s: %s", STATE_DIR, strerror(errno));
	c->dirfd = open(STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dirfd < 0)
		return updown_fail(c, -errno, "cannot open %s: %s", STATE_DIR, strerror(errno));
	if (fstat(c->dirfd, &st) < 0)
		return updown_fail(c, -errno, "%s: %s", STATE_DIR, strerror(errno));
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return updown_fail(c, -EPERM, "%s must belong to uid %u and be writable by no one "
				   "else; refusing to trust it", STATE_DIR, (unsigned)geteuid());
	return 0;
}

/* The temporaries of IFNAME.state that a writer killed before its rename
 * left.  Only a holder of the interface's lock writes them, so once we
 * hold it every one is stale. */
static void remove_stale_temporaries(struct updown_ctx *c)
{
	char name[CONF_IFNAME_MAX + 16];
	int n;

	snprintf(name, sizeof(name), "%s.state", c->ifname);
	n = fileio_remove_temporaries(c->dirfd, name);
	if (n > 0)
		updown_warn(c, "removed %d temporary file%s of %s/%s, left by an up or down "
			    "that was killed", n, n == 1 ? "" : "s", STATE_DIR, name);
}

/* One up or down per interface at a time: an flock on IFNAME.lock, held
 * until the end.  Per interface, so that a hook may bring up another
 * one.  The file is removed with the state file; a locker that finds it
 * was removed (or replaced) while it waited starts again. */
int updown_lock(struct updown_ctx *c)
{
	char name[CONF_IFNAME_MAX + 16];
	struct stat a, b;
	int ret = state_dir_open(c);

	if (ret)
		return ret;
	snprintf(name, sizeof(name), "%s.lock", c->ifname);
	for (;;) {
		c->lockfd = openat(c->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (c->lockfd < 0)
			return updown_fail(c, -errno, "%s/%s: %s", STATE_DIR, name,
					   strerror(errno));
		while (flock(c->lockfd, LOCK_EX) < 0) {
			if (errno != EINTR)
				return updown_fail(c, -errno, "cannot lock %s/%s: %s", STATE_DIR,
						   name, strerror(errno));
		}
		if (!fstat(c->lockfd, &a) && !fstatat(c->dirfd, name, &b, AT_SYMLINK_NOFOLLOW) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			remove_stale_temporaries(c);
			return 0;
		}
		close(c->lockfd);
		c->lockfd = -1;
	}
}

/* 1 and *st filled in if there is a state file, 0 if there is none. */
int updown_state_load(struct updown_ctx *c, struct quick_state *st)
{
	char name[CONF_IFNAME_MAX + 16];
	struct error err;
	struct textbuf t = { 0 };
	struct stat sb;
	int fd, ret;

	state_name(c, name, sizeof(name));
	fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return updown_fail(c, -errno, "%s/%s: %s", STATE_DIR, name, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 022)) {
		close(fd);
		return updown_fail(c, -EPERM, "%s/%s is not a regular file, or not owned by uid "
				   "%u, or writable by others; refusing to act on it", STATE_DIR,
				   name, (unsigned)geteuid());
	}
	ret = hostfile_read_fd(fd, QUICK_STATE_FILE_MAX, &t);
	close(fd);
	if (!ret)
		ret = t.err;
	if (ret) {
		textbuf_wipe(&t);
		return updown_fail(c, ret, "%s/%s: %s", STATE_DIR, name, strerror(-ret));
	}
	ret = quick_state_parse(t.buf, t.len, st, &err);
	textbuf_wipe(&t);
	if (ret)
		return updown_fail(c, ret, "%s/%s: %s", STATE_DIR, name,
				   err.msg[0] ? err.msg : strerror(-ret));
	if (strcmp(st->ifname, c->ifname)) {
		quick_state_uninit(st);
		return updown_fail(c, -EINVAL, "%s/%s is about interface `%s', not `%s'", STATE_DIR,
				   name, st->ifname, c->ifname);
	}
	return 1;
}

int updown_state_save(struct updown_ctx *c)
{
	char name[CONF_IFNAME_MAX + 16];
	size_t len;
	char *text = quick_state_format(&c->st, &len);
	int ret;

	state_name(c, name, sizeof(name));
	if (!text)
		return updown_fail(c, -errno, "cannot record the state in %s/%s: %s", STATE_DIR,
				   name, strerror(errno));
	ret = fileio_write_atomic(c->dirfd, name, text, len, 0600);
	textbuf_free_text(text, len);
	if (ret)
		return updown_fail(c, ret, "cannot record the state in %s/%s: %s", STATE_DIR, name,
				   strerror(-ret));
	return 0;
}

void updown_state_remove(struct updown_ctx *c)
{
	char name[CONF_IFNAME_MAX + 16];

	state_name(c, name, sizeof(name));
	if (unlinkat(c->dirfd, name, 0) < 0 && errno != ENOENT)
		updown_warn(c, "cannot remove %s/%s: %s", STATE_DIR, name, strerror(errno));
}

/* Releases the lock; the lock file goes too (while still held) when
 * there is no state file beside it, so that nothing of an interface that
 * is down stays in /run/rampart. */
void updown_unlock(struct updown_ctx *c)
{
	char name[CONF_IFNAME_MAX + 16];
	struct stat st;

	if (c->lockfd < 0)
		return;
	state_name(c, name, sizeof(name));
	if (fstatat(c->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT) {
		snprintf(name, sizeof(name), "%s.lock", c->ifname);
		unlinkat(c->dirfd, name, 0);
	}
	close(c->lockfd);
	c->lockfd = -1;
}
