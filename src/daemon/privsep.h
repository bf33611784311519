/* Least privilege for rampartd once its TUN device and sockets exist:
 * every capability goes but CAP_NET_ADMIN (SO_MARK for wg-quick's
 * full-tunnel routing, large socket buffers) and CAP_NET_BIND_SERVICE
 * (a later listen-port change below 1024); the bounding set loses the
 * rest and no_new_privs is set, so nothing executed later regains them. */
#ifndef RAMPART_DAEMON_PRIVSEP_H
#define RAMPART_DAEMON_PRIVSEP_H

#include "common/compiler.h"

/* 0 or -errno.  Without privileges to drop (not root), 0. */
int privsep_drop(void) warn_unused;

#endif
