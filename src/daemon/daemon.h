/* rampartd's runtime: one struct device driven by several threads.
 *
 * Threads (docs/design.md has the picture):
 *   control    the main thread: the UAPI server, device timers (timerfd),
 *              signals, the link monitor (netlink) and the socket watch
 *              (inotify).  Applies configuration.
 *   handshake  consumes the handshake queue: initiations, responses and
 *              cookie replies; checks macs and answers cookies without
 *              dev_lock (its cookie gate), and takes what passes through
 *              the core, the work that costs a Diffie-Hellman.
 *   data (N)   one per TUN queue and UDP socket pair: reads a batch,
 *              routes it through the core under dev_lock, seals or opens
 *              its data messages with the lock dropped (device_job), and
 *              sends and writes the results after the lock.
 *
 * Lock order, outermost first:
 *   sock_lock (rwlock)  the UDP socket set: read side to use the sockets,
 *                       write side to rebind or re-mark them;
 *   dev_lock (mutex)    the device and everything reachable from it;
 *   hsq.lock, hsq.gate_lock, pool.lock, events.lock
 *                       leaves: nothing is taken while holding them
 *                       (gate_lock is taken inside dev_lock only to copy
 *                       new cookie keys into the gate).
 * A thread that calls into the core holds the read side of sock_lock
 * first, since the core sends through the sockets. */
#ifndef RAMPART_DAEMON_DAEMON_H
#define RAMPART_DAEMON_DAEMON_H

#include "control.h"
#include "events.h"
#include "handshake.h"
#include "pool.h"
#include "server.h"
#include "takeover.h"
#include "tun.h"
#include "udp.h"

#include "common/compiler.h"
#include "proto/device.h"
#include "proto/gso.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon;

enum {
	/* IP packets a thread takes from its TUN queue per pass: the
	 * segments of a few TSO super-packets. */
	WORKER_TX_PACKETS = 256,
	/* Data messages a thread can take to seal per locked pass: those,
	 * and the staged packets a key confirmation releases; beyond it the
	 * core seals them itself. */
	WORKER_SEAL_JOBS = WORKER_TX_PACKETS + 64,
	/* Datagrams in one receive batch: UDP_BATCH buffers, each holding up
	 * to 64 coalesced by UDP_GRO. */
	WORKER_RX_VIEWS = UDP_BATCH * 64,
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
	/* The datagrams of a receive batch: each a view into rx[]'s buffers
	 * (several per buffer when UDP_GRO coalesced them), from
	 * rx_eps[view_ep[i]]; WORKER_RX_VIEWS of each. */
	struct pool_packet *views;
	unsigned *view_ep;
	/* Packets to write to the TUN queue (WORKER_RX_VIEWS), and, with
	 * the TUN's virtio-net header, their grouping into merged writes. */
	struct packet **deliver;
	unsigned n_deliver;
	struct gro_batch *gro;
	/* A TUN read: the virtio-net header and up to 64 KiB. */
	uint8_t *tun_buf;
	/* The AEAD, done by this thread without dev_lock: its own contexts,
	 * the data messages the core handed it to seal (device_ops.send_data)
	 * and the received ones to open (device_receive_prepare,
	 * WORKER_RX_VIEWS). */
	struct packet_crypto crypto;
	struct device_job seal_jobs[WORKER_SEAL_JOBS];
	unsigned n_seal_jobs;
	struct device_job *open_jobs;
	unsigned *open_at; /* open_jobs[k] is the view open_at[k] */
	/* The mapping all of the buffers and arrays above live in. */
	void *area;
	size_t area_len;
};

/* A listen-port or fwmark change of a set in progress, between
 * daemon_sockets_prepare() and its finish or abort (control.h); control
 * thread only. */
struct sock_change {
	struct udp_set fresh; /* bound for a new port, not yet in use */
	bool has_port;
	uint16_t port;        /* as asked; 0 = random */
	bool rebind;          /* fresh replaces udp */
	bool remark;          /* udp carries a new mark; old_mark restores it */
	uint32_t old_mark;
};

struct daemon_stats {
	atomic_ullong rx_truncated;   /* datagrams larger than a buffer */
	atomic_ullong rx_datagrams;   /* every datagram read, counted per batch */
	atomic_ullong tx_failed;      /* datagrams the kernel refused */
	atomic_ullong tun_write_failed;
	atomic_ullong tun_read_nobuf; /* pool empty */
	atomic_ullong tun_gso_read;   /* TUN reads of a super-packet, cut here */
	atomic_ullong tun_gso_bad;    /* super-packets refused (gso_plan) */
	atomic_ullong tun_gso_written; /* TUN writes of merged segments */
	atomic_ullong udp_gso_sent;   /* sends of several datagrams (UDP_SEGMENT) */
	atomic_ullong udp_gro_received; /* buffers of several datagrams (UDP_GRO) */
};

