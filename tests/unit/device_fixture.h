/* Two in-memory devices over a simulated network under a fake clock,
 * shared by test_device.c and test_device_events.c: nodes a and b, the
 * datagrams in flight, loss and reordering switches, and what each
 * device did (packets, messages sent by type, its events).
 *
 * With jobs_mode set before pair_init, the nodes work as the daemon's
 * data threads do: data messages are sealed outside the core
 * (ops->send_data, sealed when the core call returns, with the node's
 * own packet_crypto) and received in the three steps (prepare, open,
 * opened), so every scenario can run on both paths. */
#ifndef RAMPART_TESTS_DEVICE_FIXTURE_H
#define RAMPART_TESTS_DEVICE_FIXTURE_H

#include "harness.h"

#include "crypto/crypto.h"
#include "proto/device.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define S(x) ((uint64_t)(x) * NSEC_PER_SEC)
#define MS(x) ((uint64_t)(x) * NSEC_PER_MSEC)

enum { NET_MAX = 4096, BUF = 2048 };

struct node;

/* A datagram in flight. */
struct dgram {
	struct node *to;
	struct endpoint from;
	size_t len;
	uint8_t buf[BUF];
};

struct node {
	const char *name;
	struct device dev;
	struct peer *peer; /* the other node */
	struct endpoint addr; /* where this node is reachable */
	uint8_t priv[32], pub[32];
	uint8_t tun_addr[4];
	/* What the device did. */
	unsigned delivered, delivered_bytes;
	unsigned sent_initiations, sent_responses, sent_cookies, sent_keepalives, sent_data;
	uint64_t last_initiation_at, last_keepalive_at;
	bool echo; /* answer every delivered ping with a packet back */
	int live_packets;
	/* The core's events (ops->event), in order; endpoints copied. */
	struct node_event {
		struct device_event ev;
		struct endpoint old_ep, new_ep;
		uint8_t addr[16];
	} events[64];
	unsigned n_events;
	/* jobs_mode: the data messages the core handed out, to seal. */
	struct packet_crypto crypto;
	struct device_job jobs[512];
	unsigned n_jobs, jobs_taken, jobs_opened;
	/* gated_mode: the daemon's handshake thread, a cookie gate and a
	 * copy of the identity before the device. */
	struct cookie_gate gate;
	struct noise_local gate_local;
	uint64_t gate_gen;
	unsigned gated;        /* handshake messages that went through the gate */
};

static struct node na, nb;
static struct node *nodes[] = { &na, &nb };
static struct dgram *net[NET_MAX];
static size_t net_len;
static uint64_t vnow;           /* virtual monotonic ns */
static bool loss_all;           /* drop everything sent */
static unsigned drop_every;     /* drop every Nth datagram (0 = none) */
static unsigned sent_count;
static bool reorder;            /* deliver in flight in reverse */
static bool jobs_mode;          /* the daemon's split path (see the top) */
static bool gated_mode;         /* the daemon's handshake path (handshake.h) */

static __attribute__((unused)) struct node *node_at(const struct endpoint *ep)
{
	for (size_t i = 0; i < 2; i++)
		if (nodes[i]->addr.port == ep->port && !memcmp(nodes[i]->addr.addr, ep->addr, 16))
			return nodes[i];
	return NULL;
}

static __attribute__((unused)) int op_send(void *arg, const struct endpoint *ep, const uint8_t *buf, size_t len)
{
	struct node *from = arg, *to = node_at(ep);
	uint32_t type;

	memcpy(&type, buf, 4);
	switch (le32toh(type)) {
	case 1: from->sent_initiations++; from->last_initiation_at = vnow; break;
	case 2: from->sent_responses++; break;
	case 3: from->sent_cookies++; break;
	case 4:
		if (len == 32) {
			from->sent_keepalives++;
			from->last_keepalive_at = vnow;
		} else {
			from->sent_data++;
		}
		break;
	}
	sent_count++;
	if (!to || loss_all || (drop_every && sent_count % drop_every == 0))
		return 0; /* lost on the wire: the sender does not know */
	if (net_len == NET_MAX || len > BUF)
		return -ENOBUFS;
	struct dgram *d = malloc(sizeof(*d));
	d->to = to;
	d->from = from->addr;
	d->len = len;
	memcpy(d->buf, buf, len);
	net[net_len++] = d;
	return 0;
}

