/* The host checks of seed 000's checklist: security updates applied
 * unattended, the daemons running with the privileges they are meant to
 * keep, and the systemd units that start them hardened.  Every fact is a
 * file under the root (dpkg's status, apt's configuration, /proc/PID,
 * the unit directories); a host without one (no dpkg, no systemd, a
 * fixture) is no finding. */
#include "audit.h"

#include "common/textbuf.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEED_UPDATES "seed 000: OS and kernel patched (unattended security updates)"
#define SEED_PRIVS "seed 000: process-level hardening (least privilege)"
#define SEED_UNITS "seed 000: systemd hardening (PrivateTmp, NoNewPrivileges, ProtectSystem)"

#define DPKG_STATUS "/var/lib/dpkg/status"
#define APT_CONF_D "/etc/apt/apt.conf.d"
#define APT_CONF "/etc/apt/apt.conf"
#define APT_KEY "APT::Periodic::Unattended-Upgrade"
#define UU_FIX "apt-get install unattended-upgrades && dpkg-reconfigure -plow unattended-upgrades"

enum {
	CAP_NET_BIND_SERVICE_BIT = 10,
	CAP_NET_ADMIN_BIT = 12,
	CAP_SYS_ADMIN_BIT = 21,
	VALUE_MAX = 128,
};

static int nomem(struct error *err)
{
	return error_fail(err, -ENOMEM, "out of memory");
}

/* The next line of a buffer that is cut in place: the line, NUL-ended,
 * with *next past it; NULL at the end. */
static char *next_line(char **next)
{
	char *line = *next, *nl;

	if (!line || !*line)
		return NULL;
	nl = strchr(line, '\n');
	if (nl)
		*nl++ = '\0';
	*next = nl;
	return line;
}

/* A file under the root: 0 with the text, -ENOENT when it is not there;
 * any other failure is noted as a gap and reads as absent. */
static int read_fact(struct audit_facts *f, const char *path, char **buf, size_t *len)
{
	struct error why = { 0 };
	int ret = audit_read(f, path, buf, len, &why);

	if (ret && ret != -ENOENT && ret != -ENOMEM)
		audit_facts_note_gap(f, path, &why);
	return ret;
}

/* --- host.unattended_upgrades --------------------------------------------- */

/* dpkg's status: a stanza "Package: PKG" with "Status: install ok
 * installed" (or "hold ok installed": held at its version, still there);
 * stanzas end at an empty line. */
static bool dpkg_installed(char *buf, const char *pkg)
{
	bool is_pkg = false, installed = false;
	char *next = buf, *line;

	while ((line = next_line(&next))) {
		if (!*line) {
			if (is_pkg && installed)
				return true;
			is_pkg = installed = false;
		} else if (!strncmp(line, "Package: ", 9)) {
			is_pkg = !strcmp(line + 9, pkg);
		} else if (!strncmp(line, "Status: ", 8)) {
			installed = !strcmp(line + 8, "install ok installed") ||
				    !strcmp(line + 8, "hold ok installed");
		}
	}
	return is_pkg && installed;
}

/* apt's setting as the last file that sets it says it. */
struct apt_value {
	char value[VALUE_MAX];
	char where[256]; /* "PATH:LINE"; "" when nothing set it */
};

static const char *find_nocase(const char *s, const char *key)
{
	size_t kl = strlen(key);

	for (; *s; s++)
		if (!strncasecmp(s, key, kl))
			return s;
	return NULL;
}

/* The lines `APT::Periodic::Unattended-Upgrade "V";` of one file (apt's
 * names are case-insensitive); `//` and `#` comments are skipped.  A
 * value written inside a `{ }` block is not seen. */
static void apt_scan(char *buf, const char *path, struct apt_value *v)
{
	char *next = buf, *line;
	unsigned no = 0;

	while ((line = next_line(&next))) {
		const char *k, *q, *end;
		char *cut = strstr(line, "//");

		no++;
		if (cut)
			*cut = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '#' || !(k = find_nocase(line, APT_KEY)))
			continue;
		q = k + strlen(APT_KEY);
		while (isspace((unsigned char)*q))
			q++;
		if (*q++ != '"' || !(end = strchr(q, '"')))
			continue;
		snprintf(v->value, sizeof(v->value), "%.*s", (int)(end - q), q);
		snprintf(v->where, sizeof(v->where), "%.200s:%u", path, no);
	}
}

