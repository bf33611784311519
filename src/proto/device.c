/* The protocol core's device: the receive, send and timer paths of the
 * Linux kernel's receive.c / send.c / timers.c, as one sans-I/O state
 * machine.  See device.h. */
#include "device.h"

#include "crypto/crypto.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const char *const drop_names[DROP_REASON_COUNT] = {
	[DROP_NONE] = "none",
	[DROP_INVALID_MESSAGE] = "invalid_message",
	[DROP_NO_IDENTITY] = "no_identity",
	[DROP_INVALID_MAC1] = "invalid_mac1",
	[DROP_COOKIE_SENT] = "cookie_sent",
	[DROP_RATELIMITED] = "ratelimited",
	[DROP_COOKIE_RATELIMITED] = "cookie_ratelimited",
	[DROP_HANDSHAKE_DECRYPT] = "handshake_decrypt",
	[DROP_UNKNOWN_PEER] = "unknown_peer",
	[DROP_LOW_ORDER_POINT] = "low_order_point",
	[DROP_REPLAYED_INITIATION] = "replayed_initiation",
	[DROP_INITIATION_FLOOD] = "initiation_flood",
	[DROP_HANDSHAKE_STATE] = "handshake_state",
	[DROP_INVALID_COOKIE] = "invalid_cookie",
	[DROP_UNKNOWN_INDEX] = "unknown_index",
	[DROP_KEYPAIR_EXPIRED] = "keypair_expired",
	[DROP_DATA_DECRYPT] = "data_decrypt",
	[DROP_REPLAYED_COUNTER] = "replayed_counter",
	[DROP_INVALID_INNER] = "invalid_inner_packet",
	[DROP_SOURCE_NOT_ALLOWED] = "source_not_allowed",
	[DROP_NO_ROUTE] = "no_route",
	[DROP_NO_ENDPOINT] = "no_endpoint",
	[DROP_STAGED_OVERFLOW] = "staged_overflow",
	[DROP_GAVE_UP] = "handshake_gave_up",
	[DROP_NO_ROOM] = "no_room",
	[DROP_SEND_FAILED] = "send_failed",
};

const char *device_drop_reason_name(enum drop_reason reason)
{
	return (unsigned)reason < DROP_REASON_COUNT ? drop_names[reason] : "?";
}

static enum drop_reason drop(struct device *dev, enum drop_reason reason)
{
	dev->drops[reason]++;
	return reason;
}

static void emit(struct device *dev, struct device_event *ev, uint64_t now)
{
	if (!dev->ops.event)
		return;
	ev->now = now;
	dev->ops.event(dev->ops.arg, ev);
}

bool device_drop_is_handshake_failure(enum drop_reason reason)
{
	switch (reason) {
	case DROP_INVALID_MAC1:
	case DROP_HANDSHAKE_DECRYPT:
	case DROP_UNKNOWN_PEER:
	case DROP_LOW_ORDER_POINT:
	case DROP_REPLAYED_INITIATION:
	case DROP_INITIATION_FLOOD:
		return true;
	default:
		return false;
	}
}

/* A handshake message refused: counted, and reported with its source. */
static enum drop_reason handshake_failed(struct device *dev, enum drop_reason reason,
					 const struct endpoint *src, uint64_t now)
{
	struct device_event ev = { .type = DEVICE_EVENT_HANDSHAKE_FAILED, .reason = reason,
				   .new_ep = src };

	drop(dev, reason);
	if (device_drop_is_handshake_failure(reason))
		emit(dev, &ev, now);
	return reason;
}

static void release(struct device *dev, struct packet *p)
{
	if (!p->core_owned)
		dev->ops.release(dev->ops.arg, p);
}

/* --- tables ------------------------------------------------------------- */

static uint64_t key_hash(const struct device *dev, const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	return ratelimiter_hash(dev->hash_key, pub, NOISE_PUBLIC_KEY_LEN);
}

static uint64_t index_hash(const struct device *dev, uint32_t index)
{
	return ratelimiter_hash(dev->hash_key, &index, sizeof(index));
}

static bool peer_key_eq(const void *item, const void *key)
{
	return !memcmp(((const struct peer *)item)->public_key, key, NOISE_PUBLIC_KEY_LEN);
}

static bool index_eq(const void *item, const void *key)
{
	return ((const struct index_entry *)item)->index == *(const uint32_t *)key;
}

static struct index_entry *index_find(const struct device *dev, uint32_t index)
{
	return hashtable_find(&dev->peers_by_index, index_hash(dev, index), index_eq, &index);
}

/* noise upcalls */
static struct noise_remote *upcall_remote_get(void *arg, const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	struct peer *peer = device_find_peer(arg, pub);
	return peer ? &peer->remote : NULL;
}

static uint32_t upcall_index_set(void *arg, struct noise_remote *r)
{
	struct device *dev = arg;
	struct peer *peer = r->arg;
	struct index_entry *e = NULL;
	uint32_t index;

	for (int i = 0; i < PEER_INDEX_ENTRIES; i++) {
		if (!peer->indices[i].index) {
			e = &peer->indices[i];
			break;
		}
	}
	if (!e) /* cannot happen: at most a handshake and three keypairs */
		abort();
	/* A random index not yet in use; 0 means "none" here. */
	do {
		if (crypto_random(&index, sizeof(index)))
			abort();
	} while (!index || index_find(dev, index));
	e->index = index;
	e->peer = peer;
	/* Room was reserved for every peer's entries when it was added. */
	if (hashtable_add(&dev->peers_by_index, index_hash(dev, index), e))
		abort();
	return index;
}

