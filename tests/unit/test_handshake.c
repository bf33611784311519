/* The daemon's handshake queue: proven messages (a valid mac2 for their
 * source) first, and a full queue drops only unproven ones. */
#include "harness.h"

#include "crypto/crypto.h"
#include "daemon/control.h"
#include "daemon/handshake.h"

#include <endian.h>
#include <string.h>
#include <sys/socket.h>

static struct hsq q;
static struct cookie_checker cc;
static struct cookie_maker cm;
static struct endpoint ep;

/* A queue whose gate has keys, and a maker holding a cookie for ep. */
static void setup(void)
{
	uint8_t priv[32], pub[32];
	struct message_handshake_initiation m;
	struct message_handshake_cookie reply;
	struct cookie_source cs;

	CHECK(crypto_init() == 0);
	CHECK(crypto_x25519_keygen(priv) == 0 && crypto_x25519_public(pub, priv));
	cookie_checker_init(&cc);
	cookie_checker_precompute(&cc, pub);
	cookie_maker_init(&cm, pub);
	CHECK(hsq_init(&q) == 0);
	cookie_checker_copy_keys(&q.gate.checker, &cc);
	memset(&ep, 0, sizeof(ep));
	ep.family = AF_INET;
	memcpy(ep.addr, (uint8_t[]){ 192, 0, 2, 9 }, 4);
	ep.port = 51820;
	hsq_cookie_source(&cs, &ep);
	memset(&m, 0, sizeof(m));
	m.header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), daemon_now()));
	/* The gate's secret runs on daemon_now(), as the push does. */
	CHECK(cookie_gate_check(&q.gate, &m, sizeof(m), &cs, true, &reply, daemon_now()) ==
	      COOKIE_REPLY);
	CHECK(cookie_message_consume(&cm, &reply, daemon_now()));
}

static void teardown(void)
{
	hsq_uninit(&q);
	cookie_maker_uninit(&cm);
	cookie_checker_uninit(&cc);
	crypto_uninit();
}

/* An initiation tagged in its sender index; proven: with mac2. */
static void push(uint32_t tag, bool proven)
{
	struct message_handshake_initiation m;

	memset(&m, 0, sizeof(m));
	m.header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	m.sender_index = htole32(tag);
	if (proven) {
		CHECK(cookie_add_mac_to_packet(&cm, &m, sizeof(m), daemon_now()));
	} else {
		/* A valid mac1 and no mac2: what a flood sends. */
		struct cookie_maker fresh;

		cookie_maker_init(&fresh, (uint8_t[32]){ 0 });
		memcpy(fresh.message_mac1_key, cm.message_mac1_key, sizeof(fresh.message_mac1_key));
		CHECK(cookie_add_mac_to_packet(&fresh, &m, sizeof(m), daemon_now()));
		cookie_maker_uninit(&fresh);
	}
	hsq_push(&q, (const uint8_t *)&m, sizeof(m), &ep);
}

static uint32_t tag_of(const struct hsq_entry *e)
{
	uint32_t t;

	memcpy(&t, e->buf + 4, 4);
	return le32toh(t);
}

static struct hsq_entry out[MAX_QUEUED_INCOMING_HANDSHAKES];

static void test_proven_first(void)
{
	size_t n, backlog;

	setup();
	push(1, false);
	push(2, false);
	push(3, true);
	push(4, false);
	push(5, true);
	CHECK(q.proven.len == 2 && q.unproven.len == 3);
	n = hsq_take(&q, out, 3, &backlog);
	CHECK(n == 3 && backlog == 5);
	/* Proven in their order, then the oldest unproven. */
	CHECK(tag_of(&out[0]) == 3 && tag_of(&out[1]) == 5 && tag_of(&out[2]) == 1);
	n = hsq_take(&q, out, 8, &backlog);
	CHECK(n == 2 && backlog == 2);
	CHECK(tag_of(&out[0]) == 2 && tag_of(&out[1]) == 4);
	CHECK(hsq_take(&q, out, 8, &backlog) == 0 && backlog == 0);
	CHECK(q.dropped == 0);
	teardown();
}

static void test_full_queue_drops_unproven(void)
{
	size_t n, backlog;

	setup();
	for (uint32_t i = 0; i < MAX_QUEUED_INCOMING_HANDSHAKES; i++)
		push(100 + i, false);
	CHECK(q.unproven.len == MAX_QUEUED_INCOMING_HANDSHAKES);
	/* Full: an unproven message is dropped ... */
	push(1, false);
	CHECK(q.dropped == 1 && q.evicted == 0);
	/* ... a proven one takes the place of the oldest unproven. */
	push(2, true);
	push(3, true);
	CHECK(q.dropped == 3 && q.evicted == 2);
	CHECK(q.proven.len == 2 && q.unproven.len == MAX_QUEUED_INCOMING_HANDSHAKES - 2);
	n = hsq_take(&q, out, MAX_QUEUED_INCOMING_HANDSHAKES, &backlog);
	CHECK(n == MAX_QUEUED_INCOMING_HANDSHAKES && backlog == MAX_QUEUED_INCOMING_HANDSHAKES);
	CHECK(tag_of(&out[0]) == 2 && tag_of(&out[1]) == 3);
	/* 100 and 101 went; 102 is the oldest left. */
	CHECK(tag_of(&out[2]) == 102);
	CHECK(tag_of(&out[n - 1]) == 100 + MAX_QUEUED_INCOMING_HANDSHAKES - 1);
	teardown();
}

static void test_full_of_proven(void)
{
	size_t backlog;

	setup();
	for (uint32_t i = 0; i < MAX_QUEUED_INCOMING_HANDSHAKES; i++)
		push(i, true);
	CHECK(q.proven.len == MAX_QUEUED_INCOMING_HANDSHAKES);
	/* Nothing unproven to make room with: the newcomer goes, whatever it is. */
	push(9000, true);
	push(9001, false);
	CHECK(q.dropped == 2 && q.evicted == 0);
	CHECK(hsq_take(&q, out, 1, &backlog) == 1 && tag_of(&out[0]) == 0);
	/* A garbage mac2 is not proven. */
	{
		struct message_handshake_initiation m;

		memset(&m, 0, sizeof(m));
		m.header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
		memset(m.macs.mac2, 0x5a, sizeof(m.macs.mac2));
		hsq_push(&q, (const uint8_t *)&m, sizeof(m), &ep);
		CHECK(q.unproven.len == 1 && q.proven.len == MAX_QUEUED_INCOMING_HANDSHAKES - 1);
	}
	teardown();
}

static const struct harness_case cases[] = {
	{ "hsq/proven_first_then_fifo", test_proven_first },
	{ "hsq/full_queue_drops_only_unproven", test_full_queue_drops_unproven },
	{ "hsq/full_of_proven_drops_the_newcomer", test_full_of_proven },
};

HARNESS_MAIN(cases)
