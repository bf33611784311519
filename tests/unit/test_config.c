/* The config model (conf/config): allocation, appending and comparison. */
#include "harness.h"

#include "conf/config.h"
#include "common/netaddr.h"

#include <errno.h>

static void test_model(void)
{
	struct conf *a = conf_alloc(), *b = conf_alloc();
	struct netaddr_prefix p;
	struct conf_peer *peer;
	const char *why;

	conf_free(NULL);
	CHECK(a && b);
	if (!a || !b)
		goto out;
	CHECK(conf_equal(a, b));
	CHECK(netaddr_parse_prefix(&p, "10.0.0.1/8", &why));
	CHECK(conf_add_address(a, &p, 1) == 0);
	CHECK(!conf_equal(a, b));
	CHECK(conf_add_address(b, &p, 99) == 0);
	CHECK(conf_equal(a, b)); /* lines do not count */

	/* Growth keeps earlier peers intact. */
	for (unsigned i = 0; i < 100; i++) {
		peer = conf_add_peer(a, i + 1);
		CHECK(peer != NULL);
		if (!peer)
			break;
		peer->public_key[0] = (uint8_t)i;
		peer->has_public_key = true;
		CHECK(conf_peer_add_allowed_ip(peer, &p, i + 1) == 0);
	}
	CHECK(a->n_peers == 100 && a->peers[37].public_key[0] == 37 &&
	      a->peers[99].line == 100 && a->peers[0].n_allowed_ips == 1);
	CHECK(!conf_equal(a, b));
	for (unsigned i = 0; i < 100; i++) {
		peer = conf_add_peer(b, 0);
		if (!peer)
			break;
		peer->public_key[0] = (uint8_t)i;
		peer->has_public_key = true;
		CHECK(conf_peer_add_allowed_ip(peer, &p, 0) == 0);
	}
	CHECK(conf_equal(a, b));
	b->peers[50].has_preshared_key = true;
	CHECK(!conf_equal(a, b));
	a->peers[50].has_preshared_key = true;
	CHECK(conf_equal(a, b));
	a->peers[50].preshared_key[31] = 1;
	CHECK(!conf_equal(a, b));
	CHECK(conf_add_hook(a, CONF_HOOK_COUNT, "x", 0) == -EINVAL);
out:
	conf_free(a);
	conf_free(b);
}

static const struct harness_case cases[] = {
	{ "model: alloc, append, equal", test_model },
};

HARNESS_MAIN(cases)