/* A file apt reads from apt.conf.d: only [A-Za-z0-9_.-] in the name, and
 * no extension or ".conf" (apt skips "x.dpkg-old", "x.bak", "x~"). */
static bool apt_part(const char *name)
{
	const char *dot = strchr(name, '.');

	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("_.-", *c))
			return false;
	return !dot || (strlen(dot) == 5 && !strcmp(dot, ".conf"));
}

/* The parts in lexical order, then apt.conf: the order apt reads them
 * in, so that a later file overrides an earlier one. */
static int apt_setting(struct audit_facts *f, struct apt_value *v, struct error *err)
{
	char **names = NULL, path[512], *buf;
	size_t n = 0, len;
	struct error why = { 0 };
	int ret = audit_list_dir(f, APT_CONF_D, &names, &n, &why);

	memset(v, 0, sizeof(*v));
	if (ret == -ENOMEM)
		return nomem(err);
	if (ret && ret != -ENOENT)
		audit_facts_note_gap(f, APT_CONF_D, &why);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && !apt_part(names[i]))
			continue;
		if (i < n)
			snprintf(path, sizeof(path), APT_CONF_D "/%.255s", names[i]);
		else
			snprintf(path, sizeof(path), APT_CONF);
		ret = read_fact(f, path, &buf, &len);
		if (ret == -ENOMEM)
			break;
		if (ret)
			continue;
		apt_scan(buf, path, v);
		textbuf_free_text(buf, len);
	}
	audit_names_free(names, n);
	return ret == -ENOMEM ? nomem(err) : 0;
}

/* APT::Periodic values are intervals in days: any positive count runs
 * the upgrade (every that many days), "always" on every run. */
static bool apt_on(const char *v)
{
	char *end;
	unsigned long d;

	if (!strcasecmp(v, "always"))
		return true;
	d = strtoul(v, &end, 10);
	return *v && !*end && isdigit((unsigned char)*v) && d > 0;
}

int audit_host_unattended_upgrades(struct audit_facts *f, const struct audit_iface *ifs,
				   size_t n, struct audit_list *out, struct error *err)
{
	struct audit_finding *a;
	struct apt_value v;
	char *buf;
	size_t len;
	bool installed;
	int ret;

	(void)ifs;
	(void)n;
	ret = read_fact(f, DPKG_STATUS, &buf, &len);
	if (ret == -ENOMEM)
		return nomem(err);
	if (ret)
		return 0;
	installed = dpkg_installed(buf, "unattended-upgrades");
	textbuf_free_text(buf, len);
	ret = installed ? apt_setting(f, &v, err) : 0;
	if (ret || (installed && apt_on(v.value)))
		return ret;
	a = audit_add(out, "host.unattended_upgrades", AUDIT_WARNING, SEED_UPDATES);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message), "security updates are not installed unattended: %s",
		 !installed ? "unattended-upgrades is not installed"
			    : "apt's periodic unattended upgrade is off");
	if (!installed)
		snprintf(a->evidence, sizeof(a->evidence),
			 DPKG_STATUS ": no package unattended-upgrades in state installed");
	else if (v.where[0])
		snprintf(a->evidence, sizeof(a->evidence), "%s " APT_KEY " \"%s\" (the last to set it)",
			 v.where, v.value);
	else
		snprintf(a->evidence, sizeof(a->evidence),
			 "no " APT_KEY " in " APT_CONF_D "/* or " APT_CONF);
	snprintf(a->fix, sizeof(a->fix), UU_FIX);
	return 0;
}

/* --- host.daemon_privileges ----------------------------------------------- */

/* What /proc/PID/status and cmdline say of one process. */
struct proc_facts {
	char pid[16];
	char ifname[32]; /* the last operand of its command line; "" if none */
	long euid;       /* -1 when not read */
	uint64_t cap_eff, cap_bnd;
	int no_new_privs; /* -1 when not read */
};

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* The interface a daemon serves: its last argument that is no option
 * (rampartd [-f] [--stats-group G] IFNAME, wireguard-go [-f] IFNAME). */
