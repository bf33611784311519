/* The allowed-IPs tries.
 *
 * Keys are kept as 32-bit words in host order, most significant first (1
 * word for IPv4, 4 for IPv6), so that bit tests, prefix comparisons and
 * the first differing bit (clz) are word operations for both families
 * with one code path.  Every node's key is zero past its cidr.
 *
 * Invariants (allowedips_verify() checks them all): along any path the
 * cidr strictly grows, so a path has at most bits + 1 nodes; a child
 * agrees with its parent on the parent's cidr bits and sits on the side
 * of its next bit; a node without a peer has two children, so the trie
 * never holds more than 2n - 1 nodes for n prefixes.
 *
 * Nodes keep no parent pointer: removing one finds its parent by walking
 * down from the root with its key, O(depth), which the control path can
 * afford and which saves 8 bytes in every node. */
#include "allowedips.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

enum {
	WORD_BITS = 32,
	MAX_BITS = 128,
	MAX_WORDS = MAX_BITS / WORD_BITS,
	/* One node per cidr 0..128 at most on a path. */
	MAX_DEPTH = MAX_BITS + 1,
};

struct allowedips_node {
	struct allowedips_node *child[2];
	void *peer;                  /* NULL: a join node */
	struct allowedips_link link; /* in the peer's list when peer is set */
	uint8_t cidr;
	uint8_t bits;                /* 32 or 128: the family */
	uint32_t key[];              /* bits / 32 words, see the top */
};

_Static_assert(sizeof(void *) != 8 || offsetof(struct allowedips_node, key) == 44,
	       "an IPv4 node fits in 48 bytes");

static struct allowedips_node *node_of(struct allowedips_link *l)
{
	return (void *)((char *)l - offsetof(struct allowedips_node, link));
}

static const struct allowedips_node *const_node_of(const struct allowedips_link *l)
{
	return (const void *)((const char *)l - offsetof(struct allowedips_node, link));
}

/* Where a node hangs: the pointer to it, and the pointer to its parent
 * (NULL for a root). */
struct place {
	struct allowedips_node **slot, **parent_slot;
};

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

static struct allowedips_node **root_of(struct allowedips *t, unsigned bits)
{
	return bits == 32 ? &t->root4 : &t->root6;
}

static size_t node_size(unsigned bits)
{
	return offsetof(struct allowedips_node, key) + bits / 8;
}

static void load_key(uint32_t key[MAX_WORDS], const void *addr, unsigned bits)
{
	const uint8_t *p = addr;
	uint32_t w;

	for (unsigned i = 0; i < bits / WORD_BITS; i++) {
		memcpy(&w, p + 4 * i, 4);
		key[i] = be32toh(w);
	}
}

static void store_key(uint8_t *addr, const uint32_t *key, unsigned bits)
{
	uint32_t w;

	for (unsigned i = 0; i < bits / WORD_BITS; i++) {
		w = htobe32(key[i]);
		memcpy(addr + 4 * i, &w, 4);
	}
}

/* Mask of the first n (0..32) bits of a word. */
static inline uint32_t first_bits(unsigned n)
{
	return n ? ~0U << (WORD_BITS - n) : 0;
}

static void mask_key(uint32_t *key, unsigned bits, unsigned cidr)
{
	for (unsigned i = 0; i < bits / WORD_BITS; i++) {
		unsigned start = i * WORD_BITS;
		if (cidr <= start)
			key[i] = 0;
		else if (cidr < start + WORD_BITS)
			key[i] &= first_bits(cidr - start);
	}
}

static inline unsigned bit_at(const uint32_t *key, unsigned pos)
{
	return (key[pos / WORD_BITS] >> (WORD_BITS - 1 - pos % WORD_BITS)) & 1;
}

/* Whether key agrees with the node on the node's cidr bits. */
static inline bool prefix_matches(const struct allowedips_node *node,
				  const uint32_t *key)
{
	unsigned full = node->cidr / WORD_BITS, rest = node->cidr % WORD_BITS;

	for (unsigned i = 0; i < full; i++)
		if (node->key[i] != key[i])
			return false;
	return !rest || !((node->key[full] ^ key[full]) & first_bits(rest));
}

