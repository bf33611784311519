/* The live nftables ruleset as the audit reads it: nft's JSON listing
 * (libnftables-json(5)) parsed with Jansson into its chains, each with
 * its rules in order, and its named sets.  The rules' expressions stay
 * Jansson values: the checks look for the statements they care about
 * (a policy, a masquerade, a limit, a verdict for a port) themselves.
 * Pure: no I/O; the facts (facts.h) hand it the text. */
#ifndef RAMPART_AUDIT_RULESET_H
#define RAMPART_AUDIT_RULESET_H

#include "common/compiler.h"
#include "common/error.h"
#include "common/netaddr.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit_nft_rule {
	json_t *expr;            /* the rule's "expr" array (borrowed) */
	long long handle;
	const char *comment;     /* NULL when none */
};

struct audit_nft_chain {
	const char *family, *table, *name;
	/* Base chains only; NULL (prio 0) for a regular chain. */
	const char *type;        /* "filter", "nat", "route" */
	const char *hook;        /* "input", "forward", "output", "prerouting", ... */
	int prio;
	const char *policy;      /* "accept" or "drop"; "accept" when nft omits it */
	struct audit_nft_rule *rules;
	size_t n_rules;
};

struct audit_nft_set {
	const char *family, *table, *name;
	json_t *elem;            /* the "elem" array, NULL when empty (borrowed) */
	bool is_map;
};

struct audit_ruleset {
	json_t *root;
	struct audit_nft_chain *chains;  /* in the listing's order */
	size_t n_chains;
	struct audit_nft_set *sets;
	size_t n_sets;
};

/* 0, or -EINVAL naming what in the text is not nft's JSON listing (the
 * byte offset Jansson gives), or -ENOMEM.  "" is an empty ruleset. */
int audit_ruleset_parse(const char *text, size_t len, struct audit_ruleset **out,
			struct error *err) warn_unused;
void audit_ruleset_free(struct audit_ruleset *rs);

/* The chain or set by family, table and name; NULL when absent. */
const struct audit_nft_chain *audit_ruleset_chain(const struct audit_ruleset *rs,
						  const char *family, const char *table,
						  const char *name);
const struct audit_nft_set *audit_ruleset_set(const struct audit_ruleset *rs,
					      const char *family, const char *table,
					      const char *name);
/* True when the chain is a base chain on hook ("input", ...) seeing
 * packets of IPv4 (ipv4) or IPv6 (!ipv4): tables of family ip/ip6 for
 * one of them, inet for both. */
bool audit_chain_on_hook(const struct audit_nft_chain *c, const char *hook, bool ipv4);

/* --- what the ruleset does with a packet (verdict.c) ----------------------- */

/* The packet a check asks about: the first of a new connection (conntrack
 * state "new").  What is not known is not matched: a rule that asks for
 * something the packet leaves open (a source when any_source, a mark, a
 * fib lookup, raw payload bytes, a rate) does not apply to it.  So the
 * verdict answers "would an arbitrary such packet pass", which is what an
 * exposure check wants: a rule that accepts only some sources or only
 * below a rate does not make a port open to all. */
struct audit_pkt {
	bool ipv4;
	const char *iif, *oif;      /* interface names; NULL: not known */
	bool any_source;            /* saddr is "any address": not matched */
	struct netaddr saddr, daddr; /* family 0: not known */
	uint8_t l4proto;            /* IPPROTO_TCP, IPPROTO_UDP, ... */
	uint16_t dport;
};

struct audit_verdict {
	bool accept;
	/* What decided: the rule (NULL: its chain's policy) of the chain
	 * that dropped it, or else of the last base chain that accepted it;
	 * chain NULL when no base chain is on the hook (nothing filters). */
	const struct audit_nft_chain *chain;
	const struct audit_nft_rule *rule;
};

/* The packet through every filter base chain on hook ("input",
 * "forward", "output") of its family, in priority order: dropped (or
 * rejected) by one, it is dropped; accepted by all, it passes.  Jumps and
 * gotos are followed (at most 16 deep: deeper is taken as a drop, nft
 * refuses such rulesets anyway). */
void audit_ruleset_verdict(const struct audit_ruleset *rs, const char *hook,
			   const struct audit_pkt *p, struct audit_verdict *v);
/* "inet rampart-wg0 input rule 12 (\"WireGuard\")", "inet t input policy
 * drop", "no input chain": the verdict's evidence, into buf. */
const char *audit_verdict_where(const struct audit_verdict *v, const char *hook, char *buf,
				size_t size);

#endif
