#include "nftpolicy.h"

#include "policy.h"

#include "conf/config.h"
#include "common/textbuf.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* The two families, in the order every pair of rules is written. */
static const int families[] = { AF_INET, AF_INET6 };

static const char *ipkw(int family)
{
	return family == AF_INET ? "ip" : "ip6";
}

static const char *const units[] = {
	[POLICY_RATE_SECOND] = "second",
	[POLICY_RATE_MINUTE] = "minute",
	[POLICY_RATE_HOUR] = "hour",
	[POLICY_RATE_DAY] = "day",
};

static const char *unit(const struct policy_rate *r)
{
	return r->unit < ARRAY_SIZE(units) ? units[r->unit] : "second";
}

void nftpolicy_table_name(char *buf, size_t size, const char *ifname)
{
	snprintf(buf, size, "rampart-%s", ifname);
}

/* --- element lists ---------------------------------------------------------- */

/* A list of prefixes of one family, gathered from the config. */
struct plist {
	struct textbuf t; /* "a, b, c" */
	size_t n;
	bool all;         /* a /0 was among them: every address of the family */
};

static void plist_add(struct plist *l, const struct netaddr_prefix *p, int family)
{
	char buf[NETADDR_PREFIX_STRLEN];
	struct netaddr_prefix q = *p;

	if (p->addr.family != family)
		return;
	/* nft refuses host bits under an interval ("10.0.0.1/24"): mask
	 * them, as the kernel does for AllowedIPs. */
	netaddr_prefix_mask(&q);
	netaddr_format_prefix(buf, &q);
	/* A full-length prefix is written as the bare address. */
	if (q.cidr == (family == AF_INET ? 32 : 128))
		*strchr(buf, '/') = '\0';
	textbuf_printf(&l->t, "%s%s", l->n ? ", " : "", buf);
	l->n++;
}

static void plist_add_all(struct plist *l, const struct conf_prefix *v, size_t n, int family)
{
	for (size_t i = 0; i < n; i++)
		plist_add(l, &v[i].prefix, family);
}

/* "{ a, b }", or "a" alone. */
static const char *plist_str(struct plist *l)
{
	static const char empty[] = "";

	if (!l->t.buf)
		return empty;
	return l->t.buf;
}

static void emit_match(struct textbuf *o, const char *what, struct plist *l)
{
	if (l->n == 1)
		textbuf_printf(o, "%s %s", what, plist_str(l));
	else
		textbuf_printf(o, "%s { %s }", what, plist_str(l));
}

/* Copies the list's error into the output and empties the list. */
static void plist_done(struct textbuf *o, struct plist *l)
{
	if (l->t.err)
		textbuf_fail(o, l->t.err);
	textbuf_wipe(&l->t);
	l->n = 0;
	l->all = false;
}

/* "tcp dport 53", "udp dport 8000-8080", "meta l4proto tcp", "". */
static void emit_ports(struct textbuf *o, const struct policy_ports *p)
{
	const char *proto = p->proto == IPPROTO_TCP ? "tcp" : "udp";

	if (!p->proto)
		return;
	if (!p->lo)
		textbuf_printf(o, " meta l4proto %s", proto);
	else if (p->lo == p->hi)
		textbuf_printf(o, " %s dport %u", proto, p->lo);
	else
		textbuf_printf(o, " %s dport %u-%u", proto, p->lo, p->hi);
}

/* --- sections of the table ---------------------------------------------------- */

struct render {
	struct textbuf *o;
	const struct conf *conf;
	const struct policy *pol;
	const struct nftpolicy_facts *f;
	const char *ifname;
	char table[NFTPOLICY_TABLE_MAX];
};

/* One rule per family that v has prefixes of: "HEAD ip DIR { ... }TAIL". */
static void emit_list_rules(struct render *r, const char *head, const char *dir,
			    const struct conf_prefix *v, size_t n, const char *tail)
{
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		struct plist l = { 0 };
		char what[16];

		plist_add_all(&l, v, n, families[i]);
		if (l.n) {
			snprintf(what, sizeof(what), "%s %s", ipkw(families[i]), dir);
			textbuf_printf(r->o, "\t\t%s", head);
			emit_match(r->o, what, &l);
			textbuf_printf(r->o, "%s\n", tail);
		}
		plist_done(r->o, &l);
	}
}

