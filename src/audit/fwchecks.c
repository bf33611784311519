/* The routing and firewall checks of seed 001's and seed 002's
 * checklists: forwarding behind a default-drop forward chain, NAT only
 * for the peers meant to leave through the host, MSS clamping, a
 * handshake rate limit, a client's kill switch, the role's sysctls, and
 * IPv6 filtered as IPv4 is.
 *
 * What runs is judged from the live ruleset (facts.h: audit_ruleset)
 * when there is one, with the verdict evaluator (ruleset.h) asking what
 * the first packet of a new connection meets; without it, the checks
 * that have a config-only form fall back on what [Policy] says
 * (docs/audit.md), the others add nothing.  The host's own state comes
 * from files under the facts' root: the forwarding sysctls, the default
 * routes (/proc/net/route, /proc/net/ipv6_route) and the IPv6 addresses
 * (/proc/net/if_inet6); a file that is missing is "not known", never a
 * finding. */
#include "audit.h"
#include "ruleset.h"

#include "common/encoding.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "firewall/policy.h"
#include "firewall/policykeys.h"
#include "firewall/sysctls.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEED_FORWARD "seed 001: default DROP on FORWARD, forwarding only on wg0"
#define SEED_NAT "seed 001: NAT only for intended client networks"
#define SEED_MSS "seed 001: MSS clamping"
#define SEED_HANDSHAKE "seed 001: rate-limit handshake attempts"
#define SEED_KILL "seed 001: a kill switch against leaks when the tunnel drops"
#define SEED_SYSCTLS "seed 001: safe kernel networking sysctls"
#define SEED_IPV6 "seed 002: IPv6 treated as first class"

#define PATH_FWD4 "/proc/sys/net/ipv4/ip_forward"
#define PATH_FWD6 "/proc/sys/net/ipv6/conf/all/forwarding"

/* The packets the checks ask about go to a port nothing should serve
 * (tcp/8 is unassigned) at a public address (TEST-NET-2, 2001:db8::/32):
 * what accepts them accepts anything. */
#define PROBE_DADDR4 "198.51.100.1"
#define PROBE_DADDR6 "2001:db8::1"
enum { PROBE_PORT = 8 };

/* The hook of the copy of a nat chain that nat_rule() evaluates: no
 * chain of a real ruleset has it. */
#define NAT_PROBE_HOOK "audit-nat-probe"

static int nomem(struct error *err)
{
	return error_fail(err, -ENOMEM, "out of memory");
}

/* The fix of a check with a [Policy] form: "SETTING in FILE, then
 * rampart firewall apply IF" when the config turned it off, else the
 * apply alone (the live ruleset lacks what the policy renders). */
static void fix_apply(char *buf, size_t size, bool off, const char *setting,
		      const struct audit_iface *ifc, const char *note)
{
	if (off)
		snprintf(buf, size, "[Policy] %s in %s, then rampart firewall apply %s%s", setting,
			 ifc->path, ifc->name, note);
	else
		snprintf(buf, size, "rampart firewall apply %s%s", ifc->name, note);
}

/* --- the host's facts --------------------------------------------------- */

/* A 0/1 sysctl: 1 on, 0 off, -1 not known (no such file). */
static int read_flag(struct audit_facts *f, const char *path)
{
	struct error why = { 0 };
	char *buf = NULL;
	size_t len = 0;
	int on;

	if (audit_read(f, path, &buf, &len, &why))
		return -1;
	on = len && buf[0] != '0' && buf[0] != '\n' ? 1 : len ? 0 : -1;
	textbuf_free_text(buf, len);
	return on;
}

struct fwd {
	int v4, v6; /* read_flag() */
};

static void read_fwd(struct audit_facts *f, struct fwd *x)
{
	x->v4 = read_flag(f, PATH_FWD4);
	x->v6 = read_flag(f, PATH_FWD6);
}

/* Each line of a /proc/net file but the first (a header) for the
 * route table; all of them otherwise.  fn returns true to stop. */
static void each_line(struct audit_facts *f, const char *path, bool header,
		      bool (*fn)(const char *line, void *arg), void *arg)
{
	struct error why = { 0 };
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;

	if (audit_read(f, path, &buf, &len, &why))
		return;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (header) {
			header = false;
			continue;
		}
		if (fn(line, arg))
			break;
	}
	textbuf_free_text(buf, len);
}

/* RTF_UP, RTF_REJECT of the kernel's route flags. */
enum { ROUTE_UP = 0x1, ROUTE_REJECT = 0x200 };

/* The default route looked for, and the tunnels it may not go through:
 * wg-quick's full tunnel without Table = auto puts the default route on
 * the tunnel, which is then no WAN. */
struct route_q {
	char *wan;
	const struct audit_iface *ifs;
	size_t n;
};

static bool found_route(struct route_q *q, const char *ifname)
{
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->ifs[i].name, ifname))
			return false;
	snprintf(q->wan, 16, "%s", ifname);
	return true;
}

static bool route4_default(const char *line, void *arg)
{
	char ifname[16], dst[9], mask[9];
	unsigned flags;

	if (sscanf(line, "%15s %8s %*s %x %*s %*s %*s %8s", ifname, dst, &flags, mask) != 4)
		return false;
	if (strcmp(dst, "00000000") || strcmp(mask, "00000000") || !(flags & ROUTE_UP) ||
	    (flags & ROUTE_REJECT))
		return false;
	return found_route(arg, ifname);
}

static bool route6_default(const char *line, void *arg)
{
	char dst[33], plen[3], ifname[16];
	unsigned flags;

	if (sscanf(line, "%32s %2s %*s %*s %*s %*s %*s %*s %x %15s", dst, plen, &flags,
		   ifname) != 4)
		return false;
	if (strspn(dst, "0") != 32 || strcmp(plen, "00") || !(flags & ROUTE_UP) ||
	    (flags & ROUTE_REJECT) || !strcmp(ifname, "lo"))
		return false;
	return found_route(arg, ifname);
}

