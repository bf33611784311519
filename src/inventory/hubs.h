/* Hubs inside the inventory's operations (hubs.c): what inventory.c asks
 * of them in its own transactions.  Not for other callers: they use the
 * operations of inventory.h. */
#ifndef RAMPART_INVENTORY_HUBS_H
#define RAMPART_INVENTORY_HUBS_H

#include "inventory.h"

/* inventory.c's helpers, for hubs.c.  A line of the change log in c's
 * name, in the caller's transaction. */
int inv_append(const struct inv_ctx *c, const char *iface, const char *peer,
	       const char *action, struct error *err, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Hub name or -ENOENT naming it; peer name of home hub iface or -ENOENT
 * naming both. */
int inv_get_hub(const struct inv_ctx *c, const char *name, struct inv_interface *out,
		struct error *err) warn_unused;
int inv_find(const struct inv_ctx *c, const char *iface, const char *name,
	     struct inv_peer *p, struct error *err) warn_unused;
/* The n prefixes of v comma-separated into buf, or "none". */
const char *inv_join(const struct netaddr_prefix *v, size_t n, char *buf, size_t size);

/* Completes ifc for `peer init` inside its transaction: the interface
 * and the space it keeps (old, when found) or gets (its name), and the
 * pools: those of the other hubs of its space when it gives none, else
 * checked against theirs.  Refused: a bad interface or space name; a
 * change of space for a hub that has peers or assignments (their
 * addresses are of the space it leaves); pools other than its space's
 * (-EINVAL, naming both); no pools at all. */
int inv_hub_settle(const struct inv_ctx *c, struct inv_interface *ifc,
		   const struct inv_interface *old, bool found, struct error *err) warn_unused;

/* Assigns p (in the store, with its id) to each of its p->hubs inside
 * the caller's transaction, logging each: for add --hub.  The home hub
 * among them is skipped; the rules are inv_assign()'s. */
int inv_hub_assign_new(const struct inv_ctx *c, struct inv_peer *p,
		       struct error *err) warn_unused;

#endif
