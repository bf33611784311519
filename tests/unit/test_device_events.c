/* The core's events (struct device_event) on the two-node network of
 * device_fixture.h, under its fake clock: one handshake event per side
 * and handshake, the rekey flag, roaming with both endpoints, the stale
 * event exactly REJECT_AFTER_TIME after the last handshake (and none while
 * handshakes go on), allowed IPs moved, load entered and left with its
 * duration, and failed handshakes with their reason and source. */
#include "device_fixture.h"

/* A fresh handshake: one event each side, the initiator's and the
 * responder's, neither a rekey; the next handshake while the session is
 * valid is a rekey. */
static void test_handshake_events(void)
{
	const struct node_event *e;

	pair_init();
	nb.echo = true;
	send_ping(&na, &nb, 84);
	flush();
	CHECK(events_of(&na, DEVICE_EVENT_HANDSHAKE) == 1);
	CHECK(events_of(&nb, DEVICE_EVENT_HANDSHAKE) == 1);
	e = last_event(&na, DEVICE_EVENT_HANDSHAKE);
	CHECK(e && e->ev.initiator && !e->ev.rekey && e->ev.peer == na.peer && e->ev.now == S(1));
	CHECK(e && e->new_ep.port == nb.addr.port);
	e = last_event(&nb, DEVICE_EVENT_HANDSHAKE);
	CHECK(e && !e->ev.initiator && !e->ev.rekey && e->new_ep.port == na.addr.port);

	/* Traffic every 10 s: a rekeys after REKEY_AFTER_TIME (120 s). */
	for (uint64_t t = S(11); t <= S(131); t += S(10)) {
		run_until(t);
		send_ping(&na, &nb, 84);
		flush();
	}
	CHECK_MSG(events_of(&na, DEVICE_EVENT_HANDSHAKE) == 2, "a: %u handshakes",
		  events_of(&na, DEVICE_EVENT_HANDSHAKE));
	e = last_event(&na, DEVICE_EVENT_HANDSHAKE);
	CHECK(e && e->ev.initiator && e->ev.rekey);
	CHECK(events_of(&nb, DEVICE_EVENT_HANDSHAKE) == 2);
	e = last_event(&nb, DEVICE_EVENT_HANDSHAKE);
	CHECK(e && !e->ev.initiator && e->ev.rekey);
	/* None of it was stale. */
	CHECK(events_of(&na, DEVICE_EVENT_STALE) == 0 && events_of(&nb, DEVICE_EVENT_STALE) == 0);
	pair_free();
}

/* The peer stops: the stale event comes exactly REJECT_AFTER_TIME after
 * the last handshake, once, on both sides; not a nanosecond earlier. */
static void test_stale_event(void)
{
	const struct node_event *e;

	pair_init();
	send_ping(&na, &nb, 84);
	flush();
	CHECK(na.peer->last_handshake == S(1));
	loss_all = true; /* the peer is gone */
	run_until(S(1) + REJECT_AFTER_TIME - 1);
	CHECK(events_of(&na, DEVICE_EVENT_STALE) == 0 && events_of(&nb, DEVICE_EVENT_STALE) == 0);
	run_until(S(1) + REJECT_AFTER_TIME);
	CHECK(events_of(&na, DEVICE_EVENT_STALE) == 1 && events_of(&nb, DEVICE_EVENT_STALE) == 1);
	e = last_event(&na, DEVICE_EVENT_STALE);
	CHECK(e && e->ev.now == S(1) + REJECT_AFTER_TIME && e->ev.ns == REJECT_AFTER_TIME &&
	      e->ev.peer == na.peer && e->new_ep.port == nb.addr.port);
	/* Once per session: ten more minutes bring no second one. */
	run_until(S(1) + REJECT_AFTER_TIME + S(600));
	CHECK(events_of(&na, DEVICE_EVENT_STALE) == 1 && events_of(&nb, DEVICE_EVENT_STALE) == 1);
	/* A new handshake arms it again. */
	loss_all = false;
	vnow = S(1000);
	send_ping(&na, &nb, 84);
	flush();
	CHECK(events_of(&na, DEVICE_EVENT_HANDSHAKE) == 2);
	e = last_event(&na, DEVICE_EVENT_HANDSHAKE);
	CHECK(e && !e->ev.rekey); /* the old session had long expired */
	loss_all = true;
	run_until(S(1000) + REJECT_AFTER_TIME);
	CHECK(events_of(&na, DEVICE_EVENT_STALE) == 2);
	pair_free();
}

