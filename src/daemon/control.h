#ifndef RAMPART_DAEMON_CONTROL_H
#define RAMPART_DAEMON_CONTROL_H

/* The narrow interface through which control.c reaches the daemon: the
 * seam privilege separation will cut at.  Functions live at the end of
 * daemon.c. */

struct daemon;

/* Handshakes dropped because the handshake queue was full; read under
 * hsq.lock, where the workers write it. */
unsigned long long daemon_handshakes_dropped(struct daemon *d);

#endif
