/* The peers' names of an interface, from its config file: the "# Name =
 * ..." comment of each [Peer] section (conf/config.h). */
#include "cli.h"

#include "common/error.h"
#include "conf/config.h"
#include "ctl/wgctl.h"

#include <stdio.h>
#include <sys/stat.h>

struct conf *cli_peer_names(const char *cmd, const char *ifname, const char *path)
{
	char def[CONF_PATH_MAX];
	struct error err = { 0 };
	struct conf *conf = NULL;
	struct stat st;

	if (!path) {
		/* wg-quick's file, if this interface has one. */
		if (conf_config_path(ifname, def, sizeof(def)) || stat(def, &st) < 0)
			return NULL;
		path = def;
	}
	if (wgctl_load_conf(path, &conf, &err)) {
		fprintf(stderr, "%s %s: %s: no peer names: %s\n", prog_name, cmd, ifname, err.msg);
		return NULL;
	}
	return conf;
}
