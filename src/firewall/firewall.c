/* memfd_create, pipe2, close_range */
#define _GNU_SOURCE
#include "firewall.h"


#include "conf/config.h"
#include "sys/nftables.h"
#include "common/errbuf.h"
#include "common/fileio.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define FW_LOCK "lock"
#define FW_SNAPSHOT "snapshot.nft"
#define FW_PENDING "pending"
#define FW_OUTCOME "outcome"
#define FW_PENDING_MAGIC "rampart-firewall-pending 1"
#define FW_RESTORE_MARK "restore:\n"

enum {
	NS_PER_SEC = 1000000000,
	NS_PER_MS = 1000000,
	ID_STRLEN = 48,
	REASON_STRLEN = 256,
};


/* CLOCK_BOOTTIME: keeps counting while the machine is suspended, so a
 * window does not stretch over a suspend. */
static uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* --- names ----------------------------------------------------------------- */

bool firewall_valid_ifname(const char *ifname)
{
	if (!conf_valid_ifname(ifname) || !strcmp(ifname, "panic"))
		return false;
	return !strpbrk(ifname, "=+");
}

int firewall_table_name(char buf[FIREWALL_TABLE_STRLEN], const char *ifname)
{
	if (!firewall_valid_ifname(ifname))
		return -EINVAL;
	snprintf(buf, FIREWALL_TABLE_STRLEN, FIREWALL_TABLE_PREFIX "%s", ifname);
	return 0;
}

/* A table name we are willing to splice into a command: what nft 1.0.6
 * reads as an unquoted identifier, conservatively. */
static bool valid_table_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= FIREWALL_TABLE_STRLEN + 16)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_'))
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.-", *s)))
			return false;
	}
	return true;
}

/* --- talking to nftables ---------------------------------------------------- */

int firewall_check(const char *batch, char *err, size_t errlen)
{
	return nftables_exec(batch, true, 0, NULL, 0, err, errlen);
}

int firewall_run(const char *batch, char *err, size_t errlen)
{
	return nftables_exec(batch, false, 0, NULL, 0, err, errlen);
}

/* Whether `list` (nft's "list tables" output) has "table FAMILY NAME". */
static bool has_table_line(const char *list, const char *family, const char *name)
{
	size_t fl = strlen(family), nl = strlen(name);

	for (const char *l = list; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		size_t len = strcspn(l, "\n");

		while (len && strchr(" \t\r", l[len - 1]))
			len--;
		if (len == 6 + fl + 1 + nl && !strncmp(l, "table ", 6) &&
		    !strncmp(l + 6, family, fl) && l[6 + fl] == ' ' &&
		    !strncmp(l + 7 + fl, name, nl))
			return true;
	}
	return false;
}

int firewall_list_table(const char *name, bool stateless, struct textbuf *out, bool *exists,
			char *err, size_t errlen)
{
	char cmd[128], first[FIREWALL_ERROR_STRLEN];
	struct textbuf tables = { 0 };
	int ret;

	*exists = false;
	if (!valid_table_name(name))
		return errbuf_fail(err, errlen, -EINVAL, "\"%s\" is not a table name", name);
	snprintf(cmd, sizeof(cmd), "list table inet %s\n", name);
	ret = nftables_exec(cmd, false, stateless ? NFTABLES_OUTPUT_STATELESS : 0, out, 0, first,
		       sizeof(first));
	if (!ret) {
		*exists = true;
		return 0;
	}
	/* nft says "No such file or directory" for a missing table, and for
	 * other things too: ask for the list of tables to be sure. */
	if (nftables_exec("list tables inet\n", false, 0, &tables, 0, err, errlen) == 0 &&
	    !has_table_line(tables.buf, "inet", name)) {
		textbuf_wipe(&tables);
		return 0;
	}
	textbuf_wipe(&tables);
	return errbuf_fail(err, errlen, ret, "%s", first);
}

int firewall_list_ruleset(struct textbuf *out, char *err, size_t errlen)
{
	return nftables_exec("list ruleset\n", false, 0, out, 0, err, errlen);
}

/* --- the batch stays in our table -------------------------------------------- */

static bool is_family(const char *w)
{
	static const char *const f[] = { "ip", "ip6", "inet", "arp", "bridge", "netdev" };

	for (size_t i = 0; i < ARRAY_SIZE(f); i++)
		if (!strcmp(w, f[i]))
			return true;
	return false;
}

/* One top-level statement's leading words (w[0..n)); line is where it
 * starts.  0 if it stays in table inet `table`. */
static int check_statement(char w[][32], size_t n, unsigned line, const char *table, char *err,
			   size_t errlen)
{
	static const char *const verbs[] = { "add", "create", "delete", "destroy", "flush",
					     "insert", "replace", "reset" };
	static const char *const objects[] = { "table", "chain", "rule", "set", "map",
					       "element", "counter", "quota", "limit",
					       "flowtable", "secmark", "synproxy" };
	size_t at = 0;
	bool verb = false, obj = false;

	if (!n || !strcmp(w[0], "define") || !strcmp(w[0], "redefine") ||
	    !strcmp(w[0], "undefine"))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++)
		if (!strcmp(w[0], verbs[i]))
			verb = true;
	if (verb) {
		at = 1;
		if (n > 1 && !strcmp(w[1], "ct"))
			at = 2; /* "add ct helper|timeout|expectation inet T NAME" */
		if (n > at) {
			for (size_t i = 0; i < ARRAY_SIZE(objects); i++)
				if (!strcmp(w[at], objects[i]))
					obj = true;
			if (at == 2)
				obj = !strcmp(w[2], "helper") || !strcmp(w[2], "timeout") ||
				      !strcmp(w[2], "expectation");
		}
		at++;
	} else if (!strcmp(w[0], "table")) {
		obj = true;
		at = 1;
	}
	if (obj && n > at + 1 && !strcmp(w[at], "inet") && !strcmp(w[at + 1], table))
		return 0;
	if (obj && n > at + 1 && is_family(w[at]))
		return errbuf_fail(err, errlen, -EINVAL,
			    "line %u: \"%s %s\" is not table inet %s; a Rampart batch touches no "
			    "other table", line, w[at], w[at + 1], table);
	if (obj)
		return errbuf_fail(err, errlen, -EINVAL,
			    "line %u: \"%s%s%s\" names no family: write \"inet %s\" (a Rampart "
			    "batch touches no other table)", line, w[0], at > 1 ? " " : "",
			    at > 1 ? w[at - 1] : "", table);
	return errbuf_fail(err, errlen, -EINVAL,
		    "line %u: \"%s%s%s\" is not confined to table inet %s; a Rampart batch "
		    "touches no other table", line, w[0], n > 1 ? " " : "", n > 1 ? w[1] : "", table);
}

/* Every top-level statement (ended by a newline or ';' outside braces;
 * quoted strings and comments skipped) must name table inet `table`. */
