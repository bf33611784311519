/* wg(8)'s printers over a get reply (struct uapi_device): `show` in its
 * pretty and field forms and `showconf`, byte for byte as wireguard-tools
 * v1.0.20210914, plus Rampart's "drops" field.  Pure: text into a
 * textbuf. */
#ifndef RAMPART_CTL_SHOW_H
#define RAMPART_CTL_SHOW_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf;
struct uapi_device;

enum wgctl_show_flags {
	WGCTL_SHOW_COLOR = 1 << 0, /* ANSI colours, as on a terminal */
	WGCTL_SHOW_KEYS = 1 << 1,  /* WG_HIDE_KEYS=never: no "(hidden)" */
};

/* wg(8) derives the public key from the private key it was given: sets
 * UAPI_DEVICE_HAS_PUBLIC_KEY when dev has a private key.  0, -EIO (no
 * crypto) or -EINVAL. */
int wgctl_derive_public_key(struct uapi_device *dev) warn_unused;

/* "1 year, 2 days, 1 hour, 1 minute, 5 seconds", units left out when
 * zero (so 0 gives ""); 365-day years.  Returns the length. */
size_t wgctl_format_duration(char *buf, size_t size, uint64_t secs, bool color);
/* "Now", "<duration> ago", or the clock-wound-backward notice. */
void wgctl_format_ago(char *buf, size_t size, int64_t then_sec, int64_t now_sec,
		      bool color);
/* "1023 B", "1.46 KiB", ... "TiB", two decimals, 1024-based. */
void wgctl_format_bytes(char *buf, size_t size, uint64_t bytes, bool color);

/* `wg show IFNAME`: peers sorted by latest handshake, newest first, never
 * last, ties in reply order; now is the wall clock in seconds.  A listen
 * port, fwmark or keepalive of 0 is not shown, as in wg(8). */
void wgctl_format_pretty(struct textbuf *o, const struct uapi_device *dev,
			 int64_t now, unsigned flags);
/* True for the field names `show` takes after IFNAME: wg(8)'s, and
 * "drops". */
bool wgctl_valid_field(const char *field);
/* `wg show IFNAME FIELD` (with_ifname: `wg show all FIELD`); "drops"
 * prints "<reason>\t<count>" per counter "drop_<reason>" received.
 * -EINVAL for an unknown field, nothing written. */
int wgctl_format_field(struct textbuf *o, const struct uapi_device *dev,
		       const char *field, bool with_ifname) warn_unused;
/* `wg showconf IFNAME`. */
void wgctl_format_showconf(struct textbuf *o, const struct uapi_device *dev);

#endif