static void upcall_index_drop(void *arg, uint32_t index)
{
	struct device *dev = arg;
	struct index_entry *e = index_find(dev, index);

	if (!e)
		return;
	hashtable_remove(&dev->peers_by_index, index_hash(dev, index), e);
	e->index = 0;
}

/* --- the timer heap ------------------------------------------------------ */

static void heap_swap(struct device *dev, size_t a, size_t b)
{
	struct peer *t = dev->heap[a];

	dev->heap[a] = dev->heap[b];
	dev->heap[b] = t;
	dev->heap[a]->heap_index = a;
	dev->heap[b]->heap_index = b;
}

static void heap_sift(struct device *dev, size_t i)
{
	while (i && dev->heap[(i - 1) / 2]->heap_deadline > dev->heap[i]->heap_deadline) {
		heap_swap(dev, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < dev->heap_len && dev->heap[l]->heap_deadline < dev->heap[m]->heap_deadline)
			m = l;
		if (r < dev->heap_len && dev->heap[r]->heap_deadline < dev->heap[m]->heap_deadline)
			m = r;
		if (m == i)
			return;
		heap_swap(dev, i, m);
		i = m;
	}
}

static void heap_remove(struct device *dev, struct peer *peer)
{
	size_t i = peer->heap_index;

	if (i == SIZE_MAX)
		return;
	peer->heap_index = SIZE_MAX;
	if (i != --dev->heap_len) {
		dev->heap[i] = dev->heap[dev->heap_len];
		dev->heap[i]->heap_index = i;
		heap_sift(dev, i);
	}
}

/* Re-files the peer under its timers' earliest deadline. */
static void heap_update(struct device *dev, struct peer *peer)
{
	uint64_t deadline = timers_next_deadline(&peer->timers);

	if (peer->stale_deadline && (!deadline || peer->stale_deadline < deadline))
		deadline = peer->stale_deadline;

	if (!deadline) {
		heap_remove(dev, peer);
		return;
	}
	peer->heap_deadline = deadline;
	if (peer->heap_index == SIZE_MAX) {
		/* heap_cap >= peer_count: reserved at device_add_peer. */
		peer->heap_index = dev->heap_len;
		dev->heap[dev->heap_len++] = peer;
	}
	heap_sift(dev, peer->heap_index);
}

/* --- device ------------------------------------------------------------- */

int device_init(struct device *dev, const struct device_ops *ops, unsigned mtu)
{
	struct noise_upcall up = { dev, upcall_remote_get, upcall_index_set, upcall_index_drop };
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->ops = *ops;
	dev->mtu = mtu;
	noise_local_init(&dev->local, &up);
	cookie_checker_init(&dev->cookie_checker);
	allowedips_init(&dev->table);
	hashtable_init(&dev->peers_by_key);
	hashtable_init(&dev->peers_by_index);
	ret = crypto_random(dev->hash_key, sizeof(dev->hash_key));
	if (ret)
		return ret;
	ret = ratelimiter_init(&dev->ratelimiter, RATELIMITER_MAX_ENTRIES);
	if (ret)
		return ret;
	ret = packet_crypto_init(&dev->crypto);
	if (ret)
		ratelimiter_uninit(&dev->ratelimiter);
	return ret;
}

void device_uninit(struct device *dev)
{
	device_remove_all_peers(dev);
	allowedips_free(&dev->table);
	hashtable_free(&dev->peers_by_key);
	hashtable_free(&dev->peers_by_index);
	ratelimiter_uninit(&dev->ratelimiter);
	cookie_checker_uninit(&dev->cookie_checker);
	noise_local_uninit(&dev->local);
	packet_crypto_uninit(&dev->crypto);
	free(dev->heap);
	crypto_wipe(dev->hash_key, sizeof(dev->hash_key));
}

static void peer_rekeyed_identity(struct device *dev, struct peer *peer)
{
	if (dev->local.has_identity &&
	    !memcmp(peer->public_key, dev->local.static_public, NOISE_PUBLIC_KEY_LEN)) {
		/* A peer with our own public key cannot exist (the kernel
		 * removes it too). */
		device_remove_peer(dev, peer);
		return;
	}
	noise_remote_forget_ss(&peer->remote);
	noise_keypairs_clear(&peer->remote);
	timers_reset_last_sent_handshake(&peer->timers);
}

void device_set_private_key(struct device *dev, const uint8_t *priv)
{
	uint8_t clamped[NOISE_PUBLIC_KEY_LEN];
	static const uint8_t zero[NOISE_PUBLIC_KEY_LEN];

	if (priv && !crypto_equal(priv, zero, sizeof(zero))) {
		memcpy(clamped, priv, sizeof(clamped));
		crypto_x25519_clamp(clamped);
		if (dev->local.has_identity &&
		    crypto_equal(clamped, dev->local.static_private, sizeof(clamped))) {
			crypto_wipe(clamped, sizeof(clamped));
			return; /* unchanged: keep every session */
		}
		crypto_wipe(clamped, sizeof(clamped));
	} else if (!dev->local.has_identity) {
		return;
	}
	noise_local_set_private(&dev->local, priv);
	cookie_checker_precompute(&dev->cookie_checker,
				  dev->local.has_identity ? dev->local.static_public : NULL);
	/* After the keys: a gate that sees the new generation copies them. */
	atomic_fetch_add_explicit(&dev->identity_gen, 1, memory_order_release);
	/* peer_rekeyed_identity may remove the peer: take the next first. */
	for (struct peer *peer = dev->first_peer, *next; peer; peer = next) {
		next = peer->next_peer;
		peer_rekeyed_identity(dev, peer);
	}
}

