/* The client side of the userspace control socket: what wg(8) does with
 * /var/run/wireguard/IFNAME.sock, for `rampart show/showconf/set/setconf/
 * addconf/syncconf` and for `rampart up/down`.  The protocol is
 * docs/uapi-contract.md in the shared folder.
 *
 * Three layers, each usable alone:
 *  - pure functions on buffers, which neither print nor touch the system:
 *    the get-reply reader (incremental, and wgctl_parse_get() for a whole
 *    buffer), the set-request builder, the `set` argv grammar (it reads
 *    key files, nothing else), and the show/showconf formatters, which
 *    reproduce wireguard-tools v1.0.20210914 byte for byte;
 *  - name resolution of endpoints (getaddrinfo, as wg(8) does);
 *  - socket I/O: one connection per operation, a bounded reply, a timeout
 *    on every wait, so a dead or stopped daemon never hangs the caller.
 *
 * Errors: functions return 0 or -errno and write a message into the
 * caller's err buffer.  When the daemon itself refused (errno=-N in its
 * reply) the message is exactly strerror(N), so that the CLI's
 * "Unable to modify interface: %s" matches wg(8); local failures (no
 * socket, timeout, malformed reply) add what and where.  No message ever
 * quotes a private or preshared key.
 *
 * Secrets: devices and changes are wiped when freed; line buffers are
 * wiped after every line; requests and receive buffers are wiped after
 * use. */
#ifndef RAMPART_CTL_WGCTL_H
#define RAMPART_CTL_WGCTL_H

#include "common/compiler.h"
#include "conf/config.h"
#include "common/encoding.h"
#include "common/netaddr.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf;

enum {
	/* Interface names are IFNAMSIZ - 1 bytes at most. */
	WGCTL_IFNAME_MAX = 15,
	/* Longest reply line, without its "\n".  The longest line a daemon
	 * writes is an IPv6 endpoint with a scope, under 80 bytes. */
	WGCTL_LINE_MAX = 4096,
	/* Largest reply accepted.  A device with the kernel's maximum of
	 * 2^20 peers, each with a few allowed IPs, stays well below. */
	WGCTL_REPLY_MAX = 256 << 20,
	/* Rampart's drop counters: distinct reasons kept, and the longest
	 * reason name ("invalid_mac1"). */
	WGCTL_DROPS_MAX = 256,
	WGCTL_DROP_REASON_MAX = 63,
	/* Enough for any message written into err (names and paths in it
	 * are cut past 160 characters). */
	WGCTL_ERROR_STRLEN = 2048,
	/* Default wait for any one step of an exchange (connect, send,
	 * reply), in milliseconds; RAMPART_WGCTL_TIMEOUT_MS overrides it. */
	WGCTL_TIMEOUT_MS = 15000,
};

/* --- the running device ------------------------------------------------ */

/* What a get reply says about one peer beyond its configuration. */
struct wgctl_peer_stats {
	/* Wall clock (CLOCK_REALTIME) of the latest handshake; 0/0 = never. */
	int64_t last_handshake_sec;
	int64_t last_handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
};

/* rampart_drop_<reason>=<count>: datagrams rampartd dropped for a reason. */
struct wgctl_drop {
	char reason[WGCTL_DROP_REASON_MAX + 1];
	uint64_t count;
};

/* A snapshot of a running interface, as a get reply describes it.  The
 * configuration lives in a struct conf, filled as `wg showconf` would
 * write it: has_listen_port and has_fwmark only when non-zero, a peer's
 * has_preshared_key only for a non-zero key, has_keepalive only when on,
 * endpoints numeric.  wg(8) derives the public key from the private key;
 * this layer has no curve25519, so the caller fills public_key. */
struct wgctl_device {
	char name[WGCTL_IFNAME_MAX + 1];
	struct conf *conf;                /* owned */
	bool has_public_key;
	uint8_t public_key[KEY_LEN];
	struct wgctl_peer_stats *stats;   /* one per conf->peers[i] */
	size_t cap_stats;
	struct wgctl_drop *drops;         /* in the order received */
	size_t n_drops, cap_drops;
};

/* Wipes and frees; NULL is a no-op. */
void wgctl_device_free(struct wgctl_device *dev);

/* --- reading replies --------------------------------------------------- */

