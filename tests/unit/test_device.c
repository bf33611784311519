/* Two in-memory devices over a simulated network under a fake clock:
 * handshake, data both ways, exact accounting, every timer at its virtual
 * time over more than ten virtual minutes, loss, reordering, a restart,
 * and the attacks that must get silence and a counted drop. */
#include "device_fixture.h"

#include "crypto/crypto.h"
#include "daemon/daemon.h"
#include "proto/device.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- tests -------------------------------------------------------------- */

/* The kernel's accounting check: ten 84-byte pings, answered. */
static void test_ten_pings_accounting(void)
{
	pair_init();
	nb.echo = true;
	for (int i = 0; i < 10; i++) {
		send_ping(&na, &nb, 84);
		flush();
	}
	CHECK(na.delivered == 10 && nb.delivered == 10);
	CHECK_MSG(na.peer->stats.tx_bytes == 1428, "a tx %llu", (unsigned long long)na.peer->stats.tx_bytes);
	CHECK_MSG(na.peer->stats.rx_bytes == 1372, "a rx %llu", (unsigned long long)na.peer->stats.rx_bytes);
	CHECK(nb.peer->stats.rx_bytes == 1428 && nb.peer->stats.tx_bytes == 1372);
	/* Every data packet was 128 bytes on the wire: 84 padded to 96. */
	CHECK(na.sent_data == 10 && nb.sent_data == 10);
	/* On the split path every data message went through a job (the
	 * control: none on the core's own path). */
	CHECK_MSG(na.jobs_taken == (jobs_mode ? 10u : 0u) && nb.jobs_opened == (jobs_mode ? 10u : 0u),
		  "jobs taken %u opened %u", na.jobs_taken, nb.jobs_opened);
	CHECK(na.peer->last_handshake == S(1) && nb.peer->last_handshake == S(1));
	/* The responder learned a's endpoint from the handshake. */
	CHECK(nb.peer->endpoint.port == 51820);
	pair_free();
}

static void test_padding_and_mtu(void)
{
	CHECK(packet_padded_len(0, 1420) == 0);
	CHECK(packet_padded_len(1, 1420) == 16);
	CHECK(packet_padded_len(84, 1420) == 96);
	CHECK(packet_padded_len(1419, 1420) == 1420); /* capped at the MTU */
	CHECK(packet_padded_len(1420, 1420) == 1420);
	CHECK(packet_padded_len(1417, 1420) == 1420);
	CHECK(packet_padded_len(100, 0) == 112);
}

/* Every timer at its exact virtual time, over more than ten minutes. */
static void test_timers_virtual_minutes(void)
{
	uint64_t t0, d;

	pair_init();
	send_ping(&na, &nb, 84); /* handshake at 1 s, data a -> b */
	flush();
	t0 = vnow;
	CHECK(nb.delivered == 1);
	/* Passive keepalive: b received data and sent nothing back, so b
	 * sends a keepalive exactly KEEPALIVE_TIMEOUT later, not before. */
	run_until(t0 + S(10) - 1);
	CHECK(nb.sent_keepalives == 0);
	run_until(t0 + S(10));
	CHECK(nb.sent_keepalives == 1 && nb.last_keepalive_at == t0 + S(10));

	/* Send-only: a sends at 20 s and hears nothing back (b's replies are
	 * lost); a new handshake comes KEEPALIVE_TIMEOUT + REKEY_TIMEOUT +
	 * jitter later. */
	vnow = S(21);
	unsigned inits = na.sent_initiations;
	loss_all = true;
	send_ping(&na, &nb, 84);
	loss_all = false;
	d = device_next_deadline(&na.dev);
	CHECK_MSG(d >= S(21) + S(15) && d < S(21) + S(15) + REKEY_TIMEOUT_JITTER_MAX,
		  "new-handshake deadline %llu", (unsigned long long)(d - S(21)));
	run_until(d - 1);
	CHECK(na.sent_initiations == inits);
	run_until(d);
	CHECK(na.sent_initiations == inits + 1 && na.last_initiation_at == d);
	run_until(S(60));

	/* Rekey after time (initiator, on send): the current keypair is from
	 * the handshake just above; sending at 120 s + 1 ns past its birth
	 * starts a new one. */
	uint64_t birth = na.peer->remote.current->birthdate;
	vnow = birth + REKEY_AFTER_TIME - 1;
	inits = na.sent_initiations;
	send_ping(&na, &nb, 84);
	flush();
	CHECK(na.sent_initiations == inits);
	vnow = birth + REKEY_AFTER_TIME;
	send_ping(&na, &nb, 84);
	CHECK_MSG(na.sent_initiations == inits + 1, "rekey at 120 s: %u", na.sent_initiations - inits);
	flush();
	CHECK(na.peer->remote.current->birthdate == vnow);

	/* Receive-side rekey at 165 s: b sends data on the keypair a
	 * initiated; a (which sends nothing itself) starts a handshake when
	 * that keypair is 165 s old, not 1 ns earlier, and only once. */
	birth = na.peer->remote.current->birthdate;
	run_until(birth + REKEY_AFTER_TIME_RECV - 1);
	inits = na.sent_initiations;
	send_ping(&nb, &na, 84);
	flush();
	CHECK(na.sent_initiations == inits);
	run_until(birth + REKEY_AFTER_TIME_RECV);
	loss_all = true; /* keep that handshake from completing */
	send_ping(&nb, &na, 84);
	loss_all = false;
	CHECK(na.sent_initiations == inits); /* lost before a saw it */
	send_ping(&nb, &na, 84);
	flush();
	CHECK_MSG(na.sent_initiations == inits + 1, "receive-side rekey at 165 s: %u",
		  na.sent_initiations - inits);
	CHECK(na.last_initiation_at == birth + REKEY_AFTER_TIME_RECV);
	/* Once per session: more data does not ask again. */
	vnow += S(1);
	send_ping(&nb, &na, 84);
	flush();
	CHECK(na.sent_initiations == inits + 1);
	pair_free();
}

