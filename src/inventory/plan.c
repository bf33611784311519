/* The apply plan (plan.h): what the interface should hold, from the
 * inventory, compared key by key with what it holds.  Lookups go through
 * arrays sorted by key, so that 10,000 peers cost a few sorts, not a
 * quadratic scan. */
#include "plan.h"

#include "common/netaddr.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* One key the interface should hold. */
struct want {
	const uint8_t *key;
	const struct inv_peer *peer;
	bool with_addrs;          /* false: a next key waiting for its takeover */
	const uint8_t *takeover;  /* the old key it takes over from, or NULL */
};

/* ---- keys, sorted --------------------------------------------------------- */

static int cmp_running(const void *a, const void *b)
{
	const struct uapi_peer *const *x = a, *const *y = b;

	return memcmp((*x)->public_key, (*y)->public_key, KEY_LEN);
}

/* The running peers by key; *out NULL for none.  0 or -ENOMEM. */
static int index_running(const struct uapi_device *running, const struct uapi_peer ***out)
{
	const struct uapi_peer **v;
	size_t n = running ? running->n_peers : 0;

	*out = NULL;
	if (!n)
		return 0;
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		v[i] = &running->peers[i];
	qsort(v, n, sizeof(*v), cmp_running);
	*out = v;
	return 0;
}

static const struct uapi_peer *find_running(const struct uapi_peer **v, size_t n,
					    const uint8_t key[KEY_LEN])
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(v[mid]->public_key, key, KEY_LEN);
		if (!c)
			return v[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_want(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	return memcmp(x->key, y->key, KEY_LEN);
}

static bool wanted(const struct want *w, size_t n, const uint8_t key[KEY_LEN])
{
	const struct want probe = { .key = key };

	return n && bsearch(&probe, w, n, sizeof(*w), cmp_want);
}

/* ---- allowed IPs as sets ------------------------------------------------ */

static int cmp_prefix(const void *a, const void *b)
{
	const struct netaddr_prefix *x = a, *y = b;
	size_t len = x->addr.family == AF_INET ? 4 : 16;
	int c;

	if (x->addr.family != y->addr.family)
		return x->addr.family < y->addr.family ? -1 : 1;
	c = memcmp(&x->addr.in6, &y->addr.in6, len);
	if (c)
		return c;
	return (int)x->cidr - (int)y->cidr;
}

/* v[0..n) masked, sorted, without repeats; returns the new n.  The
 * routing table masks what it is given, so "10.0.0.1/24" and
 * "10.0.0.0/24" are one prefix on the interface. */
static size_t normalize(struct netaddr_prefix *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		netaddr_prefix_mask(&v[i]);
	qsort(v, n, sizeof(*v), cmp_prefix);
	for (size_t i = 0; i < n; i++)
		if (!k || cmp_prefix(&v[k - 1], &v[i]))
			v[k++] = v[i];
	return k;
}

enum { WANT_PREFIXES_MAX = INV_ADDRS_MAX + INV_SITES_MAX };

/* The allowed IPs w should have, normalized, into v; returns how many. */
static size_t want_prefixes(const struct want *w, struct netaddr_prefix v[WANT_PREFIXES_MAX])
{
	const struct inv_peer *p = w->peer;
	size_t n = 0;

	if (!w->with_addrs)
		return 0;
	for (size_t i = 0; i < p->n_addrs && i < INV_ADDRS_MAX; i++)
		v[n++] = p->addrs[i];
	for (size_t i = 0; i < p->n_sites && i < INV_SITES_MAX; i++)
		v[n++] = p->sites[i];
	return normalize(v, n);
}

/* Whether r's allowed IPs are exactly v[0..n); 0/1, or -ENOMEM. */
static int same_prefixes(const struct uapi_peer *r, const struct netaddr_prefix *v, size_t n)
{
	struct netaddr_prefix *have;
	size_t m = 0;
	int same;

	if (!r->n_allowed_ips)
		return n == 0;
	have = calloc(r->n_allowed_ips, sizeof(*have));
	if (!have)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_allowed_ips; i++)
		if (r->allowed_ips[i].action == UAPI_ALLOWED_IP_ADD)
			have[m++] = r->allowed_ips[i].prefix;
	m = normalize(have, m);
	/* Field by field: a struct's padding and an IPv4 address's unused
	 * bytes differ between a parsed reply and a stored record. */
	same = m == n;
	for (size_t i = 0; same && i < n; i++)
		same = !cmp_prefix(&have[i], &v[i]);
	free(have);
	return same;
}

