/* rampart diff IFNAME [--config FILE] [--db PATH] [--json]: the drift
 * between what is declared (the config file: FILE, else the one `rampart
 * up` read, else /etc/wireguard/IFNAME.conf; and the peer inventory when
 * it holds IFNAME) and what runs (the daemon, Rampart's nft table, the
 * role's sysctls), through audit/drift.h.  One difference per line with
 * its fix indented below, or a JSON array.  Exit 0 when there is none, 1
 * when there are some, 3 when the comparison cannot run (the reason, one
 * line, on stderr). */
#include "cli.h"

#include "audit/drift.h"
#include "common/fileio.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "conf/wgconf.h"
#include "ctl/socket.h"
#include "firewall/firewall.h"
#include "inventory/conninfo.h"
#include "inventory/store.h"
#include "quick/quick.h"
#include "uapi/client.h"
#include "uapi/device.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct diff_args {
	const char *ifname;
	const char *config; /* NULL: /etc/wireguard/IFNAME.conf */
	const char *db;
	bool json;
};

static void usage(FILE *f, const char *cmd)
{
	fprintf(f, "Usage: %s %s IFNAME [--config FILE] [--db PATH] [--json]\n", prog_name, cmd);
}

/* 0, 1 after --help, or 3 after saying what is wrong. */
static int parse_args(int argc, char *argv[], struct diff_args *a)
{
	a->db = getenv("RAMPART_DB");
	if (!a->db || !*a->db)
		a->db = INV_STORE_DEFAULT_PATH;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			a->json = true;
		} else if ((!strcmp(argv[i], "--config") || !strcmp(argv[i], "--db")) &&
			   i + 1 < argc) {
			*(argv[i][2] == 'c' ? &a->config : &a->db) = argv[i + 1];
			i++;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout, argv[0]);
			return 1;
		} else if (argv[i][0] == '-' || a->ifname) {
			fprintf(stderr, "%s %s: unexpected argument `%s'\n", prog_name, argv[0], argv[i]);
			usage(stderr, argv[0]);
			return 3;
		} else {
			a->ifname = argv[i];
		}
	}
	if (!a->ifname) {
		usage(stderr, argv[0]);
		return 3;
	}
	if (!conf_valid_ifname(a->ifname)) {
		fprintf(stderr, "%s %s: invalid interface name `%s'\n", prog_name, argv[0], a->ifname);
		return 3;
	}
	return 0;
}

static int load_conf(const char *path, struct conf **conf, struct error *err)
{
	char *buf = NULL;
	size_t len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0)
		return error_fail_at(err, -errno, path, 0, NULL, "cannot open: %s", strerror(errno));
	ret = fileio_read_bounded(fd, WGCONF_FILE_MAX, &buf, &len);
	close(fd);
	if (ret)
		return error_fail_at(err, ret, path, 0, NULL, "cannot read: %s", strerror(-ret));
	ret = wgconf_parse(buf, len, path, conf, err);
	textbuf_free_text(buf, len);
	return ret;
}

/* The inventory's peers of ifname when it holds ifname (its own, and
 * those of other hubs assigned to it: docs/multihub.md); no inventory
 * file, or one without ifname, is no inventory. */
static int load_inventory(const char *db, const char *ifname, bool *held,
			  struct inv_peer **peers, size_t *n, struct error *err)
{
	struct inv_interface ifc;
	struct inv_store *s = NULL;
	char shown[4096];
	int ret;

	*held = false;
	if (inv_store_absent(db))
		return 0;
	ret = inv_store_open(db, &s, err);
	if (ret)
		return ret;
	ret = inv_store_begin(s, false, err);
	if (!ret) {
		ret = s->ops->get_interface(s, ifname, &ifc, held, err);
		if (ret == -ENOENT)
			ret = 0, *held = false;
		if (!ret && *held)
			ret = inv_store_hub_peers(s, ifname, peers, n, err);
		inv_store_rollback(s);
	}
	inv_store_close(s);
	if (ret)
		error_prefix(err, "the inventory %s", inv_conninfo_redact(db, shown, sizeof(shown)));
	return ret;
}

/* What `rampart up` recorded in its state file: the config it read (an
 * absolute path) and the fwmark it chose for a full tunnel.  Nothing
 * (config "", fwmark 0) when there is no state file: the interface came
 * up some other way. */
struct up_record {
	char config[CONF_PATH_MAX];
	uint32_t fwmark;
};

static void up_record(const char *ifname, struct up_record *r)
{
	struct quick_state st;
	struct error err;
	struct stat sb, sd;
	char path[64], *buf = NULL;
	size_t len = 0;
	int fd;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), FIREWALL_STATE_DIR "/%s.state", ifname);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	/* As up and down trust it: it and its directory ours, and
	 * writable by nobody else. */
	if (fstat(fd, &sb) || sb.st_uid != geteuid() || (sb.st_mode & 022) ||
	    stat(FIREWALL_STATE_DIR, &sd) || sd.st_uid != geteuid() || (sd.st_mode & 022)) {
		close(fd);
		return;
	}
	if (!fileio_read_bounded(fd, 1 << 20, &buf, &len) &&
	    !quick_state_parse(buf, len, &st, &err)) {
		snprintf(r->config, sizeof(r->config), "%s", st.config);
		r->fwmark = st.fwmark;
		quick_state_uninit(&st);
	}
	close(fd);
	free(buf);
}

