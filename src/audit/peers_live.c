/* The peers checks that look past the config file: at the host's routes
 * and addresses (/proc/net under the root), at the running daemon (its
 * get, through audit_device()) and at the peer inventory (SQLite, opened
 * read-only).  A fact that is not there (no /proc in a fixture, no
 * daemon, no inventory) is no finding; one that is there and cannot be
 * read is a gap (audit_facts_gaps()). */
#include "audit.h"
#include "sockets.h"

#include "common/encoding.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "inventory/conninfo.h"
#include "inventory/inventory.h"
#include "inventory/store.h"
#include "uapi/device.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEED_SUBNET_HOST "seed 002: /32 per client"
#define SEED_LAN "seed 002: a VPN subnet that reuses no LAN subnet"
#define SEED_NAT "seed 000: keepalive where needed (roaming clients behind NAT)"
#define SEED_HANDSHAKE "seed 000: alert on long inactivity (handshake times)"
#define SEED_INVENTORY "seed 000: an inventory of keys and owners; offboarding"

#define PROC_ROUTE "/proc/net/route"
#define PROC_ROUTE6 "/proc/net/ipv6_route"
#define PROC_FIB_TRIE "/proc/net/fib_trie"

enum {
	DAY_SECONDS = 86400,
	ROUTES_MAX = 1 << 16, /* read of the route files; a host has far fewer */
	LOCAL_ADDRS_MAX = 256,
	/* RTF_LOCAL in /proc/net/ipv6_route's flags: a route to one of this
	 * host's own addresses (the local table), not a network. */
	RTF6_LOCAL = 0x80000000u,
};

static int nomem(struct error *err)
{
	return error_fail(err, -ENOMEM, "out of memory");
}

/* A peer by its key as the operator knows it: the "# Name" of the config's
 * peer with that key, else the key. */
static const char *label(const struct conf *c, const uint8_t key[KEY_LEN],
			 char buf[KEY_B64_LEN + 1])
{
	const struct conf_peer *p = c ? conf_find_peer(c, key) : NULL;

	if (p && p->name[0])
		return p->name;
	encoding_key_to_base64(buf, key);
	return buf;
}

static struct netaddr_prefix masked(const struct netaddr_prefix *p)
{
	struct netaddr_prefix m = *p;

	netaddr_prefix_mask(&m);
	return m;
}

/* --- peers.subnet_for_host ------------------------------------------------ */

/* The config's Address whose network holds x, or NULL. */
static const struct conf_prefix *tunnel_net_of(const struct conf *c,
					       const struct netaddr_prefix *x)
{
	struct netaddr_prefix in = masked(x);

	for (size_t i = 0; i < c->n_addresses; i++) {
		struct netaddr_prefix net = masked(&c->addresses[i].prefix);

		if (netaddr_prefix_contains(&net, &in))
			return &c->addresses[i];
	}
	return NULL;
}

static int subnet_for_host_peer(const struct audit_iface *ifc, const struct conf_peer *p,
				struct audit_list *out, struct error *err)
{
	char l[KEY_B64_LEN + 1], pfx[NETADDR_PREFIX_STRLEN], net[NETADDR_PREFIX_STRLEN];

	for (size_t j = 0; j < p->n_allowed_ips; j++) {
		const struct conf_prefix *x = &p->allowed_ips[j], *a;
		unsigned host = x->prefix.addr.family == AF_INET ? 32 : 128;
		struct audit_finding *fnd;

		/* A /0 is peers.wide_route_on_hub's; a network outside the
		 * tunnel subnet is a site's LAN, routed on purpose. */
		if (x->prefix.cidr == host || x->prefix.cidr == 0 ||
		    !(a = tunnel_net_of(ifc->conf, &x->prefix)))
			continue;
		fnd = audit_add(out, "peers.subnet_for_host", AUDIT_WARNING, SEED_SUBNET_HOST);
		if (!fnd)
			return nomem(err);
		netaddr_format_prefix(pfx, &x->prefix);
		netaddr_format_prefix(net, &a->prefix);
		snprintf(fnd->message, sizeof(fnd->message),
			 "%s: hub peer %s routes %s, a whole part of the tunnel subnet, where one "
			 "address (/%u) was meant", ifc->name, label(ifc->conf, p->public_key, l),
			 pfx, host);
		snprintf(fnd->evidence, sizeof(fnd->evidence),
			 "%s:%u AllowedIPs %s inside Address = %s (%s:%u)", ifc->path, x->line, pfx,
			 net, ifc->path, a->line);
		snprintf(fnd->fix, sizeof(fnd->fix),
			 "AllowedIPs = the peer's own tunnel address/%u in %s", host, ifc->path);
	}
	return 0;
}

