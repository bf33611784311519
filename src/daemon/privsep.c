/* Privilege separation (privsep.h): the parent's drop and loop, the
 * engine's drop, and the engine's requests. */
#define _GNU_SOURCE
#include "privsep.h"
#include "daemon.h"
#include "privreq.h"
#include "udp.h"

#include "common/error.h"
#include "common/log.h"
#include "sys/privdrop.h"

#include <dirent.h>
#include <net/if.h>
#include <errno.h>
#include <linux/capability.h>
#include <poll.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The parent's answer to every request; a BIND_UDP's carries the
 * descriptors, pair by pair, IPv4 first, a family absent on the host
 * left out of every pair. */
struct privrep {
	int32_t result; /* 0 or -errno */
	uint32_t port;
	uint32_t n_pairs;
	uint32_t families; /* REP_V4 | REP_V6 */
};

enum {
	REP_V4 = 1,
	REP_V6 = 2,
	MAX_FDS = 2 * 64, /* two per data thread, at most 64 threads (main.c) */
	/* How long the parent waits for an engine that closed its end to
	 * exit by itself before it kills it. */
	ENGINE_GRACE_MS = 2000,
};

static const int keep[] = { CAP_NET_ADMIN, CAP_NET_BIND_SERVICE };

static bool kept(int cap)
{
	for (unsigned i = 0; i < ARRAY_SIZE(keep); i++)
		if (keep[i] == cap)
			return true;
	return false;
}

/* A capability outside the kept ones in any of the three sets. */
static bool beyond_kept(const struct __user_cap_data_struct *data)
{
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
		const struct __user_cap_data_struct *w = &data[CAP_TO_INDEX(cap)];
		uint32_t m = CAP_TO_MASK(cap);

		if (!kept(cap) && ((w->effective | w->permitted | w->inheritable) & m))
			return true;
	}
	return false;
}

int privsep_drop(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	if (!data[0].effective && !data[1].effective)
		return 0; /* nothing to drop */
	/* The bounding set first: dropping from it needs CAP_SETPCAP.  Only
	 * what is in it: under rampartd@.service it holds the kept two and
	 * nothing else, and the parent has no CAP_SETPCAP. */
	for (int cap = 0; cap <= CAP_LAST_CAP; cap++)
		if (!kept(cap) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0 &&
		    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0))
			return -errno;
	if (beyond_kept(data)) {
		/* Not under that unit, whose filter refuses capset(). */
		for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
			data[i].effective = data[i].permitted = data[i].inheritable = 0;
		for (unsigned i = 0; i < ARRAY_SIZE(keep); i++) {
			data[CAP_TO_INDEX(keep[i])].effective |= CAP_TO_MASK(keep[i]);
			data[CAP_TO_INDEX(keep[i])].permitted |= CAP_TO_MASK(keep[i]);
		}
		if (syscall(SYS_capset, &hdr, data))
			return -errno;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return 0;
}

int privsep_user_lookup(const char *name, uid_t *uid, gid_t *gid, const char **used)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name ? name : "rampart");
	*used = name ? name : "rampart";
	if (!pw && !name) {
		pw = getpwnam("nobody");
		*used = "nobody";
	}
	if (!pw)
		return -ENOENT;
	if (!pw->pw_uid || !pw->pw_gid)
		return -EPERM;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/* PRIVSEP_EMPTY_DIR exists (made if absent), is root's, writable by no
 * one else and empty. */
