#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

enum {
	/* Large enough for one datagram of any dump (the kernel sizes dump
	 * messages to the reader's buffer, up to 32 KiB). */
	NL_BUFLEN = 32768,
	NL_EXTACK_STRLEN = 200,
};

struct netlink {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	bool dump;     /* the request being built is a dump */
	char buf[NL_BUFLEN] __attribute__((aligned(NLMSG_ALIGNTO)));
	char extack[NL_EXTACK_STRLEN]; /* the kernel's message for the last error */
	struct error err; /* the last failure */
};

struct netlink *netlink_open(void)
{
	struct netlink *nl = calloc(1, sizeof(*nl));
	int one = 1, saved;

	if (!nl)
		return NULL;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		goto err_free;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto err_close;
	/* Best effort: older kernels give bare error numbers. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	return nl;

err_close:
	saved = errno;
	mnl_socket_close(nl->sock);
	errno = saved;
err_free:
	saved = errno;
	free(nl);
	errno = saved;
	return NULL;
}

void netlink_close(struct netlink *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

const struct error *netlink_error(const struct netlink *nl)
{
	return &nl->err;
}

/* --- messages and errors ------------------------------------------------ */

static const char *ifname(unsigned index, char buf[IFNAMSIZ + 16])
{
	char name[IFNAMSIZ];

	if (if_indextoname(index, name))
		snprintf(buf, IFNAMSIZ + 16, "%s", name);
	else
		snprintf(buf, IFNAMSIZ + 16, "interface %u", index);
	return buf;
}

/* Records "WHAT: strerror" (plus the kernel's reason) and returns ret. */
static int __attribute__((format(printf, 3, 4)))
fail(struct netlink *nl, int ret, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (nl->extack[0])
		return error_fail(&nl->err, ret, "%s: %s (%s)", what, strerror(-ret), nl->extack);
	return error_fail(&nl->err, ret, "%s: %s", what, strerror(-ret));
}

static int extack_attr(const struct nlattr *attr, void *data)
{
	struct netlink *nl = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(nl->extack, sizeof(nl->extack), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* NLMSG_DONE ends a dump; it may carry the dump's error. */
static int on_done(const struct nlmsghdr *nlh, void *data)
{
	int err = 0;

	(void)data;
	if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(err)))
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err < 0) {
		errno = -err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

struct talk_ctx {
	struct netlink *nl;
	mnl_cb_t cb;
	void *arg;
};

/* NLMSG_ERROR: an ACK (error 0) ends the exchange; an error keeps the
 * kernel's extended-ACK message for fail(). */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	struct netlink *nl = ((struct talk_ctx *)data)->nl;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	unsigned offset = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!e->error)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			offset += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (mnl_nlmsg_size(offset) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, offset, extack_attr, nl);
	}
	errno = e->error < 0 ? -e->error : e->error;
	return MNL_CB_ERROR;
}

static int on_data(const struct nlmsghdr *nlh, void *data)
{
	struct talk_ctx *t = data;

	return t->cb ? t->cb(nlh, t->arg) : MNL_CB_OK;
}

/* Sends one request and runs cb on each reply until the ACK (or the end
 * of a dump).  0 or -errno; cb returns MNL_CB_OK to go on. */
static int talk(struct netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	/* With an array, libmnl runs only the handlers given. */
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { [NLMSG_ERROR] = on_error, [NLMSG_DONE] = on_done };
	struct talk_ctx t = { nl, cb, arg };
	ssize_t n;
	int ret;

	nl->extack[0] = '\0';
	error_clear(&nl->err);
	nlh->nlmsg_seq = ++nl->seq;
	/* NLM_F_DUMP shares bits with NLM_F_EXCL: ask the request. */
	if (!nl->dump)
		nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		do
			n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		ret = mnl_cb_run2(nl->buf, (size_t)n, nl->seq, nl->portid, on_data, &t,
				  ctl, NLMSG_MIN_TYPE);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		return errno ? -errno : -EIO;
	return 0;
}

