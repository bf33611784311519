/* The UAPI operations on a bare device: the get=1 snapshot of a struct
 * device, and a validated set=1 plan applied to one.  No daemon around
 * them: no sockets, locks, threads or clock of their own, so that they
 * run on devices built by hand (the fuzz target fuzz_uapi_roundtrip).
 * control.c wraps them in what the daemon adds: dev_lock held around
 * every call, the socket set (listen port, fwmark) changed before and
 * after, the daemon's own counters, and the takeovers that a set makes
 * due carried out after apply_set().
 *
 * The caller serializes every call on a device (the daemon: dev_lock). */
#ifndef RAMPART_DAEMON_APPLY_H
#define RAMPART_DAEMON_APPLY_H

#include "common/compiler.h"

#include <stdint.h>

struct device;
struct event_record;
struct takeovers;
struct uapi_device;

/* What a set acts on. */
struct apply_env {
	struct device *dev;
	struct takeovers *takeovers; /* the rampart_takeover pairings of dev */
	/* Where the set's events go (peer added, removed, changed), r not
	 * yet stamped with the wall clock; now as given to apply_set(). */
	void (*record)(void *arg, struct event_record *r, uint64_t now);
	void *arg;
};

/* The device's part of a get=1 reply into snap: the private key, the
 * core's counters (now is the monotonic clock, for the load and session
 * gauges) and every peer, with its allowed IPs, in the order they were
 * added.  The listen port, the fwmark and the daemon's counters are the
 * caller's.  0 or -errno (snap then holds part of it). */
int apply_snapshot(const struct device *dev, struct uapi_device *snap, uint64_t now) warn_unused;

/* Counts the peers the plan leaves against MAX_PEERS and the takeovers
 * against TAKEOVER_MAX (-ENOSPC past either) and makes room for them
 * (-ENOMEM), so that apply_set() cannot fail but for memory.  Changes
 * nothing that anyone sees. */
int apply_reserve(const struct apply_env *env, const struct uapi_device *set) warn_unused;

/* After apply_reserve(): the plan's private key, replace_peers, then each
 * peer entry in order (uapi.h says what each means), with their events.
 * The listen port and the fwmark are not the device's and are left to
 * the caller; takeovers this makes due too (env->takeovers->n_due).
 * 0, or -errno when memory ran out halfway (the plan is then partly
 * applied, which is logged). */
int apply_set(const struct apply_env *env, const struct uapi_device *set, uint64_t now) warn_unused;

#endif