int firewall_check_scope(const char *batch, const char *table, char *err, size_t errlen)
{
	char w[6][32];
	size_t n = 0;
	unsigned line = 1, start = 1;
	int depth = 0, ret;
	bool words = true; /* before the statement's first brace or string */
	const char *p = batch;

	for (;;) {
		char c = *p;

		if (c == '#') {
			p += strcspn(p, "\n");
			continue;
		}
		if (c == '"') {
			size_t len = strcspn(p + 1, "\"\n");

			if (p[1 + len] != '"')
				return errbuf_fail(err, errlen, -EINVAL, "line %u: unterminated string", line);
			p += len + 2;
			words = false;
			continue;
		}
		if (c == '{' || c == '}') {
			if (c == '}' && !depth)
				return errbuf_fail(err, errlen, -EINVAL, "line %u: unbalanced '}'", line);
			depth += c == '{' ? 1 : -1;
			words = false;
			p++;
			continue;
		}
		if (!c || ((c == '\n' || c == ';') && !depth)) {
			if (n) {
				ret = check_statement(w, n, start, table, err, errlen);
				if (ret)
					return ret;
			}
			n = 0;
			words = true;
			if (!c)
				break;
		}
		if (c == '\n')
			line++;
		if (strchr(" \t\r\n;", c)) {
			p++;
			continue;
		}
		size_t len = strcspn(p, " \t\r\n;{}\"#");

		if (!depth && words) {
			if (!n)
				start = line;
			if (n < ARRAY_SIZE(w))
				snprintf(w[n++], sizeof(w[0]), "%.*s", (int)len, p);
		}
		p += len;
	}
	if (depth)
		return errbuf_fail(err, errlen, -EINVAL, "unbalanced '{': the batch ends inside a block");
	return 0;
}

/* --- state files ------------------------------------------------------------ */

struct fwdir {
	int dirfd;
	int lockfd;
	char ifname[CONF_IFNAME_MAX + 1];
	char table[FIREWALL_TABLE_STRLEN];
	char path[64]; /* FIREWALL_STATE_DIR/IF.fw */
};

static void fwdir_init(struct fwdir *d)
{
	memset(d, 0, sizeof(*d));
	d->dirfd = d->lockfd = -1;
}

static void fwdir_close(struct fwdir *d)
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
static int check_dir(int fd, const char *path, mode_t mask, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return errbuf_fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & mask))
		return errbuf_fail(err, errlen, -EPERM,
			    "%s must be a directory of uid %u that no one else can write; refusing "
			    "to trust it", path, (unsigned)geteuid());
	return 0;
}

/* Opens FIREWALL_STATE_DIR/IF.fw, creating it (0700) if create; -ENOENT
 * (err untouched) if it is not there and !create. */