int audit_peers_subnet_for_host(struct audit_facts *f, const struct audit_iface *ifs,
				size_t n, struct audit_list *out, struct error *err)
{
	(void)f;
	for (size_t k = 0; k < n; k++) {
		const struct conf *c = ifs[k].conf;

		for (size_t i = 0; c && audit_is_hub(c) && i < c->n_peers; i++) {
			int ret = subnet_for_host_peer(&ifs[k], &c->peers[i], out, err);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* --- peers.subnet_collides_lan -------------------------------------------- */

struct route {
	struct netaddr_prefix prefix;
	char dev[16];
	const char *file;
};

struct routes {
	struct route *v;
	size_t n, cap;
};

static int route_add(struct routes *r, const struct route *x, struct error *err)
{
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 16;
		struct route *nv;

		if (ncap > ROUTES_MAX)
			return 0;
		nv = realloc(r->v, ncap * sizeof(*nv));
		if (!nv)
			return nomem(err);
		r->v = nv;
		r->cap = ncap;
	}
	r->v[r->n++] = *x;
	return 0;
}

/* One line of /proc/net/route: "Iface Destination Gateway Flags RefCnt
 * Use Metric Mask ...", the addresses as the kernel's __be32 printed with
 * %08X, which is their bytes in memory order read as a host integer: so
 * copying the parsed integer back into memory gives the address on any
 * host (on x86 the text reads byte-reversed, "0100A8C0" for 192.168.0.1).
 * false for the header and anything else that is not a route. */
static bool parse_route4(const char *line, struct route *r)
{
	uint32_t dst, mask;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%15s %" SCNx32 " %*x %*x %*d %*d %*d %" SCNx32, r->dev, &dst,
		   &mask) != 3)
		return false;
	r->prefix.addr.family = AF_INET;
	memcpy(&r->prefix.addr.in4, &dst, 4);
	r->prefix.cidr = (uint8_t)__builtin_popcount(mask);
	r->file = PROC_ROUTE;
	return true;
}

/* One line of /proc/net/ipv6_route: "DEST PLEN SRC SPLEN NEXTHOP METRIC
 * REFCNT USE FLAGS DEV", DEST as 32 hex digits in network order. */
static bool parse_route6(const char *line, struct route *r)
{
	char hex[33];
	unsigned plen, flags;

	memset(r, 0, sizeof(*r));
	if (sscanf(line, "%32s %x %*s %*x %*s %*x %*x %*x %x %15s", hex, &plen, &flags,
		   r->dev) != 4 || strlen(hex) != 32 || plen > 128 || (flags & RTF6_LOCAL))
		return false;
	for (size_t i = 0; i < 16; i++) {
		unsigned b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return false;
		r->prefix.addr.in6.s6_addr[i] = (uint8_t)b;
	}
	r->prefix.addr.family = AF_INET6;
	r->prefix.cidr = (uint8_t)plen;
	r->file = PROC_ROUTE6;
	return true;
}

/* The routes of one file; a file that is not there adds none. */
static int read_routes(struct audit_facts *f, const char *path,
		       bool (*parse)(const char *, struct route *), struct routes *r,
		       struct error *err)
{
	struct error why = { 0 };
	struct route x;
	char *buf = NULL, *line, *next;
	size_t len = 0;
	int ret = audit_read(f, path, &buf, &len, &why);

	if (ret == -ENOENT)
		return 0;
	if (ret) {
		audit_facts_note_gap(f, path, &why);
		return 0;
	}
	for (line = buf; line && *line && !ret; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (parse(line, &x))
			ret = route_add(r, &x, err);
	}
	textbuf_free_text(buf, len);
	return ret;
}

