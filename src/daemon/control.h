/* The narrow interface between the UAPI operations (control.c) and the
 * rest of the daemon: the seam privilege separation will cut at.
 * control.c sees struct daemon only as an opaque pointer and uses these
 * functions (daemon.c) and the core's device API, nothing else.  Everything
 * here runs on the control thread unless it says otherwise. */
#ifndef RAMPART_DAEMON_CONTROL_H
#define RAMPART_DAEMON_CONTROL_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct device;
struct uapi_device;

/* CLOCK_BOOTTIME, ns: the `now` of every call into the core (it keeps
 * counting through suspend).  The wall clock is the core's wall_clock op. */
uint64_t daemon_now(void);

/* dev_lock: the device and everything reachable from it (daemon.h has the
 * lock order).  Any thread. */
void daemon_lock_device(struct daemon *d);
void daemon_unlock_device(struct daemon *d);

/* "Must hold dev_lock": aborts in debug builds (RAMPART_DEBUG) unless the
 * calling thread took dev_lock through daemon_lock_device(); nothing in
 * release builds. */
#ifdef RAMPART_DEBUG
bool daemon_lock_held(struct daemon *d) warn_unused;
#define daemon_assert_locked(d) debug_assert(daemon_lock_held(d))
#else
#define daemon_assert_locked(d) ((void)(d))
#endif

/* The core's device; must hold dev_lock for as long as it is used. */
struct device *daemon_device(struct daemon *d);

/* The rampart_takeover pairings (takeover.h); must hold dev_lock for as
 * long as they are used. */
struct takeovers *daemon_takeovers(struct daemon *d);

/* After anything that may have moved the device's next deadline
 * earlier; must hold dev_lock. */
void daemon_rearm_timer(struct daemon *d);

/* Wakes every data thread to look at the socket set again. */
void daemon_wake_workers(struct daemon *d);

/* ---- the UDP sockets ---------------------------------------------------- */

/* The bound listen port and the sockets' fwmark (0 = none). */
void daemon_socket_info(struct daemon *d, uint16_t *port, uint32_t *fwmark);

/* What a set asks of the sockets. */
struct daemon_socket_request {
	bool set_port;
	uint16_t port;   /* 0 = a random port */
	bool set_fwmark;
	uint32_t fwmark; /* 0 removes the mark */
};

/* A socket change in three steps around the device change, so that a set
 * applies all or nothing:
 *
 *   daemon_sockets_prepare()  before dev_lock: binds the new sockets of a
 *       new port (a taken port is -EADDRINUSE) or sets a new mark on the
 *       current ones, taking it back if one refuses; on 0, the socket set
 *       is held (sock_lock) until finish or abort; on -errno nothing
 *       changed and nothing is held;
 *   daemon_sockets_commit()   under dev_lock, once nothing else can fail:
 *       takes the new sockets into use;
 *   daemon_sockets_finish()   after dev_lock: lets the socket set go and
 *       wakes the data threads to watch new sockets;
 *
 * or daemon_sockets_abort() after dev_lock instead of commit and finish:
 * restores the mark, closes the new sockets, lets the socket set go. */
int daemon_sockets_prepare(struct daemon *d, const struct daemon_socket_request *req) warn_unused;
void daemon_sockets_commit(struct daemon *d);
void daemon_sockets_finish(struct daemon *d);
void daemon_sockets_abort(struct daemon *d);

/* ---- counters ----------------------------------------------------------- */

/* Handshakes dropped because the handshake queue was full; read under
 * hsq.lock, where the workers write it. */
unsigned long long daemon_handshakes_dropped(struct daemon *d);

/* The daemon's own counters beside the core's, without dev_lock. */
struct daemon_counters {
	unsigned long long handshake_queue_full;
	unsigned long long datagram_truncated;
	unsigned long long datagrams_received;
	unsigned long long datagram_send_failed;
	unsigned long long tun_write_failed;
	unsigned long long tun_gso_read, tun_gso_bad, tun_gso_written;
	unsigned long long udp_gso_sent, udp_gro_received;
	/* Gauges: what is queued and held now (a soak watches them). */
	unsigned long long handshake_queue_len;
	unsigned long long packet_buffers_in_use, packet_buffers_free;
};
void daemon_read_counters(struct daemon *d, struct daemon_counters *out);

/* ---- events ------------------------------------------------------------- */

struct event_record;
/* Stamps r with the wall clock and records it (events.h); now is the
 * monotonic clock, 0 to read it.  Any thread, with or without dev_lock. */
void daemon_record_event(struct daemon *d, struct event_record *r, uint64_t now);
/* The reply to rampart_events=1 since=N (events_reply()); NULL with
 * -errno in *err. */
char *daemon_events_reply(struct daemon *d, uint64_t since, size_t *len, int *err);
/* Events left out and log lines skipped (events_counters()). */
void daemon_event_counters(struct daemon *d, unsigned long long *suppressed,
			   unsigned long long *not_logged);

/* ---- what control.c offers ---------------------------------------------- */

/* The UAPI operations, called by the servers on the control thread.  get:
 * the whole reply text formatted with flags (UAPI_GET_*; uapi_text_free)
 * or NULL with -errno in *err.  set: applies the plan all or nothing; 0
 * or -errno. */
char *daemon_uapi_get(struct daemon *d, unsigned flags, size_t *len, int *err);
int daemon_uapi_set(struct daemon *d, const struct uapi_device *set) warn_unused;

#endif