/* Expiry at 180 s: a keypair that old is not used; the packet is staged
 * and a handshake starts. */
static void test_reject_after_time(void)
{
	pair_init();
	send_ping(&na, &nb, 84);
	flush();
	uint64_t birth = na.peer->remote.current->birthdate;
	loss_all = true;
	vnow = birth + REJECT_AFTER_TIME - 1;
	unsigned data = na.sent_data, inits = na.sent_initiations;
	send_ping(&na, &nb, 84);
	CHECK(na.sent_data == data + 1); /* still usable 1 ns before */
	/* (and, being over 120 s old, it asked for a new handshake) */
	CHECK(na.sent_initiations == inits + 1);
	vnow = birth + REJECT_AFTER_TIME;
	send_ping(&na, &nb, 84);
	CHECK(na.sent_data == data + 1);          /* not sent on the old key */
	CHECK(na.peer->staged_count == 1);          /* waiting for the handshake */
	CHECK(na.sent_initiations == inits + 1);    /* rate limited: 5 s apart */
	/* The network comes back: the retry completes the handshake and the
	 * staged packet goes out. */
	loss_all = false;
	run_until(vnow + S(6));
	CHECK(na.peer->staged_count == 0 && na.sent_data == data + 2);
	/* b ignores data for an expired keypair of its own too. */
	pair_free();
}

/* A suspend: the boot-time clock moves three hours between two calls (a
 * laptop's lid closed; the daemon's clock is CLOCK_BOOTTIME), and every
 * timer comes due at once.  No burst: at most the one handshake that
 * b's due keepalive asks for (its keypair has expired, so the keepalive
 * waits for a new one, as the kernel's does); afterwards data flows
 * both ways, on keys born after the jump. */
static void test_suspend_clock_jump(void)
{
	unsigned inits, got;
	uint64_t jump;

	pair_init();
	send_ping(&na, &nb, 84);
	send_ping(&nb, &na, 84);
	flush();
	CHECK(na.peer->remote.current != NULL);
	inits = na.sent_initiations + nb.sent_initiations;
	jump = vnow + S(3 * 3600);
	vnow = jump;
	device_run_timers(&na.dev, vnow);
	device_run_timers(&nb.dev, vnow);
	flush();
	CHECK_MSG(na.sent_initiations + nb.sent_initiations <= inits + 1, "%u initiations at the jump",
		  na.sent_initiations + nb.sent_initiations - inits);
	CHECK(!na.peer->remote.current || na.peer->remote.current->birthdate >= jump);
	CHECK(!nb.peer->remote.current || nb.peer->remote.current->birthdate >= jump);
	got = nb.delivered;
	send_ping(&na, &nb, 84);
	run_until(vnow + S(1));
	CHECK(na.peer->staged_count == 0 && nb.delivered == got + 1);
	CHECK(na.peer->remote.current && na.peer->remote.current->birthdate >= jump);
	got = na.delivered;
	send_ping(&nb, &na, 84);
	run_until(vnow + S(1));
	CHECK(na.delivered == got + 1);
	CHECK(nb.peer->remote.current && nb.peer->remote.current->birthdate >= jump);
	pair_free();
}

/* The message-count limits: past REKEY_AFTER_MESSAGES the sender asks
 * for a new handshake; at REJECT_AFTER_MESSAGES the keypair is not used. */
