/* `rampart up --netns NAME`: the interface in a tenant network namespace
 * while the daemon, its UDP sockets and its control socket stay where
 * rampart runs, as a kernel WireGuard interface can be moved.  The daemon
 * follows its link there (daemon/monitor.h).  up starts the daemon and
 * loads its configuration here, moves the link, then enters the tenant:
 * addresses, MTU, routes, rules, wg-quick's tables, the policy's table
 * and sysctls, PostUp, and down's PreDown, undo and PostDown all happen
 * inside it, through a netlink socket opened there and libnftables and
 * /proc/sys/net as the thread sees them.  What belongs where the UDP
 * sockets are (the path MTU's routes, the policy's WireGuard port rules)
 * is done here, back in the daemon's namespace. */
#include "updown_int.h"

#include "firewall/fwapply.h"
#include "sys/netlink.h"
#include "sys/netns.h"

#include "conf/config.h"
#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct netlink *updown_home_nl(const struct updown_ctx *c)
{
	return c->home_nl ? c->home_nl : c->nl;
}

static int enter(struct updown_ctx *c, bool tenant)
{
	struct error err = { 0 };
	int ret;

	if (c->netns_fd < 0 || c->in_tenant == tenant)
		return 0;
	ret = netns_enter(tenant ? c->netns_fd : c->home_fd, tenant ? c->netns : "of rampart",
			  &err);
	if (ret)
		return updown_fail(c, ret, "%s", err.msg);
	c->in_tenant = tenant;
	return 0;
}

int updown_enter_home(struct updown_ctx *c)
{
	return enter(c, false);
}

int updown_enter_tenant(struct updown_ctx *c)
{
	return c->st.moved ? enter(c, true) : 0;
}

/* Opens the namespace and a netlink socket in it; 0, -ENOENT when it does
 * not exist (said only if loud), or -errno having said why. */
static int open_tenant(struct updown_ctx *c, bool loud)
{
	struct error err = { 0 };
	int ret;

	c->netns_fd = netns_open(c->netns, &err);
	if (c->netns_fd < 0) {
		ret = c->netns_fd;
		c->netns_fd = -1;
		return ret == -ENOENT && !loud ? ret : updown_fail(c, ret, "%s", err.msg);
	}
	c->home_fd = netns_open_self(&err);
	if (c->home_fd < 0) {
		ret = c->home_fd;
		c->home_fd = -1;
		return updown_fail(c, ret, "%s", err.msg);
	}
	ret = enter(c, true);
	if (ret)
		return ret;
	c->tenant_nl = netlink_open();
	ret = c->tenant_nl ? 0 : -errno;
	if (enter(c, false))
		return -EIO; /* said; nothing can go on from a thread in the wrong place */
	if (ret)
		return updown_fail(c, ret, "cannot open a netlink socket in network namespace %s: %s",
				   c->netns, strerror(-ret));
	return 0;
}

bool updown_tenant_link_alive(struct updown_ctx *c, const struct quick_state *old)
{
	char netns[sizeof(c->netns)];
	struct netlink_link l;
	bool alive;

	if (!old->netns[0] || !old->moved || c->netns_fd >= 0)
		return false;
	memcpy(netns, c->netns, sizeof(netns));
	snprintf(c->netns, sizeof(c->netns), "%s", old->netns);
	alive = !open_tenant(c, false) &&
		!netlink_link_get(c->tenant_nl, NULL, old->ifindex, &l) && !strcmp(l.name, c->ifname);
	updown_tenant_leave(c);
	memcpy(c->netns, netns, sizeof(netns));
	return alive;
}

int updown_tenant_check(struct updown_ctx *c)
{
	struct error err = { 0 };
	int fd;

	if (!c->netns[0])
		return 0;
	if (!conf_valid_netns(c->netns))
		return updown_fail(c, -EINVAL, "`%s' cannot name a network namespace", c->netns);
	if (c->conf->n_dns)
		return updown_fail(c, -EINVAL, "%s:%u: DNS with the interface in network namespace "
				   "%s: resolvconf would change this host's resolver, not the "
				   "namespace's (remove DNS; ip netns takes /etc/netns/%s/resolv.conf)",
				   c->given, c->conf->dns[0].line, c->netns, c->netns);
	fd = netns_open(c->netns, &err);
	if (fd < 0)
		return updown_fail(c, fd, "%s", err.msg);
	close(fd);
	return 0;
}

