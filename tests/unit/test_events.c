/* The daemon's event ring (src/daemon/events.c) under a fake clock: the
 * lines of every kind, byte for byte; the ring's reply after a seq and
 * what was overwritten; the bound on failed handshakes per source (an
 * IPv4 address, an IPv6 /64) and from all sources, against a naive count;
 * the log's bound and its "not_logged_before"; one wake-up for many
 * records. */
#include "harness.h"

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "daemon/events.h"
#include "proto/device.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define S(x) ((uint64_t)(x) * NSEC_PER_SEC)

static const char PUB[] = "RRkBpogO8OTj9E8Uvrr3226yZJAYH615W8EZWRkt+z8=";
static const char PUB2[] = "mrhPtR2F9ehFPPZ2CuGF18tXltYNyzIWcMnVg4V3V1s=";

static struct event_record rec(enum event_kind kind)
{
	struct event_record r;

	memset(&r, 0, sizeof(r));
	r.kind = (uint8_t)kind;
	r.sec = 1796287572;
	r.nsec = 5;
	return r;
}

static void set_addr(struct event_addr *a, const char *ip, uint16_t port)
{
	memset(a, 0, sizeof(*a));
	a->family = strchr(ip, ':') ? AF_INET6 : AF_INET;
	CHECK(inet_pton(a->family, ip, a->addr) == 1);
	a->port = port;
}

static void set_peer(struct event_record *r, const char *b64)
{
	r->has_peer = true;
	CHECK(encoding_key_from_base64(r->peer, b64));
}

static void format_is(const struct event_record *r, const char *want)
{
	char line[EVENTS_LINE_MAX];

	CHECK_STR(events_format(line, r), want);
}

static void test_lines(void)
{
	struct event_record r = rec(EVENT_HANDSHAKE);
	char want[512];

	set_peer(&r, PUB);
	set_addr(&r.a, "192.0.2.7", 51820);
	r.initiator = true;
	snprintf(want, sizeof(want), "event=handshake peer=%s endpoint=192.0.2.7:51820 "
		 "role=initiator rekey=no", PUB);
	format_is(&r, want);
	r.initiator = false;
	r.rekey = true;
	snprintf(want, sizeof(want), "event=handshake peer=%s endpoint=192.0.2.7:51820 "
		 "role=responder rekey=yes", PUB);
	format_is(&r, want);

	r = rec(EVENT_ENDPOINT_CHANGED);
	set_peer(&r, PUB);
	set_addr(&r.b, "192.0.2.7", 51820);
	set_addr(&r.a, "2001:db8::7", 40000);
	snprintf(want, sizeof(want), "event=endpoint_changed peer=%s old=192.0.2.7:51820 "
		 "new=[2001:db8::7]:40000", PUB);
	format_is(&r, want);

	r = rec(EVENT_PEER_STALE);
	set_peer(&r, PUB);
	set_addr(&r.a, "192.0.2.7", 51820);
	r.value = S(180) + 1500000;
	snprintf(want, sizeof(want), "event=peer_stale peer=%s endpoint=192.0.2.7:51820 "
		 "last_handshake_age=180.001", PUB);
	format_is(&r, want);

	r = rec(EVENT_ALLOWED_IP_MOVED);
	set_peer(&r, PUB2);
	r.has_other = true;
	CHECK(encoding_key_from_base64(r.other, PUB));
	set_addr(&r.a, "10.0.0.2", 0);
	r.cidr = 32;
	snprintf(want, sizeof(want), "event=allowed_ip_moved peer=%s allowed_ip=10.0.0.2/32 from=%s",
		 PUB2, PUB);
	format_is(&r, want);

	r = rec(EVENT_LOAD_ENTERED);
	format_is(&r, "event=under_load");
	r = rec(EVENT_LOAD_LEFT);
	r.value = S(2) + 250000000;
	format_is(&r, "event=load_normal duration=2.250");

	r = rec(EVENT_HANDSHAKE_FAILED);
	r.reason = DROP_INVALID_MAC1;
	set_addr(&r.a, "198.51.100.1", 9);
	format_is(&r, "event=handshake_failed reason=invalid_mac1 source=198.51.100.1:9");
	r.value = 12;
	format_is(&r, "event=handshake_failed reason=invalid_mac1 source=198.51.100.1:9 suppressed=12");

	r = rec(EVENT_PEER_CHANGED);
	set_peer(&r, PUB);
	r.value = EVENT_CHANGED_ENDPOINT | EVENT_CHANGED_KEEPALIVE;
	snprintf(want, sizeof(want), "event=peer_changed peer=%s changed=endpoint,persistent_keepalive",
		 PUB);
	format_is(&r, want);
	r = rec(EVENT_PEER_ADDED);
	set_peer(&r, PUB);
	snprintf(want, sizeof(want), "event=peer_added peer=%s", PUB);
	format_is(&r, want);
	CHECK_STR(events_kind_name(EVENT_PEER_REMOVED), "peer_removed");
}

