#include "quick.h"

#include "conf/config.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* --- routes --------------------------------------------------------------- */

struct sort_entry {
	struct quick_route r;
	char text[NETADDR_PREFIX_STRLEN];
};

/* `sort -nr -k 2 -t /`: the prefix length, numerically, descending; ties
 * fall to sort's last-resort comparison of whole lines, which -r also
 * reverses. */
static int by_wg_quick_order(const void *pa, const void *pb)
{
	const struct sort_entry *a = pa, *b = pb;

	if (a->r.prefix.cidr != b->r.prefix.cidr)
		return a->r.prefix.cidr > b->r.prefix.cidr ? -1 : 1;
	return -strcmp(a->text, b->text);
}

int quick_plan_routes(const struct conf *conf, const struct conf *file,
		      struct quick_route **out, size_t *n)
{
	struct sort_entry *v = NULL;
	struct quick_route *routes;
	size_t cap = 0, total = 0, count = 0;
	bool own_table;

	*out = NULL;
	*n = 0;
	if (file->has_table && file->table.kind == CONF_TABLE_OFF)
		return 0;
	own_table = file->has_table && file->table.kind != CONF_TABLE_AUTO;
	for (size_t i = 0; i < conf->n_peers; i++)
		cap += conf->peers[i].n_allowed_ips;
	if (!cap)
		return 0;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct conf_peer *peer = &conf->peers[i];

		for (size_t j = 0; j < peer->n_allowed_ips; j++) {
			struct netaddr_prefix p = peer->allowed_ips[j].prefix;

			netaddr_prefix_mask(&p);
			v[total].r.prefix = p;
			if (own_table)
				v[total].r.kind = QUICK_ROUTE_TABLE;
			else if (!p.cidr)
				v[total].r.kind = QUICK_ROUTE_DEFAULT;
			else
				v[total].r.kind = QUICK_ROUTE_MAIN;
			netaddr_format_prefix(v[total].text, &p);
			total++;
		}
	}
	/* Sorted, a repeated prefix is next to itself. */
	qsort(v, total, sizeof(*v), by_wg_quick_order);
	for (size_t i = 0; i < total; i++)
		if (!count || strcmp(v[i].text, v[count - 1].text))
			v[count++] = v[i];
	routes = calloc(count, sizeof(*routes));
	if (!routes) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++)
		routes[i] = v[i].r;
	free(v);
	*out = routes;
	*n = count;
	return 0;
}

uint32_t quick_first_free_table(const uint32_t *used, size_t n)
{
	uint32_t t = QUICK_TABLE_FIRST;
	bool taken;

	/* n rounds at most: each taken table is one of the n. */
	do {
		taken = false;
		for (size_t i = 0; i < n && !taken; i++)
			taken = used[i] == t;
		if (taken)
			t++;
	} while (taken);
	return t;
}

size_t quick_default_rules(int family, uint32_t table, struct netlink_rule out[2])
{
	memset(out, 0, 2 * sizeof(*out));
	out[0].family = family;
	out[0].table = table;
	out[0].invert = true;
	out[0].has_fwmark = true;
	out[0].fwmark = table;
	out[0].suppress_prefixlength = -1;
	out[1].family = family;
	out[1].table = NETLINK_TABLE_MAIN;
	out[1].suppress_prefixlength = 0;
	return 2;
}

bool quick_rule_matches(const struct netlink_rule *r, const struct netlink_rule *tmpl)
{
	return !r->other_selectors && r->family == tmpl->family &&
	       r->table == tmpl->table && r->invert == tmpl->invert &&
	       r->has_fwmark == tmpl->has_fwmark &&
	       (!r->has_fwmark || r->fwmark == tmpl->fwmark) &&
	       r->suppress_prefixlength == tmpl->suppress_prefixlength;
}

