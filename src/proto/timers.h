/* The per-peer timer state machine (WireGuard paper §6), behaving as the
 * Linux kernel module's timers.c and wireguard-go's timers.go do, but with
 * no timers inside: the caller reports what happened with timers_event_*()
 * and its monotonic clock, asks timers_next_deadline() when to wake, and
 * at that instant calls timers_run(), which fires every deadline due and
 * returns the actions (TIMERS_ACTION_*) the peer must then perform.
 *
 * Five deadlines, as the kernel's five timer_lists:
 *   retransmit_handshake  REKEY_TIMEOUT + jitter after an initiation is
 *                         sent; retries until the handshake completes,
 *                         gives up after MAX_TIMER_HANDSHAKES + 2 sends;
 *   send_keepalive        KEEPALIVE_TIMEOUT after data arrives with
 *                         nothing sent back (passive keepalive);
 *   new_handshake         KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter after
 *                         data is sent with nothing heard back;
 *   zero_key_material     KEY_ZEROING_TIME after the last session was
 *                         derived (or after giving up);
 *   persistent_keepalive  the configured interval after any authenticated
 *                         packet went either way.
 *
 * Where the caller reports each event (kernel call sites in brackets):
 *   handshake_initiated          an initiation was sent [send.c]
 *   handshake_response_sent      a response was sent [send.c]
 *   handshake_complete           a response was consumed, or the first
 *                                data arrived under the keypair we made
 *                                as responder [receive.c]
 *   session_derived              a keypair was made: before sending a
 *                                response, or after consuming one
 *   data_sent                    after sending non-keepalive data
 *   data_received                after receiving non-keepalive data
 *   any_authenticated_packet_sent       after any packet we sent
 *                                       (data, keepalive, handshake)
 *   any_authenticated_packet_received   after any authenticated packet
 *                                       received, handshake included
 *   any_authenticated_packet_traversal  before sending or after
 *                                       receiving any of these
 * Cookie replies are not authenticated packets: they trigger nothing.
 *
 * Handshake initiations are sent only through this module's rate limit:
 * the caller asks timers_may_send_initiation() before each one it starts
 * (no keypair, rekey, staged packets), and TIMERS_ACTION_SEND_INITIATION
 * from timers_run() has already passed it.
 *
 * Concurrency: none inside.  A struct timers belongs to one peer, and the
 * caller serializes every call on it (there is no per-peer lock: the
 * daemon makes them all under its one dev_lock, from whichever thread
 * called into the device). */
#ifndef RAMPART_PROTO_TIMERS_H
#define RAMPART_PROTO_TIMERS_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stdint.h>

/* What timers_run() asks the peer to do.  When one call fires several
 * deadlines, perform the actions in the order of their bits, lowest first
 * (the order below), which is the order that is safe whatever the order
 * of the deadlines was: forget the source before sending, zero old keys
 * before a new handshake is built, build it before any keepalive is
 * staged behind it. */
enum timers_action {
	/* Forget the cached local source address of the peer's endpoint, so
	 * that the next packet picks a route afresh (a changed address or
	 * interface is a likely cause of the silence).  Comes with every
	 * handshake retry and every send-only new handshake, even when the
	 * rate limit withheld SEND_INITIATION. */
	TIMERS_ACTION_CLEAR_ENDPOINT_SRC = 1u << 0,
	/* KEY_ZEROING_TIME passed without a new session: wipe every keypair
	 * (previous, current, next) and the handshake state. */
	TIMERS_ACTION_ZERO_KEYS = 1u << 1,
	/* The handshake did not complete after MAX_TIMER_HANDSHAKES + 2
	 * initiations: drop (and count) every staged packet and stop
	 * retrying.  A new handshake starts only when the caller asks
	 * timers_may_send_initiation() again (say, for new traffic). */
	TIMERS_ACTION_GIVE_UP = 1u << 2,
	/* Build and send a handshake initiation now, then report
	 * timers_event_handshake_initiated().  The rate limit has already
	 * passed and the send is recorded: do not ask
	 * timers_may_send_initiation() again for it. */
	TIMERS_ACTION_SEND_INITIATION = 1u << 3,
	/* Send a keepalive (an empty data packet), or, without a usable
	 * keypair, stage one and ask for a handshake, exactly as sending any
	 * staged packet would. */
	TIMERS_ACTION_SEND_KEEPALIVE = 1u << 4,
};

struct timers {
	/* The deadlines.  Each is monotonic ns of the caller's clock;
	 * 0 = unarmed. */
	uint64_t retransmit_handshake;	/* monotonic ns; 0 = unarmed */
	uint64_t send_keepalive;	/* monotonic ns; 0 = unarmed */
	uint64_t new_handshake;		/* monotonic ns; 0 = unarmed */
	uint64_t zero_key_material;	/* monotonic ns; 0 = unarmed */
	uint64_t persistent_keepalive;	/* monotonic ns; 0 = unarmed */