/* Counts the reply's event lines, and checks the first seq and the tail. */
static void reply_is(struct events *e, uint64_t since, size_t lines, uint64_t first,
		     uint64_t next, uint64_t lost)
{
	size_t len = 0, n = 0;
	char *text = events_reply(e, since, &len), tail[96];
	const char *p;

	CHECK(text != NULL);
	if (!text)
		return;
	CHECK(strlen(text) == len);
	for (p = text; (p = strstr(p, "rampart_event=")); p++)
		n++;
	CHECK_MSG(n == lines, "since %llu: %zu lines, want %zu", (unsigned long long)since, n, lines);
	if (lines) {
		char head[40];
		snprintf(head, sizeof(head), "rampart_event=%llu 1796287572.000000005 ",
			 (unsigned long long)first);
		CHECK_MSG(!strncmp(text, head, strlen(head)), "first line: %.60s", text);
	}
	snprintf(tail, sizeof(tail), "rampart_next=%llu\nrampart_lost=%llu\nerrno=0\n\n",
		 (unsigned long long)next, (unsigned long long)lost);
	CHECK_MSG(len >= strlen(tail) && !strcmp(text + len - strlen(tail), tail), "tail: %s",
		  len > 60 ? text + len - 60 : text);
	free(text);
}

static void test_ring(void)
{
	struct events e;

	CHECK(events_init(&e) == 0);
	reply_is(&e, 0, 0, 0, 0, 0);
	for (int i = 0; i < 5; i++) {
		struct event_record r = rec(EVENT_PEER_ADDED);
		CHECK(events_record(&e, &r, S(1)));
		CHECK(r.seq == (uint64_t)i + 1);
	}
	reply_is(&e, 0, 5, 1, 5, 0);
	reply_is(&e, 3, 2, 4, 5, 0);
	reply_is(&e, 5, 0, 0, 5, 0);
	reply_is(&e, 99, 0, 0, 5, 0); /* a seq from the future: nothing */
	/* Past the ring: the oldest are gone and counted as lost. */
	for (int i = 0; i < EVENTS_RING + 5; i++) {
		struct event_record r = rec(EVENT_HANDSHAKE);
		CHECK(events_record(&e, &r, S(2)));
	}
	reply_is(&e, 0, EVENTS_RING, 11, EVENTS_RING + 10, 10);
	reply_is(&e, 10, EVENTS_RING, 11, EVENTS_RING + 10, 0);
	reply_is(&e, EVENTS_RING + 8, 2, EVENTS_RING + 9, EVENTS_RING + 10, 0);
	events_uninit(&e);
}

static bool fail_from(struct events *e, const char *ip, uint64_t now, uint64_t *value)
{
	struct event_record r = rec(EVENT_HANDSHAKE_FAILED);
	bool ok;

	r.reason = DROP_INVALID_MAC1;
	set_addr(&r.a, ip, 1000);
	ok = events_record(e, &r, now);
	if (ok && value)
		*value = r.value;
	return ok;
}

/* The bound on failures against a naive model: per source a bucket of
 * EVENTS_SOURCE_BURST refilled one per EVENTS_SOURCE_EVERY. */
