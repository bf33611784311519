/* The anti-replay window: the kernel module's self-test scripts as data,
 * hand-picked edges, and a differential run against a naive model that
 * keeps every accepted counter in a set. */
#include "harness.h"

#include "proto/replay.h"

#include <stdlib.h>
#include <string.h>

/* One step of a script: offer counter n, expect v. */
struct step {
	uint64_t n;
	bool v;
};

static void run_steps(struct replay_counter *r, const char *script,
		      const struct step *steps, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		bool got = replay_check(r, steps[i].n);

		CHECK_MSG(got == steps[i].v, "%s step %zu: counter %llu gave %s",
			  script, i + 1, (unsigned long long)steps[i].n,
			  got ? "fresh" : "reject");
	}
}

/* drivers/net/wireguard/selftest/counter.c, the 34 numbered steps, on one
 * counter.  LIM is the kernel's T_LIM, one past the window. */
#define LIM ((uint64_t)COUNTER_WINDOW_SIZE + 1)
#define REJ REJECT_AFTER_MESSAGES
static const struct step kernel_script[] = {
	{ 0, true },		/*  1 */
	{ 1, true },		/*  2 */
	{ 1, false },		/*  3 */
	{ 9, true },		/*  4 */
	{ 8, true },		/*  5 */
	{ 7, true },		/*  6 */
	{ 7, false },		/*  7 */
	{ LIM, true },		/*  8 */
	{ LIM - 1, true },	/*  9 */
	{ LIM - 1, false },	/* 10 */
	{ LIM - 2, true },	/* 11 */
	{ 2, true },		/* 12: exactly COUNTER_WINDOW_SIZE behind */
	{ 2, false },		/* 13 */
	{ LIM + 16, true },	/* 14 */
	{ 3, false },		/* 15: now too far behind */
	{ LIM + 16, false },	/* 16 */
	{ LIM * 4, true },	/* 17 */
	{ LIM * 4 - (LIM - 1), true },	/* 18: window edge, inside */
	{ 10, false },		/* 19 */
	{ LIM * 4 - LIM, false },	/* 20: one past the edge */
	{ LIM * 4 - (LIM + 1), false },	/* 21 */
	{ LIM * 4 - (LIM - 2), true },	/* 22 */
	{ LIM * 4 + 1 - LIM, false },	/* 23: same as step 18 */
	{ 0, false },		/* 24 */
	{ REJ, false },		/* 25 */
	{ REJ - 1, true },	/* 26 */
	{ REJ, false },		/* 27 */
	{ REJ - 1, false },	/* 28 */
	{ REJ - 2, true },	/* 29 */
	{ REJ + 1, false },	/* 30 */
	{ REJ + 2, false },	/* 31 */
	{ REJ - 2, false },	/* 32 */
	{ REJ - 3, true },	/* 33 */
	{ 0, false },		/* 34 */
};

static void test_kernel_script(void)
{
	struct replay_counter r;

	CHECK(ARRAY_SIZE(kernel_script) == 34);
	replay_init(&r);
	run_steps(&r, "kernel", kernel_script, ARRAY_SIZE(kernel_script));
}

/* The kernel self-test's six loops: fill the whole window forwards or
 * backwards from a fresh counter, then probe its edges.  A loop runs
 * counters from..to inclusive (either direction), all expected fresh. */
struct loop_scenario {
	const char *name;
	uint64_t from, to;
	struct step after[2];
	size_t n_after;
};

#define W ((uint64_t)COUNTER_WINDOW_SIZE)
static const struct loop_scenario kernel_loops[] = {
	{ "forward 1..W, then 0 just fits", 1, W,
	  { { 0, true }, { 0, false } }, 2 },
	{ "forward 2..W+1, then 1 fits and 0 does not", 2, W + 1,
	  { { 1, true }, { 0, false } }, 2 },
	{ "backward W..0", W, 0, { { 0 } }, 0 },
	{ "backward W+1..1, then 0 is out", W + 1, 1, { { 0, false } }, 1 },
	{ "backward W..1, W+1 moves the edge past 0", W, 1,
	  { { W + 1, true }, { 0, false } }, 2 },
	{ "backward W..1, 0 then W+1", W, 1,
	  { { 0, true }, { W + 1, true } }, 2 },
};

static void test_kernel_loops(void)
{
	struct replay_counter r;

	for (size_t s = 0; s < ARRAY_SIZE(kernel_loops); s++) {
		const struct loop_scenario *l = &kernel_loops[s];
		uint64_t c = l->from;
		unsigned bad = 0;

		replay_init(&r);
		for (;;) {
			if (!replay_check(&r, c) && bad++ < 3)
				CHECK_MSG(0, "%s: counter %llu rejected", l->name,
					  (unsigned long long)c);
			if (c == l->to)
				break;
			c = l->from < l->to ? c + 1 : c - 1;
		}
		run_steps(&r, l->name, l->after, l->n_after);
	}
}

