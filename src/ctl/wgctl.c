#include "wgctl.h"

#include "ctl/socket.h"
#include "sys/resolve.h"

#include "uapi/client.h"
#include "uapi/device.h"

#include "conf/config.h"
#include "conf/wgconf.h"

#include "common/error.h"
#include "common/encoding.h"
#include "common/fileio.h"
#include "common/log.h"
#include "common/netaddr.h"
#include "common/textbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* For what the user typed: paths, names, values. */
static const char *shown(char *dst, size_t size, const char *s)
{
	return uapi_client_quote(dst, size, s, false);
}

/* --- requests from a configuration ------------------------------------- */

/* One [Peer] as a request entry: it replaces its allowed IPs, even with
 * none. */
static int peer_from_conf(struct uapi_device *c, const struct conf_peer *cp)
{
	struct uapi_peer *p = uapi_device_add_peer(c, cp->public_key);
	int ret;

	if (!p)
		return -ENOMEM;
	if (cp->has_preshared_key) {
		p->flags |= UAPI_PEER_HAS_PRESHARED_KEY;
		memcpy(p->preshared_key, cp->preshared_key, KEY_LEN);
	}
	if (cp->has_endpoint) {
		p->flags |= UAPI_PEER_HAS_ENDPOINT;
		if (uapi_endpoint_set(&p->endpoint, &cp->endpoint))
			return -ENOMEM;
	}
	if (cp->has_keepalive) {
		p->flags |= UAPI_PEER_HAS_KEEPALIVE;
		p->keepalive = cp->keepalive;
	}
	ret = uapi_peer_add_allowed_ip(p, NULL, UAPI_ALLOWED_IP_REPLACE);
	for (size_t j = 0; !ret && j < cp->n_allowed_ips; j++)
		ret = uapi_peer_add_allowed_ip(p, &cp->allowed_ips[j].prefix,
					       UAPI_ALLOWED_IP_ADD);
	return ret == -E2BIG ? -ENOMEM : ret;
}

int wgctl_change_from_conf(const struct conf *conf, enum wgctl_mode mode,
			   struct uapi_device **out)
{
	struct uapi_device *c = uapi_device_alloc();
	bool whole = mode != WGCTL_ADDCONF;
	int ret;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	/* wg(8)'s config_read_init(): setconf and syncconf state the whole
	 * device, absent keys as zero. */
	if (whole || conf->has_private_key) {
		c->flags |= UAPI_DEVICE_HAS_PRIVATE_KEY;
		if (conf->has_private_key)
			memcpy(c->private_key, conf->private_key, KEY_LEN);
	}
	if (whole || conf->has_listen_port) {
		c->flags |= UAPI_DEVICE_HAS_LISTEN_PORT;
		c->listen_port = conf->has_listen_port ? conf->listen_port : 0;
	}
	if (whole || conf->has_fwmark) {
		c->flags |= UAPI_DEVICE_HAS_FWMARK;
		c->fwmark = conf->has_fwmark ? conf->fwmark : 0;
	}
	if (whole)
		c->flags |= UAPI_DEVICE_REPLACE_PEERS;
	for (size_t i = 0; i < conf->n_peers; i++) {
		ret = peer_from_conf(c, &conf->peers[i]);
		if (ret) {
			uapi_device_free(c);
			return ret;
		}
	}
	*out = c;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(*(const uint8_t *const *)a, *(const uint8_t *const *)b, KEY_LEN);
}

/* The running peers that c does not name, ascending, packed at the front
 * of theirs[]: their number. */
static size_t gone_peers(const uint8_t **mine, size_t n_mine, const uint8_t **theirs,
			 size_t n_theirs)
{
	size_t n_gone = 0, i, j;

	qsort(mine, n_mine, sizeof(*mine), key_cmp);
	qsort(theirs, n_theirs, sizeof(*theirs), key_cmp);
	for (i = 0, j = 0; i < n_theirs; i++) {
		while (j < n_mine && memcmp(mine[j], theirs[i], KEY_LEN) < 0)
			j++;
		if (j < n_mine && !memcmp(mine[j], theirs[i], KEY_LEN))
			continue;
		theirs[n_gone++] = theirs[i];
	}
	return n_gone;
}

