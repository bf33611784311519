/* The link monitor's parser (daemon/monitor.h): a link that moves to
 * another namespace is followed there, by namespace id and index, for its
 * MTU and its deletion; the messages are built as kernel 6.18 sends them
 * (an experiment with `ip link set IF netns NS` and a NETLINK_LISTEN_ALL_NSID
 * socket: the move's RTM_DELLINK at home with IFLA_NEW_NETNSID and
 * IFLA_NEW_IFINDEX, then RTM_NEWLINK from the new namespace's id; the end
 * of a namespace only an RTM_DELNSID at home). */
#include "daemon/monitor.h"

#include "harness.h"

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>
#include <string.h>

struct msgs {
	char buf[4096];
	size_t len;
};

/* Appends one link message; new_nsid, new_ifindex < 0: left out. */
static void put_link(struct msgs *m, int type, int ifindex, int mtu, int new_nsid,
		     int new_ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf + m->len);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = (uint16_t)type;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "wg0");
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)mtu);
	if (new_nsid >= 0)
		mnl_attr_put_u32(nlh, IFLA_NEW_NETNSID, (uint32_t)new_nsid);
	if (new_ifindex >= 0)
		mnl_attr_put_u32(nlh, IFLA_NEW_IFINDEX, (uint32_t)new_ifindex);
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void put_nsid(struct msgs *m, int type, int nsid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(m->buf + m->len);
	struct rtgenmsg *g;

	nlh->nlmsg_type = (uint16_t)type;
	g = mnl_nlmsg_put_extra_header(nlh, NLMSG_ALIGN(sizeof(*g)));
	g->rtgen_family = 0;
	mnl_attr_put_u32(nlh, NETNSA_NSID, (uint32_t)nsid);
	m->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static struct monitor_link_event parse(struct monitor_link *l, struct msgs *m, int nsid)
{
	struct monitor_link_event ev = { 0 };

	monitor_parse(l, m->buf, m->len, nsid, &ev);
	m->len = 0;
	return ev;
}

static void test_home(void)
{
	struct monitor_link l = { MONITOR_NSID_HOME, 7, 0 };
	struct msgs m = { .len = 0 };
	struct monitor_link_event ev;

	put_link(&m, RTM_NEWLINK, 7, 1380, -1, -1);
	ev = parse(&l, &m, MONITOR_NSID_HOME);
	CHECK(ev.mtu == 1380 && !ev.deleted && !ev.moved);
	/* Another link's, and ours from another namespace: not ours. */
	put_link(&m, RTM_DELLINK, 8, 1500, -1, -1);
	put_link(&m, RTM_DELLINK, 7, 1500, -1, -1);
	ev = parse(&l, &m, 3);
	CHECK(!ev.deleted && !ev.mtu);
	put_link(&m, RTM_DELLINK, 7, 1380, -1, -1);
	ev = parse(&l, &m, MONITOR_NSID_HOME);
	CHECK(ev.deleted);
}

static void test_move_out(void)
{
	struct monitor_link l = { MONITOR_NSID_HOME, 7, 0 };
	struct msgs m = { .len = 0 };
	struct monitor_link_event ev;

	/* The move, as one datagram each way. */
	put_nsid(&m, RTM_NEWNSID, 2);
	put_link(&m, RTM_DELLINK, 7, 1420, 2, 4);
	ev = parse(&l, &m, MONITOR_NSID_HOME);
	CHECK(ev.moved && !ev.deleted);
	CHECK(l.nsid == 2 && l.ifindex == 4 && !l.moving_to);
	put_link(&m, RTM_NEWLINK, 4, 1420, -1, -1);
	ev = parse(&l, &m, 2);
	CHECK(ev.mtu == 1420 && !ev.deleted);
	/* Index 4 at home, or 7 anywhere, is someone else now. */
	put_link(&m, RTM_DELLINK, 4, 1500, -1, -1);
	ev = parse(&l, &m, MONITOR_NSID_HOME);
	CHECK(!ev.deleted);
	put_link(&m, RTM_NEWLINK, 7, 1300, -1, -1);
	ev = parse(&l, &m, 2);
	CHECK(!ev.mtu);
	/* The MTU changed there, then the link was deleted there. */
	put_link(&m, RTM_NEWLINK, 4, 1300, -1, -1);
	ev = parse(&l, &m, 2);
	CHECK(ev.mtu == 1300);
	put_link(&m, RTM_DELLINK, 4, 1300, -1, -1);
	ev = parse(&l, &m, 2);
	CHECK(ev.deleted);
}

static void test_namespace_gone(void)
{
	struct monitor_link l = { 2, 4, 0 };
	struct msgs m = { .len = 0 };
	struct monitor_link_event ev;

	/* Another namespace's id, and ids as another namespace numbers
	 * them: not ours. */
	put_nsid(&m, RTM_DELNSID, 5);
	ev = parse(&l, &m, MONITOR_NSID_HOME);
	CHECK(!ev.deleted);
	put_nsid(&m, RTM_DELNSID, 2);
	ev = parse(&l, &m, 2);
	CHECK(!ev.deleted);
	put_nsid(&m, RTM_DELNSID, 2);
	ev = parse(&l, &m, MONITOR_NSID_HOME);
	CHECK(ev.deleted);
}

static void test_move_on(void)
{
	struct monitor_link l = { 2, 4, 0 };
	struct msgs m = { .len = 0 };
	struct monitor_link_event ev;

	/* Out of the tenant: its IFLA_NEW_NETNSID (0, its own numbering)
	 * says nothing here; the next RTM_NEWLINK of the new index does. */
	put_link(&m, RTM_DELLINK, 4, 1420, 0, 9);
	ev = parse(&l, &m, 2);
	CHECK(!ev.moved && !ev.deleted && l.moving_to == 9);
	put_link(&m, RTM_NEWLINK, 9, 1420, -1, -1);
	ev = parse(&l, &m, MONITOR_NSID_HOME);
	CHECK(ev.moved && ev.mtu == 1420);
	CHECK(l.nsid == MONITOR_NSID_HOME && l.ifindex == 9 && !l.moving_to);
	put_link(&m, RTM_DELLINK, 9, 1420, -1, -1);
	ev = parse(&l, &m, MONITOR_NSID_HOME);
	CHECK(ev.deleted);
}

static void test_truncated(void)
{
	struct monitor_link l = { MONITOR_NSID_HOME, 7, 0 };
	struct msgs m = { .len = 0 };
	struct monitor_link_event ev = { 0 };

	/* A message shorter than its ifinfomsg, and a header that claims
	 * more than the datagram holds: nothing read from either. */
	put_link(&m, RTM_DELLINK, 7, 0, -1, -1);
	((struct nlmsghdr *)m.buf)->nlmsg_len = NLMSG_HDRLEN + 4;
	monitor_parse(&l, m.buf, NLMSG_HDRLEN + 4, MONITOR_NSID_HOME, &ev);
	CHECK(!ev.deleted);
	m.len = 0;
	put_link(&m, RTM_DELLINK, 7, 0, -1, -1);
	monitor_parse(&l, m.buf, m.len - 4, MONITOR_NSID_HOME, &ev);
	CHECK(!ev.deleted);
}

static const struct harness_case cases[] = {
	{ "at home: the MTU and the deletion of our index, nobody else's", test_home },
	{ "moved out: followed by id and index, MTU and deletion there", test_move_out },
	{ "the tenant namespace's end (RTM_DELNSID at home) is a deletion", test_namespace_gone },
	{ "moved on from the tenant: the next RTM_NEWLINK of the new index", test_move_on },
	{ "short and truncated messages are not read", test_truncated },
};

HARNESS_MAIN(cases)
