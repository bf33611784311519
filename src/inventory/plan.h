/* The running interface made to follow the inventory, with wg syncconf's
 * semantics: one set=1 plan that touches only what differs, so that the
 * sessions of peers already right carry on.  Pure: the caller reads the
 * inventory and the running device and sends the plan (cli/peer_apply.c).
 *
 * What the interface should hold, peer by peer:
 *   - an INV_ACTIVE peer: its public key with exactly its addrs and sites
 *     as allowed IPs, its preshared key (none if it has none) and its
 *     keepalive;
 *   - an INV_ACTIVE peer in rotation (has_next_key): the old key as above,
 *     and beside it the next key with no allowed IPs, the same preshared
 *     key and keepalive, and rampart_takeover=OLD (docs/rotation.md): at
 *     its first handshake the daemon moves the old key's allowed IPs to it
 *     and removes the old key.  Once the running interface shows the next
 *     key without the old one, the takeover has happened: the next key is
 *     what should be there, with the addresses, and inv_observe() says so
 *     (rotated), for the store to make it the peer's public key;
 *   - nothing else: pending, disabled, revoked and expired peers, and keys
 *     the inventory does not know, are removed.
 *
 * The plan's entries, in order: removals first (so that an address
 * leaving one peer for another is free before it is given), then changes
 * of peers already there, then new peers.  A peer already as it should be
 * has no entry; allowed IPs are replaced (replace_allowed_ips) only when
 * the set differs.  The device's own keys, port and fwmark are never in
 * the plan. */
#ifndef RAMPART_INVENTORY_PLAN_H
#define RAMPART_INVENTORY_PLAN_H

#include "model.h"

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uapi_device;

/* *set: a new plan (uapi_device_free), with no peers when nothing
 * differs.  running is a get=1 reply of the interface.  0, or -ENOMEM or
 * -EINVAL (two inventory peers with one key) in err. */
int inv_plan(const struct inv_peer *peers, size_t n, const struct uapi_device *running,
	     struct uapi_device **set, struct error *err) warn_unused;

/* What the running interface says of one inventory peer. */
struct inv_observed {
	bool present;             /* its key (or, rotated, its next key) is there */
	bool rotated;             /* the next key took over: make it public_key */
	int64_t last_handshake;   /* Unix seconds; 0 = never */
	char last_endpoint[INV_ENDPOINT_MAX + 1]; /* "" when none */
};

/* out[i] for peers[i], for every i < n, from running: the key that holds
 * the peer's addresses (the next key once it took over, else the old
 * one; the next key's handshake wins while both are there if it is
 * later).  Peers not on the interface are !present, with zeros.  0, or
 * -ENOMEM in err. */
int inv_observe(const struct inv_peer *peers, size_t n, const struct uapi_device *running,
		struct inv_observed *out, struct error *err) warn_unused;

/* What the store should keep of o in p's record: rotated, the next key
 * as the public key (the rotation fields cleared).  Returns whether it
 * was (p changed, for the store and the change log). */
bool inv_observed_rotation(struct inv_peer *p, const struct inv_observed *o);

/* What the hub that saw o should keep in seen, its own record of the
 * peer (zeros when it had none): the last handshake and endpoint when
 * newer.  Returns whether seen changed.  Per hub, so that a hub never
 * overwrites what another saw, nor its own older view another's. */
bool inv_observed_seen(struct inv_seen *seen, const struct inv_observed *o);

#endif
