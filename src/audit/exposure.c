/* The exposure checks of seed 002's checklist ("Only UDP 51820 inbound
 * exposed (plus tightly restricted SSH if needed)"; "Restrict SSH like you
 * mean it"; "verify you didn't accidentally expose other services"):
 * what listens (audit/sockets.h) against what the live ruleset lets in
 * from the WAN (audit_ruleset_verdict), and the effective sshd config.
 *
 * A socket is reachable when a new packet from any source, arriving on
 * the WAN interface, to its port passes the ruleset's prerouting and
 * input filter chains.  Without a ruleset fact (no source, or reading it
 * failed, which the facts note as a gap) the checks that need it report
 * nothing rather than guess; an empty ruleset filters nothing. */
#include "audit.h"

#include "audit/ruleset.h"
#include "audit/sockets.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "firewall/policykeys.h"

#include <errno.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEED_WAN "seed 002: only UDP 51820 inbound exposed (plus tightly restricted SSH)"
#define SEED_SSH_FROM "seed 002: firewall SSH to a trusted IP range"
#define SEED_SSH_PASSWORD "seed 002: SSH keys only, no password auth"
#define SEED_SSH_ROOT "seed 002: restrict SSH like you mean it (no root login)"
#define SEED_METRICS "seed 002: no surprise listeners (web dashboards, exporters)"

#define SSHD_DIR "/etc/ssh"
#define SSHD_CONFIG SSHD_DIR "/sshd_config"

enum {
	/* sshd's own limit on nested Include (SERVCONF_MAX_DEPTH). */
	SSHD_DEPTH_MAX = 16,
	SSHD_LINE_MAX = 1024,
	SSHD_ARGS_MAX = 32,
	SSH_PORTS_MAX = 16,
	WHERE_MAX = 300,
	SSH_PORT_DEFAULT = 22,
};

/* Services whose port open to the internet is an incident, not a
 * hygiene item: data stores and control APIs without authentication by
 * default, or with it and brute-forced all day.  Reachable from the WAN,
 * they make exposure.wan_listener critical. */
static const struct known_port {
	uint16_t port;
	const char *what;
} critical_ports[] = {
	{ 2375, "the Docker API, unencrypted" },
	{ 2379, "etcd" },
	{ 3306, "MySQL" },
	{ 5432, "PostgreSQL" },
	{ 6379, "Redis" },
	{ 9200, "Elasticsearch" },
	{ 11211, "memcached" },
	{ 27017, "MongoDB" },
};

/* Metrics and admin web interfaces: they belong on loopback or the
 * tunnel address, whatever the firewall does today (exposure.metrics_public). */
static const struct known_port metrics_ports[] = {
	{ 9586, "rampart metrics serve / prometheus_wireguard_exporter" },
	{ 9100, "Prometheus node_exporter" },
	{ 9090, "Prometheus" },
	{ 9093, "Prometheus Alertmanager" },
	{ 3000, "Grafana" },
	{ 51821, "wg-easy's web UI" },
	{ 8888, "wg-portal" },
	{ 5000, "wireguard-ui" },
};

static const char *known(const struct known_port *t, size_t n, uint16_t port)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].port == port)
			return t[i].what;
	return NULL;
}

static int nomem(struct error *err)
{
	return error_fail(err, -ENOMEM, "out of memory");
}

/* --- the effective sshd config -------------------------------------------- */

/* A keyword's first value outside Match blocks, as sshd reads it. */
struct sshd_value {
	bool set;
	char value[40];
	char where[WHERE_MAX]; /* "FILE:LINE" */
};

struct sshd {
	bool present;          /* SSHD_CONFIG exists */
	struct sshd_value password, root_login;
	struct {
		uint16_t port;
		char where[WHERE_MAX];
	} ports[SSH_PORTS_MAX];
	size_t n_ports;
	unsigned n_files;
};

static int sshd_file(struct audit_facts *f, const char *path, bool in_match, int depth,
		     struct sshd *sd, struct error *err);

/* Splits a line as sshd does: the keyword ends at whitespace or '=', one
 * '=' may follow; arguments are separated by whitespace, "quoted" ones
 * may hold it.  Modifies line; returns the number of words. */
