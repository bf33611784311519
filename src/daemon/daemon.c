/* rampartd's threads, the core's I/O callbacks and the control loop
 * (daemon.h has the threads and the lock order). */
#define _GNU_SOURCE
#include "daemon.h"
#include "control.h"

#include "monitor.h"

#include "common/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

enum {
	/* A received datagram's buffer: the largest UDP payload. */
	RX_BUF = 65536,
	/* A datagram waiting in a data thread's send batch. */
	TX_SLOT = 65536 + 64,
	/* Datagram batches a data thread reads per wake-up per socket, so
	 * that one busy socket does not starve the TUN queue. */
	RX_ROUNDS = 4,
};

/* epoll tags of the control loop; a client's tag is its kind field. */
enum ctl_kind {
	CTL_LISTEN = 1,
	CTL_CLIENT,
	CTL_SIGNAL,
	CTL_TIMER,
	CTL_WAKE,
	CTL_LINK,
	CTL_FILE,
	CTL_EVENTS,
	CTL_STATS_LISTEN,
	CTL_STATS_CLIENT,
	CTL_PARENT,
};
static int ctl_tags[] = { 0, CTL_LISTEN, CTL_CLIENT, CTL_SIGNAL, CTL_TIMER, CTL_WAKE, CTL_LINK,
			  CTL_FILE, CTL_EVENTS, CTL_STATS_LISTEN, CTL_STATS_CLIENT, CTL_PARENT };

/* A data thread's epoll tags. */
enum { W_TUN = 1, W_UDP4, W_UDP6, W_WAKE };

/* The data thread running on this thread, or NULL (control, handshake):
 * where the core's send and deliver callbacks put their output. */
static __thread struct worker *current_worker;

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	/* CLOCK_BOOTTIME: keeps counting through suspend, so keys expire
	 * on time after a laptop wakes up. */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#ifdef RAMPART_DEBUG
/* Debug builds only (the tests' sanitized rampartd): with
 * RAMPART_DEBUG_CLOCK_RATE=N the daemon's clock runs N times as fast from
 * its start, so that a namespace test sees the protocol's minutes (a
 * session's 180 s lifetime) in seconds.  Release builds have no such
 * knob.  Set once in daemon_init(), before any thread starts. */
static uint64_t clock_rate = 1, clock_base;

static void clock_rate_init(void)
{
	const char *s = getenv("RAMPART_DEBUG_CLOCK_RATE");
	unsigned long v = s ? strtoul(s, NULL, 10) : 1;

	clock_base = boottime_ns();
	clock_rate = v >= 1 && v <= 1000 ? v : 1;
	if (clock_rate > 1)
		log_warn("debug build: the clock runs %llu times as fast (RAMPART_DEBUG_CLOCK_RATE)",
			 (unsigned long long)clock_rate);
}
#endif

uint64_t daemon_now(void)
{
	uint64_t t = boottime_ns();

#ifdef RAMPART_DEBUG
	if (clock_rate > 1)
		return clock_base + (t - clock_base) * clock_rate;
#endif
	return t;
}

/* A deadline on daemon_now()'s clock, on CLOCK_BOOTTIME's (the timerfd's
 * and epoll's). */
static uint64_t real_deadline(uint64_t at)
{
#ifdef RAMPART_DEBUG
	if (clock_rate > 1 && at > clock_base)
		return clock_base + (at - clock_base + clock_rate - 1) / clock_rate;
#endif
	return at;
}

/* ---- locks ---------------------------------------------------------------- */

void daemon_lock_device(struct daemon *d)
{
	pthread_mutex_lock(&d->dev_lock);
#ifdef RAMPART_DEBUG
	atomic_store(&d->dev_lock_owner, pthread_self());
	atomic_store(&d->dev_locked, true);
#endif
}

void daemon_unlock_device(struct daemon *d)
{
#ifdef RAMPART_DEBUG
	atomic_store(&d->dev_locked, false);
#endif
	pthread_mutex_unlock(&d->dev_lock);
}

#ifdef RAMPART_DEBUG
bool daemon_lock_held(struct daemon *d)
{
	return atomic_load(&d->dev_locked) &&
	       pthread_equal(atomic_load(&d->dev_lock_owner), pthread_self());
}

/* allowedips' debug check: the table is used under dev_lock only. */
static bool table_lock_held(void *arg, bool write)
{
	struct daemon *d = arg;

	(void)write;
	return daemon_lock_held(d);
}
#endif

