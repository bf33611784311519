/* The inventory's operations (inventory.h).  Every change runs as one
 * write transaction: read what it depends on, check, write, append the
 * log line, commit.  A failed check rolls back, so nothing is left
 * half-done and the log never speaks of a change that did not happen. */
#include "inventory.h"

#include "alloc.h"
#include "hubs.h"

#include "conf/config.h"
#include "crypto/crypto.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Runs the read or write transaction body(arg) against c's store once. */
static int in_tx_once(const struct inv_ctx *c, bool write,
		      int (*body)(const struct inv_ctx *c, void *arg, struct error *err), void *arg,
		      struct error *err)
{
	int r = inv_store_begin(c->store, write, err);

	if (r)
		return r;
	r = body(c, arg, err);
	if (r) {
		inv_store_rollback(c->store);
		return r;
	}
	r = inv_store_commit(c->store, err);
	if (r)
		inv_store_rollback(c->store);
	return r;
}

/* The wait before the next try: random, up to 2, 4, ... 64 ms and then
 * 100 ms, so that transactions that collided do not collide again in
 * step.  A real sleep: `now` is the caller's for the records, and the
 * wait needs none. */
static void backoff(unsigned tried)
{
	uint32_t cap = (tried < 7 ? 1000u << tried : 100000u), us;
	struct timespec ts;

	if (crypto_random_uniform(cap, &us))
		us = cap / 2;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (long)(us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

/* in_tx_once, again while the store says that a concurrent transaction
 * won (-EAGAIN: PostgreSQL's serialization failures, deadlocks, an
 * address taken meanwhile), from the first read, so that every check is
 * made again on what the winner wrote.  The bodies here start from their
 * arguments each time: a failed try leaves nothing behind. */
int inv_transaction(const struct inv_ctx *c, bool write,
		    int (*body)(const struct inv_ctx *c, void *arg, struct error *err), void *arg,
		    struct error *err)
{
	int r = 0;

	for (unsigned tried = 0; tried < INV_TX_TRIES; tried++) {
		if (tried)
			backoff(tried);
		r = in_tx_once(c, write, body, arg, err);
		if (r != -EAGAIN)
			return r;
	}
	error_prefix(err, "gave up after %d tries, each lost to a concurrent change",
		     INV_TX_TRIES);
	return r;
}

int inv_append(const struct inv_ctx *c, const char *iface, const char *peer,
	       const char *action, struct error *err, const char *fmt, ...)
{
	struct inv_log_entry e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	e.at = c->now;
	snprintf(e.who, sizeof(e.who), "%s", c->who ? c->who : "");
	snprintf(e.iface, sizeof(e.iface), "%s", iface);
	snprintf(e.peer, sizeof(e.peer), "%s", peer);
	snprintf(e.action, sizeof(e.action), "%s", action);
	va_start(ap, fmt);
	vsnprintf(e.detail, sizeof(e.detail), fmt, ap);
	va_end(ap);
	return c->store->ops->append_log(c->store, &e, err);
}

/* "YYYY-MM-DD HH:MM UTC" for messages and the log. */
static const char *when(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%d %H:%M UTC", &tm))
		snprintf(buf, 32, "%lld", (long long)t);
	return buf;
}

/* Comma-separated canonical prefixes. */
const char *inv_join(const struct netaddr_prefix *v, size_t n, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < size; i++) {
		char p[NETADDR_PREFIX_STRLEN];
		int w = snprintf(buf + off, size - off, "%s%s", i ? "," : "",
				 netaddr_format_prefix(p, &v[i]));

		off += w > 0 ? (size_t)w : 0;
	}
	return n ? buf : "none";
}

/* ---- the interface -------------------------------------------------- */

struct pick_arg {
	const char *given;
	char *out;
};

static int pick_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct pick_arg *a = arg;
	char **names;
	size_t n;
	int r = c->store->ops->list_interfaces(c->store, &names, &n, err);

	if (r)
		return r;
	if (a->given) {
		r = -ENOENT;
		for (size_t i = 0; i < n; i++)
			if (!strcmp(names[i], a->given))
				r = 0;
		if (r)
			error_fail(err, r, "interface %s is not in the inventory (rampart peer init)",
				   a->given);
		else
			snprintf(a->out, IFNAMSIZ, "%s", a->given);
	} else if (n == 1) {
		snprintf(a->out, IFNAMSIZ, "%s", names[0]);
	} else if (n == 0) {
		r = error_fail(err, -ENOENT, "the inventory has no interface yet (rampart peer init)");
	} else {
		r = error_fail(err, -EINVAL, "the inventory has %zu interfaces: say which with -i",
			       n);
	}
	inv_names_free(names, n);
	return r;
}