static size_t sshd_words(char *line, char *w[SSHD_ARGS_MAX])
{
	size_t n = 0;
	char *s = line;

	s += strspn(s, " \t\r");
	if (!*s || *s == '#')
		return 0;
	w[n++] = s;
	s += strcspn(s, " \t\r=");
	if (*s) {
		bool eq = *s == '=';

		*s++ = '\0';
		s += strspn(s, " \t\r");
		if (!eq && *s == '=')
			s += 1 + strspn(s + 1, " \t\r");
	}
	while (*s && *s != '#' && n < SSHD_ARGS_MAX) {
		if (*s == '"') {
			w[n++] = ++s;
			s += strcspn(s, "\"");
		} else {
			w[n++] = s;
			s += strcspn(s, " \t\r");
		}
		if (*s)
			*s++ = '\0';
		s += strspn(s, " \t\r");
	}
	return n;
}

/* One Include pattern: relative to /etc/ssh, a glob in its last part
 * only (sshd_config.d/\*.conf), matches in glob(3)'s sorted order; a
 * pattern that matches nothing is skipped, as sshd does. */
static int sshd_include(struct audit_facts *f, const char *pat, bool in_match, int depth,
			struct sshd *sd, struct error *err)
{
	char path[512], dir[512], file[1024];
	const char *slash, *base;
	char **names = NULL;
	size_t n = 0;
	struct error why = { 0 };
	int ret = 0;

	snprintf(path, sizeof(path), "%s%s%s", pat[0] == '/' ? "" : SSHD_DIR,
		 pat[0] == '/' ? "" : "/", pat);
	slash = strrchr(path, '/');
	base = slash + 1;
	if (!strpbrk(base, "*?["))
		return sshd_file(f, path, in_match, depth, sd, err);
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (audit_list_dir(f, dir[0] ? dir : "/", &names, &n, &why))
		return 0; /* no such directory: nothing matches */
	for (size_t i = 0; i < n && !ret; i++) {
		struct stat st;

		if (fnmatch(base, names[i], FNM_PERIOD))
			continue;
		snprintf(file, sizeof(file), "%s/%s", dir, names[i]);
		if (audit_stat(f, file, &st, &why) || !S_ISREG(st.st_mode))
			continue;
		ret = sshd_file(f, file, in_match, depth, sd, err);
	}
	audit_names_free(names, n);
	return ret;
}

static void sshd_first(struct sshd_value *v, const char *value, const char *path, unsigned line)
{
	if (v->set)
		return;
	v->set = true;
	snprintf(v->value, sizeof(v->value), "%s", value);
	snprintf(v->where, sizeof(v->where), "%s:%u", path, line);
}

/* One line.  Match starts a block that lasts to the end of this file (an
 * included file's Match ends with it, as in sshd); values inside one do
 * not set the global default: they apply to the connections it matches. */
static int sshd_line(struct audit_facts *f, const char *path, unsigned line, char *text,
		     bool *in_match, int depth, struct sshd *sd, struct error *err)
{
	char *w[SSHD_ARGS_MAX];
	size_t n = sshd_words(text, w);
	unsigned long port;
	char *end;

	if (!n)
		return 0;
	if (!strcasecmp(w[0], "Match")) {
		*in_match = true;
		return 0;
	}
	if (!strcasecmp(w[0], "Include")) {
		for (size_t i = 1; i < n; i++) {
			int ret = sshd_include(f, w[i], *in_match, depth + 1, sd, err);

			if (ret)
				return ret;
		}
		return 0;
	}
	if (*in_match || n < 2)
		return 0;
	if (!strcasecmp(w[0], "PasswordAuthentication")) {
		sshd_first(&sd->password, w[1], path, line);
	} else if (!strcasecmp(w[0], "PermitRootLogin")) {
		sshd_first(&sd->root_login, w[1], path, line);
	} else if (!strcasecmp(w[0], "Port") && sd->n_ports < SSH_PORTS_MAX) {
		/* Every Port line adds a port; sshd refuses what is not one. */
		port = strtoul(w[1], &end, 10);
		if (*end || !port || port > 65535)
			return error_fail_at(err, -EINVAL, path, line, "Port",
					     "`%s' is not a port", w[1]);
		sd->ports[sd->n_ports].port = (uint16_t)port;
		snprintf(sd->ports[sd->n_ports].where, WHERE_MAX, "%s:%u", path, line);
		sd->n_ports++;
	}
	return 0;
}