void daemon_rearm_timer(struct daemon *d)
{
	struct itimerspec its = { 0 };
	uint64_t next;

	daemon_assert_locked(d);
	next = device_next_deadline(&d->dev);
	if (!next || (d->timer_armed && d->timer_armed <= next))
		return;
	its.it_value.tv_sec = (time_t)(real_deadline(next) / 1000000000ULL);
	its.it_value.tv_nsec = (long)(real_deadline(next) % 1000000000ULL);
	if (!timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL))
		d->timer_armed = next;
}

static void poke(int fd)
{
	uint64_t one = 1;

	if (fd >= 0 && write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("eventfd: %s", strerror(errno));
}

static void drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

void daemon_wake_workers(struct daemon *d)
{
	for (unsigned i = 0; d->workers && i < d->n_workers; i++)
		poke(d->workers[i].stop_fd);
}

static void request_stop(struct daemon *d, const char *why)
{
	if (!atomic_exchange(&d->stopping, true))
		log_info("shutting down: %s", why);
	poke(d->wake_fd);
}

/* ---- the core's callbacks (dev_lock held, sock_lock read side held) ------- */

static void flush_tx(struct worker *w)
{
	unsigned failed;

	if (!w->tx.n)
		return;
	failed = udp_send_batch(&w->d->udp.pairs[w->id], &w->tx);
	if (failed)
		atomic_fetch_add(&w->d->stats.tx_failed, failed);
	w->tx.n = 0;
}

static int op_send(void *arg, const struct endpoint *ep, const uint8_t *buf, size_t len)
{
	struct daemon *d = arg;
	struct worker *w = current_worker;
	unsigned slot;

	daemon_assert_locked(d);
	if (!w || len > TX_SLOT)
		return udp_send(&d->udp.pairs[w ? w->id : 0], ep, buf, len);
	if (w->tx.n == UDP_BATCH)
		flush_tx(w);
	slot = w->tx.n++;
	memcpy(w->tx.bufs[slot], buf, len);
	w->tx.lens[slot] = len;
	w->tx_eps[slot] = *ep;
	return 0;
}

/* A data message to seal after dev_lock is released, if this is a data
 * thread with room; otherwise the core seals it itself. */
static int op_send_data(void *arg, const struct device_job *job)
{
	struct worker *w = current_worker;

	daemon_assert_locked(arg);
	if (!w || w->n_seal_jobs == WORKER_SEAL_JOBS)
		return -ENOBUFS;
	w->seal_jobs[w->n_seal_jobs++] = *job;
	return 0;
}

static void release_packet(struct daemon *d, struct packet *p)
{
	struct pool_packet *pp = (struct pool_packet *)((uint8_t *)p - offsetof(struct pool_packet, p));

	if (pp->from_pool)
		pool_put(&d->pool, p);
}

static void op_release(void *arg, struct packet *p)
{
	release_packet(arg, p);
}

static void write_tun(struct daemon *d, int fd, struct packet *p)
{
	if (write(fd, packet_data(p), p->len) < 0)
		atomic_fetch_add(&d->stats.tun_write_failed, 1);
	release_packet(d, p);
}

static void op_deliver(void *arg, struct peer *peer, struct packet *p)
{
	struct daemon *d = arg;
	struct worker *w = current_worker;

	daemon_assert_locked(d);
	(void)peer;
	if (w && w->n_deliver < UDP_BATCH)
		w->deliver[w->n_deliver++] = p;
	else
		write_tun(d, w ? w->tun_fd : d->tun.fds[0], p);
}

static void op_wall_clock(void *arg, uint64_t *sec, uint32_t *nsec)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	*sec = (uint64_t)ts.tv_sec;
	*nsec = (uint32_t)ts.tv_nsec;
}

/* An event of the core: into the ring, under dev_lock (a leaf lock;
 * the log line is written later by the control thread). */
static void op_event(void *arg, const struct device_event *ev)
{
	struct daemon *d = arg;
	struct event_record r;

	/* Under dev_lock, on the path of the handshake: the takeover itself
	 * waits for the control thread (takeover.h). */
	if (ev->type == DEVICE_EVENT_HANDSHAKE && d->takeovers.n &&
	    takeover_handshake(&d->takeovers, ev->peer->public_key))
		poke(d->wake_fd);
	events_from_device(&r, ev);
	daemon_record_event(d, &r, ev->now);
}

void daemon_record_event(struct daemon *d, struct event_record *r, uint64_t now)
{
	op_wall_clock(d, &r->sec, &r->nsec);
	if (d->events_ready)
		events_record(&d->events, r, now ? now : daemon_now());
}

