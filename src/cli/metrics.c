/* rampart metrics [IFNAME]: the daemon's statistics of IFNAME, or of
 * every interface with a live control socket, as Prometheus text
 * exposition (monitor/metrics.h), for node_exporter's textfile collector:
 *
 *   rampart metrics > /var/lib/node_exporter/rampart.prom.$$;
 *   mv /var/lib/node_exporter/rampart.prom.$$ /var/lib/node_exporter/rampart.prom
 *
 * An interface whose daemon does not answer (no socket, a timeout, a
 * malformed reply) is a sample, rampart_up 0, and an error: one line on
 * stderr, exit status 1.  The text on stdout is complete and valid
 * either way, so that the collector still sees rampart_up 0.  Nothing is
 * written to stdout when the interfaces cannot be listed or the text
 * cannot be built.
 *
 * Peer names come from /etc/wireguard/IFNAME.conf ("# Name = ..." in a
 * [Peer] section) when that file exists; one that cannot be read or
 * parsed is said on stderr and costs the names only.
 *
 * After the daemons' families come the host's (hostfacts.c): conntrack
 * entries against nf_conntrack_max, and the packet and byte counters of
 * each interface's firewall table, read whether or not its daemon
 * answered (a kill switch counts most when the daemon is gone); what
 * cannot be read costs its samples only. */
#include "cli.h"

#include "common/fileio.h"
#include "common/textbuf.h"
#include "conf/config.h"
#include "ctl/socket.h"
#include "monitor/metrics.h"
#include "uapi/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The first line alone on stderr, for a usage error: one line. */
static void usage(FILE *f)
{
	fprintf(f, "Usage: %s metrics [<interface>]\n", prog_name);
	if (f == stdout)
		fprintf(f, "       %s metrics serve --listen <addr>:<port> [--user <user>] "
			   "[<interface>...]\n"
			   "\n  Prints the statistics of the interface, or of every interface\n"
			   "  with a running daemon, in the Prometheus text format; serve\n"
			   "  serves them over HTTP (%s metrics serve --help).\n", prog_name, prog_name);
}

int metrics_main(int argc, char *argv[])
{
	struct metrics_interface *ifs = NULL;
	struct cli_host_facts host = { 0 };
	struct uapi_device **devs = NULL;
	struct textbuf o = { 0 };
	struct error err = { 0 };
	char **names = NULL;
	size_t n = 1;
	int ret = 1, failed = 0, r;

	if (argc >= 2 && !strcmp(argv[1], "serve"))
		return metrics_serve_main(argc - 1, argv + 1);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		usage(stderr);
		return 1;
	}
	if (argc == 1 && wgctl_list_interfaces(&names, &n, &err)) {
		fprintf(stderr, "%s metrics: cannot list interfaces: %s\n", prog_name, err.msg);
		return 1;
	}
	ifs = calloc(n ? n : 1, sizeof(*ifs));
	devs = calloc(n ? n : 1, sizeof(*devs));
	if (!ifs || !devs) {
		fprintf(stderr, "%s metrics: out of memory\n", prog_name);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		ifs[i].name = names ? names[i] : argv[1];
		if (wgctl_get_device(ifs[i].name, &devs[i], &err)) {
			fprintf(stderr, "%s metrics: %s: %s\n", prog_name, ifs[i].name, err.msg);
			devs[i] = NULL;
			failed = 1;
		}
		ifs[i].dev = devs[i];
		if (devs[i])
			ifs[i].conf = cli_peer_names("metrics", ifs[i].name, NULL);
	}
	metrics_render(&o, ifs, n);
	cli_host_facts("metrics", ifs, n, &host);
	metrics_render_host(&o, &host.host);
	r = o.err ? o.err : fileio_write_all(STDOUT_FILENO, o.buf, o.len);
	if (r)
		fprintf(stderr, "%s metrics: %s output: %s\n", prog_name,
			o.err ? "building" : "writing", strerror(-r));
	else
		ret = failed;
out:
	cli_host_facts_free(&host);
	textbuf_wipe(&o);
	for (size_t i = 0; devs && i < n; i++) {
		uapi_device_free(devs[i]);
		if (ifs)
			conf_free((struct conf *)ifs[i].conf);
	}
	free(devs);
	free(ifs);
	wgctl_list_free(names);
	return ret;
}
