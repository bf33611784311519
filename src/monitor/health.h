/* Peer health from a get reply: how old each peer's latest handshake is,
 * whether that is fresh, stale or never, and the verdict of a monitoring
 * check with Nagios/Icinga exit codes.  Pure: no I/O, the wall clock comes
 * in as `now` (CLOCK_REALTIME seconds, the clock of last_handshake_sec),
 * so that every verdict is tested with a fake clock.
 *
 * Semantics:
 *  - age = now - last_handshake_sec, whole seconds; a handshake in the
 *    future (the clock was stepped back) is age 0, fresh, as the daemon
 *    has certainly heard from the peer recently;
 *  - never: last_handshake 0/0 (no handshake since the peer was added);
 *  - stale: age > max_age (so max_age 0 accepts only a handshake of this
 *    very second); fresh otherwise.
 * A check of one peer (HEALTH_CHECK_PEER):
 *    OK fresh, CRITICAL stale or never, UNKNOWN no such peer.
 * A check of the whole interface:
 *    CRITICAL  some peer that has connected is stale;
 *    WARNING   no peer is stale, but some never connected, or none did,
 *              or the interface has no peers (nothing proves it works);
 *    OK        every peer has connected and is fresh.
 * Peers that never connected are only a warning, as the alert rules treat
 * them: a road-warrior server has clients that are simply not in use.
 * UNKNOWN for "the daemon cannot be asked" and bad arguments is the
 * caller's (it never gets a device to check). */
#ifndef RAMPART_MONITOR_HEALTH_H
#define RAMPART_MONITOR_HEALTH_H

#include "common/encoding.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf;
struct uapi_device;
struct uapi_peer;

enum health_state {
	HEALTH_NEVER, /* no handshake yet */
	HEALTH_OK,    /* latest handshake at most max_age seconds old */
	HEALTH_STALE, /* older */
};

/* The values are the plugin exit codes of the Nagios plugin API. */
enum health_verdict {
	HEALTH_VERDICT_OK = 0,
	HEALTH_VERDICT_WARNING = 1,
	HEALTH_VERDICT_CRITICAL = 2,
	HEALTH_VERDICT_UNKNOWN = 3,
};

enum {
	/* Default --max-handshake-age of `rampart status`: a session is
	 * rekeyed every 120 s (REKEY_AFTER_TIME) while in use, and an
	 * initiation may take REKEY_TIMEOUT 5 s plus jitter to answer, so
	 * an active peer never goes 180 s without a handshake. */
	HEALTH_DEFAULT_MAX_AGE = 180,
	/* Ages and max ages are capped here (136 years): keeps sums and
	 * printed widths bounded whatever a reply holds. */
	HEALTH_AGE_MAX = UINT32_MAX,
};

/* Seconds since p's latest handshake at now, 0..HEALTH_AGE_MAX, or -1
 * when there has been none. */
int64_t health_handshake_age(const struct uapi_peer *p, int64_t now);
/* p's state at now against max_age (seconds, >= 0). */
enum health_state health_peer_state(const struct uapi_peer *p, int64_t now, int64_t max_age);
/* "ok", "stale", "never". */
const char *health_state_name(enum health_state s);
/* "OK", "WARNING", "CRITICAL", "UNKNOWN". */
const char *health_verdict_name(enum health_verdict v);

enum health_check_flags {
	HEALTH_CHECK_PEER = 1 << 0, /* check only the peer `key` */
};

struct health_check {
	/* The question. */
	char ifname[16];
	unsigned flags; /* enum health_check_flags */
	uint8_t key[KEY_LEN]; /* HEALTH_CHECK_PEER */
	int64_t max_age; /* seconds */

	/* The answer. */
	enum health_verdict verdict;
	bool found; /* HEALTH_CHECK_PEER: the peer is on the interface */
	size_t n_peers, n_fresh, n_stale, n_never; /* the peers looked at */
	/* The largest age among peers that have connected (the peer's own
	 * age with HEALTH_CHECK_PEER); -1 if none has. */
	int64_t oldest_age;
};

/* Fills c's answer for dev at now; the question must be set (the name
 * is dev->name when c->ifname is ""). */
void health_check_device(struct health_check *c, const struct uapi_device *dev, int64_t now);
/* The plugin's one line, with perfdata, and a newline:
 *   RAMPART OK - wg0: 2/2 peers fresh, oldest handshake 12 s | peers=2;;;0 ...
 *   RAMPART CRITICAL - wg0 peer KEY: no handshake yet | handshake_age=U;;180;0
 */
void health_format_check(struct textbuf *o, const struct health_check *c);

#endif
