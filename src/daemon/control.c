/* The UAPI operations against the running device: a snapshot for get=1,
 * and applying a validated set=1 plan all or nothing.  The daemon is
 * reached only through control.h, the device only through the core's
 * API (proto/device.h).
 *
 * All or nothing: everything that can fail for a reason other than memory
 * is settled before the first change.  The new sockets of a listen-port
 * change are bound first (a taken port fails the whole set with
 * -EADDRINUSE), a new fwmark is set on the sockets first (and taken back
 * if a later socket refuses it), and room for the new peers is counted
 * against MAX_PEERS and reserved.  Only running out of memory halfway
 * through adding prefixes can leave part of a plan applied; that is
 * logged as an error. */
#define _GNU_SOURCE
#include "control.h"
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

/* One peer of the snapshot; 0 or -errno.  Must hold dev_lock. */
static int snapshot_peer(struct daemon *d, struct uapi_device *snap, const struct peer *peer)
{
	const struct device *dev = daemon_device(d);
	struct uapi_peer *up;

	daemon_assert_locked(d);
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

/* The device under dev_lock: the key, the core's counters and the peers.
 * 0 or -errno. */
static int snapshot_device(struct daemon *d, struct uapi_device *snap)
{
	const struct device *dev;
	const struct peer *peer;
	uint64_t now;
	int err = 0;

	daemon_lock_device(d);
	dev = daemon_device(d);
	if (dev->local.has_identity) {
		snap->flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
		memcpy(snap->private_key, dev->local.static_private, KEY_LEN);
	}
	for (int r = 1; r < DROP_REASON_COUNT && !err; r++)
		if (dev->drops[r])
			err = uapi_device_add_counter(snap, drop_names[r], dev->drops[r]);
	if (!err && dev->prefixes_moved)
		err = uapi_device_add_counter(snap, "allowed_ips_moved", dev->prefixes_moved);
	now = daemon_now();
	if (!err && device_load_ns(dev, now))
		err = uapi_device_add_counter(snap, "under_load_ns", device_load_ns(dev, now));
	/* A gauge, sent also at 0: its absence means a daemon that does
	 * not count sessions. */
	if (!err)
		err = uapi_device_add_counter(snap, "sessions", device_sessions(dev, now));
	for (peer = dev->first_peer; peer && !err; peer = peer->next_peer)
		err = snapshot_peer(d, snap, peer);
	daemon_unlock_device(d);
	return err;
}

/* The daemon's own counters, after the core's. */
static int snapshot_counters(struct daemon *d, struct uapi_device *snap)
{
	struct daemon_counters c;
	int err = 0;

	unsigned long long suppressed, not_logged;

	daemon_read_counters(d, &c);
	daemon_event_counters(d, &suppressed, &not_logged);
	const struct {
		const char *name;
		unsigned long long value;
	} own[] = {
		{ "handshake_queue_full", c.handshake_queue_full },
		{ "datagram_truncated", c.datagram_truncated },
		{ "datagrams_received", c.datagrams_received },
		{ "datagram_send_failed", c.datagram_send_failed },
		{ "tun_write_failed", c.tun_write_failed },
		{ "tun_gso_read", c.tun_gso_read },
		{ "tun_gso_bad", c.tun_gso_bad },
		{ "tun_gso_written", c.tun_gso_written },
		{ "udp_gso_sent", c.udp_gso_sent },
		{ "udp_gro_received", c.udp_gro_received },
		{ "handshake_queue_len", c.handshake_queue_len },
		{ "packet_buffers_in_use", c.packet_buffers_in_use },
		{ "packet_buffers_free", c.packet_buffers_free },
		{ "events_suppressed", suppressed },
		{ "events_not_logged", not_logged },
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]) && !err; i++)
		if (own[i].value)
			err = uapi_device_add_counter(snap, own[i].name, own[i].value);
	return err;
}

char *daemon_uapi_get(struct daemon *d, unsigned flags, size_t *len, int *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct uapi_device *snap;
	char *text = NULL;

	pthread_once(&once, init_drop_names);
	snap = uapi_device_alloc();
	if (!snap) {
		*err = -ENOMEM;
		return NULL;
	}
	snap->flags |= UAPI_DEVICE_HAS_LISTEN_PORT | UAPI_DEVICE_HAS_FWMARK;
	daemon_socket_info(d, &snap->listen_port, &snap->fwmark);
	*err = snapshot_device(d, snap);
	if (!*err)
		*err = snapshot_counters(d, snap);
	if (!*err) {
		text = uapi_format_get(snap, flags, len);
		if (!text)
			*err = -ENOMEM;
	}
	uapi_device_free(snap);
	return text;
}

/* ---- set ---------------------------------------------------------------- */

static bool is_own_key(const struct device *dev, const uint8_t *pub)
{
	return dev->local.has_identity && !memcmp(pub, dev->local.static_public, KEY_LEN);
}

static void to_endpoint(struct endpoint *ep, const struct uapi_endpoint *u)
{
	memset(ep, 0, sizeof(*ep));
	ep->family = u->addr.family;
	memcpy(ep->addr, &u->addr.in6, u->addr.family == AF_INET ? 4 : 16);
	ep->port = u->port;
	if (u->zone[0]) {
		char *end;
		unsigned long idx = strtoul(u->zone, &end, 10);
		ep->local_ifindex = *end ? if_nametoindex(u->zone) : (unsigned)idx;
	}
}

/* How many peers the plan creates (after removals it asks for); an upper
 * bound, for reserving room before anything changes.  Must hold
 * dev_lock. */
