/* The daemon's event ring, its bounds and its lines.  See events.h. */
#define _GNU_SOURCE
#include "events.h"

#include "common/encoding.h"
#include "crypto/crypto.h"
#include "proto/device.h"
#include "proto/ratelimiter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* One source's budget of failure records.  key: the family, then the
 * IPv4 address or the IPv6 /64. */
struct event_source {
	uint8_t key[9];
	bool used;
	uint64_t credit; /* ns; a record costs EVENTS_SOURCE_EVERY */
	uint64_t last;   /* monotonic ns of the last failure seen */
	uint64_t left_out;
};

enum { SOURCE_PROBES = 4 };
#define SOURCE_MAX ((uint64_t)EVENTS_SOURCE_BURST * EVENTS_SOURCE_EVERY)
#define GLOBAL_MAX ((uint64_t)EVENTS_GLOBAL_BURST * EVENTS_GLOBAL_EVERY)
#define LOG_MAX ((uint64_t)EVENTS_LOG_BURST * EVENTS_LOG_EVERY)

static const char *const kind_names[EVENT_KIND_COUNT] = {
	[EVENT_HANDSHAKE] = "handshake",
	[EVENT_ENDPOINT_CHANGED] = "endpoint_changed",
	[EVENT_PEER_STALE] = "peer_stale",
	[EVENT_ALLOWED_IP_MOVED] = "allowed_ip_moved",
	[EVENT_LOAD_ENTERED] = "under_load",
	[EVENT_LOAD_LEFT] = "load_normal",
	[EVENT_HANDSHAKE_FAILED] = "handshake_failed",
	[EVENT_PEER_ADDED] = "peer_added",
	[EVENT_PEER_REMOVED] = "peer_removed",
	[EVENT_PEER_CHANGED] = "peer_changed",
};

const char *events_kind_name(enum event_kind kind)
{
	return (unsigned)kind < EVENT_KIND_COUNT ? kind_names[kind] : "unknown";
}

int events_init(struct events *e)
{
	int err;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	e->next_seq = 1;
	e->global_credit = GLOBAL_MAX;
	e->log_credit = LOG_MAX;
	e->ring = calloc(EVENTS_RING, sizeof(*e->ring));
	e->sources = calloc(EVENTS_SOURCES, sizeof(*e->sources));
	if (!e->ring || !e->sources) {
		events_uninit(e);
		return -ENOMEM;
	}
	err = crypto_random(e->hash_key, sizeof(e->hash_key));
	if (!err) {
		e->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (e->fd < 0)
			err = -errno;
	}
	if (err) {
		events_uninit(e);
		return err;
	}
	pthread_mutex_init(&e->lock, NULL);
	return 0;
}