static void test_message_limits(void)
{
	pair_init();
	send_ping(&na, &nb, 84);
	flush();
	struct noise_keypair *kp = na.peer->remote.current;
	vnow += S(6); /* past the 5 s initiation rate limit */
	/* Counters jump forward (as after 2^60 messages); b's window follows. */
	kp->send_counter = REKEY_AFTER_MESSAGES - 1;
	unsigned inits = na.sent_initiations, before = nb.delivered;
	send_ping(&na, &nb, 84); /* uses 2^60 - 1: now 2^60 sent, not more */
	CHECK(na.sent_initiations == inits);
	send_ping(&na, &nb, 84); /* uses 2^60: more than 2^60 sent */
	CHECK(na.sent_initiations == inits + 1);
	loss_all = true; /* keep the old keypair current */
	vnow += S(6);
	kp->send_counter = REJECT_AFTER_MESSAGES - 1;
	unsigned data = na.sent_data;
	send_ping(&na, &nb, 84); /* the last usable nonce */
	CHECK(na.sent_data == data + 1 && na.peer->staged_count == 0);
	send_ping(&na, &nb, 84); /* none left: staged, handshake */
	CHECK(na.sent_data == data + 1 && na.peer->staged_count == 1);
	loss_all = false;
	flush();
	CHECK(nb.delivered == before + 2);
	pair_free();
}

/* Retries every 5 s + jitter, then give up, purge and zero the keys. */
static void test_retries_give_up_and_zeroing(void)
{
	pair_init();
	send_ping(&na, &nb, 84);
	flush();
	uint64_t session = vnow;
	loss_all = true;
	/* The session ages out; new data stages and starts handshakes into a
	 * dead network. */
	vnow = session + REJECT_AFTER_TIME;
	unsigned inits = na.sent_initiations;
	send_ping(&na, &nb, 84);
	CHECK(na.sent_initiations == inits + 1);
	uint64_t prev = na.last_initiation_at;
	unsigned retries = 0;
	for (;;) {
		uint64_t d = device_next_deadline(&na.dev);
		if (!d || na.peer->timers.retransmit_handshake == 0)
			break;
		d = na.peer->timers.retransmit_handshake;
		run_until(d - 1);
		unsigned before = na.sent_initiations;
		run_until(d);
		if (na.sent_initiations == before)
			break; /* gave up at this deadline */
		CHECK_MSG(d - prev >= REKEY_TIMEOUT && d - prev < REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX,
			  "retry gap %llu ms", (unsigned long long)((d - prev) / NSEC_PER_MSEC));
		CHECK(na.last_initiation_at == d);
		prev = d;
		retries++;
	}
	CHECK_MSG(retries == MAX_TIMER_HANDSHAKES + 1, "retries %u", retries);
	CHECK(na.peer->staged_count == 0);
	CHECK(na.dev.drops[DROP_GAVE_UP] == 1);
	/* Keys are zeroed 540 s after the last session. */
	CHECK(na.peer->remote.current != NULL);
	run_until(session + KEY_ZEROING_TIME - 1);
	CHECK(na.peer->remote.current != NULL);
	run_until(session + KEY_ZEROING_TIME);
	CHECK(na.peer->remote.current == NULL && na.peer->remote.previous == NULL);
	/* The network returns at 11 minutes: new traffic makes a new
	 * session from nothing. */
	loss_all = false;
	run_until(S(11 * 60));
	unsigned before = nb.delivered;
	send_ping(&na, &nb, 84);
	flush();
	CHECK(nb.delivered == before + 1 && na.peer->remote.current != NULL);
	CHECK(vnow >= S(10 * 60)); /* more than ten virtual minutes */
	pair_free();
}

static void test_persistent_keepalive(void)
{
	pair_init();
	send_ping(&na, &nb, 84);
	flush();
	/* Let b's passive keepalive (10 s after a's data) go by first: it
	 * is traffic too, and would re-arm a's timer. */
	run_until(vnow + S(12));
	unsigned ka = na.sent_keepalives;
	/* 0 -> 25 s sends one at once, then every 25 s of silence. */
	device_peer_set_keepalive(&na.dev, na.peer, 25, vnow);
	flush();
	CHECK(na.sent_keepalives == ka + 1);
	uint64_t t = vnow;
	run_until(t + S(25) - 1);
	CHECK(na.sent_keepalives == ka + 1);
	run_until(t + S(25));
	CHECK(na.sent_keepalives == ka + 2 && na.last_keepalive_at == t + S(25));
	/* Traffic re-arms it: a's data at +35 s makes b answer with its
	 * passive keepalive at +45 s, and a's next persistent keepalive is
	 * due 25 s after that last packet, at +70 s. */
	run_until(t + S(35));
	send_ping(&na, &nb, 84);
	flush();
	run_until(t + S(45));
	CHECK(nb.last_keepalive_at == t + S(45));
	run_until(t + S(70) - 1);
	CHECK(na.sent_keepalives == ka + 2);
	run_until(t + S(70));
	CHECK(na.sent_keepalives == ka + 3 && na.last_keepalive_at == t + S(70));
	pair_free();
}

