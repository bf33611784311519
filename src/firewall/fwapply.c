#include "fwapply.h"

#include "firewall.h"
#include "nft.h"
#include "sys/netlink.h"
#include "sys/nftables.h"
#include "sys/resolve.h"
#include "nftpolicy.h"
#include "policy.h"
#include "sysctls.h"
#include "sys/sysctl.h"
#include "conf/wgconf.h"
#include "ctl/socket.h"
#include "uapi/device.h"

#include "common/error.h"
#include "conf/config.h"
#include "common/fileio.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where apply records the sysctls it changed: FIREWALL_STATE_DIR/IF.sysctls. */
#define SYSCTLS_RECORD_SUFFIX ".sysctls"

enum {
	/* Endpoints a kill switch lets through, all peers together. */
	ENDPOINTS_MAX = 4096,
	RECORD_FILE_MAX = 64 << 10,
};

/* A progress line, to the caller's ui (firewall.h) if it takes them. */
static void __attribute__((format(printf, 2, 3))) say(const struct firewall_ui *ui,
						      const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (!ui || !ui->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ui->progress(ui->arg, line);
}

/* --- facts ------------------------------------------------------------------ */

struct facts {
	struct nftpolicy_facts f;
	char wan[16];
	struct nftpolicy_endpoint *eps;
	size_t n_eps;
	bool session_note; /* the session is allowed only because it runs this */
};

static void facts_uninit(struct facts *x)
{
	free(x->eps);
	memset(x, 0, sizeof(*x));
}

/* The first default route of the main table, IPv4 before IPv6 (`ip route
 * show default`).  No netlink request may be made from inside a dump. */
static int on_default(const struct netlink_route *r, void *arg)
{
	if (r->table != NETLINK_TABLE_MAIN || r->dst.cidr || r->cloned || !r->oif)
		return 0;
	*(unsigned *)arg = r->oif;
	return 1;
}

static void detect_wan(struct netlink *nl, char wan[16])
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct netlink_link l;
	unsigned oif = 0;

	wan[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(fams) && !oif; i++)
		if (netlink_route_dump(nl, fams[i], on_default, &oif) < 0)
			oif = 0;
	if (oif && !netlink_link_get(nl, NULL, oif, &l))
		snprintf(wan, 16, "%s", l.name);
}

