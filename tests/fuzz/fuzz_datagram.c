/* The datagram door: device_receive (and the daemon's two other ways in,
 * the split data path and the gated handshake path) of a device with two
 * peers and a session, in the world of fuzz_world.h.
 *
 * An input is a sequence of records: a kind byte, a length byte (255:
 * the rest of the input) and that many bytes, short ones padded with
 * zeros.  Besides raw datagrams, records seal data with the session's
 * real keys (so that the replay window sees arbitrary counter orders),
 * move the clock, make the peers handshake, carry what the devices sent
 * (optionally with a byte changed, optionally again), send from the
 * tunnel, replay sealed datagrams, hold a data message between its
 * prepare and open steps or a gated initiation's response before its
 * commit while other records run, load the device, and change its
 * configuration.  tests/fuzz/seeds_datagram.py writes the seed corpus.
 *
 * Checked beyond "no crash": every datagram is consumed once, and the
 * device holds exactly the packets it has staged; each refusal is
 * counted once under the reason returned; a refused unauthenticated
 * datagram gets silence, or exactly one cookie reply to its source; the
 * replay window accepts exactly what a naive model (every accepted
 * counter kept, 8128 behind the newest) accepts, so nothing is
 * delivered twice; a delivered packet is what was sealed, cut to its
 * header's length, from a source the peer's allowed IPs hold, and one
 * that must be (well-formed, from such a source) is; everything A
 * sends classifies; the timer heap files every peer under its earliest
 * deadline, and after the timers run nothing is still due. */
#include "fuzz_world.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* Every input builds A afresh, and with it the rate limiter's 2 MiB
 * table, which ASan maps and poisons each time: zeroing the shadow of
 * such a region with memset (it stays mapped) rather than with a new
 * mapping that faults in again costs some 40% less system time, and
 * changes nothing of what ASan detects.  ASAN_OPTIONS still overrides. */
const char *__asan_default_options(void)
{
	return "clear_shadow_mmap_threshold=1073741824";
}

enum record_kind {
	REC_RAW,      /* a datagram as received */
	REC_SEAL,     /* a data message sealed with a session key */
	REC_CLOCK,    /* time passes; the timers run */
	REC_INITIATE, /* a handshake or keepalive, either way */
	REC_FROM,     /* the oldest datagram a peer sent, to A */
	REC_TO,       /* the oldest datagram A sent to a peer, to it */
	REC_SEND,     /* an IP packet into a tunnel */
	REC_REPLAY,   /* a datagram sealed earlier, again */
	REC_LOAD,     /* the handshake backlog */
	REC_JOB,      /* a held data message finished, or the held response */
	REC_CONFIG,   /* peers, keys, endpoints, keepalives */
	REC_KINDS,
};

/* How a datagram enters A: device_receive; the data threads' three
 * steps; the handshake thread's gate (datapath.c, handshake.c), its keys
 * up to date or not (world_receive_gated). */
enum path { PATH_PLAIN, PATH_SPLIT, PATH_GATED, PATH_GATED_STALE };

enum {
	RING = 8,           /* sealed datagrams kept for REC_REPLAY */
	JOBS = 4,           /* data messages held between prepare and open */
	MODEL_KEYS = 32,
	MODEL_SLOTS = 8192, /* accepted counters, open addressing */
	PLAIN_MAX = WORLD_DGRAM_MAX - PACKET_HEADROOM - PACKET_TAILROOM,
};

/* A plaintext we sealed, and whether A must deliver it when it takes it
 * (a well-formed IP packet from an allowed source). */
struct sealed_plain {
	size_t len;
	bool must;
	uint8_t buf[PLAIN_MAX];
};

struct sealed {
	size_t len;
	uint8_t buf[WORLD_DGRAM_MAX];
	struct sealed_plain plain;
};

struct held {
	bool used;
	struct device_job job;
	struct endpoint src;
	uint64_t tag;       /* the keypair's (model_tag), 0 if none was found */
	bool sealed;        /* by us: plain is what it holds */
	struct sealed_plain plain;
};

struct model_key {
	uint64_t tag, next; /* next: the newest accepted counter + 1 */
	uint64_t gen;
};