static int collides_one(const struct audit_iface *ifc, const struct conf_prefix *a,
			const struct route *rt, struct audit_list *out, struct error *err)
{
	char net[NETADDR_PREFIX_STRLEN], dst[NETADDR_PREFIX_STRLEN];
	struct netaddr_prefix mine = masked(&a->prefix), theirs = masked(&rt->prefix);
	struct audit_finding *fnd;

	if (rt->prefix.cidr == 0 || !strcmp(rt->dev, ifc->name) || !strcmp(rt->dev, "lo") ||
	    !(netaddr_prefix_contains(&mine, &theirs) || netaddr_prefix_contains(&theirs, &mine)))
		return 0;
	fnd = audit_add(out, "peers.subnet_collides_lan", AUDIT_WARNING, SEED_LAN);
	if (!fnd)
		return nomem(err);
	netaddr_format_prefix(net, &mine);
	netaddr_format_prefix(dst, &theirs);
	snprintf(fnd->message, sizeof(fnd->message),
		 "%s: the tunnel subnet %s overlaps the route %s of %s: hosts there and peers "
		 "here share addresses", ifc->name, net, dst, rt->dev);
	snprintf(fnd->evidence, sizeof(fnd->evidence), "%s:%u Address = %s; %s: %s dev %s",
		 ifc->path, a->line, net, rt->file, dst, rt->dev);
	snprintf(fnd->fix, sizeof(fnd->fix),
		 "Address = a subnet that no route here covers (ip route show match NET) in %s, "
		 "and the peers' AllowedIPs with it", ifc->path);
	return 0;
}

int audit_peers_subnet_collides_lan(struct audit_facts *f, const struct audit_iface *ifs,
				    size_t n, struct audit_list *out, struct error *err)
{
	struct routes r = { 0 };
	bool want = false;
	int ret = 0;

	/* The route files are read only for a config with an Address. */
	for (size_t k = 0; k < n; k++)
		want |= ifs[k].conf && ifs[k].conf->n_addresses;
	if (want)
		ret = read_routes(f, PROC_ROUTE, parse_route4, &r, err);
	if (want && !ret)
		ret = read_routes(f, PROC_ROUTE6, parse_route6, &r, err);
	for (size_t k = 0; k < n && !ret; k++) {
		const struct conf *c = ifs[k].conf;

		for (size_t i = 0; c && i < c->n_addresses && !ret; i++)
			for (size_t j = 0; j < r.n && !ret; j++)
				ret = collides_one(&ifs[k], &c->addresses[i], &r.v[j], out, err);
	}
	free(r.v);
	return ret;
}

/* --- peers.keepalive_missing_nat ------------------------------------------ */

/* This host's own IPv4 addresses but loopback and link-local (neither
 * leads out), from /proc/net/fib_trie: a leaf "|-- A.B.C.D" followed by a
 * "/32 host LOCAL" line is an address of the host (the file lists the
 * main and the local table: each address is kept once). */
struct local_addrs {
	struct in_addr v[LOCAL_ADDRS_MAX];
	size_t n;
};

static uint32_t host_order(const struct in_addr *a)
{
	return ntohl(a->s_addr);
}

static bool in_net(const struct in_addr *a, uint32_t net, unsigned len)
{
	return (host_order(a) ^ net) >> (32 - len) == 0;
}

/* RFC 1918 and the shared CGNAT space of RFC 6598: behind a NAT. */
static bool v4_private(const struct in_addr *a)
{
	return in_net(a, 0x0a000000, 8) || in_net(a, 0xac100000, 12) ||
	       in_net(a, 0xc0a80000, 16) || in_net(a, 0x64400000, 10);
}

/* What the internet routes to: neither private nor "this network" (0/8),
 * loopback, link-local, multicast or reserved (224/3).  The
 * documentation ranges (192.0.2.0/24, ...) count as public: they stand
 * for public addresses in examples and tests. */
static bool v4_public(const struct in_addr *a)
{
	return !v4_private(a) && !in_net(a, 0, 8) && !in_net(a, 0x7f000000, 8) &&
	       !in_net(a, 0xa9fe0000, 16) && !in_net(a, 0xe0000000, 3);
}

static void local_add(struct local_addrs *la, const struct in_addr *a)
{
	if (in_net(a, 0x7f000000, 8) || in_net(a, 0xa9fe0000, 16))
		return;
	for (size_t i = 0; i < la->n; i++)
		if (la->v[i].s_addr == a->s_addr)
			return;
	if (la->n < LOCAL_ADDRS_MAX)
		la->v[la->n++] = *a;
}

/* *found false when there is no fib_trie to read (a fixture without
 * /proc): then nothing is known of NAT.  The file is read by sockets.c's
 * parser, which the exposure checks use for the same addresses. */
