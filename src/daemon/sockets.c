/* The UDP socket set's changes (control.h: daemon_sockets_prepare and
 * the rest).  Under privilege separation (privsep.h) the engine cannot
 * bind a port below 1024 or set SO_MARK: the parent does both, on the same
 * open descriptions, and the engine only swaps descriptors. */
#define _GNU_SOURCE
#include "daemon.h"
#include "control.h"
#include "privsep.h"

#include "common/log.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

enum {
	/* A random port, chosen by the engine since the parent binds only
	 * ports 1-65535: Linux's default ephemeral range (the engine
	 * cannot read ip_local_port_range from its empty root). */
	RANDOM_PORT_LOW = 32768,
	RANDOM_PORT_HIGH = 60999,
	RANDOM_PORT_TRIES = 100,
};

void daemon_socket_info(struct daemon *d, uint16_t *port, uint32_t *fwmark)
{
	pthread_rwlock_rdlock(&d->sock_lock);
	*port = d->udp.port;
	*fwmark = d->udp.fwmark;
	pthread_rwlock_unlock(&d->sock_lock);
}

/* A new set on port (0: a random one) with fwmark, bound here or by the
 * parent. */
static int open_fresh(struct daemon *d, uint16_t port, uint32_t fwmark, struct udp_set *fresh)
{
	int err = -EADDRINUSE;

	if (d->priv_fd < 0)
		return udp_set_open(fresh, d->n_workers, port, fwmark);
	if (port)
		return privsep_bind_udp(d->priv_fd, port, fwmark, d->n_workers, fresh);
	for (int tries = 0; tries < RANDOM_PORT_TRIES && err == -EADDRINUSE; tries++) {
		uint16_t r;

		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return -errno;
		r = (uint16_t)(RANDOM_PORT_LOW + r % (RANDOM_PORT_HIGH - RANDOM_PORT_LOW + 1));
		err = privsep_bind_udp(d->priv_fd, r, fwmark, d->n_workers, fresh);
	}
	return err;
}

static int set_mark(struct daemon *d, uint32_t fwmark)
{
	int err;

	if (d->priv_fd < 0)
		return udp_set_fwmark(&d->udp, fwmark);
	err = privsep_set_fwmark(d->priv_fd, fwmark);
	if (!err)
		d->udp.fwmark = fwmark;
	return err;
}

/* The parent's copy of the set follows the engine's. */
static void commit_parent(struct daemon *d, bool use)
{
	int err;

	if (d->priv_fd < 0)
		return;
	err = privsep_commit_udp(d->priv_fd, use);
	if (err)
		log_error("the privileged parent did not take the %s UDP sockets: %s",
			  use ? "new" : "unused", strerror(-err));
}

int daemon_sockets_prepare(struct daemon *d, const struct daemon_socket_request *req)
{
	struct sock_change *c = &d->change;
	uint32_t mark = req->set_fwmark ? req->fwmark : d->udp.fwmark;
	int err;

	memset(c, 0, sizeof(*c));
	c->has_port = req->set_port;
	c->port = req->port;
	/* Decide what needs the sockets' write side without holding it:
	 * only the control thread writes udp, and it is the caller. */
	c->rebind = req->set_port && req->port != d->udp.port &&
		    !(req->port == 0 && d->configured_port == 0);
	c->remark = req->set_fwmark && req->fwmark != d->udp.fwmark;
	if (c->rebind) {
		err = open_fresh(d, req->port, mark, &c->fresh);
		if (err) {
			log_info("cannot listen on port %u: %s", req->port, strerror(-err));
			return err == -EADDRINUSE || err == -EACCES ? -EADDRINUSE : err;
		}
		c->remark = false; /* the new sockets carry the mark */
	}
	if (c->rebind || c->remark)
		pthread_rwlock_wrlock(&d->sock_lock);
	else
		pthread_rwlock_rdlock(&d->sock_lock);
	if (c->remark) {
		c->old_mark = d->udp.fwmark;
		err = set_mark(d, req->fwmark);
		if (err) {
			if (set_mark(d, c->old_mark))
				log_error("cannot restore fwmark 0x%x", c->old_mark);
			pthread_rwlock_unlock(&d->sock_lock);
			log_info("cannot set fwmark 0x%x: %s", req->fwmark, strerror(-err));
			return err;
		}
	}
	return 0;
}

void daemon_sockets_commit(struct daemon *d)
{
	struct sock_change *c = &d->change;

	daemon_assert_locked(d);
	if (c->rebind) {
		struct udp_set old = d->udp;

		/* The data threads see the new sockets the next time they
		 * look; closing the old descriptors removes them from every
		 * epoll set. */
		d->udp = c->fresh;
		memset(&c->fresh, 0, sizeof(c->fresh));
		udp_set_close(&old);
		d->configured_port = c->port;
	} else if (c->has_port && c->port) {
		d->configured_port = c->port;
	}
}

void daemon_sockets_finish(struct daemon *d)
{
	struct sock_change *c = &d->change;

	pthread_rwlock_unlock(&d->sock_lock);
	if (c->rebind) {
		commit_parent(d, true); /* the parent lets the old port go */
		daemon_wake_workers(d); /* to watch the new sockets */
	}
	memset(c, 0, sizeof(*c));
}

void daemon_sockets_abort(struct daemon *d)
{
	struct sock_change *c = &d->change;

	if (c->remark && set_mark(d, c->old_mark))
		log_error("cannot restore fwmark 0x%x", c->old_mark);
	pthread_rwlock_unlock(&d->sock_lock);
	if (c->rebind)
		commit_parent(d, false);
	udp_set_close(&c->fresh);
	memset(c, 0, sizeof(*c));
}