/* Loss and reordering do not break the session; a restarted peer is back
 * after one handshake. */
static void test_loss_reorder_restart(void)
{
	pair_init();
	nb.echo = true;
	drop_every = 3;
	reorder = true;
	for (int i = 0; i < 60; i++) {
		send_ping(&na, &nb, 100 + (size_t)i);
		if (i % 5 == 4)
			run_until(vnow + MS(100));
	}
	run_until(vnow + S(30));
	CHECK_MSG(nb.delivered >= 20, "b got %u of 60 over a lossy reordering path", nb.delivered);
	drop_every = 0;
	reorder = false;
	unsigned before = nb.delivered;
	send_ping(&na, &nb, 84);
	run_until(vnow + S(1));
	CHECK(nb.delivered == before + 1);

	/* b restarts: same key, all state lost.  a's packets to the old
	 * session are dropped by b (unknown index) until a rekeys: the
	 * send-only timer does that within 15 s.  b's packet_crypto stays,
	 * as a data thread's outlives what it served: the new device's key
	 * ids must not match the keys it cached (they are process-wide; with
	 * ids per device, jobs mode fails here). */
	device_uninit(&nb.dev);
	flush();
	struct device_ops ops = { &nb, op_send, op_deliver, op_release, op_wall, op_event,
				  jobs_mode ? op_send_data : NULL };
	CHECK(device_init(&nb.dev, &ops, 1420) == 0);
	device_set_private_key(&nb.dev, nb.priv);
	nb.peer = device_add_peer(&nb.dev, na.pub);
	CHECK(device_peer_add_allowed_ip(&nb.dev, nb.peer, AF_INET, na.tun_addr, 32) == 0);
	nb.echo = false;
	before = nb.delivered;
	uint64_t restart = vnow;
	for (int i = 0; i < 20 && nb.delivered == before; i++) {
		send_ping(&na, &nb, 84);
		run_until(vnow + S(2));
	}
	CHECK_MSG(nb.delivered > before, "no recovery after restart");
	CHECK(vnow - restart <= S(30));
	CHECK(nb.dev.drops[DROP_UNKNOWN_INDEX] >= 1);
	pair_free();
}

/* --- attacks ------------------------------------------------------------ */

static struct endpoint mallory = { .family = AF_INET6, .addr = { [15] = 66 }, .port = 666 };

static enum drop_reason inject(struct node *n, const void *buf, size_t len)
{
	unsigned sent = sent_count;
	enum drop_reason r = node_receive(n, buf, len, &mallory);
	/* Silence: nothing goes out for an attack (cookie replies excepted,
	 * which the caller checks). */
	if (r != DROP_COOKIE_SENT)
		CHECK_MSG(sent_count == sent, "answered an attack (reason %s)",
			  device_drop_reason_name(r));
	return r;
}

/* Captures b's next inbound datagram of a given type from a. */
static struct dgram *capture(uint32_t type)
{
	for (size_t i = 0; i < net_len; i++) {
		uint32_t t;
		memcpy(&t, net[i]->buf, 4);
		if (le32toh(t) == type) {
			struct dgram *d = malloc(sizeof(*d));
			memcpy(d, net[i], sizeof(*d));
			return d;
		}
	}
	return NULL;
}