static __attribute__((unused)) struct packet *packet_new(struct node *n, const uint8_t *data, size_t len)
{
	struct packet *p = calloc(1, sizeof(*p));
	p->cap = PACKET_HEADROOM + len + PACKET_TAILROOM + 64;
	p->head = calloc(1, p->cap);
	p->off = PACKET_HEADROOM;
	p->len = len;
	memcpy(p->head + p->off, data, len);
	n->live_packets++;
	return p;
}

static __attribute__((unused)) void packet_free(struct node *n, struct packet *p)
{
	n->live_packets--;
	free(p->head);
	free(p);
}

static __attribute__((unused)) void op_release(void *arg, struct packet *p)
{
	packet_free(arg, p);
}

/* An IPv4 packet of `len` bytes from src to dst. */
static __attribute__((unused)) size_t make_ip4(uint8_t *buf, size_t len, const uint8_t src[4], const uint8_t dst[4])
{
	memset(buf, 0, len);
	buf[0] = 0x45;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	buf[8] = 64;
	buf[9] = 1; /* ICMP */
	memcpy(buf + 12, src, 4);
	memcpy(buf + 16, dst, 4);
	return len;
}

static __attribute__((unused)) void send_ping(struct node *from, struct node *to, size_t len);

static __attribute__((unused)) void op_deliver(void *arg, struct peer *peer, struct packet *p)
{
	struct node *n = arg;
	(void)peer;
	n->delivered++;
	n->delivered_bytes += (unsigned)p->len;
	bool echo = n->echo;
	size_t len = p->len;
	packet_free(n, p);
	if (echo)
		send_ping(n, n == &na ? &nb : &na, len);
}

static void op_event(void *arg, const struct device_event *ev)
{
	struct node *n = arg;
	struct node_event *e;

	if (n->n_events == sizeof(n->events) / sizeof(n->events[0]))
		return;
	e = &n->events[n->n_events++];
	e->ev = *ev;
	if (ev->old_ep)
		e->old_ep = *ev->old_ep;
	if (ev->new_ep)
		e->new_ep = *ev->new_ep;
	if (ev->addr)
		memcpy(e->addr, ev->addr, ev->family == AF_INET ? 4 : 16);
	e->ev.old_ep = e->ev.new_ep = NULL;
	e->ev.addr = NULL;
}

/* How many events of type n has recorded. */
static __attribute__((unused)) unsigned events_of(const struct node *n, enum device_event_type type)
{
	unsigned c = 0;

	for (unsigned i = 0; i < n->n_events; i++)
		c += n->events[i].ev.type == type;
	return c;
}

/* The last event of type, or NULL. */
static __attribute__((unused)) const struct node_event *last_event(const struct node *n,
								  enum device_event_type type)
{
	for (unsigned i = n->n_events; i-- > 0;)
		if (n->events[i].ev.type == type)
			return &n->events[i];
	return NULL;
}

static __attribute__((unused)) void op_wall(void *arg, uint64_t *sec, uint32_t *nsec)
{
	(void)arg;
	*sec = 1700000000 + vnow / NSEC_PER_SEC;
	*nsec = (uint32_t)(vnow % NSEC_PER_SEC);
}

static __attribute__((unused)) int op_send_data(void *arg, const struct device_job *job)
{
	struct node *n = arg;

	if (n->n_jobs == sizeof(n->jobs) / sizeof(n->jobs[0]))
		return -ENOBUFS; /* the core seals it itself */
	n->jobs[n->n_jobs++] = *job;
	n->jobs_taken++;
	return 0;
}

/* Seals and sends what the core handed out, as a data thread does after
 * it releases dev_lock. */
