/* mac1 / mac2 / cookie replies under a fake clock. */
#include "harness.h"

#include "crypto/crypto.h"
#include "proto/cookie.h"

#include <endian.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#define S(x) ((uint64_t)(x) * NSEC_PER_SEC)

static uint8_t responder_pub[32], other_pub[32];

static void setup(struct cookie_checker *cc, struct cookie_maker *cm)
{
	uint8_t priv[32];

	CHECK(crypto_init() == 0);
	CHECK(crypto_x25519_keygen(priv) == 0 && crypto_x25519_public(responder_pub, priv));
	CHECK(crypto_x25519_keygen(priv) == 0 && crypto_x25519_public(other_pub, priv));
	cookie_checker_init(cc);
	cookie_checker_precompute(cc, responder_pub);
	cookie_maker_init(cm, responder_pub);
}

static void fill(struct message_handshake_initiation *m, uint8_t seed)
{
	memset(m, seed, sizeof(*m));
	m->header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
}

static const struct cookie_source src4 = { AF_INET, { 192, 0, 2, 7 }, 51820 };

static void test_mac1(void)
{
	struct cookie_checker cc;
	struct cookie_maker cm, wrong;
	struct message_handshake_initiation m, bad;

	setup(&cc, &cm);
	fill(&m, 0x11);
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(1)));
	CHECK(cookie_validate_packet(&cc, &m, sizeof(m), &src4, false, S(1)) ==
	      VALID_MAC_BUT_NO_COOKIE);
	/* No cookie yet: mac2 is zeros. */
	static const uint8_t zero[16];
	CHECK_MEM(m.macs.mac2, zero, 16);
	/* Any bit before mac1 changes mac1's validity. */
	for (size_t i = 0; i < offsetof(struct message_handshake_initiation, macs); i += 3) {
		bad = m;
		((uint8_t *)&bad)[i] ^= 0x20;
		CHECK(cookie_validate_packet(&cc, &bad, sizeof(bad), &src4, false, S(1)) ==
		      INVALID_MAC);
	}
	bad = m;
	bad.macs.mac1[15] ^= 1;
	CHECK(cookie_validate_packet(&cc, &bad, sizeof(bad), &src4, false, S(1)) == INVALID_MAC);
	/* A sender who does not know the responder's public key cannot make
	 * a valid mac1. */
	cookie_maker_init(&wrong, other_pub);
	CHECK(cookie_add_mac_to_packet(&wrong, &bad, sizeof(bad), S(1)));
	CHECK(cookie_validate_packet(&cc, &bad, sizeof(bad), &src4, false, S(1)) == INVALID_MAC);
	/* No identity: nothing validates. */
	cookie_checker_precompute(&cc, NULL);
	CHECK(cookie_validate_packet(&cc, &m, sizeof(m), &src4, false, S(1)) == INVALID_MAC);
	cookie_checker_uninit(&cc);
	cookie_maker_uninit(&cm);
}

