/* The socket edge of the wg(8) client: one connection per operation to
 * SOCKET_DIR/IFNAME.sock, the request sent while the reply is read (a
 * daemon may answer an error before reading everything), a bounded reply
 * (uapi/client.h), and a timeout on every wait, so that a dead or stopped
 * daemon never hangs the caller.  Errors as in wgctl.h. */
#ifndef RAMPART_CTL_SOCKET_H
#define RAMPART_CTL_SOCKET_H

#include "common/compiler.h"
#include "common/error.h"

#include <stddef.h>
#include <stdint.h>

struct uapi_device;

enum {
	/* Default wait for any one step of an exchange (connect, send,
	 * reply), in milliseconds; RAMPART_WGCTL_TIMEOUT_MS overrides it. */
	WGCTL_TIMEOUT_MS = 15000,
};

/* Where the sockets live: /var/run/wireguard unless set (tests). */
void wgctl_set_socket_dir(const char *dir);
/* Where the statistics sockets live: UAPI_STATS_DIR (uapi/device.h) unless set. */
void wgctl_set_stats_dir(const char *dir);
/* Per-step timeout in milliseconds (0 restores the default). */
void wgctl_set_timeout(unsigned ms);

/* The interfaces with a live socket, in directory order as wg(8) lists
 * them (it does not sort): *out is a NULL-terminated array of names,
 * released with wgctl_list_free().  A missing directory is an empty list.
 * Sockets that refuse connections (stale) are skipped, not removed. */
int wgctl_list_interfaces(char ***out, size_t *n, struct error *err) warn_unused;
void wgctl_list_free(char **list);

/* One get=1: 0 and a new device named ifname (uapi_device_free()); its
 * public key is not derived (wgctl_derive_public_key(), show.h). */
int wgctl_get_device(const char *ifname, struct uapi_device **out, struct error *err) warn_unused;
/* The same get=1 over IFNAME's statistics socket: the device without its
 * private key and the peers without preshared keys. */
int wgctl_get_stats(const char *ifname, struct uapi_device **out, struct error *err) warn_unused;
/* The statistics socket's path of ifname into path. */
int wgctl_stats_path(const char *ifname, char *path, size_t size, struct error *err) warn_unused;
/* One rampart_events=1 since=SEQ (uapi/client.h): *out receives the
 * events after seq since (uapi_events_free()).  A daemon that does not
 * know the operation (wireguard-go hangs up) is -EOPNOTSUPP.  When the
 * control socket refuses the caller (-EACCES: not root), the statistics
 * socket is asked instead, and the control socket's error stands if that
 * fails too. */
struct uapi_events;
int wgctl_get_events(const char *ifname, uint64_t since, struct uapi_events **out,
		     struct error *err) warn_unused;
/* One set=1 of c (endpoints resolved already). */
int wgctl_set_device(const char *ifname, const struct uapi_device *c, struct error *err) warn_unused;

#endif
