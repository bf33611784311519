/* The UDP side of rampartd: one IPv4 and one IPv6 socket per data-path
 * thread, all bound to the same port (SO_REUSEPORT when there is more than
 * one pair, so the kernel spreads flows over the threads by their 4-tuple,
 * which keeps each peer's packets in order on one thread).  Datagrams move
 * in batches (recvmmsg/sendmmsg).  Every received datagram carries the
 * local address and interface it arrived on (IP_PKTINFO /
 * IPV6_RECVPKTINFO), and replies leave from that address: a host with
 * several addresses answers from the one the peer wrote to. */
#ifndef RAMPART_DAEMON_UDP_H
#define RAMPART_DAEMON_UDP_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct endpoint;

/* One thread's pair; -1 for a family that is not available (a host with
 * IPv6 disabled still gets IPv4). */
struct udp_pair {
	int fd4;
	int fd6;
};

/* Every pair of the device, bound to one port. */
struct udp_set {
	struct udp_pair *pairs;
	unsigned n_pairs;
	uint16_t port;   /* host order */
	uint32_t fwmark; /* SO_MARK on every socket; 0 = none */
};

/* Opens n pairs on port (0 = a random port, the same for every socket and
 * both families), with the fwmark.  0, or -errno (-EADDRINUSE when the
 * port is taken); on failure nothing stays open. */
int udp_set_open(struct udp_set *set, unsigned n_pairs, uint16_t port,
		 uint32_t fwmark) warn_unused;
/* 0 if no socket of either family is bound to port (it binds a plain
 * socket, without SO_REUSEPORT, and closes it), else -errno
 * (-EADDRINUSE). */
int udp_port_free(uint16_t port) warn_unused;
void udp_set_close(struct udp_set *set);
/* Sets SO_MARK on every socket; 0 or -errno. */
int udp_set_fwmark(struct udp_set *set, uint32_t fwmark) warn_unused;

enum { UDP_BATCH = 32 };

/* A batch of datagrams in caller-owned buffers: for receiving, bufs[i]
 * has caps[i] bytes; udp_recv_batch() fills lens[i] and srcs[i]. */
struct udp_batch {
	unsigned n;
	uint8_t *bufs[UDP_BATCH];
	size_t caps[UDP_BATCH];
	size_t lens[UDP_BATCH];
	bool truncated[UDP_BATCH]; /* longer than its buffer: to drop */
	/* Received: 0, or the size of the datagrams the kernel coalesced into
	 * bufs[i] (UDP_GRO): each of that size, the last one shorter or the
	 * same, all from eps[i]. */
	uint16_t gro_size[UDP_BATCH];
	struct endpoint *eps; /* UDP_BATCH of them, caller's */
};

/* Receives up to UDP_BATCH datagrams from fd without blocking; returns
 * how many (0 when none was waiting), or -errno.  An endpoint's local_*
 * fields say where the datagram arrived; for IPv6, local_ifindex is also
 * the scope of a link-local source. */
int udp_recv_batch(int fd, struct udp_batch *b) warn_unused;

/* Sends b->n datagrams, bufs[i] of lens[i] bytes to eps[i], each from its
 * endpoint's local address when it has one; a datagram that cannot leave
 * from that address (it went away) is sent again letting routing choose.
 * Returns how many failed. */
unsigned udp_send_batch(const struct udp_pair *pair, const struct udp_batch *b);

/* Sockets opened from now on (by this process and its children) ask the
 * kernel to coalesce datagrams (UDP_GRO; best effort). */
void udp_want_gro(bool on);

/* n datagrams bufs[i] of lens[i] bytes to eps[i], as udp_send_batch but
 * for any n; with gso, each run of consecutive datagrams to one endpoint
 * of one size (the last of a run may be shorter), up to 64 of them, is
 * one UDP_SEGMENT send.  Returns how many datagrams failed; *gso_sends
 * counts the sends that carried a run; *gso_failed is set when the kernel
 * refused a run as such (the run was then sent one by one, and the caller
 * should stop asking). */
unsigned udp_send_list(const struct udp_pair *pair, uint8_t *const *bufs, const size_t *lens,
		       const struct endpoint *eps, unsigned n, bool gso, unsigned *gso_sends,
		       bool *gso_failed);

/* One datagram; 0 or -errno. */
int udp_send(const struct udp_pair *pair, const struct endpoint *ep,
	     const uint8_t *buf, size_t len) warn_unused;

#endif