static int sshd_file(struct audit_facts *f, const char *path, bool in_match, int depth,
		     struct sshd *sd, struct error *err)
{
	char *buf = NULL, *s, *eol, line[SSHD_LINE_MAX];
	size_t len = 0;
	unsigned lineno = 0;
	struct error why = { 0 };
	int ret;

	if (depth > SSHD_DEPTH_MAX)
		return error_fail(err, -ELOOP, "%s: Include nested more than %d deep",
				  path, SSHD_DEPTH_MAX);
	ret = audit_read(f, path, &buf, &len, &why);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		*err = why;
		return ret;
	}
	if (depth == 0)
		sd->present = true;
	sd->n_files++;
	for (s = buf; s < buf + len && !ret; s = eol + 1) {
		eol = memchr(s, '\n', (size_t)(buf + len - s));
		if (!eol)
			eol = buf + len;
		lineno++;
		snprintf(line, sizeof(line), "%.*s", (int)(eol - s), s);
		ret = sshd_line(f, path, lineno, line, &in_match, depth, sd, err);
	}
	textbuf_free_text(buf, len);
	return ret;
}

/* --- the context the checks share ------------------------------------------ */

struct exposure {
	struct audit_socket *socks;
	size_t n_socks;
	struct netaddr *local;          /* the host's addresses but loopback */
	size_t n_local;
	const struct audit_ruleset *rs; /* NULL: not read */
	char wan[16];
	const char *wan_from;           /* static text */
	struct sshd sshd;
	struct {
		uint16_t port;
		char where[WHERE_MAX];
	} ssh[SSH_PORTS_MAX + 8];
	size_t n_ssh;
};

static bool audited_ifname(const struct audit_iface *ifs, size_t n, const char *name)
{
	if (!strcmp(name, "lo"))
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(ifs[i].name, name))
			return true;
	return false;
}

/* The interface of the first default route in ROOT/proc/net/route (the
 * lowest metric), not lo nor an audited tunnel. */
static bool wan_from_route(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
			   char wan[16])
{
	char *buf = NULL, name[16];
	size_t len = 0;
	unsigned long dst, flags, metric, mask, best = (unsigned long)-1;
	struct error why = { 0 };
	bool found = false;

	if (audit_read(f, "/proc/net/route", &buf, &len, &why))
		return false;
	for (char *s = strchr(buf, '\n'); s && *++s; s = strchr(s, '\n')) {
		if (sscanf(s, "%15s %lx %*x %lx %*d %*d %lu %lx", name, &dst, &flags, &metric,
			   &mask) != 5)
			continue;
		/* RTF_UP is 1. */
		if (dst || mask || !(flags & 1) || audited_ifname(ifs, n, name) || metric >= best)
			continue;
		best = metric;
		snprintf(wan, 16, "%s", name);
		found = true;
	}
	textbuf_free_text(buf, len);
	return found;
}

/* The first interface in ROOT/proc/net/dev (after its two header lines,
 * "  eth0: 1234 ...") but lo and the tunnels. */
static bool wan_from_dev(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
			 char wan[16])
{
	char *buf = NULL, name[16];
	size_t len = 0;
	struct error why = { 0 };
	bool found = false;

	if (audit_read(f, "/proc/net/dev", &buf, &len, &why))
		return false;
	for (char *s = buf; s && !found; s = strchr(s, '\n'), s = s ? s + 1 : NULL) {
		if (sscanf(s, " %15[^:|\n ]:", name) == 1 && !audited_ifname(ifs, n, name) &&
		    s[strspn(s, " ") + strlen(name)] == ':') {
			snprintf(wan, 16, "%s", name);
			found = true;
		}
	}
	textbuf_free_text(buf, len);
	return found;
}

static void find_wan(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
		     struct exposure *x)
{
	for (size_t i = 0; i < n; i++) {
		const struct policy_keys *pk = policykeys_of(ifs[i].conf);

		if (pk->has_wan && pk->wan[0]) {
			snprintf(x->wan, sizeof(x->wan), "%s", pk->wan);
			x->wan_from = "[Policy] WANInterface";
			return;
		}
	}
	if (wan_from_route(f, ifs, n, x->wan)) {
		x->wan_from = "the default route in /proc/net/route";
	} else if (wan_from_dev(f, ifs, n, x->wan)) {
		x->wan_from = "the first interface in /proc/net/dev but lo and the tunnels";
	} else {
		snprintf(x->wan, sizeof(x->wan), "eth0");
		x->wan_from = "no default route and no /proc/net/dev: assumed";
	}
}

