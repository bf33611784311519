/* Noise IKpsk2: the cacophony vector byte for byte, then WireGuard's
 * framing between two in-memory identities, key rotation and the
 * handshake-level attacks. */
#include "harness.h"

#include "crypto/crypto.h"
#include "proto/noise.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* --- deterministic randomness ------------------------------------------ */

/* Serves queued byte strings in order (ephemeral keys), then a counter. */
static const uint8_t *rnd_queue[4];
static size_t rnd_head, rnd_tail;
static uint8_t rnd_counter;

static void fake_random(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	if (rnd_head < rnd_tail && len == 32) {
		memcpy(buf, rnd_queue[rnd_head++], 32);
		return;
	}
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(rnd_counter++ * 37 + 11);
}

#define F(name) vec_get(&rec, (name))->data
#define FL(name) vec_get(&rec, (name))->len

static void test_cacophony_vector(void)
{
	struct vec_file *vf = vec_open("noise_ikpsk2.txt");
	struct vec_record rec = { 0 };
	struct noise_handshake hi = { 0 }, hr = { 0 };
	uint8_t ipub[32], rpub[32], rs[32], msg[256], payload[64];
	uint8_t isend[32], irecv[32], rsend[32], rrecv[32];

	CHECK(crypto_init() == 0);
	CHECK(vec_next(vf, &rec));
	CHECK(crypto_x25519_public(ipub, F("init_static")));
	CHECK(crypto_x25519_public(rpub, F("resp_static")));
	CHECK_MEM(rpub, F("init_remote_static"), 32);

	struct noise_ik_keys ki = { F("init_static"), ipub, rpub, F("psk"), NULL, NULL };
	struct noise_ik_keys kr = { F("resp_static"), rpub, NULL, F("psk"), NULL, NULL };

	rnd_queue[0] = F("init_ephemeral");
	rnd_queue[1] = F("resp_ephemeral");
	rnd_head = 0;
	rnd_tail = 2;
	crypto_random_override(fake_random, NULL);

	/* Message 1: initiator -> responder. */
	CHECK(FL("msg0_ct") == NOISE_IK_MSG1_LEN(FL("msg0_payload")));
	CHECK(noise_ik_write_msg1(&hi, &ki, F("init_prologue"), FL("init_prologue"),
				  F("msg0_payload"), FL("msg0_payload"), msg));
	CHECK_MEM(msg, F("msg0_ct"), FL("msg0_ct"));
	CHECK(noise_ik_read_msg1(&hr, &kr, F("resp_prologue"), FL("resp_prologue"), msg,
				 FL("msg0_payload"), rs, payload));
	CHECK_MEM(rs, ipub, 32);
	CHECK_MEM(payload, F("msg0_payload"), FL("msg0_payload"));

	/* Message 2: responder -> initiator. */
	kr.remote_static = rs;
	CHECK(FL("msg1_ct") == NOISE_IK_MSG2_LEN(FL("msg1_payload")));
	CHECK(noise_ik_write_msg2(&hr, &kr, F("msg1_payload"), FL("msg1_payload"), msg));
	CHECK_MEM(msg, F("msg1_ct"), FL("msg1_ct"));
	CHECK(noise_ik_read_msg2(&hi, &ki, msg, FL("msg1_payload"), payload));
	CHECK_MEM(payload, F("msg1_payload"), FL("msg1_payload"));
	crypto_random_override(NULL, NULL);

	/* Both sides end with the vector's handshake hash. */
	CHECK_MEM(hi.hash, F("handshake_hash"), 32);
	CHECK_MEM(hr.hash, F("handshake_hash"), 32);

	/* Transport: initiator sends messages 2 and 4, responder 3 and 5,
	 * each direction's nonce counting from 0. */
	CHECK(noise_ik_split(&hi, true, isend, irecv));
	CHECK(noise_ik_split(&hr, false, rsend, rrecv));
	CHECK_MEM(isend, rrecv, 32);
	CHECK_MEM(irecv, rsend, 32);
	for (int i = 2; i < 6; i++) {
		char pn[32], cn[32];
		snprintf(pn, sizeof(pn), "msg%d_payload", i);
		snprintf(cn, sizeof(cn), "msg%d_ct", i);
		bool from_initiator = i % 2 == 0;
		uint64_t counter = (uint64_t)(i - 2) / 2;
		CHECK(crypto_aead_seal_key(msg, F(pn), FL(pn), NULL, 0, counter,
					   from_initiator ? isend : rsend));
		CHECK_MEM(msg, F(cn), FL(cn));
		CHECK(crypto_aead_open_key(payload, msg, FL(cn), NULL, 0, counter,
					   from_initiator ? rrecv : irecv));
		CHECK_MEM(payload, F(pn), FL(pn));
	}
	/* The raw API leaves the prepared ephemerals to its caller. */
	crypto_x25519_key_free(hi.ephemeral_key);
	crypto_x25519_key_free(hr.ephemeral_key);
	vec_close(vf);
}

