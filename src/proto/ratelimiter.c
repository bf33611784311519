/* Handshake rate limiter: a token bucket per source, in a chained hash
 * table whose entries all come from one pool allocated at init.
 *
 * The bucket follows the kernel's algorithm rather than a textbook one:
 * credit is counted in nanoseconds of the caller's clock, a packet costs
 * RATELIMITER_PACKET_COST of it, and the burst is folded into the cap on
 * credit (RATELIMITER_TOKEN_MAX) instead of into the rate.  A new source
 * starts with a full bucket less the packet that created it. */
#include "ratelimiter.h"

#include "messages.h"

#include "crypto/crypto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* End of a chain or of the free list. */
/* Links (bucket heads, next, free_head) hold a pool index + 1, so that
 * zeroed memory is an empty table: calloc's pages stay untouched, and an
 * idle daemon does not carry the whole table resident. */
#define NO_ENTRY 0

_Static_assert(RATELIMITER_MAX_ENTRIES < UINT32_MAX, "pool links fit in 32 bits");
_Static_assert(NSEC_PER_SEC % RATELIMITER_PACKETS_PER_SECOND == 0,
	       "a packet costs a whole number of nanoseconds");

struct ratelimiter_entry {
	uint64_t last_ns;	/* caller's monotonic clock: last refill */
	uint64_t tokens;	/* credit in ns, at most RATELIMITER_TOKEN_MAX */
	uint8_t ip[8];		/* IPv4 address, or an IPv6 /64 */
	uint32_t next;		/* chain or free list */
	uint8_t ip_len;		/* 4 or 8: also tells the families apart */
};

/* --- SipHash-2-4 ------------------------------------------------------ */

struct sip {
	uint64_t v0, v1, v2, v3;
};

static uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static void sip_round(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13) ^ s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17) ^ s->v2;
	s->v2 = rotl(s->v2, 32);
}

/* Two compression rounds per message word. */
static void sip_absorb(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	sip_round(s);
	sip_round(s);
	s->v0 ^= m;
}