static void read_local_addrs(struct audit_facts *f, struct local_addrs *la, bool *found)
{
	struct error why = { 0 };
	struct netaddr *v = NULL;
	size_t n = 0, cap = 0;
	char *buf = NULL;
	size_t len = 0;
	int ret = audit_read(f, PROC_FIB_TRIE, &buf, &len, &why);

	la->n = 0;
	*found = ret == 0;
	if (ret && ret != -ENOENT)
		audit_facts_note_gap(f, PROC_FIB_TRIE, &why);
	if (ret)
		return;
	if (audit_fib_trie_parse(buf, len, &v, &n, &cap) == 0)
		for (size_t i = 0; i < n; i++)
			if (v[i].family == AF_INET)
				local_add(la, &v[i].in4);
	free(v);
	textbuf_free_text(buf, len);
}

static const struct uapi_peer *dev_peer(const struct uapi_device *dev,
					const uint8_t key[KEY_LEN])
{
	for (size_t i = 0; dev && i < dev->n_peers; i++)
		if (!memcmp(dev->peers[i].public_key, key, KEY_LEN))
			return &dev->peers[i];
	return NULL;
}

/* The peer's IPv4 endpoint: the configured one when it is an address,
 * else the one the running daemon sees for the peer (a host name it
 * resolved, or where the peer roamed).  *has false when neither is one. */
static int endpoint_v4(struct audit_facts *f, const struct audit_iface *ifc,
		       const struct conf_peer *p, struct in_addr *out, bool *has,
		       struct error *err)
{
	const struct uapi_device *dev;
	const struct uapi_peer *q;
	int ret;

	*has = false;
	if (p->endpoint.literal) {
		*has = p->endpoint.addr.family == AF_INET;
		*out = p->endpoint.addr.in4;
		return 0;
	}
	ret = audit_device(f, ifc->name, &dev, err);
	if (ret)
		return ret;
	q = dev_peer(dev, p->public_key);
	if (q && (q->flags & UAPI_PEER_HAS_ENDPOINT) && q->endpoint.literal &&
	    q->endpoint.addr.family == AF_INET) {
		*has = true;
		*out = q->endpoint.addr.in4;
	}
	return 0;
}

static void format_addrs(const struct local_addrs *la, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < la->n && off < size; i++) {
		char ip[NETADDR_IP_STRLEN];

		inet_ntop(AF_INET, &la->v[i], ip, sizeof(ip));
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? ", " : "", ip);
	}
}

static int nat_peer(struct audit_facts *f, const struct audit_iface *ifc,
		    const struct conf_peer *p, const struct local_addrs *la,
		    struct audit_list *out, struct error *err)
{
	char l[KEY_B64_LEN + 1], ep[NETADDR_IP_STRLEN], addrs[256];
	struct audit_finding *fnd;
	struct in_addr a;
	bool has;
	int ret;

	if (!p->has_endpoint || p->keepalive)
		return 0;
	ret = endpoint_v4(f, ifc, p, &a, &has, err);
	if (ret || !has || !v4_public(&a))
		return ret;
	fnd = audit_add(out, "peers.keepalive_missing_nat", AUDIT_WARNING, SEED_NAT);
	if (!fnd)
		return nomem(err);
	inet_ntop(AF_INET, &a, ep, sizeof(ep));
	format_addrs(la, addrs, sizeof(addrs));
	snprintf(fnd->message, sizeof(fnd->message),
		 "%s: peer %s at the public address %s has no PersistentKeepalive, and this "
		 "host is behind NAT: once the mapping expires the peer cannot reach it",
		 ifc->name, label(ifc->conf, p->public_key, l), ep);
	snprintf(fnd->evidence, sizeof(fnd->evidence),
		 "%s:%u Endpoint%s %s, no PersistentKeepalive; " PROC_FIB_TRIE
		 ": this host's IPv4 addresses are all private (%s)", ifc->path, p->endpoint_line,
		 p->endpoint.literal ? " =" : " (as the daemon sees it)", ep, addrs);
	snprintf(fnd->fix, sizeof(fnd->fix), "PersistentKeepalive = 25 in this peer's section of %s",
		 ifc->path);
	return 0;
}

