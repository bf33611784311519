/* Every WireGuard wire layout and protocol constant, in one place.
 *
 * Numbers are those of the Linux kernel module and wireguard-go today (the
 * peers Rampart must interoperate with); see the WireGuard paper §5 and
 * ../shared/docs/protocol-facts.md.  Times are in nanoseconds of the
 * caller's monotonic clock: the protocol core never reads a clock itself. */
#ifndef RAMPART_PROTO_MESSAGES_H
#define RAMPART_PROTO_MESSAGES_H

#include <stdint.h>

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000ULL

enum noise_lengths {
	NOISE_PUBLIC_KEY_LEN = 32,
	NOISE_SYMMETRIC_KEY_LEN = 32,
	NOISE_TIMESTAMP_LEN = 12, /* TAI64N */
	NOISE_AUTHTAG_LEN = 16,
	NOISE_HASH_LEN = 32,
};

#define noise_encrypted_len(plain_len) ((plain_len) + NOISE_AUTHTAG_LEN)

enum cookie_values {
	COOKIE_NONCE_LEN = 24, /* XChaCha20-Poly1305 */
	COOKIE_LEN = 16,
	COOKIE_KEY_LEN = 32,
};

/* Replay window (RFC 6479): a ring of 8192 bits of which one machine word
 * is always being recycled, so 8128 counters behind the newest are
 * accepted exactly once. */
enum counter_values {
	COUNTER_BITS_TOTAL = 8192,
	COUNTER_REDUNDANT_BITS = 64,
	COUNTER_WINDOW_SIZE = COUNTER_BITS_TOTAL - COUNTER_REDUNDANT_BITS,
};

/* Message counters (64-bit, so not enum constants). */
#define REKEY_AFTER_MESSAGES (1ULL << 60)
#define REJECT_AFTER_MESSAGES (UINT64_MAX - (1ULL << 13)) /* 2^64 - 2^13 - 1 */

/* Timers, nanoseconds. */
#define REKEY_AFTER_TIME (120 * NSEC_PER_SEC)
#define REJECT_AFTER_TIME (180 * NSEC_PER_SEC)
#define REKEY_ATTEMPT_TIME (90 * NSEC_PER_SEC)
#define REKEY_TIMEOUT (5 * NSEC_PER_SEC)
#define REKEY_TIMEOUT_JITTER_MAX (NSEC_PER_SEC / 3)
#define KEEPALIVE_TIMEOUT (10 * NSEC_PER_SEC)
/* The initiator rekeys on receive when the key is this old, so that a
 * handshake completes before REJECT_AFTER_TIME (165 s). */
#define REKEY_AFTER_TIME_RECV (REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT)
/* Keys are zeroed after this long without a new handshake (540 s). */
#define KEY_ZEROING_TIME (3 * REJECT_AFTER_TIME)
/* Cookie secret lifetime, and how much earlier a sender stops using a
 * received cookie (it may be about to expire at the responder). */
#define COOKIE_SECRET_MAX_AGE (120 * NSEC_PER_SEC)
#define COOKIE_SECRET_LATENCY (5 * NSEC_PER_SEC)
/* How long the device stays "under load" after the condition ends. */
#define UNDER_LOAD_AFTER_TIME (1 * NSEC_PER_SEC)

enum limits {
	MAX_TIMER_HANDSHAKES = 90 / 5, /* REKEY_ATTEMPT_TIME / REKEY_TIMEOUT */
	MAX_STAGED_PACKETS = 128,
	MAX_QUEUED_INCOMING_HANDSHAKES = 4096,
	/* Handshake queue fill at which the device is under load (1/8). */
	UNDER_LOAD_QUEUE_LEN = MAX_QUEUED_INCOMING_HANDSHAKES / 8,
	MAX_PEERS = 1 << 20,
	/* Consumed initiations per peer per second (flood limit). */
	INITIATIONS_PER_SECOND = 50,
	/* Largest IP packet the data path carries (inner). */
	MAX_PACKET_LEN = 65535,
};

/* Per-source handshake rate limiter: a token bucket per IPv4 address and
 * per IPv6 /64. */
enum ratelimiter_values {
	RATELIMITER_PACKETS_PER_SECOND = 20,
	RATELIMITER_PACKETS_BURSTABLE = 5,
	RATELIMITER_MAX_ENTRIES = 1 << 16,
};
#define RATELIMITER_PACKET_COST (NSEC_PER_SEC / RATELIMITER_PACKETS_PER_SECOND)
#define RATELIMITER_TOKEN_MAX (RATELIMITER_PACKET_COST * RATELIMITER_PACKETS_BURSTABLE)
/* Entries idle for this long are collected. */
#define RATELIMITER_GC_AGE (1 * NSEC_PER_SEC)

enum message_type {
	MESSAGE_INVALID = 0,
	MESSAGE_HANDSHAKE_INITIATION = 1,
	MESSAGE_HANDSHAKE_RESPONSE = 2,
	MESSAGE_HANDSHAKE_COOKIE = 3,
	MESSAGE_DATA = 4,
};

/* All integers on the wire are little endian.  The header's three
 * reserved bytes must be zero: type is a 32-bit little-endian word whose
 * value is 1..4. */
struct message_header {
	uint32_t type;
} __attribute__((packed));

struct message_macs {
	uint8_t mac1[COOKIE_LEN];
	uint8_t mac2[COOKIE_LEN];
} __attribute__((packed));

struct message_handshake_initiation {
	struct message_header header;
	uint32_t sender_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_static[noise_encrypted_len(NOISE_PUBLIC_KEY_LEN)];
	uint8_t encrypted_timestamp[noise_encrypted_len(NOISE_TIMESTAMP_LEN)];
	struct message_macs macs;
} __attribute__((packed));

struct message_handshake_response {
	struct message_header header;
	uint32_t sender_index;
	uint32_t receiver_index;
	uint8_t unencrypted_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t encrypted_nothing[noise_encrypted_len(0)];
	struct message_macs macs;
} __attribute__((packed));

struct message_handshake_cookie {
	struct message_header header;
	uint32_t receiver_index;
	uint8_t nonce[COOKIE_NONCE_LEN];
	uint8_t encrypted_cookie[noise_encrypted_len(COOKIE_LEN)];
} __attribute__((packed));

struct message_data {
	struct message_header header;
	uint32_t key_idx;
	uint64_t counter;
	uint8_t encrypted_data[];
} __attribute__((packed));

#define message_data_len(plain_len) \
	(noise_encrypted_len(plain_len) + sizeof(struct message_data))

enum message_alignments {
	MESSAGE_PADDING_MULTIPLE = 16,
	MESSAGE_MINIMUM_LENGTH = message_data_len(0),
};

_Static_assert(sizeof(struct message_handshake_initiation) == 148, "initiation");
_Static_assert(sizeof(struct message_handshake_response) == 92, "response");
_Static_assert(sizeof(struct message_handshake_cookie) == 64, "cookie");
_Static_assert(sizeof(struct message_data) == 16, "data header");
_Static_assert(MESSAGE_MINIMUM_LENGTH == 32, "keepalive");

#endif
