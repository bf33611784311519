/* The confirm window (firewall.h): how it ends (settle), the guard that
 * rolls it back at its deadline, and the wait of the command that
 * opened it. */
#define _GNU_SOURCE /* pipe2, close_range, sigabbrev_np */
#include "window.h"

#include "fwdir.h"
#include "nft.h"
#include "common/error.h"
#include "common/fileio.h"
#include "sys/caps.h"
#include "sys/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* --- ending a window ------------------------------------------------------------ */

/* Under the lock: ends window p.  Rolled back or flushed: the table is
 * restored (or deleted) first; if that fails the record stays, so that
 * the next command tries again, and -EIO.  Then snapshot.nft becomes the
 * window's snapshot (the table before the last apply), the outcome is
 * written (before the record goes, so a waiter that sees the record gone
 * finds it), and the record is removed. */
int window_settle(struct fwdir *d, const struct fwdir_pending *p, enum fwdir_outcome how,
		  const char *reason, struct error *err)
{
	const char *verb = how == FWDIR_FLUSHED ? "deleting" : "restoring";
	struct error e;
	char why[FWDIR_REASON_STRLEN];
	int ret = 0;

	if (how == FWDIR_ROLLED_BACK)
		ret = firewall_run(p->restore, &e);
	else if (how == FWDIR_FLUSHED)
		ret = nft_delete_table(d->table, &e);
	if (ret) {
		/* One line: fwdir_outcome_format makes it so. */
		snprintf(why, sizeof(why), "%s, but %s table inet %s failed: %.*s", reason, verb,
			 d->table, 120, e.msg);
		fwdir_outcome_write(d, p->id, FWDIR_FAILED, why);
		return error_fail(err, -EIO, "%s; %s table inet %s failed (%s/" FW_PENDING
			    " is kept for another try): %s", reason, verb, d->table, d->path, e.msg);
	}
	/* Best effort: apply wrote the same snapshot already. */
	if (fileio_write_atomic(d->dirfd, FW_SNAPSHOT, p->restore, strlen(p->restore), 0600)) {
		/* best effort, as before the window */
	}
	fwdir_outcome_write(d, p->id, how, reason);
	if (unlinkat(d->dirfd, FW_PENDING, 0) < 0 && errno != ENOENT)
		return error_fail(err, -errno, "%s/" FW_PENDING ": %s", d->path, strerror(errno));
	return 0;
}

/* Under the lock: reads the open window into *p.  A window past its
 * deadline is rolled back here (its guard is late or gone) and counts as
 * none.  1: a live window in *p (free with fwdir_pending_free); 0: none;
 * -errno. */
int window_live(struct fwdir *d, struct fwdir_pending *p, struct error *err)
{
	char reason[FWDIR_REASON_STRLEN];
	int ret = fwdir_pending_read(d->dirfd, p);

	if (ret == -ENOENT)
		return 0;
	if (ret)
		return error_fail(err, ret, "%s/" FW_PENDING ": %s", d->path,
			    ret == -EBADMSG ? "not a pending record" : strerror(-ret));
	if (fwdir_boottime_ns() < p->deadline)
		return 1;
	snprintf(reason, sizeof(reason), "not confirmed within %u s", p->secs);
	ret = window_settle(d, p, FWDIR_ROLLED_BACK, reason, err);
	fwdir_pending_free(p);
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

/* What the guard tells the command once it runs (or could not start):
 * one write, atomic on a pipe. */
struct guard_report {
	pid_t pid;  /* the guard's, or 0 if it could not start */
	int code;   /* -errno when pid is 0 */
	char msg[FWDIR_REASON_STRLEN];
};

enum {
	/* Enough for the guard's own descriptors (stdio, the directory,
	 * the lock, the timer, inotify, the report) and libnftables' (a
	 * netlink socket, the batch's memfd and its /proc path, the
	 * files of /etc/iproute2 it reads) with room to spare. */
	GUARD_NOFILE = 32,
};

static void report_failure(int ready, const struct error *e)
{
	struct guard_report r = { .pid = 0, .code = e->code };

	snprintf(r.msg, sizeof(r.msg), "%.*s", (int)sizeof(r.msg) - 1, e->msg);
	if (write(ready, &r, sizeof(r)) != sizeof(r)) {
		/* the command sees a short report: "did not start" */
	}
}

/* The guard's first steps: out of the way of the command's signals,
 * stdio and descriptors.  The ready pipe's new descriptor, or -1 (no
 * report: the command says the guard did not start). */
static int guard_detach(struct fwdir *d, int ready)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN,
				       SIGTTOU, SIGUSR1, SIGUSR2 };
	sigset_t none;
	int devnull;

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
	if (d->dirfd < 0 || ready < 0 || devnull < 0)
		return -1;
	dup2(devnull, 0);
	dup2(devnull, 1);
	dup2(devnull, 2);
	close_fds_except(d->dirfd, ready);
	if (chdir("/") < 0)
		return -1;
	return ready;
}

