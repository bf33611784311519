/* pfx("10.0.0.0/24"): a prefix from its text, for the inventory's tests
 * (test_alloc.c, test_import.c, test_intake.c); a bad one fails the test.
 * hub(): the interface of tests/cli/peer_import.sh. */
#ifndef RAMPART_TESTS_PREFIX_FIXTURE_H
#define RAMPART_TESTS_PREFIX_FIXTURE_H

#include "harness.h"

#include "common/netaddr.h"
#include "inventory/model.h"

#include <stdio.h>
#include <string.h>

static inline struct netaddr_prefix pfx(const char *s)
{
	struct netaddr_prefix p;
	const char *why;

	memset(&p, 0, sizeof(p));
	CHECK(netaddr_parse_prefix(&p, s, &why));
	return p;
}

/* wg0 with the pools 10.8.0.1/24 and fd08::1/64. */
static inline void hub(struct inv_interface *ifc)
{
	memset(ifc, 0, sizeof(*ifc));
	snprintf(ifc->name, sizeof(ifc->name), "wg0");
	ifc->pools[0] = pfx("10.8.0.1/24");
	ifc->pools[1] = pfx("fd08::1/64");
	ifc->n_pools = 2;
}

#endif