static struct nlmsghdr *request(struct netlink *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nl->dump = (type == RTM_GETLINK || type == RTM_GETADDR || type == RTM_GETROUTE ||
		    type == RTM_GETRULE) && (flags & NLM_F_DUMP) == NLM_F_DUMP;
	return nlh;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

static bool get_addr(const struct nlattr *a, int family, struct netaddr *out)
{
	if (mnl_attr_get_payload_len(a) != addr_len(family))
		return false;
	memset(out, 0, sizeof(*out));
	out->family = family;
	memcpy(family == AF_INET ? (void *)&out->in4 : (void *)&out->in6,
	       mnl_attr_get_payload(a), addr_len(family));
	return true;
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type, const struct netaddr *a)
{
	mnl_attr_put(nlh, type, addr_len(a->family),
		     a->family == AF_INET ? (const void *)&a->in4 : (const void *)&a->in6);
}

/* Attributes by type, for the parsers below. */
struct attrs {
	const struct nlattr *a[64];
};

static int collect(const struct nlattr *attr, void *data)
{
	struct attrs *t = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type < ARRAY_SIZE(t->a))
		t->a[type] = attr;
	return MNL_CB_OK;
}

static bool attr_u32(const struct nlattr *a, uint32_t *out)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return false;
	*out = mnl_attr_get_u32(a);
	return true;
}

/* --- links -------------------------------------------------------------- */

static int link_kind(const struct nlattr *attr, void *data)
{
	struct netlink_link *l = data;

	if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		snprintf(l->kind, sizeof(l->kind), "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	struct netlink_link *l = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct attrs t = { 0 };

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifi), collect, &t);
	memset(l, 0, sizeof(*l));
	l->index = (unsigned)ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	if (t.a[IFLA_IFNAME] && mnl_attr_validate(t.a[IFLA_IFNAME], MNL_TYPE_NUL_STRING) == 0)
		snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(t.a[IFLA_IFNAME]));
	attr_u32(t.a[IFLA_MTU], &l->mtu);
	if (t.a[IFLA_LINKINFO])
		mnl_attr_parse_nested(t.a[IFLA_LINKINFO], link_kind, l);
	return MNL_CB_OK;
}

int netlink_link_get(struct netlink *nl, const char *name, unsigned index,
		     struct netlink_link *out)
{
	struct nlmsghdr *nlh = request(nl, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	char buf[IFNAMSIZ + 16];
	int ret;

	ifi->ifi_family = AF_UNSPEC;
	if (name) {
		if (strlen(name) >= IFNAMSIZ)
			return fail(nl, -ENODEV, "looking up link %s", name);
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	} else {
		ifi->ifi_index = (int)index;
	}
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	memset(out, 0, sizeof(*out));
	ret = talk(nl, nlh, on_link, out);
	if (ret == -ENODEV || (!ret && !out->index))
		ret = -ENODEV;
	if (ret) {
		if (name)
			return fail(nl, ret, "looking up link %s", name);
		snprintf(buf, sizeof(buf), "%u", index);
		return fail(nl, ret, "looking up link index %s", buf);
	}
	return 0;
}

/* An RTM_NEWLINK or RTM_DELLINK request for the link of that index. */
static struct nlmsghdr *link_request(struct netlink *nl, uint16_t type, unsigned index)
{
	struct nlmsghdr *nlh = request(nl, type, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)index;
	return nlh;
}

int netlink_link_set(struct netlink *nl, unsigned index, uint32_t mtu, bool up)
{
	struct nlmsghdr *nlh = link_request(nl, RTM_NEWLINK, index);
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	char name[IFNAMSIZ + 16];
	int ret;

	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	ret = talk(nl, nlh, NULL, NULL);
	if (ret && mtu)
		return fail(nl, ret, "setting mtu %u and %s on %s", mtu,
			    up ? "up" : "down", ifname(index, name));
	if (ret)
		return fail(nl, ret, "setting %s %s", ifname(index, name),
			    up ? "up" : "down");
	return 0;
}

int netlink_link_del(struct netlink *nl, unsigned index)
{
	struct nlmsghdr *nlh = link_request(nl, RTM_DELLINK, index);
	char name[IFNAMSIZ + 16];
	int ret;

	ifname(index, name);
	ret = talk(nl, nlh, NULL, NULL);
	return ret ? fail(nl, ret, "deleting link %s", name) : 0;
}

int netlink_link_set_netns(struct netlink *nl, unsigned index, int nsfd)
{
	struct nlmsghdr *nlh = link_request(nl, RTM_NEWLINK, index);
	char name[IFNAMSIZ + 16];
	int ret;

	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	ifname(index, name);
	ret = talk(nl, nlh, NULL, NULL);
	return ret ? fail(nl, ret, "moving link %s to another network namespace", name) : 0;
}

/* --- addresses ---------------------------------------------------------- */

/* ip(8)'s default_scope(): loopback addresses are host, IPv6 link-local
 * ones link, everything else global. */
static uint8_t addr_scope(const struct netaddr *a)
{
	if (a->family == AF_INET && (ntohl(a->in4.s_addr) >> 24) == 127)
		return RT_SCOPE_HOST;
	if (a->family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a->in6))
		return RT_SCOPE_LINK;
	if (a->family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&a->in6))
		return RT_SCOPE_HOST;
	return RT_SCOPE_UNIVERSE;
}