void daemon_log_drop(enum drop_reason why, const struct endpoint *src)
{
	char addr[INET6_ADDRSTRLEN] = "?";

	if (why == DROP_NONE || log_get_level() < LOG_LEVEL_DEBUG)
		return;
	inet_ntop(src->family, src->addr, addr, sizeof(addr));
	log_debug_ratelimited("dropped a datagram from %s%s%s:%u: %s",
			      src->family == AF_INET6 ? "[" : "", addr,
			      src->family == AF_INET6 ? "]" : "", src->port,
			      device_drop_reason_name(why));
}

/* ---- data threads --------------------------------------------------------- */

static void watch(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	if (fd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) && errno != EEXIST)
		log_warn("epoll: %s", strerror(errno));
}

/* Makes w's epoll set follow the socket set; sock_lock read side held. */
static void follow_sockets(struct worker *w)
{
	const struct udp_pair *pair = &w->d->udp.pairs[w->id];

	if (pair->fd4 == w->bound_fd4 && pair->fd6 == w->bound_fd6)
		return;
	/* The old descriptors were closed, which took them out of the set. */
	w->bound_fd4 = pair->fd4;
	w->bound_fd6 = pair->fd6;
	watch(w->epfd, w->bound_fd4, W_UDP4);
	watch(w->epfd, w->bound_fd6, W_UDP6);
}

/* Seals the data messages the core handed this thread, without
 * dev_lock, and sends them straight from their buffers, UDP_BATCH at a
 * time. */
static void flush_seal_jobs(struct worker *w)
{
	struct daemon *d = w->d;
	struct endpoint eps[UDP_BATCH];
	struct packet *sent[UDP_BATCH];
	struct udp_batch b = { .eps = eps };
	unsigned i = 0;

	while (i < w->n_seal_jobs) {
		unsigned failed;

		b.n = 0;
		for (; i < w->n_seal_jobs && b.n < UDP_BATCH; i++) {
			struct device_job *j = &w->seal_jobs[i];

			if (!device_job_seal(&w->crypto, j)) {
				atomic_fetch_add(&d->stats.tx_failed, 1);
				release_packet(d, j->p);
				continue;
			}
			b.bufs[b.n] = packet_data(j->p);
			b.lens[b.n] = j->p->len;
			eps[b.n] = j->ep;
			sent[b.n++] = j->p;
		}
		if (!b.n)
			continue;
		failed = udp_send_batch(&d->udp.pairs[w->id], &b);
		if (failed)
			atomic_fetch_add(&d->stats.tx_failed, failed);
		for (unsigned k = 0; k < b.n; k++)
			release_packet(d, sent[k]);
	}
	w->n_seal_jobs = 0;
}

static void flush_deliver(struct worker *w)
{
	for (unsigned i = 0; i < w->n_deliver; i++)
		write_tun(w->d, w->tun_fd, w->deliver[i]);
	w->n_deliver = 0;
}

/* The datagrams of a batch that are not handshakes, through the core:
 * routed in one locked pass, data opened without the lock, then finished
 * in a second locked pass; what that sends or delivers goes after it. */
static void receive_kept(struct worker *w, struct udp_batch *b, const unsigned *keep,
			 unsigned n_keep)
{
	struct daemon *d = w->d;
	unsigned at[UDP_BATCH], n_open = 0;
	uint64_t now = daemon_now();

	daemon_lock_device(d);
	for (unsigned k = 0; k < n_keep; k++) {
		struct packet *p = &w->rx[keep[k]].p;
		const struct endpoint *src = &b->eps[keep[k]];

		p->off = 0;
		p->len = b->lens[keep[k]];
		p->next = NULL;
		if (packet_classify(packet_data(p), p->len) != MESSAGE_DATA)
			daemon_log_drop(device_receive(&d->dev, p, src, now), src);
		else if (device_receive_prepare(&d->dev, p, &w->open_jobs[n_open], now) == DROP_NONE)
			at[n_open++] = keep[k];
	}
	if (!n_open)
		daemon_rearm_timer(d);
	daemon_unlock_device(d);
	if (n_open) {
		for (unsigned k = 0; k < n_open; k++)
			device_job_open(&w->crypto, &w->open_jobs[k]);
		now = daemon_now();
		daemon_lock_device(d);
		for (unsigned k = 0; k < n_open; k++)
			daemon_log_drop(device_receive_opened(&d->dev, &w->open_jobs[k], &b->eps[at[k]], now),
				 &b->eps[at[k]]);
		daemon_rearm_timer(d);
		daemon_unlock_device(d);
	}
	flush_tx(w);
	flush_seal_jobs(w);
	flush_deliver(w);
}

/* Datagrams from fd: handshakes to their queue, the rest through the
 * core (receive_kept). */
