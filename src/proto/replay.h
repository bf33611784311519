/* Anti-replay check for transport counters: the RFC 6479 sliding bitmap,
 * with the window, ring size and limits of the Linux kernel module
 * (receive.c) and wireguard-go (replay/), so that Rampart accepts exactly
 * what they accept.
 *
 * The ring holds COUNTER_BITS_TOTAL bits in 64-bit words.  The word that
 * the newest counter falls in is always partly ahead of it, so of the
 * ring only COUNTER_WINDOW_SIZE counters behind the newest are usable:
 * a counter c is fresh iff c < REJECT_AFTER_MESSAGES, it was not accepted
 * before, and c > newest or newest - c <= COUNTER_WINDOW_SIZE.
 *
 * Concurrency: none inside.  One struct belongs to one receiving keypair;
 * the caller serializes replay_check() calls on it (the kernel does so
 * under a per-counter spinlock after parallel decryption; the daemon does
 * it under its one dev_lock, which serializes the whole core).
 * Run the check only after the packet has authenticated, or a forged
 * counter would move the window. */
#ifndef RAMPART_PROTO_REPLAY_H
#define RAMPART_PROTO_REPLAY_H

#include "messages.h"

#include "common/compiler.h"

#include <stdbool.h>
#include <stdint.h>

enum replay_values {
	REPLAY_WORD_BITS = 64,
	REPLAY_WORDS = COUNTER_BITS_TOTAL / REPLAY_WORD_BITS,
};

struct replay_counter {
	/* One past the newest counter accepted; 0 until the first.  Keeping
	 * it biased by one lets the empty state need no flag, and the bitmap
	 * is indexed by the same biased value. */
	uint64_t next;
	/* Bit (c + 1) % COUNTER_BITS_TOTAL set when counter c was accepted,
	 * for the counters in the window only. */
	uint64_t ring[REPLAY_WORDS];
};

/* Forgets every counter: the state of a fresh keypair. */
void replay_init(struct replay_counter *r);

/* True when counter is fresh (and it is now recorded); false for a
 * replay, a counter too far behind the newest, or one at or beyond
 * REJECT_AFTER_MESSAGES.  A false result leaves the state unchanged. */
bool replay_check(struct replay_counter *r, uint64_t counter) warn_unused;

#endif
