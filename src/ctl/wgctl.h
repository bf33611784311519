/* The client side of the userspace control socket: what wg(8) does with
 * /var/run/wireguard/IFNAME.sock, for `rampart show/showconf/set/setconf/
 * addconf/syncconf` and for `rampart up/down`.  The protocol is
 * docs/uapi-contract.md in the shared folder.
 *
 * Requests and replies are one model, struct uapi_device (uapi/device.h),
 * and their wire form is uapi/client.h.  This room adds, each usable
 * alone:
 *  - this file: a set request from a configuration (setconf, addconf,
 *    syncconf), the running configuration back as a struct conf, name
 *    resolution of endpoints (getaddrinfo, as wg(8) does), and the whole
 *    apply;
 *  - setargs.h: the `set` argv grammar and key files;
 *  - socket.h: socket I/O, one connection per operation, a bounded reply,
 *    a timeout on every wait, so a dead or stopped daemon never hangs the
 *    caller;
 *  - show.h: the show/showconf formatters, which reproduce wireguard-tools
 *    v1.0.20210914 byte for byte.
 *
 * Errors: functions return 0 or -errno and fill the caller's struct
 * error.  When the daemon itself refused (errno=-N in its
 * reply) the message is exactly strerror(N), so that the CLI's
 * "Unable to modify interface: %s" matches wg(8); local failures (no
 * socket, timeout, malformed reply) add what and where.  No message ever
 * quotes a private or preshared key.
 *
 * Secrets: devices are wiped when freed; requests and receive buffers are
 * wiped after use. */
#ifndef RAMPART_CTL_WGCTL_H
#define RAMPART_CTL_WGCTL_H

#include "common/compiler.h"
#include "common/error.h"
#include "uapi/client.h"

#include <stddef.h>

struct conf;
struct uapi_device;

enum {
	/* Interface names are IFNAMSIZ - 1 bytes at most. */
	WGCTL_IFNAME_MAX = UAPI_IFNAME_MAX,
};

enum wgctl_mode { WGCTL_SETCONF, WGCTL_ADDCONF, WGCTL_SYNCCONF };

/* The wg(8) part of conf as the request `wg setconf` / `wg addconf` would
 * send; wg-quick keys are ignored.  SETCONF and SYNCCONF always send the
 * private key (zeros if none), listen port and fwmark (0 if none) and
 * REPLACE_PEERS; ADDCONF only what conf sets.  Every peer starts with a
 * REPLACE step, then adds its allowed IPs.  SYNCCONF then needs
 * wgctl_change_sync().  0 and a new device in *out, or -ENOMEM. */
int wgctl_change_from_conf(const struct conf *conf, enum wgctl_mode mode,
			   struct uapi_device **out) warn_unused;
/* Turns a SYNCCONF request into what `wg syncconf` sends, given the
 * running device: when both have peers, no REPLACE_PEERS, and a REMOVE
 * entry, first, for every running peer the request does not name (in
 * descending key order, as wg(8) builds them).  0 or -ENOMEM. */
int wgctl_change_sync(struct uapi_device *c, const struct uapi_device *running) warn_unused;

/* Resolves every endpoint of c in place as wg(8) does: getaddrinfo with
 * AF_UNSPEC and UDP, the first answer, written back numerically; host
 * names are retried on temporary failures per WG_ENDPOINT_RESOLUTION_RETRIES
 * (default 15, "infinity"), with a warning before each wait.  Message:
 * "<gai error>: `host:port'".  Peers with UAPI_PEER_REMOVE are skipped. */
int wgctl_change_resolve(struct uapi_device *c, struct error *err) warn_unused;

/* The configuration of a get reply as a new struct conf, as `wg showconf`
 * would write it: has_listen_port and has_fwmark only when non-zero, a
 * peer's has_preshared_key only for a non-zero key, has_keepalive only
 * when on.  0 or -ENOMEM. */
int wgctl_conf_from_device(const struct uapi_device *dev, struct conf **out) warn_unused;

/* --- configuration files ----------------------------------------------- */

/* Reads (at most WGCONF_FILE_MAX bytes) and parses a wg-quick style file:
 * 0 and a new conf; -EINVAL with "FILE:LINE: KEY: why" for a bad file;
 * -errno with "Unable to open `FILE': why" when it cannot be read. */
int wgctl_load_conf(const char *path, struct conf **out, struct error *err) warn_unused;
/* wg setconf refuses wg-quick's keys; so does this: 0, or -EINVAL naming
 * the first such line ("FILE:3: Address: wg-quick key ..."). */
int wgctl_conf_check_wg_only(const struct conf *conf, const char *filename,
			     struct error *err) warn_unused;

/* --- the whole operations ---------------------------------------------- */

/* Loads conf (its wg(8) part) into the running interface IFNAME: 0, or
 * -errno with a message in err. */
int wgctl_apply_conf(const char *ifname, const struct conf *conf,
		     enum wgctl_mode mode, struct error *err) warn_unused;
/* The running configuration as a new struct conf (private key, listen
 * port, fwmark, peers with public key, preshared key, endpoint, keepalive,
 * allowed IPs): 0, or -errno with a message in err.  Used by showconf and
 * SaveConfig. */
int wgctl_get_conf(const char *ifname, struct conf **out, struct error *err) warn_unused;

#endif
