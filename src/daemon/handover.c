/* The handover to an engine the parent did not fork (handover.h). */
#define _GNU_SOURCE
#include "handover.h"
#include "daemon.h"
#include "monitor.h"
#include "privsep.h"

#include "common/error.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

_Static_assert(HANDOVER_MAX_FDS <= PRIVSEP_MAX_SEND_FDS, "a handover fits one message");

enum {
	MAX_QUEUES = HANDOVER_MAX_QUEUES,
	MAX_FDS = HANDOVER_MAX_FDS,
	FAM_V4 = HANDOVER_V4,
	FAM_V6 = HANDOVER_V6,
	RETRY_MS = 50,
};

static int sock_path(const char *ifname, struct sockaddr_un *sun, struct error *err)
{
	int n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s.sock", HANDOVER_DIR, ifname);

	sun->sun_family = AF_UNIX;
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path))
		return error_fail(err, -ENAMETOOLONG, "%s/%s.sock: name too long", HANDOVER_DIR,
				  ifname);
	return 0;
}

int handover_listen(const char *ifname, struct error *err)
{
	struct sockaddr_un sun;
	int fd, ret = sock_path(ifname, &sun, err);

	if (ret)
		return ret;
	if (mkdir(HANDOVER_DIR, 0755) && errno != EEXIST)
		return error_fail(err, -errno, "mkdir %s: %s", HANDOVER_DIR, strerror(errno));
	/* A socket left by a parent that was killed: nobody listens on it,
	 * and the name is ours (one daemon per interface). */
	if (unlink(sun.sun_path) && errno != ENOENT)
		return error_fail(err, -errno, "%s: %s", sun.sun_path, strerror(errno));
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return error_fail(err, -errno, "socket: %s", strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || chmod(sun.sun_path, 0666) ||
	    listen(fd, 4)) {
		ret = error_fail(err, -errno, "%s: %s", sun.sun_path, strerror(errno));
		unlink(sun.sun_path);
		close(fd);
		return ret;
	}
	return fd;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uid_t peer_uid(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ? (uid_t)-1 : cred.uid;
}

int handover_accept(int lfd, const char *ifname, uid_t uid, int sigfd, int wait_ms,
		    unsigned *refused, struct error *err)
{
	const uint64_t until = now_ms() + (uint64_t)wait_ms;
	int ret = -ETIMEDOUT;

	while (ret == -ETIMEDOUT) {
		struct pollfd pfd[2] = { { .fd = lfd, .events = POLLIN }, { .fd = sigfd, .events = POLLIN } };
		uint64_t t = now_ms();
		int n, c;

		if (t >= until)
			break;
		n = poll(pfd, sigfd >= 0 ? 2 : 1, (int)(until - t));
		if (n < 0 && errno != EINTR) {
			ret = error_fail(err, -errno, "poll: %s", strerror(errno));
			break;
		}
		if (n > 0 && sigfd >= 0 && pfd[1].revents) {
			ret = error_fail(err, -EINTR, "stopped before the engine connected");
			break;
		}
		c = n > 0 ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC) : -1;
		if (c < 0)
			continue;
		if (peer_uid(c) == uid && uid) {
			ret = c;
		} else {
			/* Someone else's process: not the engine. */
			close(c);
			(*refused)++;
		}
	}
	if (ret == -ETIMEDOUT)
		error_fail(err, ret, "no engine (uid %u) connected within %d ms", (unsigned)uid, wait_ms);
	handover_unlisten(lfd, ifname);
	return ret;
}

void handover_unlisten(int lfd, const char *ifname)
{
	struct sockaddr_un sun;
	struct error ignored = { 0 };

	if (!sock_path(ifname, &sun, &ignored))
		unlink(sun.sun_path);
	close(lfd);
}

/* The UDP set's families, from its first pair: every pair has the same. */
static uint32_t set_families(const struct udp_set *set)
{
	if (!set->n_pairs)
		return 0;
	return (set->pairs[0].fd4 >= 0 ? FAM_V4 : 0) | (set->pairs[0].fd6 >= 0 ? FAM_V6 : 0);
}