static void test_attacks_get_silence(void)
{
	uint8_t garbage[256];

	pair_init();
	/* Capture a genuine initiation and data packet. */
	send_ping(&na, &nb, 84);
	struct dgram *init = capture(1);
	CHECK(init != NULL);
	flush();
	send_ping(&na, &nb, 84);
	struct dgram *data = capture(4);
	CHECK(data != NULL);
	flush();
	uint64_t *drops = nb.dev.drops;

	/* Replayed initiation: refused by its timestamp. */
	CHECK(inject(&nb, init->buf, init->len) == DROP_REPLAYED_INITIATION);
	/* Replayed transport counter. */
	CHECK(inject(&nb, data->buf, data->len) == DROP_REPLAYED_COUNTER);
	/* Bad mac1 (any bit). */
	init->buf[100] ^= 1;
	CHECK(inject(&nb, init->buf, init->len) == DROP_INVALID_MAC1);
	init->buf[100] ^= 1;
	/* Wrong lengths for every type; reserved bytes set. */
	for (uint8_t type = 1; type <= 4; type++) {
		static const size_t sizes[] = { 0, 1, 3, 4, 31, 63, 64, 65, 91, 92, 93, 147, 149 };
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			memset(garbage, 0, sizeof(garbage));
			garbage[0] = type;
			if ((type == 1 && sizes[i] == 148) || (type == 2 && sizes[i] == 92) ||
			    (type == 3 && sizes[i] == 64) || (type == 4 && sizes[i] >= 32))
				continue;
			CHECK(inject(&nb, garbage, sizes[i]) == DROP_INVALID_MESSAGE);
		}
	}
	memcpy(garbage, init->buf, init->len);
	garbage[2] = 1; /* a reserved byte */
	CHECK(inject(&nb, garbage, init->len) == DROP_INVALID_MESSAGE);
	garbage[0] = 5;
	garbage[2] = 0;
	CHECK(inject(&nb, garbage, init->len) == DROP_INVALID_MESSAGE);
	/* Garbage with a valid receiver index. */
	memcpy(garbage, data->buf, data->len);
	for (size_t i = 16; i < data->len; i++)
		garbage[i] ^= 0x5a;
	CHECK(inject(&nb, garbage, data->len) == DROP_DATA_DECRYPT);
	/* Garbage with an unknown index. */
	garbage[4] ^= 0xff;
	CHECK(inject(&nb, garbage, data->len) == DROP_UNKNOWN_INDEX);
	/* An old timestamp: an initiation made "earlier" (a captured one
	 * with the clock set back is the same as the replay above); made
	 * fresh with a wall clock 100 s in the past: */
	vnow += S(1);
	loss_all = false;
	struct message_handshake_initiation old;
	uint8_t ts[12];
	noise_tai64n(ts, 1700000000 - 100, 0);
	CHECK(noise_create_initiation(&na.peer->remote, &old, ts));
	CHECK(cookie_add_mac_to_packet(&na.peer->cookie, &old, sizeof(old), vnow));
	CHECK(inject(&nb, &old, sizeof(old)) == DROP_REPLAYED_INITIATION);
	/* Low-order ephemeral with a valid mac1. */
	memcpy(&old, init->buf, sizeof(old));
	memset(old.unencrypted_ephemeral, 0, 32);
	CHECK(cookie_add_mac_to_packet(&na.peer->cookie, &old, sizeof(old), vnow));
	CHECK(inject(&nb, &old, sizeof(old)) == DROP_LOW_ORDER_POINT);
	/* The session survived all of it. */
	unsigned before = nb.delivered;
	send_ping(&na, &nb, 84);
	flush();
	CHECK(nb.delivered == before + 1);
	/* Each drop was counted under its reason. */
	CHECK(drops[DROP_REPLAYED_INITIATION] == 2 && drops[DROP_REPLAYED_COUNTER] == 1 &&
	      drops[DROP_INVALID_MAC1] == 1 && drops[DROP_DATA_DECRYPT] == 1 &&
	      drops[DROP_UNKNOWN_INDEX] == 1 && drops[DROP_LOW_ORDER_POINT] == 1);
	CHECK(drops[DROP_INVALID_MESSAGE] >= 40);
	/* Roaming: none of the unauthenticated packets moved b's view of a. */
	CHECK(nb.peer->endpoint.port == 51820);
	free(init);
	free(data);
	pair_free();
}

/* Under load: no mac2 -> a 64-byte cookie reply and no DH; with the cookie
 * the initiation proceeds. */
static void test_under_load_cookie(void)
{
	pair_init();
	device_set_handshake_backlog(&nb.dev, UNDER_LOAD_QUEUE_LEN, vnow);
	CHECK(device_under_load(&nb.dev, vnow));
	uint8_t ts_before[12];
	memcpy(ts_before, nb.peer->remote.latest_timestamp, 12);
	send_ping(&na, &nb, 84);
	flush();
	CHECK(nb.sent_cookies == 1 && nb.sent_responses == 0);
	CHECK(nb.dev.drops[DROP_COOKIE_SENT] == 1);
	/* No DH was done: the initiation was never consumed. */
	CHECK_MEM(nb.peer->remote.latest_timestamp, ts_before, 12);
	CHECK(na.peer->cookie.is_valid);
	/* The retry carries mac2 and is answered. */
	run_until(vnow + S(6));
	CHECK(nb.sent_responses == 1);
	CHECK(nb.delivered == 1);
	/* Load ends: one second after it was last seen, mac2 is no longer
	 * required. */
	device_set_handshake_backlog(&nb.dev, UNDER_LOAD_QUEUE_LEN, vnow);
	device_set_handshake_backlog(&nb.dev, 0, vnow);
	CHECK(device_under_load(&nb.dev, vnow + NSEC_PER_SEC - 1));
	CHECK(!device_under_load(&nb.dev, vnow + NSEC_PER_SEC));
	pair_free();
}

