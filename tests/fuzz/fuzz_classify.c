/* What the receive path checks of a datagram before it touches a
 * device's sessions, each against a model written from the wire format
 * (messages.h, the WireGuard paper §5.4): packet_classify, which picks
 * the queue (datapath.c) and the handler (device.c); for a handshake
 * message, the macs as the cookie checker sees them, with and without
 * load, and the cookie reply it would send, opened again by a cookie
 * maker as the sender's would; and packet_parse_ip, which reads the
 * inner packet a data message decrypts to.  The input is one datagram,
 * checked as from an IPv4 and from an IPv6 source.
 *
 * The checker's keys are those of fuzz_world.h's A, and its cookie
 * secret is fixed (rotation is the device's business, not the door's),
 * so that tests/fuzz/seeds_datagram.py can write messages whose mac1 and mac2
 * are valid.  The checker is copied afresh for every check: every
 * input finds the same state. */
#include "fuzz_world.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The cookie secret, and the sources a datagram comes from (seeds_datagram.py
 * knows them). */
#define SECRET_BYTE 0xc5
#define NOW (1000 * NSEC_PER_SEC)

static struct cookie_checker template;
static uint8_t a_pub[NOISE_PUBLIC_KEY_LEN], mac1_key[COOKIE_KEY_LEN];

static uint32_t le32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return le32toh(v);
}

/* The type from the wire format alone. */
static enum message_type model_classify(const uint8_t *buf, size_t len)
{
	static const size_t exact[] = { 0, 148, 92, 64 };
	uint32_t type;

	if (len < 4)
		return MESSAGE_INVALID;
	type = le32_at(buf);
	if (type >= 1 && type <= 3)
		return len == exact[type] ? (enum message_type)type : MESSAGE_INVALID;
	return type == 4 && len >= 32 ? MESSAGE_DATA : MESSAGE_INVALID;
}

static bool mac_ok(const uint8_t *key, size_t key_len, const uint8_t *msg, size_t covered)
{
	uint8_t mac[COOKIE_LEN];

	if (!crypto_mac(mac, key, key_len, msg, covered))
		abort();
	return !memcmp(mac, msg + covered, COOKIE_LEN);
}

/* The cookie a source is given: MAC(secret, address || big-endian port). */
static void model_cookie(uint8_t cookie[COOKIE_LEN], const struct cookie_source *src)
{
	uint8_t secret[COOKIE_KEY_LEN], in[18];
	size_t alen = src->family == AF_INET ? 4 : 16;

	memset(secret, SECRET_BYTE, sizeof(secret));
	memcpy(in, src->addr, alen);
	in[alen] = (uint8_t)(src->port >> 8);
	in[alen + 1] = (uint8_t)src->port;
	if (!crypto_mac(cookie, secret, sizeof(secret), in, alen + 2))
		abort();
}

/* A cookie reply to msg from src, as the sender receives it: its maker
 * (keyed with A's public key, having sent msg) must open it to the very
 * cookie of src. */
static void check_reply(const uint8_t *msg, size_t len, const struct cookie_source *src,
			const uint8_t cookie[COOKIE_LEN])
{
	struct cookie_checker cc = template;
	struct message_handshake_cookie reply;
	struct cookie_maker cm;

	if (!cookie_message_create(&cc, &reply, msg, len, le32_at(msg + 4), src, NOW))
		abort();
	if (packet_classify((const uint8_t *)&reply, sizeof(reply)) != MESSAGE_HANDSHAKE_COOKIE ||
	    le32toh(reply.receiver_index) != le32_at(msg + 4))
		abort();
	cookie_maker_init(&cm, a_pub);
	memcpy(cm.last_mac1_sent, msg + len - 2 * COOKIE_LEN, COOKIE_LEN);
	cm.have_sent_mac1 = true;
	if (!cookie_message_consume(&cm, &reply, NOW) || memcmp(cm.cookie, cookie, COOKIE_LEN))
		abort();
	cookie_maker_uninit(&cm);
}

