/* A small rtnetlink client over libmnl: the links, addresses, routes and
 * policy rules that `rampart up` and `rampart down` manage, and the route
 * lookups behind wg-quick's automatic MTU.
 *
 * One request at a time on one socket, each acknowledged by the kernel
 * before the call returns.  Every action returns 0 or -errno and, on
 * failure, leaves in netlink_error() an error whose message names the object and the
 * kernel's own explanation when it gives one (extended ACK), e.g.
 * "adding route 10.0.0.0/24 dev wg0 table 51820: File exists".
 *
 * Lists come back through callbacks or arrays the caller frees; nothing
 * here prints, and nothing here knows about WireGuard. */
#ifndef RAMPART_SYS_NETLINK_H
#define RAMPART_SYS_NETLINK_H

#include "common/compiler.h"
#include "common/error.h"
#include "common/netaddr.h"

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	/* Kernel's RT_TABLE_MAIN: "table main". */
	NETLINK_TABLE_MAIN = 254,
};

struct netlink;

/* A bound NETLINK_ROUTE socket; NULL with errno. */
struct netlink *netlink_open(void);
/* netlink_close(NULL) is a no-op. */
void netlink_close(struct netlink *nl);
/* The last failure (code 0, message "" if none); valid until the next
 * call on nl. */
const struct error *netlink_error(const struct netlink *nl);

struct netlink_link {
	unsigned index;
	char name[IFNAMSIZ];
	uint32_t mtu;
	unsigned flags;   /* IFF_* */
	char kind[16];    /* IFLA_INFO_KIND ("tun", "dummy"); "" if none */
};

/* Looks a link up by name, or by index when name is NULL: 0, or -ENODEV
 * when there is no such link. */
int netlink_link_get(struct netlink *nl, const char *name, unsigned index,
		     struct netlink_link *out) warn_unused;
/* "ip link set [mtu MTU] up|down dev": mtu 0 leaves the MTU alone. */
int netlink_link_set(struct netlink *nl, unsigned index, uint32_t mtu, bool up) warn_unused;
int netlink_link_del(struct netlink *nl, unsigned index) warn_unused;
/* "ip link set dev netns NS": moves the link into the network namespace
 * of descriptor nsfd (netns.h).  Its index there may differ: look it up
 * by name from inside. */
int netlink_link_set_netns(struct netlink *nl, unsigned index, int nsfd) warn_unused;

struct netlink_addr {
	struct netaddr_prefix prefix; /* the local address and its length */
	uint8_t scope;                /* RT_SCOPE_* */
	uint32_t flags;               /* IFA_F_* */
};

/* "ip address add PREFIX dev": the address exactly as written (host bits
 * included), scope chosen as ip(8) does. */
int netlink_addr_add(struct netlink *nl, unsigned index,
		     const struct netaddr_prefix *p) warn_unused;
int netlink_addr_del(struct netlink *nl, unsigned index,
		     const struct netaddr_prefix *p) warn_unused;
/* Every address of the link in the kernel's order (IPv4 first), family
 * AF_INET, AF_INET6 or AF_UNSPEC for both.  *out is malloc()ed (NULL when
 * *n is 0). */
int netlink_addr_list(struct netlink *nl, unsigned index, int family,
		      struct netlink_addr **out, size_t *n) warn_unused;

struct netlink_route {
	struct netaddr_prefix dst;
	unsigned oif;      /* 0 if none (multipath, blackhole) */
	uint32_t table;
	uint32_t mtu;      /* RTAX_MTU metric (or cached path MTU); 0 if none */
	uint8_t type;      /* RTN_* */
	uint8_t protocol;  /* RTPROT_* */
	bool cloned;       /* RTM_F_CLONED: a cache entry, not a route */
};

/* "ip route add|del PREFIX dev OIF table TABLE": a unicast route with
 * scope link, proto boot, as ip(8) makes it.  The prefix must have its
 * host bits clear (the kernel refuses it otherwise). */
int netlink_route_add(struct netlink *nl, const struct netaddr_prefix *dst,
		      unsigned oif, uint32_t table) warn_unused;
int netlink_route_del(struct netlink *nl, const struct netaddr_prefix *dst,
		      unsigned oif, uint32_t table) warn_unused;
/* Calls fn for every route of the family (AF_INET or AF_INET6) in every
 * table; fn returns 0 to go on or anything else to stop (returned as is;
 * the rest of the dump is drained). */
int netlink_route_dump(struct netlink *nl, int family,
		       int (*fn)(const struct netlink_route *r, void *arg),
		       void *arg) warn_unused;
/* "ip route get ADDR": the route the kernel would use now. */
int netlink_route_get(struct netlink *nl, const struct netaddr *dst,
		      struct netlink_route *out) warn_unused;

/* A policy rule whose action is "lookup TABLE".  Only the selectors that
 * wg-quick uses are represented; rules with any other selector come out
 * of a dump with other_selectors set, so that callers never mistake them
 * for one of theirs. */
struct netlink_rule {
	int family;               /* AF_INET or AF_INET6 */
	uint32_t priority;        /* 0 on add: the kernel chooses */
	uint32_t table;
	bool invert;              /* "not" */
	bool has_fwmark;
	uint32_t fwmark;          /* mask 0xffffffff */
	int suppress_prefixlength; /* -1 if none */
	bool other_selectors;     /* dump only: from/to/iif/oif/tos/... set */
};

/* "ip rule add": on success r->priority holds the priority the rule got
 * (the kernel picks one when r->priority is 0, as for ip(8)). */
int netlink_rule_add(struct netlink *nl, struct netlink_rule *r) warn_unused;
/* Deletes one rule equal to r (priority included): -ENOENT if none. */
int netlink_rule_del(struct netlink *nl, const struct netlink_rule *r) warn_unused;
/* Every rule of the family, in priority order; fn as for routes. */
int netlink_rule_dump(struct netlink *nl, int family,
		      int (*fn)(const struct netlink_rule *r, void *arg),
		      void *arg) warn_unused;

/* "ip rule" style text of a rule, for messages: "not fwmark 0xca6c table
 * 51820", with "priority N" when it has one. */
char *netlink_rule_format(char *buf, size_t size, const struct netlink_rule *r);

#endif