static int addr_change(struct netlink *nl, uint16_t type, unsigned index,
		       const struct netaddr_prefix *p)
{
	struct nlmsghdr *nlh = request(nl, type, type == RTM_NEWADDR ?
					   NLM_F_CREATE | NLM_F_EXCL : 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	char name[IFNAMSIZ + 16], pbuf[NETADDR_PREFIX_STRLEN];
	int ret;

	ifa->ifa_family = (uint8_t)p->addr.family;
	ifa->ifa_prefixlen = p->cidr;
	ifa->ifa_scope = addr_scope(&p->addr);
	ifa->ifa_index = index;
	put_addr(nlh, IFA_LOCAL, &p->addr);
	put_addr(nlh, IFA_ADDRESS, &p->addr);
	ret = talk(nl, nlh, NULL, NULL);
	if (ret)
		return fail(nl, ret, "%s address %s %s %s",
			    type == RTM_NEWADDR ? "adding" : "deleting",
			    netaddr_format_prefix(pbuf, p),
			    type == RTM_NEWADDR ? "to" : "from", ifname(index, name));
	return 0;
}

int netlink_addr_add(struct netlink *nl, unsigned index, const struct netaddr_prefix *p)
{
	return addr_change(nl, RTM_NEWADDR, index, p);
}

int netlink_addr_del(struct netlink *nl, unsigned index, const struct netaddr_prefix *p)
{
	return addr_change(nl, RTM_DELADDR, index, p);
}

struct addr_list {
	unsigned index;
	struct netlink_addr *v;
	size_t n, cap;
	int err;
};

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	struct addr_list *l = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;
	struct attrs t = { 0 };
	struct netlink_addr e = { 0 };
	uint32_t flags;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_index != l->index || l->err)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), collect, &t);
	/* IFA_LOCAL is the address itself; IFA_ADDRESS is the peer's on a
	 * point-to-point IPv4 link (and the only one for IPv6). */
	a = t.a[IFA_LOCAL] ? t.a[IFA_LOCAL] : t.a[IFA_ADDRESS];
	if (!a || !get_addr(a, ifa->ifa_family, &e.prefix.addr))
		return MNL_CB_OK;
	e.prefix.cidr = ifa->ifa_prefixlen;
	e.scope = ifa->ifa_scope;
	e.flags = attr_u32(t.a[IFA_FLAGS], &flags) ? flags : ifa->ifa_flags;
	if (l->n == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 8;
		struct netlink_addr *v = reallocarray(l->v, ncap, sizeof(*v));

		if (!v) {
			l->err = -ENOMEM;
			return MNL_CB_OK;
		}
		l->v = v;
		l->cap = ncap;
	}
	l->v[l->n++] = e;
	return MNL_CB_OK;
}

static int addr_dump(struct netlink *nl, int family, struct addr_list *l)
{
	struct nlmsghdr *nlh = request(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));

	ifa->ifa_family = (uint8_t)family;
	return talk(nl, nlh, on_addr, l);
}

