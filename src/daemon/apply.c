/* The UAPI operations on a bare device (apply.h): the get=1 snapshot and
 * a set=1 plan applied, which control.c wraps in the daemon's locks and
 * socket changes.
 *
 * All or nothing: apply_reserve() settles everything that can fail for
 * a reason other than memory before apply_set() makes the first change
 * (the sockets are control.c's).  Only running out of memory halfway
 * through adding prefixes can leave part of a plan applied; that is
 * logged as an error. */
#define _GNU_SOURCE
#include "apply.h"
#include "events.h"
#include "takeover.h"

#include "common/encoding.h"
#include "common/log.h"
#include "proto/device.h"
#include "uapi/uapi.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* ---- get ---------------------------------------------------------------- */

/* "drop_" and the reason's name: the key rampart reads back. */
static char drop_names[DROP_REASON_COUNT][48];

static void init_drop_names(void)
{
	for (int r = 1; r < DROP_REASON_COUNT; r++)
		snprintf(drop_names[r], sizeof(drop_names[r]), "drop_%s",
			 device_drop_reason_name((enum drop_reason)r));
}

static int collect_prefix(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct netaddr_prefix p;

	memset(&p, 0, sizeof(p));
	p.addr.family = family;
	memcpy(&p.addr.in6, addr, family == AF_INET ? 4 : 16);
	p.cidr = cidr;
	return uapi_peer_add_allowed_ip(arg, &p, UAPI_ALLOWED_IP_ADD);
}

static void to_uapi_endpoint(struct uapi_endpoint *out, const struct endpoint *ep)
{
	memset(out, 0, sizeof(*out));
	out->literal = true;
	out->addr.family = ep->family;
	memcpy(&out->addr.in6, ep->addr, ep->family == AF_INET ? 4 : 16);
	out->port = ep->port;
	if (ep->family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL((const struct in6_addr *)ep->addr) &&
	    ep->local_ifindex) {
		char name[IF_NAMESIZE];
		if (if_indextoname(ep->local_ifindex, name))
			snprintf(out->zone, sizeof(out->zone), "%s", name);
		else
			snprintf(out->zone, sizeof(out->zone), "%u", ep->local_ifindex);
	}
}

/* One peer of the snapshot; 0 or -errno. */
static int snapshot_peer(const struct device *dev, struct uapi_device *snap,
			 const struct peer *peer)
{
	struct uapi_peer *up;

	up = uapi_device_add_peer(snap, peer->public_key);
	if (!up)
		return -errno;
	if (!encoding_key_is_zero(peer->remote.preshared_key)) {
		memcpy(up->preshared_key, peer->remote.preshared_key, KEY_LEN);
		up->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
	}
	if (peer->endpoint.family) {
		up->flags |= UAPI_PEER_HAS_ENDPOINT;
		to_uapi_endpoint(&up->endpoint, &peer->endpoint);
	}
	up->last_handshake_sec = (int64_t)peer->last_handshake_sec;
	up->last_handshake_nsec = peer->last_handshake_nsec;
	up->rx_bytes = peer->stats.rx_bytes;
	up->tx_bytes = peer->stats.tx_bytes;
	up->keepalive = peer->timers.persistent_keepalive_interval;
	up->flags |= UAPI_PEER_HAS_KEEPALIVE;
	const struct {
		const char *name;
		uint64_t value;
	} own[] = {
		{ "rx_packets", peer->stats.rx_data_packets },
		{ "tx_packets", peer->stats.tx_data_packets },
		{ "handshakes_initiated", peer->stats.handshakes_initiated },
		{ "handshakes_completed", peer->stats.handshakes_completed },
		{ "endpoint_changes", peer->stats.endpoint_changes },
		{ "allowed_ips_lost", peer->stats.prefixes_lost },
		{ "staged_dropped", peer->stats.staged_dropped },
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (own[i].value && uapi_peer_add_counter(up, own[i].name, own[i].value))
			return -ENOMEM;
	return allowedips_walk_peer(&dev->table, &peer->allowed, collect_prefix, up);
}

int apply_snapshot(const struct device *dev, struct uapi_device *snap, uint64_t now)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	const struct peer *peer;
	int err = 0;

	pthread_once(&once, init_drop_names);
	if (dev->local.has_identity) {
		snap->flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
		memcpy(snap->private_key, dev->local.static_private, KEY_LEN);
	}
	for (int r = 1; r < DROP_REASON_COUNT && !err; r++)
		if (dev->drops[r])
			err = uapi_device_add_counter(snap, drop_names[r], dev->drops[r]);
	if (!err && dev->prefixes_moved)
		err = uapi_device_add_counter(snap, "allowed_ips_moved", dev->prefixes_moved);
	if (!err && device_load_ns(dev, now))
		err = uapi_device_add_counter(snap, "under_load_ns", device_load_ns(dev, now));
	/* A gauge, sent also at 0: its absence means a daemon that does
	 * not count sessions. */
	if (!err)
		err = uapi_device_add_counter(snap, "sessions", device_sessions(dev, now));
	for (peer = dev->first_peer; peer && !err; peer = peer->next_peer)
		err = snapshot_peer(dev, snap, peer);
	return err;
}

