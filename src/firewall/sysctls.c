/* The kernel network settings of the hardening policy: the plan (pure),
 * then applying, restoring, reporting and persisting it through the
 * files of sys/sysctl.h, under a root directory given by the caller.
 *
 * How the kernel combines the "all" key of net.ipv4.conf with an
 * interface's own key decides which keys the plan must set
 * (include/linux/inetdevice.h):
 *   rp_filter            the larger of all and the interface
 *   send_redirects       all OR the interface
 *   accept_redirects     all AND the interface on a forwarding interface,
 *                        all OR the interface otherwise
 *   log_martians         all OR the interface
 *   accept_source_route  all AND the interface
 * An interface copies "default" when it is created, so interfaces that
 * exist already keep their own values.  Where "all" alone does not
 * settle the result, the plan also sets the tunnel's and the WAN
 * interface's own keys; other interfaces are not Rampart's business.
 * IPv6 decides accept_redirects on the interface's own key
 * (rt6_do_redirect), so there too the plan sets it per interface; for
 * accept_source_route it takes the smaller of all and the interface. */
#include "sysctls.h"

#include "common/error.h"
#include "common/textbuf.h"
#include "sys/sysctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sysctls_role_name(enum sysctls_role role)
{
	switch (role) {
	case SYSCTLS_ROLE_HUB:
		return "hub";
	case SYSCTLS_ROLE_CLIENT:
		return "client";
	case SYSCTLS_ROLE_SITE:
		return "site";
	}
	return "?";
}

/* --- the plan ---------------------------------------------------------------- */

/* Where each setting comes from: the seed guides' checklists, or the
 * issue itself where the guides are silent. */
#define SRC_FORWARD "seed 002 checklist: IP forwarding only if you route between interfaces"
#define SRC_RPF "seed 000/001: rp_filter against IP spoofing"
#define SRC_REDIRECTS "seed 000/001: disable ICMP redirects"
#define SRC_SYNCOOKIES "seed 000/001: tcp_syncookies against SYN floods"
#define SRC_SOURCE_ROUTE "issue 5: no source routing"
#define SRC_MARTIANS "issue 5: log martians"

/* sysctl(8) writes a '.' inside a key component as '/'. */
static void key_component(char out[SYSCTL_IFNAME_MAX + 1], const char *ifname)
{
	size_t i;

	for (i = 0; ifname[i] && i < SYSCTL_IFNAME_MAX; i++)
		out[i] = ifname[i] == '.' ? '/' : ifname[i];
	out[i] = '\0';
}

static void add(struct sysctls_plan *p, const char *key, const char *value, bool optional,
		const char *reason, const char *source)
{
	struct sysctls_setting *s;

	debug_assert(p->n < SYSCTLS_PLAN_MAX);
	if (p->n >= SYSCTLS_PLAN_MAX)
		return;
	s = &p->s[p->n++];
	snprintf(s->key, sizeof(s->key), "%s", key);
	snprintf(s->value, sizeof(s->value), "%s", value);
	s->optional = optional;
	s->reason = reason;
	s->source = source;
}

/* net.<family>.conf.<name>.<leaf> for each name in names. */
static void add_conf(struct sysctls_plan *p, const char *family, const char *const *names,
		     size_t n, const char *leaf, const char *value, bool optional,
		     const char *reason, const char *source)
{
	char key[SYSCTL_KEY_MAX];

	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "net.%s.conf.%s.%s", family, names[i], leaf);
		add(p, key, value, optional, reason, source);
	}
}

/* Why the role forwards (NULL: it does not); -EINVAL for an unknown
 * role or an invalid interface name. */