int inv_pick_interface(const struct inv_ctx *c, const char *given, char out[IFNAMSIZ],
		       struct error *err)
{
	struct pick_arg a = { given, out };

	return inv_transaction(c, false, pick_body, &a, err);
}

int inv_get_hub(const struct inv_ctx *c, const char *iface, struct inv_interface *out,
		struct error *err)
{
	bool found;
	int r = c->store->ops->get_interface(c->store, iface, out, &found, err);

	if (r == -ENOENT || (!r && !found))
		return error_fail(err, -ENOENT, "interface %s is not in the inventory", iface);
	return r;
}

static int init_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct inv_interface ifc = *(const struct inv_interface *)arg, old;
	char pools[INV_POOLS_MAX * NETADDR_PREFIX_STRLEN];
	bool found;
	int r = c->store->ops->get_interface(c->store, ifc.name, &old, &found, err);

	if (r && r != -ENOENT)
		return r;
	r = inv_hub_settle(c, &ifc, &old, found, err);
	if (r)
		return r;
	ifc.created = found ? old.created : c->now;
	r = c->store->ops->put_interface(c->store, &ifc, err);
	if (r)
		return r;
	return inv_append(c, ifc.name, "", found ? "reinit" : "init", err,
			  "endpoint=%s pools=%s dns=%zu full_tunnel=%s ifname=%s space=%s",
			  ifc.endpoint, inv_join(ifc.pools, ifc.n_pools, pools, sizeof(pools)),
			  ifc.n_dns, ifc.full_tunnel ? "yes" : "no", ifc.ifname, ifc.space);
}

int inv_init(const struct inv_ctx *c, const struct inv_interface *ifc, struct error *err)
{
	if (!conf_valid_ifname(ifc->name))
		return error_fail(err, -EINVAL, "bad interface name \"%s\"", ifc->name);
	if (!ifc->endpoint[0])
		return error_fail(err, -EINVAL, "%s: an endpoint (HOST:PORT) is needed", ifc->name);
	for (size_t i = 0; i < ifc->n_pools; i++) {
		for (size_t j = 0; j < i; j++) {
			char a[NETADDR_PREFIX_STRLEN], b[NETADDR_PREFIX_STRLEN];

			if (inv_prefix_overlaps(&ifc->pools[i], &ifc->pools[j]))
				return error_fail(err, -EINVAL, "pool %s overlaps pool %s",
						  netaddr_format_prefix(a, &ifc->pools[i]),
						  netaddr_format_prefix(b, &ifc->pools[j]));
		}
	}
	return inv_transaction(c, true, init_body, (void *)ifc, err);
}

/* ---- add ------------------------------------------------------------ */

struct add_arg {
	struct inv_peer *p;
	bool generated;
	char hubs[INV_HUBS_MAX][IFNAMSIZ]; /* p's as the caller gave them */
	size_t n_hubs;
};

/* Every address in use in the space (its peers', revoked ones have
 * none), for the allocator. */
static int addresses_in_use(const struct inv_peer *peers, size_t n,
			    struct netaddr_prefix **out, size_t *n_out)
{
	size_t count = 0;

	*out = malloc((n * INV_ADDRS_MAX + 1) * sizeof(**out));
	if (!*out)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < peers[i].n_addrs; j++)
			(*out)[count++] = peers[i].addrs[j];
	*n_out = count;
	return 0;
}

static int allocate(const struct inv_interface *ifc, const struct inv_peer *peers, size_t n,
		    struct inv_peer *p, struct error *err)
{
	struct netaddr_prefix *used;
	size_t n_used;
	int r = addresses_in_use(peers, n, &used, &n_used);

	if (r)
		return error_fail(err, r, "out of memory");
	p->n_addrs = 0;
	for (size_t i = 0; i < ifc->n_pools && p->n_addrs < INV_ADDRS_MAX; i++) {
		char buf[NETADDR_PREFIX_STRLEN];

		r = inv_alloc_next(&ifc->pools[i], used, n_used, &p->addrs[p->n_addrs]);
		if (r == -ENOSPC) {
			r = error_fail(err, -ENOSPC, "pool %s of %s is exhausted: no address left",
				       netaddr_format_prefix(buf, &ifc->pools[i]), ifc->name);
			break;
		}
		if (r) {
			error_fail(err, r, "out of memory");
			break;
		}
		p->n_addrs++;
	}
	free(used);
	return r;
}