struct peer *device_find_peer(struct device *dev, const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	return hashtable_find(&dev->peers_by_key, key_hash(dev, pub), peer_key_eq, pub);
}

struct peer *device_add_peer(struct device *dev, const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	struct peer *peer;

	if (dev->local.has_identity && !memcmp(pub, dev->local.static_public, NOISE_PUBLIC_KEY_LEN)) {
		errno = EINVAL;
		return NULL;
	}
	if (device_find_peer(dev, pub)) {
		errno = EEXIST;
		return NULL;
	}
	if (dev->peer_count >= MAX_PEERS) {
		errno = ENOSPC;
		return NULL;
	}
	if (hashtable_reserve(&dev->peers_by_key, dev->peer_count + 1) ||
	    hashtable_reserve(&dev->peers_by_index, (dev->peer_count + 1) * PEER_INDEX_ENTRIES)) {
		errno = ENOMEM;
		return NULL;
	}
	if (dev->heap_cap < dev->peer_count + 1) {
		size_t cap = dev->heap_cap ? 2 * dev->heap_cap : 16;
		struct peer **heap = realloc(dev->heap, cap * sizeof(*heap));
		if (!heap) {
			errno = ENOMEM;
			return NULL;
		}
		dev->heap = heap;
		dev->heap_cap = cap;
	}
	peer = calloc(1, sizeof(*peer));
	if (!peer)
		return NULL;
	peer->device = dev;
	memcpy(peer->public_key, pub, NOISE_PUBLIC_KEY_LEN);
	noise_remote_init(&peer->remote, &dev->local, pub, peer);
	cookie_maker_init(&peer->cookie, pub);
	timers_init(&peer->timers);
	allowedips_peer_list_init(&peer->allowed, peer);
	peer->keepalive.head = peer->keepalive_buf;
	peer->keepalive.cap = sizeof(peer->keepalive_buf);
	peer->keepalive.core_owned = true;
	peer->heap_index = SIZE_MAX;
	if (hashtable_add(&dev->peers_by_key, key_hash(dev, pub), peer))
		abort(); /* reserved above */
	peer->prev_peer = dev->last_peer;
	if (dev->last_peer)
		dev->last_peer->next_peer = peer;
	else
		dev->first_peer = peer;
	dev->last_peer = peer;
	dev->peer_count++;
	return peer;
}

static void purge_staged(struct device *dev, struct peer *peer, enum drop_reason why)
{
	while (peer->staged_head) {
		struct packet *p = peer->staged_head;
		peer->staged_head = p->next;
		p->next = NULL;
		if (why != DROP_NONE) {
			drop(dev, why);
			peer->stats.staged_dropped++;
		}
		release(dev, p);
	}
	peer->staged_tail = NULL;
	peer->staged_count = 0;
}

void device_remove_all_peers(struct device *dev)
{
	while (dev->first_peer)
		device_remove_peer(dev, dev->first_peer);
}

void device_peer_set_preshared_key(struct device *dev, struct peer *peer, const uint8_t *psk)
{
	static const uint8_t zero[NOISE_SYMMETRIC_KEY_LEN];

	(void)dev;
	noise_remote_set_psk(&peer->remote,
			     psk && !crypto_equal(psk, zero, sizeof(zero)) ? psk : NULL);
}

void device_remove_peer(struct device *dev, struct peer *peer)
{
	heap_remove(dev, peer);
	timers_stop(&peer->timers);
	allowedips_remove_by_peer(&dev->table, &peer->allowed);
	purge_staged(dev, peer, DROP_NONE);
	noise_remote_uninit(&peer->remote); /* drops its indices */
	cookie_maker_uninit(&peer->cookie);
	hashtable_remove(&dev->peers_by_key, key_hash(dev, peer->public_key), peer);
	if (peer->prev_peer)
		peer->prev_peer->next_peer = peer->next_peer;
	else
		dev->first_peer = peer->next_peer;
	if (peer->next_peer)
		peer->next_peer->prev_peer = peer->prev_peer;
	else
		dev->last_peer = peer->prev_peer;
	dev->peer_count--;
	crypto_wipe(peer, sizeof(*peer));
	free(peer);
}

void device_peer_set_endpoint(struct device *dev, struct peer *peer, const struct endpoint *ep)
{
	(void)dev;
	peer->endpoint = *ep;
}

int device_peer_add_allowed_ip(struct device *dev, struct peer *peer, int family,
			       const void *addr, uint8_t cidr)
{
	void *moved_from = NULL;
	int ret = allowedips_insert(&dev->table, family, addr, cidr, &peer->allowed, &moved_from);

	if (!ret && moved_from) {
		struct device_event ev = { .type = DEVICE_EVENT_ALLOWED_IP_MOVED, .peer = peer,
					   .other = moved_from, .family = family,
					   .addr = addr, .cidr = cidr };

		((struct peer *)moved_from)->stats.prefixes_lost++;
		dev->prefixes_moved++;
		/* The control path has no clock of its own here; the event's
		 * time is the daemon's, taken when it records it. */
		emit(dev, &ev, 0);
	}
	return ret;
}

/* --- sending ------------------------------------------------------------ */

static bool send_datagram(struct device *dev, struct peer *peer, const void *buf, size_t len)
{
	if (!peer->endpoint.family) {
		drop(dev, DROP_NO_ENDPOINT);
		return false;
	}
	if (dev->ops.send(dev->ops.arg, &peer->endpoint, buf, len)) {
		drop(dev, DROP_SEND_FAILED);
		return false;
	}
	peer->stats.tx_bytes += len;
	return true;
}