/* ---- set ---------------------------------------------------------------- */

static bool is_own_key(const struct device *dev, const uint8_t *pub)
{
	return dev->local.has_identity && !memcmp(pub, dev->local.static_public, KEY_LEN);
}

/* An IPv6 scope as written after '%': an interface's index in decimal,
 * or its name; 0 (no scope) for no such interface.  Digits past 32 bits
 * are no index (they were once cut to one: %4294967297 was lo). */
static uint32_t zone_index(const char *zone)
{
	unsigned long idx;
	char *end;

	if (zone[0] < '0' || zone[0] > '9')
		return if_nametoindex(zone);
	errno = 0;
	idx = strtoul(zone, &end, 10);
	if (*end)
		return if_nametoindex(zone);
	return errno || idx > UINT32_MAX ? 0 : (uint32_t)idx;
}

static void to_endpoint(struct endpoint *ep, const struct uapi_endpoint *u)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = u->addr.family;
	memcpy(ep->addr, &u->addr.in6, u->addr.family == AF_INET ? 4 : 16);
	ep->port = u->port;
	if (u->zone[0])
		ep->local_ifindex = zone_index(u->zone);
}

/* How many peers the plan creates (after removals it asks for); an upper
 * bound, for reserving room before anything changes. */
static size_t count_new_peers(struct device *dev, const struct uapi_device *set)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n_peers; i++) {
		const struct uapi_peer *p = &set->peers[i];
		if (p->flags & (UAPI_PEER_REMOVE | UAPI_PEER_UPDATE_ONLY))
			continue;
		if ((set->flags & UAPI_DEVICE_REPLACE_PEERS) ||
		    !device_find_peer(dev, p->public_key))
			n++;
	}
	return n;
}

/* ---- events of a set -------------------------------------------------- */

static void peer_event(const struct apply_env *env, enum event_kind kind, const uint8_t *pub,
		       uint64_t changes, uint64_t now)
{
	struct event_record r;

	memset(&r, 0, sizeof(r));
	r.kind = (uint8_t)kind;
	r.has_peer = true;
	memcpy(r.peer, pub, sizeof(r.peer));
	r.value = changes;
	env->record(env->arg, &r, now);
}

/* An order-free fingerprint of a peer's allowed IPs: a set that gives
 * back the same prefixes (syncconf, a repeated wg set) is no change. */
struct prefix_print {
	uint64_t sum, xor, n;
};

static int print_prefix(void *arg, int family, const uint8_t *addr, uint8_t cidr)
{
	struct prefix_print *pp = arg;
	uint64_t h = 1469598103934665603ULL; /* FNV-1a 64 */
	uint8_t bytes[18] = { (uint8_t)family, cidr };

	memcpy(bytes + 2, addr, family == AF_INET ? 4 : 16);
	for (size_t i = 0; i < sizeof(bytes); i++)
		h = (h ^ bytes[i]) * 1099511628211ULL;
	pp->sum += h;
	pp->xor ^= h;
	pp->n++;
	return 0;
}