static void test_source_check_and_routing(void)
{
	uint8_t buf[100], other[4] = { 10, 9, 9, 9 };

	pair_init();
	send_ping(&na, &nb, 84);
	flush();
	/* a sends a packet whose inner source is not a's allowed IP at b. */
	make_ip4(buf, 84, other, nb.tun_addr);
	unsigned before = nb.delivered;
	device_send(&na.dev, packet_new(&na, buf, 84), vnow);
	flush();
	CHECK(nb.delivered == before);
	CHECK(nb.dev.drops[DROP_SOURCE_NOT_ALLOWED] == 1);
	/* No route: a destination no peer holds. */
	make_ip4(buf, 84, na.tun_addr, other);
	CHECK(device_send(&na.dev, packet_new(&na, buf, 84), vnow) == DROP_NO_ROUTE);
	/* Not IP at all. */
	memset(buf, 0, sizeof(buf));
	CHECK(device_send(&na.dev, packet_new(&na, buf, 50), vnow) == DROP_INVALID_INNER);
	/* The staged queue is bounded at 128, oldest dropped. */
	loss_all = true;
	vnow += REJECT_AFTER_TIME;
	for (int i = 0; i < MAX_STAGED_PACKETS + 10; i++)
		send_ping(&na, &nb, 84);
	CHECK(na.peer->staged_count == MAX_STAGED_PACKETS);
	CHECK(na.dev.drops[DROP_STAGED_OVERFLOW] == 10);
	loss_all = false;
	pair_free();
}

/* The daemon's view: peers in the order they were added (get=1), the
 * wall clock of the handshake, the preshared-key setter, and the count of
 * prefixes taken from one peer by another. */
static void test_peer_list_and_wall_clock(void)
{
	uint8_t keys[5][32], pub[32], psk[32];
	struct peer *p[5], *q;
	uint8_t net9[4] = { 10, 9, 0, 0 };
	size_t i = 0;

	pair_init();
	CHECK(na.dev.first_peer == na.peer && na.dev.last_peer == na.peer);
	for (int k = 0; k < 5; k++) {
		CHECK(crypto_x25519_keygen(keys[k]) == 0 && crypto_x25519_public(pub, keys[k]));
		p[k] = device_add_peer(&na.dev, pub);
		CHECK(p[k]);
	}
	/* Remove the middle, the first and the last: order stays. */
	device_remove_peer(&na.dev, p[2]);
	device_remove_peer(&na.dev, na.peer);
	device_remove_peer(&na.dev, p[4]);
	struct peer *want[] = { p[0], p[1], p[3] };
	for (q = na.dev.first_peer; q; q = q->next_peer, i++)
		CHECK(i < 3 && q == want[i]);
	CHECK(i == 3 && na.dev.last_peer == p[3] && na.dev.peer_count == 3);

	/* A prefix moving between peers is counted on the device. */
	CHECK(device_peer_add_allowed_ip(&na.dev, p[0], AF_INET, net9, 24) == 0);
	CHECK(na.dev.prefixes_moved == 0);
	CHECK(device_peer_add_allowed_ip(&na.dev, p[1], AF_INET, net9, 24) == 0);
	CHECK(na.dev.prefixes_moved == 1 && p[0]->stats.prefixes_lost == 1);

	/* Preshared key: set, and all zeros removes it. */
	memset(psk, 0x42, sizeof(psk));
	device_peer_set_preshared_key(&na.dev, p[0], psk);
	CHECK_MEM(p[0]->remote.preshared_key, psk, 32);
	memset(psk, 0, sizeof(psk));
	device_peer_set_preshared_key(&na.dev, p[0], psk);
	CHECK_MEM(p[0]->remote.preshared_key, psk, 32);

	device_remove_all_peers(&na.dev);
	CHECK(!na.dev.first_peer && !na.dev.last_peer && na.dev.peer_count == 0);
	node_uninit(&na);
	node_uninit(&nb);

	/* Handshake times on the wall clock (op_wall: 1700000000 + vnow). */
	pair_init();
	run_until(S(7) + 5);
	send_ping(&na, &nb, 84);
	flush();
	CHECK(na.peer->last_handshake == S(7) + 5);
	CHECK(na.peer->last_handshake_sec == 1700000007 && na.peer->last_handshake_nsec == 5);
	CHECK(nb.peer->last_handshake_sec == 1700000007 && nb.peer->last_handshake_nsec == 5);
	pair_free();
}