int updown_tenant_prepare(struct updown_ctx *c)
{
	struct netlink_link l;
	int ret;

	if (!c->netns[0])
		return 0;
	ret = open_tenant(c, true);
	if (ret)
		return ret;
	ret = netlink_link_get(c->tenant_nl, c->ifname, 0, &l);
	if (!ret)
		return updown_fail(c, -EEXIST, "`%s' already exists in network namespace %s",
				   c->ifname, c->netns);
	return ret == -ENODEV ? 0 : updown_fail(c, ret, "%s", netlink_error(c->tenant_nl)->msg);
}

/* From here on c->nl is the tenant's and the thread is in the tenant. */
static int switch_to_tenant(struct updown_ctx *c)
{
	c->home_nl = c->nl;
	c->nl = c->tenant_nl;
	c->tenant_nl = NULL;
	return enter(c, true);
}

int updown_tenant_move(struct updown_ctx *c)
{
	struct netlink_link l;
	int ret;

	if (!c->netns[0])
		return 0;
	/* Recorded first: a crash after the move leaves a state that says
	 * where to look. */
	snprintf(c->st.netns, sizeof(c->st.netns), "%s", c->netns);
	ret = updown_state_save(c);
	if (ret)
		return ret;
	updown_say(c, "ip link set dev %s netns %s", c->ifname, c->netns);
	ret = netlink_link_set_netns(c->nl, c->st.ifindex, c->netns_fd);
	if (ret)
		return updown_nl_fail(c, ret);
	ret = netlink_link_get(c->tenant_nl, c->ifname, 0, &l);
	if (ret)
		return updown_fail(c, ret, "%s moved to network namespace %s but is not there: %s",
				   c->ifname, c->netns, netlink_error(c->tenant_nl)->msg);
	c->st.ifindex = l.index;
	c->st.moved = true;
	ret = updown_state_save(c);
	return ret ? ret : switch_to_tenant(c);
}

int updown_tenant_resume(struct updown_ctx *c)
{
	int ret;

	if (!c->st.netns[0])
		return 1;
	snprintf(c->netns, sizeof(c->netns), "%s", c->st.netns);
	ret = open_tenant(c, false);
	if (ret == -ENOENT) {
		/* Its link (a TUN device is deleted with its namespace), rules
		 * and tables went with it. */
		updown_tell(c, FIREWALL_UI_NOTICE, "network namespace %s is gone, and %s's "
			    "routes, rules and tables there with it", c->netns, c->ifname);
		c->tenant_gone = true;
		if (c->st.moved) {
			c->st.ifindex = 0;
			c->st.n_rules = 0;
			c->st.nft[0] = c->st.nft[1] = false;
		}
		return 0;
	}
	if (ret)
		return ret;
	return c->st.moved ? (switch_to_tenant(c) ? -EIO : 1) : 1;
}

void updown_tenant_leave(struct updown_ctx *c)
{
	if (c->in_tenant && enter(c, false))
		return; /* said; the descriptors stay with the thread */
	if (c->home_nl) {
		netlink_close(c->nl);
		c->nl = c->home_nl;
		c->home_nl = NULL;
	}
	netlink_close(c->tenant_nl);
	c->tenant_nl = NULL;
	if (c->netns_fd >= 0)
		close(c->netns_fd);
	if (c->home_fd >= 0)
		close(c->home_fd);
	c->netns_fd = c->home_fd = -1;
	c->netns[0] = '\0';
	c->tenant_gone = false;
}

int updown_apply_uplink(struct updown_ctx *c)
{
	struct error err = { 0 };
	bool applied = false;
	int ret;

	if (!c->st.moved)
		return 0;
	ret = updown_enter_home(c);
	if (ret)
		return ret;
	ret = fwapply_apply_uplink(c->ifname, c->conf, c->given, c->fw ? c->fw->ui : NULL,
				   &applied, &err);
	if (ret) {
		updown_fail(c, ret, "%s", err.msg);
	} else if (applied) {
		c->st.uplink = true;
		ret = updown_state_save(c);
	}
	return updown_enter_tenant(c) ? -EIO : ret;
}

int updown_undo_uplink(struct updown_ctx *c)
{
	struct error err = { 0 };
	bool was = c->in_tenant;
	int ret;

	if (!c->st.uplink)
		return 0;
	ret = updown_enter_home(c);
	if (ret)
		return ret;
	ret = fwapply_remove_uplink(c->ifname, c->fw ? c->fw->ui : NULL, &err);
	if (ret)
		updown_fail(c, ret, "%s", err.msg);
	else
		c->st.uplink = false;
	if (was && enter(c, true))
		return -EIO;
	return ret;
}