static void add_ssh_port(struct exposure *x, uint16_t port, const char *where)
{
	for (size_t i = 0; i < x->n_ssh; i++)
		if (x->ssh[i].port == port)
			return;
	if (x->n_ssh == sizeof(x->ssh) / sizeof(x->ssh[0]))
		return;
	x->ssh[x->n_ssh].port = port;
	snprintf(x->ssh[x->n_ssh].where, WHERE_MAX, "%s", where);
	x->n_ssh++;
}

/* The SSH ports: sshd's Port lines (22 when none), and each audited
 * config's [Policy] SSHPort. */
static void find_ssh_ports(const struct audit_iface *ifs, size_t n, struct exposure *x)
{
	char where[WHERE_MAX];

	for (size_t i = 0; i < x->sshd.n_ports; i++)
		add_ssh_port(x, x->sshd.ports[i].port, x->sshd.ports[i].where);
	if (!x->sshd.n_ports)
		add_ssh_port(x, SSH_PORT_DEFAULT, x->sshd.present ? "sshd's default (no Port in "
					SSHD_CONFIG ")" : "sshd's default");
	for (size_t i = 0; i < n; i++) {
		const struct policy_keys *pk = policykeys_of(ifs[i].conf);

		if (!pk->ssh_port.set)
			continue;
		snprintf(where, sizeof(where), "%s:%u [Policy] SSHPort", ifs[i].path, pk->ssh_port.line);
		add_ssh_port(x, (uint16_t)pk->ssh_port.value, where);
	}
}

static void exposure_free(struct exposure *x)
{
	free(x->socks);
	free(x->local);
	x->socks = NULL;
	x->local = NULL;
	x->n_socks = x->n_local = 0;
}

static int exposure_load(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
			 struct exposure *x, struct error *err)
{
	int ret;

	memset(x, 0, sizeof(*x));
	ret = audit_sockets_read(f, &x->socks, &x->n_socks, err);
	if (!ret)
		ret = sshd_file(f, SSHD_CONFIG, false, 0, &x->sshd, err);
	if (!ret && x->n_socks)
		ret = audit_ruleset(f, &x->rs, err);
	if (!ret && x->rs)
		ret = audit_local_addrs(f, &x->local, &x->n_local, err);
	if (ret) {
		exposure_free(x);
		return ret;
	}
	find_wan(f, ifs, n, x);
	find_ssh_ports(ifs, n, x);
	return 0;
}

/* --- reachability ----------------------------------------------------------- */

struct reach {
	bool accept;
	struct netaddr daddr;                /* family 0: any of the host's */
	const struct audit_nft_chain *chain; /* what decided; NULL: nothing filters */
	const struct audit_nft_rule *rule;
	char where[200];
};

/* The packet through prerouting and then input. */
static void pass(const struct exposure *x, const struct audit_pkt *p, struct reach *r)
{
	static const char *const hooks[] = { "prerouting", "input" };
	struct audit_verdict v = { 0 };

	for (size_t i = 0; i < 2; i++) {
		audit_ruleset_verdict(x->rs, hooks[i], p, &v);
		if (!v.accept || i == 1) {
			audit_verdict_where(&v, hooks[i], r->where, sizeof(r->where));
			break;
		}
	}
	r->accept = v.accept;
	r->daddr = p->daddr;
	r->chain = v.chain;
	r->rule = v.rule;
}

/* A new packet from any source on the WAN to the socket, of one family.
 * To a wildcard socket, first with no destination address (a rule that
 * names one does not apply), then to each of the host's own addresses:
 * a rule with `ip daddr` that one of them matches lets it in too. */
static void reach_family(const struct exposure *x, const struct audit_socket *s, bool ipv4,
			 struct reach *r)
{
	struct audit_pkt p = { .ipv4 = ipv4, .iif = x->wan, .any_source = true,
			       .l4proto = s->l4proto, .dport = s->port };

	if (!s->wildcard)
		p.daddr = s->addr;
	pass(x, &p, r);
	for (size_t i = 0; !r->accept && s->wildcard && i < x->n_local; i++) {
		struct reach to;

		if ((x->local[i].family == AF_INET) != ipv4)
			continue;
		p.daddr = x->local[i];
		pass(x, &p, &to);
		if (to.accept)
			*r = to;
	}
}