bool quick_rt_table_lookup(const char *text, const char *name, uint32_t *id)
{
	static const struct { const char *name; uint32_t id; } builtin[] = {
		{ "unspec", 0 }, { "default", 253 }, { "main", 254 }, { "local", 255 },
	};
	const char *line = text;

	for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
		if (!strcmp(name, builtin[i].name)) {
			*id = builtin[i].id;
			return true;
		}
	}
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char buf[256], word[256];
		unsigned long v;
		char *p;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			p = buf + strspn(buf, " \t");
			if (*p >= '0' && *p <= '9') {
				errno = 0;
				v = strtoul(p, &p, 0);
				if (!errno && v <= UINT32_MAX &&
				    sscanf(p, " %255[^ \t#]", word) == 1 && !strcmp(word, name)) {
					*id = (uint32_t)v;
					return true;
				}
			}
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* --- MTU ------------------------------------------------------------------ */

uint32_t quick_mtu_auto(const uint32_t *endpoint_mtus, size_t n, uint32_t default_route_mtu)
{
	uint32_t mtu = 0;

	for (size_t i = 0; i < n; i++)
		if (endpoint_mtus[i] > mtu)
			mtu = endpoint_mtus[i];
	if (!mtu)
		mtu = default_route_mtu;
	if (!mtu)
		mtu = QUICK_MTU_FALLBACK;
	/* wg-quick would hand ip(8) a negative number; 0 makes the caller's
	 * "ip link set mtu" fail with a message naming it. */
	return mtu > QUICK_MTU_OVERHEAD ? mtu - QUICK_MTU_OVERHEAD : 0;
}

/* --- hooks and DNS -------------------------------------------------------- */

char *quick_hook_expand(const char *cmd, const char *ifname)
{
	size_t ilen = strlen(ifname), n = 0, len = 0;
	const char *p;
	char *out, *o;

	for (p = cmd; (p = strstr(p, "%i")); p += 2)
		n++;
	len = strlen(cmd) - 2 * n + ilen * n;
	out = malloc(len + 1);
	if (!out)
		return NULL;
	for (p = cmd, o = out; *p;) {
		if (p[0] == '%' && p[1] == 'i') {
			memcpy(o, ifname, ilen);
			o += ilen;
			p += 2;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

void quick_resolvconf_prefix(const char *text, char *out, size_t size)
{
	const char *line = text;

	if (size)
		out[0] = '\0';
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line), i;

		/* read -r trims IFS whitespace at both ends. */
		while (len && strchr(" \t", *line)) {
			line++;
			len--;
		}
		while (len && strchr(" \t\r", line[len - 1]))
			len--;
		for (i = 0; i < len; i++) {
			char c = line[i];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-'))
				break;
		}
		if (i && i + 1 == len && line[i] == '*') {
			snprintf(out, size, "%.*s.", (int)i, line);
			return;
		}
		line = end ? end + 1 : NULL;
	}
}

bool quick_dns_input(const struct conf *conf, struct textbuf *out)
{
	char buf[NETADDR_IP_STRLEN];
	bool any = false, search = false;

	for (size_t i = 0; i < conf->n_dns; i++) {
		if (conf->dns[i].kind != CONF_DNS_SERVER)
			continue;
		textbuf_printf(out, "nameserver %s\n", netaddr_format_ip(buf, &conf->dns[i].server));
		any = true;
	}
	if (!any)
		return false;
	for (size_t i = 0; i < conf->n_dns; i++) {
		if (conf->dns[i].kind != CONF_DNS_SEARCH)
			continue;
		textbuf_printf(out, "%s%s", search ? " " : "search ", conf->dns[i].domain);
		search = true;
	}
	if (search)
		textbuf_printf(out, "\n");
	return true;
}

/* --- nftables ------------------------------------------------------------- */

void quick_nft_table_name(char *buf, size_t size, const char *ifname)
{
	snprintf(buf, size, "wg-quick-%s", ifname);
}

static const char *nft_family(int family)
{
	return family == AF_INET ? "ip" : "ip6";
}

void quick_nft_render(struct textbuf *o, int family, const char *ifname, uint32_t table,
		      const struct netaddr *addrs, size_t n)
{
	const char *pf = nft_family(family);
	char t[CONF_IFNAME_MAX + 16], ip[NETADDR_IP_STRLEN];

	quick_nft_table_name(t, sizeof(t), ifname);
	textbuf_printf(o, "create table %s %s\n", pf, t);
	textbuf_printf(o, "add chain %s %s preraw { type filter hook prerouting priority -300; }\n", pf, t);
	textbuf_printf(o, "add chain %s %s premangle { type filter hook prerouting priority -150; }\n", pf, t);
	textbuf_printf(o, "add chain %s %s postmangle { type filter hook postrouting priority -150; }\n", pf, t);
	for (size_t i = 0; i < n; i++) {
		if (addrs[i].family != family)
			continue;
		textbuf_printf(o, "add rule %s %s preraw iifname != \"%s\" %s daddr %s fib saddr type != local drop\n",
			       pf, t, ifname, pf, netaddr_format_ip(ip, &addrs[i]));
	}
	textbuf_printf(o, "add rule %s %s postmangle meta l4proto udp mark %u ct mark set mark \n",
		       pf, t, table);
	textbuf_printf(o, "add rule %s %s premangle meta l4proto udp meta mark set ct mark \n", pf, t);
}

void quick_nft_render_delete(struct textbuf *o, int family, const char *ifname)
{
	char t[CONF_IFNAME_MAX + 16];

	quick_nft_table_name(t, sizeof(t), ifname);
	textbuf_printf(o, "add table %s %s\ndelete table %s %s\n", nft_family(family), t,
		       nft_family(family), t);
}

void quick_nft_parse_tables(const char *list, const char *ifname, bool found[2])
{
	char want[2][CONF_IFNAME_MAX + 32], t[CONF_IFNAME_MAX + 16];
	const char *line = list;

	found[0] = found[1] = false;
	quick_nft_table_name(t, sizeof(t), ifname);
	snprintf(want[0], sizeof(want[0]), "table ip %s", t);
	snprintf(want[1], sizeof(want[1]), "table ip6 %s", t);
	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		while (len && strchr(" \t\r", line[len - 1]))
			len--;
		for (int f = 0; f < 2; f++)
			if (len == strlen(want[f]) && !memcmp(line, want[f], len))
				found[f] = true;
		line = end ? end + 1 : NULL;
	}
}