static void handshake_completed(struct device *dev, struct peer *peer, uint64_t now,
				bool initiator)
{
	struct device_event ev = { .type = DEVICE_EVENT_HANDSHAKE, .peer = peer,
				   .new_ep = &peer->endpoint, .initiator = initiator };

	/* A rekey, when the session it replaces could still carry data. */
	ev.rekey = peer->last_handshake && now - peer->last_handshake < REJECT_AFTER_TIME;
	timers_event_handshake_complete(&peer->timers, now);
	peer->last_handshake = now;
	peer->stale_deadline = now + REJECT_AFTER_TIME;
	dev->ops.wall_clock(dev->ops.arg, &peer->last_handshake_sec, &peer->last_handshake_nsec);
	peer->stats.handshakes_completed++;
	emit(dev, &ev, now);
}

/* An initiation that has passed the rate limit. */
static void send_initiation(struct device *dev, struct peer *peer, uint64_t now)
{
	struct message_handshake_initiation msg;
	uint8_t ts[NOISE_TIMESTAMP_LEN];
	uint64_t sec = 0;
	uint32_t nsec = 0;

	dev->ops.wall_clock(dev->ops.arg, &sec, &nsec);
	noise_tai64n(ts, sec, nsec);
	if (!noise_create_initiation(&peer->remote, &msg, ts) ||
	    !cookie_add_mac_to_packet(&peer->cookie, &msg, sizeof(msg), now))
		return;
	timers_event_any_authenticated_packet_traversal(&peer->timers, now);
	timers_event_any_authenticated_packet_sent(&peer->timers, now);
	send_datagram(dev, peer, &msg, sizeof(msg));
	timers_event_handshake_initiated(&peer->timers, now);
	peer->stats.handshakes_initiated++;
}

static void initiate(struct device *dev, struct peer *peer, uint64_t now, bool is_retry)
{
	if (!dev->local.has_identity)
		return;
	if (!timers_may_send_initiation(&peer->timers, now, is_retry))
		return;
	send_initiation(dev, peer, now);
}

void device_peer_initiate(struct device *dev, struct peer *peer, uint64_t now)
{
	initiate(dev, peer, now, false);
	heap_update(dev, peer);
}

static void stage(struct device *dev, struct peer *peer, struct packet *p)
{
	p->next = NULL;
	if (peer->staged_tail)
		peer->staged_tail->next = p;
	else
		peer->staged_head = p;
	peer->staged_tail = p;
	/* Bounded: the oldest packet makes room. */
	if (++peer->staged_count > MAX_STAGED_PACKETS) {
		struct packet *old = peer->staged_head;
		peer->staged_head = old->next;
		old->next = NULL;
		peer->staged_count--;
		peer->stats.staged_dropped++;
		drop(dev, DROP_STAGED_OVERFLOW);
		release(dev, old);
	}
}

/* One staged packet on kp, with the next counter: handed to the caller
 * to seal outside its lock (ops->send_data), or sealed and sent here.
 * True if it counts as sent. */
static bool send_one(struct device *dev, struct peer *peer, struct noise_keypair *kp,
		     struct packet *p)
{
	size_t padded = packet_padded_len(p->len, dev->mtu);
	uint64_t counter = kp->send_counter;
	bool sent;

	if (!packet_has_room(p, padded)) {
		drop(dev, DROP_NO_ROOM);
		release(dev, p);
		return false;
	}
	if (!peer->endpoint.family) {
		drop(dev, DROP_NO_ENDPOINT);
		release(dev, p);
		return false;
	}
	kp->send_counter++;
	/* The core's own keepalive buffer never leaves it. */
	if (!p->core_owned && dev->ops.send_data) {
		struct device_job job = { .p = p, .key = kp->send, .index = kp->remote_index,
					  .counter = counter, .padded = padded,
					  .ep = peer->endpoint };
		bool taken = !dev->ops.send_data(dev->ops.arg, &job);

		crypto_wipe(&job.key, sizeof(job.key));
		if (taken) {
			peer->stats.tx_bytes += sizeof(struct message_data) + noise_encrypted_len(padded);
			return true;
		}
	}
	if (!packet_seal(&dev->crypto, p, &kp->send, kp->remote_index, counter, padded)) {
		drop(dev, DROP_NO_ROOM);
		release(dev, p);
		return false;
	}
	sent = send_datagram(dev, peer, packet_data(p), p->len);
	release(dev, p);
	return sent;
}

/* Seals and sends every staged packet on the current keypair, or starts a
 * handshake if there is no usable one (the kernel's
 * wg_packet_send_staged_packets). */
static void send_staged(struct device *dev, struct peer *peer, uint64_t now)
{
	struct noise_keypair *kp = peer->remote.current;
	if (!peer->staged_head)
		return;
	if (!kp || !kp->valid || timers_keypair_expired(kp->birthdate, kp->send_counter, now)) {
		initiate(dev, peer, now, false);
		return;
	}
	while (peer->staged_head) {
		struct packet *p = peer->staged_head;
		bool keepalive = p->len == 0;

		if (timers_keypair_expired(kp->birthdate, kp->send_counter, now)) {
			initiate(dev, peer, now, false);
			return;
		}
		peer->staged_head = p->next;
		if (!peer->staged_head)
			peer->staged_tail = NULL;
		peer->staged_count--;
		p->next = NULL;
		if (send_one(dev, peer, kp, p)) {
			timers_event_any_authenticated_packet_traversal(&peer->timers, now);
			timers_event_any_authenticated_packet_sent(&peer->timers, now);
			if (!keepalive) {
				timers_event_data_sent(&peer->timers, now);
				peer->stats.tx_data_packets++;
			}
		}
	}
	if (timers_should_rekey_on_send(kp->initiator, kp->birthdate, kp->send_counter, now))
		initiate(dev, peer, now, false);
}

