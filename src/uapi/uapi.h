/* The cross-platform userspace API (wireguard.com/xplatform) that wg(8)
 * and wg-quick(8) speak to a userspace implementation over
 * /var/run/wireguard/IFNAME.sock: its protocol layer, with no I/O.  The
 * daemon reads bytes, feeds them to a struct uapi_parser, applies the
 * plan of a complete set operation all or nothing, and writes back what
 * uapi_format_get() or uapi_format_errno() return.  The contract is
 * docs/uapi-contract.md in the shared folder.
 *
 * Wire format: lines "key=value\n"; an operation starts with "get=1" or
 * "set=1" and ends with an empty line; the reply ends with "errno=N\n\n",
 * N being 0 or a negative errno.  Several operations may follow each other
 * on one connection, each answered before the next is read.
 *
 * What the parser accepts, key by key, is what wireguard-go accepts
 * (device/uapi.go): exact lower-case keys, no whitespace, flags that take
 * only "true", decimal numbers, keys as 64 hex digits, "P/L" prefixes.
 * It refuses two things wireguard-go takes and wg(8) never sends: an
 * endpoint with port 0, and a line ending in "\r\n" (bufio.Scanner drops
 * the "\r").  Endpoints are numeric, IPv4 bare and IPv6 in brackets, as
 * wg(8) writes them after resolving names.
 *
 * Errors come in two kinds.  A bad line (unknown key, bad value, key in
 * the wrong place, no '=', a NUL byte) fails its operation: the parser
 * discards the rest of it up to its empty line and reports the first
 * error, and the connection carries on with the next operation.  A
 * framing error (a line longer than UAPI_LINE_MAX, an operation larger
 * than UAPI_REQUEST_MAX, a first line other than get=1, set=1 or
 * Rampart's own rampart_events=1) is fatal:
 * the stream can no longer be trusted, so the daemon answers with the
 * errno and closes the connection.
 *
 * Secrets: the line buffer is wiped after every line, plans and replies
 * are wiped when freed, and no error ever quotes a private or preshared
 * key (nor anything that looks like a key). */
#ifndef RAMPART_UAPI_UAPI_H
#define RAMPART_UAPI_UAPI_H

#include "device.h"

#include "common/compiler.h"
#include "common/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	/* Longest line, without its "\n".  The longest line wg(8) writes is
	 * an endpoint with an IPv6 scope, under 80 bytes.  wg(8) reads
	 * replies with getline() and has no limit; wireguard-go reads the
	 * lines of a set with bufio.Scanner, whose limit is 64 KiB
	 * (bufio.MaxScanTokenSize, answered with -EIO), and the operation
	 * line with no limit at all.  4096 leaves fifty times the longest
	 * real line. */
	UAPI_LINE_MAX = 4096,
	/* Largest operation, every byte from its first line to its empty
	 * line.  wg(8) sends a whole configuration as one set, so this
	 * bounds the configuration: 16 MiB holds 130,561 IPv6 /128
	 * allowed_ip lines (55 bytes each, 7.2 MB) twice over, or about
	 * 550,000 IPv4 /32 ones.  A parsed plan takes at most a few times
	 * the bytes of its request, doubling arrays included: measured,
	 * 16 MiB of allowed_ip lines for one peer make 29 MB (1.8x), 16 MiB
	 * of bare public_key lines (220,752 peers; a struct uapi_peer was
	 * 224 bytes for a line of 76) 52 MB (3.1x); the takeover key
	 * (docs/rotation.md) adds 32 bytes a peer, 7 MB more. */
	UAPI_REQUEST_MAX = 16 << 20,
	/* "errno=-2147483648\n\n" and a NUL. */
	UAPI_ERRNO_STRLEN = 24,
};

enum uapi_op {
	UAPI_OP_NONE, /* no valid operation line was read */
	UAPI_OP_GET,
	UAPI_OP_SET,
	/* Rampart's own, which wg(8) never sends: "rampart_events=1", an
	 * optional "since=SEQ" (decimal; 0 when absent), the empty line.
	 * The reply is the daemon's event ring after SEQ
	 * (src/daemon/events.h); wireguard-go hangs up on it. */
	UAPI_OP_EVENTS,
};

/* A set operation is parsed into a struct uapi_device (device.h): the
 * validated plan, nothing of it applied yet.  The daemon applies it all or
 * nothing, in this order: private key, listen port and fwmark,
 * UAPI_DEVICE_REPLACE_PEERS, then each peer entry in order.  An entry
 * whose public key equals the device's own public key (after the plan's
 * private key) is skipped, as the contract says.  Endpoints in a plan are
 * literal, port 1..65535, with the IPv6 scope as written after '%' (an
 * interface name, or its index in decimal), which the daemon maps to a
 * scope id.
 *
 * Each peer of the plan is everything the keys after one public_key line
 * ask for.  A key that appears twice counts once, the last time, except
 * allowed-IP steps, which all count, in order (replace_allowed_ips=true
 * is a UAPI_ALLOWED_IP_REPLACE step).  The same public key may start
 * several entries; they apply in order.
 *
 * UAPI_PEER_REMOVE and UAPI_PEER_UPDATE_ONLY hold for the whole entry
 * wherever they appear in it: a removed peer, or an update_only peer that
 * does not exist yet, gets nothing else from its entry.  (wireguard-go
 * applies the lines it read before them, then deletes the peer; the only
 * trace that leaves is that prefixes added by those lines have been taken
 * from other peers, which Rampart does not reproduce.) */

