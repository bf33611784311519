/* The safe apply's state files (firewall.h says what each one is): the
 * directory FIREWALL_STATE_DIR/IF.fw and its lock, the pending record of
 * an open confirm window, and the outcome of the last window. */
#include "fwdir.h"

#include "common/error.h"
#include "common/fileio.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FW_PENDING_MAGIC "rampart-firewall-pending 1"
#define FW_RESTORE_MARK "restore:\n"

/* CLOCK_BOOTTIME: keeps counting while the machine is suspended, so a
 * window does not stretch over a suspend. */
uint64_t fwdir_boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* --- state files ------------------------------------------------------------ */


void fwdir_init(struct fwdir *d)
{
	memset(d, 0, sizeof(*d));
	d->dirfd = d->lockfd = -1;
}

void fwdir_close(struct fwdir *d)
{
	if (d->lockfd >= 0)
		close(d->lockfd);
	if (d->dirfd >= 0)
		close(d->dirfd);
	d->lockfd = d->dirfd = -1;
}

/* A state directory: ours and writable by no one else (group and other
 * may not even read ours: mask 077; /run/rampart, shared with up/down,
 * is held to up/down's rule: 022). */
static int check_dir(int fd, const char *path, mode_t mask, struct error *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & mask))
		return error_fail(err, -EPERM,
			    "%s must be a directory of uid %u that no one else can write; refusing "
			    "to trust it", path, (unsigned)geteuid());
	return 0;
}

/* Opens FIREWALL_STATE_DIR/IF.fw, creating it (0700) if create; -ENOENT
 * (err untouched) if it is not there and !create. */
int fwdir_open(struct fwdir *d, const char *ifname, bool create, struct error *err)
{
	char name[CONF_IFNAME_MAX + 8];
	int top, ret;

	fwdir_init(d);
	if (firewall_table_name(d->table, ifname))
		return error_fail(err, -EINVAL, "\"%s\" is not an interface name Rampart can "
			    "make a firewall table for", ifname);
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	snprintf(name, sizeof(name), "%s.fw", ifname);
	snprintf(d->path, sizeof(d->path), FIREWALL_STATE_DIR "/%s", name);

	if (create && mkdir(FIREWALL_STATE_DIR, 0700) < 0 && errno != EEXIST)
		return error_fail(err, -errno, "cannot create %s: %s", FIREWALL_STATE_DIR,
			    strerror(errno));
	top = open(FIREWALL_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0 && errno == ENOENT && !create)
		return -ENOENT;
	if (top < 0)
		return error_fail(err, -errno, "%s: %s", FIREWALL_STATE_DIR, strerror(errno));
	ret = check_dir(top, FIREWALL_STATE_DIR, 022, err);
	if (ret)
		goto out;
	if (create && mkdirat(top, name, 0700) < 0 && errno != EEXIST) {
		ret = error_fail(err, -errno, "cannot create %s: %s", d->path, strerror(errno));
		goto out;
	}
	d->dirfd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dirfd < 0) {
		ret = errno == ENOENT && !create ? -ENOENT :
		      error_fail(err, -errno, "%s: %s", d->path, strerror(errno));
		goto out;
	}
	/* mkdir's mode went through the umask: make it exactly 0700. */
	if (create)
		fchmod(d->dirfd, 0700);
	ret = check_dir(d->dirfd, d->path, 077, err);
	if (ret)
		fwdir_close(d);
out:
	close(top);
	return ret;
}

/* Every change under one flock.  Only firewall_forget (rampart down)
 * removes the lock file, with the directory, while holding it; a locker
 * that was waiting then holds a lock nobody else will see, so it checks
 * that the file it locked is still the one at the path: -ESTALE if not
 * (open the directory again). */