/* An IPv6 wildcard socket is taken as dual stack (Linux's default,
 * bindv6only 0): reachable when either family passes. */
static void reach(const struct exposure *x, const struct audit_socket *s, struct reach *r)
{
	reach_family(x, s, s->addr.family == AF_INET, r);
	if (!r->accept && s->dual_stack) {
		struct reach r4;

		reach_family(x, s, true, &r4);
		if (r4.accept)
			*r = r4;
	}
}

static const char *proto_name(const struct audit_socket *s)
{
	return s->l4proto == IPPROTO_TCP ? "tcp" : "udp";
}

/* "0.0.0.0:8080", "[::]:22". */
static const char *sock_addr(const struct audit_socket *s, char *buf, size_t size)
{
	char ip[NETADDR_IP_STRLEN];

	netaddr_format_ip(ip, &s->addr);
	snprintf(buf, size, s->addr.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, s->port);
	return buf;
}

/* "/proc/net/tcp:3 0.0.0.0:8080 LISTEN uid 0 inode 18601; a new tcp packet
 * to port 8080 from any source on eth0 (WHY): accepted: WHERE" */
static void sock_evidence(const struct exposure *x, const struct audit_socket *s,
			  const struct reach *r, char *buf, size_t size)
{
	char a[NETADDR_IP_STRLEN + 10], to[NETADDR_IP_STRLEN + 8] = "";

	if (r->daddr.family && s->wildcard) {
		netaddr_format_ip(to, &r->daddr);
		strcat(to, " ");
	}
	snprintf(buf, size, "%s:%u %s %s uid %u inode %lu; a new %s packet to %sport %u from any "
		 "source on %s (%s): %s: %s", s->file, s->line, sock_addr(s, a, sizeof(a)),
		 s->l4proto == IPPROTO_TCP ? "LISTEN" : "UNCONN", s->uid, s->inode, proto_name(s),
		 to, s->port, x->wan, x->wan_from, r->accept ? "accepted" : "dropped", r->where);
}

/* Whether an earlier socket of the list was already reported for this
 * protocol and port (the IPv4 and IPv6 sockets of one service). */
static bool reported(const bool *done, const struct exposure *x, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (done[j] && x->socks[j].l4proto == x->socks[i].l4proto &&
		    x->socks[j].port == x->socks[i].port)
			return true;
	return false;
}

static bool is_ssh_port(const struct exposure *x, uint16_t port)
{
	for (size_t i = 0; i < x->n_ssh; i++)
		if (x->ssh[i].port == port)
			return true;
	return false;
}

static bool is_wg_port(const struct audit_iface *ifs, size_t n, const struct audit_socket *s)
{
	for (size_t i = 0; s->l4proto == IPPROTO_UDP && i < n; i++)
		if (ifs[i].conf && ifs[i].conf->has_listen_port && ifs[i].conf->listen_port == s->port)
			return true;
	return false;
}

/* "nft delete rule inet t input handle 3" for the rule that accepts. */
static void drop_rule_fix(const struct reach *r, char *buf, size_t size)
{
	if (r->rule)
		snprintf(buf, size, "; or remove what accepts it: nft delete rule %s %s %s handle %lld",
			 r->chain->family, r->chain->table, r->chain->name, r->rule->handle);
	else if (r->chain)
		snprintf(buf, size, "; or a default-drop input policy (rampart firewall apply CONFIG)");
	else
		snprintf(buf, size, "; or a default-drop input chain (rampart firewall apply CONFIG)");
}

static int wan_one(const struct exposure *x, const struct audit_socket *s, const struct reach *r,
		   struct audit_list *out, struct error *err)
{
	const char *what = known(critical_ports, sizeof(critical_ports) / sizeof(critical_ports[0]),
				 s->port);
	struct audit_finding *a = audit_add(out, "exposure.wan_listener",
					    what ? AUDIT_CRITICAL : AUDIT_WARNING, SEED_WAN);
	char a1[NETADDR_IP_STRLEN + 10], more[200];

	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message), "%s port %u%s%s%s, bound to %s, is reachable "
		 "from the WAN (%s)", proto_name(s), s->port, what ? " (" : "", what ? what : "",
		 what ? ")" : "", sock_addr(s, a1, sizeof(a1)), x->wan);
	sock_evidence(x, s, r, a->evidence, sizeof(a->evidence));
	drop_rule_fix(r, more, sizeof(more));
	snprintf(a->fix, sizeof(a->fix), "bind it to 127.0.0.1 or the tunnel address, or stop it "
		 "(ss -lnp%s 'sport = :%u' names the program)%s", s->l4proto == IPPROTO_TCP ? "t" : "u",
		 s->port, more);
	return 0;
}

