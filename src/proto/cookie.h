/* mac1, mac2 and cookie replies (WireGuard paper §5.4.4, §5.4.7).
 *
 * Every handshake message carries mac1 = MAC(HASH("mac1----" || Spub_r),
 * msg up to mac1), checked first and before any DH: without the
 * responder's public key nobody gets an answer.  Under load the responder
 * also wants mac2 = MAC(cookie, msg up to mac2), where the cookie is a MAC
 * of the sender's IP address and port under a secret rotated every two
 * minutes; a sender without one gets a 64-byte cookie reply instead of DH
 * work.
 *
 * A checker belongs to the device, a maker to each peer.  Neither locks,
 * and there are no per-peer locks: the caller serializes every call into
 * the device, and so on both (the daemon holds its one dev_lock).
 *
 * A gate (struct cookie_gate, below) is a checker of its own with the
 * limits of cookie replies, for a caller that checks the macs and answers
 * cookies before, and without, the device's serialization: what fails or
 * gets a cookie never reaches the device.  The caller serializes the
 * calls on one gate (the daemon: the gate's own leaf lock) and copies the
 * device's keys into it when the identity changes (device.h:
 * device_identity_gen, device_cookie_keys). */
#ifndef RAMPART_PROTO_COOKIE_H
#define RAMPART_PROTO_COOKIE_H

#include "messages.h"
#include "ratelimiter.h"

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A datagram's source, as the cookie binds it. */
struct cookie_source {
	int family;        /* AF_INET or AF_INET6 */
	uint8_t addr[16];  /* network byte order; 4 bytes used for IPv4 */
	uint16_t port;     /* host byte order */
};

struct cookie_checker {
	bool has_keys;
	uint8_t message_mac1_key[COOKIE_KEY_LEN];
	uint8_t cookie_encryption_key[COOKIE_KEY_LEN];
	uint8_t secret[COOKIE_KEY_LEN];
	bool has_secret;
	uint64_t secret_birthdate; /* monotonic ns */
};

struct cookie_maker {
	uint8_t message_mac1_key[COOKIE_KEY_LEN];
	uint8_t cookie_decryption_key[COOKIE_KEY_LEN];
	uint8_t cookie[COOKIE_LEN];
	bool is_valid;
	uint64_t birthdate;        /* monotonic ns, when the cookie arrived */
	uint8_t last_mac1_sent[COOKIE_LEN];
	bool have_sent_mac1;
};

enum cookie_mac_state {
	INVALID_MAC,
	VALID_MAC_BUT_NO_COOKIE,
	VALID_MAC_WITH_COOKIE,
};

void cookie_checker_init(struct cookie_checker *cc);
/* Derives the keys from the device's public key (NULL: no identity, every
 * message's mac1 is then invalid). */
void cookie_checker_precompute(struct cookie_checker *cc, const uint8_t *local_public);
void cookie_checker_uninit(struct cookie_checker *cc);

void cookie_maker_init(struct cookie_maker *cm, const uint8_t remote_public[NOISE_PUBLIC_KEY_LEN]);
void cookie_maker_uninit(struct cookie_maker *cm);

/* Checks a handshake message (types 1 and 2; len is its exact size, the
 * last 32 bytes being mac1 and mac2).  mac2 is checked only when
 * check_cookie (the device is under load).  now: monotonic ns (the secret
 * is renewed when older than COOKIE_SECRET_MAX_AGE). */
enum cookie_mac_state cookie_validate_packet(struct cookie_checker *cc, const void *msg,
					     size_t len, const struct cookie_source *src,
					     bool check_cookie, uint64_t now) warn_unused;

/* Writes mac1 and mac2 into an outgoing handshake message; mac2 only
 * while the maker holds a cookie younger than COOKIE_SECRET_MAX_AGE -
 * COOKIE_SECRET_LATENCY, zeros otherwise.  now: monotonic ns. */
bool cookie_add_mac_to_packet(struct cookie_maker *cm, void *msg, size_t len,
			      uint64_t now) warn_unused;

