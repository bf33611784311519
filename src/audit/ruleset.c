/* nft's JSON listing into chains, rules and sets.  A listing is one
 * object {"nftables": [ {"metainfo": ...}, {"table": ...}, {"chain": ...},
 * {"rule": ...}, {"set": ...}, ... ]}; rules name their chain, which
 * comes before them. */
#include "ruleset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int nomem(struct error *err)
{
	return error_fail(err, -ENOMEM, "out of memory");
}

static int add_chain(struct audit_ruleset *rs, json_t *o, size_t *cap, struct error *err)
{
	struct audit_nft_chain *c;

	if (!str(o, "family") || !str(o, "table") || !str(o, "name"))
		return error_fail(err, -EINVAL, "nftables ruleset: a chain without family, table or name");
	if (rs->n_chains == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct audit_nft_chain *nv = realloc(rs->chains, ncap * sizeof(*nv));

		if (!nv)
			return nomem(err);
		rs->chains = nv;
		*cap = ncap;
	}
	c = &rs->chains[rs->n_chains++];
	memset(c, 0, sizeof(*c));
	c->family = str(o, "family");
	c->table = str(o, "table");
	c->name = str(o, "name");
	c->type = str(o, "type");
	c->hook = str(o, "hook");
	c->prio = (int)json_integer_value(json_object_get(o, "prio"));
	c->policy = c->hook ? (str(o, "policy") ? str(o, "policy") : "accept") : NULL;
	return 0;
}

static int add_rule(struct audit_ruleset *rs, json_t *o, struct error *err)
{
	struct audit_nft_chain *c = (struct audit_nft_chain *)audit_ruleset_chain(
		rs, str(o, "family"), str(o, "table"), str(o, "chain"));
	struct audit_nft_rule *nv;

	if (!c)
		return error_fail(err, -EINVAL, "nftables ruleset: a rule of an unknown chain \"%s\"",
				  str(o, "chain") ? str(o, "chain") : "");
	/* Rules are few per chain: grow by one. */
	nv = realloc(c->rules, (c->n_rules + 1) * sizeof(*nv));
	if (!nv)
		return nomem(err);
	c->rules = nv;
	nv[c->n_rules].expr = json_object_get(o, "expr");
	nv[c->n_rules].handle = json_integer_value(json_object_get(o, "handle"));
	nv[c->n_rules].comment = str(o, "comment");
	c->n_rules++;
	return 0;
}

static int add_set(struct audit_ruleset *rs, json_t *o, bool is_map, struct error *err)
{
	struct audit_nft_set *nv = realloc(rs->sets, (rs->n_sets + 1) * sizeof(*nv));

	if (!nv)
		return nomem(err);
	rs->sets = nv;
	nv[rs->n_sets].family = str(o, "family");
	nv[rs->n_sets].table = str(o, "table");
	nv[rs->n_sets].name = str(o, "name");
	nv[rs->n_sets].elem = json_object_get(o, "elem");
	nv[rs->n_sets].is_map = is_map;
	rs->n_sets++;
	return 0;
}

static int walk(struct audit_ruleset *rs, json_t *list, struct error *err)
{
	size_t i, cap = 0;
	json_t *item;
	int ret = 0;

	json_array_foreach(list, i, item) {
		json_t *o;

		if ((o = json_object_get(item, "chain")))
			ret = add_chain(rs, o, &cap, err);
		else if ((o = json_object_get(item, "rule")))
			ret = add_rule(rs, o, err);
		else if ((o = json_object_get(item, "set")))
			ret = add_set(rs, o, false, err);
		else if ((o = json_object_get(item, "map")))
			ret = add_set(rs, o, true, err);
		if (ret)
			return ret;
	}
	return 0;
}

int audit_ruleset_parse(const char *text, size_t len, struct audit_ruleset **out,
			struct error *err)
{
	struct audit_ruleset *rs = calloc(1, sizeof(*rs));
	json_error_t je;
	json_t *list;
	int ret;

	*out = NULL;
	if (!rs)
		return nomem(err);
	if (!len) {
		*out = rs;
		return 0;
	}
	rs->root = json_loadb(text, len, 0, &je);
	if (!rs->root) {
		free(rs);
		return error_fail(err, -EINVAL, "nftables ruleset: not JSON at byte %d: %s",
				  je.position, je.text);
	}
	list = json_object_get(rs->root, "nftables");
	if (!json_is_array(list)) {
		audit_ruleset_free(rs);
		return error_fail(err, -EINVAL, "nftables ruleset: no \"nftables\" array");
	}
	ret = walk(rs, list, err);
	if (ret) {
		audit_ruleset_free(rs);
		return ret;
	}
	*out = rs;
	return 0;
}

void audit_ruleset_free(struct audit_ruleset *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n_chains; i++)
		free(rs->chains[i].rules);
	free(rs->chains);
	free(rs->sets);
	json_decref(rs->root);
	free(rs);
}

const struct audit_nft_chain *audit_ruleset_chain(const struct audit_ruleset *rs,
						  const char *family, const char *table,
						  const char *name)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const struct audit_nft_chain *c = &rs->chains[i];

		if (same(c->family, family) && same(c->table, table) && same(c->name, name))
			return c;
	}
	return NULL;
}

const struct audit_nft_set *audit_ruleset_set(const struct audit_ruleset *rs,
					      const char *family, const char *table,
					      const char *name)
{
	for (size_t i = 0; i < rs->n_sets; i++) {
		const struct audit_nft_set *s = &rs->sets[i];

		if (same(s->family, family) && same(s->table, table) && same(s->name, name))
			return s;
	}
	return NULL;
}

bool audit_chain_on_hook(const struct audit_nft_chain *c, const char *hook, bool ipv4)
{
	if (!same(c->hook, hook))
		return false;
	if (same(c->family, "inet"))
		return true;
	return ipv4 ? same(c->family, "ip") : same(c->family, "ip6");
}