static void emit_log(struct render *r, const char *chain)
{
	if (!r->pol->log_drops)
		return;
	/* Seed 001: "rate-limit logs to avoid filling disk". */
	textbuf_printf(r->o, "\t\tlimit rate %u/%s log prefix \"%s %s drop: \"\n",
		       r->pol->log_rate.count, unit(&r->pol->log_rate), r->table, chain);
}

static void emit_dynamic_set(struct render *r, const char *name, int family)
{
	textbuf_printf(r->o,
		       "\tset %s {\n"
		       "\t\ttype %s\n"
		       "\t\tsize 65536\n"
		       "\t\tflags dynamic,timeout\n"
		       "\t\ttimeout 1m\n"
		       "\t}\n\n",
		       name, family == AF_INET ? "ipv4_addr" : "ipv6_addr");
}

static bool handshake_meter(const struct render *r)
{
	return r->f->listen_port && r->pol->handshake_limit.count;
}

static void emit_sets(struct render *r)
{
	if (handshake_meter(r)) {
		emit_dynamic_set(r, "handshake4", AF_INET);
		emit_dynamic_set(r, "handshake6", AF_INET6);
	}
	if (r->pol->ssh_limit.count) {
		emit_dynamic_set(r, "ssh4", AF_INET);
		emit_dynamic_set(r, "ssh6", AF_INET6);
	}
}

/* The named counters (nftpolicy.h), each where its rule is written. */
static void emit_counters(struct render *r)
{
	const char *names[9];
	size_t n = 0;

	if (r->conf->n_addresses)
		names[n++] = NFTPOLICY_COUNTER_ANTI_SPOOF;
	names[n++] = NFTPOLICY_COUNTER_INPUT_INVALID;
	if (handshake_meter(r))
		names[n++] = NFTPOLICY_COUNTER_HANDSHAKE_FLOOD;
	if (r->f->listen_port)
		names[n++] = NFTPOLICY_COUNTER_WIREGUARD;
	if (r->pol->ssh_limit.count)
		names[n++] = NFTPOLICY_COUNTER_SSH_FLOOD;
	names[n++] = NFTPOLICY_COUNTER_INPUT_DROP;
	if (r->pol->forwards)
		names[n++] = NFTPOLICY_COUNTER_FORWARD_INVALID;
	names[n++] = NFTPOLICY_COUNTER_FORWARD_DROP;
	if (r->pol->kill_switch)
		names[n++] = NFTPOLICY_COUNTER_KILL_SWITCH;
	for (size_t i = 0; i < n; i++)
		textbuf_printf(r->o, "\tcounter %s {}\n", names[i]);
	textbuf_printf(r->o, "\n");
}

/* CVE-2019-14899: a host answers, on any interface, for addresses it holds
 * on the tunnel, which lets a neighbour on the physical network probe
 * which tunnel address it has and inject into its connections.  Packets
 * for a tunnel address that did not come through the tunnel (or from this
 * host) are dropped before routing, as wg-quick does. */
static void emit_prerouting(struct render *r)
{
	const struct conf *c = r->conf;

	if (!c->n_addresses)
		return;
	textbuf_printf(r->o,
		       "\tchain prerouting {\n"
		       "\t\ttype filter hook prerouting priority raw; policy accept;\n");
	for (size_t i = 0; i < c->n_addresses; i++) {
		const struct netaddr *a = &c->addresses[i].prefix.addr;
		char buf[NETADDR_IP_STRLEN];

		textbuf_printf(r->o,
			       "\t\tiifname != \"%s\" %s daddr %s fib saddr type != local "
			       "counter name \"" NFTPOLICY_COUNTER_ANTI_SPOOF "\" drop "
			       "comment \"anti-spoof: tunnel address from outside\"\n",
			       r->ifname, ipkw(a->family), netaddr_format_ip(buf, a));
	}
	textbuf_printf(r->o, "\t}\n\n");
}

static void emit_icmp(struct render *r)
{
	/* RFC 4890 section 4.4: what a host must not drop.  Echo is
	 * answered, at a bounded rate; neighbour discovery only from the
	 * link (hop limit 255, RFC 4861 section 7.1). */
	textbuf_printf(r->o,
		       "\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept\n"
		       "\t\ticmp type echo-request limit rate 20/second burst 50 packets accept\n"
		       "\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, "
		       "parameter-problem } accept\n"
		       "\t\ticmpv6 type echo-request limit rate 20/second burst 50 packets accept\n"
		       "\t\ticmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } "
		       "ip6 hoplimit 255 accept\n");
}