static unsigned collect_fds(const struct daemon *d, int *fds)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->tun.n_queues; i++)
		fds[n++] = d->tun.fds[i];
	fds[n++] = d->server.listen_fd;
	if (d->stats_server.listen_fd >= 0)
		fds[n++] = d->stats_server.listen_fd;
	fds[n++] = monitor_link_fd(d->monitor);
	fds[n++] = monitor_file_fd(d->monitor);
	for (unsigned i = 0; i < d->udp.n_pairs; i++) {
		if (d->udp.pairs[i].fd4 >= 0)
			fds[n++] = d->udp.pairs[i].fd4;
		if (d->udp.pairs[i].fd6 >= 0)
			fds[n++] = d->udp.pairs[i].fd6;
	}
	return n;
}

int handover_send(int fd, const struct daemon *d)
{
	struct handover_wire w = {
		.magic = HANDOVER_MAGIC, .n_queues = d->tun.n_queues, .ifindex = d->tun.ifindex,
		.mtu = d->dev.mtu, .families = set_families(&d->udp), .port = d->udp.port,
		.has_stats = d->stats_server.listen_fd >= 0, .fwmark = d->udp.fwmark,
		.offloads = atomic_load(&d->offloads), .tun_vnet = d->tun.vnet,
		.ctl_dev = d->server.dev, .ctl_ino = d->server.ino,
		.stats_dev = d->stats_server.dev, .stats_ino = d->stats_server.ino,
	};
	int fds[MAX_FDS];
	unsigned n;

	if (d->tun.n_queues > MAX_QUEUES || d->udp.n_pairs != d->tun.n_queues || !d->monitor)
		return -EINVAL;
	memcpy(w.ifname, d->tun.name, sizeof(w.ifname));
	memcpy(w.ctl_path, d->server.path, sizeof(w.ctl_path));
	memcpy(w.stats_path, d->stats_server.path, sizeof(w.stats_path));
	n = collect_fds(d, fds);
	return privsep_send_fds(fd, &w, sizeof(w), fds, n);
}

int handover_connect(const char *ifname, int wait_ms, struct error *err)
{
	const uint64_t until = now_ms() + (uint64_t)wait_ms;
	const struct timespec tick = { .tv_nsec = RETRY_MS * 1000000L };
	struct sockaddr_un sun;
	int ret = sock_path(ifname, &sun, err);

	while (!ret) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return error_fail(err, -errno, "socket: %s", strerror(errno));
		if (!connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			if (peer_uid(fd) == 0)
				return fd;
			close(fd);
			return error_fail(err, -EPERM, "%s is not root's: not the privileged parent",
					  sun.sun_path);
		}
		ret = -errno;
		close(fd);
		if ((ret == -ENOENT || ret == -ECONNREFUSED) && now_ms() < until) {
			nanosleep(&tick, NULL);
			ret = 0;
		}
	}
	return error_fail(err, ret, "%s: %s", sun.sun_path, strerror(-ret));
}

/* How many descriptors w says come with it; 0 if it is malformed. */
static unsigned expected_fds(const struct handover_wire *w)
{
	unsigned per = !!(w->families & FAM_V4) + !!(w->families & FAM_V6);

	if (!w->n_queues || w->n_queues > MAX_QUEUES || !per || (w->families & ~3u) ||
	    !w->ifindex || !w->mtu || w->mtu > 65535 || w->port > 65535 ||
	    w->has_stats > 1 || w->tun_vnet > 1 ||
	    !memchr(w->ifname, 0, sizeof(w->ifname)) || !w->ifname[0] ||
	    !memchr(w->ctl_path, 0, sizeof(w->ctl_path)) ||
	    !memchr(w->stats_path, 0, sizeof(w->stats_path)))
		return 0;
	return w->n_queues + 1 + !!w->has_stats + 2 + per * w->n_queues;
}

int handover_parse(const void *buf, size_t len, unsigned n_fds, struct handover_wire *out)
{
	struct handover_wire w;
	unsigned want;

	memset(out, 0, sizeof(*out));
	if (len != sizeof(w))
		return -EPROTO;
	memcpy(&w, buf, sizeof(w));
	if (w.magic != HANDOVER_MAGIC)
		return -EPROTO;
	want = expected_fds(&w);
	if (!want || n_fds != want)
		return -EPROTO;
	*out = w;
	return 0;
}

/* The message and its descriptors; -EPROTO (all closed) unless exactly
 * one message with SCM_RIGHTS came whole and handover_parse takes it. */
