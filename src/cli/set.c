/* rampart set IFNAME ...: wg(8)'s set over the userspace control socket,
 * same grammar, same request on the wire.  Everything is checked (key
 * files read, endpoint names resolved) before the daemon is contacted, so
 * a bad argument changes nothing.  Newer wg(8)'s `allowed-ips +P,-P`
 * (add and remove without replacing) is taken too. */
#include "cli.h"

#include "common/textbuf.h"
#include "ctl/setargs.h"
#include "ctl/socket.h"
#include "ctl/wgctl.h"
#include "uapi/device.h"

#include <stdio.h>

int set_main(int argc, char *argv[])
{
	struct error err = { 0 };
	struct textbuf warnings = { 0 };
	struct uapi_device *c = NULL;
	int ret = 1;

	if (argc < 3) {
		fprintf(stderr, "Usage: %s %s <interface> [listen-port <port>] [fwmark <mark>] "
			"[private-key <file path>] [peer <base64 public key> [remove] "
			"[preshared-key <file path>] [endpoint <ip>:<port>] "
			"[persistent-keepalive <interval seconds>] "
			"[allowed-ips [+|-]<ip1>/<cidr1>[,[+|-]<ip2>/<cidr2>]...] ]...\n",
			prog_name, argv[0]);
		return 1;
	}
	if (wgctl_parse_set_args(argc - 2, argv + 2, &c, &warnings, &err)) {
		if (warnings.len)
			fputs(warnings.buf, stderr);
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	if (warnings.len)
		fputs(warnings.buf, stderr);
	if (wgctl_change_resolve(c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		goto out;
	}
	if (wgctl_set_device(argv[1], c, &err)) {
		fprintf(stderr, "Unable to modify interface: %s\n", err.msg);
		goto out;
	}
	ret = 0;
out:
	textbuf_wipe(&warnings);
	uapi_device_free(c);
	return ret;
}
