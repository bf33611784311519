#include "policykeys.h"

#include "common/array.h"
#include "common/textbuf.h"
#include "conf/wgconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *policykeys_role_name(enum policy_role role)
{
	switch (role) {
	case POLICY_ROLE_HUB:
		return "hub";
	case POLICY_ROLE_CLIENT:
		return "client";
	case POLICY_ROLE_SITE:
		return "site";
	case POLICY_ROLE_AUTO:
		break;
	}
	return "auto";
}

/* --- field parsers ---------------------------------------------------------- */

bool policykeys_parse_bool(bool *out, const char *s, const char **why)
{
	static const char *const yes[] = { "on", "true", "yes" };
	static const char *const no[] = { "off", "false", "no" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	*why = "neither on nor off";
	return false;
}

bool policykeys_parse_role(enum policy_role *out, const char *s, const char **why)
{
	static const enum policy_role roles[] = { POLICY_ROLE_HUB, POLICY_ROLE_CLIENT, POLICY_ROLE_SITE };

	for (size_t i = 0; i < ARRAY_SIZE(roles); i++) {
		if (!strcasecmp(s, policykeys_role_name(roles[i]))) {
			*out = roles[i];
			return true;
		}
	}
	*why = "not hub, client or site";
	return false;
}

static const char *const rate_units[] = {
	[POLICY_RATE_SECOND] = "second",
	[POLICY_RATE_MINUTE] = "minute",
	[POLICY_RATE_HOUR] = "hour",
	[POLICY_RATE_DAY] = "day",
};

bool policykeys_parse_rate(struct policy_rate *out, const char *s, const char **why)
{
	const char *slash = strchr(s, '/');
	char num[16];
	uint32_t n;

	if (!strcasecmp(s, "off")) {
		out->count = 0;
		out->unit = POLICY_RATE_SECOND;
		return true;
	}
	if (!slash || (size_t)(slash - s) >= sizeof(num)) {
		*why = "not COUNT/UNIT (such as 20/second) or off";
		return false;
	}
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (!netaddr_parse_u32(&n, num, POLICY_RATE_MAX, why))
		return false;
	if (!n) {
		*why = "a rate of 0: write off";
		return false;
	}
	for (size_t u = 0; u < ARRAY_SIZE(rate_units); u++) {
		if (!strcasecmp(slash + 1, rate_units[u])) {
			out->count = n;
			out->unit = (enum policy_rate_unit)u;
			return true;
		}
	}
	*why = "unit is not second, minute, hour or day";
	return false;
}

static bool parse_port(uint16_t *out, const char *s, const char **why)
{
	if (!netaddr_parse_port(out, s, why))
		return false;
	if (!*out) {
		*why = "port 0";
		return false;
	}
	return true;
}

bool policykeys_parse_ports(struct policy_ports *out, const char *s, const char **why)
{
	const char *slash = strchr(s, '/');
	size_t plen = slash ? (size_t)(slash - s) : strlen(s);
	struct policy_ports p = { 0 };
	char lo[8], *dash;

	if (plen == 3 && !strncasecmp(s, "tcp", 3))
		p.proto = IPPROTO_TCP;
	else if (plen == 3 && !strncasecmp(s, "udp", 3))
		p.proto = IPPROTO_UDP;
	else {
		*why = "protocol is not tcp or udp";
		return false;
	}
	if (slash) {
		if (strlen(slash + 1) >= sizeof(lo) * 2) {
			*why = "not PORT or PORT-PORT";
			return false;
		}
		snprintf(lo, sizeof(lo), "%.*s", (int)strcspn(slash + 1, "-"), slash + 1);
		dash = strchr(slash + 1, '-');
		if (strcspn(slash + 1, "-") >= sizeof(lo)) {
			*why = "not PORT or PORT-PORT";
			return false;
		}
		if (!parse_port(&p.lo, lo, why) ||
		    !parse_port(&p.hi, dash ? dash + 1 : lo, why))
			return false;
		if (p.hi < p.lo) {
			*why = "range ends before it starts";
			return false;
		}
	}
	*out = p;
	return true;
}

bool policykeys_parse_ifname(char out[16], const char *s, const char **why)
{
	size_t n = strlen(s);

	if (!n || n > 15) {
		*why = "not 1 to 15 characters";
		return false;
	}
	if (!strcmp(s, ".") || !strcmp(s, "..") || strpbrk(s, "/: \t\n\v\f\r")) {
		*why = "not a valid interface name";
		return false;
	}
	memcpy(out, s, n + 1);
	return true;
}

void policykeys_format_rate(char *buf, size_t size, const struct policy_rate *r)
{
	if (!r->count)
		snprintf(buf, size, "off");
	else
		snprintf(buf, size, "%u/%s", r->count,
			 r->unit < ARRAY_SIZE(rate_units) ? rate_units[r->unit] : "?");
}

void policykeys_format_ports(char *buf, size_t size, const struct policy_ports *p)
{
	const char *proto = p->proto == IPPROTO_TCP ? "tcp" :
			    p->proto == IPPROTO_UDP ? "udp" : "";

	if (!p->proto || !p->lo)
		snprintf(buf, size, "%s", proto);
	else if (p->lo == p->hi)
		snprintf(buf, size, "%s/%u", proto, p->lo);
	else
		snprintf(buf, size, "%s/%u-%u", proto, p->lo, p->hi);
}

/* --- resolution --------------------------------------------------------------- */

/* --- the model on every conf -------------------------------------------------- */

int policykeys_prefix_list_add(struct policy_prefix_list *l, const struct netaddr_prefix *p,
			       unsigned line)
{
	int ret = array_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v), CONF_LIST_MAX);

	if (ret)
		return ret;
	l->v[l->n].prefix = *p;
	l->v[l->n++].line = line;
	return 0;
}