uint64_t ratelimiter_hash(const uint8_t key[RATELIMITER_HASH_KEY_LEN],
			  const void *in, size_t len)
{
	const uint8_t *p = in;
	uint64_t k0 = load_le64(key, 8), k1 = load_le64(key + 8, 8);
	/* "somepseudorandomlygeneratedbytes" */
	struct sip s = {
		.v0 = k0 ^ 0x736f6d6570736575ULL,
		.v1 = k1 ^ 0x646f72616e646f6dULL,
		.v2 = k0 ^ 0x6c7967656e657261ULL,
		.v3 = k1 ^ 0x7465646279746573ULL,
	};
	size_t left = len;

	for (; left >= 8; left -= 8, p += 8)
		sip_absorb(&s, load_le64(p, 8));
	/* The last word carries the length mod 256 in its top byte. */
	sip_absorb(&s, ((uint64_t)len << 56) | load_le64(p, left));
	s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

/* --- the table --------------------------------------------------------- */

int ratelimiter_init(struct ratelimiter *rl, size_t max_entries)
{
	size_t buckets = 1;
	int ret;

	memset(rl, 0, sizeof(*rl));
	if (max_entries == 0 || max_entries > RATELIMITER_MAX_ENTRIES)
		return -EINVAL;
	/* At most one entry per bucket on average: chains stay short even
	 * when the table is full. */
	while (buckets < max_entries)
		buckets <<= 1;
	rl->pool = calloc(max_entries, sizeof(*rl->pool));
	if (!rl->pool)
		return -ENOMEM;
	rl->buckets = calloc(buckets, sizeof(*rl->buckets));
	if (!rl->buckets) {
		ret = -ENOMEM;
		goto err_free_pool;
	}
	ret = crypto_random(rl->key, sizeof(rl->key));
	if (ret)
		goto err_free_buckets;
	rl->free_head = NO_ENTRY;
	rl->fresh = 0;
	rl->bucket_mask = (uint32_t)(buckets - 1);
	rl->max_entries = max_entries;
	return 0;

err_free_buckets:
	free(rl->buckets);
err_free_pool:
	free(rl->pool);
	crypto_wipe(rl, sizeof(*rl));
	return ret;
}

void ratelimiter_uninit(struct ratelimiter *rl)
{
	free(rl->buckets);
	free(rl->pool);
	crypto_wipe(rl, sizeof(*rl));
}

size_t ratelimiter_count(const struct ratelimiter *rl)
{
	return rl->count;
}

/* Refills by the time passed, then takes one packet's cost if it can.
 * A refused packet costs nothing, so a source that keeps trying still
 * earns credit at the full rate (as in the kernel).  A clock that steps
 * back earns nothing and does not move last_ns, so it cannot mint credit
 * later either. */
static bool take(struct ratelimiter_entry *e, uint64_t now)
{
	uint64_t tokens = e->tokens;

	if (now > e->last_ns) {
		uint64_t idle = now - e->last_ns;

		/* Compared before adding: a long idle cannot overflow. */
		if (idle >= RATELIMITER_TOKEN_MAX - tokens)
			tokens = RATELIMITER_TOKEN_MAX;
		else
			tokens += idle;
		e->last_ns = now;
	}
	if (tokens < RATELIMITER_PACKET_COST) {
		e->tokens = tokens;
		return false;
	}
	e->tokens = tokens - RATELIMITER_PACKET_COST;
	return true;
}

bool ratelimiter_allow(struct ratelimiter *rl, const void *addr, int family,
		       uint64_t now)
{
	struct ratelimiter_entry *e;
	uint8_t ip[8] = { 0 };
	uint32_t *head, i;
	size_t len;

	if (family == AF_INET)
		len = 4;
	else if (family == AF_INET6)
		len = 8; /* the /64: the interface identifier is the sender's to pick */
	else
		return false;
	memcpy(ip, addr, len);

	head = &rl->buckets[ratelimiter_hash(rl->key, ip, len) & rl->bucket_mask];
	for (i = *head; i != NO_ENTRY; i = e->next) {
		e = &rl->pool[i - 1];
		if (e->ip_len == len && !memcmp(e->ip, ip, sizeof(ip)))
			return take(e, now);
	}

	/* A new source.  When the table is full it is refused: evicting a
	 * known source to make room would let a flood of fresh addresses
	 * reset everyone's bucket. */
	if (rl->free_head != NO_ENTRY) {
		i = rl->free_head;
		e = &rl->pool[i - 1];
		rl->free_head = e->next;
	} else if (rl->fresh < rl->max_entries) {
		i = (uint32_t)++rl->fresh;
		e = &rl->pool[i - 1];
	} else {
		return false;
	}
	memcpy(e->ip, ip, sizeof(ip));
	e->ip_len = (uint8_t)len;
	e->last_ns = now;
	e->tokens = RATELIMITER_TOKEN_MAX - RATELIMITER_PACKET_COST;
	e->next = *head;
	*head = i;
	rl->count++;
	return true;
}

void ratelimiter_gc(struct ratelimiter *rl, uint64_t now)
{
	if (!rl->buckets)
		return;
	for (size_t b = 0; b <= rl->bucket_mask; b++) {
		uint32_t *link = &rl->buckets[b];

		while (*link != NO_ENTRY) {
			uint32_t i = *link;
			struct ratelimiter_entry *e = &rl->pool[i - 1];

			/* Strictly more than the age, as the kernel: an entry
			 * seen exactly RATELIMITER_GC_AGE ago stays. */
			if (now > e->last_ns && now - e->last_ns > RATELIMITER_GC_AGE) {
				*link = e->next;
				e->next = rl->free_head;
				rl->free_head = i;
				rl->count--;
			} else {
				link = &e->next;
			}
		}
	}
}