/* The WAN interface: the config's [Policy] WANInterface when it names
 * one, as `rampart firewall apply` takes it; else the interface of the
 * IPv4 default route, else of the IPv6 one; "" when none is known (the
 * probes then leave the interface unknown, and only rules that accept
 * whatever the interface count).  *from says where it came from. */
static void find_wan(struct audit_facts *f, const struct policy *pol,
		     const struct audit_iface *ifs, size_t n, char wan[16], const char **from)
{
	struct route_q q = { wan, ifs, n };

	wan[0] = '\0';
	*from = "no default route";
	if (pol && pol->wan[0]) {
		snprintf(wan, 16, "%s", pol->wan);
		*from = "[Policy] WANInterface";
		return;
	}
	each_line(f, "/proc/net/route", true, route4_default, &q);
	if (wan[0]) {
		*from = "the default route in /proc/net/route";
		return;
	}
	each_line(f, "/proc/net/ipv6_route", false, route6_default, &q);
	if (wan[0])
		*from = "the default route in /proc/net/ipv6_route";
}

/* The policy of an interface; false when it has none that resolves (a
 * config that `rampart firewall apply` would refuse with the reason:
 * these checks have nothing to compare with). */
static bool resolved(const struct audit_iface *ifc, struct policy *pol)
{
	struct error why = { 0 };

	return ifc->conf && policy_resolve(ifc->conf, ifc->path, pol, &why) == 0;
}

static bool is_egress(const struct policy *pol, const struct conf_peer *p)
{
	const struct policy_peer_keys *k = policykeys_peer(p);

	return pol->enabled && k->egress.set && k->egress.on;
}

/* An address an Egress peer of the config claims too: what the hub does
 * with packets from it is the Egress peer's allowance, not a hole for
 * the other peer (the overlap is peers.allowed_ips_overlap's finding). */
static bool egress_claims(const struct conf *c, const struct policy *pol,
			  const struct netaddr_prefix *src)
{
	struct netaddr_prefix a = *src;

	netaddr_prefix_mask(&a);
	for (size_t i = 0; i < c->n_peers; i++) {
		const struct conf_peer *q = &c->peers[i];

		for (size_t j = 0; is_egress(pol, q) && j < q->n_allowed_ips; j++) {
			struct netaddr_prefix b = q->allowed_ips[j].prefix;

			netaddr_prefix_mask(&b);
			if (a.addr.family == b.addr.family &&
			    (netaddr_prefix_contains(&a, &b) || netaddr_prefix_contains(&b, &a)))
				return true;
		}
	}
	return false;
}

/* A probe: the first packet of a new tcp connection to PROBE_PORT at
 * the public probe address. */
static void probe(struct audit_pkt *p, bool ipv4, const char *iif, const char *oif)
{
	const char *why;

	memset(p, 0, sizeof(*p));
	p->ipv4 = ipv4;
	p->iif = iif && *iif ? iif : NULL;
	p->oif = oif && *oif ? oif : NULL;
	p->any_source = true;
	p->l4proto = IPPROTO_TCP;
	p->dport = PROBE_PORT;
	if (!netaddr_parse_ip(&p->daddr, ipv4 ? PROBE_DADDR4 : PROBE_DADDR6, &why))
		p->daddr.family = 0;
}

/* The source a peer sends from in family ipv4: its first AllowedIPs
 * prefix of that family (any source for a /0).  False when it has none. */
static bool peer_source(const struct conf_peer *peer, bool ipv4, struct audit_pkt *p,
			const struct conf_prefix **from)
{
	for (size_t i = 0; i < peer->n_allowed_ips; i++) {
		const struct conf_prefix *x = &peer->allowed_ips[i];
		struct netaddr_prefix m = x->prefix;

		if ((m.addr.family == AF_INET) != ipv4)
			continue;
		netaddr_prefix_mask(&m);
		p->any_source = m.cidr == 0;
		p->saddr = m.addr;
		*from = x;
		return true;
	}
	return false;
}

/* The fix for what a verdict accepted: delete the rule, or turn the
 * chain's policy to drop, then let Rampart's policy render it again. */
static void fix_accept(char *buf, size_t size, const struct audit_verdict *v,
		       const char *ifname)
{
	const struct audit_nft_chain *c = v->chain;

	if (c && v->rule)
		snprintf(buf, size, "nft delete rule %s %s %s handle %lld; rampart firewall apply %s",
			 c->family, c->table, c->name, v->rule->handle, ifname);
	else if (c)
		snprintf(buf, size, "nft chain %s %s %s '{ policy drop; }'; rampart firewall apply %s",
			 c->family, c->table, c->name, ifname);
	else
		snprintf(buf, size, "rampart firewall apply %s (its chains drop by default)", ifname);
}

/* The WAN for a host-wide check: the first audited config's
 * WANInterface, else the default route's. */
static void host_wan(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
		     char wan[16], const char **from)
{
	struct policy pol;

	for (size_t k = 0; k < n; k++) {
		if (resolved(&ifs[k], &pol) && pol.wan[0]) {
			find_wan(f, &pol, ifs, n, wan, from);
			return;
		}
	}
	find_wan(f, NULL, ifs, n, wan, from);
}

/* The interface a host-wide finding's fix names. */
static const char *first_ifname(const struct audit_iface *ifs, size_t n)
{
	return n ? ifs[0].name : "IFNAME";
}

/* --- firewall.forward_open ---------------------------------------------- */

static int forward_wan(const struct audit_ruleset *rs, bool ipv4, const char *wan,
		       const char *wan_from, const char *ifname, struct audit_list *out,
		       struct error *err)
{
	struct audit_verdict v;
	struct audit_finding *a;
	struct audit_pkt p;
	char where[256];

