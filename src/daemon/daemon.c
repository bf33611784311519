/* rampartd's threads, the core's I/O callbacks and the control loop
 * (daemon.h has the threads and the lock order). */
#define _GNU_SOURCE
#include "daemon.h"
#include "datapath.h"
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

void daemon_drain(int fd)
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

void daemon_request_stop(struct daemon *d, const char *why)
{
	if (!atomic_exchange(&d->stopping, true))
		log_info("shutting down: %s", why);
	poke(d->wake_fd);
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
	struct device_ops ops = {
		.arg = d,
		.wall_clock = op_wall_clock,
		.event = op_event,
	};
	int err = events_init(&d->events);

	datapath_ops(&ops);
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

/* The offloads in use, at info level: what an operator checks first when
 * a kernel's offload misbehaves (RAMPART_OFFLOAD_OFF turns one off). */
static void log_offloads(unsigned on)
{
	log_info("offloads: TUN TSO %s, USO %s; UDP GSO %s, GRO %s", on & OFFLOAD_TSO ? "on" : "off",
		 on & OFFLOAD_USO ? "on" : "off", on & OFFLOAD_GSO ? "on" : "off",
		 on & OFFLOAD_GRO ? "on" : "off");
}

int daemon_init(struct daemon *d, const char *ifname, unsigned n_workers, unsigned want)
{
	struct server_ops sops;
	const struct server_params control = {
		.what = "control socket", .dir = SERVER_DIR, .suffix = SERVER_SUFFIX,
		.mode = 0600, .gid = (gid_t)-1,
	};
	int err, mtu;

	daemon_init_base(d, ifname, n_workers);
	daemon_server_ops(d, &sops);
	err = tun_open(&d->tun, ifname, n_workers, want);
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
	/* Also for the sockets of a later port change, opened by this
	 * process (the privileged parent under privilege separation). */
	udp_want_gro(want & OFFLOAD_GRO);
	err = udp_set_open(&d->udp, n_workers, 0, 0);
	if (err) {
		log_error("Failed to open UDP sockets: %s", strerror(-err));
		return err;
	}
	atomic_store(&d->offloads, d->tun.offloads | (want & (OFFLOAD_GSO | OFFLOAD_GRO)));
	log_offloads(atomic_load(&d->offloads));
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
		daemon_request_stop(d, "the interface was deleted");
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
		daemon_request_stop(d, "the interface was deleted");
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
	daemon_drain(d->timer_fd);
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
	daemon_drain(d->wake_fd);
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
			daemon_request_stop(d, "the control loop's epoll failed");
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
					daemon_request_stop(d, strsignal((int)si.ssi_signo));
				break;
			}
			case CTL_TIMER:
				on_timer(d);
				break;
			case CTL_WAKE:
				on_wake(d);
				break;
			case CTL_EVENTS:
				daemon_drain(d->events.fd);
				events_drain(&d->events, now, log_event_line, d);
				break;
			case CTL_LINK:
				on_link(d);
				break;
			case CTL_PARENT:
				daemon_request_stop(d, "the privileged parent has stopped");
				break;
			case CTL_FILE:
				if (monitor_read_file(d->monitor) && !server_socket_present(&d->server))
					daemon_request_stop(d, "the control socket was removed");
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
		err = datapath_worker_init(d, &d->workers[started], started);
		if (!err)
			err = -pthread_create(&d->workers[started].thread, NULL, datapath_worker_main,
					      &d->workers[started]);
		if (err) {
			log_error("Failed to start data thread %u: %s", started, strerror(-err));
			datapath_worker_uninit(&d->workers[started]);
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
		datapath_worker_uninit(&d->workers[i]);
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

static unsigned long long handshakes_queued(struct daemon *d)
{
	unsigned long long n;

	pthread_mutex_lock(&d->hsq.lock);
	n = d->hsq.proven.len + d->hsq.unproven.len;
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
	out->tun_gso_read = atomic_load(&d->stats.tun_gso_read);
	out->tun_gso_bad = atomic_load(&d->stats.tun_gso_bad);
	out->tun_gso_written = atomic_load(&d->stats.tun_gso_written);
	out->udp_gso_sent = atomic_load(&d->stats.udp_gso_sent);
	out->udp_gro_received = atomic_load(&d->stats.udp_gro_received);
	out->handshake_queue_len = handshakes_queued(d);
	pthread_mutex_lock(&d->pool.lock);
	out->packet_buffers_in_use = d->pool.n_out;
	out->packet_buffers_free = d->pool.n_free;
	pthread_mutex_unlock(&d->pool.lock);
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
