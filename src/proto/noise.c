/* Noise IKpsk2 as WireGuard uses it.  Each step is labelled with its Noise
 * token; the symmetric state is (chaining key C, hash H) of the paper §5.4
 * and ../shared/docs/protocol-facts.md.
 *
 * Unauthenticated input never changes a remote's state: consume functions
 * work on a copy of the handshake and commit it only after every check. */
#include "noise.h"

#include "crypto/crypto.h"

#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t construction[37] = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
static const uint8_t identifier[34] = "WireGuard v1 zx2c4 Jason@zx2c4.com";
static const uint8_t zero_key[NOISE_SYMMETRIC_KEY_LEN];

/* --- symmetric state ---------------------------------------------------- */

static bool mix_hash(uint8_t h[NOISE_HASH_LEN], const uint8_t *in, size_t len)
{
	return crypto_hash2(h, h, NOISE_HASH_LEN, in, len);
}

/* (C, key) = KDF2(C, in), or C = KDF1(C, in) when key is NULL. */
static bool mix_key(uint8_t ck[NOISE_HASH_LEN], uint8_t *key, const uint8_t *in, size_t len)
{
	return crypto_kdf(ck, key, NULL, ck, in, len);
}

/* DH with the prepared key when there is one, else from raw bytes. */
static bool dh_compute(uint8_t out[NOISE_PUBLIC_KEY_LEN], const struct crypto_x25519_key *prepared,
	       const uint8_t *priv, const uint8_t *pub)
{
	return prepared ? crypto_x25519_key_dh(out, prepared, pub) : crypto_x25519(out, priv, pub);
}

/* MixKey(DH(priv, pub)); NOISE_ERR_ZERO_DH on an all-zero (low-order)
 * result. */
static enum noise_error mix_dh(uint8_t ck[NOISE_HASH_LEN], uint8_t *key,
			       const struct crypto_x25519_key *prepared,
			       const uint8_t *priv, const uint8_t *pub)
{
	uint8_t dh_out[NOISE_PUBLIC_KEY_LEN];
	enum noise_error err = NOISE_ERR_ZERO_DH;
	uint8_t *dh = dh_out;

	if (!dh_compute(dh, prepared, priv, pub))
		goto out;
	err = mix_key(ck, key, dh, sizeof(dh_out)) ? NOISE_OK : NOISE_ERR_DECRYPT;
out:
	crypto_wipe(dh_out, sizeof(dh_out));
	return err;
}

static bool encrypt_and_hash(uint8_t *out, const uint8_t *in, size_t len,
			     const uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
			     uint8_t h[NOISE_HASH_LEN])
{
	/* Each handshake key encrypts exactly once: nonce 0. */
	return crypto_aead_seal_key(out, in, len, h, NOISE_HASH_LEN, 0, key) &&
	       mix_hash(h, out, noise_encrypted_len(len));
}

static bool decrypt_and_hash(uint8_t *out, const uint8_t *in, size_t len,
			     const uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
			     uint8_t h[NOISE_HASH_LEN])
{
	return crypto_aead_open_key(out, in, noise_encrypted_len(len), h,
				    NOISE_HASH_LEN, 0, key) &&
	       mix_hash(h, in, noise_encrypted_len(len));
}

/* C = HASH(CONSTRUCTION); H = HASH(C || prologue); H = HASH(H || rs) */
static bool handshake_init(struct noise_handshake *hs, const uint8_t *prologue,
			   size_t prologue_len, const uint8_t *responder_static)
{
	return crypto_hash(hs->chaining_key, construction, sizeof(construction)) &&
	       crypto_hash2(hs->hash, hs->chaining_key, NOISE_HASH_LEN, prologue,
			    prologue_len) &&
	       mix_hash(hs->hash, responder_static, NOISE_PUBLIC_KEY_LEN);
}

/* --- raw Noise IKpsk2 --------------------------------------------------- */

