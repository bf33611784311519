/* The peer inventory's records (docs/inventory.md): an interface's
 * settings for its clients, its peers with owner, device, addresses and
 * state, and the append-only change log.  Plain data, shared by the
 * store (store.h), the operations, the client-config renderer and the
 * apply plan.  No client's private key is ever part of a record: the
 * server keeps public keys only (and a preshared key, which is shared by
 * nature). */
#ifndef RAMPART_INVENTORY_MODEL_H
#define RAMPART_INVENTORY_MODEL_H

#include "common/encoding.h"
#include "common/netaddr.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	INV_NAME_MAX = 63,    /* a peer's name: [A-Za-z0-9._-], unique per interface */
	INV_TEXT_MAX = 255,   /* owner, device, approved_by, notes: printable UTF-8 */
	INV_POOLS_MAX = 8,    /* address pools of an interface */
	INV_DNS_MAX = 4,      /* DNS servers for its clients */
	INV_ADDRS_MAX = 2,    /* a peer's own addresses: one IPv4 /32, one IPv6 /128 */
	INV_SITES_MAX = 16,   /* extra routed prefixes of a site peer */
	INV_ENDPOINT_MAX = NETADDR_HOST_MAX + 8, /* "HOST:PORT", "[v6]:PORT" */
	INV_HUBS_MAX = 16,    /* hubs a peer is assigned to besides its home */
};

enum inv_state {
	INV_PENDING,  /* requested, waiting for approve; never on the interface */
	INV_ACTIVE,   /* on the interface */
	INV_DISABLED, /* off the interface until enable */
	INV_REVOKED,  /* offboarded: its key can never come back */
	INV_EXPIRED,  /* past its expiry: off until enable with a new expiry */
	INV_STATE_COUNT,
};

/* "pending", "active", ...; NULL for a value out of range. */
const char *inv_state_name(enum inv_state s);
/* The reverse; false if name is none of them. */
bool inv_state_parse(const char *name, enum inv_state *out);

/* A hub: what an interface gives its clients (rampart peer init).  Its
 * name is the hub's in the inventory, unique; ifname the WireGuard
 * interface on the hub's own host (by default the name); space the
 * address space it allocates in (by default its name).  Hubs of one
 * space have the same pools and share address uniqueness, so that a
 * peer may be on several of them with the same addresses
 * (docs/multihub.md). */
struct inv_interface {
	char name[IFNAMSIZ];
	char ifname[IFNAMSIZ];
	char space[IFNAMSIZ];
	char endpoint[INV_ENDPOINT_MAX + 1]; /* the hub's public HOST:PORT */
	bool has_public_key;
	uint8_t public_key[KEY_LEN];         /* the hub's, for client configs */
	struct netaddr_prefix pools[INV_POOLS_MAX];
	size_t n_pools;
	struct netaddr dns[INV_DNS_MAX];
	size_t n_dns;
	bool full_tunnel;                    /* default for new peers */
	int64_t created;                     /* Unix seconds */
};

struct inv_peer {
	int64_t id;                          /* the store's; 0 before insert */
	char iface[IFNAMSIZ];                /* its home hub: where it was added */
	/* The other hubs it is assigned to, all of its home hub's space, by
	 * name (C order); the store reads them, inv_assign() changes them. */
	char hubs[INV_HUBS_MAX][IFNAMSIZ];
	size_t n_hubs;
	char name[INV_NAME_MAX + 1];
	char owner[INV_TEXT_MAX + 1];
	char device[INV_TEXT_MAX + 1];
	char notes[INV_TEXT_MAX + 1];
	uint8_t public_key[KEY_LEN];         /* unique across the inventory */
	bool has_psk;
	uint8_t psk[KEY_LEN];
	/* The peer's own addresses, allocated from the pools (/32, /128). */
	struct netaddr_prefix addrs[INV_ADDRS_MAX];
	size_t n_addrs;
	/* Networks behind a site peer, routed to it. */
	struct netaddr_prefix sites[INV_SITES_MAX];
	size_t n_sites;
	bool allow_overlap;                  /* sites may overlap other peers' (meant) */
	uint16_t keepalive;                  /* seconds; 0 = off */
	bool full_tunnel;                    /* client config: 0.0.0.0/0, ::/0 */
	enum inv_state state;
	int64_t created;                     /* Unix seconds */
	int64_t approved;                    /* 0 = not (yet) */
	char approved_by[INV_TEXT_MAX + 1];
	int64_t expires;                     /* 0 = never */
	/* Seen on an interface, kept across reboots: the latest of what its
	 * hubs saw (struct inv_seen, read only: apply records per hub). */
	int64_t last_handshake;              /* Unix seconds; 0 = never */
	char last_endpoint[INV_ENDPOINT_MAX + 1];
	/* Rotation with overlap: the key that replaces public_key. */
	bool has_next_key;
	uint8_t next_key[KEY_LEN];
	int64_t rotate_until;                /* the end of the window; 0 = none */
	bool rotate_on_handshake;            /* the old key ends at the new one's first handshake */
};

/* What one hub saw of one peer (peer apply records it), kept per hub so
 * that one hub never overwrites another's. */
struct inv_seen {
	int64_t peer;                        /* the peer's id */
	char hub[IFNAMSIZ];
	int64_t last_handshake;              /* Unix seconds; 0 = never */
	char last_endpoint[INV_ENDPOINT_MAX + 1];
};

/* One line of the change log.  Append-only: the store has no way to
 * change or delete one. */
struct inv_log_entry {
	int64_t id;                          /* the store's, increasing */
	int64_t at;                          /* Unix seconds */
	char who[INV_TEXT_MAX + 1];          /* the invoking user ("root via sudo from alice") */
	char iface[IFNAMSIZ];
	char peer[INV_NAME_MAX + 1];         /* "" for the interface itself */
	char action[32];                     /* "add", "approve", "revoke", "expire", ... */
	char detail[INV_TEXT_MAX + 1];       /* what changed, never a secret */
};

/* A name for a peer: 1..INV_NAME_MAX of [A-Za-z0-9._-], not starting with
 * '-' or '.'; *why says what is wrong. */
bool inv_valid_name(const char *s, const char **why);
/* p->hubs from list, hub names joined by ',' in any order (NULL or "":
 * none), sorted; false for more than INV_HUBS_MAX or a name too long. */
bool inv_parse_hubs(struct inv_peer *p, const char *list);
/* Free text (owner, device, notes): at most INV_TEXT_MAX bytes, no
 * control characters. */
bool inv_valid_text(const char *s, const char **why);

#endif
