/* The apply plan (src/inventory/plan.c) against a naive model: random
 * inventories and running devices from a seed; the plan applied to the
 * running device by a deliberately simple interpreter of set=1 (below)
 * must leave exactly what the inventory says, give no entry to a peer
 * already right, and plan nothing the second time. */
#include "harness.h"

#include "common/netaddr.h"
#include "inventory/plan.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

enum { KEY_POOL = 48, PSK_POOL = 3 };

static void pool_key(uint8_t key[KEY_LEN], unsigned i)
{
	memset(key, 0, KEY_LEN);
	key[0] = (uint8_t)(i + 1);
	key[31] = 0x5a;
}

static struct netaddr_prefix v4(unsigned a, unsigned b, unsigned c, unsigned d, unsigned cidr)
{
	struct netaddr_prefix p;

	memset(&p, 0, sizeof(p));
	p.addr.family = AF_INET;
	p.addr.in4.s_addr = htonl(a << 24 | b << 16 | c << 8 | d);
	p.cidr = (uint8_t)cidr;
	return p;
}

static struct netaddr_prefix v6host(unsigned i)
{
	struct netaddr_prefix p;

	memset(&p, 0, sizeof(p));
	p.addr.family = AF_INET6;
	p.addr.in6.s6_addr[0] = 0xfd;
	p.addr.in6.s6_addr[15] = (uint8_t)i;
	p.cidr = 128;
	return p;
}

/* ---- the naive interpreter of set=1 -------------------------------------- */

static struct uapi_peer *model_find(struct uapi_device *d, const uint8_t *key)
{
	for (size_t i = 0; i < d->n_peers; i++)
		if (!memcmp(d->peers[i].public_key, key, KEY_LEN))
			return &d->peers[i];
	return NULL;
}

static void model_remove(struct uapi_device *d, struct uapi_peer *p)
{
	size_t i = (size_t)(p - d->peers);

	free(p->allowed_ips);
	free(p->counters);
	free(p->endpoint.host);
	memmove(p, p + 1, (d->n_peers - i - 1) * sizeof(*p));
	d->n_peers--;
}

static bool same_masked(struct netaddr_prefix a, struct netaddr_prefix b)
{
	netaddr_prefix_mask(&a);
	netaddr_prefix_mask(&b);
	return netaddr_prefix_equal(&a, &b);
}

static void model_drop_prefix(struct uapi_peer *p, const struct netaddr_prefix *x)
{
	for (size_t j = 0; j < p->n_allowed_ips; j++) {
		if (same_masked(p->allowed_ips[j].prefix, *x)) {
			p->allowed_ips[j] = p->allowed_ips[--p->n_allowed_ips];
			j--;
		}
	}
}

/* A prefix has one owner: adding it takes it from any other peer. */
static void model_add_prefix(struct uapi_device *d, const uint8_t *key,
			     const struct netaddr_prefix *x)
{
	struct netaddr_prefix m = *x;

	netaddr_prefix_mask(&m);
	for (size_t i = 0; i < d->n_peers; i++)
		model_drop_prefix(&d->peers[i], &m);
	CHECK(uapi_peer_add_allowed_ip(model_find(d, key), &m, UAPI_ALLOWED_IP_ADD) == 0);
}

static void model_apply(struct uapi_device *d, const struct uapi_device *set)
{
	CHECK(!set->flags);
	for (size_t i = 0; i < set->n_peers; i++) {
		const struct uapi_peer *e = &set->peers[i];
		struct uapi_peer *p = model_find(d, e->public_key);
		if (e->flags & UAPI_PEER_REMOVE) {
			CHECK(p != NULL); /* the plan removes only what is there */
			if (p)
				model_remove(d, p);
			continue;
		}
		if (!p)
			p = uapi_device_add_peer(d, e->public_key);
		if (e->flags & UAPI_PEER_HAS_PRESHARED_KEY) {
			memcpy(p->preshared_key, e->preshared_key, KEY_LEN);
			p->flags = encoding_key_is_zero(e->preshared_key) ?
					   p->flags & ~UAPI_PEER_HAS_PRESHARED_KEY :
					   p->flags | UAPI_PEER_HAS_PRESHARED_KEY;
		}
		if (e->flags & UAPI_PEER_HAS_KEEPALIVE)
			p->keepalive = e->keepalive;
		for (size_t j = 0; j < e->n_allowed_ips; j++) {
			const struct uapi_allowed_ip *a = &e->allowed_ips[j];
			p = model_find(d, e->public_key);
			if (a->action == UAPI_ALLOWED_IP_REPLACE)
				p->n_allowed_ips = 0;
			else if (a->action == UAPI_ALLOWED_IP_REMOVE)
				model_drop_prefix(p, &a->prefix);
			else
				model_add_prefix(d, e->public_key, &a->prefix);
		}
	}
}