	/* When the last initiation or response was sent (monotonic ns),
	 * meaningful only while sent_handshake is set. */
	uint64_t last_sent_handshake;
	/* Retries sent since the last initiation that was not a retry. */
	unsigned handshake_attempts;
	/* Seconds; 0 = off.  Set with timers_set_persistent_keepalive(). */
	uint16_t persistent_keepalive_interval;
	bool sent_handshake;
	/* Data arrived while the passive keepalive was already armed. */
	bool need_another_keepalive;
	/* The receive-side rekey was asked for during this session. */
	bool sent_lastminute_handshake;
	/* Deadlines may be armed: false between timers_stop() and
	 * timers_start() (the kernel's "interface up and peer alive"). */
	bool running;
};

/* A peer's timers, nothing armed, running, no initiation sent yet (so the
 * first one may go at once), persistent keepalive off. */
void timers_init(struct timers *t);
/* Cancels every deadline and stops arming new ones until timers_start():
 * peer removal or interface down.  Also forgets the last handshake sent,
 * as the kernel does on interface down, so that the first initiation
 * after timers_start() is not rate limited. */
void timers_stop(struct timers *t);
/* Interface up again: events arm deadlines again.  Nothing is armed by
 * this call; the caller sends its staged packets, and a keepalive when a
 * persistent keepalive interval is set, as the kernel does at up. */
void timers_start(struct timers *t);

/* Events.  now is the caller's monotonic clock, ns. */
void timers_event_handshake_initiated(struct timers *t, uint64_t now);
void timers_event_handshake_response_sent(struct timers *t, uint64_t now);
void timers_event_handshake_complete(struct timers *t, uint64_t now);
void timers_event_session_derived(struct timers *t, uint64_t now);
void timers_event_data_sent(struct timers *t, uint64_t now);
void timers_event_data_received(struct timers *t, uint64_t now);
void timers_event_any_authenticated_packet_sent(struct timers *t, uint64_t now);
void timers_event_any_authenticated_packet_received(struct timers *t, uint64_t now);
void timers_event_any_authenticated_packet_traversal(struct timers *t, uint64_t now);

/* The earliest armed deadline (monotonic ns), or 0 when none is armed. */
uint64_t timers_next_deadline(const struct timers *t);
/* Fires every deadline at or before now, earliest first, and returns the
 * union of their actions (0 if none was due).  A deadline cancelled by an
 * earlier one's expiry does not fire.  Whatever an expiry arms counts
 * from now, as a kernel timer running late counts from when it runs. */
unsigned timers_run(struct timers *t, uint64_t now) warn_unused;

/* Sets the persistent keepalive interval in seconds (0 = off).  Returns
 * TIMERS_ACTION_SEND_KEEPALIVE when it goes from off to on while running
 * (send one at once: that send arms the next), else 0.  Changing a
 * non-zero interval re-arms nothing; the new one applies from the next
 * packet.  Turning it off leaves the deadline armed, as the kernel does,
 * but it then fires no action. */
unsigned timers_set_persistent_keepalive(struct timers *t, uint16_t seconds,
					 uint64_t now) warn_unused;

/* The per-peer rate limit on initiations: true, and the send recorded at
 * now, unless an initiation or a response was sent less than
 * REKEY_TIMEOUT ago.  Retries are rate limited like any other initiation,
 * as in the kernel, where is_retry decides only this: a request that is
 * not a retry restarts the count of retries towards giving up, whether or
 * not it may be sent now.  The caller asks once per initiation it wants,
 * and sends one only on true. */
bool timers_may_send_initiation(struct timers *t, uint64_t now,
				bool is_retry) warn_unused;
/* Allows the next initiation at once: when the handshake in progress is
 * abandoned (the kernel does this when the local private key changes). */
void timers_reset_last_sent_handshake(struct timers *t);

/* Keypair age checks, the caller's to make on its current keypair (one
 * whose sending key is valid).  Ages compare as the kernel's
 * wg_birthdate_has_expired(): expired once now - birthdate >= limit. */

/* After sending data: ask for a new handshake (not a retry) when the
 * keypair has sent more than REKEY_AFTER_MESSAGES messages (send_counter
 * is the next nonce to use, i.e. messages sent so far), or, for the
 * initiator of that keypair only, when it is REKEY_AFTER_TIME old. */
bool timers_should_rekey_on_send(bool initiator, uint64_t keypair_birthdate,
				 uint64_t send_counter, uint64_t now) warn_unused;
/* After receiving data: the initiator of the current keypair asks for a
 * new handshake once it is REKEY_AFTER_TIME_RECV old, so that it
 * completes before REJECT_AFTER_TIME.  True at most once until the next
 * timers_event_handshake_complete(). */
bool timers_should_rekey_on_receive(struct timers *t, bool initiator,
				    uint64_t keypair_birthdate,
				    uint64_t now) warn_unused;
/* A keypair may no longer be used once it is REJECT_AFTER_TIME old or its
 * counter reaches REJECT_AFTER_MESSAGES: on send, counter is the nonce
 * about to be used; on receive, one past the newest counter accepted. */
bool timers_keypair_expired(uint64_t keypair_birthdate, uint64_t counter,
			    uint64_t now) warn_unused;

#endif