static void cmdline_ifname(struct audit_facts *f, struct proc_facts *p)
{
	char path[64], *buf;
	size_t len;
	bool skip = false;

	p->ifname[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%s/cmdline", p->pid);
	if (read_fact(f, path, &buf, &len))
		return;
	for (size_t off = strlen(buf) + 1; off < len; off += strlen(buf + off) + 1) {
		const char *arg = buf + off;

		if (skip)
			skip = false;
		else if (!strcmp(arg, "--stats-group"))
			skip = true;
		else if (arg[0] != '-')
			snprintf(p->ifname, sizeof(p->ifname), "%s", arg);
	}
	textbuf_free_text(buf, len);
}

static bool read_status(struct audit_facts *f, struct proc_facts *p)
{
	char path[64], *buf, *next, *line;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%s/status", p->pid);
	if (read_fact(f, path, &buf, &len))
		return false;
	p->euid = -1;
	p->no_new_privs = -1;
	p->cap_eff = p->cap_bnd = 0;
	next = buf;
	while ((line = next_line(&next))) {
		long uid;

		if (sscanf(line, "Uid: %*d %ld", &uid) == 1)
			p->euid = uid;
		else if (sscanf(line, "CapEff: %" SCNx64, &p->cap_eff) == 1 ||
			 sscanf(line, "CapBnd: %" SCNx64, &p->cap_bnd) == 1)
			continue;
		else if (sscanf(line, "NoNewPrivs: %d", &p->no_new_privs) == 1)
			continue;
	}
	textbuf_free_text(buf, len);
	cmdline_ifname(f, p);
	return true;
}

/* src/daemon/privsep.h: rampartd keeps CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE, and sets no_new_privs. */
static int check_rampartd(const struct proc_facts *p, struct audit_list *out,
			  struct error *err)
{
	const uint64_t keep = 1ull << CAP_NET_ADMIN_BIT | 1ull << CAP_NET_BIND_SERVICE_BIT;
	bool extra = p->cap_eff & ~keep, nnp = p->no_new_privs == 1;
	struct audit_finding *a;

	if (!extra && nnp)
		return 0;
	a = audit_add(out, "host.daemon_privileges", AUDIT_WARNING, SEED_PRIVS);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message), "rampartd%s%s runs with %s%s%s", p->ifname[0] ? " for " : "",
		 p->ifname, extra ? "capabilities beyond CAP_NET_ADMIN and CAP_NET_BIND_SERVICE" : "",
		 extra && !nnp ? " and " : "", nnp ? "" : "no_new_privs unset");
	snprintf(a->evidence, sizeof(a->evidence),
		 "/proc/%s/status: pid %s, interface %s, CapEff %016" PRIx64 ", NoNewPrivs %d", p->pid,
		 p->pid, p->ifname[0] ? p->ifname : "unknown", p->cap_eff, p->no_new_privs);
	snprintf(a->fix, sizeof(a->fix),
		 "rampart down %s && rampart up %s, with this release's rampartd (it drops them at "
		 "start; its log says why when it cannot)", p->ifname[0] ? p->ifname : "IFNAME",
		 p->ifname[0] ? p->ifname : "IFNAME");
	return 0;
}

/* wireguard-go never drops what it starts with: as root, that is every
 * capability of its bounding set, CAP_SYS_ADMIN among them. */
static int check_wireguard_go(const struct proc_facts *p, struct audit_list *out,
			      struct error *err)
{
	struct audit_finding *a;

	if (p->euid != 0 || (p->cap_eff & p->cap_bnd) != p->cap_bnd ||
	    !(p->cap_eff >> CAP_SYS_ADMIN_BIT & 1))
		return 0;
	a = audit_add(out, "host.daemon_privileges", AUDIT_INFO, SEED_PRIVS);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message),
		 "wireguard-go%s%s runs as root with every capability, for as long as it runs",
		 p->ifname[0] ? " for " : "", p->ifname);
	snprintf(a->evidence, sizeof(a->evidence),
		 "/proc/%s/status: pid %s, interface %s, uid 0, CapEff %016" PRIx64, p->pid, p->pid,
		 p->ifname[0] ? p->ifname : "unknown", p->cap_eff);
	snprintf(a->fix, sizeof(a->fix),
		 "rampart up %s (rampartd keeps CAP_NET_ADMIN alone), or start wireguard-go from a "
		 "unit with CapabilityBoundingSet=CAP_NET_ADMIN", p->ifname[0] ? p->ifname : "IFNAME");
	return 0;
}