static int fwdir_open(struct fwdir *d, const char *ifname, bool create, char *err,
		      size_t errlen)
{
	char name[CONF_IFNAME_MAX + 8];
	int top, ret;

	fwdir_init(d);
	if (firewall_table_name(d->table, ifname))
		return errbuf_fail(err, errlen, -EINVAL, "\"%s\" is not an interface name Rampart can "
			    "make a firewall table for", ifname);
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	snprintf(name, sizeof(name), "%s.fw", ifname);
	snprintf(d->path, sizeof(d->path), FIREWALL_STATE_DIR "/%s", name);

	if (create && mkdir(FIREWALL_STATE_DIR, 0700) < 0 && errno != EEXIST)
		return errbuf_fail(err, errlen, -errno, "cannot create %s: %s", FIREWALL_STATE_DIR,
			    strerror(errno));
	top = open(FIREWALL_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0 && errno == ENOENT && !create)
		return -ENOENT;
	if (top < 0)
		return errbuf_fail(err, errlen, -errno, "%s: %s", FIREWALL_STATE_DIR, strerror(errno));
	ret = check_dir(top, FIREWALL_STATE_DIR, 022, err, errlen);
	if (ret)
		goto out;
	if (create && mkdirat(top, name, 0700) < 0 && errno != EEXIST) {
		ret = errbuf_fail(err, errlen, -errno, "cannot create %s: %s", d->path, strerror(errno));
		goto out;
	}
	d->dirfd = openat(top, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d->dirfd < 0) {
		ret = errno == ENOENT && !create ? -ENOENT :
		      errbuf_fail(err, errlen, -errno, "%s: %s", d->path, strerror(errno));
		goto out;
	}
	/* mkdir's mode went through the umask: make it exactly 0700. */
	if (create)
		fchmod(d->dirfd, 0700);
	ret = check_dir(d->dirfd, d->path, 077, err, errlen);
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
static int fwdir_lock(struct fwdir *d, char *err, size_t errlen)
{
	struct stat a, b;

	d->lockfd = openat(d->dirfd, FW_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (d->lockfd < 0 && errno == ENOENT)
		goto stale; /* the directory itself is gone */
	if (d->lockfd < 0)
		return errbuf_fail(err, errlen, -errno, "%s/" FW_LOCK ": %s", d->path, strerror(errno));
	while (flock(d->lockfd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;

			close(d->lockfd);
			d->lockfd = -1;
			return errbuf_fail(err, errlen, -e, "cannot lock %s/" FW_LOCK ": %s", d->path,
				    strerror(e));
		}
	}
	if (!fstat(d->lockfd, &a) && !fstatat(d->dirfd, FW_LOCK, &b, AT_SYMLINK_NOFOLLOW) &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return 0;
	close(d->lockfd);
	d->lockfd = -1;
stale:
	return errbuf_fail(err, errlen, -ESTALE, "%s was removed meanwhile (rampart down?)", d->path);
}

static void fwdir_unlock(struct fwdir *d)
{
	if (d->lockfd >= 0)
		close(d->lockfd);
	d->lockfd = -1;
}

/* Opens (creating it if create) and locks IF's state: 1 locked, 0 there
 * is none (!create), -errno. */
static int open_locked(struct fwdir *d, const char *ifname, bool create, char *err,
		       size_t errlen)
{
	int ret = -ESTALE;

	for (int tries = 0; tries < 5 && ret == -ESTALE; tries++) {
		ret = fwdir_open(d, ifname, create, err, errlen);
		if (ret == -ENOENT && !create)
			return 0;
		if (!ret)
			ret = fwdir_lock(d, err, errlen);
		if (ret == -ESTALE)
			fwdir_close(d);
	}
	return ret ? ret : 1;
}

/* A whole state file: -ENOENT if absent, -EPERM if not ours or writable
 * by others.  Free *text with textbuf_free_text(*text, *len). */
static int read_file(int dirfd, const char *name, char **text, size_t *len)
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

struct pending {
	char id[ID_STRLEN];
	uint64_t deadline;        /* CLOCK_BOOTTIME, ns */
	unsigned secs;            /* the window's length */
	long long applied;        /* CLOCK_REALTIME, s */
	long guard;               /* the guard's pid, 0 before it runs */
	const char *restore;      /* points into text */
	char *text;               /* the file, owned */
	size_t len;
};

static void pending_free(struct pending *p)
{
	textbuf_free_text(p->text, p->len);
	memset(p, 0, sizeof(*p));
}

static int pending_write(struct fwdir *d, const struct pending *p, const char *restore)
{
	struct textbuf t = { 0 };
	int ret;

	textbuf_printf(&t, FW_PENDING_MAGIC "\nid %s\ndeadline %llu\nwindow %u\napplied %lld\n"
		       "guard %ld\n" FW_RESTORE_MARK "%s", p->id, (unsigned long long)p->deadline,
		       p->secs, p->applied, p->guard, restore);
	ret = t.err ? t.err : fileio_write_atomic(d->dirfd, FW_PENDING, t.buf, t.len, 0600);
	textbuf_wipe(&t);
	return ret;
}

/* 0 and *p (free with pending_free), -ENOENT, or -errno (-EBADMSG: not
 * a pending record). */
static int pending_read(int dirfd, struct pending *p)
{
	char *line, *next, *mark;
	unsigned long long deadline = 0;
	int ret, seen = 0;

	memset(p, 0, sizeof(*p));
	ret = read_file(dirfd, FW_PENDING, &p->text, &p->len);
	if (ret)
		return ret;
	mark = strstr(p->text, "\n" FW_RESTORE_MARK);
	if (strncmp(p->text, FW_PENDING_MAGIC "\n", strlen(FW_PENDING_MAGIC) + 1) || !mark)
		goto bad;
	p->restore = mark + 1 + strlen(FW_RESTORE_MARK);
	mark[1] = '\0';
	for (line = p->text + strlen(FW_PENDING_MAGIC) + 1; *line; line = next) {
		char *end;

		next = strchr(line, '\n');
		if (!next)
			goto bad;
		*next++ = '\0';
		if (!strncmp(line, "id ", 3) && strlen(line + 3) < sizeof(p->id) && line[3]) {
			strcpy(p->id, line + 3);
			seen |= 1;
		} else if (!strncmp(line, "deadline ", 9)) {
			deadline = strtoull(line + 9, &end, 10);
			if (*end || end == line + 9)
				goto bad;
			p->deadline = deadline;
			seen |= 2;
		} else if (!strncmp(line, "window ", 7)) {
			p->secs = (unsigned)strtoul(line + 7, &end, 10);
			if (*end || end == line + 7)
				goto bad;
			seen |= 4;
		} else if (!strncmp(line, "applied ", 8)) {
			p->applied = strtoll(line + 8, &end, 10);
			if (*end || end == line + 8)
				goto bad;
		} else if (!strncmp(line, "guard ", 6)) {
			p->guard = strtol(line + 6, &end, 10);
			if (*end || end == line + 6)
				goto bad;
		} else {
			goto bad;
		}
	}
	if (seen != 7)
		goto bad;
	return 0;
bad:
	pending_free(p);
	return -EBADMSG;
}

/* Whether the pending record is there and is window id (no lock: the
 * file is replaced whole). */
static bool pending_is(int dirfd, const char *id)
{
	struct pending p;
	bool same;

	if (pending_read(dirfd, &p))
		return false;
	same = !strcmp(p.id, id);
	pending_free(&p);
	return same;
}

enum outcome { OUTCOME_KEPT, OUTCOME_ROLLED_BACK, OUTCOME_FLUSHED, OUTCOME_FAILED };
static const char *const outcome_words[] = { "kept", "rolled-back", "flushed", "failed" };

static void outcome_write(struct fwdir *d, const char *id, enum outcome o, const char *reason)
{
	char buf[ID_STRLEN + REASON_STRLEN + 64];
	int n;

	n = snprintf(buf, sizeof(buf), "id %s\nresult %s\nreason %s\n", id, outcome_words[o],
		     reason);
	if (n > 0 && (size_t)n < sizeof(buf))
		if (fileio_write_atomic(d->dirfd, FW_OUTCOME, buf, (size_t)n, 0600)) {
			/* best effort: the outcome only informs a waiting command */
		}
}

/* The outcome of window id: 0 and *o, *reason; -ENOENT if the file is
 * absent or about another window. */
static int outcome_read(int dirfd, const char *id, enum outcome *o, char *reason, size_t rlen)
{
	char *text, *l;
	size_t len;
	bool ours = false, have = false;
	int ret;

	ret = read_file(dirfd, FW_OUTCOME, &text, &len);
	if (ret)
		return ret;
	reason[0] = '\0';
	for (l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		size_t n = strcspn(l, "\n");

		if (n > 3 && !strncmp(l, "id ", 3))
			ours = (!id || (n - 3 == strlen(id) && !strncmp(l + 3, id, n - 3)));
		else if (n > 7 && !strncmp(l, "result ", 7)) {
			for (size_t i = 0; i < ARRAY_SIZE(outcome_words); i++) {
				if (n - 7 == strlen(outcome_words[i]) &&
				    !strncmp(l + 7, outcome_words[i], n - 7)) {
					*o = (enum outcome)i;
					have = true;
				}
			}
		} else if (n > 7 && !strncmp(l, "reason ", 7)) {
			snprintf(reason, rlen, "%.*s", (int)(n - 7), l + 7);
		}
	}
	textbuf_free_text(text, len);
	return ours && have ? 0 : -ENOENT;
}

/* --- snapshots ---------------------------------------------------------------- */

/* Counts braces on a line, outside quoted strings. */
static int brace_delta(const char *l, size_t n)
{
	bool q = false;
	int d = 0;

	for (size_t i = 0; i < n; i++) {
		if (l[i] == '"')
			q = !q;
		else if (!q && l[i] == '{')
			d++;
		else if (!q && l[i] == '}')
			d--;
	}
	return d;
}

static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Appends a set or map block, without its "elements = { ... }" if its
 * flags say dynamic. */
static void emit_set_block(struct textbuf *out, const char *b, size_t n)
{
	bool dynamic = false;
	const char *l, *end = b + n;

	for (l = b; l < end; l += strcspn(l, "\n") + 1) {
		const char *s = skip_ws(l);
		size_t len = strcspn(s, "\n");

		if (!strncmp(s, "flags ", 6) && memmem(s, len, "dynamic", 7))
			dynamic = true;
	}
	for (l = b; l < end;) {
		size_t len = strcspn(l, "\n") + 1;

		if (dynamic && !strncmp(skip_ws(l), "elements = {", 12)) {
			int depth = 0;

			/* Up to the line where its braces close. */
			while (l < end) {
				len = strcspn(l, "\n") + 1;
				depth += brace_delta(l, len);
				l += len;
				if (depth <= 0)
					break;
			}
			continue;
		}
		textbuf_append(out, l, len);
		l += len;
	}
}

/* The listing without the elements of its dynamic sets and maps. */
static void strip_dynamic_elements(struct textbuf *out, const char *listing)
{
	const char *l = listing, *block = NULL;
	int depth = 0, block_depth = 0;

	while (*l) {
		size_t len = strcspn(l, "\n");
		const char *s = skip_ws(l);

		if (l[len] == '\n')
			len++;
		if (!block && depth == 1 && (!strncmp(s, "set ", 4) || !strncmp(s, "map ", 4))) {
			block = l;
			block_depth = depth;
		}
		depth += brace_delta(l, len);
		if (!block)
			textbuf_append(out, l, len);
		else if (depth <= block_depth) {
			emit_set_block(out, block, (size_t)(l + len - block));
			block = NULL;
		}
		l += len;
	}
	if (block)
		textbuf_append(out, block, strlen(block));
}

static void snapshot_compose(struct textbuf *s, const char *table, const char *listing,
			     bool exists)
{
	textbuf_printf(s, "# rampart: table inet %s as it was before an apply; `nft -f` this "
		       "file to restore it\n# taken %lld\n# table %s\n", table,
		       (long long)time(NULL), exists ? "present" : "absent");
	textbuf_printf(s, "add table inet %s\ndelete table inet %s\n", table, table);
	if (exists)
		textbuf_append(s, listing, strlen(listing));
}

/* The batch that puts table inet `table` back as it is now, checked to
 * re-load. */
static int snapshot_take(const char *table, struct textbuf *s, char *err, size_t errlen)
{
	char e[FIREWALL_ERROR_STRLEN];
	struct textbuf listing = { 0 }, stripped = { 0 };
	bool exists;
	int ret;

	ret = firewall_list_table(table, true, &listing, &exists, e, sizeof(e));
	if (ret) {
		textbuf_wipe(&listing);
		return errbuf_fail(err, errlen, ret, "cannot list table inet %s for the snapshot: %s",
			    table, e);
	}
	snapshot_compose(s, table, listing.buf ? listing.buf : "", exists);
	ret = s->err ? s->err : firewall_check(s->buf, e, sizeof(e));
	if (ret == -EINVAL && exists) {
		/* Elements of dynamic sets (per-source limiters) may not
		 * re-load as nft lists them; they are state traffic refills,
		 * not policy. */
		strip_dynamic_elements(&stripped, listing.buf);
		textbuf_wipe(s);
		snapshot_compose(s, table, stripped.buf ? stripped.buf : "", exists);
		ret = s->err ? s->err : firewall_check(s->buf, e, sizeof(e));
	}
	textbuf_wipe(&listing);
	textbuf_wipe(&stripped);
	if (ret)
		return errbuf_fail(err, errlen, ret, "nft cannot re-load its own listing of table inet %s, "
			    "so a change could not be rolled back; nothing applied: %s", table, e);
	return 0;
}

static int delete_table(const char *table, char *err, size_t errlen)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "add table inet %s\ndelete table inet %s\n", table, table);
	return firewall_run(cmd, err, errlen);
}

/* --- ending a window ------------------------------------------------------------ */

/* Under the lock: ends window p.  Rolled back or flushed: the table is
 * restored (or deleted) first; if that fails the record stays, so that
 * the next command tries again, and -EIO.  Then snapshot.nft becomes the
 * window's snapshot (the table before the last apply), the outcome is
 * written (before the record goes, so a waiter that sees the record gone
 * finds it), and the record is removed. */
static int settle(struct fwdir *d, const struct pending *p, enum outcome how,
		  const char *reason, char *err, size_t errlen)
{
	const char *verb = how == OUTCOME_FLUSHED ? "deleting" : "restoring";
	char e[FIREWALL_ERROR_STRLEN], why[REASON_STRLEN];
	int ret = 0;

	if (how == OUTCOME_ROLLED_BACK)
		ret = firewall_run(p->restore, e, sizeof(e));
	else if (how == OUTCOME_FLUSHED)
		ret = delete_table(d->table, e, sizeof(e));
	if (ret) {
		snprintf(why, sizeof(why), "%s, but %s table inet %s failed: %.*s", reason, verb,
			 d->table, 120, e);
		for (char *c = why; *c; c++)
			if (*c == '\n')
				*c = ' ';
		outcome_write(d, p->id, OUTCOME_FAILED, why);
		return errbuf_fail(err, errlen, -EIO, "%s; %s table inet %s failed (%s/" FW_PENDING
			    " is kept for another try): %s", reason, verb, d->table, d->path, e);
	}
	/* Best effort: apply wrote the same snapshot already. */
	if (fileio_write_atomic(d->dirfd, FW_SNAPSHOT, p->restore, strlen(p->restore), 0600)) {
		/* best effort, as before the window */
	}
	outcome_write(d, p->id, how, reason);
	if (unlinkat(d->dirfd, FW_PENDING, 0) < 0 && errno != ENOENT)
		return errbuf_fail(err, errlen, -errno, "%s/" FW_PENDING ": %s", d->path, strerror(errno));
	return 0;
}

/* Under the lock: reads the open window into *p.  A window past its
 * deadline is rolled back here (its guard is late or gone) and counts as
 * none.  1: a live window in *p (free with pending_free); 0: none;
 * -errno. */
static int window_live(struct fwdir *d, struct pending *p, char *err, size_t errlen)
{
	char reason[REASON_STRLEN];
	int ret = pending_read(d->dirfd, p);

	if (ret == -ENOENT)
		return 0;
	if (ret)
		return errbuf_fail(err, errlen, ret, "%s/" FW_PENDING ": %s", d->path,
			    ret == -EBADMSG ? "not a pending record" : strerror(-ret));
	if (boottime_ns() < p->deadline)
		return 1;
	snprintf(reason, sizeof(reason), "not confirmed within %u s", p->secs);
	ret = settle(d, p, OUTCOME_ROLLED_BACK, reason, err, errlen);
	pending_free(p);
	return ret;
}

/* --- the guard ----------------------------------------------------------------- */

static void close_between(unsigned first, unsigned last)
{
	if (first > last)
		return;
	if (close_range(first, last, 0) < 0)
		for (unsigned fd = first; fd <= last && fd < 4096; fd++)
			close((int)fd);
}

/* Closes every descriptor from 3 up but a and b (both >= 3). */
static void close_fds_except(int a, int b)
{
	unsigned lo = (unsigned)(a < b ? a : b), hi = (unsigned)(a < b ? b : a);

	close_between(3, lo - 1);
	close_between(lo + 1, hi - 1);
	close_between(hi + 1, ~0U);
}

/* The guard: a grandchild in its own session, so that neither the end of
 * the command, nor SIGKILL to it or to its process group, nor a hangup of
 * its terminal stops it.  It reports its pid on ready once its deadline
 * timer is armed, waits for the deadline or the end of the window, and at
 * the deadline, under the lock, rolls the window back if it is still
 * open.  It never returns. */
static __attribute__((noreturn)) void guard_main(struct fwdir *d, int ready, const char *id,
						  uint64_t deadline)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN,
				       SIGTTOU, SIGUSR1, SIGUSR2 };
	struct itimerspec its = { 0 };
	struct pending p;
	char watch[48], reason[REASON_STRLEN], e[FIREWALL_ERROR_STRLEN];
	sigset_t none;
	pid_t self = getpid();
	int tfd, ino, devnull;

	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		signal(ignored[i], SIG_IGN);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Out of the way of stdio, in case the caller ran with 0-2 closed. */
	d->dirfd = fcntl(d->dirfd, F_DUPFD_CLOEXEC, 3);
	ready = fcntl(ready, F_DUPFD_CLOEXEC, 3);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (d->dirfd < 0 || ready < 0)
		_exit(1);
	if (devnull < 0)
		_exit(1);
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	close_fds_except(d->dirfd, ready);
	if (chdir("/") < 0)
		_exit(1);

	tfd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC);
	its.it_value.tv_sec = (time_t)(deadline / NS_PER_SEC);
	its.it_value.tv_nsec = (long)(deadline % NS_PER_SEC);
	if (tfd < 0 || timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		_exit(1); /* no report: the apply does not happen */
	/* inotify on the state directory ends the wait as soon as the window
	 * is closed; without it, a look every second does. */
	ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	snprintf(watch, sizeof(watch), "/proc/self/fd/%d", d->dirfd);
	if (ino >= 0 && inotify_add_watch(ino, watch, IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
					  IN_DELETE_SELF | IN_ONLYDIR) < 0) {
		close(ino);
		ino = -1;
	}
	if (write(ready, &self, sizeof(self)) != sizeof(self))
		_exit(1);
	close(ready);

	for (;;) {
		struct pollfd fds[2] = { { .fd = tfd, .events = POLLIN }, { .fd = ino, .events = POLLIN } };
		char buf[4096];

		if (poll(fds, ino >= 0 ? 2 : 1, 1000) < 0 && errno != EINTR)
			_exit(1);
		if (fds[0].revents & POLLIN)
			break;
		if (ino >= 0 && (fds[1].revents & POLLIN))
			while (read(ino, buf, sizeof(buf)) > 0)
				;
		if (!pending_is(d->dirfd, id))
			_exit(0);
	}

	if (fwdir_lock(d, e, sizeof(e)))
		_exit(1);
	if (!pending_read(d->dirfd, &p)) {
		if (!strcmp(p.id, id)) {
			openlog("rampart", LOG_PID, LOG_DAEMON);
			snprintf(reason, sizeof(reason), "not confirmed within %u s", p.secs);
			if (settle(d, &p, OUTCOME_ROLLED_BACK, reason, e, sizeof(e)))
				syslog(LOG_ERR, "firewall change on %s %s", d->ifname, e);
			else
				syslog(LOG_WARNING, "firewall change on %s not confirmed within %u s: "
				       "table inet %s rolled back", d->ifname, p.secs, d->table);
			closelog();
		}
		pending_free(&p);
	}
	_exit(0);
}