void events_uninit(struct events *e)
{
	if (e->fd >= 0) {
		close(e->fd);
		pthread_mutex_destroy(&e->lock);
	}
	free(e->ring);
	free(e->sources);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

/* ---- the bound on failures ------------------------------------------------ */

/* credit + the time since last, at most max. */
static uint64_t refill(uint64_t credit, uint64_t last, uint64_t now, uint64_t max)
{
	uint64_t idle = now > last ? now - last : 0;

	return idle >= max - credit ? max : credit + idle;
}

static void source_key(uint8_t key[9], const struct event_addr *a)
{
	memset(key, 0, 9);
	key[0] = a->family == AF_INET ? 4 : 6;
	memcpy(key + 1, a->addr, a->family == AF_INET ? 4 : 8);
}

/* The source's slot, a free one, or one whose credit is full again (it
 * has been quiet long enough to forget); NULL if the probes find none. */
static struct event_source *source_slot(struct events *e, const struct event_addr *a,
					uint64_t now)
{
	uint8_t key[9];
	uint64_t h;
	struct event_source *spare = NULL;

	source_key(key, a);
	h = ratelimiter_hash(e->hash_key, key, sizeof(key));
	for (unsigned i = 0; i < SOURCE_PROBES; i++) {
		struct event_source *s = &e->sources[(h + i) % EVENTS_SOURCES];

		if (s->used && !memcmp(s->key, key, sizeof(key)))
			return s;
		if (!spare && (!s->used || refill(s->credit, s->last, now, SOURCE_MAX) == SOURCE_MAX))
			spare = s;
	}
	if (spare) {
		memcpy(spare->key, key, sizeof(key));
		spare->used = true;
		spare->credit = SOURCE_MAX;
		spare->last = now;
		spare->left_out = 0;
	}
	return spare;
}

/* Under e->lock: whether a failure from r->a may be recorded; fills
 * r->value with the source's failures left out before it. */
static bool failure_allowed(struct events *e, struct event_record *r, uint64_t now)
{
	struct event_source *s = source_slot(e, &r->a, now);

	if (s) {
		s->credit = refill(s->credit, s->last, now, SOURCE_MAX);
		s->last = now;
	}
	e->global_credit = refill(e->global_credit, e->global_last, now, GLOBAL_MAX);
	e->global_last = now;
	if ((s && s->credit < EVENTS_SOURCE_EVERY) || e->global_credit < EVENTS_GLOBAL_EVERY) {
		if (s)
			s->left_out++;
		e->suppressed++;
		return false;
	}
	e->global_credit -= EVENTS_GLOBAL_EVERY;
	r->value = 0;
	if (s) {
		s->credit -= EVENTS_SOURCE_EVERY;
		r->value = s->left_out;
		s->left_out = 0;
	}
	return true;
}

bool events_record(struct events *e, struct event_record *r, uint64_t now)
{
	pthread_mutex_lock(&e->lock);
	if (r->kind == EVENT_HANDSHAKE_FAILED && !failure_allowed(e, r, now)) {
		pthread_mutex_unlock(&e->lock);
		return false;
	}
	r->seq = e->next_seq++;
	e->ring[r->seq % EVENTS_RING] = *r;
	pthread_mutex_unlock(&e->lock);
	if (!atomic_exchange(&e->pending, true)) {
		uint64_t one = 1;
		/* Full (2^64 - 2 wake-ups unread) cannot happen: the control
		 * thread reads it; a failed write only delays the log. */
		if (write(e->fd, &one, sizeof(one)) < 0)
			atomic_store(&e->pending, false);
	}
	return true;
}

/* ---- records from the core ------------------------------------------------- */

static void from_endpoint(struct event_addr *a, const struct endpoint *ep)
{
	memset(a, 0, sizeof(*a));
	if (!ep || !ep->family)
		return;
	a->family = ep->family;
	memcpy(a->addr, ep->addr, ep->family == AF_INET ? 4 : 16);
	a->port = ep->port;
}

void events_from_device(struct event_record *r, const struct device_event *ev)
{
	static const uint8_t kinds[] = {
		[DEVICE_EVENT_HANDSHAKE] = EVENT_HANDSHAKE,
		[DEVICE_EVENT_ENDPOINT_CHANGED] = EVENT_ENDPOINT_CHANGED,
		[DEVICE_EVENT_STALE] = EVENT_PEER_STALE,
		[DEVICE_EVENT_ALLOWED_IP_MOVED] = EVENT_ALLOWED_IP_MOVED,
		[DEVICE_EVENT_LOAD_ENTERED] = EVENT_LOAD_ENTERED,
		[DEVICE_EVENT_LOAD_LEFT] = EVENT_LOAD_LEFT,
		[DEVICE_EVENT_HANDSHAKE_FAILED] = EVENT_HANDSHAKE_FAILED,
	};

	memset(r, 0, sizeof(*r));
	r->kind = kinds[ev->type];
	if (ev->peer) {
		r->has_peer = true;
		memcpy(r->peer, ev->peer->public_key, sizeof(r->peer));
	}
	if (ev->other) {
		r->has_other = true;
		memcpy(r->other, ev->other->public_key, sizeof(r->other));
	}
	from_endpoint(&r->a, ev->new_ep);
	from_endpoint(&r->b, ev->old_ep);
	r->initiator = ev->initiator;
	r->rekey = ev->rekey;
	r->reason = (uint8_t)ev->reason;
	r->value = ev->ns;
	if (ev->type == DEVICE_EVENT_ALLOWED_IP_MOVED) {
		r->a.family = ev->family;
		memcpy(r->a.addr, ev->addr, ev->family == AF_INET ? 4 : 16);
		r->cidr = ev->cidr;
	}
}

/* ---- lines ------------------------------------------------------------------ */

static void put(char *buf, size_t *off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *buf, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= EVENTS_LINE_MAX)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, EVENTS_LINE_MAX - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n;
}