static int add_endpoint(struct facts *x, const struct netaddr *a, uint16_t port)
{
	struct nftpolicy_endpoint *n;

	for (size_t i = 0; i < x->n_eps; i++)
		if (x->eps[i].port == port && netaddr_equal(&x->eps[i].addr, a))
			return 0;
	if (x->n_eps >= ENDPOINTS_MAX)
		return -E2BIG;
	n = realloc(x->eps, (x->n_eps + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	x->eps = n;
	x->eps[x->n_eps].addr = *a;
	x->eps[x->n_eps++].port = port;
	return 0;
}

struct resolved {
	struct facts *x;
	uint16_t port;
};

static int add_resolved(void *arg, const struct netaddr *a)
{
	struct resolved *r = arg;

	return add_endpoint(r->x, a, r->port);
}

/* Every address a peer's endpoint stands for: a kill switch must let the
 * tunnel reach whichever one the daemon picks (and roams to). */
static int resolve_endpoints(struct facts *x, const struct conf *conf, struct error *err)
{
	for (size_t i = 0; i < conf->n_peers; i++) {
		const struct netaddr_endpoint *e = &conf->peers[i].endpoint;
		struct resolved r = { x, e->port };
		struct error why = { 0 };
		int ret;

		if (!conf->peers[i].has_endpoint)
			continue;
		if (e->literal)
			ret = add_endpoint(x, &e->addr, e->port);
		else
			ret = resolve_each(e->host, e->port, add_resolved, &r, &why);
		if (ret == -EHOSTUNREACH)
			return error_fail(err, ret,
				    "kill switch: cannot resolve the endpoint `%s:%u' of peer %zu "
				    "(line %u): %s; the tunnel could not get out",
				    e->host, e->port, i + 1, conf->peers[i].endpoint_line,
				    why.msg);
		if (ret)
			return error_fail(err, ret, "kill switch: %s", strerror(-ret));
	}
	return 0;
}

static bool session_covered(const struct policy *pol, const struct facts *x)
{
	struct netaddr_prefix host = { .addr = x->f.ssh_client,
				       .cidr = x->f.ssh_client.family == AF_INET ? 32 : 128 };

	if (x->f.ssh_server_port != pol->ssh_port)
		return false;
	if (pol->ssh_any)
		return true;
	for (size_t i = 0; i < pol->n_ssh_from; i++) {
		struct netaddr_prefix p = pol->ssh_from[i].prefix;

		netaddr_prefix_mask(&p);
		if (netaddr_prefix_contains(&p, &host))
			return true;
	}
	return false;
}

/* Everything the renderer needs to know about this host. */
static int gather(struct facts *x, const char *ifname, const struct conf *conf,
		  const struct policy *pol, struct error *err)
{
	const char *ssh = getenv("SSH_CONNECTION");
	struct netlink *nl = netlink_open();
	struct netlink_link link;
	int ret;

	memset(x, 0, sizeof(*x));
	x->f.ifname = ifname;
	if (pol->wan[0])
		snprintf(x->wan, sizeof(x->wan), "%s", pol->wan);
	else if (nl)
		detect_wan(nl, x->wan);
	x->f.wan = x->wan;
	if (pol->any_egress && pol->forwards && !x->wan[0]) {
		netlink_close(nl);
		return error_fail(err, -EINVAL,
			    "a peer has Egress = on, but this host has no default route to find the "
			    "WAN interface by: set WANInterface in [Policy]");
	}

	/* The port: the file's, else the one the running interface chose. */
	if (conf->has_listen_port) {
		x->f.listen_port = conf->listen_port;
	} else {
		struct uapi_device *dev = NULL;
		struct error e;

		if (!wgctl_get_device(ifname, &dev, &e)) {
			if ((dev->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && dev->listen_port)
				x->f.listen_port = dev->listen_port;
			uapi_device_free(dev);
		}
	}
	if (conf->has_mtu)
		x->f.mtu = conf->mtu;
	else if (nl && !netlink_link_get(nl, ifname, 0, &link))
		x->f.mtu = link.mtu;
	netlink_close(nl);

	if (ssh && *ssh && firewall_parse_ssh_connection(ssh, &x->f.ssh_client, &x->f.ssh_server_port)) {
		x->f.has_ssh_session = true;
		x->session_note = !session_covered(pol, x);
	}
	if (pol->kill_switch) {
		ret = resolve_endpoints(x, conf, err);
		if (ret)
			return ret;
		x->f.endpoints = x->eps;
		x->f.n_endpoints = x->n_eps;
	}
	return 0;
}

static int resolve(const struct conf *conf, const char *filename, struct policy *pol,
		   struct error *err)
{
	struct error werr;
	int ret = policy_resolve(conf, filename, pol, &werr);

	if (ret) {
		char msg[ERROR_STRLEN];

		error_format(&werr, msg, sizeof(msg));
		return error_fail(err, ret, "%s", msg);
	}
	return 0;
}

/* tenant: the interface is in a tenant namespace (the caller is in it),
 * and the WireGuard port's rules are the uplink table's, in the namespace
 * of the UDP sockets (fwapply_apply_uplink). */
static int render(const char *ifname, const struct conf *conf, const struct policy *pol,
		  bool tenant, struct facts *x, struct textbuf *out, struct error *err)
{
	int ret;

	if (!firewall_valid_ifname(ifname))
		return error_fail(err, -EINVAL,
			    "`%s' cannot name an nftables table: use letters, digits, '_', '-' and '.'",
			    ifname);
	if (!pol->enabled) {
		nftpolicy_render_delete(out, ifname);
		return out->err;
	}
	ret = gather(x, ifname, conf, pol, err);
	if (ret)
		return ret;
	if (tenant)
		x->f.listen_port = 0;
	nftpolicy_render(out, conf, pol, &x->f);
	if (out->err)
		return error_fail(err, out->err, "%s", strerror(-out->err));
	return 0;
}

int fwapply_render(const char *ifname, const struct conf *conf, const char *filename,
		   struct textbuf *out, struct error *err)
{
	struct policy pol;
	struct facts x = { 0 };
	int ret = resolve(conf, filename, &pol, err);

	if (!ret)
		ret = render(ifname, conf, &pol, false, &x, out, err);
	facts_uninit(&x);
	return ret;
}

/* --- sysctls ---------------------------------------------------------------- */

static int plan_sysctls(const char *ifname, const struct conf *conf, const struct policy *pol,
			const char *wan, struct sysctls_plan *plan, struct error *err)
{
	struct sysctls_input in = { .ifname = ifname, .wan = wan };
	int ret;

	in.role = pol->role == POLICY_ROLE_HUB ? SYSCTLS_ROLE_HUB :
		  pol->role == POLICY_ROLE_SITE ? SYSCTLS_ROLE_SITE : SYSCTLS_ROLE_CLIENT;
	in.full_tunnel = pol->full_tunnel &&
			 !(conf->has_table && conf->table.kind == CONF_TABLE_OFF);
	for (size_t i = 0; i < conf->n_addresses; i++) {
		if (conf->addresses[i].prefix.addr.family == AF_INET)
			in.ipv4 = true;
		else
			in.ipv6 = true;
	}
	for (size_t p = 0; p < conf->n_peers; p++)
		for (size_t i = 0; i < conf->peers[p].n_allowed_ips; i++) {
			if (conf->peers[p].allowed_ips[i].prefix.addr.family == AF_INET)
				in.ipv4 = true;
			else
				in.ipv6 = true;
		}
	ret = sysctls_plan(&in, plan, err);
	if (ret)
		return ret;
	/* The policy may be applied before the interface exists (`rampart
	 * firewall apply` ahead of `up`): its own keys appear with it, and
	 * `up` sets them then. */
	for (int f = 0; f < 2; f++) {
		char dir[64];
		size_t n;

		/* net.ipvN.conf.IFNAME, with '.' in IFNAME written '/'. */
		n = (size_t)snprintf(dir, sizeof(dir), "net.%s.conf.", f ? "ipv6" : "ipv4");
		for (size_t j = 0; ifname[j] && n + 1 < sizeof(dir); j++)
			dir[n++] = ifname[j] == '.' ? '/' : ifname[j];
		dir[n] = '\0';
		if (sysctl_exists(SYSCTL_PROC_ROOT, dir))
			continue;
		for (size_t i = 0; i < plan->n; i++)
			if (!strncmp(plan->s[i].key, dir, n) && plan->s[i].key[n] == '.')
				plan->s[i].optional = true;
	}
	return 0;
}

static void record_name(char *buf, size_t size, const char *ifname)
{
	snprintf(buf, size, "%s%s", ifname, SYSCTLS_RECORD_SUFFIX);
}

/* FIREWALL_STATE_DIR, open and flocked: a record's read, change and write
 * are one step, also between `rampart up` and `rampart firewall apply`
 * (which does not take up's lock on the interface).  Closing it unlocks.
 * Under the lock no writer of ifname's record is live, so a temporary of
 * it is what a killed one left, and goes. */
static int state_dir(const char *ifname, struct error *err)
{
	char name[64];
	int fd;

	if (mkdir(FIREWALL_STATE_DIR, 0755) < 0 && errno != EEXIST)
		return error_fail(err, -errno, "%s: %s", FIREWALL_STATE_DIR, strerror(errno));
	fd = open(FIREWALL_STATE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_fail(err, -errno, "%s: %s", FIREWALL_STATE_DIR, strerror(errno));
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int e = errno;

			close(fd);
			return error_fail(err, -e, "cannot lock %s: %s", FIREWALL_STATE_DIR,
					  strerror(e));
		}
	}
	record_name(name, sizeof(name), ifname);
	fileio_remove_temporaries(fd, name);
	return fd;
}

/* The record of earlier applies; empty if none. */
static int record_load(int dirfd, const char *ifname, struct sysctls_applied *rec,
		       struct error *err)
{
	char name[64], *text = NULL;
	size_t len = 0;
	int fd, ret;

	memset(rec, 0, sizeof(*rec));
	record_name(name, sizeof(name), ifname);
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : error_fail(err, -errno, "%s/%s: %s",
						  FIREWALL_STATE_DIR, name, strerror(errno));
	ret = fileio_read_bounded(fd, RECORD_FILE_MAX, &text, &len);
	close(fd);
	if (!ret && len > RECORD_FILE_MAX)
		ret = -EFBIG;
	if (!ret)
		ret = sysctls_applied_parse(text, len, rec, err);
	else
		error_fail(err, ret, "%s/%s: %s", FIREWALL_STATE_DIR, name, strerror(-ret));
	textbuf_free_text(text, len);
	return ret;
}

static int record_save(int dirfd, const char *ifname, const struct sysctls_applied *rec,
		       struct error *err)
{
	struct textbuf t = { 0 };
	char name[64];
	int ret;

	record_name(name, sizeof(name), ifname);
	if (!rec->n) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return error_fail(err, -errno, "%s/%s: %s", FIREWALL_STATE_DIR, name,
				    strerror(errno));
		return 0;
	}
	textbuf_append(&t, "", 0);
	sysctls_applied_format(&t, rec);
	ret = t.err ? t.err : fileio_write_atomic(dirfd, name, t.buf, t.len, 0600);
	textbuf_wipe(&t);
	if (ret)
		return error_fail(err, ret, "%s/%s: %s", FIREWALL_STATE_DIR, name, strerror(-ret));
	return 0;
}

struct sysctls_record {
	int dirfd;
	const char *ifname;
	struct sysctls_applied rec; /* what earlier applies changed */
};

/* rec with done merged in: a key already there keeps its first previous
 * value (that is what down restores) and takes the new set value.  Keys
 * that done took back again (a failed apply) are left out. */
static void record_merge(struct sysctls_applied *out, const struct sysctls_applied *rec,
			 const struct sysctls_applied *done)
{
	*out = *rec;
	for (size_t i = 0; i < done->n; i++) {
		const struct sysctls_change *d = &done->c[i];
		bool known = false;

		if (d->undo != SYSCTLS_UNDO_NONE && d->undo != SYSCTLS_UNDO_FAILED)
			continue;
		for (size_t j = 0; j < out->n; j++)
			if (!strcmp(out->c[j].key, d->key)) {
				snprintf(out->c[j].set, sizeof(out->c[j].set), "%s", d->set);
				known = true;
			}
		if (!known && out->n < ARRAY_SIZE(out->c))
			out->c[out->n++] = *d;
	}
}

/* sysctls_apply_recorded's hook: the record on disk names a key before it
 * is written, so that a `rampart up` killed in between leaves a record
 * from which down restores what did change. */
static int record_ahead(const struct sysctls_applied *done, void *arg, struct error *err)
{
	struct sysctls_record *r = arg;
	struct sysctls_applied merged;

	record_merge(&merged, &r->rec, done);
	return record_save(r->dirfd, r->ifname, &merged, err);
}

/* Applies the plan, recording each change ahead of it. */
static int apply_sysctls(const char *ifname, const struct sysctls_plan *plan,
			 const struct firewall_ui *ui,
			 struct error *err)
{
	struct sysctls_record r = { .ifname = ifname };
	struct sysctls_applied done, merged;
	int ret;

	done.n = 0;

	r.dirfd = state_dir(ifname, err);
	if (r.dirfd < 0)
		return r.dirfd;
	ret = record_load(r.dirfd, ifname, &r.rec, err);
	if (!ret)
		ret = sysctls_apply_recorded(SYSCTL_PROC_ROOT, plan, &done, record_ahead, &r, err);
	if (ret && done.n) {
		/* Taken back (or not) already: the record keeps only what is
		 * still changed.  The apply's error is the one reported; if
		 * this save fails too, the record names keys that are back at
		 * their previous value, which restore leaves alone. */
		record_merge(&merged, &r.rec, &done);
		(void)!record_save(r.dirfd, ifname, &merged, NULL);
	}
	for (size_t i = 0; !ret && i < done.n; i++)
		say(ui, "sysctl -w %s=%s", done.c[i].key, done.c[i].set);
	close(r.dirfd);
	return ret;
}

static int restore_sysctls(const char *ifname, const struct firewall_ui *ui, struct error *err)
{
	struct sysctls_applied rec;
	int dirfd = state_dir(ifname, err), ret;

	if (dirfd < 0)
		return dirfd;
	ret = record_load(dirfd, ifname, &rec, err);
	if (!ret && rec.n) {
		ret = sysctls_restore(SYSCTL_PROC_ROOT, &rec, err);
		for (size_t i = 0; i < rec.n; i++) {
			if (rec.c[i].undo == SYSCTLS_UNDO_RESTORED)
				say(ui, "sysctl -w %s=%s", rec.c[i].key, rec.c[i].prev);
			else if (rec.c[i].undo == SYSCTLS_UNDO_KEPT)
				say(ui, "sysctl %s was changed since: left alone", rec.c[i].key);
		}
		if (!ret) {
			rec.n = 0;
			ret = record_save(dirfd, ifname, &rec, err);
		}
	}
	close(dirfd);
	return ret;
}

/* --- apply --------------------------------------------------------------------- */

int fwapply_apply(const char *ifname, const struct conf *conf, const char *filename,
		  const struct fwapply_opts *opts, bool *kept, struct error *err)
{
	struct firewall_apply_opts fo = { .confirm_secs = opts->confirm_secs, .ui = opts->ui };
	struct textbuf batch = { 0 };
	struct sysctls_plan plan;
	struct facts x = { 0 };
	struct policy pol;
	char table[FIREWALL_TABLE_STRLEN];
	int ret;

	*kept = false;
	ret = resolve(conf, filename, &pol, err);
	if (ret)
		return ret;
	ret = render(ifname, conf, &pol, opts->tenant, &x, &batch, err);
	if (ret)
		goto out;
	if (firewall_table_name(table, ifname)) {
		ret = error_fail(err, -EINVAL, "invalid interface name `%s'", ifname);
		goto out;
	}
	if (!pol.enabled) {
		bool had_window;

		say(opts->ui, "Policy = off: no table inet %s", table);
		ret = firewall_flush(ifname, &had_window, err);
		if (!ret)
			ret = restore_sysctls(ifname, opts->ui, err);
		*kept = !ret;
		goto out;
	}
	ret = plan_sysctls(ifname, conf, &pol, x.wan, &plan, err);
	if (ret)
		goto out;

	say(opts->ui, "nft: table inet %s, role %s (%s)", table, policykeys_role_name(pol.role),
	    pol.role_reason);
	if (x.session_note) {
		char ip[NETADDR_IP_STRLEN];

		say(opts->ui,
		    "keeping SSH from %s to port %u open: the policy would cut the session this "
		    "command runs in (add it to SSHFrom to keep it for good)",
		    netaddr_format_ip(ip, &x.f.ssh_client), x.f.ssh_server_port);
	}
	ret = firewall_apply(ifname, batch.buf, &fo, kept, err);
	if (ret || !*kept)
		goto out;
	ret = apply_sysctls(ifname, &plan, opts->ui, err);
	if (!ret && opts->persist_sysctls) {
		char path[256];

		ret = sysctls_persist(SYSCTL_CONF_DIR, &plan, err);
		if (!ret && !sysctl_persist_path(path, sizeof(path), SYSCTL_CONF_DIR, ifname))
			say(opts->ui, "wrote %s", path);
	}
	if (ret)
		error_prefix(err, "table inet %s is applied, but the sysctls are not", table);
out:
	textbuf_wipe(&batch);
	facts_uninit(&x);
	return ret;
}

int fwapply_remove(const char *ifname, const struct firewall_ui *ui, struct error *err)
{
	char table[FIREWALL_TABLE_STRLEN];
	bool had_window = false;
	int ret;

	if (firewall_table_name(table, ifname))
		return 0; /* no table can exist for such a name */
	ret = firewall_flush(ifname, &had_window, err);
	if (!ret)
		ret = firewall_forget(ifname, err);
	if (ret)
		return ret;
	say(ui, "nft delete table inet %s", table);
	return restore_sysctls(ifname, ui, err);
}

int fwapply_apply_uplink(const char *ifname, const struct conf *conf, const char *filename,
			 const struct firewall_ui *ui, bool *applied, struct error *err)
{
	char table[FIREWALL_TABLE_STRLEN];
	struct textbuf batch = { 0 };
	struct facts x = { 0 };
	struct policy pol;
	int ret;

	*applied = false;
	ret = resolve(conf, filename, &pol, err);
	if (ret || !pol.enabled)
		return ret;
	if (firewall_table_name(table, ifname))
		return error_fail(err, -EINVAL, "invalid interface name `%s'", ifname);
	ret = gather(&x, ifname, conf, &pol, err);
	if (!ret && x.f.listen_port) {
		nftpolicy_render_uplink(&batch, &pol, &x.f);
		say(ui, "nft: table inet %s here, for the WireGuard port %u", table,
		    x.f.listen_port);
		ret = batch.err ? error_fail(err, batch.err, "%s", strerror(-batch.err))
				: nftables_exec(batch.buf, false, 0, NULL, 0, err);
		*applied = !ret;
	}
	textbuf_wipe(&batch);
	facts_uninit(&x);
	return ret;
}

int fwapply_remove_uplink(const char *ifname, const struct firewall_ui *ui, struct error *err)
{
	char table[FIREWALL_TABLE_STRLEN];

	if (firewall_table_name(table, ifname))
		return 0;
	say(ui, "nft delete table inet %s", table);
	return nft_delete_table(table, err);
}

int fwapply_forget(const char *ifname, struct error *err)
{
	struct sysctls_applied none = { .n = 0 };
	int dirfd, ret = firewall_forget(ifname, err);

	if (ret)
		return ret;
	dirfd = state_dir(ifname, err);
	if (dirfd < 0)
		return dirfd;
	ret = record_save(dirfd, ifname, &none, err);
	close(dirfd);
	return ret;
}

int fwapply_report_sysctls(const char *ifname, const struct conf *conf, const char *filename,
			   struct textbuf *out, bool *all_ok, struct error *err)
{
	struct sysctls_report rep;
	struct sysctls_plan plan;
	struct policy pol;
	char wan[16] = "";
	struct netlink *nl;
	int ret;

	*all_ok = true;
	ret = resolve(conf, filename, &pol, err);
	if (ret)
		return ret;
	if (!pol.enabled) {
		textbuf_printf(out, "sysctls: none (Policy = off)\n");
		return 0;
	}
	if (pol.wan[0])
		snprintf(wan, sizeof(wan), "%s", pol.wan);
	else if ((nl = netlink_open())) {
		detect_wan(nl, wan);
		netlink_close(nl);
	}
	ret = plan_sysctls(ifname, conf, &pol, wan, &plan, err);
	if (!ret)
		ret = sysctls_report(SYSCTL_PROC_ROOT, &plan, &rep, err);
	if (ret)
		return ret;
	textbuf_printf(out, "sysctls (role %s):\n", policykeys_role_name(pol.role));
	for (size_t i = 0; i < rep.n; i++)
		textbuf_printf(out, "  %-45s want %-3s is %-3s %s\n", rep.c[i].setting->key,
			       rep.c[i].setting->value, rep.c[i].actual[0] ? rep.c[i].actual : "-",
			       sysctls_status_name(rep.c[i].status));
	*all_ok = sysctls_report_ok(&rep);
	return 0;
}
