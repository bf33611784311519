/* The `wg set IFNAME ...` grammar and the key files it names, as a set
 * request (struct uapi_device).  Pure but for reading key files. */
#ifndef RAMPART_CTL_SETARGS_H
#define RAMPART_CTL_SETARGS_H

#include "common/compiler.h"
#include "common/error.h"
#include "common/encoding.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct textbuf;
struct uapi_device;

/* argv being what follows IFNAME: listen-port, fwmark, private-key FILE,
 * then peer KEY [remove] [preshared-key FILE] [endpoint HOST:PORT]
 * [persistent-keepalive N|off] [allowed-ips LIST]..., where LIST entries
 * may carry a '+' (add) or '-' (remove) prefix as in newer wg(8), which
 * then keeps the peer's other allowed IPs.  As before, the last
 * `allowed-ips` of a peer decides: if it has no '+'/'-' entry, the peer's
 * steps start with one REPLACE.  Key files are read as wg(8) reads them
 * (an empty file or /dev/null means zeros: remove the key).  Endpoints
 * are checked, not resolved.  Warnings (a key file readable by others,
 * host bits set in an allowed IP) are appended as lines to warnings if it
 * is non-NULL.  0 and a new device, or -EINVAL / -errno with the message
 * in err. */
int wgctl_parse_set_args(int argc, char *const argv[], struct uapi_device **out,
			 struct textbuf *warnings, struct error *err) warn_unused;

/* Reads a key file as wg(8) does: 44 base64 characters, then nothing but
 * whitespace; an empty file gives zeros.  *exposed says whether the file
 * is a regular file readable by group or others. */
int wgctl_read_key_file(const char *path, uint8_t key[KEY_LEN], bool *exposed,
			struct error *err) warn_unused;

#endif
