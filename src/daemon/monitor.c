/* Link and socket-file monitoring (monitor.h), with libmnl. */
#define _GNU_SOURCE
#include "monitor.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

struct monitor {
	struct mnl_socket *nl;
	unsigned ifindex;
	int ino_fd;
	char sock_name[256];
};

struct monitor *monitor_open(unsigned ifindex, const char *dir, const char *sock_name)
{
	struct monitor *m = calloc(1, sizeof(*m));
	int err;

	if (!m)
		return NULL;
	m->ifindex = ifindex;
	m->ino_fd = -1;
	snprintf(m->sock_name, sizeof(m->sock_name), "%s", sock_name);
	m->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!m->nl || mnl_socket_bind(m->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
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
	m->ifindex = ifindex;
	m->ino_fd = file_fd;
	snprintf(m->sock_name, sizeof(m->sock_name), "%s", sock_name);
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

struct link_cb {
	struct monitor *m;
	struct monitor_link_event *ev;
};

static int link_attr(const struct nlattr *attr, void *data)
{
	struct monitor_link_event *ev = data;

	if (mnl_attr_get_type(attr) == IFLA_MTU && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		ev->mtu = (int)mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

static int link_msg(const struct nlmsghdr *nlh, void *data)
{
	struct link_cb *cb = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)) || (unsigned)ifi->ifi_index != cb->m->ifindex)
		return MNL_CB_OK;
	if (nlh->nlmsg_type == RTM_DELLINK)
		cb->ev->deleted = true;
	else if (nlh->nlmsg_type == RTM_NEWLINK)
		mnl_attr_parse(nlh, sizeof(*ifi), link_attr, cb->ev);
	return MNL_CB_OK;
}

void monitor_read_link(struct monitor *m, struct monitor_link_event *ev)
{
	char buf[8192];
	struct link_cb cb = { m, ev };

	memset(ev, 0, sizeof(*ev));
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(m->nl, buf, sizeof(buf));
		if (n < 0) {
			/* ENOBUFS: events were lost; the link may be gone. */
			if (errno == ENOBUFS)
				ev->mtu = -1;
			return;
		}
		mnl_cb_run(buf, (size_t)n, 0, 0, link_msg, &cb);
	}
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