static void test_failure_bound(void)
{
	struct events e;
	unsigned recorded = 0;
	unsigned long long suppressed, not_logged;
	uint64_t value = 99;

	CHECK(events_init(&e) == 0);
	for (int i = 0; i < 1000; i++)
		recorded += fail_from(&e, "203.0.113.5", S(10) + (uint64_t)i * 1000, NULL);
	CHECK_MSG(recorded == EVENTS_SOURCE_BURST, "recorded %u", recorded);
	events_counters(&e, &suppressed, &not_logged);
	CHECK(suppressed == 1000 - EVENTS_SOURCE_BURST);
	/* One more a little before the refill: still held back. */
	CHECK(!fail_from(&e, "203.0.113.5", S(10) + EVENTS_SOURCE_EVERY - S(1), NULL));
	/* After it, one, telling how many were left out before it. */
	CHECK(fail_from(&e, "203.0.113.5", S(10) + EVENTS_SOURCE_EVERY + S(1), &value));
	CHECK_MSG(value == 1000 - EVENTS_SOURCE_BURST + 1, "left out %llu", (unsigned long long)value);
	CHECK(!fail_from(&e, "203.0.113.5", S(10) + EVENTS_SOURCE_EVERY + S(2), NULL));
	/* Non-failures are never held back. */
	for (int i = 0; i < 100; i++) {
		struct event_record r = rec(EVENT_HANDSHAKE);
		CHECK(events_record(&e, &r, S(80)));
	}
	events_uninit(&e);

	/* IPv6: one /64 is one source; another /64 is another. */
	CHECK(events_init(&e) == 0);
	recorded = 0;
	for (int i = 0; i < 10; i++) {
		char ip[64];
		snprintf(ip, sizeof(ip), "2001:db8:1:2::%x", i + 1);
		recorded += fail_from(&e, ip, S(5), NULL);
	}
	CHECK(recorded == EVENTS_SOURCE_BURST);
	CHECK(fail_from(&e, "2001:db8:1:3::1", S(5), NULL));
	events_uninit(&e);

	/* Many sources at once: the global bound. */
	CHECK(events_init(&e) == 0);
	recorded = 0;
	for (int i = 0; i < 100; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), "198.18.%d.%d", i / 200, i % 200 + 1);
		recorded += fail_from(&e, ip, S(5), NULL);
	}
	CHECK_MSG(recorded == EVENTS_GLOBAL_BURST, "recorded %u", recorded);
	/* A second later, one more from anywhere. */
	CHECK(fail_from(&e, "198.18.9.9", S(6), NULL));
	CHECK(!fail_from(&e, "198.18.9.10", S(6), NULL));
	events_uninit(&e);
}

static unsigned logged;
static char last_line[EVENTS_LINE_MAX + 64];

static void log_line(void *arg, const char *line)
{
	(void)arg;
	logged++;
	snprintf(last_line, sizeof(last_line), "%s", line);
}

static void test_log_bound_and_wakeup(void)
{
	struct events e;
	unsigned long long suppressed, not_logged;
	uint64_t wakeups = 0;

	CHECK(events_init(&e) == 0);
	for (int i = 0; i < 150; i++) {
		struct event_record r = rec(EVENT_LOAD_ENTERED);
		CHECK(events_record(&e, &r, S(1)));
	}
	/* One wake-up for all of them. */
	CHECK(read(e.fd, &wakeups, sizeof(wakeups)) == sizeof(wakeups) && wakeups == 1);
	logged = 0;
	CHECK(events_drain(&e, S(1), log_line, NULL) == EVENTS_LOG_BURST);
	CHECK(logged == EVENTS_LOG_BURST);
	events_counters(&e, &suppressed, &not_logged);
	CHECK(not_logged == 150 - EVENTS_LOG_BURST && suppressed == 0);
	/* Drained: the next record wakes the control thread again. */
	{
		struct event_record r = rec(EVENT_LOAD_LEFT);
		CHECK(events_record(&e, &r, S(2)));
	}
	CHECK(read(e.fd, &wakeups, sizeof(wakeups)) == sizeof(wakeups) && wakeups == 1);
	logged = 0;
	CHECK(events_drain(&e, S(2), log_line, NULL) == 1);
	CHECK_STR(last_line, "event=load_normal duration=0.000 not_logged_before=50");
	CHECK(events_drain(&e, S(3), log_line, NULL) == 0);
	/* The ring overwritten before the log looked: counted too. */
	for (int i = 0; i < EVENTS_RING + 7; i++) {
		struct event_record r = rec(EVENT_PEER_ADDED);
		CHECK(events_record(&e, &r, S(100)));
	}
	logged = 0;
	CHECK(events_drain(&e, S(100), log_line, NULL) == EVENTS_LOG_BURST);
	events_counters(&e, &suppressed, &not_logged);
	CHECK_MSG(not_logged == 50 + 7 + (EVENTS_RING - EVENTS_LOG_BURST), "not logged %llu",
		  not_logged);
	events_uninit(&e);
}

static void init(void)
{
	CHECK(crypto_init() == 0);
}

static const struct harness_case cases[] = {
	{ "events/init", init },
	{ "events/lines", test_lines },
	{ "events/ring", test_ring },
	{ "events/failure_bound", test_failure_bound },
	{ "events/log_bound_and_wakeup", test_log_bound_and_wakeup },
};

HARNESS_MAIN(cases)