int wgctl_change_sync(struct uapi_device *c, const struct uapi_device *running)
{
	const uint8_t **mine = NULL, **theirs = NULL;
	struct uapi_peer *peers = NULL;
	size_t n_gone, i, cap;
	int ret = -ENOMEM;

	/* As wg(8)'s sync_conf(): nothing to keep, nothing to change. */
	if (!c->n_peers || !running->n_peers)
		return 0;
	mine = calloc(c->n_peers, sizeof(*mine));
	theirs = calloc(running->n_peers, sizeof(*theirs));
	if (!mine || !theirs)
		goto out;
	for (i = 0; i < c->n_peers; i++)
		mine[i] = c->peers[i].public_key;
	for (i = 0; i < running->n_peers; i++)
		theirs[i] = running->peers[i].public_key;
	n_gone = gone_peers(mine, c->n_peers, theirs, running->n_peers);
	cap = c->n_peers + n_gone + 1;
	peers = calloc(cap, sizeof(*peers));
	if (!peers)
		goto out;
	/* wg(8) prepends each one while walking up: the largest ends first. */
	for (i = 0; i < n_gone; i++) {
		memcpy(peers[i].public_key, theirs[n_gone - 1 - i], KEY_LEN);
		peers[i].flags = UAPI_PEER_REMOVE;
	}
	memcpy(peers + n_gone, c->peers, c->n_peers * sizeof(*peers));
	explicit_bzero(c->peers, c->cap_peers * sizeof(*c->peers));
	free(c->peers);
	c->peers = peers;
	c->n_peers += n_gone;
	c->cap_peers = cap;
	c->flags &= ~(unsigned)UAPI_DEVICE_REPLACE_PEERS;
	ret = 0;
out:
	free(mine);
	free(theirs);
	return ret;
}

int wgctl_conf_from_device(const struct uapi_device *dev, struct conf **out)
{
	struct conf *cf = conf_alloc();

	*out = NULL;
	if (!cf)
		return -ENOMEM;
	cf->has_private_key = dev->flags & UAPI_DEVICE_HAS_PRIVATE_KEY;
	memcpy(cf->private_key, dev->private_key, KEY_LEN);
	cf->listen_port = dev->listen_port;
	cf->has_listen_port = (dev->flags & UAPI_DEVICE_HAS_LISTEN_PORT) && dev->listen_port;
	cf->fwmark = dev->fwmark;
	cf->has_fwmark = (dev->flags & UAPI_DEVICE_HAS_FWMARK) && dev->fwmark;
	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct uapi_peer *p = &dev->peers[i];
		struct conf_peer *cp = conf_add_peer(cf, 0);

		if (!cp)
			goto fail;
		memcpy(cp->public_key, p->public_key, KEY_LEN);
		cp->has_public_key = true;
		memcpy(cp->preshared_key, p->preshared_key, KEY_LEN);
		cp->has_preshared_key = (p->flags & UAPI_PEER_HAS_PRESHARED_KEY) &&
					!encoding_key_is_zero(p->preshared_key);
		uapi_endpoint_get(&p->endpoint, &cp->endpoint);
		cp->has_endpoint = p->flags & UAPI_PEER_HAS_ENDPOINT;
		cp->keepalive = p->keepalive;
		cp->has_keepalive = (p->flags & UAPI_PEER_HAS_KEEPALIVE) && p->keepalive;
		for (size_t j = 0; j < p->n_allowed_ips; j++)
			if (p->allowed_ips[j].action == UAPI_ALLOWED_IP_ADD &&
			    conf_peer_add_allowed_ip(cp, &p->allowed_ips[j].prefix, 0))
				goto fail;
	}
	*out = cf;
	return 0;
fail:
	conf_free(cf);
	return -ENOMEM;
}

/* --- resolving endpoints ----------------------------------------------- */

static int resolution_retries(int *out, struct error *err)
{
	const char *s = getenv("WG_ENDPOINT_RESOLUTION_RETRIES");
	const char *why;
	uint32_t v;
	char name[UAPI_QUOTED_STRLEN];

	if (!s) {
		*out = 15;
		return 0;
	}
	if (!strcmp(s, "infinity")) {
		*out = -1;
		return 0;
	}
	if (!netaddr_parse_u32(&v, s, INT_MAX, &why))
		return error_fail(err, -EINVAL,
			    "Unable to parse WG_ENDPOINT_RESOLUTION_RETRIES: `%s'",
			    shown(name, sizeof(name), s));
	*out = (int)v;
	return 0;
}

/* wg(8)'s notice while it waits to try a name again. */
static void say_wait(void *arg, const char *reason, double secs)
{
	log_warn("%s: `%s'. Trying again in %.2f seconds...", reason, (const char *)arg, secs);
}

/* The first answer, as wg(8) takes it (sys/resolve), written back over
 * *ep. */
static int resolve_endpoint(struct uapi_endpoint *ep, int retries, struct error *err)
{
	char what[NETADDR_ENDPOINT_STRLEN], name[UAPI_QUOTED_STRLEN];
	struct netaddr_endpoint in, out;
	int ret;

	uapi_endpoint_get(ep, &in);
	netaddr_format_endpoint(what, &in);
	shown(name, sizeof(name), what);
	ret = resolve_first(&in, retries, say_wait, name, name, &out, err);
	if (!ret && uapi_endpoint_set(ep, &out)) /* numeric: never */
		ret = error_fail(err, -ENOMEM, "%s", strerror(ENOMEM));
	return ret;
}

