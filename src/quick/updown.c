/* What up and down share: messages, the config file, the hooks, the
 * daemon's running configuration and the signals that interrupt either;
 * and the two entry points.  up.c, down.c, undo.c and state.c hold the
 * rest (updown_int.h says why it is split that way). */
#include "updown.h"
#include "updown_int.h"

#include "sys/hostfile.h"
#include "sys/netlink.h"
#include "sys/spawn.h"
#include "quick.h"
#include "conf/wgconf.h"
#include "ctl/wgctl.h"
#include "firewall/firewall.h"
#include "firewall/fwapply.h"

#include "conf/config.h"
#include "common/fileio.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HOOK_SHELL "/bin/bash"

/* --- output: to the caller's ui, never to a terminal ----------------------- */

/* fmt, formatted, to the ui's progress (progress) or its message of this
 * kind.  Hooks can be longer than any fixed line: a long one is
 * formatted into the heap, and cut short only if that fails. */
static void vtell(const struct updown_ctx *c, bool progress, enum firewall_ui_kind kind,
		  const char *fmt, va_list ap)
{
	const struct firewall_ui *ui = c->fw ? c->fw->ui : NULL;
	char small[512], *line = small;
	va_list again;
	int n;

	if (!ui || (progress ? !ui->progress : !ui->message))
		return;
	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		line = malloc((size_t)n + 1);
		if (line)
			vsnprintf(line, (size_t)n + 1, fmt, again);
		else
			line = small;
	}
	va_end(again);
	if (n < 0)
		return;
	if (progress)
		ui->progress(ui->arg, line);
	else
		ui->message(ui->arg, kind, line);
	if (line != small)
		free(line);
}

void updown_say(const struct updown_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtell(c, true, FIREWALL_UI_NOTICE, fmt, ap);
	va_end(ap);
}

void updown_tell(const struct updown_ctx *c, enum firewall_ui_kind kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtell(c, false, kind, fmt, ap);
	va_end(ap);
}

int updown_fail(const struct updown_ctx *c, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtell(c, false, FIREWALL_UI_ERROR, fmt, ap);
	va_end(ap);
	return ret < 0 ? ret : -EINVAL;
}

void updown_warn(const struct updown_ctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vtell(c, false, FIREWALL_UI_WARNING, fmt, ap);
	va_end(ap);
}

int updown_nl_fail(const struct updown_ctx *c, int ret)
{
	return updown_fail(c, ret, "%s", netlink_error(c->nl)->msg);
}

const char *updown_ipv(int family)
{
	return family == AF_INET ? "-4" : "-6";
}

/* --- files ------------------------------------------------------------------ */

bool updown_is_socket(const char *ifname)
{
	char path[sizeof(SOCKET_DIR) + CONF_IFNAME_MAX + 8];
	struct stat st;

	snprintf(path, sizeof(path), SOCKET_DIR "/%s.sock", ifname);
	return !stat(path, &st) && S_ISSOCK(st.st_mode);
}