struct model_seen {
	uint64_t tag, counter;
	uint64_t gen;
};

struct fz {
	struct world w; /* first: on_deliver finds the rest from it */
	struct packet_crypto seal, open;
	/* Per input (a new gen empties the model's tables). */
	uint64_t gen;
	bool model_off;
	struct model_key keys[MODEL_KEYS];
	struct model_seen seen[MODEL_SLOTS];
	unsigned n_seen;
	struct sealed ring[RING];
	unsigned n_ring;
	struct held jobs[JOBS];
	/* The datagram being received. */
	const struct sealed_plain *expect;
	unsigned delivered;
	/* The call's drop counters before it. */
	uint64_t drops[DROP_REASON_COUNT];
};

static struct fz fz;

/* --- a record's bytes ---------------------------------------------------- */

struct cursor {
	const uint8_t *p;
	size_t len;
};

static uint8_t take8(struct cursor *c)
{
	uint8_t v = 0;

	if (c->len) {
		v = *c->p++;
		c->len--;
	}
	return v;
}

static uint64_t take_le(struct cursor *c, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)take8(c) << (8 * i);
	return v;
}

/* --- the replay model ---------------------------------------------------- */

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return le64toh(v);
}

/* A keypair's name for the model: the first bytes of its receiving key
 * (a new handshake, new keys).  0 when buf is no data message for a
 * keypair A has. */
static uint64_t model_tag(struct world *w, const uint8_t *buf, size_t len)
{
	uint32_t index;

	if (packet_classify(buf, len) != MESSAGE_DATA)
		return 0;
	memcpy(&index, buf + 4, sizeof(index));
	for (unsigned k = 0; k < WORLD_NODES; k++) {
		struct noise_keypair *kp;
		uint64_t tag;

		if (!w->a_peer[k])
			continue;
		kp = noise_keypair_lookup(&w->a_peer[k]->remote, le32toh(index));
		if (kp) {
			memcpy(&tag, kp->recv.bytes, sizeof(tag));
			return tag | 1;
		}
	}
	return 0;
}

static struct model_key *model_key(struct fz *f, uint64_t tag)
{
	struct model_key *free_key = NULL;

	for (unsigned i = 0; i < MODEL_KEYS; i++) {
		if (f->keys[i].gen != f->gen) {
			if (!free_key)
				free_key = &f->keys[i];
		} else if (f->keys[i].tag == tag) {
			return &f->keys[i];
		}
	}
	if (free_key)
		*free_key = (struct model_key){ .tag = tag, .gen = f->gen };
	return free_key;
}

static struct model_seen *model_slot(struct fz *f, uint64_t tag, uint64_t counter)
{
	size_t i = (size_t)((tag ^ (counter * 0x9e3779b97f4a7c15ULL)) >> 40) & (MODEL_SLOTS - 1);

	while (f->seen[i].gen == f->gen && (f->seen[i].tag != tag || f->seen[i].counter != counter))
		i = (i + 1) & (MODEL_SLOTS - 1);
	return &f->seen[i];
}

/* The window's verdict on a counter that reached it (the packet
 * authenticated under a keypair still there), against the model's: the
 * counters accepted so far under that keypair, and 8128 behind the newest
 * (messages.h; RFC 6479 allows less than the ring's 8192 bits). */
static void model_check(struct fz *f, uint64_t tag, uint64_t counter, bool accepted)
{
	struct model_key *k;
	struct model_seen *s;
	bool expect;

	if (!tag)
		abort(); /* authenticated under a keypair A does not have */
	if (f->model_off)
		return;
	k = model_key(f, tag);
	if (!k || f->n_seen >= MODEL_SLOTS / 2) {
		f->model_off = true; /* longer than any input of the default size */
		return;
	}
	s = model_slot(f, tag, counter);
	expect = counter < REJECT_AFTER_MESSAGES && counter + 1 + COUNTER_WINDOW_SIZE >= k->next &&
		 s->gen != f->gen;
	if (expect != accepted)
		abort();
	if (!accepted)
		return;
	*s = (struct model_seen){ .tag = tag, .counter = counter, .gen = f->gen };
	f->n_seen++;
	if (counter + 1 > k->next)
		k->next = counter + 1;
}