static void emit_ssh(struct render *r)
{
	const struct policy *pol = r->pol;
	unsigned port = pol->ssh_port;
	char tail[96];

	if (pol->ssh_limit.count) {
		/* Seed 001: "recent --hitcount 10 --seconds 60" against brute
		 * force, per source. */
		for (size_t i = 0; i < ARRAY_SIZE(families); i++)
			textbuf_printf(r->o,
				       "\t\tmeta nfproto %s tcp dport %u ct state new update @ssh%c "
				       "{ %s saddr limit rate over %u/%s burst 5 packets } "
				       "counter name \"" NFTPOLICY_COUNTER_SSH_FLOOD "\" drop "
				       "comment \"SSH brute-force limit\"\n",
				       families[i] == AF_INET ? "ipv4" : "ipv6", port,
				       families[i] == AF_INET ? '4' : '6', ipkw(families[i]),
				       pol->ssh_limit.count, unit(&pol->ssh_limit));
	}
	if (pol->ssh_any)
		textbuf_printf(r->o, "\t\ttcp dport %u accept comment \"SSH from anywhere\"\n", port);
	if (pol->ssh_tunnel)
		textbuf_printf(r->o, "\t\tiifname \"%s\" tcp dport %u accept comment \"SSH over the tunnel\"\n",
			       r->ifname, port);
	snprintf(tail, sizeof(tail), " tcp dport %u accept comment \"SSH from management\"", port);
	emit_list_rules(r, "", "saddr", pol->ssh_from, pol->n_ssh_from, tail);
	if (r->f->has_ssh_session) {
		char buf[NETADDR_IP_STRLEN];

		textbuf_printf(r->o,
			       "\t\t%s saddr %s tcp dport %u accept comment \"the SSH session rampart ran in\"\n",
			       ipkw(r->f->ssh_client.family), netaddr_format_ip(buf, &r->f->ssh_client),
			       r->f->ssh_server_port);
	}
}

static void emit_services(struct render *r)
{
	for (size_t i = 0; i < r->pol->n_services; i++) {
		textbuf_printf(r->o, "\t\tiifname \"%s\"", r->ifname);
		emit_ports(r->o, &r->pol->services[i].ports);
		textbuf_printf(r->o, " accept comment \"service for peers\"\n");
	}
}

/* The WireGuard port: handshake initiations metered, the rest accepted.
 * These rules belong where the UDP sockets are, which for an interface
 * in a tenant namespace is not where the interface is. */
static void emit_wireguard(struct render *r)
{
	unsigned port = r->f->listen_port;

	if (!port)
		return;
	if (handshake_meter(r)) {
		/* Only handshake initiations (type 1, 148 bytes: UDP length
		 * 156) are metered, per source: data packets are never slowed
		 * down, and a flood from one address cannot starve the others. */
		for (size_t i = 0; i < ARRAY_SIZE(families); i++)
			textbuf_printf(r->o,
				       "\t\tmeta nfproto %s udp dport %u udp length 156 @th,64,32 0x01000000 "
				       "update @handshake%c { %s saddr limit rate over %u/%s burst %u packets } "
				       "counter name \"" NFTPOLICY_COUNTER_HANDSHAKE_FLOOD "\" drop comment \"handshake flood\"\n",
				       families[i] == AF_INET ? "ipv4" : "ipv6",
				       port, families[i] == AF_INET ? '4' : '6', ipkw(families[i]),
				       r->pol->handshake_limit.count, unit(&r->pol->handshake_limit),
				       r->pol->handshake_burst);
	}
	textbuf_printf(r->o,
		       "\t\tudp dport %u counter name \"" NFTPOLICY_COUNTER_WIREGUARD "\" accept "
		       "comment \"WireGuard\"\n", port);
}