/* One socket: a finding (1), none (0) or -errno. */
typedef int (*socket_fn)(const struct exposure *x, const struct audit_iface *ifs, size_t n,
			 const struct audit_socket *s, struct audit_list *out, struct error *err);

/* fn for each socket but those of a protocol and port already reported
 * (the IPv4 and IPv6 sockets of one service); not at all without a
 * ruleset when the check needs one. */
static int each_socket(struct audit_facts *f, const struct audit_iface *ifs, size_t n,
		       bool need_ruleset, socket_fn fn, struct audit_list *out, struct error *err)
{
	struct exposure x;
	bool *done;
	int ret = exposure_load(f, ifs, n, &x, err);

	if (ret || !x.n_socks || (need_ruleset && !x.rs)) {
		exposure_free(&x);
		return ret;
	}
	done = calloc(x.n_socks, sizeof(*done));
	if (!done) {
		exposure_free(&x);
		return nomem(err);
	}
	for (size_t i = 0; i < x.n_socks && ret >= 0; i++) {
		if (reported(done, &x, i))
			continue;
		ret = fn(&x, ifs, n, &x.socks[i], out, err);
		done[i] = ret > 0;
	}
	free(done);
	exposure_free(&x);
	return ret < 0 ? ret : 0;
}

static int wan_check(const struct exposure *x, const struct audit_iface *ifs, size_t n,
		     const struct audit_socket *s, struct audit_list *out, struct error *err)
{
	struct reach r;

	/* The WireGuard port is meant to be open; SSH is
	 * exposure.ssh_any_source's. */
	if (audit_socket_loopback(s) || is_wg_port(ifs, n, s) ||
	    (s->l4proto == IPPROTO_TCP && is_ssh_port(x, s->port)))
		return 0;
	reach(x, s, &r);
	if (!r.accept)
		return 0;
	return wan_one(x, s, &r, out, err) < 0 ? -ENOMEM : 1;
}

int audit_exposure_wan_listener(struct audit_facts *f, const struct audit_iface *ifs,
				size_t n, struct audit_list *out, struct error *err)
{
	return each_socket(f, ifs, n, true, wan_check, out, err);
}

/* --- SSH ---------------------------------------------------------------------- */

/* The fix for SSH open to all: Rampart's SSHFrom when its table let it
 * in, else the rule or policy that did. */
static void ssh_fix(const struct audit_iface *ifs, size_t n, const struct reach *r,
		    char *buf, size_t size)
{
	const char *cfg = n ? ifs[0].path : AUDIT_WG_DIR "/wg0.conf";

	if (r->chain && !strncmp(r->chain->table, "rampart-", 8))
		snprintf(buf, size, "[Policy] SSHFrom = tunnel, MANAGEMENT-PREFIX in %s, then "
			 "rampart firewall apply %s", cfg, cfg);
	else if (r->rule)
		snprintf(buf, size, "nft delete rule %s %s %s handle %lld, and let SSH in only from "
			 "a management prefix ([Policy] SSHFrom in %s)", r->chain->family,
			 r->chain->table, r->chain->name, r->rule->handle, cfg);
	else
		snprintf(buf, size, "a default-drop input chain with SSH from a management prefix "
			 "only: [Policy] SSHFrom in %s, then rampart firewall apply %s", cfg, cfg);
}

