/* src/daemon/privsep.c: the parent's request loop and the engine's
 * requests, over a real socketpair.  The test process is the parent
 * (privsep_parent over a struct daemon with two UDP pairs); a forked
 * child is the engine.  The engine binds a new port and gets its
 * sockets (SCM_RIGHTS, bound where asked), is told -EADDRINUSE for a port
 * another socket holds, has raw malformed requests (a wrong length, an
 * unknown type, port 0, port 65536) refused with -EINVAL and no
 * descriptor, sets a mark on the sockets (as root; -EPERM otherwise) and
 * commits; the parent then holds the new set, its copies of the old are
 * closed, and the refusals were not acted on. */
#define _GNU_SOURCE
#include "harness.h"

#include "daemon/daemon.h"
#include "daemon/privreq.h"
#include "daemon/privsep.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return 0;
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* A free UDP port on both families (bound and released). */
static uint16_t free_port(void)
{
	struct udp_set s = { 0 };
	uint16_t p;

	if (udp_set_open(&s, 1, 0, 0))
		return 0;
	p = s.port;
	udp_set_close(&s);
	return p;
}

/* A raw request: the answer's result, and whether descriptors came. */
static int raw(int fd, const void *buf, size_t len, bool *fds)
{
	int32_t rep[4];
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = rep, .iov_len = sizeof(rep) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof(ctl.b) };

	if (send(fd, buf, len, 0) != (ssize_t)len || recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) != sizeof(rep))
		return 1;
	*fds = CMSG_FIRSTHDR(&mh) != NULL;
	return rep[0];
}

static void engine(int fd, uint16_t old_port, uint16_t want)
{
	struct udp_set fresh = { 0 }, taken = { 0 };
	struct privreq_wire w;
	struct privreq r = { .type = PRIVREQ_BIND_UDP, .port = want };
	size_t len = privreq_build(&w, &r);
	bool fds = false;
	int mark = 0;
	socklen_t ml = sizeof(mark);

	CHECK(privsep_bind_udp(fd, want, 0, 2, &fresh) == 0);
	CHECK(fresh.n_pairs == 2 && fresh.port == want);
	for (unsigned i = 0; i < fresh.n_pairs; i++)
		CHECK(fresh.pairs[i].fd4 >= 0 && port_of(fresh.pairs[i].fd4) == want);
	/* The old port is still the parent's, its sockets in a reuseport
	 * group of root's, which a new set could join: refused as in use. */
	CHECK(privsep_bind_udp(fd, old_port, 0, 2, &taken) == -EADDRINUSE);
	CHECK(taken.pairs == NULL);
	/* A port another socket holds. */
	CHECK(udp_set_open(&taken, 1, 0, 0) == 0);
	{
		struct udp_set none = { 0 };
		CHECK(privsep_bind_udp(fd, taken.port, 0, 2, &none) == -EADDRINUSE);
		CHECK(none.pairs == NULL);
	}
	udp_set_close(&taken);
	CHECK(raw(fd, &w, len - 1, &fds) == -EINVAL && !fds);
	CHECK(raw(fd, &w, len + 1, &fds) == -EINVAL && !fds);
	w.h.type = 99;
	CHECK(raw(fd, &w, len, &fds) == -EINVAL && !fds);
	w.h.type = PRIVREQ_BIND_UDP;
	w.body.bind.port = 0;
	CHECK(raw(fd, &w, len, &fds) == -EINVAL && !fds);
	w.body.bind.port = 65536;
	CHECK(raw(fd, &w, len, &fds) == -EINVAL && !fds);
	CHECK(privsep_commit_udp(fd, true) == 0);
	/* Nothing pending any more. */
	CHECK(privsep_commit_udp(fd, true) == -ENOENT);
	if (geteuid() == 0) {
		CHECK(privsep_set_fwmark(fd, 0x42) == 0);
		CHECK(!getsockopt(fresh.pairs[1].fd4, SOL_SOCKET, SO_MARK, &mark, &ml));
		CHECK_MSG(mark == 0x42, "mark %#x", mark);
	} else {
		CHECK(privsep_set_fwmark(fd, 0x42) == -EPERM);
	}
	udp_set_close(&fresh);
}

static void test_exchange(void)
{
	static struct daemon d;
	sigset_t mask, old;
	uint16_t want = free_port();
	int sv[2], st;
	pid_t pid;

	d.n_workers = 2;
	CHECK(want != 0);
	CHECK(udp_set_open(&d.udp, 2, 0, 0) == 0);
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, &old);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		engine(sv[1], d.udp.port, want);
		_exit(harness_failures ? 3 : 0);
	}
	close(sv[1]);
	st = privsep_parent(&d, sv[0], pid, &mask);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_MSG(st == 0, "the engine side failed (status %d)", st);
	CHECK(d.udp.port == want && d.udp.n_pairs == 2);
	CHECK(port_of(d.udp.pairs[0].fd4) == want);
	/* The parent's copies of the old set are closed: its port is free. */
	udp_set_close(&d.udp);
}

static const struct harness_case cases[] = {
	{ "bind, in use, refusals, mark and commit over the socketpair", test_exchange },
};

HARNESS_MAIN(cases)
