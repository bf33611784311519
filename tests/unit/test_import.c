/* inventory/import: the split of a config peer's AllowedIPs into its
 * addresses (host routes inside the pools) and its sites (the rest), and
 * the refusals naming the peer and the prefix. */
#include "harness.h"

#include "inventory/inventory.h"
#include "prefix_fixture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Splits the n prefixes of list into p. */
static int split(const struct inv_interface *ifc, const char *const *list, size_t n,
		 struct inv_peer *p, struct error *err)
{
	struct netaddr_prefix ips[32];

	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "office");
	for (size_t i = 0; i < n; i++)
		ips[i] = pfx(list[i]);
	error_clear(err);
	return inv_import_split(ifc, ips, n, p, err);
}

static bool is(const struct netaddr_prefix *x, const char *s)
{
	struct netaddr_prefix y = pfx(s);

	return netaddr_prefix_equal(x, &y);
}

/* 1: host routes in the pools are addresses, in order; the rest sites. */
static void test_split(void)
{
	static const char *const list[] = {
		"fd08::5/128", "192.168.50.0/24", "10.8.0.4/32", "10.9.0.1/32", "fd99::/48",
	};
	struct inv_interface ifc;
	struct inv_peer p;
	struct error err;

	hub(&ifc);
	CHECK(split(&ifc, list, 5, &p, &err) == 0);
	CHECK(p.n_addrs == 2 && is(&p.addrs[0], "fd08::5/128") && is(&p.addrs[1], "10.8.0.4/32"));
	CHECK(p.n_sites == 3 && is(&p.sites[0], "192.168.50.0/24") &&
	      is(&p.sites[1], "10.9.0.1/32") && is(&p.sites[2], "fd99::/48"));
}

/* 2: a network inside a pool is a site (refused later as overlapping the
 * pool), not an address; host bits of a site are cleared; repeats go. */
static void test_networks(void)
{
	static const char *const list[] = {
		"10.8.0.0/30", "192.168.50.7/24", "10.8.0.9/32", "10.8.0.9/32", "192.168.50.0/24",
	};
	struct inv_interface ifc;
	struct inv_peer p;
	struct error err;

	hub(&ifc);
	CHECK(split(&ifc, list, 5, &p, &err) == 0);
	CHECK(p.n_addrs == 1 && is(&p.addrs[0], "10.8.0.9/32"));
	CHECK(p.n_sites == 2 && is(&p.sites[0], "10.8.0.0/30") &&
	      is(&p.sites[1], "192.168.50.0/24"));
	CHECK(split(&ifc, NULL, 0, &p, &err) == 0 && !p.n_addrs && !p.n_sites);
}

/* 3: refusals: two addresses in one pool, the hub's address, too many
 * sites; each names the peer and the prefix. */
static void test_refusals(void)
{
	static const char *const two[] = { "10.8.0.2/32", "10.8.0.3/32" };
	static const char *const hubs[] = { "10.8.0.1/32" };
	static const char *const hub6[] = { "fd08::1/128" };
	const char *many[INV_SITES_MAX + 1];
	char buf[INV_SITES_MAX + 1][32];
	struct inv_interface ifc;
	struct inv_peer p;
	struct error err;

	hub(&ifc);
	CHECK(split(&ifc, two, 2, &p, &err) == -EINVAL);
	CHECK_MSG(strstr(err.msg, "office") && strstr(err.msg, "10.8.0.2/32") &&
		  strstr(err.msg, "10.8.0.3/32") && strstr(err.msg, "10.8.0.1/24"), "%s", err.msg);
	CHECK(split(&ifc, hubs, 1, &p, &err) == -EINVAL);
	CHECK_MSG(strstr(err.msg, "hub's own") && strstr(err.msg, "10.8.0.1/32"), "%s", err.msg);
	CHECK(split(&ifc, hub6, 1, &p, &err) == -EINVAL);
	for (size_t i = 0; i <= INV_SITES_MAX; i++) {
		snprintf(buf[i], sizeof(buf[i]), "192.168.%zu.0/24", i);
		many[i] = buf[i];
	}
	CHECK(split(&ifc, many, INV_SITES_MAX, &p, &err) == 0 && p.n_sites == INV_SITES_MAX);
	CHECK(split(&ifc, many, INV_SITES_MAX + 1, &p, &err) == -EINVAL);
	CHECK_MSG(strstr(err.msg, "office") && strstr(err.msg, "more than"), "%s", err.msg);
}

static const struct harness_case cases[] = {
	{ "import: addresses in the pools, the rest sites", test_split },
	{ "import: networks in a pool are sites, repeats dropped", test_networks },
	{ "import: refusals name the peer and the prefix", test_refusals },
};

HARNESS_MAIN(cases)