int audit_exposure_ssh_any_source(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err)
{
	struct exposure x;
	int ret = exposure_load(f, ifs, n, &x, err);

	for (size_t k = 0; !ret && x.rs && k < x.n_ssh; k++) {
		for (size_t i = 0; i < x.n_socks; i++) {
			const struct audit_socket *s = &x.socks[i];
			struct audit_finding *a;
			struct reach r;
			char ev[AUDIT_EVIDENCE_MAX - WHERE_MAX / 2];

			if (s->l4proto != IPPROTO_TCP || s->port != x.ssh[k].port ||
			    audit_socket_loopback(s))
				continue;
			reach(&x, s, &r);
			if (!r.accept)
				continue;
			a = audit_add(out, "exposure.ssh_any_source", AUDIT_WARNING, SEED_SSH_FROM);
			if (!a) {
				ret = nomem(err);
				break;
			}
			snprintf(a->message, sizeof(a->message), "SSH (tcp port %u) is open to any "
				 "source on the WAN (%s)", s->port, x.wan);
			sock_evidence(&x, s, &r, ev, sizeof(ev));
			snprintf(a->evidence, sizeof(a->evidence), "%s; the SSH port from %.120s",
				 ev, x.ssh[k].where);
			ssh_fix(ifs, n, &r, a->fix, sizeof(a->fix));
			break; /* one finding per port */
		}
	}
	exposure_free(&x);
	return ret;
}

/* Loads only the sshd config: the two sshd checks need no sockets. */
static int sshd_load(struct audit_facts *f, struct sshd *sd, struct error *err)
{
	memset(sd, 0, sizeof(*sd));
	return sshd_file(f, SSHD_CONFIG, false, 0, sd, err);
}

static void sshd_evidence(const struct sshd *sd, const struct sshd_value *v, const char *key,
			  const char *dflt, char *buf, size_t size)
{
	const char *files = sd->n_files == 1 ? "file" : "files";

	if (v->set)
		snprintf(buf, size, "%s %s %s: the first value sshd reads (%u %s read: %s and its "
			 "Includes; Match blocks left out)", v->where, key, v->value, sd->n_files,
			 files, SSHD_CONFIG);
	else
		snprintf(buf, size, "no %s outside Match blocks in %s and its Includes (%u %s "
			 "read): OpenSSH's default is %s", key, SSHD_CONFIG, sd->n_files, files, dflt);
}

static void sshd_fix(const struct sshd_value *v, const char *line, char *buf, size_t size)
{
	if (v->set)
		snprintf(buf, size, "%s at %s (sshd keeps the first value it reads), then "
			 "sshd -t && systemctl reload ssh", line, v->where);
	else
		snprintf(buf, size, "%s in %s, before any Match block, then sshd -t && "
			 "systemctl reload ssh", line, SSHD_CONFIG);
}

/* An sshd keyword whose value "yes" (or, with dflt_bad, no value at all)
 * lets in more than keys. */
struct sshd_rule {
	const char *id, *seed, *key;
	bool root_login;          /* the value: PermitRootLogin, else PasswordAuthentication */
	const char *dflt;         /* OpenSSH's default */
	bool dflt_bad;
	const char *message, *fix_line;
};

static int sshd_check(struct audit_facts *f, const struct sshd_rule *rule,
		      struct audit_list *out, struct error *err)
{
	struct sshd sd;
	const struct sshd_value *v = rule->root_login ? &sd.root_login : &sd.password;
	struct audit_finding *a;
	int ret = sshd_load(f, &sd, err);

	if (ret || !sd.present || (v->set ? strcasecmp(v->value, "yes") != 0 : !rule->dflt_bad))
		return ret;
	a = audit_add(out, rule->id, AUDIT_WARNING, rule->seed);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message), "%s (%s %s%s)", rule->message, rule->key,
		 v->set ? v->value : rule->dflt, v->set ? "" : ", the default");
	sshd_evidence(&sd, v, rule->key, rule->dflt, a->evidence, sizeof(a->evidence));
	sshd_fix(v, rule->fix_line, a->fix, sizeof(a->fix));
	return 0;
}

int audit_exposure_sshd_password_auth(struct audit_facts *f, const struct audit_iface *ifs,
				      size_t n, struct audit_list *out, struct error *err)
{
	static const struct sshd_rule rule = {
		"exposure.sshd_password_auth", SEED_SSH_PASSWORD, "PasswordAuthentication", false,
		"yes", true, "sshd accepts passwords", "PasswordAuthentication no",
	};

	(void)ifs;
	(void)n;
	return sshd_check(f, &rule, out, err);
}