/* A site must not overlap another peer's addresses or sites, nor a pool
 * (whose addresses are given to peers), unless the operator means it. */
static int check_sites(const struct inv_interface *ifc, const struct inv_peer *peers,
		       size_t n, const struct inv_peer *p, struct error *err)
{
	for (size_t i = 0; i < p->n_sites && !p->allow_overlap; i++) {
		char a[NETADDR_PREFIX_STRLEN], b[NETADDR_PREFIX_STRLEN];
		struct netaddr_prefix with;
		const struct inv_peer *o = inv_alloc_overlap(&p->sites[i], peers, n, p->id, &with);

		netaddr_format_prefix(a, &p->sites[i]);
		if (o)
			return error_fail(err, -EEXIST,
					  "site %s overlaps %s of peer %s (--allow-overlap if meant)",
					  a, netaddr_format_prefix(b, &with), o->name);
		for (size_t j = 0; j < ifc->n_pools; j++) {
			if (inv_prefix_overlaps(&p->sites[i], &ifc->pools[j]))
				return error_fail(err, -EEXIST,
						  "site %s overlaps pool %s of %s (--allow-overlap if meant)",
						  a, netaddr_format_prefix(b, &ifc->pools[j]),
						  ifc->name);
		}
	}
	return 0;
}

static int add_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct add_arg *a = arg;
	struct inv_peer *p = a->p, *peers = NULL;
	struct inv_interface ifc;
	char addrs[128], sites[INV_SITES_MAX * NETADDR_PREFIX_STRLEN], key[KEY_B64_LEN + 1];
	size_t n = 0;
	int r = inv_get_hub(c, p->iface, &ifc, err);

	if (r)
		return r;
	/* The whole space: its hubs give addresses from the same pools and
	 * route each other's peers' sites. */
	r = c->store->ops->list_peer_set(c->store, INV_SET_SPACE, ifc.space, &peers, &n, err);
	if (r)
		return r;
	p->id = 0;
	r = check_sites(&ifc, peers, n, p, err);
	if (!r)
		r = allocate(&ifc, peers, n, p, err);
	free(peers);
	if (r)
		return r;
	p->full_tunnel = ifc.full_tunnel;
	p->created = c->now;
	p->state = a->generated ? INV_ACTIVE : INV_PENDING;
	p->approved = a->generated ? c->now : 0;
	snprintf(p->approved_by, sizeof(p->approved_by), "%s",
		 a->generated && c->who ? c->who : "");
	r = c->store->ops->insert_peer(c->store, p, err);
	if (r)
		return r;
	encoding_key_to_base64(key, p->public_key);
	r = inv_append(c, p->iface, p->name, "add", err,
		       "%s key=%s owner=%s addresses=%s sites=%s%s", inv_state_name(p->state),
		       key, p->owner, inv_join(p->addrs, p->n_addrs, addrs, sizeof(addrs)),
		       inv_join(p->sites, p->n_sites, sites, sizeof(sites)),
		       p->allow_overlap ? " allow_overlap" : "");
	memcpy(p->hubs, a->hubs, sizeof(p->hubs));
	p->n_hubs = a->n_hubs;
	return r ? r : inv_hub_assign_new(c, p, err);
}

int inv_add(const struct inv_ctx *c, struct inv_peer *p, bool generated, struct error *err)
{
	struct add_arg a = { p, generated, { { 0 } }, 0 };
	const char *why;

	if (p->n_hubs > INV_HUBS_MAX)
		return error_fail(err, -EINVAL, "peer %s: at most %d hubs besides its home",
				  p->name, INV_HUBS_MAX);
	memcpy(a.hubs, p->hubs, sizeof(a.hubs));
	a.n_hubs = p->n_hubs;

	if (!inv_valid_name(p->name, &why))
		return error_fail(err, -EINVAL, "bad name \"%s\": %s", p->name, why);
	if (!inv_valid_text(p->owner, &why) || !inv_valid_text(p->device, &why) ||
	    !inv_valid_text(p->notes, &why))
		return error_fail(err, -EINVAL, "bad owner, device or notes: %s", why);
	if (encoding_key_is_zero(p->public_key))
		return error_fail(err, -EINVAL, "peer %s: the public key is all zeros", p->name);
	if (p->expires && p->expires <= c->now)
		return error_fail(err, -EINVAL, "peer %s: the expiry lies in the past", p->name);
	for (size_t i = 0; i < p->n_sites; i++)
		netaddr_prefix_mask(&p->sites[i]);
	return inv_transaction(c, true, add_body, &a, err);
}