/* --- two WireGuard identities in memory ------------------------------- */

struct side {
	struct noise_local local;
	struct noise_remote remote; /* the other side */
	uint8_t priv[32], pub[32];
	uint32_t next_index;
	unsigned live_indices;
};

static struct noise_remote *remote_get(void *arg, const uint8_t pub[32])
{
	struct side *s = arg;
	return !memcmp(pub, s->remote.remote_static, 32) ? &s->remote : NULL;
}

static uint32_t index_set(void *arg, struct noise_remote *r)
{
	struct side *s = arg;
	(void)r;
	s->live_indices++;
	return ++s->next_index;
}

static void index_drop(void *arg, uint32_t index)
{
	struct side *s = arg;
	(void)index;
	s->live_indices--;
}

static void pair_setup(struct side *a, struct side *b, const uint8_t *psk)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->next_index = 1000;
	b->next_index = 2000;
	CHECK(crypto_x25519_keygen(a->priv) == 0 && crypto_x25519_keygen(b->priv) == 0);
	CHECK(crypto_x25519_public(a->pub, a->priv) && crypto_x25519_public(b->pub, b->priv));
	struct noise_upcall ua = { a, remote_get, index_set, index_drop };
	struct noise_upcall ub = { b, remote_get, index_set, index_drop };
	noise_local_init(&a->local, &ua);
	noise_local_init(&b->local, &ub);
	noise_local_set_private(&a->local, a->priv);
	noise_local_set_private(&b->local, b->priv);
	noise_remote_init(&a->remote, &a->local, b->pub, NULL);
	noise_remote_init(&b->remote, &b->local, a->pub, NULL);
	noise_remote_set_psk(&a->remote, psk);
	noise_remote_set_psk(&b->remote, psk);
}

static void pair_free(struct side *a, struct side *b)
{
	noise_remote_uninit(&a->remote);
	noise_remote_uninit(&b->remote);
	CHECK(a->live_indices == 0 && b->live_indices == 0);
	noise_local_uninit(&a->local);
	noise_local_uninit(&b->local);
}

static uint64_t wall_sec = 1700000000;

/* Runs one full handshake from `from` to `to`; returns false on failure. */
static bool handshake(struct side *from, struct side *to, uint64_t now)
{
	struct message_handshake_initiation init;
	struct message_handshake_response resp;
	uint8_t ts[12];
	enum noise_error err;

	noise_tai64n(ts, wall_sec++, 0);
	if (!noise_create_initiation(&from->remote, &init, ts))
		return false;
	if (noise_consume_initiation(&to->local, &init, now, &err) != &to->remote || err)
		return false;
	if (!noise_create_response(&to->remote, &resp))
		return false;
	if (noise_consume_response(&from->remote, &resp))
		return false;
	return noise_begin_session(&from->remote, now) == 0 &&
	       noise_begin_session(&to->remote, now) == 0;
}

/* Seals with the sender's current keypair and opens with the receiver's
 * keypair of that index. */
static bool transfer(struct side *from, struct side *to, const char *text)
{
	struct noise_keypair *s = from->remote.current, *r;
	uint8_t buf[128], out[128];
	size_t n = strlen(text);

	if (!s)
		return false;
	if (!crypto_aead_seal_key(buf, (const uint8_t *)text, n, NULL, 0, s->send_counter,
				  s->send.bytes))
		return false;
	r = noise_keypair_lookup(&to->remote, s->remote_index);
	if (!r || !crypto_aead_open_key(out, buf, n + 16, NULL, 0, s->send_counter, r->recv.bytes))
		return false;
	if (!replay_check(&r->replay, s->send_counter))
		return false;
	s->send_counter++;
	noise_received_with_keypair(&to->remote, r);
	return memcmp(out, text, n) == 0;
}

