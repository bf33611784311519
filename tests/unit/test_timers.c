/* The per-peer timers on a fake clock: every deadline at its exact
 * nanosecond (nothing one before, the action at it), the kernel's count
 * of handshake attempts, keepalives passive and persistent, the
 * initiation rate limit, the keypair age and counter boundaries, and a
 * ten-minute scripted run of a peer driven by the actions it is given.
 * Jitter comes from crypto_random through the test override. */
#include "harness.h"

#include "proto/messages.h"
#include "proto/timers.h"

#include "crypto/crypto.h"

#include <string.h>

#define SEC NSEC_PER_SEC
#define MSEC NSEC_PER_MSEC
/* Fake clock start: far from zero, so that nothing relies on it. */
#define T0 (1000 * SEC)
#define BOUND ((uint32_t)REKEY_TIMEOUT_JITTER_MAX)
/* The fixed jitter of most cases. */
#define JIT (100 * MSEC)

#define A_CLEAR TIMERS_ACTION_CLEAR_ENDPOINT_SRC
#define A_ZERO TIMERS_ACTION_ZERO_KEYS
#define A_GIVE_UP TIMERS_ACTION_GIVE_UP
#define A_INIT TIMERS_ACTION_SEND_INITIATION
#define A_KEEPALIVE TIMERS_ACTION_SEND_KEEPALIVE
/* A retry, or a new handshake for want of an answer. */
#define A_RETRY (A_CLEAR | A_INIT)

/* seconds.nanoseconds for messages */
#define TS(x) (unsigned long long)((x) / SEC), (unsigned long long)((x) % SEC)

/* --- the random source: 32-bit words from a list, in a cycle ------------ */

static uint32_t rnd_words[16];
static size_t rnd_n, rnd_next;
static uint64_t rnd_xorshift; /* when set, words come from xorshift64 */

static uint32_t rnd_word(void)
{
	if (rnd_xorshift) {
		rnd_xorshift ^= rnd_xorshift << 13;
		rnd_xorshift ^= rnd_xorshift >> 7;
		rnd_xorshift ^= rnd_xorshift << 17;
		return (uint32_t)(rnd_xorshift >> 32);
	}
	return rnd_words[rnd_next++ % rnd_n];
}

static void fake_random(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	while (len) {
		uint32_t w = rnd_word();
		size_t k = len < sizeof(w) ? len : sizeof(w);

		memcpy(buf, &w, k);
		buf += k;
		len -= k;
	}
}

static void set_words(const uint32_t *w, size_t n)
{
	memcpy(rnd_words, w, n * sizeof(*w));
	rnd_n = n;
	rnd_next = 0;
	rnd_xorshift = 0;
	crypto_random_override(fake_random, NULL);
}

/* Every draw below BOUND is the jitter itself. */
static void set_jitter(uint32_t j)
{
	set_words(&j, 1);
}

static void restore_random(void)
{
	crypto_random_override(NULL, NULL);
}

/* --- helpers ------------------------------------------------------------ */

/* The deadline is exactly at: nothing fires one nanosecond before, and
 * exactly want fires at it. */
#define FIRES(t, at, want) fires(__LINE__, (t), (at), (want))
static void fires(int line, struct timers *t, uint64_t at, unsigned want)
{
	uint64_t next = timers_next_deadline(t);
	unsigned got;

	CHECK_MSG(next == at, "line %d: next deadline %llu.%09llu, want %llu.%09llu",
		  line, TS(next), TS(at));
	got = timers_run(t, at - 1);
	CHECK_MSG(got == 0, "line %d: 0x%x fired 1 ns early at %llu.%09llu", line,
		  got, TS(at - 1));
	got = timers_run(t, at);
	CHECK_MSG(got == want, "line %d: at %llu.%09llu fired 0x%x, want 0x%x",
		  line, TS(at), got, want);
}

/* Nothing is due up to and including until. */
#define QUIET_UNTIL(t, until) quiet_until(__LINE__, (t), (until))
static void quiet_until(int line, struct timers *t, uint64_t until)
{
	uint64_t next = timers_next_deadline(t);
	unsigned got;

	CHECK_MSG(next == 0 || next > until,
		  "line %d: deadline %llu.%09llu before %llu.%09llu", line,
		  TS(next), TS(until));
	got = timers_run(t, until);
	CHECK_MSG(got == 0, "line %d: 0x%x fired by %llu.%09llu", line, got,
		  TS(until));
}

/* What a peer reports around sending any initiation (send.c order). */
static void initiation_sent(struct timers *t, uint64_t now)
{
	timers_event_any_authenticated_packet_traversal(t, now);
	timers_event_any_authenticated_packet_sent(t, now);
	timers_event_handshake_initiated(t, now);
}

/* Around sending data (or, with data false, a keepalive). */
static void packet_sent(struct timers *t, uint64_t now, bool data)
{
	timers_event_any_authenticated_packet_traversal(t, now);
	timers_event_any_authenticated_packet_sent(t, now);
	if (data)
		timers_event_data_sent(t, now);
}

/* Around receiving data (or a keepalive) (receive.c order). */
static void packet_received(struct timers *t, uint64_t now, bool data)
{
	timers_event_any_authenticated_packet_received(t, now);
	timers_event_any_authenticated_packet_traversal(t, now);
	if (data)
		timers_event_data_received(t, now);
}

/* --- cases -------------------------------------------------------------- */

static void test_init_idle(void)
{
	struct timers t;

	timers_init(&t);
	CHECK(timers_next_deadline(&t) == 0);
	CHECK(timers_run(&t, 0) == 0);
	CHECK(timers_run(&t, UINT64_MAX) == 0);
	CHECK(t.running);
	CHECK(t.persistent_keepalive_interval == 0);
	/* No initiation was sent yet: the first may go at once, even at 0. */
	CHECK(timers_may_send_initiation(&t, 0, false));
}

/* Jitter is the facade's uniform draw below REKEY_TIMEOUT_JITTER_MAX, in
 * nanoseconds, for both handshake deadlines; the passive keepalive and
 * zeroing have none. */
