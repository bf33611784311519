/* What the control thread watches besides the control socket: the link
 * (netlink, RTMGRP_LINK: deletion ends the daemon, an MTU change resizes
 * the padding and the buffers) and the socket file (inotify on its
 * directory: removal ends the daemon, as wg-quick and the contract
 * expect). */
#ifndef RAMPART_DAEMON_MONITOR_H
#define RAMPART_DAEMON_MONITOR_H

#include "common/compiler.h"

#include <stdbool.h>

struct monitor;

/* NULL with errno on failure. */
struct monitor *monitor_open(unsigned ifindex, const char *dir, const char *sock_name);
/* The same from the two descriptors of another process's monitor_open
 * (monitor_link_fd, monitor_file_fd), handed over (handover.h); both
 * are the monitor's from then on, also on failure (NULL with errno). */
struct monitor *monitor_adopt(int link_fd, int file_fd, unsigned ifindex, const char *sock_name);
void monitor_close(struct monitor *m);
int monitor_link_fd(const struct monitor *m);
int monitor_file_fd(const struct monitor *m);

struct monitor_link_event {
	bool deleted;
	int mtu; /* the link's MTU when a message carried it, else 0 */
};
/* Reads what is waiting on the link socket. */
void monitor_read_link(struct monitor *m, struct monitor_link_event *ev);
/* Reads what is waiting on the inotify descriptor; true if the socket
 * file (or its directory) was removed or renamed. */
bool monitor_read_file(struct monitor *m);

#endif