static void test_wireguard_handshake_and_rotation(void)
{
	struct side a, b;
	uint8_t psk[32];

	CHECK(crypto_init() == 0);
	for (int with_psk = 0; with_psk < 2; with_psk++) {
		memset(psk, with_psk ? 0x5a : 0, sizeof(psk));
		pair_setup(&a, &b, with_psk ? psk : NULL);
		CHECK(handshake(&a, &b, 1 * NSEC_PER_SEC));
		/* Initiator has current; responder only next until confirmed. */
		CHECK(a.remote.current && !a.remote.next);
		CHECK(!b.remote.current && b.remote.next);
		CHECK(!transfer(&b, &a, "too early")); /* no current yet */
		CHECK(transfer(&a, &b, "hello"));
		CHECK(b.remote.current && !b.remote.next); /* confirmed */
		CHECK(transfer(&b, &a, "world"));
		/* Rekey from the responder side: roles swap. */
		struct noise_keypair *old_a = a.remote.current;
		CHECK(handshake(&b, &a, 200 * NSEC_PER_SEC));
		CHECK(b.remote.current && b.remote.previous);
		CHECK(a.remote.next && a.remote.current == old_a);
		CHECK(transfer(&a, &b, "old key still works"));
		CHECK(transfer(&b, &a, "new key confirms"));
		CHECK(a.remote.current != old_a && a.remote.previous == old_a);
		CHECK(transfer(&a, &b, "and now both use it"));
		/* Many rekeys reuse the four slots without leaking indices. */
		for (int i = 0; i < 20; i++) {
			CHECK(handshake(i % 2 ? &a : &b, i % 2 ? &b : &a,
					(300 + (uint64_t)i) * NSEC_PER_SEC));
			CHECK(transfer(i % 2 ? &a : &b, i % 2 ? &b : &a, "ping"));
			CHECK(transfer(i % 2 ? &b : &a, i % 2 ? &a : &b, "pong"));
			CHECK(a.live_indices <= 3 && b.live_indices <= 3);
		}
		pair_free(&a, &b);
	}
	/* Mismatched preshared keys: the response does not authenticate. */
	memset(psk, 1, sizeof(psk));
	pair_setup(&a, &b, psk);
	psk[0] = 2;
	noise_remote_set_psk(&b.remote, psk);
	CHECK(!handshake(&a, &b, NSEC_PER_SEC));
	CHECK(a.remote.handshake.state == HANDSHAKE_CREATED_INITIATION);
	pair_free(&a, &b);
}

static void test_tai64n(void)
{
	uint8_t t[12], u[12];

	noise_tai64n(t, 0, 0);
	CHECK(t[0] == 0x40 && t[7] == 0x0a);
	/* Nanoseconds are rounded down to 2^24: 16,777,215 ns looks like 0. */
	noise_tai64n(u, 0, (1U << 24) - 1);
	CHECK_MEM(t, u, 12);
	noise_tai64n(u, 0, 1U << 24);
	CHECK(memcmp(u, t, 12) > 0 && u[9] == 0x00 && u[8] == 0x01);
	noise_tai64n(u, 1, 0);
	CHECK(memcmp(u, t, 12) > 0);
}