/* Length of the common leading part of two keys. */
static unsigned common_bits(const uint32_t *a, const uint32_t *b, unsigned bits)
{
	for (unsigned i = 0; i < bits / WORD_BITS; i++) {
		uint32_t x = a[i] ^ b[i];
		if (x)
			return i * WORD_BITS + (unsigned)__builtin_clz(x);
	}
	return bits;
}

static struct allowedips_node *node_alloc(struct allowedips *t, unsigned bits,
					  const uint32_t *key, unsigned cidr)
{
	size_t size = node_size(bits);
	struct allowedips_node *node = calloc(1, size);

	if (!node)
		return NULL;
	node->cidr = (uint8_t)cidr;
	node->bits = (uint8_t)bits;
	memcpy(node->key, key, bits / 8);
	mask_key(node->key, bits, cidr);
	t->nodes++;
	t->bytes += size;
	return node;
}

static void node_free(struct allowedips *t, struct allowedips_node *node)
{
	t->nodes--;
	t->bytes -= node_size(node->bits);
	free(node);
}

static void link_add_tail(struct allowedips_link *head, struct allowedips_link *l)
{
	l->next = head;
	l->prev = head->prev;
	head->prev->next = l;
	head->prev = l;
}

static void link_del(struct allowedips_link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->next = l->prev = NULL;
}

/* A zeroed list becomes a proper empty ring before its first use. */
static void list_ready(struct allowedips_peer_list *list)
{
	if (!list->head.next)
		list->head.next = list->head.prev = &list->head;
}

/* Gives the node's prefix to the list's peer, taking it from its holder
 * if it has one.  The peer changes in one store, so that a lookup sees
 * the old holder or the new one, never neither. */
static void hold(struct allowedips *t, struct allowedips_node *node,
		 struct allowedips_peer_list *list)
{
	if (node->peer)
		link_del(&node->link);
	else
		t->prefixes++;
	list_ready(list);
	link_add_tail(&list->head, &node->link);
	node->peer = list->peer;
}

static void unhold(struct allowedips *t, struct allowedips_node *node)
{
	link_del(&node->link);
	node->peer = NULL;
	t->prefixes--;
}

static void assert_lock(const struct allowedips *t, bool write)
{
	debug_assert(!t->lock_held || t->lock_held(t->lock_arg, write));
	(void)t;
	(void)write;
}

/* Checks the arguments every prefix operation shares and loads the masked
 * key; the family's bit count, or 0 if they are invalid. */
static unsigned prepare(uint32_t key[MAX_WORDS], int family, const void *addr,
			unsigned cidr, const struct allowedips_peer_list *list)
{
	unsigned bits = family_bits(family);

	if (!bits || cidr > bits || !addr || !list || !list->peer)
		return 0;
	load_key(key, addr, bits);
	mask_key(key, bits, cidr);
	return bits;
}

/* The node of exactly key/cidr (key masked), or a place with a NULL
 * slot. */
static struct place find_exact(struct allowedips_node **root,
			       const uint32_t *key, unsigned cidr)
{
	struct place p = { root, NULL };
	struct allowedips_node *node;

	while ((node = *p.slot) && node->cidr < cidr && prefix_matches(node, key)) {
		p.parent_slot = p.slot;
		p.slot = &node->child[bit_at(key, node->cidr)];
	}
	if (!node || node->cidr != cidr || !prefix_matches(node, key))
		p.slot = NULL;
	return p;
}

/* Takes the node's prefix away from its peer, then frees what is no
 * longer needed: the node unless it still joins two subtries, and its
 * parent if that was a join node left with one child. */
static void remove_at(struct allowedips *t, struct place p)
{
	struct allowedips_node *node = *p.slot, *child, *parent;

	unhold(t, node);
	if (node->child[0] && node->child[1])
		return;
	child = node->child[0] ? node->child[0] : node->child[1];
	*p.slot = child;
	node_free(t, node);
	if (child || !p.parent_slot)
		return;
	parent = *p.parent_slot;
	if (parent->peer)
		return;
	*p.parent_slot = parent->child[0] ? parent->child[0] : parent->child[1];
	node_free(t, parent);
}