	probe(&p, ipv4, wan, wan);
	audit_ruleset_verdict(rs, "forward", &p, &v);
	if (!v.accept)
		return 0;
	a = audit_add(out, "firewall.forward_open", AUDIT_CRITICAL, SEED_FORWARD);
	if (!a)
		return nomem(err);
	audit_verdict_where(&v, "forward", where, sizeof(where));
	snprintf(a->message, sizeof(a->message),
		 "IPv%d forwarding is on and the forward hook lets a new packet from any source "
		 "through %s to %s: this host routes for anyone",
		 ipv4 ? 4 : 6, wan[0] ? wan : "(unknown WAN)", wan[0] ? wan : "(unknown WAN)");
	snprintf(a->evidence, sizeof(a->evidence), "%s = 1; tcp/%d %s -> %s (%s): accepted: %s",
		 ipv4 ? PATH_FWD4 : PATH_FWD6, PROBE_PORT, wan[0] ? wan : "?", wan[0] ? wan : "?",
		 wan_from, where);
	fix_accept(a->fix, sizeof(a->fix), &v, ifname);
	return 0;
}

/* A packet from the tunnel to the WAN from a peer that is not an
 * Egress peer: the hub must not route it (seed 001: forwarding only
 * for what is allowed on wg0).  One finding per interface and family. */
static int forward_tunnel(const struct audit_ruleset *rs, const struct audit_iface *ifc,
			  const struct policy *pol, bool ipv4, const char *wan,
			  struct audit_list *out, struct error *err)
{
	char l[KEY_B64_LEN + 1], where[256], pfx[NETADDR_PREFIX_STRLEN];

	for (size_t i = 0; i < ifc->conf->n_peers; i++) {
		const struct conf_peer *peer = &ifc->conf->peers[i];
		const struct conf_prefix *src;
		struct audit_verdict v;
		struct audit_finding *a;
		struct audit_pkt p;

		probe(&p, ipv4, ifc->name, wan);
		if (is_egress(pol, peer) || !peer_source(peer, ipv4, &p, &src) ||
		    egress_claims(ifc->conf, pol, &src->prefix))
			continue;
		audit_ruleset_verdict(rs, "forward", &p, &v);
		if (!v.accept)
			continue;
		a = audit_add(out, "firewall.forward_open", AUDIT_CRITICAL, SEED_FORWARD);
		if (!a)
			return nomem(err);
		audit_verdict_where(&v, "forward", where, sizeof(where));
		netaddr_format_prefix(pfx, &src->prefix);
		snprintf(a->message, sizeof(a->message),
			 "%s: peer %s, not an Egress peer, may open connections through %s to %s",
			 ifc->name, audit_peer_label(peer, l), ifc->name, wan[0] ? wan : "the WAN");
		snprintf(a->evidence, sizeof(a->evidence),
			 "%s = 1; tcp/%d from %s (%s:%u) %s -> %s: accepted: %s",
			 ipv4 ? PATH_FWD4 : PATH_FWD6, PROBE_PORT, pfx, ifc->path, src->line,
			 ifc->name, wan[0] ? wan : "?", where);
		fix_accept(a->fix, sizeof(a->fix), &v, ifc->name);
		return 0;
	}
	return 0;
}

int audit_firewall_forward_open(struct audit_facts *f, const struct audit_iface *ifs,
				size_t n, struct audit_list *out, struct error *err)
{
	const struct audit_ruleset *rs;
	const char *from;
	struct fwd fwd;
	char wan[16];
	int ret = audit_ruleset(f, &rs, err);

	if (ret || !rs)
		return ret;
	read_fwd(f, &fwd);
	host_wan(f, ifs, n, wan, &from);
	for (int fam = 0; fam < 2 && !ret; fam++)
		if ((fam ? fwd.v6 : fwd.v4) == 1)
			ret = forward_wan(rs, !fam, wan, from, first_ifname(ifs, n), out, err);
	for (size_t k = 0; k < n && !ret; k++) {
		struct policy pol;
		char iwan[16];

		if (!resolved(&ifs[k], &pol))
			continue;
		find_wan(f, &pol, &ifs[k], 1, iwan, &from);
		for (int fam = 0; fam < 2 && !ret; fam++)
			if ((fam ? fwd.v6 : fwd.v4) == 1)
				ret = forward_tunnel(rs, &ifs[k], &pol, !fam, iwan, out, err);
	}
	return ret;
}

/* --- firewall.nat_split_tunnel ------------------------------------------ */

/* An iptables-nft target nft shows through the compat layer
 * (`xt target "MASQUERADE"`), for rules written with iptables. */
static bool is_xt_target(json_t *stmt, const char *name)
{
	json_t *xt = json_object_get(stmt, "xt");
	const char *type = json_string_value(json_object_get(xt, "type"));
	const char *n = json_string_value(json_object_get(xt, "name"));

	return type && n && !strcmp(type, "target") && !strcmp(n, name);
}

static bool is_nat(json_t *stmt)
{
	return json_object_get(stmt, "masquerade") || json_object_get(stmt, "snat") ||
	       is_xt_target(stmt, "MASQUERADE") || is_xt_target(stmt, "SNAT");
}

/* A copy of nat chain c in which reaching a masquerade or snat is an
 * accept and everything else that ends the chain (an accept, a drop, a
 * return, its policy) is a drop, so that the verdict evaluator answers
 * "does this chain NAT packet p" with the matches it knows, sets and
 * negations included.  Statements are borrowed, not copied.  *oom when
 * memory runs out; what was built is freed by nat_probe_free() either
 * way. */
static struct audit_nft_rule *nat_probe_rules(const struct audit_nft_chain *c, bool *oom)
{
	struct audit_nft_rule *v = calloc(c->n_rules ? c->n_rules : 1, sizeof(*v));
	json_t *accept = json_pack("{s:n}", "accept"), *drop = json_pack("{s:n}", "drop");

	*oom = !v || !accept || !drop;
	for (size_t i = 0; v && !*oom && i < c->n_rules; i++) {
		size_t j;
		json_t *e;

		v[i] = c->rules[i];
		v[i].expr = json_array();
		if (!v[i].expr) {
			*oom = true;
			break;
		}
		json_array_foreach(c->rules[i].expr, j, e) {
			bool nat = is_nat(e), ends = json_object_get(e, "accept") != NULL;

			if (json_array_append(v[i].expr, nat ? accept : ends ? drop : e)) {
				*oom = true;
				break;
			}
			if (nat || ends)
				break;
		}
	}
	json_decref(accept);
	json_decref(drop);
	return v;
}