enum wgctl_reply_kind {
	WGCTL_REPLY_GET, /* device keys, peers, errno=N, empty line */
	WGCTL_REPLY_SET, /* errno=N, empty line */
};

/* An incremental reply reader.  Embed it; the fields are private.
 *
 * What it accepts: lines "key=value\n" up to WGCTL_LINE_MAX bytes, at most
 * WGCTL_REPLY_MAX bytes in all, ending with exactly one "errno=N" line
 * (N = 0 or a negative errno, magnitude below 4096; a positive N is taken
 * as the error it names) followed by an empty line.  As wg(8) does, it
 * ignores keys it does not know, device keys after the first public_key
 * and peer keys before it; it is stricter than wg(8) about what it does
 * know: a bad value, a line without '=', a NUL byte, a line after errno=
 * or a missing errno= line is a protocol error (-EPROTO).  Endpoints must
 * be numeric (wg(8) would resolve a name a daemon sent).  Rampart's
 * extension, rampart_drop_<reason>=<count> among the device keys, fills
 * device->drops; reasons are 1..63 of [a-z0-9_]. */
struct wgctl_reader {
	enum wgctl_reply_kind kind;
	int state;
	unsigned line;
	size_t bytes;
	int daemon_err;            /* from errno=, once seen */
	bool in_peer;
	struct wgctl_device *dev;  /* get: being built */
	int err;
	char msg[WGCTL_ERROR_STRLEN];
	size_t line_len;
	char line_buf[WGCTL_LINE_MAX + 1];
};

void wgctl_reader_init(struct wgctl_reader *r, enum wgctl_reply_kind kind);
/* Frees a device in progress and wipes the line buffer. */
void wgctl_reader_uninit(struct wgctl_reader *r);
/* Consumes bytes (any bytes) up to the end of the reply.  Returns 0 when
 * it used them all and wants more, 1 when the reply is complete (*consumed
 * says how many bytes it took; the rest is not its business), or -errno
 * (-EPROTO, -ENOMEM) with the reason in msg.  After an error or the end,
 * it keeps returning the same. */
int wgctl_reader_feed(struct wgctl_reader *r, const void *buf, size_t len,
		      size_t *consumed) warn_unused;
/* The peer closed its side: -EPROTO unless the reply was complete. */
int wgctl_reader_finish(struct wgctl_reader *r) warn_unused;
/* After the reply is complete: the daemon's verdict, 0 or -N from errno=.
 * For a successful get, *out receives the device (the caller frees it);
 * out may be NULL for set replies. */
int wgctl_reader_take(struct wgctl_reader *r, struct wgctl_device **out) warn_unused;

/* The whole reply to get=1 in buf: 0 and a new device in *out; the
 * daemon's -N with strerror(N) in err; or -EPROTO / -ENOMEM with the
 * reason ("reply line 3: invalid listen_port \"x\": not a decimal
 * number").  Bytes after the terminating empty line are a protocol
 * error. */
int wgctl_parse_get(const void *buf, size_t len, struct wgctl_device **out,
		    char *err, size_t errlen) warn_unused;
/* The same for the reply to set=1: 0, -N, or -EPROTO. */
int wgctl_parse_set_reply(const void *buf, size_t len, char *err,
			  size_t errlen) warn_unused;

/* --- changes: what a set=1 request asks for ----------------------------- */

struct wgctl_allowed_ip {
	struct netaddr_prefix prefix;
	bool remove; /* allowed_ip=-P/L (`allowed-ips -P/L` in newer wg) */
};

/* One peer entry, as wg(8)'s struct wgpeer. */
struct wgctl_peer_change {
	uint8_t public_key[KEY_LEN];
	bool remove;                    /* remove=true, and nothing else */
	bool has_preshared_key;
	uint8_t preshared_key[KEY_LEN]; /* secret; all zeros removes it */
	bool has_endpoint;
	struct netaddr_endpoint endpoint; /* a host name until resolved */
	bool has_keepalive;
	uint16_t keepalive;             /* 0 turns it off */
	bool replace_allowed_ips;
	struct wgctl_allowed_ip *allowed_ips;
	size_t n_allowed_ips, cap_allowed_ips;
};