/* Edges not in the kernel's script. */
static void test_edges(void)
{
	struct replay_counter r;

	/* 0 is an ordinary counter: fresh once on a new keypair. */
	replay_init(&r);
	CHECK(replay_check(&r, 0));
	CHECK(!replay_check(&r, 0));

	/* Window edge from a newest counter that is not word aligned, both
	 * sides, for several alignments of the newest counter. */
	for (uint64_t top = 100000; top < 100000 + 2 * REPLAY_WORD_BITS; top++) {
		replay_init(&r);
		CHECK(replay_check(&r, top));
		CHECK_MSG(!replay_check(&r, top - W - 1), "top %llu: edge - 1",
			  (unsigned long long)top);
		CHECK_MSG(replay_check(&r, top - W), "top %llu: edge",
			  (unsigned long long)top);
		CHECK(!replay_check(&r, top - W));
		CHECK(replay_check(&r, top - W + 1));
		CHECK(replay_check(&r, top - 1));
		CHECK(!replay_check(&r, top));
	}

	/* The last usable counter and the first unusable one, on a fresh
	 * window and after a jump from 0. */
	replay_init(&r);
	CHECK(!replay_check(&r, REJECT_AFTER_MESSAGES));
	CHECK(replay_check(&r, REJECT_AFTER_MESSAGES - 1));
	CHECK(!replay_check(&r, REJECT_AFTER_MESSAGES - 1));
	CHECK(!replay_check(&r, UINT64_MAX));
	CHECK(replay_check(&r, REJECT_AFTER_MESSAGES - 1 - W));
	CHECK(!replay_check(&r, REJECT_AFTER_MESSAGES - 2 - W));
	replay_init(&r);
	CHECK(replay_check(&r, 0));
	CHECK(!replay_check(&r, UINT64_MAX));
	CHECK(!replay_check(&r, UINT64_MAX - 1));
	CHECK(replay_check(&r, REJECT_AFTER_MESSAGES - 1));
	CHECK(!replay_check(&r, 0));

	/* A rejected counter leaves the state alone. */
	replay_init(&r);
	CHECK(replay_check(&r, 5000));
	CHECK(!replay_check(&r, REJECT_AFTER_MESSAGES));
	CHECK(replay_check(&r, 4999));
	CHECK(!replay_check(&r, 5000));
}

/* Wrap of the ring: counters a whole ring apart share a bit, and moving
 * forward must clear it; so must a jump of many rings. */
static void test_ring_wrap(void)
{
	struct replay_counter r;

	replay_init(&r);
	for (uint64_t c = 0; c < COUNTER_BITS_TOTAL; c++)
		CHECK(replay_check(&r, c));
	/* Every bit of the ring is now in use.  Walk forward one ring at a
	 * time; each step lands on a bit last set one lap ago. */
	for (uint64_t lap = 1; lap <= 4; lap++) {
		uint64_t c = lap * COUNTER_BITS_TOTAL + 17;

		CHECK_MSG(replay_check(&r, c), "lap %llu", (unsigned long long)lap);
		CHECK(!replay_check(&r, c));
		CHECK(!replay_check(&r, c - COUNTER_BITS_TOTAL));
	}
	/* Fill again, then jump many laps: the whole new window is fresh. */
	replay_init(&r);
	for (uint64_t c = 0; c < COUNTER_BITS_TOTAL; c++)
		CHECK(replay_check(&r, c));
	uint64_t top = 1000ULL * COUNTER_BITS_TOTAL + 5;
	CHECK(replay_check(&r, top));
	unsigned bad = 0;
	for (uint64_t c = top - W; c < top; c++)
		if (!replay_check(&r, c) && bad++ < 3)
			CHECK_MSG(0, "after jump: %llu rejected", (unsigned long long)c);
	/* Move forward two at a time across several laps, filling each gap
	 * one step late: every counter is fresh exactly once. */
	replay_init(&r);
	bad = 0;
	for (uint64_t c = 2; c < 5 * COUNTER_BITS_TOTAL; c += 2) {
		bool ok = replay_check(&r, c) && replay_check(&r, c - 1) &&
			  !replay_check(&r, c) && !replay_check(&r, c - 1);

		if (!ok && bad++ < 3)
			CHECK_MSG(0, "stride: %llu", (unsigned long long)c);
	}
}

/* --- differential test ------------------------------------------------ */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The model: the newest accepted counter and the set of every counter
 * accepted in this run, no ring, no words.  Its window rule is the
 * spec's sentence "COUNTER_WINDOW_SIZE counters behind the newest are
 * accepted exactly once": c is fresh iff c < REJECT_AFTER_MESSAGES, c was
 * never accepted, and nothing was accepted yet, or c > newest, or
 * newest - c <= COUNTER_WINDOW_SIZE. */
enum { MODEL_SLOTS = 1 << 17, EPOCH_STEPS = 20000 };
#define MODEL_EMPTY UINT64_MAX /* never accepted: above the limit */

