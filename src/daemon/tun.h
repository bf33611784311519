/* The tunnel interface: a Linux TUN device without packet information
 * headers, with one queue per data-path thread (IFF_MULTI_QUEUE), so each
 * thread reads and writes its own file descriptor. */
#ifndef RAMPART_DAEMON_TUN_H
#define RAMPART_DAEMON_TUN_H

#include "common/compiler.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

struct tun {
	char name[IFNAMSIZ];
	unsigned ifindex;
	int *fds; /* one non-blocking descriptor per queue */
	unsigned n_queues;
	unsigned n_fds; /* slots in fds (-1 = not open) */
};

/* The MTU a new device gets, as the kernel's WireGuard link and
 * wireguard-go give theirs: 1500 less the 80 bytes that an outer IPv6
 * header, UDP and WireGuard's framing add, so that a full packet is not
 * fragmented on an Ethernet path.  wg-quick sets its own afterwards. */
enum { TUN_DEFAULT_MTU = 1420 };

/* Creates the TUN device name with n_queues queues, at TUN_DEFAULT_MTU.
 * 0, or -errno (-EEXIST if an interface of that name exists and is not a
 * free TUN; -EINVAL for a bad name). */
int tun_open(struct tun *tun, const char *name, unsigned n_queues) warn_unused;
/* Closes every queue: the device goes away with its last descriptor. */
void tun_close(struct tun *tun);
/* The interface's MTU, or -errno: asked by name in the daemon's own
 * namespace, so only while the link is there. */
int tun_mtu(const struct tun *tun) warn_unused;
/* Whether the device still exists, in whatever namespace it is now: a
 * deleted device detaches its queues, and TUNGETIFF on one then fails
 * with EBADFD. */
bool tun_present(const struct tun *tun) warn_unused;

#endif
