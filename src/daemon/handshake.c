/* The handshake queue and thread (handshake.h). */
#include "handshake.h"

#include "daemon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

/* Messages taken off the queue per pass. */
enum { HS_BATCH = 64 };
/* Messages that passed the gate per pass under dev_lock. */
enum { HS_LOCKED = 8 };
/* How long the gate's counts (and the load it saw) may wait for a pass
 * under dev_lock while nothing else needs one. */
#define HS_FLUSH_EVERY (NSEC_PER_SEC / 10)

/* The gate's verdicts that are drops, in the device's counters. */
static const enum drop_reason verdict_drop[] = {
	[COOKIE_NO_IDENTITY] = DROP_NO_IDENTITY,
	[COOKIE_INVALID_MAC1] = DROP_INVALID_MAC1,
	[COOKIE_REPLY] = DROP_COOKIE_SENT,
	[COOKIE_REPLY_LIMITED] = DROP_COOKIE_RATELIMITED,
	[COOKIE_PASS] = DROP_NONE,
	[COOKIE_PASS_PROVEN] = DROP_NONE,
};

static void ring_uninit(struct hsq_ring *r)
{
	free(r->slots);
	r->slots = NULL;
}

int hsq_init(struct hsq *q)
{
	pthread_condattr_t ca;
	int err;

	memset(q, 0, sizeof(*q));
	q->proven.slots = calloc(MAX_QUEUED_INCOMING_HANDSHAKES, sizeof(*q->proven.slots));
	q->unproven.slots = calloc(MAX_QUEUED_INCOMING_HANDSHAKES, sizeof(*q->unproven.slots));
	if (!q->proven.slots || !q->unproven.slots) {
		err = -ENOMEM;
		goto err_rings;
	}
	err = cookie_gate_init(&q->gate);
	if (err)
		goto err_rings;
	q->gate_ready = true;
	noise_local_init(&q->local, &(struct noise_upcall){ 0 });
	pthread_mutex_init(&q->lock, NULL);
	pthread_mutex_init(&q->gate_lock, NULL);
	/* Timed waits (the counts' flush) on the clock daemon_now reads. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->nonempty, &ca);
	pthread_condattr_destroy(&ca);
	return 0;

err_rings:
	ring_uninit(&q->proven);
	ring_uninit(&q->unproven);
	return err;
}

void hsq_uninit(struct hsq *q)
{
	if (!q->gate_ready)
		return;
	ring_uninit(&q->proven);
	ring_uninit(&q->unproven);
	cookie_gate_uninit(&q->gate);
	noise_local_uninit(&q->local);
	q->gate_ready = false;
	pthread_mutex_destroy(&q->lock);
	pthread_mutex_destroy(&q->gate_lock);
	pthread_cond_destroy(&q->nonempty);
}

void hsq_cookie_source(struct cookie_source *cs, const struct endpoint *ep)
{
	memset(cs, 0, sizeof(*cs));
	cs->family = ep->family;
	cs->port = ep->port;
	memcpy(cs->addr, ep->addr, sizeof(cs->addr));
}

static struct hsq_entry *ring_tail(struct hsq_ring *r)
{
	return &r->slots[(r->head + r->len++) % MAX_QUEUED_INCOMING_HANDSHAKES];
}

static void ring_pop(struct hsq_ring *r, struct hsq_entry *out)
{
	if (out)
		*out = r->slots[r->head];
	r->head = (r->head + 1) % MAX_QUEUED_INCOMING_HANDSHAKES;
	r->len--;
}

void hsq_push(struct hsq *q, const uint8_t *buf, size_t len, const struct endpoint *src)
{
	bool proven = false;
	struct hsq_ring *r;

	if (len == sizeof(struct message_handshake_initiation) ||
	    len == sizeof(struct message_handshake_response)) {
		struct cookie_source cs;

		hsq_cookie_source(&cs, src);
		pthread_mutex_lock(&q->gate_lock);
		proven = cookie_gate_proven(&q->gate, buf, len, &cs, daemon_now());
		pthread_mutex_unlock(&q->gate_lock);
	}

	pthread_mutex_lock(&q->lock);
	if (len > sizeof(q->proven.slots[0].buf))
		goto drop;
	if (q->proven.len + q->unproven.len == MAX_QUEUED_INCOMING_HANDSHAKES) {
		/* Full: only an unproven message ever goes. */
		if (!proven || !q->unproven.len)
			goto drop;
		ring_pop(&q->unproven, NULL);
		q->evicted++;
		q->dropped++;
	}
	/* One consumer, which sleeps only on an empty queue: only the
	 * first message wakes it (a flood costs no futex call each). */
	if (!q->proven.len && !q->unproven.len)
		pthread_cond_signal(&q->nonempty);
	r = proven ? &q->proven : &q->unproven;
	{
		struct hsq_entry *e = ring_tail(r);

		e->src = *src;
		e->len = (uint16_t)len;
		memcpy(e->buf, buf, len);
	}
	pthread_mutex_unlock(&q->lock);
	return;
drop:
	q->dropped++;
	pthread_mutex_unlock(&q->lock);
}