int policykeys_add_service(struct policy_keys *pol, const struct policy_ports *ports,
			   unsigned line)
{
	int ret = array_grow((void **)&pol->services.v, &pol->services.cap, pol->services.n,
			     sizeof(*pol->services.v), CONF_LIST_MAX);

	if (ret)
		return ret;
	pol->services.v[pol->services.n].ports = *ports;
	pol->services.v[pol->services.n++].line = line;
	return 0;
}

int policykeys_add_forward(struct policy_peer_keys *pp, const struct netaddr_prefix *dst,
			   const struct policy_ports *ports, unsigned line)
{
	int ret = array_grow((void **)&pp->forwards.v, &pp->forwards.cap, pp->forwards.n,
			     sizeof(*pp->forwards.v), CONF_LIST_MAX);

	if (ret)
		return ret;
	pp->forwards.v[pp->forwards.n].dst = *dst;
	pp->forwards.v[pp->forwards.n].ports = *ports;
	pp->forwards.v[pp->forwards.n++].line = line;
	return 0;
}

static bool flag_equal(const struct policy_flag *a, const struct policy_flag *b)
{
	return a->set == b->set && (!a->set || a->on == b->on);
}

static bool number_equal(const struct policy_number *a, const struct policy_number *b)
{
	return a->set == b->set && (!a->set || a->value == b->value);
}

static bool rate_equal(const struct policy_rate_setting *a, const struct policy_rate_setting *b)
{
	return a->set == b->set &&
	       (!a->set || (a->rate.count == b->rate.count &&
			    (!a->rate.count || a->rate.unit == b->rate.unit)));
}

static bool ports_equal(const struct policy_ports *a, const struct policy_ports *b)
{
	return a->proto == b->proto && a->lo == b->lo && a->hi == b->hi;
}

static bool list_equal(const struct policy_prefix_list *a, const struct policy_prefix_list *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!netaddr_prefix_equal(&a->v[i].prefix, &b->v[i].prefix))
			return false;
	return true;
}

static bool policy_equal(const void *va, const void *vb)
{
	const struct policy_keys *a = va, *b = vb;

	if (!flag_equal(&a->enabled, &b->enabled) || a->role != b->role ||
	    !number_equal(&a->ssh_port, &b->ssh_port))
		return false;
	if (a->has_ssh_from != b->has_ssh_from ||
	    (a->has_ssh_from && (a->ssh_from_tunnel != b->ssh_from_tunnel ||
				 a->ssh_from_any != b->ssh_from_any ||
				 !list_equal(&a->ssh_from, &b->ssh_from))))
		return false;
	if (!rate_equal(&a->ssh_limit, &b->ssh_limit) || a->services.n != b->services.n)
		return false;
	for (size_t i = 0; i < a->services.n; i++)
		if (!ports_equal(&a->services.v[i].ports, &b->services.v[i].ports))
			return false;
	if (!flag_equal(&a->isolation, &b->isolation) || a->has_wan != b->has_wan ||
	    (a->has_wan && strcmp(a->wan, b->wan)))
		return false;
	return rate_equal(&a->handshake_limit, &b->handshake_limit) &&
	       number_equal(&a->handshake_burst, &b->handshake_burst) &&
	       flag_equal(&a->log_drops, &b->log_drops) &&
	       rate_equal(&a->log_rate, &b->log_rate) &&
	       flag_equal(&a->kill_switch, &b->kill_switch) &&
	       list_equal(&a->kill_switch_allow, &b->kill_switch_allow) &&
	       list_equal(&a->local_networks, &b->local_networks) &&
	       flag_equal(&a->mss_clamp, &b->mss_clamp);
}