/* A process of another network namespace serves another host's
 * interfaces (a container, a test's namespace): not this audit's.  When
 * either side cannot be read, the process counts. */
static bool other_netns(struct audit_facts *f, const char *pid, const char *self_ns)
{
	struct error why = { 0 };
	char path[64], ns[64];

	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	return self_ns[0] && !audit_readlink(f, path, ns, sizeof(ns), &why) && strcmp(ns, self_ns);
}

static int check_pid(struct audit_facts *f, const char *pid, const char *self_ns,
		     struct audit_list *out, struct error *err)
{
	struct proc_facts p;
	struct error why = { 0 };
	char path[64], *buf;
	size_t len;
	bool rampartd, wggo;
	int ret;

	memset(&p, 0, sizeof(p));
	snprintf(p.pid, sizeof(p.pid), "%s", pid);
	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	/* A process that ended since the listing is gone, not a gap. */
	ret = audit_read(f, path, &buf, &len, &why);
	if (ret)
		return ret == -ENOMEM ? nomem(err) : 0;
	buf[strcspn(buf, "\n")] = '\0';
	rampartd = !strcmp(buf, "rampartd");
	wggo = !strcmp(buf, "wireguard-go");
	textbuf_free_text(buf, len);
	if ((!rampartd && !wggo) || other_netns(f, pid, self_ns) || !read_status(f, &p))
		return 0;
	return rampartd ? check_rampartd(&p, out, err) : check_wireguard_go(&p, out, err);
}

int audit_host_daemon_privileges(struct audit_facts *f, const struct audit_iface *ifs,
				 size_t n, struct audit_list *out, struct error *err)
{
	struct error why = { 0 };
	char **names = NULL, self_ns[64];
	size_t m = 0;
	int ret = audit_list_dir(f, "/proc", &names, &m, &why);

	(void)ifs;
	(void)n;
	if (ret)
		return ret == -ENOMEM ? nomem(err) : 0;
	/* The audit's own namespace: /proc/self is the reader on a host. */
	if (audit_readlink(f, "/proc/self/ns/net", self_ns, sizeof(self_ns), &why))
		self_ns[0] = '\0';
	for (size_t i = 0; i < m && !ret; i++)
		if (all_digits(names[i]))
			ret = check_pid(f, names[i], self_ns, out, err);
	audit_names_free(names, m);
	return ret;
}

/* --- host.unit_hardening -------------------------------------------------- */

/* systemd's unit directories, the one that wins first. */
static const char *const unit_dirs[] = {
	"/etc/systemd/system", "/run/systemd/system", "/usr/local/lib/systemd/system",
	"/usr/lib/systemd/system", "/lib/systemd/system",
};
enum { N_UNIT_DIRS = sizeof(unit_dirs) / sizeof(unit_dirs[0]), DROPINS_MAX = 64 };

static bool is_yes(const char *v)
{
	return !strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
	       !strcmp(v, "1");
}

static bool is_no(const char *v)
{
	return !strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
	       !strcmp(v, "0");
}

static bool protect_system_ok(const char *v)
{
	return !strcmp(v, "strict") || !strcmp(v, "full");
}

/* "~" alone keeps every capability (all but none). */
static bool caps_ok(const char *v)
{
	return strcmp(v, "~") != 0;
}

static bool nonempty_ok(const char *v)
{
	return *v && strcmp(v, "~") != 0;
}

static bool namespaces_ok(const char *v)
{
	return nonempty_ok(v) && !is_no(v);
}

static bool umask_ok(const char *v)
{
	char *end;
	unsigned long m = strtoul(v, &end, 8);

	return *v && !*end && (m & 077) == 077;
}

/* Seed 000's directives and those that make its "least privilege" hold;
 * the value is what the fix proposes. */