static int check_input(const struct sysctls_input *in, const char **fwd_reason, struct error *err)
{
	const char *wan_name = in->wan ? in->wan : "";

	*fwd_reason = NULL;
	switch (in->role) {
	case SYSCTLS_ROLE_HUB:
		*fwd_reason = "a hub relays packets between its peers";
		break;
	case SYSCTLS_ROLE_SITE:
		*fwd_reason = "a site gateway routes between the tunnel and its local networks";
		break;
	case SYSCTLS_ROLE_CLIENT:
		break;
	default:
		return error_fail(err, -EINVAL, "unknown role %d", (int)in->role);
	}
	if (!in->ifname || !sysctl_valid_ifname(in->ifname))
		return error_fail(err, -EINVAL, "invalid tunnel interface name \"%s\"",
			    in->ifname ? in->ifname : "");
	if (*wan_name && !sysctl_valid_ifname(wan_name))
		return error_fail(err, -EINVAL, "invalid WAN interface name \"%s\"", wan_name);
	return 0;
}

static void plan_forwarding(struct sysctls_plan *out, const struct sysctls_input *in,
			    const char *fwd_reason)
{
	/* Forwarding, only where the host routes for the tunnel, and per
	 * family only if the interface carries that family.  A client's
	 * forwarding is left as it is, not forced off: the host may route
	 * for something else (containers, virtual machines, a shared
	 * connection), and what the tunnel may forward is the firewall's
	 * forward chain's decision, not this key's. */
	if (fwd_reason) {
		if (in->ipv4)
			add(out, "net.ipv4.ip_forward", "1", false, fwd_reason, SRC_FORWARD);
		if (in->ipv6)
			add(out, "net.ipv6.conf.all.forwarding", "1", false, fwd_reason,
			    SRC_FORWARD);
	}
}

static void plan_rp_filter(struct sysctls_plan *out, const struct sysctls_input *in,
			   const char *const *names, size_t n_names)
{
	const char *rpf_value, *rpf_reason;

	/* Reverse-path filtering (RFC 3704): strict (1) accepts a packet
	 * only if the route back to its source leaves through the interface
	 * it came in on; loose (2) only if there is a route back at all.
	 *
	 * Loose for a full tunnel.  wg-quick's policy routing sends every
	 * packet without the tunnel's fwmark to a table whose default route
	 * is the tunnel.  The encrypted replies from the endpoint arrive on
	 * the WAN without a mark, so the strict check, looking up the way
	 * back as an unmarked packet would go, finds the tunnel and drops
	 * them.  wg-quick survives strict filtering only through a chain of
	 * helpers: its nftables rules copy the mark from conntrack onto
	 * those replies and src_valid_mark=1 lets the check see it; a host
	 * where any link of that chain is missing loses the tunnel.  Loose
	 * filtering still drops unroutable sources, and the tunnel's own
	 * sources are checked anyway: a peer may only send from its
	 * AllowedIPs (cryptokey routing).
	 *
	 * Loose for a site gateway: it routes for networks behind it, and
	 * with several uplinks, a second router on the LAN or policy routing
	 * the way back to a source is often not the way it came (asymmetric
	 * routing, where RFC 3704 section 2.2 says strict mode drops
	 * legitimate traffic).
	 *
	 * Strict elsewhere.  Since the kernel takes the larger of "all" and
	 * the interface's key, "all" = 1 is not enough where an interface
	 * says 2 (systemd's default for every interface): the tunnel's and
	 * the WAN's own keys are set too. */
	if (in->full_tunnel) {
		rpf_value = "2";
		rpf_reason = "loose reverse-path filter: strict drops the tunnel's replies "
			     "under fwmark policy routing";
	} else if (in->role == SYSCTLS_ROLE_SITE) {
		rpf_value = "2";
		rpf_reason = "loose reverse-path filter: a site gateway's routes are often "
			     "asymmetric";
	} else {
		rpf_value = "1";
		rpf_reason = "strict reverse-path filter: drop packets with spoofed sources";
	}
	add_conf(out, "ipv4", names, n_names, "rp_filter", rpf_value, false, rpf_reason,
		 SRC_RPF);
}