int netlink_addr_list(struct netlink *nl, unsigned index, int family,
		      struct netlink_addr **out, size_t *n)
{
	struct addr_list l = { .index = index };
	char name[IFNAMSIZ + 16];
	int ret = 0;

	if (family == AF_UNSPEC || family == AF_INET)
		ret = addr_dump(nl, AF_INET, &l);
	if (!ret && (family == AF_UNSPEC || family == AF_INET6))
		ret = addr_dump(nl, AF_INET6, &l);
	if (!ret)
		ret = l.err;
	if (ret) {
		free(l.v);
		return fail(nl, ret, "listing the addresses of %s", ifname(index, name));
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

/* --- routes ------------------------------------------------------------- */

static void put_table(struct nlmsghdr *nlh, uint8_t *field, uint16_t attr, uint32_t table)
{
	/* As ip(8): ids past 255 only in the attribute. */
	if (table < 256) {
		*field = (uint8_t)table;
	} else {
		*field = RT_TABLE_UNSPEC;
		mnl_attr_put_u32(nlh, attr, table);
	}
}

static int route_change(struct netlink *nl, uint16_t type, const struct netaddr_prefix *dst,
			unsigned oif, uint32_t table)
{
	struct nlmsghdr *nlh = request(nl, type, type == RTM_NEWROUTE ?
					   NLM_F_CREATE | NLM_F_EXCL : 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	char name[IFNAMSIZ + 16], pbuf[NETADDR_PREFIX_STRLEN];
	int ret;

	rtm->rtm_family = (uint8_t)dst->addr.family;
	rtm->rtm_dst_len = dst->cidr;
	rtm->rtm_protocol = type == RTM_NEWROUTE ? RTPROT_BOOT : 0;
	rtm->rtm_scope = type == RTM_NEWROUTE ? RT_SCOPE_LINK : RT_SCOPE_NOWHERE;
	rtm->rtm_type = RTN_UNICAST;
	put_table(nlh, &rtm->rtm_table, RTA_TABLE, table);
	put_addr(nlh, RTA_DST, &dst->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, oif);
	ret = talk(nl, nlh, NULL, NULL);
	if (ret)
		return fail(nl, ret, "%s route %s dev %s table %u",
			    type == RTM_NEWROUTE ? "adding" : "deleting",
			    netaddr_format_prefix(pbuf, dst), ifname(oif, name), table);
	return 0;
}

int netlink_route_add(struct netlink *nl, const struct netaddr_prefix *dst,
		      unsigned oif, uint32_t table)
{
	return route_change(nl, RTM_NEWROUTE, dst, oif, table);
}

int netlink_route_del(struct netlink *nl, const struct netaddr_prefix *dst,
		      unsigned oif, uint32_t table)
{
	return route_change(nl, RTM_DELROUTE, dst, oif, table);
}

static int route_metric(const struct nlattr *attr, void *data)
{
	struct netlink_route *r = data;

	if (mnl_attr_get_type(attr) == RTAX_MTU)
		attr_u32(attr, &r->mtu);
	return MNL_CB_OK;
}

static bool parse_route(const struct nlmsghdr *nlh, struct netlink_route *r)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct attrs t = { 0 };
	uint32_t v;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return false;
	mnl_attr_parse(nlh, sizeof(*rtm), collect, &t);
	memset(r, 0, sizeof(*r));
	r->dst.addr.family = rtm->rtm_family;
	r->dst.cidr = rtm->rtm_dst_len;
	if (t.a[RTA_DST] && !get_addr(t.a[RTA_DST], rtm->rtm_family, &r->dst.addr))
		return false;
	r->table = attr_u32(t.a[RTA_TABLE], &v) ? v : rtm->rtm_table;
	if (attr_u32(t.a[RTA_OIF], &v))
		r->oif = v;
	if (t.a[RTA_METRICS])
		mnl_attr_parse_nested(t.a[RTA_METRICS], route_metric, r);
	r->type = rtm->rtm_type;
	r->protocol = rtm->rtm_protocol;
	r->cloned = rtm->rtm_flags & RTM_F_CLONED;
	return true;
}

struct route_walk {
	int (*fn)(const struct netlink_route *r, void *arg);
	void *arg;
	int stopped;
};

static int on_route(const struct nlmsghdr *nlh, void *data)
{
	struct route_walk *w = data;
	struct netlink_route r;

	if (!w->stopped && parse_route(nlh, &r))
		w->stopped = w->fn(&r, w->arg);
	return MNL_CB_OK;
}

int netlink_route_dump(struct netlink *nl, int family,
		       int (*fn)(const struct netlink_route *r, void *arg), void *arg)
{
	struct nlmsghdr *nlh = request(nl, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	struct route_walk w = { fn, arg, 0 };
	int ret;

	rtm->rtm_family = (uint8_t)family;
	ret = talk(nl, nlh, on_route, &w);
	if (ret)
		return fail(nl, ret, "listing %s routes", family == AF_INET ? "IPv4" : "IPv6");
	return w.stopped;
}

static int on_route_get(const struct nlmsghdr *nlh, void *data)
{
	parse_route(nlh, data);
	return MNL_CB_OK;
}

int netlink_route_get(struct netlink *nl, const struct netaddr *dst,
		      struct netlink_route *out)
{
	struct nlmsghdr *nlh = request(nl, RTM_GETROUTE, 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	char abuf[NETADDR_IP_STRLEN];
	int ret;

	rtm->rtm_family = (uint8_t)dst->family;
	rtm->rtm_dst_len = dst->family == AF_INET ? 32 : 128;
	put_addr(nlh, RTA_DST, dst);
	memset(out, 0, sizeof(*out));
	out->type = RTN_UNSPEC;
	ret = talk(nl, nlh, on_route_get, out);
	if (!ret && out->type == RTN_UNSPEC)
		ret = -ENETUNREACH;
	return ret ? fail(nl, ret, "looking up the route to %s",
			  netaddr_format_ip(abuf, dst)) : 0;
}

/* --- rules -------------------------------------------------------------- */

char *netlink_rule_format(char *buf, size_t size, const struct netlink_rule *r)
{
	char fw[32] = "", sup[40] = "", prio[32] = "", table[16] = "main";

	if (r->has_fwmark)
		snprintf(fw, sizeof(fw), "fwmark 0x%x ", r->fwmark);
	if (r->suppress_prefixlength >= 0)
		snprintf(sup, sizeof(sup), " suppress_prefixlength %d", r->suppress_prefixlength);
	if (r->priority)
		snprintf(prio, sizeof(prio), " priority %u", r->priority);
	if (r->table != NETLINK_TABLE_MAIN)
		snprintf(table, sizeof(table), "%u", r->table);
	snprintf(buf, size, "%s%stable %s%s%s", r->invert ? "not " : "", fw, table, sup, prio);
	return buf;
}

static void put_rule(struct nlmsghdr *nlh, const struct netlink_rule *r)
{
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));

	frh->family = (uint8_t)r->family;
	frh->action = FR_ACT_TO_TBL;
	frh->flags = r->invert ? FIB_RULE_INVERT : 0;
	put_table(nlh, &frh->table, FRA_TABLE, r->table);
	if (r->priority)
		mnl_attr_put_u32(nlh, FRA_PRIORITY, r->priority);
	if (r->has_fwmark) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, r->fwmark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, 0xffffffff);
	}
	if (r->suppress_prefixlength >= 0)
		mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, (uint32_t)r->suppress_prefixlength);
}