static __attribute__((unused)) void drain_jobs(struct node *n)
{
	for (unsigned i = 0; i < n->n_jobs; i++) {
		struct device_job *j = &n->jobs[i];

		CHECK(device_job_seal(&n->crypto, j));
		(void)op_send(n, &j->ep, packet_data(j->p), j->p->len);
		packet_free(n, j->p);
	}
	n->n_jobs = 0;
}

static __attribute__((unused)) void send_ping(struct node *from, struct node *to, size_t len)
{
	uint8_t buf[1500];

	make_ip4(buf, len, from->tun_addr, to->tun_addr);
	device_send(&from->dev, packet_new(from, buf, len), vnow);
	drain_jobs(from);
}

static enum drop_reason gated_drop(struct node *n, struct packet *p, enum drop_reason why)
{
	device_add_drops(&n->dev, why, 1);
	packet_free(n, p);
	return why;
}

/* A handshake message as the daemon's handshake thread takes it: the
 * gate (its keys following the device's identity), an initiation's
 * first step outside the device, then device_receive_checked. */
static enum drop_reason gated_receive(struct node *n, struct packet *p, const uint8_t *buf,
				      size_t len, const struct endpoint *src)
{
	struct message_handshake_cookie reply;
	struct noise_initiation_prep prep;
	struct cookie_source cs = { .family = src->family, .port = src->port };
	enum cookie_verdict v;
	enum noise_error err;
	bool has_prep = false;

	n->gated++;
	if (device_identity_gen(&n->dev) != n->gate_gen)
		n->gate_gen = device_copy_identity(&n->dev, &n->gate.checker, &n->gate_local);
	memcpy(cs.addr, src->addr, sizeof(cs.addr));
	v = cookie_gate_check(&n->gate, buf, len, &cs,
			      cookie_gate_under_load(&n->gate, n->dev.handshake_backlog, vnow),
			      &reply, vnow);
	switch (v) {
	case COOKIE_NO_IDENTITY: return gated_drop(n, p, DROP_NO_IDENTITY);
	case COOKIE_INVALID_MAC1: return gated_drop(n, p, DROP_INVALID_MAC1);
	case COOKIE_REPLY_LIMITED: return gated_drop(n, p, DROP_COOKIE_RATELIMITED);
	case COOKIE_REPLY:
		(void)op_send(n, src, (const uint8_t *)&reply, sizeof(reply));
		return gated_drop(n, p, DROP_COOKIE_SENT);
	case COOKIE_PASS:
	case COOKIE_PASS_PROVEN:
		break;
	}
	if (packet_classify(buf, len) == MESSAGE_HANDSHAKE_INITIATION) {
		err = noise_prepare_initiation(&n->gate_local,
					       (const struct message_handshake_initiation *)buf, &prep);
		if (err)
			return gated_drop(n, p, device_noise_drop(err));
		has_prep = true;
	}
	{
		struct noise_response_prep rp;
		struct message_handshake_response msg;
		enum drop_reason r;

		r = device_receive_checked(&n->dev, p, src, v == COOKIE_PASS_PROVEN,
					   has_prep ? &prep : NULL, &rp, n->gate_gen, vnow);
		if (rp.prepared) {
			/* What the daemon does with its lock dropped. */
			noise_response_compute(&rp, &msg);
			device_send_prepared_response(&n->dev, &rp, &msg, vnow);
		}
		return r;
	}
}

/* One datagram into n, on the path jobs_mode says; always consumed. */
static __attribute__((unused)) enum drop_reason node_receive(struct node *n, const uint8_t *buf,
							     size_t len, const struct endpoint *src)
{
	struct packet *p = packet_new(n, buf, len);
	struct device_job job;
	enum drop_reason r;

	enum message_type type = packet_classify(buf, len);

	if (gated_mode && (type == MESSAGE_HANDSHAKE_INITIATION ||
			   type == MESSAGE_HANDSHAKE_RESPONSE)) {
		r = gated_receive(n, p, buf, len, src);
	} else if (gated_mode && type == MESSAGE_HANDSHAKE_COOKIE) {
		r = device_receive_checked(&n->dev, p, src, false, NULL, NULL, n->gate_gen, vnow);
	} else if (!jobs_mode || type != MESSAGE_DATA) {
		r = device_receive(&n->dev, p, src, vnow);
	} else {
		r = device_receive_prepare(&n->dev, p, &job, vnow);
		if (r == DROP_NONE) {
			device_job_open(&n->crypto, &job);
			n->jobs_opened++;
			r = device_receive_opened(&n->dev, &job, src, vnow);
		}
	}
	drain_jobs(n);
	return r;
}

