/* What the live ruleset does with one packet: nftables' own evaluation
 * (base chains by priority, rules in order, jump, goto, return, a drop
 * final, an accept final only for its chain), over the few expressions
 * the audit's packets can be told apart by: interfaces, layer 4 protocol
 * and destination port, addresses, conntrack state.  Anything else is
 * "not known" and keeps a rule from applying: see audit_pkt in ruleset.h
 * for why that is the right answer to "is this open to anyone". */
#include "ruleset.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tri { NO, YES, UNKNOWN };

enum outcome { NEXT, ACCEPT, DROP, RETURN };

enum { MAX_DEPTH = 16 };

struct walk {
	const struct audit_ruleset *rs;
	const struct audit_pkt *p;
	const struct audit_nft_chain *chain; /* what decided */
	const struct audit_nft_rule *rule;
};

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static enum tri tri_not(enum tri t)
{
	return t == UNKNOWN ? UNKNOWN : t == YES ? NO : YES;
}

/* --- values against a rule's right-hand side ------------------------------ */

/* A value of the packet the right-hand side is compared with. */
struct value {
	enum { V_NAME, V_PORT, V_ADDR } kind;
	const char *name;
	uint16_t port;
	const struct netaddr *addr;
};

/* An interface name against a pattern: nft's "eth*" matches a prefix. */
static bool name_matches(const char *pat, const char *name)
{
	size_t n = strlen(pat);

	if (n && pat[n - 1] == '*')
		return !strncmp(pat, name, n - 1);
	return !strcmp(pat, name);
}

static enum tri addr_in_prefix(const struct netaddr *a, const char *s, int len)
{
	struct netaddr_prefix outer, inner;
	const char *why;

	if (!netaddr_parse_ip(&outer.addr, s, &why))
		return UNKNOWN;
	if (outer.addr.family != a->family)
		return NO;
	outer.cidr = (uint8_t)(len < 0 ? (a->family == AF_INET ? 32 : 128) : len);
	inner.addr = *a;
	inner.cidr = a->family == AF_INET ? 32 : 128;
	netaddr_prefix_mask(&outer);
	return netaddr_prefix_contains(&outer, &inner) ? YES : NO;
}

static enum tri elem_matches(const struct walk *w, const struct audit_nft_chain *c,
			     json_t *r, const struct value *v, int depth);

/* An element of an anonymous or named set, or the right-hand side
 * itself: a literal, a prefix, a range, a set. */
static enum tri set_matches(const struct walk *w, const struct audit_nft_chain *c, json_t *arr,
			    const struct value *v, int depth)
{
	enum tri res = NO;
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e) {
		enum tri t = elem_matches(w, c, e, v, depth + 1);

		if (t == YES)
			return YES;
		if (t == UNKNOWN)
			res = UNKNOWN;
	}
	return res;
}

static enum tri range_matches(json_t *rg, const struct value *v)
{
	json_t *lo = json_array_get(rg, 0), *hi = json_array_get(rg, 1);

	if (v->kind != V_PORT || !json_is_integer(lo) || !json_is_integer(hi))
		return UNKNOWN;
	return v->port >= json_integer_value(lo) && v->port <= json_integer_value(hi) ? YES : NO;
}

static enum tri elem_matches(const struct walk *w, const struct audit_nft_chain *c,
			     json_t *r, const struct value *v, int depth)
{
	json_t *x;

	if (depth > MAX_DEPTH)
		return UNKNOWN;
	if (json_is_string(r)) {
		const char *s = json_string_value(r);

		if (s[0] == '@') {
			const struct audit_nft_set *set = audit_ruleset_set(w->rs, c->family, c->table,
									    s + 1);

			return set && !set->is_map ? set_matches(w, c, set->elem, v, depth) : UNKNOWN;
		}
		if (v->kind == V_NAME)
			return name_matches(s, v->name) ? YES : NO;
		if (v->kind == V_ADDR)
			return addr_in_prefix(v->addr, s, -1);
		return UNKNOWN; /* a service name for a port */
	}
	if (json_is_integer(r))
		return v->kind == V_PORT ? (json_integer_value(r) == v->port ? YES : NO) : UNKNOWN;
	if (json_is_array(r))
		return set_matches(w, c, r, v, depth);
	if ((x = json_object_get(r, "set")))
		return json_is_array(x) ? set_matches(w, c, x, v, depth) : elem_matches(w, c, x, v, depth + 1);
	if ((x = json_object_get(r, "range")))
		return range_matches(x, v);
	if ((x = json_object_get(r, "prefix"))) {
		json_t *a = json_object_get(x, "addr"), *l = json_object_get(x, "len");

		if (v->kind != V_ADDR || !json_is_string(a) || !json_is_integer(l))
			return UNKNOWN;
		return addr_in_prefix(v->addr, json_string_value(a), (int)json_integer_value(l));
	}
	if ((x = json_object_get(r, "elem")))
		return elem_matches(w, c, json_object_get(x, "val"), v, depth + 1);
	return UNKNOWN;
}

