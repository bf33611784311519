/* Rotation with overlap (docs/rotation.md): a peer added with
 * rampart_takeover=OLD takes over every allowed IP of the peer OLD at its
 * first completed handshake, and OLD is removed; until then OLD works as
 * before and the new peer holds no address of OLD's.  A prefix has one
 * owner at every moment: the move is one allowedips insert per prefix,
 * each of which takes the prefix from OLD.
 *
 * The pairings live beside the device and are protected by dev_lock, as
 * the device is.  The core reports the handshake through its event
 * callback, on the receive path, where nothing may call back into the
 * device; so the event only marks the pairing due and pokes the control
 * thread, which carries the move out right after under sock_lock (read
 * side) and dev_lock, as a set does.  Nothing of this appears in get=1:
 * wg(8) sees the new peer as a peer with no allowed IPs. */
#ifndef RAMPART_DAEMON_TAKEOVER_H
#define RAMPART_DAEMON_TAKEOVER_H

#include "common/compiler.h"
#include "common/encoding.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct device;

enum {
	/* Pending takeovers at once: rotations in flight, not peers. */
	TAKEOVER_MAX = 1024,
};

struct takeover {
	uint8_t new_key[KEY_LEN];
	uint8_t old_key[KEY_LEN];
	bool due; /* the new key completed a handshake */
};

struct takeovers {
	struct takeover v[TAKEOVER_MAX];
	size_t n;
	size_t n_due;
};

/* Whether more pairings fit (an upper bound: re-pairing a new key reuses
 * its slot); -ENOSPC if not.  Must hold dev_lock. */
int takeover_reserve(const struct takeovers *t, size_t more) warn_unused;
/* Pairs new_key with old_key, replacing new_key's earlier pairing; fits
 * after takeover_reserve().  Must hold dev_lock. */
void takeover_record(struct takeovers *t, const uint8_t new_key[KEY_LEN],
		     const uint8_t old_key[KEY_LEN]);
/* A peer went away: every pairing that names key, on either side, goes
 * too.  Must hold dev_lock. */
void takeover_forget(struct takeovers *t, const uint8_t key[KEY_LEN]);
void takeover_forget_all(struct takeovers *t);
/* key completed a handshake: true if that made a pairing due (the caller
 * wakes the control thread).  Cheap: a scan of the pending pairings,
 * none in the common case.  Must hold dev_lock. */
bool takeover_handshake(struct takeovers *t, const uint8_t key[KEY_LEN]);

/* The due takeovers, on the control thread; must hold sock_lock (read
 * side) and dev_lock.  For each: OLD's prefixes are moved to the new
 * peer, OLD is removed (a peer_removed event and a log line say so), and
 * the pairing goes.  A pairing whose OLD is gone already just goes.
 * Returns how many took place. */
size_t takeover_run(struct takeovers *t, struct daemon *d, uint64_t now);

#endif