static void test_jitter_fixed(void)
{
	struct timers t;
	/* The facade rejects words at or above the largest multiple of the
	 * bound (12 * BOUND) and reduces the rest modulo the bound. */
	const uint32_t limit = UINT32_MAX - UINT32_MAX % BOUND;
	const struct {
		uint32_t word, jitter;
	} cases[] = {
		{ 0, 0 },
		{ 1, 1 },
		{ BOUND - 1, BOUND - 1 },
		{ BOUND, 0 },
		{ limit - 1, BOUND - 1 },
		{ 123456789, 123456789 },
	};

	CHECK(limit == 12u * BOUND);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		set_jitter(cases[i].word);
		timers_init(&t);
		timers_event_handshake_initiated(&t, T0);
		CHECK_MSG(t.retransmit_handshake == T0 + REKEY_TIMEOUT + cases[i].jitter,
			  "word %u", cases[i].word);
		timers_init(&t);
		timers_event_data_sent(&t, T0);
		CHECK_MSG(t.new_handshake ==
			  T0 + KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + cases[i].jitter,
			  "word %u", cases[i].word);
	}
	/* A rejected word is drawn again. */
	const uint32_t rejected[] = { UINT32_MAX, limit, 7 };
	set_words(rejected, ARRAY_SIZE(rejected));
	timers_init(&t);
	timers_event_handshake_initiated(&t, T0);
	CHECK(t.retransmit_handshake == T0 + REKEY_TIMEOUT + 7);

	/* No draw where the kernel has no jitter. */
	set_jitter(BOUND - 1);
	timers_init(&t);
	timers_event_data_received(&t, T0);
	timers_event_session_derived(&t, T0);
	CHECK(t.send_keepalive == T0 + KEEPALIVE_TIMEOUT);
	CHECK(t.zero_key_material == T0 + KEY_ZEROING_TIME);
	CHECK(rnd_next == 0);
	restore_random();
}

static void check_jitter_spread(const char *what)
{
	struct timers t;
	uint64_t lo = UINT64_MAX, hi = 0, j;
	unsigned odd = 0;
	const unsigned n = 2000;

	for (unsigned i = 0; i < n; i++) {
		timers_init(&t);
		timers_event_handshake_initiated(&t, T0 + i);
		j = t.retransmit_handshake - (T0 + i) - REKEY_TIMEOUT;
		CHECK_MSG(j < REKEY_TIMEOUT_JITTER_MAX, "%s: jitter %llu", what,
			  (unsigned long long)j);
		lo = j < lo ? j : lo;
		hi = j > hi ? j : hi;
		odd += j & 1;
		timers_event_data_sent(&t, T0 + i);
		j = t.new_handshake - (T0 + i) - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT;
		CHECK_MSG(j < REKEY_TIMEOUT_JITTER_MAX, "%s: jitter %llu", what,
			  (unsigned long long)j);
	}
	/* Spread over the whole range, down to the nanosecond (odd values:
	 * neither whole jiffies nor whole milliseconds).  Each bound fails
	 * by chance with probability below 10^-90. */
	CHECK_MSG(lo < REKEY_TIMEOUT_JITTER_MAX / 10, "%s: min %llu", what,
		  (unsigned long long)lo);
	CHECK_MSG(hi > REKEY_TIMEOUT_JITTER_MAX / 10 * 9, "%s: max %llu", what,
		  (unsigned long long)hi);
	CHECK_MSG(odd > n / 4 && odd < n * 3 / 4, "%s: %u odd", what, odd);
}

static void test_jitter_random_bounds(void)
{
	/* Deterministic: xorshift words, some of them above the rejection
	 * limit. */
	set_words((const uint32_t[]){ 0 }, 1);
	rnd_xorshift = 0x9e3779b97f4a7c15ULL;
	check_jitter_spread("xorshift");
	/* And the real CSPRNG. */
	restore_random();
	check_jitter_spread("getrandom");
}

/* The kernel's wg_expired_retransmit_handshake(): attempts counts the
 * retries and is checked with '>' before each, so 1 + 19 initiations go
 * out, each REKEY_TIMEOUT + jitter after the one before, and the 20th
 * expiry gives up: no initiation, the keepalive cancelled, zeroing armed
 * at KEY_ZEROING_TIME after it. */
static void test_retransmit_and_give_up(void)
{
	static const uint32_t seq[] = { 0, 1, BOUND - 1, 123456789, 222222222,
					300000001, 5 };
	const size_t n = ARRAY_SIZE(seq);
	struct timers t;
	uint64_t now = T0, expect_give_up = T0;
	unsigned sent = 0;
	size_t k = 0;

	for (size_t i = 0; i < MAX_TIMER_HANDSHAKES + 2; i++)
		expect_give_up += REKEY_TIMEOUT + seq[i % n];

	set_words(seq, n);
	timers_init(&t);
	CHECK(timers_may_send_initiation(&t, now, false));
	initiation_sent(&t, now);
	sent++;
	for (;;) {
		uint64_t at = now + REKEY_TIMEOUT + seq[k++ % n];
		bool last = sent == MAX_TIMER_HANDSHAKES + 2;

		/* The data that arrives just after each send would be
		 * answered by a passive keepalive 10 s later, which is after
		 * the next expiry: giving up must cancel it. */
		timers_event_data_received(&t, now + 1);
		FIRES(&t, at, last ? A_GIVE_UP : A_RETRY);
		now = at;
		if (last)
			break;
		CHECK(t.handshake_attempts == sent);
		/* The retry recorded itself in the rate limit. */
		CHECK(!timers_may_send_initiation(&t, now + REKEY_TIMEOUT - 1, true));
		initiation_sent(&t, now);
		sent++;
	}
	CHECK_MSG(sent == 20, "%u initiations", sent);
	CHECK(sent == MAX_TIMER_HANDSHAKES + 2);
	CHECK_MSG(now == expect_give_up, "gave up at %llu.%09llu, want %llu.%09llu",
		  TS(now), TS(expect_give_up));
	/* 20 waits of 5 s + jitter: 100 s to 106.67 s, not REKEY_ATTEMPT_TIME. */
	CHECK(now - T0 >= 20 * REKEY_TIMEOUT);
	CHECK(now - T0 < 20 * (REKEY_TIMEOUT + REKEY_TIMEOUT_JITTER_MAX));
	CHECK(t.send_keepalive == 0);
	CHECK(t.retransmit_handshake == 0);
	/* After giving up, only the zeroing is left. */
	FIRES(&t, now + KEY_ZEROING_TIME, A_ZERO);
	CHECK(timers_next_deadline(&t) == 0);
	QUIET_UNTIL(&t, now + 10 * KEY_ZEROING_TIME);
	restore_random();
}