/* The daemon's event ring, which tells roaming from an endpoint set by
 * hand; NULL when it cannot be had (wireguard-go keeps none): the
 * comparison then goes by the peer's traffic (drift.h). */
static const struct uapi_events *running_events(const char *ifname, struct uapi_events **ev)
{
	struct error err;

	if (wgctl_get_events(ifname, 0, ev, &err))
		*ev = NULL;
	return *ev;
}

/* Text from the ruleset (a rule's comment, written by anyone who could
 * add a rule) never reaches the terminal as control characters. */
static void put_text(struct textbuf *o, const char *s)
{
	for (; *s; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;

		textbuf_append(o, &c, 1);
	}
}

static void print_text(const char *ifname, const struct drift_list *l, struct textbuf *o)
{
	if (!l->n)
		textbuf_printf(o, "%s: no drift\n", ifname);
	for (size_t i = 0; i < l->n; i++) {
		const struct drift *d = &l->v[i];

		textbuf_printf(o, "%s", drift_kind_name(d->kind));
		if (d->peer_name[0]) {
			textbuf_printf(o, " peer ");
			put_text(o, d->peer_name);
			textbuf_printf(o, " (%s)", d->peer);
		} else if (d->peer[0]) {
			textbuf_printf(o, " peer %s", d->peer);
		}
		textbuf_printf(o, " ");
		put_text(o, d->what);
		textbuf_printf(o, ": declared ");
		put_text(o, d->declared);
		textbuf_printf(o, ", running ");
		put_text(o, d->running);
		textbuf_printf(o, "\n");
		if (d->fix[0]) {
			textbuf_printf(o, "    fix: ");
			put_text(o, d->fix);
			textbuf_printf(o, "\n");
		}
	}
}

static void json_field(struct textbuf *o, const char *name, const char *v, bool null_if_empty)
{
	textbuf_printf(o, ", \"%s\": ", name);
	if (null_if_empty && !*v)
		textbuf_printf(o, "null");
	else
		cli_json_string(o, v);
}

static void print_json(const struct drift_list *l, struct textbuf *o)
{
	textbuf_append(o, "[", 1);
	for (size_t i = 0; i < l->n; i++) {
		const struct drift *d = &l->v[i];

		textbuf_append(o, i ? ",\n {" : "\n {", i ? 4 : 3);
		textbuf_printf(o, "\"kind\": ");
		cli_json_string(o, drift_kind_name(d->kind));
		json_field(o, "peer", d->peer, true);
		json_field(o, "peer_name", d->peer_name, true);
		json_field(o, "what", d->what, false);
		json_field(o, "declared", d->declared, false);
		json_field(o, "running", d->running, false);
		json_field(o, "fix", d->fix, true);
		textbuf_append(o, "}", 1);
	}
	textbuf_printf(o, "%s]\n", l->n ? "\n" : "");
}

/* Every comparison, in the order the output has them. */
static int compare(const struct diff_args *a, const char *path, uint32_t fwmark,
		   struct drift_list *l, struct error *err)
{
	struct drift_declared d = { .filename = path };
	struct uapi_events *events = NULL;
	struct uapi_device *dev = NULL;
	struct inv_peer *peers = NULL;
	struct conf *conf = NULL;
	size_t n = 0;
	int ret;

	ret = load_conf(path, &conf, err);
	if (!ret)
		ret = load_inventory(a->db, a->ifname, &d.inventory, &peers, &n, err);
	if (!ret && (ret = wgctl_get_device(a->ifname, &dev, err)))
		error_prefix(err, "%s: the running interface", a->ifname);
	if (!ret) {
		d.conf = conf;
		d.inv_peers = peers;
		d.n_inv = n;
		d.auto_fwmark = fwmark;
		ret = drift_compare_device(a->ifname, &d, dev, running_events(a->ifname, &events),
					   l, err);
	}
	if (!ret)
		ret = drift_nft_table(a->ifname, conf, path, l, err);
	if (!ret)
		ret = drift_sysctls(a->ifname, conf, path, l, err);
	uapi_events_free(events);
	uapi_device_free(dev);
	conf_free(conf);
	if (peers)
		explicit_bzero(peers, n * sizeof(*peers)); /* preshared keys */
	free(peers);
	return ret;
}

int diff_main(int argc, char *argv[])
{
	struct diff_args a = { 0 };
	struct drift_list l = { 0 };
	struct textbuf o = { 0 };
	struct error err = { 0 };
	char path[CONF_PATH_MAX], msg[ERROR_STRLEN];
	struct up_record up;
	int ret = parse_args(argc, argv, &a);

	if (ret)
		return ret == 1 ? 0 : ret;
	/* The file asked for, else the one `rampart up` read, else the
	 * default. */
	up_record(a.ifname, &up);
	if (a.config)
		snprintf(path, sizeof(path), "%s", a.config);
	else if (up.config[0])
		snprintf(path, sizeof(path), "%s", up.config);
	else
		snprintf(path, sizeof(path), "/etc/wireguard/%s.conf", a.ifname);
	if (compare(&a, path, up.fwmark, &l, &err)) {
		fprintf(stderr, "%s %s: %s\n", prog_name, argv[0],
			error_format(&err, msg, sizeof(msg)));
		drift_list_free(&l);
		return 3;
	}
	if (a.json)
		print_json(&l, &o);
	else
		print_text(a.ifname, &l, &o);
	ret = cli_write_out(&o) ? (l.n ? 1 : 0) : 3;
	drift_list_free(&l);
	return ret;
}
