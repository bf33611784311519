/* The open-addressing table against a naive array, with colliding hashes
 * so that probe runs and backward-shift deletion are exercised. */
#include "harness.h"

#include "common/hashtable.h"

#include <errno.h>
#include <stdlib.h>

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct item {
	uint64_t key;
	bool present;
};

static bool eq(const void *item, const void *key)
{
	return ((const struct item *)item)->key == *(const uint64_t *)key;
}

/* Few distinct hash values: long collision runs. */
static uint64_t hash(uint64_t key)
{
	return (key * 0x2545f4914f6cdd1dULL) % 97;
}

static void test_differential(void)
{
	enum { N = 3000 };
	struct item *items = calloc(N, sizeof(*items));
	struct hashtable t;
	size_t present = 0;

	hashtable_init(&t);
	for (size_t i = 0; i < N; i++)
		items[i].key = i * 7919 + 13;
	for (int step = 0; step < 200000; step++) {
		struct item *it = &items[next() % N];
		switch (next() % 3) {
		case 0:
			if (!it->present) {
				CHECK(hashtable_reserve(&t, present + 1) == 0);
				CHECK(hashtable_add(&t, hash(it->key), it) == 0);
				it->present = true;
				present++;
			}
			break;
		case 1:
			CHECK(hashtable_remove(&t, hash(it->key), it) == it->present);
			if (it->present)
				present--;
			it->present = false;
			break;
		default:
			CHECK(hashtable_find(&t, hash(it->key), eq, &it->key) ==
			      (it->present ? it : NULL));
		}
		if (step % 20000 == 0) {
			for (size_t i = 0; i < N; i++)
				CHECK(hashtable_find(&t, hash(items[i].key), eq, &items[i].key) ==
				      (items[i].present ? &items[i] : NULL));
			CHECK(t.count == present);
		}
	}
	/* Without a reservation, add refuses instead of overfilling. */
	struct hashtable small;
	hashtable_init(&small);
	CHECK(hashtable_add(&small, 1, &items[0]) == -ENOSPC);
	hashtable_free(&small);
	hashtable_free(&t);
	free(items);
}

static const struct harness_case cases[] = {
	{ "hashtable/differential_with_collisions", test_differential },
};

HARNESS_MAIN(cases)