bool device_job_seal(struct packet_crypto *c, struct device_job *job)
{
	bool ok = packet_seal(c, job->p, &job->key, job->index, job->counter, job->padded);

	crypto_wipe(&job->key, sizeof(job->key));
	return ok;
}

static void send_keepalive(struct device *dev, struct peer *peer, uint64_t now)
{
	/* Only when nothing else is waiting: any staged packet does the
	 * keepalive's job. */
	if (!peer->staged_head) {
		peer->keepalive.off = PACKET_HEADROOM;
		peer->keepalive.len = 0;
		stage(dev, peer, &peer->keepalive);
	}
	send_staged(dev, peer, now);
}

void device_peer_send_keepalive(struct device *dev, struct peer *peer, uint64_t now)
{
	send_keepalive(dev, peer, now);
	heap_update(dev, peer);
}

void device_peer_set_keepalive(struct device *dev, struct peer *peer, uint16_t seconds,
			       uint64_t now)
{
	if (timers_set_persistent_keepalive(&peer->timers, seconds, now) &
	    TIMERS_ACTION_SEND_KEEPALIVE)
		send_keepalive(dev, peer, now);
	heap_update(dev, peer);
}

enum drop_reason device_send(struct device *dev, struct packet *p, uint64_t now)
{
	struct packet_ip ip;
	struct peer *peer;

	if (!packet_parse_ip(packet_data(p), p->len, &ip)) {
		release(dev, p);
		return drop(dev, DROP_INVALID_INNER);
	}
	peer = allowedips_lookup(&dev->table, ip.family, ip.dst);
	if (!peer) {
		release(dev, p);
		return drop(dev, DROP_NO_ROUTE);
	}
	if (!peer->endpoint.family) {
		release(dev, p);
		return drop(dev, DROP_NO_ENDPOINT);
	}
	stage(dev, peer, p);
	send_staged(dev, peer, now);
	heap_update(dev, peer);
	return DROP_NONE;
}

/* --- receiving ---------------------------------------------------------- */

/* The end of a spell under load: UNDER_LOAD_AFTER_TIME after the last
 * moment the backlog was long, found at the first look after it (a
 * handshake or the timer device_next_deadline sets for it). */
static void load_check_left(struct device *dev, uint64_t now)
{
	uint64_t end = dev->last_under_load + UNDER_LOAD_AFTER_TIME;
	struct device_event ev = { .type = DEVICE_EVENT_LOAD_LEFT };

	if (!dev->load_since || now < end)
		return;
	ev.ns = end - dev->load_since;
	dev->load_ns += ev.ns;
	dev->load_since = 0;
	emit(dev, &ev, now);
}

bool device_under_load(struct device *dev, uint64_t now)
{
	if (dev->handshake_backlog >= UNDER_LOAD_QUEUE_LEN) {
		if (!dev->load_since) {
			struct device_event ev = { .type = DEVICE_EVENT_LOAD_ENTERED };

			dev->load_since = now;
			emit(dev, &ev, now);
		}
		dev->last_under_load = now;
		return true;
	}
	load_check_left(dev, now);
	return dev->last_under_load && now < dev->last_under_load + UNDER_LOAD_AFTER_TIME;
}

uint64_t device_load_ns(const struct device *dev, uint64_t now)
{
	uint64_t end = dev->last_under_load + UNDER_LOAD_AFTER_TIME;

	if (!dev->load_since)
		return dev->load_ns;
	return dev->load_ns + (now < end ? now : end) - dev->load_since;
}

size_t device_sessions(const struct device *dev, uint64_t now)
{
	size_t n = 0;

	for (const struct peer *peer = dev->first_peer; peer; peer = peer->next_peer) {
		const struct noise_keypair *kp = peer->remote.current;
		if (kp && kp->valid && now - kp->birthdate < REJECT_AFTER_TIME)
			n++;
	}
	return n;
}

void device_set_handshake_backlog(struct device *dev, size_t backlog, uint64_t now)
{
	dev->handshake_backlog = backlog;
	(void)device_under_load(dev, now);
}

static void set_endpoint_from(struct device *dev, struct peer *peer,
			      const struct endpoint *src, uint64_t now)
{
	/* Roaming: every authenticated packet moves the endpoint.  A change
	 * of the address or port the peer writes from counts (the local
	 * address we answer from is not the peer's doing). */
	if (peer->endpoint.family &&
	    (peer->endpoint.family != src->family || peer->endpoint.port != src->port ||
	     memcmp(peer->endpoint.addr, src->addr, src->family == AF_INET ? 4 : 16))) {
		struct endpoint old = peer->endpoint;
		struct device_event ev = { .type = DEVICE_EVENT_ENDPOINT_CHANGED, .peer = peer,
					   .old_ep = &old, .new_ep = src };

		peer->stats.endpoint_changes++;
		peer->endpoint = *src;
		emit(dev, &ev, now);
		return;
	}
	peer->endpoint = *src;
}

enum drop_reason device_noise_drop(enum noise_error err)
{
	switch (err) {
	case NOISE_ERR_NO_IDENTITY: return DROP_NO_IDENTITY;
	case NOISE_ERR_UNKNOWN_PEER: return DROP_UNKNOWN_PEER;
	case NOISE_ERR_ZERO_DH: return DROP_LOW_ORDER_POINT;
	case NOISE_ERR_REPLAY: return DROP_REPLAYED_INITIATION;
	case NOISE_ERR_FLOOD: return DROP_INITIATION_FLOOD;
	case NOISE_ERR_STATE: return DROP_HANDSHAKE_STATE;
	case NOISE_ERR_DECRYPT:
	default: return DROP_HANDSHAKE_DECRYPT;
	}
}