/* Where and why an operation failed, for the daemon's debug log, is a
 * struct error (common/error.h) with no file: line is 1-based within the
 * operation (get=1/set=1 is line 1), key the key quoted ("\"listen_port\""),
 * value the value quoted or "(hidden)", msg why ("not a decimal number").
 * Every string is safe to log: quoted, escaped, shortened, and "(hidden)"
 * for anything secret.
 *
 * "line N, key K, value V: MSG", leaving out what is absent.  Returns
 * what snprintf() returns. */
int uapi_error_format(char *buf, size_t size, const struct error *err);

/* What uapi_parser_feed() hands over when an operation is complete
 * (UAPI_READY) or the connection has to end (UAPI_FATAL). */
struct uapi_request {
	enum uapi_op op;
	int err;                 /* 0, or the negative errno to answer with */
	struct error error; /* when err != 0 */
	struct uapi_device *set; /* a set with err == 0: the plan, now the
				  * caller's (uapi_device_free); else NULL */
	uint64_t since;          /* UAPI_OP_EVENTS */
};

enum uapi_status {
	UAPI_MORE,  /* every byte given was consumed; no operation is complete */
	UAPI_READY, /* an operation is complete; bytes past its empty line
		     * were not consumed and belong to the next one */
	UAPI_FATAL, /* framing error: answer req->err, then close */
};

/* The state of one connection.  Embed it; the fields are private.  It
 * allocates only the plan of the set being read; its line buffer may hold
 * a key and is wiped after every line and by uapi_parser_uninit(). */
struct uapi_parser {
	int state;         /* idle, get, set, or dead after a fatal error */
	unsigned line;     /* lines of the current operation so far */
	size_t op_bytes;   /* bytes of the current operation so far */
	int err;           /* first error of the current operation */
	struct error error;
	struct uapi_device *set; /* the plan being built; NULL once it failed */
	uint64_t since;          /* rampart_events=1 */
	size_t line_len;
	char line_buf[UAPI_LINE_MAX + 1];
};

void uapi_parser_init(struct uapi_parser *p);
/* Frees a plan in progress and wipes the line buffer. */
void uapi_parser_uninit(struct uapi_parser *p);

/* Consumes bytes from buf (len of them; any bytes, NULs included) until an
 * operation completes, and says how many in *consumed.  On UAPI_READY and
 * UAPI_FATAL it fills *req; on UAPI_MORE it leaves *req alone.  After
 * UAPI_READY the caller answers, then feeds the rest (buf + *consumed).
 * After UAPI_FATAL every call returns UAPI_FATAL again.  Memory and time
 * are linear in the bytes fed, and bounded by the limits above. */
enum uapi_status uapi_parser_feed(struct uapi_parser *p, const void *buf, size_t len,
				  size_t *consumed, struct uapi_request *req) warn_unused;

/* The peer closed its side.  0 if the parser was between operations (or
 * dead already); -EPIPE if an operation was cut off, which is discarded
 * unapplied: an operation counts only with its empty line, so a client
 * that dies halfway through a setconf never leaves half a configuration
 * (wireguard-go applies whatever it read). */
int uapi_parser_finish(struct uapi_parser *p) warn_unused;

/* The whole reply to get=1 for a snapshot of the device (filled by the
 * daemon; nothing in it refers to struct device), in wireguard-go's order:
 * private_key (left out if absent or all zeros), listen_port and fwmark
 * (left out if absent or 0), then the counters, then per peer public_key,
 * preshared_key (always, zeros for none), protocol_version=1, endpoint (if
 * it has one), last_handshake_time_sec, last_handshake_time_nsec,
 * tx_bytes, rx_bytes, persistent_keepalive_interval (always, 0 if absent),
 * each UAPI_ALLOWED_IP_ADD entry, and finally "errno=0\n\n".  The name,
 * the public key and the steps other than ADD are not written.  With
 * UAPI_GET_NO_SECRETS (the statistics socket's reply) neither private_key
 * nor any preshared_key line is written, whatever dev holds.  Returns a
 * NUL-terminated string that may hold the keys, to release with
 * uapi_text_free(), its length in *len; or NULL with errno ENOMEM. */
enum uapi_get_flags {
	UAPI_GET_NO_SECRETS = 1 << 0,
};
char *uapi_format_get(const struct uapi_device *dev, unsigned flags, size_t *len);
/* Wipes and frees text from uapi_format_get(); NULL is a no-op. */
void uapi_text_free(char *text, size_t len);

/* "errno=-N\n\n" into buf; returns its length.  err is 0 or a negative
 * errno; a positive one is written negated, so the reply is never
 * positive (wg(8) prints strerror(-N)). */
size_t uapi_format_errno(char buf[UAPI_ERRNO_STRLEN], int err);

#endif
