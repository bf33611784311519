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

/* The gate's verdicts are the checker's, keys copied (the daemon checks
 * without dev_lock with a gate, the device with its own checker). */
static void test_gate_matches_checker(void)
{
	struct cookie_checker cc;
	struct cookie_maker cm, wrong;
	struct cookie_gate g;
	struct message_handshake_initiation m, bad, proven;
	struct message_handshake_cookie reply;
	static const uint8_t zero[16];

	setup(&cc, &cm);
	cookie_maker_init(&wrong, other_pub);
	CHECK(cookie_gate_init(&g) == 0);
	fill(&m, 0x31);
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(1)));
	/* No keys yet: nothing passes. */
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src4, false, &reply, S(1)) == COOKIE_NO_IDENTITY);
	cookie_checker_copy_keys(&g.checker, &cc);
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src4, false, &reply, S(1)) == COOKIE_PASS);
	/* Every bit before mac1, and mac1 itself, as the checker says. */
	for (size_t i = 0; i < offsetof(struct message_handshake_initiation, macs) + 16; i += 5) {
		bad = m;
		((uint8_t *)&bad)[i] ^= 0x04;
		CHECK(cookie_validate_packet(&cc, &bad, sizeof(bad), &src4, false, S(1)) == INVALID_MAC);
		CHECK(cookie_gate_check(&g, &bad, sizeof(bad), &src4, false, &reply, S(1)) ==
		      COOKIE_INVALID_MAC1);
		CHECK(cookie_gate_check(&g, &bad, sizeof(bad), &src4, true, &reply, S(1)) ==
		      COOKIE_INVALID_MAC1);
	}
	/* Another responder's mac1: silence, under load too. */
	fill(&bad, 0x32);
	CHECK(cookie_add_mac_to_packet(&wrong, &bad, sizeof(bad), S(1)));
	CHECK(cookie_gate_check(&g, &bad, sizeof(bad), &src4, true, &reply, S(1)) ==
	      COOKIE_INVALID_MAC1);
	/* Under load without mac2: a reply that the maker takes, after which
	 * the next message is proven for this source only. */
	CHECK(!cookie_gate_proven(&g, &m, sizeof(m), &src4, S(2)));
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src4, true, &reply, S(2)) == COOKIE_REPLY);
	CHECK(le32toh(reply.receiver_index) == le32toh(m.sender_index));
	CHECK(cookie_message_consume(&cm, &reply, S(2)));
	fill(&proven, 0x33);
	CHECK(cookie_add_mac_to_packet(&cm, &proven, sizeof(proven), S(3)));
	CHECK(memcmp(proven.macs.mac2, zero, 16) != 0);
	CHECK(cookie_gate_proven(&g, &proven, sizeof(proven), &src4, S(3)));
	CHECK(cookie_gate_check(&g, &proven, sizeof(proven), &src4, true, &reply, S(3)) ==
	      COOKIE_PASS_PROVEN);
	/* The gate's secret is its own: the device's checker does not know
	 * this cookie. */
	CHECK(cookie_validate_packet(&cc, &proven, sizeof(proven), &src4, true, S(3)) ==
	      VALID_MAC_BUT_NO_COOKIE);
	/* Not proven: another port, a changed mac2, a zero mac2. */
	{
		struct cookie_source other = src4;

		other.port++;
		CHECK(!cookie_gate_proven(&g, &proven, sizeof(proven), &other, S(3)));
		bad = proven;
		bad.macs.mac2[0] ^= 1;
		CHECK(!cookie_gate_proven(&g, &bad, sizeof(bad), &src4, S(3)));
		memset(bad.macs.mac2, 0, 16);
		CHECK(!cookie_gate_proven(&g, &bad, sizeof(bad), &src4, S(3)));
	}
	/* Keys removed: nothing passes, nothing is proven. */
	cookie_checker_precompute(&cc, NULL);
	cookie_checker_copy_keys(&g.checker, &cc);
	CHECK(!cookie_gate_proven(&g, &proven, sizeof(proven), &src4, S(3)));
	CHECK(cookie_gate_check(&g, &proven, sizeof(proven), &src4, true, &reply, S(3)) ==
	      COOKIE_NO_IDENTITY);
	cookie_gate_uninit(&g);
	cookie_maker_uninit(&wrong);
	cookie_maker_uninit(&cm);
	cookie_checker_uninit(&cc);
}

/* Cookie replies: per source 5 at once then 20/s; never more bytes out
 * than in. */