void allowedips_init(struct allowedips *t)
{
	memset(t, 0, sizeof(*t));
}

/* Frees a trie without recursion or a stack: rotating each left child up
 * turns the tree into a right-leaning chain that is freed as it is
 * walked.  The trie's order is destroyed on the way, which no longer
 * matters. */
static void free_trie(struct allowedips *t, struct allowedips_node **root)
{
	struct allowedips_node *node = *root, *next;

	*root = NULL;
	while (node) {
		if (node->child[0]) {
			next = node->child[0];
			node->child[0] = next->child[1];
			next->child[1] = node;
		} else {
			next = node->child[1];
			if (node->peer)
				unhold(t, node);
			node_free(t, node);
		}
		node = next;
	}
}

void allowedips_free(struct allowedips *t)
{
	assert_lock(t, true);
	free_trie(t, &t->root4);
	free_trie(t, &t->root6);
	debug_assert(!t->nodes && !t->prefixes && !t->bytes);
}

void allowedips_set_lock_check(struct allowedips *t,
			       bool (*held)(void *arg, bool write), void *arg)
{
	t->lock_held = held;
	t->lock_arg = arg;
}

void allowedips_peer_list_init(struct allowedips_peer_list *list, void *peer)
{
	list->head.next = list->head.prev = &list->head;
	list->peer = peer;
}

bool allowedips_peer_list_empty(const struct allowedips_peer_list *list)
{
	return !list->head.next || list->head.next == &list->head;
}

int allowedips_insert(struct allowedips *t, int family, const void *addr,
		      uint8_t cidr, struct allowedips_peer_list *list,
		      void **moved_from)
{
	struct allowedips_node **slot, *node, *fresh, *join = NULL, *down;
	uint32_t key[MAX_WORDS];
	unsigned bits, common;

	assert_lock(t, true);
	if (moved_from)
		*moved_from = NULL;
	bits = prepare(key, family, addr, cidr, list);
	if (!bits)
		return -EINVAL;

	/* Down through the nodes whose prefixes contain the new one. */
	slot = root_of(t, bits);
	while ((node = *slot) && node->cidr <= cidr && prefix_matches(node, key)) {
		if (node->cidr == cidr) {
			if (node->peer == list->peer)
				return 0;
			if (moved_from)
				*moved_from = node->peer;
			hold(t, node, list);
			return 0;
		}
		slot = &node->child[bit_at(key, node->cidr)];
	}

	/* The new node goes into *slot.  What is there now (down) does not
	 * contain it, so either the new prefix contains down and goes above
	 * it, or the two part at their first differing bit, below both
	 * lengths, where a join node takes both. */
	fresh = node_alloc(t, bits, key, cidr);
	if (!fresh)
		return -ENOMEM;
	down = *slot;
	if (down) {
		common = common_bits(down->key, key, bits);
		if (common >= cidr) {
			fresh->child[bit_at(down->key, cidr)] = down;
		} else {
			join = node_alloc(t, bits, key, common);
			if (!join) {
				node_free(t, fresh);
				return -ENOMEM;
			}
			join->child[bit_at(key, common)] = fresh;
			join->child[bit_at(down->key, common)] = down;
		}
	}
	hold(t, fresh, list);
	*slot = join ? join : fresh;
	return 0;
}

int allowedips_remove(struct allowedips *t, int family, const void *addr,
		      uint8_t cidr, struct allowedips_peer_list *list)
{
	uint32_t key[MAX_WORDS];
	struct place p;
	unsigned bits;

	assert_lock(t, true);
	bits = prepare(key, family, addr, cidr, list);
	if (!bits)
		return -EINVAL;
	p = find_exact(root_of(t, bits), key, cidr);
	if (!p.slot || (*p.slot)->peer != list->peer)
		return -ENOENT;
	remove_at(t, p);
	return 0;
}

void allowedips_remove_by_peer(struct allowedips *t,
			       struct allowedips_peer_list *list)
{
	struct allowedips_node *node;
	struct place p;

