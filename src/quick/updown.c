#include "updown.h"

#include "firewall/fwapply.h"
#include "sys/hostfile.h"
#include "sys/netlink.h"
#include "sys/nftables.h"
#include "sys/spawn.h"
#include "quick.h"
#include "conf/wgconf.h"
#include "ctl/wgctl.h"

#include "conf/config.h"
#include "common/fileio.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_DIR "/run/rampart"
#define SOCKET_DIR "/var/run/wireguard"
#define RESOLVCONF_ORDER "/etc/resolvconf/interface-order"
#define SRC_VALID_MARK "/proc/sys/net/ipv4/conf/all/src_valid_mark"
#define HOOK_SHELL "/bin/bash"

static const char *const rt_tables_files[] = {
	"/etc/iproute2/rt_tables",
	"/usr/share/iproute2/rt_tables", /* iproute2 6.5 and later */
};

enum {
	POLL_STEP_MS = 20,
	SMALL_FILE_MAX = 1 << 20, /* resolvconf order, rt_tables */
	ERRLEN = 1024,
};

struct ctx {
	const char *who;
	char ifname[CONF_IFNAME_MAX + 1];
	char given[CONF_PATH_MAX];  /* the path as named, for messages */
	char path[PATH_MAX];         /* the same, links resolved: SaveConfig writes here */
	struct conf *conf;           /* the file */
	struct netlink *nl;
	int dirfd;                   /* STATE_DIR; -1 if not open */
	int lockfd;                  /* STATE_DIR/IFNAME.lock, held; -1 if not */
	struct quick_state st;       /* what up did (or what down found) */
	uint32_t table;              /* Table as a number (explicit tables) */
	uint32_t default_table;      /* the full tunnel's table, once chosen */
	char daemon[PATH_MAX];       /* the program up starts */
	const struct fwapply_opts *fw; /* up: how to apply the policy */
	bool signals_blocked;
};

/* The signal mask children start with: ours before up/down blocked
 * SIGINT, SIGTERM and SIGHUP. */
static sigset_t child_mask;