static void plan_redirects(struct sysctls_plan *out, const struct sysctls_input *in,
			   const char *const *names, size_t n_names)
{
	/* ICMP redirects rewrite routes on the word of whoever is on the
	 * path.  Both are an OR of "all" and the interface on a host that
	 * does not forward, so the interfaces' own keys are set too.  A hub
	 * relaying between two peers forwards out of the interface a packet
	 * came in on, which is exactly when the kernel sends a redirect. */
	add_conf(out, "ipv4", names, n_names, "accept_redirects", "0", false,
		 "ignore ICMP redirects: they rewrite routes unauthenticated", SRC_REDIRECTS);
	add_conf(out, "ipv4", names, n_names, "send_redirects", "0", false,
		 "send no ICMP redirects (a hub would send them to the peers it relays for)",
		 SRC_REDIRECTS);
	/* IPv6 keys may be absent when the interface carries no IPv6: the
	 * host may have IPv6 disabled, and then net.ipv6 does not exist. */
	add_conf(out, "ipv6", names, n_names, "accept_redirects", "0", !in->ipv6,
		 "ignore ICMPv6 redirects: they rewrite routes unauthenticated", SRC_REDIRECTS);
}

/* What "all" settles: source routing, SYN cookies, martians. */
static void plan_host(struct sysctls_plan *out, const struct sysctls_input *in,
		      const char *const *names)
{
	/* Source routing: an AND (IPv4) or the smaller value (IPv6) of
	 * "all" and the interface, so "all" settles it.  For IPv6, 0 still
	 * accepts type 2 routing headers (Mobile IPv6); type 0 is gone from
	 * the kernel (RFC 5095). */
	add_conf(out, "ipv4", names, 2, "accept_source_route", "0", false,
		 "drop source-routed packets", SRC_SOURCE_ROUTE);
	add_conf(out, "ipv6", names, 2, "accept_source_route", "0", !in->ipv6,
		 "drop source-routed packets (IPv6: type 2 routing headers only)",
		 SRC_SOURCE_ROUTE);

	add(out, "net.ipv4.tcp_syncookies", "1", false,
	    "answer with SYN cookies when the SYN queue overflows", SRC_SYNCOOKIES);

	/* An OR of "all" and the interface: "all" settles it.  The kernel
	 * rate-limits these messages. */
	add_conf(out, "ipv4", names, 2, "log_martians", "1", false,
		 "log packets with impossible addresses", SRC_MARTIANS);
}

int sysctls_plan(const struct sysctls_input *in, struct sysctls_plan *out,
		 struct error *err)
{
	char tun[SYSCTL_IFNAME_MAX + 1], wan[SYSCTL_IFNAME_MAX + 1];
	const char *names[4] = { "all", "default", tun, wan };
	const char *wan_name = in->wan ? in->wan : "";
	const char *fwd_reason;
	size_t n_names = 3;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = check_input(in, &fwd_reason, err);
	if (ret)
		return ret;
	out->role = in->role;
	snprintf(out->ifname, sizeof(out->ifname), "%s", in->ifname);
	key_component(tun, in->ifname);
	if (*wan_name && strcmp(wan_name, in->ifname)) {
		key_component(wan, wan_name);
		n_names = 4;
	}
	plan_forwarding(out, in, fwd_reason);
	plan_rp_filter(out, in, names, n_names);
	plan_redirects(out, in, names, n_names);
	plan_host(out, in, names);
	return 0;
}

/* Turning IPv4 forwarding on or off makes the kernel rewrite
 * net.ipv4.conf.all.accept_redirects (to the opposite of forwarding,
 * devinet.c's inet_forward_change).  Writing ip_forward here keeps that
 * key as it was, so that apply and restore change exactly the keys they
 * name: otherwise taking forwarding back would silently turn an
 * administrator's accept_redirects = 0 into 1. */