static bool peer_policy_equal(const void *va, const void *vb)
{
	const struct policy_peer_keys *a = va, *b = vb;

	if (a->forwards.n != b->forwards.n || !flag_equal(&a->egress, &b->egress))
		return false;
	for (size_t i = 0; i < a->forwards.n; i++)
		if (!netaddr_prefix_equal(&a->forwards.v[i].dst, &b->forwards.v[i].dst) ||
		    !ports_equal(&a->forwards.v[i].ports, &b->forwards.v[i].ports))
			return false;
	return true;
}

static void policy_uninit(void *data)
{
	struct policy_keys *pol = data;

	free(pol->ssh_from.v);
	free(pol->services.v);
	free(pol->kill_switch_allow.v);
	free(pol->local_networks.v);
}

static void peer_policy_uninit(void *data)
{
	struct policy_peer_keys *pp = data;

	free(pp->forwards.v);
}

/* A copy of n elements of size bytes at src into *dst (NULL for none). */
static int dup_list(void **dst, size_t *cap, const void *src, size_t n, size_t size)
{
	*dst = NULL;
	*cap = 0;
	if (!n)
		return 0;
	*dst = calloc(n, size);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * size);
	*cap = n;
	return 0;
}

#define DUP(dst, src) dup_list((void **)&(dst)->v, &(dst)->cap, (src)->v, (src)->n, sizeof(*(src)->v))

static int policy_copy(void *vdst, const void *vsrc)
{
	struct policy_keys *d = vdst;
	const struct policy_keys *s = vsrc;

	*d = *s;
	/* No list of d may point into s's arrays when a copy fails: uninit
	 * would free them. */
	d->ssh_from.v = NULL;
	d->services.v = NULL;
	d->kill_switch_allow.v = NULL;
	d->local_networks.v = NULL;
	if (DUP(&d->ssh_from, &s->ssh_from) || DUP(&d->services, &s->services) ||
	    DUP(&d->kill_switch_allow, &s->kill_switch_allow))
		goto fail;
	if (DUP(&d->local_networks, &s->local_networks))
		goto fail;
	return 0;
fail:
	return -ENOMEM;
}

static int peer_policy_copy(void *vdst, const void *vsrc)
{
	struct policy_peer_keys *d = vdst;
	const struct policy_peer_keys *s = vsrc;

	*d = *s;
	d->forwards.v = NULL;
	return DUP(&d->forwards, &s->forwards);
}

static const struct conf_ext_ops ext_ops = {
	.size = sizeof(struct policy_keys),
	.peer_size = sizeof(struct policy_peer_keys),
	.uninit = policy_uninit,
	.peer_uninit = peer_policy_uninit,
	.equal = policy_equal,
	.peer_equal = peer_policy_equal,
	.copy = policy_copy,
	.peer_copy = peer_policy_copy,
};

/* Written once by policykeys_register(), at start-up. */
static int slot = -1;

const struct policy_keys *policykeys_of(const struct conf *conf)
{
	static const struct policy_keys none;
	const struct policy_keys *pol = conf_ext(conf, slot);

	return pol ? pol : &none;
}

const struct policy_peer_keys *policykeys_peer(const struct conf_peer *peer)
{
	static const struct policy_peer_keys none;
	const struct policy_peer_keys *pp = conf_peer_ext(peer, slot);

	return pp ? pp : &none;
}

struct policy_keys *policykeys_of_mut(struct conf *conf)
{
	return conf_ext(conf, slot);
}

struct policy_peer_keys *policykeys_peer_mut(struct conf_peer *peer)
{
	return conf_peer_ext(peer, slot);
}

