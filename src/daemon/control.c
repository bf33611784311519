/* The UAPI operations against the running device: a snapshot for get=1,
 * and applying a validated set=1 plan all or nothing (daemon.h).
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
#include "daemon.h"
#include "control.h"

#include "common/encoding.h"
#include "common/log.h"
#include "crypto/crypto.h"

#include <errno.h>
#include <stdio.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

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

static void to_uapi_endpoint(struct netaddr_endpoint *out, const struct endpoint *ep)
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
	return allowedips_walk_peer(&d->dev.table, &peer->allowed, collect_prefix, up);
}

/* The device under dev_lock: keys, port, mark, the core's counters and
 * the peers.  0 or -errno. */
static int snapshot_device(struct daemon *d, struct uapi_device *snap)
{
	const struct peer *peer;
	int err = 0;

	pthread_rwlock_rdlock(&d->sock_lock);
	daemon_lock_device(d);
	if (d->dev.local.has_identity) {
		snap->flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
		memcpy(snap->private_key, d->dev.local.static_private, KEY_LEN);
	}
	snap->flags |= UAPI_DEVICE_HAS_LISTEN_PORT | UAPI_DEVICE_HAS_FWMARK;
	snap->listen_port = d->udp.port;
	snap->fwmark = d->udp.fwmark;
	for (int r = 1; r < DROP_REASON_COUNT && !err; r++)
		if (d->dev.drops[r])
			err = uapi_device_add_counter(snap, drop_names[r], d->dev.drops[r]);
	if (!err && d->dev.prefixes_moved)
		err = uapi_device_add_counter(snap, "allowed_ips_moved", d->dev.prefixes_moved);
	for (peer = d->dev.first_peer; peer && !err; peer = peer->next_peer)
		err = snapshot_peer(d, snap, peer);
	daemon_unlock_device(d);
	pthread_rwlock_unlock(&d->sock_lock);
	return err;
}

/* The daemon's own counters, read outside dev_lock. */
static int snapshot_counters(struct daemon *d, struct uapi_device *snap)
{
	const struct {
		const char *name;
		unsigned long long value;
	} own[] = {
		{ "handshake_queue_full", daemon_handshakes_dropped(d) },
		{ "datagram_truncated", atomic_load(&d->stats.rx_truncated) },
		{ "datagram_send_failed", atomic_load(&d->stats.tx_failed) },
		{ "tun_write_failed", atomic_load(&d->stats.tun_write_failed) },
	};
	int err = 0;

	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]) && !err; i++)
		if (own[i].value)
			err = uapi_device_add_counter(snap, own[i].name, own[i].value);
	return err;
}

char *daemon_uapi_get(struct daemon *d, size_t *len, int *err)
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
	*err = snapshot_device(d, snap);
	if (!*err)
		*err = snapshot_counters(d, snap);
	if (!*err) {
		text = uapi_format_get(snap, len);
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

static void to_endpoint(struct endpoint *ep, const struct netaddr_endpoint *u)
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
		    !device_find_peer(&d->dev, p->public_key))
			n++;
	}
	return n;
}

/* One peer entry of the plan; 0 or -errno.  Must hold dev_lock. */
static int apply_peer(struct daemon *d, const struct uapi_peer *up, uint64_t now)
{
	struct device *dev = &d->dev;
	struct peer *peer;

	daemon_assert_locked(d);
	if (is_own_key(dev, up->public_key))
		return 0; /* the contract: ignored */
	peer = device_find_peer(dev, up->public_key);
	if (up->flags & UAPI_PEER_REMOVE) {
		if (peer)
			device_remove_peer(dev, peer);
		return 0;
	}
	if (!peer) {
		if (up->flags & UAPI_PEER_UPDATE_ONLY)
			return 0;
		peer = device_add_peer(dev, up->public_key);
		if (!peer)
			return -errno;
	}
	if (up->flags & UAPI_PEER_HAS_PRESHARED_KEY)
		device_peer_set_preshared_key(dev, peer, up->preshared_key);
	if (up->flags & UAPI_PEER_HAS_ENDPOINT) {
		struct endpoint ep;
		to_endpoint(&ep, &up->endpoint);
		device_peer_set_endpoint(dev, peer, &ep);
	}
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
	/* Last, so that a keepalive sent at once (0 -> n) already knows
	 * where to go. */
	if (up->flags & UAPI_PEER_HAS_KEEPALIVE)
		device_peer_set_keepalive(dev, peer, up->keepalive, now);
	return 0;
}

