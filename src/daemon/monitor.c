/* Link and socket-file monitoring (monitor.h), with libmnl. */
#define _GNU_SOURCE
#include "monitor.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <unistd.h>

struct monitor {
	struct mnl_socket *nl;
	struct monitor_link link;
	/* NETLINK_LISTEN_ALL_NSID was granted: a move can be followed.
	 * Without it (no CAP_NET_BROADCAST) the link's messages stop at the
	 * move, which is then taken for a deletion, as before. */
	bool all_nsid;
	int ino_fd;
	char sock_name[256];
};

/* The ids' own messages (any process may join RTNLGRP_NSID), and the
 * other namespaces' link messages: NETLINK_LISTEN_ALL_NSID is refused
 * without CAP_NET_BROADCAST, which is no error (all_nsid). */
static void listen_all(struct monitor *m)
{
	int fd = mnl_socket_get_fd(m->nl), on = 1, group = RTNLGRP_NSID;

	m->all_nsid = !setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) &&
		      !setsockopt(fd, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &on, sizeof(on));
}

struct monitor *monitor_open(unsigned ifindex, const char *dir, const char *sock_name)
{
	struct monitor *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return NULL;
	m->link = (struct monitor_link){ .nsid = MONITOR_NSID_HOME, .ifindex = ifindex };
	m->ino_fd = -1;
	snprintf(m->sock_name, sizeof(m->sock_name), "%s", sock_name);
	m->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->nl || mnl_socket_bind(m->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	listen_all(m);
	m->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (m->ino_fd < 0 ||
	    inotify_add_watch(m->ino_fd, dir, IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF |
					      IN_MOVE_SELF) < 0)
		goto fail;
	return m;
fail:
	err = errno;
	monitor_close(m);
	errno = err;
	return NULL;
}

struct monitor *monitor_adopt(int link_fd, int file_fd, unsigned ifindex, const char *sock_name)
{
	struct monitor *m = calloc(1, sizeof(*m));

	if (m)
		m->nl = mnl_socket_fdopen(link_fd);
	if (!m || !m->nl) {
		int err = m ? EINVAL : ENOMEM;
		free(m);
		close(link_fd);
		close(file_fd);
		errno = err;
		return NULL;
	}
	m->link = (struct monitor_link){ .nsid = MONITOR_NSID_HOME, .ifindex = ifindex };
	m->ino_fd = file_fd;
	snprintf(m->sock_name, sizeof(m->sock_name), "%s", sock_name);
	{
		/* The option came with the socket: set by monitor_open in
		 * the process that had CAP_NET_BROADCAST. */
		int on = 0;
		socklen_t len = sizeof(on);
		m->all_nsid = !getsockopt(link_fd, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &on, &len) &&
			      on;
	}
	return m;
}

void monitor_close(struct monitor *m)
{
	if (!m)
		return;
	if (m->nl)
		mnl_socket_close(m->nl);
	if (m->ino_fd >= 0)
		close(m->ino_fd);
	free(m);
}

int monitor_link_fd(const struct monitor *m)
{
	return mnl_socket_get_fd(m->nl);
}

int monitor_file_fd(const struct monitor *m)
{
	return m->ino_fd;
}

const struct monitor_link *monitor_where(const struct monitor *m)
{
	return &m->link;
}

struct link_cb {
	struct monitor_link *link;
	struct monitor_link_event *ev;
	int nsid; /* the datagram's namespace */
};

/* The attributes of one RTM_NEWLINK or RTM_DELLINK that matter here. */
struct link_attrs {
	int mtu;
	bool has_new_nsid, has_new_ifindex;
	int new_nsid, new_ifindex;
};

static int link_attr(const struct nlattr *attr, void *data)
{
	struct link_attrs *a = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_OK;
	if (type == IFLA_MTU) {
		a->mtu = (int)mnl_attr_get_u32(attr);
	} else if (type == IFLA_NEW_NETNSID) {
		a->new_nsid = (int)mnl_attr_get_u32(attr);
		a->has_new_nsid = true;
	} else if (type == IFLA_NEW_IFINDEX) {
		a->new_ifindex = (int)mnl_attr_get_u32(attr);
		a->has_new_ifindex = true;
	}
	return MNL_CB_OK;
}

static int nsid_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == NETNSA_NSID && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*(int *)data = (int)mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

/* A namespace id went away here: the namespace is gone, and a TUN device
 * in it is deleted with it (a device with rtnl_link_ops is not handed
 * back to the initial namespace).  Only home's own ids are ours. */
static void on_delnsid(struct link_cb *cb, const struct nlmsghdr *nlh)
{
	const size_t hdr = NLMSG_ALIGN(sizeof(struct rtgenmsg));
	int id = MONITOR_NSID_HOME;

	if (cb->nsid != MONITOR_NSID_HOME || nlh->nlmsg_len < mnl_nlmsg_size(hdr))
		return;
	mnl_attr_parse(nlh, hdr, nsid_attr, &id);
	if (id != MONITOR_NSID_HOME && id == cb->link->nsid)
		cb->ev->deleted = true;
}

/* The link left its namespace.  From home, IFLA_NEW_NETNSID is the new
 * namespace's id in our numbering (the kernel allots one for the move);
 * from elsewhere it is in the old namespace's, so the RTM_NEWLINK that
 * follows says where the link went. */
static void on_move(struct monitor_link *link, const struct link_attrs *a, int nsid,
		    struct monitor_link_event *ev)
{
	if (nsid == MONITOR_NSID_HOME && a->has_new_nsid && a->new_nsid >= 0) {
		link->nsid = a->new_nsid;
		link->ifindex = (unsigned)a->new_ifindex;
		ev->moved = true;
		return;
	}
	link->moving_to = (unsigned)a->new_ifindex;
	link->ifindex = 0;
}

static int link_msg(const struct nlmsghdr *nlh, void *data)
{
	struct link_cb *cb = data;
	struct monitor_link *link = cb->link;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct link_attrs a = { 0 };

	if (nlh->nlmsg_type == RTM_DELNSID) {
		on_delnsid(cb, nlh);
		return MNL_CB_OK;
	}
	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)) || ifi->ifi_index <= 0)
		return MNL_CB_OK;
	if (link->moving_to && nlh->nlmsg_type == RTM_NEWLINK &&
	    (unsigned)ifi->ifi_index == link->moving_to) {
		link->nsid = cb->nsid;
		link->ifindex = link->moving_to;
		link->moving_to = 0;
		cb->ev->moved = true;
	}
	if (cb->nsid != link->nsid || (unsigned)ifi->ifi_index != link->ifindex)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), link_attr, &a);
	if (nlh->nlmsg_type == RTM_NEWLINK) {
		if (a.mtu > 0)
			cb->ev->mtu = a.mtu;
	} else if (a.has_new_ifindex && a.new_ifindex > 0) {
		on_move(link, &a, cb->nsid, cb->ev);
	} else {
		cb->ev->deleted = true;
	}
	return MNL_CB_OK;
}