static void nat_probe_free(struct audit_nft_rule *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		json_decref(v[i].expr);
	free(v);
}

/* Every nat postrouting chain of the ruleset with its probe copy, built
 * once for all the peers asked about. */
struct nat_probes {
	const struct audit_nft_chain **orig;
	struct audit_nft_chain *pc;
	size_t n;
};

static void nat_probes_free(struct nat_probes *np)
{
	for (size_t i = 0; i < np->n; i++)
		nat_probe_free(np->pc[i].rules, np->pc[i].n_rules);
	free(np->pc);
	free(np->orig);
	memset(np, 0, sizeof(*np));
}

static int nat_probes_init(const struct audit_ruleset *rs, struct nat_probes *np,
			   struct error *err)
{
	memset(np, 0, sizeof(*np));
	np->orig = calloc(rs->n_chains ? rs->n_chains : 1, sizeof(*np->orig));
	np->pc = calloc(rs->n_chains ? rs->n_chains : 1, sizeof(*np->pc));
	if (!np->orig || !np->pc) {
		nat_probes_free(np);
		return nomem(err);
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct audit_nft_chain *c = &rs->chains[i];
		struct audit_nft_chain *pc = &np->pc[np->n];
		bool oom;

		if (!c->type || strcmp(c->type, "nat") || !c->hook || strcmp(c->hook, "postrouting"))
			continue;
		*pc = *c;
		pc->rules = nat_probe_rules(c, &oom);
		np->orig[np->n++] = c;
		if (oom) {
			nat_probes_free(np);
			return nomem(err);
		}
		pc->type = "filter";
		pc->hook = NAT_PROBE_HOOK;
		pc->policy = "drop";
	}
	return 0;
}

/* The rule of the i-th nat chain that NATs p, or NULL.  Jumps out of
 * the copy find no chain and count as a drop: a NAT the audit cannot
 * follow is not reported. */
static const struct audit_nft_rule *nat_rule(const struct audit_ruleset *rs,
					     const struct nat_probes *np, size_t i,
					     const struct audit_pkt *p)
{
	struct audit_ruleset probe_rs = *rs;
	struct audit_verdict v;

	probe_rs.chains = &np->pc[i];
	probe_rs.n_chains = 1;
	audit_ruleset_verdict(&probe_rs, NAT_PROBE_HOOK, p, &v);
	return v.accept && v.rule ? &np->orig[i]->rules[v.rule - np->pc[i].rules] : NULL;
}

static int nat_finding(const struct audit_iface *ifc, const struct conf_peer *peer,
		       const struct conf_prefix *src, const struct audit_nft_chain *c,
		       const struct audit_nft_rule *r, struct audit_list *out, struct error *err)
{
	struct audit_finding *a = audit_add(out, "firewall.nat_split_tunnel", AUDIT_WARNING,
					    SEED_NAT);
	char l[KEY_B64_LEN + 1], pfx[NETADDR_PREFIX_STRLEN];

	if (!a)
		return nomem(err);
	netaddr_format_prefix(pfx, &src->prefix);
	snprintf(a->message, sizeof(a->message),
		 "%s: the hub NATs the traffic of peer %s, which is not an Egress peer "
		 "(split tunnel)", ifc->name, audit_peer_label(peer, l));
	snprintf(a->evidence, sizeof(a->evidence),
		 "%s %s %s rule handle %lld%s%s%s NATs source %s (%s:%u, no Egress = on)",
		 c->family, c->table, c->name, r->handle, r->comment ? " (\"" : "",
		 r->comment ? r->comment : "", r->comment ? "\")" : "", pfx, ifc->path, src->line);
	snprintf(a->fix, sizeof(a->fix),
		 "nft delete rule %s %s %s handle %lld; or, if the peer is meant to reach the "
		 "internet through the hub, Egress = on in its [Peer] section of %s",
		 c->family, c->table, c->name, r->handle, ifc->path);
	return 0;
}

/* The first NAT rule of any nat postrouting chain that covers the
 * peer's traffic from the tunnel to the WAN, either family. */
static int nat_peer(const struct audit_ruleset *rs, const struct nat_probes *np,
		    const struct audit_iface *ifc, const struct policy *pol,
		    const struct conf_peer *peer, const char *wan, struct audit_list *out,
		    struct error *err)
{
	for (int fam = 0; fam < 2; fam++) {
		const struct conf_prefix *src;
		struct audit_pkt p;

		probe(&p, !fam, ifc->name, wan);
		if (!peer_source(peer, !fam, &p, &src) || egress_claims(ifc->conf, pol, &src->prefix))
			continue;
		for (size_t i = 0; i < np->n; i++) {
			const struct audit_nft_rule *r;

			if (!audit_chain_on_hook(np->orig[i], "postrouting", !fam))
				continue;
			r = nat_rule(rs, np, i, &p);
			if (r)
				return nat_finding(ifc, peer, src, np->orig[i], r, out, err);
		}
	}
	return 0;
}

int audit_firewall_nat_split_tunnel(struct audit_facts *f, const struct audit_iface *ifs,
				    size_t n, struct audit_list *out, struct error *err)
{
	const struct audit_ruleset *rs;
	struct nat_probes np;
	int ret = audit_ruleset(f, &rs, err);

	if (ret || !rs)
		return ret;
	ret = nat_probes_init(rs, &np, err);
	for (size_t k = 0; k < n && !ret; k++) {
		struct policy pol;
		const char *from;
		char wan[16];

		if (!resolved(&ifs[k], &pol) || pol.role != POLICY_ROLE_HUB)
			continue;
		find_wan(f, &pol, &ifs[k], 1, wan, &from);
		for (size_t i = 0; i < ifs[k].conf->n_peers && !ret; i++)
			if (!is_egress(&pol, &ifs[k].conf->peers[i]))
				ret = nat_peer(rs, &np, &ifs[k], &pol, &ifs[k].conf->peers[i], wan, out,
					       err);
	}
	nat_probes_free(&np);
	return ret;
}