static void emit_input(struct render *r)
{
	textbuf_printf(r->o,
		       "\tchain input {\n"
		       "\t\ttype filter hook input priority filter; policy drop;\n"
		       "\t\tiif \"lo\" accept\n"
		       "\t\tct state established,related accept\n"
		       "\t\tct state invalid counter name \"" NFTPOLICY_COUNTER_INPUT_INVALID "\" drop\n");
	emit_icmp(r);
	/* DHCP and DHCPv6 replies: a VPS or a laptop that loses its lease
	 * loses its address. */
	textbuf_printf(r->o,
		       "\t\tudp sport 67 udp dport 68 accept comment \"DHCP\"\n"
		       "\t\tip6 saddr fe80::/10 udp sport 547 udp dport 546 accept comment \"DHCPv6\"\n");
	emit_wireguard(r);
	emit_ssh(r);
	emit_services(r);
	emit_log(r, "input");
	textbuf_printf(r->o, "\t\tcounter name \"" NFTPOLICY_COUNTER_INPUT_DROP "\" comment \"dropped\"\n\t}\n\n");
}

/* The sources a peer may use: its AllowedIPs of one family. */
static void peer_sources(struct plist *l, const struct conf_peer *peer, int family)
{
	for (size_t j = 0; j < peer->n_allowed_ips; j++) {
		/* A /0 peer's sources are everything: the tunnel enforces
		 * them (cryptokey routing), so "iifname" is enough. */
		if (peer->allowed_ips[j].prefix.cidr == 0 &&
		    peer->allowed_ips[j].prefix.addr.family == family)
			l->all = true;
		plist_add(l, &peer->allowed_ips[j].prefix, family);
	}
}

static void emit_sources(struct render *r, struct plist *src, int family)
{
	if (src->all)
		textbuf_printf(r->o, " meta nfproto %s", family == AF_INET ? "ipv4" : "ipv6");
	else {
		textbuf_printf(r->o, " ");
		emit_match(r->o, family == AF_INET ? "ip saddr" : "ip6 saddr", src);
	}
}

static void emit_peer_forwards(struct render *r, const struct conf_peer *peer)
{
	const struct policy_peer_keys *pp = policykeys_peer(peer);

	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		int fam = families[i];
		struct plist src = { 0 };

		peer_sources(&src, peer, fam);
		if (src.n || src.all) {
			for (size_t k = 0; k < pp->forwards.n; k++) {
				const struct policy_forward *fw = &pp->forwards.v[k];
				struct plist dst = { 0 };

				if (fw->dst.addr.family != fam)
					continue;
				plist_add(&dst, &fw->dst, fam);
				textbuf_printf(r->o, "\t\tiifname \"%s\"", r->ifname);
				emit_sources(r, &src, fam);
				textbuf_printf(r->o, " ");
				emit_match(r->o, fam == AF_INET ? "ip daddr" : "ip6 daddr", &dst);
				emit_ports(r->o, &fw->ports);
				textbuf_printf(r->o, " accept comment \"Forward\"\n");
				plist_done(r->o, &dst);
			}
			if (pp->egress.set && pp->egress.on && r->f->wan && r->f->wan[0]) {
				textbuf_printf(r->o, "\t\tiifname \"%s\" oifname \"%s\"", r->ifname, r->f->wan);
				emit_sources(r, &src, fam);
				textbuf_printf(r->o, " accept comment \"Egress\"\n");
			}
		}
		plist_done(r->o, &src);
	}
}

static void emit_mss(struct render *r)
{
	uint32_t mtu = r->f->mtu ? r->f->mtu : NFTPOLICY_MTU_DEFAULT;
	uint32_t mss4 = mtu > NFTPOLICY_MSS_OVERHEAD4 ? mtu - NFTPOLICY_MSS_OVERHEAD4 : 0;
	uint32_t mss6 = mtu > NFTPOLICY_MSS_OVERHEAD6 ? mtu - NFTPOLICY_MSS_OVERHEAD6 : 0;

	if (!r->pol->mss_clamp)
		return;
	/* Seed 001: "clamp the MSS of passing TCP traffic".  Into the
	 * tunnel, the route's MTU is the tunnel's; out of it, the far side's
	 * SYN may announce more than the tunnel carries, so clamp to the
	 * tunnel's MTU in both directions. */
	textbuf_printf(r->o,
		       "\t\toifname \"%s\" tcp flags & (syn | rst) == syn tcp option maxseg size set rt mtu "
		       "comment \"MSS clamp\"\n",
		       r->ifname);
	if (mss4)
		textbuf_printf(r->o,
			       "\t\tiifname \"%s\" meta nfproto ipv4 tcp flags & (syn | rst) == syn "
			       "tcp option maxseg size > %u tcp option maxseg size set %u comment \"MSS clamp\"\n",
			       r->ifname, mss4, mss4);
	if (mss6)
		textbuf_printf(r->o,
			       "\t\tiifname \"%s\" meta nfproto ipv6 tcp flags & (syn | rst) == syn "
			       "tcp option maxseg size > %u tcp option maxseg size set %u comment \"MSS clamp\"\n",
			       r->ifname, mss6, mss6);
}