/* A handshake message's macs: mac1 over all before it under
 * HASH("mac1----" || A's public key), mac2 over all before it under the
 * source's cookie, checked only under load. */
static void check_macs(const uint8_t *msg, size_t len, const struct cookie_source *src)
{
	struct cookie_checker cc;
	uint8_t cookie[COOKIE_LEN];
	bool mac1 = mac_ok(mac1_key, sizeof(mac1_key), msg, len - 2 * COOKIE_LEN), mac2;
	enum cookie_mac_state idle, loaded;

	model_cookie(cookie, src);
	mac2 = mac_ok(cookie, sizeof(cookie), msg, len - COOKIE_LEN);
	cc = template;
	idle = cookie_validate_packet(&cc, msg, len, src, false, NOW);
	cc = template;
	loaded = cookie_validate_packet(&cc, msg, len, src, true, NOW);
	if (idle != (mac1 ? VALID_MAC_BUT_NO_COOKIE : INVALID_MAC))
		abort();
	if (loaded != (!mac1 ? INVALID_MAC : mac2 ? VALID_MAC_WITH_COOKIE : VALID_MAC_BUT_NO_COOKIE))
		abort();
	if (loaded == VALID_MAC_BUT_NO_COOKIE)
		check_reply(msg, len, src, cookie);
}

/* An inner packet: a version 4 header of at least 20 bytes whose total
 * length covers its header and fits, or a version 6 one of 40 bytes
 * whose payload fits; the result within the buffer. */
static void check_inner(const uint8_t *buf, size_t len)
{
	struct packet_ip ip;
	bool ok = packet_parse_ip(buf, len, &ip), model = false;
	size_t total = 0;

	if (len >= 20 && buf[0] >> 4 == 4) {
		total = (size_t)buf[2] << 8 | buf[3];
		model = (buf[0] & 15) >= 5 && total >= (size_t)(buf[0] & 15) * 4 && total <= len;
	} else if (len >= 40 && buf[0] >> 4 == 6) {
		total = 40 + ((size_t)buf[4] << 8 | buf[5]);
		model = total <= len;
	}
	if (ok != model)
		abort();
	if (!ok)
		return;
	if (ip.len != total || ip.family != (buf[0] >> 4 == 4 ? AF_INET : AF_INET6) ||
	    ip.src != buf + (ip.family == AF_INET ? 12 : 8) ||
	    ip.dst != buf + (ip.family == AF_INET ? 16 : 24))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cookie_source srcs[] = {
		{ .family = AF_INET, .addr = { 192, 0, 2, 2 }, .port = 51821 },
		{ .family = AF_INET6, .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 3 }, .port = 51822 },
	};
	static bool started;
	struct world_rng rng = { 0 };
	enum message_type type;
	uint8_t *copy;

	if (!started) {
		uint8_t priv[NOISE_PUBLIC_KEY_LEN];

		if (crypto_init())
			abort();
		world_key(priv, WORLD_A_PRIV);
		if (!crypto_x25519_public(a_pub, priv))
			abort();
		cookie_checker_init(&template);
		cookie_checker_precompute(&template, a_pub);
		memset(template.secret, SECRET_BYTE, sizeof(template.secret));
		template.has_secret = true;
		template.secret_birthdate = NOW;
		if (!crypto_hash2(mac1_key, (const uint8_t *)"mac1----", 8, a_pub,
				  sizeof(a_pub)))
			abort();
		started = true;
	}
	world_use(&rng); /* the cookie replies' nonces */
	/* Exactly size bytes on the heap: ASan sees any read past them. */
	copy = malloc(size ? size : 1);
	if (!copy)
		abort();
	memcpy(copy, data, size);
	type = packet_classify(copy, size);
	if (type != model_classify(copy, size))
		abort();
	if (type == MESSAGE_HANDSHAKE_INITIATION || type == MESSAGE_HANDSHAKE_RESPONSE)
		for (size_t i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++)
			check_macs(copy, size, &srcs[i]);
	check_inner(copy, size);
	free(copy);
	crypto_random_override(NULL, NULL);
	return 0;
}