static void put_key(char *buf, size_t *off, const char *name, const uint8_t key[32])
{
	char b64[KEY_B64_LEN + 1];

	encoding_key_to_base64(b64, key);
	put(buf, off, " %s=%s", name, b64);
}

static void put_addr(char *buf, size_t *off, const char *name, const struct event_addr *a)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (!a->family) {
		put(buf, off, " %s=none", name);
		return;
	}
	inet_ntop(a->family, a->addr, ip, sizeof(ip));
	if (a->family == AF_INET6)
		put(buf, off, " %s=[%s]:%u", name, ip, a->port);
	else
		put(buf, off, " %s=%s:%u", name, ip, a->port);
}

static void put_changes(char *buf, size_t *off, uint64_t mask)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ EVENT_CHANGED_ENDPOINT, "endpoint" },
		{ EVENT_CHANGED_ALLOWED_IPS, "allowed_ips" },
		{ EVENT_CHANGED_KEEPALIVE, "persistent_keepalive" },
		{ EVENT_CHANGED_PRESHARED_KEY, "preshared_key" },
	};
	const char *sep = " changed=";

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (mask & names[i].bit) {
			put(buf, off, "%s%s", sep, names[i].name);
			sep = ",";
		}
	}
}

/* Seconds with three decimals, from ns. */
static void put_secs(char *buf, size_t *off, const char *name, uint64_t ns)
{
	put(buf, off, " %s=%" PRIu64 ".%03" PRIu64, name, (uint64_t)(ns / NSEC_PER_SEC),
	    (uint64_t)(ns % NSEC_PER_SEC / 1000000));
}

char *events_format(char buf[EVENTS_LINE_MAX], const struct event_record *r)
{
	size_t off = 0;

	buf[0] = '\0';
	put(buf, &off, "event=%s", events_kind_name(r->kind));
	if (r->has_peer)
		put_key(buf, &off, "peer", r->peer);
	switch (r->kind) {
	case EVENT_HANDSHAKE:
		put_addr(buf, &off, "endpoint", &r->a);
		put(buf, &off, " role=%s rekey=%s", r->initiator ? "initiator" : "responder",
		    r->rekey ? "yes" : "no");
		break;
	case EVENT_ENDPOINT_CHANGED:
		put_addr(buf, &off, "old", &r->b);
		put_addr(buf, &off, "new", &r->a);
		break;
	case EVENT_PEER_STALE:
		put_addr(buf, &off, "endpoint", &r->a);
		put_secs(buf, &off, "last_handshake_age", r->value);
		break;
	case EVENT_ALLOWED_IP_MOVED: {
		char ip[INET6_ADDRSTRLEN] = "?";
		inet_ntop(r->a.family, r->a.addr, ip, sizeof(ip));
		put(buf, &off, " allowed_ip=%s/%u", ip, r->cidr);
		if (r->has_other)
			put_key(buf, &off, "from", r->other);
		break;
	}
	case EVENT_LOAD_LEFT:
		put_secs(buf, &off, "duration", r->value);
		break;
	case EVENT_HANDSHAKE_FAILED:
		put(buf, &off, " reason=%s", device_drop_reason_name((enum drop_reason)r->reason));
		put_addr(buf, &off, "source", &r->a);
		if (r->value)
			put(buf, &off, " suppressed=%" PRIu64, r->value);
		break;
	case EVENT_PEER_CHANGED:
		put_changes(buf, &off, r->value);
		break;
	default:
		break;
	}
	return buf;
}