/* What the daemon does at the new key's first handshake. */
static void model_takeover(struct uapi_device *d, const uint8_t *new_key, const uint8_t *old_key)
{
	struct uapi_peer *old = model_find(d, old_key);

	while (old && old->n_allowed_ips) {
		struct netaddr_prefix x = old->allowed_ips[0].prefix;
		model_add_prefix(d, new_key, &x);
		old = model_find(d, old_key);
	}
	if (old)
		model_remove(d, old);
}

/* ---- what the interface should hold, computed naively --------------------- */

static bool has_prefix(const struct uapi_peer *r, const struct netaddr_prefix *x)
{
	for (size_t j = 0; j < r->n_allowed_ips; j++)
		if (same_masked(r->allowed_ips[j].prefix, *x))
			return true;
	return false;
}

/* r holds exactly the prefixes of p (with_addrs) or none. */
static bool right_prefixes(const struct uapi_peer *r, const struct inv_peer *p, bool with_addrs)
{
	size_t want = 0;

	if (!with_addrs)
		return r->n_allowed_ips == 0;
	for (size_t i = 0; i < p->n_addrs; i++, want++)
		if (!has_prefix(r, &p->addrs[i]))
			return false;
	for (size_t i = 0; i < p->n_sites; i++, want++)
		if (!has_prefix(r, &p->sites[i]))
			return false;
	return r->n_allowed_ips == want; /* the generator makes no repeats */
}

static bool right_peer(const struct uapi_peer *r, const struct inv_peer *p, bool with_addrs)
{
	static const uint8_t zero[KEY_LEN];
	const uint8_t *psk = p->has_psk ? p->psk : zero;
	const uint8_t *have = r->flags & UAPI_PEER_HAS_PRESHARED_KEY ? r->preshared_key : zero;

	return right_prefixes(r, p, with_addrs) && !memcmp(psk, have, KEY_LEN) &&
	       r->keepalive == p->keepalive;
}

/* Which inventory peer key k belongs to and how: 0 none, 1 its key with
 * the addresses, 2 a next key waiting (no addresses).  rotated: the
 * running device r shows the next key without the old. */
static int role(const struct inv_peer *peers, size_t n, struct uapi_device *r,
		const uint8_t *k, const struct inv_peer **who)
{
	for (size_t i = 0; i < n; i++) {
		const struct inv_peer *p = &peers[i];
		bool rotated;
		if (p->state != INV_ACTIVE)
			continue;
		*who = p;
		rotated = p->has_next_key && model_find(r, p->next_key) &&
			  !model_find(r, p->public_key);
		if (!memcmp(k, p->public_key, KEY_LEN) && !rotated)
			return 1;
		if (p->has_next_key && !memcmp(k, p->next_key, KEY_LEN))
			return rotated ? 1 : 2;
	}
	return 0;
}

/* after is what `before` became: exactly the wanted keys, each right. */
static void check_result(const struct inv_peer *peers, size_t n, struct uapi_device *before,
			 struct uapi_device *after)
{
	size_t expect = 0;

	for (size_t i = 0; i < n; i++) {
		const struct inv_peer *p = &peers[i];
		if (p->state != INV_ACTIVE)
			continue;
		bool rotated = p->has_next_key && model_find(before, p->next_key) &&
			       !model_find(before, p->public_key);
		expect += p->has_next_key && !rotated ? 2 : 1;
	}
	CHECK_MSG(after->n_peers == expect, "%zu peers, %zu expected", after->n_peers, expect);
	for (size_t i = 0; i < after->n_peers; i++) {
		const struct inv_peer *who = NULL;
		int r = role(peers, n, before, after->peers[i].public_key, &who);
		CHECK_MSG(r != 0, "key %u should not be there", after->peers[i].public_key[0]);
		if (r)
			CHECK_MSG(right_peer(&after->peers[i], who, r == 1), "peer %s is wrong",
				  who->name);
	}
}