static size_t count_new_peers(struct daemon *d, const struct uapi_device *set)
{
	size_t n = 0;

	daemon_assert_locked(d);
	for (size_t i = 0; i < set->n_peers; i++) {
		const struct uapi_peer *p = &set->peers[i];
		if (p->flags & (UAPI_PEER_REMOVE | UAPI_PEER_UPDATE_ONLY))
			continue;
		if ((set->flags & UAPI_DEVICE_REPLACE_PEERS) ||
		    !device_find_peer(daemon_device(d), p->public_key))
			n++;
	}
	return n;
}

/* ---- events of a set -------------------------------------------------- */

static void peer_event(struct daemon *d, enum event_kind kind, const uint8_t *pub,
		       uint64_t changes, uint64_t now)
{
	struct event_record r;

	memset(&r, 0, sizeof(r));
	r.kind = (uint8_t)kind;
	r.has_peer = true;
	memcpy(r.peer, pub, sizeof(r.peer));
	r.value = changes;
	daemon_record_event(d, &r, now);
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
 * has nothing to hand over, and the entry is then an ordinary peer.
 * Must hold dev_lock. */
static void record_takeover(struct daemon *d, const struct peer *peer,
			    const struct uapi_peer *up)
{
	if (!(up->flags & UAPI_PEER_HAS_TAKEOVER))
		return;
	if (!device_find_peer(daemon_device(d), up->takeover_key)) {
		log_debug("peer entry at line %u: rampart_takeover names no peer", up->line);
		return;
	}
	takeover_record(daemon_takeovers(d), up->public_key, up->takeover_key);
	if (peer->last_handshake_sec || peer->last_handshake_nsec)
		(void)takeover_handshake(daemon_takeovers(d), up->public_key);
}

/* One peer entry of the plan; 0 or -errno.  Must hold dev_lock. */
static int apply_peer(struct daemon *d, const struct uapi_peer *up, uint64_t now)
{
	struct device *dev = daemon_device(d);
	struct prefix_print before = { 0 }, after;
	uint64_t changes = 0;
	struct peer *peer;
	bool added = false;
	int err;

	daemon_assert_locked(d);
	if (is_own_key(dev, up->public_key))
		return 0; /* the contract: ignored */
	peer = device_find_peer(dev, up->public_key);
	if (up->flags & UAPI_PEER_REMOVE) {
		takeover_forget(daemon_takeovers(d), up->public_key);
		if (peer) {
			device_remove_peer(dev, peer);
			peer_event(d, EVENT_PEER_REMOVED, up->public_key, 0, now);
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
		peer_event(d, EVENT_PEER_ADDED, up->public_key, 0, now);
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
	record_takeover(d, peer, up);
	if (!added && up->n_allowed_ips) {
		after = allowed_print(dev, peer);
		if (after.n != before.n || after.sum != before.sum || after.xor != before.xor)
			changes |= EVENT_CHANGED_ALLOWED_IPS;
	}
	if (changes)
		peer_event(d, EVENT_PEER_CHANGED, up->public_key, changes, now);
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

/* Counts the peers the plan leaves against MAX_PEERS and makes room for
 * them, so that adding them cannot fail but for memory.  Must hold
 * dev_lock. */
static int reserve_peers(struct daemon *d, const struct uapi_device *set)
{
	struct device *dev = daemon_device(d);
	size_t total;

	daemon_assert_locked(d);
	total = (set->flags & UAPI_DEVICE_REPLACE_PEERS ? 0 : dev->peer_count) +
		count_new_peers(d, set);
	if (total > MAX_PEERS)
		return -ENOSPC;
	if (takeover_reserve(daemon_takeovers(d), count_takeovers(set)))
		return -ENOSPC;
	if (hashtable_reserve(&dev->peers_by_key, total) ||
	    hashtable_reserve(&dev->peers_by_index, total * PEER_INDEX_ENTRIES))
		return -ENOMEM;
	return 0;
}

int daemon_uapi_set(struct daemon *d, const struct uapi_device *set)
{
	const struct daemon_socket_request req = {
		.set_port = set->flags & UAPI_DEVICE_HAS_LISTEN_PORT,
		.port = set->listen_port,
		.set_fwmark = set->flags & UAPI_DEVICE_HAS_FWMARK,
		.fwmark = set->fwmark,
	};
	struct device *dev;
	uint64_t now = daemon_now(), moved;
	int err;

	err = daemon_sockets_prepare(d, &req);
	if (err)
		return err;
	daemon_lock_device(d);
	err = reserve_peers(d, set);
	if (err) {
		daemon_unlock_device(d);
		daemon_sockets_abort(d);
		return err;
	}

	/* From here on, the plan is applied. */
	daemon_sockets_commit(d);
	dev = daemon_device(d);
	if (set->flags & UAPI_DEVICE_HAS_PRIVATE_KEY)
		device_set_private_key(dev, set->private_key);
	if (set->flags & UAPI_DEVICE_REPLACE_PEERS) {
		for (const struct peer *p = dev->first_peer; p; p = p->next_peer)
			peer_event(d, EVENT_PEER_REMOVED, p->public_key, 0, now);
		device_remove_all_peers(dev);
		takeover_forget_all(daemon_takeovers(d));
	}
	moved = dev->prefixes_moved;
	for (size_t i = 0; i < set->n_peers; i++) {
		err = apply_peer(d, &set->peers[i], now);
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
	/* Takeovers of peers that had their handshake before this set:
	 * here, under the locks the set holds, as on the control thread's
	 * wake-up (after the warning: these moves are asked for). */
	if (daemon_takeovers(d)->n_due)
		takeover_run(daemon_takeovers(d), d, now);
	daemon_rearm_timer(d);
	daemon_unlock_device(d);
	daemon_sockets_finish(d);
	return err;
}