/* --- checks around every call into A --------------------------------------- */

/* The timer heap is a heap, and files each peer under its earliest
 * deadline (its timers' or its stale report's), or not at all: a path
 * that changed a peer's timers without refiling it leaves a deadline
 * that fires late. */
static void check_heap(const struct device *d)
{
	for (size_t i = 0; i < d->heap_len; i++)
		if (d->heap[i]->heap_index != i ||
		    (i && d->heap[(i - 1) / 2]->heap_deadline > d->heap[i]->heap_deadline))
			abort();
	for (const struct peer *peer = d->first_peer; peer; peer = peer->next_peer) {
		uint64_t due = timers_next_deadline(&peer->timers);

		if (peer->stale_deadline && (!due || peer->stale_deadline < due))
			due = peer->stale_deadline;
		if (due ? peer->heap_index == SIZE_MAX || peer->heap_deadline != due
			: peer->heap_index != SIZE_MAX)
			abort();
	}
}

/* After each record: the packets of ours that A holds are its staged
 * ones (its own keepalive buffers are not ours) and the jobs we hold;
 * and the heap (check_heap). */
static void check_state(struct fz *f)
{
	int held = 0;

	check_heap(&f->w.a);
	for (const struct peer *peer = f->w.a.first_peer; peer; peer = peer->next_peer)
		for (const struct packet *p = peer->staged_head; p; p = p->next)
			held += !p->core_owned;
	for (unsigned i = 0; i < JOBS; i++)
		held += f->jobs[i].used;
	if (held != f->w.packets)
		abort();
}

static bool ip_within(const uint8_t *a, const uint8_t *prefix, unsigned bits)
{
	for (unsigned i = 0; i < bits; i++)
		if ((a[i / 8] ^ prefix[i / 8]) & (0x80 >> (i % 8)))
			return false;
	return true;
}

/* The allowed IPs of node k's peer in A, as world_add_peer sets them. */
static bool allowed_for(const struct world *w, unsigned k, const uint8_t *src, bool v6)
{
	static const uint8_t net16[4] = { 192, 168, 0, 0 };
	const struct world_node *n = &w->node[k];

	if (v6)
		return ip_within(src, n->tun6, 128);
	return ip_within(src, n->tun4, 32) || (k == 1 && ip_within(src, net16, 16));
}

/* What we sealed, then the zeros it was padded with: a header's length
 * may reach into the padding, as the kernel allows too. */
static bool as_sealed(const uint8_t *b, size_t len, const struct sealed_plain *pl)
{
	if (memcmp(b, pl->buf, len < pl->len ? len : pl->len))
		return false;
	for (size_t i = pl->len; i < len; i++)
		if (b[i])
			return false;
	return true;
}

static void on_deliver(struct world *w, struct peer *peer, const struct packet *p)
{
	struct fz *f = (struct fz *)w;
	const uint8_t *b = packet_data(p);
	unsigned k;
	bool v6;

	for (k = 0; k < WORLD_NODES && w->a_peer[k] != peer; k++)
		;
	if (k == WORLD_NODES || p->len < 20)
		abort();
	v6 = b[0] >> 4 == 6;
	/* The padding is gone: the header's length is the packet's. */
	if (v6 ? p->len < 40 || 40 + ((size_t)b[4] << 8 | b[5]) != p->len
	       : b[0] >> 4 != 4 || ((size_t)b[2] << 8 | b[3]) != p->len)
		abort();
	if (!allowed_for(w, k, b + (v6 ? 8 : 12), v6))
		abort();
	if (f->expect && !as_sealed(b, p->len, f->expect))
		abort();
	f->delivered++;
}

static void call_begin(struct fz *f, const struct sealed_plain *expect)
{
	memcpy(f->drops, f->w.a.drops, sizeof(f->drops));
	f->w.sent.n = 0;
	f->expect = expect;
	f->delivered = 0;
	world_use(&f->w.rng_a);
}

/* Counted once, under the reason returned; silence for what did not
 * authenticate, but for a cookie reply to its source. */
