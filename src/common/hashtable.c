#include "hashtable.h"

#include <errno.h>
#include <stdlib.h>

void hashtable_init(struct hashtable *t)
{
	t->slots = NULL;
	t->mask = 0;
	t->count = 0;
}

void hashtable_free(struct hashtable *t)
{
	free(t->slots);
	hashtable_init(t);
}

static size_t capacity(const struct hashtable *t)
{
	return t->slots ? t->mask + 1 : 0;
}

static void place(struct hashtable_slot *slots, size_t mask, uint64_t hash, void *item)
{
	size_t i = hash & mask;

	while (slots[i].item)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].item = item;
}

int hashtable_reserve(struct hashtable *t, size_t n)
{
	struct hashtable_slot *slots;
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	if (cap <= capacity(t))
		return 0;
	slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < capacity(t); i++)
		if (t->slots[i].item)
			place(slots, cap - 1, t->slots[i].hash, t->slots[i].item);
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
	return 0;
}

void *hashtable_find(const struct hashtable *t, uint64_t hash,
		     bool (*eq)(const void *item, const void *key), const void *key)
{
	if (!t->slots)
		return NULL;
	for (size_t i = hash & t->mask; t->slots[i].item; i = (i + 1) & t->mask)
		if (t->slots[i].hash == hash && eq(t->slots[i].item, key))
			return t->slots[i].item;
	return NULL;
}

int hashtable_add(struct hashtable *t, uint64_t hash, void *item)
{
	if (!t->slots || 2 * (t->count + 1) > capacity(t))
		return -ENOSPC;
	place(t->slots, t->mask, hash, item);
	t->count++;
	return 0;
}

bool hashtable_remove(struct hashtable *t, uint64_t hash, const void *item)
{
	size_t i, j;

	if (!t->slots)
		return false;
	for (i = hash & t->mask; t->slots[i].item != item; i = (i + 1) & t->mask)
		if (!t->slots[i].item)
			return false;
	/* Backward shift: move later members of the probe run into the hole
	 * when their home slot is at or before it (cyclically). */
	for (j = (i + 1) & t->mask; t->slots[j].item; j = (j + 1) & t->mask) {
		size_t home = t->slots[j].hash & t->mask;
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].item = NULL;
	t->slots[i].hash = 0;
	t->count--;
	return true;
}