struct model {
	bool any;
	uint64_t newest;
	uint64_t *slot; /* open addressing, linear probing */
};

static uint64_t *model_find(struct model *m, uint64_t c)
{
	size_t i = (size_t)((c * 0x9e3779b97f4a7c15ULL) >> 47) & (MODEL_SLOTS - 1);

	while (m->slot[i] != MODEL_EMPTY && m->slot[i] != c)
		i = (i + 1) & (MODEL_SLOTS - 1);
	return &m->slot[i];
}

static bool model_check(struct model *m, uint64_t c)
{
	uint64_t *s;

	if (c >= REJECT_AFTER_MESSAGES)
		return false;
	if (m->any && c <= m->newest && m->newest - c > COUNTER_WINDOW_SIZE)
		return false;
	s = model_find(m, c);
	if (*s == c)
		return false;
	*s = c;
	if (!m->any || c > m->newest)
		m->newest = c;
	m->any = true;
	return true;
}

static void model_reset(struct model *m)
{
	m->any = false;
	m->newest = 0;
	for (size_t i = 0; i < MODEL_SLOTS; i++)
		m->slot[i] = MODEL_EMPTY;
}

/* Next counter to offer, around the model's newest: the traffic shapes a
 * receiver sees (in order, reordered, lost bursts, replays) plus the
 * window edge and the limit, where bugs live.  Offers that can throw the
 * window to the end of the counter space (near the limit, or anything at
 * all) come only late in an epoch, so that most of it sees traffic. */
static uint64_t next_counter(uint64_t *rng, const struct model *m,
			     const uint64_t *recent, size_t n_recent, bool late)
{
	uint64_t top = m->any ? m->newest : 0, x = splitmix64(rng);
	unsigned kind = (unsigned)(x % 1000);
	uint64_t y = splitmix64(rng);

	if (kind < 400)		/* in order */
		return top + 1;
	if (kind < 600)		/* small reorder either way */
		return top + (y % 129) - 64;
	if (kind < 700)		/* near the window edge */
		return top - W + (y % 9) - 4;
	if (kind < 780)		/* anywhere in (or just past) the window */
		return top - (y % (W + 200));
	if (kind < 840)		/* a lost burst: jump ahead */
		return top + 1 + (y % (3 * COUNTER_BITS_TOTAL));
	if (kind < 990 || !late) /* replay of something recent */
		return n_recent ? recent[y % n_recent] : top;
	if (kind < 995)		/* near or past the limit */
		return REJECT_AFTER_MESSAGES - 4 + (y % 8);
	return y;		/* anything at all */
}

static void test_differential(void)
{
	enum { STEPS = 1200000, RECENT = 256 };
	struct replay_counter r;
	struct model m = { .slot = malloc(MODEL_SLOTS * sizeof(uint64_t)) };
	uint64_t rng = 0x5eed5eed12345678ULL, recent[RECENT];
	size_t n_recent = 0;
	unsigned long accepted = 0, mismatches = 0;

	if (!m.slot) {
		CHECK(m.slot);
		return;
	}
	for (unsigned long step = 0; step < STEPS; step++) {
		if (step % EPOCH_STEPS == 0) {
			/* A new keypair.  Some epochs start near the limit so
			 * that the last counters see ordinary traffic too. */
			replay_init(&r);
			model_reset(&m);
			n_recent = 0;
			uint64_t e = step / EPOCH_STEPS;
			uint64_t base = e % 4 == 3 ? REJECT_AFTER_MESSAGES - 3 * W
				      : e % 4 == 2 ? splitmix64(&rng) >> 8 : 0;
			if (base) {
				CHECK(replay_check(&r, base));
				CHECK(model_check(&m, base));
			}
		}
		uint64_t c = next_counter(&rng, &m, recent, n_recent,
					  step % EPOCH_STEPS >= EPOCH_STEPS * 9 / 10);
		bool want = model_check(&m, c), got = replay_check(&r, c);

		if (got != want && mismatches++ < 5)
			CHECK_MSG(0, "step %lu: counter %llu (newest %llu): real %d, model %d",
				  step, (unsigned long long)c,
				  (unsigned long long)m.newest, got, want);
		accepted += want;
		recent[n_recent < RECENT ? n_recent++ : (size_t)(c % RECENT)] = c;
	}
	CHECK_MSG(mismatches == 0, "%lu mismatches", mismatches);
	/* The mix must exercise both outcomes in earnest. */
	CHECK_MSG(accepted > STEPS / 4 && accepted < STEPS * 3 / 4, "accepted %lu", accepted);
	free(m.slot);
}

static const struct harness_case cases[] = {
	{ "replay/kernel_script", test_kernel_script },
	{ "replay/kernel_loops", test_kernel_loops },
	{ "replay/edges", test_edges },
	{ "replay/ring_wrap", test_ring_wrap },
	{ "replay/differential", test_differential },
};

HARNESS_MAIN(cases)