static void worker_rx(struct worker *w, int fd)
{
	struct daemon *d = w->d;
	struct udp_batch b;
	unsigned keep[UDP_BATCH];

	for (int round = 0; round < RX_ROUNDS; round++) {
		unsigned n_keep = 0;
		int n;

		b.eps = w->rx_eps;
		for (unsigned i = 0; i < UDP_BATCH; i++) {
			b.bufs[i] = w->rx[i].p.head;
			b.caps[i] = RX_BUF;
		}
		n = udp_recv_batch(fd, &b);
		if (n <= 0)
			return;
		/* What reached the port, before any check: rampart doctor's
		 * evidence that datagrams arrive, with or without a firewall
		 * table to count them.  One atomic add per batch. */
		atomic_fetch_add(&d->stats.rx_datagrams, (unsigned long long)n);
		for (unsigned i = 0; i < (unsigned)n; i++) {
			enum message_type type;

			if (b.truncated[i]) {
				atomic_fetch_add(&d->stats.rx_truncated, 1);
				continue;
			}
			type = packet_classify(b.bufs[i], b.lens[i]);
			if (type == MESSAGE_HANDSHAKE_INITIATION || type == MESSAGE_HANDSHAKE_RESPONSE ||
			    type == MESSAGE_HANDSHAKE_COOKIE)
				hsq_push(&d->hsq, b.bufs[i], b.lens[i], &b.eps[i]);
			else
				keep[n_keep++] = i;
		}
		if (n_keep)
			receive_kept(w, &b, keep, n_keep);
		if (n < UDP_BATCH)
			return;
	}
}

/* IP packets from this thread's TUN queue through the core. */
static void worker_tx(struct worker *w)
{
	struct daemon *d = w->d;
	struct packet *pk[UDP_BATCH];
	unsigned n = 0;
	uint64_t now;

	while (n < UDP_BATCH) {
		struct packet *p = pool_get(&d->pool);
		ssize_t r;

		if (!p) {
			atomic_fetch_add(&d->stats.tun_read_nobuf, 1);
			break;
		}
		r = read(w->tun_fd, p->head + p->off, p->cap - p->off - PACKET_TAILROOM);
		if (r <= 0) {
			int err = r < 0 ? errno : 0;
			pool_put(&d->pool, p);
			if (err == EAGAIN || err == EWOULDBLOCK || err == EINTR)
				break;
			/* EBADFD / EIO: the interface is gone. */
			request_stop(d, "the TUN device went away");
			break;
		}
		p->len = (size_t)r;
		pk[n++] = p;
	}
	if (!n)
		return;
	now = daemon_now();
	daemon_lock_device(d);
	for (unsigned i = 0; i < n; i++)
		device_send(&d->dev, pk[i], now);
	daemon_rearm_timer(d);
	daemon_unlock_device(d);
	flush_tx(w);
	flush_seal_jobs(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct daemon *d = w->d;
	struct epoll_event evs[8];

	current_worker = w;
	pthread_rwlock_rdlock(&d->sock_lock);
	follow_sockets(w);
	pthread_rwlock_unlock(&d->sock_lock);
	while (!atomic_load(&d->stopping)) {
		bool tun = false, udp4 = false, udp6 = false;
		int n = epoll_wait(w->epfd, evs, 8, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			request_stop(d, "a data thread's epoll failed");
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case W_TUN: tun = true; break;
			case W_UDP4: udp4 = true; break;
			case W_UDP6: udp6 = true; break;
			case W_WAKE: drain(w->stop_fd); break;
			}
		}
		if (atomic_load(&d->stopping))
			break;
		pthread_rwlock_rdlock(&d->sock_lock);
		follow_sockets(w);
		if (udp4 && w->bound_fd4 >= 0)
			worker_rx(w, w->bound_fd4);
		if (udp6 && w->bound_fd6 >= 0)
			worker_rx(w, w->bound_fd6);
		if (tun)
			worker_tx(w);
		pthread_rwlock_unlock(&d->sock_lock);
	}
	return NULL;
}