/* ---- state changes -------------------------------------------------- */

enum change { CH_APPROVE, CH_DISABLE, CH_ENABLE, CH_REVOKE };

struct change_arg {
	enum change what;
	const char *iface, *name;
	int64_t expires;
	struct inv_peer *out;
};

int inv_find(const struct inv_ctx *c, const char *iface, const char *name,
	     struct inv_peer *p, struct error *err)
{
	bool found;
	int r = c->store->ops->find_peer(c->store, iface, name, p, &found, err);

	if (r == -ENOENT || (!r && !found))
		return error_fail(err, -ENOENT, "no peer %s on %s", name, iface);
	return r;
}

static int refuse(const struct inv_peer *p, const char *verb, const char *want,
		  struct error *err)
{
	return error_fail(err, -EINVAL, "cannot %s peer %s: it is %s%s%s", verb, p->name,
			  inv_state_name(p->state), want ? ", not " : "", want ? want : "");
}

/* enable's checks and changes: a peer past its expiry needs a new one. */
static int enable(const struct inv_ctx *c, struct inv_peer *p, int64_t expires,
		  char *detail, size_t size, struct error *err)
{
	char buf[32];

	if (p->state != INV_DISABLED && p->state != INV_EXPIRED)
		return refuse(p, "enable", "disabled or expired", err);
	if (expires && expires <= c->now)
		return error_fail(err, -EINVAL, "peer %s: the new expiry %s lies in the past",
				  p->name, when(expires, buf));
	if (!expires && (p->state == INV_EXPIRED || (p->expires && p->expires <= c->now)))
		return error_fail(err, -EINVAL,
				  "peer %s expired on %s: enable it with a new expiry (--expires)",
				  p->name, when(p->expires, buf));
	if (expires) {
		p->expires = expires;
		snprintf(detail, size, "expires=%s", when(expires, buf));
	}
	p->state = INV_ACTIVE;
	return 0;
}

static int change_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct change_arg *a = arg;
	static const char *const actions[] = { "approve", "disable", "enable", "revoke" };
	char detail[INV_TEXT_MAX + 1] = "", buf[INV_TEXT_MAX + 1];
	struct inv_peer p;
	enum inv_state was;
	int r = inv_find(c, a->iface, a->name, &p, err);

	if (r)
		return r;
	was = p.state;
	switch (a->what) {
	case CH_APPROVE:
		if (p.state != INV_PENDING)
			return refuse(&p, "approve", "pending", err);
		p.state = INV_ACTIVE;
		p.approved = c->now;
		snprintf(p.approved_by, sizeof(p.approved_by), "%s", c->who ? c->who : "");
		break;
	case CH_DISABLE:
		if (p.state != INV_ACTIVE)
			return refuse(&p, "disable", "active", err);
		p.state = INV_DISABLED;
		break;
	case CH_ENABLE:
		r = enable(c, &p, a->expires, detail, sizeof(detail), err);
		if (r)
			return r;
		break;
	case CH_REVOKE:
		if (p.state == INV_REVOKED)
			return refuse(&p, "revoke", NULL, err);
		/* The keys stay, a rotation's next one too (UNIQUE and
		 * find_key keep them from coming back); what it routed is
		 * given back to the pools and to other peers. */
		snprintf(detail, sizeof(detail), "released %s",
			 inv_join(p.addrs, p.n_addrs, buf, sizeof(buf)));
		p.state = INV_REVOKED;
		p.n_addrs = p.n_sites = 0;
		p.rotate_until = 0;
		break;
	}
	r = c->store->ops->update_peer(c->store, &p, err);
	if (!r)
		r = inv_append(c, p.iface, p.name, actions[a->what], err, "%s -> %s%s%s",
			   inv_state_name(was), inv_state_name(p.state), detail[0] ? " " : "",
			   detail);
	if (!r && a->out)
		*a->out = p;
	return r;
}

