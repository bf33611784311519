/* Several hubs in one inventory (docs/multihub.md): spaces, a peer's
 * assignments to hubs besides its home, the share of a hub.
 *
 * A peer's addresses are allocated in its home hub's space, and the
 * store's address index is per space, so a peer can be on any hub of
 * that space with the same addresses: those hubs have the same pools and
 * route the same prefixes.  A hub of another space could not route them
 * (or would give them to someone else), hence the rule that a peer is
 * assigned only within its home hub's space, checked here inside the
 * write transaction that assigns. */
#include "hubs.h"

#include "conf/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- init: the hub's interface, space and pools --------------------- */

static bool has_pool(const struct inv_interface *ifc, const struct netaddr_prefix *x)
{
	for (size_t i = 0; i < ifc->n_pools; i++)
		if (netaddr_prefix_equal(&ifc->pools[i], x))
			return true;
	return false;
}

/* The same pools as written (the hub's own address included: a client
 * that moves from one hub to another keeps its addresses and its hub's),
 * in any order. */
static bool same_pools(const struct inv_interface *a, const struct inv_interface *b)
{
	if (a->n_pools != b->n_pools)
		return false;
	for (size_t i = 0; i < a->n_pools; i++)
		if (!has_pool(b, &a->pools[i]))
			return false;
	return true;
}

/* ifc takes the pools of its space's other hubs, or must have them. */
static int space_pools(const struct inv_ctx *c, struct inv_interface *ifc, struct error *err)
{
	struct inv_interface other;
	char **names;
	size_t n, i;
	int r = c->store->ops->list_space(c->store, ifc->space, &names, &n, err);

	if (r)
		return r;
	for (i = 0; i < n && !strcmp(names[i], ifc->name); i++)
		;
	if (i < n)
		r = inv_get_hub(c, names[i], &other, err);
	if (!r && i < n && !ifc->n_pools) {
		memcpy(ifc->pools, other.pools, sizeof(ifc->pools));
		ifc->n_pools = other.n_pools;
	} else if (!r && i < n && !same_pools(ifc, &other)) {
		char mine[INV_POOLS_MAX * NETADDR_PREFIX_STRLEN], theirs[sizeof(mine)];

		r = error_fail(err, -EINVAL,
			       "%s: pools %s are not those of space %s (%s, as hub %s has them): "
			       "the hubs of a space have the same pools, so that a peer keeps its "
			       "addresses on each (leave out --pool to take them)", ifc->name,
			       inv_join(ifc->pools, ifc->n_pools, mine, sizeof(mine)), ifc->space,
			       inv_join(other.pools, other.n_pools, theirs, sizeof(theirs)),
			       other.name);
	}
	inv_names_free(names, n);
	return r;
}

/* Whether hub name is home to a peer, or a peer of space is assigned to
 * it: *why says which. */
static int hub_in_use(const struct inv_ctx *c, const char *name, const char *space, char *why,
		      size_t size, struct error *err)
{
	struct inv_peer *v;
	size_t n;
	int r = c->store->ops->list_peer_set(c->store, INV_SET_SPACE, space, &v, &n, err);

	why[0] = '\0';
	for (size_t i = 0; !r && i < n && !why[0]; i++) {
		if (!strcmp(v[i].iface, name))
			snprintf(why, size, "peer %s is at home there", v[i].name);
		for (size_t j = 0; j < v[i].n_hubs && !why[0]; j++)
			if (!strcmp(v[i].hubs[j], name))
				snprintf(why, size, "peer %s of %s is assigned to it", v[i].name,
					 v[i].iface);
	}
	free(v);
	return r;
}

int inv_hub_settle(const struct inv_ctx *c, struct inv_interface *ifc,
		   const struct inv_interface *old, bool found, struct error *err)
{
	char why[INV_NAME_MAX + 2 * IFNAMSIZ + 64];
	int r;

	if (!ifc->ifname[0])
		snprintf(ifc->ifname, sizeof(ifc->ifname), "%s", found ? old->ifname : ifc->name);
	if (!ifc->space[0])
		snprintf(ifc->space, sizeof(ifc->space), "%s", found ? old->space : ifc->name);
	if (!conf_valid_ifname(ifc->ifname))
		return error_fail(err, -EINVAL, "%s: bad interface name \"%s\"", ifc->name,
				  ifc->ifname);
	if (!conf_valid_ifname(ifc->space))
		return error_fail(err, -EINVAL, "%s: bad space name \"%s\"", ifc->name, ifc->space);
	if (found && strcmp(old->space, ifc->space)) {
		r = hub_in_use(c, ifc->name, old->space, why, sizeof(why), err);
		if (r)
			return r;
		if (why[0])
			return error_fail(err, -EBUSY,
					  "%s: cannot move from space %s to %s: %s, with addresses "
					  "of space %s", ifc->name, old->space, ifc->space, why,
					  old->space);
	}
	if (!ifc->n_pools && found && !strcmp(old->space, ifc->space)) {
		memcpy(ifc->pools, old->pools, sizeof(ifc->pools));
		ifc->n_pools = old->n_pools;
	}
	r = space_pools(c, ifc, err);
	if (!r && !ifc->n_pools)
		r = error_fail(err, -EINVAL, "%s: at least one address pool is needed (--pool, or "
			       "--space of hubs that have them)", ifc->name);
	return r;
}

/* ---- assignment ------------------------------------------------------ */

static bool on_hub(const struct inv_peer *p, const char *hub)
{
	if (!strcmp(p->iface, hub))
		return true;
	for (size_t i = 0; i < p->n_hubs; i++)
		if (!strcmp(p->hubs[i], hub))
			return true;
	return false;
}