/* The response, once made (msg: all but the macs). */
static void response_made(struct device *dev, struct peer *peer,
			  struct message_handshake_response *msg, uint64_t now)
{
	if (!cookie_add_mac_to_packet(&peer->cookie, msg, sizeof(*msg), now))
		return;
	if (noise_begin_session(&peer->remote, now))
		return;
	timers_event_session_derived(&peer->timers, now);
	timers_event_any_authenticated_packet_traversal(&peer->timers, now);
	timers_event_any_authenticated_packet_sent(&peer->timers, now);
	timers_event_handshake_response_sent(&peer->timers, now);
	send_datagram(dev, peer, msg, sizeof(*msg));
}

static void send_response(struct device *dev, struct peer *peer, uint64_t now)
{
	struct message_handshake_response msg;

	if (noise_create_response(&peer->remote, &msg))
		response_made(dev, peer, &msg, now);
}

void device_send_prepared_response(struct device *dev, struct noise_response_prep *rp,
				   const struct message_handshake_response *computed,
				   uint64_t now)
{
	struct message_handshake_response msg = *computed;
	struct peer *peer = device_find_peer(dev, rp->remote_static);

	/* The peer may have gone, or made a newer handshake, meanwhile. */
	if (!peer) {
		noise_response_prep_wipe(rp);
		return;
	}
	if (noise_response_commit(&peer->remote, rp, &msg))
		response_made(dev, peer, &msg, now);
	heap_update(dev, peer);
}

/* A handshake message past its macs (and, under load, its source's
 * rate): the Diffie-Hellman part. */
static enum drop_reason consume_handshake(struct device *dev, struct packet *p,
					  enum message_type type, struct noise_initiation_prep *prep,
					  struct noise_response_prep *rp,
					  const struct endpoint *src, uint64_t now)
{
	const uint8_t *buf = packet_data(p);
	struct peer *peer;
	enum noise_error err;

	if (type == MESSAGE_HANDSHAKE_INITIATION) {
		struct noise_remote *r;
		struct message_handshake_initiation msg;

		memcpy(&msg, buf, sizeof(msg));
		r = prep ? noise_consume_prepared_initiation(&dev->local, &msg, prep, now, &err)
			 : noise_consume_initiation(&dev->local, &msg, now, &err);
		if (!r)
			return handshake_failed(dev, device_noise_drop(err), src, now);
		peer = r->arg;
		set_endpoint_from(dev, peer, src, now);
		/* The caller makes the response outside its lock, or we do
		 * now. */
		if (!rp || !noise_response_prepare(&peer->remote, rp))
			send_response(dev, peer, now);
	} else {
		struct message_handshake_response msg;
		struct index_entry *e;

		memcpy(&msg, buf, sizeof(msg));
		e = index_find(dev, le32toh(msg.receiver_index));
		if (!e)
			return drop(dev, DROP_HANDSHAKE_STATE);
		peer = e->peer;
		err = noise_consume_response(&peer->remote, &msg);
		if (err)
			return handshake_failed(dev, device_noise_drop(err), src, now);
		set_endpoint_from(dev, peer, src, now);
		if (noise_begin_session(&peer->remote, now) == 0) {
			timers_event_session_derived(&peer->timers, now);
			handshake_completed(dev, peer, now, true);
			/* Confirms the session to the responder (or sends what
			 * was waiting, which does the same). */
			send_keepalive(dev, peer, now);
		}
	}
	peer->stats.rx_bytes += p->len;
	timers_event_any_authenticated_packet_received(&peer->timers, now);
	timers_event_any_authenticated_packet_traversal(&peer->timers, now);
	heap_update(dev, peer);
	return DROP_NONE;
}

static enum drop_reason receive_handshake(struct device *dev, struct packet *p,
					  enum message_type type,
					  const struct endpoint *src, uint64_t now)
{
	const uint8_t *buf = packet_data(p);
	struct cookie_source cs = { .family = src->family, .port = src->port };
	bool under_load;

	if (!dev->local.has_identity)
		return drop(dev, DROP_NO_IDENTITY);
	memcpy(cs.addr, src->addr, sizeof(cs.addr));
	under_load = device_under_load(dev, now);
	/* mac1 first, before any DH: without our public key, silence. */
	switch (cookie_validate_packet(&dev->cookie_checker, buf, p->len, &cs, under_load, now)) {
	case INVALID_MAC:
		return handshake_failed(dev, DROP_INVALID_MAC1, src, now);
	case VALID_MAC_BUT_NO_COOKIE:
		if (under_load) {
			struct message_handshake_cookie reply;
			uint32_t sender;
			/* Both handshake messages carry the sender index at
			 * offset 4. */
			memcpy(&sender, buf + 4, sizeof(sender));
			if (cookie_message_create(&dev->cookie_checker, &reply, buf, p->len,
						  le32toh(sender), &cs, now))
				dev->ops.send(dev->ops.arg, src, (const uint8_t *)&reply, sizeof(reply));
			return drop(dev, DROP_COOKIE_SENT);
		}
		break;
	case VALID_MAC_WITH_COOKIE:
		if (!ratelimiter_allow(&dev->ratelimiter, src->addr, src->family, now))
			return drop(dev, DROP_RATELIMITED);
		break;
	}
	return consume_handshake(dev, p, type, NULL, NULL, src, now);
}

