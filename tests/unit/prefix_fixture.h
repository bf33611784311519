/* pfx("10.0.0.0/24"): a prefix from its text, for the inventory's tests
 * (test_alloc.c, test_import.c); a bad one fails the test. */
#ifndef RAMPART_TESTS_PREFIX_FIXTURE_H
#define RAMPART_TESTS_PREFIX_FIXTURE_H

#include "harness.h"

#include "common/netaddr.h"

#include <string.h>

static inline struct netaddr_prefix pfx(const char *s)
{
	struct netaddr_prefix p;
	const char *why;

	memset(&p, 0, sizeof(p));
	CHECK(netaddr_parse_prefix(&p, s, &why));
	return p;
}

#endif
