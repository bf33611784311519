/* A peer: a remote static key, its handshake and sessions, its cookie
 * maker, timers, endpoint, allowed IPs, staged packets and counters.
 * Created and destroyed by the device (device_add_peer / device_remove_peer). */
#ifndef RAMPART_PROTO_PEER_H
#define RAMPART_PROTO_PEER_H

#include "allowedips.h"
#include "cookie.h"
#include "messages.h"
#include "noise.h"
#include "packet.h"
#include "timers.h"

#include <stdbool.h>
#include <stdint.h>

struct device;
struct peer;

/* A local session index naming this peer in the device's index table:
 * one for the handshake in progress and one per keypair. */
struct index_entry {
	uint32_t index; /* 0 = unused */
	struct peer *peer;
};

enum { PEER_INDEX_ENTRIES = NOISE_KEYPAIR_SLOTS + 1 };

/* Where a peer is, and where we are when we talk to it. */
struct endpoint {
	int family;         /* AF_INET or AF_INET6; 0 = unknown */
	uint8_t addr[16];   /* network order; 4 bytes used for IPv4 */
	uint16_t port;      /* host order */
	/* The local address the peer's last packet arrived on, so replies
	 * leave from the address the peer wrote to (filled and used by the
	 * daemon; the core copies it along; family 0 = let routing pick). */
	int local_family;
	uint8_t local_addr[16];
	uint32_t local_ifindex;
};

struct peer_stats {
	uint64_t rx_bytes;  /* every authenticated datagram, as the kernel counts */
	uint64_t tx_bytes;  /* every datagram sent to the peer */
	uint64_t rx_data_packets;
	uint64_t tx_data_packets;
	uint64_t handshakes_initiated;
	uint64_t handshakes_completed;
	uint64_t staged_dropped;
	uint64_t prefixes_lost; /* allowed IPs moved to another peer */
	uint64_t endpoint_changes; /* roaming: an authenticated packet from a new address */
};

struct peer {
	struct device *device;
	uint8_t public_key[NOISE_PUBLIC_KEY_LEN];
	struct noise_remote remote;
	struct cookie_maker cookie;
	struct timers timers;
	struct endpoint endpoint;
	struct allowedips_peer_list allowed;
	/* Packets waiting for a session: at most MAX_STAGED_PACKETS, oldest
	 * dropped first. */
	struct packet *staged_head;
	struct packet *staged_tail;
	unsigned staged_count;
	/* Monotonic ns of the last completed handshake; 0 = never. */
	uint64_t last_handshake;
	/* The same moment on the wall clock (ops->wall_clock), for the
	 * control socket; 0 and 0 = never. */
	uint64_t last_handshake_sec;
	uint32_t last_handshake_nsec;
	/* Monotonic ns at which the last session expires with no newer
	 * handshake (DEVICE_EVENT_STALE); 0 = reported, or none yet. */
	uint64_t stale_deadline;
	/* The device's list of peers, in the order they were added. */
	struct peer *prev_peer, *next_peer;
	struct peer_stats stats;
	struct index_entry indices[PEER_INDEX_ENTRIES];
	/* A keepalive needs a buffer the core owns: one per peer, so that a
	 * staged keepalive never waits on another peer's. */
	struct packet keepalive;
	uint8_t keepalive_buf[PACKET_HEADROOM + PACKET_TAILROOM];
	/* The device's timer heap position (SIZE_MAX = not queued). */
	size_t heap_index;
	uint64_t heap_deadline; /* monotonic ns; the key it is queued under */
};

#endif