static int empty_dir(struct error *err)
{
	const char *path = PRIVSEP_EMPTY_DIR;
	struct stat st;
	struct dirent *e;
	DIR *dir;

	if (mkdir(path, 0555) && errno != EEXIST)
		return error_fail(err, -errno, "mkdir %s: %s", path, strerror(errno));
	if (lstat(path, &st))
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode) || st.st_uid || (st.st_mode & 022))
		return error_fail(err, -EPERM, "%s is not a directory of root's that only root "
				  "may write", path);
	dir = opendir(path);
	if (!dir)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	while ((e = readdir(dir)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			break;
	closedir(dir);
	if (e)
		return error_fail(err, -ENOTEMPTY, "%s is not empty", path);
	return 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* The sanitizer build: LeakSanitizer's exit check lists the threads in
 * /proc/PID/task, which the engine's empty root has not, and would fail
 * the exit.  It is skipped in the engine once it has chrooted (the
 * parent, and a daemon not started as root, are still checked);
 * AddressSanitizer and UBSan still report errors there, perhaps without
 * symbols. */
static bool engine_chrooted;

int __lsan_is_turned_off(void);
int __lsan_is_turned_off(void)
{
	return engine_chrooted;
}
#endif

/* The empty root, checked, then chroot and chdir into it. */
static int enter_empty_root(struct error *err)
{
	int ret = empty_dir(err);

	if (!ret && chroot(PRIVSEP_EMPTY_DIR))
		ret = error_fail(err, -errno, "chroot %s: %s", PRIVSEP_EMPTY_DIR, strerror(errno));
#if defined(__SANITIZE_ADDRESS__)
	engine_chrooted = !ret;
#endif
	if (!ret && chdir("/"))
		ret = error_fail(err, -errno, "chdir / in %s: %s", PRIVSEP_EMPTY_DIR, strerror(errno));
	return ret;
}

int privsep_engine_drop(uid_t uid, gid_t gid, pid_t parent)
{
	struct error err = { 0 };
	int ret = enter_empty_root(&err);

	/* The groups, the gids, the uids, every capability set, then the
	 * checks that none of it can be undone (privdrop.h). */
	if (!ret)
		ret = privdrop_to(uid, gid, NULL, 0, &err);
	/* The parent's death ends the engine through its socket
	 * (daemon_run watches it): a parent-death signal would not do, as
	 * the kernel checks it like a kill(2), which a parent without
	 * CAP_KILL may not send to another user.  The parent may already
	 * be gone: say so. */
	if (!ret && getppid() != parent)
		ret = error_fail(&err, -ESRCH, "the privileged parent is gone");
	if (ret)
		log_error("engine: cannot drop privileges: %s", err.msg);
	return ret;
}

int privsep_prepare_root(void)
{
	struct error err = { 0 };
	int ret = empty_dir(&err);

	if (ret)
		log_error("the engine's root: %s", err.msg);
	return ret;
}

int privsep_engine_drop_self(void)
{
	struct error err = { 0 };
	int ret = enter_empty_root(&err);

	if (!ret)
		ret = privdrop_caps(&err);
	if (ret)
		log_error("engine: cannot drop privileges: %s", err.msg);
	return ret;
}

/* ---- the parent ----------------------------------------------------------- */

struct parent {
	struct daemon *d;
	struct udp_set pending; /* bound by the last BIND_UDP, not committed */
	bool send_set;          /* the answer carries pending's descriptors */
	struct privreq_counters counters;
};

static int do_bind(void *arg, uint16_t port, uint32_t fwmark)
{
	struct parent *p = arg;
	struct udp_set fresh = { 0 };
	/* The set's sockets share the port by SO_REUSEPORT, which would let
	 * them join any group of root's sockets already on it and take a
	 * share of that service's datagrams: the port must be free. */
	int err = udp_port_free(port);

	if (!err)
		err = udp_set_open(&fresh, p->d->n_workers, port, fwmark);
	if (err)
		return err; /* a set already pending stays so */
	/* A second bind before a commit replaces the first. */
	udp_set_close(&p->pending);
	p->pending = fresh;
	p->send_set = true;
	return 0;
}

static int do_commit(void *arg, bool use)
{
	struct parent *p = arg;

	if (!p->pending.pairs)
		return -ENOENT;
	if (use) {
		/* Our copies of the old sockets go: the engine has closed
		 * its own, so the old port is free again. */
		udp_set_close(&p->d->udp);
		p->d->udp = p->pending;
		memset(&p->pending, 0, sizeof(p->pending));
	} else {
		udp_set_close(&p->pending);
	}
	return 0;
}

static int do_mark(void *arg, uint32_t fwmark)
{
	struct parent *p = arg;

	/* The same open descriptions as the engine's: the mark is theirs. */
	return udp_set_fwmark(&p->d->udp, fwmark);
}

int privsep_send_fds(int fd, const void *buf, size_t len, const int *fds, unsigned n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PRIVSEP_MAX_SEND_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t sent;

	if (n > PRIVSEP_MAX_SEND_FDS)
		return -EINVAL;
	if (n) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	sent = sendmsg(fd, &mh, MSG_NOSIGNAL);
	if (sent < 0)
		return -errno;
	return (size_t)sent == len ? 0 : -EPROTO;
}

static int send_answer(int fd, const struct privrep *rep, const struct udp_set *set)
{
	int fds[MAX_FDS];
	unsigned n = 0;

	for (unsigned i = 0; set && i < set->n_pairs && n + 2 <= MAX_FDS; i++) {
		if (set->pairs[i].fd4 >= 0)
			fds[n++] = set->pairs[i].fd4;
		if (set->pairs[i].fd6 >= 0)
			fds[n++] = set->pairs[i].fd6;
	}
	return privsep_send_fds(fd, rep, sizeof(*rep), fds, n);
}

/* One request: false when the engine has closed its end. */
static bool serve_one(struct parent *p, int fd)
{
	const struct privreq_actions acts = {
		.arg = p, .bind_udp = do_bind, .commit_udp = do_commit, .set_fwmark = do_mark,
	};
	uint8_t buf[sizeof(struct privreq_wire) + 1];
	struct privrep rep = { 0 };
	enum privreq_refusal why;
	ssize_t n;

	/* recv without room for control data: descriptors the engine might
	 * pass are discarded by the kernel. */
	n = recv(fd, buf, sizeof(buf), MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false;
	p->send_set = false;
	/* MSG_TRUNC: n is the datagram's real length, so an oversized one is
	 * refused for its length. */
	rep.result = privreq_handle(buf, (size_t)n, &acts, &p->counters, &why);
	/* Every refusal is counted; the log gets the first ten of a reason
	 * and then every power of two, so that an engine cannot flood it. */
	if (why != PRIVREQ_OK) {
		unsigned long long count = p->counters.refused[why];

		if (count <= 10 || !(count & (count - 1)))
			log_warn("refused a request from the engine (%s), %llu so far",
				 privreq_refusal_name(why), count);
	}
	if (p->send_set) {
		rep.port = p->pending.port;
		rep.n_pairs = p->pending.n_pairs;
		rep.families = (p->pending.pairs[0].fd4 >= 0 ? REP_V4 : 0) |
			       (p->pending.pairs[0].fd6 >= 0 ? REP_V6 : 0);
	}
	if (send_answer(fd, &rep, p->send_set ? &p->pending : NULL))
		return false;
	return true;
}

/* Reaps the engine, which has closed its end or been told to stop by
 * the end of the parent's: at once if it has exited, else when it does,
 * for ENGINE_GRACE_MS at most.  The parent cannot kill it (kill(2) to
 * another user needs CAP_KILL, which it does not keep); an engine that
 * outlives that has ignored its socket's end, and is left behind with a
 * message.  Its exit status (st, if it was reaped already), 1 if it was
 * killed or is left. */
static int reap(pid_t engine, bool reaped, int st)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000000 };
	pid_t r = reaped ? engine : 0;

	for (int ms = 0; ms < ENGINE_GRACE_MS && !r; ms += 10) {
		r = waitpid(engine, &st, WNOHANG);
		if (!r)
			nanosleep(&tick, NULL);
	}
	if (r != engine) {
		log_error("the engine (pid %d) did not stop in %d ms", (int)engine, ENGINE_GRACE_MS);
		return 1;
	}
	if (WIFSIGNALED(st)) {
		log_error("the engine was killed by signal %d", WTERMSIG(st));
		return 1;
	}
	return WEXITSTATUS(st);
}

/* An engine that is not our child (handover.h) leaves no exit status:
 * its end closed with the link deleted or the control socket removed is
 * what a clean stop of its own looks like (daemon_run stops on those);
 * anything else is a failure, for systemd to restart the pair. */
static bool engine_stopped_cleanly(const struct daemon *d)
{
	return if_nametoindex(d->tun.name) != d->tun.ifindex || !server_socket_present(&d->server);
}

int privsep_parent(struct daemon *d, int fd, pid_t engine, const sigset_t *mask)
{
	struct parent p = { .d = d };
	int sfd = signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
	bool run = sfd >= 0, stopping = false, reaped = false;
	int st = 0;

	if (sfd < 0)
		log_error("signalfd: %s: stopping the engine", strerror(errno));
	while (run) {
		struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s: stopping the engine", strerror(errno));
			break;
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD && engine > 0) {
				/* An exit, not a stop: the engine's end is
				 * closed too. */
				reaped = waitpid(engine, &st, WNOHANG) == engine;
				run = run && !reaped;
			} else if (!stopping) {
				/* kill(2) to another user needs CAP_KILL: the
				 * engine is told by the end of the socket, and
				 * stops as on a signal of its own. */
				log_info("%s: stopping the engine", strsignal((int)si.ssi_signo));
				shutdown(fd, SHUT_WR);
				stopping = true;
			}
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			run = serve_one(&p, fd) && run;
	}
	udp_set_close(&p.pending);
	if (sfd >= 0)
		close(sfd);
	close(fd);
	if (engine < 0)
		return stopping || engine_stopped_cleanly(d) ? 0 : 1;
	return reap(engine, reaped, st);
}

