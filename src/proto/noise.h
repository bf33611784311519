/* The Noise IKpsk2 handshake of WireGuard (paper §5.4), sans I/O.
 *
 * Two levels.  The noise_ik_* functions write and read the bodies of the
 * two handshake messages with a caller-chosen prologue and payloads: the
 * cacophony test vector runs through them.  The noise_create_* /
 * noise_consume_* functions wrap them in WireGuard's framing (IDENTIFIER
 * as prologue, a TAI64N timestamp as the first payload, an empty second
 * payload), add the replay and flood checks, and noise_begin_session()
 * turns a finished handshake into a keypair with the previous / current /
 * next rotation and key confirmation of the kernel and wireguard-go.
 *
 * Concurrency: none inside, and no per-peer lock: the caller serializes
 * every call that touches a struct noise_remote's handshake and keypair
 * slots (the daemon holds its one dev_lock around all of them).  Two
 * steps touch no remote and may run outside that serialization, on the
 * caller's own copies: noise_prepare_initiation (with a copy of the
 * identity) and noise_response_compute; their results are committed
 * under it.  The keys
 * of a keypair are copied out under that lock for AEAD done outside it
 * (device.h: struct device_job).
 * The macs are not touched here: cookie.c adds and checks them around
 * these calls. */
#ifndef RAMPART_PROTO_NOISE_H
#define RAMPART_PROTO_NOISE_H

#include "messages.h"
#include "replay.h"

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct crypto_x25519_key;
struct noise_remote;

enum noise_handshake_state {
	HANDSHAKE_ZEROED,
	HANDSHAKE_CREATED_INITIATION,
	HANDSHAKE_CONSUMED_INITIATION,
	HANDSHAKE_CREATED_RESPONSE,
	HANDSHAKE_CONSUMED_RESPONSE,
};

/* Calls up into the device (OpenBSD's noise_upcall): the core owns no
 * tables. */
struct noise_upcall {
	void *arg;
	/* The remote whose static public key is pub, or NULL. */
	struct noise_remote *(*remote_get)(void *arg, const uint8_t pub[NOISE_PUBLIC_KEY_LEN]);
	/* A fresh random local index, unique in the device, now naming the
	 * remote.  Never 0, though 0 is valid on the wire: the device's
	 * allocator skips it so that 0 can mean "no index". */
	uint32_t (*index_set)(void *arg, struct noise_remote *r);
	/* The index no longer names anything. */
	void (*index_drop)(void *arg, uint32_t index);
};

/* This device's identity. */
struct noise_local {
	bool has_identity;
	uint8_t static_private[NOISE_PUBLIC_KEY_LEN];
	uint8_t static_public[NOISE_PUBLIC_KEY_LEN];
	/* static_private prepared for DH (one scalar multiplication each). */
	struct crypto_x25519_key *static_key;
	struct noise_upcall upcall;
};

/* Handshake in progress with one remote. */
struct noise_handshake {
	enum noise_handshake_state state;
	uint32_t local_index;  /* ours, in the device's index table while set */
	uint32_t remote_index; /* theirs */
	uint8_t ephemeral_private[NOISE_PUBLIC_KEY_LEN];
	/* The same, prepared for DH; owned, freed by noise_handshake_clear
	 * (raw noise_ik_* users free it with crypto_x25519_key_free). */
	struct crypto_x25519_key *ephemeral_key;
	uint8_t remote_ephemeral[NOISE_PUBLIC_KEY_LEN];
	uint8_t hash[NOISE_HASH_LEN];
	uint8_t chaining_key[NOISE_HASH_LEN];
};

/* One direction's transport key, with an id unique in the process (never
 * reused, never 0, whichever device made it), so that a thread that keeps
 * an AEAD context keyed with it (packet.h: struct packet_crypto) can tell
 * from the id alone whether it still holds this key. */
struct noise_key {
	uint64_t id;
	uint8_t bytes[NOISE_SYMMETRIC_KEY_LEN];
};

/* A session's keys.  A remote's slots are allocated on its first session
 * and reused afterwards, so an idle peer costs no keypair memory and a
 * busy one allocates nothing after its first handshake.  The keys are
 * plain bytes: the AEAD contexts are the threads' (packet.h), so that
 * every data thread can seal and open under one keypair at once. */
struct noise_keypair {
	bool valid;
	bool initiator;
	uint32_t local_index;
	uint32_t remote_index;
	uint64_t birthdate;     /* monotonic ns */
	uint64_t send_counter;  /* next nonce to use */
	struct replay_counter replay;
	struct noise_key send;
	struct noise_key recv;
};

enum { NOISE_KEYPAIR_SLOTS = 4 };
enum noise_ss_state { NOISE_SS_UNKNOWN = 0, NOISE_SS_VALID, NOISE_SS_INVALID }; /* previous, current, next, and one being made */

