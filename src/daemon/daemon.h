/* rampartd's runtime: one struct device driven by several threads.
 *
 * Threads (docs/design.md has the picture):
 *   control    the main thread: the UAPI server, device timers (timerfd),
 *              signals, the link monitor (netlink) and the socket watch
 *              (inotify).  Applies configuration.
 *   handshake  consumes the handshake queue: initiations, responses and
 *              cookie replies, the work that costs a Diffie-Hellman.
 *   data (N)   one per TUN queue and UDP socket pair: reads a batch,
 *              runs it through the core under dev_lock, sends and writes
 *              the results after the lock is dropped.
 *
 * Lock order, outermost first:
 *   sock_lock (rwlock)  the UDP socket set: read side to use the sockets,
 *                       write side to rebind or re-mark them;
 *   dev_lock (mutex)    the device and everything reachable from it;
 *   hsq.lock, pool.lock leaves: nothing is taken while holding them.
 * A thread that calls into the core holds the read side of sock_lock
 * first, since the core sends through the sockets. */
#ifndef RAMPART_DAEMON_DAEMON_H
#define RAMPART_DAEMON_DAEMON_H

#include "pool.h"
#include "server.h"
#include "tun.h"
#include "udp.h"

#include "common/compiler.h"
#include "proto/device.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct daemon;

/* A handshake message waiting for the handshake thread. */
struct hsq_entry {
	struct endpoint src;
	uint16_t len;
	uint8_t buf[sizeof(struct message_handshake_initiation)]; /* the largest */
};

/* The bounded handshake queue (MAX_QUEUED_INCOMING_HANDSHAKES entries,
 * allocated at start).  Its length is the device's load signal: from
 * UNDER_LOAD_QUEUE_LEN on, initiations without a valid mac2 get a cookie
 * reply instead of a Diffie-Hellman. */
struct hsq {
	pthread_mutex_t lock; /* protects everything below */
	pthread_cond_t nonempty;
	struct hsq_entry *ring;
	size_t head, len;
	unsigned long long dropped; /* queue full */
};

/* What a data thread collects while it holds dev_lock, to do after. */
struct worker {
	struct daemon *d;
	unsigned id;
	pthread_t thread;
	int epfd;
	int stop_fd;  /* eventfd: wake up and look at d->stopping */
	int tun_fd;   /* this thread's TUN queue */
	int bound_fd4, bound_fd6; /* the sockets now in epfd (sock_lock) */
	/* Receive buffers, one per datagram of a batch. */
	struct pool_packet rx[UDP_BATCH];
	struct endpoint rx_eps[UDP_BATCH];
	/* Datagrams to send, copied out of the core's buffers. */
	struct udp_batch tx;
	struct endpoint tx_eps[UDP_BATCH];
	uint8_t *tx_area; /* UDP_BATCH slots of TX_SLOT bytes */
	/* Packets to write to the TUN queue. */
	struct packet *deliver[UDP_BATCH];
	unsigned n_deliver;
};

struct daemon_stats {
	atomic_ullong rx_truncated;   /* datagrams larger than a buffer */
	atomic_ullong tx_failed;      /* datagrams the kernel refused */
	atomic_ullong tun_write_failed;
	atomic_ullong tun_read_nobuf; /* pool empty */
};

struct daemon {
	char ifname[IFNAMSIZ];
	char sock_path[108];
	struct tun tun;
	unsigned n_workers;

	pthread_rwlock_t sock_lock; /* protects udp, configured_port */
	struct udp_set udp;
	uint16_t configured_port;   /* as last set; 0 = random */

	pthread_mutex_t dev_lock;   /* protects dev, timer_armed */
#ifdef RAMPART_DEBUG
	/* Debug builds: who holds dev_lock, set and cleared by
	 * daemon_lock_device/daemon_unlock_device under it. */
	_Atomic(pthread_t) dev_lock_owner;
	atomic_bool dev_locked;
#endif
	struct device dev;
	bool dev_ready, pool_ready;
	uint64_t timer_armed;       /* CLOCK_BOOTTIME ns the timerfd is set to; 0 = none */

	struct pool pool;
	struct hsq hsq;
	struct worker *workers;
	pthread_t hs_thread;
	bool hs_started;

	int timer_fd;  /* CLOCK_BOOTTIME timerfd for the device's deadline */
	int signal_fd;
	int wake_fd;   /* eventfd: a data thread asks the control thread to stop */
	int ctl_epfd;
	struct monitor *monitor;
	struct server server;

	atomic_bool stopping;
	struct daemon_stats stats;
};

/* Everything before daemonizing: the TUN device with n_workers queues,
 * the control socket, the UDP sockets on a random port.  0 or -errno with
 * a message logged. */
int daemon_init(struct daemon *d, const char *ifname, unsigned n_workers) warn_unused;
/* After fork: the threads and the control loop, until a stop condition.
 * Returns the exit status. */
int daemon_run(struct daemon *d);
/* Tears down everything (removes the socket, deletes the TUN device). */
void daemon_uninit(struct daemon *d);

/* CLOCK_BOOTTIME, ns: the `now` of every call into the core (it keeps
 * counting through suspend).  The wall clock is the core's wall_clock op. */
uint64_t daemon_now(void);

void daemon_lock_device(struct daemon *d);
void daemon_unlock_device(struct daemon *d);

/* "Must hold dev_lock": aborts in debug builds (RAMPART_DEBUG) unless the
 * calling thread took dev_lock through daemon_lock_device(); nothing in
 * release builds. */
#ifdef RAMPART_DEBUG
static inline bool daemon_lock_held(struct daemon *d)
{
	return atomic_load(&d->dev_locked) &&
	       pthread_equal(atomic_load(&d->dev_lock_owner), pthread_self());
}
#define daemon_assert_locked(d) debug_assert(daemon_lock_held(d))
#else
#define daemon_assert_locked(d) ((void)(d))
#endif

/* After anything that may have moved the device's next deadline
 * earlier; must hold dev_lock. */
void daemon_rearm_timer(struct daemon *d);

/* Wakes every data thread to look at the socket set again. */
void daemon_wake_workers(struct daemon *d);

/* The UAPI operations (control.c), called by the server on the control
 * thread.  get: the whole reply text (uapi_text_free) or NULL with -errno
 * in *err.  set: applies the plan all or nothing; 0 or -errno. */
char *daemon_uapi_get(struct daemon *d, size_t *len, int *err);
int daemon_uapi_set(struct daemon *d, const struct uapi_device *set);

#endif