static void emit_forward(struct render *r)
{
	const struct policy *pol = r->pol;

	textbuf_printf(r->o,
		       "\tchain forward {\n"
		       "\t\ttype filter hook forward priority filter; policy drop;\n");
	if (pol->forwards) {
		emit_mss(r);
		textbuf_printf(r->o,
			       "\t\tct state established,related accept\n"
			       "\t\tct state invalid counter name \"" NFTPOLICY_COUNTER_FORWARD_INVALID "\" drop\n");
		for (size_t i = 0; i < r->conf->n_peers; i++)
			emit_peer_forwards(r, &r->conf->peers[i]);
		if (!pol->isolation)
			textbuf_printf(r->o,
				       "\t\tiifname \"%s\" oifname \"%s\" accept comment \"peer to peer\"\n",
				       r->ifname, r->ifname);
		char head[64];

		snprintf(head, sizeof(head), "iifname != \"%s\" oifname \"%s\" ", r->ifname,
			 r->ifname);
		emit_list_rules(r, head, "saddr", pol->local_networks, pol->n_local_networks,
				" accept comment \"LocalNetworks\"");
	}
	emit_log(r, "forward");
	textbuf_printf(r->o, "\t\tcounter name \"" NFTPOLICY_COUNTER_FORWARD_DROP "\" comment \"dropped\"\n\t}\n\n");
}

/* Seed 002: "NAT only for full tunnel": masquerade exactly the sources of
 * the peers with Egress, on the WAN interface. */
static void emit_postrouting(struct render *r)
{
	bool any = false;

	if (!r->pol->forwards || !r->pol->any_egress || !r->f->wan || !r->f->wan[0])
		return;
	for (size_t i = 0; i < ARRAY_SIZE(families); i++) {
		int fam = families[i];
		struct plist l = { 0 };

		for (size_t p = 0; p < r->conf->n_peers; p++) {
			const struct conf_peer *peer = &r->conf->peers[p];
			const struct policy_peer_keys *pp = policykeys_peer(peer);

			if (pp->egress.set && pp->egress.on)
				peer_sources(&l, peer, fam);
		}
		if (!l.n && !l.all) {
			plist_done(r->o, &l);
			continue;
		}
		if (!any)
			textbuf_printf(r->o,
				       "\tchain postrouting {\n"
				       "\t\ttype nat hook postrouting priority srcnat; policy accept;\n");
		any = true;
		textbuf_printf(r->o, "\t\tiifname \"%s\" oifname \"%s\"", r->ifname, r->f->wan);
		emit_sources(r, &l, fam);
		textbuf_printf(r->o, " masquerade comment \"Egress\"\n");
		plist_done(r->o, &l);
	}
	if (any)
		textbuf_printf(r->o, "\t}\n\n");
}

/* The kill switch (seed 001, "Implementing a kill switch"): nothing leaves
 * this host except through the tunnel, to the peers' endpoints (the
 * tunnel's own packets), for DHCP and neighbour discovery, and the replies
 * of the management SSH session.  The table does not depend on the
 * daemon: when rampartd dies, the tunnel interface goes and its traffic
 * falls back to the physical route, where this chain drops it. */