int fwdir_lock(struct fwdir *d, struct error *err)
{
	struct stat a, b;

	d->lockfd = openat(d->dirfd, FW_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d->lockfd < 0 && errno == ENOENT)
		goto stale; /* the directory itself is gone */
	if (d->lockfd < 0)
		return error_fail(err, -errno, "%s/" FW_LOCK ": %s", d->path, strerror(errno));
	while (flock(d->lockfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;

			close(d->lockfd);
			d->lockfd = -1;
			return error_fail(err, -e, "cannot lock %s/" FW_LOCK ": %s", d->path,
				    strerror(e));
		}
	}
	if (!fstat(d->lockfd, &a) && !fstatat(d->dirfd, FW_LOCK, &b, AT_SYMLINK_NOFOLLOW) &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 0;
	close(d->lockfd);
	d->lockfd = -1;
stale:
	return error_fail(err, -ESTALE, "%s was removed meanwhile (rampart down?)", d->path);
}

void fwdir_unlock(struct fwdir *d)
{
	if (d->lockfd >= 0)
		close(d->lockfd);
	d->lockfd = -1;
}

/* Opens (creating it if create) and locks IF's state: 1 locked, 0 there
 * is none (!create), -errno. */
int fwdir_open_locked(struct fwdir *d, const char *ifname, bool create, struct error *err)
{
	int ret = -ESTALE;

	for (int tries = 0; tries < 5 && ret == -ESTALE; tries++) {
		ret = fwdir_open(d, ifname, create, err);
		if (ret == -ENOENT && !create)
			return 0;
		if (!ret)
			ret = fwdir_lock(d, err);
		if (ret == -ESTALE)
			fwdir_close(d);
	}
	return ret ? ret : 1;
}

/* A whole state file: -ENOENT if absent, -EPERM if not ours or writable
 * by others.  Free *text with textbuf_free_text(*text, *len). */
int fwdir_read_file(int dirfd, const char *name, char **text, size_t *len)
{
	struct stat st;
	int fd, ret;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022)) {
		close(fd);
		return -EPERM;
	}
	ret = fileio_read_bounded(fd, FIREWALL_FILE_MAX, text, len);
	close(fd);
	if (!ret && *len > FIREWALL_FILE_MAX) {
		textbuf_free_text(*text, *len);
		*text = NULL;
		ret = -EFBIG;
	}
	return ret;
}

/* --- the pending record and the outcome --------------------------------------- */


void fwdir_pending_free(struct fwdir_pending *p)
{
	textbuf_free_text(p->text, p->len);
	memset(p, 0, sizeof(*p));
}

/* Decimal digits only, at most max: what the writers print and nothing
 * else (strtoull would take spaces and a sign, and wrap a negative). */