/* Roaming: b writes from a new port; a's event has both endpoints. */
static void test_endpoint_changed_event(void)
{
	const struct node_event *e;

	pair_init();
	send_ping(&na, &nb, 84);
	flush();
	CHECK(events_of(&nb, DEVICE_EVENT_ENDPOINT_CHANGED) == 0); /* learned, not changed */
	send_ping(&nb, &na, 84);
	flush();
	CHECK(events_of(&na, DEVICE_EVENT_ENDPOINT_CHANGED) == 0); /* same address */
	nb.addr.port = 40001;
	send_ping(&nb, &na, 84);
	flush();
	CHECK(events_of(&na, DEVICE_EVENT_ENDPOINT_CHANGED) == 1);
	e = last_event(&na, DEVICE_EVENT_ENDPOINT_CHANGED);
	CHECK(e && e->old_ep.port == 51821 && e->new_ep.port == 40001 && e->ev.peer == na.peer);
	CHECK(na.peer->stats.endpoint_changes == 1);
	nb.addr.port = 51821; /* where a still sends (the fixture's address book) */
	pair_free();
}

/* A third peer takes b's /32 on a: one event, with both peers and the
 * prefix. */
static void test_allowed_ip_moved_event(void)
{
	uint8_t other_key[32];
	const struct node_event *e;
	struct peer *third;

	pair_init();
	CHECK(crypto_random(other_key, sizeof(other_key)) == 0);
	third = device_add_peer(&na.dev, other_key);
	CHECK(third != NULL);
	CHECK(device_peer_add_allowed_ip(&na.dev, third, AF_INET, nb.tun_addr, 32) == 0);
	CHECK(events_of(&na, DEVICE_EVENT_ALLOWED_IP_MOVED) == 1);
	e = last_event(&na, DEVICE_EVENT_ALLOWED_IP_MOVED);
	CHECK(e && e->ev.peer == third && e->ev.other == na.peer && e->ev.family == AF_INET &&
	      e->ev.cidr == 32 && !memcmp(e->addr, nb.tun_addr, 4));
	/* Adding what a peer already holds moves nothing. */
	CHECK(device_peer_add_allowed_ip(&na.dev, third, AF_INET, nb.tun_addr, 32) == 0);
	CHECK(events_of(&na, DEVICE_EVENT_ALLOWED_IP_MOVED) == 1);
	pair_free();
}

/* Load: entered once while the backlog stays long, left
 * UNDER_LOAD_AFTER_TIME after the last long backlog, on the timer the
 * device asks for, with the spell's length; the time under load adds
 * up. */
static void test_load_events(void)
{
	const struct node_event *e;
	uint64_t t = S(5);

	pair_init();
	device_set_handshake_backlog(&nb.dev, UNDER_LOAD_QUEUE_LEN, t);
	device_set_handshake_backlog(&nb.dev, UNDER_LOAD_QUEUE_LEN + 10, t + MS(300));
	CHECK(events_of(&nb, DEVICE_EVENT_LOAD_ENTERED) == 1);
	device_set_handshake_backlog(&nb.dev, 0, t + MS(500));
	CHECK(device_under_load(&nb.dev, t + MS(500)));
	CHECK(events_of(&nb, DEVICE_EVENT_LOAD_LEFT) == 0);
	/* The end is on the device's timer. */
	CHECK_MSG(device_next_deadline(&nb.dev) <= t + MS(300) + UNDER_LOAD_AFTER_TIME,
		  "deadline %llu", (unsigned long long)device_next_deadline(&nb.dev));
	CHECK(device_load_ns(&nb.dev, t + MS(800)) == MS(800));
	device_run_timers(&nb.dev, t + MS(300) + UNDER_LOAD_AFTER_TIME - 1);
	CHECK(events_of(&nb, DEVICE_EVENT_LOAD_LEFT) == 0);
	device_run_timers(&nb.dev, t + MS(300) + UNDER_LOAD_AFTER_TIME);
	CHECK(events_of(&nb, DEVICE_EVENT_LOAD_LEFT) == 1);
	e = last_event(&nb, DEVICE_EVENT_LOAD_LEFT);
	CHECK(e && e->ev.ns == MS(300) + UNDER_LOAD_AFTER_TIME);
	CHECK(device_load_ns(&nb.dev, S(100)) == MS(1300));
	/* A second spell adds to it. */
	device_set_handshake_backlog(&nb.dev, UNDER_LOAD_QUEUE_LEN, S(200));
	CHECK(events_of(&nb, DEVICE_EVENT_LOAD_ENTERED) == 2);
	device_run_timers(&nb.dev, S(200) + UNDER_LOAD_AFTER_TIME);
	CHECK(device_load_ns(&nb.dev, S(300)) == MS(1300) + UNDER_LOAD_AFTER_TIME);
	pair_free();
}