static void emit_output(struct render *r)
{
	const struct policy *pol = r->pol;

	if (!pol->kill_switch)
		return;
	textbuf_printf(r->o,
		       "\tchain output {\n"
		       "\t\ttype filter hook output priority filter; policy drop;\n"
		       "\t\toif \"lo\" accept\n"
		       "\t\toifname \"%s\" accept\n",
		       r->ifname);
	for (size_t i = 0; i < r->f->n_endpoints; i++) {
		const struct nftpolicy_endpoint *e = &r->f->endpoints[i];
		char buf[NETADDR_IP_STRLEN];

		textbuf_printf(r->o, "\t\t%s daddr %s udp dport %u accept comment \"peer endpoint\"\n",
			       ipkw(e->addr.family), netaddr_format_ip(buf, &e->addr), e->port);
	}
	textbuf_printf(r->o,
		       "\t\tudp sport 68 udp dport 67 accept comment \"DHCP\"\n"
		       "\t\tudp sport 546 udp dport 547 accept comment \"DHCPv6\"\n"
		       "\t\ticmpv6 type { nd-router-solicit, nd-neighbor-solicit, nd-neighbor-advert, "
		       "mld2-listener-report } accept\n"
		       "\t\ttcp sport %u ct state established accept comment \"management SSH replies\"\n",
		       pol->ssh_port);
	if (r->f->has_ssh_session && r->f->ssh_server_port != pol->ssh_port)
		textbuf_printf(r->o,
			       "\t\ttcp sport %u ct state established accept "
			       "comment \"the SSH session rampart ran in\"\n",
			       r->f->ssh_server_port);
	emit_list_rules(r, "", "daddr", pol->kill_switch_allow, pol->n_kill_switch_allow,
			" accept comment \"KillSwitchAllow\"");
	emit_log(r, "output");
	textbuf_printf(r->o, "\t\tcounter name \"" NFTPOLICY_COUNTER_KILL_SWITCH "\" comment \"kill switch\"\n\t}\n\n");
}

void nftpolicy_render_delete(struct textbuf *out, const char *ifname)
{
	char table[NFTPOLICY_TABLE_MAX];

	nftpolicy_table_name(table, sizeof(table), ifname);
	textbuf_printf(out, "table inet %s {}\ndelete table inet %s\n", table, table);
}

void nftpolicy_render_uplink(struct textbuf *out, const struct policy *pol,
			     const struct nftpolicy_facts *facts)
{
	struct render r = { .o = out, .pol = pol, .f = facts, .ifname = facts->ifname };

	nftpolicy_table_name(r.table, sizeof(r.table), facts->ifname);
	textbuf_printf(out,
		       "# Rampart's hardening policy for %s, the namespace of its UDP sockets: the\n"
		       "# interface is in a tenant namespace, with the rest of the policy there.\n",
		       r.ifname);
	nftpolicy_render_delete(out, r.ifname);
	textbuf_printf(out, "table inet %s {\n", r.table);
	if (handshake_meter(&r))
		textbuf_printf(out, "\tcounter " NFTPOLICY_COUNTER_HANDSHAKE_FLOOD " {}\n");
	textbuf_printf(out, "\tcounter " NFTPOLICY_COUNTER_WIREGUARD " {}\n\n");
	if (handshake_meter(&r)) {
		emit_dynamic_set(&r, "handshake4", AF_INET);
		emit_dynamic_set(&r, "handshake6", AF_INET6);
	}
	/* policy accept: this namespace's other traffic is its own
	 * firewall's business, not this interface's. */
	textbuf_printf(out,
		       "\tchain input {\n"
		       "\t\ttype filter hook input priority filter; policy accept;\n");
	emit_wireguard(&r);
	textbuf_printf(out, "\t}\n}\n");
}

void nftpolicy_render(struct textbuf *out, const struct conf *conf, const struct policy *pol,
		      const struct nftpolicy_facts *facts)
{
	struct render r = { .o = out, .conf = conf, .pol = pol, .f = facts, .ifname = facts->ifname };

	nftpolicy_table_name(r.table, sizeof(r.table), facts->ifname);
	textbuf_printf(out,
		       "# Rampart's hardening policy for %s: role %s (%s).\n"
		       "# Written by rampart; the next apply replaces this table as a whole.\n",
		       r.ifname, policykeys_role_name(pol->role), pol->role_reason);
	nftpolicy_render_delete(out, r.ifname);
	textbuf_printf(out, "table inet %s {\n", r.table);
	emit_counters(&r);
	emit_sets(&r);
	emit_prerouting(&r);
	emit_input(&r);
	emit_forward(&r);
	emit_postrouting(&r);
	emit_output(&r);
	/* The last section ends with a blank line: drop it. */
	if (!out->err && out->len >= 2 && !memcmp(out->buf + out->len - 2, "\n\n", 2))
		out->buf[--out->len] = '\0';
	textbuf_printf(out, "}\n");
}