/* Under q->lock. */
static size_t take_locked(struct hsq *q, struct hsq_entry *out, size_t max, size_t *backlog)
{
	size_t n = 0;

	*backlog = q->proven.len + q->unproven.len;
	while (q->proven.len && n < max)
		ring_pop(&q->proven, &out[n++]);
	while (q->unproven.len && n < max)
		ring_pop(&q->unproven, &out[n++]);
	return n;
}

size_t hsq_take(struct hsq *q, struct hsq_entry *out, size_t max, size_t *backlog)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = take_locked(q, out, max, backlog);
	pthread_mutex_unlock(&q->lock);
	return n;
}

/* ---- the handshake thread ------------------------------------------------- */

/* What the thread decided without dev_lock, for the next pass under it. */
struct hs_pending {
	uint64_t drops[DROP_REASON_COUNT];
	size_t max_backlog;      /* the longest backlog seen (the device's load) */
	uint64_t last_flush;     /* monotonic ns */
};

static bool pending_any(const struct hs_pending *pd)
{
	for (size_t r = 0; r < DROP_REASON_COUNT; r++)
		if (pd->drops[r])
			return true;
	return false;
}

/* The gate's keys follow the device's identity: compared without
 * dev_lock (an atomic), copied under it when they moved. */
static void gate_follow_identity(struct daemon *d)
{
	struct hsq *q = &d->hsq;
	uint64_t gen = device_identity_gen(&d->dev);

	pthread_mutex_lock(&q->gate_lock);
	if (gen == q->gate_gen) {
		pthread_mutex_unlock(&q->gate_lock);
		return;
	}
	pthread_mutex_unlock(&q->gate_lock);
	/* dev_lock, then gate_lock, never the other way round; the new
	 * keys are written under both. */
	daemon_lock_device(d);
	pthread_mutex_lock(&q->gate_lock);
	q->gate_gen = device_copy_identity(&d->dev, &q->gate.checker, &q->local);
	pthread_mutex_unlock(&q->gate_lock);
	daemon_unlock_device(d);
}

/* A message refused before dev_lock: counted for the device, and a
 * failed handshake reported to the event log (its own leaf lock) as the
 * core reports those it refuses. */
static void refused(struct daemon *d, struct hs_pending *pd, enum drop_reason why,
		    const struct endpoint *src, uint64_t now)
{
	struct device_event ev = { .type = DEVICE_EVENT_HANDSHAKE_FAILED,
				   .reason = why, .new_ep = src, .now = now };
	struct event_record r;

	pd->drops[why]++;
	daemon_log_drop(why, src);
	if (!device_drop_is_handshake_failure(why))
		return;
	events_from_device(&r, &ev);
	daemon_record_event(d, &r, now);
}

/* Runs the gate over a batch without dev_lock; moves what must reach the
 * device to the front of the batch (their proven flags in proven[]) and
 * returns how many.  Cookie replies go out from here.  gate_lock is held
 * for one check at a time, so a data thread's push waits for one MAC at
 * most, and nothing else is taken inside it. */
static size_t gate_batch(struct daemon *d, struct hsq_entry *batch, bool *proven,
			 struct noise_initiation_prep *preps, bool *has_prep, size_t n,
			 size_t backlog, struct hs_pending *pd, uint64_t *gen)
{
	struct hsq *q = &d->hsq;
	struct message_handshake_cookie reply;
	size_t keep = 0;

	pthread_mutex_lock(&q->gate_lock);
	*gen = q->gate_gen;
	pthread_mutex_unlock(&q->gate_lock);
	for (size_t i = 0; i < n; i++) {
		struct hsq_entry *e = &batch[i];
		enum message_type type = packet_classify(e->buf, e->len);
		struct cookie_source cs;
		enum cookie_verdict v;
		enum noise_error err;
		uint64_t now = daemon_now();

		if (backlog - i > pd->max_backlog)
			pd->max_backlog = backlog - i;
		has_prep[keep] = false;
		if (type != MESSAGE_HANDSHAKE_INITIATION && type != MESSAGE_HANDSHAKE_RESPONSE) {
			/* Cookie replies, and what the device counts as
			 * invalid. */
			proven[keep] = false;
			batch[keep++] = *e;
			continue;
		}
		hsq_cookie_source(&cs, &e->src);
		pthread_mutex_lock(&q->gate_lock);
		v = cookie_gate_check(&q->gate, e->buf, e->len, &cs,
				      cookie_gate_under_load(&q->gate, backlog - i, now), &reply, now);
		pthread_mutex_unlock(&q->gate_lock);
		if (v != COOKIE_PASS && v != COOKIE_PASS_PROVEN) {
			if (v == COOKIE_REPLY &&
			    udp_send(&d->udp.pairs[0], &e->src, (const uint8_t *)&reply, sizeof(reply)))
				atomic_fetch_add(&d->stats.tx_failed, 1);
			refused(d, pd, verdict_drop[v], &e->src, now);
			continue;
		}
		if (type == MESSAGE_HANDSHAKE_INITIATION) {
			/* e, es, s with the thread's copy of the identity,
			 * which is of *gen, as the gate's keys are. */
			err = noise_prepare_initiation(&q->local,
						       (const struct message_handshake_initiation *)e->buf,
						       &preps[keep]);
			if (err) {
				refused(d, pd, device_noise_drop(err), &e->src, now);
				continue;
			}
			has_prep[keep] = true;
		}
		proven[keep] = v == COOKIE_PASS_PROVEN;
		batch[keep++] = *e;
	}
	return keep;
}

