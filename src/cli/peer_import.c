/* rampart peer import IFNAME|FILE [-i IFNAME] [--owner O] [--db PATH]
 * [--json]: an existing wg-quick config's peers adopted into the
 * inventory, keys and all, so that its users switch without re-keying
 * (docs/inventory.md).  This file reads the config; the inventory
 * builds the records (inv_intake_import), then checks and writes them,
 * all or none (inv_import).  The config's [Interface] PrivateKey is read
 * by the parser and wiped with it: no record has a place for it. */
#include "cli.h"
#include "peer.h"

#include "common/textbuf.h"
#include "conf/config.h"
#include "ctl/wgctl.h"
#include "inventory/intake.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The interface: -i, the IFNAME argument, the config's NAME.conf when the
 * inventory has it, else the inventory's only one. */
static int pick(struct peer_session *s, const char *path, struct error *err)
{
	const char *arg = s->a.pos[0], *given = s->a.iface;
	char from_path[CONF_IFNAME_MAX + 1];
	size_t n;
	int r = -ENOENT;

	if (!given && conf_valid_ifname(arg))
		given = arg;
	if (given) {
		r = inv_pick_interface(&s->ctx, given, s->ifname, err);
		if (r == -ENOENT)
			error_fail(err, r, "interface %s is not in the inventory: run rampart peer "
				   "init -i %s first", given, given);
	} else {
		if (conf_ifname_from_path(path, from_path))
			r = inv_pick_interface(&s->ctx, from_path, s->ifname, err);
		if (r == -ENOENT)
			r = inv_pick_interface(&s->ctx, NULL, s->ifname, err);
	}
	return r ? r : inv_expire_due(&s->ctx, s->ifname, &n, err);
}

static int report(const struct peer_session *s, const char *path, const struct inv_peer *v,
		  size_t n)
{
	struct textbuf o = { 0 };

	if (!s->a.json) {
		printf("%s: %zu peer%s from %s into %s:", s->a.cmd, n, n == 1 ? "" : "s", path,
		       s->ifname);
		for (size_t i = 0; i < n; i++)
			printf(" %s", v[i].name);
		printf("\n");
		return 0;
	}
	textbuf_printf(&o, "{\"interface\":");
	cli_json_string(&o, s->ifname);
	textbuf_printf(&o, ",\"file\":");
	cli_json_string(&o, path);
	textbuf_printf(&o, ",\"peers\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			textbuf_printf(&o, ",");
		peer_json(&o, &v[i], s->ctx.now);
	}
	textbuf_printf(&o, "]}\n");
	return cli_write_out(&o) ? 0 : 1;
}

int peer_import(struct peer_session *s)
{
	char path[CONF_PATH_MAX];
	struct inv_interface ifc;
	struct inv_peer *v = NULL;
	struct conf *conf = NULL;
	struct error err;
	int ret = 1;

	error_clear(&err);
	if (!s->a.n_pos) {
		fprintf(stderr, "%s: IFNAME or FILE is needed\n", s->a.cmd);
		return 1;
	}
	if (conf_config_path(s->a.pos[0], path, sizeof(path))) {
		fprintf(stderr, "%s: path too long: %s\n", s->a.cmd, s->a.pos[0]);
		return 1;
	}
	if (pick(s, path, &err) || inv_get_interface(&s->ctx, s->ifname, &ifc, &err) ||
	    wgctl_load_conf(path, &conf, &err) ||
	    inv_intake_import(&ifc, conf, path, s->a.owner ? s->a.owner : "imported", &v, &err) ||
	    inv_import(&s->ctx, s->ifname, v, conf->n_peers, &err))
		goto fail;
	ret = peer_follow(s->store, s->a.cmd, s->ifname, s->who);
	ret |= report(s, path, v, conf->n_peers);
	goto out;
fail:
	peer_fail(s, &err);
out:
	if (v)
		inv_intake_free(v, conf->n_peers);
	conf_free(conf);
	return ret;
}