	assert_lock(t, true);
	if (allowedips_peer_list_empty(list))
		return;
	while (list->head.next != &list->head) {
		node = node_of(list->head.next);
		p = find_exact(root_of(t, node->bits), node->key, node->cidr);
		debug_assert(p.slot && *p.slot == node);
		remove_at(t, p);
	}
}

void *allowedips_lookup(const struct allowedips *t, int family, const void *addr)
{
	const struct allowedips_node *node;
	uint32_t key[MAX_WORDS];
	unsigned bits = family_bits(family);
	void *found = NULL;

	assert_lock(t, false);
	if (!bits)
		return NULL;
	load_key(key, addr, bits);
	node = bits == 32 ? t->root4 : t->root6;
	while (node && prefix_matches(node, key)) {
		void *peer = node->peer;
		if (peer)
			found = peer;
		if (node->cidr == bits)
			break;
		node = node->child[bit_at(key, node->cidr)];
	}
	return found;
}

int allowedips_walk_peer(const struct allowedips *t,
			 const struct allowedips_peer_list *list,
			 allowedips_walk_fn fn, void *arg)
{
	const struct allowedips_link *l;
	const struct allowedips_node *node;
	uint8_t addr[MAX_BITS / 8];
	int ret;

	assert_lock(t, false);
	if (allowedips_peer_list_empty(list))
		return 0;
	for (l = list->head.next; l != &list->head; l = l->next) {
		node = const_node_of(l);
		store_key(addr, node->key, node->bits);
		ret = fn(arg, node->bits == 32 ? AF_INET : AF_INET6, addr, node->cidr);
		if (ret)
			return ret;
	}
	return 0;
}

void allowedips_measure(const struct allowedips *t, struct allowedips_usage *out)
{
	assert_lock(t, false);
	out->nodes = t->nodes;
	out->prefixes = t->prefixes;
	out->bytes = t->bytes;
}

/* Checks one node against its parent (NULL for a root). */
static bool node_ok(const struct allowedips_node *node,
		    const struct allowedips_node *parent, unsigned side,
		    unsigned bits)
{
	uint32_t masked[MAX_WORDS];

	if (node->bits != bits || node->cidr > bits)
		return false;
	memcpy(masked, node->key, bits / 8);
	mask_key(masked, bits, node->cidr);
	if (memcmp(masked, node->key, bits / 8))
		return false;
	if (parent && (node->cidr <= parent->cidr || !prefix_matches(parent, node->key) ||
		       bit_at(node->key, parent->cidr) != side))
		return false;
	if (!node->peer)
		return node->child[0] && node->child[1];
	return node->link.next && node->link.next->prev == &node->link &&
	       node->link.prev->next == &node->link;
}

bool allowedips_verify(const struct allowedips *t)
{
	/* Depth-first, popping a node and pushing its children: at most one
	 * pending sibling per level of the current path plus the two just
	 * pushed, so MAX_DEPTH + 1 entries suffice for a valid trie. */
	struct frame {
		const struct allowedips_node *node, *parent;
		unsigned side;
	} stack[MAX_DEPTH + 1];
	const struct allowedips_node *roots[2] = { t->root4, t->root6 };
	size_t nodes = 0, prefixes = 0, bytes = 0, n;

	assert_lock(t, false);
	for (unsigned r = 0; r < 2; r++) {
		unsigned bits = r ? 128 : 32;
		n = 0;
		if (roots[r])
			stack[n++] = (struct frame){ roots[r], NULL, 0 };
		while (n) {
			const struct allowedips_node *node = stack[--n].node;
			if (!node_ok(node, stack[n].parent, stack[n].side, bits))
				return false;
			nodes++;
			prefixes += node->peer != NULL;
			bytes += node_size(bits);
			for (unsigned side = 0; side < 2; side++) {
				if (!node->child[side])
					continue;
				if (n == ARRAY_SIZE(stack))
					return false;
				stack[n++] = (struct frame){ node->child[side], node, side };
			}
		}
	}
	return nodes == t->nodes && prefixes == t->prefixes && bytes == t->bytes;
}