/* Starts the guard for window id and waits until it runs: 0 and its pid,
 * or -errno. */
static int guard_start(struct fwdir *d, const char *id, uint64_t deadline, pid_t *guard,
		       char *err, size_t errlen)
{
	int pipefd[2], status;
	pid_t child;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return errbuf_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
	fflush(NULL); /* no stdio buffer is written twice */
	child = fork();
	if (child < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return errbuf_fail(err, errlen, -e, "cannot start the rollback guard: fork: %s",
			    strerror(e));
	}
	if (!child) {
		pid_t g;

		close(pipefd[0]);
		/* The lock belongs to the caller: drop our copy of its file
		 * description, or the caller's unlock would not be final. */
		if (d->lockfd >= 0)
			close(d->lockfd);
		d->lockfd = -1;
		if (setsid() < 0)
			_exit(1);
		g = fork();
		if (g)
			_exit(g < 0);
		guard_main(d, pipefd[1], id, deadline);
	}
	close(pipefd[1]);
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	do
		n = read(pipefd[0], guard, sizeof(*guard));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n != sizeof(*guard))
		return errbuf_fail(err, errlen, -ECHILD, "the rollback guard did not start; nothing applied");
	return 0;
}

/* --- apply ----------------------------------------------------------------------- */

static volatile sig_atomic_t wait_signal;

