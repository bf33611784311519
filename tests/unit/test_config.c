/* The config model (conf/config): allocation, appending and comparison,
 * and the blocks higher rooms hang on it. */
#include "harness.h"

#include "conf/config.h"
#include "common/netaddr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* A higher room's blocks: a list it owns (freed through uninit, or ASan
 * reports a leak) and a number its equal() compares. */
struct ext_block {
	int *owned;
	int value;
};

static unsigned uninits;

static void block_uninit(void *data)
{
	struct ext_block *b = data;

	free(b->owned);
	uninits++;
}

static bool block_equal(const void *a, const void *b)
{
	return ((const struct ext_block *)a)->value == ((const struct ext_block *)b)->value;
}

static int block_copy(void *dst, const void *src)
{
	struct ext_block *d = dst;
	const struct ext_block *s = src;

	d->value = s->value;
	if (s->owned) {
		d->owned = calloc(4, sizeof(int));
		if (!d->owned)
			return -ENOMEM;
		memcpy(d->owned, s->owned, 4 * sizeof(int));
	}
	return 0;
}

static const struct conf_ext_ops block_ops = {
	.size = sizeof(struct ext_block),
	.peer_size = sizeof(struct ext_block),
	.uninit = block_uninit,
	.peer_uninit = block_uninit,
	.equal = block_equal,
	.peer_equal = block_equal,
	.copy = block_copy,
	.peer_copy = block_copy,
};

static void test_ext_blocks(void)
{
	struct conf *before = conf_alloc(), *a = NULL, *b = NULL;
	struct ext_block *ba, *bb, *pa, *pb;
	int slot = conf_register_ext(&block_ops);

	CHECK(slot >= 0 && slot < CONF_EXT_MAX);
	CHECK(conf_register_ext(&block_ops) == slot); /* once per ops */
	/* A conf from before the registration has no block. */
	CHECK(before && conf_ext(before, slot) == NULL);
	CHECK(conf_ext(before, -1) == NULL);
	a = conf_alloc();
	b = conf_alloc();
	CHECK(a && b);
	if (!a || !b)
		goto out;
	ba = conf_ext(a, slot);
	bb = conf_ext(b, slot);
	CHECK(ba && bb && ba != bb && ba->value == 0 && !ba->owned);
	if (!ba || !bb)
		goto out;
	CHECK(conf_equal(a, b));
	ba->value = 7;
	CHECK(!conf_equal(a, b)); /* equal() is asked */
	bb->value = 7;
	CHECK(conf_equal(a, b));
	ba->owned = calloc(4, sizeof(int));

	/* Peers get their own zeroed blocks, which survive the array moving. */
	for (unsigned i = 0; i < 20; i++)
		CHECK(conf_add_peer(a, i + 1) && conf_add_peer(b, i + 1));
	pa = conf_peer_ext(&a->peers[3], slot);
	pb = conf_peer_ext(&b->peers[3], slot);
	CHECK(pa && pb && pa->value == 0);
	if (pa && pb) {
		pa->value = 1;
		pa->owned = calloc(4, sizeof(int));
		CHECK(!conf_equal(a, b));
		pb->value = 1;
		CHECK(conf_equal(a, b));
	}
	/* Copies are deep: b's blocks become a's, with their own memory
	 * (ASan: no double free when both go). */
	if (a && b) {
		CHECK(conf_copy_ext(b, a) == 0);
		CHECK(conf_peer_copy_ext(&b->peers[3], &a->peers[3]) == 0);
		bb = conf_ext(b, slot);
		CHECK(bb && bb->value == 7 && bb->owned && bb->owned != ba->owned);
		CHECK(conf_equal(a, b));
	}
out:
	uninits = 0;
	if (a) {
		conf_free(a);
		/* One conf block and 20 peer blocks, each uninitialised once. */
		CHECK(uninits == 21);
	}
	conf_free(b);
	conf_free(before);
}

static const struct harness_case cases[] = {
	{ "model: alloc, append, equal", test_model },
	{ "blocks of higher rooms: allocated, compared, freed", test_ext_blocks },
};

HARNESS_MAIN(cases)