/* ---- random inventories and devices -------------------------------------- */

struct world {
	struct inv_peer peers[16];
	size_t n;
	struct uapi_device *running;
	unsigned next_host; /* distinct addresses for the inventory */
};

static void random_peer(struct world *w, struct inv_peer *p, unsigned key_i, int next_i)
{
	static const enum inv_state states[] = { INV_ACTIVE, INV_ACTIVE, INV_ACTIVE,
						 INV_PENDING, INV_DISABLED, INV_REVOKED,
						 INV_EXPIRED };
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "peer%u", key_i);
	pool_key(p->public_key, key_i);
	if (next_i >= 0) {
		p->has_next_key = true;
		pool_key(p->next_key, (unsigned)next_i);
	}
	p->state = states[rnd(7)];
	p->addrs[p->n_addrs++] = v4(10, 0, 0, 1 + w->next_host, 32);
	if (rnd(2))
		p->addrs[p->n_addrs++] = v6host(1 + w->next_host);
	if (rnd(3) == 0) /* a site, sometimes written with host bits */
		p->sites[p->n_sites++] = v4(192, 168, w->next_host, rnd(2), 24);
	w->next_host++;
	p->keepalive = rnd(2) ? 25 : 0;
	if (rnd(2)) {
		p->has_psk = true;
		memset(p->psk, 0x70 + (int)rnd(PSK_POOL), KEY_LEN);
	}
}

/* A running peer with pool key i: a copy of what the inventory wants for it
 * (sometimes), else random settings and prefixes. */
static void random_running_peer(struct world *w, unsigned i)
{
	uint8_t key[KEY_LEN];
	struct uapi_peer *r;
	unsigned k;

	pool_key(key, i);
	r = uapi_device_add_peer(w->running, key);
	if (rnd(2)) {
		r->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
		memset(r->preshared_key, 0x70 + (int)rnd(PSK_POOL), KEY_LEN);
	}
	r->flags |= UAPI_PEER_HAS_KEEPALIVE;
	r->keepalive = rnd(2) ? 25 : 0;
	r->last_handshake_sec = rnd(1000);
	for (k = rnd(3); k; k--) {
		struct netaddr_prefix x = rnd(2) ? v4(10, 0, 0, 1 + rnd(20), 32) : v6host(1 + rnd(20));
		model_add_prefix(w->running, key, &x);
	}
}

static void make_right(struct world *w, const struct inv_peer *p, const uint8_t *key,
		       bool with_addrs)
{
	struct uapi_peer *r = model_find(w->running, key);

	if (!r)
		r = uapi_device_add_peer(w->running, key);
	r->n_allowed_ips = 0;
	r->flags = UAPI_PEER_HAS_KEEPALIVE | (p->has_psk ? UAPI_PEER_HAS_PRESHARED_KEY : 0);
	memcpy(r->preshared_key, p->psk, KEY_LEN);
	r->keepalive = p->keepalive;
	for (size_t i = 0; with_addrs && i < p->n_addrs; i++)
		model_add_prefix(w->running, key, &p->addrs[i]);
	for (size_t i = 0; with_addrs && i < p->n_sites; i++)
		model_add_prefix(w->running, key, &p->sites[i]);
}