static bool parse_rule(const struct nlmsghdr *nlh, struct netlink_rule *r)
{
	const struct fib_rule_hdr *frh = mnl_nlmsg_get_payload(nlh);
	struct attrs t = { 0 };
	uint32_t v;

	if (nlh->nlmsg_type != RTM_NEWRULE ||
	    (frh->family != AF_INET && frh->family != AF_INET6))
		return false;
	mnl_attr_parse(nlh, sizeof(*frh), collect, &t);
	memset(r, 0, sizeof(*r));
	r->family = frh->family;
	r->invert = frh->flags & FIB_RULE_INVERT;
	r->table = attr_u32(t.a[FRA_TABLE], &v) ? v : frh->table;
	attr_u32(t.a[FRA_PRIORITY], &r->priority);
	r->has_fwmark = attr_u32(t.a[FRA_FWMARK], &r->fwmark);
	r->suppress_prefixlength = attr_u32(t.a[FRA_SUPPRESS_PREFIXLEN], &v) ? (int)v : -1;
	/* Anything that narrows the rule beyond what wg-quick writes. */
	if (frh->action != FR_ACT_TO_TBL || frh->src_len || frh->dst_len || frh->tos ||
	    (r->has_fwmark && (!attr_u32(t.a[FRA_FWMASK], &v) || v != 0xffffffff)) ||
	    (!r->has_fwmark && attr_u32(t.a[FRA_FWMASK], &v) && v))
		r->other_selectors = true;
	for (uint16_t type = 1; type < ARRAY_SIZE(t.a); type++) {
		switch (type) {
		case FRA_PRIORITY:
		case FRA_TABLE:
		case FRA_FWMARK:
		case FRA_FWMASK:
		case FRA_SUPPRESS_PREFIXLEN:
		case FRA_PROTOCOL:
		case FRA_PAD:
			break;
		default:
			if (t.a[type])
				r->other_selectors = true;
		}
	}
	return true;
}