static int worker_init(struct daemon *d, struct worker *w, unsigned id)
{
	memset(w, 0, sizeof(*w));
	w->d = d;
	w->id = id;
	w->tun_fd = d->tun.fds[id];
	w->bound_fd4 = w->bound_fd6 = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->stop_fd < 0)
		return -errno;
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		w->rx[i].from_pool = false;
		w->rx[i].p.head = malloc(RX_BUF);
		w->rx[i].p.cap = RX_BUF;
		if (!w->rx[i].p.head)
			return -ENOMEM;
	}
	w->tx_area = malloc((size_t)UDP_BATCH * TX_SLOT);
	if (!w->tx_area)
		return -ENOMEM;
	for (unsigned i = 0; i < UDP_BATCH; i++)
		w->tx.bufs[i] = w->tx_area + (size_t)i * TX_SLOT;
	w->tx.eps = w->tx_eps;
	if (packet_crypto_init(&w->crypto))
		return -ENOMEM;
	watch(w->epfd, w->tun_fd, W_TUN);
	watch(w->epfd, w->stop_fd, W_WAKE);
	return 0;
}

static void worker_uninit(struct worker *w)
{
	for (unsigned i = 0; i < UDP_BATCH; i++)
		free(w->rx[i].p.head);
	free(w->tx_area);
	packet_crypto_uninit(&w->crypto);
	if (w->epfd > 0)
		close(w->epfd);
	if (w->stop_fd > 0)
		close(w->stop_fd);
}

/* ---- set-up and tear-down ------------------------------------------------- */

static char *uapi_get_cb(void *arg, unsigned flags, size_t *len, int *err)
{
	return daemon_uapi_get(arg, flags, len, err);
}

static int uapi_set_cb(void *arg, const struct uapi_device *set)
{
	return daemon_uapi_set(arg, set);
}

static char *uapi_events_cb(void *arg, uint64_t since, size_t *len, int *err)
{
	return daemon_events_reply(arg, since, len, err);
}

void daemon_server_ops(struct daemon *d, struct server_ops *ops)
{
	*ops = (struct server_ops){ .arg = d, .get = uapi_get_cb, .set = uapi_set_cb,
				    .events = uapi_events_cb };
}

void daemon_init_base(struct daemon *d, const char *ifname, unsigned n_workers)
{
	pthread_rwlockattr_t attr;

	memset(d, 0, sizeof(*d));
#ifdef RAMPART_DEBUG
	clock_rate_init();
#endif
	d->timer_fd = d->signal_fd = d->wake_fd = d->ctl_epfd = d->priv_fd = -1;
	d->server.listen_fd = d->stats_server.listen_fd = -1;
	d->n_workers = n_workers;
	snprintf(d->ifname, sizeof(d->ifname), "%s", ifname);
	/* Writers first: a listen-port change must not wait for a quiet
	 * moment on a busy tunnel. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&d->sock_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	pthread_mutex_init(&d->dev_lock, NULL);
}

int daemon_init_core(struct daemon *d, unsigned mtu)
{
	const struct device_ops ops = {
		.arg = d,
		.send = op_send,
		.deliver = op_deliver,
		.release = op_release,
		.wall_clock = op_wall_clock,
		.event = op_event,
		.send_data = op_send_data,
	};
	int err = events_init(&d->events);

	d->events_ready = !err;
	if (!err)
		err = pool_init(&d->pool, mtu);
	d->pool_ready = !err;
	if (!err)
		err = hsq_init(&d->hsq);
	if (!err)
		err = device_init(&d->dev, &ops, mtu);
	d->dev_ready = !err;
	if (err) {
		log_error("Failed to set up the device: %s", strerror(-err));
		return err;
	}
#ifdef RAMPART_DEBUG
	allowedips_set_lock_check(&d->dev.table, table_lock_held, d);
#endif
	return 0;
}

int daemon_init(struct daemon *d, const char *ifname, unsigned n_workers)
{
	struct server_ops sops;
	const struct server_params control = {
		.what = "control socket", .dir = SERVER_DIR, .suffix = SERVER_SUFFIX,
		.mode = 0600, .gid = (gid_t)-1,
	};
	int err, mtu;

	daemon_init_base(d, ifname, n_workers);
	daemon_server_ops(d, &sops);
	err = tun_open(&d->tun, ifname, n_workers);
	if (err) {
		log_error("Failed to create TUN device %s: %s", ifname,
			  err == -EEXIST ? "an interface of that name exists" : strerror(-err));
		return err;
	}
	mtu = tun_mtu(&d->tun);
	if (mtu <= 0)
		mtu = 1420;
	err = server_listen(&d->server, d->tun.name, &control, &sops);
	if (err) {
		log_error("Failed to listen on uapi socket %s/%s.sock: %s", SERVER_DIR, d->tun.name,
			  err == -EADDRINUSE ? "a daemon is already running for this interface"
					     : strerror(-err));
		return err;
	}
	snprintf(d->sock_path, sizeof(d->sock_path), "%s", d->server.path);
	{
		/* Here, not in daemon_run: the inotify watch names a path,
		 * which the engine's empty root does not have. */
		char name[IFNAMSIZ + 8];
		snprintf(name, sizeof(name), "%s.sock", d->tun.name);
		d->monitor = monitor_open(d->tun.ifindex, SERVER_DIR, name);
		if (!d->monitor) {
			err = -errno;
			log_error("Failed to watch the link and the socket: %s", strerror(errno));
			return err;
		}
	}
	err = udp_set_open(&d->udp, n_workers, 0, 0);
	if (err) {
		log_error("Failed to open UDP sockets: %s", strerror(-err));
		return err;
	}
	return daemon_init_core(d, (unsigned)mtu);
}

