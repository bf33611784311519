/* rampart setconf | addconf | syncconf IFNAME FILE: wg(8)'s commands of the
 * same names over the userspace control socket.  FILE is read with the
 * project's parser (src/ops/wgconf.c), whose errors name file, line, key
 * and value; like wg(8), the wg-quick keys (Address, DNS, MTU, Table, the
 * hooks, SaveConfig) are refused: `rampart strip` removes them.
 *
 *   setconf   the file becomes the whole configuration (replace_peers)
 *   addconf   the file's settings and peers are added
 *   syncconf  like setconf, but peers the file keeps are updated in place,
 *             so their sessions survive; the others are removed
 *
 * The file is parsed and its endpoints resolved before the daemon is
 * contacted: a bad file changes nothing. */
#include "cli.h"

#include "conf/config.h"
#include "ctl/socket.h"
#include "ctl/wgctl.h"
#include "uapi/device.h"

#include <errno.h>
#include <stdio.h>

static int conf_main(int argc, char *argv[], enum wgctl_mode mode)
{
	struct error err = { 0 };
	struct uapi_device *running = NULL, *c = NULL;
	struct conf *conf = NULL;
	int ret = 1, r;

	if (argc != 3) {
		fprintf(stderr, "Usage: %s %s <interface> <configuration filename>\n",
			prog_name, argv[0]);
		return 1;
	}
	r = wgctl_load_conf(argv[2], &conf, &err);
	if (!r)
		r = wgctl_conf_check_wg_only(conf, argv[2], &err);
	if (r) {
		fprintf(stderr, "%s\n", err.msg);
		if (r == -EINVAL)
			fprintf(stderr, "Configuration parsing error\n");
		goto out;
	}
	if (wgctl_change_from_conf(conf, mode, &c)) {
		fprintf(stderr, "%s: %s: out of memory\n", prog_name, argv[0]);
		goto out;
	}
	if (wgctl_change_resolve(c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	if (mode == WGCTL_SYNCCONF && c->n_peers) {
		if (wgctl_get_device(argv[1], &running, &err)) {
			fprintf(stderr, "Unable to retrieve current interface configuration: %s\n",
				err.msg);
			goto out;
		}
		if (wgctl_change_sync(c, running)) {
			fprintf(stderr, "%s: %s: out of memory\n", prog_name, argv[0]);
			goto out;
		}
	}
	if (wgctl_set_device(argv[1], c, &err)) {
		fprintf(stderr, "Unable to modify interface: %s\n", err.msg);
		goto out;
	}
	ret = 0;
out:
	uapi_device_free(running);
	uapi_device_free(c);
	conf_free(conf);
	return ret;
}

int setconf_main(int argc, char *argv[])
{
	return conf_main(argc, argv, WGCTL_SETCONF);
}

int addconf_main(int argc, char *argv[])
{
	return conf_main(argc, argv, WGCTL_ADDCONF);
}

int syncconf_main(int argc, char *argv[])
{
	return conf_main(argc, argv, WGCTL_SYNCCONF);
}
