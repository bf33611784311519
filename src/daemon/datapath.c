/* The data threads (datapath.h): TUN and UDP batches through the core,
 * the AEAD outside dev_lock, and the core's send and deliver callbacks,
 * which put their output in the calling data thread's batches. */
#define _GNU_SOURCE
#include "datapath.h"

#include "daemon.h"

#include "common/log.h"

#include <endian.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

enum {
	/* A received datagram's buffer: the largest UDP payload. */
	RX_BUF = 65536,
	/* A datagram waiting in a data thread's send batch. */
	TX_SLOT = 65536 + 64,
	/* Datagram batches a data thread reads per wake-up per socket, so
	 * that one busy socket does not starve the TUN queue. */
	RX_ROUNDS = 4,
	/* A TUN read with the virtio-net header: it and the largest packet. */
	TUN_BUF = sizeof(struct tun_vnet_hdr) + 65535,
};

/* A data thread's epoll tags. */
enum { W_TUN = 1, W_UDP4, W_UDP6, W_WAKE };

/* The data thread running on this thread, or NULL (control, handshake):
 * where the core's send and deliver callbacks put their output. */
static __thread struct worker *current_worker;

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

/* One packet to a TUN queue, behind an empty virtio-net header when the
 * queues have one (nothing to offload, checksum as it came). */
static void write_tun(struct daemon *d, int fd, struct packet *p)
{
	struct tun_vnet_hdr h = { 0 };
	struct iovec iov[2] = { { &h, sizeof(h) }, { packet_data(p), p->len } };
	ssize_t r = d->tun.vnet ? writev(fd, iov, 2) : write(fd, packet_data(p), p->len);

	if (r < 0)
		atomic_fetch_add(&d->stats.tun_write_failed, 1);
	release_packet(d, p);
}

