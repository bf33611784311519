/* Address allocation and overlap checks (alloc.h).  Addresses are
 * handled as 128-bit integers (an IPv4 address in the low 32 bits), so
 * that one scan serves both families. */
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef unsigned __int128 u128; /* the one typedef: a scalar, not a struct */

static unsigned width(int family)
{
	return family == AF_INET ? 32 : 128;
}

static u128 to_int(const struct netaddr *a)
{
	const uint8_t *b = a->family == AF_INET ? (const uint8_t *)&a->in4 : a->in6.s6_addr;
	size_t len = a->family == AF_INET ? 4 : 16;
	u128 v = 0;

	for (size_t i = 0; i < len; i++)
		v = v << 8 | b[i];
	return v;
}

static void from_int(u128 v, int family, struct netaddr_prefix *out)
{
	uint8_t *b;
	size_t len = family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	out->addr.family = family;
	out->cidr = (uint8_t)width(family);
	b = family == AF_INET ? (uint8_t *)&out->addr.in4 : out->addr.in6.s6_addr;
	for (size_t i = len; i-- > 0; v >>= 8)
		b[i] = (uint8_t)v;
}

/* Host bits of pool: the mask of offsets within it. */
static u128 host_mask(const struct netaddr_prefix *pool)
{
	unsigned h = width(pool->addr.family) - pool->cidr;

	return h >= 128 ? ~(u128)0 : ((u128)1 << h) - 1;
}

/* The hub's offset in the pool: as written, or the first usable one. */
static u128 hub_offset(const struct netaddr_prefix *pool)
{
	u128 off = to_int(&pool->addr) & host_mask(pool);

	return off ? off : 1;
}

void inv_alloc_hub(const struct netaddr_prefix *pool, struct netaddr_prefix *out)
{
	u128 net = to_int(&pool->addr) & ~host_mask(pool);

	from_int(net | hub_offset(pool), pool->addr.family, out);
}

static int cmp(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

int inv_alloc_next(const struct netaddr_prefix *pool, const struct netaddr_prefix *used,
		   size_t n_used, struct netaddr_prefix *out)
{
	u128 mask = host_mask(pool), net = to_int(&pool->addr) & ~mask;
	/* The last usable offset: the IPv4 broadcast is not one. */
	u128 last = pool->addr.family == AF_INET ? (mask ? mask - 1 : 0) : mask;
	u128 *taken, c = 1;
	size_t n = 0;

	taken = malloc((n_used + 1) * sizeof(*taken));
	if (!taken)
		return -ENOMEM;
	taken[n++] = hub_offset(pool);
	for (size_t i = 0; i < n_used; i++) {
		u128 v;

		if (used[i].addr.family != pool->addr.family)
			continue;
		v = to_int(&used[i].addr);
		if ((v & ~mask) == net)
			taken[n++] = v & mask;
	}
	qsort(taken, n, sizeof(*taken), cmp);
	/* The lowest offset from 1 up that is not taken: walk the sorted list
	 * while it holds c. */
	for (size_t i = 0; i < n && taken[i] <= c; i++) {
		if (taken[i] == c)
			c++;
	}
	free(taken);
	if (mask == 0 || c > last || c == 0)
		return -ENOSPC;
	from_int(net | c, pool->addr.family, out);
	return 0;
}

bool inv_prefix_overlaps(const struct netaddr_prefix *a, const struct netaddr_prefix *b)
{
	return netaddr_prefix_contains(a, b) || netaddr_prefix_contains(b, a);
}

const struct inv_peer *inv_alloc_overlap(const struct netaddr_prefix *x,
					 const struct inv_peer *peers, size_t n, int64_t self,
					 struct netaddr_prefix *with)
{
	for (size_t i = 0; i < n; i++) {
		const struct inv_peer *p = &peers[i];

		if ((self && p->id == self) || p->state == INV_REVOKED)
			continue;
		for (size_t j = 0; j < p->n_addrs + p->n_sites; j++) {
			const struct netaddr_prefix *y =
				j < p->n_addrs ? &p->addrs[j] : &p->sites[j - p->n_addrs];

			if (inv_prefix_overlaps(x, y)) {
				if (with)
					*with = *y;
				return p;
			}
		}
	}
	return NULL;
}
