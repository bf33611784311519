/* The one device model of the control protocol, for both of its ends, in
 * the way wireguard-tools keeps one struct wgdevice for its parser, its
 * IPC and `show`.  The daemon's parser fills it from a set=1 request and
 * the daemon's get formatter writes it out; the client's reply reader
 * fills it from a get reply and the client's request builder writes a
 * set=1 request from it.  A field counts only with its has-flag, so "no
 * listen port" and "listen port 0" stay apart.
 *
 * A get reply fills the configuration fields and the statistics; a set
 * request uses the configuration fields and the REMOVE, UPDATE_ONLY and
 * REPLACE_PEERS flags and ignores the statistics.  Allowed-IP changes are
 * steps in order, so that replace_allowed_ips=true may sit anywhere in an
 * entry, as the wire allows.
 *
 * Secrets: private and preshared keys are wiped when a device is freed or
 * an array of it moves (common/array.h). */
#ifndef RAMPART_UAPI_DEVICE_H
#define RAMPART_UAPI_DEVICE_H

#include "common/compiler.h"
#include "common/encoding.h"
#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf;

/* rampartd's read-only statistics socket, UAPI_STATS_DIR/IFNAME.stats, for
 * both ends: its get=1 reply carries no secret, its set=1 is refused
 * with EPERM.  Not under /var/run/wireguard, where wg(8) takes every
 * *.sock for an interface; not /run/rampart either, which rampart up
 * makes 0700 while the exporter reaches the socket unprivileged. */
#define UAPI_STATS_DIR "/run/rampart-stats"
#define UAPI_STATS_SUFFIX ".stats"

enum {
	/* IFNAMSIZ - 1. */
	UAPI_IFNAME_MAX = 15,
	/* The kernel's MAX_PEERS_PER_DEVICE. */
	UAPI_PEERS_MAX = 1 << 20,
	/* Allowed-IP steps of one peer entry. */
	UAPI_ALLOWED_IPS_MAX = 1 << 20,
	/* Rampart's counters in a get reply, and the longest counter name
	 * after "rampart_" ("drop_invalid_mac1"). */
	UAPI_COUNTERS_MAX = 256,
	UAPI_COUNTER_NAME_MAX = 63,
};

enum uapi_device_flag {
	UAPI_DEVICE_HAS_PRIVATE_KEY = 1u << 0, /* all zeros in a set: remove it */
	UAPI_DEVICE_HAS_PUBLIC_KEY = 1u << 1,  /* filled by whoever has curve25519 */
	UAPI_DEVICE_HAS_LISTEN_PORT = 1u << 2, /* 0 in a set: a random port */
	UAPI_DEVICE_HAS_FWMARK = 1u << 3,      /* 0 in a set: remove the mark */
	UAPI_DEVICE_REPLACE_PEERS = 1u << 4,   /* set: remove every peer first */
};

enum uapi_peer_flag {
	UAPI_PEER_HAS_PRESHARED_KEY = 1u << 0, /* all zeros in a set: remove it */
	UAPI_PEER_HAS_ENDPOINT = 1u << 1,
	UAPI_PEER_HAS_KEEPALIVE = 1u << 2,     /* 0 in a set: turn it off */
	UAPI_PEER_REMOVE = 1u << 3,            /* set: remove=true */
	UAPI_PEER_UPDATE_ONLY = 1u << 4,       /* set: do not create the peer */
	UAPI_PEER_HAS_TAKEOVER = 1u << 5,      /* set: rampart_takeover=HEX (Rampart's
						* own, docs/rotation.md) */
};

enum uapi_allowed_ip_action {
	UAPI_ALLOWED_IP_ADD,     /* allowed_ip=P/L: add, taking it from any other peer */
	UAPI_ALLOWED_IP_REMOVE,  /* allowed_ip=-P/L: remove if this peer holds it */
	UAPI_ALLOWED_IP_REPLACE, /* replace_allowed_ips=true: drop every prefix the
				  * peer holds at this point; prefix unused */
};

/* A Rampart counter, the line "rampart_NAME=VALUE" among a device's keys
 * (after fwmark) or a peer's (after persistent_keepalive_interval): wg(8)
 * ignores keys it does not know, rampart reads them.  The daemon sends a
 * counter once it is non-zero. */
struct uapi_counter {
	char name[UAPI_COUNTER_NAME_MAX + 1]; /* [a-z0-9_]+ */
	uint64_t value;
};

/* An endpoint as the model keeps it: numeric, as the wire always writes
 * it, or a host name the client has not resolved yet.  The name lives on
 * the heap, so that a peer stays small: the daemon parses sets of up to a
 * million peers into this model (a peer is 256 bytes; a name held
 * inline would double that). */
struct uapi_endpoint {
	bool literal;
	struct netaddr addr;             /* literal */
	char zone[NETADDR_ZONE_MAX + 1]; /* literal IPv6 only; "" if none */
	uint16_t port;
	char *host;                      /* !literal: the name, owned */
};

