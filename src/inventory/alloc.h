/* Address allocation and overlap checks of the inventory: pure functions
 * over the records (docs/inventory.md, "Allocation").
 *
 * The rule: a pool is written as an interface's address with its prefix
 * length.  Written with host bits ("10.0.0.1/24"), the address is the
 * hub's own; written as the network ("10.0.0.0/24"), the hub's is the
 * first usable one (10.0.0.1).  A peer gets the lowest address of the
 * pool that is not the network address, not the IPv4 broadcast (the last
 * one), not the hub's and not another peer's: one /32 per IPv4 pool and
 * one /128 per IPv6 pool. */
#ifndef RAMPART_INVENTORY_ALLOC_H
#define RAMPART_INVENTORY_ALLOC_H

#include "model.h"

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The hub's own address in pool (as a /32 or /128). */
void inv_alloc_hub(const struct netaddr_prefix *pool, struct netaddr_prefix *out);

/* The next free address of pool, given the addresses in use (any family,
 * any pool: those outside pool are ignored).  0 and *out (/32 or /128),
 * or -ENOSPC when the pool has none left. */
int inv_alloc_next(const struct netaddr_prefix *pool, const struct netaddr_prefix *used,
		   size_t n_used, struct netaddr_prefix *out) warn_unused;

/* a and b share an address (one contains the other). */
bool inv_prefix_overlaps(const struct netaddr_prefix *a, const struct netaddr_prefix *b) warn_unused;

/* The first peer of peers, other than the one with id self and those
 * revoked, whose addresses or sites overlap x; NULL if none.  *with (if
 * not NULL) is its prefix that does. */
const struct inv_peer *inv_alloc_overlap(const struct netaddr_prefix *x,
					 const struct inv_peer *peers, size_t n, int64_t self,
					 struct netaddr_prefix *with);

#endif