static int change(const struct inv_ctx *c, enum change what, const char *iface,
		  const char *name, int64_t expires, struct inv_peer *out, struct error *err)
{
	struct change_arg a = { what, iface, name, expires, out };

	return inv_transaction(c, true, change_body, &a, err);
}

int inv_approve(const struct inv_ctx *c, const char *iface, const char *name,
		struct inv_peer *out, struct error *err)
{
	return change(c, CH_APPROVE, iface, name, 0, out, err);
}

int inv_disable(const struct inv_ctx *c, const char *iface, const char *name,
		struct inv_peer *out, struct error *err)
{
	return change(c, CH_DISABLE, iface, name, 0, out, err);
}

int inv_enable(const struct inv_ctx *c, const char *iface, const char *name, int64_t expires,
	       struct inv_peer *out, struct error *err)
{
	return change(c, CH_ENABLE, iface, name, expires, out, err);
}

int inv_revoke(const struct inv_ctx *c, const char *iface, const char *name,
	       struct inv_peer *out, struct error *err)
{
	return change(c, CH_REVOKE, iface, name, 0, out, err);
}

/* ---- rotation ------------------------------------------------------- */

struct rotate_arg {
	const char *iface, *name;
	const uint8_t *key;
	int64_t until;
	struct inv_peer *out;
};

static int rotate_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct rotate_arg *a = arg;
	struct inv_peer *p = a->out, other;
	char b64[KEY_B64_LEN + 1], buf[32];
	bool found;
	int r = c->store->ops->find_peer(c->store, a->iface, a->name, p, &found, err);

	if (r == -ENOENT || (!r && !found))
		return error_fail(err, -ENOENT, "no peer %s on %s", a->name, a->iface);
	if (r)
		return r;
	if (p->state != INV_ACTIVE)
		return error_fail(err, -EINVAL, "%s is %s: only an active peer rotates its key",
				  p->name, inv_state_name(p->state));
	if (p->has_next_key)
		return error_fail(err, -EBUSY, "%s is rotating already (window until %s)",
				  p->name, when(p->rotate_until, buf));
	r = c->store->ops->find_key(c->store, a->key, &other, &found, err);
	if (r && r != -ENOENT)
		return r;
	if (!r && found)
		return error_fail(err, -EEXIST, "the new key is %s's already (%s)", other.name,
				  inv_state_name(other.state));
	p->has_next_key = true;
	memcpy(p->next_key, a->key, KEY_LEN);
	p->rotate_until = a->until;
	p->rotate_on_handshake = true;
	r = c->store->ops->update_peer(c->store, p, err);
	encoding_key_to_base64(b64, a->key);
	return r ? r : inv_append(c, p->iface, p->name, "rotate", err,
			      "new key %s; the old one ends at its first handshake or %s", b64,
			      when(a->until, buf));
}

int inv_rotate(const struct inv_ctx *c, const char *iface, const char *name,
	       const uint8_t key[KEY_LEN], int64_t until, struct inv_peer *out, struct error *err)
{
	struct rotate_arg a = { iface, name, key, until, out };

	if (until <= c->now)
		return error_fail(err, -EINVAL, "the window must end after now");
	return inv_transaction(c, true, rotate_body, &a, err);
}

/* The end of a window the client let pass: the new key takes over for
 * good (the old one stops, as the operator was told), logged. */
static int window_end(const struct inv_ctx *c, struct inv_peer *p, struct error *err)
{
	char b64[KEY_B64_LEN + 1], buf[32];
	int r;

	memcpy(p->public_key, p->next_key, KEY_LEN);
	p->has_next_key = false;
	memset(p->next_key, 0, KEY_LEN);
	encoding_key_to_base64(b64, p->public_key);
	r = c->store->ops->update_peer(c->store, p, err);
	return r ? r : inv_append(c, p->iface, p->name, "rotated", err,
			      "window ended %s: the old key stops, %s is the key",
			      when(p->rotate_until, buf), b64);
}

/* ---- expiry --------------------------------------------------------- */

struct expire_arg {
	const char *iface;
	size_t n;
};