static void call_end(struct fz *f, enum drop_reason r, const struct endpoint *src)
{
	const struct world *w = &f->w;
	uint64_t from_net = 0;

	if ((unsigned)r >= DROP_REASON_COUNT)
		abort();
	for (unsigned i = DROP_INVALID_MESSAGE; i <= DROP_SOURCE_NOT_ALLOWED; i++)
		from_net += w->a.drops[i] - f->drops[i];
	if (from_net != (r != DROP_NONE) || (r != DROP_NONE && w->a.drops[r] == f->drops[r]))
		abort();
	if (r == DROP_COOKIE_SENT &&
	    (w->sent.n != 1 || w->sent.last_type != MESSAGE_HANDSHAKE_COOKIE ||
	     !world_same_ep(&w->sent.last_ep, src)))
		abort();
	if (r >= DROP_INVALID_MESSAGE && r <= DROP_REPLAYED_COUNTER && r != DROP_COOKIE_SENT &&
	    w->sent.n)
		abort();
	if (r != DROP_NONE && f->delivered)
		abort();
	if (r == DROP_NONE && f->expect && f->expect->must && !f->delivered)
		abort();
	f->expect = NULL;
	check_state(f);
}

/* Whether r says the packet reached the replay window. */
static bool reached_window(enum drop_reason r)
{
	return r == DROP_NONE || r == DROP_REPLAYED_COUNTER || r == DROP_INVALID_INNER ||
	       r == DROP_SOURCE_NOT_ALLOWED;
}

/* A held job, opened and finished (the data thread's second half). */
static void job_finish(struct fz *f, struct held *h)
{
	enum drop_reason r;
	uint64_t counter = h->job.counter;

	h->used = false; /* A's from here on */
	call_begin(f, h->sealed ? &h->plain : NULL);
	device_job_open(&f->open, &h->job);
	r = device_receive_opened(&f->w.a, &h->job, &h->src, f->w.now);
	if (reached_window(r) && h->job.ok)
		model_check(f, h->tag, counter, r != DROP_REPLAYED_COUNTER);
	call_end(f, r, &h->src);
}

/* buf from src into A by path (enum path); hold: keep a data message
 * between its prepare and open steps, if a job slot is free, or a gated
 * initiation's response before its commit.  expect: what we sealed into
 * it, or NULL. */
static enum drop_reason receive(struct fz *f, const uint8_t *buf, size_t len,
				const struct endpoint *src, unsigned path, bool hold,
				const struct sealed_plain *expect)
{
	struct world *w = &f->w;
	enum message_type type = packet_classify(buf, len);
	uint64_t tag = model_tag(w, buf, len), counter = 0;
	struct packet *p = world_packet(buf, len, 0, 0);
	struct device_job job = { 0 };
	enum drop_reason r;
	unsigned slot;

	w->packets++;
	call_begin(f, expect);
	if (type == MESSAGE_DATA)
		counter = load_le64(buf + 8);
	if (path == PATH_GATED || path == PATH_GATED_STALE) {
		r = world_receive_gated(w, p, src, path == PATH_GATED_STALE, hold);
	} else if (type != MESSAGE_DATA || (path == PATH_PLAIN && !hold)) {
		r = device_receive(&w->a, p, src, w->now);
	} else {
		for (slot = 0; slot < JOBS && f->jobs[slot].used; slot++)
			;
		r = device_receive_prepare(&w->a, p, &job, w->now);
		if (r == DROP_NONE && hold && slot < JOBS) {
			struct held *h = &f->jobs[slot];

			*h = (struct held){ .used = true, .job = job, .src = *src, .tag = tag };
			if (expect) {
				h->sealed = true;
				h->plain = *expect;
			}
			f->expect = NULL; /* delivered, if at all, by job_finish */
			call_end(f, r, src);
			return r;
		}
		if (r == DROP_NONE) {
			device_job_open(&f->open, &job);
			r = device_receive_opened(&w->a, &job, src, w->now);
		}
	}
	if (type == MESSAGE_DATA && reached_window(r))
		model_check(f, tag, counter, r != DROP_REPLAYED_COUNTER);
	call_end(f, r, src);
	return r;
}

/* --- addresses ------------------------------------------------------------- */

