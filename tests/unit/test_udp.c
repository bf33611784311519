/* src/daemon/udp.c's sends over loopback: a run of datagrams as one
 * UDP_SEGMENT send, and the fallback when the kernel refuses such a send.
 * The refusal is the kernel's own: a socket with SO_NO_CHECK gets EINVAL
 * for every UDP_SEGMENT send (the segments' checksums are the offload's
 * to fill), while its plain datagrams still go; the first case shows it
 * refuses, as the control for the fallback's. */
#include "harness.h"

#include "daemon/udp.h"
#include "proto/peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

enum { N = 5, SIZE = 200, LAST = 77 };

struct rig {
	struct udp_set set;
	int rx;            /* a plain socket on 127.0.0.1, no GRO */
	struct endpoint to;
	uint8_t data[N][SIZE];
	uint8_t *bufs[N];
	size_t lens[N];
	struct endpoint eps[N];
};

static bool rig_open(struct rig *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);

	memset(r, 0, sizeof(*r));
	udp_want_gro(false);
	r->rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (r->rx < 0 || bind(r->rx, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(r->rx, (struct sockaddr *)&a, &alen) || udp_set_open(&r->set, 1, 0, 0)) {
		if (r->rx >= 0)
			close(r->rx);
		return false;
	}
	r->to.family = AF_INET;
	memcpy(r->to.addr, &a.sin_addr, 4);
	r->to.port = ntohs(a.sin_port);
	for (unsigned i = 0; i < N; i++) {
		for (unsigned k = 0; k < SIZE; k++)
			r->data[i][k] = (uint8_t)(i * 31 + k);
		r->bufs[i] = r->data[i];
		r->lens[i] = i == N - 1 ? LAST : SIZE; /* the run's last is shorter */
		r->eps[i] = r->to;
	}
	return true;
}

static void rig_close(struct rig *r)
{
	udp_set_close(&r->set);
	close(r->rx);
}

/* Reads what arrived: each of the N datagrams once, whole, in order. */
static void check_received(struct rig *r, const char *what)
{
	uint8_t buf[2048];

	for (unsigned i = 0; i < N; i++) {
		struct pollfd p = { .fd = r->rx, .events = POLLIN };
		ssize_t got;

		CHECK_MSG(poll(&p, 1, 2000) == 1, "%s: datagram %u did not arrive", what, i);
		got = recv(r->rx, buf, sizeof(buf), MSG_DONTWAIT);
		CHECK_MSG(got == (ssize_t)r->lens[i], "%s: datagram %u: %zd bytes, want %zu", what, i, got,
			  r->lens[i]);
		if (got == (ssize_t)r->lens[i])
			CHECK_MEM(buf, r->data[i], r->lens[i]);
	}
	CHECK_MSG(recv(r->rx, buf, sizeof(buf), MSG_DONTWAIT) < 0 && errno == EAGAIN,
		  "%s: more than %u datagrams", what, N);
}

/* A raw UDP_SEGMENT send of the rig's first two datagrams; its result. */
static int raw_gso_send(struct rig *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(r->to.port) };
	struct iovec iov[2] = { { r->data[0], SIZE }, { r->data[1], SIZE } };
	uint8_t ctl[CMSG_SPACE(sizeof(uint16_t))] __attribute__((aligned(8))) = { 0 };
	struct msghdr mh = { .msg_name = &a, .msg_namelen = sizeof(a), .msg_iov = iov, .msg_iovlen = 2,
			     .msg_control = ctl, .msg_controllen = sizeof(ctl) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	uint16_t size = SIZE;

	memcpy(&a.sin_addr, r->to.addr, 4);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(size));
	memcpy(CMSG_DATA(c), &size, sizeof(size));
	return sendmsg(r->set.pairs[0].fd4, &mh, 0) < 0 ? -errno : 0;
}

static void test_run_as_one_send(void)
{
	struct rig r;
	unsigned sends = 0, failed;
	bool refused = false;

	CHECK(rig_open(&r));
	failed = udp_send_list(&r.set.pairs[0], r.bufs, r.lens, r.eps, N, true, &sends, &refused);
	CHECK(failed == 0);
	CHECK_MSG(sends == 1, "the run went in %u UDP_SEGMENT sends, want 1", sends);
	CHECK(!refused);
	check_received(&r, "one UDP_SEGMENT send");

	/* Without gso: one datagram per message, none counted as a run. */
	sends = 0;
	failed = udp_send_list(&r.set.pairs[0], r.bufs, r.lens, r.eps, N, false, &sends, &refused);
	CHECK(failed == 0 && sends == 0 && !refused);
	check_received(&r, "without gso");
	rig_close(&r);
}

static void test_refused_run_sent_one_by_one(void)
{
	struct rig r;
	unsigned sends = 0, failed;
	bool refused = false;
	int one = 1;

	CHECK(rig_open(&r));
	CHECK(setsockopt(r.set.pairs[0].fd4, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)) == 0);
	/* The control: the kernel refuses this socket's UDP_SEGMENT sends. */
	CHECK_MSG(raw_gso_send(&r) == -EINVAL, "a UDP_SEGMENT send with SO_NO_CHECK: %d, want -EINVAL",
		  raw_gso_send(&r));
	failed = udp_send_list(&r.set.pairs[0], r.bufs, r.lens, r.eps, N, true, &sends, &refused);
	CHECK_MSG(failed == 0, "%u datagrams failed", failed);
	CHECK(sends == 0);
	CHECK_MSG(refused, "the refusal was not reported");
	check_received(&r, "a refused run, one by one");
	rig_close(&r);
}

static const struct harness_case cases[] = {
	{ "udp: a run is one UDP_SEGMENT send", test_run_as_one_send },
	{ "udp: a refused run is sent one by one, and said", test_refused_run_sent_one_by_one },
};

HARNESS_MAIN(cases)