/* --- firewall.no_mss_clamp ---------------------------------------------- */

/* `tcp option maxseg size set ...`: a mangle of the maxseg option, or
 * iptables' TCPMSS target. */
static bool is_mss_clamp(json_t *stmt)
{
	json_t *opt = json_object_get(json_object_get(json_object_get(stmt, "mangle"), "key"),
				      "tcp option");
	const char *name = json_string_value(json_object_get(opt, "name"));

	return (name && !strcmp(name, "maxseg")) || is_xt_target(stmt, "TCPMSS");
}

/* Whether a chain that forwarded packets pass (a base chain on forward
 * or postrouting, or a regular chain, which one of them may jump to:
 * the audit does not trace which) clamps the MSS. */
static bool has_mss_clamp(const struct audit_ruleset *rs)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct audit_nft_chain *c = &rs->chains[i];

		if (c->hook && strcmp(c->hook, "forward") && strcmp(c->hook, "postrouting"))
			continue;
		for (size_t j = 0; j < c->n_rules; j++) {
			size_t k;
			json_t *e;

			json_array_foreach(c->rules[j].expr, k, e)
				if (is_mss_clamp(e))
					return true;
		}
	}
	return false;
}

/* The forwarding sysctl that is on, for evidence; NULL when neither is
 * known to be. */
static const char *fwd_on_path(const struct fwd *x)
{
	return x->v4 == 1 ? PATH_FWD4 " = 1" : x->v6 == 1 ? PATH_FWD6 " = 1" : NULL;
}

/* Neither family on, and one read as off (the other may be absent: a
 * host without IPv6). */
static bool fwd_known_off(const struct fwd *x)
{
	return x->v4 != 1 && x->v6 != 1 && (x->v4 == 0 || x->v6 == 0);
}

int audit_firewall_no_mss_clamp(struct audit_facts *f, const struct audit_iface *ifs,
				size_t n, struct audit_list *out, struct error *err)
{
	const struct audit_ruleset *rs;
	struct fwd fwd;
	int ret = audit_ruleset(f, &rs, err);

	if (ret)
		return ret;
	read_fwd(f, &fwd);
	for (size_t k = 0; k < n; k++) {
		const struct policy_keys *keys;
		struct audit_finding *a;
		struct policy pol;
		char off[200] = "";

		if (!resolved(&ifs[k], &pol) || !pol.forwards)
			continue;
		keys = policykeys_of(ifs[k].conf);
		if (pol.enabled && !pol.mss_clamp)
			snprintf(off, sizeof(off), "%s:%u MSSClamp = off", ifs[k].path,
				 keys->mss_clamp.line);
		/* Live: forwarding on and no clamp anywhere.  Without the
		 * ruleset, the config's MSSClamp = off, unless forwarding is
		 * known to be off (then nothing is forwarded to clamp). */
		if (rs ? !fwd_on_path(&fwd) || has_mss_clamp(rs) : !off[0] || fwd_known_off(&fwd))
			continue;
		a = audit_add(out, "firewall.no_mss_clamp", AUDIT_WARNING, SEED_MSS);
		if (!a)
			return nomem(err);
		snprintf(a->message, sizeof(a->message),
			 "%s (%s): forwarded TCP is not MSS-clamped: connections through the tunnel "
			 "stall on paths that drop the ICMP of PMTU discovery",
			 ifs[k].name, policykeys_role_name(pol.role));
		if (rs)
			snprintf(a->evidence, sizeof(a->evidence),
				 "%s; no `tcp option maxseg size set` in any forward or postrouting "
				 "chain of the live ruleset%s%s",
				 fwd_on_path(&fwd), off[0] ? "; " : "", off);
		else
			snprintf(a->evidence, sizeof(a->evidence), "%s (no live ruleset read)", off);
		fix_apply(a->fix, sizeof(a->fix), off[0], "MSSClamp = on", &ifs[k], "");
	}
	return 0;
}

/* --- firewall.no_handshake_limit ---------------------------------------- */

/* Whether a match's right-hand side holds port: a number, a set (an
 * anonymous one, or a named one of the chain's table), a range. */
static bool port_in(const struct audit_ruleset *rs, const struct audit_nft_chain *c,
		    json_t *r, uint16_t port, int depth)
{
	const char *s = json_string_value(r);
	json_t *x;
	size_t i;

	if (depth > 8)
		return false;
	if (json_is_integer(r))
		return json_integer_value(r) == port;
	if (s && s[0] == '@') {
		const struct audit_nft_set *set = audit_ruleset_set(rs, c->family, c->table, s + 1);

		return set && !set->is_map && port_in(rs, c, set->elem, port, depth + 1);
	}
	if (json_is_array(r)) {
		json_array_foreach(r, i, x)
			if (port_in(rs, c, x, port, depth + 1))
				return true;
		return false;
	}
	if ((x = json_object_get(r, "range")))
		return json_integer_value(json_array_get(x, 0)) <= port &&
		       port <= json_integer_value(json_array_get(x, 1));
	if ((x = json_object_get(r, "set")) || (x = json_object_get(r, "elem")))
		return port_in(rs, c, json_is_object(x) && json_object_get(x, "val") ?
					      json_object_get(x, "val") : x, port, depth + 1);
	return false;
}

/* A limit statement, or a set update or meter that applies one. */
static bool has_limit(json_t *stmt)
{
	json_t *x, *inner;
	size_t i;

	if (json_object_get(stmt, "limit"))
		return true;
	if (!(x = json_object_get(stmt, "set")) && !(x = json_object_get(stmt, "meter")))
		return false;
	inner = json_object_get(x, "stmt");
	if (json_is_object(inner))
		return has_limit(inner);
	json_array_foreach(inner, i, x)
		if (has_limit(x))
			return true;
	return false;
}

