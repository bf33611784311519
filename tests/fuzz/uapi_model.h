/* A deliberately naive model of what set=1 plans leave on a fresh
 * device, written from uapi.h's and the contract's words rather than from
 * apply.c, for fuzz_uapi_roundtrip.c to hold the daemon's get against:
 * arrays scanned end to end, a sequence number for every order.
 *
 *   - plans one after the other, each all or nothing;
 *   - the private key (all zeros: none) first, clamped as X25519 keys
 *     are, and a peer with the new public key goes; replace_peers; then
 *     each entry in order;
 *   - an entry for the device's own public key is ignored; remove=true
 *     removes the peer and its prefixes; update_only=true does not
 *     create; a new peer goes last in the order of get;
 *   - a preshared key of zeros is none; the endpoint and keepalive as
 *     given;
 *   - allowed-IP steps in order, on prefixes with their host bits
 *     cleared: replace drops every prefix of the peer, -P/L drops P if
 *     this peer holds it, P/L gives P to this peer, taken from any other;
 *     a peer lists its prefixes in the order it gained them. */
#ifndef RAMPART_TESTS_FUZZ_UAPI_MODEL_H
#define RAMPART_TESTS_FUZZ_UAPI_MODEL_H

#include "crypto/crypto.h"
#include "uapi/device.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct model_peer {
	uint8_t key[KEY_LEN];
	uint8_t psk[KEY_LEN];
	bool has_endpoint;
	struct netaddr addr;
	uint16_t port;
	uint16_t keepalive;
	uint64_t seq; /* when it was added; 0 = not there */
};

struct model_prefix {
	int family;
	uint8_t addr[16]; /* host bits cleared */
	uint8_t cidr;
	size_t owner;     /* index into peers */
	uint64_t seq;     /* when its owner gained it; 0 = nobody holds it */
};

struct model {
	bool has_key;
	uint8_t priv[KEY_LEN], pub[KEY_LEN];
	uint16_t port;
	uint32_t fwmark;
	struct model_peer *peers;
	size_t n_peers;
	struct model_prefix *prefixes;
	size_t n_prefixes;
	uint64_t clock;
};

static inline void model_prefix_of(struct model_prefix *out, const struct netaddr_prefix *p)
{
	size_t bytes = p->addr.family == AF_INET ? 4 : 16;

	memset(out, 0, sizeof(*out));
	out->family = p->addr.family;
	out->cidr = p->cidr;
	memcpy(out->addr, &p->addr.in6, bytes);
	for (size_t bit = p->cidr; bit < bytes * 8; bit++)
		out->addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

static inline struct model_prefix *model_find_prefix(struct model *m, const struct model_prefix *p)
{
	for (size_t i = 0; i < m->n_prefixes; i++) {
		struct model_prefix *q = &m->prefixes[i];

		if (q->family == p->family && q->cidr == p->cidr && !memcmp(q->addr, p->addr, 16))
			return q;
	}
	return NULL;
}

static inline void model_step(struct model *m, size_t owner, const struct uapi_allowed_ip *a)
{
	struct model_prefix p, *q;

	if (a->action == UAPI_ALLOWED_IP_REPLACE) {
		for (size_t i = 0; i < m->n_prefixes; i++)
			if (m->prefixes[i].seq && m->prefixes[i].owner == owner)
				m->prefixes[i].seq = 0;
		return;
	}
	model_prefix_of(&p, &a->prefix);
	q = model_find_prefix(m, &p);
	if (a->action == UAPI_ALLOWED_IP_REMOVE) {
		if (q && q->seq && q->owner == owner)
			q->seq = 0;
		return;
	}
	if (!q) {
		q = &m->prefixes[m->n_prefixes++];
		*q = p;
	}
	if (!q->seq || q->owner != owner) {
		q->owner = owner;
		q->seq = ++m->clock;
	}
}

static inline void model_remove_peer(struct model *m, size_t i)
{
	m->peers[i].seq = 0;
	for (size_t j = 0; j < m->n_prefixes; j++)
		if (m->prefixes[j].owner == i)
			m->prefixes[j].seq = 0;
}

static inline void model_entry(struct model *m, const struct uapi_peer *e)
{
	struct model_peer *p = NULL;
	size_t i;

	if (m->has_key && !memcmp(e->public_key, m->pub, KEY_LEN))
		return;
	for (i = 0; i < m->n_peers && !p; i++)
		if (m->peers[i].seq && !memcmp(m->peers[i].key, e->public_key, KEY_LEN))
			p = &m->peers[i];
	if (p)
		i--;
	if (e->flags & UAPI_PEER_REMOVE) {
		if (p)
			model_remove_peer(m, i);
		return;
	}
	if (!p) {
		if (e->flags & UAPI_PEER_UPDATE_ONLY)
			return;
		i = m->n_peers++;
		p = &m->peers[i];
		memset(p, 0, sizeof(*p));
		memcpy(p->key, e->public_key, KEY_LEN);
		p->seq = ++m->clock;
	}
	if (e->flags & UAPI_PEER_HAS_PRESHARED_KEY)
		memcpy(p->psk, e->preshared_key, KEY_LEN);
	if (e->flags & UAPI_PEER_HAS_ENDPOINT) {
		p->has_endpoint = true;
		p->addr = e->endpoint.addr;
		p->port = e->endpoint.port;
	}
	if (e->flags & UAPI_PEER_HAS_KEEPALIVE)
		p->keepalive = e->keepalive;
	for (size_t s = 0; s < e->n_allowed_ips; s++)
		model_step(m, i, &e->allowed_ips[s]);
}

static inline void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
}