struct noise_remote {
	struct noise_local *local;
	void *arg; /* the owning peer */
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t preshared_key[NOISE_SYMMETRIC_KEY_LEN];
	/* DH(local static, remote static), made at its first use (a
	 * handshake with this remote), not when the remote or the identity
	 * is set: a configuration of many peers costs no DH each.  Valid
	 * when ss_state is NOISE_SS_VALID; all zeros otherwise (the DH is
	 * invalid, there is no local identity, or it is not made yet). */
	uint8_t precomputed_static_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t ss_state; /* enum noise_ss_state */
	struct noise_handshake handshake;
	uint8_t latest_timestamp[NOISE_TIMESTAMP_LEN];
	uint64_t last_initiation_consumption; /* monotonic ns; 0 = never */
	bool consumed_any_initiation;
	struct noise_keypair *slots; /* NOISE_KEYPAIR_SLOTS, or NULL before the first session */
	struct noise_keypair *next;
	struct noise_keypair *current;
	struct noise_keypair *previous;
};

/* --- identity and remotes ----------------------------------------------- */

void noise_local_init(struct noise_local *l, const struct noise_upcall *upcall);
/* Sets the static private key (NULL or all zeros removes it); the caller
 * then runs noise_remote_forget_ss() for every remote. */
void noise_local_set_private(struct noise_local *l, const uint8_t *priv);
void noise_local_uninit(struct noise_local *l);

void noise_remote_init(struct noise_remote *r, struct noise_local *l,
		       const uint8_t pub[NOISE_PUBLIC_KEY_LEN], void *arg);
/* Drops handshake and keypairs, frees the AEAD contexts, wipes secrets. */
void noise_remote_uninit(struct noise_remote *r);
/* NULL or all zeros: no preshared key. */
void noise_remote_set_psk(struct noise_remote *r, const uint8_t *psk);
/* Forgets DH(local static, remote static): after a change of either key.
 * The next handshake with r makes it again (under the caller's lock, as
 * every call here). */
void noise_remote_forget_ss(struct noise_remote *r);
/* Forgets the handshake in progress (releasing its index). */
void noise_handshake_clear(struct noise_remote *r);
/* Forgets every keypair (releasing their indices) and the handshake. */
void noise_keypairs_clear(struct noise_remote *r);

/* --- WireGuard messages ------------------------------------------------- */

/* TAI64N of a wall-clock time, with the nanoseconds rounded down to a
 * multiple of 2^24 as the kernel and wireguard-go do (so the timestamp
 * does not expose the sender's clock precision). */
void noise_tai64n(uint8_t out[NOISE_TIMESTAMP_LEN], uint64_t unix_sec, uint32_t nsec);

/* Fills every field of msg but the macs.  now: monotonic ns; timestamp:
 * TAI64N of the wall clock (noise_tai64n). */
bool noise_create_initiation(struct noise_remote *r,
			     struct message_handshake_initiation *msg,
			     const uint8_t timestamp[NOISE_TIMESTAMP_LEN]) warn_unused;

/* Why a consumed message was refused (for the drop counters). */
enum noise_error {
	NOISE_OK = 0,
	NOISE_ERR_NO_IDENTITY,
	NOISE_ERR_DECRYPT,     /* AEAD failure: not for us, or corrupted */
	NOISE_ERR_UNKNOWN_PEER,
	NOISE_ERR_ZERO_DH,     /* low-order point */
	NOISE_ERR_REPLAY,      /* timestamp not newer than the last one */
	NOISE_ERR_FLOOD,       /* initiations faster than INITIATIONS_PER_SECOND */
	NOISE_ERR_STATE,       /* response without a matching initiation */
};

/* Reads an initiation; on success returns the remote (its handshake now
 * CONSUMED_INITIATION) and sets *err = NOISE_OK.  now: monotonic ns. */
struct noise_remote *noise_consume_initiation(struct noise_local *l,
					      const struct message_handshake_initiation *msg,
					      uint64_t now, enum noise_error *err) warn_unused;
/* The same in two steps, so that the first Diffie-Hellman can run outside
 * the caller's lock.  noise_prepare_initiation reads e, es and s (one
 * DH) with the identity l only: it touches no remote and may run on a
 * copy of the device's identity, on any thread (l is only read).  The
 * initiator's static key is then known; noise_consume_prepared_initiation
 * finds the remote (under the caller's serialization, as every call on
 * remotes), reads ss and the timestamp and commits as
 * noise_consume_initiation does.  prep is wiped by both on every path
 * (the first on failure).  prep must come from the same identity as l:
 * the caller keeps that (the daemon compares device_identity_gen). */
struct noise_initiation_prep {
	struct noise_handshake hs;     /* C and H after s; remote_ephemeral */
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
};
enum noise_error noise_prepare_initiation(const struct noise_local *l,
					  const struct message_handshake_initiation *msg,
					  struct noise_initiation_prep *prep) warn_unused;
struct noise_remote *noise_consume_prepared_initiation(struct noise_local *l,
						       const struct message_handshake_initiation *msg,
						       struct noise_initiation_prep *prep,
						       uint64_t now, enum noise_error *err) warn_unused;
void noise_prep_wipe(struct noise_initiation_prep *prep);
bool noise_create_response(struct noise_remote *r,
			   struct message_handshake_response *msg) warn_unused;