/* A rule that rate-limits udp dport port for the family: a dport match
 * holding the port, no `meta nfproto` of the other family, a limit. */
static bool rule_limits_port(const struct audit_ruleset *rs, const struct audit_nft_chain *c,
			     const struct audit_nft_rule *r, uint16_t port, bool ipv4)
{
	bool on_port = false, limit = false;
	size_t i;
	json_t *e;

	json_array_foreach(r->expr, i, e) {
		json_t *m = json_object_get(e, "match"), *left = json_object_get(m, "left");
		json_t *pl = json_object_get(left, "payload"), *meta = json_object_get(left, "meta");
		const char *op = json_string_value(json_object_get(m, "op"));
		const char *proto = json_string_value(json_object_get(pl, "protocol"));
		const char *field = json_string_value(json_object_get(pl, "field"));
		const char *key = json_string_value(json_object_get(meta, "key"));
		const char *fam = json_string_value(json_object_get(m, "right"));

		if (!m) {
			limit = limit || has_limit(e);
			continue;
		}
		if (key && !strcmp(key, "nfproto") && fam && op && !strcmp(op, "==") &&
		    strcmp(fam, ipv4 ? "ipv4" : "ipv6"))
			return false;
		if (proto && field && !strcmp(field, "dport") &&
		    (!strcmp(proto, "udp") || !strcmp(proto, "th")) && op &&
		    (!strcmp(op, "==") || !strcmp(op, "in")) &&
		    port_in(rs, c, json_object_get(m, "right"), port, 0))
			on_port = true;
	}
	return on_port && limit;
}

/* The rule that limits the port on the way to its accept (v): in the
 * accepting chain only before it, in the other chains of the family's
 * input hook and in regular chains anywhere (the audit does not trace
 * which of these the packet passes, and errs towards silence). */
static const struct audit_nft_rule *port_limit(const struct audit_ruleset *rs,
					       const struct audit_verdict *v, uint16_t port,
					       bool ipv4)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct audit_nft_chain *c = &rs->chains[i];
		size_t end = c->n_rules;

		if (c->hook && !audit_chain_on_hook(c, "input", ipv4))
			continue;
		if (c == v->chain && v->rule)
			end = (size_t)(v->rule - c->rules) + 1;
		for (size_t j = 0; j < end; j++)
			if (rule_limits_port(rs, c, &c->rules[j], port, ipv4))
				return &c->rules[j];
	}
	return NULL;
}

/* The host's first global IPv6 address (scope 00 in /proc/net/if_inet6,
 * not on lo), as "ADDR on IFNAME"; false when it has none. */
struct if6 {
	char text[NETADDR_IP_STRLEN + 24];
	char ifname[16];
};

static bool if6_global(const char *line, void *arg)
{
	struct if6 *g = arg;
	char hex[33], scope[3], ifname[16], ip[NETADDR_IP_STRLEN];
	struct netaddr a = { .family = AF_INET6 };

	if (sscanf(line, "%32s %*s %*s %2s %*s %15s", hex, scope, ifname) != 3 ||
	    strcmp(scope, "00") || !strcmp(ifname, "lo") || strlen(hex) != 32)
		return false;
	for (int i = 0; i < 16; i++) {
		unsigned b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return false;
		a.in6.s6_addr[i] = (uint8_t)b;
	}
	snprintf(g->text, sizeof(g->text), "%s on %s", netaddr_format_ip(ip, &a), ifname);
	snprintf(g->ifname, sizeof(g->ifname), "%s", ifname);
	return true;
}

static bool host_ipv6(struct audit_facts *f, struct if6 *g)
{
	memset(g, 0, sizeof(*g));
	each_line(f, "/proc/net/if_inet6", false, if6_global, g);
	return g->text[0] != '\0';
}

static int handshake_finding(const struct audit_iface *ifc, bool ipv4, const char *where,
			     const char *off, struct audit_list *out, struct error *err)
{
	struct audit_finding *a = audit_add(out, "firewall.no_handshake_limit", AUDIT_WARNING,
					    SEED_HANDSHAKE);
	unsigned port = ifc->conf->listen_port;

	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message),
		 "%s: handshake initiations to udp/%u are not rate-limited%s: a flood of them "
		 "costs a Curve25519 operation each", ifc->name, port, where ? (ipv4 ? " (IPv4)" : " (IPv6)") : "");
	if (where)
		snprintf(a->evidence, sizeof(a->evidence),
			 "udp/%u from any source accepted (%s) with no limit on that port before it%s%s",
			 port, where, off[0] ? "; " : "", off);
	else
		snprintf(a->evidence, sizeof(a->evidence), "%s (no live ruleset read)", off);
	fix_apply(a->fix, sizeof(a->fix), off[0], "HandshakeLimit = 20/second", ifc,
		  " (its \"handshake flood\" rule)");
	return 0;
}

/* One interface: each family whose probe to the port is accepted
 * (IPv6 only on a host with a global IPv6 address) and meets no limit. */
static int handshake_live(struct audit_facts *f, const struct audit_ruleset *rs,
			  const struct audit_iface *ifc, const struct policy *pol,
			  const char *off, struct audit_list *out, struct error *err)
{
	const char *from;
	struct if6 g;
	char wan[16], where[256];
	bool v6 = host_ipv6(f, &g);

	find_wan(f, pol, ifc, 1, wan, &from);
	for (int fam = 0; fam < 2; fam++) {
		struct audit_verdict v;
		struct audit_pkt p;
		int ret;

		if (fam && !v6)
			break;
		probe(&p, !fam, wan, NULL);
		p.l4proto = IPPROTO_UDP;
		p.dport = ifc->conf->listen_port;
		audit_ruleset_verdict(rs, "input", &p, &v);
		/* Nothing filters IPv6 at all: firewall.ipv6_unfiltered's. */
		if (!v.accept || (fam && !v.chain) || port_limit(rs, &v, p.dport, !fam))
			continue;
		audit_verdict_where(&v, "input", where, sizeof(where));
		ret = handshake_finding(ifc, !fam, where, off, out, err);
		if (ret)
			return ret;
	}
	return 0;
}