static enum drop_reason receive_cookie(struct device *dev, struct packet *p, uint64_t now)
{
	struct message_handshake_cookie msg;
	struct index_entry *e;

	memcpy(&msg, packet_data(p), sizeof(msg));
	e = index_find(dev, le32toh(msg.receiver_index));
	if (!e)
		return drop(dev, DROP_HANDSHAKE_STATE);
	if (!cookie_message_consume(&e->peer->cookie, &msg, now))
		return drop(dev, DROP_INVALID_COOKIE);
	return DROP_NONE;
}

enum drop_reason device_receive_prepare(struct device *dev, struct packet *p,
					struct device_job *job, uint64_t now)
{
	const struct message_data *hdr = (const struct message_data *)packet_data(p);
	struct noise_keypair *kp;
	struct index_entry *e;

	e = index_find(dev, le32toh(hdr->key_idx));
	kp = e ? noise_keypair_lookup(&e->peer->remote, e->index) : NULL;
	if (!kp) {
		release(dev, p);
		return drop(dev, DROP_UNKNOWN_INDEX);
	}
	if (timers_keypair_expired(kp->birthdate, kp->replay.next, now)) {
		release(dev, p);
		return drop(dev, DROP_KEYPAIR_EXPIRED);
	}
	job->p = p;
	job->key = kp->recv;
	job->index = e->index;
	job->counter = le64toh(hdr->counter);
	job->ok = false;
	return DROP_NONE;
}

void device_job_open(struct packet_crypto *c, struct device_job *job)
{
	job->ok = packet_open(c, job->p, &job->key);
	/* The id stays: device_receive_opened compares it. */
	crypto_wipe(job->key.bytes, sizeof(job->key.bytes));
}

/* An opened data message whose keypair is still kp: the replay window,
 * the peer's state, and the checks on the inner packet; *delivered when
 * p went to ops->deliver. */
static enum drop_reason receive_authenticated(struct device *dev, struct peer *peer,
					      struct noise_keypair *kp, struct device_job *job,
					      const struct endpoint *src, uint64_t now,
					      bool *delivered)
{
	struct packet *p = job->p;
	size_t wire_len = sizeof(struct message_data) + p->len + NOISE_AUTHTAG_LEN;
	struct noise_keypair *cur;
	struct packet_ip ip;

	/* Only after authentication: the window moves on genuine packets. */
	if (!replay_check(&kp->replay, job->counter))
		return drop(dev, DROP_REPLAYED_COUNTER);

	set_endpoint_from(dev, peer, src, now);
	if (noise_received_with_keypair(&peer->remote, kp)) {
		/* Key confirmation: the responder's next keypair is current. */
		handshake_completed(dev, peer, now, false);
		send_staged(dev, peer, now);
	}
	cur = peer->remote.current;
	if (cur && cur->valid &&
	    timers_should_rekey_on_receive(&peer->timers, cur->initiator, cur->birthdate, now))
		initiate(dev, peer, now, false);
	timers_event_any_authenticated_packet_received(&peer->timers, now);
	timers_event_any_authenticated_packet_traversal(&peer->timers, now);

	if (p->len == 0) { /* keepalive */
		peer->stats.rx_bytes += wire_len;
		heap_update(dev, peer);
		return DROP_NONE;
	}
	timers_event_data_received(&peer->timers, now);
	heap_update(dev, peer);
	if (!packet_parse_ip(packet_data(p), p->len, &ip))
		return drop(dev, DROP_INVALID_INNER);
	/* Cryptokey routing, inbound: the source must be this peer's. */
	if (allowedips_lookup(&dev->table, ip.family, ip.src) != peer)
		return drop(dev, DROP_SOURCE_NOT_ALLOWED);
	peer->stats.rx_bytes += wire_len;
	peer->stats.rx_data_packets++;
	p->len = ip.len; /* strip the padding */
	*delivered = true;
	dev->ops.deliver(dev->ops.arg, peer, p);
	return DROP_NONE;
}

enum drop_reason device_receive_opened(struct device *dev, struct device_job *job,
				       const struct endpoint *src, uint64_t now)
{
	struct noise_keypair *kp = NULL;
	struct index_entry *e;
	enum drop_reason ret;
	bool delivered = false;

	if (!job->ok) {
		ret = drop(dev, DROP_DATA_DECRYPT);
		goto out;
	}
	/* The keypair may have gone (or its slot been reused) while the job
	 * ran without the lock: the key's id says whether it is the same. */
	e = index_find(dev, job->index);
	if (e)
		kp = noise_keypair_lookup(&e->peer->remote, e->index);
	if (!kp || kp->recv.id != job->key.id) {
		ret = drop(dev, DROP_UNKNOWN_INDEX);
		goto out;
	}
	ret = receive_authenticated(dev, e->peer, kp, job, src, now, &delivered);
out:
	if (!delivered)
		release(dev, job->p);
	return ret;
}

static enum drop_reason receive_data(struct device *dev, struct packet *p,
				     const struct endpoint *src, uint64_t now)
{
	struct device_job job;
	enum drop_reason ret = device_receive_prepare(dev, p, &job, now);

	if (ret != DROP_NONE)
		return ret;
	device_job_open(&dev->crypto, &job);
	return device_receive_opened(dev, &job, src, now);
}