/* Where a datagram comes from: node k's address or the one it roams
 * to, or a stranger of either family. */
static void source(const struct world *w, unsigned k, unsigned sel, struct endpoint *ep)
{
	switch (sel & 3) {
	case 0: *ep = w->node[k].addr; break;
	case 1: *ep = w->node[k].alt; break;
	case 2: world_endpoint(ep, AF_INET, "203.0.113.7", 1234); break;
	default: world_endpoint(ep, AF_INET6, "2001:db8:bad::7", 4321); break;
	}
}

/* An inner address: node k's own, the other node's, one in C's /16,
 * or nobody's. */
static void inner_addr(const struct world *w, unsigned k, unsigned sel, bool v6, uint8_t *out)
{
	static const uint8_t in16[4] = { 192, 168, 7, 9 }, nobody[4] = { 10, 9, 9, 9 };
	const struct world_node *n = &w->node[(k + (sel & 1)) % WORLD_NODES];

	if (sel < 2) {
		memcpy(out, v6 ? n->tun6 : n->tun4, v6 ? 16 : 4);
		return;
	}
	if (v6) {
		memset(out, 0, 16);
		out[0] = 0xfd;
		out[1] = (uint8_t)sel;
		out[15] = 9;
		return;
	}
	memcpy(out, sel == 2 ? in16 : nobody, 4);
}

/* An IP packet from src to dst around payload, in out (PLAIN_MAX);
 * returns its length. */
static size_t make_ip(uint8_t *out, bool v6, const uint8_t *src, const uint8_t *dst,
		      const uint8_t *payload, size_t len)
{
	size_t hdr = v6 ? 40 : 20;

	if (len > PLAIN_MAX - hdr)
		len = PLAIN_MAX - hdr;
	memset(out, 0, hdr);
	if (v6) {
		out[0] = 0x60;
		out[4] = (uint8_t)(len >> 8);
		out[5] = (uint8_t)len;
		out[6] = 17;
		out[7] = 64;
		memcpy(out + 8, src, 16);
		memcpy(out + 24, dst, 16);
	} else {
		out[0] = 0x45;
		out[2] = (uint8_t)((hdr + len) >> 8);
		out[3] = (uint8_t)(hdr + len);
		out[8] = 64;
		out[9] = 17;
		memcpy(out + 12, src, 4);
		memcpy(out + 16, dst, 4);
	}
	memcpy(out + hdr, payload, len);
	return hdr + len;
}

/* --- records ----------------------------------------------------------------- */

/* b0: bits 0-1 source, bit 2 node, bits 3-4 path, bit 5 hold (receive);
 * the rest: the datagram. */
static void rec_raw(struct fz *f, struct cursor *c)
{
	uint8_t b0 = take8(c);
	struct endpoint src;

	source(&f->w, (b0 >> 2) & 1, b0, &src);
	(void)receive(f, c->p, c->len, &src, (b0 >> 3) & 3, b0 & 0x20, NULL);
}

/* The key a SEAL record names: S0 as recorded, or the current, previous
 * or next keypair of a node alive; *owner, the node whose peer in A
 * it is. */
static const struct noise_key *seal_key(struct fz *f, unsigned k, unsigned kind,
					uint32_t *index, unsigned *owner)
{
	struct world_node *n = &f->w.node[k];
	const struct noise_keypair *kp = NULL;

	if (kind && n->live) {
		const struct noise_remote *r = &n->peer->remote;

		kp = kind == 1 ? r->current : kind == 2 ? r->previous : r->next;
	}
	if (!kp || !kp->valid) {
		*index = f->w.s0_index;
		*owner = 0;
		return &f->w.s0_send;
	}
	*index = kp->remote_index;
	*owner = k;
	return &kp->send;
}

/* b0: bits 0-1 the plaintext (as given, IPv4, IPv6, empty), bits 2-3
 * its source (inner_addr), bit 4 node, bits 5-6 the key (seal_key), bit
 * 7 hold it; b1: bit 0 the split path, bit 1 a 64-bit counter (else 16
 * bits), bits 2-3 where it comes from, bit 4 no padding; the counter;
 * the payload. */