#define KEY_IP_FORWARD "net.ipv4.ip_forward"
#define KEY_ALL_ACCEPT_REDIRECTS "net.ipv4.conf.all.accept_redirects"

static int write_key(const char *root, const char *key, const char *value,
		     struct error *err)
{
	char before[SYSCTL_VALUE_MAX], after[SYSCTL_VALUE_MAX];
	bool keep;
	int ret;

	keep = !strcmp(key, KEY_IP_FORWARD) &&
	       !sysctl_read(root, KEY_ALL_ACCEPT_REDIRECTS, before, NULL);
	ret = sysctl_write(root, key, value, err);
	if (ret || !keep)
		return ret;
	if (sysctl_read(root, KEY_ALL_ACCEPT_REDIRECTS, after, err) ||
	    !strcmp(before, after))
		return 0;
	return sysctl_write(root, KEY_ALL_ACCEPT_REDIRECTS, before, err);
}

/* --- apply and restore ------------------------------------------------------- */

/* sysctls_restore(), which apply also uses to take back a partial apply
 * (the error that stopped it is the one that counts). */
static int undo_changes(const char *root, struct sysctls_applied *done,
			struct error *err);

int sysctls_apply(const char *root, const struct sysctls_plan *plan,
		  struct sysctls_applied *done, struct error *err)
{
	return sysctls_apply_recorded(root, plan, done, NULL, NULL, err);
}

int sysctls_apply_recorded(const char *root, const struct sysctls_plan *plan,
			   struct sysctls_applied *done,
			   int (*record)(const struct sysctls_applied *done, void *arg, struct error *err),
			   void *arg, struct error *err)
{
	char cur[SYSCTL_VALUE_MAX];
	int ret = 0;

	memset(done, 0, sizeof(*done));
	for (size_t i = 0; i < plan->n; i++) {
		const struct sysctls_setting *s = &plan->s[i];
		struct sysctls_change *c;

		ret = sysctl_read(root, s->key, cur, err);
		if (ret == -ENOENT && s->optional) {
			ret = 0;
			continue;
		}
		if (ret)
			goto undo;
		if (!strcmp(cur, s->value))
			continue;
		/* Recorded first: a write that took effect but then failed
		 * (IPv4 forwarding's side effect could not be taken back)
		 * must be undone too. */
		c = &done->c[done->n++];
		snprintf(c->key, sizeof(c->key), "%s", s->key);
		snprintf(c->prev, sizeof(c->prev), "%s", cur);
		snprintf(c->set, sizeof(c->set), "%s", s->value);
		c->undo = SYSCTLS_UNDO_NONE;
		ret = record ? record(done, arg, err) : 0;
		if (ret) {
			done->n--; /* not written: nothing to undo */
			goto undo;
		}
		ret = write_key(root, s->key, s->value, err);
		if (ret) {
			if (sysctl_read(root, s->key, cur, NULL) || strcmp(cur, s->value))
				done->n--; /* not written: nothing to undo */
			goto undo;
		}
	}
	if (err)
		error_clear(err); /* an optional key's absence is no error */
	return 0;

undo:
	/* The message names the key that failed; taking back the others is
	 * best effort, reported in each entry's undo field. */
	undo_changes(root, done, NULL);
	return ret;
}

int sysctls_restore(const char *root, struct sysctls_applied *done,
		    struct error *err)
{
	return undo_changes(root, done, err);
}

static int undo_changes(const char *root, struct sysctls_applied *done,
			struct error *err)
{
	char cur[SYSCTL_VALUE_MAX];
	int first = 0;

