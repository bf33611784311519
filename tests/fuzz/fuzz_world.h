/* The world of fuzz_datagram.c: the device under test, A, with two
 * peers, B and C, each of which can come alive as a device of its own;
 * a fake clock; the datagrams in flight in bounded queues (nothing goes
 * to a socket); and a deterministic random stream per device.
 *
 * Every input starts from the same state.  A is built afresh, and has
 * consumed B's initiation I0 and answered it with R0 (both recorded at
 * start-up) at T_FIRST: A holds B's session S0 as the responder's next
 * keypair, waiting for key confirmation, and the recorded S0 key seals
 * data that A opens before any record of the input has run.  B becomes
 * a device only when an input talks to it, and is then built as it was
 * at T_FIRST: its random stream from the start, that clock, the same I0
 * (checked) and R0, so that it holds S0 too.  Lazily, because X25519
 * dominates what an input costs and most inputs never need B.  C has no
 * session at the start.  The input's clock starts at T0.
 *
 * The streams are per device so that A's draws (its indices, its
 * ephemeral keys) do not depend on when B and C come alive: the stream
 * is switched (world_use) before every call into a device.  Nothing in
 * the library keeps state across inputs that changes what a device does
 * (the noise_key ids only grow, and only their equality matters). */
#ifndef RAMPART_TESTS_FUZZ_WORLD_H
#define RAMPART_TESTS_FUZZ_WORLD_H

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "proto/device.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum {
	WORLD_NODES = 2,        /* B and C */
	WORLD_QUEUE = 16,       /* datagrams in flight per node and direction */
	WORLD_DGRAM_MAX = 2048, /* larger ones are lost on the way */
	WORLD_MTU = 1420,
};

/* The clock at the start of every input (monotonic ns); the first
 * handshake's, early enough that B may initiate again at T0 (REKEY_TIMEOUT
 * after its last initiation); the wall clock's seconds at monotonic 0. */
#define WORLD_T0 (10 * NSEC_PER_SEC)
#define WORLD_T_FIRST (WORLD_T0 - REKEY_TIMEOUT - NSEC_PER_SEC)
#define WORLD_EPOCH 1700000000ULL

/* Keys: A's is test_config.c's (wg_captures.h PRIV_HEX), B's and C's
 * RFC 7748 §6.1's Alice and Bob; A_ALT, RFC 7748 §5.2's first scalar, is
 * the identity A can change to. */
#define WORLD_A_PRIV "f0c817105bdbaa96e7923f68746fe7d2f1263cc875782afb26fed02ed0c85079"
#define WORLD_A_ALT_PRIV "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"
#define WORLD_B_PRIV "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define WORLD_C_PRIV "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"

struct world_dgram {
	size_t len;
	uint8_t buf[WORLD_DGRAM_MAX];
};

struct world_queue {
	unsigned head, len;
	struct world_dgram slot[WORLD_QUEUE];
};

struct world_rng {
	uint64_t s;
};

struct world;

struct world_node {
	struct world *w;
	bool live;
	struct device dev;
	struct peer *peer;          /* A, in this node's device */
	struct world_rng rng;
	struct endpoint addr, alt;  /* where it is, and where it roams to */
	uint8_t priv[NOISE_PUBLIC_KEY_LEN], pub[NOISE_PUBLIC_KEY_LEN];
	uint8_t tun4[4], tun6[16];
	struct world_queue out;     /* what it sent to A */
	int packets;                /* our packets it holds */
	unsigned delivered;
};

/* What A sent during one call (the silence invariant). */
struct world_sent {
	unsigned n;
	enum message_type last_type;
	size_t last_len;
	struct endpoint last_ep;
};