bool noise_ik_write_msg1(struct noise_handshake *hs, const struct noise_ik_keys *k,
			 const uint8_t *prologue, size_t prologue_len,
			 const uint8_t *payload, size_t payload_len, uint8_t *out)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], ss[NOISE_PUBLIC_KEY_LEN];
	uint8_t *e = out, *enc_s = out + NOISE_PUBLIC_KEY_LEN;
	uint8_t *enc_payload = enc_s + noise_encrypted_len(NOISE_PUBLIC_KEY_LEN);
	bool ok = false;

	if (!handshake_init(hs, prologue, prologue_len, k->remote_static))
		goto out;
	/* e */
	crypto_x25519_key_free(hs->ephemeral_key);
	hs->ephemeral_key = crypto_x25519_key_generate(hs->ephemeral_private, e);
	if (!hs->ephemeral_key || !mix_hash(hs->hash, e, NOISE_PUBLIC_KEY_LEN) ||
	    !mix_key(hs->chaining_key, NULL, e, NOISE_PUBLIC_KEY_LEN))
		goto out;
	/* es */
	if (mix_dh(hs->chaining_key, key, hs->ephemeral_key, NULL, k->remote_static))
		goto out;
	/* s */
	if (!encrypt_and_hash(enc_s, k->static_public, NOISE_PUBLIC_KEY_LEN, key, hs->hash))
		goto out;
	/* ss */
	if (k->precomputed_ss)
		memcpy(ss, k->precomputed_ss, sizeof(ss));
	else if (!dh_compute(ss, k->static_key, k->static_private, k->remote_static))
		goto out;
	if (crypto_equal(ss, zero_key, sizeof(ss)) ||
	    !mix_key(hs->chaining_key, key, ss, sizeof(ss)))
		goto out;
	/* payload (WireGuard: the timestamp) */
	ok = encrypt_and_hash(enc_payload, payload, payload_len, key, hs->hash);
out:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(ss, sizeof(ss));
	return ok;
}

/* Message 1 up to and including the initiator's static key, which the
 * responder needs to find the remote before the ss step. */
static enum noise_error read_msg1_static(struct noise_handshake *hs,
					 const struct crypto_x25519_key *static_key,
					 const uint8_t *static_private,
					 const uint8_t *static_public,
					 const uint8_t *prologue, size_t prologue_len,
					 const uint8_t *msg, uint8_t key[NOISE_SYMMETRIC_KEY_LEN],
					 uint8_t remote_static[NOISE_PUBLIC_KEY_LEN])
{
	const uint8_t *e = msg, *enc_s = msg + NOISE_PUBLIC_KEY_LEN;
	enum noise_error err;

	if (!handshake_init(hs, prologue, prologue_len, static_public))
		return NOISE_ERR_DECRYPT;
	/* e */
	memcpy(hs->remote_ephemeral, e, NOISE_PUBLIC_KEY_LEN);
	if (!mix_hash(hs->hash, e, NOISE_PUBLIC_KEY_LEN) ||
	    !mix_key(hs->chaining_key, NULL, e, NOISE_PUBLIC_KEY_LEN))
		return NOISE_ERR_DECRYPT;
	/* es */
	err = mix_dh(hs->chaining_key, key, static_key, static_private, e);
	if (err)
		return err;
	/* s */
	if (!decrypt_and_hash(remote_static, enc_s, NOISE_PUBLIC_KEY_LEN, key, hs->hash))
		return NOISE_ERR_DECRYPT;
	return NOISE_OK;
}

/* The rest of message 1: ss and the payload. */
static enum noise_error read_msg1_finish(struct noise_handshake *hs, const uint8_t *ss,
					 const uint8_t *msg, size_t payload_len,
					 uint8_t key[NOISE_SYMMETRIC_KEY_LEN], uint8_t *payload)
{
	const uint8_t *enc_payload = msg + NOISE_PUBLIC_KEY_LEN +
				     noise_encrypted_len(NOISE_PUBLIC_KEY_LEN);

	/* ss */
	if (crypto_equal(ss, zero_key, NOISE_PUBLIC_KEY_LEN))
		return NOISE_ERR_ZERO_DH;
	if (!mix_key(hs->chaining_key, key, ss, NOISE_PUBLIC_KEY_LEN))
		return NOISE_ERR_DECRYPT;
	/* payload */
	if (!decrypt_and_hash(payload, enc_payload, payload_len, key, hs->hash))
		return NOISE_ERR_DECRYPT;
	return NOISE_OK;
}