static int expire_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct expire_arg *a = arg;
	struct inv_peer *peers;
	size_t n;
	/* A hub's: its own and those assigned to it, whose expiry would
	 * otherwise wait for a command of their home hub to take them off
	 * its interface. */
	int r = a->iface ? inv_store_hub_peers(c->store, a->iface, &peers, &n, err)
			 : c->store->ops->list_peers(c->store, NULL, &peers, &n, err);

	if (r)
		return r;
	a->n = 0;
	for (size_t i = 0; !r && i < n; i++) {
		struct inv_peer *p = &peers[i];
		enum inv_state was = p->state;
		char buf[32];

		if (p->has_next_key && p->rotate_until && p->rotate_until <= c->now &&
		    p->state == INV_ACTIVE) {
			r = window_end(c, p, err);
			if (r)
				break;
		}
		if (!p->expires || p->expires > c->now || p->state == INV_REVOKED ||
		    p->state == INV_EXPIRED)
			continue;
		p->state = INV_EXPIRED;
		r = c->store->ops->update_peer(c->store, p, err);
		if (!r)
			r = inv_append(c, p->iface, p->name, "expired", err, "%s -> expired: expiry %s",
				   inv_state_name(was), when(p->expires, buf));
		a->n++;
	}
	free(peers);
	return r;
}

int inv_expire_due(const struct inv_ctx *c, const char *iface, size_t *n, struct error *err)
{
	struct expire_arg a = { iface, 0 };
	int r = inv_transaction(c, true, expire_body, &a, err);

	if (n)
		*n = r ? 0 : a.n;
	return r;
}

/* ---- reads ---------------------------------------------------------- */

struct read_arg {
	const char *iface, *name;
	void *out;
	size_t *n;
};

static int list_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct read_arg *a = arg;
	struct inv_interface ifc;
	int r = inv_get_hub(c, a->iface, &ifc, err);

	return r ? r : c->store->ops->list_peers(c->store, a->iface, a->out, a->n, err);
}

int inv_list(const struct inv_ctx *c, const char *iface, struct inv_peer **out, size_t *n,
	     struct error *err)
{
	struct read_arg a = { iface, NULL, out, n };

	*out = NULL;
	*n = 0;
	return inv_transaction(c, false, list_body, &a, err);
}

static int show_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct read_arg *a = arg;

	return inv_find(c, a->iface, a->name, a->out, err);
}

int inv_show(const struct inv_ctx *c, const char *iface, const char *name,
	     struct inv_peer *out, struct error *err)
{
	struct read_arg a = { iface, name, out, NULL };

	return inv_transaction(c, false, show_body, &a, err);
}

static int log_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct read_arg *a = arg;

	return c->store->ops->list_log(c->store, a->iface, a->name, a->out, a->n, err);
}

int inv_log(const struct inv_ctx *c, const char *iface, const char *peer,
	    struct inv_log_entry **out, size_t *n, struct error *err)
{
	struct read_arg a = { iface, peer, out, n };

	*out = NULL;
	*n = 0;
	return inv_transaction(c, false, log_body, &a, err);
}

static int iface_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct read_arg *a = arg;

	return inv_get_hub(c, a->iface, a->out, err);
}

int inv_get_interface(const struct inv_ctx *c, const char *iface, struct inv_interface *out,
		      struct error *err)
{
	struct read_arg a = { iface, NULL, out, NULL };

	return inv_transaction(c, false, iface_body, &a, err);
}

/* ---- import --------------------------------------------------------- */

static bool is_host(const struct netaddr_prefix *x)
{
	return x->cidr == (x->addr.family == AF_INET ? 32 : 128);
}

/* x is an address of pool i: or -EINVAL when pool i has one already or x
 * is the hub's own. */
static int split_addr(const struct inv_interface *ifc, size_t pool,
		      const struct netaddr_prefix *x, struct inv_peer *p, size_t *owner,
		      struct error *err)
{
	char a[NETADDR_PREFIX_STRLEN], b[NETADDR_PREFIX_STRLEN];
	struct netaddr_prefix hub;

	netaddr_format_prefix(a, x);
	netaddr_format_prefix(b, &ifc->pools[pool]);
	inv_alloc_hub(&ifc->pools[pool], &hub);
	if (netaddr_prefix_equal(&hub, x))
		return error_fail(err, -EINVAL, "peer %s: %s is the hub's own address in pool %s",
				  p->name, a, b);
	for (size_t j = 0; j < p->n_addrs; j++) {
		char c[NETADDR_PREFIX_STRLEN];

		if (owner[j] == pool)
			return error_fail(err, -EINVAL,
					  "peer %s: %s and %s are both in pool %s (the inventory "
					  "gives a peer one address per pool)", p->name,
					  netaddr_format_prefix(c, &p->addrs[j]), a, b);
	}
	if (p->n_addrs == INV_ADDRS_MAX)
		return error_fail(err, -EINVAL, "peer %s: more than %d addresses", p->name,
				  INV_ADDRS_MAX);
	owner[p->n_addrs] = pool;
	p->addrs[p->n_addrs++] = *x;
	return 0;
}

