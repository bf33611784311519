/* The client's half of the control protocol, on buffers: the reader of
 * get and set replies, which fills a struct uapi_device, and the builder
 * of set=1 requests from one.  wireguard-tools keeps the same two halves
 * in ipc-uapi.c; here they neither print nor touch the system, so that
 * unit tests and fuzzers feed them directly.  The protocol is
 * docs/uapi-contract.md in the shared folder.
 *
 * What a get reply fills (as wg(8)'s userspace_get_device() does): the
 * device's PRIVATE_KEY, LISTEN_PORT and FWMARK flags whenever the line is
 * there, even for 0; a peer's PRESHARED_KEY only for a non-zero key,
 * ENDPOINT and KEEPALIVE (even 0) whenever the line is there; every
 * allowed IP as an ADD step.  It never fills HAS_PUBLIC_KEY: this room has
 * no curve25519, the caller derives it.  Rampart's drop counters,
 * rampart_drop_<reason>=N among the device keys, become counters named
 * "drop_<reason>" (what follows "rampart_", as the daemon names them),
 * one per reason, the last value winning; other rampart_ keys are ignored
 * like any unknown key.
 *
 * Secrets: the line buffer is wiped after every line; a device in
 * progress is freed (and so wiped) by uapi_reply_uninit(). */
#ifndef RAMPART_UAPI_CLIENT_H
#define RAMPART_UAPI_CLIENT_H

#include "uapi/device.h"

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf;

enum {
	/* Longest reply line, without its "\n".  The longest line a daemon
	 * writes is an IPv6 endpoint with a scope, under 80 bytes. */
	UAPI_REPLY_LINE_MAX = 4096,
	/* Largest reply accepted.  A device with the kernel's maximum of
	 * 2^20 peers, each with a few allowed IPs, stays well below. */
	UAPI_REPLY_MAX = 256 << 20,
	/* Characters of a drop reason: the counter name less "drop_". */
	UAPI_DROP_REASON_MAX = UAPI_COUNTER_NAME_MAX - 5,
};

enum uapi_reply_kind {
	UAPI_REPLY_GET, /* device keys, peers, errno=N, empty line */
	UAPI_REPLY_SET, /* errno=N, empty line */
	UAPI_REPLY_EVENTS, /* rampart_events=1's: rampart_event lines, next,
			    * lost, errno=N, empty line (uapi.h) */
};

/* One event of a rampart_events=1 reply: "SEQ SEC.NSEC TEXT", TEXT the
 * daemon's key=value line ("event=handshake peer=..."), printable ASCII. */
struct uapi_event {
	uint64_t seq;
	uint64_t sec;
	uint32_t nsec;
	char *text;
};

struct uapi_events {
	struct uapi_event *ev;
	size_t n, cap;
	uint64_t next; /* the seq to ask after next time */
	uint64_t lost; /* events after the asked seq the daemon no longer had */
};

void uapi_events_free(struct uapi_events *e);

/* An incremental reply reader.  Embed it; the fields are private.
 *
 * What it accepts: lines "key=value\n" up to UAPI_REPLY_LINE_MAX bytes, at
 * most UAPI_REPLY_MAX bytes in all, ending with exactly one "errno=N" line
 * (N = 0 or a negative errno, magnitude below 4096; a positive N is taken
 * as the error it names) followed by an empty line.  As wg(8) does, it
 * ignores keys it does not know, device keys after the first public_key
 * and peer keys before it; it is stricter than wg(8) about what it does
 * know: a bad value, a line without '=', a NUL byte, a line after errno=
 * or a missing errno= line is a protocol error (-EPROTO).  Endpoints must
 * be numeric (wg(8) would resolve a name a daemon sent).  Drop reasons are
 * 1..63 of [a-z0-9_], and at most UAPI_DROP_REASON_MAX (58) so that
 * "drop_<reason>" fits a counter name. */
struct uapi_reply_reader {
	enum uapi_reply_kind kind;
	int state;
	unsigned line;
	size_t bytes;
	int daemon_err;           /* from errno=, once seen */
	bool in_peer;
	struct uapi_device *dev;  /* get: being built */
	struct uapi_events *events; /* events: being built */
	int err;
	struct error error;       /* why, once err is set */
	size_t line_len;
	char line_buf[UAPI_REPLY_LINE_MAX + 1];
};

void uapi_reply_init(struct uapi_reply_reader *r, enum uapi_reply_kind kind);
/* Frees a device in progress and wipes the line buffer. */
void uapi_reply_uninit(struct uapi_reply_reader *r);
/* Consumes bytes (any bytes) up to the end of the reply.  Returns 0 when
 * it used them all and wants more, 1 when the reply is complete (*consumed
 * says how many bytes it took; the rest is not its business), or -errno
 * (-EPROTO, -ENOMEM) with the reason in error.  After an error or the end,
 * it keeps returning the same. */
int uapi_reply_feed(struct uapi_reply_reader *r, const void *buf, size_t len,
		    size_t *consumed) warn_unused;
/* The peer closed its side: -EPROTO unless the reply was complete. */
int uapi_reply_finish(struct uapi_reply_reader *r) warn_unused;
/* After the reply is complete: the daemon's verdict, 0 or -N from errno=.
 * For a successful get, *out receives the device (the caller frees it
 * with uapi_device_free()); out may be NULL for set replies. */
int uapi_reply_take(struct uapi_reply_reader *r, struct uapi_device **out) warn_unused;
/* The same for an events reply: *out receives the events
 * (uapi_events_free()). */
int uapi_reply_take_events(struct uapi_reply_reader *r, struct uapi_events **out) warn_unused;
/* The last failure of r. */
const struct error *uapi_reply_error(const struct uapi_reply_reader *r);

/* The whole reply to get=1 in buf: 0 and a new device in *out; the
 * daemon's -N with strerror(N) in err; or -EPROTO / -ENOMEM with the
 * reason ("reply line 3: invalid listen_port \"x\": not a decimal
 * number").  Bytes after the terminating empty line are a protocol
 * error. */
int uapi_reply_parse_get(const void *buf, size_t len, struct uapi_device **out, struct error *err) warn_unused;
/* The same for the reply to set=1: 0, -N, or -EPROTO. */
int uapi_reply_parse_set(const void *buf, size_t len, struct error *err) warn_unused;

/* The exact set=1 request wg(8)'s userspace_set_device() writes for dev,
 * ending with its empty line: private_key, listen_port, fwmark and
 * replace_peers=true by their flags, then per peer public_key and either
 * remove=true alone, or update_only=true, preshared_key, endpoint and
 * persistent_keepalive_interval by their flags and the allowed-IP steps
 * in their order (replace_allowed_ips=true where a REPLACE step stands,
 * allowed_ip=-P/L for a REMOVE).  Endpoints must be numeric (-EINVAL
 * otherwise: resolve first); the statistics and counters are ignored. */
int uapi_format_set(struct textbuf *out, const struct uapi_device *dev, struct error *err) warn_unused;

/* s for a message: printable ASCII kept, quotes, backslashes and the rest
 * escaped, shortened past 160 bytes; with hide, "(hidden)" if it holds a
 * run of 32 key-alphabet characters (it might be a key).  Terminal escapes
 * from argv or a daemon never reach the screen.  Returns dst; size of at
 * least UAPI_QUOTED_STRLEN holds any result. */
enum { UAPI_QUOTED_STRLEN = 4 * 160 + 8 };
const char *uapi_client_quote(char *dst, size_t size, const char *s, bool hide);

#endif