int audit_firewall_no_handshake_limit(struct audit_facts *f, const struct audit_iface *ifs,
				      size_t n, struct audit_list *out, struct error *err)
{
	const struct audit_ruleset *rs;
	int ret = audit_ruleset(f, &rs, err);

	for (size_t k = 0; k < n && !ret; k++) {
		struct policy pol;
		char off[200] = "";

		if (!resolved(&ifs[k], &pol) || !ifs[k].conf->has_listen_port)
			continue;
		if (pol.enabled && !pol.handshake_limit.count)
			snprintf(off, sizeof(off), "%s:%u HandshakeLimit = off", ifs[k].path,
				 policykeys_of(ifs[k].conf)->handshake_limit.line);
		if (rs)
			ret = handshake_live(f, rs, &ifs[k], &pol, off, out, err);
		else if (off[0])
			ret = handshake_finding(&ifs[k], true, NULL, off, out, err);
	}
	return ret;
}

/* --- firewall.no_kill_switch -------------------------------------------- */

/* Whether a peer routes the family's default route through the tunnel. */
static bool routes_default(const struct conf *c, bool ipv4)
{
	for (size_t i = 0; i < c->n_peers; i++)
		for (size_t j = 0; j < c->peers[i].n_allowed_ips; j++) {
			const struct netaddr_prefix *x = &c->peers[i].allowed_ips[j].prefix;

			if (x->cidr == 0 && (x->addr.family == AF_INET) == ipv4)
				return true;
		}
	return false;
}

static int kill_finding(const struct audit_iface *ifc, const char *evidence, bool off,
			struct audit_list *out, struct error *err)
{
	struct audit_finding *a = audit_add(out, "firewall.no_kill_switch", AUDIT_WARNING,
					    SEED_KILL);

	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message),
		 "%s: a full-tunnel client without a kill switch: when the tunnel is down, "
		 "traffic leaves through the WAN in the clear", ifc->name);
	snprintf(a->evidence, sizeof(a->evidence), "%s", evidence);
	fix_apply(a->fix, sizeof(a->fix), off, "KillSwitch = on", ifc, "");
	return 0;
}

/* The live form: a new packet to a public address out of the WAN
 * passes the output hook (the kill switch's chain is absent or open). */
static int kill_live(struct audit_facts *f, const struct audit_ruleset *rs,
		     const struct audit_iface *ifc, const struct policy *pol, const char *off,
		     struct audit_list *out, struct error *err)
{
	char wan[16], where[256], ev[AUDIT_EVIDENCE_MAX];
	const char *from;

	find_wan(f, pol, ifc, 1, wan, &from);
	for (int fam = 0; fam < 2; fam++) {
		struct audit_verdict v;
		struct audit_pkt p;

		if (!routes_default(ifc->conf, !fam))
			continue;
		probe(&p, !fam, NULL, wan);
		p.dport = 443;
		audit_ruleset_verdict(rs, "output", &p, &v);
		if (!v.accept)
			continue;
		audit_verdict_where(&v, "output", where, sizeof(where));
		snprintf(ev, sizeof(ev), "tcp/443 to %s out of %s (%s): accepted: %s%s%s",
			 fam ? PROBE_DADDR6 : PROBE_DADDR4, wan[0] ? wan : "?", from, where,
			 off[0] ? "; " : "", off);
		return kill_finding(ifc, ev, off[0], out, err);
	}
	return 0;
}

int audit_firewall_no_kill_switch(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err)
{
	const struct audit_ruleset *rs;
	int ret = audit_ruleset(f, &rs, err);

	for (size_t k = 0; k < n && !ret; k++) {
		struct policy pol;
		char off[200] = "", ev[AUDIT_EVIDENCE_MAX];

		if (!resolved(&ifs[k], &pol) || pol.role != POLICY_ROLE_CLIENT || !pol.full_tunnel)
			continue;
		if (pol.enabled && !pol.kill_switch)
			snprintf(off, sizeof(off), "%s:%u KillSwitch = off", ifs[k].path,
				 policykeys_of(ifs[k].conf)->kill_switch.line);
		/* The live ruleset decides when there is one: a kill switch
		 * of the operator's own counts as much as Rampart's. */
		if (rs) {
			ret = kill_live(f, rs, &ifs[k], &pol, off, out, err);
		} else if (off[0]) {
			snprintf(ev, sizeof(ev), "%s (no live ruleset read)", off);
			ret = kill_finding(&ifs[k], ev, true, out, err);
		}
	}
	return ret;
}

/* --- firewall.sysctls --------------------------------------------------- */

/* The role's plan, as `rampart firewall apply` makes it (fwapply.c):
 * the families the interface carries, the full tunnel unless Table =
 * off, the WAN's own keys. */
static int role_plan(const struct audit_iface *ifc, const struct policy *pol, const char *wan,
		     struct sysctls_plan *plan, struct error *err)
{
	const struct conf *c = ifc->conf;
	struct sysctls_input in = { .ifname = ifc->name, .wan = wan };

	in.role = pol->role == POLICY_ROLE_HUB ? SYSCTLS_ROLE_HUB :
		  pol->role == POLICY_ROLE_SITE ? SYSCTLS_ROLE_SITE : SYSCTLS_ROLE_CLIENT;
	in.full_tunnel = pol->full_tunnel && !(c->has_table && c->table.kind == CONF_TABLE_OFF);
	for (size_t i = 0; i < c->n_addresses; i++)
		*(c->addresses[i].prefix.addr.family == AF_INET ? &in.ipv4 : &in.ipv6) = true;
	for (size_t p = 0; p < c->n_peers; p++)
		for (size_t i = 0; i < c->peers[p].n_allowed_ips; i++)
			*(c->peers[p].allowed_ips[i].prefix.addr.family == AF_INET ? &in.ipv4
										   : &in.ipv6) = true;
	return sysctls_plan(&in, plan, err);
}