bool noise_ik_read_msg1(struct noise_handshake *hs, const struct noise_ik_keys *k,
			const uint8_t *prologue, size_t prologue_len,
			const uint8_t *msg, size_t payload_len,
			uint8_t remote_static[NOISE_PUBLIC_KEY_LEN], uint8_t *payload)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN], ss[NOISE_PUBLIC_KEY_LEN];
	bool ok = false;

	if (read_msg1_static(hs, k->static_key, k->static_private, k->static_public, prologue,
			     prologue_len, msg, key, remote_static))
		goto out;
	if (!dh_compute(ss, k->static_key, k->static_private, remote_static))
		goto out;
	ok = read_msg1_finish(hs, ss, msg, payload_len, key, payload) == NOISE_OK;
out:
	crypto_wipe(key, sizeof(key));
	crypto_wipe(ss, sizeof(ss));
	return ok;
}

/* psk: (C, tau, key) = KDF3(C, psk); H = HASH(H || tau) */
static bool mix_psk(struct noise_handshake *hs, const uint8_t *psk,
		    uint8_t key[NOISE_SYMMETRIC_KEY_LEN])
{
	uint8_t tau[NOISE_HASH_LEN];
	bool ok;

	ok = crypto_kdf(hs->chaining_key, tau, key, hs->chaining_key, psk,
			NOISE_SYMMETRIC_KEY_LEN) &&
	     mix_hash(hs->hash, tau, sizeof(tau));
	crypto_wipe(tau, sizeof(tau));
	return ok;
}

static enum noise_error write_msg2(struct noise_handshake *hs, const struct noise_ik_keys *k,
				   const uint8_t *payload, size_t payload_len, uint8_t *out)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	enum noise_error err = NOISE_ERR_DECRYPT;
	uint8_t *e = out, *enc_payload = out + NOISE_PUBLIC_KEY_LEN;

	/* e */
	crypto_x25519_key_free(hs->ephemeral_key);
	hs->ephemeral_key = crypto_x25519_key_generate(hs->ephemeral_private, e);
	if (!hs->ephemeral_key || !mix_hash(hs->hash, e, NOISE_PUBLIC_KEY_LEN) ||
	    !mix_key(hs->chaining_key, NULL, e, NOISE_PUBLIC_KEY_LEN))
		goto out;
	/* ee */
	err = mix_dh(hs->chaining_key, NULL, hs->ephemeral_key, NULL, hs->remote_ephemeral);
	if (err)
		goto out;
	/* se */
	err = mix_dh(hs->chaining_key, NULL, hs->ephemeral_key, NULL, k->remote_static);
	if (err)
		goto out;
	err = NOISE_ERR_DECRYPT;
	/* psk */
	if (!mix_psk(hs, k->psk, key))
		goto out;
	/* payload (WireGuard: empty) */
	if (encrypt_and_hash(enc_payload, payload, payload_len, key, hs->hash))
		err = NOISE_OK;
out:
	crypto_wipe(key, sizeof(key));
	return err;
}

bool noise_ik_write_msg2(struct noise_handshake *hs, const struct noise_ik_keys *k,
			 const uint8_t *payload, size_t payload_len, uint8_t *out)
{
	return write_msg2(hs, k, payload, payload_len, out) == NOISE_OK;
}

