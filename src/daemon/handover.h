/* The handover to an engine that the parent did not fork
 * (docs/design.md, "Processes"; contrib/systemd/rampartd-engine@.service).
 *
 * Under systemd the engine is a unit of its own, started as the
 * unprivileged user by systemd itself, so that the parent's unit needs
 * no privilege to change ids, capability sets or roots:
 *
 *   rampartd --wait-engine IFNAME   the parent, as root with CAP_NET_ADMIN
 *                                   and CAP_NET_BIND_SERVICE: opens the
 *                                   TUN device, the sockets and the
 *                                   monitor as it always does, then waits
 *                                   on HANDOVER_DIR/IFNAME.sock for the
 *                                   engine;
 *   rampartd --engine IFNAME        the engine, as that user with at most
 *                                   CAP_SYS_CHROOT and CAP_SETPCAP:
 *                                   connects, takes every descriptor over
 *                                   SCM_RIGHTS, chroots to the empty
 *                                   root, drops those two, and runs the
 *                                   daemon with the connection as its
 *                                   request socket (privsep.h).
 *
 * Each end checks the other's credentials (SO_PEERCRED): the parent takes
 * only the engine's user, the engine only root.  Nothing but the one
 * handover message crosses before the requests of privreq.h. */
#ifndef RAMPART_DAEMON_HANDOVER_H
#define RAMPART_DAEMON_HANDOVER_H

#include "common/compiler.h"
#include "server.h"

#include <net/if.h>
#include <stdint.h>
#include <sys/types.h>

struct daemon;
struct error;

#define HANDOVER_DIR "/run/rampart-engine"

enum {
	/* How long each end waits for the other by default. */
	HANDOVER_WAIT_MS = 30000,
	HANDOVER_MAGIC = 0x52504831, /* "RPH1" */
	HANDOVER_MAX_QUEUES = 64,    /* main.c's MAX_THREADS */
	/* The TUN queues, the two servers, the monitor's two, two UDP
	 * sockets a queue. */
	HANDOVER_MAX_FDS = HANDOVER_MAX_QUEUES + 4 + 2 * HANDOVER_MAX_QUEUES,
	HANDOVER_V4 = 1,
	HANDOVER_V6 = 2,
};

/* The one message, fixed size, both ends built from the same source.  Its
 * descriptors come in this order: n_queues TUN queues, the control
 * listener, the statistics listener if has_stats, the monitor's netlink
 * and inotify descriptors, then the UDP set pair by pair, IPv4 first,
 * a family not in families left out of every pair. */
struct handover_wire {
	uint32_t magic;
	uint32_t n_queues; /* 1 to HANDOVER_MAX_QUEUES */
	uint32_t ifindex;
	uint32_t mtu;
	uint32_t families; /* of the UDP set's pairs: HANDOVER_V4 | HANDOVER_V6 */
	uint32_t port;
	uint32_t has_stats;
	uint32_t fwmark;
	uint32_t offloads; /* the daemon's (enum offload) */
	uint32_t tun_vnet; /* the TUN queues carry the virtio-net header */
	uint64_t ctl_dev, ctl_ino, stats_dev, stats_ino;
	char ifname[IFNAMSIZ];
	char ctl_path[SERVER_SOCK_PATH_MAX];
	char stats_path[SERVER_SOCK_PATH_MAX];
};

/* Parent: the listening socket HANDOVER_DIR/IFNAME.sock (the directory
 * made 0755 if absent), mode 0666 so that the engine's user may connect;
 * who did is checked on accept.  A fd, or -errno with err filled. */
int handover_listen(const char *ifname, struct error *err) warn_unused;
/* Parent: the first connection from uid within wait_ms; connections from
 * any other uid are refused (closed, and counted in *refused).  Returns
 * the connected fd, -EINTR when sigfd became readable first (a stop),
 * -ETIMEDOUT, or another -errno, with err filled.  The listening socket
 * and its file are removed in every case. */
int handover_accept(int lfd, const char *ifname, uid_t uid, int sigfd, int wait_ms,
		    unsigned *refused, struct error *err) warn_unused;
/* Parent: closes the listening socket and removes its file. */
void handover_unlisten(int lfd, const char *ifname);
/* Parent: sends d's descriptors and what the engine must know of them
 * over fd.  0 or -errno. */
int handover_send(int fd, const struct daemon *d) warn_unused;

/* Engine: connects to IFNAME's parent, retrying for wait_ms while it is
 * not there yet, and checks that it is root's.  A fd or -errno with err
 * filled. */
int handover_connect(const char *ifname, int wait_ms, struct error *err) warn_unused;
/* Engine: the check of the one message, pure: len bytes of buf that came
 * with n_fds descriptors.  0 and *out, or -EPROTO with *out zeroed: not
 * exactly one struct handover_wire, a wrong magic, a queue count of 0 or
 * past HANDOVER_MAX_QUEUES, no family or an unknown one, an ifindex or
 * MTU of 0, an MTU or port past 65535, a has_stats or tun_vnet other
 * than 0 or 1, an empty ifname, a name or path
 * without its NUL, or other than the n_fds descriptors it names.  What
 * it accepts, handover_adopt can build on without another check. */
int handover_parse(const void *buf, size_t len, unsigned n_fds,
		   struct handover_wire *out) warn_unused;
/* Engine: receives the handover on fd and builds d on it (daemon.h's
 * daemon_init_base and daemon_init_core); d->priv_fd is fd.  0, or
 * -errno with err filled (-EPROTO: a malformed message, every
 * descriptor that came with it closed); daemon_uninit(d) after either. */
int handover_adopt(struct daemon *d, int fd, struct error *err) warn_unused;

#endif
