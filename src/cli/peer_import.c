/* rampart peer import IFNAME|FILE [-i IFNAME] [--owner O] [--db PATH]
 * [--json]: an existing wg-quick config's peers adopted into the
 * inventory, keys and all, so that its users switch without re-keying
 * (docs/inventory.md).  This file reads the config and builds the
 * records; the inventory (inv_import) checks and writes them, all or
 * none.  The config's [Interface] PrivateKey is read by the parser and
 * wiped with it: no record has a place for it. */
#include "cli.h"
#include "peer.h"

#include "common/encoding.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "crypto/crypto.h"
#include "ctl/wgctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "peer-" and the key's first 8 base64 characters, name-safe. */
static void derived_name(char out[INV_NAME_MAX + 1], const uint8_t key[KEY_LEN])
{
	char b64[KEY_B64_LEN + 1];

	encoding_key_to_base64(b64, key);
	for (size_t i = 0; i < 8; i++)
		b64[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : b64[i];
	snprintf(out, INV_NAME_MAX + 1, "peer-%.8s", b64);
}

/* The record of the config's peer cp: name, owner, keys, keepalive and
 * its AllowedIPs split by the interface's pools. */
static int build_peer(const struct peer_session *s, const char *file,
		      const struct inv_interface *ifc, const struct conf_peer *cp,
		      struct inv_peer *p, struct error *err)
{
	struct netaddr_prefix *ips;
	const char *why;
	int r;

	if (!cp->has_public_key)
		return error_fail_at(err, -EINVAL, file, cp->line, "Peer", "no PublicKey");
	if (cp->name[0] && !inv_valid_name(cp->name, &why))
		return error_fail_at(err, -EINVAL, file, cp->name_line, "Name",
				     "bad peer name \"%s\": %s", cp->name, why);
	memcpy(p->public_key, cp->public_key, KEY_LEN);
	if (cp->name[0])
		snprintf(p->name, sizeof(p->name), "%.*s", INV_NAME_MAX, cp->name);
	else
		derived_name(p->name, cp->public_key);
	snprintf(p->owner, sizeof(p->owner), "%s", s->a.owner ? s->a.owner : "imported");
	if (cp->has_preshared_key) {
		p->has_psk = true;
		memcpy(p->psk, cp->preshared_key, KEY_LEN);
	}
	p->keepalive = cp->has_keepalive ? cp->keepalive : 0;
	ips = calloc(cp->n_allowed_ips + 1, sizeof(*ips));
	if (!ips)
		return error_fail(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < cp->n_allowed_ips; i++)
		ips[i] = cp->allowed_ips[i].prefix;
	r = inv_import_split(ifc, ips, cp->n_allowed_ips, p, err);
	free(ips);
	if (r)
		error_prefix(err, "%s:%u", file, cp->line);
	return r;
}

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
	    wgctl_load_conf(path, &conf, &err))
		goto fail;
	if (!conf->n_peers) {
		error_fail(&err, -EINVAL, "%s has no [Peer]: nothing to import", path);
		goto fail;
	}
	v = calloc(conf->n_peers, sizeof(*v));
	if (!v) {
		error_fail(&err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < conf->n_peers; i++)
		if (build_peer(s, path, &ifc, &conf->peers[i], &v[i], &err))
			goto fail;
	if (inv_import(&s->ctx, s->ifname, v, conf->n_peers, &err))
		goto fail;
	ret = peer_follow(s->store, s->a.cmd, s->ifname, s->who);
	ret |= report(s, path, v, conf->n_peers);
	goto out;
fail:
	peer_fail(s, &err);
out:
	if (v) {
		for (size_t i = 0; i < conf->n_peers; i++)
			crypto_wipe(v[i].psk, sizeof(v[i].psk));
		free(v);
	}
	conf_free(conf);
	return ret;
}