static void on_wait_signal(int sig)
{
	wait_signal = sig;
}

enum wait_action { WAIT_NONE, WAIT_CONFIRM, WAIT_SIGNAL, WAIT_LOOK, WAIT_OVERDUE };

/* One look, FIREWALL_POLL_MS long: has the operator confirmed, has a
 * signal come, has the record changed or the guard missed its deadline? */
static enum wait_action wait_look(struct fwdir *d, const struct pending *mine,
				  const struct firewall_ui *ui)
{
	bool confirmed = false;

	if (!wait_signal) {
		if (ui && ui->confirmed)
			confirmed = ui->confirmed(ui->arg, FIREWALL_POLL_MS);
		else
			poll(NULL, 0, FIREWALL_POLL_MS);
	}
	if (wait_signal)
		return WAIT_SIGNAL;
	if (confirmed)
		return WAIT_CONFIRM;
	if (!pending_is(d->dirfd, mine->id))
		return WAIT_LOOK;
	if (boottime_ns() >= mine->deadline + (uint64_t)FIREWALL_GUARD_GRACE_MS * NS_PER_MS)
		return WAIT_OVERDUE; /* the guard is gone: do its work */
	return WAIT_NONE;
}

/* Under the lock: ends our own window p as act says. */
static int wait_settle(struct fwdir *d, const struct pending *p, enum wait_action act,
		       bool *kept, char *err, size_t errlen)
{
	char reason[REASON_STRLEN];
	int ret;

	if (act == WAIT_CONFIRM && boottime_ns() < p->deadline) {
		ret = settle(d, p, OUTCOME_KEPT, "confirmed on the terminal", err, errlen);
		*kept = !ret;
		return ret;
	}
	if (act == WAIT_SIGNAL)
		snprintf(reason, sizeof(reason), "rolled back on SIG%s",
			 sigabbrev_np(wait_signal) ? sigabbrev_np(wait_signal) : "?");
	else
		snprintf(reason, sizeof(reason), "not confirmed within %u s", p->secs);
	ret = settle(d, p, OUTCOME_ROLLED_BACK, reason, err, errlen);
	if (!ret)
		errbuf_fail(err, errlen, 0, "%s", reason);
	*kept = false;
	return ret;
}

/* Under the lock: window `mine` was ended by someone else; its outcome. */
static int wait_outcome(struct fwdir *d, const struct pending *mine, bool *kept, char *err,
			size_t errlen)
{
	char reason[REASON_STRLEN];
	enum outcome o;

	if (outcome_read(d->dirfd, mine->id, &o, reason, sizeof(reason))) {
		*kept = false;
		return errbuf_fail(err, errlen, -EIO, "the confirm window on %s ended and left no "
				   "outcome; see `rampart firewall show %s`", d->ifname, d->ifname);
	}
	*kept = o == OUTCOME_KEPT;
	if (o == OUTCOME_FAILED)
		return errbuf_fail(err, errlen, -EIO, "%s", reason);
	if (!*kept)
		errbuf_fail(err, errlen, 0, "%s", o == OUTCOME_FLUSHED ?
			    "the table was flushed (rampart firewall flush)" : reason);
	return 0;
}