/* --- SaveConfig ----------------------------------------------------------- */

static bool in_file(const struct conf *file, const struct netaddr_prefix *p)
{
	for (size_t i = 0; i < file->n_addresses; i++)
		if (netaddr_prefix_equal(&file->addresses[i].prefix, p))
			return true;
	return false;
}

int quick_save_merge(struct conf *running, const struct conf *file,
		     const struct netaddr_prefix *addrs, size_t n_addrs,
		     uint32_t link_mtu, uint32_t auto_fwmark)
{
	int ret;

	for (size_t i = 0; i < n_addrs; i++) {
		const struct netaddr_prefix *p = &addrs[i];

		if (p->addr.family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&p->addr.in6) &&
		    !in_file(file, p))
			continue;
		ret = conf_add_address(running, p, 0);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < file->n_dns; i++) {
		struct conf_dns d = file->dns[i];

		d.line = 0;
		ret = conf_add_dns(running, &d);
		if (ret)
			return ret;
	}
	if (file->has_mtu) {
		running->has_mtu = true;
		running->mtu = link_mtu ? link_mtu : file->mtu;
	}
	running->has_table = file->has_table;
	running->table = file->table;
	for (unsigned k = 0; k < CONF_HOOK_COUNT; k++) {
		for (size_t i = 0; i < file->hooks[k].n; i++) {
			ret = conf_add_hook(running, (enum conf_hook_kind)k,
					    file->hooks[k].v[i].cmd, 0);
			if (ret)
				return ret;
		}
	}
	running->has_save_config = file->has_save_config;
	running->save_config = file->save_config;
	memcpy(running->netns, file->netns, sizeof(file->netns));
	/* What only the file says: the Rampart-only keys (the policy) and,
	 * for each peer the file has, its name and its own keys. */
	ret = conf_copy_ext(running, file);
	for (size_t i = 0; i < running->n_peers && !ret; i++) {
		const struct conf_peer *fp = conf_find_peer(file, running->peers[i].public_key);

		if (!fp)
			continue;
		memcpy(running->peers[i].name, fp->name, sizeof(fp->name));
		ret = conf_peer_copy_ext(&running->peers[i], fp);
	}
	if (ret)
		return ret;
	if (auto_fwmark && running->fwmark == auto_fwmark &&
	    !(file->has_fwmark && file->fwmark == auto_fwmark)) {
		running->has_fwmark = file->has_fwmark;
		running->fwmark = file->has_fwmark ? file->fwmark : 0;
	}
	return 0;
}

