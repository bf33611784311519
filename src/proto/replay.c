/* RFC 6479 anti-replay window.  The RFC's point is that the window never
 * shifts bits: it is a ring of words, and moving the window forward only
 * zeroes the words the newest counter skips over.  The word holding the
 * newest counter is the one being recycled, which is why the usable window
 * is one word short of the ring (COUNTER_REDUNDANT_BITS). */
#include "replay.h"

#include <string.h>

_Static_assert((int)COUNTER_REDUNDANT_BITS == (int)REPLAY_WORD_BITS,
	       "the redundant bits are exactly one ring word");
_Static_assert((REPLAY_WORDS & (REPLAY_WORDS - 1)) == 0,
	       "the ring indexes with a mask");
/* No overflow below: the biased counter is at most REJECT_AFTER_MESSAGES,
 * and adding the window to it stays below 2^64 (that headroom is why the
 * limit is 2^64 - 2^13 - 1 and not 2^64 - 1). */
_Static_assert(REJECT_AFTER_MESSAGES <= UINT64_MAX - COUNTER_WINDOW_SIZE - 1,
	       "window arithmetic fits in 64 bits");

void replay_init(struct replay_counter *r)
{
	memset(r, 0, sizeof(*r));
}

bool replay_check(struct replay_counter *r, uint64_t counter)
{
	uint64_t biased, word, newest_word, skipped, bit, old;

	if (counter >= REJECT_AFTER_MESSAGES)
		return false;
	biased = counter + 1;
	/* Too far behind the newest: its bit may already be recycled. */
	if (biased + COUNTER_WINDOW_SIZE < r->next)
		return false;

	word = biased / REPLAY_WORD_BITS;
	if (biased > r->next) {
		/* Zero the words strictly after the newest one up to the new
		 * counter's, but never more than the whole ring. */
		newest_word = r->next / REPLAY_WORD_BITS;
		skipped = word - newest_word;
		if (skipped > REPLAY_WORDS)
			skipped = REPLAY_WORDS;
		for (uint64_t i = 1; i <= skipped; i++)
			r->ring[(newest_word + i) & (REPLAY_WORDS - 1)] = 0;
		r->next = biased;
	}

	bit = 1ULL << (biased & (REPLAY_WORD_BITS - 1));
	word &= REPLAY_WORDS - 1;
	old = r->ring[word];
	r->ring[word] = old | bit;
	return !(old & bit);
}
