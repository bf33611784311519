/* Packet buffers for the tunnel-to-network direction.  A packet read from
 * the TUN device may wait in the core (staged until a handshake
 * completes) and be given back later by another thread, so these buffers
 * come from one shared pool with its own lock, the innermost of the lock
 * order.  The pool is bounded: at most POOL_MAX_PACKETS buffers exist at
 * once (past that, reads from the TUN device wait for buffers to come
 * back), and at most POOL_MAX_FREE are kept for reuse. */
#ifndef RAMPART_DAEMON_POOL_H
#define RAMPART_DAEMON_POOL_H

#include "proto/packet.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

enum {
	POOL_MAX_PACKETS = 16384,
	POOL_MAX_FREE = 1024,
};

/* A pool packet: the struct packet the core sees, and where it came from
 * (the daemon's release callback gives pool packets back here and leaves
 * the data-path threads' own receive buffers alone). */
struct pool_packet {
	struct packet p;
	bool from_pool;
};

struct pool {
	pthread_mutex_t lock; /* protects everything below */
	struct packet *free_list; /* linked by packet.next */
	size_t n_free;
	size_t n_out;     /* buffers handed out and not back yet */
	size_t buf_size;  /* data bytes per buffer (room included) */
	unsigned long long exhausted; /* pool_get() found nothing */
};

/* mtu: the largest IP packet to hold (buffers add the core's head- and
 * tailroom). */
int pool_init(struct pool *pool, unsigned mtu);
void pool_uninit(struct pool *pool);
/* Buffers handed out from now on hold mtu bytes; free ones too small are
 * dropped. */
void pool_set_mtu(struct pool *pool, unsigned mtu);
/* A packet with PACKET_HEADROOM free before its data (len 0) and room for
 * an MTU-sized packet plus PACKET_TAILROOM after, or NULL when the pool is
 * at its bound or memory is short. */
struct packet *pool_get(struct pool *pool);
void pool_put(struct pool *pool, struct packet *p);

#endif
