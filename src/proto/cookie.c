#include "cookie.h"

#include "crypto/crypto.h"

#include <endian.h>
#include <string.h>
#include <sys/socket.h>

static const uint8_t label_mac1[8] = "mac1----";
static const uint8_t label_cookie[8] = "cookie--";

/* HASH(label || public key) */
static void precompute_key(uint8_t key[COOKIE_KEY_LEN], const uint8_t label[8],
			   const uint8_t pub[NOISE_PUBLIC_KEY_LEN])
{
	if (!crypto_hash2(key, label, 8, pub, NOISE_PUBLIC_KEY_LEN))
		memset(key, 0, COOKIE_KEY_LEN);
}

void cookie_checker_init(struct cookie_checker *cc)
{
	memset(cc, 0, sizeof(*cc));
}

void cookie_checker_precompute(struct cookie_checker *cc, const uint8_t *local_public)
{
	if (!local_public) {
		crypto_wipe(cc->message_mac1_key, sizeof(cc->message_mac1_key));
		crypto_wipe(cc->cookie_encryption_key, sizeof(cc->cookie_encryption_key));
		cc->has_keys = false;
		return;
	}
	precompute_key(cc->message_mac1_key, label_mac1, local_public);
	precompute_key(cc->cookie_encryption_key, label_cookie, local_public);
	cc->has_keys = true;
}

void cookie_checker_uninit(struct cookie_checker *cc)
{
	crypto_wipe(cc, sizeof(*cc));
}

void cookie_maker_init(struct cookie_maker *cm, const uint8_t remote_public[NOISE_PUBLIC_KEY_LEN])
{
	memset(cm, 0, sizeof(*cm));
	precompute_key(cm->message_mac1_key, label_mac1, remote_public);
	precompute_key(cm->cookie_decryption_key, label_cookie, remote_public);
}

void cookie_maker_uninit(struct cookie_maker *cm)
{
	crypto_wipe(cm, sizeof(*cm));
}

/* mac1 covers everything before it; mac2 everything before mac2. */
static bool compute_mac1(uint8_t out[COOKIE_LEN], const uint8_t *msg, size_t len,
			 const uint8_t key[COOKIE_KEY_LEN])
{
	return crypto_mac(out, key, COOKIE_KEY_LEN, msg, len - 2 * COOKIE_LEN);
}

static bool compute_mac2(uint8_t out[COOKIE_LEN], const uint8_t *msg, size_t len,
			 const uint8_t cookie[COOKIE_LEN])
{
	return crypto_mac(out, cookie, COOKIE_LEN, msg, len - COOKIE_LEN);
}

/* cookie = MAC(R, source IP || source port), R renewed every two
 * minutes. */
static bool make_cookie(struct cookie_checker *cc, uint8_t cookie[COOKIE_LEN],
			const struct cookie_source *src, uint64_t now)
{
	uint8_t input[16 + 2];
	size_t alen = src->family == AF_INET6 ? 16 : 4;
	uint16_t port = htobe16(src->port);

	if (!cc->has_secret || now >= cc->secret_birthdate + COOKIE_SECRET_MAX_AGE) {
		if (crypto_random(cc->secret, sizeof(cc->secret)))
			return false;
		cc->secret_birthdate = now;
		cc->has_secret = true;
	}
	memcpy(input, src->addr, alen);
	memcpy(input + alen, &port, 2);
	return crypto_mac(cookie, cc->secret, sizeof(cc->secret), input, alen + 2);
}

enum cookie_mac_state cookie_validate_packet(struct cookie_checker *cc, const void *msg,
					     size_t len, const struct cookie_source *src,
					     bool check_cookie, uint64_t now)
{
	const struct message_macs *macs;
	uint8_t computed[COOKIE_LEN], cookie[COOKIE_LEN];
	enum cookie_mac_state ret = INVALID_MAC;

	if (!cc->has_keys || len < sizeof(struct message_header) + sizeof(*macs))
		return INVALID_MAC;
	macs = (const struct message_macs *)((const uint8_t *)msg + len - sizeof(*macs));
	if (!compute_mac1(computed, msg, len, cc->message_mac1_key) ||
	    !crypto_equal(computed, macs->mac1, COOKIE_LEN))
		goto out;
	ret = VALID_MAC_BUT_NO_COOKIE;
	if (!check_cookie)
		goto out;
	if (!make_cookie(cc, cookie, src, now) || !compute_mac2(computed, msg, len, cookie) ||
	    !crypto_equal(computed, macs->mac2, COOKIE_LEN))
		goto out;
	ret = VALID_MAC_WITH_COOKIE;
out:
	crypto_wipe(cookie, sizeof(cookie));
	return ret;
}

bool cookie_add_mac_to_packet(struct cookie_maker *cm, void *msg, size_t len, uint64_t now)
{
	struct message_macs *macs;

	if (len < sizeof(struct message_header) + sizeof(*macs))
		return false;
	macs = (struct message_macs *)((uint8_t *)msg + len - sizeof(*macs));
	if (!compute_mac1(macs->mac1, msg, len, cm->message_mac1_key))
		return false;
	memcpy(cm->last_mac1_sent, macs->mac1, COOKIE_LEN);
	cm->have_sent_mac1 = true;
	if (cm->is_valid &&
	    now < cm->birthdate + COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY)
		return compute_mac2(macs->mac2, msg, len, cm->cookie);
	memset(macs->mac2, 0, COOKIE_LEN);
	return true;
}

