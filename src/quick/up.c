/* `rampart up`: the preflight checks, then PreUp, the daemon, its
 * configuration, addresses, MTU, DNS, routes (with wg-quick's full-tunnel
 * rules and nftables tables), the policy and PostUp, each change recorded
 * in the state as it is made, so that a failure or an interruption rolls
 * back exactly what was done. */
#include "updown_int.h"

#include "firewall/fwapply.h"
#include "sys/hostfile.h"
#include "sys/sysctl.h"
#include "sys/netlink.h"
#include "sys/nftables.h"
#include "sys/spawn.h"
#include "quick.h"
#include "ctl/wgctl.h"

#include "conf/config.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SRC_VALID_MARK "net.ipv4.conf.all.src_valid_mark"

static const char *const rt_tables_files[] = {
	"/etc/iproute2/rt_tables",
	"/usr/share/iproute2/rt_tables", /* iproute2 6.5 and later */
};

/* Table = NAME as ip(8) would resolve it; numbers as written. */
static int resolve_table(struct updown_ctx *c)
{
	if (!c->conf->has_table)
		return 0;
	if (c->conf->table.kind == CONF_TABLE_ID) {
		c->table = c->conf->table.id;
		return 0;
	}
	if (c->conf->table.kind != CONF_TABLE_NAME)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(rt_tables_files); i++) {
		struct textbuf t = { 0 };
		bool found = false;

		if (!hostfile_read(rt_tables_files[i], SMALL_FILE_MAX, &t))
			found = quick_rt_table_lookup(t.buf, c->conf->table.name, &c->table);
		else
			found = quick_rt_table_lookup(NULL, c->conf->table.name, &c->table);
		textbuf_wipe(&t);
		if (found)
			return 0;
	}
	return updown_fail(c, -EINVAL, "%s:%u: Table: unknown routing table \"%s\" (not in %s)",
			   c->given, c->conf->table_line, c->conf->table.name, rt_tables_files[0]);
}

/* The hardening policy (fwapply.h): hardened by default, so this runs for
 * every config; "Policy = off" makes it remove the table instead.  A
 * change that was not confirmed within its window fails up, which then
 * undoes everything: the previous firewall is back already. */
static int apply_policy(struct updown_ctx *c)
{
	struct fwapply_opts opts = { 0 };
	struct error err = { 0 };
	bool kept = false;
	int ret;

	if (c->fw)
		opts = *c->fw;
	if (c->st.moved) {
		/* No confirm window: the tenant's table cannot cut a session
		 * into this host, which its namespace does not carry. */
		opts.tenant = true;
		opts.confirm_secs = 0;
	}
	ret = fwapply_apply(c->ifname, c->conf, c->given, &opts, &kept, &err);
	if (ret)
		return updown_fail(c, ret, "%s", err.msg);
	if (!kept)
		return updown_fail(c, -ECANCELED, "%s; the previous firewall is back", err.msg);
	return 0;
}

/* $RAMPARTD, else the rampartd next to us, else rampartd from PATH
 * (updown.h says why WG_QUICK_USERSPACE_IMPLEMENTATION is not read). */
static void daemon_program(char *out, size_t size)
{
	const char *env = getenv("RAMPARTD");

	if (env && *env)
		snprintf(out, size, "%s", env);
	else if (!spawn_find_beside_self("rampartd", out, size))
		snprintf(out, size, "rampartd");
}

/* RAMPARTD_RUNNING=1: the daemon is started for us, by rampartd@.service
 * (which rampart@.service binds to, so that this unit needs none of the
 * daemon's privileges); up waits for its interface instead. */
static bool daemon_started(void)
{
	const char *env = getenv("RAMPARTD_RUNNING");

	return env && !strcmp(env, "1");
}