int audit_peers_keepalive_missing_nat(struct audit_facts *f, const struct audit_iface *ifs,
				      size_t n, struct audit_list *out, struct error *err)
{
	struct local_addrs la;
	bool found, behind = true;

	read_local_addrs(f, &la, &found);
	for (size_t i = 0; i < la.n; i++)
		behind &= v4_private(&la.v[i]);
	if (!found || !la.n || !behind)
		return 0;
	for (size_t k = 0; k < n; k++) {
		const struct conf *c = ifs[k].conf;

		for (size_t i = 0; c && i < c->n_peers; i++) {
			int ret = nat_peer(f, &ifs[k], &c->peers[i], &la, out, err);

			if (ret)
				return ret;
		}
	}
	return 0;
}

/* --- peers.no_handshake --------------------------------------------------- */

static const char *format_utc(char buf[32], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, 32, "%" PRId64, t);
	return buf;
}

static int handshake_peer(const struct audit_iface *ifc, const struct uapi_peer *q,
			  const struct audit_options *o, struct audit_list *out,
			  struct error *err)
{
	char l[KEY_B64_LEN + 1], key[KEY_B64_LEN + 1], when[32], now[32];
	int64_t age = o->now - q->last_handshake_sec;
	bool never = !q->last_handshake_sec && !q->last_handshake_nsec;
	struct audit_finding *fnd;

	if (!never && age <= (int64_t)o->stale_days * DAY_SECONDS)
		return 0;
	fnd = audit_add(out, "peers.no_handshake", never ? AUDIT_INFO : AUDIT_WARNING,
			SEED_HANDSHAKE);
	if (!fnd)
		return nomem(err);
	encoding_key_to_base64(key, q->public_key);
	if (never) {
		snprintf(fnd->message, sizeof(fnd->message),
			 "%s: peer %s has not completed a handshake since the daemon started",
			 ifc->name, label(ifc->conf, q->public_key, l));
		snprintf(fnd->evidence, sizeof(fnd->evidence),
			 "the running %s: peer %s, latest handshake: never", ifc->name, key);
	} else {
		snprintf(fnd->message, sizeof(fnd->message),
			 "%s: peer %s has had no handshake for %" PRId64 " days (more than %u)",
			 ifc->name, label(ifc->conf, q->public_key, l), age / DAY_SECONDS,
			 o->stale_days);
		snprintf(fnd->evidence, sizeof(fnd->evidence),
			 "the running %s: peer %s, latest handshake %s, %" PRId64 " s before %s",
			 ifc->name, key, format_utc(when, q->last_handshake_sec), age,
			 format_utc(now, o->now));
	}
	snprintf(fnd->fix, sizeof(fnd->fix),
		 "rampart doctor %s %s; a device that is gone: rampart peer revoke, or wg set "
		 "%s peer %s remove and its [Peer] out of %s", ifc->name, key, ifc->name, key,
		 ifc->path);
	return 0;
}