int audit_exposure_sshd_root_login(struct audit_facts *f, const struct audit_iface *ifs,
				   size_t n, struct audit_list *out, struct error *err)
{
	/* The default, prohibit-password, lets root in with a key only. */
	static const struct sshd_rule rule = {
		"exposure.sshd_root_login", SEED_SSH_ROOT, "PermitRootLogin", true,
		"prohibit-password", false, "sshd lets root log in with any method",
		"PermitRootLogin prohibit-password (or no)",
	};

	(void)ifs;
	(void)n;
	return sshd_check(f, &rule, out, err);
}

/* --- metrics and admin ports ------------------------------------------------- */

/* Addresses the internet does not route to: RFC 1918, shared (RFC 6598),
 * link-local, unique local (RFC 4193); and the audited tunnels' own. */
static bool not_public(const struct audit_iface *ifs, size_t n, const struct netaddr *a)
{
	static const char *const private[] = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
					       "100.64.0.0/10", "169.254.0.0/16", "fc00::/7",
					       "fe80::/10" };
	struct netaddr_prefix host = { .addr = *a, .cidr = a->family == AF_INET ? 32 : 128 };
	struct netaddr_prefix p;
	const char *why;

	for (size_t i = 0; i < sizeof(private) / sizeof(private[0]); i++)
		if (netaddr_parse_prefix(&p, private[i], &why) && netaddr_prefix_contains(&p, &host))
			return true;
	for (size_t i = 0; i < n; i++) {
		const struct conf *c = ifs[i].conf;

		for (size_t j = 0; c && j < c->n_addresses; j++) {
			p = c->addresses[j].prefix;
			netaddr_prefix_mask(&p);
			if (netaddr_prefix_contains(&p, &host))
				return true;
		}
	}
	return false;
}

static int metrics_one(const struct exposure *x, const struct audit_iface *ifs, size_t n,
		       const struct audit_socket *s, const char *what, struct audit_list *out,
		       struct error *err)
{
	struct audit_finding *a = audit_add(out, "exposure.metrics_public", AUDIT_WARNING,
					    SEED_METRICS);
	char sa[NETADDR_IP_STRLEN + 10], tun[NETADDR_IP_STRLEN] = "the tunnel address";
	struct reach r;

	if (!a)
		return nomem(err);
	for (size_t i = 0; i < n; i++)
		if (ifs[i].conf && ifs[i].conf->n_addresses) {
			netaddr_format_ip(tun, &ifs[i].conf->addresses[0].prefix.addr);
			break;
		}
	snprintf(a->message, sizeof(a->message), "tcp port %u (%s) is bound to %s, a public "
		 "address", s->port, what, sock_addr(s, sa, sizeof(sa)));
	if (x->rs) {
		char ev[AUDIT_EVIDENCE_MAX - 64];

		reach(x, s, &r);
		sock_evidence(x, s, &r, ev, sizeof(ev));
		snprintf(a->evidence, sizeof(a->evidence), "%s; %s", ev, r.accept ?
			 "the ruleset lets it through today" :
			 "the ruleset drops it today; one accept rule would open it");
	} else {
		snprintf(a->evidence, sizeof(a->evidence), "%s:%u %s LISTEN uid %u inode %lu; the "
			 "ruleset was not read", s->file, s->line, sa, s->uid, s->inode);
	}
	if (s->port == 9586)
		snprintf(a->fix, sizeof(a->fix), "rampart metrics serve --listen 127.0.0.1:9586 "
			 "(or %s:9586)", tun);
	else
		snprintf(a->fix, sizeof(a->fix), "bind it to 127.0.0.1:%u or %s:%u (ss -ltnp "
			 "'sport = :%u' names the program)", s->port, tun, s->port, s->port);
	return 0;
}

static int metrics_check(const struct exposure *x, const struct audit_iface *ifs, size_t n,
			 const struct audit_socket *s, struct audit_list *out, struct error *err)
{
	const char *what = known(metrics_ports, sizeof(metrics_ports) / sizeof(metrics_ports[0]),
				 s->port);

	if (!what || s->l4proto != IPPROTO_TCP || audit_socket_loopback(s) ||
	    (!s->wildcard && not_public(ifs, n, &s->addr)))
		return 0;
	return metrics_one(x, ifs, n, s, what, out, err) < 0 ? -ENOMEM : 1;
}

int audit_exposure_metrics_public(struct audit_facts *f, const struct audit_iface *ifs,
				  size_t n, struct audit_list *out, struct error *err)
{
	return each_socket(f, ifs, n, false, metrics_check, out, err);
}