static enum tri compare(const struct walk *w, const struct audit_nft_chain *c, const char *op,
			json_t *right, const struct value *v)
{
	enum tri t = elem_matches(w, c, right, v, 0);

	if (same(op, "==") || same(op, "in"))
		return t;
	if (same(op, "!="))
		return tri_not(t);
	return UNKNOWN;
}

/* --- the left-hand sides the audit knows ---------------------------------- */

/* "ct state" of the first packet of a connection: new. */
static enum tri ct_state(const char *op, json_t *right)
{
	enum tri t = NO;
	size_t i;
	json_t *e;

	if (json_is_string(right)) {
		t = same(json_string_value(right), "new") ? YES : NO;
	} else if (json_is_array(right)) {
		json_array_foreach(right, i, e)
			if (same(json_string_value(e), "new"))
				t = YES;
	} else {
		return UNKNOWN;
	}
	if (same(op, "==") || same(op, "in"))
		return t;
	return same(op, "!=") ? tri_not(t) : UNKNOWN;
}

static const char *l4_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "ipv6-icmp";
	default: return "";
	}
}

static enum tri meta(const struct walk *w, const struct audit_nft_chain *c, const char *key,
		     const char *op, json_t *right)
{
	const struct audit_pkt *p = w->p;
	struct value v = { .kind = V_NAME };

	if (same(key, "iifname") || same(key, "iif"))
		v.name = p->iif;
	else if (same(key, "oifname") || same(key, "oif"))
		v.name = p->oif;
	else if (same(key, "nfproto"))
		v.name = p->ipv4 ? "ipv4" : "ipv6";
	else if (same(key, "l4proto"))
		v.name = l4_name(p->l4proto);
	if (!v.name)
		return UNKNOWN;
	/* A protocol by number compares as one. */
	if (same(key, "l4proto") && json_is_integer(right))
		return compare(w, c, op, right, &(struct value){ .kind = V_PORT, .port = p->l4proto });
	return compare(w, c, op, right, &v);
}

/* A payload field: its protocol first (a tcp field on a udp packet does
 * not match: nft adds that dependency itself), then the field. */
static enum tri payload(const struct walk *w, const struct audit_nft_chain *c, json_t *pl,
			const char *op, json_t *right)
{
	const struct audit_pkt *p = w->p;
	const char *proto = json_string_value(json_object_get(pl, "protocol"));
	const char *field = json_string_value(json_object_get(pl, "field"));
	const struct netaddr *addr = NULL;

	if (!proto || !field)
		return UNKNOWN; /* raw payload: @th,64,32 */
	if (same(proto, "ip") || same(proto, "ip6")) {
		if (same(proto, "ip") != p->ipv4)
			return NO;
		if (same(field, "saddr") && !p->any_source && p->saddr.family)
			addr = &p->saddr;
		else if (same(field, "daddr") && p->daddr.family)
			addr = &p->daddr;
		return addr ? compare(w, c, op, right, &(struct value){ .kind = V_ADDR, .addr = addr })
			    : UNKNOWN;
	}
	if (same(proto, "tcp") || same(proto, "udp")) {
		if (!same(proto, l4_name(p->l4proto)))
			return NO;
	} else if (same(proto, "th")) {
		if (p->l4proto != IPPROTO_TCP && p->l4proto != IPPROTO_UDP)
			return NO;
	} else if (same(proto, "icmp") || same(proto, "icmpv6")) {
		return p->l4proto == (same(proto, "icmp") ? IPPROTO_ICMP : IPPROTO_ICMPV6) ? UNKNOWN
											   : NO;
	} else {
		return UNKNOWN;
	}
	if (!same(field, "dport"))
		return UNKNOWN;
	return compare(w, c, op, right, &(struct value){ .kind = V_PORT, .port = p->dport });
}

static enum tri match(const struct walk *w, const struct audit_nft_chain *c, json_t *m)
{
	json_t *left = json_object_get(m, "left"), *right = json_object_get(m, "right"), *x;
	const char *op = json_string_value(json_object_get(m, "op"));

	if ((x = json_object_get(left, "meta")))
		return meta(w, c, json_string_value(json_object_get(x, "key")), op, right);
	if ((x = json_object_get(left, "payload")))
		return payload(w, c, x, op, right);
	if ((x = json_object_get(left, "ct")) &&
	    same(json_string_value(json_object_get(x, "key")), "state"))
		return ct_state(op, right);
	return UNKNOWN;
}

/* --- rules and chains ----------------------------------------------------- */

/* A rate limit lets a single new packet through: "limit rate N" matches
 * it, "limit rate over N" does not; inside a set update or a meter too. */
static bool limit_stops(json_t *stmt)
{
	json_t *x, *inner;
	size_t i;

	if ((x = json_object_get(stmt, "limit")) || (x = json_object_get(stmt, "quota")))
		return json_is_true(json_object_get(x, "inv"));
	if ((x = json_object_get(stmt, "set")) || (x = json_object_get(stmt, "meter"))) {
		inner = json_object_get(x, "stmt");
		if (json_is_object(inner))
			return limit_stops(inner);
		json_array_foreach(inner, i, x)
			if (limit_stops(x))
				return true;
	}
	return false;
}