static void random_world(struct world *w)
{
	unsigned order[KEY_POOL];

	memset(w, 0, sizeof(*w));
	for (unsigned i = 0; i < KEY_POOL; i++)
		order[i] = i;
	for (unsigned i = KEY_POOL - 1; i; i--) {
		unsigned j = rnd(i + 1), t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	w->n = rnd(9);
	for (size_t i = 0; i < w->n; i++)
		random_peer(w, &w->peers[i], order[2 * i], rnd(4) == 0 ? (int)order[2 * i + 1] : -1);
	w->running = uapi_device_alloc();
	for (unsigned i = 0; i < KEY_POOL; i++)
		if (rnd(4) == 0)
			random_running_peer(w, i);
	for (size_t i = 0; i < w->n; i++) {
		const struct inv_peer *p = &w->peers[i];
		switch (rnd(4)) {
		case 0: /* already right */
			make_right(w, p, p->public_key, true);
			if (p->has_next_key)
				make_right(w, p, p->next_key, false);
			break;
		case 1: /* rotated already: the next key holds the addresses */
			if (p->has_next_key) {
				struct uapi_peer *old = model_find(w->running, p->public_key);
				if (old)
					model_remove(w->running, old);
				make_right(w, p, p->next_key, true);
			}
			break;
		default:
			break;
		}
	}
}

/* Peers of before that are already right have no entry in set. */
static void check_untouched(const struct world *w, struct uapi_device *before,
			    const struct uapi_device *set)
{
	for (size_t i = 0; i < before->n_peers; i++) {
		const struct inv_peer *who = NULL;
		const uint8_t *k = before->peers[i].public_key;
		int r = role(w->peers, w->n, before, k, &who);
		if (!r || !right_peer(&before->peers[i], who, r == 1))
			continue;
		for (size_t j = 0; j < set->n_peers; j++)
			CHECK_MSG(memcmp(set->peers[j].public_key, k, KEY_LEN),
				  "peer %s was right and is in the plan", who->name);
	}
}

static struct uapi_device *copy_device(const struct uapi_device *d)
{
	struct uapi_device *c = uapi_device_alloc();

	for (size_t i = 0; i < d->n_peers; i++) {
		struct uapi_peer *p = uapi_device_add_peer(c, d->peers[i].public_key);
		p->flags = d->peers[i].flags;
		memcpy(p->preshared_key, d->peers[i].preshared_key, KEY_LEN);
		p->keepalive = d->peers[i].keepalive;
		p->last_handshake_sec = d->peers[i].last_handshake_sec;
		for (size_t j = 0; j < d->peers[i].n_allowed_ips; j++)
			CHECK(uapi_peer_add_allowed_ip(p, &d->peers[i].allowed_ips[j].prefix,
						       UAPI_ALLOWED_IP_ADD) == 0);
	}
	return c;
}

static void one_round(void)
{
	struct world w;
	struct uapi_device *before, *set = NULL, *again = NULL;
	struct error err;

	random_world(&w);
	before = copy_device(w.running);
	CHECK(inv_plan(w.peers, w.n, w.running, &set, &err) == 0);
	if (!set)
		goto out;
	check_untouched(&w, before, set);
	model_apply(w.running, set);
	check_result(w.peers, w.n, before, w.running);
	CHECK(inv_plan(w.peers, w.n, w.running, &again, &err) == 0);
	CHECK_MSG(again && again->n_peers == 0, "the second plan has %zu entries",
		  again ? again->n_peers : 0);
	uapi_device_free(again);
	again = NULL;
	/* Some takeovers happen; the plan then wants the next key alone,
	 * which is what is there. */
	for (size_t i = 0; i < set->n_peers; i++) {
		const struct uapi_peer *e = &set->peers[i];
		if ((e->flags & UAPI_PEER_HAS_TAKEOVER) && rnd(2)) {
			CHECK(model_find(w.running, e->takeover_key) != NULL);
			model_takeover(w.running, e->public_key, e->takeover_key);
		}
	}
	CHECK(inv_plan(w.peers, w.n, w.running, &again, &err) == 0);
	CHECK_MSG(again && again->n_peers == 0, "after takeovers the plan has %zu entries",
		  again ? again->n_peers : 0);
out:
	uapi_device_free(again);
	uapi_device_free(set);
	uapi_device_free(before);
	uapi_device_free(w.running);
}

static void test_random(void)
{
	rng_state = 0x9e3779b97f4a7c15ULL;
	for (unsigned i = 0; i < 3000 && !harness_failures; i++)
		one_round();
}

/* ---- fixed cases ---------------------------------------------------------- */

static struct inv_peer fixed_peer(unsigned key_i, unsigned host)
{
	struct inv_peer p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "p%u", key_i);
	pool_key(p.public_key, key_i);
	p.state = INV_ACTIVE;
	p.addrs[p.n_addrs++] = v4(10, 0, 0, host, 32);
	return p;
}

static void test_empty(void)
{
	struct uapi_device *run = uapi_device_alloc(), *set = NULL;
	struct error err;

	CHECK(inv_plan(NULL, 0, run, &set, &err) == 0);
	CHECK(set && set->n_peers == 0 && !set->flags);
	uapi_device_free(set);
	CHECK(inv_plan(NULL, 0, NULL, &set, &err) == 0);
	CHECK(set && set->n_peers == 0);
	uapi_device_free(set);
	uapi_device_free(run);
}