static bool number(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (d > 9 || d > max || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool signed_number(const char *s, long long *out)
{
	unsigned long long v;

	if (*s == '-') {
		if (!number(s + 1, (unsigned long long)LLONG_MAX + 1, &v))
			return false;
		*out = v ? -(long long)(v - 1) - 1 : 0;
		return true;
	}
	if (!number(s, LLONG_MAX, &v))
		return false;
	*out = (long long)v;
	return true;
}

int fwdir_pending_format(struct textbuf *t, const struct fwdir_pending *p, const char *restore)
{
	textbuf_printf(t, FW_PENDING_MAGIC "\nid %s\ndeadline %llu\nwindow %u\napplied %lld\n"
		       "guard %ld\n" FW_RESTORE_MARK "%s", p->id, (unsigned long long)p->deadline,
		       p->secs, p->applied, p->guard, restore);
	return t->err;
}

int fwdir_pending_write(struct fwdir *d, const struct fwdir_pending *p, const char *restore)
{
	struct textbuf t = { 0 };
	int ret = fwdir_pending_format(&t, p, restore);

	if (!ret)
		ret = fileio_write_atomic(d->dirfd, FW_PENDING, t.buf, t.len, 0600);
	textbuf_wipe(&t);
	return ret;
}

/* One header line of a pending record into p; *seen gains its bit. */
static bool pending_line(const char *line, struct fwdir_pending *p, int *seen)
{
	unsigned long long v;

	if (!strncmp(line, "id ", 3) && strlen(line + 3) < sizeof(p->id) && line[3]) {
		strcpy(p->id, line + 3);
		*seen |= 1;
	} else if (!strncmp(line, "deadline ", 9) && number(line + 9, UINT64_MAX, &v)) {
		p->deadline = v;
		*seen |= 2;
	} else if (!strncmp(line, "window ", 7) && number(line + 7, UINT_MAX, &v)) {
		p->secs = (unsigned)v;
		*seen |= 4;
	} else if (!strncmp(line, "applied ", 8) && signed_number(line + 8, &p->applied)) {
		/* optional, for `show` */
	} else if (!strncmp(line, "guard ", 6) && number(line + 6, INT_MAX, &v)) {
		p->guard = (long)v; /* a pid; optional, for `show` */
	} else {
		return false;
	}
	return true;
}

/* The record in text (len bytes and a NUL after them), which p takes
 * whatever the outcome. */
static int pending_parse_owned(char *text, size_t len, struct fwdir_pending *p)
{
	char *line, *next, *mark;
	int seen = 0;

	memset(p, 0, sizeof(*p));
	p->text = text;
	p->len = len;
	/* A NUL would end the restore batch early: firewall_run and the
	 * snapshot's write take it as a C string. */
	if (memchr(text, '\0', len))
		goto bad;
	mark = strstr(p->text, "\n" FW_RESTORE_MARK);
	if (strncmp(p->text, FW_PENDING_MAGIC "\n", strlen(FW_PENDING_MAGIC) + 1) || !mark)
		goto bad;
	p->restore = mark + 1 + strlen(FW_RESTORE_MARK);
	mark[1] = '\0';
	for (line = p->text + strlen(FW_PENDING_MAGIC) + 1; *line; line = next) {
		next = strchr(line, '\n');
		if (!next)
			goto bad;
		*next++ = '\0';
		if (!pending_line(line, p, &seen))
			goto bad;
	}
	if (seen != 7)
		goto bad;
	return 0;
bad:
	fwdir_pending_free(p);
	return -EBADMSG;
}

int fwdir_pending_parse(const char *buf, size_t len, struct fwdir_pending *p)
{
	char *text = malloc(len + 1);

	memset(p, 0, sizeof(*p));
	if (!text)
		return -ENOMEM;
	memcpy(text, buf, len);
	text[len] = '\0';
	return pending_parse_owned(text, len, p);
}

int fwdir_pending_read(int dirfd, struct fwdir_pending *p)
{
	char *text;
	size_t len;
	int ret;

	memset(p, 0, sizeof(*p));
	ret = fwdir_read_file(dirfd, FW_PENDING, &text, &len);
	return ret ? ret : pending_parse_owned(text, len, p);
}

/* Whether the pending record is there and is window id (no lock: the
 * file is replaced whole). */
bool fwdir_pending_is(int dirfd, const char *id)
{
	struct fwdir_pending p;
	bool same;

	if (fwdir_pending_read(dirfd, &p))
		return false;
	same = !strcmp(p.id, id);
	fwdir_pending_free(&p);
	return same;
}

const char *const fwdir_outcome_words[] = { "kept", "rolled-back", "flushed", "failed" };

int fwdir_outcome_format(struct textbuf *t, const char *id, enum fwdir_outcome o,
			 const char *reason)
{
	size_t n = strnlen(reason, FWDIR_REASON_STRLEN - 1);

	textbuf_printf(t, "id %s\nresult %s\nreason ", id, fwdir_outcome_words[o]);
	/* One line, and no longer than a reader keeps. */
	for (size_t i = 0; i < n; i++)
		textbuf_append(t, reason[i] == '\n' ? " " : reason + i, 1);
	textbuf_append(t, "\n", 1);
	return t->err;
}

void fwdir_outcome_write(struct fwdir *d, const char *id, enum fwdir_outcome o, const char *reason)
{
	struct textbuf t = { 0 };

	if (!fwdir_outcome_format(&t, id, o, reason))
		if (fileio_write_atomic(d->dirfd, FW_OUTCOME, t.buf, t.len, 0600)) {
			/* best effort: the outcome only informs a waiting command */
		}
	textbuf_wipe(&t);
}

/* One line of an outcome (n bytes at l) into r; *have gains its bits. */
static void outcome_line(const char *l, size_t n, struct fwdir_outcome_record *r, int *have)
{
	if (n > 3 && !strncmp(l, "id ", 3)) {
		if (n - 3 < sizeof(r->id)) {
			memcpy(r->id, l + 3, n - 3);
			r->id[n - 3] = '\0';
			*have |= 1;
		} else {
			*have &= ~1; /* no window has such an id */
		}
	} else if (n > 7 && !strncmp(l, "result ", 7)) {
		for (size_t i = 0; i < ARRAY_SIZE(fwdir_outcome_words); i++) {
			if (n - 7 == strlen(fwdir_outcome_words[i]) &&
			    !strncmp(l + 7, fwdir_outcome_words[i], n - 7)) {
				r->outcome = (enum fwdir_outcome)i;
				*have |= 2;
			}
		}
	} else if (n > 7 && !strncmp(l, "reason ", 7)) {
		snprintf(r->reason, sizeof(r->reason), "%.*s", (int)(n - 7), l + 7);
	}
}

int fwdir_outcome_parse(const char *buf, size_t len, struct fwdir_outcome_record *r)
{
	int have = 0;

	memset(r, 0, sizeof(*r));
	if (memchr(buf, '\0', len))
		return -EBADMSG;
	for (size_t at = 0; at < len;) {
		const char *l = buf + at, *nl = memchr(l, '\n', len - at);
		size_t n = nl ? (size_t)(nl - l) : len - at;

		outcome_line(l, n, r, &have);
		at += n + 1;
	}
	if (have != 3) {
		memset(r, 0, sizeof(*r));
		return -EBADMSG;
	}
	return 0;
}

/* The outcome of window id: 0 and *o, *reason; -ENOENT if the file is
 * absent or about another window. */
int fwdir_outcome_read(int dirfd, const char *id, enum fwdir_outcome *o, char *reason, size_t rlen)
{
	struct fwdir_outcome_record r;
	char *text;
	size_t len;
	int ret;

	ret = fwdir_read_file(dirfd, FW_OUTCOME, &text, &len);
	if (ret)
		return ret;
	ret = fwdir_outcome_parse(text, len, &r);
	textbuf_free_text(text, len);
	if (ret || (id && strcmp(r.id, id)))
		return -ENOENT;
	*o = r.outcome;
	snprintf(reason, rlen, "%s", r.reason);
	return 0;
}