static struct prefix_print allowed_print(struct device *dev, const struct peer *peer)
{
	struct prefix_print pp = { 0 };

	(void)allowedips_walk_peer(&dev->table, &peer->allowed, print_prefix, &pp);
	return pp;
}

static bool same_endpoint(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

/* What the entry up asks to change on peer that is not already so. */
static uint64_t peer_changes(const struct peer *peer, const struct uapi_peer *up)
{
	static const uint8_t zero[KEY_LEN];
	uint64_t changes = 0;

	if (up->flags & UAPI_PEER_HAS_PRESHARED_KEY) {
		const uint8_t *want = encoding_key_is_zero(up->preshared_key) ? zero :
				      up->preshared_key;
		if (memcmp(want, peer->remote.preshared_key, KEY_LEN))
			changes |= EVENT_CHANGED_PRESHARED_KEY;
	}
	if (up->flags & UAPI_PEER_HAS_ENDPOINT) {
		struct endpoint ep;
		to_endpoint(&ep, &up->endpoint);
		if (!same_endpoint(&ep, &peer->endpoint))
			changes |= EVENT_CHANGED_ENDPOINT;
	}
	if ((up->flags & UAPI_PEER_HAS_KEEPALIVE) &&
	    up->keepalive != peer->timers.persistent_keepalive_interval)
		changes |= EVENT_CHANGED_KEEPALIVE;
	return changes;
}

/* ---- applying a set ---------------------------------------------------- */

static int apply_allowed_ips(struct device *dev, struct peer *peer, const struct uapi_peer *up);

/* rampart_takeover=OLD (takeover.h): paired now, carried out at the
 * entry's first handshake, or at the end of this set if the peer has had
 * one already (the client holds the new key).  An OLD that is not there
 * has nothing to hand over, and the entry is then an ordinary peer. */
static void record_takeover(const struct apply_env *env, const struct peer *peer,
			    const struct uapi_peer *up)
{
	if (!(up->flags & UAPI_PEER_HAS_TAKEOVER))
		return;
	if (!device_find_peer(env->dev, up->takeover_key)) {
		log_debug("peer entry at line %u: rampart_takeover names no peer", up->line);
		return;
	}
	takeover_record(env->takeovers, up->public_key, up->takeover_key);
	if (peer->last_handshake_sec || peer->last_handshake_nsec)
		(void)takeover_handshake(env->takeovers, up->public_key);
}

/* One peer entry of the plan; 0 or -errno. */
static int apply_peer(const struct apply_env *env, const struct uapi_peer *up, uint64_t now)
{
	struct device *dev = env->dev;
	struct prefix_print before = { 0 }, after;
	uint64_t changes = 0;
	struct peer *peer;
	bool added = false;
	int err;

	if (is_own_key(dev, up->public_key))
		return 0; /* the contract: ignored */
	peer = device_find_peer(dev, up->public_key);
	if (up->flags & UAPI_PEER_REMOVE) {
		takeover_forget(env->takeovers, up->public_key);
		if (peer) {
			device_remove_peer(dev, peer);
			peer_event(env, EVENT_PEER_REMOVED, up->public_key, 0, now);
		}
		return 0;
	}
	if (!peer) {
		if (up->flags & UAPI_PEER_UPDATE_ONLY)
			return 0;
		peer = device_add_peer(dev, up->public_key);
		if (!peer)
			return -errno;
		added = true;
		peer_event(env, EVENT_PEER_ADDED, up->public_key, 0, now);
	} else {
		changes = peer_changes(peer, up);
		if (up->n_allowed_ips)
			before = allowed_print(dev, peer);
	}
	if (up->flags & UAPI_PEER_HAS_PRESHARED_KEY)
		device_peer_set_preshared_key(dev, peer, up->preshared_key);
	if (up->flags & UAPI_PEER_HAS_ENDPOINT) {
		struct endpoint ep;
		to_endpoint(&ep, &up->endpoint);
		device_peer_set_endpoint(dev, peer, &ep);
	}
	err = apply_allowed_ips(dev, peer, up);
	if (err)
		return err;
	/* Last, so that a keepalive sent at once (0 -> n) already knows
	 * where to go. */
	if (up->flags & UAPI_PEER_HAS_KEEPALIVE)
		device_peer_set_keepalive(dev, peer, up->keepalive, now);
	record_takeover(env, peer, up);
	if (!added && up->n_allowed_ips) {
		after = allowed_print(dev, peer);
		if (after.n != before.n || after.sum != before.sum || after.xor != before.xor)
			changes |= EVENT_CHANGED_ALLOWED_IPS;
	}
	if (changes)
		peer_event(env, EVENT_PEER_CHANGED, up->public_key, changes, now);
	return 0;
}

static int apply_allowed_ips(struct device *dev, struct peer *peer, const struct uapi_peer *up)
{
	for (size_t i = 0; i < up->n_allowed_ips; i++) {
		const struct uapi_allowed_ip *a = &up->allowed_ips[i];
		int err;

		switch (a->action) {
		case UAPI_ALLOWED_IP_REPLACE:
			allowedips_remove_by_peer(&dev->table, &peer->allowed);
			break;
		case UAPI_ALLOWED_IP_REMOVE:
			err = allowedips_remove(&dev->table, a->prefix.addr.family,
						&a->prefix.addr.in6, a->prefix.cidr, &peer->allowed);
			if (err && err != -ENOENT)
				return err;
			break;
		default:
			err = device_peer_add_allowed_ip(dev, peer, a->prefix.addr.family,
							 &a->prefix.addr.in6, a->prefix.cidr);
			if (err)
				return err;
			break;
		}
	}
	return 0;
}

static size_t count_takeovers(const struct uapi_device *set)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n_peers; i++)
		if ((set->peers[i].flags & (UAPI_PEER_HAS_TAKEOVER | UAPI_PEER_REMOVE)) ==
		    UAPI_PEER_HAS_TAKEOVER)
			n++;
	return n;
}