static void test_entries(void)
{
	struct inv_peer p[3] = { fixed_peer(1, 2), fixed_peer(2, 3), fixed_peer(3, 4) };
	struct uapi_device *run = uapi_device_alloc(), *set = NULL;
	struct netaddr_prefix x = v4(10, 0, 0, 3, 32);
	uint8_t stranger[KEY_LEN];
	struct error err;

	p[0].keepalive = 25;
	p[2].state = INV_DISABLED;
	/* p1 is there with a wrong keepalive only; p3 is there but
	 * disabled; a stranger too. */
	make_right(&(struct world){ .running = run }, &p[1], p[1].public_key, true);
	model_find(run, p[1].public_key)->keepalive = 10;
	make_right(&(struct world){ .running = run }, &p[2], p[2].public_key, true);
	pool_key(stranger, 40);
	uapi_device_add_peer(run, stranger);
	CHECK(inv_plan(p, 3, run, &set, &err) == 0);
	CHECK(set->n_peers == 4);
	if (set->n_peers == 4) {
		/* removals first, in the running order */
		CHECK(set->peers[0].public_key[0] == 4 && set->peers[0].flags == UAPI_PEER_REMOVE);
		CHECK(set->peers[1].public_key[0] == 41 && set->peers[1].flags == UAPI_PEER_REMOVE);
		/* the change: keepalive alone, allowed IPs left alone */
		CHECK(set->peers[2].public_key[0] == 3);
		CHECK(set->peers[2].flags == UAPI_PEER_HAS_KEEPALIVE && set->peers[2].keepalive == 0);
		CHECK(set->peers[2].n_allowed_ips == 0);
		/* the new peer */
		CHECK(set->peers[3].public_key[0] == 2 && set->peers[3].keepalive == 25);
		CHECK(set->peers[3].n_allowed_ips == 1 &&
		      set->peers[3].allowed_ips[0].action == UAPI_ALLOWED_IP_ADD);
	}
	uapi_device_free(set);
	/* A different set of allowed IPs: replaced, whole. */
	struct netaddr_prefix extra = v4(10, 9, 9, 9, 32);
	model_add_prefix(run, p[1].public_key, &extra);
	model_find(run, p[1].public_key)->keepalive = 0;
	CHECK(inv_plan(&p[1], 1, run, &set, &err) == 0);
	CHECK(set->n_peers == 3); /* two removals, one change */
	if (set->n_peers == 3) {
		const struct uapi_peer *e = &set->peers[2];
		CHECK(e->public_key[0] == 3 && e->n_allowed_ips == 2 && !e->flags);
		CHECK(e->allowed_ips[0].action == UAPI_ALLOWED_IP_REPLACE);
		CHECK(netaddr_prefix_equal(&e->allowed_ips[1].prefix, &x));
	}
	uapi_device_free(set);
	uapi_device_free(run);
}

static void test_rotation(void)
{
	struct inv_peer p = fixed_peer(1, 2);
	struct uapi_device *run = uapi_device_alloc(), *set = NULL;
	struct inv_observed o;
	struct error err;

	p.has_next_key = true;
	pool_key(p.next_key, 9);
	make_right(&(struct world){ .running = run }, &p, p.public_key, true);
	model_find(run, p.public_key)->last_handshake_sec = 100;
	CHECK(inv_plan(&p, 1, run, &set, &err) == 0);
	CHECK(set->n_peers == 1);
	if (set->n_peers == 1) {
		const struct uapi_peer *e = &set->peers[0];
		CHECK(e->public_key[0] == 10 && e->flags == UAPI_PEER_HAS_TAKEOVER);
		CHECK(!memcmp(e->takeover_key, p.public_key, KEY_LEN) && !e->n_allowed_ips);
	}
	CHECK(inv_observe(&p, 1, run, &o, &err) == 0);
	CHECK(o.present && !o.rotated && o.last_handshake == 100);
	model_apply(run, set);
	uapi_device_free(set);
	model_takeover(run, p.next_key, p.public_key);
	model_find(run, p.next_key)->last_handshake_sec = 200;
	CHECK(inv_observe(&p, 1, run, &o, &err) == 0);
	CHECK(o.present && o.rotated && o.last_handshake == 200);
	CHECK(inv_plan(&p, 1, run, &set, &err) == 0);
	CHECK(set->n_peers == 0);
	uapi_device_free(set);
	uapi_device_free(run);
}