static void rec_seal(struct fz *f, struct cursor *c)
{
	struct world *w = &f->w;
	uint8_t b0 = take8(c), b1 = take8(c), src_ip[16];
	uint64_t counter = take_le(c, b1 & 2 ? 8 : 2);
	unsigned shape = b0 & 3, sel = (b0 >> 2) & 3, owner;
	struct sealed *s = &f->ring[f->n_ring++ % RING];
	struct sealed_plain *pl = &s->plain;
	const struct noise_key *key;
	struct endpoint src;
	struct packet *p;
	uint32_t index;

	key = seal_key(f, (b0 >> 4) & 1, (b0 >> 5) & 3, &index, &owner);
	if (shape == 1 || shape == 2) {
		inner_addr(w, owner, sel, shape == 2, src_ip);
		pl->len = make_ip(pl->buf, shape == 2, src_ip, shape == 2 ? w->a_tun6 : w->a_tun4,
				  c->p, c->len);
		pl->must = allowed_for(w, owner, src_ip, shape == 2);
	} else {
		pl->len = shape ? 0 : c->len < PLAIN_MAX ? c->len : PLAIN_MAX;
		memcpy(pl->buf, c->p, pl->len);
		pl->must = false;
	}
	p = world_packet(pl->buf, pl->len, PACKET_HEADROOM, PACKET_TAILROOM);
	/* Padded as we pad, or not at all, as another sender may. */
	if (!packet_seal(&f->seal, p, key, index, counter,
			 b1 & 0x10 ? pl->len : packet_padded_len(pl->len, WORLD_MTU)))
		abort();
	s->len = p->len;
	memcpy(s->buf, packet_data(p), p->len);
	world_packet_free(p);
	source(w, owner, b1 >> 2, &src);
	(void)receive(f, s->buf, s->len, &src, b1 & 1 ? PATH_SPLIT : PATH_PLAIN, b0 >> 7, pl);
}

static void run_timers(struct fz *f)
{
	struct world *w = &f->w;
	uint64_t next;

	call_begin(f, NULL);
	device_run_timers(&w->a, w->now);
	next = device_next_deadline(&w->a);
	if (next && next <= w->now)
		abort(); /* due, and not run */
	check_state(f);
	for (unsigned k = 0; k < WORLD_NODES; k++) {
		if (w->node[k].live) {
			world_use(&w->node[k].rng);
			device_run_timers(&w->node[k].dev, w->now);
		}
	}
}

/* b0-b1: an amount; b2: its unit (ms, s), or to A's next deadline
 * exactly, or 1 ns before it. */
static void rec_clock(struct fz *f, struct cursor *c)
{
	struct world *w = &f->w;
	uint64_t amount = take_le(c, 2), next = device_next_deadline(&w->a);

	switch (take8(c) & 3) {
	case 0: w->now += amount * NSEC_PER_MSEC; break;
	case 1: w->now += amount * NSEC_PER_SEC; break;
	case 2: if (next > w->now) w->now = next; break;
	default: if (next > w->now + 1) w->now = next - 1; break;
	}
	run_timers(f);
}

/* b0: bit 0 node; bits 1-2: the node initiates, A initiates to it, A
 * sends it a keepalive, it sends A one. */
static void rec_initiate(struct fz *f, struct cursor *c)
{
	struct world *w = &f->w;
	uint8_t b0 = take8(c);
	unsigned k = b0 & 1, what = (b0 >> 1) & 3;
	struct world_node *n = &w->node[k];

	if (what == 0 || what == 3) {
		world_node_up(w, k);
		world_use(&n->rng);
		if (what == 0)
			device_peer_initiate(&n->dev, n->peer, w->now);
		else
			device_peer_send_keepalive(&n->dev, n->peer, w->now);
		return;
	}
	if (!w->a_peer[k])
		return;
	call_begin(f, NULL);
	if (what == 1)
		device_peer_initiate(&w->a, w->a_peer[k], w->now);
	else
		device_peer_send_keepalive(&w->a, w->a_peer[k], w->now);
	check_state(f);
}