static void op_deliver(void *arg, struct peer *peer, struct packet *p)
{
	struct daemon *d = arg;
	struct worker *w = current_worker;

	daemon_assert_locked(d);
	(void)peer;
	if (w && w->n_deliver < WORKER_RX_VIEWS)
		w->deliver[w->n_deliver++] = p;
	else
		write_tun(d, w ? w->tun_fd : d->tun.fds[0], p);
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
 * dev_lock, and sends them straight from their buffers: with UDP GSO,
 * each run for one peer (a super-packet's segments) in one send. */
static void flush_seal_jobs(struct worker *w)
{
	struct daemon *d = w->d;
	uint8_t *bufs[WORKER_SEAL_JOBS];
	size_t lens[WORKER_SEAL_JOBS];
	struct endpoint eps[WORKER_SEAL_JOBS];
	struct packet *sent[WORKER_SEAL_JOBS];
	unsigned n = 0, failed, gso_sends = 0;
	bool gso_failed = false;

	for (unsigned i = 0; i < w->n_seal_jobs; i++) {
		struct device_job *j = &w->seal_jobs[i];

		if (!device_job_seal(&w->crypto, j)) {
			atomic_fetch_add(&d->stats.tx_failed, 1);
			release_packet(d, j->p);
			continue;
		}
		bufs[n] = packet_data(j->p);
		lens[n] = j->p->len;
		eps[n] = j->ep;
		sent[n++] = j->p;
	}
	w->n_seal_jobs = 0;
	if (!n)
		return;
	failed = udp_send_list(&d->udp.pairs[w->id], bufs, lens, eps, n,
			       atomic_load(&d->offloads) & OFFLOAD_GSO, &gso_sends, &gso_failed);
	if (failed)
		atomic_fetch_add(&d->stats.tx_failed, failed);
	if (gso_sends)
		atomic_fetch_add(&d->stats.udp_gso_sent, gso_sends);
	if (gso_failed && (atomic_fetch_and(&d->offloads, ~(unsigned)OFFLOAD_GSO) & OFFLOAD_GSO))
		log_warn("the kernel refused a UDP GSO send: sending one datagram at a time from now on");
	for (unsigned k = 0; k < n; k++)
		release_packet(d, sent[k]);
}

/* Members of a merged group to the TUN queue: the header and the merged
 * headers, then each member's payload, in one writev. */
static void write_group(struct worker *w, const struct gro_group *g, struct packet **members)
{
	struct {
		struct tun_vnet_hdr h;
		uint8_t hdr[128];
	} __attribute__((packed)) out;
	struct iovec iov[1 + GRO_MAX_SEGMENTS];
	struct gso_meta m;
	unsigned n = 1;
	size_t hl;

	memset(&out.h, 0, sizeof(out.h));
	hl = gro_header(w->gro, g, out.hdr, &m);
	out.h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	out.h.gso_type = m.type == GSO_TCP4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
	out.h.hdr_len = htole16(m.hdr_len);
	out.h.gso_size = htole16(m.gso_size);
	out.h.csum_start = htole16(m.csum_start);
	out.h.csum_offset = htole16(m.csum_offset);
	iov[0].iov_base = &out;
	iov[0].iov_len = sizeof(out.h) + hl;
	for (unsigned k = g->first; k != GRO_END; k = w->gro->segs[k].next) {
		const struct gro_seg *sg = &w->gro->segs[k];
		iov[n].iov_base = (void *)(sg->pkt + sg->hdr_len);
		iov[n++].iov_len = sg->payload;
	}
	if (writev(w->tun_fd, iov, (int)n) < 0)
		atomic_fetch_add(&w->d->stats.tun_write_failed, 1);
	else
		atomic_fetch_add(&w->d->stats.tun_gso_written, 1);
	for (unsigned k = g->first; k != GRO_END; k = w->gro->segs[k].next)
		release_packet(w->d, members[k]);
}

/* The groups of w->gro, whose packets are members[0..]: merged or alone. */
static void write_groups(struct worker *w, struct packet **members)
{
	for (unsigned i = 0; i < w->gro->n_groups; i++) {
		const struct gro_group *g = &w->gro->groups[i];

		if (g->n > 1)
			write_group(w, g, members);
		else
			write_tun(w->d, w->tun_fd, members[g->first]);
	}
	gro_init(w->gro);
}

/* The packets delivered in a pass, to the TUN queue: with TSO on the
 * TUN, consecutive TCP segments of a flow merged into one write. */
static void flush_deliver(struct worker *w)
{
	unsigned start = 0;

	if (!w->gro || !(w->d->tun.offloads & OFFLOAD_TSO)) {
		for (unsigned i = 0; i < w->n_deliver; i++)
			write_tun(w->d, w->tun_fd, w->deliver[i]);
		w->n_deliver = 0;
		return;
	}
	gro_init(w->gro);
	for (unsigned i = 0; i < w->n_deliver; i++) {
		struct packet *p = w->deliver[i];

		if (gro_add(w->gro, packet_data(p), p->len))
			continue;
		write_groups(w, w->deliver + start); /* full: what is there first */
		start = i;
		if (!gro_add(w->gro, packet_data(p), p->len))
			write_tun(w->d, w->tun_fd, p); /* cannot happen: it is empty */
	}
	write_groups(w, w->deliver + start);
	w->n_deliver = 0;
}

/* The n views of a batch that are not handshakes, through the core:
 * routed in one locked pass, data opened without the lock, then finished
 * in a second locked pass; what that sends or delivers goes after it. */
static void receive_kept(struct worker *w, const struct udp_batch *b, unsigned n)
{
	struct daemon *d = w->d;
	unsigned n_open = 0;
	uint64_t now = daemon_now();

	daemon_lock_device(d);
	for (unsigned k = 0; k < n; k++) {
		struct packet *p = &w->views[k].p;
		const struct endpoint *src = &b->eps[w->view_ep[k]];

		if (packet_classify(packet_data(p), p->len) != MESSAGE_DATA)
			daemon_log_drop(device_receive(&d->dev, p, src, now), src);
		else if (device_receive_prepare(&d->dev, p, &w->open_jobs[n_open], now) == DROP_NONE)
			w->open_at[n_open++] = k;
	}
	if (!n_open)
		daemon_rearm_timer(d);
	daemon_unlock_device(d);
	if (n_open) {
		for (unsigned k = 0; k < n_open; k++)
			device_job_open(&w->crypto, &w->open_jobs[k]);
		now = daemon_now();
		daemon_lock_device(d);
		for (unsigned k = 0; k < n_open; k++) {
			const struct endpoint *src = &b->eps[w->view_ep[w->open_at[k]]];
			daemon_log_drop(device_receive_opened(&d->dev, &w->open_jobs[k], src, now), src);
		}
		daemon_rearm_timer(d);
		daemon_unlock_device(d);
	}
	flush_tx(w);
	flush_seal_jobs(w);
	flush_deliver(w);
}

/* The datagrams of buffer i of b (several when UDP_GRO coalesced them):
 * handshakes to their queue, the rest as views from w->views[*n] on. */
static unsigned split_received(struct worker *w, const struct udp_batch *b, unsigned i,
			       unsigned *n)
{
	size_t len = b->lens[i], size = b->gro_size[i] && b->gro_size[i] < len ? b->gro_size[i] : len;
	/* An empty datagram is one too (the core counts it invalid). */
	unsigned count = len ? (unsigned)((len + size - 1) / size) : 1;

	for (unsigned k = 0; k < count; k++) {
		size_t off = (size_t)k * size;
		uint8_t *buf = b->bufs[i] + off;
		size_t seg = len - off < size ? len - off : size;
		enum message_type type = packet_classify(buf, seg);
		struct pool_packet *v;

		if (type == MESSAGE_HANDSHAKE_INITIATION || type == MESSAGE_HANDSHAKE_RESPONSE ||
		    type == MESSAGE_HANDSHAKE_COOKIE) {
			hsq_push(&w->d->hsq, buf, seg, &b->eps[i]);
			continue;
		}
		if (*n == WORKER_RX_VIEWS) { /* more than the kernel coalesces */
			atomic_fetch_add(&w->d->stats.rx_truncated, 1);
			continue;
		}
		v = &w->views[(*n)++];
		v->from_pool = false;
		v->p.head = buf;
		v->p.cap = seg;
		v->p.off = 0;
		v->p.len = seg;
		v->p.next = NULL;
		v->p.core_owned = false;
		w->view_ep[*n - 1] = i;
	}
	if (count > 1)
		atomic_fetch_add(&w->d->stats.udp_gro_received, 1);
	return count;
}

/* Datagrams from fd: handshakes to their queue, the rest through the
 * core (receive_kept). */
static void worker_rx(struct worker *w, int fd)
{
	struct daemon *d = w->d;
	struct udp_batch b;

	for (int round = 0; round < RX_ROUNDS; round++) {
		unsigned n_views = 0, datagrams = 0;
		int n;

		b.eps = w->rx_eps;
		for (unsigned i = 0; i < UDP_BATCH; i++) {
			b.bufs[i] = w->rx[i].p.head;
			b.caps[i] = RX_BUF;
		}
		n = udp_recv_batch(fd, &b);
		if (n <= 0)
			return;
		for (unsigned i = 0; i < (unsigned)n; i++) {
			if (b.truncated[i]) {
				atomic_fetch_add(&d->stats.rx_truncated, 1);
				datagrams++;
				continue;
			}
			datagrams += split_received(w, &b, i, &n_views);
		}
		/* What reached the port, before any check: rampart doctor's
		 * evidence that datagrams arrive, with or without a firewall
		 * table to count them.  One atomic add per batch. */
		atomic_fetch_add(&d->stats.rx_datagrams, (unsigned long long)datagrams);
		if (n_views)
			receive_kept(w, &b, n_views);
		if (n < UDP_BATCH)
			return;
	}
}

#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5 /* Linux 6.2's virtio_net.h */
#endif

/* A virtio-net header as the core's gso_meta; false for a GSO type we
 * did not offer. */
static bool vnet_meta(const struct tun_vnet_hdr *h, struct gso_meta *m)
{
	memset(m, 0, sizeof(*m));
	switch (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE: m->type = GSO_NONE; break;
	case VIRTIO_NET_HDR_GSO_TCPV4: m->type = GSO_TCP4; break;
	case VIRTIO_NET_HDR_GSO_TCPV6: m->type = GSO_TCP6; break;
	case VIRTIO_NET_HDR_GSO_UDP_L4: m->type = GSO_UDP_L4; break;
	default: return false;
	}
	m->needs_csum = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	m->hdr_len = le16toh(h->hdr_len);
	m->gso_size = le16toh(h->gso_size);
	m->csum_start = le16toh(h->csum_start);
	m->csum_offset = le16toh(h->csum_offset);
	return true;
}

/* A pool packet holding len bytes of data, or NULL (counted). */
static struct packet *pool_packet_for(struct daemon *d, size_t len)
{
	struct packet *p = pool_get(&d->pool);

	if (!p) {
		atomic_fetch_add(&d->stats.tun_read_nobuf, 1);
		return NULL;
	}
	if (len > p->cap - p->off - PACKET_TAILROOM) { /* larger than the MTU allows */
		pool_put(&d->pool, p);
		atomic_fetch_add(&d->stats.tun_gso_bad, 1);
		return NULL;
	}
	return p;
}

/* What one read with a virtio-net header gave (pkt, len): one packet, its
 * checksum completed if the kernel left it partial, or a super-packet's
 * segments, each into a pool packet at pk[*n] on. */
static void take_read(struct worker *w, uint8_t *pkt, size_t len, const struct tun_vnet_hdr *h,
		      struct packet **pk, unsigned *n)
{
	struct daemon *d = w->d;
	struct gso_plan plan;
	struct gso_meta m;
	struct packet *p;

	if (!vnet_meta(h, &m) || (m.type == GSO_NONE && m.needs_csum && !gso_complete_csum(pkt, len, &m)) ||
	    (m.type != GSO_NONE && gso_plan(pkt, len, &m, &plan))) {
		atomic_fetch_add(&d->stats.tun_gso_bad, 1);
		return;
	}
	if (m.type == GSO_NONE) {
		p = pool_packet_for(d, len);
		if (!p)
			return;
		memcpy(packet_data(p), pkt, len);
		p->len = len;
		pk[(*n)++] = p;
		return;
	}
	atomic_fetch_add(&d->stats.tun_gso_read, 1);
	for (unsigned i = 0; i < plan.n; i++) {
		p = pool_packet_for(d, plan.hdr_len + plan.seg);
		if (!p)
			return;
		p->len = gso_segment(&plan, i, packet_data(p));
		pk[(*n)++] = p;
	}
}

/* Reads one packet (or super-packet) from the TUN queue into pk[*n] on;
 * false when there is nothing more to read now. */
static bool read_tun(struct worker *w, struct packet **pk, unsigned *n)
{
	struct daemon *d = w->d;
	struct packet *p = NULL;
	ssize_t r;

	if (w->tun_buf) {
		r = read(w->tun_fd, w->tun_buf, TUN_BUF);
	} else {
		p = pool_get(&d->pool);
		if (!p) {
			atomic_fetch_add(&d->stats.tun_read_nobuf, 1);
			return false;
		}
		r = read(w->tun_fd, p->head + p->off, p->cap - p->off - PACKET_TAILROOM);
	}
	if (r <= 0) {
		int err = r < 0 ? errno : 0;
		if (p)
			pool_put(&d->pool, p);
		/* EBADFD / EIO: the interface is gone. */
		if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR)
			daemon_request_stop(d, "the TUN device went away");
		return false;
	}
	if (p) {
		p->len = (size_t)r;
		pk[(*n)++] = p;
	} else if ((size_t)r > sizeof(struct tun_vnet_hdr)) {
		struct tun_vnet_hdr h;
		memcpy(&h, w->tun_buf, sizeof(h));
		take_read(w, w->tun_buf + sizeof(h), (size_t)r - sizeof(h), &h, pk, n);
	}
	return true;
}

/* IP packets from this thread's TUN queue through the core. */
static void worker_tx(struct worker *w)
{
	struct daemon *d = w->d;
	struct packet *pk[WORKER_TX_PACKETS];
	unsigned n = 0;
	uint64_t now;

	/* Room for one more read's segments each time round. */
	for (unsigned reads = 0; reads < UDP_BATCH && n + GSO_MAX_SEGMENTS <= WORKER_TX_PACKETS; reads++)
		if (!read_tun(w, pk, &n))
			break;
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

void *datapath_worker_main(void *arg)
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
			daemon_request_stop(d, "a data thread's epoll failed");
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (evs[i].data.u32) {
			case W_TUN: tun = true; break;
			case W_UDP4: udp4 = true; break;
			case W_UDP6: udp6 = true; break;
			case W_WAKE: daemon_drain(w->stop_fd); break;
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

/* Places n bytes at *off of base (NULL: only counts), 64-byte aligned. */
static void *carve(uint8_t *base, size_t *off, size_t n)
{
	void *p = base ? base + *off : NULL;

	*off += (n + 63) & ~(size_t)63;
	return p;
}

/* Lays a thread's buffers and arrays out in base, or with base NULL only
 * sizes them; returns the size. */
static size_t worker_layout(struct worker *w, uint8_t *base)
{
	size_t off = 0;

	for (unsigned i = 0; i < UDP_BATCH; i++)
		w->rx[i].p.head = carve(base, &off, RX_BUF);
	w->tx_area = carve(base, &off, (size_t)UDP_BATCH * TX_SLOT);
	w->views = carve(base, &off, WORKER_RX_VIEWS * sizeof(*w->views));
	w->view_ep = carve(base, &off, WORKER_RX_VIEWS * sizeof(*w->view_ep));
	w->deliver = carve(base, &off, WORKER_RX_VIEWS * sizeof(*w->deliver));
	w->open_jobs = carve(base, &off, WORKER_RX_VIEWS * sizeof(*w->open_jobs));
	w->open_at = carve(base, &off, WORKER_RX_VIEWS * sizeof(*w->open_at));
	if (w->d->tun.vnet) {
		w->tun_buf = carve(base, &off, TUN_BUF);
		w->gro = carve(base, &off, sizeof(*w->gro));
	}
	return off;
}

int datapath_worker_init(struct daemon *d, struct worker *w, unsigned id)
{
	void *area;

	memset(w, 0, sizeof(*w));
	w->d = d;
	w->id = id;
	w->tun_fd = d->tun.fds[id];
	w->bound_fd4 = w->bound_fd6 = -1;
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->stop_fd < 0)
		return -errno;
	/* One anonymous mapping for all of them (4.5 MiB with two
	 * threads): the kernel backs a page only when it is first written,
	 * so an idle daemon holds almost none of it.  malloc would write a
	 * chunk header into each 64 KiB buffer, and calloc would zero the
	 * arrays. */
	w->area_len = worker_layout(w, NULL);
	area = mmap(NULL, w->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED) {
		w->area_len = 0;
		return -ENOMEM;
	}
	w->area = area;
	worker_layout(w, area);
	for (unsigned i = 0; i < UDP_BATCH; i++) {
		w->rx[i].from_pool = false;
		w->rx[i].p.cap = RX_BUF;
		w->tx.bufs[i] = w->tx_area + (size_t)i * TX_SLOT;
	}
	w->tx.eps = w->tx_eps;
	if (w->gro)
		gro_init(w->gro);
	if (packet_crypto_init(&w->crypto))
		return -ENOMEM;
	watch(w->epfd, w->tun_fd, W_TUN);
	watch(w->epfd, w->stop_fd, W_WAKE);
	return 0;
}

void datapath_worker_uninit(struct worker *w)
{
	if (w->area)
		munmap(w->area, w->area_len);
	w->area = NULL;
	packet_crypto_uninit(&w->crypto);
	if (w->epfd > 0)
		close(w->epfd);
	if (w->stop_fd > 0)
		close(w->stop_fd);
}

void datapath_ops(struct device_ops *ops)
{
	ops->send = op_send;
	ops->deliver = op_deliver;
	ops->release = op_release;
	ops->send_data = op_send_data;
}
