/* rampart: the operator's tool.  Table-driven dispatch to one file per
 * subcommand. */
#include "cli.h"

#include "common/log.h"
#include "firewall/policykeys.h"

#include <stdio.h>
#include <string.h>

#ifndef RAMPART_VERSION
#define RAMPART_VERSION "0.1.0-dev"
#endif

const char *prog_name = "rampart";

static const struct command {
	const char *name;
	int (*main)(int argc, char *argv[]);
	const char *summary;
} commands[] = {
	{ "genkey", genkey_main, "Generates a new private key and writes it to stdout" },
	{ "genpsk", genpsk_main, "Generates a new preshared key and writes it to stdout" },
	{ "pubkey", pubkey_main, "Reads a private key from stdin and writes a public key to stdout" },
	{ "strip", strip_main, "Prints the wg(8) part of a configuration file (like wg-quick strip)" },
	{ "up", up_main, "Starts the daemon and brings an interface up (like wg-quick up)" },
	{ "down", down_main, "Takes an interface down, undoing what up did (like wg-quick down)" },
	{ "show", show_main, "Shows the current configuration and device information" },
	{ "status", status_main, "Shows interfaces and peers with handshake age and health (--json)" },
	{ "events", events_main, "Prints the daemon's recent events: handshakes, roaming, failures (--follow, --json)" },
	{ "check", check_main, "Checks handshake ages as a Nagios/Icinga plugin (exit 0/1/2/3)" },
	{ "showconf", showconf_main, "Shows the current configuration of a given WireGuard interface, for use with `setconf'" },
	{ "set", set_main, "Change the current configuration, add peers, remove peers, or change peers" },
	{ "setconf", setconf_main, "Applies a configuration file to a WireGuard interface" },
	{ "addconf", addconf_main, "Appends a configuration file to a WireGuard interface" },
	{ "syncconf", syncconf_main, "Synchronizes a configuration file to a WireGuard interface" },
	{ "firewall", firewall_main, "Shows, confirms, rolls back or flushes an interface's firewall table" },
	{ "confirm", confirm_main, "Keeps a firewall change that waits for confirmation (firewall confirm)" },
	{ "panic", panic_main, "Drops all traffic but the management SSH path, or ends that" },
	{ "peer", peer_main, "Keeps the peer inventory: owners, devices, addresses, approval, expiry (peer --help)" },
	{ "metrics", metrics_main, "Prints the daemon's statistics in the Prometheus text format" },
	{ "audit", audit_main, "Checks the configs and their files against the guides' checklists (--json)" },
	{ "diff", diff_main, "Shows the drift between an interface's config and what runs (--json)" },
	{ "doctor", doctor_main, "Diagnoses a peer's tunnel layer by layer, stopping at the broken one (--json)" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: %s <cmd> [<args>]\n\nAvailable subcommands:\n", prog_name);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "You may pass `--help' to any of these subcommands to view usage.\n");
}

int main(int argc, char *argv[])
{
	log_set_prefix(prog_name);
	/* Before any config is read: the parser knows the firewall's keys
	 * only once they are registered. */
	if (policykeys_register()) {
		fprintf(stderr, "%s: cannot register the policy keys\n", prog_name);
		return 1;
	}
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version") ||
	    !strcmp(argv[1], "-v")) {
		printf("rampart v%s\n", RAMPART_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].main(argc - 1, argv + 1);
	}
	fprintf(stderr, "%s: invalid subcommand `%s'\n", prog_name, argv[1]);
	usage(stderr);
	return 1;
}
