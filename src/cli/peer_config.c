/* rampart peer config NAME [--qr] [--qr-png FILE] [-i IFNAME] [--db PATH]
 * [--json]: the client config of an inventory peer, as text, as a QR code
 * in the terminal, or as a PNG for the mobile apps.  The server has no
 * client's private key, so the config leaves its PrivateKey line to the
 * client (docs/inventory-config.md).  The rendering is the inventory's
 * (clientconf, qrcode); this file reads the store and writes. */
#include "cli.h"

#include "common/error.h"
#include "common/fileio.h"
#include "common/textbuf.h"
#include "inventory/clientconf.h"
#include "inventory/qrcode.h"
#include "inventory/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
	"Usage: %s peer config NAME [--qr] [--qr-png FILE] [-i HUB] [--hub HUB] [--db PATH] "
	"[--json]\n";

int cli_client_out_flag(const char *cmd, int argc, char *argv[], int *i,
			struct cli_client_out *o)
{
	if (!strcmp(argv[*i], "--qr")) {
		o->qr = true;
	} else if (!strcmp(argv[*i], "--json")) {
		o->json = true;
	} else if (!strcmp(argv[*i], "--qr-png")) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "%s: --qr-png needs a FILE\n", cmd);
			return -1;
		}
		o->png = argv[++*i];
	} else {
		return 0;
	}
	return 1;
}

/* A new file, 0600, synced; removed again if it cannot be written. */
static bool write_png(const char *cmd, const char *path, const char *text, size_t len)
{
	struct textbuf png = { 0 };
	struct error err = { 0 };
	int fd, ret;

	if (inv_qr_png(&png, text, len, &err)) {
		fprintf(stderr, "%s: %s\n", cmd, err.msg);
		return false;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "%s: cannot create `%s': %s\n", cmd, path, strerror(errno));
		textbuf_wipe(&png);
		return false;
	}
	ret = fileio_write_all(fd, png.buf, png.len);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	textbuf_wipe(&png);
	if (ret) {
		fprintf(stderr, "%s: cannot write `%s': %s\n", cmd, path, strerror(-ret));
		unlink(path);
	}
	return !ret;
}

bool cli_client_out_write(const char *cmd, const struct cli_client_out *o, const char *iface,
			  const char *peer, const char *text, size_t len)
{
	struct textbuf out = { 0 };
	struct error err = { 0 };

	if (o->png && !write_png(cmd, o->png, text, len))
		return false;
	if (o->json) {
		textbuf_printf(&out, "{\"interface\":");
		cli_json_string(&out, iface);
		textbuf_printf(&out, ",\"peer\":");
		cli_json_string(&out, peer);
		textbuf_printf(&out, ",\"config\":");
		cli_json_string(&out, text);
		if (o->png) {
			textbuf_printf(&out, ",\"png\":");
			cli_json_string(&out, o->png);
		}
		textbuf_printf(&out, "}\n");
	} else if (o->qr) {
		if (inv_qr_terminal(&out, text, len, &err)) {
			fprintf(stderr, "%s: %s\n", cmd, err.msg);
			textbuf_wipe(&out);
			return false;
		}
	} else {
		textbuf_append(&out, text, len);
	}
	return cli_write_out(&out);
}

/* The one interface of the inventory when none is named; false after
 * saying why. */
static bool pick_interface(struct inv_store *s, char *ifname, size_t size)
{
	struct error err = { 0 };
	char **names = NULL;
	size_t n = 0;
	bool ok = false;

	if (s->ops->list_interfaces(s, &names, &n, &err))
		fprintf(stderr, "%s peer config: %s\n", prog_name, err.msg);
	else if (!n)
		fprintf(stderr, "%s peer config: no interface in the inventory (rampart peer init)\n",
			prog_name);
	else if (n > 1)
		fprintf(stderr, "%s peer config: %zu interfaces in the inventory: say which with -i IFNAME\n",
			prog_name, n);
	else
		ok = snprintf(ifname, size, "%s", names[0]) < (int)size;
	inv_names_free(names, n);
	return ok;
}

/* ifc becomes hub's, which must be one of p's (its home or one it is
 * assigned to): the client's endpoint and the hub's key are that hub's;
 * the addresses are the same, the space being shared.  false after
 * saying why. */
static bool other_hub(struct inv_store *s, const char *hub, const struct inv_peer *p,
		      struct inv_interface *ifc)
{
	struct error err = { 0 };
	bool on = !strcmp(hub, p->iface), found = false;