/* A session's zeroing already pending is not pushed back by giving up. */
static void test_give_up_keeps_pending_zeroing(void)
{
	struct timers t;
	uint64_t now = T0 + SEC;

	set_jitter(JIT);
	timers_init(&t);
	timers_event_session_derived(&t, T0);
	CHECK(timers_may_send_initiation(&t, now, false));
	initiation_sent(&t, now);
	for (unsigned i = 1; i <= MAX_TIMER_HANDSHAKES + 1; i++) {
		now += REKEY_TIMEOUT + JIT;
		FIRES(&t, now, A_RETRY);
		initiation_sent(&t, now);
	}
	now += REKEY_TIMEOUT + JIT;
	FIRES(&t, now, A_GIVE_UP);
	CHECK(now == T0 + SEC + 20 * (REKEY_TIMEOUT + JIT));
	FIRES(&t, T0 + KEY_ZEROING_TIME, A_ZERO);
	CHECK(timers_next_deadline(&t) == 0);
	restore_random();
}

/* Completion cancels the retries and restarts the count. */
static void test_handshake_complete_resets(void)
{
	struct timers t;
	uint64_t now = T0;
	unsigned sent;

	set_jitter(JIT);
	timers_init(&t);
	CHECK(timers_may_send_initiation(&t, now, false));
	initiation_sent(&t, now);
	for (unsigned i = 0; i < 5; i++) {
		now += REKEY_TIMEOUT + JIT;
		FIRES(&t, now, A_RETRY);
		initiation_sent(&t, now);
	}
	CHECK(t.handshake_attempts == 5);
	timers_event_handshake_complete(&t, now + 30 * MSEC);
	CHECK(t.handshake_attempts == 0);
	CHECK(timers_next_deadline(&t) == 0);
	QUIET_UNTIL(&t, now + 3600 * SEC);

	/* A later handshake gets its full 20 initiations again. */
	now += 200 * SEC;
	CHECK(timers_may_send_initiation(&t, now, false));
	initiation_sent(&t, now);
	sent = 1;
	while (sent < 100) {
		now += REKEY_TIMEOUT + JIT;
		if (timers_run(&t, now) == A_GIVE_UP)
			break;
		initiation_sent(&t, now);
		sent++;
	}
	CHECK_MSG(sent == MAX_TIMER_HANDSHAKES + 2, "%u initiations", sent);
	restore_random();
}

/* An initiation that is not a retry (new traffic, rekey) restarts the
 * count of retries, whether or not the rate limit lets it out: the
 * kernel resets timer_handshake_attempts before checking. */
static void test_non_retry_restarts_count(void)
{
	struct timers t;
	uint64_t now = T0, last_sent;
	unsigned sent;

	set_jitter(JIT);

	/* Allowed: between REKEY_TIMEOUT and the retry's own deadline. */
	timers_init(&t);
	CHECK(timers_may_send_initiation(&t, now, false));
	initiation_sent(&t, now);
	sent = 1;
	for (unsigned i = 0; i < 10; i++) {
		now += REKEY_TIMEOUT + JIT;
		FIRES(&t, now, A_RETRY);
		initiation_sent(&t, now);
		sent++;
	}
	CHECK(t.handshake_attempts == 10);
	now += REKEY_TIMEOUT + JIT / 2;
	CHECK(timers_may_send_initiation(&t, now, false));
	initiation_sent(&t, now);
	sent++;
	CHECK(t.handshake_attempts == 0);
	while (sent < 100) {
		now += REKEY_TIMEOUT + JIT;
		if (timers_run(&t, now) == A_GIVE_UP)
			break;
		initiation_sent(&t, now);
		sent++;
	}
	CHECK_MSG(sent == 1 + 10 + 1 + 19, "%u initiations", sent);

	/* Refused (1 s after a retry), and the count still restarts. */
	now += 1000 * SEC;
	timers_init(&t);
	CHECK(timers_may_send_initiation(&t, now, false));
	initiation_sent(&t, now);
	sent = 1;
	for (unsigned i = 0; i < 10; i++) {
		now += REKEY_TIMEOUT + JIT;
		FIRES(&t, now, A_RETRY);
		initiation_sent(&t, now);
		sent++;
	}
	last_sent = now;
	CHECK(!timers_may_send_initiation(&t, last_sent + SEC, false));
	CHECK(t.handshake_attempts == 0);
	/* The retry deadline is unchanged by the refused request. */
	FIRES(&t, last_sent + REKEY_TIMEOUT + JIT, A_RETRY);
	now = last_sent + REKEY_TIMEOUT + JIT;
	initiation_sent(&t, now);
	sent++;
	while (sent < 100) {
		now += REKEY_TIMEOUT + JIT;
		if (timers_run(&t, now) == A_GIVE_UP)
			break;
		initiation_sent(&t, now);
		sent++;
	}
	CHECK_MSG(sent == 1 + 10 + 19, "%u initiations", sent);
	restore_random();
}

/* A response sent meanwhile counts against the rate limit: the retry
 * expiry then sends nothing, and nothing re-arms the retries (the
 * handshake the peer started is the one to finish). */