static enum noise_error read_msg2(struct noise_handshake *hs, const struct noise_ik_keys *k,
				  const uint8_t *msg, size_t payload_len, uint8_t *payload)
{
	uint8_t key[NOISE_SYMMETRIC_KEY_LEN];
	const uint8_t *e = msg, *enc_payload = msg + NOISE_PUBLIC_KEY_LEN;
	enum noise_error err = NOISE_ERR_DECRYPT;

	/* e */
	memcpy(hs->remote_ephemeral, e, NOISE_PUBLIC_KEY_LEN);
	if (!mix_hash(hs->hash, e, NOISE_PUBLIC_KEY_LEN) ||
	    !mix_key(hs->chaining_key, NULL, e, NOISE_PUBLIC_KEY_LEN))
		goto out;
	/* ee */
	err = mix_dh(hs->chaining_key, NULL, hs->ephemeral_key, hs->ephemeral_private, e);
	if (err)
		goto out;
	/* se */
	err = mix_dh(hs->chaining_key, NULL, k->static_key, k->static_private, e);
	if (err)
		goto out;
	err = NOISE_ERR_DECRYPT;
	/* psk */
	if (!mix_psk(hs, k->psk, key))
		goto out;
	/* payload */
	if (decrypt_and_hash(payload, enc_payload, payload_len, key, hs->hash))
		err = NOISE_OK;
out:
	crypto_wipe(key, sizeof(key));
	return err;
}

bool noise_ik_read_msg2(struct noise_handshake *hs, const struct noise_ik_keys *k,
			const uint8_t *msg, size_t payload_len, uint8_t *payload)
{
	return read_msg2(hs, k, msg, payload_len, payload) == NOISE_OK;
}

bool noise_ik_split(const struct noise_handshake *hs, bool initiator,
		    uint8_t send[NOISE_SYMMETRIC_KEY_LEN], uint8_t recv[NOISE_SYMMETRIC_KEY_LEN])
{
	/* (T_send_i = T_recv_r, T_recv_i = T_send_r) = KDF2(C, e) */
	return initiator ? crypto_kdf(send, recv, NULL, hs->chaining_key, NULL, 0)
			 : crypto_kdf(recv, send, NULL, hs->chaining_key, NULL, 0);
}

/* --- identity and remotes ----------------------------------------------- */

void noise_local_init(struct noise_local *l, const struct noise_upcall *upcall)
{
	memset(l, 0, sizeof(*l));
	l->upcall = *upcall;
}

void noise_local_set_private(struct noise_local *l, const uint8_t *priv)
{
	crypto_x25519_key_free(l->static_key);
	l->static_key = NULL;
	if (!priv || crypto_equal(priv, zero_key, NOISE_PUBLIC_KEY_LEN)) {
		crypto_wipe(l->static_private, sizeof(l->static_private));
		memset(l->static_public, 0, sizeof(l->static_public));
		l->has_identity = false;
		return;
	}
	memcpy(l->static_private, priv, NOISE_PUBLIC_KEY_LEN);
	/* Stored clamped, as the kernel does (wg shows the clamped key). */
	crypto_x25519_clamp(l->static_private);
	l->static_key = crypto_x25519_key_import(l->static_private, l->static_public);
	l->has_identity = l->static_key != NULL;
}

void noise_local_uninit(struct noise_local *l)
{
	crypto_x25519_key_free(l->static_key);
	crypto_wipe(l, sizeof(*l));
}

void noise_remote_init(struct noise_remote *r, struct noise_local *l,
		       const uint8_t pub[NOISE_PUBLIC_KEY_LEN], void *arg)
{
	memset(r, 0, sizeof(*r));
	r->local = l;
	r->arg = arg;
	memcpy(r->remote_static, pub, NOISE_PUBLIC_KEY_LEN);
	noise_remote_forget_ss(r);
}

void noise_remote_forget_ss(struct noise_remote *r)
{
	crypto_wipe(r->precomputed_static_static, NOISE_PUBLIC_KEY_LEN);
	r->ss_state = NOISE_SS_UNKNOWN;
}

/* Makes DH(s, rs) if it is not made yet; afterwards
 * precomputed_static_static holds it, or zeros when it is invalid (a
 * low-order remote key) or there is no identity, which every use
 * refuses. */