/* p (of home hub home) onto hub, in the store and the log; p->hubs gets
 * it.  The rules: a hub of home's space, not one p is on already. */
static int assign_one(const struct inv_ctx *c, struct inv_peer *p,
		      const struct inv_interface *home, const char *hub, struct error *err)
{
	struct inv_interface h;
	int r;

	if (p->state == INV_REVOKED)
		return error_fail(err, -EINVAL, "peer %s is revoked: it goes on no hub", p->name);
	if (!strcmp(hub, p->iface))
		return error_fail(err, -EEXIST, "%s is peer %s's home hub", hub, p->name);
	if (on_hub(p, hub))
		return error_fail(err, -EEXIST, "peer %s is assigned to %s already", p->name, hub);
	r = inv_get_hub(c, hub, &h, err);
	if (r)
		return r;
	if (strcmp(h.space, home->space))
		return error_fail(err, -EINVAL,
				  "peer %s: hub %s is of space %s, and its home hub %s of space %s: "
				  "%s cannot route its addresses", p->name, hub, h.space,
				  home->name, home->space, hub);
	if (p->n_hubs == INV_HUBS_MAX)
		return error_fail(err, -ENOSPC, "peer %s: at most %d hubs besides its home",
				  p->name, INV_HUBS_MAX);
	r = c->store->ops->assign(c->store, p->id, hub, err);
	if (r)
		return r;
	snprintf(p->hubs[p->n_hubs++], IFNAMSIZ, "%s", hub);
	return inv_append(c, p->iface, p->name, "assign", err, "to hub %s (space %s)", hub,
			  h.space);
}

int inv_hub_assign_new(const struct inv_ctx *c, struct inv_peer *p, struct error *err)
{
	char hubs[INV_HUBS_MAX][IFNAMSIZ];
	struct inv_interface home;
	size_t n = p->n_hubs;
	int r = n ? inv_get_hub(c, p->iface, &home, err) : 0;

	memcpy(hubs, p->hubs, sizeof(hubs));
	p->n_hubs = 0;
	for (size_t i = 0; !r && i < n; i++)
		if (strcmp(hubs[i], p->iface))
			r = assign_one(c, p, &home, hubs[i], err);
	return r;
}

struct assign_arg {
	const char *iface, *name, *const *hubs;
	size_t n;
	bool take_back;
	struct inv_peer *out;
};

static int unassign_one(const struct inv_ctx *c, struct inv_peer *p, const char *hub,
			struct error *err)
{
	size_t i;
	int r;

	if (!strcmp(hub, p->iface))
		return error_fail(err, -EINVAL,
				  "%s is peer %s's home hub, where its addresses were given: it "
				  "cannot be unassigned (revoke the peer instead)", hub, p->name);
	for (i = 0; i < p->n_hubs && strcmp(p->hubs[i], hub); i++)
		;
	if (i == p->n_hubs)
		return error_fail(err, -ENOENT, "peer %s is not assigned to %s", p->name, hub);
	r = c->store->ops->unassign(c->store, p->id, hub, err);
	if (r)
		return r;
	memmove(&p->hubs[i], &p->hubs[i + 1], (p->n_hubs - i - 1) * sizeof(p->hubs[0]));
	p->n_hubs--;
	return inv_append(c, p->iface, p->name, "unassign", err, "from hub %s", hub);
}

static int assign_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct assign_arg *a = arg;
	struct inv_interface home;
	struct inv_peer p;
	int r = inv_find(c, a->iface, a->name, &p, err);

	if (!r && !a->take_back)
		r = inv_get_hub(c, a->iface, &home, err);
	for (size_t i = 0; !r && i < a->n; i++)
		r = a->take_back ? unassign_one(c, &p, a->hubs[i], err)
				 : assign_one(c, &p, &home, a->hubs[i], err);
	if (!r && a->out)
		*a->out = p;
	return r;
}

int inv_assign(const struct inv_ctx *c, const char *iface, const char *name,
	       const char *const *hubs, size_t n, struct inv_peer *out, struct error *err)
{
	struct assign_arg a = { iface, name, hubs, n, false, out };

	if (!n)
		return error_fail(err, -EINVAL, "peer %s: no hub to assign it to", name);
	return inv_transaction(c, true, assign_body, &a, err);
}

int inv_unassign(const struct inv_ctx *c, const char *iface, const char *name,
		 const char *hub, struct inv_peer *out, struct error *err)
{
	struct assign_arg a = { iface, name, &hub, 1, true, out };

	return inv_transaction(c, true, assign_body, &a, err);
}

/* ---- reads ----------------------------------------------------------- */

struct share_arg {
	const char *hub;
	int64_t peer;
	void *out;
	size_t *n;
};

static int share_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct share_arg *a = arg;
	struct inv_interface h;
	int r = inv_get_hub(c, a->hub, &h, err);

	return r ? r : c->store->ops->list_peer_set(c->store, INV_SET_SHARE, a->hub, a->out, a->n,
						    err);
}

int inv_share(const struct inv_ctx *c, const char *hub, struct inv_peer **out, size_t *n,
	      struct error *err)
{
	struct share_arg a = { hub, 0, out, n };

	*out = NULL;
	*n = 0;
	return inv_transaction(c, false, share_body, &a, err);
}

static int seen_body(const struct inv_ctx *c, void *arg, struct error *err)
{
	struct share_arg *a = arg;

	return c->store->ops->list_seen(c->store, NULL, a->peer, a->out, a->n, err);
}

int inv_seen_of(const struct inv_ctx *c, int64_t peer, struct inv_seen **out, size_t *n,
		struct error *err)
{
	struct share_arg a = { NULL, peer, out, n };

	*out = NULL;
	*n = 0;
	return inv_transaction(c, false, seen_body, &a, err);
}