static void test_retry_refused_after_response(void)
{
	struct timers t;

	set_jitter(JIT);
	timers_init(&t);
	CHECK(timers_may_send_initiation(&t, T0, false));
	initiation_sent(&t, T0);
	timers_event_handshake_response_sent(&t, T0 + SEC);
	FIRES(&t, T0 + REKEY_TIMEOUT + JIT, A_CLEAR);
	CHECK(t.handshake_attempts == 1);
	CHECK(timers_next_deadline(&t) == 0);
	CHECK(!timers_may_send_initiation(&t, T0 + SEC + REKEY_TIMEOUT - 1, false));
	CHECK(timers_may_send_initiation(&t, T0 + SEC + REKEY_TIMEOUT, false));
	restore_random();
}

/* KEY_ZEROING_TIME after the newest session. */
static void test_session_zeroing(void)
{
	struct timers t;

	timers_init(&t);
	timers_event_session_derived(&t, T0);
	FIRES(&t, T0 + 540 * SEC, A_ZERO);
	CHECK(timers_next_deadline(&t) == 0);

	timers_event_session_derived(&t, T0 + 1000 * SEC);
	timers_event_session_derived(&t, T0 + 1100 * SEC);
	QUIET_UNTIL(&t, T0 + 1639 * SEC);
	FIRES(&t, T0 + 1640 * SEC, A_ZERO);

	/* Completion does not touch it. */
	timers_event_session_derived(&t, T0 + 2000 * SEC);
	timers_event_handshake_complete(&t, T0 + 2001 * SEC);
	FIRES(&t, T0 + 2540 * SEC, A_ZERO);
}

/* The passive keepalive: KEEPALIVE_TIMEOUT after data arrives unless we
 * send anything before. */
static void test_passive_keepalive(void)
{
	struct timers t;

	timers_init(&t);
	packet_received(&t, T0, true);
	FIRES(&t, T0 + 10 * SEC, A_KEEPALIVE);
	/* The keepalive we send then arms nothing. */
	packet_sent(&t, T0 + 10 * SEC, false);
	CHECK(timers_next_deadline(&t) == 0);

	/* Answered in between: no keepalive. */
	packet_received(&t, T0 + 100 * SEC, true);
	packet_sent(&t, T0 + 103 * SEC, false);
	QUIET_UNTIL(&t, T0 + 200 * SEC);

	/* A keepalive received arms nothing. */
	packet_received(&t, T0 + 300 * SEC, false);
	QUIET_UNTIL(&t, T0 + 400 * SEC);

	/* Not pushed back by later data. */
	timers_init(&t);
	packet_received(&t, T0, true);
	packet_received(&t, T0 + 9 * SEC, true);
	FIRES(&t, T0 + 10 * SEC, A_KEEPALIVE);
	/* The second arrival asked for another: re-armed at the expiry,
	 * and cancelled by the keepalive's own send (the normal case). */
	CHECK(timers_next_deadline(&t) == T0 + 20 * SEC);
	packet_sent(&t, T0 + 10 * SEC, false);
	CHECK(timers_next_deadline(&t) == 0);
}

/* need_another_keepalive, exactly as the kernel keeps it. */
static void test_passive_keepalive_another(void)
{
	struct timers t;

	/* Without a keypair the keepalive is staged, not sent, and the
	 * second one follows KEEPALIVE_TIMEOUT later, then no third. */
	timers_init(&t);
	packet_received(&t, T0, true);
	packet_received(&t, T0 + 4 * SEC, true);
	FIRES(&t, T0 + 10 * SEC, A_KEEPALIVE);
	FIRES(&t, T0 + 20 * SEC, A_KEEPALIVE);
	CHECK(timers_next_deadline(&t) == 0);

	/* Sending cancels the deadline but not the request for another:
	 * the next passive keepalive, long after, brings one more. */
	timers_init(&t);
	packet_received(&t, T0, true);
	packet_received(&t, T0 + SEC, true);
	packet_sent(&t, T0 + 2 * SEC, false);
	CHECK(t.send_keepalive == 0);
	CHECK(t.need_another_keepalive);
	packet_received(&t, T0 + 30 * SEC, true);
	FIRES(&t, T0 + 40 * SEC, A_KEEPALIVE);
	FIRES(&t, T0 + 50 * SEC, A_KEEPALIVE);
	CHECK(timers_next_deadline(&t) == 0);
}

/* Data sent with nothing heard back: a new handshake after
 * KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter, from the first send. */
static void test_new_handshake_send_only(void)
{
	struct timers t;
	const uint64_t due = KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + JIT;

	set_jitter(JIT);
	timers_init(&t);
	packet_sent(&t, T0, true);
	packet_sent(&t, T0 + 3 * SEC, true);
	packet_sent(&t, T0 + 15 * SEC, true);
	FIRES(&t, T0 + due, A_RETRY);
	CHECK(T0 + due == T0 + 15 * SEC + 100 * MSEC);
	CHECK(timers_next_deadline(&t) == 0);

	/* Anything authenticated received cancels it, a keepalive too. */
	timers_init(&t);
	packet_sent(&t, T0, true);
	packet_received(&t, T0 + 14 * SEC, false);
	CHECK(timers_next_deadline(&t) == 0);
	/* and the next data sent arms it from then */
	packet_sent(&t, T0 + 20 * SEC, true);
	FIRES(&t, T0 + 20 * SEC + due, A_RETRY);

	/* A keepalive sent is not data. */
	timers_init(&t);
	packet_sent(&t, T0, false);
	CHECK(timers_next_deadline(&t) == 0);

	/* Within REKEY_TIMEOUT of another initiation the expiry only clears
	 * the source; the initiation just sent is the one in progress. */
	timers_init(&t);
	packet_sent(&t, T0, true);
	CHECK(timers_may_send_initiation(&t, T0 + 12 * SEC, false));
	initiation_sent(&t, T0 + 12 * SEC);
	FIRES(&t, T0 + due, A_CLEAR);
	FIRES(&t, T0 + 12 * SEC + REKEY_TIMEOUT + JIT, A_RETRY);

	/* The new handshake is not a retry: the count of retries restarts,
	 * even when the rate limit refuses it (1 s after a retry here). */
	timers_init(&t);
	CHECK(timers_may_send_initiation(&t, T0, false));
	initiation_sent(&t, T0);
	packet_sent(&t, T0 + SEC, true);
	for (unsigned i = 1; i <= 3; i++) {
		FIRES(&t, T0 + i * (REKEY_TIMEOUT + JIT), A_RETRY);
		initiation_sent(&t, T0 + i * (REKEY_TIMEOUT + JIT));
	}
	CHECK(t.handshake_attempts == 3);
	FIRES(&t, T0 + SEC + due, A_CLEAR);
	CHECK(T0 + SEC + due == T0 + 3 * (REKEY_TIMEOUT + JIT) + 800 * MSEC);
	CHECK(t.handshake_attempts == 0);
	FIRES(&t, T0 + 4 * (REKEY_TIMEOUT + JIT), A_RETRY);
	CHECK(t.handshake_attempts == 1);
	restore_random();
}

