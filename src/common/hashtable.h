/* An open-addressing hash table of pointers, with linear probing and
 * backward-shift deletion (no tombstones).  The caller computes the 64-bit
 * hash (keyed, where an attacker chooses keys) and supplies the equality
 * test; the table stores (hash, item) pairs.  It grows only in
 * hashtable_reserve(), so lookups, inserts within the reserved size and
 * removals never allocate.  No locking: the owner serializes. */
#ifndef RAMPART_COMMON_HASHTABLE_H
#define RAMPART_COMMON_HASHTABLE_H

#include "compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hashtable_slot {
	uint64_t hash;
	void *item; /* NULL = empty */
};

struct hashtable {
	struct hashtable_slot *slots;
	size_t mask;  /* capacity - 1; capacity is a power of two or 0 */
	size_t count;
};

void hashtable_init(struct hashtable *t);
void hashtable_free(struct hashtable *t);
/* Makes room for n items at a load factor of at most 1/2; 0 or -ENOMEM
 * (table unchanged). */
int hashtable_reserve(struct hashtable *t, size_t n) warn_unused;
/* The item with this hash for which eq(item, key) holds, or NULL. */
void *hashtable_find(const struct hashtable *t, uint64_t hash,
		     bool (*eq)(const void *item, const void *key), const void *key);
/* Adds an item (not already present); -ENOSPC if reserve was not called
 * for it. */
int hashtable_add(struct hashtable *t, uint64_t hash, void *item) warn_unused;
/* Removes this exact item; false if absent. */
bool hashtable_remove(struct hashtable *t, uint64_t hash, const void *item);

#endif