static void mutate(uint8_t *buf, size_t len, struct cursor *c)
{
	uint8_t off = take8(c), x = take8(c);

	if (len)
		buf[off % len] ^= x;
}

/* The oldest datagram of q into d, taken out of q unless kept there
 * (to be delivered again); false if there is none. */
static bool take_dgram(struct world_queue *q, bool keep, struct world_dgram *d)
{
	const struct world_dgram *head = q->len ? &q->slot[q->head] : NULL;

	if (!head)
		return false;
	d->len = head->len;
	memcpy(d->buf, head->buf, head->len);
	if (!keep)
		(void)world_pop(q);
	return true;
}

/* b0: bit 0 node, bits 1-2 where it comes from, bits 3-4 path, bit 5
 * change a byte (b1: where, b2: xor), bit 6 keep it in flight, bit 7
 * hold (receive). */
static void rec_from(struct fz *f, struct cursor *c)
{
	struct world *w = &f->w;
	uint8_t b0 = take8(c);
	unsigned k = b0 & 1;
	struct world_dgram d;
	struct endpoint src;

	if (!w->node[k].live || !take_dgram(&w->node[k].out, b0 & 0x40, &d))
		return;
	if (b0 & 0x20)
		mutate(d.buf, d.len, c);
	source(w, k, b0 >> 1, &src);
	(void)receive(f, d.buf, d.len, &src, (b0 >> 3) & 3, b0 & 0x80, NULL);
}

/* b0: bit 0 node, bit 1 change a byte (b1, b2), bit 2 keep it in flight. */
static void rec_to(struct fz *f, struct cursor *c)
{
	struct world *w = &f->w;
	uint8_t b0 = take8(c);
	unsigned k = b0 & 1;
	struct world_dgram d;

	if (!take_dgram(&w->to[k], b0 & 4, &d))
		return;
	if (b0 & 2)
		mutate(d.buf, d.len, c);
	world_node_up(w, k);
	(void)node_receive(w, &w->node[k], d.buf, d.len);
}

/* b0: bits 0-1 the destination (inner_addr from B's view: B, C, C's /16,
 * nobody), bit 2 IPv6, bit 3 without room, bit 4 node k = bit 5 sends
 * it to A instead; the payload. */
static void rec_send(struct fz *f, struct cursor *c)
{
	struct world *w = &f->w;
	uint8_t b0 = take8(c), dst[16], buf[PLAIN_MAX];
	bool v6 = b0 & 4, room = !(b0 & 8);
	unsigned k = (b0 >> 5) & 1;
	size_t len;
	struct packet *p;

	if (b0 & 0x10) {
		struct world_node *n = &w->node[k];

		world_node_up(w, k);
		len = make_ip(buf, v6, v6 ? n->tun6 : n->tun4, v6 ? w->a_tun6 : w->a_tun4, c->p,
			      c->len);
		n->packets++;
		world_use(&n->rng);
		(void)device_send(&n->dev, world_packet(buf, len, PACKET_HEADROOM, PACKET_TAILROOM),
				  w->now);
		return;
	}
	inner_addr(w, 0, b0 & 3, v6, dst);
	len = make_ip(buf, v6, v6 ? w->a_tun6 : w->a_tun4, dst, c->p, c->len);
	p = world_packet(buf, len, room ? PACKET_HEADROOM : 0, room ? PACKET_TAILROOM : 0);
	w->packets++;
	call_begin(f, NULL);
	(void)device_send(&w->a, p, w->now);
	check_state(f);
}

/* b0: bits 0-2 which of the last sealed, bits 3-4 where from, bit 5
 * the split path. */
static void rec_replay(struct fz *f, struct cursor *c)
{
	uint8_t b0 = take8(c);
	struct sealed *s;
	struct endpoint src;

	if (!f->n_ring)
		return;
	s = &f->ring[(f->n_ring - 1 - (b0 & 7) % (f->n_ring < RING ? f->n_ring : RING)) % RING];
	source(&f->w, 0, b0 >> 3, &src);
	(void)receive(f, s->buf, s->len, &src, b0 & 0x20 ? PATH_SPLIT : PATH_PLAIN, false,
		      &s->plain);
}