int wgctl_change_resolve(struct uapi_device *c, struct error *err)
{
	int retries = 15, ret;

	ret = resolution_retries(&retries, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < c->n_peers; i++) {
		struct uapi_peer *p = &c->peers[i];

		if (!(p->flags & UAPI_PEER_HAS_ENDPOINT) || (p->flags & UAPI_PEER_REMOVE))
			continue;
		ret = resolve_endpoint(&p->endpoint, retries, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- configuration files ----------------------------------------------- */

int wgctl_load_conf(const char *path, struct conf **out, struct error *err)
{
	char name[UAPI_QUOTED_STRLEN], msg[ERROR_STRLEN];
	struct error perr;
	char *buf = NULL;
	size_t len = 0;
	int fd, ret;

	*out = NULL;
	shown(name, sizeof(name), path);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return error_fail(err, -errno, "Unable to open `%s': %s", name,
			    strerror(errno));
	/* One byte more than the parser takes, so that it names the excess. */
	ret = fileio_read_bounded(fd, WGCONF_FILE_MAX, &buf, &len);
	close(fd);
	if (ret)
		return error_fail(err, ret, "Unable to read `%s': %s", name, strerror(-ret));
	ret = wgconf_parse(buf, len, name, out, &perr);
	if (ret) {
		error_format(&perr, msg, sizeof(msg));
		error_fail(err, ret, "%s", msg);
	}
	if (buf)
		textbuf_free_text(buf, len);
	return ret;
}

int wgctl_conf_check_wg_only(const struct conf *conf, const char *filename, struct error *err)
{
	static const char *const hooks[CONF_HOOK_COUNT] = {
		[CONF_HOOK_PRE_UP] = "PreUp", [CONF_HOOK_POST_UP] = "PostUp",
		[CONF_HOOK_PRE_DOWN] = "PreDown", [CONF_HOOK_POST_DOWN] = "PostDown",
	};
	struct {
		unsigned line;
		const char *key;
	} seen[4 + CONF_HOOK_COUNT + 1];
	unsigned first = 0;
	const char *key = NULL;
	size_t n = 0;
	char name[UAPI_QUOTED_STRLEN];

	seen[n].line = conf->n_addresses ? conf->addresses[0].line : 0;
	seen[n++].key = "Address";
	seen[n].line = conf->n_dns ? conf->dns[0].line : 0;
	seen[n++].key = "DNS";
	seen[n].line = conf->mtu_line; /* also "MTU =" */
	seen[n++].key = "MTU";
	seen[n].line = conf->table_line;
	seen[n++].key = "Table";
	for (unsigned k = 0; k < CONF_HOOK_COUNT; k++) {
		seen[n].line = conf->hooks[k].n ? conf->hooks[k].v[0].line : 0;
		seen[n++].key = hooks[k];
	}
	seen[n].line = conf->has_save_config ? conf->save_config_line : 0;
	seen[n++].key = "SaveConfig";
	for (size_t i = 0; i < n; i++) {
		if (seen[i].line && (!first || seen[i].line < first)) {
			first = seen[i].line;
			key = seen[i].key;
		}
	}
	if (!first)
		return 0;
	return error_fail(err, -EINVAL,
		    "%s:%u: %s: a wg-quick key, which setconf does not take "
		    "(`rampart strip' prints the part it takes)",
		    shown(name, sizeof(name), filename ? filename : "(input)"), first, key);
}

/* --- the whole operations ---------------------------------------------- */

int wgctl_apply_conf(const char *ifname, const struct conf *conf, enum wgctl_mode mode,
		     struct error *err)
{
	struct uapi_device *running = NULL, *c = NULL;
	struct error sub;
	int ret;

	ret = wgctl_change_from_conf(conf, mode, &c);
	if (ret)
		return error_fail(err, ret, "%s", strerror(-ret));
	ret = wgctl_change_resolve(c, err);
	if (ret)
		goto out;
	if (mode == WGCTL_SYNCCONF && c->n_peers) {
		ret = wgctl_get_device(ifname, &running, &sub);
		if (ret) {
			error_fail(err, ret, "Unable to retrieve current interface configuration: %s",
				   sub.msg);
			goto out;
		}
		ret = wgctl_change_sync(c, running);
		if (ret) {
			error_fail(err, ret, "%s", strerror(-ret));
			goto out;
		}
	}
	ret = wgctl_set_device(ifname, c, err);
out:
	uapi_device_free(running);
	uapi_device_free(c);
	return ret;
}

int wgctl_get_conf(const char *ifname, struct conf **out, struct error *err)
{
	struct uapi_device *dev;
	int ret = wgctl_get_device(ifname, &dev, err);

	*out = NULL;
	if (ret)
		return ret;
	ret = wgctl_conf_from_device(dev, out);
	uapi_device_free(dev);
	if (ret)
		return error_fail(err, ret, "%s", strerror(-ret));
	return 0;
}
