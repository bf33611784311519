/* The UAPI operations against the running device: a snapshot for get=1,
 * and applying a validated set=1 plan all or nothing.  The daemon is
 * reached only through control.h; what is done to the device itself is
 * apply.c's, which knows no daemon.
 *
 * All or nothing: everything that can fail for a reason other than memory
 * is settled before the first change.  The new sockets of a listen-port
 * change are bound first (a taken port fails the whole set with
 * -EADDRINUSE), a new fwmark is set on the sockets first (and taken back
 * if a later socket refuses it), and room for the new peers is counted
 * against MAX_PEERS and reserved (apply_reserve).  Only running out of
 * memory halfway through adding prefixes can leave part of a plan
 * applied; that is logged as an error. */
#define _GNU_SOURCE
#include "control.h"
#include "apply.h"
#include "takeover.h"

#include "uapi/uapi.h"

#include <errno.h>

/* ---- get ---------------------------------------------------------------- */

/* The device under dev_lock: the key, the core's counters and the peers.
 * 0 or -errno. */
static int snapshot_device(struct daemon *d, struct uapi_device *snap)
{
	int err;

	daemon_lock_device(d);
	err = apply_snapshot(daemon_device(d), snap, daemon_now());
	daemon_unlock_device(d);
	return err;
}

/* The daemon's own counters, after the core's. */
static int snapshot_counters(struct daemon *d, struct uapi_device *snap)
{
	struct daemon_counters c;
	int err = 0;

	unsigned long long suppressed, not_logged;

	daemon_read_counters(d, &c);
	daemon_event_counters(d, &suppressed, &not_logged);
	const struct {
		const char *name;
		unsigned long long value;
	} own[] = {
		{ "handshake_queue_full", c.handshake_queue_full },
		{ "datagram_truncated", c.datagram_truncated },
		{ "datagrams_received", c.datagrams_received },
		{ "datagram_send_failed", c.datagram_send_failed },
		{ "tun_write_failed", c.tun_write_failed },
		{ "tun_gso_read", c.tun_gso_read },
		{ "tun_gso_bad", c.tun_gso_bad },
		{ "tun_gso_written", c.tun_gso_written },
		{ "udp_gso_sent", c.udp_gso_sent },
		{ "udp_gro_received", c.udp_gro_received },
		{ "handshake_queue_len", c.handshake_queue_len },
		{ "packet_buffers_in_use", c.packet_buffers_in_use },
		{ "packet_buffers_free", c.packet_buffers_free },
		{ "events_suppressed", suppressed },
		{ "events_not_logged", not_logged },
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]) && !err; i++)
		if (own[i].value)
			err = uapi_device_add_counter(snap, own[i].name, own[i].value);
	return err;
}

char *daemon_uapi_get(struct daemon *d, unsigned flags, size_t *len, int *err)
{
	struct uapi_device *snap;
	char *text = NULL;

	snap = uapi_device_alloc();
	if (!snap) {
		*err = -ENOMEM;
		return NULL;
	}
	snap->flags |= UAPI_DEVICE_HAS_LISTEN_PORT | UAPI_DEVICE_HAS_FWMARK;
	daemon_socket_info(d, &snap->listen_port, &snap->fwmark);
	*err = snapshot_device(d, snap);
	if (!*err)
		*err = snapshot_counters(d, snap);
	if (!*err) {
		text = uapi_format_get(snap, flags, len);
		if (!text)
			*err = -ENOMEM;
	}
	uapi_device_free(snap);
	return text;
}

/* ---- set ---------------------------------------------------------------- */

static void record_event(void *arg, struct event_record *r, uint64_t now)
{
	daemon_record_event(arg, r, now);
}

int daemon_uapi_set(struct daemon *d, const struct uapi_device *set)
{
	const struct daemon_socket_request req = {
		.set_port = set->flags & UAPI_DEVICE_HAS_LISTEN_PORT,
		.port = set->listen_port,
		.set_fwmark = set->flags & UAPI_DEVICE_HAS_FWMARK,
		.fwmark = set->fwmark,
	};
	struct apply_env env;
	uint64_t now = daemon_now();
	int err;

	err = daemon_sockets_prepare(d, &req);
	if (err)
		return err;
	daemon_lock_device(d);
	env = (struct apply_env){
		.dev = daemon_device(d),
		.takeovers = daemon_takeovers(d),
		.record = record_event,
		.arg = d,
	};
	err = apply_reserve(&env, set);
	if (err) {
		daemon_unlock_device(d);
		daemon_sockets_abort(d);
		return err;
	}

	/* From here on, the plan is applied. */
	daemon_sockets_commit(d);
	err = apply_set(&env, set, now);
	/* Takeovers of peers that had their handshake before this set:
	 * here, under the locks the set holds, as on the control thread's
	 * wake-up (after apply_set's warning about moved prefixes: these
	 * moves are asked for). */
	if (daemon_takeovers(d)->n_due)
		takeover_run(daemon_takeovers(d), d, now);
	daemon_rearm_timer(d);
	daemon_unlock_device(d);
	daemon_sockets_finish(d);
	return err;
}