void updown_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The directory of an absolute path: "/etc/wireguard", or "/". */
void updown_dir_of(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* The prefix resolvconf's interface-order asks for ("" without one). */
void updown_resolvconf_prefix(char *prefix, size_t size)
{
	struct textbuf order = { 0 };
	bool have = !hostfile_read(RESOLVCONF_ORDER, SMALL_FILE_MAX, &order);

	quick_resolvconf_prefix(have ? order.buf : NULL, prefix, size);
	textbuf_wipe(&order);
}

/* --- processes -------------------------------------------------------------- */

/* wg-quick's execute_hooks: each hook with %i expanded, in a bash with
 * errexit and pipefail, which is what wg-quick's "(eval "$hook")" under
 * its own "set -e -o pipefail" amounts to. */
int updown_run_hooks(const struct updown_ctx *c, enum conf_hook_kind kind)
{
	static const char *const names[] = { "PreUp", "PostUp", "PreDown", "PostDown" };

	for (size_t i = 0; i < c->conf->hooks[kind].n; i++) {
		char *cmd = quick_hook_expand(c->conf->hooks[kind].v[i].cmd, c->ifname);
		char *argv[] = { HOOK_SHELL, "-e", "-o", "pipefail", "-c", cmd, NULL };
		int status = 0, ret;

		if (!cmd)
			return updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
		updown_say(c, "%s", cmd);
		ret = spawn_run(argv, &c->child_mask, NULL, 0, NULL, &status);
		free(cmd);
		if (ret)
			return updown_fail(c, ret, "cannot run %s: %s", HOOK_SHELL, strerror(-ret));
		if (status)
			return updown_fail(c, -ECHILD, "%s hook at %s:%u failed (exit status %d)",
					   names[kind], c->given, c->conf->hooks[kind].v[i].line,
					   status);
	}
	return 0;
}

/* --- the daemon's configuration --------------------------------------------- */

int updown_get_running(const struct updown_ctx *c, struct conf **out)
{
	struct error err = { 0 };
	int ret = wgctl_get_conf(c->ifname, out, &err);

	if (ret)
		return updown_fail(c, ret, "reading the configuration of %s from its daemon: %s",
				   c->ifname, err.msg[0] ? err.msg : strerror(-ret));
	return 0;
}

/* --- loading the file ------------------------------------------------------- */

int updown_load_config(struct updown_ctx *c, const char *arg)
{
	struct error werr;
	char msg[CONF_PATH_MAX + ERROR_STRLEN], dir[PATH_MAX], *text;
	struct stat fst, dst;
	size_t len;
	int fd, ret;

	if (conf_config_path(arg, c->given, sizeof(c->given)))
		return updown_fail(c, -ENAMETOOLONG, "`%s': path too long", arg);
	if (access(c->given, F_OK) < 0)
		return updown_fail(c, -ENOENT, "`%s' does not exist", c->given);
	if (!conf_ifname_from_path(c->given, c->ifname))
		return updown_fail(c, -EINVAL, "The config file must be a valid interface name, "
				   "followed by .conf");
	if (!realpath(c->given, c->path))
		return updown_fail(c, -errno, "%s: %s", c->given, strerror(errno));
	/* wg-quick warns when the file and its directory both let others
	 * in. */
	updown_dir_of(c->path, dir, sizeof(dir));
	if (!stat(c->path, &fst) && !stat(dir, &dst) && (fst.st_mode & dst.st_mode & 0007))
		updown_tell(c, FIREWALL_UI_QUICK_WARNING, "`%s' is world accessible", c->path);

	fd = open(c->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return updown_fail(c, -errno, "%s: %s", c->given, strerror(errno));
	/* A larger file comes back as WGCONF_FILE_MAX + 1 bytes, for the
	 * parser to refuse by name ("larger than 16 MiB"). */
	ret = fileio_read_bounded(fd, WGCONF_FILE_MAX, &text, &len);
	close(fd);
	if (ret)
		return updown_fail(c, ret, "%s: %s", c->given, strerror(-ret));
	ret = wgconf_parse(text, len, c->given, &c->conf, &werr);
	textbuf_free_text(text, len);
	if (ret) {
		error_format(&werr, msg, sizeof(msg));
		return updown_fail(c, ret, "%s", msg);
	}
	return 0;
}

int updown_begin(struct updown_ctx *c, const char *arg)
{
	int ret;

	/* As wg-quick's auto_su, before the file is even looked at. */
	if (geteuid())
		return updown_fail(c, -EPERM, "must be run as root");
	ret = updown_load_config(c, arg);
	if (ret)
		return ret;
	c->nl = netlink_open();
	if (!c->nl)
		return updown_fail(c, -errno, "cannot open a netlink socket: %s", strerror(errno));
	return 0;
}

/* --- signals ---------------------------------------------------------------- */

void updown_block_signals(struct updown_ctx *c)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, &c->child_mask);
	c->signals_blocked = true;
}

bool updown_interrupted(void)
{
	sigset_t set;

	return !sigpending(&set) && (sigismember(&set, SIGINT) || sigismember(&set, SIGTERM) ||
				     sigismember(&set, SIGHUP));
}

/* Takes the pending signals, so that unblocking them does not kill us
 * after we have cleaned up; the caller reports the interruption. */
void updown_unblock_signals(struct updown_ctx *c)
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
	sigprocmask(SIG_SETMASK, &c->child_mask, NULL);
	c->signals_blocked = false;
}

/* --- entry points ------------------------------------------------------------- */

static void ctx_uninit(struct updown_ctx *c)
{
	updown_tenant_leave(c);
	updown_unlock(c);
	if (c->dirfd >= 0)
		close(c->dirfd);
	netlink_close(c->nl);
	conf_free(c->conf);
	quick_state_uninit(&c->st);
}

static int run(int (*op)(struct updown_ctx *, const char *), const char *arg,
	       const char *netns, const struct fwapply_opts *fw)
{
	struct updown_ctx c = { .dirfd = -1, .lockfd = -1, .fw = fw, .netns_fd = -1,
				.home_fd = -1 };
	int ret;

	if (netns && strlen(netns) >= sizeof(c.netns))
		return updown_fail(&c, -ENAMETOOLONG, "`%s' cannot name a network namespace: "
				   "longer than %d bytes", netns, CONF_NETNS_MAX);
	snprintf(c.netns, sizeof(c.netns), "%s", netns ? netns : "");
	sigemptyset(&c.child_mask);
	ret = op(&c, arg);
	ctx_uninit(&c);
	return ret;
}

int updown_up(const char *arg, const char *netns, const struct fwapply_opts *fw)
{
	return run(updown_run_up, arg, netns, fw);
}

int updown_down(const char *arg, const struct fwapply_opts *fw)
{
	return run(updown_run_down, arg, NULL, fw);
}