/* ---- the wants ---------------------------------------------------------- */

/* Every key the interface should hold, sorted; *n_out of them.  0,
 * -ENOMEM, or -EINVAL for a key given twice. */
static int build_wants(const struct inv_peer *peers, size_t n, const struct uapi_peer **run,
		       size_t n_run, struct want **out, size_t *n_out, struct error *err)
{
	struct want *w = calloc(2 * n + 1, sizeof(*w));
	size_t k = 0;

	if (!w)
		return error_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct inv_peer *p = &peers[i];
		if (p->state != INV_ACTIVE)
			continue;
		if (!p->has_next_key) {
			w[k++] = (struct want){ .key = p->public_key, .peer = p, .with_addrs = true };
		} else if (find_running(run, n_run, p->next_key) &&
			   !find_running(run, n_run, p->public_key)) {
			/* The takeover happened: the next key is the peer now. */
			w[k++] = (struct want){ .key = p->next_key, .peer = p, .with_addrs = true };
		} else {
			w[k++] = (struct want){ .key = p->public_key, .peer = p, .with_addrs = true };
			w[k++] = (struct want){ .key = p->next_key, .peer = p,
						.takeover = p->public_key };
		}
	}
	qsort(w, k, sizeof(*w), cmp_want);
	for (size_t i = 1; i < k; i++) {
		if (!memcmp(w[i - 1].key, w[i].key, KEY_LEN)) {
			char b64[KEY_B64_LEN + 1];
			encoding_key_to_base64(b64, w[i].key);
			error_fail(err, -EINVAL, "peers %s and %s share the key %s",
				   w[i - 1].peer->name, w[i].peer->name, b64);
			free(w);
			return -EINVAL;
		}
	}
	*out = w;
	*n_out = k;
	return 0;
}

/* ---- entries of the plan ------------------------------------------------ */

static const uint8_t no_key[KEY_LEN];

static const uint8_t *want_psk(const struct want *w)
{
	return w->peer->has_psk ? w->peer->psk : no_key;
}

static const uint8_t *running_psk(const struct uapi_peer *r)
{
	return r->flags & UAPI_PEER_HAS_PRESHARED_KEY ? r->preshared_key : no_key;
}

static int add_prefixes(struct uapi_peer *e, const struct netaddr_prefix *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = uapi_peer_add_allowed_ip(e, &v[i], UAPI_ALLOWED_IP_ADD);
		if (r)
			return r;
	}
	return 0;
}

/* The entry for w, whose key r holds now (or NULL: a new peer); none if
 * r is already right.  0 or -ENOMEM. */
static int plan_want(struct uapi_device *set, const struct want *w, const struct uapi_peer *r)
{
	struct netaddr_prefix v[WANT_PREFIXES_MAX];
	size_t n = want_prefixes(w, v);
	bool psk, keepalive;
	struct uapi_peer *e;
	int same = 0;

	if (r) {
		same = same_prefixes(r, v, n);
		if (same < 0)
			return same;
		psk = memcmp(want_psk(w), running_psk(r), KEY_LEN) != 0;
		keepalive = r->keepalive != w->peer->keepalive;
		if (same && !psk && !keepalive)
			return 0;
	} else {
		psk = w->peer->has_psk;
		keepalive = w->peer->keepalive != 0;
	}
	e = uapi_device_add_peer(set, w->key);
	if (!e)
		return -errno;
	if (psk) {
		e->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
		memcpy(e->preshared_key, want_psk(w), KEY_LEN);
	}
	if (keepalive) {
		e->flags |= UAPI_PEER_HAS_KEEPALIVE;
		e->keepalive = w->peer->keepalive;
	}
	if (!r && w->takeover) {
		e->flags |= UAPI_PEER_HAS_TAKEOVER;
		memcpy(e->takeover_key, w->takeover, KEY_LEN);
	}
	if (same)
		return 0;
	if (r) {
		int ret = uapi_peer_add_allowed_ip(e, NULL, UAPI_ALLOWED_IP_REPLACE);
		if (ret)
			return ret;
	}
	return add_prefixes(e, v, n);
}