static void remote_ss(struct noise_remote *r)
{
	if (r->ss_state != NOISE_SS_UNKNOWN)
		return;
	if (r->local->has_identity &&
	    crypto_x25519_key_dh(r->precomputed_static_static, r->local->static_key,
				 r->remote_static)) {
		r->ss_state = NOISE_SS_VALID;
	} else {
		memset(r->precomputed_static_static, 0, NOISE_PUBLIC_KEY_LEN);
		r->ss_state = NOISE_SS_INVALID;
	}
}

void noise_remote_set_psk(struct noise_remote *r, const uint8_t *psk)
{
	if (psk)
		memcpy(r->preshared_key, psk, NOISE_SYMMETRIC_KEY_LEN);
	else
		crypto_wipe(r->preshared_key, NOISE_SYMMETRIC_KEY_LEN);
}

static void index_drop(struct noise_remote *r, uint32_t *index)
{
	if (*index && r->local->upcall.index_drop)
		r->local->upcall.index_drop(r->local->upcall.arg, *index);
	*index = 0;
}

static uint32_t index_set(struct noise_remote *r)
{
	return r->local->upcall.index_set(r->local->upcall.arg, r);
}

void noise_handshake_clear(struct noise_remote *r)
{
	index_drop(r, &r->handshake.local_index);
	crypto_x25519_key_free(r->handshake.ephemeral_key);
	crypto_wipe(&r->handshake, sizeof(r->handshake));
	r->handshake.state = HANDSHAKE_ZEROED;
}

static void keypair_drop(struct noise_remote *r, struct noise_keypair *kp)
{
	if (!kp)
		return;
	index_drop(r, &kp->local_index);
	crypto_wipe(&kp->send, sizeof(kp->send));
	crypto_wipe(&kp->recv, sizeof(kp->recv));
	kp->valid = false;
	kp->send_counter = 0;
	kp->remote_index = 0;
	kp->birthdate = 0;
}

void noise_keypairs_clear(struct noise_remote *r)
{
	keypair_drop(r, r->next);
	keypair_drop(r, r->current);
	keypair_drop(r, r->previous);
	r->next = r->current = r->previous = NULL;
	noise_handshake_clear(r);
}

void noise_remote_uninit(struct noise_remote *r)
{
	noise_keypairs_clear(r);
	if (r->slots) {
		crypto_wipe(r->slots, NOISE_KEYPAIR_SLOTS * sizeof(*r->slots));
		free(r->slots);
	}
	crypto_wipe(r, sizeof(*r));
}

/* --- WireGuard messages ------------------------------------------------- */

void noise_tai64n(uint8_t out[NOISE_TIMESTAMP_LEN], uint64_t unix_sec, uint32_t nsec)
{
	/* TAI64 label: 2^62 + 10 + seconds since the epoch (the kernel's
	 * constant); nanoseconds rounded down to 2^24 ns. */
	uint64_t sec = htobe64(0x400000000000000aULL + unix_sec);
	uint32_t ns = htobe32(nsec & ~((1U << 24) - 1));

	memcpy(out, &sec, 8);
	memcpy(out + 8, &ns, 4);
}

static void ik_keys(struct noise_ik_keys *k, const struct noise_remote *r)
{
	k->static_private = r->local->static_private;
	k->static_public = r->local->static_public;
	k->remote_static = r->remote_static;
	k->psk = r->preshared_key;
	k->precomputed_ss = r->precomputed_static_static;
	k->static_key = r->local->static_key;
}

bool noise_create_initiation(struct noise_remote *r,
			     struct message_handshake_initiation *msg,
			     const uint8_t timestamp[NOISE_TIMESTAMP_LEN])
{
	struct noise_handshake *hs = &r->handshake;
	struct noise_ik_keys k;

	if (!r->local->has_identity)
		return false;
	remote_ss(r);
	if (r->ss_state != NOISE_SS_VALID)
		return false;
	noise_handshake_clear(r);
	ik_keys(&k, r);
	memset(msg, 0, sizeof(*msg));
	msg->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	/* The three bodies are contiguous in the wire struct. */
	if (!noise_ik_write_msg1(hs, &k, identifier, sizeof(identifier), timestamp,
				 NOISE_TIMESTAMP_LEN, msg->unencrypted_ephemeral)) {
		noise_handshake_clear(r);
		return false;
	}
	hs->local_index = index_set(r);
	msg->sender_index = htole32(hs->local_index);
	hs->state = HANDSHAKE_CREATED_INITIATION;
	return true;
}

