/* A daemon's device without the daemon, for test_apply.c and the fuzz
 * target fuzz_uapi_roundtrip.c: a struct device whose datagrams go
 * nowhere, under a fixed clock, its takeovers, and the listen port and
 * fwmark a socket set would hold, driven through the daemon's own code
 * (src/daemon/apply.c) the way control.c drives it.  No socket, thread,
 * file or TUN device.
 *
 * The sockets are a model: a set's listen port and fwmark are taken as
 * they are, and listen_port=0 stays 0 (the daemon binds a random port,
 * which its get then shows), so a get leaves both out as for none.  The
 * daemon's own counters (control.c's snapshot_counters) are left out: a
 * bare device has no queues or sockets to count. */
#ifndef RAMPART_TESTS_BARE_DEVICE_H
#define RAMPART_TESTS_BARE_DEVICE_H

#include "crypto/crypto.h"
#include "daemon/apply.h"
#include "daemon/events.h"
#include "daemon/takeover.h"
#include "proto/device.h"
#include "uapi/uapi.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum {
	BARE_MTU = 1420,
	BARE_WALL_SEC = 1700000000, /* the wall clock of handshake timestamps */
};
/* The monotonic clock of every call: well past 0, which timers take for
 * "never". */
#define BARE_NOW (1000 * NSEC_PER_SEC)

struct bare {
	struct device dev;
	struct takeovers takeovers;
	uint16_t port;   /* the sockets' port; 0 = none bound */
	uint32_t fwmark; /* 0 = none */
	unsigned events[EVENT_KIND_COUNT]; /* the sets' events, by kind */
	uint64_t changes; /* the EVENT_PEER_CHANGED bits, or'ed */
	unsigned sent;    /* datagrams the device sent */
};

static inline int bare_send(void *arg, const struct endpoint *ep, const uint8_t *buf, size_t len)
{
	struct bare *b = arg;

	(void)ep, (void)buf, (void)len;
	b->sent++;
	return 0;
}

/* Nothing arrives, so nothing is delivered; and a bare device is handed
 * no packet of the caller's to give back. */
static inline void bare_deliver(void *arg, struct peer *peer, struct packet *p)
{
	(void)arg, (void)peer, (void)p;
}

static inline void bare_release(void *arg, struct packet *p)
{
	(void)arg, (void)p;
}

static inline void bare_wall_clock(void *arg, uint64_t *sec, uint32_t *nsec)
{
	(void)arg;
	*sec = BARE_WALL_SEC;
	*nsec = 0;
}

static inline void bare_record(void *arg, struct event_record *r, uint64_t now)
{
	struct bare *b = arg;

	(void)now;
	if (r->kind < EVENT_KIND_COUNT)
		b->events[r->kind]++;
	if (r->kind == EVENT_PEER_CHANGED)
		b->changes |= r->value;
}

/* A fresh device; NULL with errno.  crypto_init() first. */
static inline struct bare *bare_alloc(void)
{
	struct bare *b = calloc(1, sizeof(*b));
	struct device_ops ops = {
		.send = bare_send,
		.deliver = bare_deliver,
		.release = bare_release,
		.wall_clock = bare_wall_clock,
	};
	int err;

	if (!b)
		return NULL;
	ops.arg = b;
	err = device_init(&b->dev, &ops, BARE_MTU);
	if (err) {
		free(b);
		errno = -err;
		return NULL;
	}
	return b;
}

static inline void bare_free(struct bare *b)
{
	if (!b)
		return;
	device_uninit(&b->dev);
	free(b);
}

/* daemon_uapi_set() on the bare device: 0 or -errno, nothing changed on
 * an error of apply_reserve(). */
static inline int bare_set(struct bare *b, const struct uapi_device *set)
{
	const struct apply_env env = {
		.dev = &b->dev,
		.takeovers = &b->takeovers,
		.record = bare_record,
		.arg = b,
	};
	int err = apply_reserve(&env, set);

	if (err)
		return err;
	if (set->flags & UAPI_DEVICE_HAS_LISTEN_PORT)
		b->port = set->listen_port;
	if (set->flags & UAPI_DEVICE_HAS_FWMARK)
		b->fwmark = set->fwmark;
	return apply_set(&env, set, BARE_NOW);
}

/* daemon_uapi_get() on the bare device: the whole get=1 reply
 * (uapi_text_free), or NULL with -errno in *err. */
static inline char *bare_get(struct bare *b, size_t *len, int *err)
{
	struct uapi_device *snap = uapi_device_alloc();
	char *text = NULL;

	if (!snap) {
		*err = -ENOMEM;
		return NULL;
	}
	snap->flags |= UAPI_DEVICE_HAS_LISTEN_PORT | UAPI_DEVICE_HAS_FWMARK;
	snap->listen_port = b->port;
	snap->fwmark = b->fwmark;
	*err = apply_snapshot(&b->dev, snap, BARE_NOW);
	if (!*err) {
		text = uapi_format_get(snap, 0, len);
		if (!text)
			*err = -ENOMEM;
	}
	uapi_device_free(snap);
	return text;
}

/* The first operation of text through the daemon's parser: a set's plan
 * (uapi_device_free), or NULL with its error in *err (-EINPROGRESS if
 * the text holds no whole operation, -EINVAL for one that is no set). */
static inline struct uapi_device *bare_parse_set(const void *text, size_t len, int *err)
{
	struct uapi_parser p;
	struct uapi_request req;
	size_t used;
	enum uapi_status st;

	memset(&req, 0, sizeof(req));
	uapi_parser_init(&p);
	st = uapi_parser_feed(&p, text, len, &used, &req);
	uapi_parser_uninit(&p);
	*err = st == UAPI_MORE ? -EINPROGRESS : req.err;
	if (!*err && req.op != UAPI_OP_SET)
		*err = -EINVAL;
	if (*err) {
		uapi_device_free(req.set);
		return NULL;
	}
	return req.set;
}

#endif