static int on_rule_echo(const struct nlmsghdr *nlh, void *data)
{
	struct netlink_rule *r = data, echo;

	if (parse_rule(nlh, &echo) && echo.priority)
		r->priority = echo.priority;
	return MNL_CB_OK;
}

int netlink_rule_add(struct netlink *nl, struct netlink_rule *r)
{
	/* NLM_F_ECHO: the kernel sends the new rule back, with the priority
	 * it chose, so that rampart down can delete exactly this rule. */
	struct nlmsghdr *nlh = request(nl, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ECHO);
	char buf[128];
	int ret;

	put_rule(nlh, r);
	ret = talk(nl, nlh, on_rule_echo, r);
	if (ret)
		return fail(nl, ret, "adding %s rule %s", r->family == AF_INET ? "IPv4" : "IPv6",
			    netlink_rule_format(buf, sizeof(buf), r));
	if (!r->priority)
		return fail(nl, -EPROTO, "adding %s rule %s: no priority in the kernel's echo",
			    r->family == AF_INET ? "IPv4" : "IPv6",
			    netlink_rule_format(buf, sizeof(buf), r));
	return 0;
}

int netlink_rule_del(struct netlink *nl, const struct netlink_rule *r)
{
	struct nlmsghdr *nlh = request(nl, RTM_DELRULE, 0);
	char buf[128];
	int ret;

	put_rule(nlh, r);
	ret = talk(nl, nlh, NULL, NULL);
	if (ret)
		return fail(nl, ret, "deleting %s rule %s", r->family == AF_INET ? "IPv4" : "IPv6",
			    netlink_rule_format(buf, sizeof(buf), r));
	return 0;
}

struct rule_walk {
	int (*fn)(const struct netlink_rule *r, void *arg);
	void *arg;
	int stopped;
};

static int on_rule(const struct nlmsghdr *nlh, void *data)
{
	struct rule_walk *w = data;
	struct netlink_rule r;

	if (!w->stopped && parse_rule(nlh, &r))
		w->stopped = w->fn(&r, w->arg);
	return MNL_CB_OK;
}

int netlink_rule_dump(struct netlink *nl, int family,
		      int (*fn)(const struct netlink_rule *r, void *arg), void *arg)
{
	struct nlmsghdr *nlh = request(nl, RTM_GETRULE, NLM_F_DUMP);
	struct fib_rule_hdr *frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	struct rule_walk w = { fn, arg, 0 };
	int ret;

	frh->family = (uint8_t)family;
	ret = talk(nl, nlh, on_rule, &w);
	if (ret)
		return fail(nl, ret, "listing %s rules", family == AF_INET ? "IPv4" : "IPv6");
	return w.stopped;
}