static int start_daemon(struct updown_ctx *c)
{
	char *prog = c->daemon, *argv[] = { prog, c->ifname, NULL };
	struct netlink_link l;
	int status = 0, ret, lret;
	unsigned ms = 0;

	if (daemon_started()) {
		updown_say(c, "# waiting for the daemon of %s (RAMPARTD_RUNNING=1)", c->ifname);
	} else {
		updown_say(c, "%s %s", prog, c->ifname);
		ret = spawn_run(argv, &c->child_mask, NULL, 0, NULL, &status);
		if (ret)
			return updown_fail(c, ret, "cannot run %s: %s", prog, strerror(-ret));
	}
	/* It daemonizes and returns once the interface and its socket exist;
	 * wait a little anyway, then take the TUN device it made, even on
	 * failure, so that the rollback removes it. */
	for (;;) {
		lret = netlink_link_get(c->nl, c->ifname, 0, &l);
		if (status || (!lret && updown_is_socket(c->ifname)) || ms >= UPDOWN_DAEMON_WAIT_MS)
			break;
		updown_sleep_ms(POLL_STEP_MS);
		ms += POLL_STEP_MS;
	}
	if (!lret && strcmp(l.kind, "tun"))
		return updown_fail(c, -EEXIST, "`%s' appeared, but it is a %s device, not the "
				   "daemon's TUN device; leaving it alone", c->ifname,
				   l.kind[0] ? l.kind : "non-TUN");
	if (!lret) {
		c->st.ifindex = l.index;
		ret = updown_state_save(c);
		if (ret)
			return ret;
	}
	if (status)
		return updown_fail(c, -ECHILD, "the daemon %s failed (exit status %d)", prog,
				   status);
	if (lret)
		return updown_fail(c, lret, "the daemon %s returned but interface %s does not "
				   "exist", prog, c->ifname);
	if (!updown_is_socket(c->ifname))
		return updown_fail(c, -ETIMEDOUT, "the daemon %s returned but %s/%s.sock did not "
				   "appear", prog, SOCKET_DIR, c->ifname);
	return 0;
}

static int apply_conf(struct updown_ctx *c)
{
	struct error err = { 0 };
	int ret;

	updown_say(c, "wg setconf %s <(rampart strip %s)", c->ifname, c->path);
	ret = wgctl_apply_conf(c->ifname, c->conf, WGCTL_SETCONF, &err);
	if (ret)
		return updown_fail(c, ret, "loading %s into %s: %s", c->given, c->ifname,
				   err.msg[0] ? err.msg : strerror(-ret));
	return 0;
}

static int add_addresses(struct updown_ctx *c)
{
	char buf[NETADDR_PREFIX_STRLEN];
	int ret;

	for (size_t i = 0; i < c->conf->n_addresses; i++) {
		const struct netaddr_prefix *p = &c->conf->addresses[i].prefix;

		updown_say(c, "ip %s address add %s dev %s", updown_ipv(p->addr.family),
			   netaddr_format_prefix(buf, p), c->ifname);
		ret = netlink_addr_add(c->nl, c->st.ifindex, p);
		if (ret)
			return updown_fail(c, ret, "%s (Address at %s:%u)", netlink_error(c->nl)->msg,
					   c->given, c->conf->addresses[i].line);
		ret = quick_state_add_address(&c->st, p);
		if (ret)
			return updown_fail(c, ret, "%s", strerror(-ret));
	}
	/* Addresses go with the interface: one save for all of them. */
	return updown_state_save(c);
}

/* The MTU of a route as wg-quick reads it from ip(8): the route's own
 * "mtu", else its device's. */
static uint32_t route_mtu(struct netlink *nl, const struct netlink_route *r)
{
	struct netlink_link l;

	if (r->mtu)
		return r->mtu;
	if (r->oif && !netlink_link_get(nl, NULL, r->oif, &l))
		return l.mtu;
	return 0;
}

/* `ip route show default`: main table, IPv4, the first one.  (No
 * netlink request may be made from inside a dump.) */
static int on_default_route(const struct netlink_route *r, void *arg)
{
	if (r->table != NETLINK_TABLE_MAIN || r->dst.cidr || r->cloned)
		return 0;
	*(struct netlink_route *)arg = *r;
	return 1;
}

/* The automatic MTU follows the routes to the endpoints where the UDP
 * sockets are, which in a tenant's case is not the interface's namespace. */