void monitor_parse(struct monitor_link *link, const void *buf, size_t len, int nsid,
		   struct monitor_link_event *ev)
{
	struct link_cb cb = { link, ev, nsid };

	mnl_cb_run(buf, len, 0, 0, link_msg, &cb);
}

/* One datagram and the id of the namespace it came from: no control
 * message means our own. */
static ssize_t receive(struct monitor *m, char *buf, size_t size, int *nsid)
{
	char control[CMSG_SPACE(sizeof(int))];
	struct sockaddr_nl addr;
	struct iovec iov = { buf, size };
	struct msghdr msg = {
		.msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control, .msg_controllen = sizeof(control),
	};
	ssize_t n = recvmsg(mnl_socket_get_fd(m->nl), &msg, 0);

	*nsid = MONITOR_NSID_HOME;
	if (n < 0)
		return -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -ENOBUFS; /* a message lost all the same */
	if (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0)
		return 0; /* only the kernel speaks for links */
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(nsid, CMSG_DATA(c), sizeof(int));
	return n;
}

void monitor_read_link(struct monitor *m, struct monitor_link_event *ev)
{
	char buf[16384];

	memset(ev, 0, sizeof(*ev));
	for (;;) {
		int nsid;
		ssize_t n = receive(m, buf, sizeof(buf), &nsid);

		if (n < 0) {
			/* ENOBUFS: events were lost; the link may be gone. */
			if (n == -ENOBUFS)
				ev->mtu = -1;
			break;
		}
		monitor_parse(&m->link, buf, (size_t)n, nsid, ev);
	}
	/* A move that cannot be followed ends the link's story here. */
	if (ev->moved && !m->all_nsid)
		ev->deleted = true;
}

bool monitor_read_file(struct monitor *m)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool gone = false;

	for (;;) {
		ssize_t n = read(m->ino_fd, buf, sizeof(buf));
		if (n <= 0)
			return gone;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;
			if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED))
				gone = true;
			else if (e->len && !strcmp(e->name, m->sock_name))
				gone = true;
			p += sizeof(*e) + e->len;
		}
	}
}