int inv_import_split(const struct inv_interface *ifc, const struct netaddr_prefix *ips,
		     size_t n, struct inv_peer *p, struct error *err)
{
	size_t owner[INV_ADDRS_MAX];

	p->n_addrs = p->n_sites = 0;
	for (size_t i = 0; i < n; i++) {
		struct netaddr_prefix x = ips[i];
		size_t pool = ifc->n_pools;
		bool seen = false;
		int r;

		netaddr_prefix_mask(&x);
		for (size_t j = 0; j < i && !seen; j++) {
			struct netaddr_prefix y = ips[j];

			netaddr_prefix_mask(&y);
			seen = netaddr_prefix_equal(&x, &y);
		}
		if (seen)
			continue;
		for (size_t j = 0; j < ifc->n_pools && pool == ifc->n_pools; j++)
			if (is_host(&x) && netaddr_prefix_contains(&ifc->pools[j], &x))
				pool = j;
		if (pool < ifc->n_pools) {
			r = split_addr(ifc, pool, &x, p, owner, err);
			if (r)
				return r;
			continue;
		}
		if (p->n_sites == INV_SITES_MAX)
			return error_fail(err, -EINVAL,
					  "peer %s: more than %d AllowedIPs outside its addresses",
					  p->name, INV_SITES_MAX);
		p->sites[p->n_sites++] = x;
	}
	return 0;
}

struct import_arg {
	struct inv_peer *peers;
	size_t n;
};

/* p's name and key against the inventory (have) and the peers imported
 * before it (batch, k of them). */
static int import_unique(const struct inv_ctx *c, const struct inv_peer *p,
			 const struct inv_peer *batch, size_t k, struct error *err)
{
	struct inv_peer other;
	bool found = false;
	int r = c->store->ops->find_key(c->store, p->public_key, &other, &found, err);

	if (r && r != -ENOENT)
		return r;
	if (found)
		return error_fail(err, -EEXIST,
				  "peer %s: its key is already in the inventory as peer %s on %s "
				  "(%s)", p->name, other.name, other.iface, inv_state_name(other.state));
	found = false;
	r = c->store->ops->find_peer(c->store, p->iface, p->name, &other, &found, err);
	if (r && r != -ENOENT)
		return r;
	if (found)
		return error_fail(err, -EEXIST, "peer %s: the name is taken on %s (a peer %s)",
				  p->name, p->iface, inv_state_name(other.state));
	for (size_t j = 0; j < k; j++) {
		if (!strcmp(batch[j].name, p->name))
			return error_fail(err, -EEXIST, "two peers are named %s", p->name);
		if (!memcmp(batch[j].public_key, p->public_key, KEY_LEN))
			return error_fail(err, -EEXIST, "peers %s and %s have the same key",
					  batch[j].name, p->name);
	}
	return 0;
}

/* p's addresses and sites against the inventory's peers (have, nh), the
 * ones imported before it (batch, k) and, for sites, the pools. */
static int import_overlaps(const struct inv_interface *ifc, const struct inv_peer *p,
			   const struct inv_peer *have, size_t nh, const struct inv_peer *batch,
			   size_t k, struct error *err)
{
	for (size_t i = 0; i < p->n_addrs + p->n_sites; i++) {
		bool site = i >= p->n_addrs;
		const struct netaddr_prefix *x = site ? &p->sites[i - p->n_addrs] : &p->addrs[i];
		char a[NETADDR_PREFIX_STRLEN], b[NETADDR_PREFIX_STRLEN];
		struct netaddr_prefix with;
		const struct inv_peer *o = inv_alloc_overlap(x, have, nh, 0, &with);

		if (!o)
			o = inv_alloc_overlap(x, batch, k, 0, &with);
		netaddr_format_prefix(a, x);
		if (o)
			return error_fail(err, -EEXIST, "peer %s: %s overlaps %s of peer %s",
					  p->name, a, netaddr_format_prefix(b, &with), o->name);
		for (size_t j = 0; site && j < ifc->n_pools; j++)
			if (inv_prefix_overlaps(x, &ifc->pools[j]))
				return error_fail(err, -EEXIST,
						  "peer %s: site %s overlaps pool %s of %s", p->name,
						  a, netaddr_format_prefix(b, &ifc->pools[j]),
						  ifc->name);
	}
	return 0;
}