static int set_mtu_up(struct updown_ctx *c, const struct conf *running)
{
	struct netlink *nl = updown_home_nl(c);
	uint32_t mtu, *mtus = NULL;
	size_t n = 0;
	int ret;

	if (c->conf->has_mtu) {
		mtu = c->conf->mtu;
	} else {
		struct netlink_route d = { 0 };
		bool any = false;

		mtus = calloc(running->n_peers ? running->n_peers : 1, sizeof(*mtus));
		if (!mtus)
			return updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
		for (size_t i = 0; i < running->n_peers; i++) {
			const struct conf_peer *p = &running->peers[i];
			struct netlink_route r;

			/* wg-quick's ^\[?([a-z0-9:.]+)\]?:[0-9]+$ skips scoped
			 * addresses; a route lookup that fails counts as none. */
			if (!p->has_endpoint || !p->endpoint.literal || p->endpoint.zone[0])
				continue;
			if (!netlink_route_get(nl, &p->endpoint.addr, &r))
				mtus[n++] = route_mtu(nl, &r);
		}
		/* The default route's only when no endpoint gave an MTU. */
		for (size_t i = 0; i < n; i++)
			any = any || mtus[i];
		ret = any ? 0 : netlink_route_dump(nl, AF_INET, on_default_route, &d);
		if (ret < 0) {
			free(mtus);
			return updown_fail(c, ret, "%s", netlink_error(nl)->msg);
		}
		mtu = quick_mtu_auto(mtus, n, ret > 0 ? route_mtu(nl, &d) : 0);
		free(mtus);
		if (!mtu)
			return updown_fail(c, -EINVAL, "the path MTU is too small for WireGuard's "
					   "80 bytes of headers; set MTU in %s", c->given);
	}
	updown_say(c, "ip link set mtu %u up dev %s", mtu, c->ifname);
	ret = netlink_link_set(c->nl, c->st.ifindex, mtu, true);
	if (ret && c->conf->has_mtu)
		return updown_fail(c, ret, "%s (MTU at %s:%u)", netlink_error(c->nl)->msg, c->given,
				   c->conf->mtu_line);
	return ret ? updown_nl_fail(c, ret) : 0;
}

/* Runs a program and turns a failure into one message. */
static int run_checked(const struct updown_ctx *c, char *const argv[], const char *in,
		       size_t in_len, struct textbuf *out)
{
	int status = 0, ret = spawn_run(argv, &c->child_mask, in, in_len, out, &status);

	if (ret)
		return updown_fail(c, ret, "cannot run %s: %s", argv[0], strerror(-ret));
	if (status)
		return updown_fail(c, -ECHILD, "%s %s failed (exit status %d)", argv[0],
				   argv[1] ? argv[1] : "", status);
	return 0;
}