/* Every interval after the last authenticated packet either way. */
static void test_persistent_keepalive(void)
{
	struct timers t;

	timers_init(&t);
	/* Off: traffic arms nothing. */
	packet_sent(&t, T0, false);
	packet_received(&t, T0, false);
	CHECK(timers_next_deadline(&t) == 0);

	/* Off to on: send one at once; its send arms the next. */
	CHECK(timers_set_persistent_keepalive(&t, 25, T0) == A_KEEPALIVE);
	CHECK(timers_next_deadline(&t) == 0);
	packet_sent(&t, T0, false);
	FIRES(&t, T0 + 25 * SEC, A_KEEPALIVE);
	packet_sent(&t, T0 + 25 * SEC, false);
	FIRES(&t, T0 + 50 * SEC, A_KEEPALIVE);
	packet_sent(&t, T0 + 50 * SEC, false);
	/* Traffic either way re-arms it. */
	packet_received(&t, T0 + 60 * SEC, false);
	packet_sent(&t, T0 + 70 * SEC, true);
	timers_event_any_authenticated_packet_received(&t, T0 + 70 * SEC);
	FIRES(&t, T0 + 95 * SEC, A_KEEPALIVE);
	packet_sent(&t, T0 + 95 * SEC, false);

	/* On to another value: nothing at once, no re-arm until traffic. */
	CHECK(timers_set_persistent_keepalive(&t, 10, T0 + 100 * SEC) == 0);
	CHECK(timers_next_deadline(&t) == T0 + 120 * SEC);
	FIRES(&t, T0 + 120 * SEC, A_KEEPALIVE);
	packet_sent(&t, T0 + 120 * SEC, false);
	FIRES(&t, T0 + 130 * SEC, A_KEEPALIVE);
	packet_sent(&t, T0 + 130 * SEC, false);

	/* Off: the armed deadline stays (as the kernel's timer does) but
	 * fires nothing, and traffic no longer re-arms it. */
	CHECK(timers_set_persistent_keepalive(&t, 0, T0 + 135 * SEC) == 0);
	FIRES(&t, T0 + 140 * SEC, 0);
	packet_sent(&t, T0 + 141 * SEC, false);
	CHECK(timers_next_deadline(&t) == 0);

	/* The largest interval wg(8) takes. */
	CHECK(timers_set_persistent_keepalive(&t, 65535, T0 + 200 * SEC) ==
	      A_KEEPALIVE);
	packet_sent(&t, T0 + 200 * SEC, false);
	FIRES(&t, T0 + 200 * SEC + 65535 * SEC, A_KEEPALIVE);

	/* Turned on while stopped: nothing to send. */
	timers_init(&t);
	timers_stop(&t);
	CHECK(timers_set_persistent_keepalive(&t, 25, T0) == 0);
	CHECK(t.persistent_keepalive_interval == 25);
}

/* At most one initiation per REKEY_TIMEOUT, retries included (the
 * kernel's last_sent_handshake test does not look at is_retry), and a
 * response sent counts. */
static void test_initiation_rate_limit(void)
{
	struct timers t;

	timers_init(&t);
	CHECK(timers_may_send_initiation(&t, T0, false));
	CHECK(!timers_may_send_initiation(&t, T0, false));
	CHECK(!timers_may_send_initiation(&t, T0 + REKEY_TIMEOUT - 1, false));
	CHECK(!timers_may_send_initiation(&t, T0 + REKEY_TIMEOUT - 1, true));
	/* Refusals do not move the window. */
	CHECK(timers_may_send_initiation(&t, T0 + REKEY_TIMEOUT, true));
	CHECK(!timers_may_send_initiation(&t, T0 + 2 * REKEY_TIMEOUT - 1, false));
	CHECK(timers_may_send_initiation(&t, T0 + 2 * REKEY_TIMEOUT, false));

	timers_event_handshake_response_sent(&t, T0 + 100 * SEC);
	CHECK(!timers_may_send_initiation(&t, T0 + 105 * SEC - 1, false));
	CHECK(timers_may_send_initiation(&t, T0 + 105 * SEC, false));

	/* Abandoning the handshake allows one at once. */
	timers_reset_last_sent_handshake(&t);
	CHECK(timers_may_send_initiation(&t, T0 + 105 * SEC, false));
	CHECK(!timers_may_send_initiation(&t, T0 + 106 * SEC, false));
}

/* Send side: more than REKEY_AFTER_MESSAGES sent, either role; or the
 * initiator's keypair REKEY_AFTER_TIME old, '>=' as
 * wg_birthdate_has_expired(). */