struct daemon {
	char ifname[IFNAMSIZ];
	char sock_path[108];
	struct tun tun;
	unsigned n_workers;
	/* The offloads in use (enum offload): the TUN's as the kernel took
	 * them, OFFLOAD_GSO unless switched off or refused by the kernel
	 * (then cleared, by any data thread), OFFLOAD_GRO as asked. */
	atomic_uint offloads;

	pthread_rwlock_t sock_lock; /* protects udp, configured_port */
	struct udp_set udp;
	uint16_t configured_port;   /* as last set; 0 = random */
	struct sock_change change;  /* control thread only */
	/* The privileged parent's end of the request socket (privsep.h);
	 * -1 without a parent: the daemon binds and marks itself.  Control
	 * thread only. */
	int priv_fd;

	pthread_mutex_t dev_lock;   /* protects dev, timer_armed, takeovers */
#ifdef RAMPART_DEBUG
	/* Debug builds: who holds dev_lock, set and cleared by
	 * daemon_lock_device/daemon_unlock_device under it. */
	_Atomic(pthread_t) dev_lock_owner;
	atomic_bool dev_locked;
#endif
	struct device dev;
	struct takeovers takeovers; /* rampart_takeover pairings (takeover.h) */
	bool dev_ready, pool_ready;
	uint64_t timer_armed;       /* CLOCK_BOOTTIME ns the timerfd is set to; 0 = none */

	struct pool pool;
	struct hsq hsq;
	struct worker *workers;
	pthread_t hs_thread;
	bool hs_started;

	int timer_fd;  /* CLOCK_BOOTTIME timerfd for the device's deadline */
	int signal_fd;
	int wake_fd;   /* eventfd: a data thread asks the control thread to stop,
			* or a takeover became due (takeover.h) */
	int ctl_epfd;
	struct monitor *monitor;
	struct server server;
	struct server stats_server; /* read-only; listen_fd -1 until daemon_listen_stats */

	struct events events;       /* its own lock, a leaf (events.h) */
	bool events_ready;

	atomic_bool stopping;
	struct daemon_stats stats;
};

/* Everything before daemonizing: the TUN device with n_workers queues,
 * the control socket, the UDP sockets on a random port, with the
 * offloads of want (enum offload) the kernel has.  0 or -errno with a
 * message logged. */
int daemon_init(struct daemon *d, const char *ifname, unsigned n_workers,
		unsigned want) warn_unused;
/* daemon_init's parts, for an engine that is handed its descriptors
 * (handover.h) rather than opening them: the zeroed struct with its
 * locks; the ops of both sockets' server; and what is built on the
 * descriptors (events, buffers, handshake queue, the device at mtu), 0 or
 * -errno with a message logged. */
void daemon_init_base(struct daemon *d, const char *ifname, unsigned n_workers);
void daemon_server_ops(struct daemon *d, struct server_ops *ops);
int daemon_init_core(struct daemon *d, unsigned mtu) warn_unused;
/* After daemon_init: the read-only statistics socket
 * UAPI_STATS_DIR/IFNAME.stats, mode 0660 in group gid ((gid_t)-1: the
 * daemon's own; server.h).  0 or
 * -errno with a message logged. */
int daemon_listen_stats(struct daemon *d, gid_t gid) warn_unused;
/* After fork: the threads and the control loop, until a stop condition.
 * Returns the exit status. */
int daemon_run(struct daemon *d);
/* Tears down everything (removes the socket, deletes the TUN device). */
void daemon_uninit(struct daemon *d);

/* Asks every thread to stop, logging why (the first time).  Any thread. */
void daemon_request_stop(struct daemon *d, const char *why);
/* Reads an eventfd (or timerfd) until it is empty. */
void daemon_drain(int fd);

/* A dropped datagram (DROP_NONE: none), at debug level and rate limited:
 * a remote party decides how often this runs.  Any thread. */
void daemon_log_drop(enum drop_reason why, const struct endpoint *src);

/* The clock, dev_lock, timers, wake-ups and the UAPI operations are
 * control.h: the interface control.c uses. */

#endif