struct world {
	struct device a;
	struct world_rng rng_a;
	struct endpoint a_addr;
	uint8_t a_priv[NOISE_PUBLIC_KEY_LEN], a_pub[NOISE_PUBLIC_KEY_LEN];
	uint8_t a_alt_priv[NOISE_PUBLIC_KEY_LEN];
	uint8_t a_tun4[4], a_tun6[16];
	struct peer *a_peer[WORLD_NODES]; /* NULL while removed */
	struct world_node node[WORLD_NODES];
	struct world_queue to[WORLD_NODES]; /* what A sent to each node */
	uint64_t now;                       /* monotonic ns of every call */
	int packets;                        /* our packets A holds */
	struct world_sent sent;
	/* Called with every packet A delivers, before it is freed. */
	void (*on_deliver)(struct world *w, struct peer *peer, const struct packet *p);
	/* The daemon's handshake path (world_receive_gated), made on first use. */
	bool gate_up;
	struct cookie_gate gate;
	struct noise_local gate_local;
	uint64_t gate_gen;
	/* A response computed outside the device and not committed yet
	 * (world_commit_response). */
	bool rp_held;
	struct noise_response_prep rp;
	struct message_handshake_response rp_msg;
	/* Recorded at start-up (world_record). */
	bool recorded;
	uint8_t i0[sizeof(struct message_handshake_initiation)];
	uint8_t r0[sizeof(struct message_handshake_response)];
	struct noise_key s0_send; /* B's sending key of S0 (an id of our own) */
	uint32_t s0_index;        /* A's index of S0 */
};

/* --- randomness, packets, queues ----------------------------------------- */

/* splitmix64: any fixed stream will do, as long as it is the same for
 * every input. */
static void world_rng_fill(void *arg, uint8_t *buf, size_t len)
{
	struct world_rng *r = arg;

	while (len) {
		uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
		size_t n = len < 8 ? len : 8;

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		memcpy(buf, &z, n);
		buf += n;
		len -= n;
	}
}

static void world_use(struct world_rng *r)
{
	crypto_random_override(world_rng_fill, r);
}

/* A packet of len bytes with the room asked for around it, allocated
 * exactly so that ASan sees any access past it. */
static struct packet *world_packet(const uint8_t *data, size_t len, size_t headroom,
				   size_t tailroom)
{
	struct packet *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	p->cap = headroom + len + tailroom;
	p->head = malloc(p->cap ? p->cap : 1);
	if (!p->head)
		abort();
	p->off = headroom;
	p->len = len;
	if (len)
		memcpy(p->head + headroom, data, len);
	return p;
}

static void world_packet_free(struct packet *p)
{
	free(p->head);
	free(p);
}

static void world_push(struct world_queue *q, const uint8_t *buf, size_t len)
{
	struct world_dgram *d;

	if (q->len == WORLD_QUEUE || len > WORLD_DGRAM_MAX)
		return; /* lost on the way */
	d = &q->slot[(q->head + q->len++) % WORLD_QUEUE];
	d->len = len;
	memcpy(d->buf, buf, len);
}

/* The oldest datagram in q, taken out, or NULL; valid until the next push. */
static struct world_dgram *world_pop(struct world_queue *q)
{
	struct world_dgram *d;

	if (!q->len)
		return NULL;
	d = &q->slot[q->head];
	q->head = (q->head + 1) % WORLD_QUEUE;
	q->len--;
	return d;
}