/* --- the keys on the parser ----------------------------------------------------- */

/* --- the policy's setters ---------------------------------------------------
 *
 * Rampart-only keys (policy.h; docs/firewall.md).  Scalar settings
 * are located by k->arg, their offset in struct policy_keys, so that one
 * setter and one printer serve every key of a kind.  Lists accumulate
 * over repeated lines, like AllowedIPs. */

#define POLICY_FIELD(type, p, k) \
	((type *)((char *)policykeys_of_mut(wgconf_ctx_conf(p)) + (k)->arg))
#define POLICY_CFIELD(type, c, k) ((const type *)((const char *)policykeys_of(c) + (k)->arg))

static int set_policy_flag(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_flag *f = POLICY_FIELD(struct policy_flag, p, k);
	const char *why;
	bool on;

	if (!policykeys_parse_bool(&on, value, &why))
		return wgconf_fail_value(p, "switch", value, why);
	f->set = true;
	f->on = on;
	f->line = wgconf_ctx_line(p);
	return 0;
}

static int set_policy_rate(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_rate_setting *r = POLICY_FIELD(struct policy_rate_setting, p, k);
	struct policy_rate rate;
	const char *why;

	if (!policykeys_parse_rate(&rate, value, &why))
		return wgconf_fail_value(p, "rate", value, why);
	r->set = true;
	r->rate = rate;
	r->line = wgconf_ctx_line(p);
	return 0;
}

static int set_policy_port(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_number *n = POLICY_FIELD(struct policy_number, p, k);
	uint16_t port;
	const char *why;

	if (!netaddr_parse_port(&port, value, &why))
		return wgconf_fail_value(p, "port", value, why);
	if (!port)
		return wgconf_fail_value(p, "port", value, "port 0");
	n->set = true;
	n->value = port;
	n->line = wgconf_ctx_line(p);
	return 0;
}

static int set_policy_burst(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_number *n = POLICY_FIELD(struct policy_number, p, k);
	uint32_t v;
	const char *why;

	if (!netaddr_parse_u32(&v, value, POLICY_HANDSHAKE_BURST_MAX, &why))
		return wgconf_fail_value(p, "burst", value, why);
	if (!v)
		return wgconf_fail_value(p, "burst", value, "a burst of 0 packets");
	n->set = true;
	n->value = v;
	n->line = wgconf_ctx_line(p);
	return 0;
}

static int set_policy_prefixes(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_prefix_list *l = POLICY_FIELD(struct policy_prefix_list, p, k);
	struct netaddr_prefix pfx;
	const char *why;
	char *w;
	int ret;

	while ((w = wgconf_next_word(&value))) {
		if (!netaddr_parse_prefix(&pfx, w, &why))
			return wgconf_fail_value(p, "prefix", w, why);
		ret = policykeys_prefix_list_add(l, &pfx, wgconf_ctx_line(p));
		if (ret)
			return wgconf_fail_errno(p, ret);
	}
	return 0;
}

/* [Interface] Policy = on|off. */
static int set_policy_enabled(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	return set_policy_flag(p, k, value);
}

static int set_role(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	const char *why;

	(void)k;
	struct policy_keys *pol = policykeys_of_mut(wgconf_ctx_conf(p));

	if (!policykeys_parse_role(&pol->role, value, &why))
		return wgconf_fail_value(p, "role", value, why);
	pol->role_line = wgconf_ctx_line(p);
	return 0;
}

/* SSHFrom = tunnel | any | none | PREFIX, ...: words and prefixes mix,
 * except "none", which stands alone. */
static int set_ssh_from(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_keys *pol = policykeys_of_mut(wgconf_ctx_conf(p));
	struct netaddr_prefix pfx;
	size_t words = 0;
	bool none = false;
	const char *why;
	char *w, *whole;
	int ret = 0;

	(void)k;
	/* The words are cut out of value in place; keep it whole for the
	 * message about "none". */
	whole = strdup(value);
	if (!whole)
		return wgconf_fail_errno(p, -ENOMEM);
	while (!ret && (w = wgconf_next_word(&value))) {
		words++;
		if (!strcasecmp(w, "tunnel"))
			pol->ssh_from_tunnel = true;
		else if (!strcasecmp(w, "any"))
			pol->ssh_from_any = true;
		else if (!strcasecmp(w, "none"))
			none = true;
		else if (!netaddr_parse_prefix(&pfx, w, &why))
			ret = wgconf_fail_value(p, "source", w,
						"not tunnel, any, none or an address or prefix");
		else if ((ret = policykeys_prefix_list_add(&pol->ssh_from, &pfx,
							   wgconf_ctx_line(p))))
			ret = wgconf_fail_errno(p, ret);
	}
	if (!ret && none && words > 1)
		ret = wgconf_fail_value(p, "list", whole,
					"\"none\" cannot be combined with sources");
	free(whole);
	if (ret)
		return ret;
	if (!pol->has_ssh_from)
		pol->ssh_from_line = wgconf_ctx_line(p);
	pol->has_ssh_from = true;
	return 0;
}