/* Under the lock: acts on what the look saw.  1: the window is still
 * open (the record was written again between two looks: the guard's
 * pid); else how it ended. */
static int wait_end(struct fwdir *d, const struct pending *mine, enum wait_action act,
		    bool *kept, char *err, size_t errlen)
{
	struct pending p;
	int ret;

	if (pending_read(d->dirfd, &p))
		return wait_outcome(d, mine, kept, err, errlen);
	if (strcmp(p.id, mine->id)) {
		pending_free(&p);
		return wait_outcome(d, mine, kept, err, errlen);
	}
	ret = act == WAIT_LOOK ? 1 : wait_settle(d, &p, act, kept, err, errlen);
	pending_free(&p);
	return ret;
}

/* After the apply: waits for the end of window `mine`.  The lock is not
 * held while waiting, only to act. */
static int wait_window(struct fwdir *d, const struct pending *mine,
		       const struct firewall_ui *ui, bool *kept, char *err, size_t errlen)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = on_wait_signal }, old[ARRAY_SIZE(sigs)];
	int ret;

	sigemptyset(&sa.sa_mask);
	wait_signal = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, &old[i]);
	if (ui && ui->window_open)
		ui->window_open(ui->arg, d->ifname, mine->secs);

	for (;;) {
		enum wait_action act = wait_look(d, mine, ui);

		if (act == WAIT_NONE)
			continue;
		ret = fwdir_lock(d, err, errlen);
		if (ret == -ESTALE) {
			/* firewall_forget removes the state only once no window
			 * is open: ours was closed, and the interface taken
			 * down. */
			*kept = false;
			ret = 0;
			errbuf_fail(err, errlen, 0, "the window was closed and the firewall state of %s "
				    "removed (rampart down)", d->ifname);
			break;
		}
		if (ret)
			break;
		ret = wait_end(d, mine, act, kept, err, errlen);
		fwdir_unlock(d);
		if (ret != 1)
			break;
	}

	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &old[i], NULL);
	return ret;
}

int firewall_apply(const char *ifname, const char *batch, const struct firewall_apply_opts *opts,
		   bool *kept, char *err, size_t errlen)
{
	static const unsigned prefix_lines = 2;
	char e[FIREWALL_ERROR_STRLEN], table[FIREWALL_TABLE_STRLEN];
	struct textbuf full = { 0 }, snap = { 0 };
	struct pending mine = { 0 }, live;
	struct fwdir d;
	pid_t guard;
	int ret;

	*kept = false;
	if (opts->confirm_secs > FIREWALL_CONFIRM_MAX_SECS)
		return errbuf_fail(err, errlen, -EINVAL, "a confirm window of %u s is longer than %u s",
			    opts->confirm_secs, (unsigned)FIREWALL_CONFIRM_MAX_SECS);
	/* The batch first: a refused one leaves no state directory. */
	if (firewall_table_name(table, ifname))
		return errbuf_fail(err, errlen, -EINVAL, "\"%s\" is not an interface name Rampart can "
			    "make a firewall table for", ifname);
	ret = firewall_check_scope(batch, table, err, errlen);
	if (ret)
		return ret;
	textbuf_printf(&full, "add table inet %s\ndelete table inet %s\n%s", table, table, batch);
	if (full.err) {
		textbuf_wipe(&full);
		return errbuf_fail(err, errlen, full.err, "%s", strerror(-full.err));
	}
	ret = open_locked(&d, ifname, true, err, errlen);
	if (ret < 0)
		goto out;
	ret = window_live(&d, &live, err, errlen);
	if (ret == 1) {
		long long left = (long long)(live.deadline - boottime_ns()) / NS_PER_SEC + 1;

		pending_free(&live);
		ret = errbuf_fail(err, errlen, -EBUSY, "a change on %s is waiting for confirmation (%lld s "
			   "left): run `rampart confirm %s` or `rampart firewall rollback %s` first",
			   ifname, left, ifname, ifname);
	}
	if (ret)
		goto out;

	ret = nftables_exec(full.buf, true, 0, NULL, prefix_lines, e, sizeof(e));
	if (ret) {
		ret = errbuf_fail(err, errlen, ret, "nft refused the batch:\n%s", e);
		goto out;
	}
	ret = snapshot_take(d.table, &snap, err, errlen);
	if (ret)
		goto out;

	if (opts->confirm_secs) {
		snprintf(mine.id, sizeof(mine.id), "%ld.%llu", (long)getpid(),
			 (unsigned long long)boottime_ns());
		mine.secs = opts->confirm_secs;
		mine.applied = (long long)time(NULL);
		mine.deadline = boottime_ns() + (uint64_t)opts->confirm_secs * NS_PER_SEC;
		ret = pending_write(&d, &mine, snap.buf);
		if (ret) {
			ret = errbuf_fail(err, errlen, ret, "%s/" FW_PENDING ": %s; nothing applied", d.path,
				   strerror(-ret));
			goto out;
		}
		ret = guard_start(&d, mine.id, mine.deadline, &guard, err, errlen);
		if (ret) {
			unlinkat(d.dirfd, FW_PENDING, 0);
			goto out;
		}
		/* For `show`; the guard compares ids, not this. */
		mine.guard = guard;
		(void)pending_write(&d, &mine, snap.buf);
	}

	ret = nftables_exec(full.buf, false, 0, NULL, prefix_lines, e, sizeof(e));
	if (ret) {
		if (opts->confirm_secs)
			unlinkat(d.dirfd, FW_PENDING, 0); /* the guard sees it and exits */
		ret = errbuf_fail(err, errlen, ret, "nft refused the batch:\n%s", e);
		goto out;
	}
	if (!opts->confirm_secs) {
		ret = fileio_write_atomic(d.dirfd, FW_SNAPSHOT, snap.buf, snap.len, 0600);
		if (ret) {
			/* Without its snapshot the change could not be rolled
			 * back later: take it back now. */
			int r = firewall_run(snap.buf, e, sizeof(e));

			ret = errbuf_fail(err, errlen, r ? -EIO : ret, "cannot save %s/" FW_SNAPSHOT ": %s; "
				   "%s", d.path, strerror(-ret), r ? "and restoring the table failed"
				   : "the change was taken back");
			goto out;
		}
		*kept = true;
		goto out;
	}
	/* The window's snapshot is also the last snapshot from now on;
	 * settle() writes it again when the window ends. */
	if (fileio_write_atomic(d.dirfd, FW_SNAPSHOT, snap.buf, snap.len, 0600)) {
		/* best effort: the pending record holds it too */
	}
	fwdir_unlock(&d);
	ret = wait_window(&d, &mine, opts->ui, kept, err, errlen);
out:
	fwdir_close(&d);
	textbuf_wipe(&full);
	textbuf_wipe(&snap);
	return ret;
}

