/* What the control thread watches besides the control socket: the link
 * (netlink, RTMGRP_LINK: deletion ends the daemon, an MTU change resizes
 * the padding and the buffers) and the socket file (inotify on its
 * directory: removal ends the daemon, as wg-quick and the contract
 * expect).
 *
 * The link may be moved to another network namespace (`ip link set IF
 * netns NS`, `rampart up --netns`) while the UDP sockets stay where the
 * daemon started, as a kernel WireGuard interface can be.  The link
 * socket listens to every namespace that has an id here
 * (NETLINK_LISTEN_ALL_NSID) and to the ids themselves (RTNLGRP_NSID), so
 * the monitor follows the link by (namespace id, ifindex): the move's
 * RTM_DELLINK carries IFLA_NEW_NETNSID and IFLA_NEW_IFINDEX; an MTU change
 * or a deletion there arrives with that namespace's id; the end of that
 * namespace, which takes the TUN device with it, is an RTM_DELNSID. */
#ifndef RAMPART_DAEMON_MONITOR_H
#define RAMPART_DAEMON_MONITOR_H

#include "common/compiler.h"

#include <stdbool.h>
#include <stddef.h>

struct monitor;

enum {
	/* The namespace the daemon started in: messages from it carry no
	 * id (NETNSA_NSID_NOT_ASSIGNED). */
	MONITOR_NSID_HOME = -1,
};

/* Where the link is now. */
struct monitor_link {
	int nsid;            /* MONITOR_NSID_HOME, or the id of its namespace here */
	unsigned ifindex;    /* its index there */
	/* Moved out of a namespace other than home: the RTM_DELLINK gave the
	 * new index but an id in the old namespace's numbering, not ours, so
	 * the link is the one of the next RTM_NEWLINK with that index from
	 * any namespace (the kernel sends both under one rtnl lock, nothing
	 * comes between). 0: not moving. */
	unsigned moving_to;
};

/* NULL with errno on failure.  Needs CAP_NET_BROADCAST (to hear the
 * other namespaces), so the daemon opens it before it drops. */
struct monitor *monitor_open(unsigned ifindex, const char *dir, const char *sock_name);
/* The same from the two descriptors of another process's monitor_open
 * (monitor_link_fd, monitor_file_fd), handed over (handover.h); both
 * are the monitor's from then on, also on failure (NULL with errno). */
struct monitor *monitor_adopt(int link_fd, int file_fd, unsigned ifindex, const char *sock_name);
void monitor_close(struct monitor *m);
int monitor_link_fd(const struct monitor *m);
int monitor_file_fd(const struct monitor *m);
/* Where the link is, as far as the messages said. */
const struct monitor_link *monitor_where(const struct monitor *m);

struct monitor_link_event {
	bool deleted;
	bool moved;  /* the link went to another namespace (monitor_where) */
	int mtu; /* the link's MTU when a message carried it, -1 when events
		  * were lost (ENOBUFS), else 0 */
};
/* Reads what is waiting on the link socket. */
void monitor_read_link(struct monitor *m, struct monitor_link_event *ev);
/* The pure part: one datagram of netlink messages, from the namespace of
 * id nsid (MONITOR_NSID_HOME: no NETLINK_LISTEN_ALL_NSID control
 * message), applied to *link; what it said about the link is added to
 * *ev. */
void monitor_parse(struct monitor_link *link, const void *buf, size_t len, int nsid,
		   struct monitor_link_event *ev);
/* Reads what is waiting on the inotify descriptor; true if the socket
 * file (or its directory) was removed or renamed. */
bool monitor_read_file(struct monitor *m);

#endif