/* Delivers everything in flight (and what that triggers). */
static __attribute__((unused)) void flush(void)
{
	drain_jobs(&na);
	drain_jobs(&nb);
	while (net_len) {
		struct dgram *d;
		if (reorder) {
			d = net[--net_len];
		} else {
			d = net[0];
			memmove(net, net + 1, --net_len * sizeof(net[0]));
		}
		node_receive(d->to, d->buf, d->len, &d->from);
		free(d);
	}
}

static __attribute__((unused)) uint64_t next_deadline(void)
{
	uint64_t a = device_next_deadline(&na.dev), b = device_next_deadline(&nb.dev);
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* Runs timers and the network until virtual time `until`. */
static __attribute__((unused)) void run_until(uint64_t until)
{
	for (;;) {
		flush();
		uint64_t d = next_deadline();
		if (!d || d > until)
			break;
		if (d > vnow)
			vnow = d;
		device_run_timers(&na.dev, vnow);
		device_run_timers(&nb.dev, vnow);
		drain_jobs(&na);
		drain_jobs(&nb);
	}
	vnow = until;
	flush();
}

static __attribute__((unused)) void node_init(struct node *n, const char *name, uint8_t last_octet, uint16_t port)
{
	struct device_ops ops = { n, op_send, op_deliver, op_release, op_wall, op_event,
				  jobs_mode ? op_send_data : NULL };

	memset(n, 0, sizeof(*n));
	n->name = name;
	CHECK(device_init(&n->dev, &ops, 1420) == 0);
	CHECK(cookie_gate_init(&n->gate) == 0);
	noise_local_init(&n->gate_local, &(struct noise_upcall){ 0 });
	CHECK(packet_crypto_init(&n->crypto) == 0);
	CHECK(crypto_x25519_keygen(n->priv) == 0 && crypto_x25519_public(n->pub, n->priv));
	device_set_private_key(&n->dev, n->priv);
	n->addr.family = AF_INET6;
	n->addr.addr[15] = last_octet;
	n->addr.port = port;
	n->tun_addr[0] = 10;
	n->tun_addr[3] = last_octet;
}

static __attribute__((unused)) void node_uninit(struct node *n)
{
	device_uninit(&n->dev);
	packet_crypto_uninit(&n->crypto);
	cookie_gate_uninit(&n->gate);
	noise_local_uninit(&n->gate_local);
}

/* a knows b's endpoint; b learns a's from the handshake (roaming). */
static __attribute__((unused)) void pair_init(void)
{
	uint8_t net10[4] = { 10, 0, 0, 0 };

	CHECK(crypto_init() == 0);
	net_len = 0;
	vnow = S(1);
	loss_all = false;
	drop_every = 0;
	reorder = false;
	node_init(&na, "a", 1, 51820);
	node_init(&nb, "b", 2, 51821);
	na.peer = device_add_peer(&na.dev, nb.pub);
	nb.peer = device_add_peer(&nb.dev, na.pub);
	CHECK(na.peer && nb.peer);
	device_peer_set_endpoint(&na.dev, na.peer, &nb.addr);
	CHECK(device_peer_add_allowed_ip(&na.dev, na.peer, AF_INET, nb.tun_addr, 32) == 0);
	CHECK(device_peer_add_allowed_ip(&nb.dev, nb.peer, AF_INET, na.tun_addr, 32) == 0);
	(void)net10;
}

static __attribute__((unused)) void pair_free(void)
{
	flush();
	node_uninit(&na);
	node_uninit(&nb);
	CHECK_MSG(na.live_packets == 0 && nb.live_packets == 0, "leaked packets a=%d b=%d",
		  na.live_packets, nb.live_packets);
}

#endif