enum drop_reason device_receive(struct device *dev, struct packet *p,
				const struct endpoint *src, uint64_t now)
{
	enum message_type type = packet_classify(packet_data(p), p->len);
	enum drop_reason ret;

	if (type == MESSAGE_DATA) /* consumes p */
		return receive_data(dev, p, src, now);
	switch (type) {
	case MESSAGE_HANDSHAKE_INITIATION:
	case MESSAGE_HANDSHAKE_RESPONSE:
		ret = receive_handshake(dev, p, type, src, now);
		break;
	case MESSAGE_HANDSHAKE_COOKIE:
		ret = receive_cookie(dev, p, now);
		break;
	default:
		ret = drop(dev, DROP_INVALID_MESSAGE);
		break;
	}
	release(dev, p);
	return ret;
}

enum drop_reason device_receive_checked(struct device *dev, struct packet *p,
					const struct endpoint *src, bool proven,
					struct noise_initiation_prep *prep,
					struct noise_response_prep *rp,
					uint64_t gen, uint64_t now)
{
	enum message_type type = packet_classify(packet_data(p), p->len);
	enum drop_reason ret;

	if (rp)
		memset(rp, 0, sizeof(*rp)); /* not prepared, unless below */
	if (type != MESSAGE_HANDSHAKE_INITIATION && prep)
		prep = NULL; /* only an initiation has one (nothing to wipe
			      * otherwise: the caller's contract) */
	/* Checked under another identity (the key changed since): the
	 * whole way, with the device's own checker. */
	if (gen != atomic_load_explicit(&dev->identity_gen, memory_order_relaxed)) {
		if (prep)
			noise_prep_wipe(prep);
		return device_receive(dev, p, src, now);
	}
	switch (type) {
	case MESSAGE_HANDSHAKE_INITIATION:
	case MESSAGE_HANDSHAKE_RESPONSE:
		if (!dev->local.has_identity)
			ret = drop(dev, DROP_NO_IDENTITY);
		else if (proven && !ratelimiter_allow(&dev->ratelimiter, src->addr, src->family, now))
			ret = drop(dev, DROP_RATELIMITED);
		else
			ret = consume_handshake(dev, p, type, prep, rp, src, now);
		if (prep)
			noise_prep_wipe(prep); /* consumed or not */
		break;
	case MESSAGE_HANDSHAKE_COOKIE:
		ret = receive_cookie(dev, p, now);
		break;
	default:
		return device_receive(dev, p, src, now);
	}
	release(dev, p);
	return ret;
}

uint64_t device_identity_gen(const struct device *dev)
{
	return atomic_load_explicit(&dev->identity_gen, memory_order_acquire);
}

uint64_t device_copy_identity(const struct device *dev, struct cookie_checker *cc,
			      struct noise_local *l)
{
	cookie_checker_copy_keys(cc, &dev->cookie_checker);
	if (l)
		noise_local_set_private(l, dev->local.has_identity ? dev->local.static_private : NULL);
	return atomic_load_explicit(&dev->identity_gen, memory_order_relaxed);
}

void device_add_drops(struct device *dev, enum drop_reason reason, uint64_t n)
{
	if ((unsigned)reason < DROP_REASON_COUNT)
		dev->drops[reason] += n;
}

/* --- timers ------------------------------------------------------------- */

uint64_t device_next_deadline(const struct device *dev)
{
	uint64_t next = dev->heap_len ? dev->heap[0]->heap_deadline : 0;

	/* The end of a spell under load, to report it on time. */
	if (dev->load_since) {
		uint64_t end = dev->last_under_load + UNDER_LOAD_AFTER_TIME;
		if (!next || end < next)
			next = end;
	}

	/* The rate limiter's garbage collection, only while it holds
	 * entries, so an idle daemon sleeps. */
	if (ratelimiter_count(&dev->ratelimiter)) {
		uint64_t gc = dev->last_ratelimiter_gc + NSEC_PER_SEC;
		if (!next || gc < next)
			next = gc;
	}
	return next;
}

static void run_peer_timers(struct device *dev, struct peer *peer, uint64_t now)
{
	unsigned actions = timers_run(&peer->timers, now);

	if (peer->stale_deadline && peer->stale_deadline <= now) {
		struct device_event ev = { .type = DEVICE_EVENT_STALE, .peer = peer,
					   .new_ep = &peer->endpoint,
					   .ns = now - peer->last_handshake };

		peer->stale_deadline = 0;
		emit(dev, &ev, now);
	}

	if (actions & TIMERS_ACTION_CLEAR_ENDPOINT_SRC)
		peer->endpoint.local_family = 0;
	if (actions & TIMERS_ACTION_ZERO_KEYS)
		noise_keypairs_clear(&peer->remote);
	if (actions & TIMERS_ACTION_GIVE_UP)
		purge_staged(dev, peer, DROP_GAVE_UP);
	if (actions & TIMERS_ACTION_SEND_INITIATION)
		send_initiation(dev, peer, now);
	if (actions & TIMERS_ACTION_SEND_KEEPALIVE)
		send_keepalive(dev, peer, now);
	heap_update(dev, peer);
}

void device_run_timers(struct device *dev, uint64_t now)
{
	while (dev->heap_len && dev->heap[0]->heap_deadline <= now) {
		struct peer *peer = dev->heap[0];
		run_peer_timers(dev, peer, now);
		/* timers_run fires everything due; a deadline still due would
		 * be a bug, and must not spin the event loop. */
		if (dev->heap_len && dev->heap[0] == peer && peer->heap_deadline <= now)
			break;
	}
	load_check_left(dev, now);
	if (ratelimiter_count(&dev->ratelimiter) &&
	    now >= dev->last_ratelimiter_gc + NSEC_PER_SEC) {
		ratelimiter_gc(&dev->ratelimiter, now);
		dev->last_ratelimiter_gc = now;
	}
}