static void test_initiation_attacks(void)
{
	struct side a, b;
	struct message_handshake_initiation init, bad;
	uint8_t ts[12], saved_hash[32];
	enum noise_error err;

	CHECK(crypto_init() == 0);
	pair_setup(&a, &b, NULL);
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(noise_create_initiation(&a.remote, &init, ts));
	CHECK(noise_consume_initiation(&b.local, &init, NSEC_PER_SEC, &err) == &b.remote);
	memcpy(saved_hash, b.remote.handshake.hash, 32);

	/* Replay of the same initiation: refused, state untouched. */
	CHECK(!noise_consume_initiation(&b.local, &init, 5 * NSEC_PER_SEC, &err));
	CHECK(err == NOISE_ERR_REPLAY);
	CHECK_MEM(b.remote.handshake.hash, saved_hash, 32);

	/* An older timestamp: refused. */
	noise_tai64n(ts, wall_sec - 10, 0);
	CHECK(noise_create_initiation(&a.remote, &bad, ts));
	CHECK(!noise_consume_initiation(&b.local, &bad, 6 * NSEC_PER_SEC, &err));
	CHECK(err == NOISE_ERR_REPLAY);

	/* A newer one within 1/50 s of the last consumption: flood. */
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(noise_create_initiation(&a.remote, &bad, ts));
	CHECK(!noise_consume_initiation(&b.local, &bad, NSEC_PER_SEC + 19 * NSEC_PER_MSEC, &err));
	CHECK(err == NOISE_ERR_FLOOD);
	/* 20 ms later it is consumed. */
	CHECK(noise_consume_initiation(&b.local, &bad, NSEC_PER_SEC + 20 * NSEC_PER_MSEC, &err));

	/* Any flipped bit in the encrypted parts: decryption fails. */
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(noise_create_initiation(&a.remote, &init, ts));
	for (size_t off = offsetof(struct message_handshake_initiation, encrypted_static);
	     off < offsetof(struct message_handshake_initiation, macs); off += 7) {
		bad = init;
		((uint8_t *)&bad)[off] ^= 4;
		CHECK(!noise_consume_initiation(&b.local, &bad, 10 * NSEC_PER_SEC, &err));
		CHECK(err == NOISE_ERR_DECRYPT);
	}
	/* A low-order ephemeral: refused before any decryption. */
	bad = init;
	memset(bad.unencrypted_ephemeral, 0, 32);
	CHECK(!noise_consume_initiation(&b.local, &bad, 10 * NSEC_PER_SEC, &err));
	CHECK(err == NOISE_ERR_ZERO_DH);
	bad.unencrypted_ephemeral[0] = 1; /* the point of order 1... well, u=1 */
	CHECK(!noise_consume_initiation(&b.local, &bad, 10 * NSEC_PER_SEC, &err));
	CHECK(err == NOISE_ERR_ZERO_DH);

	/* An initiation from a key we do not know. */
	struct side c, d;
	pair_setup(&c, &d, NULL);
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(noise_create_initiation(&c.remote, &init, ts)); /* c -> d, not b */
	memcpy(c.remote.remote_static, b.pub, 32);             /* aim it at b */
	noise_remote_forget_ss(&c.remote);
	CHECK(noise_create_initiation(&c.remote, &init, ts));
	CHECK(!noise_consume_initiation(&b.local, &init, 11 * NSEC_PER_SEC, &err));
	CHECK(err == NOISE_ERR_UNKNOWN_PEER);
	memcpy(c.remote.remote_static, d.pub, 32);
	pair_free(&c, &d);

	/* Still fine afterwards: a fresh initiation from a completes. */
	CHECK(handshake(&a, &b, 20 * NSEC_PER_SEC));
	CHECK(transfer(&a, &b, "alive"));
	pair_free(&a, &b);
}

static void test_response_attacks(void)
{
	struct side a, b;
	struct message_handshake_initiation init;
	struct message_handshake_response resp, bad;
	uint8_t ts[12];
	enum noise_error err;

	CHECK(crypto_init() == 0);
	pair_setup(&a, &b, NULL);
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(noise_create_initiation(&a.remote, &init, ts));
	CHECK(noise_consume_initiation(&b.local, &init, NSEC_PER_SEC, &err));
	CHECK(noise_create_response(&b.remote, &resp));

	/* Wrong receiver index. */
	bad = resp;
	bad.receiver_index ^= htole32(1);
	CHECK(noise_consume_response(&a.remote, &bad) == NOISE_ERR_STATE);
	/* Tampered ephemeral or tag: no state change. */
	bad = resp;
	bad.encrypted_nothing[3] ^= 1;
	CHECK(noise_consume_response(&a.remote, &bad) == NOISE_ERR_DECRYPT);
	bad = resp;
	memset(bad.unencrypted_ephemeral, 0, 32);
	CHECK(noise_consume_response(&a.remote, &bad) == NOISE_ERR_ZERO_DH);
	CHECK(a.remote.handshake.state == HANDSHAKE_CREATED_INITIATION);
	/* The genuine response still works, once. */
	CHECK(noise_consume_response(&a.remote, &resp) == NOISE_OK);
	CHECK(noise_consume_response(&a.remote, &resp) == NOISE_ERR_STATE);
	CHECK(noise_begin_session(&a.remote, NSEC_PER_SEC) == 0);
	CHECK(noise_begin_session(&b.remote, NSEC_PER_SEC) == 0);
	CHECK(transfer(&a, &b, "ok"));
	/* A session cannot begin twice from one handshake. */
	CHECK(noise_begin_session(&a.remote, NSEC_PER_SEC) == -EINVAL);
	/* No identity: nothing is created or consumed. */
	noise_local_set_private(&a.local, NULL);
	CHECK(!noise_create_initiation(&a.remote, &init, ts));
	pair_free(&a, &b);
	crypto_uninit();
}