static enum outcome run_chain(struct walk *w, const struct audit_nft_chain *c, int depth);

static enum outcome jump(struct walk *w, const struct audit_nft_chain *c, json_t *target,
			 int depth)
{
	const struct audit_nft_chain *to = audit_ruleset_chain(
		w->rs, c->family, c->table, json_string_value(json_object_get(target, "target")));

	if (!to || depth >= MAX_DEPTH)
		return DROP;
	return run_chain(w, to, depth + 1);
}

/* One rule: NEXT when it does not apply or ends without a verdict. */
static enum outcome run_rule(struct walk *w, const struct audit_nft_chain *c,
			     const struct audit_nft_rule *r, int depth, bool *is_goto)
{
	size_t i;
	json_t *e, *x;

	json_array_foreach(r->expr, i, e) {
		enum outcome o;

		if ((x = json_object_get(e, "match"))) {
			if (match(w, c, x) != YES)
				return NEXT;
			continue;
		}
		/* An iptables-nft match (multiport, recent, ...) is a match
		 * the audit cannot read: it keeps the rule from applying. */
		if (limit_stops(e) ||
		    ((x = json_object_get(e, "xt")) &&
		     same(json_string_value(json_object_get(x, "type")), "match")))
			return NEXT;
		if (json_object_get(e, "accept"))
			return ACCEPT;
		if (json_object_get(e, "drop") || json_object_get(e, "reject"))
			return DROP;
		if (json_object_get(e, "return"))
			return RETURN;
		if ((x = json_object_get(e, "jump")) || (x = json_object_get(e, "goto"))) {
			*is_goto = json_object_get(e, "goto") != NULL;
			o = jump(w, c, x, depth);
			if (o != RETURN || *is_goto)
				return o;
			/* Back from a jump: the rule's remaining statements
			 * are not run; the chain goes on with its next rule. */
			return NEXT;
		}
	}
	return NEXT;
}

static enum outcome run_chain(struct walk *w, const struct audit_nft_chain *c, int depth)
{
	for (size_t i = 0; i < c->n_rules; i++) {
		bool is_goto = false;
		enum outcome o = run_rule(w, c, &c->rules[i], depth, &is_goto);

		if (o == NEXT)
			continue;
		if ((o == ACCEPT || o == DROP) && !w->rule) {
			w->chain = c;
			w->rule = &c->rules[i];
		}
		/* A goto's RETURN returns from this chain as well. */
		return o;
	}
	return RETURN;
}

static int cmp_prio(const void *a, const void *b)
{
	const struct audit_nft_chain *x = *(const struct audit_nft_chain *const *)a;
	const struct audit_nft_chain *y = *(const struct audit_nft_chain *const *)b;

	return (x->prio > y->prio) - (x->prio < y->prio);
}

void audit_ruleset_verdict(const struct audit_ruleset *rs, const char *hook,
			   const struct audit_pkt *p, struct audit_verdict *v)
{
	const struct audit_nft_chain **base = calloc(rs->n_chains ? rs->n_chains : 1,
						     sizeof(*base));
	size_t n = 0;

	memset(v, 0, sizeof(*v));
	v->accept = true;
	if (!base) {
		/* Out of memory: say nothing is known to filter. */
		return;
	}
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct audit_nft_chain *c = &rs->chains[i];

		if (audit_chain_on_hook(c, hook, p->ipv4) &&
		    (same(c->type, "filter") || same(c->type, "route")))
			base[n++] = c;
	}
	/* qsort is not stable, but chains of one priority in different
	 * tables run in an order nft does not promise either. */
	qsort(base, n, sizeof(*base), cmp_prio);
	for (size_t i = 0; i < n; i++) {
		struct walk w = { .rs = rs, .p = p };
		enum outcome o = run_chain(&w, base[i], 0);

		if (o == RETURN)
			o = same(base[i]->policy, "drop") ? DROP : ACCEPT;
		v->chain = w.chain ? w.chain : base[i];
		v->rule = w.rule;
		if (o == DROP) {
			v->accept = false;
			break;
		}
	}
	free(base);
}

const char *audit_verdict_where(const struct audit_verdict *v, const char *hook, char *buf,
				size_t size)
{
	const struct audit_nft_chain *c = v->chain;

	if (!c)
		snprintf(buf, size, "no %s chain filters it", hook);
	else if (!v->rule)
		snprintf(buf, size, "%s %s %s policy %s", c->family, c->table, c->name, c->policy);
	else
		snprintf(buf, size, "%s %s %s rule handle %lld%s%s%s", c->family, c->table, c->name,
			 v->rule->handle, v->rule->comment ? " (\"" : "",
			 v->rule->comment ? v->rule->comment : "", v->rule->comment ? "\")" : "");
	return buf;
}