/* A whole set request, as wg(8)'s struct wgdevice. */
struct wgctl_change {
	bool has_private_key;
	uint8_t private_key[KEY_LEN]; /* secret; all zeros removes it */
	bool has_listen_port;
	uint16_t listen_port;
	bool has_fwmark;
	uint32_t fwmark;
	bool replace_peers;
	struct wgctl_peer_change **peers; /* each allocated alone, in order */
	size_t n_peers, cap_peers;
};

enum wgctl_mode { WGCTL_SETCONF, WGCTL_ADDCONF, WGCTL_SYNCCONF };

/* NULL with errno on failure. */
struct wgctl_change *wgctl_change_alloc(void);
/* Wipes and frees; NULL is a no-op. */
void wgctl_change_free(struct wgctl_change *c);
/* Appends a zeroed entry for key: the entry, or NULL with errno (ENOMEM,
 * E2BIG past CONF_PEERS_MAX). */
struct wgctl_peer_change *wgctl_change_add_peer(struct wgctl_change *c,
						const uint8_t key[KEY_LEN]);
/* 0, -ENOMEM, or -E2BIG past CONF_LIST_MAX. */
int wgctl_peer_add_allowed_ip(struct wgctl_peer_change *p,
			      const struct netaddr_prefix *prefix, bool remove) warn_unused;

/* The wg(8) part of conf as the request `wg setconf` / `wg addconf` would
 * send; wg-quick keys are ignored.  SETCONF and SYNCCONF always send the
 * private key (zeros if none), listen port and fwmark (0 if none) and
 * replace_peers; ADDCONF only what conf sets.  Every peer replaces its
 * allowed IPs.  SYNCCONF then needs wgctl_change_sync().  0 or -ENOMEM. */
int wgctl_change_from_conf(const struct conf *conf, enum wgctl_mode mode,
			   struct wgctl_change **out) warn_unused;
/* Turns a SYNCCONF change into what `wg syncconf` sends, given the running
 * device: when both the change and the device have peers, no
 * replace_peers, and a remove=true entry, first, for every running peer
 * the change does not name (in descending key order, as wg(8) builds
 * them).  0 or -ENOMEM. */
int wgctl_change_sync(struct wgctl_change *c, const struct wgctl_device *running) warn_unused;

/* The `wg set IFNAME ...` grammar, argv being what follows IFNAME:
 * listen-port, fwmark, private-key FILE, then peer KEY [remove]
 * [preshared-key FILE] [endpoint HOST:PORT] [persistent-keepalive N|off]
 * [allowed-ips LIST]..., where LIST entries may carry a '+' (add) or '-'
 * (remove) prefix as in newer wg(8), which then keeps the peer's other
 * allowed IPs.  Key files are read as wg(8) reads them (an empty file or
 * /dev/null means zeros: remove the key).  Endpoints are checked, not
 * resolved.  Warnings (a key file readable by others, host bits set in
 * an allowed IP) are appended as lines to warnings if it is non-NULL.
 * 0 and a new change, or -EINVAL / -errno with the message in err. */
int wgctl_parse_set_args(int argc, char *const argv[], struct wgctl_change **out,
			 struct textbuf *warnings, char *err, size_t errlen) warn_unused;

/* Reads a key file as wg(8) does: 44 base64 characters, then nothing but
 * whitespace; an empty file gives zeros.  *exposed says whether the file
 * is a regular file readable by group or others. */
int wgctl_read_key_file(const char *path, uint8_t key[KEY_LEN], bool *exposed,
			char *err, size_t errlen) warn_unused;

/* The exact set=1 request wg(8) writes for c (plus "allowed_ip=-P/L" for
 * removals), ending with its empty line.  Endpoints must be numeric
 * (-EINVAL otherwise: resolve first). */
int wgctl_format_set(struct textbuf *out, const struct wgctl_change *c,
		     char *err, size_t errlen) warn_unused;

/* Resolves every endpoint of c in place as wg(8) does: getaddrinfo with
 * AF_UNSPEC and UDP, the first answer, written back numerically; host
 * names are retried on temporary failures per WG_ENDPOINT_RESOLUTION_RETRIES
 * (default 15, "infinity"), with a warning before each wait.  Message:
 * "<gai error>: `host:port'". */
int wgctl_change_resolve(struct wgctl_change *c, char *err, size_t errlen) warn_unused;