static void test_gate_reply_limits(void)
{
	struct cookie_checker cc;
	struct cookie_maker cm;
	struct cookie_gate g;
	struct message_handshake_initiation m;
	struct message_handshake_cookie reply;
	struct cookie_source src = src4;
	uint64_t replies = 0, limited = 0, sent = 0, t;

	setup(&cc, &cm);
	CHECK(cookie_gate_init(&g) == 0);
	cookie_checker_copy_keys(&g.checker, &cc);
	fill(&m, 0x41);
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), S(1)));
	for (int i = 0; i < RATELIMITER_PACKETS_BURSTABLE; i++)
		CHECK(cookie_gate_check(&g, &m, sizeof(m), &src, true, &reply, S(1)) == COOKIE_REPLY);
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src, true, &reply, S(1)) == COOKIE_REPLY_LIMITED);
	/* One packet's worth of time later, one more. */
	t = S(1) + NSEC_PER_SEC / RATELIMITER_PACKETS_PER_SECOND;
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src, true, &reply, t) == COOKIE_REPLY);
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src, true, &reply, t) == COOKIE_REPLY_LIMITED);
	/* Not under load: no reply is spent, the message passes. */
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src, false, &reply, t) == COOKIE_PASS);

	/* A flood: 64 sources, 100,000 messages a second for 2 s. */
	for (uint64_t i = 0; i < 200000; i++) {
		enum cookie_verdict v;

		src.addr[3] = (uint8_t)(10 + i % 64);
		t = S(10) + i * (NSEC_PER_SEC / 100000);
		v = cookie_gate_check(&g, &m, sizeof(m), &src, true, &reply, t);
		sent += sizeof(m);
		CHECK(v == COOKIE_REPLY || v == COOKIE_REPLY_LIMITED);
		replies += v == COOKIE_REPLY;
		limited += v == COOKIE_REPLY_LIMITED;
	}
	/* Per source: the burst, then 20/s for 2 s (and one for rounding). */
	CHECK_MSG(replies <= 64 * (RATELIMITER_PACKETS_BURSTABLE + 2 * RATELIMITER_PACKETS_PER_SECOND + 1),
		  "%llu replies", (unsigned long long)replies);
	CHECK(replies >= 64 * 2 * RATELIMITER_PACKETS_PER_SECOND);
	CHECK(replies + limited == 200000);
	CHECK(g.bytes_out <= g.bytes_in);
	CHECK(replies * sizeof(reply) <= sent);

	/* The byte bound alone: with more bytes out than in so far, no
	 * reply, whatever the source's bucket says. */
	g.bytes_out = g.bytes_in + 1000;
	src.addr[3] = 200; /* a fresh source, a full bucket */
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src, true, &reply, S(20)) == COOKIE_REPLY_LIMITED);
	g.bytes_out = g.bytes_in;
	CHECK(cookie_gate_check(&g, &m, sizeof(m), &src, true, &reply, S(20)) == COOKIE_REPLY);
	CHECK(g.bytes_out <= g.bytes_in);
	cookie_gate_uninit(&g);
	cookie_maker_uninit(&cm);
	cookie_checker_uninit(&cc);
}

/* The load rule: from UNDER_LOAD_QUEUE_LEN on, and 1 s after. */
static void test_gate_under_load(void)
{
	struct cookie_gate g;

	CHECK(crypto_init() == 0);
	CHECK(cookie_gate_init(&g) == 0);
	CHECK(!cookie_gate_under_load(&g, UNDER_LOAD_QUEUE_LEN - 1, S(5)));
	CHECK(cookie_gate_under_load(&g, UNDER_LOAD_QUEUE_LEN, S(5)));
	CHECK(cookie_gate_under_load(&g, 0, S(6) - 1));
	CHECK(!cookie_gate_under_load(&g, 0, S(6)));
	CHECK(!cookie_gate_under_load(&g, 1, S(7)));
	cookie_gate_uninit(&g);
	crypto_uninit();
}

static const struct harness_case cases[] = {
	{ "cookie/mac1_checked_first", test_mac1 },
	{ "cookie/reply_round_trip", test_cookie_round_trip },
	{ "cookie/lifetimes_115s_and_120s", test_cookie_lifetimes },
	{ "cookie/gate_verdicts_match_the_checker", test_gate_matches_checker },
	{ "cookie/gate_reply_limits_per_source_and_bytes", test_gate_reply_limits },
	{ "cookie/gate_under_load_rule", test_gate_under_load },
};

HARNESS_MAIN(cases)