	for (size_t i = 0; i < p->n_hubs && !on; i++)
		on = !strcmp(hub, p->hubs[i]);
	if (!on) {
		fprintf(stderr, "%s peer config: peer `%s' is not on hub %s (rampart peer assign %s "
			"--hub %s)\n", prog_name, p->name, hub, p->name, hub);
		return false;
	}
	if (s->ops->get_interface(s, hub, ifc, &found, &err) && err.code != -ENOENT) {
		fprintf(stderr, "%s peer config: %s\n", prog_name, err.msg);
		return false;
	}
	if (!found)
		fprintf(stderr, "%s peer config: %s: not in the inventory\n", prog_name, hub);
	return found;
}

/* Reads the hub, the peer (of its home hub ifname) and the hub its
 * config is for (hub, NULL: its home) in one read transaction; false
 * after saying why. */
static bool load(const char *db, const char *ifname, const char *name, const char *hub,
		 struct inv_interface *ifc, struct inv_peer *p)
{
	struct inv_store *s = NULL;
	struct error err = { 0 };
	char picked[IFNAMSIZ];
	bool found_ifc = false, found_peer = false, ok = false;

	if (inv_store_open(db, &s, &err)) {
		fprintf(stderr, "%s peer config: %s\n", prog_name, err.msg);
		return false;
	}
	if (inv_store_begin(s, false, &err)) {
		fprintf(stderr, "%s peer config: %s\n", prog_name, err.msg);
		goto out;
	}
	if (!ifname) {
		if (!pick_interface(s, picked, sizeof(picked)))
			goto rollback;
		ifname = picked;
	}
	if (s->ops->get_interface(s, ifname, ifc, &found_ifc, &err) ||
	    (found_ifc && s->ops->find_peer(s, ifname, name, p, &found_peer, &err)))
		fprintf(stderr, "%s peer config: %s\n", prog_name, err.msg);
	else if (!found_ifc)
		fprintf(stderr, "%s peer config: %s: not in the inventory (rampart peer init)\n",
			prog_name, ifname);
	else if (!found_peer)
		fprintf(stderr, "%s peer config: %s: no peer `%s'\n", prog_name, ifname, name);
	else
		ok = !hub || other_hub(s, hub, p, ifc);
rollback:
	inv_store_rollback(s); /* read only */
out:
	inv_store_close(s);
	return ok;
}

int peer_config_main(int argc, char *argv[])
{
	struct cli_client_out o = { 0 };
	const char *name = NULL, *ifname = NULL, *hub = NULL, *db = getenv("RAMPART_DB");
	struct inv_interface ifc;
	struct inv_peer p;
	struct textbuf conf = { 0 };
	struct error err = { 0 };
	char cmd[64];
	bool ok;

	snprintf(cmd, sizeof(cmd), "%s peer config", prog_name);
	for (int i = 1; i < argc; i++) {
		int r = cli_client_out_flag(cmd, argc, argv, &i, &o);

		if (r < 0)
			return 1;
		if (r > 0)
			continue;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf(usage_text, prog_name);
			return 0;
		} else if (!strcmp(argv[i], "-i") && i + 1 < argc) {
			ifname = argv[++i];
		} else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
			db = argv[++i];
		} else if (!strcmp(argv[i], "--hub") && i + 1 < argc) {
			hub = argv[++i];
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			fprintf(stderr, usage_text, prog_name);
			return 1;
		}
	}
	if (!name) {
		fprintf(stderr, usage_text, prog_name);
		return 1;
	}
	if (o.qr && o.json) {
		fprintf(stderr, "%s: --qr and --json exclude each other\n", cmd);
		return 1;
	}
	if (!load(db && *db ? db : INV_STORE_DEFAULT_PATH, ifname, name, hub, &ifc, &p))
		return 1;
	if (p.state == INV_REVOKED) {
		fprintf(stderr, "%s: %s: peer `%s' is revoked: its key can never come back\n", cmd,
			ifc.name, p.name);
		return 1;
	}
	if (p.state != INV_ACTIVE)
		fprintf(stderr, "%s: warning: peer `%s' is %s: the hub does not take it until it is active\n",
			cmd, p.name, inv_state_name(p.state));
	if (inv_client_config(&conf, &ifc, &p, NULL, &err)) {
		fprintf(stderr, "%s: %s\n", cmd, err.msg);
		return 1;
	}
	ok = cli_client_out_write(cmd, &o, ifc.name, p.name, conf.buf, conf.len);
	textbuf_wipe(&conf);
	return !ok;
}
