/* The inventory's operations (docs/inventory.md): each one transaction
 * of the store, each change appended to the change log in that same
 * transaction, so that a change and its log line are durable together or
 * not at all.  The caller passes who acts (for the log) and the time:
 * nothing here reads a clock, a user or the terminal, so that tests run
 * them on a fake clock.  0 or -errno with err filled, naming the bad
 * value; a failed operation changes nothing. */
#ifndef RAMPART_INVENTORY_INVENTORY_H
#define RAMPART_INVENTORY_INVENTORY_H

#include "model.h"
#include "store.h"

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How many times an operation runs its transaction when the store says
 * that a concurrent one won (-EAGAIN), with a short random wait between;
 * then it fails with -EAGAIN. */
enum { INV_TX_TRIES = 20 };

struct inv_ctx {
	struct inv_store *store;
	const char *who; /* the invoking user: "alice", "root via sudo from alice" */
	int64_t now;     /* Unix seconds */
};

/* Runs body(c, arg, err) as one transaction of c->store (a write one when
 * write): committed when it returns 0, rolled back otherwise, and run
 * again from its start while the store says that a concurrent
 * transaction won (-EAGAIN), INV_TX_TRIES times at most.  Every operation
 * below runs this way; it is here for callers with a transaction of their
 * own (peer apply).  body must start from its arguments each time. */
int inv_transaction(const struct inv_ctx *c, bool write,
		    int (*body)(const struct inv_ctx *c, void *arg, struct error *err), void *arg,
		    struct error *err) warn_unused;

/* The interface to work on: given (which must exist), or else the
 * inventory's only one; -ENOENT naming what is missing, -EINVAL when
 * there are several and none was given. */
int inv_pick_interface(const struct inv_ctx *c, const char *given, char out[IFNAMSIZ],
		       struct error *err) warn_unused;

/* Records hub ifc (a new one, or new settings for one: its created is
 * kept).  It needs an endpoint.  Its interface (ifname) and its space,
 * when left empty, are what it had, or for a new hub its name.  Its
 * pools, when it gives none, are its space's (those of another hub of
 * it) or what it had; given, they must be its space's (hubs.h:
 * inv_hub_settle says what is refused). */
int inv_init(const struct inv_ctx *c, const struct inv_interface *ifc,
	     struct error *err) warn_unused;

/* Adds p to p->iface (its home hub): the caller fills name, owner, device, notes,
 * public_key (and psk), sites, allow_overlap, keepalive and expires (0:
 * never); this fills id, addresses (one per pool, allocated inside the
 * write transaction), full_tunnel (the interface's default), created and
 * state: active when generated (the operator made the key here, which is
 * approval), pending when the key came in a client's request.  Refused
 * (-EEXIST, naming the peer that has it) when the name or the key is
 * already in the inventory, revoked peers included; a site that overlaps
 * another peer's address or site, or a pool, unless allow_overlap
 * (-EEXIST, naming it); a pool with no address left (-ENOSPC, naming
 * it).  p->hubs (n_hubs of them) are further hubs to assign it to at
 * once, as inv_assign() does (the home hub among them is skipped).  The
 * addresses are unique in the home hub's space. */
int inv_add(const struct inv_ctx *c, struct inv_peer *p, bool generated,
	    struct error *err) warn_unused;

/* State changes, each with its log line.  approve: pending -> active;
 * disable: active -> disabled; enable: disabled or expired -> active,
 * where a peer whose expiry has passed needs expires, a new one after
 * now (0: keep the one it has, which is only possible while it lies
 * ahead); revoke: any -> revoked, final: its addresses and sites are
 * released, its key (and a rotation's next key) stays so that it can
 * never come back.  out (may be
 * NULL) gets the record after the change. */
int inv_approve(const struct inv_ctx *c, const char *iface, const char *name,
		struct inv_peer *out, struct error *err) warn_unused;
int inv_disable(const struct inv_ctx *c, const char *iface, const char *name,
		struct inv_peer *out, struct error *err) warn_unused;
int inv_enable(const struct inv_ctx *c, const char *iface, const char *name, int64_t expires,
	       struct inv_peer *out, struct error *err) warn_unused;
int inv_revoke(const struct inv_ctx *c, const char *iface, const char *name,
	       struct inv_peer *out, struct error *err) warn_unused;

/* Rotation with overlap (docs/rotation.md): gives the active peer name
 * its next key, beside the current one, until until (Unix seconds).  The
 * apply step puts the new key on the interface with rampart_takeover: at
 * its first handshake it takes over the addresses and the old key stops;
 * if the window ends first, inv_expire_due() makes the new key the peer's
 * for good and the old one stops then.  Refused for a peer that is not
 * active or is rotating already, and for a key the inventory has. */
