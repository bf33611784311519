/* The confirm window of the safe apply (firewall.h): ending it, the
 * guard process that rolls it back at its deadline, and waiting for it.
 * Internal to src/firewall; every function but window_wait runs under
 * the lock of d. */
#ifndef RAMPART_FIREWALL_WINDOW_H
#define RAMPART_FIREWALL_WINDOW_H

#include "fwdir.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct firewall_ui;

/* Ends window p as how says (kept, rolled back, flushed), writing its
 * outcome; -EIO, with the record kept for another try, when restoring
 * or deleting the table failed. */
int window_settle(struct fwdir *d, const struct fwdir_pending *p, enum fwdir_outcome how,
		  const char *reason, struct error *err) warn_unused;
/* Reads the open window into *p; one past its deadline is rolled back
 * and counts as none.  1: live (free *p), 0: none, -errno. */
int window_live(struct fwdir *d, struct fwdir_pending *p, struct error *err) warn_unused;
/* Starts the guard of window id (deadline: CLOCK_BOOTTIME, ns) and
 * waits until it runs: 0 and its pid, or -errno. */
int window_guard_start(struct fwdir *d, const char *id, uint64_t deadline, pid_t *guard,
		       struct error *err) warn_unused;
/* Without the lock: waits for the end of window mine, asking ui (may be
 * NULL) about the operator; *kept says how it ended. */
int window_wait(struct fwdir *d, const struct fwdir_pending *mine,
		const struct firewall_ui *ui, bool *kept, struct error *err) warn_unused;

#endif