/* ---- the reply ---------------------------------------------------------------- */

char *events_reply(struct events *e, uint64_t since, size_t *len)
{
	struct event_record *copy;
	uint64_t first, next, lost = 0;
	size_t n, cap, off = 0;
	char *text, line[EVENTS_LINE_MAX];

	copy = malloc(EVENTS_RING * sizeof(*copy));
	if (!copy)
		return NULL;
	pthread_mutex_lock(&e->lock);
	next = e->next_seq;
	first = next > EVENTS_RING ? next - EVENTS_RING : 1; /* the oldest kept */
	if (since + 1 < first)
		lost = first - (since + 1);
	else
		first = since + 1;
	n = first < next ? (size_t)(next - first) : 0;
	for (size_t i = 0; i < n; i++)
		copy[i] = e->ring[(first + i) % EVENTS_RING];
	pthread_mutex_unlock(&e->lock);

	/* "rampart_event=" SEQ " " SEC "." NSEC " " TEXT "\n" */
	cap = n * (EVENTS_LINE_MAX + 64) + 128;
	text = malloc(cap);
	if (!text) {
		free(copy);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(text + off, cap - off,
					"rampart_event=%" PRIu64 " %" PRIu64 ".%09u %s\n", copy[i].seq,
					copy[i].sec, copy[i].nsec, events_format(line, &copy[i]));
	off += (size_t)snprintf(text + off, cap - off,
				"rampart_next=%" PRIu64 "\nrampart_lost=%" PRIu64 "\nerrno=0\n\n",
				next - 1, lost);
	free(copy);
	*len = off;
	return text;
}

/* ---- the log ------------------------------------------------------------------- */

unsigned events_drain(struct events *e, uint64_t now,
		      void (*log)(void *arg, const char *line), void *arg)
{
	struct event_record r;
	unsigned handed = 0;
	char line[EVENTS_LINE_MAX + 64];

	atomic_store(&e->pending, false);
	for (;;) {
		uint64_t first;
		bool have = false;

		pthread_mutex_lock(&e->lock);
		first = e->next_seq > EVENTS_RING ? e->next_seq - EVENTS_RING : 1;
		if (e->logged_seq + 1 < first) {
			/* Overwritten before the log saw them. */
			e->skipped += first - (e->logged_seq + 1);
			e->not_logged += first - (e->logged_seq + 1);
			e->logged_seq = first - 1;
		}
		if (e->logged_seq + 1 < e->next_seq) {
			r = e->ring[(e->logged_seq + 1) % EVENTS_RING];
			e->logged_seq++;
			have = true;
		}
		pthread_mutex_unlock(&e->lock);
		if (!have)
			break;

		e->log_credit = refill(e->log_credit, e->log_last, now, LOG_MAX);
		e->log_last = now;
		if (e->log_credit < EVENTS_LOG_EVERY) {
			e->skipped++;
			e->not_logged++;
			continue;
		}
		e->log_credit -= EVENTS_LOG_EVERY;
		events_format(line, &r);
		if (e->skipped) {
			size_t l = strlen(line);
			snprintf(line + l, sizeof(line) - l, " not_logged_before=%llu", e->skipped);
			e->skipped = 0;
		}
		log(arg, line);
		handed++;
	}
	return handed;
}

void events_counters(struct events *e, unsigned long long *suppressed,
		     unsigned long long *not_logged)
{
	pthread_mutex_lock(&e->lock);
	*suppressed = e->suppressed;
	pthread_mutex_unlock(&e->lock);
	/* The control thread's own: get=1 runs on it. */
	*not_logged = e->not_logged;
}