/* --- output ----------------------------------------------------------------- */

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	va_list ap;

	fputs("[#] ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int __attribute__((format(printf, 3, 4)))
fail(const struct ctx *c, int ret, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ret < 0 ? ret : -EINVAL;
}

static void __attribute__((format(printf, 2, 3)))
warn(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", c->who);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int nl_fail(const struct ctx *c, int ret)
{
	return fail(c, ret, "%s", netlink_error(c->nl));
}

static const char *ipv(int family)
{
	return family == AF_INET ? "-4" : "-6";
}

/* --- files ------------------------------------------------------------------ */

static bool is_socket(const char *ifname)
{
	char path[sizeof(SOCKET_DIR) + CONF_IFNAME_MAX + 8];
	struct stat st;

	snprintf(path, sizeof(path), SOCKET_DIR "/%s.sock", ifname);
	return !stat(path, &st) && S_ISSOCK(st.st_mode);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The directory of an absolute path: "/etc/wireguard", or "/". */
static void dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Replaces dir/name with text: a new file (0600) next to it, synced, then
 * renamed over it, so that readers see the old file or the new one. */
/* --- the state file --------------------------------------------------------- */

static void state_name(const struct ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s.state", c->ifname);
}

/* /run/rampart: created 0700, must belong to us and be writable by no one
 * else, since its files decide what down deletes. */
static int state_dir_open(struct ctx *c)
{
	struct stat st;

	if (mkdir(STATE_DIR, 0700) < 0 && errno != EEXIST)
		return fail(c, -errno, "cannot create %s: %s", STATE_DIR, strerror(errno));
	c->dirfd = open(STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c->dirfd < 0)
		return fail(c, -errno, "cannot open %s: %s", STATE_DIR, strerror(errno));
	if (fstat(c->dirfd, &st) < 0)
		return fail(c, -errno, "%s: %s", STATE_DIR, strerror(errno));
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return fail(c, -EPERM, "%s must belong to uid %u and be writable by no one else; "
			    "refusing to trust it", STATE_DIR, (unsigned)geteuid());
	return 0;
}

/* One up or down per interface at a time: an flock on IFNAME.lock, held
 * until the end.  Per interface, so that a hook may bring up another
 * one.  The file is removed with the state file; a locker that finds it
 * was removed (or replaced) while it waited starts again. */
static int lock_iface(struct ctx *c)
{
	char name[CONF_IFNAME_MAX + 16];
	struct stat a, b;

	snprintf(name, sizeof(name), "%s.lock", c->ifname);
	for (;;) {
		c->lockfd = openat(c->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (c->lockfd < 0)
			return fail(c, -errno, "%s/%s: %s", STATE_DIR, name, strerror(errno));
		while (flock(c->lockfd, LOCK_EX) < 0) {
			if (errno != EINTR)
				return fail(c, -errno, "cannot lock %s/%s: %s", STATE_DIR, name,
					    strerror(errno));
		}
		if (!fstat(c->lockfd, &a) && !fstatat(c->dirfd, name, &b, AT_SYMLINK_NOFOLLOW) &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
			return 0;
		close(c->lockfd);
		c->lockfd = -1;
	}
}

/* 1 and *st filled in if there is a state file, 0 if there is none. */
static int state_load(struct ctx *c, struct quick_state *st)
{
	char name[CONF_IFNAME_MAX + 16], err[256];
	struct textbuf t = { 0 };
	struct stat sb;
	int fd, ret;

	state_name(c, name, sizeof(name));
	fd = openat(c->dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return fail(c, -errno, "%s/%s: %s", STATE_DIR, name, strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() ||
	    (sb.st_mode & 022)) {
		close(fd);
		return fail(c, -EPERM, "%s/%s is not a regular file, or not owned by uid %u, or "
			    "writable by others; refusing to act on it", STATE_DIR, name,
			    (unsigned)geteuid());
	}
	ret = hostfile_read_fd(fd, QUICK_STATE_FILE_MAX, &t);
	close(fd);
	if (!ret)
		ret = t.err;
	if (ret) {
		textbuf_wipe(&t);
		return fail(c, ret, "%s/%s: %s", STATE_DIR, name, strerror(-ret));
	}
	ret = quick_state_parse(t.buf, t.len, st, err, sizeof(err));
	textbuf_wipe(&t);
	if (ret)
		return fail(c, ret, "%s/%s: %s", STATE_DIR, name, err[0] ? err : strerror(-ret));
	if (strcmp(st->ifname, c->ifname)) {
		quick_state_uninit(st);
		return fail(c, -EINVAL, "%s/%s is about interface `%s', not `%s'", STATE_DIR,
			    name, st->ifname, c->ifname);
	}
	return 1;
}

static int state_save(struct ctx *c)
{
	char name[CONF_IFNAME_MAX + 16];
	size_t len;
	char *text = quick_state_format(&c->st, &len);
	int ret;

	state_name(c, name, sizeof(name));
	if (!text)
		return fail(c, -errno, "cannot record the state in %s/%s: %s", STATE_DIR, name,
			    strerror(errno));
	ret = fileio_write_atomic(c->dirfd, name, text, len, 0600);
	textbuf_free_text(text, len);
	if (ret)
		return fail(c, ret, "cannot record the state in %s/%s: %s", STATE_DIR, name,
			    strerror(-ret));
	return 0;
}

static void state_remove(struct ctx *c)
{
	char name[CONF_IFNAME_MAX + 16];

	state_name(c, name, sizeof(name));
	if (unlinkat(c->dirfd, name, 0) < 0 && errno != ENOENT)
		warn(c, "cannot remove %s/%s: %s", STATE_DIR, name, strerror(errno));
}

/* Releases the lock; the lock file goes too (while still held) when
 * there is no state file beside it, so that nothing of an interface that
 * is down stays in /run/rampart. */
static void unlock_iface(struct ctx *c)
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

/* --- processes -------------------------------------------------------------- */

/* Runs a program and turns a failure into one message. */
static int run_checked(const struct ctx *c, char *const argv[], const char *in, size_t in_len,
		       struct textbuf *out)
{
	int status = 0, ret = spawn_run(argv, &child_mask, in, in_len, out, &status);

	if (ret)
		return fail(c, ret, "cannot run %s: %s", argv[0], strerror(-ret));
	if (status)
		return fail(c, -ECHILD, "%s %s failed (exit status %d)", argv[0],
			    argv[1] ? argv[1] : "", status);
	return 0;
}

/* wg-quick's execute_hooks: each hook with %i expanded, in a bash with
 * errexit and pipefail, which is what wg-quick's "(eval "$hook")" under
 * its own "set -e -o pipefail" amounts to. */
static int run_hooks(const struct ctx *c, enum conf_hook_kind kind)
{
	static const char *const names[] = { "PreUp", "PostUp", "PreDown", "PostDown" };

	for (size_t i = 0; i < c->conf->hooks[kind].n; i++) {
		char *cmd = quick_hook_expand(c->conf->hooks[kind].v[i].cmd, c->ifname);
		char *argv[] = { HOOK_SHELL, "-e", "-o", "pipefail", "-c", cmd, NULL };
		int status = 0, ret;

		if (!cmd)
			return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
		say("%s", cmd);
		ret = spawn_run(argv, &child_mask, NULL, 0, NULL, &status);
		free(cmd);
		if (ret)
			return fail(c, ret, "cannot run %s: %s", HOOK_SHELL, strerror(-ret));
		if (status)
			return fail(c, -ECHILD, "%s hook at %s:%u failed (exit status %d)",
				    names[kind], c->given, c->conf->hooks[kind].v[i].line, status);
	}
	return 0;
}

/* --- the daemon's configuration --------------------------------------------- */

static int get_running(const struct ctx *c, struct conf **out)
{
	char err[ERRLEN] = "";
	int ret = wgctl_get_conf(c->ifname, out, err, sizeof(err));

	if (ret)
		return fail(c, ret, "reading the configuration of %s from its daemon: %s",
			    c->ifname, err[0] ? err : strerror(-ret));
	return 0;
}

/* --- loading the file ------------------------------------------------------- */

static int load_config(struct ctx *c, const char *arg)
{
	struct wgconf_error werr;
	char msg[CONF_PATH_MAX + WGCONF_ERROR_STRLEN], dir[PATH_MAX];
	struct textbuf t = { 0 };
	struct stat fst, dst;
	int fd, ret;

	if (conf_config_path(arg, c->given, sizeof(c->given)))
		return fail(c, -ENAMETOOLONG, "`%s': path too long", arg);
	if (access(c->given, F_OK) < 0)
		return fail(c, -ENOENT, "`%s' does not exist", c->given);
	if (!conf_ifname_from_path(c->given, c->ifname))
		return fail(c, -EINVAL, "The config file must be a valid interface name, "
			    "followed by .conf");
	if (!realpath(c->given, c->path))
		return fail(c, -errno, "%s: %s", c->given, strerror(errno));
	/* wg-quick warns when the file and its directory both let others
	 * in. */
	dir_of(c->path, dir, sizeof(dir));
	if (!stat(c->path, &fst) && !stat(dir, &dst) && (fst.st_mode & dst.st_mode & 0007))
		fprintf(stderr, "Warning: `%s' is world accessible\n", c->path);

	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fail(c, -errno, "%s: %s", c->given, strerror(errno));
	ret = hostfile_read_fd(fd, WGCONF_FILE_MAX, &t);
	close(fd);
	if (!ret)
		ret = t.err;
	if (ret == -EFBIG)
		ret = 0; /* the parser names the limit */
	if (ret) {
		textbuf_wipe(&t);
		return fail(c, ret, "%s: %s", c->given, strerror(-ret));
	}
	ret = wgconf_parse(t.buf, t.len, c->given, &c->conf, &werr);
	textbuf_wipe(&t);
	if (ret) {
		wgconf_error_format(msg, sizeof(msg), &werr);
		return fail(c, ret, "%s", msg);
	}
	return 0;
}

/* Table = NAME as ip(8) would resolve it; numbers as written. */
static int resolve_table(struct ctx *c)
{
	if (!c->conf->has_table)
		return 0;
	if (c->conf->table.kind == CONF_TABLE_ID) {
		c->table = c->conf->table.id;
		return 0;
	}
	if (c->conf->table.kind != CONF_TABLE_NAME)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(rt_tables_files); i++) {
		struct textbuf t = { 0 };
		bool found = false;

		if (!hostfile_read(rt_tables_files[i], SMALL_FILE_MAX, &t))
			found = quick_rt_table_lookup(t.buf, c->conf->table.name, &c->table);
		else
			found = quick_rt_table_lookup(NULL, c->conf->table.name, &c->table);
		textbuf_wipe(&t);
		if (found)
			return 0;
	}
	return fail(c, -EINVAL, "%s:%u: Table: unknown routing table \"%s\" (not in %s)",
		    c->given, c->conf->table_line, c->conf->table.name, rt_tables_files[0]);
}

/* --- signals ---------------------------------------------------------------- */

static void block_signals(struct ctx *c)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &child_mask);
	c->signals_blocked = true;
}

static bool interrupted(void)
{
	sigset_t set;

	return !sigpending(&set) && (sigismember(&set, SIGINT) || sigismember(&set, SIGTERM) ||
				     sigismember(&set, SIGHUP));
}

/* Takes the pending signals, so that unblocking them does not kill us
 * after we have cleaned up; the caller reports the interruption. */
static void unblock_signals(struct ctx *c)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	if (!c->signals_blocked)
		return;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
	sigprocmask(SIG_SETMASK, &child_mask, NULL);
	c->signals_blocked = false;
}

/* --- undoing ---------------------------------------------------------------- */

static void wait_socket_gone(const struct ctx *c)
{
	for (unsigned ms = 0; ms < UPDOWN_DAEMON_WAIT_MS; ms += POLL_STEP_MS) {
		if (!is_socket(c->ifname))
			return;
		sleep_ms(POLL_STEP_MS);
	}
	warn(c, "the daemon's socket %s/%s.sock is still there", SOCKET_DIR, c->ifname);
}

/* Deletes the interface up created, and only that one: same index, same
 * name.  Its addresses and routes go with it, and its daemon exits. */
static int undo_link(struct ctx *c)
{
	struct netlink_link l;
	int ret;

	if (!c->st.ifindex)
		return 0;
	ret = netlink_link_get(c->nl, NULL, c->st.ifindex, &l);
	if (ret == -ENODEV || (!ret && strcmp(l.name, c->ifname))) {
		if (!ret)
			warn(c, "interface %u is now called `%s'; leaving it alone",
			     c->st.ifindex, l.name);
		c->st.ifindex = 0;
		return 0;
	}
	if (ret)
		return nl_fail(c, ret);
	say("ip link delete dev %s", c->ifname);
	ret = netlink_link_del(c->nl, c->st.ifindex);
	if (ret && ret != -ENODEV)
		return nl_fail(c, ret);
	c->st.ifindex = 0;
	wait_socket_gone(c);
	return 0;
}

static int undo_rules(struct ctx *c)
{
	int ret = 0;

	while (c->st.n_rules) {
		struct netlink_rule *r = &c->st.rules[c->st.n_rules - 1];
		char buf[128];
		int err;

		say("ip %s rule delete %s", ipv(r->family),
		    netlink_rule_format(buf, sizeof(buf), r));
		err = netlink_rule_del(c->nl, r);
		if (err == -ENOENT) {
			warn(c, "that rule was already gone");
		} else if (err) {
			ret = nl_fail(c, err);
			/* Keep it in the state for another try, and go on. */
			break;
		}
		quick_state_del_rule(&c->st, c->st.n_rules - 1);
	}
	return ret;
}

static int undo_dns(struct ctx *c)
{
	char *argv[] = { "resolvconf", "-d", c->st.dns, "-f", NULL };
	int status = 0, ret;

	if (!c->st.dns[0])
		return 0;
	say("resolvconf -d %s -f", c->st.dns);
	/* wg-quick ignores a failure here ("unset_dns || true"); so do we,
	 * aloud. */
	ret = spawn_run(argv, &child_mask, NULL, 0, NULL, &status);
	if (ret || status)
		warn(c, "resolvconf -d %s failed; remove the entry by hand", c->st.dns);
	c->st.dns[0] = '\0';
	return 0;
}

static int undo_nft(struct ctx *c)
{
	char err[ERRLEN] = "";
	struct textbuf t = { 0 };
	int ret;

	if (!c->st.nft[0] && !c->st.nft[1])
		return 0;
	for (int f = 0; f < 2; f++)
		if (c->st.nft[f])
			quick_nft_render_delete(&t, f ? AF_INET6 : AF_INET, c->ifname);
	if (t.err) {
		textbuf_wipe(&t);
		return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	say("nft -f -");
	ret = nftables_exec(t.buf, false, 0, NULL, 0, err, sizeof(err));
	textbuf_wipe(&t);
	if (ret)
		return fail(c, ret, "nft -f - failed: %s", err);
	c->st.nft[0] = c->st.nft[1] = false;
	return 0;
}

/* The policy's table and sysctls (fwapply.h): whether up applied them or
 * `rampart firewall apply` did, down removes them with the interface.
 * Nothing to do is no error. */
static int undo_policy(struct ctx *c)
{
	char err[FWAPPLY_ERROR_STRLEN];
	int ret = fwapply_remove(c->ifname, false, err, sizeof(err));

	return ret ? fail(c, ret, "%s", err) : 0;
}

/* Undoes what c->st records, in wg-quick's order for down: rules, the
 * interface, DNS, the firewall.  What could not be undone stays in the
 * state file for the next try; the file goes when nothing is left. */
static int undo(struct ctx *c)
{
	int ret = 0, r;

	r = undo_rules(c);
	ret = ret ? ret : r;
	r = undo_link(c);
	ret = ret ? ret : r;
	r = undo_dns(c);
	ret = ret ? ret : r;
	r = undo_nft(c);
	ret = ret ? ret : r;
	r = undo_policy(c);
	ret = ret ? ret : r;
	if (quick_state_empty(&c->st)) {
		state_remove(c);
	} else {
		fail(c, ret, "some of what rampart up did for %s is still in place; it is listed in "
		     "%s/%s.state for the next rampart down", c->ifname, STATE_DIR, c->ifname);
		if (state_save(c))
			ret = ret ? ret : -EIO;
	}
	return ret;
}

/* --- up ----------------------------------------------------------------------- */

/* The hardening policy (fwapply.h): hardened by default, so this runs for
 * every config; "Policy = off" makes it remove the table instead.  A
 * change that was not confirmed within its window fails up, which then
 * undoes everything: the previous firewall is back already. */
static int apply_policy(struct ctx *c)
{
	struct fwapply_opts none = { 0 };
	char err[FWAPPLY_ERROR_STRLEN];
	bool kept = false;
	int ret;

	ret = fwapply_apply(c->ifname, c->conf, c->given, c->fw ? c->fw : &none, &kept, err,
			    sizeof(err));
	if (ret)
		return fail(c, ret, "%s", err);
	if (!kept)
		return fail(c, -ECANCELED, "%s; the previous firewall is back", err);
	return 0;
}

static void daemon_program(char *out, size_t size)
{
	const char *env = getenv("RAMPARTD");
	char self[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if (snprintf(out, size, "%s/rampartd", self) < (int)size && !access(out, X_OK))
				return;
		}
	}
	snprintf(out, size, "rampartd");
}

static int start_daemon(struct ctx *c)
{
	char *prog = c->daemon, *argv[] = { prog, c->ifname, NULL };
	struct netlink_link l;
	int status = 0, ret, lret;
	unsigned ms = 0;

	say("%s %s", prog, c->ifname);
	ret = spawn_run(argv, &child_mask, NULL, 0, NULL, &status);
	if (ret)
		return fail(c, ret, "cannot run %s: %s", prog, strerror(-ret));
	/* It daemonizes and returns once the interface and its socket exist;
	 * wait a little anyway, then take the TUN device it made, even on
	 * failure, so that the rollback removes it. */
	for (;;) {
		lret = netlink_link_get(c->nl, c->ifname, 0, &l);
		if (status || (!lret && is_socket(c->ifname)) || ms >= UPDOWN_DAEMON_WAIT_MS)
			break;
		sleep_ms(POLL_STEP_MS);
		ms += POLL_STEP_MS;
	}
	if (!lret && strcmp(l.kind, "tun"))
		return fail(c, -EEXIST, "`%s' appeared, but it is a %s device, not the daemon's TUN "
			    "device; leaving it alone", c->ifname, l.kind[0] ? l.kind : "non-TUN");
	if (!lret) {
		c->st.ifindex = l.index;
		ret = state_save(c);
		if (ret)
			return ret;
	}
	if (status)
		return fail(c, -ECHILD, "the daemon %s failed (exit status %d)", prog, status);
	if (lret)
		return fail(c, lret, "the daemon %s returned but interface %s does not exist",
			    prog, c->ifname);
	if (!is_socket(c->ifname))
		return fail(c, -ETIMEDOUT, "the daemon %s returned but %s/%s.sock did not appear",
			    prog, SOCKET_DIR, c->ifname);
	return 0;
}

static int apply_conf(struct ctx *c)
{
	char err[ERRLEN] = "";
	int ret;

	say("wg setconf %s <(rampart strip %s)", c->ifname, c->path);
	ret = wgctl_apply_conf(c->ifname, c->conf, WGCTL_SETCONF, err, sizeof(err));
	if (ret)
		return fail(c, ret, "loading %s into %s: %s", c->given, c->ifname,
			    err[0] ? err : strerror(-ret));
	return 0;
}

static int add_addresses(struct ctx *c)
{
	char buf[NETADDR_PREFIX_STRLEN];
	int ret;

	for (size_t i = 0; i < c->conf->n_addresses; i++) {
		const struct netaddr_prefix *p = &c->conf->addresses[i].prefix;

		say("ip %s address add %s dev %s", ipv(p->addr.family),
		    netaddr_format_prefix(buf, p), c->ifname);
		ret = netlink_addr_add(c->nl, c->st.ifindex, p);
		if (ret)
			return fail(c, ret, "%s (Address at %s:%u)", netlink_error(c->nl),
				    c->given, c->conf->addresses[i].line);
		ret = quick_state_add_address(&c->st, p);
		if (ret)
			return fail(c, ret, "%s", strerror(-ret));
	}
	/* Addresses go with the interface: one save for all of them. */
	return state_save(c);
}

/* The MTU of a route as wg-quick reads it from ip(8): the route's own
 * "mtu", else its device's. */
static uint32_t route_mtu(struct ctx *c, const struct netlink_route *r)
{
	struct netlink_link l;

	if (r->mtu)
		return r->mtu;
	if (r->oif && !netlink_link_get(c->nl, NULL, r->oif, &l))
		return l.mtu;
	return 0;
}

/* `ip route show default`: main table, IPv4, the first one.  (No
 * netlink request may be made from inside a dump.) */
static int on_default_route(const struct netlink_route *r, void *arg)
{
	if (r->table != NETLINK_TABLE_MAIN || r->dst.cidr || r->cloned)
		return 0;
	*(struct netlink_route *)arg = *r;
	return 1;
}

static int set_mtu_up(struct ctx *c, const struct conf *running)
{
	uint32_t mtu, *mtus = NULL;
	size_t n = 0;
	int ret;

	if (c->conf->has_mtu) {
		mtu = c->conf->mtu;
	} else {
		struct netlink_route d = { 0 };
		bool any = false;

		mtus = calloc(running->n_peers ? running->n_peers : 1, sizeof(*mtus));
		if (!mtus)
			return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
		for (size_t i = 0; i < running->n_peers; i++) {
			const struct conf_peer *p = &running->peers[i];
			struct netlink_route r;

			/* wg-quick's ^\[?([a-z0-9:.]+)\]?:[0-9]+$ skips scoped
			 * addresses; a route lookup that fails counts as none. */
			if (!p->has_endpoint || !p->endpoint.literal || p->endpoint.zone[0])
				continue;
			if (!netlink_route_get(c->nl, &p->endpoint.addr, &r))
				mtus[n++] = route_mtu(c, &r);
		}
		/* The default route's only when no endpoint gave an MTU. */
		for (size_t i = 0; i < n; i++)
			any = any || mtus[i];
		ret = any ? 0 : netlink_route_dump(c->nl, AF_INET, on_default_route, &d);
		if (ret < 0) {
			free(mtus);
			return nl_fail(c, ret);
		}
		mtu = quick_mtu_auto(mtus, n, ret > 0 ? route_mtu(c, &d) : 0);
		free(mtus);
		if (!mtu)
			return fail(c, -EINVAL, "the path MTU is too small for WireGuard's 80 bytes "
				    "of headers; set MTU in %s", c->given);
	}
	say("ip link set mtu %u up dev %s", mtu, c->ifname);
	ret = netlink_link_set(c->nl, c->st.ifindex, mtu, true);
	if (ret && c->conf->has_mtu)
		return fail(c, ret, "%s (MTU at %s:%u)", netlink_error(c->nl), c->given,
			    c->conf->mtu_line);
	return ret ? nl_fail(c, ret) : 0;
}

static int set_dns(struct ctx *c)
{
	char prefix[QUICK_DNS_IFACE_MAX], name[QUICK_DNS_IFACE_MAX + CONF_IFNAME_MAX + 1];
	char *argv[] = { "resolvconf", "-a", name, "-m", "0", "-x", NULL };
	struct textbuf in = { 0 }, order = { 0 };
	int ret;

	if (!quick_dns_input(c->conf, &in)) {
		if (c->conf->n_dns)
			warn(c, "DNS lists only search domains; like wg-quick, rampart hands "
			     "resolvconf nothing without a name server");
		textbuf_wipe(&in);
		return 0;
	}
	if (in.err) {
		textbuf_wipe(&in);
		return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	quick_resolvconf_prefix(hostfile_read(RESOLVCONF_ORDER, SMALL_FILE_MAX, &order) ? NULL : order.buf,
				prefix, sizeof(prefix));
	textbuf_wipe(&order);
	snprintf(name, sizeof(name), "%s%s", prefix, c->ifname);
	if (strlen(name) >= QUICK_DNS_IFACE_MAX) {
		textbuf_wipe(&in);
		return fail(c, -ENAMETOOLONG, "resolvconf interface name `%s' too long", name);
	}
	say("resolvconf -a %s -m 0 -x", name);
	ret = run_checked(c, argv, in.buf, in.len, NULL);
	textbuf_wipe(&in);
	if (ret)
		return ret;
	memcpy(c->st.dns, name, strlen(name) + 1); /* length checked above */
	return state_save(c);
}

/* The routes in main through the interface: what `ip route show dev IF
 * match P` looks at.  Read once rather than for every prefix as wg-quick
 * does: the routes added meanwhile never cover a later prefix, since
 * prefixes come longest first and each only once. */
struct main_routes {
	unsigned oif;
	struct netaddr_prefix *v;
	size_t n, cap;
	int err;
};

static int main_routes_add(struct main_routes *m, const struct netaddr_prefix *p)
{
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 16;
		struct netaddr_prefix *v = reallocarray(m->v, ncap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = ncap;
	}
	m->v[m->n++] = *p;
	return 0;
}

static int on_main_route(const struct netlink_route *r, void *arg)
{
	struct main_routes *m = arg;

	if (r->table == NETLINK_TABLE_MAIN && !r->cloned && r->oif == m->oif && !m->err)
		m->err = main_routes_add(m, &r->dst);
	return 0;
}

static bool main_routes_cover(const struct main_routes *m, const struct netaddr_prefix *p)
{
	for (size_t i = 0; i < m->n; i++)
		if (netaddr_prefix_contains(&m->v[i], p))
			return true;
	return false;
}

struct used_tables {
	uint32_t *v;
	size_t n, cap;
	bool oom;
};

static int on_used_table(const struct netlink_route *r, void *arg)
{
	struct used_tables *u = arg;

	if (r->table < QUICK_TABLE_FIRST || u->oom)
		return 0;
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i] == r->table)
			return 0;
	if (u->n == u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 16;
		uint32_t *v = reallocarray(u->v, ncap, sizeof(*v));

		if (!v) {
			u->oom = true;
			return 0;
		}
		u->v = v;
		u->cap = ncap;
	}
	u->v[u->n++] = r->table;
	return 0;
}

/* wg-quick's get_fwmark, or the first table from 51820 on with no route
 * in it, which becomes the interface's fwmark. */
static int choose_default_table(struct ctx *c, const struct conf *running)
{
	struct used_tables u = { 0 };
	struct conf *fw;
	char err[ERRLEN] = "";
	int ret;

	if (c->default_table)
		return 0;
	if (running->has_fwmark && running->fwmark) {
		c->default_table = running->fwmark;
		return 0;
	}
	ret = netlink_route_dump(c->nl, AF_INET, on_used_table, &u);
	if (ret >= 0)
		ret = netlink_route_dump(c->nl, AF_INET6, on_used_table, &u);
	if (ret < 0 || u.oom) {
		free(u.v);
		return ret < 0 ? nl_fail(c, ret) : fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	c->default_table = quick_first_free_table(u.v, u.n);
	free(u.v);

	fw = conf_alloc();
	if (!fw)
		return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	fw->has_fwmark = true;
	fw->fwmark = c->default_table;
	say("wg set %s fwmark %u", c->ifname, c->default_table);
	ret = wgctl_apply_conf(c->ifname, fw, WGCTL_ADDCONF, err, sizeof(err));
	conf_free(fw);
	if (ret) {
		c->default_table = 0;
		return fail(c, ret, "setting the fwmark of %s: %s", c->ifname,
			    err[0] ? err : strerror(-ret));
	}
	c->st.fwmark = c->default_table;
	return state_save(c);
}

static int write_sysctl(struct ctx *c, const char *path, const char *value)
{
	int ret = hostfile_write(path, value);

	return ret ? fail(c, ret, "%s: %s", path, strerror(-ret)) : 0;
}

/* wg-quick's add_default: every packet not marked by the tunnel's own
 * socket goes to the tunnel's table, while main keeps everything but its
 * default route (suppress_prefixlength 0); nftables drops packets for the
 * tunnel's addresses that did not come through it, and carries the mark
 * of the tunnel's UDP flows through conntrack. */
static int add_default(struct ctx *c, const struct conf *running, const struct netaddr_prefix *p)
{
	char err[ERRLEN] = "";
	struct netlink_rule rules[2];
	struct netlink_addr *addrs = NULL;
	struct netaddr *ips = NULL;
	struct textbuf t = { 0 };
	char buf[NETADDR_PREFIX_STRLEN];
	int family = p->addr.family, ret;
	size_t n = 0;

	ret = choose_default_table(c, running);
	if (ret)
		return ret;
	say("ip %s route add %s dev %s table %u", ipv(family), netaddr_format_prefix(buf, p),
	    c->ifname, c->default_table);
	ret = netlink_route_add(c->nl, p, c->st.ifindex, c->default_table);
	if (ret)
		return nl_fail(c, ret);
	ret = quick_state_add_route(&c->st, p, c->default_table);
	if (!ret)
		ret = state_save(c);
	if (ret)
		return ret;

	quick_default_rules(family, c->default_table, rules);
	for (int i = 0; i < 2; i++) {
		if (i == 0)
			say("ip %s rule add not fwmark %u table %u", ipv(family),
			    c->default_table, c->default_table);
		else
			say("ip %s rule add table main suppress_prefixlength 0", ipv(family));
		ret = netlink_rule_add(c->nl, &rules[i]);
		if (ret)
			return nl_fail(c, ret);
		ret = quick_state_add_rule(&c->st, &rules[i]);
		if (!ret)
			ret = state_save(c);
		if (ret)
			return ret;
	}

	ret = netlink_addr_list(c->nl, c->st.ifindex, family, &addrs, &n);
	if (ret)
		return nl_fail(c, ret);
	ips = calloc(n ? n : 1, sizeof(*ips));
	if (!ips) {
		free(addrs);
		return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	for (size_t i = 0; i < n; i++)
		ips[i] = addrs[i].prefix.addr;
	free(addrs);
	quick_nft_render(&t, family, c->ifname, c->default_table, ips, n);
	free(ips);
	if (t.err) {
		textbuf_wipe(&t);
		return fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	if (family == AF_INET) {
		say("sysctl -q net.ipv4.conf.all.src_valid_mark=1");
		ret = write_sysctl(c, SRC_VALID_MARK, "1\n");
		if (ret) {
			textbuf_wipe(&t);
			return ret;
		}
	}
	say("nft -f -");
	ret = nftables_exec(t.buf, false, 0, NULL, 0, err, sizeof(err));
	textbuf_wipe(&t);
	if (ret) {
		char name[CONF_IFNAME_MAX + 16];

		fail(c, ret, "nft -f - failed: %s", err);
		quick_nft_table_name(name, sizeof(name), c->ifname);
		return fail(c, ret, "nft refused table %s %s (does it exist already? `nft list "
			    "tables')", family == AF_INET ? "ip" : "ip6", name);
	}
	c->st.nft[family == AF_INET ? 0 : 1] = true;
	return state_save(c);
}

static int add_routes(struct ctx *c, const struct conf *running)
{
	struct main_routes m = { .oif = c->st.ifindex };
	struct quick_route *routes = NULL;
	char buf[NETADDR_PREFIX_STRLEN], table_name[CONF_TABLE_NAME_MAX + 1];
	size_t n = 0;
	int ret, saved;

	ret = quick_plan_routes(running, c->conf, &routes, &n);
	if (ret)
		return fail(c, ret, "%s", strerror(-ret));
	if (c->conf->table.kind == CONF_TABLE_NAME)
		snprintf(table_name, sizeof(table_name), "%s", c->conf->table.name);
	else
		snprintf(table_name, sizeof(table_name), "%u", c->table);
	ret = netlink_route_dump(c->nl, AF_INET, on_main_route, &m);
	if (ret >= 0)
		ret = netlink_route_dump(c->nl, AF_INET6, on_main_route, &m);
	ret = ret < 0 ? nl_fail(c, ret) : m.err ? fail(c, m.err, "%s", strerror(-m.err)) : 0;
	for (size_t i = 0; i < n && !ret; i++) {
		const struct quick_route *r = &routes[i];
		int family = r->prefix.addr.family;
		uint32_t table = NETLINK_TABLE_MAIN;

		if (r->kind == QUICK_ROUTE_DEFAULT) {
			ret = add_default(c, running, &r->prefix);
			continue;
		}
		if (r->kind == QUICK_ROUTE_TABLE) {
			table = c->table; /* Table = NAME resolved, or a number */
			say("ip %s route add %s dev %s table %s", ipv(family),
			    netaddr_format_prefix(buf, &r->prefix), c->ifname, table_name);
		} else if (main_routes_cover(&m, &r->prefix)) {
			continue;
		} else {
			say("ip %s route add %s dev %s", ipv(family),
			    netaddr_format_prefix(buf, &r->prefix), c->ifname);
		}
		ret = netlink_route_add(c->nl, &r->prefix, c->st.ifindex, table);
		if (ret) {
			ret = nl_fail(c, ret);
			break;
		}
		if ((ret = quick_state_add_route(&c->st, &r->prefix, table)))
			ret = fail(c, ret, "%s", strerror(-ret));
		if (!ret && interrupted())
			ret = fail(c, -EINTR, "interrupted");
	}
	/* Routes go with the interface (a thousand peers would otherwise
	 * mean a thousand state files): one save for all of them, which
	 * may also record what a failure left. */
	saved = state_save(c);
	free(m.v);
	free(routes);
	return ret ? ret : saved;
}

/* Things up would only find missing halfway through; wg-quick finds them
 * there and rolls back, Rampart refuses before it starts. */
static int preflight(struct ctx *c)
{
	char found[PATH_MAX];
	int ret = resolve_table(c);

	if (ret)
		return ret;
	daemon_program(c->daemon, sizeof(c->daemon));
	if (!spawn_find(c->daemon, found, sizeof(found)))
		return fail(c, -ENOENT, "cannot find the daemon `%s' (build it with `make', or set "
			    "RAMPARTD to the daemon to use)", c->daemon);
	for (size_t i = 0; i < c->conf->n_dns; i++)
		if (c->conf->dns[i].kind == CONF_DNS_SERVER &&
		    !spawn_find("resolvconf", found, sizeof(found)))
			return fail(c, -ENOENT, "%s:%u: DNS needs resolvconf(8), which is not in "
				    "PATH (install openresolv or resolvconf, or remove DNS)",
				    c->given, c->conf->dns[i].line);
	return 0;
}

/* Undoes what a state file left by an earlier up records, when that
 * interface is gone (its daemon died, or someone deleted it). */
static int clean_stale(struct ctx *c, struct quick_state *old)
{
	struct quick_state mine = c->st;
	int ret;

	if (!quick_state_empty(old))
		fprintf(stderr, "[!] the %s that rampart up created is gone; removing the rules, "
			"tables and DNS entry it left\n", c->ifname);
	c->st = *old;
	c->st.ifindex = 0; /* not ours any more, whatever has that index */
	ret = undo(c);
	*old = c->st;
	c->st = mine;
	return ret;
}

static int up(struct ctx *c, const char *arg)
{
	struct quick_state old;
	struct netlink_link l;
	struct conf *running = NULL;
	int ret;

	/* As wg-quick's auto_su, before the file is even looked at. */
	if (geteuid())
		return fail(c, -EPERM, "must be run as root");
	ret = load_config(c, arg);
	if (ret)
		return ret;
	c->nl = netlink_open();
	if (!c->nl)
		return fail(c, -errno, "cannot open a netlink socket: %s", strerror(errno));
	ret = netlink_link_get(c->nl, c->ifname, 0, &l);
	if (!ret)
		return fail(c, -EEXIST, "`%s' already exists", c->ifname);
	if (ret != -ENODEV)
		return nl_fail(c, ret);
	ret = preflight(c);
	if (ret)
		return ret;
	ret = state_dir_open(c);
	if (!ret)
		ret = lock_iface(c);
	if (ret)
		return ret;
	/* Again, under the lock. */
	if (!netlink_link_get(c->nl, c->ifname, 0, &l))
		return fail(c, -EEXIST, "`%s' already exists", c->ifname);
	ret = state_load(c, &old);
	if (ret < 0)
		return ret;
	if (ret) {
		ret = clean_stale(c, &old);
		quick_state_uninit(&old);
		if (ret)
			return ret;
	}
	snprintf(c->st.ifname, sizeof(c->st.ifname), "%s", c->ifname);
	snprintf(c->st.config, sizeof(c->st.config), "%s", c->path);

	block_signals(c);
	ret = run_hooks(c, CONF_HOOK_PRE_UP);
	if (!ret && interrupted())
		ret = fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = start_daemon(c);
	if (!ret && interrupted())
		ret = fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = apply_conf(c);
	if (!ret)
		ret = add_addresses(c);
	if (!ret && interrupted())
		ret = fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = get_running(c, &running);
	if (!ret)
		ret = set_mtu_up(c, running);
	if (!ret)
		ret = set_dns(c);
	if (!ret && interrupted())
		ret = fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = add_routes(c, running);
	if (!ret && interrupted())
		ret = fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = apply_policy(c);
	if (!ret)
		ret = run_hooks(c, CONF_HOOK_POST_UP);
	if (!ret && interrupted())
		ret = fail(c, -EINTR, "interrupted");
	conf_free(running);
	if (ret && !quick_state_empty(&c->st)) {
		fprintf(stderr, "[!] rolling back %s\n", c->ifname);
		undo(c);
	} else if (ret) {
		state_remove(c);
	}
	unblock_signals(c);
	return ret;
}

/* --- down --------------------------------------------------------------------- */

struct rule_find {
	const struct netlink_rule *tmpl;
	const struct quick_state *taken;
	struct netlink_rule found;
	bool ok;
};

static int on_rule_find(const struct netlink_rule *r, void *arg)
{
	struct rule_find *f = arg;

	if (!quick_rule_matches(r, f->tmpl))
		return 0;
	for (size_t i = 0; i < f->taken->n_rules; i++)
		if (f->taken->rules[i].family == r->family &&
		    f->taken->rules[i].priority == r->priority &&
		    quick_rule_matches(r, &f->taken->rules[i]))
			return 0;
	f->found = *r;
	f->ok = true;
	return 1;
}

/* No state file: the interface was brought up by wg-quick (or by a
 * rampart that crashed before writing one).  Work out what wg-quick's
 * add_default and set_dns would have left, the way wg-quick's del_if and
 * cmd_down do, but take one rule of each kind per family instead of every
 * rule that mentions the table, so that other rules stay. */
static void derive_state(struct ctx *c, unsigned ifindex)
{
	struct conf *running = NULL;
	struct quick_route *routes = NULL;
	struct textbuf in = { 0 }, order = { 0 }, list = { 0 };
	char err[ERRLEN], prefix[QUICK_DNS_IFACE_MAX];
	size_t n = 0;
	int ret;

	snprintf(c->st.ifname, sizeof(c->st.ifname), "%s", c->ifname);
	c->st.ifindex = ifindex;
	if ((!c->conf->has_table || c->conf->table.kind == CONF_TABLE_AUTO) &&
	    !get_running(c, &running) && running->has_fwmark && running->fwmark &&
	    !quick_plan_routes(running, c->conf, &routes, &n)) {
		for (int f = 0; f < 2; f++) {
			int family = f ? AF_INET6 : AF_INET;
			bool full = false;
			struct netlink_rule tmpl[2];

			for (size_t i = 0; i < n; i++)
				full = full || (routes[i].kind == QUICK_ROUTE_DEFAULT &&
						 routes[i].prefix.addr.family == family);
			if (!full)
				continue;
			quick_default_rules(family, running->fwmark, tmpl);
			for (int k = 0; k < 2; k++) {
				struct rule_find rf = { &tmpl[k], &c->st, { 0 }, false };

				ret = netlink_rule_dump(c->nl, family, on_rule_find, &rf);
				if (ret < 0) {
					nl_fail(c, ret);
					continue;
				}
				if (rf.ok && quick_state_add_rule(&c->st, &rf.found))
					break;
			}
		}
	}
	free(routes);
	conf_free(running);

	/* wg-quick's remove_firewall: the tables it names after the
	 * interface, whatever made them.  A listing that fails finds none,
	 * as wg-quick's does. */
	if (!nftables_exec("list tables\n", false, 0, &list, 0, err, sizeof(err)))
		quick_nft_parse_tables(list.buf, c->ifname, c->st.nft);
	textbuf_wipe(&list);
	if (quick_dns_input(c->conf, &in)) {
		quick_resolvconf_prefix(hostfile_read(RESOLVCONF_ORDER, SMALL_FILE_MAX, &order) ? NULL : order.buf,
					prefix, sizeof(prefix));
		if (snprintf(c->st.dns, sizeof(c->st.dns), "%s%s", prefix, c->ifname) >=
		    (int)sizeof(c->st.dns))
			c->st.dns[0] = '\0';
	}
	textbuf_wipe(&in);
	textbuf_wipe(&order);
}

/* wg-quick's save_config, through the daemon and the config printer. */
static int save_config(struct ctx *c)
{
	struct conf *running = NULL;
	struct netlink_addr *addrs = NULL;
	struct netaddr_prefix *pfx = NULL;
	struct netlink_link l;
	char dir[PATH_MAX], *text;
	size_t n = 0, len;
	int dirfd, ret;

	say("wg showconf %s", c->ifname);
	ret = get_running(c, &running);
	if (ret)
		return fail(c, ret, "SaveConfig: not saving %s, and not taking %s down",
			    c->given, c->ifname);
	ret = netlink_link_get(c->nl, NULL, c->st.ifindex, &l);
	if (!ret)
		ret = netlink_addr_list(c->nl, c->st.ifindex, AF_UNSPEC, &addrs, &n);
	if (ret) {
		conf_free(running);
		return nl_fail(c, ret);
	}
	pfx = calloc(n ? n : 1, sizeof(*pfx));
	if (!pfx) {
		ret = fail(c, -ENOMEM, "%s", strerror(ENOMEM));
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		pfx[i] = addrs[i].prefix;
	ret = quick_save_merge(running, c->conf, pfx, n, l.mtu, c->st.fwmark);
	if (ret) {
		ret = fail(c, ret, "%s", strerror(-ret));
		goto out;
	}
	text = wgconf_format(running, WGCONF_FULL, &len);
	if (!text) {
		ret = fail(c, -errno, "SaveConfig: cannot write the configuration: %s",
			   strerror(errno));
		goto out;
	}
	dir_of(c->path, dir, sizeof(dir));
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		ret = fail(c, -errno, "SaveConfig: %s: %s", dir, strerror(errno));
	} else {
		ret = fileio_write_atomic(dirfd, strrchr(c->path, '/') + 1, text, len, 0600);
		close(dirfd);
		if (ret)
			ret = fail(c, ret, "SaveConfig: could not write %s: %s", c->path,
				   strerror(-ret));
	}
	wgconf_text_free(text, len);
out:
	free(pfx);
	free(addrs);
	conf_free(running);
	return ret;
}

static int down(struct ctx *c, const char *arg)
{
	struct quick_state old;
	struct netlink_link l;
	bool have_link, ours = false;
	int ret, lret, r;

	/* As wg-quick's auto_su, before the file is even looked at. */
	if (geteuid())
		return fail(c, -EPERM, "must be run as root");
	ret = load_config(c, arg);
	if (ret)
		return ret;
	c->nl = netlink_open();
	if (!c->nl)
		return fail(c, -errno, "cannot open a netlink socket: %s", strerror(errno));
	ret = state_dir_open(c);
	if (!ret)
		ret = lock_iface(c);
	if (ret)
		return ret;
	lret = netlink_link_get(c->nl, c->ifname, 0, &l);
	if (lret && lret != -ENODEV)
		return nl_fail(c, lret);
	have_link = !lret;
	ret = state_load(c, &old);
	if (ret < 0)
		return ret;
	if (ret) {
		if (have_link && l.index == old.ifindex) {
			c->st = old;
			ours = true;
		} else {
			ret = clean_stale(c, &old);
			quick_state_uninit(&old);
			if (ret)
				return ret;
			if (!have_link) {
				fprintf(stderr, "[!] %s was already gone; its PreDown and PostDown "
					"hooks were not run\n", c->ifname);
				return 0;
			}
		}
	}
	if (!ours) {
		if (!have_link || !is_socket(c->ifname))
			return fail(c, -ENODEV, "`%s' is not a WireGuard interface", c->ifname);
		derive_state(c, l.index);
	}

	block_signals(c);
	ret = run_hooks(c, CONF_HOOK_PRE_DOWN);
	if (!ret && c->conf->save_config)
		ret = save_config(c);
	if (!ret) {
		ret = undo(c);
		r = run_hooks(c, CONF_HOOK_POST_DOWN);
		ret = ret ? ret : r;
	}
	unblock_signals(c);
	return ret;
}

/* --- entry points ------------------------------------------------------------- */

static void ctx_uninit(struct ctx *c)
{
	unlock_iface(c);
	if (c->dirfd >= 0)
		close(c->dirfd);
	netlink_close(c->nl);
	conf_free(c->conf);
	quick_state_uninit(&c->st);
}

int updown_up(const char *arg, const char *who, const struct fwapply_opts *fw)
{
	struct ctx c = { .who = who, .dirfd = -1, .lockfd = -1, .fw = fw };
	int ret;

	ret = up(&c, arg);
	ctx_uninit(&c);
	return ret;
}

int updown_down(const char *arg, const char *who)
{
	struct ctx c = { .who = who, .dirfd = -1, .lockfd = -1 };
	int ret;

	ret = down(&c, arg);
	ctx_uninit(&c);
	return ret;
}