static void test_rekey_on_send(void)
{
	const uint64_t b = T0;

	CHECK(!timers_should_rekey_on_send(true, b, 0, b));
	CHECK(!timers_should_rekey_on_send(true, b, 0, b + REKEY_AFTER_TIME - 1));
	CHECK(timers_should_rekey_on_send(true, b, 0, b + REKEY_AFTER_TIME));
	CHECK(REKEY_AFTER_TIME == 120 * SEC);
	/* The responder never rekeys for age, even near rejection. */
	CHECK(!timers_should_rekey_on_send(false, b, 0, b + REKEY_AFTER_TIME));
	CHECK(!timers_should_rekey_on_send(false, b, 0, b + REJECT_AFTER_TIME));
	/* The counter is strict: after the message with nonce 2^60. */
	CHECK(REKEY_AFTER_MESSAGES == 1ULL << 60);
	for (int initiator = 0; initiator <= 1; initiator++) {
		CHECK(!timers_should_rekey_on_send(initiator, b,
						   REKEY_AFTER_MESSAGES - 1, b));
		CHECK(!timers_should_rekey_on_send(initiator, b,
						   REKEY_AFTER_MESSAGES, b));
		CHECK(timers_should_rekey_on_send(initiator, b,
						  REKEY_AFTER_MESSAGES + 1, b));
	}
	/* A birthdate after now (another clock's) is young. */
	CHECK(!timers_should_rekey_on_send(true, b + SEC, 0, b));
}

/* Receive side: the initiator at REKEY_AFTER_TIME_RECV, once a session. */
static void test_rekey_on_receive(void)
{
	struct timers t;
	const uint64_t b = T0;

	CHECK(REKEY_AFTER_TIME_RECV == 165 * SEC);
	timers_init(&t);
	CHECK(!timers_should_rekey_on_receive(&t, false, b, b + 179 * SEC));
	CHECK(!timers_should_rekey_on_receive(&t, true, b, b + 165 * SEC - 1));
	CHECK(!t.sent_lastminute_handshake);
	CHECK(timers_should_rekey_on_receive(&t, true, b, b + 165 * SEC));
	CHECK(!timers_should_rekey_on_receive(&t, true, b, b + 165 * SEC));
	CHECK(!timers_should_rekey_on_receive(&t, true, b, b + 170 * SEC));
	/* A new handshake completes: armed again for the new keypair. */
	timers_event_handshake_complete(&t, b + 171 * SEC);
	CHECK(!timers_should_rekey_on_receive(&t, true, b + 171 * SEC, b + 172 * SEC));
	CHECK(timers_should_rekey_on_receive(&t, true, b + 171 * SEC, b + 336 * SEC));
	CHECK(!timers_should_rekey_on_receive(&t, true, b + 171 * SEC, b + 337 * SEC));
}

/* REJECT_AFTER_TIME and REJECT_AFTER_MESSAGES, both '>='. */
static void test_keypair_expired(void)
{
	const uint64_t b = T0;

	CHECK(!timers_keypair_expired(b, 0, b));
	CHECK(!timers_keypair_expired(b, 0, b + 180 * SEC - 1));
	CHECK(timers_keypair_expired(b, 0, b + 180 * SEC));
	CHECK(timers_keypair_expired(b, 0, UINT64_MAX));
	CHECK(!timers_keypair_expired(b, REJECT_AFTER_MESSAGES - 1, b));
	CHECK(timers_keypair_expired(b, REJECT_AFTER_MESSAGES, b));
	CHECK(timers_keypair_expired(b, UINT64_MAX, b));
	CHECK(REJECT_AFTER_MESSAGES == UINT64_MAX - 8192);
	/* Past REKEY_AFTER_MESSAGES but far from rejection. */
	CHECK(!timers_keypair_expired(b, REKEY_AFTER_MESSAGES + 1, b));
	CHECK(!timers_keypair_expired(b + SEC, 0, b));
}

static void arm_all(struct timers *t, uint64_t now)
{
	CHECK(timers_may_send_initiation(t, now, false));
	initiation_sent(t, now);
	timers_event_session_derived(t, now);
	packet_received(t, now, true);
	timers_event_data_sent(t, now);
}

/* Stop cancels all and arms nothing until start. */
static void test_stop_and_start(void)
{
	struct timers t;

	set_jitter(JIT);
	timers_init(&t);
	CHECK(timers_set_persistent_keepalive(&t, 25, T0) == A_KEEPALIVE);
	arm_all(&t, T0);
	CHECK(t.retransmit_handshake && t.send_keepalive && t.new_handshake &&
	      t.zero_key_material && t.persistent_keepalive);
	timers_stop(&t);
	CHECK(timers_next_deadline(&t) == 0);
	CHECK(timers_run(&t, UINT64_MAX) == 0);
	/* Events while stopped arm nothing and ask for nothing. */
	timers_event_handshake_initiated(&t, T0 + SEC);
	timers_event_session_derived(&t, T0 + SEC);
	packet_received(&t, T0 + SEC, true);
	packet_received(&t, T0 + SEC, true);
	packet_sent(&t, T0 + SEC, true);
	CHECK(timers_next_deadline(&t) == 0);
	CHECK(!t.need_another_keepalive);
	/* The last initiation is forgotten, as at interface down. */
	CHECK(timers_may_send_initiation(&t, T0 + SEC, false));

	timers_start(&t);
	CHECK(timers_next_deadline(&t) == 0);
	packet_received(&t, T0 + 2 * SEC, true);
	FIRES(&t, T0 + 2 * SEC + KEEPALIVE_TIMEOUT, A_KEEPALIVE);
	packet_sent(&t, T0 + 20 * SEC, false);
	FIRES(&t, T0 + 45 * SEC, A_KEEPALIVE);
	restore_random();
}

/* A late call fires what is due in deadline order: a deadline cancelled
 * by an earlier expiry does not fire. */