static void test_uninit(void)
{
	crypto_uninit();
}

/* The daemon's "must hold dev_lock" check (daemon_assert_locked): true
 * only on the thread that took the lock, and a function that requires it
 * aborts when called without (in a child, which must die of SIGABRT). */
static void test_dev_lock_assert(void)
{
	static struct daemon d;
	int status = 0;
	pid_t pid;

	pthread_mutex_init(&d.dev_lock, NULL);
	CHECK(!daemon_lock_held(&d));
	daemon_lock_device(&d);
	CHECK(daemon_lock_held(&d));
	daemon_unlock_device(&d);
	CHECK(!daemon_lock_held(&d));

	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* The assert's message on stderr is expected: keep it quiet. */
		if (!freopen("/dev/null", "w", stderr))
			_exit(2);
		daemon_rearm_timer(&d); /* must hold dev_lock */
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		  "unlocked daemon_rearm_timer: status 0x%x", status);
	pthread_mutex_destroy(&d.dev_lock);
}

/* The split path's own risks: what changes between the routing step and
 * the opened step, while the job runs without the lock. */
static struct dgram *take_datagram(void)
{
	struct dgram *d;

	CHECK(net_len > 0);
	d = net[--net_len];
	return d;
}

static void test_jobs_keypair_changes_meanwhile(void)
{
	struct device_job j1, j2;
	struct dgram *d;
	unsigned before;

	jobs_mode = true;
	pair_init();
	send_ping(&na, &nb, 84);
	flush();
	CHECK(nb.delivered == 1);

	/* The same datagram opened twice at once (two threads): both
	 * authenticate, and the window, checked afterwards one at a time,
	 * lets only the first through. */
	send_ping(&na, &nb, 84);
	d = take_datagram();
	before = nb.delivered;
	CHECK(device_receive_prepare(&nb.dev, packet_new(&nb, d->buf, d->len), &j1, vnow) == DROP_NONE);
	CHECK(device_receive_prepare(&nb.dev, packet_new(&nb, d->buf, d->len), &j2, vnow) == DROP_NONE);
	device_job_open(&nb.crypto, &j1);
	device_job_open(&nb.crypto, &j2);
	CHECK(j1.ok && j2.ok);
	CHECK(device_receive_opened(&nb.dev, &j1, &na.addr, vnow) == DROP_NONE);
	CHECK(device_receive_opened(&nb.dev, &j2, &na.addr, vnow) == DROP_REPLAYED_COUNTER);
	CHECK(nb.delivered == before + 1);
	free(d);

	/* A job whose bytes were altered fails authentication. */
	send_ping(&na, &nb, 84);
	d = take_datagram();
	d->buf[40] ^= 1;
	CHECK(device_receive_prepare(&nb.dev, packet_new(&nb, d->buf, d->len), &j1, vnow) == DROP_NONE);
	device_job_open(&nb.crypto, &j1);
	CHECK(!j1.ok);
	CHECK(device_receive_opened(&nb.dev, &j1, &na.addr, vnow) == DROP_DATA_DECRYPT);
	free(d);

	/* The peer removed while its packet was being opened: dropped as an
	 * unknown index, the packet given back. */
	send_ping(&na, &nb, 84);
	d = take_datagram();
	CHECK(device_receive_prepare(&nb.dev, packet_new(&nb, d->buf, d->len), &j1, vnow) == DROP_NONE);
	device_job_open(&nb.crypto, &j1);
	CHECK(j1.ok);
	before = (unsigned)nb.dev.drops[DROP_UNKNOWN_INDEX];
	device_remove_peer(&nb.dev, nb.peer);
	nb.peer = NULL;
	CHECK(device_receive_opened(&nb.dev, &j1, &na.addr, vnow) == DROP_UNKNOWN_INDEX);
	CHECK(nb.dev.drops[DROP_UNKNOWN_INDEX] == before + 1);
	CHECK_MSG(nb.live_packets == 0, "b holds %d packets", nb.live_packets);
	free(d);
	pair_free();
	jobs_mode = false;
}

/* A case of the core's own path, run again on the daemon's split path. */
#define JOBS(name)                          \
	static void name##_jobs(void)       \
	{                                   \
		jobs_mode = true;           \
		name();                     \
		jobs_mode = false;          \
	}