/* One allowed IP of a get reply (always ADD), or one step of a set.
 * Prefixes are kept as written: host bits are neither refused nor masked
 * (the routing table masks). */
struct uapi_allowed_ip {
	struct netaddr_prefix prefix;
	uint8_t action; /* enum uapi_allowed_ip_action */
};

struct uapi_peer {
	unsigned flags; /* enum uapi_peer_flag */
	uint8_t public_key[KEY_LEN];
	uint8_t preshared_key[KEY_LEN]; /* secret */
	struct uapi_endpoint endpoint;
	uint16_t keepalive; /* seconds; 0 = off */
	/* Rotation with overlap: the old peer whose allowed IPs this one takes
	 * over at its first handshake, which also removes the old peer. */
	uint8_t takeover_key[KEY_LEN];

	/* Statistics of a get reply. */
	/* Wall clock (CLOCK_REALTIME) of the latest handshake; 0/0 = never;
	 * nsec 0..999999999. */
	int64_t last_handshake_sec;
	int64_t last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;

	struct uapi_allowed_ip *allowed_ips;
	size_t n_allowed_ips, cap_allowed_ips;
	/* Rampart's own counters of the peer (rx_packets, handshakes, ...). */
	struct uapi_counter *counters;
	size_t n_counters, cap_counters;

	unsigned line; /* of its public_key line, 1-based within the message; 0 if built */
};

struct uapi_device {
	char name[UAPI_IFNAME_MAX + 1]; /* "" when not known */
	unsigned flags; /* enum uapi_device_flag */
	uint8_t private_key[KEY_LEN]; /* secret */
	uint8_t public_key[KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;

	struct uapi_peer *peers; /* in the order of their public_key lines */
	size_t n_peers, cap_peers;
	struct uapi_counter *counters; /* in the order received */
	size_t n_counters, cap_counters;
};

/* Whether n bytes of s might hold a key, hex or base64: a run of 32 or
 * more characters of their alphabets (half a key in hex) anywhere, which
 * no message of either end shows.  Anywhere, not only the whole value: a
 * key with a stray byte (a "\r" from a CRLF file, a typo in its key's
 * name, a key pasted into the wrong field) is still a key. */
bool uapi_looks_like_key(const char *s, size_t n);

/* The wire line "NAME=HEX\n" for a key, as both ends write keys; the hex
 * on the stack is wiped. */
void uapi_write_key(struct textbuf *o, const char *name, const uint8_t key[KEY_LEN]);

/* Sets e to what from says (a copy of a name's host); what e held goes.
 * 0, or -ENOMEM with e unchanged. */
int uapi_endpoint_set(struct uapi_endpoint *e, const struct netaddr_endpoint *from) warn_unused;
/* netaddr_parse_endpoint() of s into e (a name or a literal); false,
 * with e unchanged, and why ("out of memory" for a name that could not
 * be copied). */
bool uapi_endpoint_parse(struct uapi_endpoint *e, const char *s, const char **why) warn_unused;
/* e as a struct netaddr_endpoint, for parsers, printers and the resolver. */
void uapi_endpoint_get(const struct uapi_endpoint *e, struct netaddr_endpoint *out);
/* netaddr_format_endpoint() of e into buf; returns buf. */
const char *uapi_endpoint_format(char buf[NETADDR_ENDPOINT_STRLEN], const struct uapi_endpoint *e);

/* A zeroed device; NULL with errno on failure. */
struct uapi_device *uapi_device_alloc(void);
/* Wipes the keys and frees everything; NULL is a no-op. */
void uapi_device_free(struct uapi_device *dev);
/* Appends a zeroed peer with this public key and returns it, or NULL with
 * errno (ENOMEM, E2BIG past UAPI_PEERS_MAX).  The pointer is valid until
 * the next uapi_device_add_peer(): the array may move. */
struct uapi_peer *uapi_device_add_peer(struct uapi_device *dev, const uint8_t key[KEY_LEN]);
/* 0, -ENOMEM, or -E2BIG past UAPI_ALLOWED_IPS_MAX. */
int uapi_peer_add_allowed_ip(struct uapi_peer *peer, const struct netaddr_prefix *prefix,
			     enum uapi_allowed_ip_action action) warn_unused;
/* 0, -ENOMEM, or -E2BIG past UAPI_COUNTERS_MAX; name is cut at
 * UAPI_COUNTER_NAME_MAX. */
int uapi_device_add_counter(struct uapi_device *dev, const char *name, uint64_t value) warn_unused;
int uapi_peer_add_counter(struct uapi_peer *peer, const char *name, uint64_t value) warn_unused;
/* The value of the peer's counter name; 0 when it has none (the daemon
 * sends a counter once it is non-zero). */
uint64_t uapi_peer_counter(const struct uapi_peer *peer, const char *name);

#endif
