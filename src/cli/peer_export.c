/* rampart peer export [-i HUB] [--config FILE] [--write]: the config file
 * of the hub's interface regenerated from the inventory
 * (docs/inventory.md): its [Interface] (and [Policy]) as the file has
 * them, and one [Peer] per peer of the hub's share (its active peers and
 * those assigned to it: docs/multihub.md), with its name,
 * key, preshared key, addresses and sites and keepalive, in the
 * inventory's order; a peer the file already had keeps what only the
 * file says of it (its [Peer] policy keys).  On stdout, or with --write
 * in place of FILE, atomically, the old file kept as FILE.bak.  The text
 * is canonical (wgconf_format): comments other than "# Name =" are not
 * kept. */
#include "cli.h"
#include "peer.h"

#include "common/fileio.h"
#include "conf/config.h"
#include "conf/wgconf.h"
#include "crypto/crypto.h"
#include "ctl/wgctl.h"
#include "inventory/intake.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* FILE.bak, then FILE atomically, both with FILE's own mode (0600 if it
 * has none stricter). */
static int write_back(const char *path, const char *text, size_t len, struct error *err)
{
	char dir_buf[CONF_PATH_MAX], base_buf[CONF_PATH_MAX], bak[CONF_PATH_MAX + 8];
	char *old = NULL;
	size_t old_len = 0;
	int fd, dirfd, r;

	snprintf(dir_buf, sizeof(dir_buf), "%s", path);
	snprintf(base_buf, sizeof(base_buf), "%s", path);
	dirfd = open(dirname(dir_buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return error_fail(err, -errno, "%s: %s", path, strerror(errno));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	r = fd < 0 ? -errno : fileio_read_bounded(fd, 16 << 20, &old, &old_len);
	if (fd >= 0)
		close(fd);
	snprintf(bak, sizeof(bak), "%s.bak", basename(base_buf));
	if (!r)
		r = fileio_write_atomic(dirfd, bak, old, old_len, 0600);
	if (!r)
		r = fileio_write_atomic(dirfd, basename(base_buf), text, len, 0600);
	if (old) {
		crypto_wipe(old, old_len);
		free(old);
	}
	close(dirfd);
	return r ? error_fail(err, r, "%s: %s", path, strerror(-r)) : 0;
}

int peer_export(struct peer_session *s)
{
	char path[CONF_PATH_MAX];
	struct conf *old = NULL, *conf = NULL;
	struct inv_interface ifc;
	struct inv_peer *v = NULL;
	struct error err;
	char *text = NULL;
	size_t n = 0, len = 0;
	int ret = 1;

	error_clear(&err);
	/* The hub's own interface's file, and its share: every peer it
	 * should have, those of other hubs assigned to it included. */
	if (inv_get_interface(&s->ctx, s->ifname, &ifc, &err))
		return peer_fail(s, &err);
	if (conf_config_path(s->a.config ? s->a.config : ifc.ifname, path, sizeof(path))) {
		fprintf(stderr, "%s: path too long\n", s->a.cmd);
		return 1;
	}
	if (wgctl_load_conf(path, &old, &err) || wgctl_load_conf(path, &conf, &err) ||
	    inv_share(&s->ctx, s->ifname, &v, &n, &err))
		goto fail;
	/* conf keeps the file's [Interface] and [Policy]; its peers go. */
	conf_clear_peers(conf);
	if (inv_intake_export(conf, old, v, n, &err))
		goto fail;
	text = wgconf_format(conf, WGCONF_FULL, &len);
	if (!text) {
		error_fail(&err, -errno, "cannot write the config: %s", strerror(errno));
		goto fail;
	}
	if (!s->a.write) {
		ret = fileio_write_all(1, text, len) ? 1 : 0;
		if (ret)
			fprintf(stderr, "%s: writing the config: %s\n", s->a.cmd, strerror(errno));
	} else if (write_back(path, text, len, &err)) {
		goto fail;
	} else {
		fprintf(stderr, "%s: %s regenerated from the inventory (the old one is %s.bak)\n",
			s->a.cmd, path, path);
		ret = 0;
	}
	goto out;
fail:
	peer_fail(s, &err);
out:
	if (text)
		wgconf_text_free(text, len);
	if (v) {
		explicit_bzero(v, n * sizeof(*v)); /* preshared keys */
		free(v);
	}
	conf_free(old);
	conf_free(conf);
	return ret;
}