/* --- state ---------------------------------------------------------------- */

void quick_state_uninit(struct quick_state *s)
{
	free(s->addresses);
	free(s->routes);
	memset(s, 0, sizeof(*s));
}

bool quick_state_empty(const struct quick_state *s)
{
	return !s->ifindex && !s->n_rules && !s->nft[0] && !s->nft[1] && !s->dns[0] && !s->uplink;
}

static int grow(void **v, size_t n, size_t size)
{
	void *nv;

	/* Grows by one; the lists are short (one entry per address or
	 * route).  CONF_LIST_MAX bounds them as it bounds the config. */
	if (n >= CONF_LIST_MAX)
		return -E2BIG;
	nv = reallocarray(*v, n + 1, size);
	if (!nv)
		return -ENOMEM;
	*v = nv;
	return 0;
}

int quick_state_add_address(struct quick_state *s, const struct netaddr_prefix *p)
{
	int ret = grow((void **)&s->addresses, s->n_addresses, sizeof(*s->addresses));

	if (ret)
		return ret;
	s->addresses[s->n_addresses++] = *p;
	return 0;
}

int quick_state_add_route(struct quick_state *s, const struct netaddr_prefix *p,
			  uint32_t table)
{
	int ret = grow((void **)&s->routes, s->n_routes, sizeof(*s->routes));

	if (ret)
		return ret;
	s->routes[s->n_routes].prefix = *p;
	s->routes[s->n_routes++].table = table;
	return 0;
}

int quick_state_add_rule(struct quick_state *s, const struct netlink_rule *r)
{
	if (s->n_rules >= QUICK_RULES_MAX)
		return -E2BIG;
	s->rules[s->n_rules] = *r;
	s->rules[s->n_rules++].other_selectors = false;
	return 0;
}

void quick_state_del_rule(struct quick_state *s, size_t i)
{
	if (i >= s->n_rules)
		return;
	memmove(&s->rules[i], &s->rules[i + 1], (s->n_rules - i - 1) * sizeof(s->rules[0]));
	s->n_rules--;
}

static const char *family_word(int family)
{
	return family == AF_INET ? "ipv4" : "ipv6";
}

static bool dns_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= QUICK_DNS_IFACE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!conf_ifname_char(s[i]))
			return false;
	return true;
}

char *quick_state_format(const struct quick_state *s, size_t *len)
{
	struct textbuf o = { 0 };
	char buf[NETADDR_PREFIX_STRLEN];

	if (!conf_valid_ifname(s->ifname) || strchr(s->config, '\n') ||
	    (s->dns[0] && !dns_name_ok(s->dns)) || (s->netns[0] && !conf_valid_netns(s->netns))) {
		errno = EINVAL;
		return NULL;
	}
	textbuf_printf(&o, "# rampart up: what it did to bring %s up; rampart down undoes it.\n",
		       s->ifname);
	textbuf_printf(&o, "version %d\n", QUICK_STATE_VERSION);
	textbuf_printf(&o, "interface %s %u\n", s->ifname, s->ifindex);
	if (s->config[0])
		textbuf_printf(&o, "config %s\n", s->config);
	if (s->fwmark)
		textbuf_printf(&o, "fwmark %u\n", s->fwmark);
	for (size_t i = 0; i < s->n_addresses; i++)
		textbuf_printf(&o, "address %s\n", netaddr_format_prefix(buf, &s->addresses[i]));
	for (size_t i = 0; i < s->n_routes; i++)
		textbuf_printf(&o, "route %s %u\n", netaddr_format_prefix(buf, &s->routes[i].prefix),
			       s->routes[i].table);
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct netlink_rule *r = &s->rules[i];

		textbuf_printf(&o, "rule %s %u%s", family_word(r->family), r->priority,
			       r->invert ? " not" : "");
		if (r->has_fwmark)
			textbuf_printf(&o, " fwmark %u", r->fwmark);
		textbuf_printf(&o, " table %u", r->table);
		if (r->suppress_prefixlength >= 0)
			textbuf_printf(&o, " suppress_prefixlength %d", r->suppress_prefixlength);
		textbuf_printf(&o, "\n");
	}
	if (s->nft[0])
		textbuf_printf(&o, "nft ip\n");
	if (s->nft[1])
		textbuf_printf(&o, "nft ip6\n");
	if (s->dns[0])
		textbuf_printf(&o, "dns %s\n", s->dns);
	if (s->netns[0])
		textbuf_printf(&o, "netns %s%s\n", s->netns, s->moved ? " moved" : "");
	if (s->uplink)
		textbuf_printf(&o, "uplink\n");
	if (o.err) {
		textbuf_wipe(&o);
		errno = ENOMEM;
		return NULL;
	}
	if (len)
		*len = o.len;
	return o.buf;
}