static int set_services(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_ports ports;
	const char *why;
	char *w;
	int ret;

	(void)k;
	while ((w = wgconf_next_word(&value))) {
		if (!policykeys_parse_ports(&ports, w, &why))
			return wgconf_fail_value(p, "service", w, why);
		ret = policykeys_add_service(policykeys_of_mut(wgconf_ctx_conf(p)), &ports,
					     wgconf_ctx_line(p));
		if (ret)
			return wgconf_fail_errno(p, ret);
	}
	return 0;
}

static int set_wan(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_keys *pol = policykeys_of_mut(wgconf_ctx_conf(p));
	const char *why;

	(void)k;
	if (!strcasecmp(value, "auto"))
		pol->wan[0] = '\0';
	else if (!policykeys_parse_ifname(pol->wan, value, &why))
		return wgconf_fail_value(p, "interface", value, why);
	pol->has_wan = true;
	pol->wan_line = wgconf_ctx_line(p);
	return 0;
}

/* Forward = PREFIX [PROTO[/PORTS]], ...  Items are separated by commas;
 * within an item, the destination and the ports by spaces. */
static int set_forward(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_peer_keys *pp = policykeys_peer_mut(wgconf_ctx_peer(p));
	struct netaddr_prefix dst;
	struct policy_ports ports;
	char *item, *cursor = value, *dst_s, *ports_s, *rest;
	const char *why;
	int ret;

	(void)k;
	while ((item = strsep(&cursor, ","))) {
		item = wgconf_trim(item);
		if (!*item)
			continue;
		dst_s = item;
		ports_s = item + strcspn(item, " \t");
		if (*ports_s)
			*ports_s++ = '\0';
		ports_s = wgconf_trim(ports_s);
		rest = ports_s + strcspn(ports_s, " \t");
		if (*rest)
			return wgconf_fail_value(p, "forward", wgconf_trim(rest),
					  "one destination and at most one PROTO/PORTS per item; "
					  "separate items with commas");
		if (!netaddr_parse_prefix(&dst, dst_s, &why))
			return wgconf_fail_value(p, "destination", dst_s, why);
		memset(&ports, 0, sizeof(ports));
		if (*ports_s && !policykeys_parse_ports(&ports, ports_s, &why))
			return wgconf_fail_value(p, "ports", ports_s, why);
		ret = policykeys_add_forward(pp, &dst, &ports, wgconf_ctx_line(p));
		if (ret)
			return wgconf_fail_errno(p, ret);
	}
	return 0;
}

static int set_egress(struct wgconf_ctx *p, const struct wgconf_key *k, char *value)
{
	struct policy_peer_keys *pp = policykeys_peer_mut(wgconf_ctx_peer(p));
	const char *why;
	bool on;

	(void)k;
	if (!policykeys_parse_bool(&on, value, &why))
		return wgconf_fail_value(p, "switch", value, why);
	pp->egress.set = true;
	pp->egress.on = on;
	pp->egress.line = wgconf_ctx_line(p);
	return 0;
}

/* --- the policy's printers ------------------------------------------------ */

static void print_policy_flag(struct textbuf *o, const struct wgconf_key *k,
			      const struct conf *c, size_t idx)
{
	const struct policy_flag *f = POLICY_CFIELD(struct policy_flag, c, k);

	(void)idx;
	if (f->set)
		textbuf_printf(o, "%s = %s\n", k->name, f->on ? "on" : "off");
}