/* Debug builds only: RAMPART_DEBUG_GUARD=keep-privileges starts a guard
 * that keeps everything (the tests' negative control), =fail-drop one
 * whose drop fails (the apply must then refuse).  1: skip the drop. */
static int debug_guard(struct error *err)
{
#ifdef RAMPART_DEBUG
	const char *v = getenv("RAMPART_DEBUG_GUARD");

	if (v && !strcmp(v, "keep-privileges"))
		return 1;
	if (v && !strcmp(v, "fail-drop"))
		return error_fail(err, -EPERM, "RAMPART_DEBUG_GUARD=fail-drop");
#else
	(void)err;
#endif
	return 0;
}

/* The guard keeps only what it needs: CAP_NET_ADMIN, for its one
 * nftables table, and the files of its state directory.  It stays uid 0,
 * because those files are root's (0600, in a 0700 directory, refused if
 * not the euid's); without CAP_DAC_OVERRIDE and the like, uid 0 acts on
 * files as their owner only, and owns nearly every file of the host, so
 * the file system is made read-only for it but that directory. */
static int guard_confine(struct fwdir *d, struct error *err)
{
	struct rlimit nofile = { GUARD_NOFILE, GUARD_NOFILE }, cur;
	struct stat before, after;
	int fd, ret = debug_guard(err);

	if (ret)
		return ret < 0 ? ret : 0;
	if (fstat(d->dirfd, &before))
		return error_fail(err, -errno, "%s: %s", d->path, strerror(errno));
	ret = confine_mounts(d->path, err);
	if (ret)
		return ret;
	/* The old descriptor writes through the old, writable mounts. */
	fd = open(d->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_fail(err, -errno, "%s: %s", d->path, strerror(errno));
	if (fstat(fd, &after) || after.st_dev != before.st_dev || after.st_ino != before.st_ino) {
		close(fd);
		return error_fail(err, -ESTALE, "%s changed under the guard", d->path);
	}
	ret = dup3(fd, d->dirfd, O_CLOEXEC);
	close(fd);
	if (ret < 0)
		return error_fail(err, -errno, "dup3: %s", strerror(errno));
	/* Lower only: a smaller limit from the caller stays. */
	if (getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_max < nofile.rlim_max)
		nofile = cur;
	if (setrlimit(RLIMIT_NOFILE, &nofile))
		return error_fail(err, -errno, "RLIMIT_NOFILE: %s", strerror(errno));
	return caps_keep(CAPS_BIT(CAP_NET_ADMIN), err);
}

/* Until the deadline (tfd) or the end of window id, which inotify on the
 * state directory (ino, or -1) or a look every second sees.  Returns at
 * the deadline. */
static void guard_wait(struct fwdir *d, int tfd, int ino, const char *id)
{
	for (;;) {
		struct pollfd fds[2] = { { .fd = tfd, .events = POLLIN }, { .fd = ino, .events = POLLIN } };
		char buf[4096];

		if (poll(fds, ino >= 0 ? 2 : 1, 1000) < 0 && errno != EINTR)
			_exit(1);
		if (fds[0].revents & POLLIN)
			return;
		if (ino >= 0 && (fds[1].revents & POLLIN))
			while (read(ino, buf, sizeof(buf)) > 0)
				;
		if (!fwdir_pending_is(d->dirfd, id))
			_exit(0);
	}
}

/* At the deadline, under the lock: rolls window id back if it is still
 * open. */
static void guard_rollback(struct fwdir *d, const char *id)
{
	char reason[FWDIR_REASON_STRLEN];
	struct fwdir_pending p;
	struct error e;

	if (fwdir_lock(d, &e))
		_exit(1);
	if (fwdir_pending_read(d->dirfd, &p))
		return;
	if (!strcmp(p.id, id)) {
		openlog("rampart", LOG_PID, LOG_DAEMON);
		snprintf(reason, sizeof(reason), "not confirmed within %u s", p.secs);
		if (window_settle(d, &p, FWDIR_ROLLED_BACK, reason, &e))
			syslog(LOG_ERR, "firewall change on %s %s", d->ifname, e.msg);
		else
			syslog(LOG_WARNING, "firewall change on %s not confirmed within %u s: "
			       "table inet %s rolled back", d->ifname, p.secs, d->table);
		closelog();
	}
	fwdir_pending_free(&p);
}

/* The guard: a grandchild in its own session, so that neither the end of
 * the command, nor SIGKILL to it or to its process group, nor a hangup of
 * its terminal stops it.  It gives up what it does not need
 * (guard_confine), reports on ready once its deadline timer is armed,
 * waits for the deadline or the end of the window, and at the deadline,
 * under the lock, rolls the window back if it is still open.  If the
 * drop fails it says why on ready and exits before the command changes
 * anything: there is never a window without a guard, nor a guard with
 * more than it needs.  It never returns. */
static __attribute__((noreturn)) void guard_main(struct fwdir *d, int ready, const char *id,
						  uint64_t deadline)
{
	struct guard_report r = { .pid = getpid() };
	struct itimerspec its = { 0 };
	char watch[48];
	struct error e;
	int tfd, ino;

	ready = guard_detach(d, ready);
	if (ready < 0)
		_exit(1);
	if (guard_confine(d, &e)) {
		report_failure(ready, &e);
		_exit(1);
	}
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
	if (write(ready, &r, sizeof(r)) != sizeof(r))
		_exit(1);
	close(ready);
	guard_wait(d, tfd, ino, id);
	guard_rollback(d, id);
	_exit(0);
}

/* Starts the guard for window id and waits until it runs: 0 and its pid,
 * or -errno. */
int window_guard_start(struct fwdir *d, const char *id, uint64_t deadline, pid_t *guard,
		       struct error *err)
{
	struct guard_report r = { 0 };
	int pipefd[2], status;
	pid_t child;
	ssize_t n;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return error_fail(err, -errno, "pipe: %s", strerror(errno));
	fflush(NULL); /* no stdio buffer is written twice */
	child = fork();
	if (child < 0) {
		int e = errno;

		close(pipefd[0]);
		close(pipefd[1]);
		return error_fail(err, -e, "cannot start the rollback guard: fork: %s",
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
		n = read(pipefd[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == sizeof(r) && !r.pid && r.code < 0)
		return error_fail(err, r.code, "the rollback guard could not give up its "
				  "privileges (%.*s); nothing applied", (int)sizeof(r.msg), r.msg);
	if (n != sizeof(r) || r.pid <= 0)
		return error_fail(err, -ECHILD, "the rollback guard did not start; nothing applied");
	*guard = r.pid;
	return 0;
}

/* --- waiting for the end of the window ------------------------------------------ */

static volatile sig_atomic_t wait_signal;

static void on_wait_signal(int sig)
{
	wait_signal = sig;
}

enum wait_action { WAIT_NONE, WAIT_CONFIRM, WAIT_SIGNAL, WAIT_LOOK, WAIT_OVERDUE };

/* One look, FIREWALL_POLL_MS long: has the operator confirmed, has a
 * signal come, has the record changed or the guard missed its deadline? */
static enum wait_action wait_look(struct fwdir *d, const struct fwdir_pending *mine,
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
	if (!fwdir_pending_is(d->dirfd, mine->id))
		return WAIT_LOOK;
	if (fwdir_boottime_ns() >= mine->deadline + (uint64_t)FIREWALL_GUARD_GRACE_MS * NS_PER_MS)
		return WAIT_OVERDUE; /* the guard is gone: do its work */
	return WAIT_NONE;
}

/* Under the lock: ends our own window p as act says. */
static int wait_settle(struct fwdir *d, const struct fwdir_pending *p, enum wait_action act,
		       bool *kept, struct error *err)
{
	char reason[FWDIR_REASON_STRLEN];
	int ret;

	if (act == WAIT_CONFIRM && fwdir_boottime_ns() < p->deadline) {
		ret = window_settle(d, p, FWDIR_KEPT, "confirmed on the terminal", err);
		*kept = !ret;
		return ret;
	}
	if (act == WAIT_SIGNAL)
		snprintf(reason, sizeof(reason), "rolled back on SIG%s",
			 sigabbrev_np(wait_signal) ? sigabbrev_np(wait_signal) : "?");
	else
		snprintf(reason, sizeof(reason), "not confirmed within %u s", p->secs);
	ret = window_settle(d, p, FWDIR_ROLLED_BACK, reason, err);
	if (!ret)
		error_fail(err, 0, "%s", reason);
	*kept = false;
	return ret;
}

/* Under the lock: window `mine` was ended by someone else; its outcome. */
static int wait_outcome(struct fwdir *d, const struct fwdir_pending *mine, bool *kept, struct error *err)
{
	char reason[FWDIR_REASON_STRLEN];
	enum fwdir_outcome o;

	if (fwdir_outcome_read(d->dirfd, mine->id, &o, reason, sizeof(reason))) {
		*kept = false;
		return error_fail(err, -EIO, "the confirm window on %s ended and left no "
				   "outcome; see `rampart firewall show %s`", d->ifname, d->ifname);
	}
	*kept = o == FWDIR_KEPT;
	if (o == FWDIR_FAILED)
		return error_fail(err, -EIO, "%s", reason);
	if (!*kept)
		error_fail(err, 0, "%s", o == FWDIR_FLUSHED ?
			    "the table was flushed (rampart firewall flush)" : reason);
	return 0;
}

/* Under the lock: acts on what the look saw.  1: the window is still
 * open (the record was written again between two looks: the guard's
 * pid); else how it ended. */
static int wait_end(struct fwdir *d, const struct fwdir_pending *mine, enum wait_action act,
		    bool *kept, struct error *err)
{
	struct fwdir_pending p;
	int ret;

	if (fwdir_pending_read(d->dirfd, &p))
		return wait_outcome(d, mine, kept, err);
	if (strcmp(p.id, mine->id)) {
		fwdir_pending_free(&p);
		return wait_outcome(d, mine, kept, err);
	}
	ret = act == WAIT_LOOK ? 1 : wait_settle(d, &p, act, kept, err);
	fwdir_pending_free(&p);
	return ret;
}

/* After the apply: waits for the end of window `mine`.  The lock is not
 * held while waiting, only to act. */
int window_wait(struct fwdir *d, const struct fwdir_pending *mine,
		       const struct firewall_ui *ui, bool *kept, struct error *err)
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
		ret = fwdir_lock(d, err);
		if (ret == -ESTALE) {
			/* firewall_forget removes the state only once no window
			 * is open: ours was closed, and the interface taken
			 * down. */
			*kept = false;
			ret = 0;
			error_fail(err, 0, "the window was closed and the firewall state of %s "
				    "removed (rampart down)", d->ifname);
			break;
		}
		if (ret)
			break;
		ret = wait_end(d, mine, act, kept, err);
		fwdir_unlock(d);
		if (ret != 1)
			break;
	}

	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &old[i], NULL);
	return ret;
}