static void test_shared_key(void)
{
	struct inv_peer p[2] = { fixed_peer(1, 2), fixed_peer(2, 3) };
	struct uapi_device *set = (void *)1;
	struct error err;

	p[1].has_next_key = true;
	pool_key(p[1].next_key, 1);
	CHECK(inv_plan(p, 2, NULL, &set, &err) == -EINVAL);
	CHECK(set == NULL);
	CHECK(strstr(err.msg, "p1") && strstr(err.msg, "p2"));
}

static void test_observed_record(void)
{
	struct inv_peer p = fixed_peer(1, 2);
	struct inv_seen seen = { .peer = 1, .hub = "wg0" };
	struct inv_observed o = { .present = true, .last_handshake = 100 };

	snprintf(o.last_endpoint, sizeof(o.last_endpoint), "192.0.2.1:51820");
	CHECK(inv_observed_seen(&seen, &o) && !inv_observed_rotation(&p, &o));
	CHECK(seen.last_handshake == 100 && !strcmp(seen.last_endpoint, "192.0.2.1:51820"));
	CHECK(!inv_observed_seen(&seen, &o));
	/* A restarted daemon says never: the record keeps its handshake. */
	o.last_handshake = 0;
	o.last_endpoint[0] = '\0';
	CHECK(!inv_observed_seen(&seen, &o));
	CHECK(seen.last_handshake == 100 && seen.last_endpoint[0]);
	/* The takeover happened: the next key becomes the key. */
	p.has_next_key = true;
	p.rotate_until = 5;
	pool_key(p.next_key, 9);
	o.rotated = true;
	o.last_handshake = 200;
	CHECK(inv_observed_rotation(&p, &o) && inv_observed_seen(&seen, &o));
	CHECK(p.public_key[0] == 10 && !p.has_next_key && !p.rotate_until && !p.next_key[0]);
	CHECK(seen.last_handshake == 200);
	CHECK(!inv_observed_rotation(&p, &o));
	/* Not on the interface: nothing to keep. */
	o = (struct inv_observed){ 0 };
	CHECK(!inv_observed_seen(&seen, &o) && !inv_observed_rotation(&p, &o));
}

/* A stored record and a parsed reply agree on a prefix, however their
 * unused bytes differ: the bytes of an IPv4 address past its four and a
 * struct's padding are not part of the prefix.  (memcmp of the structs
 * found every peer changed on every apply.) */
static void test_unused_bytes(void)
{
	struct inv_peer p = fixed_peer(1, 2);
	struct uapi_device *run = uapi_device_alloc(), *set = NULL;
	struct uapi_peer *r;
	struct netaddr_prefix clean = v4(10, 0, 0, 2, 32);
	struct error err;

	memset((uint8_t *)&p.addrs[0].addr.in6 + 4, 0xa5, 12);
	memset((uint8_t *)&p.addrs[0] + offsetof(struct netaddr_prefix, cidr) + 1, 0x5a,
	       sizeof(p.addrs[0]) - offsetof(struct netaddr_prefix, cidr) - 1);
	CHECK(run != NULL);
	r = uapi_device_add_peer(run, p.public_key);
	CHECK(r != NULL);
	r->flags |= UAPI_PEER_HAS_KEEPALIVE;
	CHECK(uapi_peer_add_allowed_ip(r, &clean, UAPI_ALLOWED_IP_ADD) == 0);
	CHECK(inv_plan(&p, 1, run, &set, &err) == 0);
	CHECK_MSG(set && set->n_peers == 0, "%zu entries for a peer that is right",
		  set ? set->n_peers : 0);
	uapi_device_free(set);
	uapi_device_free(run);
}

static const struct harness_case cases[] = {
	{ "unused bytes of a prefix are no difference", test_unused_bytes },
	{ "empty inventory, empty plan", test_empty },
	{ "removals, changes, additions; only what differs", test_entries },
	{ "rotation: takeover entry, then the next key alone", test_rotation },
	{ "two peers with one key are refused", test_shared_key },
	{ "observations kept in the record", test_observed_record },
	{ "random inventories against the naive model", test_random },
};

HARNESS_MAIN(cases)