int audit_peers_no_handshake(struct audit_facts *f, const struct audit_iface *ifs,
			     size_t n, struct audit_list *out, struct error *err)
{
	const struct audit_options *o = audit_options(f);

	for (size_t k = 0; k < n; k++) {
		const struct uapi_device *dev;
		int ret = audit_device(f, ifs[k].name, &dev, err);

		for (size_t i = 0; !ret && dev && i < dev->n_peers; i++)
			ret = handshake_peer(&ifs[k], &dev->peers[i], o, out, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- peers.inventory_inactive --------------------------------------------- */

/* Why an inventory peer should not be on its interface, or NULL: a state
 * that keeps it off (pending, disabled, revoked, expired), or an expiry
 * that has passed before the apply step marked it. */
static const char *inactive_why(const struct inv_peer *p, int64_t now, char *buf, size_t size)
{
	char when[32];

	if (p->state != INV_ACTIVE)
		return inv_state_name(p->state);
	if (!p->expires || p->expires > now)
		return NULL;
	snprintf(buf, size, "active, but it expired at %s", format_utc(when, p->expires));
	return buf;
}

/* Where a key of p is still in use: the config's [Peer], the running
 * daemon's peers.  "" when nowhere. */
static int key_in_use(struct audit_facts *f, const struct audit_iface *ifc,
		      const uint8_t key[KEY_LEN], char *buf, size_t size, struct error *err)
{
	const struct conf_peer *cp = ifc->conf ? conf_find_peer(ifc->conf, key) : NULL;
	const struct uapi_device *dev;
	int ret = audit_device(f, ifc->name, &dev, err);

	buf[0] = '\0';
	if (ret)
		return ret;
	if (cp)
		snprintf(buf, size, "%s:%u [Peer]", ifc->path, cp->line);
	if (dev_peer(dev, key))
		snprintf(buf + strlen(buf), size - strlen(buf), "%sthe running %s",
			 cp ? " and " : "", ifc->name);
	return 0;
}

static int inactive_peer(struct audit_facts *f, const struct audit_iface *ifc,
			 const struct inv_peer *p, const char *db, struct audit_list *out,
			 struct error *err)
{
	char why[96], where[320], key[KEY_B64_LEN + 1];
	const char *state = inactive_why(p, audit_options(f)->now, why, sizeof(why));
	struct audit_finding *fnd;
	int ret;

	if (!state)
		return 0;
	ret = key_in_use(f, ifc, p->public_key, where, sizeof(where), err);
	/* A rotation's next key is the peer's too. */
	if (!ret && !where[0] && p->has_next_key)
		ret = key_in_use(f, ifc, p->next_key, where, sizeof(where), err);
	if (ret || !where[0])
		return ret;
	fnd = audit_add(out, "peers.inventory_inactive", AUDIT_WARNING, SEED_INVENTORY);
	if (!fnd)
		return nomem(err);
	encoding_key_to_base64(key, p->public_key);
	snprintf(fnd->message, sizeof(fnd->message),
		 "%s: inventory peer %s (owner %s) is %s, yet its key is still configured",
		 ifc->name, p->name, p->owner[0] ? p->owner : "unknown", state);
	snprintf(fnd->evidence, sizeof(fnd->evidence), "%.160s: peer %s key %s %s; in %.200s", db,
		 p->name, key, state, where);
	/* rampart up loads the config's peers before the inventory's: a
	 * [Peer] left in the file brings the key back at every up. */
	snprintf(fnd->fix, sizeof(fnd->fix),
		 "rampart peer apply -i %s (takes it off the running interface), and delete its "
		 "[Peer] section from %s", ifc->name, ifc->path);
	return 0;
}

/* The inventory's file: the --db given (a path or a connection string),
 * else the default under the root. */
static void db_path(struct audit_facts *f, char *buf, size_t size)
{
	const char *root = audit_root(f), *given = audit_options(f)->db;
	size_t rl = strlen(root);

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (given && *given)
		snprintf(buf, size, "%s", given);
	else if (rl == 1 && root[0] == '/')
		snprintf(buf, size, "%s", INV_STORE_DEFAULT_PATH);
	else
		snprintf(buf, size, "%.*s%s", (int)rl, root, INV_STORE_DEFAULT_PATH);
}

static int inventory_iface(struct audit_facts *f, struct inv_ctx *ctx,
			   const struct audit_iface *ifc, const char *db, struct audit_list *out,
			   struct error *err)
{
	struct error why = { 0 };
	struct inv_peer *v = NULL;
	size_t m = 0;
	int ret = inv_list(ctx, ifc->name, &v, &m, &why);

	if (ret == -ENOMEM)
		return nomem(err);
	/* -ENOENT: the inventory does not manage this interface. */
	if (ret) {
		if (ret != -ENOENT)
			audit_facts_note_gap(f, db, &why);
		free(v);
		return 0;
	}
	for (size_t i = 0; !ret && i < m; i++)
		ret = inactive_peer(f, ifc, &v[i], db, out, err);
	free(v);
	return ret;
}

int audit_peers_inventory_inactive(struct audit_facts *f, const struct audit_iface *ifs,
				   size_t n, struct audit_list *out, struct error *err)
{
	struct error why = { 0 };
	struct inv_store *s = NULL;
	struct inv_ctx ctx = { 0 };
	char db[4096], shown[4096];
	int ret;

	if (!n)
		return 0;
	db_path(f, db, sizeof(db));
	/* What the findings say: a connection string without its password. */
	inv_conninfo_redact(db, shown, sizeof(shown));
	ret = inv_store_open_readonly(db, &s, &why);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		audit_facts_note_gap(f, shown, &why);
		return ret == -ENOMEM ? nomem(err) : 0;
	}
	ctx.store = s;
	ctx.who = "rampart audit";
	ctx.now = audit_options(f)->now;
	for (size_t k = 0; k < n && !ret; k++)
		ret = inventory_iface(f, &ctx, &ifs[k], shown, out, err);
	inv_store_close(s);
	return ret;
}