enum noise_error noise_prepare_initiation(const struct noise_local *l,
					  const struct message_handshake_initiation *msg,
					  struct noise_initiation_prep *prep)
{
	enum noise_error err;

	memset(prep, 0, sizeof(*prep));
	if (!l->has_identity)
		return NOISE_ERR_NO_IDENTITY;
	/* e, es, s */
	err = read_msg1_static(&prep->hs, l->static_key, l->static_private, l->static_public,
			       identifier, sizeof(identifier), msg->unencrypted_ephemeral,
			       prep->key, prep->remote_static);
	if (err)
		noise_prep_wipe(prep);
	return err;
}

void noise_prep_wipe(struct noise_initiation_prep *prep)
{
	crypto_wipe(prep, sizeof(*prep));
}

struct noise_remote *noise_consume_prepared_initiation(struct noise_local *l,
						       const struct message_handshake_initiation *msg,
						       struct noise_initiation_prep *prep,
						       uint64_t now, enum noise_error *err)
{
	struct noise_handshake *hs = &prep->hs;
	struct noise_remote *r = NULL;
	uint8_t ts[NOISE_TIMESTAMP_LEN];

	*err = NOISE_ERR_NO_IDENTITY;
	if (!l->has_identity)
		goto out;
	r = l->upcall.remote_get(l->upcall.arg, prep->remote_static);
	if (!r) {
		*err = NOISE_ERR_UNKNOWN_PEER;
		goto out;
	}
	/* ss, from the remote's DH, made now if this is its first use
	 * (zeros if invalid, which read_msg1_finish refuses) */
	remote_ss(r);
	*err = read_msg1_finish(hs, r->precomputed_static_static, msg->unencrypted_ephemeral,
				NOISE_TIMESTAMP_LEN, prep->key, ts);
	if (*err)
		goto fail;
	/* Replay: only a strictly newer TAI64N timestamp (big endian, so
	 * byte order is time order). */
	if (memcmp(ts, r->latest_timestamp, NOISE_TIMESTAMP_LEN) <= 0) {
		*err = NOISE_ERR_REPLAY;
		goto fail;
	}
	/* Flood: at most INITIATIONS_PER_SECOND consumed per remote. */
	if (r->consumed_any_initiation &&
	    now < r->last_initiation_consumption + NSEC_PER_SEC / INITIATIONS_PER_SECOND) {
		*err = NOISE_ERR_FLOOD;
		goto fail;
	}
	/* Authenticated and fresh: commit. */
	memcpy(r->latest_timestamp, ts, sizeof(ts));
	r->last_initiation_consumption = now;
	r->consumed_any_initiation = true;
	noise_handshake_clear(r);
	memcpy(r->handshake.hash, hs->hash, NOISE_HASH_LEN);
	memcpy(r->handshake.chaining_key, hs->chaining_key, NOISE_HASH_LEN);
	memcpy(r->handshake.remote_ephemeral, hs->remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	r->handshake.remote_index = le32toh(msg->sender_index);
	r->handshake.state = HANDSHAKE_CONSUMED_INITIATION;
	*err = NOISE_OK;
	goto out;
fail:
	r = NULL;
out:
	noise_prep_wipe(prep);
	crypto_wipe(ts, sizeof(ts));
	return r;
}

struct noise_remote *noise_consume_initiation(struct noise_local *l,
					      const struct message_handshake_initiation *msg,
					      uint64_t now, enum noise_error *err)
{
	struct noise_initiation_prep prep;

	*err = noise_prepare_initiation(l, msg, &prep);
	if (*err)
		return NULL;
	/* Wipes prep. */
	return noise_consume_prepared_initiation(l, msg, &prep, now, err);
}

bool noise_response_prepare(const struct noise_remote *r, struct noise_response_prep *rp)
{
	const struct noise_handshake *hs = &r->handshake;

	memset(rp, 0, sizeof(*rp));
	if (hs->state != HANDSHAKE_CONSUMED_INITIATION)
		return false;
	memcpy(rp->hs.hash, hs->hash, NOISE_HASH_LEN);
	memcpy(rp->hs.chaining_key, hs->chaining_key, NOISE_HASH_LEN);
	memcpy(rp->hs.remote_ephemeral, hs->remote_ephemeral, NOISE_PUBLIC_KEY_LEN);
	memcpy(rp->answers, hs->hash, NOISE_HASH_LEN);
	memcpy(rp->remote_static, r->remote_static, NOISE_PUBLIC_KEY_LEN);
	memcpy(rp->psk, r->preshared_key, NOISE_SYMMETRIC_KEY_LEN);
	rp->remote_index = hs->remote_index;
	rp->prepared = true;
	return true;
}

void noise_response_compute(struct noise_response_prep *rp, struct message_handshake_response *msg)
{
	struct noise_ik_keys k = { .remote_static = rp->remote_static, .psk = rp->psk };

	memset(msg, 0, sizeof(*msg));
	msg->header.type = htole32(MESSAGE_HANDSHAKE_RESPONSE);
	msg->receiver_index = htole32(rp->remote_index);
	/* e, ee, se, psk, {} : only the copy and k, nothing of the remote */
	rp->ok = rp->prepared &&
		 write_msg2(&rp->hs, &k, NULL, 0, msg->unencrypted_ephemeral) == NOISE_OK;
}

void noise_response_prep_wipe(struct noise_response_prep *rp)
{
	crypto_x25519_key_free(rp->hs.ephemeral_key);
	crypto_wipe(rp, sizeof(*rp));
}

bool noise_response_commit(struct noise_remote *r, struct noise_response_prep *rp,
			   struct message_handshake_response *msg)
{
	struct noise_handshake *hs = &r->handshake;
	bool ok = false;

	/* Still the initiation this answers?  A newer one consumed
	 * meanwhile has its own response coming. */
	if (!rp->prepared || hs->state != HANDSHAKE_CONSUMED_INITIATION ||
	    !crypto_equal(hs->hash, rp->answers, NOISE_HASH_LEN))
		goto out;
	if (!rp->ok) {
		noise_handshake_clear(r);
		goto out;
	}
	memcpy(hs->hash, rp->hs.hash, NOISE_HASH_LEN);
	memcpy(hs->chaining_key, rp->hs.chaining_key, NOISE_HASH_LEN);
	memcpy(hs->ephemeral_private, rp->hs.ephemeral_private, NOISE_PUBLIC_KEY_LEN);
	crypto_x25519_key_free(hs->ephemeral_key);
	hs->ephemeral_key = rp->hs.ephemeral_key; /* moved */
	rp->hs.ephemeral_key = NULL;
	hs->local_index = index_set(r);
	msg->sender_index = htole32(hs->local_index);
	hs->state = HANDSHAKE_CREATED_RESPONSE;
	ok = true;
out:
	noise_response_prep_wipe(rp);
	return ok;
}

bool noise_create_response(struct noise_remote *r, struct message_handshake_response *msg)
{
	struct noise_response_prep rp;

	if (!noise_response_prepare(r, &rp))
		return false;
	noise_response_compute(&rp, msg);
	return noise_response_commit(r, &rp, msg); /* wipes rp */
}

enum noise_error noise_consume_response(struct noise_remote *r,
					const struct message_handshake_response *msg)
{
	struct noise_handshake hs;
	struct noise_ik_keys k;
	enum noise_error err;

	if (!r->local->has_identity)
		return NOISE_ERR_NO_IDENTITY;
	if (r->handshake.state != HANDSHAKE_CREATED_INITIATION ||
	    r->handshake.local_index != le32toh(msg->receiver_index))
		return NOISE_ERR_STATE;
	hs = r->handshake;
	ik_keys(&k, r);
	err = read_msg2(&hs, &k, msg->unencrypted_ephemeral, 0, NULL);
	if (!err) {
		hs.remote_index = le32toh(msg->sender_index);
		hs.state = HANDSHAKE_CONSUMED_RESPONSE;
		r->handshake = hs;
	}
	crypto_wipe(&hs, sizeof(hs));
	return err;
}

/* Process-wide, so that a thread's cached key (packet_crypto) can never
 * be mistaken for another device's, even one made after a device's end. */
static uint64_t new_key_id(void)
{
	static atomic_uint_fast64_t last;

	return atomic_fetch_add_explicit(&last, 1, memory_order_relaxed) + 1;
}

static struct noise_keypair *free_slot(struct noise_remote *r)
{
	if (!r->slots) {
		r->slots = calloc(NOISE_KEYPAIR_SLOTS, sizeof(*r->slots));
		if (!r->slots)
			return NULL;
	}
	for (int i = 0; i < NOISE_KEYPAIR_SLOTS; i++) {
		struct noise_keypair *kp = &r->slots[i];
		if (kp != r->next && kp != r->current && kp != r->previous)
			return kp;
	}
	return NULL; /* cannot happen: at most three are in use */
}

int noise_begin_session(struct noise_remote *r, uint64_t now)
{
	struct noise_handshake *hs = &r->handshake;
	struct noise_keypair *kp;
	bool initiator;

	if (hs->state == HANDSHAKE_CONSUMED_RESPONSE)
		initiator = true;
	else if (hs->state == HANDSHAKE_CREATED_RESPONSE)
		initiator = false;
	else
		return -EINVAL;
	kp = free_slot(r);
	if (!kp)
		return -ENOMEM;
	if (!noise_ik_split(hs, initiator, kp->send.bytes, kp->recv.bytes)) {
		crypto_wipe(&kp->send, sizeof(kp->send));
		crypto_wipe(&kp->recv, sizeof(kp->recv));
		return -EINVAL;
	}
	kp->send.id = new_key_id();
	kp->recv.id = new_key_id();
	kp->valid = true;
	kp->initiator = initiator;
	kp->local_index = hs->local_index; /* the index moves to the keypair */
	kp->remote_index = hs->remote_index;
	kp->birthdate = now;
	kp->send_counter = 0;
	replay_init(&kp->replay);
	hs->local_index = 0;
	noise_handshake_clear(r);

	if (initiator) {
		if (r->next) {
			/* We had answered their handshake too: theirs was never
			 * confirmed, so it becomes previous and current goes. */
			struct noise_keypair *old_next = r->next;
			r->next = NULL;
			keypair_drop(r, r->previous);
			r->previous = old_next;
			keypair_drop(r, r->current);
		} else {
			keypair_drop(r, r->previous);
			r->previous = r->current;
		}
		r->current = kp;
	} else {
		/* Responder: usable for sending only after the initiator's
		 * first data packet arrives under it (key confirmation). */
		keypair_drop(r, r->next);
		r->next = kp;
		keypair_drop(r, r->previous);
		r->previous = NULL;
	}
	return 0;
}

bool noise_received_with_keypair(struct noise_remote *r, struct noise_keypair *kp)
{
	if (!kp || kp != r->next)
		return false;
	keypair_drop(r, r->previous);
	r->previous = r->current;
	r->current = r->next;
	r->next = NULL;
	return true;
}

struct noise_keypair *noise_keypair_lookup(struct noise_remote *r, uint32_t local_index)
{
	struct noise_keypair *const kps[] = { r->current, r->previous, r->next };

	for (size_t i = 0; i < ARRAY_SIZE(kps); i++)
		if (kps[i] && kps[i]->valid && kps[i]->local_index == local_index)
			return kps[i];
	return NULL;
}