/* DH(s, rs) is made at a remote's first handshake, not when it is set;
 * forgotten when a key changes; a low-order remote key makes it invalid,
 * and no initiation is made for it.  The responder makes it on the first
 * initiation it consumes. */
static void test_lazy_static_static(void)
{
	struct side a, b;
	uint8_t want[32], ts[12];
	struct message_handshake_initiation init;

	CHECK(crypto_init() == 0);
	pair_setup(&a, &b, NULL);
	CHECK(a.remote.ss_state == NOISE_SS_UNKNOWN && b.remote.ss_state == NOISE_SS_UNKNOWN);
	CHECK(crypto_x25519(want, a.priv, b.pub));
	CHECK(handshake(&a, &b, 10 * NSEC_PER_SEC));
	CHECK(a.remote.ss_state == NOISE_SS_VALID && b.remote.ss_state == NOISE_SS_VALID);
	CHECK_MEM(a.remote.precomputed_static_static, want, 32);
	CHECK_MEM(b.remote.precomputed_static_static, want, 32);
	CHECK(transfer(&a, &b, "lazy"));
	/* Forgotten, then made again by the next handshake. */
	noise_remote_forget_ss(&a.remote);
	CHECK(a.remote.ss_state == NOISE_SS_UNKNOWN);
	CHECK(handshake(&a, &b, 20 * NSEC_PER_SEC));
	CHECK(a.remote.ss_state == NOISE_SS_VALID);
	CHECK_MEM(a.remote.precomputed_static_static, want, 32);
	/* A remote key of order 1 (u = 0): the DH is all zeros, invalid. */
	noise_handshake_clear(&a.remote);
	memset(a.remote.remote_static, 0, 32);
	noise_remote_forget_ss(&a.remote);
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(!noise_create_initiation(&a.remote, &init, ts));
	CHECK(a.remote.ss_state == NOISE_SS_INVALID);
	memcpy(a.remote.remote_static, b.pub, 32);
	noise_remote_forget_ss(&a.remote);
	pair_free(&a, &b);
	crypto_uninit();
}

/* An initiation in two steps, the first with a copy of the identity (as
 * the daemon's handshake thread does without dev_lock): the same remote
 * and state as in one step; the prepared state is wiped on every path;
 * garbage, another identity's and a replay are refused where one step
 * refuses them. */
static void test_prepared_initiation(void)
{
	struct side a, b;
	struct noise_local copy;
	struct noise_initiation_prep prep, zero;
	struct message_handshake_initiation init, bad;
	struct message_handshake_response resp;
	uint8_t ts[12], hash[32], ck[32];
	enum noise_error err;

	CHECK(crypto_init() == 0);
	pair_setup(&a, &b, NULL);
	memset(&zero, 0, sizeof(zero));
	noise_local_init(&copy, &(struct noise_upcall){ 0 });
	/* No identity in the copy yet. */
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(noise_create_initiation(&a.remote, &init, ts));
	CHECK(noise_prepare_initiation(&copy, &init, &prep) == NOISE_ERR_NO_IDENTITY);
	noise_local_set_private(&copy, b.priv);

	/* One step, for the reference. */
	CHECK(noise_consume_initiation(&b.local, &init, NSEC_PER_SEC, &err) == &b.remote && !err);
	memcpy(hash, b.remote.handshake.hash, 32);
	memcpy(ck, b.remote.handshake.chaining_key, 32);
	noise_handshake_clear(&b.remote);
	memset(b.remote.latest_timestamp, 0, sizeof(b.remote.latest_timestamp));
	b.remote.consumed_any_initiation = false;
	/* Two steps: the same state. */
	CHECK(noise_prepare_initiation(&copy, &init, &prep) == NOISE_OK);
	CHECK_MEM(prep.remote_static, a.pub, 32);
	CHECK(noise_consume_prepared_initiation(&b.local, &init, &prep, NSEC_PER_SEC, &err) ==
	      &b.remote && !err);
	CHECK_MEM(&prep, &zero, sizeof(prep));
	CHECK_MEM(b.remote.handshake.hash, hash, 32);
	CHECK_MEM(b.remote.handshake.chaining_key, ck, 32);
	CHECK(noise_create_response(&b.remote, &resp));
	CHECK(noise_consume_response(&a.remote, &resp) == NOISE_OK);
	CHECK(noise_begin_session(&a.remote, NSEC_PER_SEC) == 0);
	CHECK(noise_begin_session(&b.remote, NSEC_PER_SEC) == 0);

	/* The same initiation again: prepared fine, refused as a replay
	 * by the second step, which wipes it too. */
	CHECK(noise_prepare_initiation(&copy, &init, &prep) == NOISE_OK);
	CHECK(!noise_consume_prepared_initiation(&b.local, &init, &prep, 2 * NSEC_PER_SEC, &err));
	CHECK(err == NOISE_ERR_REPLAY);
	CHECK_MEM(&prep, &zero, sizeof(prep));

	/* Random fields (a flood with a valid mac1): the first step alone
	 * refuses it, and leaves nothing. */
	bad = init;
	memset(bad.encrypted_static, 0x5a, sizeof(bad.encrypted_static));
	CHECK(noise_prepare_initiation(&copy, &bad, &prep) == NOISE_ERR_DECRYPT);
	CHECK_MEM(&prep, &zero, sizeof(prep));
	/* For another identity: the static does not decrypt either. */
	noise_local_set_private(&copy, a.priv);
	CHECK(noise_prepare_initiation(&copy, &init, &prep) == NOISE_ERR_DECRYPT);
	noise_local_uninit(&copy);
	pair_free(&a, &b);
	crypto_uninit();
}