	for (size_t i = done->n; i-- > 0;) {
		struct sysctls_change *c = &done->c[i];
		int ret;

		if (c->undo != SYSCTLS_UNDO_NONE && c->undo != SYSCTLS_UNDO_FAILED)
			continue; /* taken back by an earlier call */
		ret = sysctl_read(root, c->key, cur, first ? NULL : err);
		if (ret == -ENOENT) {
			c->undo = SYSCTLS_UNDO_GONE;
			continue;
		}
		if (!ret && strcmp(cur, c->set)) {
			c->undo = SYSCTLS_UNDO_KEPT;
			continue;
		}
		if (!ret)
			ret = write_key(root, c->key, c->prev, first ? NULL : err);
		if (ret) {
			c->undo = SYSCTLS_UNDO_FAILED;
			if (!first)
				first = ret;
			continue;
		}
		c->undo = SYSCTLS_UNDO_RESTORED;
	}
	if (!first && err)
		error_clear(err); /* a vanished key is no error */
	return first;
}

/* --- the record of an apply --------------------------------------------------- */

void sysctls_applied_format(struct textbuf *t, const struct sysctls_applied *done)
{
	textbuf_append(t, "", 0);
	for (size_t i = 0; i < done->n; i++)
		textbuf_printf(t, "%s\t%s\t%s\n", done->c[i].key, done->c[i].prev,
			       done->c[i].set);
}

static bool valid_value(const char *s, size_t len)
{
	if (!len || len >= SYSCTL_VALUE_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
			return false;
	return true;
}

int sysctls_applied_parse(const char *buf, size_t len, struct sysctls_applied *out,
			  struct error *err)
{
	const char *p = buf, *end = buf + len;
	unsigned line = 0;

	memset(out, 0, sizeof(*out));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p)), *f[3], *tab;
		size_t flen[3];
		struct sysctls_change *c;

		if (!eol)
			eol = end;
		line++;
		for (int i = 0; i < 3; i++) {
			tab = i < 2 ? memchr(p, '\t', (size_t)(eol - p)) : NULL;
			if (i < 2 && !tab)
				return error_fail(err, -EINVAL,
					    "line %u: expected KEY<TAB>PREV<TAB>SET", line);
			f[i] = p;
			flen[i] = (size_t)((i < 2 ? tab : eol) - p);
			p = i < 2 ? tab + 1 : eol;
		}
		if (memchr(f[2], '\t', flen[2]))
			return error_fail(err, -EINVAL, "line %u: more than three fields", line);
		if (out->n == SYSCTLS_PLAN_MAX)
			return error_fail(err, -EINVAL, "line %u: more than %d changes", line,
				    SYSCTLS_PLAN_MAX);
		c = &out->c[out->n];
		if (flen[0] >= sizeof(c->key))
			return error_fail(err, -EINVAL, "line %u: key too long", line);
		memcpy(c->key, f[0], flen[0]);
		c->key[flen[0]] = '\0';
		if (!sysctl_valid_key(c->key))
			return error_fail(err, -EINVAL, "line %u: invalid key \"%s\"", line,
				    c->key);
		if (!valid_value(f[1], flen[1]) || !valid_value(f[2], flen[2]))
			return error_fail(err, -EINVAL, "line %u: %s: invalid value", line,
				    c->key);
		memcpy(c->prev, f[1], flen[1]);
		c->prev[flen[1]] = '\0';
		memcpy(c->set, f[2], flen[2]);
		c->set[flen[2]] = '\0';
		c->undo = SYSCTLS_UNDO_NONE;
		out->n++;
		p = eol < end ? eol + 1 : end;
	}
	return 0;
}

/* --- the report --------------------------------------------------------------- */

const char *sysctls_status_name(enum sysctls_status status)
{
	switch (status) {
	case SYSCTLS_OK:
		return "ok";
	case SYSCTLS_DIFFERS:
		return "differs";
	case SYSCTLS_MISSING:
		return "missing";
	case SYSCTLS_ABSENT:
		return "absent";
	}
	return "?";
}

