/* UDP sockets and batched I/O for the data path (udp.h). */
#define _GNU_SOURCE
#include "udp.h"

#include "common/log.h"
#include "proto/peer.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
	/* Socket buffers: a burst of a few thousand full-size datagrams. */
	UDP_SOCKBUF = 4 << 20,
	/* Tries to find a random port free on both families. */
	UDP_PORT_TRIES = 100,
	/* The local address, and a UDP_GRO or UDP_SEGMENT size. */
	CMSG_ROOM = CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(int)),
	/* What one UDP_SEGMENT send may carry (the kernel's UDP_MAX_SEGMENTS
	 * and a UDP payload's limit, with room for the headers). */
	GSO_MAX_SEGS = 64,
	GSO_MAX_BYTES = 65000,
};

/* Whether sockets opened from now on ask for UDP_GRO (udp_want_gro). */
static bool want_gro;

void udp_want_gro(bool on)
{
	want_gro = on;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val)) ? -errno : 0;
}

static void set_buffers(int fd)
{
	/* FORCE needs CAP_NET_ADMIN and ignores rmem_max; fall back. */
	if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, UDP_SOCKBUF))
		(void)set_int(fd, SOL_SOCKET, SO_RCVBUF, UDP_SOCKBUF);
	if (set_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, UDP_SOCKBUF))
		(void)set_int(fd, SOL_SOCKET, SO_SNDBUF, UDP_SOCKBUF);
}

/* One bound socket of family on port, or -errno.  -EAFNOSUPPORT means the
 * family is not available on this host. */
static int open_one(int family, uint16_t port, uint32_t fwmark, bool reuseport,
		    uint16_t *bound)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, err;

	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sl = sizeof(*sin);
		err = set_int(fd, IPPROTO_IP, IP_PKTINFO, 1);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = in6addr_any;
		sl = sizeof(*sin6);
		err = set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1);
		if (!err)
			err = set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	}
	if (!err && reuseport)
		err = set_int(fd, SOL_SOCKET, SO_REUSEPORT, 1);
	if (!err && fwmark)
		err = set_int(fd, SOL_SOCKET, SO_MARK, (int)fwmark);
	if (err)
		goto fail;
	/* Best effort: without it (a kernel before 5.0) every datagram comes
	 * alone, which the reader handles the same. */
	if (want_gro)
		(void)set_int(fd, SOL_UDP, UDP_GRO, 1);
	set_buffers(fd);
	if (bind(fd, (struct sockaddr *)&ss, sl)) {
		err = -errno;
		goto fail;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		err = -errno;
		goto fail;
	}
	*bound = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					 : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
fail:
	close(fd);
	return err;
}

static void close_pairs(struct udp_pair *pairs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		close_fd(&pairs[i].fd4);
		close_fd(&pairs[i].fd6);
	}
}

/* Binds every pair on port; -errno on failure with nothing left open. */
static int open_on(struct udp_pair *pairs, unsigned n, uint16_t port, uint32_t fwmark,
		   uint16_t *bound)
{
	bool reuse = n > 1;
	bool have4 = true, have6 = true;
	uint16_t got = port;
	int fd;

	for (unsigned i = 0; i < n; i++)
		pairs[i].fd4 = pairs[i].fd6 = -1;
	for (unsigned i = 0; i < n; i++) {
		if (have4) {
			fd = open_one(AF_INET, got, fwmark, reuse, &got);
			if (fd == -EAFNOSUPPORT && i == 0)
				have4 = false;
			else if (fd < 0)
				goto fail;
			else
				pairs[i].fd4 = fd;
		}
		if (have6) {
			fd = open_one(AF_INET6, got, fwmark, reuse, &got);
			if (fd == -EAFNOSUPPORT && i == 0)
				have6 = false;
			else if (fd < 0)
				goto fail;
			else
				pairs[i].fd6 = fd;
		}
		if (!have4 && !have6) {
			fd = -EAFNOSUPPORT;
			goto fail;
		}
	}
	*bound = got;
	return 0;
fail:
	close_pairs(pairs, n);
	return fd;
}