/* The same in three steps, so that its Diffie-Hellmans (the ephemeral
 * key, ee, se) can run outside the caller's lock:
 * noise_response_prepare copies what the response needs from r (under
 * the caller's serialization; false unless r has consumed an initiation);
 * noise_response_compute writes the message from the copy alone, on any
 * thread; noise_response_commit (serialized again) installs it in r if r
 * still waits to answer that same initiation (else false: a newer one
 * came meanwhile, or r was reset), sets msg's sender index and wipes rp
 * on every path.  noise_response_prep_wipe drops a prepared response
 * that will not be committed. */
struct noise_response_prep {
	struct noise_handshake hs;           /* a copy; then the response's e */
	uint8_t answers[NOISE_HASH_LEN];     /* H of the initiation answered */
	uint8_t remote_static[NOISE_PUBLIC_KEY_LEN];
	uint8_t psk[NOISE_SYMMETRIC_KEY_LEN];
	uint32_t remote_index;
	bool prepared, ok;
};
bool noise_response_prepare(const struct noise_remote *r,
			    struct noise_response_prep *rp) warn_unused;
void noise_response_compute(struct noise_response_prep *rp,
			    struct message_handshake_response *msg);
bool noise_response_commit(struct noise_remote *r, struct noise_response_prep *rp,
			   struct message_handshake_response *msg) warn_unused;
void noise_response_prep_wipe(struct noise_response_prep *rp);
/* r is the remote whose handshake's local index equals the message's
 * receiver index (the device looked it up). */
enum noise_error noise_consume_response(struct noise_remote *r,
					const struct message_handshake_response *msg) warn_unused;

/* Derives the transport keys of the finished handshake and installs them.
 * now: monotonic ns.  0 or -errno (-EINVAL if the handshake is not in a
 * final state, -ENOMEM if the keypair slots cannot be allocated). */
int noise_begin_session(struct noise_remote *r, uint64_t now) warn_unused;

/* Called when a data packet authenticated under kp: if kp is the
 * responder's next keypair, it becomes current (key confirmation).
 * Returns true when that rotation happened. */
bool noise_received_with_keypair(struct noise_remote *r, struct noise_keypair *kp);

/* The keypair with this local index, or NULL. */
struct noise_keypair *noise_keypair_lookup(struct noise_remote *r, uint32_t local_index);

/* --- raw Noise IKpsk2 (cacophony vector) ------------------------------- */

/* Sizes of the message bodies for a payload of n bytes. */
#define NOISE_IK_MSG1_LEN(n) (NOISE_PUBLIC_KEY_LEN + noise_encrypted_len(NOISE_PUBLIC_KEY_LEN) + noise_encrypted_len(n))
#define NOISE_IK_MSG2_LEN(n) (NOISE_PUBLIC_KEY_LEN + noise_encrypted_len(n))

/* Borrowed pointers to the keys a handshake uses (nothing is copied). */
struct noise_ik_keys {
	const uint8_t *static_private;
	const uint8_t *static_public;
	const uint8_t *remote_static; /* the other side's static public key */
	const uint8_t *psk;           /* 32 bytes; all zeros when unset */
	const uint8_t *precomputed_ss; /* DH(s, rs) if known, else NULL */
	const struct crypto_x25519_key *static_key; /* static_private prepared, or NULL */
};

/* Initiator: writes message 1 (e, es, s, ss, payload); the ephemeral comes
 * from crypto_x25519_keygen (tests fix it through the random override). */
bool noise_ik_write_msg1(struct noise_handshake *hs, const struct noise_ik_keys *k,
			 const uint8_t *prologue, size_t prologue_len,
			 const uint8_t *payload, size_t payload_len, uint8_t *out) warn_unused;
/* Responder: reads message 1.  remote_static receives the initiator's
 * static key, payload its payload. */
bool noise_ik_read_msg1(struct noise_handshake *hs, const struct noise_ik_keys *k,
			const uint8_t *prologue, size_t prologue_len,
			const uint8_t *msg, size_t payload_len,
			uint8_t remote_static[NOISE_PUBLIC_KEY_LEN], uint8_t *payload) warn_unused;
/* Responder: writes message 2 (e, ee, se, psk, payload). k->remote_static
 * is the initiator's static key. */
bool noise_ik_write_msg2(struct noise_handshake *hs, const struct noise_ik_keys *k,
			 const uint8_t *payload, size_t payload_len, uint8_t *out) warn_unused;
/* Initiator: reads message 2. */
bool noise_ik_read_msg2(struct noise_handshake *hs, const struct noise_ik_keys *k,
			const uint8_t *msg, size_t payload_len, uint8_t *payload) warn_unused;
/* Split(): the initiator's sending and receiving keys. */
bool noise_ik_split(const struct noise_handshake *hs, bool initiator,
		    uint8_t send[NOISE_SYMMETRIC_KEY_LEN],
		    uint8_t recv[NOISE_SYMMETRIC_KEY_LEN]) warn_unused;

#endif