static int receive(int fd, struct handover_wire *w, int *fds, unsigned *n_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	unsigned char buf[sizeof(*w)];
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n = privsep_recv_fds(fd, &mh, fds, MAX_FDS, n_fds);

	if (n < 0)
		return (int)n;
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    handover_parse(buf, (size_t)n, *n_fds, w)) {
		for (unsigned i = 0; i < *n_fds; i++)
			close(fds[i]);
		*n_fds = 0;
		return -EPROTO;
	}
	return 0;
}

static void adopt_server(struct daemon *d, struct server *s, int fd, const char *path,
			 uint64_t dev, uint64_t ino, const char *what, bool stats)
{
	s->listen_fd = fd;
	s->what = what;
	s->stats = stats;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->dev = (dev_t)dev;
	s->ino = (ino_t)ino;
	daemon_server_ops(d, &s->ops);
}

/* d from w and its descriptors, in handover_send's order; *taken once d
 * holds them (daemon_uninit closes them), else the caller must. */
static int adopt_fds(struct daemon *d, const struct handover_wire *w, const int *fds, bool *taken)
{
	unsigned k = 0, mon;
	char name[IFNAMSIZ + 8];

	d->tun.fds = calloc(w->n_queues, sizeof(*d->tun.fds));
	d->udp.pairs = calloc(w->n_queues, sizeof(*d->udp.pairs));
	if (!d->tun.fds || !d->udp.pairs) {
		/* Nothing taken yet: the caller closes them all. */
		free(d->tun.fds);
		free(d->udp.pairs);
		d->tun.fds = NULL;
		d->udp.pairs = NULL;
		return -ENOMEM;
	}
	*taken = true;
	memcpy(d->tun.name, w->ifname, sizeof(d->tun.name));
	d->tun.ifindex = w->ifindex;
	d->tun.n_queues = d->tun.n_fds = w->n_queues;
	d->tun.vnet = w->tun_vnet != 0;
	d->tun.offloads = w->offloads & (OFFLOAD_TSO | OFFLOAD_USO);
	for (unsigned i = 0; i < w->n_queues; i++)
		d->tun.fds[i] = fds[k++];
	adopt_server(d, &d->server, fds[k++], w->ctl_path, w->ctl_dev, w->ctl_ino,
		     "control socket", false);
	snprintf(d->sock_path, sizeof(d->sock_path), "%s", d->server.path);
	if (w->has_stats)
		adopt_server(d, &d->stats_server, fds[k++], w->stats_path, w->stats_dev,
			     w->stats_ino, "statistics socket", true);
	mon = k;
	k += 2;
	d->udp.n_pairs = w->n_queues;
	d->udp.port = (uint16_t)w->port;
	d->udp.fwmark = w->fwmark;
	for (unsigned i = 0; i < w->n_queues; i++) {
		d->udp.pairs[i].fd4 = w->families & FAM_V4 ? fds[k++] : -1;
		d->udp.pairs[i].fd6 = w->families & FAM_V6 ? fds[k++] : -1;
	}
	/* Last: it closes its two itself when it fails. */
	snprintf(name, sizeof(name), "%s.sock", d->tun.name);
	d->monitor = monitor_adopt(fds[mon], fds[mon + 1], d->tun.ifindex, name);
	return d->monitor ? 0 : -errno;
}

int handover_adopt(struct daemon *d, int fd, struct error *err)
{
	struct handover_wire w;
	int fds[MAX_FDS];
	unsigned n;
	bool taken = false;
	int ret;

	/* First, so that daemon_uninit may follow any failure. */
	daemon_init_base(d, "", 0);
	ret = receive(fd, &w, fds, &n);
	if (ret)
		return error_fail(err, ret, "the parent's handover: %s",
				  ret == -EPROTO ? "malformed" : strerror(-ret));
	snprintf(d->ifname, sizeof(d->ifname), "%s", w.ifname);
	d->n_workers = w.n_queues;
	d->priv_fd = fd;
	atomic_store(&d->offloads, w.offloads & OFFLOAD_ALL);
	ret = adopt_fds(d, &w, fds, &taken);
	if (ret) {
		if (!taken)
			for (unsigned i = 0; i < n; i++)
				close(fds[i]);
		return error_fail(err, ret, "the parent's handover: %s", strerror(-ret));
	}
	ret = daemon_init_core(d, w.mtu);
	return ret ? error_fail(err, ret, "setting up the device: %s", strerror(-ret)) : 0;
}
