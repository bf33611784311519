/* Per-source rate limiter for handshake messages, as the Linux kernel
 * module's ratelimiter.c: a token bucket per IPv4 address and per IPv6
 * /64 (an attacker usually holds a whole /64), RATELIMITER_PACKETS_PER_SECOND
 * with a burst of RATELIMITER_PACKETS_BURSTABLE.  It guards the expensive
 * part of the handshake once the device is under load (a valid mac2 must
 * still pass it); see protocol-facts.md, "Cookies and load".
 *
 * The table is allocated once, at ratelimiter_init(), and bounded: when it
 * is full, sources not already in it are refused until the caller's
 * once-a-second ratelimiter_gc() frees entries idle for more than
 * RATELIMITER_GC_AGE.  That is the kernel's choice too: under a flood of
 * fresh source addresses, refusing new ones is what keeps the worker's
 * cost bounded.  Buckets are chosen by SipHash-2-4 under a key drawn at
 * init, so a remote party cannot aim many sources at one chain.
 *
 * Concurrency: none inside; the caller serializes every call on one
 * struct.  The device owns one: allow runs on the handshake path, gc from
 * device_run_timers() (the daemon's control thread), both under the
 * daemon's dev_lock. */
#ifndef RAMPART_PROTO_RATELIMITER_H
#define RAMPART_PROTO_RATELIMITER_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ratelimiter_hash_values {
	RATELIMITER_HASH_KEY_LEN = 16, /* SipHash-2-4 */
};

struct ratelimiter_entry;

struct ratelimiter {
	/* max_entries entries: from fresh on never used yet; of the rest,
	 * those not in a bucket chain form a free list through the same
	 * link field.  A link is a pool index + 1, 0 for none. */
	struct ratelimiter_entry *pool;
	uint32_t *buckets;	/* chain heads */
	uint32_t bucket_mask;	/* bucket count - 1, a power of two */
	uint32_t free_head;
	size_t fresh;
	size_t max_entries;
	size_t count;		/* entries in chains */
	uint8_t key[RATELIMITER_HASH_KEY_LEN]; /* secret, wiped at uninit */
};

/* Allocates a table for max_entries sources (1..RATELIMITER_MAX_ENTRIES)
 * and draws the hash key from crypto_random.  0, -EINVAL or -ENOMEM (or
 * crypto_random's error); on failure rl is left zeroed. */
int ratelimiter_init(struct ratelimiter *rl, size_t max_entries) warn_unused;
/* Frees the table and wipes the key.  Also safe on a zeroed struct. */
void ratelimiter_uninit(struct ratelimiter *rl);

/* One handshake message from addr: for family AF_INET, 4 bytes, for
 * AF_INET6, 16 bytes of which only the first 8 (the /64) count; network
 * byte order.  now is the caller's monotonic clock in ns.  True when the
 * source is within its rate (a token was taken); false when it is over
 * it, when the table is full and the source is new, or when family is
 * neither. */
bool ratelimiter_allow(struct ratelimiter *rl, const void *addr, int family,
		       uint64_t now) warn_unused;

/* Frees every entry idle for more than RATELIMITER_GC_AGE at now (the
 * caller's monotonic clock, ns).  The caller runs it once a second. */
void ratelimiter_gc(struct ratelimiter *rl, uint64_t now);

/* Sources currently held. */
size_t ratelimiter_count(const struct ratelimiter *rl);

/* SipHash-2-4 (Aumasson and Bernstein, 2012) of len bytes, the 64-bit
 * result read as a little-endian word.  Exported for its known-answer
 * test. */
uint64_t ratelimiter_hash(const uint8_t key[RATELIMITER_HASH_KEY_LEN],
			  const void *in, size_t len);

#endif