JOBS(test_ten_pings_accounting)
JOBS(test_timers_virtual_minutes)
JOBS(test_reject_after_time)
JOBS(test_message_limits)
JOBS(test_retries_give_up_and_zeroing)
JOBS(test_persistent_keepalive)
JOBS(test_loss_reorder_restart)
JOBS(test_attacks_get_silence)
JOBS(test_source_check_and_routing)

/* A case run again with handshakes on the daemon's gated path. */
#define GATED(name)                         \
	static void name##_gated(void)      \
	{                                   \
		gated_mode = true;          \
		name();                     \
		CHECK(nb.gated > 0);        \
		gated_mode = false;         \
	}
GATED(test_ten_pings_accounting)
GATED(test_retries_give_up_and_zeroing)
GATED(test_loss_reorder_restart)
GATED(test_attacks_get_silence)
GATED(test_under_load_cookie)

/* The identity changes between the gate's check and the device: the
 * device takes the message the whole way again, and the gate follows. */
static void test_gated_identity_change(void)
{
	struct dgram *d;
	uint8_t priv[32];

	gated_mode = true;
	pair_init();
	send_ping(&na, &nb, 84);
	d = capture(MESSAGE_HANDSHAKE_INITIATION);
	CHECK(d != NULL);
	net_len = 0;
	if (d) {
		/* The gate at gen g; then nb's key changes: the initiation,
		 * for the old key, must not complete. */
		uint64_t gen = device_identity_gen(&nb.dev);
		struct packet *p = packet_new(&nb, d->buf, d->len);

		CHECK(crypto_x25519_keygen(priv) == 0);
		device_set_private_key(&nb.dev, priv);
		CHECK(device_identity_gen(&nb.dev) == gen + 1);
		CHECK(device_receive_checked(&nb.dev, p, &d->from, false, NULL, NULL, gen, vnow) ==
		      DROP_INVALID_MAC1);
		CHECK(nb.sent_responses == 0);
		/* The gate's next message brings its keys to the new ones. */
		CHECK(node_receive(&nb, d->buf, d->len, &d->from) == DROP_INVALID_MAC1);
		CHECK(nb.gate_gen == gen + 1);
		free(d);
	}
	pair_free();
	gated_mode = false;
}

static const struct harness_case cases[] = {
	{ "device/daemon_lock_assert", test_dev_lock_assert },
	{ "device/padding_and_mtu", test_padding_and_mtu },
	{ "device/ten_pings_accounting", test_ten_pings_accounting },
	{ "device/timers_virtual_minutes", test_timers_virtual_minutes },
	{ "device/reject_after_time", test_reject_after_time },
	{ "device/suspend_clock_jump", test_suspend_clock_jump },
	{ "device/message_limits", test_message_limits },
	{ "device/retries_give_up_and_zeroing", test_retries_give_up_and_zeroing },
	{ "device/persistent_keepalive", test_persistent_keepalive },
	{ "device/loss_reorder_restart", test_loss_reorder_restart },
	{ "device/attacks_get_silence", test_attacks_get_silence },
	{ "device/under_load_cookie", test_under_load_cookie },
	{ "device/source_check_and_routing", test_source_check_and_routing },
	{ "device/peer_list_and_wall_clock", test_peer_list_and_wall_clock },
	{ "device/uninit", test_uninit },
	{ "device/jobs/keypair_changes_meanwhile", test_jobs_keypair_changes_meanwhile },
	{ "device/jobs/ten_pings_accounting", test_ten_pings_accounting_jobs },
	{ "device/jobs/timers_virtual_minutes", test_timers_virtual_minutes_jobs },
	{ "device/jobs/reject_after_time", test_reject_after_time_jobs },
	{ "device/jobs/message_limits", test_message_limits_jobs },
	{ "device/jobs/retries_give_up_and_zeroing", test_retries_give_up_and_zeroing_jobs },
	{ "device/jobs/persistent_keepalive", test_persistent_keepalive_jobs },
	{ "device/jobs/loss_reorder_restart", test_loss_reorder_restart_jobs },
	{ "device/jobs/attacks_get_silence", test_attacks_get_silence_jobs },
	{ "device/jobs/source_check_and_routing", test_source_check_and_routing_jobs },
	{ "device/gated/ten_pings_accounting", test_ten_pings_accounting_gated },
	{ "device/gated/retries_give_up_and_zeroing", test_retries_give_up_and_zeroing_gated },
	{ "device/gated/loss_reorder_restart", test_loss_reorder_restart_gated },
	{ "device/gated/attacks_get_silence", test_attacks_get_silence_gated },
	{ "device/gated/under_load_cookie", test_under_load_cookie_gated },
	{ "device/gated/identity_change_meanwhile", test_gated_identity_change },
};

HARNESS_MAIN(cases)
