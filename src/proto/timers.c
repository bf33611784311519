/* Per-peer timers as deadlines.  Each kernel timer_list becomes a field;
 * mod_timer() becomes arm(), del_timer() a store of 0, timer_pending() a
 * test for non-zero, and each expiry function a timers_run_*() that
 * returns actions instead of sending.  The kernel only arms a timer while
 * the interface runs and the peer is alive (mod_peer_timer()); that is
 * the running flag.  Cancelling is never gated. */
#include "timers.h"
#include "messages.h"

#include "crypto/crypto.h"

_Static_assert(REKEY_TIMEOUT_JITTER_MAX > 0 &&
	       REKEY_TIMEOUT_JITTER_MAX <= UINT32_MAX,
	       "the jitter is drawn as a 32-bit bound");

/* Is birthdate + lifetime <= now?  The kernel's wg_birthdate_has_expired()
 * on our clock, without its overflow (a birthdate after now is young). */
static bool has_expired(uint64_t birthdate, uint64_t lifetime, uint64_t now)
{
	return now >= birthdate && now - birthdate >= lifetime;
}

static void arm(const struct timers *t, uint64_t *deadline, uint64_t now,
		uint64_t delay)
{
	if (!t->running)
		return;
	/* Saturate rather than wrap to 0, which would read as unarmed. */
	*deadline = now > UINT64_MAX - delay ? UINT64_MAX : now + delay;
}

/* Uniform in [0, REKEY_TIMEOUT_JITTER_MAX), in nanoseconds: the kernel
 * draws whole jiffies and wireguard-go whole milliseconds of the same
 * third of a second.  The jitter only keeps peers that lost packets
 * together from retrying in lockstep; should the CSPRNG fail, retrying
 * without it is harmless, so there is no error to return. */
static uint64_t jitter(void)
{
	uint32_t j;

	if (crypto_random_uniform((uint32_t)REKEY_TIMEOUT_JITTER_MAX, &j))
		return 0;
	return j;
}

void timers_init(struct timers *t)
{
	*t = (struct timers){ .running = true };
}

void timers_stop(struct timers *t)
{
	t->retransmit_handshake = 0;
	t->send_keepalive = 0;
	t->new_handshake = 0;
	t->zero_key_material = 0;
	t->persistent_keepalive = 0;
	t->running = false;
	timers_reset_last_sent_handshake(t);
}

void timers_start(struct timers *t)
{
	t->running = true;
}

/* --- events ------------------------------------------------------------ */

/* Re-armed by every initiation, retries included: the retry clock runs
 * from the last one sent. */
void timers_event_handshake_initiated(struct timers *t, uint64_t now)
{
	arm(t, &t->retransmit_handshake, now, REKEY_TIMEOUT + jitter());
}

/* A response counts against the initiation rate limit: having just
 * answered the peer, we let that handshake finish first. */
void timers_event_handshake_response_sent(struct timers *t, uint64_t now)
{
	t->last_sent_handshake = now;
	t->sent_handshake = true;
}

void timers_event_handshake_complete(struct timers *t, uint64_t now)
{
	(void)now;
	t->retransmit_handshake = 0;
	t->handshake_attempts = 0;
	t->sent_lastminute_handshake = false;
}

/* Re-armed by every new session: keys die KEY_ZEROING_TIME after the
 * newest one, whichever keypair slot they sit in. */
void timers_event_session_derived(struct timers *t, uint64_t now)
{
	arm(t, &t->zero_key_material, now, KEY_ZEROING_TIME);
}

/* Armed by the first data sent after hearing from the peer, not pushed
 * back by later data: the question is how long since we last heard. */
void timers_event_data_sent(struct timers *t, uint64_t now)
{
	if (!t->new_handshake)
		arm(t, &t->new_handshake, now,
		    KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter());
}

/* Not pushed back either; data arriving while it is armed asks for one
 * more keepalive after it, so that the peer's last data is answered too. */
void timers_event_data_received(struct timers *t, uint64_t now)
{
	if (!t->running)
		return;
	if (!t->send_keepalive)
		arm(t, &t->send_keepalive, now, KEEPALIVE_TIMEOUT);
	else
		t->need_another_keepalive = true;
}

/* Anything we send answers the peer.  need_another_keepalive survives
 * this, in the kernel too: the next passive keepalive then re-arms once. */
void timers_event_any_authenticated_packet_sent(struct timers *t, uint64_t now)
{
	(void)now;
	t->send_keepalive = 0;
}

void timers_event_any_authenticated_packet_received(struct timers *t,
						    uint64_t now)
{
	(void)now;
	t->new_handshake = 0;
}

void timers_event_any_authenticated_packet_traversal(struct timers *t,
						     uint64_t now)
{
	if (t->persistent_keepalive_interval)
		arm(t, &t->persistent_keepalive, now,
		    t->persistent_keepalive_interval * NSEC_PER_SEC);
}

/* --- the rate limit and the rekey checks --------------------------------- */

/* The kernel checks twice, when queueing and when sending, with nothing
 * in between here: once is the same. */
bool timers_may_send_initiation(struct timers *t, uint64_t now, bool is_retry)
{
	if (!is_retry)
		t->handshake_attempts = 0;
	if (t->sent_handshake &&
	    !has_expired(t->last_sent_handshake, REKEY_TIMEOUT, now))
		return false;
	t->last_sent_handshake = now;
	t->sent_handshake = true;
	return true;
}

void timers_reset_last_sent_handshake(struct timers *t)
{
	t->last_sent_handshake = 0;
	t->sent_handshake = false;
}

/* The counter test is strict (> REKEY_AFTER_MESSAGES), the age test is
 * not: both exactly as the kernel's send-side keep_key_fresh(). */