static const struct directive {
	const char *key, *want;
	bool (*ok)(const char *v);
	bool empty_counts; /* "Key=" is a setting (the empty capability set), not a reset */
} directives[] = {
	{ "NoNewPrivileges", "yes", is_yes, false },
	{ "ProtectSystem", "strict", protect_system_ok, false },
	{ "ProtectHome", "yes", is_yes, false },
	{ "PrivateTmp", "yes", is_yes, false },
	{ "CapabilityBoundingSet", "CAP_NET_ADMIN", caps_ok, true },
	{ "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6 AF_NETLINK", nonempty_ok, false },
	{ "SystemCallFilter", "@system-service", nonempty_ok, false },
	{ "MemoryDenyWriteExecute", "yes", is_yes, false },
	{ "LockPersonality", "yes", is_yes, false },
	{ "RestrictNamespaces", "yes", namespaces_ok, false },
	{ "UMask", "0077", umask_ok, false },
};
enum { N_DIRECTIVES = sizeof(directives) / sizeof(directives[0]) };

/* A unit's [Service] settings after its file and drop-ins, in order. */
struct unit_state {
	bool set[N_DIRECTIVES];
	char value[N_DIRECTIVES][VALUE_MAX];
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* The later assignment wins; an empty one resets the setting. */
static void unit_scan(char *buf, struct unit_state *u)
{
	char *next = buf, *line;
	bool service = false;

	while ((line = next_line(&next))) {
		char *eq, *key, *val;

		line = trim(line);
		if (*line == '[') {
			service = !strcmp(line, "[Service]");
			continue;
		}
		if (!service || *line == '#' || *line == ';' || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		for (size_t d = 0; d < N_DIRECTIVES; d++) {
			if (strcmp(key, directives[d].key))
				continue;
			u->set[d] = *val || directives[d].empty_counts;
			snprintf(u->value[d], sizeof(u->value[d]), "%s", val);
		}
	}
}

static bool unit_wanted(const char *name)
{
	size_t l = strlen(name);

	return !strcmp(name, "rampartd@.service") || !strcmp(name, "rampartd-engine@.service") ||
	       !strcmp(name, "rampart@.service") || !strcmp(name, "wg-quick@.service") ||
	       (!strncmp(name, "rampart-", 8) && l > 16 && !strcmp(name + l - 8, ".service"));
}

/* A file under the root and what it says into u; false when it cannot
 * be read. */
static bool scan_file(struct audit_facts *f, const char *path, struct unit_state *u)
{
	char *buf;
	size_t len;

	if (read_fact(f, path, &buf, &len))
		return false;
	unit_scan(buf, u);
	textbuf_free_text(buf, len);
	return true;
}

struct dropin {
	char name[128];
	char path[384];
};

static int cmp_dropin(const void *a, const void *b)
{
	return strcmp(((const struct dropin *)a)->name, ((const struct dropin *)b)->name);
}

/* The drop-ins of unit: NAME.d/ *.conf in every unit directory, one per
 * file name (the first directory's, which masks the others, as systemd
 * has it), in lexical order of the file name, which is the order
 * systemd applies them in. */
static int collect_dropins(struct audit_facts *f, const char *unit, struct dropin *v,
			   size_t *n, struct error *err)
{
	*n = 0;
	for (size_t i = 0; i < N_UNIT_DIRS; i++) {
		char dir[320], **names = NULL;
		size_t m = 0;
		struct error why = { 0 };
		int ret;

		snprintf(dir, sizeof(dir), "%s/%.128s.d", unit_dirs[i], unit);
		ret = audit_list_dir(f, dir, &names, &m, &why);
		if (ret == -ENOMEM)
			return nomem(err);
		for (size_t j = 0; j < m && *n < DROPINS_MAX; j++) {
			size_t l = strlen(names[j]), k = 0;

			if (l <= 5 || l >= sizeof(v->name) || strcmp(names[j] + l - 5, ".conf"))
				continue;
			while (k < *n && strcmp(v[k].name, names[j]))
				k++;
			if (k < *n)
				continue;
			snprintf(v[*n].name, sizeof(v->name), "%s", names[j]);
			snprintf(v[*n].path, sizeof(v->path), "%s/%s", dir, names[j]);
			(*n)++;
		}
		audit_names_free(names, m);
	}
	qsort(v, *n, sizeof(*v), cmp_dropin);
	return 0;
}

/* What the unit lacks: "Key" for a directive not set, "Key=value" for
 * one set weaker than wanted; and the fix's lines. */
static size_t unit_gaps(const struct unit_state *u, char *gaps, size_t gsize, char *fix,
			size_t fsize)
{
	size_t k = 0, go = 0, fo = 0;

	gaps[0] = fix[0] = '\0';
	for (size_t d = 0; d < N_DIRECTIVES; d++) {
		const struct directive *x = &directives[d];

		if (u->set[d] && x->ok(u->value[d]))
			continue;
		if (go < gsize)
			go += (size_t)snprintf(gaps + go, gsize - go, "%s%s%s%.60s", k ? ", " : "",
					       x->key, u->set[d] ? "=" : "", u->set[d] ? u->value[d] : "");
		if (fo < fsize)
			fo += (size_t)snprintf(fix + fo, fsize - fo, " %s=%s", x->key, x->want);
		k++;
	}
	return k;
}

static int audit_unit(struct audit_facts *f, const char *dir, const char *unit,
		      struct audit_list *out, struct error *err)
{
	struct unit_state u;
	struct dropin *v = calloc(DROPINS_MAX, sizeof(*v));
	char path[320], seen[256] = "", gaps[400], fix[400];
	struct audit_finding *a;
	size_t n = 0, so = 0, k;
	int ret;

	if (!v)
		return nomem(err);
	memset(&u, 0, sizeof(u));
	snprintf(path, sizeof(path), "%s/%.128s", dir, unit);
	ret = scan_file(f, path, &u) ? collect_dropins(f, unit, v, &n, err) : 0;
	for (size_t i = 0; !ret && i < n; i++)
		if (scan_file(f, v[i].path, &u) && so < sizeof(seen))
			so += (size_t)snprintf(seen + so, sizeof(seen) - so, "%s%s", so ? ", " : "",
					       v[i].path);
	free(v);
	k = unit_gaps(&u, gaps, sizeof(gaps), fix, sizeof(fix));
	if (ret || !k)
		return ret;
	a = audit_add(out, "host.unit_hardening", AUDIT_WARNING, SEED_UNITS);
	if (!a)
		return nomem(err);
	snprintf(a->message, sizeof(a->message),
		 "the unit %s lacks %zu of the hardening directives (missing or weaker)", unit, k);
	snprintf(a->evidence, sizeof(a->evidence), "%.160s%s%.180s: [Service] without %.240s",
		 path, so ? " with drop-ins " : "", seen, gaps);
	snprintf(a->fix, sizeof(a->fix), "systemctl edit %s, and under [Service]:%.400s", unit, fix);
	return 0;
}

int audit_host_unit_hardening(struct audit_facts *f, const struct audit_iface *ifs,
			      size_t n, struct audit_list *out, struct error *err)
{
	char *seen[DROPINS_MAX];
	size_t n_seen = 0;
	int ret = 0;

	(void)ifs;
	(void)n;
	for (size_t i = 0; i < N_UNIT_DIRS && !ret; i++) {
		char **names = NULL;
		size_t m = 0;
		struct error why = { 0 };

		ret = audit_list_dir(f, unit_dirs[i], &names, &m, &why);
		if (ret)
			ret = ret == -ENOMEM ? nomem(err) : 0;
		for (size_t j = 0; j < m && !ret; j++) {
			char path[320];
			struct stat st;
			size_t s = 0;

			while (s < n_seen && strcmp(seen[s], names[j]))
				s++;
			if (!unit_wanted(names[j]) || s < n_seen || n_seen == DROPINS_MAX)
				continue;
			/* The first directory with the name decides, even when it
			 * masks the unit (a link to /dev/null): not read. */
			seen[n_seen++] = names[j];
			names[j] = NULL;
			snprintf(path, sizeof(path), "%s/%s", unit_dirs[i], seen[n_seen - 1]);
			if (!audit_stat(f, path, &st, &why) && S_ISREG(st.st_mode))
				ret = audit_unit(f, unit_dirs[i], seen[n_seen - 1], out, err);
		}
		audit_names_free(names, m);
	}
	for (size_t s = 0; s < n_seen; s++)
		free(seen[s]);
	return ret;
}
