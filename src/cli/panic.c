/* rampart panic on [--ssh-from PREFIX]... [--ssh-port N] | off | status:
 * the emergency brake.  `on' replaces table inet rampart-panic at once
 * (no confirm window: it is meant for when something is wrong now) with
 * chains that drop everything except loopback, SSH from the given
 * prefixes, and the SSH session the command runs in (SSH_CONNECTION), so
 * that the operator who pulls the brake keeps the session.  The
 * interface tables are left as they are; `off' deletes the panic table.
 *
 * Exit status: 0 done, 1 failed, 2 usage error. */
#include "cli.h"

#include "common/netaddr.h"
#include "firewall/firewall.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { EXIT_FAIL = 1, EXIT_USAGE = 2 };

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s panic on [--ssh-from PREFIX]... [--ssh-port PORT]\n"
		"       %s panic off\n"
		"       %s panic status\n\n"
		"  on drops every packet in, out and through this host, at once and without\n"
		"  a confirm window, except: loopback; SSH (tcp PORT) from each PREFIX and\n"
		"  its replies; the client of the SSH session that runs this command\n"
		"  (SSH_CONNECTION), so that session is kept; IPv6 neighbour discovery.\n"
		"  PORT defaults to this session's server port, else 22. It is one table,\n"
		"  `table inet " FIREWALL_PANIC_TABLE "', that runs before Rampart's interface\n"
		"  tables, which stay as they are. off deletes it.\n",
		prog_name, prog_name, prog_name);
}

static int panic_on(int argc, char *argv[])
{
	struct netaddr_prefix from[FIREWALL_PANIC_MAX_FROM];
	struct error err = { 0 };
	char buf[NETADDR_PREFIX_STRLEN], ip[NETADDR_IP_STRLEN];
	struct firewall_panic p = { .ssh_from = from };
	const char *ssh = getenv("SSH_CONNECTION"), *why;
	bool port_set = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = NULL;
		bool is_from = false;

		if (!strcmp(a, "--ssh-from") || !strcmp(a, "--ssh-port")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s panic on: %s needs a value\n", prog_name, a);
				return EXIT_USAGE;
			}
			is_from = a[6] == 'f';
			val = argv[++i];
		} else if (!strncmp(a, "--ssh-from=", 11)) {
			is_from = true;
			val = a + 11;
		} else if (!strncmp(a, "--ssh-port=", 11)) {
			val = a + 11;
		} else {
			fprintf(stderr, "%s panic on: unknown argument `%s'\n", prog_name, a);
			usage(stderr);
			return EXIT_USAGE;
		}
		if (is_from) {
			if (p.n_ssh_from == FIREWALL_PANIC_MAX_FROM) {
				fprintf(stderr, "%s panic on: more than %d --ssh-from prefixes\n",
					prog_name, FIREWALL_PANIC_MAX_FROM);
				return EXIT_USAGE;
			}
			if (!netaddr_parse_prefix(&from[p.n_ssh_from], val, &why)) {
				fprintf(stderr, "%s panic on: invalid --ssh-from prefix `%s': %s\n",
					prog_name, val, why);
				return EXIT_USAGE;
			}
			p.n_ssh_from++;
		} else {
			if (!netaddr_parse_port(&p.ssh_port, val, &why) || !p.ssh_port) {
				fprintf(stderr, "%s panic on: invalid --ssh-port `%s': %s\n", prog_name,
					val, p.ssh_port ? why : "port 0 is no port");
				return EXIT_USAGE;
			}
			port_set = true;
		}
	}
	if (ssh && *ssh) {
		if (firewall_parse_ssh_connection(ssh, &p.session_client, &p.session_port))
			p.session = true;
		else
			fprintf(stderr, "%s panic on: warning: SSH_CONNECTION `%s' is not \"CLIENT_IP "
				"CLIENT_PORT SERVER_IP SERVER_PORT\"; no session is kept\n", prog_name,
				ssh);
	}
	if (!port_set)
		p.ssh_port = p.session ? p.session_port : FIREWALL_SSH_PORT_DEFAULT;

	if (firewall_panic_on(&p, &err)) {
		fprintf(stderr, "%s panic on: %s\n", prog_name, err.msg);
		return EXIT_FAIL;
	}

	fprintf(stderr, "%s panic on: every packet is dropped (table inet " FIREWALL_PANIC_TABLE
		") except loopback", prog_name);
	if (p.n_ssh_from) {
		fprintf(stderr, ", SSH (tcp/%u) from", p.ssh_port);
		for (size_t i = 0; i < p.n_ssh_from; i++)
			fprintf(stderr, "%s %s", i ? "," : "", netaddr_format_prefix(buf, &from[i]));
	}
	if (p.session)
		fprintf(stderr, " and this SSH session's client %s (tcp/%u)",
			netaddr_format_ip(ip, &p.session_client), p.session_port);
	fprintf(stderr, ".\n");
	if (p.session)
		fprintf(stderr, "%s panic on: this SSH session is kept.\n", prog_name);
	else
		fprintf(stderr, "%s panic on: not run over SSH (no SSH_CONNECTION): no session to "
			"keep.\n", prog_name);
	if (!p.session && !p.n_ssh_from)
		fprintf(stderr, "%s panic on: warning: nothing can reach this host over the network "
			"now; `%s panic off' from the console ends it.\n", prog_name, prog_name);
	else
		fprintf(stderr, "%s panic on: `%s panic off' ends it.\n", prog_name, prog_name);
	return 0;
}

int panic_main(int argc, char *argv[])
{
	struct error err = { 0 };
	bool on;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "on"))
		return panic_on(argc - 1, argv + 1);
	if (!strcmp(argv[1], "off") || !strcmp(argv[1], "status")) {
		bool off = argv[1][1] == 'f';

		if (argc != 2) {
			fprintf(stderr, "%s panic %s: unexpected argument `%s'\n", prog_name, argv[1],
				argv[2]);
			return EXIT_USAGE;
		}
		if (off ? firewall_panic_off(&on, &err) :
			  firewall_panic_active(&on, &err)) {
			fprintf(stderr, "%s panic %s: %s\n", prog_name, argv[1], err.msg);
			return EXIT_FAIL;
		}
		if (off)
			fprintf(stderr, "%s panic off: %s\n", prog_name, on ?
				"table inet " FIREWALL_PANIC_TABLE " deleted; the interface tables "
				"apply again" : "panic mode was not on");
		else
			printf("%s\n", on ? "on" : "off");
		return 0;
	}
	fprintf(stderr, "%s panic: invalid argument `%s'\n", prog_name, argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
