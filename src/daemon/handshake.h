/* The handshake queue and the handshake thread: the data threads push
 * handshake messages (initiations, responses, cookie replies) here, and
 * one thread takes them through the core, so that the work that costs a
 * Diffie-Hellman never runs on a data thread.
 *
 * Before dev_lock.  The handshake thread checks every initiation and
 * response with a cookie gate of its own (proto/cookie.h: struct
 * cookie_gate) without dev_lock: an invalid mac1 is dropped, and under
 * load a message without a valid mac2 gets a cookie reply (within the
 * reply limits) straight from this thread.  An initiation that passes
 * has its first step read (e, es, s: one Diffie-Hellman) with the
 * thread's copy of the identity, still without the lock, so one whose
 * static key does not decrypt (a flood's, with a valid mac1) never takes
 * it.  Only what passes all that, and cookie replies (type 3, which need
 * the peer they answer), take dev_lock, in passes of HS_LOCKED (the
 * responses to the initiations consumed there are made after the pass,
 * unlocked, and committed in a second one); what the gate counted goes into the device's
 * counters in that pass, or in one of its own at most every
 * HS_FLUSH_EVERY while a flood keeps everything outside.
 *
 * Priority.  A message with a valid mac2 for its source (its sender has
 * received a cookie at that address: a legitimate peer under a flood) is
 * "proven".  The queue keeps proven and unproven messages in two rings
 * that share one bound, MAX_QUEUED_INCOMING_HANDSHAKES: the thread takes
 * proven ones first, and a full queue makes room for a proven message by
 * dropping the oldest unproven one, so only unproven messages are ever
 * dropped while an unproven one is queued.  mac2 is checked at the push,
 * on the data thread, because that is the only place that can decide
 * what a full queue drops; an all-zero mac2 (a flood's) costs nothing
 * there, any other costs two MACs.  The gate checks it again when the
 * message is taken (the secret or the keys may have changed since).
 *
 * Locks (leaves, never held together): hsq.lock protects the rings and
 * counters; gate_lock protects the gate (its checker is read by the
 * data threads' push and by this thread). */
#ifndef RAMPART_DAEMON_HANDSHAKE_H
#define RAMPART_DAEMON_HANDSHAKE_H

#include "proto/cookie.h"
#include "proto/device.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A handshake message waiting for the handshake thread. */
struct hsq_entry {
	struct endpoint src;
	uint16_t len;
	uint8_t buf[sizeof(struct message_handshake_initiation)]; /* the largest */
};

/* One FIFO of entries (MAX_QUEUED_INCOMING_HANDSHAKES slots). */
struct hsq_ring {
	struct hsq_entry *slots;
	size_t head, len;
};

/* The bounded handshake queue (allocated at start).  Its length, both
 * rings, is the load signal: from UNDER_LOAD_QUEUE_LEN on, initiations
 * without a valid mac2 get a cookie reply instead of a Diffie-Hellman. */
struct hsq {
	pthread_mutex_t lock;      /* protects the rings and counters below */
	pthread_cond_t nonempty;   /* CLOCK_MONOTONIC */
	struct hsq_ring proven, unproven;
	unsigned long long dropped; /* queue full (unproven evictions included) */
	unsigned long long evicted; /* unproven dropped to make room for proven */

	pthread_mutex_t gate_lock; /* protects gate, gate_gen */
	struct cookie_gate gate;
	uint64_t gate_gen;         /* the device identity gate's keys belong to */
	bool gate_ready;
	/* The handshake thread's own: a copy of the device's identity (of
	 * gate_gen), for the first Diffie-Hellman of an initiation
	 * (noise_prepare_initiation) without dev_lock. */
	struct noise_local local;
};

/* 0 or -errno. */
int hsq_init(struct hsq *q);
void hsq_uninit(struct hsq *q);
/* Queues a copy of buf, or counts it dropped when the queue is full and
 * it cannot take an unproven message's place. */
void hsq_push(struct hsq *q, const uint8_t *buf, size_t len, const struct endpoint *src);
/* Takes up to max entries, proven ones first; returns how many, and
 * *backlog = what was queued before (the load signal). */
size_t hsq_take(struct hsq *q, struct hsq_entry *out, size_t max, size_t *backlog);
/* The handshake thread (arg: the struct daemon), until d->stopping. */
void *handshake_main(void *arg);

/* For tests: a gate source from an endpoint. */
void hsq_cookie_source(struct cookie_source *cs, const struct endpoint *ep);

#endif