static void test_late_run(void)
{
	struct timers t;
	uint64_t now = T0;

	set_jitter(JIT);
	/* Everything due at once. */
	timers_init(&t);
	CHECK(timers_set_persistent_keepalive(&t, 1, T0) == A_KEEPALIVE);
	arm_all(&t, T0);
	CHECK(timers_next_deadline(&t) == T0 + SEC);
	CHECK(timers_run(&t, T0 + KEY_ZEROING_TIME) ==
	      (A_CLEAR | A_ZERO | A_INIT | A_KEEPALIVE));
	/* Only one of the two initiations passed the rate limit, and each
	 * deadline fired once. */
	CHECK(timers_next_deadline(&t) == 0);
	CHECK(!timers_may_send_initiation(&t, T0 + KEY_ZEROING_TIME, true));

	/* Giving up cancels a keepalive due after it but in the same call;
	 * one due before it has fired. */
	for (int before = 0; before <= 1; before++) {
		timers_init(&t);
		now = T0;
		CHECK(timers_may_send_initiation(&t, now, false));
		initiation_sent(&t, now);
		for (unsigned i = 0; i <= MAX_TIMER_HANDSHAKES; i++) {
			now += REKEY_TIMEOUT + JIT;
			FIRES(&t, now, A_RETRY);
			initiation_sent(&t, now);
		}
		/* The give-up is due at now + 5.1 s.  Before it, a persistent
		 * keepalive at now + 1 s; after it, a passive one at
		 * now + 10 s + 1 ns, which giving up cancels. */
		if (before) {
			CHECK(timers_set_persistent_keepalive(&t, 1, now) ==
			      A_KEEPALIVE);
			timers_event_any_authenticated_packet_traversal(&t, now);
		} else {
			packet_received(&t, now + 1, true);
		}
		CHECK(timers_run(&t, now + 60 * SEC) ==
		      (before ? A_KEEPALIVE | A_GIVE_UP : A_GIVE_UP));
		/* Late expiries act at the time they run, as a late kernel
		 * timer does: zeroing counts from the call, not the deadline. */
		CHECK(timers_next_deadline(&t) == now + 60 * SEC + KEY_ZEROING_TIME);
	}
	restore_random();
}

/* --- ten minutes of one peer, driven by its actions ---------------------- */

/* The peer as the daemon would run it, reduced to what the timers see:
 * a keypair or none, staged packets, and a remote that answers an
 * initiation after 20 ms and echoes data after 50 ms while the link is
 * up.  We are always the initiator. */
enum sim_arrival_kind { ARRIVE_RESPONSE, ARRIVE_DATA };
enum sim_step_kind { APP_DATA, LINK_DOWN, LINK_UP, SET_KEEPALIVE };

struct sim_entry {
	uint64_t at;
	unsigned actions;
};

struct sim {
	struct timers t;
	bool link_up, has_key;
	uint64_t key_birthdate;
	unsigned staged_data;
	bool staged_keepalive;
	unsigned initiations;
	struct {
		uint64_t at;
		enum sim_arrival_kind kind;
	} inflight[16];
	size_t n_inflight;
	struct sim_entry log[64];
	size_t n_log;
};

static void sim_log(struct sim *s, uint64_t at, unsigned actions)
{
	if (!actions)
		return;
	CHECK(s->n_log < ARRAY_SIZE(s->log));
	if (s->n_log < ARRAY_SIZE(s->log))
		s->log[s->n_log++] = (struct sim_entry){ at, actions };
}

static void sim_expect_arrival(struct sim *s, uint64_t at,
			       enum sim_arrival_kind kind)
{
	if (!s->link_up)
		return;
	CHECK(s->n_inflight < ARRAY_SIZE(s->inflight));
	if (s->n_inflight < ARRAY_SIZE(s->inflight)) {
		s->inflight[s->n_inflight].at = at;
		s->inflight[s->n_inflight].kind = kind;
		s->n_inflight++;
	}
}

static void sim_send_initiation(struct sim *s, uint64_t now)
{
	s->initiations++;
	initiation_sent(&s->t, now);
	sim_expect_arrival(s, now + 20 * MSEC, ARRIVE_RESPONSE);
}

static void sim_want_initiation(struct sim *s, uint64_t now)
{
	if (timers_may_send_initiation(&s->t, now, false))
		sim_send_initiation(s, now);
}

/* wg_packet_send_staged_packets(): everything staged goes, or, without a
 * keypair, stays and asks for a handshake. */
static void sim_send_staged(struct sim *s, uint64_t now)
{
	if (!s->staged_data && !s->staged_keepalive)
		return;
	if (!s->has_key) {
		sim_want_initiation(s, now);
		return;
	}
	packet_sent(&s->t, now, s->staged_data > 0);
	if (s->staged_data)
		sim_expect_arrival(s, now + 50 * MSEC, ARRIVE_DATA);
	s->staged_data = 0;
	s->staged_keepalive = false;
	if (timers_should_rekey_on_send(true, s->key_birthdate, 0, now))
		sim_want_initiation(s, now);
}

static void sim_keepalive(struct sim *s, uint64_t now)
{
	if (!s->staged_data)
		s->staged_keepalive = true;
	sim_send_staged(s, now);
}

static void sim_arrive(struct sim *s, uint64_t now, enum sim_arrival_kind kind)
{
	if (kind == ARRIVE_RESPONSE) {
		packet_received(&s->t, now, false);
		timers_event_session_derived(&s->t, now);
		timers_event_handshake_complete(&s->t, now);
		s->has_key = true;
		s->key_birthdate = now;
		sim_keepalive(s, now);
		return;
	}
	if (!s->has_key)
		return;
	if (timers_should_rekey_on_receive(&s->t, true, s->key_birthdate, now))
		sim_want_initiation(s, now);
	packet_received(&s->t, now, true);
}

static void sim_act(struct sim *s, uint64_t now, unsigned actions)
{
	sim_log(s, now, actions);
	if (actions & A_ZERO)
		s->has_key = false;
	if (actions & A_GIVE_UP) {
		s->staged_data = 0;
		s->staged_keepalive = false;
	}
	if (actions & A_INIT)
		sim_send_initiation(s, now);
	if (actions & A_KEEPALIVE)
		sim_keepalive(s, now);
}

