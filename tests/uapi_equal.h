/* Deliberately naive equality of the control protocol's device model
 * (uapi/device.h), field by field: for the unit tests (uapi_check.h) and
 * the fuzz targets (tests/fuzz/fuzz_uapi_*.c), which link no harness.
 * Static inline, so that a file that uses only some of it builds without
 * warnings. */
#ifndef RAMPART_TESTS_UAPI_EQUAL_H
#define RAMPART_TESTS_UAPI_EQUAL_H

#include "common/netaddr.h"
#include "uapi/device.h"
#include "uapi/uapi.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A deliberately naive equality: field by field. */
static inline bool endpoint_equal(const struct uapi_endpoint *a, const struct uapi_endpoint *b)
{
	return a->literal == b->literal && netaddr_equal(&a->addr, &b->addr) &&
	       a->port == b->port && !strcmp(a->zone, b->zone) &&
	       !strcmp(a->host ? a->host : "", b->host ? b->host : "");
}


static inline bool steps_equal(const struct uapi_peer *p, const struct uapi_peer *q)
{
	if (p->n_allowed_ips != q->n_allowed_ips)
		return false;
	for (size_t i = 0; i < p->n_allowed_ips; i++) {
		const struct uapi_allowed_ip *x = &p->allowed_ips[i], *y = &q->allowed_ips[i];

		if (x->action != y->action ||
		    (x->action != UAPI_ALLOWED_IP_REPLACE &&
		     !netaddr_prefix_equal(&x->prefix, &y->prefix)))
			return false;
	}
	return true;
}

static inline bool peer_equal(const struct uapi_peer *p, const struct uapi_peer *q)
{
	return !memcmp(p->public_key, q->public_key, KEY_LEN) && p->flags == q->flags &&
	       (!(p->flags & UAPI_PEER_HAS_PRESHARED_KEY) ||
		!memcmp(p->preshared_key, q->preshared_key, KEY_LEN)) &&
	       (!(p->flags & UAPI_PEER_HAS_ENDPOINT) ||
		endpoint_equal(&p->endpoint, &q->endpoint)) &&
	       (!(p->flags & UAPI_PEER_HAS_KEEPALIVE) || p->keepalive == q->keepalive) &&
	       steps_equal(p, q);
}

static inline bool set_equal(const struct uapi_device *a, const struct uapi_device *b)
{
	if (!a || !b)
		return a == b;
	if (a->flags != b->flags ||
	    ((a->flags & UAPI_DEVICE_HAS_PRIVATE_KEY) &&
	     memcmp(a->private_key, b->private_key, KEY_LEN)) ||
	    ((a->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && a->listen_port != b->listen_port) ||
	    ((a->flags & UAPI_DEVICE_HAS_FWMARK) && a->fwmark != b->fwmark) ||
	    a->n_peers != b->n_peers)
		return false;
	for (size_t i = 0; i < a->n_peers; i++)
		if (!peer_equal(&a->peers[i], &b->peers[i]))
			return false;
	return true;
}

static inline bool req_equal(const struct uapi_request *a, const struct uapi_request *b)
{
	return a->op == b->op && a->err == b->err &&
	       !memcmp(&a->error, &b->error, sizeof(a->error)) && set_equal(a->set, b->set);
}

/* set_equal, and also where each entry stood (the line of its
 * public_key) and what it takes over: two parses of the same bytes. */
static inline bool plan_equal(const struct uapi_device *a, const struct uapi_device *b)
{
	if (!set_equal(a, b))
		return false;
	for (size_t i = 0; a && i < a->n_peers; i++) {
		const struct uapi_peer *p = &a->peers[i], *q = &b->peers[i];

		if (p->line != q->line || ((p->flags & UAPI_PEER_HAS_TAKEOVER) &&
					   memcmp(p->takeover_key, q->takeover_key, KEY_LEN)))
			return false;
	}
	return true;
}

static inline bool counters_equal(const struct uapi_counter *a, size_t na,
				  const struct uapi_counter *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i].name, b[i].name) || a[i].value != b[i].value)
			return false;
	return true;
}

/* Two devices read from get replies: set_equal, and the statistics and
 * Rampart's counters, which a set does not carry. */
static inline bool reply_equal(const struct uapi_device *a, const struct uapi_device *b)
{
	if (!set_equal(a, b))
		return false;
	if (a && !counters_equal(a->counters, a->n_counters, b->counters, b->n_counters))
		return false;
	for (size_t i = 0; a && i < a->n_peers; i++) {
		const struct uapi_peer *p = &a->peers[i], *q = &b->peers[i];

		if (p->last_handshake_sec != q->last_handshake_sec ||
		    p->last_handshake_nsec != q->last_handshake_nsec ||
		    p->rx_bytes != q->rx_bytes || p->tx_bytes != q->tx_bytes ||
		    !counters_equal(p->counters, p->n_counters, q->counters, q->n_counters))
			return false;
	}
	return true;
}

#endif