int daemon_listen_stats(struct daemon *d, gid_t gid)
{
	/* Events carry no secret: the statistics socket gives them too. */
	struct server_ops sops;
	const struct server_params stats = {
		.what = "statistics socket", .dir = UAPI_STATS_DIR,
		.suffix = UAPI_STATS_SUFFIX, .mode = 0660, .gid = gid, .stats = true,
	};
	int err;

	daemon_server_ops(d, &sops);
	err = server_listen(&d->stats_server, d->tun.name, &stats, &sops);
	if (err)
		log_error("Failed to listen on the statistics socket %s/%s%s: %s", UAPI_STATS_DIR,
			  d->tun.name, UAPI_STATS_SUFFIX,
			  err == -EADDRINUSE ? "a daemon is already running for this interface"
					     : strerror(-err));
	return err;
}

static bool add_client_kind(struct daemon *d, struct server_client *c, enum ctl_kind kind)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

	c->kind = kind;
	return !epoll_ctl(d->ctl_epfd, EPOLL_CTL_ADD, c->fd, &ev);
}

static bool add_client(void *arg, struct server_client *c)
{
	return add_client_kind(arg, c, CTL_CLIENT);
}

static bool add_stats_client(void *arg, struct server_client *c)
{
	return add_client_kind(arg, c, CTL_STATS_CLIENT);
}

