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

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

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

#endif