/* A hub or site gateway needs forwarding only for a peer that goes
 * through it: Egress, a Forward, or peers reaching each other
 * (Isolation = off). */
static bool needs_forwarding(const struct policy *pol, const struct conf *c)
{
	if (pol->any_egress || !pol->isolation)
		return true;
	for (size_t i = 0; i < c->n_peers; i++)
		if (policykeys_peer(&c->peers[i])->forwards.n)
			return true;
	return false;
}

static int sysctl_finding(const struct audit_iface *ifc, const struct policy *pol,
			  const struct sysctls_check *chk, struct audit_list *out,
			  struct error *err)
{
	const struct sysctls_setting *s = chk->setting;
	const char *seed = !strncmp(s->source, "seed 00", 7) ? s->source : SEED_SYSCTLS;
	struct audit_finding *a = audit_add(out, "firewall.sysctls", AUDIT_WARNING, seed);
	char path[SYSCTL_KEY_MAX + 16];

	if (!a)
		return nomem(err);
	if (sysctl_key_path(path, sizeof(path), "/proc/sys", s->key))
		snprintf(path, sizeof(path), "%s", s->key);
	snprintf(a->message, sizeof(a->message), "%s (%s): %s is %s, the role wants %s: %s",
		 ifc->name, policykeys_role_name(pol->role), s->key, chk->actual, s->value,
		 s->reason);
	snprintf(a->evidence, sizeof(a->evidence), "%s = %s (want %s)", path, chk->actual,
		 s->value);
	snprintf(a->fix, sizeof(a->fix),
		 "sysctl -w %s=%s; rampart firewall apply --persist-sysctls %s to keep it",
		 s->key, s->value, ifc->name);
	return 0;
}

static int sysctls_iface(struct audit_facts *f, const struct audit_iface *ifc,
			 const char *proc_sys, struct audit_list *out, struct error *err)
{
	struct sysctls_report rep;
	struct sysctls_plan plan;
	struct policy pol;
	const char *from;
	char wan[16];
	int ret;

	/* Policy = off: Rampart sets no sysctls for the interface. */
	if (!resolved(ifc, &pol) || !pol.enabled)
		return 0;
	find_wan(f, &pol, ifc, 1, wan, &from);
	ret = role_plan(ifc, &pol, wan, &plan, err);
	if (!ret)
		ret = sysctls_report(proc_sys, &plan, &rep, err);
	for (size_t i = 0; !ret && i < rep.n; i++) {
		const struct sysctls_check *chk = &rep.c[i];
		bool fwd = !strcmp(chk->setting->key, "net.ipv4.ip_forward") ||
			   !strcmp(chk->setting->key, "net.ipv6.conf.all.forwarding");

		/* A key that does not exist is not known (a fixture, the
		 * tunnel's own keys before it is up), not a finding. */
		if (chk->status != SYSCTLS_DIFFERS)
			continue;
		if (fwd && !needs_forwarding(&pol, ifc->conf))
			continue;
		ret = sysctl_finding(ifc, &pol, chk, out, err);
	}
	return ret;
}

int audit_firewall_sysctls(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
			   struct audit_list *out, struct error *err)
{
	const char *root = audit_root(f);
	char proc_sys[4096];
	int ret = 0;

	snprintf(proc_sys, sizeof(proc_sys), "%s%s", strcmp(root, "/") ? root : "",
		 SYSCTL_PROC_ROOT);
	for (size_t k = 0; k < n && !ret; k++)
		ret = sysctls_iface(f, &ifs[k], proc_sys, out, err);
	return ret;
}

/* --- firewall.ipv6_unfiltered ------------------------------------------- */

int audit_firewall_ipv6_unfiltered(struct audit_facts *f, const struct audit_iface *ifs,
				   size_t n, struct audit_list *out, struct error *err)
{
	char wan[16], w4[256], w6[256], why[NETADDR_IP_STRLEN + 80];
	struct audit_verdict v4, v6;
	const struct audit_ruleset *rs;
	struct audit_pkt p;
	struct audit_finding *a;
	const char *from;
	struct fwd fwd;
	struct if6 g;
	int ret = audit_ruleset(f, &rs, err);

	if (ret || !rs)
		return ret;
	read_fwd(f, &fwd);
	if (host_ipv6(f, &g))
		snprintf(why, sizeof(why), "%s (/proc/net/if_inet6, scope global)", g.text);
	else if (fwd.v6 == 1)
		snprintf(why, sizeof(why), "%s = 1", PATH_FWD6);
	else
		return 0;
	host_wan(f, ifs, n, wan, &from);
	if (!wan[0])
		snprintf(wan, sizeof(wan), "%s", g.ifname);
	probe(&p, false, wan, NULL);
	audit_ruleset_verdict(rs, "input", &p, &v6);
	probe(&p, true, wan, NULL);
	audit_ruleset_verdict(rs, "input", &p, &v4);
	if (!v6.accept || v4.accept)
		return 0;
	a = audit_add(out, "firewall.ipv6_unfiltered", AUDIT_WARNING, SEED_IPV6);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message),
		 "the host speaks IPv6 but its input hook does not filter it as it does IPv4: "
		 "an IPv6 packet to any port of %s is accepted", wan[0] ? wan : "the WAN");
	snprintf(a->evidence, sizeof(a->evidence),
		 "%s; IPv6 tcp/%d from any source: accepted: %s; IPv4: dropped: %s", why,
		 PROBE_PORT, audit_verdict_where(&v6, "input", w6, sizeof(w6)),
		 audit_verdict_where(&v4, "input", w4, sizeof(w4)));
	snprintf(a->fix, sizeof(a->fix),
		 "rampart firewall apply %s (table inet rampart-%s filters both families), or an "
		 "inet or ip6 input chain with policy drop", first_ifname(ifs, n), first_ifname(ifs, n));
	return 0;
}