/* --- confirm, rollback, flush, show ---------------------------------------------- */

int firewall_confirm(const char *ifname, char *err, size_t errlen)
{
	char reason[REASON_STRLEN];
	struct pending p;
	struct fwdir d;
	enum outcome o;
	int ret;

	ret = open_locked(&d, ifname, false, err, errlen);
	if (ret <= 0) {
		fwdir_close(&d);
		return ret ? ret : errbuf_fail(err, errlen, -ENOENT, "no change on %s is waiting for "
					"confirmation", ifname);
	}
	ret = pending_read(d.dirfd, &p);
	if (ret == -ENOENT) {
		if (outcome_read(d.dirfd, NULL, &o, reason, sizeof(reason)) == 0 && o != OUTCOME_KEPT)
			ret = errbuf_fail(err, errlen, -ENOENT, "no change on %s is waiting for confirmation; "
				   "the last one ended: %s (%s)", ifname, outcome_words[o], reason);
		else
			ret = errbuf_fail(err, errlen, -ENOENT, "no change on %s is waiting for confirmation",
				   ifname);
	} else if (ret) {
		ret = errbuf_fail(err, errlen, ret, "%s/" FW_PENDING ": %s", d.path,
			   ret == -EBADMSG ? "not a pending record" : strerror(-ret));
	} else if (boottime_ns() >= p.deadline) {
		long long late = (long long)(boottime_ns() - p.deadline) / NS_PER_MS;

		snprintf(reason, sizeof(reason), "not confirmed within %u s", p.secs);
		ret = settle(&d, &p, OUTCOME_ROLLED_BACK, reason, err, errlen);
		if (!ret)
			ret = errbuf_fail(err, errlen, -ETIME, "too late: the window on %s closed %lld.%03lld s "
				   "ago and the change was rolled back", ifname, late / 1000,
				   late % 1000);
		pending_free(&p);
	} else {
		ret = settle(&d, &p, OUTCOME_KEPT, "confirmed by `rampart confirm`", err, errlen);
		pending_free(&p);
	}
	fwdir_close(&d);
	return ret;
}

int firewall_rollback(const char *ifname, bool *had_window, char *err, size_t errlen)
{
	char e[FIREWALL_ERROR_STRLEN];
	struct pending p;
	struct fwdir d;
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (had_window)
		*had_window = false;
	ret = open_locked(&d, ifname, false, err, errlen);
	if (ret <= 0) {
		fwdir_close(&d);
		return ret ? ret : errbuf_fail(err, errlen, -ENOENT, "nothing to roll back on %s: no "
					"snapshot (nothing applied since boot)", ifname);
	}
	ret = pending_read(d.dirfd, &p);
	if (!ret) {
		if (had_window)
			*had_window = true;
		ret = settle(&d, &p, OUTCOME_ROLLED_BACK, "rolled back by `rampart firewall rollback`",
			     err, errlen);
		pending_free(&p);
		goto out;
	}
	if (ret != -ENOENT) {
		ret = errbuf_fail(err, errlen, ret, "%s/" FW_PENDING ": %s", d.path,
			   ret == -EBADMSG ? "not a pending record" : strerror(-ret));
		goto out;
	}
	ret = read_file(d.dirfd, FW_SNAPSHOT, &text, &len);
	if (ret == -ENOENT) {
		ret = errbuf_fail(err, errlen, -ENOENT, "nothing to roll back on %s: no snapshot (nothing "
			   "applied since boot)", ifname);
		goto out;
	}
	if (ret) {
		ret = errbuf_fail(err, errlen, ret, "%s/" FW_SNAPSHOT ": %s", d.path, strerror(-ret));
		goto out;
	}
	ret = firewall_run(text, e, sizeof(e));
	if (ret)
		ret = errbuf_fail(err, errlen, ret, "restoring %s/" FW_SNAPSHOT " failed:\n%s", d.path, e);
	textbuf_free_text(text, len);
out:
	fwdir_close(&d);
	return ret;
}

int firewall_flush(const char *ifname, bool *had_window, char *err, size_t errlen)
{
	char table[FIREWALL_TABLE_STRLEN], e[FIREWALL_ERROR_STRLEN];
	struct pending p;
	struct fwdir d;
	int ret;

	if (had_window)
		*had_window = false;
	if (firewall_table_name(table, ifname))
		return errbuf_fail(err, errlen, -EINVAL, "\"%s\" is not an interface name Rampart can make "
			    "a firewall table for", ifname);
	ret = open_locked(&d, ifname, false, err, errlen);
	if (ret < 0)
		goto out;
	if (ret == 1) {
		ret = pending_read(d.dirfd, &p);
		if (!ret) {
			if (had_window)
				*had_window = true;
			ret = settle(&d, &p, OUTCOME_FLUSHED, "flushed by `rampart firewall flush`",
				     err, errlen);
			pending_free(&p);
			goto out;
		}
		/* A record we cannot read would block every apply: with the
		 * table gone it has nothing left to restore anyway. */
		if (ret != -ENOENT)
			unlinkat(d.dirfd, FW_PENDING, 0);
	}
	ret = delete_table(table, e, sizeof(e));
	if (ret)
		ret = errbuf_fail(err, errlen, ret, "cannot delete table inet %s:\n%s", table, e);
out:
	fwdir_close(&d);
	return ret;
}

int firewall_forget(const char *ifname, char *err, size_t errlen)
{
	static const char *const files[] = { FW_PENDING, FW_OUTCOME, FW_SNAPSHOT, FW_LOCK };
	struct fwdir d;
	int ret;

	fwdir_init(&d);
	ret = open_locked(&d, ifname, false, err, errlen);
	if (ret <= 0)
		goto out;
	ret = 0;
	if (!faccessat(d.dirfd, FW_PENDING, F_OK, AT_SYMLINK_NOFOLLOW)) {
		ret = errbuf_fail(err, errlen, -EBUSY, "a confirm window is open on %s", ifname);
		goto out;
	}
	/* The lock file goes last, while we still hold it: a command that
	 * opens the directory after this finds nothing and starts afresh. */
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		if (unlinkat(d.dirfd, files[i], 0) < 0 && errno != ENOENT && !ret)
			ret = errbuf_fail(err, errlen, -errno, "%s/%s: %s", d.path, files[i], strerror(errno));
	if (!ret && rmdir(d.path) < 0 && errno != ENOENT)
		ret = errbuf_fail(err, errlen, -errno, "%s: %s", d.path, strerror(errno));
out:
	fwdir_close(&d);
	return ret;
}