/* A response in three steps (the daemon makes its DHs without dev_lock):
 * the session works; a response prepared for an initiation that a newer
 * one replaced meanwhile is not committed, and the newer one's is. */
static void test_response_in_three_steps(void)
{
	struct side a, b;
	struct message_handshake_initiation init1, init2;
	struct message_handshake_response resp1, resp2;
	struct noise_response_prep rp1, rp2, zero;
	uint8_t ts[12];
	enum noise_error err;

	CHECK(crypto_init() == 0);
	pair_setup(&a, &b, NULL);
	memset(&zero, 0, sizeof(zero));
	/* Nothing consumed: nothing to prepare. */
	CHECK(!noise_response_prepare(&b.remote, &rp1));
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(noise_create_initiation(&a.remote, &init1, ts));
	CHECK(noise_consume_initiation(&b.local, &init1, NSEC_PER_SEC, &err) == &b.remote);
	CHECK(noise_response_prepare(&b.remote, &rp1));
	noise_response_compute(&rp1, &resp1);
	CHECK(rp1.ok);
	/* A newer initiation (a retry) is consumed before the commit. */
	noise_tai64n(ts, wall_sec++, 0);
	CHECK(noise_create_initiation(&a.remote, &init2, ts));
	CHECK(noise_consume_initiation(&b.local, &init2, 2 * NSEC_PER_SEC, &err) == &b.remote);
	CHECK(noise_response_prepare(&b.remote, &rp2));
	CHECK(!noise_response_commit(&b.remote, &rp1, &resp1));
	CHECK_MEM(&rp1, &zero, sizeof(rp1));
	noise_response_compute(&rp2, &resp2);
	CHECK(noise_response_commit(&b.remote, &rp2, &resp2));
	CHECK_MEM(&rp2, &zero, sizeof(rp2));
	CHECK(b.remote.handshake.state == HANDSHAKE_CREATED_RESPONSE);
	/* The initiator answers the newer one, and the session carries data. */
	CHECK(noise_consume_response(&a.remote, &resp2) == NOISE_OK);
	CHECK(noise_begin_session(&a.remote, 2 * NSEC_PER_SEC) == 0);
	CHECK(noise_begin_session(&b.remote, 2 * NSEC_PER_SEC) == 0);
	CHECK(transfer(&a, &b, "three steps"));
	CHECK(transfer(&b, &a, "and back"));
	/* Committed twice: refused the second time. */
	CHECK(!noise_response_commit(&b.remote, &rp2, &resp2));
	pair_free(&a, &b);
	crypto_uninit();
}

static const struct harness_case cases[] = {
	{ "noise/cacophony_ikpsk2_vector", test_cacophony_vector },
	{ "noise/tai64n", test_tai64n },
	{ "noise/wireguard_handshake_and_rotation", test_wireguard_handshake_and_rotation },
	{ "noise/initiation_attacks", test_initiation_attacks },
	{ "noise/response_attacks", test_response_attacks },
	{ "noise/lazy_static_static", test_lazy_static_static },
	{ "noise/initiation_in_two_steps", test_prepared_initiation },
	{ "noise/response_in_three_steps", test_response_in_three_steps },
};

HARNESS_MAIN(cases)