bool cookie_message_create(struct cookie_checker *cc, struct message_handshake_cookie *dst,
			   const void *msg, size_t len, uint32_t index,
			   const struct cookie_source *src, uint64_t now)
{
	const struct message_macs *macs;
	uint8_t cookie[COOKIE_LEN];
	bool ok = false;

	if (!cc->has_keys || len < sizeof(struct message_header) + sizeof(*macs))
		return false;
	macs = (const struct message_macs *)((const uint8_t *)msg + len - sizeof(*macs));
	memset(dst, 0, sizeof(*dst));
	dst->header.type = htole32(MESSAGE_HANDSHAKE_COOKIE);
	dst->receiver_index = htole32(index);
	if (crypto_random(dst->nonce, sizeof(dst->nonce)) || !make_cookie(cc, cookie, src, now))
		goto out;
	/* AD = the mac1 of the message answered: a reply is only good for
	 * the message it answers. */
	ok = crypto_xaead_seal(dst->encrypted_cookie, cookie, COOKIE_LEN, macs->mac1,
			       COOKIE_LEN, dst->nonce, cc->cookie_encryption_key);
out:
	crypto_wipe(cookie, sizeof(cookie));
	return ok;
}

bool cookie_message_consume(struct cookie_maker *cm,
			    const struct message_handshake_cookie *msg, uint64_t now)
{
	uint8_t cookie[COOKIE_LEN];

	if (!cm->have_sent_mac1)
		return false;
	if (!crypto_xaead_open(cookie, msg->encrypted_cookie, sizeof(msg->encrypted_cookie),
			       cm->last_mac1_sent, COOKIE_LEN, msg->nonce,
			       cm->cookie_decryption_key))
		return false;
	memcpy(cm->cookie, cookie, COOKIE_LEN);
	cm->birthdate = now;
	cm->is_valid = true;
	cm->have_sent_mac1 = false;
	crypto_wipe(cookie, sizeof(cookie));
	return true;
}

void cookie_checker_copy_keys(struct cookie_checker *dst, const struct cookie_checker *src)
{
	memcpy(dst->message_mac1_key, src->message_mac1_key, sizeof(dst->message_mac1_key));
	memcpy(dst->cookie_encryption_key, src->cookie_encryption_key,
	       sizeof(dst->cookie_encryption_key));
	dst->has_keys = src->has_keys;
}

/* --- the gate ------------------------------------------------------------ */

int cookie_gate_init(struct cookie_gate *g)
{
	memset(g, 0, sizeof(*g));
	cookie_checker_init(&g->checker);
	return ratelimiter_init(&g->replies, RATELIMITER_MAX_ENTRIES);
}

void cookie_gate_uninit(struct cookie_gate *g)
{
	ratelimiter_uninit(&g->replies);
	cookie_checker_uninit(&g->checker);
}

bool cookie_gate_under_load(struct cookie_gate *g, size_t backlog, uint64_t now)
{
	if (backlog >= UNDER_LOAD_QUEUE_LEN) {
		g->last_under_load = now;
		return true;
	}
	return g->last_under_load && now < g->last_under_load + UNDER_LOAD_AFTER_TIME;
}

bool cookie_gate_proven(struct cookie_gate *g, const void *msg, size_t len,
			const struct cookie_source *src, uint64_t now)
{
	static const uint8_t zero[COOKIE_LEN];
	const struct message_macs *macs;

	if (len < sizeof(struct message_header) + sizeof(*macs))
		return false;
	macs = (const struct message_macs *)((const uint8_t *)msg + len - sizeof(*macs));
	/* Most of a flood: no cookie, so no MAC to spend. */
	if (!memcmp(macs->mac2, zero, COOKIE_LEN))
		return false;
	return cookie_validate_packet(&g->checker, msg, len, src, true, now) ==
	       VALID_MAC_WITH_COOKIE;
}

enum cookie_verdict cookie_gate_check(struct cookie_gate *g, const void *msg, size_t len,
				      const struct cookie_source *src, bool under_load,
				      struct message_handshake_cookie *reply, uint64_t now)
{
	uint32_t sender;

	if (!g->checker.has_keys)
		return COOKIE_NO_IDENTITY;
	g->bytes_in += len;
	switch (cookie_validate_packet(&g->checker, msg, len, src, under_load, now)) {
	case INVALID_MAC:
		return COOKIE_INVALID_MAC1;
	case VALID_MAC_WITH_COOKIE:
		return COOKIE_PASS_PROVEN;
	case VALID_MAC_BUT_NO_COOKIE:
		if (!under_load)
			return COOKIE_PASS;
		break;
	}
	/* A cookie reply.  Idle sources leave the replies' table once a
	 * second (the device does the same for its own, from its timers). */
	if (now >= g->last_gc + NSEC_PER_SEC) {
		ratelimiter_gc(&g->replies, now);
		g->last_gc = now;
	}
	if (g->bytes_out + sizeof(*reply) > g->bytes_in ||
	    !ratelimiter_allow(&g->replies, src->addr, src->family, now))
		return COOKIE_REPLY_LIMITED;
	memcpy(&sender, (const uint8_t *)msg + 4, sizeof(sender));
	if (!cookie_message_create(&g->checker, reply, msg, len, le32toh(sender), src, now))
		return COOKIE_REPLY_LIMITED;
	g->bytes_out += sizeof(*reply);
	return COOKIE_REPLY;
}