struct sparse {
	unsigned line;
	struct error *err;
};

static int __attribute__((format(printf, 2, 3)))
sfail(struct sparse *p, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return error_fail(p->err, -EINVAL, "line %u: %s", p->line, msg);
}

static bool u32_word(const char *w, uint32_t *out)
{
	const char *why;

	return w && netaddr_parse_u32(out, w, UINT32_MAX, &why);
}

static int parse_rule_words(struct sparse *p, char **w, size_t n, struct netlink_rule *r)
{
	size_t i = 2;
	bool has_table = false;

	memset(r, 0, sizeof(*r));
	r->suppress_prefixlength = -1;
	if (n < 2)
		return sfail(p, "rule: expected \"rule FAMILY PRIORITY ...\"");
	if (!strcmp(w[0], "ipv4"))
		r->family = AF_INET;
	else if (!strcmp(w[0], "ipv6"))
		r->family = AF_INET6;
	else
		return sfail(p, "rule: unknown family \"%s\"", w[0]);
	if (!u32_word(w[1], &r->priority) || !r->priority)
		return sfail(p, "rule: bad priority \"%s\"", w[1]);
	while (i < n) {
		uint32_t v;

		if (!strcmp(w[i], "not")) {
			r->invert = true;
			i++;
		} else if (!strcmp(w[i], "fwmark") && i + 1 < n && u32_word(w[i + 1], &v)) {
			r->has_fwmark = true;
			r->fwmark = v;
			i += 2;
		} else if (!strcmp(w[i], "table") && i + 1 < n && u32_word(w[i + 1], &v)) {
			r->table = v;
			has_table = true;
			i += 2;
		} else if (!strcmp(w[i], "suppress_prefixlength") && i + 1 < n &&
			   u32_word(w[i + 1], &v) && v <= 128) {
			r->suppress_prefixlength = (int)v;
			i += 2;
		} else {
			return sfail(p, "rule: unexpected \"%s\"", w[i]);
		}
	}
	if (!has_table)
		return sfail(p, "rule: no table");
	return 0;
}

static int parse_state_line(struct sparse *p, char *line, const char *raw,
			    struct quick_state *s, bool *seen_version, bool *seen_iface)
{
	char *w[16], *save = NULL, *t;
	size_t n = 0;
	const char *why;
	struct netaddr_prefix pfx;
	uint32_t v;
	int ret;