/* --- configuration files ----------------------------------------------- */

/* Reads (at most WGCONF_FILE_MAX bytes) and parses a wg-quick style file:
 * 0 and a new conf; -EINVAL with "FILE:LINE: KEY: why" for a bad file;
 * -errno with "Unable to open `FILE': why" when it cannot be read. */
int wgctl_load_conf(const char *path, struct conf **out, char *err,
		    size_t errlen) warn_unused;
/* wg setconf refuses wg-quick's keys; so does this: 0, or -EINVAL naming
 * the first such line ("FILE:3: Address: wg-quick key ..."). */
int wgctl_conf_check_wg_only(const struct conf *conf, const char *filename,
			     char *err, size_t errlen) warn_unused;

/* --- the socket -------------------------------------------------------- */

/* Where the sockets live: /var/run/wireguard unless set (tests). */
void wgctl_set_socket_dir(const char *dir);
/* Per-step timeout in milliseconds (0 restores the default). */
void wgctl_set_timeout(unsigned ms);

/* The interfaces with a live socket, in directory order as wg(8) lists
 * them (it does not sort): *out is a NULL-terminated array of names,
 * released with wgctl_list_free().  A missing directory is an empty list.
 * Sockets that refuse connections (stale) are skipped, not removed. */
int wgctl_list_interfaces(char ***out, size_t *n, char *err, size_t errlen) warn_unused;
void wgctl_list_free(char **list);

/* One get=1: 0 and a new device named ifname. */
int wgctl_get_device(const char *ifname, struct wgctl_device **out, char *err,
		     size_t errlen) warn_unused;
/* One set=1 of c (endpoints resolved already). */
int wgctl_set_device(const char *ifname, const struct wgctl_change *c, char *err,
		     size_t errlen) warn_unused;

/* Loads conf (its wg(8) part) into the running interface IFNAME: 0, or
 * -errno with a message in err. */
int wgctl_apply_conf(const char *ifname, const struct conf *conf,
		     enum wgctl_mode mode, char *err, size_t errlen) warn_unused;
/* The running configuration as a new struct conf (private key, listen
 * port, fwmark, peers with public key, preshared key, endpoint, keepalive,
 * allowed IPs): 0, or -errno with a message in err.  Used by showconf and
 * SaveConfig. */
int wgctl_get_conf(const char *ifname, struct conf **out, char *err,
		   size_t errlen) warn_unused;

/* --- formatting, as wg(8) prints --------------------------------------- */

enum wgctl_show_flags {
	WGCTL_SHOW_COLOR = 1 << 0, /* ANSI colours, as on a terminal */
	WGCTL_SHOW_KEYS = 1 << 1,  /* WG_HIDE_KEYS=never: no "(hidden)" */
};

/* "1 year, 2 days, 1 hour, 1 minute, 5 seconds", units left out when
 * zero (so 0 gives ""); 365-day years.  Returns the length. */
size_t wgctl_format_duration(char *buf, size_t size, uint64_t secs, bool color);
/* "Now", "<duration> ago", or the clock-wound-backward notice. */
void wgctl_format_ago(char *buf, size_t size, int64_t then_sec, int64_t now_sec,
		      bool color);
/* "1023 B", "1.46 KiB", ... "TiB", two decimals, 1024-based. */
void wgctl_format_bytes(char *buf, size_t size, uint64_t bytes, bool color);

/* `wg show IFNAME`: peers sorted by latest handshake, newest first, never
 * last, ties in reply order; now is the wall clock in seconds. */
void wgctl_format_pretty(struct textbuf *o, const struct wgctl_device *dev,
			 int64_t now, unsigned flags);
/* True for the field names `show` takes after IFNAME: wg(8)'s, and
 * "drops". */
bool wgctl_valid_field(const char *field);
/* `wg show IFNAME FIELD` (with_ifname: `wg show all FIELD`); "drops"
 * prints "<reason>\t<count>" per counter received.  -EINVAL for an
 * unknown field, nothing written. */
int wgctl_format_field(struct textbuf *o, const struct wgctl_device *dev,
		       const char *field, bool with_ifname) warn_unused;
/* `wg showconf IFNAME`. */
void wgctl_format_showconf(struct textbuf *o, const struct wgctl_device *dev);

#endif