/* Room for what plan may add; the arrays only grow. */
static inline void model_reserve(struct model *m, const struct uapi_device *plan)
{
	size_t steps = 0;
	void *v;

	for (size_t i = 0; i < plan->n_peers; i++)
		steps += plan->peers[i].n_allowed_ips;
	v = realloc(m->peers, (m->n_peers + plan->n_peers + 1) * sizeof(*m->peers));
	if (!v)
		abort();
	m->peers = v;
	v = realloc(m->prefixes, (m->n_prefixes + steps + 1) * sizeof(*m->prefixes));
	if (!v)
		abort();
	m->prefixes = v;
}

/* plan applied to the model (of a fresh device after model_init()). */
static inline void model_apply(struct model *m, const struct uapi_device *plan)
{
	model_reserve(m, plan);
	if (plan->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) {
		m->has_key = !encoding_key_is_zero(plan->private_key);
		memcpy(m->priv, plan->private_key, KEY_LEN);
		crypto_x25519_clamp(m->priv);
		if (m->has_key && !crypto_x25519_public(m->pub, m->priv))
			abort();
		/* No peer may have the device's own key: the kernel removes
		 * it too. */
		for (size_t i = 0; m->has_key && i < m->n_peers; i++)
			if (m->peers[i].seq && !memcmp(m->peers[i].key, m->pub, KEY_LEN))
				model_remove_peer(m, i);
	}
	if (plan->flags & UAPI_DEVICE_HAS_LISTEN_PORT)
		m->port = plan->listen_port;
	if (plan->flags & UAPI_DEVICE_HAS_FWMARK)
		m->fwmark = plan->fwmark;
	if (plan->flags & UAPI_DEVICE_REPLACE_PEERS)
		for (size_t i = 0; i < m->n_peers; i++)
			model_remove_peer(m, i);
	for (size_t i = 0; i < plan->n_peers; i++)
		model_entry(m, &plan->peers[i]);
}

static inline void model_free(struct model *m)
{
	free(m->peers);
	free(m->prefixes);
}

/* The live peer that comes after seq in the order of get, or NULL. */
static inline const struct model_peer *model_next_peer(const struct model *m, uint64_t after,
						       size_t *index)
{
	const struct model_peer *best = NULL;

	for (size_t i = 0; i < m->n_peers; i++) {
		const struct model_peer *p = &m->peers[i];

		if (p->seq > after && (!best || p->seq < best->seq)) {
			best = p;
			*index = i;
		}
	}
	return best;
}

/* The prefix of peer index that comes after seq in its order, or NULL. */
static inline const struct model_prefix *model_next_prefix(const struct model *m, size_t index,
							   uint64_t after)
{
	const struct model_prefix *best = NULL;

	for (size_t i = 0; i < m->n_prefixes; i++) {
		const struct model_prefix *q = &m->prefixes[i];

		if (q->seq > after && q->owner == index && (!best || q->seq < best->seq))
			best = q;
	}
	return best;
}

static inline bool model_peer_is(const struct model *m, size_t index, const struct model_peer *p,
				 const struct uapi_peer *got)
{
	const struct model_prefix *q = NULL;
	uint64_t after = 0;
	size_t n = 0;

	if (memcmp(p->key, got->public_key, KEY_LEN) ||
	    encoding_key_is_zero(p->psk) == !!(got->flags & UAPI_PEER_HAS_PRESHARED_KEY) ||
	    ((got->flags & UAPI_PEER_HAS_PRESHARED_KEY) && memcmp(p->psk, got->preshared_key, KEY_LEN)) ||
	    p->has_endpoint != !!(got->flags & UAPI_PEER_HAS_ENDPOINT) ||
	    p->keepalive != got->keepalive)
		return false;
	if (p->has_endpoint && (!netaddr_equal(&p->addr, &got->endpoint.addr) ||
				p->port != got->endpoint.port))
		return false;
	while ((q = model_next_prefix(m, index, after))) {
		struct model_prefix g;

		if (n == got->n_allowed_ips)
			return false;
		model_prefix_of(&g, &got->allowed_ips[n++].prefix);
		if (g.family != q->family || g.cidr != q->cidr || memcmp(g.addr, q->addr, 16))
			return false;
		after = q->seq;
	}
	return n == got->n_allowed_ips;
}

/* Whether the device read from a get reply is what the model holds. */
static inline bool model_is(const struct model *m, const struct uapi_device *got)
{
	const struct model_peer *p;
	uint64_t after = 0;
	size_t n = 0, index = 0;

	if (m->has_key != !!(got->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) ||
	    (m->has_key && memcmp(m->priv, got->private_key, KEY_LEN)) ||
	    (m->port != 0) != !!(got->flags & UAPI_DEVICE_HAS_LISTEN_PORT) ||
	    (m->port && m->port != got->listen_port) ||
	    (m->fwmark != 0) != !!(got->flags & UAPI_DEVICE_HAS_FWMARK) ||
	    (m->fwmark && m->fwmark != got->fwmark))
		return false;
	while ((p = model_next_peer(m, after, &index))) {
		if (n == got->n_peers || !model_peer_is(m, index, p, &got->peers[n++]))
			return false;
		after = p->seq;
	}
	return n == got->n_peers;
}

#endif