/* Builds the cookie reply to a handshake message from src whose sender
 * index was `index`.  now: monotonic ns. */
bool cookie_message_create(struct cookie_checker *cc, struct message_handshake_cookie *dst,
			   const void *msg, size_t len, uint32_t index,
			   const struct cookie_source *src, uint64_t now) warn_unused;

/* Accepts a cookie reply for the last message this maker sent (its mac1
 * is the reply's AD); false if it does not decrypt or nothing was sent.
 * now: monotonic ns. */
bool cookie_message_consume(struct cookie_maker *cm,
			    const struct message_handshake_cookie *msg, uint64_t now) warn_unused;

/* The keys of src (not its secret) into dst: dst then checks mac1 and
 * encrypts cookies as src would, under a secret of its own. */
void cookie_checker_copy_keys(struct cookie_checker *dst, const struct cookie_checker *src);

/* --- the gate ------------------------------------------------------------ */

/* Handshake messages checked outside the device (see the top).  Cookie
 * replies are limited twice: per source (an IPv4 address, an IPv6 /64)
 * by a rate limiter of their own, RATELIMITER_PACKETS_PER_SECOND with a
 * burst of RATELIMITER_PACKETS_BURSTABLE, so the gate cannot be aimed at
 * a victim by spoofing its address; and in total, by bytes: a reply is
 * sent only while the replies' bytes stay within the bytes of the
 * handshake messages the gate has seen, so it never reflects more than
 * it receives, whatever the sizes. */
struct cookie_gate {
	struct cookie_checker checker;
	struct ratelimiter replies;    /* per source, for cookie replies */
	uint64_t bytes_in;             /* handshake messages checked */
	uint64_t bytes_out;            /* cookie replies handed out */
	uint64_t last_gc;              /* monotonic ns: replies' ratelimiter_gc */
	uint64_t last_under_load;      /* monotonic ns; 0 = never */
};

enum cookie_verdict {
	COOKIE_NO_IDENTITY,            /* no keys: nothing can be checked */
	COOKIE_INVALID_MAC1,           /* silence */
	COOKIE_REPLY,                  /* under load without a valid mac2: send
					* *reply back to the source */
	COOKIE_REPLY_LIMITED,          /* the same, over the reply limits: silence */
	COOKIE_PASS,                   /* to the device (not under load) */
	COOKIE_PASS_PROVEN,            /* to the device, under load with a valid
					* mac2 (its per-source limit comes next) */
};

/* 0 or -errno (the replies' rate limiter's table). */
int cookie_gate_init(struct cookie_gate *g) warn_unused;
void cookie_gate_uninit(struct cookie_gate *g);

/* The load rule of the kernel and wireguard-go, on the caller's count of
 * handshake messages waiting: under load from UNDER_LOAD_QUEUE_LEN on,
 * and for UNDER_LOAD_AFTER_TIME after.  now: monotonic ns. */
bool cookie_gate_under_load(struct cookie_gate *g, size_t backlog, uint64_t now);

/* Whether msg (a handshake message of exact size len) carries a valid mac1
 * and a valid mac2 for src: the sender has had a cookie for this address,
 * so it can receive there.  An all-zero mac2 is refused without a MAC.
 * For a queue's priority: the verdict is cookie_gate_check's. */
bool cookie_gate_proven(struct cookie_gate *g, const void *msg, size_t len,
			const struct cookie_source *src, uint64_t now) warn_unused;

/* The verdict on a handshake message (types 1 and 2, exact size len) from
 * src, whose sender index is at offset 4; under_load from
 * cookie_gate_under_load.  On COOKIE_REPLY, *reply is the cookie reply to
 * send to src.  now: monotonic ns. */
enum cookie_verdict cookie_gate_check(struct cookie_gate *g, const void *msg, size_t len,
				      const struct cookie_source *src, bool under_load,
				      struct message_handshake_cookie *reply, uint64_t now) warn_unused;

#endif
