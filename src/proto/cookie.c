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
