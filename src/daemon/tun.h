/* The tunnel interface: a Linux TUN device without packet information
 * headers, with one queue per data-path thread (IFF_MULTI_QUEUE), so each
 * thread reads and writes its own file descriptor. */
#ifndef RAMPART_DAEMON_TUN_H
#define RAMPART_DAEMON_TUN_H

#include "common/compiler.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The offloads rampartd uses, each of which can be switched off
 * (RAMPART_OFFLOAD_OFF, main.c) for tests and for a kernel bug. */
enum offload {
	OFFLOAD_TSO = 1 << 0, /* TUN: virtio-net header, checksum, TSO4/6 */
	OFFLOAD_USO = 1 << 1, /* TUN: USO4/6 as well (Linux 6.2 on) */
	OFFLOAD_GSO = 1 << 2, /* UDP: runs of datagrams sent with UDP_SEGMENT */
	OFFLOAD_GRO = 1 << 3, /* UDP: coalesced datagrams received (UDP_GRO) */
	OFFLOAD_ALL = OFFLOAD_TSO | OFFLOAD_USO | OFFLOAD_GSO | OFFLOAD_GRO,
};

/* The virtio-net header in front of every packet read from or written to
 * a queue when tun->vnet is set (little-endian fields). */
struct tun_vnet_hdr {
	uint8_t flags;        /* VIRTIO_NET_HDR_F_* */
	uint8_t gso_type;     /* VIRTIO_NET_HDR_GSO_* */
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

struct tun {
	char name[IFNAMSIZ];
	unsigned ifindex;
	int *fds; /* one non-blocking descriptor per queue */
	unsigned n_queues;
	unsigned n_fds; /* slots in fds (-1 = not open) */
	bool vnet;         /* every packet has a struct tun_vnet_hdr first */
	unsigned offloads; /* OFFLOAD_TSO, OFFLOAD_USO: what the kernel took */
};

/* The MTU a new device gets, as the kernel's WireGuard link and
 * wireguard-go give theirs: 1500 less the 80 bytes that an outer IPv6
 * header, UDP and WireGuard's framing add, so that a full packet is not
 * fragmented on an Ethernet path.  wg-quick sets its own afterwards. */
enum { TUN_DEFAULT_MTU = 1420 };

/* Creates the TUN device name with n_queues queues, at TUN_DEFAULT_MTU,
 * with the TUN offloads of want (OFFLOAD_TSO, OFFLOAD_USO) that the
 * kernel has (tun->offloads): USO is dropped on a kernel without it, and
 * with TSO asked for, every queue has the header (tun->vnet) even if the
 * kernel then takes no offload.  0, or -errno (-EEXIST if
 * an interface of that name exists and is not a free TUN; -EINVAL for a
 * bad name). */
int tun_open(struct tun *tun, const char *name, unsigned n_queues, unsigned want) warn_unused;
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