/* The three passes: removals, changes, additions.  0 or -ENOMEM. */
static int plan_entries(struct uapi_device *set, const struct want *w, size_t n_w,
			const struct uapi_device *running, const struct uapi_peer **run,
			size_t n_run)
{
	int ret = 0;

	for (size_t i = 0; running && i < running->n_peers; i++) {
		const struct uapi_peer *r = &running->peers[i];
		struct uapi_peer *e;
		if (wanted(w, n_w, r->public_key))
			continue;
		e = uapi_device_add_peer(set, r->public_key);
		if (!e)
			return -errno;
		e->flags |= UAPI_PEER_REMOVE;
	}
	for (size_t i = 0; i < n_w && !ret; i++) {
		const struct uapi_peer *r = find_running(run, n_run, w[i].key);
		if (r)
			ret = plan_want(set, &w[i], r);
	}
	for (size_t i = 0; i < n_w && !ret; i++)
		if (!find_running(run, n_run, w[i].key))
			ret = plan_want(set, &w[i], NULL);
	return ret;
}

int inv_plan(const struct inv_peer *peers, size_t n, const struct uapi_device *running,
	     struct uapi_device **set, struct error *err)
{
	const struct uapi_peer **run = NULL;
	size_t n_run = running ? running->n_peers : 0, n_w = 0;
	struct uapi_device *plan = NULL;
	struct want *w = NULL;
	int ret;

	*set = NULL;
	ret = index_running(running, &run);
	if (ret)
		return error_fail(err, ret, "out of memory");
	ret = build_wants(peers, n, run, n_run, &w, &n_w, err);
	if (ret)
		goto out;
	plan = uapi_device_alloc();
	if (!plan) {
		ret = error_fail(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (running)
		memcpy(plan->name, running->name, sizeof(plan->name));
	ret = plan_entries(plan, w, n_w, running, run, n_run);
	if (ret) {
		error_fail(err, ret, "building the plan: %s", strerror(-ret));
		uapi_device_free(plan);
		goto out;
	}
	*set = plan;
out:
	free(w);
	free(run);
	return ret;
}

/* ---- observe ------------------------------------------------------------ */

static void observe_one(struct inv_observed *o, const struct uapi_peer *r)
{
	char buf[NETADDR_ENDPOINT_STRLEN];

	o->present = true;
	o->last_handshake = r->last_handshake_sec;
	if (r->flags & UAPI_PEER_HAS_ENDPOINT)
		snprintf(o->last_endpoint, sizeof(o->last_endpoint), "%s",
			 uapi_endpoint_format(buf, &r->endpoint));
}

int inv_observe(const struct inv_peer *peers, size_t n, const struct uapi_device *running,
		struct inv_observed *out, struct error *err)
{
	const struct uapi_peer **run = NULL;
	size_t n_run = running ? running->n_peers : 0;
	int ret = index_running(running, &run);

	if (ret)
		return error_fail(err, ret, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct inv_peer *p = &peers[i];
		const struct uapi_peer *old = find_running(run, n_run, p->public_key);
		const struct uapi_peer *next =
			p->has_next_key ? find_running(run, n_run, p->next_key) : NULL;

		memset(&out[i], 0, sizeof(out[i]));
		if (next && !old)
			out[i].rotated = true;
		if (old)
			observe_one(&out[i], old);
		if (next && (!old || next->last_handshake_sec > old->last_handshake_sec))
			observe_one(&out[i], next);
	}
	free(run);
	return 0;
}

bool inv_observed_rotation(struct inv_peer *p, const struct inv_observed *o)
{
	if (!o->rotated || !p->has_next_key)
		return false;
	memcpy(p->public_key, p->next_key, KEY_LEN);
	memset(p->next_key, 0, KEY_LEN);
	p->has_next_key = false;
	p->rotate_until = 0;
	p->rotate_on_handshake = false;
	return true;
}

bool inv_observed_seen(struct inv_seen *seen, const struct inv_observed *o)
{
	bool changed = false;

	if (!o->present)
		return false;
	/* A handshake older than the one on record is a daemon restarted
	 * (it starts at never): the record keeps what it saw. */
	if (o->last_handshake > seen->last_handshake) {
		seen->last_handshake = o->last_handshake;
		changed = true;
	}
	if (o->last_endpoint[0] && strcmp(o->last_endpoint, seen->last_endpoint)) {
		snprintf(seen->last_endpoint, sizeof(seen->last_endpoint), "%s", o->last_endpoint);
		changed = true;
	}
	return changed;
}