static int ctl_watch(struct daemon *d, int fd, enum ctl_kind kind)
{
	/* The parent's socket: only its end closing (the parent stops the
	 * engine that way, or died); its answers are read where asked. */
	struct epoll_event ev = { .events = kind == CTL_PARENT ? EPOLLRDHUP : EPOLLIN,
				  .data.ptr = &ctl_tags[kind] };

	return epoll_ctl(d->ctl_epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Events were lost: look for the link ourselves.  At home by name and
 * index; in another namespace the engine can neither ask (no socket
 * there, no CAP_NET_ADMIN for IFLA_TARGET_NETNSID) nor enter it, so it
 * asks its TUN queue whether the device still exists and keeps the MTU
 * it knew until the next change is heard.  false: the link is gone. */
static bool relook(struct daemon *d, struct monitor_link_event *ev)
{
	const struct monitor_link *where = monitor_where(d->monitor);

	if (where->nsid == MONITOR_NSID_HOME && !where->moving_to) {
		if (if_nametoindex(d->tun.name) != where->ifindex)
			return false;
		ev->mtu = tun_mtu(&d->tun);
		return true;
	}
	ev->mtu = 0;
	if (!tun_present(&d->tun))
		return false;
	log_warn("Link events were lost; the interface is in another namespace, its MTU is "
		 "taken as %u until the next change", d->dev.mtu);
	return true;
}

static void on_link(struct daemon *d)
{
	struct monitor_link_event ev;

	monitor_read_link(d->monitor, &ev);
	if (ev.deleted) {
		request_stop(d, "the interface was deleted");
		return;
	}
	if (ev.moved) {
		const struct monitor_link *where = monitor_where(d->monitor);

		if (where->nsid == MONITOR_NSID_HOME)
			log_info("The interface is back in the daemon's namespace (index %u)",
				 where->ifindex);
		else
			log_info("The interface moved to namespace id %d (index %u); the UDP "
				 "sockets stay here", where->nsid, where->ifindex);
	}
	if (ev.mtu < 0 && !relook(d, &ev)) {
		request_stop(d, "the interface was deleted");
		return;
	}
	if (ev.mtu > 0 && (unsigned)ev.mtu != d->dev.mtu) {
		daemon_lock_device(d);
		d->dev.mtu = (unsigned)ev.mtu;
		daemon_unlock_device(d);
		pool_set_mtu(&d->pool, (unsigned)ev.mtu);
		log_info("MTU is now %d", ev.mtu);
	}
}

static void on_timer(struct daemon *d)
{
	drain(d->timer_fd);
	pthread_rwlock_rdlock(&d->sock_lock);
	daemon_lock_device(d);
	d->timer_armed = 0;
	device_run_timers(&d->dev, daemon_now());
	daemon_rearm_timer(d);
	daemon_unlock_device(d);
	pthread_rwlock_unlock(&d->sock_lock);
}

static void on_wake(struct daemon *d)
{
	drain(d->wake_fd);
	pthread_rwlock_rdlock(&d->sock_lock);
	daemon_lock_device(d);
	if (d->takeovers.n_due)
		takeover_run(&d->takeovers, d, daemon_now());
	daemon_unlock_device(d);
	pthread_rwlock_unlock(&d->sock_lock);
}

static void log_event_line(void *arg, const char *line)
{
	struct daemon *d = arg;

	log_info("%s interface=%s", line, d->tun.name);
}

static void control_loop(struct daemon *d)
{
	struct epoll_event evs[32];
	uint64_t idle_next = 0;

	while (!atomic_load(&d->stopping)) {
		int timeout = -1, n;
		bool accept = false, accept_stats = false;
		uint64_t now;

		if (idle_next) {
			uint64_t at = real_deadline(idle_next);

			now = boottime_ns();
			timeout = at > now ? (int)((at - now) / 1000000ULL) + 1 : 0;
		}
		n = epoll_wait(d->ctl_epfd, evs, 32, timeout);
		if (n < 0 && errno != EINTR) {
			request_stop(d, "the control loop's epoll failed");
			break;
		}
		now = daemon_now();
		for (int i = 0; i < n; i++) {
			int kind = *(int *)evs[i].data.ptr;

			switch (kind) {
			case CTL_LISTEN:
				/* Below, after every client event of this round:
				 * accepting may evict a client named by one. */
				accept = true;
				break;
			case CTL_STATS_LISTEN:
				accept_stats = true;
				break;
			case CTL_CLIENT:
			case CTL_STATS_CLIENT: {
				struct server *s = kind == CTL_CLIENT ? &d->server : &d->stats_server;
				struct server_client *c = evs[i].data.ptr;
				uint32_t want = server_client_io(s, c, now);
				if (!want) {
					server_drop(s, c);
				} else {
					struct epoll_event ev = { .events = want, .data.ptr = c };
					epoll_ctl(d->ctl_epfd, EPOLL_CTL_MOD, c->fd, &ev);
				}
				break;
			}
			case CTL_SIGNAL: {
				struct signalfd_siginfo si;
				if (read(d->signal_fd, &si, sizeof(si)) == sizeof(si))
					request_stop(d, strsignal((int)si.ssi_signo));
				break;
			}
			case CTL_TIMER:
				on_timer(d);
				break;
			case CTL_WAKE:
				on_wake(d);
				break;
			case CTL_EVENTS:
				drain(d->events.fd);
				events_drain(&d->events, now, log_event_line, d);
				break;
			case CTL_LINK:
				on_link(d);
				break;
			case CTL_PARENT:
				request_stop(d, "the privileged parent has stopped");
				break;
			case CTL_FILE:
				if (monitor_read_file(d->monitor) && !server_socket_present(&d->server))
					request_stop(d, "the control socket was removed");
				break;
			}
		}
		if (accept)
			server_accept(&d->server, now, add_client, d);
		if (accept_stats)
			server_accept(&d->stats_server, now, add_stats_client, d);
		now = daemon_now();
		idle_next = server_expire(&d->server, now);
		{
			uint64_t stats_next = server_expire(&d->stats_server, now);
			if (stats_next && (!idle_next || stats_next < idle_next))
				idle_next = stats_next;
		}
	}
}

int daemon_run(struct daemon *d)
{
	sigset_t mask, old;
	unsigned started = 0;
	int err = 0;

	d->ctl_epfd = epoll_create1(EPOLL_CLOEXEC);
	d->timer_fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	d->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	/* Every thread inherits the mask: signals arrive only as reads of
	 * signal_fd in the control loop. */
	pthread_sigmask(SIG_BLOCK, &mask, &old);
	signal(SIGPIPE, SIG_IGN);
	d->signal_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->ctl_epfd < 0 || d->timer_fd < 0 || d->wake_fd < 0 || d->signal_fd < 0 ||
	    !d->monitor) {
		log_error("Failed to set up the control loop: %s", strerror(errno));
		return 1;
	}
	if (ctl_watch(d, d->server.listen_fd, CTL_LISTEN) || ctl_watch(d, d->signal_fd, CTL_SIGNAL) ||
	    ctl_watch(d, d->timer_fd, CTL_TIMER) || ctl_watch(d, d->wake_fd, CTL_WAKE) ||
	    ctl_watch(d, monitor_link_fd(d->monitor), CTL_LINK) ||
	    ctl_watch(d, monitor_file_fd(d->monitor), CTL_FILE) ||
	    ctl_watch(d, d->events.fd, CTL_EVENTS) ||
	    (d->stats_server.listen_fd >= 0 && ctl_watch(d, d->stats_server.listen_fd, CTL_STATS_LISTEN)) ||
	    (d->priv_fd >= 0 && ctl_watch(d, d->priv_fd, CTL_PARENT))) {
		log_error("Failed to set up the control loop: %s", strerror(errno));
		return 1;
	}

	d->workers = calloc(d->n_workers, sizeof(*d->workers));
	if (!d->workers) {
		log_error("Failed to start: out of memory");
		return 1;
	}
	for (unsigned i = 0; i < d->n_workers; i++)
		d->workers[i].epfd = d->workers[i].stop_fd = -1;
	for (; started < d->n_workers; started++) {
		err = worker_init(d, &d->workers[started], started);
		if (!err)
			err = -pthread_create(&d->workers[started].thread, NULL, worker_main,
					      &d->workers[started]);
		if (err) {
			log_error("Failed to start data thread %u: %s", started, strerror(-err));
			worker_uninit(&d->workers[started]);
			break;
		}
	}
	if (!err) {
		err = -pthread_create(&d->hs_thread, NULL, handshake_main, d);
		d->hs_started = !err;
	}
	if (!err) {
		log_info("interface %s is up, listening on UDP port %u with %u data thread(s)",
			 d->tun.name, d->udp.port, d->n_workers);
		control_loop(d);
	} else {
		atomic_store(&d->stopping, true);
	}

	atomic_store(&d->stopping, true);
	daemon_wake_workers(d);
	pthread_mutex_lock(&d->hsq.lock);
	pthread_cond_broadcast(&d->hsq.nonempty);
	pthread_mutex_unlock(&d->hsq.lock);
	for (unsigned i = 0; i < started; i++) {
		pthread_join(d->workers[i].thread, NULL);
		worker_uninit(&d->workers[i]);
	}
	if (d->hs_started)
		pthread_join(d->hs_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err ? 1 : 0;
}

void daemon_uninit(struct daemon *d)
{
	server_close(&d->server);
	server_close(&d->stats_server);
	if (d->dev_ready) {
		/* Every thread is gone; the lock only satisfies the table's
		 * debug check. */
		daemon_lock_device(d);
		device_uninit(&d->dev);
		daemon_unlock_device(d);
	}
	hsq_uninit(&d->hsq);
	if (d->events_ready)
		events_uninit(&d->events);
	d->events_ready = false;
	udp_set_close(&d->udp);
	tun_close(&d->tun);
	if (d->pool_ready)
		pool_uninit(&d->pool);
	monitor_close(d->monitor);
	free(d->workers);
	int *fds[] = { &d->timer_fd, &d->signal_fd, &d->wake_fd, &d->ctl_epfd };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (*fds[i] >= 0)
			close(*fds[i]);
	pthread_mutex_destroy(&d->dev_lock);
	pthread_rwlock_destroy(&d->sock_lock);
}

/* ---- the control interface (control.h) ----------------------------------- */

struct device *daemon_device(struct daemon *d)
{
	daemon_assert_locked(d);
	return &d->dev;
}

struct takeovers *daemon_takeovers(struct daemon *d)
{
	daemon_assert_locked(d);
	return &d->takeovers;
}

unsigned long long daemon_handshakes_dropped(struct daemon *d)
{
	unsigned long long n;

	pthread_mutex_lock(&d->hsq.lock);
	n = d->hsq.dropped;
	pthread_mutex_unlock(&d->hsq.lock);
	return n;
}

void daemon_read_counters(struct daemon *d, struct daemon_counters *out)
{
	out->handshake_queue_full = daemon_handshakes_dropped(d);
	out->datagram_truncated = atomic_load(&d->stats.rx_truncated);
	out->datagrams_received = atomic_load(&d->stats.rx_datagrams);
	out->datagram_send_failed = atomic_load(&d->stats.tx_failed);
	out->tun_write_failed = atomic_load(&d->stats.tun_write_failed);
}

char *daemon_events_reply(struct daemon *d, uint64_t since, size_t *len, int *err)
{
	char *text = events_reply(&d->events, since, len);

	if (!text)
		*err = -ENOMEM;
	return text;
}

void daemon_event_counters(struct daemon *d, unsigned long long *suppressed,
			   unsigned long long *not_logged)
{
	events_counters(&d->events, suppressed, not_logged);
}
