/* The daemon's event log: what happened to the tunnel, as it happened.
 * The core reports handshakes, roaming, stale peers, moved allowed IPs,
 * load and failed handshakes (struct device_event); the control path
 * reports peers added, removed and changed.  Each becomes a fixed-size
 * record with a sequence number and the wall-clock time, kept in a ring
 * of the last EVENTS_RING records, and one key=value line in the log
 * (syslog once detached).  docs/events.md lists every event and field.
 *
 * Two bounds, because a remote party decides how often handshakes fail:
 *   - failed handshakes are recorded at most EVENTS_SOURCE_BURST at once
 *     per source (an IPv4 address, an IPv6 /64), then one per
 *     EVENTS_SOURCE_EVERY, and at most EVENTS_GLOBAL_BURST at once from
 *     all sources, then one per EVENTS_GLOBAL_EVERY; the rest are counted
 *     (the core's drop counters count every one, and `suppressed` here
 *     counts those not recorded; the next record from a source says how
 *     many of its own were left out);
 *   - log lines: at most EVENTS_LOG_BURST at once, then one per
 *     EVENTS_LOG_EVERY; the ring keeps what the log skipped, and the next
 *     line logged after a gap says how many were skipped.
 *
 * Concurrency: events_record() may run on any thread, under dev_lock (the
 * core's callbacks) or not; it takes e->lock, a leaf.  events_reply() takes
 * e->lock too.  events_drain() runs on the control thread only, which also
 * owns the log side; it formats lines outside e->lock.  The record path
 * makes one system call, a write to the eventfd, only for the first
 * record the control thread has not yet been told of. */
#ifndef RAMPART_DAEMON_EVENTS_H
#define RAMPART_DAEMON_EVENTS_H

#include "common/compiler.h"
#include "proto/messages.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	EVENTS_RING = 4096,
	EVENTS_SOURCES = 256,          /* sources whose failures are limited apart */
	EVENTS_SOURCE_BURST = 3,
	EVENTS_GLOBAL_BURST = 20,
	EVENTS_LOG_BURST = 100,
	EVENTS_LINE_MAX = 384,         /* the longest line, NUL included */
};
#define EVENTS_SOURCE_EVERY (60 * NSEC_PER_SEC)
#define EVENTS_GLOBAL_EVERY (1 * NSEC_PER_SEC)
#define EVENTS_LOG_EVERY (NSEC_PER_SEC / 20)

enum event_kind {
	EVENT_HANDSHAKE,
	EVENT_ENDPOINT_CHANGED,
	EVENT_PEER_STALE,
	EVENT_ALLOWED_IP_MOVED,
	EVENT_LOAD_ENTERED,
	EVENT_LOAD_LEFT,
	EVENT_HANDSHAKE_FAILED,
	EVENT_PEER_ADDED,
	EVENT_PEER_REMOVED,
	EVENT_PEER_CHANGED,
	EVENT_KIND_COUNT,
};

/* EVENT_PEER_CHANGED: what a set changed on an existing peer. */
enum event_peer_change {
	EVENT_CHANGED_ENDPOINT = 1u << 0,
	EVENT_CHANGED_ALLOWED_IPS = 1u << 1,
	EVENT_CHANGED_KEEPALIVE = 1u << 2,
	EVENT_CHANGED_PRESHARED_KEY = 1u << 3,
};

struct event_addr {
	int family; /* 0 = none */
	uint8_t addr[16];
	uint16_t port;
};

struct event_record {
	uint64_t seq;          /* from 1, filled by events_record() */
	uint64_t sec;          /* wall clock, filled by the caller */
	uint32_t nsec;
	uint8_t kind;          /* enum event_kind */
	uint8_t reason;        /* HANDSHAKE_FAILED: enum drop_reason */
	uint8_t cidr;          /* ALLOWED_IP_MOVED */
	bool initiator, rekey; /* HANDSHAKE */
	bool has_peer, has_other;
	uint8_t peer[32];      /* the peer's public key */
	uint8_t other[32];     /* ALLOWED_IP_MOVED: the previous holder */
	/* endpoint (HANDSHAKE, STALE), new endpoint (ENDPOINT_CHANGED),
	 * source (HANDSHAKE_FAILED), prefix (ALLOWED_IP_MOVED, no port) */
	struct event_addr a;
	struct event_addr b;   /* ENDPOINT_CHANGED: the old endpoint */
	/* STALE: ns since the last handshake; LOAD_LEFT: ns under load;
	 * HANDSHAKE_FAILED: failures of this source left out before it;
	 * PEER_CHANGED: enum event_peer_change bits */
	uint64_t value;
};

struct event_source; /* events.c */

struct events {
	pthread_mutex_t lock;  /* protects everything up to the log side */
	struct event_record *ring;
	uint64_t next_seq;     /* of the next record */
	struct event_source *sources;
	uint8_t hash_key[16];
	uint64_t global_credit, global_last; /* ns of credit, monotonic ns */
	unsigned long long suppressed;       /* failures not recorded */
	int fd;                /* eventfd: records the control thread has not seen */
	atomic_bool pending;
	/* The log side: control thread only. */
	uint64_t logged_seq;   /* the last record looked at for the log */
	uint64_t log_credit, log_last;
	unsigned long long not_logged;     /* in all */
	unsigned long long skipped;        /* since the last line logged */
};

/* 0 or -errno. */
int events_init(struct events *e) warn_unused;
void events_uninit(struct events *e);

/* Records r (the caller filled everything but seq) at now, the monotonic
 * clock in ns, for the limit on failures.  false if it was left out. */
bool events_record(struct events *e, struct event_record *r, uint64_t now);

struct device_event;
/* The record of an event of the core (kind, peer, addresses, value); the
 * caller stamps the time. */
void events_from_device(struct event_record *r, const struct device_event *ev);

/* The stable name of a kind ("handshake", ...). */
const char *events_kind_name(enum event_kind kind);

/* The key=value text of a record, without seq and time:
 * "event=handshake peer=KEY endpoint=ADDR:PORT role=initiator rekey=no".
 * Returns buf. */
char *events_format(char buf[EVENTS_LINE_MAX], const struct event_record *r);

/* The reply to rampart_events=1 with since=N: one line per record newer
 * than seq N still in the ring,
 *   rampart_event=SEQ SEC.NSEC TEXT
 * then rampart_next=SEQ (the seq to ask from next time), rampart_lost=N
 * (records after N already overwritten), and "errno=0\n\n".  NULL with
 * errno ENOMEM. */
char *events_reply(struct events *e, uint64_t since, size_t *len);

/* Control thread: hands each record not yet looked at to log(arg, line),
 * within the log's bound, at now (monotonic ns).  Returns the lines
 * handed over. */
unsigned events_drain(struct events *e, uint64_t now,
		      void (*log)(void *arg, const char *line), void *arg);

/* The counters for get=1. */
void events_counters(struct events *e, unsigned long long *suppressed,
		     unsigned long long *not_logged);

#endif
