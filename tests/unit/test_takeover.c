/* The daemon's takeover pairings (src/daemon/takeover.c): recorded,
 * replaced, made due by the new key's handshake only, forgotten with
 * either peer, and bounded.  The move itself runs in a real daemon
 * (tests/netns/rotation.sh). */
#include "harness.h"

#include "daemon/takeover.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void key(uint8_t k[KEY_LEN], unsigned i)
{
	memset(k, 0, KEY_LEN);
	k[0] = (uint8_t)i;
	k[1] = (uint8_t)(i >> 8);
	k[31] = 1;
}

static void test_pairings(void)
{
	struct takeovers *t = calloc(1, sizeof(*t));
	uint8_t a[KEY_LEN], b[KEY_LEN], c[KEY_LEN];

	key(a, 1);
	key(b, 2);
	key(c, 3);
	CHECK(takeover_reserve(t, 1) == 0);
	takeover_record(t, b, a);
	CHECK(t->n == 1 && !t->n_due);
	/* The old key's handshake is no trigger; the new one's is, once. */
	CHECK(!takeover_handshake(t, a));
	CHECK(takeover_handshake(t, b));
	CHECK(!takeover_handshake(t, b));
	CHECK(t->n_due == 1);
	/* Pairing b again replaces its entry and waits anew. */
	takeover_record(t, b, c);
	CHECK(t->n == 1 && !t->n_due && !memcmp(t->v[0].old_key, c, KEY_LEN));
	takeover_record(t, c, a);
	CHECK(t->n == 2);
	CHECK(takeover_handshake(t, c) && t->n_due == 1);
	/* c goes: both pairings name it. */
	takeover_forget(t, c);
	CHECK(t->n == 0 && t->n_due == 0);
	takeover_record(t, b, a);
	takeover_forget_all(t);
	CHECK(t->n == 0);
	free(t);
}

static void test_bound(void)
{
	struct takeovers *t = calloc(1, sizeof(*t));
	uint8_t n[KEY_LEN], o[KEY_LEN];

	key(o, 0xffff);
	for (unsigned i = 0; i < TAKEOVER_MAX; i++) {
		key(n, i + 1);
		takeover_record(t, n, o);
	}
	CHECK(t->n == TAKEOVER_MAX);
	CHECK(takeover_reserve(t, 1) == -ENOSPC);
	CHECK(takeover_reserve(t, 0) == 0);
	key(n, 5000);
	takeover_record(t, n, o); /* no room: ignored, nothing overwritten */
	CHECK(t->n == TAKEOVER_MAX);
	takeover_forget(t, o);
	CHECK(t->n == 0 && takeover_reserve(t, TAKEOVER_MAX) == 0);
	free(t);
}

static const struct harness_case cases[] = {
	{ "pairings: record, due, replace, forget", test_pairings },
	{ "at most TAKEOVER_MAX pairings", test_bound },
};

HARNESS_MAIN(cases)