/* ---- the engine's requests ------------------------------------------------ */

ssize_t privsep_recv_fds(int fd, struct msghdr *mh, int *fds, unsigned max, unsigned *n_fds)
{
	ssize_t n;

	*n_fds = 0;
	do
		n = recvmsg(fd, mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned i = 0; i < k; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*n_fds < max)
				fds[(*n_fds)++] = got;
			else
				close(got);
		}
	}
	return n;
}

/* Sends req and waits for the answer, with up to max descriptors into
 * fds (*n_fds of them).  0 or -errno of the exchange; the answer's result
 * is rep->result. */
static int ask(int fd, const struct privreq *req, struct privrep *rep, int *fds, unsigned max,
	       unsigned *n_fds)
{
	struct privreq_wire w;
	size_t len = privreq_build(&w, req);
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = rep, .iov_len = sizeof(*rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;

	*n_fds = 0;
	if (send(fd, &w, len, MSG_NOSIGNAL) != (ssize_t)len)
		return errno ? -errno : -EPROTO;
	n = privsep_recv_fds(fd, &mh, fds, max, n_fds);
	if (n < 0)
		return (int)n;
	if (n != sizeof(*rep) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		for (unsigned i = 0; i < *n_fds; i++)
			close(fds[i]);
		*n_fds = 0;
		return -EPROTO;
	}
	return 0;
}

int privsep_bind_udp(int fd, uint16_t port, uint32_t fwmark, unsigned n_pairs,
		     struct udp_set *out)
{
	const struct privreq req = { .type = PRIVREQ_BIND_UDP, .port = port, .fwmark = fwmark };
	struct privrep rep;
	int fds[MAX_FDS];
	unsigned n = 0, per, k = 0;
	int err = ask(fd, &req, &rep, fds, MAX_FDS, &n);

	if (err)
		return err;
	per = !!(rep.families & REP_V4) + !!(rep.families & REP_V6);
	if (rep.result) {
		err = rep.result < 0 ? rep.result : -EPROTO;
	} else if (rep.n_pairs != n_pairs || !per || n != per * n_pairs || rep.port != port) {
		err = -EPROTO; /* not what was asked for */
	} else {
		out->pairs = calloc(n_pairs, sizeof(*out->pairs));
		if (!out->pairs)
			err = -ENOMEM;
	}
	if (err) {
		for (unsigned i = 0; i < n; i++)
			close(fds[i]);
		return err;
	}
	for (unsigned i = 0; i < n_pairs; i++) {
		out->pairs[i].fd4 = rep.families & REP_V4 ? fds[k++] : -1;
		out->pairs[i].fd6 = rep.families & REP_V6 ? fds[k++] : -1;
	}
	out->n_pairs = n_pairs;
	out->port = port;
	out->fwmark = fwmark;
	return 0;
}

/* A request answered with a result only. */
static int ask_plain(int fd, const struct privreq *req)
{
	struct privrep rep;
	int fds[1];
	unsigned n;
	int err = ask(fd, req, &rep, fds, 0, &n);

	if (err)
		return err;
	return rep.result <= 0 ? rep.result : -EPROTO;
}

int privsep_commit_udp(int fd, bool use)
{
	const struct privreq req = { .type = PRIVREQ_COMMIT_UDP, .use = use };

	return ask_plain(fd, &req);
}

int privsep_set_fwmark(int fd, uint32_t fwmark)
{
	const struct privreq req = { .type = PRIVREQ_SET_FWMARK, .fwmark = fwmark };

	return ask_plain(fd, &req);
}