/* The split again, against the pools as the transaction sees them. */
static int import_resplit(const struct inv_interface *ifc, struct inv_peer *p,
			  struct error *err)
{
	struct netaddr_prefix ips[INV_ADDRS_MAX + INV_SITES_MAX];
	size_t n = 0;

	for (size_t i = 0; i < p->n_addrs && i < INV_ADDRS_MAX; i++)
		ips[n++] = p->addrs[i];
	for (size_t i = 0; i < p->n_sites && i < INV_SITES_MAX; i++)
		ips[n++] = p->sites[i];
	return inv_import_split(ifc, ips, n, p, err);
}

static int import_one(const struct inv_ctx *c, const struct inv_interface *ifc,
		      struct inv_peer *p, const struct inv_peer *have, size_t nh,
		      const struct inv_peer *batch, size_t k, struct error *err)
{
	char addrs[128], sites[INV_SITES_MAX * NETADDR_PREFIX_STRLEN], key[KEY_B64_LEN + 1];
	int r = import_resplit(ifc, p, err);

	if (!r)
		r = import_unique(c, p, batch, k, err);
	if (!r)
		r = import_overlaps(ifc, p, have, nh, batch, k, err);
	if (r)
		return r;
	p->id = 0;
	p->allow_overlap = false;
	p->full_tunnel = ifc->full_tunnel;
	p->state = INV_ACTIVE;
	p->created = p->approved = c->now;
	snprintf(p->approved_by, sizeof(p->approved_by), "%s", c->who ? c->who : "");
	r = c->store->ops->insert_peer(c->store, p, err);
	if (r)
		return r;
	encoding_key_to_base64(key, p->public_key);
	return inv_append(c, p->iface, p->name, "import", err,
		      "active key=%s owner=%s addresses=%s sites=%s keepalive=%u%s", key, p->owner,
		      inv_join(p->addrs, p->n_addrs, addrs, sizeof(addrs)),
		      inv_join(p->sites, p->n_sites, sites, sizeof(sites)), p->keepalive,
		      p->has_psk ? " preshared_key" : "");
}

static int import_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct import_arg *a = arg;
	struct inv_interface ifc;
	struct inv_peer *have = NULL;
	size_t nh = 0;
	bool found = false;
	int r = c->store->ops->get_interface(c->store, a->peers[0].iface, &ifc, &found, err);

	if (r == -ENOENT || (!r && !found))
		return error_fail(err, -ENOENT,
				  "interface %s is not in the inventory: run rampart peer init -i "
				  "%s first", a->peers[0].iface, a->peers[0].iface);
	if (r)
		return r;
	/* Addresses are unique in the space, sites checked across it. */
	r = c->store->ops->list_peer_set(c->store, INV_SET_SPACE, ifc.space, &have, &nh, err);
	for (size_t i = 0; !r && i < a->n; i++)
		r = import_one(c, &ifc, &a->peers[i], have, nh, a->peers, i, err);
	free(have);
	return r;
}

int inv_import(const struct inv_ctx *c, const char *iface, struct inv_peer *peers, size_t n,
	       struct error *err)
{
	struct import_arg a = { peers, n };
	const char *why;

	if (!n)
		return error_fail(err, -EINVAL, "no peers to import");
	for (size_t i = 0; i < n; i++) {
		struct inv_peer *p = &peers[i];

		snprintf(p->iface, sizeof(p->iface), "%s", iface);
		if (!inv_valid_name(p->name, &why))
			return error_fail(err, -EINVAL, "bad name \"%s\": %s", p->name, why);
		if (!inv_valid_text(p->owner, &why) || !inv_valid_text(p->device, &why) ||
		    !inv_valid_text(p->notes, &why))
			return error_fail(err, -EINVAL, "peer %s: bad owner, device or notes: %s",
					  p->name, why);
		if (encoding_key_is_zero(p->public_key))
			return error_fail(err, -EINVAL, "peer %s: the public key is all zeros",
					  p->name);
		if (p->expires && p->expires <= c->now)
			return error_fail(err, -EINVAL, "peer %s: the expiry lies in the past",
					  p->name);
	}
	return inv_transaction(c, true, import_body, &a, err);
}