static void print_policy_rate(struct textbuf *o, const struct wgconf_key *k,
			      const struct conf *c, size_t idx)
{
	const struct policy_rate_setting *r = POLICY_CFIELD(struct policy_rate_setting, c, k);
	char buf[32];

	(void)idx;
	if (!r->set)
		return;
	policykeys_format_rate(buf, sizeof(buf), &r->rate);
	textbuf_printf(o, "%s = %s\n", k->name, buf);
}

static void print_policy_number(struct textbuf *o, const struct wgconf_key *k,
				const struct conf *c, size_t idx)
{
	const struct policy_number *n = POLICY_CFIELD(struct policy_number, c, k);

	(void)idx;
	if (n->set)
		textbuf_printf(o, "%s = %u\n", k->name, n->value);
}

static void print_policy_prefixes(struct textbuf *o, const struct wgconf_key *k,
				  const struct conf *c, size_t idx)
{
	const struct policy_prefix_list *l = POLICY_CFIELD(struct policy_prefix_list, c, k);

	(void)idx;
	wgconf_print_prefixes(o, k->name, l->v, l->n);
}

static void print_role(struct textbuf *o, const struct wgconf_key *k,
		       const struct conf *c, size_t idx)
{
	enum policy_role role = policykeys_of(c)->role;

	(void)idx;
	if (role != POLICY_ROLE_AUTO)
		textbuf_printf(o, "%s = %s\n", k->name, policykeys_role_name(role));
}

static void print_ssh_from(struct textbuf *o, const struct wgconf_key *k,
			   const struct conf *c, size_t idx)
{
	const struct policy_keys *pol = policykeys_of(c);
	char buf[NETADDR_PREFIX_STRLEN];
	const char *sep = "";

	(void)idx;
	if (!pol->has_ssh_from)
		return;
	textbuf_printf(o, "%s = ", k->name);
	if (pol->ssh_from_tunnel) {
		textbuf_printf(o, "tunnel");
		sep = ", ";
	}
	if (pol->ssh_from_any) {
		textbuf_printf(o, "%sany", sep);
		sep = ", ";
	}
	for (size_t i = 0; i < pol->ssh_from.n; i++) {
		textbuf_printf(o, "%s%s", sep, netaddr_format_prefix(buf, &pol->ssh_from.v[i].prefix));
		sep = ", ";
	}
	textbuf_printf(o, "%s\n", *sep ? "" : "none");
}

static void print_services(struct textbuf *o, const struct wgconf_key *k,
			   const struct conf *c, size_t idx)
{
	const struct policy_keys *pol = policykeys_of(c);
	char buf[32];

	(void)idx;
	if (!pol->services.n)
		return;
	textbuf_printf(o, "%s = ", k->name);
	for (size_t i = 0; i < pol->services.n; i++) {
		policykeys_format_ports(buf, sizeof(buf), &pol->services.v[i].ports);
		textbuf_printf(o, "%s%s", i ? ", " : "", buf);
	}
	textbuf_printf(o, "\n");
}

static void print_wan(struct textbuf *o, const struct wgconf_key *k,
		      const struct conf *c, size_t idx)
{
	const struct policy_keys *pol = policykeys_of(c);

	(void)idx;
	if (pol->has_wan)
		textbuf_printf(o, "%s = %s\n", k->name, pol->wan[0] ? pol->wan : "auto");
}

static void print_forward(struct textbuf *o, const struct wgconf_key *k,
			  const struct conf *c, size_t idx)
{
	const struct policy_peer_keys *peer = policykeys_peer(&c->peers[idx]);
	char dst[NETADDR_PREFIX_STRLEN], ports[32];

	if (!peer->forwards.n)
		return;
	textbuf_printf(o, "%s = ", k->name);
	for (size_t i = 0; i < peer->forwards.n; i++) {
		policykeys_format_ports(ports, sizeof(ports), &peer->forwards.v[i].ports);
		textbuf_printf(o, "%s%s%s%s", i ? ", " : "",
			       netaddr_format_prefix(dst, &peer->forwards.v[i].dst),
			       ports[0] ? " " : "", ports);
	}
	textbuf_printf(o, "\n");
}

static void print_egress(struct textbuf *o, const struct wgconf_key *k,
			 const struct conf *c, size_t idx)
{
	const struct policy_peer_keys *peer = policykeys_peer(&c->peers[idx]);

	if (peer->egress.set)
		textbuf_printf(o, "%s = %s\n", k->name, peer->egress.on ? "on" : "off");
}

