/* The data threads: one per TUN queue and UDP socket pair (daemon.h has
 * the threads and the lock order).  Used by daemon.c only. */
#ifndef RAMPART_DAEMON_DATAPATH_H
#define RAMPART_DAEMON_DATAPATH_H

#include "proto/device.h"

struct daemon;
struct worker;

/* The core's callbacks that the data path owns: send, deliver, release,
 * send_data (dev_lock held when the core calls them). */
void datapath_ops(struct device_ops *ops);
/* A data thread's buffers and epoll set for queue id; 0 or -errno.
 * _uninit frees what _init made, also after it failed. */
int datapath_worker_init(struct daemon *d, struct worker *w, unsigned id);
void datapath_worker_uninit(struct worker *w);
/* The thread (arg: its struct worker), until d->stopping. */
void *datapath_worker_main(void *arg);

#endif