static void rec_load(struct fz *f, struct cursor *c)
{
	call_begin(f, NULL);
	device_set_handshake_backlog(&f->w.a, (size_t)take_le(c, 2), f->w.now);
}

/* b0: bit 7 the held response, else the held job b0 % JOBS. */
static void rec_job(struct fz *f, struct cursor *c)
{
	uint8_t b0 = take8(c);
	struct held *h = &f->jobs[b0 % JOBS];

	if (b0 & 0x80) {
		call_begin(f, NULL);
		world_commit_response(&f->w);
		check_state(f);
	} else if (h->used) {
		job_finish(f, h);
	}
}

/* b0: the change (remove, add, keepalive, identity: A's, its other one,
 * none or node's, preshared key, endpoint); b1: bit 0 node; b2: its
 * argument. */
static void rec_config(struct fz *f, struct cursor *c)
{
	static const uint8_t psk[NOISE_SYMMETRIC_KEY_LEN] = { 'f', 'u', 'z', 'z' };
	struct world *w = &f->w;
	uint8_t op = take8(c) % 6, k = take8(c) & 1, arg = take8(c);
	struct peer *peer = w->a_peer[k];
	struct endpoint ep;

	call_begin(f, NULL);
	if (op == 1 && !peer) {
		world_add_peer(w, k);
	} else if (op == 3) {
		const uint8_t *const ids[] = { w->a_priv, w->a_alt_priv, NULL, w->node[k].priv };

		device_set_private_key(&w->a, ids[arg & 3]);
		/* A peer whose key became ours is gone (the kernel's rule);
		 * no other. */
		for (unsigned i = 0; i < WORLD_NODES; i++) {
			if (!w->a_peer[i] || device_find_peer(&w->a, w->node[i].pub))
				continue;
			if (!world_a_is(w, i))
				abort();
			w->a_peer[i] = NULL;
		}
	} else if (peer && op == 0) {
		device_remove_peer(&w->a, peer);
		w->a_peer[k] = NULL;
	} else if (peer && op == 2) {
		device_peer_set_keepalive(&w->a, peer, arg, w->now);
	} else if (peer && op == 4) {
		device_peer_set_preshared_key(&w->a, peer, arg & 1 ? psk : NULL);
		if ((arg & 2) && w->node[k].live)
			device_peer_set_preshared_key(&w->node[k].dev, w->node[k].peer,
						      arg & 1 ? psk : NULL);
	} else if (peer && op == 5) {
		source(w, k, arg, &ep);
		if (arg & 4)
			ep.family = 0; /* no endpoint */
		device_peer_set_endpoint(&w->a, peer, &ep);
	}
	check_state(f);
}

static void (*const records[REC_KINDS])(struct fz *f, struct cursor *c) = {
	[REC_RAW] = rec_raw,       [REC_SEAL] = rec_seal,     [REC_CLOCK] = rec_clock,
	[REC_INITIATE] = rec_initiate, [REC_FROM] = rec_from, [REC_TO] = rec_to,
	[REC_SEND] = rec_send,     [REC_REPLAY] = rec_replay, [REC_LOAD] = rec_load,
	[REC_JOB] = rec_job,       [REC_CONFIG] = rec_config,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *f = &fz;
	struct cursor in = { data, size };
	static bool started;

	if (!started) {
		world_setup(&f->w);
		f->w.on_deliver = on_deliver;
		world_record(&f->w);
		if (packet_crypto_init(&f->seal) || packet_crypto_init(&f->open))
			abort();
		started = true;
	}
	f->gen++;
	f->model_off = false;
	f->n_seen = f->n_ring = 0;
	world_begin(&f->w);
	while (in.len) {
		uint8_t kind = take8(&in) % REC_KINDS;
		size_t len = take8(&in);
		struct cursor rec;

		if (len == 255 || len > in.len)
			len = in.len;
		rec = (struct cursor){ in.p, len };
		in.p += len;
		in.len -= len;
		records[kind](f, &rec);
	}
	for (unsigned i = 0; i < JOBS; i++)
		if (f->jobs[i].used)
			job_finish(f, &f->jobs[i]);
	world_commit_response(&f->w);
	world_end(&f->w);
	return 0;
}