int udp_set_open(struct udp_set *set, unsigned n_pairs, uint16_t port, uint32_t fwmark)
{
	struct udp_pair *pairs;
	uint16_t bound = 0;
	int err = -EADDRINUSE;

	if (!n_pairs)
		return -EINVAL;
	pairs = calloc(n_pairs, sizeof(*pairs));
	if (!pairs)
		return -ENOMEM;
	/* A random port is chosen by the first IPv4 bind; the other sockets
	 * may find it taken (IPv6 is a separate port space): try again. */
	for (int tries = 0; tries < (port ? 1 : UDP_PORT_TRIES); tries++) {
		err = open_on(pairs, n_pairs, port, fwmark, &bound);
		if (err != -EADDRINUSE)
			break;
	}
	if (err) {
		free(pairs);
		return err;
	}
	set->pairs = pairs;
	set->n_pairs = n_pairs;
	set->port = bound;
	set->fwmark = fwmark;
	return 0;
}

int udp_port_free(uint16_t port)
{
	const int families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		uint16_t bound;
		/* No SO_REUSEPORT: the bind fails if any socket holds the
		 * port, a reuseport group of the same user's included. */
		int fd = open_one(families[i], port, 0, false, &bound);

		if (fd == -EAFNOSUPPORT)
			continue;
		if (fd < 0)
			return fd;
		close(fd);
	}
	return 0;
}

void udp_set_close(struct udp_set *set)
{
	if (set->pairs)
		close_pairs(set->pairs, set->n_pairs);
	free(set->pairs);
	set->pairs = NULL;
	set->n_pairs = 0;
}

int udp_set_fwmark(struct udp_set *set, uint32_t fwmark)
{
	for (unsigned i = 0; i < set->n_pairs; i++) {
		int fds[2] = { set->pairs[i].fd4, set->pairs[i].fd6 };
		for (int j = 0; j < 2; j++) {
			if (fds[j] < 0)
				continue;
			int err = set_int(fds[j], SOL_SOCKET, SO_MARK, (int)fwmark);
			if (err)
				return err;
		}
	}
	set->fwmark = fwmark;
	return 0;
}

static void from_sockaddr(struct endpoint *ep, const struct sockaddr_storage *ss)
{
	memset(ep, 0, sizeof(*ep));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		ep->family = AF_INET;
		memcpy(ep->addr, &sin->sin_addr, 4);
		ep->port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		ep->family = AF_INET6;
		memcpy(ep->addr, &sin6->sin6_addr, 16);
		ep->port = ntohs(sin6->sin6_port);
		ep->local_ifindex = sin6->sin6_scope_id;
	}
}

static void from_cmsg(struct endpoint *ep, struct msghdr *mh, uint16_t *gro_size)
{
	*gro_size = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
			int size;
			memcpy(&size, CMSG_DATA(c), sizeof(size));
			*gro_size = size > 0 && size <= UINT16_MAX ? (uint16_t)size : 0;
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ep->local_family = AF_INET;
			memcpy(ep->local_addr, &pi.ipi_addr, 4);
			ep->local_ifindex = (uint32_t)pi.ipi_ifindex;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			ep->local_family = AF_INET6;
			memcpy(ep->local_addr, &pi.ipi6_addr, 16);
			ep->local_ifindex = pi.ipi6_ifindex;
		}
	}
}