static bool world_same_ep(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

/* --- the devices' ops ------------------------------------------------------ */

static void world_wall(void *arg, uint64_t *sec, uint32_t *nsec)
{
	const struct world *w = arg;

	*sec = WORLD_EPOCH + w->now / NSEC_PER_SEC;
	*nsec = (uint32_t)(w->now % NSEC_PER_SEC);
}

static void node_wall(void *arg, uint64_t *sec, uint32_t *nsec)
{
	const struct world_node *n = arg;

	world_wall(n->w, sec, nsec);
}

static int a_send(void *arg, const struct endpoint *ep, const uint8_t *buf, size_t len)
{
	struct world *w = arg;
	enum message_type type = packet_classify(buf, len);

	if (type == MESSAGE_INVALID)
		abort(); /* A sends only what a receiver can classify */
	w->sent.n++;
	w->sent.last_type = type;
	w->sent.last_len = len;
	w->sent.last_ep = *ep;
	for (unsigned k = 0; k < WORLD_NODES; k++)
		if (world_same_ep(ep, &w->node[k].addr) || world_same_ep(ep, &w->node[k].alt))
			world_push(&w->to[k], buf, len);
	return 0;
}

static void a_deliver(void *arg, struct peer *peer, struct packet *p)
{
	struct world *w = arg;

	if (w->on_deliver)
		w->on_deliver(w, peer, p);
	w->packets--;
	world_packet_free(p);
}

static void a_release(void *arg, struct packet *p)
{
	struct world *w = arg;

	w->packets--;
	world_packet_free(p);
}

/* What can be checked of an event without a model of the peer. */
static void a_event(void *arg, const struct device_event *ev)
{
	(void)arg;
	switch (ev->type) {
	case DEVICE_EVENT_HANDSHAKE:
	case DEVICE_EVENT_ENDPOINT_CHANGED:
	case DEVICE_EVENT_STALE:
		if (!ev->peer)
			abort();
		break;
	case DEVICE_EVENT_HANDSHAKE_FAILED:
		if (!device_drop_is_handshake_failure(ev->reason) || !ev->new_ep)
			abort();
		break;
	case DEVICE_EVENT_ALLOWED_IP_MOVED:
	case DEVICE_EVENT_LOAD_ENTERED:
	case DEVICE_EVENT_LOAD_LEFT:
		break;
	default:
		abort();
	}
}

static int node_send(void *arg, const struct endpoint *ep, const uint8_t *buf, size_t len)
{
	struct world_node *n = arg;

	(void)ep; /* its one peer is A, wherever A is */
	world_push(&n->out, buf, len);
	return 0;
}

static void node_release(void *arg, struct packet *p)
{
	struct world_node *n = arg;

	n->packets--;
	world_packet_free(p);
}

static void node_deliver(void *arg, struct peer *peer, struct packet *p)
{
	struct world_node *n = arg;

	(void)peer;
	n->delivered++;
	node_release(n, p);
}

/* --- building and tearing down ---------------------------------------------- */

static void world_key(uint8_t key[NOISE_PUBLIC_KEY_LEN], const char *hex)
{
	if (!encoding_key_from_hex(key, hex))
		abort();
}

static void world_endpoint(struct endpoint *ep, int family, const char *addr, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = family;
	ep->port = port;
	if (inet_pton(family, addr, ep->addr) != 1)
		abort();
}

/* Fixed once: keys, addresses (B on IPv4, C on IPv6, each roaming to the
 * other family), tunnel addresses. */
static __attribute__((unused)) void world_setup(struct world *w)
{
	static const char *const privs[WORLD_NODES] = { WORLD_B_PRIV, WORLD_C_PRIV };

	memset(w, 0, sizeof(*w));
	if (crypto_init())
		abort();
	world_key(w->a_priv, WORLD_A_PRIV);
	world_key(w->a_alt_priv, WORLD_A_ALT_PRIV);
	if (!crypto_x25519_public(w->a_pub, w->a_priv))
		abort();
	world_endpoint(&w->a_addr, AF_INET, "192.0.2.1", 51820);
	inet_pton(AF_INET, "10.0.0.1", w->a_tun4);
	inet_pton(AF_INET6, "fd00::1", w->a_tun6);
	world_endpoint(&w->node[0].addr, AF_INET, "192.0.2.2", 51821);
	world_endpoint(&w->node[0].alt, AF_INET6, "2001:db8::2", 40002);
	world_endpoint(&w->node[1].addr, AF_INET6, "2001:db8::3", 51822);
	world_endpoint(&w->node[1].alt, AF_INET, "198.51.100.3", 40003);
	for (unsigned k = 0; k < WORLD_NODES; k++) {
		struct world_node *n = &w->node[k];

		n->w = w;
		world_key(n->priv, privs[k]);
		if (!crypto_x25519_public(n->pub, n->priv))
			abort();
		n->tun4[0] = 10;
		n->tun4[3] = (uint8_t)(2 + k);
		n->tun6[0] = 0xfd;
		n->tun6[15] = (uint8_t)(2 + k);
	}
}

/* Whether A's identity is node k's key (A then refuses it as a peer). */
static bool world_a_is(const struct world *w, unsigned k)
{
	return w->a.local.has_identity &&
	       !memcmp(w->a.local.static_public, w->node[k].pub, NOISE_PUBLIC_KEY_LEN);
}

/* Peer k in A: its endpoint, its tunnel addresses, and for C a /16 as
 * well (a prefix wider than a host).  Not while A's identity is k's. */
static void world_add_peer(struct world *w, unsigned k)
{
	static const uint8_t net16[4] = { 192, 168, 0, 0 };
	struct world_node *n = &w->node[k];
	struct peer *peer = device_add_peer(&w->a, n->pub);

	if (!peer) {
		if (errno == EINVAL && world_a_is(w, k))
			return;
		abort();
	}
	device_peer_set_endpoint(&w->a, peer, &n->addr);
	if (device_peer_add_allowed_ip(&w->a, peer, AF_INET, n->tun4, 32) ||
	    device_peer_add_allowed_ip(&w->a, peer, AF_INET6, n->tun6, 128) ||
	    (k == 1 && device_peer_add_allowed_ip(&w->a, peer, AF_INET, net16, 16)))
		abort();
	w->a_peer[k] = peer;
}

/* A datagram from src for A, as the receive path hands it over: exactly
 * len bytes, no room around them; consumed. */
static enum drop_reason world_a_receive(struct world *w, const uint8_t *buf, size_t len,
					const struct endpoint *src)
{
	w->packets++;
	world_use(&w->rng_a);
	return device_receive(&w->a, world_packet(buf, len, 0, 0), src, w->now);
}

/* A datagram for node n's device from A; consumed. */
static enum drop_reason node_receive(struct world *w, struct world_node *n, const uint8_t *buf,
				     size_t len)
{
	n->packets++;
	world_use(&n->rng);
	return device_receive(&n->dev, world_packet(buf, len, 0, 0), &w->a_addr, w->now);
}

/* B's side of the first handshake (see the top): the initiation
 * it sends is I0, and R0 gives it S0.  The keepalive that would confirm
 * S0 to A is lost. */
static void node_first_handshake(struct world *w, struct world_node *n)
{
	struct world_dgram *d;

	device_peer_initiate(&n->dev, n->peer, w->now);
	d = world_pop(&n->out);
	if (!d || d->len != sizeof(w->i0) || n->out.len)
		abort();
	if (!w->recorded)
		memcpy(w->i0, d->buf, sizeof(w->i0));
	else if (memcmp(w->i0, d->buf, sizeof(w->i0)))
		abort(); /* the same stream at the same time makes the same bytes */
	if (!w->recorded) {
		if (world_a_receive(w, w->i0, sizeof(w->i0), &n->addr) != DROP_NONE)
			abort();
		d = world_pop(&w->to[0]);
		if (!d || d->len != sizeof(w->r0))
			abort();
		memcpy(w->r0, d->buf, sizeof(w->r0));
	}
	if (node_receive(w, n, w->r0, sizeof(w->r0)) != DROP_NONE || !n->peer->remote.current)
		abort();
	n->out.len = 0;
}

/* Node k as a device, if it is not one yet. */
static void world_node_up(struct world *w, unsigned k)
{
	static const uint8_t any[16];
	struct world_node *n = &w->node[k];
	struct device_ops ops = { n, node_send, node_deliver, node_release, node_wall, NULL, NULL };
	uint64_t now = w->now;

	if (n->live)
		return;
	n->rng.s = 0x6e6f6465ULL + k;
	world_use(&n->rng);
	if (device_init(&n->dev, &ops, WORLD_MTU))
		abort();
	device_set_private_key(&n->dev, n->priv);
	n->peer = device_add_peer(&n->dev, w->a_pub);
	if (!n->peer)
		abort();
	device_peer_set_endpoint(&n->dev, n->peer, &w->a_addr);
	if (device_peer_add_allowed_ip(&n->dev, n->peer, AF_INET, any, 0) ||
	    device_peer_add_allowed_ip(&n->dev, n->peer, AF_INET6, any, 0))
		abort();
	n->live = true;
	if (k == 0) {
		w->now = WORLD_T_FIRST;
		node_first_handshake(w, n);
		w->now = now;
	}
}

/* A as every input finds it (see the top). */
static void world_begin(struct world *w)
{
	struct device_ops ops = { w, a_send, a_deliver, a_release, world_wall, a_event, NULL };
	struct world_dgram *d;

	w->now = WORLD_T_FIRST;
	w->rng_a.s = 0x41ULL;
	world_use(&w->rng_a);
	if (device_init(&w->a, &ops, WORLD_MTU))
		abort();
	device_set_private_key(&w->a, w->a_priv);
	world_add_peer(w, 0);
	world_add_peer(w, 1);
	if (!w->recorded)
		return;
	if (world_a_receive(w, w->i0, sizeof(w->i0), &w->node[0].addr) != DROP_NONE)
		abort();
	d = world_pop(&w->to[0]);
	if (!d || d->len != sizeof(w->r0) || memcmp(d->buf, w->r0, sizeof(w->r0)) || w->to[0].len)
		abort(); /* A is the same from input to input */
	w->now = WORLD_T0;
}

static void world_end(struct world *w)
{
	world_use(&w->rng_a);
	device_uninit(&w->a);
	memset(w->a_peer, 0, sizeof(w->a_peer));
	for (unsigned k = 0; k < WORLD_NODES; k++) {
		struct world_node *n = &w->node[k];

		if (n->live) {
			world_use(&n->rng);
			device_uninit(&n->dev);
			n->live = false;
		}
		if (n->packets)
			abort(); /* a device kept or lost one of ours */
		n->out.len = w->to[k].len = 0;
		n->delivered = 0;
	}
	if (w->rp_held) {
		noise_response_prep_wipe(&w->rp);
		w->rp_held = false;
	}
	if (w->gate_up) {
		cookie_gate_uninit(&w->gate);
		noise_local_uninit(&w->gate_local);
		w->gate_up = false;
	}
	if (w->packets)
		abort();
	memset(&w->sent, 0, sizeof(w->sent));
	crypto_random_override(NULL, NULL);
}

/* Once, at start-up: I0, R0 and S0. */
static __attribute__((unused)) void world_record(struct world *w)
{
	const struct noise_keypair *kp;

	world_begin(w);
	world_node_up(w, 0);
	kp = w->node[0].peer->remote.current;
	w->s0_send.id = UINT64_MAX; /* never a real key's: ids count up from 1 */
	memcpy(w->s0_send.bytes, kp->send.bytes, sizeof(w->s0_send.bytes));
	w->s0_index = kp->remote_index;
	world_end(w);
	w->recorded = true;
}

/* --- the daemon's handshake path ---------------------------------------------- */

static enum drop_reason gated_refused(struct world *w, struct packet *p, enum drop_reason why)
{
	device_add_drops(&w->a, why, 1);
	a_release(w, p);
	return why;
}

/* A handshake message as rampartd's handshake thread takes it: the
 * cookie gate, an initiation's first DH outside the device,
 * device_receive_checked, and the response computed outside and
 * committed.  The gate's keys follow A's identity, unless stale: then
 * they are those of its last check, as when the identity changes
 * between the daemon's gate and its device.  With hold, the response is
 * committed later (world_commit_response), as when other messages take
 * the device's lock first.  The gate's refusals are counted in A, as the
 * daemon counts them. */
static __attribute__((unused)) enum drop_reason
world_receive_gated(struct world *w, struct packet *p, const struct endpoint *src, bool stale,
		    bool hold)
{
	static const enum drop_reason refusal[] = {
		[COOKIE_NO_IDENTITY] = DROP_NO_IDENTITY,
		[COOKIE_INVALID_MAC1] = DROP_INVALID_MAC1,
		[COOKIE_REPLY] = DROP_COOKIE_SENT,
		[COOKIE_REPLY_LIMITED] = DROP_COOKIE_RATELIMITED,
	};
	const uint8_t *buf = packet_data(p);
	struct cookie_source cs = { .family = src->family, .port = src->port };
	struct message_handshake_cookie reply;
	struct message_handshake_response msg;
	struct noise_initiation_prep prep;
	struct noise_response_prep rp;
	enum message_type type = packet_classify(buf, p->len);
	enum cookie_verdict v;
	enum noise_error err;
	enum drop_reason r;

	if (!w->gate_up) {
		if (cookie_gate_init(&w->gate))
			abort();
		noise_local_init(&w->gate_local, &(struct noise_upcall){ 0 });
		w->gate_up = true;
		w->gate_gen = device_copy_identity(&w->a, &w->gate.checker, &w->gate_local);
	}
	if (type != MESSAGE_HANDSHAKE_INITIATION && type != MESSAGE_HANDSHAKE_RESPONSE)
		return device_receive_checked(&w->a, p, src, false, NULL, NULL, w->gate_gen, w->now);
	if (!stale && device_identity_gen(&w->a) != w->gate_gen)
		w->gate_gen = device_copy_identity(&w->a, &w->gate.checker, &w->gate_local);
	memcpy(cs.addr, src->addr, sizeof(cs.addr));
	v = cookie_gate_check(&w->gate, buf, p->len, &cs,
			      cookie_gate_under_load(&w->gate, w->a.handshake_backlog, w->now),
			      &reply, w->now);
	if (v == COOKIE_REPLY)
		(void)a_send(w, src, (const uint8_t *)&reply, sizeof(reply));
	if (v != COOKIE_PASS && v != COOKIE_PASS_PROVEN)
		return gated_refused(w, p, refusal[v]);
	if (type == MESSAGE_HANDSHAKE_INITIATION) {
		err = noise_prepare_initiation(&w->gate_local,
					       (const struct message_handshake_initiation *)buf, &prep);
		if (err)
			return gated_refused(w, p, device_noise_drop(err));
	}
	r = device_receive_checked(&w->a, p, src, v == COOKIE_PASS_PROVEN,
				   type == MESSAGE_HANDSHAKE_INITIATION ? &prep : NULL, &rp,
				   w->gate_gen, w->now);
	if (!rp.prepared)
		return r;
	noise_response_compute(&rp, &msg);
	if (hold && !w->rp_held) {
		w->rp = rp; /* the response's lock is taken later */
		w->rp_msg = msg;
		w->rp_held = true;
		crypto_wipe(&rp, sizeof(rp));
	} else {
		device_send_prepared_response(&w->a, &rp, &msg, w->now);
	}
	return r;
}

/* The held response committed now: sent, or dropped if its peer went or
 * consumed a newer initiation meanwhile. */
static __attribute__((unused)) void world_commit_response(struct world *w)
{
	if (!w->rp_held)
		return;
	w->rp_held = false;
	world_use(&w->rng_a);
	device_send_prepared_response(&w->a, &w->rp, &w->rp_msg, w->now);
}

#endif