static int begin_policy(struct wgconf_ctx *p)
{
	/* Repeated [Policy] sections merge, like [Interface]. */
	struct policy_keys *pol = policykeys_of_mut(wgconf_ctx_conf(p));

	if (!pol->line)
		pol->line = wgconf_ctx_line(p);
	return 0;
}

/* The printer writes [Policy] when the file had one or sets any of its
 * keys (a conf built in code). */
static size_t count_policy(const struct conf *conf)
{
	const struct policy_keys *pol = policykeys_of(conf);

	return pol->line || pol->role != POLICY_ROLE_AUTO || pol->ssh_port.set ||
	       pol->has_ssh_from || pol->ssh_limit.set || pol->services.n ||
	       pol->isolation.set || pol->has_wan || pol->handshake_limit.set ||
	       pol->handshake_burst.set || pol->log_drops.set || pol->log_rate.set ||
	       pol->kill_switch.set || pol->kill_switch_allow.n ||
	       pol->local_networks.n || pol->mss_clamp.set;
}

#define POL(field) (int)offsetof(struct policy_keys, field)

/* Print order is table order, after wg(8)'s and wg-quick's keys. */
static const struct wgconf_key keys[] = {
	{ "Interface", "Policy", WGCONF_OWNER_RAMPART, 0, POL(enabled), set_policy_enabled, print_policy_flag },
	{ "Peer", "Forward", WGCONF_OWNER_RAMPART, 0, 0, set_forward, print_forward },
	{ "Peer", "Egress", WGCONF_OWNER_RAMPART, 0, 0, set_egress, print_egress },
	{ "Policy", "Role", WGCONF_OWNER_RAMPART, 0, 0, set_role, print_role },
	{ "Policy", "SSHPort", WGCONF_OWNER_RAMPART, 0, POL(ssh_port), set_policy_port, print_policy_number },
	{ "Policy", "SSHFrom", WGCONF_OWNER_RAMPART, 0, 0, set_ssh_from, print_ssh_from },
	{ "Policy", "SSHLimit", WGCONF_OWNER_RAMPART, 0, POL(ssh_limit), set_policy_rate, print_policy_rate },
	{ "Policy", "Services", WGCONF_OWNER_RAMPART, 0, 0, set_services, print_services },
	{ "Policy", "Isolation", WGCONF_OWNER_RAMPART, 0, POL(isolation), set_policy_flag, print_policy_flag },
	{ "Policy", "WANInterface", WGCONF_OWNER_RAMPART, 0, 0, set_wan, print_wan },
	{ "Policy", "HandshakeLimit", WGCONF_OWNER_RAMPART, 0, POL(handshake_limit), set_policy_rate, print_policy_rate },
	{ "Policy", "HandshakeBurst", WGCONF_OWNER_RAMPART, 0, POL(handshake_burst), set_policy_burst, print_policy_number },
	{ "Policy", "LogDrops", WGCONF_OWNER_RAMPART, 0, POL(log_drops), set_policy_flag, print_policy_flag },
	{ "Policy", "LogRate", WGCONF_OWNER_RAMPART, 0, POL(log_rate), set_policy_rate, print_policy_rate },
	{ "Policy", "KillSwitch", WGCONF_OWNER_RAMPART, 0, POL(kill_switch), set_policy_flag, print_policy_flag },
	{ "Policy", "KillSwitchAllow", WGCONF_OWNER_RAMPART, 0, POL(kill_switch_allow), set_policy_prefixes, print_policy_prefixes },
	{ "Policy", "LocalNetworks", WGCONF_OWNER_RAMPART, 0, POL(local_networks), set_policy_prefixes, print_policy_prefixes },
	{ "Policy", "MSSClamp", WGCONF_OWNER_RAMPART, 0, POL(mss_clamp), set_policy_flag, print_policy_flag },
};

static const struct wgconf_section sections[] = {
	{ "Policy", WGCONF_OWNER_RAMPART, begin_policy, NULL, count_policy },
};

static const struct wgconf_ext wgconf_ext = {
	sections, ARRAY_SIZE(sections), keys, ARRAY_SIZE(keys),
};

int policykeys_register(void)
{
	int ret;

	if (slot >= 0)
		return 0;
	ret = conf_register_ext(&ext_ops);
	if (ret < 0)
		return ret;
	slot = ret;
	return wgconf_register(&wgconf_ext);
}