static void test_scenario_ten_minutes(void)
{
	const uint64_t B = T0;
	struct {
		uint64_t at;
		enum sim_step_kind kind;
	} script[64];
	size_t n_script = 0, next_step = 0;
	static struct sim s;
	uint64_t now;

	/* Bidirectional traffic for 30 s, idle, then data sent into a dead
	 * link, a long idle with the link back, and traffic again with a
	 * persistent keepalive turned on. */
	for (unsigned k = 0; k < 30; k++)
		script[n_script++] = (typeof(script[0])){ B + k * SEC, APP_DATA };
	script[n_script++] = (typeof(script[0])){ B + 45 * SEC, LINK_DOWN };
	for (unsigned k = 50; k < 60; k++)
		script[n_script++] = (typeof(script[0])){ B + k * SEC, APP_DATA };
	script[n_script++] = (typeof(script[0])){ B + 200 * SEC, LINK_UP };
	script[n_script++] = (typeof(script[0])){ B + 560 * SEC, APP_DATA };
	script[n_script++] = (typeof(script[0])){ B + 561 * SEC, SET_KEEPALIVE };

	const struct sim_entry want[] = {
		/* The last echo (29.050) is answered. */
		{ B + 39 * SEC + 50 * MSEC, A_KEEPALIVE },
		/* 15.1 s after the first data into the dead link. */
		{ B + 65 * SEC + 100 * MSEC, A_RETRY },
#define RETRY(n) { B + 65 * SEC + 100 * MSEC + (n) * (5 * SEC + 100 * MSEC), A_RETRY }
		RETRY(1), RETRY(2), RETRY(3), RETRY(4), RETRY(5), RETRY(6),
		RETRY(7), RETRY(8), RETRY(9), RETRY(10), RETRY(11), RETRY(12),
		RETRY(13), RETRY(14), RETRY(15), RETRY(16), RETRY(17),
		RETRY(18), RETRY(19),
#undef RETRY
		{ B + 167 * SEC + 100 * MSEC, A_GIVE_UP },
		/* 540 s after the only session, derived at 0.020. */
		{ B + 540 * SEC + 20 * MSEC, A_ZERO },
		/* Persistent keepalive turned on, then its first expiry. */
		{ B + 561 * SEC, A_KEEPALIVE },
		{ B + 586 * SEC, A_KEEPALIVE },
	};

	set_jitter(JIT);
	memset(&s, 0, sizeof(s));
	timers_init(&s.t);
	s.link_up = true;
	for (;;) {
		uint64_t step_at = next_step < n_script ? script[next_step].at : UINT64_MAX;
		uint64_t deadline = timers_next_deadline(&s.t);
		size_t first = SIZE_MAX;

		for (size_t i = 0; i < s.n_inflight; i++)
			if (first == SIZE_MAX || s.inflight[i].at < s.inflight[first].at)
				first = i;
		now = step_at;
		if (first != SIZE_MAX && s.inflight[first].at < now)
			now = s.inflight[first].at;
		if (deadline && deadline <= now)
			now = deadline;
		if (now > B + 600 * SEC)
			break;

		if (deadline == now) {
			/* One nanosecond early, nothing. */
			CHECK(timers_run(&s.t, now - 1) == 0);
			sim_act(&s, now, timers_run(&s.t, now));
		} else if (first != SIZE_MAX && s.inflight[first].at == now) {
			enum sim_arrival_kind kind = s.inflight[first].kind;

			s.inflight[first] = s.inflight[--s.n_inflight];
			sim_arrive(&s, now, kind);
		} else {
			switch (script[next_step++].kind) {
			case APP_DATA:
				s.staged_data++;
				sim_send_staged(&s, now);
				break;
			case LINK_DOWN:
				s.link_up = false;
				s.n_inflight = 0;
				break;
			case LINK_UP:
				s.link_up = true;
				break;
			case SET_KEEPALIVE:
				sim_act(&s, now,
					timers_set_persistent_keepalive(&s.t, 25, now));
				break;
			}
		}
	}

	CHECK_MSG(s.n_log == ARRAY_SIZE(want), "%zu actions, want %zu", s.n_log,
		  ARRAY_SIZE(want));
	for (size_t i = 0; i < s.n_log && i < ARRAY_SIZE(want); i++)
		CHECK_MSG(s.log[i].at == want[i].at && s.log[i].actions == want[i].actions,
			  "action %zu: 0x%x at +%llu.%09llu, want 0x%x at +%llu.%09llu",
			  i, s.log[i].actions, TS(s.log[i].at - B), want[i].actions,
			  TS(want[i].at - B));
	/* 0, 65.1, 19 retries, 560. */
	CHECK_MSG(s.initiations == 22, "%u initiations", s.initiations);
	CHECK(s.has_key && s.key_birthdate == B + 560 * SEC + 20 * MSEC);
	CHECK(s.t.persistent_keepalive == B + 611 * SEC);
	CHECK(s.t.zero_key_material == B + 1100 * SEC + 20 * MSEC);
	CHECK(timers_next_deadline(&s.t) == B + 611 * SEC);
	restore_random();
}

static const struct harness_case cases[] = {
	{ "timers/init_idle", test_init_idle },
	{ "timers/jitter_fixed", test_jitter_fixed },
	{ "timers/jitter_random_bounds", test_jitter_random_bounds },
	{ "timers/retransmit_and_give_up", test_retransmit_and_give_up },
	{ "timers/give_up_keeps_pending_zeroing", test_give_up_keeps_pending_zeroing },
	{ "timers/handshake_complete_resets", test_handshake_complete_resets },
	{ "timers/non_retry_restarts_count", test_non_retry_restarts_count },
	{ "timers/retry_refused_after_response", test_retry_refused_after_response },
	{ "timers/session_zeroing", test_session_zeroing },
	{ "timers/passive_keepalive", test_passive_keepalive },
	{ "timers/passive_keepalive_another", test_passive_keepalive_another },
	{ "timers/new_handshake_send_only", test_new_handshake_send_only },
	{ "timers/persistent_keepalive", test_persistent_keepalive },
	{ "timers/initiation_rate_limit", test_initiation_rate_limit },
	{ "timers/rekey_on_send", test_rekey_on_send },
	{ "timers/rekey_on_receive", test_rekey_on_receive },
	{ "timers/keypair_expired", test_keypair_expired },
	{ "timers/stop_and_start", test_stop_and_start },
	{ "timers/late_run", test_late_run },
	{ "timers/scenario_ten_minutes", test_scenario_ten_minutes },
};

HARNESS_MAIN(cases)