/* Failed handshakes: a bad mac1 (a client with the wrong server key) and
 * a peer the device does not know, each with its source, and the
 * counters agree.  (Replays are counted the same way: test_device.c's
 * attacks.) */
static void test_handshake_failed_events(void)
{
	struct endpoint src = { .family = AF_INET, .addr = { 203, 0, 113, 9 }, .port = 4444 };
	struct message_handshake_initiation init;
	struct node stranger;
	const struct node_event *e;

	pair_init();
	/* The right size and type, a mac1 of zeros. */
	memset(&init, 0, sizeof(init));
	init.header.type = htole32(MESSAGE_HANDSHAKE_INITIATION);
	{
		struct packet *p = packet_new(&nb, (const uint8_t *)&init, sizeof(init));
		(void)device_receive(&nb.dev, p, &src, vnow);
	}
	CHECK(events_of(&nb, DEVICE_EVENT_HANDSHAKE_FAILED) == 1);
	e = last_event(&nb, DEVICE_EVENT_HANDSHAKE_FAILED);
	CHECK(e && e->ev.reason == DROP_INVALID_MAC1 && e->new_ep.port == 4444 &&
	      e->new_ep.addr[0] == 203 && e->ev.peer == NULL);
	CHECK(nb.dev.drops[DROP_INVALID_MAC1] == 1);

	/* A stranger who knows b's public key but is not b's peer. */
	node_init(&stranger, "s", 3, 51999);
	{
		struct peer *to_b = device_add_peer(&stranger.dev, nb.pub);
		CHECK(to_b != NULL);
		device_peer_set_endpoint(&stranger.dev, to_b, &nb.addr);
		CHECK(device_peer_add_allowed_ip(&stranger.dev, to_b, AF_INET, nb.tun_addr, 32) == 0);
		send_ping(&stranger, &nb, 84);
	}
	CHECK(stranger.sent_initiations == 1);
	node_uninit(&stranger);
	flush(); /* the initiation, in flight to b */
	CHECK_MSG(events_of(&nb, DEVICE_EVENT_HANDSHAKE_FAILED) == 2, "%u failures",
		  events_of(&nb, DEVICE_EVENT_HANDSHAKE_FAILED));
	e = last_event(&nb, DEVICE_EVENT_HANDSHAKE_FAILED);
	CHECK(e && e->ev.reason == DROP_UNKNOWN_PEER && e->new_ep.port == 51999);
	CHECK(nb.dev.drops[DROP_UNKNOWN_PEER] == 1);
	CHECK(device_drop_is_handshake_failure(DROP_UNKNOWN_PEER));
	CHECK(!device_drop_is_handshake_failure(DROP_UNKNOWN_INDEX));
	CHECK(!device_drop_is_handshake_failure(DROP_COOKIE_SENT));
	pair_free();
}

/* Current sessions: 1 after a handshake, 0 once REJECT_AFTER_TIME has
 * passed. */
static void test_sessions(void)
{
	pair_init();
	CHECK(device_sessions(&na.dev, vnow) == 0);
	send_ping(&na, &nb, 84);
	flush();
	CHECK(device_sessions(&na.dev, vnow) == 1 && device_sessions(&nb.dev, vnow) == 1);
	CHECK(device_sessions(&na.dev, S(1) + REJECT_AFTER_TIME - 1) == 1);
	CHECK(device_sessions(&na.dev, S(1) + REJECT_AFTER_TIME) == 0);
	pair_free();
}

static const struct harness_case cases[] = {
	{ "device_events/handshake", test_handshake_events },
	{ "device_events/stale", test_stale_event },
	{ "device_events/endpoint_changed", test_endpoint_changed_event },
	{ "device_events/allowed_ip_moved", test_allowed_ip_moved_event },
	{ "device_events/load", test_load_events },
	{ "device_events/handshake_failed", test_handshake_failed_events },
	{ "device_events/sessions", test_sessions },
};

HARNESS_MAIN(cases)
