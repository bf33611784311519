/* Packets and datagrams: classification of what arrives from the network,
 * padding, and sealing / opening data messages in place.
 *
 * A struct packet is a caller-owned buffer (the daemon's pool, a test's
 * array): the core never allocates one.  Outbound IP packets must come
 * with PACKET_HEADROOM bytes free before the data and PACKET_TAILROOM
 * after it, so that sealing writes the header, padding and tag in place. */
#ifndef RAMPART_PROTO_PACKET_H
#define RAMPART_PROTO_PACKET_H

#include "messages.h"
#include "noise.h"

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crypto_aead;

struct packet {
	uint8_t *head;       /* the buffer */
	size_t cap;          /* its size */
	size_t off;          /* data starts at head + off */
	size_t len;          /* data bytes */
	struct packet *next; /* queue link, owned by the queue holding it */
	bool core_owned;     /* a peer's keepalive buffer: never given back */
};

enum packet_room {
	PACKET_HEADROOM = sizeof(struct message_data),
	PACKET_TAILROOM = (MESSAGE_PADDING_MULTIPLE - 1) + NOISE_AUTHTAG_LEN,
};

static inline uint8_t *packet_data(const struct packet *p)
{
	return p->head + p->off;
}

/* The message type of a datagram if its size and header are valid for
 * that type (types 1-3 at their exact size, type 4 at >= 32 bytes, the
 * three reserved bytes zero), else MESSAGE_INVALID. */
enum message_type packet_classify(const uint8_t *buf, size_t len) warn_unused;

/* Plaintext length after padding: round up to 16, but never past the MTU
 * (and never below len). */
size_t packet_padded_len(size_t len, unsigned mtu) warn_unused;

/* A thread's two AEAD contexts for data messages, each remembering the
 * id of the key it holds (struct noise_key), so that a run of packets
 * under one keypair keys the context once.  Used by one thread at a time.
 * A context keeps the last key it used until it is keyed again or freed. */
struct packet_crypto {
	struct crypto_aead *seal, *open;
	uint64_t seal_id, open_id; /* 0 = none */
};

/* 0 or -ENOMEM. */
int packet_crypto_init(struct packet_crypto *c) warn_unused;
void packet_crypto_uninit(struct packet_crypto *c);

/* Whether p has the room packet_seal needs for a plaintext padded to
 * padded bytes. */
bool packet_has_room(const struct packet *p, size_t padded) warn_unused;

/* Turns the IP packet in p into a data message under key with the given
 * counter and receiver index: header in the headroom, zero padding up to
 * padded bytes (packet_padded_len), tag.  False if there is not enough
 * room or the AEAD fails. */
bool packet_seal(struct packet_crypto *c, struct packet *p, const struct noise_key *key,
		 uint32_t remote_index, uint64_t counter, size_t padded) warn_unused;

/* Opens the data message in p under key (authentication only: the replay
 * check is the caller's, after this succeeds).  On success p holds the
 * padded plaintext. */
bool packet_open(struct packet_crypto *c, struct packet *p, const struct noise_key *key) warn_unused;

/* An inner IP packet's family and addresses, and its length from its
 * header (to strip padding).  False if it is not a well-formed IPv4 or
 * IPv6 header that fits in len. */
struct packet_ip {
	int family;          /* AF_INET or AF_INET6 */
	const uint8_t *src;  /* 4 or 16 bytes, network order */
	const uint8_t *dst;
	size_t len;          /* total length from the header */
};
bool packet_parse_ip(const uint8_t *buf, size_t len, struct packet_ip *ip) warn_unused;

#endif