int firewall_get_state(const char *ifname, struct firewall_state *st, char *err, size_t errlen)
{
	struct pending p;
	struct fwdir d;
	char *text = NULL;
	size_t len = 0;
	int ret;

	memset(st, 0, sizeof(*st));
	ret = fwdir_open(&d, ifname, false, err, errlen);
	snprintf(st->snapshot_path, sizeof(st->snapshot_path), "%s/" FW_SNAPSHOT,
		 d.path[0] ? d.path : FIREWALL_STATE_DIR);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	ret = pending_read(d.dirfd, &p);
	if (!ret) {
		st->pending = true;
		st->ms_left = ((long long)p.deadline - (long long)boottime_ns()) / NS_PER_MS;
		st->window_secs = p.secs;
		st->guard = (pid_t)p.guard;
		st->guard_alive = p.guard > 0 && (kill((pid_t)p.guard, 0) == 0 || errno == EPERM);
		pending_free(&p);
	} else if (ret != -ENOENT) {
		ret = errbuf_fail(err, errlen, ret, "%s/" FW_PENDING ": %s", d.path,
			   ret == -EBADMSG ? "not a pending record" : strerror(-ret));
		goto out;
	}
	{
		char reason[REASON_STRLEN];
		enum outcome o;

		if (!outcome_read(d.dirfd, NULL, &o, reason, sizeof(reason))) {
			const char *word = o == OUTCOME_KEPT ? "kept" :
					   o == OUTCOME_ROLLED_BACK ? "rolled back" :
					   o == OUTCOME_FLUSHED ? "flushed" : "rollback failed";

			/* Reasons that say it already stand alone. */
			if (!strncmp(reason, word, strlen(word)))
				snprintf(st->last_window, sizeof(st->last_window), "%s", reason);
			else
				snprintf(st->last_window, sizeof(st->last_window), "%s (%s)", word,
					 reason);
		}
	}
	ret = read_file(d.dirfd, FW_SNAPSHOT, &text, &len);
	if (!ret) {
		const char *t = strstr(text, "\n# taken ");

		st->snapshot = true;
		st->snapshot_absent = strstr(text, "\n# table absent\n") != NULL;
		if (t)
			st->snapshot_time = (time_t)strtoll(t + 9, NULL, 10);
		textbuf_free_text(text, len);
	} else if (ret != -ENOENT) {
		ret = errbuf_fail(err, errlen, ret, "%s/" FW_SNAPSHOT ": %s", d.path, strerror(-ret));
		goto out;
	}
	ret = 0;
out:
	fwdir_close(&d);
	return ret;
}

/* --- panic --------------------------------------------------------------------------- */

static const char *family_word(int family)
{
	return family == AF_INET ? "ip" : "ip6";
}

/* The prefix with its host bits cleared, as text. */
static char *format_network(char buf[NETADDR_PREFIX_STRLEN], const struct netaddr_prefix *p)
{
	struct netaddr_prefix n = *p;
	unsigned bits = n.addr.family == AF_INET ? 32 : 128;

	if (n.cidr > bits)
		n.cidr = (uint8_t)bits;
	netaddr_prefix_mask(&n);
	return netaddr_format_prefix(buf, &n);
}

void firewall_panic_render(struct textbuf *o, const struct firewall_panic *p)
{
	static const char *const t = FIREWALL_PANIC_TABLE;
	char a[NETADDR_PREFIX_STRLEN], ip[NETADDR_IP_STRLEN];

	textbuf_printf(o, "add table inet %s\ndelete table inet %s\n", t, t);
	textbuf_printf(o, "table inet %s {\n", t);

	textbuf_printf(o, "\tchain input {\n\t\ttype filter hook input priority %d; policy drop;\n",
		       FIREWALL_PANIC_PRIORITY);
	textbuf_printf(o, "\t\tiif \"lo\" accept\n");
	if (p->session)
		textbuf_printf(o, "\t\t%s saddr %s tcp dport %u accept comment \"this SSH session\"\n",
			       family_word(p->session_client.family),
			       netaddr_format_ip(ip, &p->session_client), p->session_port);
	for (size_t i = 0; i < p->n_ssh_from; i++)
		textbuf_printf(o, "\t\t%s saddr %s tcp dport %u accept\n",
			       family_word(p->ssh_from[i].addr.family),
			       format_network(a, &p->ssh_from[i]), p->ssh_port);
	textbuf_printf(o, "\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, "
		       "nd-router-advert } ip6 hoplimit 255 accept\n\t}\n");

	textbuf_printf(o, "\tchain forward {\n\t\ttype filter hook forward priority %d; "
		       "policy drop;\n\t}\n", FIREWALL_PANIC_PRIORITY);

	textbuf_printf(o, "\tchain output {\n\t\ttype filter hook output priority %d; policy drop;\n",
		       FIREWALL_PANIC_PRIORITY);
	textbuf_printf(o, "\t\toif \"lo\" accept\n");
	if (p->session)
		textbuf_printf(o, "\t\t%s daddr %s tcp sport %u accept comment \"this SSH session\"\n",
			       family_word(p->session_client.family),
			       netaddr_format_ip(ip, &p->session_client), p->session_port);
	for (size_t i = 0; i < p->n_ssh_from; i++)
		textbuf_printf(o, "\t\t%s daddr %s tcp sport %u ct state established accept\n",
			       family_word(p->ssh_from[i].addr.family),
			       format_network(a, &p->ssh_from[i]), p->ssh_port);
	textbuf_printf(o, "\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, "
		       "nd-neighbor-advert } ip6 hoplimit 255 accept\n\t}\n");
	textbuf_printf(o, "}\n");
}

int firewall_panic_on(const struct firewall_panic *p, char *err, size_t errlen)
{
	char e[FIREWALL_ERROR_STRLEN];
	struct textbuf b = { 0 };
	int ret;

	firewall_panic_render(&b, p);
	if (b.err) {
		ret = errbuf_fail(err, errlen, b.err, "%s", strerror(-b.err));
	} else {
		ret = firewall_run(b.buf, e, sizeof(e));
		if (ret)
			errbuf_fail(err, errlen, ret, "nft refused the panic table; nothing changed:\n%s", e);
	}
	textbuf_wipe(&b);
	return ret;
}

int firewall_panic_active(bool *on, char *err, size_t errlen)
{
	struct textbuf t = { 0 };
	int ret;

	*on = false;
	ret = nftables_exec("list tables inet\n", false, 0, &t, 0, err, errlen);
	if (!ret)
		*on = has_table_line(t.buf ? t.buf : "", "inet", FIREWALL_PANIC_TABLE);
	textbuf_wipe(&t);
	return ret;
}

int firewall_panic_off(bool *was_on, char *err, size_t errlen)
{
	char e[FIREWALL_ERROR_STRLEN];
	bool on = false;
	int ret;

	if (firewall_panic_active(&on, e, sizeof(e)))
		on = false; /* not known: deleting says more */
	if (was_on)
		*was_on = on;
	ret = delete_table(FIREWALL_PANIC_TABLE, e, sizeof(e));
	if (ret)
		errbuf_fail(err, errlen, ret, "cannot delete table inet " FIREWALL_PANIC_TABLE ":\n%s", e);
	return ret;
}
