/* Cryptokey routing (WireGuard paper §2): the allowed-IPs table.
 *
 * Maps IPv4 and IPv6 prefixes to peers with longest-prefix match.  The
 * same table answers both questions of the data path: which peer an
 * outbound packet goes to (lookup by destination) and whether an inbound
 * packet's source is one its peer may use (lookup by source, compare the
 * peer).  Behaviour follows the Linux module and wireguard-go: an inserted
 * address is masked to its prefix, inserting a prefix another peer holds
 * moves it, a peer's prefixes are kept in a per-peer list in insertion
 * order (the order wg(8) shows them in).
 *
 * The table is two path-compressed binary tries, one per family, keyed by
 * address bits most significant first.  A node holds one prefix; a node
 * without a peer only joins two subtries.  Node size (LP64, bytes as
 * allocated): 48 for IPv4, 60 for IPv6; allowedips_measure() reports the
 * totals.
 *
 * Peers are opaque.  The caller embeds a struct allowedips_peer_list in
 * each of its peers and passes it wherever a peer is named; lookups return
 * the void * it was initialised with.  The table takes no reference: call
 * allowedips_remove_by_peer() before the memory of a peer is freed.
 *
 * Concurrency: the table takes no lock (the protocol core has no threads).
 * Its owner guards it; the check callback is told which access is made:
 *   - allowedips_lookup(), allowedips_walk_peer() and allowedips_measure()
 *     only read (write = false), so an owner with an rwlock may run them
 *     together under the read side;
 *   - every other function changes the table or a peer list (write =
 *     true) and needs exclusive access.
 * The daemon holds its one dev_lock (a mutex) for both.  Debug builds
 * assert this through allowedips_set_lock_check().  Mutations
 * reach the trie through single stores of fully built nodes, so a later
 * move to RCU-style lookups needs release stores and deferred frees, not a
 * new structure. */
#ifndef RAMPART_PROTO_ALLOWEDIPS_H
#define RAMPART_PROTO_ALLOWEDIPS_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct allowedips_node;

/* A link of a circular doubly linked list. */
struct allowedips_link {
	struct allowedips_link *next, *prev;
};

/* One peer's part of the table, embedded in the caller's peer.  A zeroed
 * one is a valid empty list. */
struct allowedips_peer_list {
	struct allowedips_link head; /* this peer's nodes, oldest first */
	void *peer;                  /* returned by lookups; never NULL */
};

struct allowedips {
	struct allowedips_node *root4, *root6;
	size_t nodes;    /* prefix nodes and join nodes */
	size_t prefixes; /* nodes that hold a peer */
	size_t bytes;    /* allocated for nodes */
	/* Debug builds only: asserts the caller's lock (see the top). */
	bool (*lock_held)(void *arg, bool write);
	void *lock_arg;
};

struct allowedips_usage {
	size_t nodes, prefixes, bytes;
};

/* Called for each prefix of a peer: family AF_INET or AF_INET6, addr the
 * 4 or 16 bytes in network order with host bits zero.  A non-zero return
 * stops the walk.  It may not change the table. */
typedef int (*allowedips_walk_fn)(void *arg, int family, const uint8_t *addr,
				  uint8_t cidr);

void allowedips_init(struct allowedips *t);
/* Frees every node and empties every peer list; the table is then empty
 * and ready for use. */
void allowedips_free(struct allowedips *t);

/* Debug builds call held(arg, write) on entry to every function below
 * and assert that it returns true: write is true for the functions that
 * change the table, false for those that only read it (which the write
 * side also satisfies).  NULL turns the check off. */
void allowedips_set_lock_check(struct allowedips *t,
			       bool (*held)(void *arg, bool write), void *arg);

/* An empty list naming peer (non-NULL). */
void allowedips_peer_list_init(struct allowedips_peer_list *list, void *peer);
bool allowedips_peer_list_empty(const struct allowedips_peer_list *list) warn_unused;

/* Gives addr/cidr to the list's peer; addr is a struct in_addr or struct
 * in6_addr (network order) per family and its host bits are ignored.  If
 * another peer held the prefix, it moves, and *moved_from (when not NULL)
 * is set to that peer so that the caller can count and log the move;
 * otherwise *moved_from is set to NULL.  Inserting a prefix the peer
 * already holds changes nothing.  0, -EINVAL (family not AF_INET or
 * AF_INET6, cidr over 32 or 128, no peer) or -ENOMEM (table unchanged). */
int allowedips_insert(struct allowedips *t, int family, const void *addr,
		      uint8_t cidr, struct allowedips_peer_list *list,
		      void **moved_from) warn_unused;

/* Removes exactly the prefix addr/cidr (host bits ignored), only if the
 * list's peer holds it.  0, -EINVAL (as for insert) or -ENOENT (no such
 * prefix, or another peer holds it: nothing changes). */
int allowedips_remove(struct allowedips *t, int family, const void *addr,
		      uint8_t cidr, struct allowedips_peer_list *list) warn_unused;

/* Removes every prefix of the list's peer, leaving the list empty:
 * O(k * depth) for k prefixes, depth at most 33 or 129. */
void allowedips_remove_by_peer(struct allowedips *t,
			       struct allowedips_peer_list *list);

/* The peer holding the longest prefix that contains addr (4 or 16 bytes,
 * network order, per family), or NULL when none does or the family is
 * neither AF_INET nor AF_INET6.  Allocates nothing and writes nothing. */
void *allowedips_lookup(const struct allowedips *t, int family,
			const void *addr);

/* Calls fn for each prefix of the list's peer, in the order the peer
 * gained them (a prefix moved to the peer counts as gained then); returns
 * fn's first non-zero result, or 0. */
int allowedips_walk_peer(const struct allowedips *t,
			 const struct allowedips_peer_list *list,
			 allowedips_walk_fn fn, void *arg);

void allowedips_measure(const struct allowedips *t, struct allowedips_usage *out);

/* Checks every invariant of the tries against the counters and the peer
 * lists: O(n), for tests and debug builds.  Requires the read side. */
bool allowedips_verify(const struct allowedips *t) warn_unused;

#endif