int apply_reserve(const struct apply_env *env, const struct uapi_device *set)
{
	struct device *dev = env->dev;
	size_t total;

	total = (set->flags & UAPI_DEVICE_REPLACE_PEERS ? 0 : dev->peer_count) +
		count_new_peers(dev, set);
	if (total > MAX_PEERS)
		return -ENOSPC;
	if (takeover_reserve(env->takeovers, count_takeovers(set)))
		return -ENOSPC;
	if (hashtable_reserve(&dev->peers_by_key, total) ||
	    hashtable_reserve(&dev->peers_by_index, total * PEER_INDEX_ENTRIES))
		return -ENOMEM;
	return 0;
}

int apply_set(const struct apply_env *env, const struct uapi_device *set, uint64_t now)
{
	struct device *dev = env->dev;
	uint64_t moved;
	int err = 0;

	if (set->flags & UAPI_DEVICE_HAS_PRIVATE_KEY)
		device_set_private_key(dev, set->private_key);
	if (set->flags & UAPI_DEVICE_REPLACE_PEERS) {
		for (const struct peer *p = dev->first_peer; p; p = p->next_peer)
			peer_event(env, EVENT_PEER_REMOVED, p->public_key, 0, now);
		device_remove_all_peers(dev);
		takeover_forget_all(env->takeovers);
	}
	moved = dev->prefixes_moved;
	for (size_t i = 0; i < set->n_peers; i++) {
		err = apply_peer(env, &set->peers[i], now);
		if (err) {
			log_error("configuration partly applied: peer entry at line %u: %s",
				  set->peers[i].line, strerror(-err));
			break;
		}
	}
	/* The wire behaviour stays (the prefix moves), but it is never
	 * silent: one client knocking another offline starts here. */
	if (dev->prefixes_moved != moved)
		log_warn("%llu allowed IP(s) moved from one peer to another",
			 (unsigned long long)(dev->prefixes_moved - moved));
	return err;
}