int inv_rotate(const struct inv_ctx *c, const char *iface, const char *name,
	       const uint8_t key[KEY_LEN], int64_t until, struct inv_peer *out,
	       struct error *err) warn_unused;

/* Marks every peer of hub iface (its own and those assigned to it;
 * NULL: of all) whose expiry is at or before
 * now, and which is not revoked or expired yet, as expired, logging
 * "expired"; and ends the rotations whose window is over (logging
 * "rotated").  *n (may be NULL) is how many expired. */
int inv_expire_due(const struct inv_ctx *c, const char *iface, size_t *n,
		   struct error *err) warn_unused;

/* Reads, in one read transaction each.  list: the peers of iface by
 * name, free() them; show: one (-ENOENT naming it when there is none);
 * log: of iface (NULL: all) and peer (NULL: all), oldest first, free()
 * it. */
int inv_list(const struct inv_ctx *c, const char *iface, struct inv_peer **out, size_t *n,
	     struct error *err) warn_unused;
int inv_show(const struct inv_ctx *c, const char *iface, const char *name,
	     struct inv_peer *out, struct error *err) warn_unused;
int inv_log(const struct inv_ctx *c, const char *iface, const char *peer,
	    struct inv_log_entry **out, size_t *n, struct error *err) warn_unused;
int inv_get_interface(const struct inv_ctx *c, const char *iface, struct inv_interface *out,
		      struct error *err) warn_unused;

/* ---- hubs (docs/multihub.md) ---- */

/* Assigns peer name (of home hub iface) to each of hubs (n of them), all
 * or none, with a log line "assign" each.  Refused: a revoked peer; a
 * hub not in the inventory (-ENOENT), its home hub or one it is on
 * already (-EEXIST); a hub of another space than its home hub's
 * (-EINVAL, naming both: that hub cannot route its addresses); more
 * than INV_HUBS_MAX.  out (may be NULL) gets the record after. */
int inv_assign(const struct inv_ctx *c, const char *iface, const char *name,
	       const char *const *hubs, size_t n, struct inv_peer *out,
	       struct error *err) warn_unused;
/* Takes back peer name's assignment to hub, logging "unassign".
 * Refused: its home hub (-EINVAL), a hub it is not assigned to
 * (-ENOENT). */
int inv_unassign(const struct inv_ctx *c, const char *iface, const char *name,
		 const char *hub, struct inv_peer *out, struct error *err) warn_unused;
/* The share of hub: every peer it should have (active, at home there or
 * assigned to it), by name and then home hub; free() them.  -ENOENT for
 * a hub not in the inventory. */
int inv_share(const struct inv_ctx *c, const char *hub, struct inv_peer **out, size_t *n,
	      struct error *err) warn_unused;
/* What each hub saw of peer (an id), by hub; free() it. */
int inv_seen_of(const struct inv_ctx *c, int64_t peer, struct inv_seen **out, size_t *n,
		struct error *err) warn_unused;

/* ---- import (rampart peer import): an existing wg-quick config's peers,
 * as plain records its caller built from the parsed file. */

/* Splits a peer's AllowedIPs (ips, n of them) into p->addrs and p->sites
 * by ifc's pools: a host route (/32, /128) inside a pool is an address,
 * at most one per pool; everything else (a network, a host route outside
 * every pool) is a site.  Exact repeats are dropped.  -EINVAL naming
 * p->name and the prefix: two addresses in one pool, the hub's own
 * address, more than INV_SITES_MAX sites.  The order of ips is kept. */
int inv_import_split(const struct inv_interface *ifc, const struct netaddr_prefix *ips,
		     size_t n, struct inv_peer *p, struct error *err) warn_unused;

/* Adds peers (n of them) to iface, all or none, each active at once
 * (approved now by c->who: the operator's config is the approval),
 * logging "import" for each.  The caller fills name, owner (device,
 * notes, expires if it wants), public_key, psk, keepalive, addrs and
 * sites (as inv_import_split made them: the split is done again against
 * the pools as they are inside the transaction); this fills iface, id,
 * state, created, approved, full_tunnel, and sets allow_overlap false.
 * Refused, changing nothing: an interface not initialized (-ENOENT: run
 * peer init first), a name or key already in the inventory (revoked
 * peers included) or twice in peers (-EEXIST naming both), a prefix that
 * overlaps another peer's (in the inventory or in peers) or a site that
 * overlaps a pool (-EEXIST naming both). */
int inv_import(const struct inv_ctx *c, const char *iface, struct inv_peer *peers, size_t n,
	       struct error *err) warn_unused;

#endif