static void test_cookie_round_trip(void)
{
	struct cookie_checker cc;
	struct cookie_maker cm;
	struct message_handshake_initiation m, m2;
	struct message_handshake_cookie reply, bad;
	struct cookie_source other = src4;

	setup(&cc, &cm);
	fill(&m, 0x22);
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(10)));
	/* Under load, valid mac1 but no mac2: the responder answers with a
	 * 64-byte cookie reply. */
	CHECK(cookie_validate_packet(&cc, &m, sizeof(m), &src4, true, S(10)) ==
	      VALID_MAC_BUT_NO_COOKIE);
	CHECK(cookie_message_create(&cc, &reply, &m, sizeof(m), 0xabcdef01, &src4, S(10)));
	CHECK(sizeof(reply) == 64);
	CHECK(le32toh(reply.header.type) == MESSAGE_HANDSHAKE_COOKIE);
	CHECK(le32toh(reply.receiver_index) == 0xabcdef01);
	/* A tampered reply is refused; the real one is taken once. */
	bad = reply;
	bad.encrypted_cookie[0] ^= 1;
	CHECK(!cookie_message_consume(&cm, &bad, S(10)));
	bad = reply;
	bad.nonce[23] ^= 1;
	CHECK(!cookie_message_consume(&cm, &bad, S(10)));
	CHECK(cookie_message_consume(&cm, &reply, S(10)));
	CHECK(!cookie_message_consume(&cm, &reply, S(10)));
	/* The next initiation carries mac2 and passes under load. */
	fill(&m2, 0x23);
	CHECK(cookie_add_mac_to_packet(&cm, &m2, sizeof(m2), S(11)));
	CHECK(cookie_validate_packet(&cc, &m2, sizeof(m2), &src4, true, S(11)) ==
	      VALID_MAC_WITH_COOKIE);
	/* The cookie is bound to the source address and port. */
	other.port = 51821;
	CHECK(cookie_validate_packet(&cc, &m2, sizeof(m2), &other, true, S(11)) ==
	      VALID_MAC_BUT_NO_COOKIE);
	other = src4;
	other.addr[3] = 8;
	CHECK(cookie_validate_packet(&cc, &m2, sizeof(m2), &other, true, S(11)) ==
	      VALID_MAC_BUT_NO_COOKIE);
	/* A reply to a message we did not send last (other mac1) does not
	 * decrypt: the AD binds it. */
	CHECK(cookie_message_create(&cc, &reply, &m, sizeof(m), 1, &src4, S(12)));
	CHECK(!cookie_message_consume(&cm, &reply, S(12)));
	cookie_checker_uninit(&cc);
	cookie_maker_uninit(&cm);
}

static void test_cookie_lifetimes(void)
{
	struct cookie_checker cc;
	struct cookie_maker cm;
	struct message_handshake_initiation m;
	struct message_handshake_cookie reply;
	static const uint8_t zero[16];
	struct cookie_source v6 = { AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 443 };

	setup(&cc, &cm);
	fill(&m, 0x33);
	/* The secret is born at t=100 s with the first cookie. */
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(100)));
	CHECK(cookie_message_create(&cc, &reply, &m, sizeof(m), 7, &v6, S(100)));
	CHECK(cookie_message_consume(&cm, &reply, S(100)));
	/* The initiator uses the cookie for 120 - 5 = 115 s after receipt. */
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(215) - 1));
	CHECK(memcmp(m.macs.mac2, zero, 16) != 0);
	CHECK(cookie_validate_packet(&cc, &m, sizeof(m), &v6, true, S(215) - 1) ==
	      VALID_MAC_WITH_COOKIE);
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(215)));
	CHECK_MEM(m.macs.mac2, zero, 16);

	/* The responder's secret lives 120 s: a cookie made at 150 s still
	 * verifies at 219.999 s, not at 220 s (a new secret). */
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(150)));
	CHECK(cookie_message_create(&cc, &reply, &m, sizeof(m), 7, &v6, S(150)));
	CHECK(cookie_message_consume(&cm, &reply, S(150)));
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(160)));
	CHECK(cookie_validate_packet(&cc, &m, sizeof(m), &v6, true, S(220) - 1) ==
	      VALID_MAC_WITH_COOKIE);
	CHECK(cookie_validate_packet(&cc, &m, sizeof(m), &v6, true, S(220)) ==
	      VALID_MAC_BUT_NO_COOKIE);
	cookie_checker_uninit(&cc);
	cookie_maker_uninit(&cm);
	crypto_uninit();
}

static const struct harness_case cases[] = {
	{ "cookie/mac1_checked_first", test_mac1 },
	{ "cookie/reply_round_trip", test_cookie_round_trip },
	{ "cookie/lifetimes_115s_and_120s", test_cookie_lifetimes },
};

HARNESS_MAIN(cases)