	for (t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == ARRAY_SIZE(w))
			return sfail(p, "too many words");
		w[n++] = t;
	}
	if (!n)
		return 0;
	if (!*seen_version) {
		if (n != 2 || strcmp(w[0], "version"))
			return sfail(p, "expected \"version %d\"", QUICK_STATE_VERSION);
		if (!u32_word(w[1], &v) || v != QUICK_STATE_VERSION)
			return sfail(p, "unsupported version \"%s\"", w[1]);
		*seen_version = true;
		return 0;
	}
	if (!strcmp(w[0], "interface") && n == 3) {
		if (!conf_valid_ifname(w[1]))
			return sfail(p, "interface: bad name");
		if (!u32_word(w[2], &v))
			return sfail(p, "interface: bad index \"%s\"", w[2]);
		snprintf(s->ifname, sizeof(s->ifname), "%s", w[1]);
		s->ifindex = v;
		*seen_iface = true;
	} else if (!strcmp(w[0], "config") && n >= 2) {
		/* The rest of the line, spaces included. */
		const char *path = raw + strspn(raw, " \t");

		path += strlen("config");
		path += strspn(path, " \t");
		if (strlen(path) >= sizeof(s->config))
			return sfail(p, "config: path too long");
		snprintf(s->config, sizeof(s->config), "%s", path);
	} else if (!strcmp(w[0], "fwmark") && n == 2) {
		if (!u32_word(w[1], &s->fwmark))
			return sfail(p, "fwmark: bad value \"%s\"", w[1]);
	} else if (!strcmp(w[0], "address") && n == 2) {
		if (!netaddr_parse_prefix(&pfx, w[1], &why))
			return sfail(p, "address \"%s\": %s", w[1], why);
		ret = quick_state_add_address(s, &pfx);
		if (ret)
			return ret;
	} else if (!strcmp(w[0], "route") && n == 3) {
		if (!netaddr_parse_prefix(&pfx, w[1], &why))
			return sfail(p, "route \"%s\": %s", w[1], why);
		if (!u32_word(w[2], &v))
			return sfail(p, "route: bad table \"%s\"", w[2]);
		ret = quick_state_add_route(s, &pfx, v);
		if (ret)
			return ret;
	} else if (!strcmp(w[0], "rule")) {
		struct netlink_rule r;

		ret = parse_rule_words(p, w + 1, n - 1, &r);
		if (ret)
			return ret;
		if (quick_state_add_rule(s, &r))
			return sfail(p, "more than %d rules", QUICK_RULES_MAX);
	} else if (!strcmp(w[0], "nft") && n == 2) {
		if (!strcmp(w[1], "ip"))
			s->nft[0] = true;
		else if (!strcmp(w[1], "ip6"))
			s->nft[1] = true;
		else
			return sfail(p, "nft: unknown family \"%s\"", w[1]);
	} else if (!strcmp(w[0], "dns") && n == 2) {
		if (!dns_name_ok(w[1]))
			return sfail(p, "dns: bad interface name");
		snprintf(s->dns, sizeof(s->dns), "%s", w[1]);
	} else if (!strcmp(w[0], "netns") && (n == 2 || (n == 3 && !strcmp(w[2], "moved")))) {
		if (!conf_valid_netns(w[1]))
			return sfail(p, "netns: bad namespace name");
		snprintf(s->netns, sizeof(s->netns), "%s", w[1]);
		s->moved = n == 3;
	} else if (!strcmp(w[0], "uplink") && n == 1) {
		s->uplink = true;
	} else {
		return sfail(p, "unknown or malformed entry \"%s\"", w[0]);
	}
	return 0;
}

int quick_state_parse(const char *buf, size_t len, struct quick_state *s,
		      struct error *err)
{
	struct sparse p = { 0, err };
	bool seen_version = false, seen_iface = false;
	char line[CONF_PATH_MAX + 64], raw[CONF_PATH_MAX + 64];
	size_t pos = 0;
	int ret = 0;

	memset(s, 0, sizeof(*s));
	if (err)
		error_clear(err);
	if (len > QUICK_STATE_FILE_MAX)
		return sfail(&p, "larger than %d bytes", QUICK_STATE_FILE_MAX);
	while (pos < len && !ret) {
		const char *l = buf + pos, *nl = memchr(l, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - l) : len - pos;

		pos += n + (nl ? 1 : 0);
		p.line++;
		if (n >= sizeof(line)) {
			ret = sfail(&p, "line too long");
			break;
		}
		if (memchr(l, '\0', n)) {
			ret = sfail(&p, "NUL byte");
			break;
		}
		memcpy(line, l, n);
		line[n] = '\0';
		if (line[strspn(line, " \t")] == '#')
			continue;
		memcpy(raw, line, n + 1);
		ret = parse_state_line(&p, line, raw, s, &seen_version, &seen_iface);
	}
	if (!ret && !seen_version)
		ret = sfail(&p, "no \"version\" line");
	if (!ret && !seen_iface)
		ret = sfail(&p, "no \"interface\" line");
	if (ret == -ENOMEM || ret == -E2BIG)
		error_fail(err, ret, "line %u: %s", p.line, strerror(-ret));
	if (ret)
		quick_state_uninit(s);
	return ret;
}