bool timers_should_rekey_on_send(bool initiator, uint64_t keypair_birthdate,
				 uint64_t send_counter, uint64_t now)
{
	return send_counter > REKEY_AFTER_MESSAGES ||
	       (initiator && has_expired(keypair_birthdate, REKEY_AFTER_TIME, now));
}

/* Once per session: otherwise every packet received in the last 15 s of
 * a keypair would ask again.  The flag is set even when the rate limit
 * then refuses the initiation, as in the kernel. */
bool timers_should_rekey_on_receive(struct timers *t, bool initiator,
				    uint64_t keypair_birthdate, uint64_t now)
{
	if (t->sent_lastminute_handshake || !initiator ||
	    !has_expired(keypair_birthdate, REKEY_AFTER_TIME_RECV, now))
		return false;
	t->sent_lastminute_handshake = true;
	return true;
}

bool timers_keypair_expired(uint64_t keypair_birthdate, uint64_t counter,
			    uint64_t now)
{
	return has_expired(keypair_birthdate, REJECT_AFTER_TIME, now) ||
	       counter >= REJECT_AFTER_MESSAGES;
}

/* --- deadlines that fire ----------------------------------------------- */

/* Attempts count retries: the first initiation is not one, and the check
 * is strict, so the peer sends 1 + (MAX_TIMER_HANDSHAKES + 1) initiations
 * and gives up on the expiry after the last (the kernel's log says
 * "after MAX_TIMER_HANDSHAKES + 2 attempts"). */
static unsigned timers_run_retransmit_handshake(struct timers *t, uint64_t now)
{
	if (t->handshake_attempts > MAX_TIMER_HANDSHAKES) {
		t->send_keepalive = 0;
		/* Zero whatever a partial exchange left, unless a session's
		 * own zeroing is already due. */
		if (!t->zero_key_material)
			arm(t, &t->zero_key_material, now, KEY_ZEROING_TIME);
		return TIMERS_ACTION_GIVE_UP;
	}
	t->handshake_attempts++;
	if (timers_may_send_initiation(t, now, true))
		return TIMERS_ACTION_CLEAR_ENDPOINT_SRC |
		       TIMERS_ACTION_SEND_INITIATION;
	/* Refused only when a response went out less than REKEY_TIMEOUT ago:
	 * that handshake is the one to finish, and the retries end here
	 * (no initiation, so nothing re-arms this deadline). */
	return TIMERS_ACTION_CLEAR_ENDPOINT_SRC;
}

/* The keepalive's own send normally cancels the re-armed deadline at
 * once; it survives when the keepalive had to be staged for want of a
 * keypair.  That is the kernel's behaviour, kept as is. */
static unsigned timers_run_send_keepalive(struct timers *t, uint64_t now)
{
	if (t->need_another_keepalive) {
		t->need_another_keepalive = false;
		arm(t, &t->send_keepalive, now, KEEPALIVE_TIMEOUT);
	}
	return TIMERS_ACTION_SEND_KEEPALIVE;
}

static unsigned timers_run_new_handshake(struct timers *t, uint64_t now)
{
	if (timers_may_send_initiation(t, now, false))
		return TIMERS_ACTION_CLEAR_ENDPOINT_SRC |
		       TIMERS_ACTION_SEND_INITIATION;
	return TIMERS_ACTION_CLEAR_ENDPOINT_SRC;
}

static unsigned timers_run_zero_key_material(struct timers *t, uint64_t now)
{
	(void)t;
	(void)now;
	return TIMERS_ACTION_ZERO_KEYS;
}

static unsigned timers_run_persistent_keepalive(struct timers *t, uint64_t now)
{
	(void)now;
	return t->persistent_keepalive_interval ? TIMERS_ACTION_SEND_KEEPALIVE : 0;
}

uint64_t timers_next_deadline(const struct timers *t)
{
	const uint64_t all[] = {
		t->retransmit_handshake, t->send_keepalive, t->new_handshake,
		t->zero_key_material, t->persistent_keepalive,
	};
	uint64_t next = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(all); i++)
		if (all[i] && (!next || all[i] < next))
			next = all[i];
	return next;
}

/* Earliest first, so that a late call does what calls at each deadline
 * would have done: a deadline cancelled by an earlier one's expiry does
 * not fire.  Equal deadlines fire in the order of the struct.  The loop
 * ends: only the passive keepalive's expiry re-arms its own deadline, and
 * only once (it clears need_another_keepalive first); giving up arms
 * zeroing, whose expiry arms nothing. */
unsigned timers_run(struct timers *t, uint64_t now)
{
	unsigned actions = 0;
	uint64_t due;

	while ((due = timers_next_deadline(t)) && due <= now) {
		if (t->retransmit_handshake == due) {
			t->retransmit_handshake = 0;
			actions |= timers_run_retransmit_handshake(t, now);
		} else if (t->send_keepalive == due) {
			t->send_keepalive = 0;
			actions |= timers_run_send_keepalive(t, now);
		} else if (t->new_handshake == due) {
			t->new_handshake = 0;
			actions |= timers_run_new_handshake(t, now);
		} else if (t->zero_key_material == due) {
			t->zero_key_material = 0;
			actions |= timers_run_zero_key_material(t, now);
		} else {
			t->persistent_keepalive = 0;
			actions |= timers_run_persistent_keepalive(t, now);
		}
	}
	return actions;
}

unsigned timers_set_persistent_keepalive(struct timers *t, uint16_t seconds,
					 uint64_t now)
{
	bool send = !t->persistent_keepalive_interval && seconds && t->running;

	(void)now;
	t->persistent_keepalive_interval = seconds;
	return send ? TIMERS_ACTION_SEND_KEEPALIVE : 0;
}