static int set_dns(struct updown_ctx *c)
{
	char prefix[QUICK_DNS_IFACE_MAX], name[QUICK_DNS_IFACE_MAX + CONF_IFNAME_MAX + 1];
	char *argv[] = { "resolvconf", "-a", name, "-m", "0", "-x", NULL };
	struct textbuf in = { 0 };
	int ret;

	if (!quick_dns_input(c->conf, &in)) {
		if (c->conf->n_dns)
			updown_warn(c, "DNS lists only search domains; like wg-quick, rampart "
				    "hands resolvconf nothing without a name server");
		textbuf_wipe(&in);
		return 0;
	}
	if (in.err) {
		textbuf_wipe(&in);
		return updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	updown_resolvconf_prefix(prefix, sizeof(prefix));
	snprintf(name, sizeof(name), "%s%s", prefix, c->ifname);
	if (strlen(name) >= QUICK_DNS_IFACE_MAX) {
		textbuf_wipe(&in);
		return updown_fail(c, -ENAMETOOLONG, "resolvconf interface name `%s' too long",
				   name);
	}
	updown_say(c, "resolvconf -a %s -m 0 -x", name);
	ret = run_checked(c, argv, in.buf, in.len, NULL);
	textbuf_wipe(&in);
	if (ret)
		return ret;
	memcpy(c->st.dns, name, strlen(name) + 1); /* length checked above */
	return updown_state_save(c);
}

/* The routes in main through the interface: what `ip route show dev IF
 * match P` looks at.  Read once rather than for every prefix as wg-quick
 * does: the routes added meanwhile never cover a later prefix, since
 * prefixes come longest first and each only once. */
struct main_routes {
	unsigned oif;
	struct netaddr_prefix *v;
	size_t n, cap;
	int err;
};

static int main_routes_add(struct main_routes *m, const struct netaddr_prefix *p)
{
	if (m->n == m->cap) {
		size_t ncap = m->cap ? m->cap * 2 : 16;
		struct netaddr_prefix *v = reallocarray(m->v, ncap, sizeof(*v));

		if (!v)
			return -ENOMEM;
		m->v = v;
		m->cap = ncap;
	}
	m->v[m->n++] = *p;
	return 0;
}

static int on_main_route(const struct netlink_route *r, void *arg)
{
	struct main_routes *m = arg;

	if (r->table == NETLINK_TABLE_MAIN && !r->cloned && r->oif == m->oif && !m->err)
		m->err = main_routes_add(m, &r->dst);
	return 0;
}

static bool main_routes_cover(const struct main_routes *m, const struct netaddr_prefix *p)
{
	for (size_t i = 0; i < m->n; i++)
		if (netaddr_prefix_contains(&m->v[i], p))
			return true;
	return false;
}

struct used_tables {
	uint32_t *v;
	size_t n, cap;
	bool oom;
};

static int on_used_table(const struct netlink_route *r, void *arg)
{
	struct used_tables *u = arg;

	if (r->table < QUICK_TABLE_FIRST || u->oom)
		return 0;
	for (size_t i = 0; i < u->n; i++)
		if (u->v[i] == r->table)
			return 0;
	if (u->n == u->cap) {
		size_t ncap = u->cap ? u->cap * 2 : 16;
		uint32_t *v = reallocarray(u->v, ncap, sizeof(*v));

		if (!v) {
			u->oom = true;
			return 0;
		}
		u->v = v;
		u->cap = ncap;
	}
	u->v[u->n++] = r->table;
	return 0;
}

/* wg-quick's get_fwmark, or the first table from 51820 on with no route
 * in it, which becomes the interface's fwmark. */
static int choose_default_table(struct updown_ctx *c, const struct conf *running)
{
	struct used_tables u = { 0 };
	struct conf *fw;
	struct error err = { 0 };
	int ret;

	if (c->default_table)
		return 0;
	if (running->has_fwmark && running->fwmark) {
		c->default_table = running->fwmark;
		return 0;
	}
	ret = netlink_route_dump(c->nl, AF_INET, on_used_table, &u);
	if (ret >= 0)
		ret = netlink_route_dump(c->nl, AF_INET6, on_used_table, &u);
	if (ret < 0 || u.oom) {
		free(u.v);
		if (ret < 0)
			return updown_nl_fail(c, ret);
		return updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	c->default_table = quick_first_free_table(u.v, u.n);
	free(u.v);

	fw = conf_alloc();
	if (!fw)
		return updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	fw->has_fwmark = true;
	fw->fwmark = c->default_table;
	updown_say(c, "wg set %s fwmark %u", c->ifname, c->default_table);
	ret = wgctl_apply_conf(c->ifname, fw, WGCTL_ADDCONF, &err);
	conf_free(fw);
	if (ret) {
		c->default_table = 0;
		return updown_fail(c, ret, "setting the fwmark of %s: %s", c->ifname,
				   err.msg[0] ? err.msg : strerror(-ret));
	}
	c->st.fwmark = c->default_table;
	return updown_state_save(c);
}

static int write_sysctl(struct updown_ctx *c, const char *key, const char *value)
{
	struct error err = { 0 };
	int ret = sysctl_write(SYSCTL_PROC_ROOT, key, value, &err);

	return ret ? updown_fail(c, ret, "%s", err.msg) : 0;
}

static int on_rule_lowest(const struct netlink_rule *r, void *arg)
{
	uint32_t *lowest = arg;

	if (r->priority && (!*lowest || r->priority < *lowest))
		*lowest = r->priority;
	return 0;
}

/* Adds r and records it, write-ahead: the state names the rule before the
 * kernel has it, so that `up` killed between the two leaves a state from
 * which down removes it (a rule is not tied to the link, nothing else
 * would).  That needs its priority before the add, so it is chosen here
 * as the kernel chooses one for ip(8)'s "rule add" without a priority:
 * one below the lowest non-zero priority in use (32765 on a fresh host;
 * the same numbers wg-quick's rules get). */
static int add_recorded_rule(struct updown_ctx *c, struct netlink_rule *r)
{
	uint32_t lowest = 0;
	int ret = netlink_rule_dump(c->nl, r->family, on_rule_lowest, &lowest);

	if (ret)
		return updown_nl_fail(c, ret);
	if (lowest < 2)
		return updown_fail(c, -ENOSPC, "no free rule priority: the lowest one in use "
				   "is %u (`ip %s rule')", lowest, updown_ipv(r->family));
	r->priority = lowest - 1;
	ret = quick_state_add_rule(&c->st, r);
	if (!ret)
		ret = updown_state_save(c);
	if (ret)
		return ret;
	ret = netlink_rule_add(c->nl, r);
	if (ret) {
		/* Not made: the record goes, so that the rollback does not
		 * look for it. */
		quick_state_del_rule(&c->st, c->st.n_rules - 1);
		if (updown_state_save(c))
			updown_warn(c, "the state still names the rule it could not add");
		return updown_nl_fail(c, ret);
	}
	return 0;
}

/* wg-quick's add_default: every packet not marked by the tunnel's own
 * socket goes to the tunnel's table, while main keeps everything but its
 * default route (suppress_prefixlength 0); nftables drops packets for the
 * tunnel's addresses that did not come through it, and carries the mark
 * of the tunnel's UDP flows through conntrack. */
static int add_default(struct updown_ctx *c, const struct conf *running,
		       const struct netaddr_prefix *p)
{
	struct error err = { 0 };
	struct netlink_rule rules[2];
	struct netlink_addr *addrs = NULL;
	struct netaddr *ips = NULL;
	struct textbuf t = { 0 };
	char buf[NETADDR_PREFIX_STRLEN];
	int family = p->addr.family, ret;
	size_t n = 0;

	ret = choose_default_table(c, running);
	if (ret)
		return ret;
	updown_say(c, "ip %s route add %s dev %s table %u", updown_ipv(family),
		   netaddr_format_prefix(buf, p), c->ifname, c->default_table);
	ret = netlink_route_add(c->nl, p, c->st.ifindex, c->default_table);
	if (ret)
		return updown_nl_fail(c, ret);
	ret = quick_state_add_route(&c->st, p, c->default_table);
	if (!ret)
		ret = updown_state_save(c);
	if (ret)
		return ret;

	quick_default_rules(family, c->default_table, rules);
	for (int i = 0; i < 2; i++) {
		if (i == 0)
			updown_say(c, "ip %s rule add not fwmark %u table %u", updown_ipv(family),
				   c->default_table, c->default_table);
		else
			updown_say(c, "ip %s rule add table main suppress_prefixlength 0",
				   updown_ipv(family));
		ret = add_recorded_rule(c, &rules[i]);
		if (ret)
			return ret;
	}

	ret = netlink_addr_list(c->nl, c->st.ifindex, family, &addrs, &n);
	if (ret)
		return updown_nl_fail(c, ret);
	ips = calloc(n ? n : 1, sizeof(*ips));
	if (!ips) {
		free(addrs);
		return updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	for (size_t i = 0; i < n; i++)
		ips[i] = addrs[i].prefix.addr;
	free(addrs);
	quick_nft_render(&t, family, c->ifname, c->default_table, ips, n);
	free(ips);
	if (t.err) {
		textbuf_wipe(&t);
		return updown_fail(c, -ENOMEM, "%s", strerror(ENOMEM));
	}
	if (family == AF_INET) {
		updown_say(c, "sysctl -q net.ipv4.conf.all.src_valid_mark=1");
		ret = write_sysctl(c, SRC_VALID_MARK, "1");
		if (ret) {
			textbuf_wipe(&t);
			return ret;
		}
	}
	/* Recorded first, as the rules are: a kill during the batch leaves a
	 * state that names the table, and deleting a table that was never
	 * made is harmless (quick_nft_render_delete).  A batch nft refused
	 * made nothing (it is one transaction), so that record goes again. */
	c->st.nft[family == AF_INET ? 0 : 1] = true;
	ret = updown_state_save(c);
	if (ret) {
		textbuf_wipe(&t);
		return ret;
	}
	updown_say(c, "nft -f -");
	ret = nftables_exec(t.buf, false, 0, NULL, 0, &err);
	textbuf_wipe(&t);
	if (ret) {
		char name[CONF_IFNAME_MAX + 16];

		c->st.nft[family == AF_INET ? 0 : 1] = false;
		if (updown_state_save(c))
			updown_warn(c, "the state still names the table it could not make");
		updown_fail(c, ret, "nft -f - failed: %s", err.msg);
		quick_nft_table_name(name, sizeof(name), c->ifname);
		return updown_fail(c, ret, "nft refused table %s %s (does it exist already? `nft "
				   "list tables')", family == AF_INET ? "ip" : "ip6", name);
	}
	return 0;
}

static int add_routes(struct updown_ctx *c, const struct conf *running)
{
	struct main_routes m = { .oif = c->st.ifindex };
	struct quick_route *routes = NULL;
	char buf[NETADDR_PREFIX_STRLEN], table_name[CONF_TABLE_NAME_MAX + 1];
	size_t n = 0;
	int ret, saved;

	ret = quick_plan_routes(running, c->conf, &routes, &n);
	if (ret)
		return updown_fail(c, ret, "%s", strerror(-ret));
	if (c->conf->table.kind == CONF_TABLE_NAME)
		snprintf(table_name, sizeof(table_name), "%s", c->conf->table.name);
	else
		snprintf(table_name, sizeof(table_name), "%u", c->table);
	ret = netlink_route_dump(c->nl, AF_INET, on_main_route, &m);
	if (ret >= 0)
		ret = netlink_route_dump(c->nl, AF_INET6, on_main_route, &m);
	if (ret < 0)
		ret = updown_nl_fail(c, ret);
	else
		ret = m.err ? updown_fail(c, m.err, "%s", strerror(-m.err)) : 0;
	for (size_t i = 0; i < n && !ret; i++) {
		const struct quick_route *r = &routes[i];
		int family = r->prefix.addr.family;
		uint32_t table = NETLINK_TABLE_MAIN;

		if (r->kind == QUICK_ROUTE_DEFAULT) {
			ret = add_default(c, running, &r->prefix);
			continue;
		}
		if (r->kind == QUICK_ROUTE_TABLE) {
			table = c->table; /* Table = NAME resolved, or a number */
			updown_say(c, "ip %s route add %s dev %s table %s", updown_ipv(family),
				   netaddr_format_prefix(buf, &r->prefix), c->ifname, table_name);
		} else if (main_routes_cover(&m, &r->prefix)) {
			continue;
		} else {
			updown_say(c, "ip %s route add %s dev %s", updown_ipv(family),
				   netaddr_format_prefix(buf, &r->prefix), c->ifname);
		}
		ret = netlink_route_add(c->nl, &r->prefix, c->st.ifindex, table);
		if (ret) {
			ret = updown_nl_fail(c, ret);
			break;
		}
		if ((ret = quick_state_add_route(&c->st, &r->prefix, table)))
			ret = updown_fail(c, ret, "%s", strerror(-ret));
		if (!ret && updown_interrupted())
			ret = updown_fail(c, -EINTR, "interrupted");
	}
	/* Routes go with the interface (a thousand peers would otherwise
	 * mean a thousand state files): one save for all of them, which
	 * may also record what a failure left. */
	saved = updown_state_save(c);
	free(m.v);
	free(routes);
	return ret ? ret : saved;
}

/* Things up would only find missing halfway through; wg-quick finds them
 * there and rolls back, Rampart refuses before it starts. */
static int preflight(struct updown_ctx *c)
{
	char found[PATH_MAX];
	int ret = resolve_table(c);

	if (!ret)
		ret = updown_tenant_check(c);
	if (ret)
		return ret;
	daemon_program(c->daemon, sizeof(c->daemon));
	if (!daemon_started() && !spawn_find(c->daemon, found, sizeof(found)))
		return updown_fail(c, -ENOENT, "cannot find the daemon `%s' (build it with `make', "
				   "or set RAMPARTD to the daemon to use)", c->daemon);
	for (size_t i = 0; i < c->conf->n_dns; i++)
		if (c->conf->dns[i].kind == CONF_DNS_SERVER &&
		    !spawn_find("resolvconf", found, sizeof(found)))
			return updown_fail(c, -ENOENT, "%s:%u: DNS needs resolvconf(8), which is "
					   "not in PATH (install openresolv or resolvconf, or "
					   "remove DNS)", c->given, c->conf->dns[i].line);
	return 0;
}

int updown_run_up(struct updown_ctx *c, const char *arg)
{
	struct quick_state old;
	struct netlink_link l;
	struct conf *running = NULL;
	int ret;

	ret = updown_begin(c, arg);
	if (ret)
		return ret;
	if (!c->netns[0])
		snprintf(c->netns, sizeof(c->netns), "%s", c->conf->netns);
	/* A daemon started for us may have made the interface already. */
	ret = netlink_link_get(c->nl, c->ifname, 0, &l);
	if (!ret && !daemon_started())
		return updown_fail(c, -EEXIST, "`%s' already exists", c->ifname);
	if (ret && ret != -ENODEV)
		return updown_nl_fail(c, ret);
	ret = preflight(c);
	if (ret)
		return ret;
	ret = updown_lock(c);
	if (ret)
		return ret;
	/* Again, under the lock. */
	if (!daemon_started() && !netlink_link_get(c->nl, c->ifname, 0, &l))
		return updown_fail(c, -EEXIST, "`%s' already exists", c->ifname);
	ret = updown_state_load(c, &old);
	if (ret < 0)
		return ret;
	if (ret && updown_tenant_link_alive(c, &old)) {
		ret = updown_fail(c, -EEXIST, "`%s' already exists in network namespace %s",
				  c->ifname, old.netns);
		quick_state_uninit(&old);
		return ret;
	}
	if (ret) {
		ret = updown_clean_stale(c, &old);
		quick_state_uninit(&old);
		if (ret)
			return ret;
	}
	snprintf(c->st.ifname, sizeof(c->st.ifname), "%s", c->ifname);
	snprintf(c->st.config, sizeof(c->st.config), "%s", c->path);
	ret = updown_tenant_prepare(c);
	if (ret)
		return ret;

	updown_block_signals(c);
	ret = updown_run_hooks(c, CONF_HOOK_PRE_UP);
	if (!ret && updown_interrupted())
		ret = updown_fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = start_daemon(c);
	if (!ret && updown_interrupted())
		ret = updown_fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = apply_conf(c);
	if (!ret)
		ret = updown_tenant_move(c);
	if (!ret)
		ret = add_addresses(c);
	if (!ret && updown_interrupted())
		ret = updown_fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = updown_get_running(c, &running);
	if (!ret)
		ret = set_mtu_up(c, running);
	if (!ret)
		ret = set_dns(c);
	if (!ret && updown_interrupted())
		ret = updown_fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = add_routes(c, running);
	if (!ret && updown_interrupted())
		ret = updown_fail(c, -EINTR, "interrupted");
	if (!ret)
		ret = apply_policy(c);
	if (!ret)
		ret = updown_apply_uplink(c);
	if (!ret)
		ret = updown_run_hooks(c, CONF_HOOK_POST_UP);
	if (!ret && updown_interrupted())
		ret = updown_fail(c, -EINTR, "interrupted");
	conf_free(running);
	if (ret && !quick_state_empty(&c->st)) {
		updown_tell(c, FIREWALL_UI_NOTICE, "rolling back %s", c->ifname);
		updown_undo(c);
	} else if (ret) {
		updown_state_remove(c);
	}
	updown_unblock_signals(c);
	return ret;
}