int udp_recv_batch(int fd, struct udp_batch *b)
{
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage names[UDP_BATCH];
	union {
		uint8_t buf[CMSG_ROOM];
		struct cmsghdr align;
	} ctl[UDP_BATCH];
	int n;

	memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		iov[i].iov_base = b->bufs[i];
		iov[i].iov_len = b->caps[i];
		msgs[i].msg_hdr.msg_name = &names[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(names[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_control = ctl[i].buf;
		msgs[i].msg_hdr.msg_controllen = sizeof(ctl[i].buf);
	}
	n = recvmmsg(fd, msgs, UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		from_sockaddr(&b->eps[i], &names[i]);
		from_cmsg(&b->eps[i], &msgs[i].msg_hdr, &b->gro_size[i]);
		b->lens[i] = msgs[i].msg_len;
		b->truncated[i] = msgs[i].msg_hdr.msg_flags & MSG_TRUNC;
	}
	b->n = (unsigned)n;
	return n;
}

/* Fills the destination and, with_src, the source address control
 * message of a datagram to ep; false if no socket of its family exists. */
static bool prepare(const struct udp_pair *pair, const struct endpoint *ep, bool with_src,
		    struct msghdr *mh, struct sockaddr_storage *name, uint8_t *ctl, int *fd)
{
	memset(name, 0, sizeof(*name));
	mh->msg_name = name;
	mh->msg_control = NULL;
	mh->msg_controllen = 0;
	mh->msg_flags = 0;
	if (ep->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)name;
		if (pair->fd4 < 0)
			return false;
		*fd = pair->fd4;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(ep->port);
		memcpy(&sin->sin_addr, ep->addr, 4);
		mh->msg_namelen = sizeof(*sin);
		if (with_src && ep->local_family == AF_INET) {
			struct in_pktinfo pi;
			struct cmsghdr *c;
			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi_spec_dst, ep->local_addr, 4);
			mh->msg_control = ctl;
			mh->msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(mh);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	} else if (ep->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)name;
		if (pair->fd6 < 0)
			return false;
		*fd = pair->fd6;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(ep->port);
		memcpy(&sin6->sin6_addr, ep->addr, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
			sin6->sin6_scope_id = ep->local_ifindex;
		mh->msg_namelen = sizeof(*sin6);
		if (with_src && ep->local_family == AF_INET6) {
			struct in6_pktinfo pi;
			struct cmsghdr *c;
			memset(&pi, 0, sizeof(pi));
			memcpy(&pi.ipi6_addr, ep->local_addr, 16);
			pi.ipi6_ifindex = IN6_IS_ADDR_LINKLOCAL(&pi.ipi6_addr) ? ep->local_ifindex : 0;
			mh->msg_control = ctl;
			mh->msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(mh);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	} else {
		return false;
	}
	return true;
}

/* The local address went away (or never could be used): let routing pick. */
static bool source_error(int err)
{
	return err == EINVAL || err == EADDRNOTAVAIL || err == ENETUNREACH;
}

int udp_send(const struct udp_pair *pair, const struct endpoint *ep, const uint8_t *buf,
	     size_t len)
{
	struct sockaddr_storage name;
	uint8_t ctl[CMSG_ROOM] __attribute__((aligned(8)));
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int fd = -1;

	if (!prepare(pair, ep, true, &mh, &name, ctl, &fd))
		return -EAFNOSUPPORT;
	if (sendmsg(fd, &mh, MSG_DONTWAIT) >= 0)
		return 0;
	if (!source_error(errno) || !mh.msg_control)
		return -errno;
	if (!prepare(pair, ep, false, &mh, &name, ctl, &fd))
		return -EAFNOSUPPORT;
	return sendmsg(fd, &mh, MSG_DONTWAIT) >= 0 ? 0 : -errno;
}

unsigned udp_send_batch(const struct udp_pair *pair, const struct udp_batch *b)
{
	unsigned gso_sends = 0;
	bool gso_failed = false;

	return udp_send_list(pair, b->bufs, b->lens, b->eps, b->n, false, &gso_sends, &gso_failed);
}

static bool same_endpoint(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port && !memcmp(a->addr, b->addr, 16) &&
	       a->local_family == b->local_family &&
	       !memcmp(a->local_addr, b->local_addr, 16) && a->local_ifindex == b->local_ifindex;
}

/* Appends a UDP_SEGMENT control message of size to mh, whose control
 * buffer (prepare's) is ctl. */
static void add_segment(struct msghdr *mh, uint8_t *ctl, uint16_t size)
{
	struct cmsghdr *c;

	if (!mh->msg_control) {
		mh->msg_control = ctl;
		mh->msg_controllen = 0;
	}
	c = (struct cmsghdr *)((uint8_t *)mh->msg_control + mh->msg_controllen);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	mh->msg_controllen += CMSG_SPACE(sizeof(size));
}

/* How many datagrams from i on go in one send: a run to one endpoint of
 * one size, the last possibly shorter. */
static unsigned run_length(const size_t *lens, const struct endpoint *eps, unsigned i,
			   unsigned n, unsigned room)
{
	size_t bytes = lens[i];
	unsigned k = 1;

	while (i + k < n && k < room && k < GSO_MAX_SEGS && lens[i + k] <= lens[i] &&
	       bytes + lens[i + k] <= GSO_MAX_BYTES && same_endpoint(&eps[i], &eps[i + k])) {
		bytes += lens[i + k];
		if (lens[i + k++] < lens[i])
			break; /* a shorter one ends the run */
	}
	return k;
}

unsigned udp_send_list(const struct udp_pair *pair, uint8_t *const *bufs, const size_t *lens,
		       const struct endpoint *eps, unsigned n, bool gso, unsigned *gso_sends,
		       bool *gso_failed)
{
	enum { IOVS = 4 * GSO_MAX_SEGS };
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[IOVS];
	struct sockaddr_storage names[UDP_BATCH];
	uint8_t ctl[UDP_BATCH][CMSG_ROOM] __attribute__((aligned(8)));
	unsigned first[UDP_BATCH], count[UDP_BATCH];
	int fds[UDP_BATCH];
	unsigned failed = 0, i = 0;

	while (i < n) {
		unsigned m = 0, used = 0;

		/* Build up to UDP_BATCH messages. */
		memset(msgs, 0, sizeof(msgs));
		while (i < n && m < UDP_BATCH && used < IOVS) {
			unsigned k = gso ? run_length(lens, eps, i, n, IOVS - used) : 1;

			for (unsigned j = 0; j < k; j++) {
				iov[used + j].iov_base = bufs[i + j];
				iov[used + j].iov_len = lens[i + j];
			}
			msgs[m].msg_hdr.msg_iov = &iov[used];
			msgs[m].msg_hdr.msg_iovlen = k;
			fds[m] = -1;
			prepare(pair, &eps[i], true, &msgs[m].msg_hdr, &names[m], ctl[m], &fds[m]);
			if (k > 1)
				add_segment(&msgs[m].msg_hdr, ctl[m], (uint16_t)lens[i]);
			first[m] = i;
			count[m] = k;
			used += k;
			i += k;
			m++;
		}
		for (unsigned j = 0; j < m;) {
			unsigned run = 1;
			int r;

			if (fds[j] < 0) {
				failed += count[j++];
				continue;
			}
			while (j + run < m && fds[j + run] == fds[j])
				run++;
			r = sendmmsg(fds[j], &msgs[j], run, MSG_DONTWAIT);
			if (r > 0) {
				for (unsigned q = j; q < j + (unsigned)r; q++)
					*gso_sends += count[q] > 1;
				j += (unsigned)r;
				continue;
			}
			/* msgs[j] failed.  A run: its datagrams one at a time.
			 * One datagram: again alone from any address if the
			 * local one went, else dropped. */
			if (count[j] > 1 && r < 0 && (errno == EIO || errno == EINVAL))
				*gso_failed = true;
			if (count[j] > 1 || (r < 0 && source_error(errno))) {
				for (unsigned q = 0; q < count[j]; q++) {
					unsigned at = first[j] + q;
					if (udp_send(pair, &eps[at], bufs[at], lens[at]))
						failed++;
				}
			} else {
				failed++;
			}
			j++;
		}
	}
	return failed;
}