int sysctls_report(const char *root, const struct sysctls_plan *plan,
		   struct sysctls_report *out, struct error *err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < plan->n; i++) {
		struct sysctls_check *c = &out->c[i];
		int ret;

		c->setting = &plan->s[i];
		ret = sysctl_read(root, c->setting->key, c->actual, err);
		if (ret == -ENOENT)
			c->status = c->setting->optional ? SYSCTLS_ABSENT : SYSCTLS_MISSING;
		else if (ret)
			return ret;
		else
			c->status = strcmp(c->actual, c->setting->value) ? SYSCTLS_DIFFERS
									 : SYSCTLS_OK;
		out->n++;
	}
	if (err)
		error_clear(err);
	return 0;
}

bool sysctls_report_ok(const struct sysctls_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->c[i].status != SYSCTLS_OK && r->c[i].status != SYSCTLS_ABSENT)
			return false;
	return true;
}

/* --- persisting ----------------------------------------------------------------- */

/* The tunnel's own keys: they exist only while its interface does. */
static bool tunnel_key(const struct sysctls_plan *plan, const char *key)
{
	static const char *const prefixes[] = { "net.ipv4.conf.", "net.ipv6.conf." };
	char comp[SYSCTL_IFNAME_MAX + 1];
	size_t n;

	key_component(comp, plan->ifname);
	n = strlen(comp);
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++) {
		size_t plen = strlen(prefixes[i]);

		if (!strncmp(key, prefixes[i], plen) && !strncmp(key + plen, comp, n) &&
		    key[plen + n] == '.')
			return true;
	}
	return false;
}

int sysctls_render(struct textbuf *t, const struct sysctls_plan *plan)
{
	const char *reason = NULL, *source = NULL;

	/* The file is read by systemd-sysctl (sysctl.d(5)) and procps'
	 * sysctl --system in the order of file names over all sysctl.d
	 * directories, later settings winning: 90 lets an administrator's
	 * 99-*.conf have the last word. */
	textbuf_printf(t,
		       "# Kernel network settings of Rampart's hardening policy for %s (role %s),\n"
		       "# written on request (--persist-sysctls) and applied at boot by\n"
		       "# systemd-sysctl or `sysctl --system`.  Delete this file to stop that.\n"
		       "# A key written as -KEY may be absent: the tunnel's own keys appear\n"
		       "# with its interface, IPv6 keys need IPv6.\n",
		       plan->ifname, sysctls_role_name(plan->role));
	for (size_t i = 0; i < plan->n; i++) {
		const struct sysctls_setting *s = &plan->s[i];

		/* sysctl.d splits a line at its first '=': a key with one
		 * (an interface named "a=b") cannot be written. */
		if (strchr(s->key, '=')) {
			textbuf_fail(t, -EINVAL);
			return -EINVAL;
		}
		if (s->reason != reason || s->source != source) {
			textbuf_printf(t, "\n# %s (%s)\n", s->reason, s->source);
			reason = s->reason;
			source = s->source;
		}
		textbuf_printf(t, "%s%s = %s\n", s->optional || tunnel_key(plan, s->key) ? "-" : "",
			       s->key, s->value);
	}
	return t->err;
}

int sysctls_persist(const char *dir, const struct sysctls_plan *plan,
		    struct error *err)
{
	char path[4096];
	struct textbuf t = { 0 };
	int ret;

	if (!sysctl_valid_ifname(plan->ifname))
		return error_fail(err, -EINVAL, "invalid interface name \"%s\"", plan->ifname);
	if (sysctl_persist_path(path, sizeof(path), dir, plan->ifname))
		return error_fail(err, -ENAMETOOLONG, "%s: path too long", dir);

	ret = sysctls_render(&t, plan);
	if (ret == -EINVAL)
		error_fail(err, ret, "%s: the interface name \"%s\" has a '=', which a "
			    "sysctl.d file cannot hold", path, plan->ifname);
	else if (ret)
		error_fail(err, ret, "%s: %s", path, strerror(-ret));
	else
		ret = sysctl_persist(dir, plan->ifname, t.buf, t.len, err);
	textbuf_wipe(&t);
	return ret;
}