/* Takes the plan's new sockets (bound before the locks) into use: the
 * data threads see them the next time they look (sock_lock write side is
 * held by the caller). */
static void swap_sockets(struct daemon *d, struct udp_set *fresh)
{
	struct udp_set old = d->udp;

	d->udp = *fresh;
	memset(fresh, 0, sizeof(*fresh));
	/* The data threads re-register on their next wake-up; closing the old
	 * descriptors removes them from every epoll set. */
	udp_set_close(&old);
}

int daemon_uapi_set(struct daemon *d, const struct uapi_device *set)
{
	bool has_port = set->flags & UAPI_DEVICE_HAS_LISTEN_PORT;
	bool has_mark = set->flags & UAPI_DEVICE_HAS_FWMARK;
	bool replace = set->flags & UAPI_DEVICE_REPLACE_PEERS;
	struct udp_set fresh = { 0 };
	bool rebind = false, remark = false, write = false;
	uint32_t old_mark = 0;
	uint64_t now = daemon_now(), moved;
	size_t total;
	int err = 0;

	/* Decide what needs the sockets' write side without holding it:
	 * only the control thread writes udp, and it is the caller. */
	if (has_port && set->listen_port != d->udp.port &&
	    !(set->listen_port == 0 && d->configured_port == 0))
		rebind = true;
	if (has_mark && set->fwmark != d->udp.fwmark)
		remark = true;
	if (rebind) {
		err = udp_set_open(&fresh, d->n_workers, set->listen_port,
				   has_mark ? set->fwmark : d->udp.fwmark);
		if (err) {
			log_info("cannot listen on port %u: %s", set->listen_port, strerror(-err));
			return err == -EADDRINUSE || err == -EACCES ? -EADDRINUSE : err;
		}
		remark = false; /* the new sockets carry the mark */
	}
	write = rebind || remark;
	if (write)
		pthread_rwlock_wrlock(&d->sock_lock);
	else
		pthread_rwlock_rdlock(&d->sock_lock);
	if (remark) {
		old_mark = d->udp.fwmark;
		err = udp_set_fwmark(&d->udp, set->fwmark);
		if (err) {
			if (udp_set_fwmark(&d->udp, old_mark))
				log_error("cannot restore fwmark 0x%x", old_mark);
			pthread_rwlock_unlock(&d->sock_lock);
			log_info("cannot set fwmark 0x%x: %s", set->fwmark, strerror(-err));
			return err;
		}
	}
	daemon_lock_device(d);
	total = (replace ? 0 : d->dev.peer_count) + count_new_peers(d, set);
	if (total > MAX_PEERS) {
		err = -ENOSPC;
		goto undo;
	}
	if (hashtable_reserve(&d->dev.peers_by_key, total) ||
	    hashtable_reserve(&d->dev.peers_by_index, total * PEER_INDEX_ENTRIES)) {
		err = -ENOMEM;
		goto undo;
	}

	/* From here on, the plan is applied. */
	if (rebind) {
		swap_sockets(d, &fresh);
		d->configured_port = set->listen_port;
	} else if (has_port && set->listen_port) {
		d->configured_port = set->listen_port;
	}
	if (set->flags & UAPI_DEVICE_HAS_PRIVATE_KEY)
		device_set_private_key(&d->dev, set->private_key);
	if (replace)
		device_remove_all_peers(&d->dev);
	moved = d->dev.prefixes_moved;
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
	if (d->dev.prefixes_moved != moved)
		log_warn("%llu allowed IP(s) moved from one peer to another",
			 (unsigned long long)(d->dev.prefixes_moved - moved));
	daemon_rearm_timer(d);
	daemon_unlock_device(d);
	pthread_rwlock_unlock(&d->sock_lock);
	if (rebind)
		daemon_wake_workers(d); /* to watch the new sockets */
	return err;

undo:
	daemon_unlock_device(d);
	if (remark && udp_set_fwmark(&d->udp, old_mark))
		log_error("cannot restore fwmark 0x%x", old_mark);
	pthread_rwlock_unlock(&d->sock_lock);
	udp_set_close(&fresh);
	return err;
}