/* One pass under dev_lock: the gate's counts and load, then up to
 * HS_LOCKED messages that passed; the responses to the initiations among
 * them are made after it, without the lock (their Diffie-Hellmans), and
 * committed and sent in a second short pass. */
static void device_pass(struct daemon *d, struct hsq_entry *batch, const bool *proven,
			struct noise_initiation_prep *preps, const bool *has_prep,
			size_t n, uint64_t gen, struct hs_pending *pd)
{
	struct pool_packet pk = { .from_pool = false };
	struct noise_response_prep rps[HS_LOCKED];
	struct message_handshake_response msgs[HS_LOCKED];
	uint64_t now = daemon_now();
	size_t responses = 0;

	daemon_lock_device(d);
	device_set_handshake_backlog(&d->dev, pd->max_backlog, now);
	for (size_t r = 0; r < DROP_REASON_COUNT; r++)
		if (pd->drops[r])
			device_add_drops(&d->dev, (enum drop_reason)r, pd->drops[r]);
	memset(pd->drops, 0, sizeof(pd->drops));
	pd->max_backlog = 0;
	pd->last_flush = now;
	for (size_t i = 0; i < n && i < HS_LOCKED; i++) {
		now = daemon_now();
		pk.p.head = batch[i].buf;
		pk.p.cap = sizeof(batch[i].buf);
		pk.p.off = 0;
		pk.p.len = batch[i].len;
		pk.p.next = NULL;
		pk.p.core_owned = false;
		daemon_log_drop(device_receive_checked(&d->dev, &pk.p, &batch[i].src, proven[i],
						       has_prep[i] ? &preps[i] : NULL,
						       &rps[responses], gen, now),
				&batch[i].src);
		if (rps[responses].prepared)
			responses++;
	}
	daemon_rearm_timer(d);
	daemon_unlock_device(d);
	if (!responses)
		return;

	/* e, ee, se of each response, with nothing locked. */
	for (size_t i = 0; i < responses; i++)
		noise_response_compute(&rps[i], &msgs[i]);
	daemon_lock_device(d);
	for (size_t i = 0; i < responses; i++)
		device_send_prepared_response(&d->dev, &rps[i], &msgs[i], daemon_now());
	daemon_rearm_timer(d);
	daemon_unlock_device(d);
}

void *handshake_main(void *arg)
{
	struct daemon *d = arg;
	struct hsq *q = &d->hsq;
	struct hsq_entry batch[HS_BATCH];
	bool proven[HS_BATCH], has_prep[HS_BATCH];
	/* Secrets: each is wiped by whoever consumes it
	 * (noise_prepare_initiation on failure, the device otherwise). */
	struct noise_initiation_prep preps[HS_BATCH];
	struct hs_pending pd = { .last_flush = daemon_now() };

	for (;;) {
		size_t n, keep, backlog;
		uint64_t gen, now;

		pthread_mutex_lock(&q->lock);
		while (!q->proven.len && !q->unproven.len && !atomic_load(&d->stopping)) {
			struct timespec until;

			if (!pending_any(&pd)) {
				pthread_cond_wait(&q->nonempty, &q->lock);
				continue;
			}
			/* Counts are waiting: the pass under dev_lock that
			 * brings them in comes at the latest HS_FLUSH_EVERY
			 * after the last. */
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_nsec += (long)(HS_FLUSH_EVERY % NSEC_PER_SEC);
			if (until.tv_nsec >= (long)NSEC_PER_SEC) {
				until.tv_sec++;
				until.tv_nsec -= (long)NSEC_PER_SEC;
			}
			if (pthread_cond_timedwait(&q->nonempty, &q->lock, &until) == ETIMEDOUT)
				break;
		}
		if (atomic_load(&d->stopping)) {
			pthread_mutex_unlock(&q->lock);
			break;
		}
		n = take_locked(q, batch, HS_BATCH, &backlog);
		pthread_mutex_unlock(&q->lock);

		gate_follow_identity(d);
		pthread_rwlock_rdlock(&d->sock_lock);
		keep = gate_batch(d, batch, proven, preps, has_prep, n, backlog, &pd, &gen);
		now = daemon_now();
		for (size_t i = 0; i < keep; i += HS_LOCKED)
			device_pass(d, batch + i, proven + i, preps + i, has_prep + i,
				    keep - i < HS_LOCKED ? keep - i : HS_LOCKED, gen, &pd);
		if (!keep && pending_any(&pd) && (!n || now >= pd.last_flush + HS_FLUSH_EVERY))
			device_pass(d, NULL, NULL, NULL, NULL, 0, gen, &pd);
		pthread_rwlock_unlock(&d->sock_lock);
	}
	return NULL;
}
