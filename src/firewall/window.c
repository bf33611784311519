/* The confirm window (firewall.h): how it ends (settle), the guard that
 * rolls it back at its deadline, and the wait of the command that
 * opened it. */
#define _GNU_SOURCE /* pipe2, close_range, sigabbrev_np */
#include "window.h"

#include "fwdir.h"
#include "nft.h"
#include "common/error.h"
#include "common/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
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
		snprintf(why, sizeof(why), "%s, but %s table inet %s failed: %.*s", reason, verb,
			 d->table, 120, e.msg);
		for (char *c = why; *c; c++)
			if (*c == '\n')
				*c = ' ';
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
	struct fwdir_pending p;
	char watch[48], reason[FWDIR_REASON_STRLEN];
	struct error e;
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
		if (!fwdir_pending_is(d->dirfd, id))
			_exit(0);
	}

	if (fwdir_lock(d, &e))
		_exit(1);
	if (!fwdir_pending_read(d->dirfd, &p)) {
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
	_exit(0);
}

/* Starts the guard for window id and waits until it runs: 0 and its pid,
 * or -errno. */
int window_guard_start(struct fwdir *d, const char *id, uint64_t deadline, pid_t *guard,
		       struct error *err)
{
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
		n = read(pipefd[0], guard, sizeof(*guard));
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n != sizeof(*guard))
		return error_fail(err, -ECHILD, "the rollback guard did not start; nothing applied");
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
